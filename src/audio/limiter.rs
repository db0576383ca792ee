//! A true-peak limiter with look-ahead: the gain falls smoothly *before* each over, so the
//! inter-sample peak of the result stays at or under the ceiling without clipping, and
//! recovers with a release afterwards. Between overs the signal is untouched.

use crate::pcm::Pcm;
use std::collections::VecDeque;
use std::f64::consts::PI;

/// Oversampling factor of the true-peak estimate (ITU-R BS.1770-4, annex 2: 4x below 96 kHz).
const FACTOR: usize = 4;
/// Taps per interpolation phase.
const PHASE_TAPS: usize = 12;
/// Outputs computed per block of the interpolator.
const BLOCK: usize = 1024;
/// Look-ahead: the gain reaches its value this long before the peak it is for.
pub const LOOKAHEAD_MS: f64 = 5.0;
/// Release: time constant of the gain's return to unity after an over.
pub const RELEASE_MS: f64 = 80.0;

/// The 4x interpolation filter: a Hann-windowed sinc of 48 taps (as BS.1770's meters use),
/// split into its four phases.
fn phases() -> [[f32; PHASE_TAPS]; FACTOR] {
    let taps = FACTOR * PHASE_TAPS;
    let mut h = [[0f32; PHASE_TAPS]; FACTOR];
    for j in 0..taps {
        let w = 0.5 * (1.0 - (2.0 * PI * j as f64 / taps as f64).cos());
        let m = j as f64 - taps as f64 / 2.0;
        let x = m * PI / FACTOR as f64;
        let v = if m.abs() < 1e-9 { w } else { w * x.sin() / x };
        h[j % FACTOR][j / FACTOR] = v as f32;
    }
    h
}

/// Per sample frame, the largest magnitude of the signal and of its 4x-interpolated values
/// around that frame, over all channels (linear, 1.0 = full scale).
pub fn true_peak_envelope(pcm: &Pcm) -> Vec<f32> {
    let ch = usize::from(pcm.channels);
    let n = pcm.frames();
    let h = phases();
    // The filter's centre sits PHASE_TAPS / 2 input samples back.
    let delay = PHASE_TAPS / 2;
    let mut env: Vec<f32> = (0..n)
        .map(|i| {
            pcm.data[i * ch..(i + 1) * ch]
                .iter()
                .fold(0f32, |m, v| m.max(v.abs()))
        })
        .collect();
    // Each phase reversed, so it lines up with a window of the input in time order.
    let rev: Vec<[f32; PHASE_TAPS]> = h
        .iter()
        .map(|p| {
            let mut r = *p;
            r.reverse();
            r
        })
        .collect();
    for c in 0..ch {
        // The channel with PHASE_TAPS - 1 zeros before it and `delay` zeros after it.
        let mut x = vec![0f32; PHASE_TAPS - 1];
        x.extend(pcm.data.iter().skip(c).step_by(ch));
        x.extend(std::iter::repeat_n(0.0, delay));
        // Blocks of outputs, each phase as PHASE_TAPS multiply-adds over contiguous slices
        // (vectorised by the compiler): output i is the window x[i..i + PHASE_TAPS].
        let outputs = x.len() + 1 - PHASE_TAPS;
        let mut acc = [0f32; BLOCK];
        let mut peak = [0f32; BLOCK];
        for b in (0..outputs).step_by(BLOCK) {
            let len = BLOCK.min(outputs - b);
            peak[..len].fill(0.0);
            for r in &rev {
                acc[..len].fill(0.0);
                for (k, &coeff) in r.iter().enumerate() {
                    for (a, v) in acc[..len].iter_mut().zip(&x[b + k..b + k + len]) {
                        *a += coeff * v;
                    }
                }
                for (p, a) in peak[..len].iter_mut().zip(&acc[..len]) {
                    *p = p.max(a.abs());
                }
            }
            for (j, &pk) in peak[..len].iter().enumerate() {
                // Output i ends with input sample i; its interpolated values sit `delay`
                // frames back, between that frame and the one before it.
                let i = b + j;
                if i >= delay {
                    let at = i - delay;
                    env[at] = env[at].max(pk);
                    if at > 0 {
                        env[at - 1] = env[at - 1].max(pk);
                    }
                }
            }
        }
    }
    env
}

/// The largest true peak of `pcm` in dBTP (`-inf` for digital silence).
pub fn true_peak_db(pcm: &Pcm) -> f64 {
    let p = true_peak_envelope(pcm).into_iter().fold(0f32, f32::max);
    20.0 * f64::from(p).log10()
}

