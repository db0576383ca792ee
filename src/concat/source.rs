//! A shot's source clip as concat needs it, read in one pass up front (so corrupt files fail
//! before anything is written): the video stream's parameters, the timing of every video
//! packet, and the sound decoded aligned to the picture (while the shots' sound held so far
//! fits [`SOUND_AHEAD_BYTES`]; a longer one is decoded again when the join reaches it, so a
//! join holds at most that plus one shot's sound, however many long shots it has).

use super::framing;
pub use crate::audio::format::SoundFormat;
use crate::audio::polarity::{self, Correlation};
use crate::error::{Error, Result};
use crate::media;
use crate::pcm::{AlignedDecoder, Pcm, SoundSpan};
use crate::progress::Progress;
use crate::time::Ticks;
use crate::video_index::VideoIndex;
use cutroom_ffi::{Input, MediaKind, Rational};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Most bytes of decoded sound the reading pass keeps for all shots together (a few minutes
/// of 48 kHz stereo).
pub const SOUND_AHEAD_BYTES: usize = 96 << 20;

/// A shot's sound, aligned to its picture.
pub enum Sound {
    /// The file has no audio.
    Silent,
    /// Decoded in the reading pass.
    Decoded(Pcm),
    /// Past [`SOUND_AHEAD_BYTES`]: decoded when the join reaches the shot (`mono`: a stereo
    /// sound mixed to one channel by [`to_mono`], so decoded whole).
    Later { path: PathBuf, mono: bool },
}

impl Sound {
    /// The sound, decoded now if it was left for later (`None`: the file has no audio; damaged
    /// packets skipped are reported to `progress`).
    pub fn decode(self, rate: u32, channels: u16, progress: &dyn Progress) -> Result<Option<Pcm>> {
        match self {
            Sound::Silent => Ok(None),
            Sound::Decoded(pcm) => Ok(Some(pcm)),
            Sound::Later { path, mono: false } => {
                crate::pcm::decode_aligned(&path, rate, channels, progress)
            }
            Sound::Later { path, mono: true } => {
                Ok(crate::pcm::decode_aligned(&path, rate, 2, progress)?
                    .map(|pcm| to_mono(&path, pcm, progress)))
            }
        }
    }
}

/// A stereo sound mixed to one channel as swresample mixes it, `(L + R) / 2`; or, when that
/// cancels (its channels in opposite phase, a miswired microphone or a mixing fault: see
/// [`polarity`]), with its second channel turned back first, `(L - R) / 2`, and a warning to
/// `progress` naming `path` (mixed as it is, such a shot was silent).
pub fn to_mono(path: &Path, pcm: Pcm, progress: &dyn Progress) -> Pcm {
    let mut correlation = Correlation::new(2);
    correlation.add_all(&pcm.data);
    let signs = correlation.turned().unwrap_or_default();
    if !signs.is_empty() {
        let (kept, lost) = (correlation.energy(&signs), correlation.energy(&[]));
        let down = match lost > 0.0 {
            true => format!("{:.0} dB down", 10.0 * (kept / lost).log10()),
            false => "to nothing".into(),
        };
        progress.warn(&format!(
            "{}: its two channels are in opposite phase (mixed to one channel as they are, they \
             cancel: {down}); the second is turned back before they are mixed",
            path.display()
        ));
    }
    let mut data = Vec::with_capacity(pcm.data.len() / 2);
    polarity::mix_down(&pcm.data, 2, &signs, &mut data);
    Pcm {
        rate: pcm.rate,
        channels: 1,
        layout: crate::pcm::Layout::DEFAULT,
        data,
    }
}

/// A shot's file after its one reading pass.
pub struct Loaded {
    /// Its video index.
    pub source: Source,
    /// Its sound.
    pub sound: Sound,
    /// The file, still open for the video pass (`None` when too many shots are open: the
    /// video pass opens it again, see [`Source::reopen`]).
    pub input: Option<Input>,
}

/// A scanned source clip: its video index and what concat needs besides.
#[derive(Debug, Clone)]
pub struct Source {
    /// The video stream's packets.
    pub index: VideoIndex,
    /// The video's nominal frame rate (see [`crate::video_index::nominal_rate`]).
    pub frame_rate: Rational,
    /// The sound the join takes from the file (its first audio stream), when some of it
    /// plays with the picture.
    pub audio: Option<SoundFormat>,
    /// The warning for its audio tracks left out (see [`media::unused_audio`]).
    pub unused_audio: Option<String>,
    /// The warning for its tracks the join does not carry (see [`media::tracks_not_carried`]).
    pub not_carried: Option<String>,
    /// The warning for a sound that lies wholly before or after the picture (the shot is
    /// silent: see [`SoundSpan::outside`]).
    pub sound_outside_picture: Option<String>,
    /// The file is a still image (one picture, no length of its own).
    pub still: bool,
    /// The timestamps of its video packets whose NAL units do not fit them: damaged data,
    /// which a decoder refuses and the copy path would copy (see `concat::framing`).
    pub broken: Vec<Ticks>,
}

impl std::ops::Deref for Source {
    type Target = VideoIndex;

    fn deref(&self) -> &VideoIndex {
        &self.index
    }
}

impl Source {
    /// Some of the file's sound plays with the picture.
    pub fn has_audio(&self) -> bool {
        self.audio.is_some()
    }

    /// The picture's size as shown: upright (its display rotation), with square pixels.
    pub fn shown_size(&self) -> (u32, u32) {
        crate::probe::shown_size(&self.info)
    }

    /// Open `path` (a clip, or a still image) and read it once: the timing of every video
    /// packet and the sound, decoded to `rate` Hz and `channels` channels aligned to the
    /// picture (as `pcm::decode_aligned`) when its estimated size still fits in `ahead` (bytes
    /// left, taken from it), else left for later. Damaged packets skipped are reported to
    /// `progress`.
    pub fn load(
        path: &Path,
        rate: u32,
        channels: u16,
        ahead: &AtomicUsize,
        progress: &dyn Progress,
    ) -> Result<Loaded> {
        Self::read(path, Some((rate, channels, ahead, progress)))
    }

    /// Open `path` and index its video packets, decoding no sound.
    pub fn scan(path: &Path) -> Result<Self> {
        Self::read(path, None).map(|l| l.source)
    }

    fn read(path: &Path, sound: Option<(u32, u16, &AtomicUsize, &dyn Progress)>) -> Result<Loaded> {
        let (mut input, still) = media::open_media(path)?;
        let audio = input.best_stream(MediaKind::Audio);
        let has_audio = audio.is_some();
        // A stereo sound for a one-channel join is mixed down here (see `to_mono`).
        let mono = audio.is_some_and(|a| input.streams()[a].params.channels() == 2)
            && sound.is_some_and(|s| s.1 == 1);
        let mut later = false;
        let progress = sound.map(|s| s.3);
        let mut sound = match sound {
            Some((rate, channels, ahead, _)) if has_audio => {
                // Seconds of sound, rounded up (an unknown length counts as too long).
                let secs = input.duration_us().map_or(u64::MAX, |us| {
                    u64::try_from(us).unwrap_or(0) / 1_000_000 + 1
                });
                let bytes = secs.saturating_mul(u64::from(rate) * u64::from(channels) * 4);
                let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
                let fits = ahead
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                        left.checked_sub(bytes)
                    })
                    .is_ok();
                if fits {
                    AlignedDecoder::new(&input, rate, if mono { 2 } else { channels })?
                } else {
                    later = true;
                    None
                }
            }
            _ => None,
        };
        let video = input.best_stream(MediaKind::Video);
        let nal = video.and_then(|v| {
            let params = &input.streams()[v].params;
            framing::length_size(&params.codec_name(), params.extradata())
        });
        let mut broken = Vec::new();
        let index = VideoIndex::read(path, &mut input, |pkt| {
            let framed = |size| framing::framed(pkt.data(), size);
            if Some(pkt.stream()) == video && nal.is_some_and(|n| !framed(n)) {
                broken.extend(pkt.pts().or(pkt.dts()).map(Ticks));
            }
            match sound.as_mut() {
                Some(s) => s.push(pkt),
                None => Ok(()),
            }
        })?;
        let frame_rate = index
            .frame_rate
            .ok_or_else(|| Error::bad_input(path, "video frame rate is unknown"))?;
        let picture = (index.secs(index.first()), index.secs(index.end));
        let outside = match &sound {
            Some(dec) => dec.outside(),
            None => SoundSpan::of(&input).and_then(|s| s.outside(picture)),
        }
        .map(|w| format!("{}: {w}, so the shot is silent", path.display()));
        let sound = match sound.zip(progress).map(|(s, p)| s.finish(p)).transpose()? {
            _ if outside.is_some() => Sound::Silent,
            Some(pcm) if mono => Sound::Decoded(to_mono(path, pcm, progress.expect("decoding"))),
            Some(pcm) => Sound::Decoded(pcm),
            None if later => Sound::Later {
                path: path.to_path_buf(),
                mono,
            },
            None => Sound::Silent,
        };
        let source = Self {
            audio: audio
                .filter(|_| outside.is_none())
                .map(|a| SoundFormat::of(&input.streams()[a].params)),
            sound_outside_picture: outside,
            index,
            frame_rate,
            unused_audio: media::unused_audio(&input),
            not_carried: media::tracks_not_carried(&input),
            still: still.is_some(),
            broken,
        };
        Ok(Loaded {
            source,
            sound,
            input: Some(input),
        })
    }

    /// The file for the video pass: `kept` open from the reading pass, or opened again.
    pub fn reopen(&self, kept: Option<Input>) -> Result<Input> {
        kept.map_or_else(|| media::open(&self.path), Ok)
    }

    /// The instant audio sample 0 of `pcm::decode_aligned` stands for (the stream start time).
    pub fn audio_origin(&self) -> Ticks {
        Ticks(self.info.start_time.unwrap_or(0))
    }
}

