//! Offset estimation, two ways, and what follows from them: per window, per shot, overall,
//! and the drift.
//!
//! 1. Events: each visual event (flash, cut, impact) is paired with the audio onset that agrees
//!    with its neighbours' pairings. Audio onsets are sample-accurate and a flash's time is its
//!    frame's pts, so a pairing measures the offset exactly, at any frame rate.
//! 2. Correlation: the visual onset impulses are cross-correlated with the audio onset envelope
//!    over sliding windows; it needs no discrete events, at a millisecond's resolution.

use super::envelope::correlate;
use super::standard::Standard;
use super::visual::{Event, Kind, Visual};
use crate::audio::onsets::Envelope;
use crate::audio::onsets::Onset;
use crate::time::{Spans, Ticks, TimeBase};
use serde::{Deserialize, Serialize};

/// Sliding window length (ms).
pub const WINDOW_MS: i64 = 4000;
/// Step between windows (ms).
pub const HOP_MS: i64 = 2000;
/// Neighbourhood whose pairings an event's pairing must agree with (s each side).
const NEIGHBOURHOOD_S: f64 = 2.0;
/// Pairings this close (s) vote for each other when the neighbourhood's consensus is sought.
const AGREEMENT_S: f64 = 0.040;
/// Neighbours agree with a pairing in proportion to how close their best pairing is, down to
/// none at this distance (s); a pairing this far from the consensus is dropped. Wide enough that
/// a step of a few frames between two shots (a concat join, a gap) still counts as agreement,
/// narrow next to the search range.
const NEIGHBOUR_SPREAD_S: f64 = 0.150;
/// Separate sounds that must be clearly paired, each agreed by its neighbours, for the events
/// to count.
const MIN_AGREEING: usize = 2;
/// Another pairing of the same event is a rival when at least this far from the chosen one (s).
const RIVAL_S: f64 = 0.100;

/// The method an offset comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Visual events paired with audio onsets.
    Events,
    /// Visual impulses cross-correlated with the audio onset envelope.
    Correlation,
    /// A speaking face's mouth opening cross-correlated with the speech.
    Lips,
}

impl Method {
    /// Lower-case name, as in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Events => "events",
            Self::Correlation => "correlation",
            Self::Lips => "lips",
        }
    }
}

/// An offset with a confidence (0..1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// Audio minus picture, in ms (positive: audio late).
    pub offset_ms: f64,
    /// How much to trust it (0..1).
    pub confidence: f64,
    /// Where it comes from.
    pub method: Method,
}

/// A visual event paired with an audio onset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// The visual event.
    pub event: Event,
    /// Audio onset time minus event time, in ms.
    pub offset_ms: f64,
    /// How clearly the neighbourhood agrees on this pairing (0..1).
    pub support: f64,
}

/// The estimate over one span of the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpanEstimate {
    /// Start of the span, in ticks of the video's time base ([`Evidence::time_base`]).
    pub start: Ticks,
    /// End of the span (exclusive), in the same ticks.
    pub end: Ticks,
    /// The combined estimate, when there is evidence.
    pub measure: Option<Measure>,
    /// From paired events alone.
    pub events: Option<Measure>,
    /// From correlation alone.
    pub correlation: Option<Measure>,
    /// Paired events in the span.
    pub pairs: usize,
}

/// Everything the estimator needs.
pub struct Evidence<'a> {
    /// Visual events and impulses.
    pub visual: &'a Visual,
    /// Audio onsets.
    pub onsets: &'a [Onset],
    /// Audio onset envelope (smoothed).
    pub envelope: &'a Envelope,
    /// The video's time base: the unit of the spans' ticks and of `frame`.
    pub time_base: TimeBase,
    /// One frame at the nominal rate.
    pub frame: Ticks,
    /// Largest offset searched (ms).
    pub max_lag_ms: i64,
    /// The standard judged against: of two offsets the evidence splits evenly between, the
    /// one using more of its band is the span's.
    pub standard: Standard,
}

