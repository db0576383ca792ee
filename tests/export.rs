//! `cutroom export`: every output is checked with ffprobe and decoded back with the ffmpeg CLI:
//! delivery spec (size, pixel format, profile, rate, GOP, faststart, no edit list, audio), A/V
//! sync at the markers, and the reframed picture's geometry measured on PNG frames.

use crate::common::*;
use std::path::{Path, PathBuf};

/// One frame at 30 fps, the sync tolerance of the acceptance list.
const ONE_FRAME_MS: f64 = 1000.0 / 30.0;

/// `d/presets.toml` holding `toml` (the `--presets` file of a test's custom outputs).
fn presets_file(d: &Path, toml: &str) -> PathBuf {
    let presets = d.join("presets.toml");
    std::fs::write(&presets, toml).unwrap();
    presets
}

/// A test's temp dir holding `clip.mp4`, silent, from the lavfi source `picture`, and
/// `presets.toml` defining `tall`: Reels (its UI zones) at `width`x`height`, small to encode
/// fast, without Reels' 3 s minimum (the clips are a second or two).
struct Tall {
    dir: tempfile::TempDir,
    clip: PathBuf,
    presets: PathBuf,
}

impl Tall {
    fn new(picture: &str, (width, height): (u32, u32)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.mp4");
        lavfi_clip(&clip, picture, None, &[]);
        let presets = presets_file(
            dir.path(),
            &format!(
                "[tall]\nbase = \"reels\"\nwidth = {width}\nheight = {height}\nmin_duration_s = 0\n"
            ),
        );
        Self { dir, clip, presets }
    }

    /// `export clip.mp4 --presets presets.toml -p tall`, then `more`.
    fn args<'a>(&'a self, more: &[&'a str]) -> Vec<&'a str> {
        let export = ["export", s(&self.clip), "--presets", s(&self.presets)];
        [&export[..], &["-p", "tall"], more].concat()
    }
}

/// `cutroom export ARGS -o OUT`, which must be refused: exit status 1 and nothing at `out`;
/// its stderr.
fn export_refused(args: &[&str], out: &Path) -> String {
    let run = cutroom(&[&["export"], args, &["-o", s(out)]].concat());
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert_eq!(run.status.code(), Some(1), "{args:?}: {err}");
    assert!(!out.exists(), "{args:?}: nothing is written");
    err
}

/// A 640x360 blue clip of `secs` with the lavfi drawing `boxes` on it.
fn box_clip(out: &Path, secs: u32, boxes: &str, extra_out: &[&str]) {
    lavfi_clip(
        out,
        &format!("color=c=0x3060C0:s=640x360:r=30:d={secs},{boxes}"),
        None,
        extra_out,
    );
}

const CENTRE_BOX: &str = "drawbox=x=260:y=120:w=120:h=120:c=white:t=fill";

fn white(p: [u8; 3]) -> bool {
    p.iter().all(|&c| c > 200)
}

/// Check one output against the delivery spec with ffprobe and cutroom's own probe.
fn assert_deliverable(path: &Path, w: u64, h: u64, rate: &str, secs: f64, audio: bool) {
    let name = path.display();
    let probe = ffprobe(path);
    let streams = probe["streams"].as_array().unwrap();
    let v = &streams[0];
    assert_eq!(v["codec_name"], "h264", "{name}");
    assert_eq!(v["profile"], "High", "{name}");
    assert_eq!(v["pix_fmt"], "yuv420p", "{name}");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(w), Some(h)),
        "{name}"
    );
    assert_eq!(v["r_frame_rate"], rate, "{name}");
    assert_eq!(v["avg_frame_rate"], rate, "{name}");
    let vdur: f64 = v["duration"].as_str().unwrap().parse().unwrap();
    assert!((vdur - secs).abs() < 1e-3, "{name}: video lasts {vdur} s");
    assert!(
        v["side_data_list"].is_null(),
        "{name}: no display matrix: {v}"
    );
    assert_bt709(path);
    if audio {
        assert_eq!(streams.len(), 2, "{name}");
        let a = &streams[1];
        assert_eq!(a["codec_name"], "aac", "{name}");
        assert_eq!(a["profile"], "LC", "{name}");
        assert_eq!(a["sample_rate"], "48000", "{name}");
        assert_eq!(a["channels"], 2, "{name}");
        let adur: f64 = a["duration"].as_str().unwrap().parse().unwrap();
        assert!((adur - secs).abs() < 0.025, "{name}: audio lasts {adur} s");
    } else {
        assert_eq!(streams.len(), 1, "{name}: no audio track");
    }
    let ours = cutroom_json(&["probe", "--json", s(path)]);
    assert_eq!(
        ours["files"][0]["faststart"], true,
        "{name}: moov before mdat"
    );
    assert_eq!(
        ours["files"][0]["edit_lists"], false,
        "{name}: no edit list"
    );
}

/// Tagged BT.709 SDR in limited range, in the H.264 stream (what the decoder reports per
/// frame) and in the container's `colr` box (primaries, transfer, matrix 1/1/1, not full range).
fn assert_bt709(path: &Path) {
    let name = path.display();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-read_intervals",
            "%+#1",
        ])
        .args(["-show_frames", "-show_streams", "-of", "json"])
        .arg(path)
        .output()
        .unwrap();
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for v in [&j["streams"][0], &j["frames"][0]] {
        assert_eq!(v["color_primaries"], "bt709", "{name}: {v}");
        assert_eq!(v["color_transfer"], "bt709", "{name}: {v}");
        assert_eq!(v["color_space"], "bt709", "{name}: {v}");
        assert_eq!(v["color_range"], "tv", "{name}: {v}");
    }
    let bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(8)
        .position(|w| w == b"colrnclx")
        .unwrap_or_else(|| panic!("{name}: no colr nclx box"));
    assert_eq!(
        &bytes[at + 8..at + 15],
        &[0, 1, 0, 1, 0, 1, 0],
        "{name}: colr box"
    );
}

/// Keyframes fall exactly every `gop_s` seconds (closed GOP, no scene-cut keyframes).
fn assert_gop(path: &Path, gop_s: f64, secs: f64) {
    let keys: Vec<f64> = ffprobe_packets(path, "v:0")
        .iter()
        .filter(|p| p["flags"].as_str().unwrap_or("").contains('K'))
        .map(|p| p["pts_time"].as_str().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<f64> = (0..)
        .map(|i| f64::from(i) * gop_s)
        .take_while(|t| *t < secs - 1e-6)
        .collect();
    assert_eq!(keys, expected, "{}: keyframes", path.display());
}

fn assert_in_sync(path: &Path, markers: usize) {
    let offs = marker_offsets_ms(path);
    assert_eq!(offs.len(), markers, "{}: {offs:?}", path.display());
    for (t, o) in offs {
        assert!(
            o.abs() <= ONE_FRAME_MS,
            "{}: marker at {t} s is {o:.2} ms off",
            path.display()
        );
    }
}

#[test]
fn three_presets_meet_the_delivery_spec_in_sync_within_the_memory_goal() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("master.mp4");
    marker_clip(&master, 640, 360, 30, 4.0, 4.0, 0.0, &[]);
    let out = dir.path().join("out");
    let (mb, run) = peak_mb_ok(&[
        "export",
        s(&master),
        "--preset",
        "reels",
        "--preset",
        "square",
        "--preset",
        "youtube",
        "-o",
        s(&out),
        "--json",
    ]);
    // Three x264 encoders at once held ~510 MB whatever the length (#14 item 16); in two
    // waves the export stays under the 500 MB goal (432 MB measured on two cores).
    assert!(mb < 480.0, "three presets took {mb:.0} MB");
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    assert_eq!(report["input"], s(&master));
    let outputs = report["outputs"].as_array().unwrap();
    let expect = [
        ("reels", 1080, 1920),
        ("square", 1080, 1080),
        ("youtube", 1920, 1080),
    ];
    assert_eq!(outputs.len(), 3);
    for (o, (preset, w, h)) in outputs.iter().zip(expect) {
        let path = PathBuf::from(o["path"].as_str().unwrap());
        assert_eq!(path, out.join(format!("master.{preset}.mp4")));
        assert_eq!(o["preset"], preset);
        assert_eq!(
            (o["width"].as_u64(), o["height"].as_u64()),
            (Some(w), Some(h))
        );
        assert_eq!(o["frame_rate"], "30/1");
        assert_eq!(o["fps"], 30.0);
        assert_eq!(o["frames"], 120);
        assert_eq!(o["duration_s"], 4.0);
        assert_eq!(o["fit"], "blur");
        assert_eq!(o["audio"], "source");
        assert_eq!(o["loudness_target_lufs"], -14.0);
        assert_eq!(o["true_peak_target_dbtp"], -1.0);
        assert_eq!(o["bytes"], std::fs::metadata(&path).unwrap().len());
        assert!(o["warnings"].as_array().unwrap().is_empty());
        assert!(!o["filter"].as_str().unwrap().is_empty());
        assert_deliverable(&path, w, h, "30/1", 4.0, true);
        assert_gop(&path, 2.0, 4.0);
        assert_in_sync(&path, 2);
    }
}

#[test]
fn blur_pad_and_crop_keep_the_picture_centred_and_undistorted() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("box.mp4");
    box_clip(&master, 2, CENTRE_BOX, &[]);
    let artifacts = artifact_dir("export");
    let mut frames = Vec::new();
    for fit in ["blur", "pad", "crop"] {
        let out = dir.path().join(fit);
        let r = cutroom_json(&[
            "export",
            s(&master),
            "-p",
            "reels",
            "--fit",
            fit,
            "--no-audio",
            "-o",
            s(&out),
            "--json",
        ]);
        let video = PathBuf::from(r["outputs"][0]["path"].as_str().unwrap());
        assert_deliverable(&video, 1080, 1920, "30/1", 2.0, false);
        for t in [0.5, 1.5] {
            let png = artifacts.join(format!("landscape_to_reels_{fit}_{t}s.png"));
            frames.push((fit, frame_at(&video, t, &png)));
        }
    }
    for (fit, f) in &frames {
        assert_eq!((f.width, f.height), (1080, 1920));
        let (x0, y0, x1, y1) = f.bbox(white).unwrap_or_else(|| panic!("{fit}: no box"));
        let (w, h) = (f64::from(x1 - x0), f64::from(y1 - y0));
        // 640x360 -> 1080 wide: x1.6875; crop: 360 tall -> 1920: x5.333.
        let expected = if *fit == "crop" { 640.0 } else { 202.5 };
        assert!(
            (w - expected).abs() <= 4.0 && (h - expected).abs() <= 4.0,
            "{fit}: box {w}x{h}"
        );
        assert!((w / h - 1.0).abs() < 0.01, "{fit}: box distorted: {w}x{h}");
        let (cx, cy) = (f64::from(x0 + x1) / 2.0, f64::from(y0 + y1) / 2.0);
        assert!(
            (cx - 540.0).abs() <= 2.0 && (cy - 960.0).abs() <= 2.0,
            "{fit}: box centre {cx},{cy}"
        );
        // The foreground band keeps the source colour where it is not the box.
        let fg = f.mean(40, 700, 200, 900);
        assert!(
            (fg[2] - 192.0).abs() < 12.0 && (fg[1] - 96.0).abs() < 12.0,
            "{fit}: fg {fg:?}"
        );
        let top = f.mean(0, 40, 1080, 600);
        let bottom = f.mean(0, 1320, 1080, 1880);
        match *fit {
            "pad" => {
                assert!(
                    top.iter().chain(&bottom).all(|&c| c < 8.0),
                    "pad: black bars {top:?}"
                );
            }
            "blur" => {
                // Filled with a darkened copy of the blue picture, not bars.
                for band in [top, bottom] {
                    assert!(
                        band[2] > 70.0 && band[2] < 170.0,
                        "blur: background {band:?}"
                    );
                    assert!(
                        band[2] > band[0] + 30.0,
                        "blur: background is the picture's blue"
                    );
                }
                // Blurred: no hard edges anywhere in the background bands.
                let mut max_step = 0u8;
                for y in (40..600).step_by(7) {
                    for x in 1..1080 {
                        let (a, b) = (f.at(x - 1, y)[1], f.at(x, y)[1]);
                        max_step = max_step.max(a.abs_diff(b));
                    }
                }
                assert!(max_step < 12, "blur: background has an edge of {max_step}");
            }
            _ => {}
        }
    }
}

#[test]
fn focus_auto_follows_a_moving_subject_smoothly() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("moving.mp4");
    // A 60x60 white box crossing a 640x360 blue picture at 180 px/s.
    lavfi_clip(
        &master,
        "color=c=0x3060C0:s=640x360:r=30:d=3[bg];color=c=white:s=60x60:r=30[b];\
         [bg][b]overlay=x='20+180*t':y=150:shortest=1",
        None,
        &[],
    );
    let artifacts = artifact_dir("export");
    let mut centres = Vec::new();
    for focus in ["auto", "0.5,0.5"] {
        let out = dir.path().join(focus);
        let r = cutroom_json(&[
            "export",
            s(&master),
            "-p",
            "reels",
            "--fit",
            "crop",
            "--focus",
            focus,
            "--no-audio",
            "-o",
            s(&out),
            "--json",
        ]);
        let video = PathBuf::from(r["outputs"][0]["path"].as_str().unwrap());
        assert_deliverable(&video, 1080, 1920, "30/1", 3.0, false);
        for t in [0.0, 0.5, 1.0, 1.5, 2.0, 2.5] {
            let name = format!("moving_box_focus_{}_{t}s.png", focus.replace(',', "_"));
            let f = frame_at(&video, t, &artifacts.join(name));
            let b = f.bbox(white);
            if focus == "auto" {
                let (x0, _, x1, _) = b.unwrap_or_else(|| panic!("auto: box lost at {t} s"));
                // 60 px x 1920/360: the whole box, not a sliver at an edge.
                assert!(
                    (x1 - x0) as f64 >= 310.0,
                    "auto: box cut at {t} s: {x0}..{x1}"
                );
                if t > 0.0 {
                    // (At 0 s the box is nearer the picture's edge than half a window.)
                    centres.push((t, f64::from(x0 + x1) / 2.0));
                }
            } else if t == 0.5 {
                assert!(
                    b.is_none(),
                    "a fixed centre window cannot see the box at {t} s"
                );
            }
        }
    }
    // A steady move is followed steadily: the box stays put in the frame, no jitter.
    let (first, rest) = centres.split_first().unwrap();
    for (t, x) in rest {
        assert!(
            (x - first.1).abs() <= 24.0,
            "box at {x} px at {t} s, {} px at 0 s",
            first.1
        );
    }
    let run = cutroom(&[
        "export",
        s(&master),
        "-p",
        "reels",
        "--focus",
        "auto",
        "-o",
        s(dir.path()),
    ]);
    assert_eq!(run.status.code(), Some(2), "--focus auto needs --fit crop");
}

/// The faces MediaPipe's detector finds in each of the pictures of `video` sampled `fps` times
/// a second: boxes `[x0, y0, x1, y1]` in fractions of the picture (decoded back by the ffmpeg
/// CLI, fitted into the detector's 128-pixel square).
fn faces_seen(video: &Path, (w, h): (usize, usize), fps: u32) -> Vec<Vec<[f32; 4]>> {
    use cutroom::sync::face::{detect::SIZE, Detector, Rgb};
    let (sw, sh) = match w >= h {
        true => (SIZE, SIZE * h / w),
        false => (SIZE * w / h, SIZE),
    };
    let out = ffmpeg()
        .arg("-i")
        .arg(video)
        .args(["-vf", &format!("fps={fps},scale={sw}:{sh}:flags=area")])
        .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg could not decode {}",
        video.display()
    );
    let mut detector = Detector::new().unwrap();
    out.stdout
        .chunks_exact(sw * sh * 3)
        .map(|picture| {
            let rgb = Rgb {
                width: sw,
                height: sh,
                data: picture.to_vec(),
            };
            let found = detector.detect(&rgb).unwrap();
            let bbox = |d: &cutroom::sync::face::detect::Detection| {
                [
                    d.cx - d.w / 2.0,
                    d.cy - d.h / 2.0,
                    d.cx + d.w / 2.0,
                    d.cy + d.h / 2.0,
                ]
            };
            found.iter().map(bbox).collect()
        })
        .collect()
}

/// A real talking head on the left of a wider picture, a white box moving on its right: the
/// 9:16 window of `--focus auto` keeps the face wholly in frame (motion alone followed the box,
/// and the face was never seen), and the report says it followed one face.
#[test]
fn focus_auto_keeps_a_talking_head_in_frame() {
    let Some(real) = real_clips() else { return };
    let tall = Tall::new("color=c=0x305070:s=640x360:r=25:d=2", (360, 640));
    let master = tall.dir.path().join("left.mp4");
    ff(&[
        "-i",
        s(&real.join("th_retalk1.mp4")),
        "-f",
        "lavfi",
        "-i",
        "color=c=0x305070:s=640x360:r=25:d=2[bg];color=c=white:s=60x60:r=25[b];\
         [bg][b]overlay=x='400+80*t':y='140+40*sin(3*t)':shortest=1",
        "-filter_complex",
        "[0:v]setpts=PTS-STARTPTS,scale=300:300,setsar=1[th];\
         [1:v][th]overlay=x=0:y=30:shortest=1,format=yuv420p",
        "-t",
        "2",
        "-an",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        s(&master),
    ]);
    // The talking head as composed: one face, left of the middle.
    let source = faces_seen(&master, (640, 360), 5);
    assert!(
        source.iter().all(|f| f.len() == 1 && f[0][2] < 0.5),
        "{source:?}"
    );
    let out = tall.dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&master),
        "--presets",
        s(&tall.presets),
        "-p",
        "tall",
        "--fit",
        "crop",
        "--focus",
        "auto",
        "--no-audio",
        "-o",
        s(&out),
        "--json",
    ]);
    let o = &r["outputs"][0];
    let video = PathBuf::from(o["path"].as_str().unwrap());
    for (i, faces) in faces_seen(&video, (360, 640), 5).iter().enumerate() {
        let t = f64::from(i as u32) / 5.0;
        let [x0, y0, x1, y1] = *faces
            .first()
            .unwrap_or_else(|| panic!("no face in the output at {t} s"));
        assert!(
            x0 >= 0.0 && y0 >= 0.0 && x1 <= 1.0 && y1 <= 1.0,
            "the face is cut at {t} s: {faces:?}"
        );
    }
    assert_eq!(o["focus"]["followed"], "faces", "{o}");
    assert_eq!(o["focus"]["faces"], 1, "{o}");
}

