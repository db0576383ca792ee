//! The audio stage: loading soundtracks in every supported format, `cutroom swap`, `cutroom duck`
//! and `cutroom loudness`, checked with the ffmpeg CLI as the independent meter and decoder.

use crate::common::*;
use cutroom::audio::load;
use cutroom::progress::Silent;
use std::path::{Path, PathBuf};

/// A 3 s stereo 48 kHz reference: silence with 1 kHz beeps (0.5 peak) at 1.0-1.2 s and 2.0-2.2 s.
fn reference(dir: &Path) -> PathBuf {
    let p = dir.join("ref.wav");
    from_lavfi(
        &p,
        "aevalsrc='0.5*sin(2*PI*1000*t)*(between(t,1,1.2)+between(t,2,2.2))':s=48000:c=stereo:d=3",
        &[],
    );
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

/// Every format a bed comes in loads on time at its level; a 64-bit float WAV, which hound
/// opens but cannot read, was refused as "WAV data ends early or is damaged (truncated
/// file?)", and is now decoded by FFmpeg.
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
        ("f64.wav", &["-c:a", "pcm_f64le"], 48000, 2, 0.5),
        ("u8.wav", &["-c:a", "pcm_u8"], 48000, 2, 0.5),
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
        let pcm = load::load(&p, &Silent).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((pcm.rate, pcm.channels), (*rate, *channels), "{name}");
        let secs = pcm.frames() as f64 / f64::from(pcm.rate);
        assert!((secs - 3.0).abs() < 0.001, "{name}: {secs} s long");
        let t = onset(&pcm, 0.1);
        assert!((t - 1.0).abs() < 0.001, "{name}: beep at {t} s");
        let pk = peak(&pcm);
        assert!((pk - level).abs() < 0.05, "{name}: peak {pk}");
        // Converted to the deliverable format, time and level hold.
        let st = load::load_as(&p, 48000, 2, None, &Silent).unwrap();
        assert_eq!((st.rate, st.channels), (48000, 2));
        assert!(
            (st.frames() as i64 - 144000).abs() <= 48,
            "{name}: {}",
            st.frames()
        );
        let t = onset(&st, 0.1);
        assert!((t - 1.0).abs() < 0.001, "{name}: converted beep at {t} s");
    }
    // A WAV whose writer left its sizes open (all ones: written to a pipe; 0: still being
    // written) was refused ("data chunk length is not a multiple of sample size", "audio
    // decodes to no samples"); FFmpeg reads it to its end.
    let bytes = std::fs::read(dir.path().join("s24.wav")).unwrap();
    let mut at = 12;
    while &bytes[at..at + 4] != b"data" {
        at += 8 + u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    for open in [u32::MAX, 0] {
        let mut piped = bytes.clone();
        for size in [4, at + 4] {
            piped[size..size + 4].copy_from_slice(&open.to_le_bytes());
        }
        let p = dir.path().join("piped.wav");
        std::fs::write(&p, &piped).unwrap();
        let pcm = load::load(&p, &Silent).unwrap_or_else(|e| panic!("size {open:#x}: {e}"));
        let secs = pcm.frames() as f64 / f64::from(pcm.rate);
        assert!((secs - 3.0).abs() < 0.001, "size {open:#x}: {secs} s long");
        let t = onset(&pcm, 0.1);
        assert!((t - 1.0).abs() < 0.001, "size {open:#x}: beep at {t} s");
    }
}

/// `src` (an M4A whose `moov` is its last box) with an iTunes gapless tag (`iTunSMPB`) of
/// `priming` samples added in `moov/udta/meta/ilst`, as iTunes writes it, as `dst`.
fn with_itunes_priming(src: &Path, dst: &Path, priming: u32, samples: u64) {
    let boxed = |kind: &[u8], body: &[u8]| -> Vec<u8> {
        [&(body.len() as u32 + 8).to_be_bytes()[..], kind, body].concat()
    };
    let text = format!(" 00000000 {priming:08X} 00000000 {samples:016X} 00000000 00000000");
    let item = [
        boxed(b"mean", b"\0\0\0\0com.apple.iTunes"),
        boxed(b"name", b"\0\0\0\0iTunSMPB"),
        boxed(
            b"data",
            &[&[0, 0, 0, 1, 0, 0, 0, 0], text.as_bytes()].concat(),
        ),
    ]
    .concat();
    let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], b"mdirappl", &[0u8; 10]].concat());
    let ilst = boxed(b"ilst", &boxed(b"----", &item));
    let udta = boxed(
        b"udta",
        &boxed(b"meta", &[&[0u8; 4][..], &hdlr, &ilst].concat()),
    );
    let mut b = std::fs::read(src).unwrap();
    let mut at = 0;
    while &b[at + 4..at + 8] != b"moov" {
        at += u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    }
    let size = u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(at + size, b.len(), "moov must be the last box");
    b[at..at + 4].copy_from_slice(&((size + udta.len()) as u32).to_be_bytes());
    b.extend_from_slice(&udta);
    std::fs::write(dst, b).unwrap();
}

/// A music bed in an M4A starts where a player starts it, to the sample: its edit list's
/// priming skip applied, or without an edit list the priming of its iTunes gapless tag
/// (iTunes' encoder delay is 2112 samples), as FFmpeg reads them.
#[test]
fn m4a_music_starts_where_ffmpeg_starts_it() {
    let dir = tempfile::tempdir().unwrap();
    // A 3 ms click at 1.000 s, in 3 s; for the iTunes-like file 1088 samples of silence
    // first, which the AAC encoder's own 1024 samples of priming make 2112.
    let click = "if(between(n\\,48000\\,48143)\\,0.8*sin(2*PI*3000*t)\\,0)";
    let plain = dir.path().join("plain.m4a");
    let aac = ["-c:a", "aac", "-b:a", "192k"];
    from_lavfi(&plain, &format!("aevalsrc={click}:s=48000:d=3"), &aac);
    let early = dir.path().join("early.m4a");
    let late =
        "aevalsrc=if(between(n\\,49088\\,49231)\\,0.8*sin(2*PI*3000*t)\\,0):s=48000:d=3.0227";
    from_lavfi(&early, late, &[&aac[..], &["-use_editlist", "0"]].concat());
    let itunes = dir.path().join("itunes.m4a");
    with_itunes_priming(&early, &itunes, 2112, 144000);
    let loudest = |v: &[f32], ch: usize| {
        (0..v.len() / ch)
            .max_by(|&a, &b| v[a * ch].abs().total_cmp(&v[b * ch].abs()))
            .unwrap()
    };
    for m4a in [&plain, &itunes] {
        let theirs = loudest(&decode_pcm(m4a, 48000, 1), 1);
        let ours = load::load(m4a, &Silent).unwrap();
        let at = loudest(&ours.data, usize::from(ours.channels));
        assert_eq!(
            at,
            theirs,
            "{}: the click is {} samples off",
            m4a.display(),
            at as i64 - theirs as i64
        );
        assert!((47990..48300).contains(&at), "{}: {at}", m4a.display());
    }
}

/// A long music bed is decoded only as far as the picture uses it: `swap` of a 5 min bed onto
/// a 6 s clip takes no more memory than with a 10 s bed (it held the whole bed twice, at its
/// own rate and at 48 kHz: 240 MB; 1 h under a 20 s clip took 2.7 GB and 48 s), and what it
/// decodes is the whole file's start, to the sample, through every reader (symphonia with an
/// edit list, FFmpeg, hound).
#[test]
fn a_long_music_bed_is_decoded_only_as_far_as_it_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let noise = "anoisesrc=c=pink:r=44100:a=0.3:d=4,aformat=channel_layouts=stereo";
    for (name, args) in [
        ("bed.flac", &[][..]),
        ("bed.m4a", &["-c:a", "aac"][..]),
        ("bed.opus", &["-c:a", "libopus"][..]),
        ("bed.wav", &[][..]),
    ] {
        let bed = d.join(name);
        from_lavfi(&bed, noise, args);
        let whole = load::load_as(&bed, 48000, 2, None, &Silent).unwrap();
        let part = load::load_as(&bed, 48000, 2, Some(48000), &Silent).unwrap();
        let n = part.frames();
        assert!((48000..whole.frames() / 2).contains(&n), "{name}: {n}");
        assert!(
            part.data[..96000] == whole.data[..96000],
            "{name}: the start differs"
        );
    }
    let out = d.join("out.mp4");
    let clip = fixture("marker_landscape_25.mp4");
    let run = |secs: u32| {
        let bed = d.join(format!("bed{secs}.flac"));
        let sound =
            format!("sine=f=440:r=44100:d=10,apad=whole_dur={secs},aformat=channel_layouts=stereo");
        from_lavfi(&bed, &sound, &[]);
        let (mb, _) = peak_mb_ok(&["swap", s(&clip), "--audio", s(&bed), "-o", s(&out), "-q"]);
        mb
    };
    let (short, long) = (run(10), run(300));
    assert_sound_growth(short, long, 290.0, 0.25);
}

/// Video packet hashes of `path` (ffprobe).
fn video_hashes(path: &Path) -> Vec<String> {
    ffprobe_packets(path, "v:0")
        .iter()
        .map(|p| p["data_hash"].as_str().unwrap().to_string())
        .collect()
}

/// Stream durations (video, audio) in seconds as ffprobe reports them.
fn durations(path: &Path) -> (f64, f64) {
    let p = ffprobe(path);
    let d = |kind: &str| -> f64 {
        p["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == kind)
            .and_then(|s| s["duration"].as_str())
            .map(|d| d.parse().unwrap())
            .unwrap_or(f64::NAN)
    };
    (d("video"), d("audio"))
}

/// What a successful `cutroom ARGS` printed on stdout.
fn cutroom_stdout(args: &[&str]) -> String {
    String::from_utf8_lossy(&cutroom_ok(args).stdout).into_owned()
}

/// Assert the loudness target holds on `path` as FFmpeg measures it.
fn assert_loudness(path: &Path, target: f64) {
    let m = ebur128(path);
    assert!(
        (m.integrated - target).abs() <= 0.5,
        "{}: {m:?}, target {target}",
        path.display()
    );
    assert!(m.true_peak <= -1.0, "{}: {m:?}", path.display());
}

#[test]
fn swap_keeps_the_picture_and_sync() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    // The clip's own beeps as a WAV (ffmpeg applies the edit list): the swap must put every
    // beep back on its flash.
    let beeps = dir.path().join("beeps.wav");
    ff(&["-i", s(&clip), "-vn", "-c:a", "pcm_s16le", s(&beeps)]);
    // Also as 44.1 kHz mono MP3 and the MP4 itself (AAC via symphonia + the edit list).
    let mp3 = dir.path().join("beeps.mp3");
    ff(&[
        "-i",
        s(&beeps),
        "-ar",
        "44100",
        "-ac",
        "1",
        "-b:a",
        "128k",
        s(&mp3),
    ]);
    for (name, audio, loudness) in [
        ("wav", &beeps, None),
        ("mp3", &mp3, None),
        ("mp4", &clip, Some("-14")),
    ] {
        let out = dir.path().join(format!("swap_{name}.mp4"));
        let mut args = vec!["swap", s(&clip), "--audio", s(audio), "-o", s(&out)];
        if let Some(l) = loudness {
            args.extend(["--loudness", l]);
        }
        let said = cutroom_stdout(&args);
        assert!(said.contains("6.000 s"), "{said}");
        let offs = marker_offsets_ms(&out);
        assert_eq!(offs.len(), 3, "{name}: {offs:?}");
        for (t, o) in offs {
            assert!(o.abs() <= 1.0, "{name}: marker at {t} s is {o:.2} ms off");
        }
        assert_eq!(video_hashes(&clip), video_hashes(&out), "{name}");
        let (v, a) = durations(&out);
        assert!(
            (v - 6.0).abs() < 1e-6 && (a - 6.0).abs() < 0.001,
            "{name}: {v} {a}"
        );
        if let Some(l) = loudness {
            assert_loudness(&out, l.parse().unwrap());
        }
    }
}

