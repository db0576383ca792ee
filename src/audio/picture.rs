//! The picture of a clip, copied bit for bit under a new soundtrack: its video packets' timing,
//! its length in audio samples, where it may be cut short, and the rewrite itself.

use crate::avwrite::{AvWriter, EncodedAudio};
use crate::error::{Error, Result};
use crate::media;
use crate::output::AtomicOutput;
use crate::progress::Progress;
use cutroom_ffi::{rescale, MediaKind, Rational};
use std::path::{Path, PathBuf};

/// Timing of one video packet, in the stream time base.
#[derive(Debug, Clone, Copy)]
struct Timing {
    pts: i64,
    end: i64,
    /// Presented: not pre-roll an edit list hides (FFmpeg flags that for discarding).
    shown: bool,
}

/// The video stream of a clip.
#[derive(Debug, Clone)]
pub struct Picture {
    path: PathBuf,
    stream: usize,
    time_base: Rational,
    /// Packets in file (decode) order.
    packets: Vec<Timing>,
    /// Presentation time of the first frame shown.
    start: i64,
    /// Some packets are hidden pre-roll (`ffmpeg -ss 0.5 -c copy` keeps the GOP before the
    /// cut and hides it with an edit list): the copy keeps them, hidden the same way.
    pre_roll: bool,
}

impl Picture {
    /// Read the video packets' timing of `path` (a demux pass, nothing is decoded).
    pub fn scan(path: &Path) -> Result<Self> {
        let mut input = media::open(path)?;
        let stream = input
            .best_stream(MediaKind::Video)
            .ok_or_else(|| Error::bad_input(path, "no video stream"))?;
        let info = &input.streams()[stream];
        if !info.params.fits_mp4() {
            return Err(Error::bad_input(
                path,
                format!(
                    "its {} picture cannot be copied into an MP4 (the picture is kept bit for \
                     bit); make an H.264 master first, e.g. with `cutroom concat {} -o master.mp4`",
                    info.params.codec_name(),
                    path.display()
                ),
            ));
        }
        let time_base = info.time_base;
        let mut packets = Vec::new();
        while let Some(p) = input.read_packet()? {
            if p.stream() == stream {
                let pts = p
                    .pts()
                    .or(p.dts())
                    .ok_or_else(|| media::untimed_packet(path))?;
                packets.push(Timing {
                    pts,
                    end: pts + p.duration().max(1),
                    shown: !p.is_discard(),
                });
            }
        }
        let start = packets
            .iter()
            .filter(|t| t.shown)
            .map(|t| t.pts)
            .min()
            .ok_or_else(|| Error::bad_input(path, "video stream has no frames"))?;
        let pre_roll = packets.iter().any(|t| !t.shown);
        Ok(Self {
            path: path.to_path_buf(),
            stream,
            time_base,
            packets,
            start,
            pre_roll,
        })
    }

    /// Number of video packets.
    pub fn packets(&self) -> usize {
        self.packets.len()
    }

    /// The picture's length as sample frames at `rate`.
    pub fn frames_at(&self, rate: u32) -> usize {
        let end = self
            .packets
            .iter()
            .filter(|t| t.shown)
            .map(|t| t.end)
            .max()
            .unwrap_or(self.start);
        self.ticks_to_frames(end - self.start, rate)
    }

    fn ticks_to_frames(&self, ticks: i64, rate: u32) -> usize {
        rescale(ticks, self.time_base, Rational::new(1, rate as i32)).max(0) as usize
    }

    /// The longest leading part of the picture that lasts at most `frames` samples at `rate`
    /// and can be cut off cleanly: a prefix of the packets in decode order that shows no frame
    /// after the cut (so no kept frame needs a dropped one). Returns (packets kept, its length
    /// in sample frames); `None` when not even the first frames fit.
    pub fn cut_within(&self, frames: usize, rate: u32) -> Option<(usize, usize)> {
        let n = self.packets.len();
        // Smallest pts from each packet to the end.
        let mut suffix_min = vec![i64::MAX; n + 1];
        for i in (0..n).rev() {
            suffix_min[i] = suffix_min[i + 1].min(self.packets[i].pts);
        }
        let mut best = None;
        let mut max_pts = i64::MIN;
        let mut max_end = i64::MIN;
        for (i, t) in self.packets.iter().enumerate() {
            max_pts = max_pts.max(t.pts);
            if t.shown {
                max_end = max_end.max(t.end);
            }
            let len = self.ticks_to_frames(max_end - self.start, rate);
            if len > frames {
                break;
            }
            if max_pts < suffix_min[i + 1] {
                best = Some((i + 1, len));
            }
        }
        best
    }

    /// Write `target`: the first `keep` video packets copied unchanged (shifted so the first
    /// frame shown is at 0; hidden pre-roll stays hidden behind an edit list), with the
    /// stream's display matrix (rotation), and the AAC `audio`, its sample 0 with the first
    /// frame shown; the complete file is left at its temp path for the caller to commit.
    pub fn write(
        &self,
        target: &Path,
        audio: EncodedAudio,
        keep: usize,
        bar: &dyn Progress,
    ) -> Result<AtomicOutput> {
        let mut input = media::open(&self.path)?;
        let info = input.streams()[self.stream].clone();
        let mut w =
            AvWriter::create_copy(target, &info, self.pre_roll, self.time_base, Some(audio))?;
        let mut written = 0;
        while written < keep {
            let Some(mut p) = input.read_packet()? else {
                break;
            };
            if p.stream() != self.stream {
                continue;
            }
            p.offset(-self.start);
            w.write_video(p)?;
            written += 1;
            bar.advance(1);
        }
        w.close()
    }
}
