//! The video index of a file: the timing of every packet of its video stream, read in one
//! demux pass (nothing decoded), with one rule for a packet that gives no duration (it lasts
//! one frame at the nominal rate). Concat's shot sources, the copied picture under a new
//! soundtrack, export's length of a file without a declared duration, where sync's picture ends
//! and probe's video timing all read it here.

use crate::error::{Error, Result};
use crate::media;
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::{Input, MediaKind, Packet, Rational, StreamInfo};
use std::path::{Path, PathBuf};

/// Timing of one video packet, in ticks of the stream's time base.
#[derive(Debug, Clone, Copy)]
pub struct PacketTimes {
    /// Presentation timestamp (the decoding one when the container gives none).
    pub pts: Ticks,
    /// Decoding timestamp (the presentation one when the container gives none).
    pub dts: Ticks,
    /// How long the frame shows (see [`VideoIndex::frame_ticks`] when the container is silent).
    pub duration: Ticks,
    /// A random access point.
    pub key: bool,
    /// Presented: not pre-roll an edit list hides (FFmpeg flags that for discarding).
    pub shown: bool,
}

impl PacketTimes {
    /// End of the frame (exclusive).
    pub fn end(&self) -> Ticks {
        self.pts + self.duration
    }
}

/// A file's video stream, indexed.
#[derive(Debug, Clone)]
pub struct VideoIndex {
    /// The file.
    pub path: PathBuf,
    /// Its video stream (FFmpeg's best).
    pub info: StreamInfo,
    /// The stream's time base: the unit of every timestamp here.
    pub time_base: TimeBase,
    /// The nominal frame rate (see [`nominal_rate`]), when the file says enough to know it.
    pub frame_rate: Option<Rational>,
    /// Every video packet in decoding order, hidden pre-roll included.
    pub packets: Vec<PacketTimes>,
    /// Presentation times of the frames shown, ascending.
    pub pts: Vec<Ticks>,
    /// End of the last frame shown (max of pts + duration), exclusive.
    pub end: Ticks,
    /// Some packets have no decoding timestamp (Matroska): they cannot be retimed as copies.
    pub lacks_dts: bool,
}

impl VideoIndex {
    /// Index the video stream of `input` (opened from `path`), reading it to its end; `each`
    /// sees every packet of every stream on the way (to decode the sound in the same pass).
    pub fn read(
        path: &Path,
        input: &mut Input,
        mut each: impl FnMut(&Packet) -> Result<()>,
    ) -> Result<Self> {
        let v = input
            .best_stream(MediaKind::Video)
            .ok_or_else(|| Error::bad_input(path, "no video stream"))?;
        let info = input.streams()[v].clone();
        let time_base = TimeBase::new(info.time_base)
            .ok_or_else(|| Error::bad_input(path, "the video stream has no time base"))?;
        let frame_rate = nominal_rate(info.real_frame_rate, info.avg_frame_rate);
        let frame = frame_ticks(frame_rate, time_base);
        let mut packets = Vec::new();
        let mut lacks_dts = false;
        while let Some(pkt) = input.read_packet()? {
            each(&pkt)?;
            if pkt.stream() != v {
                continue;
            }
            let Some(pts) = pkt.pts().or(pkt.dts()) else {
                return Err(media::untimed_packet(path));
            };
            let shown = !pkt.is_discard();
            lacks_dts |= shown && pkt.dts().is_none();
            packets.push(PacketTimes {
                pts: Ticks(pts),
                dts: Ticks(pkt.dts().unwrap_or(pts)),
                duration: packet_duration(&pkt, frame),
                key: pkt.is_key(),
                shown,
            });
        }
        let mut pts: Vec<Ticks> = packets.iter().filter(|p| p.shown).map(|p| p.pts).collect();
        if pts.is_empty() {
            return Err(Error::bad_input(path, "video stream has no frames"));
        }
        pts.sort_unstable();
        let last = *pts.last().expect("a frame is shown");
        if let Some(p) = packets.iter_mut().find(|p| p.shown && p.pts == last) {
            p.duration = last_frame(&info, frame, p.pts, p.duration);
        }
        let end = packets
            .iter()
            .filter(|p| p.shown)
            .map(PacketTimes::end)
            .max()
            .expect("a frame is shown");
        Ok(Self {
            path: path.to_path_buf(),
            info,
            time_base,
            frame_rate,
            packets,
            pts,
            end,
            lacks_dts,
        })
    }

