//! Finishing a new soundtrack for a picture: final length (with a clean video cut for
//! `--fit trim`), fade-out, loudness or peak control, and the MP4 rewrite.

use super::fit::Fit;
use super::limiter;
use super::picture::Picture;
use crate::avwrite::EncodedAudio;
use crate::error::{Error, Result};
use crate::loudness::{self, LoudnessReport, LoudnessTarget};
use crate::pcm::Pcm;
use std::path::Path;

/// Sample rate of every soundtrack cutroom writes (AAC-LC 48 kHz, as social platforms ask).
pub const RATE: u32 = 48_000;
/// Channel count of every soundtrack cutroom writes.
pub const CHANNELS: u16 = 2;

/// What to do with the level of the finished soundtrack.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Level {
    /// Leave it as it is.
    Keep,
    /// Only hold the true peak at or under this ceiling (dBTP) with the limiter.
    Limit(f64),
    /// Normalise: one gain to the target loudness, then the true-peak limiter.
    Normalize(LoudnessTarget),
}

/// The codec check: when the soundtrack's true peak comes this close to the ceiling (dB), the
/// encoded AAC is decoded back and its own true peak checked, since AAC's quantisation noise
/// pushes peaks up (a few tenths of a dB on programme material, up to a dB on pure tones).
pub const CODEC_CHECK_DB: f64 = 2.0;

/// A soundtrack ready to be written under (part of) a picture.
pub struct Finished {
    /// The audio, exactly as long as the kept picture.
    pub pcm: Pcm,
    /// `pcm` encoded to AAC: what [`Picture::write`] muxes.
    pub encoded: EncodedAudio,
    /// Video packets to keep (all of them unless `--fit trim` shortened the output).
    pub keep: usize,
    /// What was made.
    pub report: SoundtrackReport,
}

/// What a finished soundtrack is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SoundtrackReport {
    /// Length in sample frames.
    pub frames: usize,
    /// Sample rate.
    pub rate: u32,
    /// True when the picture was cut short to the soundtrack (`--fit trim`).
    pub cut: bool,
    /// Loudness of the soundtrack before encoding.
    pub loudness: LoudnessReport,
    /// True peak of the encoded AAC as decoded, dBTP, when the codec check ran.
    pub encoded_true_peak_dbtp: Option<f64>,
}

/// Cut or pad `pcm` to the picture (with [`Fit::Trim`], cut the picture to the soundtrack),
/// fade out over the last `fade_out` frames, apply `level`, and encode. With a ceiling, the
/// encoded audio is checked (see [`CODEC_CHECK_DB`]) and, if the codec pushed a peak over, the
/// limiter's ceiling is lowered by the overshoot and the level applied again.
pub fn finish(
    picture: &Picture,
    audio_path: &Path,
    mut pcm: Pcm,
    fit: Fit,
    fade_out: usize,
    level: Level,
) -> Result<Finished> {
    let full = picture.frames_at(pcm.rate);
    let (keep, len) = if fit == Fit::Trim && pcm.frames() < full {
        picture.cut_within(pcm.frames(), pcm.rate).ok_or_else(|| {
            Error::bad_input(
                audio_path,
                "--fit trim: the soundtrack ends before the first frames of the picture",
            )
        })?
    } else {
        (picture.packets(), full)
    };
    pcm.fit(len);
    pcm.fade_out(fade_out.min(len));
    let ceiling = match level {
        Level::Keep => None,
        Level::Limit(c) => Some(c),
        Level::Normalize(t) => Some(t.true_peak_db),
    };
    let mut aim = ceiling.unwrap_or(0.0);
    let mut attempt = 0;
    loop {
        let mut out = pcm.clone();
        let loudness = match level {
            Level::Normalize(target) => loudness::normalize(
                &mut out,
                &LoudnessTarget {
                    true_peak_db: aim,
                    ..target
                },
            )?,
            Level::Limit(_) => {
                limiter::limit(&mut out, aim);
                loudness::measure(&out)?
            }
            Level::Keep => loudness::measure(&out)?,
        };
        let encoded = EncodedAudio::encode(&out)?;
        let mut encoded_tp = None;
        if let (Some(c), Some(tp)) = (ceiling, loudness.true_peak_dbtp) {
            if tp > c - CODEC_CHECK_DB {
                let tp = strict_true_peak(&encoded.decode()?)?;
                encoded_tp = Some(tp);
                attempt += 1;
                if tp > c && attempt < 4 {
                    aim -= tp - c + 0.05;
                    continue;
                }
            }
        }
        let report = SoundtrackReport {
            frames: out.frames(),
            rate: out.rate,
            cut: keep < picture.packets(),
            loudness,
            encoded_true_peak_dbtp: encoded_tp,
        };
        return Ok(Finished {
            pcm: out,
            encoded,
            keep,
            report,
        });
    }
}

/// The true peak of `pcm` by two methods, the larger: the `ebur128` crate's (48-tap
/// interpolator) and the largest sample after swresample's upsampling to 4x the rate (the way
/// FFmpeg's `ebur128` filter does it). Meters differ by a few tenths of a dB near the top of
/// the band; the deliverable must pass both.
fn strict_true_peak(pcm: &Pcm) -> Result<f64> {
    let meter = loudness::true_peak(pcm)?.unwrap_or(f64::NEG_INFINITY);
    let up = cutroom_ffi::resample(
        &pcm.data,
        pcm.rate,
        pcm.channels,
        pcm.rate * 4,
        pcm.channels,
    )?;
    let peak = up.iter().fold(0f32, |m, v| m.max(v.abs()));
    Ok(meter.max(20.0 * f64::from(peak).log10()))
}
