//! Where text goes on a frame and how it breaks: lines wrapped at `max_chars` and at the width
//! the font's real advances take ([`Measure`]), cues longer than `max_lines` shown in parts,
//! and the caption band placed above a platform's bottom UI zone and clear of its side rails,
//! with the font shrunk when a full line would not fit between them; on a frame with bars
//! around the picture (pad, blur), in the top bar when it covers less of the picture there.

use super::style::Style;
use super::{font, Cue, Word};

/// A frame to lay text out on: its size and UI zones (`[x0, y0, x1, y1]` fractions). A block's
/// `lines`, where a method takes them, are its height in lines of its font size: a line holding
/// a script drawn taller than the shipped font (Thai, Devanagari) counts for more than one
/// ([`font::line_height`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Canvas {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// UI zones to keep clear.
    pub zones: Vec<[f64; 4]>,
    /// Where the picture is (`[x0, y0, x1, y1]` fractions) when bars surround it (a reframing
    /// by pad or blur to another shape), which captions keep off where they can.
    pub picture: Option<[f64; 4]>,
}

/// Average advance of a character of ordinary text as a fraction of the ASS font size (the
/// line height of DejaVu Sans: its em is 1/1.164 of it; bold text is wider), which sizes the
/// font so `max_chars` characters fit a line. Lines are broken by the real advances
/// ([`Measure`]), so wider text (capitals) takes more, shorter lines.
const ADVANCE: f64 = 0.56;
const ADVANCE_BOLD: f64 = 0.6;
/// Distance kept from the frame's edges (fraction of the width) and from a UI zone or the
/// bottom edge (fraction of the height).
const SIDE: f64 = 0.05;
const GAP: f64 = 0.025;
/// How much smaller than its size the caption band may be drawn to fit in a bar instead of
/// over the picture.
const BAR_SHRINK: f64 = 0.8;
/// Distance kept between the captions and a text block moved clear of them (fraction of the
/// height).
const APART: f64 = 0.0125;

/// A block of text placed on the frame (ASS alignment and margins, in frame pixels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Font size (ASS units: the line height), pixels.
    pub font: u32,
    /// ASS numpad alignment (2 bottom centre, 8 top centre, 5 middle, 1 bottom left).
    pub align: u8,
    /// Left margin.
    pub left: u32,
    /// Right margin.
    pub right: u32,
    /// Vertical margin (from the bottom for bottom alignments, from the top for top ones).
    pub vertical: u32,
}

