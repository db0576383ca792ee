//! `concat`: join shots into one MP4 without A/V drift.
//!
//! Video is stream-copied when every shot shares its codec parameters and no trim or transition
//! needs new pictures (packets retimed by integer offsets in one exact time base); otherwise it
//! is normalised (decoded, conformed to one size and frame rate, encoded once). Audio is always
//! decoded aligned to each shot's picture, cut or padded to exactly the shot's length in
//! samples, joined, and encoded once (see [`crate::avwrite`]). See [`plan::plan`] for the
//! choice and [`execute`] for the work.

pub mod audio;
pub mod card;
pub mod copy;
mod framing;
pub mod normalise;
mod pixels;
pub mod plan;
pub mod rate;
pub mod source;

use crate::audio::loudness::LoudnessReport;
use crate::audio::soundtrack::{self, Level, SoundFrom};
use crate::avwrite::{AacStream, AvWriter, EncodedAudio};
use crate::error::Result;
use crate::output::{ensure_not_input, AtomicOutput};
use crate::pcm::Pcm;
use crate::progress::Progress;
use crate::provenance::{Signing, Step};
use crate::time::{Ticks, TimeBase};
use crate::timeline::{EditSpec, TransitionKind};
use cutroom_ffi::{Input, Packet, Rational};
use plan::{Plan, VideoPath};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::thread::ScopedJoinHandle;

/// How to join.
#[derive(Debug, Clone)]
pub struct Options {
    /// Output size for the normalise path (default: [`plan::default_frame`]'s).
    pub size: Option<(u32, u32)>,
    /// Output frame rate for the normalise path (default: [`plan::default_frame`]'s).
    pub frame_rate: Option<Rational>,
    /// How a shot of another shape than the output fills its frame on the normalise path
    /// (`None`: not chosen, padded).
    pub fit: Option<plan::Conform>,
    /// A fit chosen for one shot (by index), over `fit`.
    pub shot_fits: Vec<Option<plan::Conform>>,
    /// x264 constant rate factor.
    pub crf: f32,
    /// x264 preset.
    pub preset: String,
    /// In copy mode, move off-keyframe trims to the keyframe before instead of re-encoding.
    pub snap_keyframes: bool,
    /// Always re-encode the video.
    pub normalise: bool,
    /// Audio sample rate of the output.
    pub sample_rate: u32,
    /// Audio channels of the output.
    pub channels: u16,
    /// Up to this many shots keep their files open between the reading pass and the video
    /// pass; with more, files are opened again (to stay well within the open-file limit).
    pub keep_open: usize,
    /// What to do with the level of the joined soundtrack (`--loudness`, `--true-peak`).
    pub level: Level,
    /// Whether and how the joined file is signed (not a picture written for an export).
    pub sign: Signing,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            size: None,
            frame_rate: None,
            fit: None,
            shot_fits: Vec::new(),
            crf: 20.0,
            preset: "veryfast".into(),
            snap_keyframes: false,
            normalise: false,
            sample_rate: soundtrack::RATE,
            channels: soundtrack::CHANNELS,
            keep_open: 256,
            level: Level::Keep,
            sign: Signing::default(),
        }
    }
}

/// Refuse an output that is one of the shots, or that cannot be written, before any work.
pub fn check_output(spec: &EditSpec, output: &Path) -> Result<()> {
    let inputs: Vec<&Path> = spec
        .shot
        .iter()
        .filter_map(|s| s.src.as_deref().or(s.image.as_deref()))
        .collect();
    ensure_not_input(output, &inputs)?;
    // Creating (and dropping) the temp file proves the directory exists and is writable.
    AtomicOutput::new(output).map(drop)
}

/// A planned join with every shot read: the plan, and each shot's sound and open input.
pub struct Prepared {
    /// The plan.
    pub plan: Plan,
    sounds: Vec<source::Sound>,
    inputs: Vec<Option<Input>>,
}

