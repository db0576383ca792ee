//! The OpenTimelineIO export loads in the official `opentimelineio` Python package.

use crate::common::*;
use cutroom::otio::{timeline, TimelineBed, TimelineClip};

#[test]
fn timeline_loads_in_opentimelineio() {
    let dir = tempfile::tempdir().unwrap();
    let clips: Vec<TimelineClip> = (0..3)
        .map(|i| TimelineClip {
            name: format!("shot {i}"),
            media: Some(fixture("marker_portrait_30.mp4")),
            rate: cutroom_ffi::Rational::new(30, 1),
            media_frames: 180,
            source_in: 15 * i,
            frames: 90 + 10 * i,
            speed: if i == 2 { 2.0 } else { 1.0 },
            transition_frames: if i == 0 { 10 } else { 0 },
        })
        .collect();
    let bed = TimelineBed {
        name: "music".into(),
        media: fixture("music.wav"),
        frames: 120,
    };
    let path = dir.path().join("cut.otio");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&timeline(
            "cut",
            cutroom_ffi::Rational::new(30, 1),
            &clips,
            &[bed],
        ))
        .unwrap(),
    )
    .unwrap();
    let python = python_with(&["opentimelineio"]);
    let script = r#"
import sys, json, opentimelineio as otio
t = otio.adapters.read_from_file(sys.argv[1])
v = t.video_tracks()[0]
clips = list(v.find_clips())
print(json.dumps({
  "clips": len(clips),
  "ranges": [[c.source_range.start_time.value, c.source_range.duration.value] for c in clips],
  "urls": [c.media_reference.target_url for c in clips],
  "transitions": len([i for i in v if isinstance(i, otio.schema.Transition)]),
  "speeds": [[e.time_scalar for e in c.effects if isinstance(e, otio.schema.LinearTimeWarp)] for c in clips],
  "duration": t.duration().to_seconds(),
  "audio_tracks": len(t.audio_tracks()),
}))
"#;
    let out = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["clips"], 3);
    assert_eq!(
        v["ranges"],
        serde_json::json!([[0.0, 90.0], [15.0, 100.0], [30.0, 110.0]])
    );
    assert_eq!(v["transitions"], 1);
    assert_eq!(v["speeds"], serde_json::json!([[], [], [2.0]]));
    assert_eq!(v["audio_tracks"], 2);
    assert!(
        (v["duration"].as_f64().unwrap() - 300.0 / 30.0).abs() < 1e-9,
        "{v}"
    );
    assert!(v["urls"][0].as_str().unwrap().starts_with("file:///"));
}
