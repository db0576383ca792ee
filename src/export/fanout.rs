//! An export's fan-out: the source's pictures handed to every branch, in waves of encodes.

use super::branch::Msg;
use super::motion::Tracker;
use super::plan::{Job, Plan};
use super::square::SquarePixels;
use super::THUMBNAIL_BOX;
use crate::error::Result;
use crate::sheet::RgbImage;
use crate::time::Instants;
use cutroom_ffi::{rescale, Decoder as _, Input, Rational, VideoDecoder, VideoFrame};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::Arc;

/// Decoded frames a branch may fall behind the decoder (bounds memory, keeps branches close).
pub(super) const QUEUE_FRAMES: usize = 8;

/// What hands every picture to a [`Fanout`] (on the export's own thread); `Ok(false)` when a
/// branch hung up.
pub(super) type Feed<'a> = Box<dyn FnMut(&mut Fanout<'_>) -> Result<bool> + 'a>;

/// Where an export's pictures come from.
pub(super) enum Source<'a> {
    /// A file, decoded again for each wave of encodes.
    Replayable(Feed<'a>),
    /// Pictures made once (a [`FrameFeed`](super::FrameFeed)): every encode runs in one wave.
    Once(Feed<'a>),
}

/// Pixels of output frames an export encodes at once (two 1080x1920 encodes); encodes beyond
/// wait for a later wave over a replayable source. x264 holds about 75 bytes per pixel of its
/// frames at the presets' `veryfast` (about 150 MB for one 1080x1920 encode on one thread,
/// measured with the ffmpeg CLI), so TikTok, square and YouTube at once would take an export
/// of any length over 500 MB.
pub(super) const WAVE_PIXELS: u64 = 2 * 1080 * 1920;

/// The jobs in runs encoded at once: consecutive jobs while their frames fit in
/// [`WAVE_PIXELS`] (at least one a wave); all of them in one run when the source plays once.
pub(super) fn waves(jobs: &[Job], plans: &[Plan], replayable: bool) -> Vec<std::ops::Range<usize>> {
    let pixels = |j: &Job| {
        let p = &plans[j.outputs[0]].preset;
        u64::from(p.width) * u64::from(p.height)
    };
    let mut waves: Vec<std::ops::Range<usize>> = Vec::new();
    let mut held = 0;
    for (i, job) in jobs.iter().enumerate() {
        match waves.last_mut() {
            Some(w) if !replayable || held + pixels(job) <= WAVE_PIXELS => {
                w.end = i + 1;
                held += pixels(job);
            }
            _ => {
                waves.push(i..i + 1);
                held = pixels(job);
            }
        }
    }
    waves
}

/// Set by `cutroom batch`, which runs as many exports side by side as there are cores.
pub(super) static ONE_THREAD_EACH: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// From now on every encoder runs on one thread: exports side by side (one per core) then
/// never run more encoder threads than cores, and a deliverable is the same bytes whatever the
/// number of exports beside it (x264's output depends on its thread count).
pub fn one_thread_per_encoder() {
    ONE_THREAD_EACH.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// x264 threads per branch: one under [`one_thread_per_encoder`]; else automatic for one
/// output, and for several the cores (with x264's usual 1.5 threads per core) shared out, so
/// the encoders do not oversubscribe the machine.
pub(super) fn encoder_threads(branches: usize) -> usize {
    if ONE_THREAD_EACH.load(std::sync::atomic::Ordering::Relaxed) {
        return 1;
    }
    if branches <= 1 {
        return 0;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 3).div_ceil(2 * branches).max(1)
}

/// Hands every picture of the source to every branch: with square pixels, pts counted from
/// the first frame, and its centre of motion when tracking; keeps the thumbnails asked for.
pub(super) struct Fanout<'a> {
    pub(super) senders: &'a [SyncSender<Msg>],
    pub(super) square: &'a mut SquarePixels,
    pub(super) tracker: Option<Tracker>,
    pub(super) thumbs: Thumbnails<'a>,
    /// Ticks of one frame at the nominal rate (for a frame without pts).
    pub(super) period: i64,
    /// The first frame's pts.
    pub(super) origin: Option<i64>,
    pub(super) last: Option<i64>,
    pub(super) input: &'a Path,
}

impl Fanout<'_> {
    /// Send `frame` on; `Ok(false)` when a branch hung up (it failed and reports why).
    fn send(&mut self, frame: VideoFrame) -> Result<bool> {
        let pts = frame
            .pts()
            .unwrap_or_else(|| self.last.map_or(0, |l| l + self.period));
        self.last = Some(pts);
        let frame = self.square.convert(frame, self.input)?;
        let origin = *self.origin.get_or_insert(pts);
        self.thumbs.offer(&frame, pts - origin)?;
        let centre = match self.tracker.as_mut() {
            Some(t) => t.track(&frame)?,
            None => None,
        };
        let frame = Arc::new(frame);
        Ok(self.senders.iter().all(|tx| {
            tx.send(Msg::Frame(Arc::clone(&frame), pts - origin, centre))
                .is_ok()
        }))
    }
}

/// Decode stream `v` of `input` once into `fanout`. `Ok(false)` when a branch hung up.
pub(super) fn decode(mut input: Input, v: usize, fanout: &mut Fanout<'_>) -> Result<bool> {
    let mut dec = VideoDecoder::new(&input, v, None)?;
    dec.decode_input(&mut input, |frame| fanout.send(frame))
}

/// Pass the frames of a [`FrameFeed`](super::FrameFeed) into `fanout` until its producer hangs
/// up. `Ok(false)` when a branch hung up.
pub(super) fn forward(
    frames: Receiver<Result<VideoFrame>>,
    fanout: &mut Fanout<'_>,
) -> Result<bool> {
    for frame in frames {
        if !fanout.send(frame?)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The pictures a decode keeps (see [`Request::thumbnails`](super::Request::thumbnails)).
pub(super) struct Thumbnails<'a> {
    /// Times still wanted, in the stream's time base from the first frame, latest first.
    wanted: Vec<i64>,
    pub(super) taken: Vec<RgbImage>,
    input: &'a Path,
}

impl<'a> Thumbnails<'a> {
    pub(super) fn new(wanted: Option<&Instants>, time_base: Rational, input: &'a Path) -> Self {
        let ticks = |w: &Instants| -> Vec<i64> {
            let from = w.time_base.rational();
            w.ticks
                .iter()
                .rev()
                .map(|t| rescale(t.0, from, time_base))
                .collect()
        };
        Self {
            wanted: wanted.map_or_else(Vec::new, ticks),
            taken: Vec::new(),
            input,
        }
    }

    /// Keep `frame` (at `pts` from the first frame) for every wanted time it reaches.
    fn offer(&mut self, frame: &VideoFrame, pts: i64) -> Result<()> {
        while self.wanted.last().is_some_and(|&t| pts >= t) {
            self.wanted.pop();
            let (w, h) = (frame.width().max(1), frame.height().max(1));
            let scale = f64::from(THUMBNAIL_BOX) / f64::from(w.max(h));
            let fit = |n: u32| ((f64::from(n) * scale).round() as u32).max(1);
            self.taken
                .push(RgbImage::from_frame(frame, fit(w), fit(h), self.input)?);
        }
        Ok(())
    }
}
