//! The one font captions and text overlays are drawn with: DejaVu Sans (regular and bold,
//! `assets/fonts/`, licence beside it), compiled in and written to a private directory that
//! libass is given as its only font directory, so every machine draws the same pixels. A script
//! it lacks is drawn with a named fallback font of a Debian package, read from where the
//! package installs it (see [`FALLBACKS`]), and written beside it.

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

/// A font for a script the shipped one has no letters for, from a Debian package (`make deps`
/// installs it): libass finds no system font in a bare container and draws empty boxes.
pub struct Fallback {
    /// The script, as a warning names it.
    pub script: &'static str,
    /// Its letters (Unicode blocks).
    pub letters: &'static [std::ops::RangeInclusive<char>],
    /// The font's family name, which the script asks for around those letters.
    pub family: &'static str,
    /// The Debian package installing it.
    pub package: &'static str,
    /// Its regular and bold faces, where the package installs them (the regular twice for a
    /// font without a bold face: libass then emboldens it).
    pub files: [&'static str; 2],
}

/// The fallback fonts, by script, read from the system, not compiled in: Thai from TLWG's Loma
/// (a sans serif; GPL with the font exception), Devanagari (Hindi, Marathi, Nepali) from Lohit
/// Devanagari (OFL; a regular face only), Japanese (kana, the kanji of JIS X 0208 and 0213,
/// CJK punctuation and full-width forms) from VL Gothic (BSD-style; a regular face only).
pub const FALLBACKS: [Fallback; 3] = [
    Fallback {
        script: "Thai",
        letters: &['\u{e00}'..='\u{e7f}'],
        family: "Loma",
        package: "fonts-tlwg-loma-ttf",
        files: [
            "/usr/share/fonts/truetype/tlwg/Loma.ttf",
            "/usr/share/fonts/truetype/tlwg/Loma-Bold.ttf",
        ],
    },
    Fallback {
        script: "Devanagari",
        letters: &['\u{900}'..='\u{97f}'],
        family: "Lohit Devanagari",
        package: "fonts-lohit-deva",
        files: [LOHIT_DEVANAGARI; 2],
    },
    Fallback {
        script: "Japanese",
        letters: JAPANESE,
        family: "VL Gothic",
        package: "fonts-vlgothic",
        files: [VL_GOTHIC; 2],
    },
];

/// The blocks of Japanese text: CJK punctuation, kana, enclosed and compatibility signs, the
/// ideographs (extension A, the unified block, compatibility ones, the supplementary planes)
/// and the full- and half-width forms.
pub const JAPANESE: &[std::ops::RangeInclusive<char>] = &[
    '\u{3000}'..='\u{30ff}',
    '\u{31f0}'..='\u{31ff}',
    '\u{3200}'..='\u{4dbf}',
    '\u{4e00}'..='\u{9fff}',
    '\u{f900}'..='\u{faff}',
    '\u{ff00}'..='\u{ffef}',
    '\u{20000}'..='\u{3134f}',
];

const VL_GOTHIC: &str = "/usr/share/fonts/truetype/vlgothic/VL-Gothic-Regular.ttf";

const LOHIT_DEVANAGARI: &str = "/usr/share/fonts/truetype/lohit-devanagari/Lohit-Devanagari.ttf";

/// The regular face's file in a directory [`install`] wrote.
pub fn regular(dir: &Path) -> std::path::PathBuf {
    dir.join(FILES[0].0)
}

/// Write the font files into `dir` (which exists): the shipped faces and every installed
/// fallback's.
pub fn install(dir: &Path) -> Result<()> {
    for (name, bytes) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    for (fallback, faces) in FALLBACKS.iter().zip(fallback_faces()) {
        if faces.is_some() {
            for file in fallback.files.map(Path::new) {
                let path = dir.join(file.file_name().expect("a file name"));
                std::fs::copy(file, &path).map_err(|e| Error::io(file, e))?;
            }
        }
    }
    Ok(())
}

/// A font's regular and bold faces.
type Pair = [ttf_parser::Face<'static>; 2];

/// Each fallback's faces, parsed once; `None` when its package is not installed.
fn fallback_faces() -> &'static [Option<Pair>] {
    static FACES: OnceLock<Vec<Option<Pair>>> = OnceLock::new();
    FACES.get_or_init(|| {
        let face = |file: &str| {
            let bytes: &'static [u8] = Vec::leak(std::fs::read(file).ok()?);
            ttf_parser::Face::parse(bytes, 0).ok()
        };
        FALLBACKS
            .iter()
            .map(|f| Some([face(f.files[0])?, face(f.files[1])?]))
            .collect()
    })
}

/// The fallback that draws `c`, which the shipped faces lack, and its faces when installed.
fn fallback(c: char) -> Option<(&'static Fallback, Option<&'static Pair>)> {
    let i = FALLBACKS
        .iter()
        .position(|f| f.letters.iter().any(|r| r.contains(&c)))?;
    Some((&FALLBACKS[i], fallback_faces()[i].as_ref()))
}

/// The face of `c` (`bold` or regular, else the other) among the shipped ones, then the
/// installed fallbacks', and its glyph.
fn drawn(c: char, bold: bool) -> Option<(&'static ttf_parser::Face<'static>, ttf_parser::GlyphId)> {
    let pick = |faces: &'static [ttf_parser::Face<'static>]| {
        [&faces[usize::from(bold)], &faces[usize::from(!bold)]]
            .into_iter()
            .find_map(|f| Some((f, f.glyph_index(c)?)))
    };
    pick(faces()).or_else(|| pick(fallback(c)?.1?))
}

