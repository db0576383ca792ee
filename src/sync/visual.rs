//! Visual events a sound can belong to: flashes, cuts and impacts (an object reversing its
//! motion), timed on the presentation timeline, and the visual onset impulses for correlation.

use super::video::{FrameStats, VideoTrack, MIN_CHANGE};
use serde::Serialize;

/// A picture change that comes back within this long (s) is a flash: a white frame at 25 fps,
/// the same 40 ms at 60 fps (three frames), up to 12 frames at 120 fps.
const FLASH_S: f64 = 0.1;
/// Mean change (luma levels) below which a frame shows nothing new: a few pixels of coding
/// noise, such as a static picture's keyframe refresh, are no visual onset.
const VISIBLE: f32 = 0.1;
/// Motion fitted on each side of an impact (s)...
const FIT_S: f64 = 0.1;
/// ...and at least this many points of it.
const FIT_MIN: usize = 3;

/// What happened in the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The picture changes and comes back within 100 ms.
    Flash,
    /// The picture changes and stays changed.
    Cut,
    /// A moving object reverses (bounces, hits something).
    Impact,
}

impl Kind {
    /// How much a pairing of this kind of event is worth as evidence.
    pub fn weight(self) -> f64 {
        match self {
            Self::Flash | Self::Impact => 1.0,
            Self::Cut => 0.5,
        }
    }
}

/// One visual event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Presentation time (s): the first frame showing a flash or cut, or the fitted instant of
    /// an impact (between frames).
    pub time: f64,
    /// What it is.
    pub kind: Kind,
}

/// Visual events and onset impulses of a video track.
#[derive(Debug, Clone, Default)]
pub struct Visual {
    /// Events in time order.
    pub events: Vec<Event>,
    /// `(time s, strength)` per frame: how much new change the frame brings, plus impacts.
    pub impulses: Vec<(f64, f32)>,
}

/// Find events in `video`.
pub fn analyse(video: &VideoTrack) -> Visual {
    let f = &video.frames;
    if f.len() < 2 {
        return Visual::default();
    }
    let mut sorted: Vec<f32> = f.iter().map(|s| s.diff).collect();
    sorted.sort_by(f32::total_cmp);
    let typical = sorted[sorted.len() / 2];
    let threshold = MIN_CHANGE.max(3.0 * typical + 4.0);
    let mut events = Vec::new();
    let mut jumps = vec![false; f.len()];
    // Frames where a flash ends: the picture coming back is no event of its own.
    let mut flash_ends = vec![false; f.len()];
    let flash_frames = (FLASH_S / video.frame_duration() + 1e-6).floor().max(1.0);
    for i in 1..f.len() {
        if flash_ends[i] {
            jumps[i] = true;
        } else if f[i].diff >= threshold && f[i].diff > 2.0 * recent_change(f, i) {
            jumps[i] = true;
            // Came back soon: a flash; stayed: a cut.
            let back = f[i].returns_after.map(usize::from);
            let kind = match back.filter(|&k| k as f64 <= flash_frames) {
                Some(k) => {
                    if let Some(end) = flash_ends.get_mut(i + k) {
                        *end = true;
                    }
                    Kind::Flash
                }
                None => Kind::Cut,
            };
            events.push(Event {
                time: video.time(i),
                kind,
            });
        }
    }
    let mut impulses: Vec<(f64, f32)> = (0..f.len())
        .map(|i| {
            let new = if f[i].diff < VISIBLE || flash_ends[i] {
                0.0
            } else {
                (f[i].diff - recent_change(f, i)).max(0.0)
            };
            (video.time(i), new)
        })
        .collect();
    for time in impacts(video, &jumps) {
        events.push(Event {
            time,
            kind: Kind::Impact,
        });
        // An impact weighs like a clear picture change.
        impulses.push((time, threshold));
    }
    events.sort_by(|a, b| a.time.total_cmp(&b.time));
    impulses.sort_by(|a, b| a.0.total_cmp(&b.0));
    Visual { events, impulses }
}

/// The larger change of the two frames before frame `i` (0 where there are none).
fn recent_change(f: &[FrameStats], i: usize) -> f32 {
    f[i.saturating_sub(2)..i]
        .iter()
        .map(|s| s.diff)
        .fold(0.0, f32::max)
}

