//! `export`: one master to many social deliverables in one pass.
//!
//! The input's video is decoded once; each output (preset) is a branch on its own thread with
//! its own frame-rate grid, filter graph, x264 encoder and writer, fed the same decoded frames
//! (shared, never copied) through a bounded channel. The soundtrack (the input's, or one the
//! caller makes) is made first, aligned to the picture, fitted to the output length and
//! AAC-encoded once per output length, so a long sound is let go before the encoders hold
//! their frames; it is then muxed without edit lists, advanced by the encoder delay (see
//! [`crate::avwrite`]).

mod branch;
pub mod cadence;
pub mod colour;
pub mod cover;
pub mod edit;
pub mod motion;
mod overlay;
pub mod preset;
pub mod reframe;
pub mod safezones;
pub mod square;

use crate::audio::soundtrack::{
    self, Level, Mastered, CHANNELS as AUDIO_CHANNELS, RATE as AUDIO_RATE,
};
use crate::avwrite::EncodedAudio;
use crate::captions::layout::Canvas;
use crate::captions::style::Overlays;
use crate::captions::{sidecar, Captions};
use crate::error::{Error, Result};
use crate::loudness::LoudnessTarget;
use crate::media;
use crate::output::{check_outputs, AtomicOutput, Batch, Planned};
use crate::pcm::{self, Pcm};
use crate::progress::Progress;
use crate::sheet::RgbImage;
use crate::time::{Instants, Ticks, TimeBase};
use crate::video_index::VideoIndex;
use branch::{Branch, Msg};
use cadence::{frame_count, Cadence};
use cover::Cover;
use cutroom_ffi::{
    encode_image, rescale, Decoder as _, ImageFormat, Input, MediaKind, Rational, StreamInfo,
    VideoDecoder, VideoEncoderConfig, VideoFrame,
};
use motion::Tracker;
use preset::Preset;
use reframe::{Fit, Reframe, Turn};
use serde::Serialize;
use square::SquarePixels;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Decoded frames a branch may fall behind the decoder (bounds memory, keeps branches close).
const QUEUE_FRAMES: usize = 8;

/// What to export.
#[derive(Debug, Clone)]
pub struct Request {
    /// The master.
    pub input: PathBuf,
    /// One output per preset, in this order.
    pub presets: Vec<Preset>,
    /// Directory for the outputs (created when missing): `<stem>.<preset>.mp4`.
    pub out_dir: PathBuf,
    /// How pictures of another shape are reframed.
    pub reframe: Reframe,
    /// Write an audio track (the input's, or silence when it has none).
    pub audio: bool,
    /// Fail, rather than warn, when an output is longer than its platform allows.
    pub strict: bool,
    /// Replace every preset's x264 speed preset.
    pub x264_preset: Option<String>,
    /// Write a safe-zone sheet of the vertical outputs to this PNG.
    pub safe_zones: Option<PathBuf>,
    /// Times from the first frame at which to keep a picture of the input, taken from the one
    /// decode: the first frame at or after each time, fitted into [`THUMBNAIL_BOX`] pixels (a
    /// contact sheet's thumbnails).
    pub thumbnails: Option<Instants>,
    /// Captions to burn in (times from the first frame), each output also getting them as
    /// sidecar `<stem>.<preset>.srt` and `.vtt`.
    pub captions: Captions,
    /// Caption style, logo and text overlays.
    pub overlays: Overlays,
    /// Write each deliverable's cover picture, this frame (`None`: no cover).
    pub cover: Option<Cover>,
    /// Other files the export reads (a caption or overlays file, card images): like the input
    /// and the logo, refused as outputs before anything is written.
    pub reads: Vec<PathBuf>,
}

/// The result of an export (the `--json` document).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The input path as given.
    pub input: String,
    /// One entry per output, in preset order.
    pub outputs: Vec<Exported>,
    /// The safe-zone sheet, when asked for.
    pub safe_zones: Option<String>,
    /// The pictures asked for by [`Request::thumbnails`], in order.
    #[serde(skip)]
    pub thumbnails: Vec<RgbImage>,
}

/// Thumbnails fit in a square of this many pixels.
pub const THUMBNAIL_BOX: u32 = 320;