impl Evidence<'_> {
    /// `t` in seconds: the unit the events, onsets and impulses are measured in.
    pub fn secs(&self, t: Ticks) -> f64 {
        self.time_base.secs(t)
    }

    /// One frame in ms.
    fn frame_ms(&self) -> f64 {
        self.secs(self.frame) * 1000.0
    }

    /// `ms` milliseconds in ticks of the time base.
    fn ticks_of_ms(&self, ms: i64) -> Ticks {
        Ticks(ms).rescale(TimeBase::MILLIS, self.time_base)
    }

    /// Pair every visual event with the audio onset its neighbourhood agrees on.
    pub fn pairs(&self) -> Vec<Pair> {
        let lag = self.max_lag_ms as f64 / 1000.0;
        let events = &self.visual.events;
        let candidates: Vec<Vec<f64>> = events
            .iter()
            .map(|e| {
                let lo = self.onsets.partition_point(|o| o.time < e.time - lag);
                self.onsets[lo..]
                    .iter()
                    .take_while(|o| o.time <= e.time + lag)
                    .map(|o| o.time - e.time)
                    .collect()
            })
            .collect();
        let mut pairs = Vec::new();
        for (i, e) in events.iter().enumerate() {
            if candidates[i].is_empty() {
                continue;
            }
            let near: Vec<usize> = (0..events.len())
                .filter(|&j| (events[j].time - e.time).abs() <= NEIGHBOURHOOD_S)
                .collect();
            let total: f64 = near.iter().map(|&j| events[j].kind.weight()).sum();
            // Weighted count of events (this one included) with a pairing within `width` of x.
            let support_at = |x: f64, width: f64, skip: Option<usize>| -> f64 {
                near.iter()
                    .filter(|&&j| Some(j) != skip)
                    .map(|&j| {
                        let best = candidates[j]
                            .iter()
                            .map(|c| (1.0 - (c - x).abs() / width).max(0.0))
                            .fold(0.0, f64::max);
                        best * events[j].kind.weight()
                    })
                    .sum()
            };
            let vote = |x: f64| support_at(x, AGREEMENT_S, None);
            let points = near.iter().flat_map(|&j| candidates[j].iter().copied());
            let scored: Vec<(f64, f64)> = points.map(|x| (x, vote(x))).collect();
            let Some(&(consensus, _)) = scored
                .iter()
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.abs().total_cmp(&a.0.abs())))
            else {
                continue;
            };
            let own = candidates[i]
                .iter()
                .copied()
                .min_by(|a, b| (a - consensus).abs().total_cmp(&(b - consensus).abs()))
                .expect("non-empty");
            // Off the consensus by more than a shot-to-shot step: a coincidence.
            if (own - consensus).abs() > NEIGHBOUR_SPREAD_S {
                continue;
            }
            // Support: the margin over this event's other possible pairings, and how many of
            // its neighbours agree (a lone event counts half).
            let weight = e.kind.weight();
            let score = vote(own);
            let rival = candidates[i]
                .iter()
                .filter(|c| (*c - own).abs() > RIVAL_S)
                .map(|&c| vote(c))
                .fold(0.0, f64::max);
            let margin = ((score - rival) / score).clamp(0.0, 1.0);
            let others = total - weight;
            let agreement = if others > 0.0 {
                (support_at(own, NEIGHBOUR_SPREAD_S, Some(i)) / others).clamp(0.0, 1.0)
            } else {
                0.0
            };
            pairs.push(Pair {
                event: *e,
                offset_ms: own * 1000.0,
                support: margin * (0.5 + 0.5 * agreement),
            });
        }
        pairs
    }

    /// Estimate the span `[start, end)` from `pairs` and by correlation.
    pub fn span(&self, pairs: &[Pair], start: Ticks, end: Ticks) -> SpanEstimate {
        let (from, to) = (self.secs(start), self.secs(end));
        let inside: Vec<&Pair> = pairs
            .iter()
            .filter(|p| p.event.time >= from && p.event.time < to)
            .collect();
        let events = events_measure(&inside, self.standard);
        let impulses: Vec<(f64, f32)> = self
            .visual
            .impulses
            .iter()
            .copied()
            .filter(|(t, _)| *t >= from && *t < to)
            .collect();
        let exclusion = (2.0 * self.frame_ms()).max(50.0);
        let correlation =
            correlate(&impulses, self.envelope, self.max_lag_ms, exclusion).map(|c| Measure {
                offset_ms: c.lag_ms,
                confidence: c.confidence,
                method: Method::Correlation,
            });
        SpanEstimate {
            start,
            end,
            measure: combine(events, correlation, self.frame_ms()),
            events,
            correlation,
            pairs: inside.len(),
        }
    }

    /// Windows of [`WINDOW_MS`] every [`HOP_MS`] over `[start, end)`.
    pub fn windows(&self, pairs: &[Pair], start: Ticks, end: Ticks) -> Vec<SpanEstimate> {
        self.window_spans(start, end)
            .into_iter()
            .map(|(s, e)| self.span(pairs, s, e))
            .collect()
    }

    /// The spans of [`windows`](Self::windows): every [`HOP_MS`] from `start`, [`WINDOW_MS`]
    /// long, the last one cut at `end` (one window for a span of a window or less).
    pub fn window_spans(&self, start: Ticks, end: Ticks) -> Vec<(Ticks, Ticks)> {
        let at = |k: i64| start + self.ticks_of_ms(k * HOP_MS);
        let window = self.ticks_of_ms(WINDOW_MS);
        let mut out = Vec::new();
        let mut k = 0;
        loop {
            let s = at(k);
            if k > 0 && at(k + 1) >= end {
                break;
            }
            out.push((s, (s + window).min(end)));
            k += 1;
        }
        out
    }

    /// Shot boundaries from detected cuts: `[first, cut1), [cut1, cut2), ... [cutN, end)`, with
    /// cuts closer than 0.5 s (`MIN_SHOT_MS`) to the previous boundary or the end ignored.
    pub fn shots_from_cuts(&self, first: Ticks, end: Ticks) -> Spans {
        let min = self.ticks_of_ms(MIN_SHOT_MS);
        let mut starts = vec![first];
        for cut in self.visual.events.iter().filter(|e| e.kind == Kind::Cut) {
            let cut = self.time_base.ticks_of_secs(cut.time);
            let last = *starts.last().expect("first");
            if cut - last >= min && end - cut >= min {
                starts.push(cut);
            }
        }
        Spans {
            time_base: self.time_base,
            spans: starts
                .iter()
                .enumerate()
                .map(|(i, &s)| (s, starts.get(i + 1).copied().unwrap_or(end)))
                .collect(),
        }
    }

    /// The drift within shots: one weighted least-squares slope of offset over time shared by
    /// the `shots`, each keeping its own offset, fitted to the paired events (or, with too few,
    /// the confident windows inside a shot). A shot whose offset steps (a join the shot list
    /// does not know) is split there first, so no step reads as drift.
    pub fn drift(
        &self,
        pairs: &[Pair],
        windows: &[SpanEstimate],
        shots: &[(Ticks, Ticks)],
    ) -> Drift {
        let mut from_pairs = vec![Vec::new(); shots.len()];
        for p in pairs {
            let t = p.event.time;
            let inside = |&(s, e): &(Ticks, Ticks)| self.secs(s) <= t && t < self.secs(e);
            if let Some(k) = shots.iter().position(inside) {
                let weight = p.event.kind.weight() * p.support.max(1e-3);
                from_pairs[k].push((t, p.offset_ms, weight));
            }
        }
        let mut parts = Vec::new();
        let mut steps = Vec::new();
        for mut g in from_pairs {
            g.sort_by(|a, b| a.0.total_cmp(&b.0));
            split_at_steps(&g, &mut parts, &mut steps);
        }
        // Windows overlap and lips readings scatter by more than a step: no steps are sought
        // there, but those the events found split the windows too.
        let mut from_windows: Vec<((usize, usize), Vec<Point>)> = Vec::new();
        for w in windows {
            let (from, to) = (self.secs(w.start), self.secs(w.end));
            let inside = |&(s, e): &(Ticks, Ticks)| s <= w.start && w.end <= e;
            let (Some(m), Some(k)) = (
                w.measure.filter(|m| m.confidence >= 0.5),
                shots.iter().position(inside),
            ) else {
                continue;
            };
            if steps.iter().any(|s| from < s.to_s && s.from_s < to) {
                continue;
            }
            let part = (k, steps.iter().filter(|s| s.to_s <= from).count());
            let point = ((from + to) / 2.0, m.offset_ms, m.confidence);
            match from_windows.iter_mut().find(|g| g.0 == part) {
                Some(g) => g.1.push(point),
                None => from_windows.push((part, vec![point])),
            }
        }
        let from_windows: Vec<Vec<Point>> = from_windows.into_iter().map(|g| g.1).collect();
        let ms_per_min = shared_slope(&parts)
            .or_else(|| shared_slope(&from_windows))
            .map(|s| s * 60.0);
        Drift { ms_per_min, steps }
    }
}

