//! `cutroom assemble` end to end against `cutroom emulate` on 127.0.0.1: rendered shots, a
//! local clip and a ducked music bed to small deliverables, checked with the ffmpeg CLI, the
//! sync command and the opentimelineio package; and the spec's errors.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Small versions of three built-in presets (the test's only departure from the demo).
const SMALL_PRESETS: &str = r#"
[reels]
base = "reels"
width = 180
height = 320
[square]
base = "square"
width = 240
height = 240
"#;

/// The emulator the rendered shots come from: Replicate's dialect, 1 s renders.
const REPLICATE_EMULATOR: [&str; 7] = [
    "--flavor",
    "replicate",
    "--render-time",
    "1s",
    "--poll-after",
    "100ms",
    "--allow-any",
];

/// A cut: a rendered shot (fade into the next), a local marker clip trimmed to 1-4 s
/// (crossfade into the next), a second rendered shot (both from a Replicate-style model, so
/// the test runs them through that dialect; the demo test renders through OpenAI's); music ducked under the shots' sound, low
/// enough, and the target loud enough, for the marker oracle's fixed beep threshold (0.25).
fn write_cut(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("small.toml"), SMALL_PRESETS).unwrap();
    let cut = format!(
        r#"
name = "t"
outputs = ["reels", "square"]
presets = "small.toml"
frame_rate = 30

[[shot]]
transition = {{ kind = "fade", duration = "0.4" }}
[shot.render]
prompt = "first"
model = "google/veo-3"
seconds = 3
size = "320x180"

[[shot]]
src = "{local}"
in = "1"
out = "4"
transition = {{ kind = "crossfade", duration = "0.32" }}

[[shot]]
[shot.render]
prompt = "second"
model = "google/veo-3"
seconds = 3
size = "320x180"

[music]
file = "{music}"
gain = -40
depth = -12

[loudness]
target = -12
true_peak = -1
"#,
        local = fixture("marker_landscape_25.mp4").display(),
        music = fixture("music.wav").display(),
    );
    let path = dir.join("cut.toml");
    std::fs::write(&path, cut).unwrap();
    path
}

#[test]
fn emulated_renders_to_checked_deliverables_and_timeline() {
    let dir = tempfile::tempdir().unwrap();
    let spec = write_cut(dir.path());
    let out = dir.path().join("out");
    let emu = Emulator::start(&REPLICATE_EMULATOR, &[]);
    let args = [
        "-q",
        "assemble",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--allow-any",
        "--provider",
        "replicate",
        "--json",
    ];
    let report = emu.cutroom_json(&args);
    let from_file: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report, from_file);
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(
        inputs
            .iter()
            .map(|i| i["how"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["rendered", "local", "rendered"]
    );
    // 3 + 3 + 3 s; the fade keeps the length, the crossfade overlaps 0.32 s (10 frames: the
    // spec's frame_rate; the cut's size is the largest clip's, the local 640x360 one's).
    let total = report["cut"]["duration_s"].as_f64().unwrap();
    assert!((total - 26.0 / 3.0).abs() < 0.01, "cut is {total} s");

    let outputs = report["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    for (o, (w, h)) in outputs.iter().zip([(180, 320), (240, 240)]) {
        let path = Path::new(o["path"].as_str().unwrap());
        assert_eq!(
            path,
            out.join(format!("t.{}.mp4", o["preset"].as_str().unwrap()))
        );
        check_deliverable(path, (w, h), total, -12.0);
        assert_eq!(o["sync_verdict"], "pass");
        // The shots sit in a 16:9 band across the middle of the reframed picture.
        let offsets = marker_offsets_ms_vf(path, "crop=iw:iw*9/16");
        assert!(
            offsets.len() >= 3,
            "{}: markers {offsets:?}",
            path.display()
        );
        for (t, off) in offsets {
            assert!(
                off.abs() <= 1000.0 / 30.0,
                "{}: {off} ms at {t} s",
                path.display()
            );
        }
    }

    // The human report links every deliverable and shows its sync plot (a real PNG).
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for o in outputs {
        let plot = Path::new(o["sync_plot"].as_str().unwrap());
        assert!(read_png(plot).width > 0);
        let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            html.contains(&name(plot)),
            "report.html lacks {}",
            plot.display()
        );
        assert!(html.contains(&name(Path::new(o["path"].as_str().unwrap()))));
    }

    // The contact sheet: one numbered thumbnail per shot in a row, each the picture of its
    // shot's source at the middle of the shot's span (4x4 block means within 12 levels).
    let sheet_path = Path::new(report["contact_sheet"].as_str().unwrap());
    assert_eq!(sheet_path, out.join("contact.png"));
    assert!(
        html.contains("contact.png"),
        "report.html lacks the contact sheet"
    );
    let sheet = read_png(sheet_path);
    let (margin, label, tw, th) = (24, 40, 320, 180);
    assert_eq!(
        (sheet.width, sheet.height),
        (margin + 3 * (tw + margin), margin + label + th + margin)
    );
    let blocks = |img: &Rgb, x0: u32, y0: u32, w: u32, h: u32| -> Vec<f64> {
        let mut m = Vec::new();
        for by in 0..4 {
            for bx in 0..4 {
                let (mut sum, mut n) = (0.0, 0.0);
                for y in (y0 + by * h / 4)..(y0 + (by + 1) * h / 4) {
                    for x in (x0 + bx * w / 4)..(x0 + (bx + 1) * w / 4) {
                        sum += img.at(x, y).iter().map(|&c| f64::from(c)).sum::<f64>() / 3.0;
                        n += 1.0;
                    }
                }
                m.push(sum / n);
            }
        }
        m
    };
    for (i, shot) in report["cut"]["shots"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let f = |k: &str| shot[k].as_f64().unwrap();
        let at = f("in_s") + f("duration_s") / 2.0;
        let src = Path::new(inputs[i]["file"].as_str().unwrap());
        let frame = frame_at(src, at, &dir.path().join(format!("src{i}.png")));
        let want = blocks(&frame, 0, 0, frame.width, frame.height);
        let got = blocks(
            &sheet,
            margin + i as u32 * (tw + margin),
            margin + label,
            tw,
            th,
        );
        let worst = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 12.0,
            "shot {i}: thumbnail differs by {worst}: {got:?} vs {want:?}"
        );
    }

    // The timeline loads in opentimelineio with three clips, their source ranges, the bed.
    let python = python_with(&["opentimelineio"]);
    let script = r#"
import sys, json, opentimelineio as otio
t = otio.adapters.read_from_file(sys.argv[1])
v = t.video_tracks()[0]
clips = list(v.find_clips())
print(json.dumps({
  "clips": len(clips),
  "ranges": [[c.source_range.start_time.to_seconds(), c.source_range.duration.to_seconds()] for c in clips],
  "duration": t.duration().to_seconds(),
  "audio_tracks": len(t.audio_tracks()),
}))
"#;
    let run = succeeded(
        std::process::Command::new(python)
            .args(["-c", script])
            .arg(out.join("timeline.otio")),
    );
    let t: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(t["clips"], 3);
    let ranges: Vec<(f64, f64)> = t["ranges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r[0].as_f64().unwrap(), r[1].as_f64().unwrap()))
        .collect();
    // The crossfade (10 frames at 30 fps) is centred on the cut: 5 frames each side.
    let h = 5.0 / 30.0;
    let want = [(0.0, 3.0), (1.0, 3.0 - h), (h, 3.0 - h)];
    for (got, want) in ranges.iter().zip(want) {
        assert!(
            (got.0 - want.0).abs() < 0.04 && (got.1 - want.1).abs() < 0.04,
            "{ranges:?}"
        );
    }
    let d = t["duration"].as_f64().unwrap();
    assert!((d - total).abs() < 0.05, "timeline {d} s, cut {total} s");
    assert_eq!(t["audio_tracks"], 2, "the shots' sound and the music bed");

    // A second run with nothing changed reuses everything: no job, no new file.
    let mtime = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let first = out.join("t.reels.mp4");
    let before = mtime(&first);
    let again = emu.cutroom_json(&args);
    assert_eq!(again["reused"], true);
    assert_eq!(again["key"], report["key"]);
    assert_eq!(mtime(&first), before);
    // A changed setting makes the deliverables again from the cached renders.
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("depth = -12", "depth = -10")).unwrap();
    let third = emu.cutroom_json(&args);
    assert!(third.get("reused").is_none(), "{third}");
    assert_ne!(third["key"], report["key"]);
    let hows: Vec<&str> = third["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["how"].as_str().unwrap())
        .collect();
    assert_eq!(hows, ["cached", "local", "cached"]);
    assert_eq!(emu.stats()["jobs_created"], 2);

    // Reuse is per output: dropping a preset keeps the other's file and figures as they are...
    let square = out.join("t.square.mp4");
    let (reels_made, square_made) = (mtime(&first), mtime(&square));
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &spec,
        text.replace(r#"["reels", "square"]"#, r#"["square"]"#),
    )
    .unwrap();
    let fourth = emu.cutroom_json(&args);
    assert!(fourth.get("reused").is_none(), "{fourth}");
    let o = fourth["outputs"].as_array().unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(
        (&o[0]["preset"], &o[0]["reused"]),
        (&"square".into(), &true.into())
    );
    assert_eq!(o[0]["key"], third["outputs"][1]["key"]);
    assert_eq!(mtime(&square), square_made);
    assert!(Path::new(fourth["contact_sheet"].as_str().unwrap()).is_file());
    // ...and adding one back makes only that one, checked like any other.
    std::fs::write(&spec, text).unwrap();
    let fifth = emu.cutroom_json(&args);
    let o = fifth["outputs"].as_array().unwrap();
    assert_eq!(
        o.iter()
            .map(|o| (
                o["preset"].as_str().unwrap(),
                o["reused"].as_bool().unwrap()
            ))
            .collect::<Vec<_>>(),
        [("reels", false), ("square", true)]
    );
    assert_ne!(mtime(&first), reels_made);
    assert_eq!(mtime(&square), square_made);
    assert_eq!(o[0]["sync_verdict"], "pass", "{fifth}");
    assert_eq!(o[0]["key"], third["outputs"][0]["key"]);
}

/// What every deliverable must be, checked from outside: ffprobe's size, moov before mdat,
/// the cut's length; loudness within 0.5 LU of `lufs` and true peak at most -1 dBTP by the
/// ffmpeg CLI's meter; `cutroom sync` passes.
fn check_deliverable(path: &Path, (w, h): (u64, u64), total: f64, lufs: f64) {
    // ffprobe: size, both streams, moov before mdat, the cut's length.
    let probe = ffprobe(path);
    let v = probe["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["codec_type"] == "video")
        .unwrap();
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(w), Some(h))
    );
    let bytes = std::fs::read(path).unwrap();
    let pos = |tag: &[u8]| bytes.windows(4).position(|b| b == tag).unwrap();
    assert!(
        pos(b"moov") < pos(b"mdat"),
        "{}: not faststart",
        path.display()
    );
    let dur: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((dur - total).abs() < 0.1, "{}: {dur} s", path.display());
    // Loudness within 0.5 LU of the target, by the ffmpeg CLI's meter.
    let m = ebur128(path);
    assert!(
        (m.integrated - lufs).abs() <= 0.5,
        "{}: {} LUFS",
        path.display(),
        m.integrated
    );
    assert!(
        m.true_peak <= -1.0,
        "{}: true peak {}",
        path.display(),
        m.true_peak
    );
    // cutroom sync passes.
    let sync = cutroom_json(&["sync", path.to_str().unwrap(), "--json"]);
    assert_eq!(sync["files"][0]["verdict"], "pass", "{sync}");
}

#[test]
fn spec_errors_name_place_field_and_every_missing_source() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"reels\"]\n[[shot]]\nsrc = \"a.mp4\"\n\n[music]\nfile = \"m.wav\"\ndepht = -10\n",
    )
    .unwrap();
    let out = cutroom(&["assemble", spec.to_str().unwrap(), "-o", "unused"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:7:1", spec.display())), "{err}");
    assert!(err.contains("music"), "{err}");
    assert!(err.contains("did you mean `depth`"), "{err}");

    std::fs::write(
        &spec,
        "outputs = [\"reels\"]\n[[shot]]\nsrc = \"a.mp4\"\n[[shot]]\nsrc = \"b.mp4\"\n\
         [[shot]]\nurl = \"https://x/y.mp4\"\nvideo_id = \"v\"\n[music]\nfile = \"m.wav\"\n",
    )
    .unwrap();
    let out = cutroom(&["assemble", spec.to_str().unwrap(), "-o", "unused"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for want in [
        "shot 1: src",
        "a.mp4",
        "shot 2: src",
        "b.mp4",
        "music.file",
        "shot 3: more than one source",
    ] {
        assert!(err.contains(want), "missing {want:?} in {err}");
    }
    assert!(!Path::new("unused").exists());
}

/// `cut.toml` in a temp dir with `body`: assemble's exit code and stderr (it must fail,
/// writing nothing), the spec's path in it written `cut.toml`.
fn assemble_code_and_error(body: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(&spec, body).unwrap();
    let out = dir.path().join("out");
    let run = cutroom(&["assemble", s(&spec), "-o", s(&out)]);
    assert!(!run.status.success());
    assert!(!out.exists());
    let err =
        String::from_utf8_lossy(&run.stderr).replace(&format!("{}", spec.display()), "cut.toml");
    (run.status.code(), err)
}

#[test]
fn a_misspelt_spec_key_is_the_specs_bad_input_not_a_usage_error() {
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\ntransiton = \"cut\"\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cut.toml:4:1: shot 1: "), "{err}");
}

/// A text card that fits the cut (360x640) but not a deliverable's shape (1080x1080) was named
/// by its time only (`the text card at 1.000 s`); it is named by its shot, as concat names it.
#[test]
fn a_text_card_too_long_for_a_deliverable_is_named_by_its_shot() {
    let words: Vec<String> = (0..250).map(|i| format!("word{i}")).collect();
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n[[shot]]\ntext = \"{}\"\nduration = 1\n",
        fixture("marker_portrait_30.mp4").display(),
        words.join(" ")
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "cut.toml: shot 2: text card \"word0 word1 word2 word3 word4 word5...\": its 40 lines \
             do not fit the 972 pixels of height it has on the 1080x1080 output"
        ),
        "{err}"
    );
}

