//! The landmark model's crop: a square, rotated so the eyes are level, around the face, as
//! MediaPipe builds it from a detection or from the previous frame's landmarks.

use super::detect::Detection;
use super::yuv::Yuv;

/// How much larger than the face box the crop is (MediaPipe's 1.5).
const ENLARGE: f32 = 1.5;

/// A square of `size` pixels centred on (`cx`, `cy`) and turned by `angle` radians (clockwise
/// on screen, y pointing down), in the pixels of the picture it was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    /// Centre x (pixels).
    pub cx: f32,
    /// Centre y (pixels).
    pub cy: f32,
    /// Side (pixels).
    pub size: f32,
    /// Rotation (radians).
    pub angle: f32,
}

impl Roi {
    /// The crop around a detection (in picture sides) on a `w`x`h` picture: the box's long
    /// side enlarged, turned by the line from the right eye to the left eye.
    pub fn from_detection(d: &Detection, w: f32, h: f32) -> Self {
        let [re, le, ..] = d.keypoints;
        let angle = eye_angle((re.0 * w, re.1 * h), (le.0 * w, le.1 * h));
        Self {
            cx: d.cx * w,
            cy: d.cy * h,
            size: (d.w * w).max(d.h * h) * ENLARGE,
            angle,
        }
    }

    /// The crop around landmarks (picture pixels): their bounding box's long side enlarged,
    /// turned by the line from `points[from]` to `points[to]` (the eyes' outer corners).
    pub fn from_points(points: &[(f32, f32)], from: usize, to: usize) -> Self {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in points {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        Self {
            cx: (x0 + x1) / 2.0,
            cy: (y0 + y1) / 2.0,
            size: (x1 - x0).max(y1 - y0) * ENLARGE,
            angle: eye_angle(points[from], points[to]),
        }
    }

    /// The picture position of point (`u`, `v`) of an `n`x`n` crop.
    pub fn to_picture(&self, u: f32, v: f32, n: usize) -> (f32, f32) {
        let (s, c) = self.angle.sin_cos();
        let (x, y) = (
            (u / n as f32 - 0.5) * self.size,
            (v / n as f32 - 0.5) * self.size,
        );
        (self.cx + x * c - y * s, self.cy + x * s + y * c)
    }

    /// The frame area the crop covers: `(x0, y0, x1, y1)` (pixels), its turned square's
    /// bounding box.
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let (s, c) = self.angle.sin_cos();
        let half = self.size / 2.0 * (s.abs() + c.abs());
        (
            self.cx - half,
            self.cy - half,
            self.cx + half,
            self.cy + half,
        )
    }

    /// The crop as `n`x`n` RGB values in [0, 1] (the red plane row-major, then green, then
    /// blue), read bilinearly from `pic`; outside it the nearest edge pixel repeats.
    pub fn sample(&self, pic: &Yuv, n: usize) -> Vec<f32> {
        let (s, c) = self.angle.sin_cos();
        let step = self.size / n as f32;
        // Crop pixel (0, 0)'s centre, and the steps of one crop pixel right and down.
        let o = 0.5 * step - self.size / 2.0;
        let at = (self.cx + o * c - o * s, self.cy + o * s + o * c);
        pic.sample(at, (step * c, step * s), (-step * s, step * c), n)
    }
}

