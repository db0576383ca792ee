//! The audio stage: loading soundtracks in every supported format, `cutroom swap`, `cutroom duck`
//! and `cutroom loudness`, checked with the ffmpeg CLI as the independent meter and decoder.

mod common;
use common::*;
use cutroom::audio::load;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Run the ffmpeg CLI quietly; panic when it fails.
fn ff(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A 3 s stereo 48 kHz reference: silence with 1 kHz beeps (0.5 peak) at 1.0-1.2 s and 2.0-2.2 s.
fn reference(dir: &Path) -> PathBuf {
    let p = dir.join("ref.wav");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc='0.5*sin(2*PI*1000*t)*(between(t,1,1.2)+between(t,2,2.2))':s=48000:c=stereo:d=3",
        s(&p),
    ]);
    p
}

/// First frame whose first channel exceeds `level`, in seconds.
fn onset(p: &cutroom::pcm::Pcm, level: f32) -> f64 {
    let ch = usize::from(p.channels);
    let i = p
        .data
        .chunks(ch)
        .position(|f| f[0].abs() > level)
        .expect("a beep");
    i as f64 / f64::from(p.rate)
}

fn peak(p: &cutroom::pcm::Pcm) -> f32 {
    p.data.iter().fold(0.0, |m, v| m.max(v.abs()))
}

#[test]
fn loads_every_format_on_time() {
    let dir = tempfile::tempdir().unwrap();
    let r = reference(dir.path());
    // (file, ffmpeg encoder args, rate, channels, peak of the first channel)
    let cases: &[(&str, &[&str], u32, u16, f32)] = &[
        (
            "ref.mp3",
            &["-c:a", "libmp3lame", "-b:a", "192k"],
            48000,
            2,
            0.5,
        ),
        ("ref.m4a", &["-c:a", "aac", "-b:a", "192k"], 48000, 2, 0.5),
        ("ref.flac", &["-c:a", "flac"], 48000, 2, 0.5),
        ("ref.ogg", &["-c:a", "libvorbis"], 48000, 2, 0.5),
        ("ref.opus", &["-c:a", "libopus"], 48000, 2, 0.5),
        ("s24.wav", &["-c:a", "pcm_s24le"], 48000, 2, 0.5),
        ("f32.wav", &["-c:a", "pcm_f32le"], 48000, 2, 0.5),
        ("alaw.wav", &["-c:a", "pcm_alaw"], 48000, 2, 0.5),
        ("mono44.wav", &["-ar", "44100", "-ac", "1"], 44100, 1, 0.5),
        ("surround.wav", &["-ac", "6"], 48000, 6, 0.5),
    ];
    for (name, args, rate, channels, level) in cases {
        let p = dir.path().join(name);
        let mut a = vec!["-i", s(&r)];
        a.extend_from_slice(args);
        a.push(s(&p));
        ff(&a);
        let pcm = load::load(&p).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((pcm.rate, pcm.channels), (*rate, *channels), "{name}");
        let secs = pcm.frames() as f64 / f64::from(pcm.rate);
        assert!((secs - 3.0).abs() < 0.001, "{name}: {secs} s long");
        let t = onset(&pcm, 0.1);
        assert!((t - 1.0).abs() < 0.001, "{name}: beep at {t} s");
        let pk = peak(&pcm);
        assert!((pk - level).abs() < 0.05, "{name}: peak {pk}");
        // Converted to the deliverable format, time and level hold.
        let st = load::load_as(&p, 48000, 2).unwrap();
        assert_eq!((st.rate, st.channels), (48000, 2));
        assert!(
            (st.frames() as i64 - 144000).abs() <= 48,
            "{name}: {}",
            st.frames()
        );
        let t = onset(&st, 0.1);
        assert!((t - 1.0).abs() < 0.001, "{name}: converted beep at {t} s");
    }
}
