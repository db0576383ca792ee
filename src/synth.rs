//! Synthetic marker clips: real H.264 + AAC MP4s with known ground truth, made through the ffi
//! encoders (no ffmpeg CLI).
//!
//! The picture is black with a one-frame white flash, and the sound silent with a 40 ms 1 kHz
//! beep, at 1 s and every 2 s after: the same pattern as `fixtures/marker.sh`, so the marker
//! oracle of the tests measures these clips the same way. An A/V offset can be injected on
//! purpose (positive: audio late), and optional luma noise makes the encode big (a large,
//! still valid render for download benchmarks). The sound is in cutroom's delivery format
//! ([`RATE`], [`CHANNELS`]), as renders from the video services come.

use crate::audio::soundtrack::{CHANNELS, RATE};
use crate::error::{Error, Result};
use cutroom_ffi::{AudioEncoder, MuxOptions, Muxer, Pixel, Rational, VideoEncoder};
use cutroom_ffi::{VideoEncoderConfig, VideoFrame};
use std::path::Path;

/// Beep length in samples (40 ms).
const BEEP_SAMPLES: i64 = RATE as i64 * 40 / 1000;
/// Limited-range luma of black and white.
const BLACK: u8 = 16;
const WHITE: u8 = 235;

/// What marker clip to make.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MarkerSpec {
    /// Picture width (even).
    pub width: u32,
    /// Picture height (even).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Length in whole seconds (video and audio alike).
    pub seconds: u32,
    /// Beeps shifted by this many ms (positive: audio late).
    pub av_offset_ms: i64,
    /// Luma noise amplitude (0: none); noise makes the stream large.
    pub noise: u8,
}

impl MarkerSpec {
    /// A clean (no offset, no noise) 30 fps clip of `width`x`height` and `seconds`.
    pub fn new(width: u32, height: u32, seconds: u32) -> Self {
        Self {
            width,
            height,
            fps: 30,
            seconds,
            av_offset_ms: 0,
            noise: 0,
        }
    }

    /// Total video frames.
    pub fn frames(&self) -> i64 {
        i64::from(self.fps) * i64::from(self.seconds)
    }

    /// True when frame `n` is a flash (1 s, 3 s, 5 s, ...).
    pub fn is_flash(&self, n: i64) -> bool {
        let fps = i64::from(self.fps);
        n >= fps && (n - fps) % (2 * fps) == 0
    }

    /// Audio sample `i` (mono value; every channel carries it).
    pub fn sample(&self, i: i64) -> f32 {
        let rate = i64::from(RATE);
        let s = i - self.av_offset_ms * rate / 1000;
        if s < rate || (s - rate) % (2 * rate) >= BEEP_SAMPLES {
            return 0.0;
        }
        let phase = (s % rate) as f64 * 1000.0 / rate as f64; // 1 kHz cycles since the second
        (0.5 * (2.0 * std::f64::consts::PI * phase).sin()) as f32
    }

    fn check(&self, path: &Path) -> Result<()> {
        if self.width < 16 || self.height < 16 || self.width % 2 != 0 || self.height % 2 != 0 {
            return Err(Error::bad_input(
                path,
                format!(
                    "marker clip size {}x{} must be even and at least 16x16",
                    self.width, self.height
                ),
            ));
        }
        if self.fps == 0 || self.seconds == 0 {
            return Err(Error::bad_input(path, "marker clip needs fps and seconds"));
        }
        Ok(())
    }
}

/// Luma of frame `n` as a grey picture of `width`x`height` (row-major, one byte per pixel),
/// without noise: what thumbnails and spritesheets of a marker clip show.
pub fn still(spec: &MarkerSpec, n: i64, width: u32, height: u32) -> Vec<u8> {
    let v = if spec.is_flash(n) { WHITE } else { BLACK };
    vec![v; width as usize * height as usize]
}