/// The rotation that makes the line from `a` to `b` horizontal (MediaPipe's convention).
fn eye_angle(a: (f32, f32), b: (f32, f32)) -> f32 {
    (b.1 - a.1).atan2(b.0 - a.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yuv::Plane;

    fn det(keypoints: [(f32, f32); 6]) -> Detection {
        Detection {
            cx: 0.5,
            cy: 0.25,
            w: 0.2,
            h: 0.25,
            keypoints,
            score: 1.0,
        }
    }

    #[test]
    fn crop_from_a_level_detection() {
        let mut k = [(0.0, 0.0); 6];
        k[0] = (0.45, 0.2);
        k[1] = (0.55, 0.2);
        let r = Roi::from_detection(&det(k), 400.0, 200.0);
        assert_eq!((r.cx, r.cy, r.angle), (200.0, 50.0, 0.0));
        // 0.2 x 400 = 80 wide, 0.25 x 200 = 50 high: the long side, enlarged.
        assert!((r.size - 120.0).abs() < 1e-4);
        assert_eq!(r.to_picture(0.0, 0.0, 192), (140.0, -10.0));
        assert_eq!(r.to_picture(96.0, 96.0, 192), (200.0, 50.0));
    }

    #[test]
    fn crop_turns_with_the_eyes() {
        let mut k = [(0.0, 0.0); 6];
        // The left eye (on screen right) lower by as much as it is right: 45 degrees.
        k[0] = (0.45, 0.2);
        k[1] = (0.55, 0.4);
        let r = Roi::from_detection(&det(k), 400.0, 200.0);
        assert!((r.angle - std::f32::consts::FRAC_PI_4).abs() < 1e-6);
        // The crop's right-pointing axis runs down-right on screen.
        let (x, y) = r.to_picture(192.0, 96.0, 192);
        let d = 60.0 * std::f32::consts::FRAC_1_SQRT_2;
        assert!((x - (200.0 + d)).abs() < 1e-3 && (y - (50.0 + d)).abs() < 1e-3);
    }

    #[test]
    fn crop_from_points() {
        let pts = [(10.0, 20.0), (30.0, 20.0), (20.0, 60.0)];
        let r = Roi::from_points(&pts, 0, 1);
        assert_eq!((r.cx, r.cy, r.angle), (20.0, 40.0, 0.0));
        assert!((r.size - 60.0).abs() < 1e-5);
    }

    #[test]
    fn sample_reads_the_right_pixels() {
        // A 4x4 picture whose red is 10 * x + 100 * (y >= 2) (full-range grey: R = G = B).
        let luma: Vec<u8> = (0..16)
            .map(|i| (10 * (i % 4) + if i / 4 >= 2 { 100 } else { 0 }) as u8)
            .collect();
        let chroma = [128u8; 4];
        let pic = Yuv {
            planes: [
                Plane::packed(&luma, 4, 4, 1),
                Plane::packed(&chroma, 2, 2, 2),
                Plane::packed(&chroma, 2, 2, 2),
            ],
            full_range: true,
        };
        // A 2x2 crop over the lower-right 2x2 pixels: exactly their centres.
        let r = Roi {
            cx: 3.0,
            cy: 3.0,
            size: 2.0,
            angle: 0.0,
        };
        let red = |r: &Roi| -> Vec<f32> {
            let s = r.sample(&pic, 2);
            let (red, rest) = s.split_at(4);
            assert!(rest.chunks(4).all(|plane| plane == red));
            red.iter().map(|v| (v * 255.0).round()).collect()
        };
        assert_eq!(red(&r), vec![120.0, 130.0, 120.0, 130.0]);
        // Turned by 90 degrees the crop's rows run down the picture.
        let turned = Roi {
            angle: std::f32::consts::FRAC_PI_2,
            ..r
        };
        assert_eq!(red(&turned), vec![130.0, 130.0, 120.0, 120.0]);
    }

    #[test]
    fn bounds_hold_the_turned_square() {
        let r = Roi {
            cx: 10.0,
            cy: 20.0,
            size: 4.0,
            angle: std::f32::consts::FRAC_PI_4,
        };
        let (x0, y0, x1, y1) = r.bounds();
        let d = 2.0 * std::f32::consts::SQRT_2;
        assert!((x0 - (10.0 - d)).abs() < 1e-5 && (x1 - (10.0 + d)).abs() < 1e-5);
        assert!((y0 - (20.0 - d)).abs() < 1e-5 && (y1 - (20.0 + d)).abs() < 1e-5);
    }
}
