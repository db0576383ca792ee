//! Audio for sync analysis: the audio track players play (FFmpeg's default) decoded and mixed
//! down to mono `f32`, placed on the presentation timeline with its edit list / encoder delay
//! applied.
//!
//! symphonia decodes what it can (AAC in MP4, MP3, FLAC, WAV, Vorbis, ...). Its MP4 reader
//! ignores `elst`, so the trim is applied by the soundtrack loader's own code
//! ([`load::Decoded::present`]). Codecs symphonia lacks (Opus, AC-3, ...), and files with several
//! audio tracks (symphonia reads the first, players the default), are decoded through FFmpeg,
//! which applies the trim itself.
//!
//! Decoded samples are laid end to end from the first one, as players play them: a file whose
//! packets decode to more than their timestamps leave room for (the `-f concat -c copy` joins)
//! drifts for the listener, and that drift is what sync must see. A hole in the timestamps is
//! played silent by both decoders, as players that follow the timestamps play it.
//!
//! The down-mix (`Mixer`) is the mean of the channels as they are decoded. Channels that
//! cancel when summed (one of a stereo pair polarity-inverted: a wiring or mixing fault) would
//! leave silence, or a residue that times nothing right: when the mean keeps less than half the
//! energy uncorrelated channels would give, the track is decoded again with the polarities
//! that keep the most, and the channels turned are reported. Stretches that still cancel are
//! reported too.
//!
//! A quiet sound (speech mixed at -45 dBFS: its starts under the onsets' gate, about -50 dBFS,
//! read as silence) is read louder, as a listener turns the volume up: raised until its loudest
//! 20 ms reach -20 dBFS, and the gain reported.

use crate::audio::load;
use crate::audio::polarity::{self, Correlation};
use crate::error::Result;
use crate::media;
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::{AudioDecoder, Decoder as _};
use std::path::Path;

/// Which library decoded the audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoder {
    /// symphonia (pure Rust).
    Symphonia,
    /// FFmpeg through `cutroom-ffi`, because symphonia cannot decode the stream; the reason.
    Ffmpeg(String),
}

/// A decoded audio track, mixed down to mono.
#[derive(Debug, Clone)]
pub struct Audio {
    /// Channels of the track, before the down-mix.
    pub channels: usize,
    /// Channels (from 0) whose polarity was turned in the down-mix, because they cancelled the
    /// others when summed as they are.
    pub inverted: Vec<usize>,
    /// Stretches (seconds of presentation time, to about a tenth of a second) where the
    /// channels still cancel in the down-mix: their sound is lost to it.
    pub cancelled: Vec<(f64, f64)>,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Position of the first sample on the presentation timeline, in samples (1/`rate`).
    pub start: i64,
    /// Mono samples, one per tick of 1/`rate`.
    pub samples: Vec<f32>,
    /// Who decoded it.
    pub decoder: Decoder,
    /// Packets the decoder skipped as damaged (the sound has a gap there).
    pub damaged: u64,
    /// The level of the loudest 20 ms as decoded (dBFS); `None` for digital silence.
    pub loudest_db: Option<f64>,
    /// The gain (dB) the samples were raised by to read a quiet sound; 0 for most.
    pub raised_db: f64,
    /// How far the samples laid end to end fall behind where the timestamps place them (from
    /// FFmpeg's decode; none known when symphonia decoded it).
    pub behind: Behind,
}

/// A sound whose loudest 20 ms lie under this (dBFS) is quiet: it is read louder.
const QUIET_DB: f64 = -30.0;
/// A quiet sound is raised until its loudest 20 ms reach this (dBFS).
const RAISED_TO_DB: f64 = -20.0;
/// Under this (dBFS, its loudest 20 ms) a sound is silence (a codec's or a converter's residue),
/// not raised.
const SILENCE_DB: f64 = -80.0;

impl Audio {
    /// Presentation time in seconds of sample `i` of [`Audio::samples`].
    pub fn time_of(&self, i: usize) -> f64 {
        (self.start + i as i64) as f64 / f64::from(self.rate)
    }

    /// Measure the loudest 20 ms, and raise a quiet sound to be read.
    fn leveled(mut self) -> Self {
        let block = (self.rate as usize / 50).max(1);
        let loudest = (self.samples.chunks(block))
            .map(|b| b.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / b.len() as f64)
            .fold(0.0, f64::max);
        self.loudest_db = (loudest > 0.0).then(|| 10.0 * loudest.log10());
        if let Some(db) = self
            .loudest_db
            .filter(|db| (SILENCE_DB..QUIET_DB).contains(db))
        {
            self.raised_db = RAISED_TO_DB - db;
            let gain = 10f64.powf(self.raised_db / 20.0) as f32;
            self.samples.iter_mut().for_each(|x| *x *= gain);
        }
        self
    }
}

