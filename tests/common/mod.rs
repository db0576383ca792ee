//! Shared test helpers: fixture paths, the cutroom binary, and the ffmpeg CLI as an independent
//! oracle (ffprobe figures, marker times measured from what FFmpeg decodes).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The ffmpeg CLI, quiet (errors only) and overwriting its output; add the rest.
pub fn ffmpeg() -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-y"]);
    cmd
}

/// Run the ffmpeg CLI quietly with `args`; panic with its message when it fails.
pub fn ff<A: AsRef<OsStr> + std::fmt::Debug>(args: &[A]) {
    let out = ffmpeg().args(args).output().expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `out` made by the ffmpeg CLI from the lavfi source `source` (a sound such as `aevalsrc=...`,
/// or a picture), with the output options `extra` (a codec, say; its format by its name).
pub fn from_lavfi(out: &Path, source: &str, extra: &[&str]) {
    ff(&[&["-f", "lavfi", "-i", source], extra, &[s(out)]].concat());
}

/// `out`: an H.264 clip (libx264 `veryfast`, yuv420p) of the lavfi picture graph `picture`, with
/// the lavfi source `sound` as AAC when given, and the output options `extra` (a length, a rate,
/// a faster `-preset`: the last one given is used).
pub fn lavfi_clip(out: &Path, picture: &str, sound: Option<&str>, extra: &[&str]) {
    let mut args = vec!["-f", "lavfi", "-i", picture];
    if let Some(sound) = sound {
        args.extend(["-f", "lavfi", "-i", sound, "-c:a", "aac"]);
    }
    args.extend([
        "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
    ]);
    let args: Vec<&OsStr> = args.iter().chain(extra).map(OsStr::new).collect();
    ff(&[&args[..], &[out.as_os_str()]].concat());
}

/// `out`: an H.264 clip (libx264 `veryfast`, yuv420p) of the lavfi picture graph `picture` with
/// one AAC track per lavfi source in `sounds`, in their order, and the output options `extra`
/// (which track is the default, say).
pub fn tracks_clip(out: &Path, picture: &str, sounds: &[&str], extra: &[&str]) {
    let mut args: Vec<String> = ["-f", "lavfi", "-i", picture].map(String::from).to_vec();
    for sound in sounds {
        args.extend(["-f", "lavfi", "-i", sound].map(String::from));
    }
    args.extend(["-map".into(), "0:v".into()]);
    for i in 1..=sounds.len() {
        args.extend(["-map".into(), format!("{i}:a")]);
    }
    args.extend(
        [
            "-c:a", "aac", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
        ]
        .map(String::from),
    );
    args.extend(extra.iter().map(|a| a.to_string()));
    args.push(s(out).to_string());
    ff(&args);
}

/// One picture of the lavfi graph `graph` (its first frame) as `out` (PNG or JPEG, by its name).
pub fn still(out: &Path, graph: &str) {
    from_lavfi(out, graph, &["-frames:v", "1"]);
}

/// `secs` s of a steady 220 Hz hum (0.2 peak), stereo 48 kHz, as `out`: a music bed.
pub fn hum(out: &Path, secs: u32) {
    let source = format!("aevalsrc='0.2*sin(2*PI*220*t)':s=48000:c=stereo:d={secs}");
    from_lavfi(out, &source, &[]);
}

/// Run `cmd`, which must succeed (else panic with its stderr); its output.
pub fn succeeded(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run the command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The real clips folder (`$CUTROOM_SHARED/media/real`, default `../shared` beside the
/// repository), or `None` with a message saying why the test is skipped.
pub fn real_clips() -> Option<PathBuf> {
    let shared = std::env::var_os("CUTROOM_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let dir = shared.join("media/real");
    if dir.join("make_shifted.sh").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: no real clips at {} (set CUTROOM_SHARED to the shared folder)",
            dir.display()
        );
        None
    }
}

/// A path as a command-line argument (test paths are UTF-8).
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Path of a committed fixture.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// The cutroom binary as a command, for a run that sets an environment or a working directory.
pub fn cutroom_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cutroom"))
}

/// Run the cutroom binary with `args`.
pub fn cutroom(args: &[&str]) -> Output {
    cutroom_command().args(args).output().expect("run cutroom")
}

/// Run the cutroom binary with `args`, which must succeed (else panic with the command and its
/// stderr); its output.
pub fn cutroom_ok(args: &[&str]) -> Output {
    succeeded(cutroom_command().args(args))
}

/// Run the cutroom binary with `args` where no file may grow past `kb` kB: a write past it
/// fails with `File too large` (the file size limit of `ulimit -f`, its signal ignored), as on
/// a full disk.
pub fn cutroom_with_file_limit(kb: u32, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"",
            kb * 2
        ))
        .arg(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .output()
        .expect("run cutroom under sh")
}

/// Stdout of a successful run, parsed as JSON; panics with stderr otherwise.
pub fn cutroom_json(args: &[&str]) -> serde_json::Value {
    serde_json::from_slice(&cutroom_ok(args).stdout).expect("JSON on stdout")
}

/// The `--json` report of a quiet, successful `cutroom assemble SPEC -o OUT`.
pub fn assemble_json(spec: &Path, out: &Path) -> serde_json::Value {
    cutroom_json(&["-q", "assemble", s(spec), "-o", s(out), "--json"])
}

/// Peak resident memory of a run in MB (`/usr/bin/time`), with its output.
pub fn peak_mb(args: &[&str]) -> (f64, Output) {
    peak_mb_of(timed_cutroom(args).output().expect("run /usr/bin/time"))
}

/// [`peak_mb`] of a run that must succeed (else panic with the command and its stderr).
pub fn peak_mb_ok(args: &[&str]) -> (f64, Output) {
    peak_mb_of(succeeded(&mut timed_cutroom(args)))
}

/// `cutroom ARGS` under `/usr/bin/time`, which prints its peak memory on stderr.
fn timed_cutroom(args: &[&str]) -> Command {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.args(["-f", "maxrss_kb=%M", env!("CARGO_BIN_EXE_cutroom")])
        .args(args);
    cmd
}

/// The peak memory in MB that `/usr/bin/time` printed on the stderr of `out`, with `out`.
fn peak_mb_of(out: Output) -> (f64, Output) {
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: f64 = err
        .lines()
        .find_map(|l| l.strip_prefix("maxrss_kb="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no maxrss in {err}"));
    (kb / 1024.0, out)
}

/// Asserts that peak memory grew from `short` MB (a run on a short input) to `long` MB (the same
/// run `extra_s` seconds longer) by less than `copies` copies of the extra sound as 48 kHz stereo
/// f32: a command that streams its sound grows by far less than one that holds it whole.
pub fn assert_sound_growth(short: f64, long: f64, extra_s: f64, copies: f64) {
    let copy = extra_s * 48000.0 * 2.0 * 4.0 / (1024.0 * 1024.0);
    assert!(
        long - short < copies * copy,
        "{short:.0} MB, then {long:.0} MB {extra_s:.0} s longer (one copy of that sound is {copy:.0} MB, the limit {copies} copies)"
    );
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

/// A marker clip without sound (the flashes of [`marker_clip`] alone).
pub fn marker_picture(out: &Path, w: u32, h: u32, fps: u32, secs: f64) {
    let status = Command::new(fixture("marker.sh"))
        .arg(out)
        .args([w, h, fps].map(|n| n.to_string()))
        .args([secs.to_string(), "48000".into(), "0".into()])
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

/// SHA-256 of every stream's packets (`ffmpeg -f streamhash`): one `index,type,SHA256=...`
/// line per stream, whatever order the muxer interleaved them in.
pub fn stream_hashes(path: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-map",
            "0",
            "-c",
            "copy",
            "-f",
            "streamhash",
            "-hash",
            "sha256",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
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
    flash_times_vf(path, "")
}

/// Flash times measured after the FFmpeg filter chain `pre` (empty: the whole picture).
fn flash_times_vf(path: &Path, pre: &str) -> Vec<f64> {
    let vf = if pre.is_empty() {
        "scale=16:16,format=gray,showinfo".to_string()
    } else {
        format!("{pre},scale=16:16,format=gray,showinfo")
    };
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-an", "-vf", &vf, "-f", "null", "-"])
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
    offsets_of(markers(path))
}

/// [`marker_offsets_ms`] with flashes measured after the FFmpeg filter chain `vf` (e.g. a
/// crop to where a letterboxed picture sits, so its flash still lifts the mean luma).
pub fn marker_offsets_ms_vf(path: &Path, vf: &str) -> Vec<(f64, f64)> {
    offsets_of(Markers {
        flashes: flash_times_vf(path, vf),
        beeps: beep_times(path),
    })
}

fn offsets_of(m: Markers) -> Vec<(f64, f64)> {
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

/// Make a clip with a flat `color` picture (an FFmpeg colour: `gray`, `0x404040`, ...) and,
/// with `tone = Some(amplitude)`, a steady 1 kHz sine in 48 kHz stereo (`None`: no audio).
pub fn tone_clip(out: &Path, w: u32, h: u32, fps: u32, secs: f64, color: &str, tone: Option<f64>) {
    let picture = format!("color=c={color}:s={w}x{h}:r={fps}:d={secs}");
    let sound = tone.map(|a| format!("aevalsrc={a}*sin(2*PI*1000*t):s=48000:c=stereo:d={secs}"));
    let gop = fps.to_string();
    let mut extra = vec!["-crf", "20", "-g", &gop, "-movflags", "+faststart"];
    if sound.is_some() {
        extra.extend(["-b:a", "128k"]);
    }
    lavfi_clip(out, &picture, sound.as_deref(), &extra);
}

/// 10 ms 1 kHz clicks at -1 dBFS once a second (an `aevalsrc` expression): no louder than -17
/// LUFS under a -1 dBTP ceiling.
pub const CLICKS: &str = "0.9*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.01)";

/// `out`: `secs` s of a 320x240 30 fps test picture (H.264) with the sound of the `aevalsrc`
/// expression `sound` at 48 kHz (AAC), `extra` output options added (an audio filter, a rate).
pub fn testsrc_with_sound(out: &Path, secs: u32, sound: &str, extra: &[&str]) {
    let picture = format!("testsrc2=s=320x240:r=30:d={secs}");
    let sound = format!("aevalsrc={sound}:s=48000:d={secs}");
    lavfi_clip(out, &picture, Some(&sound), extra);
}

/// `out`'s sound is `surround` folded down to stereo as `ffmpeg -ac 2` does it (within 0.3 LU,
/// `theirs` its copy) and does not clip (true peak at most -3 dBTP).
pub fn assert_folded_like_ffmpeg(out: &Path, surround: &Path, theirs: &Path) {
    ff(&["-i", s(surround), "-vn", "-ac", "2", s(theirs)]);
    let (ours, theirs) = (ebur128(out), ebur128(theirs));
    assert!(ours.true_peak <= -3.0, "true peak {} dBTP", ours.true_peak);
    assert!(
        (ours.integrated - theirs.integrated).abs() <= 0.3,
        "{} LUFS, ffmpeg -ac 2: {} LUFS",
        ours.integrated,
        theirs.integrated
    );
}

/// Mean luma (0-255, limited-range Y as stored) of every frame of `path`, with its time.
pub fn luma_means(path: &Path) -> Vec<(f64, f64)> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-an", "-vf", "format=yuv420p,showinfo", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains("pts_time:") && l.contains("mean:["))
        .map(|l| {
            let t: f64 = field(l, "pts_time:").parse().unwrap_or(f64::NAN);
            let y: f64 = l
                .split("mean:[")
                .nth(1)
                .and_then(|s| s.split([']', ' ']).next())
                .and_then(|s| s.parse().ok())
                .unwrap_or(f64::NAN);
            (t, y)
        })
        .collect()
}

/// The first channel of `path`'s audio as FFmpeg decodes it, at 48 kHz from time 0.
pub fn audio_samples(path: &Path) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-vn",
            "-af",
            "aresample=48000,pan=mono|c0=c0",
            "-f",
            "f32le",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// RMS of `samples` (48 kHz) between `t0` and `t1` seconds.
pub fn rms(samples: &[f32], t0: f64, t1: f64) -> f64 {
    let (a, b) = (
        (t0 * 48000.0) as usize,
        ((t1 * 48000.0) as usize).min(samples.len()),
    );
    let s = &samples[a.min(b)..b];
    (s.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

/// True when FFmpeg decodes every stream of `path` without reporting an error.
pub fn decodes_cleanly(path: &Path) -> bool {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    out.status.success() && out.stderr.is_empty()
}

/// A Python interpreter in a venv under `target/test-venv` with `packages` installed from PyPI
/// (created once and reused across runs), for conformance tests against real client libraries.
pub fn python_with(packages: &[&str]) -> PathBuf {
    try_python_with(packages).unwrap_or_else(|e| panic!("{e}"))
}

/// [`python_with`], or why the venv or the packages cannot be installed.
pub fn try_python_with(packages: &[&str]) -> Result<PathBuf, String> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err("cannot create a venv (is python3-venv installed? run make deps)".into());
        }
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            let module = p
                .split(['=', '<', '>'])
                .next()
                .unwrap_or(p)
                // `c2pa-python` is imported as `c2pa`.
                .trim_end_matches("-python")
                .replace('-', "_");
            !Command::new(&python)
                .args(["-c", &format!("import {module}")])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
        .collect();
    if !missing.is_empty() {
        let ok = Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(&missing)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!("pip install {missing:?} failed"));
        }
    }
    Ok(python)
}

/// EBU R128 figures of a file's audio as the ffmpeg CLI's `ebur128` filter measures them.
#[derive(Debug, Clone, Copy)]
pub struct Ebur128 {
    /// Integrated loudness, LUFS.
    pub integrated: f64,
    /// Loudness range, LU.
    pub lra: f64,
    /// True peak, dBTP (`ebur128=peak=true`).
    pub true_peak: f64,
}

/// Measure `path` with `ffmpeg -i path -af ebur128=peak=true -f null -` and parse the Summary.
pub fn ebur128(path: &Path) -> Ebur128 {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let log = String::from_utf8_lossy(&out.stderr);
    let summary = log
        .split("Summary:")
        .nth(1)
        .unwrap_or_else(|| panic!("no ebur128 summary for {}: {log}", path.display()));
    let value = |key: &str| -> f64 {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NEG_INFINITY)
    };
    Ebur128 {
        integrated: value("I:"),
        lra: value("LRA:"),
        true_peak: value("Peak:"),
    }
}

/// The true peak of `path` in dBTP as FFmpeg's `ebur128=peak=true` reads it, to a thousandth
/// of its linear value (the summary of [`ebur128`] prints tenths of a dB).
pub fn ffmpeg_true_peak(path: &Path) -> f64 {
    let out = succeeded(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-nostats", "-i"])
            .arg(path)
            .args([
                "-af",
                "ebur128=peak=true:metadata=1,ametadata=print:key=lavfi.r128.true_peak:file=-",
                "-f",
                "null",
                "-",
            ]),
    );
    let linear: f64 = String::from_utf8_lossy(&out.stdout)
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("lavfi.r128.true_peak="))
        .unwrap_or_else(|| panic!("no true peak for {}", path.display()))
        .parse()
        .unwrap();
    20.0 * linear.log10()
}

/// The first audio stream of `path` decoded by the ffmpeg CLI to interleaved f32 at `rate` Hz
/// and `channels` channels (edit list applied, as a player hears it).
pub fn decode_pcm(path: &Path, rate: u32, channels: u16) -> Vec<f32> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(path)
        .args([
            "-vn",
            "-ar",
            &rate.to_string(),
            "-ac",
            &channels.to_string(),
        ])
        .args(["-f", "f32le", "-"])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg could not decode {}",
        path.display()
    );
    out.stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Make a clip without markers at run time: a square bouncing between the picture's edges with
/// a click at each impact, the clicks shifted by `audio_offset_ms` (see fixtures/bounce.sh).
pub fn bounce_clip(
    out: &Path,
    w: u32,
    h: u32,
    fps: u32,
    secs: f64,
    audio_offset_ms: f64,
    extra: &[&str],
) {
    let status = Command::new(fixture("bounce.sh"))
        .arg(out)
        .args([
            w.to_string(),
            h.to_string(),
            fps.to_string(),
            secs.to_string(),
            audio_offset_ms.to_string(),
        ])
        .args(extra)
        .status()
        .expect("run fixtures/bounce.sh");
    assert!(status.success(), "bounce.sh failed for {}", out.display());
}

/// A running `cutroom emulate` on 127.0.0.1 (a free port), killed when dropped.
pub struct Emulator {
    child: std::process::Child,
    /// Its base URL, `http://127.0.0.1:PORT/v1`.
    pub base_url: String,
    /// The dialect it serves (`--flavor`, default openai).
    flavor: String,
}

impl Emulator {
    /// Start `cutroom emulate ARGS` with `env` added (and no inherited OPENAI_* variables).
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        use std::io::BufRead;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutroom"));
        cmd.arg("emulate")
            .args(args)
            .stdout(std::process::Stdio::piped());
        cmd.env_remove("OPENAI_API_KEY")
            .env_remove("OPENAI_BASE_URL");
        cmd.envs(env.iter().copied());
        let mut child = cmd.spawn().expect("start cutroom emulate");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("emulator prints its base URL");
        assert!(
            line.starts_with("http://127.0.0.1:") || line.starts_with("https://127.0.0.1:"),
            "emulator said {line:?}"
        );
        let flavor = args.iter().position(|a| *a == "--flavor");
        Self {
            child,
            base_url: line.trim().to_string(),
            flavor: flavor.map_or("openai", |i| args[i + 1]).to_string(),
        }
    }

    /// The emulator's `http://127.0.0.1:PORT`.
    fn host(&self) -> String {
        self.base_url
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The emulator's counters (`GET /emulator/stats`).
    pub fn stats(&self) -> serde_json::Value {
        let (status, _, body) = http_get(&format!("{}/emulator/stats", self.host()), &[]);
        assert_eq!(status, 200);
        serde_json::from_slice(&body).expect("stats JSON")
    }

    /// Make every job so far look `seconds` older (`POST /emulator/backdate`).
    pub fn backdate(&self, seconds: u64) {
        let url = format!("{}/emulator/backdate?seconds={seconds}", self.host());
        assert_eq!(http_request("POST", &url, &[]).0, 204);
    }

    /// The variable that points cutroom at this emulator: OPENAI_BASE_URL for the openai
    /// flavour, CUTROOM_BASE_URL for the others (OPENAI_BASE_URL serves only openai).
    pub fn base_var(&self) -> &'static str {
        match self.flavor.as_str() {
            "openai" => "OPENAI_BASE_URL",
            _ => "CUTROOM_BASE_URL",
        }
    }

    /// Run cutroom against this emulator ([`Emulator::base_var`] set, OPENAI_API_KEY = `key`).
    pub fn cutroom(&self, args: &[&str], key: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cutroom"))
            .args(args)
            .env(self.base_var(), &self.base_url)
            .env("OPENAI_API_KEY", key)
            .env_remove("OPENAI_AUTH_HEADER")
            .output()
            .expect("run cutroom")
    }

    /// Like [`Emulator::cutroom`], parsing stdout as JSON and failing with stderr otherwise.
    pub fn cutroom_json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.cutroom(args, "sk-test");
        assert!(
            out.status.success(),
            "cutroom {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("JSON on stdout")
    }

    /// Bytes of `GET url` from this emulator, retrying its injected 429s and 503s, asking for
    /// `Range: bytes=0-` so `--drop-downloads` does not cut it: the reference copy of a file.
    pub fn reference_bytes(&self, url: &str) -> Vec<u8> {
        for _ in 0..200 {
            let (status, _, body) = http_get(url, &[("Range", "bytes=0-")]);
            match status {
                200 | 206 => return body,
                429 | 503 => std::thread::sleep(std::time::Duration::from_millis(100)),
                s => panic!("GET {url}: HTTP {s}"),
            }
        }
        panic!("GET {url}: still failing");
    }
}

