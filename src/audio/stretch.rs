//! Constant-pitch time stretching with the sound's onsets kept where the picture puts them.
//!
//! FFmpeg's `atempo` (WSOLA: overlapping windows, each placed where it best matches) keeps the
//! pitch but smears a sharp onset over its window: measured on a 1 kHz beep, 8-13 ms early at
//! 1.5x, 38-45 ms early at 0.5x (`rubberband` is no better: 7-9 ms late at 1.5x, 32 ms early at
//! 0.5x). Its first window, though, starts exactly on its input's first sample. So the sound is
//! cut at every onset (as [`onsets`] finds them, 1 ms before), each piece is
//! stretched on its own and cut or padded to exactly its length on the new timeline: every
//! onset then starts on its sample, within a millisecond of the retimed picture.

use super::onsets;
use crate::error::Result;
use crate::pcm::Pcm;
use cutroom_ffi::AudioFilter;

/// The slowest and fastest tempo one `atempo` instance takes; slower ones are chained.
const ATEMPO_MIN: f64 = 0.5;

/// `pcm` played in `frames` frames instead of its own length, at its own pitch, each onset at
/// its place on the new timeline (its position scaled by `frames / pcm.frames()`).
pub fn stretch(pcm: &Pcm, frames: usize) -> Result<Pcm> {
    let len = pcm.frames();
    let mut out = Pcm::silence(pcm.rate, pcm.channels, 0);
    if len == 0 || frames == 0 {
        out.fit(frames);
        return Ok(out);
    }
    // Where each piece starts, in source frames, and where it lands.
    let mut cuts: Vec<usize> = onset_frames(pcm);
    cuts.insert(0, 0);
    cuts.push(len);
    cuts.dedup();
    let place = |i: usize| (i as u128 * frames as u128 / len as u128) as usize;
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let target = place(b) - place(a);
        let mut piece = tempo(&pcm.slice(a, b), (b - a) as f64 / target.max(1) as f64)?;
        piece.fit(target);
        out.append(&piece);
    }
    Ok(out)
}

/// Source frames 1 ms before each onset of `pcm` (its channels' mean power, so a channel in
/// opposite phase to another never cancels it), ascending.
fn onset_frames(pcm: &Pcm) -> Vec<usize> {
    let ch = usize::from(pcm.channels.max(1));
    // The detector reads only the power of what it is given.
    let mono: Vec<f32> = pcm
        .data
        .chunks_exact(ch)
        .map(|f| (f.iter().map(|v| v * v).sum::<f32>() / ch as f32).sqrt())
        .collect();
    let early = pcm.ms_to_frames(1.0) as f64;
    onsets::detect(&mono, pcm.rate, 0)
        .onsets
        .iter()
        .map(|o| (o.time * f64::from(pcm.rate) - early).round().max(0.0) as usize)
        .filter(|&f| f > 0 && f < pcm.frames())
        .collect()
}

/// `pcm` sped up by `speed` (below 1: slowed down) with `atempo`, at its own pitch.
fn tempo(pcm: &Pcm, speed: f64) -> Result<Pcm> {
    let mut chain = Vec::new();
    let mut rest = speed;
    while rest < ATEMPO_MIN {
        chain.push(format!("atempo={ATEMPO_MIN}"));
        rest /= ATEMPO_MIN;
    }
    chain.push(format!("atempo={rest:.9}"));
    let data = AudioFilter::run(&chain.join(","), &pcm.data, pcm.rate, pcm.channels)?;
    Ok(Pcm {
        rate: pcm.rate,
        channels: pcm.channels,
        layout: pcm.layout,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3 s of silence with 40 ms 1 kHz beeps (amplitude 0.5) starting at `beeps` (frames).
    fn beeps(beeps: &[usize]) -> Pcm {
        let mut p = Pcm::silence(48000, 2, 48000 * 3);
        for &b in beeps {
            for i in 0..1920 {
                let v = 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48000.0).sin();
                p.data[2 * (b + i)] = v;
                p.data[2 * (b + i) + 1] = v;
            }
        }
        p
    }

    fn first_loud(p: &Pcm, from: usize) -> usize {
        (from..p.frames())
            .find(|&i| p.data[2 * i].abs() >= 0.25)
            .expect("a beep")
    }

    #[test]
    fn onsets_land_on_the_retimed_timeline_to_the_millisecond() {
        let src = beeps(&[24000, 72000, 120000]);
        for frames in [96000, 48000, 36000, 288000] {
            let out = stretch(&src, frames).unwrap();
            assert_eq!(out.frames(), frames);
            let mut from = 0;
            for b in [24000usize, 72000, 120000] {
                let want = (b + 4) * frames / 144000;
                let got = first_loud(&out, from);
                assert!(
                    got.abs_diff(want) <= 48,
                    "{frames} frames: beep at {got}, expected {want}"
                );
                from = got + 9600;
            }
        }
    }

    #[test]
    fn pitch_is_kept() {
        // A steady 1 kHz tone at half speed still crosses zero 2000 times a second.
        let mut p = Pcm::silence(48000, 1, 48000);
        for (i, v) in p.data.iter_mut().enumerate() {
            *v = 0.5 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 48000.0).sin();
        }
        let out = stretch(&p, 96000).unwrap();
        let mid = &out.data[24000..72000];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((1990..=2010).contains(&crossings), "{crossings}");
    }
}