/// A render block that `render` refuses (a control character in its prompt, seconds the model
/// does not offer) was blamed on the list generated from the spec (`out/shots/render.toml:
/// shot "shot-02": ...`), with that list left behind; both are said of the spec and its shot,
/// and nothing is written.
#[test]
fn a_refused_render_block_is_named_by_the_spec_and_its_shot() {
    let (code, err) = assemble_code_and_error(
        "outputs = [\"square\"]\n[[shot]]\n[shot.render]\nprompt = \"a cat\\u001b[2J\"\n\
         [[shot]]\n[shot.render]\nprompt = \"ok\"\nseconds = 5\n",
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(
            "cut.toml: shot 1: [shot.render]: the prompt holds the control character U+001B"
        ),
        "{err}"
    );
    assert!(
        err.contains("cut.toml: shot 2: [shot.render]: seconds: seconds \"5\" not supported"),
        "{err}"
    );
    assert!(!err.contains("render.toml"), "{err}");
}

/// A render block's reference image, named beside a spec given by a relative path (`cutroom
/// assemble cut.toml` in its directory), is sent: it was looked for beside the shot list
/// assemble writes (`out/shots/render.toml: shot "shot-01": input_reference
/// out/shots/ref.png: No such file or directory`).
#[test]
fn a_render_blocks_reference_image_is_taken_beside_a_relative_spec() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let emu = Emulator::start(
        &[
            "--render-time",
            "1s",
            "--poll-after",
            "100ms",
            "--allow-any",
        ],
        &[],
    );
    let image = d.join("ref.png");
    ff(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=160x90",
        "-frames:v",
        "1",
        s(&image),
    ]);
    small_square_cut(
        d,
        "[[shot]]\n[shot.render]\nprompt = \"a cat\"\nseconds = 1\nsize = \"160x90\"\n\
         input_reference = \"ref.png\"\n",
    );
    let run = succeeded(
        cutroom_command()
            .current_dir(d)
            .args([
                "-q",
                "assemble",
                "cut.toml",
                "-o",
                "out",
                "--allow-any",
                "--json",
            ])
            .env(emu.base_var(), &emu.base_url)
            .env("OPENAI_API_KEY", "sk-test"),
    );
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["inputs"][0]["how"], "rendered", "{report}");
    assert!(decodes_cleanly(&d.join("out/cut.sq.mp4")));
}

#[test]
fn unknown_and_repeated_output_presets_are_the_specs_bad_input() {
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"reel\", \"square\", \"square\"]\n[[shot]]\nsrc = \"{}\"\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cut.toml: output 1: unknown preset `reel`") && err.contains("reels"),
        "{err}"
    );
    assert!(
        err.contains("cut.toml: output 3: preset `square` is given twice"),
        "{err}"
    );
}

#[test]
fn a_trim_outside_its_shot_names_the_spec_the_file_and_the_shot() {
    let clip = fixture("marker_portrait_30.mp4");
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\nin = 7\n",
        clip.display()
    ));
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err,
        format!(
            "cutroom: error: cut.toml: shot 1: {}: in 7.000 s is at or past the end of the shot \
             (6.000 s)\n",
            clip.display()
        )
    );
}

#[test]
fn a_text_overlay_past_the_end_names_the_spec_and_the_entry() {
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n[[text]]\ntext = \"Hi\"\n\
         [[text]]\ntext = \"Late\"\nstart = 10\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(
        err,
        "cutroom: error: cut.toml: text 2 starts at 10.000 s, past the end of the output (6.000 s)\n"
    );
}

/// A text card's or a text overlay's Hangul or emoji drew empty boxes without a word; each is
/// named with the spec and its entry, before anything is made (here the run then stops at a
/// text overlay timed past the end, so nothing is encoded).
#[test]
fn card_and_overlay_characters_the_font_cannot_draw_are_named_with_the_spec() {
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n[[shot]]\ntext = \"\u{5e9}\u{5dc}\u{5d5}\u{5dd} \
         \u{c138}\u{acc4}\"\nduration = 1\n[[text]]\ntext = \"\u{1f525}\"\n[[text]]\ntext = \"Late\"\n\
         start = 10\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert_eq!(code, Some(1), "{err}");
    let lacks = "the caption font (DejaVu Sans) has no glyph for, drawn as empty boxes unless a \
                 system font has them";
    assert_eq!(
        err,
        format!(
            "cutroom: warning: cut.toml: shot 2: 2 character(s) {lacks}: \u{c138} \u{acc4}\n\
             cutroom: warning: cut.toml: text 1: 1 character(s) {lacks}: \u{1f525}\n\
             cutroom: error: cut.toml: text 2 starts at 10.000 s, past the end of the output \
             (7.000 s)\n"
        )
    );
}

#[test]
fn focus_auto_without_a_crop_is_the_specs_bad_input() {
    let (code, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[reframe]\nfit = \"pad\"\nfocus = \"auto\"\n[[shot]]\nsrc = \"{}\"\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cut.toml: reframe: focus = \"auto\" moves a crop window"),
        "{err}"
    );
}

#[test]
fn a_shots_download_error_keeps_its_http_status_and_url() {
    use cutroom::assemble::{sources, spec::Cut};
    use cutroom::fetch::{ApiConfig, Client, Limits, PollOptions, RenderOptions};
    use cutroom::Error;
    let emu = Emulator::start(&[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    let url = format!("{}/no-such-render.mp4", emu.base_url);
    std::fs::write(
        &spec,
        format!("outputs = [\"square\"]\n[[shot]]\nurl = \"{url}\"\n"),
    )
    .unwrap();
    let cut = Cut::load(&spec).unwrap();
    let opts = RenderOptions {
        concurrency: 1,
        poll: PollOptions::default(),
        limits: Limits::default(),
        retry_failed: false,
        max_cost: None,
        spent: Default::default(),
        resolve: Vec::new(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(async {
            let client = Client::new(ApiConfig::new(&emu.base_url)?)?;
            let shots = dir.path().join("shots");
            sources::resolve(
                &cut,
                &spec,
                &shots,
                &client,
                &opts,
                &cutroom::progress::Silent,
            )
            .await
        })
        .unwrap_err();
    let named = format!("{}: shot 1: ", spec.display());
    assert!(err.to_string().starts_with(&named), "{err}");
    match err.without_context() {
        Error::Http {
            status: 404,
            url: answered,
            ..
        } => assert_eq!(answered, &url),
        e => panic!("not the HTTP error: {e:?}"),
    }
}

#[test]
fn a_caption_only_key_in_a_text_cards_style_is_named_at_its_line() {
    let (_, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\n[[shot]]\ntext = \"Bye\"\n\
         duration = 1\n[shot.style]\nsize = 0.1\nmax_chars = 20\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert!(
        err.contains("cut.toml:9:1")
            && err.contains("shot 2: style.max_chars: unknown field `max_chars`"),
        "{err}"
    );
}

#[test]
fn a_url_given_as_a_shots_src_says_it_goes_in_url() {
    let (_, err) = assemble_code_and_error(
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"https://cdn.example/clip.mp4\"\n",
    );
    assert!(
        err.contains(
            "shot 1: src: no such file https://cdn.example/clip.mp4 (a URL goes in `url`)"
        ),
        "{err}"
    );
}

#[test]
fn an_unknown_key_in_the_captions_table_is_named_at_its_line() {
    let (_, err) = assemble_code_and_error(&format!(
        "outputs = [\"square\"]\n[captions]\nsize = 0.05\ncolour = \"red\"\n[[shot]]\nsrc = \"{}\"\n",
        fixture("marker_portrait_30.mp4").display()
    ));
    assert!(
        err.contains("cut.toml:4:1")
            && err.contains("captions.colour: unknown field `colour`")
            && err.contains("`color`"),
        "{err}"
    );
}

/// The soundtrack is mastered while the pictures encode: a music bed that turns out unreadable
/// stops the run at once (not after the encode), names the file, and leaves no deliverable.
#[test]
fn an_unreadable_music_bed_stops_the_run_at_once_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // 40 s to export at full size: about 30 s of work on two cores.
    let clip = dir.path().join("long.mp4");
    tone_clip(&clip, 1280, 720, 30, 40.0, "gray", Some(0.1));
    let bed = dir.path().join("bed.wav");
    std::fs::write(&bed, vec![0x5a_u8; 5000]).unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "outputs = [\"reels\", \"youtube\"]\n[[shot]]\nsrc = \"{}\"\n[music]\nfile = \"{}\"\n",
            clip.display(),
            bed.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let started = std::time::Instant::now();
    let run = cutroom(&[
        "-q",
        "assemble",
        spec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let took = started.elapsed().as_secs_f64();
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains(&format!("{}: not an audio file", bed.display())),
        "{err}"
    );
    assert!(
        took < 8.0,
        "the run went on for {took:.1} s after the bed failed"
    );
    let left: Vec<_> = std::fs::read_dir(&out)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in the output directory: {left:?}");
}

#[test]
fn a_joined_cut_that_cannot_be_written_is_said_of_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("shot.mp4");
    testsrc_with_sound(&clip, 4, CLICKS, &[]);
    let spec = dir.path().join("cut.toml");
    let shot = format!("[[shot]]\nsrc = \"{}\"\n", clip.display());
    std::fs::write(&spec, format!("outputs = [\"x\"]\n{shot}{shot}")).unwrap();
    let out = dir.path().join("out");
    // The joined master (a copy of both shots' packets, larger than 50 kB) cannot be written,
    // as on a full disk: the error names the directory given, not the run's working files.
    let run = cutroom_with_file_limit(50, &["-q", "assemble", s(&spec), "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "error: {}: writing the joined cut: ",
            out.display()
        )),
        "{err}"
    );
    assert!(err.contains("File too large"), "{err}");
    assert!(!err.contains(".assemble-"), "{err}");
    assert!(!out.exists(), "nothing left");
}

/// `cutroom -q assemble SPEC -o OUT --json` run in `cwd`, which must succeed: its report.
fn assemble_in(cwd: &Path, spec: &str, out: &str) -> Value {
    let run = succeeded(
        cutroom_command()
            .current_dir(cwd)
            .args(["-q", "assemble", spec, "-o", out, "--json"]),
    );
    serde_json::from_slice(&run.stdout).unwrap()
}

#[test]
fn a_rerun_naming_its_spec_otherwise_reports_its_own_spec_and_inputs_with_the_reused_figures() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::fs::create_dir(&a).unwrap();
    testsrc_with_sound(&a.join("shot.mp4"), 2, CLICKS, &[]);
    std::fs::write(
        a.join("cut.toml"),
        "outputs = [\"x\"]\n[[shot]]\nsrc = \"shot.mp4\"\n",
    )
    .unwrap();
    let first = assemble_in(&a, "cut.toml", "../out");
    assert_eq!(first["spec"], "cut.toml");
    let made = dir.path().join("out/cut.x.mp4");
    let made_at = std::fs::metadata(&made).unwrap().modified().unwrap();
    // The same cut from the directory above: nothing changed, so the deliverable is kept, but
    // the report names the spec and the shot as this run was given them.
    let again = assemble_in(dir.path(), "a/cut.toml", "out");
    assert_eq!(again["spec"], "a/cut.toml");
    assert_eq!(again["inputs"][0]["file"], "a/shot.mp4");
    assert_eq!(again["inputs"][0]["source"], "a/shot.mp4");
    let (o, earlier) = (&again["outputs"][0], &first["outputs"][0]);
    assert_eq!(o["reused"], true);
    for field in ["key", "bytes", "loudness", "sync_verdict", "sync_offset_ms"] {
        assert_eq!(o[field], earlier[field], "{field}");
    }
    assert_eq!(
        std::fs::metadata(&made).unwrap().modified().unwrap(),
        made_at
    );
    let written: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(written["spec"], "a/cut.toml");
    assert_eq!(written["inputs"], again["inputs"]);
}

#[test]
fn schema_validates_the_demo_spec_and_rejects_unknown_keys() {
    let schema = cutroom_json(&["schema"]);
    let dir = tempfile::tempdir().unwrap();
    let schema_path = dir.path().join("schema.json");
    std::fs::write(&schema_path, schema.to_string()).unwrap();
    let python = python_with(&["jsonschema"]);
    let script = r#"
import sys, json, tomllib, jsonschema
schema = json.load(open(sys.argv[1]))
cut = tomllib.load(open(sys.argv[2], "rb"))
jsonschema.validate(cut, schema)
cut["music"]["depht"] = -3
try:
    jsonschema.validate(cut, schema)
    print("accepted")
except jsonschema.ValidationError:
    print("rejected")
"#;
    let run = succeeded(
        std::process::Command::new(python)
            .args(["-c", script])
            .arg(&schema_path)
            .arg(fixture("demo/cut.toml")),
    );
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "rejected");
}

/// report.html counts a one-shot cut as "1 shot" (it said "1 shots").
#[test]
fn report_html_counts_one_shot_as_one_shot() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("red.mp4");
    tone_clip(&clip, 320, 180, 30, 1.0, "red", Some(440.0));
    std::fs::write(dir.path().join("small.toml"), SMALL_PRESETS).unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "outputs = [\"square\"]\npresets = \"small.toml\"\n[[shot]]\nsrc = \"{}\"\n",
            clip.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    assemble_json(&spec, &out);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains(" s, 1 shot ("), "{html}");
}

#[test]
fn contact_sheet_shows_every_shot_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let colors = [
        ("red", [255, 0, 0]),
        ("lime", [0, 255, 0]),
        ("blue", [0, 0, 255]),
    ];
    let mut spec = String::from("outputs = [\"square\"]\npresets = \"small.toml\"\n");
    for (name, _) in colors {
        let clip = dir.path().join(format!("{name}.mp4"));
        tone_clip(&clip, 320, 180, 30, 2.0, name, Some(440.0));
        spec += &format!("[[shot]]\nsrc = \"{}\"\n", clip.display());
    }
    std::fs::write(dir.path().join("small.toml"), SMALL_PRESETS).unwrap();
    let spec_path = dir.path().join("cut.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("out");
    let report = assemble_json(&spec_path, &out);
    let sheet = read_png(Path::new(report["contact_sheet"].as_str().unwrap()));
    // Thumbnails of the 320x180 cut, left to right in shot order, each its shot's colour.
    let (margin, label, tw, th) = (24, 40, 320, 180);
    assert_eq!(
        (sheet.width, sheet.height),
        (margin + 3 * (tw + margin), margin + label + th + margin)
    );
    for (i, (name, rgb)) in colors.iter().enumerate() {
        let px = sheet.at(
            margin + i as u32 * (tw + margin) + tw / 2,
            margin + label + th / 2,
        );
        let off = px
            .iter()
            .zip(rgb)
            .map(|(a, b)| (i32::from(*a) - b).abs())
            .max()
            .unwrap();
        assert!(
            off <= 24,
            "shot {} ({name}): thumbnail colour {px:?}",
            i + 1
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<img src=\"contact.png\""),
        "report.html lacks the contact sheet"
    );
    assert!(html.contains(" s, 3 shots ("), "{html}");
}

