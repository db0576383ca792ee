//! An opaque colour as the command line and the spec files give it.

use crate::error::Error;
use std::fmt;
use std::str::FromStr;

/// An opaque colour for bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color(pub [u8; 3]);

impl FromStr for Color {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let named = match s {
            "black" => Some([0, 0, 0]),
            "white" => Some([255, 255, 255]),
            "gray" | "grey" => Some([128, 128, 128]),
            _ => None,
        };
        if let Some(rgb) = named {
            return Ok(Self(rgb));
        }
        let hex = s
            .strip_prefix('#')
            .or_else(|| s.strip_prefix("0x"))
            .unwrap_or(s);
        let bad = || {
            Error::Usage(format!(
                "--pad-color {s}: expected black, white, gray or #RRGGBB"
            ))
        };
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let v = u32::from_str_radix(hex, 16).map_err(|_| bad())?;
        Ok(Self([(v >> 16) as u8, (v >> 8) as u8, v as u8]))
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [r, g, b] = self.0;
        write!(f, "0x{r:02X}{g:02X}{b:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_hex_parse() {
        assert_eq!("white".parse::<Color>().unwrap().to_string(), "0xFFFFFF");
        assert!("#12345".parse::<Color>().is_err());
    }
}
