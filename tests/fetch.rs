//! `cutroom render`, `fetch` and `videos` against `cutroom emulate` on 127.0.0.1: real clips,
//! injected faults, interrupted runs, expired links and the key's secrecy.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn write_shots(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("shots.toml");
    std::fs::write(&p, body).unwrap();
    p
}

fn stat(e: &Emulator, k: &str) -> u64 {
    e.stats()[k].as_u64().unwrap()
}

/// `n` shots of the given size and length, named shot-1..n.
fn shots(n: usize, size: &str, seconds: u32) -> String {
    let mut t = format!("size = \"{size}\"\nseconds = {seconds}\n");
    for i in 1..=n {
        t.push_str(&format!(
            "[[shot]]\nname = \"shot-{i}\"\nprompt = \"shot number {i}\"\n"
        ));
    }
    t
}

#[test]
fn render_downloads_real_clips_and_reruns_from_cache() {
    let emu = Emulator::start(&["--render-time", "1s", "--poll-after", "100ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "model = \"sora-2\"\n[[shot]]\nname = \"wide\"\nprompt = \"a wide shot\"\nsize = \"1280x720\"\nseconds = 4\n\
         [[shot]]\nname = \"tall\"\nprompt = \"a tall shot\"\nseconds = \"8\"\n",
    );
    let out = dir.path().join("out");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--json"]);
    let shots = r["shots"].as_array().unwrap();
    assert_eq!(shots.len(), 2);
    for (shot, (w, h, secs)) in shots.iter().zip([(1280, 720, 4.0), (720, 1280, 8.0)]) {
        assert_eq!(shot["error"], Value::Null);
        assert_eq!(shot["created"], true);
        let file = PathBuf::from(shot["file"].as_str().unwrap());
        assert_eq!(
            file,
            out.join(format!("{}.mp4", shot["id"].as_str().unwrap()))
        );
        assert_eq!(shot["sha256"].as_str().unwrap(), sha256sum(&file));
        let p = ffprobe(&file);
        assert_eq!(p["streams"][0]["codec_name"], "h264");
        assert_eq!(p["streams"][0]["width"], w);
        assert_eq!(p["streams"][0]["height"], h);
        assert_eq!(p["streams"][1]["codec_name"], "aac");
        let dur: f64 = p["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!((dur - secs).abs() < 0.05, "duration {dur}, want {secs}");
        let offs = marker_offsets_ms(&file);
        assert_eq!(
            offs.len(),
            (secs as usize) / 2,
            "a flash+beep every 2 s from 1 s"
        );
        assert!(offs.iter().all(|(_, o)| o.abs() < 0.5), "{offs:?}");
        let side: Value =
            serde_json::from_slice(&std::fs::read(file.with_extension("json")).unwrap()).unwrap();
        assert_eq!(side["video"]["status"], "completed");
        assert_eq!(side["files"]["video"]["sha256"], shot["sha256"]);
    }
    assert!(list.with_file_name("shots.state.json").exists());
    // A re-run finds every file verified in the cache: no new job, no download.
    let again = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--json"]);
    for shot in again["shots"].as_array().unwrap() {
        assert_eq!(shot["cached"], true);
        assert_eq!(shot["created"], false);
    }
    assert_eq!(stat(&emu, "jobs_created"), 2);
    // A damaged cached file is downloaded again, not trusted.
    let first = PathBuf::from(shots[0]["file"].as_str().unwrap());
    std::fs::write(&first, b"damaged").unwrap();
    let before = stat(&emu, "requests");
    let third = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--json"]);
    // The job is found finished: no second lookup before the content GET (sent beside a third).
    assert_eq!(stat(&emu, "requests") - before, 3);
    assert_eq!(third["shots"][0]["cached"], false);
    assert_eq!(third["shots"][0]["sha256"], shots[0]["sha256"]);
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

#[test]
fn faults_still_end_in_bit_identical_files() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "1s",
            "--poll-after",
            "100ms",
            "--fail-rate",
            "0.25",
            // Seeded: its first two draws (0.17, 0.23) fail, so a 503 is certain. Unseeded, a
            // loaded machine's run once drew none in 22 requests past the rate limit.
            "--seed",
            "5",
            "--rate-limit",
            "6/s",
            "--drop-downloads",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(4, "320x240", 4));
    let out = dir.path().join("out");
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&out),
        "--json",
        "--concurrency",
        "4",
        "--allow-any",
        "--retries",
        "30",
    ]);
    let st = emu.stats();
    for k in ["rate_limited", "server_errors", "dropped_downloads"] {
        assert!(st[k].as_u64().unwrap() > 0, "no {k} injected: {st}");
    }
    for shot in r["shots"].as_array().unwrap() {
        assert_eq!(shot["error"], Value::Null, "{shot}");
        let id = shot["id"].as_str().unwrap();
        let got = std::fs::read(shot["file"].as_str().unwrap()).unwrap();
        let want = emu.reference_bytes(&format!("{}/videos/{id}/content", emu.base_url));
        assert!(
            got == want,
            "{id}: {} bytes downloaded, reference {}",
            got.len(),
            want.len()
        );
        assert_eq!(
            marker_offsets_ms(Path::new(shot["file"].as_str().unwrap())).len(),
            2
        );
    }
    // Created jobs are never duplicated by the retries of create (429/503 come before creation).
    assert_eq!(st["jobs_created"], 4);
    // Thumbnails and spritesheets come through the same faults intact.
    let id = r["shots"][0]["id"].as_str().unwrap();
    let f = emu.cutroom_json(&[
        "fetch",
        id,
        "-o",
        s(&out),
        "--thumbnail",
        "--spritesheet",
        "--json",
        "--retries",
        "30",
    ]);
    let files = &f["fetched"][0]["files"];
    // As the OpenAI API serves them: a WebP thumbnail and a JPEG spritesheet.
    for (v, ext, codec) in [
        ("thumbnail", "webp", "webp"),
        ("spritesheet", "jpg", "mjpeg"),
    ] {
        let path = PathBuf::from(files[v]["path"].as_str().unwrap());
        assert!(
            path.to_str().unwrap().ends_with(&format!("{id}.{v}.{ext}")),
            "{path:?}"
        );
        let want =
            emu.reference_bytes(&format!("{}/videos/{id}/content?variant={v}", emu.base_url));
        assert!(std::fs::read(&path).unwrap() == want, "{v} differs");
        assert_eq!(ffprobe(&path)["streams"][0]["codec_name"], codec);
    }
    assert_eq!(f["fetched"][0]["cached"], false, "images were new");
}

#[test]
fn killed_render_resumes_without_creating_a_second_job() {
    let emu = Emulator::start(
        &["--allow-any", "--render-time", "2s", "--latency", "150ms"],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let n = 8;
    let list = write_shots(dir.path(), &shots(n, "256x144", 2));
    let out = dir.path().join("out");
    let state = list.with_file_name("shots.state.json");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args([
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--concurrency",
            "2",
            "-q",
        ])
        .env("OPENAI_BASE_URL", &emu.base_url)
        .env("OPENAI_API_KEY", "sk-test")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let recorded = |p: &Path| -> usize {
        std::fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .map(|v| {
                let jobs = v["jobs"].as_object().unwrap();
                jobs.values().filter(|j| j["id"].is_string()).count()
            })
            .unwrap_or(0)
    };
    let t0 = Instant::now();
    while recorded(&state) < 2 {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "render never recorded a job"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no clean-up code runs
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(400)); // let requests in flight land
    let at_kill = recorded(&state);
    let created_at_kill = stat(&emu, "jobs_created") as usize;
    assert!(
        at_kill < n,
        "killed midway: {at_kill} of {n} shots had jobs"
    );
    // A create the server completed but whose answer the killed client never read is still
    // pending in the state file: the next run finds it instead of creating another.
    assert!(created_at_kill >= at_kill);
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&out),
        "--allow-any",
        "--concurrency",
        "2",
        "--json",
    ]);
    let reports = r["shots"].as_array().unwrap();
    let resumed = reports.iter().filter(|s| s["created"] == false).count();
    assert!(resumed >= at_kill, "every recorded shot resumed its job");
    assert!(reports
        .iter()
        .all(|s| s["error"].is_null() && s["file"].is_string()));
    assert_eq!(
        stat(&emu, "jobs_created") as usize,
        n,
        "no shot got a second job"
    );
    let ids: std::collections::HashSet<&str> =
        reports.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), n);
}

#[test]
fn videos_list_pages_show_delete_and_remix() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "300ms",
            "--poll-after",
            "50ms",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(5, "160x90", 1));
    let out = dir.path().join("out");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--allow-any", "--json"]);
    let mut ids: Vec<String> = r["shots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().into())
        .collect();
    let before = stat(&emu, "requests");
    let l = emu.cutroom_json(&[
        "videos",
        "list",
        "--page-size",
        "2",
        "--order",
        "asc",
        "--json",
    ]);
    assert_eq!(stat(&emu, "requests") - before, 3, "three pages of two");
    let listed: Vec<String> = l["videos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().into())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    ids.sort();
    assert_eq!(sorted, ids);
    let show = emu.cutroom_json(&["videos", "show", &listed[0], "--json"]);
    assert_eq!(show["videos"][0]["status"], "completed");
    assert_eq!(show["videos"][0]["size"], "160x90");
    // A remix's prompt is checked as a render's: an ESC or another control character
    // is refused before any request (a blank prompt too), naming the character.
    let hostile = "again\u{1b}]52;c;cm0gLXJm\u{7}\u{1b}[2J\nforged";
    let before = stat(&emu, "requests");
    for (prompt, said) in [
        (hostile, "control character U+001B (character 6)"),
        ("night\u{1}", "control character U+0001 (character 6)"),
        (" \n", "prompt is empty"),
    ] {
        let o = emu.cutroom(&["videos", "remix", &listed[0], "--prompt", prompt], "k");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("remix of {}: ", listed[0])) && err.contains(said),
            "{err}"
        );
    }
    assert_eq!(stat(&emu, "requests"), before, "nothing sent");
    let remix = emu.cutroom_json(&[
        "videos",
        "remix",
        &listed[0],
        "--prompt",
        "again\tat night",
        "--json",
    ]);
    assert_eq!(
        remix["videos"][0]["remixed_from_video_id"],
        listed[0].as_str()
    );
    assert_eq!(remix["videos"][0]["status"], "queued");
    // A prompt holding escape sequences (set the clipboard, clear the screen) and a line
    // break, as another client (a dashboard, a script) may create it: the table shows them
    // escaped, never sent to the terminal, and on its own line.
    let body =
        serde_json::json!({"prompt": hostile, "model": "sora-2", "seconds": "1", "size": "160x90"});
    assert_eq!(post_json(&format!("{}/videos", emu.base_url), &body), 200);
    let del = emu.cutroom_json(&["videos", "delete", &listed[1], "--json"]);
    assert_eq!(del["deleted"][0]["deleted"], true);
    assert_eq!(del["deleted"][0]["object"], "video.deleted");
    let gone = emu.cutroom(&["videos", "show", &listed[1]], "sk-test");
    assert_eq!(gone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("not found"));
    assert!(gone.stdout.is_empty(), "no table of no video");
    let table = emu.cutroom(&["videos", "list"], "sk-test");
    let text = String::from_utf8_lossy(&table.stdout);
    assert_eq!(
        text.lines().count(),
        1 + 6,
        "header + 4 left + the remix + the hostile job:\n{text}"
    );
    assert!(
        text.contains(r"again\u{1b}]52;c;cm0gLXJm\u{7}\u{1b}[2J\nforged")
            && !text.contains('\u{1b}'),
        "{text:?}"
    );
    // Several ids: one that fails (the one deleted above) does not stop or hide the others;
    // each is reported, the exit status is 1.
    let show = emu.cutroom(&["videos", "show", &listed[1], &listed[2], "--json"], "k");
    assert_eq!(show.status.code(), Some(1));
    let shown: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown["videos"][0]["id"], listed[2].as_str(), "{shown}");
    let del = emu.cutroom(
        &["videos", "delete", &listed[2], &listed[1], &listed[3]],
        "k",
    );
    assert_eq!(del.status.code(), Some(1));
    let (out, err) = (
        String::from_utf8_lossy(&del.stdout),
        String::from_utf8_lossy(&del.stderr),
    );
    assert_eq!(
        out,
        format!("{} deleted\n{} deleted\n", listed[2], listed[3]),
        "{err}"
    );
    assert!(
        err.contains(&listed[1]) && err.contains("not found"),
        "{err}"
    );
    for id in [&listed[2], &listed[3]] {
        let gone = emu.cutroom(&["videos", "show", id], "k");
        assert_eq!(gone.status.code(), Some(1), "{id} deleted");
    }
}

/// POST `body` as JSON to a loopback `http://` URL with a test key, as a client other than
/// cutroom would: the answer's status.
fn post_json(url: &str, body: &Value) -> u16 {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "POST /{path} HTTP/1.0\r\nHost: {host}\r\nAuthorization: Bearer k\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// A job of `flavor` (made by `render`), fetched by id into a new directory through downloads
/// cut midway, and shown with `videos show` as JSON and as a table: returns the JSON.
fn fetch_and_show(flavor: &str) -> (Value, String) {
    let flags = [
        "--allow-any",
        "--render-time",
        "1s",
        "--poll-after",
        "100ms",
    ];
    let emu = Emulator::start(&[&flags[..], &["--flavor", flavor]].concat(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = "model = \"google/veo-3.1-fast\"\nsize = \"256x144\"\nseconds = 2\n\
                [[shot]]\nprompt = \"a dog on a beach\"\n";
    let list = write_shots(dir.path(), list);
    let with = ["--provider", flavor, "--json"];
    let rendered = dir.path().join("rendered");
    let render = ["render", s(&list), "-o", s(&rendered), "--allow-any"];
    let r = emu.cutroom_json(&[&render[..], &with].concat());
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();

    let out = dir.path().join("fetched");
    let f = emu.cutroom_json(&[&["fetch", &id, "-o", s(&out)][..], &with].concat());
    let got = &f["fetched"][0]["files"]["video"];
    let file = PathBuf::from(got["path"].as_str().unwrap());
    assert_eq!(file, out.join(format!("{id}.mp4")), "{flavor}");
    assert_eq!(
        got["sha256"].as_str().unwrap(),
        sha256sum(&file),
        "{flavor}"
    );
    assert_eq!(
        got["sha256"], r["shots"][0]["sha256"],
        "{flavor}: the render's file"
    );
    let p = ffprobe(&file);
    assert_eq!(p["streams"][0]["codec_name"], "h264", "{flavor}");
    assert_eq!(p["streams"][0]["width"], 256, "{flavor}");
    assert_eq!(p["streams"][0]["height"], 144, "{flavor}");
    let offs = marker_offsets_ms(&file);
    assert_eq!(offs.len(), 1, "{flavor}: {offs:?}");
    assert!(offs[0].1.abs() < 0.5, "{flavor}: {offs:?}");

    let show = emu.cutroom_json(&[&["videos", "show", &id][..], &with].concat());
    let table = emu.cutroom(&["videos", "show", &id, "--provider", flavor], "sk-test");
    assert!(table.status.success(), "{flavor}");
    assert_eq!(stat(&emu, "jobs_created"), 1, "{flavor}");
    (
        show["videos"][0].clone(),
        String::from_utf8_lossy(&table.stdout).into(),
    )
}

/// The table row of `id`, split on whitespace.
fn row<'a>(table: &'a str, id: &str) -> Vec<&'a str> {
    let line = table.lines().find(|l| l.starts_with(id));
    line.unwrap_or_else(|| panic!("no row for {id}:\n{table}"))
        .split_whitespace()
        .collect()
}

#[test]
fn fetch_and_videos_show_speak_openrouter() {
    let (v, table) = fetch_and_show("openrouter");
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["model"], "google/veo-3.1-fast", "{v}");
    let url = v["unsigned_urls"][0].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/videos/{id}/content?index=0")),
        "{v}"
    );
    assert!(v["usage"]["cost"].as_f64().unwrap() > 0.0, "{v}");
    assert_eq!(row(&table, id)[1..3], ["completed", "100"], "{table}");
}

#[test]
fn fetch_and_videos_show_speak_replicate() {
    let (v, table) = fetch_and_show("replicate");
    let id = v["id"].as_str().unwrap();
    assert_eq!(v["status"], "succeeded", "{v}");
    assert_eq!(v["prompt"], "a dog on a beach", "{v}");
    assert_eq!(v["seconds"], "2", "{v}");
    let output = v["output"].as_str().unwrap();
    assert!(output.ends_with(&format!("/files/{id}.mp4")), "{v}");
    assert_eq!(row(&table, id)[1..3], ["succeeded", "100"], "{table}");
}

/// `videos list` walks Replicate's pages (its `next` cursor URL) and gives every prediction
/// once, newest first, or oldest first with `--order asc` (Replicate itself lists only newest
/// first).
#[test]
fn videos_list_walks_replicates_pages_in_either_order() {
    let flags = ["--render-time", "200ms", "--poll-after", "50ms"];
    let emu = Emulator::start(
        &[&flags[..], &["--flavor", "replicate", "--page-size", "2"]].concat(),
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = format!("model = \"owner/video\"\n{}", shots(3, "256x144", 2));
    let list = write_shots(dir.path(), &list);
    let out = dir.path().join("out");
    render_as(&emu, "replicate", &list, &out);
    let made: Vec<Value> = emu.stats()["log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].clone())
        .collect();
    assert_eq!(made.len(), 3);
    let listed = |order: &str| {
        let args = [
            "videos",
            "list",
            "--provider",
            "replicate",
            "--order",
            order,
            "--json",
        ];
        let v = emu.cutroom_json(&args);
        v["videos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("asc"), made);
    let newest_first: Vec<Value> = made.iter().rev().cloned().collect();
    assert_eq!(listed("desc"), newest_first);
}

#[test]
fn expired_links_unknown_ids_and_bad_media_are_clear_errors() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
            "--expire-after",
            "2s",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&dir.path().join("a")),
        "--allow-any",
        "--json",
    ]);
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(3200));
    let later = dir.path().join("b");
    let out = emu.cutroom(&["fetch", &id, "-o", s(&later)], "sk-test");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the download expired at")
            && err.contains("rendering it again is a new job, billed again"),
        "{err}"
    );
    assert!(
        !later.exists(),
        "nothing left behind, not even the directory"
    );
    // An id that tries to climb out of the directory is just an unknown id.
    let out = emu.cutroom(&["fetch", "../../escape", "-o", s(&later)], "sk-test");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
    assert!(!dir.path().join("escape.mp4").exists() && !dir.path().join("escape.json").exists());
    // Rendering the list into a new directory: the recorded job finished and its download
    // expired, so its render is gone, as on every provider: said so with what rendering it
    // again costs and the flag that does it. --retry-failed (for jobs that failed) bills
    // nothing for it; --resolve SHOT=new makes exactly one new job.
    let elsewhere = dir.path().join("c");
    let render = ["render", s(&list), "-o", s(&elsewhere), "--allow-any"];
    for extra in [&[][..], &["--retry-failed"]] {
        let out = emu.cutroom(&[&render[..], extra].concat(), "sk-test");
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        for want in [
            &format!("job {id} finished, but the download expired at ")[..],
            "the render is gone, and rendering it again is a new job, billed again",
            "rerun with --resolve 'shot-1=new' to render the shot again",
        ] {
            assert!(err.contains(want), "{extra:?}: no {want:?} in {err}");
        }
        assert_eq!(
            stat(&emu, "jobs_created"),
            1,
            "{extra:?}: a job billed unasked"
        );
    }
    let fresh = emu.cutroom_json(&[&render[..], &["--resolve", "shot-1=new", "--json"]].concat());
    assert_eq!(fresh["shots"][0]["error"], Value::Null);
    assert_eq!(fresh["shots"][0]["created"], true);
    assert_eq!(stat(&emu, "jobs_created"), 2);
    // The expired job was rendered, so billed: it stays in the cost, estimated as a finished
    // one (1 s of sora-2, assumed, at $0.10/s), beside the new job's.
    let retried = &fresh["shots"][0]["retried"];
    assert_eq!(retried.as_array().map(Vec::len), Some(1), "{fresh}");
    assert_eq!(retried[0]["id"], id.as_str(), "{fresh}");
    assert!(retried[0]["error"].as_str().unwrap().contains("expired"));
    assert_eq!(retried[0]["cost_usd"], 0.1, "{fresh}");
    assert_eq!(retried[0]["cost_estimated"], true, "{fresh}");
    assert_eq!(fresh["cost"]["total_usd"], 0.2, "{fresh}");
    let id = fresh["shots"][0]["id"].as_str().unwrap();
    // A plain URL that serves an image is not an MP4 render.
    let png_url = format!("{}/videos/{id}/content?variant=thumbnail", emu.base_url);
    let out = emu.cutroom(&["fetch", &png_url, "-o", s(&later)], "sk-test");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    // Named by its target and URL (no token), with what the server said it was; not by the
    // temp file it was checked in, which is gone.
    let shown = format!("{}/videos/{id}/content?...", emu.base_url);
    assert!(
        err.contains(&format!(
            "{}: downloaded video from {shown} is not valid media (served as image/webp): ",
            s(&later.join("content.mp4"))
        )) && err.contains("not an MP4"),
        "{err}"
    );
    assert!(
        !err.contains(&format!("{}/.", s(&later))),
        "no temp file named: {err}"
    );
    assert!(!later.exists());
    // A recorded job the API no longer has (its lookup answers 404) may have finished and
    // been billed: --retry-failed (nor --max-cost's estimate) does not count it as failed, and
    // no job is created unasked; --resolve SHOT=new is named.
    emu.cutroom_json(&["videos", "delete", id, "--json"]);
    let render = ["render", s(&list), "-o", s(&later), "--allow-any"];
    let out = emu.cutroom(
        &[&render[..], &["--retry-failed", "--max-cost", "0.01"]].concat(),
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        &format!("job {id} is no longer on the API (its lookup answered 404")[..],
        "it may have finished and been billed: the render is gone",
        "rerun with --resolve 'shot-1=new' to render the shot again",
    ] {
        assert!(err.contains(want), "no {want:?} in {err}");
    }
    assert_eq!(stat(&emu, "jobs_created"), 2, "a job billed unasked: {err}");
}

/// `fetch ID` sends the content GET at once, beside the job lookup (two requests in hand at once
/// on a server slow to answer), and keeps the file only for a finished job: a failed job is
/// refused with the lookup's own error, leaving nothing, and one still rendering is waited for.
#[test]
fn fetch_gets_the_content_beside_the_lookup_and_still_refuses_unfinished_jobs() {
    let emu = quick_emulator(&["--latency", "300ms", "--moderate-render", "forbidden"]);
    let dir = tempfile::tempdir().unwrap();
    let list =
        "size = \"160x90\"\nseconds = 1\n[[shot]]\nname = \"calm\"\nprompt = \"a calm sea\"\n\
                [[shot]]\nname = \"refused\"\nprompt = \"a forbidden sea\"\n";
    let list = write_shots(dir.path(), list);
    let rendered = dir.path().join("rendered");
    let args = ["render", s(&list), "-o", s(&rendered), "--allow-any"];
    let o = emu.cutroom(
        &[&args[..], &["--concurrency", "1", "--json"]].concat(),
        "sk-test",
    );
    assert_eq!(o.status.code(), Some(1), "one shot fails to render");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let (done, failed) = (&r["shots"][0], &r["shots"][1]);
    let id = done["id"].as_str().unwrap();

    let fetched = dir.path().join("fetched");
    let f = emu.cutroom_json(&["fetch", id, "-o", s(&fetched), "--json"]);
    assert_eq!(
        stat(&emu, "max_in_flight"),
        2,
        "content GET beside the lookup"
    );
    let got = &f["fetched"][0]["files"]["video"];
    assert_eq!(got["sha256"], done["sha256"], "{f}");
    let file = fetched.join(format!("{id}.mp4"));
    assert_eq!(sha256sum(&file), done["sha256"].as_str().unwrap());
    let sidecar: Value =
        serde_json::from_slice(&std::fs::read(fetched.join(format!("{id}.json"))).unwrap())
            .unwrap();
    assert_eq!(sidecar["video"]["status"], "completed", "{sidecar}");

    // A failed job: its content GET is refused too, and the lookup's error is the one shown.
    let bad = failed["id"].as_str().unwrap();
    let other = dir.path().join("other");
    let o = emu.cutroom(&["fetch", bad, "-o", s(&other)], "sk-test");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("video {bad} failed to render")) && err.contains("moderation"),
        "{err}"
    );
    assert!(!other.exists(), "nothing left, not even the directory");

    // A job still rendering (a remix just made) is waited for, then fetched.
    let remix = emu.cutroom_json(&["videos", "remix", id, "--prompt", "a calm lake", "--json"]);
    let rid = remix["videos"][0]["id"].as_str().unwrap();
    assert_ne!(remix["videos"][0]["status"], "completed");
    let f = emu.cutroom_json(&["fetch", rid, "-o", s(&other), "--json"]);
    let file = PathBuf::from(f["fetched"][0]["files"]["video"]["path"].as_str().unwrap());
    assert_eq!(ffprobe(&file)["streams"][0]["width"], 160);
}

