//! The assemble spec (`cut.toml`, or JSON when the name ends in `.json`): shots with their
//! sources, trims and transitions (the [`crate::timeline`] types), a music bed with duck
//! settings, an optional voice-over, the loudness target, the output presets and the sync policy.
//!
//! Unknown keys are rejected with the closest known key as a suggestion; errors name the file,
//! line, column and field path; every missing source is listed at once.

use crate::audio::fit::Fit;
use crate::audio::loudness::LoudnessTarget;
use crate::audio::sidechain::{check_music_gain, check_threshold, DuckShape};
use crate::captions::style::{Logo, Overlays, Style, TextOverlay};
use crate::error::{Error, Result, Several};
use crate::export::cover::Cover;
use crate::export::preset::{Preset, PresetBook};
use crate::export::reframe::{Fit as FrameFit, Focus, FocusChoice, Reframe};
use crate::picture::rgb::Rgb;
use crate::specfile;
use crate::sync::Standard;
use crate::timeline::look::Look;
use crate::timeline::{Shot, TimeSpec, Transition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A whole assemble spec.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cut {
    /// Variables and their default values: `{{name}}` in any string of the spec is replaced by
    /// the value (a `cutroom batch` variant may set another); an unknown or unused variable is
    /// an error.
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// The spec's settings once variables are substituted, without `vars` and `outputs`, as
    /// canonical JSON (what the content keys hash).
    #[serde(skip)]
    pub settings: String,
    /// Name of the cut: deliverables are `<name>.<preset>.mp4` (default: the spec's file stem).
    pub name: Option<String>,
    /// The shots, in playing order.
    #[serde(default)]
    pub shot: Vec<CutShot>,
    /// The music bed.
    pub music: Option<Music>,
    /// A voice-over laid over the cut; the music ducks under it (else under the shots' sound).
    pub voice: Option<Voice>,
    /// Loudness of the finished soundtrack.
    #[serde(default)]
    pub loudness: Loudness,
    /// Export preset names (built-in, or from `presets`).
    pub outputs: Vec<String>,
    /// A presets TOML file (the `cutroom export --presets` format) adding or replacing presets.
    pub presets: Option<PathBuf>,
    /// How pictures of another shape are reframed.
    #[serde(default)]
    pub reframe: ReframeSpec,
    /// The cut's frame size `WxH` (even numbers; default: the largest clip's, at most 1080p's
    /// pixel count).
    pub size: Option<String>,
    /// The cut's frame rate: `30`, or `"30000/1001"` (default: the rate most of the cut plays at).
    pub frame_rate: Option<Rate>,
    /// How a shot of another shape than the cut fills its frame: `pad` (black bars, default)
    /// or `crop` (fill it, cut what sticks out, centred).
    pub conform: Option<String>,
    /// Each deliverable's cover picture (`<name>.<preset>.jpg`): the frame at this time, or
    /// `"auto"` (default): the sharpest frame of the first third.
    #[schemars(with = "String")]
    #[serde(default, deserialize_with = "cover")]
    pub cover: Option<Cover>,
    /// The sync check on every deliverable.
    #[serde(default)]
    pub sync: SyncPolicy,
    /// Caption style, and a caption file timed on the whole cut (docs/captions.md).
    #[serde(default)]
    pub captions: Style,
    /// A logo or watermark on every deliverable.
    pub logo: Option<Logo>,
    /// Text overlays (title, lower third, call to action), in cut time.
    #[serde(default)]
    pub text: Vec<TextOverlay>,
    /// Content Credentials (C2PA) of the deliverables.
    #[serde(default)]
    pub provenance: ProvenanceSpec,
}

/// `[provenance]`: how the deliverables are signed (`--sign-cert`/`--sign-key` or
/// `CUTROOM_SIGN_CERT`/`CUTROOM_SIGN_KEY` take precedence).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceSpec {
    /// Signing certificate chain (PEM, signing certificate first), relative to the spec.
    pub sign_cert: Option<PathBuf>,
    /// Its PKCS#8 private key (PEM), relative to the spec.
    pub sign_key: Option<PathBuf>,
    /// An RFC 3161 time-stamp authority's URL: each signature is time-stamped there
    /// (`--sign-tsa`/`CUTROOM_SIGN_TSA` take precedence).
    pub tsa: Option<String>,
    /// Fail, rather than warn, when a source carries Content Credentials and there is no key.
    #[serde(default)]
    pub require: bool,
}