    /// Presentation time, from the first frame, of the first packet whose decode time does not
    /// come after the one before it (two streams spliced with overlapping times): an MP4
    /// muxer refuses such packets, so the picture cannot be copied. `None` when every decode
    /// time rises, or the container gives none (Matroska: the copy works them out).
    pub fn dts_step_back(&self) -> Option<Ticks> {
        if self.lacks_dts {
            return None;
        }
        let shown: Vec<&PacketTimes> = self.packets.iter().filter(|p| p.shown).collect();
        let back = shown.windows(2).find(|w| w[1].dts <= w[0].dts)?;
        Some(back[1].pts - self.first())
    }

    /// Open `path` and index its video stream.
    pub fn scan(path: &Path) -> Result<Self> {
        Self::read(path, &mut media::open(path)?, |_| Ok(()))
    }

    /// The video stream index.
    pub fn stream(&self) -> usize {
        self.info.index
    }

    /// Presentation time of the first frame shown: time 0 of the clip.
    pub fn first(&self) -> Ticks {
        self.pts[0]
    }

    /// How long the picture shows, from its first frame to the end of its last.
    pub fn duration(&self) -> Ticks {
        self.end - self.first()
    }

    /// Some packets are pre-roll an edit list hides (`ffmpeg -ss 0.5 -c copy` keeps the GOP
    /// before the cut and hides it).
    pub fn has_hidden(&self) -> bool {
        self.packets.iter().any(|p| !p.shown)
    }

    /// The packets shown, in decoding order.
    pub fn shown(&self) -> impl Iterator<Item = &PacketTimes> {
        self.packets.iter().filter(|p| p.shown)
    }

    /// The shown keyframe packet whose pts is `pts`, if any.
    pub fn key_at(&self, pts: Ticks) -> Option<&PacketTimes> {
        self.shown().find(|p| p.key && p.pts == pts)
    }

    /// Presentation times of the shown keyframes, ascending.
    pub fn key_pts(&self) -> Vec<Ticks> {
        let mut k: Vec<Ticks> = self.shown().filter(|p| p.key).map(|p| p.pts).collect();
        k.sort_unstable();
        k
    }

    /// Decoding time to start from to decode the frame at `pts`: the last keyframe at or before
    /// it, else the first keyframe of the hidden pre-roll, else the start of the file.
    pub fn decode_start(&self, pts: Ticks) -> Ticks {
        self.key_pts()
            .iter()
            .rev()
            .find(|&&k| k <= pts)
            .and_then(|&k| self.key_at(k))
            .or_else(|| self.packets.iter().find(|p| !p.shown && p.key))
            .map_or(Ticks(i64::MIN), |k| k.dts)
    }

    /// One frame at the nominal rate, in ticks (rounded, at least 1; 1 when the rate is
    /// unknown): how long a packet without a duration lasts.
    pub fn frame_ticks(&self) -> Ticks {
        frame_ticks(self.frame_rate, self.time_base)
    }

    /// How long `pkt`, read from this stream, shows: [`packet_duration`], the last frame
    /// lasting to where the stream says it ends when FFmpeg cuts it short (behind an empty
    /// edit). The length a copy writes it with.
    pub fn duration_of(&self, pkt: &Packet) -> Ticks {
        let (frame, said) = (self.frame_ticks(), packet_duration(pkt, self.frame_ticks()));
        match pkt.pts().or(pkt.dts()).map(Ticks) {
            Some(pts) if !pkt.is_discard() && self.pts.last() == Some(&pts) => {
                last_frame(&self.info, frame, pts, said)
            }
            _ => said,
        }
    }

