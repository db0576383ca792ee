//! `cutroom duck VIDEO --music FILE -o OUT`.

use super::audio_args::{run_warnings, summary, LoudnessArgs, PlaceArgs, Written};
use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::Global;
use cutroom::audio::duck::{duck, DuckFiles, DuckOptions};
use cutroom::audio::fit::Fit;
use cutroom::audio::sidechain::{check_music_gain, check_threshold, DuckShape, Threshold};
use cutroom::audio::soundtrack::Level;
use cutroom::error::exit;
use cutroom::progress::Tally;
use cutroom::provenance::{Edit, Step};
use cutroom::{Error, Result};
use std::path::PathBuf;

/// Arguments of `cutroom duck`.
#[derive(clap::Args)]
pub struct Args {
    /// The clip: its picture is copied bit for bit; its audio is the voice unless --voice.
    video: PathBuf,
    /// The music bed: WAV, MP3, AAC/M4A, FLAC, Ogg Vorbis, or anything FFmpeg decodes.
    #[arg(long, value_name = "FILE")]
    music: PathBuf,
    /// Use this file as the voice (sidechain and dialogue) instead of the clip's own audio.
    #[arg(long, value_name = "FILE")]
    voice: Option<PathBuf>,
    /// Output MP4 (named .mp4, .m4v or .mov).
    #[arg(short, long, value_name = "OUT", value_parser = super::mp4_output())]
    output: PathBuf,
    /// Level of the music bed, dB, applied before ducking (0: as the file is; -60 to 60), as
    /// a cut spec's `[music] gain`: lowers music already mastered loud.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true, value_name = "DB", value_parser = parse_gain)]
    gain: f64,
    /// Music gain while the voice speaks, dB.
    #[arg(long, default_value_t = -12.0, allow_hyphen_values = true, value_name = "DB")]
    depth: f64,
    /// Time for the music to go down to the depth, ms.
    #[arg(long, default_value_t = 50.0, value_name = "MS")]
    attack: f64,
    /// Time for the music to come back up after speech (and the hold), ms.
    #[arg(long, default_value_t = 300.0, value_name = "MS")]
    release: f64,
    /// How long before speech starts the dip begins, ms.
    #[arg(long, default_value_t = 100.0, value_name = "MS")]
    lookahead: f64,
    /// How long after speech the dip holds before releasing (bridges pauses), ms.
    #[arg(long, default_value_t = 150.0, value_name = "MS")]
    hold: f64,
    /// Speech threshold: `auto` (from the voice's level distribution) or a level in dBFS
    /// (RMS over 10 ms, after a 100 Hz high-pass).
    #[arg(long, value_name = "auto|DBFS", default_value = "auto", allow_hyphen_values = true, value_parser = parse_threshold)]
    threshold: Threshold,
    /// Also write the stems into this directory (created when missing): voice.wav, music.wav
    /// (ducked), mix.wav (exactly what was encoded, after loudness) and gain.wav (the music
    /// gain, linear, mono), 48 kHz 32-bit float.
    #[arg(long, value_name = "DIR")]
    stems: Option<PathBuf>,
    #[command(flatten)]
    place: PlaceArgs,
    #[command(flatten)]
    loudness: LoudnessArgs,
    #[command(flatten)]
    provenance: ProvenanceArgs,
    /// Print the JSON report on stdout ([docs/audio.md](audio.md#swap-and-duck---json)).
    #[arg(long)]
    json: bool,
}

fn parse_threshold(s: &str) -> std::result::Result<Threshold, String> {
    if s == "auto" {
        return Ok(Threshold::Auto);
    }
    let db = s
        .parse::<f64>()
        .map_err(|_| format!("expected auto or a level in dBFS (-120 to 0), not {s:?}"))?;
    check_threshold(db, "--threshold")
}

fn parse_gain(s: &str) -> std::result::Result<f64, String> {
    let db = s
        .parse::<f64>()
        .map_err(|_| format!("expected a gain in dB (-60 to 60), not {s:?}"))?;
    check_music_gain(db, "--gain")
}

/// Duck, mix, write, and report on stdout.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let shape = DuckShape {
        depth_db: args.depth,
        attack_ms: args.attack,
        release_ms: args.release,
        lookahead_ms: args.lookahead,
        hold_ms: args.hold,
    };
    shape.check("--").map_err(Error::Usage)?;
    let level = args.loudness.level(Level::Limit(args.loudness.ceiling()))?;
    let sources = [Some(&args.video), Some(&args.music), args.voice.as_ref()];
    let ducked = Step::new(
        "c2pa.filtered",
        format!("music ducked to {} dB under speech", args.depth),
    );
    let edit = Edit::of(sources.into_iter().flatten())
        .with_all([ducked])
        .with_all(level.step());
    let bars = Bars::new(global.quiet);
    let tally = Tally::new(&bars);
    let opts = DuckOptions {
        placement: args.place.placement(Fit::Loop)?,
        fade_out: args.place.fade_out_frames(),
        threshold: args.threshold,
        gain_db: args.gain,
        shape,
        level,
        sign: args.provenance.signing(edit, &args.output, &tally)?,
    };
    let files = DuckFiles {
        video: &args.video,
        music: &args.music,
        voice: args.voice.as_deref(),
        out: &args.output,
        stems: args.stems.as_deref(),
    };
    let report = duck(&files, &opts, &tally)?;
    let warnings = run_warnings(&tally, &args.place, level, &report.soundtrack);
    if args.json {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            #[serde(flatten)]
            written: Written,
            speech_threshold_dbfs: f64,
            speech: Vec<[f64; 2]>,
            stems: &'a [PathBuf],
        }
        super::print_json(&Json {
            written: Written::of(
                &args.output,
                &report.soundtrack,
                report.fitted,
                report.audio_changed.clone(),
                warnings,
            ),
            speech_threshold_dbfs: report.threshold_dbfs,
            speech: report.speech.iter().map(|&(a, b)| [a, b]).collect(),
            stems: &report.stems,
        });
        return Ok(exit::OK);
    }
    outln!("{}", summary(&args.output, &report.soundtrack));
    if report.speech.is_empty() {
        // An automatic threshold over a silent voice is no level at all: do not print one.
        match args.threshold {
            Threshold::Auto => outln!("  no speech heard in the voice: the music is not ducked"),
            Threshold::Dbfs(_) => outln!(
                "  no speech above the threshold ({:.1} dBFS): the music is not ducked",
                report.threshold_dbfs
            ),
        }
    } else {
        outln!(
            "  speech threshold {:.1} dBFS, {} speech segment(s): {}",
            report.threshold_dbfs,
            report.speech.len(),
            report
                .speech
                .iter()
                .map(|(a, b)| format!("{a:.2}-{b:.2} s"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for s in &report.stems {
        outln!("  stem {}", s.display());
    }
    Ok(exit::OK)
}
