//! Export presets as data: the built-in table (`presets.toml`, compiled in) and user presets
//! from a TOML file of the same shape, where `base = "NAME"` starts from another preset.

use crate::audio::loudness::LoudnessTarget;
use crate::error::{Error, Result};
use cutroom_ffi::Rational;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The built-in presets, in the order docs/export.md lists them.
const BUILTIN: &str = include_str!("presets.toml");

/// x264 speed presets accepted in `x264_preset`.
pub const X264_PRESETS: &[&str] = &[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
];

/// One delivery format. Codec (H.264 High, yuv420p, closed GOP), audio (AAC-LC 48 kHz stereo),
/// `moov` first and no edit lists are fixed; everything that differs between platforms is here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// The preset's name (its table name in TOML); names the output `<stem>.<name>.mp4`.
    #[serde(skip)]
    pub name: String,
    /// Who the format is for.
    pub platform: String,
    /// Output width in pixels (even).
    pub width: u32,
    /// Output height in pixels (even).
    pub height: u32,
    /// Lowest source frame rate that is kept.
    pub fps_min: u32,
    /// Highest source frame rate that is kept.
    pub fps_max: u32,
    /// Output frame rate when the source rate is outside `fps_min..=fps_max`.
    pub fps_fallback: u32,
    /// Keyframe interval in milliseconds (closed GOP).
    pub gop_ms: u32,
    /// x264 constant rate factor.
    pub crf: f32,
    /// Maximum video bit rate in kbit/s (VBV cap).
    pub max_kbps: u32,
    /// x264 speed preset.
    pub x264_preset: String,
    /// Integrated loudness target in LUFS (EBU R128).
    pub loudness_lufs: f64,
    /// True-peak ceiling in dBTP.
    pub true_peak_dbtp: f64,
    /// The platform's upload duration limit in seconds.
    pub max_duration_s: u32,
    /// The shortest video the platform takes, in seconds (0: no minimum).
    #[serde(default)]
    pub min_duration_s: u32,
    /// The platform's UI overlays, `[x0, y0, x1, y1]` as fractions of the frame.
    #[serde(default)]
    pub ui_zones: Vec<[f64; 4]>,
}

impl Preset {
    /// The output frame rate for a source whose rates are `source`, in order of preference
    /// (its base rate, then its average: a variable-rate clip keeps its base rate): the first
    /// within `fps_min..=fps_max` is kept, else `fps_fallback`.
    pub fn frame_rate(&self, source: &[Rational]) -> Rational {
        let in_range = |r: &&Rational| {
            let fps = r.as_f64();
            !r.is_unknown()
                && fps >= f64::from(self.fps_min) - 0.01
                && fps <= f64::from(self.fps_max) + 0.01
        };
        source
            .iter()
            .find(in_range)
            .copied()
            .unwrap_or(Rational::new(self.fps_fallback as i32, 1))
    }

    /// Keyframe interval in frames at `rate` (at least 1).
    pub fn gop_frames(&self, rate: Rational) -> u32 {
        let frames = i64::from(self.gop_ms) * i64::from(rate.num);
        let per = 1000 * i64::from(rate.den);
        ((frames + per / 2) / per).max(1) as u32
    }

    /// True for a portrait output (taller than wide).
    pub fn is_vertical(&self) -> bool {
        self.height > self.width
    }

    fn validate(&self) -> std::result::Result<(), String> {
        let even = |v: u32| v % 2 == 0 && (16..=8192).contains(&v);
        if !even(self.width) || !even(self.height) {
            return Err(format!(
                "size {}x{} must be even numbers between 16 and 8192",
                self.width, self.height
            ));
        }
        if self.fps_min == 0 || self.fps_min > self.fps_max || self.fps_fallback == 0 {
            return Err("frame rates: need 0 < fps_min <= fps_max and fps_fallback > 0".into());
        }
        if self.gop_ms == 0 || self.max_kbps == 0 || self.max_duration_s == 0 {
            return Err("gop_ms, max_kbps and max_duration_s must be positive".into());
        }
        LoudnessTarget::new(
            self.loudness_lufs,
            self.true_peak_dbtp,
            ["loudness_lufs", "true_peak_dbtp"],
        )?;
        if !(0.0..=51.0).contains(&self.crf) {
            return Err(format!("crf {} is outside 0-51", self.crf));
        }
        if !X264_PRESETS.contains(&self.x264_preset.as_str()) {
            return Err(format!(
                "x264_preset `{}` is not one of {}",
                self.x264_preset,
                X264_PRESETS.join(", ")
            ));
        }
        for z in &self.ui_zones {
            let ok = z.iter().all(|v| (0.0..=1.0).contains(v)) && z[0] < z[2] && z[1] < z[3];
            if !ok {
                return Err(format!(
                    "ui_zone {z:?} must be [x0, y0, x1, y1] fractions with x0 < x1, y0 < y1"
                ));
            }
        }
        Ok(())
    }
}