#[test]
fn swap_fits_offsets_and_fades() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_landscape_25.mp4");
    // 2.5 s of a steady 440 Hz tone, 0.5 peak.
    let tone = dir.path().join("tone.flac");
    from_lavfi(
        &tone,
        "aevalsrc=0.70711*sin(2*PI*440*t):s=48000:c=stereo:d=2.5",
        &[],
    );
    let rms = |pcm: &[f32], from: f64, to: f64| -> f64 {
        let (a, b) = ((from * 96000.0) as usize, (to * 96000.0) as usize);
        let w = &pcm[a..b.min(pcm.len())];
        (w.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / w.len() as f64).sqrt()
    };
    // What the fit did, said on stderr and in --json (nothing was said).
    let fit_said = std::cell::RefCell::new((String::new(), serde_json::Value::Null));
    let run = |extra: &[&str]| -> (PathBuf, Vec<f32>) {
        let out = dir.path().join(format!("fit{}.mp4", extra.join("_")));
        let mut args = vec!["swap", s(&clip), "--audio", s(&tone), "-o", s(&out), "-q"];
        args.extend_from_slice(extra);
        args.push("--json");
        let run = cutroom_ok(&args);
        let err = String::from_utf8_lossy(&run.stderr).into_owned();
        let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        *fit_said.borrow_mut() = (err, json);
        let pcm = decode_pcm(&out, 48000, 2);
        (out, pcm)
    };
    // The note wanted (none: ""), and the JSON's silence after the new audio and its cut.
    let said = |want: &str, padded: f64, cut: bool| {
        let (err, json) = &*fit_said.borrow();
        match want {
            "" => assert!(!err.contains("the new audio"), "{err}"),
            _ => assert_eq!(*err, format!("cutroom: {}: {want}\n", tone.display())),
        }
        let fit = (json["audio_padded_s"].as_f64().unwrap(), &json["audio_cut"]);
        assert!((fit.0 - padded).abs() < 1e-9 && fit.1 == cut, "{json}");
        assert_eq!(json["warnings"], serde_json::json!([]), "{json}");
    };
    let padded = |end: &str, gap: &str| {
        format!(
            "the new audio ends at {end} s, {gap} s before the picture (6.000 s): silence to \
             its end (--fit loop repeats the audio, --fit trim cuts the picture to it)"
        )
    };
    let steady = 0.5f64;
    // pad (the default): tone, then silence to the picture's end.
    let (out, pcm) = run(&[]);
    assert!((durations(&out).1 - 6.0).abs() < 0.001);
    assert!((rms(&pcm, 1.0, 2.0) - steady).abs() < 0.03);
    assert!(rms(&pcm, 2.7, 5.9) < 0.001);
    said(&padded("2.500", "3.500"), 3.5, false);
    // loop: the tone goes on to the end.
    let (_, pcm) = run(&["--fit", "loop"]);
    assert!((rms(&pcm, 2.6, 5.9) - steady).abs() < 0.03);
    said("", 0.0, false);
    // trim: the picture is cut at a clean point at or before 2.5 s; packets are a prefix.
    let (out, _) = run(&["--fit", "trim"]);
    let (v, a) = durations(&out);
    assert!((2.0..=2.5 + 1e-6).contains(&v), "trimmed video {v}");
    assert!((a - v).abs() < 0.001, "audio {a} video {v}");
    let kept = video_hashes(&out);
    assert_eq!(kept[..], video_hashes(&clip)[..kept.len()]);
    // offset: +1 s of silence first; negative offsets skip the start.
    let (_, pcm) = run(&["--offset", "1"]);
    assert!(rms(&pcm, 0.0, 0.95) < 0.001);
    assert!((rms(&pcm, 1.05, 3.45) - steady).abs() < 0.03);
    assert!(rms(&pcm, 3.55, 5.9) < 0.001);
    said(&padded("3.500", "2.500"), 2.5, false);
    let (_, pcm) = run(&["--offset", "-1"]);
    assert!((rms(&pcm, 0.0, 1.45) - steady).abs() < 0.03);
    assert!(rms(&pcm, 1.55, 5.9) < 0.001);
    said(&padded("1.500", "4.500"), 4.5, false);
    // A sound running past the picture's end is cut there, and said (it was not).
    let (_, pcm) = run(&["--offset", "4"]);
    assert!((rms(&pcm, 4.05, 5.9) - steady).abs() < 0.03);
    said(
        "the new audio runs on past the picture's end (6.000 s): it is cut there",
        0.0,
        true,
    );
    // One that ends with the picture is not.
    run(&["--offset", "3.5"]);
    said("", 0.0, false);
    // fades: half-way through a 1 s linear fade-in the level is half.
    let (_, pcm) = run(&["--fit", "loop", "--fade-in", "1", "--fade-out", "1"]);
    assert!(rms(&pcm, 0.0, 0.05) < 0.05);
    assert!((rms(&pcm, 0.45, 0.55) / steady - 0.5).abs() < 0.05);
    assert!((rms(&pcm, 5.45, 5.55) / steady - 0.5).abs() < 0.05);
    assert!(rms(&pcm, 5.95, 6.0) < 0.05);
    // A 50 ms bed (50 cycles of 1 kHz) loops with no dip and no click at its seams: the level
    // of every 5 ms holds within 0.5 dB (repeats overlapped out of phase dipped 11 dB every
    // 37.5 ms) and no sample steps further than the tone's own steepest step.
    let bed = dir.path().join("bed.wav");
    from_lavfi(
        &bed,
        "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:c=stereo:d=0.05",
        &[],
    );
    let out = dir.path().join("bed.mp4");
    cutroom_ok(&[
        "swap",
        s(&clip),
        "--audio",
        s(&bed),
        "--fit",
        "loop",
        "-o",
        s(&out),
        "-q",
    ]);
    let pcm = decode_pcm(&out, 48000, 2);
    let left: Vec<f32> = pcm.iter().step_by(2).copied().collect();
    let db = |w: &[f32]| {
        10.0 * (w.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / w.len() as f64).log10()
    };
    let body = &left[4800..48000 * 5];
    let levels: Vec<f64> = body.chunks(240).map(db).collect();
    let (lo, hi) = levels
        .iter()
        .fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi - lo < 0.5, "5 ms levels {lo:.1}..{hi:.1} dB");
    let step = body
        .windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max);
    let steepest = 0.5 * 2.0 * std::f32::consts::PI * 1000.0 / 48000.0;
    assert!(
        step < 1.1 * steepest,
        "a step of {step} (the tone's steepest: {steepest})"
    );
}

/// A run that must fail with a message naming `file`, leaving nothing at `out`; the message.
fn assert_refused(args: &[&str], file: &Path, out: &Path, what: &str) -> String {
    let res = cutroom(args);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(1), "{what}: {err}");
    assert!(
        err.contains(s(file)),
        "{what}: error must name the file: {err}"
    );
    assert!(!out.exists(), "{what}: no output on failure");
    let dir = out.parent().unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{what}: temp files left: {leftovers:?}"
    );
    err.into_owned()
}

/// Bad soundtracks are refused naming the file, with nothing written; a WAV cut short within
/// the part used is refused whichever reader decodes it (a 64-bit float or a-law WAV, which
/// FFmpeg reads, was taken with silence after the cut, at most with a warning of "1 damaged
/// packets skipped"), one cut after it is used.
#[test]
fn swap_refuses_bad_audio() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let out = dir.path().join("out.mp4");
    let empty = inputs.path().join("empty.wav");
    std::fs::write(&empty, b"").unwrap();
    let garbage = inputs.path().join("garbage.mp3");
    std::fs::write(
        &garbage,
        (0..20000u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    // WAV headers promising more data than there is.
    let cut_short = |codec: &str| {
        let wav = inputs.path().join(format!("{codec}.wav"));
        from_lavfi(&wav, "sine=d=1", &["-c:a", codec]);
        let bytes = std::fs::read(&wav).unwrap();
        let truncated = inputs.path().join(format!("truncated-{codec}.wav"));
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        truncated
    };
    // A WAV header and nothing after it, which c2pa's RIFF reader cannot walk either.
    let header_only = inputs.path().join("header-only.wav");
    let whole = cut_short("pcm_s16le");
    std::fs::write(&header_only, &std::fs::read(&whole).unwrap()[..44]).unwrap();
    let cases = [
        (empty, "empty"),
        (garbage, "corrupt"),
        (header_only, "header only"),
        (cut_short("pcm_s16le"), "truncated"),
        (cut_short("pcm_f64le"), "truncated 64-bit float"),
        (cut_short("pcm_alaw"), "truncated a-law"),
        (fixture("not_media.mp4"), "not media"),
        (fixture("no_audio.mp4"), "no audio stream"),
        (inputs.path().join("missing.wav"), "missing"),
    ];
    for (audio, what) in cases {
        let err = assert_refused(
            &["swap", s(&clip), "--audio", s(&audio), "-o", s(&out)],
            &audio,
            &out,
            what,
        );
        if what.starts_with("truncated") {
            assert!(err.contains(": cut short: "), "{what}: {err}");
        }
        // Nothing said of credentials a bed that cannot be read does not carry.
        assert!(!err.contains("Content Credentials"), "{what}: {err}");
    }
    // Cut after the part the 6 s clip uses: used, as a bed is read only that far.
    let long = inputs.path().join("long.wav");
    from_lavfi(&long, "sine=d=8", &["-c:a", "pcm_f64le"]);
    let bytes = std::fs::read(&long).unwrap();
    let used = inputs.path().join("cut-late.wav");
    std::fs::write(&used, &bytes[..bytes.len() * 7 / 8]).unwrap();
    cutroom_ok(&["swap", "-q", s(&clip), "--audio", s(&used), "-o", s(&out)]);
}

/// Amplitude of the `freq` component of the first channel of interleaved `pcm` (48 kHz,
/// `channels`) over `[from, to)` seconds (Goertzel).
fn tone_level(pcm: &[f32], channels: usize, freq: f64, from: f64, to: f64) -> f64 {
    let (a, b) = ((from * 48000.0) as usize, (to * 48000.0) as usize);
    let w = 2.0 * std::f64::consts::PI * freq / 48000.0;
    let (mut re, mut im) = (0.0, 0.0);
    for i in a..b {
        let v = f64::from(pcm[i * channels]);
        re += v * (w * i as f64).cos();
        im += v * (w * i as f64).sin();
    }
    2.0 * (re * re + im * im).sqrt() / (b - a) as f64
}

fn db(x: f64) -> f64 {
    20.0 * x.log10()
}

fn read_wav(path: &Path) -> (u16, Vec<f32>) {
    let mut r = hound::WavReader::open(path).unwrap();
    let ch = r.spec().channels;
    (ch, r.samples::<f32>().map(|v| v.unwrap()).collect())
}

/// A 6 s 320x240 clip whose audio is the dialogue fixture: speech-like bursts at 1.0-2.0,
/// 3.0-4.5 and 5.5-6.2 s on a quiet noise floor.
fn talking_clip(dir: &Path) -> PathBuf {
    let clip = dir.join("talk.mp4");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=s=320x240:r=25:d=6",
        "-i",
        s(&fixture("dialogue.wav")),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-c:a",
        "aac",
        "-t",
        "6",
        s(&clip),
    ]);
    clip
}

/// A steady 8 kHz tone (above the voice's band), stereo 48 kHz, `secs` long.
fn tone_8k(dir: &Path, secs: u32) -> PathBuf {
    let p = dir.join(format!("tone{secs}.wav"));
    from_lavfi(
        &p,
        &format!("aevalsrc=0.25*sin(2*PI*8000*t):s=48000:c=stereo:d={secs}"),
        &["-c:a", "pcm_f32le"],
    );
    p
}

const ONSETS: [f64; 3] = [1.0, 3.0, 5.5];
/// Windows inside speech and well outside it (after hold + release, before the next look-ahead).
const SPEECH: [(f64, f64); 3] = [(1.1, 1.9), (3.1, 4.4), (5.6, 5.95)];
const QUIET: [(f64, f64); 3] = [(0.2, 0.85), (2.5, 2.85), (5.0, 5.35)];

#[test]
fn duck_lowers_music_by_the_depth_while_speech_plays() {
    let dir = tempfile::tempdir().unwrap();
    let clip = talking_clip(dir.path());
    // 4 s of music on a 6 s clip: duck loops it by default.
    let music = tone_8k(dir.path(), 4);
    let out = dir.path().join("ducked.mp4");
    let stems = dir.path().join("stems");
    let said = cutroom_stdout(&[
        "duck",
        s(&clip),
        "--music",
        s(&music),
        "-o",
        s(&out),
        "--stems",
        s(&stems),
        "--loudness",
        "-14",
    ]);
    assert!(said.contains("3 speech segment(s)"), "{said}");
    assert_loudness(&out, -14.0);
    assert_eq!(video_hashes(&clip), video_hashes(&out));

    // The ducked music stem: exactly the depth during speech, untouched outside.
    let (ch, m) = read_wav(&stems.join("music.wav"));
    let ch = usize::from(ch);
    assert_eq!(m.len() / ch, 6 * 48000);
    let open = db(tone_level(&m, ch, 8000.0, 0.2, 0.85));
    for (a, b) in SPEECH {
        let l = db(tone_level(&m, ch, 8000.0, a, b)) - open;
        assert!(
            (l + 12.0).abs() <= 1.0,
            "music stem at {a}-{b} s: {l:.2} dB"
        );
    }
    for (a, b) in QUIET {
        let l = db(tone_level(&m, ch, 8000.0, a, b)) - open;
        assert!(
            l.abs() <= 1.0,
            "music stem restored at {a}-{b} s: {l:.2} dB"
        );
    }
    // The gain envelope: fully down at each onset (the dip started before it), untouched
    // 0.2 s before it.
    let (gch, g) = read_wav(&stems.join("gain.wav"));
    assert_eq!(gch, 1);
    for t in ONSETS {
        let at = |t: f64| db(f64::from(g[(t * 48000.0) as usize]));
        assert!(
            (at(t) + 12.0).abs() < 0.01,
            "gain at onset {t}: {:.2} dB",
            at(t)
        );
        assert!(
            at(t - 0.2).abs() < 0.01,
            "gain before {t}: {:.2} dB",
            at(t - 0.2)
        );
    }
    // The voice stem is the clip's audio; the mix stem is what was encoded.
    let (_, v) = read_wav(&stems.join("voice.wav"));
    assert!(tone_level(&v, 2, 8000.0, 0.2, 0.85) < 1e-3);
    let (_, mix) = read_wav(&stems.join("mix.wav"));
    assert_eq!(mix.len(), v.len());

    // What a viewer hears (decoded by FFmpeg): the same dips.
    let pcm = decode_pcm(&out, 48000, 2);
    let open = db(tone_level(&pcm, 2, 8000.0, 0.2, 0.85));
    for (a, b) in SPEECH {
        let l = db(tone_level(&pcm, 2, 8000.0, a, b)) - open;
        assert!((l + 12.0).abs() <= 1.0, "output at {a}-{b} s: {l:.2} dB");
    }
    for (a, b) in QUIET {
        let l = db(tone_level(&pcm, 2, 8000.0, a, b)) - open;
        assert!(l.abs() <= 1.0, "output restored at {a}-{b} s: {l:.2} dB");
    }
    for t in ONSETS {
        let l = db(tone_level(&pcm, 2, 8000.0, t - 0.04, t)) - open;
        assert!(
            l <= -11.0,
            "output already dipped before the onset at {t}: {l:.2} dB"
        );
    }
}