#[test]
fn plain_urls_resume_and_respect_the_size_cap() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
            "--drop-downloads",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "320x240", 2));
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&dir.path().join("a")),
        "--allow-any",
        "--json",
    ]);
    let id = r["shots"][0]["id"].as_str().unwrap();
    let url = format!("{}/videos/{id}/content", emu.base_url);
    let dropped = stat(&emu, "dropped_downloads");
    let f = emu.cutroom_json(&["fetch", &url, "-o", s(&dir.path().join("u")), "--json"]);
    assert!(
        stat(&emu, "dropped_downloads") > dropped,
        "the download was cut and resumed"
    );
    let file = &f["fetched"][0]["files"]["video"];
    assert!(file["path"].as_str().unwrap().ends_with("/content.mp4"));
    assert_eq!(file["sha256"], r["shots"][0]["sha256"]);
    assert_eq!(f["fetched"][0]["source"], url.as_str());
    // Over the cap: refused, nothing left.
    let capped = dir.path().join("cap");
    let cap = (r["shots"][0]["bytes"].as_u64().unwrap() / 2).to_string();
    let out = emu.cutroom(
        &["fetch", &url, "-o", s(&capped), "--max-download", &cap],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the download cap"));
    assert!(!capped.exists());
    // Plain http to anything but loopback is refused before any connection.
    let out = cutroom(&["fetch", "http://example.com/a.mp4", "-o", s(&capped)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure-http"));
}

#[test]
fn the_key_stays_secret_and_other_auth_headers_work() {
    let key = "sk-emulator-secret-4242";
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--require-key",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
        ],
        &[("OPENAI_API_KEY", key)],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out_dir = dir.path().join("o");
    // A wrong key: a 401 that says what to check, and the key in no output.
    let wrong = "sk-wrong-key-777";
    let out = emu.cutroom(
        &["render", s(&list), "-o", s(&out_dir), "--allow-any", "-v"],
        wrong,
    );
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        all.contains("401")
            && all.contains("the key in OPENAI_API_KEY was refused (not shown here)"),
        "{all}"
    );
    assert!(!all.contains(wrong), "the key leaked: {all}");
    // No key at all (the variable set empty counts as unset): that is what the 401 says.
    let out = emu.cutroom(&["videos", "list"], "");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("HTTP 401")
            && err.contains("; no key was sent: OPENAI_API_KEY is not set (or is empty)"),
        "{err}"
    );
    // A key read from a file saved with a byte-order mark and CRLF works; one with a line
    // break or typographic quotes in it is refused before any request, the key unprinted.
    let listed = emu.cutroom(&["videos", "list"], &format!("\u{feff}{key}\r\n"));
    let err = String::from_utf8_lossy(&listed.stderr);
    assert!(listed.status.success(), "{err}");
    let before = stat(&emu, "requests");
    for (bad, why) in [
        (
            format!("{key}\nsk-other-key-1"),
            "a line break at character 24 of 38",
        ),
        (
            format!("\u{201c}{key}\u{201d}"),
            "the character '\u{201c}' (U+201C) at character 1",
        ),
    ] {
        let out = emu.cutroom(&["videos", "list"], &bad);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("OPENAI_API_KEY holds {why}")) && !err.contains(key),
            "{err}"
        );
    }
    assert_eq!(
        stat(&emu, "requests"),
        before,
        "nothing sent with a bad key"
    );
    // The right key in Azure's `api-key` header, with verbose logs: works, never printed.
    let out = emu.cutroom(
        &[
            "render",
            s(&list),
            "-o",
            s(&out_dir),
            "--allow-any",
            "-v",
            "--auth-header",
            "api-key",
        ],
        key,
    );
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{all}");
    assert!(!all.contains(key), "the key leaked: {all}");
    assert!(all.contains("POST"), "verbose logs requests: {all}");
}

/// `CUTROOM_PROVIDER` picks the dialect, and each dialect reads its own key variable: the
/// key in `OPENAI_API_KEY` is not sent to OpenRouter or Replicate (a 401 naming the variable
/// to set, and only that one); in `OPENROUTER_API_KEY` / `REPLICATE_API_TOKEN` it renders, never printed.
#[test]
fn each_provider_reads_its_own_key_variable() {
    for (flavor, var) in [
        ("openrouter", "OPENROUTER_API_KEY"),
        ("replicate", "REPLICATE_API_TOKEN"),
    ] {
        let key = "k-provider-secret-9191";
        let emu = Emulator::start(
            &[
                "--allow-any",
                "--require-key",
                "--render-time",
                "200ms",
                "--flavor",
                flavor,
            ],
            &[(var, key)],
        );
        let dir = tempfile::tempdir().unwrap();
        let list = format!("model = \"google/veo-3\"\n{}", shots(1, "160x90", 1));
        let list = write_shots(dir.path(), &list);
        let out = dir.path().join("o");
        let run = |env: (&str, &str)| {
            std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
                .args(["render", s(&list), "-o", s(&out), "--allow-any", "-v"])
                .env(emu.base_var(), &emu.base_url)
                .env("CUTROOM_PROVIDER", flavor)
                .env_remove("OPENAI_API_KEY")
                .env_remove(var)
                .env(env.0, env.1)
                .output()
                .unwrap()
        };
        let o = run(("OPENAI_API_KEY", key));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flavor}: {err}");
        let unset = format!("no key was sent: {var} is not set (or is empty)");
        assert!(
            err.contains("401") && err.contains(&unset),
            "{flavor}: {err}"
        );
        // The hint names this provider's variable, not every provider's.
        assert!(!err.contains("FAL_KEY"), "{flavor}: {err}");
        // Each flavour words the 401 as its provider does (Replicate: problem details).
        let wording = match flavor {
            "replicate" => "You did not pass an authentication token",
            _ => "Incorrect API key",
        };
        assert!(err.contains(wording), "{flavor}: {err}");
        assert_eq!(stat(&emu, "jobs_created"), 0, "{flavor}");
        let o = run((var, key));
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "{flavor}: {all}");
        assert!(!all.contains(key), "{flavor}: the key leaked: {all}");
        assert_eq!(stat(&emu, "jobs_created"), 1, "{flavor}");
    }
}

