//! Colour of the deliverables: every encoded picture is BT.709 SDR in limited range. Sources
//! that declare another colour are converted first, through `zscale`: HDR (PQ or HLG) is
//! linearised (100 nits as 1.0), tone-mapped with `mobius` (linear up to the highlights, which
//! are compressed) and re-encoded for BT.709; SDR in other primaries or matrices (BT.601,
//! BT.2020, full range) is converted directly. What a stream leaves unspecified is taken as
//! BT.709 (BT.2020 for the primaries and matrix of an HDR stream).

use crate::error::{Error, Result};
use cutroom_ffi::Colour;
use std::path::Path;

/// Primaries `zscale` converts from (FFmpeg's names).
const PRIMARIES: &[&str] = &[
    "bt709",
    "bt470m",
    "bt470bg",
    "smpte170m",
    "smpte240m",
    "film",
    "bt2020",
    "smpte428",
    "smpte431",
    "smpte432",
    "jedec-p22",
    "ebu3213",
];
/// Transfers `zscale` converts from.
const TRANSFERS: &[&str] = &[
    "bt709",
    "bt470m",
    "bt470bg",
    "smpte170m",
    "linear",
    "bt2020-10",
    "bt2020-12",
    "smpte2084",
    "iec61966-2-1",
    "arib-std-b67",
];
/// Matrices `zscale` converts from.
const MATRICES: &[&str] = &[
    "gbr",
    "bt709",
    "fcc",
    "bt470bg",
    "smpte170m",
    "bt2020nc",
    "bt2020c",
];

/// True for the HDR transfers: PQ (SMPTE ST 2084) and HLG (ARIB STD-B67).
pub fn is_hdr(c: &Colour) -> bool {
    matches!(c.transfer.as_deref(), Some("smpte2084" | "arib-std-b67"))
}

/// The filter graph that turns pictures of colour `c` into BT.709 SDR limited range; `None`
/// when they are that already (or declare nothing). An HDR source in a colour `zscale` cannot
/// convert is refused, naming `path`; SDR in such a colour is passed through as it is.
pub fn graph(c: &Colour, path: &Path) -> Result<Option<String>> {
    let hdr = is_hdr(c);
    let wide = if hdr { "bt2020" } else { "bt709" };
    let pin = c.primaries.as_deref().unwrap_or(wide);
    let tin = c.transfer.as_deref().unwrap_or("bt709");
    let min = c
        .matrix
        .as_deref()
        .unwrap_or(if hdr { "bt2020nc" } else { "bt709" });
    let rin = c.range.as_deref().unwrap_or("tv");
    if !hdr && [pin, tin, min].iter().all(|v| *v == "bt709") && rin == "tv" {
        return Ok(None);
    }
    let known = PRIMARIES.contains(&pin)
        && TRANSFERS.contains(&tin)
        && MATRICES.contains(&min)
        && ["tv", "pc"].contains(&rin);
    let input = format!("zscale=pin={pin}:tin={tin}:min={min}:rin={rin}");
    match (hdr, known) {
        (true, true) => Ok(Some(format!(
            "{input}:t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,\
             tonemap=mobius:desat=0,zscale=t=bt709:m=bt709:r=tv"
        ))),
        (true, false) => Err(Error::bad_input(
            path,
            format!(
                "HDR video in colour {pin}/{tin}/{min} ({rin} range) cannot be tone-mapped to \
                 BT.709; convert it to BT.2020 or BT.709 first"
            ),
        )),
        (false, true) => Ok(Some(format!("{input}:p=bt709:t=bt709:m=bt709:r=tv"))),
        (false, false) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(p: &str, t: &str, m: &str, r: &str) -> Colour {
        let v = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Colour {
            primaries: v(p),
            transfer: v(t),
            matrix: v(m),
            range: v(r),
        }
    }

    #[test]
    fn converts_what_is_not_bt709_sdr() {
        let p = Path::new("in.mp4");
        assert_eq!(graph(&colour("", "", "", ""), p).unwrap(), None);
        assert_eq!(
            graph(&colour("bt709", "bt709", "bt709", "tv"), p).unwrap(),
            None
        );
        let hlg = graph(&colour("bt2020", "arib-std-b67", "bt2020nc", "tv"), p)
            .unwrap()
            .unwrap();
        assert!(hlg.starts_with("zscale=pin=bt2020:tin=arib-std-b67:min=bt2020nc:rin=tv:t=linear"));
        assert!(hlg.contains("tonemap=mobius"), "{hlg}");
        // PQ without primaries or matrix declared is taken as BT.2020.
        let pq = graph(&colour("", "smpte2084", "", ""), p).unwrap().unwrap();
        assert!(
            pq.starts_with("zscale=pin=bt2020:tin=smpte2084:min=bt2020nc:rin=tv"),
            "{pq}"
        );
        let sd = graph(&colour("smpte170m", "smpte170m", "smpte170m", "tv"), p)
            .unwrap()
            .unwrap();
        assert!(sd.ends_with(":p=bt709:t=bt709:m=bt709:r=tv") && !sd.contains("tonemap"));
        let full = graph(&colour("", "", "", "pc"), p).unwrap().unwrap();
        assert!(full.contains("rin=pc"), "{full}");
        let odd = graph(&colour("reserved", "smpte2084", "", ""), p).unwrap_err();
        assert!(odd.to_string().contains("in.mp4"), "{odd}");
        assert_eq!(
            graph(&colour("reserved", "bt709", "", ""), p).unwrap(),
            None
        );
    }
}