/// One shot: exactly one source (a clip, or a card: a still image, a colour or text shown for
/// `duration`), and the trims and transition of [`crate::timeline::Shot`].
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CutShot {
    /// A local file (relative to the spec): a clip, or a still image shown for `duration`.
    pub src: Option<PathBuf>,
    /// A still image shown for `duration` (relative to the spec).
    pub image: Option<PathBuf>,
    /// A colour card `#rrggbb` shown for `duration`; with `text`, the colour behind the text.
    pub color: Option<String>,
    /// A text card: these lines (`\n` breaks them), centred, shown for `duration`, drawn with
    /// the shipped font.
    pub text: Option<String>,
    /// How a text card's text looks.
    pub style: Option<Look>,
    /// How long a card or still image is shown.
    pub duration: Option<TimeSpec>,
    /// Play a clip this many times faster (0.25-4; below 1 slower), the sound at its pitch.
    pub speed: Option<f64>,
    /// Retime a clip to last exactly this long (a speed of 0.25-4).
    pub fit: Option<TimeSpec>,
    /// Hold a clip's last frame this long after it (silent).
    pub freeze: Option<TimeSpec>,
    /// An MP4 to download.
    pub url: Option<String>,
    /// A finished render on the `/v1/videos` API.
    pub video_id: Option<String>,
    /// A render to create (or resume) on the `/v1/videos` API.
    pub render: Option<RenderBlock>,
    /// Where the shot starts in the source.
    #[serde(rename = "in", default)]
    pub in_point: Option<TimeSpec>,
    /// Where the shot ends in the source, exclusive.
    #[serde(default)]
    pub out: Option<TimeSpec>,
    /// The transition into the next shot.
    #[serde(default)]
    pub transition: Transition,
    /// Captions timed in this shot's source (they follow its trims and place on the cut).
    pub captions: Option<PathBuf>,
    /// How this shot fills the cut's frame if its shape differs (`pad`, `crop`), over the
    /// spec's `conform`.
    pub conform: Option<String>,
}

/// A frame rate as the spec gives it: a whole number or a string (`"30000/1001"`).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Rate {
    /// `30`.
    Number(f64),
    /// `"30000/1001"` or `"30"`.
    Text(String),
}

/// The cut's frame as the spec sets it: size, rate, the spec's fit and each shot's.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// `size`.
    pub size: Option<(u32, u32)>,
    /// `frame_rate`.
    pub frame_rate: Option<cutroom_ffi::Rational>,
    /// `conform`.
    pub fit: Option<crate::concat::plan::Conform>,
    /// Each shot's `conform`.
    pub shot_fits: Vec<Option<crate::concat::plan::Conform>>,
}

/// Where a shot comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A local file.
    File(PathBuf),
    /// A URL.
    Url(String),
    /// A video id.
    VideoId(String),
    /// A render request.
    Render(RenderBlock),
    /// A colour or text card (no file).
    Card,
}

/// A render request (the fields of a `cutroom render` shot list entry).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderBlock {
    /// The prompt.
    pub prompt: String,
    /// Model (provider default when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Length in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<u32>,
    /// `WIDTHxHEIGHT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// A reference image (relative to the spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_reference: Option<PathBuf>,
}

impl RenderBlock {
    /// The create request this block makes.
    pub fn request(&self) -> crate::fetch::CreateVideo {
        crate::fetch::CreateVideo {
            prompt: self.prompt.clone(),
            model: self.model.clone(),
            seconds: self.seconds.map(|s| s.to_string()),
            size: self.size.clone(),
            input_reference: self.input_reference.clone(),
        }
    }
}

/// The music bed.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Music {
    /// The audio file (relative to the spec).
    pub file: PathBuf,
    /// Level of the bed, dB (applied before ducking; 0: as the file is).
    #[serde(default)]
    pub gain: f64,
    /// Music gain while the voice or the shots speak, dB (negative).
    #[serde(default = "default_depth")]
    pub depth: f64,
    /// Time to go down, ms.
    #[serde(default = "default_attack")]
    pub attack: f64,
    /// Time to come back, ms.
    #[serde(default = "default_release")]
    pub release: f64,
    /// Speech threshold, dBFS RMS (default: from the key signal's level distribution).
    pub threshold: Option<f64>,
    /// A bed shorter than the cut: `loop` (repeat, crossfaded seams) or `pad` (silence after).
    #[serde(default = "default_fit")]
    pub fit: String,
}

impl Music {
    /// What to do when the bed is shorter than the cut: `loop` or `pad`.
    pub fn fit(&self) -> std::result::Result<Fit, String> {
        match self.fit.parse::<Fit>() {
            Ok(f @ (Fit::Loop | Fit::Pad)) => Ok(f),
            _ => Err(format!("music.fit must be loop or pad, not {:?}", self.fit)),
        }
    }

