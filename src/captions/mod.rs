//! Captions and overlays: caption files read into timed cues (`parse`), their times mapped
//! onto a cut ([`ShotTime`]), laid out clear of a platform's UI zones and written as the ASS
//! script libass burns in ([`layout`], [`ass`]), and the sidecar `.srt`/`.vtt` of each
//! deliverable ([`sidecar`]). The style keys live in [`style`], the ones text cards share
//! with captions in [`crate::timeline::look`].
//!
//! Times are integer nanoseconds from the first frame (of the file the captions belong to).

pub mod ass;
pub mod cards;
pub mod font;
pub mod layout;
mod parse;
pub mod sidecar;
pub mod style;

use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::time::{Ticks, TimeBase};
use crate::timeline::NANOS;
use std::path::Path;

/// One timed word (or syllable group) of a cue, for word-by-word highlighting; in layout, a
/// piece of text a line may break before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// The text.
    pub text: String,
    /// Start, ns.
    pub start: i64,
    /// End (exclusive), ns.
    pub end: i64,
    /// It follows the word before on a line without a space: a piece of a word cut across
    /// lines, or of Japanese text, which breaks between letters ([`layout::fitted`]).
    pub glued: bool,
}

/// One caption: shown from `start` until `end` (exclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cue {
    /// Start, ns.
    pub start: i64,
    /// End (exclusive), ns.
    pub end: i64,
    /// Plain text, lines separated by `\n`.
    pub text: String,
    /// Word times, when the file has them (else empty).
    pub words: Vec<Word>,
    /// Its place in its file, from 1 (for messages).
    pub number: usize,
    /// The line of its file it starts on.
    pub line: usize,
}

impl Cue {
    fn new(start: i64, end: i64, text: String) -> Self {
        Self {
            start,
            end,
            text,
            words: Vec::new(),
            number: 0,
            line: 0,
        }
    }

    /// End the cue by `t` at the latest, its words too (those starting at `t` or later go).
    fn end_by(&mut self, t: i64) {
        self.end = self.end.min(t);
        self.words.retain(|w| w.start < t);
        if let Some(w) = self.words.last_mut() {
            w.end = w.end.min(t);
        }
    }

    /// The cue on the cut when it falls in a shot's part of its source (see
    /// [`Captions::on_cut`]).
    fn on_cut(&self, time: &ShotTime) -> Option<Self> {
        (self.end > time.src_in && self.start < time.src_end)
            .then(|| self.mapped(|t| time.to_cut(t.clamp(time.src_in, time.src_end))))
            .flatten()
    }

    /// The cue moved by `f` (start, end and every word), or `None` when it maps to nothing.
    fn mapped(&self, f: impl Fn(i64) -> i64) -> Option<Self> {
        let (start, end) = (f(self.start), f(self.end));
        (end > start).then(|| Self {
            start,
            end,
            text: self.text.clone(),
            number: self.number,
            line: self.line,
            words: self
                .words
                .iter()
                .map(|w| Word {
                    start: f(w.start),
                    end: f(w.end),
                    ..w.clone()
                })
                .collect(),
        })
    }
}

/// The cues of one caption file, in time order, none overlapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Captions {
    /// The cues.
    pub cues: Vec<Cue>,
}

/// The fastest a cue can be read, characters a second (spaces included, as subtitle guides
/// count them): Netflix's guide allows 20 for adults; over 25 even fast readers miss words.
const MAX_READING_RATE: f64 = 25.0;

/// The caption formats, by file extension.
const FORMATS: &str = ".srt, .vtt, .ass/.ssa or .json (a list of {word, start, end})";

