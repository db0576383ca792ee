//! `cutroom concat` on real marker clips: sync at every marker measured by decoding the output
//! with the ffmpeg CLI, exact durations, bit-identical copied packets, trims, transitions and
//! every kind of bad input.

use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A clip to make with `marker_clip`: size, fps, video seconds, audio seconds.
#[derive(Clone, Copy)]
struct ClipSpec {
    w: u32,
    h: u32,
    fps: u32,
    secs: f64,
    audio_secs: f64,
}

const fn portrait(secs: f64, audio_secs: f64) -> ClipSpec {
    ClipSpec {
        w: 360,
        h: 640,
        fps: 30,
        secs,
        audio_secs,
    }
}

/// Make the clips (on two threads) as `dir/clipN.mp4`.
fn make_clips(dir: &Path, specs: &[ClipSpec]) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = (0..specs.len())
        .map(|i| dir.join(format!("clip{i}.mp4")))
        .collect();
    std::thread::scope(|s| {
        for half in [0, 1] {
            let paths = &paths;
            s.spawn(move || {
                for (i, c) in specs.iter().enumerate().filter(|(i, _)| i % 2 == half) {
                    marker_clip(&paths[i], c.w, c.h, c.fps, c.secs, c.audio_secs, 0.0, &[]);
                }
            });
        }
    });
    paths
}

/// A shot as the test expects it in the output: source, the part used (seconds from its
/// first frame) and where it lands.
struct Expect<'a> {
    src: &'a Path,
    from: f64,
    to: f64,
    at: f64,
}

/// Every marker of the 6 s marker clips `shots`, joined whole one after another, in `out` at
/// its place and with its A/V offset, within 1 ms.
fn assert_whole_markers(out: &Path, shots: &[&Path]) {
    let expect: Vec<Expect> = (shots.iter().enumerate())
        .map(|(k, &src)| Expect {
            src,
            from: 0.0,
            to: 6.0,
            at: 6.0 * k as f64,
        })
        .collect();
    assert_markers(out, &expect, None, 1.0, 1.0);
}

/// Every marker of every shot's used part must appear in `out` at its place (within `tol_ms`)
/// and with the A/V offset it has in the source (within `sync_ms`).
fn assert_markers(out: &Path, shots: &[Expect], vf: Option<&str>, tol_ms: f64, sync_ms: f64) {
    let mut cache: HashMap<&Path, Vec<(f64, f64)>> = HashMap::new();
    let mut expected = Vec::new();
    for s in shots {
        let src = cache
            .entry(s.src)
            .or_insert_with(|| marker_offsets_ms(s.src));
        for &(t, off) in src.iter() {
            if t >= s.from - 1e-6 && t < s.to - 1e-6 {
                expected.push((s.at + t - s.from, off));
            }
        }
    }
    let got = match vf {
        Some(vf) => marker_offsets_ms_vf(out, vf),
        None => marker_offsets_ms(out),
    };
    assert_eq!(
        got.len(),
        expected.len(),
        "{}: markers {got:?}, expected {expected:?}",
        out.display()
    );
    for ((t, off), (te, offe)) in got.iter().zip(&expected) {
        assert!(
            (t - te).abs() * 1000.0 <= tol_ms,
            "{}: marker at {t:.4} s, expected at {te:.4} s",
            out.display()
        );
        assert!(
            (off - offe).abs() <= sync_ms,
            "{}: marker at {t:.4} s is {off:.2} ms off, {offe:.2} ms in its source",
            out.display()
        );
    }
}

fn stream<'a>(probe: &'a Value, kind: &str) -> &'a Value {
    probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} stream"))
}

fn num(v: &Value) -> f64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .or(v.as_f64())
        .unwrap()
}

/// Output video, audio and container durations all equal `secs` within one frame.
fn assert_duration(out: &Path, secs: f64, fps: f64) {
    let p = ffprobe(out);
    for (what, d) in [
        ("video", num(&stream(&p, "video")["duration"])),
        ("audio", num(&stream(&p, "audio")["duration"])),
        ("container", num(&p["format"]["duration"])),
    ] {
        assert!(
            (d - secs).abs() <= 1.0 / fps + 1e-6,
            "{}: {what} lasts {d} s, expected {secs} s",
            out.display()
        );
    }
}

fn hashes(path: &Path) -> Vec<Value> {
    ffprobe_packets(path, "v:0")
        .iter()
        .map(|p| p["data_hash"].clone())
        .collect()
}

/// Run concat with `args` and its `--json` summary; panics with stderr on failure.
fn concat_json(args: &[&str]) -> Value {
    let mut all = vec!["concat", "--json"];
    all.extend_from_slice(args);
    cutroom_json(&all)
}

#[test]
fn thirteen_clips_copy_bit_exact_with_every_marker_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    // Audio 30-40 ms shorter or longer than the video in half of them, varied lengths.
    let specs = [
        portrait(4.0, 4.0),
        portrait(4.0, 3.96),
        portrait(4.0, 4.035),
        portrait(3.0, 2.97),
        portrait(4.0, 4.04),
        portrait(2.5, 2.5),
        portrait(4.0, 3.965),
        portrait(4.0, 4.03),
        portrait(3.0, 3.0),
        portrait(4.0, 3.97),
        portrait(4.0, 4.0),
        portrait(2.5, 2.535),
        portrait(4.0, 3.96),
    ];
    let clips = make_clips(dir.path(), &specs);
    let out = dir.path().join("joined.mp4");
    let mut args: Vec<&str> = clips.iter().map(|p| s(p)).collect();
    args.extend(["-o", s(&out)]);
    let j = concat_json(&args);
    assert_eq!(j["path"], "copy", "{j}");
    let total: f64 = specs.iter().map(|c| c.secs).sum();
    assert_eq!(j["duration_s"].as_f64().unwrap(), total);
    assert_eq!(j["samples"], (total * 48000.0).round() as i64);
    // The shots' level kept: nothing measured, nothing said of it.
    assert!(j["audio"]["loudness"].is_null(), "{j}");
    let mut at = 0.0;
    let mut expect = Vec::new();
    for (c, p) in specs.iter().zip(&clips) {
        expect.push(Expect {
            src: p,
            from: 0.0,
            to: c.secs,
            at,
        });
        at += c.secs;
    }
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, total, 30.0);
    let source: Vec<Value> = clips.iter().flat_map(|c| hashes(c)).collect();
    assert_eq!(
        hashes(&out),
        source,
        "copied video packets must be bit-identical"
    );
    let ours = cutroom_json(&["probe", "--json", s(&out)]);
    assert_eq!(ours["files"][0]["faststart"], true);
    assert_eq!(ours["files"][0]["edit_lists"], false);
    // The shots' places add up in ticks and samples with no gap or overlap.
    let shots = j["shots"].as_array().unwrap();
    assert_eq!(shots.len(), 13);
    for w in shots.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert_eq!(
            a["start_ticks"].as_i64().unwrap() + a["duration_ticks"].as_i64().unwrap(),
            b["start_ticks"].as_i64().unwrap()
        );
        assert_eq!(
            a["start_sample"].as_i64().unwrap() + a["samples"].as_i64().unwrap(),
            b["start_sample"].as_i64().unwrap()
        );
    }
}

#[test]
fn normalised_join_of_uneven_audio_keeps_markers_to_the_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        portrait(3.0, 3.04),
        portrait(3.0, 2.96),
        portrait(2.5, 2.535),
        portrait(3.0, 2.965),
    ];
    let clips = make_clips(dir.path(), &specs);
    let out = dir.path().join("n.mp4");
    let mut args: Vec<&str> = clips.iter().map(|p| s(p)).collect();
    args.extend(["--normalise", "-o", s(&out)]);
    let j = concat_json(&args);
    assert_eq!(j["path"], "normalise");
    assert_eq!(j["reasons"][0], "--normalise was given");
    let mut at = 0.0;
    let expect: Vec<Expect> = specs
        .iter()
        .zip(&clips)
        .map(|(c, p)| {
            at += c.secs;
            Expect {
                src: p,
                from: 0.0,
                to: c.secs,
                at: at - c.secs,
            }
        })
        .collect();
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 11.5, 30.0);
}

#[test]
fn fixtures_with_mono_44k_short_and_missing_audio_join_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "marker_portrait_30.mp4",
        "mono_44k.mp4",
        "no_audio.mp4",
        "short_audio.mp4",
    ];
    let clips: Vec<PathBuf> = names.iter().map(|n| fixture(n)).collect();
    let out = dir.path().join("fixtures.mp4");
    let mut args: Vec<&str> = clips.iter().map(|p| s(p)).collect();
    args.extend(["-o", s(&out)]);
    let j = concat_json(&args);
    assert_eq!(j["path"], "copy", "{j}");
    let audio: Vec<&str> = j["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["audio"].as_str().unwrap())
        .collect();
    assert_eq!(audio, ["source", "source", "silence", "source"]);
    // What the join did to each shot's sound: only mono_44k's is changed.
    let changed: Vec<&Value> = j["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["audio_changed"])
        .collect();
    let mono = "its sound, mono (1 ch) at 44100 Hz, is put on both channels at -3 dB each and \
                resampled to 48000 Hz";
    assert_eq!(
        changed,
        [&Value::Null, &mono.into(), &Value::Null, &Value::Null]
    );
    let from = &j["shots"][1]["source_audio"];
    assert_eq!(
        (&from["sample_rate"], &from["channels"]),
        (&44100.into(), &1.into())
    );
    let expect: Vec<Expect> = clips
        .iter()
        .enumerate()
        .map(|(i, p)| Expect {
            src: p,
            from: 0.0,
            to: 6.0,
            at: 6.0 * i as f64,
        })
        .collect();
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 24.0, 30.0);
    let pcm = audio_samples(&out);
    assert!(
        rms(&pcm, 12.0, 18.0) < 1e-4,
        "the shot without audio is silent"
    );
}

/// A clip on a phone's 600 Hz clock with B-frames, which FFmpeg reads with every frame lasting
/// 1 tick: its last frame was taken to end 1/600 s after it starts, so each such shot lost a
/// frame's length (two 6 s shots joined to 11.935 s, the second 32 ms early) and `swap` cut its
/// sound 32 ms short. A frame is now at least half a frame long: the join lasts 12 s with every
/// marker in place, and so does the copied picture of `swap`.
#[test]
fn a_clip_on_a_phones_600_hz_clock_keeps_its_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let phone = dir.path().join("phone.mp4");
    let m = fixture("marker_portrait_30.mp4");
    ff(&[
        "-i",
        s(&m),
        "-c",
        "copy",
        "-video_track_timescale",
        "600",
        s(&phone),
    ]);
    let out = dir.path().join("cut.mp4");
    let j = concat_json(&[s(&phone), s(&phone), "-o", s(&out)]);
    assert_eq!(
        (&j["path"], &j["duration_s"]),
        (&"copy".into(), &12.0.into())
    );
    assert_whole_markers(&out, &[&phone, &phone]);
    assert_duration(&out, 12.0, 600.0);
    let swapped = dir.path().join("swapped.mp4");
    let run = cutroom_ok(&["swap", "-q", s(&phone), "--audio", s(&m), "-o", s(&swapped)]);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        said.starts_with(&format!("{}: 6.000 s", swapped.display())),
        "{said}"
    );
    assert_duration(&swapped, 6.0, 600.0);
}