/// `text` (made literal for an ASS event) with each run of letters the shipped faces lack but
/// an installed fallback has set in that fallback's family at the shipped font's em,
/// `{\fnFAMILY\fscxS\fscyS}...{\fn\fscx\fscy}` (see `scale`), so libass draws them with it
/// rather than looking for a system font, as large as the letters around them.
pub fn with_fallbacks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut current: Option<(&Fallback, &Pair)> = None;
    for c in text.chars() {
        let own = faces().iter().any(|f| f.glyph_index(c).is_some());
        let run = match fallback(c) {
            Some((f, Some(faces))) if !own => Some((f, faces)),
            // A space or an invisible mark inside a run stays in it.
            _ if current.is_some() && invisible(c) => current,
            _ => None,
        };
        let family = |r: Option<(&Fallback, &Pair)>| r.map(|(f, _)| f.family);
        if family(run) != family(current) {
            match run {
                Some((f, faces)) => {
                    let s = format!("{:.1}", 100.0 * scale(&faces[0]));
                    out.push_str(&format!("{{\\fn{}\\fscx{s}\\fscy{s}}}", f.family));
                }
                None => out.push_str(RESET),
            }
            current = run;
        }
        out.push(c);
    }
    if current.is_some() {
        out.push_str(RESET);
    }
    out
}

/// Back to the style's font and scale after a fallback's run.
const RESET: &str = "{\\fn\\fscx\\fscy}";

/// A face's ascender and descender (up from and down to the baseline), font units, as libass
/// reads them: Windows' (OS/2) when the face has them, else the horizontal header's. Their sum
/// is its line height: libass draws a font at the size that makes it the ASS font size (VL
/// Gothic's is 1.27 em; its typographic one, read before, 1.0).
fn extent(f: &ttf_parser::Face) -> (f64, f64) {
    // ttf-parser gives Windows' descender negated, as the header's.
    let win = f
        .tables()
        .os2
        .map(|t| (t.windows_ascender(), t.windows_descender()));
    let hhea = &f.tables().hhea;
    let (asc, desc) = match win {
        Some((a, d)) if a != d => (a, d),
        _ => (hhea.ascender, hhea.descender),
    };
    (f64::from(asc), -f64::from(desc))
}

/// A face's line height, font units ([`extent`]).
fn height(f: &ttf_parser::Face) -> f64 {
    let (asc, desc) = extent(f);
    asc + desc
}

/// The shipped font's em as a fraction of its line height (2048 / 2384), which every face is
/// drawn at.
fn em() -> f64 {
    let own = &faces()[0];
    f64::from(own.units_per_em()) / height(own)
}

/// How much larger than libass would draw it at the same font size fallback face `f` is drawn,
/// so its em is the shipped font's: libass sizes every font by its own line height, and Loma's
/// and Lohit Devanagari's are 1.59 em against DejaVu Sans's 1.164, so their letters came out at
/// 0.73 of the size of the Latin ones beside them (1.365 for Loma, 1.372 for Lohit
/// Devanagari, 1.091 for VL Gothic).
fn scale(f: &ttf_parser::Face) -> f64 {
    em() * height(f) / f64::from(f.units_per_em())
}