impl Captions {
    /// Read a caption file (the format from its extension), and check that its cues are in
    /// order and start before `duration` ns (the end of the video they belong to) when given.
    /// A cue that overlaps the next (rolling captions) ends where the next begins, and one
    /// that runs past `duration` ends there; `progress` is warned of either. Errors name the
    /// file and the line; a file without cues is an error. Whether the cues can be read in
    /// the time they are shown is for the caller to ask ([`Captions::too_brief`]) once they
    /// are timed as shown (an export's `--speed` shortens them).
    pub fn load(path: &Path, duration: Option<i64>, progress: &dyn Progress) -> Result<Self> {
        let (cues, past_end) = Self::read(path, duration, progress)?;
        if past_end > 0 {
            progress.warn(&format!(
                "{}: {past_end} cue(s) run past the end of the video; each now ends there",
                path.display()
            ));
        }
        Ok(Self { cues })
    }

    /// A shot's caption file on the cut: read against its source's length, `duration` ns (as
    /// [`Captions::load`] reads, with its errors), then the cues of the part of the source the
    /// shot uses moved onto the cut by `time` ([`Captions::on_cut`]). The warnings are about
    /// what is shown: cues cut at the ends of that part, none in it, cues too brief to read as
    /// played (not cues of the source the shot leaves out).
    pub fn load_shot(
        path: &Path,
        duration: i64,
        time: &ShotTime,
        progress: &dyn Progress,
    ) -> Result<Self> {
        let (cues, _) = Self::read(path, Some(duration), progress)?;
        let (mut shown, mut cut) = (Vec::new(), 0);
        for cue in &cues {
            if let Some(c) = cue.on_cut(time) {
                cut += usize::from(cue.start < time.src_in || cue.end > time.src_end);
                shown.push(c);
            }
        }
        let part = format!("{}-{} s", secs(time.src_in), secs(time.src_end));
        if cut > 0 {
            progress.warn(&format!(
                "{}: {cut} cue(s) run past the part of the source the shot uses ({part}); each \
                 is shown only within it",
                path.display()
            ));
        }
        if shown.is_empty() {
            progress.warn(&format!(
                "{}: no cue falls in the part of the source the shot uses ({part}): none is \
                 shown",
                path.display()
            ));
        }
        let shown = Self { cues: shown };
        if let Some(w) = shown.too_brief(path) {
            progress.warn(&w);
        }
        Ok(shown)
    }

