//! The ASS script libass burns into one deliverable: captions (word-by-word highlighted when
//! they carry word times) and text overlays, laid out for its frame, every event's start and
//! end placed between two frames of its rate so each lands on an exact frame.

use super::cards::{Ramp, ShownCard};
use super::font::{self, FAMILY};
use super::layout::{fitted, joined, pages, tokens, wrap, Canvas, Measure, Placement};
use super::style::{Style, TextOverlay};
use super::{Captions, Word};
use crate::picture::rgb::{Rgb, Rgba};
use crate::timeline::look::{colour, Look};
use crate::timeline::{TimeSpec, NANOS};
use cutroom_ffi::Rational;
use std::fmt::Write;
use std::path::Path;

/// The first frame (at `rate`) shown at or after `t` ns.
pub fn frame_at(t: i64, rate: Rational) -> i64 {
    let n = i128::from(t) * i128::from(rate.num);
    let d = i128::from(rate.den) * i128::from(NANOS);
    (n + d - 1).div_euclid(d) as i64
}

/// Frame `f`'s time in `unit`ths of a second, rounded.
pub fn frame_time(f: i64, rate: Rational, unit: i64) -> i64 {
    let n = i128::from(f) * i128::from(rate.den) * i128::from(unit);
    let d = i128::from(rate.num);
    ((2 * n + d).div_euclid(2 * d)) as i64
}

/// `TimeSpec` in ns (frames at `rate`).
pub fn spec_ns(t: TimeSpec, rate: Rational) -> i64 {
    match t {
        TimeSpec::Nanos(n) => n,
        TimeSpec::Frame(f) => {
            let n = i128::from(f as i64) * i128::from(rate.den) * i128::from(NANOS);
            (n / i128::from(rate.num)) as i64
        }
    }
}

/// An ASS time for "from frame `f` on": halfway between frames `f - 1` and `f`, in the
/// script's centiseconds (frame 0: the start).
fn ass_time(f: i64, rate: Rational) -> String {
    let cs = if f <= 0 {
        0
    } else {
        let n = i128::from(2 * f - 1) * i128::from(rate.den) * 100;
        let d = 2 * i128::from(rate.num);
        ((2 * n + d).div_euclid(2 * d)) as i64
    };
    let (h, m, s, c) = (cs / 360_000, cs / 6000 % 60, cs / 100 % 60, cs % 100);
    format!("{h}:{m:02}:{s:02}.{c:02}")
}

/// `&HAABBGGRR` of a colour key, as FFmpeg draws it ([`Rgb::for_bt601_drawing`]), its alpha
/// further faded by `fade` (ASS's sense: 0 as given, 255 transparent).
fn ass_colour(s: &str, fade: u8) -> String {
    let c = colour(s).unwrap_or(Rgba {
        rgb: Rgb::WHITE,
        alpha: 255,
    });
    let [r, g, b] = c.rgb.for_bt601_drawing().0;
    let opaque = u32::from(c.alpha) * u32::from(255 - fade);
    let alpha = 255 - (opaque + 127) / 255;
    format!("&H{alpha:02X}{b:02X}{g:02X}{r:02X}")
}

/// Text made literal for an ASS event (braces would start override blocks, a backslash an
/// escape), its letters of a script the shipped font lacks set in their fallback font
/// ([`super::font::with_fallbacks`]).
fn literal(s: &str) -> String {
    let plain = s
        .replace('{', "(")
        .replace('}', ")")
        .replace('\\', "\\\u{2060}");
    super::font::with_fallbacks(&plain)
}

/// `text` in quotes for a message: its first line, cut at a space within 40 characters.
pub fn quoted(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    let short = match first.char_indices().nth(40) {
        None => first,
        Some((end, _)) => first[..end]
            .rfind(' ')
            .map_or(&first[..end], |s| &first[..s]),
    };
    let cut = short.len() < first.len() || text.lines().nth(1).is_some();
    format!("\"{short}{}\"", if cut { "..." } else { "" })
}

