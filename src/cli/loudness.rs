//! `cutroom loudness FILE... [--json]`.

use super::{print_json, Global};
use cutroom::audio::load;
use cutroom::error::exit;
use cutroom::loudness::{measure, LoudnessReport};
use cutroom::Result;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Arguments of `cutroom loudness`.
#[derive(clap::Args)]
pub struct Args {
    /// Audio or video files to measure (the first audio stream of each).
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
}

/// One entry of `files[]`: a measurement, or the error for that file.
#[derive(Serialize)]
#[serde(untagged)]
enum Entry {
    Ok(Measured),
    Err { path: String, error: String },
}

fn measure_file(path: &Path) -> Result<Measured> {
    let pcm = load::load(path)?;
    Ok(Measured {
        path: path.display().to_string(),
        sample_rate: pcm.rate,
        channels: pcm.channels,
        duration_s: pcm.frames() as f64 / f64::from(pcm.rate),
        loudness: measure(&pcm)?,
    })
}

/// Measure every file; report all of them, exit 1 if any failed.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let bar = cutroom::progress::bar(args.files.len() as u64, "loudness", global.quiet);
    let mut entries = Vec::new();
    let mut failed = false;
    for path in &args.files {
        bar.set_message(path.display().to_string());
        let m = measure_file(path);
        bar.inc(1);
        match m {
            Ok(m) => entries.push(Entry::Ok(m)),
            Err(e) => {
                failed = true;
                eprintln!("cutroom: error: {e}");
                entries.push(Entry::Err {
                    path: path.display().to_string(),
                    error: e.to_string(),
                });
            }
        }
    }
    bar.finish_and_clear();
    if args.json {
        #[derive(Serialize)]
        struct Report<'a> {
            files: &'a [Entry],
        }
        print_json(&Report { files: &entries });
    } else {
        for e in &entries {
            if let Entry::Ok(m) = e {
                print_line(m);
            }
        }
    }
    Ok(if failed { exit::ERROR } else { exit::OK })
}

fn print_line(m: &Measured) {
    let v = |x: Option<f64>, unit: &str| {
        x.map(|x| format!("{x:6.1} {unit}"))
            .unwrap_or_else(|| format!("{:>6} {unit}", "-"))
    };
    let l = &m.loudness;
    println!(
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
        if l.is_silent() { "  silent" } else { "" },
    );
}