#[test]
fn demo_spec_makes_checked_deliverables_in_sync_at_every_shot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let emu = Emulator::start(&["--render-time", "1s", "--poll-after", "100ms"], &[]);
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo/cut.toml");
    let report = emu.cutroom_json(&["-q", "assemble", s(&spec), "-o", s(&out), "--json"]);
    // Two 4 s sora-2 renders at the catalog's $0.10/s.
    let inputs = report["inputs"].as_array().unwrap();
    let renders: Vec<_> = inputs
        .iter()
        .filter(|i| i["source"].as_str().unwrap().starts_with("render:"))
        .collect();
    assert_eq!(renders.len(), 2);
    for input in renders {
        assert_eq!(input["seconds_billed"], 4.0, "{input}");
        assert!(
            (input["cost_usd"].as_f64().unwrap() - 0.4).abs() < 1e-9,
            "{input}"
        );
        assert_eq!(input["cost_estimated"], true);
    }
    assert!((report["cost"]["total_usd"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(report["cost"]["estimated"], true);
    let total = report["cut"]["duration_s"].as_f64().unwrap();
    let fps = 30.0;
    let sizes = [(1080, 1920), (1080, 1080), (1920, 1080)];
    let outputs = report["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 3);
    for (o, size) in outputs.iter().zip(sizes) {
        let path = Path::new(o["path"].as_str().unwrap());
        check_deliverable(path, size, total, -14.0);
        // The demo's logo (orange, 90 % opaque) in the top-right corner.
        let frame = frame_at(path, 2.0, &dir.path().join("logo.png"));
        let (x0, y0, _, y1) = frame
            .bbox(|p| p[0] > 180 && (60..140).contains(&p[1]) && p[2] < 60)
            .expect("the logo is drawn");
        assert!(
            f64::from(x0) > 0.6 * f64::from(frame.width)
                && f64::from(y1) < 0.3 * f64::from(frame.height),
            "logo at {:?} in {}",
            (x0, y0),
            path.display()
        );
        // The demo's captions, as they land, beside each deliverable.
        let srt = std::fs::read_to_string(path.with_extension("srt")).unwrap();
        assert!(
            srt.starts_with("1\n00:00:00,500 --> 00:00:03,000\nA paper boat sets sail\n")
                && srt.contains("3\n00:00:08,500 --> 00:00:11,000\nThe cat keeps watch\n"),
            "{srt}"
        );
        // ... burnt in as they land, and the end card's text on the last two seconds.
        for (t, shown, hidden) in [
            (1.5, &["PAPER", "BOAT", "SAIL"][..], &["CUTROOM"][..]),
            (total - 1.0, &["MADE", "WITH", "CUTROOM"][..], &["SAIL"][..]),
        ] {
            let frame = frame_at(path, t, &dir.path().join("ocr.png"));
            let at = format!("{} at {t:.2} s", path.display());
            if !assert_ocr(&frame, shown, hidden, &dir.path().join("ocr.pgm"), &at) {
                return;
            }
        }
        // Every shot span measured, each within one frame (the end card has no sound and
        // no picture events: nothing to measure).
        let shots = o["shots"].as_array().unwrap();
        assert_eq!(shots.len(), 4, "{o}");
        for s in &shots[..3] {
            let off = s["offset_ms"].as_f64().unwrap_or(f64::NAN);
            assert!(off.abs() <= 1000.0 / fps, "{}: shot {s}", path.display());
        }
        // Each shot judged alone, by the same analysis as `cutroom sync`: the rendered shots
        // pass on their paired markers; the middle one shows one marker after the fade into
        // it, and one pairing is no evidence; the end card has none.
        let verdicts: Vec<&str> = shots
            .iter()
            .map(|s| s["verdict"].as_str().unwrap())
            .collect();
        assert_eq!(
            verdicts,
            ["pass", "inconclusive", "pass", "inconclusive"],
            "{o}"
        );
        assert_eq!(shots[0]["method"], "events", "{o}");
        assert_eq!(o["sync_method"], "events", "{o}");
    }
}

#[test]
fn timeline_clips_start_on_their_sources_frames_and_last_as_the_cut_holds_them() {
    // A 25 fps shot (trimmed to 0.4-2.4 s) crossfaded after a 30 fps one, in a 30 fps cut (set:
    // most of this cut is at 25 fps, its default); then 13 frames of the 25 fps one (0.52 s),
    // which the cut holds for 16 of its frames.
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a30.mp4"), dir.path().join("b25.mp4"));
    tone_clip(&a, 320, 180, 30, 2.0, "red", Some(0.3));
    tone_clip(&b, 320, 180, 25, 3.0, "blue", Some(0.3));
    std::fs::write(dir.path().join("small.toml"), SMALL_PRESETS).unwrap();
    let spec = format!(
        "outputs = [\"square\"]\npresets = \"small.toml\"\nframe_rate = \"30\"\n\
         [[shot]]\nsrc = \"{}\"\ntransition = {{ kind = \"crossfade\", duration = \"0.4\" }}\n\
         [[shot]]\nsrc = \"{b}\"\nin = \"0.4\"\nout = \"2.4\"\n\
         [[shot]]\nsrc = \"{b}\"\nout = \"0.52\"\n",
        a.display(),
        b = b.display()
    );
    let spec_path = dir.path().join("cut.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("out");
    let report = assemble_json(&spec_path, &out);
    assert_eq!(report["cut"]["video"]["frame_rate"], "30/1", "{report}");
    let t: Value =
        serde_json::from_slice(&std::fs::read(out.join("timeline.otio")).unwrap()).unwrap();
    let v = &t["tracks"]["children"][0]["children"];
    let time = |t: &Value| (t["value"].as_f64().unwrap(), t["rate"].as_f64().unwrap());
    let (first, dissolve, second) = (&v[0], &v[1], &v[2]);
    assert_eq!(dissolve["OTIO_SCHEMA"], "Transition.1");
    // The 0.4 s dissolve is 12 frames of the cut, centred on the cut: 6 frames each side.
    assert_eq!(time(&dissolve["in_offset"]), (6.0, 30.0));
    assert_eq!(time(&dissolve["out_offset"]), (6.0, 30.0));
    let range = |c: &Value, k: &str| {
        let r = &c[k];
        (time(&r["start_time"]), time(&r["duration"]))
    };
    // Shot 1: 60 frames at 30 fps, 6 of them (0.2 s) under the dissolve.
    assert_eq!(range(first, "source_range"), ((0.0, 30.0), (54.0, 30.0)));
    let avail = |c: &Value| range(&c["media_reference"], "available_range");
    assert_eq!(avail(first), ((0.0, 30.0), (60.0, 30.0)));
    // Shot 2 from its own 25 fps frame 10 (0.4 s), 5 of them (0.2 s) under the dissolve; it
    // lasts as long in the cut's 30 fps frames as shot 1 (the file has 75 frames).
    assert_eq!(range(second, "source_range"), ((15.0, 25.0), (54.0, 30.0)));
    assert_eq!(avail(second), ((0.0, 25.0), (75.0, 25.0)));
    // Shot 3 lasts what the cut gives it, so the clips add up to the deliverable.
    let held = report["cut"]["shots"][2]["duration_ticks"]
        .as_i64()
        .unwrap();
    assert_eq!(report["cut"]["video"]["time_base"], "1/30");
    assert_eq!(held, 16);
    assert_eq!(range(&v[3], "source_range"), ((0.0, 25.0), (16.0, 30.0)));
    let total: f64 = [first, second, &v[3]]
        .iter()
        .map(|c| range(c, "source_range").1 .0)
        .sum();
    assert_eq!(
        Some(total as i64),
        report["cut"]["duration_ticks"].as_i64(),
        "{report}"
    );
}

/// Pixels with every channel over 180 (the captions' white text) in rows `[y0, y1)`.
fn light_pixels(frame: &Rgb, y0: u32, y1: u32) -> usize {
    (y0..y1)
        .flat_map(|y| (0..frame.width).map(move |x| (x, y)))
        .filter(|&(x, y)| frame.at(x, y).iter().all(|&c| c > 180))
        .count()
}

/// Light pixels in the caption band (rows 640-960 of a 720x1280 frame) of frame `n` of `video`.
fn caption_band(video: &Path, n: u32, dir: &Path) -> usize {
    let png = dir.join(format!("frame{n}.png"));
    ff(&[
        "-i",
        video.to_str().unwrap(),
        "-vf",
        &format!("select=eq(n\\,{n})"),
        "-frames:v",
        "1",
        "-pix_fmt",
        "rgb24",
        png.to_str().unwrap(),
    ]);
    light_pixels(&read_png(&png), 640, 960)
}

#[test]
fn captions_follow_trims_crossfades_and_offsets_with_logo_and_text_overlays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, colour, secs) in [("a.mp4", "0x3060C0", "3"), ("b.mp4", "0x206040", "2")] {
        from_lavfi(
            &d.join(name),
            &format!("color=c={colour}:s=640x360:r=30:d={secs}"),
            &[
                "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            ],
        );
    }
    still(&d.join("logo.png"), "color=c=magenta:s=128x64,format=rgba");
    // Shot a plays source 1-3 s at cut 0-2 s: ALPHA is trimmed away, BRAVO lands at 0.3 s.
    std::fs::write(
        d.join("a.srt"),
        "1\n00:00:00,200 --> 00:00:00,800\nALPHA\n\n2\n00:00:01,300 --> 00:00:01,900\nBRAVO\n",
    )
    .unwrap();
    // Shot a crossfades into b over 0.5 s, so b plays from cut 1.5 s: CHARLIE at source
    // 0.5 s lands at 2.0 s. The cut is 3.5 s long.
    std::fs::write(
        d.join("b.srt"),
        "1\n00:00:00,500 --> 00:00:01,200\nCHARLIE\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cut.srt"),
        "1\n00:00:02,900 --> 00:00:03,400\nDELTA\n",
    )
    .unwrap();
    std::fs::write(
        d.join("p.toml"),
        "[vert]\nbase = \"tiktok\"\nwidth = 720\nheight = 1280\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cut.toml"),
        r#"
name = "c"
outputs = ["vert"]
presets = "p.toml"

[captions]
file = "cut.srt"

[logo]
file = "logo.png"
corner = "top-right"
width = 0.2

[[text]]
text = "SALE"
position = "center"
start = 1.0
end = 1.8

[[shot]]
src = "a.mp4"
in = "1"
captions = "a.srt"
transition = { kind = "crossfade", duration = "0.5" }

[[shot]]
src = "b.mp4"
captions = "b.srt"
"#,
    )
    .unwrap();
    let out = d.join("out");
    let assemble = || assemble_json(&d.join("cut.toml"), &out);
    let report = assemble();
    let video = out.join("c.vert.mp4");
    let vtt = out.join("c.vert.vtt");
    assert_eq!(report["outputs"][0]["sidecars"][1], vtt.to_str().unwrap());
    let sidecar = std::fs::read_to_string(out.join("c.vert.srt")).unwrap();
    assert_eq!(
        sidecar,
        "1\n00:00:00,300 --> 00:00:00,900\nBRAVO\n\n2\n00:00:02,000 --> 00:00:02,700\nCHARLIE\n\n3\n00:00:02,900 --> 00:00:03,400\nDELTA\n\n"
    );
    let zones: [[f64; 4]; 3] = [
        [0.0, 0.0, 1.0, 0.08],
        [0.0, 0.75, 1.0, 1.0],
        [0.87, 0.3, 1.0, 0.75],
    ];
    let all = ["ALPHA", "BRAVO", "CHARLIE", "DELTA", "SALE"];
    for (t, shown) in [
        (0.15, None),
        (0.6, Some("BRAVO")),
        (1.4, Some("SALE")),
        (2.4, Some("CHARLIE")),
        (3.2, Some("DELTA")),
    ] {
        let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
        let Some(words) = ocr_words(&frame, &d.join("ocr.pgm")) else {
            return;
        };
        for w in all {
            assert_eq!(
                words.contains(&w.to_string()),
                shown == Some(w),
                "at {t} s: {w} in {words:?}"
            );
        }
        // The logo (magenta) is in the top-right corner, clear of the UI zones.
        let (x0, y0, x1, y1) = frame
            .bbox(|p| p[0] > 200 && p[1] < 60 && p[2] > 200)
            .expect("the logo is on every frame");
        let b = [
            x0 as f64 / 720.0,
            y0 as f64 / 1280.0,
            x1 as f64 / 720.0,
            y1 as f64 / 1280.0,
        ];
        assert!(
            b[0] > 0.5 && b[1] < 0.3 && (b[2] - b[0] - 0.2).abs() < 0.01,
            "logo at {b:?}"
        );
        for z in zones {
            assert!(
                !(b[0] < z[2] && b[2] > z[0] && b[1] < z[3] && b[3] > z[1]),
                "logo {b:?} under {z:?}"
            );
        }
    }
    // Exact to the frame: BRAVO starts on frame 9 (0.300 s) of the cut, not on frame 8.
    assert_eq!(caption_band(&video, 8, d), 0, "frame 8 has no caption");
    assert!(caption_band(&video, 9, d) > 100, "frame 9 has the caption");
    // A re-run keeps the deliverable while its sidecars are there, and makes it again when one
    // is gone.
    assert_eq!(assemble()["reused"], true);
    std::fs::remove_file(&vtt).unwrap();
    let again = assemble();
    assert!(again.get("reused").is_none(), "{again}");
    assert_eq!(again["outputs"][0]["reused"], false);
    assert!(vtt.is_file());
    // Likewise its cover picture, which the report names.
    let cover = out.join("c.vert.jpg");
    assert_eq!(again["outputs"][0]["cover"], cover.to_str().unwrap());
    std::fs::remove_file(&cover).unwrap();
    let again = assemble();
    assert_eq!(again["outputs"][0]["reused"], false, "{again}");
    assert!(cover.is_file());
}

#[test]
fn shot_captions_play_at_the_retimed_time_of_a_sped_up_shot() {
    // Shot b (4 s) plays at speed 2 from cut 1 s: ECHO at source 1.0-2.0 s lands at 1.5-2.0 s.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tone_clip(&d.join("a.mp4"), 320, 180, 30, 1.0, "0x3060C0", None);
    tone_clip(&d.join("b.mp4"), 320, 180, 30, 4.0, "0x206040", None);
    std::fs::write(d.join("b.srt"), "1\n00:00:01,000 --> 00:00:02,000\nECHO\n").unwrap();
    std::fs::write(
        d.join("p.toml"),
        "[vert]\nbase = \"tiktok\"\nwidth = 720\nheight = 1280\n",
    )
    .unwrap();
    std::fs::write(
        d.join("cut.toml"),
        "name = \"c\"\noutputs = [\"vert\"]\npresets = \"p.toml\"\n\
         [[shot]]\nsrc = \"a.mp4\"\n\
         [[shot]]\nsrc = \"b.mp4\"\nspeed = 2\ncaptions = \"b.srt\"\n",
    )
    .unwrap();
    let out = d.join("out");
    assemble_json(&d.join("cut.toml"), &out);
    let video = out.join("c.vert.mp4");
    assert_eq!(
        std::fs::read_to_string(out.join("c.vert.srt")).unwrap(),
        "1\n00:00:01,500 --> 00:00:02,000\nECHO\n\n"
    );
    // On the frame: not on frame 44 (1.467 s), from frame 45 (1.500 s).
    assert_eq!(caption_band(&video, 44, d), 0, "frame 44 has no caption");
    assert!(
        caption_band(&video, 45, d) > 100,
        "frame 45 has the caption"
    );
    for (t, shown) in [(1.3, false), (1.75, true), (2.3, false)] {
        let frame = frame_at(&video, t, &d.join(format!("{t}.png")));
        let Some(words) = ocr_words(&frame, &d.join("ocr.pgm")) else {
            return;
        };
        assert_eq!(
            words.contains(&"ECHO".to_string()),
            shown,
            "at {t} s: {words:?}"
        );
    }
}

#[test]
fn cards_reach_every_deliverable_silent_under_the_music_and_in_the_timeline() {
    // A text card crossfades into a clip, which cuts to a colour end card.
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    tone_clip(&clip, 320, 180, 30, 2.0, "red", Some(0.3));
    std::fs::write(dir.path().join("small.toml"), SMALL_PRESETS).unwrap();
    let spec = format!(
        "outputs = [\"square\"]\npresets = \"small.toml\"\n\
         [[shot]]\ntext = \"Title\"\ncolor = \"#203040\"\nduration = 1\n\
         transition = {{ kind = \"crossfade\", duration = \"0.4\" }}\n\
         [[shot]]\nsrc = \"{}\"\n\
         [[shot]]\ncolor = \"#e0c020\"\nduration = \"1s\"\n",
        clip.display()
    );
    let spec_path = dir.path().join("cut.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.path().join("out");
    let report = assemble_json(&spec_path, &out);
    assert_eq!(report["cut"]["duration_s"], 3.6, "{report}");
    assert_eq!(report["cut"]["video"]["frame_rate"], "30/1", "{report}");
    let inputs = report["inputs"].as_array().unwrap();
    assert_eq!(
        (&inputs[0]["how"], &inputs[0]["file"], &inputs[2]["source"]),
        (&"card".into(), &Value::Null, &"color card #e0c020".into())
    );
    let video = Path::new(report["outputs"][0]["path"].as_str().unwrap());
    let probe = ffprobe(video);
    assert_eq!(
        (
            &probe["streams"][0]["width"],
            &probe["streams"][0]["height"]
        ),
        (&240.into(), &240.into())
    );
    let dur: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((dur - 3.6).abs() < 0.04, "{dur} s");
    // The cards show their colours (reframed like any shot).
    for (t, want) in [(0.2, [0x20, 0x30, 0x40]), (3.3, [0xe0, 0xc0, 0x20])] {
        let png = dir.path().join(format!("{t}.png"));
        let got = frame_at(video, t, &png).mean(20, 70, 40, 90);
        assert!(
            got.iter()
                .zip(want)
                .all(|(g, w)| (g - f64::from(w)).abs() <= 6.0),
            "at {t} s: {got:?}, expected {want:?}"
        );
    }
    // Its cover: a JPEG of its size, from the first third.
    let cover = out.join("cut.square.jpg");
    let p = ffprobe(&cover);
    assert_eq!(
        (&p["streams"][0]["codec_name"], &p["streams"][0]["width"]),
        (&"mjpeg".into(), &240.into())
    );
    // Silent: the tone plays only over the clip.
    let pcm = audio_samples(video);
    assert!(rms(&pcm, 2.8, 3.5) < 1e-3, "the end card has sound");
    assert!(rms(&pcm, 1.5, 2.0) > 1e-2, "the clip lost its sound");
    // The timeline has the cards as generated clips, with no file behind them.
    let t: Value =
        serde_json::from_slice(&std::fs::read(out.join("timeline.otio")).unwrap()).unwrap();
    let v = t["tracks"]["children"][0]["children"].as_array().unwrap();
    let kinds: Vec<&str> = v
        .iter()
        .map(|c| {
            c["media_reference"]["OTIO_SCHEMA"]
                .as_str()
                .unwrap_or("transition")
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "GeneratorReference.1",
            "transition",
            "ExternalReference.1",
            "GeneratorReference.1"
        ]
    );
}

/// `cutroom batch`: 24 variants of one templated cut (2 caption languages x 3 calls to action
/// x 4 presets) with one emulated render shared by all of them.
mod batch {
    use super::*;
    use std::process::{Child, Command, Stdio};

    fn write_batch(d: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
        std::fs::write(
            d.join("p.toml"),
            "[vert]\nbase = \"tiktok\"\nwidth = 90\nheight = 160\n\
             [sq]\nbase = \"square\"\nwidth = 96\nheight = 96\n\
             [feed]\nbase = \"feed45\"\nwidth = 96\nheight = 120\n\
             [wide]\nbase = \"youtube\"\nwidth = 160\nheight = 90\n",
        )
        .unwrap();
        for (lang, line) in [("en", "HELLO"), ("fr", "BONJOUR")] {
            std::fs::write(
                d.join(format!("{lang}.srt")),
                format!("1\n00:00:00,200 --> 00:00:01,000\n{line}\n"),
            )
            .unwrap();
        }
        let spec = d.join("cut.toml");
        std::fs::write(
            &spec,
            format!(
                r#"
name = "promo-{{{{lang}}}}"
outputs = ["{{{{format}}}}"]
presets = "p.toml"

[vars]
lang = "en"
cta = "BUY"
format = "vert"

[captions]
file = "{{{{lang}}}}.srt"

[[text]]
text = "{{{{cta}}}}"
position = "center"

[[shot]]
[shot.render]
prompt = "opening"
model = "google/veo-3"
seconds = 1
size = "160x90"

[[shot]]
src = "{local}"
in = "1"
out = "2"
"#,
                local = fixture("marker_landscape_25.mp4").display()
            ),
        )
        .unwrap();
        let mut csv = String::from("variant,lang,cta,format\n");
        for lang in ["en", "fr"] {
            for cta in ["BUY", "SHOP NOW", "\"SEE, MORE\""] {
                for format in ["vert", "sq", "feed", "wide"] {
                    let short: String = cta.chars().filter(|c| c.is_alphabetic()).collect();
                    csv += &format!("{lang}-{short}-{format},{lang},{cta},{format}\n");
                }
            }
        }
        let variants = d.join("variants.csv");
        std::fs::write(&variants, csv).unwrap();
        (spec, variants)
    }

    fn batch_cmd(emu: &Emulator, spec: &Path, variants: &Path, out: &Path) -> Command {
        let mut c = api_cmd(emu, "batch", spec, out);
        c.arg("--variants").arg(variants);
        c
    }

    /// `cutroom batch cut.toml --variants variants.csv -o OUT --shards N --emit ENGINE` in
    /// `dir` (made by [`write_batch`]).
    fn emit_cmd(dir: &Path, out: &str, shards: &str, engine: &str) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cutroom"));
        c.args(["batch", "cut.toml", "--variants", "variants.csv", "-o", out])
            .args(["--shards", shards, "--emit", engine])
            .current_dir(dir);
        c
    }

    /// The Kubernetes job `emit` (a `batch --emit k8s`, which must succeed) prints, its stdout
    /// and its stderr.
    fn emitted_job(emit: &mut Command) -> (Value, String, String) {
        let run = emit.output().unwrap();
        assert!(run.status.success(), "{run:?}");
        let out = String::from_utf8(run.stdout).unwrap();
        let err = String::from_utf8(run.stderr).unwrap();
        (serde_json::from_str(&out).unwrap(), out, err)
    }

    /// The container of an emitted Kubernetes job.
    fn container(job: &Value) -> &Value {
        &job["spec"]["template"]["spec"]["containers"][0]
    }

    /// The variable `name` of an emitted Kubernetes job's container.
    fn job_var<'a>(job: &'a Value, name: &str) -> &'a Value {
        let env = &container(job)["env"];
        env.as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {env}"))
    }

    /// `cutroom -q COMMAND SPEC -o OUT` rendering on `emu`, no shard set by the environment.
    fn api_cmd(emu: &Emulator, command: &str, spec: &Path, out: &Path) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cutroom"));
        c.args(["-q", command])
            .arg(spec)
            .arg("-o")
            .arg(out)
            .args(["--allow-any", "--provider", "replicate"])
            .env(emu.base_var(), &emu.base_url)
            .env("REPLICATE_API_TOKEN", "sk-test")
            .env("OPENAI_API_KEY", "sk-test")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("SLURM_ARRAY_TASK_COUNT")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    }

    fn report(out: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(out.join("batch.json")).unwrap()).unwrap()
    }

    /// Every deliverable of the batch in `out`: variant/file name -> its content key and the
    /// hashes of its picture's and its sound's packets.
    fn hashes(out: &Path) -> std::collections::BTreeMap<String, String> {
        let r = report(out);
        let vs = r["variants"].as_object().unwrap();
        assert_eq!(vs.len(), 24);
        let mut h = std::collections::BTreeMap::new();
        for (name, v) in vs {
            assert_eq!(v["status"], "passed", "{name}: {v}");
            let outs = v["outputs"].as_array().unwrap();
            assert_eq!(outs.len(), 1, "{name}");
            for o in outs {
                let p = Path::new(o.as_str().unwrap());
                assert!(p.starts_with(out.join(name)), "{name}: {p:?}");
                let key = vs[name]["dir"].as_str().map(|d| {
                    let r: Value = serde_json::from_slice(
                        &std::fs::read(Path::new(d).join("report.json")).unwrap(),
                    )
                    .unwrap();
                    r["outputs"][0]["key"].as_str().unwrap().to_string()
                });
                h.insert(
                    format!("{name}/{}", p.file_name().unwrap().to_string_lossy()),
                    format!("{} {}", key.unwrap(), stream_hashes(p)),
                );
            }
        }
        h
    }

    /// No temp file of a writer left anywhere under `dir` (lock files aside).
    fn assert_no_partials(dir: &Path) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if e.file_type().unwrap().is_dir() {
                assert_no_partials(&e.path());
            } else {
                assert!(
                    !name.starts_with('.') || name.ends_with(".lock"),
                    "partial file left: {}",
                    e.path().display()
                );
            }
        }
    }

    fn wait_ok(c: Child, what: &str) {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A 96x96 preset `sq` in `d/p.toml`, and `d/providers.toml` pricing `google/veo-3` on
    /// Replicate at $0.10 a second, which it returns.
    fn write_priced(d: &Path) -> std::path::PathBuf {
        std::fs::write(
            d.join("p.toml"),
            "[sq]\nbase = \"square\"\nwidth = 96\nheight = 96\n",
        )
        .unwrap();
        let providers = d.join("providers.toml");
        std::fs::write(
            &providers,
            "[[model]]\nprovider = \"replicate\"\nname = \"google/veo-3\"\nusd_per_second = 0.10\n",
        )
        .unwrap();
        providers
    }

    /// `--max-cost` is the batch's, not each variant's nor each shard's: two variants
    /// rendering a shot each under a cap that fits one made both (twice the cap, billed), and
    /// so did two shards of them, each holding the whole cap.
    #[test]
    fn a_batchs_variants_share_its_max_cost() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spec = d.join("cut.toml");
        std::fs::write(
            &spec,
            "name = \"c-{{p}}\"\noutputs = [\"sq\"]\npresets = \"p.toml\"\n[vars]\np = \"boat\"\n\
             [[shot]]\n[shot.render]\nprompt = \"a {{p}}\"\nmodel = \"google/veo-3\"\n\
             seconds = 1\nsize = \"160x90\"\n",
        )
        .unwrap();
        let variants = d.join("v.csv");
        std::fs::write(&variants, "variant,p\nv1,boat\nv2,ship\n").unwrap();
        let providers = write_priced(d);
        let emu = Emulator::start(&REPLICATE_EMULATOR, &[]);
        let start = |cap: &str, out: &str, shard: &[&str]| {
            let mut c = batch_cmd(&emu, &spec, &variants, &d.join(out));
            // A variant's error is on the batch's table (stdout).
            c.args(["--max-cost", cap, "--providers"])
                .arg(&providers)
                .args(shard)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            c.spawn().unwrap()
        };
        let said = |c: Child| {
            let o = c.wait_with_output().unwrap();
            let said = [o.stdout, o.stderr].concat();
            (o.status.code(), String::from_utf8_lossy(&said).into_owned())
        };
        // $0.10 a render: a cap of $0.15 fits one.
        let (code, err) = said(start("0.15", "out", &[]));
        assert_ne!(code, Some(0), "{err}");
        assert!(err.contains("over --max-cost"), "{err}");
        assert_eq!(
            emu.stats()["jobs_created"],
            1,
            "one render fits the cap: {err}"
        );
        // Two shards at once, one variant each: still one render.
        let shards = [
            start("0.15", "sharded", &["--shard", "0/2"]),
            start("0.15", "sharded", &["--shard", "1/2"]),
        ];
        let said: Vec<_> = shards.into_iter().map(said).collect();
        assert_eq!(emu.stats()["jobs_created"], 2, "one render more: {said:?}");
        assert!(
            said.iter()
                .any(|(code, err)| *code != Some(0) && err.contains("over --max-cost")),
            "{said:?}"
        );
    }

    /// A render shared by only some shots of the variants is made (and billed) once: variants
    /// whose shot 1 is the same and shot 2 their own made shot 1 again for each variant (8
    /// jobs for 4 variants, the cap spent on duplicates), since a cache held one set of requests.
    #[test]
    fn a_render_shared_by_some_shots_of_the_variants_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let spec = d.join("cut.toml");
        std::fs::write(
            &spec,
            "name = \"c-{{p}}\"\noutputs = [\"sq\"]\npresets = \"p.toml\"\n[vars]\np = \"boat\"\n\
             [[shot]]\n[shot.render]\nprompt = \"a harbour at dawn\"\nmodel = \"google/veo-3\"\n\
             seconds = 1\nsize = \"160x90\"\n\
             [[shot]]\n[shot.render]\nprompt = \"a {{p}}\"\nmodel = \"google/veo-3\"\n\
             seconds = 1\nsize = \"160x90\"\n",
        )
        .unwrap();
        let variants = d.join("v.csv");
        std::fs::write(
            &variants,
            "variant,p\nv1,boat\nv2,ship\nv3,gull\nv4,crane\n",
        )
        .unwrap();
        let providers = write_priced(d);
        let emu = Emulator::start(&REPLICATE_EMULATOR, &[]);
        let out = d.join("out");
        let run = |cap: &str| {
            let mut c = batch_cmd(&emu, &spec, &variants, &out);
            c.args(["--jobs", "4", "--max-cost", cap, "--providers"])
                .arg(&providers);
            wait_ok(c.spawn().unwrap(), "batch");
        };
        // $0.10 a render: $0.55 fits the 5 distinct renders, not the 8 of one per shot.
        run("0.55");
        assert_eq!(emu.stats()["jobs_created"], 5, "1 shared render + 4 own");
        let r = report(&out);
        let all = r["variants"].as_object().unwrap();
        assert_eq!(all.len(), 4);
        for (name, v) in all {
            assert_eq!(v["status"], "passed", "{name}: {v}");
            // Each deliverable holds both shots: 2 s of picture.
            let p = v["outputs"][0].as_str().unwrap();
            let secs: f64 = ffprobe(Path::new(p))["format"]["duration"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((secs - 2.0).abs() < 0.1, "{name}: {secs} s");
        }
        let ledger: Value =
            serde_json::from_slice(&std::fs::read(out.join(".budget.json")).unwrap()).unwrap();
        let prices = ledger["prices"].as_object().unwrap();
        assert_eq!(prices.len(), 5, "{ledger}");
        let spent: i64 = prices.values().map(|p| p.as_i64().unwrap()).sum();
        assert_eq!(spent, 500_000, "5 renders at $0.10: {ledger}");

        // A rerun with one variant more renders only its own shot.
        std::fs::write(
            &variants,
            "variant,p\nv1,boat\nv2,ship\nv3,gull\nv4,crane\nv5,tern\n",
        )
        .unwrap();
        run("0.65");
        assert_eq!(emu.stats()["jobs_created"], 6, "v5's own render only");
        assert_eq!(report(&out)["variants"]["v5"]["status"], "passed");
    }

    #[test]
    fn one_process_and_four_shards_one_killed_make_the_same_files_and_one_render() {
        let dir = tempfile::tempdir().unwrap();
        let (spec, variants) = write_batch(dir.path());
        let emu = Emulator::start(&REPLICATE_EMULATOR, &[]);
        let one = dir.path().join("one");
        wait_ok(
            batch_cmd(&emu, &spec, &variants, &one).spawn().unwrap(),
            "one process",
        );
        let want = hashes(&one);
        // The deliverables differ where the variables do (captions, text, preset).
        assert_eq!(
            want.values()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            24
        );
        assert_eq!(emu.stats()["jobs_created"], 1, "one render for 24 variants");
        // A variant's name and preset come from its variables.
        assert!(
            want.contains_key("fr-SHOPNOW-sq/promo-fr.sq.mp4"),
            "{want:?}"
        );

        // Four shards at once on one directory; shard 0 is killed once it has made a
        // variant, and run again.
        let shared = dir.path().join("shared");
        let mut shards: Vec<Child> = (0..4)
            .map(|k| {
                batch_cmd(&emu, &spec, &variants, &shared)
                    .args(["--shard", &format!("{k}/4"), "--jobs", "1"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        let start = std::time::Instant::now();
        loop {
            let made = std::fs::read(shared.join("batch.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .is_some_and(|r| {
                    r["variants"]
                        .as_object()
                        .unwrap()
                        .values()
                        .any(|v| v["shard"] == "0/4" && v["status"] == "passed")
                });
            if made {
                break;
            }
            assert!(start.elapsed().as_secs() < 300, "shard 0 made nothing");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let killed = shards.remove(0);
        Command::new("kill")
            .args(["-9", &killed.id().to_string()])
            .status()
            .unwrap();
        let status = killed.wait_with_output().unwrap().status;
        assert!(!status.success());
        for (k, c) in shards.into_iter().enumerate() {
            wait_ok(c, &format!("shard {}", k + 1));
        }
        let pending = report(&shared)["variants"]
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v["status"] != "passed")
            .count();
        wait_ok(
            batch_cmd(&emu, &spec, &variants, &shared)
                .args(["--shard", "0/4"])
                .spawn()
                .unwrap(),
            "shard 0 again",
        );
        assert_eq!(hashes(&shared), want);
        assert_no_partials(&shared);
        let r = report(&shared);
        let reused = r["variants"]
            .as_object()
            .unwrap()
            .values()
            .filter(|v| v["shard"] == "0/4" && v["reused"] == true)
            .count();
        assert!(
            reused >= 1 && pending >= 1,
            "reused {reused}, pending {pending}"
        );
        // The shared directory's renders are made once too (one job per shot cache).
        assert_eq!(emu.stats()["jobs_created"], 2);

        // The variants share one mastered soundtrack: every deliverable's sound is the bytes
        // a lone `assemble` of the spec (its defaults are variant en-BUY-vert) makes.
        let single = dir.path().join("single");
        wait_ok(
            api_cmd(&emu, "assemble", &spec, &single).spawn().unwrap(),
            "assemble",
        );
        let sound = |p: &Path| -> String {
            let h = stream_hashes(p);
            h.lines().filter(|l| l.contains(",a,")).collect()
        };
        let lone_sound = sound(&single.join("promo-en.vert.mp4"));
        assert!(!lone_sound.is_empty());
        for (name, v) in report(&one)["variants"].as_object().unwrap() {
            let p = v["outputs"][0].as_str().unwrap();
            assert_eq!(sound(Path::new(p)), lone_sound, "{name}");
        }
    }

    #[test]
    fn more_shards_than_variants_are_warned_of() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        // 24 variants: 30 shards leave 6 idle, 24 none.
        let run = emit_cmd(dir.path(), "out", "30", "slurm").output().unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{err}");
        assert!(
            err.contains(
                "warning: 30 shards for 24 variant(s): 6 of them would have nothing to do"
            ),
            "{err}"
        );
        let run = emit_cmd(dir.path(), "out", "24", "slurm").output().unwrap();
        assert!(run.status.success());
        assert!(!String::from_utf8_lossy(&run.stderr).contains("warning"));
    }

    #[test]
    fn emitted_kubernetes_job_and_slurm_script() {
        let dir = tempfile::tempdir().unwrap();
        let (spec, variants) = write_batch(dir.path());
        let args = |engine: &str| {
            cutroom(&[
                "batch",
                spec.to_str().unwrap(),
                "--variants",
                variants.to_str().unwrap(),
                "-o",
                "out dir",
                "--shards",
                "6",
                "--emit",
                engine,
                "--image",
                "registry.example/cutroom:1",
            ])
        };
        let k8s = args("k8s");
        assert!(
            k8s.status.success(),
            "{}",
            String::from_utf8_lossy(&k8s.stderr)
        );
        let job: Value = serde_json::from_slice(&k8s.stdout).unwrap();
        assert_eq!(job["apiVersion"], "batch/v1");
        assert_eq!(job["kind"], "Job");
        assert_eq!(job["spec"]["completionMode"], "Indexed");
        assert_eq!(job["spec"]["completions"], 6);
        assert_eq!(job["spec"]["parallelism"], 6);
        let pod = &job["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        let c = &pod["containers"][0];
        assert_eq!(c["image"], "registry.example/cutroom:1");
        let cmd: Vec<&str> = c["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(&cmd[..2], ["cutroom", "batch"]);
        assert!(cmd.windows(2).any(|w| w == ["--shards", "6"]), "{cmd:?}");
        assert!(cmd.windows(2).any(|w| w == ["-o", "out dir"]), "{cmd:?}");
        assert_eq!(
            c["volumeMounts"][0]["name"], pod["volumes"][0]["name"],
            "{pod}"
        );
        assert!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"].is_string());

        let slurm = args("slurm");
        assert!(slurm.status.success());
        let script = String::from_utf8(slurm.stdout).unwrap();
        assert!(script.contains("#SBATCH --array=0-5\n"), "{script}");
        assert!(script.contains("'out dir'"), "{script}");
        let path = dir.path().join("job.sh");
        std::fs::write(&path, &script).unwrap();
        let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stderr)
        );
    }

    /// The pods of an emitted Kubernetes job see only the volume at /work: an absolute `-o`
    /// elsewhere would give each shard its own output directory, and is warned of; paths
    /// relative to the volume are not.
    #[test]
    fn an_emitted_kubernetes_job_warns_of_an_output_off_its_volume() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        let emit = |out: &str, engine: &str| {
            let run = emit_cmd(dir.path(), out, "3", engine)
                .env_remove("OPENAI_API_KEY")
                .env_remove("OPENROUTER_API_KEY")
                .env_remove("FAL_KEY")
                .env_remove("REPLICATE_API_TOKEN")
                .output()
                .unwrap();
            assert!(run.status.success(), "{run:?}");
            let _: Value = match engine {
                "k8s" => serde_json::from_slice(&run.stdout).unwrap(),
                _ => Value::Null,
            };
            String::from_utf8_lossy(&run.stderr).into_owned()
        };
        let warned = emit("/srv/renders", "k8s");
        assert!(
            warned.contains("warning: -o /srv/renders is not under /work")
                && warned.contains("would not share one output directory")
                && warned.lines().count() == 1,
            "{warned}"
        );
        assert_eq!(emit("renders", "k8s"), "");
        assert_eq!(emit("/work/renders", "k8s"), "");
        // A Slurm array runs in the submit directory, whatever the path.
        assert_eq!(emit("/srv/renders", "slurm"), "");
    }

    /// An empty `--image` (or one with a space), or a `--claim` Kubernetes would refuse, is a
    /// usage error naming the option, and no manifest is printed.
    #[test]
    fn an_emitted_kubernetes_job_needs_an_image_and_a_claim_name() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        for (flag, value) in [
            ("--image", ""),
            ("--image", "cutroom latest"),
            ("--claim", ""),
            ("--claim", "My_Claim"),
        ] {
            let run = emit_cmd(dir.path(), "out", "3", "k8s")
                .args([flag, value])
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&run.stderr);
            assert_eq!(run.status.code(), Some(2), "{flag} {value:?}: {err}");
            assert!(err.contains(flag), "{err}");
            assert!(run.stdout.is_empty(), "{flag} {value:?}");
        }
    }

    /// The pods of an emitted Kubernetes job inherit no environment: they get where the API is
    /// as this shell has it, and the keys set here from a Secret, named on stderr with how to
    /// make it; no key's value is in the manifest or the note.
    #[test]
    fn an_emitted_kubernetes_job_gives_its_pods_the_api_settings_and_keys() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        let (job, out, err) = emitted_job(
            emit_cmd(dir.path(), "out", "2", "k8s")
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap())
                .env("CUTROOM_BASE_URL", "https://gateway.example/v1")
                .env("OPENAI_BASE_URL", "https://relay.example/v1?key=q-secret-9")
                .env("CUTROOM_PROVIDER", "replicate")
                .env("REPLICATE_API_TOKEN", "r8_secret_token")
                .env("OPENAI_API_KEY", "sk-secret-key"),
        );
        for secret in ["r8_secret_token", "sk-secret-key", "q-secret-9"] {
            assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
        }
        let env = &container(&job)["env"];
        let var = |name: &str| job_var(&job, name);
        assert_eq!(
            var("CUTROOM_BASE_URL")["value"],
            "https://gateway.example/v1"
        );
        assert_eq!(var("CUTROOM_PROVIDER")["value"], "replicate");
        // A base URL whose query may be a key (`?key=`) is read from the Secret too.
        for key in ["OPENAI_API_KEY", "REPLICATE_API_TOKEN", "OPENAI_BASE_URL"] {
            let from = &var(key)["valueFrom"]["secretKeyRef"];
            assert_eq!(from["name"], "cutroom-keys", "{env}");
            assert_eq!(from["key"], key, "{env}");
            assert!(err.contains(&format!("--from-literal={key}=")), "{err}");
        }
        assert_eq!(env.as_array().unwrap().len(), 5, "{env}");
        assert!(
            err.contains("kubectl create secret generic cutroom-keys"),
            "{err}"
        );
    }

    /// The files an emitted Kubernetes job's pods read (a CA, a model catalog, a signing key)
    /// come with it as this shell names them (options passed on, the signing variables as
    /// values, a time-stamp authority's password from the Secret); each one off the volume is
    /// warned of, by the option or variable that gave it.
    #[test]
    fn an_emitted_kubernetes_job_carries_the_files_it_reads_and_warns_of_those_off_its_volume() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        let (job, out, err) = emitted_job(
            emit_cmd(dir.path(), "out", "2", "k8s")
                .args(["--providers", "/srv/models.toml"])
                .args(["--ca-cert", "/etc/corp/ca.pem"])
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap())
                .env("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
                .env("CUTROOM_SIGN_CERT", "keys/chain.pem")
                .env("CUTROOM_SIGN_KEY", "/home/me/signer.key")
                .env(
                    "CUTROOM_SIGN_TSA",
                    "https://tsa-user:tsa-pw-77@tsa.example/",
                ),
        );
        for (given, path) in [
            ("--ca-cert", "/etc/corp/ca.pem"),
            ("--providers", "/srv/models.toml"),
            ("CUTROOM_SIGN_KEY", "/home/me/signer.key"),
        ] {
            assert!(
                err.contains(&format!("warning: {given} {path} is not under /work"))
                    && err.contains("the pods will not find it"),
                "{given}: {err}"
            );
        }
        assert!(!err.contains("keys/chain.pem"), "{err}");
        // The machine's own trust store setting is neither passed on nor warned of.
        assert!(!err.contains("SSL_CERT_FILE"), "{err}");
        assert!(!out.contains("SSL_CERT_FILE"), "{out}");
        assert!(
            !out.contains("tsa-pw-77") && !err.contains("tsa-pw-77"),
            "{out}{err}"
        );
        let var = |name: &str| job_var(&job, name);
        assert_eq!(var("CUTROOM_SIGN_CERT")["value"], "keys/chain.pem");
        assert_eq!(var("CUTROOM_SIGN_KEY")["value"], "/home/me/signer.key");
        let from = &var("CUTROOM_SIGN_TSA")["valueFrom"]["secretKeyRef"];
        assert_eq!(from["name"], "cutroom-keys", "{from}");
        assert!(err.contains("--from-literal=CUTROOM_SIGN_TSA="), "{err}");
        let command = container(&job)["command"].to_string();
        assert!(command.contains("/srv/models.toml"), "{command}");
    }

    /// A time-stamp authority's password, or a base URL's query that may be a key, given on
    /// the command line is never written into an emitted job (its command line passes the
    /// options on as typed): a usage error says to give it as CUTROOM_SIGN_TSA or
    /// CUTROOM_BASE_URL, which a Kubernetes job reads from its Secret. A TSA URL without user
    /// info, and a base URL with only Azure's api-version, are passed on.
    #[test]
    fn a_secret_in_a_url_on_the_command_line_is_never_written_into_an_emitted_job() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        let emit = |engine: &str, flag: &str, url: &str| {
            emit_cmd(dir.path(), "out", "2", engine)
                .args([flag, url])
                .env_remove("CUTROOM_SIGN_TSA")
                .env_remove("CUTROOM_BASE_URL")
                .output()
                .unwrap()
        };
        for engine in ["k8s", "slurm"] {
            for (flag, var, url, secret, fine) in [
                (
                    "--sign-tsa",
                    "CUTROOM_SIGN_TSA",
                    "https://tsa-user:tsa-pw-77@tsa.example/",
                    "tsa-pw-77",
                    "https://tsa.example/",
                ),
                (
                    "--base-url",
                    "CUTROOM_BASE_URL",
                    "https://gw.example/v1?key=q-secret-9",
                    "q-secret-9",
                    "https://az.example/openai/v1?api-version=preview",
                ),
            ] {
                let run = emit(engine, flag, url);
                let (out, err) = (
                    String::from_utf8_lossy(&run.stdout),
                    String::from_utf8_lossy(&run.stderr),
                );
                assert_eq!(run.status.code(), Some(2), "{engine}: {err}");
                assert!(out.is_empty(), "{engine}: {out}");
                assert!(!err.contains(secret), "{engine}: {err}");
                assert!(err.contains(flag) && err.contains(var), "{engine}: {err}");
                assert!(!err.contains("  "), "{engine}: one line, one space: {err}");
                let run = emit(engine, flag, fine);
                assert!(run.status.success(), "{engine}: {run:?}");
                assert!(String::from_utf8_lossy(&run.stdout).contains(fine));
            }
        }
    }

    /// The shards of an emitted job run with every option the batch was given (where the API
    /// is, the budget, the limits), not only the spec, the variants and the directory; the
    /// engine's own options are not passed on.
    #[test]
    fn an_emitted_job_runs_its_shards_with_every_option_given() {
        let dir = tempfile::tempdir().unwrap();
        write_batch(dir.path());
        let options = [
            "--base-url",
            "https://gateway.example/v1",
            "--provider",
            "replicate",
            "--allow-any",
            "--max-cost",
            "5",
            "--retry-failed",
            "--resolve",
            "shot-01=new",
            "--timeout=90s",
            "-j",
            "2",
        ];
        let emit = |engine: &str| {
            let run = Command::new(env!("CARGO_BIN_EXE_cutroom"))
                .args(["-q", "batch", "cut.toml", "--variants", "variants.csv"])
                .args(["--emit", engine, "-o", "out", "--shards", "3"])
                .args(options)
                .args(["--image=registry.example/cutroom:1", "--claim", "work"])
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(run.status.success(), "{run:?}");
            String::from_utf8(run.stdout).unwrap()
        };
        let job: Value = serde_json::from_str(&emit("k8s")).unwrap();
        let c = container(&job);
        assert_eq!(c["image"], "registry.example/cutroom:1");
        let cmd: Vec<&str> = c["command"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let mut want = vec!["cutroom", "batch", "cut.toml", "--variants", "variants.csv"];
        want.extend(["-o", "out"]);
        want.extend(options);
        want.extend(["--shards", "3", "--quiet"]);
        assert_eq!(cmd, want);

        let script = emit("slurm");
        let line = script.lines().find(|l| l.starts_with("exec ")).unwrap();
        let mut want = "exec cutroom batch cut.toml --variants variants.csv -o out".to_string();
        for o in options {
            want.push(' ');
            want.push_str(o);
        }
        assert_eq!(line, format!("{want} --quiet"), "{script}");
    }
}

