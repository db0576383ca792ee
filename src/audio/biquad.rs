//! Second-order Butterworth sections (RBJ cookbook, Q = 1/sqrt(2)): the high- and low-pass
//! filters that shape speech before its level is measured.

use std::f64::consts::{FRAC_1_SQRT_2, PI};

/// One filter section and its state.
#[derive(Debug, Clone)]
pub struct Biquad {
    b: [f64; 3],
    a: [f64; 2],
    x: [f64; 2],
    y: [f64; 2],
}

impl Biquad {
    /// A high-pass at `hz` for samples at `rate` Hz.
    pub fn high_pass(hz: f64, rate: f64) -> Self {
        Self::new(hz, rate, true)
    }

    /// A low-pass at `hz` (at most 0.45 of `rate`) for samples at `rate` Hz.
    pub fn low_pass(hz: f64, rate: f64) -> Self {
        Self::new(hz, rate, false)
    }

    fn new(hz: f64, rate: f64, high: bool) -> Self {
        let w0 = 2.0 * PI * hz.min(rate * 0.45) / rate;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * FRAC_1_SQRT_2);
        let a0 = 1.0 + alpha;
        let k = if high { 1.0 + cos } else { 1.0 - cos };
        let b1 = if high { -k } else { k };
        Self {
            b: [k / 2.0 / a0, b1 / a0, k / 2.0 / a0],
            a: [-2.0 * cos / a0, (1.0 - alpha) / a0],
            x: [0.0; 2],
            y: [0.0; 2],
        }
    }

    /// Filter the next sample.
    pub fn run(&mut self, x: f64) -> f64 {
        let y = self.b[0] * x + self.b[1] * self.x[0] + self.b[2] * self.x[1]
            - self.a[0] * self.y[0]
            - self.a[1] * self.y[1];
        self.x = [x, self.x[0]];
        self.y = [y, self.y[0]];
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gain of a filter on a steady sine of `hz` (after the start settles).
    fn gain(mut f: Biquad, hz: f64, rate: f64) -> f64 {
        let n = rate as usize;
        let out: Vec<f64> = (0..n)
            .map(|i| f.run((2.0 * PI * hz * i as f64 / rate).sin()))
            .collect();
        let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
        rms(&out[n / 2..]) / FRAC_1_SQRT_2
    }

    #[test]
    fn butterworth_corners_and_bands() {
        let rate = 48000.0;
        // -3 dB at the corner, pass far inside, cut 12 dB per octave outside.
        assert!((gain(Biquad::high_pass(300.0, rate), 300.0, rate) - FRAC_1_SQRT_2).abs() < 0.01);
        assert!((gain(Biquad::low_pass(3400.0, rate), 3400.0, rate) - FRAC_1_SQRT_2).abs() < 0.01);
        assert!(gain(Biquad::high_pass(300.0, rate), 3000.0, rate) > 0.99);
        assert!(gain(Biquad::low_pass(3400.0, rate), 340.0, rate) > 0.99);
        assert!(gain(Biquad::high_pass(300.0, rate), 75.0, rate) < 0.07);
        assert!(gain(Biquad::low_pass(3400.0, rate), 13600.0, rate) < 0.07);
    }
}