#[test]
fn rotated_source_is_shown_upright() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.mp4");
    box_clip(
        &plain,
        2,
        "drawbox=x=40:y=40:w=120:h=120:c=white:t=fill",
        &[],
    );
    let rotated = dir.path().join("rotated.mp4");
    let status = ffmpeg()
        .args(["-i"])
        .arg(&plain)
        .args(["-c", "copy", "-metadata:s:v:0", "rotate=90"])
        .arg(&rotated)
        .status()
        .unwrap();
    assert!(status.success());
    let rot = cutroom_json(&["probe", "--json", s(&rotated)]);
    assert_eq!(rot["files"][0]["streams"][0]["rotation_deg"], 90.0);
    let out = dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&rotated),
        "-p",
        "reels",
        "--no-audio",
        "-o",
        s(&out),
        "--json",
    ]);
    let video = PathBuf::from(r["outputs"][0]["path"].as_str().unwrap());
    assert_deliverable(&video, 1080, 1920, "30/1", 2.0, false);
    let ours = frame_at(&video, 1.0, &dir.path().join("ours.png"));
    // The oracle: the ffmpeg CLI shows the source upright (autorotate); scaled to the output.
    let upright = frame_at(&rotated, 1.0, &dir.path().join("upright.png"));
    assert_eq!((upright.width, upright.height), (360, 640));
    let (a, b) = (ours.bbox(white).unwrap(), upright.bbox(white).unwrap());
    let k = 1080.0 / 360.0;
    let scaled = [a.0, a.1, a.2, a.3].map(f64::from);
    let expected = [b.0, b.1, b.2, b.3].map(|v| f64::from(v) * k);
    for (o, e) in scaled.iter().zip(expected) {
        assert!(
            (o - e).abs() <= 6.0,
            "box {a:?} vs upright source {b:?} scaled x{k}"
        );
    }
}

#[test]
fn anamorphic_source_is_reframed_in_display_pixels() {
    // 1440x1080 stored, pixels 4:3 wide: 1920x1080 on screen (HDV). The white box is 405x540
    // stored, a 540x540 square on screen, in the middle.
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("hdv.mp4");
    lavfi_clip(
        &master,
        "color=c=0x3060C0:s=1440x1080:r=30:d=2,\
         drawbox=x=517:y=270:w=405:h=540:c=white:t=fill,setsar=4/3",
        None,
        &[],
    );
    let probe = cutroom_json(&["probe", "--json", s(&master)]);
    assert_eq!(probe["files"][0]["streams"][0]["sample_aspect"], "4/3");

    let out = dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&master),
        "-p",
        "square",
        "-p",
        "reels",
        "--fit",
        "pad",
        "--no-audio",
        "-o",
        s(&out),
        "--json",
    ]);
    let artifacts = artifact_dir("export");
    // square: 1920x1080 on screen fits as 1080x608, the box 540 x 1080/1920 = 304 each way.
    // reels: 1080x1920 padded the same way, the box again 304x304.
    for (i, (w, h)) in [(1080u32, 1080u32), (1080, 1920)].into_iter().enumerate() {
        let o = &r["outputs"][i];
        let video = PathBuf::from(o["path"].as_str().unwrap());
        let filter = o["filter"].as_str().unwrap();
        assert!(
            filter.starts_with("scale=1920:1080,setsar=1,"),
            "graph {filter}"
        );
        assert_deliverable(&video, w.into(), h.into(), "30/1", 2.0, false);
        let sar = ffprobe(&video)["streams"][0]["sample_aspect_ratio"].clone();
        assert!(
            sar.is_null() || sar == "1:1" || sar == "0:1",
            "{}: pixels not square: {sar}",
            video.display()
        );
        let name = format!("anamorphic_{}.png", o["preset"].as_str().unwrap());
        let f = frame_at(&video, 1.0, &artifacts.join(name));
        let (x0, y0, x1, y1) = f.bbox(white).expect("the box");
        let (bw, bh) = (f64::from(x1 - x0), f64::from(y1 - y0));
        assert!(
            (bw - 304.0).abs() <= 4.0 && (bh - 304.0).abs() <= 4.0,
            "{}: box {bw}x{bh}, expected a 304x304 square",
            video.display()
        );
        let (cx, cy) = (f64::from(x0 + x1) / 2.0, f64::from(y0 + y1) / 2.0);
        assert!(
            (cx - f64::from(w) / 2.0).abs() <= 2.0 && (cy - f64::from(h) / 2.0).abs() <= 2.0,
            "box centre {cx},{cy}"
        );
        // The picture band is 608 tall: blue from y = (h - 608) / 2, black above it.
        let top = (h - 608) / 2;
        assert!(f.mean(0, top - 8, w, top - 2).iter().all(|&c| c < 8.0));
        assert!(f.mean(0, top + 2, 100, top + 8)[2] > 150.0);
    }
}

#[test]
fn ten_bit_odd_sized_low_rate_input_is_conformed_and_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("master.mkv");
    marker_clip(
        &master,
        641,
        361,
        15,
        4.0,
        4.0,
        0.0,
        &["-s", "641x361", "-c:v", "ffv1", "-pix_fmt", "yuv420p10le"],
    );
    let p = ffprobe(&master);
    assert_eq!(p["streams"][0]["pix_fmt"], "yuv420p10le");
    assert_eq!(p["streams"][0]["width"], 641);
    let out = dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&master),
        "-p",
        "x",
        "-p",
        "square",
        "--fit",
        "crop",
        "-o",
        s(&out),
        "--json",
    ]);
    for (o, (w, h)) in r["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip([(1280, 720), (1080, 1080)])
    {
        // 15 fps is outside 23-60: the output runs at 30 fps, each frame shown twice.
        assert_eq!(o["frames"], 120);
        let path = PathBuf::from(o["path"].as_str().unwrap());
        assert_deliverable(&path, w, h, "30/1", 4.0, true);
        assert_in_sync(&path, 2);
    }
}

/// The mean of the per-frame mean luma of `path`.
fn mean_luma(path: &Path) -> f64 {
    let m = luma_means(path);
    assert!(!m.is_empty(), "{}: no frames", path.display());
    m.iter().map(|(_, y)| y).sum::<f64>() / m.len() as f64
}

#[test]
fn hdr_sources_are_tone_mapped_to_bt709_sdr() {
    let dir = tempfile::tempdir().unwrap();
    // An SDR picture, and the same picture in 10-bit BT.2020 HEVC as HLG and as PQ.
    let sdr = dir.path().join("sdr.mp4");
    lavfi_clip(
        &sdr,
        "testsrc2=s=640x360:r=30:d=2",
        None,
        &[
            "-color_primaries",
            "bt709",
            "-color_trc",
            "bt709",
            "-colorspace",
            "bt709",
        ],
    );
    let reference = mean_luma(&sdr);
    for (name, trc) in [("hlg", "arib-std-b67"), ("pq", "smpte2084")] {
        let hdr = dir.path().join(format!("{name}.mp4"));
        hdr_clip(&sdr, &hdr, trc);
        // probe reports the colour as ffprobe does.
        let p = cutroom_json(&["probe", "--json", s(&hdr)]);
        let v = &p["files"][0]["streams"][0];
        assert_eq!(v["pix_fmt"], "yuv420p10le");
        assert_eq!(v["color_primaries"], "bt2020", "{v}");
        assert_eq!(v["color_transfer"], trc, "{v}");
        assert_eq!(v["color_space"], "bt2020nc", "{v}");
        assert_eq!(v["color_range"], "tv", "{v}");
        let out = dir.path().join(format!("out-{name}"));
        let r = cutroom_json(&["export", s(&hdr), "-p", "youtube", "-o", s(&out), "--json"]);
        let o = &r["outputs"][0];
        assert!(o["filter"].as_str().unwrap().contains("tonemap="), "{o}");
        let path = PathBuf::from(o["path"].as_str().unwrap());
        assert_deliverable(&path, 1920, 1080, "30/1", 2.0, true);
        // What a viewer sees: neither washed out nor crushed, close to the SDR original.
        let y = mean_luma(&path);
        assert!(
            (y - reference).abs() < 0.15 * reference,
            "{name}: mean luma {y:.1}, the SDR original {reference:.1}"
        );
    }
}

#[test]
fn source_rates_within_23_to_60_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("m50.mp4");
    marker_clip(&master, 320, 180, 50, 2.0, 2.0, 0.0, &[]);
    let out = dir.path().join("out");
    let r = cutroom_json(&["export", s(&master), "-p", "x", "-o", s(&out), "--json"]);
    let o = &r["outputs"][0];
    assert_eq!(o["frame_rate"], "50/1");
    assert_eq!(o["frames"], 100);
    let path = PathBuf::from(o["path"].as_str().unwrap());
    assert_deliverable(&path, 1280, 720, "50/1", 2.0, true);
    assert_gop(&path, 2.0, 2.0);
    assert_in_sync(&path, 1);
}

#[test]
fn variable_rate_input_keeps_its_base_rate_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("vfr.mp4"); // 6 s, base rate 30/1, frames dropped
    let r = cutroom_json(&["export", s(&src), "-p", "x", "-o", s(dir.path()), "--json"]);
    let o = &r["outputs"][0];
    assert_eq!(o["frame_rate"], "30/1");
    assert_eq!(o["frames"], 180);
    let path = PathBuf::from(o["path"].as_str().unwrap());
    assert_deliverable(&path, 1280, 720, "30/1", 6.0, true);
    assert_in_sync(&path, marker_offsets_ms(&src).len());
}

#[test]
fn input_without_audio_gets_silence_or_no_track() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("no_audio.mp4");
    let r = cutroom_json(&["export", s(&src), "-p", "x", "-o", s(dir.path()), "--json"]);
    assert_eq!(r["outputs"][0]["audio"], "silence");
    let with = PathBuf::from(r["outputs"][0]["path"].as_str().unwrap());
    assert_deliverable(&with, 1280, 720, "30/1", 6.0, true);
    let m = ebur128(&with);
    let (integrated, peak) = (m.integrated, m.true_peak);
    assert!(integrated <= -70.0, "silence: {integrated} LUFS");
    assert!(peak < -70.0, "silence: peak {peak} dBTP");
    let bare = dir.path().join("bare");
    let r = cutroom_json(&[
        "export",
        s(&src),
        "-p",
        "x",
        "--no-audio",
        "-o",
        s(&bare),
        "--json",
    ]);
    assert_eq!(r["outputs"][0]["audio"], "none");
    assert_deliverable(
        Path::new(r["outputs"][0]["path"].as_str().unwrap()),
        1280,
        720,
        "30/1",
        6.0,
        false,
    );
}

#[test]
fn platform_duration_limits_warn_or_fail_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let presets = dir.path().join("presets.toml");
    std::fs::write(
        &presets,
        "[clip]\nbase = \"x\"\nplatform = \"Tiny\"\nwidth = 320\nheight = 180\nmax_duration_s = 5\n",
    )
    .unwrap();
    let src = fixture("marker_landscape_25.mp4"); // 6 s
    let out = dir.path().join("out");
    let args = [
        "export",
        s(&src),
        "--presets",
        s(&presets),
        "-p",
        "clip",
        "-o",
        s(&out),
    ];
    let run = cutroom_ok(&[&args[..], &["--json"]].concat());
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["outputs"][0]["platform"], "Tiny");
    assert_eq!(r["outputs"][0]["width"], 320);
    let warning = r["outputs"][0]["warnings"][0].as_str().unwrap();
    assert_eq!(warning, "6.0 s is longer than the 5 s limit of Tiny");
    assert!(String::from_utf8_lossy(&run.stderr).contains("warning"));

    let strict_out = dir.path().join("strict");
    let run = cutroom(&[
        "export",
        s(&src),
        "--presets",
        s(&presets),
        "-p",
        "clip",
        "-o",
        s(&strict_out),
        "--strict",
    ]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("preset `clip`") && err.contains("--strict"),
        "{err}"
    );
    assert!(
        !strict_out.exists(),
        "nothing is written on a refused export"
    );
}

/// A one-frame export for TikTok and Reels (which take nothing under 3 s) was written without
/// a word, while a long one was warned of; now it is warned of too, and refused with --strict.
#[test]
fn a_one_frame_export_is_warned_of_as_too_short_for_tiktok_and_reels() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("flash.mp4");
    lavfi_clip(
        &clip,
        "color=c=white:s=320x180:r=30,trim=end_frame=1",
        None,
        &[],
    );
    let out = d.join("out");
    let args = [
        "export",
        s(&clip),
        "-p",
        "tiktok",
        "-p",
        "reels",
        "-o",
        s(&out),
    ];
    let run = cutroom_ok(&[&args[..], &["--json"]].concat());
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let err = String::from_utf8_lossy(&run.stderr);
    for (i, platform) in ["TikTok", "Instagram Reels"].into_iter().enumerate() {
        let short = format!("0.033 s is shorter than the 3 s minimum of {platform}");
        assert_eq!(r["outputs"][i]["warnings"], serde_json::json!([short]));
        assert!(err.contains(&short), "{err}");
    }
    let strict = d.join("strict");
    let err = export_refused(&[s(&clip), "-p", "reels", "--strict"], &strict);
    assert!(
        err.contains("preset `reels`: 0.033 s is shorter than the 3 s minimum"),
        "{err}"
    );
}

/// A preset may build on one defined further down its file; bases that go round in a circle
/// are named as such, not as unknown.
#[test]
fn user_presets_build_on_presets_defined_later_and_cycles_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let presets = dir.path().join("presets.toml");
    std::fs::write(
        &presets,
        "[story]\nbase = \"small\"\nplatform = \"Story\"\n\n\
         [small]\nbase = \"x\"\nwidth = 320\nheight = 180\n",
    )
    .unwrap();
    let src = fixture("marker_landscape_25.mp4");
    let out = dir.path().join("out");
    let export = |presets: &Path| {
        cutroom(&[
            "export",
            s(&src),
            "--presets",
            s(presets),
            "-p",
            "story",
            "-o",
            s(&out),
            "--json",
        ])
    };
    let run = export(&presets);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["outputs"][0]["platform"], "Story");
    assert_eq!(
        (
            r["outputs"][0]["width"].as_u64(),
            r["outputs"][0]["height"].as_u64()
        ),
        (Some(320), Some(180))
    );

    let cycle = dir.path().join("cycle.toml");
    std::fs::write(
        &cycle,
        "[story]\nbase = \"small\"\n[small]\nbase = \"story\"\n",
    )
    .unwrap();
    let run = export(&cycle);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("cycle.toml") && err.contains("story -> small -> story"),
        "{err}"
    );
}

#[test]
fn user_presets_with_unknown_keys_and_unknown_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let presets = dir.path().join("presets.toml");
    std::fs::write(&presets, "[story]\nbase = \"reels\"\nfsp = 30\n").unwrap();
    let src = fixture("marker_landscape_25.mp4");
    let out = dir.path().join("out");
    let err = export_refused(&[s(&src), "--presets", s(&presets), "-p", "story"], &out);
    assert!(
        err.contains("presets.toml") && err.contains("unknown field `fsp`"),
        "{err}"
    );
    let run = cutroom(&["export", s(&src), "-p", "reel", "-o", s(&out)]);
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("unknown preset `reel`") && err.contains("reels"),
        "{err}"
    );
    let run = cutroom(&[
        "export",
        s(&src),
        "-p",
        "x",
        "--fit",
        "stretch",
        "-o",
        s(&out),
    ]);
    assert_eq!(run.status.code(), Some(2));
    assert!(!out.exists());
}

#[test]
fn bad_input_is_named_and_leaves_no_output() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["not_media.mp4", "truncated.mp4"] {
        let run = cutroom(&["export", s(&fixture(name)), "-p", "x", "-o", s(dir.path())]);
        assert_eq!(run.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(name), "{name}: {err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no partial output"
    );
}

#[test]
fn several_outputs_that_fail_are_headed_as_outputs_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let master = d.join("master.mp4");
    testsrc_with_sound(&master, 4, CLICKS, &[]);
    let presets = presets_file(
        d,
        "[wide]\nbase = \"x\"\nwidth = 320\nheight = 180\n\
         [tall]\nbase = \"x\"\nwidth = 180\nheight = 320\n",
    );
    let out = d.join("out");
    // Every output is larger than 50 kB: writing each fails, as on a full disk.
    let run = cutroom_with_file_limit(
        50,
        &[
            "export",
            s(&master),
            "--presets",
            s(&presets),
            "-p",
            "wide",
            "-p",
            "tall",
            "-o",
            s(&out),
        ],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("error: 2 outputs failed:\n"), "{err}");
    assert!(!err.contains("input"), "{err}");
    for preset in ["wide", "tall"] {
        let target = out.join(format!("master.{preset}.mp4"));
        assert!(err.contains(&format!("  {}: ", target.display())), "{err}");
    }
    assert!(err.contains("File too large"), "{err}");
    assert!(!out.exists(), "no partial output, no directory made for it");
}

#[test]
fn safe_zone_sheet_shows_each_vertical_output_with_its_ui_zones() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("box.mp4");
    box_clip(&master, 2, CENTRE_BOX, &[]);
    let sheet = artifact_dir("export").join("safe_zones_tiktok_reels.png");
    let out = dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&master),
        "-p",
        "tiktok",
        "-p",
        "reels",
        "-p",
        "square",
        "--no-audio",
        "-o",
        s(&out),
        "--safe-zones",
        s(&sheet),
        "--json",
    ]);
    assert_eq!(r["safe_zones"], s(&sheet));
    // TikTok and Reels share one encode: identical files.
    let a = std::fs::read(out.join("box.tiktok.mp4")).unwrap();
    let b = std::fs::read(out.join("box.reels.mp4")).unwrap();
    assert_eq!(a, b);
    let img = read_png(&sheet);
    // Two half-size 540x960 panels (square is not vertical), 24 px margins, a label row.
    assert_eq!(
        (img.width, img.height),
        (24 + 2 * (540 + 24), 24 + 40 + 960 + 24)
    );
    let panel_top = 24 + 40;
    for (i, bottom_zone) in [(0u32, 0.75), (1, 0.65)] {
        let x0 = 24 + i * (540 + 24);
        // Unshaded background (blurred, darkened blue) as the reference; zones are redder.
        let clear = img.at(x0 + 100, panel_top + 300);
        assert!(
            clear[2] > clear[0] + 60,
            "panel {i}: clear background {clear:?}"
        );
        let shaded = |p: [u8; 3]| p[0] >= clear[0].saturating_add(60);
        let zone_y = panel_top + (bottom_zone * 960.0) as u32 + 20;
        let (bottom, top) = (img.at(x0 + 270, zone_y), img.at(x0 + 270, panel_top + 10));
        assert!(shaded(bottom), "panel {i}: bottom zone shaded: {bottom:?}");
        assert!(shaded(top), "panel {i}: top zone shaded: {top:?}");
        // The middle of the frame is clear: the white box at the centre.
        assert!(
            white(img.at(x0 + 270, panel_top + 480)),
            "panel {i}: picture visible"
        );
    }
}

#[test]
fn outputs_meet_the_loudness_target() {
    let dir = tempfile::tempdir().unwrap();
    let master = dir.path().join("music.mp4");
    music_clip(&master, 320, 180);
    let out = dir.path().join("out");
    let r = cutroom_json(&[
        "export",
        s(&master),
        "-p",
        "reels",
        "-p",
        "x",
        "-o",
        s(&out),
        "--json",
    ]);
    for o in r["outputs"].as_array().unwrap() {
        let m = ebur128(Path::new(o["path"].as_str().unwrap()));
        let (integrated, peak) = (m.integrated, m.true_peak);
        assert!((integrated + 14.0).abs() <= 0.5, "{o}: {integrated} LUFS");
        assert!(peak <= -1.0, "{o}: true peak {peak} dBTP");
    }
}

/// Each preset's UI zones, from the built-in presets table.
fn ui_zones(preset: &str) -> Vec<[f64; 4]> {
    let table: toml::Table = include_str!("../src/export/presets.toml").parse().unwrap();
    table[preset]["ui_zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| {
            let v: Vec<f64> = z
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_float().unwrap())
                .collect();
            [v[0], v[1], v[2], v[3]]
        })
        .collect()
}