/// `OPENAI_BASE_URL` points only the `openai` provider: with it set for a relay, `--provider
/// openrouter` goes to `CUTROOM_BASE_URL` (`--base-url`), or without it to OpenRouter's own
/// root, and the relay never sees a request.
#[test]
fn openai_base_url_points_only_the_openai_provider() {
    let quick = [
        "--allow-any",
        "--render-time",
        "200ms",
        "--poll-after",
        "50ms",
    ];
    let relay = Emulator::start(&quick, &[]);
    let or = Emulator::start(&[&quick[..], &["--flavor", "openrouter"]].concat(), &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = format!("model = \"google/veo-3\"\n{}", shots(1, "160x90", 1));
    let list = write_shots(dir.path(), &list);
    let out = dir.path().join("o");
    let run = |args: &[&str], base: Option<&str>| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"));
        c.args(args)
            .args(["--provider", "openrouter", "--json"])
            .env("OPENAI_BASE_URL", &relay.base_url)
            .env("OPENAI_API_KEY", "sk-test")
            .env_remove("CUTROOM_BASE_URL")
            .env_remove("CUTROOM_PROVIDER");
        if let Some(b) = base {
            c.env("CUTROOM_BASE_URL", b);
        }
        c.output().unwrap()
    };
    let o = run(
        &["render", s(&list), "-o", s(&out), "--allow-any"],
        Some(&or.base_url),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let id = r["shots"][0]["id"].as_str().unwrap();
    assert_eq!(stat(&or, "jobs_created"), 1);
    // Without a base URL for it, OpenRouter's own root (unreachable here), not the relay.
    let o = run(
        &[
            "videos",
            "show",
            id,
            "--retries",
            "0",
            "--connect-timeout",
            "2s",
        ],
        None,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("https://openrouter.ai/api/v1/videos/"),
        "{err}"
    );
    assert_eq!(stat(&relay, "requests"), 0, "the relay saw a request");
}

/// The extra CA file serves only https: a plain-http run (a loopback emulator) never reads it,
/// so `SSL_CERT_FILE` naming a file that holds no certificate does not stop it.
#[test]
fn a_plain_http_run_never_reads_the_ca_file() {
    let emu = quick_emulator(&[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args([
            "render",
            s(&list),
            "-o",
            s(&dir.path().join("o")),
            "--allow-any",
        ])
        .env(emu.base_var(), &emu.base_url)
        .env("OPENAI_API_KEY", "sk-test")
        .env("SSL_CERT_FILE", &list)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stat(&emu, "jobs_created"), 1);
}

#[test]
fn input_reference_goes_as_multipart_and_is_checked_first() {
    let emu = Emulator::start(&["--render-time", "200ms", "--poll-after", "50ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    for (name, size) in [("good.png", "720x1280"), ("bad.png", "640x360")] {
        still(&dir.path().join(name), &format!("color=c=blue:s={size}"));
    }
    let bad = write_shots(
        dir.path(),
        "[[shot]]\nprompt = \"p\"\ninput_reference = \"bad.png\"\n",
    );
    let out = emu.cutroom(
        &["render", s(&bad), "-o", s(&dir.path().join("o"))],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("640x360") && err.contains("720x1280"), "{err}");
    assert_eq!(
        stat(&emu, "jobs_created"),
        0,
        "nothing billed for a bad shot list"
    );
    let strict = write_shots(dir.path(), "[[shot]]\nprompt = \"p\"\nsize = \"640x360\"\n");
    let out = emu.cutroom(
        &["render", s(&strict), "-o", s(&dir.path().join("o"))],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-any"));
    let good = write_shots(
        dir.path(),
        "[[shot]]\nprompt = \"p\"\ninput_reference = \"good.png\"\n",
    );
    let r = emu.cutroom_json(&["render", s(&good), "-o", s(&dir.path().join("o")), "--json"]);
    assert_eq!(r["shots"][0]["error"], Value::Null);
    assert_eq!(stat(&emu, "jobs_created"), 1);
}

#[test]
fn failed_renders_are_reported_and_retried_only_on_request() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
            "--fail-jobs",
            "1",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(2, "160x90", 1));
    let out_dir = dir.path().join("o");
    let out = emu.cutroom(
        &[
            "render",
            s(&list),
            "-o",
            s(&out_dir),
            "--allow-any",
            "--json",
        ],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    for shot in r["shots"].as_array().unwrap() {
        let e = shot["error"].as_str().unwrap();
        assert!(e.contains("video_generation_failed"), "{e}");
        assert_eq!(shot["file"], Value::Null);
    }
    // A plain re-run does not bill again; --retry-failed makes exactly one new job per shot.
    let out = emu.cutroom(
        &["render", s(&list), "-o", s(&out_dir), "--allow-any"],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    // The API's sentence and the hint join once: no full stop before the semicolon.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--fail-jobs); rerun with --retry-failed") && !err.contains(".;"),
        "{err}"
    );
    assert_eq!(stat(&emu, "jobs_created"), 2);
    let out = emu.cutroom(
        &[
            "render",
            s(&list),
            "-o",
            s(&out_dir),
            "--allow-any",
            "--retry-failed",
        ],
        "sk-test",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stat(&emu, "jobs_created"), 4);
    assert!(
        !out_dir.exists(),
        "no file, no directory for a failed render"
    );
}

/// `--max-cost` counts the new jobs `--retry-failed` would create for failed ones: over it,
/// nothing is created (exit 5); without `--retry-failed` nothing is to be created at all.
#[test]
fn max_cost_counts_the_jobs_retry_failed_creates_again() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
            // This seed's draws fail the first job made, not the next two.
            "--fail-jobs",
            "0.5",
            "--seed",
            "2",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(2, "160x90", 1));
    let out_dir = dir.path().join("o");
    let render = |extra: &[&str]| {
        let mut args = vec!["render", s(&list), "-o", s(&out_dir), "--allow-any"];
        args.extend(extra);
        emu.cutroom(&args, "sk-test")
    };
    // Two shots of sora-2 (assumed), 1 s each at $0.10/s: $0.20, made in order; the first fails.
    let out = render(&["--concurrency", "1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("shot \"shot-1\"") && !err.contains("shot-2"),
        "{err}"
    );
    assert_eq!(stat(&emu, "jobs_created"), 2);
    std::fs::remove_dir_all(&out_dir).unwrap();

    let out = render(&["--retry-failed", "--max-cost", "0.05"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(
        err.contains("$0.10") && err.contains("--max-cost $0.05"),
        "{err}"
    );
    assert_eq!(
        stat(&emu, "jobs_created"),
        2,
        "nothing created over the limit"
    );
    assert!(!out_dir.exists(), "a refused run writes nothing");

    // Without --retry-failed nothing would be created: the limit holds, the dead job is reported.
    let out = render(&["--max-cost", "0.05"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--retry-failed"));
    assert_eq!(stat(&emu, "jobs_created"), 2);

    // The live job's file is downloaded again, the dead one replaced: one job, $0.10.
    let out = render(&["--retry-failed", "--max-cost", "0.10"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stat(&emu, "jobs_created"), 3);
}

/// `--max-cost` counts the re-render `--resolve SHOT=new` asks for before anything is created:
/// a cap it would pass refuses with the figures (exit 5), one it fits in proceeds. And a run
/// never creates more than the cap allows, even a job the estimate at its start could not
/// foresee: a resumed job still rendering then, that fails, is not replaced on
/// `--retry-failed` when the re-render took the room, and the shot says so with the figures.
#[test]
fn max_cost_counts_a_re_render_and_holds_for_every_job_a_run_creates() {
    // 3 s renders of sora-2 (assumed): $0.20 a 2 s shot. The first job's file is lost, and a
    // prompt with "storm" fails (moderation) once rendered. (3 s: storm's job must still be
    // rendering when the run after the --timeout one starts, with room on a loaded machine.)
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "3s",
            "--poll-after",
            "50ms",
            "--lose-files",
            "1",
            "--moderate-render",
            "storm",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let calm = "size = \"160x90\"\nseconds = 2\n[[shot]]\nname = \"calm\"\nprompt = \"calm sea\"\n";
    let list = write_shots(dir.path(), calm);
    let render = |extra: &[&str]| {
        let args = ["render", s(&list), "-o", s(&out), "--allow-any"];
        emu.cutroom(&[&args[..], extra].concat(), "sk-test")
    };
    // calm's job finishes and its file is gone.
    let o = render(&[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the render is gone"), "{err}");
    let o = render(&["--resolve", "calm=new", "--max-cost", "0.10"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("estimated at $0.20, over --max-cost $0.10"),
        "{err}"
    );
    assert_eq!(
        stat(&emu, "jobs_created"),
        1,
        "nothing created over the cap"
    );
    // A second shot, whose job a run cut short by --timeout leaves rendering.
    let storm = "[[shot]]\nname = \"storm\"\nprompt = \"storm at sea\"\n";
    std::fs::write(&list, format!("{calm}{storm}")).unwrap();
    render(&["--timeout", "700ms"]);
    let state = dir.path().join("shots.state.json");
    assert_eq!(recorded_ids(&state).len(), 2, "storm's job is recorded");
    // The estimate, while storm's job still renders, is calm's re-render: $0.20, in the cap.
    // Then storm's job fails, and replacing it would pass the cap: it is not replaced.
    let o = render(&[
        "--resolve",
        "calm=new",
        "--retry-failed",
        "--max-cost",
        "0.20",
        "--json",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    let (calm, storm) = (&r["shots"][0], &r["shots"][1]);
    assert!(calm["error"].is_null(), "{r}");
    assert_eq!(calm["created"], true, "{r}");
    assert_eq!(
        marker_offsets_ms(Path::new(calm["file"].as_str().unwrap())).len(),
        1
    );
    let said = storm["error"].as_str().unwrap();
    for want in [
        "blocked by our moderation system",
        "not rendered again: at an estimated $0.20 it would bring the jobs this run created \
         to $0.40, over --max-cost $0.20",
    ] {
        assert!(said.contains(want), "no {want:?} in {said}");
    }
    assert_eq!(stat(&emu, "jobs_created"), 3, "one job over the cap: {r}");
}

/// The shots of a list whose state file records a job id.
fn recorded_ids(state: &Path) -> Vec<String> {
    std::fs::read(state)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .map(|v| {
            let jobs = v["jobs"].as_object().unwrap();
            jobs.values()
                .filter_map(|j| j["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `render ...` against `emu` as a child process, output discarded.
fn spawn_render(emu: &Emulator, args: &[&str]) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .arg("render")
        .args(args)
        .env(emu.base_var(), &emu.base_url)
        .env("OPENAI_API_KEY", "sk-test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// An emulator with 1 s renders, any model allowed, and `faults`.
fn quick_emulator(faults: &[&str]) -> Emulator {
    let flags = [
        "--allow-any",
        "--render-time",
        "1s",
        "--poll-after",
        "100ms",
    ];
    Emulator::start(&[&flags[..], faults].concat(), &[])
}

/// An emulator of `flavor` that answers creates 3 s after making their jobs.
fn slow_creates(flavor: &str) -> Emulator {
    quick_emulator(&["--slow-creates", "3s", "--flavor", flavor])
}

/// `render ARGS` killed with SIGKILL once `made` jobs exist and before their creates are
/// answered.
fn kill_while_creating(emu: &Emulator, args: &[&str], made: u64) {
    let mut child = spawn_render(emu, args);
    let t0 = Instant::now();
    while stat(emu, "jobs_created") < made {
        assert!(t0.elapsed() < Duration::from_secs(60), "no job created");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Ctrl-C while a job renders: the run ends with 130, its state file keeps the job, and its
/// last words say how to resume it without a second job.
#[test]
fn an_interrupted_render_says_how_to_resume() {
    let emu = Emulator::start(&["--render-time", "60s", "--poll-after", "100ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "720x1280", 4));
    let out = dir.path().join("out");
    let state = list.with_file_name("shots.state.json");
    let child = spawn_render(&emu, &[s(&list), "-o", s(&out)]);
    let t0 = Instant::now();
    while recorded_ids(&state).is_empty() {
        assert!(t0.elapsed() < Duration::from_secs(60), "no job recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "interrupted: {} records the jobs",
            state.display()
        )) && stderr.contains("rerun the same command to resume them"),
        "{stderr}"
    );
    assert_eq!(recorded_ids(&state).len(), 1, "the job is kept");
    assert_eq!(stat(&emu, "jobs_created"), 1);
    // The lock file goes with the run: one left would read as a run still going, or crashed.
    assert!(!list.with_file_name("shots.state.lock").exists());
}

/// `render` of `n` shots plus a second take of the first one, against an emulator started
/// with `faults` that drop create answers: every shot ends with a clip and a job of its own
/// (two takes of one prompt never share one) and no shot made a second job.
fn render_through_dropped_creates(faults: &[&str], n: usize) -> Emulator {
    let emu = quick_emulator(faults);
    let dir = tempfile::tempdir().unwrap();
    let mut list = shots(n, "256x144", 2);
    list.push_str("[[shot]]\nname = \"again\"\nprompt = \"shot number 1\"\n");
    let list = write_shots(dir.path(), &list);
    let out = dir.path().join("out");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--allow-any", "--json"]);
    let reports = r["shots"].as_array().unwrap();
    let ids: std::collections::HashSet<&str> =
        reports.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), n + 1, "a job per shot, the second take too: {r}");
    for shot in reports {
        assert_eq!(shot["error"], Value::Null, "{shot}");
        assert_eq!(shot["created"], true, "{shot}");
        let file = Path::new(shot["file"].as_str().unwrap());
        assert_eq!(marker_offsets_ms(file).len(), 1, "{shot}");
    }
    assert_eq!(
        stat(&emu, "jobs_created") as usize,
        n + 1,
        "a create made a second job"
    );
    emu
}

#[test]
fn creates_dropped_after_the_job_was_made_are_looked_up_not_sent_again() {
    // Seeded: some creates dropped and some answered on every run (unseeded, 1 run in 64
    // dropped none and failed).
    let emu = render_through_dropped_creates(&["--drop-creates", "0.5", "--seed", "7"], 5);
    let dropped = stat(&emu, "dropped_creates");
    assert!(dropped > 0 && dropped < 6, "{dropped} of 6 creates dropped");
}

/// Where a lost create cannot be found by listing (a listing that lags), the create is sent
/// again with the same `Idempotency-Key`, derived from the shot, and the API answers with the
/// job the first one made.
#[test]
fn a_create_sent_again_after_a_dropped_answer_carries_the_same_idempotency_key() {
    let faults = ["--drop-creates", "1", "--list-lag", "1h"];
    let emu = render_through_dropped_creates(&faults, 3);
    assert_eq!(
        stat(&emu, "dropped_creates"),
        4,
        "every first answer was lost"
    );
}

#[test]
fn killed_between_create_and_answer_the_rerun_finds_the_job() {
    let emu = slow_creates("openai");
    let dir = tempfile::tempdir().unwrap();
    let n = 4;
    let list = write_shots(dir.path(), &shots(n, "256x144", 2));
    let out = dir.path().join("out");
    let state = list.with_file_name("shots.state.json");
    let args = [s(&list), "-o", s(&out), "--allow-any", "--concurrency", "2"];
    kill_while_creating(&emu, &args, 2);
    assert!(
        recorded_ids(&state).is_empty(),
        "no answer reached the client"
    );
    let pending: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(pending["jobs"].as_object().unwrap().len(), 2, "{pending}");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--allow-any", "--json"]);
    let reports = r["shots"].as_array().unwrap();
    assert!(reports.iter().all(|s| s["error"].is_null()), "{r}");
    let resumed = reports.iter().filter(|s| s["created"] == false).count();
    assert_eq!(
        resumed, 2,
        "the two jobs made before the kill were found: {r}"
    );
    assert_eq!(
        stat(&emu, "jobs_created") as usize,
        n,
        "no shot got a second job"
    );
    assert_eq!(recorded_ids(&state).len(), n);
}

/// OpenRouter and fal cannot list jobs: after a `kill -9` between sending the creates and their
/// answers, the rerun creates nothing and says exactly what to run; `--resolve SHOT=ID` (the id
/// from the provider's request log, fal's bare request id too) adopts the job, `SHOT=new`
/// creates it again.
#[test]
fn killed_mid_create_where_jobs_cannot_be_listed_the_rerun_says_how_to_resolve() {
    for (flavor, model, log) in [
        (
            "openrouter",
            "google/veo-3.1-fast",
            "openrouter.ai/activity",
        ),
        ("fal", "fal-ai/veo3/fast", "fal.ai/dashboard/requests"),
    ] {
        let emu = slow_creates(flavor);
        let dir = tempfile::tempdir().unwrap();
        let list = format!("model = \"{model}\"\n{}", shots(2, "256x144", 2));
        let list = write_shots(dir.path(), &list);
        let out = dir.path().join("out");
        let state = list.with_file_name("shots.state.json");
        let base = [s(&list), "-o", s(&out), "--allow-any", "--provider", flavor];
        kill_while_creating(&emu, &base, 2);
        assert!(
            recorded_ids(&state).is_empty(),
            "{flavor}: no answer arrived"
        );

        let o = emu.cutroom(&[&["render"][..], &base].concat(), "sk-test");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flavor}: {stderr}");
        for want in [
            "--resolve 'shot-1=JOB_ID'",
            "--resolve 'shot-2=new'",
            log,
            "ended before the answer came: its job may exist, waiting, rendering or done",
        ] {
            assert!(stderr.contains(want), "{flavor}: no {want:?} in {stderr}");
        }
        // The run stopped, not the job: a user must not read it as a job that stopped.
        assert!(!stderr.contains("stopped"), "{flavor}: {stderr}");
        assert_eq!(
            stat(&emu, "jobs_created"),
            2,
            "{flavor}: nothing created blindly"
        );

        let made = emu.stats()["log"].clone();
        let id_of = |prompt: &str| {
            let job = made
                .as_array()
                .unwrap()
                .iter()
                .find(|j| j["prompt"] == prompt);
            job.unwrap()["id"].as_str().unwrap().to_string()
        };
        let first = format!("shot-1={}", id_of("shot number 1"));
        let second = match flavor {
            "fal" => "shot-2=new".to_string(),
            _ => format!("shot-2={}", id_of("shot number 2")),
        };
        let args = [
            &base[..],
            &["--resolve", &first, "--resolve", &second, "--json"],
        ]
        .concat();
        let r = emu.cutroom_json(&[&["render"][..], &args].concat());
        let reports = r["shots"].as_array().unwrap();
        for shot in reports {
            assert!(shot["error"].is_null(), "{flavor}: {shot}");
            let file = Path::new(shot["file"].as_str().unwrap());
            assert_eq!(marker_offsets_ms(file).len(), 1, "{flavor}");
        }
        assert_eq!(reports[0]["created"], false, "{flavor}: adopted, not made");
        let (made_now, total) = match flavor {
            "fal" => (true, 3), // shot-2=new: the user chose a second job
            _ => (false, 2),
        };
        assert_eq!(reports[1]["created"], made_now, "{flavor}");
        assert_eq!(stat(&emu, "jobs_created"), total, "{flavor}");
        assert_eq!(recorded_ids(&state).len(), 2, "{flavor}");
    }
}

/// `render LIST -o OUT --json` through `flavor`'s dialect.
fn render_as(emu: &Emulator, flavor: &str, list: &Path, out: &Path) -> Value {
    let args = ["render", s(list), "-o", s(out), "--allow-any", "--json"];
    emu.cutroom_json(&[&args[..], &["--provider", flavor]].concat())
}

/// An emulator of `flavor` whose creates make their job and then answer 500.
fn creates_fail_after_the_job(flavor: &str) -> Emulator {
    quick_emulator(&["--fail-creates", "1", "--flavor", flavor])
}

/// A 500 to a create whose job was made: where jobs can be listed (OpenAI-shaped services,
/// Replicate) the job is looked up and used, never created twice.
#[test]
fn creates_answered_500_after_the_job_was_made_are_looked_up_not_sent_again() {
    for flavor in ["openai", "replicate"] {
        let emu = creates_fail_after_the_job(flavor);
        let dir = tempfile::tempdir().unwrap();
        let n = 3;
        let list = format!(
            "model = \"google/veo-3.1-fast\"\n{}",
            shots(n, "256x144", 2)
        );
        let list = write_shots(dir.path(), &list);
        let out = dir.path().join("out");
        let r = render_as(&emu, flavor, &list, &out);
        for shot in r["shots"].as_array().unwrap() {
            assert!(shot["error"].is_null(), "{flavor}: {shot}");
            assert_eq!(shot["created"], true, "{flavor}: {shot}");
            let file = Path::new(shot["file"].as_str().unwrap());
            assert_eq!(marker_offsets_ms(file).len(), 1, "{flavor}");
        }
        let st = emu.stats();
        assert_eq!(
            st["failed_creates"], n,
            "{flavor}: every create failed: {st}"
        );
        assert_eq!(
            st["jobs_created"], n,
            "{flavor}: a shot got a second job: {st}"
        );
    }
}

/// A 500 to a create whose job was made, where jobs cannot be listed (OpenRouter, fal): the
/// create is not sent again; the shot's error says how to settle it, and `--resolve` with the
/// ids from the request log finishes the run with no second job.
#[test]
fn creates_answered_500_where_jobs_cannot_be_listed_are_not_sent_again() {
    for (flavor, model) in [
        ("openrouter", "google/veo-3.1-fast"),
        ("fal", "fal-ai/veo3/fast"),
    ] {
        let emu = creates_fail_after_the_job(flavor);
        let dir = tempfile::tempdir().unwrap();
        let list = format!("model = \"{model}\"\n{}", shots(2, "256x144", 2));
        let list = write_shots(dir.path(), &list);
        let out = dir.path().join("out");
        let base = [s(&list), "-o", s(&out), "--allow-any", "--provider", flavor];
        for run in ["first", "rerun"] {
            let o = emu.cutroom(&[&["render"][..], &base].concat(), "sk-test");
            let stderr = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{flavor} {run}: {stderr}");
            for want in ["--resolve 'shot-1=JOB_ID'", "--resolve 'shot-2=new'"] {
                assert!(
                    stderr.contains(want),
                    "{flavor} {run}: no {want:?} in {stderr}"
                );
            }
            assert_eq!(stat(&emu, "jobs_created"), 2, "{flavor} {run}: sent again");
        }
        let log = emu.stats()["log"].clone();
        let mut args = vec!["render".to_string()];
        args.extend(base.iter().map(|a| a.to_string()));
        for job in log.as_array().unwrap() {
            let name = job["prompt"]
                .as_str()
                .unwrap()
                .replace("shot number ", "shot-");
            args.extend([
                "--resolve".into(),
                format!("{name}={}", job["id"].as_str().unwrap()),
            ]);
        }
        args.push("--json".into());
        let r = emu.cutroom_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
        for shot in r["shots"].as_array().unwrap() {
            assert!(shot["error"].is_null(), "{flavor}: {shot}");
            let file = Path::new(shot["file"].as_str().unwrap());
            assert_eq!(marker_offsets_ms(file).len(), 1, "{flavor}");
        }
        assert_eq!(stat(&emu, "jobs_created"), 2, "{flavor}");
    }
}

/// Looking up an uncertain create skips a job with the same prompt made long before it (an
/// earlier session's), reading each flavour's own times: unix seconds on OpenAI-shaped
/// services, RFC 3339 text on Replicate.
#[test]
fn a_lookup_rules_out_an_older_job_with_the_same_prompt() {
    for flavor in ["openai", "replicate"] {
        let emu = creates_fail_after_the_job(flavor);
        let dir = tempfile::tempdir().unwrap();
        let render = |name: &str| {
            let text = format!(
                "model = \"google/veo-3.1-fast\"\nsize = \"256x144\"\nseconds = 2\n\
                 [[shot]]\nname = \"{name}\"\nprompt = \"the lighthouse at dusk\"\n"
            );
            let list = dir.path().join(format!("{name}.toml"));
            std::fs::write(&list, text).unwrap();
            let out = dir.path().join(name);
            let r = render_as(&emu, flavor, &list, &out);
            let shot = r["shots"][0].clone();
            assert!(shot["error"].is_null(), "{flavor}: {shot}");
            shot["id"].as_str().unwrap().to_string()
        };
        let yesterday = render("yesterday");
        emu.backdate(24 * 3600);
        let today = render("today");
        assert_ne!(
            today, yesterday,
            "{flavor}: the old job was taken for the new create"
        );
        assert_eq!(stat(&emu, "jobs_created"), 2, "{flavor}");
    }
}

#[test]
fn two_renders_of_one_list_at_once_create_one_job_per_shot() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "1s",
            "--poll-after",
            "100ms",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let n = 4;
    let list = write_shots(dir.path(), &shots(n, "256x144", 2));
    let out = dir.path().join("out");
    let args = [s(&list), "-o", s(&out), "--allow-any", "--json", "-q"];
    let runs: Vec<_> = (0..2).map(|_| spawn_render(&emu, &args)).collect();
    let mut created = 0;
    let mut waited = false;
    for child in runs {
        let o = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{stderr}");
        waited |= stderr.contains("waiting for another render");
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        for shot in r["shots"].as_array().unwrap() {
            assert!(
                shot["error"].is_null() && shot["file"].is_string(),
                "{shot}"
            );
            created += usize::from(shot["created"] == true);
        }
    }
    assert!(waited, "the second run said it waits for the first");
    assert_eq!(created, n);
    assert!(
        !list.with_file_name("shots.state.lock").exists(),
        "a finished run leaves no lock file"
    );
    assert_eq!(stat(&emu, "jobs_created") as usize, n);

    // A state file that cannot be read is kept, and its error names the way on that bills no
    // shot twice (deleting it would create every job again); moved aside, each shot resolved
    // to the job it named, no job is created.
    let state = list.with_file_name("shots.state.json");
    let recorded: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let resolves: Vec<String> = recorded["jobs"]
        .as_object()
        .unwrap()
        .values()
        .map(|j| {
            format!(
                "{}={}",
                j["shot"].as_str().unwrap(),
                j["id"].as_str().unwrap()
            )
        })
        .collect();
    let garbled = br#"{"version": 1, "jobs": {"#;
    std::fs::write(&state, garbled).unwrap();
    let o = emu.cutroom(
        &["render", s(&list), "-o", s(&out), "--allow-any"],
        "sk-test",
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    for want in [
        "shots.state.json",
        "--resolve 'SHOT=JOB_ID'",
        "(and billed)",
    ] {
        assert!(stderr.contains(want), "no {want:?} in {stderr}");
    }
    assert!(!stderr.contains("remove it"), "{stderr}");
    assert_eq!(std::fs::read(&state).unwrap(), garbled, "the file is kept");
    // So is one a newer cutroom wrote (its jobs where this one would not look: each shot was
    // created again, and what this one did not know dropped when it rewrote the file).
    let newer = br#"{"version": 2, "jobs": {}, "shots": {"shot-1": {"id": "video_x"}}}"#;
    std::fs::write(&state, newer).unwrap();
    let o = emu.cutroom(
        &["render", s(&list), "-o", s(&out), "--allow-any"],
        "sk-test",
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("shots.state.json: render state of version 2 (this cutroom reads version 1), written by a newer cutroom"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), newer, "the file is kept");
    assert_eq!(stat(&emu, "jobs_created") as usize, n, "{stderr}");
    std::fs::rename(&state, dir.path().join("aside.json")).unwrap();
    // Each shot named another shot's job (a mix-up): refused, as that job's render is not
    // the shot's; nothing is recorded or created.
    let ids: Vec<&str> = resolves
        .iter()
        .map(|r| r.split_once('=').unwrap().1)
        .collect();
    let mixed: Vec<String> = resolves
        .iter()
        .enumerate()
        .map(|(i, r)| format!("{}={}", r.split_once('=').unwrap().0, ids[(i + 1) % n]))
        .collect();
    let mut wrong = vec!["render", s(&list), "-o", s(&out), "--allow-any"];
    for r in &mixed {
        wrong.extend(["--resolve", r.as_str()]);
    }
    let o = emu.cutroom(&wrong, "sk-test");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr
            .matches("was made for the prompt \"shot number ")
            .count(),
        n,
        "{stderr}"
    );
    assert!(recorded_ids(&state).is_empty(), "{stderr}");
    let mut again = vec!["render", s(&list), "-o", s(&out), "--allow-any", "--json"];
    for r in &resolves {
        again.extend(["--resolve", r.as_str()]);
    }
    let r = emu.cutroom_json(&again);
    for shot in r["shots"].as_array().unwrap() {
        assert!(
            shot["error"].is_null() && shot["created"] == false,
            "{shot}"
        );
    }
    assert_eq!(
        stat(&emu, "jobs_created") as usize,
        n,
        "no job created again"
    );
    assert_eq!(recorded_ids(&state).len(), n);

    // A second take of shot 1's prompt named shot 1's job (recorded for it): refused, where
    // both shots shared one render (and its cost was counted twice); nothing is created.
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("[[shot]]\nname = \"take-2\"\nprompt = \"shot number 1\"\n");
    std::fs::write(&list, text).unwrap();
    let first = resolves
        .iter()
        .find_map(|r| r.strip_prefix("shot-1="))
        .unwrap();
    let take = format!("take-2={first}");
    let o = emu.cutroom(
        &[
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--resolve",
            &take,
        ],
        "sk-test",
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "--resolve '{take}': job {first} is shot \"shot-1\"'s in {}",
            state.display()
        )),
        "{stderr}"
    );
    assert_eq!(recorded_ids(&state).len(), n, "{stderr}");
    assert_eq!(stat(&emu, "jobs_created") as usize, n);
}

/// A server on 127.0.0.1 that accepts connections, reads what comes and answers each with
/// `reply` (then stalls, connection open); `None` never answers at all.
fn silent_server(reply: Option<&'static [u8]>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = conn.read(&mut buf);
                if let Some(r) = reply {
                    let _ = conn.write_all(r);
                }
                std::thread::sleep(Duration::from_secs(600));
            });
        }
    });
    format!("http://{addr}/v1")
}

fn run_against(base: &str, args: &[&str]) -> (std::process::Output, Duration) {
    let t0 = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args)
        .env("OPENAI_BASE_URL", base)
        .env("OPENAI_API_KEY", "sk-test")
        .output()
        .unwrap();
    (out, t0.elapsed())
}

#[test]
fn a_server_that_never_answers_is_given_up_on_in_bounded_time() {
    let silent = silent_server(None);
    // The wait for the answer is --first-byte-timeout's, even past a shorter --idle-timeout
    // (which cut it at 1 s, as "timed out: operation timed out").
    let (out, took) = run_against(
        &silent,
        &[
            "videos",
            "list",
            "--retries",
            "0",
            "--first-byte-timeout",
            "2s",
            "--idle-timeout",
            "1s",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "GET {silent}/videos?...: {silent} took the connection but sent no answer within 2 s \
             (--first-byte-timeout) (is the service overloaded or stuck? check --base-url)"
        )),
        "{err}"
    );
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(6)).contains(&took),
        "took {took:?}"
    );
    // --timeout bounds the whole command, retries and polls included.
    let dir = tempfile::tempdir().unwrap();
    let (out, took) = run_against(
        &silent,
        &["fetch", "video_1", "-o", s(dir.path()), "--timeout", "3s"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("gave up after 3 s (--timeout)"), "{err}");
    assert!(took < Duration::from_secs(6), "took {took:?}");
    // Headers, then silence in the body: the idle timeout ends each try.
    let stalls = silent_server(Some(
        b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: 1000\r\n\r\n0123456789",
    ));
    let url = format!("{stalls}/clip.mp4");
    let (out, took) = run_against(
        &stalls,
        &[
            "fetch",
            &url,
            "-o",
            s(dir.path()),
            "--retries",
            "1",
            "--idle-timeout",
            "1s",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("broke off"), "{err}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(!dir.path().join("clip.mp4").exists());
}

/// A service whose address takes no connection (a firewall dropping it, a host that is down:
/// here a loopback listener whose queue is full) is said with the origin, how long each try
/// waited and what to check, then how long it was tried, never with a secret.
#[test]
fn a_connection_never_answered_is_said_with_the_wait() {
    // Backlog 0: one connection fills the queue, and the kernel drops the SYNs after it.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let listener = rt.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(0).unwrap().into_std().unwrap()
    });
    let addr = listener.local_addr().unwrap();
    let mut queued = Vec::new();
    while let Ok(c) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)) {
        queued.push(c);
        assert!(queued.len() < 64, "the listen queue never fills");
    }
    let base = format!("http://{addr}/v1");
    let (out, took) = run_against(
        &format!("{base}?key=sk-query-secret-77"),
        &[
            "videos",
            "show",
            "video_1",
            "--retries",
            "1",
            "--connect-timeout",
            "1s",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let why = format!(
        "GET {base}/videos/video_1?...: cannot connect to {base}?...: no answer within 1 s \
         (--connect-timeout) (is the host up and reachable from here, or does a firewall drop \
         the connection? check --base-url)"
    );
    // Once while it is tried again, then as the error, with how long it was tried.
    assert!(
        err.contains(&format!("{why}; trying 1 more time with backoff")),
        "{err}"
    );
    assert!(
        err.contains(&format!("cutroom: error: {why}; tried 2 times in ")),
        "{err}"
    );
    assert!(!err.contains("sk-"), "{err}");
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(8)).contains(&took),
        "took {took:?}"
    );
    drop((queued, listener));
}

/// A proxy that cannot be reached is named as such, not only the server asked for (which
/// may be up: a local emulator behind an `HTTP_PROXY` meant for the internet); `NO_PROXY`
/// exempting the host goes direct, and the note goes with it.
#[test]
fn a_proxy_that_cannot_be_reached_is_named() {
    let dead = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (server, proxy) = (dead(), dead());
    let dir = tempfile::tempdir().unwrap();
    let run = |base: &str, no_proxy: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
            .args([
                "fetch",
                "video_1",
                "-o",
                s(dir.path()),
                "--retries",
                "0",
                "-q",
            ])
            .env("OPENAI_BASE_URL", base)
            .env("OPENAI_API_KEY", "sk-test")
            .env(
                "HTTPS_PROXY",
                format!("http://user:proxy-pw@127.0.0.1:{proxy}"),
            )
            .env("HTTP_PROXY", format!("http://127.0.0.1:{proxy}"))
            .env("NO_PROXY", no_proxy)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run("https://gateway.example/v1", "example.com");
    let said = format!("(through the proxy in HTTPS_PROXY (http://127.0.0.1:{proxy}/);");
    assert!(err.contains(&said) && !err.contains("proxy-pw"), "{err}");
    // This machine is never reached through a proxy (it could not reach a local emulator),
    // whatever NO_PROXY says.
    let local = format!("http://127.0.0.1:{server}/v1");
    for no_proxy in ["example.com", ""] {
        let err = run(&local, no_proxy);
        assert!(
            err.contains("cannot connect") && !err.contains("proxy"),
            "{err}"
        );
    }
}

/// A plain-http request goes to a proxy whole, the key's header with it: one to a host other
/// than this machine (`--insecure-http`) is refused before anything is sent unless
/// `--key-through-proxy`, and one to this machine never goes through the proxy.
#[test]
fn a_proxy_is_never_handed_the_key_in_clear_unasked() {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut head = Vec::new();
            for line in BufReader::new(&conn).lines().map_while(Result::ok) {
                if line.is_empty() {
                    break;
                }
                head.push(line);
            }
            log.lock().unwrap().push(head.join("\n"));
            let _ = (&conn).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let emu = Emulator::start(&[], &[]);
    let run = |base: &str, more: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
            .args([&["videos", "list", "--retries", "0", "-q"][..], more].concat())
            .env("OPENAI_BASE_URL", base)
            .env("OPENAI_API_KEY", "sk-proxied-key")
            .env("ALL_PROXY", &proxy)
            .env_remove("NO_PROXY")
            .output()
            .unwrap()
    };
    let local = run(&emu.base_url, &[]);
    assert!(local.status.success(), "{local:?}");
    let remote = "http://gateway.example/v1";
    let refused = run(remote, &["--insecure-http"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("plain http through the proxy in ALL_PROXY")
            && err.contains("NO_PROXY=gateway.example")
            && err.contains("--key-through-proxy")
            && !err.contains("sk-proxied-key"),
        "{err}"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the proxy");
    let asked = run(remote, &["--insecure-http", "--key-through-proxy"]);
    assert_eq!(asked.status.code(), Some(1), "{asked:?}: the proxy's 502");
    let seen = seen.lock().unwrap();
    assert!(
        seen.len() == 1
            && seen[0].starts_with("GET http://gateway.example/v1/videos")
            && seen[0].contains("Bearer sk-proxied-key"),
        "{seen:?}"
    );
}

#[test]
fn an_unreachable_service_is_reported_while_it_is_tried_again() {
    // A loopback port nobody listens on: every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}/v1");
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = run_against(
        &base,
        &[
            "fetch",
            "video_1",
            "-o",
            s(dir.path()),
            "--retries",
            "2",
            "-q",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // Said once, before the retries, even with -q; and the final error after them.
    let said = "trying 2 more times with backoff (--retries 0 gives up at once)";
    assert_eq!(err.matches(said).count(), 1, "{err}");
    // In the user's words, naming the base URL and what to check, not the library's.
    let why = format!(
        "GET {base}/videos/video_1: cannot connect to {base}: connection refused (is the \
         service running? check --base-url)"
    );
    assert_eq!(err.matches(&why).count(), 2, "{err}");
    assert!(!err.contains("tcp connect error"), "{err}");
    assert!(err.find(said) < err.rfind("error"), "{err}");
    assert!(!err.contains("sk-test"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // Several items or shots failing are listed under one header, each on its own line.
    let list = write_shots(dir.path(), &shots(2, "160x90", 1));
    let out = dir.path().join("o");
    for (args, header, first) in [
        (
            vec!["fetch", "video_1", "video_2", "-o", s(&out)],
            "cutroom: error: 2 requests failed:\n",
            "  GET ",
        ),
        (
            vec!["render", s(&list), "-o", s(&out), "--allow-any"],
            "cutroom: error: 2 shots failed:\n",
            "  shot \"shot-1\": POST ",
        ),
    ] {
        let (run, _) = run_against(&base, &[&args[..], &["--retries", "0", "-q"]].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert_eq!(err.matches("cutroom: error:").count(), 1, "{err}");
        assert!(err.contains(&format!("{header}{first}")), "{err}");
        assert_eq!(err.matches("\n  ").count(), 2, "{err}");
    }
    // The refused shots left no state or lock file, nor the output directory.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["shots.toml"]);
}

/// A server on 127.0.0.1 that answers every request with `reply` and closes the connection,
/// keeping the head (request line and headers) of each request it got.
fn recording_server(reply: String) -> (String, Arc<Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let kept = heads.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).is_ok_and(|n| n == 1) {
                head.push(byte[0]);
            }
            kept.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&head).into_owned());
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    (format!("http://{addr}"), heads)
}

/// A download that cannot be written (a full disk) names the file asked for, never the temp
/// file it was written to, and leaves nothing.
#[test]
fn a_download_that_cannot_be_written_names_its_target() {
    let body = "x".repeat(200_000);
    let (base, _) = recording_server(format!(
        "HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got");
    std::fs::create_dir(&out).unwrap();
    let url = format!("{base}/renders/clip.mp4");
    let run = cutroom_with_file_limit(50, &["fetch", &url, "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{}: File too large",
            out.join("clip.mp4").display()
        )),
        "{err}"
    );
    assert!(!err.contains(&format!("{}/.", out.display())), "{err}");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0, "nothing left");
}

/// A download redirected to a host that cannot be reached, or that refuses it, names the
/// redirect's target after the URL asked for, both without user info or query; the key goes
/// to the API's origin only, never to the redirect's host.
#[test]
fn a_redirected_download_that_fails_names_its_target_and_the_key_stays_home() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let redirect = |to: &str| {
        format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    };
    let to = format!("http://who:pw@127.0.0.1:{closed}/files/clip.mp4?sig=secret-sig");
    let (api, _) = recording_server(redirect(&to));
    let base = format!("{api}/v1");
    let url = format!("{base}/exports/clip.mp4?token=secret-token");
    let dir = tempfile::tempdir().unwrap();
    let fetch = |base: &str, url: &str| {
        let args = ["fetch", url, "-o", s(dir.path()), "--retries", "0"];
        let (out, _) = run_against(base, &args);
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        for secret in ["sk-test", "secret", "pw@"] {
            assert!(!err.contains(secret), "{secret}: {err}");
        }
        err
    };
    let err = fetch(&base, &url);
    let want = format!(
        "GET {base}/exports/clip.mp4?...: redirected to \
         http://127.0.0.1:{closed}/files/clip.mp4?...: cannot connect"
    );
    assert!(err.contains(&want), "{err}");

    // A host that answers, refusing the link: named too, and it never saw the key.
    let (cdn, cdn_heads) = recording_server(
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
    );
    let (api, api_heads) = recording_server(redirect(&format!("{cdn}/files/clip.mp4?sig=secret")));
    let base = format!("{api}/v1");
    let err = fetch(&base, &format!("{base}/exports/clip.mp4"));
    let want =
        format!("GET {base}/exports/clip.mp4: redirected to {cdn}/files/clip.mp4?...: HTTP 403");
    assert!(err.contains(&want), "{err}");
    let api_heads = api_heads.lock().unwrap().join("");
    let cdn_heads = cdn_heads.lock().unwrap().join("");
    assert!(
        api_heads
            .to_ascii_lowercase()
            .contains("authorization: bearer sk-test"),
        "the API's origin gets the key: {api_heads}"
    );
    assert!(
        cdn_heads.starts_with("GET /files/clip.mp4?sig=secret ")
            && !cdn_heads.to_ascii_lowercase().contains("authorization")
            && !cdn_heads.contains("sk-test"),
        "the redirect's host never does: {cdn_heads}"
    );
}

/// A run told to wait long before a retry (a 429's Retry-After of a minute) says so on stderr,
/// once, rather than sitting silent; `--timeout` still bounds it.
#[test]
fn a_long_wait_the_server_asks_for_is_said_once() {
    let emu = Emulator::start(&["--rate-limit", "1/min"], &[]);
    let list = emu.cutroom(&["videos", "list"], "sk-test");
    assert_eq!(list.status.code(), Some(0));
    let t0 = Instant::now();
    let out = emu.cutroom(&["videos", "list", "--timeout", "2s", "-q"], "sk-test");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(8), "{err}");
    let said = "HTTP 429; waiting ";
    assert_eq!(err.matches(said).count(), 1, "{err}");
    assert!(
        err.contains("s as the server asks before trying again"),
        "{err}"
    );
    assert!(err.contains("gave up after 2 s (--timeout)"), "{err}");
}

/// A rate limit's short waits (a fraction of a second each, request after request) added up
/// in silence under -q, for minutes over a long list; now their sum is said once it reaches
/// 10 s (half --max-retry-wait here), and held to --max-retry-wait: a create turned away past
/// it is not sent again, and the shot is left to a rerun, no job made or pending.
#[test]
fn short_waits_before_retries_are_said_and_held_to_a_cap() {
    let creates = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = creates.clone();
    let base = scripted_server(move |head| {
        if !head.starts_with("POST ") {
            let list = br#"{"object": "list", "data": [], "has_more": false}"#;
            return answer("200 OK", "application/json", list);
        }
        seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let busy = "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 150\r\n\
                    content-length: 0\r\nconnection: close\r\n\r\n";
        busy.as_bytes().to_vec()
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    let args = [
        "render",
        s(&list),
        "-o",
        s(&out),
        "--allow-any",
        "-q",
        "--retries",
        "100",
        "--max-retry-wait",
        "1s",
    ];
    let (run, took) = run_against(&format!("{base}/v1"), &args);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(10), "{took:?}: {err}");
    for want in [
        "/v1/videos: HTTP 429; waiting 0 s as the server asks before trying again; the waits \
         before retries add up to 1 s in this run, at most 1 s (--max-retry-wait; said once",
        "/v1/videos: HTTP 429; not tried again, nor is any request of this run turned away \
         from now on: the waits before retries reached 1 s (--max-retry-wait)",
    ] {
        assert_eq!(err.matches(want).count(), 1, "no {want:?} in {err}");
    }
    // Each wait 150-190 ms: about six creates in the second, all turned away (no job made).
    let sent = creates.load(std::sync::atomic::Ordering::SeqCst);
    assert!((4..=9).contains(&sent), "{sent} creates: {err}");
    // No intent is left pending: the state file, which would record no job, is not kept.
    assert!(!dir.path().join("shots.state.json").exists());
}

#[test]
fn a_ca_file_that_cannot_be_used_is_named_with_the_setting_that_gave_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "no certificate here\n").unwrap();
    // An https base URL makes the client read the file at once; nothing listens there.
    let base = "https://127.0.0.1:9/v1";
    for (file, why) in [
        (&missing, "No such file"),
        (&not_pem, "holds no PEM certificate"),
    ] {
        for by_env in [false, true] {
            let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"));
            cmd.args(["videos", "list", "--retries", "0"])
                .env("OPENAI_BASE_URL", base)
                .env("OPENAI_API_KEY", "sk-test");
            if by_env {
                cmd.env("SSL_CERT_FILE", file);
            } else {
                cmd.env_remove("SSL_CERT_FILE").arg("--ca-cert").arg(file);
            }
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_ne!(out.status.code(), Some(0), "{err}");
            assert!(
                err.contains("--ca-cert or SSL_CERT_FILE") && err.contains(s(file)),
                "the setting and the file are named: {err}"
            );
            assert!(err.contains(why), "{err}");
            assert_eq!(err.matches("cutroom: error").count(), 1, "one error: {err}");
        }
    }
}

#[test]
fn dot_ids_and_foreign_schemes_are_refused_before_any_request() {
    let emu = Emulator::start(&[], &[]);
    for args in [
        &["videos", "delete", "."][..],
        &["videos", "show", ".."],
        &["videos", "remix", "..", "--prompt", "x"],
    ] {
        let out = emu.cutroom(args, "sk-test");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("is not a video id"), "{err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = emu.cutroom(&["fetch", ".", "-o", s(dir.path())], "sk-test");
    assert!(String::from_utf8_lossy(&out.stderr).contains("\".\" is not a video id"));
    assert_eq!(stat(&emu, "requests"), 0, "nothing was sent");
    // A refused command makes no output directory, and says it was refused (exit 2).
    let made = dir.path().join("new");
    let out = emu.cutroom(&["fetch", "", "-o", s(&made)], "sk-test");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("\"\" is not a video id"), "{err}");
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!made.exists(), "no output directory for a refused command");
    let out = emu.cutroom(
        &["fetch", "ftp://example.com/clip.mp4", "-o", s(dir.path())],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("unsupported scheme \"ftp\""), "{err}");
    // A URL that does not parse is named without its password or query (a signed token):
    // both were printed whole.
    for (args, code, said) in [
        (
            &[
                "fetch",
                "https://cdn.example:99999/v.mp4?sig=s3cret",
                "-o",
                s(dir.path()),
            ][..],
            1, // the item's failure
            "URL \"https://cdn.example:99999/v.mp4?...\": invalid port number",
        ),
        (
            &[
                "fetch",
                "video_1",
                "-o",
                s(dir.path()),
                "--base-url",
                "http://alice:s3cret@127.0.0.1:99999/v1?k=s3cret",
            ],
            2,
            "base URL \"http://127.0.0.1:99999/v1?...\": invalid port number",
        ),
    ] {
        let out = emu.cutroom(args, "sk-test");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{err}");
        assert!(err.contains(said) && !err.contains("s3cret"), "{err}");
    }
    assert_eq!(stat(&emu, "requests"), 0, "nothing was sent");
}

#[test]
fn moderation_refusals_name_the_shot_and_bill_nothing() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "500ms",
            "--poll-after",
            "100ms",
            "--moderate",
            "forbidden",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "size = \"160x90\"\nseconds = 1\nmodel = \"google/veo-3.1-fast\"\n\
         [[shot]]\nname = \"fine\"\nprompt = \"a quiet street\"\n\
         [[shot]]\nname = \"refused\"\nprompt = \"a Forbidden act\"\n",
    );
    let out = dir.path().join("out");
    let o = emu.cutroom(
        &["render", s(&list), "-o", s(&out), "--allow-any", "--json"],
        "sk-test",
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("shot \"refused\"") && err.contains("refused by moderation"),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(r["shots"][0]["error"].is_null(), "{r}");
    assert!(r["shots"][0]["file"].is_string());
    assert_eq!(stat(&emu, "jobs_created"), 1);
    let state: Value =
        serde_json::from_slice(&std::fs::read(list.with_file_name("shots.state.json")).unwrap())
            .unwrap();
    let jobs = state["jobs"].as_object().unwrap();
    assert_eq!(
        jobs.len(),
        1,
        "a refused create leaves no pending intent: {state}"
    );
}

/// A job that fails because output moderation blocked it (accepted at create, billed) is
/// reported as a moderation refusal naming the shot, in every flavour's own failure shape.
#[test]
fn jobs_failed_by_moderation_name_the_shot_in_every_flavour() {
    for (flavor, model) in [
        ("openai", "google/veo-3.1-fast"),
        ("openrouter", "google/veo-3.1-fast"),
        ("fal", "fal-ai/veo3/fast"),
        ("replicate", "google/veo-3"),
    ] {
        let emu = quick_emulator(&["--moderate-render", "forbidden", "--flavor", flavor]);
        let dir = tempfile::tempdir().unwrap();
        let list = write_shots(
            dir.path(),
            &format!(
                "size = \"160x90\"\nseconds = 1\nmodel = \"{model}\"\n\
                 [[shot]]\nname = \"fine\"\nprompt = \"a quiet street\"\n\
                 [[shot]]\nname = \"blocked\"\nprompt = \"a Forbidden act\"\n"
            ),
        );
        let out = dir.path().join("out");
        let args = ["render", s(&list), "-o", s(&out), "--allow-any", "--json"];
        let o = emu.cutroom(&[&args[..], &["--provider", flavor]].concat(), "sk-test");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{flavor}: {err}");
        assert!(
            err.contains("shot \"blocked\"") && err.contains("refused by moderation"),
            "{flavor}: {err}"
        );
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert!(r["shots"][0]["file"].is_string(), "{flavor}: {r}");
        let blocked = &r["shots"][1];
        assert!(blocked["file"].is_null(), "{flavor}: {r}");
        assert!(
            blocked["error"]
                .as_str()
                .unwrap()
                .contains("refused by moderation"),
            "{flavor}: {r}"
        );
        assert_eq!(stat(&emu, "jobs_created"), 2, "{flavor}: both were created");
        // Refused after rendering, it is billed: where the provider says what it cost
        // (OpenRouter's usage.cost), that figure; else unknown, never a catalog guess.
        match flavor {
            "openrouter" => {
                assert_eq!(blocked["cost_usd"], 0.1, "{flavor}: {blocked}");
                assert_eq!(blocked["cost_estimated"], false, "{flavor}: {blocked}");
                assert_eq!(r["cost"]["unknown"], serde_json::json!([]), "{flavor}: {r}");
            }
            _ => assert!(blocked["cost_usd"].is_null(), "{flavor}: {blocked}"),
        }
    }
}

/// A failed job that `--retry-failed` replaces was billed (OpenRouter bills a render its
/// moderation refused): its cost stays in the total of that run and of every later one, and the
/// shot's entry names it as retried, in the JSON and the table.
#[test]
fn a_job_replaced_by_retry_failed_stays_in_the_cost() {
    let emu = quick_emulator(&["--moderate-render", "forbidden", "--flavor", "openrouter"]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "size = \"160x90\"\nseconds = 2\nmodel = \"google/veo-3.1-fast\"\n\
         [[shot]]\nname = \"blocked\"\nprompt = \"a Forbidden act\"\n",
    );
    let out = dir.path().join("out");
    let render = |extra: &[&str]| {
        let args = ["render", s(&list), "-o", s(&out), "--allow-any"];
        let args = [&args[..], &["--provider", "openrouter"], extra].concat();
        emu.cutroom(&args, "sk-test")
    };
    let first = render(&["--json"]);
    assert_eq!(first.status.code(), Some(1));
    let first: Value = serde_json::from_slice(&first.stdout).unwrap();
    let dead = first["shots"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(first["cost"]["total_usd"], 0.2, "{first}");

    // The retry is refused by moderation again: two jobs billed, $0.20 each.
    let again = render(&["--retry-failed", "--json"]);
    assert_eq!(again.status.code(), Some(1));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(stat(&emu, "jobs_created"), 2);
    let shot = &again["shots"][0];
    let new = shot["id"].as_str().unwrap();
    assert_ne!(new, dead);
    assert_eq!(shot["cost_usd"], 0.2, "{again}");
    let retried = shot["retried"].as_array().unwrap();
    assert_eq!(retried.len(), 1, "{again}");
    assert_eq!(retried[0]["id"], dead.as_str());
    assert_eq!(retried[0]["cost_usd"], 0.2, "{again}");
    assert_eq!(retried[0]["cost_estimated"], false, "{again}");
    assert!(
        retried[0]["error"]
            .as_str()
            .unwrap()
            .contains("refused by moderation"),
        "{again}"
    );
    assert_eq!(again["cost"]["total_usd"], 0.4, "{again}");
    assert_eq!(again["cost"]["unknown"], serde_json::json!([]), "{again}");

    // A later run still counts both, and the table shows the replaced job.
    let table = render(&[]);
    assert_eq!(table.status.code(), Some(1));
    let table = String::from_utf8_lossy(&table.stdout);
    let line = table
        .lines()
        .find(|l| l.contains(&dead))
        .unwrap_or_default();
    assert!(
        line.starts_with("blocked ") && line.contains("retried ($0.20): job "),
        "{table}"
    );
    assert!(
        table.contains("cost: $0.40, none of it created by this run"),
        "{table}"
    );
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

/// A job cancelled on the provider's side (Replicate's `POST /predictions/{id}/cancel`, as from
/// its dashboard) is said as such by `render` and `fetch`; cancelled before it started it is not
/// billed (Replicate bills the time a prediction ran), and `--retry-failed` renders the shot
/// again, the cancelled job listed as retried.
#[test]
fn a_job_cancelled_at_the_provider_is_said_not_billed_and_retried() {
    let emu = Emulator::start(
        &[
            "--render-time",
            "10s",
            "--poll-after",
            "100ms",
            "--flavor",
            "replicate",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let catalog = dir.path().join("providers.toml");
    std::fs::write(
        &catalog,
        "[[model]]\nprovider = \"replicate\"\nname = \"owner/video\"\nusd_per_second = 0.05\n",
    )
    .unwrap();
    let list = write_shots(
        dir.path(),
        &format!("model = \"owner/video\"\n{}", shots(1, "256x144", 2)),
    );
    let out = dir.path().join("out");
    let args = |extra: &[&str]| -> Vec<String> {
        let base = [
            "render",
            s(&list),
            "-o",
            s(&out),
            "--provider",
            "replicate",
            "--json",
        ];
        let more = ["--providers", s(&catalog), "--allow-any"];
        [&base[..], &more[..], extra]
            .concat()
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    let render = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(args(&[]))
        .env(emu.base_var(), &emu.base_url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    let id = loop {
        if let Some(id) = emu.stats()["log"][0]["id"].as_str() {
            break id.to_string();
        }
        assert!(Instant::now() < until, "no job was made");
        std::thread::sleep(Duration::from_millis(10));
    };
    let cancel = format!("{}/predictions/{id}/cancel", emu.base_url);
    let (status, _, body) = http_request("POST", &cancel, &[]);
    assert_eq!(status, 200);
    let cancelled: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(cancelled["status"], "canceled", "{cancelled}");
    // Within a tenth of the render time the prediction had not started (the usual case);
    // on a machine slow enough to miss it, it ran, and its cost is unknown.
    let started = !cancelled["started_at"].is_null();
    let first = render.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(1));
    let first: Value = serde_json::from_slice(&first.stdout).unwrap();
    let when = if started { "finished" } else { "started" };
    let said = format!("job {id} was cancelled on the provider's side (canceled) before it {when}");
    assert_eq!(first["shots"][0]["error"], said.as_str(), "{first}");
    let (cost, unknown) = match started {
        false => (serde_json::json!(0.0), serde_json::json!([])),
        true => (Value::Null, serde_json::json!(["shot-1"])),
    };
    assert_eq!(first["shots"][0]["cost_usd"], cost, "{first}");
    assert_eq!(first["cost"]["unknown"], unknown, "{first}");
    let fetch = emu.cutroom(
        &["fetch", &id, "-o", s(&out), "--provider", "replicate"],
        "k",
    );
    let err = String::from_utf8_lossy(&fetch.stderr);
    assert_eq!(fetch.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("video {id} was cancelled on the provider's side")),
        "{err}"
    );

    // --retry-failed makes one new job, which renders; the cancelled one is listed as retried.
    let again = emu.cutroom(
        &args(&["--retry-failed"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "k",
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    let shot = &again["shots"][0];
    assert_ne!(shot["id"], id.as_str());
    assert_eq!(
        ffprobe(Path::new(shot["file"].as_str().unwrap()))["streams"][0]["width"],
        256
    );
    assert_eq!(shot["retried"][0]["id"], id.as_str(), "{again}");
    assert_eq!(shot["retried"][0]["error"], said.as_str(), "{again}");
    assert_eq!(shot["retried"][0]["cost_usd"], cost, "{again}");
    assert_eq!(shot["cost_usd"], 0.1, "{again}");
    if !started {
        assert_eq!(again["cost"]["total_usd"], 0.1, "{again}");
        assert_eq!(again["cost"]["unknown"], serde_json::json!([]), "{again}");
    }
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

#[test]
fn costs_come_from_usage_or_the_catalog_and_max_cost_refuses_to_start() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "500ms",
            "--poll-after",
            "100ms",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    // The built-in catalog prices sora: 4 s of sora-2 ($0.40) + 4 s of sora-2-pro above 720p
    // ($2.00) is over $1, so nothing is created.
    let sora = write_shots(
        dir.path(),
        "seconds = 4\n[[shot]]\nprompt = \"a\"\nmodel = \"sora-2\"\nsize = \"720x1280\"\n\
         [[shot]]\nprompt = \"b\"\nmodel = \"sora-2-pro\"\nsize = \"1080x1920\"\n",
    );
    let out = dir.path().join("out");
    let o = emu.cutroom(
        &["render", s(&sora), "-o", s(&out), "--max-cost", "1"],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    // Over the limit is not a command-line error: its own exit code.
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.contains("estimated at $2.40, over --max-cost $1.00"),
        "{err}"
    );
    assert_eq!(stat(&emu, "jobs_created"), 0);
    // A refused run leaves nothing it made: no state file, lock file nor output directory.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["shots.toml"]);
    // Nor does a refused assemble: not the directory it made, nor in one given its shot list.
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"square\"]\n[[shot]]\n[shot.render]\nprompt = \"a\"\nseconds = 4\n\
         size = \"720x1280\"\n",
    )
    .unwrap();
    let (made, given) = (dir.path().join("made/cut"), dir.path().join("given"));
    std::fs::create_dir(&given).unwrap();
    std::fs::write(given.join("mine.txt"), "the user's").unwrap();
    for o in [&made, &given] {
        let run = emu.cutroom(
            &["assemble", s(&spec), "-o", s(o), "--max-cost", "0.1"],
            "sk-test",
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(5), "{err}");
        assert!(err.contains("over --max-cost $0.10"), "{err}");
    }
    assert!(!dir.path().join("made").exists());
    let left: Vec<_> = std::fs::read_dir(&given)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["mine.txt"]);
    assert_eq!(stat(&emu, "jobs_created"), 0);
    // A model priced by --providers: estimates per shot and in total.
    let prices = dir.path().join("prices.toml");
    std::fs::write(
        &prices,
        "[[model]]\nprovider = \"openai\"\nname = \"tiny\"\nseconds = [2]\nsizes = [\"256x144\"]\n\
         usd_per_second = 0.05\n",
    )
    .unwrap();
    let sub = dir.path().join("tiny");
    std::fs::create_dir(&sub).unwrap();
    let tiny = write_shots(
        &sub,
        "model = \"tiny\"\nsize = \"256x144\"\nseconds = 2\n[[shot]]\nprompt = \"a\"\n\
         [[shot]]\nprompt = \"b\"\n[[shot]]\nprompt = \"c\"\n",
    );
    let p = s(&prices);
    let o = emu.cutroom(
        &[
            "render",
            s(&tiny),
            "-o",
            s(&out),
            "--providers",
            p,
            "--max-cost",
            "0.25",
        ],
        "sk-test",
    );
    assert_eq!(o.status.code(), Some(5));
    assert_eq!(stat(&emu, "jobs_created"), 0);
    // A cap of exactly the estimate is not over it: three shots at $0.10 are $0.30.
    let r = emu.cutroom_json(&[
        "render",
        s(&tiny),
        "-o",
        s(&out),
        "--providers",
        p,
        "--max-cost",
        "0.30",
        "--json",
    ]);
    for shot in r["shots"].as_array().unwrap() {
        assert_eq!(shot["seconds_billed"], 2.0, "{shot}");
        assert!(
            (shot["cost_usd"].as_f64().unwrap() - 0.1).abs() < 1e-9,
            "{shot}"
        );
        assert_eq!(shot["cost_estimated"], true);
    }
    assert!(
        (r["cost"]["total_usd"].as_f64().unwrap() - 0.3).abs() < 1e-9,
        "{r}"
    );
    assert_eq!(r["cost"]["estimated"], true);
    // A model no catalog lists: a warning, then the run; its cost is unknown.
    let sub = dir.path().join("mystery");
    std::fs::create_dir(&sub).unwrap();
    let mystery = write_shots(
        &sub,
        "model = \"mystery-1\"\nsize = \"256x144\"\nseconds = 2\n[[shot]]\nname = \"m\"\nprompt = \"m\"\n",
    );
    let o = emu.cutroom(&["render", s(&mystery), "-o", s(&out), "--json"], "sk-test");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: model \"mystery-1\" is not in the openai catalog"),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["cost"]["unknown"][0], "m");
    assert!(r["shots"][0]["cost_usd"].is_null());
    // Unknown is not free: no total of $0 in the report or the table.
    assert!(r["cost"]["total_usd"].is_null(), "{r}");
    let o = emu.cutroom(&["render", s(&mystery), "-o", s(&out)], "sk-test");
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(
        table.contains("cost: unknown (no usage or price for 1 shot(s))") && !table.contains('$'),
        "{table}"
    );
    // OpenRouter reports what it billed (`usage.cost`): taken as is, not an estimate.
    let or = Emulator::start(
        &[
            "--flavor",
            "openrouter",
            "--render-time",
            "500ms",
            "--poll-after",
            "100ms",
        ],
        &[],
    );
    let sub = dir.path().join("or");
    std::fs::create_dir(&sub).unwrap();
    let list = write_shots(
        &sub,
        "model = \"google/veo-3.1-fast\"\nsize = \"256x144\"\nseconds = 2\n[[shot]]\nprompt = \"o\"\n",
    );
    let r = or.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&out),
        "--provider",
        "openrouter",
        "--json",
    ]);
    let shot = &r["shots"][0];
    assert!(
        (shot["cost_usd"].as_f64().unwrap() - 0.2).abs() < 1e-9,
        "{shot}"
    );
    assert_eq!(shot["cost_estimated"], false);
    assert_eq!(r["cost"]["estimated"], false);
}

/// A typo in a shot list is one line naming the file, the place and the key meant, like a cut
/// spec's, before any request.
#[test]
fn a_shot_list_typo_is_one_line_with_its_place_and_the_key_meant() {
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "[[shot]]\nprompt = \"a boat\"\nseconds = 4\nmodle = \"sora-2\"\n",
    );
    let out = dir.path().join("renders");
    let run = cutroom(&["render", s(&list), "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("shots.toml:4:1: shot 1: modle: unknown field `modle`")
            && err.ends_with("(did you mean `model`?)\n"),
        "{err}"
    );
    assert!(!out.exists());
}

/// A prompt holding a control character (NUL, ESC) is refused before any request, naming the
/// shot list, the shot and the character; tabs and line breaks pass.
#[test]
fn a_prompt_holding_a_control_character_is_refused_naming_the_shot() {
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "seconds = 4\n[[shot]]\nname = \"fine\"\nprompt = \"a boat,\\tat dusk\\r\\n\"\n\
         [[shot]]\nname = \"esc\"\nprompt = \"a boat \\u001b[2J\"\n\
         [[shot]]\nname = \"nul\"\nprompt = \"a boat\\u0000\"\n",
    );
    let out = dir.path().join("renders");
    let nowhere = ["--base-url", "http://127.0.0.1:9/v1"];
    let run = cutroom(&[&["render", s(&list), "-o", s(&out)][..], &nowhere].concat());
    let err = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0), "{err}");
    for want in [
        "shots.toml: shot \"esc\": the prompt holds the control character U+001B (character 8)",
        "shots.toml: shot \"nul\": the prompt holds the control character U+0000 (character 7)",
    ] {
        assert!(err.contains(want), "no {want:?} in {err}");
    }
    assert!(
        !err.contains("\"fine\"") && !err.contains("connect"),
        "{err}"
    );
    assert!(!out.exists());
    // So is a name holding one, shown in the table and every message (it drove the terminal
    // there, and a line break forged a line).
    let list = write_shots(
        dir.path(),
        "seconds = 4\n[[shot]]\nname = \"a\\u001b[31m\\nforged\"\nprompt = \"a boat\"\n",
    );
    let run = cutroom(&[&["render", s(&list), "-o", s(&out)][..], &nowhere].concat());
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "shots.toml: shot 1: its name \"a\\u{1b}[31m\\nforged\" holds a control character"
        ) && !err.contains('\u{1b}'),
        "{err}"
    );
    assert!(!out.exists());
}

