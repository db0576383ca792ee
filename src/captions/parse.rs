//! Caption file readers: SRT, WebVTT (with cue-internal `<00:00:01.500>` word times), ASS/SSA
//! (with `\k` karaoke times) and a JSON word list `[{"word", "start", "end"}]` (seconds).
//! Each gives cues in file order with the line they start on; [`super::Captions::new`] checks
//! their order.

use super::{Cue, Word};
use crate::timeline::{TimeSpec, NANOS};

/// A parse failure: the 1-based line and what is wrong there.
pub(crate) type Failure = (usize, String);

/// A cue and the line it starts on.
pub(crate) type Lined = (usize, Cue);

/// A `HH:MM:SS,mmm` / `MM:SS.mmm` / `H:MM:SS.cc` timestamp in nanoseconds.
fn stamp(s: &str, line: usize) -> Result<i64, Failure> {
    match TimeSpec::parse(&s.trim().replace(',', ".")) {
        Ok(TimeSpec::Nanos(n)) if s.contains(':') => Ok(n),
        _ => Err((line, format!("bad timestamp '{}'", s.trim()))),
    }
}

/// `START --> END` (anything after END, e.g. WebVTT cue settings, ignored).
fn timing(s: &str, line: usize) -> Result<(i64, i64), Failure> {
    let (a, b) = s.split_once("-->").ok_or_else(|| {
        (
            line,
            format!("expected 'START --> END', found '{}'", s.trim()),
        )
    })?;
    let b = b.split_whitespace().next().unwrap_or("");
    Ok((stamp(a, line)?, stamp(b, line)?))
}

/// The failure of a cue block `lines` (from line `first`) without its `START --> END` line
/// (`example`), at the line that should be it: the first that starts like a time, else the
/// one after a cue number (SRT) or identifier (WebVTT), else the first.
fn no_timing(first: usize, lines: &[&str], example: &str) -> Failure {
    let timelike = |l: &&str| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(':');
    let at = lines.iter().position(timelike).unwrap_or_else(|| {
        let numbered = lines[0].trim().chars().all(|c| c.is_ascii_digit());
        usize::from(lines.len() > 1 && (numbered || !example.contains(',')))
    });
    let found = lines[at].trim();
    if found.contains("-->") {
        return (
            first + at,
            "unexpected text before the timing: a cue has at most one line (its identifier) \
             before it"
                .into(),
        );
    }
    let arrow = ["->", "- >", "\u{2013}>", "\u{2014}>", "=>"]
        .iter()
        .any(|a| found.contains(a));
    let hint = match arrow {
        true => ": the arrow between the times is two hyphens and '>', '-->'",
        false => "",
    };
    (
        first + at,
        format!("expected the cue's timing, 'START --> END' ({example}), found '{found}'{hint}"),
    )
}

/// The markup of a caption format, which [`plain`] removes.
#[derive(Debug, Clone, Copy)]
enum Markup {
    /// SubRip: HTML-like tags (`<i>`, `</font>`) and ASS override blocks (`{\an8}`); any other
    /// `<` or `{` is text (`I <3 you`, `{laughs}`), as players show it.
    Srt,
    /// WebVTT: every `<` starts a tag (text writes `&lt;`); `{` is text.
    Vtt,
    /// ASS/SSA: `{...}` override blocks; `<` is text, and there are no entities.
    Ass,
}

