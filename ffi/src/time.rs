//! Rational numbers for time bases and frame rates.

/// A rational number `num/den`, as FFmpeg uses for time bases and rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    /// Numerator.
    pub num: i32,
    /// Denominator.
    pub den: i32,
}

impl Rational {
    /// A rational `num/den`.
    pub const fn new(num: i32, den: i32) -> Self {
        Self { num, den }
    }

    /// The value as `f64`, or 0 when the denominator is 0.
    pub fn as_f64(self) -> f64 {
        if self.den == 0 {
            0.0
        } else {
            f64::from(self.num) / f64::from(self.den)
        }
    }

    /// True for 0/x or x/0 (FFmpeg's "unknown").
    pub fn is_unknown(self) -> bool {
        self.num == 0 || self.den == 0
    }

    /// The reciprocal `den/num`.
    pub fn invert(self) -> Self {
        Self::new(self.den, self.num)
    }
}

/// Rescale `ts` from time base `from` to time base `to`, rounding to nearest.
pub fn rescale(ts: i64, from: Rational, to: Rational) -> i64 {
    use ffmpeg_next::Rescale;
    ts.rescale(from, to)
}

impl From<ffmpeg_next::Rational> for Rational {
    fn from(r: ffmpeg_next::Rational) -> Self {
        Self::new(r.numerator(), r.denominator())
    }
}

impl From<Rational> for ffmpeg_next::Rational {
    fn from(r: Rational) -> Self {
        ffmpeg_next::Rational::new(r.num, r.den)
    }
}

impl std::fmt::Display for Rational {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}
