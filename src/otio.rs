//! OpenTimelineIO export: the finished cut as a timeline an editor can open in an NLE
//! (DaVinci Resolve, Premiere through adapters, ...), with each shot's source range and media.

use crate::concat::plan::{Edge, Plan};
use crate::time::{Ticks, TimeBase};
use cutroom_ffi::Rational;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One shot of the cut as the timeline shows it. Its ranges are integer frames at the
/// source's own rate, as an NLE reads the source file; the dissolve is at the timeline rate.
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
    /// Source frames used from `source_in`.
    pub frames: i64,
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
/// per shot, `None` for a card): a clip's ranges in its source's own frames, a card's or a
/// still's in the cut's. A crossfade becomes a dissolve centred on the cut: each clip's range
/// ends (or starts) at the cut, the transition reaching into the handles. A dip through
/// black keeps the sequence's length and stays a cut in the timeline.
pub fn clips(plan: &Plan, media: Vec<Option<PathBuf>>) -> Vec<TimelineClip> {
    let out_tb = plan.target.time_base;
    let cut_frames = frame_base(plan.target.frame_rate, out_tb);
    let mut clips: Vec<TimelineClip> = plan
        .shots
        .iter()
        .zip(media)
        .enumerate()
        .map(|(i, (s, media))| {
            let (rate, media_frames, source_in, source_end) = match s.content.clip() {
                Some(c) => {
                    let frames = frame_base(c.frame_rate, c.time_base);
                    let at = |t: Ticks| (t - c.first()).rescale(c.time_base, frames).0;
                    (
                        c.frame_rate,
                        c.pts.len() as i64,
                        at(s.in_pts),
                        at(s.end_pts),
                    )
                }
                None => {
                    let len = s.len.rescale(out_tb, cut_frames).0;
                    (plan.target.frame_rate, len, 0, len)
                }
            };
            TimelineClip {
                name: format!("shot-{:02}", i + 1),
                media,
                rate,
                media_frames,
                source_in,
                frames: source_end - source_in,
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
        let (out_frames, in_frames) = (
            frame_base(clips[i - 1].rate, cut_frames),
            frame_base(clips[i].rate, cut_frames),
        );
        let tail = (d - half).rescale(cut_frames, out_frames).0;
        let head = half.rescale(cut_frames, in_frames).0;
        clips[i - 1].transition_frames = d.0;
        clips[i - 1].frames -= tail;
        clips[i].source_in += head;
        clips[i].frames -= head;
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
        let item = clip(&bed.name, Some(&bed.media), rate, bed.frames, 0, bed.frames);
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
            c.rate,
            c.media_frames,
            c.source_in,
            c.frames,
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

fn clip(
    name: &str,
    media: Option<&Path>,
    rate: Rational,
    media_frames: i64,
    start: i64,
    frames: i64,
) -> Value {
    let available = range(0, media_frames, rate);
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
    json!({
        "OTIO_SCHEMA": "Clip.1",
        "metadata": {},
        "name": name,
        "source_range": range(start, frames, rate),
        "effects": [],
        "markers": [],
        "enabled": true,
        "media_reference": reference,
    })
}

fn range(start: i64, frames: i64, rate: Rational) -> Value {
    json!({"OTIO_SCHEMA": "TimeRange.1", "start_time": time(start, rate), "duration": time(frames, rate)})
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
                transition_frames: 12,
            },
            TimelineClip {
                name: "b".into(),
                media: Some("/m/b.mp4".into()),
                rate: Rational::new(25, 1),
                media_frames: 90,
                source_in: 0,
                frames: 90,
                transition_frames: 0,
            },
        ];
        let t = timeline("cut", Rational::new(30, 1), &clips, &[]);
        let v = &t["tracks"]["children"][0]["children"];
        assert_eq!(v.as_array().unwrap().len(), 3);
        assert_eq!(v[0]["source_range"]["start_time"]["value"], 10.0);
        assert_eq!(v[1]["OTIO_SCHEMA"], "Transition.1");
        assert_eq!(v[1]["in_offset"]["rate"], 30.0);
        assert_eq!(v[2]["source_range"]["duration"]["rate"], 25.0);
        assert_eq!(
            v[2]["media_reference"]["available_range"]["duration"]["rate"],
            25.0
        );
        assert_eq!(v[0]["media_reference"]["target_url"], "file:///m/a%20b.mp4");
        assert_eq!(t["tracks"]["children"][1]["kind"], "Audio");
    }
}
