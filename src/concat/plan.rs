//! Planning a concat: trims resolved to source frames, the video path chosen (stream copy or
//! normalise, and why), and every shot laid out on one integer output timeline.

use super::rate::{self, gcd};
use super::source::Source;
use super::Options;
use crate::captions::ShotTime;
use crate::error::{Error, Result, Several};
use crate::time::{Samples, Spans, Ticks, TimeBase};
use crate::timeline::spec::{MAX_SPEED, MIN_SPEED};
use crate::timeline::{EditSpec, Footage, TimeSpec, Transition};
use cutroom_ffi::Rational;
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// How the video is produced (`copy` or `normalise` in reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoPath {
    /// Packets copied bit for bit, retimed onto the output timeline.
    Copy,
    /// Decoded, scaled and padded to one size, converted to one frame rate, encoded once.
    Normalise,
}

impl fmt::Display for VideoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Copy => "copy",
            Self::Normalise => "normalise",
        })
    }
}

/// One end of a shot on the output timeline: how it meets its neighbour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// A straight cut (or the start/end of the sequence).
    Cut,
    /// This many output ticks fade from or to black.
    Fade(Ticks),
    /// This many output ticks overlap the neighbour.
    Crossfade(Ticks),
}

impl Edge {
    /// Ticks of the shot the edge occupies (0 for a cut).
    pub fn ticks(self) -> Ticks {
        match self {
            Self::Cut => Ticks::ZERO,
            Self::Fade(t) | Self::Crossfade(t) => t,
        }
    }
}

/// How a clip is retimed: played at `speed` or fitted to `fit`, then its last frame held for
/// `freeze`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Retime {
    /// Speed factor (above 1: faster).
    pub speed: Option<f64>,
    /// Length to play the clip in.
    pub fit: Option<TimeSpec>,
    /// Hold of the last frame after it.
    pub freeze: Option<TimeSpec>,
}

impl Retime {
    /// Played at another speed than its own.
    pub fn changes_speed(&self) -> bool {
        self.fit.is_some() || self.speed.is_some_and(|s| s != 1.0)
    }
}

/// What a planned shot shows.
#[derive(Debug, Clone)]
pub enum Content {
    /// A scanned file: a clip, or a still image held for the shot's duration.
    File(Box<Source>),
    /// A colour or text card ([`Footage::Color`] or [`Footage::Text`]).
    Card(Footage),
}

impl Content {
    /// The scanned file, unless the shot is a card.
    pub fn file(&self) -> Option<&Source> {
        match self {
            Self::File(s) => Some(s),
            Self::Card(_) => None,
        }
    }

    /// A video clip (not a still image, not a card).
    pub fn clip(&self) -> Option<&Source> {
        self.file().filter(|s| !s.still)
    }

    /// The file's path, or what the card is (for messages and reports).
    pub fn describe(&self) -> String {
        match self {
            Self::File(s) => s.path.display().to_string(),
            Self::Card(f) => f.describe(),
        }
    }
}

/// A shot placed on the output timeline.
#[derive(Debug, Clone)]
pub struct PlannedShot {
    /// What it shows.
    pub content: Content,
    /// First frame used, in the source's video time base (0 for a card).
    pub in_pts: Ticks,
    /// End of the last frame used (exclusive), in the source's video time base (0 for a
    /// card).
    pub end_pts: Ticks,
    /// How long a still image or a card is shown (`None`: a clip, as long as its trim).
    pub hold: Option<TimeSpec>,
    /// A clip's retiming, as the spec gives it.
    pub retime: Retime,
    /// Output ticks that play the clip (or show the card); the rest of `len` holds its last
    /// frame (`freeze`).
    pub played: Ticks,
    /// Where the shot starts, in output ticks.
    pub start: Ticks,
    /// How long it is, in output ticks.
    pub len: Ticks,
    /// How it meets the previous shot.
    pub head: Edge,
    /// How it meets the next shot.
    pub tail: Edge,
    /// The transition into the next shot, as the spec gave it.
    pub transition: Transition,
    /// How its picture fills the output's frame when its shape differs (`None`: not chosen,
    /// padded).
    pub fit: Option<Conform>,
    /// Its duration in output ticks (0 for a cut).
    pub transition_ticks: Ticks,
}

impl PlannedShot {
    /// End on the output timeline (exclusive), in output ticks.
    pub fn end(&self) -> Ticks {
        self.start + self.len
    }

    /// How the shot's source time lands on the cut (output time base `out_tb`), with the
    /// length of its source in ns (the time its captions must end by). A card's (or a
    /// still's) own time is its time on the cut.
    pub fn time_on_cut(&self, out_tb: TimeBase) -> (ShotTime, i64) {
        let (length, in_pts, end_pts, tb) = match self.content.clip() {
            Some(src) => (
                src.duration(),
                self.in_pts - src.first(),
                self.end_pts - src.first(),
                src.time_base,
            ),
            None => (self.len, Ticks::ZERO, self.len, out_tb),
        };
        let time = ShotTime::from_ticks(
            in_pts,
            end_pts,
            tb,
            (
                self.start,
                self.retime.changes_speed().then_some(self.played),
            ),
            out_tb,
        );
        (time, length.rescale(tb, TimeBase::NANOS).0)
    }

