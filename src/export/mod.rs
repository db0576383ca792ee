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
pub mod cover;
pub mod edit;
pub mod faces;
mod fanout;
pub mod motion;
mod overlay;
mod plan;
pub mod preset;
pub mod reframe;
pub mod safezones;
mod soundtracks;

use crate::audio::loudness::{LoudnessReport, LoudnessTarget, Shortfall};
use crate::audio::soundtrack::{Mastered, SoundFrom};
use crate::captions::layout::Canvas;
use crate::captions::style::Overlays;
use crate::captions::{sidecar, Captions};
use crate::error::{Error, Result, Several};
use crate::media;
use crate::output::{ensure_not_input, AtomicOutput, Batch};
use crate::pcm::Pcm;
use crate::picture::square::SquarePixels;
use crate::picture::turn::Turn;
use crate::progress::{Damaged, Progress, Tally, Warnings};
use crate::provenance::{Signing, Step};
use crate::sheet::RgbImage;
use crate::time::{Instants, Ticks, TimeBase};
use crate::video_index::VideoIndex;
use cover::Cover;
use cutroom_ffi::{encode_image, rescale, ImageFormat, MediaKind, Rational, VideoFrame};
use fanout::{decode, forward, Fanout, Source};
use plan::{check_request, group, plan, PictureInfo, Plan};
use preset::Preset;
use reframe::{picture_area, Fit, Reframe};
use serde::Serialize;
use soundtracks::{encode_soundtracks, Heard, Sound, Track};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};

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
    /// Fail, rather than warn, when an output is longer, or shorter, than its platform allows,
    /// or over its preset's bit-rate cap.
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
    /// The file `captions` were read from, when the export is to check that they can be read
    /// as shown: cues too brief are then a warning naming it, on stderr and in every output's
    /// report. `None` when the caller has checked them (a cut's, merged from several files).
    pub captions_from: Option<PathBuf>,
    /// Caption style, logo and text overlays.
    pub overlays: Overlays,
    /// Write each deliverable's cover picture, this frame (`None`: no cover).
    pub cover: Option<Cover>,
    /// Other files the export reads (a caption or overlays file, card images): like the input
    /// and the logo, refused as outputs before anything is written.
    pub reads: Vec<PathBuf>,
    /// Threads of each encoder.
    pub encoder_threads: EncoderThreads,
    /// Content Credentials for every output: the edit they come from, each output adding its
    /// reframing (and loudness) steps.
    pub sign: Signing,
}

impl Request {
    /// Every file the export reads: the input, [`Request::reads`] and the logo.
    fn read_paths(&self) -> Vec<&Path> {
        std::iter::once(self.input.as_path())
            .chain(self.reads.iter().map(PathBuf::as_path))
            .chain(self.overlays.logo.iter().filter_map(|l| l.file.as_deref()))
            .collect()
    }
}

/// How many threads each x264 encoder of an export runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EncoderThreads {
    /// Automatic for one output; for several, the cores shared out among the encoders.
    #[default]
    Shared,
    /// One each: for exports running side by side (one per core, as `cutroom batch` runs
    /// them), which then never run more encoder threads than cores, and whose deliverables are
    /// the same bytes whatever runs beside them (x264's output depends on its thread count).
    One,
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
    /// Packets the decoders skipped as damaged, per file and stream: the input's, or a joined
    /// export's shots'.
    pub damaged_packets: Vec<Damaged>,
}

/// Thumbnails fit in a square of this many pixels.
pub const THUMBNAIL_BOX: u32 = 320;

