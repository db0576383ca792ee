//! The copy path: every shot's video packets copied bit for bit, retimed onto the output
//! timeline by an integer offset in one exact output time base.

use super::plan::Plan;
use crate::avwrite::{AvWriter, EncodedAudio};
use crate::error::{Error, Result};
use crate::output::Seal;
use crate::progress::{Progress, Skipped, Stream};
use crate::time::Ticks;
use cutroom_ffi::{damage_refusal, Input};
use std::path::{Path, PathBuf};

/// Say the damaged packets (see `concat::framing`) the copy would take from each shot's file,
/// by file and time, to `bar`, or refuse a shot past [`damage_refusal`]'s bound: copied, they
/// break the picture up until the next keyframe in every player. With `decoded` (the copy is
/// decoded for an export, whose decoder skips them) they are said as damaged packets skipped.
pub fn check_damage(plan: &Plan, bar: &dyn Progress, decoded: bool) -> Result<()> {
    for (i, shot) in plan.shots.iter().enumerate() {
        let s = shot.source();
        let wanted = |pts: Ticks| pts >= shot.in_pts && pts < shot.end_pts;
        let hit: Vec<Ticks> = s.broken.iter().copied().filter(|&t| wanted(t)).collect();
        let (Some(first), Some(last)) = (hit.iter().min(), hit.iter().max()) else {
            continue;
        };
        let copied = s.shown().filter(|p| wanted(p.pts)).count();
        if let Some(why) = damage_refusal(hit.len() as u64, copied as u64) {
            return Err(Error::bad_input(&s.path, format!("video: {why}")).of_shot(i));
        }
        let at = (s.secs(*first - s.first()), s.secs(*last - s.first()));
        if decoded {
            let packets = hit.len() as u64;
            let skipped = Skipped {
                packets,
                at: Some(at),
            };
            bar.damaged(&s.path, Stream::Video, skipped);
            continue;
        }
        bar.warn(&format!(
            "{}: {} of the {copied} video packets copied are damaged, at {:.3}-{:.3} s of the \
             file: players show the picture broken from there to the next keyframe; if the \
             file was downloaded or copied, fetch it again",
            s.path.display(),
            hit.len(),
            at.0,
            at.1
        ));
    }
    Ok(())
}

/// Write `target`: the shots' video packets copied from their files (`inputs`: one per shot,
/// kept open from the reading pass or `None`), with the encoded soundtrack `audio` (or none),
/// sealed by `seal` before it is moved into place.
pub fn write(
    plan: &Plan,
    inputs: Vec<Option<Input>>,
    audio: Option<EncodedAudio>,
    target: &Path,
    seal: Option<Seal>,
    bar: &dyn Progress,
) -> Result<PathBuf> {
    let tb = plan.target.time_base;
    let first = plan.shots[0].source();
    let mut w = AvWriter::create_copy(target, &first.info, false, tb.rational(), audio)?;
    for (shot, kept) in plan.shots.iter().zip(inputs) {
        let s = shot.source();
        let mut input = s.reopen(kept)?;
        let wanted = |pts: Ticks| pts >= shot.in_pts && pts < shot.end_pts;
        let expected = s.shown().filter(|p| wanted(p.pts)).count();
        // Back to the keyframe the shot starts on (the input was read to its end).
        let key = s.key_at(shot.in_pts).map_or(shot.in_pts, |k| k.dts);
        input.seek_to_keyframe(s.stream(), key.0)?;
        // Exact: the output time base is a multiple of every source's.
        let offset = shot.start - shot.in_pts.rescale(s.time_base, tb);
        let mut copied = 0;
        while let Some(mut p) = input.read_packet()? {
            if p.stream() != s.stream() || p.is_discard() {
                continue;
            }
            if !p.pts().or(p.dts()).map(Ticks).is_some_and(wanted) {
                continue;
            }
            p.set_duration(s.duration_of(&p).0);
            p.rescale(tb.rational());
            p.offset(offset.0);
            w.write_video(p)?;
            copied += 1;
        }
        if copied != expected {
            return Err(Error::bad_input(
                &s.path,
                format!("read {copied} video packets of the shot, expected {expected}"),
            ));
        }
        bar.advance(1);
    }
    w.finish(seal)
}