/// A style of the script. Its Encoding, -1, has libass take each line's direction from its
/// first letter that has one (Unicode's rule), so a Hebrew or Arabic line holding Latin words
/// or digits reads from the right; with 1 every line ran left to right.
fn style_line(name: &str, s: &Style, p: Placement) -> String {
    let s = &s.look;
    let font = f64::from(p.font);
    let (border, outline, back) = if s.boxed {
        (
            3,
            (s.outline * font).max(0.15 * font),
            ass_colour(&s.box_color, 0),
        )
    } else {
        (1, s.outline * font, ass_colour(&s.box_color, 0x80))
    };
    format!(
        "Style: {name},{FAMILY},{},{},{},{},{back},{},0,0,0,100,100,0,0,{border},{outline:.1},{:.1},{},{},{},{},-1\n",
        p.font,
        ass_colour(&s.color, 0),
        ass_colour(&s.color, 0),
        ass_colour(&s.box_color, 0),
        if s.bold { -1 } else { 0 },
        s.shadow * font,
        p.align,
        p.left,
        p.right,
        p.vertical,
    )
}

/// An event from frame `a` to frame `b` (exclusive); nothing when it would show no frame.
fn event(out: &mut String, a: i64, b: i64, rate: Rational, style: &str, text: &str) {
    if b > a {
        let _ = writeln!(
            out,
            "Dialogue: 0,{},{},{style},,0,0,0,,{text}",
            ass_time(a, rate),
            ass_time(b, rate)
        );
    }
}

/// The lines of a page as event text, word `hot` (if any) in the highlight colour; a line
/// wider than the room of `m` (one long word) gets a font that much smaller, so it still fits
/// the band.
fn page_text(
    words: &[Word],
    lines: &[Vec<usize>],
    hot: Option<usize>,
    s: &Style,
    m: &Measure,
) -> String {
    // `\1c` sets the colour only, `\1a` its alpha.
    let fill = |key: &str| {
        let c = ass_colour(key, 0);
        format!("\\1c&H{}&\\1a&H{}&", &c[4..], &c[2..4])
    };
    let (hi, base) = (fill(&s.highlight), fill(&s.look.color));
    let text = |l: &Vec<usize>| joined(l.iter().map(|&i| (words[i].glued, &words[i].text)));
    let widest = lines.iter().map(|l| m.width(&text(l))).fold(0.0, f64::max);
    m.shrink(widest)
        + &lines
            .iter()
            .map(|l| {
                joined(l.iter().map(|&i| {
                    let w = literal(&words[i].text);
                    // Every piece of the word spoken (pieces share its times).
                    let spoken =
                        |h: usize| (words[h].start, words[h].end) == (words[i].start, words[i].end);
                    let w = match hot.is_some_and(spoken) {
                        true => format!("{{{hi}}}{w}{{{base}}}"),
                        false => w,
                    };
                    (words[i].glued, w)
                }))
            })
            .collect::<Vec<_>>()
            .join("\\N")
}

/// A text overlay's lines (its own, each wrapped to fit `m`).
fn overlay_lines(text: &str, m: &Measure) -> Vec<String> {
    text.lines()
        .flat_map(|line| {
            let words: Vec<Word> = line
                .split_whitespace()
                .map(|w| Word {
                    text: w.to_string(),
                    start: 0,
                    end: 0,
                    glued: false,
                })
                .collect();
            let words = fitted(words, m);
            match words.is_empty() {
                true => vec![String::new()],
                false => wrap(&words, m)
                    .into_iter()
                    .map(|l| joined(l.into_iter().map(|i| (words[i].glued, &words[i].text))))
                    .collect(),
            }
        })
        .collect()
}

/// A text overlay's placement on `canvas` and its lines wrapped to fit it (the block's height
/// decides the side rails it meets, and those the room: two rounds settle it).
fn place_overlay(canvas: &Canvas, t: &TextOverlay) -> (Placement, Measure, Vec<String>) {
    let high = |count: usize| count.max(1) as f64 * font::line_height(&t.text);
    let mut p = canvas.text(&t.style, high(t.text.lines().count()), &t.position);
    let mut m = Measure::of(canvas, p, &t.style);
    let mut lines = overlay_lines(&t.text, &m);
    for _ in 0..2 {
        p = canvas.text(&t.style, high(lines.len()), &t.position);
        m = Measure::of(canvas, p, &t.style);
        lines = overlay_lines(&t.text, &m);
    }
    (p, m, lines)
}

