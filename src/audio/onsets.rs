//! Audio onsets: where sounds start, to the sample, and an onset-strength envelope per
//! millisecond for correlation (sync's evidence, and where time stretching cuts).

/// Level below which nothing counts as sound (RMS over 1 ms, about -50 dBFS).
const GATE: f32 = 0.003;
/// A sound starts where the level jumps this many times above what came just before.
const RISE: f32 = 3.0;
/// The "just before" an onset is compared with: from 30 to 5 ms earlier.
const BEFORE_MS: (usize, usize) = (30, 5);
/// Two onsets are at least this far apart (one sound does not start twice).
const REFRACTORY_MS: usize = 50;

/// One sound start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Onset {
    /// Presentation time of the first sample that reaches half the sound's early peak (s).
    pub time: f64,
    /// The sound's RMS level over its first 20 ms.
    pub strength: f32,
}

/// What the audio offers sync: discrete onsets and a per-millisecond onset envelope.
#[derive(Debug, Clone)]
pub struct AudioOnsets {
    /// Sound starts in time order.
    pub onsets: Vec<Onset>,
    /// Positive level rises per millisecond of the timeline.
    pub envelope: Envelope,
    /// Share of the milliseconds with sound (above the gate): near 1 for music or ambience.
    pub sounding: f64,
    /// RMS level per millisecond, on the milliseconds of `envelope`.
    pub level: Envelope,
}

impl AudioOnsets {
    /// Share of the milliseconds from `from` to `to` (s) with sound above the gate (0 for an
    /// empty span or one outside the sound).
    pub fn sounding_between(&self, from: f64, to: f64) -> f64 {
        let ms = |t: f64| (t * 1000.0).floor() as i64 - self.level.start_ms;
        let (a, b) = (ms(from), ms(to));
        if b <= a {
            return 0.0;
        }
        let on = (a.max(0)..b.max(0))
            .filter(|&k| self.level.values.get(k as usize).is_some_and(|v| *v > GATE))
            .count();
        on as f64 / (b - a) as f64
    }

    /// The sound starts from `from` to `to` (s).
    pub fn between(&self, from: f64, to: f64) -> &[Onset] {
        let a = self.onsets.partition_point(|o| o.time < from);
        let b = self.onsets.partition_point(|o| o.time < to);
        &self.onsets[a..b.max(a)]
    }
}

/// Values at milliseconds `start_ms`, `start_ms + 1`, ... of the timeline.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    /// Timeline millisecond of `values[0]`.
    pub start_ms: i64,
    /// One value per millisecond.
    pub values: Vec<f32>,
}

impl Envelope {
    /// The value at time `t` seconds, linearly interpolated; 0 outside the signal.
    pub fn at(&self, t: f64) -> f32 {
        let x = t * 1000.0 - self.start_ms as f64;
        if x < 0.0 {
            return 0.0;
        }
        let i = x.floor() as usize;
        let f = (x - i as f64) as f32;
        let v = |k: usize| self.values.get(k).copied().unwrap_or(0.0);
        v(i) * (1.0 - f) + v(i + 1) * f
    }

    /// The envelope smoothed with a triangular kernel of `half` ms each side.
    pub fn smoothed(&self, half: usize) -> Self {
        let n = self.values.len();
        let w = (half + 1) as f32;
        let values = (0..n)
            .map(|i| {
                let lo = i.saturating_sub(half);
                let hi = (i + half).min(n.saturating_sub(1));
                (lo..=hi)
                    .map(|j| self.values[j] * (w - (i as f32 - j as f32).abs()) / w)
                    .sum()
            })
            .collect();
        Self {
            start_ms: self.start_ms,
            values,
        }
    }
}

/// Find onsets in the mono `samples` at `rate` Hz, the first at presentation time `start`
/// (in samples).
pub fn detect(samples: &[f32], rate: u32, start: i64) -> AudioOnsets {
    let mut d = Detector::new(rate, start);
    d.push(samples);
    d.finish()
}