/// The same voice gives the same ducking from the clip (a camera's dual mono: the dialogue on
/// both channels) and as a mono `--voice` WAV, with a fixed threshold or `auto`. The voice was
/// measured after its up-mix to stereo, where the mono WAV is spread at -3 dB a channel: at
/// `--threshold -28` its phrases started 20 ms later, and `auto` read -60.0 dBFS against -46.5.
#[test]
fn duck_hears_one_voice_alike_from_the_clip_or_a_mono_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (voice, music) = (fixture("dialogue.wav"), fixture("music.wav"));
    let clip = d.join("dual.mp4");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=s=64x64:r=25:d=6",
        "-i",
        s(&voice),
        "-af",
        "pan=stereo|c0=c0|c1=c0",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        "-t",
        "6",
        s(&clip),
    ]);
    let out = d.join("out.mp4");
    let duck = |extra: &[&str]| duck_json(&clip, &music, &out, extra);
    for threshold in ["-28", "auto"] {
        let (a, b) = (
            d.join(format!("own{threshold}")),
            d.join(format!("wav{threshold}")),
        );
        let (own, _) = duck(&["--threshold", threshold, "--stems", s(&a)]);
        let (wav, _) = duck(&[
            "--threshold",
            threshold,
            "--voice",
            s(&voice),
            "--stems",
            s(&b),
        ]);
        assert_eq!(own["speech"], wav["speech"], "{threshold}: {own} {wav}");
        if threshold == "-28" {
            // Without --stems the clip's voice is read as it decodes: the same phrases.
            let (streamed, _) = duck(&["--threshold", threshold]);
            assert_eq!(own["speech"], streamed["speech"]);
        }
        let t = |j: &serde_json::Value| j["speech_threshold_dbfs"].as_f64().unwrap();
        assert!((t(&own) - t(&wav)).abs() < 1.0, "{threshold}: {own} {wav}");
        // The gain curves, sample by sample.
        let (_, ga) = read_wav(&a.join("gain.wav"));
        let (_, gb) = read_wav(&b.join("gain.wav"));
        assert_eq!(ga.len(), gb.len());
        let apart = ga
            .iter()
            .zip(&gb)
            .map(|(x, y)| (db(f64::from(*x)) - db(f64::from(*y))).abs());
        let worst = apart.fold(0.0, f64::max);
        assert!(worst < 0.01, "{threshold}: gain curves {worst:.2} dB apart");
    }
}

/// `duck --json clip --music music -o out` with `extra`: its report and its stderr.
fn duck_json(clip: &Path, music: &Path, out: &Path, extra: &[&str]) -> (serde_json::Value, String) {
    let args = ["duck", "--json", s(clip), "--music", s(music), "-o", s(out)];
    let run = cutroom_ok(&[&args[..], extra].concat());
    let j = serde_json::from_slice(&run.stdout).unwrap();
    (j, String::from_utf8_lossy(&run.stderr).into_owned())
}

/// `duck` notes what fitting did to the bed, as `swap` does to its new audio (it was padded or
/// cut at the picture's end without a word), and `--json` carries it.
#[test]
fn duck_notes_a_bed_padded_or_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, music) = (fixture("marker_portrait_30.mp4"), fixture("music.wav"));
    let out = dir.path().join("out.mp4");
    let duck = |extra: &[&str]| duck_json(&clip, &music, &out, extra);
    // The 4 s bed, looped (duck's default), gets no note; with --fit pad it is padded, and said.
    let (looped, err) = duck(&[]);
    assert!(!err.contains("the music bed"), "{err}");
    assert_eq!(
        (&looped["audio_padded_s"], &looped["audio_cut"]),
        (&0.0.into(), &false.into())
    );
    let (padded, err) = duck(&["--fit", "pad"]);
    let note = format!(
        "cutroom: {}: the music bed ends at 4.000 s, 2.000 s before the picture (6.000 s): \
         silence to its end (--fit loop repeats the audio, --fit trim cuts the picture to it)\n",
        music.display()
    );
    assert_eq!(err, note);
    assert_eq!(
        (&padded["audio_padded_s"], &padded["audio_cut"]),
        (&2.0.into(), &false.into())
    );
    let (cut, err) = duck(&["--offset", "3"]);
    let note = format!(
        "cutroom: {}: the music bed runs on past the picture's end (6.000 s): it is cut there\n",
        music.display()
    );
    assert_eq!(err, note);
    assert_eq!(cut["audio_cut"], true);
}

/// `duck --gain` lowers the bed before ducking, as a cut spec's `[music] gain` does: a -12 dBFS
/// tone with `--gain -6` is heard at -18 dBFS in the gaps and at -30 dBFS in the dips (decoded
/// from the output); a gain out of -60..60 dB is refused.
#[test]
fn duck_gain_lowers_the_music_in_the_gaps_and_the_dips() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = talking_clip(d);
    let music = tone_8k(d, 6);
    let out = d.join("out.mp4");
    let run = |gain: &str| {
        let args = ["duck", s(&clip), "--music", s(&music), "--gain", gain];
        cutroom(&[&args[..], &["-o", s(&out)]].concat())
    };
    let said = run("-6");
    assert!(
        said.status.success(),
        "{}",
        String::from_utf8_lossy(&said.stderr)
    );
    let pcm = decode_pcm(&out, 48000, 2);
    let tone = db(0.25);
    for ((a, b), (c, e)) in QUIET.into_iter().zip(SPEECH) {
        let gap = db(tone_level(&pcm, 2, 8000.0, a, b)) - tone;
        assert!((gap + 6.0).abs() <= 0.5, "gap {a}-{b} s: {gap:.2} dB");
        let dip = db(tone_level(&pcm, 2, 8000.0, c, e)) - tone;
        assert!((dip + 18.0).abs() <= 1.0, "dip {c}-{e} s: {dip:.2} dB");
    }
    std::fs::remove_file(&out).unwrap();
    let refused = run("-70");
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--gain must be between -60 and 60 dB, not -70"),
        "{err}"
    );
    assert!(!out.exists());
}

/// `out`: a 160x120 25 fps test picture `secs` long (H.264), with the lavfi source `sound`
/// (AAC) when given.
fn test_clip(out: &Path, secs: &str, sound: Option<&str>) {
    let picture = format!("testsrc=s=160x120:r=25:d={secs}");
    lavfi_clip(out, &picture, sound, &["-t", secs]);
}

/// Words 30 ms long every 150 ms (pauses of 120 ms, shorter than the look-ahead plus the hold)
/// are one phrase, listed and ducked as one; a lone 10 ms click is neither listed nor ducked
/// for; a lone 40 ms beep is a sound like any other, listed and ducked for (the demo's marker
/// beeps stay heard over its music).
/// A `duck` of a silent test clip of `secs` s with a voice (the `aevalsrc` expression `voice`,
/// 48 kHz) over the 8 kHz tone, writing its stems: what to run and where it writes.
struct Duck {
    args: Vec<String>,
    out: PathBuf,
    stems: PathBuf,
}

impl Duck {
    fn voice_over_tone(d: &Path, voice: &str, secs: u32) -> Self {
        let wav = d.join("voice.wav");
        let source = format!("aevalsrc='{voice}':s=48000:d={secs}");
        ff(&["-f", "lavfi", "-i", &source, "-c:a", "pcm_f32le", s(&wav)]);
        let clip = d.join("clip.mp4");
        test_clip(&clip, &secs.to_string(), None);
        let music = tone_8k(d, secs);
        let (out, stems) = (d.join("out.mp4"), d.join("stems"));
        let args = [
            "duck",
            s(&clip),
            "--voice",
            s(&wav),
            "--music",
            s(&music),
            "-o",
            s(&out),
            "--stems",
            s(&stems),
        ]
        .map(String::from)
        .to_vec();
        Self { args, out, stems }
    }

    fn args(&self) -> Vec<&str> {
        self.args.iter().map(String::as_str).collect()
    }
}

#[test]
fn duck_reports_and_ducks_phrases_not_words_and_ignores_a_lone_click() {
    let dir = tempfile::tempdir().unwrap();
    let duck = Duck::voice_over_tone(
        dir.path(),
        "0.3*(random(0)*2-1)*(between(t,1,2)*lt(mod(t-1,0.15),0.03)+between(t,4,4.01)+between(t,5,5.04))\
         +0.001*(random(1)*2-1)",
        6,
    );
    let r = cutroom_json(&[duck.args().as_slice(), &["--json"]].concat());
    let stems = duck.stems;
    let speech = r["speech"].as_array().unwrap();
    assert_eq!(speech.len(), 2, "{r}");
    let span = |i: usize| {
        (
            speech[i][0].as_f64().unwrap(),
            speech[i][1].as_f64().unwrap(),
        )
    };
    let ((a, b), (c, d)) = (span(0), span(1));
    assert!((a - 1.0).abs() <= 0.02 && (b - 1.93).abs() <= 0.02, "{r}");
    assert!((c - 5.0).abs() <= 0.02 && (d - 5.04).abs() <= 0.02, "{r}");
    // What was applied: held down through a pause, untouched around the click.
    let (_, g) = read_wav(&stems.join("gain.wav"));
    let at = |t: f64| db(f64::from(g[(t * 48000.0) as usize]));
    assert!(
        (at(1.1) + 12.0).abs() < 0.01,
        "in a pause: {:.2} dB",
        at(1.1)
    );
    for t in [3.9, 4.0, 4.02, 4.1, 4.3] {
        assert!(at(t).abs() < 0.01, "at the click, {t} s: {:.2} dB", at(t));
    }
    assert!(
        (at(5.02) + 12.0).abs() < 0.01,
        "at the beep: {:.2} dB",
        at(5.02)
    );
}

/// A voice that speaks from the first frame (as rendered talking heads do) has the music already
/// down at the start: the look-ahead reaches before the sound begins, so the dip is as far down
/// at sample 0 as it would be there had the sound started earlier. (The music started at full
/// level and took the attack to come down, over the first word.) The voice is stereo with its
/// right channel in opposite phase to its left (a miswired microphone): its channels' powers
/// count, not their sum (which is silence: "no speech heard", and nothing was ducked).
#[test]
fn duck_under_a_voice_speaking_from_the_first_frame_starts_down() {
    let dir = tempfile::tempdir().unwrap();
    let voice = "0.3*(random(0)*2-1)*lt(t,2)+0.001*(random(1)*2-1)";
    let duck = Duck::voice_over_tone(dir.path(), &format!("{voice}|-({voice})"), 4);
    let said = cutroom_stdout(&duck.args());
    let (out, stems) = (duck.out, duck.stems);
    assert!(said.contains("1 speech segment(s): 0.00-2.0"), "{said}");
    let (_, g) = read_wav(&stems.join("gain.wav"));
    let first = db(f64::from(g[0]));
    assert!(
        (first + 12.0).abs() < 0.01,
        "gain at sample 0: {first:.2} dB"
    );
    // What a viewer hears: the music's tone over the first 40 ms, against it restored.
    let pcm = decode_pcm(&out, 48000, 2);
    let open = db(tone_level(&pcm, 2, 8000.0, 3.0, 3.9));
    let start = db(tone_level(&pcm, 2, 8000.0, 0.0, 0.04)) - open;
    assert!(start <= -11.0, "music over the first 40 ms: {start:.2} dB");
}