    /// The dip under the key signal (lookahead and hold at their defaults).
    pub fn shape(&self) -> DuckShape {
        DuckShape {
            depth_db: self.depth,
            attack_ms: self.attack,
            release_ms: self.release,
            ..DuckShape::default()
        }
    }
}

fn default_depth() -> f64 {
    -12.0
}
fn default_attack() -> f64 {
    80.0
}
fn default_release() -> f64 {
    400.0
}
fn default_fit() -> String {
    "loop".into()
}

/// The voice-over.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Voice {
    /// The audio file (relative to the spec); it starts with the first frame.
    pub file: PathBuf,
}

/// Loudness target of the soundtrack.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Loudness {
    /// Integrated loudness, LUFS.
    #[serde(default = "default_lufs")]
    pub target: f64,
    /// True-peak ceiling, dBTP.
    #[serde(default = "default_tp")]
    pub true_peak: f64,
}

fn default_lufs() -> f64 {
    -14.0
}
fn default_tp() -> f64 {
    -1.0
}

impl Default for Loudness {
    fn default() -> Self {
        Self {
            target: default_lufs(),
            true_peak: default_tp(),
        }
    }
}

/// Reframing of the outputs (the `cutroom export` options).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReframeSpec {
    /// `blur`, `crop` or `pad`.
    #[serde(default = "default_reframe_fit")]
    pub fit: String,
    /// Crop centre `x,y` (0-1) or `auto` (keep the faces in frame, else follow motion).
    #[serde(default = "default_focus")]
    pub focus: String,
}

fn default_reframe_fit() -> String {
    "blur".into()
}
fn default_focus() -> String {
    "0.5,0.5".into()
}

impl ReframeSpec {
    /// The export reframing, checked as `cutroom export` checks its options.
    pub fn reframe(&self) -> std::result::Result<Reframe, String> {
        let bad = |e: Error| format!("reframe: {e}");
        let fit: FrameFit = self.fit.parse().map_err(bad)?;
        let focus: FocusChoice = self.focus.parse().map_err(bad)?;
        if focus == FocusChoice::Auto && fit != FrameFit::Crop {
            return Err(
                "reframe: focus = \"auto\" moves a crop window; use it with fit = \"crop\"".into(),
            );
        }
        Ok(Reframe {
            fit,
            focus: match focus {
                FocusChoice::At(f) => f,
                FocusChoice::Auto => Focus::default(),
            },
            follow_motion: focus == FocusChoice::Auto,
            pad_color: Rgb::BLACK,
        })
    }
}

impl Default for ReframeSpec {
    fn default() -> Self {
        Self {
            fit: default_reframe_fit(),
            focus: default_focus(),
        }
    }
}

/// The sync policy.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncPolicy {
    /// `r37`, `bt1359` or `atsc`.
    #[serde(default = "default_standard")]
    pub standard: Standard,
    /// A failing check fails the run (exit code 1) after every output is written.
    #[serde(default = "default_true")]
    pub fail_on_error: bool,
}

fn default_standard() -> Standard {
    Standard::R37
}
fn default_true() -> bool {
    true
}

impl Default for SyncPolicy {
    fn default() -> Self {
        Self {
            standard: default_standard(),
            fail_on_error: true,
        }
    }
}

impl CutShot {
    /// The shot's one source (`n`: its 1-based position, for the error).
    pub fn source(&self, n: usize) -> std::result::Result<Source, String> {
        let mut given: Vec<Source> = Vec::new();
        given.extend(self.src.clone().map(Source::File));
        given.extend(self.image.clone().map(Source::File));
        given.extend(self.url.clone().map(Source::Url));
        given.extend(self.video_id.clone().map(Source::VideoId));
        given.extend(self.render.clone().map(Source::Render));
        if self.text.is_some() || (self.color.is_some() && self.image.is_none()) {
            given.push(Source::Card);
        }
        let all = "give one of src, image, url, video_id, [shot.render], color or text";
        match given.len() {
            1 => {
                // The card keys themselves (duration, style, colours) are checked as the
                // timeline checks them.
                let file = match given[0] {
                    Source::Card => None,
                    _ => Some(PathBuf::new()),
                };
                if matches!(given[0], Source::File(_) | Source::Card) {
                    self.timeline_shot(file).footage(n)?;
                }
                Ok(given.remove(0))
            }
            0 => Err(format!("shot {n}: no source: {all}")),
            _ => Err(format!(
                "shot {n}: more than one source: {all} (a text card may add color for its \
                 background)"
            )),
        }
    }