    /// The cues of a caption file, and how many ran past `duration` (cut there):
    /// [`Captions::load`]'s errors, and its warnings that do not depend on when the cues are
    /// shown.
    fn read(
        path: &Path,
        duration: Option<i64>,
        progress: &dyn Progress,
    ) -> Result<(Vec<Cue>, usize)> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let parse = match ext.as_str() {
            "srt" => parse::srt,
            "vtt" => parse::vtt,
            "ass" | "ssa" => parse::ass,
            "json" => parse::json_words,
            _ => {
                return Err(Error::bad_input(
                    path,
                    format!("not a caption file: expected {FORMATS}"),
                ))
            }
        };
        let text = read_text(path)?;
        let text = text.trim_start_matches('\u{feff}');
        let at = |line: usize, what: String| Error::bad_input(path, format!("line {line}: {what}"));
        let lined = parse(text).map_err(|(l, w)| at(l, w))?;
        let mut cues: Vec<Cue> = Vec::with_capacity(lined.len());
        let (mut overlapped, mut past_end, mut blank) = (0, 0, 0);
        // The first line with characters the font cannot draw, and every such character.
        let mut undrawable: Option<(usize, String)> = None;
        for (k, (line, mut cue)) in lined.into_iter().enumerate() {
            (cue.number, cue.line) = (k + 1, line);
            if cue.text.trim().is_empty() {
                // Markup only (`<i></i>`, `{\an8}`): nothing to show, and a cue without text
                // ends an SRT sidecar for many readers.
                blank += 1;
                continue;
            }
            for c in font::missing(&cue.text) {
                undrawable.get_or_insert((line, String::new())).1.push(c);
            }
            if cue.end <= cue.start {
                let (a, b) = (secs(cue.start), secs(cue.end));
                return Err(at(
                    line,
                    match cue.end == cue.start {
                        true => format!("the cue ends as it starts ({a} s): it lasts no time"),
                        false => format!("the cue ends at {b} s, before it starts ({a} s)"),
                    },
                ));
            }
            if let Some(prev) = cues.last_mut() {
                if cue.start == prev.start {
                    return Err(at(
                        line,
                        format!(
                            "the cue starts at the same time as the previous one ({} s): one \
                             cue is shown at a time; put both texts in one cue",
                            secs(cue.start)
                        ),
                    ));
                }
                if cue.start < prev.start {
                    return Err(at(
                        line,
                        format!(
                            "the cue starts at {} s, not after the previous one ({} s): cues \
                             must be in time order",
                            secs(cue.start),
                            secs(prev.start)
                        ),
                    ));
                }
                if cue.start < prev.end {
                    prev.end_by(cue.start);
                    overlapped += 1;
                }
            }
            if let Some(d) = duration {
                if cue.start >= d {
                    return Err(at(
                        line,
                        format!(
                            "the cue starts at {} s, at or past the end of the video ({} s)",
                            secs(cue.start),
                            secs(d)
                        ),
                    ));
                }
                if cue.end > d {
                    cue.end_by(d);
                    past_end += 1;
                }
            }
            cues.push(cue);
        }
        if blank > 0 {
            progress.warn(&format!(
                "{}: {blank} cue(s) hold no text once their tags are dropped; left out",
                path.display()
            ));
        }
        if overlapped > 0 {
            progress.warn(&format!(
                "{}: {overlapped} cue(s) overlap the next; each now ends where the next begins",
                path.display()
            ));
        }
        if let Some((line, chars)) = undrawable {
            let at = format!("{}: line {line}", path.display());
            if let Some(w) = font::warning(&at, &chars) {
                progress.warn(&w);
            }
        }
        if cues.is_empty() {
            // An empty transcript would burn nothing and write no sidecar, silently.
            return Err(Error::bad_input(
                path,
                "holds no captions (no cues); leave it out for none",
            ));
        }
        Ok((cues, past_end))
    }

    /// The cues that fall in a shot, moved onto the cut's timeline by `time` (clipped to the
    /// part of the source the shot uses).
    pub fn on_cut(&self, time: &ShotTime) -> Self {
        let cues = self.cues.iter().filter_map(|c| c.on_cut(time)).collect();
        Self { cues }
    }

    /// Several caption sets on one timeline, each with the file it came from, in time order.
    /// Where two meet (shots' captions in a crossfade, or the cut's over a shot's), the earlier
    /// cue ends as the later begins; of two starting together, the earlier set's is left out.
    /// `progress` is warned of each, naming both cues' files and their times on the timeline.
    pub fn merge(parts: Vec<(&Path, Self)>, progress: &dyn Progress) -> Self {
        let mut cues: Vec<(&Path, Cue)> = parts
            .into_iter()
            .flat_map(|(f, p)| p.cues.into_iter().map(move |c| (f, c)))
            .collect();
        cues.sort_by_key(|(_, c)| c.start);
        for i in 1..cues.len() {
            let (by, next) = (cues[i].0, cues[i].1.start);
            let (file, cue) = &mut cues[i - 1];
            if cue.end <= next {
                continue;
            }
            let at = format!(
                "{}: the cue at {}-{} s",
                file.display(),
                secs(cue.start),
                secs(cue.end)
            );
            let by = format!("{}'s cue at {} s", by.display(), secs(next));
            progress.warn(&match cue.start == next {
                true => format!(
                    "{at} starts with {by}: one cue is shown at a time, so it is left out; \
                     put both texts in one cue"
                ),
                false => format!("{at} overlaps {by}; it now ends there"),
            });
            cue.end_by(next);
        }
        let cues = cues.into_iter().map(|(_, c)| c);
        Self {
            cues: cues.filter(|c| c.end > c.start).collect(),
        }
    }

    /// The warning about the cues shown too briefly for their text to be read, over 25
    /// characters a second as they are timed here (on the output, after any change of speed),
    /// naming the file they were read from, `path`, how many there are and the first: its
    /// number, line, text and time, and its reading rate.
    pub fn too_brief(&self, path: &Path) -> Option<String> {
        let rate =
            |c: &Cue| font::letters(&c.text) as f64 * NANOS as f64 / (c.end - c.start) as f64;
        let mut fast = self.cues.iter().filter(|c| rate(c) > MAX_READING_RATE);
        let c = fast.next()?;
        Some(format!(
            "{}: {} cue(s) shown too briefly to be read, over {MAX_READING_RATE} characters a \
             second; the first, cue {} (line {}) {} at {}-{} s of the output: {} characters in \
             {} s, {:.0} a second: give them more time or fewer words",
            path.display(),
            1 + fast.count(),
            c.number,
            c.line,
            ass::quoted(&c.text),
            secs(c.start),
            secs(c.end),
            font::letters(&c.text),
            secs(c.end - c.start),
            rate(c)
        ))
    }

    /// How tall a line of these captions is drawn, in line heights of the shipped font: the
    /// tallest of any cue's ([`font::line_height`]), which the caption band keeps room for.
    pub fn line_height(&self) -> f64 {
        (self.cues.iter())
            .map(|c| font::line_height(&c.text))
            .fold(1.0, f64::max)
    }
}