/// One written output.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    /// Where it was written, as text (a name that is not UTF-8 shows U+FFFD).
    pub path: String,
    /// Where it was written, byte for byte.
    #[serde(skip)]
    pub file: PathBuf,
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
    pub fit: Fit,
    /// The FFmpeg filter graph that reframed the picture, replayable with the ffmpeg CLI on the
    /// input (for an anamorphic source it starts by making the pixels square).
    pub filter: String,
    /// `source` (the input's sound), `silence` (the input has none), `given` (the caller's) or
    /// `none` (`--no-audio`).
    pub audio: SoundFrom,
    /// Integrated loudness target of the preset, LUFS.
    pub loudness_target_lufs: f64,
    /// True-peak ceiling of the preset, dBTP.
    pub true_peak_target_dbtp: f64,
    /// EBU R128 figures of its sound as encoded (the AAC decoded back); `None` without sound.
    pub loudness: Option<LoudnessReport>,
    /// Delivery warnings (e.g. longer than the platform allows).
    pub warnings: Vec<String>,
    /// The sidecar captions written beside it (`.srt`, `.vtt`), when it has captions.
    pub sidecars: Vec<String>,
    /// Its cover picture (`<name>.<preset>.jpg`, a JPEG of its size), when asked for.
    pub cover: Option<String>,
    /// What its moving window followed (`--focus auto` on a picture of another shape).
    pub focus: Option<faces::FocusReport>,
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
    if let Some(w) = media::tracks_not_carried(&input) {
        progress.warn(&w);
    }
    let audio_kind = match (req.audio, input.best_stream(MediaKind::Audio)) {
        (false, _) => SoundFrom::None,
        (true, _) if given.is_some() => SoundFrom::Given,
        (true, Some(_)) => {
            if let Some(w) = media::unused_audio(&input) {
                progress.warn(&w);
            }
            SoundFrom::Source
        }
        (true, None) => SoundFrom::Silence,
    };
    let picture = PictureInfo {
        time_base: TimeBase::new(info.time_base)
            .ok_or_else(|| Error::bad_input(&req.input, "the video stream has no time base"))?,
        rates: [info.real_frame_rate, info.avg_frame_rate],
        start_time: info.start_time.map(Ticks),
        duration: VideoIndex::scan(&req.input)?.duration(),
        turn: Turn::from_rotation(info.rotation),
        size: crate::probe::shown_size(&info),
    };
    let square = SquarePixels::new(&info, &req.input)?;
    let sound = given.map_or(Sound::Input, Sound::Given);
    drop(input);
    // Each wave of encodes decodes the file again (see [`fanout::encode`]).
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
    /// Their size.
    pub size: (u32, u32),
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
        /// Its source has no sound (the report says `silence`).
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
        (false, _) => (SoundFrom::None, Sound::Input),
        (true, None) => {
            return Err(Error::Internal(
                "exporting a frame feed with sound needs its soundtrack".into(),
            ))
        }
        (true, Some(FeedSound::Given(g))) => (SoundFrom::Given, Sound::Given(g)),
        (true, Some(FeedSound::Own { pcm, silent })) => {
            let from = match silent {
                true => SoundFrom::Silence,
                false => SoundFrom::Source,
            };
            (from, Sound::Own(pcm))
        }
    };
    let picture = PictureInfo {
        time_base: feed.time_base,
        rates: [feed.frame_rate; 2],
        start_time: None,
        duration: feed.duration,
        turn: Turn::None,
        size: feed.size,
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
        size: picture.size(),
    };
    let input = req.input.clone();
    // The pictures' progress is the export's; their damaged packets are the report's too.
    let tally = Tally::new(progress);
    let warnings = Warnings(&tally);
    let (mut report, files) = std::thread::scope(|s| {
        s.spawn(move || {
            let made = picture.run(&warnings, |frame| {
                // The export hung up: it failed and reports why.
                tx.send(Ok(frame.share()?))
                    .map_err(|_| Error::bad_input(&input, "the export stopped"))
            });
            if let Err(e) = made {
                let _ = tx.send(Err(e));
            }
        });
        export_frames(req, feed, sound, &tally)
    })?;
    report.damaged_packets = tally.damaged_packets();
    Ok((report, files))
}

