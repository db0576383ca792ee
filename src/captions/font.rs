//! The one font captions and text overlays are drawn with: DejaVu Sans (regular and bold,
//! `assets/fonts/`, licence beside it), compiled in and written to a private directory that
//! libass is given as its only font directory, so every machine draws the same pixels.

use crate::error::{Error, Result};
use std::path::Path;

/// The family name scripts ask for.
pub const FAMILY: &str = "DejaVu Sans";

const FILES: [(&str, &[u8]); 2] = [
    (
        "DejaVuSans.ttf",
        include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
    ),
    (
        "DejaVuSans-Bold.ttf",
        include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
    ),
];

/// The regular face's file in a directory [`install`] wrote.
pub fn regular(dir: &Path) -> std::path::PathBuf {
    dir.join(FILES[0].0)
}

/// Write the font files into `dir` (which exists).
pub fn install(dir: &Path) -> Result<()> {
    for (name, bytes) in FILES {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    Ok(())
}