impl Emulator {
    /// Stop it as a user would (SIGTERM), killing it only if it has not exited within 5 s.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status); // already stopped: its PID may belong to another process now
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        self.child.wait().ok()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A minimal HTTP/1.0 GET to a loopback `http://` URL: (status, headers, body).
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    http_request("GET", url, headers)
}

/// A minimal HTTP/1.0 request without a body to a loopback `http://` URL.
pub fn http_request(method: &str, url: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_string()), |(h, p)| (h, format!("/{p}")));
    let mut s = std::net::TcpStream::connect(host).expect("connect");
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).expect("read answer");
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head, buf[split + 4..].to_vec())
}

/// SHA-256 of a file as lower-case hex, via `sha256sum` (an independent implementation).
pub fn sha256sum(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_string()
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
    let status = ffmpeg()
        .args(["-ss"])
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

/// Make a 4 s clip of a grey `w`x`h` picture at 30 fps (keyframe every second) carrying
/// fixtures/music.wav as AAC: programme material for loudness tests.
pub fn music_clip(out: &Path, w: u32, h: u32) {
    let status = ffmpeg()
        .args(["-f", "lavfi", "-i"])
        .arg(format!("color=c=gray:s={w}x{h}:r=30:d=4"))
        .arg("-i")
        .arg(fixture("music.wav"))
        .args(["-c:v", "libx264", "-g", "30", "-c:a", "aac", "-shortest"])
        .arg(out)
        .status()
        .expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make {}", out.display());
}

/// `sdr` (a BT.709 clip) re-encoded as 10-bit BT.2020 HEVC with the HDR `transfer`
/// (`arib-std-b67` for HLG, `smpte2084` for PQ), SDR white at 100 nits, tagged as such.
pub fn hdr_clip(sdr: &Path, out: &Path, transfer: &str) {
    let vf = format!("zscale=t={transfer}:p=2020:m=2020_ncl:r=tv:npl=100,format=yuv420p10le");
    let (sdr, out) = (sdr.to_str().unwrap(), out.to_str().unwrap());
    ff(&[
        "-i",
        sdr,
        "-vf",
        &vf,
        "-c:v",
        "libx265",
        "-x265-params",
        "log-level=error",
        "-color_primaries",
        "bt2020",
        "-color_trc",
        transfer,
        "-colorspace",
        "bt2020nc",
        "-color_range",
        "tv",
        out,
    ]);
}

/// Tesseract's output (`tesseract SCRATCH stdout ARGS`) for the light text of `frame` (pixels
/// with every channel over 180, drawn black on white in a PGM at `scratch`); `None` (with a
/// message) when the `tesseract` CLI is not installed (`make deps` installs it).
pub fn tesseract(frame: &Rgb, scratch: &Path, args: &[&str]) -> Option<String> {
    let mut pgm = format!("P5\n{} {}\n255\n", frame.width, frame.height).into_bytes();
    pgm.extend(
        frame
            .data
            .chunks_exact(3)
            .map(|p| if p.iter().all(|&c| c > 180) { 0u8 } else { 255 }),
    );
    std::fs::write(scratch, pgm).unwrap();
    let out = match Command::new("tesseract")
        .arg(scratch)
        .arg("stdout")
        .args(args)
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            eprintln!("skipping the OCR checks: tesseract is not installed (make deps)");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "tesseract failed on {}",
        scratch.display()
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The words Tesseract reads in the light text of `frame` (as [`tesseract`] reads it),
/// upper-cased with punctuation stripped; `None` when the `tesseract` CLI is not installed.
pub fn ocr_words(frame: &Rgb, scratch: &Path) -> Option<Vec<String>> {
    let text = tesseract(frame, scratch, &["--psm", "11"])?;
    Some(
        text.split_whitespace()
            .map(|w| {
                w.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_uppercase()
            })
            .filter(|w| !w.is_empty())
            .collect(),
    )
}

/// Assert that Tesseract reads every word of `shown` in `frame` and none of `hidden` (`at`
/// names the frame in the message); `false` when tesseract is not installed (the caller skips
/// the rest of its OCR checks).
pub fn assert_ocr(frame: &Rgb, shown: &[&str], hidden: &[&str], scratch: &Path, at: &str) -> bool {
    let Some(words) = ocr_words(frame, scratch) else {
        return false;
    };
    for w in shown {
        assert!(
            words.iter().any(|x| x == w),
            "{at}: {w} not read in {words:?}"
        );
    }
    for w in hidden {
        assert!(!words.iter().any(|x| x == w), "{at}: {w} read in {words:?}");
    }
    true
}

/// An empty fontconfig configuration (no font directories) in `dir`: a process run with
/// `FONTCONFIG_FILE` set to it finds no system font.
pub fn no_system_fonts(dir: &Path) -> PathBuf {
    let conf = dir.join("empty-fonts.conf");
    std::fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    conf
}

/// The FFmpeg audio filter that moves a track of `n` samples at 48 kHz by `shift_ms` (positive:
/// later) and keeps its length, as `make_shifted.sh` does.
pub fn audio_shift_filter(shift_ms: i64, n: usize) -> String {
    match shift_ms {
        s if s > 0 => format!("adelay=delays={s}:all=1,atrim=end_sample={n}"),
        s if s < 0 => format!(
            "atrim=start_sample={},asetpts=PTS-STARTPTS,apad=whole_len={n},atrim=end_sample={n}",
            -s * 48
        ),
        _ => format!("atrim=end_sample={n}"),
    }
}

/// `src`'s first picture stream copied and its first sound stream through `af`, encoded as
/// AAC 48 kHz stereo at 192 kb/s into `out`, keeping at most `limit_s` seconds.
pub fn refilter_audio(src: &Path, af: &str, out: &Path, limit_s: &str) {
    ff(&[
        "-i",
        src.to_str().unwrap(),
        "-t",
        limit_s,
        "-map",
        "0:v:0",
        "-map",
        "0:a:0",
        "-c:v",
        "copy",
        "-af",
        af,
        "-c:a",
        "aac",
        "-b:a",
        "192k",
        "-ar",
        "48000",
        "-ac",
        "2",
        out.to_str().unwrap(),
    ]);
}

/// A 4 s 440 Hz AAC file in `dir` (`good.m4a`) and a copy with 400 bytes of 0xff in the middle
/// of its `mdat` (`bad.m4a`): a few damaged packets for the decoder to skip.
pub fn aac_with_damage(dir: &Path) -> (PathBuf, PathBuf) {
    let (good, bad) = (dir.join("good.m4a"), dir.join("bad.m4a"));
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=440:d=4:sample_rate=48000",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        good.to_str().unwrap(),
    ]);
    let mut bytes = std::fs::read(&good).unwrap();
    let mut at = 0;
    let mdat = loop {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        if &bytes[at + 4..at + 8] == b"mdat" {
            break at + 8..at + size;
        }
        at += size;
    };
    let mid = (mdat.start + mdat.end) / 2;
    bytes[mid..mid + 400].fill(0xff);
    std::fs::write(&bad, &bytes).unwrap();
    (good, bad)
}

