//! The marker-clip generator, measured by the ffmpeg-CLI oracle.

use crate::common::*;
use cutroom::synth::{write_marker_clip, MarkerSpec};

#[test]
fn marker_clip_is_in_sync_at_the_requested_size() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.mp4");
    write_marker_clip(&p, &MarkerSpec::new(320, 240, 4)).unwrap();
    let probe = ffprobe(&p);
    let v = &probe["streams"][0];
    assert_eq!(v["codec_name"], "h264");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(320), Some(240))
    );
    assert_eq!(probe["streams"][1]["codec_name"], "aac");
    let dur: f64 = probe["format"]["duration"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((dur - 4.0).abs() < 0.05, "duration {dur}");
    let offs = marker_offsets_ms(&p);
    assert_eq!(offs.iter().map(|o| o.0).collect::<Vec<_>>(), vec![1.0, 3.0]);
    for (t, o) in offs {
        assert!(o.abs() < 0.5, "marker at {t}: offset {o} ms");
    }
}

#[test]
fn injected_offset_and_noise() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("late.mp4");
    let spec = MarkerSpec {
        av_offset_ms: 60,
        noise: 24,
        ..MarkerSpec::new(256, 144, 4)
    };
    write_marker_clip(&p, &spec).unwrap();
    let offs = marker_offsets_ms(&p);
    assert_eq!(offs.len(), 2);
    for (t, o) in offs {
        assert!(
            (o - 60.0).abs() < 0.5,
            "marker at {t}: offset {o} ms, want 60"
        );
    }
    let clean = dir.path().join("clean.mp4");
    write_marker_clip(&clean, &MarkerSpec::new(256, 144, 4)).unwrap();
    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len();
    assert!(size(&p) > 10 * size(&clean), "noise makes the stream large");
}

#[test]
fn odd_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("odd.mp4");
    let err = write_marker_clip(&p, &MarkerSpec::new(321, 240, 1)).unwrap_err();
    assert!(err.to_string().contains("321x240"), "{err}");
    assert!(!p.exists());
}