#[test]
fn duck_over_a_silent_voice_says_no_speech_was_heard() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("clip.mp4");
    test_clip(&clip, "3", Some("anullsrc=r=48000:cl=stereo"));
    let music = tone_8k(d, 3);
    let out = d.join("out.mp4");
    let stems = d.join("stems");
    let run = cutroom_ok(&[
        "duck",
        s(&clip),
        "--music",
        s(&music),
        "-o",
        s(&out),
        "--stems",
        s(&stems),
    ]);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("no speech heard in the voice: the music is not ducked"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("speech threshold"),
        "no made-up level: {stdout}"
    );
    // Not ducked: the gain applied to the music stays at 0 dB throughout.
    let (_, g) = read_wav(&stems.join("gain.wav"));
    assert!(!g.is_empty());
    assert!(g.iter().all(|&v| db(f64::from(v)).abs() < 0.01), "ducked");
    // The other way round, a bed of digital silence (this clip's sound) under a voice was
    // laid without a word: the output is the voice alone.
    let marker = fixture("marker_portrait_30.mp4");
    let run = cutroom_ok(&["duck", s(&marker), "--music", s(&clip), "-o", s(&out)]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let said = format!(
        "warning: {}: the music bed is digital silence where the output plays it",
        clip.display()
    );
    assert_eq!(stderr.matches(&said).count(), 1, "{stderr}");
}

#[test]
fn duck_keeps_sync_with_a_separate_voice() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let beeps = dir.path().join("beeps.wav");
    ff(&["-i", s(&clip), "-vn", "-c:a", "pcm_s16le", s(&beeps)]);
    let music = tone_8k(dir.path(), 6);
    // The clip's own beeps as the voice, then the same beeps as --voice on the silent clip.
    for (video, voice) in [
        (clip.clone(), None),
        (fixture("no_audio.mp4"), Some(&beeps)),
    ] {
        let out = dir.path().join("sync.mp4");
        let mut args = vec!["duck", s(&video), "--music", s(&music), "-o", s(&out)];
        if let Some(v) = voice {
            args.extend(["--voice", s(v)]);
        }
        cutroom_ok(&args);
        let offs = marker_offsets_ms(&out);
        assert_eq!(offs.len(), 3, "{video:?}: {offs:?}");
        for (t, o) in offs {
            assert!(
                o.abs() <= 1.0,
                "{video:?}: marker at {t} s is {o:.2} ms off"
            );
        }
        assert_eq!(video_hashes(&video), video_hashes(&out));
        // Without --loudness the mix is only held under the default -1 dBTP ceiling.
        assert!(ebur128(&out).true_peak <= -1.0);
    }
}

#[test]
fn duck_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let music = tone_8k(inputs.path(), 2);
    let silent = fixture("no_audio.mp4");
    assert_refused(
        &["duck", s(&silent), "--music", s(&music), "-o", s(&out)],
        &silent,
        &out,
        "video without audio and no --voice",
    );
    let stderr = String::from_utf8_lossy(
        &cutroom(&["duck", s(&silent), "--music", s(&music), "-o", s(&out)]).stderr,
    )
    .into_owned();
    assert!(
        stderr.contains("--voice"),
        "the error says what to do: {stderr}"
    );
    let bad = inputs.path().join("bad.ogg");
    std::fs::write(&bad, b"OggS this is not really an ogg stream").unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    assert_refused(
        &["duck", s(&clip), "--music", s(&bad), "-o", s(&out)],
        &bad,
        &out,
        "corrupt music",
    );
    let not_audio = fixture("not_media.mp4");
    assert_refused(
        &[
            "duck",
            s(&clip),
            "--music",
            s(&music),
            "--voice",
            s(&not_audio),
            "-o",
            s(&out),
        ],
        &not_audio,
        &out,
        "voice that is not audio",
    );
    // Bad option values are usage errors.
    let res = cutroom(&[
        "duck",
        s(&clip),
        "--music",
        s(&music),
        "-o",
        s(&out),
        "--depth",
        "6",
    ]);
    assert_eq!(res.status.code(), Some(2));
}

#[test]
fn loudness_reports_agree_with_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent.wav");
    from_lavfi(
        &silent,
        "anullsrc=r=48000:cl=stereo",
        &["-t", "2", "-c:a", "pcm_s16le"],
    );
    let mono = dir.path().join("music_mono44.mp3");
    ff(&[
        "-i",
        s(&fixture("music.wav")),
        "-ar",
        "44100",
        "-ac",
        "1",
        s(&mono),
    ]);
    // Surround sound, each channel at its own level: the surrounds (back and side) weigh
    // 1.41, the LFE nothing, as in FFmpeg's meter.
    let surround = |layout: &str, pan: &str| {
        let f = dir.path().join(format!("music_{layout}.wav"));
        let af = format!("pan={layout}|{pan}");
        ff(&["-i", s(&fixture("music.wav")), "-af", &af, s(&f)]);
        f
    };
    let five = surround("5.1", "FL=c0|FR=c1|FC=0.5*c0|LFE=c1|BL=0.7*c0|BR=0.3*c1");
    let six = surround(
        "6.1",
        "FL=c0|FR=c1|FC=0.5*c0|LFE=c1|BC=0.4*c1|SL=0.6*c0|SR=0.9*c1",
    );
    let seven = surround(
        "7.1",
        "FL=c0|FR=c1|FC=0.5*c0|LFE=c1|BL=0.7*c0|BR=0.3*c1|SL=0.6*c1|SR=0.4*c0",
    );
    let files = [
        fixture("music.wav"),
        fixture("dialogue.wav"),
        fixture("marker_landscape_25.mp4"),
        mono,
        five,
        six,
        seven,
    ];
    let mut args = vec!["loudness", "--json"];
    args.extend(files.iter().map(|f| s(f)));
    args.push(s(&silent));
    let report = cutroom_json(&args);
    let entries = report["files"].as_array().unwrap();
    assert_eq!(entries.len(), files.len() + 1);
    for (f, e) in files.iter().zip(entries) {
        let theirs = ebur128(f);
        let num = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{f:?}: {k} in {e}"));
        assert_eq!(e["path"], s(f));
        assert!(
            (num("integrated_lufs") - theirs.integrated).abs() <= 0.2,
            "{f:?}: {e} vs {theirs:?}"
        );
        assert!(
            (num("true_peak_dbtp") - theirs.true_peak).abs() <= 0.3,
            "{f:?}: {e} vs {theirs:?}"
        );
        assert!(num("max_momentary_lufs") >= num("max_short_term_lufs") - 0.1);
        assert!(num("loudness_range_lu") >= 0.0);
        assert!(num("sample_rate") > 0.0 && num("channels") > 0.0 && num("duration_s") > 0.0);
    }
    // Silence has no loudness: null, not -inf or a huge gain.
    let quiet = &entries[files.len()];
    assert!(
        quiet["integrated_lufs"].is_null() && quiet["true_peak_dbtp"].is_null(),
        "{quiet}"
    );
    assert_eq!(quiet["duration_s"], 2.0);

    // A bad file is reported and fails the run; the others are still measured.
    let empty = dir.path().join("empty.flac");
    std::fs::write(&empty, b"").unwrap();
    let out = cutroom(&["loudness", "--json", s(&files[0]), s(&empty)]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["files"][0]["integrated_lufs"].is_number());
    assert!(v["files"][1]["error"]
        .as_str()
        .unwrap()
        .contains("empty file"));
    assert!(String::from_utf8_lossy(&out.stderr).contains(s(&empty)));
}

/// `loudness` reads the true peak as FFmpeg's meter does at any rate: upsampled to 192 kHz
/// (not 4x by a 48-tap interpolator, which read white noise 1.2 dB under it, and a 19.8 kHz
/// tone at 44.1 kHz 0.09 dB under).
#[test]
fn loudness_reads_the_true_peak_as_ffmpeg_does_at_any_rate() {
    let dir = tempfile::tempdir().unwrap();
    let noise = dir.path().join("white.wav");
    from_lavfi(
        &noise,
        "anoisesrc=c=white:a=0.5:r=48000:d=1:seed=7",
        &["-c:a", "pcm_f32le"],
    );
    let mut files = vec![noise];
    // Tones near the top of the band, at a phase whose samples miss the crest, faded in and
    // out (an abrupt start rings in any interpolator).
    for (rate, freq) in [
        (44100, 19845),
        (32000, 10667),
        (48000, 21600),
        (96000, 43200),
    ] {
        let f = dir.path().join(format!("tone_{rate}.wav"));
        let src = format!("aevalsrc=0.9*sin(2*PI*{freq}*t+PI/4):s={rate}:c=stereo:d=1");
        let fades = "afade=in:d=0.2,afade=out:st=0.8:d=0.2";
        from_lavfi(&f, &src, &["-af", fades, "-c:a", "pcm_f32le"]);
        files.push(f);
    }
    let mut args = vec!["loudness", "--json"];
    args.extend(files.iter().map(|f| s(f)));
    let report = cutroom_json(&args);
    for (f, e) in files.iter().zip(report["files"].as_array().unwrap()) {
        let ours = e["true_peak_dbtp"].as_f64().unwrap();
        let theirs = ffmpeg_true_peak(f);
        assert!(
            (ours - theirs).abs() <= 0.02,
            "{}: {ours:.3} dBTP, FFmpeg's ebur128 {theirs:.3}",
            f.display()
        );
    }
}

#[test]
fn long_soundtracks_keep_sync_through_the_two_thread_encode() {
    // 24 s: long enough for the AAC to be encoded in two halves (avwrite::PARALLEL_MIN_SECS).
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("long_markers.mp4");
    marker_clip(&clip, 128, 72, 25, 24.0, 24.0, 0.0, &[]);
    let music = dir.path().join("bed.wav");
    from_lavfi(
        &music,
        "aevalsrc=0.1*sin(2*PI*8000*t)*(0.7+0.3*sin(2*PI*0.5*t)):s=48000:c=stereo:d=24",
        &["-c:a", "pcm_f32le"],
    );
    let out = dir.path().join("long_ducked.mp4");
    cutroom_ok(&["duck", s(&clip), "--music", s(&music), "-o", s(&out), "-q"]);
    let offs = marker_offsets_ms(&out);
    assert_eq!(offs.len(), 12, "{offs:?}");
    for (t, o) in offs {
        assert!(o.abs() <= 1.0, "marker at {t} s is {o:.2} ms off");
    }
    assert_eq!(video_hashes(&clip), video_hashes(&out));
    let (v, a) = durations(&out);
    assert!(
        (v - 24.0).abs() < 1e-6 && (a - 24.0).abs() < 0.001,
        "{v} {a}"
    );
    // The music bed is continuous through the middle (no gap or click at the seam): its level
    // in every 100 ms window of the decoded output between markers stays near the bed's.
    let pcm = decode_pcm(&out, 48000, 2);
    for k in 0..240 {
        let (a, b) = (k as f64 * 0.1, k as f64 * 0.1 + 0.1);
        let near_marker = (a - 1.0).rem_euclid(2.0) > 1.6 || (a - 1.0).rem_euclid(2.0) < 0.7;
        if a < 0.5 || near_marker {
            continue;
        }
        let l = tone_level(&pcm, 2, 8000.0, a, b);
        assert!((0.035..0.11).contains(&l), "bed level {l:.3} at {a:.1} s");
    }
}

/// An offset is time: one past the picture's end only means silence, whatever its size, and
/// an absurd one is a usage error, not an abort. A file whose sound is stamped to start at
/// 1 h is measured and laid from its first sample, not from an hour of silence.
#[test]
fn offsets_and_late_start_times_cost_no_memory() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.mp4");
    marker_clip(&base, 360, 640, 30, 4.0, 4.0, 0.0, &[]);
    let music = fixture("music.wav");
    let out = dir.path().join("out.mp4");
    for cmd in [["swap", "--audio"], ["duck", "--music"]] {
        let run = cutroom(&[
            cmd[0],
            s(&base),
            cmd[1],
            s(&music),
            "--offset",
            "1e12",
            "-o",
            s(&out),
        ]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.contains("--offset"), "{err}");
        assert!(!out.exists());
        let (mb, _) = peak_mb_ok(&[
            cmd[0],
            "-q",
            s(&base),
            cmd[1],
            s(&music),
            "--offset",
            "3600",
            "-o",
            s(&out),
        ]);
        assert!(mb < 300.0, "{cmd:?} --offset 3600 took {mb:.0} MB");
        let (v, a) = durations(&out);
        assert!((v - 4.0).abs() < 1e-6 && (a - 4.0).abs() < 0.001, "{v} {a}");
        if cmd[0] == "swap" {
            let pcm = decode_pcm(&out, 48000, 2);
            assert!(
                pcm.iter().all(|v| v.abs() < 1e-3),
                "an offset past the end is silence"
            );
        }
        std::fs::remove_file(&out).unwrap();
    }
    // Sound and picture stamped to start at 1 h (an empty edit of an hour in each track).
    let late = dir.path().join("late.mp4");
    ff(&[
        "-i",
        s(&base),
        "-c",
        "copy",
        "-output_ts_offset",
        "3600",
        s(&late),
    ]);
    let (mb, run) = peak_mb_ok(&["loudness", "--json", s(&late)]);
    assert!(
        mb < 300.0,
        "loudness of a clip stamped at 1 h took {mb:.0} MB"
    );
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let d = v["files"][0]["duration_s"].as_f64().unwrap();
    assert!((d - 4.0).abs() < 0.01, "measured {d} s");
    let theirs = ebur128(&base);
    let lufs = v["files"][0]["integrated_lufs"].as_f64().unwrap();
    assert!(
        (lufs - theirs.integrated).abs() <= 0.2,
        "{lufs} vs {theirs:?}"
    );
    // Sound alone stamped at 1 h, through symphonia (M4A) and through FFmpeg (Opus in MKA):
    // it starts at its first sound.
    for (name, codec) in [("late.m4a", "copy"), ("late.mka", "libopus")] {
        let alone = dir.path().join(name);
        ff(&[
            "-i",
            s(&base),
            "-vn",
            "-c:a",
            codec,
            "-output_ts_offset",
            "3600",
            s(&alone),
        ]);
        let (mb, run) = peak_mb_ok(&["loudness", "--json", s(&alone)]);
        assert!(mb < 300.0, "{name}: took {mb:.0} MB");
        let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let d = v["files"][0]["duration_s"].as_f64().unwrap();
        assert!((d - 4.0).abs() < 0.05, "{name}: measured {d} s");
    }
    // A clip whose sound starts an hour after its picture, in a container that declares no
    // stream durations (Matroska): the hour is never materialised for the 4 s picture.
    let apart = dir.path().join("apart.mkv");
    ff(&[
        "-i",
        s(&base),
        "-itsoffset",
        "3600",
        "-i",
        s(&base),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c",
        "copy",
        s(&apart),
    ]);
    let (mb, _) = peak_mb_ok(&["duck", "-q", s(&apart), "--music", s(&music), "-o", s(&out)]);
    assert!(
        mb < 300.0,
        "duck of a clip whose sound starts at 1 h took {mb:.0} MB"
    );
    assert!((durations(&out).1 - 4.0).abs() < 0.001);
    // Its sound, laid on the clip, sits on the flashes again (sample 0 is its first frame).
    cutroom_ok(&["swap", "-q", s(&base), "--audio", s(&late), "-o", s(&out)]);
    let offs = marker_offsets_ms(&out);
    assert_eq!(offs.len(), 2, "{offs:?}");
    assert!(offs.iter().all(|(_, o)| o.abs() <= 1.0), "{offs:?}");
}

