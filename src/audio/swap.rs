//! `swap`: replace a clip's soundtrack with another audio file, the picture copied untouched.

use super::fit::{place, Fitted, Placement};
use super::format::SoundFormat;
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

/// What a `swap` run made.
#[derive(Debug, Clone, PartialEq)]
pub struct SwapReport {
    /// The soundtrack written.
    pub soundtrack: SoundtrackReport,
    /// What fitting did to the new audio (padded, or cut at the picture's end).
    pub fitted: Fitted,
    /// What converting the new audio to 48 kHz stereo did to it, the words of its note
    /// (`bed.wav: its sound, 5.1(side) (6 ch) at 96000 Hz, is folded down to stereo ...`).
    pub audio_changed: Option<String>,
}

/// Write `out`: the picture of `video` copied bit for bit, with `audio` as its only soundtrack
/// (48 kHz stereo AAC). Returns what the soundtrack is, what fitting did to the new audio and
/// what converting did to its sound (each said to `progress` as a note).
pub fn swap(
    video: &Path,
    audio: &Path,
    out: &Path,
    opts: &SwapOptions,
    progress: &dyn Progress,
) -> Result<SwapReport> {
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
    let (track, format) = load::load_with_format(audio, RATE, CHANNELS, Some(used), bar)?;
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
    let audio_changed = changed(audio, &format);
    if let Some(n) = &audio_changed {
        bar.note(n);
    }
    Ok(SwapReport {
        soundtrack: finished.report,
        fitted,
        audio_changed,
    })
}

/// The note for a soundtrack file `path` whose sound, `format` as decoded, is converted to the
/// output's 48 kHz stereo: `bed.wav: its sound, ... is resampled to 48000 Hz`; `None` when it
/// already is.
pub fn changed(path: &Path, format: &SoundFormat) -> Option<String> {
    let words = format.changes(RATE, CHANNELS)?;
    Some(format!("{}: {words}", path.display()))
}
