//! Frame sizes written `WIDTHxHEIGHT`: one reading, and one wording of its errors, for every
//! command (`concat --size`, an assemble spec's `size`, a render's `size`, a provider's sizes).

/// `WIDTHxHEIGHT` (`x` or `X` between two whole numbers above 0).
pub fn parse(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("{s:?} is not a size like 1080x1920 (WIDTHxHEIGHT)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |v: &str| v.parse::<u32>().ok().filter(|&v| v > 0).ok_or_else(bad);
    Ok((side(w)?, side(h)?))
}

/// The largest side of a frame cutroom makes (`concat --size`, an assemble spec's `size`).
pub const MAX_FRAME_SIDE: u32 = 8192;

/// A frame size cutroom makes: [`parse_even`] up to [`MAX_FRAME_SIDE`].
pub fn parse_frame(s: &str) -> Result<(u32, u32), String> {
    parse_even(s, MAX_FRAME_SIDE)
}

/// [`parse`], then even sides from 16 to `max` (what H.264 in 4:2:0 and the encoders take).
pub fn parse_even(s: &str, max: u32) -> Result<(u32, u32), String> {
    let (w, h) = parse(s)?;
    let fits = |v: u32| (16..=max).contains(&v) && v % 2 == 0;
    match fits(w) && fits(h) {
        true => Ok((w, h)),
        false => Err(format!(
            "size {s:?} must be even numbers from 16 to {max} per side"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_and_refused_in_one_wording() {
        assert_eq!(parse("1280x720"), Ok((1280, 720)));
        assert_eq!(parse("1080X1920"), Ok((1080, 1920)));
        assert_eq!(parse("1x1"), Ok((1, 1)));
        for bad in [
            "", "1280", "x720", "1280x", "0x720", "12.5x720", "-2x4", "1280*720",
        ] {
            assert_eq!(
                parse(bad),
                Err(format!(
                    "{bad:?} is not a size like 1080x1920 (WIDTHxHEIGHT)"
                )),
                "{bad}"
            );
        }
        assert_eq!(parse_even("1920x1080", 8192), Ok((1920, 1080)));
        assert_eq!(parse_even("16x8192", 8192), Ok((16, 8192)));
        for bad in ["15x16", "14x16", "8194x16", "1921x1080"] {
            assert_eq!(
                parse_even(bad, 8192),
                Err(format!(
                    "size {bad:?} must be even numbers from 16 to 8192 per side"
                )),
                "{bad}"
            );
        }
        assert!(parse_even("8192x16", 4096).is_err());
        assert_eq!(
            parse_even("nope", 4096),
            Err("\"nope\" is not a size like 1080x1920 (WIDTHxHEIGHT)".into())
        );
    }
}