/// Text with `markup`'s tags and override blocks removed and its entities decoded. The text
/// after an ASS drawing tag (`{\p1}` to `{\p0}`) is vector drawing commands, not words
/// (`m 0 0 l 100 0 100 100`): it goes too.
fn plain(s: &str, markup: Markup) -> String {
    let mut out = String::new();
    let mut rest = s;
    let mut drawing = false;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        let tag = |close: char| rest.find(close).map(|e| e + 1);
        let skip = match (markup, c) {
            (Markup::Vtt, '<') => Some(tag('>').unwrap_or(rest.len())),
            (Markup::Srt, '<')
                if after.starts_with(|n: char| n.is_ascii_alphabetic() || n == '/') =>
            {
                tag('>')
            }
            (Markup::Srt, '{') if after.starts_with('\\') => tag('}'),
            (Markup::Ass, '{') => tag('}'),
            _ => None,
        };
        match skip {
            Some(n) => {
                if c == '{' {
                    drawing = draws(&rest[..n]).unwrap_or(drawing);
                }
                rest = &rest[n..];
            }
            None => {
                if !drawing {
                    out.push(c);
                }
                rest = after;
            }
        }
    }
    match markup {
        Markup::Ass => out,
        _ => entities(&out),
    }
}

/// `text` with its character references decoded, once (`&amp;lt;` is `&lt;`): `&lt;`, `&gt;`,
/// `&amp;`, `&quot;`, `&apos;`, `&nbsp;` (a space), `&lrm;`, `&rlm;` and the numeric ones
/// (`&#233;`, `&#xE9;`; not a control character); any other `&` is text.
fn entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest[1..].find(';').filter(|&e| e <= 10).and_then(|e| {
            let c = match &rest[1..1 + e] {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => ' ',
                "lrm" => '\u{200e}',
                "rlm" => '\u{200f}',
                name => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| !c.is_control())?
                }
            };
            Some((c, e + 2))
        });
        match decoded {
            Some((c, n)) => {
                out.push(c);
                rest = &rest[n..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether the ASS override `block` (`{...}`) turns drawing mode on (`\p1`, any scale above
/// 0) or off (`\p0`), by its last such tag; `None` without one (`\pos(...)` is not one).
fn draws(block: &str) -> Option<bool> {
    block
        .trim_end_matches('}')
        .split('\\')
        .skip(1)
        .filter_map(|tag| tag.strip_prefix('p')?.trim().parse::<u32>().ok())
        .last()
        .map(|scale| scale > 0)
}

/// The blocks of a text separated by blank lines, each with its first line number.
fn blocks(text: &str) -> Vec<(usize, Vec<&str>)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, Vec<&str>)> = None;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() {
            out.extend(cur.take());
        } else {
            cur.get_or_insert((i + 1, Vec::new())).1.push(l);
        }
    }
    out.extend(cur);
    out
}

/// SubRip: `index`, `START --> END`, text lines, blank line.
pub(crate) fn srt(text: &str) -> Result<Vec<Lined>, Failure> {
    let mut cues = Vec::new();
    for (first, lines) in blocks(text) {
        let at = lines
            .iter()
            .position(|l| l.contains("-->"))
            .ok_or_else(|| no_timing(first, &lines, "00:00:01,000 --> 00:00:02,500"))?;
        if at > 1 {
            return Err((
                first,
                format!("unexpected text before the timing: '{}'", lines[0]),
            ));
        }
        let line = first + at;
        let (start, end) = timing(lines[at], line)?;
        let text: Vec<String> = lines[at + 1..]
            .iter()
            .map(|l| plain(l, Markup::Srt))
            .collect();
        cues.push((line, Cue::new(start, end, text.join("\n"))));
    }
    Ok(cues)
}

/// WebVTT: `WEBVTT` header, optional cue identifiers, NOTE/STYLE/REGION blocks skipped;
/// `<00:00:01.500>` inside a cue starts a word there.
pub(crate) fn vtt(text: &str) -> Result<Vec<Lined>, Failure> {
    let mut all = blocks(text).into_iter();
    match all.next() {
        Some((_, b)) if b[0].starts_with("WEBVTT") => {}
        _ => return Err((1, "a WebVTT file starts with 'WEBVTT'".into())),
    }
    let mut cues = Vec::new();
    for (first, lines) in all {
        if ["NOTE", "STYLE", "REGION"]
            .iter()
            .any(|k| lines[0].starts_with(k))
        {
            continue;
        }
        let at = lines
            .iter()
            .position(|l| l.contains("-->"))
            .filter(|&a| a <= 1)
            .ok_or_else(|| no_timing(first, &lines, "00:01.000 --> 00:02.500"))?;
        let line = first + at;
        let (start, end) = timing(lines[at], line)?;
        let body = without_ruby_text(&lines[at + 1..].join("\n"));
        let mut cue = Cue::new(start, end, plain(&body, Markup::Vtt));
        let timed = body
            .match_indices('<')
            .any(|(i, _)| body[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
        if timed {
            cue.words = vtt_words(&body, start, end, line + 1)?;
        }
        cues.push((line, cue));
    }
    Ok(cues)
}

/// A WebVTT cue body without its ruby text (`<rt>kan</rt>`: the reading drawn small above a
/// letter, which on one line would read as part of the text: `漢kan`).
fn without_ruby_text(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(open) = rest.find("<rt") {
        let (before, from) = rest.split_at(open);
        if !from[3..].starts_with(['>', '.', ' ']) {
            out.push_str(&rest[..open + 3]);
            rest = &rest[open + 3..];
            continue;
        }
        out.push_str(before);
        rest = from
            .find("</rt>")
            .map_or("", |close| &from[close + "</rt>".len()..]);
    }
    out.push_str(rest);
    out
}

/// The words of a cue body with `<timestamp>` tags: each timestamp starts the text after it.
fn vtt_words(body: &str, start: i64, end: i64, line: usize) -> Result<Vec<Word>, Failure> {
    let mut segments = vec![(start, String::new())];
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        segments.last_mut().expect("one").1.push_str(&rest[..open]);
        let close = rest[open..]
            .find('>')
            .map(|c| open + c)
            .ok_or_else(|| (line, "a '<' without its '>'".to_string()))?;
        let tag = &rest[open + 1..close];
        if tag.starts_with(|c: char| c.is_ascii_digit()) {
            segments.push((stamp(tag, line)?, String::new()));
        }
        rest = &rest[close + 1..];
    }
    segments.last_mut().expect("one").1.push_str(rest);
    Ok(words_of(segments, end, Markup::Vtt))
}

/// Words from timed text segments `(start, text)`: a segment lasts until the next one starts
/// (the last until `end`) and its words share that time evenly; text glued to the previous
/// segment (`Hel{\k20}lo`) continues its word.
fn words_of(segments: Vec<(i64, String)>, end: i64, markup: Markup) -> Vec<Word> {
    let mut words: Vec<Word> = Vec::new();
    let mut open = false;
    for (i, (t, raw)) in segments.iter().enumerate() {
        let t = *t;
        let stop = segments.get(i + 1).map_or(end, |s| s.0).max(t);
        let text = plain(raw, markup);
        let mut parts: Vec<&str> = text.split_whitespace().collect();
        if parts.is_empty() {
            open &= text.is_empty();
            continue;
        }
        let glued = open && !text.starts_with(char::is_whitespace);
        let k = parts.len() as i64;
        let share = |j: i64| t + (stop - t) * j / k;
        if glued {
            let prev = words.last_mut().expect("open after a word");
            prev.text.push_str(parts.remove(0));
            prev.end = share(1);
        }
        let skip = i64::from(glued);
        for (j, p) in parts.into_iter().enumerate() {
            let j = j as i64 + skip;
            words.push(Word {
                text: p.to_string(),
                start: share(j),
                end: share(j + 1),
                glued: false,
            });
        }
        open = !text.ends_with(char::is_whitespace);
    }
    words
}

/// ASS / SSA: the `[Events]` section's `Dialogue:` lines (field order from its `Format:`
/// line); `\N` breaks lines, `\k`/`\K`/`\kf`/`\ko` durations (centiseconds) time the words.
pub(crate) fn ass(text: &str) -> Result<Vec<Lined>, Failure> {
    let mut in_events = false;
    let mut format: Option<Vec<String>> = None;
    let mut cues = Vec::new();
    for (i, l) in text.lines().enumerate() {
        let (n, l) = (
            i + 1,
            l.trim_end_matches('\r').trim_start_matches('\u{feff}'),
        );
        if l.starts_with('[') {
            in_events = l.trim().eq_ignore_ascii_case("[events]");
            continue;
        }
        if !in_events {
            continue;
        }
        if let Some(f) = l.strip_prefix("Format:") {
            format = Some(f.split(',').map(|s| s.trim().to_lowercase()).collect());
        } else if let Some(d) = l.strip_prefix("Dialogue:") {
            let f = format.as_ref().ok_or_else(|| {
                (
                    n,
                    "a Dialogue line before the [Events] Format line".to_string(),
                )
            })?;
            let fields: Vec<&str> = d.splitn(f.len(), ',').collect();
            let field = |name: &str| {
                f.iter()
                    .position(|k| k == name)
                    .and_then(|k| fields.get(k))
                    .copied()
                    .ok_or_else(|| (n, format!("the Dialogue line has no {name} field")))
            };
            let (start, end) = (stamp(field("start")?, n)?, stamp(field("end")?, n)?);
            // \N and \n break lines (the captions' own wrap then applies), \h is a space.
            let body =
                (field("text")?.replace("\\N", "\n").replace("\\n", "\n")).replace("\\h", " ");
            let mut cue = Cue::new(start, end, plain(&body, Markup::Ass));
            if body.contains("\\k") || body.contains("\\K") {
                cue.words = ass_words(&body, start, end, n)?;
            }
            cues.push((n, cue));
        }
    }
    if format.is_none() {
        return Err((1, "no [Events] section with a Format line".into()));
    }
    Ok(cues)
}

/// The karaoke words of an ASS line: each `\k<cs>` (in an override block) times the text after
/// it, starting where the previous one's duration ended.
fn ass_words(body: &str, start: i64, end: i64, line: usize) -> Result<Vec<Word>, Failure> {
    let mut segments = vec![(start, String::new())];
    let mut t = start;
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        segments.last_mut().expect("one").1.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| (line, "a '{' without its '}'".to_string()))?;
        for tag in rest[open + 1..close].split('\\').skip(1) {
            let digits = tag
                .strip_prefix("kf")
                .or_else(|| tag.strip_prefix("ko"))
                .or_else(|| tag.strip_prefix('k'))
                .or_else(|| tag.strip_prefix('K'));
            if let Some(d) = digits {
                let cs: i64 = d
                    .trim()
                    .parse()
                    .map_err(|_| (line, format!("bad karaoke duration '\\{tag}'")))?;
                segments.push((t, String::new()));
                t += cs * (NANOS / 100);
            }
        }
        rest = &rest[close + 1..];
    }
    segments.last_mut().expect("one").1.push_str(rest);
    Ok(words_of(segments, end, Markup::Ass))
}

