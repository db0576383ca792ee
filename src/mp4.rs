//! A small reader of MP4/MOV box structure: box order (faststart), per-track edit lists and
//! where each track's sample data ends.
//!
//! FFmpeg applies edit lists when demuxing, but symphonia ignores them and players differ, so
//! cutroom reads `elst` itself to know a track's encoder-delay trim. The sample tables (`stco`,
//! `stsc`, `stsz`) let a download be checked as complete without FFmpeg.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// One top-level box: its four-character type, file offset and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopBox {
    /// Four-character type (`ftyp`, `moov`, `mdat`, ...).
    pub kind: String,
    /// Offset of the box header in the file.
    pub offset: u64,
    /// Size of the whole box.
    pub size: u64,
}

/// One edit-list entry of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    /// Duration of the segment in movie-timescale units.
    pub segment_duration: u64,
    /// Start of the segment in media-timescale units; -1 for an empty edit (a gap).
    pub media_time: i64,
}

/// What cutroom needs to know about one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track {
    /// `tkhd` track id.
    pub id: u32,
    /// `tkhd` presentation size turned by its matrix: the size players show a picture at
    /// (non-square pixels and a display rotation applied); `None` without one (sound).
    pub shown: Option<(u32, u32)>,
    /// `hdlr` handler type (`vide`, `soun`, ...).
    pub handler: String,
    /// `mdhd` media timescale (ticks per second).
    pub timescale: u32,
    /// `mdhd` duration in media-timescale ticks.
    pub duration: u64,
    /// `elst` entries (empty when the track has no edit list).
    pub edits: Vec<Edit>,
    /// One past the last byte of sample data the sample tables point at (the largest chunk
    /// offset plus its samples' sizes; 0 without samples, as in a fragmented MP4); `None` when
    /// the tables are missing or contradict each other.
    pub data_end: Option<u64>,
    /// Samples whose bytes lie wholly inside the file, and samples the tables declare (`None`
    /// like `data_end`).
    pub samples: Option<SampleCount>,
    /// The encoder priming an iTunes gapless tag (`iTunSMPB`) gives, in samples: FFmpeg gives
    /// it to the last track read before the tag, and skips it from an AAC track's start in
    /// place of its edit list's.
    pub priming: Option<u32>,
}

/// How many of a track's samples the file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleCount {
    /// Samples whose bytes are all in the file.
    pub present: u64,
    /// Samples the sample tables declare.
    pub total: u64,
}

impl Track {
    /// Media ticks skipped at the start by the edit list (the encoder-delay trim), 0 without one.
    pub fn edit_start(&self) -> i64 {
        self.edits
            .iter()
            .find(|e| e.media_time >= 0)
            .map(|e| e.media_time)
            .unwrap_or(0)
    }

    /// How long the track plays, in movie-timescale units (`movie_timescale`): its edits
    /// (empty ones excluded), or without an edit list its media duration.
    pub fn presented(&self, movie_timescale: u32) -> u64 {
        if self.edits.is_empty() {
            let scale = u128::from(self.timescale.max(1));
            return (u128::from(self.duration) * u128::from(movie_timescale) / scale) as u64;
        }
        self.edits
            .iter()
            .filter(|e| e.media_time >= 0)
            .map(|e| e.segment_duration)
            .sum()
    }

    /// Presentation delay of the track from leading empty edits, in movie-timescale units.
    pub fn empty_lead(&self) -> u64 {
        self.edits
            .iter()
            .take_while(|e| e.media_time < 0)
            .map(|e| e.segment_duration)
            .sum()
    }
}

/// The box structure of an MP4/MOV file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Top-level boxes in file order.
    pub boxes: Vec<TopBox>,
    /// `mvhd` movie timescale.
    pub movie_timescale: u32,
    /// Tracks in `moov` order.
    pub tracks: Vec<Track>,
}

