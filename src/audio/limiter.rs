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
/// around that frame, over all channels (linear, 1.0 = full scale). Works through the signal a
/// block at a time: the only buffer as long as the signal is the envelope itself.
pub fn true_peak_envelope(pcm: &Pcm) -> Vec<f32> {
    let ch = usize::from(pcm.channels);
    let n = pcm.frames();
    let h = phases();
    // The filter's centre sits PHASE_TAPS / 2 input samples back.
    let delay = PHASE_TAPS / 2;
    let mut env: Vec<f32> = pcm
        .data
        .chunks_exact(ch)
        .map(|f| f.iter().fold(0f32, |m, v| m.max(v.abs())))
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
    // The channel is read as if it had PHASE_TAPS - 1 zeros before it and `delay` zeros after
    // it: `x(t)` is that padded signal, output i the window x(i..i + PHASE_TAPS).
    let outputs = n + delay;
    let mut x = vec![0f32; BLOCK + PHASE_TAPS - 1];
    let mut acc = [0f32; BLOCK];
    let mut peak = [0f32; BLOCK];
    for c in 0..ch {
        let padded = |t: usize| match t.checked_sub(PHASE_TAPS - 1) {
            Some(i) if i < n => pcm.data[i * ch + c],
            _ => 0.0,
        };
        for b in (0..outputs).step_by(BLOCK) {
            let len = BLOCK.min(outputs - b);
            // Blocks of outputs, each phase as PHASE_TAPS multiply-adds over contiguous slices
            // (vectorised by the compiler).
            for (k, v) in x[..len + PHASE_TAPS - 1].iter_mut().enumerate() {
                *v = padded(b + k);
            }
            peak[..len].fill(0.0);
            for r in &rev {
                acc[..len].fill(0.0);
                for (k, &coeff) in r.iter().enumerate() {
                    for (a, v) in acc[..len].iter_mut().zip(&x[k..k + len]) {
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
    let mut l = Limiter::new(env, pcm.rate, scale, ceiling_db);
    l.apply(&mut pcm.data, usize::from(pcm.channels));
    l.reduction_db()
}

/// The limiter run through a signal in pieces, in order (the same result as one run on the
/// whole): it keeps only the look-ahead's worth of state, so the limited signal can be made a
/// block at a time and measured or encoded without a second copy of the whole.
pub struct Limiter<'a> {
    /// [`true_peak_envelope`] of the signal divided by the scale.
    env: &'a [f32],
    /// The ceiling in the envelope's units.
    ceiling: f32,
    /// Look-ahead in frames.
    look: usize,
    /// Release coefficient per frame.
    release: f32,
    /// Nothing is over the ceiling: the signal passes untouched.
    idle: bool,
    /// Frames (index, gain needed) of the sliding minimum, increasing in need.
    window: VecDeque<(usize, f32)>,
    /// The next frame to enter the window.
    next: usize,
    /// The released gain of the last frame.
    g: f32,
    /// The released gains of the last `look` frames and their sum (the moving average).
    recent: VecDeque<f32>,
    sum: f64,
    /// The next frame to limit.
    at: usize,
    worst: f32,
}

impl<'a> Limiter<'a> {
    /// A limiter at `ceiling_db` dBTP for a signal at `rate` Hz that is `scale` times the one
    /// whose [`true_peak_envelope`] is `env`.
    pub fn new(env: &'a [f32], rate: u32, scale: f32, ceiling_db: f64) -> Self {
        let ceiling = (10f64.powf(ceiling_db / 20.0) / f64::from(scale)) as f32;
        let look = ((LOOKAHEAD_MS * f64::from(rate) / 1000.0).round() as usize).max(1);
        Self {
            env,
            ceiling,
            look,
            release: (-1.0 / (RELEASE_MS / 1000.0 * f64::from(rate))).exp() as f32,
            idle: env.iter().all(|&p| p <= ceiling),
            window: VecDeque::new(),
            next: 0,
            g: 1.0,
            recent: VecDeque::with_capacity(look + 1),
            sum: 0.0,
            at: 0,
            worst: 1.0,
        }
    }

    /// Gain frame `i` needs on its own.
    fn need(&self, i: usize) -> f32 {
        let p = self.env[i];
        if p > self.ceiling {
            self.ceiling / p
        } else {
            1.0
        }
    }

    /// Limit the next frames of the signal (`interleaved`, `channels` per frame); frames past
    /// the envelope's end are left as they are.
    pub fn apply(&mut self, interleaved: &mut [f32], channels: usize) {
        if self.idle {
            return;
        }
        let n = self.env.len();
        for frame in interleaved.chunks_mut(channels) {
            let i = self.at;
            if i >= n {
                return;
            }
            self.at += 1;
            // Hold: the smallest need from 2 frames back to `look` frames ahead.
            while self.next < n && self.next <= i + self.look {
                let need = self.need(self.next);
                while self.window.back().is_some_and(|&(_, b)| b >= need) {
                    self.window.pop_back();
                }
                self.window.push_back((self.next, need));
                self.next += 1;
            }
            while self.window.front().is_some_and(|&(f, _)| f + 2 < i) {
                self.window.pop_front();
            }
            let hold = self.window.front().map_or(1.0, |&(_, need)| need);
            // Release: the gain returns to unity with a time constant, never above the hold.
            self.g = hold.min(1.0 - (1.0 - self.g) * self.release);
            // Smooth with a moving average over the look-ahead: every frame averaged into the
            // gain at a peak is at or under that peak's need, so the peak lands under the
            // ceiling.
            self.sum += f64::from(self.g);
            self.recent.push_back(self.g);
            if self.recent.len() > self.look {
                let old = self.recent.pop_front().expect("longer than the look-ahead");
                self.sum -= f64::from(old);
            }
            let gain = (self.sum / self.recent.len() as f64) as f32;
            self.worst = self.worst.min(gain);
            frame.iter_mut().for_each(|v| *v *= gain);
        }
    }

    /// The largest gain reduction applied so far, dB (0 when nothing was over).
    pub fn reduction_db(&self) -> f64 {
        -20.0 * f64::from(self.worst).log10()
    }
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
