//! `cutroom probe` on the fixtures, checked against ffprobe on the same files.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

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

/// A `-ss 2 -c copy` trim keeps the audio from a packet before the cut and skips the lead-in
/// with its edit list: of that skip only one AAC frame (1024 samples) is the encoder delay, the
/// rest is the trim. probe called the whole skip (3840 samples here) the encoder delay.
#[test]
fn a_copy_trim_is_told_from_the_encoder_delay() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, cut) = (dir.path().join("clip.mp4"), dir.path().join("cut.mp4"));
    marker_clip(&clip, 320, 180, 30, 8.0, 8.0, 0.0, &[]);
    ff(&["-ss", "2", "-i", s(&clip), "-c", "copy", s(&cut)]);
    let audio = |path: &Path| {
        let o = probe_one(path);
        let streams = o["streams"].as_array().unwrap().clone();
        streams.into_iter().find(|s| s["kind"] == "audio").unwrap()
    };
    let whole = audio(&clip);
    assert_eq!(
        (
            &whole["encoder_delay_samples"],
            &whole["start_trim_samples"]
        ),
        (&Value::from(1024), &Value::from(0))
    );
    // ffprobe shows the whole skip as the first audio packet's negative pts.
    let skip = -ffprobe_packets(&cut, "a:0")[0]["pts"].as_i64().unwrap();
    assert!(skip > 2 * 1024, "the trim skips {skip} samples");
    let trimmed = audio(&cut);
    assert_eq!(trimmed["encoder_delay_samples"], 1024, "{trimmed}");
    assert_eq!(trimmed["start_trim_samples"], skip - 1024, "{trimmed}");
    let text = cutroom(&["probe", s(&cut)]);
    let text = String::from_utf8_lossy(&text.stdout);
    let words = format!("encoder delay 1024, start trim {}", skip - 1024);
    assert!(text.contains(&words), "{text}");
    // A copy trim's lead-in is no offset: nothing to note.
    assert_eq!(probe_one(&cut)["notes"], serde_json::json!([]));
}

/// An audio track offset from the picture (`-itsoffset` on either track, either way) is noted
/// with the track, how much, and what players and concat make of it; probe said only "audio is
/// 21.3 ms longer than video" for a sound starting 478 ms late, and "500.0 ms shorter" for one
/// starting 500 ms early.
#[test]
fn an_offset_audio_track_is_noted_with_its_track_and_amount() {
    let dir = tempfile::tempdir().unwrap();
    let m = fixture("marker_portrait_30.mp4");
    let moved_with = |secs: &str, track: usize, name: &str, more: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["-i", s(&m), "-i", s(&m)];
        args.splice(2 * track..2 * track, ["-itsoffset", secs]);
        args.extend(["-map", "0:v", "-map", "1:a", "-c", "copy"]);
        args.extend(more);
        args.push(s(&out));
        ff(&args);
        probe_one(&out)
    };
    let moved = |secs: &str, track: usize, name: &str| moved_with(secs, track, name, &[]);
    let notes = |p: &Value| -> Vec<String> {
        let n = p["notes"].as_array().unwrap();
        n.iter().map(|n| n.as_str().unwrap().to_string()).collect()
    };
    // The sound 0.5 s late (its priming then plays: 478 ms after the first frame).
    let late = moved("0.5", 1, "late.mp4");
    assert_eq!(late["av_start_delta_ms"], 478.0, "{late}");
    let n = notes(&late);
    assert!(
        n[0].starts_with("audio #1 starts 478.0 ms after the picture: players and concat keep")
            && n[0].contains("plays 478.0 ms late; sync measures"),
        "{n:?}"
    );
    assert!(n[1].starts_with("audio #1 ends 49"), "{n:?}");
    // Without edit lists the muxer stamps the sound's first packet (its priming) at 0 and
    // stretches it to where the second starts (0.167 s, the sound moved 0.1 s): players and
    // sync play the rest as timestamped, from 0.167 s, the first packet laid 21.3 ms before
    // it, 78.7 ms after the first frame (0.067 s: B-frames, no edit list). Probe said the
    // sound "starts 66.7 ms before the picture ... plays 66.7 ms early".
    let stretched = moved_with("0.1", 1, "stretched.mp4", &["-use_editlist", "0"]);
    assert_eq!(stretched["edit_lists"], false, "{stretched}");
    assert_eq!(stretched["av_start_delta_ms"], 78.7, "{stretched}");
    let n = notes(&stretched);
    assert_eq!(
        n[0],
        "audio #1's first packet is stamped 0.000-0.167 s but decodes to 21.3 ms: its writer \
         moved it 145.3 ms earlier and stretched it to start the track there (as a muxer \
         without edit lists does); players, concat and sync play the rest of the sound as \
         timestamped (a gap of silence after the first packet), so the sound is laid from 0.145 s"
    );
    assert!(
        n[1].starts_with("audio #1 starts 78.7 ms after the picture:")
            && n[1].contains("plays 78.7 ms late"),
        "{n:?}"
    );
    // The picture 0.5 s late: the sound starts before it.
    let early = moved("0.5", 0, "early.mp4");
    assert_eq!(early["av_start_delta_ms"], -500.0, "{early}");
    let n = notes(&early);
    assert!(
        n[0].starts_with("audio #1 starts 500.0 ms before the picture:")
            && n[0].contains("concat drops it"),
        "{n:?}"
    );
    // The sound moved 0.5 s earlier: both start at 0, its edit list skips 500 ms.
    let skipped = moved("-0.5", 1, "skipped.mp4");
    assert_eq!(skipped["av_start_delta_ms"], 0.0, "{skipped}");
    let n = notes(&skipped);
    assert!(
        n[0].starts_with(
            "audio #1's edit list skips 500.0 ms of its sound beyond the encoder delay"
        ) && n[0].contains("plays 500.0 ms earlier"),
        "{n:?}"
    );
    assert_eq!(
        n[1],
        "audio #1 ends 500.0 ms before the picture: concat pads it with silence"
    );
}

/// A Matroska picture starting 7 s after its sound, past the seconds FFmpeg's analysis reads,
/// was described from its header alone: probe said it starts at 0 and lasts the whole file,
/// with no profile or pixel format, and `swap`, copying its packets (which then had no
/// decoding times), failed with "cannot write: Invalid argument". Now it is analysed whole:
/// it starts at 7 s, its picture is copied and the new sound lies on its first frame.
#[test]
fn a_matroska_picture_starting_late_is_read_where_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    let m = fixture("marker_portrait_30.mp4");
    let late = dir.path().join("late.mkv");
    ff(&[
        "-itsoffset",
        "7",
        "-i",
        s(&m),
        "-i",
        s(&m),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c",
        "copy",
        s(&late),
    ]);
    let p = probe_one(&late);
    let v = &p["streams"][0];
    assert_eq!(v["kind"], "video", "{p}");
    let start = v["start_time_s"].as_f64().unwrap();
    assert!(close(start, 7.0, 0.03), "{p}");
    assert!(close(v["duration_s"].as_f64().unwrap(), 6.0, 0.03), "{p}");
    assert_eq!(
        (&v["profile"], &v["pix_fmt"]),
        (&"High".into(), &"yuv420p".into())
    );
    let out = dir.path().join("out.mp4");
    cutroom_ok(&["swap", "-q", s(&late), "--audio", s(&m), "-o", s(&out)]);
    let offs = marker_offsets_ms(&out);
    assert_eq!(offs.len(), 3, "{offs:?}");
    assert!(offs.iter().all(|(_, o)| o.abs() <= 1.5), "{offs:?}");
}

