//! Outputs never destroy inputs, a failing command leaves nothing behind (nor half of its
//! files), temp files do not outlive a run, and bad input is named for what it is.

use crate::common::{
    cutroom, cutroom_ok, cutroom_with_file_limit, ff, fixture, lavfi_clip, s, sha256sum, still,
};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Stderr of a run that must fail with exit code 1.
fn fails(args: &[&str]) -> String {
    let res = cutroom(args);
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(1), "{args:?} must fail: {err}");
    err
}

/// Stderr of a run that must fail with exit code 1 when no file may grow past `kb` kB (with
/// SIGXFSZ ignored, writes past it fail with EFBIG, as on a full disk).
fn fails_over_file_size(kb: u32, args: &[&str]) -> String {
    let res = cutroom_with_file_limit(kb, args);
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(1), "{args:?} must fail: {err}");
    err
}

/// Names in `dir` starting with a dot (our temp files), sorted.
fn hidden(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// `dir/st/` with the music and voice WAVs of a duck run.
fn stems_inputs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let st = dir.join("st");
    std::fs::create_dir(&st).unwrap();
    let (music, voice) = (st.join("music.wav"), st.join("voice.wav"));
    std::fs::copy(fixture("music.wav"), &music).unwrap();
    std::fs::copy(fixture("dialogue.wav"), &voice).unwrap();
    (st, music, voice)
}

#[test]
fn duck_stems_never_overwrite_the_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let (st, music, voice) = stems_inputs(dir.path());
    let before = (sha256sum(&music), sha256sum(&voice));
    let out = dir.path().join("out.mp4");
    let clip = fixture("marker_portrait_30.mp4");
    let err = fails(&[
        "duck",
        s(&clip),
        "--music",
        s(&music),
        "--voice",
        s(&voice),
        "--stems",
        s(&st),
        "-o",
        s(&out),
    ]);
    assert!(err.contains("also an input"), "{err}");
    assert_eq!((sha256sum(&music), sha256sum(&voice)), before);
    assert!(!out.exists(), "nothing is written");
    assert!(hidden(&st).is_empty() && hidden(dir.path()).is_empty());
}

#[test]
fn assemble_never_writes_a_deliverable_over_a_shot() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("self.x.mp4");
    std::fs::copy(fixture("marker_landscape_25.mp4"), &src).unwrap();
    let before = sha256sum(&src);
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        "name = \"self\"\noutputs = [\"x\"]\n[[shot]]\nsrc = \"self.x.mp4\"\n",
    )
    .unwrap();
    let err = fails(&["assemble", s(&spec), "-o", s(dir.path())]);
    assert!(
        err.contains("self.x.mp4") && err.contains("also an input"),
        "{err}"
    );
    assert_eq!(sha256sum(&src), before);
    assert!(!dir.path().join("report.json").exists());
}

/// `dir/out/<name>`: a JPEG still (an earlier run's cover, say), and its hash.
fn still_in_out(dir: &Path, name: &str) -> (PathBuf, String) {
    let out = dir.join("out");
    std::fs::create_dir(&out).unwrap();
    let jpeg = out.join(name);
    still(&jpeg, "color=c=0x804020:s=320x240");
    let hash = sha256sum(&jpeg);
    (jpeg, hash)
}

#[test]
fn export_never_writes_a_cover_over_a_card_image() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let (still, before) = still_in_out(dir.path(), "marker_portrait_30.square.jpg");
    let out = still.parent().unwrap();
    let card = format!("image = \"{}\", duration = 1", s(&still));
    let err = fails(&[
        "export",
        s(&clip),
        "-p",
        "square",
        "--cover",
        "auto",
        "--end-card",
        &card,
        "-o",
        s(out),
    ]);
    assert!(
        err.contains("marker_portrait_30.square.jpg") && err.contains("also an input"),
        "{err}"
    );
    assert_eq!(sha256sum(&still), before);
    assert!(!out.join("marker_portrait_30.square.mp4").exists());
    assert!(hidden(out).is_empty());
}

#[test]
fn assemble_never_writes_a_cover_over_a_card_image() {
    assert_assemble_never_writes_over_a_card_image("cut.square.jpg");
}