/// A set of presets to pick from: the built-ins, plus any user presets loaded on top.
#[derive(Debug, Clone)]
pub struct PresetBook {
    presets: Vec<(Preset, toml::Table)>,
}

impl PresetBook {
    /// The built-in presets.
    pub fn builtin() -> Self {
        let mut book = Self {
            presets: Vec::new(),
        };
        let table: toml::Table = BUILTIN.parse().expect("built-in presets are valid TOML");
        book.add_table(table)
            .expect("built-in presets are valid presets");
        book
    }

    /// The built-ins plus the presets of the TOML file at `path` (a user preset may replace a
    /// built-in of the same name). Unknown keys and bad values are errors naming the preset
    /// and the key.
    pub fn with_file(path: &Path) -> Result<Self> {
        let text = crate::specfile::read(path, "preset file")?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::bad_input(path, e.to_string()))?;
        let mut book = Self::builtin();
        book.add_table(table)
            .map_err(|e| Error::bad_input(path, e))?;
        Ok(book)
    }

    /// The preset named `name`, or a usage error listing the known names.
    pub fn get(&self, name: &str) -> Result<&Preset> {
        self.presets
            .iter()
            .map(|(p, _)| p)
            .find(|p| p.name == name)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "unknown preset `{name}`; known presets: {}",
                    self.names().join(", ")
                ))
            })
    }

    /// Every preset name, in definition order.
    pub fn names(&self) -> Vec<&str> {
        self.presets.iter().map(|(p, _)| p.name.as_str()).collect()
    }

    /// Add the presets of `table`, in order; a preset whose `base` is defined further down
    /// waits for it.
    fn add_table(&mut self, table: toml::Table) -> std::result::Result<(), String> {
        let mut waiting = Vec::new();
        for (name, value) in table {
            let toml::Value::Table(fields) = value else {
                return Err(format!("`{name}` must be a table ([{name}])"));
            };
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
            if !valid_name {
                return Err(format!(
                    "preset name `{name}`: use lower-case letters, digits, `-` and `_`"
                ));
            }
            let base = match fields.get("base") {
                Some(b) => Some(
                    b.as_str()
                        .ok_or_else(|| format!("preset `{name}`: `base` must be a preset name"))?
                        .to_string(),
                ),
                None => None,
            };
            waiting.push((name, base, fields));
        }
        while !waiting.is_empty() {
            let before = waiting.len();
            let mut later = Vec::new();
            for (name, base, fields) in std::mem::take(&mut waiting) {
                match base.as_ref().is_none_or(|b| self.has(b)) {
                    true => self.add_one(name, fields)?,
                    false => later.push((name, base, fields)),
                }
            }
            if later.len() == before {
                return Err(unresolved(&later));
            }
            waiting = later;
        }
        Ok(())
    }

    fn has(&self, name: &str) -> bool {
        self.presets.iter().any(|(p, _)| p.name == name)
    }

    /// Add (or replace) preset `name` from its `fields`, its base (if any) already known.
    fn add_one(
        &mut self,
        name: String,
        mut fields: toml::Table,
    ) -> std::result::Result<(), String> {
        if let Some(base) = fields.remove("base") {
            let base = base.as_str().unwrap_or_default();
            let (_, base_fields) = self
                .presets
                .iter()
                .find(|(p, _)| p.name == base)
                .ok_or_else(|| format!("preset `{name}`: unknown base preset `{base}`"))?;
            let mut merged = base_fields.clone();
            merged.extend(fields);
            fields = merged;
        }
        let mut preset: Preset = toml::Value::Table(fields.clone())
            .try_into()
            .map_err(|e| format!("preset `{name}`: {}", e.message()))?;
        preset.name = name.clone();
        preset
            .validate()
            .map_err(|e| format!("preset `{name}`: {e}"))?;
        self.presets.retain(|(p, _)| p.name != name);
        self.presets.push((preset, fields));
        Ok(())
    }
}

