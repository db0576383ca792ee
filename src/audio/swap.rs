//! `swap`: replace a clip's soundtrack with another audio file, the picture copied untouched.

use super::fit::{place, Fitted, Placement};
use super::load;
use super::picture::Picture;
use super::soundtrack::{finish, Level, SoundtrackReport, CHANNELS, RATE};
use crate::error::Result;
use crate::output::ensure_not_input;
use crate::progress::Progress;
use crate::provenance::Signing;
use std::path::Path;

/// How the new soundtrack is laid on the picture and finished.
#[derive(Debug, Clone)]
pub struct SwapOptions {
    /// Offset, fit and fade-in of the new audio.
    pub placement: Placement,
    /// Fade-out at the end of the output, in frames at [`RATE`].
    pub fade_out: usize,
    /// Loudness handling of the result.
    pub level: Level,
    /// Whether and how the output is signed.
    pub sign: Signing,
}

/// Write `out`: the picture of `video` copied bit for bit, with `audio` as its only soundtrack
/// (48 kHz stereo AAC). Returns what the soundtrack is, and what fitting did to the new audio
/// (said to `progress` as a note).
pub fn swap(
    video: &Path,
    audio: &Path,
    out: &Path,
    opts: &SwapOptions,
    progress: &dyn Progress,
) -> Result<(SoundtrackReport, Fitted)> {
    ensure_not_input(out, &[video, audio])?;
    let picture = Picture::scan(video)?;
    let bar = progress;
    bar.start("swap", picture.packets() as u64);
    if let Some(w) = &picture.not_carried {
        bar.warn(w);
    }
    bar.status("decoding audio");
    let len = picture.frames_at(RATE);
    // A frame past what is used, to tell a sound that runs on past the picture.
    let used = opts.placement.used(len).saturating_add(1);
    let track = load::load_as(audio, RATE, CHANNELS, Some(used), bar)?;
    let fitted = opts.placement.fitted(track.frames(), len);
    if let Some(w) = opts.placement.fade_in_warning(track.frames(), len, RATE) {
        bar.warn(&w);
    }
    let placed = place(track, len, &opts.placement);
    bar.status("loudness");
    let finished = finish(
        &picture,
        audio,
        placed,
        opts.placement.fit,
        opts.fade_out,
        opts.level,
    )?;
    bar.status("writing");
    picture
        .write(out, finished.encoded, finished.keep, bar)?
        .sealed(opts.sign.seal(out, []))
        .commit()?;
    bar.finish(None);
    // Said of the output written (a run that fails says only why).
    if let Some(w) = fitted.words("the new audio", len, RATE) {
        bar.note(&format!("{}: {w}", audio.display()));
    }
    Ok((finished.report, fitted))
}