/// A 4 s 64x64 clip in `dir` with the sound of [`aac_with_damage`] (`good.mp4`), and the same
/// picture with its damaged sound copied packet for packet (`bad.mp4`).
pub fn clip_with_damaged_sound(dir: &Path) -> (PathBuf, PathBuf) {
    let (good_aac, bad_aac) = aac_with_damage(dir);
    let clips = [
        (good_aac, dir.join("good.mp4")),
        (bad_aac, dir.join("bad.mp4")),
    ];
    for (aac, clip) in &clips {
        ff(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc=s=64x64:r=10:d=4",
            "-i",
            aac.to_str().unwrap(),
            "-map",
            "0:v",
            "-map",
            "1:a",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "copy",
            clip.to_str().unwrap(),
        ]);
    }
    let [(_, good), (_, bad)] = clips;
    (good, bad)
}

/// A copy of the 4 s clip `good` of [`clip_with_damaged_sound`] in `dir` (`bad_picture.mp4`)
/// whose video packets 15-17 start with an impossible NAL unit size: three damaged packets.
pub fn clip_with_damaged_picture(dir: &Path, good: &Path) -> PathBuf {
    let bad = dir.join("bad_picture.mp4");
    let mut bytes = std::fs::read(good).unwrap();
    for p in &ffprobe_packets(good, "v:0")[15..18] {
        let pos: usize = p["pos"].as_str().unwrap().parse().unwrap();
        bytes[pos..pos + 4].fill(0xff);
    }
    std::fs::write(&bad, &bytes).unwrap();
    bad
}

