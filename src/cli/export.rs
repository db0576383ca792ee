//! `cutroom export IN --preset NAME... [-o DIR]`.

use super::bars::Bars;
use super::provenance_args::ProvenanceArgs;
use super::{print_json, Global};
use cutroom::captions::style::Overlays;
use cutroom::captions::Captions;
use cutroom::error::exit;
use cutroom::export::cover::Cover;
use cutroom::export::edit::{export_edited, Edit};
use cutroom::export::faces::Followed;
use cutroom::export::preset::PresetBook;
use cutroom::export::reframe::{Fit, Focus, FocusChoice, Reframe};
use cutroom::export::{default_out_dir, export, video_length_ns, EncoderThreads, Request};
use cutroom::picture::rgb::Rgb;
use cutroom::provenance;
use cutroom::timeline::spec::{MAX_SPEED, MIN_SPEED};
use cutroom::timeline::{Card, TimeSpec};
use cutroom::Result;
use std::path::PathBuf;

/// Arguments of `cutroom export`.
#[derive(clap::Args)]
pub struct Args {
    /// The master to export.
    input: PathBuf,
    /// An output format (repeatable): tiktok, reels, shorts, feed45, square, youtube, x, or a
    /// preset from --presets.
    #[arg(long = "preset", short = 'p', required = true, value_name = "NAME")]
    presets: Vec<String>,
    /// Output directory (created when missing); outputs are named `<stem>.<preset>.mp4`.
    /// Default: the input's directory.
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// A TOML file of extra presets (same keys as the built-ins; `base = "reels"` inherits).
    #[arg(long = "presets", value_name = "FILE")]
    preset_file: Option<PathBuf>,
    /// How a picture of another shape fills the frame: crop (fill), pad (bars) or blur
    /// (the whole picture over a blurred copy of itself): docs/export.md#reframing.
    #[arg(long, value_name = "crop|pad|blur", default_value = "blur", value_parser = parse::<Fit>)]
    fit: Fit,
    /// Centre of the crop window as X,Y fractions of the picture (0,0 top left), or `auto`
    /// (with --fit crop: keep the faces in frame, else follow the centre of motion, smoothed).
    #[arg(long, value_name = "X,Y|auto", default_value = "0.5,0.5", value_parser = parse::<FocusChoice>)]
    focus: FocusChoice,
    /// Bar colour for --fit pad: a CSS colour name, #RRGGBB or #RGB.
    #[arg(long, value_name = "COLOR", default_value = "black", value_parser = Rgb::parse)]
    pad_color: Rgb,
    /// Write no audio track (by default the input's sound, or silence when it has none).
    #[arg(long)]
    no_audio: bool,
    /// Fail (exit 1, nothing written) when an output is longer, or shorter, than its platform
    /// allows, or over its preset's bit-rate cap; by default that is a warning on stderr and in
    /// the JSON.
    #[arg(long)]
    strict: bool,
    /// Override every preset's x264 speed preset (ultrafast ... veryslow).
    #[arg(long, value_name = "PRESET")]
    x264_preset: Option<String>,
    /// Write one frame (at 40 % of the clip) of each vertical output, half size, side by side
    /// and labelled, with the platform's UI zones shaded red, to this PNG.
    #[arg(long, value_name = "PNG")]
    safe_zones: Option<PathBuf>,
    /// Also write each output's cover picture, `<stem>.<preset>.jpg` (JPEG, the output's size),
    /// taken from that output's own frames as they are encoded (reframed, captions and overlays
    /// burned in): the frame at this time (`3.2`, `3.2s`, `96f`) or `auto`, the sharpest frame
    /// (highest variance of the luma's Laplacian) of the first third (when that is all black
    /// or one flat colour, of as many frames from the first with a picture). Without it, an
    /// earlier run's cover beside an output is removed.
    #[arg(long, value_name = "TIME|auto", value_parser = Cover::parse)]
    cover: Option<Cover>,
    /// Burn in these captions (.srt, .vtt, .ass, or .json words), placed clear of each
    /// preset's UI zones, and write them beside each output as `<stem>.<preset>.srt` and
    /// `.vtt` (docs/captions.md).
    #[arg(long, value_name = "FILE")]
    captions: Option<PathBuf>,
    /// Caption style, logo and text overlays: a TOML file of `[captions]`, `[logo]` and
    /// `[[text]]` tables (the cut.toml keys, docs/captions.md); `cutroom schema overlays`
    /// prints its schema.
    #[arg(long, value_name = "TOML")]
    overlays: Option<PathBuf>,
    /// Lay this PNG (with alpha) as a logo in the top-right corner, clear of the UI zones; with
    /// --overlays, in place of its `[logo]`'s file, placed and timed by that table's keys.
    #[arg(long, value_name = "PNG")]
    logo: Option<PathBuf>,
    /// Play the input this many times faster (0.25-4; below 1 slower), as a cut.toml shot's
    /// `speed`: nearest frame, the sound time-stretched at its pitch with its onsets on their
    /// samples; captions and sidecars follow.
    #[arg(long, value_name = "X", value_parser = parse_speed)]
    speed: Option<f64>,
    /// Retime the input to last exactly this long (`15s`, `450f`; the speed it implies must be
    /// 0.25-4), as --speed does and a shot's `fit`.
    #[arg(long, value_name = "TIME", value_parser = TimeSpec::parse, conflicts_with = "speed")]
    fit_to: Option<TimeSpec>,
    /// Hold the input's last frame this long after it (silent), as a shot's `freeze`.
    #[arg(long, value_name = "TIME", value_parser = TimeSpec::parse)]
    freeze: Option<TimeSpec>,
    /// A card before the video: the card keys of a cut.toml shot as an inline TOML table's
    /// body, e.g. 'text = "Sale", duration = "2s", transition = { kind = "fade", duration = 0.5 }'
    /// (image, color, text, style, duration, transition: between the card and the video;
    /// `image` relative to the working directory; `cutroom schema card` prints the keys'
    /// schema). Cards are silent; captions (in the input's time) move with the title card;
    /// --overlays times and --cover are on the output's timeline.
    #[arg(long, value_name = "CARD", value_parser = parse_card)]
    title_card: Option<Box<Card>>,
    /// A card after the video (the keys of --title-card).
    #[arg(long, value_name = "CARD", value_parser = parse_card)]
    end_card: Option<Box<Card>>,
    /// Print the JSON report (`outputs[]`, docs/export.md#the-report) instead of one line per
    /// output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    provenance: ProvenanceArgs,
}

