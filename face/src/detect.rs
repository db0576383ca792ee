//! MediaPipe's short-range face detector: a 128x128 RGB picture in, scored boxes with six
//! keypoints (eyes, nose tip, mouth, ears) out. Anchors, box decoding and weighted non-maximum
//! suppression as in MediaPipe's `face_detection_short_range` graph.

/// The detector's input side (pixels).
pub const SIZE: usize = 128;
/// Anchors per image: a 16x16 grid with 2 per cell, then an 8x8 grid with 6 per cell.
pub const ANCHORS: usize = 16 * 16 * 2 + 8 * 8 * 6;
/// Values per anchor in the regression output: box (4) + 6 keypoints (x, y).
pub const VALUES: usize = 16;
/// Score (after the sigmoid) a detection needs.
const MIN_SCORE: f32 = 0.5;
/// Overlap (intersection over union) above which two detections are the same face.
const SAME_FACE_IOU: f32 = 0.3;

/// A face found in the detector picture; coordinates in picture sides (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// Box centre x.
    pub cx: f32,
    /// Box centre y.
    pub cy: f32,
    /// Box width.
    pub w: f32,
    /// Box height.
    pub h: f32,
    /// Right eye, left eye, nose tip, mouth centre, right ear, left ear (the subject's sides).
    pub keypoints: [(f32, f32); 6],
    /// Score (0..1).
    pub score: f32,
}

impl Detection {
    /// Intersection over union of the two boxes.
    pub fn iou(&self, o: &Detection) -> f32 {
        iou((self.cx, self.cy, self.w, self.h), (o.cx, o.cy, o.w, o.h))
    }
}

/// Intersection over union of two boxes `(cx, cy, w, h)`.
pub fn iou(a: (f32, f32, f32, f32), b: (f32, f32, f32, f32)) -> f32 {
    let ix = (a.0 + a.2 / 2.0).min(b.0 + b.2 / 2.0) - (a.0 - a.2 / 2.0).max(b.0 - b.2 / 2.0);
    let iy = (a.1 + a.3 / 2.0).min(b.1 + b.3 / 2.0) - (a.1 - a.3 / 2.0).max(b.1 - b.3 / 2.0);
    if ix <= 0.0 || iy <= 0.0 {
        return 0.0;
    }
    let inter = ix * iy;
    inter / (a.2 * a.3 + b.2 * b.3 - inter)
}

/// Anchor centres `(x, y)` in picture sides, in the model's output order.
pub fn anchors() -> Vec<(f32, f32)> {
    let mut out = Vec::with_capacity(ANCHORS);
    for (grid, per_cell) in [(16usize, 2usize), (8, 6)] {
        for y in 0..grid {
            for x in 0..grid {
                let c = (
                    (x as f32 + 0.5) / grid as f32,
                    (y as f32 + 0.5) / grid as f32,
                );
                out.extend(std::iter::repeat_n(c, per_cell));
            }
        }
    }
    out
}

/// The faces in the model's outputs: `boxes` (`ANCHORS` x `VALUES`) and `scores` (`ANCHORS`
/// logits), decoded against `anchors` and merged by weighted non-maximum suppression.
pub fn decode(boxes: &[f32], scores: &[f32], anchors: &[(f32, f32)]) -> Vec<Detection> {
    let s = SIZE as f32;
    let mut found: Vec<Detection> = anchors
        .iter()
        .enumerate()
        .filter_map(|(i, &(ax, ay))| {
            let score = 1.0 / (1.0 + (-scores[i].clamp(-100.0, 100.0)).exp());
            if score < MIN_SCORE {
                return None;
            }
            let r = &boxes[i * VALUES..(i + 1) * VALUES];
            let mut keypoints = [(0.0, 0.0); 6];
            for (k, p) in keypoints.iter_mut().enumerate() {
                *p = (r[4 + 2 * k] / s + ax, r[5 + 2 * k] / s + ay);
            }
            Some(Detection {
                cx: r[0] / s + ax,
                cy: r[1] / s + ay,
                w: r[2] / s,
                h: r[3] / s,
                keypoints,
                score,
            })
        })
        .filter(|d| d.w > 0.0 && d.h > 0.0)
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    weighted_nms(found)
}

