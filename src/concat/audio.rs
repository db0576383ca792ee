//! The soundtrack of a concat: every shot's audio decoded aligned to its picture, cut to its
//! trim, cut or padded to exactly its length on the output timeline (in samples, each
//! boundary computed once from integer ticks), shaped at the joins and mixed into one buffer.

use super::plan::{Edge, Plan};
use crate::error::{Error, Result};
use crate::pcm::{decode_aligned, Pcm};
use cutroom_ffi::{rescale, Rational};
use indicatif::ProgressBar;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

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

    /// Produce the soundtrack in order from the shots' decoded sound (`decoded`, started for
    /// the same shots), handing each finished stretch to `sink` as soon as no later shot can
    /// overlap it (all of it once every shot is mixed). Shots without audio are silence. Every
    /// decoding failure is reported (one error, or [`Error::Many`]).
    pub fn stream(
        &self,
        decoded: &mut Prefetch,
        mut sink: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        let ch = usize::from(self.channels);
        let mut errors = Vec::new();
        // The not yet final part of the output, starting at output sample `emitted`.
        let mut pending = Pcm::silence(self.rate, self.channels, 0);
        let mut emitted = 0;
        for (i, shot) in self.shots.iter().enumerate() {
            let pcm = match decoded.take(i) {
                Ok(p) if errors.is_empty() => p,
                Ok(_) => continue,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            let shaped = self.shape(shot, pcm);
            let end = shot.start + shot.len - emitted;
            if pending.frames() < end {
                pending.fit(end);
            }
            pending.mix_at(&shaped, shot.start - emitted);
            let done = self.shots.get(i + 1).map_or(self.len, |s| s.start) - emitted;
            sink(&pending.data[..done * ch])?;
            pending.shift(-(done as i64));
            emitted += done;
        }
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Error::Many(errors)),
        }
    }

    /// A shot's sound cut to its place (`None`: silence), with its fades applied.
    fn shape(&self, shot: &AudioShot, pcm: Option<Pcm>) -> Pcm {
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
        pcm
    }
}

/// The shots' sound, decoded aligned to their pictures (`pcm::decode_aligned`) on background
/// threads, in shot order, a few shots ahead of whoever takes them. Decoding does not depend
/// on the plan, so it starts before the plan is made. Dropping it stops the workers.
pub struct Prefetch {
    rx: Option<mpsc::Receiver<(usize, Result<Option<Pcm>>)>>,
    ready: HashMap<usize, Result<Option<Pcm>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Prefetch {
    /// Start decoding `paths` to `rate` Hz and `channels` channels on all cores; `bar`
    /// advances once per decoded file.
    pub fn start(paths: Vec<PathBuf>, rate: u32, channels: u16, bar: &ProgressBar) -> Self {
        let n = paths.len();
        let workers = std::thread::available_parallelism()
            .map_or(1, |p| p.get())
            .clamp(1, n.max(1));
        let (tx, rx) = mpsc::sync_channel(workers);
        let paths = Arc::new(paths);
        let next = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let workers = (0..workers)
            .map(|_| {
                let (tx, paths, next, stop, bar) = (
                    tx.clone(),
                    Arc::clone(&paths),
                    Arc::clone(&next),
                    Arc::clone(&stop),
                    bar.clone(),
                );
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        let r = decode_aligned(path, rate, channels);
                        bar.inc(1);
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        Self {
            rx: Some(rx),
            ready: HashMap::new(),
            stop,
            workers,
        }
    }

    /// The decoded sound of shot `i` (each shot is taken once).
    fn take(&mut self, i: usize) -> Result<Option<Pcm>> {
        loop {
            if let Some(r) = self.ready.remove(&i) {
                return r;
            }
            let rx = self.rx.as_ref().expect("open until dropped");
            let (j, r) = rx.recv().expect("the workers decode every shot");
            self.ready.insert(j, r);
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        // Workers stop taking shots, and one blocked on a full channel fails its send.
        self.stop.store(true, Ordering::Relaxed);
        drop(self.rx.take());
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}
