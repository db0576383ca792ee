//! A shot's source clip as concat needs it, read in one pass up front (so corrupt files fail
//! before anything is written): the video stream's parameters, the timing of every video
//! packet, and the sound decoded aligned to the picture (while the shots' sound held so far
//! fits [`SOUND_AHEAD_BYTES`]; a longer one is decoded again when the join reaches it, so a
//! join holds at most that plus one shot's sound, however many long shots it has).

use crate::error::{Error, Result};
use crate::media;
use crate::pcm::{AlignedDecoder, Pcm};
use crate::progress::Progress;
use cutroom_ffi::{Input, MediaKind, Rational, StreamInfo};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Timing of one video packet, in the stream's time base.
#[derive(Debug, Clone, Copy)]
pub struct PacketTimes {
    /// Presentation timestamp.
    pub pts: i64,
    /// Decoding timestamp.
    pub dts: i64,
    /// A random access point.
    pub key: bool,
}

/// Most bytes of decoded sound the reading pass keeps for all shots together (a few minutes
/// of 48 kHz stereo).
pub const SOUND_AHEAD_BYTES: usize = 96 << 20;

/// A shot's sound, aligned to its picture.
pub enum Sound {
    /// The file has no audio.
    Silent,
    /// Decoded in the reading pass.
    Decoded(Pcm),
    /// Past [`SOUND_AHEAD_BYTES`]: decoded when the join reaches the shot.
    Later(PathBuf),
}

impl Sound {
    /// The sound, decoded now if it was left for later (`None`: the file has no audio).
    pub fn decode(self, rate: u32, channels: u16) -> Result<Option<Pcm>> {
        match self {
            Sound::Silent => Ok(None),
            Sound::Decoded(pcm) => Ok(Some(pcm)),
            Sound::Later(path) => crate::pcm::decode_aligned(&path, rate, channels),
        }
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

/// A scanned source clip.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Its video stream (FFmpeg's best).
    pub info: StreamInfo,
    /// The video's nominal frame rate (see [`nominal_rate`]).
    pub frame_rate: Rational,
    /// Video packets in decoding order (edit-list pre-roll excluded).
    pub packets: Vec<PacketTimes>,
    /// Presentation timestamps of every frame, ascending.
    pub pts: Vec<i64>,
    /// End of the last frame (max of pts + duration), exclusive.
    pub end: i64,
    /// Some packets are marked for discard by an edit list (they cannot be copied as they are).
    pub has_discarded: bool,
    /// Some packets have no decoding timestamp (Matroska): they cannot be retimed as copies.
    pub lacks_dts: bool,
    /// Decoding time of the first keyframe among those hidden packets: where decoding starts
    /// for frames before the first shown keyframe (`ffmpeg -ss 0.5 -c copy` output).
    pub hidden_key_dts: Option<i64>,
    /// The file has an audio stream.
    pub has_audio: bool,
    /// The file is a still image (one picture, no length of its own).
    pub still: bool,
}

impl Source {
    /// Open `path` (a clip, or a still image) and read it once: the timing of every video
    /// packet and the sound, decoded to `rate` Hz and `channels` channels aligned to the
    /// picture (as `pcm::decode_aligned`) when its estimated size still fits in `ahead` (bytes
    /// left, taken from it), else left for later.
    pub fn load(path: &Path, rate: u32, channels: u16, ahead: &AtomicUsize) -> Result<Loaded> {
        Self::read(path, Some((rate, channels, ahead)))
    }

    /// Open `path` and index its video packets, decoding no sound.
    pub fn scan(path: &Path) -> Result<Self> {
        Self::read(path, None).map(|l| l.source)
    }

