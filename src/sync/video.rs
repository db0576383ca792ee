//! One pass over a file's packets: the container's timestamps for the checks, the video index
//! ([`VideoIndex`]: where the picture ends), and the first video stream decoded once, cheaply (no
//! deblocking), into per-frame activity (luma at thumbnail size) and the faces' mouths (RGB
//! pictures for the face models, see [`super::face`]), the latter on a thread of their own.

use super::container::{PacketLog, Picture};
use super::face::roi::Roi;
use super::face::yuv::{self, Plane, Yuv};
use super::face::{self, FaceTrack, Rgb};
use super::shown::Shown;
use crate::error::{Error, Result};
use crate::media;
use crate::progress::Progress;
use crate::time::{Ticks, TimeBase};
use crate::video_index::VideoIndex;
use cutroom_ffi::{
    Decoder as _, DecoderOptions, MediaKind, Pixel, Scaler, VideoDecoder, VideoFrame,
};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc::SyncSender;
use tract_onnx::prelude::{TractError, TractResult};

/// Width of the analysis picture (height follows the aspect ratio).
const ANALYSIS_WIDTH: u32 = 96;
/// Luma difference below which a pixel counts as unchanged (compression noise).
const NOISE: u8 = 6;
/// Frame-difference level (mean absolute luma) that always counts as a picture change.
pub const MIN_CHANGE: f32 = 8.0;
/// How many frames after a change the picture before it is looked for: 100 ms at 120 fps.
pub const RETURN_FRAMES: u8 = 12;
/// The picture before a change comes back when a frame differs from it by less than this
/// share of the change.
const BACK: f32 = 0.5;

/// What one decoded frame shows, measured on the small luma picture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStats {
    /// Presentation timestamp in the stream time base.
    pub pts: i64,
    /// Mean absolute luma difference from the previous frame (0 for the first).
    pub diff: f32,
    /// After how many frames (1: the next) the picture before this one comes back, within
    /// [`RETURN_FRAMES`]: a flash; `None` after a cut. Measured only on a frame that changes by
    /// [`MIN_CHANGE`] or more: none other can be a flash.
    pub returns_after: Option<u8>,
    /// Centroid of the changed pixels `(x, y)` in picture widths, when enough of them changed.
    pub centroid: Option<(f32, f32)>,
}

/// The analysed video stream.
#[derive(Debug, Clone)]
pub struct VideoTrack {
    /// Time base of [`FrameStats::pts`] and of the lengths here.
    pub time_base: TimeBase,
    /// One frame at the nominal rate ([`VideoIndex::frame_ticks`]).
    pub frame: Ticks,
    /// End of the last frame shown, as the video index reads it ([`VideoIndex::end`]).
    pub end: Ticks,
    /// Frames in presentation order.
    pub frames: Vec<FrameStats>,
    /// Packets the decoder skipped as damaged (the picture freezes there).
    pub damaged: u64,
}

impl VideoTrack {
    /// Presentation time of frame `i` in seconds.
    pub fn time(&self, i: usize) -> f64 {
        self.time_base.secs(Ticks(self.frames[i].pts))
    }

    /// One frame at the nominal rate, in seconds.
    pub fn frame_duration(&self) -> f64 {
        self.time_base.secs(self.frame)
    }

    /// End of the last frame shown, in seconds.
    pub fn end(&self) -> f64 {
        self.time_base.secs(self.end)
    }

    /// What the container checks need of the decoded picture.
    pub fn picture(&self) -> Picture {
        Picture {
            shown: (!self.frames.is_empty()).then(|| (self.time(0), self.end())),
            frame_s: self.frame_duration(),
            damaged: self.damaged,
        }
    }
}

/// The result of the pass: the video (when the file has a video stream) and the packet log.
pub struct Scan {
    /// The analysed video stream, `None` without one.
    pub video: Option<VideoTrack>,
    /// The faces seen in it, each with its mouth opening per frame.
    pub faces: Vec<FaceTrack>,
    /// Timestamps of every packet, for the container checks.
    pub packets: PacketLog,
}

/// Decoded frames that may wait for the face thread (references, no pixel copies).
const FACE_QUEUE: usize = 4;