/// Check that a successful run of a command given `bad` (of [`clip_with_damaged_sound`] or
/// [`clip_with_damaged_picture`]) and undamaged files reported the damaged packets of its
/// `stream` (`audio`, `video`) and where they lie (within [`garbled_span`]): one
/// `damaged_packets` entry in its `--json` report, and one warning on stderr.
pub fn assert_damage_reported(run: &Output, bad: &Path, stream: &str) {
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("JSON on stdout");
    let damaged = &report["damaged_packets"];
    let n = damaged[0]["packets"].as_u64().unwrap_or(0);
    assert!(n >= 2, "{damaged}");
    let at = |k: &str| {
        damaged[0][k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k}: {damaged}"))
    };
    let (first, last) = (at("first_s"), at("last_s"));
    let (lo, hi) = garbled_span(bad, &stream[..1]);
    assert!(
        lo - 1e-3 <= first && first < last && last <= hi + 1e-3,
        "{first}-{last} s said, {lo}-{hi} s garbled: {damaged}"
    );
    let entry = serde_json::json!([{"file": bad.to_str().unwrap(), "stream": stream,
        "packets": n, "first_s": first, "last_s": last}]);
    assert_eq!(damaged, &entry);
    let said = format!(
        "warning: {n} damaged packets skipped in {} ({stream}), at {first:.3}-{last:.3} s of the \
         file\n",
        bad.display()
    );
    assert_eq!(err.matches(&said).count(), 1, "{err}");
    // Nothing else says it (assemble said a copied shot's damage twice); concat's and
    // assemble's note on what the join did to the shot's sound (its mono spread over stereo)
    // names the file too, not its damage.
    let named = err
        .lines()
        .filter(|l| l.contains(&*bad.display().to_string()));
    assert_eq!(named.filter(|l| l.contains("damage")).count(), 1, "{err}");
}

