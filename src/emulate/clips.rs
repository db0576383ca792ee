//! The emulator's renders: a real marker clip per distinct request (size, length), with a
//! thumbnail and a spritesheet, encoded once and shared by every job that asks for the same.

use crate::error::{Error, Result};
use crate::synth::{still, write_marker_clip, MarkerSpec};
use bytes::Bytes;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, Semaphore};

/// Longer side of a thumbnail, in pixels.
const THUMB_SIDE: u32 = 320;
/// Longer side of one spritesheet cell.
const CELL_SIDE: u32 = 128;
/// Spritesheet columns.
const CELL_COLUMNS: u32 = 5;

/// A finished render: the MP4 and its two images (PNG).
#[derive(Debug)]
pub struct Clip {
    /// The MP4.
    pub video: Bytes,
    /// A still of the first frame.
    pub thumbnail: Bytes,
    /// One still per second, in rows of five.
    pub spritesheet: Bytes,
}

/// A clip being rendered, shared by every job that asked for the same spec; the error is the
/// render's failure message.
pub type Slot = Arc<OnceCell<std::result::Result<Arc<Clip>, String>>>;

/// Renders clips on blocking threads, at most `parallel` encodes at once, each spec once.
pub struct Clips {
    dir: PathBuf,
    slots: Mutex<HashMap<MarkerSpec, Slot>>,
    encoders: Semaphore,
    encoded: std::sync::atomic::AtomicU64,
}

impl Clips {
    /// Clips rendered through files in `dir`.
    pub fn new(dir: &Path, parallel: usize) -> Self {
        Self {
            dir: dir.to_path_buf(),
            slots: Mutex::new(HashMap::new()),
            encoders: Semaphore::new(parallel.max(1)),
            encoded: Default::default(),
        }
    }

    /// How many clips were encoded so far.
    pub fn encoded(&self) -> u64 {
        self.encoded.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The slot of `spec`; the first caller starts its render.
    pub fn request(self: &Arc<Self>, spec: &MarkerSpec) -> Slot {
        let slot = self
            .slots
            .lock()
            .expect("not poisoned")
            .entry(spec.clone())
            .or_default()
            .clone();
        if !slot.initialized() {
            let (me, spec, s) = (self.clone(), spec.clone(), slot.clone());
            tokio::spawn(async move {
                s.get_or_init(|| me.render(spec)).await;
            });
        }
        slot
    }

    async fn render(self: Arc<Self>, spec: MarkerSpec) -> std::result::Result<Arc<Clip>, String> {
        let _permit = self.encoders.acquire().await.map_err(|e| e.to_string())?;
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.render_blocking(&spec))
            .await
            .map_err(|e| e.to_string())?
            .map(Arc::new)
            .map_err(|e| e.to_string())
    }

    fn render_blocking(&self, spec: &MarkerSpec) -> Result<Clip> {
        let file = tempfile::Builder::new()
            .suffix(".mp4")
            .tempfile_in(&self.dir)
            .map_err(|e| Error::io(&self.dir, e))?
            .into_temp_path();
        write_marker_clip(&file, spec)?;
        let video = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        self.encoded
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Clip {
            video: video.into(),
            thumbnail: thumbnail(spec)?.into(),
            spritesheet: spritesheet(spec)?.into(),
        })
    }
}

/// `side` on the longer edge, the other scaled to keep the aspect (at least 1).
fn fit(spec: &MarkerSpec, side: u32) -> (u32, u32) {
    let (w, h) = (spec.width, spec.height);
    if w >= h {
        (side, (h * side / w).max(1))
    } else {
        ((w * side / h).max(1), side)
    }
}

fn thumbnail(spec: &MarkerSpec) -> Result<Vec<u8>> {
    let (w, h) = fit(spec, THUMB_SIDE);
    png_gray(w, h, &still(spec, 0, w, h))
}

fn spritesheet(spec: &MarkerSpec) -> Result<Vec<u8>> {
    let (cw, ch) = fit(spec, CELL_SIDE);
    let cells = spec.seconds.max(1);
    let cols = cells.min(CELL_COLUMNS);
    let rows = cells.div_ceil(CELL_COLUMNS);
    let (w, h) = (cw * cols, ch * rows);
    let mut sheet = vec![0u8; (w * h) as usize];
    for k in 0..cells {
        let cell = still(spec, i64::from(k * spec.fps), cw, ch);
        let (x0, y0) = ((k % cols) * cw, (k / cols) * ch);
        for y in 0..ch {
            let row = ((y0 + y) * w + x0) as usize;
            sheet[row..row + cw as usize]
                .copy_from_slice(&cell[(y * cw) as usize..((y + 1) * cw) as usize]);
        }
    }
    png_gray(w, h, &sheet)
}

fn png_gray(w: u32, h: u32, pixels: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let fail = |e: png::EncodingError| Error::Internal(format!("thumbnail encoding failed: {e}"));
    let mut writer = enc.write_header().map_err(fail)?;
    writer.write_image_data(pixels).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_encoder_refusal_is_an_internal_error_not_a_remote_one() {
        let e = png_gray(4, 4, &[0; 3]).unwrap_err();
        assert!(matches!(e, Error::Internal(_)), "{e:?}");
    }
}