/// One written output.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// Where it was written.
    pub path: String,
    /// Preset name.
    pub preset: String,
    /// The preset's platform.
    pub platform: String,
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Frame rate, `num/den`.
    pub frame_rate: String,
    /// Frame rate as a number.
    pub fps: f64,
    /// Video frames.
    pub frames: u64,
    /// Duration in seconds (frames / rate).
    pub duration_s: f64,
    /// File size in bytes.
    pub bytes: u64,
    /// Fit mode (`crop`, `pad`, `blur`).
    pub fit: &'static str,
    /// The FFmpeg filter graph that reframed the picture, replayable with the ffmpeg CLI on the
    /// input (for an anamorphic source it starts by making the pixels square).
    pub filter: String,
    /// `source` (the input's sound), `silent` (the input has none) or `none` (`--no-audio`).
    pub audio: &'static str,
    /// Integrated loudness target of the preset, LUFS.
    pub loudness_target_lufs: f64,
    /// True-peak ceiling of the preset, dBTP.
    pub true_peak_target_dbtp: f64,
    /// Delivery warnings (e.g. longer than the platform allows).
    pub warnings: Vec<String>,
    /// The sidecar captions written beside it (`.srt`, `.vtt`), when it has captions.
    pub sidecars: Vec<String>,
    /// Its cover picture (`<name>.<preset>.jpg`, a JPEG of its size), when asked for.
    pub cover: Option<String>,
}

/// One output being planned: preset, grid, path and warnings.
struct Plan {
    preset: Preset,
    target: PathBuf,
    rate: Rational,
    frames: u64,
    /// Source time base and nominal rate (for the frame-rate grid).
    time_base: Rational,
    src_rate: Rational,
    warnings: Vec<String>,
}

/// A soundtrack the caller gives instead of the input's, so one built in memory need not be
/// written and re-read. An export with sound ([`Request::audio`]) calls it once, before any
/// picture is encoded (the sound is let go before the encoders fill their buffers). It returns
/// the sound mastered and encoded (48 kHz stereo, sample 0 at the first frame), which is
/// written as it is, not brought to the presets' loudness targets; outputs of its exact length
/// carry its AAC as encoded (no second encode).
pub type GivenSoundtrack<'a> = Box<dyn FnOnce() -> Result<Mastered> + Send + 'a>;

/// Export `req.input` to every preset of `req`, with `given` as the soundtrack when there is
/// one (else the input's own sound, or silence); the frames encoded are counted in `progress`.
pub fn export(
    req: &Request,
    given: Option<GivenSoundtrack<'_>>,
    progress: &dyn Progress,
) -> Result<Report> {
    let (report, files) = export_staged(req, given, progress)?;
    files.commit()?;
    Ok(report)
}

/// As [`export`], leaving every output complete at its temp path in the returned batch, for a
/// caller that moves them into place with its own files (the report names the final paths).
pub fn export_staged(
    req: &Request,
    given: Option<GivenSoundtrack<'_>>,
    progress: &dyn Progress,
) -> Result<(Report, Batch)> {
    check_request(req)?;
    let input = media::open(&req.input)?;
    let v = input
        .best_stream(MediaKind::Video)
        .ok_or_else(|| Error::bad_input(&req.input, "no video stream to export"))?;
    let info = input.streams()[v].clone();
    let audio_kind = match (req.audio, input.best_stream(MediaKind::Audio)) {
        (false, _) => "none",
        (true, _) if given.is_some() => "given",
        (true, Some(_)) => "source",
        (true, None) => "silent",
    };
    let picture = PictureInfo {
        time_base: info.time_base,
        rates: [info.real_frame_rate, info.avg_frame_rate],
        start_time: info.start_time,
        duration: video_duration(&req.input, &info)?,
        turn: Turn::from_rotation(info.rotation),
    };
    let square = SquarePixels::new(&info, &req.input)?;
    let sound = given.map_or(Sound::Input, Sound::Given);
    drop(input);
    // Each wave of encodes decodes the file again (see [`waves`]).
    let source = Source::Replayable(Box::new(|fanout: &mut Fanout<'_>| {
        decode(media::open(&req.input)?, v, fanout)
    }));
    run(req, &picture, square, audio_kind, sound, progress, source)
}

/// Pictures made elsewhere (on another thread), handed to [`export_frames`] instead of decoded
/// from [`Request::input`], which then only names the outputs and errors.
pub struct FrameFeed {
    /// The frames in presentation order, upright with square pixels, pts in `time_base`; an
    /// `Err` stops the export with that error. The export ends when the sender hangs up.
    pub frames: Receiver<Result<VideoFrame>>,
    /// Time base of the frames' pts.
    pub time_base: TimeBase,
    /// Their frame rate.
    pub frame_rate: Rational,
    /// Their total length in `time_base` ticks.
    pub duration: Ticks,
}

/// The sound of a [`FrameFeed`]'s export.
pub enum FeedSound<'a> {
    /// Mastered and encoded by the caller (see [`GivenSoundtrack`]), written as it is.
    Given(GivenSoundtrack<'a>),
    /// The feed's own sound (48 kHz stereo, sample 0 at the first frame), brought to each
    /// preset's loudness target as an input's own sound is; `silent` when its source has none.
    Own {
        /// The sound.
        pcm: Pcm,
        /// Its source has no sound (the report says `silent`).
        silent: bool,
    },
}

