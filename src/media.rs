//! Opening media files, with errors a user can act on.

use crate::error::{Error, Result};
use crate::mp4;
use cutroom_ffi::{Input, MediaKind};
use std::path::Path;

/// Open `path` for reading; a failure says what is wrong with the file in plain words
/// (missing, empty, not a regular file, an MP4 cut short before or after its `moov` box, a still
/// image, not media at all).
pub fn open(path: &Path) -> Result<Input> {
    let (input, still) = open_media(path)?;
    if let Some(kind) = still {
        return Err(Error::bad_input(
            path,
            format!(
                "is a still image ({kind}), not a video clip, whatever its name says; \
                 still images are not supported as clips"
            ),
        ));
    }
    Ok(input)
}

/// FFmpeg's best audio stream of `input` (the default one, which players play) and the indices
/// of its other audio streams; `None` without audio.
pub fn audio_tracks(input: &Input) -> Option<(usize, Vec<usize>)> {
    let used = input.best_stream(MediaKind::Audio)?;
    let others = input
        .streams()
        .iter()
        .filter(|s| s.kind == MediaKind::Audio && s.index != used)
        .map(|s| s.index)
        .collect();
    Some((used, others))
}

/// `#1, #3`: stream indices as the warnings name them.
pub fn stream_list(indices: &[usize]) -> String {
    let named: Vec<String> = indices.iter().map(|i| format!("#{i}")).collect();
    named.join(", ")
}

/// The warning for a file with more than one audio track: only FFmpeg's best one (the default)
/// is read, and the others are not in the output. `None` with at most one.
pub fn unused_audio(input: &Input) -> Option<String> {
    let (used, others) = audio_tracks(input)?;
    (!others.is_empty()).then(|| {
        format!(
            "{}: has {} audio tracks; only stream #{used} is used, stream{} {} left out \
             (mix them into one track first to keep them)",
            input.path().display(),
            others.len() + 1,
            if others.len() > 1 { "s" } else { "" },
            stream_list(&others)
        )
    })
}

/// The warning for the tracks of a file that an output made from it does not carry: subtitle,
/// timecode and other data tracks, and video tracks besides FFmpeg's best one (outputs hold one
/// picture and one sound track). `None` when there are none.
pub fn tracks_not_carried(input: &Input) -> Option<String> {
    let video = input.best_stream(MediaKind::Video);
    let dropped: Vec<String> = input
        .streams()
        .iter()
        .filter(|s| s.kind != MediaKind::Audio && Some(s.index) != video)
        .map(|s| {
            let codec = s.params.codec_name();
            let what = match s.kind {
                MediaKind::Data if codec == "tmcd" => "timecode",
                kind => kind.as_str(),
            };
            format!("{what} track #{} ({codec})", s.index)
        })
        .collect();
    let (last, rest) = dropped.split_last()?;
    let list = match rest {
        [] => last.clone(),
        _ => format!("{} and {last}", rest.join(", ")),
    };
    Some(format!(
        "{}: its {list} {} not carried into the output (only the picture and the sound are)",
        input.path().display(),
        if rest.is_empty() { "is" } else { "are" },
    ))
}

/// Open `path` like [`open`], accepting a still image: then also say what kind of image it is.
pub fn open_media(path: &Path) -> Result<(Input, Option<String>)> {
    check_file(path, "a media file")?;
    let input = Input::open(path).map_err(|e| match mp4::read_layout(path) {
        Ok(None) if mp4::moov_cut_short(path).unwrap_or(false) => moov_cut_short(path),
        Ok(None) if looks_like_mp4(path) => Error::bad_input(
            path,
            "truncated or unfinished MP4: no moov box (the download or render was cut short)",
        ),
        _ => matroska_cut_short(path).unwrap_or_else(|| Error::from(e)),
    })?;
    let still = still_image(&input.format_name());
    check_complete(path)?;
    Ok((input, still))
}

/// Check that `path` is a non-empty regular file (`what` says what it should be): a named
/// pipe, a device or `/dev/stdin` is refused for what it is, since media files are read more
/// than once and seeked in.
pub fn check_file(path: &Path, what: &str) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(path, "no such file"),
        _ => Error::io(path, e),
    })?;
    let t = meta.file_type();
    let other = if t.is_dir() {
        Some("a directory")
    } else {
        crate::output::special_kind(t)
    };
    if let Some(other) = other {
        let hint = if t.is_dir() {
            ""
        } else {
            "; cutroom reads inputs more than once, so save the stream to a file first"
        };
        return Err(Error::bad_input(
            path,
            format!("is {other}, not {what}{hint}"),
        ));
    }
    if meta.len() == 0 {
        return Err(Error::bad_input(path, "empty file"));
    }
    Ok(())
}

/// The error for a video packet without a timestamp (Matroska writes none for packets at
/// negative times): its time is unknown, so it cannot be placed or copied.
pub fn untimed_packet(path: &Path) -> Error {
    Error::bad_input(
        path,
        "has video packets without timestamps (as Matroska files written with negative \
         timestamps do), so the picture cannot be timed; remux it with \
         `ffmpeg -i IN -c copy -avoid_negative_ts make_zero OUT` first",
    )
}

/// The picture format when FFmpeg's demuxer `format` reads single still images.
fn still_image(format: &str) -> Option<String> {
    match format {
        "image2" => Some("an image file".into()),
        f => f.strip_suffix("_pipe").map(str::to_string),
    }
}

/// Refuse an MP4/MOV whose `moov` or sample tables run past the end of the file, and a
/// Matroska or WebM file whose segment does. A faststart file cut short still opens (its `moov`
/// is whole) and just ends early; the tables say how much is missing, without reading the
/// samples; a Matroska file opens and ends early too, and its segment's stated size says so.
/// Other containers pass.
pub fn check_complete(path: &Path) -> Result<()> {
    if let Some(e) = matroska_cut_short(path) {
        return Err(e);
    }
    if mp4::moov_cut_short(path).unwrap_or(false) {
        // FFmpeg opens one cut before its first track: a movie with no streams.
        return Err(moov_cut_short(path));
    }
    let Ok(Some(layout)) = mp4::read_layout(path) else {
        return Ok(());
    };
    let Some((track, count)) = layout.cut_short() else {
        return Ok(());
    };
    let what = match track.handler.as_str() {
        "vide" => "video frames",
        "soun" => "audio frames",
        _ => "samples",
    };
    Err(Error::bad_input(
        path,
        format!(
            "cut short: {} of {} {what} present (the file ends early: an interrupted download \
             or copy?)",
            count.present, count.total
        ),
    ))
}

/// The error for a Matroska or WebM file whose segment runs past the end of the file.
fn matroska_cut_short(path: &Path) -> Option<Error> {
    let cut = crate::mkv::cut_short(path).ok()??;
    Some(Error::bad_input(
        path,
        format!(
            "cut short: {} of the {} bytes its Matroska segment declares are present (the file \
             ends early: an interrupted download or copy?)",
            cut.present, cut.declared
        ),
    ))
}

/// The error for an MP4 whose `moov` box runs past the end of the file.
fn moov_cut_short(path: &Path) -> Error {
    Error::bad_input(
        path,
        "truncated or unfinished MP4: its moov box is cut short (the download or render was cut \
         short)",
    )
}

/// True when the file starts with an ISO-BMFF `ftyp` box.
fn looks_like_mp4(path: &Path) -> bool {
    let mut head = [0u8; 8];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .map(|_| &head[4..8] == b"ftyp")
        .unwrap_or(false)
}
