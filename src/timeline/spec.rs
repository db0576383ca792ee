//! The edit spec: an ordered list of shots (`[[shot]]` in TOML, `"shot": [...]` in JSON), each
//! a source file with optional trims and the transition into the next shot.
//!
//! Unknown keys are errors naming the key, so a typo never silently changes a cut. Commands
//! that take a spec (`concat`, `sync`, `assemble`) share these types; new keys are added as
//! optional fields.

use super::card::{require_duration, Footage};
use super::look::Look;
use super::time::TimeSpec;
use crate::error::{Error, Result};
use crate::picture::rgb::Rgb;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// The slowest `speed` a shot takes.
pub const MIN_SPEED: f64 = 0.25;
/// The fastest `speed` a shot takes.
pub const MAX_SPEED: f64 = 4.0;
/// The largest `style.size` of a text card (a fraction of the frame height; captions stop at
/// 0.2).
const MAX_CARD_TEXT: f64 = 0.5;

/// A whole edit spec.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditSpec {
    /// The shots, in playing order.
    #[serde(default)]
    pub shot: Vec<Shot>,
    /// True when the shots are files named on `concat`'s command line ([`EditSpec::from_files`]),
    /// where a still cannot be given the duration it needs.
    #[serde(skip)]
    pub command_line: bool,
}

/// One shot: a source clip, optionally trimmed, or a card (a still image, a colour or text
/// shown for `duration`), and how it hands over to the next shot.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shot {
    /// The source media file (relative paths are relative to the spec file): a video clip, or
    /// a still image shown for `duration`.
    #[serde(default)]
    pub src: Option<PathBuf>,
    /// A still image shown for `duration` (relative to the spec file).
    #[serde(default)]
    pub image: Option<PathBuf>,
    /// A colour card `#rrggbb` shown for `duration`; with `text`, the colour behind the text.
    #[serde(default)]
    pub color: Option<String>,
    /// A text card: these lines (`\n` breaks them), centred, shown for `duration`.
    #[serde(default)]
    pub text: Option<String>,
    /// How a text card's text looks.
    #[serde(default)]
    pub style: Option<Look>,
    /// How long a card or still image is shown.
    #[serde(default)]
    pub duration: Option<TimeSpec>,
    /// Play a clip this many times faster (0.25-4; below 1 slower), the sound at its pitch.
    #[serde(default)]
    pub speed: Option<f64>,
    /// Retime a clip to last exactly this long (a speed of 0.25-4).
    #[serde(default)]
    pub fit: Option<TimeSpec>,
    /// Hold a clip's last frame this long after it (silent).
    #[serde(default)]
    pub freeze: Option<TimeSpec>,
    /// Where the shot starts in the source (default: its first frame).
    #[serde(rename = "in", default)]
    pub in_point: Option<TimeSpec>,
    /// Where the shot ends in the source, exclusive (default: the end of its video).
    #[serde(default)]
    pub out: Option<TimeSpec>,
    /// The transition from this shot into the next one (default: a cut).
    #[serde(default)]
    pub transition: Transition,
}

impl Shot {
    /// A whole, untrimmed source clip followed by a cut.
    pub fn whole(src: impl Into<PathBuf>) -> Self {
        Self {
            src: Some(src.into()),
            ..Self::default()
        }
    }

