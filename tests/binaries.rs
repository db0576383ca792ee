//! The two binaries: `cutroom` links no FFmpeg library, runs the network commands itself and
//! execs `cutroom-media` (beside it) for every other command.

use crate::common::{cutroom, fixture, s};
use std::process::Command;

/// The shared libraries `ldd` lists for `exe`.
fn shared_libraries(exe: &str) -> Vec<String> {
    let out = Command::new("ldd").arg(exe).output().expect("run ldd");
    assert!(out.status.success(), "ldd {exe} failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn cutroom_links_no_ffmpeg_and_media_does() {
    let ffmpeg = |libs: &[String]| {
        libs.iter()
            .filter(|l| l.starts_with("libav") || l.starts_with("libsw"))
            .count()
    };
    let light = shared_libraries(env!("CARGO_BIN_EXE_cutroom"));
    assert_eq!(ffmpeg(&light), 0, "cutroom links FFmpeg: {light:?}");
    assert!(
        light.len() < 10,
        "cutroom links {} libraries: {light:?}",
        light.len()
    );
    let media = shared_libraries(env!("CARGO_BIN_EXE_cutroom-media"));
    assert!(ffmpeg(&media) >= 3, "cutroom-media: {media:?}");
}

#[test]
fn media_commands_run_through_cutroom_media() {
    // probe needs FFmpeg: cutroom hands it to cutroom-media, arguments and exit code intact.
    let out = cutroom(&["probe", "--json", fixture("no_audio.mp4").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["files"][0]["streams"][0]["codec"], "h264", "{j}");
    let out = cutroom(&["probe", fixture("not_media.mp4").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    // Usage errors and help come from the full command tree in cutroom itself.
    let out = cutroom(&["probe", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2));
    let help = String::from_utf8_lossy(&cutroom(&["--help"]).stdout).into_owned();
    for cmd in [
        "probe", "concat", "export", "assemble", "emulate", "fetch", "render", "videos",
    ] {
        assert!(help.contains(cmd), "{cmd} missing from --help: {help}");
    }
}

#[test]
fn a_missing_cutroom_media_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let alone = dir.path().join("cutroom");
    std::fs::copy(env!("CARGO_BIN_EXE_cutroom"), &alone).unwrap();
    let out = output_of_copy(
        Command::new(&alone).args(["probe", fixture("no_audio.mp4").to_str().unwrap()]),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let looked = dir.path().join("cutroom-media");
    assert!(err.contains(looked.to_str().unwrap()), "{err}");
    assert!(err.contains("installed beside cutroom"), "{err}");
    // The OS's words, not Rust's "(os error 2)".
    assert!(
        err.contains("cannot run the media binary (No such file or directory);"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
    // The network commands need no sibling.
    let out = Command::new(&alone).arg("--version").output().unwrap();
    assert!(out.status.success());
}

/// `cmd`'s output, where its program was copied a moment ago: while the copy held it open for
/// writing, another test's thread may have forked, and its child keeps that descriptor until
/// it execs, so the kernel can answer "text file busy" (ETXTBSY) for a few milliseconds.
fn output_of_copy(cmd: &mut Command) -> std::process::Output {
    const ETXTBSY: i32 = 26;
    for _ in 0..100 {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            out => return out.expect("run the copied cutroom"),
        }
    }
    panic!("the copied cutroom stayed busy for 2 s");
}

/// What `cutroom` writes to a terminal (a pseudo-terminal made by util-linux's `script`) while
/// exporting a fixture: stdout and stderr together, as a user sees them.
fn on_a_terminal(quiet: bool, out: &std::path::Path) -> String {
    let mut line = vec![env!("CARGO_BIN_EXE_cutroom").to_string()];
    line.extend(quiet.then(|| "-q".to_string()));
    line.extend(
        [
            "export",
            fixture("marker_landscape_25.mp4").to_str().unwrap(),
            "--preset",
            "tiktok",
            "-o",
            out.to_str().unwrap(),
        ]
        .map(String::from),
    );
    let got = Command::new("script")
        .args(["-qec", &line.join(" "), "/dev/null"])
        .output()
        .expect("run script (util-linux)");
    assert!(got.status.success(), "{got:?}");
    String::from_utf8_lossy(&got.stdout).into_owned()
}

#[test]
fn progress_bars_are_drawn_on_a_terminal_and_quiet_hides_them() {
    let dir = tempfile::tempdir().unwrap();
    let shown = on_a_terminal(false, &dir.path().join("bars"));
    assert!(
        shown.contains("export [") && shown.contains('%'),
        "no export bar on the terminal: {shown:?}"
    );
    // The bar says what is being done: the soundtrack, then the encode (it said `soundtrack`
    // to the end).
    let last = shown.rfind("% ").map(|at| &shown[at..]).unwrap_or_default();
    assert!(
        shown.contains("% soundtrack") && last.starts_with("% encoding tiktok"),
        "the bar's last words: {last:?}"
    );
    let quiet = on_a_terminal(true, &dir.path().join("quiet"));
    assert!(!quiet.contains("export ["), "-q drew a bar: {quiet:?}");
    // Both ran: the summary line names the output.
    assert!(quiet.contains("tiktok"), "{quiet:?}");
}

/// A setting variable exported empty (`SSL_CERT_FILE=`, `CUTROOM_PROVIDER=`, `CUTROOM_SIGN_TSA=`)
/// is no setting, as an empty OPENAI_BASE_URL or key variable is: not a usage error about an
/// option the user never typed, in a network command or a media one.
#[test]
fn settings_exported_empty_are_not_given() {
    let emu = crate::common::Emulator::start(&["--allow-any", "--render-time", "100ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let shots = dir.path().join("shots.toml");
    std::fs::write(
        &shots,
        "[[shot]]\nprompt = \"p\"\nsize = \"160x90\"\nseconds = 1\n",
    )
    .unwrap();
    let run = |args: &[&str], vars: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutroom"));
        cmd.args(args)
            .env("OPENAI_BASE_URL", &emu.base_url)
            .env("OPENAI_API_KEY", "sk-test");
        for v in vars {
            cmd.env(v, if v.ends_with("HEADER") { " " } else { "" });
        }
        cmd.output().unwrap()
    };
    let api = [
        "SSL_CERT_FILE",
        "CUTROOM_BASE_URL",
        "CUTROOM_PROVIDER",
        "OPENAI_AUTH_HEADER",
    ];
    let out = dir.path().join("renders");
    let rendered = run(
        &["render", s(&shots), "-o", s(&out), "--allow-any", "-q"],
        &api,
    );
    assert_eq!(
        rendered.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let sign = ["CUTROOM_SIGN_CERT", "CUTROOM_SIGN_KEY", "CUTROOM_SIGN_TSA"];
    let cut = dir.path().join("cut.mp4");
    let short = fixture("short_audio.mp4");
    let joined = run(&["concat", s(&short), "-o", s(&cut), "-q"], &sign);
    assert_eq!(
        joined.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&joined.stderr)
    );
}

/// A report read by a pipeline that stops reading early (`cutroom sync f | grep -q FAIL`)
/// still exits with its verdict: the reader is gone before sync prints, yet a file 200 ms out
/// of sync exits 3, not 0, and nothing is said on stderr of the closed pipe.
#[test]
fn a_verdict_survives_a_reader_that_went_away() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("late.mp4");
    crate::common::marker_clip(&clip, 320, 180, 30, 6.0, 6.0, 200.0, &[]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["sync", "-q", s(&clip)])
        .stdout(writer)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("stdout"), "{err}");
}

/// A command whose stdout cannot be written (a full disk: `/dev/full`) says so in the OS's
/// words, without Rust's "(os error 28)", and fails.
#[test]
fn stdout_on_a_full_disk_is_said_in_words() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["loudness", s(&fixture("music.wav"))])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        err.trim_end(),
        "cutroom: error: cannot write to stdout: the disk is full",
        "{err}"
    );
}