/// A card's style as a text overlay's on a `width`x`height` frame: lines as long as 90 % of
/// the width holds at its size (a longer word is drawn smaller, see [`Measure::shrink`]).
pub fn card_style(look: &Look, width: u32, height: u32) -> Style {
    let per_line = Canvas::chars_across(f64::from(width), look.size * f64::from(height), look.bold);
    Style {
        look: look.clone(),
        max_lines: u32::MAX,
        max_chars: per_line,
        ..Style::default()
    }
}

/// A card's text as a text overlay centred on a `canvas` frame without UI zones (a card fills
/// the frame), from `start` to `end` ns; smaller than its `size` when its lines would not fit
/// the rows `rows` (fractions; [`Canvas::card_rows`]: 90 % of the frame's height between the
/// UI zones, less the captions shown on it), so none runs off it or under the captions; an
/// error when they would not fit at the smallest readable size ([`Canvas::readable`]).
pub fn card_text(
    text: &str,
    look: &Look,
    canvas: &Canvas,
    span: (i64, i64),
    rows: (f64, f64),
) -> Result<TextOverlay, String> {
    let room = (rows.1 - rows.0) * f64::from(canvas.height);
    let advice = "shorten it, or spread it over more cards";
    fit_height(canvas, room, look.size, advice, |size| TextOverlay {
        text: text.to_string(),
        start: Some(TimeSpec::Nanos(span.0)),
        end: Some(TimeSpec::Nanos(span.1)),
        position: "center".into(),
        style: card_style(
            &Look {
                size,
                ..look.clone()
            },
            canvas.width,
            canvas.height,
        ),
    })
}

/// A text overlay as drawn on `canvas`: smaller than its `size` when its lines would not fit
/// `room` pixels of height (by default the height its position has between the UI zones,
/// [`Canvas::text_room`]), so none runs off the frame or under the platform's UI; an error
/// when they would not fit at the smallest readable size ([`fit_height`]).
fn fitted_overlay(
    canvas: &Canvas,
    t: &TextOverlay,
    room: Option<f64>,
) -> Result<TextOverlay, String> {
    let room = room.unwrap_or_else(|| canvas.text_room(&t.position));
    let advice = "shorten it, or give it more characters a line (max_chars)";
    fit_height(canvas, room, t.style.look.size, advice, |size| {
        let mut t = t.clone();
        t.style.look.size = size;
        t
    })
}

/// A text overlay laid out on `canvas`: its style, placement and lines (and the measure they
/// were wrapped to).
struct Block {
    style: Style,
    p: Placement,
    m: Measure,
    lines: Vec<String>,
}

/// Text overlay `t` laid out on `canvas` ([`fitted_overlay`], [`place_overlay`]), clear of
/// the rows `taken` (the captions' and other text's shown with it): where it is asked when
/// that keeps clear of them, else just above or below them ([`Canvas::clear_of`]), drawn
/// smaller when no side has room at its size; and whether it is clear of them (else it is
/// where asked). An error when it does not fit where asked at the smallest readable size.
fn overlay_block(
    canvas: &Canvas,
    t: &TextOverlay,
    taken: &[(f64, f64)],
) -> Result<(Block, bool), String> {
    let fitted = fitted_overlay(canvas, t, None)?;
    let (p, m, lines) = place_overlay(canvas, &fitted);
    let asked = Block {
        style: fitted.style.clone(),
        p,
        m,
        lines,
    };
    if taken.is_empty() {
        return Ok((asked, true));
    }
    let beside = |t: &TextOverlay| {
        let (p, _, lines) = place_overlay(canvas, t);
        let high = lines.len().max(1) as f64 * font::line_height(&t.text);
        let p = canvas.clear_of(p, high, taken)?;
        // Its new rows may meet other side rails.
        let m = Measure::of(canvas, p, &t.style);
        let lines = overlay_lines(&t.text, &m);
        Some(Block {
            style: t.style.clone(),
            p,
            m,
            lines,
        })
    };
    let smaller = || fitted_overlay(canvas, t, Some(canvas.room_beside(taken))).ok();
    Ok(beside(&fitted)
        .or_else(|| beside(&smaller()?))
        .map_or((asked, false), |b| (b, true)))
}