/// A `--resolve SHOT=...` naming no shot the list or spec renders (a typo would leave the
/// pending create to no one, or bill the shot again) is refused before anything is made or
/// sent, naming the list or spec, the closest name and the shots, by render, assemble and
/// batch alike.
#[test]
fn a_resolve_naming_no_shot_is_refused_naming_the_shots() {
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(
        dir.path(),
        "seconds = 4\n[[shot]]\nname = \"opening\"\nprompt = \"a\"\n\
         [[shot]]\nname = \"keeper\"\nprompt = \"b\"\n",
    );
    let local = fixture("marker_landscape_25.mp4");
    let render = "[[shot]]\n[shot.render]\nprompt = \"a boat\"\nseconds = 4\nsize = \"720x1280\"\n";
    let spec = |name: &str, render: &str| {
        let path = dir.path().join(name);
        let text = format!(
            "outputs = [\"square\"]\n[[shot]]\nsrc = {:?}\n{render}",
            local.display()
        );
        std::fs::write(&path, text).unwrap();
        path
    };
    let (cut, plain) = (spec("cut.toml", render), spec("plain.toml", ""));
    let variants = dir.path().join("variants.csv");
    std::fs::write(&variants, "variant\nv1\nv2\n").unwrap();
    let out = dir.path().join("out");
    let nowhere = ["--base-url", "http://127.0.0.1:9/v1", "-o", s(&out)];
    for (args, said) in [
        (
            vec!["render", s(&list), "--resolve", "openning=video_1"],
            "shots.toml has no shot named \"openning\" (did you mean \"opening\"?); its shots: \
             opening, keeper",
        ),
        (
            vec!["assemble", s(&cut), "--resolve", "shot-2=video_1"],
            "cut.toml has no shot named \"shot-2\" (did you mean \"shot-02\"?); its shots: shot-02",
        ),
        (
            vec!["assemble", s(&plain), "--resolve", "shot-1=new"],
            "plain.toml has no shot named \"shot-1\"; it renders none",
        ),
        (
            vec![
                "batch",
                s(&cut),
                "--variants",
                s(&variants),
                "--resolve",
                "2=video_1",
            ],
            "cut.toml has no shot named \"2\"; its shots: shot-02",
        ),
        // The job a batch would emit runs the same check: refused here, not in every pod.
        (
            vec![
                "batch",
                s(&cut),
                "--variants",
                s(&variants),
                "--resolve",
                "2=video_1",
                "--emit",
                "k8s",
                "--shards",
                "2",
            ],
            "cut.toml has no shot named \"2\"; its shots: shot-02",
        ),
        // One job for two shots would give both one render; one shot settled two ways.
        (
            vec![
                "render",
                s(&list),
                "--resolve",
                "opening=video_1",
                "--resolve",
                "keeper=video_1",
            ],
            "--resolve names job video_1 for shots \"opening\" and \"keeper\": a job is one \
             shot's render",
        ),
        (
            vec![
                "batch",
                s(&cut),
                "--variants",
                s(&variants),
                "--resolve",
                "shot-02=video_1",
                "--resolve=shot-02=new",
                "--emit",
                "slurm",
                "--shards",
                "2",
            ],
            "--resolve settles shot \"shot-02\" two ways: shot-02=video_1 and shot-02=new",
        ),
    ] {
        let run = cutroom(&[&args[..], &nowhere].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(said) && !err.contains("connect") && run.stdout.is_empty(),
            "{args:?}: {err}"
        );
        assert!(!out.exists(), "{args:?}: nothing made");
    }
}