/// A soundtrack file with a picture in Matroska is placed as a clip's own sound is, sample 0
/// at its first frame: a sound 0.3 s after its picture is laid 0.3 s late, and one wholly
/// before its picture is refused saying so, as for an MP4. symphonia read it from its first
/// sound: 0.3 s early (its AAC priming kept, 21 ms late on top), and the sound before the
/// picture was taken whole.
#[test]
fn a_matroska_soundtrack_is_placed_against_its_own_picture() {
    let dir = tempfile::tempdir().unwrap();
    let marker = fixture("marker_portrait_30.mp4");
    let m = s(&marker);
    // The picture moved by `picture` seconds, the sound read with `sound`'s options.
    let moved = |name: &str, picture: &str, sound: &[&str]| {
        let out = dir.path().join(name);
        let mut args = vec!["-itsoffset", picture, "-i", m];
        args.extend_from_slice(sound);
        args.extend_from_slice(&["-i", m, "-map", "0:v", "-map", "1:a", "-c", "copy"]);
        args.push(s(&out));
        ff(&args);
        out
    };
    let late = moved("late.mkv", "0", &["-itsoffset", "0.3"]);
    let out = dir.path().join("out.mp4");
    cutroom_ok(&["swap", "-q", m, "--audio", s(&late), "-o", s(&out)]);
    let offs = marker_offsets_ms(&out);
    assert_eq!(offs.len(), 3, "{offs:?}");
    assert!(
        offs.iter().all(|(_, o)| (o - 300.0).abs() <= 1.5),
        "{offs:?}"
    );
    // All 6 s of its sound: FFmpeg's analysis reads the first 5 s of the file, and took the
    // picture, never met there, as starting at 0 (with the sound), till it read on.
    let before = moved("before.mkv", "10", &[]);
    let gone = dir.path().join("gone.mp4");
    let run = cutroom(&["swap", "-q", m, "--audio", s(&before), "-o", s(&gone)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}: its sound ends at ", before.display()))
            && err.contains("before its picture (10.021-16.021 s) starts: none of it plays"),
        "{err}"
    );
    assert!(!gone.exists());
}

/// Audio symphonia cannot read (an x265 MP4 whose `hvcC` is over 1 KB; AC-3 in MOV) is read
/// by FFmpeg instead, by `loudness`, `swap --audio` and `duck --music/--voice`; so is HE-AAC,
/// which symphonia decoded as its AAC-LC core (half the rate, SBR's upper band lost; one
/// channel of HE-AAC v2).
#[test]
fn audio_symphonia_refuses_is_read_by_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.mp4");
    marker_clip(&base, 360, 640, 30, 4.0, 4.0, 0.0, &[]);
    let hevc = dir.path().join("hevc.mp4");
    ff(&[
        "-i",
        s(&base),
        "-c:v",
        "libx265",
        "-preset",
        "ultrafast",
        "-x265-params",
        "log-level=error",
        "-c:a",
        "copy",
        s(&hevc),
    ]);
    let ac3 = dir.path().join("ac3.mov");
    ff(&["-i", s(&base), "-c:v", "copy", "-c:a", "ac3", s(&ac3)]);
    let out = dir.path().join("out.mp4");
    for file in [&hevc, &ac3] {
        let v = cutroom_json(&["loudness", "--json", s(file)]);
        let theirs = ebur128(file);
        let lufs = v["files"][0]["integrated_lufs"].as_f64().unwrap();
        assert!(
            (lufs - theirs.integrated).abs() <= 0.3,
            "{file:?}: {lufs} vs {theirs:?}"
        );
        cutroom_ok(&["swap", "-q", s(&base), "--audio", s(file), "-o", s(&out)]);
        let offs = marker_offsets_ms(&out);
        assert_eq!(offs.len(), 2, "{file:?}: {offs:?}");
        assert!(
            offs.iter().all(|(_, o)| o.abs() <= 1.0),
            "{file:?}: {offs:?}"
        );
    }
    cutroom_ok(&[
        "duck",
        "-q",
        s(&base),
        "--music",
        s(&ac3),
        "--voice",
        s(&hevc),
        "-o",
        s(&out),
    ]);
    assert!((durations(&out).1 - 4.0).abs() < 0.001);
    // HE-AAC (no encoder here makes it): an AAC-LC track at 24 kHz whose AudioSpecificConfig
    // then says SBR is present, at 48 kHz (FFmpeg writes the SBR extension, absent).
    let he = dir.path().join("he.mp4");
    let lc = dir.path().join("lc24.mp4");
    ff(&[
        "-i",
        s(&base),
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-ar",
        "24000",
        s(&lc),
    ]);
    let mut bytes = std::fs::read(&lc).unwrap();
    let asc = [0x05, 0x80, 0x80, 0x80, 0x05, 0x13, 0x10, 0x56, 0xe5, 0x00];
    let at = bytes.windows(asc.len()).position(|w| w == asc).unwrap();
    bytes[at + asc.len() - 1] = 0x98;
    std::fs::write(&he, bytes).unwrap();
    let v = cutroom_json(&["loudness", "--json", s(&he)]);
    assert_eq!(v["files"][0]["sample_rate"], 48000, "{v}");
    let lufs = v["files"][0]["integrated_lufs"].as_f64().unwrap();
    assert!((lufs - ebur128(&he).integrated).abs() <= 0.3, "{v}");
    // probe counts its edit list's 1024 core samples of priming as 2048 at 48 kHz, all encoder
    // delay (it read 1024 of delay and 1024 of a copy trim's lead-in), and says what FFmpeg's
    // decoder does not make up.
    let p = cutroom_json(&["probe", "--json", s(&he)]);
    let file = &p["files"][0];
    assert_eq!(file["streams"][1]["encoder_delay_samples"], 2048, "{p}");
    assert_eq!(file["streams"][1]["start_trim_samples"], 0, "{p}");
    let notes = file["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("audio #1 is HE-AAC (SBR): FFmpeg's decoder")
            && n.as_str().unwrap().contains("(481 core samples, 20.0 ms)")),
        "{p}"
    );
}

/// `--true-peak` without `--loudness` holds the ceiling in `swap` and `concat` as it does in
/// `duck`, and keeps the level where nothing peaks over it: a bed whose 5 kHz bursts reach
/// 1.5 (+3.5 dBFS) comes out under -1 dBTP (the option was ignored: +8.6 dBTP, clipped in
/// players, and swap now says so), its quiet tone between them as loud as it went in.
#[test]
fn a_true_peak_ceiling_given_alone_is_held() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hot = d.join("hot.wav");
    from_lavfi(
        &hot,
        "aevalsrc='0.1*sin(2*PI*440*t)+1.5*sgn(sin(2*PI*5000*t))*between(mod(t,1),0.5,0.55)'\
         :s=48000:c=stereo:d=6",
        &["-c:a", "pcm_f32le"],
    );
    let clip = fixture("marker_portrait_30.mp4");
    // The hot sound under the clip, its level kept (the shot concat joins): it clips, and swap
    // says so.
    let shot = d.join("shot.mp4");
    let kept = cutroom_json(&[
        "swap",
        s(&clip),
        "--audio",
        s(&hot),
        "-o",
        s(&shot),
        "--json",
    ]);
    let warned = kept["warnings"].as_array().unwrap();
    assert!(
        warned
            .iter()
            .any(|w| w.as_str().unwrap().contains("over full scale")),
        "{kept}"
    );
    let (swapped, joined) = (d.join("swapped.mp4"), d.join("joined.mp4"));
    cutroom_ok(&[
        "swap",
        "-q",
        s(&clip),
        "--audio",
        s(&hot),
        "--true-peak",
        "-1",
        "-o",
        s(&swapped),
    ]);
    cutroom_ok(&[
        "concat",
        "-q",
        s(&shot),
        s(&shot),
        "--true-peak",
        "-1",
        "-o",
        s(&joined),
    ]);
    let tone = |pcm: &[f32]| db(tone_level(pcm, 2, 440.0, 0.1, 0.4));
    let before = tone(&decode_pcm(&shot, 48000, 2));
    for out in [&swapped, &joined] {
        let theirs = ebur128(out);
        assert!(
            theirs.true_peak <= -1.0 + 0.05,
            "{out:?} peaks at {theirs:?}"
        );
        let after = tone(&decode_pcm(out, 48000, 2));
        assert!(
            (after - before).abs() <= 0.2,
            "{out:?}: the tone under the peaks went from {before:.2} to {after:.2} dB"
        );
    }
}

/// The true peak printed is the encoded file's: AAC raises peaks (bursts of a 5 kHz square by
/// about 5 dB, far outside the old 2 dB "codec check" window), so the encoded track is always
/// measured, and brought under the ceiling when it is over (an independent meter agrees).
#[test]
fn duck_and_swap_hold_the_true_peak_ceiling_in_the_encoded_file() {
    let dir = tempfile::tempdir().unwrap();
    let clip = talking_clip(dir.path());
    let music = dir.path().join("bursts.mp3");
    from_lavfi(
        &music,
        "aevalsrc='0.5*sgn(sin(2*PI*5000*t))*lt(mod(t,0.5),0.05)':s=48000:c=stereo:d=6",
        &["-c:a", "libmp3lame", "-b:a", "192k"],
    );
    let printed = |said: &str| -> f64 {
        let tp = said.split("true peak ").nth(1).expect("a true peak");
        tp.split_whitespace().next().unwrap().parse().unwrap()
    };
    for cmd in [["duck", "--music"], ["swap", "--audio"]] {
        let out = dir.path().join(format!("{}.mp4", cmd[0]));
        let said = cutroom_stdout(&[
            cmd[0],
            s(&clip),
            cmd[1],
            s(&music),
            "--loudness",
            "-14",
            "--true-peak",
            "-5",
            "-o",
            s(&out),
        ]);
        let theirs = ebur128(&out);
        assert!(
            theirs.true_peak <= -5.0 + 0.05,
            "{cmd:?}: the file peaks at {theirs:?}: {said}"
        );
        let tp = printed(&said);
        assert!(
            (tp - theirs.true_peak).abs() <= 0.3,
            "{cmd:?} printed {tp}, the file has {theirs:?}"
        );
    }
}

/// Issue 14 item 16: `duck`'s memory grows by at most about one copy of the sound with the
/// clip's length (the music bed it mixes in), not by the voice, the music and the limiter's
/// envelope held together (2.5 copies before).
#[test]
fn duck_memory_grows_by_one_copy_of_the_sound_with_length() {
    let dir = tempfile::tempdir().unwrap();
    let peak = |secs: u32| -> f64 {
        let clip = dir.path().join(format!("talk{secs}.mp4"));
        let music = dir.path().join(format!("music{secs}.wav"));
        bursts_clip(&clip, secs);
        hum(&music, secs);
        let out = dir.path().join(format!("out{secs}.mp4"));
        let (mb, _) = peak_mb_ok(&[
            "duck",
            "-q",
            s(&clip),
            "--music",
            s(&music),
            "--loudness",
            "-14",
            "-o",
            s(&out),
        ]);
        mb
    };
    assert_sound_growth(peak(20), peak(80), 60.0, 1.5);
}

