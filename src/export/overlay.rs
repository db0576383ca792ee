//! Burning captions, text overlays and a logo into an export's outputs: per encode, an ASS
//! script (laid out for its frame and clear of its outputs' UI zones) drawn by libass with the
//! shipped font only, and the logo laid over it; both appended to the branch's filter graph.

use crate::captions::cards::Given;
use crate::captions::layout::Canvas;
use crate::captions::style::{Logo, Overlays};
use crate::captions::{ass, font, Captions, Cue};
use crate::cleanup;
use crate::error::{Error, Result};
use crate::specfile;
use crate::timeline::NANOS;
use cutroom_ffi::Rational;
use std::path::{Path, PathBuf};

/// The private directory holding the font and the scripts while an export runs.
pub(super) struct Burn<'a> {
    dir: tempfile::TempDir,
    _live: cleanup::Live,
    captions: &'a Captions,
    overlays: &'a Overlays,
    /// The logo's copy in `dir` (its own name may not pass through a filter graph: a name
    /// that is not UTF-8, or whose colon FFmpeg takes for a protocol) and its size in pixels.
    logo: Option<(PathBuf, (u32, u32))>,
}

/// One output frame of an encode: size, rate, length and the UI zones of all its outputs.
pub(super) struct Frame {
    pub canvas: Canvas,
    pub rate: Rational,
    /// Length in frames.
    pub frames: u64,
}