impl Canvas {
    /// A `width`x`height` frame without UI zones that the picture fills (a card's).
    pub fn bare(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            zones: Vec::new(),
            picture: None,
        }
    }

    /// The frame a card's text is laid out on: this one's size and side rails (a card fills
    /// the frame, and [`Canvas::card_rows`] keeps its text between the top and bottom zones).
    pub fn card(&self) -> Self {
        Self {
            zones: (self.zones.iter())
                .filter(|z| z[2] - z[0] < 0.5)
                .copied()
                .collect(),
            ..Self::bare(self.width, self.height)
        }
    }

    /// A TikTok frame with its UI zones (for tests).
    #[cfg(test)]
    pub(crate) fn tiktok() -> Self {
        Self {
            zones: vec![
                [0.0, 0.0, 1.0, 0.08],
                [0.0, 0.75, 1.0, 1.0],
                [0.87, 0.3, 1.0, 0.75],
            ],
            ..Self::bare(1080, 1920)
        }
    }

    /// How many characters of a `font`-pixel font (`bold` or not) fit on a line across a
    /// frame `width` pixels wide, inside the side margins (at least 1).
    pub fn chars_across(width: f64, font: f64, bold: bool) -> u32 {
        let advance = if bold { ADVANCE_BOLD } else { ADVANCE };
        ((1.0 - 2.0 * SIDE) * width / (advance * font))
            .floor()
            .max(1.0) as u32
    }

    /// The smallest size (line height, fraction of the frame height) text is drawn smaller to
    /// on this frame: a thirtieth of its shorter side, 13 points a line (11-point letters, the
    /// smallest Apple's guidelines call legible) when a phone held the frame's way shows that
    /// side across its 390 points (docs/export.md#text-size).
    pub fn readable(&self) -> f64 {
        f64::from(self.width.min(self.height)) / 30.0 / f64::from(self.height)
    }

    fn px(&self, f: f64, n: u32) -> u32 {
        (f * f64::from(n)).round().max(0.0) as u32
    }

    /// Top of the bottom UI zones (fraction), 1 when there are none.
    pub fn bottom_limit(&self) -> f64 {
        self.zones
            .iter()
            .filter(|z| z[3] >= 0.999 && z[2] - z[0] >= 0.5)
            .map(|z| z[1])
            .fold(1.0, f64::min)
    }

    /// Bottom of the top UI zones (fraction), 0 when there are none.
    pub fn top_limit(&self) -> f64 {
        self.zones
            .iter()
            .filter(|z| z[1] <= 0.001 && z[2] - z[0] >= 0.5)
            .map(|z| z[3])
            .fold(0.0, f64::max)
    }

    /// The side margin (fraction of the width, the same on both sides so text stays centred)
    /// that keeps a band `[y0, y1]` (fractions) clear of the side rails.
    fn side_margin(&self, y0: f64, y1: f64) -> f64 {
        self.zones
            .iter()
            .filter(|z| z[2] - z[0] < 0.5 && z[1] < y1 && z[3] > y0)
            .map(|z| if z[0] <= 0.001 { z[2] } else { 1.0 - z[0] })
            .fold(SIDE, |m, r| m.max(r + SIDE / 2.0))
    }

    /// The caption band: `lines` lines of `style`, centred, its bottom above the bottom UI
    /// zone; the font shrinks so `max_chars` characters fit between the side rails and the
    /// lines between the top and bottom UI zones (never under [`Canvas::readable`]). With bars
    /// around the picture the band goes where it covers the least of it: there, or in the top
    /// bar just above the picture (drawn up to a fifth smaller if that makes it fit the bar),
    /// so a talking head's mouth is not hidden under the captions of a padded 9:16 export.
    pub fn captions(&self, style: &Style, lines: f64) -> Placement {
        // No taller than the room between the UI zones: six lines of a large size ran off the
        // top of a 16:9 frame.
        let full = self.bottom_band(style, lines, 1.0);
        let high = lines * f64::from(full.font) / f64::from(self.height);
        let fit = ((self.bottom_limit() - self.top_limit() - 2.0 * GAP) / high).min(1.0);
        let low = match fit < 1.0 {
            true => self.bottom_band(style, lines, fit),
            false => full,
        };
        let Some(pic) = self.picture else {
            return low;
        };
        let covers = |p: Placement| {
            let (y0, y1) = self.rows(p, lines);
            (y1.min(pic[3]) - y0.max(pic[1])).max(0.0)
        };
        // Just above the picture (a top-corner logo keeps the top of the bar), and never
        // higher than the top UI zone allows.
        let top = self.top_limit() + GAP;
        let in_top_bar = |scale: f64| {
            let rows = |high: f64| {
                let y0 = (pic[1] - high).max(top);
                (y0, y0 + high)
            };
            let p = self.band(style, lines, scale * fit, rows);
            let high = lines * f64::from(p.font) / f64::from(self.height);
            Placement {
                align: 8,
                vertical: self.px(rows(high).0, self.height),
                ..p
            }
        };
        let high_top = in_top_bar(1.0);
        let candidates = [low, high_top, in_top_bar(BAR_SHRINK)];
        // The first that keeps off the picture, else the one covering least (the usual band
        // on a tie).
        candidates
            .iter()
            .copied()
            .find(|&p| covers(p) < 0.5 / f64::from(self.height))
            .unwrap_or_else(|| match covers(high_top) < covers(low) {
                true => high_top,
                false => low,
            })
    }

    /// The rows (top and bottom, fractions) `lines` lines placed at `p` take.
    pub fn rows(&self, p: Placement, lines: f64) -> (f64, f64) {
        let h = f64::from(self.height);
        let (high, v) = (lines * f64::from(p.font) / h, f64::from(p.vertical) / h);
        match p.align {
            7..=9 => (v, v + high),
            4..=6 => (0.5 - high / 2.0, 0.5 + high / 2.0),
            _ => (1.0 - v - high, 1.0 - v),
        }
    }

    /// A block of `lines` lines at `p` moved clear of the rows `taken` (`[y0, y1]` fractions:
    /// the captions', other text's) when it meets any: just above or just below one of them,
    /// whichever is nearest its own place and clear of all, between the UI zones (side margins
    /// for its new rows); `p` itself when it meets none, `None` when no place has room for it.
    pub fn clear_of(&self, p: Placement, lines: f64, taken: &[(f64, f64)]) -> Option<Placement> {
        let (y0, y1) = self.rows(p, lines);
        let free = |y0: f64, y1: f64| {
            taken
                .iter()
                .all(|&(c0, c1)| y1 + APART <= c0 + 1e-9 || y0 + 1e-9 >= c1 + APART)
        };
        if free(y0, y1) {
            return Some(p);
        }
        let high = y1 - y0;
        let (top, bottom) = (self.top_limit() + GAP, self.bottom_limit() - GAP);
        let eps = 0.5 / f64::from(self.height);
        taken
            .iter()
            .flat_map(|&(c0, c1)| [(c0 - APART - high, true), (c1 + APART, false)])
            .filter(|&(y, _)| y >= top - eps && y + high <= bottom + eps && free(y, y + high))
            .min_by(|a, b| (a.0 - y0).abs().total_cmp(&(b.0 - y0).abs()))
            .map(|(y, above)| {
                let side = self.px(self.side_margin(y, y + high), self.width);
                // Anchored on the side of the rows it keeps clear of, so a line more (wrapped
                // at the new rows' margins) grows away from them.
                let column = match p.align {
                    1 | 4 | 7 => 1,
                    3 | 6 | 9 => 3,
                    _ => 2,
                };
                Placement {
                    align: if above { column } else { column + 6 },
                    left: side,
                    right: side,
                    vertical: match above {
                        true => self.px(1.0 - y - high, self.height),
                        false => self.px(y, self.height),
                    },
                    ..p
                }
            })
    }

    /// The tallest free height (pixels) between the UI zones and the rows `taken`: the room a
    /// text block moved clear of them has.
    pub fn room_beside(&self, taken: &[(f64, f64)]) -> f64 {
        let (top, bottom) = (self.top_limit() + GAP, self.bottom_limit() - GAP);
        let mut rows: Vec<(f64, f64)> = taken.to_vec();
        rows.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut room: f64 = 0.0;
        let mut from = top;
        for (c0, c1) in rows {
            room = room.max(c0 - APART - from);
            from = from.max(c1 + APART);
        }
        room.max(bottom - from).max(0.0) * f64::from(self.height)
    }

    /// The rows (fractions) a card's text is centred in and fits: 90 % of the frame's height
    /// and between the UI zones, or with `captions` (their rows) shown on the card, the larger
    /// part of that above or below them.
    pub fn card_rows(&self, captions: Option<(f64, f64)>) -> (f64, f64) {
        let top = (self.top_limit() + GAP).max(0.05);
        let bottom = (self.bottom_limit() - GAP).min(0.95);
        match captions {
            None => (top, bottom),
            Some((c0, c1)) => {
                let (above, below) = ((top, c0 - APART), (c1 + APART, bottom));
                match above.1 - above.0 >= below.1 - below.0 {
                    true => above,
                    false => below,
                }
            }
        }
    }

    /// The caption band above the bottom UI zone at `scale` of its size, whatever the picture
    /// under it.
    fn bottom_band(&self, style: &Style, lines: f64, scale: f64) -> Placement {
        let bottom = self.bottom_limit() - GAP;
        let p = self.band(style, lines, scale, |high| (bottom - high, bottom));
        Placement {
            vertical: self.px(1.0 - bottom, self.height),
            ..p
        }
    }

    /// `lines` lines of `style` at `scale` of its size across the frame, in the rows `rows`
    /// gives for a band `high` (fraction) high: the font shrinks so `max_chars` characters fit
    /// between the side rails those rows meet, never under [`Canvas::readable`] (or the size
    /// asked, when smaller: fewer characters then fit a line, and a cue takes more lines;
    /// bottom-centred; the caller sets `vertical`).
    fn band(
        &self,
        style: &Style,
        lines: f64,
        scale: f64,
        rows: impl Fn(f64) -> (f64, f64),
    ) -> Placement {
        let h = f64::from(self.height);
        let mut font = style.look.size * h;
        let mut side = SIDE;
        // The band's height depends on the font and its width on the rails it meets: two
        // rounds settle it (a smaller font only narrows the band's rows).
        for _ in 0..2 {
            let (y0, y1) = rows(lines * font * scale / h);
            side = self.side_margin(y0, y1);
            let room = (1.0 - 2.0 * side) * f64::from(self.width);
            let advance = if style.look.bold {
                ADVANCE_BOLD
            } else {
                ADVANCE
            };
            font = font.min(room / (f64::from(style.max_chars) * advance));
        }
        let floor = (self.readable().min(style.look.size) * h + 1e-6).floor();
        Placement {
            font: (font * scale).floor().max(floor).max(8.0) as u32,
            align: 2,
            left: self.px(side, self.width),
            right: self.px(side, self.width),
            vertical: 0,
        }
    }

    /// The band `lines` lines of captions in `style` take (as a zone, `[x0, y0, x1, y1]`
    /// fractions), for what must keep clear of them (a logo).
    pub fn caption_zone(&self, style: &Style, lines: f64) -> [f64; 4] {
        let p = self.captions(style, lines);
        let w = f64::from(self.width);
        let (top, bottom) = self.rows(p, lines);
        [
            f64::from(p.left) / w,
            top,
            1.0 - f64::from(p.right) / w,
            bottom,
        ]
    }

    /// The height (pixels) a text overlay at `position` has between the UI zones (with
    /// [`Canvas::text`]'s gaps): from its top or bottom edge to the far zone, or for `center`
    /// twice the distance from the middle to the nearer one.
    pub fn text_room(&self, position: &str) -> f64 {
        let (top, bottom) = (self.top_limit() + GAP, self.bottom_limit() - GAP);
        let room = match position {
            "center" => 2.0 * (0.5 - top).min(bottom - 0.5),
            "lower_third" => self.lower_third() - top,
            _ => bottom - top,
        };
        room.max(0.0) * f64::from(self.height)
    }

    /// The bottom of a lower third (fraction): above the bottom UI zone, at most 0.8.
    fn lower_third(&self) -> f64 {
        (self.bottom_limit() - GAP).min(0.8)
    }

    /// A text overlay's block at `position` (top, center, bottom, lower_third).
    pub fn text(&self, style: &Style, lines: f64, position: &str) -> Placement {
        let band = self.bottom_band(style, lines, 1.0);
        let top = self.top_limit() + GAP;
        let side = |y0: f64, y1: f64| self.px(self.side_margin(y0, y1), self.width);
        let font_h = f64::from(band.font) * lines / f64::from(self.height);
        match position {
            "top" => Placement {
                align: 8,
                left: side(top, top + font_h),
                right: side(top, top + font_h),
                vertical: self.px(top, self.height),
                ..band
            },
            "center" => Placement {
                align: 5,
                left: side(0.5 - font_h / 2.0, 0.5 + font_h / 2.0),
                right: side(0.5 - font_h / 2.0, 0.5 + font_h / 2.0),
                vertical: 0,
                ..band
            },
            "lower_third" => {
                let bottom = self.lower_third();
                Placement {
                    align: 1,
                    left: side(bottom - font_h, bottom),
                    vertical: self.px(1.0 - bottom, self.height),
                    ..band
                }
            }
            _ => band,
        }
    }
}

