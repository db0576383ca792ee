//! Channels in opposite phase. One channel of a pair polarity-inverted (a miswired microphone, a
//! mixing fault) sums with the other to silence, or to a residue that times nothing right: a
//! down-mix to one channel takes the polarities that keep the most energy instead.

/// Below this share of the energy uncorrelated channels would give, the sum of the channels
/// cancels (identical channels give twice it, uncorrelated ones all of it, a pair of which one
/// is inverted none).
const CANCELS: f64 = 0.5;
/// More channels than this are mixed as they are (2^(n-1) polarities are tried).
const MAX_TURNED: usize = 8;

/// How a track's channels correlate: the sums of `x_c * x_d` over its frames, `c <= d`, row
/// after row (row `c` starts with channel `c`'s energy).
#[derive(Debug, Clone, Default)]
pub struct Correlation {
    channels: usize,
    cross: Vec<f64>,
}

impl Correlation {
    /// Nothing measured yet, of `channels` channels.
    pub fn new(channels: usize) -> Self {
        let n = channels.max(1);
        Self {
            channels: n,
            cross: vec![0.0; n * (n + 1) / 2],
        }
    }

    /// The channels measured.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Add one frame (a sample per channel); its energy, summed over the channels.
    pub fn add(&mut self, frame: &[f32]) -> f64 {
        let mut k = 0;
        let mut energy = 0.0;
        for (c, &x) in frame.iter().enumerate().take(self.channels) {
            let x = f64::from(x);
            energy += x * x;
            for &y in &frame[c..self.channels.min(frame.len())] {
                self.cross[k] += x * f64::from(y);
                k += 1;
            }
        }
        energy
    }

    /// Add interleaved frames.
    pub fn add_all(&mut self, interleaved: &[f32]) {
        for frame in interleaved.chunks_exact(self.channels) {
            self.add(frame);
        }
    }

    /// The energy of the sum of the channels, each times its sign in `signs`.
    pub fn energy(&self, signs: &[f32]) -> f64 {
        let mut k = 0;
        let mut e = 0.0;
        for c in 0..self.channels {
            for d in c..self.channels {
                let twice = if c == d { 1.0 } else { 2.0 };
                e += twice * f64::from(sign(signs, c) * sign(signs, d)) * self.cross[k];
                k += 1;
            }
        }
        e
    }

    /// The polarities (+1 or -1 a channel, the first kept as it is) that keep the most energy
    /// when the channels as they are cancel; `None` when they do not. Of polarities keeping as
    /// much, to 1 % (a silent channel, or one holding a codec's faint noise, turned or not),
    /// the one turning the fewest channels.
    pub fn turned(&self) -> Option<Vec<f32>> {
        let n = self.channels;
        if !(2..=MAX_TURNED).contains(&n) {
            return None;
        }
        let apart: f64 = (0..n)
            .map(|c| self.cross[c * n - c * c.saturating_sub(1) / 2])
            .sum();
        if apart <= 0.0 || self.energy(&[]) >= CANCELS * apart {
            return None;
        }
        let signs = |bits: u32| -> Vec<f32> {
            (0..n)
                .map(|c| match c > 0 && bits >> (c - 1) & 1 == 1 {
                    true => -1.0,
                    false => 1.0,
                })
                .collect()
        };
        let energy = |bits: &u32| self.energy(&signs(*bits));
        let most = (0..1u32 << (n - 1)).map(|b| energy(&b)).fold(0.0, f64::max);
        (0..1u32 << (n - 1))
            .filter(|b| energy(b) >= most * 0.99)
            .min_by_key(|b| b.count_ones())
            .filter(|&b| b != 0)
            .map(signs)
    }
}

/// Channel `c`'s sign in `signs`; +1 past its end.
fn sign(signs: &[f32], c: usize) -> f32 {
    signs.get(c).copied().unwrap_or(1.0)
}

/// The mean of each interleaved frame's channels, each times its sign in `signs` (+1 past its
/// end), appended to `out`.
pub fn mix_down(interleaved: &[f32], channels: usize, signs: &[f32], out: &mut Vec<f32>) {
    let n = channels.max(1);
    let scale = 1.0 / n as f32;
    out.extend(interleaved.chunks_exact(n).map(|f| {
        f.iter()
            .enumerate()
            .map(|(c, x)| x * sign(signs, c))
            .sum::<f32>()
            * scale
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(frames: &[f32], n: usize) -> Correlation {
        let mut c = Correlation::new(n);
        c.add_all(frames);
        c
    }

    #[test]
    fn channels_as_they_are_are_kept_unless_they_cancel() {
        let tone = |i: usize| (i as f32 * 0.05).sin() * 0.5;
        let same: Vec<f32> = (0..1000).flat_map(|i| [tone(i), tone(i)]).collect();
        assert_eq!(measured(&same, 2).turned(), None);
        let apart: Vec<f32> = (0..1000).flat_map(|i| [tone(i), tone(i * 3)]).collect();
        assert_eq!(measured(&apart, 2).turned(), None);
        let inverted: Vec<f32> = (0..1000).flat_map(|i| [tone(i), -tone(i)]).collect();
        let signs = measured(&inverted, 2).turned().expect("turned");
        assert_eq!(signs, vec![1.0, -1.0]);
        let mut out = Vec::new();
        mix_down(&inverted, 2, &signs, &mut out);
        assert!((out[10] - tone(10)).abs() < 1e-6);
        // Of four channels, the second inverted, the third silent and the fourth faint noise:
        // only the second is turned.
        let four: Vec<f32> = (0..1000)
            .flat_map(|i| [tone(i), -tone(i), 0.0, 1e-4 * tone(i * 7)])
            .collect();
        assert_eq!(measured(&four, 4).turned(), Some(vec![1.0, -1.0, 1.0, 1.0]));
    }
}
