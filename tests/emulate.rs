//! `cutroom emulate` driven by the official `openai` Python package (installed from PyPI into
//! the test venv under target/, see `common::python_with`): the real client must see the real API.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn error_object(v: &Value, status: u64, kind: &str, code: &str) {
    assert_eq!(v["status"], status, "{v}");
    let e = &v["error"];
    for k in ["message", "type", "param", "code"] {
        assert!(e.get(k).is_some(), "error object lacks {k}: {v}");
    }
    assert!(!e["message"].as_str().unwrap().is_empty());
    assert_eq!(e["type"], kind, "{v}");
    assert_eq!(e["code"], code, "{v}");
}

/// Run a conformance script; what it printed, as JSON.
fn script_json(mut cmd: Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the script")
}

#[test]
fn the_official_openai_client_drives_the_emulator() {
    let python = python_with(&["openai"]);
    let emu = Emulator::start(&["--render-time", "1s", "--poll-after", "100ms"], &[]);
    let limited = Emulator::start(&["--rate-limit", "5/s"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("ref.png");
    still(&reference, "color=c=red:s=720x1280");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/openai_conformance.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .args([&emu.base_url, &limited.base_url])
        .arg(dir.path())
        .arg(&reference);
    let r = script_json(cmd);

    let c = &r["created"];
    assert_eq!(c["object"], "video");
    assert_eq!(c["status"], "queued");
    assert_eq!(c["progress"], 0);
    assert_eq!(c["model"], "sora-2");
    assert_eq!(c["size"], "1280x720");
    assert_eq!(c["seconds"], "4");
    assert_eq!(c["prompt"], "a lighthouse at dusk");
    assert!(c["id"].as_str().unwrap().starts_with("video_"));
    let p = &r["polled"];
    assert_eq!(p["status"], "completed");
    assert_eq!(p["progress"], 100);
    assert!(p["completed_at"].as_i64().unwrap() >= c["created_at"].as_i64().unwrap());
    assert!(p["expires_at"].as_i64().unwrap() > p["completed_at"].as_i64().unwrap());
    assert_eq!(r["retrieved"]["id"], c["id"]);
    assert_eq!(r["with_reference"]["size"], "720x1280");
    assert_eq!(r["with_reference"]["seconds"], "4", "defaults applied");

    let listed: Vec<&str> = r["listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 5);
    assert_eq!(r["pages"], 3, "5 videos in pages of 2");
    assert_eq!(
        listed[4],
        c["id"].as_str().unwrap(),
        "newest first: the first video is last"
    );
    let asc: Vec<&str> = r["auto_paged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(asc, listed.iter().rev().copied().collect::<Vec<_>>());

    let video = PathBuf::from(r["video"].as_str().unwrap());
    let probe = ffprobe(&video);
    assert_eq!(probe["streams"][0]["codec_name"], "h264");
    assert_eq!(probe["streams"][0]["width"], 1280);
    assert_eq!(probe["streams"][1]["codec_name"], "aac");
    let offs = marker_offsets_ms(&video);
    assert_eq!(offs.iter().map(|o| o.0).collect::<Vec<_>>(), vec![1.0, 3.0]);
    assert!(offs.iter().all(|o| o.1.abs() < 0.5), "{offs:?}");
    // The real API's image formats: a WebP thumbnail of the first frame (black) and a JPEG
    // spritesheet of one cell per second (the flash at 1 s and 3 s is white).
    let thumb = Path::new(r["thumbnail"].as_str().unwrap());
    let s = &ffprobe(thumb)["streams"][0];
    assert_eq!(
        (s["codec_name"].as_str(), s["width"].as_u64()),
        (Some("webp"), Some(320))
    );
    let sheet = Path::new(r["spritesheet"].as_str().unwrap());
    let s = &ffprobe(sheet)["streams"][0];
    assert_eq!(s["codec_name"], "mjpeg");
    let png = thumb.with_extension("png");
    ff(&[
        "-v",
        "error",
        "-y",
        "-i",
        sheet.to_str().unwrap(),
        png.to_str().unwrap(),
    ]);
    let img = read_png(&png);
    assert_eq!((img.width, img.height), (4 * 128, 72));
    for (cell, white) in [(0, false), (1, true), (2, false), (3, true)] {
        let m = img.mean(cell * 128 + 8, 8, cell * 128 + 120, 64);
        assert_eq!(m[0] > 200.0, white, "cell {cell}: {m:?}");
        assert!(white || m[0] < 40.0, "cell {cell}: {m:?}");
    }

    assert_eq!(r["remix"]["remixed_from_video_id"], c["id"]);
    assert_eq!(r["remix"]["status"], "queued");
    assert_eq!(r["remix_form"]["remixed_from_video_id"], c["id"]);
    assert_eq!(r["remix_form"]["prompt"], "the same, in fog");
    for k in ["edit", "edit_by_id"] {
        assert_eq!(r[k]["status"], "queued", "{k}");
        assert_eq!(r[k]["size"], "1280x720", "{k}: the source's size");
        assert_eq!(r[k]["seconds"], "4", "{k}: the source's length");
    }
    assert_eq!(r["edit"]["prompt"], "make it snow");
    assert_eq!(r["extension"]["seconds"], "8", "4 s source + 4 s more");
    assert_eq!(r["extension_polled"]["status"], "completed");
    let ext = Path::new(r["extension_file"].as_str().unwrap());
    let offs = marker_offsets_ms(ext);
    assert_eq!(
        offs.iter().map(|o| o.0).collect::<Vec<_>>(),
        vec![1.0, 3.0, 5.0, 7.0]
    );
    assert_eq!(r["seconds_number"]["status"], 400);
    assert_eq!(r["seconds_number"]["error"]["param"], "seconds");
    assert_eq!(r["delete_queued"]["status"], 400);
    assert_eq!(r["delete_queued"]["error"]["param"], "video_id");
    let d = &r["deleted"];
    assert_eq!(d["id"], r["with_reference"]["id"]);
    assert_eq!(d["object"], "video.deleted");
    assert_eq!(d["deleted"], true);

    error_object(
        &r["not_found"],
        404,
        "invalid_request_error",
        "video_not_found",
    );
    assert_eq!(r["bad_request"]["status"], 400);
    assert_eq!(r["bad_request"]["error"]["param"], "size");
    error_object(&r["rate_limited"], 429, "requests", "rate_limit_exceeded");
    assert!(
        r["rate_limited"]["retry_after"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(r["after_retries"], 0, "the SDK waited out the 429s");
}

/// `cutroom render` of six shots against each flavour under 503s, a 5/s rate limit and
/// downloads cut midway: six valid clips (decoded back: one flash+beep pair each, in sync) and
/// exactly six jobs created.
#[test]
fn every_flavour_renders_six_shots_through_faults_with_one_job_each() {
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|scope| {
        for flavor in ["openai", "openrouter", "fal", "replicate"] {
            let dir = dir.path().join(flavor);
            scope.spawn(move || {
                std::fs::create_dir_all(&dir).unwrap();
                let emu = Emulator::start(
                    &[
                        "--flavor",
                        flavor,
                        "--allow-any",
                        "--render-time",
                        "1s",
                        "--poll-after",
                        "200ms",
                        "--fail-rate",
                        "0.2",
                        // Seeded: its first draw (0.17) fails, so a 503 is certain.
                        "--seed",
                        "5",
                        "--rate-limit",
                        "5/s",
                        "--drop-downloads",
                    ],
                    &[],
                );
                let mut list = String::from("size = \"256x144\"\nseconds = 2\n");
                list.push_str("model = \"google/veo-3.1-fast\"\n");
                for i in 1..=6 {
                    list.push_str(&format!("[[shot]]\nprompt = \"shot {i} of six\"\n"));
                }
                let shots = dir.join("shots.toml");
                std::fs::write(&shots, list).unwrap();
                let out = dir.join("out");
                let r = emu.cutroom_json(&[
                    "render",
                    shots.to_str().unwrap(),
                    "-o",
                    out.to_str().unwrap(),
                    "--provider",
                    flavor,
                    "--allow-any",
                    "--retries",
                    "20",
                    "--json",
                    "-q",
                ]);
                let reports = r["shots"].as_array().unwrap();
                assert_eq!(reports.len(), 6);
                for shot in reports {
                    assert!(shot["error"].is_null(), "{flavor}: {shot}");
                    let file = PathBuf::from(shot["file"].as_str().unwrap());
                    assert_eq!(shot["sha256"].as_str().unwrap(), sha256sum(&file));
                    let p = ffprobe(&file);
                    assert_eq!(p["streams"][0]["codec_name"], "h264", "{flavor}");
                    assert_eq!(p["streams"][0]["width"], 256, "{flavor}");
                    let offs = marker_offsets_ms(&file);
                    assert_eq!(offs.len(), 1, "{flavor}: {offs:?}");
                    assert!(offs[0].1.abs() < 0.5, "{flavor}: {offs:?}");
                }
                let st = emu.stats();
                for k in ["server_errors", "rate_limited", "dropped_downloads"] {
                    assert!(st[k].as_u64().unwrap() > 0, "{flavor}: no {k}: {st}");
                }
                assert_eq!(st["jobs_created"], 6, "{flavor}: {st}");
            });
        }
    });
}

#[test]
fn the_official_openrouter_and_replicate_clients_drive_their_flavours() {
    let python = python_with(&["openrouter", "replicate"]);
    let flags = ["--render-time", "500ms", "--moderate", "forbidden"];
    let or = Emulator::start(&[&["--flavor", "openrouter"][..], &flags].concat(), &[]);
    let rep = Emulator::start(&[&["--flavor", "replicate"][..], &flags].concat(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/gateways_conformance.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .args([&or.base_url, &rep.base_url])
        .arg(dir.path());
    let r = script_json(cmd);
    assert_eq!(r["or_created"]["status"], "pending");
    let polled = &r["or_polled"];
    assert_eq!(polled["status"], "completed", "{r}");
    assert_eq!(polled["usage"]["cost"], 0.2);
    let file = PathBuf::from(r["or_file"].as_str().unwrap());
    let p = ffprobe(&file);
    assert_eq!(p["streams"][0]["codec_name"], "h264");
    assert_eq!(
        (
            p["streams"][0]["width"].as_u64(),
            p["streams"][0]["height"].as_u64()
        ),
        (Some(640), Some(360))
    );
    assert_eq!(marker_offsets_ms(&file).len(), 1, "2 s: one flash+beep");
    assert_eq!(r["or_refused"]["status"], 400);
    assert!(r["or_refused"]["body"]
        .as_str()
        .unwrap()
        .contains("moderation"));
    assert_eq!(r["rep_created"]["status"], "starting");
    let done = &r["rep_done"];
    assert_eq!(done["status"], "succeeded", "{r}");
    assert!(done["error"].is_null());
    let (status, _, body) = http_get(done["output"].as_str().unwrap(), &[]);
    assert_eq!(status, 200);
    let mp4 = dir.path().join("replicate.mp4");
    std::fs::write(&mp4, body).unwrap();
    assert_eq!(marker_offsets_ms(&mp4).len(), 1);
    assert_eq!(r["rep_listed"][0], done["id"]);
    let cancelled = &r["rep_cancelled"];
    assert_eq!(cancelled["status"], "canceled", "{r}");
    assert!(cancelled["output"].is_null(), "{r}");
    assert_eq!(r["rep_refused"]["status"], 422);
    assert_eq!(or.stats()["jobs_created"], 1);
    assert_eq!(rep.stats()["jobs_created"], 2);
}

/// fal-client speaks only https: the fal flavour served over TLS with a test CA (trusted through
/// SSL_CERT_FILE) is driven by it, and cutroom reaches the same server through SSL_CERT_FILE or
/// --ca-cert; without the CA it stops at once, naming the fix, and creates nothing.
#[test]
fn the_official_fal_client_drives_the_fal_flavour_over_tls() {
    let python = python_with(&["fal-client"]);
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_ca(dir.path());
    let emu = Emulator::start(
        &[
            "--flavor",
            "fal",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--render-time",
            "500ms",
            "--moderate",
            "forbidden",
            "--require-key",
        ],
        &[("FAL_KEY", "fal-test-key")],
    );
    let host = emu.base_url.strip_prefix("https://").expect("an https URL");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/fal_conformance.py");
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .arg(dir.path())
        .env("FAL_KEY", "fal-test-key")
        .env("FAL_QUEUE_RUN_HOST", host)
        .env("SSL_CERT_FILE", &ca);
    let r = script_json(cmd);
    let first = r["first_status"].as_str().unwrap();
    assert!(["Queued", "InProgress"].contains(&first), "{r}");
    assert_eq!(r["status_again"], "Completed", "{r}");
    let url = r["result"]["video"]["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("https://{host}/")), "{url}");
    assert_eq!(r["result"]["video"]["content_type"], "video/mp4");
    assert_eq!(r["result_again"], r["result"]);
    let file = PathBuf::from(r["file"].as_str().unwrap());
    let p = ffprobe(&file);
    assert_eq!(p["streams"][0]["codec_name"], "h264");
    assert_eq!(p["streams"][0]["width"], 640);
    assert_eq!(p["streams"][0]["height"], 360);
    assert_eq!(marker_offsets_ms(&file).len(), 1, "2 s: one flash+beep");
    assert_eq!(r["refused"]["status"], 400);
    assert!(r["refused"]["message"]
        .as_str()
        .unwrap()
        .contains("moderation"));
    assert_eq!(r["unknown"]["status"], 404);
    assert_eq!(r["stats"]["jobs_created"], 1);

    let shots = dir.path().join("shots.toml");
    std::fs::write(
        &shots,
        "model = \"fal-ai/veo3/fast\"\nsize = \"256x144\"\nseconds = 2\n[[shot]]\nprompt = \"one\"\n",
    )
    .unwrap();
    // cutroom against the fal emulator with FAL_KEY (which --require-key checks).
    let fal = |args: &[&str], env: &[(&str, &Path)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutroom"));
        cmd.args(args)
            .args(["--base-url", &emu.base_url, "--provider", "fal"])
            .env("FAL_KEY", "fal-test-key")
            .env_remove("SSL_CERT_FILE");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let t = std::time::Instant::now();
        (cmd.output().unwrap(), t.elapsed())
    };
    let render = |out: &str, env: &[(&str, &Path)], args: &[&str]| {
        let out = dir.path().join(out);
        let head = [
            "render",
            shots.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ];
        fal(&[&head[..], &["--allow-any", "-q"], args].concat(), env)
    };
    // Not trusted: one clear error at once (no retries: waiting cannot fix a certificate).
    let (o, took) = render("untrusted", &[], &[]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("certificate is not trusted") && stderr.contains("--ca-cert"),
        "{stderr}"
    );
    assert!(
        took < std::time::Duration::from_secs(10),
        "gave up after {took:?}"
    );
    // Nothing sent, nothing pending: a state that records no job is not kept (5d6d93f), and
    // no lock is left.
    for left in ["shots.state.json", "shots.state.lock"] {
        assert!(!dir.path().join(left).exists(), "{left} left");
    }
    // A file that holds no certificate is named.
    let (o, _) = render("bad", &[], &["--ca-cert", shots.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        stderr.contains("shots.toml") && stderr.contains("certificate"),
        "{stderr}"
    );
    // Trusted through SSL_CERT_FILE, then through --ca-cert (the job is resumed, not re-made).
    let (o, _) = render("trusted", &[("SSL_CERT_FILE", &ca)], &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (o, _) = render(
        "trusted",
        &[],
        &["--ca-cert", ca.to_str().unwrap(), "--json"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let shot = &r["shots"][0];
    assert_eq!(shot["cached"], true, "{shot}");
    let file = PathBuf::from(shot["file"].as_str().unwrap());
    assert_eq!(ffprobe(&file)["streams"][0]["width"], 256);
    assert_eq!(marker_offsets_ms(&file).len(), 1);
    // `videos show` and `fetch` speak the same dialect, with FAL_KEY as `Authorization: Key`.
    let id = shot["id"].as_str().unwrap();
    let trust = [("SSL_CERT_FILE", ca.as_path())];
    let (o, _) = fal(&["videos", "show", id, "--json"], &trust);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let show: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(show["videos"][0]["status"], "COMPLETED", "{show}");
    let fetched = dir.path().join("fetched");
    let (o, _) = fal(
        &["fetch", id, "-o", fetched.to_str().unwrap(), "--json", "-q"],
        &trust,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f: Value = serde_json::from_slice(&o.stdout).unwrap();
    let path = Path::new(f["fetched"][0]["files"]["video"]["path"].as_str().unwrap());
    assert_eq!(sha256sum(path), sha256sum(&file), "the same render");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cutroom"));
    let o = cmd
        .args([
            "videos",
            "show",
            id,
            "--base-url",
            &emu.base_url,
            "--provider",
            "fal",
        ])
        .env("FAL_KEY", "a-wrong-key")
        .env("SSL_CERT_FILE", &ca)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("HTTP 401") && stderr.contains("FAL_KEY"),
        "{stderr}"
    );
}

/// `--av-offset-ms` beyond half the 2 s marker period (each beep then nearer another flash,
/// or cut off at the start; a huge one overflowed while rendering) is a usage error naming it.
#[test]
fn an_av_offset_a_marker_clip_cannot_show_is_a_usage_error() {
    for bad in ["1000", "-1000", "5000", "9223372036854775807"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cutroom"))
            .args(["emulate", "-q", "--av-offset-ms", bad])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // An emulator that accepted it would serve until stopped.
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() && start.elapsed().as_secs() < 10 {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--av-offset-ms"), "{bad}: {stderr}");
        assert!(out.stdout.is_empty(), "{bad}: no server");
    }
    for good in ["-999", "999"] {
        let emu = Emulator::start(&["-q", "--av-offset-ms", good], &[]);
        assert!(emu.base_url.starts_with("http://127.0.0.1:"), "{good}");
    }
}

#[test]
fn a_port_in_use_is_an_error_not_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = cutroom(&["emulate", "--port", &port]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "unavailable: {stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
}

#[test]
fn a_temp_directory_that_cannot_be_made_is_unavailable_not_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("gone");
    let out = Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["emulate", "-q"])
        .env("TMPDIR", &missing)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(69), "unavailable: {stderr}");
    assert!(stderr.contains("cannot make a work directory"), "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
}

#[test]
fn a_stopped_emulator_leaves_no_work_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let mut emu = Emulator::start(&["-q"], &[("TMPDIR", tmp.path().to_str().unwrap())]);
    let made: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert_eq!(
        made.len(),
        1,
        "the emulator works in one directory under TMPDIR"
    );
    let status = emu.stop().expect("the emulator exits");
    assert_eq!(status.code(), Some(143), "SIGTERM: exit 128 + 15");
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A route a flavour does not have is a 404 in that flavour's own error envelope (Replicate's
/// problem details, fal's `detail`, OpenRouter's `error` with a numeric code), as the services
/// answer, not OpenAI's.
#[test]
fn unknown_routes_answer_in_the_flavours_own_envelope() {
    for (flavor, path) in [
        ("replicate", "/v1/nowhere"),
        ("fal", "/nowhere"),
        ("openrouter", "/api/v1/nowhere"),
    ] {
        let emu = Emulator::start(&["--flavor", flavor], &[]);
        let host = emu
            .base_url
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        let (status, _, body) = http_get(&format!("{host}{path}"), &[]);
        assert_eq!(status, 404, "{flavor}");
        let v: Value = serde_json::from_slice(&body).unwrap();
        match flavor {
            "openrouter" => assert_eq!(v["error"]["code"], 404, "{v}"),
            _ => {
                assert!(v.get("error").is_none(), "{flavor}: {v}");
                assert!(
                    v["detail"].as_str().unwrap().contains(path),
                    "{flavor}: {v}"
                );
            }
        }
    }
}
