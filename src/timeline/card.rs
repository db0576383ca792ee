//! Cards: shots made from a picture rather than a clip (a still image, a flat colour or a line
//! of text on a colour), shown for a given duration.

use super::time::TimeSpec;
use crate::captions::look::Look;
use std::fmt;
use std::path::PathBuf;

/// An sRGB colour, written `#rrggbb` (or `#rgb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// Black.
    pub const BLACK: Self = Self([0, 0, 0]);
    /// White.
    pub const WHITE: Self = Self([255, 255, 255]);

    /// Parse `#rrggbb` or `#rgb`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("bad colour {s:?} (expected #rrggbb, e.g. \"#101010\")");
        let hex = s.trim().strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).map_err(|_| bad());
        match hex.len() {
            6 => Ok(Self([digit(0, 2)?, digit(2, 2)?, digit(4, 2)?])),
            3 => Ok(Self([
                digit(0, 1)? * 17,
                digit(1, 1)? * 17,
                digit(2, 1)? * 17,
            ])),
            _ => Err(bad()),
        }
    }

    /// The colour as BT.709 limited-range `[Y, Cb, Cr]` (what an H.264 deliverable stores).
    pub fn bt709(self) -> [u8; 3] {
        let [r, g, b] = self.0.map(|v| f64::from(v) / 255.0);
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let code = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        [
            code(16.0 + 219.0 * y),
            code(128.0 + 224.0 * (b - y) / 1.8556),
            code(128.0 + 224.0 * (r - y) / 1.5748),
        ]
    }

    /// `0xRRGGBB`, as FFmpeg's colour options take it.
    pub fn ffmpeg(self) -> String {
        let [r, g, b] = self.0;
        format!("0x{r:02x}{g:02x}{b:02x}")
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

/// What a shot shows, from its keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Footage {
    /// A media file: a video clip, or a still image (which needs a duration).
    File(PathBuf),
    /// A flat colour.
    Color(Rgb),
    /// Lines of text, centred on a colour.
    Text {
        /// The text (`\n` breaks lines).
        text: String,
        /// How it looks (checked).
        style: Look,
        /// The colour behind it.
        background: Rgb,
    },
}

impl Footage {
    /// How the shot is named in messages and reports: its file, or the card's kind.
    pub fn describe(&self) -> String {
        match self {
            Self::File(p) => p.display().to_string(),
            Self::Color(c) => format!("color card {c}"),
            Self::Text { text, .. } => format!("text card {text:?}"),
        }
    }
}

/// A card on its own, as `cutroom export --title-card`/`--end-card` take it: the card keys of
/// a `cut.toml` shot.
#[derive(Debug, Clone, PartialEq, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// A still image shown for `duration`.
    pub image: Option<PathBuf>,
    /// A colour card `#rrggbb`; with `text`, the colour behind the text.
    pub color: Option<String>,
    /// A text card: these lines (`\n` breaks them), centred.
    pub text: Option<String>,
    /// How a text card's text looks: the caption style keys of [`Look`].
    pub style: Option<Look>,
    /// How long it is shown.
    pub duration: Option<TimeSpec>,
    /// The transition between the card and the video (default: a cut).
    #[serde(default)]
    pub transition: super::Transition,
}

impl Card {
    /// Read a card from the body of an inline TOML table, e.g.
    /// `text = "Thanks", duration = "2s", transition = { kind = "fade", duration = 0.5 }`,
    /// checked as a shot's card keys are.
    pub fn parse(s: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Wrap {
            card: Card,
        }
        let w: Wrap = toml::from_str(&format!("card = {{ {s} }}"))
            .map_err(|e| e.message().replace("card.", ""))?;
        w.card
            .shot(super::Transition::Cut)
            .footage(1)
            .map_err(|e| e.trim_start_matches("shot 1: ").to_string())?;
        Ok(w.card)
    }

    /// The card as a shot, with `transition` into the next shot.
    pub fn shot(&self, transition: super::Transition) -> super::Shot {
        super::Shot {
            image: self.image.clone(),
            color: self.color.clone(),
            text: self.text.clone(),
            style: self.style.clone(),
            duration: self.duration,
            transition,
            ..super::Shot::default()
        }
    }
}

/// Checks a card's duration is given (`what` names the card kind for the message).
pub fn require_duration(duration: Option<TimeSpec>, what: &str) -> Result<TimeSpec, String> {
    duration.ok_or_else(|| {
        format!("{what} needs a duration: add e.g. duration = \"2s\" (or 2.5, or \"50f\")")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_parse_and_convert_to_limited_range() {
        assert_eq!(Rgb::parse("#101010"), Ok(Rgb([16, 16, 16])));
        assert_eq!(Rgb::parse("#fA0"), Ok(Rgb([255, 170, 0])));
        for bad in ["101010", "#12345", "#gg0000", "red", "#1010101"] {
            assert!(Rgb::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Rgb::BLACK.bt709(), [16, 128, 128]);
        assert_eq!(Rgb::WHITE.bt709(), [235, 128, 128]);
        assert_eq!(Rgb([255, 0, 0]).bt709(), [63, 102, 240]);
        assert_eq!(Rgb([255, 170, 0]).to_string(), "#ffaa00");
    }
}
