//! The overlay keys shared by `cut.toml` and `cutroom export --overlays FILE`: the `[captions]`
//! table (a caption file in cut time and the caption style), a `[logo]` and `[[text]]`
//! overlays (title, lower third, call to action).

use crate::error::{Error, Result};
use crate::timeline::look::{colour, read_table, Look, Table};
use crate::timeline::TimeSpec;
use schemars::JsonSchema;
use serde::de::{Deserializer, MapAccess};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// All overlays of a deliverable.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Overlays {
    /// Caption style (and, in `cut.toml`, a caption file timed on the whole cut).
    #[serde(default)]
    pub captions: Style,
    /// A logo or watermark.
    pub logo: Option<Logo>,
    /// Text overlays.
    #[serde(default)]
    pub text: Vec<TextOverlay>,
    /// The colour and text cards of the cut, drawn again at each deliverable's shape (from
    /// the cut's plan, not from a file).
    #[serde(skip)]
    #[schemars(skip)]
    pub cards: Vec<super::cards::ShownCard>,
    /// The file they were read from (an overlays file, a cut spec), which an error about one
    /// of them names.
    #[serde(skip)]
    #[schemars(skip)]
    pub file: Option<PathBuf>,
}

impl Overlays {
    /// Export's overlays: an overlays TOML file's (`[captions]`, `[logo]`, `[[text]]`; paths
    /// in it are relative to it), with `logo` (`--logo`), when given, as the image its `[logo]`
    /// places and times (without one, in the top-right corner) in place of the table's own
    /// `file`, which is then not looked for (and may be left out). Every key, and the image
    /// that will be drawn (only it), are checked once; a `--logo` that is not there is named as
    /// any input is, a `[logo]` with neither an image nor `--logo` names the file.
    pub fn load(path: Option<&Path>, logo: Option<PathBuf>) -> Result<Self> {
        let mut o = Self::default();
        if let Some(path) = path {
            let text = crate::specfile::read(path, "overlays file")?;
            o = crate::specfile::toml(path, &text)?;
            o.file = Some(path.to_path_buf());
            o.resolve(path.parent().unwrap_or(Path::new("")));
        }
        let named = path.unwrap_or(Path::new("--logo"));
        match (logo, o.logo.as_mut()) {
            (Some(image), table) => {
                crate::media::check_file(&image, "an image")?;
                match table {
                    Some(l) => l.file = Some(image),
                    None => o.logo = Some(Logo::at(image)),
                }
            }
            (None, Some(Logo { file: None, .. })) => {
                return Err(Error::bad_input(
                    named,
                    format!("{NO_IMAGE} or give one with --logo"),
                ));
            }
            (None, Some(Logo { file: Some(f), .. })) if !f.exists() => {
                let missing = format!("logo.file {}: no such file", f.display());
                return Err(Error::bad_input(named, missing));
            }
            (None, _) => {}
        }
        o.check(named)?;
        Ok(o)
    }

    /// Make the paths relative to `dir` absolute-ish (joined to it).
    pub fn resolve(&mut self, dir: &Path) {
        if let Some(f) = self.captions.file.as_mut() {
            *f = dir.join(&*f);
        }
        if let Some(f) = self.logo.as_mut().and_then(|l| l.file.as_mut()) {
            *f = dir.join(&*f);
        }
    }

    /// Range checks of every key, and the logo's image one still picture; `file` names the
    /// spec in the error (the logo's image is there: the caller looked).
    pub fn check(&self, file: &Path) -> Result<()> {
        let bad = |what: String| Error::bad_input(file, what);
        self.captions.check("captions").map_err(bad)?;
        for (i, t) in self.text.iter().enumerate() {
            let at = crate::specfile::entry("text", i);
            t.style.check(&format!("{at}: style")).map_err(bad)?;
            if t.style.file.is_some() {
                return Err(bad(format!(
                    "{at}: style.file: a caption file belongs in [captions]"
                )));
            }
            if !["top", "center", "bottom", "lower_third"].contains(&t.position.as_str()) {
                return Err(bad(format!(
                    "{at}: position = \"{}\": expected top, center, bottom or lower_third",
                    t.position
                )));
            }
        }
        if let Some(l) = &self.logo {
            l.check().map_err(bad)?;
            l.check_still()?;
        }
        Ok(())
    }