/// A measure of the offset for the drift fit: (time s, offset ms, weight).
type Point = (f64, f64, f64);

/// The offset's change over time within shots.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// ms per minute; `None` unless some stretch without a step has three measures spanning
    /// 3 s.
    pub ms_per_min: Option<f64>,
    /// Steps of the offset found inside shots, in time order.
    pub steps: Vec<Step>,
}

/// A step of the offset inside a shot (an entry of `offset_steps[]` in the report).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Step {
    /// The last measure before it (s).
    pub from_s: f64,
    /// The first measure after it (s).
    pub to_s: f64,
    /// How far the offset moves (ms; positive: the sound later after it).
    pub step_ms: f64,
}

/// Offsets this far apart (ms) are a step, between shots or inside one: well above the events'
/// millisecond precision, under the 21 ms by which an AAC frame too many at a join moves the
/// later shots.
pub const STEP_MS: f64 = 10.0;

/// Split `pts` (paired events sorted by time) into `parts` where the offset steps, the steps
/// to `steps`: between consecutive events whose offsets move by [`STEP_MS`] or more beyond
/// what the typical rate of change (the median over consecutive events) predicts. An event
/// alone between two steps (a pairing off its neighbours, or a shot too short to tell) is left
/// out and the steps around it are looked for again without it.
fn split_at_steps(pts: &[Point], parts: &mut Vec<Vec<Point>>, steps: &mut Vec<Step>) {
    let mut pts = pts.to_vec();
    let breaks = loop {
        let breaks = breaks_in(&pts);
        let mut bounds = vec![0];
        bounds.extend(breaks.iter().map(|b| b.0 + 1));
        bounds.push(pts.len());
        let Some(alone) = bounds
            .windows(2)
            .find(|w| w[1] - w[0] == 1 && pts.len() > 1)
        else {
            break breaks;
        };
        pts.remove(alone[0]);
    };
    let mut from = 0;
    for (at, step_ms) in breaks {
        parts.push(pts[from..=at].to_vec());
        steps.push(Step {
            from_s: pts[at].0,
            to_s: pts[at + 1].0,
            step_ms,
        });
        from = at + 1;
    }
    parts.push(pts[from..].to_vec());
}

