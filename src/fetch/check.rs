//! What a downloaded file must be: an MP4 with a whole video track, or a readable image,
//! checked from its boxes and headers in pure Rust.

use crate::error::{Error, Result};
use std::io::Seek;
use std::path::Path;

/// The file must be a whole video, checked from its boxes and tables in pure Rust (no FFmpeg,
/// milliseconds even for large files): an MP4 whose `moov` parses, with a video track, whose
/// top-level boxes are all complete and whose every track's samples lie inside the file (a
/// cut-short file fails here).
pub(super) fn whole_video(path: &Path) -> Result<()> {
    let layout = crate::mp4::read_layout(path).map_err(|e| Error::io(path, e))?;
    let Some(layout) = layout else {
        return Err(Error::bad_input(path, not_mp4(path)?));
    };
    if layout.track("vide").is_none() {
        return Err(Error::bad_input(
            path,
            "no picture in it: an MP4 without a video track",
        ));
    }
    let last = layout.boxes.last().expect("a layout has its moov box");
    if let Some(size) = declared_box_size(path, last.offset).map_err(|e| Error::io(path, e))? {
        if size != last.size {
            return Err(Error::bad_input(
                path,
                format!("truncated MP4: its last box ({}) is cut short", last.kind),
            ));
        }
    }
    let len = last.offset + last.size;
    for t in &layout.tracks {
        match t.data_end {
            None => {
                return Err(Error::bad_input(
                    path,
                    format!("the {} track's sample tables are unreadable", t.handler),
                ))
            }
            Some(end) if end > len => {
                return Err(Error::bad_input(
                    path,
                    format!(
                        "truncated MP4: the {} track's samples run to byte {end}, past its end \
                         ({len} bytes)",
                        t.handler
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Why a file without an MP4 layout is not one, from its first bytes.
fn not_mp4(path: &Path) -> Result<String> {
    use std::io::Read;
    // Enough for the words of a page or JSON error served in the file's place.
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| Error::io(path, e))?;
    if let Some(text) = answer_words(&head) {
        return Ok(format!(
            "{text}, not an MP4: the link answered with a page or an error instead of the file \
             (it may have expired, or want a sign-in)"
        ));
    }
    let audio = match head.as_slice() {
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => Some("WAV"),
        [b'f', b'L', b'a', b'C', ..] => Some("FLAC"),
        [b'O', b'g', b'g', b'S', ..] => Some("Ogg"),
        [b'I', b'D', b'3', ..] => Some("MP3"),
        [0xff, b, ..] if b & 0xe0 == 0xe0 => Some("MPEG audio (MP3 or AAC)"),
        _ => None,
    };
    Ok(match audio {
        Some(kind) => format!("no picture in it: a {kind} audio file, not an MP4"),
        None if head.get(4..8) == Some(b"ftyp") => {
            "truncated or unfinished MP4: no moov box (the download or render was cut short)".into()
        }
        None if head.is_empty() => "empty file, not an MP4".into(),
        None if head.starts_with(&[0x1a, 0x45, 0xdf, 0xa3]) => {
            "a WebM or Matroska video, not an MP4: cutroom takes renders as MP4 (ask the \
             provider for MP4 output)"
                .into()
        }
        None if head.starts_with(b"#EXTM3U") => {
            "an HLS playlist (.m3u8), not an MP4: the job names a stream, not a file (ask the \
             provider for an MP4 download)"
                .into()
        }
        None if head.starts_with(&[0x1f, 0x8b]) => {
            "gzip-compressed data, not an MP4: the server compressed the file unasked \
             (Content-Encoding: gzip), which cutroom does not undo"
                .into()
        }
        None => match imagesize::image_type(&head) {
            Ok(image) => format!("a {image:?} image, not an MP4"),
            Err(_) => "not an MP4 (no ISO-BMFF boxes)".into(),
        },
    })
}

/// What a web page, XML or JSON document whose first bytes are `head` says, as
/// `a web page ("words")` or `a JSON answer ("message")`; `None` for other bytes.
fn answer_words(head: &[u8]) -> Option<String> {
    if let Some(words) = crate::http::page_words("", head) {
        return Some(format!("a web page or XML document (\"{words}\")"));
    }
    let start = head.iter().find(|b| !b.is_ascii_whitespace())?;
    if *start != b'{' {
        return None;
    }
    let said = serde_json::from_slice::<serde_json::Value>(head)
        .ok()
        .map(|v| {
            let e = v.get("error").filter(|e| !e.is_null()).unwrap_or(&v);
            super::model::VideoError::from_value(e).to_string()
        })
        .map_or(String::new(), |m| format!(" (\"{m}\")"));
    Some(format!("a JSON answer{said}"))
}

/// Width and height of the image at `path`, read from its header (PNG, JPEG, WebP, GIF, BMP,
/// TIFF, HEIF/AVIF).
pub(crate) fn image_size(path: &Path) -> Result<(u32, u32)> {
    match imagesize::size(path) {
        Ok(s) => Ok((s.width as u32, s.height as u32)),
        Err(imagesize::ImageError::IoError(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Error::bad_input(path, "no such file"))
        }
        Err(imagesize::ImageError::IoError(e)) if e.kind() != std::io::ErrorKind::UnexpectedEof => {
            Err(Error::io(path, e))
        }
        Err(_) => Err(Error::bad_input(
            path,
            "not an image (PNG, JPEG, WebP, GIF, BMP, TIFF, HEIF/AVIF) whose size can be read",
        )),
    }
}

/// The size the box header at `offset` declares (`None` for "to the end of the file").
fn declared_box_size(path: &Path, offset: u64) -> std::io::Result<Option<u64>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    f.seek(std::io::SeekFrom::Start(offset))?;
    let mut h = [0u8; 16];
    f.read_exact(&mut h[..8])?;
    let size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
    Ok(match size {
        0 => None,
        1 => {
            f.read_exact(&mut h[8..])?;
            Some(u64::from_be_bytes(h[8..].try_into().expect("8 bytes")))
        }
        s => Some(s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_check_catches_cut_files() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let good = fixtures.join("marker_portrait_30.mp4");
        whole_video(&good).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cut = dir.path().join("cut.mp4");
        let bytes = std::fs::read(&good).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
        let e = whole_video(&cut).unwrap_err().to_string();
        assert!(e.contains("truncated MP4"), "{e}");
        assert!(whole_video(&fixtures.join("truncated.mp4")).is_err());
        assert!(whole_video(&fixtures.join("not_media.mp4")).is_err());
        let e = whole_video(&fixtures.join("music.wav")).unwrap_err();
        assert!(e.to_string().contains("no picture"), "{e}");
        // What a job may name instead of an MP4 is named.
        let other = dir.path().join("other");
        for (head, said) in [
            (
                &[0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42][..],
                "a WebM or Matroska video",
            ),
            (b"#EXTM3U\n#EXT-X-VERSION:3\n", "an HLS playlist (.m3u8)"),
            (&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0], "gzip-compressed data"),
            // A link answered 200 with a sign-in page, a storage's XML error or a JSON one:
            // their words, where all three read "not an MP4 (no ISO-BMFF boxes)".
            (
                b"<!DOCTYPE html><html><head><title>Sign in</title></head>\n<body><h1>Please \
                  sign in to continue</h1></body></html>",
                "a web page or XML document (\"Sign in Please sign in to continue\"), not an \
                 MP4: the link answered with a page or an error instead of the file",
            ),
            (
                b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has \
                  expired</Message></Error>",
                "a web page or XML document (\"AccessDenied Request has expired\")",
            ),
            (
                br#"{"error": {"code": "AccessDenied", "message": "signature expired"}}"#,
                "a JSON answer (\"AccessDenied: signature expired\"), not an MP4",
            ),
        ] {
            std::fs::write(&other, head).unwrap();
            let e = whole_video(&other).unwrap_err().to_string();
            assert!(e.contains(said), "{e}");
        }
    }

    #[test]
    fn media_check_reads_sample_tables_and_image_headers() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let bytes = std::fs::read(fixtures.join("marker_portrait_30.mp4")).unwrap();
        let layout = crate::mp4::read_layout(&fixtures.join("marker_portrait_30.mp4"))
            .unwrap()
            .unwrap();
        let mdat = layout.boxes.iter().find(|b| b.kind == "mdat").unwrap();
        assert_eq!(
            mdat.offset + mdat.size,
            bytes.len() as u64,
            "mdat comes last"
        );
        // Cut the sample data short but make the mdat header agree: every box is complete,
        // only the sample tables show the file is cut.
        let mut cut = bytes[..bytes.len() - 1000].to_vec();
        let size = u32::try_from(mdat.size - 1000).unwrap().to_be_bytes();
        cut[mdat.offset as usize..mdat.offset as usize + 4].copy_from_slice(&size);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.mp4");
        std::fs::write(&path, &cut).unwrap();
        let e = whole_video(&path).unwrap_err().to_string();
        assert!(e.contains("samples run to byte"), "{e}");

        let png = dir.path().join("still.png");
        let mut enc = png::Encoder::new(std::fs::File::create(&png).unwrap(), 32, 18);
        enc.set_color(png::ColorType::Grayscale);
        let mut w = enc.write_header().unwrap();
        w.write_image_data(&[128; 32 * 18]).unwrap();
        w.finish().unwrap();
        image_size(&png).unwrap();
        assert_eq!(image_size(&png).unwrap(), (32, 18));
        let e = whole_video(&png).unwrap_err().to_string();
        assert!(e.contains("Png image, not an MP4"), "{e}");
        let e = image_size(&fixtures.join("music.wav")).unwrap_err();
        assert!(e.to_string().contains("not an image"), "{e}");
        let e = image_size(&dir.path().join("missing.png")).unwrap_err();
        assert!(e.to_string().contains("no such file"), "{e}");
    }
}
