//! The soundtrack of a concat: every shot's audio (decoded aligned to its picture), cut to its
//! trim, retimed with its picture (constant pitch, see [`crate::audio::stretch`]), cut or padded to exactly its length on the output timeline (in samples, each
//! boundary computed once from integer ticks), shaped at the joins and mixed into one buffer.

use super::plan::{Edge, Plan};
use super::source::Sound;
use crate::audio::sidechain::{BlockLevels, NOISE_FLOOR_DBFS};
use crate::audio::stretch::stretch;
use crate::error::Result;
use crate::pcm::{self, Pcm};
use crate::progress::Progress;
use crate::time::Samples;

/// Fade-out at the end of a shot's sound before a straight cut (removes the click of a
/// waveform cut mid-swing).
pub const DECLICK_OUT_MS: f64 = 2.0;

/// Fade-in at the start of a shot's sound after a straight cut: short, so a sound that starts
/// on the cut (a word, a beat) keeps its onset where it is.
pub const DECLICK_IN_MS: f64 = 0.5;

/// One shot's sound, placed in samples of the output rate.
#[derive(Debug, Clone)]
pub struct AudioShot {
    /// Samples of the aligned source audio before the in-point.
    pub skip: Samples,
    /// First output sample.
    pub start: usize,
    /// Output samples.
    pub len: usize,
    /// Source samples played (from `skip`).
    pub source_len: usize,
    /// Output samples they are played in (stretched at constant pitch when not
    /// `source_len`); the rest of `len` is silence (a freeze).
    pub played: usize,
    /// Fade-in length at the head (a transition, or the declick after a cut).
    pub fade_in: usize,
    /// Fade-out length at the tail.
    pub fade_out: usize,
    /// The shot's file, when the shot plays it to its picture's end: its sound past that is
    /// dropped at the cut, and said when more than a frame of it is heard.
    pub to_picture_end: Option<String>,
}

impl AudioShot {
    /// The shot's sound (aligned to its source's picture) cut to its place and retimed: its
    /// length is `played` when retimed, else `source_len`.
    fn retimed(&self, mut pcm: Pcm) -> Result<Pcm> {
        pcm.shift(-self.skip.0);
        pcm.fit(self.source_len);
        if self.source_len != self.played {
            pcm = stretch(&pcm, self.played)?;
        }
        Ok(pcm)
    }
}

/// The whole soundtrack's layout.
#[derive(Debug, Clone)]
pub struct AudioPlan {
    /// Sample rate.
    pub rate: u32,
    /// Channels.
    pub channels: u16,
    /// Total samples.
    pub len: usize,
    /// Samples of one frame of the output's picture.
    pub frame: usize,
    /// The shots.
    pub shots: Vec<AudioShot>,
}

impl AudioPlan {
    /// Lay out the sound of `plan`: lengths follow the video timeline exactly.
    pub fn of(plan: &Plan) -> Self {
        let (rate, channels) = (plan.target.sample_rate, plan.target.channels);
        let frames = |ms| Pcm::silence(rate, channels, 0).ms_to_frames(ms);
        let (declick_in, declick_out) = (frames(DECLICK_IN_MS), frames(DECLICK_OUT_MS));
        let last = plan.shots.len() - 1;
        let shots = plan
            .shots
            .iter()
            .enumerate()
            .map(|(i, shot)| {
                let (s0, s1) = (plan.sample(shot.start), plan.sample(shot.end()));
                let len = (s1 - s0).count();
                let fade_in = match shot.head {
                    Edge::Cut if i == 0 => 0,
                    Edge::Cut => declick_in.min(len / 2),
                    e => (plan.sample(shot.start + e.ticks()) - s0).count(),
                };
                let fade_out = match shot.tail {
                    Edge::Cut if i == last => 0,
                    Edge::Cut => declick_out.min(len / 2),
                    e => (s1 - plan.sample(shot.end() - e.ticks())).count(),
                };
                let played = (plan.sample(shot.start + shot.played) - s0).count();
                let source_len = match shot.content.file() {
                    Some(src) if shot.retime.changes_speed() => (shot.end_pts - shot.in_pts)
                        .samples(src.time_base, rate)
                        .count(),
                    _ => played,
                };
                AudioShot {
                    source_len,
                    played,
                    skip: shot.content.file().map_or(Samples(0), |src| {
                        (shot.in_pts - src.audio_origin()).samples(src.time_base, rate)
                    }),
                    start: s0.count(),
                    len,
                    fade_in,
                    fade_out,
                    to_picture_end: shot
                        .content
                        .clip()
                        .filter(|src| shot.end_pts >= src.end)
                        .map(|src| src.path.display().to_string()),
                }
            })
            .collect();
        let frame = f64::from(rate) / plan.target.frame_rate.as_f64();
        Self {
            rate,
            channels,
            len: plan.sample(plan.duration).count(),
            frame: frame.round() as usize,
            shots,
        }
    }