/// A small xorshift generator: deterministic noise, so the same spec gives the same bytes.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Fill `frame` (yuv420p) with frame `n` of `spec`.
fn paint(frame: &mut VideoFrame, spec: &MarkerSpec, n: i64) {
    let base = if spec.is_flash(n) { WHITE } else { BLACK };
    let (w, h) = (spec.width as usize, spec.height as usize);
    let stride = frame.stride(0);
    let luma = frame.plane_mut(0);
    if spec.noise == 0 {
        for row in luma.chunks_mut(stride).take(h) {
            row[..w].fill(base);
        }
    } else {
        let amp = u64::from(spec.noise);
        let mut rng = Noise(0x9E37_79B9_7F4A_7C15 ^ (n as u64 + 1).wrapping_mul(0x2545_F491));
        for row in luma.chunks_mut(stride).take(h) {
            for px in &mut row[..w] {
                let r = rng.next();
                let d = (r % (2 * amp + 1)) as i32 - amp as i32;
                *px = (i32::from(base) + d).clamp(0, 255) as u8;
            }
        }
    }
    for plane in 1..3 {
        let stride = frame.stride(plane);
        for row in frame.plane_mut(plane).chunks_mut(stride).take(h / 2) {
            row[..w / 2].fill(128);
        }
    }
}

/// Write the marker clip `spec` to `path` as MP4 (H.264 High, x264 `ultrafast`; AAC-LC 48 kHz
/// stereo; faststart; the AAC priming trimmed by an edit list, so picture and sound line up).
pub fn write_marker_clip(path: &Path, spec: &MarkerSpec) -> Result<()> {
    spec.check(path)?;
    let fps = spec.fps as i32;
    let mut venc = VideoEncoder::new(&VideoEncoderConfig {
        width: spec.width,
        height: spec.height,
        frame_rate: Rational::new(fps, 1),
        crf: if spec.noise == 0 { 30.0 } else { 18.0 },
        preset: "ultrafast".into(),
        profile: "high".into(),
        gop: spec.fps,
        max_bit_rate: None,
        threads: 0,
    })?;
    let mut aenc = AudioEncoder::new(RATE, CHANNELS, 96_000)?;
    let mut mux = Muxer::create(path, "mp4")?;
    let v = mux.add_stream(&venc.params(), venc.time_base())?;
    let a = mux.add_stream(&aenc.params(), aenc.time_base())?;
    mux.write_header(MuxOptions {
        faststart: true,
        edit_list: true,
    })?;
    let mut frame = VideoFrame::new(Pixel::Yuv420p, spec.width, spec.height);
    let rate = i64::from(RATE);
    let mut audio_at = 0i64;
    let mut pcm = Vec::new();
    for n in 0..spec.frames() {
        paint(&mut frame, spec, n);
        frame.set_pts(Some(n));
        venc.send(&frame)?;
        while let Some(p) = venc.receive()? {
            mux.write(p, v)?;
        }
        // Audio up to the end of this frame, in whole samples (no float time accumulates).
        let audio_end = (n + 1) * rate / i64::from(spec.fps);
        pcm.clear();
        for i in audio_at..audio_end {
            let s = spec.sample(i);
            pcm.extend(std::iter::repeat_n(s, usize::from(CHANNELS)));
        }
        audio_at = audio_end;
        aenc.send(&pcm)?;
        while let Some(p) = aenc.receive()? {
            mux.write(p, a)?;
        }
    }
    venc.send_eof()?;
    while let Some(p) = venc.receive()? {
        mux.write(p, v)?;
    }
    aenc.send_eof()?;
    while let Some(p) = aenc.receive()? {
        mux.write(p, a)?;
    }
    mux.finish()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_matches_marker_sh() {
        let s = MarkerSpec::new(64, 64, 6);
        let flashes: Vec<i64> = (0..s.frames()).filter(|&n| s.is_flash(n)).collect();
        assert_eq!(flashes, vec![30, 90, 150]);
        assert_eq!(s.sample(47_999), 0.0);
        assert!(s.sample(48_000 + 12).abs() > 0.4);
        assert_eq!(s.sample(48_000 + BEEP_SAMPLES), 0.0);
        let late = MarkerSpec {
            av_offset_ms: 80,
            ..s
        };
        assert_eq!(late.sample(48_000 + 12), 0.0);
        assert!(late.sample(48_000 + 80 * 48 + 12).abs() > 0.4);
    }
}
