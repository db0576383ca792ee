//! `--safe-zones`: one frame of each vertical output side by side, with the platform's UI
//! overlays (caption, buttons, status bars) shaded red, written as a PNG.

use crate::error::Result;
use crate::output::AtomicOutput;
use crate::sheet::{self, RgbImage};
use std::path::Path;

/// One panel: a labelled frame and its UI zones (`[x0, y0, x1, y1]` fractions).
#[derive(Debug, Clone)]
pub struct Panel {
    /// Shown above the frame (preset name and size).
    pub label: String,
    /// The frame.
    pub frame: RgbImage,
    /// UI overlay zones.
    pub zones: Vec<[f64; 4]>,
}

const ZONE: [u8; 3] = [255, 48, 48];

/// Shade `zones` on `frame`: 45 % red inside, a 2-pixel red outline around each zone.
pub fn shade(frame: &mut RgbImage, zones: &[[f64; 4]]) {
    let (w, h) = (frame.width, frame.height);
    let px = |f: f64, n: u32| ((f * f64::from(n)).round() as u32).min(n);
    let mut inside = vec![false; (w * h) as usize];
    let mut edge = vec![false; (w * h) as usize];
    for z in zones {
        let (x0, y0, x1, y1) = (px(z[0], w), px(z[1], h), px(z[2], w), px(z[3], h));
        for y in y0..y1 {
            for x in x0..x1 {
                let i = (y * w + x) as usize;
                inside[i] = true;
                edge[i] |= x < x0 + 2 || x + 2 >= x1 || y < y0 + 2 || y + 2 >= y1;
            }
        }
    }
    for (i, px) in frame.data.chunks_exact_mut(3).enumerate() {
        if edge[i] {
            px.copy_from_slice(&ZONE);
        } else if inside[i] {
            for (c, z) in px.iter_mut().zip(ZONE) {
                *c = ((f32::from(*c) * 0.55) + f32::from(z) * 0.45).round() as u8;
            }
        }
    }
}

/// Shade each panel's zones and lay the panels out left to right, each with its label above
/// it, in a PNG for `target` (a temp file beside it that the caller commits).
pub fn write_sheet(target: &Path, panels: &[Panel]) -> Result<AtomicOutput> {
    let shaded: Vec<sheet::Panel> = panels
        .iter()
        .map(|p| {
            let mut frame = p.frame.clone();
            shade(&mut frame, &p.zones);
            sheet::Panel {
                label: p.label.clone(),
                frame,
            }
        })
        .collect();
    sheet::write(target, &shaded, shaded.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_shaded_and_the_rest_untouched() {
        let mut img = RgbImage::filled(100, 200, [0, 0, 200]);
        shade(&mut img, &[[0.0, 0.0, 1.0, 0.1], [0.0, 0.75, 1.0, 1.0]]);
        let at = |x: u32, y: u32| {
            let i = 3 * (y * 100 + x) as usize;
            [img.data[i], img.data[i + 1], img.data[i + 2]]
        };
        assert_eq!(at(50, 100), [0, 0, 200], "middle of the frame is clear");
        assert_eq!(at(0, 0), ZONE, "outline");
        assert_eq!(at(50, 10), [115, 22, 132], "inside the top zone, blended");
        assert_eq!(at(50, 180), [115, 22, 132]);
    }
}
