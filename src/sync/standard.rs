//! Sync tolerance standards and the verdict against them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A lip-sync tolerance: how early and how late the sound may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Standard {
    /// EBU R37: audio at most 40 ms early, 60 ms late.
    R37,
    /// ITU-R BT.1359 (detectability): 45 ms early, 125 ms late.
    Bt1359,
    /// ATSC IS-191: 15 ms early, 45 ms late.
    Atsc,
}

impl Standard {
    /// Every standard, the default (EBU R37) first.
    pub const ALL: [Self; 3] = [Self::R37, Self::Bt1359, Self::Atsc];

    /// The standard whose [`Standard::id`] is `id`.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

    /// Short identifier (`r37`, `bt1359`, `atsc`).
    pub fn id(self) -> &'static str {
        match self {
            Self::R37 => "r37",
            Self::Bt1359 => "bt1359",
            Self::Atsc => "atsc",
        }
    }

    /// Full name.
    pub fn name(self) -> &'static str {
        match self {
            Self::R37 => "EBU R37",
            Self::Bt1359 => "ITU-R BT.1359",
            Self::Atsc => "ATSC IS-191",
        }
    }

    /// How early the audio may be (ms, positive).
    pub fn max_early_ms(self) -> f64 {
        match self {
            Self::R37 => 40.0,
            Self::Bt1359 => 45.0,
            Self::Atsc => 15.0,
        }
    }

    /// How late the audio may be (ms).
    pub fn max_late_ms(self) -> f64 {
        match self {
            Self::R37 => 60.0,
            Self::Bt1359 => 125.0,
            Self::Atsc => 45.0,
        }
    }

    /// True when `offset_ms` (positive: audio late), rounded to the millisecond, is allowed.
    pub fn allows(self, offset_ms: f64) -> bool {
        let o = offset_ms.round();
        o >= -self.max_early_ms() && o <= self.max_late_ms()
    }

    /// How much of the band on its side `offset_ms` uses: 1 at the limit, over 1 past it.
    pub fn usage(self, offset_ms: f64) -> f64 {
        if offset_ms >= 0.0 {
            offset_ms / self.max_late_ms()
        } else {
            -offset_ms / self.max_early_ms()
        }
    }

    /// The JSON description.
    pub fn describe(self) -> StandardReport {
        StandardReport {
            id: self,
            name: self.name(),
            max_early_ms: self.max_early_ms(),
            max_late_ms: self.max_late_ms(),
        }
    }
}

/// The `standard` object of the report.
#[derive(Debug, Clone, Serialize)]
pub struct StandardReport {
    /// `r37`, `bt1359` or `atsc`.
    pub id: Standard,
    /// Full name.
    pub name: &'static str,
    /// Largest allowed lead of the sound (ms).
    pub max_early_ms: f64,
    /// Largest allowed lag of the sound (ms).
    pub max_late_ms: f64,
}

/// The outcome of a sync check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every confident measurement is within the standard's band.
    Pass,
    /// Some confident measurement is outside the band.
    Fail,
    /// Too little evidence to tell.
    Inconclusive,
}

impl Verdict {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Inconclusive => "inconclusive",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_include_their_edges() {
        assert!(Standard::R37.allows(-40.0));
        assert!(Standard::R37.allows(-40.3));
        assert!(!Standard::R37.allows(-40.6));
        assert!(Standard::R37.allows(60.0));
        assert!(!Standard::R37.allows(61.0));
        assert!(Standard::Bt1359.allows(120.0));
        assert!(!Standard::Atsc.allows(-20.0));
    }

    #[test]
    fn standards_are_found_by_their_ids() {
        for s in Standard::ALL {
            assert_eq!(Standard::from_id(s.id()), Some(s));
        }
        assert_eq!(Standard::from_id("R37"), None);
    }
}
