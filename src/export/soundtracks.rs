//! An export's soundtracks, made before any picture is encoded: one AAC track per distinct
//! length and loudness target.

use super::GivenSoundtrack;
use crate::audio::loudness::{self, LoudnessReport, LoudnessTarget, Shortfall};
use crate::audio::soundtrack::{self, Level, CHANNELS as AUDIO_CHANNELS, RATE as AUDIO_RATE};
use crate::avwrite::EncodedAudio;
use crate::error::Result;
use crate::pcm::{self, Pcm};
use crate::progress::Progress;
use std::path::Path;

/// Where an export's sound comes from.
pub(super) enum Sound<'a> {
    /// The input file's own (silence when it has none).
    Input,
    /// Made by the caller, mastered and encoded.
    Given(GivenSoundtrack<'a>),
    /// Made by the caller, not levelled.
    Own(Pcm),
}

/// The soundtrack of an encode's outputs: the input's sound (or silence) cut or padded to
/// `samples`, delivered at a loudness target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Track {
    pub(super) samples: usize,
    pub(super) loudness_lufs: f64,
    pub(super) true_peak_dbtp: f64,
}

/// A soundtrack as encoded, its loudness as heard and why it is short of its target.
pub(super) type Heard = (EncodedAudio, LoudnessReport, Option<Shortfall>);

/// The soundtrack of each of `tracks`, AAC-encoded once per distinct track: a given one
/// (already mastered) as it is, a track of another length cut from it and encoded; else the
/// caller's own sound or the input's (silence when it has none) mastered to the track's
/// loudness target, the input's decoded again for each distinct track rather than copied (no
/// second copy of a long sound is held). Damaged packets skipped in decoding the input are
/// reported to `progress`. Each comes with its loudness as encoded (the AAC decoded back) and,
/// when mastered here, why it is short of the target.
pub(super) fn encode_soundtracks(
    input: &Path,
    sound: Sound<'_>,
    tracks: &[Track],
    progress: &dyn Progress,
) -> Result<Vec<Heard>> {
    let (mut held, given) = match sound {
        Sound::Given(make) => {
            let m = make()?;
            (Some(m.pcm), Some((m.encoded, m.loudness, None)))
        }
        Sound::Own(pcm) => (Some(pcm), None),
        Sound::Input => (None, None),
    };
    type Made = (Track, Heard);
    let mut encoded: Vec<Made> = Vec::new();
    for (i, track) in tracks.iter().enumerate() {
        let made = |t: &Track, done: &[Made]| done.iter().any(|(d, _)| d == t);
        if made(track, &encoded) {
            continue;
        }
        let aac = match (&mut held, &given) {
            // A given soundtrack was mastered (and encoded) by the caller; outputs of its
            // length carry its AAC as it is.
            (Some(pcm), Some(aac)) if pcm.frames() == track.samples => aac.clone(),
            (held, _) => {
                let mut pcm = match held {
                    Some(pcm) => {
                        // The last track cut from it takes it (no copy of the whole is kept
                        // beside it).
                        let needed_later = tracks[i + 1..]
                            .iter()
                            .any(|t| t != track && !made(t, &encoded));
                        match needed_later {
                            true => pcm.clone(),
                            false => {
                                std::mem::replace(pcm, Pcm::silence(AUDIO_RATE, AUDIO_CHANNELS, 0))
                            }
                        }
                    }
                    None => pcm::decode_aligned(input, AUDIO_RATE, AUDIO_CHANNELS, progress)?
                        .unwrap_or_else(|| Pcm::silence(AUDIO_RATE, AUDIO_CHANNELS, 0)),
                };
                pcm.fit(track.samples);
                match given {
                    Some(_) => {
                        let aac = EncodedAudio::encode(&pcm)?;
                        let heard = loudness::measure(&aac.decode()?)?;
                        (aac, heard, None)
                    }
                    // The input's (or the feed's own) sound is brought to the preset's
                    // loudness target.
                    None => {
                        let level = Level::Normalize(LoudnessTarget {
                            integrated_lufs: track.loudness_lufs,
                            true_peak_db: track.true_peak_dbtp,
                        });
                        let m = soundtrack::master(pcm, level)?;
                        (m.encoded, m.loudness, m.shortfall)
                    }
                }
            }
        };
        encoded.push((*track, aac));
    }
    Ok(tracks
        .iter()
        .map(|t| {
            let (_, a) = encoded.iter().find(|(d, _)| d == t).expect("encoded above");
            a.clone()
        })
        .collect())
}
