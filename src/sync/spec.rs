//! The shot list of a sequence, for per-shot offsets: a minimal reading of the edit spec
//! (`[[shot]] src = "a.mp4", in = 0.5, out = 4.0`), kept in this one module so it can give way
//! to the shared edit-spec type.

use crate::error::{Error, Result};
use crate::media;
use cutroom_ffi::MediaKind;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
struct SpecFile {
    #[serde(default)]
    shot: Vec<ShotEntry>,
}

#[derive(Deserialize)]
struct ShotEntry {
    src: PathBuf,
    #[serde(rename = "in")]
    start: Option<f64>,
    out: Option<f64>,
}

/// Where each shot of the sequence starts and ends in the joined file, in microseconds: shot
/// `k` starts where the durations (`out - in`, `out` defaulting to the source's video length)
/// of the shots before it add up to.
pub fn shot_spans(spec: &Path) -> Result<Vec<(i64, i64)>> {
    let text = std::fs::read_to_string(spec).map_err(|e| Error::io(spec, e))?;
    let parsed: SpecFile = toml::from_str(&text)
        .map_err(|e| Error::bad_input(spec, format!("not a valid shot list: {e}")))?;
    if parsed.shot.is_empty() {
        return Err(Error::bad_input(spec, "no [[shot]] entries"));
    }
    let base = spec.parent().unwrap_or(Path::new(""));
    let mut spans = Vec::with_capacity(parsed.shot.len());
    let mut at = 0i64;
    for (i, shot) in parsed.shot.iter().enumerate() {
        let src = base.join(&shot.src);
        let bad = |why: String| Error::bad_input(spec, format!("shot {}: {why}", i + 1));
        if !src.is_file() {
            return Err(bad(format!("src {}: no such file", src.display())));
        }
        let start = seconds_to_us(shot.start.unwrap_or(0.0))
            .ok_or_else(|| bad("`in` must be a non-negative number of seconds".into()))?;
        let end = match shot.out {
            Some(out) => seconds_to_us(out)
                .ok_or_else(|| bad("`out` must be a non-negative number of seconds".into()))?,
            None => video_length_us(&src).map_err(|e| bad(format!("{e}")))?,
        };
        if end <= start {
            return Err(bad(format!(
                "`out` ({} s) must come after `in` ({} s)",
                end as f64 / 1e6,
                start as f64 / 1e6
            )));
        }
        spans.push((at, at + end - start));
        at += end - start;
    }
    Ok(spans)
}

fn seconds_to_us(s: f64) -> Option<i64> {
    (s.is_finite() && s >= 0.0).then(|| (s * 1e6).round() as i64)
}

/// Length of the first video stream of `src` in microseconds.
fn video_length_us(src: &Path) -> Result<i64> {
    let input = media::open(src)?;
    let streams = input.streams();
    let v = input
        .best_stream(MediaKind::Video)
        .map(|i| &streams[i])
        .ok_or_else(|| Error::bad_input(src, "no video stream"))?;
    let tb = v.time_base;
    match v.duration {
        Some(d) => {
            Ok((i128::from(d) * 1_000_000 * i128::from(tb.num) / i128::from(tb.den.max(1))) as i64)
        }
        None => input
            .duration_us()
            .ok_or_else(|| Error::bad_input(src, "unknown duration")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_add_up_from_in_and_out() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.mp4", "b.mp4"] {
            std::fs::write(dir.path().join(name), "not probed: `out` is given").unwrap();
        }
        let spec = dir.path().join("seq.toml");
        std::fs::write(
            &spec,
            "[[shot]]\nsrc = \"a.mp4\"\nin = 0.5\nout = 4.0\n\n[[shot]]\nsrc = \"b.mp4\"\nout = 2\n",
        )
        .unwrap();
        assert_eq!(
            shot_spans(&spec).unwrap(),
            vec![(0, 3_500_000), (3_500_000, 5_500_000)]
        );
    }

    #[test]
    fn bad_lists_name_the_shot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.mp4"), "not probed").unwrap();
        let spec = dir.path().join("seq.toml");
        std::fs::write(&spec, "[[shot]]\nsrc = \"b.mp4\"\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(
            e.contains("shot 1: src") && e.contains("no such file"),
            "{e}"
        );
        std::fs::write(&spec, "[[shot]]\nsrc = \"a.mp4\"\nin = 3.0\nout = 2.0\n").unwrap();
        let e = shot_spans(&spec).unwrap_err().to_string();
        assert!(e.contains("shot 1") && e.contains("must come after"), "{e}");
        std::fs::write(&spec, "title = \"x\"\n").unwrap();
        assert!(shot_spans(&spec)
            .unwrap_err()
            .to_string()
            .contains("no [[shot]]"));
    }
}