#[test]
fn assemble_never_writes_a_sync_plot_over_a_card_image() {
    assert_assemble_never_writes_over_a_card_image("cut.square.sync.png");
}

/// An assemble whose output `name` (a cover, a sync plot) is the image of one of its cards
/// is refused naming it, leaves the image as it was and writes no deliverable nor report.
fn assert_assemble_never_writes_over_a_card_image(name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (still, before) = still_in_out(dir.path(), name);
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "name = \"cut\"\noutputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n\
             [[shot]]\nimage = \"out/{name}\"\nduration = 1\n",
            s(&fixture("marker_portrait_30.mp4"))
        ),
    )
    .unwrap();
    let out = still.parent().unwrap();
    let err = fails(&["assemble", s(&spec), "-o", s(out)]);
    assert!(err.contains(name) && err.contains("also an input"), "{err}");
    assert_eq!(sha256sum(&still), before);
    assert!(!out.join("cut.square.mp4").exists() && !out.join("report.json").exists());
}

#[test]
fn duck_checks_the_stems_location_before_writing_the_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    std::fs::write(&out, b"an earlier output").unwrap();
    let taken = dir.path().join("taken");
    std::fs::write(&taken, b"a file, not a directory").unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let music = fixture("music.wav");
    let err = fails(&[
        "duck",
        s(&clip),
        "--music",
        s(&music),
        "--stems",
        s(&taken),
        "-o",
        s(&out),
    ]);
    assert!(err.contains("is a file, not a directory"), "{err}");
    assert!(!err.contains("os error"), "a sentence, not errno: {err}");
    assert!(
        std::fs::read(&out).unwrap() == b"an earlier output",
        "out was replaced"
    );
    assert!(hidden(dir.path()).is_empty());
}

#[test]
fn an_output_directory_blocked_by_a_file_or_broken_link_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"a file, not a directory").unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!("outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n", s(&clip)),
    )
    .unwrap();
    for (blocker, what) in [
        (&file, "is a file, not a directory"),
        (&link, "is a broken symbolic link"),
    ] {
        for out in [blocker.clone(), blocker.join("sub")] {
            for args in [
                vec!["export", s(&clip), "--preset", "reels", "-o", s(&out)],
                vec!["assemble", s(&spec), "-o", s(&out)],
            ] {
                let err = fails(&args);
                assert!(
                    err.contains(s(blocker)) && err.contains(what),
                    "{args:?}: {err}"
                );
                assert!(!err.contains("os error"), "a sentence, not errno: {err}");
            }
        }
    }
    assert!(!dir.path().join("missing").exists());
    assert!(hidden(dir.path()).is_empty());
}

#[test]
fn duck_out_of_space_while_writing_stems_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.mp4");
    let stems = dir.path().join("stems");
    let clip = fixture("marker_portrait_30.mp4");
    let music = fixture("music.wav");
    // Under a 900 kB file size limit the MP4 fits, the first 4 s 48 kHz stereo float stem
    // (1.5 MB) does not.
    let err = fails_over_file_size(
        900,
        &[
            "duck",
            s(&clip),
            "--music",
            s(&music),
            "--stems",
            s(&stems),
            "-o",
            s(&out),
        ],
    );
    assert!(err.contains("voice.wav"), "names the stem: {err}");
    // The OS's sentence, without Rust's "(os error 27)".
    assert!(
        err.contains("cannot write: File too large") && !err.contains("os error"),
        "{err}"
    );
    assert!(!out.exists(), "the MP4 is not kept without its stems");
    assert!(
        !stems.exists(),
        "the stems directory made for the run is gone"
    );
    assert!(hidden(dir.path()).is_empty());
}

#[test]
fn export_checks_the_safe_zones_location_before_writing_any_mp4() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let old = out.join("marker_portrait_30.tiktok.mp4");
    std::fs::write(&old, b"an earlier export").unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let missing = dir.path().join("missing/sz.png");
    let err = fails(&[
        "export",
        s(&clip),
        "--preset",
        "tiktok",
        "--safe-zones",
        s(&missing),
        "-o",
        s(&out),
    ]);
    assert!(
        err.contains("missing") && err.contains("does not exist"),
        "{err}"
    );
    assert!(
        std::fs::read(&old).unwrap() == b"an earlier export",
        "old was replaced"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1);
    // A sheet named .jpg would get PNG bytes: refused by its name.
    let jpg = dir.path().join("sz.jpg");
    let res = cutroom(&[
        "export",
        s(&clip),
        "--preset",
        "tiktok",
        "--safe-zones",
        s(&jpg),
        "-o",
        s(&out),
    ]);
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains(".png"), "{err}");
    assert!(
        std::fs::read(&old).unwrap() == b"an earlier export",
        "old was replaced"
    );
}