/// When the first and last packets of stream `sel` (`a`, `v`) of `path` that hold three 0xff
/// bytes in a row (what the damaging helpers here write) are stamped to show (s).
pub fn garbled_span(path: &Path, sel: &str) -> (f64, f64) {
    let bytes = std::fs::read(path).unwrap();
    let field = |p: &serde_json::Value, k: &str| p[k].as_str().unwrap().parse::<f64>().unwrap();
    let times: Vec<f64> = ffprobe_packets(path, &format!("{sel}:0"))
        .iter()
        .filter(|p| {
            let (pos, size) = (field(p, "pos") as usize, field(p, "size") as usize);
            bytes[pos..pos + size].windows(3).any(|w| w == [0xff; 3])
        })
        .map(|p| field(p, "pts_time"))
        .collect();
    assert!(
        !times.is_empty(),
        "{} holds no garbled packet",
        path.display()
    );
    (
        times.iter().copied().fold(f64::MAX, f64::min),
        times.iter().copied().fold(f64::MIN, f64::max),
    )
}

/// A `secs` long clip (64x64 at 10 fps) whose sound is dialogue-like: bursts of speech-band
/// pink noise, 1.1 s on, 0.6 s near-silent, AAC stereo.
pub fn bursts_clip(path: &Path, secs: u32) {
    ff(&[
        "-f",
        "lavfi",
        "-i",
        &format!("testsrc=s=64x64:r=10:d={secs}"),
        "-f",
        "lavfi",
        "-i",
        &format!("anoisesrc=c=pink:a=0.5:s=48000:d={secs}"),
        "-filter_complex",
        "[1:a]volume='if(lt(mod(t,1.7),1.1),1,0.01)':eval=frame,lowpass=f=3500,highpass=f=120[a]",
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-ac",
        "2",
        path.to_str().unwrap(),
    ]);
}