/// Read every packet of `path` once: log timestamps, index and decode the best video stream.
/// The faces are followed on a thread of their own, fed the decoded frames as they come.
pub fn scan(path: &Path, bar: &dyn Progress) -> Result<Scan> {
    let mut input = media::open(path)?;
    let streams = input.streams();
    let video_index = input.best_stream(MediaKind::Video);
    let (audio_index, other_audio) = media::audio_tracks(&input).unzip();
    let mut packets = PacketLog::new(
        &streams,
        video_index,
        audio_index,
        other_audio.unwrap_or_default(),
        input.format_name(),
    );
    let Some(index) = video_index else {
        while let Some(pkt) = input.read_packet()? {
            packets.record(&pkt);
        }
        return Ok(Scan {
            video: None,
            faces: Vec::new(),
            packets,
        });
    };
    let info = &streams[index];
    let (width, height) = (info.params.width(), info.params.height());
    let shown = Shown::new(width, height, info.sample_aspect, info.rotation);
    let (w, h) = analysis_size(width, height);
    let opts = DecoderOptions {
        skip_loop_filter: true,
        fast: true,
        threads: 0,
        area_scaling: true,
    };
    let mut dec = VideoDecoder::with_options(&input, index, None, opts)?;
    bar.set_total(info.frames.max(1) as u64);
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<VideoFrame>(FACE_QUEUE);
        let faces = s.spawn(move || -> Result<Vec<FaceTrack>> {
            let mut mouths = Mouths::new(width, height, shown).map_err(|e| face_error(path, e))?;
            for frame in rx {
                mouths.add(path, &frame)?;
            }
            Ok(mouths.tracker.finish())
        });
        let mut a = Analyser::new(Scaler::new(Pixel::Gray, w, h, true), tx);
        let mut decode = || -> Result<VideoTrack> {
            let ix = VideoIndex::read(path, &mut input, |pkt| {
                packets.record(pkt);
                if pkt.stream() == index {
                    dec.push(pkt, |frame| a.take(frame))?;
                    bar.advance(1);
                }
                Ok(())
            })?;
            dec.finish(|frame| a.take(frame))?;
            Ok(a.finish(&ix, dec.damaged_packets()))
        };
        let video = decode();
        // The face thread ends when its queue closes: also when the decode failed.
        drop(a);
        let faces = faces
            .join()
            .unwrap_or_else(|_| Err(Error::bad_input(path, "face analysis panicked")));
        Ok(Scan {
            video: Some(video?),
            faces: faces?,
            packets,
        })
    })
}

fn face_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::bad_input(path, format!("face analysis failed: {e}"))
}

/// `(w, h)` scaled by `scale` (never enlarged), sides even.
fn fit(w: u32, h: u32, scale: f64) -> (u32, u32) {
    let scale = scale.min(1.0);
    let side = |v: u32| (((f64::from(v) * scale).round() as u32) / 2 * 2).max(2);
    (side(w), side(h))
}

/// The face thread's state: the tracker (of the picture as shown) and what makes the pictures
/// it asks for.
struct Mouths {
    tracker: face::Tracker,
    shown: Shown,
    small: Scaler,
    /// The box-average factor of the landmark crops ([`face::reduction`]).
    reduce: usize,
    scratch: yuv::Scratch,
    /// Converts frames of other formats to planar YUV (made full size, only for those).
    planar: Scaler,
}

impl Mouths {
    /// For decoded frames of `w` x `h` pixels, shown as `shown`.
    fn new(w: u32, h: u32, shown: Shown) -> TractResult<Self> {
        let (w, h) = (w.max(2), h.max(2));
        let (shown_w, shown_h) = shown.size();
        let side = face::detect::SIZE as f64;
        // The small picture as shown, scaled from the stored frame before it is turned.
        let (sw, sh) = shown.turned(fit(
            shown_w,
            shown_h,
            side / f64::from(shown_w.max(shown_h)),
        ));
        Ok(Self {
            tracker: face::Tracker::new(shown_w, shown_h)?,
            shown,
            small: Scaler::new(Pixel::Rgb24, sw, sh, true),
            reduce: face::reduction(w, h),
            scratch: yuv::Scratch::default(),
            planar: Scaler::new(Pixel::Yuv420p, w, h, false),
        })
    }

    fn add(&mut self, path: &Path, frame: &VideoFrame) -> Result<()> {
        let mut pictures = FramePictures {
            frame,
            shown: self.shown,
            small: &mut self.small,
            reduce: self.reduce,
            scratch: &mut self.scratch,
            planar: &mut self.planar,
        };
        self.tracker
            .add(&mut pictures)
            .map_err(|e| face_error(path, e))
    }
}