/// Impacts: instants (s) where the centroid of the moving pixels reverses along an axis, found
/// by intersecting straight-line fits of the motion before and after, so they fall between
/// frames.
fn impacts(video: &VideoTrack, jumps: &[bool]) -> Vec<f64> {
    let f = &video.frames;
    // The change between frames i-1 and i shows where the object was around their midpoint.
    let mut track: Vec<(f64, [f64; 2])> = Vec::new();
    let mut runs: Vec<Vec<(f64, [f64; 2])>> = Vec::new();
    for i in 1..f.len() {
        // Flashes and cuts move everything: no object track through them.
        let bad = jumps[i] || jumps[i - 1];
        match f[i].centroid.filter(|_| !bad) {
            Some((x, y)) => {
                let t = (video.time(i - 1) + video.time(i)) / 2.0;
                track.push((t, [f64::from(x), f64::from(y)]));
            }
            None => runs.push(std::mem::take(&mut track)),
        }
    }
    runs.push(track);
    let k = FIT_MIN.max((FIT_S / video.frame_duration()).round() as usize);
    let mut found: Vec<(f64, f64)> = Vec::new(); // time, relative residual
    for run in runs.iter().filter(|r| r.len() > 2 * k) {
        for s in k..run.len() - k {
            let pre = &run[s - k..s];
            let post = &run[s + 1..=s + k];
            for axis in 0..2 {
                let (Some(a), Some(b)) = (fit(pre, axis), fit(post, axis)) else {
                    continue;
                };
                // A reversal of a clear, steady motion.
                let speed = a.slope.abs().min(b.slope.abs());
                if a.slope * b.slope >= 0.0 || speed < 0.05 {
                    continue;
                }
                let noise = (a.rms + b.rms) / speed;
                if noise > 0.01 {
                    continue;
                }
                let t = (b.intercept - a.intercept) / (a.slope - b.slope);
                if t < run[s - 1].0 || t > run[s + 1].0 {
                    continue;
                }
                found.push((t, noise));
            }
        }
    }
    // Neighbouring splits see the same impact: keep the best-fitting one per cluster.
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let span = 2.0 * video.frame_duration();
    let mut out: Vec<(f64, f64)> = Vec::new();
    for c in found {
        match out.last_mut() {
            Some(last) if c.0 - last.0 < span => {
                if c.1 < last.1 {
                    *last = c;
                }
            }
            _ => out.push(c),
        }
    }
    out.into_iter().map(|(t, _)| t).collect()
}

/// A least-squares line `intercept + slope * t` with its RMS residual.
struct Line {
    intercept: f64,
    slope: f64,
    rms: f64,
}

fn fit(points: &[(f64, [f64; 2])], axis: usize) -> Option<Line> {
    let n = points.len() as f64;
    let mt = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mv = points.iter().map(|p| p.1[axis]).sum::<f64>() / n;
    let stt: f64 = points.iter().map(|p| (p.0 - mt).powi(2)).sum();
    if stt <= 0.0 {
        return None;
    }
    let slope = points
        .iter()
        .map(|p| (p.0 - mt) * (p.1[axis] - mv))
        .sum::<f64>()
        / stt;
    let intercept = mv - slope * mt;
    let rms = (points
        .iter()
        .map(|p| (p.1[axis] - intercept - slope * p.0).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    Some(Line {
        intercept,
        slope,
        rms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::video::FrameStats;
    use crate::time::{Ticks, TimeBase};
    use cutroom_ffi::Rational;

    fn track_at(fps: i32, frames: Vec<FrameStats>) -> VideoTrack {
        VideoTrack {
            time_base: TimeBase::of_rate(Rational::new(fps, 1)).unwrap(),
            frame: Ticks(1),
            end: Ticks(frames.last().map_or(0, |f| f.pts + 1)),
            frames,
            damaged: 0,
        }
    }

    fn track(frames: Vec<FrameStats>) -> VideoTrack {
        track_at(25, frames)
    }

    fn frame(pts: i64, diff: f32, back: Option<u8>, centroid: Option<(f32, f32)>) -> FrameStats {
        FrameStats {
            pts,
            diff,
            returns_after: back,
            centroid,
        }
    }

    fn kinds(v: &Visual) -> Vec<(f64, Kind)> {
        v.events.iter().map(|e| (e.time, e.kind)).collect()
    }

    #[test]
    fn flash_and_cut() {
        let mut f: Vec<FrameStats> = (0..20).map(|i| frame(i, 0.0, None, None)).collect();
        f[5] = frame(5, 200.0, Some(1), None); // flash: back to the old picture after
        f[6] = frame(6, 200.0, None, None);
        f[12] = frame(12, 90.0, None, None); // cut: stays
        let v = analyse(&track(f));
        assert_eq!(kinds(&v), vec![(0.2, Kind::Flash), (0.48, Kind::Cut)]);
    }

    #[test]
    fn a_flash_of_several_frames_is_one_flash_at_its_first() {
        // 40 ms of white at 60 fps: three frames, then the picture comes back.
        let mut f: Vec<FrameStats> = (0..60).map(|i| frame(i, 0.0, None, None)).collect();
        f[30] = frame(30, 160.0, Some(3), None);
        f[33] = frame(33, 160.0, None, None);
        let v = analyse(&track_at(60, f.clone()));
        assert_eq!(kinds(&v), vec![(0.5, Kind::Flash)]);
        let ends = v.impulses.iter().filter(|i| i.1 > 0.0).count();
        assert_eq!(
            ends, 1,
            "the picture coming back is no onset: {:?}",
            v.impulses
        );
        // At 25 fps three frames are 120 ms: a cut there and a cut back.
        let v = analyse(&track_at(25, f));
        assert_eq!(kinds(&v), vec![(1.2, Kind::Cut), (1.32, Kind::Cut)]);
    }

    #[test]
    fn impact_falls_between_frames() {
        // An object moving at 1 width/s bounces back at t = 0.43 s.
        let pos = |t: f64| 0.5 - (t - 0.43).abs();
        let f: Vec<FrameStats> = (0..25)
            .map(|i| {
                let (t0, t1) = ((i as f64 - 1.0) / 25.0, i as f64 / 25.0);
                let c = ((pos(t0) + pos(t1)) / 2.0) as f32;
                frame(i, 1.0, None, (i > 0).then_some((c, 0.3)))
            })
            .collect();
        let v = analyse(&track(f));
        assert_eq!(v.events.len(), 1, "{:?}", v.events);
        assert_eq!(v.events[0].kind, Kind::Impact);
        assert!((v.events[0].time - 0.43).abs() < 1e-4, "{:?}", v.events);
    }
}
