//! Lip sync on real talking-head clips (the development set in `shared/media/real`, found
//! through `CUTROOM_SHARED`, default `../shared` beside the repository): the audio moved by
//! known amounts, the lip-sync offset must follow.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `src` re-encoded as `make_shifted.sh` does (H.264 + AAC 48 kHz) with its audio moved by
/// `shift_ms` (positive: later) inside the original sample count.
fn shifted(src: &Path, dir: &Path, shift_ms: i64) -> PathBuf {
    let base = dir.join("base.mp4");
    if !base.exists() {
        ff(&[
            "-i",
            src.to_str().unwrap(),
            "-t",
            "20",
            "-map",
            "0:v:0",
            "-map",
            "0:a:0",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "192k",
            "-ar",
            "48000",
            "-ac",
            "2",
            base.to_str().unwrap(),
        ]);
    }
    let n = decode_pcm(&base, 48000, 1).len();
    let out = dir.join(format!("s{shift_ms:+}.mp4"));
    refilter_audio(&base, &audio_shift_filter(shift_ms, n), &out, "20");
    out
}

/// The lip offset follows the shift, and lips decides the verdict: `pass` in sync, `fail` with
/// the audio 80 ms early, never `pass` at +-200 ms; the speaking face is named per window and in
/// the reason.
#[test]
fn lips_follows_the_audio_shift_and_decides() {
    let Some(real) = real_clips() else { return };
    let clip = "th_retalk3";
    let dir = tempfile::tempdir().unwrap();
    let shifts = [0, -80, 200, -200];
    let files: Vec<PathBuf> = shifts
        .iter()
        .map(|&s| shifted(&real.join(format!("{clip}.mp4")), dir.path(), s))
        .collect();
    let mut args = vec!["sync", "--json", "-q"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let out = cutroom(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let reports = v["files"].as_array().unwrap();
    let offset = |k: usize| {
        let l = &reports[k]["lips"];
        // One face, followed over the whole clip.
        let faces = l["faces"].as_array().expect("faces[]");
        assert_eq!(faces.len(), 1, "{clip}: {l}");
        assert!(faces[0]["frames"].as_u64().unwrap() >= 120, "{clip}: {l}");
        l["offset_ms"]
            .as_f64()
            .unwrap_or_else(|| panic!("no lip offset: {l}"))
    };
    let zero = offset(0);
    assert!(zero.abs() <= 45.0, "{clip} in sync reads {zero} ms");
    for (k, &s) in shifts.iter().enumerate().skip(1) {
        let o = offset(k);
        eprintln!("{clip} {s:+}: {o:+} ms (unshifted {zero:+} ms)");
        assert!(
            (o - zero - s as f64).abs() <= 20.0,
            "{clip} shifted {s:+} ms reads {o} ms (unshifted {zero})"
        );
    }
    for (k, want) in [(0, "pass"), (1, "fail")] {
        let f = &reports[k];
        assert_eq!(f["verdict"], want, "{clip} {:+}: {f}", shifts[k]);
        assert_eq!(f["method"], "lips", "{f}");
        assert!(
            f["reason"].as_str().unwrap().contains("speaking face 0"),
            "{}",
            f["reason"]
        );
        for w in f["windows"].as_array().unwrap() {
            assert_eq!(w["face"], 0, "{w}");
        }
    }
    // At +-200 ms the peak is clear in one window of two only: never a pass.
    for f in &reports[2..] {
        assert_ne!(f["verdict"], "pass", "{f}");
    }
}

/// `--plot` adds the speaker's mouth and the speech at the found offset under the offset chart,
/// and the summary gives the lips figures.
#[test]
fn plot_and_summary_show_the_lips() {
    let Some(real) = real_clips() else { return };
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("lips.png");
    let clip = real.join("th_retalk2.mp4");
    let out = cutroom(&[
        "sync",
        "--plot",
        png.to_str().unwrap(),
        clip.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Its reading is not confirmed (inconclusive): the face is not said to speak.
    assert!(
        text.contains("INCONCLUSIVE")
            && text.contains("lips: unconfirmed, face 0 tentatively (1 face found), offset ")
            && text.contains("confidence")
            && !text.contains("speaks"),
        "{text}"
    );
    let img = read_png(&png);
    assert_eq!((img.width, img.height), (1200, 860));
    // Below the offset chart: the mouth (blue) and the speech (red) curves over the clip.
    let count = |rgb: [u8; 3], x0: u32, x1: u32| {
        (560..860)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                img.at(x, y)
                    .iter()
                    .zip(rgb)
                    .all(|(a, b)| a.abs_diff(b) < 40)
            })
            .count()
    };
    for half in [(100, 600), (600, 1150)] {
        assert!(
            count([30, 90, 200], half.0, half.1) > 500,
            "mouth curve {half:?}"
        );
        assert!(
            count([200, 60, 60], half.0, half.1) > 200,
            "speech curve {half:?}"
        );
    }
}