/// Export the pictures of `feed` (with `sound`, which `req.audio` needs) to every preset of
/// `req`, as [`export`] does a file's: a producer of decoded frames (a join that conforms its
/// shots) feeds the encoders directly, with no intermediate file or encode. The outputs are
/// left staged, as by [`export_staged`].
pub fn export_frames(
    req: &Request,
    feed: FrameFeed,
    sound: Option<FeedSound<'_>>,
    progress: &dyn Progress,
) -> Result<(Report, Batch)> {
    check_request(req)?;
    let (audio_kind, sound) = match (req.audio, sound) {
        (false, _) => ("none", Sound::Input),
        (true, None) => {
            return Err(Error::Internal(
                "exporting a frame feed with sound needs its soundtrack".into(),
            ))
        }
        (true, Some(FeedSound::Given(g))) => ("given", Sound::Given(g)),
        (true, Some(FeedSound::Own { pcm, silent })) => {
            (if silent { "silent" } else { "source" }, Sound::Own(pcm))
        }
    };
    let picture = PictureInfo {
        time_base: feed.time_base.rational(),
        rates: [feed.frame_rate; 2],
        start_time: None,
        duration: feed.duration.0,
        turn: Turn::None,
    };
    let mut frames = Some(feed.frames);
    let source = Source::Once(Box::new(move |fanout: &mut Fanout<'_>| {
        forward(frames.take().expect("a feed makes one wave"), fanout)
    }));
    run(
        req,
        &picture,
        SquarePixels::none(),
        audio_kind,
        sound,
        progress,
        source,
    )
}

/// Export the pictures of a normalised join as they are made (on another thread), so they are
/// encoded once, by the export, rather than into a master first (see [`export_frames`]).
pub fn export_join(
    req: &Request,
    picture: crate::concat::NormalisedPicture,
    sound: Option<FeedSound<'_>>,
    progress: &dyn Progress,
) -> Result<(Report, Batch)> {
    let (tx, rx) = sync_channel(4);
    let feed = FrameFeed {
        frames: rx,
        time_base: picture.time_base(),
        frame_rate: picture.frame_rate(),
        duration: picture.duration(),
    };
    let input = req.input.clone();
    std::thread::scope(|s| {
        s.spawn(move || {
            let made = picture.run(&crate::progress::Silent, |frame| {
                // The export hung up: it failed and reports why.
                tx.send(Ok(frame.share()?))
                    .map_err(|_| Error::bad_input(&input, "the export stopped"))
            });
            if let Err(e) = made {
                let _ = tx.send(Err(e));
            }
        });
        export_frames(req, feed, sound, progress)
    })
}

/// Where an export's sound comes from.
enum Sound<'a> {
    /// The input file's own (silence when it has none).
    Input,
    /// Made by the caller, mastered and encoded.
    Given(GivenSoundtrack<'a>),
    /// Made by the caller, not levelled.
    Own(Pcm),
}

/// What an export needs to know of its pictures (the input's video stream, or a feed).
struct PictureInfo {
    /// Time base of the frames' pts.
    time_base: Rational,
    /// Frame rates in order of preference: the base rate, then the average.
    rates: [Rational; 2],
    /// The first frame's pts, when known (else the first frame's own).
    start_time: Option<i64>,
    /// Length in `time_base` ticks.
    duration: i64,
    /// The turn that shows the pictures upright.
    turn: Turn,
}

/// What hands every picture to a [`Fanout`] (on the export's own thread); `Ok(false)` when a
/// branch hung up.
type Feed<'a> = Box<dyn FnMut(&mut Fanout<'_>) -> Result<bool> + 'a>;