/// A picture starting one frame in (an empty edit, th_retalk1's: `-itsoffset`) without
/// B-frames: FFmpeg's MP4 reader ends its last frame at the track's length counted from 0, 5
/// ticks after it starts, so `concat` and `swap` made this 2 s picture 1.967 s long (th_retalk1
/// 6.067 s) where `probe` and `export` read 2.000 s. One length now, the last frame written whole.
#[test]
fn a_picture_starting_one_frame_in_has_one_length_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let late = dir.path().join("late.mp4");
    ff(&[
        "-itsoffset",
        "0.033333",
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=64x64:r=30:d=2",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-fps_mode",
        "passthrough",
        s(&late),
    ]);
    let probed = cutroom_json(&["probe", "--json", s(&late)]);
    let v = &probed["files"][0]["streams"][0];
    let near = |a: f64, b: f64| (a - b).abs() < 1e-3;
    assert!(near(num(&v["start_time_s"]), 0.033), "{v}");
    assert!(near(num(&v["duration_s"]), 2.0), "{v}");
    let export_ns = cutroom::export::video_length_ns(&late).unwrap();
    assert_eq!(export_ns, 2_000_000_000);
    let video_s = |out: &Path| num(&stream(&ffprobe(out), "video")["duration"]);
    let cut = dir.path().join("cut.mp4");
    let j = concat_json(&[s(&late), "-o", s(&cut)]);
    assert_eq!((num(&j["duration_s"]), video_s(&cut)), (2.0, 2.0));
    let swapped = dir.path().join("swapped.mp4");
    let m = fixture("music.wav");
    let run = cutroom_ok(&[
        "swap",
        "-q",
        "--json",
        s(&late),
        "--audio",
        s(&m),
        "-o",
        s(&swapped),
    ]);
    let said: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!((num(&said["duration_s"]), video_s(&swapped)), (2.0, 2.0));
}

#[test]
fn a_variable_frame_rate_shot_is_normalised_to_its_base_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (vfr, cfr) = (fixture("vfr.mp4"), fixture("marker_portrait_30.mp4"));
    let out = dir.path().join("vfr.mp4");
    let j = concat_json(&[s(&vfr), s(&cfr), "--normalise", "-o", s(&out)]);
    assert_eq!(j["video"]["frame_rate"], "30/1");
    let expect = [
        Expect {
            src: &vfr,
            from: 0.0,
            to: 6.0,
            at: 0.0,
        },
        Expect {
            src: &cfr,
            from: 0.0,
            to: 6.0,
            at: 6.0,
        },
    ];
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 12.0, 30.0);
    assert_eq!(stream(&ffprobe(&out), "video")["nb_frames"], "360");
}

#[test]
fn mixed_sizes_and_rates_make_one_valid_output() {
    let dir = tempfile::tempdir().unwrap();
    let specs = [
        ClipSpec {
            w: 720,
            h: 1280,
            fps: 30,
            secs: 3.0,
            audio_secs: 3.0,
        },
        ClipSpec {
            w: 1080,
            h: 1920,
            fps: 24,
            secs: 3.0,
            audio_secs: 3.04,
        },
        ClipSpec {
            w: 1280,
            h: 720,
            fps: 30,
            secs: 2.5,
            audio_secs: 2.465,
        },
    ];
    let clips = make_clips(dir.path(), &specs);
    let out = dir.path().join("mixed.mp4");
    // The first shot's frame (the default is the largest clip's, 1080x1920 at 24 fps: the
    // smaller frame keeps the test's encode short).
    let (a, b, c) = (s(&clips[0]), s(&clips[1]), s(&clips[2]));
    let j = concat_json(&[a, b, c, "-o", s(&out), "--size", "720x1280", "--fps", "30"]);
    assert_eq!(j["path"], "normalise");
    let reasons = j["reasons"].to_string();
    assert!(reasons.contains("size 1080x1920") && reasons.contains("frame rate 24/1"));
    let p = ffprobe(&out);
    let v = stream(&p, "video");
    assert_eq!(
        (&v["codec_name"], &v["width"], &v["height"]),
        (&"h264".into(), &720.into(), &1280.into())
    );
    assert_eq!(
        (&v["pix_fmt"], &v["r_frame_rate"]),
        (&"yuv420p".into(), &"30/1".into())
    );
    let a = stream(&p, "audio");
    assert_eq!(
        (&a["codec_name"], &a["sample_rate"], &a["channels"]),
        (&"aac".into(), &"48000".into(), &2.into())
    );
    assert!(decodes_cleanly(&out));
    assert_duration(&out, 8.5, 30.0);
    // The landscape shot is letterboxed: look for flashes in the middle band only.
    let expect = [
        Expect {
            src: &clips[0],
            from: 0.0,
            to: 3.0,
            at: 0.0,
        },
        Expect {
            src: &clips[1],
            from: 0.0,
            to: 3.0,
            at: 3.0,
        },
        Expect {
            src: &clips[2],
            from: 0.0,
            to: 2.5,
            at: 6.0,
        },
    ];
    let half_frame = 1000.0 / 60.0;
    assert_markers(&out, &expect, Some("crop=iw:ih/4"), half_frame, half_frame);
}

#[test]
fn an_anamorphic_shot_is_joined_in_display_shape() {
    // Shot 2 is 480x360 stored with 4:3-wide pixels: 640x360 on screen, like shot 1. Its white
    // box is 90x120 stored, a 120x120 square on screen.
    let dir = tempfile::tempdir().unwrap();
    let clip = |name: &str, picture: &str| {
        let path = dir.path().join(name);
        lavfi_clip(
            &path,
            picture,
            Some("anullsrc=r=48000:cl=stereo"),
            &["-t", "1", "-shortest"],
        );
        path
    };
    let plain = clip("plain.mp4", "color=c=0x3060C0:s=640x360:r=30:d=1");
    let hdv = clip(
        "anamorphic.mp4",
        "color=c=0x3060C0:s=480x360:r=30:d=1,\
         drawbox=x=195:y=120:w=90:h=120:c=white:t=fill,setsar=4/3",
    );
    let out = dir.path().join("joined.mp4");
    let j = concat_json(&[s(&plain), s(&hdv), "-o", s(&out)]);
    assert_eq!(j["path"], "normalise");
    assert!(
        j["reasons"].to_string().contains("pixel shape 4/3"),
        "{}",
        j["reasons"]
    );
    let v = stream(&ffprobe(&out), "video").clone();
    assert_eq!((&v["width"], &v["height"]), (&640.into(), &360.into()));
    let f = frame_at(&out, 1.5, &dir.path().join("shot2.png"));
    let (x0, y0, x1, y1) = f.bbox(|p| p.iter().all(|&c| c > 200)).expect("the box");
    let (w, h) = (f64::from(x1 - x0), f64::from(y1 - y0));
    assert!(
        (w - 120.0).abs() <= 3.0 && (h - 120.0).abs() <= 3.0,
        "box {w}x{h}, expected a 120x120 square"
    );
    // Full width: no pillarbox bars at the sides.
    assert!(f.mean(0, 100, 8, 260)[2] > 150.0 && f.mean(632, 100, 640, 260)[2] > 150.0);
}

#[test]
fn trims_land_on_the_right_frames_in_both_paths() {
    let dir = tempfile::tempdir().unwrap();
    let clips = make_clips(dir.path(), &[portrait(6.0, 6.0), portrait(6.0, 5.96)]);
    let (x, y) = (&clips[0], &clips[1]);
    // On keyframes (one a second): copied.
    let spec = dir.path().join("keys.toml");
    std::fs::write(
        &spec,
        "[[shot]]\nsrc = \"clip0.mp4\"\nin = 2\nout = \"00:00:04.000\"\n\n\
         [[shot]]\nsrc = \"clip1.mp4\"\nin = \"30f\"\n",
    )
    .unwrap();
    let out = dir.path().join("keys.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["path"], "copy", "{j}");
    assert_eq!(
        (
            j["shots"][0]["in_s"].as_f64(),
            j["shots"][0]["out_s"].as_f64()
        ),
        (Some(2.0), Some(4.0))
    );
    assert_eq!(j["shots"][1]["in_ticks"], 15360);
    let expect = [
        Expect {
            src: x,
            from: 2.0,
            to: 4.0,
            at: 0.0,
        },
        Expect {
            src: y,
            from: 1.0,
            to: 6.0,
            at: 2.0,
        },
    ];
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 7.0, 30.0);
    let (hx, hy, ho) = (
        ffprobe_packets(x, "v:0"),
        ffprobe_packets(y, "v:0"),
        hashes(&out),
    );
    let used = |pk: &[Value], a: f64, b: f64| -> Vec<Value> {
        pk.iter()
            .filter(|p| {
                let t = num(&p["pts_time"]);
                t >= a - 1e-6 && t < b - 1e-6
            })
            .map(|p| p["data_hash"].clone())
            .collect()
    };
    let mut want = used(&hx, 2.0, 4.0);
    want.extend(used(&hy, 1.0, 6.0));
    assert_eq!(ho, want, "trimmed copy keeps the packets bit for bit");

    // Off keyframes: normalised, cut at the exact frames.
    let spec = dir.path().join("frames.toml");
    std::fs::write(
        &spec,
        "[[shot]]\nsrc = \"clip0.mp4\"\nin = 0.5\nout = \"00:03.500\"\n\n\
         [[shot]]\nsrc = \"clip1.mp4\"\nin = \"45f\"\nout = 5.5\n",
    )
    .unwrap();
    let out = dir.path().join("frames.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["path"], "normalise");
    assert!(j["reasons"][0]
        .as_str()
        .unwrap()
        .contains("in 0.500 s is not on a keyframe"));
    let expect = [
        Expect {
            src: x,
            from: 0.5,
            to: 3.5,
            at: 0.0,
        },
        Expect {
            src: y,
            from: 1.5,
            to: 5.5,
            at: 3.0,
        },
    ];
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 7.0, 30.0);

    // The same with --snap-keyframes: copied from the keyframes before, with warnings.
    let out = dir.path().join("snapped.mp4");
    let run = cutroom_ok(&[
        "concat",
        "--json",
        "--snap-keyframes",
        "--spec",
        s(&spec),
        "-o",
        s(&out),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("warning") && stderr.contains("keyframe before"),
        "{stderr}"
    );
    let j: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(j["path"], "copy");
    assert_eq!(j["warnings"].as_array().unwrap().len(), 4);
    let got: Vec<(f64, f64)> = j["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["in_s"].as_f64().unwrap(), s["out_s"].as_f64().unwrap()))
        .collect();
    assert_eq!(got, [(0.0, 3.0), (1.0, 5.0)]);
    let expect = [
        Expect {
            src: x,
            from: 0.0,
            to: 3.0,
            at: 0.0,
        },
        Expect {
            src: y,
            from: 1.0,
            to: 5.0,
            at: 3.0,
        },
    ];
    assert_markers(&out, &expect, None, 1.0, 1.0);
    assert_duration(&out, 7.0, 30.0);
}

/// Mean luma of the frame whose timestamp is nearest `t` (showinfo prints rounded times).
fn luma_at(l: &[(f64, f64)], t: f64) -> f64 {
    l.iter()
        .min_by(|a, b| (a.0 - t).abs().total_cmp(&(b.0 - t).abs()))
        .map(|(_, y)| *y)
        .unwrap()
}

#[test]
fn fade_through_black_ramps_picture_and_sound() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
    tone_clip(&a, 320, 240, 30, 2.0, "gray", Some(0.5));
    tone_clip(&b, 320, 240, 30, 2.0, "gray", Some(0.5));
    let spec = dir.path().join("fade.json");
    std::fs::write(
        &spec,
        r#"{"shot": [{"src": "a.mp4", "transition": {"kind": "fade", "duration": 1}},
                     {"src": "b.mp4"}]}"#,
    )
    .unwrap();
    let out = dir.path().join("fade.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["path"], "normalise");
    assert_eq!(j["shots"][0]["transition"], "fade");
    assert_eq!(j["shots"][0]["transition_s"], 1.0);
    assert_duration(&out, 4.0, 30.0);
    let l = luma_means(&out);
    let grey = luma_at(&l, 1.0);
    assert!(grey > 100.0, "grey is {grey}");
    // Down over the last half second of shot 1, black at the cut, up over shot 2's first half.
    let ramp: Vec<f64> = (45..=60).map(|f| luma_at(&l, f as f64 / 30.0)).collect();
    assert!(
        ramp.windows(2).all(|w| w[1] <= w[0] + 0.5),
        "not fading down: {ramp:?}"
    );
    for t in [59.0 / 30.0, 2.0] {
        assert!(
            luma_at(&l, t) < 17.5,
            "not black at {t}: {}",
            luma_at(&l, t)
        );
    }
    let mid = luma_at(&l, 1.75);
    assert!(
        (mid - (16.0 + grey) / 2.0).abs() < 6.0,
        "half-way down is {mid}, grey {grey}"
    );
    let up = luma_at(&l, 2.25);
    assert!(
        (up - (16.0 + grey) / 2.0).abs() < 6.0,
        "half-way up is {up}"
    );
    assert!((luma_at(&l, 3.0) - grey).abs() < 2.0);
    let pcm = audio_samples(&out);
    let full = rms(&pcm, 1.0, 1.4);
    assert!((full - 0.5 / 2f64.sqrt()).abs() < 0.02, "tone rms {full}");
    assert!(rms(&pcm, 1.98, 2.02) < 0.05 * full, "sound at the dip");
    for (t, what) in [(1.75, "down"), (2.25, "up")] {
        let r = rms(&pcm, t - 0.01, t + 0.01) / full;
        assert!((r - 0.5).abs() < 0.06, "half-way {what}: {r}");
    }
    assert!((rms(&pcm, 2.6, 3.0) / full - 1.0).abs() < 0.03);
}