/// A deliverable of real dialogue shots (pieces of talking-head clips from `shared/media/real`,
/// the last with its sound moved 200 ms late) gets a lips verdict per shot: the late shot
/// fails by lips, the others do not fail.
#[test]
fn real_dialogue_shots_are_judged_by_their_lips() {
    let Some(real) = real_clips() else { return };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let talk = real.join("th_retalk3.mp4");
    let other = real.join("th_retalk2.mp4");
    let late = d.join("late.mp4");
    let n = decode_pcm(&other, 48000, 1).len();
    refilter_audio(&other, &audio_shift_filter(200, n), &late, "20");
    std::fs::write(
        d.join("small.toml"),
        "[sq]\nbase = \"square\"\nwidth = 480\nheight = 480\n",
    )
    .unwrap();
    let cut = format!(
        "name = \"talk\"\noutputs = [\"sq\"]\npresets = \"small.toml\"\n\n\
         [[shot]]\nsrc = \"{}\"\n\n\
         [[shot]]\nsrc = \"{}\"\nin = \"1\"\nout = \"7\"\n\n\
         [[shot]]\nsrc = \"{}\"\n\n[sync]\nfail_on_error = false\n",
        talk.display(),
        real.join("th_hdtf_hill.mp4").display(),
        late.display(),
    );
    let spec = d.join("cut.toml");
    std::fs::write(&spec, cut).unwrap();
    let out = d.join("out");
    let report = assemble_json(&spec, &out);
    let o = &report["outputs"][0];
    let shots = o["shots"].as_array().unwrap();
    assert_eq!(shots.len(), 3, "{o}");
    assert_eq!(
        (&shots[2]["verdict"], &shots[2]["method"]),
        (&"fail".into(), &"lips".into()),
        "{o}"
    );
    let late_by = shots[2]["offset_ms"].as_f64().unwrap();
    assert!((late_by - 200.0).abs() <= 45.0, "{o}");
    for s in &shots[..2] {
        assert_ne!(s["verdict"], "fail", "{o}");
    }
}

