//! An export's fan-out: the source's pictures handed to every branch, in waves of encodes.

use super::branch::{self, Branch, Finished, Msg, Seen};
use super::faces::Finder;
use super::motion::Tracker;
use super::plan::{encoder_config, nominal_rate, PictureInfo};
use super::plan::{Job, Plan};
use super::THUMBNAIL_BOX;
use super::{cover, EncoderThreads, Request};
use crate::avwrite::EncodedAudio;
use crate::error::{Error, Result};
use crate::picture::square::SquarePixels;
use crate::progress::{Progress, Skipped, Stream};
use crate::sheet::RgbImage;
use crate::time::{Instants, Ticks, TimeBase};
use cutroom_ffi::{rescale, Decoder as _, Input, VideoDecoder, VideoFrame};
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Decoded frames a branch may fall behind the decoder (bounds memory, keeps branches close).
const QUEUE_FRAMES: usize = 8;

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

/// Pixels of output frames an export encodes at once (one 1080x1920 encode); encodes beyond
/// wait for a later wave over a replayable source. x264 holds about 75 bytes per pixel of its
/// frames at the presets' `veryfast` (about 150 MB for one 1080x1920 encode on one thread,
/// measured with the ffmpeg CLI), more with frame threads: TikTok and square at once took
/// 390 MB (release build) beside the 160 MB a 10-minute export holds otherwise (its
/// soundtracks' AAC among it), over the 500 MB goal.
const WAVE_PIXELS: u64 = 1080 * 1920;

/// The jobs in runs encoded at once: consecutive jobs while their frames fit in
/// [`WAVE_PIXELS`] (at least one a wave); all of them in one run when the source plays once.
fn waves(jobs: &[Job], plans: &[Plan], replayable: bool) -> Vec<std::ops::Range<usize>> {
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

/// What every wave's branches are made of: the export's outputs, its encodes and the burn-in
/// filters of each encode.
pub(super) struct Encodes<'a> {
    pub(super) req: &'a Request,
    pub(super) picture: &'a PictureInfo,
    pub(super) plans: &'a [Plan],
    pub(super) jobs: &'a [Job],
    /// Per job, the filters drawing captions and overlays.
    pub(super) burns: &'a [Option<String>],
}

/// What the branches of an export give back, in job order.
pub(super) type Ran = Vec<Result<Option<Finished>>>;