/// How one shot's source time lands on the cut: the part `[src_in, src_end)` of the source
/// (ns from its first frame) plays from `cut_start` (ns) on. This is the one place a shot's
/// time map lives: a retimed shot (speed) maps through it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShotTime {
    /// First source time used, ns.
    pub src_in: i64,
    /// End of the source part used, ns.
    pub src_end: i64,
    /// Where it starts on the cut, ns.
    pub cut_start: i64,
    /// How long that part plays on the cut, ns, when it is retimed (`None`: at its own
    /// speed, `src_end - src_in`).
    pub cut_len: Option<i64>,
}

impl ShotTime {
    /// A shot taking source ticks `[in_pts, end_pts)` (time base `src_tb`, counted from the
    /// source's first frame) placed at output tick `start` (time base `out_tb`); a retimed
    /// shot gives the output ticks it plays in, `played`.
    pub fn from_ticks(
        in_pts: Ticks,
        end_pts: Ticks,
        src_tb: TimeBase,
        (start, played): (Ticks, Option<Ticks>),
        out_tb: TimeBase,
    ) -> Self {
        let ns = |t: Ticks, tb| t.rescale(tb, TimeBase::NANOS).0;
        let cut_start = ns(start, out_tb);
        Self {
            src_in: ns(in_pts, src_tb),
            src_end: ns(end_pts, src_tb),
            cut_start,
            cut_len: played.map(|p| ns(start + p, out_tb) - cut_start),
        }
    }

    /// Source time `t` (ns) on the cut (ns).
    pub fn to_cut(&self, t: i64) -> i64 {
        let span = self.src_end - self.src_in;
        match self.cut_len {
            Some(len) if span > 0 => {
                self.cut_start
                    + (i128::from(t - self.src_in) * i128::from(len) / i128::from(span)) as i64
            }
            _ => self.cut_start + (t - self.src_in),
        }
    }
}

