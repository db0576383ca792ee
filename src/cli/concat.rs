//! `cutroom concat FILE... -o OUT` / `cutroom concat --spec SPEC -o OUT`.

use super::audio_args::{self, LoudnessArgs};
use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::{print_json, Global};
use cutroom::audio::soundtrack::{self, Level};
use cutroom::concat::plan::{self, VideoPath};
use cutroom::concat::{self, Options, Summary};
use cutroom::error::exit;
use cutroom::progress::{Damaged, Progress, Tally};
use cutroom::provenance::Edit;
use cutroom::specfile;
use cutroom::timeline::EditSpec;
use cutroom::Result;
use cutroom_ffi::Rational;
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `cutroom concat`.
#[derive(clap::Args)]
pub struct Args {
    /// Shots to join whole, in order (or give --spec).
    #[arg(required_unless_present = "spec", conflicts_with = "spec")]
    files: Vec<PathBuf>,
    /// Edit spec listing shots with trims and transitions (TOML; JSON when it ends in .json):
    /// docs/concat.md#the-edit-spec.
    #[arg(long, value_name = "FILE")]
    spec: Option<PathBuf>,
    /// The MP4 to write (named .mp4, .m4v or .mov; replaced atomically; never one of the
    /// shots).
    #[arg(short, long, value_name = "OUT", value_parser = super::mp4_output())]
    output: PathBuf,
    /// Output size when the video is normalised, WxH (default: the largest clip's); a size other
    /// than the shots' forces the normalise path.
    #[arg(long, value_name = "WxH", value_parser = cutroom::picture::size::parse_frame)]
    size: Option<(u32, u32)>,
    /// Output frame rate when the video is normalised, e.g. 30 or 30000/1001 (default: the rate
    /// most of the cut plays at, the higher on a tie); a rate other than the shots' forces the
    /// normalise path.
    #[arg(long, value_name = "RATE", value_parser = plan::parse_rate)]
    fps: Option<Rational>,
    /// How a shot of another shape than the output fills its frame when the video is
    /// normalised: pad (scaled to fit inside, black bars around it) or crop (scaled to fill
    /// it, what sticks out cut off, centred); an assemble spec's conform.
    #[arg(long, value_name = "FIT", value_parser = |s: &str| s.parse::<plan::Conform>())]
    conform: Option<plan::Conform>,
    /// x264 quality when the video is re-encoded (0-51, lower is better).
    #[arg(long, value_name = "N", default_value_t = 20.0, value_parser = parse_crf)]
    crf: f32,
    /// x264 preset when the video is re-encoded.
    #[arg(long, value_name = "NAME", default_value = "veryfast", value_parser = clap::builder::PossibleValuesParser::new(cutroom::export::preset::X264_PRESETS))]
    preset: String,
    /// In copy mode, move trims that are not on a keyframe to the keyframe before (with a
    /// warning) instead of re-encoding.
    #[arg(long)]
    snap_keyframes: bool,
    /// Always re-encode the video, even when it could be copied.
    #[arg(long)]
    normalise: bool,
    /// Output audio sample rate in Hz.
    #[arg(long, value_name = "HZ", default_value_t = soundtrack::RATE, value_parser = clap::value_parser!(u32).range(8_000..=192_000))]
    audio_rate: u32,
    /// Output audio channels.
    #[arg(long, value_name = "N", default_value_t = soundtrack::CHANNELS, value_parser = clap::value_parser!(u16).range(1..=8))]
    audio_channels: u16,
    /// Explain the plan (path taken and why, every shot's trims and place) before working, on
    /// stdout (on stderr with --json).
    #[arg(long)]
    explain: bool,
    /// Print the JSON summary on stdout (docs/concat.md#the-report).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    loudness: LoudnessArgs,
    #[command(flatten)]
    provenance: ProvenanceArgs,
}

fn parse_crf(s: &str) -> std::result::Result<f32, String> {
    s.parse::<f32>()
        .ok()
        .filter(|c| (0.0..=51.0).contains(c))
        .ok_or_else(|| format!("'{s}' is not a CRF between 0 and 51"))
}

/// The `--json` report: the summary and the damaged packets decoding skipped.
#[derive(Serialize)]
struct Json<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    damaged_packets: Vec<Damaged>,
}

