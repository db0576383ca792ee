//! Audio for sync analysis: the audio track players play (FFmpeg's default) decoded and mixed
//! down to mono `f32`, placed on the presentation timeline with its edit list / encoder delay
//! applied.
//!
//! The samples are read as they decode (their onsets, their loudest 20 ms) and never held; what
//! needs them again decodes them again ([`Audio::replay`]).
//!
//! symphonia decodes what it can (AAC in MP4, MP3, FLAC, WAV, Vorbis, ...). Its MP4 reader
//! ignores `elst`, so the trim is applied by the soundtrack loader's own code
//! ([`load::Presentation`]), as the samples come. Codecs symphonia lacks (Opus, AC-3, ...), and files with several
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

use crate::audio::load::{self, MonoSink, Presentation};
use crate::audio::onsets::{AudioOnsets, Detector};
use crate::audio::polarity::{self, Correlation};
use crate::error::{Error, Result};
use crate::media;
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::{AudioDecoder, Decoder as _};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Which library decoded the audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoder {
    /// symphonia (pure Rust).
    Symphonia,
    /// FFmpeg through `cutroom-ffi`, because symphonia cannot decode the stream; the reason.
    Ffmpeg(String),
}

/// A decoded audio track, mixed down to mono and read as it was decoded: the samples are
/// never held (a 60-minute track is 691 MB of them); what needs them again decodes them again
/// ([`Audio::replay`]).
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
    pub len: usize,
    /// Its sound starts and levels, read louder when it is quiet.
    pub heard: AudioOnsets,
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
    /// How to decode the same samples again.
    source: Source,
}

/// A sound whose loudest 20 ms lie under this (dBFS) is quiet: it is read louder.
const QUIET_DB: f64 = -30.0;
/// A quiet sound is raised until its loudest 20 ms reach this (dBFS).
const RAISED_TO_DB: f64 = -20.0;
/// Under this (dBFS, its loudest 20 ms) a sound is silence (a codec's or a converter's residue),
/// not raised.
const SILENCE_DB: f64 = -80.0;

impl Audio {
    /// Presentation time in seconds of sample `i` of the mono samples.
    pub fn time_of(&self, i: usize) -> f64 {
        (self.start + i as i64) as f64 / f64::from(self.rate)
    }

    /// Decode the mono samples again, as they were read (a quiet sound raised), to `take` as
    /// they come.
    pub fn replay(&self, take: &mut dyn FnMut(&[f32])) -> Result<()> {
        let gain = 10f64.powf(self.raised_db / 20.0) as f32;
        let mut raised = Vec::new();
        let mut take = |_: i64, _: u32, s: &[f32]| match self.raised_db > 0.0 {
            true => {
                raised.clear();
                raised.extend(s.iter().map(|x| x * gain));
                take(&raised);
            }
            false => take(s),
        };
        let mut mixer = Mixer::new(self.rate, self.source.signs.clone());
        let path = &self.source.path;
        match self.source.ffmpeg {
            Some(index) => decode_ffmpeg(path, index, &mut mixer, &mut take).map(drop),
            None => match decode_symphonia(path, &mut mixer, &mut take)? {
                Ok(_) => Ok(()),
                Err(why) => Err(Error::bad_input(path, format!("decode audio again: {why}"))),
            },
        }
    }
}

/// The loudest 20 ms of a sound, as it comes: the mean square of each 20 ms block from the
/// first sample, the largest kept.
struct Loudest {
    block: usize,
    /// The block being summed: sum of squares, samples.
    sum: f64,
    n: usize,
    most: f64,
}

impl Loudest {
    fn new(rate: u32) -> Self {
        Self {
            block: (rate as usize / 50).max(1),
            sum: 0.0,
            n: 0,
            most: 0.0,
        }
    }

    fn push(&mut self, samples: &[f32]) {
        for &x in samples {
            self.sum += f64::from(x) * f64::from(x);
            self.n += 1;
            if self.n == self.block {
                self.close();
            }
        }
    }

    fn close(&mut self) {
        self.most = self.most.max(self.sum / self.n as f64);
        (self.sum, self.n) = (0.0, 0);
    }

    /// The level (dBFS) of the loudest block; `None` for digital silence.
    fn db(mut self) -> Option<f64> {
        if self.n > 0 {
            self.close();
        }
        (self.most > 0.0).then(|| 10.0 * self.most.log10())
    }
}