#[test]
fn crossfade_mixes_picture_and_sound_and_overlaps_the_shots() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("dark.mp4"),
        dir.path().join("bright.mp4"),
        dir.path().join("dark2.mp4"),
    );
    tone_clip(&a, 320, 240, 30, 2.0, "0x303030", Some(0.5));
    tone_clip(&b, 320, 240, 30, 2.0, "0xd0d0d0", None);
    tone_clip(&c, 320, 240, 30, 2.0, "0x303030", Some(0.5));
    let spec = dir.path().join("xf.toml");
    std::fs::write(
        &spec,
        "[[shot]]\nsrc = \"dark.mp4\"\ntransition = { kind = \"crossfade\", duration = \"15f\" }\n\
         [[shot]]\nsrc = \"bright.mp4\"\ntransition = { kind = \"crossfade\", duration = 0.5 }\n\
         [[shot]]\nsrc = \"dark2.mp4\"\n",
    )
    .unwrap();
    let out = dir.path().join("xf.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["shots"][1]["audio"], "silence");
    assert_eq!(j["shots"][1]["start_s"], 1.5);
    assert_eq!(j["shots"][2]["start_s"], 3.0);
    assert_duration(&out, 5.0, 30.0);
    let l = luma_means(&out);
    let (dark, bright) = (luma_at(&l, 0.5), luma_at(&l, 2.25));
    assert!(bright - dark > 100.0, "{dark} {bright}");
    // Overlap 1.5-2.0 s: a rising mix, half and half in the middle.
    let mix: Vec<f64> = (45..60).map(|f| luma_at(&l, f as f64 / 30.0)).collect();
    assert!(mix.windows(2).all(|w| w[1] >= w[0] - 0.5), "{mix:?}");
    assert!(
        mix[0] > dark + 2.0 && *mix.last().unwrap() < bright - 2.0,
        "{mix:?}"
    );
    let mid = luma_at(&l, 1.75 - 1.0 / 60.0);
    assert!((mid - (dark + bright) / 2.0).abs() < 6.0, "mid {mid}");
    let pcm = audio_samples(&out);
    let full = rms(&pcm, 0.5, 1.0);
    assert!(full > 0.3, "{full}");
    let level = |t: f64| rms(&pcm, t - 0.01, t + 0.01) / full;
    assert!((level(1.625) - 0.75).abs() < 0.06, "{}", level(1.625));
    assert!((level(1.75) - 0.5).abs() < 0.06, "{}", level(1.75));
    assert!((level(1.875) - 0.25).abs() < 0.06, "{}", level(1.875));
    assert!(level(2.5) < 0.01, "the silent shot is silent");
    assert!((level(3.25) - 0.5).abs() < 0.06, "{}", level(3.25));
    assert!((level(4.0) - 1.0).abs() < 0.03);
}

#[test]
fn shots_without_audio_still_get_a_silent_track() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("silent.mp4");
    let na = fixture("no_audio.mp4");
    let j = concat_json(&[s(&na), s(&na), "-o", s(&out)]);
    assert_eq!(j["path"], "copy");
    assert_eq!(j["shots"][0]["audio"], "silence");
    assert_duration(&out, 12.0, 30.0);
    let pcm = audio_samples(&out);
    assert!(pcm.len() >= 12 * 48000 - 1024);
    assert!(pcm.iter().all(|v| v.abs() < 1e-3));
}

/// Run concat expecting failure; returns stderr. Asserts exit 1 and no file at `out`.
fn fails(args: &[&str], out: &Path) -> String {
    let mut all = vec!["concat"];
    all.extend_from_slice(args);
    let r = cutroom(&all);
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(1), "{args:?}: {err}");
    assert!(!out.exists(), "{args:?} left {}", out.display());
    if let Some(dir) = out.parent() {
        let left: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.iter().all(|n| !n.to_string_lossy().starts_with('.')),
            "temp files left: {left:?}"
        );
    }
    err
}

/// A list's bad shots are each named with the list and the shot's number, counted from 1.
#[test]
fn a_spec_error_names_the_list_and_the_shot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let good = fixture("marker_portrait_30.mp4");
    let missing = dir.path().join("missing.mp4");
    let spec = dir.path().join("list.toml");
    std::fs::write(
        &spec,
        format!(
            "[[shot]]\nsrc = {good:?}\n[[shot]]\nsrc = {missing:?}\n[[shot]]\nsrc = {good:?}\nin = 7\n"
        ),
    )
    .unwrap();
    let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
    let (spec, good, missing) = (spec.display(), good.display(), missing.display());
    assert_eq!(
        err,
        format!(
            "cutroom: error: 2 inputs are unusable:\n  {spec}: shot 2: {missing}: no such file\n  \
             {spec}: shot 3: {good}: in 7.000 s is at or past the end of the shot (6.000 s)\n"
        )
    );
}

#[test]
fn bad_inputs_fail_with_one_clear_error_and_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.mp4");
    let good = fixture("marker_portrait_30.mp4");
    let missing = d.join("missing.mp4");
    // Every bad shot is reported at once.
    let err = fails(
        &[
            s(&good),
            s(&missing),
            s(&fixture("not_media.mp4")),
            s(&fixture("truncated.mp4")),
            "-o",
            s(&out),
        ],
        &out,
    );
    assert!(err.contains("3 inputs are unusable"), "{err}");
    assert!(err.contains("missing.mp4: no such file"), "{err}");
    assert!(err.contains("not_media.mp4"), "{err}");
    assert!(
        err.contains("truncated.mp4") && err.contains("no moov"),
        "{err}"
    );
    // A shot without video.
    let wav = fixture("music.wav");
    let err = fails(&[s(&good), s(&wav), "-o", s(&out)], &out);
    assert!(err.contains("music.wav: no video stream"), "{err}");
    // Trims outside the shot, or out <= in.
    for (body, want) in [
        (
            "in = 7",
            "in 7.000 s is at or past the end of the shot (6.000 s)",
        ),
        (
            "in = 5.99",
            "in 5.990 s is within half a frame of the end of the shot (6.000 s): it lands on the \
             end, and nothing of the shot would be left",
        ),
        ("out = 6.5", "out 6.500 s is past the end of the shot"),
        ("in = 2\nout = 1.5", "out 1.500 s is not after in 2.000 s"),
        (
            "out = \"200f\"",
            "out frame 200 is outside the shot (180 frames)",
        ),
        (
            "transition = { kind = \"crossfade\", duration = 7 }",
            "too short for its transitions",
        ),
    ] {
        let spec = d.join("bad.toml");
        std::fs::write(
            &spec,
            format!(
                "[[shot]]\nsrc = \"{}\"\n{body}\n[[shot]]\nsrc = \"{}\"\n",
                good.display(),
                good.display()
            ),
        )
        .unwrap();
        let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
        assert!(err.contains(want), "{body}: {err}");
        let shot = format!("{}: shot 1: {}: ", spec.display(), good.display());
        assert!(err.contains(&shot), "{err}");
    }
    // Unknown keys name the key, the spec file and the line.
    let spec = d.join("typo.toml");
    std::fs::write(
        &spec,
        format!("[[shot]]\nsrc = \"{}\"\nout_point = 2\n", good.display()),
    )
    .unwrap();
    let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
    assert!(
        err.contains("typo.toml:3:1: shot 1: out_point: unknown field `out_point`"),
        "{err}"
    );
    // The output is one of the inputs: refused, and the input is untouched.
    let copy = d.join("in.mp4");
    std::fs::copy(&good, &copy).unwrap();
    let before = std::fs::read(&copy).unwrap();
    let r = cutroom(&["concat", s(&good), s(&copy), "-o", s(&copy)]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("output path is also an input"));
    assert_eq!(std::fs::read(&copy).unwrap(), before);
    // An output directory that does not exist.
    let nowhere = d.join("no/such/dir/out.mp4");
    let err = fails(&[s(&good), s(&good), "-o", s(&nowhere)], &nowhere);
    assert!(err.contains("output directory does not exist"), "{err}");
}

