//! `--focus auto` with people in the picture: the crop window keeps the faces in it.
//!
//! On the decoding thread, MediaPipe's face detector ([`cutroom_face::Detector`], 128x128)
//! looks at the upright picture every [`DETECT_EVERY`] frames, in square tiles of its shorter
//! side (so a face a fifth of a 16:9 frame's height is 26 pixels to the detector, not 14);
//! the faces found are held on the frames between, and through [`HOLD`] frames of looks that
//! find none (a turned head, a blink of the detector), so the window never jumps for a missed
//! detection. Each branch then turns the faces into the centre of its own window
//! ([`Aim::centre`]): the group of faces that fits in the window, the largest first, eyes a
//! third of the way down when the window is shorter than the picture. Those centres go
//! through the same moving average as motion's ([`super::motion::Smoother`]), each weighing
//! [`FACE_WEIGHT`] motion centres, so where a face comes or goes the window turns to it
//! within a few frames but still glides; frames with no face held keep motion's centre, so a
//! clip without faces is reframed exactly as before.

use super::motion::Weighted;
use crate::error::{Error, Result};
use crate::picture::small::Shrinker;
use crate::picture::turn::Turn;
use cutroom_face::detect::{Detection, SIZE};
use cutroom_face::{Detector, Rgb};
use cutroom_ffi::{Pixel, VideoFrame};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// The detector looks every this many frames (three times a second at 30 fps: about 5 % of a
/// 1080p export's CPU, bench/README.md).
pub const DETECT_EVERY: usize = 10;
/// Faces last seen this many frames ago are still held (a second at 30 fps, three looks).
pub const HOLD: usize = 30;
/// A centre aimed at faces weighs this many centres of motion in the moving average.
pub const FACE_WEIGHT: f64 = 10.0;

/// A face in the upright picture, in fractions of its width and height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Left, top, right, bottom edges of the detector's box (brows to chin).
    pub bbox: [f64; 4],
    /// Height of the eyes.
    pub eyes: f64,
}

impl Face {
    fn height(&self) -> f64 {
        self.bbox[3] - self.bbox[1]
    }
}

/// Finds the faces of each decoded frame (on the decoding thread).
pub struct Finder {
    shrinker: Shrinker,
    detector: Detector,
    frame: usize,
    /// The faces last seen and the frame they were seen on.
    held: Option<(Arc<[Face]>, usize)>,
    input: Arc<Path>,
}

impl Finder {
    /// A finder for frames of `input` shown after `turn`.
    pub fn new(turn: Turn, input: &Path) -> Result<Self> {
        Ok(Self {
            shrinker: Shrinker::new(turn, Pixel::Rgb24),
            detector: Detector::new().map_err(|e| face_error(input, e))?,
            frame: 0,
            held: None,
            input: input.into(),
        })
    }

    /// The faces of the next frame: those seen on it or held from a recent look; `None` when
    /// there are none.
    pub fn look(&mut self, frame: &VideoFrame) -> Result<Option<Arc<[Face]>>> {
        let index = self.frame;
        self.frame += 1;
        if index % DETECT_EVERY == 0 {
            let found = self.detect(frame)?;
            if !found.is_empty() {
                self.held = Some((found.into(), index));
            }
        }
        if self.held.as_ref().is_some_and(|(_, at)| index - at > HOLD) {
            self.held = None;
        }
        Ok(self.held.as_ref().map(|(f, _)| Arc::clone(f)))
    }

    /// The faces in `frame`, found in square tiles of the upright picture made small.
    fn detect(&mut self, frame: &VideoFrame) -> Result<Vec<Face>> {
        let small = self.small(frame)?;
        let (w, h) = (small.width, small.height);
        let mut found: Vec<Detection> = Vec::new();
        for (x0, y0) in tiles(w, h) {
            let side = SIZE.min(w).min(h);
            let tile = cut(&small, x0, y0, side);
            let faces = self
                .detector
                .detect(&tile)
                .map_err(|e| face_error(&self.input, e))?;
            let to_pic = |(x, y): (f32, f32)| {
                (
                    (x0 as f32 + x * side as f32) / w as f32,
                    (y0 as f32 + y * side as f32) / h as f32,
                )
            };
            for d in faces {
                let (cx, cy) = to_pic((d.cx, d.cy));
                let d = Detection {
                    cx,
                    cy,
                    w: d.w * side as f32 / w as f32,
                    h: d.h * side as f32 / h as f32,
                    keypoints: d.keypoints.map(to_pic),
                    score: d.score,
                };
                match found.iter_mut().find(|f| f.iou(&d) > 0.3) {
                    Some(f) if f.score < d.score => *f = d,
                    Some(_) => {}
                    None => found.push(d),
                }
            }
        }
        Ok(found
            .into_iter()
            .map(|d| {
                let (cx, cy, hw, hh) = (
                    f64::from(d.cx),
                    f64::from(d.cy),
                    f64::from(d.w) / 2.0,
                    f64::from(d.h) / 2.0,
                );
                Face {
                    bbox: [cx - hw, cy - hh, cx + hw, cy + hh],
                    eyes: f64::from(d.keypoints[0].1 + d.keypoints[1].1) / 2.0,
                }
            })
            .collect())
    }