impl<'a> Burn<'a> {
    /// `None` when there is nothing to burn in.
    pub fn new(captions: &'a Captions, overlays: &'a Overlays) -> Result<Option<Self>> {
        if captions.cues.is_empty() && !overlays.any() {
            return Ok(None);
        }
        let tmp = std::env::temp_dir();
        let prefix = format!(".cutroom-burn-{}-", std::process::id());
        let live = cleanup::Live::names(&tmp, &prefix);
        let dir = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&tmp)
            .map_err(Error::work_dir)?;
        let fonts = dir.path().join("fonts");
        std::fs::create_dir(&fonts).map_err(|e| Error::io(&fonts, e))?;
        font::install(&fonts)?;
        // Checked: a logo has its image ([`Overlays::check`]).
        let logo = match overlays.logo.as_ref().and_then(|l| l.file.as_ref()) {
            Some(file) => {
                let size = crate::fetch::check::image_size(file)?;
                let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("png");
                let copy = dir.path().join(format!("logo.{ext}"));
                std::fs::copy(file, &copy).map_err(|e| Error::io(file, e))?;
                Some((copy, size))
            }
            None => None,
        };
        Ok(Some(Self {
            dir,
            _live: live,
            captions,
            overlays,
            logo,
        }))
    }

    /// The filters to append to encode `job`'s graph (a chain continuing its last filter),
    /// and the warnings about its text overlays (see [`ass::script`]), naming the file they
    /// are in.
    pub fn graph(&self, job: usize, f: &Frame) -> Result<(String, Vec<String>)> {
        let ns = ass::frame_time(f.frames as i64, f.rate, crate::timeline::NANOS);
        let file = self.overlays.file.as_deref().map(Path::display);
        let named = |w: String| match &file {
            Some(file) => format!("{file}: {w}"),
            None => w,
        };
        // Bad input, naming the overlays file; without one, the option the refused thing came
        // from (the captions in their default style are `--captions`'s, the logo `--logo`'s).
        let from = |option: &'static str| {
            let file = self.overlays.file.as_deref();
            move |w: String| Error::bad_input(file.unwrap_or(Path::new(option)), w)
        };
        let (refused, logo_refused) = (from("--captions"), from("--logo"));
        let script = ass::script(
            &f.canvas,
            f.rate,
            &self.overlays.captions,
            self.captions,
            &self.overlays.text,
            &self.overlays.cards,
            ns,
        )
        .map_err(|e| match e {
            ass::Unfit::Overlays(e) => refused(e),
            ass::Unfit::Card(i, e) => {
                // Named as concat names a card that does not fit the cut's frame.
                let card = &self.overlays.cards[i];
                let e = crate::concat::card::unfit(&card.text, e);
                match (card.what, &self.overlays.file) {
                    // In a cut, the overlays' file is its spec.
                    (Given::Shot(n), Some(spec)) => specfile::in_spec(spec, e.of_shot(n - 1)),
                    (what, _) => e.context(what.to_string()),
                }
            }
        })?;
        let path = self.dir.path().join(format!("encode{job}.ass"));
        std::fs::write(&path, &script.text).map_err(|e| Error::io(&path, e))?;
        let mut g = ass::filter(&path, &self.dir.path().join("fonts"));
        let mut warnings = script.warnings;
        if let (Some(logo), Some((copy, size))) = (&self.overlays.logo, &self.logo) {
            // The logo keeps clear of the captions and of the text overlays shown with it, as
            // of the UI zones.
            let mut canvas = f.canvas.clone();
            let (first, last) = logo_frames(logo, f);
            let mut texts: Vec<ass::ShownText> = (script.texts.iter())
                .filter(|t| t.frames.0 <= last && t.frames.1 > first)
                .cloned()
                .collect();
            if !self.captions.cues.is_empty() {
                let style = &self.overlays.captions;
                let lines = f64::from(style.max_lines) * self.captions.line_height();
                let zone = canvas.caption_zone(style, lines);
                canvas.zones.push(zone);
                let frame = |t: i64| ass::frame_at(t, f.rate);
                let shown = |c: &&Cue| frame(c.start) <= last && frame(c.end) > first;
                if let Some(c) = self.captions.cues.iter().find(shown) {
                    texts.push(ass::ShownText {
                        what: "the captions".into(),
                        frames: (frame(c.start), frame(c.end)),
                        zone,
                    });
                }
            }
            let boxes: Vec<[f64; 4]> = texts.iter().map(|t| t.zone).collect();
            let (graph, at, drawn) = logo_graph(logo, (copy, *size), (&canvas, &boxes), f)?;
            if at[2] > 1.0 + 1e-6 || at[3] > 1.0 + 1e-6 {
                let px = |v: f64, n: u32| (v * f64::from(n)).round();
                return Err(logo_refused(format!(
                    "the logo at x = {}, y = {} ({}x{} pixels) runs off the {}x{} output: give x \
                     and y so it ends inside the frame",
                    at[0],
                    at[1],
                    px(at[2] - at[0], canvas.width),
                    px(at[3] - at[1], canvas.height),
                    canvas.width,
                    canvas.height
                )));
            }
            let meets = |z: &[f64; 4]| at[0] < z[2] && at[2] > z[0] && at[1] < z[3] && at[3] > z[1];
            if let Some(t) = texts.iter().find(|t| meets(&t.zone)) {
                let (w, h) = (canvas.width, canvas.height);
                return Err(logo_refused(match (logo.x, logo.y) {
                    (Some(x), Some(y)) => format!(
                        "the logo at x = {x}, y = {y} covers {} on the {w}x{h} output: move it, \
                         make it smaller, give it a corner or show them at different times",
                        t.what
                    ),
                    _ => format!(
                        "the logo and {} are shown together and no place on the {w}x{h} output \
                         keeps them apart: make the logo smaller, move it or show them at \
                         different times",
                        t.what
                    ),
                }));
            }
            g.push_str(&graph);
            let file = logo.file.as_deref().unwrap_or(copy);
            warnings.extend(enlarged(file, *size, drawn, &canvas));
            // A logo placed by x and y stays where asked, even under the platform's UI.
            if let (Some(x), Some(y), true) = (logo.x, logo.y, f.canvas.zones.iter().any(meets)) {
                warnings.push(format!(
                    "the logo at x = {x}, y = {y} is under a UI zone of the {}x{} output, where \
                     the platform's buttons or text cover it: give it a corner, or x and y \
                     clear of the zones (--safe-zones draws them)",
                    canvas.width, canvas.height
                ));
            }
        }
        Ok((g, warnings.into_iter().map(named).collect()))
    }
}

