//! Audio for sync analysis: the first audio track decoded to mono `f32`, placed on the
//! presentation timeline with its edit list / encoder delay applied.
//!
//! symphonia decodes what it can (AAC in MP4, MP3, FLAC, WAV, Vorbis, ...). Its MP4 reader
//! ignores `elst`, so the trim is read with [`crate::mp4`] and applied here. Codecs symphonia
//! lacks (Opus, AC-3, ...) are decoded through FFmpeg, which applies the trim itself.
//!
//! Decoded samples are laid end to end from the first one, as players play them: a file whose
//! packet timestamps disagree with what its packets decode to (the `-f concat -c copy` joins)
//! drifts for the listener, and that drift is what sync must see.

use crate::error::{Error, Result};
use crate::{media, mp4};
use cutroom_ffi::{AudioDecoder, MediaKind};
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

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
}

impl Audio {
    /// Presentation time in seconds of sample `i` of [`Audio::samples`].
    pub fn time_of(&self, i: usize) -> f64 {
        (self.start + i as i64) as f64 / f64::from(self.rate)
    }
}

/// Decode the first audio track of `path`; `Ok(None)` when the file has no audio stream.
pub fn decode(path: &Path) -> Result<Option<Audio>> {
    let input = media::open(path)?;
    let Some(index) = input.best_stream(MediaKind::Audio) else {
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
    match decode_symphonia(path, &codec)? {
        Ok(audio) => Ok(Some(audio)),
        Err(why) => decode_ffmpeg(path, index, why).map(Some),
    }
}

/// symphonia's decode; the inner `Err` says why symphonia cannot do this file (fall back).
fn decode_symphonia(path: &Path, codec: &str) -> Result<std::result::Result<Audio, String>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut reader = match symphonia::default::get_probe().probe(
        &hint,
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(Err(format!("symphonia cannot read the container ({e})"))),
    };
    let Some(track) = reader.default_track(TrackType::Audio) else {
        return Ok(Err(format!("symphonia has no decoder for {codec}")));
    };
    let track_id = track.id;
    let time_base = track.time_base;
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()).cloned() else {
        return Ok(Err(format!("symphonia has no decoder for {codec}")));
    };
    let mut decoder = match symphonia::default::get_codecs()
        .make_audio_decoder(&params, &AudioDecoderOptions::default())
    {
        Ok(d) => d,
        Err(_) => return Ok(Err(format!("symphonia has no decoder for {codec}"))),
    };
    let Some(rate) = params.sample_rate.filter(|r| *r > 0) else {
        return Ok(Err("symphonia found no sample rate".into()));
    };
    let mut samples = Vec::new();
    let mut interleaved: Vec<f32> = Vec::new();
    let mut start: Option<i64> = None;
    loop {
        let packet = match next_packet(reader.as_mut()) {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => return Ok(Err(format!("symphonia failed reading the audio ({e})"))),
        };
        if packet.track_id != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            Err(SymError::DecodeError(_)) | Err(SymError::IoError(_)) => continue,
            Err(e) => return Ok(Err(format!("symphonia failed decoding the audio ({e})"))),
        };
        if start.is_none() && buf.frames() > 0 {
            // The first kept sample sits at the packet's pts plus what the decoder trimmed (a
            // Vorbis decoder's first packet only primes the overlap and yields nothing).
            let first = packet.pts.get() + packet.trim_start.get() as i64;
            start = Some(match time_base {
                Some(tb) => ticks_to_samples(first, tb.numer.get(), tb.denom.get(), rate),
                None => first,
            });
        }
        let channels = buf.spec().channels().count().max(1);
        buf.copy_to_vec_interleaved(&mut interleaved);
        mix_down(&interleaved, channels, &mut samples);
    }
    let mut start = start.unwrap_or(0);
    if let Some((track, movie_timescale)) = mp4::read_layout(path)
        .map_err(|e| Error::io(path, e))?
        .as_ref()
        .and_then(|l| Some((l.track("soun")?.clone(), l.movie_timescale)))
    {
        // Drop what the edit list skips (the priming), keep what its edit spans (the end
        // padding goes), then honour any leading empty edit.
        let e = edit(&track, movie_timescale, rate);
        let drop = usize::try_from(e.skip - start)
            .unwrap_or(0)
            .min(samples.len());
        samples.drain(..drop);
        if let Some(len) = e.length.and_then(|l| usize::try_from(l).ok()) {
            samples.truncate(len);
        }
        start = start - e.skip + drop as i64 + e.lead;
    }
    Ok(Ok(Audio {
        rate,
        start,
        samples,
        decoder: Decoder::Symphonia,
    }))
}

