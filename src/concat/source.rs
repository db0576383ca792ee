//! A shot's source clip as concat needs it: the video stream's parameters and the timing of
//! every video packet, read once up front (so corrupt files fail before any work is done).

use crate::error::{Error, Result};
use crate::media;
use cutroom_ffi::{MediaKind, Rational, StreamInfo};
use std::path::{Path, PathBuf};

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

/// A scanned source clip.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Its video stream (FFmpeg's best).
    pub info: StreamInfo,
    /// The video frame rate (average, else real base rate).
    pub frame_rate: Rational,
    /// Video packets in decoding order (edit-list pre-roll excluded).
    pub packets: Vec<PacketTimes>,
    /// Presentation timestamps of every frame, ascending.
    pub pts: Vec<i64>,
    /// End of the last frame (max of pts + duration), exclusive.
    pub end: i64,
    /// Some packets are marked for discard by an edit list (they cannot be copied as they are).
    pub has_discarded: bool,
    /// The file has an audio stream.
    pub has_audio: bool,
}

impl Source {
    /// Open `path` and read the timing of every video packet.
    pub fn scan(path: &Path) -> Result<Self> {
        let mut input = media::open(path)?;
        let streams = input.streams();
        let v = input
            .best_stream(MediaKind::Video)
            .ok_or_else(|| Error::bad_input(path, "no video stream"))?;
        let info = streams[v].clone();
        let has_audio = input.best_stream(MediaKind::Audio).is_some();
        let frame_rate = [info.avg_frame_rate, info.real_frame_rate]
            .into_iter()
            .find(|r| !r.is_unknown())
            .ok_or_else(|| Error::bad_input(path, "video frame rate is unknown"))?;
        let frame_ticks = frame_ticks(frame_rate, info.time_base);
        let mut packets = Vec::new();
        let mut has_discarded = false;
        let mut end = i64::MIN;
        while let Some(pkt) = input.read_packet()? {
            if pkt.stream() != v {
                continue;
            }
            if pkt.is_discard() {
                has_discarded = true;
                continue;
            }
            let Some(pts) = pkt.pts().or(pkt.dts()) else {
                return Err(Error::bad_input(path, "video packet without a timestamp"));
            };
            let dur = if pkt.duration() > 0 {
                pkt.duration()
            } else {
                frame_ticks
            };
            end = end.max(pts + dur);
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
        Ok(Self {
            path: path.to_path_buf(),
            info,
            frame_rate,
            packets,
            pts,
            end,
            has_discarded,
            has_audio,
        })
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

/// One frame at `rate` in ticks of `tb`, rounded, at least 1.
fn frame_ticks(rate: Rational, tb: Rational) -> i64 {
    cutroom_ffi::rescale(1, rate.invert(), tb).max(1)
}
