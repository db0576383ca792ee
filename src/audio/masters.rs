//! Soundtracks mastered once for every run that shares them: the variants of a batch mostly
//! differ in picture (captions, text, preset), so their mixes are often the same samples.

use super::soundtrack::{master, Level, Mastered};
use crate::error::Result;
use crate::pcm::Pcm;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Bytes of mastered sound (48 kHz stereo f32: 23 MB a minute) kept for later runs; past it
/// the least recently used are dropped (and mastered again if asked for).
const KEPT_BYTES: usize = 256 << 20;

/// [`master`] with its results kept: a mix (same samples, rate and channels) at a level already
/// mastered, or being mastered on another thread, gets that result, so its loudness passes and
/// AAC encodes are made once. `master` is a function of exactly these, so the result is the
/// same bytes as mastering again.
#[derive(Default)]
pub struct Masters {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    slots: HashMap<[u8; 32], Slot>,
    clock: u64,
}

struct Slot {
    mastered: Arc<Mutex<Option<Mastered>>>,
    used: u64,
    bytes: usize,
}

impl Masters {
    /// `mix` at `level` mastered, as [`master`] makes it.
    pub fn master(&self, mix: Pcm, level: Level) -> Result<Mastered> {
        let key = key(&mix, level);
        let slot = {
            let mut kept = self.kept.lock().expect("masters");
            kept.clock += 1;
            let used = kept.clock;
            let slot = kept.slots.entry(key).or_insert_with(|| Slot {
                mastered: Arc::default(),
                used,
                bytes: 0,
            });
            slot.used = used;
            Arc::clone(&slot.mastered)
        };
        // A run asking for a mix being mastered waits for it here.
        let mut mastered = slot.lock().expect("mastered soundtrack");
        if let Some(m) = mastered.as_ref() {
            return Ok(m.clone());
        }
        let m = master(mix, level)?;
        *mastered = Some(m.clone());
        drop(mastered);
        self.keep(key, m.pcm.data.len() * std::mem::size_of::<f32>());
        Ok(m)
    }

    /// Count `bytes` for `key`, then drop the least recently used others past [`KEPT_BYTES`].
    fn keep(&self, key: [u8; 32], bytes: usize) {
        let mut kept = self.kept.lock().expect("masters");
        if let Some(s) = kept.slots.get_mut(&key) {
            s.bytes = bytes;
        }
        while kept.slots.values().map(|s| s.bytes).sum::<usize>() > KEPT_BYTES {
            let oldest = kept
                .slots
                .iter()
                .filter(|(k, s)| **k != key && s.bytes > 0)
                .min_by_key(|(_, s)| s.used)
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => kept.slots.remove(&k),
                None => break,
            };
        }
    }
}

/// SHA-256 of the mix's format, samples and the level.
fn key(mix: &Pcm, level: Level) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(format!("{} {} {level:?}\n", mix.rate, mix.channels));
    let mut bytes = Vec::with_capacity(4 << 12);
    for run in mix.data.chunks(1 << 12) {
        bytes.clear();
        bytes.extend(run.iter().flat_map(|s| s.to_le_bytes()));
        h.update(&bytes);
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::loudness::LoudnessTarget;

    fn tone(rate: u32, hz: f32) -> Pcm {
        let mut pcm = Pcm::silence(rate, 2, rate as usize);
        for (i, s) in pcm.data.iter_mut().enumerate() {
            *s = 0.3 * (std::f32::consts::TAU * hz * (i / 2) as f32 / rate as f32).sin();
        }
        pcm
    }

    #[test]
    fn the_same_mix_gets_the_same_master_from_every_thread() {
        let level = Level::Normalize(LoudnessTarget {
            integrated_lufs: -14.0,
            true_peak_db: -1.0,
        });
        let alone = master(tone(48_000, 440.0), level).unwrap();
        let masters = Masters::default();
        let made: Vec<Mastered> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..3)
                .map(|_| s.spawn(|| masters.master(tone(48_000, 440.0), level).unwrap()))
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        for m in &made {
            assert_eq!(m.pcm.data, alone.pcm.data);
            assert_eq!(
                m.encoded.decode().unwrap().data,
                alone.encoded.decode().unwrap().data
            );
            assert_eq!(m.loudness, alone.loudness);
        }
        assert_eq!(masters.kept.lock().unwrap().slots.len(), 1);
        // Another mix, or another level, is mastered on its own.
        let other = masters.master(tone(48_000, 500.0), level).unwrap();
        assert_ne!(other.pcm.data, alone.pcm.data);
        let peak = masters
            .master(tone(48_000, 440.0), Level::Limit(-6.0))
            .unwrap();
        assert_ne!(peak.pcm.data, alone.pcm.data);
        assert_eq!(masters.kept.lock().unwrap().slots.len(), 3);
    }
}