/// Where an export's pictures come from.
enum Source<'a> {
    /// A file, decoded again for each wave of encodes.
    Replayable(Feed<'a>),
    /// Pictures made once (a [`FrameFeed`]): every encode runs in one wave.
    Once(Feed<'a>),
}

/// Pixels of output frames an export encodes at once (two 1080x1920 encodes); encodes beyond
/// wait for a later wave over a replayable source. x264 holds about 75 bytes per pixel of its
/// frames at the presets' `veryfast` (about 150 MB for one 1080x1920 encode on one thread,
/// measured with the ffmpeg CLI), so TikTok, square and YouTube at once would take an export
/// of any length over 500 MB.
const WAVE_PIXELS: u64 = 2 * 1080 * 1920;

/// The jobs in runs encoded at once: consecutive jobs while their frames fit in
/// [`WAVE_PIXELS`] (at least one a wave); all of them in one run when the source plays once.
fn waves(jobs: &[Job], plans: &[Plan], replayable: bool) -> Vec<std::ops::Range<usize>> {
    let pixels = |j: &Job| {
        let p = &plans[j.outputs[0]].preset;
        u64::from(p.width) * u64::from(p.height)
    };
    let mut waves: Vec<std::ops::Range<usize>> = Vec::new();
    let mut held = 0;
    for (i, job) in jobs.iter().enumerate() {
        match waves.last_mut() {
            Some(w) if !replayable || held + pixels(job) <= WAVE_PIXELS => {
                w.end = i + 1;
                held += pixels(job);
            }
            _ => {
                waves.push(i..i + 1);
                held = pixels(job);
            }
        }
    }
    waves
}

/// The export of `picture`: the branches, the soundtrack (`sound`; its kind `audio_kind` for
/// the report), and `source` handing every picture to a [`Fanout`], once per wave of encodes
/// (see [`waves`]).
fn run(
    req: &Request,
    picture: &PictureInfo,
    mut square: SquarePixels,
    audio_kind: &'static str,
    sound: Sound<'_>,
    progress: &dyn Progress,
    source: Source<'_>,
) -> Result<(Report, Batch)> {
    let plans = plan(req, picture)?;
    let jobs = group(req, &plans);
    // Every output is moved into place together, once all are complete (by the caller).
    let mut batch = Batch::new();
    batch.make_dir(&req.out_dir)?;

    let total: u64 = jobs.iter().map(|j| j.cadence.total()).sum();
    progress.start("export", total);
    let turn = picture.turn;
    let anamorphic = square.graph().map(String::from);
    let burn = overlay::Burn::new(&req.captions, &req.overlays)?;
    let burns = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let lead = &plans[job.outputs[0]];
            let frame = overlay::Frame {
                canvas: Canvas {
                    width: lead.preset.width,
                    height: lead.preset.height,
                    zones: job
                        .outputs
                        .iter()
                        .flat_map(|&o| plans[o].preset.ui_zones.iter().copied())
                        .collect(),
                },
                rate: lead.rate,
                frames: lead.frames,
            };
            burn.as_ref().map(|b| b.graph(i, &frame)).transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    // The soundtracks first: the whole sound (230 MB of samples for ten minutes) is then never
    // resident beside the encoders' frames, and a bad one fails the export before it starts.
    let mut soundtracks = match req.audio {
        true => {
            progress.status("soundtrack");
            let tracks: Vec<Track> = jobs.iter().map(|j| j.track).collect();
            let made = encode_soundtracks(&req.input, sound, &tracks)?;
            made.into_iter().map(Some).collect()
        }
        false => vec![None; jobs.len()],
    };
    let (replayable, mut source) = match source {
        Source::Replayable(f) => (true, f),
        Source::Once(f) => (false, f),
    };
    let mut thumbnails = Vec::new();
    let mut branches = Vec::new();
    let mut waves_run = || -> Result<()> {
        for wave in waves(&jobs, &plans, replayable) {
            let threads = encoder_threads(wave.len());
            let first = wave.start == 0;
            let (decoded, ran) = std::thread::scope(|s| {
                let mut frame_txs = Vec::new();
                let mut handles = Vec::new();
                for (i, job) in jobs.iter().enumerate().take(wave.end).skip(wave.start) {
                    let (tx, rx) = sync_channel(QUEUE_FRAMES);
                    let soundtrack = std::mem::take(&mut soundtracks[i]);
                    let lead = &plans[job.outputs[0]];
                    let b = Branch {
                        targets: job
                            .outputs
                            .iter()
                            .map(|&i| plans[i].target.clone())
                            .collect(),
                        cadence: job.cadence.clone(),
                        encoder: encoder_config(&lead.preset, lead.rate, req, threads),
                        reframe: req.reframe,
                        turn,
                        snapshot_at: job.snapshot_at,
                        burn: burns[i].clone(),
                        cover: req
                            .cover
                            .map(|c| cover::Pick::of(c, job.cadence.total(), lead.rate)),
                    };
                    handles.push(s.spawn(move || branch::run(b, soundtrack, rx, progress)));
                    frame_txs.push(tx);
                }
                // Thumbnails are taken in the first wave.
                let wanted = req.thumbnails.as_ref().filter(|_| first);
                let mut fanout = Fanout {
                    senders: &frame_txs,
                    square: &mut square,
                    tracker: req.reframe.follow_motion.then(|| Tracker::new(turn)),
                    thumbs: Thumbnails::new(wanted, picture.time_base, &req.input),
                    period: match nominal_rate(&picture.rates) {
                        r if r.is_unknown() => 1,
                        r => rescale(1, r.invert(), picture.time_base).max(1),
                    },
                    origin: picture.start_time,
                    last: None,
                    input: &req.input,
                };
                let decoded = source(&mut fanout).map(|all| (all, fanout.thumbs.taken));
                if matches!(decoded, Ok((true, _))) {
                    for tx in &frame_txs {
                        // A branch that already failed reports its own error below.
                        let _ = tx.send(Msg::End);
                    }
                }
                drop(frame_txs);
                let ran: Vec<_> = handles
                    .into_iter()
                    .map(|h| h.join().expect("export branch panicked"))
                    .collect();
                (decoded, ran)
            });
            let (_, taken) = decoded?;
            if first {
                thumbnails = taken;
            }
            let failed = ran.iter().any(|r| !matches!(r, Ok(Some(_))));
            branches.extend(ran);
            if failed {
                break;
            }
        }
        Ok(())
    };
    let ran = waves_run();
    progress.finish(None);
    ran?;
    let mut errors = Vec::new();
    let mut finished = Vec::new();
    for r in branches {
        match r {
            Ok(Some(f)) => finished.push(f),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    Error::all(errors)?;
    let mut outputs = Vec::new();
    let mut panels = Vec::new();
    let mut files = Vec::new();
    for (job, f) in jobs.iter().zip(finished) {
        let jpeg = f
            .cover
            .as_ref()
            .map(|c| encode_image(c, ImageFormat::Jpeg))
            .transpose()?;
        for (&i, file) in job.outputs.iter().zip(f.outputs) {
            files.push((i, file));
            if let Some(jpeg) = &jpeg {
                let path = cover::path(&plans[i].target);
                let out = AtomicOutput::new(&path)?;
                std::fs::write(out.path(), jpeg).map_err(|e| Error::io(&path, e))?;
                batch.add(out);
            }
            let p = &plans[i];
            if let Some(frame) = &f.snapshot {
                panels.push((
                    i,
                    safezones::Panel {
                        label: format!("{} {}x{}", p.preset.name, p.preset.width, p.preset.height),
                        frame: frame.clone(),
                        zones: p.preset.ui_zones.clone(),
                    },
                ));
            }
            let filter = match &anamorphic {
                Some(g) => format!("{g},{}", f.filter),
                None => f.filter.clone(),
            };
            outputs.push((i, filter));
        }
    }
    outputs.sort_by_key(|(i, _)| *i);
    panels.sort_by_key(|(i, _)| *i);
    files.sort_by_key(|(i, _)| *i);
    files.into_iter().for_each(|(_, f)| batch.add(f));
    if !req.captions.cues.is_empty() {
        for p in &plans {
            let texts = [
                sidecar::srt(&req.captions, p.rate),
                sidecar::vtt(&req.captions, p.rate),
            ];
            for (path, text) in overlay::sidecars(&p.target).iter().zip(texts) {
                let out = AtomicOutput::new(path)?;
                std::fs::write(out.path(), text).map_err(|e| Error::io(path, e))?;
                batch.add(out);
            }
        }
    }
    let safe_zones = match &req.safe_zones {
        Some(path) => {
            let panels: Vec<_> = panels.into_iter().map(|(_, p)| p).collect();
            batch.add(safezones::write_sheet(path, &panels)?);
            Some(path.display().to_string())
        }
        None => None,
    };
    let outputs = outputs
        .into_iter()
        .map(|(i, filter)| {
            let file = batch.staged(&plans[i].target).unwrap_or(&plans[i].target);
            exported(req, &plans[i], file, &filter, audio_kind)
        })
        .collect::<Result<Vec<_>>>()?;
    let report = Report {
        input: req.input.display().to_string(),
        outputs,
        safe_zones,
        thumbnails,
    };
    Ok((report, batch))
}

/// The report entry of an output written to `file` (its temp path until committed).
fn exported(
    req: &Request,
    p: &Plan,
    file: &Path,
    filter: &str,
    audio: &'static str,
) -> Result<Exported> {
    let bytes = std::fs::metadata(file)
        .map_err(|e| Error::io(&p.target, e))?
        .len();
    Ok(Exported {
        path: p.target.display().to_string(),
        preset: p.preset.name.clone(),
        platform: p.preset.platform.clone(),
        width: p.preset.width,
        height: p.preset.height,
        frame_rate: p.rate.to_string(),
        fps: p.rate.as_f64(),
        frames: p.frames,
        duration_s: p.frames as f64 / p.rate.as_f64(),
        bytes,
        fit: req.reframe.fit.as_str(),
        filter: filter.to_string(),
        audio,
        loudness_target_lufs: p.preset.loudness_lufs,
        true_peak_target_dbtp: p.preset.true_peak_dbtp,
        warnings: p.warnings.clone(),
        sidecars: match req.captions.cues.is_empty() {
            true => Vec::new(),
            false => overlay::sidecars(&p.target)
                .iter()
                .map(|s| s.display().to_string())
                .collect(),
        },
        cover: req
            .cover
            .map(|_| cover::path(&p.target).display().to_string()),
    })
}

/// The soundtrack of an encode's outputs: the input's sound (or silence) cut or padded to
/// `samples`, delivered at a loudness target.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Track {
    samples: usize,
    loudness_lufs: f64,
    true_peak_dbtp: f64,
}

/// One encode: outputs whose pictures and encoder settings are identical share it.
struct Job {
    /// Indices into the plans.
    outputs: Vec<usize>,
    cadence: Cadence,
    /// The soundtrack its outputs carry.
    track: Track,
    snapshot_at: Option<u64>,
}

/// Group the plans into encodes. Outputs that differ only in platform limits and UI zones
/// (TikTok, Reels and Shorts) are encoded once and written several times; outputs at another
/// loudness target carry another soundtrack, so they are not the same encode.
fn group(req: &Request, plans: &[Plan]) -> Vec<Job> {
    let key = |p: &Plan| {
        let c = encoder_config(&p.preset, p.rate, req, 0);
        (
            (c.width, c.height, c.frame_rate, p.frames),
            (c.crf.to_bits(), c.preset, c.gop, c.max_bit_rate),
            (
                p.preset.loudness_lufs.to_bits(),
                p.preset.true_peak_dbtp.to_bits(),
            ),
        )
    };
    let mut jobs: Vec<(_, Job)> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let k = key(p);
        let snapshot = req.safe_zones.is_some() && p.preset.is_vertical();
        if let Some((_, job)) = jobs.iter_mut().find(|(jk, _)| *jk == k) {
            job.outputs.push(i);
            job.snapshot_at = job.snapshot_at.or(snapshot.then_some(p.frames * 2 / 5));
            continue;
        }
        let samples = rescale(
            p.frames as i64,
            p.rate.invert(),
            Rational::new(1, AUDIO_RATE as i32),
        ) as usize;
        jobs.push((
            k,
            Job {
                outputs: vec![i],
                cadence: Cadence::new(p.time_base, p.src_rate, p.rate, p.frames),
                track: Track {
                    samples,
                    loudness_lufs: p.preset.loudness_lufs,
                    true_peak_dbtp: p.preset.true_peak_dbtp,
                },
                snapshot_at: snapshot.then_some(p.frames * 2 / 5),
            },
        ));
    }
    jobs.into_iter().map(|(_, j)| j).collect()
}

/// Usage checks that need no media: presets given once, a vertical preset for safe zones.
fn check_request(req: &Request) -> Result<()> {
    if req.presets.is_empty() {
        return Err(Error::Usage("export needs at least one --preset".into()));
    }
    for (i, p) in req.presets.iter().enumerate() {
        if req.presets[..i].iter().any(|q| q.name == p.name) {
            return Err(Error::Usage(format!("preset `{}` is given twice", p.name)));
        }
    }
    if req.safe_zones.is_some() && !req.presets.iter().any(Preset::is_vertical) {
        return Err(Error::Usage(
            "--safe-zones draws vertical outputs; add a vertical preset (tiktok, reels, shorts, feed45)"
                .into(),
        ));
    }
    if let Some(p) = &req.safe_zones {
        if !p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) {
            return Err(Error::Usage(format!(
                "--safe-zones {}: the sheet is a PNG; give a file name ending in .png",
                p.display()
            )));
        }
    }
    if req.reframe.follow_motion && req.reframe.fit != Fit::Crop {
        return Err(Error::Usage(
            "--focus auto moves a crop window; use it with --fit crop".into(),
        ));
    }
    if let Some(x) = &req.x264_preset {
        if !preset::X264_PRESETS.contains(&x.as_str()) {
            return Err(Error::Usage(format!(
                "--x264-preset {x}: expected one of {}",
                preset::X264_PRESETS.join(", ")
            )));
        }
    }
    Ok(())
}