/// A join slow enough to interrupt: two 8 s shots of different sizes (the normalise path).
fn slow_concat_inputs(dir: &Path) -> (PathBuf, PathBuf) {
    let (a, b) = (dir.join("a.mp4"), dir.join("b.mp4"));
    for (p, size) in [(&a, "640x360"), (&b, "480x270")] {
        let picture = format!("testsrc2=s={size}:r=30:d=8");
        lavfi_clip(
            p,
            &picture,
            Some("sine=f=440:d=8"),
            &["-preset", "ultrafast"],
        );
    }
    (a, b)
}

/// Start `args`, wait until a hidden entry starting with `prefix` appears in `dir` (a temp
/// directory, or a temp file being written: an empty one may be the check that the directory
/// is writable, removed at once), then send `signal`; the exit status.
fn interrupt(args: &[&str], dir: &Path, prefix: &str, signal: &str) -> std::process::ExitStatus {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let written = |n: &String| {
        n.starts_with(prefix)
            && std::fs::metadata(dir.join(n)).is_ok_and(|m| m.is_dir() || m.len() > 0)
    };
    while !(dir.is_dir() && hidden(dir).iter().any(written)) {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("{args:?} ended ({status}) before it could be interrupted: {err}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no temp file");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    child.wait().unwrap()
}

#[test]
fn signals_remove_the_temp_files_and_the_next_run_removes_a_killed_runs() {
    let inputs = tempfile::tempdir().unwrap();
    let (a, b) = slow_concat_inputs(inputs.path());
    for (signal, code) in [("INT", Some(130)), ("TERM", Some(143)), ("KILL", None)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.mp4");
        let status = interrupt(
            &["concat", "-q", s(&a), s(&b), "-o", s(&out)],
            dir.path(),
            ".out.mp4.",
            signal,
        );
        assert_eq!(status.code(), code, "SIG{signal}");
        assert!(!out.exists());
        if signal != "KILL" {
            assert!(
                hidden(dir.path()).is_empty(),
                "SIG{signal} left {:?}",
                hidden(dir.path())
            );
            continue;
        }
        // `kill -9` cannot be caught: the next run writing there removes the leftover.
        let left = hidden(dir.path());
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(left[0].starts_with(".out.mp4."), "{left:?}");
        cutroom_ok(&[
            "swap",
            s(&a),
            "--audio",
            s(&fixture("music.wav")),
            "-o",
            s(&out),
        ]);
        assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    }
    // assemble: its working directory and its half-written deliverables go too.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "outputs = [\"square\", \"reels\"]\n[[shot]]\nsrc = \"{}\"\n[[shot]]\nsrc = \"{}\"\n",
            s(&a),
            s(&b)
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Interrupted while the deliverables are being encoded.
    let args = ["assemble", "-q", s(&spec), "-o", s(&out)];
    let status = interrupt(&args, &out, ".cut.square.mp4.", "TERM");
    assert_eq!(status.code(), Some(143));
    assert!(hidden(&out).is_empty(), "left {:?}", hidden(&out));
}

/// An interrupted run removes the output directories it made (still empty once its temp
/// files are gone), as a failed run does: `export -o new/deeper` leaves no `new`.
#[test]
fn signals_remove_the_output_directories_the_run_made() {
    let inputs = tempfile::tempdir().unwrap();
    let (a, _) = slow_concat_inputs(inputs.path());
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("new");
    let out = new.join("deeper");
    let args = ["export", "-q", s(&a), "-p", "youtube", "-o", s(&out)];
    let status = interrupt(&args, &out, ".a.youtube.mp4.", "INT");
    assert_eq!(status.code(), Some(130));
    assert!(
        !new.exists(),
        "left {:?}",
        std::fs::read_dir(&new).map(|d| d.count())
    );
    // assemble's output directory too.
    let spec = dir.path().join("cut.toml");
    let cut = format!("outputs = [\"youtube\"]\n[[shot]]\nsrc = \"{}\"\n", s(&a));
    std::fs::write(&spec, cut).unwrap();
    let args = ["assemble", "-q", s(&spec), "-o", s(&out)];
    let status = interrupt(&args, &out, ".cut.youtube.mp4.", "INT");
    assert_eq!(status.code(), Some(130));
    assert!(
        !new.exists(),
        "left {:?}",
        std::fs::read_dir(&new).map(|d| d.count())
    );
}

#[test]
fn stale_temp_files_of_dead_runs_are_removed_and_no_others() {
    let dir = tempfile::tempdir().unwrap();
    // A PID that is gone: a child that has exited and been reaped.
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let live = std::process::id();
    let stale_file = format!(".out.mp4.{dead}.aB3xYz.mp4");
    let stale_dir = format!(".assemble-{dead}-q1w2e3");
    let keep = [
        format!(".out.mp4.{live}.aB3xYz.mp4"),
        ".out.mp4.aB3xYz.mp4".to_string(),
        format!(".notes.txt.{dead}.aB3xYz.md"),
        ".config".to_string(),
    ];
    std::fs::write(dir.path().join(&stale_file), b"partial").unwrap();
    std::fs::create_dir(dir.path().join(&stale_dir)).unwrap();
    std::fs::write(dir.path().join(&stale_dir).join("cut.mp4"), b"partial").unwrap();
    for k in &keep {
        std::fs::write(dir.path().join(k), b"someone else's").unwrap();
    }
    let out = dir.path().join("out.mp4");
    let clip = fixture("marker_portrait_30.mp4");
    let music = fixture("music.wav");
    cutroom_ok(&["swap", s(&clip), "--audio", s(&music), "-o", s(&out)]);
    let mut expected = keep.to_vec();
    expected.sort();
    assert_eq!(hidden(dir.path()), expected);
}

#[test]
fn decoding_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.mp4");
    ff(&[
        "-i",
        s(&fixture("marker_portrait_30.mp4")),
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        s(&good),
    ]);
    // `moov` first, so the container opens; the media data is cut short or overwritten.
    let bytes = std::fs::read(&good).unwrap();
    let n = bytes.len();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..n / 2]).unwrap();
    let damaged = dir.path().join("damaged.mp4");
    let mut garbled = bytes.clone();
    for (i, b) in garbled[n / 2..n * 3 / 4].iter_mut().enumerate() {
        *b = (i * 7919 % 251) as u8;
    }
    std::fs::write(&damaged, garbled).unwrap();
    let out = dir.path().join("out.mp4");
    let ex = dir.path().join("ex");
    for (bad, name) in [(&cut, "cut.mp4"), (&damaged, "damaged.mp4")] {
        for args in [
            vec!["sync", s(&good), s(bad)],
            vec!["export", s(bad), "-p", "tiktok", "-o", s(&ex)],
        ] {
            let res = cutroom(&args);
            let err = String::from_utf8_lossy(&res.stderr);
            assert_eq!(res.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains(name), "{args:?} must name {name}: {err}");
        }
    }
    // FFmpeg's AAC decoder answers some of this garbage with a bare -1 ("Operation not
    // permitted"): skipped as damage, as a few damaged packets are, but this many are past the
    // bound (a quarter of the data garbled), refused by count and with what to do.
    for args in [
        vec!["concat", s(&good), s(&damaged), s(&good), "-o", s(&out)],
        vec!["probe", "--decode", s(&damaged)],
    ] {
        let err = fails(&args);
        assert!(err.contains("damaged.mp4: decode "), "{args:?}: {err}");
        assert!(
            err.contains("packets do not decode (more than 1 in 10)")
                && err.contains("fetch it again"),
            "{args:?}: {err}"
        );
    }
    assert!(!out.exists());
}

