//! The one font captions and text overlays are drawn with: DejaVu Sans (regular and bold,
//! `assets/fonts/`, licence beside it), compiled in and written to a private directory that
//! libass is given as its only font directory, so every machine draws the same pixels.

use crate::error::{Error, Result};
use std::path::Path;
use std::sync::OnceLock;

/// The family name scripts ask for.
pub const FAMILY: &str = "DejaVu Sans";

const FILES: [(&str, &[u8]); 2] = [
    (
        "DejaVuSans.ttf",
        include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
    ),
    (
        "DejaVuSans-Bold.ttf",
        include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
    ),
];

/// The regular face's file in a directory [`install`] wrote.
pub fn regular(dir: &Path) -> std::path::PathBuf {
    dir.join(FILES[0].0)
}

/// Write the font files into `dir` (which exists).
pub fn install(dir: &Path) -> Result<()> {
    for (name, bytes) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}

/// The shipped faces, parsed once: regular, bold.
fn faces() -> &'static [ttf_parser::Face<'static>] {
    static FACES: OnceLock<Vec<ttf_parser::Face<'static>>> = OnceLock::new();
    FACES.get_or_init(|| {
        FILES
            .iter()
            .map(|(_, bytes)| ttf_parser::Face::parse(bytes, 0).expect("the shipped font parses"))
            .collect()
    })
}

/// Spaces, controls and the invisible format characters (joiners, direction marks, variation
/// selectors): never missing, never wide.
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{fe00}'..='\u{fe0f}' | '\u{feff}')
}

/// The characters of `text` that neither shipped face has a glyph for, each once in order of
/// appearance: libass draws them as empty boxes unless a system font has them (CJK, emoji).
/// Spaces, controls and the invisible format characters are never missing.
pub fn missing(text: &str) -> Vec<char> {
    let faces = faces();
    let mut out = Vec::new();
    for c in text.chars() {
        if !invisible(c) && !out.contains(&c) && faces.iter().all(|f| f.glyph_index(c).is_none()) {
            out.push(c);
        }
    }
    out
}

/// The warning about the characters of `text` neither shipped face has a glyph for (see
/// [`missing`]), naming where they are (`at`: the file and its line or entry) and listing them;
/// `None` when there are none. The one wording for captions, text overlays and text cards.
pub fn warning(at: &str, text: &str) -> Option<String> {
    let chars = missing(text);
    let shown: String = chars.iter().take(8).flat_map(|&c| [c, ' ']).collect();
    (!chars.is_empty()).then(|| {
        format!(
            "{at}: {} character(s) the caption font ({FAMILY}) has no glyph for, drawn as empty \
             boxes unless a system font has them: {}{}",
            chars.len(),
            shown.trim_end(),
            if chars.len() > 8 { " ..." } else { "" }
        )
    })
}

/// How many characters of `text` take room on a line, as `max_chars` counts them: combining
/// marks (accents typed after their letter, Hebrew points, Arabic vowels), which the shipped
/// face draws over the letter before them, and invisible characters do not count, so `Tiếng`
/// is five typed either way.
pub fn letters(text: &str) -> usize {
    let face = &faces()[0];
    let marks = |c: char| {
        face.glyph_index(c)
            .is_some_and(|g| face.glyph_hor_advance(g) == Some(0))
    };
    text.chars()
        .filter(|&c| c == ' ' || !(invisible(c) || marks(c)))
        .count()
}

/// How wide `text` is drawn on one line, as a fraction of the font size (libass's: the face's
/// ascender to descender, the line height): the advances of the face it is drawn with (`bold`
/// or regular, else the other), a character neither has counted one em (CJK is about that wide
/// in the system font that draws it). Kerning only narrows a line, so a line measured to fit
/// does.
pub fn width(text: &str, bold: bool) -> f64 {
    let faces = faces();
    let face = &faces[usize::from(bold)];
    let height = f64::from(face.ascender()) - f64::from(face.descender());
    let units: f64 = text
        .chars()
        .filter(|&c| c == ' ' || !invisible(c))
        .map(|c| {
            let drawn = [face, &faces[usize::from(!bold)]]
                .into_iter()
                .find_map(|f| Some((f, f.glyph_index(c)?)));
            match drawn {
                Some((f, g)) => f64::from(f.glyph_hor_advance(g).unwrap_or(0)),
                None => f64::from(face.units_per_em()),
            }
        })
        .sum();
    units / height
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_and_emoji_are_missing_latin_arabic_and_hebrew_are_not() {
        assert_eq!(missing("Caf\u{e9} \u{645}\u{631}\u{62d}\u{628}\u{627} \u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{200f}!"), Vec::<char>::new());
        assert_eq!(
            missing("Hi \u{4eca}\u{65e5} \u{1f525}\u{fe0f}\u{4eca}"),
            ['\u{4eca}', '\u{65e5}', '\u{1f525}']
        );
    }

    #[test]
    fn combining_marks_are_not_letters_of_their_own() {
        // Vietnamese with its accents typed after the letter, and as one character each;
        // Hebrew with points, Arabic with vowels; a joiner.
        assert_eq!(letters("Tie\u{302}\u{301}ng Vie\u{323}\u{302}t"), 10);
        assert_eq!(letters("Ti\u{1ebf}ng Vi\u{1ec7}t"), 10);
        assert_eq!(
            letters("\u{5e9}\u{5c1}\u{5b8}\u{5dc}\u{5d5}\u{5b9}\u{5dd}"),
            4
        );
        assert_eq!(
            letters("\u{645}\u{64e}\u{631}\u{652}\u{62d}\u{64e}\u{628}\u{64b}\u{627}"),
            5
        );
        assert_eq!(letters("a\u{200d}b c"), 4);
    }

    #[test]
    fn capitals_are_wider_than_small_letters_and_bold_than_regular() {
        // DejaVu Sans: 'm' advances 1995 of 2048 units to the em, the em 2048 of 2384 to the
        // line height.
        assert!((width("m", false) - 1995.0 / 2384.0).abs() < 1e-9);
        assert!(width("WWWW", false) > 1.5 * width("iiii", false));
        assert!(width("SHOUT", true) > width("SHOUT", false));
        assert_eq!(width("\u{4eca}", false), 2048.0 / 2384.0);
    }
}
