//! Shared test helpers: fixture paths, the cutroom binary, and the ffmpeg CLI as an independent
//! oracle (ffprobe figures, marker times measured from what FFmpeg decodes).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a committed fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Run the cutroom binary with `args`.
pub fn cutroom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .output()
        .expect("run cutroom")
}

/// Stdout of a successful run, parsed as JSON; panics with stderr otherwise.
pub fn cutroom_json(args: &[&str]) -> serde_json::Value {
    let out = cutroom(args);
    assert!(
        out.status.success(),
        "cutroom {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Make a marker clip at run time (see fixtures/marker.sh for the arguments' meaning).
#[allow(clippy::too_many_arguments)]
pub fn marker_clip(
    out: &Path,
    w: u32,
    h: u32,
    fps: u32,
    secs: f64,
    audio_secs: f64,
    audio_offset_ms: f64,
    extra: &[&str],
) {
    let status = Command::new(fixture("marker.sh"))
        .arg(out)
        .args([
            w.to_string(),
            h.to_string(),
            fps.to_string(),
            secs.to_string(),
        ])
        .args([
            "48000".into(),
            "2".into(),
            audio_secs.to_string(),
            audio_offset_ms.to_string(),
        ])
        .args(extra)
        .status()
        .expect("run fixtures/marker.sh");
    assert!(status.success(), "marker.sh failed for {}", out.display());
}

/// `ffprobe -show_format -show_streams` of `path` as JSON.
pub fn ffprobe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    serde_json::from_slice(&out.stdout).expect("ffprobe JSON")
}

/// Packets of stream `sel` (`v:0`, `a:0`) as (pts, dts, flags, data hash) via ffprobe.
pub fn ffprobe_packets(path: &Path, sel: &str) -> Vec<serde_json::Value> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            sel,
            "-show_packets",
            "-show_data_hash",
            "MD5",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("run ffprobe");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe JSON");
    v["packets"].as_array().cloned().unwrap_or_default()
}

/// Marker events of a file as FFmpeg decodes it: flash frame times and beep onset times (s).
#[derive(Debug, Clone, Default)]
pub struct Markers {
    /// Presentation times of frames whose mean luma jumps above mid-grey.
    pub flashes: Vec<f64>,
    /// Onset times of beeps (first sample above a quarter of full scale after silence).
    pub beeps: Vec<f64>,
}

/// Measure the markers of `path` by decoding it with the ffmpeg CLI.
pub fn markers(path: &Path) -> Markers {
    Markers {
        flashes: flash_times(path),
        beeps: beep_times(path),
    }
}

fn flash_times(path: &Path) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-an",
            "-vf",
            "scale=16:16,format=gray,showinfo",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr);
    let mut flashes = Vec::new();
    let mut prev_bright = false;
    for line in log
        .lines()
        .filter(|l| l.contains("pts_time:") && l.contains("mean:["))
    {
        let t: f64 = field(line, "pts_time:").parse().unwrap_or(f64::NAN);
        let mean: f64 = line
            .split("mean:[")
            .nth(1)
            .and_then(|s| s.split([']', ' ']).next())
            .and_then(|s| s.parse().ok())
            .unwrap_or(0.0);
        let bright = mean > 128.0;
        if bright && !prev_bright {
            flashes.push(t);
        }
        prev_bright = bright;
    }
    flashes
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split(key)
        .nth(1)
        .map(|s| s.split_whitespace().next().unwrap_or(""))
        .unwrap_or("")
}

fn beep_times(path: &Path) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-vn",
            "-af",
            "aresample=48000,pan=mono|c0=c0,ashowinfo",
            "-f",
            "f32le",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr);
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    // Map each sample index to a time through the frames' pts (handles a non-zero start).
    let mut frames: Vec<(usize, f64)> = Vec::new();
    let mut at = 0usize;
    for line in log
        .lines()
        .filter(|l| l.contains("ashowinfo") && l.contains("nb_samples:"))
    {
        let t: f64 = field(line, "pts_time:").parse().unwrap_or(f64::NAN);
        let n: usize = field(line, "nb_samples:").parse().unwrap_or(0);
        frames.push((at, t));
        at += n;
    }
    let time_of = |i: usize| {
        let k = frames
            .partition_point(|(start, _)| *start <= i)
            .saturating_sub(1);
        let (start, t) = frames.get(k).copied().unwrap_or((0, 0.0));
        t + (i - start) as f64 / 48000.0
    };
    let mut beeps = Vec::new();
    let mut last: Option<usize> = None;
    for (i, v) in samples.iter().enumerate() {
        if v.abs() > 0.25 {
            if last.map(|l| i - l > 24000).unwrap_or(true) {
                beeps.push(time_of(i));
            }
            last = Some(i);
        }
    }
    beeps
}