#[test]
fn pipes_devices_and_still_images_are_named_for_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.mp4");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let err = fails(&["probe", s(&fifo)]);
    assert!(err.contains("named pipe"), "{err}");
    let out = dir.path().join("out.mp4");
    let clip = fixture("marker_portrait_30.mp4");
    let err = fails(&["swap", s(&clip), "--audio", s(&fifo), "-o", s(&out)]);
    assert!(
        err.contains("named pipe") && !err.contains("empty"),
        "{err}"
    );
    let err = fails(&["loudness", "/dev/null"]);
    assert!(err.contains("character device"), "{err}");
    assert!(!out.exists());
    // As an output: a finished output is renamed into place, which replaced the pipe, and (as
    // root) `/dev/stdout`, a link like these (to the pipe the test reads, or to a file when
    // redirected), or `/dev/null` itself, with a plain file.
    let stdout = dir.path().join("stdout.mp4");
    std::os::unix::fs::symlink("/proc/self/fd/1", &stdout).unwrap();
    let link = dir.path().join("link.mp4");
    std::os::unix::fs::symlink(&clip, &link).unwrap();
    let music = fixture("music.wav");
    for (target, what) in [
        (&fifo, "is a named pipe"),
        (&stdout, "is a named pipe"),
        (&link, "is a symbolic link"),
    ] {
        for args in [
            vec!["concat", s(&clip), s(&clip), "-o", s(target)],
            vec!["swap", s(&clip), "--audio", s(&music), "-o", s(target)],
            vec!["duck", s(&clip), "--music", s(&music), "-o", s(target)],
        ] {
            let err = fails(&args);
            assert!(
                err.contains(s(target)) && err.contains(what) && err.contains("give the path"),
                "{args:?}: {err}"
            );
        }
    }
    let fifo_kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(std::os::unix::fs::FileTypeExt::is_fifo(&fifo_kind));
    for link in [&stdout, &link] {
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    }
    assert!(hidden(dir.path()).is_empty());
    for (ext, codec) in [("png", "png"), ("jpg", "mjpeg")] {
        let still = dir.path().join(format!("still-{ext}.mp4"));
        ff(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=360x640:d=1",
            "-frames:v",
            "1",
            "-c:v",
            codec,
            "-f",
            "image2",
            s(&still),
        ]);
        for args in [
            vec!["probe", s(&still)],
            vec!["concat", s(&clip), s(&still), "-o", s(&out)],
        ] {
            let err = fails(&args);
            assert!(
                err.contains(s(&still)) && err.contains("still image"),
                "{args:?}: {err}"
            );
        }
    }
    assert!(!out.exists());
}

