//! Loading a soundtrack file into PCM: WAV with `hound`, MP3 / AAC / M4A / FLAC / Ogg Vorbis with
//! `symphonia`, anything else (Opus, AC-3, video containers symphonia does not read, ...) through
//! FFmpeg. Every error names the file.
//!
//! symphonia's MP4 reader ignores edit lists, so for MP4/M4A the track's `elst` is applied here
//! (the encoder priming is cut, the presented length kept). MP3 encoder delay and padding
//! (LAME/Xing tag) are trimmed by symphonia's gapless mode.

use crate::error::{Error, Result};
use crate::mp4;
use crate::pcm::{self, Pcm};
use cutroom_ffi::MediaKind;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;

/// Decode `path` at its own sample rate and channel count. Sample 0 is the file's own first
/// video frame (as [`pcm::decode_aligned`]: the sound keeps its sync with the file's own
/// picture), or, for a file without a picture, its first sound: a start time or leading empty
/// edit (audio stamped to start at 1 h) is time, never materialised as silence.
pub fn load(path: &Path) -> Result<Pcm> {
    crate::media::check_file(path, "an audio file")?;
    crate::media::check_complete(path)?;
    let mut head = [0u8; 12];
    let n = File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| Error::io(path, e))?;
    let pcm = if n == 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WAVE" {
        match load_wav(path)? {
            Some(p) => p,
            None => load_ffmpeg(path, "a WAV encoding hound does not read")?,
        }
    } else {
        match load_symphonia(path)? {
            Ok(p) => p,
            Err(why) => load_ffmpeg(path, &why)?,
        }
    };
    if pcm.frames() == 0 {
        return Err(Error::bad_input(path, "audio decodes to no samples"));
    }
    Ok(pcm)
}

/// Decode `path` and convert it to `rate` Hz and `channels` channels (mono is spread to both
/// stereo channels at -3 dB each, 5.1 is folded down with FFmpeg's standard matrix: see
/// [`cutroom_ffi::Resampler`]).
pub fn load_as(path: &Path, rate: u32, channels: u16) -> Result<Pcm> {
    convert(load(path)?, rate, channels)
}

/// Convert `pcm` to `rate` Hz and `channels` channels (a no-op when it already is).
pub fn convert(pcm: Pcm, rate: u32, channels: u16) -> Result<Pcm> {
    if pcm.rate == rate && pcm.channels == channels {
        return Ok(pcm);
    }
    let data = cutroom_ffi::resample(&pcm.data, pcm.rate, pcm.channels, rate, channels)?;
    Ok(Pcm {
        rate,
        channels,
        data,
    })
}

/// A WAV file through hound; `None` for encodings hound does not support (a-law, ADPCM, ...).
fn load_wav(path: &Path) -> Result<Option<Pcm>> {
    let corrupt = |e: hound::Error| Error::bad_input(path, format!("corrupt WAV file: {e}"));
    let mut r = match hound::WavReader::open(path) {
        Ok(r) => r,
        Err(hound::Error::Unsupported) => return Ok(None),
        Err(e) => return Err(corrupt(e)),
    };
    let spec = r.spec();
    if spec.channels == 0 || spec.sample_rate == 0 {
        return Err(Error::bad_input(path, "WAV header declares no channels"));
    }
    let data: std::result::Result<Vec<f32>, hound::Error> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect()
        }
    };
    let data = data.map_err(|e| {
        Error::bad_input(
            path,
            format!("WAV data ends early or is damaged (truncated file?): {e}"),
        )
    })?;
    Ok(Some(Pcm {
        rate: spec.sample_rate,
        channels: spec.channels,
        data,
    }))
}

