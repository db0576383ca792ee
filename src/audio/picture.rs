//! The picture of a clip, copied bit for bit under a new soundtrack: its video packets' timing,
//! its length in audio samples, where it may be cut short, and the rewrite itself.

use crate::avwrite::{AvWriter, EncodedAudio};
use crate::error::{Error, Result};
use crate::media;
use crate::output::AtomicOutput;
use crate::progress::Progress;
use crate::time::Ticks;
use crate::video_index::VideoIndex;
use cutroom_ffi::MediaKind;
use std::path::Path;

/// The video stream of a clip.
#[derive(Debug, Clone)]
pub struct Picture {
    /// Its packets, hidden pre-roll included (`ffmpeg -ss 0.5 -c copy` keeps the GOP before
    /// the cut and hides it with an edit list): the copy keeps them, hidden the same way.
    index: VideoIndex,
    /// The warning for the clip's audio tracks besides its first (see [`media::unused_audio`]).
    pub unused_audio: Option<String>,
    /// The warning for the clip's tracks the output does not carry (see
    /// [`media::tracks_not_carried`]).
    pub not_carried: Option<String>,
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
        let unused_audio = media::unused_audio(&input);
        let not_carried = media::tracks_not_carried(&input);
        let index = VideoIndex::read(path, &mut input, |_| Ok(()))?;
        if let Some(at) = index.dts_step_back() {
            return Err(Error::bad_input(
                path,
                format!(
                    "its video's decoding times go back at {:.3} s (two streams spliced?), which \
                     an MP4 cannot hold, so its picture cannot be copied; make an H.264 master \
                     first, e.g. with `cutroom concat {} -o master.mp4`",
                    index.secs(at),
                    path.display()
                ),
            ));
        }
        Ok(Self {
            index,
            unused_audio,
            not_carried,
        })
    }

    /// Number of video packets.
    pub fn packets(&self) -> usize {
        self.index.packets.len()
    }

    /// The picture's length as sample frames at `rate`.
    pub fn frames_at(&self, rate: u32) -> usize {
        self.ticks_to_frames(self.index.duration(), rate)
    }

    fn ticks_to_frames(&self, ticks: Ticks, rate: u32) -> usize {
        ticks.samples(self.index.time_base, rate).count()
    }

    /// The longest leading part of the picture that lasts at most `frames` samples at `rate`
    /// and can be cut off cleanly: a prefix of the packets in decode order that shows no frame
    /// after the cut (so no kept frame needs a dropped one). Returns (packets kept, its length
    /// in sample frames); `None` when not even the first frames fit.
    pub fn cut_within(&self, frames: usize, rate: u32) -> Option<(usize, usize)> {
        let packets = &self.index.packets;
        let n = packets.len();
        // Smallest pts from each packet to the end.
        let mut suffix_min = vec![Ticks(i64::MAX); n + 1];
        for i in (0..n).rev() {
            suffix_min[i] = suffix_min[i + 1].min(packets[i].pts);
        }
        let mut best = None;
        let mut max_pts = Ticks(i64::MIN);
        let mut max_end = Ticks(i64::MIN);
        for (i, t) in packets.iter().enumerate() {
            max_pts = max_pts.max(t.pts);
            if t.shown {
                max_end = max_end.max(t.end());
            }
            let len = self.ticks_to_frames(max_end - self.index.first(), rate);
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
        let ix = &self.index;
        let mut input = media::open(&ix.path)?;
        let mut w = AvWriter::create_copy(
            target,
            &ix.info,
            ix.has_hidden(),
            ix.time_base.rational(),
            Some(audio),
        )?;
        let mut written = 0;
        while written < keep {
            let Some(mut p) = input.read_packet()? else {
                break;
            };
            if p.stream() != ix.stream() {
                continue;
            }
            p.set_duration(ix.duration_of(&p).0);
            p.offset(-ix.first().0);
            w.write_video(p)?;
            written += 1;
            bar.advance(1);
        }
        w.close()
    }
}
