//! A cut's captions on its timeline: the cut-wide file as it is (cut time), each shot's file
//! through that shot's [`ShotTime`] (its trim and place on the cut), merged in time order.

use super::spec::Cut;
use crate::captions::Captions;
use crate::concat::plan::Plan;
use crate::error::Result;
use crate::progress::Progress;
use crate::time::{Ticks, TimeBase};

/// The captions of `cut` on the timeline of its `plan`. A cue starting past the end of its
/// video (the cut, or the shot's source) is an error naming the file and line; one ending past
/// the cut, or the part of its source a shot uses, is cut there, with a warning on `progress`,
/// as is a cue cut short or left out where the files meet ([`Captions::merge`]); cues too
/// brief to read are warned of as they are shown ([`Captions::too_brief`]).
pub(super) fn on_cut(cut: &Cut, plan: &Plan, progress: &dyn Progress) -> Result<Captions> {
    let out_tb = plan.target.time_base;
    let ns = |t: Ticks, tb| t.rescale(tb, TimeBase::NANOS).0;
    let mut parts = Vec::new();
    if let Some(f) = &cut.captions.file {
        let whole = Captions::load(f, Some(ns(plan.duration, out_tb)), progress)?;
        if let Some(w) = whole.too_brief(f) {
            progress.warn(&w);
        }
        parts.push((f.as_path(), whole));
    }
    for (shot, planned) in cut.shot.iter().zip(&plan.shots) {
        let Some(f) = &shot.captions else { continue };
        let (time, length) = planned.time_on_cut(plan.target.time_base);
        let shot = Captions::load_shot(f, length, &time, progress)?;
        parts.push((f.as_path(), shot));
    }
    Ok(Captions::merge(parts, progress))
}