/// The text of the caption file `path`: UTF-8, or UTF-16 with its byte order mark (Windows
/// tools' "Unicode"). Anything else (Latin-1 or Windows-1252 accents, UTF-16 without its mark)
/// is an error naming the line of the first byte that is not UTF-8, rather than a cue read
/// wrong.
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(path, "no such caption file"),
        _ => Error::io(path, e),
    })?;
    let save = "save it as UTF-8";
    let utf16 = |unit: fn([u8; 2]) -> u16| {
        let body = &bytes[2..];
        let units = body.chunks_exact(2).map(|c| unit([c[0], c[1]]));
        let text: String = char::decode_utf16(units)
            .collect::<std::result::Result<_, _>>()
            .ok()
            .filter(|_| body.len() % 2 == 0)
            .ok_or_else(|| Error::bad_input(path, format!("not valid UTF-16 text; {save}")))?;
        Ok(text)
    };
    match bytes.get(..2) {
        Some([0xFF, 0xFE]) => return utf16(u16::from_le_bytes),
        Some([0xFE, 0xFF]) => return utf16(u16::from_be_bytes),
        _ => {}
    }
    let line = |at: usize| bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(Error::bad_input(
            path,
            format!(
                "line {}: a NUL byte: UTF-16 text without its byte order mark? {save}",
                line(at)
            ),
        ));
    }
    String::from_utf8(bytes.clone()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Error::bad_input(
            path,
            format!(
                "line {}: byte 0x{:02X} is not UTF-8 (Latin-1 or Windows-1252 text, or a media \
                 file given by mistake?); {save}",
                line(at),
                bytes[at]
            ),
        )
    })
}