    /// What the shot shows, from its keys: exactly one of `src`, `image`, `color` or `text`
    /// (`text` may take `color` as its background); cards need a `duration` and take no trims.
    /// `n` is the shot's 1-based position, for the message.
    pub fn footage(&self, n: usize) -> std::result::Result<Footage, String> {
        let given: Vec<&str> = [
            self.src.as_ref().map(|_| "src"),
            self.image.as_ref().map(|_| "image"),
            self.text.as_ref().map(|_| "text"),
            self.color
                .as_ref()
                .filter(|_| self.text.is_none())
                .map(|_| "color"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let shot = format!("shot {n}");
        if given.len() != 1 {
            return Err(format!(
                "{shot}: give exactly one of src, image, color or text (a text card may add \
                 color for its background){}",
                if given.is_empty() {
                    String::new()
                } else {
                    format!(", not {}", given.join(" and "))
                }
            ));
        }
        if self.style.is_some() && self.text.is_none() {
            return Err(format!("{shot}: style is for text cards (add text)"));
        }
        if self.speed.is_some() && self.fit.is_some() {
            return Err(format!("{shot}: give speed or fit, not both"));
        }
        if let Some(v) = self.speed {
            if !(MIN_SPEED..=MAX_SPEED).contains(&v) {
                return Err(format!(
                    "{shot}: speed must be between {MIN_SPEED} and {MAX_SPEED}, not {v}"
                ));
            }
        }
        if let Some(src) = &self.src {
            return Ok(Footage::File(src.clone()));
        }
        if self.speed.is_some() || self.fit.is_some() || self.freeze.is_some() {
            return Err(format!(
                "{shot}: speed, fit and freeze retime clips; a card is as long as its duration"
            ));
        }
        if self.in_point.is_some() || self.out.is_some() {
            return Err(format!(
                "{shot}: in and out trim clips; a card is as long as its duration"
            ));
        }
        let color = |c: &Option<String>, default: Rgb, key: &str| {
            c.as_deref()
                .map_or(Ok(default), Rgb::parse)
                .map_err(|e| format!("{shot}: {key}: {e}"))
        };
        if let Some(image) = &self.image {
            require_duration(self.duration, &format!("{shot}: a still image"))?;
            return Ok(Footage::File(image.clone()));
        }
        if let Some(text) = &self.text {
            require_duration(self.duration, &format!("{shot}: a text card"))?;
            let style = self.style.clone().unwrap_or_default();
            style
                .check("style", MAX_CARD_TEXT)
                .map_err(|e| format!("{shot}: {e}"))?;
            if text.trim().is_empty() {
                return Err(format!("{shot}: text is empty"));
            }
            return Ok(Footage::Text {
                text: text.clone(),
                style,
                background: color(&self.color, Rgb::BLACK, "color")?,
            });
        }
        require_duration(self.duration, &format!("{shot}: a colour card"))?;
        Ok(Footage::Color(color(&self.color, Rgb::BLACK, "color")?))
    }
}

/// How one shot hands over to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Transition {
    /// A straight cut (a few-ms declick on the sound).
    #[default]
    Cut,
    /// A dip through black: picture and sound fade out over the first half of `duration` and
    /// in over the second half, centred on the cut; the sequence keeps its length.
    Fade {
        /// The whole dip, out and in.
        duration: TimeSpec,
    },
    /// The next shot starts `duration` before this one ends; picture and sound are mixed
    /// linearly over the overlap, so the sequence is `duration` shorter.
    Crossfade {
        /// The overlap.
        duration: TimeSpec,
    },
}

/// What kind of transition, as reports and messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransitionKind {
    /// A straight cut.
    Cut,
    /// A dip through black.
    Fade,
    /// An overlap mixed linearly.
    Crossfade,
}

impl fmt::Display for TransitionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Cut => "cut",
            Self::Fade => "fade",
            Self::Crossfade => "crossfade",
        })
    }
}

impl Transition {
    /// A transition out of shot `n`, the last of the cut: only a cut, as there is no next shot
    /// to go into.
    pub fn out_of_last(&self, n: usize) -> std::result::Result<(), String> {
        match self {
            Self::Cut => Ok(()),
            _ => Err(format!(
                "shot {n} is the last one but has a {} transition into a next shot",
                self.kind()
            )),
        }
    }

    /// Its kind: `cut`, `fade` or `crossfade`.
    pub fn kind(&self) -> TransitionKind {
        match self {
            Self::Cut => TransitionKind::Cut,
            Self::Fade { .. } => TransitionKind::Fade,
            Self::Crossfade { .. } => TransitionKind::Crossfade,
        }
    }

    /// The transition's duration (`None` for a cut).
    pub fn duration(&self) -> Option<TimeSpec> {
        match self {
            Self::Cut => None,
            Self::Fade { duration } | Self::Crossfade { duration } => Some(*duration),
        }
    }
}

impl EditSpec {
    /// A spec joining whole files with cuts, in the order given.
    pub fn from_files(files: &[PathBuf]) -> Self {
        Self {
            shot: files.iter().map(Shot::whole).collect(),
            command_line: true,
        }
    }