/// How tall a line holding `text` is drawn, in line heights of the shipped font (1 for text it
/// draws alone): from the highest ascender to the lowest descender of the faces drawing it,
/// each at the shipped font's em, as libass stacks lines (1.365 with Thai, 1.372 with
/// Devanagari: their marks above and below need the room).
pub fn line_height(text: &str) -> f64 {
    let mut used: Vec<&ttf_parser::Face> = vec![&faces()[0]];
    for c in text.chars().filter(|&c| !invisible(c)) {
        if let Some((f, _)) = drawn(c, false) {
            if !used.iter().any(|u| std::ptr::eq(*u, f)) {
                used.push(f);
            }
        }
    }
    let ems = |f: &&ttf_parser::Face| {
        let (asc, desc) = extent(f);
        let em = em() / f64::from(f.units_per_em());
        (asc * em, desc * em)
    };
    let asc = used.iter().map(|f| ems(f).0).fold(0.0, f64::max);
    let desc = used.iter().map(|f| ems(f).1).fold(0.0, f64::max);
    asc + desc
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

/// The characters of `text` that neither shipped face nor an installed fallback has a glyph
/// for, each once in order of appearance: libass draws them as empty boxes unless a system font
/// has them (Korean, emoji). Spaces, controls and the invisible format characters are never
/// missing.
pub fn missing(text: &str) -> Vec<char> {
    let mut out = Vec::new();
    for c in text.chars() {
        if !invisible(c) && !out.contains(&c) && drawn(c, false).is_none() {
            out.push(c);
        }
    }
    out
}

/// The warning about the characters of `text` no font here has a glyph for (see [`missing`]),
/// naming where they are (`at`: the file and its line or entry) and listing them, and the
/// package of a fallback font that would draw them when it is not installed (an installed one
/// lacking a letter, a rare kanji, is not); `None` when there are none. The one wording for
/// captions, text overlays and text cards.
pub fn warning(at: &str, text: &str) -> Option<String> {
    let chars = missing(text);
    let shown: String = chars.iter().take(8).flat_map(|&c| [c, ' ']).collect();
    let mut packages: Vec<String> = Vec::new();
    let absent = chars.iter().filter_map(|&c| fallback(c));
    for (f, _) in absent.filter(|(_, faces)| faces.is_none()) {
        let install = format!("; {} needs {} installed (make deps)", f.script, f.package);
        if !packages.contains(&install) {
            packages.push(install);
        }
    }
    (!chars.is_empty()).then(|| {
        format!(
            "{at}: {} character(s) the caption font ({FAMILY}) has no glyph for, drawn as empty \
             boxes unless a system font has them: {}{}{}",
            chars.len(),
            shown.trim_end(),
            if chars.len() > 8 { " ..." } else { "" },
            packages.concat()
        )
    })
}

/// How many characters of `text` take room on a line, as `max_chars` counts them: combining
/// marks (accents typed after their letter, Hebrew points, Arabic vowels), which the shipped
/// face draws over the letter before them, and invisible characters do not count, so `Tiếng`
/// is five typed either way.
pub fn letters(text: &str) -> usize {
    let marks = |c: char| drawn(c, false).is_some_and(|(f, g)| f.glyph_hor_advance(g) == Some(0));
    text.chars()
        .filter(|&c| c == ' ' || !(invisible(c) || marks(c)))
        .count()
}

/// How wide `text` is drawn on one line, as a fraction of the font size (libass's: the shipped
/// face's line height, see `extent`): the advances of the face it is drawn with (`bold` or
/// regular, else the other; a fallback's for its script), every face at the shipped font's em
/// (see `scale`), a character no face has counted one em (Hangul is about that wide in the system
/// font that draws it). Kerning only narrows a line, so a line measured to fit does.
pub fn width(text: &str, bold: bool) -> f64 {
    text.chars()
        .filter(|&c| c == ' ' || !invisible(c))
        .map(|c| match drawn(c, bold) {
            Some((f, g)) => {
                f64::from(f.glyph_hor_advance(g).unwrap_or(0)) / f64::from(f.units_per_em())
            }
            None => 1.0,
        })
        .sum::<f64>()
        * em()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hangul_and_emoji_are_missing_latin_arabic_and_hebrew_are_not() {
        assert_eq!(missing("Caf\u{e9} \u{645}\u{631}\u{62d}\u{628}\u{627} \u{5e9}\u{5dc}\u{5d5}\u{5dd} \u{200f}!"), Vec::<char>::new());
        assert_eq!(
            missing("Hi \u{d55c}\u{ad6d} \u{1f525}\u{fe0f}\u{d55c}"),
            ['\u{d55c}', '\u{ad6d}', '\u{1f525}']
        );
    }

    #[test]
    fn japanese_is_set_in_its_fallback_font() {
        // 今日は、カタカナ！: kanji, hiragana, katakana and full-width punctuation.
        let japanese = "\u{4eca}\u{65e5}\u{306f}\u{3001}\u{30ab}\u{30bf}\u{30ab}\u{30ca}\u{ff01}";
        assert!(
            missing(japanese).is_empty(),
            "Japanese needs fonts-vlgothic (make deps)"
        );
        assert_eq!(
            with_fallbacks(&format!("Hi {japanese}")),
            format!("Hi {{\\fnVL Gothic\\fscx109.1\\fscy109.1}}{japanese}{{\\fn\\fscx\\fscy}}")
        );
        assert_eq!(letters(japanese), 9);
        // Full-width: each as wide as a capital M or more.
        assert!(width("\u{4eca}", true) >= width("M", true));
        assert!(warning("x", japanese).is_none());
        // A Chinese character VL Gothic lacks is missing, and no package is said to be needed.
        let w = warning("x", "\u{4eca}\u{4eec}").expect("\u{4eec} is not Japanese");
        assert!(w.ends_with(": \u{4eec}"), "{w}");
    }

    #[test]
    fn thai_is_set_in_its_fallback_font_and_its_marks_take_no_room() {
        // สวัสดี ครับ: "hello" (the marks U+0E31 and U+0E35 sit over their letters).
        let thai = "\u{e2a}\u{e27}\u{e31}\u{e2a}\u{e14}\u{e35} \u{e04}\u{e23}\u{e31}\u{e1a}";
        assert!(
            missing(thai).is_empty(),
            "Thai needs fonts-tlwg-loma-ttf (make deps)"
        );
        assert_eq!(
            with_fallbacks(&format!("Hi {thai}!")),
            format!("Hi {{\\fnLoma\\fscx136.5\\fscy136.5}}{thai}{{\\fn\\fscx\\fscy}}!")
        );
        assert_eq!(letters(thai), 8);
        assert!(width(thai, false) > width("\u{e2a}\u{e27}\u{e2a}\u{e14}", false));
        assert!(warning("x", thai).is_none());
    }

    #[test]
    fn devanagari_is_set_in_its_fallback_font() {
        // नमस्ते: "hello" (the virama U+094D joins स and त, and the vowel sign U+0947 sits
        // over त: neither takes room of its own).
        let hindi = "\u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947}";
        assert!(
            missing(hindi).is_empty(),
            "Devanagari needs fonts-lohit-deva (make deps)"
        );
        assert_eq!(
            with_fallbacks(&format!("Hi {hindi}!")),
            format!(
                "Hi {{\\fnLohit Devanagari\\fscx137.2\\fscy137.2}}{hindi}{{\\fn\\fscx\\fscy}}!"
            )
        );
        assert_eq!(letters(hindi), 4);
    }

    #[test]
    fn every_face_is_drawn_at_the_shipped_fonts_em_and_thai_lines_are_taller() {
        // Arabic and Hebrew are DejaVu Sans's own: a line of the shipped font's height.
        assert_eq!(line_height("Hello \u{645}\u{631} \u{5e9}"), 1.0);
        // Loma: Windows ascender 2353 and descender 902 of its 2048 units to the em, at
        // DejaVu Sans's em (2048 of the 2384 units of its line height).
        let thai = line_height("Hi \u{e2a}\u{e27}\u{e31}");
        assert!((thai - 3255.0 / 2384.0).abs() < 1e-9, "{thai}");
        // Lohit Devanagari's descender is the deeper, Loma's ascender the higher.
        let hindi = line_height("\u{928}\u{92e}");
        let both = line_height("\u{e2a} \u{928}");
        assert!(both > thai && both > hindi, "{thai} {hindi} {both}");
        // A Thai letter's advance in ems, at the shipped font's em (Loma's SARA AA, 0.5 em in
        // its own; measured as its own line height's fraction it was 1.365 times too narrow).
        let aa = advance_em('\u{e32}');
        assert!((width("\u{e32}", false) - aa * 2048.0 / 2384.0).abs() < 1e-9);
    }

    /// The advance of `c`, in ems of the face drawing it.
    fn advance_em(c: char) -> f64 {
        let (f, g) = drawn(c, false).unwrap();
        f64::from(f.glyph_hor_advance(g).unwrap()) / f64::from(f.units_per_em())
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
        assert_eq!(width("\u{d55c}", false), 2048.0 / 2384.0);
    }
}