    /// The scanned source of a clip (the copy path has nothing else).
    pub fn source(&self) -> &Source {
        self.content
            .file()
            .expect("only clips and stills are asked for their source")
    }
}

/// What the output looks like.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// Picture width.
    pub width: u32,
    /// Picture height.
    pub height: u32,
    /// Frame rate.
    pub frame_rate: Rational,
    /// Time base of the output video timeline (the unit of every `start`/`len`).
    pub time_base: TimeBase,
    /// Audio sample rate.
    pub sample_rate: u32,
    /// Audio channels.
    pub channels: u16,
}

/// The output size when no shot is a file (only colour and text cards).
pub const DEFAULT_CARD_SIZE: (u32, u32) = (1920, 1080);

/// The output frame rate when no shot is a video clip (only cards and still images).
pub const DEFAULT_CARD_RATE: i32 = 30;

/// How a shot of another shape than the output fills its frame (an assemble spec's `conform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conform {
    /// Scaled to fit inside, black bars around it.
    Pad,
    /// Scaled to fill the frame, what sticks out cut off, centred.
    Crop,
}

impl std::str::FromStr for Conform {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "pad" => Ok(Self::Pad),
            "crop" => Ok(Self::Crop),
            _ => Err(format!("{s:?}: expected pad or crop")),
        }
    }
}

/// At most this many pixels in a default frame (1920x1080's): a larger clip sets the shape,
/// not the size, so the cut costs no more than a 1080p one.
pub const MAX_DEFAULT_PIXELS: u64 = 1920 * 1080;

/// The output's frame when no size or rate is given: the largest video clip's size (most
/// pixels shown upright; the first of equals, so shots all of one size keep it), brought down
/// to [`MAX_DEFAULT_PIXELS`] keeping its shape, at the rate most of the cut plays at
/// ([`rate::most_played`]); else the first still image's at [`DEFAULT_CARD_RATE`]; else
/// [`DEFAULT_CARD_SIZE`] at that rate (a card's size means nothing).
pub fn default_frame(shots: &[PlannedShot]) -> ((u32, u32), Rational) {
    let card_rate = Rational::new(DEFAULT_CARD_RATE, 1);
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let largest = shots
        .iter()
        .filter_map(|s| s.content.clip())
        .fold(None::<&Source>, |best, c| match best {
            Some(b) if area(b.shown_size()) >= area(c.shown_size()) => Some(b),
            _ => Some(c),
        });
    let (size, rate) = match largest {
        Some(c) => (
            c.shown_size(),
            rate::most_played(shots.iter().filter_map(played)).unwrap_or(c.frame_rate),
        ),
        None => match shots.iter().find_map(|s| s.content.file()) {
            Some(still) => (still.shown_size(), card_rate),
            None => return (DEFAULT_CARD_SIZE, card_rate),
        },
    };
    let (w, h) = match area(size) > MAX_DEFAULT_PIXELS {
        true => {
            let k = (MAX_DEFAULT_PIXELS as f64 / area(size) as f64).sqrt();
            let down = |v: u32| (f64::from(v) * k) as u32;
            (down(size.0), down(size.1))
        }
        false => size,
    };
    ((w & !1, h & !1), rate)
}

/// A clip's own frame rate and the ns it plays in the cut (its trim, over its speed, or its
/// `fit`); `None` for a still or a card.
fn played(s: &PlannedShot) -> Option<(Rational, i64)> {
    let c = s.content.clip()?;
    let own = (s.end_pts - s.in_pts)
        .rescale(c.time_base, TimeBase::NANOS)
        .0;
    let played = match (s.retime.fit, s.retime.speed) {
        (Some(TimeSpec::Nanos(ns)), _) => ns,
        (None, Some(speed)) if speed > 0.0 => (own as f64 / speed).round() as i64,
        _ => own,
    };
    Some((c.frame_rate, played))
}