    /// The timeline shot once the source is the local file `file` (`None` for a card).
    pub fn timeline_shot(&self, file: Option<PathBuf>) -> Shot {
        let image = self.image.is_some();
        Shot {
            src: file.clone().filter(|_| !image),
            image: file.filter(|_| image),
            color: self.color.clone(),
            text: self.text.clone(),
            style: self.style.clone(),
            duration: self.duration,
            speed: self.speed,
            fit: self.fit,
            freeze: self.freeze,
            in_point: self.in_point,
            out: self.out,
            transition: self.transition,
        }
    }
}

impl Cut {
    /// The cut's frame (`size`, `frame_rate`, `conform` and the shots' `conform`), checked as
    /// `cutroom concat --size`/`--fps` check theirs.
    pub fn frame(&self) -> std::result::Result<Frame, String> {
        use crate::concat::plan::parse_rate;
        use crate::picture::size::parse_frame;
        let fit = |key: &str, v: &Option<String>| {
            v.as_deref()
                .map(|f| {
                    f.parse::<crate::concat::plan::Conform>()
                        .map_err(|e| format!("{key}: {e}"))
                })
                .transpose()
        };
        let frame_rate = self.frame_rate.as_ref().map(|r| match r {
            Rate::Number(n) => n.to_string(),
            Rate::Text(t) => t.clone(),
        });
        Ok(Frame {
            size: self
                .size
                .as_deref()
                .map(parse_frame)
                .transpose()
                .map_err(|e| format!("size: {e}"))?,
            frame_rate: frame_rate
                .as_deref()
                .map(parse_rate)
                .transpose()
                .map_err(|e| format!("frame_rate: {e}"))?,
            fit: fit("conform", &self.conform)?,
            shot_fits: self
                .shot
                .iter()
                .enumerate()
                .map(|(i, s)| fit(&format!("shot {}: conform", i + 1), &s.conform))
                .collect::<std::result::Result<_, _>>()?,
        })
    }

    /// The overlays of every deliverable (caption style, logo, text), read from `spec`.
    pub fn overlays(&self, spec: &Path) -> Overlays {
        Overlays {
            captions: self.captions.clone(),
            logo: self.logo.clone(),
            text: self.text.clone(),
            cards: Vec::new(),
            file: Some(spec.to_path_buf()),
        }
    }

    /// Every caption file the cut reads: the cut-wide one, then the shots'.
    pub fn caption_files(&self) -> impl Iterator<Item = &Path> {
        self.captions
            .file
            .as_deref()
            .into_iter()
            .chain(self.shot.iter().filter_map(|s| s.captions.as_deref()))
    }