/// Run the `openssl` CLI in `dir`, failing the test with its message.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (make deps installs it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA made with the `openssl` CLI in `dir`, named `name`: (`<name>.ca.pem`, its key).
pub fn make_ca(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (pem, key) = (format!("{name}.ca.pem"), format!("{name}.ca.key"));
    let subject = format!("/CN={name} test CA/O=cutroom tests");
    let mut args = vec!["req", "-x509"];
    args.extend(new_key("ec"));
    args.extend([
        "-nodes",
        "-days",
        "30",
        "-keyout",
        key.as_str(),
        "-out",
        pem.as_str(),
        "-subj",
        subject.as_str(),
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, &args);
    (dir.join(pem), dir.join(key))
}

/// `openssl req` arguments for a new `key`: `ec` (P-256), `ec384` (P-384), or any `-newkey`
/// value (`ed25519`, `rsa:2048`).
fn new_key(key: &str) -> Vec<&str> {
    match key {
        "ec" => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "ec384" => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        other => vec!["-newkey", other],
    }
}

/// A certificate `<name>.cert.pem` for `subject` issued by `ca` (from [`make_ca`]) with the
/// openssl extensions `ext`, and its new PKCS#8 private key (`key` as in [`new_key`]):
/// (certificate, private key).
pub fn issue_cert(
    dir: &Path,
    ca: &(PathBuf, PathBuf),
    name: &str,
    key: &str,
    subject: &str,
    ext: &str,
) -> (PathBuf, PathBuf) {
    let f = |x: &str| format!("{name}.{x}");
    let (key_pem, csr, cert, extfile) = (f("key"), f("csr"), f("cert.pem"), f("ext"));
    let mut args = vec!["req"];
    args.extend(new_key(key));
    args.extend([
        "-nodes",
        "-keyout",
        key_pem.as_str(),
        "-out",
        csr.as_str(),
        "-subj",
        subject,
    ]);
    openssl(dir, &args);
    std::fs::write(dir.join(&extfile), ext).unwrap();
    let (ca_pem, ca_key) = (ca.0.to_str().unwrap(), ca.1.to_str().unwrap());
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            csr.as_str(),
            "-CA",
            ca_pem,
            "-CAkey",
            ca_key,
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            cert.as_str(),
            "-extfile",
            extfile.as_str(),
        ],
    );
    (dir.join(cert), dir.join(key_pem))
}