#[test]
fn preset_loudness_is_checked_like_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let out = dir.path().join("out");
    for (key, value) in [
        ("true_peak_dbtp", "5"),
        ("loudness_lufs", "10"),
        ("loudness_lufs", "nan"),
        ("loudness_lufs", "inf"),
        ("true_peak_dbtp", "-inf"),
    ] {
        let presets = dir.path().join("p.toml");
        std::fs::write(
            &presets,
            format!("[loud]\nbase = \"reels\"\n{key} = {value}\n"),
        )
        .unwrap();
        let err = fails(&[
            "export",
            s(&clip),
            "--presets",
            s(&presets),
            "--preset",
            "loud",
            "-o",
            s(&out),
        ]);
        assert!(
            err.contains(s(&presets)) && err.contains(key) && err.contains("must be between"),
            "{err}"
        );
        assert!(!out.exists());
    }
    let spec = dir.path().join("cut.toml");
    let music = fixture("music.wav");
    for (key, table) in [
        ("loudness.target", "loudness = { target = nan }".to_owned()),
        ("loudness.target", "loudness = { target = inf }".to_owned()),
        (
            "loudness.true_peak",
            "loudness = { true_peak = -inf }".to_owned(),
        ),
        (
            "music.gain",
            format!("music = {{ file = \"{}\", gain = inf }}", s(&music)),
        ),
    ] {
        std::fs::write(
            &spec,
            format!(
                "outputs = [\"square\"]\n{table}\n[[shot]]\nsrc = \"{}\"\n",
                s(&clip)
            ),
        )
        .unwrap();
        let err = fails(&["assemble", s(&spec), "-o", s(&out)]);
        assert!(
            err.contains(s(&spec)) && err.contains(key) && err.contains("must be between"),
            "{err}"
        );
        assert!(!out.exists());
    }
}