/// A JSON list of `{"word", "start", "end"}` (seconds), grouped into cues at sentence ends
/// and pauses longer than [`PAUSE_NS`]. Each cue's line is its first word's.
pub(crate) fn json_words(text: &str) -> Result<Vec<Lined>, Failure> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        word: String,
        start: f64,
        end: f64,
    }
    let entries: Vec<Entry> = serde_json::from_str(text).map_err(|e| {
        (
            e.line(),
            format!("expected a list of {{\"word\", \"start\", \"end\"}} (seconds): {e}"),
        )
    })?;
    let lines = object_lines(text);
    let mut cues: Vec<Lined> = Vec::new();
    let mut open = false;
    for (i, e) in entries.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let ns = |s: f64| {
            (s.is_finite() && s >= 0.0)
                .then(|| (s * NANOS as f64).round() as i64)
                .ok_or_else(|| (line, format!("bad time {s} for '{}'", e.word)))
        };
        let w = Word {
            text: e.word.trim().to_string(),
            start: ns(e.start)?,
            end: ns(e.end)?,
            glued: false,
        };
        if w.end <= w.start {
            return Err((line, format!("'{}' ends before it starts", w.text)));
        }
        let gap = cues.last().map_or(i64::MAX, |(_, c)| w.start - c.end);
        if gap < 0 {
            return Err((
                line,
                format!("'{}' starts before the previous word ends", w.text),
            ));
        }
        if !open || gap > PAUSE_NS {
            cues.push((line, Cue::new(w.start, w.end, String::new())));
        }
        let cue = &mut cues.last_mut().expect("pushed").1;
        if !cue.text.is_empty() {
            cue.text.push(' ');
        }
        cue.text.push_str(&w.text);
        cue.end = w.end;
        open = !w.text.ends_with(['.', '?', '!']);
        cue.words.push(w);
    }
    Ok(cues)
}

