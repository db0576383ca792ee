//! The pictures of colour and text cards, made once per card at the output size: a flat
//! BT.709 limited-range colour, and text drawn on it by the captions' renderer (an ASS script
//! through libass with the shipped font, [`crate::captions::font`]: no system font lookup, the
//! same pixels on every machine, the same style keys as captions and text overlays).

use crate::captions::layout::Canvas;
use crate::captions::style::{Style, TextOverlay};
use crate::captions::{ass, font, Captions};
use crate::error::{Error, Result};
use crate::picture::rgb::Rgb;
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

/// The warnings about the text cards among `shots` (of the edit spec `spec`) holding
/// characters the shipped font cannot draw (CJK, emoji), each naming the spec and the shot.
pub fn undrawable(spec: &Path, shots: &[Shot]) -> Vec<String> {
    let at = |i: usize| format!("{}: shot {}", spec.display(), i + 1);
    let cards = shots.iter().enumerate();
    cards
        .filter_map(|(i, s)| font::warning(&at(i), s.text.as_deref()?))
        .collect()
}

/// A frame of one colour.
fn filled(c: Rgb, width: u32, height: u32) -> VideoFrame {
    let mut f = VideoFrame::new(Pixel::Yuv420p, width, height);
    for (p, v) in c.bt709().iter().enumerate() {
        f.plane_mut(p).fill(*v);
    }
    f
}

/// A card's style as a text overlay's on a `width`x`height` frame: lines as long as 90 % of
/// the width holds at its size (libass wraps longer ones at spaces; a longer word is drawn
/// smaller, see [`ass::script`]).
fn overlay_style(s: &Look, width: u32, height: u32) -> Style {
    let per_line = Canvas::chars_across(f64::from(width), s.size * f64::from(height), s.bold);
    Style {
        look: s.clone(),
        max_lines: u32::MAX,
        max_chars: per_line,
        ..Style::default()
    }
}

/// `text` drawn centred on `base` in `style`, through a one-event ASS script in a temporary
/// directory (with the font) that is removed when done.
fn text_card(text: &str, style: &Look, base: VideoFrame) -> Result<VideoFrame> {
    let dir = tempfile::tempdir().map_err(Error::work_dir)?;
    font::install(dir.path())?;
    let (w, h) = (base.width(), base.height());
    let canvas = Canvas {
        width: w,
        height: h,
        zones: Vec::new(),
    };
    let overlay = TextOverlay {
        text: text.to_string(),
        start: None,
        end: None,
        position: "center".into(),
        style: overlay_style(style, w, h),
    };
    // One frame a second, the card's one frame at 0.
    let rate = Rational::new(1, 1);
    let script = ass::script(
        &canvas,
        rate,
        &Style::default(),
        &Captions::default(),
        &[overlay],
        NANOS,
    );
    let path = dir.path().join("card.ass");
    std::fs::write(&path, script).map_err(|e| Error::io(&path, e))?;
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
    fn card_text_is_centred_and_a_word_too_long_for_the_frame_is_drawn_smaller() {
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
    }
}
