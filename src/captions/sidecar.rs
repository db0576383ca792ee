//! The sidecar captions of a deliverable (`.srt` and `.vtt`), for platforms that take uploaded
//! captions: every cue at the frames it lands on in that deliverable.

use super::ass::{frame_at, frame_time};
use super::Captions;
use cutroom_ffi::Rational;
use std::fmt::Write;

/// The cues as they land at `rate`: `(start ms, end ms, text)`, those showing no frame left out.
fn landed(captions: &Captions, rate: Rational) -> Vec<(i64, i64, &str)> {
    captions
        .cues
        .iter()
        .filter_map(|c| {
            let (a, b) = (frame_at(c.start, rate), frame_at(c.end, rate));
            (b > a).then(|| {
                (
                    frame_time(a, rate, 1000),
                    frame_time(b, rate, 1000),
                    c.text.as_str(),
                )
            })
        })
        .collect()
}

fn clock(ms: i64, sep: char) -> String {
    let (h, m, s, f) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}{sep}{f:03}")
}

/// SubRip text.
pub fn srt(captions: &Captions, rate: Rational) -> String {
    let mut out = String::new();
    for (i, (a, b, text)) in landed(captions, rate).into_iter().enumerate() {
        let _ = write!(
            out,
            "{}\n{} --> {}\n{text}\n\n",
            i + 1,
            clock(a, ','),
            clock(b, ',')
        );
    }
    out
}

/// WebVTT text.
pub fn vtt(captions: &Captions, rate: Rational) -> String {
    let mut out = String::from("WEBVTT\n\n");
    for (a, b, text) in landed(captions, rate) {
        let text = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let _ = write!(out, "{} --> {}\n{text}\n\n", clock(a, '.'), clock(b, '.'));
    }
    out
}