/// The length of `input`'s video in ns: the time captions on it must end by.
pub fn video_length_ns(input: &Path) -> Result<i64> {
    let file = media::open(input)?;
    let v = file
        .best_stream(MediaKind::Video)
        .ok_or_else(|| Error::bad_input(input, "no video stream to export"))?;
    let info = &file.streams()[v];
    let ticks = video_duration(input, info)?;
    Ok(rescale(
        ticks,
        info.time_base,
        Rational::new(1, crate::timeline::NANOS as i32),
    ))
}

/// The video stream's duration in its time base. When the container does not declare it
/// (Matroska, MPEG-TS), the stream's packets are indexed (not decoded) to find where it ends.
fn video_duration(path: &Path, info: &StreamInfo) -> Result<i64> {
    match info.duration {
        Some(d) => Ok(d),
        None => Ok(VideoIndex::scan(path)?.duration().0),
    }
}

/// The nominal frame rate: the first known of `rates` (see [`PictureInfo::rates`]); 0/0 when
/// none is.
fn nominal_rate(rates: &[Rational; 2]) -> Rational {
    rates
        .iter()
        .copied()
        .find(|r| !r.is_unknown())
        .unwrap_or(Rational::new(0, 0))
}

/// Output paths, grids and duration checks for every preset.
fn plan(req: &Request, picture: &PictureInfo) -> Result<Vec<Plan>> {
    let stem = req
        .input
        .file_stem()
        .ok_or_else(|| Error::bad_input(&req.input, "input path has no file name"))?
        .to_string_lossy()
        .into_owned();
    let mut plans = Vec::new();
    for p in &req.presets {
        let rate = p.frame_rate(&picture.rates);
        let frames = frame_count(picture.duration, picture.time_base, rate);
        let target = req.out_dir.join(format!("{stem}.{}.mp4", p.name));
        let secs = frames as f64 / rate.as_f64();
        let mut warnings = Vec::new();
        if secs > f64::from(p.max_duration_s) {
            let msg = format!(
                "{secs:.1} s is longer than {}'s limit of {} s",
                p.platform, p.max_duration_s
            );
            if req.strict {
                return Err(Error::bad_input(
                    &req.input,
                    format!("preset `{}`: {msg} (--strict)", p.name),
                ));
            }
            warnings.push(msg);
        }
        plans.push(Plan {
            preset: p.clone(),
            target,
            rate,
            frames,
            time_base: picture.time_base,
            src_rate: nominal_rate(&picture.rates),
            warnings,
        });
    }
    let sidecars: Vec<PathBuf> = match req.captions.cues.is_empty() {
        true => Vec::new(),
        false => plans
            .iter()
            .flat_map(|p| overlay::sidecars(&p.target))
            .collect(),
    };
    let covers: Vec<PathBuf> = plans
        .iter()
        .filter(|_| req.cover.is_some())
        .map(|p| cover::path(&p.target))
        .collect();
    let mut planned: Vec<Planned> = plans
        .iter()
        .map(|p| Planned::in_new_dir(&p.target))
        .chain(sidecars.iter().map(|p| Planned::in_new_dir(p)))
        .chain(covers.iter().map(|p| Planned::in_new_dir(p)))
        .collect();
    planned.extend(req.safe_zones.as_deref().map(Planned::file));
    let reads: Vec<&Path> = std::iter::once(req.input.as_path())
        .chain(req.reads.iter().map(PathBuf::as_path))
        .chain(req.overlays.logo.iter().map(|l| l.file.as_path()))
        .collect();
    check_outputs(&planned, &reads)?;
    Ok(plans)
}