    fn read(path: &Path, sound: Option<(u32, u16, &AtomicUsize)>) -> Result<Loaded> {
        let (mut input, still) = media::open_media(path)?;
        let streams = input.streams();
        let v = input
            .best_stream(MediaKind::Video)
            .ok_or_else(|| Error::bad_input(path, "no video stream"))?;
        let info = streams[v].clone();
        let has_audio = input.best_stream(MediaKind::Audio).is_some();
        let mut later = false;
        let mut sound = match sound {
            Some((rate, channels, ahead)) if has_audio => {
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
                    AlignedDecoder::new(&input, rate, channels)?
                } else {
                    later = true;
                    None
                }
            }
            _ => None,
        };
        let frame_rate = nominal_rate(info.real_frame_rate, info.avg_frame_rate)
            .ok_or_else(|| Error::bad_input(path, "video frame rate is unknown"))?;
        let frame_ticks = frame_ticks(frame_rate, info.time_base);
        let mut packets = Vec::new();
        let mut has_discarded = false;
        let mut lacks_dts = false;
        let mut hidden_key_dts = None;
        let mut end = i64::MIN;
        while let Some(pkt) = input.read_packet()? {
            if let Some(s) = sound.as_mut() {
                s.push(&pkt)?;
            }
            if pkt.stream() != v {
                continue;
            }
            if pkt.is_discard() {
                has_discarded = true;
                if pkt.is_key() && hidden_key_dts.is_none() {
                    hidden_key_dts = pkt.dts().or(pkt.pts());
                }
                continue;
            }
            let Some(pts) = pkt.pts().or(pkt.dts()) else {
                return Err(media::untimed_packet(path));
            };
            let dur = if pkt.duration() > 0 {
                pkt.duration()
            } else {
                frame_ticks
            };
            end = end.max(pts + dur);
            lacks_dts |= pkt.dts().is_none();
            packets.push(PacketTimes {
                pts,
                dts: pkt.dts().unwrap_or(pts),
                key: pkt.is_key(),
            });
        }
        if packets.is_empty() {
            return Err(Error::bad_input(path, "video stream has no frames"));
        }
        let mut pts: Vec<i64> = packets.iter().map(|p| p.pts).collect();
        pts.sort_unstable();
        let sound = match sound.map(AlignedDecoder::finish).transpose()? {
            Some(pcm) => Sound::Decoded(pcm),
            None if later => Sound::Later(path.to_path_buf()),
            None => Sound::Silent,
        };
        let source = Self {
            path: path.to_path_buf(),
            info,
            frame_rate,
            packets,
            pts,
            end,
            has_discarded,
            lacks_dts,
            hidden_key_dts,
            has_audio,
            still: still.is_some(),
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

    /// The video stream index.
    pub fn stream(&self) -> usize {
        self.info.index
    }

    /// The time base of the video stream.
    pub fn time_base(&self) -> Rational {
        self.info.time_base
    }

    /// Presentation time of the first frame: time 0 of the shot.
    pub fn first(&self) -> i64 {
        self.pts[0]
    }

    /// The instant audio sample 0 of `pcm::decode_aligned` stands for (the stream start time).
    pub fn audio_origin(&self) -> i64 {
        self.info.start_time.unwrap_or(0)
    }

    /// The keyframe packet whose pts is `pts`, if any.
    pub fn key_at(&self, pts: i64) -> Option<&PacketTimes> {
        self.packets.iter().find(|p| p.key && p.pts == pts)
    }

    /// Decoding time to start from to decode the frame at `pts`: the last keyframe at or before
    /// it, else the hidden pre-roll's keyframe, else the start of the file.
    pub fn decode_start(&self, pts: i64) -> i64 {
        let keys = self.key_pts();
        keys.iter()
            .rev()
            .find(|&&k| k <= pts)
            .and_then(|&k| self.key_at(k))
            .map(|k| k.dts)
            .or(self.hidden_key_dts)
            .unwrap_or(i64::MIN)
    }

    /// Presentation times of the keyframes, ascending.
    pub fn key_pts(&self) -> Vec<i64> {
        let mut k: Vec<i64> = self
            .packets
            .iter()
            .filter(|p| p.key)
            .map(|p| p.pts)
            .collect();
        k.sort_unstable();
        k
    }

    /// The frame duration in ticks of the stream time base (rounded).
    pub fn frame_ticks(&self) -> i64 {
        frame_ticks(self.frame_rate, self.time_base())
    }

    /// Seconds for a tick count of the video time base (for reports only).
    pub fn secs(&self, ticks: i64) -> f64 {
        ticks as f64 * self.time_base().as_f64()
    }
}

/// [`Source::load`] every path, on all cores; one result per path, in order. The files stay
/// open for the video pass when there are at most `keep_open` of them. `bar` advances once
/// per file.
pub fn load_all(
    paths: &[PathBuf],
    rate: u32,
    channels: u16,
    keep_open: usize,
    bar: &dyn Progress,
) -> Vec<Result<Loaded>> {
    let n = paths.len();
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
                let r = Source::load(path, rate, channels, &ahead).map(|mut l| {
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

/// The frame rate a clip is meant to play at: the real base rate (`r_frame_rate`: 30/1 even
/// when a variable-rate clip averages 27.2 fps), unless it is unknown or implausibly above the
/// average (over twice it: timestamps too fine to say), then the average.
pub fn nominal_rate(real: Rational, avg: Rational) -> Option<Rational> {
    let plausible = |r: Rational| {
        !r.is_unknown()
            && (avg.is_unknown()
                || i64::from(r.num) * i64::from(avg.den)
                    <= 2 * i64::from(avg.num) * i64::from(r.den))
    };
    if plausible(real) {
        Some(real)
    } else if !avg.is_unknown() {
        Some(avg)
    } else {
        None
    }
}

/// One frame at `rate` in ticks of `tb`, rounded, at least 1.
fn frame_ticks(rate: Rational, tb: Rational) -> i64 {
    cutroom_ffi::rescale(1, rate.invert(), tb).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nominal_rate_prefers_the_base_rate_of_variable_rate_clips() {
        let r = Rational::new;
        assert_eq!(nominal_rate(r(30, 1), r(163, 6)), Some(r(30, 1)));
        assert_eq!(nominal_rate(r(30, 1), r(30, 1)), Some(r(30, 1)));
        assert_eq!(nominal_rate(r(90000, 1), r(30, 1)), Some(r(30, 1)));
        assert_eq!(nominal_rate(r(0, 0), r(25, 1)), Some(r(25, 1)));
        assert_eq!(nominal_rate(r(24000, 1001), r(0, 0)), Some(r(24000, 1001)));
        assert_eq!(nominal_rate(r(0, 0), r(0, 0)), None);
    }
}
