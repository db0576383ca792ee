//! Matroska and WebM: enough of EBML to tell a file cut short from a whole one. A muxer
//! writing to a file states its segment's size; a download or copy cut short holds less.

use std::io::{Read, Seek};
use std::path::Path;

const EBML: u64 = 0x1A45_DFA3;
const SEGMENT: u64 = 0x1853_8067;

/// A Matroska segment that runs past the end of its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CutShort {
    /// Bytes of the segment the file holds.
    pub present: u64,
    /// Bytes the segment declares.
    pub declared: u64,
}

/// The segment of a Matroska or WebM file at `path`, when it declares more bytes than the file
/// holds; `None` for a whole file, a segment of unknown size (a live recording states none) or
/// a file that is not Matroska.
pub fn cut_short(path: &Path) -> std::io::Result<Option<CutShort>> {
    let mut f = std::io::BufReader::new(std::fs::File::open(path)?);
    let len = f.get_ref().metadata()?.len();
    let Some((EBML, _)) = element(&mut f)? else {
        return Ok(None);
    };
    let Some(Some(header)) = size(&mut f)? else {
        return Ok(None);
    };
    f.seek_relative(i64::try_from(header).unwrap_or(i64::MAX))?;
    let Some((SEGMENT, _)) = element(&mut f)? else {
        return Ok(None);
    };
    let Some(Some(declared)) = size(&mut f)? else {
        return Ok(None);
    };
    let start = f.stream_position()?;
    let present = len.saturating_sub(start);
    Ok((present < declared).then_some(CutShort { present, declared }))
}

/// An element ID (its length marker kept, as the specification writes IDs) and its length;
/// `None` at the end of the file or on a byte no ID starts with.
fn element(r: &mut impl Read) -> std::io::Result<Option<(u64, usize)>> {
    let Some((raw, len)) = vint(r)? else {
        return Ok(None);
    };
    Ok((len <= 4).then_some((raw, len)))
}

/// An element's data size; `Some(None)` for the reserved "unknown size"; `None` at the end of
/// the file or on a byte no size starts with.
fn size(r: &mut impl Read) -> std::io::Result<Option<Option<u64>>> {
    let Some((raw, len)) = vint(r)? else {
        return Ok(None);
    };
    let bits = 7 * len as u32;
    let value = raw & ((1u64 << bits) - 1);
    Ok(Some((value != (1u64 << bits) - 1).then_some(value)))
}

/// An EBML variable-length integer as stored (marker bit included) and its length in bytes.
fn vint(r: &mut impl Read) -> std::io::Result<Option<(u64, usize)>> {
    let mut first = [0u8];
    if r.read(&mut first)? == 0 || first[0] == 0 {
        return Ok(None);
    }
    let len = first[0].leading_zeros() as usize + 1;
    let mut rest = [0u8; 7];
    if let Err(e) = r.read_exact(&mut rest[..len - 1]) {
        return match e.kind() {
            std::io::ErrorKind::UnexpectedEof => Ok(None),
            _ => Err(e),
        };
    }
    let raw = rest[..len - 1]
        .iter()
        .fold(u64::from(first[0]), |v, b| v << 8 | u64::from(*b));
    Ok(Some((raw, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_ebml_writes_them() {
        let read = |bytes: &[u8]| size(&mut &bytes[..]).unwrap();
        assert_eq!(read(&[0x81]), Some(Some(1)));
        assert_eq!(read(&[0x40, 0x02]), Some(Some(2)));
        assert_eq!(read(&[0x01, 0, 0, 0, 0, 0, 0x33, 0x59]), Some(Some(0x3359)));
        assert_eq!(read(&[0xff]), Some(None), "unknown size");
        assert_eq!(
            read(&[0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            Some(None)
        );
        assert_eq!(read(&[0x40]), None, "cut inside the size");
    }
}