/// The soundtrack of each of `tracks`, AAC-encoded once per distinct track: a given one
/// (already mastered) as it is, a track of another length cut from it and encoded; else the
/// caller's own sound or the input's (silence when it has none) mastered to the track's
/// loudness target, the input's decoded again for each distinct track rather than copied (no
/// second copy of a long sound is held).
fn encode_soundtracks(
    input: &Path,
    sound: Sound<'_>,
    tracks: &[Track],
) -> Result<Vec<EncodedAudio>> {
    let (mut held, given) = match sound {
        Sound::Given(make) => {
            let m = make()?;
            (Some(m.pcm), Some(m.encoded))
        }
        Sound::Own(pcm) => (Some(pcm), None),
        Sound::Input => (None, None),
    };
    let mut encoded: Vec<(Track, EncodedAudio)> = Vec::new();
    for (i, track) in tracks.iter().enumerate() {
        let made = |t: &Track, done: &[(Track, EncodedAudio)]| done.iter().any(|(d, _)| d == t);
        if made(track, &encoded) {
            continue;
        }
        let aac = match (&mut held, &given) {
            // A given soundtrack was mastered (and encoded) by the caller; outputs of its
            // length carry its AAC as it is.
            (Some(pcm), Some(aac)) if pcm.frames() == track.samples => aac.clone(),
            (held, _) => {
                let mut pcm = match held {
                    Some(pcm) => {
                        // The last track cut from it takes it (no copy of the whole is kept
                        // beside it).
                        let needed_later = tracks[i + 1..]
                            .iter()
                            .any(|t| t != track && !made(t, &encoded));
                        match needed_later {
                            true => pcm.clone(),
                            false => {
                                std::mem::replace(pcm, Pcm::silence(AUDIO_RATE, AUDIO_CHANNELS, 0))
                            }
                        }
                    }
                    None => pcm::decode_aligned(input, AUDIO_RATE, AUDIO_CHANNELS)?
                        .unwrap_or_else(|| Pcm::silence(AUDIO_RATE, AUDIO_CHANNELS, 0)),
                };
                pcm.fit(track.samples);
                match given {
                    Some(_) => EncodedAudio::encode(&pcm)?,
                    // The input's (or the feed's own) sound is brought to the preset's
                    // loudness target.
                    None => {
                        let level = Level::Normalize(LoudnessTarget {
                            integrated_lufs: track.loudness_lufs,
                            true_peak_db: track.true_peak_dbtp,
                        });
                        soundtrack::master(pcm, level)?.encoded
                    }
                }
            }
        };
        encoded.push((*track, aac));
    }
    Ok(tracks
        .iter()
        .map(|t| {
            let (_, a) = encoded.iter().find(|(d, _)| d == t).expect("encoded above");
            a.clone()
        })
        .collect())
}

