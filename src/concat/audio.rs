//! The soundtrack of a concat: every shot's audio decoded aligned to its picture, cut to its
//! trim, cut or padded to exactly its length on the output timeline (in samples, each
//! boundary computed once from integer ticks), shaped at the joins and mixed into one buffer.

use super::plan::{Edge, Plan};
use crate::error::{Error, Result};
use crate::pcm::{decode_aligned, Pcm};
use cutroom_ffi::{rescale, Rational};
use indicatif::ProgressBar;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Fade-out at the end of a shot's sound before a straight cut (removes the click of a
/// waveform cut mid-swing).
pub const DECLICK_OUT_MS: f64 = 2.0;

/// Fade-in at the start of a shot's sound after a straight cut: short, so a sound that starts
/// on the cut (a word, a beat) keeps its onset where it is.
pub const DECLICK_IN_MS: f64 = 0.5;

/// One shot's sound, placed in samples of the output rate.
#[derive(Debug, Clone)]
pub struct AudioShot {
    /// Source file.
    pub path: PathBuf,
    /// The file has audio (else the shot is silence).
    pub has_audio: bool,
    /// Samples of the aligned source audio before the in-point.
    pub skip: i64,
    /// First output sample.
    pub start: usize,
    /// Output samples.
    pub len: usize,
    /// Fade-in length at the head (a transition, or the declick after a cut).
    pub fade_in: usize,
    /// Fade-out length at the tail.
    pub fade_out: usize,
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
                let len = (s1 - s0) as usize;
                let src = &shot.source;
                let fade_in = match shot.head {
                    Edge::Cut if i == 0 => 0,
                    Edge::Cut => declick_in.min(len / 2),
                    e => (plan.sample(shot.start + e.ticks()) - s0) as usize,
                };
                let fade_out = match shot.tail {
                    Edge::Cut if i == last => 0,
                    Edge::Cut => declick_out.min(len / 2),
                    e => (s1 - plan.sample(shot.end() - e.ticks())) as usize,
                };
                AudioShot {
                    path: src.path.clone(),
                    has_audio: src.has_audio,
                    skip: rescale(
                        shot.in_pts - src.audio_origin(),
                        src.time_base(),
                        Rational::new(1, rate as i32),
                    ),
                    start: s0 as usize,
                    len,
                    fade_in,
                    fade_out,
                }
            })
            .collect();
        Self {
            rate,
            channels,
            len: plan.sample(plan.duration) as usize,
            shots,
        }
    }

    /// Build the soundtrack. Shots without audio are silence; the bar advances once per
    /// decoded shot.
    pub fn render(&self, bar: &ProgressBar) -> Result<Pcm> {
        let decoded = self.decode_all(bar)?;
        let mut out = Pcm::silence(self.rate, self.channels, self.len);
        for (shot, pcm) in self.shots.iter().zip(decoded) {
            let mut pcm = match pcm {
                Some(mut p) => {
                    p.shift(-shot.skip);
                    p.fit(shot.len);
                    p
                }
                None => Pcm::silence(self.rate, self.channels, shot.len),
            };
            pcm.fade_in(shot.fade_in);
            pcm.fade_out(shot.fade_out);
            out.mix_at(&pcm, shot.start);
        }
        Ok(out)
    }

    /// Decode every shot's audio (`None`: the file has none), on all cores; all failures are
    /// reported together.
    fn decode_all(&self, bar: &ProgressBar) -> Result<Vec<Option<Pcm>>> {
        let n = self.shots.len();
        let workers = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .min(n);
        let next = AtomicUsize::new(0);
        let slots: Vec<Mutex<Option<Result<Option<Pcm>>>>> =
            (0..n).map(|_| Mutex::new(None)).collect();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(shot) = self.shots.get(i) else { break };
                    let r = if shot.has_audio {
                        decode_aligned(&shot.path, self.rate, self.channels)
                    } else {
                        Ok(None)
                    };
                    *slots[i].lock().expect("no poisoned slot") = Some(r);
                    bar.inc(1);
                });
            }
        });
        let mut out = Vec::with_capacity(n);
        let mut errors = Vec::new();
        for slot in slots {
            match slot.into_inner().expect("no poisoned slot") {
                Some(Ok(p)) => out.push(p),
                Some(Err(e)) => errors.push(e),
                None => unreachable!("every shot is decoded"),
            }
        }
        match errors.len() {
            0 => Ok(out),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Many(errors)),
        }
    }
}
