//! The pictures of colour and text cards, made once per card at the output size: a flat
//! BT.709 limited-range colour, and text drawn on it by the captions' renderer (an ASS script
//! through libass with the shipped font, [`crate::captions::font`]: no system font lookup, the
//! same pixels on every machine, the same style keys as captions and text overlays).

use super::plan::{Content, Edge, Plan, PlannedShot};
use crate::captions::cards::{Given, Ramp, ShownCard};
use crate::captions::layout::Canvas;
use crate::captions::style::{Style, TextOverlay};
use crate::captions::{ass, font, Captions};
use crate::error::{Error, Result, Several};
use crate::picture::rgb::Rgb;
use crate::time::{Ticks, TimeBase};
use crate::timeline::look::Look;
use crate::timeline::{Footage, Shot, NANOS};
use cutroom_ffi::{Pixel, Rational, VideoFilter, VideoFrame};
use std::path::Path;

/// The picture of a colour or text card, `width`x`height`, `yuv420p`.
pub fn picture(card: &Footage, width: u32, height: u32) -> Result<VideoFrame> {
    match card {
        Footage::Color(c) => Ok(filled(*c, width, height)),
        Footage::Text {
            text,
            style,
            background,
        } => text_card(text, style, filled(*background, width, height)),
        Footage::File(p) => Err(Error::Internal(format!(
            "{} is a file, not a card",
            p.display()
        ))),
    }
}

/// Check that every text card of `plan` fits its frame (the target's size) at the smallest
/// readable size, before any picture is made: an error naming each shot that does not and its
/// card.
pub fn check(plan: &Plan) -> Result<()> {
    let (w, h) = (plan.target.width, plan.target.height);
    let errors = plan
        .shots
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &s.content {
            Content::Card(Footage::Text { text, style, .. }) => {
                fitted(text, style, &Canvas::bare(w, h))
                    .err()
                    .map(|e| e.of_shot(i))
            }
            _ => None,
        });
    Error::all(Several::Inputs, errors.collect())
}

/// The warnings about the text cards among `shots` (of the edit spec `spec`) holding
/// characters the shipped font cannot draw (Hangul, emoji), each naming the spec and the shot.
pub fn undrawable(spec: &Path, shots: &[Shot]) -> Vec<String> {
    let at = |i: usize| format!("{}: shot {}", spec.display(), i + 1);
    let cards = shots.iter().enumerate();
    cards
        .filter_map(|(i, s)| font::warning(&at(i), s.text.as_deref()?))
        .collect()
}

/// The colour and text cards of `plan` as they show on its timeline, for deliverables of
/// another shape to draw again at their own ([`ShownCard`]), each named by its shot.
pub fn shown(plan: &Plan) -> Vec<ShownCard> {
    let ns = |t: Ticks| t.rescale(plan.target.time_base, TimeBase::NANOS).0;
    let ramp = |e: Edge| match e {
        Edge::Cut => Ramp::Cut,
        Edge::Crossfade(d) => Ramp::Blend(ns(d)),
        Edge::Fade(d) => Ramp::Black(ns(d)),
    };
    let card = |(i, s): (usize, &PlannedShot)| {
        let (text, look, background) = match &s.content {
            Content::Card(Footage::Color(c)) => (String::new(), Look::default(), *c),
            Content::Card(Footage::Text {
                text,
                style,
                background,
            }) => (text.clone(), style.clone(), *background),
            _ => return None,
        };
        Some(ShownCard {
            what: Given::Shot(i + 1),
            text,
            look,
            background,
            start: ns(s.start),
            end: ns(s.end()),
            head: ramp(s.head),
            tail: ramp(s.tail),
        })
    };
    plan.shots.iter().enumerate().filter_map(card).collect()
}

/// The error of a text card of `text` that does not fit its frame (`reason`): the card's bad
/// input, `text card "Thanks for...": reason`, which the caller names by its shot (in its
/// spec) or option.
pub fn unfit(text: &str, reason: impl Into<String>) -> Error {
    let card = format!("text card {}", ass::quoted(text));
    Error::bad_input(Path::new(&card), reason)
}

/// A frame of one colour.
fn filled(c: Rgb, width: u32, height: u32) -> VideoFrame {
    let mut f = VideoFrame::new(Pixel::Yuv420p, width, height);
    for (p, v) in c.bt709().iter().enumerate() {
        f.plane_mut(p).fill(*v);
    }
    f
}

