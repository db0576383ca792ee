//! One encode of an export: its own thread taking shared decoded frames, conforming them to
//! the output frame rate, reframing them in its own filter graph, encoding them once and
//! writing the packets to every output that asked for exactly this encode.

use super::cover::{Pick, Picker};
use super::faces::{Aim, Face, FocusReport};
use super::motion::Smoother;
use super::reframe::{cover_window, filter_graph, follow_graph, follow_window, Focus, Reframe};
use crate::avwrite::{AvWriter, EncodedAudio};
use crate::cadence::Cadence;
use crate::error::{Error, Result};
use crate::output::AtomicOutput;
use crate::picture::turn::Turn;
use crate::progress::Progress;
use crate::sheet::RgbImage;
use crate::time::Ticks;
use cutroom_ffi::{Packet, Pixel, VideoEncoder, VideoEncoderConfig, VideoFilter, VideoFrame};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// What the decoding thread sends to every branch.
pub(crate) enum Msg {
    /// A decoded frame (shared by all branches), its pts in source ticks from the first frame,
    /// and what `--focus auto` follows in it.
    Frame(Arc<VideoFrame>, Ticks, Seen),
    /// The source ended normally; anything else ending the channel aborts the branch.
    End,
}

/// What `--focus auto` saw in a frame (nothing without it).
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    /// Its centre of motion.
    pub motion: Option<(f64, f64)>,
    /// Its faces (shared by all branches).
    pub faces: Option<Arc<[Face]>>,
}

/// Everything one branch needs to know before the first frame.
pub(crate) struct Branch {
    /// Final paths of the outputs (identical files, e.g. for TikTok, Reels and Shorts).
    pub targets: Vec<PathBuf>,
    /// The output grid (rate and exact frame count).
    pub cadence: Cadence,
    /// Encoder settings (size, rate, quality, GOP, threads).
    pub encoder: VideoEncoderConfig,
    /// Reframing.
    pub reframe: Reframe,
    /// Turn applied to show the source upright.
    pub turn: Turn,
    /// Output frame to keep as an RGB snapshot at half size (for `--safe-zones`).
    pub snapshot_at: Option<u64>,
    /// Filters drawing captions and overlays on the reframed picture (a chain continuing it).
    pub burn: Option<String>,
    /// The output frame to keep as the cover, if any.
    pub cover: Option<Pick>,
    /// Where the picture is (`[x0, y0, x1, y1]` fractions) when bars surround it, the area
    /// the cover is picked by.
    pub picture: Option<[f64; 4]>,
}

/// A finished branch.
pub(crate) struct Finished {
    /// The filter graph it ran.
    pub filter: String,
    /// The snapshot, when asked for.
    pub snapshot: Option<RgbImage>,
    /// Its outputs, complete at their temp paths, in the order of [`Branch::targets`].
    pub outputs: Vec<AtomicOutput>,
    /// The cover frame, when asked for.
    pub cover: Option<VideoFrame>,
    /// The cover is the sharpest of frames all blank ([`Picker::blank`]).
    pub blank_cover: bool,
    /// What a moving window (`--focus auto`) followed.
    pub focus: Option<FocusReport>,
}

/// Run `b` until the source ends, its outputs carrying `audio` (none for `--no-audio`):
/// `Ok(None)` when the source stopped without finishing (the decoder or another branch failed
/// and reports why); the outputs are then not written.
pub(crate) fn run(
    b: Branch,
    audio: Option<EncodedAudio>,
    rx: Receiver<Msg>,
    progress: &dyn Progress,
) -> Result<Option<Finished>> {
    let enc = VideoEncoder::new(&b.encoder)?;
    let (params, tb) = (enc.params(), enc.time_base());
    let out = b
        .targets
        .iter()
        .map(|t| AvWriter::create_encoded(t, &params, tb, audio.clone()))
        .collect::<Result<_>>()?;
    let mut stage = Stage {
        filter: None,
        graph: String::new(),
        enc,
        out,
        b: &b,
        window: None,
        aim: None,
        snapshot: None,
        cover: Picker::within(b.picture),
        encoded: 0,
        progress,
    };
    let mut source = Source {
        cadence: b.cadence.clone(),
        prev: None,
    };
    // --focus auto: frames wait about a second for their future, then are cropped to the
    // smoothed window before the graph.
    let follow = b.reframe.follow_motion;
    let radius = (b.cadence.time_base().rational().invert().as_f64().round() as usize).max(1);
    let mut smoother = Smoother::new(radius);
    loop {
        match rx.recv() {
            Ok(Msg::Frame(frame, pts, seen)) if follow => {
                let aim = stage.aim.get_or_insert_with(|| b.aim(&frame));
                let centre = aim.centre(seen.faces.as_deref(), seen.motion);
                if let Some(((frame, pts), c)) = smoother.push((frame, pts), centre) {
                    let frame = stage.follow_crop(frame, c)?;
                    source.show(&mut stage, frame, pts)?;
                }
            }
            Ok(Msg::Frame(frame, pts, _)) => source.show(&mut stage, frame, pts)?,
            Ok(Msg::End) => break,
            Err(_) => return Ok(None),
        }
    }
    for ((frame, pts), c) in smoother.finish() {
        let frame = stage.follow_crop(frame, c)?;
        source.show(&mut stage, frame, pts)?;
    }
    let last = source
        .prev
        .ok_or_else(|| Error::bad_input(&b.targets[0], "the source has no video frames"))?;
    for k in source.cadence.rest() {
        stage.push(&last, k)?;
    }
    stage.finish()
}