/// One screenful of a cue: its lines (indices into the cue's tokens) and when it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Start, ns.
    pub start: i64,
    /// End, ns.
    pub end: i64,
    /// Lines of word indices.
    pub lines: Vec<Vec<usize>>,
}

/// The words of a cue: its timed words, or its text split at spaces (untimed).
pub fn tokens(cue: &Cue) -> Vec<Word> {
    if !cue.words.is_empty() {
        return cue.words.clone();
    }
    cue.text
        .split_whitespace()
        .map(|w| Word {
            text: w.to_string(),
            start: cue.start,
            end: cue.end,
            glued: false,
        })
        .collect()
}

/// The text of a line of words, each after a space unless glued to the one before
/// ([`Word::glued`]).
pub fn joined<S: AsRef<str>>(words: impl IntoIterator<Item = (bool, S)>) -> String {
    let mut out = String::new();
    for (k, (glued, text)) in words.into_iter().enumerate() {
        if k > 0 && !glued {
            out.push(' ');
        }
        out.push_str(text.as_ref());
    }
    out
}

/// How a line of text is measured against the room it has: at most `max_chars` characters,
/// and no wider than `room` pixels in a `font`-pixel font (`bold` or not), by the font's own
/// advances ([`font::width`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// Font size (ASS units: the line height), pixels.
    pub font: f64,
    /// Bold face.
    pub bold: bool,
    /// Width a line may take, pixels.
    pub room: f64,
    /// Characters a line may hold.
    pub max_chars: u32,
}