fn parse_speed(s: &str) -> std::result::Result<f64, String> {
    let (lo, hi) = (MIN_SPEED, MAX_SPEED);
    s.parse::<f64>()
        .ok()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| format!("expected a speed from {lo} to {hi} (e.g. 1.5)"))
}

fn parse_card(s: &str) -> std::result::Result<Box<Card>, String> {
    Card::parse(s).map(Box::new)
}

fn parse<T: std::str::FromStr<Err = cutroom::Error>>(s: &str) -> std::result::Result<T, String> {
    s.parse().map_err(|e: cutroom::Error| e.to_string())
}

/// Export every preset; exit 0 when all outputs were written.
pub fn run(args: Args, global: &Global) -> Result<i32> {
    let book = match &args.preset_file {
        Some(f) => PresetBook::with_file(f)?,
        None => PresetBook::builtin(),
    };
    let presets = args
        .presets
        .iter()
        .map(|n| book.get(n).cloned())
        .collect::<Result<Vec<_>>>()?;
    // --logo wins over the overlays file's [logo] file; the table still places it.
    let overlays = Overlays::load(args.overlays.as_deref(), args.logo)?;
    let caption_file = args.captions.as_ref().or(overlays.captions.file.as_ref());
    let bars = Bars::new(global.quiet);
    let captions = match caption_file {
        Some(f) => Captions::load(f, Some(video_length_ns(&args.input)?), &bars)?,
        None => Captions::default(),
    };
    let out_dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.input));
    let sign = args
        .provenance
        .signing(provenance::Edit::of([&args.input]), &out_dir, &bars)?;
    let req = Request {
        out_dir,
        input: args.input,
        presets,
        reframe: Reframe {
            fit: args.fit,
            focus: match args.focus {
                FocusChoice::At(f) => f,
                FocusChoice::Auto => Focus::default(),
            },
            follow_motion: args.focus == FocusChoice::Auto,
            pad_color: args.pad_color,
        },
        audio: !args.no_audio,
        strict: args.strict,
        x264_preset: args.x264_preset,
        safe_zones: args.safe_zones,
        cover: args.cover,
        thumbnails: None,
        encoder_threads: EncoderThreads::Shared,
        reads: caption_file
            .into_iter()
            .chain(&args.overlays)
            .chain(&args.preset_file)
            .cloned()
            .collect(),
        captions,
        captions_from: caption_file.cloned(),
        overlays,
        sign,
    };
    let edit = Edit {
        speed: args.speed,
        fit: args.fit_to,
        freeze: args.freeze,
        title: args.title_card.map(|c| *c),
        end: args.end_card.map(|c| *c),
    };
    let report = match edit.is_empty() {
        true => export(&req, None, &bars)?,
        false => export_edited(&req, &edit, &bars)?,
    };
    if args.json {
        print_json(&report);
    } else {
        for o in &report.outputs {
            let follows = o.focus.map(|f| match f.followed {
                Followed::Faces => format!(
                    ", follows faces ({} at most, {:.0} % of frames)",
                    f.faces,
                    f.face_share * 100.0
                ),
                Followed::Motion => ", follows motion (no face seen)".into(),
            });
            outln!(
                "{}  {} {}x{} {:.3} fps {:.3} s {} kB ({}{}, audio {})",
                o.path,
                o.preset,
                o.width,
                o.height,
                o.fps,
                o.duration_s,
                o.bytes.div_ceil(1000),
                o.fit,
                follows.unwrap_or_default(),
                o.audio
            );
            if !o.sidecars.is_empty() {
                outln!("  captions: {}", o.sidecars.join(" "));
            }
            if let Some(c) = &o.cover {
                outln!("  cover: {c}");
            }
        }
        if let Some(p) = &report.safe_zones {
            outln!("{p}  safe zones");
        }
    }
    Ok(exit::OK)
}