/// One decoded frame, giving the tracker the pictures it asks for, as shown.
struct FramePictures<'a> {
    frame: &'a VideoFrame,
    shown: Shown,
    small: &'a mut Scaler,
    reduce: usize,
    scratch: &'a mut yuv::Scratch,
    planar: &'a mut Scaler,
}

impl face::Pictures for FramePictures<'_> {
    fn small(&mut self) -> TractResult<Rgb> {
        Ok(self.shown.turn(rgb(&self.small.run(self.frame)?)))
    }

    fn crop(&mut self, roi: &Roi, n: usize) -> TractResult<Vec<f32>> {
        let converted;
        let frame = match self.frame.planar_yuv() {
            Some(_) => self.frame,
            None => {
                converted = self.planar.run(self.frame)?;
                &converted
            }
        };
        let pic = planes(frame).ok_or_else(|| TractError::msg("no planar YUV picture"))?;
        // A box of margin keeps the bilinear reads at the crop's edge inside the reduced area.
        let k = self.reduce as f32;
        if self.shown.as_stored() {
            let (x0, y0, x1, y1) = roi.bounds();
            let area = (x0 - k, y0 - k, x1 + k, y1 + k);
            return Ok(roi.sample(&pic.reduced(self.reduce, area, self.scratch), n));
        }
        // The crop's grid (its pixel (0, 0)'s centre and one pixel right and down) on the
        // stored picture, and the area it covers there.
        let to_stored = |u: f32, v: f32| self.shown.to_stored(roi.to_picture(u, v, n));
        let at = to_stored(0.5, 0.5);
        let step = |(x, y): (f32, f32)| (x - at.0, y - at.1);
        let (du, dv) = (step(to_stored(1.5, 0.5)), step(to_stored(0.5, 1.5)));
        let (x0, y0, x1, y1) = roi.bounds();
        let corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].map(|c| self.shown.to_stored(c));
        let (xs, ys) = (corners.map(|c| c.0), corners.map(|c| c.1));
        let min = |v: [f32; 4]| v.into_iter().fold(f32::MAX, f32::min);
        let max = |v: [f32; 4]| v.into_iter().fold(f32::MIN, f32::max);
        let area = (min(xs) - k, min(ys) - k, max(xs) + k, max(ys) + k);
        Ok(pic
            .reduced(self.reduce, area, self.scratch)
            .sample(at, du, dv, n))
    }
}

/// The planes of an 8-bit planar YUV frame.
fn planes(frame: &VideoFrame) -> Option<Yuv<'_>> {
    let layout = frame.planar_yuv()?;
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let plane = |i: usize, (sx, sy): (u8, u8)| Plane {
        data: frame.plane(i),
        stride: frame.stride(i),
        width: w.div_ceil(1 << sx),
        height: h.div_ceil(1 << sy),
        texel: (1 << sx, 1 << sy),
        origin: (0, 0),
    };
    let c = layout.chroma_shift;
    Some(Yuv {
        planes: [plane(0, (0, 0)), plane(1, c), plane(2, c)],
        full_range: layout.full_range,
    })
}

/// The packed RGB bytes of an `Rgb24` frame.
fn rgb(frame: &VideoFrame) -> Rgb {
    let (w, h) = (frame.width() as usize, frame.height() as usize);
    let stride = frame.stride(0);
    let plane = frame.plane(0);
    let mut data = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        data.extend_from_slice(&plane[y * stride..y * stride + w * 3]);
    }
    Rgb {
        width: w,
        height: h,
        data,
    }
}

/// The analysis picture size: `ANALYSIS_WIDTH` wide (or less for smaller input), aspect kept,
/// even height.
fn analysis_size(w: u32, h: u32) -> (u32, u32) {
    if w == 0 || h == 0 {
        return (ANALYSIS_WIDTH, ANALYSIS_WIDTH * 9 / 16);
    }
    let aw = ANALYSIS_WIDTH.min(w);
    let ah = ((u64::from(aw) * u64::from(h) / u64::from(w)) as u32 / 2 * 2).max(2);
    (aw, ah)
}

/// Turns decoded frames into [`FrameStats`] (keeping the last [`RETURN_FRAMES`] + 1 pictures)
/// and passes them on to the face thread.
struct Analyser {
    gray: Scaler,
    /// The face thread's queue; `None` once it has stopped (its error is reported at the end).
    faces: Option<SyncSender<VideoFrame>>,
    frames: Vec<FrameStats>,
    /// The pictures of the last frames, the newest last.
    recent: VecDeque<Vec<u8>>,
}