/// Issue 14 item 16: `assemble`'s memory grows by a few copies of the sound with the cut's
/// length (the shots' sound the soundtrack is made in, one deliverable's sync check), not by
/// the music bed held beside the shots' sound and every deliverable's sound decoded at once
/// (measured from 20 s to 80 s: 2.5 copies, 6.8 before).
#[test]
fn assemble_memory_grows_by_a_few_copies_of_the_sound_with_length() {
    let dir = tempfile::tempdir().unwrap();
    // Tiny pictures at the source's 10 fps: the sound is what grows.
    let presets = "[a]\nbase = \"reels\"\nwidth = 64\nheight = 112\nfps_min = 10\n\
                   [b]\nbase = \"square\"\nwidth = 64\nheight = 64\nfps_min = 10\n";
    std::fs::write(dir.path().join("tiny.toml"), presets).unwrap();
    let peak = |secs: u32| -> f64 {
        let clip = dir.path().join(format!("talk{secs}.mp4"));
        let music = dir.path().join(format!("music{secs}.wav"));
        bursts_clip(&clip, secs);
        hum(&music, secs);
        let spec = dir.path().join(format!("cut{secs}.toml"));
        let cut = format!(
            "outputs = [\"a\", \"b\"]\npresets = \"tiny.toml\"\n[[shot]]\nsrc = \"{}\"\n\
             [music]\nfile = \"{}\"\n[sync]\nfail_on_error = false\n",
            clip.display(),
            music.display()
        );
        std::fs::write(&spec, cut).unwrap();
        let out = dir.path().join(format!("out{secs}"));
        let (mb, _) = peak_mb_ok(&[
            "assemble",
            "-q",
            spec.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        mb
    };
    assert_sound_growth(peak(10), peak(40), 30.0, 4.0);
}

#[test]
fn damaged_packets_skipped_in_decoding_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (good, bad) = clip_with_damaged_sound(dir.path());
    std::fs::write(dir.path().join("small.toml"), SMALL_PRESETS).unwrap();
    let spec = dir.path().join("cut.toml");
    let cut = format!(
        "outputs = [\"square\"]\npresets = \"small.toml\"\n[[shot]]\nsrc = \"{}\"\n[[shot]]\nsrc = \"{}\"\n",
        bad.display(),
        good.display()
    );
    std::fs::write(&spec, &cut).unwrap();
    let out = dir.path().join("out");
    let run = cutroom(&["assemble", s(&spec), "-o", s(&out), "--json"]);
    assert_damage_reported(&run, &bad, "audio");
    // A damaged picture is copied into the master undecoded; the export's decode of the master
    // meets it, and it was said of the master (`out/.assemble-…/cut.mp4`), a temp file.
    let bad = clip_with_damaged_picture(dir.path(), &good);
    let cut = cut.replace("bad.mp4", "bad_picture.mp4");
    std::fs::write(&spec, cut).unwrap();
    let run = cutroom(&["assemble", s(&spec), "-o", s(&out), "--json"]);
    assert_damage_reported(&run, &bad, "video");
}

/// `d/cut.toml`: `body` delivered as `sq`, a 240x240 square preset (in `d/small.toml`).
fn small_square_cut(d: &Path, body: &str) -> PathBuf {
    std::fs::write(
        d.join("small.toml"),
        "[sq]\nbase = \"square\"\nwidth = 240\nheight = 240\n",
    )
    .unwrap();
    let spec = d.join("cut.toml");
    let head = "outputs = [\"sq\"]\npresets = \"small.toml\"\n";
    std::fs::write(&spec, format!("{head}{body}")).unwrap();
    spec
}

/// A deliverable that fails its sync check (the marker clip's sound 200 ms late) makes the
/// exit code 3, a check that did not pass (as `sync` exits), not 1 (an error), with every
/// output written. Its export's warning (6 s over a preset's 5 s limit), said on stderr, is
/// in its report entry too (`outputs[].warnings`; there was no such field).
#[test]
fn a_failed_sync_check_exits_3_with_everything_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let late = d.join("late.mp4");
    ff(&[
        "-i",
        s(&fixture("marker_portrait_30.mp4")),
        "-af",
        "adelay=200:all=1,atrim=0:6",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        s(&late),
    ]);
    let spec = small_square_cut(d, "name = \"late\"\n[[shot]]\nsrc = \"late.mp4\"\n");
    let presets = d.join("small.toml");
    let limited = std::fs::read_to_string(&presets).unwrap() + "max_duration_s = 5\n";
    std::fs::write(&presets, limited).unwrap();
    let out = d.join("out");
    let run = cutroom(&["-q", "assemble", s(&spec), "-o", s(&out), "--json"]);
    assert_eq!(
        run.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(report["outputs"][0]["sync_verdict"], "fail", "{report}");
    assert_eq!(report["sync_ok"], false, "{report}");
    let limit = "6.0 s is longer than the 5 s limit of Square feed, 1:1";
    // And its cover is blank: each frame of the marker clip is one flat colour (black, or a
    // white flash), between blurred bars whose edges were taken for a picture.
    let blank = "the cover is blank: no frame of the output has a picture (all black or one \
                 flat colour)";
    assert_eq!(
        report["outputs"][0]["warnings"],
        serde_json::json!([limit, blank])
    );
    let said = format!("{}: {limit}", out.join("late.sq.mp4").display());
    assert!(String::from_utf8_lossy(&run.stderr).contains(&said));
    for name in ["late.sq.mp4", "report.json", "report.html", "timeline.otio"] {
        assert!(out.join(name).is_file(), "{name}");
    }
    assert!(decodes_cleanly(&out.join("late.sq.mp4")));
}

/// Every file `report.json` names in the output directory is there after the run: the cut's
/// `output` (the joined master, a working file removed with its directory) is `null`, not the
/// path of a file that is gone.
#[test]
fn every_file_the_report_names_exists() {
    fn paths<'a>(v: &'a serde_json::Value, under: &str, found: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) if s.starts_with(under) => found.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|v| paths(v, under, found)),
            serde_json::Value::Object(o) => o.values().for_each(|v| paths(v, under, found)),
            _ => {}
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    let spec = small_square_cut(
        d,
        &format!("[[shot]]\nsrc = \"{}\"\nout = \"2\"\n", s(&clip)),
    );
    let out = d.join("out");
    let report = assemble_json(&spec, &out);
    assert!(report["cut"]["output"].is_null(), "{}", report["cut"]);
    let mut found = Vec::new();
    paths(&report, s(&out), &mut found);
    assert!(found.len() >= 5, "{found:?}");
    for p in found {
        assert!(
            Path::new(p).exists(),
            "report.json names {p}, which is not there"
        );
    }
}

