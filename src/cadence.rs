//! Frame-rate conversion: which source frame each output frame shows, one rule for concat,
//! export and retimed clips.
//!
//! The rule is FFmpeg's `fps` filter's: each source frame's start, counted from the first
//! frame, is rounded to the nearest output frame (halves up), and output frame `k` shows the
//! last source frame rounded to `k` or before. That is the source frame on screen just before
//! the middle of the output frame, `(k + 1/2) / rate`; one starting exactly on the middle waits
//! for the next output frame. So halving 60 fps keeps frames 0, 2, 4, ..., doubling 15 fps
//! shows each frame twice, and a source at the output rate maps one to one even when its
//! timestamps are a tick off the grid. An output has exactly the frames it is planned to have:
//! extra source frames are dropped, a short source holds its last frame.

use crate::time::{Ticks, TimeBase};
use cutroom_ffi::Rational;
use std::ops::Range;

/// Output frames laid over a source's ticks, picked by the rule above.
#[derive(Debug, Clone, Copy)]
pub struct Slots {
    /// Output frames per source tick: `num / den`, both positive.
    num: i128,
    den: i128,
}

impl Slots {
    /// Output frames at `rate` over a source timed in `tb` ticks.
    pub fn at_rate(tb: TimeBase, rate: Rational) -> Self {
        let (tb, out) = (tb.rational(), grid(rate).rational());
        Self {
            num: i128::from(tb.num) * i128::from(out.den),
            den: i128::from(tb.den) * i128::from(out.num),
        }
    }

    /// `frames` output frames spread evenly over `span` source ticks (a retimed clip).
    pub fn spread(frames: i64, span: Ticks) -> Self {
        Self {
            num: i128::from(frames.max(1)),
            den: i128::from(span.0.max(1)),
        }
    }

    /// The output frame from which a source frame starting `offset` ticks after the first one
    /// is shown (until a later source frame's): `offset` in output frames, rounded to nearest,
    /// halves up.
    pub fn first_shown(self, offset: Ticks) -> i64 {
        (2 * i128::from(offset.0) * self.num + self.den).div_euclid(2 * self.den) as i64
    }
}

/// Maps source frame timestamps onto output frame indices, as they arrive.
#[derive(Debug, Clone)]
pub struct Cadence {
    slots: Slots,
    out_tb: TimeBase,
    total: u64,
    next: u64,
}

/// The time base of an output at `rate` (a preset's, always positive): one tick per frame.
pub fn grid(rate: Rational) -> TimeBase {
    TimeBase::of_rate(rate).expect("a preset's frame rate is positive (checked when read)")
}

impl Cadence {
    /// A grid of `total` frames at `rate`, fed source timestamps in `src_tb` ticks counted from
    /// the first frame.
    pub fn new(src_tb: TimeBase, rate: Rational, total: u64) -> Self {
        Self {
            slots: Slots::at_rate(src_tb, rate),
            out_tb: grid(rate),
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
        let shown = self.slots.first_shown(pts).clamp(0, self.total as i64) as u64;
        self.next = self.next.max(shown);
        start..self.next
    }

    /// The source ended: the output frames that show the last source frame.
    pub fn rest(&mut self) -> Range<u64> {
        let start = self.next;
        self.next = self.total;
        start..self.total
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
        let mut c = Cadence::new(tb, ntsc, 90);
        assert_eq!(mapping(&mut c, &pts), (0..90).collect::<Vec<_>>());
    }

    #[test]
    fn halving_keeps_frames_on_the_grid_and_upsampling_repeats() {
        let tb = tb(1, 90000);
        let pts: Vec<i64> = (0..120).map(|i| i * 1500).collect(); // 60 fps, 2 s
        let mut c = Cadence::new(tb, Rational::new(30, 1), 60);
        let m = mapping(&mut c, &pts);
        assert_eq!(m, (0..60).map(|k| 2 * k).collect::<Vec<_>>());
        let pts: Vec<i64> = (0..30).map(|i| i * 6000).collect(); // 15 fps, 2 s
        let mut c = Cadence::new(tb, Rational::new(30, 1), 60);
        let m = mapping(&mut c, &pts);
        assert_eq!(m, (0..60).map(|k| k / 2).collect::<Vec<_>>());
    }

    #[test]
    fn output_length_is_exact() {
        let tb = tb(1, 1000);
        let mut c = Cadence::new(tb, Rational::new(25, 1), 10);
        assert_eq!(
            mapping(&mut c, &[0, 40, 80]),
            [0, 1, 2, 2, 2, 2, 2, 2, 2, 2]
        );
        let mut c = Cadence::new(tb, Rational::new(25, 1), 2);
        assert_eq!(mapping(&mut c, &[0, 40, 80, 120]), [0, 1]);
        assert_eq!(frame_count(Ticks(2000), tb, Rational::new(30000, 1001)), 60);
    }

    #[test]
    fn a_source_frame_starting_on_the_middle_of_an_output_frame_waits_for_the_next() {
        // 24 fps to 30: source frame 2 starts at output frame 2.5, so output frame 2 still
        // shows frame 1 (FFmpeg's `fps=30` gives 0 1 1 2 3 4 5 5 ...).
        let pts: Vec<i64> = (0..24).map(|i| i * 512).collect();
        let mut c = Cadence::new(tb(1, 12288), Rational::new(30, 1), 10);
        assert_eq!(mapping(&mut c, &pts), [0, 1, 1, 2, 3, 4, 5, 5, 6, 7]);
        // 50 fps to 30: output frame 2 shows source frame 4 (at 2.4 output frames).
        let pts: Vec<i64> = (0..50).map(|i| i * 1800).collect();
        let mut c = Cadence::new(tb(1, 90000), Rational::new(30, 1), 6);
        assert_eq!(mapping(&mut c, &pts), [0, 2, 4, 5, 7, 9]);
    }

    #[test]
    fn rounding_is_ffmpegs() {
        // FFmpeg's fps filter rounds a source pts to the output time base with av_rescale_q.
        for (tb, rate) in [
            (tb(1, 15360), Rational::new(30, 1)),
            (tb(1001, 30000), Rational::new(25, 1)),
            (tb(1, 90000), Rational::new(30000, 1001)),
        ] {
            let slots = Slots::at_rate(tb, rate);
            for t in 0..100_000 {
                assert_eq!(
                    slots.first_shown(Ticks(t)),
                    rescale(t, tb.rational(), rate.invert()),
                    "{t} ticks of {tb:?} at {rate:?}"
                );
            }
        }
    }

    #[test]
    fn a_clip_played_twice_as_fast_shows_its_even_frames() {
        // 30 source frames of 512 ticks over 15 output frames: as FFmpeg's setpts=PTS/2,fps=30.
        let slots = Slots::spread(15, Ticks(30 * 512));
        let first: Vec<i64> = (0..6).map(|i| slots.first_shown(Ticks(i * 512))).collect();
        assert_eq!(first, [0, 1, 1, 2, 2, 3]);
    }
}