#[test]
fn explain_prints_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("e.mp4");
    let good = fixture("marker_portrait_30.mp4");
    let land = fixture("marker_landscape_25.mp4");
    let r = cutroom_ok(&["concat", "--explain", s(&good), s(&land), "-o", s(&out)]);
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.starts_with("path: normalise"), "{text}");
    assert!(
        text.contains("frame rate 25/1, not 30/1 like shot 1"),
        "{text}"
    );
    assert!(text.contains("at 6.000 s for 6.000 s"), "{text}");
    assert!(out.exists());
}

#[test]
fn the_summary_line_counts_one_shot_as_one_shot() {
    let dir = tempfile::tempdir().unwrap();
    let good = fixture("marker_portrait_30.mp4");
    for (files, want) in [(1, "1 shot, 6.000 s,"), (2, "2 shots, 12.000 s,")] {
        let out = dir.path().join(format!("{files}.mp4"));
        let mut args = vec!["concat", "-q"];
        args.extend(std::iter::repeat_n(s(&good), files));
        args.extend(["-o", s(&out)]);
        let r = cutroom_ok(&args);
        let line = String::from_utf8_lossy(&r.stdout);
        assert!(line.contains(&format!(": {want}")), "{line}");
    }
}

/// 24 shots under a limit of 16 open files (`ulimit -n 16`; macOS allows 256 by default) are
/// joined: each file kept open for the video pass failed the join from `shot 11: ...: cannot
/// open as media: Too many open files`.
#[test]
fn many_shots_join_under_a_low_open_file_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("many.mp4");
    let clip = fixture("marker_portrait_30.mp4");
    let run = succeeded(
        std::process::Command::new("sh")
            .args(["-c", "ulimit -n 16 && exec \"$@\"", "sh"])
            .arg(env!("CARGO_BIN_EXE_cutroom"))
            .args(["concat", "-q"])
            .args(std::iter::repeat_n(&clip, 24))
            .arg("-o")
            .arg(&out),
    );
    let line = String::from_utf8_lossy(&run.stdout);
    assert!(line.contains(": 24 shots, 144.000 s,"), "{line}");
    assert_duration(&out, 144.0, 30.0);
}

/// Two 6 s 360x640 30 fps marker clips (the second with 5.96 s of sound) and their edit spec.
fn two_marker_shots() -> ([PathBuf; 2], cutroom::timeline::EditSpec) {
    let clips = [
        fixture("marker_portrait_30.mp4"),
        fixture("short_audio.mp4"),
    ];
    let spec = cutroom::timeline::EditSpec::from_files(&clips);
    (clips, spec)
}

#[test]
fn many_shots_reopen_their_files_for_the_video_pass() {
    use cutroom::concat::{execute, prepare, Options};
    let dir = tempfile::tempdir().unwrap();
    let (clips, spec) = two_marker_shots();
    let bar = cutroom::progress::Silent;
    for normalise in [false, true] {
        let opts = Options {
            keep_open: 0,
            normalise,
            ..Options::default()
        };
        let out = dir.path().join(format!("reopened_{normalise}.mp4"));
        let prepared = prepare(&spec, &opts, &bar).unwrap();
        execute(prepared, &opts, &out, &bar).unwrap();
        let expect = [
            Expect {
                src: &clips[0],
                from: 0.0,
                to: 6.0,
                at: 0.0,
            },
            Expect {
                src: &clips[1],
                from: 0.0,
                to: 6.0,
                at: 6.0,
            },
        ];
        assert_markers(&out, &expect, None, 1.0, 1.0);
        assert_duration(&out, 12.0, 30.0);
    }
}

#[test]
fn for_an_export_the_normalise_path_hands_over_frames_and_writes_no_master() {
    use cutroom::concat::{execute_for_export, prepare, Options, Picture};
    let dir = tempfile::tempdir().unwrap();
    let (_, spec) = two_marker_shots();
    let bar = cutroom::progress::Silent;
    for normalise in [true, false] {
        let opts = Options {
            normalise,
            ..Options::default()
        };
        let master = dir.path().join(format!("master_{normalise}.mp4"));
        let prepared = prepare(&spec, &opts, &bar).unwrap();
        let (sound, picture) = execute_for_export(prepared, &opts, &master, &bar).unwrap();
        // 12 s: 6 s of each shot, the second's 5.96 s of sound padded to its picture.
        assert_eq!(sound.frames(), 12 * 48_000);
        match picture {
            Picture::Frames(frames) => {
                assert!(normalise);
                assert!(
                    !master.exists(),
                    "a normalised join for an export writes no master"
                );
                assert_eq!(frames.frame_rate().to_string(), "30/1");
                assert_eq!(frames.duration().0, 360);
                let mut pts = Vec::new();
                let mut lumas = Vec::new();
                frames
                    .run(&bar, |f| {
                        assert_eq!((f.width(), f.height()), (360, 640));
                        pts.push(f.pts().unwrap());
                        let y = f.plane(0);
                        lumas.push(y.iter().map(|&v| u64::from(v)).sum::<u64>() / y.len() as u64);
                        Ok(())
                    })
                    .unwrap();
                assert_eq!(
                    pts,
                    (0..360).collect::<Vec<i64>>(),
                    "one frame per tick, in order"
                );
                // The marker clips flash white: the frames are the shots' pictures.
                assert!(lumas.iter().any(|&l| l > 200) && lumas.iter().any(|&l| l < 100));
            }
            Picture::File(path) => {
                assert!(!normalise);
                assert_eq!(path, master);
                let v = stream(&ffprobe(&master), "video").clone();
                assert_eq!(v["nb_frames"], "360");
                let streams = ffprobe(&master)["streams"].clone();
                let kinds: Vec<&Value> = streams
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| &s["codec_type"])
                    .collect();
                assert_eq!(kinds, ["video"], "picture only");
            }
        }
    }
}

#[test]
fn loudness_option_normalises_the_joined_soundtrack() {
    let dir = tempfile::tempdir().unwrap();
    let music = dir.path().join("music.mp4");
    music_clip(&music, 320, 240);
    let out = dir.path().join("joined.mp4");
    let m = music.to_str().unwrap();
    let run = cutroom_ok(&[
        "concat",
        m,
        m,
        m,
        "--loudness",
        "-14",
        "-o",
        out.to_str().unwrap(),
    ]);
    let e = ebur128(&out);
    assert!((e.integrated + 14.0).abs() <= 0.5, "{} LUFS", e.integrated);
    assert!(e.true_peak <= -1.0, "true peak {} dBTP", e.true_peak);
    // The level reached is said, as measured on the output (it said nothing of it).
    let text = String::from_utf8_lossy(&run.stdout);
    let said = text
        .lines()
        .find_map(|l| l.strip_prefix("  loudness "))
        .and_then(|l| l.split_once(" LUFS, true peak "))
        .and_then(|(l, p)| {
            Some((
                l.parse::<f64>().ok()?,
                p.strip_suffix(" dBTP")?.parse::<f64>().ok()?,
            ))
        })
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        (said.0 - e.integrated).abs() <= 0.15,
        "{text}: ffmpeg reads {e:?}"
    );
    assert!(
        (said.1 - e.true_peak).abs() <= 0.25,
        "{text}: ffmpeg reads {e:?}"
    );
    let bad = cutroom(&["concat", m, "--loudness", "5", "-o", out.to_str().unwrap()]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "out-of-range loudness is a usage error"
    );
}

#[test]
fn an_hdr_shot_is_tone_mapped_when_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let sdr = dir.path().join("sdr.mp4");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=640x360:r=30:d=1",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-color_primaries",
        "bt709",
        "-color_trc",
        "bt709",
        "-colorspace",
        "bt709",
        s(&sdr),
    ]);
    // The same picture as 10-bit HLG BT.2020 HEVC.
    let hlg = dir.path().join("hlg.mp4");
    hdr_clip(&sdr, &hlg, "arib-std-b67");
    let out = dir.path().join("out.mp4");
    let r = concat_json(&[s(&hlg), s(&sdr), "-o", s(&out)]);
    assert_eq!(r["path"], "normalise", "{r}");
    let v = stream(&ffprobe(&out), "video").clone();
    for key in ["color_primaries", "color_transfer", "color_space"] {
        assert_eq!(v[key], "bt709", "{key}: {v}");
    }
    assert_eq!(v["color_range"], "tv", "{v}");
    // The HLG shot looks like the SDR one: tone-mapped, neither washed out nor crushed.
    let l = luma_means(&out);
    let mean = |a: f64, b: f64| {
        let y: Vec<f64> = l
            .iter()
            .filter(|(t, _)| *t >= a && *t < b)
            .map(|(_, y)| *y)
            .collect();
        y.iter().sum::<f64>() / y.len() as f64
    };
    let (hdr_part, sdr_part) = (mean(0.0, 1.0), mean(1.0, 2.0));
    assert!(
        (hdr_part - sdr_part).abs() < 0.15 * sdr_part,
        "HLG shot {hdr_part:.1}, SDR shot {sdr_part:.1}"
    );
    // Copied, HEVC keeps the `hvc1` sample entry Apple's players need (the muxer's default,
    // `hev1`, which they refuse, was written), and `hev1` stays `hev1`.
    for tag in ["hvc1", "hev1"] {
        let tagged = dir.path().join(format!("{tag}.mp4"));
        ff(&["-i", s(&hlg), "-c", "copy", "-tag:v", tag, s(&tagged)]);
        let r = concat_json(&[s(&tagged), s(&tagged), "-o", s(&out)]);
        assert_eq!(r["path"], "copy", "{r}");
        assert_eq!(stream(&ffprobe(&out), "video")["codec_tag_string"], tag);
    }
}

