//! Opening media files, with errors a user can act on.

use crate::error::{Error, Result};
use crate::mp4;
use cutroom_ffi::Input;
use std::path::Path;

/// Open `path` for reading; a failure says what is wrong with the file in plain words
/// (missing, empty, an MP4 cut short before its `moov` box, not media at all).
pub fn open(path: &Path) -> Result<Input> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(path, "no such file"),
        _ => Error::io(path, e),
    })?;
    if meta.is_dir() {
        return Err(Error::bad_input(path, "is a directory, not a media file"));
    }
    if meta.len() == 0 {
        return Err(Error::bad_input(path, "empty file"));
    }
    Input::open(path).map_err(|e| match mp4::read_layout(path) {
        Ok(None) if looks_like_mp4(path) => Error::bad_input(
            path,
            "truncated or unfinished MP4: no moov box (the download or render was cut short)",
        ),
        _ => Error::from(e),
    })
}

/// True when the file starts with an ISO-BMFF `ftyp` box.
fn looks_like_mp4(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map(|_| &head[4..8] == b"ftyp")
        .unwrap_or(false)
}
