//! The normalise path: every shot decoded, scaled and padded to the target size, converted to
//! the target frame rate (by [`crate::cadence`]'s rule, as export converts it), faded or crossfaded at transitions, and encoded once with x264.

use super::card;
use super::pixels::{self, weight};
use super::plan::{cover_size, fit_size, Conform, Content, Edge, Plan, PlannedShot, Target};
use super::Options;
use crate::cadence::Slots;
use crate::error::{Error, Result};
use crate::picture::colour;
use crate::picture::square::display_width;
use crate::picture::turn::Turn;
use crate::progress::{Progress, Skipped, Stream};
use crate::time::Ticks;
use cutroom_ffi::{
    CodecParams, Decoder as _, Input, Packet, Pixel, Rational, VideoDecoder, VideoEncoder,
    VideoEncoderConfig, VideoFilter, VideoFrame,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// A caller's reframing of a shot's picture to a frame of another shape: the FFmpeg graph from
/// its upright, square-pixel `(w, h)` (the first) to the frame's `(w, h)` (the second), in place
/// of the cut's conform (see [`crate::concat::NormalisedPicture::reshaped`]).
pub type Refit = Arc<dyn Fn((u32, u32), (u32, u32)) -> String + Send + Sync>;

/// The x264 encoder of the normalise path (its parameters are known before any frame, so the
/// output can be started while it works).
pub struct Normaliser {
    enc: VideoEncoder,
}

impl Normaliser {
    /// Open the encoder for `plan`'s target (a normalise plan: one tick per frame).
    pub fn new(plan: &Plan, opts: &Options) -> Result<Self> {
        let t = &plan.target;
        let fr = t.frame_rate;
        let enc = VideoEncoder::new(&VideoEncoderConfig {
            width: t.width,
            height: t.height,
            frame_rate: fr,
            crf: opts.crf,
            preset: opts.preset.clone(),
            profile: "high".into(),
            gop: ((2 * i64::from(fr.num) + i64::from(fr.den) / 2) / i64::from(fr.den)).max(1)
                as u32,
            max_bit_rate: None,
            threads: 0,
        })?;
        Ok(Self { enc })
    }

    /// Codec parameters for the muxer.
    pub fn params(&self) -> CodecParams {
        self.enc.params()
    }

    /// Time base of the packets (one tick per frame).
    pub fn time_base(&self) -> Rational {
        self.enc.time_base()
    }

    /// Decode (from their files: `inputs`, one per shot, kept open from the reading pass or
    /// `None`), conform and encode every shot of `plan`, handing each packet (in decoding
    /// order) to `sink`.
    pub fn run(
        mut self,
        plan: &Plan,
        inputs: Vec<Option<Input>>,
        bar: &dyn Progress,
        mut sink: impl FnMut(Packet) -> Result<()>,
    ) -> Result<()> {
        let enc = &mut self.enc;
        frames(plan, inputs, bar, false, None, |frame| {
            enc.send(frame)?;
            drain(enc, &mut sink)
        })?;
        enc.send_eof()?;
        drain(enc, &mut sink)
    }
}

/// Decode (from their files: `inputs`, one per shot, kept open from the reading pass or `None`)
/// and conform every shot of `plan`, handing each output picture in order to `each`: the
/// target's size and `yuv420p`, square pixels, faded or crossfaded at transitions, pts counted
/// in frames from 0 (one tick of the target time base per frame). `bar` advances once per shot
/// and hears of the damaged packets each shot's decoder skipped. With `cards_drawn` (the
/// caller draws the cards over the frames, fading, [`crate::captions::ass::script`]) a
/// crossfade with a card is not blended: its frames are the other shot's (the outgoing
/// shot's when a card comes in), so the card drawn over them crossfades once, linearly. With
/// `refit`, each file's picture is brought to the target by it rather than by its conform.
pub fn frames(
    plan: &Plan,
    inputs: Vec<Option<Input>>,
    bar: &dyn Progress,
    cards_drawn: bool,
    refit: Option<&Refit>,
    mut each: impl FnMut(&VideoFrame) -> Result<()>,
) -> Result<()> {
    // Frames of a shot's crossfade tail, waiting to be mixed into the next shot's head.
    let mut overlap: VecDeque<VideoFrame> = VecDeque::new();
    let mut after_card = false;
    for (shot, kept) in plan.shots.iter().zip(inputs) {
        let card = matches!(shot.content, Content::Card(_));
        let mut reader = Reader::open(shot, kept, &plan.target, refit)?;
        // Output ticks are frames: slot j is the shot's j-th frame.
        let len = shot.len.0;
        for j in 0..len {
            let frame = reader.frame(j)?;
            if let Edge::Crossfade(d) = shot.tail {
                if j >= len - d.0 {
                    overlap.push_back(pixels::copy(frame));
                    continue;
                }
            }
            let shaped = match (shot.head, shot.tail) {
                (Edge::Crossfade(d), _) if j < d.0 => {
                    let prev = overlap
                        .pop_front()
                        .expect("the shot before queued its crossfade tail (same length)");
                    match (cards_drawn, card, after_card) {
                        (true, true, _) => Some(prev),
                        (true, false, true) => None,
                        _ => Some(pixels::blend(&prev, frame, weight(j + 1, d.0 + 1))),
                    }
                }
                (Edge::Fade(h), _) if j < h.0 => Some(pixels::fade(frame, weight(j, h.0))),
                (_, Edge::Fade(k)) if j >= len - k.0 => {
                    Some(pixels::fade(frame, weight(len - 1 - j, k.0)))
                }
                _ => None,
            };
            let pts = Some(shot.start.0 + j);
            match shaped {
                Some(mut f) => {
                    f.set_pts(pts);
                    each(&f)?;
                }
                None => {
                    frame.set_pts(pts);
                    each(frame)?;
                }
            }
        }
        reader.report_damage(bar);
        bar.advance(1);
        after_card = card;
    }
    Ok(())
}

/// Hand the encoder's finished packets to `sink`, each lasting one frame (one tick), so the
/// muxer counts the last frame in the track duration.
fn drain(enc: &mut VideoEncoder, sink: &mut impl FnMut(Packet) -> Result<()>) -> Result<()> {
    while let Some(mut p) = enc.receive()? {
        p.set_duration(1);
        sink(p)?;
    }
    Ok(())
}

/// Serves a shot's conformed frames: decoded from its file, or a card's one picture.
enum Reader<'a> {
    File(Box<ShotReader<'a>>),
    Card(VideoFrame),
}

impl<'a> Reader<'a> {
    fn open(
        shot: &'a PlannedShot,
        kept: Option<Input>,
        t: &Target,
        refit: Option<&'a Refit>,
    ) -> Result<Self> {
        Ok(match &shot.content {
            Content::File(s) => {
                let input = s.reopen(kept)?;
                Self::File(Box::new(ShotReader::open(shot, input, t, refit)?))
            }
            Content::Card(c) => Self::Card(card::picture(c, t.width, t.height)?),
        })
    }

    /// Report the damaged packets the shot's decoder skipped to `progress`.
    fn report_damage(&self, progress: &dyn Progress) {
        if let Self::File(r) = self {
            let skipped = Skipped::of(&r.dec);
            progress.damaged(&r.shot.source().path, Stream::Video, skipped);
        }
    }

    /// The conformed frame for output slot `j` (slots are asked for in order).
    fn frame(&mut self, j: i64) -> Result<&mut VideoFrame> {
        match self {
            Self::File(r) => r.frame(j),
            Self::Card(f) => Ok(f),
        }
    }
}

/// A decoded frame on screen, with its conformed (scaled, padded, `yuv420p`) version once
/// needed.
struct Held {
    raw: VideoFrame,
    conformed: Option<VideoFrame>,
}

/// Serves the conformed source frame for each output slot of one shot.
struct ShotReader<'a> {
    shot: &'a PlannedShot,
    input: Input,
    dec: VideoDecoder,
    target: (u32, u32),
    /// The caller's reframing, in place of the shot's conform.
    refit: Option<&'a Refit>,
    filter: Option<(VideoFilter, (u32, u32, String))>,
    /// The conversion to BT.709 SDR that the source's colour needs, if any.
    colour: Option<String>,
    current: Option<Held>,
    ahead: Option<VideoFrame>,
    eof_sent: bool,
    drained: bool,
    /// The shot's output frames over its source ticks from the in-point.
    slots: Slots,
}