#[test]
fn prores_and_matroska_shots_are_joined_or_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let prores = dir.path().join("master.mov");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=s=360x640:r=30:d=2",
        "-f",
        "lavfi",
        "-i",
        "sine=d=2",
        "-c:v",
        "prores_ks",
        "-c:a",
        "pcm_s16le",
        s(&prores),
    ]);
    let mkv = dir.path().join("shot.mkv");
    ff(&[
        "-i",
        s(&fixture("marker_portrait_30.mp4")),
        "-c",
        "copy",
        s(&mkv),
    ]);
    // Neither can be copied into an MP4: concat takes the normalise path and says why.
    let out = dir.path().join("joined.mp4");
    for shots in [vec![&prores, &mkv], vec![&mkv, &mkv]] {
        let mut args = vec!["concat"];
        args.extend(shots.iter().map(|p| s(p)));
        args.extend(["-o", s(&out)]);
        cutroom_ok(&args);
        let probe = crate::common::ffprobe(&out);
        let secs: f64 = probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let want = if shots[0] == &prores { 2.0 + 6.0 } else { 12.0 };
        assert!((secs - want).abs() < 0.1, "{args:?}: {secs} s");
    }
    // swap keeps the picture bit for bit: ProRes cannot go into its MP4; the error says so,
    // naming the user's file, not a hidden temp file.
    let music = fixture("music.wav");
    let swapped = dir.path().join("swapped.mp4");
    let err = fails(&["swap", s(&prores), "--audio", s(&music), "-o", s(&swapped)]);
    assert!(
        err.contains("master.mov") && err.contains("prores") && !err.contains(".swapped.mp4"),
        "{err}"
    );
    assert!(!swapped.exists());
    // Matroska written with negative timestamps has packets without any: named, not copied
    // into an "Invalid argument".
    let negative = dir.path().join("negative.mkv");
    ff(&[
        "-i",
        s(&fixture("marker_portrait_30.mp4")),
        "-c",
        "copy",
        "-output_ts_offset",
        "-1",
        "-avoid_negative_ts",
        "disabled",
        s(&negative),
    ]);
    for args in [
        vec![
            "swap",
            s(&negative),
            "--audio",
            s(&music),
            "-o",
            s(&swapped),
        ],
        vec!["concat", s(&mkv), s(&negative), "-o", s(&out)],
    ] {
        let err = fails(&args);
        assert!(
            err.contains("negative.mkv") && err.contains("without timestamps"),
            "{args:?}: {err}"
        );
    }
    assert!(!swapped.exists());
}

#[test]
fn assemble_failing_late_keeps_the_earlier_deliverable_and_writes_none() {
    let dir = tempfile::tempdir().unwrap();
    // Two noisy shots of different sizes (joined without a master file), a 64x64 deliverable
    // (~100 kB) and a contact sheet of noise (~430 kB): under a 300 kB file size limit the
    // deliverable is complete when the contact sheet fails.
    for (name, size) in [("a.mp4", "640x360"), ("b.mp4", "480x270")] {
        lavfi_clip(
            &dir.path().join(name),
            &format!("nullsrc=s={size}:r=30:d=2,geq=lum='random(1)*255':cb=128:cr=128"),
            Some("sine=d=2"),
            &["-preset", "ultrafast", "-shortest"],
        );
    }
    std::fs::write(
        dir.path().join("p.toml"),
        "[tiny]\nbase = \"square\"\nwidth = 64\nheight = 64\ncrf = 51\n",
    )
    .unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"tiny\"]\npresets = \"p.toml\"\n\
         [[shot]]\nsrc = \"a.mp4\"\n[[shot]]\nsrc = \"b.mp4\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let earlier = out.join("cut.tiny.mp4");
    std::fs::write(&earlier, b"an earlier deliverable").unwrap();
    let err = fails_over_file_size(300, &["assemble", "-q", s(&spec), "-o", s(&out)]);
    assert!(err.contains("contact.png"), "{err}");
    assert!(
        std::fs::read(&earlier).unwrap() == b"an earlier deliverable",
        "earlier was replaced"
    );
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["cut.tiny.mp4"]);
}

