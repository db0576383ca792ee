//! How a sound's power is spread over frequency, as far as the warnings about it need.

use crate::pcm::Pcm;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;

/// Frames per spectrum window.
const WINDOW: usize = 4096;

/// The share (0 to 1) of the power of `pcm` (its channels summed) above `hz`, from
/// Hann-windowed spectra of consecutive windows; 0 for silence or a sound under one window.
pub fn share_above(pcm: &Pcm, hz: f64) -> f64 {
    let ch = usize::from(pcm.channels);
    let fft = FftPlanner::<f32>::new().plan_fft_forward(WINDOW);
    let hann: Vec<f32> = (0..WINDOW)
        .map(|i| {
            (std::f32::consts::PI * i as f32 / WINDOW as f32)
                .sin()
                .powi(2)
        })
        .collect();
    // The first bin at or above `hz`.
    let edge = ((hz * WINDOW as f64 / f64::from(pcm.rate)).ceil() as usize).min(WINDOW / 2);
    let (mut above, mut all) = (0f64, 0f64);
    let mut buf = vec![Complex::default(); WINDOW];
    for window in pcm.data.chunks_exact(WINDOW * ch) {
        for ((b, frame), w) in buf.iter_mut().zip(window.chunks_exact(ch)).zip(&hann) {
            *b = Complex::new(frame.iter().sum::<f32>() * w, 0.0);
        }
        fft.process(&mut buf);
        for (k, b) in buf[..=WINDOW / 2].iter().enumerate() {
            let p = f64::from(b.norm_sqr());
            all += p;
            if k >= edge {
                above += p;
            }
        }
    }
    if all > 0.0 {
        above / all
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(rate: u32, hz: &[f64]) -> Pcm {
        let data = (0..rate as usize)
            .flat_map(|i| {
                let t = i as f64 / f64::from(rate);
                let v: f64 = hz
                    .iter()
                    .map(|f| (std::f64::consts::TAU * f * t).sin())
                    .sum();
                [0.2 * v as f32; 2]
            })
            .collect();
        Pcm::stereo(rate, data)
    }

    #[test]
    fn splits_the_power_at_the_frequency() {
        assert!(share_above(&tones(48_000, &[21_000.0]), 19_000.0) > 0.99);
        assert!(share_above(&tones(48_000, &[1_000.0]), 19_000.0) < 0.01);
        let half = share_above(&tones(48_000, &[1_000.0, 21_000.0]), 19_000.0);
        assert!((half - 0.5).abs() < 0.02, "{half}");
        assert_eq!(share_above(&Pcm::silence(48_000, 2, 48_000), 19_000.0), 0.0);
    }
}
