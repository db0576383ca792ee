//! The pictures of colour and text cards, made once per card at the output size: a flat
//! BT.709 limited-range colour, and text drawn on it by FFmpeg's `drawtext` with the captions'
//! shipped font ([`crate::captions::font`]: no system font lookup, the same pixels on every
//! machine).

use crate::captions::font;
use crate::error::{Error, Result};
use crate::timeline::{Footage, Rgb};
use cutroom_ffi::{Pixel, Rational, VideoFilter, VideoFrame};

/// The picture of a colour or text card, `width`x`height`, `yuv420p`.
pub fn picture(card: &Footage, width: u32, height: u32) -> Result<VideoFrame> {
    match card {
        Footage::Color(c) => Ok(filled(*c, width, height)),
        Footage::Text {
            text,
            color,
            size,
            background,
        } => text_card(text, *color, *size, filled(*background, width, height)),
        Footage::File(p) => Err(Error::Internal(format!(
            "{} is a file, not a card",
            p.display()
        ))),
    }
}

/// A frame of one colour.
fn filled(c: Rgb, width: u32, height: u32) -> VideoFrame {
    let mut f = VideoFrame::new(Pixel::Yuv420p, width, height);
    for (p, v) in c.bt709().iter().enumerate() {
        f.plane_mut(p).fill(*v);
    }
    f
}

/// Average advance of a DejaVu Sans letter, in letter heights (font size), rounded up: enough
/// to keep lines inside the frame.
const ADVANCE: f64 = 0.62;

/// The lines of `text` for a frame `width` wide at letter height `px`: words wrapped so each
/// line fits 90 % of the width, and the letters made smaller if a single word does not fit.
fn layout(text: &str, width: u32, px: u32) -> (Vec<String>, u32) {
    let room = f64::from(width) * 0.9;
    let longest_word = text.split_whitespace().map(|w| w.chars().count()).max();
    let px = match longest_word {
        Some(n) if n as f64 * ADVANCE * f64::from(px) > room => {
            ((room / (n as f64 * ADVANCE)).floor() as u32).max(4)
        }
        _ => px,
    };
    let per_line = ((room / (ADVANCE * f64::from(px))).floor() as usize).max(1);
    let mut lines = Vec::new();
    for given in text.lines() {
        let mut line = String::new();
        for word in given.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > per_line {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    (lines, px)
}

/// `text` drawn on `base`: each line centred, the block centred, letters `size` of the frame
/// height tall (wrapped or made smaller to stay inside the frame, see [`layout`]). The font and the lines go to a temporary directory for `drawtext` to read (so
/// no text needs escaping), removed when done.
fn text_card(text: &str, color: Rgb, size: f64, base: VideoFrame) -> Result<VideoFrame> {
    let dir = tempfile::tempdir().map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    let write = |name: &str, data: &[u8]| -> Result<String> {
        let path = dir.path().join(name);
        std::fs::write(&path, data).map_err(|e| Error::io(&path, e))?;
        Ok(path.display().to_string())
    };
    font::install(dir.path())?;
    let font = font::regular(dir.path()).display().to_string();
    let (w, h) = (base.width(), base.height());
    let (lines, px) = layout(text, w, ((f64::from(h) * size).round() as u32).max(4));
    // Lines are 1.25 letter heights apart; the block is centred as a whole.
    let pitch = px * 5 / 4;
    let top = (i64::from(h) - i64::from(pitch) * lines.len() as i64) / 2;
    let mut graph = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let file = write(&format!("line{i}.txt"), line.as_bytes())?;

        graph.push(format!(
            "drawtext=fontfile='{font}':textfile='{file}':expansion=none:fontsize={px}:\
             fontcolor={}:x=(w-text_w)/2:y={}",
            color.ffmpeg(),
            top + i64::from(pitch) * i as i64 + i64::from(pitch - px) / 2
        ));
    }
    let spec = graph.join(",");
    let mut f = VideoFilter::new(&spec, w, h, "yuv420p", Rational::new(1, 1), Pixel::Yuv420p)?;
    let mut base = base;
    base.set_pts(Some(0));
    f.push(&base)?;
    f.pull()?.ok_or_else(|| {
        Error::Media(cutroom_ffi::Error::Ffmpeg {
            op: "text card".into(),
            reason: "drawtext returned no frame".into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_and_long_words_shrink() {
        let (lines, px) = layout("Thanks for watching\nSee you", 360, 51);
        assert_eq!(px, 51);
        assert_eq!(lines, ["Thanks for", "watching", "See you"]);
        let (lines, px) = layout("Supercalifragilistic", 360, 51);
        assert_eq!(lines, ["Supercalifragilistic"]);
        assert!(20.0 * ADVANCE * f64::from(px) <= 324.0, "{px}");
        let (lines, _) = layout("a\n\nb", 1920, 80);
        assert_eq!(lines, ["a", "", "b"]);
    }
}
