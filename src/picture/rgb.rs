//! An sRGB colour as the command line and the spec files give it: a CSS colour name
//! (`navy`, `tomato`, `rebeccapurple`), `#RRGGBB`, `#RGB` or `0xRRGGBB`, and where text is
//! drawn also with an alpha: `#RRGGBBAA`, `#RGBA` or `0xRRGGBBAA` (CSS's order, `00`
//! transparent to `ff` opaque).

use std::fmt;
use std::str::FromStr;

/// The forms a colour is given in, for messages.
pub const FORMS: &str = "expected a CSS colour name such as red, navy or tomato, #RRGGBB or #RGB";
/// The forms a colour with an alpha is given in, for messages.
pub const FORMS_ALPHA: &str =
    "expected a CSS colour name such as red, navy or tomato, #RRGGBB, #RGB, #RRGGBBAA or #RGBA";

/// An opaque sRGB colour (bars, colour cards, text and caption looks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub [u8; 3]);

impl Rgb {
    /// Black.
    pub const BLACK: Self = Self([0, 0, 0]);
    /// White.
    pub const WHITE: Self = Self([255, 255, 255]);

    /// Parse a CSS colour name (any case) or hex (`#RRGGBB`, `#RGB`, `0xRRGGBB`); the one
    /// reader of the colours drawn opaque (bars, colour cards). A colour with an alpha is
    /// refused, saying so.
    pub fn parse(s: &str) -> Result<Self, String> {
        let c = Rgba::parse(s).map_err(|_| format!("bad colour {:?} ({FORMS})", s.trim()))?;
        match c.alpha {
            255 => Ok(c.rgb),
            a => Err(format!(
                "colour {:?} has an alpha ({a:02x}, {:.0} % opaque), but this colour is drawn \
                 opaque: give it as #RRGGBB",
                s.trim(),
                f64::from(a) / 2.55
            )),
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

/// An sRGB colour and its opacity (`alpha` 255: opaque), as text, outlines and boxes take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgba {
    /// The colour.
    pub rgb: Rgb,
    /// Its opacity, 0 (transparent) to 255 (opaque).
    pub alpha: u8,
}

impl Rgba {
    /// Parse a CSS colour name (any case; opaque) or hex: `#RRGGBB`, `#RGB`, `0xRRGGBB`
    /// (opaque) or with an alpha last, `#RRGGBBAA`, `#RGBA`, `0xRRGGBBAA`; the one colour
    /// reader of every flag and spec key.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(c) = super::css::named(s) {
            return Ok(Self {
                rgb: Rgb(c),
                alpha: 255,
            });
        }
        let bad = || format!("bad colour {s:?} ({FORMS_ALPHA})");
        let hex = s
            .strip_prefix('#')
            .or_else(|| s.strip_prefix("0x"))
            .ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let n = match hex.len() {
            3 | 4 => 1,
            6 | 8 => 2,
            _ => return Err(bad()),
        };
        let digit = |i: usize| {
            let v = u8::from_str_radix(&hex[i * n..(i + 1) * n], 16).map_err(|_| bad());
            v.map(|v| if n == 1 { v * 17 } else { v })
        };
        Ok(Self {
            rgb: Rgb([digit(0)?, digit(1)?, digit(2)?]),
            alpha: if hex.len() % 4 == 0 { digit(3)? } else { 255 },
        })
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
        for bad in [
            "101010", "#12345", "#gg0000", "reddish", "#1010101", "", "#12",
        ] {
            assert!(Rgb::parse(bad).is_err(), "{bad}");
            assert!(Rgba::parse(bad).is_err(), "{bad}");
        }
        let half = Rgba::parse("#ff000080").unwrap();
        assert_eq!((half.rgb, half.alpha), (Rgb([255, 0, 0]), 128));
        let e = Rgb::parse("#ff000080").unwrap_err();
        assert!(
            e.contains("\"#ff000080\" has an alpha (80, 50 % opaque)"),
            "{e}"
        );
        assert_eq!(Rgb::parse("#ff0000ff"), Ok(Rgb([255, 0, 0])));
        let short = Rgba::parse("#f008").unwrap();
        assert_eq!((short.rgb, short.alpha), (Rgb([255, 0, 0]), 136));
        assert_eq!(Rgba::parse("0x10203040").unwrap().alpha, 0x40);
        assert_eq!(Rgba::parse("navy").unwrap().alpha, 255);
        assert_eq!(Rgb::BLACK.bt709(), [16, 128, 128]);
        assert_eq!(Rgb::WHITE.bt709(), [235, 128, 128]);
        assert_eq!(Rgb([255, 0, 0]).bt709(), [63, 102, 240]);
        assert_eq!(Rgb([255, 170, 0]).to_string(), "#ffaa00");
        assert_eq!(Rgb([16, 32, 48]).ffmpeg(), "0x102030");
    }
}
