//! `cutroom-ffi`: the only crate of cutroom that touches FFmpeg.
//!
//! It wraps `ffmpeg-next` (system FFmpeg through pkg-config) in a small, media-shaped API:
//! [`Input`] (demux, stream info, packets with real read errors), [`VideoDecoder`] and
//! [`AudioDecoder`] (decode, scale, resample; both run the one [`Decoder`] loop), [`Scaler`] (convert pictures), [`VideoEncoder`] and [`AudioEncoder`] (x264, AAC),
//! [`VideoFilter`] (a filter graph), and [`Muxer`] (MP4 with faststart and edit-list control), and [`Resampler`] (rate and channel
//! conversion of PCM).
//! Every `unsafe` block of the project lives in this crate, each with a `// SAFETY:` comment.

#![warn(unreachable_pub, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod audio;
mod codec;
mod error;
mod filter;
mod image;
mod input;
mod layout;
mod memory;
mod mux;
mod params;
mod resample;
mod time;
mod video;

pub use audio::{AudioDecoder, AudioEncoder, AudioSamples, MAX_GAP_S};
pub use codec::{damage_refusal, Decoder};
pub use error::{Error, Result};
pub use filter::{AudioFilter, VideoFilter};
pub use image::{encode_image, ImageFormat};
pub use input::{DisplayMatrix, Input, MediaKind, Packet, StreamInfo};
pub use layout::Layout;
pub use memory::release_free_memory;
pub use mux::{MuxOptions, Muxer};
pub use params::{CodecParams, Colour};
pub use resample::{resample, Resampler};
pub use time::{rescale, Rational};
pub use video::{
    DecoderOptions, Pixel, PlanarYuv, Scaler, VideoDecoder, VideoEncoder, VideoEncoderConfig,
    VideoFrame,
};

use std::sync::Once;

/// Initialise FFmpeg once per process and silence its own logging (errors come back as values).
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        ffmpeg_next::init().expect("FFmpeg failed to initialise");
        ffmpeg_next::log::set_level(ffmpeg_next::log::Level::Fatal);
    });
}

/// The FFmpeg library versions this build is linked against, e.g. `libavformat 59.27.100`.
pub fn library_versions() -> String {
    let v = |n: u32| format!("{}.{}.{}", n >> 16, (n >> 8) & 0xff, n & 0xff);
    format!(
        "libavformat {}, libavcodec {}",
        v(ffmpeg_next::format::version()),
        v(ffmpeg_next::codec::version())
    )
}