    /// Read and check a spec: syntax, unknown keys, one source per shot, and every local file
    /// (shots, reference images, music, voice, presets) present, all problems listed at once.
    /// Relative paths are resolved against the spec's directory.
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, &BTreeMap::new())
    }

    /// [`Cut::load`] with `overrides` replacing the defaults of `[vars]` (a batch variant's
    /// values); a name not declared in `[vars]` is an error.
    pub fn load_with(path: &Path, overrides: &BTreeMap<String, String>) -> Result<Self> {
        let text = crate::specfile::read(path, "spec file")?;
        let is_json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        let parsed = if is_json {
            parse_json(path, &text)
        } else {
            parse_toml(path, &text)
        };
        let bad = |e: String| Error::bad_input(path, e);
        let mut value = spec_value(path, &text, is_json)?;
        let (mut cut, declared) = match parsed {
            Ok(cut) => {
                let vars = cut.vars.clone();
                (Some(cut), vars)
            }
            // A `{{name}}` where a time or a kind goes parses only once substituted.
            Err(e) if text.contains("{{") => (None, declared_vars(&value).ok_or(e)?),
            Err(e) => return Err(e),
        };
        if !declared.is_empty() || !overrides.is_empty() || text.contains("{{") {
            let mut vars = declared;
            for (k, v) in overrides {
                match vars.get_mut(k) {
                    Some(slot) => *slot = v.clone(),
                    None => return Err(bad(format!("variable `{k}` is not declared in [vars]"))),
                }
            }
            substitute(&mut value, &vars).map_err(bad)?;
            let de = serde_json::Value::clone(&value);
            cut = Some(serde_path_to_error::deserialize(de).map_err(|e| {
                let field = specfile::numbered(&e.path().to_string());
                bad(format!(
                    "{field}: {} (after substituting [vars])",
                    e.into_inner()
                ))
            })?);
        }
        let mut cut = cut.expect("parsed, or substituted and parsed");
        if let Some(map) = value.as_object_mut() {
            map.remove("outputs");
            map.remove("vars");
        }
        cut.settings = sorted(value).to_string();
        cut.resolve(path.parent().unwrap_or(Path::new("")));
        cut.check(path)?;
        Ok(cut)
    }

    fn resolve(&mut self, base: &Path) {
        // A URL is left as written, for the error that says where it goes.
        let join = |p: &mut PathBuf| {
            if p.is_relative() && !crate::fetch::is_url(&p.to_string_lossy()) {
                *p = base.join(&*p);
            }
        };
        let files = self.shot.iter_mut().flat_map(|s| {
            [
                s.src.as_mut(),
                s.image.as_mut(),
                s.render.as_mut().and_then(|r| r.input_reference.as_mut()),
                s.captions.as_mut(),
            ]
        });
        let others = [
            self.music.as_mut().map(|m| &mut m.file),
            self.voice.as_mut().map(|v| &mut v.file),
            self.presets.as_mut(),
            self.captions.file.as_mut(),
            self.logo.as_mut().and_then(|l| l.file.as_mut()),
            self.provenance.sign_cert.as_mut(),
            self.provenance.sign_key.as_mut(),
        ];
        files.chain(others).flatten().for_each(join);
    }

    /// The name and the numbers, checked by the same functions as the command line's options.
    fn check_values(&self) -> std::result::Result<(), String> {
        if let Some(name) = &self.name {
            if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
                return Err(format!(
                    "name {name:?}: deliverables are named <name>.<preset>.mp4; give a name \
                     that is not empty, has no `/` and does not start with `.`"
                ));
            }
        }
        LoudnessTarget::new(
            self.loudness.target,
            self.loudness.true_peak,
            ["loudness.target", "loudness.true_peak"],
        )?;
        self.reframe.reframe()?;
        self.frame()?;
        if let Some(last) = self.shot.last() {
            last.transition.out_of_last(self.shot.len())?;
        }
        if let Some(m) = &self.music {
            check_music_gain(m.gain, "music.gain")?;
            m.shape().check("music.")?;
            m.fit()?;
            if let Some(t) = m.threshold {
                check_threshold(t, "music.threshold")?;
            }
        }
        Ok(())
    }

    /// The output presets, resolved against the presets file (or the built-in ones): each
    /// named once and known, or the spec at `path` is bad input.
    pub fn output_presets(&self, path: &Path) -> Result<Vec<Preset>> {
        let book = match &self.presets {
            Some(f) => PresetBook::with_file(f)?,
            None => PresetBook::builtin(),
        };
        let mut errors = Vec::new();
        for (i, name) in self.outputs.iter().enumerate() {
            let at = specfile::entry("outputs", i);
            if self.outputs[..i].contains(name) {
                errors.push(format!("{at}: preset `{name}` is given twice"));
            }
            if let Err(e) = book.get(name) {
                errors.push(format!("{at}: {e}"));
            }
        }
        Error::all(
            Several::Inputs,
            errors
                .into_iter()
                .map(|e| Error::bad_input(path, e))
                .collect(),
        )?;
        Ok(self
            .outputs
            .iter()
            .filter_map(|n| book.get(n).ok().cloned())
            .collect())
    }

    fn check(&self, path: &Path) -> Result<()> {
        let mut errors = Vec::new();
        let mut missing = |what: String, p: &Path| {
            if p.is_dir() {
                errors.push(Error::bad_input(
                    path,
                    format!("{what}: {} is a directory, not a file", p.display()),
                ));
            } else if p.exists() && !p.is_file() {
                // A named pipe, a device: said for what it is, as every command says it.
                if let Err(e) = crate::media::check_file(p, "a file") {
                    errors.push(Error::bad_input(path, format!("{what}: {e}")));
                }
            } else if !p.is_file() {
                let url = what.ends_with(": src") && crate::fetch::is_url(&p.to_string_lossy());
                let hint = if url { " (a URL goes in `url`)" } else { "" };
                errors.push(Error::bad_input(
                    path,
                    format!("{what}: no such file {}{hint}", p.display()),
                ));
            }
        };
        if self.shot.is_empty() {
            return Err(Error::bad_input(path, "no [[shot]] entries"));
        }
        if self.outputs.is_empty() {
            return Err(Error::bad_input(path, "outputs: name at least one preset"));
        }
        let mut bad_sources = Vec::new();
        for (i, s) in self.shot.iter().enumerate() {
            match s.source(i + 1) {
                Ok(Source::File(f)) => missing(
                    format!(
                        "shot {}: {}",
                        i + 1,
                        if s.image.is_some() { "image" } else { "src" }
                    ),
                    &f,
                ),
                Ok(Source::Render(r)) => {
                    if let Some(f) = &r.input_reference {
                        missing(format!("shot {}: render.input_reference", i + 1), f);
                    }
                }
                Ok(_) => {}
                Err(e) => bad_sources.push(Error::bad_input(path, e)),
            }
        }
        if let Some(m) = &self.music {
            missing("music.file".into(), &m.file);
        }
        if let Some(v) = &self.voice {
            missing("voice.file".into(), &v.file);
        }
        if let Some(p) = &self.presets {
            missing("presets".into(), p);
        }
        for (i, s) in self.shot.iter().enumerate() {
            if let Some(c) = &s.captions {
                missing(format!("shot {}: captions", i + 1), c);
            }
        }
        if let Some(c) = &self.captions.file {
            missing("captions.file".into(), c);
        }
        if let Some(f) = self.logo.as_ref().and_then(|l| l.file.as_ref()) {
            missing("logo.file".into(), f);
        }
        errors.extend(bad_sources);
        if errors.is_empty() {
            errors.extend(self.overlays(path).check(path).err());
        }
        errors.extend(self.check_values().err().map(|e| Error::bad_input(path, e)));
        if errors.is_empty() {
            self.output_presets(path)?;
        }
        Error::all(Several::Inputs, errors)
    }
}