/// Every output is an MP4: `-o cut.mkv` is refused (exit 2, nothing written) rather than an
/// MP4 written under a name that says Matroska, and so is `-o cut` (an MP4 was written under a
/// name without an extension, which no player or upload form takes for a video).
#[test]
fn an_output_named_for_another_container_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clip = fixture("marker_portrait_30.mp4");
    let music = fixture("music.wav");
    let cases = [
        ("concat", "mkv"),
        ("swap", "webm"),
        ("duck", "MKV"),
        ("concat", ""),
        ("swap", ""),
        ("duck", ""),
        ("swap", "v2"),
    ];
    for (cmd, ext) in cases {
        let out = match ext {
            "" => dir.path().join("out"),
            _ => dir.path().join(format!("out.{ext}")),
        };
        let mut args = vec![cmd, s(&clip)];
        match cmd {
            "concat" => args.push(s(&clip)),
            "swap" => args.extend(["--audio", s(&music)]),
            _ => args.extend(["--music", s(&music)]),
        }
        args.extend(["-o", s(&out)]);
        let run = cutroom(&args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{cmd}: {err}");
        let why = match ext {
            "" => format!(
                "name it .mp4, .m4v or .mov ({} has no extension)",
                out.display()
            ),
            _ => format!("name it .mp4, .m4v or .mov, not .{ext}"),
        };
        assert!(err.contains(&why), "{cmd}: {err}");
        assert!(!out.exists(), "{cmd}");
    }
}

/// A name FFmpeg would take for a protocol (`take:1.mp4`, relative) or that is not UTF-8 is
/// read and written as the file it names, by its bytes.
#[test]
fn media_named_with_a_colon_or_not_in_utf8_is_read_and_written() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let latin1 = OsStr::from_bytes(b"pr\xe9sentation.mp4");
    std::fs::copy(fixture("marker_landscape_25.mp4"), d.join("take:1.mp4")).unwrap();
    std::fs::copy(fixture("marker_landscape_25.mp4"), d.join(latin1)).unwrap();
    let out = OsStr::from_bytes(b"cut:\xfe.mp4");
    let run = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .arg("concat")
        .arg("take:1.mp4")
        .arg(latin1)
        .arg("-o")
        .arg(out)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    let probe = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["probe", "--json"])
        .arg(out)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(probe.status.success(), "{probe:?}");
    let report: serde_json::Value = serde_json::from_slice(&probe.stdout).unwrap();
    let secs = report["files"][0]["duration_s"].as_f64();
    assert!(secs.is_some_and(|s| (s - 12.0).abs() < 0.05), "{report}");
    // FFmpeg's own reader agrees (a path starting with / is never a protocol).
    let n = crate::common::ffprobe(&d.join(out))["format"]["duration"]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok());
    assert!(n.is_some_and(|s| (s - 12.0).abs() < 0.05), "{n:?}");
}

/// A file that is not UTF-8 where a text file is expected (a clip given as the spec, captions
/// saved in Latin-1) is named as such, with what was expected and the fix.
#[test]
fn a_text_file_that_is_not_utf8_is_named_for_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_landscape_25.mp4");
    let srt = d.join("latin1.srt");
    std::fs::write(&srt, b"1\n00:00:00,000 --> 00:00:01,000\nh\xe9llo\n").unwrap();
    let out = d.join("out");
    let spec_said = format!(
        "{}: not UTF-8 text; expected the spec file in UTF-8",
        clip.display()
    );
    // Caption files are decoded as UTF-8 or UTF-16; what is neither is named at its line.
    let captions_said = format!(
        "{}: line 3: byte 0xE9 is not UTF-8 (Latin-1 or Windows-1252 text",
        srt.display()
    );
    for (args, said) in [
        (vec!["assemble", s(&clip), "-o", s(&out)], &spec_said),
        (
            vec![
                "export",
                s(&clip),
                "-p",
                "square",
                "--captions",
                s(&srt),
                "-o",
                s(&out),
            ],
            &captions_said,
        ),
    ] {
        let err = fails(&args);
        assert!(err.contains(said.as_str()), "{err}");
        assert!(!out.exists());
    }
}

