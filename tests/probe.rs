//! `cutroom probe` on the fixtures, checked against ffprobe on the same files.

use crate::common::*;
use serde_json::Value;
use std::path::Path;

const MEDIA: &[&str] = &[
    "marker_portrait_30.mp4",
    "marker_landscape_25.mp4",
    "short_audio.mp4",
    "mono_44k.mp4",
    "no_audio.mp4",
    "vfr.mp4",
    "music.wav",
    "dialogue.wav",
];

fn probe_one(path: &Path) -> Value {
    let v = cutroom_json(&["probe", "--json", path.to_str().unwrap()]);
    v["files"][0].clone()
}

fn rational(s: &str) -> f64 {
    let (n, d) = s.split_once('/').unwrap();
    n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn figures_match_ffprobe() {
    for name in MEDIA {
        let path = fixture(name);
        let ours = probe_one(&path);
        let theirs = ffprobe(&path);
        let ctx = |what: &str| format!("{name}: {what}");
        assert_eq!(ours["path"], path.to_str().unwrap(), "{}", ctx("path"));
        assert_eq!(
            ours["format"],
            theirs["format"]["format_name"],
            "{}",
            ctx("format")
        );
        let dur: f64 = theirs["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            close(ours["duration_s"].as_f64().unwrap(), dur, 1e-3),
            "{}",
            ctx("duration")
        );
        let ts = theirs["streams"].as_array().unwrap();
        let os = ours["streams"].as_array().unwrap();
        assert_eq!(os.len(), ts.len(), "{}", ctx("stream count"));
        for (o, t) in os.iter().zip(ts) {
            assert_eq!(o["kind"], t["codec_type"], "{}", ctx("kind"));
            assert_eq!(o["codec"], t["codec_name"], "{}", ctx("codec"));
            assert_eq!(o["time_base"], t["time_base"], "{}", ctx("time base"));
            if let Some(p) = t["profile"].as_str() {
                assert_eq!(o["profile"], p, "{}", ctx("profile"));
            }
            if let Some(d) = t["duration"].as_str() {
                let d: f64 = d.parse().unwrap();
                assert!(
                    close(o["duration_s"].as_f64().unwrap(), d, 1e-3),
                    "{}",
                    ctx("stream duration")
                );
            }
            if let Some(s) = t["start_time"].as_str() {
                let s: f64 = s.parse().unwrap();
                assert!(
                    close(o["start_time_s"].as_f64().unwrap(), s, 1e-6),
                    "{}",
                    ctx("start")
                );
            }
            if let Some(n) = t["nb_frames"].as_str() {
                assert_eq!(
                    o["frames"].as_u64().unwrap(),
                    n.parse::<u64>().unwrap(),
                    "{}",
                    ctx("frames")
                );
            }
            match t["codec_type"].as_str().unwrap() {
                "video" => {
                    assert_eq!(o["width"], t["width"], "{}", ctx("width"));
                    assert_eq!(o["height"], t["height"], "{}", ctx("height"));
                    assert_eq!(o["pix_fmt"], t["pix_fmt"], "{}", ctx("pix_fmt"));
                    assert_eq!(
                        o["avg_frame_rate"],
                        t["avg_frame_rate"],
                        "{}",
                        ctx("avg rate")
                    );
                    assert_eq!(o["real_frame_rate"], t["r_frame_rate"], "{}", ctx("r rate"));
                    let fps = rational(t["avg_frame_rate"].as_str().unwrap());
                    assert!(
                        close(o["fps"].as_f64().unwrap(), fps, 1e-9),
                        "{}",
                        ctx("fps")
                    );
                }
                "audio" => {
                    let rate: u64 = t["sample_rate"].as_str().unwrap().parse().unwrap();
                    assert_eq!(o["sample_rate"].as_u64().unwrap(), rate, "{}", ctx("rate"));
                    assert_eq!(o["channels"], t["channels"], "{}", ctx("channels"));
                    assert_eq!(
                        o["channel_layout"],
                        t["channel_layout"],
                        "{}",
                        ctx("layout")
                    );
                    assert_eq!(
                        o["sample_format"],
                        t["sample_fmt"],
                        "{}",
                        ctx("sample format")
                    );
                }
                _ => {}
            }
        }
    }
}

#[test]
fn aac_encoder_delay_is_1024_and_matches_first_packet() {
    for name in [
        "marker_portrait_30.mp4",
        "marker_landscape_25.mp4",
        "short_audio.mp4",
        "mono_44k.mp4",
        "vfr.mp4",
    ] {
        let path = fixture(name);
        let o = probe_one(&path);
        let audio = o["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "audio")
            .unwrap();
        assert_eq!(audio["encoder_delay_samples"], 1024, "{name}");
        // ffprobe shows the priming as the first audio packet's negative pts.
        let first = &ffprobe_packets(&path, "a:0")[0];
        assert_eq!(
            first["pts"].as_i64().unwrap(),
            -1024,
            "{name}: ffprobe first audio pts"
        );
    }
    let wav = probe_one(&fixture("music.wav"));
    assert_eq!(wav["streams"][0]["encoder_delay_samples"], 0);
}

#[test]
fn vfr_only_for_the_vfr_clip() {
    for name in MEDIA.iter().filter(|n| n.ends_with(".mp4")) {
        let o = probe_one(&fixture(name));
        let v = o["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["kind"] == "video")
            .unwrap();
        assert_eq!(v["vfr"], *name == "vfr.mp4", "{name}");
    }
}

#[test]
fn missing_audio_and_short_audio_are_visible() {
    let none = probe_one(&fixture("no_audio.mp4"));
    let kinds: Vec<&str> = none["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["video"]);
    assert!(none["av_duration_delta_ms"].is_null());

    let short = probe_one(&fixture("short_audio.mp4"));
    assert!(
        close(short["av_duration_delta_ms"].as_f64().unwrap(), -40.0, 0.5),
        "{short}"
    );
    let table = cutroom(&["probe", fixture("short_audio.mp4").to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("audio is 40.0 ms shorter than video"));
}

#[test]
fn bad_files_fail_one_line_each_while_good_ones_are_reported() {
    let good = fixture("marker_portrait_30.mp4");
    let corrupt = fixture("truncated.mp4");
    let text = fixture("not_media.mp4");
    let missing = fixture("does_not_exist.mp4");
    let args = [
        "probe",
        "--json",
        corrupt.to_str().unwrap(),
        good.to_str().unwrap(),
        text.to_str().unwrap(),
        missing.to_str().unwrap(),
    ];
    let out = cutroom(&args);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "one line per bad file: {stderr}");
    assert!(
        lines[0].contains("truncated.mp4") && lines[0].contains("moov"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("not_media.mp4") && lines[1].contains("not a media file"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("does_not_exist.mp4") && lines[2].contains("no such file"),
        "{}",
        lines[2]
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 4);
    assert!(files[0]["error"].is_string());
    assert_eq!(files[1]["streams"].as_array().unwrap().len(), 2);
    assert!(files[2]["error"].is_string());
}

#[test]
fn faststart_and_rotation_match_ffprobe() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("moov_last.mp4");
    let rotated = dir.path().join("rotated.mp4");
    let src = fixture("marker_portrait_30.mp4");
    for (out, extra) in [
        (&slow, vec![]),
        (
            &rotated,
            vec!["-metadata:s:v:0", "rotate=90", "-movflags", "+faststart"],
        ),
    ] {
        let ok = std::process::Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&src)
            .args(["-c", "copy"])
            .args(extra)
            .arg(out)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
    assert_eq!(probe_one(&slow)["faststart"], false);
    assert_eq!(probe_one(&src)["faststart"], true);
    let r = probe_one(&rotated);
    let theirs = ffprobe(&rotated);
    let side = theirs["streams"][0]["side_data_list"][0]["rotation"]
        .as_i64()
        .unwrap();
    assert_eq!(
        r["streams"][0]["rotation_deg"].as_f64().unwrap(),
        side as f64
    );
    assert_ne!(side, 0);
}

#[test]
fn closed_stdout_ends_quietly() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let many: Vec<String> = (0..200)
        .map(|_| fixture("marker_portrait_30.mp4").display().to_string())
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .arg("probe")
        .args(&many)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

/// A faststart MP4 cut short opens fine (its `moov` is whole) and just ends early: every
/// command refuses it, naming the file and how much of it is there, and writes nothing.
#[test]
fn truncated_faststart_mp4s_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.mp4");
    marker_clip(&base, 360, 640, 30, 4.0, 4.0, 0.0, &[]);
    let bytes = std::fs::read(&base).unwrap();
    let music = fixture("music.wav");
    let out = dir.path().join("out.mp4");
    let social = dir.path().join("social");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    for pct in [50, 99] {
        let cut = dir.path().join(format!("cut{pct}.mp4"));
        std::fs::write(&cut, &bytes[..bytes.len() * pct / 100]).unwrap();
        let spec = dir.path().join("cut.toml");
        std::fs::write(
            &spec,
            format!("outputs = [\"reels\"]\n[[shot]]\nsrc = \"{}\"\n", s(&cut)),
        )
        .unwrap();
        let (c, b, m, o) = (s(&cut), s(&base), s(&music), s(&out));
        let runs: Vec<Vec<String>> = vec![
            vec!["probe".into(), c.clone()],
            vec!["loudness".into(), c.clone()],
            vec!["sync".into(), c.clone()],
            vec![
                "swap".into(),
                c.clone(),
                "--audio".into(),
                m.clone(),
                "-o".into(),
                o.clone(),
            ],
            vec![
                "swap".into(),
                b.clone(),
                "--audio".into(),
                c.clone(),
                "-o".into(),
                o.clone(),
            ],
            vec![
                "duck".into(),
                c.clone(),
                "--music".into(),
                m.clone(),
                "-o".into(),
                o.clone(),
            ],
            vec![
                "duck".into(),
                b.clone(),
                "--music".into(),
                c.clone(),
                "-o".into(),
                o.clone(),
            ],
            vec![
                "concat".into(),
                c.clone(),
                b.clone(),
                "-o".into(),
                o.clone(),
            ],
            vec![
                "export".into(),
                c.clone(),
                "-p".into(),
                "square".into(),
                "-o".into(),
                s(&social),
            ],
            vec!["assemble".into(), s(&spec), "-o".into(), s(&social)],
        ];
        for args in runs {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = cutroom(&args);
            let err = String::from_utf8_lossy(&run.stderr);
            assert!(
                !run.status.success(),
                "{pct} %: {args:?} accepted it: {err}"
            );
            // Half the file misses frames of both tracks; the video is named first.
            let count = if pct == 50 {
                " of 120 video frames present"
            } else {
                " frames present"
            };
            assert!(
                err.contains(&format!("{c}: cut short: ")) && err.contains(count),
                "{pct} %: {args:?}: {err}"
            );
            assert!(!out.exists(), "{pct} %: {args:?} wrote {}", out.display());
            let written = std::fs::read_dir(dir.path().join("social"))
                .map(|d| d.count())
                .unwrap_or(0);
            assert_eq!(written, 0, "{pct} %: {args:?} wrote deliverables");
        }
    }
}

#[test]
fn decode_counts_the_damaged_packets_of_each_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = aac_with_damage(dir.path());
    let damaged = |path: &Path, decode: bool| -> Vec<Value> {
        let p = path.to_str().unwrap();
        let args: &[&str] = if decode {
            &["probe", "--json", "--decode", p]
        } else {
            &["probe", "--json", p]
        };
        let v = cutroom_json(args);
        let streams = v["files"][0]["streams"]
            .as_array()
            .expect("streams")
            .clone();
        streams
            .iter()
            .map(|s| s["damaged_packets"].clone())
            .collect()
    };
    assert_eq!(
        damaged(&bad, false),
        vec![Value::Null],
        "counted only with --decode"
    );
    assert_eq!(damaged(&good, true), vec![Value::from(0)]);
    let n = damaged(&bad, true)[0].as_u64().expect("a count");
    assert!(n >= 2, "{n} damaged packets reported");
    // Picture and sound both decoded: an intact clip has none in either.
    let clip = fixture("marker_portrait_30.mp4");
    assert_eq!(damaged(&clip, true), vec![Value::from(0), Value::from(0)]);
    let table = cutroom(&["probe", "--decode", bad.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(&format!("damaged {n}")), "{text}");
}