/// Issue 14 item 10, its own case: `duck` on a 20 s clip of dialogue-like bursts with an MP3
/// music bed, `--loudness -14 --true-peak -1`. The true peak printed is the file's, as FFmpeg's
/// `ebur128=peak=true` and `cutroom loudness` measure it, and at or under -1 dBTP.
#[test]
fn duck_prints_the_files_true_peak_under_minus_one_dbtp_on_a_20_s_clip() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("talk20.mp4");
    bursts_clip(&clip, 20);
    let music = dir.path().join("music.mp3");
    from_lavfi(
        &music,
        "aevalsrc='0.3*sin(2*PI*220*t)+0.4*sgn(sin(2*PI*5000*t))*lt(mod(t,0.5),0.05)'\
         :s=48000:c=stereo:d=20",
        &["-c:a", "libmp3lame", "-b:a", "192k"],
    );
    let out = dir.path().join("duck.mp4");
    let said = cutroom_stdout(&[
        "duck",
        "-q",
        s(&clip),
        "--music",
        s(&music),
        "--loudness",
        "-14",
        "--true-peak",
        "-1",
        "-o",
        s(&out),
    ]);
    let printed: f64 = said
        .split("true peak ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no true peak in {said:?}"));
    let theirs = ebur128(&out);
    let ours = cutroom_json(&["loudness", "--json", s(&out)]);
    let measured = ours["files"][0]["true_peak_dbtp"].as_f64().unwrap();
    assert!(
        theirs.true_peak <= -1.0 + 0.05 && measured <= -1.0,
        "the file peaks at {theirs:?} / {measured} dBTP: {said}"
    );
    // The summary prints one decimal.
    assert!(
        (printed - measured).abs() <= 0.051,
        "printed {printed}, cutroom loudness measures {measured}"
    );
    assert!(
        (printed - theirs.true_peak).abs() <= 0.3,
        "printed {printed}, FFmpeg measures {theirs:?}"
    );
}

/// The display rotation of the first video stream as ffprobe reads it (0 without one).
fn rotation(path: &Path) -> i64 {
    let p = ffprobe(path);
    let v = p["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .unwrap()
        .clone();
    v["side_data_list"]
        .as_array()
        .and_then(|l| l.iter().find_map(|d| d["rotation"].as_i64()))
        .unwrap_or(0)
}

/// `swap` and `duck` copy the picture with its display matrix: a phone clip shown upright
/// stays upright.
#[test]
fn swap_and_duck_keep_the_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("rotated.mp4");
    ff(&[
        "-i",
        s(&fixture("marker_portrait_30.mp4")),
        "-c",
        "copy",
        "-metadata:s:v:0",
        "rotate=90",
        s(&rotated),
    ]);
    assert_ne!(rotation(&rotated), 0);
    let shown = frame_at(&rotated, 0.5, &dir.path().join("in.png"));
    for cmd in [["swap", "--audio"], ["duck", "--music"]] {
        let out = dir.path().join(format!("{}.mp4", cmd[0]));
        cutroom_ok(&[
            cmd[0],
            "-q",
            s(&rotated),
            cmd[1],
            s(&fixture("music.wav")),
            "-o",
            s(&out),
        ]);
        assert_eq!(rotation(&out), rotation(&rotated), "{cmd:?}");
        let probed = cutroom_json(&["probe", "--json", s(&out)]);
        assert_eq!(
            probed["files"][0]["streams"][0]["rotation_deg"].as_f64(),
            Some(rotation(&rotated) as f64)
        );
        let f = frame_at(&out, 0.5, &dir.path().join(format!("{}.png", cmd[0])));
        assert_eq!((f.width, f.height), (shown.width, shown.height), "{cmd:?}");
        assert_eq!(f.data, shown.data, "{cmd:?}: the same upright picture");
    }
}

/// A clip cut with `ffmpeg -ss 0.5 -c copy` keeps the GOP before the cut as hidden pre-roll
/// (an edit list): `swap` shows what it presents (3.5 s, no pre-roll) and `concat` joins it.
#[test]
fn hidden_pre_roll_stays_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.mp4");
    marker_clip(&base, 360, 640, 30, 4.0, 4.0, 0.0, &[]);
    let cut = dir.path().join("cut.mp4");
    ff(&["-ss", "0.5", "-i", s(&base), "-c", "copy", s(&cut)]);
    let presented = markers(&cut);
    assert_eq!(presented.flashes.len(), 2, "{presented:?}");
    let out = dir.path().join("swap.mp4");
    let said = cutroom_stdout(&["swap", s(&cut), "--audio", s(&cut), "-o", s(&out)]);
    assert!(said.contains("3.500 s"), "{said}");
    let (v, a) = durations(&out);
    assert!((v - 3.5).abs() < 0.02 && (a - 3.5).abs() < 0.02, "{v} {a}");
    let m = markers(&out);
    assert_eq!(m.flashes, presented.flashes, "the pre-roll shows: {m:?}");
    let offs = marker_offsets_ms(&out);
    assert_eq!(offs.len(), 2, "{offs:?}");
    assert!(offs.iter().all(|(_, o)| o.abs() <= 1.0), "{offs:?}");
    let joined = dir.path().join("joined.mp4");
    cutroom_ok(&["concat", "-q", s(&cut), s(&base), "-o", s(&joined)]);
    let m = markers(&joined);
    let want = [0.5, 2.5, 4.5, 6.5];
    assert_eq!(m.flashes.len(), want.len(), "{m:?}");
    for (got, want) in m.flashes.iter().zip(want) {
        assert!((got - want).abs() < 0.02, "{m:?}");
    }
}

/// Decode the audio of `path` to 48 kHz mono with cutroom's decoder: the samples out, the
/// packets it skipped as damaged and when the first and last of them are stamped to show.
fn decode_counting_damage(path: &Path) -> (usize, u64, Option<(f64, f64)>) {
    use cutroom_ffi::{AudioDecoder, Decoder as _, Input, MediaKind};
    let mut input = Input::open(path).unwrap();
    let a = input.best_stream(MediaKind::Audio).unwrap();
    let mut dec = AudioDecoder::new(&input, a, 48000, 1).unwrap();
    let mut samples = 0;
    dec.decode_input(&mut input, |run| -> cutroom_ffi::Result<bool> {
        samples += run.data.len();
        Ok(true)
    })
    .unwrap_or_else(|e| panic!("{e}"));
    (samples, dec.damaged_packets(), dec.damaged_at())
}

#[test]
fn damaged_aac_packets_are_skipped_and_counted_and_the_rest_decodes() {
    let dir = tempfile::tempdir().unwrap();
    // AAC frames here are ~370 bytes: FFmpeg's AAC decoder refuses the frames the damage hits,
    // one with "invalid data" and others with its header parser's own error code; the ffmpeg
    // CLI skips them all and decodes on.
    let (good, bad) = aac_with_damage(dir.path());

    let (whole, none, nowhere) = decode_counting_damage(&good);
    assert_eq!(
        (none, nowhere),
        (0, None),
        "an intact file has no damaged packets"
    );
    let (left, damaged, at) = decode_counting_damage(&bad);
    assert!(damaged >= 2, "{damaged} damaged packets counted");
    // Where: among the packets the damage hit (the warnings gave a count only).
    let (first, last) = at.expect("where the damage is");
    let (lo, hi) = garbled_span(&bad, "a");
    assert!(
        lo <= first && first < last && last <= hi,
        "{first}-{last} s said, {lo}-{hi} s garbled"
    );
    assert!(
        left <= whole && whole - left <= damaged as usize * 1024,
        "{left} samples of {whole} decoded with {damaged} packets skipped"
    );
}

#[test]
fn loudness_reports_the_damaged_packets_it_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = aac_with_damage(dir.path());
    let run = cutroom(&["loudness", "--json", s(&bad), s(&good)]);
    let err = String::from_utf8_lossy(&run.stderr);
    let files = serde_json::from_slice::<serde_json::Value>(&run.stdout).unwrap()["files"].clone();
    let n = files[0]["damaged_packets"].as_u64().expect("a count");
    assert!(n >= 2, "{files}");
    assert_eq!(files[1]["damaged_packets"], 0, "{files}");
    let said = format!(
        "warning: {n} damaged packets skipped in {} (audio)",
        bad.display()
    );
    assert!(err.contains(&said), "{err}");
}

/// `swap --json` and `duck --json` print one JSON document whose figures are those of the file
/// written: its length (ffprobe) and loudness (the ffmpeg CLI's EBU R128 meter).
#[test]
fn swap_and_duck_json_report_what_the_output_measures() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let (voice, music) = (fixture("dialogue.wav"), fixture("music.wav"));
    for cmd in ["swap", "duck"] {
        let out = dir.path().join(format!("{cmd}.mp4"));
        let mut args = vec![cmd, "-q", s(&clip)];
        match cmd {
            "swap" => args.extend(["--audio", s(&voice)]),
            _ => args.extend(["--music", s(&music), "--voice", s(&voice)]),
        }
        args.extend(["--loudness", "-16", "-o", s(&out), "--json"]);
        let r = cutroom_json(&args);
        assert_eq!(r["output"], s(&out), "{r}");
        let probed = ffprobe(&out)["format"]["duration"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap();
        assert!(
            (r["duration_s"].as_f64().unwrap() - probed).abs() < 0.01,
            "{r}"
        );
        assert_eq!(
            (&r["video_cut"], &r["sample_rate"]),
            (&false.into(), &48000.into())
        );
        let meter = ebur128(&out);
        let lufs = r["loudness"]["integrated_lufs"].as_f64().unwrap();
        assert!(
            (lufs - meter.integrated).abs() < 0.2,
            "{cmd}: {lufs} vs {meter:?}"
        );
        assert!((lufs + 16.0).abs() < 0.3, "{cmd}: {lufs}");
        let peak = r["loudness"]["true_peak_dbtp"].as_f64().unwrap();
        assert!(
            (peak - meter.true_peak).abs() < 0.5,
            "{cmd}: {peak} vs {meter:?}"
        );
        if cmd == "duck" {
            assert!(!r["speech"].as_array().unwrap().is_empty(), "{r}");
            assert!(r["speech_threshold_dbfs"].is_number(), "{r}");
        }
    }
}

/// `cutroom swap` of the picture-only fixture with `music` into `out`.
fn swap_music(music: &Path, out: &Path) -> std::process::Output {
    cutroom(&[
        "swap",
        s(&fixture("no_audio.mp4")),
        "--audio",
        s(music),
        "-o",
        s(out),
    ])
}

/// A music bed that ends early (an interrupted download) is refused naming it, when the file
/// states its length exactly (FLAC's STREAMINFO, an MP3's LAME/Xing tag), not used at half its
/// length; the same files whole are used.
#[test]
fn a_music_bed_cut_short_is_refused_not_used_as_far_as_it_goes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.mp4");
    for ext in ["mp3", "flac"] {
        let whole = d.join(format!("music.{ext}"));
        ff(&["-i", s(&fixture("music.wav")), s(&whole)]);
        let bytes = std::fs::read(&whole).unwrap();
        let cut = d.join(format!("cut.{ext}"));
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let swap = |music: &Path| swap_music(music, &out);
        let run = swap(&cut);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{ext}: {err}");
        assert!(
            err.contains(&format!("{}: cut short: ", cut.display())) && err.contains("of 4.000 s"),
            "{ext}: {err}"
        );
        assert!(!out.exists(), "{ext}");
        assert!(swap(&whole).status.success(), "{ext}");
        std::fs::remove_file(&out).unwrap();
    }
}

/// A 5.1 soundtrack whose front, centre and surround channels carry the same tone at -6 dBFS is
/// folded down as docs/audio.md says: FFmpeg's standard matrix scaled so a full-scale input
/// cannot clip, so no louder than its loudest channel (unscaled, +1.6 dBTP: clipped).
#[test]
fn swap_folds_a_five_one_soundtrack_down_without_clipping() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let surround = d.join("surround.wav");
    from_lavfi(
        &surround,
        "aevalsrc=0.5*sin(2*PI*1000*t):s=48000:d=3",
        &["-af", "pan=5.1|FL=c0|FR=c0|FC=c0|BL=c0|BR=c0"],
    );
    let out = d.join("out.mp4");
    cutroom_ok(&[
        "swap",
        s(&fixture("marker_portrait_30.mp4")),
        "--audio",
        s(&surround),
        "-o",
        s(&out),
    ]);
    assert_folded_like_ffmpeg(&out, &surround, &d.join("theirs.wav"));
}