    /// The upright picture with its shorter side [`SIZE`] pixels, packed RGB.
    fn small(&mut self, frame: &VideoFrame) -> Result<Rgb> {
        let small = self.shrinker.shrink(frame, |w, h| {
            let s = SIZE as f64 / f64::from(w.min(h).max(1));
            let side = |v: u32| ((f64::from(v) * s).round() as u32).max(SIZE as u32);
            (side(w), side(h))
        })?;
        let p = small.ok_or_else(|| Error::bad_input(&self.input, "face analysis: no picture"))?;
        Ok(Rgb {
            width: p.width as usize,
            height: p.height as usize,
            data: p.data,
        })
    }
}

fn face_error(input: &Path, e: impl std::fmt::Display) -> Error {
    Error::bad_input(input, format!("face analysis failed: {e}"))
}

/// The top-left corners of the square tiles of side `min(w, h)` a `w` x `h` picture is
/// searched in: along its longer side, each overlapping the next by at least half a tile, so
/// any face up to half the shorter side wide lies wholly in one (three on 16:9).
fn tiles(w: usize, h: usize) -> Vec<(usize, usize)> {
    let (long, short) = (w.max(h), w.min(h));
    let n = match long - short {
        0 => 1,
        d => d.div_ceil(short / 2).max(1) + 1,
    };
    (0..n)
        .map(|i| (long - short) * i / (n - 1).max(1))
        .map(|at| if w >= h { (at, 0) } else { (0, at) })
        .collect()
}

/// The `side` x `side` square of `pic` at (`x0`, `y0`).
fn cut(pic: &Rgb, x0: usize, y0: usize, side: usize) -> Rgb {
    let data = (y0..y0 + side)
        .flat_map(|y| {
            let at = (y * pic.width + x0) * 3;
            pic.data[at..at + side * 3].iter().copied()
        })
        .collect();
    Rgb {
        width: side,
        height: side,
        data,
    }
}

/// What a moving window followed, in an output's report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Followed {
    /// The faces (on some frames at least; motion on the others).
    Faces,
    /// The centre of motion: no face was seen.
    Motion,
}

/// An output's `--focus auto` in its report.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FocusReport {
    /// What the window followed.
    pub followed: Followed,
    /// The most faces seen at once.
    pub faces: usize,
    /// The share of the output's frames whose window was aimed at faces (0-1).
    pub face_share: f64,
}

/// Turns each frame's faces into its window's centre, for one output (on its branch).
#[derive(Debug)]
pub struct Aim {
    /// The window's size in fractions of the upright picture.
    window: (f64, f64),
    /// The last centre aimed at faces.
    last: Option<(f64, f64)>,
    frames: usize,
    on_faces: usize,
    most: usize,
}

impl Aim {
    /// For a window of `window` (fractions of the upright picture's width and height).
    pub fn new(window: (f64, f64)) -> Self {
        Self {
            window,
            last: None,
            frames: 0,
            on_faces: 0,
            most: 0,
        }
    }

    /// The raw centre of a frame and its weight: that of its faces when it has any, else its
    /// centre of `motion`.
    pub fn centre(
        &mut self,
        faces: Option<&[Face]>,
        motion: Option<(f64, f64)>,
    ) -> Option<Weighted> {
        self.frames += 1;
        let Some(faces) = faces.filter(|f| !f.is_empty()) else {
            return motion.map(|m| (m, 1.0));
        };
        self.on_faces += 1;
        self.most = self.most.max(faces.len());
        let c = self.aim(faces);
        self.last = Some(c);
        Some((c, FACE_WEIGHT))
    }

    /// The report of the frames aimed so far.
    pub fn report(&self) -> FocusReport {
        FocusReport {
            followed: match self.on_faces {
                0 => Followed::Motion,
                _ => Followed::Faces,
            },
            faces: self.most,
            face_share: self.on_faces as f64 / self.frames.max(1) as f64,
        }
    }