/// A spec whose file stem is not UTF-8 (`caf\xe9.toml`, Latin-1) names the deliverables with
/// the stem's own bytes (`caf\xe9.sq.mp4`), as `export` names them after its input; they were
/// named `caf\u{FFFD}.sq.mp4`.
#[test]
fn a_spec_stem_that_is_not_utf8_names_the_deliverables_with_its_bytes() {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = fixture("marker_portrait_30.mp4");
    let body = format!("[[shot]]\nsrc = \"{}\"\nout = \"1\"\n", s(&clip));
    let spec = d.join(std::ffi::OsStr::from_bytes(b"caf\xe9.toml"));
    std::fs::rename(small_square_cut(d, &body), &spec).unwrap();
    let out = d.join("out");
    let run = cutroom_command()
        .args(["-q", "assemble"])
        .arg(&spec)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let names: Vec<Vec<u8>> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_vec())
        .filter(|n| n.starts_with(b"caf"))
        .collect();
    assert_byte_names(names, b"caf\xe9.sq.", &["jpg", "mp4", "sync.png"]);
    assert!(decodes_cleanly(
        &out.join(std::ffi::OsStr::from_bytes(b"caf\xe9.sq.mp4"))
    ));
}

/// A cut whose last shot is 80 ms late fails its sync check although the whole file reads
/// +0.1 ms: the summary line says why (the reason, with the late shot's offset and span), not
/// just `sync fail (+0.1 ms)`, a figure inside the band; its offset is the late shot's, which
/// fails (`sync_worst_offset_ms`), with the whole file's beside it.
#[test]
fn a_failed_sync_check_says_why_in_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (in_sync, late) = (d.join("in_sync.mp4"), d.join("late.mp4"));
    marker_clip(&in_sync, 320, 180, 25, 10.0, 10.0, 0.0, &[]);
    marker_clip(&late, 320, 180, 25, 6.0, 6.0, 80.0, &[]);
    let spec = small_square_cut(
        d,
        "name = \"c\"\n[[shot]]\nsrc = \"in_sync.mp4\"\n[[shot]]\nsrc = \"late.mp4\"\n",
    );
    let out = d.join("out");
    let run = cutroom(&["-q", "assemble", s(&spec), "-o", s(&out), "--json"]);
    assert_eq!(run.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let o = &report["outputs"][0];
    assert_eq!(o["sync_verdict"], "fail", "{o}");
    let overall = o["sync_offset_ms"].as_f64().unwrap();
    assert!(overall.abs() < 2.0, "{o}");
    let reason = o["sync_reason"].as_str().unwrap();
    assert!(reason.starts_with("audio 80.1 ms late at 10.0"), "{reason}");
    let worst = o["sync_worst_offset_ms"].as_f64().unwrap();
    assert!((worst - 80.0).abs() < 2.0, "{o}");
    // sync's figure for a fail on the gaps in the sound's timestamps is carried (none here).
    assert_eq!(
        o.get("sync_gaps_closed_offset_ms"),
        Some(&Value::Null),
        "{o}"
    );
    // The same report, printed (the run reuses everything).
    let run = cutroom(&["-q", "assemble", s(&spec), "-o", s(&out)]);
    assert_eq!(run.status.code(), Some(3));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains(reason), "{text}");
    let headline = format!("sync fail, offset {worst:+.1} ms (worst; whole file {overall:+.1} ms)");
    assert!(text.contains(&headline), "{text}");
    // Every file the run wrote is named: each deliverable's cover and sync plot beside it (the
    // text named the timeline and report.json only), then the run's own files.
    let with = text
        .lines()
        .find(|l| l.starts_with("  with "))
        .unwrap_or("");
    for f in [&o["cover"], &o["sync_plot"]] {
        let f = f.as_str().unwrap();
        assert!(with.split(' ').any(|w| w == f), "{f}: {text}");
    }
    let run_files = [&report["timeline"], &report["contact_sheet"]];
    for f in run_files.into_iter().filter_map(|f| f.as_str()) {
        assert!(text.lines().any(|l| l == f), "{f}: {text}");
    }
    for f in ["report.json", "report.html"] {
        assert!(text.lines().any(|l| l == s(&out.join(f))), "{f}: {text}");
    }
}