/// Bounding box of the pixels that differ between two frames, as fractions of the frame.
fn changed_box(a: &Rgb, b: &Rgb) -> Option<[f64; 4]> {
    let mut hit: Option<(u32, u32, u32, u32)> = None;
    for y in 0..a.height {
        for x in 0..a.width {
            let (p, q) = (a.at(x, y), b.at(x, y));
            if p.iter().zip(q).any(|(&u, v)| u.abs_diff(v) > 40) {
                let (x0, y0, x1, y1) = hit.unwrap_or((x, y, x + 1, y + 1));
                hit = Some((x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)));
            }
        }
    }
    let (w, h) = (f64::from(a.width), f64::from(a.height));
    hit.map(|(x0, y0, x1, y1)| {
        [
            f64::from(x0) / w,
            f64::from(y0) / h,
            f64::from(x1) / w,
            f64::from(y1) / h,
        ]
    })
}

fn overlaps(a: [f64; 4], z: [f64; 4]) -> bool {
    a[0] < z[2] && a[2] > z[0] && a[1] < z[3] && a[3] > z[1]
}

const CAPTIONS_SRT: &str = "1\n00:00:00,500 --> 00:00:01,800\nHELLO WORLD\n\n2\n00:00:02,000 --> 00:00:03,500\nSECOND CAPTION MUST WRAP ACROSS LINES\n";

#[test]
fn captions_are_read_on_their_frames_only_clear_of_ui_zones_with_sidecars() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=4", None, &[]);
    let srt = dir.path().join("words.srt");
    std::fs::write(&srt, CAPTIONS_SRT).unwrap();
    let out = dir.path().join("out");
    // No system font is reachable: the captions are drawn with the shipped font or not at all.
    let run = succeeded(
        cutroom_command()
            .env("FONTCONFIG_FILE", no_system_fonts(dir.path()))
            .args(["export", s(&clip), "-p", "tiktok", "-p", "reels", "-p", "x"])
            .args(["--captions", s(&srt), "-o", s(&out), "--json"]),
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let first = ["HELLO", "WORLD"];
    let second = ["SECOND", "CAPTION", "MUST", "WRAP", "ACROSS", "LINES"];
    for (i, preset) in ["tiktok", "reels", "x"].into_iter().enumerate() {
        let video = out.join(format!("clip.{preset}.mp4"));
        assert_eq!(
            report["outputs"][i]["sidecars"][0],
            s(&video.with_extension("srt"))
        );
        let png = |t: &str| dir.path().join(format!("{preset}-{t}.png"));
        let blank = frame_at(&video, 0.2, &png("0.2"));
        let all = [&first[..], &second[..]].concat();
        for (t, shown, hidden) in [
            (0.2, &[][..], &all[..]),
            (1.0, &first[..], &second[..]),
            (2.7, &second[..], &first[..]),
            (3.8, &[][..], &all[..]),
        ] {
            let frame = frame_at(&video, t, &png(&t.to_string()));
            let scratch = dir.path().join("ocr.pgm");
            if !assert_ocr(
                &frame,
                shown,
                hidden,
                &scratch,
                &format!("{preset} at {t} s"),
            ) {
                return;
            }
            if shown.is_empty() {
                continue;
            }
            let b = changed_box(&blank, &frame).expect("the caption changes the picture");
            assert!(
                b[0] > 0.0 && b[2] < 1.0 && b[3] < 1.0,
                "{preset} at {t} s: {b:?} runs off the frame"
            );
            for z in ui_zones(preset) {
                assert!(
                    !overlaps(b, z),
                    "{preset} at {t} s: caption {b:?} under UI zone {z:?}"
                );
            }
        }
        let sidecar = std::fs::read_to_string(video.with_extension("srt")).unwrap();
        assert_eq!(sidecar, format!("{CAPTIONS_SRT}\n"));
        let vtt = std::fs::read_to_string(video.with_extension("vtt")).unwrap();
        assert!(
            vtt.starts_with("WEBVTT\n\n00:00:00.500 --> 00:00:01.800\nHELLO WORLD\n"),
            "{vtt}"
        );
    }
}

#[test]
fn word_times_light_each_word_as_it_is_spoken() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=3", None, &[]);
    let vtt = dir.path().join("words.vtt");
    std::fs::write(
        &vtt,
        "WEBVTT\n\n00:00.500 --> 00:02.500\nONE <00:00:01.000>TWO <00:00:01.500>THREE\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    cutroom_json(&[
        "export",
        s(&clip),
        "-p",
        "x",
        "--captions",
        s(&vtt),
        "-o",
        s(&out),
        "--json",
    ]);
    let video = out.join("clip.x.mp4");
    // The highlight (#FFD400) moves left to right with the words.
    let lit = |t: f64| {
        let f = frame_at(&video, t, &dir.path().join(format!("{t}.png")));
        f.bbox(|p| p[0] > 200 && p[1] > 170 && p[1] < 240 && p[2] < 90)
            .map(|(x0, _, x1, _)| f64::from(x0 + x1) / 2.0)
    };
    let (one, two, three) = (lit(0.7).unwrap(), lit(1.2).unwrap(), lit(2.0).unwrap());
    assert!(
        one < two && two < three,
        "highlight centres {one} {two} {three}"
    );
    assert_eq!(lit(2.7), None, "nothing lit after the cue");
}

/// A text overlay or logo that would never be seen (it starts after the output ends, or ends
/// before it starts) is a typo in the times: one error naming the overlays file and the entry
/// (a text by its number, from 1, as for any other mistake in an entry of the file), nothing
/// written.
#[test]
fn overlays_timed_out_of_the_output_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=2", None, &[]);
    let logo = dir.path().join("logo.png");
    still(&logo, "color=c=red:s=64x32");
    let out = dir.path().join("out");
    for (name, toml, what) in [
        (
            "late",
            "[[text]]\ntext = \"Sale\"\nstart = 10.0\n".to_string(),
            "text 1 starts at 10.000 s, past the end of the output (2.000 s)",
        ),
        (
            "backwards",
            "[[text]]\ntext = \"Hi\"\n[[text]]\ntext = \"Sale\"\nstart = 1.5\nend = 0.5\n"
                .to_string(),
            "text 2 ends at 0.500 s, not after it starts (1.500 s)",
        ),
        (
            "placed",
            "[[text]]\ntext = \"Hi\"\n[[text]]\ntext = \"Sale\"\nposition = \"side\"\n".to_string(),
            "placed.toml: text 2: position = \"side\": expected top, center",
        ),
        (
            "misspelt",
            "[[text]]\ntext = \"Hi\"\n[[text]]\ntext = \"Sale\"\nstyle = { sise = 0.1 }\n"
                .to_string(),
            "misspelt.toml:5:11: text 2: style.sise: unknown field `sise`",
        ),
        (
            "late_logo",
            format!("[logo]\nfile = \"{}\"\nstart = \"90f\"\n", s(&logo)),
            "logo starts at 3.000 s, past the end of the output (2.000 s)",
        ),
    ] {
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, toml).unwrap();
        let err = export_refused(&[s(&clip), "-p", "x", "--overlays", s(&file)], &out);
        assert!(err.contains(what), "{name}: {err}");
        let named = format!("cutroom: error: {}", file.display());
        assert!(err.starts_with(&named), "{name}: {err}");
    }
}

/// A re-run without captions or `--cover` leaves no caption sidecars or cover of the earlier
/// run beside its output (a user would upload them with it), and touches nothing else: not
/// another output's, not a file that only looks like one.
#[test]
fn a_rerun_without_captions_or_cover_removes_the_earlier_runs_sidecars_and_cover_of_its_outputs_only(
) {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=1", None, &[]);
    let srt = dir.path().join("words.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:00,500\nHI\n").unwrap();
    let out = dir.path().join("out");
    let (x, square) = (["-p", "x"], ["-p", "square"]);
    let run = ["export", s(&clip), "-o", s(&out), "--json"];
    let extras = ["--captions", s(&srt), "--cover", "auto"];
    cutroom_json(&[&run[..], &x, &square, &extras].concat());
    std::fs::write(out.join("clip.x.srt.txt"), "a user's notes").unwrap();
    let report = cutroom_json(&[&run[..], &x].concat());
    assert_eq!(report["outputs"][0]["sidecars"], serde_json::json!([]));
    assert_eq!(report["outputs"][0]["cover"], serde_json::Value::Null);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "clip.square.jpg",
            "clip.square.mp4",
            "clip.square.srt",
            "clip.square.vtt",
            "clip.x.mp4",
            "clip.x.srt.txt"
        ]
    );
}

/// Rolling captions (each cue still shown when the next begins, as YouTube writes them) and a
/// last cue a little past the video's end are taken, each cue cut where the next begins or
/// where the video ends, with a warning naming the file.
#[test]
fn overlapping_cues_end_where_the_next_begins_and_the_last_at_the_video_end() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=2", None, &[]);
    let srt = dir.path().join("rolling.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,000 --> 00:00:01,000\nONE\n\n2\n00:00:00,500 --> 00:00:01,500\nTWO\n\n\
         3\n00:00:01,200 --> 00:00:02,040\nTHREE\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "-p",
        "x",
        "--captions",
        s(&srt),
        "-o",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!(
            "{}: 2 cue(s) overlap the next; each now ends where the next begins",
            s(&srt)
        )),
        "{err}"
    );
    assert!(
        err.contains("1 cue(s) run past the end of the video; each now ends there"),
        "{err}"
    );
    // The deliverable's sidecar shows the cues as burnt in.
    let sidecar = std::fs::read_to_string(out.join("clip.x.srt")).unwrap();
    for times in [
        "00:00:00,000 --> 00:00:00,500",
        "00:00:00,500 --> 00:00:01,200",
        "00:00:01,200 --> 00:00:02,000",
    ] {
        assert!(sidecar.contains(times), "{times} in {sidecar}");
    }
}

/// A `<` or `{` that starts no SubRip markup (`<3`, `{laughs}`) is text: it used to open a
/// tag that swallowed the rest of the line, burning in and writing out only "WE".
#[test]
fn srt_text_with_a_less_than_sign_or_braces_is_burnt_in_whole() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=2", None, &[]);
    let srt = dir.path().join("love.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,000 --> 00:00:02,000\n<b>WE</b> <3 CATS {LOUDLY}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    cutroom_ok(&[
        "export",
        s(&clip),
        "-p",
        "x",
        "--captions",
        s(&srt),
        "-o",
        s(&out),
    ]);
    let sidecar = std::fs::read_to_string(out.join("clip.x.srt")).unwrap();
    assert!(sidecar.contains("\nWE <3 CATS {LOUDLY}\n"), "{sidecar}");
    let vtt = std::fs::read_to_string(out.join("clip.x.vtt")).unwrap();
    assert!(vtt.contains("\nWE &lt;3 CATS {LOUDLY}\n"), "{vtt}");
    let frame = frame_at(&out.join("clip.x.mp4"), 1.0, &dir.path().join("f.png"));
    assert_ocr(
        &frame,
        &["WE", "CATS", "LOUDLY"],
        &[],
        &dir.path().join("ocr.pgm"),
        "at 1 s",
    );
}

/// Characters the shipped font cannot draw (Hangul, emoji) came out as empty boxes without a
/// word; the file and the first line with one are named, and the characters listed once each.
/// Japanese, boxes too before, is drawn with VL Gothic (fonts-vlgothic, make deps) in captions,
/// a text overlay and a card, a long line wrapped between its letters: all read back.
#[test]
fn caption_characters_the_font_cannot_draw_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=5", None, &[]);
    let srt = dir.path().join("ja.srt");
    // Thai ("hello, welcome") came out as empty boxes, warned of as Hangul is: DejaVu Sans has no
    // Thai; it is now drawn with the Thai fallback font (Loma, make deps), no system font.
    let thai = "\u{e2a}\u{e27}\u{e31}\u{e2a}\u{e14}\u{e35}\u{e04}\u{e23}\u{e31}\u{e1a} \
                \u{e22}\u{e34}\u{e19}\u{e14}\u{e35}\u{e15}\u{e49}\u{e2d}\u{e19}\u{e23}\u{e31}\u{e1a}";
    // Hindi ("hello world") too, now with Lohit Devanagari (fonts-lohit-deva, make deps).
    let hindi =
        "\u{928}\u{92e}\u{938}\u{94d}\u{924}\u{947} \u{926}\u{941}\u{928}\u{93f}\u{92f}\u{93e}";
    // Japanese, with no spaces: too long for a line, it wraps between letters.
    let japanese = "今日はいい天気ですね。散歩に行きましょう、公園まで歩いて十五分です。";
    let (title, thanks) = ("新商品のお知らせ", "ご視聴ありがとうございました");
    let overlays = dir.path().join("ja.toml");
    std::fs::write(
        &overlays,
        format!("[[text]]\ntext = \"{title}\"\nposition = \"top\"\nstart = 4\nend = 5\n"),
    )
    .unwrap();
    std::fs::write(
        &srt,
        format!(
            "1\n00:00:00,000 --> 00:00:01,000\nCaf\u{e9} \u{5e9}\u{5dc}\u{5d5}\u{5dd}\n\n\
             2\n00:00:01,000 --> 00:00:02,000\n\u{c548}\u{b155} \u{1f525}\u{fe0f}\u{c548}\n\n\
             3\n00:00:02,000 --> 00:00:03,000\n{thai}\n\n\
             4\n00:00:03,000 --> 00:00:04,000\n{hindi}\n\n\
             5\n00:00:04,000 --> 00:00:05,000\n{japanese}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = succeeded(
        cutroom_command()
            .env("FONTCONFIG_FILE", no_system_fonts(dir.path()))
            .args([
                "export",
                s(&clip),
                "-p",
                "x",
                "--captions",
                s(&srt),
                "--overlays",
                s(&overlays),
                "--end-card",
                &format!("text = \"{thanks}\", duration = 1"),
                "-o",
                s(&out),
            ]),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    let warning = format!(
        "{}: line 6: 3 character(s) the caption font (DejaVu Sans) has no glyph for, drawn as \
         empty boxes unless a system font has them: \u{c548} \u{b155} \u{1f525}\n",
        s(&srt)
    );
    assert!(err.contains(&warning), "{err}");
    assert_eq!(err.matches("no glyph").count(), 1, "{err}");
    let frame = frame_at(&out.join("clip.x.mp4"), 2.5, &dir.path().join("thai.png"));
    let read = tesseract(
        &frame,
        &dir.path().join("thai.pgm"),
        &["-l", "tha", "--psm", "6"],
    );
    // Tesseract's Thai model is tesseract-ocr-tha (make deps).
    let read: String = read.expect("tesseract").split_whitespace().collect();
    assert_eq!(read, thai.replace(' ', ""), "the Thai caption reads back");
    let frame = frame_at(&out.join("clip.x.mp4"), 3.5, &dir.path().join("hindi.png"));
    // Tesseract's Hindi model is tesseract-ocr-hin (make deps).
    let read = tesseract(
        &frame,
        &dir.path().join("hindi.pgm"),
        &["-l", "hin", "--psm", "6"],
    );
    let read: String = read.expect("tesseract").split_whitespace().collect();
    assert_eq!(read, hindi.replace(' ', ""), "the Hindi caption reads back");
    // Tesseract's Japanese model is tesseract-ocr-jpn (make deps).
    let jpn = |at: f64, name: &str| {
        let frame = frame_at(
            &out.join("clip.x.mp4"),
            at,
            &dir.path().join(format!("{name}.png")),
        );
        let read = tesseract(
            &frame,
            &dir.path().join(format!("{name}.pgm")),
            &["-l", "jpn", "--psm", "6"],
        );
        let read = read.expect("tesseract");
        let lines: Vec<String> = (read.lines())
            .map(|l| l.split_whitespace().collect())
            .filter(|l: &String| !l.is_empty())
            .collect();
        lines
    };
    // The overlay at the top, the caption in two lines at the bottom.
    let read = jpn(4.5, "japanese");
    assert_eq!(read.len(), 3, "{read:?}");
    assert_eq!(
        (read[0].as_str(), read[1..].concat()),
        (title, japanese.to_string())
    );
    assert_eq!(
        jpn(5.5, "card"),
        [thanks],
        "the Japanese end card reads back"
    );
}

/// A text overlay's or a title card's Hangul or emoji came out as empty boxes without a word (only
/// caption files were checked); each is named as captions are: the file and overlay, or the
/// option, and the characters.
#[test]
fn overlay_and_card_characters_the_font_cannot_draw_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=1", None, &[]);
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"Plain\"\n[[text]]\ntext = \"Sale \u{d55c}\u{ad6d}\"\n",
    )
    .unwrap();
    let card = "text = \"\u{1f525} Hot\", duration = 0.5";
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&small_preset(d)),
        "-p",
        "small",
        "--overlays",
        s(&overlays),
        "--title-card",
        card,
        "-o",
        s(&d.join("out")),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    let lacks = "the caption font (DejaVu Sans) has no glyph for, drawn as empty boxes unless a \
                 system font has them";
    for warning in [
        format!(
            "{}: text 2: 2 character(s) {lacks}: \u{d55c} \u{ad6d}\n",
            s(&overlays)
        ),
        format!("--title-card: 1 character(s) {lacks}: \u{1f525}\n"),
    ] {
        assert!(err.contains(&warning), "{warning} not in {err}");
    }
    assert!(!err.contains("text 1"), "{err}");
}

#[test]
fn bad_caption_files_are_named_with_their_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=2", None, &[]);
    let out = dir.path().join("out");
    for (name, text, line, what) in [
        (
            "order.srt",
            "1\n00:00:01,000 --> 00:00:01,500\nA\n\n2\n00:00:00,500 --> 00:00:00,900\nB\n",
            6,
            "cues must be in time order",
        ),
        (
            "together.srt",
            "1\n00:00:01,000 --> 00:00:01,500\nA\n\n2\n00:00:01,000 --> 00:00:01,500\nB\n",
            6,
            "the cue starts at the same time as the previous one (1.000 s): one cue is shown at \
             a time; put both texts in one cue",
        ),
        (
            "late.vtt",
            "WEBVTT\n\n00:02.500 --> 00:03.000\nLate\n",
            3,
            "at or past the end of the video (2.000 s)",
        ),
        (
            "broken.srt",
            "1\n00:00:00,000 --> 00:00:00,500\nA\n\n2\n00:00:00,500 -> 00:00:01,000\nB\n",
            6,
            "found '00:00:00,500 -> 00:00:01,000': the arrow between the times is two hyphens",
        ),
        (
            "zero.srt",
            "1\n00:00:00,000 --> 00:00:01,000\nA\n\n2\n00:00:01,000 --> 00:00:01,000\nB\n",
            6,
            "the cue ends as it starts (1.000 s): it lasts no time",
        ),
        (
            "backwards.vtt",
            "WEBVTT\n\n00:01.500 --> 00:01.000\nB\n",
            3,
            "the cue ends at 1.000 s, before it starts (1.500 s)",
        ),
        (
            "karaoke.ass",
            "[Events]\nFormat: Start, End, Text\nDialogue: 0:00:00.00,0:00:01.00,{\\kx}A\n",
            3,
            "karaoke",
        ),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let err = export_refused(&[s(&clip), "-p", "x", "--captions", s(&file)], &out);
        assert!(
            err.contains(s(&file)) && err.contains(&format!("line {line}:")) && err.contains(what),
            "{name}: {err}"
        );
    }
}

