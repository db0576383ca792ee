//! Still images: one picture encoded as a JPEG (FFmpeg's `mjpeg`) or WebP (`libwebp`) file.

use crate::codec::receive_packet;
use crate::error::{Context, Error, Result};
use crate::time::Rational;
use crate::video::VideoFrame;
use ff::software::scaling;
use ffmpeg_next as ff;

/// The file format of an encoded still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (full-range 4:2:0, as `ffmpeg -i IN out.jpg` writes it).
    Jpeg,
    /// WebP (lossy, libwebp's default quality).
    Webp,
}

/// Encode `frame` (limited-range YUV or any format swscale reads) as one image file.
pub fn encode_image(frame: &VideoFrame, format: ImageFormat) -> Result<Vec<u8>> {
    crate::init();
    let (name, pixel) = match format {
        ImageFormat::Jpeg => ("mjpeg", ff::format::Pixel::YUVJ420P),
        ImageFormat::Webp => ("libwebp", ff::format::Pixel::YUV420P),
    };
    let codec = ff::encoder::find_by_name(name).ok_or(Error::Codec {
        what: "encoder",
        codec: name.into(),
    })?;
    let src = &frame.inner;
    let (w, h) = (src.width(), src.height());
    // swscale converts the range too: JPEG's YUVJ is full range.
    let mut pic = ff::frame::Video::empty();
    scaling::Context::get(src.format(), w, h, pixel, w, h, scaling::Flags::BICUBIC)
        .op("create scaler")?
        .run(src, &mut pic)
        .op("convert picture")?;
    pic.set_pts(Some(0));
    let mut enc = ff::codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()
        .op("create image encoder")?;
    enc.set_width(w);
    enc.set_height(h);
    enc.set_format(pixel);
    enc.set_time_base(ff::Rational::new(1, 1));
    let mut enc = enc.open_as(codec).op(&format!("open {name}"))?;
    enc.send_frame(&pic).op("encode image")?;
    enc.send_eof().op("flush image encoder")?;
    let mut out = Vec::new();
    while let Some(pkt) = receive_packet(&mut enc, Rational::new(1, 1), "encode image")? {
        out.extend_from_slice(pkt.data());
    }
    Ok(out)
}