impl Measure {
    /// The room of placement `p` on `canvas` for text in `style`: between its side margins,
    /// less the outline (or box) either side.
    pub fn of(canvas: &Canvas, p: Placement, style: &Style) -> Self {
        let font = f64::from(p.font);
        let look = &style.look;
        let border = match look.boxed {
            true => look.outline.max(0.15),
            false => look.outline,
        } * font;
        let margins = f64::from(p.left + p.right);
        Self {
            font,
            bold: look.bold,
            room: (f64::from(canvas.width) - margins - 2.0 * border).max(1.0),
            max_chars: style.max_chars,
        }
    }

    /// Pixels `text` takes on one line.
    pub fn width(&self, text: &str) -> f64 {
        font::width(text, self.bold) * self.font
    }

    /// A font-size override for the widest of `lines` (pixels at this font) when it is wider
    /// than the room (a word longer than a line), so it still fits; nothing when all fit.
    pub fn shrink(&self, widest: f64) -> String {
        match widest > self.room {
            true => format!(
                "{{\\fs{}}}",
                ((self.font * self.room / widest).floor() as u32).max(1)
            ),
            false => String::new(),
        }
    }
}

/// `words` cut where a line may break inside them, each piece keeping the word's times and
/// glued to the one before ([`Word::glued`]): Japanese text, which has no spaces, between its
/// letters ([`breaks`]); then a piece still wider than a line of `m` at the character that
/// would run past it, so a word of 80 letters (a URL, a compound) is shown across lines and
/// pages rather than shrunk until it cannot be read.
pub fn fitted(words: Vec<Word>, m: &Measure) -> Vec<Word> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        for (k, text) in breaks(&w.text).into_iter().enumerate() {
            let glued = w.glued || k > 0;
            if m.width(text) <= m.room {
                out.push(Word {
                    text: text.to_string(),
                    glued,
                    ..w.clone()
                });
                continue;
            }
            let mut piece = String::new();
            let mut first = true;
            for c in text.chars() {
                let mut longer = piece.clone();
                longer.push(c);
                let joined = piece.chars().last().is_some_and(|p| cluster(p, c));
                if !joined && !piece.is_empty() && m.width(&longer) > m.room {
                    let text = std::mem::replace(&mut piece, c.to_string());
                    out.push(Word {
                        text,
                        glued: glued || !first,
                        ..w.clone()
                    });
                    first = false;
                } else {
                    piece = longer;
                }
            }
            out.push(Word {
                text: piece,
                glued: glued || !first,
                ..w.clone()
            });
        }
    }
    out
}