/// Decode the audio track of `path` that players play; `Ok(None)` when the file has no audio
/// stream.
pub fn decode(path: &Path) -> Result<Option<Audio>> {
    Ok(decoded(path)?.map(Audio::leveled))
}

/// [`decode`] before the level is measured.
fn decoded(path: &Path) -> Result<Option<Audio>> {
    let input = media::open(path)?;
    let Some((index, others)) = media::audio_tracks(&input) else {
        return Ok(None);
    };
    let params = &input.streams()[index].params;
    let codec = params.codec_name();
    let rate = params.sample_rate();
    // symphonia's AAC decoder is AAC-LC only (no SBR/PS): HE-AAC goes to FFmpeg.
    let profile = params
        .profile_name()
        .filter(|p| codec == "aac" && p != "LC");
    drop(input);
    if let Some(p) = profile {
        let why = format!("symphonia decodes AAC-LC only, this is {p}");
        return decode_ffmpeg(path, index, why).map(Some);
    }
    if others.iter().any(|&o| o < index) {
        let n = others.len() + 1;
        let why = format!(
            "stream #{index} is the default of {n} audio tracks, symphonia reads only the first"
        );
        return decode_ffmpeg(path, index, why).map(Some);
    }
    match decode_symphonia(path, &codec, rate)? {
        Ok(audio) => Ok(Some(audio)),
        Err(why) => decode_ffmpeg(path, index, why).map(Some),
    }
}

/// Decode with `decode` through a [`Mixer`] for `rate` Hz; again with polarities turned when
/// the channels cancel as they are. The mixer of the decode kept is returned with its result.
fn mixed<T>(rate: u32, mut decode: impl FnMut(&mut Mixer) -> Result<T>) -> Result<(T, Mixer)> {
    let mut mixer = Mixer::new(rate, Vec::new());
    let first = decode(&mut mixer)?;
    let Some(signs) = mixer.polarity() else {
        return Ok((first, mixer));
    };
    drop(first);
    let mut mixer = Mixer::new(rate, signs);
    let second = decode(&mut mixer)?;
    Ok((second, mixer))
}

/// symphonia's decode placed on the presentation timeline by the same code that loads a
/// soundtrack ([`load::decode_symphonia`], [`load::Decoded::present`]: the MP4 edit list
/// applied); the inner `Err` says why symphonia cannot do this file (fall back).
fn decode_symphonia(
    path: &Path,
    codec: &str,
    rate: u32,
) -> Result<std::result::Result<Audio, String>> {
    // Mixed down as it decodes: the stereo track of a 10-minute clip is never held whole.
    let (decoded, mut mixer) = mixed(rate, |m| {
        load::decode_symphonia(path, Some(&mut |piece, n, out| m.mix(piece, n, out)))
    })?;
    let (presented, damaged) = match decoded {
        Ok(d) => {
            let damaged = d.bad as u64;
            (d.present(path)?, damaged)
        }
        Err(why) => return Ok(Err(format!("{why} ({codec})"))),
    };
    let rate = presented.pcm.rate;
    Ok(Ok(Audio {
        channels: mixer.channels(),
        inverted: mixer.inverted(),
        // Decoded frames counted from the first presented one: off by the priming trimmed.
        cancelled: mixer.cancelled(presented.start, rate),
        rate,
        start: presented.start,
        samples: presented.pcm.data,
        decoder: Decoder::Symphonia,
        damaged,
        loudest_db: None,
        raised_db: 0.0,
        behind: Behind::new(rate),
    }))
}