/// A 5.1 Ogg Vorbis bed, each channel its own tone, is folded down as its WAV original is (every
/// tone within 1 dB in each output channel). symphonia's Vorbis decoder undoes channel coupling
/// first step first (Vorbis I 4.3.5: last first), so with more than one step it scrambled the
/// surrounds: the back right's tone came out 20 dB low on the right, and on the left too.
#[test]
fn a_surround_ogg_vorbis_bed_is_folded_down_as_its_wav_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // FL FR FC LFE BL BR
    let tones = [300.0, 500.0, 700.0, 60.0, 1100.0, 1300.0];
    let sines: Vec<String> = tones
        .iter()
        .map(|f| format!("0.25*sin(2*PI*{f}*t)"))
        .collect();
    let wav = d.join("bed.wav");
    from_lavfi(
        &wav,
        &format!("aevalsrc={}:c=5.1:s=48000:d=3", sines.join("|")),
        &[],
    );
    let ogg = d.join("bed.ogg");
    ff(&["-i", s(&wav), "-c:a", "libvorbis", s(&ogg)]);
    let folded = |bed: &Path| {
        let out = d.join("out.mp4");
        let clip = fixture("marker_portrait_30.mp4");
        cutroom_ok(&["swap", "-q", s(&clip), "--audio", s(bed), "-o", s(&out)]);
        decode_pcm(&out, 48000, 2)
    };
    let (ours, theirs) = (folded(&ogg), folded(&wav));
    for ch in 0..2 {
        for f in tones {
            let level = |pcm: &[f32]| db(tone_level(&pcm[ch..], 2, f, 0.5, 2.5));
            let (o, t) = (level(&ours), level(&theirs));
            assert!(
                (o - t).abs() <= 1.0 || o.max(t) < -40.0,
                "channel {ch}, {f} Hz: {o:.1} dB, from the WAV {t:.1} dB"
            );
        }
    }
}

/// `dir/bed-LAYOUT.EXT`: 3 s of 16-bit PCM (in a WAV or a MOV) in FFmpeg's `layout` of
/// `channels` channels, channel `c` a tone of 300 + 200 `c` Hz at -12 dBFS.
fn tones(dir: &Path, layout: &str, channels: usize, ext: &str) -> PathBuf {
    let sines: Vec<String> = (0..channels)
        .map(|c| format!("0.25*sin(2*PI*{}*t)", 300 + 200 * c))
        .collect();
    let source = format!("aevalsrc={}:c={layout}:s=48000:d=3", sines.join("|"));
    let path = dir.join(format!("bed-{}.{ext}", layout.replace(['(', ')'], "")));
    ff(&["-f", "lavfi", "-i", &source, "-c:a", "pcm_s16le", s(&path)]);
    path
}

/// `cutroom loudness` weighs each channel where its file says it plays, as FFmpeg's meter does
/// (within 0.1 LU of `ebur128`, which prints tenths): 2.1's third channel is an LFE (it was
/// counted as a centre, 1.8 LU loud), 4.0's third a centre at 1 (it was a surround at 1.41),
/// 7.1(wide)'s last two front centres at 1 (they were sides).
#[test]
fn loudness_weighs_each_channel_where_its_file_says_it_plays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let layouts = [
        ("2.1", 3),
        ("4.0", 4),
        ("quad", 4),
        ("6.0", 6),
        ("hexagonal", 6),
        ("7.1(wide)", 8),
        ("octagonal", 8),
    ];
    for (layout, channels) in layouts {
        let wav = tones(d, layout, channels, "wav");
        let r = cutroom_json(&["loudness", "--json", s(&wav)]);
        let ours = r["files"][0]["integrated_lufs"].as_f64().unwrap();
        let theirs = ebur128(&wav).integrated;
        assert!(
            (ours - theirs).abs() <= 0.1,
            "{layout}: {ours:.2} LUFS, ffmpeg ebur128 {theirs} LUFS"
        );
    }
}

/// A surround bed is folded down where its file says each channel plays, as `ffmpeg -ac 2`
/// folds it: each channel's own tone within 0.5 dB of FFmpeg's level on each side, and absent
/// where FFmpeg leaves it out. A quad bed (FL FR BL BR) was folded as 4.0 (FL FR FC BC): its
/// back right came out on the left, 5 dB down. Read by hound (WAV), symphonia (FLAC) and FFmpeg
/// (PCM in MOV); a WAV that names no positions (channel mask 0) is read as FFmpeg's default
/// for the count (4.0), as FFmpeg reads it.
#[test]
fn a_surround_bed_is_folded_down_where_its_file_says_each_channel_plays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    let check = |bed: &Path, channels: usize| {
        let out = d.join("out.mp4");
        cutroom_ok(&["swap", "-q", s(&clip), "--audio", s(bed), "-o", s(&out)]);
        let theirs = d.join("theirs.wav");
        ff(&["-i", s(bed), "-ac", "2", s(&theirs)]);
        let (ours, theirs) = (decode_pcm(&out, 48000, 2), decode_pcm(&theirs, 48000, 2));
        for c in 0..channels {
            let f = 300.0 + 200.0 * c as f64;
            for (side, name) in ["left", "right"].iter().enumerate() {
                let level = |pcm: &[f32]| db(tone_level(&pcm[side..], 2, f, 0.5, 2.5));
                let (o, t) = (level(&ours), level(&theirs));
                assert!(
                    (o - t).abs() <= 0.5 || (o < -40.0 && t < -40.0),
                    "{}: channel {c} ({f} Hz) on the {name}: {o:.1} dB, ffmpeg -ac 2 {t:.1} dB",
                    bed.display()
                );
            }
        }
    };
    let bed = |layout: &str, channels: usize, ext: &str| tones(d, layout, channels, ext);
    let layouts = [
        ("quad", 4),
        ("4.0", 4),
        ("5.0", 5),
        ("5.1", 6),
        ("5.1(side)", 6),
        ("7.1", 8),
    ];
    for (layout, channels) in layouts {
        check(&bed(layout, channels, "wav"), channels);
    }
    let quad = bed("quad", 4, "wav");
    let flac = d.join("quad.flac");
    ff(&["-i", s(&quad), s(&flac)]);
    check(&flac, 4);
    // FFmpeg names any other layout in a WAVEFORMATEXTENSIBLE_CHANNEL_MASK tag (4.0: 0x107).
    for (layout, name) in [("4.0", "four.flac"), ("quad(side)", "side.flac")] {
        let tagged = d.join(name);
        ff(&["-i", s(&bed(layout, 4, "wav")), s(&tagged)]);
        check(&tagged, 4);
    }
    check(&bed("quad", 4, "mov"), 4);
    // WAVE_FORMAT_EXTENSIBLE's dwChannelMask, 40 bytes in (ffmpeg writes `fmt ` first), set to 0.
    let mut bytes = std::fs::read(&quad).unwrap();
    assert_eq!(bytes[40..44], [0x33, 0, 0, 0], "a quad mask where expected");
    bytes[40..44].fill(0);
    let unnamed = d.join("unnamed.wav");
    std::fs::write(&unnamed, bytes).unwrap();
    check(&unnamed, 4);
}

/// `--loudness` is the loudness of the soundtrack as written: a 0.1 s sting at the start of a
/// 6 s clip (which the AAC priming shortens by 21 ms) still reads the target (it read -15.0
/// LUFS for -14), and a target the output does not get is said, on stderr and in `--json`.
#[test]
fn swap_loudness_is_met_on_the_output_or_said_to_be_missed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sting = d.join("sting.wav");
    ff(&["-f", "lavfi", "-i", "sine=f=440:d=0.1:r=48000", s(&sting)]);
    let clip = fixture("marker_portrait_30.mp4");
    let out = d.join("out.mp4");
    let run = |audio: &Path, clip: &Path, lufs: &str| {
        let run = cutroom_ok(&[
            "swap",
            s(clip),
            "--audio",
            s(audio),
            "--loudness",
            lufs,
            "-o",
            s(&out),
            "--json",
        ]);
        let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        (v, String::from_utf8_lossy(&run.stderr).into_owned())
    };
    let (v, err) = run(&sting, &clip, "-14");
    let theirs = ebur128(&out).integrated;
    assert!((theirs + 14.0).abs() <= 0.15, "{theirs} LUFS; {v}");
    assert_eq!(v["warnings"], serde_json::json!([]), "{v} {err}");

    // A sine cannot be louder than its peak: -0.5 LUFS under a -1 dBTP ceiling is out of reach.
    let (v, err) = run(&fixture("music.wav"), &clip, "-0.5");
    let got = v["loudness"]["integrated_lufs"].as_f64().unwrap();
    let tp = v["loudness"]["true_peak_dbtp"].as_f64().unwrap();
    let said = format!(
        "--loudness -0.5: the soundtrack reaches {got:.1} LUFS at a true peak of {tp:.1} dBTP, as \
         loud as the -1 dBTP true-peak ceiling allows"
    );
    assert_eq!(v["warnings"], serde_json::json!([said]), "{v}");
    assert!(err.contains(&format!("cutroom: warning: {said}")), "{err}");

    // An output under one gating block cannot be measured: its level is left, and that is said.
    let short = d.join("short.mp4");
    test_clip(&short, "0.2", None);
    let (v, _) = run(&sting, &short, "-14");
    assert_eq!(
        v["warnings"],
        serde_json::json!([
            "--loudness -14: the soundtrack is too short to measure (under 0.4 s), so its level \
             is left as it is"
        ]),
        "{v}"
    );
}

/// A tone above the AAC encoder's band (21 kHz) levelled to -10 LUFS is written far quieter:
/// the warning names the encoder, not the ceiling (the true peak is well under it), with the
/// figures ffmpeg's meter reads on the output; no pass chases the loudness the encoder drops.
#[test]
fn swap_loudness_the_encoder_drops_is_blamed_on_the_encoder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tone = d.join("tone.wav");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "sine=f=21000:d=2:r=48000",
        "-ac",
        "2",
        s(&tone),
    ]);
    let clip = d.join("clip.mp4");
    test_clip(&clip, "2", None);
    let out = d.join("out.mp4");
    let v = cutroom_json(&[
        "swap",
        s(&clip),
        "--audio",
        s(&tone),
        "--loudness",
        "-10",
        "--true-peak",
        "-1",
        "-o",
        s(&out),
        "--json",
    ]);
    let theirs = ebur128(&out);
    let got = v["loudness"]["integrated_lufs"].as_f64().unwrap();
    let tp = v["loudness"]["true_peak_dbtp"].as_f64().unwrap();
    assert!((got - theirs.integrated).abs() <= 0.2, "{v} vs {theirs:?}");
    assert!((tp - theirs.true_peak).abs() <= 0.3, "{v} vs {theirs:?}");
    assert!(
        theirs.true_peak < -3.0 && theirs.integrated < -15.0,
        "{theirs:?}"
    );
    let said = v["warnings"][0].as_str().unwrap_or_default();
    let head = format!(
        "--loudness -10: the soundtrack reaches {got:.1} LUFS at a true peak of {tp:.1} dBTP, \
         {:.1} dB under the -1 dBTP ceiling: the AAC encoder removed {:.1} LU of the sound, which \
         measured -10.0 LUFS before encoding, 100% of its power above 19 kHz",
        -1.0 - tp,
        -10.0 - got
    );
    assert!(said.starts_with(&head), "{said}\n{head}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "{v}");
}

/// CPU seconds (user and system) of a successful `cutroom` run with `args`.
fn cpu_s(args: &[&str]) -> f64 {
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "cpu_s=%U %S", env!("CARGO_BIN_EXE_cutroom")])
        .args(args)
        .output()
        .expect("run /usr/bin/time");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    let times = err.lines().rev().find_map(|l| l.strip_prefix("cpu_s="));
    times
        .unwrap_or_else(|| panic!("{err}"))
        .split(' ')
        .map(|v| v.parse::<f64>().unwrap())
        .sum()
}

/// Heavy limiting (6 s of music levelled to -8 LUFS under -1 dBTP: the limiter works on nearly
/// every block, on every pass) costs at most 3.2 times the CPU of levelling it to -14 LUFS
/// (no limiting): it cost 4.3 times (3.7 against 0.9 CPU s, debug build) when each pass worked
/// out the true-peak envelope again. Nothing over the ceiling gets through, by ffmpeg's meter.
#[test]
fn heavy_limiting_costs_little_more_than_levelling() {
    let dir = tempfile::tempdir().unwrap();
    let (clip, music) = (fixture("marker_portrait_30.mp4"), fixture("music.wav"));
    let run = |lufs: &str| {
        let out = dir.path().join(format!("out{lufs}.mp4"));
        let args = [
            "swap",
            "-q",
            s(&clip),
            "--audio",
            s(&music),
            "--fit",
            "loop",
            "--loudness",
            lufs,
            "-o",
            s(&out),
        ];
        (cpu_s(&args), ebur128(&out))
    };
    let (light, _) = run("-14");
    let (heavy, theirs) = run("-8");
    assert!(theirs.true_peak <= -1.0, "{theirs:?}");
    assert!((theirs.integrated + 8.0).abs() <= 0.15, "{theirs:?}");
    assert!(
        heavy <= 3.2 * light,
        "-8 LUFS took {heavy:.2} CPU s, -14 LUFS {light:.2}"
    );
}