#[test]
fn overlays_file_places_and_times_a_logo_given_by_logo_and_a_title() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=3", None, &[]);
    still(
        &d.join("logo.png"),
        "color=c=magenta:s=96x48,format=rgba,pad=128:64:16:8:color=black@0",
    );
    // --logo wins over the table's file, which it places and times (--logo replaced the
    // whole table: a full, top-right logo over the whole video, silently). The table's own
    // image is not there: it is not the one drawn, so it is not looked for (it was refused,
    // `overlays.toml: logo.file .../house.png: no such file`).
    std::fs::write(
        d.join("overlays.toml"),
        "[logo]\nfile = \"house.png\"\ncorner = \"bottom-left\"\nopacity = 0.5\nstart = 1\nend = 2\n\n[[text]]\ntext = \"TITLE\"\nend = 1\nstyle = { size = 0.08 }\n",
    )
    .unwrap();
    let out = d.join("out");
    cutroom_json(&[
        "export",
        s(&clip),
        "-p",
        "x",
        "--overlays",
        s(&d.join("overlays.toml")),
        "--logo",
        s(&d.join("logo.png")),
        "-o",
        s(&out),
        "--json",
    ]);
    let video = out.join("clip.x.mp4");
    // Half-opaque magenta over the blue background: red ~(255+48)/2, green ~96/2, blue ~(255+192)/2.
    let logo = |f: &Rgb| f.bbox(|p| (130..200).contains(&p[0]) && p[1] < 80 && p[2] > 190);
    for (t, title, shown) in [(0.5, true, false), (1.5, false, true), (2.5, false, false)] {
        let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
        match logo(&frame) {
            Some((x0, y0, x1, y1)) => {
                assert!(shown, "logo at {t} s");
                // Its transparent border leaves the background as it is.
                let border = frame.at(x0 - 20, y1 + 10);
                assert!(
                    border
                        .iter()
                        .zip([48, 96, 192])
                        .all(|(&c, b)| c.abs_diff(b) < 12),
                    "the logo's transparent border shows {border:?}"
                );
                assert!(
                    x0 < 100 && y1 > 600 && x1 - x0 >= 165 && y1 - y0 >= 80,
                    "logo box {:?}",
                    (x0, y0, x1, y1)
                );
            }
            None => assert!(!shown, "no logo at {t} s"),
        }
        let Some(words) = ocr_words(&frame, &d.join("ocr.pgm")) else {
            return;
        };
        assert_eq!(
            words.contains(&"TITLE".to_string()),
            title,
            "at {t} s: {words:?}"
        );
    }
}

/// A logo in a bottom corner sat in the caption band, drawn over the captions' last words
/// (Reels: above the bottom zone, where the captions go); it now keeps clear of them.
#[test]
fn a_bottom_corner_logo_keeps_clear_of_the_captions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=2", None, &[]);
    still(&d.join("logo.png"), "color=c=red:s=200x100");
    std::fs::write(
        d.join("overlays.toml"),
        "[logo]\nfile = \"logo.png\"\ncorner = \"bottom-right\"\n",
    )
    .unwrap();
    let srt = d.join("words.srt");
    std::fs::write(
        &srt,
        "1\n00:00:01,000 --> 00:00:02,000\nSecond caption must wrap across lines\n",
    )
    .unwrap();
    let out = d.join("out");
    cutroom_ok(
        &[
            "export",
            s(&clip),
            "-p",
            "reels",
            "-p",
            "youtube",
            "--captions",
            s(&srt),
        ]
        .into_iter()
        .chain(["--overlays", s(&d.join("overlays.toml")), "-o", s(&out)])
        .collect::<Vec<_>>(),
    );
    // A logo placed by x and y over the captions was drawn over them, hiding their words:
    // it is refused, naming both.
    let xy = d.join("xy.toml");
    std::fs::write(&xy, "[logo]\nfile = \"logo.png\"\nx = 0.3\ny = 0.8\n").unwrap();
    let args = ["-p", "youtube", "--captions", s(&srt), "--overlays", s(&xy)];
    let err = export_refused(&[&[s(&clip)], &args[..]].concat(), &d.join("refused"));
    assert!(
        err.contains(&format!(
            "{}: the logo at x = 0.3, y = 0.8 covers the captions on the 1920x1080 output",
            s(&xy)
        )),
        "{err}"
    );
    // Placed there on TikTok, without captions, it lies in the bottom UI zone: drawn where
    // asked, with a warning (there was none). Each warning, this one and the 2 s clip's over
    // a 1 s limit, is said once on stderr (they were said twice) and kept in the report.
    let presets = presets_file(
        d,
        "[tall]\nbase = \"tiktok\"\nwidth = 360\nheight = 640\nmax_duration_s = 1\n",
    );
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&presets),
        "-p",
        "tall",
        "--overlays",
        s(&xy),
        "-o",
        s(&d.join("zone")),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let warning = format!(
        "{}: the logo at x = 0.3, y = 0.8 is under a UI zone of the 360x640 output",
        s(&xy)
    );
    let warnings = report["outputs"][0]["warnings"].as_array().unwrap();
    let limit = "2.0 s is longer than the 1 s limit of TikTok";
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(warnings[0], limit, "{warnings:?}");
    assert!(
        warnings[1].as_str().unwrap().starts_with(&warning),
        "{warnings:?}"
    );
    let err = String::from_utf8_lossy(&run.stderr);
    let output = d.join("zone").join("clip.tall.mp4");
    for said in [
        format!("cutroom: warning: {}: {limit}\n", s(&output)),
        format!("cutroom: warning: {warning}"),
    ] {
        assert_eq!(err.matches(&said).count(), 1, "{said}: {err}");
    }
    assert_eq!(err.matches("warning").count(), 2, "{err}");
    for preset in ["reels", "youtube"] {
        let video = out.join(format!("clip.{preset}.mp4"));
        let red = |p: [u8; 3]| p[0] > 200 && p[1] < 60 && p[2] < 60;
        let logo = frame_at(&video, 0.5, &d.join("logo.png.png"))
            .bbox(red)
            .unwrap();
        let frame = frame_at(&video, 1.5, &d.join(format!("{preset}.png")));
        assert_eq!(frame.bbox(red), Some(logo), "{preset}: the logo stays put");
        let text = frame.bbox(white).unwrap();
        assert!(
            text.3 < logo.1 || text.1 > logo.3 || text.2 < logo.0 || text.0 > logo.2,
            "{preset}: captions {text:?} under the logo {logo:?}"
        );
        let words = ["SECOND", "CAPTION", "MUST", "WRAP", "ACROSS", "LINES"];
        if !assert_ocr(&frame, &words, &[], &d.join("ocr.pgm"), preset) {
            return;
        }
    }
}

/// A logo much taller than wide, scaled to its `width`, was taller than the frame: it covered
/// TikTok's top bar and caption zone, and YouTube's whole height. It now fits between them.
/// The runs of rows of `f` holding white pixels in `[y0, y1)`, gaps under 3 rows bridged: the
/// lines of text on a dark picture.
fn text_lines(f: &Rgb, y0: u32, y1: u32) -> Vec<[u32; 2]> {
    let mut lines: Vec<[u32; 2]> = Vec::new();
    for y in y0..y1 {
        if !(0..f.width).any(|x| white(f.at(x, y))) {
            continue;
        }
        match lines.last_mut() {
            Some(l) if y <= l[1] + 3 => l[1] = y,
            _ => lines.push([y, y]),
        }
    }
    lines
}

/// All-caps captions were broken at `max_chars` as if every letter were of average width: a
/// line of capitals wider than the band was wrapped again by libass, so a cue of two lines
/// showed three, the third above the band, into a bottom logo placed clear of two. Lines are
/// now broken by the font's real advances: every page keeps to `max_lines` inside its band.
#[test]
fn all_caps_captions_keep_to_max_lines_clear_of_a_bottom_logo() {
    let tall = Tall::new("color=c=black:s=360x640:r=30:d=2", (360, 640));
    let d = tall.dir.path();
    still(&d.join("logo.png"), "color=c=red:s=200x100");
    std::fs::write(
        d.join("overlays.toml"),
        "[logo]\nfile = \"logo.png\"\ncorner = \"bottom-right\"\nwidth = 0.25\n",
    )
    .unwrap();
    let srt = d.join("shout.srt");
    let words = "WOW WHAT A MOMENT WE HAD DOWN HOME WITH MOM AND DAD";
    std::fs::write(&srt, format!("1\n00:00:00,000 --> 00:00:02,000\n{words}\n")).unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&[
        "--captions",
        s(&srt),
        "--overlays",
        s(&d.join("overlays.toml")),
        "-o",
        s(&out),
    ]));
    let video = out.join("clip.tall.mp4");
    ff(&["-i", s(&video), "-vf", "fps=5", s(&d.join("f%02d.png"))]);
    let red = |p: [u8; 3]| p[0] > 200 && p[1] < 60 && p[2] < 60;
    let mut read = Vec::new();
    for k in 1..=10 {
        let frame = read_png(&d.join(format!("f{k:02}.png")));
        let logo = frame.bbox(red).expect("the logo");
        // Reels' bottom 35 % and 6 % sides are UI.
        let lines = text_lines(&frame, 0, 416);
        assert!(
            (1..=2).contains(&lines.len()),
            "frame {k}: {} lines of caption at rows {lines:?}, max_lines is 2",
            lines.len()
        );
        let text = frame.bbox(white).unwrap();
        assert!(
            text.0 >= 22 && text.2 <= 338 && text.3 < 416,
            "frame {k}: the caption {text:?} is out of the band"
        );
        assert!(
            text.3 < logo.1 || text.1 > logo.3 || text.2 < logo.0 || text.0 > logo.2,
            "frame {k}: caption {text:?} under the logo {logo:?}"
        );
        match ocr_words(&frame, &d.join("ocr.pgm")) {
            Some(w) => read.extend(w),
            None => return,
        }
    }
    for w in words.split(' ').filter(|w| w.len() > 1) {
        assert!(read.iter().any(|r| r == w), "{w} never read in {read:?}");
    }
}

/// A 120x40 logo was scaled to 18 % of a 1080-wide frame, 1.6 times its pixels, soft, and
/// nothing was said; each output it is enlarged on over 1.5 times now warns, naming the file,
/// its size, the size drawn (the size seen in the decoded frame) and the size that is sharp.
#[test]
fn a_small_logo_enlarged_past_its_pixels_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=1", None, &[]);
    let logo = d.join("logo.png");
    still(&logo, "color=c=red:s=120x40");
    // A 1080x1920 output draws it 194 pixels wide; a 360x640 one 66 (smaller: sharp).
    let presets = presets_file(
        d,
        "[big]\nbase = \"reels\"\nmin_duration_s = 0\n\n\
         [small]\nbase = \"reels\"\nwidth = 360\nheight = 640\nmin_duration_s = 0\n",
    );
    let out = d.join("out");
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&presets),
        "-p",
        "big",
        "-p",
        "small",
        "--logo",
        s(&logo),
        "-o",
        s(&out),
        "--json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let warning = format!(
        "the logo {} (120x40 pixels) is enlarged 1.6 times to 194x66 on the 1080x1920 output \
         and will look soft: give an image of 194x66 pixels or more, or draw this one at 180x60 \
         at most ([logo] width = 0.166)",
        s(&logo)
    );
    let big = &report["outputs"][0];
    assert_eq!(big["warnings"], serde_json::json!([warning]));
    assert_eq!(report["outputs"][1]["warnings"], serde_json::json!([]));
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(err.matches("will look soft").count(), 1, "{err}");
    assert!(
        err.contains(&format!("cutroom: warning: {warning}\n")),
        "{err}"
    );
    // Drawn at the size said, in the graph and in the decoded picture (within the edge the
    // chroma's half resolution softens).
    assert!(
        big["filter"].as_str().unwrap().contains("scale=194:66,"),
        "{}",
        big["filter"]
    );
    let frame = frame_at(&out.join("clip.big.mp4"), 0.5, &d.join("big.png"));
    let (x0, y0, x1, y1) = frame
        .bbox(|p| p[0] > 180 && p[1] < 90 && p[2] < 90)
        .expect("the logo");
    assert!(
        (x1 - x0).abs_diff(194) <= 2 && (y1 - y0).abs_diff(66) <= 2,
        "the logo is drawn {}x{}",
        x1 - x0,
        y1 - y0
    );
}

#[test]
fn a_tall_logo_fits_between_the_top_and_bottom_ui_zones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=1", None, &[]);
    still(&d.join("logo.png"), "color=c=red:s=40x400");
    let out = d.join("out");
    cutroom_ok(&[
        "export",
        s(&clip),
        "-p",
        "tiktok",
        "-p",
        "youtube",
        "--logo",
        s(&d.join("logo.png")),
        "-o",
        s(&out),
    ]);
    for (preset, top, bottom) in [("tiktok", 0.08, 0.75), ("youtube", 0.0, 1.0)] {
        let frame = frame_at(
            &out.join(format!("clip.{preset}.mp4")),
            0.5,
            &d.join(format!("{preset}.png")),
        );
        let (_, y0, _, y1) = frame
            .bbox(|p| p[0] > 200 && p[1] < 60 && p[2] < 60)
            .unwrap();
        let h = f64::from(frame.height);
        assert!(
            f64::from(y0) > top * h && f64::from(y1) < bottom * h - 1.0 && y1 - y0 > 400,
            "{preset}: the logo spans rows {y0}-{y1} of {h}"
        );
    }
}

/// A text overlay of eight lines at `size = 0.08` (8 characters a line, so the width does not
/// make it smaller) ran from below Reels' top zone into its bottom 35 %; it is drawn smaller until its lines fit between the two, as a tall card is.
#[test]
fn a_tall_text_overlay_is_drawn_smaller_to_fit_between_the_ui_zones() {
    let tall = Tall::new("color=c=black:s=360x640:r=30:d=1", (360, 640));
    let d = tall.dir.path();
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"ALPHA\\nBRAVO\\nCHARLIE\\nDELTA\\nECHO\\nFOXTROT\\nGOLF\\nHOTEL\"\n\
         position = \"top\"\nstyle = { size = 0.08, max_chars = 8 }\n",
    )
    .unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&["--overlays", s(&overlays), "-o", s(&out)]));
    let frame = frame_at(&out.join("clip.tall.mp4"), 0.5, &d.join("f.png"));
    let (_, y0, _, y1) = frame.bbox(white).expect("the text is drawn");
    assert!(
        f64::from(y0) >= 0.14 * 640.0 && f64::from(y1) <= 0.65 * 640.0,
        "the text spans rows {y0}-{y1}, not between Reels' zones (90-416)"
    );
    assert_eq!(text_lines(&frame, 0, 640).len(), 8);
    assert_ocr(&frame, &["ALPHA", "HOTEL"], &[], &d.join("ocr.pgm"), "tall");
    // Text that would only fit under the smallest readable size (12 pixels a line here, a
    // thirtieth of the 360-pixel width) is refused, naming the file, the overlay and the text,
    // not shrunk until it cannot be read.
    let words = "Free shipping on every order this week only. ".repeat(30);
    std::fs::write(
        &overlays,
        format!("[[text]]\ntext = \"{words}\"\nposition = \"top\"\nstyle = {{ size = 0.06 }}\n"),
    )
    .unwrap();
    let refused = d.join("refused");
    // `export_refused` says `export` itself.
    let args = tall.args(&["--overlays", s(&overlays)]);
    let err = export_refused(&args[1..], &refused);
    assert!(
        err.contains(&format!(
            "{}: text 1 (\"Free shipping on every order this week...\")",
            s(&overlays)
        )) && err.contains("smallest readable size (0.019 of the frame height, 12 pixels a line)"),
        "{err}"
    );
}

/// Captions and an overlay with `max_chars = 80` shrank their font until 80 characters fit a
/// line: 12 pixels a line on 720x1280, half the smallest readable size (a thirtieth of the
/// shorter side, 24 pixels here) that overlays too long for their room keep. The font now
/// stays at that size and the text wraps into more lines.
#[test]
fn many_characters_a_line_keep_captions_and_overlays_at_a_readable_size() {
    let tall = Tall::new("color=c=black:s=720x1280:r=30:d=1", (720, 1280));
    let d = tall.dir.path();
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[captions]\nmax_chars = 80\n\n[[text]]\ntext = \"FREE SHIPPING ON EVERY ORDER THIS WEEK\"\n\
         position = \"top\"\nstyle = { max_chars = 80 }\n",
    )
    .unwrap();
    let srt = d.join("long.srt");
    let words = "WE SHIP EVERY ORDER TODAY AND TOMORROW FROM OUR NEW HOME";
    std::fs::write(&srt, format!("1\n00:00:00,000 --> 00:00:01,000\n{words}\n")).unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&[
        "--captions",
        s(&srt),
        "--overlays",
        s(&overlays),
        "-o",
        s(&out),
    ]));
    let frame = frame_at(&out.join("clip.tall.mp4"), 0.5, &d.join("f.png"));
    // Capitals stand 0.626 of the line height: 15 pixels at 24.
    let lines = text_lines(&frame, 0, 1280);
    assert!(lines.len() >= 3, "overlay and caption lines: {lines:?}");
    for l in &lines {
        assert!(
            l[1] - l[0] + 1 >= 14,
            "capitals at rows {l:?}, under 24 pixels a line"
        );
    }
    let shown: Vec<&str> = words.split(' ').chain(["FREE", "SHIPPING"]).collect();
    assert_ocr(&frame, &shown, &[], &d.join("ocr.pgm"), "tall");
}

/// Six lines of captions at `size = 0.2` stood 1.2 frames high on 16:9: the first line ran
/// off the top, unread. The band is now drawn smaller to fit between the UI zones, down to
/// the smallest readable size; more lines than fit there are refused.
#[test]
fn a_caption_band_taller_than_the_frame_is_drawn_smaller_not_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=1", None, &[]);
    let overlays = d.join("overlays.toml");
    let style =
        |lines: u32| format!("[captions]\nsize = 0.2\nmax_lines = {lines}\nmax_chars = 10\n");
    std::fs::write(&overlays, style(6)).unwrap();
    let srt = d.join("tall.srt");
    let words = "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN";
    std::fs::write(&srt, format!("1\n00:00:00,000 --> 00:00:01,000\n{words}\n")).unwrap();
    let args = ["--captions", s(&srt), "--overlays", s(&overlays)];
    let video = export_small(d, &clip, &args);
    let frame = frame_at(&video, 0.5, &d.join("f.png"));
    let (_, y0, _, y1) = frame.bbox(white).expect("the captions are drawn");
    assert!(
        y0 >= 4 && y1 < 356,
        "the captions span rows {y0}-{y1} of 360"
    );
    assert_eq!(text_lines(&frame, 0, 360).len(), 6);
    assert_ocr(
        &frame,
        &words.split(' ').collect::<Vec<_>>(),
        &[],
        &d.join("ocr.pgm"),
        "6 lines",
    );
    std::fs::write(&overlays, style(40)).unwrap();
    let presets = small_preset(d);
    let args = [
        "--presets",
        s(&presets),
        "-p",
        "small",
        "--captions",
        s(&srt),
        "--overlays",
        s(&overlays),
    ];
    let err = export_refused(&[&[s(&clip)], &args[..]].concat(), &d.join("refused"));
    assert!(
        err.contains(&format!(
            "{}: captions: 40 lines (max_lines) do not fit between the UI zones of the 640x360 output",
            s(&overlays)
        )),
        "{err}"
    );
    // Without an overlays file, two lines (the default) that a preset's zones leave no room
    // for were refused as a usage error (exit 2) naming nothing; now bad input, `--captions`.
    let slot = presets_file(
        d,
        "[slot]\nbase = \"x\"\nwidth = 320\nheight = 320\n\
         ui_zones = [[0.0, 0.0, 1.0, 0.48], [0.0, 0.52, 1.0, 1.0]]\n",
    );
    let args = ["--presets", s(&slot), "-p", "slot", "--captions", s(&srt)];
    let err = export_refused(&[&[s(&clip)], &args[..]].concat(), &d.join("refused"));
    assert!(
        err.contains(
            "cutroom: error: --captions: captions: 2 lines (max_lines) do not fit between the \
             UI zones of the 320x320 output"
        ) && err.contains("lower [captions] max_lines"),
        "{err}"
    );
}

