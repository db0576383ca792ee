//! Lip sync: each tracked face's mouth opening cross-correlated with the level of the speech
//! in the sound, per sliding window and over the clip.
//!
//! The speech level is the mean over 40 mel bands (80-7600 Hz) of each band's log energy in 25
//! ms windows every 5 ms. For every lag `L` (1 ms steps over `±max_lag`) the speech series is
//! that level's mean over each frame's interval moved by `L`, read from a running sum over
//! samples, so moving the audio by `s` ms moves the correlation peak by exactly `s`. Both
//! series are differenced frame to frame (the mouth's opening and closing speed against the
//! level's rise and fall: the derivatives sharpen the correlation peak, so lobes a syllable
//! apart separate), high-passed (a centred moving mean over `HIGH_PASS_S` removed, so head
//! motion and level changes do not count) and correlated (Pearson). In each window the face
//! whose reading is surest is the speaker; the clip's curve is the mean of the windows'
//! speaker curves.

use super::audio::Audio;
use super::estimate::WINDOW_MS;
use super::face::{Area, FaceTrack};
use super::video::VideoTrack;
use crate::error::Result;
use rustfft::num_complex::Complex;
use rustfft::FftPlanner;
use serde::Serialize;

/// Added to the measured offset: the mouth's natural lead over the sound it makes (ms).
pub const CORRECTION_MS: i64 = 0;

/// How far past a standard's limit, beyond its parts' spread, a lips reading must lie to
/// `fail` (ms). A speaker's mouth leads or trails its voice by its own habit: real clips taken
/// as in sync read -68 to +117 ms with every window agreeing (docs/lips.md), so a reading just
/// past a limit is within the method's error; 45 ms is #15's own tolerance for an original.
pub const FAIL_MARGIN_MS: i64 = 45;

/// Largest offset searched (ms, each way): real renders are rarely off by more, and a wider
/// search only adds chances of a false peak (SyncNet searches ±15 frames).
pub const MAX_LAG_MS: i64 = 500;
/// How far beyond the search a reading is looked for, and in what steps (ms): a mouth that
/// matches the sound better out there than anywhere within, in every window, says the sound is
/// off by more than the search, and a reading within it is chance.
const BEYOND_MS: i64 = 1500;
const BEYOND_STEP_MS: i64 = 5;
/// Width of the moving mean removed from both series (s).
const HIGH_PASS_S: f64 = 1.0;
/// A face must show its mouth for this share of a span to speak in it.
const MIN_PRESENT: f64 = 0.6;
/// Speech level: mel bands, their range (Hz), and the analysis window and hop (s).
const MEL_BANDS: usize = 40;
const MEL_RANGE: (f64, f64) = (80.0, 7600.0);
const LEVEL_WINDOW_S: f64 = 0.025;
const LEVEL_HOP_S: f64 = 0.005;
/// A span's speech level, high-passed as it is correlated, must move this much between its
/// frames' 10th and 90th percentiles (dB) for a mouth to be held against it: in the
/// development clips' windows speech moves 10-23 dB, quiet singing 1.9 dB; a steady tone under
/// 0.3 dB, whose codec noise correlates with a mouth by chance.
const MIN_LEVEL_SPREAD_DB: f64 = 1.0;
/// Lags closer than this to the peak belong to its lobe when looking for a runner-up (ms).
const LOBE_MS: i64 = 120;
/// Spans shorter than this are not split into parts that must agree (s): the parts would be
/// too short to correlate.
const MIN_PART_S: f64 = 1.5;

/// One value per frame; `None` where there is none.
type Series = Vec<Option<f32>>;

/// A lip-sync measurement over one span.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LipsMeasure {
    /// Offset (ms, positive: audio late).
    pub offset_ms: i64,
    /// Correlation at the peak (-1..1).
    pub peak: f64,
    /// Best correlation outside the peak's lobe.
    pub runner_up: f64,
    /// Confidence (0..1): the peak's clarity times the share of the span's parts that agree.
    pub confidence: f64,
    /// The face that spoke.
    pub face: u32,
    /// Parts of the span (its windows, or its two ends) whose own peak agrees with it.
    pub agreeing: usize,
    /// Parts of the span measured.
    pub parts: usize,
    /// Parts left out of the share that must agree: with no reading of their own.
    pub abstaining: usize,
    /// The lowest and highest reading among the offset and its agreeing parts (ms).
    pub range_ms: (i64, i64),
}

impl LipsMeasure {
    /// How far the agreeing parts read from the offset at most (ms): its uncertainty.
    pub fn spread_ms(&self) -> i64 {
        (self.offset_ms - self.range_ms.0).max(self.range_ms.1 - self.offset_ms)
    }
}

/// One sliding window.
#[derive(Debug, Clone, PartialEq)]
pub struct LipsWindow {
    /// Start (s, presentation time).
    pub start: f64,
    /// End (s).
    pub end: f64,
    /// The speaker's measurement; `None` when no face shows its mouth long enough.
    pub measure: Option<LipsMeasure>,
}

/// Curves for the plot: the speaker's mouth opening and the speech level at the found offset,
/// both high-passed and standardised, one value per frame.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curves {
    /// Frame times (s).
    pub time: Vec<f64>,
    /// Mouth opening of the face speaking in the frame's window (`None`: no face).
    pub mouth: Vec<Option<f32>>,
    /// Speech energy at the found offset.
    pub speech: Vec<f32>,
}

/// The result of [`measure`].
#[derive(Debug, Clone, PartialEq)]
pub struct LipsEstimate {
    /// Over the whole clip; `None` when no face speaks in any window.
    pub overall: Option<LipsMeasure>,
    /// Sliding windows.
    pub windows: Vec<LipsWindow>,
    /// Shots, in the order given.
    pub shots: Vec<Option<LipsMeasure>>,
    /// Correlation of the clip's curve at each lag from `-(max_lag + LOBE_MS)`.
    pub curve: Vec<f64>,
    /// Mouth and speech at the found offset.
    pub curves: Curves,
    /// The faces, the tracks cut at shot starts.
    pub faces: Vec<Face>,
    /// The sound's level moves too little in every span for a mouth to follow (a steady
    /// tone or hum): why faces were found and nothing measured.
    pub steady: bool,
    /// Where, beyond the lags searched, the clip's mouth matches the sound better than at any
    /// offset within them, each of its windows finding it there too (ms): its sound is off by
    /// more than the search, and no reading within it decides ([`measure`]).
    pub beyond_ms: Option<i64>,
}