/// A sound shorter than one 400 ms gating block has no integrated loudness because it is too
/// short, not because it is silent: the lines say so beside its true peak.
#[test]
fn a_sound_under_a_gating_block_is_too_short_to_measure_not_silent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = d.join("sting.mp4");
    test_clip(&clip, "0.2", None);
    let out = d.join("out.mp4");
    let said = cutroom_stdout(&[
        "swap",
        s(&clip),
        "--audio",
        s(&fixture("music.wav")),
        "-o",
        s(&out),
    ]);
    assert!(
        said.contains("0.200 s, loudness too short to measure (under 0.4 s), true peak -"),
        "{said}"
    );
    let measured = cutroom_stdout(&["loudness", s(&out)]);
    assert!(
        measured.contains("too short to measure") && !measured.contains("silent"),
        "{measured}"
    );
}

/// `--offset` past the end of the output (100 meant as milliseconds) leaves none of the new
/// audio in it: the run says so; an offset inside the output does not.
#[test]
fn an_offset_past_the_end_of_the_output_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let swap = |offset: &str| {
        let run = cutroom_ok(&[
            "swap",
            s(&fixture("no_audio.mp4")),
            "--audio",
            s(&fixture("music.wav")),
            "--offset",
            offset,
            "-o",
            s(&out),
        ]);
        String::from_utf8_lossy(&run.stderr).into_owned()
    };
    let warned = swap("100");
    assert!(
        warned.contains(
            "warning: --offset 100: the new audio starts after the output ends (6.000 s)"
        ),
        "{warned}"
    );
    // An offset inside the output is no warning; the silence after the sound is a note.
    let inside = swap("1");
    assert_eq!(
        inside,
        format!(
            "cutroom: {}: the new audio ends at 5.000 s, 1.000 s before the picture (6.000 s): \
             silence to its end (--fit loop repeats the audio, --fit trim cuts the picture to \
             it)\n",
            fixture("music.wav").display()
        )
    );
}

/// A fade longer than what it fades leaves the sound never at full level (a 0.1 s sound under
/// `--fade-in 10` came out at -68 LUFS with no word): the run names the option and both
/// lengths; fades that fit say nothing.
#[test]
fn a_fade_longer_than_the_sound_or_the_output_is_warned_of() {
    let dir = tempfile::tempdir().unwrap();
    let (blip, out) = (dir.path().join("blip.wav"), dir.path().join("out.mp4"));
    let video = fixture("no_audio.mp4");
    from_lavfi(&blip, "sine=f=440:d=0.1", &["-ar", "48000"]);
    let swap = |fades: &[&str]| {
        let run = ["swap", s(&video), "--audio", s(&blip)];
        let j = cutroom_json(&[&run[..], fades, &["-o", s(&out), "--json"]].concat());
        j["warnings"].as_array().unwrap().clone()
    };
    assert_eq!(
        swap(&["--fade-in", "10", "--fade-out", "7"]),
        [
            "--fade-in 10.000 s is longer than the new audio heard (0.100 s of the 6.000 s \
             output), so it never reaches full level",
            "--fade-out 7.000 s is longer than the output (6.000 s), so the sound is never at \
             full level",
        ]
    );
    assert!(swap(&["--fade-in", "0.05", "--fade-out", "6"]).is_empty());
}

/// A music bed whose file states no length (Ogg Vorbis, Ogg Opus, an MP3 without a LAME/Xing
/// tag) is refused when it ends early, naming it: its last Ogg page or MP3 frame stops midway,
/// or its Ogg stream lacks the end-of-stream page; the same files whole are used.
#[test]
fn a_music_bed_without_a_stated_length_cut_short_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out.mp4");
    let swap = |music: &Path| {
        let run = swap_music(music, &out);
        let _ = std::fs::remove_file(&out);
        run
    };
    for (name, codec) in [
        ("music.ogg", &["-c:a", "libvorbis"][..]),
        ("music.opus", &["-c:a", "libopus"][..]),
        ("music.mp3", &["-c:a", "libmp3lame", "-write_xing", "0"][..]),
    ] {
        let whole = d.join(name);
        ff(&[&["-i", s(&fixture("music.wav"))][..], codec, &[s(&whole)]].concat());
        let bytes = std::fs::read(&whole).unwrap();
        let last_page = bytes.windows(4).rposition(|w| w == b"OggS");
        let mut cuts = vec![(bytes.len() / 2, "stops after")];
        if bytes.starts_with(b"OggS") {
            cuts[0].1 = "its last Ogg page stops midway";
            cuts.push((last_page.unwrap(), "has no end-of-stream page"));
        }
        for (at, why) in cuts {
            let cut = d.join(format!("cut-{at}-{name}"));
            std::fs::write(&cut, &bytes[..at]).unwrap();
            let run = swap(&cut);
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(1), "{name} at {at}: {err}");
            assert!(
                err.contains(&format!("{}: cut short: ", cut.display())) && err.contains(why),
                "{name} at {at}: {err}"
            );
        }
        let run = swap(&whole);
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

/// A soundtrack file with two audio tracks is read as the other commands read a clip: FFmpeg's
/// default track (here the second, flagged default), with a warning naming the one left out.
/// `loudness` measured, and `swap` laid, the first track without a word.
#[test]
fn a_soundtrack_with_two_audio_tracks_uses_the_default_one_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let two = dir.path().join("two.mp4");
    tracks_clip(
        &two,
        "testsrc2=s=320x240:r=30:d=3",
        &[
            "sine=f=440:r=48000:d=3,volume=-30dB",
            "sine=f=440:r=48000:d=3,volume=-10dB",
        ],
        &["-disposition:a:0", "0", "-disposition:a:1", "default"],
    );
    let loud = dir.path().join("loud.wav");
    ff(&["-i", s(&two), "-map", "0:2", s(&loud)]);
    let want = ebur128(&loud).integrated;
    let left_out = format!(
        "{}: has 2 audio tracks; only stream #2 is used, stream #1 left out",
        two.display()
    );

    let run = cutroom_ok(&["loudness", "--json", s(&two)]);
    let err = String::from_utf8_lossy(&run.stderr);
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let got = v["files"][0]["integrated_lufs"].as_f64().unwrap();
    assert!(
        (got - want).abs() < 0.5,
        "measured {got}, the default track is {want}"
    );
    assert!(err.contains(&left_out), "{err}");
    // The report carries what was said on stderr.
    let said = |w: &serde_json::Value| {
        w.as_array().map(Vec::len) == Some(1) && w[0].as_str().unwrap().starts_with(&left_out)
    };
    assert!(said(&v["files"][0]["warnings"]), "{v}");

    let out = dir.path().join("swapped.mp4");
    let clip = fixture("marker_portrait_30.mp4");
    let run = cutroom_ok(&[
        "swap",
        s(&clip),
        "--audio",
        s(&two),
        "-o",
        s(&out),
        "--json",
    ]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains(&left_out), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert!(said(&v["warnings"]), "{v}");
    let laid = ebur128(&out).integrated;
    assert!(
        (laid - want).abs() < 1.0,
        "swap laid {laid}, the default track is {want}"
    );
}

/// An MPEG-TS whose AAC changes from 48 to 44.1 kHz mid-stream, its timestamps counting 48 kHz
/// frames on (two ADTS streams spliced, then muxed): the sound after the change lasts 8.8 %
/// longer than its timestamps say, which was decoded silently (concat joined it, swap laid it).
/// Now refused, naming the file and the time of the change; a splice whose timestamps follow
/// the change decodes as before.
#[test]
fn a_sample_rate_change_its_timestamps_do_not_follow_is_refused_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    for (rate, f) in [(48000, "a48.aac"), (44100, "a44.aac")] {
        let sine = format!("sine=f=440:d=1:sample_rate={rate}");
        ff(&[
            "-f",
            "lavfi",
            "-i",
            &sine,
            "-c:a",
            "aac",
            "-f",
            "adts",
            s(&p(f)),
        ]);
    }
    let mut spliced = std::fs::read(p("a48.aac")).unwrap();
    spliced.extend(std::fs::read(p("a44.aac")).unwrap());
    std::fs::write(p("spliced.aac"), spliced).unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let (spliced, bad) = (p("spliced.aac"), p("bad.ts"));
    ff(&[
        "-i",
        s(&clip),
        "-i",
        s(&spliced),
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c",
        "copy",
        s(&bad),
    ]);
    // The change: after the 48 kHz stream's frames (its priming and a part frame included).
    let frames = ffprobe_packets(&p("a48.aac"), "a:0").len();
    let at = format!("{:.3} s of the file", frames as f64 * 1024.0 / 48000.0);
    let out = p("out.mp4");
    for args in [
        vec!["concat", s(&bad), "-o", s(&out)],
        vec!["swap", s(&clip), "--audio", s(&bad), "-o", s(&out)],
    ] {
        let run = cutroom(&args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {err}");
        let said = format!(
            "{}: its sample rate changes from 48000 to 44100 Hz at {at}, but its timestamps \
             do not follow",
            bad.display()
        );
        assert!(err.contains(&said), "{args:?}: {err}");
        assert!(!out.exists());
    }
    // Timestamps that follow the change: each part muxed on its own, the second from where the
    // first ends.
    let second = format!("{}", frames as f64 * 1024.0 / 48000.0);
    ff(&[
        "-i",
        s(&p("a48.aac")),
        "-c",
        "copy",
        "-muxdelay",
        "0",
        s(&p("s1.ts")),
    ]);
    ff(&[
        "-i",
        s(&p("a44.aac")),
        "-c",
        "copy",
        "-muxdelay",
        "0",
        "-output_ts_offset",
        &second,
        s(&p("s2.ts")),
    ]);
    let mut good = std::fs::read(p("s1.ts")).unwrap();
    good.extend(std::fs::read(p("s2.ts")).unwrap());
    let good_ts = p("good.ts");
    std::fs::write(&good_ts, good).unwrap();
    let pcm = load::load(&good_ts, &Silent).unwrap_or_else(|e| panic!("{e}"));
    let secs = pcm.frames() as f64 / f64::from(pcm.rate);
    let want = frames as f64 * 1024.0 / 48000.0 + 1.0;
    assert!(
        (secs - want).abs() < 0.05,
        "{secs} s decoded, {want} s meant"
    );
}

/// `swap` and `duck` say once per file what converting its sound to the output's 48 kHz stereo
/// does to it, in the words `concat` uses for a shot (on stderr and in `--json`'s
/// `audio_changed`): a 5.1 96 kHz bed, a mono 22.05 kHz music file and a mono 44.1 kHz voice
/// were folded, spread and resampled without a word. The output is 48 kHz stereo at the target.
#[test]
fn swap_and_duck_say_what_converting_a_sound_does_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bed = d.join("bed51.wav");
    from_lavfi(
        &bed,
        "sine=f=440:r=96000:d=6",
        &[
            "-af",
            "pan=5.1(side)|FL=c0|FR=c0|FC=c0|SL=c0|SR=c0",
            "-c:a",
            "pcm_s24le",
        ],
    );
    let music = d.join("music22.wav");
    from_lavfi(&music, "sine=f=300:r=22050:d=6", &[]);
    let voice = d.join("voice.wav");
    ff(&["-i", s(&fixture("dialogue.wav")), "-ar", "44100", s(&voice)]);
    let (clip, stereo) = (fixture("marker_portrait_30.mp4"), fixture("music.wav"));
    let note = |file: &Path, words: &str| format!("{}: its sound, {words}", file.display());
    let folded = note(
        &bed,
        "5.1(side) (6 ch) at 96000 Hz, is folded down to stereo (FFmpeg's matrix: centre and \
         surrounds into left and right at -3 dB, LFE dropped) and resampled to 48000 Hz",
    );
    let spread = |file: &Path, rate: u32| {
        note(
            file,
            &format!(
                "1 ch at {rate} Hz, is put on both channels at -3 dB each and resampled to \
                 48000 Hz"
            ),
        )
    };
    let runs: [(&str, Vec<&str>, Vec<String>); 3] = [
        ("swap", vec!["--audio", s(&bed)], vec![folded]),
        (
            "duck",
            vec!["--music", s(&music), "--voice", s(&voice)],
            vec![spread(&music, 22050), spread(&voice, 44100)],
        ),
        // A bed already 48 kHz stereo (and the clip's own stereo voice) gets no note.
        ("duck", vec!["--music", s(&stereo)], vec![]),
    ];
    for (i, (cmd, files, notes)) in runs.iter().enumerate() {
        let out = d.join(format!("out{i}.mp4"));
        let mut args = vec![*cmd, "-q", "--json", s(&clip)];
        args.extend(files);
        args.extend(["--loudness", "-14", "-o", s(&out)]);
        let run = cutroom_ok(&args);
        let r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        for n in notes {
            assert_eq!(err.matches(&format!("cutroom: {n}\n")).count(), 1, "{err}");
        }
        assert_eq!(r["audio_changed"], serde_json::json!(notes), "{r}");
        assert!(!err.contains("its sound,") || !notes.is_empty(), "{err}");
        let a = &ffprobe(&out)["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == "audio")
            .unwrap()
            .clone();
        assert_eq!(
            (&a["sample_rate"], &a["channels"]),
            (&"48000".into(), &2.into())
        );
        let meter = ebur128(&out);
        assert!(
            (meter.integrated + 14.0).abs() <= 0.2,
            "{cmd} {i}: {meter:?}"
        );
    }
}