/// Read every shot of `spec` once (on all cores: video packet timing and sound in one pass)
/// and plan the join. Every unusable shot is reported (one error, or [`crate::Error::Many`]).
/// `bar` advances once per shot read.
pub fn prepare(spec: &EditSpec, opts: &Options, bar: &dyn Progress) -> Result<Prepared> {
    let (mut sounds, mut inputs) = (Vec::new(), Vec::new());
    let contents = plan::contents(spec, |paths| {
        source::load_all(paths, opts.sample_rate, opts.channels, opts.keep_open, bar)
            .into_iter()
            .map(|loaded| {
                loaded.map(|l| {
                    sounds.push(l.sound);
                    inputs.push(l.input);
                    l.source
                })
            })
            .collect()
    })?;
    // Cards have no sound (silence) and no file.
    let (mut sounds, mut inputs) = (sounds.into_iter(), inputs.into_iter());
    let (sounds, inputs) = contents
        .iter()
        .map(|c| match c {
            Ok(plan::Content::File(_)) => (
                sounds.next().expect("one per file"),
                inputs.next().expect("one per file"),
            ),
            Ok(plan::Content::Card(_)) => {
                bar.advance(1);
                (source::Sound::Silent, None)
            }
            Err(_) => (source::Sound::Silent, None),
        })
        .unzip();
    let plan = plan::plan(spec, contents, opts)?;
    card::check(&plan)?;
    Ok(Prepared {
        plan,
        sounds,
        inputs,
    })
}

/// Carry out a prepared join, writing `output` (atomically: nothing is left there on failure).
/// `bar` advances once per shot of video. Returns the soundtrack's loudness as encoded (the
/// AAC decoded back) when its level was set, `None` when the shots' level was kept.
pub fn execute(
    prepared: Prepared,
    opts: &Options,
    output: &Path,
    bar: &dyn Progress,
) -> Result<Option<LoudnessReport>> {
    join(prepared, opts, output, bar, false).map(|j| j.loudness)
}

/// The picture of a join carried out for an export (see [`execute_for_export`]).
pub enum Picture {
    /// Written to this file, picture only: the shots' own packets (the copy path).
    File(PathBuf),
    /// Not made yet (the normalise path): the conformed frames, made on demand, so they go
    /// straight into the caller's encoders instead of through an intermediate encode.
    Frames(NormalisedPicture),
}

/// The normalise path's pictures, still to be decoded and conformed (see [`Picture::Frames`]).
pub struct NormalisedPicture {
    plan: Plan,
    inputs: Vec<Option<Input>>,
    refit: Option<normalise::Refit>,
}

impl NormalisedPicture {
    /// The plan they follow.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The same cut (timing, transitions, cards) in a frame of `size`, each file's picture
    /// brought to it from its source by `refit` rather than conformed to the cut's frame; the
    /// files are opened again.
    pub fn reshaped(&self, size: (u32, u32), refit: normalise::Refit) -> Self {
        let mut plan = self.plan.clone();
        (plan.target.width, plan.target.height) = size;
        Self {
            inputs: plan.shots.iter().map(|_| None).collect(),
            plan,
            refit: Some(refit),
        }
    }

    /// Time base of the frames' pts: one tick per frame.
    pub fn time_base(&self) -> TimeBase {
        self.plan.target.time_base
    }

    /// Frame rate.
    pub fn frame_rate(&self) -> Rational {
        self.plan.target.frame_rate
    }

    /// Length in ticks (frames).
    pub fn duration(&self) -> Ticks {
        self.plan.duration
    }

    /// Picture size.
    pub fn size(&self) -> (u32, u32) {
        (self.plan.target.width, self.plan.target.height)
    }

    /// Make every frame, in order, handing each to `each` (see [`normalise::frames`]); the
    /// crossfades with cards are left to the caller, which draws the cards ([`card::shown`]).
    pub fn run(
        self,
        bar: &dyn Progress,
        each: impl FnMut(&cutroom_ffi::VideoFrame) -> Result<()>,
    ) -> Result<()> {
        let refit = self.refit.as_ref();
        normalise::frames(&self.plan, self.inputs, bar, true, refit, each)
    }
}

/// Carry out a prepared join for a caller that exports it and builds the final soundtrack in
/// memory. Returns the joined sound (mixed, level untouched, sample 0 at the first frame,
/// [`Options::sample_rate`] and [`Options::channels`]), so it is neither encoded nor decoded
/// again, and the picture: on the copy path written to `output` (picture only, the shots' own
/// packets), on the normalise path left as frames to make, so it is encoded once (by the
/// caller), not twice.
pub fn execute_for_export(
    prepared: Prepared,
    opts: &Options,
    output: &Path,
    bar: &dyn Progress,
) -> Result<(Pcm, Picture)> {
    match prepared.plan.path {
        VideoPath::Copy => {
            let joined = join(prepared, opts, output, bar, true)?;
            Ok((
                joined.kept.expect("the join keeps its sound when asked to"),
                Picture::File(output.to_path_buf()),
            ))
        }
        VideoPath::Normalise => {
            let Prepared {
                plan,
                sounds,
                inputs,
            } = prepared;
            let mix = mix_sound(&audio::AudioPlan::of(&plan), sounds, bar)?;
            let picture = NormalisedPicture {
                plan,
                inputs,
                refit: None,
            };
            Ok((mix, Picture::Frames(picture)))
        }
    }
}