impl Block {
    /// The rows (fractions) its lines take.
    fn rows(&self, canvas: &Canvas) -> (f64, f64) {
        let high = self.lines.len().max(1) as f64 * font::line_height(&self.lines.concat());
        canvas.rows(self.p, high)
    }

    /// The box (`[x0, y0, x1, y1]` fractions) its widest line and its outline take.
    fn zone(&self, canvas: &Canvas) -> [f64; 4] {
        let w = f64::from(canvas.width);
        let widest = self
            .lines
            .iter()
            .map(|l| self.m.width(l))
            .fold(0.0, f64::max)
            .min(self.m.room);
        let (l, r) = (f64::from(self.p.left), w - f64::from(self.p.right));
        let border = ((r - l - self.m.room) / 2.0).max(0.0);
        let (x0, x1) = match self.p.align {
            1 | 4 | 7 => (l, l + widest + 2.0 * border),
            3 | 6 | 9 => (r - widest - 2.0 * border, r),
            _ => {
                let mid = (l + r) / 2.0;
                (mid - widest / 2.0 - border, mid + widest / 2.0 + border)
            }
        };
        let (y0, y1) = self.rows(canvas);
        [(x0 / w).max(0.0), y0, (x1 / w).min(1.0), y1]
    }
}

/// The text overlay `at(size)` makes, at `size` or smaller until its lines, as placed on
/// `canvas`, fit `room` pixels of height; never smaller than [`Canvas::readable`] (or `size`,
/// when asked smaller): what does not fit at that size is an error saying why, then `advice`.
fn fit_height(
    canvas: &Canvas,
    room: f64,
    size: f64,
    advice: &str,
    at: impl Fn(f64) -> TextOverlay,
) -> Result<TextOverlay, String> {
    let floor = canvas.readable().min(size);
    let mut size = size;
    loop {
        let t = at(size);
        let (p, _, lines) = place_overlay(canvas, &t);
        let high = lines.len() as f64 * font::line_height(&t.text) * f64::from(p.font);
        if high <= room {
            return Ok(t);
        }
        if size <= floor {
            return Err(format!(
                "its {} lines do not fit the {:.0} pixels of height it has on the {}x{} output \
                 even at the smallest readable size ({size:.3} of the frame height, {} pixels a \
                 line): {advice}",
                lines.len(),
                room,
                canvas.width,
                canvas.height,
                p.font,
            ));
        }
        // The lines' area goes with the square of the size.
        size = (size * (room / high).sqrt().min(0.95)).max(floor);
    }
}