/// The copy path keeps the shots' display matrix, and says the size it is shown at (it said
/// only the stored 360x640 of a picture shown 640x360); shots of different rotation are
/// normalised, each turned upright.
#[test]
fn rotation_is_kept_by_the_copy_and_applied_by_the_normalise_path() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.mp4");
    lavfi_clip(
        &plain,
        "color=c=0x3060C0:s=360x640:r=30:d=1,drawbox=x=20:y=20:w=80:h=120:c=white:t=fill",
        Some("anullsrc=r=48000:cl=stereo"),
        &["-t", "1", "-shortest"],
    );
    let rotated = dir.path().join("rotated.mp4");
    ff(&[
        "-i",
        s(&plain),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        s(&rotated),
    ]);
    let shown = frame_at(&rotated, 0.5, &dir.path().join("rotated.png"));
    assert_eq!((shown.width, shown.height), (640, 360));
    let white = |p: [u8; 3]| p.iter().all(|&c| c > 200);
    let (bx0, by0, bx1, by1) = shown.bbox(white).unwrap();

    let out = dir.path().join("copy.mp4");
    let j = concat_json(&[s(&rotated), s(&rotated), "-o", s(&out)]);
    assert_eq!(j["path"], "copy", "{j}");
    let v = &j["video"];
    let sizes = [
        &v["width"],
        &v["height"],
        &v["shown_width"],
        &v["shown_height"],
    ];
    assert_eq!(sizes, [360, 640, 640, 360], "{v}");
    let said = cutroom_ok(&["concat", s(&rotated), s(&rotated), "-o", s(&out)]).stdout;
    assert!(String::from_utf8_lossy(&said).contains("(h264 360x640 shown 640x360 30/1 fps)"));
    let f = frame_at(&out, 1.5, &dir.path().join("copy.png"));
    assert_eq!((f.width, f.height), (640, 360), "the copy plays sideways");
    assert_eq!(f.bbox(white), Some((bx0, by0, bx1, by1)));

    let out = dir.path().join("mixed.mp4");
    let j = concat_json(&[s(&plain), s(&rotated), "-o", s(&out)]);
    assert_eq!(j["path"], "normalise", "{j}");
    assert_eq!(
        (&j["video"]["shown_width"], &j["video"]["shown_height"]),
        (&360.into(), &640.into())
    );
    assert!(
        j["reasons"].to_string().contains("rotation"),
        "{}",
        j["reasons"]
    );
    // Shot 2 upright inside shot 1's 360x640: 360x202 in the middle, its box where it shows.
    let f = frame_at(&out, 1.5, &dir.path().join("mixed.png"));
    assert_eq!((f.width, f.height), (360, 640));
    let (x0, y0, x1, y1) = f.bbox(white).expect("the box");
    let scale = 360.0 / 640.0;
    let top = (640.0 - 360.0 * scale) / 2.0;
    let near = |a: u32, b: f64| (f64::from(a) - b).abs() <= 4.0;
    assert!(
        near(x0, f64::from(bx0) * scale)
            && near(x1, f64::from(bx1) * scale)
            && near(y0, top + f64::from(by0) * scale)
            && near(y1, top + f64::from(by1) * scale),
        "box at {:?}, shown at {:?} in the rotated clip",
        (x0, y0, x1, y1),
        (bx0, by0, bx1, by1)
    );
}

/// The colour of `video`'s picture around `(x, y)` at `secs` (a 9x9 mean, rounded).
fn colour_at(video: &Path, secs: f64, x: u32, y: u32) -> [f64; 3] {
    let png = video.with_extension(format!("{secs}.png"));
    frame_at(video, secs, &png).mean(x - 4, y - 4, x + 5, y + 5)
}

fn assert_colour(video: &Path, secs: f64, (x, y): (u32, u32), want: [u8; 3]) {
    let got = colour_at(video, secs, x, y);
    assert!(
        got.iter()
            .zip(want)
            .all(|(g, w)| (g - f64::from(w)).abs() <= 4.0),
        "{} at {secs} s, ({x}, {y}): colour {got:?}, expected {want:?}",
        video.display()
    );
}

#[test]
fn colour_text_and_image_cards_join_clips_with_the_same_transitions_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = make_clips(d, &[portrait(4.0, 4.0)]).remove(0);
    // A 200x100 still, padded into the 360x640 frame.
    let image = d.join("end.png");
    still(&image, "color=c=0x2050a0:s=200x100");
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            r##"
[[shot]]
color = "#603010"
duration = 1
transition = {{ kind = "crossfade", duration = 0.5 }}

[[shot]]
src = "{}"

[[shot]]
text = "The End"
color = "#101010"
style = {{ size = 0.1, color = "#ffff00" }}
duration = "1s"
transition = {{ kind = "fade", duration = "12f" }}

[[shot]]
image = "end.png"
duration = "30f"
"##,
            s(&clip)
        ),
    )
    .unwrap();
    let out = d.join("out.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["path"], "normalise");
    // The cut keeps the clip's size and rate (not a still's 25 fps).
    assert_eq!(
        (
            &j["video"]["width"],
            &j["video"]["height"],
            &j["video"]["frame_rate"]
        ),
        (&360.into(), &640.into(), &"30/1".into())
    );
    let starts: Vec<f64> = j["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["start_s"].as_f64().unwrap())
        .collect();
    assert_eq!(starts, [0.0, 0.5, 4.5, 5.5]);
    assert_eq!(j["shots"][0]["src"], "color card #603010");
    assert_eq!(j["shots"][0]["audio"], "silence");
    assert_duration(&out, 6.5, 30.0);
    // The colour card has its colour; the text card its background and yellow letters; the
    // still its colour, centred on black.
    assert_colour(&out, 0.2, (180, 320), [0x60, 0x30, 0x10]);
    assert_colour(&out, 4.9, (20, 20), [0x10, 0x10, 0x10]);
    let text = frame_at(&out, 5.0, &d.join("text.png"));
    let letters = text
        .bbox(|[r, g, b]| r > 200 && g > 200 && b < 80)
        .expect("yellow letters on the text card");
    let (cx, cy) = ((letters.0 + letters.2) / 2, (letters.1 + letters.3) / 2);
    assert!(
        cx.abs_diff(180) <= 8 && cy.abs_diff(320) <= 8 && letters.0 > 10 && letters.2 < 350,
        "text box {letters:?} is not centred inside the frame"
    );
    assert_colour(&out, 6.2, (180, 320), [0x20, 0x50, 0xa0]);
    assert_colour(&out, 6.2, (180, 100), [0, 0, 0]);
    // The clip's every flash and beep lands where the timeline puts it, in sync; the cards
    // are silent and flash nothing.
    assert_markers(
        &out,
        &[Expect {
            src: &clip,
            from: 0.0,
            to: 4.0,
            at: 0.5,
        }],
        None,
        1.0,
        1.0,
    );
}

#[test]
fn a_still_image_without_a_duration_is_an_error_that_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let still = red_still(d);
    let clip = fixture("marker_portrait_30.mp4");
    let out = d.join("out.mp4");
    // On the command line, where a still cannot be given a duration: the error names the way,
    // an edit spec given with --spec.
    let err = fails(&[s(&clip), s(&still), "-o", s(&out)], &out);
    assert!(
        err.contains("end.png")
            && err.contains("still image")
            && err.contains("--spec")
            && err.contains("docs/concat.md#the-edit-spec"),
        "{err}"
    );
    // As a spec's src.
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "[[shot]]\nsrc = \"{}\"\n\n[[shot]]\nsrc = \"end.png\"\n",
            s(&clip)
        ),
    )
    .unwrap();
    let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
    let still = format!(
        "{}: shot 2: {}: a still image has no length of its own; add a duration",
        spec.display(),
        d.join("end.png").display()
    );
    assert!(err.contains(&still), "{err}");
    // With a duration the still is a shot of that length, at the clip's rate.
    std::fs::write(
        &spec,
        format!(
            "[[shot]]\nsrc = \"{}\"\n\n[[shot]]\nsrc = \"end.png\"\nduration = 2\n",
            s(&clip)
        ),
    )
    .unwrap();
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(j["video"]["frame_rate"], "30/1");
    assert_duration(&out, 8.0, 30.0);
}

/// A text card's Hangul drew empty boxes without a word; the spec and the shot are named.
#[test]
fn card_characters_the_font_cannot_draw_are_named_with_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        "[[shot]]\ncolor = \"#101010\"\nduration = \"3f\"\n\
         [[shot]]\ntext = \"Fin \u{b05d}\"\nduration = \"3f\"\n",
    )
    .unwrap();
    let out = d.join("out.mp4");
    let run = cutroom_ok(&[
        "concat",
        "--spec",
        s(&spec),
        "--size",
        "160x90",
        "-o",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    let warning = format!(
        "cutroom: warning: {}: shot 2: 1 character(s) the caption font (DejaVu Sans) has no \
         glyph for, drawn as empty boxes unless a system font has them: \u{b05d}\n",
        s(&spec)
    );
    assert!(err.contains(&warning), "{err}");
    assert!(out.exists());
}

#[test]
fn bad_cards_fail_with_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.mp4");
    let spec = d.join("cut.toml");
    let clip = fixture("marker_portrait_30.mp4");
    // A text card that does not fit its frame at the smallest readable size was refused only
    // once the shots before it were encoded, naming neither the spec nor the shot.
    let paragraph = "Thanks for watching this whole trailer. ".repeat(150);
    let long = format!("text = \"{paragraph}\"\nduration = 1");
    for (shot, says) in [
        ("color = \"#101010\"", "colour card needs a duration"),
        ("text = \"Hi\"", "text card needs a duration"),
        ("image = \"x.png\"", "still image needs a duration"),
        ("color = \"#10101\"\nduration = 1", "bad colour \"#10101\""),
        (
            "color = \"#101010\"\nduration = 1\nin = 0.5",
            "in and out trim clips",
        ),
        (
            "src = \"a.mp4\"\ncolor = \"#101010\"",
            "exactly one of src, image, color or text",
        ),
        (
            "text = \"Hi\"\nduration = 1\nstyle = { size = 2 }",
            "style.size",
        ),
        (
            "color = \"#101010\"\nduration = 1\nstyle = { size = 0.1 }",
            "style is for text cards",
        ),
        (
            "color = \"#101010\"\nduration = \"1f\"\nfps = 3",
            "unknown field `fps`",
        ),
        (
            long.as_str(),
            "cut.toml: shot 2: text card \"Thanks for watching this whole trailer....\": its ",
        ),
    ] {
        std::fs::write(
            &spec,
            format!("[[shot]]\nsrc = \"{}\"\n\n[[shot]]\n{shot}\n", s(&clip)),
        )
        .unwrap();
        let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
        assert!(
            err.contains("cut.toml") && err.contains(says),
            "{shot}: {err}"
        );
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
    let err = {
        std::fs::write(
            &spec,
            format!("[[shot]]\nsrc = \"{}\"\nduration = 2\n", s(&clip)),
        )
        .unwrap();
        fails(&["--spec", s(&spec), "-o", s(&out)], &out)
    };
    assert!(err.contains("trim a clip with in and out"), "{err}");
}

#[test]
fn sped_fitted_and_frozen_shots_keep_every_marker_where_the_timeline_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Flashes and beeps at 1, 3 and 5 s of a 6 s clip; the last shot's sound has its right
    // channel in opposite phase to its left (a miswired microphone), which a mono sum cancels:
    // the retime's sound onsets were then missed and its beeps put 28 ms early.
    let clip = make_clips(d, &[portrait(6.0, 6.0)]).remove(0);
    let inverted = d.join("inverted.mp4");
    let pan = "pan=stereo|c0=c0|c1=-1*c0";
    ff(&["-i", s(&clip), "-c:v", "copy", "-af", pan, s(&inverted)]);
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "[[shot]]\nsrc = \"{0}\"\nspeed = 1.5\nfreeze = \"1s\"\n\n\
             [[shot]]\ncolor = \"#000000\"\nduration = 1\n\n\
             [[shot]]\nsrc = \"{1}\"\nfit = \"8s\"\n",
            s(&clip),
            s(&inverted)
        ),
    )
    .unwrap();
    let out = d.join("out.mp4");
    let j = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    let shots = j["shots"].as_array().unwrap();
    let field = |k: &str| {
        shots
            .iter()
            .map(|s| s[k].as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(field("start_s"), [0.0, 5.0, 6.0]);
    assert_eq!(field("speed"), [1.5, 1.0, 0.75]);
    assert_eq!(field("freeze_s"), [1.0, 0.0, 0.0]);
    assert_duration(&out, 14.0, 30.0);
    // 1.5x: the markers at 1/1.5, 3/1.5, 5/1.5 s; then the card; then 0.75x from 6 s.
    let want = [
        1.0 / 1.5,
        2.0,
        5.0 / 1.5,
        6.0 + 1.0 / 0.75,
        10.0,
        6.0 + 5.0 / 0.75,
    ];
    let m = markers(&out);
    assert_eq!(
        (m.flashes.len(), m.beeps.len()),
        (want.len(), want.len()),
        "{m:?}"
    );
    for (t, w) in m.flashes.iter().zip(want) {
        assert!(
            (t - w).abs() <= 0.5 / 30.0,
            "flash at {t:.4} s, timeline says {w:.4} s"
        );
    }
    for (t, off) in marker_offsets_ms(&out) {
        assert!(
            off.abs() <= 1.0,
            "marker at {t:.4} s: beep {off:.2} ms off its flash"
        );
    }
    // The freeze is silent and still: the clip's last frame, held.
    let pcm = audio_samples(&out);
    assert!(rms(&pcm, 4.02, 4.98) < 1e-4, "the freeze has sound");
    let (a, b) = (
        frame_at(&out, 3.95, &d.join("a.png")),
        frame_at(&out, 4.9, &d.join("b.png")),
    );
    assert_eq!(a.data, b.data, "the frozen frame changes");
}

#[test]
fn bad_retiming_fails_with_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.mp4");
    let spec = d.join("cut.toml");
    let clip = fixture("marker_portrait_30.mp4");
    for (keys, says) in [
        ("speed = 5", "speed must be between 0.25 and 4, not 5"),
        ("speed = 0.1", "speed must be between 0.25 and 4"),
        ("speed = 2\nfit = \"3s\"", "give speed or fit, not both"),
        ("fit = \"30s\"", "would play it at speed 0.200"),
        ("freeze = \"x\"", "bad time"),
    ] {
        std::fs::write(&spec, format!("[[shot]]\nsrc = \"{}\"\n{keys}\n", s(&clip))).unwrap();
        let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
        assert!(err.contains(says), "{keys}: {err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
    std::fs::write(
        &spec,
        "[[shot]]\ncolor = \"#000000\"\nduration = 1\nspeed = 2\n",
    )
    .unwrap();
    let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
    assert!(err.contains("speed, fit and freeze retime clips"), "{err}");
}

#[test]
fn a_still_image_with_speed_fit_or_freeze_is_an_error_naming_the_shot() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    red_still(d);
    let clip = fixture("marker_portrait_30.mp4");
    let out = d.join("out.mp4");
    let spec = d.join("cut.toml");
    // A still has no motion to speed up: a speed (fit, freeze) on it is refused, not ignored,
    // whether it is given as src or as image.
    for (key, retime) in [
        ("src", "speed = 2"),
        ("src", "fit = \"1s\""),
        ("src", "freeze = \"1s\""),
        ("image", "speed = 2"),
    ] {
        std::fs::write(
            &spec,
            format!(
                "[[shot]]\nsrc = \"{}\"\n\n[[shot]]\n{key} = \"end.png\"\nduration = 2\n{retime}\n",
                s(&clip)
            ),
        )
        .unwrap();
        let err = fails(&["--spec", s(&spec), "-o", s(&out)], &out);
        // An image is a card, refused as the spec is read; a src is found a still by the plan.
        let file = match key {
            "src" => format!("{}: ", d.join("end.png").display()),
            _ => String::new(),
        };
        let said = format!(
            "{}: shot 2: {file}speed, fit and freeze retime clips",
            spec.display()
        );
        assert!(err.contains(&said), "{key} {retime}: {err}");
        assert_eq!(err.matches("error:").count(), 1, "{err}");
    }
}

#[test]
fn damaged_packets_skipped_in_decoding_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = clip_with_damaged_sound(dir.path());
    let out = dir.path().join("out.mp4");
    let run = cutroom(&["concat", s(&bad), s(&good), "-o", s(&out), "--json"]);
    assert_damage_reported(&run, &bad, "audio");
    assert!(decodes_cleanly(&out));
}

