//! Cards: shots made from a picture rather than a clip (a still image, a flat colour or a line
//! of text on a colour), shown for a given duration.

use super::look::Look;
use super::time::TimeSpec;
use crate::picture::rgb::Rgb;
use std::path::PathBuf;

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