fn next_packet(
    reader: &mut dyn FormatReader,
) -> std::result::Result<Option<symphonia::core::packet::Packet>, SymError> {
    match reader.next_packet() {
        // A truncated or damaged tail ends the stream; what was decoded stands.
        Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        other => other,
    }
}

/// What an MP4 edit list does to a track read from media time 0, in samples.
struct Edit {
    /// The media time presentation starts at (the encoder delay to skip).
    skip: i64,
    /// The leading empty edit (presentation starts this late).
    lead: i64,
    /// How much is presented, when one edit spans the track.
    length: Option<i64>,
}

fn edit(track: &mp4::Track, movie_timescale: u32, rate: u32) -> Edit {
    let skip = if track.timescale > 0 {
        ticks_to_samples(track.edit_start(), 1, track.timescale, rate)
    } else {
        0
    };
    let (lead, length) = if movie_timescale > 0 {
        let to_samples = |d: u64| ticks_to_samples(d as i64, 1, movie_timescale, rate);
        let mut spans = track.edits.iter().filter(|e| e.media_time >= 0);
        let length = match (spans.next(), spans.next()) {
            (Some(one), None) => Some(to_samples(one.segment_duration)),
            _ => None,
        };
        (to_samples(track.empty_lead()), length)
    } else {
        (0, None)
    };
    Edit { skip, lead, length }
}

/// `ticks * num / den` seconds expressed in samples at `rate`, rounded to nearest.
fn ticks_to_samples(ticks: i64, num: u32, den: u32, rate: u32) -> i64 {
    let n = i128::from(ticks) * i128::from(num) * i128::from(rate);
    let d = i128::from(den.max(1));
    (if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    }) as i64
}

/// Append the mean of each interleaved frame of `channels` values to `out`.
fn mix_down(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|f| f.iter().sum::<f32>() * scale),
    );
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
    let mut take = |dec: &mut AudioDecoder, samples: &mut Vec<f32>| -> Result<()> {
        while let Some(run) = dec.receive()? {
            if start.is_none() && !run.data.is_empty() {
                start = run
                    .pts
                    .map(|p| ticks_to_samples(p, tb.num.max(0) as u32, tb.den.max(1) as u32, rate));
            }
            samples.extend_from_slice(&run.data);
        }
        Ok(())
    };
    while let Some(pkt) = input.read_packet()? {
        if pkt.stream() == index {
            dec.send(&pkt)?;
            take(&mut dec, &mut samples)?;
        }
    }
    dec.send_eof()?;
    take(&mut dec, &mut samples)?;
    samples.extend(dec.flush_resampler()?);
    Ok(Audio {
        rate,
        start: start.unwrap_or(0),
        samples,
        decoder: Decoder::Ffmpeg(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_convert_to_samples_with_rounding() {
        assert_eq!(ticks_to_samples(1024, 1, 48000, 48000), 1024);
        assert_eq!(ticks_to_samples(-1024, 1, 48000, 48000), -1024);
        assert_eq!(ticks_to_samples(512, 1, 15360, 48000), 1600);
        assert_eq!(ticks_to_samples(1, 1, 3, 48000), 16000);
    }

    #[test]
    fn mixdown_averages_channels() {
        let mut out = Vec::new();
        mix_down(&[1.0, 0.0, 0.5, 0.5], 2, &mut out);
        assert_eq!(out, vec![0.5, 0.5]);
    }
}
