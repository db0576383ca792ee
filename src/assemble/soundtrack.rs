//! The run's soundtrack: the shots' sound as joined, the voice-over, and the music bed ducked
//! under whichever speaks, mastered and AAC-encoded once.

use super::spec::Cut;
use crate::audio::fit::{place, silent_bed_warning, Fit, Placement};
use crate::audio::load;
use crate::audio::loudness::{LoudnessReport, LoudnessTarget};
use crate::audio::masters::Masters;
use crate::audio::sidechain::{detect, duck_bed, envelope, Threshold};
use crate::audio::soundtrack::{self, Level, Mastered, CHANNELS as CH, RATE};
use crate::error::Result;
use crate::pcm::Pcm;
use crate::progress::Progress;
use serde::Serialize;

/// What the soundtrack is made of and how loud it ended up.
#[derive(Debug, Serialize)]
pub struct SoundtrackReport {
    /// The music bed, when there is one.
    pub music: Option<String>,
    /// The voice-over, when there is one.
    pub voice: Option<String>,
    /// What the music ducks under: `voice` or `shots`.
    pub duck_key: Option<DuckKey>,
    /// Target, LUFS.
    pub target_lufs: f64,
    /// True-peak ceiling, dBTP.
    pub true_peak_dbtp: f64,
    /// Measured on the encoded AAC, decoded back.
    pub loudness: LoudnessReport,
    /// True peak of the AAC-decoded soundtrack (held under the ceiling); `None` for silence.
    pub encoded_true_peak_dbtp: Option<f64>,
}

/// The sound a music bed ducks under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DuckKey {
    /// The voice-over.
    Voice,
    /// The shots' own sound (there is no voice-over).
    Shots,
}

impl std::fmt::Display for DuckKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Voice => "voice",
            Self::Shots => "shots",
        })
    }
}

/// Frames of the music bed read and mixed at a time.
const BED_PIECE_FRAMES: usize = 4096;

/// The finished soundtrack, `len` frames at [`RATE`], mastered and AAC-encoded once: the
/// shots' sound as joined, the voice-over, and the music ducked under the voice (or, without
/// one, under the shots' sound), normalised to the spec's loudness target with the true peak
/// held after AAC (once for every run sharing `masters`). Damaged packets skipped in decoding
/// the voice or music are reported to `progress`.
pub(super) fn soundtrack(
    cut: &Cut,
    mut shots: Pcm,
    len: usize,
    fit: Fit,
    masters: Option<&Masters>,
    progress: &dyn Progress,
) -> Result<(Mastered, SoundtrackReport)> {
    shots.fit(len);
    let voice = match &cut.voice {
        Some(v) => {
            let mut pcm = load::load_as(&v.file, RATE, CH, Some(len), progress)?;
            pcm.fit(len);
            Some(pcm)
        }
        None => None,
    };
    // Where the voice (or, without one, the shots' sound) speaks is found before anything is
    // mixed, so the mix is made in the shots' own buffer rather than a copy of it.
    let ducking = cut.music.as_ref().map(|m| {
        let key = voice.as_ref().unwrap_or(&shots);
        let threshold = m.threshold.map_or(Threshold::Auto, Threshold::Dbfs);
        (m, detect(key, threshold))
    });
    let mut mix = shots;
    if let Some(v) = voice {
        mix.mix_in(&v);
    }
    let duck_key = match ducking {
        Some((m, activity)) => {
            let gain = 10f32.powf(m.gain as f32 / 20.0);
            let mut gains = envelope(&activity, len, RATE, &m.shape());
            let mut bed = load::Pieces::open(&m.file, RATE, CH, len, progress)?;
            let mut heard = false;
            if fit == Fit::Loop && bed.frames() < len {
                // A bed shorter than the cut is looped: it is held whole (it is shorter).
                let mut bed = place(
                    bed.whole()?,
                    len,
                    &Placement {
                        fit,
                        offset: 0,
                        fade_in: 0,
                    },
                );
                heard = bed.data.iter().any(|&v| v != 0.0);
                duck_bed(&mut bed.data, CH, gain, gains);
                mix.mix_in(&bed);
            } else {
                // Cut at the cut's end (as `place` does), ducked and mixed in a piece at a
                // time: a long bed is never held beside the shots' sound. Same products and
                // sums in the same order.
                let ch = usize::from(CH);
                let mut at = 0;
                let mut piece = Vec::new();
                while at < mix.data.len() {
                    let want = BED_PIECE_FRAMES.min((mix.data.len() - at) / ch);
                    bed.next(want, &mut piece)?;
                    if piece.is_empty() {
                        break;
                    }
                    heard |= piece.iter().any(|&v| v != 0.0);
                    duck_bed(&mut piece, CH, gain, &mut gains);
                    for (o, v) in mix.data[at..].iter_mut().zip(&piece) {
                        *o += v;
                    }
                    at += piece.len();
                }
                // Past the bed's end its padding is silence (added, as before: -0.0 becomes 0.0).
                mix.data[at..].iter_mut().for_each(|o| *o += 0.0);
            }
            if !heard {
                progress.warn(&silent_bed_warning(&m.file));
            }
            Some(match cut.voice {
                Some(_) => DuckKey::Voice,
                None => DuckKey::Shots,
            })
        }
        None => None,
    };
    mix.fit(len);
    let target = LoudnessTarget {
        integrated_lufs: cut.loudness.target,
        true_peak_db: cut.loudness.true_peak,
    };
    // Export muxes this very AAC, so the codec check holds for every deliverable.
    let level = Level::Normalize(target);
    let mastered = match masters {
        Some(m) => m.master(mix, level)?,
        None => soundtrack::master(mix, level)?,
    };
    let (loudness, encoded_true_peak_dbtp) = (mastered.loudness, mastered.encoded_true_peak_dbtp);
    Ok((
        mastered,
        SoundtrackReport {
            music: cut.music.as_ref().map(|m| m.file.display().to_string()),
            voice: cut.voice.as_ref().map(|v| v.file.display().to_string()),
            duck_key,
            target_lufs: target.integrated_lufs,
            true_peak_dbtp: target.true_peak_db,
            loudness,
            encoded_true_peak_dbtp,
        },
    ))
}