/// Set by `cutroom batch`, which runs as many exports side by side as there are cores.
static ONE_THREAD_EACH: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on every encoder runs on one thread: exports side by side (one per core) then
/// never run more encoder threads than cores, and a deliverable is the same bytes whatever the
/// number of exports beside it (x264's output depends on its thread count).
pub fn one_thread_per_encoder() {
    ONE_THREAD_EACH.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// x264 threads per branch: one under [`one_thread_per_encoder`]; else automatic for one
/// output, and for several the cores (with x264's usual 1.5 threads per core) shared out, so
/// the encoders do not oversubscribe the machine.
fn encoder_threads(branches: usize) -> usize {
    if ONE_THREAD_EACH.load(std::sync::atomic::Ordering::Relaxed) {
        return 1;
    }
    if branches <= 1 {
        return 0;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 3).div_ceil(2 * branches).max(1)
}

fn encoder_config(p: &Preset, rate: Rational, req: &Request, threads: usize) -> VideoEncoderConfig {
    VideoEncoderConfig {
        width: p.width,
        height: p.height,
        frame_rate: rate,
        crf: p.crf,
        preset: req
            .x264_preset
            .clone()
            .unwrap_or_else(|| p.x264_preset.clone()),
        profile: "high".into(),
        gop: p.gop_frames(rate),
        max_bit_rate: Some(u64::from(p.max_kbps) * 1000),
        threads,
    }
}

/// Hands every picture of the source to every branch: with square pixels, pts counted from
/// the first frame, and its centre of motion when tracking; keeps the thumbnails asked for.
struct Fanout<'a> {
    senders: &'a [SyncSender<Msg>],
    square: &'a mut SquarePixels,
    tracker: Option<Tracker>,
    thumbs: Thumbnails<'a>,
    /// Ticks of one frame at the nominal rate (for a frame without pts).
    period: i64,
    /// The first frame's pts.
    origin: Option<i64>,
    last: Option<i64>,
    input: &'a Path,
}

