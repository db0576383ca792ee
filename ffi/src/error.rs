//! The error type of the ffi crate.

use std::path::{Path, PathBuf};

/// What went wrong inside FFmpeg, with the file it concerned where there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or is not a media file FFmpeg understands.
    #[error("{path}: cannot open as media: {reason}")]
    Open {
        /// The file.
        path: PathBuf,
        /// FFmpeg's reason.
        reason: String,
    },
    /// Reading a packet failed before the end of the file (truncated or corrupt data).
    #[error("{path}: read error: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// FFmpeg's reason.
        reason: String,
    },
    /// No decoder or encoder is available for a codec.
    #[error("no {what} for codec {codec}")]
    Codec {
        /// `decoder` or `encoder`.
        what: &'static str,
        /// The codec name.
        codec: String,
    },
    /// A stream of a file is in a codec this FFmpeg build has no decoder for.
    #[error("{}: its {kind} stream is {codec}, which this FFmpeg build cannot decode", path.display())]
    Undecodable {
        /// The file.
        path: PathBuf,
        /// `video` or `audio`.
        kind: &'static str,
        /// The codec in words: `` `zz01` `` (FFmpeg's name, or the container's tag), or "a codec
        /// FFmpeg does not know".
        codec: String,
    },
    /// Writing a file failed (a full disk, a file size limit, a read-only file system).
    #[error("{}: cannot write: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error number, when FFmpeg's error is one.
        errno: Option<i32>,
        /// FFmpeg's reason.
        reason: String,
    },
    /// Any other FFmpeg failure, with the operation that failed.
    #[error("{op}: {reason}")]
    Ffmpeg {
        /// What cutroom was doing.
        op: String,
        /// FFmpeg's reason.
        reason: String,
    },
}

impl Error {
    /// A stream of `path` whose codec `params` describe has no decoder here.
    pub(crate) fn undecodable(
        path: &Path,
        kind: &'static str,
        params: &crate::CodecParams,
    ) -> Self {
        let codec = match params.codec_name().as_str() {
            "none" => "a codec FFmpeg does not know".into(),
            c => format!("`{c}`"),
        };
        Self::Undecodable {
            path: path.to_path_buf(),
            kind,
            codec,
        }
    }
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Extension to turn an `ffmpeg_next::Error` into [`Error::Ffmpeg`] naming the operation.
pub(crate) trait Context<T> {
    fn op(self, op: &str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, ffmpeg_next::Error> {
    fn op(self, op: &str) -> Result<T> {
        self.map_err(|e| Error::Ffmpeg {
            op: op.to_string(),
            reason: e.to_string(),
        })
    }
}