/// Limit `pcm` so its true peak stays at or under `ceiling_db` dBTP. Returns the largest gain
/// reduction applied in dB (0 when nothing was over).
pub fn limit(pcm: &mut Pcm, ceiling_db: f64) -> f64 {
    let env = true_peak_envelope(pcm);
    limit_with_envelope(pcm, &env, 1.0, ceiling_db)
}

/// [`limit`] with the true-peak envelope already known: `env` is [`true_peak_envelope`] of
/// `pcm / scale` (so a signal only scaled since it was taken needs no new envelope).
pub fn limit_with_envelope(pcm: &mut Pcm, env: &[f32], scale: f32, ceiling_db: f64) -> f64 {
    let ceiling = (10f64.powf(ceiling_db / 20.0) / f64::from(scale)) as f32;
    if env.iter().all(|&p| p <= ceiling) {
        return 0.0;
    }
    let n = env.len().min(pcm.frames());
    let look = pcm.ms_to_frames(LOOKAHEAD_MS).max(1);
    // Gain each frame needs on its own.
    let need: Vec<f32> = env[..n]
        .iter()
        .map(|&p| if p > ceiling { ceiling / p } else { 1.0 })
        .collect();
    // Hold: the smallest need from 2 frames back to `look` frames ahead (sliding minimum).
    let mut hold = vec![1f32; n];
    let mut window: VecDeque<usize> = VecDeque::new();
    let mut next = 0;
    for (i, slot) in hold.iter_mut().enumerate() {
        while next < n && next <= i + look {
            while window.back().is_some_and(|&b| need[b] >= need[next]) {
                window.pop_back();
            }
            window.push_back(next);
            next += 1;
        }
        while window.front().is_some_and(|&f| f + 2 < i) {
            window.pop_front();
        }
        *slot = window.front().map_or(1.0, |&f| need[f]);
    }
    // Release: the gain returns to unity with a time constant, never above the hold.
    let a = (-1.0 / (RELEASE_MS / 1000.0 * f64::from(pcm.rate))).exp() as f32;
    let mut g = 1f32;
    for v in &mut hold {
        g = v.min(1.0 - (1.0 - g) * a);
        *v = g;
    }
    // Smooth with a moving average over the look-ahead: every frame averaged into the gain at
    // a peak is at or under that peak's need, so the peak lands under the ceiling.
    let ch = usize::from(pcm.channels);
    let mut sum = 0f64;
    let mut worst = 1f32;
    for i in 0..n {
        sum += f64::from(hold[i]);
        if i >= look {
            sum -= f64::from(hold[i - look]);
        }
        let len = (i + 1).min(look);
        let gain = (sum / len as f64) as f32;
        worst = worst.min(gain);
        for v in &mut pcm.data[i * ch..(i + 1) * ch] {
            *v *= gain;
        }
    }
    -20.0 * f64::from(worst).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, amp: f32, phase: f64, secs: f64) -> Pcm {
        let rate = 48000;
        let n = (secs * f64::from(rate)) as usize;
        let data = (0..n)
            .flat_map(|i| {
                let v = amp * (2.0 * PI * freq * i as f64 / 48000.0 + phase).sin() as f32;
                [v, v]
            })
            .collect();
        Pcm {
            rate,
            channels: 2,
            data,
        }
    }

    #[test]
    fn sees_inter_sample_peaks() {
        // fs/4 with a 45 degree phase: every sample is at 0.707 of the true peak of 1.0.
        let p = sine(12000.0, 1.0, PI / 4.0, 0.1);
        let sample_peak = p.data.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!((sample_peak - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-3);
        assert!(true_peak_db(&p).abs() < 0.2, "{}", true_peak_db(&p));
    }

    #[test]
    fn limits_true_peak_and_leaves_the_rest_alone() {
        let mut p = sine(997.0, 0.3, 0.0, 2.0);
        // A loud burst in the middle.
        for i in 48000..48480 {
            p.data[2 * i] *= 3.0;
            p.data[2 * i + 1] *= 3.0;
        }
        let before = p.clone();
        let reduction = limit(&mut p, -1.0);
        assert!(reduction > 0.0);
        assert!(true_peak_db(&p) <= -1.0 + 0.01, "{}", true_peak_db(&p));
        // Far from the burst nothing changed.
        assert_eq!(&p.data[..40000 * 2], &before.data[..40000 * 2]);
        // A signal under the ceiling is untouched.
        let mut quiet = sine(997.0, 0.5, 0.0, 0.5);
        let copy = quiet.clone();
        assert_eq!(limit(&mut quiet, -1.0), 0.0);
        assert_eq!(quiet, copy);
    }
}
