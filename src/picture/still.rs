//! Inputs that must be one still picture (a logo, an image card): an animated GIF or APNG, or a
//! clip, given as one is named, never played once over the first frames or refused for
//! something else.

use cutroom_ffi::{Input, MediaKind};
use std::path::Path;

/// The demuxer's name when `path` holds more than one picture (FFmpeg reads one packet a
/// picture: an animated GIF or APNG, a clip), `None` for one still picture. A file FFmpeg
/// cannot open is left to the caller's other checks (`None`).
pub fn moving(path: &Path) -> Option<String> {
    let mut input = Input::open(path).ok()?;
    let v = input.best_stream(MediaKind::Video)?;
    let mut pictures = 0;
    while let Ok(Some(p)) = input.read_packet() {
        pictures += usize::from(p.stream() == v);
        if pictures > 1 {
            return Some(input.format_name());
        }
    }
    None
}

/// Whether FFmpeg's demuxer `format` (as [`moving`] names it) reads animated pictures (a GIF,
/// an APNG) rather than a video.
pub fn animation(format: &str) -> bool {
    matches!(format, "gif" | "apng" | "webp_pipe")
}
