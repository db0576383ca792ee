//! A true-peak limiter with look-ahead: the gain falls smoothly *before* each over, so the
//! inter-sample peak of the result stays at or under the ceiling without clipping, and
//! recovers with a release afterwards. Between overs the signal is untouched.

use crate::pcm::Pcm;
use std::collections::VecDeque;
use std::f64::consts::PI;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

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
    envelope_range(&pcm.data, usize::from(pcm.channels), 0, pcm.frames())
}

/// [`true_peak_envelope`] of frames `[from, to)` only of the interleaved signal `data` (`ch`
/// channels), value for value: a frame's envelope depends on the few frames around it, so the
/// limiter works out the envelope a block at a time, never as long as the signal.
fn envelope_range(data: &[f32], ch: usize, from: usize, to: usize) -> Vec<f32> {
    let n = data.len() / ch;
    let to = to.min(n);
    let from = from.min(to);
    let h = phases();
    // The filter's centre sits PHASE_TAPS / 2 input samples back.
    let delay = PHASE_TAPS / 2;
    let mut env: Vec<f32> = data[from * ch..to * ch]
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
    // it: `x(t)` is that padded signal, output i the window x(i..i + PHASE_TAPS). Output i
    // counts for frames i - delay and i - delay - 1: frames [from, to) need outputs
    // [from + delay, to + delay] (of the n + delay there are).
    let (first, end) = (from + delay, (to + delay + 1).min(n + delay));
    let mut x = vec![0f32; BLOCK + PHASE_TAPS - 1];
    let mut acc = [0f32; BLOCK];
    let mut peak = [0f32; BLOCK];
    for c in 0..ch {
        let padded = |t: usize| match t.checked_sub(PHASE_TAPS - 1) {
            Some(i) if i < n => data[i * ch + c],
            _ => 0.0,
        };
        for b in (first..end).step_by(BLOCK) {
            let len = BLOCK.min(end - b);
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
                let at = b + j - delay;
                for f in [at, at.wrapping_sub(1)] {
                    if (from..to).contains(&f) {
                        env[f - from] = env[f - from].max(pk);
                    }
                }
            }
        }
    }
    env
}

/// The largest true peak of `pcm` in dBTP (`-inf` for digital silence).
pub fn true_peak_db(pcm: &Pcm) -> f64 {
    let p = block_peaks(pcm).into_iter().fold(0f32, f32::max);
    20.0 * f64::from(p).log10()
}

/// The largest value of [`true_peak_envelope`] in each block of [`ENVELOPE_BLOCK`] frames.
fn block_peaks(pcm: &Pcm) -> Vec<f32> {
    let ch = usize::from(pcm.channels);
    (0..pcm.frames())
        .step_by(ENVELOPE_BLOCK)
        .map(|f| {
            envelope_range(&pcm.data, ch, f, f + ENVELOPE_BLOCK)
                .into_iter()
                .fold(0f32, f32::max)
        })
        .collect()
}

/// Most frames of envelope an [`Envelope`] keeps (16 MB; 87 s at 48 kHz): beyond them, blocks
/// are worked out again on each pass.
const KEPT_FRAMES: usize = 1 << 22;

/// The true-peak envelope of a signal as [`Limiter`]s read it on several passes (levelling
/// tries a few gains before it applies one): each block's largest value, so a block under the
/// ceiling is skipped, and the envelopes of the blocks near or over it, kept for the next
/// passes (up to `KEPT_FRAMES` frames, 16 MB), so each is worked out once and no envelope of the
/// quiet blocks is held.
pub struct Envelope {
    peaks: Vec<f32>,
    kept: Vec<OnceLock<Vec<f32>>>,
    /// Blocks that may still be kept.
    room: AtomicUsize,
}

impl Envelope {
    /// The envelope of `pcm`, its blocks' peaks worked out, the envelopes of those peaking over
    /// `keep_over` (1.0 = full scale) kept.
    pub fn new(pcm: &Pcm, keep_over: f32) -> Self {
        let ch = usize::from(pcm.channels);
        let mut room = KEPT_FRAMES / ENVELOPE_BLOCK;
        let (peaks, kept) = (0..pcm.frames())
            .step_by(ENVELOPE_BLOCK)
            .map(|f| {
                let env = envelope_range(&pcm.data, ch, f, f + ENVELOPE_BLOCK);
                let peak = env.iter().copied().fold(0f32, f32::max);
                let kept = OnceLock::new();
                if peak > keep_over && room > 0 {
                    room -= 1;
                    kept.set(env).expect("a new cell");
                }
                (peak, kept)
            })
            .unzip();
        Self {
            peaks,
            kept,
            room: AtomicUsize::new(room),
        }
    }

    /// The envelope of block `b` of `src` (interleaved, `ch` channels: the signal this was
    /// made of) into `env`.
    fn block(&self, src: &[f32], ch: usize, b: usize, env: &mut Vec<f32>) {
        let from = b * ENVELOPE_BLOCK;
        let work = || envelope_range(src, ch, from, from + ENVELOPE_BLOCK);
        if let Some(kept) = self.kept[b].get() {
            env.clone_from(kept);
        } else if self
            .room
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1))
            .is_ok()
        {
            env.clone_from(self.kept[b].get_or_init(work));
        } else {
            *env = work();
        }
    }
}

/// Limit `pcm` so its true peak stays at or under `ceiling_db` dBTP. Returns the largest gain
/// reduction applied in dB (0 when nothing was over).
pub fn limit(pcm: &mut Pcm, ceiling_db: f64) -> f64 {
    scale_and_limit(pcm, 1.0, ceiling_db, None)
}