/// A write the OS refuses (here a file size limit, as a full disk) is one line naming the
/// output and the OS's reason in words: no FFmpeg internals (`write packet`, `write
/// trailer`), no Rust `(os error N)`, no plotting library's debug text; and a named pipe
/// given as an assemble shot is said to be one, not "no such file".
#[test]
fn a_refused_write_is_said_in_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    let music = fixture("music.wav");
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        format!("outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n", s(&clip)),
    )
    .unwrap();
    let (cut, swapped, out) = (d.join("cut.mp4"), d.join("sw.mp4"), d.join("out"));
    for (args, target) in [
        (
            vec!["concat", "-q", s(&clip), s(&clip), "-o", s(&cut)],
            cut.clone(),
        ),
        (
            vec!["export", "-q", s(&clip), "-p", "square", "-o", s(&out)],
            out.join("marker_portrait_30.square.mp4"),
        ),
        (
            vec![
                "swap",
                "-q",
                s(&clip),
                "--audio",
                s(&music),
                "-o",
                s(&swapped),
            ],
            swapped.clone(),
        ),
        (vec!["assemble", "-q", s(&spec), "-o", s(&out)], out.clone()),
    ] {
        let err = fails_over_file_size(8, &args);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{}", target.display())) && err.contains("File too large"),
            "{args:?}: {err}"
        );
        for internal in [
            "write packet",
            "write trailer",
            "write header",
            "os error",
            "Error(",
        ] {
            assert!(!err.contains(internal), "{args:?}: {err}");
        }
    }
    let fifo = d.join("pipe.mp4");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    std::fs::write(
        &spec,
        format!("outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n", s(&fifo)),
    )
    .unwrap();
    let err = fails(&["assemble", "-q", s(&spec), "-o", s(&out)]);
    assert!(err.contains("is a named pipe (FIFO)"), "{err}");
}

/// Ctrl-C while `duck --stems` moves its five outputs into place (each rename slowed to 1 s
/// by strace, so the signal lands between them even on a loaded machine: at 300 ms a loaded CI
/// rehearsal once delivered it after the last) leaves the whole set, never a new MP4
/// without its stems (it did: `out.mp4` renamed, the stems' temp files removed), and no temp
/// file.
#[test]
fn ctrl_c_while_a_set_of_outputs_is_moved_into_place_leaves_the_whole_set() {
    let dir = tempfile::tempdir().unwrap();
    let (out, st) = (dir.path().join("out.mp4"), dir.path().join("st"));
    let clip = dir.path().join("talk.mp4");
    lavfi_clip(
        &clip,
        "testsrc=s=160x120:r=25:d=1",
        Some("sine=f=300:d=1"),
        &["-t", "1"],
    );
    // strace needs ptrace, which some sandboxes refuse whatever is installed.
    let traces = Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "true"])
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run strace (apt-get install strace)");
    if !traces.status.success() {
        eprintln!(
            "SKIPPED: strace cannot trace here: {}",
            String::from_utf8_lossy(&traces.stderr).trim()
        );
        return;
    }
    let renames = "rename,renameat,renameat2";
    let mut strace = Command::new("strace")
        .args(["-qq", "-f", "-o", "/dev/null", "-e"])
        .arg(format!("trace={renames}"))
        .arg("-e")
        .arg(format!("inject={renames}:delay_enter=1000000"))
        .arg(env!("CARGO_BIN_EXE_cutroom"))
        .args(["duck", "-q", s(&clip), "--music", s(&fixture("music.wav"))])
        .args(["--stems", s(&st), "-o", s(&out)])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run strace (apt-get install strace)");
    let start = Instant::now();
    while !out.exists() {
        assert!(strace.try_wait().unwrap().is_none(), "ended uninterrupted");
        assert!(start.elapsed() < Duration::from_secs(120), "no output");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The traced cutroom: strace's child.
    let children = format!("/proc/{0}/task/{0}/children", strace.id());
    let pid = std::fs::read_to_string(children).unwrap();
    let kill = Command::new("kill")
        .args(["-INT", pid.trim()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(strace.wait().unwrap().code(), Some(130));
    let mut stems: Vec<String> = std::fs::read_dir(&st)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stems.sort();
    assert_eq!(stems, ["gain.wav", "mix.wav", "music.wav", "voice.wav"]);
    for d in [dir.path(), st.as_path()] {
        assert!(hidden(d).is_empty(), "{:?}", hidden(d));
    }
}