/// The export of `picture`: the branches, the soundtrack (`sound`; its kind `audio_kind` for
/// the report), and `source` handing every picture to a [`Fanout`], once per wave of encodes
/// (see [`fanout::encode`]).
fn run(
    req: &Request,
    picture: &PictureInfo,
    mut square: SquarePixels,
    audio_kind: SoundFrom,
    sound: Sound<'_>,
    progress: &dyn Progress,
    source: Source<'_>,
) -> Result<(Report, Batch)> {
    let tally = Tally::new(progress);
    let progress = &tally;
    for w in req.overlays.undrawable() {
        progress.warn(&w);
    }
    let mut plans = plan(req, picture)?;
    // Said here; those of the burns (pushed to the plans below) as they are made.
    for p in &plans {
        for w in &p.warnings {
            progress.warn(&format!("{}: {w}", p.target.display()));
        }
    }
    let levelled = !matches!(sound, Sound::Given(_));
    let jobs = group(req, &plans);
    // Every output is moved into place together, once all are complete (by the caller).
    let mut batch = Batch::new();
    batch.make_dir(&req.out_dir)?;

    let total: u64 = jobs.iter().map(|j| j.cadence.total()).sum();
    progress.start("export", total);
    let anamorphic = square.graph().map(String::from);
    // Overlays no frame would show are refused before anything is said of them.
    for job in &jobs {
        let lead = &plans[job.outputs[0]];
        let overlays = &req.overlays;
        overlay::check_times(overlays, job.cadence.total(), lead.rate)
            .map_err(|m| Error::bad_input(overlays.file.as_deref().unwrap_or(&lead.target), m))?;
    }
    // Cues as shown, after any edit: said once, and in each output's report.
    let captions_from = req.captions_from.as_deref();
    if let Some(w) = captions_from.and_then(|f| req.captions.too_brief(f)) {
        progress.warn(&w);
        for p in &mut plans {
            p.warnings.push(w.clone());
        }
    }
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
                    picture: picture_area(
                        picture.size.0,
                        picture.size.1,
                        lead.preset.width,
                        lead.preset.height,
                        &req.reframe,
                    ),
                },
                rate: lead.rate,
                frames: lead.frames,
            };
            burn.as_ref().map(|b| b.graph(i, &frame)).transpose()
        })
        .collect::<Result<Vec<_>>>()?;
    // A text overlay that meets the captions: said once, and in each output's report.
    let mut said = Vec::new();
    let burns: Vec<Option<String>> = burns
        .into_iter()
        .zip(&jobs)
        .map(|(burn, job)| {
            let (graph, warnings) = burn?;
            for w in warnings {
                if !said.contains(&w) {
                    progress.warn(&w);
                }
                for &o in &job.outputs {
                    plans[o].warnings.push(w.clone());
                }
                said.push(w);
            }
            Some(graph)
        })
        .collect();
    // The soundtracks first: the whole sound (230 MB of samples for ten minutes) is then never
    // resident beside the encoders' frames, and a bad one fails the export before it starts.
    let soundtracks = match req.audio {
        true => {
            progress.status("soundtrack");
            let tracks: Vec<Track> = jobs.iter().map(|j| j.track).collect();
            let made = encode_soundtracks(&req.input, sound, &tracks, progress)?;
            // What the sound took is freed; without this glibc keeps much of it resident
            // beside the encoders.
            cutroom_ffi::release_free_memory();
            made.into_iter().map(Some).collect()
        }
        false => vec![None; jobs.len()],
    };
    // Each output's loudness as encoded.
    let mut heard = vec![None; plans.len()];
    for (job, track) in jobs.iter().zip(&soundtracks) {
        for &i in &job.outputs {
            heard[i] = track.as_ref().map(|(_, l, why): &Heard| (*l, *why));
        }
    }
    let soundtracks = soundtracks
        .into_iter()
        .map(|t| t.map(|(aac, _, _)| aac))
        .collect();
    let encodes = fanout::Encodes {
        req,
        picture,
        plans: &plans,
        jobs: &jobs,
        burns: &burns,
    };
    let ran = fanout::encode(&encodes, &mut square, soundtracks, source, progress);
    progress.finish(None);
    let (thumbnails, branches) = ran?;
    let mut errors = Vec::new();
    let mut finished = Vec::new();
    for r in branches {
        match r {
            Ok(Some(f)) => finished.push(f),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    Error::all(Several::Outputs, errors)?;
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
                out.write(jpeg)?;
                batch.add(out);
                if f.blank_cover {
                    let w = "the cover is blank: no frame of the output has a picture (all \
                             black or one flat colour)";
                    progress.warn(&format!("{}: {w}", path.display()));
                    plans[i].warnings.push(w.into());
                }
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
            outputs.push((i, filter, f.focus));
        }
    }
    outputs.sort_by_key(|(i, _, _)| *i);
    panels.sort_by_key(|(i, _)| *i);
    files.sort_by_key(|(i, _)| *i);
    for (i, f) in files {
        // Signed now, so its size in the report and against its preset's cap is the file's
        // as written (a signature added at the commit took a short one over its cap unseen).
        let p = &plans[i];
        if let Some(seal) = req.sign.seal(&p.target, steps(req, p, levelled)) {
            seal(f.path())?;
        }
        batch.add(f);
    }
    retire_stale(req, &plans, &mut batch);
    if !req.captions.cues.is_empty() {
        for p in &plans {
            let texts = [
                sidecar::srt(&req.captions, p.rate),
                sidecar::vtt(&req.captions, p.rate),
            ];
            for (path, text) in overlay::sidecars(&p.target).iter().zip(texts) {
                let out = AtomicOutput::new(path)?;
                out.write(text)?;
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
        .map(|(i, filter, focus)| {
            let file = batch.staged(&plans[i].target).unwrap_or(&plans[i].target);
            let (loudness, why) = heard[i].unzip();
            let short = levelled.then_some(why).flatten().flatten();
            let heard = (loudness, short);
            let e = exported(req, &plans[i], file, &filter, audio_kind, heard, progress)?;
            Ok(Exported { focus, ..e })
        })
        .collect::<Result<Vec<_>>>()?;
    let report = Report {
        input: req.input.display().to_string(),
        outputs,
        safe_zones,
        thumbnails,
        damaged_packets: tally.damaged_packets(),
    };
    Ok((report, batch))
}

/// The report entry of an output written to `file` (its temp path until committed), whose
/// sound measures `loudness` as encoded; `short` when it was brought to the preset's target
/// here and fell short of it, which is a warning (unless it was too quiet or short to measure:
/// then it is the input's sound as it is, nothing to say); that warning is said on `progress`
/// too (the plan's were said as it was made).
fn exported(
    req: &Request,
    p: &Plan,
    file: &Path,
    filter: &str,
    audio: SoundFrom,
    (loudness, short): (Option<LoudnessReport>, Option<Shortfall>),
    progress: &dyn Progress,
) -> Result<Exported> {
    let bytes = std::fs::metadata(file)
        .map_err(|e| Error::io(&p.target, e))?
        .len();
    let mut warnings = p.warnings.clone();
    let target = LoudnessTarget {
        integrated_lufs: p.preset.loudness_lufs,
        true_peak_db: p.preset.true_peak_dbtp,
    };
    let duration_s = p.frames as f64 / p.rate.as_f64();
    // The file's rate as a platform measures it (its size over its length), against the cap
    // the encoder was held to (see plan::video_cap).
    let kbps = bytes as f64 * 8.0 / duration_s / 1000.0;
    if kbps > f64::from(p.preset.max_kbps) {
        let msg = format!(
            "{kbps:.0} kb/s (its size over its length) is over the {} kb/s cap of {} \
             (max_kbps): the platform may re-encode or refuse it",
            p.preset.max_kbps, p.preset.platform
        );
        if req.strict {
            return Err(Error::bad_input(
                &req.input,
                format!("preset `{}`: {msg} (--strict)", p.preset.name),
            ));
        }
        progress.warn(&format!("{}: {msg}", p.target.display()));
        warnings.push(msg);
    }
    let short = short.filter(|s| *s != Shortfall::Unmeasured);
    if let (Some(why), Some(l)) = (short, loudness) {
        let w = format!(
            "loudness target {} LUFS: {}",
            target.integrated_lufs,
            why.words(&target, &l, duration_s)
        );
        progress.warn(&format!("{}: {w}", p.target.display()));
        warnings.push(w);
    }
    Ok(Exported {
        path: p.target.display().to_string(),
        file: p.target.clone(),
        preset: p.preset.name.clone(),
        platform: p.preset.platform.clone(),
        width: p.preset.width,
        height: p.preset.height,
        frame_rate: p.rate.to_string(),
        fps: p.rate.as_f64(),
        frames: p.frames,
        duration_s: p.frames as f64 / p.rate.as_f64(),
        bytes,
        fit: req.reframe.fit,
        filter: filter.to_string(),
        audio,
        loudness_target_lufs: p.preset.loudness_lufs,
        true_peak_target_dbtp: p.preset.true_peak_dbtp,
        loudness,
        warnings,
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
        focus: None,
    })
}

/// The length of `input`'s video in ns: the time captions on it must end by.
pub fn video_length_ns(input: &Path) -> Result<i64> {
    let index = VideoIndex::scan(input)?;
    Ok(rescale(
        index.duration().0,
        index.time_base.rational(),
        Rational::new(1, crate::timeline::NANOS as i32),
    ))
}

/// Have the batch remove what an earlier run wrote beside these outputs and this run does not
/// make (caption sidecars without captions, the cover without `--cover`): a user would upload
/// it with the output as its own. Never a file this run reads.
fn retire_stale(req: &Request, plans: &[Plan], batch: &mut Batch) {
    let inputs = req.read_paths();
    for p in plans {
        let sidecars = match req.captions.cues.is_empty() {
            true => overlay::sidecars(&p.target).to_vec(),
            false => Vec::new(),
        };
        let cover = req.cover.is_none().then(|| cover::path(&p.target));
        for path in sidecars.into_iter().chain(cover) {
            if ensure_not_input(&path, &inputs).is_ok() {
                batch.retire(path);
            }
        }
    }
}

/// The C2PA actions of output `p` besides the edit's: reframed (resized, and cropped with
/// `--fit crop`), and its sound brought to the preset's loudness when `levelled` here.
fn steps(req: &Request, p: &Plan, levelled: bool) -> Vec<Step> {
    let (w, h, fit) = (p.preset.width, p.preset.height, req.reframe.fit);
    let mut steps = vec![Step::new(
        "c2pa.resized",
        format!("reframed to {w}x{h} ({fit}) for {}", p.preset.platform),
    )];
    if fit == Fit::Crop {
        steps.push(Step::new("c2pa.cropped", format!("cropped to {w}:{h}")));
    }
    if levelled && req.audio {
        steps.push(Step::loudness(
            p.preset.loudness_lufs,
            p.preset.true_peak_dbtp,
        ));
    }
    steps
}

/// The default output directory name for `input`: beside it.
pub fn default_out_dir(input: &Path) -> PathBuf {
    input
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