/// Where the offset of `pts` (sorted by time) steps: `(i, step)` for a step between `pts[i]`
/// and `pts[i + 1]` ([`split_at_steps`]).
fn breaks_in(pts: &[Point]) -> Vec<(usize, f64)> {
    let moves: Vec<(f64, f64)> = pts
        .windows(2)
        .map(|w| (w[1].0 - w[0].0, w[1].1 - w[0].1))
        .collect();
    let mut rates: Vec<f64> = moves
        .iter()
        .filter(|m| m.0 > 0.0)
        .map(|m| m.1 / m.0)
        .collect();
    rates.sort_by(f64::total_cmp);
    let rate = match rates.len() {
        0 => 0.0,
        n if n % 2 == 1 => rates[n / 2],
        n => (rates[n / 2 - 1] + rates[n / 2]) / 2.0,
    };
    moves
        .iter()
        .map(|&(dt, dy)| dy - rate * dt)
        .enumerate()
        .filter(|(_, step)| step.abs() >= STEP_MS)
        .collect()
}

/// The weighted median offset of paired events (of two a step apart that split the weight
/// evenly, the one using more of `standard`'s band), with a confidence from how well supported
/// the pairings are and how many separate sounds are clearly paired (none when fewer than
/// [`MIN_AGREEING`]).
fn events_measure(pairs: &[&Pair], standard: Standard) -> Option<Measure> {
    if pairs.is_empty() {
        return None;
    }
    let mut by_offset: Vec<(f64, f64)> = pairs
        .iter()
        .map(|p| (p.offset_ms, p.event.kind.weight() * p.support.max(1e-3)))
        .collect();
    by_offset.sort_by(|a, b| a.0.total_cmp(&b.0));
    let weight: f64 = pairs.iter().map(|p| p.event.kind.weight()).sum();
    let supported: f64 = pairs
        .iter()
        .map(|p| p.event.kind.weight() * p.support)
        .sum();
    // Separate sounds whose pairing stands out and that neighbours agree with: two events
    // paired with one onset are one piece of evidence.
    let mut sounds: Vec<f64> = pairs
        .iter()
        .filter(|p| p.support > 0.5)
        .map(|p| p.event.time + p.offset_ms / 1000.0)
        .collect();
    sounds.sort_by(f64::total_cmp);
    sounds.dedup_by(|a, b| (*a - *b).abs() < 0.001);
    let count = if sounds.len() < MIN_AGREEING {
        0.0
    } else {
        1.0 - 0.3f64.powi(sounds.len() as i32)
    };
    Some(Measure {
        offset_ms: weighted_median(&by_offset, |o| standard.usage(o)),
        confidence: supported / weight * count,
        method: Method::Events,
    })
}