/// [`detect`] fed the samples as they come, holding only the few tens of milliseconds of them
/// still to be looked at: the onsets of a long sound without the sound held whole.
#[derive(Debug, Clone)]
pub struct Detector {
    rate: i64,
    /// Presentation time of the first sample, in samples.
    start: i64,
    /// Timeline millisecond of the first level.
    first_ms: i64,
    /// Samples taken.
    len: i64,
    /// The samples held, the first of them sample `held_from` (from the first taken).
    held: Vec<f32>,
    held_from: i64,
    /// Level per millisecond, of the milliseconds whose samples have all come.
    rms: Vec<f32>,
    /// The next millisecond that may start a sound.
    next: usize,
    onsets: Vec<Onset>,
}

impl Detector {
    /// A detector for mono samples at `rate` Hz, the first at presentation time `start` (in
    /// samples).
    pub fn new(rate: u32, start: i64) -> Self {
        let rate = i64::from(rate);
        Self {
            rate,
            start,
            // Millisecond k of the timeline covers samples [k * rate / 1000, (k + 1) * rate / 1000).
            first_ms: start.div_euclid(rate) * 1000 + start.rem_euclid(rate) * 1000 / rate,
            len: 0,
            held: Vec::new(),
            held_from: 0,
            rms: Vec::new(),
            next: BEFORE_MS.0,
            onsets: Vec::new(),
        }
    }

    /// Where level `j` starts, in samples from the first (clamped to those taken, once
    /// they are all taken: `end`).
    fn bound(&self, j: i64, end: Option<i64>) -> i64 {
        let at = ((self.first_ms + j) * self.rate).div_euclid(1000) - self.start;
        at.clamp(0, end.unwrap_or(i64::MAX))
    }

    /// The held samples `[a, b)` (from the first taken).
    fn samples(&self, a: i64, b: i64) -> &[f32] {
        &self.held[(a - self.held_from) as usize..(b - self.held_from) as usize]
    }

    /// Take the next `samples`.
    pub fn push(&mut self, samples: &[f32]) {
        self.held.extend_from_slice(samples);
        self.len += samples.len() as i64;
        while self.bound(self.rms.len() as i64 + 1, None) <= self.len {
            self.level(None);
        }
        self.look(None);
        // Keep what the next sound start and the next level still need.
        let need =
            (self.bound(self.next as i64 - 6, None)).min(self.bound(self.rms.len() as i64, None));
        if need - self.held_from > 1 << 14 {
            self.held.drain(..(need - self.held_from) as usize);
            self.held_from = need;
        }
    }

    /// The level of the next millisecond.
    fn level(&mut self, end: Option<i64>) {
        let j = self.rms.len() as i64;
        let s = self.samples(self.bound(j, end), self.bound(j + 1, end));
        let v = if s.is_empty() {
            0.0
        } else {
            (s.iter().map(|v| v * v).sum::<f32>() / s.len() as f32).sqrt()
        };
        self.rms.push(v);
    }

    /// Look for sound starts as far as the levels and samples taken allow (all of them once
    /// they are all taken: `end`).
    fn look(&mut self, end: Option<i64>) {
        let n = self.rms.len();
        while self.next < n && (end.is_some() || self.next + 20 <= n) {
            let k = self.next;
            let rms = &self.rms;
            let before = rms[k - BEFORE_MS.0..=k - BEFORE_MS.1]
                .iter()
                .copied()
                .fold(0.0, f32::max);
            if rms[k] > GATE && rms[k] > RISE * before {
                let a = self.bound(k as i64 - 6, end);
                let s = self.samples(a, self.bound(k as i64 + 20, end));
                let peak = s.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                if let Some(i) = s.iter().position(|v| v.abs() >= peak / 2.0) {
                    let strength = rms[k..(k + 20).min(n)].iter().copied().fold(0.0, f32::max);
                    let time = (self.start + a + i as i64) as f64 / self.rate as f64;
                    self.onsets.push(Onset { time, strength });
                }
                self.next += REFRACTORY_MS;
            } else {
                self.next += 1;
            }
        }
    }