/// `cover = "auto"` or a time.
fn cover<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Cover>, D::Error> {
    let v = toml::Value::deserialize(d)?;
    let text = match &v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        _ => return Err(serde::de::Error::custom("cover: \"auto\" or a time")),
    };
    Cover::parse(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("cover: {e}")))
}

/// The `[vars]` of a spec that does not parse before substituting them: `None` when they are
/// not a table of strings (the spec's own error then says so).
/// The spec's text as a JSON value (TOML converted).
fn spec_value(path: &Path, text: &str, is_json: bool) -> Result<serde_json::Value> {
    let bad = |e: String| Error::bad_input(path, e);
    if is_json {
        serde_json::from_str(text).map_err(|e| bad(e.to_string()))
    } else {
        let v: toml::Value = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        serde_json::to_value(v).map_err(|e| bad(e.to_string()))
    }
}

/// The names the spec at `path` declares in `[vars]`.
pub fn declared_variables(path: &Path) -> Result<BTreeSet<String>> {
    let text = crate::specfile::read(path, "spec file")?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let value = spec_value(path, &text, is_json)?;
    let vars = declared_vars(&value)
        .ok_or_else(|| Error::bad_input(path, "vars: a table of strings expected"))?;
    Ok(vars.into_keys().collect())
}

fn declared_vars(spec: &serde_json::Value) -> Option<BTreeMap<String, String>> {
    match spec.get("vars") {
        None => Some(BTreeMap::new()),
        Some(vars) => vars
            .as_object()?
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
    }
}

/// Replace every `{{name}}` in the string values of `spec` (not in `vars` itself) by the value
/// of `vars`; a name not in `vars`, or a variable never used, is an error naming it.
fn substitute(
    spec: &mut serde_json::Value,
    vars: &BTreeMap<String, String>,
) -> std::result::Result<(), String> {
    fn walk(
        v: &mut serde_json::Value,
        at: &str,
        vars: &BTreeMap<String, String>,
        used: &mut BTreeSet<String>,
    ) -> std::result::Result<(), String> {
        match v {
            serde_json::Value::String(s) => {
                let mut out = String::with_capacity(s.len());
                let mut rest = s.as_str();
                while let Some(open) = rest.find("{{") {
                    let close = rest[open..].find("}}").ok_or_else(|| {
                        format!(
                            "{}: `{{{{` without a closing `}}}}`",
                            specfile::numbered(at)
                        )
                    })?;
                    let name = rest[open + 2..open + close].trim();
                    let value = vars.get(name).ok_or_else(|| {
                        let at = specfile::numbered(at);
                        format!("{at}: unknown variable `{name}` (declare it in [vars])")
                    })?;
                    used.insert(name.to_string());
                    out.push_str(&rest[..open]);
                    out.push_str(value);
                    rest = &rest[open + close + 2..];
                }
                out.push_str(rest);
                *s = out;
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item, &format!("{at}[{i}]"), vars, used)?;
                }
            }
            serde_json::Value::Object(map) => {
                for (k, item) in map.iter_mut() {
                    if at.is_empty() && k == "vars" {
                        continue;
                    }
                    let at = if at.is_empty() {
                        k.clone()
                    } else {
                        format!("{at}.{k}")
                    };
                    walk(item, &at, vars, used)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut used = BTreeSet::new();
    walk(spec, "", vars, &mut used)?;
    let Some(k) = vars.keys().find(|k| !used.contains(*k)) else {
        return Ok(());
    };
    // The names the values of [vars] use, though they are not substituted.
    let mut in_vars = BTreeSet::new();
    let mut values = serde_json::to_value(vars).expect("strings are JSON");
    let _ = walk(&mut values, "vars", vars, &mut in_vars);
    if in_vars.contains(k) {
        return Err(format!(
            "vars.{k}: used only in the values of [vars], which are not substituted (write \
             its value there instead)"
        ));
    }
    Err(format!("vars.{k}: variable never used as `{{{{{k}}}}}`"))
}

/// The JSON Schema of the spec (`cutroom schema`).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Cut)).expect("a schema is JSON")
}

fn parse_toml(path: &Path, text: &str) -> Result<Cut> {
    specfile::toml(path, text)
}

fn parse_json(path: &Path, text: &str) -> Result<Cut> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let message = message.split(" at line ").next().unwrap_or(&message);
        specfile::located(path, inner.line(), inner.column(), &field, message)
    })
}

