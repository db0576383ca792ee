//! Anamorphic sources: pixels that are not square on screen (a sample aspect ratio other than
//! 1:1, as in 1440x1080 HDV shown at 1920x1080, or 720x576 PAL) are scaled once, on the
//! decoding thread, to square pixels of the same display shape. Every branch then works in
//! display pixels: crop windows, fit, blur, motion tracking and thumbnails keep circles round.

use super::{colour, even_round};
use crate::error::{Error, Result};
use cutroom_ffi::{Pixel, Rational, StreamInfo, VideoFilter, VideoFrame};
use std::path::Path;

/// The width on screen of a picture `w` pixels wide whose pixels have shape `sar`: `w` for
/// square (or unknown) pixels, else `w x sar` rounded to even.
pub fn display_width(w: u32, sar: Rational) -> u32 {
    if sar.is_unknown() || sar.num == sar.den || w == 0 {
        return w;
    }
    even_round(f64::from(w) * sar.as_f64())
}

/// The filter (`scale=W:H,setsar=1`) that shows a `w`x`h` picture of pixel shape `sar` with
/// square pixels: the height is kept, the width becomes the [`display_width`]. `None` when the
/// pixels are square already (or their shape is unknown).
pub fn graph(w: u32, h: u32, sar: Rational) -> Option<String> {
    let dw = display_width(w, sar);
    (dw != w && h > 0).then(|| format!("scale={dw}:{h},setsar=1"))
}

/// Converts a stream's decoded frames to square pixels and BT.709 SDR (see [`super::colour`];
/// a no-op for square-pixel BT.709 streams).
pub struct SquarePixels(Option<Conversion>);

/// The conversion of an anamorphic stream: its graph, and the filter once a frame showed its
/// pixel format.
struct Conversion {
    graph: String,
    time_base: Rational,
    filter: Option<VideoFilter>,
}

impl SquarePixels {
    /// The conversion for the video stream `info` of `path` (an HDR stream whose colour cannot
    /// be tone-mapped is refused, naming `path`).
    pub fn new(info: &StreamInfo, path: &Path) -> Result<Self> {
        let (w, h) = (info.params.width(), info.params.height());
        let parts: Vec<String> = [
            colour::graph(&info.params.colour(), path)?,
            graph(w, h, info.sample_aspect),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(Self((!parts.is_empty()).then(|| Conversion {
            graph: parts.join(","),
            time_base: info.time_base,
            filter: None,
        })))
    }

    /// No conversion: for frames that have square pixels and BT.709 already.
    pub fn none() -> Self {
        Self(None)
    }

    /// The filter applied, when the pixels are not square or not BT.709 (for the report's
    /// graph).
    pub fn graph(&self) -> Option<&str> {
        self.0.as_ref().map(|c| c.graph.as_str())
    }

    /// `frame` with square pixels in BT.709: itself, or converted (yuv420p, what every
    /// deliverable carries). `input` names the file in errors.
    pub fn convert(&mut self, frame: VideoFrame, input: &Path) -> Result<VideoFrame> {
        let Some(c) = &mut self.0 else {
            return Ok(frame);
        };
        let filter = match &mut c.filter {
            Some(f) => f,
            None => c.filter.insert(VideoFilter::new(
                &c.graph,
                frame.width(),
                frame.height(),
                &frame.pixel_name(),
                c.time_base,
                Pixel::Yuv420p,
            )?),
        };
        filter.push(&frame)?;
        filter.pull()?.ok_or_else(|| {
            Error::bad_input(
                input,
                format!("`{}` gave no frame for a decoded one", c.graph),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_width_from_the_pixel_shape() {
        let sar = Rational::new;
        assert_eq!(graph(1920, 1080, sar(1, 1)), None);
        assert_eq!(graph(1920, 1080, sar(0, 1)), None);
        // HDV: 1440x1080 at 4:3 is 1920x1080 on screen.
        assert_eq!(
            graph(1440, 1080, sar(4, 3)).as_deref(),
            Some("scale=1920:1080,setsar=1")
        );
        // PAL 16:9: 720x576 at 64:45 is 1024x576; NTSC 4:3: 720x480 at 8:9 is 640x480.
        assert_eq!(
            graph(720, 576, sar(64, 45)).as_deref(),
            Some("scale=1024:576,setsar=1")
        );
        assert_eq!(
            graph(720, 480, sar(8, 9)).as_deref(),
            Some("scale=640:480,setsar=1")
        );
    }
}