    /// The warnings about text overlays holding characters the shipped font cannot draw
    /// (Hangul, emoji), each naming the file they were read from and the overlay.
    pub fn undrawable(&self) -> Vec<String> {
        let file = self
            .file
            .as_deref()
            .map_or_else(|| "overlays".into(), |f| f.display().to_string());
        let at = |i| format!("{file}: {}", crate::specfile::entry("text", i));
        let texts = self.text.iter().enumerate();
        texts
            .filter_map(|(i, t)| super::font::warning(&at(i), &t.text))
            .collect()
    }

    /// Anything to burn in besides captions?
    pub fn any(&self) -> bool {
        self.logo.is_some() || !self.text.is_empty() || !self.cards.is_empty()
    }
}

/// How captions (and text overlays) look: the [`Look`] keys and the caption layout's own.
/// Sizes are fractions of the frame (or of the font size), so one style fits every preset.
#[derive(Debug, Clone, PartialEq, JsonSchema)]
#[schemars(deny_unknown_fields, default)]
pub struct Style {
    /// `[captions]` only: a caption file (.srt, .vtt, .ass, .json word list) timed on the
    /// whole cut.
    pub file: Option<PathBuf>,
    /// Size, colours, outline, shadow, box, bold.
    #[schemars(flatten)]
    pub look: Look,
    /// Colour of the word being spoken, when the captions carry word times.
    pub highlight: String,
    /// At most this many lines on screen; a longer cue is shown in parts, one after another.
    pub max_lines: u32,
    /// At most this many characters on a line; longer lines wrap at spaces.
    pub max_chars: u32,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            file: None,
            look: Look::caption(),
            highlight: "#FFD400".into(),
            max_lines: 2,
            max_chars: 24,
        }
    }
}

impl Table for Style {
    const OWN: &'static [&'static str] = &["file", "highlight", "max_lines", "max_chars"];
    fn look(&mut self) -> &mut Look {
        &mut self.look
    }
    fn read_own<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> std::result::Result<(), A::Error> {
        match key {
            "file" => self.file = map.next_value()?,
            "highlight" => self.highlight = map.next_value()?,
            "max_lines" => self.max_lines = map.next_value()?,
            _ => self.max_chars = map.next_value()?,
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Style {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        read_table(d)
    }
}

impl Style {
    fn check(&self, at: &str) -> std::result::Result<(), String> {
        self.look.check(at, 0.2)?;
        colour(&self.highlight).map_err(|e| format!("{at}.highlight: {e}"))?;
        if self.max_lines == 0 || self.max_chars < 8 {
            return Err(format!(
                "{at}: max_lines must be at least 1 and max_chars at least 8"
            ));
        }
        Ok(())
    }
}

/// A text overlay shown from `start` to `end` (cut time; default: the whole cut).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TextOverlay {
    /// The text (`\n` breaks lines).
    pub text: String,
    /// When it appears (default: the first frame).
    pub start: Option<TimeSpec>,
    /// When it goes (default: the end).
    pub end: Option<TimeSpec>,
    /// `top`, `center`, `bottom` (where captions go) or `lower_third`.
    #[serde(default = "default_position")]
    pub position: String,
    /// Its style (the caption style keys; default sizes as for captions).
    #[serde(default)]
    pub style: Style,
}

fn default_position() -> String {
    "top".into()
}

/// A logo or watermark: a PNG (with alpha) in a corner or at `x`,`y`, inside the safe area.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Logo {
    /// The image (PNG with alpha). Required in a cut spec; an export's overlays file may leave
    /// it out when `--logo` gives the image its `[logo]` places and times.
    pub file: Option<PathBuf>,
    /// `top-left`, `top-right`, `bottom-left` or `bottom-right` (default: top-right); kept
    /// clear of the platform's UI zones and of the captions.
    #[serde(default = "default_corner")]
    pub corner: String,
    /// Left edge as a fraction of the frame width (with `y`, instead of a corner).
    pub x: Option<f64>,
    /// Top edge as a fraction of the frame height.
    pub y: Option<f64>,
    /// Distance from the frame's (or UI zone's) edge, a fraction of the frame width.
    #[serde(default = "default_margin")]
    pub margin: f64,
    /// Width as a fraction of the frame width (less for an image too tall to fit between the
    /// top and bottom UI zones at that width).
    #[serde(default = "default_logo_width")]
    pub width: f64,
    /// Opacity, 0-1.
    #[serde(default = "default_opacity")]
    pub opacity: f64,
    /// When it appears (default: the first frame).
    pub start: Option<TimeSpec>,
    /// When it goes (default: the end).
    pub end: Option<TimeSpec>,
}

