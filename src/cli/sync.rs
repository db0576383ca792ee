//! `cutroom sync FILE... [--json] [--plot OUT] [--standard r37|bt1359|atsc] [--spec seq.toml]`.

use super::bars::Bars;
use super::{for_each_file, print_files, FileEntry, Global};
use cutroom::assemble::spec::Cut;
use cutroom::error::exit;
use cutroom::output::{check_outputs, AtomicOutput, Planned};
use cutroom::progress::Progress;
use cutroom::sync::{self, plot, spec, Standard, SyncReport, Verdict};
use cutroom::time::Spans;
use cutroom::timeline::EditSpec;
use cutroom::{Error, Result};
use std::path::{Path, PathBuf};

/// Arguments of `cutroom sync`.
#[derive(clap::Args)]
pub struct Args {
    /// Renders to check.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the stable JSON report (`files[]`) instead of a summary.
    #[arg(long)]
    json: bool,
    /// Draw the offset per window, per shot and per event over time against the standard's
    /// band to OUT (.png or .svg); when a face was followed, below it the speaker's mouth
    /// opening and the speech level moved by the lip-sync offset, which rise and fall together
    /// when that offset is right. With several files, the file's number is added before the
    /// extension (out-1.png, out-2.png, ...).
    #[arg(long, value_name = "OUT")]
    plot: Option<PathBuf>,
    /// The tolerance to judge against: EBU R37 (audio at most 40 ms early, 60 ms late),
    /// ITU-R BT.1359 (45 / 125) or ATSC IS-191 (15 / 45).
    #[arg(long, default_value = "r37", value_parser = standard_parser())]
    standard: Standard,
    /// Shot list of the sequence for per-shot offsets (`[[shot]] src = "a.mp4", in = 0.5, out =
    /// 4.0`, paths relative to the list): the shots are placed where `cutroom concat --spec`
    /// puts them, trims on the frame grid and crossfades overlapping. Without it, shots are
    /// split at detected cuts.
    #[arg(long, value_name = "SEQ.TOML")]
    spec: Option<PathBuf>,
    /// Largest offset searched, in ms each way (100-5000).
    #[arg(long, value_name = "MS", default_value_t = sync::DEFAULT_MAX_LAG_MS,
          value_parser = clap::value_parser!(u32).range(100..=5000))]
    max_lag: u32,
}

/// The shots of the list `path` (`--spec`). A cut spec of `assemble` is no shot list: it is said
/// to be one, and where the sync of its deliverables is.
fn shot_list(path: &Path) -> Result<Spans> {
    spec::shot_spans(path).map_err(|e| {
        if EditSpec::load(path).is_err() && Cut::load(path).is_ok() {
            Error::bad_input(
                path,
                "a cut spec of `cutroom assemble`, not a shot list (`--spec` takes the list \
                 `cutroom concat --spec` does): assemble checks the sync of each deliverable it \
                 makes, shot by shot, in its report.json (`outputs[].shots`)",
            )
        } else {
            e
        }
    })
}

/// `--standard`'s values: each standard's id, its full name as help.
fn standard_parser() -> impl clap::builder::TypedValueParser<Value = Standard> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(Standard::ALL.map(|s| PossibleValue::new(s.id()).help(s.name())))
        .map(|id| Standard::from_id(&id).expect("clap admits only the standards' ids"))
}

/// Check every file; exit 1 on an error, else 3 when any fails, else 4 when any is inconclusive,
/// else 0.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    if let Some(p) = &args.plot {
        plot::Format::of(p)?;
    }
    let checked = check_plots(&args).and_then(|()| args.spec.as_deref().map(shot_list).transpose());
    let shots = match checked {
        Ok(shots) => shots,
        Err(e) => {
            // No file can be checked against a bad list, nor plotted where no file can be
            // written: each is reported with the error.
            eprintln!("cutroom: error: {e}");
            let entries: Vec<FileEntry<SyncReport>> = (args.files.iter())
                .map(|path| FileEntry::Err {
                    path: path.display().to_string(),
                    error: e.to_string(),
                })
                .collect();
            print_files(&entries, args.json, print_summary);
            return Ok(exit::ERROR);
        }
    };
    let opts = sync::Options {
        standard: args.standard,
        max_lag_ms: args.max_lag,
        shots,
        shots_listed: true,
    };
    let bar = Bars::new(global.quiet);
    let entries = for_each_file(&args.files, |i, path| {
        bar.start("sync", 0);
        bar.status(&path.display().to_string());
        let result = sync::analyze(path, &opts, &bar).and_then(|r| {
            if let Some(p) = &args.plot {
                plot::draw(&r, &plot_path(p, i, args.files.len()))?;
            }
            Ok(r)
        });
        bar.finish(None);
        result
    });
    let any = |v: Verdict| {
        entries
            .iter()
            .any(|e| matches!(e, FileEntry::Ok(r) if r.verdict == v))
    };
    let (failed, unsure) = (any(Verdict::Fail), any(Verdict::Inconclusive));
    let errors = print_files(&entries, args.json, print_summary);
    Ok(if errors {
        exit::ERROR
    } else if failed {
        exit::CHECK_FAILED
    } else if unsure {
        exit::INCONCLUSIVE
    } else {
        exit::OK
    })
}

