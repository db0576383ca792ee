//! `--focus auto`: the crop window follows the centre of motion, smoothed so it glides.
//!
//! Each decoded frame is reduced to a small grey thumbnail (in display orientation); the centre
//! of what changed since the previous thumbnail is that frame's raw focus. A centred moving
//! average over about a second either side (a lookahead: frames wait in the branch until
//! their future is known) turns the raw points into a smooth path; frames without motion
//! borrow their neighbours' points, and a clip without any motion stays centred. Points aimed
//! at faces ([`super::faces`]) weigh more in the average than motion's.

use crate::error::Result;
use crate::picture::small::Shrinker;
use crate::picture::turn::Turn;
use cutroom_ffi::{Pixel, VideoFrame};
use std::collections::VecDeque;

/// Thumbnail width in pixels (the height keeps the picture's shape).
pub const THUMB_WIDTH: u32 = 96;

/// Per-pixel difference (of 255) treated as noise.
const NOISE: u8 = 10;
/// Total difference below which a frame has no usable motion (about 4 fully changed pixels).
const MIN_MOTION: u64 = 4 * 255;

/// A raw point `(x, y)` and its weight in the moving average.
pub type Weighted = ((f64, f64), f64);

/// A small 8-bit grey picture, rows packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumb {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height` luma values.
    pub data: Vec<u8>,
}

/// The centre of what changed from `prev` to `cur`, as `(x, y)` fractions of the picture;
/// `None` when too little changed (or the sizes differ).
pub fn motion_centre(prev: &Thumb, cur: &Thumb) -> Option<(f64, f64)> {
    if (prev.width, prev.height) != (cur.width, cur.height) {
        return None;
    }
    let (mut total, mut sx, mut sy) = (0u64, 0u64, 0u64);
    for (i, (a, b)) in prev.data.iter().zip(&cur.data).enumerate() {
        let w = u64::from(a.abs_diff(*b).saturating_sub(NOISE));
        if w > 0 {
            let (x, y) = (
                i as u64 % u64::from(cur.width),
                i as u64 / u64::from(cur.width),
            );
            total += w;
            sx += w * (2 * x + 1);
            sy += w * (2 * y + 1);
        }
    }
    (total >= MIN_MOTION).then(|| {
        (
            sx as f64 / (2.0 * total as f64 * f64::from(cur.width)),
            sy as f64 / (2.0 * total as f64 * f64::from(cur.height)),
        )
    })
}

/// Delays items by `radius` and gives each the weighted mean of the known raw points within
/// `radius` items either side (the previous result when none is known; the centre at the
/// start).
#[derive(Debug)]
pub struct Smoother<T> {
    radius: usize,
    raw: VecDeque<Option<Weighted>>,
    raw_base: usize,
    held: VecDeque<(usize, T)>,
    next: usize,
    last: (f64, f64),
}

impl<T> Smoother<T> {
    /// A smoother averaging over `radius` items either side.
    pub fn new(radius: usize) -> Self {
        Self {
            radius,
            raw: VecDeque::new(),
            raw_base: 0,
            held: VecDeque::new(),
            next: 0,
            last: (0.5, 0.5),
        }
    }

    /// Add the next item with its raw point; returns the item `radius` places back, when there
    /// is one, with its smoothed point.
    pub fn push(&mut self, item: T, point: Option<Weighted>) -> Option<(T, (f64, f64))> {
        self.raw.push_back(point);
        self.held.push_back((self.next, item));
        self.next += 1;
        (self.held.len() > self.radius)
            .then(|| self.emit())
            .flatten()
    }

    /// The items still held, with their smoothed points (at the end of the input).
    pub fn finish(&mut self) -> Vec<(T, (f64, f64))> {
        std::iter::from_fn(|| self.emit()).collect()
    }

    fn emit(&mut self) -> Option<(T, (f64, f64))> {
        let (i, item) = self.held.pop_front()?;
        // A symmetric window (narrower near the ends, so a steady move is followed exactly),
        // else the nearest point within the full window.
        let r = self.radius.min(i).min(self.next - 1 - i);
        let mut known = self.known(i - r, i + r);
        if known.is_empty() {
            let (lo, hi) = (
                i.saturating_sub(self.radius),
                (i + self.radius).min(self.next - 1),
            );
            known = (1..=self.radius)
                .flat_map(|d| [i.checked_sub(d), Some(i + d)])
                .flatten()
                .filter(|j| (lo..=hi).contains(j))
                .find_map(|j| self.raw[j - self.raw_base])
                .into_iter()
                .collect();
        }
        if !known.is_empty() {
            let total = known.iter().map(|(_, w)| w).sum::<f64>();
            self.last = (
                known.iter().map(|(p, w)| w * p.0).sum::<f64>() / total,
                known.iter().map(|(p, w)| w * p.1).sum::<f64>() / total,
            );
        }
        while self.raw_base < (i + 1).saturating_sub(self.radius) {
            self.raw.pop_front();
            self.raw_base += 1;
        }
        Some((item, self.last))
    }

