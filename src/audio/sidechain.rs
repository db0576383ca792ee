//! The ducking sidechain: when is the voice speaking, and the music gain that follows it.
//!
//! The voice, at its own channels, is high-passed at 100 Hz (rumble and hum do not count), its
//! level taken as its loudest channel's RMS over 10 ms blocks, and a block is speech when its
//! level is above the threshold. Runs shorter than
//! 20 ms (clicks) are ignored; runs closer than the look-ahead plus the hold are one phrase (the
//! dip holds across the pause). Each phrase is extended backwards by the look-ahead (the
//! dip starts before the first word) and forwards by the hold. The gain then moves in straight
//! lines in dB: down to the depth over the attack time, back to 0 dB over the release time.

use super::biquad::Biquad;
use crate::pcm::Pcm;

/// Length of one analysis block.
pub const BLOCK_MS: f64 = 10.0;
/// Blocks quieter than this (dBFS RMS) are never speech, whatever the threshold.
pub const NOISE_FLOOR_DBFS: f64 = -60.0;
/// `--threshold auto` needs the loud and quiet block levels at least this far apart (dB) to
/// tell speech from background.
pub const MIN_SPREAD_DB: f64 = 10.0;
/// `--threshold auto` on a voice track without pauses: it is all speech when its median block
/// level is at least this loud (dBFS RMS), else all background.
pub const SPEECH_LEVEL_DBFS: f64 = -45.0;
/// Shortest run of speech blocks that counts (shorter ones are clicks).
const MIN_RUN_BLOCKS: usize = 2;

/// How to tell speech from background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Threshold {
    /// From the voice's own level distribution (see [`auto_threshold`]).
    Auto,
    /// A fixed level, dBFS RMS over 10 ms.
    Dbfs(f64),
}

/// Shape of the dip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuckShape {
    /// Music gain while the voice speaks, dB (negative).
    pub depth_db: f64,
    /// Time to go down to the depth, ms.
    pub attack_ms: f64,
    /// Time to come back to 0 dB, ms.
    pub release_ms: f64,
    /// How long before speech the dip starts, ms.
    pub lookahead_ms: f64,
    /// How long after speech the dip is held before releasing, ms.
    pub hold_ms: f64,
}

impl Default for DuckShape {
    fn default() -> Self {
        Self {
            depth_db: -12.0,
            attack_ms: 50.0,
            release_ms: 300.0,
            lookahead_ms: 100.0,
            hold_ms: 150.0,
        }
    }
}

impl DuckShape {
    /// The one check of a dip (command line and spec alike): depth -60 to 0 dB, times 0 to
    /// 10000 ms. `prefix` turns a field into the name the user wrote (`--` or `music.`).
    pub fn check(&self, prefix: &str) -> std::result::Result<(), String> {
        if !(-60.0..=0.0).contains(&self.depth_db) {
            return Err(format!(
                "{prefix}depth must be between -60 and 0 dB, not {}",
                self.depth_db
            ));
        }
        for (name, v) in [
            ("attack", self.attack_ms),
            ("release", self.release_ms),
            ("lookahead", self.lookahead_ms),
            ("hold", self.hold_ms),
        ] {
            if !(0.0..=10_000.0).contains(&v) {
                return Err(format!("{prefix}{name} must be 0 to 10000 ms, not {v}"));
            }
        }
        Ok(())
    }
}

/// A speech threshold in dBFS checked as the command line and the spec both check it.
pub fn check_threshold(db: f64, name: &str) -> std::result::Result<Threshold, String> {
    if (-120.0..=0.0).contains(&db) {
        Ok(Threshold::Dbfs(db))
    } else {
        Err(format!(
            "{name} must be a level between -120 and 0 dBFS, not {db}"
        ))
    }
}

/// A music bed's gain in dB (applied before ducking) checked as the command line and the spec
/// both check it: -60 to 60.
pub fn check_music_gain(db: f64, name: &str) -> std::result::Result<f64, String> {
    if (-60.0..=60.0).contains(&db) {
        Ok(db)
    } else {
        Err(format!("{name} must be between -60 and 60 dB, not {db}"))
    }
}

