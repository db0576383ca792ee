//! Labelled picture sheets written as PNG: the safe-zone sheet of `export` and the contact
//! sheet of `assemble`. Pictures come from decoded frames, scaled to RGB by FFmpeg.

use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use cutroom_ffi::{Pixel, VideoFilter, VideoFrame};
use std::path::Path;

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

    /// Set one pixel (outside the picture: nothing).
    pub fn put(&mut self, x: u32, y: u32, rgb: [u8; 3]) {
        if x < self.width && y < self.height {
            let i = 3 * (y * self.width + x) as usize;
            self.data[i..i + 3].copy_from_slice(&rgb);
        }
    }

    /// Copy `src` in with its top-left corner at `(at_x, at_y)`, clipped to this picture.
    pub fn blit(&mut self, src: &RgbImage, at_x: u32, at_y: u32) {
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

    /// `frame` scaled to `width` x `height` RGB by FFmpeg; `what` names the picture in errors.
    pub fn from_frame(frame: &VideoFrame, width: u32, height: u32, what: &Path) -> Result<Self> {
        let (w, h) = (width.max(1), height.max(1));
        let mut f = VideoFilter::new(
            &format!("scale={w}:{h}"),
            frame.width(),
            frame.height(),
            &frame.pixel_name(),
            cutroom_ffi::Rational::new(1, 1),
            Pixel::Rgb24,
        )?;
        f.push(frame)?;
        f.push_eof()?;
        let rgb = f
            .pull()?
            .ok_or_else(|| Error::bad_input(what, "picture: no frame from the scaler"))?;
        let stride = rgb.stride(0);
        let row = 3 * w as usize;
        let data = rgb
            .plane(0)
            .chunks(stride)
            .take(h as usize)
            .flat_map(|r| &r[..row])
            .copied()
            .collect();
        Ok(Self {
            width: w,
            height: h,
            data,
        })
    }
}

/// One labelled picture of a sheet.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Shown above the picture.
    pub label: String,
    /// The picture.
    pub frame: RgbImage,
}

const BACKGROUND: [u8; 3] = [24, 24, 28];
const MARGIN: u32 = 24;
const GLYPH_SCALE: u32 = 4;

/// Lay `panels` out in rows of at most `per_row`, left to right, each with its label above
/// it, and write them for `target` as a PNG, in a temp file beside it that the caller commits.
pub fn write(target: &Path, panels: &[Panel], per_row: usize) -> Result<AtomicOutput> {
    let label_h = 7 * GLYPH_SCALE + MARGIN / 2;
    let rows: Vec<&[Panel]> = panels.chunks(per_row.max(1)).collect();
    let row_w = |r: &[Panel]| MARGIN + r.iter().map(|p| p.frame.width + MARGIN).sum::<u32>();
    let row_h = |r: &[Panel]| label_h + r.iter().map(|p| p.frame.height).max().unwrap_or(0);
    let width = rows.iter().map(|r| row_w(r)).max().unwrap_or(MARGIN);
    let height = MARGIN + rows.iter().map(|r| row_h(r) + MARGIN).sum::<u32>();
    let mut sheet = RgbImage::filled(width, height, BACKGROUND);
    let mut y = MARGIN;
    for row in &rows {
        let mut x = MARGIN;
        for p in *row {
            draw_text(&mut sheet, &p.label, (x, y, p.frame.width), [235, 235, 235]);
            sheet.blit(&p.frame, x, y + label_h);
            x += p.frame.width + MARGIN;
        }
        y += row_h(row) + MARGIN;
    }
    let out = AtomicOutput::new(target)?;
    let file = out
        .create_with(|p| std::fs::File::create(p))
        .map_err(|e| Error::io(target, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), sheet.width, sheet.height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| match e {
        png::EncodingError::IoError(e) => Error::io(target, e),
        e => Error::Internal(format!("{}: PNG encoder: {e}", target.display())),
    };
    let mut w = enc.write_header().map_err(png_err)?;
    w.write_image_data(&sheet.data).map_err(png_err)?;
    w.finish().map_err(png_err)?;
    Ok(out)
}

/// Draw `text` (letters, digits, `-`, `_`, `x`, space) in a 5x7 pixel font scaled up, at
/// `x`, `y`, within `width` pixels (its panel's): smaller for a long label over a narrow
/// panel, which ran over the next panel's label, down to one pixel a dot, then cut there.
fn draw_text(img: &mut RgbImage, text: &str, (x, y, width): (u32, u32, u32), rgb: [u8; 3]) {
    let chars = text.chars().count().max(1) as u32;
    let scale = (width / (6 * chars)).clamp(1, GLYPH_SCALE);
    for (n, ch) in text.chars().enumerate() {
        let rows = glyph(ch);
        let gx = n as u32 * 6 * scale;
        for (r, bits) in rows.iter().enumerate() {
            for c in 0..5u32 {
                if bits & (0x10 >> c) != 0 {
                    for dy in 0..scale {
                        for dx in (0..scale).filter(|dx| gx + c * scale + dx < width) {
                            img.put(x + gx + c * scale + dx, y + r as u32 * scale + dy, rgb);
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
        '.' => [0, 0, 0, 0, 0, 0x0C, 0x0C],
        _ => [0; 7],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_wrap_into_rows() {
        let dir = tempfile::tempdir().unwrap();
        let panel = |rgb| Panel {
            label: "1".into(),
            frame: RgbImage::filled(40, 30, rgb),
        };
        let panels = [panel([255, 0, 0]), panel([0, 255, 0]), panel([0, 0, 255])];
        let path = write(&dir.path().join("s.png"), &panels, 2)
            .unwrap()
            .commit()
            .unwrap();
        let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        let label_h = 7 * GLYPH_SCALE + MARGIN / 2;
        assert_eq!(info.width, MARGIN + 2 * (40 + MARGIN));
        assert_eq!(info.height, MARGIN + 2 * (label_h + 30 + MARGIN));
        let at = |x: u32, y: u32| {
            let i = 3 * (y * info.width + x) as usize;
            [buf[i], buf[i + 1], buf[i + 2]]
        };
        let top = MARGIN + label_h;
        assert_eq!(at(MARGIN + 5, top + 5), [255, 0, 0]);
        assert_eq!(at(2 * MARGIN + 45, top + 5), [0, 255, 0]);
        assert_eq!(at(MARGIN + 5, top + 30 + MARGIN + label_h + 5), [0, 0, 255]);
    }

    /// A label wider than its panel (`tt 360x640` over a 180-pixel panel of --safe-zones) ran
    /// over the next panel's; it is drawn smaller, inside its own panel's width.
    #[test]
    fn a_long_label_keeps_to_its_panels_width() {
        let mut img = RgbImage::filled(400, 40, BACKGROUND);
        draw_text(&mut img, "tt 360x640", (10, 2, 180), [235, 235, 235]);
        let lit = |x: u32| (0..40).any(|y| img.data[3 * (y * 400 + x) as usize] == 235);
        assert!((10..190).any(lit), "the label is drawn");
        assert!(!(190..400).any(lit), "the label runs past its panel");
        // 10 characters of 6 dots in 180 pixels: 3 pixels a dot, the 4 of a short label.
        assert!(lit(10 + 9 * 18), "the last character is drawn whole");
    }
}