/// A text card under a steady music bed has no sound start of its own to time: its shot
/// gives no offset (it read -413 ms at confidence 0.00, a figure a user could take for a
/// measure) and says why (`sound: steady`), in report.json and report.html.
#[test]
fn a_card_under_a_steady_bed_gives_no_offset() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, c) = (d.join("a.mp4"), d.join("c.mp4"));
    marker_clip(&a, 320, 180, 30, 8.0, 8.0, 0.0, &[]);
    marker_clip(&c, 320, 180, 30, 8.0, 8.0, 100.0, &[]);
    from_lavfi(
        &d.join("bed.wav"),
        "sine=f=220:d=30,volume=0.3",
        &["-ar", "48000", "-ac", "2"],
    );
    let spec = small_square_cut(
        d,
        "name = \"c\"\n[[shot]]\nsrc = \"a.mp4\"\n[[shot]]\ntext = \"Bye\"\nduration = \"3s\"\n\
         [[shot]]\nsrc = \"c.mp4\"\n[music]\nfile = \"bed.wav\"\n",
    );
    let out = d.join("out");
    let run = cutroom(&["-q", "assemble", s(&spec), "-o", s(&out), "--json"]);
    assert_eq!(run.status.code(), Some(3));
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let shots = report["outputs"][0]["shots"].as_array().unwrap();
    let sounds: Vec<&str> = shots.iter().map(|s| s["sound"].as_str().unwrap()).collect();
    assert_eq!(sounds, ["onsets", "steady", "onsets"], "{shots:?}");
    let card = &shots[1];
    assert!(card["offset_ms"].is_null(), "{card}");
    assert_eq!(card["confidence"], 0.0, "{card}");
    assert_eq!(card["verdict"], "inconclusive", "{card}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("<td>2</td><td>8.00-11.00 s</td><td>steady sound</td>"),
        "{html}"
    );
}

/// `{{name}}` works in any string of the spec, also those read as a time or a kind (a trim,
/// a card's length, a transition): the spec was parsed once before substituting, so
/// `in = "{{start}}"` was refused as "bad time '{{start}}'" although `start` was declared.
#[test]
fn variables_stand_for_times_and_kinds_too() {
    use cutroom::assemble::spec::Cut;
    use cutroom::timeline::{TimeSpec, Transition};
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "outputs = [\"square\"]\n[vars]\nstart = \"1\"\nkind = \"crossfade\"\ncard = \"2s\"\n\
             [[shot]]\nsrc = \"{}\"\nin = \"{{{{start}}}}\"\n\
             transition = {{ kind = \"{{{{kind}}}}\", duration = \"0.5\" }}\n\
             [[shot]]\ntext = \"Bye\"\nduration = \"{{{{card}}}}\"\n",
            fixture("marker_portrait_30.mp4").display()
        ),
    )
    .unwrap();
    let cut = Cut::load(&spec).unwrap_or_else(|e| panic!("{e}"));
    let secs = |s: f64| TimeSpec::Nanos((s * 1e9) as i64);
    assert_eq!(cut.shot[0].in_point, Some(secs(1.0)));
    assert_eq!(
        cut.shot[0].transition,
        Transition::Crossfade {
            duration: secs(0.5)
        }
    );
    assert_eq!(cut.shot[1].duration, Some(secs(2.0)));
    // A variant's value goes through the same parsing.
    let late = [("start".to_string(), "2.5".to_string())].into();
    let cut = Cut::load_with(&spec, &late).unwrap();
    assert_eq!(cut.shot[0].in_point, Some(secs(2.5)));
    // A value that is no time is named as such, after substituting.
    let bad = [("start".to_string(), "soon".to_string())].into();
    let err = Cut::load_with(&spec, &bad).unwrap_err().to_string();
    assert!(
        err.contains("shot 1: in") && err.contains("soon") && err.contains("after substituting"),
        "{err}"
    );
}

/// A spec's file that names a directory says so, not "no such file" (the directory is there).
#[test]
fn a_directory_given_as_a_file_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("clips")).unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"square\"]\n[[shot]]\nsrc = \"clips\"\n[music]\nfile = \"clips\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = cutroom(&["assemble", s(&spec), "-o", s(&out)]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let clips = dir.path().join("clips");
    for what in ["shot 1: src", "music.file"] {
        let want = format!("{what}: {} is a directory, not a file", clips.display());
        assert!(err.contains(&want), "no {want:?} in {err}");
    }
    assert!(!out.exists());
}

/// A variable used only in another variable's value is named for what it is: the values of
/// `[vars]` are not substituted (it said "variable never used as `{{b}}`", where it is used).
#[test]
fn a_variable_used_only_inside_vars_says_their_values_are_not_substituted() {
    use cutroom::assemble::spec::Cut;
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("cut.toml");
    std::fs::write(
        &spec,
        format!(
            "outputs = [\"square\"]\nname = \"{{{{title}}}}\"\n[vars]\ntitle = \"promo-{{{{ lang }}}}\"\n\
             lang = \"en\"\n[[shot]]\nsrc = \"{}\"\n",
            fixture("marker_portrait_30.mp4").display()
        ),
    )
    .unwrap();
    let err = Cut::load(&spec).unwrap_err().to_string();
    assert!(
        err.contains("vars.lang: used only in the values of [vars], which are not substituted"),
        "{err}"
    );
}

/// A re-run that changes nothing prints the earlier report with `"reused": true`, and each of
/// its outputs is then kept from that run too: `outputs[].reused` said false (the first run's
/// value), so a pipeline uploading the deliverables not reused sent them all again.
#[test]
fn a_rerun_that_does_nothing_marks_every_output_reused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = small_square_cut(
        d,
        &format!(
            "name = \"r\"\n[[shot]]\nsrc = \"{}\"\n",
            fixture("marker_portrait_30.mp4").display()
        ),
    );
    let out = d.join("out");
    let first = assemble_json(&spec, &out);
    assert_eq!(first["outputs"][0]["reused"], false, "{first}");
    let again = assemble_json(&spec, &out);
    assert_eq!(again["reused"], true, "{again}");
    assert_eq!(again["outputs"][0]["reused"], true, "{again}");
    // The report on disk stays the run that made the files.
    let kept: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(kept["outputs"][0]["reused"], false, "{kept}");
    // A deliverable damaged in place (the same size) is made again, not kept: a re-run that
    // looked only at the size reused a file that no longer decodes.
    let file = PathBuf::from(first["outputs"][0]["path"].as_str().unwrap());
    assert_eq!(first["outputs"][0]["sha256"], sha256sum(&file), "{first}");
    let mut bytes = std::fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 2000].fill(0);
    std::fs::write(&file, &bytes).unwrap();
    let damaged = assemble_json(&spec, &out);
    assert!(damaged.get("reused").is_none(), "{damaged}");
    assert_eq!(damaged["outputs"][0]["reused"], false, "{damaged}");
    assert_eq!(
        damaged["outputs"][0]["sha256"],
        sha256sum(&file),
        "{damaged}"
    );
    assert!(
        decodes_cleanly(&file),
        "{} was not made again",
        file.display()
    );
}

/// A re-run reuses what is current whatever its working directory: `report.json` records the
/// paths as the run was given them, and a re-run from elsewhere (same spec, same inputs)
/// found none of the files there and made every deliverable again. A re-run after an input
/// changed makes exactly what depends on it: one preset's definition, that deliverable; a
/// shot, all of them.
#[test]
fn a_rerun_from_another_directory_reuses_and_a_changed_input_redoes_what_depends_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = d.join("a");
    std::fs::create_dir(&a).unwrap();
    std::fs::copy(fixture("marker_portrait_30.mp4"), a.join("shot.mp4")).unwrap();
    let spec = small_square_cut(
        &a,
        "name = \"w\"\n[[shot]]\nsrc = \"shot.mp4\"\nout = \"2\"\n",
    );
    let presets = |extra: &str| {
        let two = format!("[sq]\nbase = \"square\"\nwidth = 240\nheight = 240\n[rl]\nbase = \"reels\"\nwidth = 180\nheight = 320\n{extra}");
        std::fs::write(a.join("small.toml"), two).unwrap();
    };
    presets("");
    let text = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(&spec, text.replace("[\"sq\"]", "[\"sq\", \"rl\"]")).unwrap();
    // The report of `cutroom assemble SPEC -o OUT` run in `cwd`, with its paths made absolute.
    let assemble_in = |cwd: &Path, spec: &str, out: &str| -> Value {
        let run = succeeded(
            std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
                .current_dir(cwd)
                .args(["-q", "assemble", spec, "-o", out, "--json"]),
        );
        let mut r: Value = serde_json::from_slice(&run.stdout).unwrap();
        for o in r["outputs"].as_array_mut().unwrap() {
            for f in ["path", "cover"] {
                let p = cwd.join(o[f].as_str().unwrap());
                assert!(p.is_file(), "the report names {}, not there", p.display());
                o[f] = p.display().to_string().into();
            }
        }
        let timeline = cwd.join(r["timeline"].as_str().unwrap());
        assert!(timeline.is_file(), "{}", timeline.display());
        r
    };
    let reused = |r: &Value| -> Vec<bool> {
        let o = r["outputs"].as_array().unwrap();
        o.iter().map(|o| o["reused"].as_bool().unwrap()).collect()
    };
    let first = assemble_in(&a, "cut.toml", "out");
    assert_eq!(reused(&first), [false, false], "{first}");
    let made = |i: usize| {
        let p = PathBuf::from(first["outputs"][i]["path"].as_str().unwrap());
        std::fs::metadata(p).unwrap().modified().unwrap()
    };
    let (sq, rl) = (made(0), made(1));

    // Same spec and inputs, from the parent directory and from the root, then by absolute
    // paths: no deliverable to make, but a report naming the spec and shot as this run does.
    for (cwd, spec, out) in [
        (
            d.to_path_buf(),
            "a/cut.toml".to_string(),
            "a/out".to_string(),
        ),
        (
            PathBuf::from("/"),
            s(&spec).to_string(),
            s(&a.join("out")).to_string(),
        ),
    ] {
        let again = assemble_in(&cwd, &spec, &out);
        assert_eq!(
            again["spec"],
            spec.as_str(),
            "from {}: {again}",
            cwd.display()
        );
        assert_eq!(reused(&again), [true, true], "{again}");
    }
    assert_eq!((made(0), made(1)), (sq, rl), "a deliverable was made again");

    // One preset's definition changed: that deliverable only, from yet another directory.
    presets("crf = 30\n");
    let changed = assemble_in(d, "a/cut.toml", "a/out");
    assert!(changed["reused"].is_null(), "{changed}");
    assert_eq!(reused(&changed), [true, false], "{changed}");
    assert_eq!(made(0), sq, "the unchanged preset was made again");
    assert_ne!(made(1), rl, "the changed preset was not made again");
    // The report written names the files as this run was given them, all there.
    let kept: Value =
        serde_json::from_slice(&std::fs::read(a.join("out/report.json")).unwrap()).unwrap();
    for o in kept["outputs"].as_array().unwrap() {
        let p = o["path"].as_str().unwrap();
        assert!(p.starts_with("a/out/") && d.join(p).is_file(), "{kept}");
    }

    // A shot changed (same name, other content): every deliverable depends on it.
    std::fs::copy(fixture("short_audio.mp4"), a.join("shot.mp4")).unwrap();
    let shot = assemble_in(&a, "cut.toml", "out");
    assert_eq!(reused(&shot), [false, false], "{shot}");
}

/// A re-run remakes what the report names and is gone: a deliverable's sync plot (the report
/// and report.html named a file that was not there, its output kept as "reused") and
/// `report.html` (a run that reused everything did nothing, leaving it missing).
#[test]
fn a_rerun_remakes_a_missing_sync_plot_and_report_html() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = small_square_cut(
        d,
        &format!(
            "name = \"p\"\n[[shot]]\nsrc = \"{}\"\nout = \"2\"\n",
            fixture("marker_portrait_30.mp4").display()
        ),
    );
    let out = d.join("out");
    assemble_json(&spec, &out);
    let (plot, html) = (out.join("p.sq.sync.png"), out.join("report.html"));
    std::fs::remove_file(&plot).unwrap();
    let again = assemble_json(&spec, &out);
    assert!(plot.is_file(), "the sync plot is still gone: {again}");
    assert_eq!(again["outputs"][0]["reused"], false, "{again}");
    assert_eq!(again["outputs"][0]["sync_plot"], s(&plot), "{again}");

    std::fs::remove_file(&html).unwrap();
    let again = assemble_json(&spec, &out);
    assert!(html.is_file(), "report.html is still gone: {again}");
    // Only the report was missing: the deliverable is kept.
    assert_eq!(again["outputs"][0]["reused"], true, "{again}");
}