/// Requests kept by [`remote_hosts`]: the `CONNECT` lines and the requests tunnelled.
type Seen = Arc<Mutex<Vec<String>>>;

/// Hosts that are not on this machine, served over TLS with a certificate for `names` from a
/// test CA made in `dir`, reached through an HTTPS proxy on 127.0.0.1 (reqwest honours
/// `HTTPS_PROXY`), so cutroom is given their real URLs and nothing leaves the machine. Each
/// request is answered with `reply(request line)`, a whole HTTP answer. Returns the proxy's URL,
/// the CA's PEM file and the `CONNECT` lines and request lines it was sent.
fn remote_hosts(
    dir: &Path,
    names: &[&str],
    reply: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static,
) -> (String, PathBuf, Seen) {
    use std::io::{BufRead, BufReader, Read, Write};
    use tokio_rustls::rustls::{ServerConnection, StreamOwned};
    let ca = make_ca(dir, "remote");
    let alt: Vec<String> = names.iter().map(|n| format!("DNS:{n}")).collect();
    let (cert, key) = issue_cert(
        dir,
        &ca,
        "remote",
        "ec",
        &format!("/CN={}", names[0]),
        &format!(
            "subjectAltName={}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
            alt.join(",")
        ),
    );
    let config = tls_server(&cert, &key);
    /// The request line and headers of `r` (the first line kept), the content length.
    fn head(r: &mut impl BufRead) -> std::io::Result<(String, usize)> {
        let (mut first, mut length, mut line) = (String::new(), 0, String::new());
        while r.read_line(&mut line)? > 0 && line != "\r\n" {
            if first.is_empty() {
                first = line.trim().to_string();
            } else if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            line.clear();
        }
        Ok((first, length))
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let reply = Arc::new(reply);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (config, log, reply) = (config.clone(), log.clone(), reply.clone());
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut tunnel = BufReader::new(conn);
                let (connect, _) = head(&mut tunnel)?;
                log.lock().unwrap().push(connect);
                let mut conn = tunnel.into_inner();
                conn.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
                let tls = ServerConnection::new(config).unwrap();
                let mut r = BufReader::new(StreamOwned::new(tls, conn));
                let (request, length) = head(&mut r)?;
                r.read_exact(&mut vec![0; length])?;
                let answer = reply(&request);
                log.lock().unwrap().push(request);
                let w = r.get_mut();
                w.write_all(&answer)?;
                w.flush()
            });
        }
    });
    (proxy, ca.0, seen)
}

/// `cutroom ARGS` with `base` as the API and the key `sk-test`, reaching https hosts through
/// `proxy` (plain http goes direct) and trusting the CA `ca`.
fn cutroom_via(proxy: &str, ca: &Path, base: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"));
    cmd.args(args)
        .env("OPENAI_API_KEY", "sk-test")
        .env("HTTPS_PROXY", proxy)
        .env("SSL_CERT_FILE", ca);
    for var in [
        "OPENAI_BASE_URL",
        "CUTROOM_BASE_URL",
        "CUTROOM_PROVIDER",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
    if let Some(base) = base {
        cmd.env("OPENAI_BASE_URL", base);
    }
    cmd.output().unwrap()
}

/// OpenAI's own API host as it is since its video API closed: every request answered 404 with
/// OpenAI's error envelope, as a [`remote_hosts`] host `api.openai.com`, so cutroom's real
/// default URL is used: (the proxy's URL, the CA's PEM file, what the proxy was sent).
fn closed_openai(dir: &Path) -> (String, PathBuf, Seen) {
    remote_hosts(dir, &["api.openai.com"], |request| {
        let body = format!(
            r#"{{"error": {{"message": "Invalid URL ({})", "type": "invalid_request_error", "param": null, "code": null}}}}"#,
            request.rsplit_once(' ').map_or("", |(m, _)| m)
        );
        format!(
            "HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    })
}

/// With only `OPENAI_API_KEY` set, `render`, `videos` and `fetch` go to OpenAI's own API,
/// whose video endpoints closed on 2026-09-24: its 404 says so and names `--base-url` and
/// `--provider`.
#[test]
fn openais_closed_video_api_says_where_to_point_cutroom_instead() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (proxy, ca, seen) = closed_openai(d);
    let shots = write_shots(d, &shots(1, "1280x720", 4));
    let out = d.join("renders");
    for args in [
        vec!["render", s(&shots), "-o", s(&out)],
        vec!["videos", "list"],
        vec!["fetch", "video_123", "-o", s(&out)],
    ] {
        let run = cutroom_via(&proxy, &ca, None, &args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_ne!(run.status.code(), Some(0), "{args:?}: {err}");
        for said in [
            "OpenAI closed its video API on 2026-09-24",
            "--base-url",
            "--provider",
        ] {
            assert!(err.contains(said), "{args:?}: {err}");
        }
        assert_eq!(err.lines().count(), 1, "{args:?}: one error line: {err}");
    }
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l == "CONNECT api.openai.com:443 HTTP/1.1"),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|l| l.starts_with("POST /v1/videos ")),
        "{seen:?}"
    );
    assert!(!out.join("shot-1.mp4").exists());
}

/// A service that is not on this machine cannot send cutroom to it: a download it redirects
/// to `http://127.0.0.1:PORT`, or a job whose video URL is there (Replicate's `output`), is
/// refused before anything is sent there, saying why, while a redirect to a storage host
/// elsewhere over https is followed. The remote service is a [`remote_hosts`] host
/// (the rule's other side, a service on loopback redirecting to loopback, is
/// `a_redirected_download_that_fails_names_its_target_and_the_key_stays_home`).
#[test]
fn a_remote_service_cannot_send_cutroom_to_this_machine() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (local, local_heads) = recording_server(
        "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".into(),
    );
    let clip = std::fs::read(fixture("marker_portrait_30.mp4")).unwrap();
    let to_local = format!("{local}/admin/clip.mp4?token=secret");
    let (proxy, ca, seen) = remote_hosts(
        d,
        &["videos.example.test", "storage.example.test"],
        move |request| {
            let answer = |status: &str, headers: &str, body: &[u8]| {
                let mut a = format!(
                    "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                a.extend_from_slice(body);
                a
            };
            let path = request.split(' ').nth(1).unwrap_or_default();
            match path {
                "/v1/exports/inside.mp4" => {
                    answer("302 Found", &format!("location: {to_local}\r\n"), b"")
                }
                "/v1/exports/stored.mp4" => answer(
                    "302 Found",
                    "location: https://storage.example.test/files/clip.mp4?sig=s\r\n",
                    b"",
                ),
                // Into the user's network: a LAN host, unique-local IPv6, the cloud metadata
                // address, a private address in IPv4-mapped form.
                "/v1/exports/lan.mp4" => answer(
                    "302 Found",
                    "location: https://192.168.1.20/share/clip.mp4\r\n",
                    b"",
                ),
                "/v1/exports/ula.mp4" => {
                    answer("302 Found", "location: https://[fd00::7]/clip.mp4\r\n", b"")
                }
                "/v1/exports/metadata" => answer(
                    "302 Found",
                    "location: https://169.254.169.254/latest/meta-data/\r\n",
                    b"",
                ),
                "/v1/exports/mapped.mp4" => answer(
                    "302 Found",
                    "location: https://[::ffff:10.0.0.1]/clip.mp4\r\n",
                    b"",
                ),
                "/files/clip.mp4?sig=s" => answer("200 OK", "content-type: video/mp4\r\n", &clip),
                "/v1/predictions/p1" => {
                    let job = serde_json::json!({"id": "p1", "status": "succeeded",
                        "output": to_local, "input": {"prompt": "a cat"}});
                    answer(
                        "200 OK",
                        "content-type: application/json\r\n",
                        job.to_string().as_bytes(),
                    )
                }
                _ => answer("404 Not Found", "", b""),
            }
        },
    );
    let base = "https://videos.example.test/v1";
    let out = d.join("out");
    let fetch = |args: &[&str]| {
        let mut all = vec!["fetch", "-o", s(&out), "--retries", "0"];
        all.extend(args);
        let run = cutroom_via(&proxy, &ca, Some(base), &all);
        (
            run.status.code(),
            String::from_utf8_lossy(&run.stderr).into_owned(),
        )
    };
    let refused = "a link to this machine from https://videos.example.test, which is not on it";
    let (code, err) = fetch(&[&format!("{base}/exports/inside.mp4")]);
    assert_eq!(code, Some(1), "{err}");
    let want = format!(
        "GET {base}/exports/inside.mp4: redirected to {local}/admin/clip.mp4?...: {refused}"
    );
    assert!(err.contains(&want), "{err}");
    let (code, err) = fetch(&["p1", "--provider", "replicate", "--base-url", base]);
    assert_eq!(code, Some(1), "{err}");
    let want = format!("job p1: video URL {local}/admin/clip.mp4?...: {refused}");
    assert!(err.contains(&want), "{err}");
    assert!(!err.contains("secret"), "{err}");
    assert_eq!(*local_heads.lock().unwrap(), Vec::<String>::new());
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().count() == 0);
    let lan = "a link into a private network from https://videos.example.test, which is not in one";
    for (path, to) in [
        ("lan.mp4", "https://192.168.1.20/share/clip.mp4"),
        ("ula.mp4", "https://[fd00::7]/clip.mp4"),
        ("metadata", "https://169.254.169.254/latest/meta-data/"),
        ("mapped.mp4", "https://[::ffff:a00:1]/clip.mp4"),
    ] {
        let (code, err) = fetch(&["--insecure-http", &format!("{base}/exports/{path}")]);
        assert_eq!(code, Some(1), "{err}");
        let want = format!("GET {base}/exports/{path}: redirected to {to}: {lan}");
        assert!(err.contains(&want), "{want}\n{err}");
    }
    assert!(!out.exists());
    // Nothing was sent there.
    let connects = seen.lock().unwrap().clone();
    assert!(
        connects
            .iter()
            .filter(|l| l.starts_with("CONNECT"))
            .all(|l| l.starts_with("CONNECT videos.example.test:")),
        "{connects:?}"
    );

    // Signed storage links on another host keep working over https; the key stays home.
    let (code, err) = fetch(&[&format!("{base}/exports/stored.mp4")]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        sha256sum(&out.join("stored.mp4")),
        sha256sum(&fixture("marker_portrait_30.mp4"))
    );
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|l| l == "CONNECT storage.example.test:443 HTTP/1.1"),
        "{seen:?}"
    );
}

/// The `cost:` line of a re-run says how much of the list's cost this run created: none when
/// every job came from an earlier run, the new shots' part when some did.
#[test]
fn a_reruns_cost_line_says_what_this_run_created() {
    let emu = Emulator::start(&["--render-time", "200ms", "--poll-after", "100ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let one = "model = \"sora-2\"\nsize = \"1280x720\"\nseconds = 4\n\
               [[shot]]\nname = \"cat\"\nprompt = \"a cat\"\n";
    let list = write_shots(dir.path(), one);
    let out = dir.path().join("out");
    let cost = || {
        let run = emu.cutroom(&["render", s(&list), "-o", s(&out)], "sk-test");
        assert!(run.status.success(), "{run:?}");
        let said = String::from_utf8_lossy(&run.stdout).into_owned();
        said.lines().last().unwrap_or_default().to_string()
    };
    assert_eq!(cost(), "cost: $0.40 (estimate)");
    assert_eq!(
        cost(),
        "cost: $0.40 (estimate), none of it created by this run"
    );
    write_shots(
        dir.path(),
        &format!("{one}[[shot]]\nname = \"dog\"\nprompt = \"a dog\"\n"),
    );
    assert_eq!(
        cost(),
        "cost: $0.80 (estimate), $0.40 of it created by this run"
    );
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

/// Two URLs ending in the same file name (here two renders' `.../videos/ID/content`) fetched
/// into one directory, at once: two files, each the bytes of its own URL, and a re-run finds
/// both in the cache.
#[test]
fn urls_ending_in_the_same_file_name_keep_a_file_each() {
    let emu = Emulator::start(
        &[
            "--allow-any",
            "--render-time",
            "200ms",
            "--poll-after",
            "50ms",
        ],
        &[],
    );
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(2, "160x90", 1));
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&dir.path().join("renders")),
        "--allow-any",
        "--json",
    ]);
    let rendered: Vec<&Value> = r["shots"].as_array().unwrap().iter().collect();
    let urls: Vec<String> = rendered
        .iter()
        .map(|s| {
            format!(
                "{}/videos/{}/content",
                emu.base_url,
                s["id"].as_str().unwrap()
            )
        })
        .collect();
    let out = dir.path().join("urls");
    for run in ["first", "again"] {
        let f = emu.cutroom_json(&["fetch", &urls[0], &urls[1], "-o", s(&out), "--json"]);
        let fetched = f["fetched"].as_array().unwrap();
        let paths: Vec<&str> = fetched
            .iter()
            .map(|e| e["files"]["video"]["path"].as_str().unwrap())
            .collect();
        assert_ne!(paths[0], paths[1], "{run}: {f}");
        for (e, shot) in fetched.iter().zip(&rendered) {
            let path = Path::new(e["files"]["video"]["path"].as_str().unwrap());
            assert_eq!(
                sha256sum(path),
                shot["sha256"].as_str().unwrap(),
                "{run}: {e}"
            );
            assert_eq!(e["cached"], run == "again", "{run}: {e}");
        }
    }
}

/// A server on 127.0.0.1 answering `GET /download?id=N&...` with the bytes of `files[N]`,
/// counting the requests; its base URL and the count.
fn query_server(files: Vec<Vec<u8>>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (files, seen) = (std::sync::Arc::new(files), count.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (files, seen) = (files.clone(), seen.clone());
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut r = BufReader::new(conn);
                let (mut first, mut line) = (String::new(), String::new());
                r.read_line(&mut first)?;
                while r.read_line(&mut line)? > 0 && line != "\r\n" {
                    line.clear();
                }
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let id: usize = first
                    .split(['?', '&', ' '])
                    .find_map(|p| p.strip_prefix("id="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(usize::MAX);
                let w = r.get_mut();
                match files.get(id) {
                    Some(body) => {
                        write!(
                            w,
                            "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\n\
                             content-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        )?;
                        w.write_all(body)?;
                    }
                    None => w.write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    )?,
                }
                w.flush()
            });
        }
    });
    (base, count)
}

/// URLs that differ only in their query (`download?id=0&token=...`, `download?id=1&token=...`)
/// are two sources: a file each, in one run and when a later run brings the second, and the
/// query (a token) in no name, report or message.
#[test]
fn urls_differing_only_in_their_query_keep_a_file_each() {
    let dir = tempfile::tempdir().unwrap();
    let clips: Vec<Vec<u8>> = ["red", "blue"]
        .iter()
        .map(|c| {
            let p = dir.path().join(format!("{c}.mp4"));
            tone_clip(&p, 160, 90, 25, 1.0, c, None);
            std::fs::read(&p).unwrap()
        })
        .collect();
    let (base, _) = query_server(clips.clone());
    let secret = "tok-secret-31337";
    let urls: Vec<String> = (0..2)
        .map(|i| format!("{base}/download?id={i}&token={secret}{i}"))
        .collect();
    let digests: Vec<String> = clips
        .iter()
        .map(|b| {
            let p = dir.path().join("ref.mp4");
            std::fs::write(&p, b).unwrap();
            sha256sum(&p)
        })
        .collect();
    let check = |out: &Path, args: &[&str], expect: &[usize]| {
        let run = cutroom(&[&["fetch"], args, &["-o", s(out), "--json", "-v"]].concat());
        let (stdout, stderr) = (
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr),
        );
        assert!(run.status.success(), "{stderr}");
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{stdout}{stderr}"
        );
        let f: Value = serde_json::from_slice(&run.stdout).unwrap();
        for (e, &i) in f["fetched"].as_array().unwrap().iter().zip(expect) {
            let path = Path::new(e["files"]["video"]["path"].as_str().unwrap());
            assert_eq!(sha256sum(path), digests[i], "{e}");
        }
    };
    // Both at once.
    let both = dir.path().join("both");
    check(&both, &[&urls[0], &urls[1]], &[0, 1]);
    // One run after the other into the same directory.
    let apart = dir.path().join("apart");
    check(&apart, &[&urls[0]], &[0]);
    check(&apart, &[&urls[1]], &[1]);
    check(&apart, &[&urls[0], &urls[1]], &[0, 1]);
    for d in [&both, &apart] {
        let mut files = 0;
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            assert!(!p.to_string_lossy().contains("tok"), "{}", p.display());
            if p.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&p).unwrap();
                assert!(!text.contains(secret), "{text}");
            } else {
                files += 1;
            }
        }
        assert_eq!(files, 2, "{}", d.display());
    }
}

/// An item given twice (`fetch URL URL`) is fetched and reported once, with a warning that
/// names it (without its query).
/// A video id and its own content URL on the API (with or without `?variant=video`, in either
/// order) are one download: fetched and reported once, with a warning.
#[test]
fn a_video_id_and_its_content_url_are_fetched_once() {
    let emu = Emulator::start(&["--allow-any", "--render-time", "100ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let renders = dir.path().join("r");
    emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&renders),
        "--allow-any",
        "--json",
    ]);
    let id = recorded_ids(&dir.path().join("shots.state.json")).remove(0);
    let url = format!("{}/videos/{id}/content", emu.base_url);
    for (n, pair) in [
        [id.clone(), url.clone()],
        [format!("{url}?variant=video"), id.clone()],
    ]
    .iter()
    .enumerate()
    {
        let out = dir.path().join(format!("o{n}"));
        let run = emu.cutroom(&["fetch", &pair[0], &pair[1], "-o", s(&out), "--json"], "k");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{err}");
        assert!(
            err.contains("is given more than once; it is fetched once"),
            "{err}"
        );
        let f: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(f["fetched"].as_array().unwrap().len(), 1, "{f}");
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            2,
            "one MP4 and its sidecar"
        );
    }
}

#[test]
fn an_item_given_twice_is_fetched_once() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("c.mp4");
    tone_clip(&clip, 160, 90, 25, 1.0, "red", None);
    let (base, requests) = query_server(vec![std::fs::read(&clip).unwrap()]);
    let url = format!("{base}/download?id=0&token=tok-secret-4242");
    let out = dir.path().join("o");
    let run = cutroom(&["fetch", &url, &url, "-o", s(&out), "--json"]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(
        err.contains(&format!("{base}/download?... (query sha256 "))
            && err.contains("is given more than once; it is fetched once")
            && !err.contains("tok-secret"),
        "{err}"
    );
    let f: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(f["fetched"].as_array().unwrap().len(), 1, "{f}");
    assert_eq!(
        sha256sum(Path::new(
            f["fetched"][0]["files"]["video"]["path"].as_str().unwrap()
        )),
        sha256sum(&clip)
    );
    assert_eq!(requests.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A shot list naming no model is checked against the default model's sizes before any
/// request; the refusal lists the sizes, names --allow-any and says which model was assumed.
#[test]
fn a_size_refused_for_the_assumed_model_says_it_was_assumed() {
    let emu = Emulator::start(&[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 4));
    let run = emu.cutroom(
        &["render", s(&list), "-o", s(&dir.path().join("o"))],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_ne!(run.status.code(), Some(0), "{err}");
    for said in [
        "size \"160x90\" is not available for sora-2; expected one of 720x1280, 1280x720",
        "use --allow-any if your provider accepts it",
        "no model was given, so sora-2 is assumed: name yours with `model`",
    ] {
        assert!(err.contains(said), "{said:?} in {err}");
    }
    assert_eq!(stat(&emu, "requests"), 0);
}

/// Replicate and fal put the model's name in the create's path: a name without its owner
/// (the default sora-2 too) is refused before any request, saying the form, not sent to come
/// back as "Unknown request URL".
#[test]
fn a_model_name_without_its_owner_is_refused_where_the_path_needs_one() {
    for (flavor, form) in [("replicate", "owner/name"), ("fal", "owner/app")] {
        let emu = quick_emulator(&["--flavor", flavor]);
        let dir = tempfile::tempdir().unwrap();
        for (model, assumed) in [("", true), ("model = \"veo-3\"\n", false)] {
            let list = write_shots(dir.path(), &format!("{model}{}", shots(1, "720x1280", 4)));
            let out = dir.path().join("o");
            let args = ["render", s(&list), "-o", s(&out), "--provider", flavor];
            let run = emu.cutroom(&args, "k");
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(1), "{flavor} {model}: {err}");
            assert!(!err.contains("--allow-any"), "no use here: {err}");
            assert!(
                err.contains(&format!("{flavor} names its models {form}")),
                "{err}"
            );
            assert_eq!(err.contains("sora-2 is assumed"), assumed, "{err}");
            assert!(!out.exists(), "{flavor}: {err}");
        }
        assert_eq!(stat(&emu, "requests"), 0, "{flavor}");
    }
}

/// Pointed at a service of another dialect without --provider, cutroom speaks OpenAI's; the
/// refusal it gets back says so and names --provider (OpenRouter told by its `/api/v1`
/// layout), and nothing is switched unasked.
/// A video the OpenAI-shaped service says it does not have (`video_not_found`) is just that:
/// deleting or remixing it says so without hinting that the service speaks another dialect.
#[test]
fn a_missing_video_on_an_openai_service_hints_no_other_dialect() {
    let emu = Emulator::start(&["--allow-any"], &[]);
    for args in [
        vec!["videos", "delete", "video_gone"],
        vec!["videos", "remix", "video_gone", "--prompt", "at night"],
    ] {
        let run = emu.cutroom(&args, "sk-test");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("HTTP 404") && err.contains("video_not_found"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("--provider"), "{args:?}: {err}");
    }
    // A base URL without its /v1: every request is "not found", which says so.
    let root = emu.base_url.strip_suffix("/v1").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "1280x720", 4));
    let out = dir.path().join("o");
    let fix = format!("the base URL's path has no /v1, under which openai services answer: try --base-url {root}/v1");
    for args in [
        vec!["videos", "show", "video_gone"],
        vec!["videos", "list"],
        vec!["render", s(&list), "-o", s(&out), "--allow-any"],
    ] {
        let run = emu.cutroom(&[&args[..], &["--base-url", root]].concat(), "sk-test");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&fix), "{args:?}: {err}");
    }
    assert_eq!(stat(&emu, "jobs_created"), 0);
}

