//! Whether an Ogg or MP3 file ends where its own structure says it ends: neither states its
//! length up front (an MP3 without a LAME/Xing tag, any Ogg), yet a file cut short (an
//! interrupted download or copy) shows at its end: an Ogg page or MP3 frame stopped midway, or
//! an Ogg stream without its end-of-stream page. An MP3 cut exactly between two frames cannot
//! be told from a whole one.

/// Why the Ogg or MP3 file `bytes` ends early; `None` when it ends whole, or is neither (or an
/// MP3 whose frames cannot be walked: free format, junk between frames).
pub fn cut_short(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"OggS") {
        return ogg(bytes);
    }
    mp3(bytes)
}

/// Walk the Ogg pages: the last must be whole and mark the end of its stream.
fn ogg(bytes: &[u8]) -> Option<String> {
    let mut at = 0;
    let mut last_flags = 0;
    while at < bytes.len() {
        let page = &bytes[at..];
        if !page.starts_with(b"OggS") {
            // Not a page where one should start: damage, not something to judge here.
            return None;
        }
        let whole = page.get(26).and_then(|&n| {
            let lacing = page.get(27..27 + usize::from(n))?;
            Some(27 + usize::from(n) + lacing.iter().map(|&l| usize::from(l)).sum::<usize>())
        });
        match whole {
            Some(len) if len <= page.len() => {
                last_flags = page[5];
                at += len;
            }
            _ => return Some("its last Ogg page stops midway".into()),
        }
    }
    (last_flags & 0x04 == 0).then(|| "its Ogg stream has no end-of-stream page".into())
}

/// Walk the MPEG audio frames (after an ID3v2 tag): the last must be whole.
fn mp3(bytes: &[u8]) -> Option<String> {
    let mut at = 0;
    if bytes.starts_with(b"ID3") && bytes.len() >= 10 {
        let size = bytes[6..10]
            .iter()
            .fold(0usize, |n, &b| (n << 7) | usize::from(b & 0x7f));
        let footer = if bytes[5] & 0x10 != 0 { 10 } else { 0 };
        at = 10 + size + footer;
    }
    let mut frames = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        let Some(len) = rest.get(..4).and_then(frame_len) else {
            // A trailing tag (ID3v1 `TAG`, APE, Lyrics3) or junk: the frames ended.
            return None;
        };
        if len > rest.len() {
            return (frames > 0).then(|| {
                format!(
                    "its last MPEG audio frame stops after {} of its {len} bytes",
                    rest.len()
                )
            });
        }
        frames += 1;
        at += len;
    }
    None
}

/// The length in bytes of the MPEG audio frame whose header is `h`; `None` when `h` is no
/// frame header or the frame is free format.
fn frame_len(h: &[u8]) -> Option<usize> {
    if h[0] != 0xff || h[1] & 0xe0 != 0xe0 {
        return None;
    }
    let version = (h[1] >> 3) & 3; // 0: MPEG 2.5, 2: MPEG 2, 3: MPEG 1
    let layer = (h[1] >> 1) & 3; // 1: III, 2: II, 3: I
    let (bitrate, rate) = (usize::from(h[2] >> 4), usize::from((h[2] >> 2) & 3));
    if version == 1 || layer == 0 || bitrate == 0 || bitrate == 15 || rate == 3 {
        return None;
    }
    const KBPS: [[u16; 14]; 5] = [
        [
            32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448,
        ], // MPEG 1, I
        [
            32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
        ], // MPEG 1, II
        [
            32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
        ], // MPEG 1, III
        [
            32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256,
        ], // MPEG 2, I
        [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160], // MPEG 2, II & III
    ];
    let mpeg1 = version == 3;
    let row = match (mpeg1, layer) {
        (true, 3) => 0,
        (true, 2) => 1,
        (true, _) => 2,
        (false, 3) => 3,
        (false, _) => 4,
    };
    let bps = usize::from(KBPS[row][bitrate - 1]) * 1000;
    let hz = [44_100, 48_000, 32_000][rate]
        >> match version {
            3 => 0,
            2 => 1,
            _ => 2,
        };
    let pad = usize::from((h[2] >> 1) & 1);
    Some(match layer {
        3 => (12 * bps / hz + pad) * 4,
        1 if !mpeg1 => 72 * bps / hz + pad,
        _ => 144 * bps / hz + pad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lengths_follow_the_header() {
        // MPEG 1 layer III, 128 kb/s, 44.1 kHz, no padding: 417 bytes; padded 418.
        assert_eq!(frame_len(&[0xff, 0xfb, 0x90, 0x00]), Some(417));
        assert_eq!(frame_len(&[0xff, 0xfb, 0x92, 0x00]), Some(418));
        // MPEG 2 layer III, 64 kb/s, 24 kHz: 72 * 64000 / 24000 = 192.
        assert_eq!(frame_len(&[0xff, 0xf3, 0x84, 0x00]), Some(192));
        // Free format and a reserved rate are not walked.
        assert_eq!(frame_len(&[0xff, 0xfb, 0x00, 0x00]), None);
        assert_eq!(frame_len(&[0xff, 0xfb, 0x9c, 0x00]), None);
    }
}