/// Two runs into one directory at once (a pipeline re-running on every change): the later one
/// waits for the earlier and its files are the ones that stay. Both ran side by side: the
/// earlier, longer run renamed its deliverables and report over the later one's after that
/// had reported success, so the directory held the older spec's cut.
#[test]
fn a_run_into_a_directory_another_run_is_writing_waits_and_its_files_stay() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("small.toml"), SMALL_PRESETS).unwrap();
    let (clip, other) = (
        fixture("marker_portrait_30.mp4"),
        fixture("marker_landscape_25.mp4"),
    );
    let fade = "transition = { kind = \"crossfade\", duration = \"0.5\" }";
    let head = "name = \"cc\"\npresets = \"small.toml\"\n";
    let long = d.join("long.toml");
    std::fs::write(
        &long,
        format!(
            "{head}outputs = [\"square\", \"reels\"]\n\
             [[shot]]\nsrc = \"{a}\"\n{fade}\n[[shot]]\nsrc = \"{b}\"\n{fade}\n\
             [[shot]]\nsrc = \"{a}\"\n[loudness]\ntarget = -16\n",
            a = s(&clip),
            b = s(&other)
        ),
    )
    .unwrap();
    let short = d.join("short.toml");
    std::fs::write(
        &short,
        format!(
            "{head}outputs = [\"square\"]\n[[shot]]\nsrc = \"{}\"\nout = \"2\"\n\
             [loudness]\ntarget = -20\n",
            s(&clip)
        ),
    )
    .unwrap();
    let out = d.join("out");
    let first = std::process::Command::new(env!("CARGO_BIN_EXE_cutroom"))
        .args(["-q", "assemble", s(&long), "-o", s(&out)])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first run is under way once its working directory is there.
    let working = || {
        std::fs::read_dir(&out).is_ok_and(|mut e| {
            e.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".assemble-")))
        })
    };
    let t = std::time::Instant::now();
    while !working() {
        assert!(t.elapsed().as_secs() < 60, "the first run never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = cutroom_ok(&["-q", "assemble", s(&short), "-o", s(&out), "--json"]);
    let err = String::from_utf8_lossy(&second.stderr);
    let later: Value = serde_json::from_slice(&second.stdout).unwrap();
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    // What stays is what the later run reported.
    let kept: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(kept["key"], later["key"], "{kept}");
    let square = out.join("cc.square.mp4");
    assert_eq!(
        std::fs::metadata(&square).unwrap().len(),
        later["outputs"][0]["bytes"].as_u64().unwrap()
    );
    let lufs = ebur128(&square).integrated;
    assert!((lufs + 20.0).abs() < 0.5, "{lufs} LUFS");
    assert!(
        !out.join(".assemble.lock").exists(),
        "the lock file is left"
    );
    // The later run said why it took longer.
    assert!(
        err.contains("another cutroom assemble is writing here"),
        "{err}"
    );
}

/// A variants file whose column (or key) is no variable of the spec, a misspelling say, is the
/// variants file's error, found before anything is made: every variant ran and stopped with
/// "SPEC: variable `ctaa` is not declared in [vars]" (naming the spec, not the file with the
/// mistake), with nothing on stderr under `-q`, and a batch.json of errors was written.
#[test]
fn a_variants_column_the_spec_does_not_declare_names_the_variants_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let spec = small_square_cut(
        d,
        &format!(
            "name = \"promo-{{{{lang}}}}\"\n[vars]\nlang = \"en\"\ncta = \"Shop now\"\n\
             [[shot]]\nsrc = \"{}\"\nout = \"2\"\n[[text]]\ntext = \"{{{{cta}}}}\"\n",
            fixture("marker_portrait_30.mp4").display()
        ),
    );
    let csv = d.join("v.csv");
    std::fs::write(&csv, "variant,lang,ctaa\nde,de,Jetzt\n").unwrap();
    let toml = d.join("v.toml");
    std::fs::write(
        &toml,
        "[[variant]]\nvariant = \"fr\"\nlng = \"fr\"\ncta = \"Achetez\"\n",
    )
    .unwrap();
    let out = d.join("out");
    for (variants, key, known) in [(&csv, "ctaa", "cta"), (&toml, "lng", "lang")] {
        let run = cutroom(&[
            "-q",
            "batch",
            s(&spec),
            "--variants",
            s(variants),
            "-o",
            s(&out),
        ]);
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(1), "{err}");
        let want = format!(
            "cutroom: error: {}: `{key}` is not a variable of {}: its [vars] declares `cta`, \
             `lang` (did you mean `{known}`?)\n",
            variants.display(),
            spec.display()
        );
        assert_eq!(err, want);
        assert!(!out.exists(), "the batch directory was made");
    }
}

/// A spec and its shots in a directory whose name is not UTF-8 (a Latin-1 `café`), assembled
/// into another such directory: the shot was serialised into report.json as a path (a panic,
/// exit 101) and the deliverable was looked for under its name with U+FFFD (`no such file`
/// after all the work). The deliverable is made where asked, plays its markers in sync, the
/// report names the paths as text, and a re-run keeps the deliverable.
#[test]
fn a_spec_and_output_directory_named_in_latin1_are_assembled_and_reused() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let cafe = dir.path().join(OsStr::from_bytes(b"caf\xe9 cuts"));
    std::fs::create_dir(&cafe).unwrap();
    marker_clip(&cafe.join("shot.mp4"), 160, 90, 25, 3.0, 3.0, 0.0, &[]);
    std::fs::write(
        cafe.join("p.toml"),
        "[sq]\nbase = \"square\"\nwidth = 96\nheight = 96\n",
    )
    .unwrap();
    let spec = cafe.join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"sq\"]\npresets = \"p.toml\"\n[[shot]]\nsrc = \"shot.mp4\"\n",
    )
    .unwrap();
    let out = dir.path().join(OsStr::from_bytes(b"d\xe9livr\xe9"));
    let run = || -> Value {
        let run = succeeded(
            cutroom_command()
                .args(["-q", "assemble", "--json"])
                .arg(&spec)
                .arg("-o")
                .arg(&out),
        );
        serde_json::from_slice(&run.stdout).expect("the report")
    };
    let first = run();
    let made = out.join("cut.sq.mp4");
    let offsets = marker_offsets_ms(&made);
    assert_eq!(offsets.len(), 1, "{offsets:?}");
    assert!(offsets[0].1.abs() <= 1.0, "{offsets:?}");
    assert!(out.join("cut.sq.sync.png").is_file());
    let shot = first["inputs"][0]["file"]
        .as_str()
        .expect("the shot's file as text");
    assert!(shot.ends_with("caf\u{fffd} cuts/shot.mp4"), "{shot}");
    let made_at = std::fs::metadata(&made).unwrap().modified().unwrap();
    let again = run();
    assert_eq!(again["outputs"][0]["reused"], true, "{again}");
    assert_eq!(
        std::fs::metadata(&made).unwrap().modified().unwrap(),
        made_at
    );
}

/// A cut of mixed shapes takes the largest clip's frame (it took the first clip's: a 64x64
/// square boxed every later shot into it) and its rate from `frame_rate`; a shot of another
/// shape is padded with black bars unless its `conform` crops it (no bars); the boxed shot and
/// the one the crop scales up 3.3x are warned of by number and file, with the key that changes
/// them, on stderr and in `cut.warnings`.
#[test]
fn a_cut_of_mixed_shapes_takes_the_largest_frame_and_fits_each_shot_as_its_conform_says() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, (w, h), fps, colour) in [
        ("a.mp4", (64, 64), 30, "red"),
        ("b.mp4", (160, 90), 24, "white"),
        ("c.mp4", (48, 96), 30, "green"),
    ] {
        tone_clip(&d.join(name), w, h, fps, 1.0, colour, Some(0.3));
    }
    std::fs::write(
        d.join("p.toml"),
        "[wide]\nbase = \"youtube\"\nwidth = 160\nheight = 90\n",
    )
    .unwrap();
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"wide\"]\npresets = \"p.toml\"\nframe_rate = 25\n\
         [[shot]]\nsrc = \"a.mp4\"\n[[shot]]\nsrc = \"b.mp4\"\n\
         [[shot]]\nsrc = \"c.mp4\"\nconform = \"crop\"\n\
         [sync]\nfail_on_error = false\n",
    )
    .unwrap();
    let out = d.join("out");
    let run = cutroom(&["assemble", s(&spec), "-o", s(&out), "--json"]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let video = &report["cut"]["video"];
    assert_eq!(
        (&video["width"], &video["height"], &video["frame_rate"]),
        (&160.into(), &90.into(), &"25/1".into()),
        "{video}"
    );
    let warnings: Vec<&str> = report["cut"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let boxed = format!(
        "shot 1 ({}): its 64x64 picture is boxed in the cut's 160x90 frame, black bars over 44 %",
        d.join("a.mp4").display()
    );
    let soft = format!(
        "shot 3 ({}): its 48x96 picture is scaled up 3.33x to the cut's 160x90 frame",
        d.join("c.mp4").display()
    );
    for w in [&boxed, &soft] {
        assert!(
            warnings.iter().any(|x| x.starts_with(w.as_str())),
            "{w}: {warnings:?}"
        );
        assert!(stderr.contains(w.as_str()), "{w}: {stderr}");
    }
    // Every shot plays at 25 fps, none at its own: each is said with its judder.
    let framing: Vec<&str> = warnings
        .iter()
        .copied()
        .filter(|w| !w.ends_with("so its motion judders"))
        .collect();
    assert_eq!((framing.len(), warnings.len()), (2, 5), "{warnings:?}");
    assert!(framing[0].contains("conform = \"crop\""), "{warnings:?}");
    // The left edge (x 0-24) of each shot's middle frame, against its centre.
    let video = out.join("cut.wide.mp4");
    let edge = |t: f64| {
        let f = frame_at(&video, t, &d.join(format!("{t}.png")));
        (f.mean(0, 20, 24, 70), f.mean(70, 35, 90, 55))
    };
    let (bars, red) = edge(0.5);
    assert!(bars.iter().all(|&c| c < 30.0), "pad: black bars: {bars:?}");
    assert!(red[0] > 150.0 && red[1] < 80.0, "{red:?}");
    let (cropped, green) = edge(2.5);
    assert!(
        cropped[1] > 80.0 && cropped[0] < 40.0,
        "crop: no bars: {cropped:?}"
    );
    assert!(green[1] > 80.0, "{green:?}");
}

/// A landscape and a portrait shot make a landscape cut, in which the portrait shot is boxed
/// (black bars left and right, as the wide deliverable shows it, and its warning says). The vertical deliverable is
/// made from the shots' own pictures at its shape: the portrait shot fills it (its green to
/// every edge; it was a small box inside bars inside the blurred reframing of the cut), the
/// landscape shot sits on its blurred copy as the reframing of the cut put it, and the colour
/// card and the crossfade are the cut's. Both deliverables last the cut's frames.
#[test]
fn each_deliverable_is_made_from_the_shots_at_its_own_shape() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    tone_clip(&d.join("wide.mp4"), 320, 180, 30, 1.0, "white", Some(0.3));
    tone_clip(&d.join("tall.mp4"), 180, 320, 30, 1.0, "green", Some(0.3));
    std::fs::write(
        d.join("p.toml"),
        "[tall]\nbase = \"reels\"\nwidth = 180\nheight = 320\n\
         [wide]\nbase = \"youtube\"\nwidth = 320\nheight = 180\n",
    )
    .unwrap();
    let spec = d.join("cut.toml");
    std::fs::write(
        &spec,
        "outputs = [\"tall\", \"wide\"]\npresets = \"p.toml\"\n\
         [[shot]]\nsrc = \"wide.mp4\"\ntransition = { kind = \"crossfade\", duration = \"0.2\" }\n\
         [[shot]]\nsrc = \"tall.mp4\"\n\
         [[shot]]\ncolor = \"navy\"\nduration = \"0.5s\"\n\
         [sync]\nfail_on_error = false\n",
    )
    .unwrap();
    let out = d.join("out");
    let report = assemble_json(&spec, &out);
    assert_eq!(report["cut"]["video"]["width"], 320, "{}", report["cut"]);
    // The bars are said of the deliverable that shows them.
    let warned = report["cut"]["warnings"].to_string();
    assert!(warned.contains("% of it in wide: conform"), "{warned}");
    let outputs = report["outputs"].as_array().unwrap();
    let presets: Vec<&str> = outputs
        .iter()
        .filter_map(|o| o["preset"].as_str())
        .collect();
    assert_eq!(presets, ["tall", "wide"]);
    for o in outputs {
        assert_eq!(o["duration_s"], report["cut"]["duration_s"], "{o}");
    }
    let frame = |preset: &str, t: f64| {
        let video = out.join(format!("cut.{preset}.mp4"));
        frame_at(&video, t, &d.join(format!("{preset}{t}.png")))
    };
    let green = |c: [f64; 3], at: &str| {
        assert!(c[1] > 90.0 && c[0] < 40.0 && c[2] < 40.0, "{at}: {c:?}");
    };
    // The portrait shot (0.8-1.8 s) in the vertical deliverable: green to every edge.
    let tall = frame("tall", 1.4);
    green(tall.mean(0, 0, 180, 16), "tall: top rows");
    green(tall.mean(0, 304, 180, 320), "tall: bottom rows");
    green(tall.mean(0, 0, 12, 320), "tall: left columns");
    green(tall.mean(168, 0, 180, 320), "tall: right columns");
    // ... and boxed in the wide one, as in the cut.
    let wide = frame("wide", 1.4);
    let bars = wide.mean(0, 0, 100, 180);
    assert!(bars.iter().all(|&c| c < 30.0), "wide: bars: {bars:?}");
    green(wide.mean(150, 20, 170, 160), "wide: centre");
    // The landscape shot: fills the wide one, and sits on its darkened blurred copy in the
    // vertical one.
    let white = |c: [f64; 3], at: &str| assert!(c.iter().all(|&v| v > 200.0), "{at}: {c:?}");
    white(
        frame("wide", 0.3).mean(0, 0, 320, 180),
        "wide: landscape shot",
    );
    let tall = frame("tall", 0.3);
    white(tall.mean(0, 140, 180, 180), "tall: landscape shot");
    let blur = tall.mean(0, 0, 180, 40);
    assert!(
        blur.iter().all(|&v| v > 60.0 && v < 200.0),
        "tall: blurred background: {blur:?}"
    );
    // The card, at each deliverable's size.
    for preset in ["tall", "wide"] {
        let f = frame(preset, 2.1);
        let c = f.mean(0, 0, f.width, f.height);
        assert!(
            c[2] > 90.0 && c[0] < 30.0 && c[1] < 30.0,
            "{preset}: card: {c:?}"
        );
    }
}