/// The events of `card` (its style `Card{i}`) over its frames at `rate`: a rectangle of its
/// colour filling the frame and its text `t` (as [`card_text`] fits it, placed as
/// [`place_overlay`] places it, centred in the rows `rows`), both crossfaded in and out, and a
/// black veil over its fades through black. Under a crossfade the frames show the other shot alone
/// ([`crate::concat::normalise::frames`]), so the card is drawn over them at `k/(n+1)` of its
/// opacity on frame `k` of `n`, the ramp of the cut's own blend (FFmpeg's `xfade`): a linear
/// crossfade on every deliverable, whatever its shape. Into another card (`into_card`) it
/// stays whole, the next card crossfading in over it.
fn card_events(
    out: &mut String,
    canvas: &Canvas,
    rate: Rational,
    (i, card, t): (usize, &ShownCard, &TextOverlay),
    (rows, into_card): ((f64, f64), bool),
) {
    let (w, h) = (canvas.width, canvas.height);
    let f = |t: i64| frame_at(t, rate);
    let (a, b) = (f(card.start), f(card.end));
    let head = match card.head {
        Ramp::Blend(ns) => f(card.start + ns),
        _ => a,
    };
    let tail = match card.tail {
        Ramp::Blend(ns) if !into_card => f(card.end - ns),
        _ => b,
    };
    // Frame `k` of the ramp `[from, to)`, rising or falling, as a fade tag (ASS's sense: 0
    // whole, 255 transparent; it multiplies the colours' own alpha).
    let fade = |k: i64, (from, to): (i64, i64), rising: bool| {
        let n = to - from;
        let shown = if rising { k - from + 1 } else { to - k };
        let opacity = (shown * 255 + (n + 1) / 2) / (n + 1);
        format!("\\fade({0},{0},{0},0,0,0,0)", 255 - opacity)
    };
    let ramp = |span: (i64, i64), rising: bool| {
        (span.0..span.1).map(move |k| (k, k + 1, fade(k, span, rising)))
    };
    let pieces: Vec<(i64, i64, String)> = ramp((a, head), true)
        .chain([(head, tail, String::new())])
        .chain(ramp((tail, b), false))
        .collect();
    let [r, g, bl] = card.background.for_bt601_drawing().0;
    let fill = |colour: String, extra: &str| {
        format!("{{\\an7\\pos(0,0)\\bord0\\shad0\\1c&H{colour}&{extra}\\p1}}m 0 0 l {w} 0 {w} {h} 0 {h}")
    };
    for (from, to, fad) in &pieces {
        let colour = format!("{bl:02X}{g:02X}{r:02X}");
        event(out, *from, *to, rate, "CardFill", &fill(colour, fad));
    }
    if !card.text.trim().is_empty() {
        let (_, m, lines) = place_overlay(&canvas.card(), t);
        let widest = lines.iter().map(|l| m.width(l)).fold(0.0, f64::max);
        let mid = ((rows.0 + rows.1) / 2.0 * f64::from(h)).round();
        let body = m.shrink(widest) + &literal(&lines.join("\n")).replace('\n', "\\N");
        for (from, to, fad) in &pieces {
            let text = format!("{{\\pos({},{mid}){fad}}}", w / 2) + &body;
            event(out, *from, *to, rate, &format!("Card{i}"), &text);
        }
    }
    // Fades through black: a black veil clearing over the fade in, thickening over the fade out.
    let veil = |out: &mut String, from: i64, to: i64, alpha: (&str, &str)| {
        let ms = frame_time(to, rate, 1000) - frame_time(from, rate, 1000);
        let ramp = format!("\\alpha&H{}&\\t(0,{ms},\\alpha&H{}&)", alpha.0, alpha.1);
        event(
            out,
            from,
            to,
            rate,
            "CardFill",
            &fill("000000".into(), &ramp),
        );
    };
    if let Ramp::Black(ns) = card.head {
        veil(out, a, f(card.start + ns), ("00", "FF"));
    }
    if let Ramp::Black(ns) = card.tail {
        veil(out, f(card.end - ns), b, ("FF", "00"));
    }
}

/// The box (`[x0, y0, x1, y1]` fractions) the text `t` of `card` takes, as [`card_events`]
/// draws it centred in the rows `rows`; `None` for a card without text.
fn card_zone(
    canvas: &Canvas,
    card: &ShownCard,
    t: &TextOverlay,
    rows: (f64, f64),
) -> Option<[f64; 4]> {
    if card.text.trim().is_empty() {
        return None;
    }
    let (_, m, lines) = place_overlay(&canvas.card(), t);
    let widest = lines.iter().map(|l| m.width(l)).fold(0.0, f64::max);
    let half_w = widest.min(m.room) / 2.0 / f64::from(canvas.width);
    let high = lines.len() as f64 * font::line_height(&t.text) * m.font;
    let half_h = high / 2.0 / f64::from(canvas.height);
    let y = (rows.0 + rows.1) / 2.0;
    Some([0.5 - half_w, y - half_h, 0.5 + half_w, y + half_h])
}