/// FFmpeg's decode at the native rate and channels, mixed down here, for codecs symphonia
/// lacks.
fn decode_ffmpeg(path: &Path, index: usize, why: String) -> Result<Audio> {
    let rate = media::open(path)?.streams()[index]
        .params
        .sample_rate()
        .max(1);
    let ((samples, start, damaged, behind), mut mixer) = mixed(rate, |m| {
        let mut input = media::open(path)?;
        let params = input.streams()[index].params.clone();
        let channels = u16::try_from(params.channels().max(1)).unwrap_or(u16::MAX);
        let mut dec = AudioDecoder::new(&input, index, rate, channels)?;
        dec.set_layout(params.layout());
        let tb = dec.time_base();
        let mut samples = Vec::new();
        let mut start = None;
        let mut behind = Behind::new(rate);
        dec.decode_input(&mut input, |run| -> Result<bool> {
            let at = run
                .pts
                .zip(TimeBase::new(tb))
                .map(|(p, tb)| Ticks(p).samples(tb, rate).0);
            if start.is_none() && !run.data.is_empty() {
                start = at;
            }
            if let (Some(start), Some(at)) = (start, at) {
                behind.note(start + samples.len() as i64, at);
            }
            m.mix(&run.data, usize::from(channels), &mut samples);
            Ok(true)
        })?;
        Ok((samples, start.unwrap_or(0), dec.damaged_packets(), behind))
    })?;
    Ok(Audio {
        channels: mixer.channels(),
        inverted: mixer.inverted(),
        cancelled: mixer.cancelled(start, rate),
        rate,
        start,
        samples,
        decoder: Decoder::Ffmpeg(why),
        damaged,
        loudest_db: None,
        raised_db: 0.0,
        behind,
    })
}

/// Where the sound laid end to end falls behind its timestamps: a run of decoded samples that
/// starts later than its timestamp says (its packets decode to more than the timestamps leave
/// room for: overlaps at a `-c copy` join, or a sample rate that changes while the timestamps
/// go on counting the first one's frames, as AAC in MPEG-TS can). A run that starts earlier is
/// a hole the decoder fills with silence, which the run after it shows.
#[derive(Debug, Clone)]
pub struct Behind {
    rate: u32,
    /// `(position, behind)` in samples at `rate`: from each position on, where `behind`
    /// changed by 1 ms or more.
    points: Vec<(i64, i64)>,
}

impl Behind {
    fn new(rate: u32) -> Self {
        Self {
            rate: rate.max(1),
            points: Vec::new(),
        }
    }

    /// A run whose first sample lies at `laid` end to end and at `stamped` by its timestamp.
    fn note(&mut self, laid: i64, stamped: i64) {
        if laid < stamped {
            return;
        }
        let behind = laid - stamped;
        let last = self.points.last().map_or(0, |l| l.1);
        if (behind - last).abs() >= i64::from(self.rate / 1000).max(1) {
            self.points.push((laid, behind));
        }
    }

    /// How far (ms) the sound played end to end at `t` seconds lies behind where its
    /// timestamps place it: a player that follows them plays the sound there that much earlier.
    pub fn ms_at(&self, t: f64) -> f64 {
        let at = (t * f64::from(self.rate)).floor() as i64;
        let k = self.points.partition_point(|&(p, _)| p <= at);
        k.checked_sub(1).map_or(0.0, |k| self.ms(self.points[k].1))
    }

    /// The most the sound falls behind its timestamps (ms) and from when it does (s).
    pub fn most(&self) -> Option<(f64, f64)> {
        let first = self.points.iter().find(|b| b.1 > 0)?;
        let most = self.points.iter().map(|b| b.1).max()?;
        Some((self.ms(most), first.0 as f64 / f64::from(self.rate)))
    }

    fn ms(&self, samples: i64) -> f64 {
        samples as f64 * 1000.0 / f64::from(self.rate)
    }
}

/// A block whose channels have sound (over -50 dBFS mean square) and whose sum keeps under a
/// tenth of that energy cancels: its sound is lost to the mix.
const BLOCK_CANCELS: f64 = 0.1;
const BLOCK_SOUND: f64 = 1e-5;

/// The down-mix to one channel: the mean of the channels, each with its polarity, as they are
/// decoded; and, on the way, how the channels correlate over the whole track and the half
/// seconds where their sum cancels.
struct Mixer {
    rate: u32,
    /// +1 or -1 per channel; empty until the first piece (then all +1) unless given.
    signs: Vec<f32>,
    /// How the channels correlate over the track.
    correlation: Correlation,
    /// The half second being measured: energy of the sum, of the channels, frames.
    block: (f64, f64, usize),
    /// Frames mixed before the block.
    frames: usize,
    /// Blocks (first frame, frames) whose sum cancels, adjacent ones merged.
    cancels: Vec<(usize, usize)>,
}

impl Mixer {
    fn new(rate: u32, signs: Vec<f32>) -> Self {
        Self {
            rate: rate.max(1),
            signs,
            correlation: Correlation::default(),
            block: (0.0, 0.0, 0),
            frames: 0,
            cancels: Vec::new(),
        }
    }