/// Join the shots; print the summary.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let spec = match &args.spec {
        Some(p) => EditSpec::load(p)?,
        None => EditSpec::from_files(&args.files),
    };
    let opts = Options {
        size: args.size,
        frame_rate: args.fps,
        fit: args.conform,
        crf: args.crf,
        preset: args.preset.clone(),
        snap_keyframes: args.snap_keyframes,
        normalise: args.normalise,
        sample_rate: args.audio_rate,
        channels: args.audio_channels,
        level: args.loudness.level(Level::Keep)?,
        ..Options::default()
    };
    concat::check_output(&spec, &args.output)?;
    let edit =
        Edit::of(spec.shot.iter().filter_map(|s| s.src.as_ref())).with_all(opts.level.step());
    let bars = Bars::new(global.quiet);
    let opts = Options {
        sign: args.provenance.signing(edit, &args.output, &bars)?,
        ..opts
    };
    let bar = Tally::new(&bars);
    if let Some(path) = &args.spec {
        for w in concat::card::undrawable(path, &spec.shot) {
            bar.warn(&w);
        }
    }
    bar.start("concat", 2 * spec.shot.len() as u64);
    let prepared = concat::prepare(&spec, &opts, &bar).map_err(|e| match &args.spec {
        Some(path) => specfile::in_spec(path, e),
        None => e,
    })?;
    let summary = Summary::of(&prepared.plan, &args.output);
    for w in &summary.warnings {
        eprintln!("cutroom: warning: {w}");
    }
    if args.explain {
        let text = explain(&summary);
        if args.json {
            eprint!("{text}");
        } else {
            outln!("{}", text.trim_end_matches('\n'));
        }
    }
    let loudness = concat::execute(prepared, &opts, &args.output, &bar)?;
    bar.finish(None);
    // Said of the output written (a run that fails says only why).
    for n in summary.audio_notes() {
        bar.note(&n);
    }
    let mut summary = summary;
    summary.audio.loudness = loudness;
    for w in bar.warnings() {
        if !summary.warnings.contains(&w) {
            summary.warnings.push(w);
        }
    }
    if args.json {
        print_json(&Json {
            summary: &summary,
            damaged_packets: bar.damaged_packets(),
        });
    } else {
        outln!(
            "{}: {} shot{}, {:.3} s, video {} ({} {} {} fps), audio aac {} Hz {} ch",
            args.output.display(),
            summary.shots.len(),
            if summary.shots.len() == 1 { "" } else { "s" },
            summary.duration_s,
            if summary.path == VideoPath::Copy {
                "copied"
            } else {
                "normalised"
            },
            summary.video.codec,
            summary.video.size(),
            summary.video.frame_rate,
            summary.audio.sample_rate,
            summary.audio.channels
        );
        if let Some(l) = &summary.audio.loudness {
            outln!("  {}", audio_args::levels(l, summary.duration_s));
        }
    }
    Ok(exit::OK)
}

/// The human-readable plan printed by `--explain`.
fn explain(s: &Summary) -> String {
    let mut out = format!("path: {}\n", s.path);
    for r in &s.reasons {
        out += &format!("  because {r}\n");
    }
    for w in &s.warnings {
        out += &format!("  warning: {w}\n");
    }
    out += &format!(
        "output: {} {} {} {} fps (time base {}), aac {} Hz {} ch, {:.3} s = {} ticks = {} \
         samples\n",
        s.output.as_deref().unwrap_or_default(),
        s.video.codec,
        s.video.size(),
        s.video.frame_rate,
        s.video.time_base,
        s.audio.sample_rate,
        s.audio.channels,
        s.duration_s,
        s.duration_ticks,
        s.samples
    );
    for (i, sh) in s.shots.iter().enumerate() {
        out += &format!(
            "  {:>3} {}  source {:.3}-{:.3} s  at {:.3} s for {:.3} s ({} ticks, samples {}+{}), \
             audio {}, then {}{}\n",
            i + 1,
            sh.src,
            sh.in_s,
            sh.out_s,
            sh.start_s,
            sh.duration_s,
            sh.duration_ticks,
            sh.start_sample,
            sh.samples,
            sh.audio,
            sh.transition,
            sh.transition_s
                .map(|d| format!(" {d:.3} s"))
                .unwrap_or_default()
        );
    }
    out
}
