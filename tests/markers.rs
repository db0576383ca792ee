//! The marker oracle itself: it must see the truth on clips made with known offsets.

use crate::common::*;

#[test]
fn fixture_markers_are_in_sync() {
    let offs = marker_offsets_ms(&fixture("marker_portrait_30.mp4"));
    let times: Vec<f64> = offs.iter().map(|o| o.0).collect();
    assert_eq!(times, vec![1.0, 3.0, 5.0], "flashes at 1, 3, 5 s");
    for (t, o) in offs {
        assert!(o.abs() < 0.5, "marker at {t}: offset {o} ms");
    }
}

#[test]
fn injected_offset_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("late.mp4");
    marker_clip(&p, 320, 240, 25, 4.0, 4.0, 80.0, &[]);
    let offs = marker_offsets_ms(&p);
    assert_eq!(offs.len(), 2);
    for (t, o) in offs {
        assert!(
            (o - 80.0).abs() < 0.5,
            "marker at {t}: offset {o} ms, want 80"
        );
    }
}