    /// The onsets, envelope and levels of all the samples taken.
    pub fn finish(mut self) -> AudioOnsets {
        let end = Some(self.len);
        let last = ((self.start + self.len) * 1000).div_euclid(self.rate) - self.first_ms + 1;
        while (self.rms.len() as i64) < last {
            self.level(end);
        }
        self.look(end);
        let rms = self.rms;
        let rises: Vec<f32> = (0..rms.len())
            .map(|k| {
                let prev = rms[k.saturating_sub(8)..k]
                    .iter()
                    .copied()
                    .fold(0.0, f32::max);
                (rms[k] - prev).max(0.0)
            })
            .collect();
        let sounding = rms.iter().filter(|v| **v > GATE).count() as f64 / rms.len().max(1) as f64;
        AudioOnsets {
            onsets: self.onsets,
            sounding,
            envelope: Envelope {
                start_ms: self.first_ms,
                values: rises,
            },
            level: Envelope {
                start_ms: self.first_ms,
                values: rms,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 s at 48 kHz with a 40 ms 1 kHz beep at each of `beeps` (samples).
    fn beeps(beeps: &[usize]) -> Vec<f32> {
        let mut samples = vec![0.0f32; 48000 * 3];
        for &b in beeps {
            for i in 0..1920 {
                samples[b + i] =
                    0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48000.0).sin();
            }
        }
        samples
    }

    #[test]
    fn beeps_are_found_to_the_sample() {
        let o = detect(&beeps(&[20000, 70001]), 48000, -1024);
        assert_eq!(o.onsets.len(), 2, "{:?}", o.onsets);
        // The first sample at half amplitude is 4 samples (1/12 of a 1 kHz period) in.
        let want = [
            (20000.0 - 1024.0 + 4.0) / 48000.0,
            (70001.0 - 1024.0 + 4.0) / 48000.0,
        ];
        for (o, w) in o.onsets.iter().zip(want) {
            assert!((o.time - w).abs() < 1e-6, "{} vs {w}", o.time);
        }
    }

    #[test]
    fn a_span_sounds_where_its_milliseconds_do() {
        let o = detect(&beeps(&[48000]), 48000, 0);
        // The 40 ms beep from 1.0 s: all of 1.00-1.04 s, a tenth of 1.0-1.4 s, none before.
        assert!((o.sounding_between(1.0, 1.04) - 1.0).abs() < 0.05);
        assert!((o.sounding_between(1.0, 1.4) - 0.1).abs() < 0.01);
        assert_eq!(o.sounding_between(0.0, 0.9), 0.0);
        assert_eq!(o.sounding_between(5.0, 6.0), 0.0);
        assert_eq!(o.between(0.9, 1.1).len(), 1);
        assert!(o.between(1.1, 3.0).is_empty());
    }

    /// Fed in pieces of any size, the detector finds what it finds in the whole sound, and
    /// holds only the last few tens of milliseconds of it.
    #[test]
    fn pieces_give_what_the_whole_sound_gives() {
        let sound = beeps(&[20000, 70001, 70001 + 2400 + 7, 140000]);
        let whole = detect(&sound, 48000, -1024);
        assert_eq!(whole.onsets.len(), 3, "{:?}", whole.onsets);
        for piece in [1, 47, 1000, 48000] {
            let mut d = Detector::new(48000, -1024);
            for p in sound.chunks(piece) {
                d.push(p);
                assert!(d.held.len() < 1 << 15, "{} samples held", d.held.len());
            }
            let o = d.finish();
            assert_eq!(o.onsets, whole.onsets, "in pieces of {piece}");
            assert_eq!(o.envelope.values, whole.envelope.values);
            assert_eq!(
                (o.level.start_ms, &o.level.values),
                (whole.level.start_ms, &whole.level.values)
            );
            assert_eq!(o.sounding, whole.sounding);
        }
    }

    #[test]
    fn silence_has_no_onsets() {
        let o = detect(&beeps(&[]), 48000, 0);
        assert!(o.onsets.is_empty());
        assert_eq!(o.sounding, 0.0);
        assert!(o.envelope.values.iter().all(|v| *v == 0.0));
    }
}
