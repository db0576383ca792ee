//! The emulator's renders: a real marker clip per distinct request (size, length), with a
//! thumbnail (WebP) and a spritesheet (JPEG), as the OpenAI API serves them, encoded once and
//! shared by every job that asks for the same.

use crate::error::{Error, Result};
use crate::provenance::{sign_render, SigningKey};
use crate::synth::{still, write_marker_clip, MarkerSpec};
use bytes::Bytes;
use cutroom_ffi::{encode_image, ImageFormat, Pixel, VideoFrame};
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

/// A finished render: the MP4 and its two images.
#[derive(Debug)]
pub struct Clip {
    /// The MP4.
    pub video: Bytes,
    /// A still of the first frame (WebP).
    pub thumbnail: Bytes,
    /// One still per second, in rows of five (JPEG).
    pub spritesheet: Bytes,
}

/// A clip being rendered, shared by every job that asked for the same spec; the error is the
/// render's failure message.
pub type Slot = Arc<OnceCell<std::result::Result<Arc<Clip>, String>>>;

/// Renders clips on blocking threads, at most `parallel` encodes at once, each spec once.
pub struct Clips {
    dir: PathBuf,
    sign: Option<SigningKey>,
    slots: Mutex<HashMap<MarkerSpec, Slot>>,
    encoders: Semaphore,
    encoded: std::sync::atomic::AtomicU64,
}

impl Clips {
    /// Clips rendered through files in `dir`, signed with `sign` as a generator signs them.
    pub fn new(dir: &Path, parallel: usize, sign: Option<SigningKey>) -> Self {
        Self {
            dir: dir.to_path_buf(),
            sign,
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
        let mut video = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        if let Some(key) = &self.sign {
            video = sign_render(&video, "render.mp4", "cutroom emulator", key)?;
        }
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
    gray_image(w, h, &still(spec, 0, w, h), ImageFormat::Webp)
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
    gray_image(w, h, &sheet, ImageFormat::Jpeg)
}

/// A grey picture (`w`x`h`, one byte per pixel, full range) encoded as `format`.
fn gray_image(w: u32, h: u32, pixels: &[u8], format: ImageFormat) -> Result<Vec<u8>> {
    let mut frame = VideoFrame::new(Pixel::Gray, w, h);
    let stride = frame.stride(0);
    let rows = frame.plane_mut(0).chunks_mut(stride);
    for (row, src) in rows.zip(pixels.chunks(w as usize)) {
        row[..w as usize].copy_from_slice(src);
    }
    Ok(encode_image(&frame, format)?)
}