/// Whether `c` belongs to the written cluster of `prev` before it, so no line breaks between
/// them: a mark or an invisible character (no room of its own), a Thai vowel or tone mark after
/// its consonant (`ทำ`: SARA AM, which takes room, alone at a line's start was drawn on a dotted
/// circle), a Devanagari vowel sign or virama, and whatever follows a Thai leading vowel
/// (`เ`), a virama (a conjunct) or a zero-width joiner.
fn cluster(prev: char, c: char) -> bool {
    font::letters(&c.to_string()) == 0
        || matches!(c, '\u{e30}'..='\u{e3a}' | '\u{e45}' | '\u{e47}'..='\u{e4e}')
        || matches!(c, '\u{900}'..='\u{903}' | '\u{93a}'..='\u{94f}' | '\u{951}'..='\u{957}' | '\u{962}' | '\u{963}')
        || matches!(prev, '\u{e40}'..='\u{e44}' | '\u{94d}' | '\u{200d}')
}

/// `word` split where a line may break inside it: around a letter of Japanese text (kana,
/// kanji, full-width forms, [`font::JAPANESE`]), but not inside a written cluster (a letter
/// and its marks), before a closing bracket or punctuation, a small kana or the long-vowel
/// mark, nor after an opening bracket (the kinsoku rules of Japanese typesetting, JIS X 4051).
pub fn breaks(word: &str) -> Vec<&str> {
    let japanese = |c: char| font::JAPANESE.iter().any(|r| r.contains(&c));
    let no_start = |c: char| {
        "、。，．・：；？！゛゜ヽヾゝゞ々〻ー‐゠–〜～…‥」』）］｝〕〉》】〙〗〟’”｠»ぁぃぅぇぉっゃゅょゎゕゖァィゥェォッャュョヮヵヶ｡｣､･ｧｨｩｪｫｬｭｮｯｰ),.!?:;%"
            .contains(c)
            || ('\u{31f0}'..='\u{31ff}').contains(&c)
    };
    let no_end = |c: char| "「『（［｛〔〈《【〘〖〝‘“｟«｢([{".contains(c);
    let mut out = Vec::new();
    let mut from = 0;
    let mut chars = word.char_indices().peekable();
    while let Some((_, a)) = chars.next() {
        let Some(&(i, b)) = chars.peek() else { break };
        if (japanese(a) || japanese(b)) && !no_start(b) && !no_end(a) && !cluster(a, b) {
            out.push(&word[from..i]);
            from = i;
        }
    }
    out.push(&word[from..]);
    out
}