/// A still image (a JPEG) as RGB, through `png`.
fn read_image(image: &Path, png: &Path) -> Rgb {
    ff(&["-i", s(image), "-pix_fmt", "rgb24", s(png)]);
    read_png(png)
}

/// Variance of the 4-neighbour Laplacian of a picture's green channel (a stand-in for luma).
fn laplacian_variance(p: &Rgb) -> f64 {
    let g = |x: u32, y: u32| f64::from(p.at(x, y)[1]);
    let (mut sum, mut sq, mut n) = (0.0, 0.0, 0.0);
    for y in 1..p.height - 1 {
        for x in 1..p.width - 1 {
            let l = 4.0 * g(x, y) - g(x - 1, y) - g(x + 1, y) - g(x, y - 1) - g(x, y + 1);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    sq / n - (sum / n).powi(2)
}

#[test]
fn each_output_gets_a_cover_the_sharpest_frame_of_the_first_third_or_the_one_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 6 s, blurred everywhere except 0.8-1.2 s.
    let src = d.join("blur.mp4");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=640x360:r=30:d=6",
        "-vf",
        "boxblur=8:enable='not(between(t,0.8,1.2))'",
        "-pix_fmt",
        "yuv420p",
        "-c:v",
        "libx264",
        s(&src),
    ]);
    let presets = presets_file(d, "[wide]\nbase = \"x\"\nwidth = 320\nheight = 180\n[sq]\nbase = \"x\"\nwidth = 240\nheight = 240\n");
    let export = |out: &Path, cover: &str| {
        cutroom_json(&[
            "export",
            s(&src),
            "--presets",
            s(&presets),
            "-p",
            "wide",
            "-p",
            "sq",
            "--cover",
            cover,
            "-o",
            s(out),
            "--json",
        ])
    };
    let out = d.join("auto");
    let r = export(&out, "auto");
    for (o, size) in r["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .zip([(320, 180), (240, 240)])
    {
        let video = Path::new(o["path"].as_str().unwrap());
        let cover = Path::new(o["cover"].as_str().unwrap());
        assert_eq!(cover, video.with_extension("jpg"));
        assert_eq!(&std::fs::read(cover).unwrap()[..2], [0xff, 0xd8], "a JPEG");
        let p = ffprobe(cover);
        assert_eq!(
            (&p["streams"][0]["width"], &p["streams"][0]["height"]),
            (&size.0.into(), &size.1.into())
        );
        let sharpness = |png: &str, t: Option<f64>| {
            let png = d.join(format!("{}.{png}", size.0));
            laplacian_variance(&match t {
                Some(t) => frame_at(video, t, &png),
                None => read_image(cover, &png),
            })
        };
        let (got, sharp, blurred) = (
            sharpness("cover.png", None),
            sharpness("sharp.png", Some(1.0)),
            sharpness("blurred.png", Some(0.4)),
        );
        assert!(
            got > 0.7 * sharp && got > 3.0 * blurred,
            "{}: cover sharpness {got:.1}, sharp frames {sharp:.1}, blurred {blurred:.1}",
            video.display()
        );
        assert_eq!(o["warnings"], serde_json::json!([]), "{o}");
    }
    // A clip black all through has a blank cover, said so (it was not), and so has one of a
    // flat colour between blurred bars (their edges were taken for a picture, unsaid).
    let black = d.join("black.mp4");
    lavfi_clip(&black, "color=c=0x336699:s=320x180:r=30:d=1", None, &[]);
    let out = d.join("black");
    let args = ["export", s(&black), "--presets", s(&presets), "-p", "sq"];
    let r = cutroom_json(&[&args[..], &["--cover", "auto", "-o", s(&out), "--json"]].concat());
    assert_eq!(
        r["outputs"][0]["warnings"],
        serde_json::json!([
            "the cover is blank: no frame of the output has a picture (all black or one flat \
             colour)"
        ])
    );
    // Asked for a time: that frame, blurred as it is.
    let out = d.join("at");
    let r = export(&out, "0.4s");
    let cover = Path::new(r["outputs"][0]["cover"].as_str().unwrap());
    let video = Path::new(r["outputs"][0]["path"].as_str().unwrap());
    let got = laplacian_variance(&read_image(cover, &d.join("c.png")));
    let sharp = laplacian_variance(&frame_at(video, 1.0, &d.join("s.png")));
    assert!(got < 0.5 * sharp, "cover {got:.1} vs sharp {sharp:.1}");
}

#[test]
fn the_human_report_names_each_cover() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let src = d.join("in.mp4");
    lavfi_clip(&src, "testsrc2=s=320x180:r=30:d=1", None, &[]);
    let out = d.join("out");
    let r = cutroom_ok(&[
        "export",
        s(&src),
        "-p",
        "square",
        "--x264-preset",
        "ultrafast",
        "--cover",
        "auto",
        "-o",
        s(&out),
    ]);
    let text = String::from_utf8_lossy(&r.stdout);
    let cover = out.join("in.square.jpg");
    assert!(cover.is_file());
    assert!(
        text.lines()
            .any(|l| l.trim() == format!("cover: {}", s(&cover))),
        "{text}"
    );
}

/// A presets file with one small landscape preset, `small` (640x360), for quick exports.
fn small_preset(dir: &Path) -> PathBuf {
    let p = dir.join("presets.toml");
    std::fs::write(&p, "[small]\nbase = \"x\"\nwidth = 640\nheight = 360\n").unwrap();
    p
}

/// `cutroom export CLIP --presets <small> -p small EXTRA... -o DIR/out`, which must succeed:
/// the deliverable's path.
fn export_small(dir: &Path, clip: &Path, extra: &[&str]) -> PathBuf {
    let (presets, out) = (small_preset(dir), dir.join("out"));
    let mut args = vec!["export", s(clip), "--presets", s(&presets), "-p", "small"];
    args.extend(["-o", s(&out)]);
    args.extend_from_slice(extra);
    cutroom_ok(&args);
    let stem = clip.file_stem().unwrap().to_str().unwrap();
    out.join(format!("{stem}.small.mp4"))
}

#[test]
fn speed_and_cards_on_export_keep_every_marker_where_the_timeline_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Flashes and beeps at 1, 3 and 5 s of a 6 s clip.
    let clip = d.join("clip.mp4");
    marker_clip(&clip, 640, 360, 30, 6.0, 6.0, 0.0, &[]);
    let out = d.join("out");
    let r = cutroom_json(&[
        "export",
        s(&clip),
        "--presets",
        s(&small_preset(d)),
        "-p",
        "small",
        "--speed",
        "1.5",
        "--title-card",
        "color = \"#203040\", duration = 1, transition = { kind = \"fade\", duration = 0.5 }",
        "--end-card",
        "color = \"#c02020\", duration = \"30f\"",
        "-o",
        s(&out),
        "--json",
    ]);
    let video = out.join("clip.small.mp4");
    let o = &r["outputs"][0];
    assert_eq!(o["path"], s(&video));
    assert_eq!(
        (o["frames"].as_u64(), o["audio"].as_str()),
        (Some(180), Some("source"))
    );
    // 1 s of title, the 6 s clip in 4 s, 1 s of end card.
    assert_deliverable(&video, 640, 360, "30/1", 6.0, true);
    let want = [1.0 + 1.0 / 1.5, 1.0 + 3.0 / 1.5, 1.0 + 5.0 / 1.5];
    let m = markers(&video);
    assert_eq!((m.flashes.len(), m.beeps.len()), (3, 3), "{m:?}");
    for (t, w) in m.flashes.iter().zip(want) {
        assert!(
            (t - w).abs() <= 0.5 / 30.0,
            "flash at {t:.4} s, timeline says {w:.4} s"
        );
    }
    for (t, off) in marker_offsets_ms(&video) {
        assert!(
            off.abs() <= 1.0,
            "marker at {t:.4} s: beep {off:.2} ms off its flash"
        );
    }
    // The cards are their colours (limited range, as decoded), and silent.
    let title = frame_at(&video, 0.3, &d.join("title.png"));
    let end = frame_at(&video, 5.5, &d.join("end.png"));
    let mean = |f: &Rgb| -> [f64; 3] {
        let n = (f.data.len() / 3) as f64;
        let mut m = [0.0; 3];
        for p in f.data.chunks_exact(3) {
            for c in 0..3 {
                m[c] += f64::from(p[c]) / n;
            }
        }
        m
    };
    for (got, want) in [
        (mean(&title), [0x20, 0x30, 0x40]),
        (mean(&end), [0xc0, 0x20, 0x20]),
    ] {
        for c in 0..3 {
            assert!(
                (got[c] - f64::from(want[c])).abs() < 6.0,
                "{got:?} vs {want:?}"
            );
        }
    }
    let pcm = audio_samples(&video);
    assert!(rms(&pcm, 0.0, 0.95) < 1e-4, "the title card has sound");
    assert!(rms(&pcm, 5.05, 5.95) < 1e-4, "the end card has sound");
}

/// A caption file without a single cue (empty, a BOM, a bare WebVTT header, an empty word
/// list) is refused: it would burn nothing in and write no sidecar, without a word.
#[test]
fn a_caption_file_without_cues_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=1", None, &[]);
    let out = dir.path().join("out");
    for (name, text) in [
        ("empty.srt", &b""[..]),
        ("bom.srt", b"\xef\xbb\xbf"),
        ("header.vtt", b"WEBVTT\n"),
        ("words.json", b"[]"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let err = export_refused(&[s(&clip), "-p", "x", "--captions", s(&file)], &out);
        assert!(
            err.contains(&format!("{}: holds no captions", file.display())),
            "{name}: {err}"
        );
    }
}

/// `--pad-color #c02020` came out as #cd2f1d: FFmpeg 5.1's pad filter fills by BT.601 in a
/// BT.709 frame. The bars now show the colour asked for, given in hex or as a CSS colour name
/// (only black, white and gray were names before); a colour that is neither is named.
#[test]
fn pad_bars_are_the_colour_asked_for() {
    let tall = Tall::new("color=c=gray:s=640x360:r=30:d=1", (360, 640));
    let d = tall.dir.path();
    let out = d.join("out");
    for (colour, rgb) in [("#c02020", [0xc0, 0x20, 0x20]), ("Tomato", [255, 99, 71])] {
        cutroom_ok(&tall.args(&["--fit", "pad", "--pad-color", colour, "-o", s(&out)]));
        let frame = frame_at(&out.join("clip.tall.mp4"), 0.5, &d.join("f.png"));
        for (x, y) in [(10, 10), (180, 630)] {
            let p = frame.at(x, y);
            assert!(
                p.iter().zip(rgb).all(|(&c, w)| c.abs_diff(w) <= 6),
                "{p:?} at {x},{y}, not {colour} {rgb:?}"
            );
        }
    }
    let refused = d.join("refused");
    let run = cutroom(&[
        "export",
        s(&tall.clip),
        "-p",
        "square",
        "--fit",
        "pad",
        "--pad-color",
        "reddish",
        "-o",
        s(&refused),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success() && !refused.exists(), "{err}");
    assert!(
        err.contains("\"reddish\"") && err.contains("CSS colour name"),
        "{err}"
    );
}

/// A colour with an alpha (`#ff000080`) was refused wherever a colour is given. Text, outline
/// and box colours now take it, drawn with that alpha; the colours drawn opaque (bars, colour
/// cards) refuse it, saying so.
#[test]
fn text_colours_take_an_alpha_and_opaque_ones_refuse_it_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=1", None, &[]);
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"HI\"\nposition = \"center\"\n\
         style = { size = 0.15, box = true, box_color = \"#ff000080\" }\n",
    )
    .unwrap();
    let video = export_small(d, &clip, &["--overlays", s(&overlays)]);
    let frame = frame_at(&video, 0.5, &d.join("f.png"));
    // Half-opaque red over the blue clip: ~((255+48)/2, 96/2, 192/2).
    let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(&a, b)| a.abs_diff(b) <= 16);
    let (x0, y0, x1, y1) = frame
        .bbox(|p| near(p, [151, 48, 96]))
        .expect("a half-opaque red box");
    assert!(
        x1 - x0 > 40 && y1 - y0 > 40 && (x0..x1).contains(&320) && (y0..y1).contains(&180),
        "box {:?}",
        (x0, y0, x1, y1)
    );
    for (args, said) in [
        (
            vec!["--fit", "pad", "--pad-color", "#ff000080"],
            "\"#ff000080\" has an alpha (80, 50 % opaque)",
        ),
        (
            vec!["--end-card", "color = \"#10101080\", duration = \"1s\""],
            "\"#10101080\" has an alpha (80, 50 % opaque)",
        ),
    ] {
        let refused = d.join("refused");
        let run = cutroom(
            &[
                &["export", s(&clip), "-p", "square", "-o", s(&refused)],
                &args[..],
            ]
            .concat(),
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success() && !refused.exists(),
            "{args:?}: {err}"
        );
        assert!(err.contains(said), "{args:?}: {err}");
    }
}

/// Text met text: a top-right logo sat on the end of a top title, two titles shown together
/// were moved apart by libass (wherever it found room), and the captions sat on the last
/// lines of a tall end card. The logo now moves below the title (a logo no place keeps clear
/// of a text is refused, naming both), the second title goes below the first (three tall
/// ones: the last drawn smaller where there is room), the card's text keeps above the
/// captions.
#[test]
fn a_logo_two_titles_a_tall_card_and_captions_keep_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=2", None, &[]);
    still(&d.join("logo.png"), "color=c=red:s=200x100,format=rgba");
    let srt = d.join("subs.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,000 --> 00:00:02,000\nCAPTIONS READ HERE\n",
    )
    .unwrap();
    let overlays = d.join("overlays.toml");
    let title = |text: &str| {
        format!("[[text]]\ntext = \"{text}\"\nposition = \"top\"\nend = 1.5\nstyle = {{ size = 0.08 }}\n")
    };
    std::fs::write(
        &overlays,
        "[captions]\nsize = 0.08\n\n[logo]\nfile = \"logo.png\"\nwidth = 0.25\nend = 1\n\n"
            .to_string()
            + &title("NEW COLLECTION OUT NOW")
            + &title("SECOND TITLE"),
    )
    .unwrap();
    let card = "text = \"ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE\", \
                duration = \"1.5s\", style = { size = 0.25 }, \
                transition = { kind = \"crossfade\", duration = 1 }";
    let out = d.join("out");
    let args = [
        "--captions",
        s(&srt),
        "--overlays",
        s(&overlays),
        "--end-card",
        card,
    ];
    cutroom_ok(&[&["export", s(&clip), "-p", "x", "-o", s(&out)], &args[..]].concat());
    let video = out.join("clip.x.mp4");
    for (t, words) in [
        (
            0.5,
            "NEW COLLECTION OUT NOW SECOND TITLE CAPTIONS READ HERE",
        ),
        // Captions show on the card while it fades in over the end of the clip.
        (
            1.9,
            "ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE CAPTIONS READ HERE",
        ),
    ] {
        let frame = frame_at(&video, t, &d.join("f.png"));
        let Some(read) = ocr_words(&frame, &d.join("ocr.pgm")) else {
            return;
        };
        let lost: Vec<&str> = words
            .split(' ')
            .filter(|w| !read.iter().any(|r| r == w))
            .collect();
        assert!(lost.is_empty(), "at {t} s {lost:?} hidden: read {read:?}");
    }
    // A logo shown on the card, which leaves it no room, is refused, naming the two: the card
    // as the user gave it (it said `the text of the card at 1.000 s`).
    std::fs::write(&overlays, "[logo]\nfile = \"logo.png\"\nwidth = 0.25\n").unwrap();
    let refused = d.join("refused");
    let err = export_refused(&[&[s(&clip), "-p", "x"], &args[..]].concat(), &refused);
    assert!(
        err.contains(
            "overlays.toml: the logo and the text of --end-card (\"ONE TWO THREE FOUR FIVE SIX \
             SEVEN EIGHT...\") are shown together"
        ),
        "{err}"
    );
    // The same logo given as --logo was a usage error (exit 2) naming nothing; it is bad
    // input (exit 1, `export_refused`), named by its option.
    let logo = d.join("logo.png");
    let err = export_refused(
        &[s(&clip), "-p", "x", "--logo", s(&logo), "--end-card", card],
        &refused,
    );
    assert!(
        err.contains("error: --logo: the logo and the text of --end-card (\"ONE TWO"),
        "{err}"
    );
    // A logo placed by x and y so it runs off the frame is refused rather than cut off.
    std::fs::write(
        &overlays,
        "[logo]\nfile = \"logo.png\"\nx = 0.9\ny = 0.9\nwidth = 0.5\n",
    )
    .unwrap();
    let err = export_refused(&[s(&clip), "-p", "x", "--overlays", s(&overlays)], &refused);
    assert!(
        err.contains("overlays.toml: the logo at x = 0.9, y = 0.9 (640x320 pixels) runs off the 1280x720 output"),
        "{err}"
    );
    let tall = |text: &str| {
        format!("[[text]]\ntext = \"{text}\"\nposition = \"center\"\nstyle = {{ size = 0.2 }}\n")
    };
    std::fs::write(
        &overlays,
        tall("ONE\\nTWO") + &tall("THREE\\nFOUR") + &tall("FIVE\\nSIX"),
    )
    .unwrap();
    let video = export_small(d, &clip, &["--overlays", s(&overlays)]);
    let frame = frame_at(&video, 0.5, &d.join("f.png"));
    if let Some(read) = ocr_words(&frame, &d.join("ocr.pgm")) {
        for w in ["ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX"] {
            assert!(read.iter().any(|r| r == w), "{w} hidden: read {read:?}");
        }
    }
}