/// A file through symphonia; the inner `Err` says why symphonia cannot read it (the caller
/// then asks FFmpeg: symphonia refuses valid files, an x265 `hvcC` over 1 KB, AC-3 in MOV).
fn load_symphonia(path: &Path) -> Result<std::result::Result<Pcm, String>> {
    let decoded = match decode_symphonia(path)? {
        Ok(d) => d,
        Err(why) => return Ok(Err(why)),
    };
    // Decoders conceal an odd damaged packet; a file that is mostly damage is refused.
    let (packets, bad) = (decoded.packets, decoded.bad);
    if packets > 0 && bad * 10 > packets {
        return Err(Error::bad_input(
            path,
            format!("corrupt audio data: {bad} of {packets} packets do not decode"),
        ));
    }
    let mut pcm = decoded.pcm;
    apply_mp4_timing(path, &mut pcm, decoded.media_len);
    Ok(Ok(pcm))
}

/// The first audio track as symphonia decodes it, before any timing is applied.
pub struct Decoded {
    /// The samples at the track's rate and channel count.
    pub pcm: Pcm,
    /// Where the first decoded sample sits in the track's media time, in samples (what the
    /// decoder trimmed from the first packet counted).
    pub first: i64,
    /// The track's length in the container as (ticks, ticks per second).
    pub media_len: Option<(u64, u64)>,
    /// Packets of the track read.
    pub packets: usize,
    /// Packets that did not decode (concealed, skipped).
    pub bad: usize,
}

/// Decode the first audio track of `path` with symphonia; the inner `Err` says why symphonia
/// cannot (the caller then asks FFmpeg). A truncated tail ends the stream; damaged packets are
/// counted and skipped.
pub fn decode_symphonia(path: &Path) -> Result<std::result::Result<Decoded, String>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let mut format = match symphonia::default::get_probe().probe(
        &hint,
        mss,
        FormatOptions::default(),
        MetadataOptions::default(),
    ) {
        Ok(f) => f,
        Err(e) => return Ok(Err(format!("symphonia cannot read the container: {e}"))),
    };
    let Some(track) = format.default_track(TrackType::Audio) else {
        return Ok(Err("symphonia finds no audio track".into()));
    };
    let track_id = track.id;
    let time_base = track.time_base;
    // The track's length in the container, as (ticks, ticks per second).
    let media_len = match (track.duration, time_base) {
        (Some(d), Some(tb)) => Some((
            d.get() * u64::from(tb.numer.get()),
            u64::from(tb.denom.get()),
        )),
        _ => None,
    };
    let Some(params) = track.codec_params.as_ref().and_then(|p| p.audio()) else {
        return Ok(Err("symphonia finds no audio codec parameters".into()));
    };
    let mut decoder = match symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
    {
        Ok(d) => d,
        Err(e) => return Ok(Err(format!("symphonia has no decoder for it: {e}"))),
    };
    let mut spec: Option<(u32, u16)> = None;
    let mut data: Vec<f32> = Vec::new();
    let mut first = None;
    let (mut packets, mut bad) = (0usize, 0usize);
    loop {
        let packet = match format.next_packet() {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Ok(Err(format!("symphonia fails reading it: {e}"))),
        };
        if packet.track_id != track_id {
            continue;
        }
        packets += 1;
        match decoder.decode(&packet) {
            Ok(buf) => {
                let s = buf.spec();
                let this = (s.rate(), s.channels().count() as u16);
                if *spec.get_or_insert(this) != this {
                    return Err(Error::bad_input(
                        path,
                        "sample rate or channel count changes mid-stream",
                    ));
                }
                if first.is_none() && buf.frames() > 0 {
                    // The packet's pts plus what the decoder trimmed (a Vorbis decoder's first
                    // packet only primes the overlap and yields nothing).
                    let at = packet.pts.get() + packet.trim_start.get() as i64;
                    first = Some(match time_base {
                        Some(tb) => ticks_to_samples(at, tb.numer.get(), tb.denom.get(), this.0),
                        None => at,
                    });
                }
                let start = data.len();
                data.resize(start + buf.samples_interleaved(), 0.0);
                buf.copy_to_slice_interleaved(&mut data[start..]);
            }
            Err(SymError::DecodeError(_)) => bad += 1,
            Err(e) => return Ok(Err(format!("symphonia fails decoding it: {e}"))),
        }
    }
    let Some((rate, channels)) = spec else {
        return Ok(Err("symphonia decodes no samples from it".into()));
    };
    Ok(Ok(Decoded {
        pcm: Pcm {
            rate,
            channels,
            data,
        },
        first: first.unwrap_or(0),
        media_len,
        packets,
        bad,
    }))
}