    /// Seconds for a tick count of the video time base (for reports only).
    pub fn secs(&self, ticks: Ticks) -> f64 {
        self.time_base.secs(ticks)
    }
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

/// How long the video packet `pkt` shows: its own duration, or one frame (`frame`, see
/// [`stream_frame_ticks`]) when the container gives none, or 1 tick where a frame is longer:
/// not a frame's length but a placeholder (FFmpeg gives every frame of an MP4 with B-frames on
/// a 600 Hz clock, a phone's, 1 tick). Other short durations are kept. The one rule every
/// reader of video packet timing follows (the last frame as [`VideoIndex::duration_of`] ends
/// it), and the length a copied packet is written with.
pub fn packet_duration(pkt: &Packet, frame: Ticks) -> Ticks {
    match pkt.duration() {
        1 if frame.0 > 2 => frame,
        d if d > 0 => Ticks(d),
        _ => frame,
    }
}

/// How long the last frame of the video stream `info` (at `pts`, said to last `said`) shows:
/// to where the stream says it ends (its start plus its duration) when that is later by at
/// most one frame (`frame`). FFmpeg's MP4 reader ends the last frame of a track without
/// B-frames at the track's length counted from 0, so behind an empty edit (a picture starting
/// one frame in, th_retalk1's 33 ms) it is cut by that much: 5 ticks where its table says 512.
fn last_frame(info: &StreamInfo, frame: Ticks, pts: Ticks, said: Ticks) -> Ticks {
    let declared = info
        .start_time
        .zip(info.duration)
        .map(|(s, d)| Ticks(s + d) - pts);
    match declared {
        Some(d) if d > said && d - said <= frame => d,
        _ => said,
    }
}

/// One frame of the video stream `info` at its nominal rate, in ticks of its time base (as
/// [`VideoIndex::frame_ticks`]; 1 when the rate or time base is unknown).
pub fn stream_frame_ticks(info: &StreamInfo) -> Ticks {
    TimeBase::new(info.time_base).map_or(Ticks(1), |tb| {
        frame_ticks(nominal_rate(info.real_frame_rate, info.avg_frame_rate), tb)
    })
}

/// One frame at `rate` in ticks of `tb`, rounded, at least 1 (1 for an unknown rate).
fn frame_ticks(rate: Option<Rational>, tb: TimeBase) -> Ticks {
    rate.and_then(TimeBase::of_rate)
        .map_or(Ticks(1), |f| Ticks(1).rescale(f, tb).max(Ticks(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_is_indexed_frame_by_frame_to_the_end_of_its_last_frame() {
        let fixture = |n: &str| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures")
                .join(n)
        };
        let ix = VideoIndex::scan(&fixture("marker_portrait_30.mp4")).unwrap();
        assert_eq!(ix.frame_rate, Some(Rational::new(30, 1)));
        assert_eq!((ix.pts.len(), ix.packets.len()), (180, 180));
        assert_eq!(ix.time_base.rational(), Rational::new(1, 15360));
        assert_eq!((ix.first(), ix.duration()), (Ticks(0), Ticks(92160)));
        assert_eq!(ix.frame_ticks(), Ticks(512));
        assert!(!ix.has_hidden() && !ix.lacks_dts);
        // Dropped frames keep their timestamps: the index ends where the last one does.
        let vfr = VideoIndex::scan(&fixture("vfr.mp4")).unwrap();
        assert_eq!(vfr.frame_rate, Some(Rational::new(30, 1)));
        assert_eq!((vfr.pts.len(), vfr.duration()), (163, Ticks(92160)));
        // Decoding a frame starts at a keyframe at or before it.
        let at = vfr.pts[100];
        let k = vfr.decode_start(at);
        assert!(
            vfr.shown().any(|p| p.key && p.dts == k && p.pts <= at),
            "{k}"
        );
    }

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
