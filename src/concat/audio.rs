//! The soundtrack of a concat: every shot's audio (decoded aligned to its picture), cut to its
//! trim, retimed with its picture (constant pitch, see [`crate::audio::stretch`]), cut or padded to exactly its length on the output timeline (in samples, each
//! boundary computed once from integer ticks), shaped at the joins and mixed into one buffer.

use super::plan::{Edge, Plan};
use super::source::Sound;
use crate::audio::stretch::stretch;
use crate::error::Result;
use crate::pcm::Pcm;
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
                }
            })
            .collect();
        Self {
            rate,
            channels,
            len: plan.sample(plan.duration).count(),
            shots,
        }
    }

    /// Mix the soundtrack in order from the shots' sound (one per shot, aligned to its picture;
    /// one left for later is decoded when its shot is reached), handing each finished stretch
    /// to `sink` as soon as no later shot can overlap it (all of it once every shot is mixed).
    /// Damaged packets skipped in decoding are reported to `progress`.
    pub fn stream(
        &self,
        sounds: Vec<Sound>,
        progress: &dyn Progress,
        mut sink: impl FnMut(&[f32]) -> Result<()>,
    ) -> Result<()> {
        let ch = usize::from(self.channels);
        // The earlier shots' sound past this shot's start (a transition's overlap), mixed into
        // its head; each shot's own buffer is then handed out, never copied whole.
        let mut tail = Pcm::silence(self.rate, self.channels, 0);
        for (i, (shot, pcm)) in self.shots.iter().zip(sounds).enumerate() {
            let mut shaped = self.shape(shot, pcm.decode(self.rate, self.channels, progress)?)?;
            if shaped.frames() < tail.frames() {
                shaped.fit(tail.frames());
            }
            shaped.mix_at(&tail, 0);
            let done = self.shots.get(i + 1).map_or(self.len, |s| s.start) - shot.start;
            sink(&shaped.data[..done * ch])?;
            tail = shaped.slice(done, shaped.frames());
        }
        Ok(())
    }

    /// A shot's sound cut to its place (`None`: silence), retimed, with its fades applied.
    fn shape(&self, shot: &AudioShot, pcm: Option<Pcm>) -> Result<Pcm> {
        let mut pcm = match pcm {
            Some(mut p) => {
                p.shift(-shot.skip.0);
                p.fit(shot.source_len);
                if shot.source_len != shot.played {
                    p = stretch(&p, shot.played)?;
                }
                p.fit(shot.len);
                p
            }
            None => Pcm::silence(self.rate, self.channels, shot.len),
        };
        pcm.fade_in(shot.fade_in);
        pcm.fade_out(shot.fade_out);
        Ok(pcm)
    }
}