/// `v` with every object's keys in sorted order, whatever order the spec wrote them in
/// (serde_json keeps insertion order, as the c2pa crate has it built): the settings' key.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<Cut, String> {
        parse_toml(Path::new("cut.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_keyed_settings_are_the_ones_earlier_versions_recorded() {
        // Assemble reuses deliverables whose key matches: the settings must read the same
        // whatever order the spec writes its keys in (serde_json keeps insertion order, as
        // the c2pa crate has it built), and as earlier versions made them.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"").unwrap();
        let spec = dir.path().join("cut.toml");
        let mut settings = Vec::new();
        for text in [
            "outputs = [\"square\"]\nname = \"n\"\n[[shot]]\nspeed = 2.0\nsrc = \"a.mp4\"\n",
            "name = \"n\"\noutputs = [\"square\"]\n[[shot]]\nsrc = \"a.mp4\"\nspeed = 2.0\n",
        ] {
            std::fs::write(&spec, text).unwrap();
            settings.push(Cut::load(&spec).unwrap().settings);
        }
        let recorded = r#"{"name":"n","shot":[{"speed":2.0,"src":"a.mp4"}]}"#;
        assert_eq!(settings, [recorded, recorded]);
    }

    #[test]
    fn vars_fill_any_string_and_unknown_or_unused_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), b"").unwrap();
        let spec = dir.path().join("cut.toml");
        let load = |text: &str, over: &[(&str, &str)]| {
            std::fs::write(&spec, text).unwrap();
            let over = over
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            Cut::load_with(&spec, &over).map_err(|e| e.to_string())
        };
        let text = "name = \"cut-{{ lang }}\"\noutputs = [\"{{fmt}}\"]\n\
                    [vars]\nlang = \"en\"\nfmt = \"square\"\n[[shot]]\nsrc = \"a.mp4\"\n";
        let c = load(text, &[]).unwrap();
        assert_eq!(
            (c.name.as_deref(), &c.outputs[..]),
            (Some("cut-en"), &["square".to_string()][..])
        );
        let fr = load(text, &[("lang", "fr"), ("fmt", "reels")]).unwrap();
        assert_eq!(
            (fr.name.as_deref(), fr.outputs[0].as_str()),
            (Some("cut-fr"), "reels")
        );
        // The keyed settings are the substituted ones, without `vars` and `outputs`.
        assert!(
            fr.settings.contains("cut-fr") && !fr.settings.contains("vars"),
            "{}",
            fr.settings
        );
        let e = load(text, &[("lnag", "fr")]).unwrap_err();
        assert!(e.contains("variable `lnag` is not declared"), "{e}");
        let e = load(&text.replace("{{fmt}}", "{{format}}"), &[]).unwrap_err();
        assert!(e.contains("output 1: unknown variable `format`"), "{e}");
        let e = load(&text.replace("{{fmt}}", "square"), &[]).unwrap_err();
        assert!(e.contains("vars.fmt: variable never used"), "{e}");
    }

    #[test]
    fn unknown_key_names_place_path_and_suggestion() {
        let e = parse("outputs = [\"reels\"]\n[[shot]]\nsrc = \"a.mp4\"\ntransiton = \"cut\"\n")
            .unwrap_err();
        assert!(e.contains("cut.toml:4:1"), "{e}");
        assert!(e.contains("shot 1: "), "{e}");
        assert!(e.contains("did you mean `transition`"), "{e}");
    }

    #[test]
    fn shot_takes_timeline_trims_and_transitions() {
        let c = parse(
            "outputs = [\"square\"]\n[[shot]]\nsrc = \"a.mp4\"\nin = \"0.5\"\nout = \"12f\"\n\
             transition = { kind = \"crossfade\", duration = \"0.25\" }\n[[shot]]\n\
             [shot.render]\nprompt = \"a cat\"\nseconds = 4\n",
        )
        .unwrap();
        let s = c.shot[0].timeline_shot(Some("a.mp4".into()));
        assert_eq!(
            s.transition.kind(),
            crate::timeline::TransitionKind::Crossfade
        );
        assert!(s.in_point.is_some() && s.out.is_some());
        assert!(matches!(c.shot[1].source(2), Ok(Source::Render(_))));
    }

    /// A transition out of the last shot is refused as `concat --spec` refuses it (it was
    /// dropped without a word: the deliverable as long as the plain sum of the shots).
    #[test]
    fn a_transition_out_of_the_last_shot_is_refused() {
        let shot = "[[shot]]\nsrc = \"a.mp4\"\n";
        let fade = "transition = { kind = \"crossfade\", duration = \"0.5\" }\n";
        let spec = |t: &str| format!("outputs = [\"square\"]\n{shot}{t}{shot}{t}");
        assert!(parse(&spec("")).unwrap().check_values().is_ok());
        let e = parse(&spec(fade)).unwrap().check_values().unwrap_err();
        assert_eq!(
            e,
            "shot 2 is the last one but has a crossfade transition into a next shot"
        );
    }

    #[test]
    fn names_and_numbers_are_checked_as_on_the_command_line() {
        let base = "outputs = [\"square\"]\n[[shot]]\nsrc = \"a.mp4\"\n";
        let check = |extra: &str| parse(&format!("{extra}\n{base}")).unwrap().check_values();
        assert!(check("").is_ok());
        for (extra, key) in [
            ("name = \"\"", "name"),
            ("name = \".hidden\"", "name"),
            ("name = \"a/b\"", "name"),
            ("loudness = { target = nan }", "loudness.target"),
            ("loudness = { target = 10 }", "loudness.target"),
            ("loudness = { true_peak = 5 }", "loudness.true_peak"),
            ("loudness = { true_peak = inf }", "loudness.true_peak"),
            ("music = { file = \"m.wav\", gain = nan }", "music.gain"),
            ("music = { file = \"m.wav\", depth = -inf }", "music.depth"),
            ("music = { file = \"m.wav\", attack = nan }", "music.attack"),
            (
                "music = { file = \"m.wav\", threshold = nan }",
                "music.threshold",
            ),
            ("size = \"1921x1080\"", "size"),
            ("size = \"big\"", "size"),
            ("frame_rate = 29.97", "frame_rate"),
            ("frame_rate = \"30/0\"", "frame_rate"),
            ("conform = \"fill\"", "conform"),
        ] {
            let e = check(extra).unwrap_err();
            assert!(e.starts_with(key), "{extra}: {e}");
        }
        let e = parse(&format!("{base}conform = \"zoom\""))
            .unwrap()
            .check_values()
            .unwrap_err();
        assert!(e.starts_with("shot 1: conform: \"zoom\""), "{e}");
    }

    #[test]
    fn the_cuts_frame_keys_set_its_size_rate_and_fits() {
        let cut = parse(
            "size = \"1080x1920\"\nframe_rate = \"30000/1001\"\nconform = \"crop\"\n\
             outputs = [\"square\"]\n[[shot]]\nsrc = \"a.mp4\"\n\
             [[shot]]\nsrc = \"b.mp4\"\nconform = \"pad\"\n",
        )
        .unwrap();
        let f = cut.frame().unwrap();
        assert_eq!(f.size, Some((1080, 1920)));
        assert_eq!(f.frame_rate, Some(cutroom_ffi::Rational::new(30000, 1001)));
        use crate::concat::plan::Conform;
        assert_eq!(f.fit, Some(Conform::Crop));
        assert_eq!(f.shot_fits, [None, Some(Conform::Pad)]);
        let rate = parse("frame_rate = 24\noutputs = []\n").unwrap().frame();
        assert_eq!(
            rate.unwrap().frame_rate,
            Some(cutroom_ffi::Rational::new(24, 1))
        );
    }
}