    /// Mix the soundtrack in order from the shots' sound (one per shot, aligned to its picture),
    /// handing each finished stretch to `sink` as soon as no later shot can overlap it. A shot
    /// left for later is decoded a piece at a time as its turn comes (whole only when it is
    /// retimed), so the join holds no shot's sound whole. Damaged packets skipped in decoding
    /// are reported to `progress`.
    pub fn stream(
        &self,
        sounds: Vec<Sound>,
        progress: &dyn Progress,
        mut sink: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        // The earlier shots' sound past this shot's start (a transition's overlap), mixed into
        // its head.
        let mut tail = Pcm::silence(self.rate, self.channels, 0);
        for (i, (shot, sound)) in self.shots.iter().zip(sounds).enumerate() {
            let done = self.shots.get(i + 1).map_or(self.len, |s| s.start) - shot.start;
            let mut out = Placer::new(shot, tail, done, &mut sink);
            let mut dropped = Dropped::new(self.rate, self.channels);
            match sound {
                Sound::Later { path, mono: false } if shot.source_len == shot.played => {
                    self.stream_later(shot, &path, progress, &mut out, &mut dropped)?;
                }
                sound => {
                    if let Some(pcm) = sound.decode(self.rate, self.channels, progress)? {
                        let end = usize::try_from(shot.skip.0 + shot.source_len as i64);
                        let end = end.unwrap_or(0).min(pcm.frames());
                        dropped.add(&pcm.data[end * usize::from(self.channels)..]);
                        out.push(&shot.retimed(pcm)?.data)?;
                    }
                }
            }
            if let Some(file) = &shot.to_picture_end {
                if let Some(w) = dropped.said(self.frame, self.rate) {
                    progress.warn(&format!("shot {}: {file}: {w}", i + 1));
                }
            }
            tail = out.finish()?;
        }
        Ok(())
    }

    /// [`AudioShot::retimed`] of a shot not retimed, decoded from `path` and handed to `out` a
    /// piece at a time; the sound past it goes to `dropped` when the shot plays its file to
    /// its picture's end (decoded to its end only then).
    fn stream_later(
        &self,
        shot: &AudioShot,
        path: &std::path::Path,
        progress: &dyn Progress,
        out: &mut Placer<'_, impl FnMut(&[f32]) -> Result<()>>,
        dropped: &mut Dropped,
    ) -> Result<()> {
        let ch = usize::from(self.channels);
        let mut left = shot.source_len;
        // A negative skip is silence before the sound; a positive one is sound dropped.
        let lead = usize::try_from(shot.skip.0.min(0).unsigned_abs())
            .unwrap_or(usize::MAX)
            .min(left);
        left -= lead;
        pcm::silence_in_pieces(lead, ch, |z| out.push(z))?;
        let mut drop = usize::try_from(shot.skip.0.max(0)).unwrap_or(usize::MAX);
        let wanted = match shot.to_picture_end {
            Some(_) => None,
            None => Some(drop.saturating_add(left)),
        };
        pcm::stream_aligned(path, self.rate, self.channels, wanted, progress, |piece| {
            let frames = piece.len() / ch;
            let skip = drop.min(frames);
            drop -= skip;
            let take = (frames - skip).min(left);
            left -= take;
            dropped.add(&piece[(skip + take) * ch..]);
            out.push(&piece[skip * ch..(skip + take) * ch])
        })?;
        Ok(())
    }
}

/// A shot's sound past its picture's end, measured as the cut drops it: how long it is heard
/// (to its last sample over [`NOISE_FLOOR_DBFS`] in its last 10 ms block over it, rumble under
/// 100 Hz left out, as `duck` hears a voice) and its peak.
struct Dropped {
    channels: usize,
    levels: BlockLevels,
    /// Frames seen, and the end of the last one with a sample over the floor.
    frames: usize,
    loud_end: usize,
    peak: f32,
}

impl Dropped {
    fn new(rate: u32, channels: u16) -> Self {
        Self {
            channels: usize::from(channels),
            levels: BlockLevels::new(rate, channels),
            frames: 0,
            loud_end: 0,
            peak: 0.0,
        }
    }