/// A frame rate `N` or `N/D` (`--fps`, an assemble spec's `frame_rate`), up to 240.
pub fn parse_rate(s: &str) -> std::result::Result<Rational, String> {
    let bad = || format!("'{s}' is not a frame rate like 30 or 30000/1001");
    let (n, d) = s.split_once('/').unwrap_or((s, "1"));
    let (n, d): (i32, i32) = (n.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    if n <= 0 || d <= 0 || n / d > 240 {
        return Err(bad());
    }
    Ok(Rational::new(n, d))
}

/// The size (even) at which a `sw`x`sh` picture fits inside `tw`x`th` with its shape kept.
pub fn fit_size((sw, sh): (u32, u32), (tw, th): (u32, u32)) -> (u32, u32) {
    let (sw, sh) = (u64::from(sw.max(1)), u64::from(sh.max(1)));
    let (tw64, th64) = (u64::from(tw), u64::from(th));
    let even = |v: u64| (v.div_ceil(2) * 2).max(2) as u32;
    if sw * th64 >= sh * tw64 {
        (tw, even((sh * tw64 + sw / 2) / sw).min(th))
    } else {
        (even((sw * th64 + sh / 2) / sh).min(tw), th)
    }
}

/// The size (even) at which a `sw`x`sh` picture fills `tw`x`th` with its shape kept, cut to it
/// centred.
pub fn cover_size((sw, sh): (u32, u32), (tw, th): (u32, u32)) -> (u32, u32) {
    let (sw, sh) = (u64::from(sw.max(1)), u64::from(sh.max(1)));
    let (tw64, th64) = (u64::from(tw), u64::from(th));
    let even = |v: u64| (v.div_ceil(2) * 2) as u32;
    if sw * th64 >= sh * tw64 {
        (even((sw * th64 + sh / 2) / sh).max(tw), th)
    } else {
        (tw, even((sh * tw64 + sw / 2) / sw).max(th))
    }
}

/// How a shot's picture lands in the output's frame on the normalise path.
#[derive(Debug, Clone)]
pub struct Framing {
    /// The shot's number, from 1.
    pub shot: usize,
    /// Its file.
    pub path: PathBuf,
    /// Its picture's size as shown (upright, square pixels).
    pub shown: (u32, u32),
    /// Its fit (`None`: not chosen, padded).
    pub fit: Option<Conform>,
    /// The part of the frame its picture leaves to bars (0 when cropped).
    pub bars: f64,
    /// How much its picture is scaled up (below 1: down).
    pub scale: f64,
}

/// How each file's picture (clips and stills) lands in the frame of a normalise `plan` (none on
/// the copy path, whose shots all have the output's size).
pub fn framings(plan: &Plan) -> Vec<Framing> {
    if plan.path != VideoPath::Normalise {
        return Vec::new();
    }
    let t = (plan.target.width, plan.target.height);
    let mut out = Vec::new();
    for (i, shot) in plan.shots.iter().enumerate() {
        let Some(src) = shot.content.file() else {
            continue;
        };
        let (sw, sh) = src.shown_size();
        let (w, h) = fit_size((sw, sh), t);
        let frame = f64::from(t.0) * f64::from(t.1);
        let (bars, scale) = match shot.fit {
            Some(Conform::Crop) => (
                0.0,
                (f64::from(t.0) / f64::from(sw)).max(f64::from(t.1) / f64::from(sh)),
            ),
            _ => (
                1.0 - f64::from(w) * f64::from(h) / frame,
                (f64::from(w) / f64::from(sw)).min(f64::from(h) / f64::from(sh)),
            ),
        };
        out.push(Framing {
            shot: i + 1,
            path: src.path.clone(),
            shown: (sw, sh),
            fit: shot.fit,
            bars,
            scale,
        });
    }
    out
}

/// The whole plan.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Copy or normalise.
    pub path: VideoPath,
    /// Why that path (for normalise: everything that rules out a copy).
    pub reasons: Vec<String>,
    /// Things the user should know (keyframe snapping).
    pub warnings: Vec<String>,
    /// The output format.
    pub target: Target,
    /// The shots, in order.
    pub shots: Vec<PlannedShot>,
    /// Output length in output ticks.
    pub duration: Ticks,
}

impl Plan {
    /// The audio sample at output tick `ticks` (each boundary rounded once, so the per-shot
    /// lengths add up to the total exactly and nothing drifts).
    pub fn sample(&self, ticks: Ticks) -> Samples {
        ticks.samples(self.target.time_base, self.target.sample_rate)
    }

    /// Where each shot starts and ends on the output (exclusive), in the output's time base.
    pub fn spans(&self) -> Spans {
        Spans {
            time_base: self.target.time_base,
            spans: self.shots.iter().map(|s| (s.start, s.end())).collect(),
        }
    }
}