/// What a decode reads as the samples come: their sound starts and their loudest 20 ms.
struct Reading {
    rate: u32,
    onsets: Option<Detector>,
    loudest: Loudest,
}

impl Reading {
    fn new(rate: u32) -> Self {
        Self {
            rate,
            onsets: None,
            loudest: Loudest::new(rate),
        }
    }

    fn take(&mut self, start: i64, samples: &[f32]) {
        let rate = self.rate;
        (self
            .onsets
            .get_or_insert_with(|| Detector::new(rate, start)))
        .push(samples);
        self.loudest.push(samples);
    }
}

/// Decode the audio track of `path` that players play; `Ok(None)` when the file has no audio
/// stream. A quiet sound is read louder: its onsets are read again from a second decode, raised.
pub fn decode(path: &Path) -> Result<Option<Audio>> {
    let Some(mut audio) = decoded(path)? else {
        return Ok(None);
    };
    if let Some(db) = audio
        .loudest_db
        .filter(|db| (SILENCE_DB..QUIET_DB).contains(db))
    {
        audio.raised_db = RAISED_TO_DB - db;
        let mut onsets = Detector::new(audio.rate, audio.start);
        audio.replay(&mut |s| onsets.push(s))?;
        audio.heard = onsets.finish();
    }
    Ok(Some(audio))
}

/// [`decode`] before a quiet sound is raised.
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
    let ffmpeg = |why: String| -> Result<Audio> {
        read(path, rate, Some((index, why)))?
            .map_err(|why| Error::bad_input(path, format!("decode audio: {why}")))
    };
    if let Some(p) = profile {
        return ffmpeg(format!("symphonia decodes AAC-LC only, this is {p}")).map(Some);
    }
    if others.iter().any(|&o| o < index) {
        let n = others.len() + 1;
        return ffmpeg(format!(
            "stream #{index} is the default of {n} audio tracks, symphonia reads only the first"
        ))
        .map(Some);
    }
    match read(path, rate, None)? {
        Ok(audio) => Ok(Some(audio)),
        Err(why) => ffmpeg(format!("{why} ({codec})")).map(Some),
    }
}

/// Where a decode's presented mono samples go as they come, with the presentation time of the
/// first (in samples at the rate, Hz, that follows).
type Take<'a> = &'a mut dyn FnMut(i64, u32, &[f32]);

/// What a decode of the track found besides its samples.
struct Run {
    /// Presentation time of the first sample (in samples) and the rate.
    start: i64,
    rate: u32,
    /// Samples presented.
    len: usize,
    damaged: u64,
    behind: Behind,
}

/// Read the track of `path` (`rate` Hz as the container says; from stream `ffmpeg.0` with
/// FFmpeg, for the reason `ffmpeg.1`, else with symphonia: the inner `Err` says why it cannot),
/// down-mixed as it decodes: again with the polarities turned when the channels cancel as they
/// are.
fn read(
    path: &Path,
    rate: u32,
    ffmpeg: Option<(usize, String)>,
) -> Result<std::result::Result<Audio, String>> {
    let index = ffmpeg.as_ref().map(|f| f.0);
    let rate = match index {
        Some(_) => rate.max(1),
        None => rate,
    };
    let ((run, reading), mut mixer) = mixed(rate, |m| {
        let mut reading = None;
        let mut take = |start, rate, s: &[f32]| {
            (reading.get_or_insert_with(|| Reading::new(rate))).take(start, s);
        };
        let run = match index {
            Some(index) => Ok(decode_ffmpeg(path, index, m, &mut take)?),
            None => decode_symphonia(path, m, &mut take)?,
        };
        Ok((run, reading))
    })?;
    let run = match run {
        Ok(run) => run,
        Err(why) => return Ok(Err(why)),
    };
    let reading = reading.unwrap_or_else(|| Reading::new(run.rate));
    let onsets = (reading.onsets).unwrap_or_else(|| Detector::new(run.rate, run.start));
    Ok(Ok(Audio {
        channels: mixer.channels(),
        inverted: mixer.inverted(),
        // symphonia's frames counted from the first presented one: off by the priming trimmed.
        cancelled: mixer.cancelled(run.start, run.rate),
        rate: run.rate,
        start: run.start,
        len: run.len,
        heard: onsets.finish(),
        decoder: match ffmpeg {
            Some((_, why)) => Decoder::Ffmpeg(why),
            None => Decoder::Symphonia,
        },
        damaged: run.damaged,
        loudest_db: reading.loudest.db(),
        raised_db: 0.0,
        behind: run.behind,
        source: Source {
            path: path.to_path_buf(),
            ffmpeg: index,
            signs: mixer.signs.clone(),
        },
    }))
}