/// The text overlay of a text card of `text` in `style` on `canvas` (its one frame, at 0), or
/// an error naming the card when its text does not fit the frame at the smallest readable size.
fn fitted(text: &str, style: &Look, canvas: &Canvas) -> Result<TextOverlay> {
    ass::card_text(text, style, canvas, (0, NANOS), canvas.card_rows(None))
        .map_err(|e| unfit(text, e))
}

/// `text` drawn centred on `base` in `style`, through a one-event ASS script in a temporary
/// directory (with the font) that is removed when done ([`fitted`]).
fn text_card(text: &str, style: &Look, base: VideoFrame) -> Result<VideoFrame> {
    let (w, h) = (base.width(), base.height());
    let canvas = Canvas::bare(w, h);
    let overlay = fitted(text, style, &canvas)?;
    let dir = tempfile::tempdir().map_err(Error::work_dir)?;
    font::install(dir.path())?;
    // One frame a second, the card's one frame at 0.
    let rate = Rational::new(1, 1);
    let script = ass::script(
        &canvas,
        rate,
        &Style::default(),
        &Captions::default(),
        &[overlay],
        &[],
        NANOS,
    )
    .expect("one text overlay meets nothing");
    let path = dir.path().join("card.ass");
    std::fs::write(&path, script.text).map_err(|e| Error::io(&path, e))?;
    let spec = ass::filter(&path, dir.path());
    let mut f = VideoFilter::new(&spec, w, h, "yuv420p", rate.invert(), Pixel::Yuv420p)?;
    let mut base = base;
    base.set_pts(Some(0));
    f.push(&base)?;
    f.pull()?.ok_or_else(|| {
        Error::Media(cutroom_ffi::Error::Ffmpeg {
            op: "text card".into(),
            reason: "the ass filter returned no frame".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The box (x0, y0, x1, y1) of the pixels of `f` whose luma is over 128.
    fn bright_box(f: &VideoFrame) -> Option<(u32, u32, u32, u32)> {
        let (w, stride) = (f.width() as usize, f.stride(0));
        let luma = f.plane(0);
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..f.height() as usize {
            for x in 0..w {
                if luma[y * stride + x] > 128 {
                    let (x, y) = (x as u32, y as u32);
                    b = Some(b.map_or((x, y, x, y), |(a, c, d, e)| {
                        (a.min(x), c.min(y), d.max(x), e.max(y))
                    }));
                }
            }
        }
        b
    }

    #[test]
    fn card_text_is_centred_and_a_long_word_or_paragraph_stays_inside_the_frame() {
        let card = |text: &str| Footage::Text {
            text: text.into(),
            style: Look::default(),
            background: Rgb::BLACK,
        };
        let f = picture(&card("Thanks"), 360, 640).unwrap();
        let (x0, y0, x1, y1) = bright_box(&f).expect("white letters");
        assert!(
            (x0 + x1).abs_diff(360) <= 8 && (y0 + y1).abs_diff(640) <= 16,
            "{x0} {y0} {x1} {y1}"
        );
        let f = picture(&card("Supercalifragilisticexpialidocious"), 360, 640).unwrap();
        let (x0, _, x1, _) = bright_box(&f).expect("white letters");
        assert!(x0 > 0 && x1 < 359, "the word runs off the frame: {x0}-{x1}");
        // A paragraph taller than the frame at its size is drawn smaller, all of it inside.
        let words = "Thanks for watching this whole trailer. Tickets are on sale now at every \
                     cinema near you, and the soundtrack is out on all the usual places this \
                     Friday. Follow us for more clips and stories from the set.";
        let f = picture(&card(words), 360, 640).unwrap();
        let (_, y0, _, y1) = bright_box(&f).expect("white letters");
        assert!(
            y0 > 16 && y1 < 624,
            "the text runs off the frame: rows {y0}-{y1}"
        );
        // Twenty times that would only fit unreadably small: refused, its start quoted.
        let Err(e) = picture(&card(&words.repeat(20)), 360, 640) else {
            panic!("a card of 4 kB of text drawn");
        };
        let e = e.to_string();
        assert!(
            e.starts_with("text card \"Thanks for watching this whole")
                && e.contains("...\": its ")
                && e.contains("smallest readable size (0.019 of the frame height"),
            "{e}"
        );
    }
}