impl Layout {
    /// True when `moov` comes before the first `mdat` (playable while downloading).
    pub fn faststart(&self) -> bool {
        let pos = |k: &str| self.boxes.iter().position(|b| b.kind == k);
        match (pos("moov"), pos("mdat")) {
            (Some(m), Some(d)) => m < d,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// True when any track has an edit list.
    pub fn has_edit_lists(&self) -> bool {
        self.tracks.iter().any(|t| !t.edits.is_empty())
    }

    /// The first track with handler `kind` (`vide`, `soun`).
    pub fn track(&self, kind: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.handler == kind)
    }

    /// The track whose `tkhd` id is `id` (a stream's [`cutroom_ffi::StreamInfo::id`]).
    pub fn track_by_id(&self, id: i32) -> Option<&Track> {
        self.tracks
            .iter()
            .find(|t| i64::from(t.id) == i64::from(id))
    }

    /// The first track (video before sound) whose sample tables point past the end of the
    /// file: a download or copy that ended early though its `moov` is whole (faststart).
    pub fn cut_short(&self) -> Option<(&Track, SampleCount)> {
        let short = |t: &&Track| t.samples.is_some_and(|c| c.present < c.total);
        let video = self
            .tracks
            .iter()
            .filter(|t| t.handler == "vide")
            .find(short);
        video
            .or_else(|| self.tracks.iter().find(short))
            .and_then(|t| Some((t, t.samples?)))
    }
}

/// Read the box layout of `path`; `None` when it is not an ISO-BMFF file or has no `moov`.
pub fn read_layout(path: &Path) -> std::io::Result<Option<Layout>> {
    let Some(top) = top_level(path)? else {
        return Ok(None);
    };
    let Some(moov) = top.moov else {
        return Ok(None);
    };
    let mut layout = Layout {
        boxes: top.boxes,
        movie_timescale: 0,
        tracks: Vec::new(),
    };
    for (kind, body) in children(&moov) {
        match kind {
            b"mvhd" => layout.movie_timescale = mvhd_timescale(body).unwrap_or(0),
            b"trak" => layout.tracks.push(parse_trak(body, top.len)),
            b"udta" => {
                if let (Some(p), Some(t)) = (gapless_priming(body), layout.tracks.last_mut()) {
                    t.priming = Some(p);
                }
            }
            _ => {}
        }
    }
    Ok(Some(layout))
}

/// The priming of the `----:com.apple.iTunes:iTunSMPB` tag in a `udta` body (`udta/meta/ilst`),
/// read as FFmpeg reads it: the second of its hex words, when the next two parse too and it is
/// from 1 to 16383.
fn gapless_priming(udta: &[u8]) -> Option<u32> {
    let meta = children(udta).find(|(k, _)| *k == b"meta")?.1;
    // An ISO `meta` is a full box (4 bytes of version and flags before its children), a
    // QuickTime one is not.
    let meta = match meta.get(4..8) {
        Some(b"hdlr") => meta,
        _ => meta.get(4..)?,
    };
    let ilst = children(meta).find(|(k, _)| *k == b"ilst")?.1;
    children(ilst)
        .filter(|(k, _)| *k == b"----")
        .find_map(|(_, item)| {
            let field = |kind: &[u8; 4], skip: usize| {
                children(item)
                    .find(|(k, _)| *k == kind)
                    .and_then(|(_, b)| b.get(skip..))
            };
            (field(b"name", 4)? == b"iTunSMPB").then_some(())?;
            let text = std::str::from_utf8(field(b"data", 8)?).ok()?;
            let words: Vec<u32> = text
                .split_ascii_whitespace()
                .skip(1)
                .take(3)
                .map_while(|w| u32::from_str_radix(w, 16).ok())
                .collect();
            (words.len() == 3).then_some(words[0])
        })
        .filter(|p| (1..16384).contains(p))
}

/// True when `path` is an ISO-BMFF file whose last top-level box is a `moov` that runs past
/// the end of the file: a download or render cut short inside it, which FFmpeg may still open
/// (a movie header and no tracks) when the cut comes before the first `trak`.
pub fn moov_cut_short(path: &Path) -> std::io::Result<bool> {
    Ok(top_level(path)?.is_some_and(|t| t.cut.as_deref() == Some("moov")))
}

/// The top-level boxes of a file.
struct TopLevel {
    /// File length in bytes.
    len: u64,
    boxes: Vec<TopBox>,
    /// The body of the first whole `moov` (under 256 MB).
    moov: Option<Vec<u8>>,
    /// The type of the last box when it runs past the end of the file.
    cut: Option<String>,
}

/// Walk the top-level boxes of `path`; `None` when it does not start like an ISO-BMFF file.
fn top_level(path: &Path) -> std::io::Result<Option<TopLevel>> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    let mut top = TopLevel {
        len,
        boxes: Vec::new(),
        moov: None,
        cut: None,
    };
    let mut off = 0u64;
    while off + 8 <= len {
        f.seek(SeekFrom::Start(off))?;
        let mut h = [0u8; 16];
        f.read_exact(&mut h[..8])?;
        let kind: [u8; 4] = h[4..8].try_into().expect("4 bytes");
        let kind = &kind;
        if !kind.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            break;
        }
        let mut size = u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]));
        let mut header = 8;
        if size == 1 {
            f.read_exact(&mut h[8..16])?;
            size = u64::from_be_bytes(h[8..16].try_into().expect("8 bytes"));
            header = 16;
        } else if size == 0 {
            size = len - off;
        }
        if size < header || off + size > len {
            // A truncated last box: record what is there and stop.
            top.boxes.push(TopBox {
                kind: ascii(kind),
                offset: off,
                size: len - off,
            });
            top.cut = Some(ascii(kind));
            break;
        }
        if kind == b"moov" && top.moov.is_none() && size < 256 << 20 {
            let mut body = vec![0u8; (size - header) as usize];
            f.read_exact(&mut body)?;
            top.moov = Some(body);
        }
        top.boxes.push(TopBox {
            kind: ascii(kind),
            offset: off,
            size,
        });
        off += size;
    }
    let mp4_like = |b: &TopBox| ["ftyp", "moov", "free", "wide"].contains(&b.kind.as_str());
    Ok(top.boxes.first().is_some_and(mp4_like).then_some(top))
}

