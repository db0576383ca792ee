//! Finishing a new soundtrack for a picture: final length (with a clean video cut for
//! `--fit trim`), fade-out, loudness or peak control, and the MP4 rewrite.

use super::band;
use super::fit::Fit;
use super::limiter;
use super::loudness::{
    self, LevelMeter, LoudnessReport, LoudnessTarget, Shortfall, TruePeakMeter, AAC_BAND_HZ,
};
use super::picture::Picture;
use crate::avwrite::EncodedAudio;
use crate::error::{Error, Result};
use crate::pcm::Pcm;
use crate::provenance::Step;
use serde::Serialize;
use std::fmt;
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

impl Level {
    /// The C2PA step of a soundtrack levelled this way (none when kept as it is).
    pub fn step(self) -> Option<Step> {
        match self {
            Self::Keep => None,
            Self::Limit(tp) => Some(Step::new(
                "c2pa.filtered",
                format!("audio true peak limited to {tp} dBTP"),
            )),
            Self::Normalize(t) => Some(Step::loudness(t.integrated_lufs, t.true_peak_db)),
        }
    }
}

/// Most encodes made again because the encoded loudness missed the target.
const MAX_REAIMS: usize = 2;
/// Most encodes [`master`] makes: 6 to bring the encoded true peak under the ceiling, and the
/// re-aims.
const MAX_ENCODES: usize = 6 + MAX_REAIMS;
/// How far the encoded loudness may be from the target, LU.
const LOUDNESS_TOLERANCE_LU: f64 = 0.05;
/// How far under the target a soundtrack may be written before a warning says why, LU.
const SHORT_LU: f64 = 0.1;

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

/// Where the sound a report names came from (an output's, a shot's): the same word for the
/// same meaning in every command's `--json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SoundFrom {
    /// No audio track (`export --no-audio`).
    None,
    /// Made by the caller (assemble's mix), written as it is.
    Given,
    /// The source's own sound.
    Source,
    /// Silence: the source has no sound.
    Silence,
}

impl fmt::Display for SoundFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Given => "given",
            Self::Source => "source",
            Self::Silence => "silence",
        })
    }
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
    /// Loudness of the soundtrack as encoded (the AAC decoded back).
    pub loudness: LoudnessReport,
    /// True peak of the encoded AAC as decoded, dBTP (`None` for digital silence).
    pub encoded_true_peak_dbtp: Option<f64>,
    /// Why it is short of a `--loudness` target, as [`Mastered::shortfall`].
    pub shortfall: Option<Shortfall>,
}

/// Cut or pad `pcm` to the picture (with [`Fit::Trim`], cut the picture to the soundtrack),
/// fade out over the last `fade_out` frames, then [`master`] it.
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
    let mastered = master(pcm, level)?;
    let report = SoundtrackReport {
        frames: mastered.pcm.frames(),
        rate: mastered.pcm.rate,
        cut: keep < picture.packets(),
        loudness: mastered.loudness,
        encoded_true_peak_dbtp: mastered.encoded_true_peak_dbtp,
        shortfall: mastered.shortfall,
    };
    Ok(Finished {
        pcm: mastered.pcm,
        encoded: mastered.encoded,
        keep,
        report,
    })
}

/// A soundtrack with its level set and encoded: what [`master`] returns.
#[derive(Debug, Clone)]
pub struct Mastered {
    /// The audio as encoded (after gain and limiting).
    pub pcm: Pcm,
    /// `pcm` encoded to AAC, ready for [`crate::avwrite::AvWriter::create_encoded`].
    pub encoded: EncodedAudio,
    /// Loudness of the encoded AAC as decoded: what players hear.
    pub loudness: LoudnessReport,
    /// True peak of the encoded AAC as decoded, dBTP (`None` for digital silence).
    pub encoded_true_peak_dbtp: Option<f64>,
    /// Why a normalised soundtrack is more than 0.1 LU under its target (`None` when it is not,
    /// or was not normalised).
    pub shortfall: Option<Shortfall>,
}

/// One encode of the levelled sound, measured.
struct Encode {
    encoded: EncodedAudio,
    loudness: LoudnessReport,
    tp: Option<f64>,
    /// The integrated loudness of the levelled sound before encoding.
    before: Option<f64>,
}