    /// The centre of the window holding the most of `faces` (each counted by its height
    /// against the largest's, so a large face outweighs small ones behind it), the group
    /// nearest the last centre winning a close call (so two faces far apart do not take turns).
    fn aim(&self, faces: &[Face]) -> (f64, f64) {
        let (ww, wh) = self.window;
        let tallest = faces.iter().map(Face::height).fold(f64::MIN, f64::max);
        let mut by_size: Vec<&Face> = faces.iter().collect();
        by_size.sort_by(|a, b| b.height().total_cmp(&a.height()));
        let mut best: Option<(f64, [f64; 4], f64)> = None;
        for (i, first) in by_size.iter().enumerate() {
            // The faces that fit in one window with `first`, the largest first.
            let mut group = first.bbox;
            let mut weight = first.height() / tallest;
            let mut eyes = vec![first.eyes];
            for (j, f) in by_size.iter().enumerate() {
                if j == i {
                    continue;
                }
                let joined = [
                    group[0].min(f.bbox[0]),
                    group[1].min(f.bbox[1]),
                    group[2].max(f.bbox[2]),
                    group[3].max(f.bbox[3]),
                ];
                if joined[2] - joined[0] <= ww && joined[3] - joined[1] <= wh {
                    group = joined;
                    weight += f.height() / tallest;
                    eyes.push(f.eyes);
                }
            }
            let centre_x = (group[0] + group[2]) / 2.0;
            let near = self
                .last
                .is_some_and(|(x, _)| (x - centre_x).abs() <= ww / 4.0);
            let score = weight + if near { 0.5 } else { 0.0 };
            let eyes = eyes.iter().sum::<f64>() / eyes.len() as f64;
            if best.is_none_or(|(s, _, _)| score > s) {
                best = Some((score, group, eyes));
            }
        }
        let (_, g, eyes) = best.expect("faces is not empty");
        // Eyes a third of the way down, as long as the whole group stays inside.
        let mut y = eyes + wh / 6.0;
        if g[3] - g[1] <= wh {
            y = y.clamp(g[3] - wh / 2.0, g[1] + wh / 2.0);
        } else {
            y = (g[1] + g[3]) / 2.0;
        }
        ((g[0] + g[2]) / 2.0, y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face(cx: f64, cy: f64, size: f64) -> Face {
        Face {
            bbox: [
                cx - size / 2.0,
                cy - size / 2.0,
                cx + size / 2.0,
                cy + size / 2.0,
            ],
            eyes: cy - size / 6.0,
        }
    }

    #[test]
    fn tiles_cover_the_picture_overlapping_by_half() {
        assert_eq!(tiles(128, 128), [(0, 0)]);
        assert_eq!(tiles(228, 128), [(0, 0), (50, 0), (100, 0)]);
        assert_eq!(tiles(128, 228), [(0, 0), (0, 50), (0, 100)]);
        assert_eq!(tiles(171, 128), [(0, 0), (43, 0)]);
    }

    #[test]
    fn one_face_is_centred_with_head_room() {
        // A 9:16 window of a 16:9 picture: full height, 0.316 wide.
        let mut a = Aim::new((0.316, 1.0));
        let ((x, _), w) = a
            .centre(Some(&[face(0.2, 0.4, 0.2)]), Some((0.8, 0.5)))
            .unwrap();
        assert_eq!(w, FACE_WEIGHT);
        assert!((x - 0.2).abs() < 1e-9);
        // A 16:9 window of a 9:16 picture: full width, 0.316 high; the eyes a third down.
        let mut a = Aim::new((1.0, 0.316));
        let f = face(0.5, 0.3, 0.1);
        let ((_, y), _) = a.centre(Some(&[f]), None).unwrap();
        assert!(
            (y - 0.316 / 2.0 - (f.eyes - 0.316 / 3.0)).abs() < 1e-9,
            "{y}"
        );
        // No face: motion's centre.
        assert_eq!(a.centre(None, Some((0.7, 0.4))), Some(((0.7, 0.4), 1.0)));
        let r = a.report();
        assert_eq!((r.followed, r.faces), (Followed::Faces, 1));
        assert!((r.face_share - 0.5).abs() < 1e-9);
    }

    #[test]
    fn the_window_holds_the_most_faces_and_keeps_to_its_choice() {
        let mut a = Aim::new((0.316, 1.0));
        // Three like faces, two of them close together on the right: the window holds those.
        let two = [
            face(0.1, 0.4, 0.1),
            face(0.7, 0.4, 0.1),
            face(0.85, 0.4, 0.1),
        ];
        let ((x, _), _) = a.centre(Some(&two), None).unwrap();
        assert!((x - 0.775).abs() < 1e-9, "{x}");
        // Two equal faces far apart: the first frame takes the larger, then it sticks even
        // when the other is a little larger.
        let mut a = Aim::new((0.316, 1.0));
        let ((x, _), _) = a
            .centre(Some(&[face(0.15, 0.4, 0.21), face(0.85, 0.4, 0.2)]), None)
            .unwrap();
        assert!((x - 0.15).abs() < 1e-9);
        let ((x, _), _) = a
            .centre(Some(&[face(0.15, 0.4, 0.2), face(0.85, 0.4, 0.22)]), None)
            .unwrap();
        assert!((x - 0.15).abs() < 1e-9, "{x}");
    }
}