#[test]
fn another_dialects_refusal_names_provider() {
    for (flavor, said) in [
        (
            "openrouter",
            "this looks like OpenRouter's API: pass --provider openrouter",
        ),
        (
            "fal",
            "name it with --provider openrouter, fal or replicate",
        ),
    ] {
        let emu = Emulator::start(&["--flavor", flavor, "--allow-any"], &[]);
        let dir = tempfile::tempdir().unwrap();
        let list = write_shots(dir.path(), &shots(1, "1280x720", 4));
        let out = dir.path().join("o");
        for args in [
            vec!["render", s(&list), "-o", s(&out), "--allow-any"],
            vec!["videos", "list"],
        ] {
            let run = emu.cutroom(&args, "sk-test");
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(1), "{flavor} {args:?}: {err}");
            assert!(
                err.contains("the request went in the OpenAI shape") && err.contains(said),
                "{flavor} {args:?}: {err}"
            );
        }
        assert_eq!(stat(&emu, "jobs_created"), 0, "{flavor}");
    }
}

/// `assemble` with two url shots differing only in their query (a token): each shot gets its
/// own clip, and no file of the output directory, nor the report, holds the token.
#[test]
fn assemble_keeps_a_url_shots_token_out_of_its_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let clips: Vec<Vec<u8>> = ["red", "blue"]
        .iter()
        .map(|c| {
            let p = dir.path().join(format!("{c}.mp4"));
            tone_clip(&p, 160, 90, 25, 1.0, c, Some(0.3));
            std::fs::read(&p).unwrap()
        })
        .collect();
    let (base, _) = query_server(clips);
    let secret = "tok-secret-5150";
    let spec = dir.path().join("cut.toml");
    let mut text = String::from("outputs = [\"square\"]\n");
    for i in 0..2 {
        text += &format!("[[shot]]\nurl = \"{base}/download?id={i}&token={secret}\"\n");
    }
    std::fs::write(&spec, text).unwrap();
    let out = dir.path().join("out");
    let report = assemble_json(&spec, &out);
    let inputs = report["inputs"].as_array().unwrap();
    assert_ne!(inputs[0]["file"], inputs[1]["file"], "{report}");
    assert_ne!(inputs[0]["source"], inputs[1]["source"], "{report}");
    assert!(!report.to_string().contains(secret), "{report}");
    let mut seen = 0;
    let mut dirs = vec![out.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                    "{}",
                    p.display()
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 3, "{seen} files");
}

/// A file in the output directory that no sidecar of the same source records (a user's own
/// clip, or a JSON of theirs where a sidecar would go) is never replaced: a video id is refused
/// naming it, a URL takes another name; a video id and a URL ending in its name, fetched at
/// once, keep a file each.
#[test]
fn a_file_of_the_users_in_the_way_is_never_replaced() {
    let emu = quick_emulator(&["--flavor", "replicate"]);
    let dir = tempfile::tempdir().unwrap();
    let model = "model = \"google/veo-3.1-fast\"\n";
    let list = write_shots(dir.path(), &format!("{model}{}", shots(1, "160x90", 1)));
    let with = ["--provider", "replicate", "--allow-any", "--json"];
    let renders = dir.path().join("r");
    let r = emu.cutroom_json(&[&["render", s(&list), "-o", s(&renders)][..], &with].concat());
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();
    let sha = r["shots"][0]["sha256"].as_str().unwrap().to_string();
    let url = format!("{}/files/{id}.mp4", emu.base_url.trim_end_matches("/v1"));
    let fetch = |items: &[&str], out: &Path| {
        let args = [
            &["fetch"][..],
            items,
            &["-o", s(out), "--provider", "replicate", "--json"],
        ];
        emu.cutroom(&args.concat(), "k")
    };

    for own in [format!("{id}.mp4"), format!("{id}.json")] {
        let out = dir.path().join(format!("own-{own}"));
        std::fs::create_dir(&out).unwrap();
        let mine = out.join(&own);
        std::fs::write(&mine, b"the user's own notes").unwrap();
        let run = fetch(&[&id], &out);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{own}: {err}");
        assert!(
            err.contains(&format!("{}: ", mine.display())),
            "{own}: {err}"
        );
        assert_eq!(
            std::fs::read(&mine).unwrap(),
            b"the user's own notes",
            "{own}"
        );
        assert_eq!(
            std::fs::read_dir(&out).unwrap().count(),
            1,
            "{own}: nothing else written"
        );
        // A URL ending in that name takes another one.
        let run = fetch(&[&url], &out);
        assert!(
            run.status.success(),
            "{own}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let f: Value = serde_json::from_slice(&run.stdout).unwrap();
        let got = Path::new(f["fetched"][0]["files"]["video"]["path"].as_str().unwrap());
        assert_ne!(got, out.join(format!("{id}.mp4")), "{own}: {f}");
        assert_eq!(sha256sum(got), sha, "{own}");
        assert_eq!(
            std::fs::read(&mine).unwrap(),
            b"the user's own notes",
            "{own}"
        );
    }

    for run in ["first", "again"] {
        let out = dir.path().join("both");
        let run_ = fetch(&[&url, &id], &out);
        assert!(
            run_.status.success(),
            "{run}: {}",
            String::from_utf8_lossy(&run_.stderr)
        );
        let f: Value = serde_json::from_slice(&run_.stdout).unwrap();
        let paths: Vec<PathBuf> = (0..2)
            .map(|i| PathBuf::from(f["fetched"][i]["files"]["video"]["path"].as_str().unwrap()))
            .collect();
        assert_eq!(paths[1], out.join(format!("{id}.mp4")), "{run}: {f}");
        assert_ne!(paths[0], paths[1], "{run}: {f}");
        for (p, source) in paths
            .iter()
            .zip([f["fetched"][0]["source"].clone(), id.clone().into()])
        {
            assert_eq!(sha256sum(p), sha, "{run}");
            let side: Value =
                serde_json::from_slice(&std::fs::read(p.with_extension("json")).unwrap()).unwrap();
            assert_eq!(side["source"], source, "{run}: {}", p.display());
        }
        assert_eq!(f["fetched"][1]["cached"], run == "again", "{run}: {f}");
    }
}

/// `fetch` reports the variants asked for, not every one its cache holds, and says of each
/// file whether this run downloaded it.
#[test]
fn fetch_reports_the_variants_asked_for() {
    let emu = quick_emulator(&[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("r");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--allow-any", "--json"]);
    let id = r["shots"][0]["id"].as_str().unwrap();
    emu.cutroom_json(&["fetch", id, "-o", s(&out), "--spritesheet", "--json"]);

    let table = emu.cutroom(&["fetch", id, "-o", s(&out), "--thumbnail"], "k");
    assert!(table.status.success());
    let table = String::from_utf8_lossy(&table.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "the video and its thumbnail:\n{table}");
    assert!(
        lines[0].starts_with(&format!("cached {}", s(&out.join(format!("{id}.mp4"))))),
        "{table}"
    );
    assert!(
        lines[1].starts_with("fetched ") && lines[1].contains(".thumbnail."),
        "{table}"
    );

    let f = emu.cutroom_json(&["fetch", id, "-o", s(&out), "--thumbnail", "--json"]);
    let files = f["fetched"][0]["files"].as_object().unwrap();
    let got: Vec<&String> = files.keys().collect();
    assert_eq!(got, ["video", "thumbnail"], "{f}");
    assert_eq!(f["fetched"][0]["cached"], true, "{f}");
    assert!(files.values().all(|v| v["transfer_s"].is_null()), "{f}");
}

/// A `fetch` or `render` that fails removes the output directory it made (with the parents it
/// made), never one that was there before, even empty.
#[test]
fn a_failed_fetch_removes_only_the_directories_it_made() {
    let emu = quick_emulator(&["--fail-jobs", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("new").join("deeper");
    let kept = dir.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    for out in [&fresh, &kept] {
        let run = emu.cutroom(&["fetch", "video_missing", "-o", s(out)], "sk-test");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(err.contains("not found"), "{err}");
    }
    assert!(
        !dir.path().join("new").exists(),
        "a failed fetch left its directory"
    );
    assert_eq!(std::fs::read_dir(&kept).unwrap().count(), 0);
    // A render whose every job fails downloads nothing: no directory either.
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let run = emu.cutroom(
        &["render", s(&list), "-o", s(&fresh), "--allow-any"],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        !dir.path().join("new").exists(),
        "a failed render left its directory"
    );
    assert!(kept.is_dir());
}

/// A download that broke off is kept beside its target (`.ID.video.part`, hidden), and the next
/// run asks only for the rest (`Range`, with the emulator's `ETag` in `If-Range`): the file is
/// byte for byte the render, and nothing is left but it and its sidecar. A kept download whose
/// server no longer proves it unchanged (another `ETag`: here another emulator) is fetched whole.
#[test]
fn a_download_cut_short_resumes_on_the_next_run() {
    let emu = quick_emulator(&["--drop-downloads", "--noise", "20"]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "640x360", 2));
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&dir.path().join("a")),
        "--allow-any",
        "--json",
    ]);
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();
    let source = PathBuf::from(r["shots"][0]["file"].as_str().unwrap());
    let len = std::fs::metadata(&source).unwrap().len();
    let out = dir.path().join("b");
    let kept = out.join(format!(".{id}.video.part"));
    let served = || stat(&emu, "bytes_served");

    let before = served();
    let run = emu.cutroom(&["fetch", &id, "-o", s(&out), "--retries", "0"], "sk-test");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("download broke off once"), "{err}");
    let half = std::fs::metadata(&kept).map(|m| m.len()).unwrap_or(0);
    assert_eq!(half, len / 2, "the first half is kept: {err}");
    assert_eq!(served() - before, len / 2);
    assert!(!out.join(format!("{id}.mp4")).exists());

    let before = served();
    let run = emu.cutroom(
        &["fetch", &id, "-o", s(&out), "--retries", "0", "-v"],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(err.contains(&format!("resuming at byte {half}")), "{err}");
    assert_eq!(served() - before, len - half, "only the rest was fetched");
    assert_eq!(
        sha256sum(&out.join(format!("{id}.mp4"))),
        sha256sum(&source)
    );
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [format!("{id}.json"), format!("{id}.mp4")]);

    // A kept download the server no longer vouches for (its meta names another ETag, as when
    // the file changed there) is asked for whole: a 200 from byte 0, cut again by the
    // emulator, kept again under the new ETag, and the run after that completes it.
    let url = format!("{}/videos/{id}/content", emu.base_url);
    let cut = dir.path().join("c");
    let fetch = |v: &str| {
        emu.cutroom(
            &["fetch", &url, "-o", s(&cut), "--retries", "0", v],
            "sk-test",
        )
    };
    assert_eq!(fetch("-q").status.code(), Some(1));
    let meta = cut.join(".content.video.part.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    let etag = m["validator"].clone();
    m["validator"] = "\"changed\"".into();
    std::fs::write(&meta, m.to_string()).unwrap();
    let before = served();
    let run = fetch("-v");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(err.contains("sent the whole file"), "{err}");
    assert_eq!(
        served() - before,
        len / 2,
        "a whole answer, cut at half again"
    );
    let m: Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    assert_eq!(m["validator"], etag);
    let run = fetch("-q");
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(sha256sum(&cut.join("content.mp4")), sha256sum(&source));
}

/// A download that stalls half way (the emulator's `--stall-downloads`: the connection open,
/// nothing more sent) ends after `--idle-timeout` of silence, resumed in the same run, or with
/// one clear error that keeps the bytes for the next run; so does a run that `--timeout` ends
/// in the middle of the transfer: what it fetched is kept, and the next run asks only for the
/// rest. A run a signal ends there says that it keeps them, and how to resume.
#[test]
fn a_stalled_download_times_out_and_keeps_its_bytes() {
    let emu = quick_emulator(&["--stall-downloads"]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "320x180", 1));
    // Stalled, then resumed at once after 300 ms of silence.
    let r = emu.cutroom_json(&[
        "render",
        s(&list),
        "-o",
        s(&dir.path().join("a")),
        "--allow-any",
        "--idle-timeout",
        "300ms",
        "--json",
    ]);
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();
    let source = PathBuf::from(r["shots"][0]["file"].as_str().unwrap());
    let len = std::fs::metadata(&source).unwrap().len();
    let served = || stat(&emu, "bytes_served");

    let cases: [(&str, &str, &[&str]); 2] = [
        (
            "b",
            "--idle-timeout=300ms",
            &[
                "broke off once, last at byte",
                "no data for 0.3 s (--idle-timeout)",
            ],
        ),
        (
            "c",
            "--timeout=1s",
            &["gave up after 1 s (--timeout); rerun to resume"],
        ),
    ];
    for (out, limit, said) in cases {
        let out = dir.path().join(out);
        let kept = out.join(format!(".{id}.video.part"));
        let before = served();
        let run = emu.cutroom(
            &["fetch", &id, "-o", s(&out), "--retries=0", limit],
            "sk-test",
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(said.iter().all(|w| err.contains(w)), "{limit}: {err}");
        assert_eq!(served() - before, len / 2);
        let half = std::fs::metadata(&kept).map(|m| m.len()).unwrap_or(0);
        assert_eq!(half, len / 2, "{limit}: the first half is kept: {err}");
        assert!(!out.join(format!("{id}.mp4")).exists());

        let before = served();
        let run = emu.cutroom(&["fetch", &id, "-o", s(&out), "-v"], "sk-test");
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{err}");
        assert!(err.contains(&format!("resuming at byte {half}")), "{err}");
        assert_eq!(served() - before, len - half, "only the rest was fetched");
        assert_eq!(
            sha256sum(&out.join(format!("{id}.mp4"))),
            sha256sum(&source)
        );
        assert!(!kept.exists());
    }

    // SIGTERM in the middle of the transfer (as Ctrl-C): the kept bytes are said, with the way
    // on, where the run ended without a word.
    let out = dir.path().join("d");
    let kept = out.join(format!(".{id}.video.part"));
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["fetch", &id, "-o", s(&out)])
        .env(emu.base_var(), &emu.base_url)
        .env("OPENAI_API_KEY", "sk-test")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !out.join(format!(".{id}.video.part.json")).exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "no download kept");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(143), "{err}");
    assert!(
        err.contains(&format!(
            "interrupted: what was written of a download is kept in {}; rerun the same command \
             to resume it",
            kept.display()
        )),
        "{err}"
    );
    assert!(kept.exists(), "{err}");
}

/// A download that trickles (the emulator's `--trickle-downloads`: a byte every 0.5 s after
/// half the file, never silent for `--idle-timeout`) counts as stalled once it comes slower
/// than `--min-speed` over `--min-speed-time`: resumed in the same run, or past `--retries`
/// one clear error that keeps the bytes for the next run.
#[test]
fn a_trickling_download_is_stalled_by_the_speed_floor() {
    let emu = quick_emulator(&["--trickle-downloads"]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "320x180", 1));
    let floor = [
        "--min-speed",
        "1K",
        "--min-speed-time",
        "1s",
        "--timeout",
        "20s",
    ];
    let t0 = Instant::now();
    let a = dir.path().join("a");
    let run = emu.cutroom(
        &[
            &[
                "render",
                s(&list),
                "-o",
                s(&a),
                "--allow-any",
                "--json",
                "-v",
            ],
            &floor[..],
        ]
        .concat(),
        "sk-test",
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    // Half the file, then a byte every 0.5 s: without the floor it would take an hour.
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert!(
        err.contains("bytes in 1 s, under --min-speed 1024 bytes/s") && err.contains("resuming"),
        "{err}"
    );
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let id = r["shots"][0]["id"].as_str().unwrap().to_string();
    let len = std::fs::metadata(r["shots"][0]["file"].as_str().unwrap())
        .unwrap()
        .len();

    let b = dir.path().join("b");
    let run = emu.cutroom(
        &[&["fetch", &id, "-o", s(&b), "--retries=0"], &floor[..]].concat(),
        "sk-test",
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("broke off once, last at byte") && err.contains("under --min-speed"),
        "{err}"
    );
    let kept = std::fs::metadata(b.join(format!(".{id}.video.part"))).unwrap();
    assert!(kept.len() >= len / 2, "the bytes are kept: {err}");
    assert!(!b.join(format!("{id}.mp4")).exists());
}

/// A server on 127.0.0.1 answering each request with `reply(head)` (the request line and
/// headers), a whole HTTP answer, then closing the connection.
fn scripted_server(reply: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let reply = Arc::new(reply);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let reply = reply.clone();
            std::thread::spawn(move || -> std::io::Result<()> {
                let mut r = BufReader::new(conn);
                let (mut head, mut line) = (String::new(), String::new());
                while r.read_line(&mut line)? > 0 && line != "\r\n" {
                    head.push_str(&line);
                    line.clear();
                }
                let w = r.get_mut();
                w.write_all(&reply(&head))?;
                w.flush()
            });
        }
    });
    base
}

/// A server on 127.0.0.1 for one job, `video_1`: its create answers `job("queued")`, its
/// lookup `job("completed")` and its content the committed marker clip.
fn one_job_server(job: impl Fn(&str) -> String + Send + Sync + 'static) -> String {
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    scripted_server(move |head| match head.split(' ').nth(1).unwrap_or("") {
        "/v1/videos" => answer("200 OK", "application/json", job("queued").as_bytes()),
        "/v1/videos/video_1" => answer("200 OK", "application/json", job("completed").as_bytes()),
        "/v1/videos/video_1/content?variant=video" => answer("200 OK", "video/mp4", &clip),
        _ => answer("404 Not Found", "text/plain", b""),
    })
}

/// An HTTP answer with `status`, `ctype` and `body`.
fn answer(status: &str, ctype: &str, body: &[u8]) -> Vec<u8> {
    let mut a = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\n\
         openai-poll-after-ms: 50\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    a.extend_from_slice(body);
    a
}

/// A job `render` holds (its create answered) whose lookups are rate-limited (429) past their
/// retries is waited out, never given up: first after its create, then as its file is
/// fetched; `fetch ID` waits out a rate-limited first lookup too.
#[test]
fn a_rate_limited_lookup_of_a_job_held_is_waited_out() {
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = lookups.clone();
    let job = |status: &str| {
        format!(
            r#"{{"id": "video_1", "object": "video", "status": "{status}", "model": "m", "seconds": "1", "size": "160x90"}}"#
        )
    };
    let base = scripted_server(move |head| match head.split(' ').nth(1).unwrap_or("") {
        "/v1/videos" => answer("200 OK", "application/json", job("queued").as_bytes()),
        "/v1/videos/video_1" => {
            // Lookups 1-2 and 4-5 are turned away; 3 and from 6 on answer the finished job.
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            match n {
                0 | 1 | 3 | 4 => "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 50\r\n\
                                  content-length: 0\r\nconnection: close\r\n\r\n"
                    .as_bytes()
                    .to_vec(),
                _ => answer("200 OK", "application/json", job("completed").as_bytes()),
            }
        }
        "/v1/videos/video_1/content?variant=video" => answer("200 OK", "video/mp4", &clip),
        _ => answer("404 Not Found", "text/plain", b""),
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &[
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--retries",
            "0",
        ],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    assert!(out.join("video_1.mp4").exists(), "{err}");
    assert!(
        err.contains("HTTP 429") && err.contains("is looked at again"),
        "{err}"
    );
    assert!(lookups.load(std::sync::atomic::Ordering::SeqCst) >= 6);
    // `fetch ID`: its first lookup rate-limited (lookups 1-2 again).
    lookups.store(0, std::sync::atomic::Ordering::SeqCst);
    let other = dir.path().join("f");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &["fetch", "video_1", "-o", s(&other), "--retries", "0", "-q"],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(other.join("video_1.mp4").exists());
}

/// No shots, downloads or variants at once is refused as the command line is read (it was
/// taken for 1, silently), and nothing is made.
#[test]
fn none_at_once_is_refused_as_the_command_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = s(&out);
    for (args, flag) in [
        (
            vec!["fetch", "video_1", "-o", o, "--concurrency", "0"],
            "--concurrency <N>",
        ),
        (
            vec!["render", "shots.toml", "-o", o, "--concurrency", "0"],
            "--concurrency <N>",
        ),
        (
            vec![
                "batch",
                "cut.toml",
                "--variants",
                "v.csv",
                "-o",
                o,
                "-j",
                "0",
            ],
            "--jobs <N>",
        ),
    ] {
        let run = cutroom(&args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("invalid value '0' for '{flag}'")),
            "{err}"
        );
        assert!(!out.exists());
    }
}

/// A lookup of one job answered with another job (a relay mixing up its jobs) is refused:
/// its status is not this job's, and its content would be another render saved under this
/// job's name.
#[test]
fn an_answer_about_another_job_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let clip = |c: &str| {
        let p = dir.path().join(format!("{c}.mp4"));
        tone_clip(&p, 160, 90, 25, 1.0, c, None);
        std::fs::read(&p).unwrap()
    };
    let (ours, theirs) = (clip("red"), clip("blue"));
    let lookups = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = lookups.clone();
    let base = scripted_server(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("");
        match path.split('?').next().unwrap_or("") {
            "/v1/videos/video_ours" => {
                // Rendering, then done: each time about the other job.
                let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let status = ["in_progress", "completed"][n.min(1)];
                let job =
                    format!(r#"{{"id": "video_theirs", "object": "video", "status": "{status}"}}"#);
                answer("200 OK", "application/json", job.as_bytes())
            }
            "/v1/videos/video_ours/content" => answer("200 OK", "video/mp4", &ours),
            "/v1/videos/video_theirs/content" => answer("200 OK", "video/mp4", &theirs),
            _ => answer("404 Not Found", "text/plain", b""),
        }
    });
    let out = dir.path().join("got");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &["fetch", "video_ours", "-o", s(&out), "--retries", "0"],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is about job \"video_theirs\", not \"video_ours\""),
        "{err}"
    );
    assert!(!out.join("video_ours.mp4").exists(), "{err}");
    assert!(lookups.load(std::sync::atomic::Ordering::SeqCst) >= 1);
}