/// Break `words` into lines that fit `m`, as few as fit and as even as they can be: the
/// classic minimum-raggedness wrap (the least sum of the squared room each line leaves, the
/// last line's too, so two lines are not a full one over an orphaned word) over the font's
/// advances. A word too long for a line is a line of its own ([`fitted`] cuts it first; one
/// that still does not fit is drawn smaller, see [`Measure::shrink`]).
pub fn wrap(words: &[Word], m: &Measure) -> Vec<Vec<usize>> {
    let max = m.max_chars as usize;
    let space = m.width(" ");
    let wide: Vec<f64> = words.iter().map(|w| m.width(&w.text)).collect();
    // best[j]: for the first j words, the fewest lines, the least raggedness with that many
    // and where the last line starts.
    let mut best: Vec<(usize, f64, usize)> = vec![(0, 0.0, 0); words.len() + 1];
    for j in 1..=words.len() {
        let (mut len, mut width) = (0, 0.0);
        let mut pick: Option<(usize, f64, usize)> = None;
        // The last line is words i..j: longer as i goes down, until it does not fit.
        for i in (0..j).rev() {
            let gap = usize::from(i + 1 < j && !words[i + 1].glued);
            len += font::letters(&words[i].text) + gap;
            width += wide[i] + gap as f64 * space;
            if i + 1 < j && (len > max || width > m.room) {
                break;
            }
            let slack = (m.room - width).max(0.0);
            let (lines, cost) = (best[i].0 + 1, best[i].1 + slack * slack);
            if pick.is_none_or(|(l, c, _)| lines < l || (lines == l && cost < c)) {
                pick = Some((lines, cost, i));
            }
        }
        best[j] = pick.expect("a word alone always makes a line");
    }
    let mut lines = Vec::new();
    let mut j = words.len();
    while j > 0 {
        let i = best[j].2;
        lines.push((i..j).collect());
        j = i;
    }
    lines.reverse();
    lines
}