/// The median of `(value, weight)` pairs sorted by value. When the weight splits evenly
/// between two middle values, their mean if they are closer than [`STEP_MS`] (two readings of
/// one offset), else the one `worse` rates higher: a cut half at 0 and half at +80 ms has no
/// part at +40 ms.
fn weighted_median(sorted: &[(f64, f64)], worse: impl Fn(f64) -> f64) -> f64 {
    let total: f64 = sorted.iter().map(|v| v.1).sum();
    let mut acc = 0.0;
    for (i, &(v, w)) in sorted.iter().enumerate() {
        acc += w;
        if acc > total / 2.0 + 1e-12 {
            return v;
        }
        if (acc - total / 2.0).abs() <= 1e-12 {
            return match sorted.get(i + 1) {
                None => v,
                Some(&(n, _)) if n - v < STEP_MS => (v + n) / 2.0,
                Some(&(n, _)) if worse(n) > worse(v) => n,
                Some(_) => v,
            };
        }
    }
    sorted.last().map_or(0.0, |v| v.0)
}

/// One estimate from both methods: paired events give the exact offset; correlation, when it
/// agrees (within a frame of `frame_ms`), adds confidence; when they disagree the stronger one
/// wins, its confidence discounted by the weaker one's (a weak contradiction costs little).
fn combine(events: Option<Measure>, corr: Option<Measure>, frame_ms: f64) -> Option<Measure> {
    match (events, corr) {
        (Some(e), Some(c)) => {
            if (e.offset_ms - c.offset_ms).abs() <= frame_ms + 5.0 {
                Some(Measure {
                    confidence: 1.0 - (1.0 - e.confidence) * (1.0 - c.confidence),
                    ..e
                })
            } else {
                let (best, other) = if e.confidence >= c.confidence {
                    (e, c)
                } else {
                    (c, e)
                };
                Some(Measure {
                    confidence: best.confidence * (1.0 - other.confidence),
                    ..best
                })
            }
        }
        (Some(m), None) | (None, Some(m)) => Some(m),
        (None, None) => None,
    }
}