/// Mean luma of each frame FFmpeg's filter graph `graph` makes of the inputs `inputs`.
fn luma_per_frame(inputs: &[&str], graph: &str) -> Vec<f64> {
    let mut cmd = ffmpeg();
    for i in inputs {
        cmd.args(["-i", i]);
    }
    let g = format!("{graph},signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-");
    let out = cmd
        .args(["-filter_complex", &g, "-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("lavfi.signalstats.YAVG="))
        .map(|v| v.parse().unwrap())
        .collect()
}

/// An end card crossfading in was blended twice: the cut's frames crossfade to the card and
/// the card drawn again over them faded in as well, so the video faded out as (1 - t)², 38
/// levels of luma brighter than FFmpeg's `xfade` halfway. On the cut's shape, then on a
/// deliverable of another shape too (square from 16:9), the crossfade is now one linear ramp:
/// frame by frame within one step of `xfade`'s (its first blended frame is the clip whole, the
/// card shows from the next), no black frame, no jump, the right length.
#[test]
fn an_end_card_crossfades_in_as_ffmpegs_xfade_on_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=2", None, &[]);
    let presets = presets_file(
        d,
        "[small]\nbase = \"x\"\nwidth = 640\nheight = 360\n\n\
         [box]\nbase = \"square\"\nwidth = 360\nheight = 360\n",
    );
    let card = "color = \"#ffffff\", duration = \"2s\", \
                transition = { kind = \"crossfade\", duration = 1 }";
    let out = d.join("out");
    cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&presets),
        "-p",
        "small",
        "-p",
        "box",
        "--fit",
        "crop",
        "--end-card",
        card,
        "-o",
        s(&out),
    ]);
    let xfade = luma_per_frame(
        &[s(&clip)],
        "color=c=white:s=640x360:r=30:d=2,format=yuv420p,settb=1/30[card];\
         [0:v]settb=1/30[clip];[clip][card]xfade=transition=fade:duration=1:offset=1",
    );
    let step = (xfade[60] - xfade[29]) / 30.0;
    for preset in ["small", "box"] {
        let video = out.join(format!("clip.{preset}.mp4"));
        let ours = luma_per_frame(&[s(&video)], "[0:v]null");
        assert_eq!((ours.len(), xfade.len()), (90, 90));
        for (k, (o, x)) in ours.iter().zip(&xfade).enumerate() {
            assert!(
                (o - x).abs() <= step + 1.5,
                "{preset}: frame {k}: {o:.1}, xfade {x:.1}"
            );
        }
        for w in ours.windows(2) {
            assert!(
                w[1] >= w[0] - 1.0 && w[1] - w[0] <= step + 1.5,
                "{preset}: {ours:?}"
            );
        }
    }
}

/// A square cut padded onto 9:16 had its captions above Reels' bottom 35 %, on the lower half
/// of the picture, where a talking head's mouth is; they now go in the bar above the picture,
/// below the top UI zone, and the picture is left as it was.
#[test]
fn captions_of_a_padded_vertical_export_go_in_the_bar_off_the_picture() {
    let tall = Tall::new("color=c=0x3060C0:s=480x480:r=30:d=2", (720, 1280));
    let d = tall.dir.path();
    let srt = d.join("words.srt");
    std::fs::write(&srt, "1\n00:00:00,500 --> 00:00:01,800\nHELLO WORLD\n").unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&["--fit", "pad", "--captions", s(&srt), "-o", s(&out)]));
    let video = out.join("clip.tall.mp4");
    let blank = frame_at(&video, 0.2, &d.join("blank.png"));
    let frame = frame_at(&video, 1.0, &d.join("caption.png"));
    // 480x480 scaled to 720x720, rows 280-1000 of 1280; Reels' top zone ends at 14 %.
    let picture_top = 280.0 / 1280.0;
    let b = changed_box(&blank, &frame).expect("the caption changes the picture");
    assert!(
        b[1] >= 0.14 && b[3] <= picture_top,
        "caption {b:?} not in the bar between the top UI zone (0.14) and the picture ({picture_top})"
    );
    assert_ocr(
        &frame,
        &["HELLO", "WORLD"],
        &[],
        &d.join("ocr.pgm"),
        "tall at 1 s",
    );
}

/// A `top` text overlay shown with captions in the top bar of a padded square cut on Reels
/// met them there: libass pushed the captions down onto the picture (the speaker's mouth is
/// what the bar keeps them off). The overlay now goes where neither covers the other: in the
/// bar above the captions when both fit, else just below them, inside the safe area.
#[test]
fn a_top_overlay_and_captions_in_the_top_bar_both_read_whole() {
    let tall = Tall::new("color=c=0x3060C0:s=480x480:r=30:d=1", (720, 1280));
    let d = tall.dir.path();
    let srt = d.join("words.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,500 --> 00:00:00,900\nHELLO FROM THE FIRST SHOT OF THE DAY\n",
    )
    .unwrap();
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"NEW COLLECTION\\nOUT NOW\"\nposition = \"top\"\nstart = 0.3\n",
    )
    .unwrap();
    let out = d.join("out");
    let run = cutroom(&tall.args(&[
        "--fit",
        "pad",
        "--captions",
        s(&srt),
        "--overlays",
        s(&overlays),
        "-o",
        s(&out),
    ]));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    // The cue (36 characters in 0.4 s) is said to be too fast to read; nothing else is.
    let warned = err.lines().filter(|l| l.contains("warning"));
    assert!(
        warned.eq(err.lines().filter(|l| l.contains("too briefly to be read"))),
        "both have a place: {err}"
    );
    let video = out.join("clip.tall.mp4");
    let blank = frame_at(&video, 0.1, &d.join("blank.png"));
    let title = frame_at(&video, 0.4, &d.join("title.png"));
    let both = frame_at(&video, 0.7, &d.join("both.png"));
    assert!(text_lines(&blank, 0, 1280).is_empty());
    // The overlay's two lines, then the same two and the caption's two, none merged.
    let (titled, shown) = (text_lines(&title, 0, 1280), text_lines(&both, 0, 1280));
    let caption: Vec<[u32; 2]> = shown
        .iter()
        .filter(|l| !titled.contains(l))
        .copied()
        .collect();
    assert!(
        titled.len() == 2 && shown.len() == 4 && caption.len() == 2,
        "overlay lines {titled:?}, with the caption {shown:?}"
    );
    // 480x480 scaled to 720x720, rows 280-1000 of 1280; Reels' zones: top 14 %, bottom 35 %.
    assert!(
        caption[0][0] as f64 >= 0.14 * 1280.0 && caption[1][1] < 280,
        "caption rows {caption:?} not in the bar between the top UI zone (179) and the picture (280)"
    );
    assert!(
        titled[0][0] as f64 >= 0.14 * 1280.0 && (titled[1][1] as f64) < 0.65 * 1280.0,
        "overlay rows {titled:?} not between Reels' UI zones (179-832)"
    );
    assert_ocr(
        &both,
        &[
            "HELLO",
            "FROM",
            "FIRST",
            "SHOT",
            "DAY",
            "NEW",
            "COLLECTION",
            "OUT",
            "NOW",
        ],
        &[],
        &d.join("ocr.pgm"),
        "tall at 0.7 s",
    );
}

/// A caption or text overlay of two lines was wrapped greedily, a full line over an orphaned
/// word ("HELLO FROM THE FIRST" over "SHOT"); lines are now balanced.
#[test]
fn two_line_captions_and_overlays_are_balanced_not_a_line_over_an_orphan() {
    let tall = Tall::new("color=c=black:s=720x1280:r=30:d=1", (720, 1280));
    let d = tall.dir.path();
    let srt = d.join("words.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,000 --> 00:00:01,000\nHELLO FROM THE FIRST SHOT\n",
    )
    .unwrap();
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"THE SPRING LOOKS ARE HERE NOW\"\n",
    )
    .unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&[
        "--captions",
        s(&srt),
        "--overlays",
        s(&overlays),
        "-o",
        s(&out),
    ]));
    let frame = frame_at(&out.join("clip.tall.mp4"), 0.5, &d.join("f.png"));
    let lines = text_lines(&frame, 0, 1280);
    assert_eq!(
        lines.len(),
        4,
        "overlay and caption, two lines each: {lines:?}"
    );
    let width = |l: [u32; 2]| {
        let xs: Vec<u32> = (0..720)
            .filter(|&x| (l[0]..=l[1]).any(|y| white(frame.at(x, y))))
            .collect();
        f64::from(xs[xs.len() - 1] - xs[0])
    };
    for (what, pair) in [("overlay", &lines[..2]), ("caption", &lines[2..])] {
        let (a, b) = (width(pair[0]), width(pair[1]));
        assert!(
            a.min(b) > 0.6 * a.max(b),
            "{what}: lines {a} and {b} pixels wide, not balanced"
        );
    }
    assert_ocr(
        &frame,
        &[
            "HELLO", "FROM", "FIRST", "SHOT", "SPRING", "LOOKS", "HERE", "NOW",
        ],
        &[],
        &d.join("ocr.pgm"),
        "tall at 0.5 s",
    );
}

/// A caption of one 80-letter word was drawn at the size that fitted it on one line: 5-pixel
/// capitals across a 360-pixel frame. It is now cut across lines at the band's size, shown in
/// pages of `max_lines`.
#[test]
fn a_caption_of_one_long_word_is_cut_across_lines_at_the_bands_size() {
    let tall = Tall::new("color=c=black:s=360x640:r=30:d=2", (360, 640));
    let d = tall.dir.path();
    let word = format!("{0}{0}ANTIDISESTAB", "SUPERCALIFRAGILISTICEXPIALIDOCIOUS");
    assert_eq!(word.len(), 80);
    let srt = d.join("word.srt");
    std::fs::write(&srt, format!("1\n00:00:00,000 --> 00:00:02,000\n{word}\n")).unwrap();
    let out = d.join("out");
    cutroom_ok(&tall.args(&["--captions", s(&srt), "-o", s(&out)]));
    ff(&[
        "-i",
        s(&out.join("clip.tall.mp4")),
        "-vf",
        "fps=4",
        s(&d.join("f%d.png")),
    ]);
    // The band's font: 0.045 of 640 px, shrunk so 24 characters fit between Reels' 6 % sides.
    let font = (0.83 * 360.0 / (24.0 * 0.6_f64)).floor();
    let cap = 0.626 * font;
    for k in 1..=8 {
        let frame = read_png(&d.join(format!("f{k}.png")));
        let lines = text_lines(&frame, 0, 640);
        assert!((1..=2).contains(&lines.len()), "frame {k}: lines {lines:?}");
        for l in &lines {
            let h = f64::from(l[1] - l[0] + 1);
            assert!(
                (h - cap).abs() <= 2.0,
                "frame {k}: capitals {h} px high, not {cap:.1}"
            );
        }
        let text = frame.bbox(white).unwrap();
        assert!(
            text.0 >= 22 && text.2 <= 338,
            "frame {k}: {text:?} out of the band"
        );
    }
}

/// A cue of markup only (`<i></i>`, `{\an8}`) was written to the sidecars as a cue without
/// text (a blank line after its times, which ends an SRT file for many readers); such cues are
/// left out, said on stderr, and a file of nothing else holds no captions.
#[test]
fn cues_of_markup_only_are_left_out_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=30:d=2", None, &[]);
    let srt = d.join("tags.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,000 --> 00:00:00,500\n<i></i>\n\n2\n00:00:00,500 --> 00:00:01,000\n\
         {\\an8}\n\n3\n00:00:01,000 --> 00:00:02,000\nHello\n",
    )
    .unwrap();
    let out = d.join("out");
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&small_preset(d)),
        "-p",
        "small",
        "--captions",
        s(&srt),
        "-o",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    let warning = format!(
        "{}: 2 cue(s) hold no text once their tags are dropped; left out\n",
        s(&srt)
    );
    assert!(err.contains(&warning), "{err}");
    let sidecar = std::fs::read_to_string(out.join("clip.small.srt")).unwrap();
    assert_eq!(sidecar, "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n");
    let vtt = std::fs::read_to_string(out.join("clip.small.vtt")).unwrap();
    assert_eq!(vtt, "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHello\n\n");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:01,000\n<b></b>\n").unwrap();
    let err = export_refused(
        &[s(&clip), "-p", "x", "--captions", s(&srt)],
        &d.join("none"),
    );
    assert!(
        err.contains(&format!("{}: holds no captions", s(&srt))),
        "{err}"
    );
}

#[test]
fn a_text_title_card_reads_and_captions_follow_the_speed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=4", None, &[]);
    // At 2x after a 1 s title: source 2.0-3.0 s plays at 2.0-2.5 s of the output.
    let srt = d.join("subs.srt");
    std::fs::write(&srt, "1\n00:00:02,000 --> 00:00:03,000\nHELLO WORLD\n").unwrap();
    let out = d.join("out");
    // No system font is reachable: the card is drawn with the shipped font or not at all.
    succeeded(
        cutroom_command()
            .env("FONTCONFIG_FILE", no_system_fonts(d))
            .args([
                "export",
                s(&clip),
                "--presets",
                s(&small_preset(d)),
                "-p",
                "small",
            ])
            .args(["--speed", "2", "--captions", s(&srt), "-o", s(&out)])
            .args([
                "--title-card",
                "text = \"SUMMER SALE\", duration = 1, style = { size = 0.12, bold = true }",
            ]),
    );
    let video = out.join("clip.small.mp4");
    let vdur = ffprobe(&video)["streams"][0]["duration"]
        .as_str()
        .unwrap()
        .parse::<f64>();
    assert_eq!(vdur, Ok(3.0));
    let sidecar = std::fs::read_to_string(video.with_extension("srt")).unwrap();
    assert!(
        sidecar.contains("00:00:02,000 --> 00:00:02,500\nHELLO WORLD"),
        "{sidecar}"
    );
    for (t, shown, hidden) in [
        (0.5, &["SUMMER", "SALE"][..], &["HELLO"][..]),
        (1.5, &[][..], &["SUMMER", "HELLO"][..]),
        (2.25, &["HELLO", "WORLD"][..], &["SUMMER"][..]),
        (2.75, &[][..], &["HELLO"][..]),
    ] {
        let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
        if !assert_ocr(
            &frame,
            shown,
            hidden,
            &d.join("ocr.pgm"),
            &format!("at {t} s"),
        ) {
            return;
        }
    }
}

/// Reading rates were checked on the caption file's own times: at `--speed 1.5` a cue of 27
/// characters showed for 1 s (27 a second) unsaid, and at `--speed 0.5`, which doubles every
/// cue's time, one that read fine there was still warned of; neither was in the report. The
/// cues are now judged as the output shows them (the times of its sidecar), named by number,
/// line, text and time, on stderr once and in the report.
#[test]
fn captions_too_fast_to_read_are_judged_as_played_at_speed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=6", None, &[]);
    let srt = d.join("subs.srt");
    std::fs::write(
        &srt,
        "1\n00:00:00,500 --> 00:00:02,000\nWelcome back to the channel\n\n\
         2\n00:00:02,000 --> 00:00:03,000\nToday we test four new lenses\n\n\
         3\n00:00:03,500 --> 00:00:05,500\nStay to the end\n",
    )
    .unwrap();
    let presets = small_preset(d);
    let warning = |rest: &str| format!("{}: {rest}: give them more time or fewer words", s(&srt));
    for (speed, said, sidecar) in [
        (
            "1",
            Some(warning(
                "1 cue(s) shown too briefly to be read, over 25 characters a second; the \
                 first, cue 2 (line 6) \"Today we test four new lenses\" at 2.000-3.000 s of \
                 the output: 29 characters in 1.000 s, 29 a second",
            )),
            "00:00:02,000 --> 00:00:03,000\nToday",
        ),
        (
            "1.5",
            Some(warning(
                "2 cue(s) shown too briefly to be read, over 25 characters a second; the \
                 first, cue 1 (line 2) \"Welcome back to the channel\" at 0.333-1.333 s of \
                 the output: 27 characters in 1.000 s, 27 a second",
            )),
            "00:00:00,333 --> 00:00:01,333\nWelcome",
        ),
        ("0.5", None, "00:00:04,000 --> 00:00:06,000\nToday"),
    ] {
        let out = d.join(format!("out{speed}"));
        let run = cutroom_ok(&[
            "export",
            s(&clip),
            "--presets",
            s(&presets),
            "-p",
            "small",
            "--speed",
            speed,
            "--captions",
            s(&srt),
            "-o",
            s(&out),
            "--json",
        ]);
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        let warnings = &report["outputs"][0]["warnings"];
        match &said {
            Some(w) => {
                assert_eq!(warnings, &serde_json::json!([w]), "at {speed}x");
                assert_eq!(err.matches("too briefly").count(), 1, "at {speed}x: {err}");
                assert!(err.contains(&format!("cutroom: warning: {w}\n")), "{err}");
            }
            None => {
                assert_eq!(warnings, &serde_json::json!([]), "at {speed}x");
                assert!(!err.contains("too briefly"), "at {speed}x: {err}");
            }
        }
        // The times said are those the output shows the cue at.
        let shown = std::fs::read_to_string(out.join("clip.small.srt")).unwrap();
        assert!(shown.contains(sidecar), "at {speed}x: {shown}");
    }
}

/// A silent 320x180 clip of one second at `fps` whose frame n has luma 16 + 3n: each decoded
/// frame says which source frame it is.
fn numbered_clip(out: &Path, fps: u32) {
    lavfi_clip(
        out,
        &format!(
            "color=c=black:s=320x180:r={fps}:d=1,format=yuv420p,geq=lum='16+3*N':cb=128:cr=128"
        ),
        None,
        &[],
    );
}

/// The source frame each frame of a video made from [`numbered_clip`] shows.
fn frame_numbers(video: &Path) -> Vec<i64> {
    luma_means(video)
        .iter()
        .map(|(_, y)| ((y - 16.0) / 3.0).round() as i64)
        .collect()
}

/// The source frames FFmpeg's `-vf VF` keeps of `clip` (encoded losslessly, then read back).
fn ffmpeg_frame_numbers(clip: &Path, vf: &str, dir: &Path) -> Vec<i64> {
    let theirs = dir.join("ffmpeg.mp4");
    ff(&[
        "-i",
        s(clip),
        "-vf",
        vf,
        "-c:v",
        "libx264",
        "-qp",
        "0",
        s(&theirs),
    ]);
    frame_numbers(&theirs)
}

#[test]
fn concat_and_export_convert_frame_rates_by_one_rule_ffmpegs_fps_filter() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A preset that always runs at 30 fps.
    let presets = presets_file(
        d,
        "[s30]\nbase = \"x\"\nwidth = 320\nheight = 180\nfps_min = 30\nfps_max = 30\n",
    );
    let lead = d.join("lead30.mp4");
    lavfi_clip(&lead, "color=c=black:s=320x180:r=30:d=1", None, &[]);
    // 60 fps halves (a one-frame flash on an odd frame is in neither output); at 50 and 24 fps
    // source frames start exactly on the middle of an output frame.
    for fps in [60, 50, 24] {
        let clip = d.join(format!("n{fps}.mp4"));
        numbered_clip(&clip, fps);
        let theirs = ffmpeg_frame_numbers(&clip, "fps=30", d);
        assert_eq!(theirs.len(), 30, "{fps} fps: {theirs:?}");
        let out = d.join(format!("out{fps}"));
        cutroom_ok(&[
            "export",
            s(&clip),
            "--presets",
            s(&presets),
            "-p",
            "s30",
            "-o",
            s(&out),
        ]);
        let exported = frame_numbers(&out.join(format!("n{fps}.s30.mp4")));
        // Joined after a 30 fps shot in a 30 fps cut (`--fps`: of two 1 s shots the default
        // would be the higher rate), the clip is converted to 30 fps.
        let cut = d.join(format!("cut{fps}.mp4"));
        cutroom_ok(&["concat", s(&lead), s(&clip), "--fps", "30", "-o", s(&cut)]);
        let joined = frame_numbers(&cut);
        assert_eq!(joined.len(), 60, "{fps} fps: {joined:?}");
        assert_eq!(
            exported, theirs,
            "{fps} fps: export against ffmpeg's fps=30"
        );
        assert_eq!(
            joined[30..],
            theirs[..],
            "{fps} fps: concat against ffmpeg's fps=30"
        );
    }
}