/// A face as reported: a track's frames within one shot. The tracker follows a face across a
/// cut when the next shot's face sits where the last one's did; that is another person, or the
/// same one seen anew, so it is another face. Its mouth is still measured on the whole track,
/// so that a window across the cut has a mouth to hold the speech against.
#[derive(Debug, Clone, PartialEq)]
pub struct Face {
    /// Face number, from 0, in order of appearance.
    pub id: u32,
    /// Index of its track.
    pub track: usize,
    /// Its frames: `track.frames[frames]`.
    pub frames: std::ops::Range<usize>,
    /// First frame index.
    pub first: usize,
    /// Last frame index.
    pub last: usize,
    /// Mean landmark box `(cx, cy, w, h)` in frame sides.
    pub area: Area,
}

/// `tracks` cut before each of the frame indices `cuts` (ascending), numbered in order of
/// appearance.
fn faces_of(tracks: &[FaceTrack], cuts: &[usize]) -> Vec<Face> {
    let mut out: Vec<Face> = Vec::new();
    for (track, t) in tracks.iter().enumerate() {
        let mut from = 0;
        while from < t.frames.len() {
            let first = t.frames[from].index;
            let next = cuts.partition_point(|&c| c <= first);
            let to = match cuts.get(next) {
                Some(&cut) => from + t.frames[from..].partition_point(|f| f.index < cut),
                None => t.frames.len(),
            };
            let n = (to - from) as f32;
            let sum = t.frames[from..to]
                .iter()
                .fold((0.0, 0.0, 0.0, 0.0), |s, f| {
                    (
                        s.0 + f.area.0,
                        s.1 + f.area.1,
                        s.2 + f.area.2,
                        s.3 + f.area.3,
                    )
                });
            out.push(Face {
                id: 0,
                track,
                frames: from..to,
                first,
                last: t.frames[to - 1].index,
                area: (sum.0 / n, sum.1 / n, sum.2 / n, sum.3 / n),
            });
            from = to;
        }
    }
    out.sort_by_key(|f| (f.first, tracks[f.track].id));
    for (id, f) in out.iter_mut().enumerate() {
        f.id = id as u32;
    }
    out
}