/// MediaPipe's weighted non-maximum suppression: each face is the score-weighted mean of the
/// detections overlapping the best remaining one, with that one's score.
fn weighted_nms(mut sorted: Vec<Detection>) -> Vec<Detection> {
    let mut out = Vec::new();
    while let Some(best) = sorted.first().copied() {
        let (same, rest): (Vec<Detection>, Vec<Detection>) = sorted
            .into_iter()
            .partition(|d| d.iou(&best) > SAME_FACE_IOU);
        sorted = rest;
        let total: f32 = same.iter().map(|d| d.score).sum();
        let mean = |f: &dyn Fn(&Detection) -> f32| {
            same.iter().map(|d| f(d) * d.score).sum::<f32>() / total
        };
        let mut keypoints = [(0.0, 0.0); 6];
        for (k, p) in keypoints.iter_mut().enumerate() {
            *p = (mean(&|d| d.keypoints[k].0), mean(&|d| d.keypoints[k].1));
        }
        out.push(Detection {
            cx: mean(&|d| d.cx),
            cy: mean(&|d| d.cy),
            w: mean(&|d| d.w),
            h: mean(&|d| d.h),
            keypoints,
            score: best.score,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_cover_both_grids() {
        let a = anchors();
        assert_eq!(a.len(), 896);
        assert_eq!(a[0], (0.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[1], a[0]);
        assert_eq!(a[2], (1.5 / 16.0, 0.5 / 16.0));
        assert_eq!(a[512], (0.5 / 8.0, 0.5 / 8.0));
        assert_eq!(a[517], a[512]);
        assert_eq!(a[895], (7.5 / 8.0, 7.5 / 8.0));
    }

    /// Raw outputs with one face spread over a few anchors of the 8x8 grid and one weak anchor.
    #[test]
    fn decodes_and_merges_one_face() {
        let anchors = anchors();
        let mut boxes = vec![0.0f32; ANCHORS * VALUES];
        let mut scores = vec![-10.0f32; ANCHORS];
        // The anchor of cell (4, 3) of the 8x8 grid sits at (0.5625, 0.4375).
        let cell = 512 + (3 * 8 + 4) * 6;
        for (k, (dx, logit)) in [(0.0f32, 3.0f32), (1.28, 1.0), (-1.28, 1.0)]
            .iter()
            .enumerate()
        {
            let r = &mut boxes[(cell + k) * VALUES..(cell + k + 1) * VALUES];
            r[0] = 6.4 + dx; // centre 0.05 right of the anchor
            r[1] = -6.4; // and 0.05 up
            r[2] = 51.2; // 0.4 wide
            r[3] = 64.0; // 0.5 high
            r[4] = -12.8; // right eye 0.1 left of the anchor
            r[6] = 12.8; // left eye 0.1 right
            scores[cell + k] = *logit;
        }
        scores[0] = 0.1; // a sigmoid of 0.52 somewhere else, tiny box
        boxes[2] = 1.28;
        boxes[3] = 1.28;
        let found = decode(&boxes, &scores, &anchors);
        assert_eq!(found.len(), 2, "{found:?}");
        let f = found[0];
        assert!((f.cx - 0.6125).abs() < 1e-5, "{}", f.cx);
        assert!((f.cy - 0.3875).abs() < 1e-5);
        assert!((f.w - 0.4).abs() < 1e-5 && (f.h - 0.5).abs() < 1e-5);
        assert!((f.keypoints[0].0 - 0.4625).abs() < 1e-5);
        assert!((f.keypoints[1].0 - 0.6625).abs() < 1e-5);
        assert!((f.score - 1.0 / (1.0 + (-3.0f32).exp())).abs() < 1e-6);
        assert!(found[1].score < 0.53 && found[1].w < 0.02);
    }

    #[test]
    fn iou_of_boxes() {
        let d = |cx, w| Detection {
            cx,
            cy: 0.5,
            w,
            h: 0.2,
            keypoints: [(0.0, 0.0); 6],
            score: 1.0,
        };
        assert!((d(0.5, 0.2).iou(&d(0.5, 0.2)) - 1.0).abs() < 1e-6);
        assert!((d(0.5, 0.2).iou(&d(0.6, 0.2)) - 1.0 / 3.0).abs() < 1e-6);
        assert_eq!(d(0.2, 0.1).iou(&d(0.8, 0.1)), 0.0);
    }
}