impl Fanout<'_> {
    /// Send `frame` on; `Ok(false)` when a branch hung up (it failed and reports why).
    fn send(&mut self, frame: VideoFrame) -> Result<bool> {
        let pts = frame
            .pts()
            .unwrap_or_else(|| self.last.map_or(0, |l| l + self.period));
        self.last = Some(pts);
        let frame = self.square.convert(frame, self.input)?;
        let origin = *self.origin.get_or_insert(pts);
        self.thumbs.offer(&frame, pts - origin)?;
        let centre = match self.tracker.as_mut() {
            Some(t) => t.track(&frame)?,
            None => None,
        };
        let frame = Arc::new(frame);
        Ok(self.senders.iter().all(|tx| {
            tx.send(Msg::Frame(Arc::clone(&frame), pts - origin, centre))
                .is_ok()
        }))
    }
}

/// Decode stream `v` of `input` once into `fanout`. `Ok(false)` when a branch hung up.
fn decode(mut input: Input, v: usize, fanout: &mut Fanout<'_>) -> Result<bool> {
    let mut dec = VideoDecoder::new(&input, v, None)?;
    dec.decode_input(&mut input, |frame| fanout.send(frame))
}

/// Pass the frames of a [`FrameFeed`] into `fanout` until its producer hangs up. `Ok(false)`
/// when a branch hung up.
fn forward(frames: Receiver<Result<VideoFrame>>, fanout: &mut Fanout<'_>) -> Result<bool> {
    for frame in frames {
        if !fanout.send(frame?)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The pictures a decode keeps (see [`Request::thumbnails`]).
struct Thumbnails<'a> {
    /// Times still wanted, in the stream's time base from the first frame, latest first.
    wanted: Vec<i64>,
    taken: Vec<RgbImage>,
    input: &'a Path,
}

impl<'a> Thumbnails<'a> {
    fn new(wanted: Option<&Instants>, time_base: Rational, input: &'a Path) -> Self {
        let ticks = |w: &Instants| -> Vec<i64> {
            let from = w.time_base.rational();
            w.ticks
                .iter()
                .rev()
                .map(|t| rescale(t.0, from, time_base))
                .collect()
        };
        Self {
            wanted: wanted.map_or_else(Vec::new, ticks),
            taken: Vec::new(),
            input,
        }
    }

    /// Keep `frame` (at `pts` from the first frame) for every wanted time it reaches.
    fn offer(&mut self, frame: &VideoFrame, pts: i64) -> Result<()> {
        while self.wanted.last().is_some_and(|&t| pts >= t) {
            self.wanted.pop();
            let (w, h) = (frame.width().max(1), frame.height().max(1));
            let scale = f64::from(THUMBNAIL_BOX) / f64::from(w.max(h));
            let fit = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
            self.taken
                .push(RgbImage::from_frame(frame, fit(w), fit(h), self.input)?);
        }
        Ok(())
    }
}

/// The default output directory name for `input`: beside it.
pub fn default_out_dir(input: &Path) -> PathBuf {
    input
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