/// Weighted least-squares slope of points shared by `groups`, each group with its own
/// intercept. `None` unless some group has 3 points spanning at least 3 on x.
fn shared_slope(groups: &[Vec<Point>]) -> Option<f64> {
    let shows_a_slope = |pts: &Vec<Point>| {
        let (lo, hi) = pts
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), p| (l.min(p.0), h.max(p.0)));
        pts.len() >= 3 && hi - lo >= 3.0
    };
    if !groups.iter().any(shows_a_slope) {
        return None;
    }
    // Each group about its own mean: its own intercept.
    let (mut sxx, mut sxy) = (0.0, 0.0);
    for pts in groups.iter().filter(|g| !g.is_empty()) {
        let w: f64 = pts.iter().map(|p| p.2).sum();
        let mx = pts.iter().map(|p| p.0 * p.2).sum::<f64>() / w;
        let my = pts.iter().map(|p| p.1 * p.2).sum::<f64>() / w;
        for p in pts {
            sxx += p.2 * (p.0 - mx).powi(2);
            sxy += p.2 * (p.0 - mx) * (p.1 - my);
        }
    }
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Shots shorter than this are merged into the next one when splitting at detected cuts (ms).
const MIN_SHOT_MS: i64 = 500;

#[cfg(test)]
mod tests {
    use super::*;

    fn onset(time: f64) -> Onset {
        Onset {
            time,
            strength: 0.3,
        }
    }

    fn event(time: f64) -> Event {
        Event {
            time,
            kind: Kind::Flash,
        }
    }

    #[test]
    fn pairs_follow_the_neighbourhood() {
        let visual = Visual {
            events: vec![event(1.0), event(3.0), event(5.0)],
            impulses: vec![],
        };
        // Every flash has its beep 80 ms late, and a stray onset 300 ms early.
        let onsets: Vec<Onset> = [0.7, 1.08, 2.7, 3.08, 4.7, 5.08].map(onset).to_vec();
        let env = Envelope::default();
        let ev = Evidence {
            visual: &visual,
            onsets: &onsets,
            envelope: &env,
            time_base: TimeBase::of_rate(cutroom_ffi::Rational::new(25, 1)).unwrap(),
            frame: Ticks(1),
            max_lag_ms: 500,
            standard: Standard::R37,
        };
        let pairs = ev.pairs();
        assert_eq!(pairs.len(), 3);
        for p in &pairs {
            assert!((p.offset_ms - 80.0).abs() < 1e-9, "{p:?}");
        }
        // The rival pairing (-300 ms) is as strong: the support says so.
        assert!(pairs.iter().all(|p| p.support < 0.1), "{pairs:?}");
        // Without the stray onsets every pairing is clear and agreed.
        let onsets: Vec<Onset> = [1.08, 3.08, 5.08].map(onset).to_vec();
        let ev = Evidence {
            onsets: &onsets,
            ..ev
        };
        assert!(ev.pairs().iter().all(|p| p.support == 1.0));
    }

    #[test]
    fn windows_and_shots_are_whole_ticks_of_the_video() {
        let tb = TimeBase::new(cutroom_ffi::Rational::new(1, 15360)).unwrap();
        let cut = |time| Event {
            time,
            kind: Kind::Cut,
        };
        let visual = Visual {
            events: vec![cut(3.0), cut(3.2), cut(9.8)],
            impulses: vec![],
        };
        let env = Envelope::default();
        let ev = Evidence {
            visual: &visual,
            onsets: &[],
            envelope: &env,
            time_base: tb,
            frame: Ticks(512),
            max_lag_ms: 500,
            standard: Standard::R37,
        };
        // 10 s from the second frame: 4 s windows every 2 s, the last one cut at the end.
        let (first, end) = (Ticks(512), Ticks(512 + 10 * 15360));
        let s = |k: i64| Ticks(512 + k * 15360);
        let windows: Vec<_> = ev
            .windows(&[], first, end)
            .iter()
            .map(|w| (w.start, w.end))
            .collect();
        assert_eq!(
            windows,
            vec![(s(0), s(4)), (s(2), s(6)), (s(4), s(8)), (s(6), s(10))]
        );
        // A cut 0.2 s after another, or under 0.5 s before the end, starts no shot.
        let shots = ev.shots_from_cuts(first, end);
        assert_eq!(shots.time_base, tb);
        assert_eq!(
            shots.spans,
            vec![(first, Ticks(3 * 15360)), (Ticks(3 * 15360), end)]
        );
    }