impl<'a> ShotReader<'a> {
    fn open(
        shot: &'a PlannedShot,
        mut input: Input,
        t: &Target,
        refit: Option<&'a Refit>,
    ) -> Result<Self> {
        let s = shot.source();
        // Start decoding at the keyframe before the in-point, by its decoding time (the input
        // was read to its end).
        input.seek_to_keyframe(s.stream(), s.decode_start(shot.in_pts).0)?;
        let colour = colour::graph(&s.info.params.colour(), &s.path)?;
        let dec = VideoDecoder::new(&input, s.stream(), None)?;
        // Output frames at the target rate, at the clip's own speed; a retimed clip spreads
        // its source span over the frames it plays in.
        let slots = match shot.retime.changes_speed() {
            true => Slots::spread(shot.played.0, shot.end_pts - shot.in_pts),
            false => Slots::at_rate(s.time_base, t.frame_rate),
        };
        Ok(Self {
            shot,
            input,
            dec,
            target: (t.width, t.height),
            refit,
            filter: None,
            colour,
            current: None,
            ahead: None,
            eof_sent: false,
            drained: false,
            slots,
        })
    }

    /// The conformed frame for output slot `j` (slots are asked for in order).
    fn frame(&mut self, j: i64) -> Result<&mut VideoFrame> {
        let (from, to) = (self.shot.in_pts, self.shot.end_pts);
        loop {
            if self.ahead.is_none() && !self.drained {
                self.ahead = self.decode_next()?;
            }
            match &self.ahead {
                Some(f) if pts(f) < to.0 && self.slots.first_shown(Ticks(pts(f)) - from) <= j => {
                    let raw = self.ahead.take().expect("matched Some");
                    self.current = Some(Held {
                        raw,
                        conformed: None,
                    });
                }
                _ => break,
            }
        }
        let path = &self.shot.source().path;
        let held = self
            .current
            .as_mut()
            .ok_or_else(|| Error::bad_input(path, "no picture decodes at the shot's in-point"))?;
        if held.conformed.is_none() {
            let info = &self.shot.source().info;
            let shape = (
                info.sample_aspect,
                Turn::from_rotation(info.rotation),
                self.shot.fit,
                self.refit,
            );
            held.conformed = Some(conform(
                &mut self.filter,
                self.target,
                &held.raw,
                shape,
                self.colour.as_deref(),
            )?);
        }
        Ok(held.conformed.as_mut().expect("set above"))
    }

