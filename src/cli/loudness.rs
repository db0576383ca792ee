//! `cutroom loudness FILE... [--json]`.

use super::bars::Bars;
use super::{for_each_file, print_files, Global};
use cutroom::audio::load;
use cutroom::audio::loudness::{measure, LoudnessReport};
use cutroom::error::exit;
use cutroom::progress::{Progress, Tally};
use cutroom::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arguments of `cutroom loudness`.
#[derive(clap::Args)]
pub struct Args {
    /// Audio or video files to measure (of several audio tracks, the default one, as the other
    /// commands read them).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print the stable JSON report (`files[]`) instead of a table.
    #[arg(long)]
    json: bool,
}

/// One measured file.
#[derive(Serialize)]
struct Measured {
    path: String,
    sample_rate: u32,
    channels: u16,
    duration_s: f64,
    #[serde(flatten)]
    loudness: LoudnessReport,
    damaged_packets: u64,
    /// What was said on stderr about the file (the audio tracks left out).
    warnings: Vec<String>,
}

fn measure_file(path: &Path, progress: &dyn Progress) -> Result<Measured> {
    let tally = Tally::new(progress);
    let pcm = load::load(path, &tally)?;
    Ok(Measured {
        path: path.display().to_string(),
        sample_rate: pcm.rate,
        channels: pcm.channels,
        duration_s: pcm.frames() as f64 / f64::from(pcm.rate),
        loudness: measure(&pcm)?,
        damaged_packets: tally.damaged_packets().iter().map(|d| d.packets).sum(),
        warnings: tally.warnings(),
    })
}

/// Measure every file; report all of them, exit 1 if any failed.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let bar = Bars::new(global.quiet);
    bar.start("loudness", args.files.len() as u64);
    let entries = for_each_file(&args.files, |_, path| {
        bar.status(&path.display().to_string());
        let m = measure_file(path, &bar);
        bar.advance(1);
        m
    });
    bar.finish(None);
    let failed = print_files(&entries, args.json, print_line);
    Ok(if failed { exit::ERROR } else { exit::OK })
}

fn print_line(m: &Measured) {
    let v = |x: Option<f64>, unit: &str| {
        x.map(|x| format!("{x:6.1} {unit}"))
            .unwrap_or_else(|| format!("{:>6} {unit}", "-"))
    };
    let l = &m.loudness;
    outln!(
        "{}\n  integrated {}  range {}  true peak {}  max short-term {}  max momentary {}  ({} Hz, {} ch, {:.3} s){}",
        m.path,
        v(l.integrated_lufs, "LUFS"),
        v(l.loudness_range_lu, "LU"),
        v(l.true_peak_dbtp, "dBTP"),
        v(l.max_short_term_lufs, "LUFS"),
        v(l.max_momentary_lufs, "LUFS"),
        m.sample_rate,
        m.channels,
        m.duration_s,
        match l.is_silent() {
            true => format!("  {}", LoudnessReport::unmeasured(m.duration_s)),
            false => String::new(),
        },
    );
}