/// The pages of `cue` with `max_lines` lines that fit `m`: with word times a page lasts from
/// its first word to the next page's first word; without, the cue's time is shared by the
/// pages in proportion to their characters.
pub fn pages(cue: &Cue, words: &[Word], max_lines: u32, m: &Measure) -> Vec<Page> {
    let lines = wrap(words, m);
    let groups: Vec<Vec<Vec<usize>>> = lines
        .chunks(max_lines as usize)
        .map(<[_]>::to_vec)
        .collect();
    let timed = !cue.words.is_empty();
    let chars = |g: &Vec<Vec<usize>>| -> i64 {
        g.iter()
            .flatten()
            .map(|&i| font::letters(&words[i].text) as i64 + 1)
            .sum()
    };
    let total: i64 = groups.iter().map(chars).sum::<i64>().max(1);
    let mut starts = Vec::with_capacity(groups.len());
    let mut done = 0;
    for (k, g) in groups.iter().enumerate() {
        starts.push(if k == 0 {
            cue.start
        } else if timed {
            words[g[0][0]].start.clamp(cue.start, cue.end)
        } else {
            cue.start + (cue.end - cue.start) * done / total
        });
        done += chars(g);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(k, lines)| Page {
            start: starts[k],
            end: starts.get(k + 1).copied().unwrap_or(cue.end),
            lines,
        })
        .filter(|p| p.end > p.start)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_sit_above_the_bottom_bar_and_clear_of_the_rail() {
        let p = Canvas::tiktok().captions(&Style::default(), 2.0);
        assert_eq!(p.align, 2);
        assert!(p.vertical as f64 >= 0.25 * 1920.0, "{p:?}");
        assert!(p.right as f64 >= 0.13 * 1080.0, "{p:?}");
        assert_eq!(p.left, p.right);
        let chars = f64::from(Style::default().max_chars) * ADVANCE_BOLD * f64::from(p.font);
        assert!(chars <= 1080.0 - 2.0 * f64::from(p.right) + 1.0, "{p:?}");
    }

    #[test]
    fn with_bars_captions_take_the_top_bar_when_they_cover_less_of_the_picture_there() {
        let reels = |picture| Canvas {
            zones: vec![
                [0.0, 0.0, 1.0, 0.14],
                [0.0, 0.65, 1.0, 1.0],
                [0.0, 0.14, 0.06, 0.65],
                [0.94, 0.14, 1.0, 0.65],
            ],
            picture,
            ..Canvas::bare(1080, 1920)
        };
        let style = Style::default();
        let plain = reels(None).captions(&style, 2.0);
        assert_eq!(plain.align, 2);
        // 16:9 (rows 656-1264): the top bar holds the band at its size.
        let wide = reels(Some([0.0, 656.0 / 1920.0, 1.0, 1264.0 / 1920.0]));
        let p = wide.captions(&style, 2.0);
        let (y0, y1) = wide.rows(p, 2.0);
        assert_eq!((p.align, p.font), (8, plain.font));
        assert!(y0 >= 0.14 && y1 <= 656.0 / 1920.0, "{p:?}");
        let z = wide.caption_zone(&style, 2.0);
        assert_eq!(
            (z[1], z[3]),
            (y0, y1),
            "the logo keeps clear of the band where it is"
        );
        // 1:1 (rows 420-1500): only a fifth smaller.
        let square = reels(Some([0.0, 420.0 / 1920.0, 1.0, 1500.0 / 1920.0]));
        let p = square.captions(&style, 2.0);
        let (y0, y1) = square.rows(p, 2.0);
        assert!(p.align == 8 && p.font < plain.font, "{p:?}");
        assert!(
            f64::from(p.font) >= 0.8 * f64::from(plain.font) - 1.0,
            "{p:?}"
        );
        assert!(y0 >= 0.14 && y1 <= 420.0 / 1920.0 + 0.5 / 1920.0, "{p:?}");
        // 4:5 (rows 285-1635): no bar has room, and the top would cover as much: as usual.
        let tall = reels(Some([0.0, 285.0 / 1920.0, 1.0, 1635.0 / 1920.0]));
        assert_eq!(tall.captions(&style, 2.0), plain);
    }

    #[test]
    fn a_text_block_meeting_the_captions_moves_beside_them_inside_the_safe_area() {
        let c = Canvas::tiktok();
        let style = Style::default();
        let band = c.captions(&style, 2.0);
        let (c0, c1) = c.rows(band, 2.0);
        // A `bottom` overlay is the caption band: it goes just above it.
        let bottom = c.text(&style, 1.0, "bottom");
        let p = c.clear_of(bottom, 1.0, &[(c0, c1)]).unwrap();
        let (y0, y1) = c.rows(p, 1.0);
        assert!(y1 <= c0 - APART + 1e-3 && y0 >= 0.08, "{p:?}");
        assert_eq!(p.align, 2);
        // A `top` one is clear of them: it stays.
        let top = c.text(&style, 1.0, "top");
        assert_eq!(c.clear_of(top, 1.0, &[(c0, c1)]), Some(top));
        // A lower third meeting them keeps to the left.
        let third = c.text(&style, 2.0, "lower_third");
        assert_eq!(
            c.clear_of(third, 2.0, &[(c0, c1)]).map(|p| p.align),
            Some(1)
        );
        // A second `top` block shown with the first goes just below it, clear of both.
        let first = c.rows(top, 1.0);
        let second = c.clear_of(top, 1.0, &[(c0, c1), first]).unwrap();
        let (s0, s1) = c.rows(second, 1.0);
        assert!(s0 >= first.1 + APART - 1e-3 && s1 <= c0, "{second:?}");
        // Captions filling the room between the zones leave none.
        let narrow = Canvas {
            zones: vec![[0.0, 0.0, 1.0, 0.4], [0.0, 0.6, 1.0, 1.0]],
            ..Canvas::bare(1080, 1920)
        };
        let rows = [(0.45, 0.55)];
        assert_eq!(
            narrow.clear_of(narrow.text(&style, 1.0, "center"), 1.0, &rows),
            None
        );
        assert!(narrow.room_beside(&rows) < f64::from(band.font));
    }

    #[test]
    fn long_cues_wrap_and_page_in_proportion() {
        let cue = Cue::new(0, 9_000, "aaaa bbbb cccc dddd eeee ffff".into());
        let words = tokens(&cue);
        let m = Measure {
            font: 20.0,
            bold: true,
            room: 1000.0,
            max_chars: 9,
        };
        assert_eq!(wrap(&words, &m), vec![vec![0, 1], vec![2, 3], vec![4, 5]]);
        let p = pages(&cue, &words, 2, &m);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].start, p[0].end, p[1].end), (0, 6_000, 9_000));
    }

    #[test]
    fn two_lines_are_balanced_not_a_full_line_over_an_orphaned_word() {
        let m = Measure {
            font: 40.0,
            bold: true,
            room: 1000.0,
            max_chars: 24,
        };
        let words = tokens(&Cue::new(0, 1, "Hello from the first shot".into()));
        // Greedily "Hello from the first" (20 characters) over "shot".
        let lines = wrap(&words, &m);
        let text = |l: &Vec<usize>| {
            let line: Vec<&str> = l.iter().map(|&i| words[i].text.as_str()).collect();
            line.join(" ")
        };
        let shown: Vec<String> = lines.iter().map(text).collect();
        assert_eq!(shown, ["Hello from", "the first shot"]);
        // As few lines as greedy, each within the room and max_chars.
        let long = tokens(&Cue::new(
            0,
            1,
            "one two three four five six seven eight nine ten eleven twelve".into(),
        ));
        let lines = wrap(&long, &m);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines.concat(), (0..long.len()).collect::<Vec<_>>());
        let widths: Vec<f64> = lines
            .iter()
            .map(|l| {
                let line: Vec<&str> = l.iter().map(|&i| long[i].text.as_str()).collect();
                m.width(&line.join(" "))
            })
            .collect();
        let (lo, hi) = widths
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), &w| (a.min(w), b.max(w)));
        assert!(lo > 0.7 * hi, "{widths:?}");
    }

    #[test]
    fn accents_typed_after_their_letters_wrap_as_the_same_text_composed() {
        let m = Measure {
            font: 20.0,
            bold: true,
            room: 1000.0,
            max_chars: 16,
        };
        let lines = |s: &str| wrap(&tokens(&Cue::new(0, 1, s.into())), &m);
        let composed = lines("Ti\u{1ebf}ng Vi\u{1ec7}t r\u{1ea5}t hay v\u{1ec1} m\u{1ea1}ng");
        let decomposed = lines("Tie\u{302}\u{301}ng Vie\u{323}\u{302}t ra\u{302}\u{301}t hay ve\u{302}\u{300} ma\u{323}ng");
        assert_eq!(composed, decomposed);
        assert_eq!(composed.len(), 2);
    }

    #[test]
    fn japanese_breaks_between_letters_but_not_before_closing_marks() {
        assert_eq!(breaks("ok"), ["ok"]);
        // No break before 。、 or a small kana, nor after an opening bracket.
        assert_eq!(
            breaks("「きょう」は晴れ。iPhone"),
            ["「きょ", "う」", "は", "晴", "れ。", "iPhone"]
        );
        let m = Measure {
            font: 40.0,
            bold: true,
            room: 500.0,
            max_chars: 24,
        };
        let text = "今日はいい天気ですね。散歩に行きましょう、公園まで歩いて十五分です。";
        let words = fitted(tokens(&Cue::new(0, 1, text.into())), &m);
        let lines: Vec<String> = wrap(&words, &m)
            .iter()
            .map(|l| joined(l.iter().map(|&i| (words[i].glued, &words[i].text))))
            .collect();
        // Even lines, each within the room, no space added, none starting with a mark.
        assert_eq!(lines.concat(), text);
        assert_eq!(lines.len(), 3, "{lines:?}");
        for l in &lines {
            assert!(
                m.width(l) <= m.room && !l.starts_with(['。', '、']),
                "{lines:?}"
            );
            assert!(
                l.chars().count().abs_diff(text.chars().count() / 3) <= 2,
                "{lines:?}"
            );
        }
    }

    #[test]
    fn a_thai_or_hindi_word_cut_across_lines_keeps_each_cluster_whole() {
        // "ทำให้เกิด" three times, "नमस्ते दुनिया" run together: cut at every width a piece can take.
        let thai = "\u{e17}\u{e33}\u{e43}\u{e2b}\u{e49}\u{e40}\u{e01}\u{e34}\u{e14}".repeat(3);
        let hindi =
            "\u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947}\u{926}\u{941}\u{928}\u{93f}\u{92f}\u{93e}";
        for text in [thai.as_str(), hindi] {
            let wide = Measure {
                font: 20.0,
                bold: false,
                room: 1e9,
                max_chars: 1000,
            };
            for room in (5..=60).map(|r| f64::from(r) * wide.width(text) / 60.0) {
                let m = Measure { room, ..wide };
                let pieces = fitted(tokens(&Cue::new(0, 1, text.into())), &m);
                let whole: String = pieces.iter().map(|w| w.text.as_str()).collect();
                assert_eq!(whole, text);
                for pair in pieces.windows(2) {
                    let (a, b) = (&pair[0].text, &pair[1].text);
                    // No vowel sign or tone mark starts a line; no leading vowel or virama
                    // ends one.
                    let signs = [
                        '\u{e33}', '\u{e34}', '\u{e49}', '\u{947}', '\u{941}', '\u{93f}', '\u{93e}',
                    ];
                    let open = ['\u{e40}', '\u{e43}', '\u{94d}'];
                    assert!(
                        !b.starts_with(signs) && !a.ends_with(open),
                        "{a:?} | {b:?} at {room:.0}"
                    );
                }
            }
        }
    }

    #[test]
    fn capitals_wrap_sooner_than_small_letters_and_every_line_fits_its_room() {
        let m = Measure {
            font: 20.0,
            bold: true,
            room: 230.0,
            max_chars: 24,
        };
        let text = "this is a long caption that has to wrap";
        let lines = |s: &str| {
            let words = tokens(&Cue::new(0, 1, s.into()));
            let lines = wrap(&words, &m);
            for l in &lines {
                let line: Vec<&str> = l.iter().map(|&i| words[i].text.as_str()).collect();
                assert!(m.width(&line.join(" ")) <= m.room, "{line:?}");
            }
            lines.len()
        };
        assert_eq!((lines(text), lines(&text.to_uppercase())), (2, 3));
        let long = tokens(&Cue::new(0, 1, format!("see {}", "W".repeat(40))));
        let cut = fitted(long, &m);
        assert!(cut.len() > 2 && cut.iter().all(|w| m.width(&w.text) <= m.room));
        let rejoined: String = cut[1..].iter().map(|w| w.text.as_str()).collect();
        assert_eq!(rejoined, "W".repeat(40));
        assert_eq!(m.shrink(230.0), "");
        assert_eq!(m.shrink(460.0), "{\\fs10}");
    }
}
