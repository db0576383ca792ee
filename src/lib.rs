#![forbid(unsafe_code)]
//! cutroom: post-render media assembly for generated video clips.
//!
//! Each stage is a module usable on its own; the `cutroom` binary is a thin front end over them.
//! All FFmpeg access goes through the `cutroom-ffi` crate; this crate is safe Rust.

pub mod avwrite;
pub mod error;
pub mod export;
pub mod media;
pub mod mp4;
pub mod output;
pub mod pcm;
pub mod probe;
pub mod progress;

pub use error::{Error, Result};