/// A pause between words this long (ns) starts a new cue.
const PAUSE_NS: i64 = NANOS;

/// The line of each object of a top-level JSON array, in order.
fn object_lines(text: &str) -> Vec<usize> {
    let (mut line, mut depth, mut in_str, mut escaped) = (1, 0, false, false);
    let mut out = Vec::new();
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_str => escaped = true,
            '"' => in_str = !in_str,
            '\n' => line += 1,
            '[' | '{' if !in_str => {
                depth += 1;
                if c == '{' && depth == 2 {
                    out.push(line);
                }
            }
            ']' | '}' if !in_str => depth -= 1,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = NANOS / 1000;

    /// Each word of `cue` with its start and end in milliseconds.
    fn word_times(cue: &Cue) -> Vec<(&str, i64, i64)> {
        cue.words
            .iter()
            .map(|w| (w.text.as_str(), w.start / MS, w.end / MS))
            .collect()
    }

    #[test]
    fn srt_cues_with_tags_and_crlf() {
        let c = srt("\u{feff}1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i>\r\nworld\r\n\r\n2\n00:00:03,000 --> 00:00:04,000\nAgain\n").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].0, c[0].1.start, c[0].1.end),
            (2, 1000 * MS, 2500 * MS)
        );
        assert_eq!(c[0].1.text, "Hello\nworld");
        assert_eq!(c[1].0, 7);
    }

    #[test]
    fn only_each_formats_own_markup_is_removed() {
        let srt = srt("1\n00:00:01,000 --> 00:00:02,000\nI <3 U {laughs} <i>so</i> {\\an8}much\n")
            .unwrap();
        assert_eq!(srt[0].1.text, "I <3 U {laughs} so much");
        let vtt = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\n{b} <i>&lt;3</i> &amp;lt;\n").unwrap();
        assert_eq!(vtt[0].1.text, "{b} <3 &lt;");
        let refs = "WEBVTT\n\n00:01.000 --> 00:02.000\nCaf&#233; &#x41;&#X42; &quot;q&apos; &#0; &bogus; &\n";
        assert_eq!(
            super::vtt(refs).unwrap()[0].1.text,
            "Caf\u{e9} AB \"q' &#0; &bogus; &"
        );
        let ruby = "WEBVTT\n\n00:01.000 --> 00:02.000\n<ruby>漢<rt>kan</rt></ruby> <rtx>ok</rtx>\n";
        assert_eq!(super::vtt(ruby).unwrap()[0].1.text, "漢 ok");
        let s = "[Events]\nFormat: Start, End, Text\nDialogue: 0:00:01.00,0:00:02.00,a <3 {\\i1}b&amp;\\hc\n";
        assert_eq!(ass(s).unwrap()[0].1.text, "a <3 b&amp; c");
    }

    #[test]
    fn srt_bad_timestamp_names_its_line() {
        let e = srt("1\n00:00:01,000 --> 00:00:0x,500\nHi\n").unwrap_err();
        assert_eq!(e.0, 2);
        assert!(e.1.contains("00:00:0x,500"), "{}", e.1);
    }

    #[test]
    fn a_timing_line_without_its_arrow_is_named_not_the_cues_first_line() {
        let arrow = "the arrow between the times is two hyphens and '>'";
        let two = "1\n00:00:00,000 --> 00:00:00,500\nA\n\n2\n00:00:00,500 -> 00:00:00,900\nB\n";
        let e = srt(two).unwrap_err();
        assert_eq!(e.0, 6, "{}", e.1);
        assert!(e.1.contains("found '00:00:00,500 -> 00:00:00,900': ") && e.1.contains(arrow));
        // Without its number; a line of text where the timing should be.
        assert_eq!(
            srt("00:00:01,000 \u{2014}> 00:00:02,000\nA\n")
                .unwrap_err()
                .0,
            1
        );
        let e = srt("1\nHello\n").unwrap_err();
        assert_eq!(
            e,
            (
                2,
                "expected the cue's timing, 'START --> END' (00:00:01,000 --> \
             00:00:02,500), found 'Hello'"
                    .into()
            )
        );
        let e = vtt("WEBVTT\n\ncue-1\n00:00.000 -- > 00:00.500\nA\n").unwrap_err();
        assert_eq!(e.0, 4, "{}", e.1);
        assert!(e.1.contains(arrow), "{}", e.1);
        let e = vtt("WEBVTT\n\ncue-1\nstray\n00:00.000 --> 00:00.500\nA\n").unwrap_err();
        assert_eq!(e.0, 5, "{}", e.1);
        assert!(e.1.contains("unexpected text before the timing"), "{}", e.1);
    }

    #[test]
    fn vtt_word_timestamps_time_each_word() {
        let c = vtt("WEBVTT\n\nNOTE a comment\n\nid1\n00:01.000 --> 00:03.000 align:center\nOne <00:00:01.500>two <00:00:02.200><c>three</c>\n\n00:40.000 --> 00:41.000\nA <00:40.500>B\n").unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].1.words[1].start, 40_500 * MS);
        let (line, cue) = &c[0];
        assert_eq!(*line, 6);
        assert_eq!(cue.text, "One two three");
        assert_eq!(
            word_times(cue),
            [
                ("One", 1000, 1500),
                ("two", 1500, 2200),
                ("three", 2200, 3000)
            ]
        );
    }

    #[test]
    fn ass_karaoke_times_words() {
        let s = "[Script Info]\nTitle: x\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\k30}Hel{\\k20}lo, {\\k50}world\\Nagain\n";
        let c = ass(s).unwrap();
        let cue = &c[0].1;
        assert_eq!(c[0].0, 6);
        assert_eq!(cue.text, "Hello, world\nagain");
        assert_eq!(
            word_times(cue),
            [
                ("Hello,", 1000, 1500),
                ("world", 1500, 1750),
                ("again", 1750, 2000)
            ]
        );
    }

    /// A drawing (`{\p1}` commands `{\p0}`) was burnt in as its commands' text.
    #[test]
    fn ass_drawings_are_left_out_and_positions_are_not_drawings() {
        let s = "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,{\\pos(10,10)}MOVING {\\p1}m 0 0 l 100 0 100 100{\\p0}ON\nDialogue: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,{\\an8\\p2}m 0 0 l 9 9\n";
        let c = ass(s).unwrap();
        assert_eq!(c[0].1.text, "MOVING ON");
        assert_eq!(c[1].1.text, "");
    }

    #[test]
    fn json_words_group_into_cues_at_sentence_ends() {
        let s = r#"[
  {"word": "Hi", "start": 0.5, "end": 0.8},
  {"word": "there.", "start": 0.9, "end": 1.2},
  {"word": "Next", "start": 1.3, "end": 1.6}
]"#;
        let c = json_words(s).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].0, c[0].1.text.as_str()), (2, "Hi there."));
        assert_eq!((c[1].0, c[1].1.start / MS), (4, 1300));
        let e = json_words(&s.replace("1.3", "1.1")).unwrap_err();
        assert_eq!(e.0, 4);
    }
}