/// A few packets FFmpeg's AAC decoder answers with a bare -1 ("Operation not permitted": a
/// program config element that runs past its packet) are skipped and reported like other
/// damage, within the bound a file past which is refused (outputs::decoding_errors_name_the_file);
/// concat failed with `bad.mp4: decode audio: Operation not permitted` (and random bytes that name
/// a tool the decoder lacks with `Not yet implemented in FFmpeg, patches welcome`).
#[test]
fn damage_the_decoder_calls_unpermitted_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = (dir.path().join("good.mp4"), dir.path().join("bad.mp4"));
    // Its middle second is silent: 4-byte AAC packets, whose start a PCE header overwrites.
    lavfi_clip(
        &good,
        "testsrc=s=64x64:r=10:d=3",
        Some("sine=f=440:d=3,volume=enable='between(t,1,2)':volume=0"),
        &["-ac", "1"],
    );
    let mut bytes = std::fs::read(&good).unwrap();
    let field = |p: &serde_json::Value, k: &str| p[k].as_str().unwrap().parse::<usize>().unwrap();
    let silent: Vec<usize> = ffprobe_packets(&good, "a:0")
        .iter()
        .filter(|p| field(p, "size") == 4)
        .map(|p| field(p, "pos"))
        .collect();
    assert!(silent.len() > 20, "{silent:?}");
    for &pos in &silent[10..13] {
        bytes[pos..pos + 4].copy_from_slice(&[0xa0, 0xff, 0xff, 0xff]);
    }
    std::fs::write(&bad, &bytes).unwrap();
    let out = dir.path().join("out.mp4");
    let run = cutroom(&["concat", s(&bad), s(&good), "-o", s(&out), "--json"]);
    assert_damage_reported(&run, &bad, "audio");
    assert!(decodes_cleanly(&out));
}