/// The voice's speech activity.
#[derive(Debug, Clone, PartialEq)]
pub struct Activity {
    /// Samples per block.
    pub block: usize,
    /// One flag per block: speech (before look-ahead and hold).
    pub speech: Vec<bool>,
    /// The threshold used, dBFS RMS.
    pub threshold_dbfs: f64,
}

impl Activity {
    /// Speech runs as `[start, end)` sample frames.
    pub fn segments(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, &s) in self.speech.iter().chain([&false]).enumerate() {
            match (s, start) {
                (true, None) => start = Some(i),
                (false, Some(b)) => {
                    out.push((b * self.block, i * self.block));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    /// The phrases the music is lowered for with `shape`, at `rate` Hz: speech runs less than
    /// the look-ahead plus the hold apart joined, as `[start, end)` sample frames. What
    /// [`envelope`] ducks and what reports list.
    pub fn phrases(&self, rate: u32, shape: &DuckShape) -> Vec<(usize, usize)> {
        let frames = |ms: f64| (ms * f64::from(rate) / 1000.0).round() as usize;
        let bridged = frames(shape.lookahead_ms + shape.hold_ms);
        let mut out: Vec<(usize, usize)> = Vec::new();
        for (start, end) in self.segments() {
            match out.last_mut() {
                Some(last) if start - last.1 < bridged => last.1 = end,
                _ => out.push((start, end)),
            }
        }
        out
    }
}

/// Block levels of `voice` in dBFS RMS: each channel high-passed at 100 Hz, the loudest
/// channel's level. The same voice reads the same on one channel, on two (a camera's dual
/// mono), on one of two (a lavalier on the left) or in opposite phase on two (no mono sum to
/// cancel); measured on a mono voice spread over stereo at -3 dB each it read 3 dB lower. Pass
/// the voice at its own channels.
pub fn block_levels(voice: &Pcm) -> (usize, Vec<f64>) {
    let mut levels = BlockLevels::new(voice.rate, voice.channels);
    levels.add(&voice.data);
    levels.finish()
}

/// [`block_levels`] of a voice fed in pieces of whole frames, in order (the voice need not be
/// held).
pub struct BlockLevels {
    block: usize,
    ch: usize,
    /// One filter per channel.
    high_pass: Vec<Biquad>,
    /// Each channel's sum of squares over the block so far.
    sums: Vec<f64>,
    count: usize,
    levels: Vec<f64>,
}

impl BlockLevels {
    /// Levels of a voice at `rate` Hz with `channels` channels.
    pub fn new(rate: u32, channels: u16) -> Self {
        Self {
            block: Pcm::silence(rate, channels, 0)
                .ms_to_frames(BLOCK_MS)
                .max(1),
            ch: usize::from(channels),
            high_pass: vec![Biquad::high_pass(100.0, f64::from(rate)); usize::from(channels)],
            sums: vec![0.0; usize::from(channels)],
            count: 0,
            levels: Vec::new(),
        }
    }

    /// Feed the next frames (interleaved).
    pub fn add(&mut self, interleaved: &[f32]) {
        for frame in interleaved.chunks(self.ch) {
            for ((&v, hp), sum) in frame.iter().zip(&mut self.high_pass).zip(&mut self.sums) {
                *sum += hp.run(f64::from(v)).powi(2);
            }
            self.count += 1;
            if self.count == self.block {
                self.push();
            }
        }
    }

    /// Samples per block and the level of each block (a partial last block counts).
    pub fn finish(mut self) -> (usize, Vec<f64>) {
        if self.count > 0 {
            self.push();
        }
        (self.block, self.levels)
    }

    /// End the block: its loudest channel's level.
    fn push(&mut self) {
        let loudest = self.sums.iter().copied().fold(0.0, f64::max);
        self.levels.push(to_db(loudest / self.count as f64));
        self.sums.iter_mut().for_each(|s| *s = 0.0);
        self.count = 0;
    }
}

fn to_db(mean_square: f64) -> f64 {
    (10.0 * mean_square.log10()).max(-120.0)
}

/// The `auto` threshold from block levels: Otsu's split of the level histogram (blocks under
/// the noise floor left out) when the two sides are at least [`MIN_SPREAD_DB`] apart; a track
/// without that contrast is all speech if its median is at least [`SPEECH_LEVEL_DBFS`] (the
/// threshold is then the noise floor) and all background otherwise (0 dBFS: nothing passes).
pub fn auto_threshold(levels: &[f64]) -> f64 {
    let mut v: Vec<f64> = levels
        .iter()
        .copied()
        .filter(|&l| l >= NOISE_FLOOR_DBFS)
        .collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let total: f64 = v.iter().sum();
    let (mut best, mut split, mut below) = (f64::NEG_INFINITY, None, 0.0);
    for i in 1..v.len() {
        below += v[i - 1];
        if v[i] - v[i - 1] < 1e-9 {
            continue;
        }
        let (w0, w1) = (i as f64 / n, 1.0 - i as f64 / n);
        let (m0, m1) = (below / i as f64, (total - below) / (n - i as f64));
        let between = w0 * w1 * (m1 - m0).powi(2);
        if between > best {
            best = between;
            split = Some((i, m0, m1));
        }
    }
    match split {
        Some((i, m0, m1)) if m1 - m0 >= MIN_SPREAD_DB => (v[i - 1] + v[i]) / 2.0,
        _ if v[v.len() / 2] >= SPEECH_LEVEL_DBFS => NOISE_FLOOR_DBFS,
        _ => 0.0,
    }
}

/// Find where `voice` speaks.
pub fn detect(voice: &Pcm, threshold: Threshold) -> Activity {
    detect_in(block_levels(voice), threshold)
}

/// Find where a voice speaks from its [`block_levels`].
pub fn detect_in((block, levels): (usize, Vec<f64>), threshold: Threshold) -> Activity {
    let threshold_dbfs = match threshold {
        Threshold::Auto => auto_threshold(&levels),
        Threshold::Dbfs(t) => t,
    };
    let mut speech: Vec<bool> = levels
        .iter()
        .map(|&l| l >= NOISE_FLOOR_DBFS && l > threshold_dbfs)
        .collect();
    // Drop runs shorter than MIN_RUN_BLOCKS.
    let mut i = 0;
    while i < speech.len() {
        if speech[i] {
            let end = (i..speech.len())
                .find(|&j| !speech[j])
                .unwrap_or(speech.len());
            if end - i < MIN_RUN_BLOCKS {
                speech[i..end].iter_mut().for_each(|s| *s = false);
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Activity {
        block,
        speech,
        threshold_dbfs,
    }
}

/// Lower a music bed under speech, in place: each sample of `bed` (frames of `channels`
/// samples) times `gain`, then times its frame's duck gain, the next of `gains` (an
/// [`envelope`]; pass `&mut` one to read it on from where a previous piece of the bed stopped;
/// frames past its end are left as they are). The one ducking step of `duck` and of assemble's music bed.
pub fn duck_bed(bed: &mut [f32], channels: u16, gain: f32, gains: impl IntoIterator<Item = f32>) {
    for (frame, g) in bed.chunks_mut(usize::from(channels)).zip(gains) {
        frame.iter_mut().for_each(|v| *v = *v * gain * g);
    }
}

/// The music gain per sample frame (linear), `len` frames long, for `activity` at `rate`,
/// made as it is read (nothing as long as the sound is kept but one flag per frame).
pub fn envelope(
    activity: &Activity,
    len: usize,
    rate: u32,
    shape: &DuckShape,
) -> impl Iterator<Item = f32> {
    let frames = |ms: f64| (ms * f64::from(rate) / 1000.0).round() as usize;
    let (look, hold) = (frames(shape.lookahead_ms), frames(shape.hold_ms));
    // Target: ducked from `look` before each phrase to `hold` after it.
    let mut ducked = vec![false; len];
    let phrases = activity.phrases(rate, shape);
    for &(start, end) in &phrases {
        let from = start.saturating_sub(look).min(len);
        let to = (end + hold).min(len);
        ducked[from..to].iter_mut().for_each(|d| *d = true);
    }
    let depth = shape.depth_db.min(0.0);
    let down = -depth / frames(shape.attack_ms).max(1) as f64;
    let up = -depth / frames(shape.release_ms).max(1) as f64;
    // A dip whose look-ahead reaches before the sound starts is as far down at frame 0 as it
    // would be there had the sound started earlier.
    let before = phrases
        .first()
        .map_or(0, |&(start, _)| look.saturating_sub(start));
    let mut g = (-down * before as f64).max(depth);
    ducked.into_iter().map(move |d| {
        g = if d {
            (g - down).max(depth)
        } else {
            (g + up).min(0.0)
        };
        10f64.powf(g / 20.0) as f32
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcm::Layout;

    #[test]
    fn a_bed_ducked_in_pieces_is_the_bed_ducked_whole() {
        let bed: Vec<f32> = (0..12).map(|i| i as f32).collect();
        let gains = [0.5, 1.0, 0.25, 0.0, 1.0];
        let mut whole = bed.clone();
        duck_bed(&mut whole, 2, 2.0, gains);
        assert_eq!(whole, [0., 1., 4., 6., 2., 2.5, 0., 0., 16., 18., 10., 11.]);
        let mut pieces = bed.clone();
        let mut g = gains.into_iter();
        for piece in pieces.chunks_mut(4) {
            duck_bed(piece, 2, 2.0, &mut g);
        }
        assert_eq!(pieces, whole);
    }

    /// Deterministic noise in [-1, 1].
    fn noise(n: usize, seed: u32) -> impl Iterator<Item = f32> {
        let mut x = seed;
        (0..n).map(move |_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as f32 / u32::MAX as f32 * 2.0 - 1.0
        })
    }

    /// 3 s at 1 kHz: a -50 dB noise floor, speech-level noise from 1.0 to 2.0 s.
    fn voice() -> Pcm {
        let data = noise(3000, 7)
            .enumerate()
            .map(|(i, v)| {
                if (1000..2000).contains(&i) {
                    v * 0.3
                } else {
                    v * 0.003
                }
            })
            .collect();
        Pcm {
            rate: 1000,
            channels: 1,
            layout: Layout::DEFAULT,
            data,
        }
    }

    #[test]
    fn finds_speech_and_ignores_the_floor() {
        let a = detect(&voice(), Threshold::Auto);
        assert!(
            a.threshold_dbfs > -50.0 && a.threshold_dbfs < -15.0,
            "{}",
            a.threshold_dbfs
        );
        // The burst, to the block (the high-pass may ring on for one block).
        let seg = a.segments();
        assert_eq!(seg.len(), 1, "{seg:?}");
        assert_eq!(seg[0].0, 1000);
        assert!((2000..=2010).contains(&seg[0].1), "{seg:?}");
        // A voice track of background only never ducks.
        let floor = Pcm {
            rate: 1000,
            channels: 1,
            layout: Layout::DEFAULT,
            data: noise(3000, 3).map(|v| v * 0.003).collect(),
        };
        assert!(detect(&floor, Threshold::Auto).segments().is_empty());
    }

    #[test]
    fn envelope_leads_holds_and_releases() {
        let a = detect(&voice(), Threshold::Auto);
        let shape = DuckShape::default();
        let g: Vec<f32> = envelope(&a, 3000, 1000, &shape).collect();
        let db = |i: usize| 20.0 * f64::from(g[i]).log10();
        assert!(db(800).abs() < 1e-6, "untouched well before speech");
        assert!(db(901) < -0.1, "the dip starts a look-ahead before speech");
        assert!((db(1000) + 12.0).abs() < 1e-3, "fully down at the onset");
        assert!((db(2100) + 12.0).abs() < 1e-3, "held after speech");
        assert!(db(2460).abs() < 1e-6, "released");
    }
}