    /// Read a spec file: JSON when its name ends in `.json`, TOML otherwise. Errors name the
    /// file and, where the parser knows them, the line and column. Relative `src` paths are
    /// resolved against the spec's directory.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::specfile::read(path, "spec file")?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let mut spec: Self = if is_json {
            serde_json::from_str(&text).map_err(|e| Error::bad_input(path, e.to_string()))?
        } else {
            crate::specfile::toml(path, &text)?
        };
        let base = path.parent().unwrap_or(Path::new(""));
        for file in spec
            .shot
            .iter_mut()
            .flat_map(|s| [s.src.as_mut(), s.image.as_mut()])
            .flatten()
        {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        spec.validate()
            .map_err(|reason| Error::bad_input(path, reason))?;
        Ok(spec)
    }

    /// Checks that need no media: at least one shot, each a clip or a well-formed card, and no
    /// transition out of the last shot.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let Some(last) = self.shot.last() else {
            return Err("the spec has no shots (add [[shot]] tables with a src)".into());
        };
        for (i, shot) in self.shot.iter().enumerate() {
            shot.footage(i + 1)?;
        }
        last.transition.out_of_last(self.shot.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::time::NANOS;

    fn toml_spec(text: &str) -> std::result::Result<EditSpec, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_shots_trims_and_transitions() {
        let s = toml_spec(
            r#"
            [[shot]]
            src = "a.mp4"
            in = 1.5
            out = "00:00:03.000"
            transition = { kind = "crossfade", duration = "12f" }

            [[shot]]
            src = "b.mp4"
            out = 2
            transition = { kind = "fade", duration = 0.5 }

            [[shot]]
            src = "c.mp4"
            "#,
        )
        .unwrap();
        assert_eq!(s.shot.len(), 3);
        assert_eq!(s.shot[0].in_point, Some(TimeSpec::Nanos(1_500_000_000)));
        assert_eq!(s.shot[0].footage(1), Ok(Footage::File("a.mp4".into())));
        assert_eq!(s.shot[0].out, Some(TimeSpec::Nanos(3 * NANOS)));
        assert_eq!(
            s.shot[0].transition,
            Transition::Crossfade {
                duration: TimeSpec::Frame(12)
            }
        );
        assert_eq!(s.shot[1].out, Some(TimeSpec::Nanos(2 * NANOS)));
        assert_eq!(s.shot[2], Shot::whole("c.mp4"));
        assert!(s.validate().is_ok());
        let j: EditSpec = serde_json::from_str(
            r#"{"shot":[{"src":"a.mp4","in":"10f","transition":{"kind":"cut"}}]}"#,
        )
        .unwrap();
        assert_eq!(j.shot[0].in_point, Some(TimeSpec::Frame(10)));
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let e = toml_spec("[[shot]]\nsrc = \"a.mp4\"\nstart = 1\n").unwrap_err();
        assert!(
            e.contains("unknown field `start`") && e.contains("line 3"),
            "{e}"
        );
        let e = toml_spec("[[shot]]\nsrc = \"a.mp4\"\ntransition = { kind = \"fade\", duration = 1, curve = \"s\" }\n")
            .unwrap_err();
        assert!(e.contains("curve") && e.contains("line 3"), "{e}");
        let e = toml_spec("[[shots]]\nsrc = \"a.mp4\"\n").unwrap_err();
        assert!(e.contains("unknown field `shots`"), "{e}");
        let e =
            toml_spec("[[shot]]\nsrc = \"a.mp4\"\ntransition = { kind = \"wipe\" }\n").unwrap_err();
        assert!(e.contains("wipe"), "{e}");
        let e =
            toml_spec("[[shot]]\nsrc = \"a.mp4\"\ntransition = { kind = \"fade\" }\n").unwrap_err();
        assert!(e.contains("duration"), "{e}");
        let e = toml_spec("[[shot]]\nsrc = \"a.mp4\"\nin = \"1.2.3\"\n").unwrap_err();
        assert!(e.contains("bad time"), "{e}");
        let e = serde_json::from_str::<EditSpec>(r#"{"shot":[{"src":"a","inn":1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `inn`") && e.contains("line 1"),
            "{e}"
        );
    }

    #[test]
    fn cards_are_read_with_their_durations_and_styles() {
        let s = toml_spec(
            r##"
            [[shot]]
            color = "#101010"
            duration = "2s"
            [[shot]]
            text = "The End"
            color = "#fff"
            style = { size = 0.1 }
            duration = 1
            [[shot]]
            image = "end.png"
            duration = "30f"
            [[shot]]
            color = "gray"
            duration = 1
            "##,
        )
        .unwrap();
        assert!(s.validate().is_ok());
        assert_eq!(s.shot[0].footage(1), Ok(Footage::Color(Rgb([16, 16, 16]))));
        assert_eq!(
            s.shot[1].footage(2),
            Ok(Footage::Text {
                text: "The End".into(),
                style: Look {
                    size: 0.1,
                    ..Look::default()
                },
                background: Rgb::WHITE,
            })
        );
        assert_eq!(s.shot[2].footage(3), Ok(Footage::File("end.png".into())));
        assert_eq!(s.shot[2].duration, Some(TimeSpec::Frame(30)));
        // A card's colour takes the names a style colour takes.
        assert_eq!(
            s.shot[3].footage(4),
            Ok(Footage::Color(Rgb([128, 128, 128])))
        );
        let e = toml_spec("[[shot]]\ncolor = \"#101010\"\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.contains("shot 1: a colour card needs a duration"), "{e}");
        let e = toml_spec("[[shot]]\nimage = \"a.png\"\nsrc = \"b.mp4\"\nduration = 1\n")
            .unwrap()
            .validate()
            .unwrap_err();
        assert!(e.contains("not src and image"), "{e}");
    }

    #[test]
    fn last_shot_cannot_transition_and_empty_specs_fail() {
        let s = toml_spec(
            "[[shot]]\nsrc = \"a.mp4\"\ntransition = { kind = \"fade\", duration = 1 }\n",
        )
        .unwrap();
        assert!(s.validate().unwrap_err().contains("last one"));
        assert!(toml_spec("").unwrap().validate().is_err());
    }
}
