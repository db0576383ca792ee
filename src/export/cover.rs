//! The cover picture of each deliverable (`<name>.<preset>.jpg`): a frame of the deliverable
//! itself, as the viewer sees it (reframed, captions and overlays burned in), at a given time
//! or, by default, the sharpest frame of the first third (the highest variance of the luma's
//! Laplacian: blur and fades score low); when every frame of the first third is blank (black,
//! one flat colour), the sharpest of as many frames from the first that is not. With bars
//! around the picture (pad, blur) only the picture is scored: the bars' edges are no picture.

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

/// The [`sharpness`] under which a frame is blank (black, one flat colour): its Laplacian
/// varies by less than one level of luma (a black frame of x264 scores 0.01, a picture
/// hundreds, a fade from black at a tenth of its light about 5).
const BLANK: f64 = 1.0;

/// Keeps the cover frame as a branch's frames go by.
#[derive(Default)]
pub(crate) struct Picker {
    /// Where the picture is (`[x0, y0, x1, y1]` fractions) when bars surround it.
    within: Option<[f64; 4]>,
    best: Option<(f64, VideoFrame)>,
    /// The frame before which [`Pick::SharpestBefore`] looks, once moved past its own (the
    /// first third was blank).
    until: Option<u64>,
}

impl Picker {
    /// A picker scoring the frames `within` the picture's area (`None`: the whole frame).
    pub(crate) fn within(within: Option<[f64; 4]>) -> Self {
        Self {
            within,
            ..Self::default()
        }
    }

    /// Output frame `k` (`yuv420p`) goes by.
    pub(crate) fn offer(&mut self, pick: Pick, k: u64, frame: &VideoFrame) -> crate::Result<()> {
        match pick {
            Pick::Frame(f) if f == k => self.best = Some((0.0, frame.share()?)),
            Pick::SharpestBefore(n) => {
                let until = *self.until.get_or_insert(n);
                let blank = self.best.as_ref().is_none_or(|(b, _)| *b < BLANK);
                if k >= until && !blank {
                    return Ok(());
                }
                let v = sharpness(frame, self.within);
                if k >= until {
                    if v < BLANK {
                        return Ok(());
                    }
                    // The first frame with a picture after a blank first third: as many
                    // frames from it.
                    self.until = Some(k + n);
                }
                if self.best.as_ref().is_none_or(|(b, _)| v > *b) {
                    self.best = Some((v, frame.share()?));
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the sharpest frame it kept is blank: every frame it looked at was black or one
    /// flat colour (never so for a cover at a time, which is the frame asked for).
    pub(crate) fn blank(&self) -> bool {
        self.until.is_some() && self.best.as_ref().is_some_and(|(b, _)| *b < BLANK)
    }

    /// The chosen frame.
    pub(crate) fn take(self) -> Option<VideoFrame> {
        self.best.map(|(_, f)| f)
    }
}

/// Variance of the 4-neighbour Laplacian of the luma plane `within` an area (`[x0, y0, x1,
/// y1]` fractions, its edges left out; `None`: the whole frame), on a grid of at most about
/// 540 rows, so a 1080p frame costs a quarter of its pixels.
pub fn sharpness(frame: &VideoFrame, within: Option<[f64; 4]>) -> f64 {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let step = (h / 540).max(1);
    let [x0, y0, x1, y1] = within.unwrap_or([0.0, 0.0, 1.0, 1.0]);
    // A pixel in from the area's edges (a scaled picture's border blends into the bar).
    let span = |a: f64, b: f64, n: usize| {
        let at = |v: f64| (v * n as f64).round() as usize;
        (
            (at(a) + step).max(step),
            at(b).min(n).saturating_sub(step + 1),
        )
    };
    let ((c0, c1), (r0, r1)) = (span(x0, x1, w), span(y0, y1, h));
    let (y, stride) = (frame.plane(0), frame.stride(0));
    let (mut sum, mut sq, mut n) = (0f64, 0f64, 0f64);
    for r in (r0..=r1).step_by(step) {
        for c in (c0..=c1).step_by(step) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use cutroom_ffi::Pixel;

    /// A 64x64 frame: flat grey `y`, or a checkerboard of 8-pixel squares (`sharp`).
    fn frame(y: u8, sharp: bool) -> VideoFrame {
        let mut f = VideoFrame::new(Pixel::Yuv420p, 64, 64);
        let stride = f.stride(0);
        for (i, v) in f.plane_mut(0).iter_mut().enumerate() {
            let (r, c) = (i / stride, i % stride);
            *v = if sharp && (r / 8 + c / 8) % 2 == 0 {
                235
            } else {
                y
            };
        }
        f
    }

    /// The frame picked from `frames` (of which the first `n` are the first third).
    fn picked(frames: &[VideoFrame], n: u64) -> Option<u64> {
        let mut p = Picker::default();
        for (k, f) in frames.iter().enumerate() {
            p.offer(Pick::SharpestBefore(n), k as u64, f).unwrap();
        }
        let got = p.take()?;
        frames
            .iter()
            .position(|f| f.plane(0) == got.plane(0))
            .map(|k| k as u64)
    }

    #[test]
    fn only_the_picture_between_bars_is_scored() {
        // A flat picture in the middle rows between darker bars: the bars' edges are no
        // picture.
        let mut f = frame(120, false);
        let stride = f.stride(0);
        for (i, v) in f.plane_mut(0).iter_mut().enumerate() {
            if !(16..48).contains(&(i / stride)) {
                *v = 40;
            }
        }
        assert!(sharpness(&f, None) > BLANK);
        assert!(sharpness(&f, Some([0.0, 0.25, 1.0, 0.75])) < BLANK);
        let sharp = frame(16, true);
        assert!(sharpness(&sharp, Some([0.0, 0.25, 1.0, 0.75])) > BLANK);
    }

    #[test]
    fn a_blank_first_third_looks_on_from_the_first_picture() {
        let black = || frame(16, false);
        // Sharp in the first third: that frame, not a sharper one later.
        let mut frames = vec![black(), frame(100, true), black(), frame(16, true)];
        assert_eq!(picked(&frames, 2), Some(1));
        // Black for the first third (and at the end): the sharpest of the two frames from
        // the first with a picture, not black.
        frames = vec![
            black(),
            black(),
            frame(200, true),
            frame(16, true),
            frame(100, true),
        ];
        assert_eq!(picked(&frames, 2), Some(3));
        // Black throughout: a black frame.
        frames = vec![black(), black(), black()];
        assert_eq!(picked(&frames, 1), Some(0));
    }
}
