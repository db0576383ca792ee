//! Audio for sync analysis: the audio track players play (FFmpeg's default) decoded to mono
//! `f32`, placed on the presentation timeline with its edit list / encoder delay applied.
//!
//! symphonia decodes what it can (AAC in MP4, MP3, FLAC, WAV, Vorbis, ...). Its MP4 reader
//! ignores `elst`, so the trim is applied by the soundtrack loader's own code
//! ([`load::Decoded::present`]). Codecs symphonia lacks (Opus, AC-3, ...), and files with several
//! audio tracks (symphonia reads the first, players the default), are decoded through FFmpeg,
//! which applies the trim itself.
//!
//! Decoded samples are laid end to end from the first one, as players play them: a file whose
//! packet timestamps disagree with what its packets decode to (the `-f concat -c copy` joins)
//! drifts for the listener, and that drift is what sync must see.

use crate::audio::load;
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
}

impl Audio {
    /// Presentation time in seconds of sample `i` of [`Audio::samples`].
    pub fn time_of(&self, i: usize) -> f64 {
        (self.start + i as i64) as f64 / f64::from(self.rate)
    }
}

/// Decode the audio track of `path` that players play; `Ok(None)` when the file has no audio
/// stream.
pub fn decode(path: &Path) -> Result<Option<Audio>> {
    let input = media::open(path)?;
    let Some((index, others)) = media::audio_tracks(&input) else {
        return Ok(None);
    };
    let params = &input.streams()[index].params;
    let codec = params.codec_name();
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
    match decode_symphonia(path, &codec)? {
        Ok(audio) => Ok(Some(audio)),
        Err(why) => decode_ffmpeg(path, index, why).map(Some),
    }
}

/// symphonia's decode placed on the presentation timeline by the same code that loads a
/// soundtrack ([`load::decode_symphonia`], [`load::Decoded::present`]: the MP4 edit list
/// applied); the inner `Err` says why symphonia cannot do this file (fall back).
fn decode_symphonia(path: &Path, codec: &str) -> Result<std::result::Result<Audio, String>> {
    // Mixed down as it decodes: the stereo track of a 10-minute clip is never held whole.
    let (presented, damaged) = match load::decode_symphonia(path, true)? {
        Ok(d) => {
            let damaged = d.bad as u64;
            (d.present(path)?, damaged)
        }
        Err(why) => return Ok(Err(format!("{why} ({codec})"))),
    };
    Ok(Ok(Audio {
        rate: presented.pcm.rate,
        start: presented.start,
        samples: presented.pcm.data,
        decoder: Decoder::Symphonia,
        damaged,
    }))
}

/// FFmpeg's decode (mono at the native rate), for codecs symphonia lacks.
fn decode_ffmpeg(path: &Path, index: usize, why: String) -> Result<Audio> {
    let mut input = media::open(path)?;
    let info = input.streams()[index].clone();
    let rate = info.params.sample_rate().max(1);
    let mut dec = AudioDecoder::new(&input, index, rate, 1)?;
    let tb = dec.time_base();
    let mut samples = Vec::new();
    let mut start = None;
    dec.decode_input(&mut input, |run| -> Result<bool> {
        if start.is_none() && !run.data.is_empty() {
            start = run
                .pts
                .zip(TimeBase::new(tb))
                .map(|(p, tb)| Ticks(p).samples(tb, rate).0);
        }
        samples.extend_from_slice(&run.data);
        Ok(true)
    })?;
    Ok(Audio {
        rate,
        start: start.unwrap_or(0),
        samples,
        decoder: Decoder::Ffmpeg(why),
        damaged: dec.damaged_packets(),
    })
}