/// The C2PA step of a join that scales pictures to the output size: on the normalise path,
/// when some shot's file is not shown at that size.
fn resized(plan: &Plan) -> Option<Step> {
    let (w, h) = (plan.target.width, plan.target.height);
    let scaled = plan.path == VideoPath::Normalise
        && plan
            .shots
            .iter()
            .filter_map(|s| s.content.file())
            .any(|f| f.shown_size() != (w, h));
    scaled.then(|| Step::new("c2pa.resized", format!("pictures scaled to fit {w}x{h}")))
}

/// The join: with `keep_sound` the sound is returned instead of encoded into `output`.
fn join(
    prepared: Prepared,
    opts: &Options,
    output: &Path,
    bar: &dyn Progress,
    keep_sound: bool,
) -> Result<Joined> {
    let Prepared {
        plan,
        sounds,
        inputs,
    } = prepared;
    let layout = audio::AudioPlan::of(&plan);
    let seal = match keep_sound {
        true => None,
        false => opts.sign.seal(output, resized(&plan)),
    };
    // The sound, mixed and (unless kept) levelled and encoded.
    let sound = || -> Result<Sound> {
        Ok(if keep_sound {
            Sound {
                encoded: None,
                joined: Joined {
                    kept: Some(mix_sound(&layout, sounds, bar)?),
                    loudness: None,
                },
            }
        } else {
            let (encoded, loudness) = encode_sound(&layout, sounds, opts.level, bar)?;
            Sound {
                encoded: Some(encoded),
                joined: Joined {
                    kept: None,
                    loudness,
                },
            }
        })
    };
    match plan.path {
        VideoPath::Copy => {
            copy::check_damage(&plan, bar, keep_sound)?;
            let sound = sound()?;
            copy::write(&plan, inputs, sound.encoded, output, seal, bar)?;
            Ok(sound.joined)
        }
        VideoPath::Normalise => {
            // The sound is mixed and encoded on another thread while the picture is encoded;
            // picture packets wait in memory only until the sound is ready.
            let video = normalise::Normaliser::new(&plan, opts)?;
            let (params, tb) = (video.params(), video.time_base());
            std::thread::scope(|s| -> Result<Joined> {
                let mut audio = Some(s.spawn(sound));
                let mut writer: Option<AvWriter> = None;
                let mut joined = None;
                let mut waiting = Vec::new();
                let mut start = |audio: ScopedJoinHandle<'_, Result<Sound>>,
                                 waiting: &mut Vec<Packet>|
                 -> Result<AvWriter> {
                    let sound = audio.join().expect("audio thread panicked")?;
                    joined = Some(sound.joined);
                    let mut w = AvWriter::create_encoded(output, &params, tb, sound.encoded)?;
                    for p in waiting.drain(..) {
                        w.write_video(p)?;
                    }
                    Ok(w)
                };
                video.run(&plan, inputs, bar, |p| {
                    if audio.as_ref().is_some_and(|a| a.is_finished()) {
                        let a = audio.take().expect("checked");
                        writer = Some(start(a, &mut waiting)?);
                    }
                    match writer.as_mut() {
                        Some(w) => w.write_video(p),
                        None => {
                            waiting.push(p);
                            Ok(())
                        }
                    }
                })?;
                let w = match (writer, audio) {
                    (Some(w), _) => w,
                    (None, Some(a)) => start(a, &mut waiting)?,
                    (None, None) => unreachable!("the writer starts when the audio is taken"),
                };
                w.finish(seal)?;
                Ok(joined.expect("set when the writer started"))
            })
        }
    }
}

/// The join's sound: encoded for the output file, or kept for the caller.
struct Sound {
    encoded: Option<EncodedAudio>,
    joined: Joined,
}

/// What a join gives back: the sound kept for the caller, or the loudness of the one encoded.
struct Joined {
    kept: Option<Pcm>,
    loudness: Option<LoudnessReport>,
}