/// Multiply `pcm` by `scale`, then [`limit`] it, in place (the envelope is taken from the
/// samples ahead, still unscaled; `envelope` is theirs when known). Returns the largest gain
/// reduction applied in dB.
pub fn scale_and_limit(
    pcm: &mut Pcm,
    scale: f32,
    ceiling_db: f64,
    envelope: Option<&Envelope>,
) -> f64 {
    let ch = usize::from(pcm.channels);
    let mut l = Limiter::new(pcm.rate, pcm.channels, scale, ceiling_db, envelope);
    let step = ENVELOPE_BLOCK * ch;
    // The limiter reads the envelope from at most a block behind the frame it limits (and
    // the interpolator a few frames more): limited blocks are written back two blocks late.
    let mut done: VecDeque<(usize, Vec<f32>)> = VecDeque::new();
    for start in (0..pcm.data.len()).step_by(step) {
        let end = (start + step).min(pcm.data.len());
        let mut block: Vec<f32> = pcm.data[start..end].iter().map(|v| v * scale).collect();
        l.apply(&pcm.data, &mut block);
        done.push_back((start, block));
        while done.len() > 2 {
            let (at, b) = done.pop_front().expect("more than two");
            pcm.data[at..at + b.len()].copy_from_slice(&b);
        }
    }
    for (at, b) in done {
        pcm.data[at..at + b.len()].copy_from_slice(&b);
    }
    l.reduction_db()
}

/// Frames of envelope the limiter works out at a time.
pub const ENVELOPE_BLOCK: usize = 8192;

/// The limiter run through a signal in pieces, in order (the same result as one run on the
/// whole): it keeps only the look-ahead's worth of state and a block of the true-peak
/// envelope, so the limited signal can be made a block at a time and measured or encoded
/// without a second buffer as long as the signal.
pub struct Limiter<'a> {
    channels: usize,
    /// The [`Envelope`] of the unscaled signal, when known.
    envelope: Option<&'a Envelope>,
    /// [`true_peak_envelope`] of the unscaled signal for frames `[env_from, env_from +
    /// env.len())`.
    env: Vec<f32>,
    env_from: usize,
    /// The ceiling in the envelope's units.
    ceiling: f32,
    /// Look-ahead in frames.
    look: usize,
    /// Release coefficient per frame.
    release: f32,
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
    /// A limiter at `ceiling_db` dBTP for a signal at `rate` Hz with `channels` channels that
    /// is `scale` times the one given to [`Limiter::apply`] as `src` (whose [`Envelope`] is
    /// `envelope`, when known).
    pub fn new(
        rate: u32,
        channels: u16,
        scale: f32,
        ceiling_db: f64,
        envelope: Option<&'a Envelope>,
    ) -> Self {
        let ceiling = (10f64.powf(ceiling_db / 20.0) / f64::from(scale)) as f32;
        let look = ((LOOKAHEAD_MS * f64::from(rate) / 1000.0).round() as usize).max(1);
        Self {
            channels: usize::from(channels),
            envelope,
            env: Vec::new(),
            env_from: 0,
            ceiling,
            look,
            release: (-1.0 / (RELEASE_MS / 1000.0 * f64::from(rate))).exp() as f32,
            window: VecDeque::new(),
            next: 0,
            g: 1.0,
            recent: VecDeque::with_capacity(look + 1),
            sum: 0.0,
            at: 0,
            worst: 1.0,
        }
    }

    /// Gain frame `i` of `src` needs on its own.
    fn need(&mut self, src: &[f32], i: usize) -> f32 {
        if !(self.env_from..self.env_from + self.env.len()).contains(&i) {
            let b = i / ENVELOPE_BLOCK;
            match self.envelope {
                // Nothing in this block is over.
                Some(e) if e.peaks[b] <= self.ceiling => return 1.0,
                Some(e) => e.block(src, self.channels, b, &mut self.env),
                None => {
                    self.env = envelope_range(
                        src,
                        self.channels,
                        b * ENVELOPE_BLOCK,
                        (b + 1) * ENVELOPE_BLOCK,
                    )
                }
            }
            self.env_from = b * ENVELOPE_BLOCK;
        }
        let p = self.env[i - self.env_from];
        if p > self.ceiling {
            self.ceiling / p
        } else {
            1.0
        }
    }

    /// Limit the next frames of the signal: `out` holds them (interleaved, `scale` times the
    /// frames of `src` from where the last call ended), `src` is the whole unscaled signal,
    /// read ahead by the look-ahead (and a few frames more) for the envelope; frames past
    /// `src`'s end are left as they are.
    pub fn apply(&mut self, src: &[f32], out: &mut [f32]) {
        let n = src.len() / self.channels;
        for frame in out.chunks_mut(self.channels) {
            let i = self.at;
            if i >= n {
                return;
            }
            self.at += 1;
            // Hold: the smallest need from 2 frames back to `look` frames ahead.
            while self.next < n && self.next <= i + self.look {
                let need = self.need(src, self.next);
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
        Pcm::stereo(rate, data)
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
    fn envelope_by_blocks_is_the_whole_envelope() {
        let mut p = sine(997.0, 0.9, 0.3, 0.5);
        p.data[4001] = -1.3;
        let whole = true_peak_envelope(&p);
        let ch = usize::from(p.channels);
        for (from, to) in [(0, 7), (5, 2000), (3998, 4010), (23990, 24000), (100, 100)] {
            assert_eq!(
                envelope_range(&p.data, ch, from, to),
                whole[from..to],
                "{from}..{to}"
            );
        }
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