#[test]
fn damaged_picture_packets_are_skipped_in_normalising_and_said_or_refused_in_copying() {
    let dir = tempfile::tempdir().unwrap();
    let (good, _) = clip_with_damaged_sound(dir.path());
    let bad = clip_with_damaged_picture(dir.path(), &good);
    let out = dir.path().join("out.mp4");
    let args = [
        "concat",
        "--normalise",
        s(&bad),
        s(&good),
        "-o",
        s(&out),
        "--json",
    ];
    assert_damage_reported(&cutroom(&args), &bad, "video");
    assert!(decodes_cleanly(&out));
    // The last three packets damaged: a frame-threaded decoder refused one on being sent the
    // end of the stream, and every command that decodes the picture failed with `tail.mp4:
    // decode video: Invalid data found when processing input`; now they are skipped and said.
    let tail = dir.path().join("tail.mp4");
    let mut bytes = std::fs::read(&good).unwrap();
    for p in &ffprobe_packets(&good, "v:0")[37..40] {
        let pos: usize = p["pos"].as_str().unwrap().parse().unwrap();
        bytes[pos..pos + 4].fill(0xff);
    }
    std::fs::write(&tail, &bytes).unwrap();
    let args = [
        "concat",
        "--normalise",
        s(&tail),
        s(&good),
        "-o",
        s(&out),
        "--json",
    ];
    assert_damage_reported(&cutroom(&args), &tail, "video");
    // The decoder says where: a frame-threaded decoder answers for a packet some packets after
    // it is sent, and once the end is sent; the times are the damaged packets' whatever the
    // threads (packets 15-17 of 40, and 37-39).
    for file in [&bad, &tail] {
        let garbled = garbled_span(file, "v");
        for threads in [1, 2, 8, 40] {
            use cutroom_ffi::{Decoder as _, DecoderOptions, Input, VideoDecoder};
            let mut input = Input::open(file).unwrap();
            let opts = DecoderOptions {
                threads,
                ..DecoderOptions::default()
            };
            let mut dec = VideoDecoder::with_options(&input, 0, None, opts).unwrap();
            dec.decode_input(&mut input, |_| cutroom_ffi::Result::Ok(true))
                .unwrap_or_else(|e| panic!("{threads} threads: {e}"));
            assert_eq!(dec.damaged_packets(), 3, "{threads} threads");
            let (a, b) = dec.damaged_at().expect("times");
            assert!(
                (a - garbled.0).abs() < 1e-9 && (b - garbled.1).abs() < 1e-9,
                "{threads} threads: {a}-{b} s said, {garbled:?} garbled"
            );
        }
    }
    // The copy path decodes no picture: the damage was copied without a word. Now it is said by
    // file and time (the packets' NAL units run past their ends, as FFmpeg's decoder finds),
    // and a shot past the bound of 1 damaged packet in 10 is refused.
    let run = cutroom(&["concat", s(&bad), s(&good), "-o", s(&out), "--json"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let times: Vec<f64> = ffprobe_packets(&bad, "v:0")[15..18]
        .iter()
        .map(|p| p["pts_time"].as_str().unwrap().parse().unwrap())
        .collect();
    let (first, last) = (
        times.iter().copied().fold(f64::MAX, f64::min),
        times.iter().copied().fold(0.0, f64::max),
    );
    let said = format!(
        "{}: 3 of the 40 video packets copied are damaged, at {first:.3}-{last:.3} s of the file",
        bad.display()
    );
    assert_eq!(err.matches(&said).count(), 1, "{err}");
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(report["warnings"].to_string().contains(&said), "{report}");
    let worse = dir.path().join("worse.mp4");
    let mut bytes = std::fs::read(&bad).unwrap();
    for p in &ffprobe_packets(&bad, "v:0")[20..25] {
        let pos: usize = p["pos"].as_str().unwrap().parse().unwrap();
        bytes[pos..pos + 4].fill(0xff);
    }
    std::fs::write(&worse, &bytes).unwrap();
    std::fs::remove_file(&out).unwrap();
    let err = fails(&[s(&good), s(&worse), "-o", s(&out)], &out);
    assert!(
        err.contains(&format!(
            "shot 2: {}: video: 8 of 40 packets do not decode",
            worse.display()
        )) && err.contains("fetch it again"),
        "{err}"
    );
}

/// Issue 14 item 16: a shot whose sound is too long to decode up front is decoded a piece at a
/// time as the join reaches it, so the join's memory hardly grows with a long shot (measured
/// from 20 s to 320 s: 0.07 copies of the extra sound, 1.1 when the shot was decoded whole).
#[test]
fn a_long_shot_is_joined_without_holding_its_sound() {
    let dir = tempfile::tempdir().unwrap();
    let peak = |secs: u32| -> f64 {
        let clip = dir.path().join(format!("talk{secs}.mp4"));
        bursts_clip(&clip, secs);
        let out = dir.path().join(format!("out{secs}.mp4"));
        let (mb, _) = peak_mb_ok(&["concat", "-q", s(&clip), "-o", s(&out)]);
        mb
    };
    assert_sound_growth(peak(20), peak(320), 300.0, 0.25);
}

/// A clip with three audio tracks (say dialogue, music, effects), subtitles and a timecode
/// track: concat, export, swap, duck and assemble read its first audio track and say once,
/// naming the file, which tracks the output leaves out (the subtitles and timecode were dropped
/// without a word).
#[test]
fn tracks_an_output_does_not_carry_are_named_as_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw.mp4");
    tracks_clip(
        &raw,
        "color=c=red:s=160x90:r=25:d=1",
        &["sine=f=440:d=1", "sine=f=880:d=1", "sine=f=1760:d=1"],
        &["-shortest"],
    );
    let subs = dir.path().join("subs.srt");
    std::fs::write(&subs, "1\n00:00:00,100 --> 00:00:00,900\nHello\n").unwrap();
    let clip = dir.path().join("tracks.mp4");
    ff(&[
        "-i",
        s(&raw),
        "-i",
        s(&subs),
        "-map",
        "0",
        "-map",
        "1",
        "-c",
        "copy",
        "-c:s",
        "mov_text",
        "-timecode",
        "01:00:00:00",
        s(&clip),
    ]);
    let music = dir.path().join("music.wav");
    ff(&["-f", "lavfi", "-i", "sine=f=220:d=2", s(&music)]);
    let audio = format!(
        "{}: has 3 audio tracks; only stream #1 is used, streams #2, #3 left out",
        clip.display()
    );
    let others = format!(
        "{}: its subtitle track #4 (mov_text) and timecode track #5 (tmcd) are not carried \
         into the output (only the picture and the sound are)",
        clip.display()
    );
    let out = |name: &str| dir.path().join(name);
    let cut = out("cut.toml");
    let spec = "name = \"cut\"\noutputs = [\"square\"]\n[[shot]]\nsrc = \"tracks.mp4\"\n";
    std::fs::write(&cut, spec).unwrap();
    let (m, o) = (s(&music), |n| out(n).to_str().unwrap().to_string());
    for (args, said) in [
        (
            vec!["concat", s(&clip), s(&clip), "-o", &o("joined.mp4")],
            vec![&audio, &others],
        ),
        (
            vec!["export", s(&clip), "--preset", "square", "-o", &o("social")],
            vec![&audio, &others],
        ),
        (
            vec!["duck", s(&clip), "--music", m, "-o", &o("ducked.mp4")],
            vec![&audio, &others],
        ),
        (
            vec!["swap", s(&clip), "--audio", m, "-o", &o("swapped.mp4")],
            vec![&others],
        ),
        (
            vec!["assemble", s(&cut), "-o", &o("assembled")],
            vec![&audio, &others],
        ),
    ] {
        let run = cutroom_ok(&[&args[..], &["-q"]].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        for said in said {
            assert_eq!(err.matches(said.as_str()).count(), 1, "{args:?}: {err}");
        }
    }
    let report = cutroom_json(&["concat", s(&clip), "-o", s(&out("j2.mp4")), "--json", "-q"]);
    let warned: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    for said in [&audio, &others] {
        assert!(
            warned.iter().any(|w| w.starts_with(said.as_str())),
            "{report}"
        );
    }
}

/// A clip whose sound track lies wholly after or wholly before its picture (offset by mistake
/// by 10 s, either track, either way) gives a silent shot, and the join says so, naming the
/// file and what is wrong with it (a sound after the picture was silent without a word; a sound
/// before it, whose MP4 edit list then starts past its end, stopped the join with "audio stream
/// decodes to no samples"); a sound starting late within the picture is no such case (its
/// sound running on past the picture is said to be cut off there).
#[test]
fn a_sound_wholly_after_or_before_the_picture_is_named_as_a_silent_shot() {
    let dir = tempfile::tempdir().unwrap();
    let marker = fixture("marker_portrait_30.mp4");
    // The picture (its first 2 s when the sound moves) and the sound, one moved by `secs`.
    let offset = |secs: &str, track: &str, name: &str| {
        let clip = dir.path().join(name);
        let m = s(&marker);
        let (v, a) = if track == "v" {
            (["-itsoffset", secs], ["-ss", "0"])
        } else {
            (["-t", "2"], ["-itsoffset", secs])
        };
        let mut args = v.to_vec();
        args.extend_from_slice(&["-i", m]);
        args.extend_from_slice(&a);
        let out = s(&clip);
        args.extend_from_slice(&["-i", m, "-map", "0:v", "-map", "1:a", "-c", "copy", out]);
        ff(&args);
        clip
    };
    let far = offset("10", "a", "far.mp4");
    let near = offset("0.5", "a", "near.mp4");
    let early = offset("-10", "a", "early.mp4");
    let late_picture = offset("10", "v", "late_picture.mp4");
    let out = dir.path().join("out.mp4");
    let r = concat_json(&[
        s(&far),
        s(&near),
        s(&early),
        s(&late_picture),
        "-o",
        s(&out),
    ]);
    let warned: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let said = [
        format!(
            "{}: its sound starts at 9.978 s, after its picture",
            far.display()
        ),
        format!(
            "{}: its sound ends at -4.000 s, before its picture (0.000-2.167 s) starts (its \
             audio track's edit list starts past the end of its samples):",
            early.display()
        ),
        format!(
            "{}: its sound ends at 6.000 s, before its picture (10.000-16.000 s) starts:",
            late_picture.display()
        ),
    ];
    // The late sound within the picture runs on 4.5 s past it: cut off there, and said.
    assert_eq!(warned.len(), 4, "{r}");
    let tail = format!("shot 2: {}: its sound runs ", near.display());
    assert!(
        warned[3].starts_with(&tail) && warned[3].ends_with("and is cut off there"),
        "{r}"
    );
    for (w, said) in warned.iter().zip(&said) {
        assert!(
            w.starts_with(said.as_str())
                && w.ends_with("none of it plays with the picture, so the shot is silent"),
            "{w}"
        );
    }
    let audio: Vec<&str> = r["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["audio"].as_str().unwrap())
        .collect();
    assert_eq!(audio, ["silence", "source", "silence", "silence"], "{r}");
}

/// A shot whose sound has a hole in its timestamps (its packets from 1.5 to 2.5 s missing, as
/// a damaged or cut-short upload leaves them) keeps the sound after the hole in its place, as
/// players play it: silence fills the hole. Before, the decoded sound was joined up, and every
/// marker after the hole was heard 1 s early (in `concat` through FFmpeg's decoder, in `swap
/// --audio` through symphonia's).
#[test]
fn a_hole_in_a_shots_sound_is_silence_and_the_sound_after_it_stays_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let marker = fixture("marker_portrait_30.mp4");
    let hole = dir.path().join("hole.mp4");
    ff(&[
        "-i",
        s(&marker),
        "-c",
        "copy",
        "-bsf:a",
        "noise=drop='between(pts*tb,1.5,2.5)'",
        s(&hole),
    ]);
    let out = dir.path().join("out.mp4");
    cutroom_ok(&["concat", "-q", s(&marker), s(&hole), "-o", s(&out)]);
    assert_whole_markers(&out, &[&marker, &hole]);
    let pcm = audio_samples(&out);
    assert!(rms(&pcm, 7.6, 8.4) < 1e-4, "the hole is silent");
    let swapped = dir.path().join("swapped.mp4");
    cutroom_ok(&[
        "swap",
        "-q",
        s(&marker),
        "--audio",
        s(&hole),
        "-o",
        s(&swapped),
    ]);
    assert_whole_markers(&swapped, &[&marker]);
}

/// `--audio-channels 1` of a shot whose right channel is polarity-inverted (a miswired
/// microphone: mixed to one channel, L + R cancels) takes the right channel turned back, with
/// a warning naming the file: its beeps are heard at their flashes, as loud as the same shot's
/// uninverted. Before, that shot was silent and nothing was said.
#[test]
fn a_shot_in_opposite_phase_is_not_cancelled_by_a_one_channel_join() {
    let dir = tempfile::tempdir().unwrap();
    let marker = fixture("marker_portrait_30.mp4");
    let inverted = dir.path().join("inverted.mp4");
    ff(&[
        "-i",
        s(&marker),
        "-c:v",
        "copy",
        "-af",
        "aeval='val(0)|-val(1)':c=same",
        "-c:a",
        "aac",
        s(&inverted),
    ]);
    let out = dir.path().join("out.mp4");
    let r = concat_json(&[
        s(&inverted),
        s(&marker),
        "--audio-channels",
        "1",
        "-o",
        s(&out),
    ]);
    assert_eq!(r["audio"]["channels"], 1, "{r}");
    let said = format!(
        "{}: its two channels are in opposite phase (mixed to one channel as they are, they \
         cancel: ",
        inverted.display()
    );
    let warned = r["warnings"].as_array().unwrap();
    assert!(
        warned.len() == 1 && warned[0].as_str().unwrap().starts_with(&said),
        "{r}"
    );
    assert_whole_markers(&out, &[&inverted, &marker]);
    let pcm = audio_samples(&out);
    let (turned, straight) = (rms(&pcm, 1.0, 1.04), rms(&pcm, 7.0, 7.04));
    assert!(
        (20.0 * (turned / straight).log10()).abs() < 0.5,
        "{turned} vs {straight}"
    );
}

/// A 5.1 shot whose front, centre and surround channels carry the same tone at -6 dBFS is
/// folded down to stereo without getting louder than its loudest channel (FFmpeg's standard
/// matrix, scaled so a full-scale input cannot clip: `ffmpeg -ac 2` does the same); unscaled,
/// the left channel summed to +1.6 dBFS and clipped.
#[test]
fn a_five_one_shot_is_folded_down_without_clipping() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("surround.mp4");
    let surround = [
        "-af",
        "pan=5.1|FL=c0|FR=c0|FC=c0|BL=c0|BR=c0",
        "-b:a",
        "384k",
    ];
    testsrc_with_sound(&clip, 2, "0.5*sin(2*PI*1000*t)", &surround);
    let out = dir.path().join("out.mp4");
    let run = cutroom_ok(&["concat", "--json", s(&clip), "-o", s(&out)]);
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["audio"]["channels"], 2, "{r}");
    assert_folded_like_ffmpeg(&out, &clip, &dir.path().join("theirs.wav"));
    // Said once, on stderr and in the shot's report (it was done without a word).
    let said = r["shots"][0]["audio_changed"].as_str().expect("a note");
    assert!(
        said.starts_with("its sound, 5.1 (6 ch) at 48000 Hz, is folded down to stereo"),
        "{said}"
    );
    let err = String::from_utf8_lossy(&run.stderr);
    let note = format!("cutroom: shot 1: {}: {said}\n", clip.display());
    assert_eq!(err.matches(&note).count(), 1, "{err}");
}