/// Refuse a text overlay or logo that no frame of a `frames`-frame output at `rate` would show:
/// one starting at or after the output's end, or ending at or before its start (a typo in its
/// times, never silently nothing).
pub(super) fn check_times(
    overlays: &Overlays,
    frames: u64,
    rate: Rational,
) -> std::result::Result<(), String> {
    let texts = overlays.text.iter().enumerate();
    let timed = texts
        .map(|(i, t)| (specfile::entry("text", i), t.start, t.end))
        .chain(
            overlays
                .logo
                .iter()
                .map(|l| ("logo".into(), l.start, l.end)),
        );
    let secs = |ns: i64| format!("{:.3} s", ns as f64 / NANOS as f64);
    for (what, start, end) in timed {
        let a = start.map_or(0, |t| ass::spec_ns(t, rate));
        if let Some(b) = end.map(|t| ass::spec_ns(t, rate)).filter(|&b| b <= a) {
            return Err(format!(
                "{what} ends at {}, not after it starts ({})",
                secs(b),
                secs(a)
            ));
        }
        if ass::frame_at(a, rate) >= frames as i64 {
            let total = ass::frame_time(frames as i64, rate, NANOS);
            return Err(format!(
                "{what} starts at {}, past the end of the output ({})",
                secs(a),
                secs(total)
            ));
        }
    }
    Ok(())
}

/// The logo's first and last frame (inclusive) on frame `f`'s output.
fn logo_frames(logo: &Logo, f: &Frame) -> (i64, i64) {
    let first = logo
        .start
        .map_or(0, |t| ass::frame_at(ass::spec_ns(t, f.rate), f.rate));
    let last = logo.end.map_or(f.frames as i64, |t| {
        ass::frame_at(ass::spec_ns(t, f.rate), f.rate)
    }) - 1;
    (first, last)
}

/// `[base]` overlaid with the logo (read from `file`, its copy, `iw`x`ih` pixels), scaled, faded to its opacity,
/// placed on `canvas` (frame `f`'s, with any more zones to keep clear of) clear of the text
/// `boxes` and timed; the box it covers (`[x0, y0, x1, y1]` fractions) and its drawn size in
/// pixels.
fn logo_graph(
    logo: &Logo,
    (file, (iw, ih)): (&Path, (u32, u32)),
    (canvas, boxes): (&Canvas, &[[f64; 4]]),
    f: &Frame,
) -> Result<(String, [f64; 4], (u32, u32))> {
    let (w, h) = (f64::from(canvas.width), f64::from(canvas.height));
    let aspect = f64::from(ih) / f64::from(iw.max(1));
    // No higher than the room between the top and bottom UI zones: a tall image at its width
    // would cover them, or the whole frame.
    let room = (canvas.bottom_limit() - canvas.top_limit()) * h - 2.0 * logo.margin * w;
    let lw = even((logo.width * w).min(room / aspect).max(2.0).round() as u32);
    let lh = even((f64::from(lw) * aspect).round().max(2.0) as u32);
    let (x, y) = match (logo.x, logo.y) {
        (Some(x), Some(y)) => ((x * w).round() as u32, (y * h).round() as u32),
        _ => corner(canvas, boxes, (&logo.corner, logo.margin), lw, lh),
    };
    let (first, last) = logo_frames(logo, f);
    let at = [
        f64::from(x) / w,
        f64::from(y) / h,
        f64::from(x + lw) / w,
        f64::from(y + lh) / h,
    ];
    Ok((
        format!(
            "[base];movie=filename={},format=rgba,scale={lw}:{lh},colorchannelmixer=aa={:.3}[logo];[base][logo]overlay=x={x}:y={y}:enable='between(n,{first},{last})'",
            ass::graph_arg(file),
            logo.opacity
        ),
        at,
        (lw, lh),
    ))
}