/// A provider whose clock runs behind ours (here 2 h) names an `expires_at` already past by
/// ours for a render it still serves: the render is downloaded, not called gone (which would
/// have the user pay for it again); only the download's refusal says it expired.
#[test]
fn an_expiry_past_by_our_clock_alone_does_not_lose_a_render() {
    let base = one_job_server(move |status| {
        let then = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            - 7200;
        format!(
            r#"{{"id": "video_1", "object": "video", "status": "{status}",
            "created_at": {then}, "completed_at": {then}, "expires_at": {}}}"#,
            then + 3600
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &["render", s(&list), "-o", s(&out), "--allow-any"],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert!(out.join("video_1.mp4").is_file());
}

/// A relay whose content URL answers 404 for a finished job that names its video at a link
/// of its own (`video_url`, as relays give) had the render called gone, and `render` advised
/// rendering it again (`--resolve 'shot-1=new'`: a second, billed job); now the link is
/// downloaded. A link the origin policy refuses (the cloud metadata address) is said to hold
/// the render, with no new render advised.
#[test]
fn a_relays_missing_content_is_fetched_from_the_link_its_job_names() {
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    let link = Arc::new(Mutex::new(String::new()));
    let (named, served) = (link.clone(), clip.clone());
    let base = scripted_server(move |head| {
        let job = |status: &str| {
            let url = named.lock().unwrap();
            format!(r#"{{"id": "video_1", "status": "{status}", "video_url": "{url}"}}"#)
        };
        match head.split(' ').nth(1).unwrap_or("") {
            "/v1/videos" => answer("200 OK", "application/json", job("queued").as_bytes()),
            "/v1/videos/video_1" => answer("200 OK", "application/json", job("done").as_bytes()),
            "/files/r.mp4" => answer("200 OK", "video/mp4", &served),
            _ => answer(
                "404 Not Found",
                "application/json",
                br#"{"error": "not found"}"#,
            ),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "640x360", 6));
    let render = |out: &str| {
        let out = dir.path().join(out);
        let args = ["render", s(&list), "-o", s(&out), "--allow-any", "--json"];
        run_against(&format!("{base}/v1"), &args).0
    };
    *link.lock().unwrap() = format!("{base}/files/r.mp4");
    let run = render("ok");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    let file = r["shots"][0]["file"].as_str().unwrap();
    assert_eq!(std::fs::read(file).unwrap(), clip, "{r}");
    std::fs::remove_file(dir.path().join("shots.state.json")).unwrap();
    *link.lock().unwrap() = "http://169.254.169.254/latest/r.mp4".into();
    let run = render("refused");
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    for want in [
        "job video_1 finished and its render exists, but GET http://127.0.0.1:",
        "/v1/videos/video_1/content?... answered 404 and the link the job names is not \
         followed: job video_1: video URL http://169.254.169.254/latest/r.mp4: ",
        "no new render is needed",
    ] {
        assert!(err.contains(want), "no {want:?} in {err}");
    }
    assert!(
        !err.contains("billed again") && !err.contains("--resolve"),
        "{err}"
    );
}

/// A create answered 200 with a job cutroom cannot use (its id holding NUL, or no id) was
/// taken for a lost answer: looked up, not found, and sent again, once a second, each one a
/// job made and billed (3 creates in 5 s, 9 by --retries). Now the shot stops at the first,
/// kept pending, and a rerun creates nothing until --resolve settles it.
#[test]
fn a_create_answered_with_a_job_cutroom_cannot_use_is_never_sent_again() {
    for answer_job in [
        r#"{"id": "a\u0000b", "status": "queued"}"#,
        r#"{"status": "queued"}"#,
        // An id no URL can name (it was recorded, then every lookup refused it as a user's
        // typo: "\"..\" is not a video id").
        r#"{"id": "..", "status": "queued"}"#,
    ] {
        let creates = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = creates.clone();
        let base = scripted_server(move |head| {
            if !head.starts_with("POST ") {
                let list = br#"{"object": "list", "data": [], "has_more": false}"#;
                return answer("200 OK", "application/json", list);
            }
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answer("200 OK", "application/json", answer_job.as_bytes())
        });
        let dir = tempfile::tempdir().unwrap();
        let list = write_shots(dir.path(), &shots(1, "160x90", 1));
        let out = dir.path().join("o");
        let args = [
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--timeout",
            "20s",
        ];
        for run in 0..2 {
            let (o, _) = run_against(&format!("{base}/v1"), &args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{answer_job} {run}: {err}");
            for want in [
                "the service accepted the create, so a job was made (and may be billed) that \
                 cutroom cannot follow: it is not created again",
                "--resolve 'shot-1=new' to create it again",
            ] {
                assert!(
                    err.contains(want),
                    "{answer_job} {run}: no {want:?} in {err}"
                );
            }
            if run == 0 && answer_job.contains(r#""..""#) {
                assert!(err.contains(r#"the answer names job "..", an id"#), "{err}");
            }
            let sent = creates.load(std::sync::atomic::Ordering::SeqCst);
            assert_eq!(sent, 1, "{answer_job} {run}: {err}");
        }
        let state = std::fs::read_to_string(dir.path().join("shots.state.json")).unwrap();
        let state: Value = serde_json::from_str(&state).unwrap();
        let job = state["jobs"].as_object().unwrap().values().next().unwrap();
        assert!(job["id"].is_null() && job["accepted"] == true, "{state}");
    }
}

/// A relay giving its job's figures as text (`"seconds": 1`, `"progress": "100"`, `usage` with
/// `"cost": "0.37"` and `"duration_seconds": "1"`, nulls beside them): the cost is the
/// provider's figure, not the catalog's estimate. A render unlike the job is warned of by
/// `render`, `fetch` and `assemble` alike.
#[test]
fn figures_a_relay_gives_as_text_are_read_as_figures() {
    // As sent, and inside the `{"data": ...}` a gateway wraps its answers in (read as it
    // stood, the job had no id at create and no status after: waited for until --timeout).
    for wrapped in [false, true] {
        let base = one_job_server(move |status| {
            let job = format!(
                r#"{{"id": "video_1", "object": "video", "status": "{status}", "seconds": 1,
                "progress": "100", "size": null, "created_at": null, "error": null,
                "usage": {{"cost": "0.37", "duration_seconds": "1", "note": null}}}}"#
            );
            match wrapped {
                true => format!(r#"{{"data": {job}, "success": true}}"#),
                false => job,
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let list = write_shots(dir.path(), &shots(1, "160x90", 1));
        let out = dir.path().join("o");
        let (run, _) = run_against(
            &format!("{base}/v1"),
            &[
                "render",
                s(&list),
                "-o",
                s(&out),
                "--allow-any",
                "--json",
                "--timeout",
                "20s",
            ],
        );
        assert_eq!(run.status.code(), Some(0), "{wrapped}: {run:?}");
        let r: Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(r["shots"][0]["id"], "video_1", "{r}");
        assert_eq!(r["shots"][0]["cost_usd"], 0.37, "{r}");
        assert_eq!(r["shots"][0]["cost_estimated"], false, "{r}");
        assert_eq!(r["shots"][0]["seconds_billed"], 1.0, "{r}");
        assert_eq!(r["cost"]["total_usd"], 0.37, "{r}");
        // The clip served (6 s of 640x360) is not the render asked for (1 s of 160x90): kept,
        // as billed, and said.
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            err.contains(
                "warning: shot \"shot-1\": the render of job video_1 is 6.00 s long where 1 s \
                 were asked for, and 640x360 where 160x90 was asked for: kept as the provider \
                 made (and billed) it"
            ),
            "{err}"
        );
        // So does `fetch` of the job, held to the job's own figures (its size is null).
        let (run, _) = run_against(
            &format!("{base}/v1"),
            &["fetch", "video_1", "-o", s(&dir.path().join("f"))],
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{wrapped}: {err}");
        assert!(
            err.contains(&format!(
                "warning: video video_1: its render is 6.00 s long where 1 s were asked for: \
                 kept as the provider made (and billed) it; look at {} before using it",
                dir.path().join("f").join("video_1.mp4").display()
            )) && !err.contains("where null"),
            "{err}"
        );
        if wrapped {
            continue;
        }
        // And `assemble` of a shot naming the job (it said nothing), naming its spec's shot.
        let d = dir.path();
        std::fs::write(
            d.join("p.toml"),
            "[sq]\nbase = \"square\"\nwidth = 96\nheight = 96\n",
        )
        .unwrap();
        let spec = d.join("cut.toml");
        std::fs::write(
            &spec,
            "name = \"c\"\noutputs = [\"sq\"]\npresets = \"p.toml\"\n[[shot]]\nvideo_id = \"video_1\"\n",
        )
        .unwrap();
        let (run, _) = run_against(
            &format!("{base}/v1"),
            &["assemble", s(&spec), "-o", s(&d.join("a")), "-q"],
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{err}");
        assert!(
            err.contains(&format!(
                "warning: {}: shot 1: video video_1: its render is 6.00 s long where 1 s were \
                 asked for: kept as the provider made (and billed) it",
                spec.display()
            )),
            "{err}"
        );
    }
}

/// A job whose status is no word cutroom knows (a final state under another name, or none
/// beside an error) was waited for, silently with -q, until --timeout, which said to raise it;
/// now it is one error at once naming the field and its value, the job kept for a rerun that
/// creates nothing. Gateways' words (Kling's `succeed`, a `progress` of `"45%"`) are read. A
/// job queued for ever is given up at --timeout, saying so (it said "raise --timeout" only).
#[test]
fn a_status_cutroom_does_not_know_is_said_not_waited_for() {
    let creates = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let made = creates.clone();
    let word = Arc::new(Mutex::new("thinking"));
    let said = word.clone();
    let base = scripted_server(move |head| {
        let job = |status: &str| {
            let job = format!(r#"{{"id": "video_1", "object": "video", "status": "{status}"}}"#);
            answer("200 OK", "application/json", job.as_bytes())
        };
        match head.split(' ').take(2).collect::<Vec<_>>()[..] {
            ["POST", "/v1/videos"] => {
                made.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                job("queued")
            }
            ["GET", "/v1/videos/video_1"] => job(&said.lock().unwrap()),
            _ => answer("404 Not Found", "text/plain", b""),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let state = dir.path().join("shots.state.json");
    let out = dir.path().join("o");
    for run in ["fetch", "render", "render again"] {
        let args: &[&str] = match run {
            "fetch" => &["fetch", "video_1", "-o", s(&out)],
            _ => &["render", s(&list), "-o", s(&out), "--allow-any"],
        };
        let (o, took) = run_against(
            &format!("{base}/v1"),
            &[args, &["-q", "--timeout", "30s"]].concat(),
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{run}: {err}");
        assert!(took < Duration::from_secs(15), "{run}: {took:?} {err}");
        assert!(
            err.contains(
                "job video_1 answers \"status\": \"thinking\", a word cutroom does not know: \
                 not waited for, as it may never change; the job is kept: rerun the same \
                 command to look at it again (no new job is created)"
            ),
            "{run}: {err}"
        );
        if run != "fetch" {
            assert_eq!(recorded_ids(&state), ["video_1"], "{run}: {err}");
        }
    }
    // A job queued for ever: --timeout ends the wait, saying the job is kept for a rerun.
    *word.lock().unwrap() = "queued";
    let (o, _) = run_against(
        &format!("{base}/v1"),
        &[
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--timeout",
            "1s",
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "gave up waiting for video video_1 after 1 s (--timeout): still queued at 0%; the \
             job is kept: rerun the same command to look at it again (no new job is created), \
             with a longer --timeout if need be"
        ),
        "{err}"
    );
    assert_eq!(recorded_ids(&state), ["video_1"], "{err}");
    assert_eq!(creates.load(std::sync::atomic::Ordering::SeqCst), 1);
    let v: cutroom::fetch::Video =
        serde_json::from_str(r#"{"id": "v", "status": "succeed", "progress": "45%"}"#).unwrap();
    assert_eq!(v.percent(), 45);
    assert_eq!(v.status.phase(), cutroom::fetch::Phase::Done);
}

/// An API whose clock runs 15 min behind ours (its `created_at` and `Date` alike) and whose
/// create makes the job, then answers 500: the lookup reads the job's time in the API's clock
/// (by its answer's `Date`) and finds it, so the shot is not created (and billed) again.
#[test]
fn a_lookup_reads_job_times_in_the_apis_clock() {
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    let creates = Arc::new(Mutex::new(0));
    let made = creates.clone();
    let base = scripted_server(move |head| {
        let then = std::time::SystemTime::now() - Duration::from_secs(900);
        let dated = |status: &str, body: &str| {
            let mut a = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ndate: {}\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n",
                httpdate::fmt_http_date(then),
                body.len()
            );
            a.push_str(body);
            a.into_bytes()
        };
        let secs = then
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let job = format!(
            r#"{{"id": "video_1", "object": "video", "status": "completed", "prompt": "shot number 1",
            "created_at": {secs}}}"#
        );
        match head.split(' ').nth(1).unwrap_or("") {
            "/v1/videos" => {
                *made.lock().unwrap() += 1;
                dated(
                    "500 Internal Server Error",
                    r#"{"error": {"message": "oops"}}"#,
                )
            }
            p if p.starts_with("/v1/videos?") => {
                let data = if *made.lock().unwrap() > 0 {
                    &job[..]
                } else {
                    ""
                };
                dated(
                    "200 OK",
                    &format!(r#"{{"object": "list", "data": [{data}], "has_more": false}}"#),
                )
            }
            "/v1/videos/video_1" => dated("200 OK", &job),
            "/v1/videos/video_1/content?variant=video" => answer("200 OK", "video/mp4", &clip),
            _ => answer("404 Not Found", "text/plain", b""),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &[
            "render",
            s(&list),
            "-o",
            s(&out),
            "--allow-any",
            "--retries",
            "1",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    assert_eq!(*creates.lock().unwrap(), 1, "{run:?}");
    assert!(out.join("video_1.mp4").is_file());
}

/// A service answering two creates with one job (a relay mixing its jobs up): the second
/// shot does not take the first one's render as its own; it stays pending, said so.
#[test]
fn one_job_answered_for_two_creates_is_not_taken_twice() {
    let base = one_job_server(move |status| {
        format!(r#"{{"id": "video_1", "object": "video", "status": "{status}"}}"#)
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(2, "160x90", 1));
    let out = dir.path().join("o");
    let args = ["render", s(&list), "-o", s(&out), "--allow-any", "--json"];
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &[&args[..], &["--concurrency", "1"]].concat(),
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let r: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(r["shots"][0]["id"], "video_1", "{r}");
    assert_eq!(r["shots"][0]["error"], Value::Null, "{r}");
    assert_eq!(r["shots"][1]["id"], Value::Null, "{r}");
    assert_eq!(r["shots"][1]["file"], Value::Null, "{r}");
    let e = r["shots"][1]["error"].as_str().unwrap();
    assert!(
        e.contains("its create was answered with job video_1, which shot \"shot-1\" holds or held")
            && e.contains("the shot stays pending"),
        "{e}"
    );
    assert_eq!(
        recorded_ids(&dir.path().join("shots.state.json")),
        ["video_1"]
    );
}

/// A job's lookup redirected off the API's origin is not followed (the answer there would be
/// taken for the job's status, and its file for the render), while a download may still be
/// redirected to a storage host, without the key.
#[test]
fn a_lookup_redirected_off_the_apis_origin_is_not_followed() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    let elsewhere = scripted_server(move |head| {
        log.lock().unwrap().push(head.to_string());
        match head.split(' ').nth(1).unwrap_or("") {
            "/clip.mp4" => answer("200 OK", "video/mp4", &clip),
            _ => answer(
                "200 OK",
                "application/json",
                br#"{"id": "video_1", "object": "video", "status": "completed"}"#,
            ),
        }
    });
    let to = elsewhere.clone();
    let api = scripted_server(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("");
        let target = match path.split('?').next().unwrap_or("") {
            "/v1/videos/video_1" => format!("{to}{path}"),
            _ => format!("{to}/clip.mp4"),
        };
        format!("HTTP/1.1 302 Found\r\nlocation: {target}\r\ncontent-length: 0\r\n\r\n")
            .into_bytes()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got");
    let base = format!("{api}/v1");
    let (run, _) = run_against(
        &base,
        &["fetch", "video_1", "-o", s(&out), "--retries", "0"],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "GET {base}/videos/video_1: redirected to {elsewhere}/v1/videos/video_1, off the \
             API's origin ({api}): not followed"
        )),
        "{err}"
    );
    assert!(!out.exists(), "{err}");
    let seen = asked.lock().unwrap().clone();
    assert!(
        !seen.iter().any(|h| h.contains("/v1/videos/video_1 ")),
        "{seen:?}"
    );
    // A plain download redirected there is followed, without the key.
    let url = format!("{api}/files/clip.mp4");
    let (run, _) = run_against(&base, &["fetch", &url, "-o", s(&out), "--retries", "0"]);
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let seen = asked.lock().unwrap().clone();
    assert!(
        seen.iter().any(|h| h.starts_with("GET /clip.mp4 ")),
        "{seen:?}"
    );
    assert!(
        !seen
            .iter()
            .any(|h| h.to_lowercase().contains("authorization")),
        "{seen:?}"
    );
}

/// A gateway answering 200 with an HTML maintenance page where the API's JSON is expected is
/// said as such, with the page's words, not as a JSON parser's complaint.
#[test]
fn a_web_page_where_json_is_expected_is_said_as_such() {
    let base = scripted_server(|_| {
        let page = b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head>\
            <body><h1>We'll be back soon</h1></body></html>";
        answer("200 OK", "text/html; charset=utf-8", page)
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("got");
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &["fetch", "video_1", "-o", s(&out), "--retries", "0"],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "/v1/videos/video_1: the server answered with a web page (text/html; charset=utf-8: \
             \"Down for maintenance We'll be back soon\"), not the API's JSON"
        ),
        "{err}"
    );
    assert!(!out.exists(), "{err}");
}

/// A relay answering 200 with an error envelope (`{"error": {...}}`, no job) in the place of a
/// create's job or a lookup's is that error, with its words (quoted: short, escaped): the
/// create was taken for a lost answer and sent again until --timeout (five times in 20 s),
/// the lookup for a job yet to say its status, waited for until --timeout.
#[test]
fn an_error_answered_with_200_is_said_not_waited_for() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let creates = Arc::new(AtomicUsize::new(0));
    let c = creates.clone();
    let base = scripted_server(move |head| {
        c.fetch_add(usize::from(head.starts_with("POST")), SeqCst);
        let refusal = br#"{"error": {"message": "\u001b[2JYou exceeded your quota",
            "type": "insufficient_quota"}}"#;
        answer("200 OK", "application/json", refusal)
    });
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    let said = "the service answered with an error in the place of the job: insufficient_quota: \
                \\u{1b}[2JYou exceeded your quota";
    for args in [
        vec!["render", s(&list), "-o", s(&out), "--allow-any"],
        vec!["fetch", "video_1", "-o", s(&out)],
    ] {
        let (run, took) = run_against(
            &format!("{base}/v1"),
            &[&args[..], &["--timeout", "30s"]].concat(),
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(said), "{err}");
        assert!(took < Duration::from_secs(10), "{args:?}: {took:?}");
        assert!(!out.exists(), "{err}");
    }
    assert_eq!(creates.load(SeqCst), 1, "sent once");
}

/// A create answered 500 (it may have made a job) is looked up in the job list; a list that
/// never reaches the create's time (jobs without times, pages without end) is read for 50
/// pages, not until --timeout, and the shot stops naming --resolve: the create is not sent
/// again blindly. Nor when the list's cursor comes back (a server ignoring `after` gives its
/// first page again), where the lookup ended as if nothing were found and sent the create
/// again (billed twice); and `videos list` there is an error naming the cursor, no table. The
/// shot's cost is unknown (its create may have made a job), where it read "$0.00".
#[test]
fn a_job_list_without_end_does_not_hold_a_lost_create() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    for repeats in [false, true] {
        let (creates, pages) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (c, p) = (creates.clone(), pages.clone());
        let base = scripted_server(move |head| {
            let path = head.split(' ').nth(1).unwrap_or("");
            match path.split('?').next().unwrap_or("") {
                "/v1/videos" if head.starts_with("POST") => {
                    c.fetch_add(1, SeqCst);
                    answer("500 Internal Server Error", "application/json", b"{}")
                }
                "/v1/videos" => {
                    let n = match repeats {
                        true => 0,
                        false => p.fetch_add(1, SeqCst),
                    };
                    let page = format!(
                        r#"{{"data": [{{"id": "video_{n}", "status": "completed"}}],
                        "has_more": true, "last_id": "video_{n}"}}"#
                    );
                    answer("200 OK", "application/json", page.as_bytes())
                }
                _ => answer("404 Not Found", "text/plain", b""),
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let list = write_shots(dir.path(), &shots(1, "160x90", 1));
        let out = dir.path().join("o");
        let (run, _) = run_against(
            &format!("{base}/v1"),
            &[
                "render",
                s(&list),
                "-o",
                s(&out),
                "--allow-any",
                "--timeout",
                "60s",
            ],
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        let why = match repeats {
            true => "the job listing named page cursor \"video_0\" again after 2 pages",
            false => "the job listing still had more after 50 pages",
        };
        assert!(
            err.contains("the API's job list could not be read back to the create's time")
                && err.contains(why)
                && err.contains("--resolve 'shot-1=JOB_ID'"),
            "{err}"
        );
        assert_eq!(creates.load(SeqCst), 1, "never sent again: {err}");
        // Its job may exist, and be billed: its cost is unknown, not "$0.00".
        let table = String::from_utf8_lossy(&run.stdout);
        assert!(
            table.contains(
                "cost: unknown (no usage or price, or a create whose job is not found, for 1 \
                 shot(s))"
            ),
            "{table}"
        );
        if !repeats {
            assert_eq!(pages.load(SeqCst), 50, "{err}");
            continue;
        }
        let (run, _) = run_against(&format!("{base}/v1"), &["videos", "list"]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(
            err.contains(
                "named page cursor \"video_0\" again after 2 pages (the server's paging \
                 goes round, or ignores the cursor): the list is not complete"
            ) && run.stdout.is_empty(),
            "{err}"
        );
    }
}

/// An answer where the API's JSON is due that runs on past 16 MiB (here 17 MiB of valid JSON, a
/// prompt without end) is not read further, nor held in memory: one error naming the request.
#[test]
fn an_endless_json_answer_is_not_held_in_memory() {
    let base = scripted_server(|_| {
        let mut job = br#"{"id": "video_1", "status": "in_progress", "prompt": ""#.to_vec();
        job.resize(17 << 20, b'a');
        job.extend_from_slice(br#""}"#);
        answer("200 OK", "application/json", &job)
    });
    let (run, _) = run_against(
        &format!("{base}/v1"),
        &["videos", "show", "video_1", "--retries", "0"],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GET http://127.0.0.1:")
            && err.contains("/v1/videos/video_1: the answer runs past 16 MiB")
            && run.stdout.is_empty(),
        "{err}"
    );
}

/// A gateway's maintenance page (an HTML 503, a 502, a page served with 200) while a job is
/// waited for does not end the wait, even past the request's own retries: the job is looked
/// at again with backoff (here as the pages' hint says), said once on stderr with the page's
/// words, and the render is saved when the service is back; for `render` and `fetch` alike.
#[test]
fn a_maintenance_page_while_polling_is_waited_out() {
    let clip = std::fs::read(fixture("marker_landscape_25.mp4")).unwrap();
    let gateway = || {
        let clip = clip.clone();
        let lookups = std::sync::atomic::AtomicUsize::new(0);
        scripted_server(move |head| {
            let page = |title: &str| {
                format!(
                    "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
                )
            };
            let job = |status: &str| {
                format!(r#"{{"id": "video_1", "object": "video", "status": "{status}"}}"#)
            };
            let path = head.split(' ').nth(1).unwrap_or("");
            match path.split('?').next().unwrap_or("") {
                "/v1/videos" => answer("200 OK", "application/json", job("queued").as_bytes()),
                "/v1/videos/video_1" => {
                    match lookups.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
                        0 => answer("200 OK", "application/json", job("in_progress").as_bytes()),
                        1 => answer(
                            "503 Service Unavailable",
                            "text/html",
                            page("503 Service Temporarily Unavailable").as_bytes(),
                        ),
                        2 => answer(
                            "502 Bad Gateway",
                            "text/html",
                            page("502 Bad Gateway").as_bytes(),
                        ),
                        3 => answer(
                            "200 OK",
                            "text/html",
                            page("Down for maintenance").as_bytes(),
                        ),
                        _ => answer("200 OK", "application/json", job("completed").as_bytes()),
                    }
                }
                "/v1/videos/video_1/content" => answer("200 OK", "video/mp4", &clip),
                _ => answer("404 Not Found", "text/plain", b""),
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "160x90", 1));
    let out = dir.path().join("o");
    for (what, args) in [
        (
            "render",
            vec!["render", s(&list), "-o", s(&out), "--allow-any"],
        ),
        ("fetch", vec!["fetch", "video_1", "-o", s(&out)]),
    ] {
        std::fs::remove_dir_all(&out).ok();
        let base = format!("{}/v1", gateway());
        let (run, _) = run_against(&base, &[&args[..], &["--retries", "0"]].concat());
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{what}: {err}");
        assert_eq!(
            std::fs::read(out.join("video_1.mp4")).unwrap(),
            clip,
            "{what}"
        );
        let said = format!(
            "GET {base}/videos/video_1: HTTP 503 (a web page, text/html: \"503 Service \
             Temporarily Unavailable 503 Service Temporarily Unavailable\"); job video_1 is \
             looked at again in "
        );
        assert_eq!(err.matches(&said).count(), 1, "{what}: {err}");
        assert_eq!(
            err.matches("looked at again").count(),
            1,
            "{what}: said once: {err}"
        );
    }
}

/// Kept downloads that no run will resume are removed by the next run that uses their
/// directory: one whose file another run finished (the sidecar records it), one without the
/// meta a resume needs, one untouched for over 7 days; a younger one stays for its re-run, and
/// so does a file whose name is not a kept download's.
#[test]
fn kept_downloads_no_run_will_resume_are_swept() {
    let emu = quick_emulator(&[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "320x180", 1));
    let out = dir.path().join("a");
    let r = emu.cutroom_json(&["render", s(&list), "-o", s(&out), "--allow-any", "--json"]);
    let id = r["shots"][0]["id"].as_str().unwrap();
    let plant = |name: &str, meta: bool, days: u64| {
        let part = out.join(format!(".{name}.part"));
        std::fs::write(&part, b"0123456789").unwrap();
        let mut files = vec![part.clone()];
        if meta {
            let m = out.join(format!(".{name}.part.json"));
            std::fs::write(&m, r#"{"url": "0", "validator": "\"x\"", "total": 100}"#).unwrap();
            files.push(m);
        }
        let t = std::time::SystemTime::now() - Duration::from_secs(days * 86_400);
        for f in files {
            let f = std::fs::File::options().write(true).open(f).unwrap();
            f.set_modified(t).unwrap();
        }
    };
    plant(&format!("{id}.video"), true, 0);
    plant("lost.thumbnail", false, 0);
    plant("stale.video", true, 8);
    plant("young.video", true, 6);
    std::fs::write(out.join(".notes.part"), "the user's").unwrap();
    let run = emu.cutroom(&["fetch", id, "-o", s(&out)], "sk-test");
    assert!(run.status.success(), "{run:?}");
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    left.sort();
    assert_eq!(
        left,
        [".notes.part", ".young.video.part", ".young.video.part.json"]
    );
}

/// A download served without a length (chunked) that breaks off is resumed with `If-Range`
/// too: when the file changed on the server meanwhile, the answer is the whole new file, never
/// its rest spliced after the old one's first bytes; nor when the server ignores `If-Range`
/// and answers 206 with the new file's validator: that is started over.
#[test]
fn a_resumed_download_without_a_length_is_proven_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("red.mp4");
    tone_clip(&p, 160, 90, 25, 1.0, "red", None);
    let old = std::fs::read(&p).unwrap();
    // The same layout, a byte of samples changed in each half: a new version.
    let half = old.len() / 2;
    let mut new = old.clone();
    new[100] ^= 0xff;
    new[half + 16] ^= 0xff;
    for honours_if_range in [true, false] {
        let (old, served) = (old.clone(), new.clone());
        let whole = std::sync::atomic::AtomicBool::new(false);
        let base = scripted_server(move |head| {
            let asked = |h: &str| {
                head.lines()
                    .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(h)))
                    .map(|(_, v)| v.trim().to_string())
            };
            match (asked("range"), asked("if-range")) {
                // Asked again from the start, after the change.
                (None, _) if whole.load(std::sync::atomic::Ordering::SeqCst) => {
                    answer("200 OK", "video/mp4", &served)
                }
                // The old version, chunked, cut after half its bytes.
                (None, _) => {
                    whole.store(true, std::sync::atomic::Ordering::SeqCst);
                    let mut a = b"HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\netag: \"old\"\r\n\
                                  transfer-encoding: chunked\r\n\r\n"
                        .to_vec();
                    a.extend_from_slice(format!("{half:x}\r\n").as_bytes());
                    a.extend_from_slice(&old[..half]);
                    a.extend_from_slice(b"\r\n");
                    a
                }
                // Changed since "old": the whole new version.
                (Some(_), Some(v)) if honours_if_range && v != "\"new\"" => {
                    answer("200 OK", "video/mp4", &served)
                }
                // The rest of the new version, as a server that is not asked If-Range (or
                // ignores it) sends it.
                (Some(r), _) => {
                    let from: usize = r
                        .trim_start_matches("bytes=")
                        .trim_end_matches('-')
                        .parse()
                        .unwrap();
                    let rest = &served[from..];
                    let mut a = format!(
                        "HTTP/1.1 206 Partial Content\r\ncontent-type: video/mp4\r\netag: \"new\"\r\n\
                         content-range: bytes {from}-{}/{}\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n",
                        served.len() - 1,
                        served.len(),
                        rest.len()
                    )
                    .into_bytes();
                    a.extend_from_slice(rest);
                    a
                }
            }
        });
        let out = dir.path().join(format!("got-{honours_if_range}"));
        let url = format!("{base}/clip.mp4");
        let (run, _) = run_against(&base, &["fetch", &url, "-o", s(&out), "-v"]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{err}");
        let said = match honours_if_range {
            true => "sent the whole file",
            false => "the file changed on the server (\"new\", was \"old\")",
        };
        assert!(err.contains(said), "{err}");
        assert_eq!(std::fs::read(out.join("clip.mp4")).unwrap(), new, "{err}");
    }
    // A resume answered with the same validator but another length (a server changing the
    // file under one ETag) is refused in words: it read "of Some(N)".
    let (len, grown) = (old.len(), [new.clone(), vec![0; 100]].concat());
    let base = scripted_server(
        move |head| match head.to_ascii_lowercase().find("range: bytes=") {
            None => {
                let mut a = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\netag: \"one\"\r\n\
                 content-length: {len}\r\nconnection: close\r\n\r\n"
                )
                .into_bytes();
                a.extend_from_slice(&old[..half]);
                a
            }
            Some(_) => {
                let rest = &grown[half..];
                let mut a = format!(
                    "HTTP/1.1 206 Partial Content\r\ncontent-type: video/mp4\r\netag: \"one\"\r\n\
                 content-range: bytes {half}-{}/{}\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n",
                    grown.len() - 1,
                    grown.len(),
                    rest.len()
                )
                .into_bytes();
                a.extend_from_slice(rest);
                a
            }
        },
    );
    let out = dir.path().join("grown");
    let (run, _) = run_against(
        &base,
        &["fetch", &format!("{base}/clip.mp4"), "-o", s(&out)],
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "asked to resume at byte {half} of {len} bytes, the server answered from byte \
             {half} of {} bytes: its rest would not be the file begun, so it is not taken",
            len + 100
        )),
        "{err}"
    );
    assert!(!out.join("clip.mp4").exists(), "{err}");
}

/// A server's words are quoted short and never with the key: a relay echoing the key in its
/// 401, a failed job's reason echoing it (as a prompt holding it would be), a 1 MB error
/// message, a key in the base URL's query echoed back: each one short error line without it.
#[test]
fn servers_words_are_quoted_short_and_without_the_key() {
    let key = "sk-echoed-secret-123";
    let base = scripted_server(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("");
        let (status, body) = match path.split('?').next().unwrap_or("") {
            "/v1/videos/echoq" => (
                "400 Bad Request",
                serde_json::json!({"error": {"message": format!("bad request {path}")}}),
            ),
            "/v1/videos/echo" => (
                "401 Unauthorized",
                serde_json::json!({"error": {"message": format!("Incorrect API key provided: {key}"),
                    "code": "invalid_api_key"}}),
            ),
            "/v1/videos/failed" => (
                "200 OK",
                serde_json::json!({"id": "failed", "status": "failed", "error": {
                    "code": "moderation_blocked",
                    "message": format!("prompt {key} refused {}", "and more ".repeat(1000))}}),
            ),
            _ => (
                "400 Bad Request",
                serde_json::json!({"error": {"message": "x".repeat(1 << 20)}}),
            ),
        };
        answer(status, "application/json", body.to_string().as_bytes())
    });
    let dir = tempfile::tempdir().unwrap();
    // A key in the base URL's query (a gateway's `?key=`) echoed back, as the API key is.
    let in_query = "qs-secret-456";
    for (id, said) in [
        ("echo", "Incorrect API key provided: <redacted>"),
        ("failed", "prompt <redacted> refused and more"),
        ("huge", "HTTP 400"),
        (
            "echoq",
            "bad request /v1/videos/echoq?key=<redacted>&api-version=2025-04-01-preview",
        ),
    ] {
        let query = "?key=qs-secret-456&api-version=2025-04-01-preview";
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
            .args(["fetch", id, "-o", s(dir.path()), "--retries", "0"])
            .env("OPENAI_BASE_URL", format!("{base}/v1{query}"))
            .env("OPENAI_API_KEY", key)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{id}: {err}");
        assert!(err.contains(said) && !err.contains(key), "{id}: {err}");
        assert!(!err.contains(in_query), "{id}: {err}");
        assert!(err.len() < 1000, "{id}: {} bytes: {err}", err.len());
    }
}

/// A render's link refused once it expired (a 403, as signed storage links answer, or a 410)
/// is said to have expired, with what to do, not as a bare HTTP refusal; a 410 without a known
/// expiry says the render is gone.
#[test]
fn a_link_refused_with_403_or_410_after_it_expired_says_so() {
    let job = |id: &str, expires: &str| {
        let j = format!(r#"{{"id": "{id}", "object": "video", "status": "completed"{expires}}}"#);
        answer("200 OK", "application/json", j.as_bytes())
    };
    let base = scripted_server(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("");
        match path.split('?').next().unwrap_or("") {
            "/v1/videos/video_old" => job("video_old", r#", "expires_at": 1000"#),
            "/v1/videos/video_gone" => job("video_gone", ""),
            "/v1/videos/video_old/content" => answer(
                "403 Forbidden",
                "application/xml",
                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            ),
            "/v1/videos/video_gone/content" => answer("410 Gone", "text/plain", b""),
            _ => answer("404 Not Found", "text/plain", b""),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    for (id, said) in [
        (
            "video_old",
            "the download expired at Thu, 01 Jan 1970 00:16:40 GMT",
        ),
        (
            "video_gone",
            "answered 410; providers keep renders only for a limited time): the render is gone",
        ),
    ] {
        let out = dir.path().join(id);
        let (run, _) = run_against(
            &format!("{base}/v1"),
            &["fetch", id, "-o", s(&out), "--retries", "0"],
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        assert!(err.contains(said), "{err}");
        assert!(!out.exists(), "{err}");
    }
}

/// An emulator with 200 ms renders, any model allowed, and `faults`.
fn brief_renders(faults: &[&str]) -> Emulator {
    let flags = [
        "--allow-any",
        "--render-time",
        "200ms",
        "--poll-after",
        "50ms",
    ];
    Emulator::start(&[&flags[..], faults].concat(), &[])
}

/// A fal request whose status says COMPLETED while its result answers 404 (asked twice) is a
/// render that is gone, said as such with what rendering it again costs and the flag that does
/// it: `--retry-failed` (for jobs that failed) bills no new job for it, `--resolve SHOT=new`
/// makes exactly one, and the lost job, finished and billed, stays in the shot's `retried`.
#[test]
fn a_fal_render_whose_result_is_gone_is_rendered_again_only_when_named() {
    let emu = brief_renders(&["--flavor", "fal", "--lose-results", "1"]);
    let dir = tempfile::tempdir().unwrap();
    let list = format!("model = \"fal-ai/veo3/fast\"\n{}", shots(1, "256x144", 2));
    let list = write_shots(dir.path(), &list);
    let out = dir.path().join("out");
    let base = [
        "render",
        s(&list),
        "-o",
        s(&out),
        "--allow-any",
        "--provider",
        "fal",
    ];
    for extra in [&[][..], &["--retry-failed"]] {
        let o = emu.cutroom(&[&base[..], extra].concat(), "sk-test");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {err}");
        for want in [
            "finished (COMPLETED), but fal no longer has its result",
            "answered 404, asked twice",
            "rendering it again is a new job, billed again",
            "rerun with --resolve 'shot-1=new' to render the shot again",
        ] {
            assert!(err.contains(want), "{extra:?}: no {want:?} in {err}");
        }
        assert!(!err.contains("no longer exists"), "{err}");
        assert_eq!(
            stat(&emu, "jobs_created"),
            1,
            "{extra:?}: a job billed unasked"
        );
    }
    let lost = format!(
        "fal-ai/veo3/requests/{}",
        emu.stats()["log"][0]["id"].as_str().unwrap()
    );
    let fetched = dir.path().join("fetched");
    let o = emu.cutroom(
        &["fetch", &lost, "-o", s(&fetched), "--provider", "fal"],
        "sk-test",
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("fal no longer has its result"), "{err}");
    assert!(!fetched.exists(), "{err}");
    let r = emu.cutroom_json(&[&base[..], &["--resolve", "shot-1=new", "--json"]].concat());
    let shot = &r["shots"][0];
    assert!(shot["error"].is_null(), "{r}");
    assert_eq!(shot["created"], true, "{r}");
    let file = Path::new(shot["file"].as_str().unwrap());
    assert_eq!(marker_offsets_ms(file).len(), 1);
    assert_eq!(stat(&emu, "jobs_created"), 2);
    assert_eq!(shot["retried"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(shot["retried"][0]["id"], lost.as_str(), "{r}");
    assert_eq!(shot["retried"][0]["seconds_billed"], 2.0, "{r}");
    // Run again with the same flag: the shot is done, nothing is rendered again.
    let again = emu.cutroom_json(&[&base[..], &["--resolve", "shot-1=new", "--json"]].concat());
    assert_eq!(again["shots"][0]["cached"], true, "{again}");
    assert_eq!(stat(&emu, "jobs_created"), 2);
}

/// On every provider, a finished render whose file is gone with no `expires_at` to tell
/// (emulator `--lose-files`: the API's content answers 404, fal's file is gone, Replicate's
/// prediction names no output after its hour; for fal and Replicate a fresh look at the job
/// gives no other link) is said to be gone, naming the job and the flag that renders the shot
/// again; `--retry-failed` bills nothing for it, `--resolve SHOT=new` one new job.
#[test]
fn renders_whose_files_are_gone_say_how_to_render_again_on_every_provider() {
    for (flavor, model) in [
        ("openai", "sora-2"),
        ("openrouter", "google/veo-3"),
        ("fal", "fal-ai/veo3/fast"),
        ("replicate", "google/veo-3"),
    ] {
        let emu = brief_renders(&["--flavor", flavor, "--lose-files", "1"]);
        let dir = tempfile::tempdir().unwrap();
        let list = format!("model = \"{model}\"\n{}", shots(1, "256x144", 2));
        let list = write_shots(dir.path(), &list);
        let run = |extra: &[&str]| {
            let out = dir.path().join("out");
            let args = ["render", s(&list), "-o", s(&out), "--allow-any"];
            let flags = ["--provider", flavor];
            emu.cutroom(&[&args[..], &flags, extra].concat(), "sk-test")
        };
        for extra in [&[][..], &["--retry-failed"]] {
            let o = run(extra);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{flavor} {extra:?}: {err}");
            let said = match flavor {
                "fal" => "its video link http://127.0.0.1:",
                "replicate" => "names no video URL: the provider removed it (Replicate removes",
                _ => "finished, but its file is no longer served (GET http://127.0.0.1:",
            };
            for want in [
                said,
                "the render is gone",
                "rendering it again is a new job, billed again",
                "rerun with --resolve 'shot-1=new' to render the shot again",
            ] {
                assert!(
                    err.contains(want),
                    "{flavor} {extra:?}: no {want:?} in {err}"
                );
            }
            assert_eq!(stat(&emu, "jobs_created"), 1, "{flavor} {extra:?}");
            assert!(!dir.path().join("out/shot-1.mp4").exists());
        }
        let o = run(&["--resolve", "shot-1=new", "--json"]);
        let r: Value = serde_json::from_slice(&o.stdout).unwrap();
        let shot = &r["shots"][0];
        assert!(shot["error"].is_null(), "{flavor}: {r}");
        let file = Path::new(shot["file"].as_str().unwrap());
        assert_eq!(marker_offsets_ms(file).len(), 1, "{flavor}");
        assert_eq!(stat(&emu, "jobs_created"), 2, "{flavor}");
    }
}

/// A fal or Replicate link refused as expired (403) is not the end: the job is looked at
/// again and the fresh link it names is downloaded; a fal result answered 404 once, right
/// after COMPLETED, is asked for again and used.
#[test]
fn an_expired_result_link_is_refreshed_from_the_job() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let clip = std::fs::read(fixture("marker_portrait_30.mp4")).unwrap();
    let served = clip.clone();
    let port = Arc::new(Mutex::new(String::new()));
    let at = port.clone();
    let (looks, r2_asks) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let base = scripted_server(move |head| {
        let path = head.split(' ').nth(1).unwrap_or("");
        let root = at.lock().unwrap().clone();
        // Each look at a job hands out a link signed anew; the first of each job's has expired.
        let fresh = || {
            let n = looks.fetch_add(1, Ordering::SeqCst);
            format!("{root}/files/clip.mp4?sig={n}")
        };
        let json =
            |v: serde_json::Value| answer("200 OK", "application/json", v.to_string().as_bytes());
        match path {
            "/v1/predictions/p1" => json(serde_json::json!({"id": "p1", "status": "succeeded",
                "output": fresh(), "input": {"prompt": "a cat"}})),
            "/fal-ai/veo3/requests/r1/status" | "/fal-ai/veo3/requests/r2/status" => {
                json(serde_json::json!({"status": "COMPLETED"}))
            }
            "/fal-ai/veo3/requests/r1" => json(serde_json::json!({"video": {"url": fresh()}})),
            // Right after COMPLETED, the result is not there yet the first time.
            "/fal-ai/veo3/requests/r2" => match r2_asks.fetch_add(1, Ordering::SeqCst) {
                0 => answer(
                    "404 Not Found",
                    "application/json",
                    br#"{"detail": "Request not found"}"#,
                ),
                _ => json(
                    serde_json::json!({"video": {"url": format!("{root}/files/clip.mp4?sig=ok")}}),
                ),
            },
            "/files/clip.mp4?sig=0" | "/files/clip.mp4?sig=2" => answer(
                "403 Forbidden",
                "application/xml",
                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
            ),
            p if p.starts_with("/files/clip.mp4?sig=") => answer("200 OK", "video/mp4", &served),
            _ => answer("404 Not Found", "text/plain", b""),
        }
    });
    *port.lock().unwrap() = base.clone();
    for (provider, api, id) in [
        ("replicate", format!("{base}/v1"), "p1"),
        ("fal", base.clone(), "fal-ai/veo3/requests/r1"),
        ("fal", base.clone(), "fal-ai/veo3/requests/r2"),
    ] {
        let out = dir.path().join(id.replace('/', "_"));
        let (run, _) = run_against(
            &api,
            &[
                "fetch",
                id,
                "-o",
                s(&out),
                "--provider",
                provider,
                "--base-url",
                &api,
            ],
        );
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{id}: {err}");
        let got: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        let mp4 = got
            .iter()
            .find(|p| p.extension().is_some_and(|e| e == "mp4"))
            .unwrap();
        assert_eq!(std::fs::read(mp4).unwrap(), clip, "{id}");
    }
}

/// Through a proxy (`HTTPS_PROXY`), which resolves the names it is sent, a remote service still
/// cannot send cutroom to a name that resolves here to this machine or a private network:
/// the name is looked up here first and refused, nothing sent there. The name is this
/// machine's own host name (it resolves to loopback or the container's private address).
#[test]
fn through_a_proxy_a_name_resolving_near_is_refused() {
    use std::net::ToSocketAddrs;
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let host = host.trim().to_ascii_lowercase();
    let near = (host.as_str(), 443)
        .to_socket_addrs()
        .map(|a| a.map(|a| a.ip()).collect::<Vec<_>>())
        .unwrap_or_default();
    let Some(ip) = near.iter().find(|ip| match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback(),
    }) else {
        eprintln!("skipped: host name {host:?} does not resolve to a loopback or private address");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = std::fs::read(fixture("marker_portrait_30.mp4")).unwrap();
    let to = format!("https://{host}/clip.mp4");
    let location = format!("location: {to}\r\n");
    let (proxy, ca, seen) = remote_hosts(d, &["videos.example.test", &host], move |request| {
        let path = request.split(' ').nth(1).unwrap_or_default();
        let mut a = match path {
            "/v1/exports/near.mp4" => {
                format!("HTTP/1.1 302 Found\r\n{location}content-length: 0\r\n\r\n").into_bytes()
            }
            _ => format!(
                "HTTP/1.1 200 OK\r\ncontent-type: video/mp4\r\ncontent-length: {}\r\n\r\n",
                clip.len()
            )
            .into_bytes(),
        };
        if path != "/v1/exports/near.mp4" {
            a.extend_from_slice(&clip);
        }
        a
    });
    let base = "https://videos.example.test/v1";
    let out = d.join("out");
    let url = format!("{base}/exports/near.mp4");
    let run = cutroom_via(&proxy, &ca, Some(base), &["fetch", &url, "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let want = format!("GET {url}: redirected to {to}: {host} resolves to {ip}, ");
    assert!(err.contains(&want), "{want}\n{err}");
    assert!(
        err.contains("from https://videos.example.test, which is not "),
        "{err}"
    );
    assert!(!out.exists());
    let connects = seen.lock().unwrap().clone();
    assert!(
        !connects
            .iter()
            .any(|l| l.starts_with(&format!("CONNECT {host}:"))),
        "{connects:?}"
    );
}

/// `render --json` and `fetch --json` into a directory whose name is not UTF-8 (Latin-1
/// `rendu café`) panicked (exit 101, a backtrace) writing the report, the MP4 already there:
/// serde writes no such path as JSON text. The report names it as text, U+FFFD for the byte.
#[test]
fn render_and_fetch_reports_name_a_latin1_directory_as_text() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let emu = Emulator::start(&["--render-time", "0s", "--poll-after", "50ms"], &[]);
    let dir = tempfile::tempdir().unwrap();
    let list = write_shots(dir.path(), &shots(1, "1280x720", 4));
    let json = |args: &[&OsStr]| -> Value {
        let run = succeeded(
            cutroom_command()
                .args(args)
                .arg("--json")
                .env(emu.base_var(), &emu.base_url)
                .env("OPENAI_API_KEY", "sk-test")
                .env_remove("OPENAI_AUTH_HEADER"),
        );
        serde_json::from_slice(&run.stdout).expect("the report")
    };
    let rendered = dir.path().join(OsStr::from_bytes(b"rendu caf\xe9"));
    let r = json(&[
        "-q".as_ref(),
        "render".as_ref(),
        list.as_ref(),
        "-o".as_ref(),
        rendered.as_ref(),
    ]);
    let shot = &r["shots"][0];
    let id = shot["id"].as_str().expect("a job id");
    let file = rendered.join(format!("{id}.mp4"));
    assert!(
        shot["file"]
            .as_str()
            .unwrap()
            .ends_with(&format!("rendu caf\u{fffd}/{id}.mp4")),
        "{shot}"
    );
    assert_eq!(shot["sha256"].as_str().unwrap(), sha256sum(&file));
    let fetched = dir.path().join(OsStr::from_bytes(b"re\xe7u"));
    let f = json(&[
        "-q".as_ref(),
        "fetch".as_ref(),
        id.as_ref(),
        "-o".as_ref(),
        fetched.as_ref(),
    ]);
    let text = f.to_string();
    assert!(text.contains(&format!("re\u{fffd}u/{id}.mp4")), "{text}");
    assert_eq!(
        sha256sum(&fetched.join(format!("{id}.mp4"))),
        sha256sum(&file)
    );
}