/// Measure lip sync from the face tracks of `video` against `audio`, over lags up to
/// `max_lag_ms` (at most [`MAX_LAG_MS`]): over the clip and each of its `windows`, and over each
/// of `shots`, each given by its own windows (spans in seconds of presentation time), so that a
/// shot is judged as the clip would be if it were the whole file.
///
/// A window's offset is the peak of its speaker's correlation curve, trusted in proportion to
/// its two ends that find the same peak on their own (within a frame): its halves, or for a
/// window of 3-4 s its first and last 2 s. A clip or shot of several windows reads the peak of
/// the mean of its windows' speaker curves, trusted as far as its windows agree (and, unless
/// one of them is sure of it on its own, no further than the surest); one of a single window
/// reads that window.
pub fn measure(
    video: &VideoTrack,
    faces: &[FaceTrack],
    audio: &Audio,
    max_lag_ms: i64,
    windows: &[(f64, f64)],
    shots: &[Vec<(f64, f64)>],
) -> Result<LipsEstimate> {
    if faces.is_empty() {
        // No mouth to hold the speech against: nothing to measure (a long scene without a
        // face spent most of its analysis on the speech level before).
        return Ok(LipsEstimate {
            overall: None,
            windows: windows
                .iter()
                .map(|&(start, end)| LipsWindow {
                    start,
                    end,
                    measure: None,
                })
                .collect(),
            shots: vec![None; shots.len()],
            curve: Vec::new(),
            curves: Curves::default(),
            faces: Vec::new(),
            steady: false,
            beyond_ms: None,
        });
    }
    let max_lag_ms = max_lag_ms.clamp(0, MAX_LAG_MS);
    let n = video.frames.len();
    let frame_s = video.frame_duration();
    let times: Vec<f64> = (0..n).map(|i| video.time(i)).collect();
    let rate = f64::from(audio.rate);
    // Frame intervals in samples of `audio.samples`.
    let starts: Vec<i64> = times
        .iter()
        .map(|t| (t * rate).round() as i64 - audio.start)
        .collect();
    let bounds: Vec<(i64, i64)> = (0..n)
        .map(|i| {
            let end = starts
                .get(i + 1)
                .copied()
                .unwrap_or(starts[i] + (frame_s * rate).round() as i64);
            (starts[i], end.max(starts[i] + 1))
        })
        .collect();
    let half = ((HIGH_PASS_S / frame_s / 2.0).round() as usize).max(1);
    // Nothing is differenced or averaged across a shot's start: another picture and sound.
    let mut cuts: Vec<usize> = shots
        .iter()
        .filter_map(|w| w.first())
        .map(|&(s, _)| times.partition_point(|&t| t < s - 1e-9))
        .filter(|&i| i > 0 && i < n)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let by_shot = |x: &[Option<f32>], f: &dyn Fn(&[Option<f32>]) -> Series| {
        let mut out = Vec::with_capacity(x.len());
        for (a, b) in std::iter::once(0)
            .chain(cuts.iter().copied())
            .zip(cuts.iter().copied().chain([x.len()]))
        {
            out.extend(f(&x[a..b]));
        }
        out
    };
    let people = faces_of(faces, &cuts);
    // The face of track `f` seen most in the frames `lo..hi`.
    let who = |f: usize, (lo, hi): (usize, usize)| -> u32 {
        people
            .iter()
            .filter(|p| p.track == f)
            .max_by_key(|p| {
                (
                    p.last.min(hi) as i64 - p.first.max(lo) as i64,
                    -(p.id as i64),
                )
            })
            .map_or(0, |p| p.id)
    };
    let openings: Vec<Vec<Option<f32>>> = faces
        .iter()
        .map(|f| {
            let mut m = vec![None; n];
            for p in &f.frames {
                if p.index < n {
                    m[p.index] = Some(p.opening);
                }
            }
            by_shot(&m, &|x| high_pass(x, half))
        })
        .collect();
    // What is correlated: the mouth's speed, frame to frame.
    let mouths: Vec<Vec<Option<f32>>> = openings.iter().map(|m| by_shot(m, &differences)).collect();
    // Every window correlated once (a shot's window may be one of the clip's), then the two
    // ends of each.
    let mut spans: Vec<(f64, f64)> = Vec::new();
    let mut index = |span: (f64, f64)| -> usize {
        let same = |s: &(f64, f64)| (s.0 - span.0).abs() < 1e-9 && (s.1 - span.1).abs() < 1e-9;
        spans.iter().position(same).unwrap_or_else(|| {
            spans.push(span);
            spans.len() - 1
        })
    };
    let clip_windows: Vec<usize> = windows.iter().map(|&w| index(w)).collect();
    let shot_windows: Vec<Vec<usize>> = shots
        .iter()
        .map(|w| w.iter().map(|&w| index(w)).collect())
        .collect();
    let whole = spans.len();
    let parts: Vec<(f64, f64)> = spans.iter().flat_map(|&(s, e)| ends(s, e)).collect();
    spans.extend(parts);
    let ranges: Vec<(usize, usize)> = spans
        .iter()
        .map(|&(s, e)| {
            let lo = times.partition_point(|&t| t < s - 1e-9);
            let hi = times.partition_point(|&t| t < e - 1e-9);
            (lo, hi)
        })
        .collect();
    // The sound decoded again for it: its samples are not held.
    let mut level = SpeechLevel::new(audio.rate);
    audio.replay(&mut |s| level.push(s))?;
    let level = level.finish();
    // Spans whose sound holds its level have nothing for a mouth to follow.
    let heard: Vec<Option<f32>> = bounds.iter().map(|&(a, b)| level.mean(a, b)).collect();
    let heard = by_shot(&heard, &|x| high_pass(x, half));
    let moving: Vec<bool> = ranges
        .iter()
        .map(|&(lo, hi)| level_spread_db(&heard[lo..hi]) >= MIN_LEVEL_SPREAD_DB)
        .collect();
    // The curves reach a lobe beyond the lags searched, so that a peak near the end of the
    // search is seen whole, and one beyond it is not taken for a peak at the end.
    let reach = max_lag_ms + LOBE_MS;
    let lags = 2 * reach as usize + 1;
    // curves[span][face][lag]
    let mut curves = vec![vec![vec![f64::NAN; lags]; faces.len()]; spans.len()];
    let present = |m: &[Option<f32>], (lo, hi): (usize, usize)| {
        m[lo..hi].iter().filter(|v| v.is_some()).count()
    };
    // The speech's rise and fall with the sound moved by `lag` ms.
    let speech_at = |lag: i64| {
        let shift = (lag as f64 * rate / 1000.0).round() as i64;
        let speech: Vec<Option<f32>> = bounds
            .iter()
            .map(|&(a, b)| level.mean(a + shift, b + shift))
            .collect();
        by_shot(&speech, &|x| high_pass(&differences(x), half))
    };
    let shown = |m: &[Option<f32>], range: (usize, usize)| {
        present(m, range) as f64 >= MIN_PRESENT * (range.1 - range.0) as f64
    };
    for (k, lag) in (-reach..=reach).enumerate() {
        let speech = speech_at(lag);
        for (w, &range) in ranges.iter().enumerate() {
            if !moving[w] {
                continue;
            }
            for (f, m) in mouths.iter().enumerate() {
                if !shown(m, range) {
                    continue;
                }
                curves[w][f][k] = pearson(&m[range.0..range.1], &speech[range.0..range.1]);
            }
        }
    }
    let tolerance = (frame_s * 1000.0).round() as i64 + 5;
    // A part agrees when it finds the same peak and its own parts, if it has any, do not all
    // disagree with it.
    let agrees = |m: &LipsMeasure, part: Option<LipsMeasure>| {
        part.is_some_and(|p| {
            (p.parts == 0 || p.agreeing > 0) && (p.offset_ms - m.offset_ms).abs() <= tolerance
        })
    };
    let long_enough = |p: &usize| spans[*p].1 - spans[*p].0 >= MIN_PART_S;
    // A window's speaker and peak, trusted as far as its two ends agree. The speaker is the
    // face whose reading is surest: a mouth merely busier than the speaker's can correlate a
    // little higher at some lag without standing out there. In a window where no face's
    // reading is confirmed, it is the face speaking in the nearest window where one is (a
    // speaker goes on speaking), else the clearest, then strongest, peak's.
    let candidates: Vec<Vec<(usize, f64, LipsMeasure)>> = (0..whole)
        .map(|k| {
            let h = whole + 2 * k;
            (0..faces.len())
                .filter_map(|f| {
                    let m = peak(&curves[k][f], max_lag_ms, who(f, ranges[k]))?;
                    let parts: Vec<Option<LipsMeasure>> = (h..h + 2)
                        .filter(long_enough)
                        .map(|p| peak(&curves[p][f], max_lag_ms, m.face))
                        .collect();
                    let ends = parts.len();
                    Some((f, m.confidence, with_parts(m, &parts, ends, agrees)))
                })
                .collect()
        })
        .collect();
    let surest = |k: usize| {
        candidates[k]
            .iter()
            .copied()
            .filter(|c| c.2.confidence > 0.0)
            .max_by(|a, b| a.2.confidence.total_cmp(&b.2.confidence))
    };
    let centre = |k: usize| spans[k].0 + spans[k].1;
    let window_measures: Vec<Option<(usize, LipsMeasure)>> = (0..whole)
        .map(|k| {
            let chosen = surest(k).or_else(|| {
                let nearest = (0..whole)
                    .filter_map(|j| Some((j, surest(j)?.0)))
                    .filter(|&(_, f)| candidates[k].iter().any(|c| c.0 == f))
                    .min_by(|a, b| {
                        (centre(a.0) - centre(k))
                            .abs()
                            .total_cmp(&(centre(b.0) - centre(k)).abs())
                    });
                let clearest = || {
                    candidates[k].iter().copied().max_by(|a, b| {
                        (a.1, a.2.peak)
                            .partial_cmp(&(b.1, b.2.peak))
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
                };
                nearest
                    .and_then(|(_, f)| candidates[k].iter().copied().find(|c| c.0 == f))
                    .or_else(clearest)
            });
            chosen.map(|(f, _, m)| (f, m))
        })
        .collect();
    // A clip or shot: the mean of its windows' speaker curves (weighted by the frames showing
    // the speaker's mouth), trusted as far as its windows agree with it and, unless one of
    // them reaches the verdicts' threshold alone, no further than the surest (windows that agree
    // only by landing on the same lobe, each unsure of it, confirm nothing); the speaker of its
    // most confident window is its speaker.
    // One window: that window.
    let judge = |own: &[usize]| -> Option<(LipsMeasure, Vec<f64>)> {
        if let [w] = own {
            let (f, m) = window_measures[*w]?;
            return Some((m, curves[*w][f].clone()));
        }
        let mut total = vec![0.0; lags];
        let mut weight = 0.0;
        for &w in own {
            if let Some((f, _)) = window_measures[w] {
                let wt = present(&mouths[f], ranges[w]) as f64;
                for (t, c) in total.iter_mut().zip(&curves[w][f]) {
                    *t += c * wt;
                }
                weight += wt;
            }
        }
        if weight == 0.0 {
            return None;
        }
        for t in &mut total {
            *t /= weight;
        }
        let speaker = own
            .iter()
            .filter_map(|&w| window_measures[w])
            .max_by(|a, b| {
                (a.1.confidence, a.1.peak)
                    .partial_cmp(&(b.1.confidence, b.1.peak))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .map_or(0, |m| m.1.face);
        let parts: Vec<Option<LipsMeasure>> = own
            .iter()
            .map(|&w| window_measures[w].map(|m| m.1))
            .collect();
        let m = with_parts(peak(&total, max_lag_ms, speaker)?, &parts, 0, agrees);
        let surest = parts
            .iter()
            .filter(|&&p| agrees(&m, p))
            .flatten()
            .map(|p| p.confidence)
            .fold(0.0, f64::max);
        let m = LipsMeasure {
            confidence: if surest >= super::MIN_CONFIDENCE {
                m.confidence
            } else {
                m.confidence.min(surest)
            },
            ..m
        };
        Some((m, total))
    };
    let mut shot_measures: Vec<Option<LipsMeasure>> = shot_windows
        .iter()
        .map(|own| judge(own).map(|m| m.0))
        .collect();
    let mut windows_out: Vec<LipsWindow> = windows
        .iter()
        .zip(&clip_windows)
        .map(|(&(start, end), &w)| LipsWindow {
            start,
            end,
            measure: window_measures[w].map(|m| m.1),
        })
        .collect();
    // Sound off by more than the search: the clip (a shot) reads confidently within it, yet
    // its mouth matches the sound better beyond it, out to BEYOND_MS, and so does each of its
    // windows (a clip of one window: each of its ends) at the same lag; what it reads within
    // the search is then chance (th_retalk3 with its sound 1000 ms early read -253 ms at
    // confidence 0.62, every window agreeing, and -993 ms out there): no reading decides, in
    // it or in its windows. Looked at only for a confident reading, so at no cost elsewhere.
    let beyond_search = |overall: LipsMeasure,
                         windows_out: &mut [LipsWindow],
                         shot_measures: &mut [Option<LipsMeasure>]|
     -> (LipsMeasure, Option<i64>) {
        let confident = |m: &LipsMeasure| m.confidence >= super::MIN_CONFIDENCE;
        if !confident(&overall) && !shot_measures.iter().flatten().any(confident) {
            return (overall, None);
        }
        let far_lags: Vec<i64> = (1..)
            .map(|i| reach + i * BEYOND_STEP_MS)
            .take_while(|&l| l <= BEYOND_MS)
            .flat_map(|l| [-l, l])
            .collect();
        // Each span's correlation at `far_lags` for its window's speaker.
        let speaker = |span: usize| {
            let w = if span < whole {
                span
            } else {
                (span - whole) / 2
            };
            window_measures[w].map(|m| m.0)
        };
        let mut far = vec![vec![f64::NAN; far_lags.len()]; spans.len()];
        for (j, &lag) in far_lags.iter().enumerate() {
            let speech = speech_at(lag);
            for (w, &range) in ranges.iter().enumerate() {
                match speaker(w) {
                    Some(f) if moving[w] && shown(&mouths[f], range) => {
                        far[w][j] =
                            pearson(&mouths[f][range.0..range.1], &speech[range.0..range.1]);
                    }
                    _ => {}
                }
            }
        }
        let best = |c: &[f64]| {
            (c.iter().zip(&far_lags))
                .filter(|(v, _)| v.is_finite())
                .max_by(|a, b| a.0.total_cmp(b.0))
                .map(|(&v, &l)| (l, v))
        };
        let top = |c: &[f64]| {
            (c.iter().copied())
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::max)
        };
        // Where the span of the windows `own`, read at `m`, matches beyond the search.
        let beyond = |own: &[usize], m: &LipsMeasure| -> Option<i64> {
            // The parts' peaks within the search and their curves beyond it.
            let parts: Vec<(f64, &[f64])> = match own {
                [w] => {
                    let f = window_measures[*w]?.0;
                    [whole + 2 * w, whole + 2 * w + 1]
                        .into_iter()
                        .filter(long_enough)
                        .map(|p| (top(&curves[p][f]), &far[p][..]))
                        .collect()
                }
                _ => (own.iter())
                    .filter_map(|&w| Some((window_measures[w]?.1.peak, &far[w][..])))
                    .collect(),
            };
            let mut mean = vec![0.0; far_lags.len()];
            let mut weight = 0.0;
            for &w in own {
                if let Some((f, _)) = window_measures[w] {
                    let wt = present(&mouths[f], ranges[w]) as f64;
                    for (t, c) in mean.iter_mut().zip(&far[w]) {
                        *t += c * wt;
                    }
                    weight += wt;
                }
            }
            let (lag, v) = best(&mean.iter().map(|t| t / weight).collect::<Vec<_>>())?;
            let near = |l: i64| (l - lag).abs() <= tolerance + BEYOND_STEP_MS;
            let so_do_parts = (parts.iter())
                .all(|&(within, c)| best(c).is_some_and(|(l, v)| v > within && near(l)));
            (v > m.peak && !parts.is_empty() && so_do_parts).then_some(lag)
        };
        let unsure = |m: &mut LipsMeasure| m.confidence = 0.0;
        let in_span =
            |w: &LipsWindow, (from, to): (f64, f64)| w.start >= from - 1e-9 && w.end <= to + 1e-9;
        let mut overall = overall;
        let clip = Some(&overall)
            .filter(|m| confident(m))
            .and_then(|m| beyond(&clip_windows, m));
        for (own, m) in shot_windows.iter().zip(shot_measures.iter_mut()) {
            let Some(m) = m.as_mut().filter(|m| confident(m)) else {
                continue;
            };
            if clip.is_some() || beyond(own, m).is_some() {
                unsure(m);
                let span = (spans[own[0]].0, spans[own[own.len() - 1]].1);
                for w in windows_out
                    .iter_mut()
                    .filter(|w| clip.is_some() || in_span(w, span))
                {
                    w.measure.as_mut().filter(|m| confident(m)).map(unsure);
                }
            }
        }
        if clip.is_some() {
            unsure(&mut overall);
            for w in windows_out.iter_mut() {
                w.measure.as_mut().filter(|m| confident(m)).map(unsure);
            }
        }
        (overall, clip)
    };
    let Some((overall, total)) = judge(&clip_windows) else {
        return Ok(LipsEstimate {
            overall: None,
            windows: windows_out,
            shots: shot_measures,
            curve: Vec::new(),
            curves: Curves::default(),
            faces: people,
            steady: !moving[..whole].contains(&true),
            beyond_ms: None,
        });
    };
    let (overall, beyond_ms) = beyond_search(overall, &mut windows_out, &mut shot_measures);
    // The plot's mouth: in each frame, the speaker of the first window holding it.
    let mut speakers = vec![None; n];
    for &w in &clip_windows {
        if let Some((f, _)) = window_measures[w] {
            for s in &mut speakers[ranges[w].0..ranges[w].1] {
                s.get_or_insert(f);
            }
        }
    }
    let shift = (overall.offset_ms as f64 * rate / 1000.0).round() as i64;
    let speech: Vec<Option<f32>> = bounds
        .iter()
        .map(|&(a, b)| level.mean(a + shift, b + shift))
        .collect();
    let plot = Curves {
        time: times,
        mouth: standardise(
            &(0..n)
                .map(|i| speakers[i].and_then(|f| openings[f][i]))
                .collect::<Vec<_>>(),
        ),
        speech: standardise(&by_shot(&speech, &|x| high_pass(x, half)))
            .into_iter()
            .map(|v| v.unwrap_or(0.0))
            .collect(),
    };
    Ok(LipsEstimate {
        overall: Some(overall),
        windows: windows_out,
        shots: shot_measures,
        curve: total,
        curves: plot,
        faces: people,
        steady: false,
        beyond_ms,
    })
}

/// The two parts of the span `start..end` that must agree with it: its halves, or for a span
/// shorter than a window whose halves are long enough to correlate, its first and last half
/// window (overlapping): a part as long as each full window's halves.
fn ends(start: f64, end: f64) -> [(f64, f64); 2] {
    let half = (end - start) / 2.0;
    let len = if half >= MIN_PART_S {
        half.max(WINDOW_MS as f64 / 2000.0)
    } else {
        half
    };
    [(start, start + len), (end - len, end)]
}

/// `m` with its confidence scaled by the share of `parts` that agree with it (no part long
/// enough leaves it unconfirmed: confidence 0) and the agreeing parts' spread.
///
/// The first `ends` parts are the span's ends, the others windows. A window of confidence 0
/// (its own parts do not confirm it, it is too short for parts, or its peak lies beyond the
/// lags searched) whose peak lies outside `m`'s lobe has no reading: it abstains, counted
/// neither for nor against, as long as the parts that agree are at least as many as those
/// that abstain. One read a lobe next to `m`'s disagrees: that is the ambiguity the agreement
/// measures.
fn with_parts(
    m: LipsMeasure,
    parts: &[Option<LipsMeasure>],
    ends: usize,
    agrees: impl Fn(&LipsMeasure, Option<LipsMeasure>) -> bool,
) -> LipsMeasure {
    let agreeing: Vec<i64> = parts
        .iter()
        .filter(|&&p| agrees(&m, p))
        .flatten()
        .map(|p| p.offset_ms)
        .collect();
    let abstaining = parts[ends.min(parts.len())..]
        .iter()
        .flatten()
        .filter(|p| p.confidence == 0.0 && (p.offset_ms - m.offset_ms).abs() > LOBE_MS)
        .count();
    let abstaining = if agreeing.len() >= abstaining {
        abstaining
    } else {
        0
    };
    let share = agreeing.len() as f64 / (parts.len() - abstaining).max(1) as f64;
    LipsMeasure {
        confidence: m.confidence * share,
        agreeing: agreeing.len(),
        parts: parts.len(),
        abstaining,
        range_ms: agreeing
            .iter()
            .fold((m.offset_ms, m.offset_ms), |(lo, hi), &o| {
                (lo.min(o), hi.max(o))
            }),
        ..m
    }
}

/// The peak of a correlation curve over lags `-reach..=reach` (1 ms steps, `reach` = half its
/// length), its runner-up outside its lobe within `±max_lag_ms` (the lags searched) and the
/// confidence of the peak alone: none for a peak beyond the lags searched. `None` for an empty
/// or undefined curve.
fn peak(curve: &[f64], max_lag_ms: i64, face: u32) -> Option<LipsMeasure> {
    let reach = (curve.len() / 2) as i64;
    let (k, &top) = curve
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .max_by(|a, b| a.1.total_cmp(b.1))?;
    // The lobe: down from the peak on both sides to the first local minimum, at least LOBE_MS.
    let mut lo = k;
    while lo > 0 && (curve[lo - 1] <= curve[lo] || k - lo < LOBE_MS as usize) {
        lo -= 1;
    }
    let mut hi = k;
    while hi + 1 < curve.len() && (curve[hi + 1] <= curve[hi] || hi - k < LOBE_MS as usize) {
        hi += 1;
    }
    // The runner-up: the best value outside the lobe among the lags searched.
    let beyond = (reach - max_lag_ms).max(0) as usize;
    let searched = beyond..curve.len() - beyond;
    let runner_up = curve
        .iter()
        .enumerate()
        .filter(|&(i, v)| (i < lo || i > hi) && searched.contains(&i) && v.is_finite())
        .map(|(_, &v)| v)
        .fold(f64::NEG_INFINITY, f64::max);
    let runner_up = if runner_up.is_finite() {
        runner_up
    } else {
        0.0
    };
    let offset_ms = k as i64 - reach;
    Some(LipsMeasure {
        offset_ms,
        peak: top,
        runner_up,
        confidence: if offset_ms.abs() <= max_lag_ms {
            confidence(top, runner_up)
        } else {
            0.0
        },
        face,
        agreeing: 0,
        parts: 0,
        abstaining: 0,
        range_ms: (offset_ms, offset_ms),
    })
}

/// Confidence from the peak correlation and its margin over the runner-up.
fn confidence(peak: f64, runner_up: f64) -> f64 {
    if peak <= 0.0 {
        return 0.0;
    }
    let margin = ((peak - runner_up.max(0.0)) / peak).clamp(0.0, 1.0);
    let strength = (peak / 0.3).min(1.0);
    margin.sqrt() * strength
}

/// `x` minus its centred moving mean over `±half` values (present values only).
fn high_pass(x: &[Option<f32>], half: usize) -> Vec<Option<f32>> {
    let n = x.len();
    let mut sum = vec![0.0f64; n + 1];
    let mut count = vec![0usize; n + 1];
    for (i, v) in x.iter().enumerate() {
        sum[i + 1] = sum[i] + v.map_or(0.0, f64::from);
        count[i + 1] = count[i] + usize::from(v.is_some());
    }
    (0..n)
        .map(|i| {
            let v = x[i]?;
            let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(n));
            let mean = (sum[hi] - sum[lo]) / (count[hi] - count[lo]) as f64;
            Some((f64::from(v) - mean) as f32)
        })
        .collect()
}

/// Values standardised (zero mean, unit deviation) over those present.
fn standardise(x: &[Option<f32>]) -> Vec<Option<f32>> {
    let vals: Vec<f64> = x.iter().flatten().map(|&v| f64::from(v)).collect();
    let n = vals.len().max(1) as f64;
    let mean = vals.iter().sum::<f64>() / n;
    let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    x.iter()
        .map(|v| v.map(|v| ((f64::from(v) - mean) / sd.max(1e-12)) as f32))
        .collect()
}

/// Pearson correlation over the positions where both are present; NaN with fewer than 3.
fn pearson(a: &[Option<f32>], b: &[Option<f32>]) -> f64 {
    let (mut n, mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        if let (Some(x), Some(y)) = (x, y) {
            let (x, y) = (f64::from(*x), f64::from(*y));
            n += 1.0;
            sa += x;
            sb += y;
            saa += x * x;
            sbb += y * y;
            sab += x * y;
        }
    }
    if n < 3.0 {
        return f64::NAN;
    }
    let cov = sab - sa * sb / n;
    let va = saa - sa * sa / n;
    let vb = sbb - sb * sb / n;
    if va <= 0.0 || vb <= 0.0 {
        return 0.0;
    }
    cov / (va * vb).sqrt()
}

/// How far a speech level moves (dB, natural-log energies): between its 10th and 90th
/// percentiles; 0 with fewer than two values.
fn level_spread_db(level: &[Option<f32>]) -> f64 {
    let mut v: Vec<f32> = level.iter().flatten().copied().collect();
    if v.len() < 2 {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    let at = |q: f64| f64::from(v[((v.len() - 1) as f64 * q).round() as usize]);
    (at(0.9) - at(0.1)) * 10.0 / std::f64::consts::LN_10
}

/// Each value minus the one before it (`None` where either is missing).
fn differences(x: &[Option<f32>]) -> Vec<Option<f32>> {
    (0..x.len())
        .map(|i| Some(x[i]? - x[i.checked_sub(1)?]?))
        .collect()
}

/// The speech level of the sound: every hop, the mean over [`MEL_BANDS`] mel bands of each
/// band's log energy in a Hann window centred on the hop, held over the hop's samples; read
/// as a mean over any span of samples from its running sum. Made from the samples as they
/// come ([`SpeechLevel::push`]), holding a window of them and the hops' band energies (a sixth
/// of the samples' size) until the last, whose mean sets the log's floor.
struct SpeechLevel {
    /// Samples per hop.
    hop: usize,
    /// Samples of sound.
    len: usize,
    /// The level of each hop.
    level: Vec<f64>,
    /// The held level summed over the samples before each hop's first.
    sum: Vec<f64>,
    /// While the samples come: what is read of them so far.
    reading: Option<Box<LevelReading>>,
}

impl SpeechLevel {
    /// A level of samples at `rate` Hz, to [`push`](Self::push) and [`finish`](Self::finish).
    fn new(rate: u32) -> Self {
        let rate = f64::from(rate);
        let hop = ((LEVEL_HOP_S * rate).round() as usize).max(1);
        let window = ((LEVEL_WINDOW_S * rate).round() as usize).max(2);
        let size = window.next_power_of_two();
        let hann: Vec<f32> = (0..window)
            .map(|i| {
                let x = 2.0 * std::f64::consts::PI * i as f64 / (window - 1) as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        Self {
            hop,
            len: 0,
            level: Vec::new(),
            sum: Vec::new(),
            reading: Some(Box::new(LevelReading {
                window,
                hann,
                bands: mel_bands(size, rate),
                fft: FftPlanner::<f32>::new().plan_fft_forward(size),
                buf: vec![Complex::default(); size],
                held: Vec::new(),
                held_from: 0,
                energies: Vec::new(),
            })),
        }
    }

    /// The next samples.
    fn push(&mut self, samples: &[f32]) {
        let hop = self.hop;
        let Some(r) = self.reading.as_mut() else {
            return;
        };
        r.held.extend_from_slice(samples);
        self.len += samples.len();
        // The hops whose windows the samples cover whole.
        while (r.hops() * hop + r.window - r.window / 2) as i64 <= self.len as i64 {
            r.hop(hop, self.len);
        }
        let need = (r.hops() * hop).saturating_sub(r.window / 2);
        if need - r.held_from > 1 << 14 {
            r.held.drain(..need - r.held_from);
            r.held_from = need;
        }
    }

    /// The level of all the samples pushed.
    fn finish(self) -> Self {
        let hop = self.hop;
        let Some(mut r) = self.reading else {
            return self;
        };
        let hops = self.len / hop + 1;
        while r.hops() < hops {
            r.hop(hop, self.len);
        }
        let energies = r.energies;
        let mean = energies.iter().map(|&e| f64::from(e)).sum::<f64>() / energies.len() as f64;
        let floor = mean * 1e-4 + 1e-12;
        let level: Vec<f64> = energies
            .chunks(MEL_BANDS)
            .map(|b| b.iter().map(|&e| (f64::from(e) + floor).ln()).sum::<f64>() / b.len() as f64)
            .collect();
        let mut sum = vec![0.0; hops + 1];
        let start = |k: usize| (k * hop).saturating_sub(hop / 2);
        for k in 0..hops {
            sum[k + 1] = sum[k] + level[k] * (start(k + 1) - start(k)) as f64;
        }
        Self {
            hop,
            len: self.len,
            level,
            sum,
            reading: None,
        }
    }

    /// The held level summed over samples `[0, i)`.
    fn before(&self, i: usize) -> f64 {
        let k = ((i + self.hop / 2) / self.hop).min(self.level.len() - 1);
        let start = (k * self.hop).saturating_sub(self.hop / 2);
        self.sum[k] + self.level[k] * (i - start) as f64
    }

    /// The mean level over samples `[a, b)`; `None` unless inside the sound.
    fn mean(&self, a: i64, b: i64) -> Option<f32> {
        if a < 0 || b > self.len as i64 || b <= a {
            return None;
        }
        let (a, b) = (a as usize, b as usize);
        Some(((self.before(b) - self.before(a)) / (b - a) as f64) as f32)
    }
}

/// A speech level's samples read as they come: the band energies of each hop so far.
struct LevelReading {
    window: usize,
    hann: Vec<f32>,
    bands: Vec<(usize, Vec<f32>)>,
    fft: std::sync::Arc<dyn rustfft::Fft<f32>>,
    buf: Vec<Complex<f32>>,
    /// The samples held, the first of them sample `held_from`.
    held: Vec<f32>,
    held_from: usize,
    /// Each hop's band energies, hop by hop.
    energies: Vec<f32>,
}

impl LevelReading {
    /// Hops read.
    fn hops(&self) -> usize {
        self.energies.len() / MEL_BANDS
    }

    /// Read the next hop (of `hop` samples) of a sound of `len` samples so far: the window
    /// centred on its first sample, silence outside the sound.
    fn hop(&mut self, hop: usize, len: usize) {
        let first = (self.hops() * hop) as i64 - (self.window / 2) as i64;
        for (i, b) in self.buf.iter_mut().enumerate() {
            let at = first + i as i64;
            let v = match (i < self.window, usize::try_from(at).ok()) {
                (true, Some(at)) if at < len => self.held[at - self.held_from] * self.hann[i],
                _ => 0.0,
            };
            *b = Complex::new(v, 0.0);
        }
        self.fft.process(&mut self.buf);
        for (start, weights) in &self.bands {
            let e: f32 = weights
                .iter()
                .zip(&self.buf[*start..])
                .map(|(w, c)| w * c.norm_sqr())
                .sum();
            self.energies.push(e);
        }
    }
}

/// Triangular mel filters (HTK mel scale) over the bins of an FFT of `size` at `rate` Hz: each
/// band's first bin and its weights.
fn mel_bands(size: usize, rate: f64) -> Vec<(usize, Vec<f32>)> {
    let mel = |f: f64| 2595.0 * (1.0 + f / 700.0).log10();
    let hz = |m: f64| 700.0 * (10f64.powf(m / 2595.0) - 1.0);
    let (lo, hi) = (mel(MEL_RANGE.0), mel(MEL_RANGE.1.min(rate * 0.475)));
    let edges: Vec<f64> = (0..MEL_BANDS + 2)
        .map(|i| hz(lo + (hi - lo) * i as f64 / (MEL_BANDS + 1) as f64))
        .collect();
    let bin_hz = rate / size as f64;
    edges
        .windows(3)
        .map(|e| {
            let (l, c, h) = (e[0], e[1], e[2]);
            let first = (l / bin_hz).ceil() as usize;
            let last = ((h / bin_hz).floor() as usize).min(size / 2);
            let weights = (first..=last)
                .map(|j| {
                    let f = j as f64 * bin_hz;
                    ((f - l) / (c - l)).min((h - f) / (h - c)).max(0.0) as f32
                })
                .collect();
            (first, weights)
        })
        .collect()
}

/// The lip-sync part of a sync report (`lips` in `cutroom sync --json`).
#[derive(Debug, Clone, Serialize)]
pub struct LipsReport {
    /// Offset over the clip (ms, positive: audio late), [`CORRECTION_MS`] applied; null when no
    /// face speaks.
    pub offset_ms: Option<f64>,
    /// Confidence (0..1).
    pub confidence: f64,
    /// Correlation of mouth and speech at the offset, and the best away from it.
    pub peak: Option<f64>,
    /// Best correlation outside the peak's lobe.
    pub runner_up: Option<f64>,
    /// The face that speaks most clearly.
    pub speaker: Option<u32>,
    /// Parts of the clip (its windows; a short clip's ends) whose own peak agrees with the
    /// offset, of `parts` measured.
    pub agreeing: usize,
    /// Parts of the clip measured.
    pub parts: usize,
    /// Parts with no reading of their own (a window of confidence 0 peaking outside the
    /// offset's lobe), left out of the share that must agree.
    pub abstaining: usize,
    /// How far the agreeing parts read from the offset at most (ms).
    pub spread_ms: Option<f64>,
    /// The lowest and highest reading among the offset and its agreeing parts (ms).
    pub range_ms: Option<[f64; 2]>,
    /// Sliding windows.
    pub windows: Vec<LipsWindowReport>,
    /// Faces found.
    pub faces: Vec<FaceReport>,
    /// Mouth and speech at the offset, for the plot.
    #[serde(skip)]
    pub curves: Curves,
    /// Faces were found, but the sound's level holds steady: nothing for a mouth to follow.
    #[serde(skip)]
    pub steady: bool,
}

/// One window of [`LipsReport`].
#[derive(Debug, Clone, Serialize)]
pub struct LipsWindowReport {
    /// Start (s).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Offset (ms), null without a face showing its mouth.
    pub offset_ms: Option<f64>,
    /// Confidence (0..1).
    pub confidence: f64,
    /// The face that spoke.
    pub face: Option<u32>,
}

/// One face of [`LipsReport`].
#[derive(Debug, Clone, Serialize)]
pub struct FaceReport {
    /// Track number.
    pub id: u32,
    /// First frame's time (s).
    pub start_s: f64,
    /// Last frame's end (s).
    pub end_s: f64,
    /// Frames with landmarks.
    pub frames: usize,
    /// Mean face box `[x, y, w, h]` in picture sides (centre, size).
    #[serde(rename = "box")]
    pub area: [f64; 4],
}

impl LipsReport {
    /// The report of `est` over `video`.
    pub fn new(est: &LipsEstimate, video: &VideoTrack) -> Self {
        let r3 = |v: f64| (v * 1000.0).round() / 1000.0 + 0.0;
        let ms = |m: &LipsMeasure| (m.offset_ms + CORRECTION_MS) as f64;
        Self {
            offset_ms: est.overall.as_ref().map(ms),
            confidence: est.overall.map_or(0.0, |m| r3(m.confidence)),
            peak: est.overall.map(|m| r3(m.peak)),
            runner_up: est.overall.map(|m| r3(m.runner_up)),
            speaker: est.overall.map(|m| m.face),
            agreeing: est.overall.map_or(0, |m| m.agreeing),
            parts: est.overall.map_or(0, |m| m.parts),
            abstaining: est.overall.map_or(0, |m| m.abstaining),
            spread_ms: est.overall.map(|m| m.spread_ms() as f64),
            range_ms: est
                .overall
                .map(|m| [m.range_ms.0, m.range_ms.1].map(|v| (v + CORRECTION_MS) as f64)),
            windows: est
                .windows
                .iter()
                .map(|w| LipsWindowReport {
                    start_s: r3(w.start),
                    end_s: r3(w.end),
                    offset_ms: w.measure.as_ref().map(ms),
                    confidence: w.measure.map_or(0.0, |m| r3(m.confidence)),
                    face: w.measure.map(|m| m.face),
                })
                .collect(),
            faces: est
                .faces
                .iter()
                .map(|f| FaceReport {
                    id: f.id,
                    start_s: r3(video.time(f.first)),
                    end_s: r3(video.time(f.last) + video.frame_duration()),
                    frames: f.frames.len(),
                    area: [f.area.0, f.area.1, f.area.2, f.area.3].map(|v| r3(f64::from(v))),
                })
                .collect(),
            curves: est.curves.clone(),
            steady: est.steady,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(offset_ms: i64, parts: usize, agreeing: usize) -> Option<LipsMeasure> {
        Some(LipsMeasure {
            offset_ms,
            peak: 0.3,
            runner_up: 0.1,
            confidence: if parts > 0 && agreeing == 0 { 0.0 } else { 0.8 },
            face: 0,
            agreeing,
            parts,
            abstaining: 0,
            range_ms: (offset_ms, offset_ms),
        })
    }

    /// The speech level read as the samples come, in pieces of any size, is the level of all
    /// of them at once, and holds only a window of them.
    #[test]
    fn the_speech_level_read_in_pieces_is_the_whole_sound_s() {
        let sound: Vec<f32> = (0..48000 * 3 + 77)
            .map(|i| ((i as f32 * 0.07).sin() * (i as f32 * 0.0003).sin()).powi(3))
            .collect();
        let read = |piece: usize| {
            let mut level = SpeechLevel::new(48000);
            for p in sound.chunks(piece) {
                level.push(p);
                let held = level.reading.as_ref().map_or(0, |r| r.held.len());
                assert!(held < 48000 / 2, "{held} samples held");
            }
            level.finish()
        };
        let whole = read(sound.len());
        for piece in [1, 239, 4096] {
            let level = read(piece);
            assert_eq!(
                (level.len, &level.level, &level.sum),
                (whole.len, &whole.level, &whole.sum)
            );
        }
        assert_eq!(whole.level.len(), sound.len() / 240 + 1);
    }

    /// Tracks are cut at shot starts and the faces numbered in order of appearance; a track
    /// ending before a cut stays whole.
    #[test]
    fn tracks_running_across_a_cut_are_two_faces() {
        let track = |id: u32, frames: std::ops::Range<usize>, x: f32| FaceTrack {
            id,
            frames: frames
                .map(|index| crate::sync::face::FaceFrame {
                    index,
                    opening: 0.1,
                    area: (x, 0.5, 0.2, 0.2),
                })
                .collect(),
        };
        let tracks = [track(0, 0..20, 0.25), track(1, 5..8, 0.75)];
        let faces = faces_of(&tracks, &[10, 30]);
        let got: Vec<(u32, usize, usize, usize, f32)> = faces
            .iter()
            .map(|f| (f.id, f.track, f.first, f.last, f.area.0))
            .collect();
        assert_eq!(
            got,
            [(0, 0, 0, 9, 0.25), (1, 1, 5, 7, 0.75), (2, 0, 10, 19, 0.25)]
        );
        assert_eq!(faces[2].frames, 10..20);
    }

    /// A window of confidence 0 peaking outside the clip's lobe abstains; one peaking a lobe
    /// away disagrees; abstainers never outnumber the windows that agree; ends never abstain.
    #[test]
    fn unconfirmed_windows_far_off_abstain() {
        let clip = reading(200, 0, 0).unwrap();
        let agrees = |m: &LipsMeasure, p: Option<LipsMeasure>| {
            p.is_some_and(|p| {
                (p.parts == 0 || p.agreeing > 0) && (p.offset_ms - m.offset_ms).abs() <= 45
            })
        };
        let share = |parts: &[Option<LipsMeasure>]| {
            let m = with_parts(clip, parts, 0, agrees);
            (
                m.agreeing,
                m.parts,
                m.abstaining,
                m.confidence / clip.confidence,
            )
        };
        assert_eq!(
            share(&[reading(194, 2, 2), reading(-43, 2, 0)]),
            (1, 2, 1, 1.0)
        );
        assert_eq!(
            share(&[reading(194, 2, 2), reading(140, 2, 0)]),
            (1, 2, 0, 0.5)
        );
        assert_eq!(
            share(&[reading(194, 2, 2), reading(-43, 2, 1)]),
            (1, 2, 0, 0.5)
        );
        assert_eq!(share(&[reading(194, 2, 2), None]), (1, 2, 0, 0.5));
        // A peak beyond the lags searched: confirmed by a half, yet no reading.
        let beyond = reading(593, 2, 1).map(|p| LipsMeasure {
            confidence: 0.0,
            ..p
        });
        assert_eq!(share(&[reading(194, 2, 2), beyond]), (1, 2, 1, 1.0));
        let two_far = [reading(194, 2, 2), reading(-43, 2, 0), reading(600, 2, 0)];
        assert_eq!(share(&two_far).2, 0);
        // A window too short for parts of its own: no reading either.
        let bare = reading(-395, 0, 0).map(|p| LipsMeasure {
            confidence: 0.0,
            ..p
        });
        assert_eq!(share(&[reading(194, 2, 2), bare]), (1, 2, 1, 1.0));
        // A span's ends never abstain.
        let m = with_parts(clip, &[reading(194, 0, 0), bare], 2, agrees);
        assert_eq!((m.agreeing, m.abstaining), (1, 0));
    }
}