/// A C2PA signing certificate `name` made with the `openssl` CLI in `dir`, issued by a test CA
/// made there too: (certificate chain PEM, PKCS#8 private key PEM); `key` as in [`new_key`].
pub fn signing_cert(dir: &Path, name: &str, key: &str) -> (PathBuf, PathBuf) {
    let ca = make_ca(dir, name);
    let (cert, key_pem) = issue_cert(
        dir,
        &ca,
        name,
        key,
        &format!("/CN={name}/O=cutroom tests"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=emailProtection\nsubjectKeyIdentifier=hash\n\
         authorityKeyIdentifier=keyid,issuer\n",
    );
    let chain = dir.join(format!("{name}.chain.pem"));
    let mut text = std::fs::read_to_string(&cert).unwrap();
    text.push_str(&std::fs::read_to_string(&ca.0).unwrap());
    std::fs::write(&chain, text).unwrap();
    (chain, key_pem)
}

/// A test CA and a certificate it signed for 127.0.0.1, made with the openssl CLI:
/// (ca.pem, cert.pem, key.pem).
pub fn test_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca = make_ca(dir, "tls");
    let (cert, key) = issue_cert(
        dir,
        &ca,
        "tls",
        "ec",
        "/CN=127.0.0.1",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    );
    (ca.0, cert, key)
}