#[test]
fn at_speed_2_output_frame_k_is_source_frame_2k_as_ffmpegs_setpts_and_fps() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("numbered.mp4");
    numbered_clip(&clip, 30);
    let video = export_small(d, &clip, &["--speed", "2"]);
    // Nearest frame, never blended, by the frame-rate rule: source frame 2k + 1 starts on the
    // middle of output frame k, so it waits for frame k + 1, which shows 2k + 2 instead. A
    // one-frame flash on a whole second at 30 fps (an even frame, as on the marker clips) is
    // seen at 2x; one on an odd frame is not.
    let shown = frame_numbers(&video);
    assert_eq!(shown, (0..15).map(|k| 2 * k).collect::<Vec<_>>());
    assert_eq!(shown, ffmpeg_frame_numbers(&clip, "setpts=PTS/2,fps=30", d));
}

/// The rows `[top, bottom]` of the white pixels of `f` (text on black), if any.
fn white_rows(f: &Rgb) -> Option<[u32; 2]> {
    let rows: Vec<u32> = (0..f.height)
        .filter(|&y| (0..f.width).any(|x| f.at(x, y).iter().all(|&c| c > 180)))
        .collect();
    Some([*rows.first()?, *rows.last()?])
}

/// A title card was made at the input's shape (landscape) and reframed with it: on a 9:16
/// output `crop` cut its words off and `pad` shrank them to a third, in a band of the card's
/// colour between bars. Each deliverable now draws the card at its own shape: the card's
/// colour fills the frame and its text is as high as `size` says, every word read. A
/// paragraph ran under the UI zones; it now fits between them.
#[test]
fn a_title_card_on_a_vertical_output_is_drawn_at_its_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=640x360:r=30:d=1", None, &[]);
    let presets = presets_file(
        d,
        "[tall]\nbase = \"reels\"\nwidth = 360\nheight = 640\n\n\
         [tiktall]\nbase = \"tiktok\"\nwidth = 360\nheight = 640\n",
    );
    // A paragraph fits between Reels' UI zones (top 14 %, bottom 35 %), not under them, and
    // clear of TikTok's right rail (x from 0.87, y 0.3 to 0.75).
    let tall = "text = \"ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT NINE TEN ELEVEN TWELVE\", \
                duration = 1, style = { size = 0.1 }";
    let out = d.join("tall");
    let args = [
        "--presets",
        s(&presets),
        "-p",
        "tall",
        "-p",
        "tiktall",
        "--end-card",
        tall,
    ];
    cutroom_ok(&[&["export", s(&clip), "-o", s(&out)], &args[..]].concat());
    let frame = frame_at(&out.join("clip.tall.mp4"), 1.5, &d.join("tall.png"));
    let [y0, y1] = white_rows(&frame).expect("the card's text");
    assert!(
        f64::from(y0) >= 0.14 * 640.0 && f64::from(y1) <= 0.65 * 640.0,
        "text rows {y0}-{y1} of 640 meet the UI zones"
    );
    let frame = frame_at(&out.join("clip.tiktall.mp4"), 1.5, &d.join("tiktall.png"));
    let frame = &frame;
    let right = (192..480)
        .flat_map(|y| (0..360).filter(move |&x| white(frame.at(x, y))))
        .max()
        .expect("the card's text");
    assert!(
        right < 313,
        "text reaches x = {right} of 360, under the rail"
    );
    let card = "text = \"IN THEATRES FRIDAY\", color = \"#204060\", duration = 1";
    // Size 0.08 of 640 px: capitals 0.626 of it high.
    let cap = 0.626 * 0.08 * 640.0;
    for fit in ["crop", "pad"] {
        let out = d.join(fit);
        cutroom_ok(&[
            "export",
            s(&clip),
            "--presets",
            s(&presets),
            "-p",
            "tall",
            "--fit",
            fit,
            "--title-card",
            card,
            "-o",
            s(&out),
        ]);
        let frame = frame_at(
            &out.join("clip.tall.mp4"),
            0.5,
            &d.join(format!("{fit}.png")),
        );
        for (x, y) in [(2, 2), (357, 2), (2, 637), (357, 637), (180, 40)] {
            let p = frame.at(x, y);
            assert!(
                p.iter()
                    .zip([0x20, 0x40, 0x60])
                    .all(|(&c, w)| c.abs_diff(w) <= 8),
                "{fit}: {p:?} at {x},{y}, not the card's colour"
            );
        }
        if !assert_ocr(
            &frame,
            &["IN", "THEATRES", "FRIDAY"],
            &[],
            &d.join("ocr.pgm"),
            fit,
        ) {
            return;
        }
        let lines = text_lines(&frame, 0, 640);
        assert!(!lines.is_empty(), "{fit}: no text");
        for l in &lines {
            let h = f64::from(l[1] - l[0] + 1);
            assert!(
                (h - cap).abs() <= 2.0,
                "{fit}: a line {h} px high, not {cap:.1}: {lines:?}"
            );
        }
    }
}

/// Thai and Devanagari captions were drawn at 0.73 of the size of Latin ones (libass sizes each
/// font by its own line height: 1.59 em for Loma and Lohit Devanagari, 1.164 for DejaVu Sans);
/// every font is now drawn at DejaVu Sans's em, so each script reads at a like size.
#[test]
fn card_text_and_captions_at_the_same_size_have_the_same_cap_height() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=black:s=640x360:r=30:d=2.4", None, &[]);
    let srt = d.join("subs.srt");
    // Letters without marks above or below: Latin x, Thai NO NU, Devanagari NA (its headline
    // on top), the kanji for mouth.
    let scripts = [
        "xxx",
        "\u{e19}\u{e19}\u{e19}",
        "\u{928}\u{928}\u{928}",
        "\u{53e3}\u{53e3}\u{53e3}",
    ];
    let cues: String = (scripts.iter().enumerate())
        .map(|(i, t)| {
            let ms = 1000 + 300 * i;
            format!(
                "{}\n00:00:0{},{:03} --> 00:00:0{},{:03}\n{t}\n\n",
                i + 2,
                ms / 1000,
                ms % 1000,
                (ms + 300) / 1000,
                (ms + 300) % 1000
            )
        })
        .collect();
    std::fs::write(
        &srt,
        format!("1\n00:00:00,200 --> 00:00:00,800\nHELLO\n\n{cues}"),
    )
    .unwrap();
    let overlays = d.join("look.toml");
    std::fs::write(
        &overlays,
        "[captions]\nsize = 0.1\noutline = 0\nbold = true\n",
    )
    .unwrap();
    let card = "text = \"HELLO\", duration = 1, style = { size = 0.1, bold = true }";
    let video = export_small(
        d,
        &clip,
        &[
            "--captions",
            s(&srt),
            "--overlays",
            s(&overlays),
            "--title-card",
            card,
        ],
    );
    // Size is the line height: 36 px here, DejaVu Sans's em 36/1.164 px, its capitals 0.729 em.
    let cap = 0.729 * (0.1 * 360.0_f64).floor() / 1.164;
    let mut heights = Vec::new();
    for (t, what) in [(0.5, "the card"), (1.5, "the caption")] {
        let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
        if !assert_ocr(&frame, &["HELLO"], &[], &d.join("ocr.pgm"), what) {
            return;
        }
        let [top, bottom] = white_rows(&frame).expect("white letters");
        let h = f64::from(bottom - top + 1);
        assert!(
            (h - cap).abs() <= 1.5,
            "{what}: capitals {h} px high, size 0.1 of 360 px gives {cap:.1}"
        );
        heights.push(h);
    }
    assert!(
        (heights[0] - heights[1]).abs() <= 1.0,
        "card {} px, caption {} px",
        heights[0],
        heights[1]
    );
    // Each script's letters as high as DejaVu Sans's x-height or capitals: measured 17, 17, 20
    // and 26 pixels for the x, Thai, Devanagari and the kanji beside capitals of 23 (Thai and
    // Devanagari were 12 and 14 pixels, 0.71 of the x-height and 0.61 of the capitals; the
    // kanji 23).
    let high: Vec<f64> = (0..scripts.len())
        .map(|i| {
            let t = 2.15 + 0.3 * i as f64;
            let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
            let [top, bottom] = white_rows(&frame).expect("white letters");
            f64::from(bottom - top + 1)
        })
        .collect();
    let (x, caps) = (high[0], heights[1]);
    let thai = high[1] / x;
    assert!((0.9..1.2).contains(&thai), "Thai {} px, x {x} px", high[1]);
    let deva = high[2] / caps;
    assert!(
        (0.8..1.05).contains(&deva),
        "Devanagari {} px, capitals {caps} px",
        high[2]
    );
    let kanji = high[3] / caps;
    assert!(
        (0.95..1.25).contains(&kanji),
        "kanji {} px, capitals {caps} px",
        high[3]
    );
}

#[test]
fn bad_speed_or_card_on_export_is_one_clear_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    let out = d.join("out");
    // A card that does not fit the frame at the smallest readable size was refused unnamed.
    let paragraph = "Thanks for watching this whole trailer. ".repeat(150);
    let long = format!("text = \"{paragraph}\", duration = 1");
    // One that fits the 360x640 input but not the square output was named by its time only,
    // then exited 2 (a usage error) where the same card too long for the input exits 1, and
    // with --overlays it was blamed on that file.
    let words: Vec<String> = (0..250).map(|i| format!("word{i}")).collect();
    let square_only = format!("text = \"{}\", duration = 1", words.join(" "));
    let overlays = d.join("overlays.toml");
    std::fs::write(&overlays, "[captions]\nsize = 0.06\n").unwrap();
    let not_fit =
        "error: --end-card: text card \"word0 word1 word2 word3 word4 word5...\": its 40 \
                   lines do not fit the 972 pixels of height it has on the 1080x1080 output";
    // Exit 2 for what clap refuses on the command line, 1 for bad input.
    for (args, code, says) in [
        (&["--speed", "5"][..], 2, "expected a speed from 0.25 to 4"),
        (
            &["--speed", "2", "--fit-to", "3s"][..],
            2,
            "cannot be used with",
        ),
        (
            &["--fit-to", "60s"][..],
            1,
            "marker_portrait_30.mp4: fit 60.000 s would play it at speed 0.100",
        ),
        (
            &[
                "--title-card",
                "color = \"#000000\", duration = \"1f\", transition = { kind = \"fade\", duration = 1 }",
            ][..],
            1,
            "error: --title-card: color card #000000: lasts 0.033 s, too short for its \
             transitions",
        ),
        (
            &["--title-card", "text = \"Hi\""][..],
            2,
            "a text card needs a duration",
        ),
        (
            &["--end-card", "src = \"a.mp4\", duration = 1"][..],
            2,
            "unknown field `src`",
        ),
        (
            &[
                "--title-card",
                "text = \"Hi\", duration = 1, style = { colour = \"red\" }",
            ][..],
            2,
            "unknown field `colour`, expected one of `size`, `color`",
        ),
        (
            &["--end-card", "image = \"nope.png\", duration = 1"][..],
            1,
            "nope.png",
        ),
        (
            &["--end-card", long.as_str()][..],
            1,
            "error: --end-card: text card \"Thanks for watching this whole trailer....\": its ",
        ),
        (&["--end-card", square_only.as_str()][..], 1, not_fit),
        (
            &["--end-card", square_only.as_str(), "--overlays", s(&overlays)][..],
            1,
            not_fit,
        ),
    ] {
        let mut all = vec!["export", s(&clip), "-p", "square", "-o", s(&out)];
        all.extend_from_slice(args);
        let r = cutroom(&all);
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

#[test]
fn schema_card_validates_a_card_and_rejects_a_clip() {
    let schema = cutroom_json(&["schema", "card"]);
    let dir = tempfile::tempdir().unwrap();
    let schema_path = dir.path().join("card.json");
    std::fs::write(&schema_path, schema.to_string()).unwrap();
    let python = python_with(&["jsonschema"]);
    let script = r##"
import sys, json, tomllib, jsonschema
schema = json.load(open(sys.argv[1]))
for body in sys.argv[2:]:
    card = tomllib.loads("card = { " + body + " }")["card"]
    try:
        jsonschema.validate(card, schema)
        print("accepted")
    except jsonschema.ValidationError:
        print("rejected")
"##;
    let run = succeeded(std::process::Command::new(python)
        .args(["-c", script])
        .arg(&schema_path)
        .arg("text = \"Hi\", color = \"#101010\", duration = \"2s\", style = { size = 0.1 }, transition = { kind = \"fade\", duration = 0.5 }")
        .arg("src = \"a.mp4\", duration = 1")
        .arg("text = \"Hi\", duration = 1, style = { size = 0.1, max_chars = 20 }"));
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "accepted\nrejected\nrejected\n"
    );
}

#[test]
fn fit_to_and_freeze_on_export_retime_the_input_and_hold_its_last_frame() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Flashes and beeps at 1, 3 and 5 s of a 6 s clip, fitted into 4 s, then held 1 s.
    let clip = d.join("clip.mp4");
    marker_clip(&clip, 640, 360, 30, 6.0, 6.0, 0.0, &[]);
    let out = d.join("out");
    let r = cutroom_json(&[
        "export",
        s(&clip),
        "--presets",
        s(&small_preset(d)),
        "-p",
        "small",
        "--fit-to",
        "4s",
        "--freeze",
        "30f",
        "-o",
        s(&out),
        "--json",
    ]);
    let video = out.join("clip.small.mp4");
    assert_eq!(r["outputs"][0]["frames"], 150);
    assert_deliverable(&video, 640, 360, "30/1", 5.0, true);
    let m = markers(&video);
    assert_eq!((m.flashes.len(), m.beeps.len()), (3, 3), "{m:?}");
    for (t, w) in m.flashes.iter().zip([1.0, 3.0, 5.0].map(|s| s * 4.0 / 6.0)) {
        assert!(
            (t - w).abs() <= 0.5 / 30.0,
            "flash at {t:.4} s, timeline says {w:.4} s"
        );
    }
    for (t, off) in marker_offsets_ms(&video) {
        assert!(
            off.abs() <= 1.0,
            "marker at {t:.4} s: beep {off:.2} ms off its flash"
        );
    }
    // The freeze is silent and still.
    assert!(
        rms(&audio_samples(&video), 4.02, 4.98) < 1e-4,
        "the freeze has sound"
    );
    let (a, b) = (
        frame_at(&video, 4.05, &d.join("a.png")),
        frame_at(&video, 4.9, &d.join("b.png")),
    );
    assert_eq!(a.data, b.data, "the frozen frame changes");
}

/// `cutroom export INPUT -p wide EXTRA... --json` in `dir`, with two small presets (`sq` at
/// another loudness target than `wide`).
fn export_small_run(dir: &Path, input: &Path, extra: &[&str]) -> std::process::Output {
    let presets = dir.join("presets.toml");
    std::fs::write(
        &presets,
        "[wide]\nbase = \"x\"\nwidth = 320\nheight = 180\n[sq]\nbase = \"x\"\nwidth = 240\nheight = 240\nloudness_lufs = -20.0\n",
    )
    .unwrap();
    let out = dir.join("out");
    let mut args = vec!["export", s(input), "--presets", s(&presets), "-p", "wide"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["-o", s(&out), "--json"]);
    cutroom(&args)
}

#[test]
fn damaged_packets_skipped_in_decoding_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bad) = clip_with_damaged_sound(dir.path());
    // Two loudness targets decode the sound twice: it is reported once.
    let run = export_small_run(dir.path(), &bad, &["-p", "sq"]);
    assert_damage_reported(&run, &bad, "audio");
    // An edited export reads the file through the join.
    let run = export_small_run(dir.path(), &bad, &["--speed", "1.5"]);
    assert_damage_reported(&run, &bad, "audio");
}

#[test]
fn damaged_picture_packets_skipped_in_decoding_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (good, _) = clip_with_damaged_sound(dir.path());
    let bad = clip_with_damaged_picture(dir.path(), &good);
    assert_damage_reported(&export_small_run(dir.path(), &bad, &[]), &bad, "video");
    // An edited export decodes the picture in the join, on its own thread.
    let run = export_small_run(dir.path(), &bad, &["--speed", "1.5"]);
    assert_damage_reported(&run, &bad, "video");
}

/// Fills every block `memalign` hands out (x264 allocates with it) with the 16-bit `FILL16`.
const FILL_SHIM: &str = r#"
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
void *memalign(size_t a, size_t n) {
    static void *(*real)(size_t, size_t);
    if (!real) real = dlsym(RTLD_NEXT, "memalign");
    uint16_t *p = real(a, n), v = (uint16_t)strtol(getenv("FILL16"), 0, 0);
    for (size_t i = 0; p && i < n / 2; i++) p[i] = v;
    return p;
}
"#;

/// The picture's bits do not depend on what freshly allocated memory held: x264's AVX-512
/// macroblock-tree code reads padding it never wrote when the width in macroblocks is not a
/// multiple of 8 (6 and 10 here; 8 keeps AVX-512), which made exports side by side in one
/// process differ (#20).
#[test]
fn picture_bits_do_not_depend_on_what_fresh_memory_held() {
    let dir = tempfile::tempdir().unwrap();
    let (c, shim) = (dir.path().join("fill.c"), dir.path().join("fill.so"));
    std::fs::write(&c, FILL_SHIM).unwrap();
    let cc = std::process::Command::new("cc")
        .args(["-O2", "-shared", "-fPIC", "-o", s(&shim), s(&c), "-ldl"])
        .status()
        .unwrap();
    assert!(cc.success(), "cc could not build the memalign shim");
    let presets = dir.path().join("presets.toml");
    std::fs::write(
        &presets,
        "[sq]\nbase = \"square\"\nwidth = 96\nheight = 96\n\
         [wide]\nbase = \"youtube\"\nwidth = 160\nheight = 90\n\
         [eight]\nbase = \"youtube\"\nwidth = 128\nheight = 72\n",
    )
    .unwrap();
    let export = |fill: &str| -> Vec<String> {
        let out = dir.path().join(format!("out{fill}"));
        succeeded(
            cutroom_command()
                .args(["-q", "export", s(&fixture("marker_landscape_25.mp4"))])
                .args([
                    "--presets",
                    s(&presets),
                    "-p",
                    "sq",
                    "-p",
                    "wide",
                    "-p",
                    "eight",
                    "-o",
                    s(&out),
                ])
                .env("LD_PRELOAD", &shim)
                .env("FILL16", fill),
        );
        ["sq", "wide", "eight"]
            .map(|p| stream_hashes(&out.join(format!("marker_landscape_25.{p}.mp4"))))
            .to_vec()
    };
    assert_eq!(export("0"), export("0xFFE0"));
}