    /// The raw points known among items `lo..=hi`.
    fn known(&self, lo: usize, hi: usize) -> Vec<Weighted> {
        (lo..=hi)
            .filter_map(|j| self.raw[j - self.raw_base])
            .collect()
    }
}

/// Measures each decoded frame's centre of motion on thumbnails in display orientation.
pub struct Tracker {
    shrinker: Shrinker,
    prev: Option<Thumb>,
}

impl Tracker {
    /// A tracker for frames shown after `turn`.
    pub fn new(turn: Turn) -> Self {
        Self {
            shrinker: Shrinker::new(turn, Pixel::Gray),
            prev: None,
        }
    }

    /// The centre of motion since the previous frame, as fractions of the upright picture.
    pub fn track(&mut self, frame: &VideoFrame) -> Result<Option<(f64, f64)>> {
        let small = self.shrinker.shrink(frame, |w, h| {
            let th = ((f64::from(THUMB_WIDTH) * f64::from(h) / f64::from(w)).round() as u32).max(1);
            (THUMB_WIDTH, th)
        })?;
        let Some(g) = small else {
            return Ok(None);
        };
        let thumb = Thumb {
            width: g.width,
            height: g.height,
            data: g.data,
        };
        let centre = self.prev.as_ref().and_then(|p| motion_centre(p, &thumb));
        self.prev = Some(thumb);
        Ok(centre)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thumb_with_box(x0: u32, y0: u32) -> Thumb {
        let (w, h) = (32, 18);
        let mut data = vec![20u8; (w * h) as usize];
        for y in y0..y0 + 4 {
            for x in x0..x0 + 4 {
                data[(y * w + x) as usize] = 230;
            }
        }
        Thumb {
            width: w,
            height: h,
            data,
        }
    }

    #[test]
    fn centre_of_motion_is_where_things_changed() {
        let (a, b) = (thumb_with_box(4, 6), thumb_with_box(8, 6));
        let (x, y) = motion_centre(&a, &b).unwrap();
        // The box moved from x 4..8 to 8..12: change over 4..12, centre 8 of 32.
        assert!((x - 8.0 / 32.0).abs() < 1e-9, "{x}");
        assert!((y - 8.0 / 18.0).abs() < 1e-9, "{y}");
        assert_eq!(motion_centre(&a, &a), None);
    }

    #[test]
    fn smoothing_follows_a_steady_move_and_holds_through_gaps() {
        let run = |points: &[Option<(f64, f64)>]| {
            let mut s = Smoother::new(2);
            let mut out = Vec::new();
            for (i, p) in points.iter().enumerate() {
                out.extend(s.push(i, p.map(|p| (p, 1.0))));
            }
            out.extend(s.finish());
            assert_eq!(
                out.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
                (0..points.len()).collect::<Vec<_>>()
            );
            out.into_iter().map(|(_, p)| p.0).collect::<Vec<f64>>()
        };
        // A centred mean of a straight line is the line itself, ends included.
        let line: Vec<_> = (0..10).map(|i| Some((0.1 * f64::from(i), 0.5))).collect();
        for (i, x) in run(&line).iter().enumerate() {
            assert!((x - 0.1 * i as f64).abs() < 1e-9, "{i}: {x}");
        }
        // A frame without motion takes its neighbours' point.
        let mut steady = vec![Some((0.3, 0.5)); 7];
        steady[3] = None;
        assert!(run(&steady).iter().all(|x| (x - 0.3).abs() < 1e-9));
        // The first frame has no point of its own (nothing to compare with): its neighbour's.
        let mut start = line.clone();
        start[0] = None;
        assert!((run(&start)[0] - 0.1).abs() < 1e-9);
        // No motion at all: centred.
        assert_eq!(run(&[None, None]), [0.5, 0.5]);
        // A point weighing ten counts ten times.
        let mut s = Smoother::new(1);
        assert!(s.push(0, Some(((0.1, 0.5), 1.0))).is_none());
        s.push(1, Some(((0.1, 0.5), 1.0)));
        let (_, (x, _)) = s.push(2, Some(((0.65, 0.5), 10.0))).unwrap();
        assert!((x - (0.1 + 0.1 + 6.5) / 12.0).abs() < 1e-9, "{x}");
    }
}