/// Mix the soundtrack from the shots' sound (damaged packets reported to `progress`).
fn mix_sound(
    layout: &audio::AudioPlan,
    sounds: Vec<source::Sound>,
    progress: &dyn Progress,
) -> Result<Pcm> {
    let mut mix = Pcm::silence(layout.rate, layout.channels, 0);
    layout.stream(sounds, progress, |samples| {
        mix.data.extend_from_slice(samples);
        Ok(())
    })?;
    Ok(mix)
}

/// Mix the soundtrack from the shots' sound, set its level and encode it to AAC once; with a
/// level set, also its loudness as encoded.
fn encode_sound(
    layout: &audio::AudioPlan,
    sounds: Vec<source::Sound>,
    level: Level,
    progress: &dyn Progress,
) -> Result<(EncodedAudio, Option<LoudnessReport>)> {
    match level {
        // Nothing to measure or correct: each stretch is encoded as it is mixed, so the whole
        // soundtrack is never held.
        Level::Keep => {
            let mut aac = AacStream::new(layout.rate, layout.channels)?;
            layout.stream(sounds, progress, |samples| aac.push(samples))?;
            Ok((aac.finish()?, None))
        }
        _ => {
            let mix = mix_sound(layout, sounds, progress)?;
            let secs = mix.frames() as f64 / f64::from(mix.rate.max(1));
            let m = soundtrack::master(mix, level)?;
            if let Level::Normalize(t) = level {
                if let Some(why) = m.shortfall {
                    let why = why.words(&t, &m.loudness, secs);
                    progress.warn(&format!("--loudness {}: {why}", t.integrated_lufs));
                }
            }
            Ok((m.encoded, Some(m.loudness)))
        }
    }
}

/// The `--json` report of `cutroom concat` (schema in docs/concat.md).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The output file; `None` in `assemble`'s report, whose joined master is a working file
    /// that is not kept.
    pub output: Option<String>,
    /// `copy` or `normalise`.
    pub path: VideoPath,
    /// Why that path.
    pub reasons: Vec<String>,
    /// Adjustments the user should know about (keyframe snapping).
    pub warnings: Vec<String>,
    /// The output video.
    pub video: VideoSummary,
    /// The output audio.
    pub audio: AudioSummary,
    /// Output duration in seconds.
    pub duration_s: f64,
    /// Output duration in ticks of `video.time_base`.
    pub duration_ticks: i64,
    /// Output duration in audio samples.
    pub samples: i64,
    /// Every shot, in order.
    pub shots: Vec<ShotSummary>,
}

/// Output video of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct VideoSummary {
    /// Codec short name.
    pub codec: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// The picture as players show it: turned by the display rotation and with square pixels
    /// (a copy keeps the shots' rotation and pixel shape); `width` x `height` when normalised.
    pub shown_width: u32,
    /// See `shown_width`.
    pub shown_height: u32,
    /// Frame rate `num/den`.
    pub frame_rate: String,
    /// The time base every `*_ticks` field counts in, `num/den`.
    pub time_base: String,
}

impl VideoSummary {
    /// `WxH`, and `shown WxH` after it when players show the picture at another size (a copy
    /// keeping a rotation or non-square pixels).
    pub fn size(&self) -> String {
        crate::probe::size_words(
            (self.width, self.height),
            (self.shown_width, self.shown_height),
        )
    }
}

/// Output audio of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct AudioSummary {
    /// Codec short name (`aac`).
    pub codec: &'static str,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels.
    pub channels: u16,
    /// Its loudness as encoded (the AAC decoded back) when `--loudness` or `--true-peak` set
    /// it; `None` when the shots' level was kept.
    pub loudness: Option<LoudnessReport>,
}

/// One shot of a [`Summary`].
#[derive(Debug, Clone, Serialize)]
pub struct ShotSummary {
    /// Source file, or the card (`color card #101010`, `text card "..."`).
    pub src: String,
    /// Time base of the source video, `num/den`.
    pub source_time_base: String,
    /// In-point used, seconds from the source's first frame.
    pub in_s: f64,
    /// Out-point used (exclusive), seconds from the source's first frame.
    pub out_s: f64,
    /// In-point in source ticks from the first frame.
    pub in_ticks: i64,
    /// Out-point in source ticks from the first frame.
    pub out_ticks: i64,
    /// Start on the output timeline, seconds.
    pub start_s: f64,
    /// Start in output ticks.
    pub start_ticks: i64,
    /// Length on the output timeline, seconds.
    pub duration_s: f64,
    /// Length in output ticks.
    pub duration_ticks: i64,
    /// First output audio sample of the shot.
    pub start_sample: i64,
    /// Audio samples of the shot.
    pub samples: i64,
    /// `source` (its own sound) or `silence` (the file has no audio).
    pub audio: SoundFrom,
    /// Its sound as its file has it (rate, channels, layout); `None` when silent.
    pub source_audio: Option<source::SoundFormat>,
    /// What the join did to that sound besides encoding it (folded down, mixed, resampled), as
    /// [`Summary::audio_notes`] says it; `None` when it kept its rate and channels.
    pub audio_changed: Option<String>,
    /// Transition into the next shot: `cut`, `fade` or `crossfade`.
    pub transition: TransitionKind,
    /// Its duration in seconds (null for a cut).
    pub transition_s: Option<f64>,
    /// Source seconds per second of the cut while it plays (1 unless retimed).
    pub speed: f64,
    /// Seconds its last frame is held after it plays (`freeze`).
    pub freeze_s: f64,
}