#[test]
fn a_file_that_is_not_media_is_refused_as_such_not_as_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let not_media = fixture("not_media.mp4");
    for extra in [&[][..], &["--require-provenance"][..]] {
        let mut args = vec!["export", s(&not_media), "-p", "x", "-o", s(dir.path())];
        args.extend_from_slice(extra);
        let run = cutroom(&args);
        assert_eq!(run.status.code(), Some(1), "{extra:?}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("not a media file"), "{extra:?}: {err}");
        assert!(!err.contains("Content Credentials"), "{extra:?}: {err}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// `--cover 50s` on a 6 s clip (a typo for 5.0) is an error naming the output's length, not
/// silently its last frame; nothing is written.
#[test]
fn a_cover_time_past_the_end_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for at in ["50s", "180f"] {
        let clip = fixture("marker_portrait_30.mp4");
        let fast = ["--x264-preset", "ultrafast"];
        let err = export_refused(
            &[&["-q", s(&clip), "-p", "x"], &fast[..], &["--cover", at]].concat(),
            &out,
        );
        assert!(
            err.contains("past the end of the output (6.000 s, 180 frames)"),
            "{at}: {err}"
        );
    }
}

/// A preset's `max_kbps` caps the whole file as a platform measures it, its size over its
/// length, sound and MP4 boxes included. x264 was held to it for the video alone, over a buffer
/// of two seconds it may spend on top: a 4 s Reels export of a detailed picture measured 11 958
/// kb/s against the cap of 10 000, YouTube 14 610 against 12 000. A file still over its cap
/// (here the sound alone is) is said, and with --strict refused, nothing written.
#[test]
fn a_detailed_export_stays_under_its_presets_bit_rate_cap_sound_included() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    // Noise: about 7 Mb/s at CRF 20, far over the cap below.
    lavfi_clip(
        &clip,
        "testsrc2=s=320x180:r=30:d=2,noise=alls=50:allf=t",
        Some("sine=f=440:d=2"),
        &[],
    );
    let presets = presets_file(
        d,
        "[small]\nbase = \"x\"\nwidth = 320\nheight = 180\nmax_kbps = 600\n\n\
         [thin]\nbase = \"small\"\nmax_kbps = 150\n",
    );
    let out = d.join("out");
    let export = ["export", s(&clip), "--presets", s(&presets), "-o", s(&out)];
    let run = cutroom_ok(&[&export[..], &["-p", "small", "-p", "thin", "--json"]].concat());
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let measured = |name: &str| {
        let f = &ffprobe(&out.join(format!("clip.{name}.mp4")))["format"];
        let size: f64 = f["size"].as_str().unwrap().parse().unwrap();
        let secs: f64 = f["duration"].as_str().unwrap().parse().unwrap();
        size * 8.0 / secs / 1000.0
    };
    let small = measured("small");
    // At the cap, not far under it: the cap is what holds it.
    assert!((480.0..=600.0).contains(&small), "small: {small:.0} kb/s");
    assert_eq!(report["outputs"][0]["warnings"], serde_json::json!([]));
    // 192 kb/s of AAC alone is over 150.
    let thin = measured("thin");
    let said = format!("{thin:.0} kb/s (its size over its length) is over the 150 kb/s cap");
    assert!(thin > 150.0, "{thin}");
    let warnings = report["outputs"][1]["warnings"].to_string();
    assert!(warnings.contains(&said), "{warnings}");
    assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
    let err = export_refused(
        &[s(&clip), "--presets", s(&presets), "-p", "thin", "--strict"],
        &d.join("strict"),
    );
    assert!(
        err.contains("preset `thin`: ") && err.contains("(--strict)"),
        "{err}"
    );
}

/// A signature (--sign-cert) was added as the outputs were moved into place, after their size
/// was reported and checked against the cap: a one-frame export's 14 kB manifest took it over
/// its preset's cap unseen. The size reported and checked is now the signed file's.
#[test]
fn a_signed_export_is_measured_against_its_cap_as_signed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("one.mp4");
    lavfi_clip(&clip, "testsrc2=s=320x180:r=30,trim=end_frame=1", None, &[]);
    // One frame, 1/30 s: about 6 kB unsigned, 1 500 kb/s; 20 kB signed, 5 000 kb/s.
    let presets = presets_file(
        d,
        "[small]\nbase = \"x\"\nwidth = 320\nheight = 180\nmax_kbps = 4000\n",
    );
    let (cert, key) = signing_cert(d, "signer", "ec");
    let out = d.join("out");
    let run = cutroom_ok(&[
        "export",
        s(&clip),
        "--presets",
        s(&presets),
        "-p",
        "small",
        "--sign-cert",
        s(&cert),
        "--sign-key",
        s(&key),
        "--json",
        "-o",
        s(&out),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let file = out.join("one.small.mp4");
    let bytes = std::fs::metadata(&file).unwrap().len();
    assert_eq!(
        report["outputs"][0]["bytes"], bytes,
        "the signed file's size"
    );
    let kbps = bytes as f64 * 8.0 / (1.0 / 30.0) / 1000.0;
    assert!(kbps > 4000.0, "{kbps:.0} kb/s");
    let said = format!("{kbps:.0} kb/s (its size over its length) is over the 4000 kb/s cap");
    let warnings = report["outputs"][0]["warnings"].to_string();
    assert!(warnings.contains(&said), "{warnings}");
}

/// A 1x1 picture failed deep in the filter graph, as two failed outputs naming no file
/// (`filter graph 'split=2[bg][fg];[bg]crop=0:0:1:1:exact=1,...': Invalid argument`): it is
/// refused by name before any work.
#[test]
fn a_one_pixel_picture_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("dot.mp4");
    lavfi_clip(
        &clip,
        "color=c=red:s=2x2:r=30:d=0.2,scale=1:1",
        None,
        &["-pix_fmt", "yuv444p"],
    );
    let err = export_refused(
        &[s(&clip), "-p", "x", "-p", "reels"],
        &dir.path().join("out"),
    );
    assert_eq!(
        err.trim(),
        format!(
            "cutroom: error: {}: its picture is 1x1 pixels: too small to reframe (2x2 at least)",
            s(&clip)
        )
    );
}

/// A `--logo` that is not there is named as any missing input is (`cutroom: error: FILE: no
/// such file`), not as the `logo.file` key of an overlays file that was never given.
#[test]
fn a_missing_logo_is_named_as_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=320x180:r=25:d=1", None, &[]);
    let logo = d.join("logo.png");
    let out = d.join("out");
    let err = export_refused(&[s(&clip), "-p", "square", "--logo", s(&logo)], &out);
    assert_eq!(
        err.trim(),
        format!("cutroom: error: {}: no such file", logo.display())
    );
    // An overlays file whose [logo] only places it, with no --logo to give the image (with
    // one it was refused the same way, `missing field 'file'`: the table now places --logo).
    let overlays = d.join("place.toml");
    std::fs::write(&overlays, "[logo]\ncorner = \"bottom-left\"\n").unwrap();
    let err = export_refused(
        &[s(&clip), "-p", "square", "--overlays", s(&overlays)],
        &out,
    );
    assert_eq!(
        err.trim(),
        format!(
            "cutroom: error: {}: [logo] has no file: name its image (file = \"logo.png\") or \
             give one with --logo",
            overlays.display()
        )
    );
}

/// A text overlay shown on a card was drawn over the card's text (libass leaves positioned
/// text where it is put): it now goes just above or below it, and where no place keeps the
/// two apart the overlays file is refused, naming both.
#[test]
fn a_text_overlay_shown_on_a_card_keeps_clear_of_its_text() {
    let tall = Tall::new("color=c=0x3060C0:s=360x640:r=30:d=1", (360, 640));
    let d = tall.dir.path();
    let overlays = d.join("overlays.toml");
    let overlay = |text: &str, size: f64| {
        format!(
            "[[text]]\ntext = \"{text}\"\nposition = \"center\"\nstart = 1.3\n\
             style = {{ size = {size} }}\n"
        )
    };
    std::fs::write(&overlays, overlay("SHOP NOW", 0.06)).unwrap();
    let card = "text = \"THANK YOU ALL FOR WATCHING\", duration = 1, style = { size = 0.1 }";
    let out = d.join("out");
    let args = ["--overlays", s(&overlays), "--end-card", card];
    cutroom_ok(&tall.args(&[&args[..], &["-o", s(&out)]].concat()));
    let video = out.join("clip.tall.mp4");
    // The card alone, then with the overlay: its lines stay, the overlay's is a line apart.
    let alone = text_lines(&frame_at(&video, 1.1, &d.join("a.png")), 0, 640);
    let frame = frame_at(&video, 1.6, &d.join("f.png"));
    let both = text_lines(&frame, 0, 640);
    assert!(!alone.is_empty(), "no card text");
    assert_eq!(
        both.len(),
        alone.len() + 1,
        "card {alone:?}, with the overlay {both:?}"
    );
    assert!(
        alone.iter().all(|l| both.contains(l)),
        "card {alone:?}, with the overlay {both:?}"
    );
    let words = ["THANK", "YOU", "ALL", "FOR", "WATCHING", "SHOP", "NOW"];
    assert_ocr(&frame, &words, &[], &d.join("ocr.pgm"), "card and overlay");
    // A card whose text fills the room between the UI zones leaves none: refused.
    let long = "text = \"THANKS FOR WATCHING THIS WHOLE TRAILER AND SEE YOU IN THE CINEMA THIS \
                FRIDAY\", duration = 1, style = { size = 0.2 }";
    std::fs::write(&overlays, overlay("SHOP NOW AT OUR STORE TODAY", 0.1)).unwrap();
    let refused = d.join("refused");
    let args = tall.args(&["--overlays", s(&overlays), "--end-card", long]);
    let err = export_refused(&args[1..], &refused);
    assert!(
        err.contains(&format!(
            "{}: the text of --end-card (\"THANKS FOR WATCHING THIS WHOLE TRAILER...\") and \
             text 1 are shown together and no place",
            overlays.display()
        )),
        "{err}"
    );
}

/// An animated GIF or APNG given as a logo played once over the first second and then stayed
/// on its last picture, silently; it is refused, naming the file. Given as an image card it was
/// refused as a clip given a duration ("trim a clip with in and out"), and so was a GIF of one
/// picture; one check now serves both: the animation is named, the still GIF shown.
#[test]
fn an_animated_logo_or_image_card_is_refused_and_a_still_gif_card_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    // Red, then green: five pictures at 5 fps.
    let anim = "color=red:s=64x32:r=5:d=0.2[a];color=green:s=64x32:r=5:d=0.8[b];\
                [a][b]concat=n=2:v=1,format=rgb8";
    for (name, format, said) in [("logo.gif", "gif", "(gif)"), ("logo.png", "apng", "(apng)")] {
        let logo = d.join(name);
        ff(&["-filter_complex", anim, "-f", format, s(&logo)]);
        let out = d.join("out");
        let err = export_refused(&[s(&clip), "-p", "square", "--logo", s(&logo)], &out);
        assert!(
            err.contains(&format!(
                "{}: an animation {said}, which a logo would play once",
                logo.display()
            )),
            "{err}"
        );
        let card = format!("image = \"{}\", duration = \"1s\"", s(&logo));
        let err = export_refused(&[s(&clip), "-p", "square", "--end-card", &card], &out);
        assert!(
            err.contains(&format!(
                "--end-card: {}: holds more than one picture {said}, and an image card shows \
                 one still picture",
                logo.display()
            )),
            "{err}"
        );
    }
    // A video given as a logo was called an animation; it is named as a video, refused.
    let err = export_refused(
        &[s(&clip), "-p", "square", "--logo", s(&clip)],
        &d.join("out"),
    );
    assert!(
        err.contains(&format!(
            "{}: a video (mov,mp4,m4a,3gp,3g2,mj2), not a still image: a logo is one picture, so \
             a video is refused, not shown by its first frame",
            clip.display()
        )),
        "{err}"
    );
    let one = d.join("one.gif");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "color=red:s=64x32",
        "-frames:v",
        "1",
        s(&one),
    ]);
    let short = d.join("short.mp4");
    lavfi_clip(&short, "color=c=0x3060C0:s=320x180:r=30:d=1", None, &[]);
    let card = format!("image = \"{}\", duration = \"1s\"", s(&one));
    let video = export_small(d, &short, &["--end-card", &card]);
    let frame = frame_at(&video, 1.5, &d.join("card.png"));
    let p = frame.at(320, 180);
    assert!(p[0] > 200 && p[1] < 60 && p[2] < 60, "the card shows {p:?}");
}

/// A logo whose name cannot pass through a filter graph as it is (a colon FFmpeg takes for a
/// protocol, bytes that are not UTF-8) is burnt in all the same.
#[test]
fn a_logo_named_with_a_colon_or_not_in_utf8_is_burnt_in() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=0x3060C0:s=320x180:r=25:d=1", None, &[]);
    let red = red_still(d);
    for name in [OsStr::new("lo:go.png"), OsStr::from_bytes(b"l\xf6go.png")] {
        std::fs::copy(&red, d.join(name)).unwrap();
        let out = d.join("out");
        succeeded(
            cutroom_command()
                .args(["export", "clip.mp4", "-p", "square", "-o", "out", "--logo"])
                .arg(name)
                .current_dir(d),
        );
        let frame = frame_at(&out.join("clip.square.mp4"), 0.5, &d.join("f.png"));
        let red = frame.bbox(|p| p[0] > 200 && p[1] < 60 && p[2] < 60);
        assert!(red.is_some(), "{name:?}: no logo");
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// An input whose name is not UTF-8 (a Latin-1 `présentation.mp4`) gives outputs, sidecars
/// and cover named with the same bytes, not with U+FFFD in their place.
#[test]
fn outputs_keep_the_bytes_of_an_input_name_that_is_not_utf8() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join(OsStr::from_bytes(b"pr\xe9sentation.mp4"));
    lavfi_clip(&clip, "color=c=gray:s=320x180:r=25:d=1", None, &[]);
    let srt = d.join("subs.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:00,500\nHi\n").unwrap();
    let out = d.join("out");
    succeeded(cutroom_command().arg("export").arg(&clip).args([
        "-p",
        "square",
        "--cover",
        "0.2s",
        "--captions",
        s(&srt),
        "-o",
        s(&out),
    ]));
    let names: Vec<Vec<u8>> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    assert_byte_names(
        names,
        b"pr\xe9sentation.square.",
        &["jpg", "mp4", "srt", "vtt"],
    );
}

/// Each output's `--json` entry has its loudness as encoded (what ffmpeg's meter reads on it),
/// and a preset target the true-peak ceiling keeps out of reach is a warning: 10 ms clicks at
/// -1 dBFS once a second can be no louder than -17 LUFS under -1 dBTP (the output said nothing
/// and named only the -14 LUFS target).
#[test]
fn each_output_reports_its_loudness_and_a_target_out_of_reach() {
    let dir = tempfile::tempdir().unwrap();
    let clicks = dir.path().join("clicks.mp4");
    testsrc_with_sound(&clicks, 3, CLICKS, &[]);
    let out = dir.path().join("out");
    for (src, reachable) in [(fixture("marker_landscape_25.mp4"), true), (clicks, false)] {
        let run = cutroom_ok(&["export", s(&src), "-p", "square", "-o", s(&out), "--json"]);
        let err = String::from_utf8_lossy(&run.stderr);
        let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let o = &r["outputs"][0];
        let got = o["loudness"]["integrated_lufs"]
            .as_f64()
            .expect("a loudness");
        let meter = ebur128(Path::new(o["path"].as_str().unwrap()));
        assert!((got - meter.integrated).abs() <= 0.2, "{o} vs {meter:?}");
        let peak = o["loudness"]["true_peak_dbtp"].as_f64().unwrap();
        assert!((peak - meter.true_peak).abs() <= 0.3, "{o} vs {meter:?}");
        let warned = o["warnings"].as_array().unwrap();
        if reachable {
            assert!((got + 14.0).abs() <= 0.1, "{o}");
            assert!(warned.is_empty(), "{o}");
        } else {
            assert!(got < -15.0, "{o}");
            let said = format!(
                "loudness target -14 LUFS: the soundtrack reaches {got:.1} LUFS at a true peak of \
                 {peak:.1} dBTP, as loud as the -1 dBTP true-peak ceiling allows"
            );
            assert_eq!(warned, &[serde_json::json!(said)], "{o}");
            assert!(err.contains(&said), "{err}");
        }
    }
}

/// Each word Tesseract reads in the light text of `frame` (as [`tesseract`] reads it) with its
/// left and right edges; `None` when the `tesseract` CLI is not installed.
fn ocr_boxes(frame: &Rgb, scratch: &Path) -> Option<Vec<(String, u32, u32)>> {
    let tsv = tesseract(frame, scratch, &["--psm", "11", "tsv"])?;
    // level page block par line word left top width height conf text
    let words = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let text: String = f.get(11)?.chars().filter(|c| c.is_alphanumeric()).collect();
            let (left, width): (u32, u32) = (f[6].parse().ok()?, f[8].parse().ok()?);
            (!text.is_empty()).then(|| (text.to_uppercase(), left, left + width))
        })
        .collect();
    Some(words)
}

/// Hebrew and Arabic lines holding Latin words and digits were laid out left to right (the
/// style's Encoding 1 gave libass a left-to-right paragraph): `שלום WORLD 123` showed the
/// Hebrew word first on the left, where a reader of Hebrew ends. Each line now takes its
/// direction from its first strong letter (Encoding -1), as the Unicode algorithm says.
#[test]
fn right_to_left_lines_with_latin_words_and_digits_read_from_the_right() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    lavfi_clip(&clip, "color=c=black:s=640x360:r=30:d=1", None, &[]);
    let srt = d.join("rtl.srt");
    std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:01,000\nשלום WORLD 123\n").unwrap();
    let overlays = d.join("overlays.toml");
    std::fs::write(
        &overlays,
        "[[text]]\ntext = \"سلام HELLO\"\nposition = \"top\"\n",
    )
    .unwrap();
    let video = export_small(
        d,
        &clip,
        &["--captions", s(&srt), "--overlays", s(&overlays)],
    );
    let frame = frame_at(&video, 0.5, &d.join("f.png"));
    let Some(words) = ocr_boxes(&frame, &d.join("ocr.pgm")) else {
        return;
    };
    let find = |w: &str| {
        words
            .iter()
            .find(|(t, ..)| t == w)
            .unwrap_or_else(|| panic!("{w} not read in {words:?}"))
            .clone()
    };
    // The ink of each line: the overlay in the top half, the caption in the bottom one.
    let ink = |y0: u32, y1: u32| {
        let cols: Vec<u32> = (0..frame.width)
            .filter(|&x| (y0..y1).any(|y| white(frame.at(x, y))))
            .collect();
        (cols[0], cols[cols.len() - 1] + 1)
    };
    for (line, (x0, x1), first, last) in [
        ("caption", ink(180, 360), "WORLD", "123"),
        ("overlay", ink(0, 180), "HELLO", "HELLO"),
    ] {
        let (first, last) = (find(first), find(last));
        assert!(
            first.1 <= x0 + 4 && x1 > last.2 + 20,
            "{line}: the Latin words ({first:?} to {last:?}) do not start the line at the left \
             ({x0}-{x1}), with the right-to-left word after them on the right"
        );
    }
}
