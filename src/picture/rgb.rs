//! An opaque sRGB colour as the command line and the spec files give it: a CSS colour name
//! (`navy`, `tomato`, `rebeccapurple`), `#RRGGBB`, `#RGB` or `0xRRGGBB`.

use std::fmt;
use std::str::FromStr;

/// The forms a colour is given in, for messages.
pub const FORMS: &str = "expected a CSS colour name such as red, navy or tomato, #RRGGBB or #RGB";

/// An opaque sRGB colour (bars, colour cards, text and caption looks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// Black.
    pub const BLACK: Self = Self([0, 0, 0]);
    /// White.
    pub const WHITE: Self = Self([255, 255, 255]);

    /// Parse a CSS colour name (any case) or hex (`#RRGGBB`, `#RGB`, `0xRRGGBB`); the one
    /// colour reader of every flag and spec key.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(c) = super::css::named(s) {
            return Ok(Self(c));
        }
        let bad = || format!("bad colour {s:?} ({FORMS})");
        let hex = s
            .strip_prefix('#')
            .or_else(|| s.strip_prefix("0x"))
            .ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).map_err(|_| bad());
        match hex.len() {
            6 => Ok(Self([digit(0, 2)?, digit(2, 2)?, digit(4, 2)?])),
            3 => Ok(Self([
                digit(0, 1)? * 17,
                digit(1, 1)? * 17,
                digit(2, 1)? * 17,
            ])),
            _ => Err(bad()),
        }
    }

    /// The colour as BT.709 limited-range `[Y, Cb, Cr]` (what an H.264 deliverable stores).
    pub fn bt709(self) -> [u8; 3] {
        let [r, g, b] = self.0.map(|v| f64::from(v) / 255.0);
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let code = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        [
            code(16.0 + 219.0 * y),
            code(128.0 + 224.0 * (b - y) / 1.8556),
            code(128.0 + 224.0 * (r - y) / 1.5748),
        ]
    }

    /// The colour to give FFmpeg 5.1's drawing code (the `ass` filter blending libass's
    /// pictures, `pad`'s bars), which turns RGB into YUV by BT.601 whatever the frame's
    /// matrix: this colour's
    /// BT.709 YUV ([`Self::bt709`]) read back by BT.601, so that the frame holds this colour
    /// as a BT.709 deliverable shows it (`#c02020` came out as `#cd2f1d`).
    pub fn for_bt601_drawing(self) -> Self {
        let [r, g, b] = self.0.map(|v| f64::from(v) / 255.0);
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let (pb, pr) = ((b - y) / 1.8556, (r - y) / 1.5748);
        let code = |v: f64| (255.0 * v).round().clamp(0.0, 255.0) as u8;
        Self([
            code(y + 1.402 * pr),
            code(y - 0.344_136 * pb - 0.714_136 * pr),
            code(y + 1.772 * pb),
        ])
    }

    /// `0xRRGGBB`, as FFmpeg's colour options take it.
    pub fn ffmpeg(self) -> String {
        let [r, g, b] = self.0;
        format!("0x{r:02x}{g:02x}{b:02x}")
    }
}

impl FromStr for Rgb {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "#{r:02x}{g:02x}{b:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_for_bt601_drawing_keep_greys_and_their_bt709_yuv() {
        assert_eq!(
            Rgb([128, 128, 128]).for_bt601_drawing(),
            Rgb([128, 128, 128])
        );
        // Drawn by BT.601, the colour given has the BT.709 YUV of the one wanted.
        let wanted = Rgb([192, 32, 32]);
        let [r, g, b] = wanted.for_bt601_drawing().0.map(f64::from);
        let y601 = 16.0 + 219.0 * (0.299 * r + 0.587 * g + 0.114 * b) / 255.0;
        let cr601 = 128.0 + 224.0 * (0.5 * r - 0.418_688 * g - 0.081_312 * b) / 255.0;
        let [y, _, cr] = wanted.bt709();
        assert!((y601 - f64::from(y)).abs() < 1.0 && (cr601 - f64::from(cr)).abs() < 1.0);
    }

    #[test]
    fn colours_parse_and_convert_to_limited_range() {
        assert_eq!(Rgb::parse("#101010"), Ok(Rgb([16, 16, 16])));
        assert_eq!(Rgb::parse("#fA0"), Ok(Rgb([255, 170, 0])));
        assert_eq!(Rgb::parse("0x102030"), Ok(Rgb([16, 32, 48])));
        assert_eq!(Rgb::parse("White"), Ok(Rgb::WHITE));
        assert_eq!(Rgb::parse("grey"), Ok(Rgb([128, 128, 128])));
        assert_eq!(Rgb::parse("Navy"), Ok(Rgb([0, 0, 128])));
        assert_eq!(Rgb::parse("rebeccapurple"), Ok(Rgb([102, 51, 153])));
        assert_eq!(Rgb::parse("lightgrey"), Rgb::parse("LightGray"));
        let names = super::super::css::NAMED.map(|(n, _)| n);
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "sorted for the search"
        );
        for bad in ["101010", "#12345", "#gg0000", "reddish", "#1010101", ""] {
            assert!(Rgb::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Rgb::BLACK.bt709(), [16, 128, 128]);
        assert_eq!(Rgb::WHITE.bt709(), [235, 128, 128]);
        assert_eq!(Rgb([255, 0, 0]).bt709(), [63, 102, 240]);
        assert_eq!(Rgb([255, 170, 0]).to_string(), "#ffaa00");
        assert_eq!(Rgb([16, 32, 48]).ffmpeg(), "0x102030");
    }
}