fn ascii(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Iterate the child boxes of a container body.
fn children(mut body: &[u8]) -> impl Iterator<Item = (&[u8; 4], &[u8])> {
    std::iter::from_fn(move || {
        if body.len() < 8 {
            return None;
        }
        let size = u32::from_be_bytes(body[0..4].try_into().ok()?) as usize;
        let kind: &[u8; 4] = body[4..8].try_into().ok()?;
        let (hdr, size) = if size == 1 && body.len() >= 16 {
            (
                16,
                u64::from_be_bytes(body[8..16].try_into().ok()?) as usize,
            )
        } else if size == 0 {
            (8, body.len())
        } else {
            (8, size)
        };
        if size < hdr || size > body.len() {
            return None;
        }
        let inner = &body[hdr..size];
        body = &body[size..];
        Some((kind, inner))
    })
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// `tkhd`'s presentation size (16.16 at `matrix` + 36) turned by its matrix at `matrix`: a
/// quarter turn (a and d zero) swaps it; `None` when it is zero (sound).
fn tkhd_shown(b: &[u8], matrix: usize) -> Option<(u32, u32)> {
    let (w, h) = (be32(b, matrix + 36)? >> 16, be32(b, matrix + 40)? >> 16);
    if w == 0 || h == 0 {
        return None;
    }
    let (a, d) = (be32(b, matrix)?, be32(b, matrix + 16)?);
    Some(if a == 0 && d == 0 { (h, w) } else { (w, h) })
}

fn be64(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn mvhd_timescale(b: &[u8]) -> Option<u32> {
    // version(1) flags(3), then times: 4+4 (v0) or 8+8 (v1), then timescale.
    match b.first()? {
        1 => be32(b, 20),
        _ => be32(b, 12),
    }
}

fn mdhd_duration(b: &[u8]) -> Option<u64> {
    // After the timescale: a 32-bit (v0) or 64-bit (v1) duration.
    match b.first()? {
        1 => be64(b, 24),
        _ => be32(b, 16).map(u64::from),
    }
}

fn parse_trak(body: &[u8], file_len: u64) -> Track {
    let mut t = Track {
        id: 0,
        shown: None,
        handler: String::new(),
        timescale: 0,
        duration: 0,
        edits: Vec::new(),
        data_end: None,
        samples: None,
        priming: None,
    };
    for (kind, b) in children(body) {
        match kind {
            b"tkhd" => {
                // version(1) flags(3), times and id, duration, reserved, layer, group, volume,
                // reserved, then the matrix (9 x 4 bytes) and the 16.16 width and height.
                let (id, matrix) = match b.first() {
                    Some(1) => (20, 52),
                    _ => (12, 40),
                };
                t.id = be32(b, id).unwrap_or(0);
                t.shown = tkhd_shown(b, matrix);
            }
            b"udta" => t.priming = gapless_priming(b).or(t.priming),
            b"edts" => {
                for (k, e) in children(b) {
                    if k == b"elst" {
                        t.edits = parse_elst(e).unwrap_or_default();
                    }
                }
            }
            b"mdia" => {
                for (k, m) in children(b) {
                    match k {
                        b"mdhd" => {
                            t.timescale = mvhd_timescale(m).unwrap_or(0);
                            t.duration = mdhd_duration(m).unwrap_or(0);
                        }
                        b"hdlr" => t.handler = m.get(8..12).map(ascii).unwrap_or_default(),
                        b"minf" => {
                            for (k, stbl) in children(m) {
                                if k == b"stbl" {
                                    let extent = sample_extent(stbl, file_len);
                                    t.data_end = extent.map(|e| e.0);
                                    t.samples = extent.map(|e| e.1);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    t
}

/// The end of the sample data a `stbl` body points at: for each chunk (`stco`/`co64`), its
/// offset plus the sizes (`stsz`/`stz2`) of the samples `stsc` puts in it; and how many of the
/// samples end within `file_len` bytes.
fn sample_extent(stbl: &[u8], file_len: u64) -> Option<(u64, SampleCount)> {
    let (mut offsets, mut per_chunk, mut sizes) = (None, None, None);
    for (kind, b) in children(stbl) {
        match kind {
            b"stco" => offsets = table(b, 4, |b, at| be32(b, at).map(u64::from)),
            b"co64" => offsets = table(b, 8, be64),
            // (first chunk, samples per chunk); the description index is not needed.
            b"stsc" => per_chunk = table(b, 12, |b, at| Some((be32(b, at)?, be32(b, at + 4)?))),
            b"stsz" => sizes = sample_sizes(b),
            b"stz2" => sizes = compact_sample_sizes(b),
            _ => {}
        }
    }
    let (offsets, per_chunk, sizes) = (offsets?, per_chunk?, sizes?);
    let mut sample = 0;
    let mut entry = 0;
    let mut end = 0;
    let mut present = 0;
    for (i, &offset) in offsets.iter().enumerate() {
        let chunk = u32::try_from(i + 1).ok()?;
        while per_chunk.get(entry + 1).is_some_and(|e| e.0 <= chunk) {
            entry += 1;
        }
        let samples = per_chunk.get(entry).filter(|e| e.0 <= chunk)?.1 as usize;
        let len = sizes.total(sample, samples)?;
        present += sizes.within(sample, samples, file_len.saturating_sub(offset));
        sample += samples;
        end = end.max(offset.checked_add(len)?);
    }
    let total = sample as u64;
    Some((end, SampleCount { present, total }))
}

/// The entries of a full box holding `version/flags, count, count x entry`.
fn table<T>(b: &[u8], entry: usize, read: impl Fn(&[u8], usize) -> Option<T>) -> Option<Vec<T>> {
    let count = be32(b, 4)? as usize;
    if count.checked_mul(entry)? > b.len().saturating_sub(8) {
        return None;
    }
    (0..count).map(|i| read(b, 8 + i * entry)).collect()
}

/// Sample sizes in bytes.
enum SampleSizes {
    /// `count` samples of one size.
    Same(u64, usize),
    /// A size per sample.
    Each(Vec<u64>),
}

impl SampleSizes {
    /// The total size of `n` samples from `first`; `None` past the last sample. A table that
    /// claims billions of equal samples costs one multiplication, not a loop.
    fn total(&self, first: usize, n: usize) -> Option<u64> {
        let end = first.checked_add(n)?;
        match self {
            Self::Same(size, count) => (end <= *count).then(|| size.checked_mul(n as u64))?,
            Self::Each(sizes) => sizes
                .get(first..end)?
                .iter()
                .try_fold(0u64, |a, &b| a.checked_add(b)),
        }
    }

    /// How many of the `n` samples from `first`, laid end to end, fit in `room` bytes.
    fn within(&self, first: usize, n: usize, room: u64) -> u64 {
        match self {
            Self::Same(0, _) => n as u64,
            Self::Same(size, _) => (room / size).min(n as u64),
            Self::Each(sizes) => {
                let mut used = 0u64;
                sizes
                    .iter()
                    .skip(first)
                    .take(n)
                    .take_while(|&&s| {
                        used = used.saturating_add(s);
                        used <= room
                    })
                    .count() as u64
            }
        }
    }
}

/// `stsz`: one size for every sample, or a size per sample.
fn sample_sizes(b: &[u8]) -> Option<SampleSizes> {
    let size = be32(b, 4)?;
    if size != 0 {
        return Some(SampleSizes::Same(u64::from(size), be32(b, 8)? as usize));
    }
    table(&b[4..], 4, |b, at| be32(b, at).map(u64::from)).map(SampleSizes::Each)
}

/// `stz2`: per-sample sizes in 4, 8 or 16 bits.
fn compact_sample_sizes(b: &[u8]) -> Option<SampleSizes> {
    let bits = *b.get(7)?;
    let count = be32(b, 8)? as usize;
    let data = b.get(12..)?;
    if count.checked_mul(usize::from(bits))? > data.len() * 8 {
        return None;
    }
    (0..count)
        .map(|i| match bits {
            4 => Some(u64::from((data[i / 2] >> (4 * (1 - i % 2))) & 0xf)),
            8 => Some(u64::from(data[i])),
            16 => Some(u64::from(u16::from_be_bytes([
                data[2 * i],
                data[2 * i + 1],
            ]))),
            _ => None,
        })
        .collect::<Option<_>>()
        .map(SampleSizes::Each)
}

fn parse_elst(b: &[u8]) -> Option<Vec<Edit>> {
    let version = *b.first()?;
    let count = be32(b, 4)? as usize;
    let entry = if version == 1 { 20 } else { 12 };
    let mut edits = Vec::with_capacity(count.min(1024));
    for i in 0..count.min(1024) {
        let at = 8 + i * entry;
        let (segment_duration, media_time) = if version == 1 {
            (be64(b, at)?, be64(b, at + 8)? as i64)
        } else {
            (u64::from(be32(b, at)?), i64::from(be32(b, at + 4)? as i32))
        };
        edits.push(Edit {
            segment_duration,
            media_time,
        });
    }
    Some(edits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elst_version0_entries() {
        let mut b = vec![0, 0, 0, 0, 0, 0, 0, 2];
        b.extend_from_slice(&500u32.to_be_bytes());
        b.extend_from_slice(&(-1i32).to_be_bytes());
        b.extend_from_slice(&[0, 1, 0, 0]);
        b.extend_from_slice(&6000u32.to_be_bytes());
        b.extend_from_slice(&1024u32.to_be_bytes());
        b.extend_from_slice(&[0, 1, 0, 0]);
        let e = parse_elst(&b).unwrap();
        let t = Track {
            id: 1,
            shown: None,
            handler: "soun".into(),
            timescale: 48000,
            duration: 0,
            edits: e,
            data_end: None,
            samples: None,
            priming: None,
        };
        assert_eq!(t.edit_start(), 1024);
        assert_eq!(t.empty_lead(), 500);
    }

    #[test]
    fn a_track_header_gives_the_size_players_show() {
        // tkhd v0: version and flags, times, id, reserved, duration, reserved, layer, group,
        // volume, reserved; then the matrix and the 16.16 width and height.
        let tkhd = |matrix: [i32; 9], w: u32, h: u32| {
            let mut b = vec![0u8; 40];
            for m in matrix {
                b.extend_from_slice(&m.to_be_bytes());
            }
            b.extend_from_slice(&(w << 16).to_be_bytes());
            b.extend_from_slice(&(h << 16).to_be_bytes());
            b
        };
        let one = 1 << 16;
        let upright = [one, 0, 0, 0, one, 0, 0, 0, 1 << 30];
        let quarter = [0, one, 0, -one, 0, 0, 0, 0, 1 << 30];
        let half = [-one, 0, 0, 0, -one, 0, 0, 0, 1 << 30];
        assert_eq!(tkhd_shown(&tkhd(upright, 640, 360), 40), Some((640, 360)));
        assert_eq!(tkhd_shown(&tkhd(quarter, 640, 360), 40), Some((360, 640)));
        assert_eq!(tkhd_shown(&tkhd(half, 640, 360), 40), Some((640, 360)));
        assert_eq!(tkhd_shown(&tkhd(upright, 0, 0), 40), None);
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/marker_portrait_30.mp4");
        let layout = read_layout(&path).unwrap().unwrap();
        let video = layout.track("vide").unwrap();
        assert_eq!(video.shown, Some((360, 640)));
        assert_eq!(layout.track("soun").unwrap().shown, None);
    }

    #[test]
    fn sample_data_ends_where_the_file_does() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/marker_portrait_30.mp4");
        let len = std::fs::metadata(&path).unwrap().len();
        let layout = read_layout(&path).unwrap().unwrap();
        let ends: Vec<u64> = layout.tracks.iter().map(|t| t.data_end.unwrap()).collect();
        assert_eq!(ends.len(), 2);
        assert!(ends.iter().all(|&e| e > 0 && e <= len), "{ends:?}");
        assert_eq!(
            ends.iter().max(),
            Some(&len),
            "the last sample ends the mdat"
        );
    }
}
