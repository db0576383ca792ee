//! The shared writer: video packets copied, audio decoded aligned and re-encoded once; the
//! result must keep every marker in sync for players with and without edit-list support.

use crate::common::*;
use cutroom::avwrite::AvWriter;
use cutroom::pcm::decode_aligned;
use cutroom_ffi::{rescale, Input, MediaKind, Rational};

fn rewrite(src: &std::path::Path, dst: &std::path::Path) {
    let mut input = Input::open(src).unwrap();
    let v = input.best_stream(MediaKind::Video).unwrap();
    let info = input.streams()[v].clone();
    let video_samples = rescale(
        info.duration.unwrap(),
        info.time_base,
        Rational::new(1, 48000),
    );
    let mut pcm = decode_aligned(src, 48000, 2, &cutroom::progress::Silent)
        .unwrap()
        .unwrap();
    pcm.fit(video_samples as usize);
    let mut w = AvWriter::create(dst, &info.params, info.time_base, Some(&pcm)).unwrap();
    while let Some(p) = input.read_packet().unwrap() {
        if p.stream() == v {
            w.write_video(p).unwrap();
        }
    }
    w.finish(None).unwrap();
}

#[test]
fn rewritten_file_keeps_markers_and_video_packets() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "marker_portrait_30.mp4",
        "short_audio.mp4",
        "mono_44k.mp4",
        "marker_landscape_25.mp4",
    ] {
        let src = fixture(name);
        let dst = dir.path().join(name);
        rewrite(&src, &dst);
        let offs = marker_offsets_ms(&dst);
        assert_eq!(offs.len(), 3, "{name}: {offs:?}");
        for (t, o) in offs {
            assert!(o.abs() <= 1.0, "{name}: marker at {t} s is {o:.2} ms off");
        }
        let probe = ffprobe(&dst);
        let durs: Vec<f64> = probe["streams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["duration"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!((durs[0] - 6.0).abs() < 1e-6, "{name}: video {durs:?}");
        assert!((durs[1] - 6.0).abs() < 0.0005, "{name}: audio {durs:?}");
        for s in probe["streams"].as_array().unwrap() {
            assert_eq!(
                s["start_time"].as_str().unwrap().parse::<f64>().unwrap(),
                0.0,
                "{name}"
            );
        }
        let ours = cutroom_json(&["probe", "--json", dst.to_str().unwrap()]);
        assert_eq!(
            ours["files"][0]["edit_lists"], false,
            "{name}: deliverables carry no edit list"
        );
        assert_eq!(ours["files"][0]["faststart"], true, "{name}");
        let a: Vec<_> = ffprobe_packets(&src, "v:0")
            .iter()
            .map(|p| p["data_hash"].clone())
            .collect();
        let b: Vec<_> = ffprobe_packets(&dst, "v:0")
            .iter()
            .map(|p| p["data_hash"].clone())
            .collect();
        assert_eq!(a, b, "{name}: video packets must be copied bit for bit");
    }
}

#[test]
fn outputs_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join("out.mp4");
    rewrite(&fixture("marker_portrait_30.mp4"), &dst);
    let mode = std::fs::metadata(&dst).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "mode {mode:o}");
}
