#![forbid(unsafe_code)]
//! cutroom: post-render media assembly for generated video clips.
//!
//! Each stage is a module usable on its own; the `cutroom` binary is a thin front end over them.
//! The library never prints: long work reports to a [`progress::Progress`] sink, and the
//! command line (`src/cli/`, part of the binaries) draws it.
//! All FFmpeg access goes through the `cutroom-ffi` crate; this crate is safe Rust.

pub mod assemble;
pub mod audio;
pub mod avwrite;
pub mod batch;
pub mod cadence;
pub mod captions;
pub mod cleanup;
pub mod concat;
pub mod emulate;
pub mod error;
pub mod export;
pub mod fetch;
pub mod http;
pub mod lock;
pub mod media;
pub mod mkv;
pub mod mp4;
pub mod otio;
pub mod output;
pub mod pcm;
pub mod picture;
pub mod probe;
pub mod progress;
pub mod provenance;
pub mod sheet;
pub mod specfile;
pub mod sync;
pub mod synth;
pub mod time;
pub mod timeline;
pub mod video_index;

pub use error::{Error, Result};