impl Summary {
    /// Describe `plan` writing `output`.
    pub fn of(plan: &Plan, output: &Path) -> Self {
        let t = &plan.target;
        let secs = |ticks: Ticks| round_us(t.time_base.secs(ticks));
        let (codec, (shown_width, shown_height)) = match plan.path {
            VideoPath::Copy => {
                let first = plan.shots[0].source();
                (first.info.params.codec_name(), first.shown_size())
            }
            VideoPath::Normalise => ("h264".into(), (t.width, t.height)),
        };
        Self {
            output: Some(output.display().to_string()),
            path: plan.path,
            reasons: plan.reasons.clone(),
            warnings: plan.warnings.clone(),
            video: VideoSummary {
                codec,
                width: t.width,
                height: t.height,
                shown_width,
                shown_height,
                frame_rate: t.frame_rate.to_string(),
                time_base: t.time_base.rational().to_string(),
            },
            audio: AudioSummary {
                codec: "aac",
                sample_rate: t.sample_rate,
                channels: t.channels,
                loudness: None,
            },
            duration_s: secs(plan.duration),
            duration_ticks: plan.duration.0,
            samples: plan.sample(plan.duration).0,
            shots: plan
                .shots
                .iter()
                .map(|s| {
                    // A card's (and a still's) source time is its time in the cut.
                    let (tb, a, b) = match s.content.clip() {
                        Some(src) => (
                            src.time_base,
                            s.in_pts - src.first(),
                            s.end_pts - src.first(),
                        ),
                        None => (t.time_base, Ticks::ZERO, s.len),
                    };
                    let samples0 = plan.sample(s.start);
                    let sound = s.content.clip().and_then(|c| c.audio.as_ref());
                    ShotSummary {
                        src: s.content.describe(),
                        source_time_base: tb.rational().to_string(),
                        in_s: round_us(tb.secs(a)),
                        out_s: round_us(tb.secs(b)),
                        in_ticks: a.0,
                        out_ticks: b.0,
                        start_s: secs(s.start),
                        start_ticks: s.start.0,
                        duration_s: secs(s.len),
                        duration_ticks: s.len.0,
                        start_sample: samples0.0,
                        samples: (plan.sample(s.end()) - samples0).0,
                        audio: match s.content.clip().is_some_and(|c| c.has_audio()) {
                            true => SoundFrom::Source,
                            false => SoundFrom::Silence,
                        },
                        source_audio: sound.cloned(),
                        audio_changed: sound.and_then(|f| f.changes(t.sample_rate, t.channels)),
                        transition: s.transition.kind(),
                        transition_s: (s.transition_ticks > Ticks::ZERO)
                            .then(|| secs(s.transition_ticks)),
                        speed: if s.retime.changes_speed() {
                            round_us(tb.secs(b - a) / secs(s.played))
                        } else {
                            1.0
                        },
                        freeze_s: secs(s.len - s.played),
                    }
                })
                .collect(),
        }
    }
}

impl Summary {
    /// One line per shot whose sound the join changed besides encoding it (see
    /// [`ShotSummary::audio_changed`]): `shot 2: a.mp4: its sound, ... is resampled to 48000 Hz`.
    pub fn audio_notes(&self) -> Vec<String> {
        let shots = self.shots.iter().enumerate();
        shots
            .filter_map(|(i, s)| {
                Some(format!(
                    "shot {}: {}: {}",
                    i + 1,
                    s.src,
                    s.audio_changed.as_ref()?
                ))
            })
            .collect()
    }
}

/// Seconds rounded to the microsecond for reports.
fn round_us(s: f64) -> f64 {
    (s * 1e6).round() / 1e6
}
