//! The shot list of a sequence, for per-shot offsets: the shared edit spec
//! ([`crate::timeline::EditSpec`]) laid out on the joined file's timeline.

use crate::error::{Error, Result};
use crate::media;
use crate::timeline::{EditSpec, TimeSpec, Transition, NANOS};
use cutroom_ffi::{MediaKind, Rational};
use std::path::Path;

/// Where each shot of the sequence starts and ends in the joined file, in microseconds: shot
/// `k` starts where the lengths (`out - in`, `out` defaulting to the source's video length) of
/// the shots before it add up to, less the overlap of any crossfade into it.
pub fn shot_spans(spec: &Path) -> Result<Vec<(i64, i64)>> {
    let parsed = EditSpec::load(spec)?;
    let mut spans = Vec::with_capacity(parsed.shot.len());
    let mut at = 0i64;
    let mut overlap = 0i64;
    for (i, shot) in parsed.shot.iter().enumerate() {
        let bad = |why: String| Error::bad_input(spec, format!("shot {}: {why}", i + 1));
        if !shot.src.is_file() {
            return Err(bad(format!("src {}: no such file", shot.src.display())));
        }
        let video = VideoTiming::read(&shot.src).map_err(|e| bad(e.to_string()))?;
        let start = shot.in_point.map(|t| video.us(t)).unwrap_or(0);
        let end = shot.out.map(|t| video.us(t)).unwrap_or(video.length_us);
        if end <= start {
            return Err(bad(format!(
                "`out` ({} s) must come after `in` ({} s)",
                end as f64 / 1e6,
                start as f64 / 1e6
            )));
        }
        at -= overlap;
        spans.push((at, at + end - start));
        at += end - start;
        overlap = match shot.transition {
            Transition::Crossfade { duration } => video.us(duration),
            _ => 0,
        };
    }
    Ok(spans)
}

/// What resolving a shot's times needs from its source video.
struct VideoTiming {
    length_us: i64,
    frame_rate: Rational,
}

impl VideoTiming {
    /// Length and frame rate of the first video stream of `src`.
    fn read(src: &Path) -> Result<Self> {
        let input = media::open(src)?;
        let streams = input.streams();
        let v = input
            .best_stream(MediaKind::Video)
            .map(|i| &streams[i])
            .ok_or_else(|| Error::bad_input(src, "no video stream"))?;
        let tb = v.time_base;
        let length_us = match v.duration {
            Some(d) => {
                (i128::from(d) * 1_000_000 * i128::from(tb.num) / i128::from(tb.den.max(1))) as i64
            }
            None => input
                .duration_us()
                .ok_or_else(|| Error::bad_input(src, "unknown duration"))?,
        };
        let frame_rate = [v.real_frame_rate, v.avg_frame_rate]
            .into_iter()
            .find(|r| !r.is_unknown())
            .unwrap_or(Rational::new(30, 1));
        Ok(Self {
            length_us,
            frame_rate,
        })
    }

    /// A spec time in microseconds from the shot's first frame.
    fn us(&self, t: TimeSpec) -> i64 {
        match t {
            TimeSpec::Nanos(n) => n / (NANOS / 1_000_000),
            TimeSpec::Frame(f) => {
                let r = self.frame_rate;
                (i128::from(f) * 1_000_000 * i128::from(r.den) / i128::from(r.num.max(1))) as i64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let clip = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/marker_portrait_30.mp4");
        std::fs::copy(clip, dir.path().join("a.mp4")).unwrap();
        let spec = dir.path().join("seq.toml");
        std::fs::write(&spec, text).unwrap();
        (dir, spec)
    }

    #[test]
    fn spans_add_up_from_in_and_out_with_frames_and_crossfades() {
        let (_d, spec) = spec_with(
            "[[shot]]\nsrc = \"a.mp4\"\nin = 0.5\nout = 4.0\n\n[[shot]]\nsrc = \"a.mp4\"\nout = \"30f\"\ntransition = { kind = \"crossfade\", duration = 0.5 }\n\n[[shot]]\nsrc = \"a.mp4\"\n",
        );
        assert_eq!(
            shot_spans(&spec).unwrap(),
            vec![
                (0, 3_500_000),
                (3_500_000, 4_500_000),
                (4_000_000, 10_000_000)
            ]
        );
    }

    #[test]
    fn bad_lists_name_the_shot_or_key() {
        let (_d, spec) = spec_with("[[shot]]\nsrc = \"b.mp4\"\n");
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(
            e.contains("shot 1: src") && e.contains("no such file"),
            "{e}"
        );
        std::fs::write(&spec, "[[shot]]\nsrc = \"a.mp4\"\nin = 3.0\nout = 2.0\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(e.contains("shot 1") && e.contains("must come after"), "{e}");
        std::fs::write(&spec, "[[shot]]\nsrc = \"a.mp4\"\nsource = 1\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(e.contains("source"), "unknown keys are named: {e}");
    }
}