fn default_corner() -> String {
    "top-right".into()
}

/// What a `[logo]` without an image is told.
const NO_IMAGE: &str = "[logo] has no file: name its image (file = \"logo.png\")";
fn default_margin() -> f64 {
    0.04
}
fn default_logo_width() -> f64 {
    0.18
}
fn default_opacity() -> f64 {
    1.0
}

impl Logo {
    /// `file` with every other key at its default.
    pub fn at(file: PathBuf) -> Self {
        Self {
            file: Some(file),
            corner: default_corner(),
            x: None,
            y: None,
            margin: default_margin(),
            width: default_logo_width(),
            opacity: default_opacity(),
            start: None,
            end: None,
        }
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.file.is_none() {
            return Err(NO_IMAGE.into());
        }
        if !["top-left", "top-right", "bottom-left", "bottom-right"].contains(&self.corner.as_str())
        {
            return Err(format!(
                "logo.corner = \"{}\": expected top-left, top-right, bottom-left or bottom-right",
                self.corner
            ));
        }
        if self.x.is_some() != self.y.is_some() {
            return Err("logo: give both x and y, or neither (then `corner` places it)".into());
        }
        let frac = |k: &str, v: f64, lo: f64, hi: f64| {
            (lo..=hi)
                .contains(&v)
                .then_some(())
                .ok_or_else(|| format!("logo.{k} = {v}: expected {lo} to {hi}"))
        };
        frac("width", self.width, 0.01, 1.0)?;
        frac("margin", self.margin, 0.0, 0.3)?;
        frac("opacity", self.opacity, 0.0, 1.0)?;
        if let (Some(x), Some(y)) = (self.x, self.y) {
            frac("x", x, 0.0, 1.0)?;
            frac("y", y, 0.0, 1.0)?;
        }
        Ok(())
    }

    /// Refuse an image of more than one picture (an animated GIF or APNG), which the logo's
    /// filter would play once, over the first frames, and then hold on its last picture, and
    /// a video, named as one.
    fn check_still(&self) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let Some(format) = crate::picture::still::moving(file) else {
            return Ok(());
        };
        Err(Error::bad_input(
            file,
            match crate::picture::still::animation(&format) {
                true => format!(
                    "an animation ({format}), which a logo would play once and then stop on its \
                     last picture: give one still image (a PNG with alpha)"
                ),
                false => format!(
                    "a video ({format}), not a still image: a logo is one picture, so a video \
                     is refused, not shown by its first frame: give one still image (a PNG with \
                     alpha; a frame of the video: ffmpeg -i VIDEO -frames:v 1 logo.png)"
                ),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logo_table_without_a_file_places_the_logo_option_and_alone_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("overlays.toml");
        std::fs::write(&toml, "[logo]\ncorner = \"bottom-left\"\nwidth = 0.3\n").unwrap();
        let png = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/logo.png");
        // `--logo` gives the image the table places (it was `missing field 'file'`).
        let logo = Overlays::load(Some(&toml), Some(png.clone()))
            .unwrap()
            .logo
            .unwrap();
        assert_eq!(
            (logo.file, logo.corner.as_str(), logo.width),
            (Some(png), "bottom-left", 0.3)
        );
        let e = Overlays::load(Some(&toml), None).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}: [logo] has no file: name its image (file = \"logo.png\") or give one with \
                 --logo",
                toml.display()
            )
        );
        // A cut spec's [logo] has no --logo to take it from.
        let cut: Overlays = toml::from_str("[logo]\ncorner = \"top-left\"").unwrap();
        let e = cut.check(Path::new("cut.toml")).unwrap_err().to_string();
        assert_eq!(
            e,
            "cut.toml: [logo] has no file: name its image (file = \"logo.png\")"
        );
    }

    #[test]
    fn the_caption_style_reads_the_look_keys_and_its_own_and_names_an_unknown_key() {
        let caption: Style = toml::from_str("size = 0.05\nmax_chars = 30").unwrap();
        assert_eq!(caption.look.size, 0.05);
        assert_eq!(caption.look.outline, Look::caption().outline);
        assert_eq!(caption.max_chars, 30);
        let e = toml::from_str::<Style>("colour = \"white\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown field `colour`") && e.contains("`max_chars`"),
            "{e}"
        );
    }
}
