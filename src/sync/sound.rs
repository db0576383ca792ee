//! What a span's sound gives sync to time: distinct sound starts, a steady sound without one,
//! or silence (a silent card, a render that lost its sound).

use super::estimate::SpanEstimate;
use super::MIN_CONFIDENCE;
use crate::audio::onsets::AudioOnsets;
use serde::{Deserialize, Serialize};

/// A span without a sound start whose milliseconds sound (above the onsets' gate, about -50
/// dBFS) less often than this is silent, as a whole file is.
pub const SILENT_SHARE: f64 = 0.05;

/// What a span's sound gives sync to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sound {
    /// Distinct sound starts, to time against the picture.
    Onsets,
    /// Sound without a distinct start (a music bed, ambience, a tone): nothing for events
    /// and correlation to time; a face's speech may still be (lips).
    Steady,
    /// No sound: a silent card, a clip without sound, digital silence.
    Silent,
}

impl Sound {
    /// What `heard` gives from `from` to `to` (s).
    pub fn of(heard: &AudioOnsets, from: f64, to: f64) -> Self {
        if !heard.between(from, to).is_empty() {
            Self::Onsets
        } else if heard.sounding_between(from, to) < SILENT_SHARE {
            Self::Silent
        } else {
            Self::Steady
        }
    }

    /// What stands for the offset of a span this sound gives none: `silent`, `steady sound`;
    /// `None` for sound starts (their span's offset is missing for other reasons).
    pub fn instead_of_offset(self) -> Option<&'static str> {
        match self {
            Self::Onsets => None,
            Self::Steady => Some("steady sound"),
            Self::Silent => Some("silent"),
        }
    }

    /// `s` with only the readings this sound can give: none on silence (a pairing or a
    /// correlation there times a sound outside the span); on a steady sound no tentative
    /// reading of events and correlation (a confident one stays).
    pub fn keep(self, s: SpanEstimate) -> SpanEstimate {
        match self {
            Self::Onsets => s,
            Self::Steady => SpanEstimate {
                measure: s.measure.filter(|m| m.confidence >= MIN_CONFIDENCE),
                ..s
            },
            Self::Silent => SpanEstimate {
                measure: None,
                events: None,
                correlation: None,
                ..s
            },
        }
    }
}

/// Each of the shots `spans` (`(from, to)` in s, in order) less what its neighbours cover (a
/// crossfade's overlap, where their sounds mix): the sound that is its own; its whole span
/// when nothing is left.
pub fn own_parts(spans: &[(f64, f64)]) -> Vec<(f64, f64)> {
    (0..spans.len())
        .map(|k| {
            let (from, to) = spans[k];
            let lo = k.checked_sub(1).map_or(from, |p| from.max(spans[p].1));
            let hi = spans.get(k + 1).map_or(to, |n| to.min(n.0));
            if lo < hi {
                (lo, hi)
            } else {
                (from, to)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crossfade_s_overlap_is_neither_shot_s_own() {
        let spans = [(0.0, 8.0), (7.5, 10.5), (10.0, 18.0), (18.0, 20.0)];
        assert_eq!(
            own_parts(&spans),
            vec![(0.0, 7.5), (8.0, 10.0), (10.5, 18.0), (18.0, 20.0)]
        );
        // A shot its neighbours cover whole keeps its span.
        assert_eq!(
            own_parts(&[(0.0, 2.0), (0.5, 1.5), (1.0, 3.0)])[1],
            (0.5, 1.5)
        );
    }
}
