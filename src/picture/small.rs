//! A decoded frame turned upright and scaled down, its rows packed: what `--focus auto`'s
//! trackers (motion thumbnails, the face detector's picture) look at.

use super::turn::Turn;
use crate::error::Result;
use cutroom_ffi::{Pixel, Rational, VideoFilter, VideoFrame};

/// Turns and scales frames to a size chosen from the first frame, in one pixel format.
pub struct Shrinker {
    turn: Turn,
    pixel: Pixel,
    filter: Option<VideoFilter>,
}

/// A packed picture: `width * height` pixels of `data.len() / (width * height)` bytes each.
pub struct Small {
    /// Width (pixels).
    pub width: u32,
    /// Height (pixels).
    pub height: u32,
    /// Rows top to bottom, no padding.
    pub data: Vec<u8>,
}

impl Shrinker {
    /// A shrinker of frames shown after `turn`, to the packed `pixel` (`Gray`, `Rgb24`, `Rgba`).
    pub fn new(turn: Turn, pixel: Pixel) -> Self {
        Self {
            turn,
            pixel,
            filter: None,
        }
    }

    /// `frame` upright, scaled (with area averaging) to the size `size` gives for the first
    /// frame's upright width and height; `None` when the filter gives no picture for it.
    pub fn shrink(
        &mut self,
        frame: &VideoFrame,
        size: impl FnOnce(u32, u32) -> (u32, u32),
    ) -> Result<Option<Small>> {
        if self.filter.is_none() {
            let (w, h) = self.turn.apply(frame.width(), frame.height());
            let (sw, sh) = size(w, h);
            let spec: Vec<String> = (self.turn.filter().map(String::from).into_iter())
                .chain([format!("scale={sw}:{sh}:flags=area")])
                .collect();
            self.filter = Some(VideoFilter::new(
                &spec.join(","),
                frame.width(),
                frame.height(),
                &frame.pixel_name(),
                Rational::new(1, 1),
                self.pixel,
            )?);
        }
        let bytes = match self.pixel {
            Pixel::Rgb24 => 3,
            Pixel::Rgba => 4,
            _ => 1,
        };
        let filter = self.filter.as_mut().expect("created above");
        filter.push(frame)?;
        let mut small = None;
        while let Some(p) = filter.pull()? {
            let (w, h) = (p.width(), p.height());
            let data = (p.plane(0).chunks(p.stride(0)).take(h as usize))
                .flat_map(|r| &r[..w as usize * bytes])
                .copied()
                .collect();
            small = Some(Small {
                width: w,
                height: h,
                data,
            });
        }
        Ok(small)
    }
}
