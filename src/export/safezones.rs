//! `--safe-zones`: one frame of each vertical output side by side, with the platform's UI
//! overlays (caption, buttons, status bars) shaded red, written as a PNG.

use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use std::path::{Path, PathBuf};

/// An 8-bit RGB picture, rows packed without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 3` bytes.
    pub data: Vec<u8>,
}

impl RgbImage {
    /// A picture filled with `rgb`.
    pub fn filled(width: u32, height: u32, rgb: [u8; 3]) -> Self {
        Self {
            width,
            height,
            data: rgb.repeat((width * height) as usize),
        }
    }

    fn put(&mut self, x: u32, y: u32, rgb: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = 3 * (y * self.width + x) as usize;
            self.data[i..i + 3].copy_from_slice(&rgb);
        }
    }

    fn blit(&mut self, src: &RgbImage, at_x: u32, at_y: u32) {
        for y in 0..src.height {
            for x in 0..src.width {
                let i = 3 * (y * src.width + x) as usize;
                self.put(
                    at_x + x,
                    at_y + y,
                    [src.data[i], src.data[i + 1], src.data[i + 2]],
                );
            }
        }
    }
}

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
const BACKGROUND: [u8; 3] = [24, 24, 28];
const MARGIN: u32 = 24;
const GLYPH_SCALE: u32 = 4;

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

/// Lay `panels` out left to right, each with its label above it, and write them to `target`
/// as a PNG (atomically).
pub fn write_sheet(target: &Path, panels: &[Panel]) -> Result<PathBuf> {
    let label_h = 7 * GLYPH_SCALE + MARGIN / 2;
    let width = MARGIN + panels.iter().map(|p| p.frame.width + MARGIN).sum::<u32>();
    let height = 2 * MARGIN + label_h + panels.iter().map(|p| p.frame.height).max().unwrap_or(0);
    let mut sheet = RgbImage::filled(width, height, BACKGROUND);
    let mut x = MARGIN;
    for p in panels {
        let mut frame = p.frame.clone();
        shade(&mut frame, &p.zones);
        draw_text(&mut sheet, &p.label, x, MARGIN, [235, 235, 235]);
        sheet.blit(&frame, x, MARGIN + label_h);
        x += frame.width + MARGIN;
    }
    let out = AtomicOutput::new(target)?;
    let file = std::fs::File::create(out.path()).map_err(|e| Error::io(target, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), sheet.width, sheet.height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| Error::bad_input(target, format!("writing PNG: {e}"));
    let mut w = enc.write_header().map_err(png_err)?;
    w.write_image_data(&sheet.data).map_err(png_err)?;
    w.finish().map_err(png_err)?;
    out.commit()
}

/// Draw `text` (letters, digits, `-`, `_`, `x`, space) in a 5x7 pixel font scaled up.
fn draw_text(img: &mut RgbImage, text: &str, x: u32, y: u32, rgb: [u8; 3]) {
    for (n, ch) in text.chars().enumerate() {
        let rows = glyph(ch);
        let gx = x + n as u32 * 6 * GLYPH_SCALE;
        for (r, bits) in rows.iter().enumerate() {
            for c in 0..5u32 {
                if bits & (0x10 >> c) != 0 {
                    for dy in 0..GLYPH_SCALE {
                        for dx in 0..GLYPH_SCALE {
                            img.put(
                                gx + c * GLYPH_SCALE + dx,
                                y + r as u32 * GLYPH_SCALE + dy,
                                rgb,
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Rows of a 5x7 glyph, bit 4 the leftmost pixel; unknown characters are blank.
fn glyph(ch: char) -> [u8; 7] {
    const LETTERS: [[u8; 7]; 26] = [
        [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C],
        [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        [0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D],
        [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        [0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04],
        [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        [0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F],
    ];
    const DIGITS: [[u8; 7]; 10] = [
        [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
    ];
    match ch.to_ascii_uppercase() {
        c @ 'A'..='Z' => LETTERS[(c as u8 - b'A') as usize],
        c @ '0'..='9' => DIGITS[(c as u8 - b'0') as usize],
        '-' => [0, 0, 0, 0x1F, 0, 0, 0],
        '_' => [0, 0, 0, 0, 0, 0, 0x1F],
        _ => [0; 7],
    }
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