impl Analyser {
    fn new(gray: Scaler, faces: SyncSender<VideoFrame>) -> Self {
        Self {
            gray,
            faces: Some(faces),
            frames: Vec::new(),
            recent: VecDeque::new(),
        }
    }

    /// Analyse one decoded frame (one without a timestamp is skipped); always `Ok(true)`: the
    /// decode goes on even when the face thread has stopped.
    fn take(&mut self, frame: VideoFrame) -> Result<bool> {
        if frame.pts().is_none() {
            return Ok(true);
        }
        let small = self.gray.run(&frame)?;
        if let Some(tx) = &self.faces {
            if tx.send(frame).is_err() {
                self.faces = None;
            }
        }
        self.add(&small);
        Ok(true)
    }

    fn add(&mut self, frame: &VideoFrame) {
        let Some(pts) = frame.pts() else { return };
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let stride = frame.stride(0);
        let plane = frame.plane(0);
        let pic: Vec<u8> = (0..h)
            .flat_map(|y| plane[y * stride..y * stride + w].iter().copied())
            .collect();
        let (diff, centroid) = match self.recent.back() {
            Some(prev) => change(&pic, prev, w),
            None => (0.0, None),
        };
        // Does this picture bring back the one before a recent change (a flash ending)?
        let n = self.frames.len();
        for k in 1..=usize::from(RETURN_FRAMES).min(n) {
            let (Some(before), s) = (
                (self.recent.len().checked_sub(k + 1)).map(|b| &self.recent[b]),
                &mut self.frames[n - k],
            ) else {
                break;
            };
            if s.diff >= MIN_CHANGE
                && s.returns_after.is_none()
                && mean_abs_diff(&pic, before) < BACK * s.diff
            {
                s.returns_after = Some(k as u8);
            }
        }
        self.frames.push(FrameStats {
            pts,
            diff,
            returns_after: None,
            centroid,
        });
        if self.recent.len() > usize::from(RETURN_FRAMES) {
            self.recent.pop_front();
        }
        self.recent.push_back(pic);
    }

    /// The video track of the stream `index` describes, `damaged` packets skipped in decoding;
    /// the face thread's queue closes.
    fn finish(&mut self, index: &VideoIndex, damaged: u64) -> VideoTrack {
        self.faces = None;
        VideoTrack {
            time_base: index.time_base,
            frame: index.frame_ticks(),
            end: index.end,
            frames: std::mem::take(&mut self.frames),
            damaged,
        }
    }
}

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f32 {
    let sum: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    sum as f32 / a.len().max(1) as f32
}

/// Mean absolute difference of `pic` from `prev`, and the centroid of the pixels that changed
/// beyond compression noise (in picture widths), when at least a few did.
fn change(pic: &[u8], prev: &[u8], w: usize) -> (f32, Option<(f32, f32)>) {
    let (mut sum, mut mass, mut mx, mut my) = (0u64, 0u64, 0u64, 0u64);
    for (i, (a, b)) in pic.iter().zip(prev).enumerate() {
        let d = a.abs_diff(*b);
        sum += u64::from(d);
        if d > NOISE {
            let d = u64::from(d);
            mass += d;
            mx += d * (i % w) as u64;
            my += d * (i / w) as u64;
        }
    }
    let diff = sum as f32 / pic.len().max(1) as f32;
    let centroid = (mass >= 4 * 255).then(|| {
        let wf = w as f32;
        (
            (mx as f32 / mass as f32 + 0.5) / wf,
            (my as f32 / mass as f32 + 0.5) / wf,
        )
    });
    (diff, centroid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_size_keeps_aspect() {
        assert_eq!(analysis_size(1920, 1080), (96, 54));
        assert_eq!(analysis_size(360, 640), (96, 170));
        assert_eq!(analysis_size(64, 36), (64, 36));
    }

    #[test]
    fn centroid_of_a_moved_block() {
        let w = 16;
        let mut a = vec![0u8; w * 8];
        let mut b = vec![0u8; w * 8];
        for y in 2..4 {
            for x in 0..2 {
                a[y * w + 4 + x] = 200;
                b[y * w + 8 + x] = 200;
            }
        }
        let (diff, c) = change(&b, &a, w);
        assert!(diff > 0.0);
        let (x, y) = c.unwrap();
        assert!((x * 16.0 - 7.0).abs() < 1e-4, "{x}");
        assert!((y * 16.0 - 3.0).abs() < 1e-4, "{y}");
    }
}