/// A 64x64 red PNG, `end.png` in `d`.
pub fn red_still(d: &Path) -> PathBuf {
    let end = d.join("end.png");
    still(&end, "color=c=red:s=64x64");
    end
}

/// A rustls server configuration serving the PEM certificate chain `cert` with its key `key`.
pub fn tls_server(cert: &Path, key: &Path) -> std::sync::Arc<tokio_rustls::rustls::ServerConfig> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::{crypto::ring, ServerConfig};
    let chain = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let config = ServerConfig::builder_with_provider(std::sync::Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, PrivateKeyDer::from_pem_file(key).unwrap())
        .unwrap();
    std::sync::Arc::new(config)
}

/// Flip one byte in the middle of an MP4's `mdat` payload (a tampered picture).
pub fn flip_mdat_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let (head, size) = match size {
            1 => (
                16,
                u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()) as usize,
            ),
            0 => (8, bytes.len() - at),
            s => (8, s),
        };
        if &bytes[at + 4..at + 8] == b"mdat" {
            let mid = at + head + (size - head) / 2;
            bytes[mid] ^= 0x55;
            std::fs::write(path, bytes).unwrap();
            return;
        }
        at += size;
    }
    panic!("{} has no mdat", path.display());
}

/// Assert that file `names` (as bytes, in any order) are `stem` followed by each of `exts`,
/// showing them as text when they differ.
pub fn assert_byte_names(mut names: Vec<Vec<u8>>, stem: &[u8], exts: &[&str]) {
    names.sort();
    let want: Vec<Vec<u8>> = exts.iter().map(|e| [stem, e.as_bytes()].concat()).collect();
    let shown: Vec<_> = names.iter().map(|n| String::from_utf8_lossy(n)).collect();
    assert_eq!(names, want, "{shown:?}");
}