/// `--loudness` a join cannot reach under the true-peak ceiling (10 ms clicks at -1 dBFS once a
/// second: -17 LUFS at most under -1 dBTP) is said, on stderr and in the report's warnings; the
/// join said nothing.
#[test]
fn a_loudness_target_out_of_reach_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let clicks = dir.path().join("clicks.mp4");
    testsrc_with_sound(&clicks, 2, CLICKS, &[]);
    let out = dir.path().join("out.mp4");
    let c = s(&clicks);
    let run = cutroom_ok(&["concat", c, c, "--loudness", "-14", "-o", s(&out), "--json"]);
    let err = String::from_utf8_lossy(&run.stderr);
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let got = ebur128(&out).integrated;
    assert!(got < -15.0, "{got} LUFS");
    let measured = r["audio"]["loudness"]["integrated_lufs"].as_f64().unwrap();
    assert!((measured - got).abs() <= 0.15, "{r}: ffmpeg reads {got}");
    let warned = r["warnings"].as_array().unwrap();
    assert_eq!(warned.len(), 1, "{r}");
    let said = warned[0].as_str().unwrap();
    let reached: f64 = said
        .strip_prefix("--loudness -14: the soundtrack reaches ")
        .and_then(|w| w.split_once(" LUFS at a true peak of "))
        .filter(|(_, w)| w.ends_with(" dBTP, as loud as the -1 dBTP true-peak ceiling allows"))
        .map(|(l, _)| l)
        .unwrap_or_else(|| panic!("{said}"))
        .parse()
        .unwrap();
    assert!((reached - got).abs() <= 0.15, "{said}: ffmpeg reads {got}");
    assert!(err.contains(&format!("cutroom: warning: {said}")), "{err}");
}

/// Two stream copies spliced into one MPEG-TS, the second's times overlapping the first's: its
/// decoding times go back at the splice, which an MP4 muxer refuses. concat's copy path and
/// swap failed with `out.mp4: cannot write: Invalid argument` (the output blamed, no word of
/// the input); now concat normalises it, saying why, and swap refuses it by name and time.
#[test]
fn a_picture_whose_decoding_times_go_back_is_normalised_or_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let clip = fixture("marker_portrait_30.mp4");
    ff(&[
        "-i",
        s(&clip),
        "-t",
        "2",
        "-c",
        "copy",
        "-an",
        "-muxdelay",
        "0",
        s(&p("a.ts")),
    ]);
    ff(&[
        "-ss",
        "2",
        "-i",
        s(&clip),
        "-t",
        "2",
        "-c",
        "copy",
        "-an",
        "-muxdelay",
        "0",
        "-output_ts_offset",
        "1.9",
        s(&p("b.ts")),
    ]);
    let mut spliced = std::fs::read(p("a.ts")).unwrap();
    spliced.extend(std::fs::read(p("b.ts")).unwrap());
    let ts = p("spliced.ts");
    std::fs::write(&ts, spliced).unwrap();
    let out = p("out.mp4");
    let run = cutroom_ok(&["concat", s(&ts), "-o", s(&out), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["path"], "normalise", "{report}");
    let why = format!("shot 1 ({}): its decoding times go back at ", ts.display());
    assert!(report["reasons"].to_string().contains(&why), "{report}");
    assert!(decodes_cleanly(&out));
    std::fs::remove_file(&out).unwrap();
    let music = fixture("music.wav");
    let run = cutroom(&["swap", s(&ts), "--audio", s(&music), "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let said = format!("{}: its video's decoding times go back at ", ts.display());
    assert!(
        err.contains(&said) && !err.contains("Invalid argument"),
        "{err}"
    );
    assert!(!out.exists());
}

/// Shots of different sizes are joined in the largest clip's frame at its rate (they took the
/// first clip's, a 64x64 square at 25 fps, so a 160x90 shot after it was boxed and shrunk).
#[test]
fn shots_of_different_sizes_join_in_the_largest_clips_frame_and_rate() {
    let dir = tempfile::tempdir().unwrap();
    let (small, large) = (dir.path().join("small.mp4"), dir.path().join("large.mp4"));
    tone_clip(&small, 64, 64, 25, 0.4, "red", None);
    tone_clip(&large, 160, 90, 30, 0.4, "white", None);
    let out = dir.path().join("out.mp4");
    let j = cutroom_json(&[
        "concat",
        s(&small),
        s(&large),
        "-o",
        s(&out),
        "--json",
        "-q",
    ]);
    let v = &j["video"];
    assert_eq!(
        (&v["width"], &v["height"], &v["frame_rate"]),
        (&160.into(), &90.into(), &"30/1".into()),
        "{j}"
    );
}

/// A shot whose sound runs on 400 ms past its last frame (a voice tail, a render's sound longer
/// than its picture) loses that tail at the cut: said once per shot, on stderr and in the
/// report's warnings, with how long and how loud it is. The cut's sound after the shot is the
/// next shot's (silence), not the tail; a shot whose sound past its picture is silence (a
/// render's AAC padding), one as long as its picture, and the same shot trimmed before its
/// end (the tail dropped on purpose) are not warned of.
#[test]
fn sound_past_a_shots_last_frame_is_said_to_be_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let picture = "testsrc=s=320x240:r=25:d=2";
    let tail = d.join("tail.mp4");
    lavfi_clip(
        &tail,
        picture,
        Some("aevalsrc=0.25*sin(2*PI*1000*t):s=48000:c=stereo:d=2.4"),
        &[],
    );
    let padded = d.join("padded.mp4");
    lavfi_clip(
        &padded,
        picture,
        Some("aevalsrc=0.25*sin(2*PI*1000*t)*lt(t\\,2):s=48000:c=stereo:d=2.4"),
        &[],
    );
    let silent = d.join("silent.mp4");
    lavfi_clip(
        &silent,
        picture,
        Some("anullsrc=r=48000:cl=stereo"),
        &["-t", "2"],
    );
    let out = d.join("out.mp4");
    let run = cutroom_ok(&[
        "concat",
        "--json",
        s(&tail),
        s(&silent),
        s(&padded),
        "-o",
        s(&out),
    ]);
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    let start = format!("shot 1: {}: its sound runs ", tail.display());
    let warned: Vec<&str> = r["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str().filter(|w| w.contains("past its last frame")))
        .collect();
    assert_eq!(warned.len(), 1, "{r}");
    let said = warned[0];
    assert_eq!(
        err.matches(&format!("cutroom: warning: {said}\n")).count(),
        1,
        "{err}"
    );
    let figures = said
        .strip_prefix(&start)
        .and_then(|w| w.strip_suffix(" dBFS) and is cut off there"))
        .unwrap_or_else(|| panic!("{said}"));
    let (ms, peak) = figures
        .split_once(" ms past its last frame (peak ")
        .unwrap();
    let (ms, peak): (f64, f64) = (ms.parse().unwrap(), peak.parse().unwrap());
    assert!((395.0..=410.0).contains(&ms), "{said}");
    assert!((peak + 12.0).abs() < 1.0, "{said}");
    // What is heard: the tone to the cut at 2 s, then the silent shot, then the padded one.
    let pcm = audio_samples(&out);
    assert!(rms(&pcm, 0.5, 1.9) > 0.1, "the first shot's tone");
    assert!(rms(&pcm, 2.01, 3.9) < 1e-3, "the tail is not heard");
    assert!(rms(&pcm, 4.1, 5.9) > 0.1, "the last shot's tone");
    assert_eq!(r["duration_s"], 6.0, "{r}");
    // Trimmed before its end, the tail is dropped on purpose: nothing said.
    let spec = d.join("cut.toml");
    let shot = |src: &Path, out: &str| format!("[[shot]]\nsrc = {:?}\nout = {out}\n", s(src));
    std::fs::write(&spec, shot(&tail, "1.5") + &shot(&silent, "2")).unwrap();
    let trimmed = concat_json(&["--spec", s(&spec), "-o", s(&out)]);
    assert_eq!(trimmed["warnings"], serde_json::json!([]), "{trimmed}");
}

/// Without `--fps` the cut plays at the rate most of its time is at, the higher on a tie: a 2 s
/// 24 fps shot with the larger picture and a 2 s 30 fps shot make a 30 fps cut of 120 frames
/// (it took the larger shot's 24 fps, and the 30 fps shot lost a fifth of its frames unsaid),
/// and the 24 fps shot's repeated frames are a warning naming it, on stderr and in the report;
/// with the 30 fps shot 1 s long the cut is 24 fps, and the warning is of its dropped frames.
#[test]
fn the_default_rate_is_the_one_most_of_the_cut_plays_at_and_each_conversion_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let big = d.join("big24.mp4");
    tone_clip(&big, 320, 180, 24, 2.0, "white", Some(0.3));
    for (secs, rate, frames, shot, said) in [
        (
            2.0,
            "30/1",
            120,
            &big,
            "its 24 fps picture plays at the cut's 30 fps: 1 frame in 5 repeats the one before, \
             so its motion judders",
        ),
        (
            1.0,
            "24/1",
            72,
            &d.join("small30_1.0.mp4"),
            "its 30 fps picture plays at the cut's 24 fps: 1 of its frames in 5 is dropped, so \
             its motion judders",
        ),
    ] {
        let small = d.join(format!("small30_{secs:.1}.mp4"));
        tone_clip(&small, 160, 90, 30, secs, "gray", Some(0.3));
        let cut = d.join(format!("cut{secs}.mp4"));
        let run = cutroom(&["concat", "--json", s(&big), s(&small), "-o", s(&cut)]);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{stderr}");
        let r: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(r["video"]["frame_rate"], rate, "{r}");
        let n = if shot == &big { 1 } else { 2 };
        let warning = format!("shot {n} ({}): {said}", shot.display());
        assert_eq!(r["warnings"], serde_json::json!([warning]), "{r}");
        assert!(
            stderr.contains(&format!("cutroom: warning: {warning}")),
            "{stderr}"
        );
        let decoded = luma_means(&cut);
        assert_eq!(decoded.len(), frames, "{rate}");
        let fps = ffprobe(&cut)["streams"][0]["r_frame_rate"].clone();
        assert_eq!(fps, rate);
    }
}

/// `--conform crop` fills the cut's frame with a shot of another shape (a portrait shot in a
/// landscape cut: its green reaches the frame's left and right edges, where the default pads
/// it with black bars), as an assemble spec's `conform` does; another value is a usage error.
#[test]
fn conform_crop_fills_the_frame_with_a_shot_of_another_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (wide, tall) = (d.join("wide.mp4"), d.join("tall.mp4"));
    tone_clip(&wide, 320, 180, 30, 1.0, "white", Some(0.3));
    tone_clip(&tall, 90, 160, 30, 1.0, "green", Some(0.3));
    for (conform, edge_green) in [(None, false), (Some("crop"), true)] {
        let cut = d.join(format!("{conform:?}.mp4"));
        let mut args = vec!["concat", "-q", s(&wide), s(&tall), "-o", s(&cut)];
        args.extend(conform.iter().flat_map(|c| ["--conform", *c]));
        cutroom_ok(&args);
        let f = frame_at(&cut, 1.5, &d.join(format!("{conform:?}.png")));
        for edge in [f.mean(0, 0, 16, 180), f.mean(304, 0, 320, 180)] {
            let green = edge[1] > 90.0 && edge[0] < 40.0;
            let black = edge.iter().all(|&c| c < 30.0);
            assert!(
                if edge_green { green } else { black },
                "{conform:?}: {edge:?}"
            );
        }
    }
    let bad = cutroom(&[
        "concat",
        s(&wide),
        s(&tall),
        "-o",
        "x.mp4",
        "--conform",
        "blur",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("expected pad or crop"), "{err}");
}