/// What each shot of `spec` shows: cards as they are, files scanned by `scan` (on all
/// cores: `scan` gets every file's path at once and returns one result per path, in order).
pub fn contents(
    spec: &EditSpec,
    scan: impl FnOnce(&[PathBuf]) -> Vec<Result<Source>>,
) -> Result<Vec<Result<Content>>> {
    let footage = spec
        .shot
        .iter()
        .enumerate()
        .map(|(i, s)| s.footage(i + 1).map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let paths: Vec<PathBuf> = footage
        .iter()
        .filter_map(|f| match f {
            Footage::File(p) => Some(p.clone()),
            _ => None,
        })
        .collect();
    let mut scanned = scan(&paths).into_iter();
    Ok(footage
        .into_iter()
        .map(|f| match f {
            Footage::File(_) => scanned
                .next()
                .expect("one scan per file")
                .map(|s| Content::File(Box::new(s))),
            card => Ok(Content::Card(card)),
        })
        .collect())
}

/// Plan the output from the shots of `spec` and what they show (one per shot, in order, see
/// [`contents`]): resolve the trims, choose the path, lay out the timeline. Every unusable
/// shot (a failed scan, a bad trim, a still without a duration) is reported (one error, or
/// [`Error::Many`]).
pub fn plan(spec: &EditSpec, contents: Vec<Result<Content>>, opts: &Options) -> Result<Plan> {
    if spec.shot.is_empty() {
        return Err(Error::Usage("no shots to join".into()));
    }
    let mut errors = Vec::new();
    let mut shots = Vec::new();
    for (i, (shot, content)) in spec.shot.iter().zip(contents).enumerate() {
        let planned = content.and_then(|mut content| {
            if let (Some(_), Content::File(s)) = (&shot.image, &mut content) {
                still_image(s)?;
            }
            let (in_pts, end_pts) = match &content {
                Content::File(s) if s.still => {
                    still_shot(s, shot, spec.command_line)?;
                    (s.first(), s.end)
                }
                Content::File(s) => {
                    if let Some(d) = shot.duration {
                        return Err(Error::bad_input(
                            &s.path,
                            format!(
                                "duration {d} is for still images and cards; trim a clip with \
                                 in and out"
                            ),
                        ));
                    }
                    resolve_trim(s, shot.in_point, shot.out)?
                }
                Content::Card(_) => (Ticks::ZERO, Ticks::ZERO),
            };
            Ok(PlannedShot {
                hold: content.clip().is_none().then_some(shot.duration).flatten(),
                retime: Retime {
                    speed: shot.speed,
                    fit: shot.fit,
                    freeze: shot.freeze,
                },
                played: Ticks::ZERO,
                content,
                in_pts,
                end_pts,
                start: Ticks::ZERO,
                len: Ticks::ZERO,
                head: Edge::Cut,
                tail: Edge::Cut,
                transition: shot.transition,
                transition_ticks: Ticks::ZERO,
                fit: opts.shot_fits.get(i).copied().flatten().or(opts.fit),
            })
        });
        match planned {
            Ok(s) => shots.push(s),
            Err(e) => errors.push(e.of_shot(i)),
        }
    }
    Error::all(Several::Inputs, errors)?;
    let mut reasons = normalise_reasons(&shots, opts);
    let mut warnings: Vec<String> = Vec::new();
    for w in shots.iter().filter_map(|s| s.content.clip()).flat_map(|c| {
        [&c.unused_audio, &c.not_carried, &c.sound_outside_picture]
            .into_iter()
            .filter_map(Option::as_ref)
    }) {
        if !warnings.contains(w) {
            warnings.push(w.clone());
        }
    }
    let copy = if reasons.is_empty() {
        try_copy(&mut shots, opts, &mut reasons, &mut warnings)?
    } else {
        None
    };
    let (path, target) = match copy {
        Some(target) => {
            reasons.push(format!(
                "every shot has the same video parameters ({}) and no trim or transition needs \
                 a re-encode",
                describe_params(shots[0].source())
            ));
            (VideoPath::Copy, target)
        }
        None => {
            let ((w, h), rate) = default_frame(&shots);
            let (w, h) = opts.size.unwrap_or((w, h));
            let frame_rate = opts.frame_rate.unwrap_or(rate);
            let target = Target {
                width: w,
                height: h,
                frame_rate,
                time_base: TimeBase::of_rate(frame_rate).ok_or_else(|| {
                    Error::Usage(format!("frame rate {frame_rate} is not a positive rate"))
                })?,
                sample_rate: opts.sample_rate,
                channels: opts.channels,
            };
            lay_out(&mut shots, &target)?;
            // A retimed clip's frames are spread by its speed, which says so.
            for (i, s) in shots.iter().enumerate() {
                let Some(c) = s.content.clip().filter(|_| !s.retime.changes_speed()) else {
                    continue;
                };
                if let Some(w) = rate::conversion(c.frame_rate, frame_rate) {
                    warnings.push(format!("{}: {w}", label(i, c)));
                }
            }
            (VideoPath::Normalise, target)
        }
    };
    let duration = shots.last().map_or(Ticks::ZERO, PlannedShot::end);
    Ok(Plan {
        path,
        reasons,
        warnings,
        target,
        shots,
        duration,
    })
}

fn label(i: usize, s: &Source) -> String {
    format!("shot {} ({})", i + 1, s.path.display())
}

/// An image card's file (`image`): one picture, held as a still image whatever its format (a
/// one-picture GIF or MP4 too); more (an animated GIF or APNG, a clip) are refused by name.
fn still_image(s: &mut Source) -> Result<()> {
    if let Some(format) = crate::picture::still::moving(&s.path) {
        return Err(Error::bad_input(
            &s.path,
            format!(
                "holds more than one picture ({format}), and an image card shows one still \
                 picture for its duration: give one still image, or play it as a clip (src)"
            ),
        ));
    }
    s.still = true;
    Ok(())
}

/// Check a still image's shot: it needs a duration (a still has no length of its own; one named
/// on the `command_line` cannot be given one there) and takes no trims.
fn still_shot(s: &Source, shot: &crate::timeline::Shot, command_line: bool) -> Result<()> {
    let bad = |reason: String| Error::bad_input(&s.path, reason);
    if shot.duration.is_none() {
        let how = match command_line {
            true => {
                "the command line cannot give it one: list the shots in an edit spec with a \
                     duration for it (duration = \"3s\") and pass that with --spec FILE \
                     (docs/concat.md#the-edit-spec)"
            }
            false => "add a duration to show it for that long (e.g. duration = \"3s\")",
        };
        return Err(bad(format!(
            "a still image has no length of its own; {how}"
        )));
    }
    if shot.in_point.is_some() || shot.out.is_some() {
        return Err(bad(
            "in and out trim clips; a still image is shown for its duration".into(),
        ));
    }
    if shot.speed.is_some() || shot.fit.is_some() || shot.freeze.is_some() {
        return Err(bad(
            "speed, fit and freeze retime clips; a still image is shown for its duration \
             (set duration to the time it should last)"
                .into(),
        ));
    }
    Ok(())
}

fn describe_params(s: &Source) -> String {
    let p = &s.info.params;
    format!(
        "{} {} {}x{} {} {} fps",
        p.codec_name(),
        p.profile_name().unwrap_or_default(),
        p.width(),
        p.height(),
        p.format_name().unwrap_or_default(),
        s.frame_rate
    )
}

/// Resolve a shot's `in`/`out` to source frame boundaries (nearest frame start), checking that
/// they lie inside the clip and keep at least one frame.
fn resolve_trim(
    s: &Source,
    in_point: Option<TimeSpec>,
    out: Option<TimeSpec>,
) -> Result<(Ticks, Ticks)> {
    let tb = s.time_base;
    let dur = s.secs(s.duration());
    let bad = |reason: String| Error::bad_input(&s.path, reason);
    let at = |t: TimeSpec, what: &str| -> Result<Ticks> {
        match t {
            TimeSpec::Nanos(ns) => Ok(s.first() + Ticks(ns).rescale(TimeBase::NANOS, tb)),
            TimeSpec::Frame(n) => match usize::try_from(n).ok().filter(|n| *n <= s.pts.len()) {
                Some(n) if n == s.pts.len() => Ok(s.end),
                Some(n) => Ok(s.pts[n]),
                None => Err(bad(format!(
                    "{what} {t} is outside the shot ({} frames)",
                    s.pts.len()
                ))),
            },
        }
    };
    let raw_in = in_point
        .map(|t| at(t, "in"))
        .transpose()?
        .unwrap_or(s.first());
    let raw_out = out.map(|t| at(t, "out")).transpose()?.unwrap_or(s.end);
    let half = Ticks(s.frame_ticks().0 / 2);
    let show = |t: Option<TimeSpec>| t.map(|t| t.describe()).unwrap_or_default();
    if raw_in >= s.end {
        return Err(bad(format!(
            "in {} is at or past the end of the shot ({dur:.3} s)",
            show(in_point)
        )));
    }
    if raw_in >= s.end - half {
        // Before the end, but it lands on it (the nearest frame start).
        return Err(bad(format!(
            "in {} is within half a frame of the end of the shot ({dur:.3} s): it lands on \
             the end, and nothing of the shot would be left",
            show(in_point)
        )));
    }
    if raw_out > s.end + half {
        return Err(bad(format!(
            "out {} is past the end of the shot ({dur:.3} s)",
            show(out)
        )));
    }
    if raw_out <= raw_in {
        return Err(bad(format!(
            "out {} is not after in {}",
            show(out).trim(),
            show(in_point)
        )));
    }
    let in_pts = nearest(&s.pts, raw_in);
    let mut bounds = s.pts.clone();
    bounds.push(s.end);
    let end_pts = nearest(&bounds, raw_out);
    if end_pts <= in_pts {
        return Err(bad(format!(
            "in {} and out {} fall on the same frame: the shot would be empty",
            show(in_point),
            show(out)
        )));
    }
    Ok((in_pts, end_pts))
}

/// The value of ascending `bounds` nearest to `t` (ties go to the later one).
fn nearest(bounds: &[Ticks], t: Ticks) -> Ticks {
    let i = bounds.partition_point(|&b| b < t);
    match (i.checked_sub(1).map(|j| bounds[j]), bounds.get(i)) {
        (Some(a), Some(&b)) => {
            if t - a < b - t {
                a
            } else {
                b
            }
        }
        (Some(a), None) => a,
        (None, Some(&b)) => b,
        (None, None) => t,
    }
}

/// Everything except trims that rules out a stream copy.
fn normalise_reasons(shots: &[PlannedShot], opts: &Options) -> Vec<String> {
    let mut r = Vec::new();
    if opts.normalise {
        r.push("--normalise was given".into());
    }
    for (i, shot) in shots.iter().enumerate() {
        let what = match &shot.content {
            Content::Card(f) => f.describe(),
            Content::File(s) if s.still => format!("still image {}", s.path.display()),
            Content::File(_) => continue,
        };
        r.push(format!("shot {} is a {what}: its frames are made", i + 1));
    }
    for (i, shot) in shots.iter().enumerate() {
        if shot.retime != Retime::default() {
            r.push(format!(
                "shot {} is retimed (speed, fit or freeze): its frames are made",
                i + 1
            ));
        }
    }
    if !r.is_empty() {
        return r;
    }
    let first = shots[0].source();
    let fp = &first.info.params;
    if let Some((w, h)) = opts.size.filter(|s| *s != (fp.width(), fp.height())) {
        r.push(format!(
            "--size {w}x{h} differs from the first shot's {}x{}",
            fp.width(),
            fp.height()
        ));
    }
    if let Some(fr) = opts.frame_rate.filter(|f| *f != first.frame_rate) {
        r.push(format!(
            "--fps {fr} differs from the first shot's {}",
            first.frame_rate
        ));
    }
    for (i, shot) in shots.iter().enumerate() {
        let s = shot.source();
        let p = &s.info.params;
        let mut differ = |what: &str, a: String, b: String| {
            if a != b {
                r.push(format!("{}: {what} {a}, not {b} like shot 1", label(i, s)));
            }
        };
        differ("codec", p.codec_name(), fp.codec_name());
        differ(
            "profile",
            p.profile_name().unwrap_or_default(),
            fp.profile_name().unwrap_or_default(),
        );
        differ(
            "size",
            format!("{}x{}", p.width(), p.height()),
            format!("{}x{}", fp.width(), fp.height()),
        );
        differ(
            "pixel format",
            p.format_name().unwrap_or_default(),
            fp.format_name().unwrap_or_default(),
        );
        differ(
            "frame rate",
            s.frame_rate.to_string(),
            first.frame_rate.to_string(),
        );
        differ(
            "pixel shape",
            s.info.sample_aspect.to_string(),
            first.info.sample_aspect.to_string(),
        );
        if s.info.display_matrix != first.info.display_matrix {
            // A copy keeps one display matrix for the whole output.
            r.push(format!(
                "{}: display rotation {}° (or flip), not {}° like shot 1",
                label(i, s),
                s.info.rotation,
                first.info.rotation
            ));
        }
        if p.extradata() != fp.extradata() && p.codec_name() == fp.codec_name() {
            r.push(format!(
                "{}: codec extradata (SPS/PPS) differs from shot 1's",
                label(i, s)
            ));
        }
        if shot.transition != Transition::Cut {
            r.push(format!(
                "{}: the {} into the next shot needs re-encoded pictures",
                label(i, s),
                shot.transition.kind()
            ));
        }
        if s.has_hidden() {
            r.push(format!(
                "{}: an edit list hides some of its video packets",
                label(i, s)
            ));
        }
        if !p.fits_mp4() {
            r.push(format!(
                "{}: {} video cannot be copied into an MP4",
                label(i, s),
                p.codec_name()
            ));
        }
        if s.lacks_dts {
            r.push(format!(
                "{}: its container gives no decoding times to copy its packets by",
                label(i, s)
            ));
        }
        if let Some(at) = s.dts_step_back() {
            r.push(format!(
                "{}: its decoding times go back at {:.3} s (two streams spliced?), which an MP4 \
                 cannot hold",
                label(i, s),
                s.secs(at)
            ));
        }
    }
    r
}

/// The finest exact time base of all shots (`1/lcm` of the denominators), if one fits.
fn common_time_base(shots: &[PlannedShot]) -> Option<TimeBase> {
    let mut den: i64 = 1;
    for s in shots {
        let tb = s.source().time_base;
        if tb.rational().num != 1 {
            return (shots.iter().all(|o| o.source().time_base == tb)).then_some(tb);
        }
        let d = i64::from(tb.rational().den);
        den = den / gcd(den, d) * d;
        if den > i64::from(i32::MAX) {
            return None;
        }
    }
    TimeBase::new(Rational::new(1, den as i32))
}

/// Plan a stream copy: one exact output time base, trims on keyframes of closed GOPs (snapped
/// when allowed) and packets that stay in decoding order across the joins. On success the
/// shots are laid out and the copy target returned; otherwise `reasons` says why not and the
/// shots keep their exact trims.
fn try_copy(
    shots: &mut [PlannedShot],
    opts: &Options,
    reasons: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<Target>> {
    let Some(time_base) = common_time_base(shots) else {
        reasons.push("the shots' video time bases have no common exact time base".into());
        return Ok(None);
    };
    let mut snaps = Vec::new();
    let trims = copy_trims(shots, opts.snap_keyframes, reasons, &mut snaps);
    if !reasons.is_empty() {
        return Ok(None);
    }
    let exact: Vec<(Ticks, Ticks)> = shots.iter().map(|s| (s.in_pts, s.end_pts)).collect();
    for (shot, (a, b)) in shots.iter_mut().zip(trims) {
        (shot.in_pts, shot.end_pts) = (a, b);
    }
    let first = shots[0].source();
    let target = Target {
        width: first.info.params.width(),
        height: first.info.params.height(),
        frame_rate: first.frame_rate,
        time_base,
        sample_rate: opts.sample_rate,
        channels: opts.channels,
    };
    lay_out(shots, &target)?;
    if let Some(r) = decode_order_clash(shots, time_base) {
        reasons.push(r);
        for (shot, (a, b)) in shots.iter_mut().zip(exact) {
            (shot.in_pts, shot.end_pts) = (a, b);
        }
        return Ok(None);
    }
    warnings.extend(snaps);
    Ok(Some(target))
}

/// The trims a copy would use: each `in` on a keyframe and each trimmed end on one, with every
/// frame in between decodable from the copied packets alone (closed GOPs). Off-keyframe trims
/// are snapped to the keyframe before (with a warning) when `snap`, else they add a reason.
fn copy_trims(
    shots: &[PlannedShot],
    snap: bool,
    reasons: &mut Vec<String>,
    warnings: &mut Vec<String>,
) -> Vec<(Ticks, Ticks)> {
    let mut out = Vec::new();
    for (i, shot) in shots.iter().enumerate() {
        let s = shot.source();
        let keys = s.key_pts();
        let key_before = |t: Ticks| keys.iter().rev().copied().find(|&k| k <= t);
        let rel = |t: Ticks| s.secs(t - s.first());
        let (mut a, mut b) = (shot.in_pts, shot.end_pts);
        if s.key_at(a).is_none() {
            match key_before(a) {
                Some(k) if snap => {
                    warnings.push(format!(
                        "{}: in moved from {:.3} s to the keyframe before, {:.3} s, to copy \
                         without re-encoding",
                        label(i, s),
                        rel(a),
                        rel(k)
                    ));
                    a = k;
                }
                k => reasons.push(format!(
                    "{}: in {:.3} s is not on a keyframe{}",
                    label(i, s),
                    rel(a),
                    k.map(|k| format!(
                        " (the one before is at {:.3} s; --snap-keyframes would move it there)",
                        rel(k)
                    ))
                    .unwrap_or_default()
                )),
            }
        }
        if b != s.end && s.key_at(b).is_none() {
            let k = key_before(b)
                .filter(|&k| k > a)
                .or_else(|| keys.iter().copied().find(|&k| k > b))
                .unwrap_or(s.end);
            if snap {
                warnings.push(format!(
                    "{}: out moved from {:.3} s to the keyframe at {:.3} s, to copy without \
                     re-encoding",
                    label(i, s),
                    rel(b),
                    rel(k)
                ));
                b = k;
            } else {
                reasons.push(format!(
                    "{}: out {:.3} s is not on a keyframe (--snap-keyframes would move it to \
                     {:.3} s)",
                    label(i, s),
                    rel(b),
                    rel(k)
                ));
            }
        }
        if let Some(k) = s.key_at(a) {
            if s.shown().any(|p| p.dts >= k.dts && p.pts < a) {
                reasons.push(format!(
                    "{}: the GOP at in {:.3} s is open (frames shown before it are decoded \
                     after it)",
                    label(i, s),
                    rel(a)
                ));
            }
        }
        if let Some(k) = s.key_at(b) {
            if s.shown().any(|p| p.pts >= a && p.pts < b && p.dts >= k.dts) {
                reasons.push(format!(
                    "{}: the GOP at out {:.3} s is open (frames before it are decoded after \
                     it)",
                    label(i, s),
                    rel(b)
                ));
            }
        }
        out.push((a, b));
    }
    out
}

/// In a copy, the first packet of a shot must decode after the last packet of the shot
/// before it; a description of the clash if it would not.
fn decode_order_clash(shots: &[PlannedShot], tb: TimeBase) -> Option<String> {
    let mut last_dts: Option<Ticks> = None;
    for (i, shot) in shots.iter().enumerate() {
        let s = shot.source();
        let at = |dts: Ticks| shot.start + (dts - shot.in_pts).rescale(s.time_base, tb);
        let copied = s
            .shown()
            .filter(|p| p.pts >= shot.in_pts && p.pts < shot.end_pts);
        let (lo, hi) = copied.fold((Ticks(i64::MAX), Ticks(i64::MIN)), |(lo, hi), p| {
            (lo.min(at(p.dts)), hi.max(at(p.dts)))
        });
        if last_dts.is_some_and(|l| lo <= l) {
            return Some(format!(
                "{}: its packets would decode before the end of the shot before it \
                 (different reordering delays)",
                label(i, s)
            ));
        }
        last_dts = Some(hi);
    }
    None
}

/// Place every shot: lengths in output ticks, transition edges, starts.
fn lay_out(shots: &mut [PlannedShot], t: &Target) -> Result<()> {
    let tb = t.time_base;
    let frame = TimeBase::of_rate(t.frame_rate).unwrap_or(tb);
    let ticks = |d: TimeSpec| match d {
        TimeSpec::Nanos(ns) => Ticks(ns).rescale(TimeBase::NANOS, tb),
        TimeSpec::Frame(n) => Ticks(n as i64).rescale(frame, tb),
    };
    for (i, s) in shots.iter_mut().enumerate() {
        let bad =
            |reason: String| Error::bad_input(Path::new(&s.content.describe()), reason).of_shot(i);
        s.played = match (s.hold, s.retime.speed, s.retime.fit) {
            (Some(d), _, _) => ticks(d),
            (None, _, Some(fit)) => {
                let played = ticks(fit);
                let own = (s.end_pts - s.in_pts).rescale(s.source().time_base, tb);
                let speed = own.0 as f64 / played.0.max(1) as f64;
                if !(MIN_SPEED..=MAX_SPEED).contains(&speed) {
                    return Err(bad(format!(
                        "fit {fit} would play it at speed {speed:.3}; the speed must be \
                         between {MIN_SPEED} and {MAX_SPEED}"
                    )));
                }
                played
            }
            (None, Some(speed), None) => {
                // The source length over the speed, rounded once (speed in millionths).
                let (stb, otb) = (s.source().time_base.rational(), tb.rational());
                let micro = (speed * 1e6).round() as i128;
                let num = i128::from((s.end_pts - s.in_pts).0)
                    * i128::from(stb.num)
                    * i128::from(otb.den)
                    * 1_000_000;
                let den = i128::from(stb.den) * i128::from(otb.num) * micro;
                Ticks(((2 * num + den) / (2 * den)) as i64)
            }
            (None, None, None) => (s.end_pts - s.in_pts)
                .rescale(s.source().time_base, tb)
                .max(Ticks(1)),
        };
        if s.played < Ticks(1) {
            return Err(bad("it would be shorter than one output frame".into()));
        }
        s.len = s.played + s.retime.freeze.map_or(Ticks::ZERO, ticks);
    }
    for i in 0..shots.len().saturating_sub(1) {
        let tr = shots[i].transition;
        let Some(d) = tr.duration() else { continue };
        let d = ticks(d);
        if d < Ticks(1) {
            return Err(Error::bad_input(
                Path::new(&shots[i].content.describe()),
                format!(
                    "the {} into the next shot is shorter than one output frame",
                    tr.kind()
                ),
            )
            .of_shot(i));
        }
        let (tail, head) = match tr {
            Transition::Fade { .. } => {
                let half = Ticks(d.0 / 2);
                (Edge::Fade(half), Edge::Fade(d - half))
            }
            _ => (Edge::Crossfade(d), Edge::Crossfade(d)),
        };
        shots[i].tail = tail;
        shots[i].transition_ticks = d;
        shots[i + 1].head = head;
    }
    let secs = |v: Ticks| tb.secs(v);
    let mut start = Ticks::ZERO;
    for (i, s) in shots.iter_mut().enumerate() {
        if s.head.ticks() + s.tail.ticks() > s.len {
            return Err(Error::bad_input(
                Path::new(&s.content.describe()),
                format!(
                    "lasts {:.3} s, too short for its transitions ({:.3} s in, {:.3} s out)",
                    secs(s.len),
                    secs(s.head.ticks()),
                    secs(s.tail.ticks())
                ),
            )
            .of_shot(i));
        }
        s.start = start;
        start += s.len;
        if let Edge::Crossfade(d) = s.tail {
            start -= d;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_prefers_the_closer_then_the_later_bound() {
        let b = [Ticks(0), Ticks(512), Ticks(1024)];
        let n = |t| nearest(&b, Ticks(t)).0;
        assert_eq!(n(0), 0);
        assert_eq!(n(255), 0);
        assert_eq!(n(256), 512);
        assert_eq!(n(700), 512);
        assert_eq!(n(5000), 1024);
        assert_eq!(n(-3), 0);
    }

    #[test]
    fn gcd_and_common_base() {
        assert_eq!(gcd(15360, 12800), 2560);
    }
}