/// Seconds with millisecond precision, for messages.
fn secs(ns: i64) -> String {
    format!("{:.3}", ns as f64 / NANOS as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutroom_ffi::Rational;

    /// Merged sets (a cut's captions over a shot's): a cue cut short by another's start, or
    /// left out for one starting with it, is a warning naming both files and times (it was
    /// silent, and the second was lost).
    #[test]
    fn merged_captions_say_which_cue_was_cut_short_or_left_out() {
        let cue = |a: i64, b: i64, t: &str| Cue::new(a * NANOS / 10, b * NANOS / 10, t.into());
        let set = |cues: Vec<Cue>| Captions { cues };
        let (cut, shot) = (Path::new("cut.srt"), Path::new("shots/2.srt"));
        let tally = crate::progress::Tally::new(&crate::progress::Silent);
        let merged = Captions::merge(
            vec![
                (cut, set(vec![cue(10, 30, "Hello"), cue(40, 50, "Again")])),
                (shot, set(vec![cue(20, 35, "Shot"), cue(40, 45, "Same")])),
            ],
            &tally,
        );
        let shown: Vec<_> = merged
            .cues
            .iter()
            .map(|c| (c.start, c.end, c.text.as_str()))
            .collect();
        let s = NANOS / 10;
        assert_eq!(
            shown,
            [
                (10 * s, 20 * s, "Hello"),
                (20 * s, 35 * s, "Shot"),
                (40 * s, 45 * s, "Same")
            ]
        );
        assert_eq!(
            tally.warnings(),
            [
                "cut.srt: the cue at 1.000-3.000 s overlaps shots/2.srt's cue at 2.000 s; it \
                 now ends there",
                "cut.srt: the cue at 4.000-5.000 s starts with shots/2.srt's cue at 4.000 s: one \
                 cue is shown at a time, so it is left out; put both texts in one cue",
            ]
        );
    }

    /// A cue of 40 words shown for a second was burnt in, a page of it every tenth of a
    /// second, with no word said; cues too fast to read are now a warning naming the first,
    /// as shown: at its time once moved (played faster), not the file's.
    #[test]
    fn cues_too_fast_to_read_are_a_warning_naming_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fast.srt");
        let forty = ["one two three four five six seven eight nine ten"; 4].join(" ");
        let srt = format!(
            "1\n00:00:00,000 --> 00:00:02,000\nTwenty-five characters ok\n\n\
             2\n00:00:02,000 --> 00:00:03,000\n{forty}\n\n\
             3\n00:00:03,000 --> 00:00:04,000\nThirteen more\n"
        );
        std::fs::write(&path, srt).unwrap();
        let tally = crate::progress::Tally::new(&crate::progress::Silent);
        let captions = Captions::load(&path, Some(5 * NANOS), &tally).unwrap();
        assert_eq!(captions.cues.len(), 3);
        assert_eq!(forty.len(), 195);
        // Said when asked, once the cues are timed as shown.
        assert!(tally.warnings().is_empty());
        let p = path.display();
        assert_eq!(
            captions.too_brief(&path).unwrap(),
            format!(
                "{p}: 1 cue(s) shown too briefly to be read, over 25 characters a second; the \
                 first, cue 2 (line 6) \"one two three four five six seven eight...\" at \
                 2.000-3.000 s of the output: 195 characters in 1.000 s, 195 a second: give \
                 them more time or fewer words"
            )
        );
        // Played 1.5 times faster, the first cue's 25 characters show in 1.333 s: 19 a second,
        // read; at 2.5 times, in 0.8 s: 31 a second, too fast. Twice as slow, none is.
        let played = |speed: i64| {
            let time = ShotTime {
                src_in: 0,
                src_end: 5 * NANOS,
                cut_start: 0,
                cut_len: Some(5 * NANOS * 10 / speed),
            };
            captions.on_cut(&time).too_brief(&path)
        };
        assert!(played(15).unwrap().starts_with(&format!(
            "{p}: 1 cue(s) shown too briefly to be read, over 25 characters a second; the first, \
             cue 2 (line 6)"
        )));
        assert_eq!(
            played(25).unwrap(),
            format!(
                "{p}: 3 cue(s) shown too briefly to be read, over 25 characters a second; the \
                 first, cue 1 (line 2) \"Twenty-five characters ok\" at 0.000-0.800 s of the \
                 output: 25 characters in 0.800 s, 31 a second: give them more time or fewer \
                 words"
            )
        );
        let slower = captions.on_cut(&ShotTime {
            src_in: 0,
            src_end: 5 * NANOS,
            cut_start: 0,
            cut_len: Some(10 * NANOS),
        });
        assert!(
            slower.too_brief(&path).is_some(),
            "195 in 2 s is still too fast"
        );
        // Cut short by the next cue (rolling captions), a cue is as fast as it is shown.
        let rolling = "1\n00:00:00,000 --> 00:00:03,000\nTwenty-five characters ok\n\n\
                       2\n00:00:00,500 --> 00:00:03,000\nThirteen more\n";
        std::fs::write(&path, rolling).unwrap();
        let tally = crate::progress::Tally::new(&crate::progress::Silent);
        let said = Captions::load(&path, None, &tally)
            .unwrap()
            .too_brief(&path)
            .unwrap();
        assert!(
            said.contains("1 cue(s) shown too briefly")
                && said.contains("cue 1 (line 2)")
                && said.contains("25 characters in 0.500 s, 50 a second"),
            "{said}"
        );
    }

    /// A shot's captions were warned of against its whole source: cues the trim leaves out
    /// "run past the end of the video" and were "too brief", while a cue the trim cut short
    /// went unsaid; now the warnings are about what the shot shows.
    #[test]
    fn a_shots_captions_are_warned_of_as_the_shot_shows_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.srt");
        std::fs::write(
            &path,
            "1\n00:00:00,200 --> 00:00:00,500\nALPHA BRAVO CHARLIE DELTA ECHO\n\n\
             2\n00:00:01,200 --> 00:00:02,900\nOne two three four five six seven eight nine\n\n\
             3\n00:00:02,950 --> 00:00:03,500\nPAST\n",
        )
        .unwrap();
        // The shot plays 1-2 s of its 3 s source, from the cut's start.
        let shot = |src_in: i64, src_end: i64| ShotTime {
            src_in,
            src_end,
            cut_start: 0,
            cut_len: None,
        };
        let tally = crate::progress::Tally::new(&crate::progress::Silent);
        let c = Captions::load_shot(&path, 3 * NANOS, &shot(NANOS, 2 * NANOS), &tally).unwrap();
        assert_eq!(c.cues.len(), 1);
        assert_eq!((c.cues[0].start, c.cues[0].end), (NANOS / 5, NANOS));
        let p = path.display();
        assert_eq!(
            tally.warnings(),
            [
                format!(
                    "{p}: 1 cue(s) run past the part of the source the shot uses \
                     (1.000-2.000 s); each is shown only within it"
                ),
                format!(
                    "{p}: 1 cue(s) shown too briefly to be read, over 25 characters a second; \
                     the first, cue 2 (line 6) \"One two three four five six seven eight...\" at \
                     0.200-1.000 s of the output: 44 characters in 0.800 s, 55 a second: give \
                     them more time or fewer words"
                ),
            ]
        );
        // A shot between the cues shows none, and says so.
        let tally = crate::progress::Tally::new(&crate::progress::Silent);
        let c = Captions::load_shot(&path, 3 * NANOS, &shot(NANOS / 2, NANOS), &tally).unwrap();
        assert!(c.cues.is_empty());
        assert_eq!(
            tally.warnings(),
            [format!(
                "{p}: no cue falls in the part of the source the shot uses (0.500-1.000 s): none \
                 is shown"
            )]
        );
    }

    #[test]
    fn utf16_caption_files_are_read_and_latin1_is_named_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let srt = "1\n00:00:00,100 --> 00:00:00,900\nCafé naïve\n";
        let units: Vec<u16> = srt.encode_utf16().collect();
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(units.iter().flat_map(|u| u.to_le_bytes()))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(units.iter().flat_map(|u| u.to_be_bytes()))
            .collect();
        let load = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            Captions::load(&path, None, &crate::progress::Silent).map(|c| c.cues[0].text.clone())
        };
        assert_eq!(load("le.srt", &le).unwrap(), "Café naïve");
        assert_eq!(load("be.srt", &be).unwrap(), "Café naïve");
        let latin1 = b"1\n00:00:00,100 --> 00:00:00,900\nCaf\xe9\n";
        let e = load("latin1.srt", latin1).unwrap_err().to_string();
        assert!(e.ends_with("latin1.srt: line 3: byte 0xE9 is not UTF-8 (Latin-1 or Windows-1252 text, or a media file given by mistake?); save it as UTF-8"), "{e}");
        let e = load("nobom.srt", &le[2..]).unwrap_err().to_string();
        assert!(
            e.contains("nobom.srt: line 1: a NUL byte: UTF-16 text without"),
            "{e}"
        );
        let e = load("odd.srt", &le[..le.len() - 1])
            .unwrap_err()
            .to_string();
        assert!(e.contains("odd.srt: not valid UTF-16 text"), "{e}");
    }

    #[test]
    fn shot_time_maps_trimmed_and_retimed_shots() {
        // Source 1-4 s (ticks of 1/1000) at 30 fps output tick 60 (2 s) on: as it is, then
        // played at 1.5x (60 output ticks) and at 0.5x (180).
        let ms = TimeBase::new(Rational::new(1, 1000)).unwrap();
        let fps = TimeBase::of_rate(Rational::new(30, 1)).unwrap();
        let at = |played: Option<i64>| {
            ShotTime::from_ticks(
                Ticks(1000),
                Ticks(4000),
                ms,
                (Ticks(60), played.map(Ticks)),
                fps,
            )
        };
        let s = NANOS;
        assert_eq!(at(None).to_cut(3 * s), 4 * s);
        assert_eq!(at(Some(60)).to_cut(s), 2 * s);
        assert_eq!(at(Some(60)).to_cut(3 * s + s / 2), 2 * s + 5 * s / 3);
        assert_eq!(at(Some(180)).to_cut(2 * s), 4 * s);
        assert_eq!(at(Some(180)).to_cut(4 * s), 8 * s);
    }
}