    /// The next frames of the sound past the picture (interleaved).
    fn add(&mut self, data: &[f32]) {
        self.levels.add(data);
        let floor = 10f32.powf(NOISE_FLOOR_DBFS as f32 / 20.0);
        for frame in data.chunks(self.channels) {
            self.frames += 1;
            let loudest = frame.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            if loudest > floor {
                self.loud_end = self.frames;
            }
            self.peak = self.peak.max(loudest);
        }
    }

    /// What the cut drops, in words, when more than `frame` samples (a frame of the picture)
    /// of it at `rate` are heard: `its sound runs 400 ms past its last frame (peak -6.0 dBFS)
    /// and is cut off there`.
    fn said(self, frame: usize, rate: u32) -> Option<String> {
        let (block, levels) = self.levels.finish();
        let heard = levels.iter().rposition(|&l| l >= NOISE_FLOOR_DBFS)? + 1;
        let heard = self.loud_end.min(heard * block);
        (heard > frame).then(|| {
            format!(
                "its sound runs {:.0} ms past its last frame (peak {:.1} dBFS) and is cut off \
                 there",
                heard as f64 * 1000.0 / f64::from(rate),
                20.0 * f64::from(self.peak).log10()
            )
        })
    }
}

/// Frames a [`Placer`] shapes at a time.
const PIECE_FRAMES: usize = 1 << 14;

/// One shot's sound being placed on the output: cut or padded to the shot's length, faded at
/// its head and tail, the previous shot's overlap mixed into its head; the first `done` frames
/// handed to the sink, the rest kept as the overlap into the next shot.
struct Placer<'a, S> {
    shot: &'a AudioShot,
    ch: usize,
    /// Frames of the shot placed so far.
    at: usize,
    done: usize,
    tail: Pcm,
    next: Pcm,
    piece: Vec<f32>,
    sink: &'a mut S,
}

impl<'a, S: FnMut(&[f32]) -> Result<()>> Placer<'a, S> {
    fn new(shot: &'a AudioShot, tail: Pcm, done: usize, sink: &'a mut S) -> Self {
        Self {
            shot,
            ch: usize::from(tail.channels),
            at: 0,
            done,
            next: Pcm::silence(tail.rate, tail.channels, 0),
            tail,
            piece: Vec::new(),
            sink,
        }
    }

    /// Place the next frames of the shot's sound (past the shot's length they are dropped).
    fn push(&mut self, data: &[f32]) -> Result<()> {
        let ch = self.ch;
        let room = self.shot.len.saturating_sub(self.at);
        for chunk in data[..(data.len() / ch).min(room) * ch].chunks(PIECE_FRAMES * ch) {
            self.place(chunk)?;
        }
        Ok(())
    }

    /// Fade, mix in the overlap and hand out (or keep) frames `[at, at + n)`.
    fn place(&mut self, chunk: &[f32]) -> Result<()> {
        let (ch, shot, at) = (self.ch, self.shot, self.at);
        let n = chunk.len() / ch;
        self.piece.clear();
        self.piece.extend_from_slice(chunk);
        let out_len = shot.fade_out.min(shot.len);
        let out_start = shot.len - out_len;
        for (k, frame) in self.piece.chunks_mut(ch).enumerate() {
            let i = at + k;
            if i < shot.fade_in {
                let g = pcm::ramp_gain(0.0, 1.0, i, shot.fade_in);
                frame.iter_mut().for_each(|v| *v *= g);
            }
            if i >= out_start && i < shot.len {
                let g = pcm::ramp_gain(1.0, 0.0, i - out_start, out_len);
                frame.iter_mut().for_each(|v| *v *= g);
            }
        }
        let from = (at * ch).min(self.tail.data.len());
        for (d, s) in self.piece.iter_mut().zip(&self.tail.data[from..]) {
            *d += s;
        }
        let out = self.done.saturating_sub(at).min(n) * ch;
        if out > 0 {
            (self.sink)(&self.piece[..out])?;
        }
        self.next.data.extend_from_slice(&self.piece[out..]);
        self.at += n;
        Ok(())
    }

    /// Pad with silence to the shot's length (or the overlap's, if longer); the overlap into
    /// the next shot.
    fn finish(mut self) -> Result<Pcm> {
        let end = self.shot.len.max(self.tail.frames());
        let ch = self.ch;
        pcm::silence_in_pieces(end - self.at.min(end), ch, |z| self.place(z))?;
        Ok(self.next)
    }
}