#[test]
fn a_timecode_track_is_named() {
    // FFmpeg has no codec for a QuickTime timecode track: probe names it by its tag, as
    // ffprobe's codec_tag_string does.
    let dir = tempfile::tempdir().unwrap();
    let mov = dir.path().join("tc.mov");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=160x90:r=25:d=1",
        "-c:v",
        "libx264",
        "-timecode",
        "01:00:00:00",
        s(&mov),
    ]);
    let tag = ffprobe(&mov)["streams"][1]["codec_tag_string"].clone();
    assert_eq!(tag, "tmcd");
    let o = probe_one(&mov);
    assert_eq!(o["streams"][1]["kind"], "data", "{o}");
    assert_eq!(o["streams"][1]["codec"], tag, "{o}");
    let out = cutroom(&["probe", s(&mov)]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("#1 data  tmcd"), "{text}");
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
fn faststart_rotation_and_shown_size_match_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("moov_last.mp4");
    let rotated = dir.path().join("rotated.mp4");
    let wide = dir.path().join("wide_pixels.mp4");
    let src = fixture("marker_portrait_30.mp4");
    for (out, extra) in [
        (&slow, vec![]),
        (
            &rotated,
            vec!["-metadata:s:v:0", "rotate=90", "-movflags", "+faststart"],
        ),
        // 360x640 stored with 4:3 pixels: 480x640 on screen.
        (&wide, vec!["-aspect", "3:4"]),
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

    // The size players show: FFmpeg's first frame, turned upright and with square pixels.
    for (file, stored, shown) in [
        (&src, "360x640", None),
        (&rotated, "360x640", Some("640x360")),
        (&wide, "360x640", Some("480x640")),
    ] {
        let png = dir.path().join("shown.png");
        ff(&[
            "-i",
            file.to_str().unwrap(),
            "-frames:v",
            "1",
            "-vf",
            "scale=iw*sar:ih,setsar=1",
            png.to_str().unwrap(),
        ]);
        let frame = read_png(&png);
        let v = &probe_one(file)["streams"][0];
        assert_eq!(
            (&v["shown_width"], &v["shown_height"]),
            (&frame.width.into(), &frame.height.into()),
            "{}: {v}",
            file.display()
        );
        assert_eq!((&v["width"], &v["height"]), (&360.into(), &640.into()));
        let text = cutroom_ok(&["probe", file.to_str().unwrap()]).stdout;
        let size = match shown {
            Some(shown) => format!("  {stored} shown {shown}"),
            None => format!("  {stored} yuv420p"),
        };
        assert!(String::from_utf8_lossy(&text).contains(&size), "{size}");
    }
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
    // Where: among the packets the damage hit, in the JSON and on the stream's line.
    let v = cutroom_json(&["probe", "--json", "--decode", bad.to_str().unwrap()]);
    let at = &v["files"][0]["streams"][0]["damaged_at_s"];
    let (first, last) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
    let (lo, hi) = garbled_span(&bad, "a");
    assert!(
        lo - 1e-3 <= first && first < last && last <= hi + 1e-3,
        "{at} {lo}-{hi}"
    );
    let table = cutroom(&["probe", "--decode", bad.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains(&format!("damaged {n} at {first:.3}-{last:.3} s ")),
        "{text}"
    );
}

/// Content Credentials: renders signed as a generator signs them, read back by probe and fetch.
mod provenance {
    use super::*;
    use std::process::Command;
    use std::sync::{Arc, Mutex};

    fn s(p: &Path) -> &str {
        p.to_str().unwrap()
    }

    /// `n` 2 s 640x360 renders from an emulator that signs its renders (with its further
    /// arguments `more`): (emulator, the render files, their ids).
    fn signed_renders(
        dir: &Path,
        n: usize,
        more: &[&str],
    ) -> (Emulator, Vec<PathBuf>, Vec<String>) {
        let (cert, key) = signing_cert(dir, "generator", "ec");
        let mut args = vec![
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
            "--sign-cert",
            s(&cert),
            "--sign-key",
            s(&key),
        ];
        args.extend(more);
        let emu = Emulator::start(&args, &[]);
        let list = dir.join("shots.toml");
        let mut text = "model = \"sora-2\"\nsize = \"640x360\"\nseconds = 2\n".to_string();
        for i in 0..n {
            text += &format!("[[shot]]\nname = \"s{i}\"\nprompt = \"generated shot {i}\"\n");
        }
        std::fs::write(&list, text).unwrap();
        let out = dir.join("renders");
        let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--json", "--allow-any"]);
        let (mut files, mut ids) = (Vec::new(), Vec::new());
        for shot in r["shots"].as_array().unwrap() {
            assert_eq!(shot["error"], Value::Null, "{shot}");
            files.push(PathBuf::from(shot["file"].as_str().unwrap()));
            ids.push(shot["id"].as_str().unwrap().to_string());
        }
        (emu, files, ids)
    }

    #[test]
    fn probe_and_fetch_read_a_renders_credentials_and_see_a_flipped_byte() {
        let dir = tempfile::tempdir().unwrap();
        let (emu, renders, ids) = signed_renders(dir.path(), 1, &[]);
        let (render, id) = (&renders[0], &ids[0]);
        let p = probe_one(render)["provenance"].clone();
        assert_eq!(p["state"], "valid", "{p}");
        assert_eq!(p["signature_valid"], true, "{p}");
        assert_eq!(p["hard_binding_valid"], true, "{p}");
        assert_eq!(p["signer"], "generator", "{p}");
        assert_eq!(p["issuer"], "cutroom tests", "{p}");
        assert_eq!(p["generated"], true, "{p}");
        assert_eq!(p["actions"][0]["action"], "c2pa.created", "{p}");
        assert_eq!(
            p["actions"][0]["digital_source_type"], "trainedAlgorithmicMedia",
            "{p}"
        );
        assert!(p["claim_generator"]
            .as_str()
            .unwrap()
            .starts_with("cutroom-emulate/"));
        // The test CA is on no trust list: that is the only finding.
        assert_eq!(
            p["failures"],
            serde_json::json!(["signingCredential.untrusted"])
        );
        let human = cutroom(&["probe", s(render)]);
        let text = String::from_utf8_lossy(&human.stdout);
        assert!(
            text.contains(
                "  provenance: valid (signer not on a trust list)\n    signed by generator, \
                 generated by cutroom-emulate/"
            ) && text.contains("trainedAlgorithmicMedia"),
            "{text}"
        );
        // fetch reports the same credentials for the file it verified.
        let later = dir.path().join("fetched");
        let f = emu.cutroom_json(&["fetch", id, "-o", s(&later), "--json"]);
        assert_eq!(f["fetched"][0]["provenance"], p);
        // Unsigned media have none.
        assert_eq!(
            probe_one(&fixture("no_audio.mp4"))["provenance"],
            Value::Null
        );
        // One byte of picture changed: the hash that binds the manifest no longer matches.
        flip_mdat_byte(render);
        let bad = probe_one(render)["provenance"].clone();
        assert_eq!(bad["state"], "invalid", "{bad}");
        assert_eq!(bad["hard_binding_valid"], false, "{bad}");
        assert_eq!(bad["signature_valid"], true, "{bad}");
        assert!(
            bad["failures"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "assertion.bmffHash.mismatch"),
            "{bad}"
        );
        let human = cutroom(&["probe", s(render)]);
        let text = String::from_utf8_lossy(&human.stdout);
        assert!(
            text.contains("invalid (") && text.contains("assertion.bmffHash.mismatch"),
            "{text}"
        );
        // Signed from the changed render, the cut warns of it and its line names the invalid
        // ingredient (it read "1 ingredients (1 with credentials), valid" with no warning).
        let (cert, key) = signing_cert(dir.path(), "editor", "ec");
        let cut = dir.path().join("cut.mp4");
        let sign = ["--sign-cert", s(&cert), "--sign-key", s(&key)];
        let out = cutroom(&[&["concat", s(render), "-o", s(&cut)][..], &sign].concat());
        assert!(out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(s(render)) && err.contains("Content Credentials do not validate"),
            "{err}"
        );
        let name = render.file_name().unwrap().to_str().unwrap();
        let text = String::from_utf8_lossy(&cutroom(&["probe", s(&cut)]).stdout).into_owned();
        assert!(
            text.contains(&format!(
                "  provenance: valid (signer not on a trust list)\n    signed by editor, \
                 generated by cutroom/{}, compositeWithTrainedAlgorithmicMedia\n    1 ingredient \
                 (1 with credentials, invalid: {name})\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{text}"
        );
        // A second manifest store appended: no signer to name (it read "signed by an unnamed
        // signer"), the store cannot be read.
        let mut bytes = std::fs::read(&cut).unwrap();
        let be32 = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let at = be32(0);
        assert_eq!(&bytes[at + 4..at + 8], b"uuid");
        // The store's box retyped `free` (a manifest taken out in place) read as never signed:
        // now set aside, invalid. Remuxed, nothing is left: said so, not as never signed.
        let freed = dir.path().join("freed.mp4");
        let mut retyped = bytes.clone();
        retyped[at + 4..at + 8].copy_from_slice(b"free");
        std::fs::write(&freed, retyped).unwrap();
        let p = probe_one(&freed)["provenance"].clone();
        assert_eq!(p["state"], "invalid", "{p}");
        let text = String::from_utf8_lossy(&cutroom(&["probe", s(&freed)]).stdout).into_owned();
        assert!(
            text.contains("provenance: Content Credentials set aside (left in a `free` box"),
            "{text}"
        );
        // Bytes appended after the last box (players and FFmpeg read on): c2pa cannot walk the
        // file, which read as never signed; now its store cannot be read, invalid.
        let appended = dir.path().join("appended.mp4");
        std::fs::write(&appended, [&bytes[..], b"garbage!"].concat()).unwrap();
        let text = String::from_utf8_lossy(&cutroom(&["probe", s(&appended)]).stdout).into_owned();
        assert!(
            text.contains(
                "provenance: Content Credentials that cannot be read (asset could not be parsed: \
                 Box size extends beyond asset bounds), invalid"
            ),
            "{text}"
        );
        let remuxed = dir.path().join("remuxed.mp4");
        ff(&["-i", s(&cut), "-c", "copy", s(&remuxed)]);
        assert_eq!(probe_one(&remuxed)["provenance"], Value::Null);
        let text = String::from_utf8_lossy(&cutroom(&["probe", s(&remuxed)]).stdout).into_owned();
        // One readable line (it ran to 172 characters).
        let none = text.lines().find(|l| l.contains("provenance:")).unwrap();
        assert_eq!(
            none,
            "  provenance: none (no C2PA manifest: never signed, or dropped by a remux or re-encode \
             since)",
        );
        let store = bytes[at..at + be32(at)].to_vec();
        bytes.extend(store);
        std::fs::write(&cut, bytes).unwrap();
        let text = String::from_utf8_lossy(&cutroom(&["probe", s(&cut)]).stdout).into_owned();
        assert!(
            text.contains("provenance: Content Credentials that cannot be read (")
                && text.contains("), invalid")
                && !text.contains("signed by"),
            "{text}"
        );
    }

    /// The actions list every deliverable's manifest must open and close with, each done by
    /// this cutroom (name and version).
    fn assert_actions(v: &Value, middle: &[&str]) {
        let actions: Vec<&str> = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions[0], "c2pa.opened", "{v}");
        assert_eq!(actions.last(), Some(&"c2pa.transcoded"), "{v}");
        let edited = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "c2pa.edited")
            .unwrap_or_else(|| panic!("no c2pa.edited: {v}"));
        assert_eq!(
            edited["digitalSourceType"], "compositeWithTrainedAlgorithmicMedia",
            "{v}"
        );
        for m in middle {
            assert!(actions.contains(m), "{m} missing: {v}");
        }
        let agent = format!("cutroom/{}", env!("CARGO_PKG_VERSION"));
        for a in v["actions"].as_array().unwrap() {
            assert_eq!(a["softwareAgent"], agent.as_str(), "{v}");
        }
    }

    /// Valid for the verifier, the only finding the test CA's being on no trust list, and
    /// every ingredient's own manifest kept and valid.
    fn assert_valid(v: &Value, ingredients: usize, generator: &str) {
        assert_eq!(v["validation_state"], "Valid", "{v}");
        assert_eq!(
            v["failures"],
            serde_json::json!(["signingCredential.untrusted"]),
            "{v}"
        );
        assert!(
            v["claim_generator"]
                .as_str()
                .unwrap()
                .starts_with("cutroom/"),
            "{v}"
        );
        let ings = v["ingredients"].as_array().unwrap();
        assert_eq!(ings.len(), ingredients, "{v}");
        assert_eq!(ings[0]["relationship"], "parentOf", "{v}");
        for i in ings.iter().skip(1) {
            assert_eq!(i["relationship"], "componentOf", "{v}");
        }
        for i in ings.iter().filter(|i| i["manifest"] == true) {
            assert!(
                i["claim_generator"]
                    .as_str()
                    .unwrap()
                    .starts_with(generator),
                "{v}"
            );
            assert!(
                i["failures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|c| c == "signingCredential.untrusted"),
                "{v}"
            );
        }
    }

    /// The deliverable is faststart, plays, and cutroom itself reads its credentials as valid.
    fn assert_deliverable(path: &Path) {
        let p = probe_one(path);
        assert_eq!(p["faststart"], true, "{}", path.display());
        assert!(
            decodes_cleanly(path),
            "{} does not decode cleanly",
            path.display()
        );
        let prov = &p["provenance"];
        assert_eq!(prov["state"], "valid", "{prov}");
        assert_eq!(prov["generated"], true, "{prov}");
        assert!(
            prov["ingredients"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["valid"] != false),
            "{prov}"
        );
    }

    #[test]
    fn deliverables_keep_the_renders_as_signed_ingredients_for_an_independent_verifier() {
        let Some(python) = verifier() else { return };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (_emu, renders, _) = signed_renders(d, 2, &[]);
        // Three editors' keys: the algorithm comes from each key.
        let (ed_cert, ed_key) = signing_cert(d, "editor-ed25519", "ed25519");
        let (rsa_cert, rsa_key) = signing_cert(d, "editor-rsa", "rsa:2048");
        let (ec_cert, ec_key) = signing_cert(d, "editor-p384", "ec384");

        // concat: both renders, Ed25519.
        let cut = d.join("cut.mp4");
        let out = cutroom_ok(&[
            "concat",
            s(&renders[0]),
            s(&renders[1]),
            "-o",
            s(&cut),
            "--sign-cert",
            s(&ed_cert),
            "--sign-key",
            s(&ed_key),
        ]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("warning"));
        assert_deliverable(&cut);
        let prov = probe_one(&cut)["provenance"].clone();
        assert_eq!(prov["algorithm"], "ed25519", "{prov}");
        assert_eq!(prov["signer"], "editor-ed25519", "{prov}");

        // export from the signed cut, keys from the environment, RSA (PS256), cropped.
        let exp = d.join("exports");
        succeeded(
            cutroom_command()
                .args([
                    "export",
                    s(&cut),
                    "-p",
                    "square",
                    "--fit",
                    "crop",
                    "-o",
                    s(&exp),
                    "-q",
                ])
                .env("CUTROOM_SIGN_CERT", &rsa_cert)
                .env("CUTROOM_SIGN_KEY", &rsa_key),
        );
        let square = exp.join("cut.square.mp4");
        assert_deliverable(&square);
        assert_eq!(probe_one(&square)["provenance"]["algorithm"], "ps256");

        // swap: a render and a music file (no credentials), P-384.
        let swapped = d.join("swapped.mp4");
        cutroom_ok(&[
            "swap",
            s(&renders[0]),
            "--audio",
            s(&fixture("music.wav")),
            "-o",
            s(&swapped),
            "--loudness",
            "-14",
            "--sign-cert",
            s(&ec_cert),
            "--sign-key",
            s(&ec_key),
        ]);
        assert_deliverable(&swapped);
        assert_eq!(probe_one(&swapped)["provenance"]["algorithm"], "es384");

        // assemble: both renders and a music bed, keys and a time-stamp authority from
        // [provenance] in cut.toml.
        let tsa = time_stamp_authority(d, Tsa::Stamps).url;
        let spec = d.join("promo.toml");
        std::fs::write(
            &spec,
            format!(
                "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n[[shot]]\nsrc = \"{}\"\n\
                 [music]\nfile = \"{}\"\n[sync]\nfail_on_error = false\n\
                 [provenance]\nsign_cert = \"{}\"\nsign_key = \"{}\"\nrequire = true\n\
                 tsa = \"{tsa}\"\n",
                s(&renders[0]),
                s(&renders[1]),
                s(&fixture("music.wav")),
                s(&ec_cert),
                s(&ec_key)
            ),
        )
        .unwrap();
        let out_dir = d.join("out");
        cutroom_ok(&["assemble", s(&spec), "-o", s(&out_dir), "-q"]);
        let promo = out_dir.join("promo.square.mp4");
        assert_deliverable(&promo);
        let at = probe_one(&promo)["provenance"]["signed_at"].clone();
        assert!(at.is_string(), "{at}");

        // The independent verifier agrees on every deliverable.
        let v = verify(&python, &[&cut, &square, &swapped, &promo]);
        assert_valid(&v[0], 2, "cutroom-emulate/");
        assert_actions(&v[0], &["c2pa.placed"]);
        assert_valid(&v[1], 1, "cutroom/");
        assert_actions(&v[1], &["c2pa.resized", "c2pa.cropped", "c2pa.filtered"]);
        assert_eq!(
            v[1]["ingredients"][0]["manifest"], true,
            "the cut's manifest is kept"
        );
        assert_valid(&v[2], 2, "cutroom-emulate/");
        assert_eq!(
            v[2]["ingredients"][1]["manifest"], false,
            "music.wav had none"
        );
        assert_actions(&v[2], &["c2pa.placed", "c2pa.filtered"]);
        assert_valid(&v[3], 3, "cutroom-emulate/");
        assert_eq!(v[3]["signed_at"], at, "{}", v[3]);
        assert_actions(&v[3], &["c2pa.placed", "c2pa.filtered", "c2pa.resized"]);

        // One byte of picture changed after signing: both cutroom and the verifier see it.
        flip_mdat_byte(&cut);
        let bad = &verify(&python, &[&cut])[0];
        assert_eq!(bad["validation_state"], "Invalid", "{bad}");
        assert!(
            bad["failures"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "assertion.bmffHash.mismatch"),
            "{bad}"
        );
        assert_eq!(probe_one(&cut)["provenance"]["state"], "invalid");
    }

    #[test]
    fn duck_signs_its_mix_with_the_render_music_and_voice_as_ingredients() {
        let Some(python) = verifier() else { return };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (_emu, renders, _) = signed_renders(d, 1, &[]);
        let (cert, key) = signing_cert(d, "editor", "ec");
        let ducked = d.join("ducked.mp4");
        cutroom_ok(&[
            "duck",
            s(&renders[0]),
            "--music",
            s(&fixture("music.wav")),
            "--voice",
            s(&fixture("dialogue.wav")),
            "--depth",
            "-12",
            "-o",
            s(&ducked),
            "--sign-cert",
            s(&cert),
            "--sign-key",
            s(&key),
        ]);
        assert_deliverable(&ducked);
        assert_eq!(probe_one(&ducked)["provenance"]["algorithm"], "es256");
        let v = &verify(&python, &[&ducked])[0];
        assert_valid(v, 3, "cutroom-emulate/");
        assert_eq!(v["ingredients"][0]["manifest"], true, "the render's kept");
        assert_eq!(v["ingredients"][1]["manifest"], false, "music.wav had none");
        assert_eq!(
            v["ingredients"][2]["manifest"], false,
            "dialogue.wav had none"
        );
        assert_actions(v, &["c2pa.placed", "c2pa.filtered"]);
    }

    #[test]
    fn without_a_key_the_loss_is_warned_or_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (_emu, renders, _) = signed_renders(d, 1, &[]);
        let out_file = d.join("plain.mp4");
        let out = cutroom_ok(&["concat", s(&renders[0]), "-o", s(&out_file)]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("warning")
                && err.contains(s(&renders[0]))
                && err.contains("carries Content Credentials")
                && err.contains("--sign-cert"),
            "{err}"
        );
        assert_eq!(probe_one(&out_file)["provenance"], Value::Null);
        // Required: an error naming the render, and nothing written.
        let refused = d.join("refused.mp4");
        let out = cutroom(&[
            "concat",
            s(&renders[0]),
            "-o",
            s(&refused),
            "--require-provenance",
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(s(&renders[0])) && err.contains("--require-provenance"),
            "{err}"
        );
        assert!(!refused.exists());
        // A key that is not one: named, before any work.
        let (cert, _) = signing_cert(d, "editor", "ec");
        let out = cutroom(&[
            "concat",
            s(&renders[0]),
            "-o",
            s(&refused),
            "--sign-cert",
            s(&cert),
            "--sign-key",
            s(&cert),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(s(&cert)) && err.to_lowercase().contains("private key"),
            "{err}"
        );
        assert!(!refused.exists());
        // Unsigned sources: no warning at all.
        let out = cutroom_ok(&[
            "concat",
            s(&fixture("no_audio.mp4")),
            "-o",
            s(&refused),
            "--require-provenance",
        ]);
        assert!(!String::from_utf8_lossy(&out.stderr).contains("Content Credentials"));
    }

    #[test]
    fn a_join_that_scales_its_pictures_says_so_in_its_actions() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let clip = fixture("no_audio.mp4");
        let actions = |extra: &[&str]| -> Vec<String> {
            let out = d.join("cut.mp4");
            let mut args = vec!["concat", s(&clip), s(&clip), "-o", s(&out)];
            args.extend(["--sign-cert", s(&cert), "--sign-key", s(&key)]);
            args.extend(extra);
            cutroom_ok(&args);
            let p = probe_one(&out)["provenance"].clone();
            assert_eq!(p["state"], "valid", "{p}");
            p["actions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["action"].as_str().unwrap().to_string())
                .collect()
        };
        let copied = actions(&[]);
        assert!(!copied.iter().any(|a| a == "c2pa.resized"), "{copied:?}");
        let scaled = actions(&["--size", "64x64"]);
        assert!(scaled.iter().any(|a| a == "c2pa.resized"), "{scaled:?}");
    }

    /// Signing holds no whole copy of the deliverable: c2pa kept its copy of a file under 512
    /// MB in memory, besides the part it hashes (a 50 MB cut of lossless noise: 100 MB more
    /// than unsigned, a 339 MB one 665 MB more); now about the hashed part alone.
    #[test]
    fn signing_holds_no_copy_of_the_file_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let noise = d.join("noise.mp4");
        let picture = "color=c=gray:s=1280x720:r=25:d=1,noise=alls=100:allf=t";
        let lossless = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "0"];
        ff(&[&["-f", "lavfi", "-i", picture][..], &lossless, &[s(&noise)]].concat());
        let mb = std::fs::metadata(&noise).unwrap().len() as f64 / (1024.0 * 1024.0);
        let (cert, key) = signing_cert(d, "memory", "ec");
        let (plain, signed) = (d.join("plain.mp4"), d.join("signed.mp4"));
        let (unsigned_mb, _) = peak_mb_ok(&["concat", "-q", s(&noise), "-o", s(&plain)]);
        let sign = ["--sign-cert", s(&cert), "--sign-key", s(&key)];
        let (signed_mb, _) =
            peak_mb_ok(&[&["concat", "-q", s(&noise), "-o", s(&signed)][..], &sign].concat());
        assert!(
            signed_mb - unsigned_mb < 1.5 * mb,
            "signing a {mb:.0} MB file: {signed_mb:.0} MB at the peak, {unsigned_mb:.0} MB unsigned"
        );
    }

    #[test]
    fn a_signing_certificate_without_an_organisation_is_refused() {
        // c2pa 0.90's reader (cutroom's probe) calls such a claim signature a mismatch: before
        // this check cutroom wrote deliverables it then read as invalid.
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ca = make_ca(d, "editor");
        let (cert, key) = issue_cert(
            d,
            &ca,
            "noorg",
            "ec",
            "/CN=noorg",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid,issuer\n",
        );
        let err = refused_signing(d, &[], &cert, &key);
        assert!(
            err.contains(s(&cert)) && err.contains("no organisation (O=)"),
            "{err}"
        );
    }

    /// `concat` signed with `cert` and `key` (and the further options `more`), which must be
    /// refused: exit 1 and no output; returns stderr.
    fn refused_signing(d: &Path, more: &[&str], cert: &Path, key: &Path) -> String {
        let out_file = d.join("cut.mp4");
        let no_audio = fixture("no_audio.mp4");
        let mut args = vec!["concat", s(&no_audio), "-o", s(&out_file)];
        args.extend(["--sign-cert", s(cert), "--sign-key", s(key)]);
        args.extend(more);
        let out = cutroom(&args);
        assert_eq!(out.status.code(), Some(1));
        assert!(!out_file.exists());
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    #[test]
    fn a_certificate_c2pa_refuses_is_named_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A self-signed certificate (a test CA's) and its key: a working key pair that C2PA
        // refuses; without the check the whole join ran, then signing failed.
        let (ca_cert, ca_key) = make_ca(d, "editor");
        let err = refused_signing(d, &[], &ca_cert, &ca_key);
        assert!(
            err.contains(s(&ca_cert))
                && err.contains("cannot sign Content Credentials")
                && err.contains("self-signed"),
            "{err}"
        );
        // A good certificate with another pair's key (here its CA's): before this check the
        // deliverable was written, exit 0, its claim signature a mismatch for every reader.
        let ext = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
                   extendedKeyUsage=emailProtection\n";
        let ca = (ca_cert, ca_key);
        let (cert, _) = issue_cert(d, &ca, "signer", "ec", "/CN=signer/O=cutroom tests", ext);
        let err = refused_signing(d, &[], &cert, &ca.1);
        assert!(
            err.contains(s(&cert))
                && err.contains(s(&ca.1))
                && err.contains("the private key is not the certificate's"),
            "{err}"
        );
    }

    /// How the loopback time-stamp authority answers.
    #[derive(Clone, Copy)]
    enum Tsa {
        /// A time-stamp made by `openssl ts -reply`.
        Stamps,
        /// HTTP 500.
        Fails,
        /// HTTP 200 `application/timestamp-reply` with bytes that are no reply.
        Garbage,
        /// HTTP 503.
        Busy,
        /// The first connection closed unanswered, the second answered as `Busy`, the others
        /// as `Stamps`.
        Flaky,
    }

    /// What the loopback time-stamp authority saw of one request.
    #[derive(Debug)]
    struct Asked {
        /// Its Authorization header.
        authorization: Option<String>,
        /// The names of the files in the authority's directory when it came.
        files: Vec<String>,
    }

    /// A loopback time-stamp authority: its URL and the requests it was sent.
    struct TestTsa {
        url: String,
        asked: Arc<Mutex<Vec<Asked>>>,
    }

    impl TestTsa {
        /// How many requests it was sent.
        fn count(&self) -> usize {
            self.asked.lock().unwrap().len()
        }
    }

    /// An RFC 3161 time-stamp authority on 127.0.0.1 answering each POST as `how` (a time-stamp
    /// from `openssl ts -reply`, with a certificate `CN=cutroom test TSA` of a test CA made
    /// in `dir`, extendedKeyUsage critical timeStamping), over plain http.
    fn time_stamp_authority(dir: &Path, how: Tsa) -> TestTsa {
        serve_tsa(dir, how, None)
    }

    /// The same over https, its server certificate for 127.0.0.1 issued by a test CA made in
    /// `dir`: (the authority, that CA's PEM file).
    fn https_time_stamp_authority(dir: &Path, how: Tsa) -> (TestTsa, PathBuf) {
        let (ca, cert, key) = test_ca(dir);
        (serve_tsa(dir, how, Some(tls_server(&cert, &key))), ca)
    }

    fn serve_tsa(
        dir: &Path,
        how: Tsa,
        tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    ) -> TestTsa {
        let ca = make_ca(dir, "tsa");
        let (cert, key) = issue_cert(
            dir,
            &ca,
            "tsa",
            "ec",
            "/CN=cutroom test TSA/O=cutroom tests",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             extendedKeyUsage=critical,timeStamping\nsubjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid,issuer\n",
        );
        let config = dir.join("tsa.cnf");
        std::fs::write(
            &config,
            format!(
                "[tsa]\ndefault_tsa = test\n[test]\nserial = {}\ncrypto_device = builtin\n\
                 signer_cert = {}\ncerts = {}\nsigner_key = {}\nsigner_digest = sha256\n\
                 default_policy = 1.2.3.4.1\ndigests = sha256, sha384, sha512\n\
                 accuracy = secs:1\ness_cert_id_alg = sha256\n",
                s(&dir.join("tsa.serial")),
                s(&cert),
                s(&ca.0),
                s(&key),
            ),
        )
        .unwrap();
        std::fs::write(dir.join("tsa.serial"), "01\n").unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}/tsa", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (log, dir) = (asked.clone(), dir.to_path_buf());
        let listed = dir.clone();
        let files = move || -> Vec<String> {
            std::fs::read_dir(&listed)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        };
        let reply = move |how: Tsa, query: &[u8]| match how {
            Tsa::Fails => ("500 Internal Server Error", b"no time today".to_vec()),
            Tsa::Busy => ("503 Service Unavailable", b"come back later".to_vec()),
            Tsa::Garbage => ("200 OK", b"this is not DER".to_vec()),
            Tsa::Stamps => {
                let (q, r) = (dir.join("query.tsq"), dir.join("reply.tsr"));
                std::fs::write(&q, query).unwrap();
                let out = std::process::Command::new("openssl")
                    .args(["ts", "-reply", "-config", s(&config)])
                    .args(["-queryfile", s(&q), "-out", s(&r)])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{out:?}");
                ("200 OK", std::fs::read(&r).unwrap())
            }
            Tsa::Flaky => unreachable!("answered as one of the others"),
        };
        std::thread::spawn(move || {
            for (n, conn) in listener.incoming().enumerate() {
                let Ok(conn) = conn else { return };
                let how = match (how, n) {
                    (Tsa::Flaky, 0) => continue, // closed unanswered
                    (Tsa::Flaky, 1) => Tsa::Busy,
                    (Tsa::Flaky, _) => Tsa::Stamps,
                    (how, _) => how,
                };
                // A client that refuses the certificate ends its connection: serve the next.
                let _ = match &tls {
                    None => answer(conn, how, &reply, &files, &log),
                    Some(config) => {
                        let server = tokio_rustls::rustls::ServerConnection::new(config.clone());
                        let stream = tokio_rustls::rustls::StreamOwned::new(server.unwrap(), conn);
                        answer(stream, how, &reply, &files, &log)
                    }
                };
            }
        });
        TestTsa { url, asked }
    }

    /// Read one POST from `conn`, note it in `log` and answer it with `reply`.
    fn answer(
        conn: impl std::io::Read + std::io::Write,
        how: Tsa,
        reply: &impl Fn(Tsa, &[u8]) -> (&'static str, Vec<u8>),
        files: &impl Fn() -> Vec<String>,
        log: &Mutex<Vec<Asked>>,
    ) -> std::io::Result<()> {
        use std::io::{BufRead, BufReader, Read};
        let mut reader = BufReader::new(conn);
        let (mut length, mut authorization) = (0, None);
        let mut line = String::new();
        while reader.read_line(&mut line)? > 0 && line != "\r\n" {
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                } else if k.eq_ignore_ascii_case("authorization") {
                    authorization = Some(v.trim().to_string());
                }
            }
            line.clear();
        }
        log.lock().unwrap().push(Asked {
            authorization,
            files: files(),
        });
        let mut query = vec![0; length];
        reader.read_exact(&mut query)?;
        let (status, body) = reply(how, &query);
        let kind = match how {
            Tsa::Fails | Tsa::Busy => "text/plain",
            _ => "application/timestamp-reply",
        };
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n",
            body.len()
        );
        let conn = reader.get_mut();
        conn.write_all(head.as_bytes())?;
        conn.write_all(&body)?;
        conn.flush()
    }

    /// Seconds between the RFC 3339 time `at` and now (GNU `date` reads it).
    fn seconds_ago(at: &str) -> i64 {
        let out = Command::new("date")
            .args(["-u", "-d", at, "+%s"])
            .output()
            .unwrap();
        assert!(out.status.success(), "date cannot read {at:?}");
        let then: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        now - then
    }

    #[test]
    fn time_stamped_signatures_read_back_their_time_through_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let tsa = time_stamp_authority(d, Tsa::Stamps);
        // The emulator time-stamps its render; concat time-stamps the deliverable.
        let (emu, renders, ids) = signed_renders(d, 1, &["--sign-tsa", &tsa.url]);
        assert_eq!(
            tsa.count(),
            2,
            "one check at the start, one request per render"
        );
        let render = probe_one(&renders[0])["provenance"].clone();
        let at = render["signed_at"]
            .as_str()
            .unwrap_or_else(|| panic!("{render}"));
        assert!((0..60).contains(&seconds_ago(at)), "{at}");
        assert_eq!(render["time_stamped_by"], "cutroom test TSA", "{render}");
        assert_eq!(render["state"], "valid", "{render}");
        // fetch reports the same signing time for the render it downloads.
        let fetched = d.join("fetched");
        let f = emu.cutroom_json(&["fetch", &ids[0], "-o", s(&fetched), "--json"]);
        assert_eq!(f["fetched"][0]["provenance"], render);
        let (cert, key) = signing_cert(d, "editor", "ec");
        let cut = d.join("cut.mp4");
        succeeded(
            cutroom_command()
                .args(["concat", s(&renders[0]), "-o", s(&cut)])
                .args(["--sign-cert", s(&cert), "--sign-key", s(&key)])
                .env("CUTROOM_SIGN_TSA", &tsa.url),
        );
        {
            // One check before the work, with no output file yet; then one request per
            // output, while the signed output is staged beside it, before it is moved in place.
            let asked = tsa.asked.lock().unwrap();
            assert_eq!(asked.len(), 4, "{asked:?}");
            let staged = |a: &Asked| a.files.iter().any(|f| f.starts_with(".cut.mp4."));
            assert!(!staged(&asked[2]) && !asked[2].files.contains(&"cut.mp4".into()));
            assert!(staged(&asked[3]), "{asked:?}");
        }
        let p = probe_one(&cut)["provenance"].clone();
        let signed_at = p["signed_at"].as_str().unwrap_or_else(|| panic!("{p}"));
        assert!((0..60).contains(&seconds_ago(signed_at)), "{signed_at}");
        assert_eq!(p["time_stamped_by"], "cutroom test TSA", "{p}");
        // The test TSA is on no trust list: said, and the only other finding is the signer's.
        assert_eq!(p["time_stamp_trusted"], false, "{p}");
        assert_eq!(
            p["failures"],
            serde_json::json!(["signingCredential.untrusted"])
        );
        assert_eq!(p["state"], "valid", "{p}");
        assert_eq!(p["ingredients"][0]["signed_at"], at, "{p}");
        let human = String::from_utf8_lossy(&cutroom(&["probe", s(&cut)]).stdout).into_owned();
        // A short block, not one line of 280 characters: who signed and the state, then the
        // ingredients and the time.
        assert!(
            human.contains(&format!(
                "  provenance: valid (signer not on a trust list)\n    signed by editor, \
                 generated by cutroom/{}, compositeWithTrainedAlgorithmicMedia\n    1 ingredient \
                 (1 with credentials)\n    signed at {signed_at} (time-stamped by cutroom test \
                 TSA, not on a trust list)\n",
                env!("CARGO_PKG_VERSION")
            )),
            "{human}"
        );
        // The independent verifier reads the same times.
        let Some(python) = verifier() else { return };
        let v = &verify(&python, &[&cut])[0];
        eprintln!("c2pa-python: {v}");
        assert_eq!(v["validation_state"], "Valid", "{v}");
        assert_eq!(
            v["failures"],
            serde_json::json!(["signingCredential.untrusted"])
        );
        assert_eq!(
            v["time_stamp"],
            serde_json::json!(["timeStamp.validated", "timeStamp.untrusted"]),
            "{v}"
        );
        assert_eq!(v["signed_at"], signed_at, "{v}");
        assert_eq!(v["ingredients"][0]["signed_at"], at, "{v}");
    }

    #[test]
    fn a_time_stamp_authority_that_fails_fails_the_command_naming_it_with_no_output() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}/tsa", l.local_addr().unwrap())
        };
        for (how, says) in [
            (
                Tsa::Fails,
                "answered HTTP 500 with text/plain, not an RFC 3161 time-stamp reply",
            ),
            (
                Tsa::Garbage,
                "its reply is not an RFC 3161 time-stamp response",
            ),
        ] {
            let tsa = time_stamp_authority(d, how);
            let err = refused_signing(d, &["--sign-tsa", &tsa.url], &cert, &key);
            assert!(
                err.contains(&format!("time-stamp authority {}: {says}", tsa.url)),
                "{err}"
            );
            // Asked once, before the work: no output, not even a staged one, existed then.
            let asked = tsa.asked.lock().unwrap();
            assert_eq!(asked.len(), 1, "{asked:?}");
            assert!(
                !asked[0].files.iter().any(|f| f.contains("cut.mp4")),
                "the TSA was asked after the work began: {asked:?}"
            );
        }
        let err = refused_signing(d, &["--sign-tsa", &closed], &cert, &key);
        assert!(
            err.contains(&format!("time-stamp authority {closed}: cannot connect")),
            "{err}"
        );
        // Nothing is left beside the output either.
        let left: Vec<_> = std::fs::read_dir(d)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("cut"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_time_stamp_authority_that_fails_briefly_is_asked_again() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        // Its first connection closed unanswered, then a 503, then time-stamps.
        let tsa = time_stamp_authority(d, Tsa::Flaky);
        let cut = d.join("cut.mp4");
        cutroom_ok(&[
            "concat",
            s(&fixture("no_audio.mp4")),
            "-o",
            s(&cut),
            "--sign-cert",
            s(&cert),
            "--sign-key",
            s(&key),
            "--sign-tsa",
            &tsa.url,
        ]);
        let signed = probe_one(&cut)["provenance"].clone();
        assert_eq!(signed["time_stamped_by"], "cutroom test TSA", "{signed}");
        assert!(signed["signed_at"].is_string(), "{signed}");
        // The 503, the check's stamp, the signature's stamp (the closed one is not read).
        assert_eq!(tsa.count(), 3);
    }

    #[test]
    fn a_time_stamp_authority_that_stays_busy_fails_after_two_more_tries() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let tsa = time_stamp_authority(d, Tsa::Busy);
        let t0 = std::time::Instant::now();
        let err = refused_signing(d, &["--sign-tsa", &tsa.url], &cert, &key);
        assert!(
            err.contains(&format!(
                "time-stamp authority {}: answered HTTP 503",
                tsa.url
            )) && err.lines().count() == 1,
            "{err}"
        );
        assert_eq!(tsa.count(), 3, "asked once and twice more");
        assert!(t0.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn an_https_time_stamp_authority_behind_a_private_ca_is_trusted_through_its_ca_options() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (tsa, ca) = https_time_stamp_authority(d, Tsa::Stamps);
        let (cert, key) = signing_cert(d, "editor", "ec");
        let cut = d.join("cut.mp4");
        let concat = |ca: Option<&Path>| {
            let mut c = cutroom_command();
            c.args(["concat", s(&fixture("no_audio.mp4")), "-o", s(&cut)])
                .args(["--sign-cert", s(&cert), "--sign-key", s(&key)])
                .args(["--sign-tsa", &tsa.url])
                .env_remove("SSL_CERT_FILE");
            if let Some(ca) = ca {
                c.env("SSL_CERT_FILE", ca);
            }
            c
        };
        // Its CA not given: refused before the work, naming the authority and the fix.
        let out = concat(None).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "time-stamp authority {}: its certificate is not trusted",
                tsa.url
            )) && err.contains("SSL_CERT_FILE"),
            "{err}"
        );
        assert!(!cut.exists());
        assert_eq!(tsa.count(), 0, "no request got through");
        // Trusted through SSL_CERT_FILE: checked, then time-stamped.
        succeeded(&mut concat(Some(&ca)));
        assert_eq!(tsa.count(), 2);
        let p = probe_one(&cut)["provenance"].clone();
        assert_eq!(p["time_stamped_by"], "cutroom test TSA", "{p}");
        assert_eq!(p["state"], "valid", "{p}");
        // assemble trusts it through --ca-cert, as it trusts the renders' API.
        let spec = signed_spec(d, "outputs = [\"square\"]\n", (&cert, &key), &tsa.url);
        let out_dir = d.join("out");
        succeeded(
            cutroom_command()
                .args(["assemble", s(&spec), "-o", s(&out_dir), "-q"])
                .args(["--ca-cert", s(&ca)])
                .env_remove("SSL_CERT_FILE"),
        );
        assert_eq!(tsa.count(), 4, "a check, then the one deliverable");
        let p = probe_one(&out_dir.join("cut.square.mp4"))["provenance"].clone();
        assert_eq!(p["time_stamped_by"], "cutroom test TSA", "{p}");
    }

    /// A cut spec: `head`, one second of a marker clip, signed with `key` (certificate, key)
    /// and time-stamped by `tsa`.
    fn signed_spec(d: &Path, head: &str, key: (&Path, &Path), tsa: &str) -> PathBuf {
        let spec = d.join("cut.toml");
        let text = format!(
            "{head}[[shot]]\nsrc = \"{}\"\nout = \"1\"\n[sync]\nfail_on_error = false\n\
             [provenance]\nsign_cert = \"{}\"\nsign_key = \"{}\"\ntsa = \"{tsa}\"\n",
            s(&fixture("marker_landscape_25.mp4")),
            s(key.0),
            s(key.1),
        );
        std::fs::write(&spec, text).unwrap();
        spec
    }

    #[test]
    fn user_info_in_the_time_stamp_authority_url_is_sent_as_basic_auth_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let tsa = time_stamp_authority(d, Tsa::Fails);
        let with_user = tsa.url.replacen("http://", "http://tsa-user:s3cret@", 1);
        let err = refused_signing(d, &["--sign-tsa", &with_user], &cert, &key);
        assert!(
            err.contains(&format!(
                "time-stamp authority {}: answered HTTP 500",
                tsa.url
            )) && !err.contains("s3cret")
                && !err.contains("tsa-user"),
            "{err}"
        );
        let asked = tsa.asked.lock().unwrap();
        // base64 of "tsa-user:s3cret"
        assert_eq!(
            asked[0].authorization.as_deref(),
            Some("Basic dHNhLXVzZXI6czNjcmV0"),
            "{asked:?}"
        );
    }

    /// `batch` signs as `assemble` does: with the signing options or their environment when
    /// the spec has no `[provenance]`, and a bad key given so stops it before any variant.
    #[test]
    fn a_batch_signs_with_the_signing_options_and_their_environment() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let spec = d.join("cut.toml");
        let text = format!(
            "name = \"promo-{{{{lang}}}}\"\noutputs = [\"square\"]\n[vars]\nlang = \"en\"\n\
             [[shot]]\nsrc = \"{}\"\nout = \"1\"\n[[text]]\ntext = \"{{{{lang}}}}\"\n\
             [sync]\nfail_on_error = false\n",
            s(&fixture("marker_landscape_25.mp4")),
        );
        std::fs::write(&spec, text).unwrap();
        let variants = d.join("variants.csv");
        std::fs::write(&variants, "variant,lang\nen,en\nfr,fr\n").unwrap();
        let batch = |out: &Path, env: &[(&str, &Path)], more: &[&str]| {
            let mut c = cutroom_command();
            c.args([
                "-q",
                "batch",
                s(&spec),
                "--variants",
                s(&variants),
                "-o",
                s(out),
            ])
            .args(more);
            for (k, v) in env {
                c.env(k, v);
            }
            c
        };
        let env_out = d.join("by-env");
        succeeded(&mut batch(
            &env_out,
            &[("CUTROOM_SIGN_CERT", &cert), ("CUTROOM_SIGN_KEY", &key)],
            &[],
        ));
        let opt_out = d.join("by-option");
        succeeded(&mut batch(
            &opt_out,
            &[],
            &["--sign-cert", s(&cert), "--sign-key", s(&key)],
        ));
        for out in [&env_out, &opt_out] {
            for lang in ["en", "fr"] {
                let file = out.join(lang).join(format!("promo-{lang}.square.mp4"));
                let p = probe_one(&file)["provenance"].clone();
                assert_eq!(p["signer"], "editor", "{}: {p}", file.display());
                assert_eq!(p["signature_valid"], true, "{}: {p}", file.display());
            }
        }
        let bad_out = d.join("bad");
        let run = batch(
            &bad_out,
            &[("CUTROOM_SIGN_CERT", &cert), ("CUTROOM_SIGN_KEY", &cert)],
            &[],
        )
        .output()
        .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(err.contains(s(&cert)), "{err}");
        assert!(!bad_out.exists(), "nothing written");
    }

    #[test]
    fn a_batch_asks_its_time_stamp_authority_once_before_any_variant() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (cert, key) = signing_cert(d, "editor", "ec");
        let tsa = time_stamp_authority(d, Tsa::Fails);
        let head = "name = \"promo-{{lang}}\"\noutputs = [\"square\"]\n[vars]\nlang = \"en\"\n";
        let spec = signed_spec(d, head, (&cert, &key), &tsa.url);
        let variants = d.join("variants.csv");
        std::fs::write(&variants, "variant,lang\nen,en\nfr,fr\nde,de\n").unwrap();
        let out_dir = d.join("batch");
        let out = cutroom(&[
            "batch",
            s(&spec),
            "--variants",
            s(&variants),
            "-o",
            s(&out_dir),
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!(
                "time-stamp authority {}: answered HTTP 500",
                tsa.url
            )),
            "{err}"
        );
        assert_eq!(tsa.count(), 1, "once for the three variants");
        assert!(!out_dir.exists(), "nothing written");
    }
}