/// Run the encodes of `e`, each carrying its one of `soundtracks`, in waves (see [`waves`]), each
/// wave fed every picture of `source`; the pictures go through `square` first. Returns the
/// thumbnails (taken in the first wave) and every branch's result; no wave starts after one in
/// which a branch failed.
pub(super) fn encode(
    e: &Encodes<'_>,
    square: &mut SquarePixels,
    mut soundtracks: Vec<Option<EncodedAudio>>,
    source: Source<'_>,
    progress: &dyn Progress,
) -> Result<(Vec<RgbImage>, Ran)> {
    let (replayable, mut source) = match source {
        Source::Replayable(f) => (true, f),
        Source::Once(f) => (false, f),
    };
    // Checked before any picture is decoded.
    let covers = e
        .jobs
        .iter()
        .map(|job| {
            let lead = &e.plans[job.outputs[0]];
            (e.req.cover)
                .map(|c| cover::Pick::of(c, job.cadence.total(), lead.rate))
                .transpose()
                .map_err(|m| Error::bad_input(&lead.target, m))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut thumbnails = Vec::new();
    let mut branches = Vec::new();
    for wave in waves(e.jobs, e.plans, replayable) {
        let threads = encoder_threads(wave.len(), e.req.encoder_threads);
        let first = wave.start == 0;
        let names: Vec<&str> = e.jobs[wave.clone()]
            .iter()
            .flat_map(|j| &j.outputs)
            .map(|&i| e.plans[i].preset.name.as_str())
            .collect();
        progress.status(&format!("encoding {}", names.join(", ")));
        let follow = e.req.reframe.follow_motion;
        let mut finder = follow
            .then(|| Finder::new(e.picture.turn, &e.req.input))
            .transpose()?;
        let (decoded, ran) = std::thread::scope(|s| {
            let mut frame_txs = Vec::new();
            let mut handles = Vec::new();
            for (i, job) in e.jobs.iter().enumerate().take(wave.end).skip(wave.start) {
                let (tx, rx) = sync_channel(QUEUE_FRAMES);
                let soundtrack = std::mem::take(&mut soundtracks[i]);
                let lead = &e.plans[job.outputs[0]];
                let b = Branch {
                    targets: job
                        .outputs
                        .iter()
                        .map(|&i| e.plans[i].target.clone())
                        .collect(),
                    cadence: job.cadence.clone(),
                    encoder: encoder_config(lead, e.req, threads, soundtrack.as_ref()),
                    reframe: e.req.reframe,
                    turn: e.picture.turn,
                    snapshot_at: job.snapshot_at,
                    burn: e.burns[i].clone(),
                    cover: covers[i],
                    picture: super::reframe::picture_area(
                        e.picture.size.0,
                        e.picture.size.1,
                        lead.preset.width,
                        lead.preset.height,
                        &e.req.reframe,
                    ),
                };
                handles.push(s.spawn(move || branch::run(b, soundtrack, rx, progress)));
                frame_txs.push(tx);
            }
            // Thumbnails are taken in the first wave.
            let wanted = e.req.thumbnails.as_ref().filter(|_| first);
            let mut fanout = Fanout {
                senders: &frame_txs,
                square: &mut *square,
                tracker: follow.then(|| Tracker::new(e.picture.turn)),
                finder: finder.take(),
                thumbs: Thumbnails::new(wanted, e.picture.time_base, &e.req.input),
                period: match nominal_rate(&e.picture.rates) {
                    r if r.is_unknown() => Ticks(1),
                    r => Ticks(rescale(1, r.invert(), e.picture.time_base.rational()).max(1)),
                },
                origin: e.picture.start_time,
                last: None,
                input: &e.req.input,
                progress,
            };
            let decoded = source(&mut fanout).map(|all| (all, fanout.thumbs.taken));
            if matches!(decoded, Ok((true, _))) {
                for tx in &frame_txs {
                    // A branch that already failed reports its own error below.
                    let _ = tx.send(Msg::End);
                }
            }
            drop(frame_txs);
            let ran: Vec<_> = handles
                .into_iter()
                .map(|h| h.join().expect("export branch panicked"))
                .collect();
            (decoded, ran)
        });
        // What the wave's encoders freed goes back before the next wave (or the caller's
        // checks) allocates.
        cutroom_ffi::release_free_memory();
        let (_, taken) = decoded?;
        if first {
            thumbnails = taken;
        }
        let failed = ran.iter().any(|r| !matches!(r, Ok(Some(_))));
        branches.extend(ran);
        if failed {
            break;
        }
    }
    Ok((thumbnails, branches))
}

/// x264 threads per branch of a wave of `branches`: one under [`EncoderThreads::One`]; else
/// automatic for one output, and for several the cores (with x264's usual 1.5 threads per core)
/// shared out, so the encoders do not oversubscribe the machine.
fn encoder_threads(branches: usize, mode: EncoderThreads) -> usize {
    if mode == EncoderThreads::One {
        return 1;
    }
    if branches <= 1 {
        return 0;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 3).div_ceil(2 * branches).max(1)
}

/// Hands every picture of the source to every branch: with square pixels, pts counted from
/// the first frame, and its centre of motion and faces when tracking; keeps the thumbnails
/// asked for.
pub(super) struct Fanout<'a> {
    senders: &'a [SyncSender<Msg>],
    square: &'a mut SquarePixels,
    tracker: Option<Tracker>,
    finder: Option<Finder>,
    thumbs: Thumbnails<'a>,
    /// Ticks of one frame at the nominal rate (for a frame without pts).
    period: Ticks,
    /// The first frame's pts.
    origin: Option<Ticks>,
    last: Option<Ticks>,
    input: &'a Path,
    /// Where a decode reports the damaged packets it skipped.
    progress: &'a dyn Progress,
}

impl Fanout<'_> {
    /// Send `frame` on; `Ok(false)` when a branch hung up (it failed and reports why).
    fn send(&mut self, frame: VideoFrame) -> Result<bool> {
        let pts = frame
            .pts()
            .map(Ticks)
            .unwrap_or_else(|| self.last.map_or(Ticks::ZERO, |l| l + self.period));
        self.last = Some(pts);
        let frame = self.square.convert(frame, self.input)?;
        let origin = *self.origin.get_or_insert(pts);
        self.thumbs.offer(&frame, pts - origin)?;
        let seen = Seen {
            motion: match self.tracker.as_mut() {
                Some(t) => t.track(&frame)?,
                None => None,
            },
            faces: match self.finder.as_mut() {
                Some(f) => f.look(&frame)?,
                None => None,
            },
        };
        let frame = Arc::new(frame);
        Ok(self.senders.iter().all(|tx| {
            tx.send(Msg::Frame(Arc::clone(&frame), pts - origin, seen.clone()))
                .is_ok()
        }))
    }
}

/// Decode stream `v` of `input` once into `fanout` (the damaged packets skipped reported to its
/// sink). `Ok(false)` when a branch hung up.
pub(super) fn decode(mut input: Input, v: usize, fanout: &mut Fanout<'_>) -> Result<bool> {
    let mut dec = VideoDecoder::new(&input, v, None)?;
    let all = dec.decode_input(&mut input, |frame| fanout.send(frame))?;
    let skipped = Skipped::of(&dec);
    fanout
        .progress
        .damaged(input.path(), Stream::Video, skipped);
    Ok(all)
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
struct Thumbnails<'a> {
    /// Times still wanted, in the stream's time base from the first frame, latest first.
    wanted: Vec<Ticks>,
    taken: Vec<RgbImage>,
    input: &'a Path,
}

impl<'a> Thumbnails<'a> {
    fn new(wanted: Option<&Instants>, time_base: TimeBase, input: &'a Path) -> Self {
        let ticks = |w: &Instants| -> Vec<Ticks> {
            let from = w.time_base;
            w.ticks
                .iter()
                .rev()
                .map(|t| t.rescale(from, time_base))
                .collect()
        };
        Self {
            wanted: wanted.map_or_else(Vec::new, ticks),
            taken: Vec::new(),
            input,
        }
    }

    /// Keep `frame` (at `pts` from the first frame) for every wanted time it reaches.
    fn offer(&mut self, frame: &VideoFrame, pts: Ticks) -> Result<()> {
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
