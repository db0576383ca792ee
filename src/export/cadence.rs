//! Frame-rate conformance: which source frame each output frame shows, on an exact grid.
//!
//! Output frame `k` is shown at `k / rate`. It takes the source frame on screen a little after
//! that instant (half the shorter of the two frame periods), so a source at the output rate maps
//! one to one even when its timestamps are a tick off the grid, and a 60 fps source halved to
//! 30 fps keeps the frames on the grid (0, 2, 4, ...). The output always has exactly `total`
//! frames: extra source frames are dropped, a short source holds its last frame.

use crate::time::{Ticks, TimeBase};
use cutroom_ffi::Rational;
use std::ops::Range;

/// Maps source frame timestamps onto output frame indices.
#[derive(Debug, Clone)]
pub struct Cadence {
    src_tb: TimeBase,
    out_tb: TimeBase,
    /// How long after its instant an output frame takes the source frame on screen.
    lead: Ticks,
    total: u64,
    next: u64,
}

/// The time base of an output at `rate` (a preset's, always positive): one tick per frame.
pub fn grid(rate: Rational) -> TimeBase {
    TimeBase::of_rate(rate).expect("a preset's frame rate is positive (checked when read)")
}

impl Cadence {
    /// A grid of `total` frames at `rate`, fed source timestamps in `src_tb` ticks counted from
    /// the first frame; `src_rate` is the source's nominal frame rate (unknown: 0/0).
    pub fn new(src_tb: TimeBase, src_rate: Rational, rate: Rational, total: u64) -> Self {
        let out_tb = grid(rate);
        let out_period = Ticks(1).rescale(out_tb, src_tb);
        let period = match TimeBase::of_rate(src_rate) {
            Some(src) => Ticks(1).rescale(src, src_tb).min(out_period),
            None => out_period,
        };
        Self {
            src_tb,
            out_tb,
            lead: Ticks((period.0 / 2).max(0)),
            total,
            next: 0,
        }
    }

    /// The output time base (`1/rate`): output frame `k` has pts `k` in it.
    pub fn time_base(&self) -> TimeBase {
        self.out_tb
    }

    /// Output frames in all.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// A source frame starting at `pts` arrived: the output frames that show the frame before
    /// it (possibly none; none before the first frame).
    pub fn until(&mut self, pts: Ticks) -> Range<u64> {
        let start = self.next;
        while self.next < self.total && self.sample_at(self.next) < pts {
            self.next += 1;
        }
        start..self.next
    }

    /// The source ended: the output frames that show the last source frame.
    pub fn rest(&mut self) -> Range<u64> {
        let start = self.next;
        self.next = self.total;
        start..self.total
    }

    /// The source instant output frame `k` shows.
    fn sample_at(&self, k: u64) -> Ticks {
        Ticks(k as i64).rescale(self.out_tb, self.src_tb) + self.lead
    }
}

/// Output frames for a source of `duration` ticks of `tb` at `rate` (rounded, at least 1).
pub fn frame_count(duration: Ticks, tb: TimeBase, rate: Rational) -> u64 {
    duration.rescale(tb, grid(rate)).0.max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    use cutroom_ffi::rescale;

    fn tb(num: i32, den: i32) -> TimeBase {
        TimeBase::new(Rational::new(num, den)).unwrap()
    }

    /// Output index -> source frame index for source pts `pts`.
    fn mapping(c: &mut Cadence, pts: &[i64]) -> Vec<usize> {
        let mut out = Vec::new();
        for (i, &p) in pts.iter().enumerate() {
            for _ in c.until(Ticks(p)) {
                out.push(i - 1);
            }
        }
        for _ in c.rest() {
            out.push(pts.len() - 1);
        }
        out
    }

    #[test]
    fn same_rate_maps_one_to_one_despite_tick_rounding() {
        let tb = tb(1, 15360);
        let ntsc = Rational::new(30000, 1001);
        // 30000/1001 in 1/15360 ticks: 512.512... per frame, rounded per frame.
        let pts: Vec<i64> = (0..90)
            .map(|i| rescale(i, ntsc.invert(), tb.rational()))
            .collect();
        let mut c = Cadence::new(tb, ntsc, ntsc, 90);
        assert_eq!(mapping(&mut c, &pts), (0..90).collect::<Vec<_>>());
    }

    #[test]
    fn halving_keeps_frames_on_the_grid_and_upsampling_repeats() {
        let tb = tb(1, 90000);
        let pts: Vec<i64> = (0..120).map(|i| i * 1500).collect(); // 60 fps, 2 s
        let mut c = Cadence::new(tb, Rational::new(60, 1), Rational::new(30, 1), 60);
        let m = mapping(&mut c, &pts);
        assert_eq!(m, (0..60).map(|k| 2 * k).collect::<Vec<_>>());
        let pts: Vec<i64> = (0..30).map(|i| i * 6000).collect(); // 15 fps, 2 s
        let mut c = Cadence::new(tb, Rational::new(15, 1), Rational::new(30, 1), 60);
        let m = mapping(&mut c, &pts);
        assert_eq!(m, (0..60).map(|k| k / 2).collect::<Vec<_>>());
    }

    #[test]
    fn output_length_is_exact() {
        let tb = tb(1, 1000);
        let mut c = Cadence::new(tb, Rational::new(25, 1), Rational::new(25, 1), 10);
        assert_eq!(
            mapping(&mut c, &[0, 40, 80]),
            [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]
        );
        let mut c = Cadence::new(tb, Rational::new(25, 1), Rational::new(25, 1), 2);
        assert_eq!(mapping(&mut c, &[0, 40, 80, 120]), [0, 1]);
        assert_eq!(frame_count(Ticks(2000), tb, Rational::new(30000, 1001)), 60);
    }
}
