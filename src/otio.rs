//! OpenTimelineIO export: the finished cut as a timeline an editor can open in an NLE
//! (DaVinci Resolve, Premiere through adapters, ...), with each shot's source range and media.

use crate::concat::plan::{Edge, Plan};
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::Rational;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One shot of the cut as the timeline shows it. Where it starts in its source is a frame at
/// the source's own rate, as an NLE reads the source file; how long it lasts is in frames at
/// the timeline's rate, as the cut holds it (a 6.5 s trim of a 24 fps source in a 25 fps cut
/// is 163 frames, 6.52 s), so the clips add up to the cut and each starts where it does in the
/// deliverables. The dissolve is at the timeline rate too.
#[derive(Debug, Clone)]
pub struct TimelineClip {
    /// Clip name (shown in the NLE).
    pub name: String,
    /// The source media file (`None`: a generated card).
    pub media: Option<std::path::PathBuf>,
    /// The source's frame rate.
    pub rate: Rational,
    /// Frames of the whole source file.
    pub media_frames: i64,
    /// First source frame used (the trim in).
    pub source_in: i64,
    /// Frames of the timeline the clip lasts.
    pub frames: i64,
    /// Source seconds played per second of the cut (1: its own speed); anything else is
    /// written as a `LinearTimeWarp` effect.
    pub speed: f64,
    /// Dissolve into the next clip, in frames at the timeline rate (0: a cut).
    pub transition_frames: i64,
}

/// An audio bed under the whole cut (music), on its own track.
#[derive(Debug, Clone)]
pub struct TimelineBed {
    /// Track name.
    pub name: String,
    /// The audio file.
    pub media: std::path::PathBuf,
    /// Frames of the bed used (at the timeline rate).
    pub frames: i64,
}

/// The clips of the cut `plan` lays out, named `shot-01`..., each showing its `media` (one
/// per shot, `None` for a card): a clip's start in its source's own frames, a card's or a
/// still's in the cut's; every length in the cut's frames. A crossfade becomes a dissolve
/// centred on the cut: each clip's range ends (or starts) at the cut, the transition reaching
/// into the handles. A dip through black keeps the sequence's length and stays a cut in the
/// timeline.
pub fn clips(plan: &Plan, media: Vec<Option<PathBuf>>) -> Vec<TimelineClip> {
    let out_tb = plan.target.time_base;
    let cut_frames = frame_base(plan.target.frame_rate, out_tb);
    let on_cut = |t: Ticks| t.rescale(out_tb, cut_frames).0;
    let mut clips: Vec<TimelineClip> = plan
        .shots
        .iter()
        .zip(media)
        .enumerate()
        .map(|(i, (s, media))| {
            let frames = on_cut(s.end()) - on_cut(s.start);
            let (rate, media_frames, source_in, speed) = match s.content.clip() {
                Some(c) => {
                    let own = frame_base(c.frame_rate, c.time_base);
                    let ns = TimeBase::NANOS;
                    let source = (s.end_pts - s.in_pts).rescale(c.time_base, ns).0 as f64;
                    let played = s.played.rescale(out_tb, ns).0 as f64;
                    (
                        c.frame_rate,
                        c.pts.len() as i64,
                        (s.in_pts - c.first()).rescale(c.time_base, own).0,
                        if played > 0.0 { source / played } else { 1.0 },
                    )
                }
                None => (plan.target.frame_rate, frames, 0, 1.0),
            };
            TimelineClip {
                name: format!("shot-{:02}", i + 1),
                media,
                rate,
                media_frames,
                source_in,
                frames,
                // A trim's length rounded to the cut's frames is not a retime.
                speed: if s.retime.changes_speed() { speed } else { 1.0 },
                transition_frames: 0,
            }
        })
        .collect();
    for i in 1..clips.len() {
        let Edge::Crossfade(d) = plan.shots[i - 1].tail else {
            continue;
        };
        let d = d.rescale(out_tb, cut_frames);
        let half = Ticks(d.0 / 2);
        let next = &plan.shots[i];
        // The handle the dissolve takes from the next clip, in its source's frames.
        let head_src = match next.content.clip() {
            Some(c) => {
                let ns = half.rescale(cut_frames, TimeBase::NANOS).0 as f64 * clips[i].speed;
                let own = frame_base(c.frame_rate, c.time_base);
                Ticks(ns.round() as i64).rescale(TimeBase::NANOS, own).0
            }
            None => half.0,
        };
        clips[i - 1].transition_frames = d.0;
        clips[i - 1].frames -= d.0 - half.0;
        clips[i].source_in += head_src;
        clips[i].frames -= half.0;
    }
    clips
}

/// One tick per frame at `rate` (`or` if the rate is not a positive one).
fn frame_base(rate: Rational, or: TimeBase) -> TimeBase {
    TimeBase::of_rate(rate).unwrap_or(or)
}

/// Build a `Timeline.1` document with a video track, the matching audio track of the shots'
/// own sound, and a track per bed. `rate` is the timeline frame rate.
pub fn timeline(name: &str, rate: Rational, clips: &[TimelineClip], beds: &[TimelineBed]) -> Value {
    let video = track("V1", "Video", clip_items(clips, rate));
    let audio = track("A1", "Audio", clip_items(clips, rate));
    let mut tracks = vec![video, audio];
    for (i, bed) in beds.iter().enumerate() {
        let item = clip(
            &bed.name,
            Some(&bed.media),
            (rate, bed.frames, 0),
            bed.frames,
            rate,
            1.0,
        );
        tracks.push(track(&format!("A{}", i + 2), "Audio", vec![item]));
    }
    json!({
        "OTIO_SCHEMA": "Timeline.1",
        "metadata": {"cutroom": {"version": env!("CARGO_PKG_VERSION")}},
        "name": name,
        "global_start_time": time(0, rate),
        "tracks": {
            "OTIO_SCHEMA": "Stack.1",
            "metadata": {},
            "name": "tracks",
            "source_range": null,
            "effects": [],
            "markers": [],
            "enabled": true,
            "children": tracks,
        },
    })
}