    /// The next decoded frame at or after the in-point, `None` at the end of the stream.
    fn decode_next(&mut self) -> Result<Option<VideoFrame>> {
        let stream = self.shot.source().stream();
        loop {
            if let Some(f) = self.dec.receive()? {
                if f.pts().is_none() {
                    return Err(Error::bad_input(
                        &self.shot.source().path,
                        "decoded a picture without a timestamp",
                    ));
                }
                if pts(&f) >= self.shot.in_pts.0 {
                    return Ok(Some(f));
                }
                continue;
            }
            if self.eof_sent {
                self.drained = true;
                return Ok(None);
            }
            match self.input.read_packet()? {
                Some(p) if p.stream() == stream => self.dec.send(&p)?,
                Some(_) => {}
                None => {
                    self.dec.send_eof()?;
                    self.eof_sent = true;
                }
            }
        }
    }
}

fn pts(f: &VideoFrame) -> i64 {
    f.pts().unwrap_or(i64::MIN)
}

/// Convert `raw` to BT.709 SDR with `colour` (see [`crate::picture::colour`]), turn it upright
/// (its display rotation) and fit it (pixels of shape `sar`) to the target with square pixels
/// as `yuv420p`: by default (`None`, or pad) scaled to fit inside (display aspect kept, even
/// size) and padded centred with black; with crop scaled to fill it and cut to it, centred;
/// with `refit`, brought to square pixels (even size) and reframed by it.
/// The filter graph is rebuilt when the source size or format changes.
fn conform(
    filter: &mut Option<(VideoFilter, (u32, u32, String))>,
    (tw, th): (u32, u32),
    raw: &VideoFrame,
    (sar, turn, fit, refit): (Rational, Turn, Option<Conform>, Option<&Refit>),
    colour: Option<&str>,
) -> Result<VideoFrame> {
    let key = (raw.width(), raw.height(), raw.pixel_name());
    if filter.as_ref().is_none_or(|(_, k)| *k != key) {
        // RGB pictures (still images) become BT.709 limited-range YUV, as the output is
        // tagged (swscale would use BT.601).
        let rgb = !["yuv", "nv"].iter().any(|p| key.2.starts_with(p));
        let matrix = if rgb {
            ":out_color_matrix=bt709:out_range=tv"
        } else {
            ""
        };
        let turned = turn.apply(display_width(key.0, sar), key.1);
        let (w, h, fill) = match (refit, fit) {
            (Some(refit), _) => {
                let (w, h) = ((turned.0 & !1).max(2), (turned.1 & !1).max(2));
                (w, h, format!("format=yuv420p,{}", refit((w, h), (tw, th))))
            }
            (None, Some(Conform::Crop)) => {
                let (w, h) = cover_size(turned, (tw, th));
                (
                    w,
                    h,
                    format!("crop={tw}:{th}:{}:{}", (w - tw) / 2, (h - th) / 2),
                )
            }
            (None, _) => {
                let (w, h) = fit_size(turned, (tw, th));
                let (x, y) = ((tw - w) / 2, (th - h) / 2);
                (w, h, format!("pad={tw}:{th}:{x}:{y}:black"))
            }
        };
        let spec = format!(
            "{}{}scale={w}:{h}:flags=bicubic{matrix},{fill},setsar=1",
            colour.map_or(String::new(), |c| format!("{c},")),
            turn.filter().map_or(String::new(), |f| format!("{f},")),
        );
        let f = VideoFilter::new(
            &spec,
            key.0,
            key.1,
            &key.2,
            Rational::new(1, 1),
            Pixel::Yuv420p,
        )?;
        *filter = Some((f, key));
    }
    let (f, _) = filter.as_mut().expect("built above");
    f.push(raw)?;
    f.pull()?.ok_or_else(|| {
        Error::Media(cutroom_ffi::Error::Ffmpeg {
            op: "conform picture".into(),
            reason: "the scale/pad filter returned no frame".into(),
        })
    })
}