/// A/V offset at each flash in ms (beep onset minus flash time; positive: audio late), pairing
/// each flash with the nearest beep within half a second. Flashes without a beep are skipped.
pub fn marker_offsets_ms(path: &Path) -> Vec<(f64, f64)> {
    let m = markers(path);
    m.flashes
        .iter()
        .filter_map(|&f| {
            let b = m
                .beeps
                .iter()
                .copied()
                .min_by(|a, b| (a - f).abs().total_cmp(&(b - f).abs()))?;
            ((b - f).abs() < 0.5).then_some((f, (b - f) * 1000.0))
        })
        .collect()
}

/// A directory under the target dir for files a test leaves for people to look at
/// (`target/test-artifacts/<name>`), created when missing.
pub fn artifact_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .join("test-artifacts")
        .join(name);
    std::fs::create_dir_all(&dir).expect("create artifact dir");
    dir
}

/// An 8-bit RGB picture read back from a PNG.
#[derive(Debug, Clone)]
pub struct Rgb {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Rgb {
    /// The pixel at `(x, y)`.
    pub fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = 3 * (y * self.width + x) as usize;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Bounding box `(x0, y0, x1, y1)` (exclusive ends) of the pixels matching `pred`.
    pub fn bbox(&self, pred: impl Fn([u8; 3]) -> bool) -> Option<(u32, u32, u32, u32)> {
        let mut b: Option<(u32, u32, u32, u32)> = None;
        for y in 0..self.height {
            for x in 0..self.width {
                if pred(self.at(x, y)) {
                    let (x0, y0, x1, y1) = b.unwrap_or((x, y, x + 1, y + 1));
                    b = Some((x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1)));
                }
            }
        }
        b
    }

    /// Mean of each channel over the rectangle `[x0, x1) x [y0, y1)`.
    pub fn mean(&self, x0: u32, y0: u32, x1: u32, y1: u32) -> [f64; 3] {
        let mut sum = [0f64; 3];
        for y in y0..y1 {
            for x in x0..x1 {
                let p = self.at(x, y);
                for c in 0..3 {
                    sum[c] += f64::from(p[c]);
                }
            }
        }
        let n = f64::from((x1 - x0) * (y1 - y0));
        sum.map(|s| s / n)
    }
}

/// Read an 8-bit RGB or RGBA PNG (alpha dropped).
pub fn read_png(path: &Path) -> Rgb {
    let decoder = png::Decoder::new(std::fs::File::open(path).expect("open PNG"));
    let mut reader = decoder.read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let bytes = &buf[..info.buffer_size()];
    let data = match info.color_type {
        png::ColorType::Rgb => bytes.to_vec(),
        png::ColorType::Rgba => bytes
            .chunks_exact(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        other => panic!("{}: unexpected PNG colour type {other:?}", path.display()),
    };
    Rgb {
        width: info.width,
        height: info.height,
        data,
    }
}

/// The frame of `video` shown at `secs`, as the ffmpeg CLI decodes it (display rotation
/// applied), written to `png` and read back.
pub fn frame_at(video: &Path, secs: f64, png: &Path) -> Rgb {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-ss"])
        .arg(secs.to_string())
        .arg("-i")
        .arg(video)
        .args(["-frames:v", "1", "-pix_fmt", "rgb24"])
        .arg(png)
        .status()
        .expect("run ffmpeg");
    assert!(
        status.success(),
        "ffmpeg could not grab a frame of {}",
        video.display()
    );
    read_png(png)
}

/// Integrated loudness (LUFS) and true peak (dBTP) of `path`'s audio, by the ffmpeg CLI's
/// EBU R128 meter.
pub fn loudness(path: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-vn", "-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr);
    let summary = log.rsplit("Summary:").next().unwrap_or("");
    let value = |key: &str| -> f64 {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    };
    (value("I:"), value("Peak:"))
}