/// Apply `level` to a finished-length soundtrack and encode it. The encoded AAC is always
/// decoded back and measured (AAC's quantisation noise raises peaks, by up to 7.5 dB on a
/// measured mix), and every figure reported is that measurement. With a ceiling, when the
/// encoded true peak is over it, the limiter's ceiling is lowered by the overshoot and the
/// level applied and encoded again (at most `MAX_ENCODES` times), so the file holds the
/// ceiling. A normalised sound whose encode misses the target by more than 0.05 LU (the AAC
/// priming hides its first 21 ms: all of a short sting's start) is aimed again by the miss,
/// when the ceiling allows that much more (else the encode stands: no more passes chase a
/// target the encoder does not give). The work is done in `out`'s own buffer, so long sound
/// is never held twice (a retry levels the levelled sound again). Every command that writes a
/// soundtrack (swap, duck, concat, export) masters it here.
pub fn master(mut out: Pcm, level: Level) -> Result<Mastered> {
    let ceiling = match level {
        Level::Keep => None,
        Level::Limit(c) => Some(c),
        Level::Normalize(t) => Some(t.true_peak_db),
    };
    let mut aim = ceiling.unwrap_or(0.0);
    // The loudness normalised to: the target, moved by what the encode missed it by.
    let mut aim_lufs = match level {
        Level::Normalize(t) => t.integrated_lufs,
        _ => 0.0,
    };
    let mut reaims = 0;
    // The encode a re-aim would replace, kept until the re-aim is known to be reachable.
    let mut standing: Option<Encode> = None;
    for _ in 0..MAX_ENCODES {
        // Whether the sound before encoding reached `aim_lufs` (the ceiling may not allow it),
        // and its loudness.
        let mut reached = false;
        let mut before = None;
        match level {
            Level::Normalize(_) => {
                let plan = loudness::plan(
                    &out,
                    &LoudnessTarget {
                        integrated_lufs: aim_lufs,
                        true_peak_db: aim,
                    },
                )?;
                before = plan.report.integrated_lufs;
                reached = before.is_some_and(|l| (l - aim_lufs).abs() <= LOUDNESS_TOLERANCE_LU);
                if let Some(e) = standing.take().filter(|_| !reached) {
                    // The ceiling does not allow making up what the encode lost.
                    return Ok(finished(out, e, level, aim));
                }
                plan.apply(&mut out);
            }
            Level::Limit(_) => {
                limiter::limit(&mut out, aim);
            }
            Level::Keep => {}
        }
        let mut peak = TruePeakMeter::new(out.rate, out.channels)?;
        let mut levels = LevelMeter::new(out.rate, out.channels, out.layout)?;
        let encoded = EncodedAudio::encode_and_decode(&out, |run| {
            peak.add(run)?;
            levels.add(run)
        })?;
        let tp = peak.db()?;
        let loudness = levels.report(tp)?;
        if let (Some(c), Some(tp)) = (ceiling, tp) {
            if tp > c {
                aim -= tp - c + 0.05;
                continue;
            }
        }
        let e = Encode {
            encoded,
            loudness,
            tp,
            before,
        };
        if let (Level::Normalize(t), Some(l)) = (level, loudness.integrated_lufs) {
            // The encode lost loudness the sound had (its priming hides the first 21 ms, all
            // of a short sting's start): aim again by the miss.
            let miss = t.integrated_lufs - l;
            if reached && reaims < MAX_REAIMS && miss.abs() > LOUDNESS_TOLERANCE_LU {
                reaims += 1;
                aim_lufs += miss;
                standing = Some(e);
                continue;
            }
        }
        return Ok(finished(out, e, level, aim));
    }
    Err(Error::Media(cutroom_ffi::Error::Ffmpeg {
        op: "encode the soundtrack".into(),
        reason: format!(
            "the AAC encoder keeps the true peak over the {:.1} dBTP ceiling after {MAX_ENCODES} \
             encodes",
            ceiling.unwrap_or(0.0)
        ),
    }))
}

/// `out` mastered as encoded in `e` at `level`, its limiter at `limit_db` dBTP; why it is short
/// of a loudness target told from what was measured.
fn finished(out: Pcm, e: Encode, level: Level, limit_db: f64) -> Mastered {
    let shortfall = match level {
        Level::Normalize(t) => match (e.loudness.integrated_lufs, e.before) {
            (None, _) => Some(Shortfall::Unmeasured),
            (Some(l), _) if l >= t.integrated_lufs - SHORT_LU => None,
            (Some(_), Some(before)) if before >= t.integrated_lufs - SHORT_LU => {
                Some(Shortfall::Encode {
                    before_lufs: before,
                    high_share: band::share_above(&out, AAC_BAND_HZ),
                })
            }
            (Some(_), _) => Some(Shortfall::Ceiling { limit_db }),
        },
        _ => None,
    };
    Mastered {
        pcm: out,
        encoded: e.encoded,
        loudness: e.loudness,
        encoded_true_peak_dbtp: e.tp,
        shortfall,
    }
}