impl Branch {
    /// `--focus auto`: the aim of a window of this output's shape over pictures like `frame`.
    fn aim(&self, frame: &VideoFrame) -> Aim {
        let (w, h) = self.turn.apply(frame.width(), frame.height());
        let (cfg, centre) = (&self.encoder, Focus::default());
        let win = cover_window(w, h, cfg.width, cfg.height, centre);
        Aim::new((
            f64::from(win.w) / f64::from(w.max(1)),
            f64::from(win.h) / f64::from(h.max(1)),
        ))
    }
}

/// Source frames on their way to the output grid.
struct Source {
    cadence: Cadence,
    /// The frame on screen until the next one starts.
    prev: Option<Arc<VideoFrame>>,
}

impl Source {
    /// A source frame starts at `pts`: the output frames up to it show the previous one.
    fn show(&mut self, stage: &mut Stage, frame: Arc<VideoFrame>, pts: Ticks) -> Result<()> {
        if let Some(p) = &self.prev {
            for k in self.cadence.until(pts) {
                stage.push(p, k)?;
            }
        }
        self.prev = Some(frame);
        Ok(())
    }
}

/// The filter, encoder and writers of a branch.
struct Stage<'a> {
    filter: Option<VideoFilter>,
    graph: String,
    enc: VideoEncoder,
    /// One writer per target.
    out: Vec<AvWriter>,
    b: &'a Branch,
    /// `--focus auto`: the size of the moving crop window, once frames are cropped.
    window: Option<(u32, u32)>,
    /// `--focus auto`: where each frame's window is aimed.
    aim: Option<Aim>,
    snapshot: Option<RgbImage>,
    cover: Picker,
    encoded: u64,
    progress: &'a dyn Progress,
}

impl Stage<'_> {
    /// Show source frame `src` as output frame `k`.
    fn push(&mut self, src: &VideoFrame, k: u64) -> Result<()> {
        if self.filter.is_none() {
            let (b, cfg) = (self.b, &self.b.encoder);
            let graph = match self.window {
                Some(_) => follow_graph(b.turn, cfg.width, cfg.height),
                None => filter_graph(
                    src.width(),
                    src.height(),
                    b.turn,
                    cfg.width,
                    cfg.height,
                    &b.reframe,
                ),
            };
            let graph = match &b.burn {
                Some(burn) => format!("{graph},{burn}"),
                None => graph,
            };
            self.graph = match self.window {
                Some((w, h)) => format!("crop={w}:{h}:x(t):y(t):exact=1,{graph}"),
                None => graph.clone(),
            };
            self.filter = Some(VideoFilter::new(
                &graph,
                src.width(),
                src.height(),
                &src.pixel_name(),
                self.b.cadence.time_base().rational(),
                Pixel::Yuv420p,
            )?);
        }
        let mut frame = src.share()?;
        frame.set_pts(Some(k as i64));
        self.filter.as_mut().expect("created above").push(&frame)?;
        self.drain_filter()
    }

    /// `--focus auto`: `frame` cropped (by reference) to the window centred on `centre`.
    fn follow_crop(
        &mut self,
        frame: Arc<VideoFrame>,
        centre: (f64, f64),
    ) -> Result<Arc<VideoFrame>> {
        let (b, cfg) = (self.b, &self.b.encoder);
        match follow_window(
            frame.width(),
            frame.height(),
            b.turn,
            cfg.width,
            cfg.height,
            centre,
        ) {
            Some(r) => {
                self.window = Some((r.w, r.h));
                Ok(Arc::new(frame.crop(r.x, r.y, r.w, r.h)?))
            }
            None => Ok(frame),
        }
    }

    fn drain_filter(&mut self) -> Result<()> {
        while let Some(out) = self
            .filter
            .as_mut()
            .expect("filter exists once frames flow")
            .pull()?
        {
            if self.b.snapshot_at.is_some() && out.pts() == self.b.snapshot_at.map(|k| k as i64) {
                let (w, h) = ((out.width() / 2).max(1), (out.height() / 2).max(1));
                self.snapshot = Some(RgbImage::from_frame(&out, w, h, &self.b.targets[0])?);
            }
            if let (Some(pick), Some(k)) = (self.b.cover, out.pts()) {
                self.cover.offer(pick, k as u64, &out)?;
            }
            self.enc.send(&out)?;
            self.progress.advance(1);
            self.drain_encoder()?;
        }
        Ok(())
    }

    fn drain_encoder(&mut self) -> Result<()> {
        while let Some(mut pkt) = self.enc.receive()? {
            // x264 leaves durations unset; in the encoder time base a frame is one tick, and the
            // muxer needs it for the last frame's duration.
            pkt.set_duration(1);
            self.encoded += 1;
            write(&mut self.out, pkt)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Option<Finished>> {
        if let Some(f) = self.filter.as_mut() {
            f.push_eof()?;
            self.drain_filter()?;
        }
        self.enc.send_eof()?;
        self.drain_encoder()?;
        let total = self.b.cadence.total();
        if self.encoded != total {
            return Err(Error::bad_input(
                &self.b.targets[0],
                format!("encoded {} frames, expected {total}", self.encoded),
            ));
        }
        let outputs = self
            .out
            .into_iter()
            .map(AvWriter::close)
            .collect::<Result<_>>()?;
        Ok(Some(Finished {
            focus: self.window.and(self.aim.as_ref()).map(Aim::report),
            filter: self.graph,
            snapshot: self.snapshot,
            outputs,
            blank_cover: self.cover.blank(),
            cover: self.cover.take(),
        }))
    }
}

/// Write `pkt` to every writer (copies for all but the last).
fn write(writers: &mut [AvWriter], pkt: Packet) -> Result<()> {
    let Some((last, rest)) = writers.split_last_mut() else {
        return Ok(());
    };
    for w in rest {
        w.write_video(pkt.clone())?;
    }
    last.write_video(pkt)
}