/// An ASS script and what was learnt laying it out.
pub struct Script {
    /// The script.
    pub text: String,
    /// Warnings about text overlays no place keeps clear of the captions (`text N: ...`).
    pub warnings: Vec<String>,
    /// The text of each overlay and card, for what must keep clear of it (a logo).
    pub texts: Vec<ShownText>,
}

/// A block of text as drawn: what it is, its frames and its box.
#[derive(Debug, Clone)]
pub struct ShownText {
    /// `text N` (an overlay) or `the text of shot N ("...")` (a card, named by its
    /// [`ShownCard::what`]).
    pub what: String,
    /// Its first frame and the frame after its last.
    pub frames: (i64, i64),
    /// The box its lines take, `[x0, y0, x1, y1]` fractions.
    pub zone: [f64; 4],
}

/// Why [`script`] cannot lay its texts out.
#[derive(Debug)]
pub enum Unfit {
    /// The captions or a text overlay (their style and text are the overlays' file's): what
    /// is wrong, naming them.
    Overlays(String),
    /// The text of card `.0` (an index of the cards) does not fit: why (the caller names the
    /// card, [`ShownCard::what`]).
    Card(usize, String),
}

/// The script for a `canvas` frame at `rate`: `captions` in `style`, `texts` (times resolved
/// against `duration` ns, the length of the deliverable) and the text of `cards`, each text
/// overlay kept clear of the captions and of the overlays before it that it is shown with,
/// and a card's text clear of the captions shown on it. A text overlay no place keeps clear
/// of the captions is drawn where asked, with a warning; one no place keeps clear of another
/// overlay is an error naming the two (libass would move one of them, wherever it finds room).
pub fn script(
    canvas: &Canvas,
    rate: Rational,
    style: &Style,
    captions: &Captions,
    texts: &[TextOverlay],
    cards: &[ShownCard],
    duration: i64,
) -> Result<Script, Unfit> {
    let mut out = format!(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: {}\nPlayResY: {}\nWrapStyle: 0\nScaledBorderAndShadow: yes\nYCbCr Matrix: TV.709\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n",
        canvas.width, canvas.height
    );
    let band_lines = f64::from(style.max_lines) * captions.line_height();
    let band = canvas.captions(style, band_lines);
    let caption_rows = canvas.rows(band, band_lines);
    if !captions.cues.is_empty()
        && caption_rows.0 < canvas.top_limit() - 0.5 / f64::from(canvas.height)
    {
        return Err(Unfit::Overlays(format!(
            "captions: {} lines (max_lines) do not fit between the UI zones of the {}x{} \
             output even at the smallest readable size ({} pixels a line): lower [captions] \
             max_lines",
            style.max_lines, canvas.width, canvas.height, band.font
        )));
    }
    let measure = Measure::of(canvas, band, style);
    out.push_str(&style_line("Caption", style, band));
    let f = |t: i64| frame_at(t, rate);
    let span = |t: &TextOverlay| {
        let a = t.start.map_or(0, |s| spec_ns(s, rate));
        (
            a,
            t.end.map_or(duration, |e| spec_ns(e, rate)).min(duration),
        )
    };
    // Whether a caption shows on any frame of `[a, b)` ns.
    let with_captions = |(a, b): (i64, i64)| {
        captions
            .cues
            .iter()
            .any(|c| f(c.start) < f(b) && f(c.end) > f(a))
    };
    if !cards.is_empty() {
        out.push_str("Style: CardFill,{FAMILY},20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,7,0,0,0,1\n".replace("{FAMILY}", FAMILY).as_str());
    }
    // A card's text keeps clear of the captions shown on it; the text overlays shown with it
    // keep clear of its text.
    let card_rows: Vec<(f64, f64)> = cards
        .iter()
        .map(|c| canvas.card_rows(with_captions((c.start, c.end)).then_some(caption_rows)))
        .collect();
    let mut card_texts = Vec::with_capacity(cards.len());
    let mut card_shown = Vec::with_capacity(cards.len());
    for (i, c) in cards.iter().enumerate() {
        let bare = canvas.card();
        let t = card_text(&c.text, &c.look, &bare, (c.start, c.end), card_rows[i])
            .map_err(|e| Unfit::Card(i, e))?;
        let (p, _, _) = place_overlay(&bare, &t);
        out.push_str(&style_line(&format!("Card{i}"), &t.style, p));
        card_shown.extend(
            card_zone(canvas, c, &t, card_rows[i]).map(|zone| ShownText {
                what: format!("the text of {} ({})", c.what, quoted(&c.text)),
                frames: (f(c.start), f(c.end)),
                zone,
            }),
        );
        card_texts.push(t);
    }
    let mut blocks: Vec<Block> = Vec::with_capacity(texts.len());
    let mut placed: Vec<ShownText> = Vec::with_capacity(texts.len());
    let mut warnings = Vec::new();
    let size = format!("{}x{}", canvas.width, canvas.height);
    for (i, t) in texts.iter().enumerate() {
        let (a, b) = span(t);
        let frames = (f(a), f(b));
        // The overlays before it and the cards' text shown with it.
        let met: Vec<&ShownText> = (placed.iter().chain(&card_shown))
            .filter(|s| s.frames.0 < frames.1 && s.frames.1 > frames.0)
            .collect();
        let others: Vec<(f64, f64)> = met.iter().map(|s| (s.zone[1], s.zone[3])).collect();
        let cap = with_captions((a, b)).then_some(caption_rows);
        let unfit = |e: String| {
            let at = crate::specfile::entry("text", i);
            Unfit::Overlays(format!("{at} ({}): {e}", quoted(&t.text)))
        };
        let (block, clear) =
            overlay_block(canvas, t, &[&others[..], cap.as_slice()].concat()).map_err(unfit)?;
        let block = match (clear, others.is_empty()) {
            (true, _) => block,
            (false, true) => {
                warnings.push(format!(
                    "{}: no place between the UI zones of the {size} output keeps it clear of \
                     the captions; drawn where asked, and the two meet",
                    crate::specfile::entry("text", i),
                ));
                block
            }
            (false, false) => {
                let (block, clear) = overlay_block(canvas, t, &others).map_err(unfit)?;
                if !clear {
                    return Err(Unfit::Overlays(format!(
                        "{} and {} are shown together and no place between the UI zones of the \
                         {size} output keeps them apart: shorten one, make it smaller or show \
                         them at different times",
                        met[0].what,
                        crate::specfile::entry("text", i),
                    )));
                }
                warnings.push(format!(
                    "{}: no place between the UI zones of the {size} output keeps it clear of \
                     the captions and of {}; kept clear of {0}, and it meets the captions",
                    crate::specfile::entry("text", i),
                    met[0].what,
                ));
                block
            }
        };
        out.push_str(&style_line(&format!("Text{i}"), &block.style, block.p));
        placed.push(ShownText {
            what: crate::specfile::entry("text", i),
            frames,
            zone: block.zone(canvas),
        });
        blocks.push(block);
    }
    out.push_str("\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n");
    // Cards first, so captions and overlays are drawn over them.
    for (i, c) in cards.iter().enumerate() {
        // Crossfading into the next card (which then starts where this one's tail does).
        let into_card = match c.tail {
            Ramp::Blend(ns) => cards.iter().any(|o| o.start == c.end - ns),
            _ => false,
        };
        let card = (i, c, &card_texts[i]);
        card_events(&mut out, canvas, rate, card, (card_rows[i], into_card));
    }
    placed.extend(card_shown);
    for cue in &captions.cues {
        let words = fitted(tokens(cue), &measure);
        let timed = !cue.words.is_empty();
        for page in pages(cue, &words, style.max_lines, &measure) {
            if !timed {
                let text = page_text(&words, &page.lines, None, style, &measure);
                event(&mut out, f(page.start), f(page.end), rate, "Caption", &text);
                continue;
            }
            // Word by word: each word lit from its start until the next one's.
            let ids: Vec<usize> = page.lines.iter().flatten().copied().collect();
            let lit = |k: usize| words[ids[k]].start.clamp(page.start, page.end);
            let plain = page_text(&words, &page.lines, None, style, &measure);
            event(&mut out, f(page.start), f(lit(0)), rate, "Caption", &plain);
            for k in 0..ids.len() {
                let until = if k + 1 < ids.len() {
                    lit(k + 1)
                } else {
                    page.end
                };
                let text = page_text(&words, &page.lines, Some(ids[k]), style, &measure);
                event(&mut out, f(lit(k)), f(until), rate, "Caption", &text);
            }
        }
    }
    for (i, t) in texts.iter().enumerate() {
        let (a, b) = span(t);
        // Lines wrapped to fit; a word longer than a line is drawn smaller.
        let Block { m, lines, .. } = &blocks[i];
        let widest = lines.iter().map(|l| m.width(l)).fold(0.0, f64::max);
        let text = m.shrink(widest) + &literal(&lines.join("\n")).replace('\n', "\\N");
        event(&mut out, f(a), f(b), rate, &format!("Text{i}"), &text);
    }
    Ok(Script {
        text: out,
        warnings,
        texts: placed,
    })
}

