//! The cover picture of each deliverable (`<name>.<preset>.jpg`): a frame of the deliverable
//! itself, as the viewer sees it (reframed, captions and overlays burned in), at a given time
//! or, by default, the sharpest frame of the first third (the highest variance of the luma's
//! Laplacian: blur and fades score low).

use crate::timeline::TimeSpec;
use cutroom_ffi::VideoFrame;
use std::path::{Path, PathBuf};

/// Which frame becomes the cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cover {
    /// The sharpest frame in the first third.
    Sharpest,
    /// The frame shown at this time.
    At(TimeSpec),
}

impl Cover {
    /// `auto` (the sharpest frame) or a time (`3.2`, `"3.2s"`, `"96f"`).
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auto" => Ok(Self::Sharpest),
            t => TimeSpec::parse(t).map(Self::At),
        }
    }
}

/// The cover of a branch, in frames of its output grid (`frames` long, `per_sec` frames a
/// second).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pick {
    /// This frame.
    Frame(u64),
    /// The sharpest of the frames before this one.
    SharpestBefore(u64),
}

impl Pick {
    /// Where `cover` falls in a grid of `frames` frames at `rate` frames a second; a time or
    /// frame past the end is an error (a typo, never silently the last frame).
    pub(crate) fn of(
        cover: Cover,
        frames: u64,
        rate: cutroom_ffi::Rational,
    ) -> Result<Self, String> {
        let at = match cover {
            Cover::Sharpest => return Ok(Self::SharpestBefore((frames / 3).max(1))),
            Cover::At(at) => at,
        };
        let f = match at {
            TimeSpec::Frame(f) => f,
            TimeSpec::Nanos(ns) => {
                let f = i128::from(ns) * i128::from(rate.num)
                    / (i128::from(rate.den) * i128::from(crate::timeline::NANOS));
                f.max(0) as u64
            }
        };
        if f >= frames {
            let secs = frames as f64 * f64::from(rate.den) / f64::from(rate.num);
            return Err(format!(
                "the cover at {at} is past the end of the output ({secs:.3} s, {frames} frames)"
            ));
        }
        Ok(Self::Frame(f))
    }
}

/// Keeps the cover frame as a branch's frames go by.
#[derive(Default)]
pub(crate) struct Picker {
    best: Option<(f64, VideoFrame)>,
}

impl Picker {
    /// Output frame `k` (`yuv420p`) goes by.
    pub(crate) fn offer(&mut self, pick: Pick, k: u64, frame: &VideoFrame) -> crate::Result<()> {
        match pick {
            Pick::Frame(f) if f == k => self.best = Some((0.0, frame.share()?)),
            Pick::SharpestBefore(n) if k < n => {
                let v = sharpness(frame);
                if self.best.as_ref().is_none_or(|(b, _)| v > *b) {
                    self.best = Some((v, frame.share()?));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The chosen frame.
    pub(crate) fn take(self) -> Option<VideoFrame> {
        self.best.map(|(_, f)| f)
    }
}

/// Variance of the 4-neighbour Laplacian of the luma plane (on a grid of at most about 540
/// rows, so a 1080p frame costs a quarter of its pixels).
pub fn sharpness(frame: &VideoFrame) -> f64 {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let step = (h / 540).max(1);
    let (y, stride) = (frame.plane(0), frame.stride(0));
    let (mut sum, mut sq, mut n) = (0f64, 0f64, 0f64);
    for r in (step..h.saturating_sub(step)).step_by(step) {
        for c in (step..w.saturating_sub(step)).step_by(step) {
            let at = |r: usize, c: usize| f64::from(y[r * stride + c]);
            let l = 4.0 * at(r, c)
                - at(r - step, c)
                - at(r + step, c)
                - at(r, c - step)
                - at(r, c + step);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    if n == 0.0 {
        return 0.0;
    }
    sq / n - (sum / n).powi(2)
}

/// The cover path of a deliverable: `<name>.<preset>.jpg` beside it.
pub fn path(target: &Path) -> PathBuf {
    target.with_extension("jpg")
}