/// Why the presets still `pending` (name, base, fields) cannot be made: a base defined
/// nowhere, or bases that go round in a circle.
fn unresolved(pending: &[(String, Option<String>, toml::Table)]) -> String {
    let mut chain = vec![pending[0].0.as_str()];
    let mut at = pending[0].1.as_deref().unwrap_or_default();
    while !chain.contains(&at) {
        let Some((name, base, _)) = pending.iter().find(|(n, _, _)| n == at) else {
            let last = chain.last().expect("one");
            return format!("preset `{last}`: unknown base preset `{at}`");
        };
        chain.push(name);
        at = base.as_deref().unwrap_or_default();
    }
    chain.push(at);
    format!(
        "preset `{}`: its bases go round in a circle: {}",
        chain[0],
        chain.join(" -> ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_cover_the_platforms() {
        let book = PresetBook::builtin();
        assert_eq!(
            book.names(),
            ["tiktok", "reels", "shorts", "feed45", "square", "youtube", "x"]
        );
        let reels = book.get("reels").unwrap();
        assert_eq!((reels.width, reels.height), (1080, 1920));
        assert!(reels.is_vertical());
        assert_eq!(reels.loudness_lufs, -14.0);
        assert_eq!(book.get("x").unwrap().width, 1280);
        assert!(book.get("nope").is_err());
        // TikTok and Instagram take nothing under 3 s (their posting APIs' minimum).
        let min = |n| book.get(n).unwrap().min_duration_s;
        assert_eq!((min("tiktok"), min("reels"), min("youtube")), (3, 3, 0));
    }

    #[test]
    fn frame_rate_policy_keeps_23_to_60_else_30() {
        let p = PresetBook::builtin().get("reels").unwrap().clone();
        let ntsc = Rational::new(30000, 1001);
        let rate = |r: &[Rational]| p.frame_rate(r);
        assert_eq!(rate(&[ntsc, ntsc]), ntsc);
        assert_eq!(rate(&[Rational::new(60, 1)]), Rational::new(60, 1));
        assert_eq!(rate(&[Rational::new(24000, 1001)]).num, 24000);
        assert_eq!(rate(&[Rational::new(120, 1)]), Rational::new(30, 1));
        assert_eq!(rate(&[Rational::new(15, 1)]), Rational::new(30, 1));
        assert_eq!(rate(&[Rational::new(0, 0)]), Rational::new(30, 1));
        // Variable rate: the base rate wins over an odd average; a silly base rate does not.
        let avg = Rational::new(163, 6);
        assert_eq!(rate(&[Rational::new(30, 1), avg]), Rational::new(30, 1));
        assert_eq!(rate(&[Rational::new(90000, 1), avg]), avg);
        assert_eq!(p.gop_frames(Rational::new(25, 1)), 50);
        assert_eq!(p.gop_frames(ntsc), 60);
    }

    #[test]
    fn user_presets_inherit_and_reject_unknown_keys() {
        let mut book = PresetBook::builtin();
        book.add_table(
            "[story]\nbase = \"reels\"\ncrf = 23\nmax_duration_s = 60\n"
                .parse()
                .unwrap(),
        )
        .unwrap();
        let s = book.get("story").unwrap();
        assert_eq!((s.width, s.crf, s.max_duration_s), (1080, 23.0, 60));
        let err = book
            .add_table("[bad]\nbase = \"reels\"\nfsp = 30\n".parse().unwrap())
            .unwrap_err();
        assert!(err.contains("unknown field `fsp`"), "{err}");
        let err = book
            .add_table("[odd]\nbase = \"reels\"\nwidth = 1081\n".parse().unwrap())
            .unwrap_err();
        assert!(
            err.contains("preset `odd`") && err.contains("even"),
            "{err}"
        );
        // The loudness target is checked as on the command line, NaN and infinity included.
        for (key, value) in [
            ("true_peak_dbtp", "5"),
            ("loudness_lufs", "10"),
            ("loudness_lufs", "nan"),
            ("true_peak_dbtp", "-inf"),
        ] {
            let err = book
                .add_table(
                    format!("[loud]\nbase = \"reels\"\n{key} = {value}\n")
                        .parse()
                        .unwrap(),
                )
                .unwrap_err();
            assert!(
                err.contains("preset `loud`")
                    && err.contains(key)
                    && err.contains("must be between"),
                "{err}"
            );
        }
        let err = book
            .add_table("[lone]\nwidth = 640\n".parse().unwrap())
            .unwrap_err();
        assert!(err.contains("missing field"), "{err}");
    }
}