fn clip_items(clips: &[TimelineClip], rate: Rational) -> Vec<Value> {
    let mut items = Vec::new();
    for (i, c) in clips.iter().enumerate() {
        items.push(clip(
            &c.name,
            c.media.as_deref(),
            (c.rate, c.media_frames, c.source_in),
            c.frames,
            rate,
            c.speed,
        ));
        if c.transition_frames > 0 && i + 1 < clips.len() {
            let half = c.transition_frames / 2;
            items.push(json!({
                "OTIO_SCHEMA": "Transition.1",
                "metadata": {},
                "name": format!("dissolve {}", i + 1),
                "transition_type": "SMPTE_Dissolve",
                "in_offset": time(half, rate),
                "out_offset": time(c.transition_frames - half, rate),
            }));
        }
    }
    items
}

fn track(name: &str, kind: &str, children: Vec<Value>) -> Value {
    json!({
        "OTIO_SCHEMA": "Track.1",
        "metadata": {},
        "name": name,
        "kind": kind,
        "source_range": null,
        "effects": [],
        "markers": [],
        "enabled": true,
        "children": children,
    })
}

/// A clip of `media` (`None`: a card) whose source (`rate`, `media_frames` frames long) is
/// used from frame `start`, lasting `frames` of the timeline at `timeline_rate`, played at
/// `speed`.
fn clip(
    name: &str,
    media: Option<&Path>,
    (rate, media_frames, start): (Rational, i64, i64),
    frames: i64,
    timeline_rate: Rational,
    speed: f64,
) -> Value {
    let available = range((0, rate), (media_frames, rate));
    let reference = match media {
        Some(media) => json!({
            "OTIO_SCHEMA": "ExternalReference.1",
            "metadata": {},
            "name": media.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            "available_range": available,
            "target_url": file_url(media),
        }),
        // A card: made by cutroom, no file behind it.
        None => json!({
            "OTIO_SCHEMA": "GeneratorReference.1",
            "metadata": {},
            "name": name,
            "generator_kind": "cutroom.card",
            "parameters": {},
            "available_range": available,
        }),
    };
    let effects: Vec<Value> = if speed == 1.0 {
        Vec::new()
    } else {
        vec![json!({
            "OTIO_SCHEMA": "LinearTimeWarp.1",
            "metadata": {},
            "name": "speed",
            "effect_name": "LinearTimeWarp",
            "time_scalar": speed,
        })]
    };
    json!({
        "OTIO_SCHEMA": "Clip.1",
        "metadata": {},
        "name": name,
        "source_range": range((start, rate), (frames, timeline_rate)),
        "effects": effects,
        "markers": [],
        "enabled": true,
        "media_reference": reference,
    })
}

/// A `TimeRange` from `start` lasting `duration`, each a value at its own rate.
fn range(start: (i64, Rational), duration: (i64, Rational)) -> Value {
    json!({
        "OTIO_SCHEMA": "TimeRange.1",
        "start_time": time(start.0, start.1),
        "duration": time(duration.0, duration.1),
    })
}

/// A `RationalTime`: OTIO keeps the rate as a number, so it becomes one only here.
fn time(value: i64, rate: Rational) -> Value {
    json!({"OTIO_SCHEMA": "RationalTime.1", "rate": rate.as_f64(), "value": value as f64})
}

/// `file://` URL of a path (made absolute), with the characters URLs reserve escaped.
fn file_url(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut url = String::from("file://");
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_transitions_and_urls() {
        let clips = [
            TimelineClip {
                name: "a".into(),
                media: Some("/m/a b.mp4".into()),
                rate: Rational::new(30, 1),
                media_frames: 120,
                source_in: 10,
                frames: 60,
                speed: 1.0,
                transition_frames: 12,
            },
            TimelineClip {
                name: "b".into(),
                media: Some("/m/b.mp4".into()),
                rate: Rational::new(25, 1),
                media_frames: 90,
                source_in: 0,
                frames: 90,
                speed: 2.0,
                transition_frames: 0,
            },
        ];
        let t = timeline("cut", Rational::new(30, 1), &clips, &[]);
        let v = &t["tracks"]["children"][0]["children"];
        assert_eq!(v.as_array().unwrap().len(), 3);
        assert_eq!(v[0]["source_range"]["start_time"]["value"], 10.0);
        assert_eq!(v[1]["OTIO_SCHEMA"], "Transition.1");
        assert_eq!(v[1]["in_offset"]["rate"], 30.0);
        // Where a clip starts is in its source's frames, how long it lasts in the cut's.
        assert_eq!(v[2]["source_range"]["start_time"]["rate"], 25.0);
        assert_eq!(v[2]["source_range"]["duration"]["rate"], 30.0);
        assert_eq!(v[0]["effects"], json!([]));
        assert_eq!(v[2]["effects"][0]["time_scalar"], 2.0);
        assert_eq!(
            v[2]["media_reference"]["available_range"]["duration"]["rate"],
            25.0
        );
        assert_eq!(v[0]["media_reference"]["target_url"], "file:///m/a%20b.mp4");
        assert_eq!(t["tracks"]["children"][1]["kind"], "Audio");
    }
}