/// `ticks * num / den` seconds expressed in samples at `rate`, rounded to nearest.
pub fn ticks_to_samples(ticks: i64, num: u32, den: u32, rate: u32) -> i64 {
    let n = i128::from(ticks) * i128::from(num) * i128::from(rate);
    let d = i128::from(den.max(1));
    (if n >= 0 {
        (n + d / 2) / d
    } else {
        (n - d / 2) / d
    }) as i64
}

/// For an MP4/M4A: cut the decoded audio to the track's length (the last AAC frame decodes
/// whole, padding included), then apply the first sound track's edit list: the media start
/// (encoder priming) is dropped, the presented length kept, and the sound placed against the
/// first video frame like [`pcm::decode_aligned`] does (leading empty edits count only relative
/// to the picture's, silence at most the picture's length). `media_len` is the track duration
/// as (ticks, ticks per second).
fn apply_mp4_timing(path: &Path, pcm: &mut Pcm, media_len: Option<(u64, u64)>) {
    let Ok(Some(layout)) = mp4::read_layout(path) else {
        return;
    };
    let rate = u64::from(pcm.rate);
    if let Some((ticks, per_sec)) = media_len.filter(|(_, d)| *d > 0) {
        let frames = ((u128::from(ticks) * u128::from(rate) + u128::from(per_sec) / 2)
            / u128::from(per_sec)) as usize;
        if frames > 0 && frames < pcm.frames() {
            pcm.fit(frames);
        }
    }
    let Some(track) = layout.track("soun") else {
        return;
    };
    if track.edits.is_empty() || track.timescale == 0 || layout.movie_timescale == 0 {
        return;
    }
    let to_frames = |ticks: u64, scale: u32| {
        ((u128::from(ticks) * u128::from(rate) + u128::from(scale) / 2) / u128::from(scale))
            .min(i64::MAX as u128) as i64
    };
    let movie = layout.movie_timescale;
    let skip = to_frames(track.edit_start().max(0) as u64, track.timescale);
    let presented = track.presented(movie);
    pcm.shift(-skip);
    if presented > 0 {
        let keep = to_frames(presented, movie) as usize;
        if keep < pcm.frames() {
            pcm.fit(keep);
        }
    }
    if let Some(video) = layout.track("vide") {
        let lead = to_frames(track.empty_lead(), movie) - to_frames(video.empty_lead(), movie);
        let picture = to_frames(video.presented(movie), movie);
        pcm.shift(lead.min(picture));
    }
}

/// Any other file through FFmpeg, at its own rate and channel count; `what` says why another
/// reader did not do it (part of the error when FFmpeg cannot either).
fn load_ffmpeg(path: &Path, what: &str) -> Result<Pcm> {
    let input = crate::media::open(path).map_err(|e| {
        let why = match e {
            Error::Media(cutroom_ffi::Error::Open { reason, .. }) => reason,
            Error::BadInput { reason, .. } => reason,
            other => other.to_string(),
        };
        Error::bad_input(
            path,
            format!("not an audio file cutroom can read ({what}; FFmpeg: {why})"),
        )
    })?;
    let streams = input.streams();
    let Some(a) = input.best_stream(MediaKind::Audio) else {
        return Err(Error::bad_input(path, "no audio stream"));
    };
    let rate = streams[a].params.sample_rate();
    let channels = streams[a].params.channels() as u16;
    if rate == 0 || channels == 0 {
        return Err(Error::bad_input(
            path,
            "audio stream declares no sample rate or channels",
        ));
    }
    drop(input);
    pcm::decode_aligned(path, rate, channels)?
        .ok_or_else(|| Error::bad_input(path, "no audio stream"))
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
}
