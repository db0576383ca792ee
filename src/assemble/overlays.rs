//! A cut's captions on its timeline: the cut-wide file as it is (cut time), each shot's file
//! through that shot's [`ShotTime`] (its trim and place on the cut), merged in time order.

use super::spec::Cut;
use crate::captions::{Captions, ShotTime};
use crate::concat::plan::Plan;
use crate::error::Result;
use crate::timeline::NANOS;
use cutroom_ffi::{rescale, Rational};

/// The captions of `cut` on the timeline of its `plan`. A cue past the end of its video (the
/// cut, or the shot's source) is an error naming the file and line.
pub(super) fn on_cut(cut: &Cut, plan: &Plan) -> Result<Captions> {
    let ns = Rational::new(1, NANOS as i32);
    let mut parts = Vec::new();
    if let Some(f) = &cut.captions.file {
        let length = rescale(plan.duration, plan.target.time_base, ns);
        parts.push(Captions::load(f, Some(length))?);
    }
    for (shot, planned) in cut.shot.iter().zip(&plan.shots) {
        let Some(f) = &shot.captions else { continue };
        let (time, length) = ShotTime::of(planned, plan.target.time_base);
        parts.push(Captions::load(f, Some(length))?.on_cut(&time));
    }
    Ok(Captions::merge(parts))
}