/// How many files the process may have open: its soft `RLIMIT_NOFILE` (256 by default on
/// macOS, 1024 on most Linux systems, `ulimit -n`).
fn open_file_room() -> usize {
    use rustix::process::{getrlimit, Resource};
    getrlimit(Resource::Nofile)
        .current
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX))
}

/// [`Source::load`] every path, on all cores; one result per path, in order. The files stay
/// open for the video pass when there are at most `keep_open` of them, and at most half as
/// many as the process may open (its `ulimit -n`). `bar` advances once per file.
pub fn load_all(
    paths: &[PathBuf],
    rate: u32,
    channels: u16,
    keep_open: usize,
    bar: &dyn Progress,
) -> Vec<Result<Loaded>> {
    let n = paths.len();
    let keep_open = keep_open.min(open_file_room() / 2);
    let workers = std::thread::available_parallelism()
        .map_or(1, |p| p.get())
        .clamp(1, n.max(1));
    let next = AtomicUsize::new(0);
    let ahead = AtomicUsize::new(SOUND_AHEAD_BYTES);
    let slots: Vec<Mutex<Option<Result<Loaded>>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = paths.get(i) else { break };
                let r = Source::load(path, rate, channels, &ahead, bar).map(|mut l| {
                    if n > keep_open {
                        l.input = None;
                    }
                    l
                });
                bar.advance(1);
                *slots[i].lock().expect("no poisoned slot") = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .expect("no poisoned slot")
                .expect("every path is loaded")
        })
        .collect()
}