/// The most a logo is enlarged before it looks soft: past it, its edges and letters blur.
const SHARP_SCALE: f64 = 1.5;

/// The warning about a logo (`file`, `size` pixels) drawn `drawn` pixels on `canvas`, more than
/// [`SHARP_SCALE`] times its own size: the size an image must have to be sharp there, and the
/// largest this one is drawn sharp at (and the `[logo] width` that draws it so).
fn enlarged(file: &Path, size: (u32, u32), drawn: (u32, u32), canvas: &Canvas) -> Option<String> {
    let scale = f64::from(drawn.0) / f64::from(size.0.max(1));
    if scale <= SHARP_SCALE {
        return None;
    }
    let at_most = |n: u32| (f64::from(n) * SHARP_SCALE).floor();
    let width = (at_most(size.0) / f64::from(canvas.width) * 1000.0).floor() / 1000.0;
    let key = match width >= 0.01 {
        true => format!(" ([logo] width = {width})"),
        false => String::new(),
    };
    Some(format!(
        "the logo {} ({}x{} pixels) is enlarged {scale:.1} times to {}x{} on the {}x{} output \
         and will look soft: give an image of {}x{} pixels or more, or draw this one at {}x{} \
         at most{key}",
        file.display(),
        size.0,
        size.1,
        drawn.0,
        drawn.1,
        canvas.width,
        canvas.height,
        drawn.0,
        drawn.1,
        at_most(size.0),
        at_most(size.1),
    ))
}

fn even(n: u32) -> u32 {
    (n + 1) & !1
}

/// The top-left of a `lw`x`lh` logo in `corner`, `margin` (of the width) from the frame's
/// edges, moved off any UI zone it would cover (down from a top zone, up from a bottom one,
/// in from a side rail) and off any text box of `texts` (down from the top corners, up from
/// the bottom ones).
pub(super) fn corner(
    c: &Canvas,
    texts: &[[f64; 4]],
    (corner, margin): (&str, f64),
    lw: u32,
    lh: u32,
) -> (u32, u32) {
    let (w, h) = (f64::from(c.width), f64::from(c.height));
    let (lw, lh) = (f64::from(lw), f64::from(lh));
    let m = margin * w;
    let top = corner.starts_with("top");
    let left = corner.ends_with("left");
    let mut x = if left { m } else { w - m - lw };
    let mut y = if top { m } else { h - m - lh };
    let zones = c.zones.iter().map(|z| (z, z[2] - z[0] >= 0.5));
    let zones: Vec<(&[f64; 4], bool)> = zones.chain(texts.iter().map(|z| (z, true))).collect();
    for _ in 0..2 * zones.len() {
        let hit = zones
            .iter()
            .find(|(z, _)| x < z[2] * w && x + lw > z[0] * w && y < z[3] * h && y + lh > z[1] * h);
        let Some((z, across)) = hit else { break };
        if *across {
            y = if top { z[3] * h + m } else { z[1] * h - m - lh };
        } else {
            x = if left {
                z[2] * w + m
            } else {
                z[0] * w - m - lw
            };
        }
    }
    let clamp = |v: f64, room: f64| v.clamp(0.0, room.max(0.0)).round() as u32;
    (clamp(x, w - lw), clamp(y, h - lh))
}

/// The sidecar paths of an output: `<stem>.<preset>.srt` and `.vtt` beside it.
pub(super) fn sidecars(target: &Path) -> [PathBuf; 2] {
    [target.with_extension("srt"), target.with_extension("vtt")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_top_right_logo_moves_below_tiktoks_top_bar() {
        let c = Canvas::tiktok();
        let (x, y) = corner(&c, &[], ("top-right", 0.04), 200, 100);
        assert_eq!(x, 1080 - 43 - 200);
        assert!(f64::from(y) >= 0.08 * 1920.0 + 43.0, "{y}");
        let (_, y) = corner(&c, &[], ("bottom-left", 0.04), 200, 100);
        assert!(f64::from(y + 100) <= 0.75 * 1920.0, "{y}");
    }
}