    #[test]
    fn weighted_median_and_shared_slope() {
        let r37 = |o| Standard::R37.usage(o);
        assert_eq!(
            weighted_median(&[(1.0, 1.0), (2.0, 1.0), (9.0, 1.0)], r37),
            2.0
        );
        assert_eq!(weighted_median(&[(1.0, 1.0), (3.0, 1.0)], r37), 2.0);
        // Split evenly across a step: an offset one side has, the one using more of the band
        // (R37: 40 ms early, 60 ms late), never the mean.
        assert_eq!(weighted_median(&[(0.0, 2.0), (80.0, 2.0)], r37), 80.0);
        assert_eq!(weighted_median(&[(-35.0, 1.0), (50.0, 1.0)], r37), -35.0);
        assert_eq!(weighted_median(&[(-25.0, 1.0), (50.0, 1.0)], r37), 50.0);
        let pts: Vec<(f64, f64, f64)> = (0..10)
            .map(|i| (i as f64, 5.0 + 0.5 * i as f64, 1.0))
            .collect();
        assert!((shared_slope(std::slice::from_ref(&pts)).unwrap() - 0.5).abs() < 1e-12);
        assert!(shared_slope(&[pts[..2].to_vec()]).is_none());
        // Two shots, the second 80 ms later: the step is no slope; each shot's own is.
        let step = |k: f64| (0..4).map(move |i| (8.0 * k + 2.0 * i as f64, 80.0 * k, 1.0));
        assert_eq!(
            shared_slope(&[step(0.0).collect(), step(1.0).collect()]),
            Some(0.0)
        );
        let drifting: Vec<Vec<_>> = (0..2)
            .map(|k| step(k as f64).map(|(x, y, w)| (x, y + x, w)).collect())
            .collect();
        assert!((shared_slope(&drifting).unwrap() - 1.0).abs() < 1e-9);
        // Shots of two measures each (or 2 s long) show no slope of their own.
        let short: Vec<Vec<_>> = (0..4).map(|k| step(k as f64).take(2).collect()).collect();
        assert_eq!(shared_slope(&short), None);
    }

    #[test]
    fn steps_are_told_from_drift() {
        let split = |pts: &[Point]| {
            let (mut parts, mut steps) = (Vec::new(), Vec::new());
            split_at_steps(pts, &mut parts, &mut steps);
            (parts, steps)
        };
        // 1 ms later every second, events every 2 s: drift, no step.
        let drifting: Vec<Point> = (0..10)
            .map(|i| (2.0 * i as f64, 2.0 * i as f64, 1.0))
            .collect();
        let (parts, steps) = split(&drifting);
        assert_eq!((parts.len(), steps.len()), (1, 0));
        // The same, 80 ms later from 10 s on, with one pairing 300 ms off at 14 s.
        let mut stepped = drifting.clone();
        for p in stepped.iter_mut().filter(|p| p.0 >= 10.0) {
            p.1 += 80.0;
        }
        stepped[7].1 += 300.0;
        let (parts, steps) = split(&stepped);
        assert_eq!(steps.len(), 1, "{steps:?}");
        assert_eq!((steps[0].from_s, steps[0].to_s), (8.0, 10.0));
        assert!((steps[0].step_ms - 80.0).abs() < 1e-9);
        assert_eq!(parts.iter().map(Vec::len).collect::<Vec<_>>(), vec![5, 4]);
        assert!((shared_slope(&parts).unwrap() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn methods_combine() {
        let e = Measure {
            offset_ms: 80.0,
            confidence: 0.8,
            method: Method::Events,
        };
        let c = Measure {
            offset_ms: 81.0,
            confidence: 0.5,
            method: Method::Correlation,
        };
        let m = combine(Some(e), Some(c), 40.0).unwrap();
        assert_eq!((m.offset_ms, m.method), (80.0, Method::Events));
        assert!((m.confidence - 0.9).abs() < 1e-12);
        let far = Measure {
            offset_ms: 300.0,
            confidence: 0.9,
            method: Method::Correlation,
        };
        let m = combine(Some(e), Some(far), 40.0).unwrap();
        assert_eq!((m.offset_ms, m.method), (300.0, Method::Correlation));
        assert!((m.confidence - 0.18).abs() < 1e-12);
    }
}
