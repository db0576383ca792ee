//! `cutroom swap VIDEO --audio FILE -o OUT`.

use super::audio_args::{run_warnings, summary, LoudnessArgs, PlaceArgs, Written};
use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::Global;
use cutroom::audio::fit::Fit;
use cutroom::audio::soundtrack::Level;
use cutroom::audio::swap::{swap, SwapOptions};
use cutroom::error::exit;
use cutroom::progress::Tally;
use cutroom::provenance::Edit;
use cutroom::Result;
use std::path::PathBuf;

/// Arguments of `cutroom swap`.
#[derive(clap::Args)]
pub struct Args {
    /// The clip whose picture is kept (copied bit for bit).
    video: PathBuf,
    /// The new soundtrack: WAV, MP3, AAC/M4A, FLAC, Ogg Vorbis, or anything FFmpeg decodes.
    #[arg(long, value_name = "FILE")]
    audio: PathBuf,
    /// Output MP4 (named .mp4, .m4v or .mov).
    #[arg(short, long, value_name = "OUT", value_parser = super::mp4_output())]
    output: PathBuf,
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

/// Replace the soundtrack and report the result on stdout.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let placement = args.place.placement(Fit::Pad)?;
    let level = args.loudness.level(Level::Keep)?;
    let edit = Edit::of([&args.video, &args.audio]).with_all(level.step());
    let bars = Bars::new(global.quiet);
    let tally = Tally::new(&bars);
    let opts = SwapOptions {
        placement,
        fade_out: args.place.fade_out_frames(),
        level,
        sign: args.provenance.signing(edit, &args.output, &tally)?,
    };
    let swapped = swap(&args.video, &args.audio, &args.output, &opts, &tally)?;
    let finished = swapped.soundtrack;
    let warnings = run_warnings(&tally, &args.place, level, &finished);
    if args.json {
        let changed = Vec::from_iter(swapped.audio_changed);
        let written = Written::of(&args.output, &finished, swapped.fitted, changed, warnings);
        super::print_json(&written);
    } else {
        outln!("{}", summary(&args.output, &finished));
    }
    Ok(exit::OK)
}