/// The `ass` filter drawing `script` with the fonts of the directory `fonts` only (see
/// [`super::font`]).
pub fn filter(script: &Path, fonts: &Path) -> String {
    format!(
        "ass=filename={}:fontsdir={}",
        graph_arg(script),
        graph_arg(fonts)
    )
}

/// A path as a filter option value inside a filter graph (escaped for the option parser,
/// then for the graph parser).
pub fn graph_arg(path: &Path) -> String {
    let escape = |s: &str, special: &str| {
        s.chars().fold(String::new(), |mut out, c| {
            if special.contains(c) {
                out.push('\\');
            }
            out.push(c);
            out
        })
    };
    let s = path.to_string_lossy();
    escape(&escape(&s, "\\':"), "\\'[],;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_survive_both_levels_of_escaping() {
        assert_eq!(graph_arg(Path::new("/t/a:b,c'd")), "/t/a\\\\:b\\,c\\\\\\'d");
    }

    #[test]
    fn event_times_fall_between_frames() {
        let r30 = Rational::new(30, 1);
        assert_eq!(frame_at(1_000_000_000, r30), 30);
        assert_eq!(frame_at(1_000_000_001, r30), 31);
        assert_eq!(ass_time(30, r30), "0:00:00.98");
        let ntsc = Rational::new(30000, 1001);
        // Frame 30 of 29.97 fps starts at 1.001 s; 29 at 0.968 s: the event starts at 0.98.
        assert_eq!(ass_time(30, ntsc), "0:00:00.98");
        assert_eq!(frame_time(30, ntsc, 1000), 1001);
    }

    #[test]
    fn a_word_longer_than_a_line_is_cut_across_lines_and_boxes_use_border_style_3() {
        let canvas = Canvas::bare(360, 640);
        let mut style = Style::default();
        style.look.boxed = true;
        let cue = super::super::Cue::new(
            0,
            NANOS,
            "see https://example.com/a/rather/long/path".into(),
        );
        let captions = Captions { cues: vec![cue] };
        let s = script(
            &canvas,
            Rational::new(30, 1),
            &style,
            &captions,
            &[],
            &[],
            2 * NANOS,
        )
        .unwrap()
        .text;
        let band = canvas.captions(&style, f64::from(style.max_lines));
        let m = Measure::of(&canvas, band, &style);
        // The URL is wider than the band: it is cut into pieces that fit, at the band's font,
        // shown over as many pages as they take.
        let url = "https://example.com/a/rather/long/path";
        assert!(m.width(url) > m.room, "{m:?}");
        let shown: Vec<&str> = s
            .lines()
            .filter_map(|l| l.strip_prefix("Dialogue: "))
            .map(|l| l.splitn(10, ',').nth(9).unwrap())
            .collect();
        assert!(shown.len() > 1 && !s.contains("\\fs"), "{s}");
        let lines: Vec<&str> = shown.iter().flat_map(|t| t.split("\\N")).collect();
        assert!(lines.iter().all(|l| m.width(l) <= m.room), "{lines:?}");
        assert_eq!(lines.concat(), format!("see{url}"));
        assert!(s.contains(",3,"), "box: BorderStyle 3 in {s}");
    }
}
