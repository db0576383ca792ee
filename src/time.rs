//! Time in integer units, as stages hand it to each other: [`Ticks`] of a [`TimeBase`] (a
//! stream's, or the cut's output time base) and [`Samples`] at an audio rate. Seconds (`f64`)
//! appear only in reports and at the command line ([`TimeBase::secs`]).

use cutroom_ffi::{rescale, Rational};
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

/// The length of one tick, `num/den` seconds, both positive: never FFmpeg's 0/0 "unknown".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeBase(Rational);

impl TimeBase {
    /// Nanoseconds: the unit of edit-spec times and captions.
    pub const NANOS: Self = Self(Rational::new(1, 1_000_000_000));
    /// Milliseconds: the unit of sync's windows.
    pub const MILLIS: Self = Self(Rational::new(1, 1000));

    /// `r` as a time base, `None` unless both its terms are positive.
    pub fn new(r: Rational) -> Option<Self> {
        (r.num > 0 && r.den > 0).then_some(Self(r))
    }

    /// `num/den` seconds per tick (as containers give them), `None` unless both fit and
    /// are positive.
    pub fn from_u32(num: u32, den: u32) -> Option<Self> {
        Self::new(Rational::new(
            i32::try_from(num).ok()?,
            i32::try_from(den).ok()?,
        ))
    }

    /// One tick per frame (or sample) at `rate`, `None` for an unknown or negative rate.
    pub fn of_rate(rate: Rational) -> Option<Self> {
        Self::new(rate.invert())
    }

    /// One tick per sample at `rate` Hz (at least 1).
    pub fn of_sample_rate(rate: u32) -> Self {
        Self(Rational::new(
            1,
            i32::try_from(rate.max(1)).unwrap_or(i32::MAX),
        ))
    }

    /// The time base as FFmpeg's rational.
    pub fn rational(self) -> Rational {
        self.0
    }

    /// `t` in seconds, for reports and messages only.
    pub fn secs(self, t: Ticks) -> f64 {
        t.0 as f64 * f64::from(self.0.num) / f64::from(self.0.den)
    }

    /// Seconds (from a report or the command line) as ticks, rounded to nearest.
    pub fn ticks_of_secs(self, secs: f64) -> Ticks {
        Ticks((secs * f64::from(self.0.den) / f64::from(self.0.num)).round() as i64)
    }
}

/// A count of ticks of some [`TimeBase`] (a timestamp, or a length): which base is said where
/// the value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ticks(pub i64);

impl Ticks {
    /// No time.
    pub const ZERO: Self = Self(0);

    /// The same instant (or length) in ticks of `to`, rounded to nearest (ties away from 0).
    pub fn rescale(self, from: TimeBase, to: TimeBase) -> Self {
        Self(rescale(self.0, from.0, to.0))
    }

    /// The same instant as a sample index at `rate` Hz, rounded to nearest.
    pub fn samples(self, from: TimeBase, rate: u32) -> Samples {
        Samples(self.rescale(from, TimeBase::of_sample_rate(rate)).0)
    }
}

/// A count of audio sample frames (one per channel) at some sample rate: a position in a
/// sound, or a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Samples(pub i64);

impl Samples {
    /// A length as a buffer size (negative lengths are empty).
    pub fn count(self) -> usize {
        usize::try_from(self.0).unwrap_or(0)
    }
}

/// Stretches `[start, end)` of one timeline in ticks of its time base: where each shot of a cut
/// lies (see [`crate::concat::plan::Plan::spans`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spans {
    /// The unit of every tick here.
    pub time_base: TimeBase,
    /// Start and end (exclusive) of each stretch, in order.
    pub spans: Vec<(Ticks, Ticks)>,
}

/// Instants on one timeline in ticks of its time base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instants {
    /// The unit of every tick here.
    pub time_base: TimeBase,
    /// The instants, ascending.
    pub ticks: Vec<Ticks>,
}

impl Spans {
    /// The middle of each stretch (rounded up to a whole tick).
    pub fn middles(&self) -> Instants {
        Instants {
            time_base: self.time_base,
            ticks: self
                .spans
                .iter()
                .map(|&(a, b)| a + Ticks(((b - a).0 + 1) / 2))
                .collect(),
        }
    }

    /// Each stretch in seconds, for analyses that measure in seconds.
    pub fn secs(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.spans
            .iter()
            .map(|&(a, b)| (self.time_base.secs(a), self.time_base.secs(b)))
    }
}

macro_rules! arithmetic {
    ($t:ident) => {
        impl Add for $t {
            type Output = Self;
            fn add(self, o: Self) -> Self {
                Self(self.0 + o.0)
            }
        }
        impl Sub for $t {
            type Output = Self;
            fn sub(self, o: Self) -> Self {
                Self(self.0 - o.0)
            }
        }
        impl AddAssign for $t {
            fn add_assign(&mut self, o: Self) {
                self.0 += o.0;
            }
        }
        impl SubAssign for $t {
            fn sub_assign(&mut self, o: Self) {
                self.0 -= o.0;
            }
        }
        impl Neg for $t {
            type Output = Self;
            fn neg(self) -> Self {
                Self(-self.0)
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

arithmetic!(Ticks);
arithmetic!(Samples);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_bases_have_positive_terms() {
        assert!(TimeBase::new(Rational::new(0, 0)).is_none());
        assert!(TimeBase::new(Rational::new(1, 0)).is_none());
        assert!(TimeBase::new(Rational::new(-1, 30)).is_none());
        assert_eq!(
            TimeBase::of_rate(Rational::new(30000, 1001)).map(TimeBase::rational),
            Some(Rational::new(1001, 30000))
        );
        assert!(TimeBase::of_rate(Rational::new(0, 1)).is_none());
    }

    #[test]
    fn ticks_rescale_to_ticks_and_samples_rounding_to_nearest() {
        let tb = TimeBase::new(Rational::new(1, 15360)).unwrap();
        let fps25 = TimeBase::of_rate(Rational::new(25, 1)).unwrap();
        assert_eq!(Ticks(512).samples(tb, 48000), Samples(1600));
        assert_eq!(Ticks(-1).samples(fps25, 48000), Samples(-1920));
        assert_eq!(Ticks(1).rescale(TimeBase::NANOS, tb), Ticks(0));
        assert_eq!(Ticks(15360 * 3).rescale(tb, fps25), Ticks(75));
        assert_eq!(fps25.secs(Ticks(50)), 2.0);
        assert_eq!(fps25.ticks_of_secs(2.02), Ticks(51));
        assert_eq!(Samples(-3).count(), 0);
        assert_eq!(Ticks(5) - Ticks(7) + Ticks(1), Ticks(-1));
    }

    #[test]
    fn spans_give_their_middles_and_seconds() {
        let fps30 = TimeBase::of_rate(Rational::new(30, 1)).unwrap();
        let spans = Spans {
            time_base: fps30,
            spans: vec![(Ticks(0), Ticks(105)), (Ticks(90), Ticks(150))],
        };
        assert_eq!(spans.middles().ticks, vec![Ticks(53), Ticks(120)]);
        assert_eq!(
            spans.secs().collect::<Vec<_>>(),
            vec![(0.0, 3.5), (3.0, 5.0)]
        );
    }
}