/// How to decode a track again: its file, the FFmpeg stream when FFmpeg decoded it, the
/// down-mix's polarities.
#[derive(Debug, Clone)]
struct Source {
    path: PathBuf,
    ffmpeg: Option<usize>,
    signs: Vec<f32>,
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

/// symphonia's decode through `mixer`, placed on the presentation timeline by the same code
/// that loads a soundtrack ([`load::decode_symphonia`], [`Presentation`]: the MP4 edit list
/// applied), to `take` as it comes; the inner `Err` says why symphonia cannot do this file
/// (fall back).
fn decode_symphonia(
    path: &Path,
    mixer: &mut Mixer,
    take: Take,
) -> Result<std::result::Result<Run, String>> {
    let mut sink = Presenting {
        mixer,
        kept: (0..0, 0),
        rate: 0,
        decoded: 0,
        piece: Vec::new(),
        take,
    };
    let decoded = match load::decode_symphonia(path, Some(&mut sink))? {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    let rate = decoded.pcm.rate;
    let how = Presentation::of(path, decoded.first, decoded.media_len, decoded.aac, rate)?;
    let (kept, start) = how.cut(sink.decoded);
    Ok(Ok(Run {
        start,
        rate,
        len: kept.len(),
        damaged: decoded.bad as u64,
        behind: Behind::new(rate),
    }))
}

/// A symphonia decode as it comes: mixed down, the frames the file presents passed on.
struct Presenting<'a> {
    mixer: &'a mut Mixer,
    /// The frames presented (from the first decoded) and the time of the first.
    kept: (Range<usize>, i64),
    rate: u32,
    /// Frames decoded so far.
    decoded: usize,
    piece: Vec<f32>,
    take: Take<'a>,
}

impl Presenting<'_> {
    /// Pass on the presented part of the frames in `piece`.
    fn pass(&mut self) {
        let (from, to) = (self.decoded, self.decoded + self.piece.len());
        let (a, b) = (
            self.kept.0.start.clamp(from, to),
            self.kept.0.end.clamp(from, to),
        );
        if a < b {
            (self.take)(self.kept.1, self.rate, &self.piece[a - from..b - from]);
        }
        self.decoded = to;
    }
}

impl MonoSink for Presenting<'_> {
    fn begin(&mut self, how: Presentation, rate: u32) {
        self.kept = how.cut(usize::MAX);
        self.rate = rate;
    }

    fn mix(&mut self, piece: &[f32], channels: usize) {
        self.piece.clear();
        self.mixer.mix(piece, channels, &mut self.piece);
        self.pass();
    }

    fn silence(&mut self, frames: usize) {
        self.piece.clear();
        self.piece.resize(frames, 0.0);
        self.pass();
    }
}

/// FFmpeg's decode of stream `index` at the native rate and channels, mixed down by `mixer`,
/// to `take` as it comes, for codecs symphonia lacks. FFmpeg applies the edit list itself.
fn decode_ffmpeg(path: &Path, index: usize, mixer: &mut Mixer, take: Take) -> Result<Run> {
    let mut input = media::open(path)?;
    let params = input.streams()[index].params.clone();
    let rate = params.sample_rate().max(1);
    let channels = u16::try_from(params.channels().max(1)).unwrap_or(u16::MAX);
    let mut dec = AudioDecoder::new(&input, index, rate, channels)?;
    dec.set_layout(params.layout());
    let tb = dec.time_base();
    let mut piece = Vec::new();
    let mut len = 0usize;
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
            behind.note(start + len as i64, at);
        }
        piece.clear();
        mixer.mix(&run.data, usize::from(channels), &mut piece);
        if !piece.is_empty() {
            take(start.unwrap_or(0), rate, &piece);
        }
        len += piece.len();
        Ok(true)
    })?;
    Ok(Run {
        start: start.unwrap_or(0),
        rate,
        len,
        damaged: dec.damaged_packets(),
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
