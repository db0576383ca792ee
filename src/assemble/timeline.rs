//! The run's OpenTimelineIO file (`timeline.otio`): the cut's clips (each from a frame of its
//! source, lasting as long as the cut holds it), dissolves, and the music bed under them.

use super::sources::ShotInput;
use super::spec::Cut;
use crate::concat::plan::Plan;
use crate::error::Result;
use crate::otio::{self, TimelineBed, TimelineClip};
use crate::output::{self, AtomicOutput};
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::Rational;
use std::path::{Path, PathBuf};

/// A cut's timeline, taken from its plan before the plan is spent on the join.
pub(super) struct Timeline {
    /// The cut's frame rate.
    rate: Rational,
    clips: Vec<TimelineClip>,
    /// The cut's length in its frames (a bed under it lasts as long).
    frames: Ticks,
}

impl Timeline {
    /// The timeline of `plan`, its shots' media the local files of `inputs`.
    pub(super) fn of(plan: &Plan, inputs: &[ShotInput]) -> Self {
        let rate = plan.target.frame_rate;
        let cut_frames = TimeBase::of_rate(rate).unwrap_or(plan.target.time_base);
        let media = inputs
            .iter()
            .map(|input| input.file.as_deref().map(absolute))
            .collect();
        Self {
            rate,
            clips: otio::clips(plan, media),
            frames: plan.duration.rescale(plan.target.time_base, cut_frames),
        }
    }

    /// The timeline named `name`, with `cut`'s music bed as an audio track, staged at `path`.
    pub(super) fn write(&self, path: &Path, name: &str, cut: &Cut) -> Result<AtomicOutput> {
        let beds: Vec<TimelineBed> = cut
            .music
            .iter()
            .map(|m| TimelineBed {
                name: "Music".into(),
                media: absolute(&m.file),
                frames: self.frames.0,
            })
            .collect();
        output::json(path, &otio::timeline(name, self.rate, &self.clips, &beds))
    }
}

/// `p` made absolute (for the timeline's media references).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