/// The CAI's own Python bindings (c2pa-python), the independent verifier; `None`, said on
/// stderr, when they cannot be installed.
fn verifier() -> Option<PathBuf> {
    try_python_with(&["c2pa-python==0.38.1"])
        .inspect_err(|e| {
            eprintln!("skipping the independent C2PA verification: c2pa-python: {e}");
        })
        .ok()
}

/// What c2pa-python (at `python`) reads in `files` (tests/python/c2pa_verify.py).
fn verify(python: &Path, files: &[&Path]) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/c2pa_verify.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .expect("run c2pa_verify.py");
    assert!(
        out.status.success(),
        "c2pa_verify.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// A faststart MP4 cut inside its `moov` before the first track (a download stopped after a
/// few hundred bytes) opens in FFmpeg as a 4 s movie without streams: probe listed it with
/// exit 0 and sync called it inconclusive ("no video stream", exit 4). Both refuse it.
#[test]
fn an_mp4_cut_inside_its_moov_before_any_track_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.mp4");
    marker_clip(&base, 360, 640, 30, 4.0, 4.0, 0.0, &[]);
    let bytes = std::fs::read(&base).unwrap();
    let moov = bytes.windows(4).position(|w| w == b"moov").unwrap() - 4;
    let cut = dir.path().join("cut.mp4");
    // Inside the movie header (`mvhd` follows the 8-byte `moov` header).
    std::fs::write(&cut, &bytes[..moov + 8 + 60]).unwrap();
    for cmd in ["probe", "sync"] {
        let run = cutroom(&[cmd, cut.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{cmd}: {err}");
        assert!(
            err.contains(&format!(
                "{}: truncated or unfinished MP4: its moov box is cut short",
                cut.display()
            )),
            "{cmd}: {err}"
        );
    }
}