    /// Mix the interleaved `piece` of `n` channels onto `out`.
    fn mix(&mut self, piece: &[f32], n: usize, out: &mut Vec<f32>) {
        let n = n.max(1);
        if self.signs.len() != n {
            self.signs = vec![1.0; n];
        }
        if self.correlation.channels() != n {
            self.correlation = Correlation::new(n);
        }
        let block = (self.rate as usize / 2).max(1);
        let from = out.len();
        polarity::mix_down(piece, n, &self.signs, out);
        for (frame, &sum) in piece.chunks_exact(n).zip(&out[from..]) {
            let energy = self.correlation.add(frame);
            self.block.0 += f64::from(sum) * f64::from(sum);
            self.block.1 += energy;
            self.block.2 += 1;
            if self.block.2 == block {
                self.close_block();
            }
        }
    }

    /// Judge the block measured so far and start the next.
    fn close_block(&mut self) {
        let (sum, channels, frames) = std::mem::replace(&mut self.block, (0.0, 0.0, 0));
        let n = self.signs.len().max(1) as f64;
        let sounds = channels > BLOCK_SOUND * n * frames as f64;
        if n > 1.0 && sounds && sum * n * n < BLOCK_CANCELS * channels {
            match self.cancels.last_mut() {
                Some((from, len)) if *from + *len == self.frames => *len += frames,
                _ => self.cancels.push((self.frames, frames)),
            }
        }
        self.frames += frames;
    }

    fn channels(&self) -> usize {
        self.signs.len().max(1)
    }

    /// The polarities that keep the most energy when the channels as they are cancel;
    /// `None` when they do not (see [`Correlation::turned`]).
    fn polarity(&self) -> Option<Vec<f32>> {
        self.correlation.turned()
    }

    /// The channels (from 0) whose polarity the mix turns.
    fn inverted(&self) -> Vec<usize> {
        (self.signs.iter().enumerate())
            .filter(|(_, s)| **s < 0.0)
            .map(|(c, _)| c)
            .collect()
    }

    /// The stretches whose sum cancels, in seconds with the first frame mixed at sample
    /// `start` of `rate` Hz (a last block of at least a tenth of a second counted).
    fn cancelled(&mut self, start: i64, rate: u32) -> Vec<(f64, f64)> {
        if self.block.2 * 10 >= self.rate as usize {
            self.close_block();
        }
        let secs = |frame: usize| {
            let s = (start + frame as i64) as f64 / f64::from(rate.max(1));
            (s * 10.0).round() / 10.0
        };
        (self.cancels.iter())
            .map(|&(from, len)| (secs(from), secs(from + len)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mixed_down(mixer: &mut Mixer, frames: &[[f32; 2]]) -> Vec<f32> {
        let mut out = Vec::new();
        mixer.mix(frames.as_flattened(), 2, &mut out);
        out
    }

    #[test]
    fn the_mix_is_the_mean_of_the_channels() {
        let mut m = Mixer::new(48000, Vec::new());
        assert_eq!(
            mixed_down(&mut m, &[[1.0, 0.0], [0.5, 0.5]]),
            vec![0.5, 0.5]
        );
        assert_eq!(m.polarity(), None);
    }

    #[test]
    fn channels_that_cancel_are_turned_and_their_stretches_named() {
        // 1 s of a tone in phase, then 1 s with the right channel inverted.
        let tone = |i: usize| (i as f32 * 0.05).sin() * 0.5;
        let frames: Vec<[f32; 2]> = (0..2000)
            .map(|i| match i < 1000 {
                true => [tone(i), tone(i)],
                false => [tone(i), -tone(i)],
            })
            .collect();
        let mut m = Mixer::new(1000, Vec::new());
        let out = mixed_down(&mut m, &frames);
        assert!(out[1200..].iter().all(|x| x.abs() < 1e-6));
        // Half the track cancels: as they are the channels keep as much as uncorrelated ones.
        assert_eq!(m.polarity(), None);
        assert_eq!(m.cancelled(500, 1000), vec![(1.5, 2.5)]);
        // All of it cancels: the right channel is turned.
        let inverted: Vec<[f32; 2]> = frames[1000..].to_vec();
        let mut m = Mixer::new(1000, Vec::new());
        mixed_down(&mut m, &inverted);
        let signs = m.polarity().expect("turned");
        assert_eq!(signs, vec![1.0, -1.0]);
        let mut m = Mixer::new(1000, signs);
        let out = mixed_down(&mut m, &inverted);
        assert!((out[10] - tone(1010)).abs() < 1e-6);
        assert_eq!((m.inverted(), m.cancelled(0, 1000)), (vec![1], vec![]));
    }
}