/// Check that each file's plot can be written where `--plot` puts it, before any work: not over
/// an input, and in a place that takes a new file.
fn check_plots(args: &Args) -> Result<()> {
    let Some(p) = &args.plot else {
        return Ok(());
    };
    let mut inputs: Vec<&Path> = args.files.iter().map(PathBuf::as_path).collect();
    inputs.extend(args.spec.as_deref());
    let n = args.files.len();
    let plots: Vec<PathBuf> = (0..n).map(|i| plot_path(p, i, n)).collect();
    let planned: Vec<_> = plots.iter().map(|p| Planned::file(p)).collect();
    check_outputs(&planned, &inputs)?;
    for p in &plots {
        drop(AtomicOutput::new(p)?);
    }
    Ok(())
}

/// The plot path for file `i` of `n`: `out` itself for one file, `out-<i+1>.ext` for several.
fn plot_path(out: &Path, i: usize, n: usize) -> PathBuf {
    if n == 1 {
        return out.to_path_buf();
    }
    let stem = out
        .file_stem()
        .map_or("plot".into(), |s| s.to_string_lossy());
    let ext = out
        .extension()
        .map_or("png".into(), |s| s.to_string_lossy());
    out.with_file_name(format!("{stem}-{}.{ext}", i + 1))
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:+.1} ms"))
}

fn print_summary(r: &SyncReport) {
    outln!("{}", r.path);
    outln!(
        "  {}  offset {}  confidence {:.2}  drift {}  ({}, -{}/+{} ms)",
        r.verdict.as_str().to_uppercase(),
        r.headline(),
        r.confidence,
        r.drift_ms_per_min
            .map_or("-".into(), |d| format!("{d:+.1} ms/min")),
        r.standard.name,
        r.standard.max_early_ms,
        r.standard.max_late_ms,
    );
    outln!("  {}", r.reason);
    if let Some(visual) = r.methods.events.visual_events {
        outln!(
            "  events: {} of {visual} visual events have a candidate sound, {} audio onsets ({}); \
             correlation {} (confidence {:.2})",
            r.methods.events.pairs.unwrap_or(0),
            r.methods.events.audio_onsets.unwrap_or(0),
            ms(r.methods.events.found.offset_ms),
            ms(r.methods.correlation.offset_ms),
            r.methods.correlation.confidence,
        );
    }
    if let Some(l) = &r.lips {
        let faces = match l.faces.len() {
            1 => "1 face".to_string(),
            n => format!("{n} faces"),
        };
        // A face "speaks" only when lips decided the verdict; otherwise its reading is tentative.
        let confirmed = r.method == Some(sync::estimate::Method::Lips);
        match (l.speaker, l.offset_ms) {
            (Some(face), Some(_)) => outln!(
                "  lips: {} ({faces} found), offset {} (confidence {:.2}; correlation {:.2}, \
                 runner-up {:.2})",
                if confirmed {
                    format!("face {face} speaks")
                } else {
                    format!("unconfirmed, face {face} tentatively")
                },
                ms(l.offset_ms),
                l.confidence,
                l.peak.unwrap_or(0.0),
                l.runner_up.unwrap_or(0.0),
            ),
            _ if l.faces.is_empty() => outln!("  lips: no face found"),
            _ if l.steady => outln!(
                "  lips: {faces} found, but the sound's level holds steady (within 1 dB in \
                 every window): no speech for a mouth to follow"
            ),
            _ => outln!("  lips: {faces} found, no mouth seen long enough to measure"),
        }
    }
    if r.shots.len() > 1 {
        let shots: Vec<String> = r
            .shots
            .iter()
            .map(|s| {
                let length = s.span.end_s - s.span.start_s;
                let offset = match s.span.offset_ms {
                    _ if s.missing_s.is_some_and(|m| m >= length - 1e-3) => "missing".into(),
                    None => s.span.sound.instead_of_offset().unwrap_or("-").into(),
                    Some(o) if s.verdict == Verdict::Inconclusive => format!("({o:+.0})"),
                    Some(o) => format!("{o:+.0}"),
                };
                format!("{}@{:.1}s {offset}", s.index + 1, s.span.start_s)
            })
            .collect();
        outln!(
            "  shots ({}, ms; inconclusive in brackets): {}",
            r.shots_from,
            shots.join("  ")
        );
    }
    if let Some(note) = &r.audio_decoder_note {
        outln!("  audio decoded by FFmpeg: {note}");
    }
    for w in &r.container.warnings {
        outln!("  container: {w}");
    }
}
