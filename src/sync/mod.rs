//! `sync`: measure the audio-video offset and drift of a render without a reference, and judge
//! it against a lip-sync standard.
//!
//! One pass reads the file's packets (container checks) and decodes the video small and luma-only
//! into per-frame activity ([`video`]) while another thread decodes the audio ([`audio`]). Visual
//! events ([`visual`]) are paired with audio onsets ([`crate::audio::onsets`]), and visual activity is
//! cross-correlated with the audio onset envelope ([`envelope`]) in sliding windows
//! ([`estimate`]). Faces are tracked in the same decode ([`face`]) and their mouths correlated
//! with the speech ([`lips`]): a speaking face found with confidence decides. The result is
//! judged against a [`Standard`].

pub mod audio;
pub mod container;
pub mod envelope;
pub mod estimate;
pub use cutroom_face as face;
pub mod lips;
pub mod plot;
pub mod shown;
pub mod sound;
pub mod spec;
pub mod standard;
pub mod video;
pub mod visual;

pub use standard::{Standard, Verdict};

use crate::audio::onsets;
use crate::error::{Error, Result};
use crate::mp4;
use crate::progress::Progress;
use crate::time::{Spans, Ticks, TimeBase};
use container::ContainerReport;
use estimate::{Evidence, Measure, Method, Pair, SpanEstimate, Step};
use serde::Serialize;
use sound::Sound;
use standard::StandardReport;
use std::path::Path;

/// Below this confidence a measurement is not evidence enough for a verdict.
pub const MIN_CONFIDENCE: f64 = 0.5;
/// Largest offset searched by default (ms, each way).
pub const DEFAULT_MAX_LAG_MS: u32 = 1000;

/// How to analyse.
#[derive(Debug, Clone)]
pub struct Options {
    /// The tolerance to judge against.
    pub standard: Standard,
    /// Largest offset searched (ms, each way).
    pub max_lag_ms: u32,
    /// Shot boundaries from an edit spec, from the file's first frame; detected cuts when `None`.
    pub shots: Option<Spans>,
    /// `shots` is a list the user gave (`--spec`), which may not be the file's: when its joins
    /// are not where the picture cuts, the shots are read from the cuts. (The plan a file was
    /// made from is kept, with the same warning.)
    pub shots_listed: bool,
}

/// Analyse one file. Progress (frames) goes to `bar`.
pub fn analyze(path: &Path, opts: &Options, bar: &dyn Progress) -> Result<SyncReport> {
    let (scan, audio) = std::thread::scope(|s| {
        let audio = s.spawn(|| audio::decode(path));
        let scan = video::scan(path, bar);
        let audio = audio
            .join()
            .unwrap_or_else(|_| Err(Error::bad_input(path, "audio decoding panicked")));
        (scan, audio)
    });
    let (scan, audio) = (scan?, audio?);
    let faces = scan.faces;
    let layout = mp4::read_layout(path).map_err(|e| Error::io(path, e))?;
    let container = scan.packets.report(
        layout.as_ref(),
        audio.as_ref(),
        scan.video.as_ref().map(video::VideoTrack::picture),
    );
    if container.video_codec.is_none() && container.audio_codec.is_none() {
        return Err(Error::bad_input(
            path,
            format!(
                "neither picture nor sound in it (FFmpeg reads it as {}): not a render",
                container.format
            ),
        ));
    }
    let mut report = SyncReport {
        path: path.display().to_string(),
        verdict: Verdict::Inconclusive,
        reason: String::new(),
        standard: opts.standard.describe(),
        offset_ms: None,
        confidence: 0.0,
        method: None,
        worst_offset_ms: None,
        gaps_closed_offset_ms: None,
        drift_ms_per_min: None,
        shot_spread_ms: None,
        offset_steps: Vec::new(),
        methods: Methods::default(),
        audio_decoder: audio.as_ref().map(|a| match &a.decoder {
            audio::Decoder::Symphonia => AudioDecoder::Symphonia,
            audio::Decoder::Ffmpeg(_) => AudioDecoder::Ffmpeg,
        }),
        audio_decoder_note: audio.as_ref().and_then(|a| match &a.decoder {
            audio::Decoder::Symphonia => None,
            audio::Decoder::Ffmpeg(why) => Some(why.clone()),
        }),
        frame_rate: None,
        duration_s: None,
        shots_from: match opts.shots {
            Some(_) => ShotsFrom::Spec,
            None => ShotsFrom::Cuts,
        },
        windows: Vec::new(),
        shots: Vec::new(),
        events: Vec::new(),
        lips: None,
        container,
    };
    // The picture's rate and length, also when there is no sound to hold it against.
    let seconds = scan
        .video
        .as_ref()
        .filter(|v| !v.frames.is_empty())
        .map(|v| {
            report.frame_rate = Some(round(1.0 / v.frame_duration(), 1000.0));
            v.end() - v.time(0)
        });
    report.duration_s = seconds.map(|s| round(s, 1000.0));
    let (Some(video), Some(audio), Some(seconds)) = (scan.video, audio, seconds) else {
        report.reason = if report.container.video_codec.is_none() {
            "no video stream: nothing to hold the sound against"
        } else if seconds.is_none() {
            "the video stream decodes to no frames"
        } else {
            "no audio stream: nothing to measure"
        }
        .into();
        return Ok(report);
    };
    let (first, end) = (Ticks(video.frames[0].pts), video.end);
    let seen = visual::analyse(&video);
    let heard = &audio.heard;
    let envelope = heard.envelope.smoothed(2);
    let evidence = Evidence {
        visual: &seen,
        onsets: &heard.onsets,
        envelope: &envelope,
        time_base: video.time_base,
        frame: video.frame,
        max_lag_ms: i64::from(opts.max_lag_ms),
        standard: opts.standard,
    };
    let pairs = evidence.pairs();
    let share = |s: &SpanEstimate| PairedShare::of(s, &evidence, &pairs);
    let whole = evidence.span(&pairs, first, end);
    let whole_share = share(&whole);
    let chance =
        (!whole_share.most()).then_some((whole_share.agreeing.1, whole_share.candidates.1));
    let whole = whole_share.judged();
    let windows: Vec<SpanEstimate> = (evidence.windows(&pairs, first, end).iter())
        .map(|w| share(w).judged())
        .collect();
    // Shots from the list where it fits the picture; from the picture's cuts where its joins
    // are not where the picture cuts (its shots in another order, or trimmed otherwise).
    let mut missing: Option<Vec<Ticks>> = None;
    let shot_spans = match &opts.shots {
        Some(spans) => {
            let on_video = |t: Ticks| first + t.rescale(spans.time_base, video.time_base);
            let listed: Vec<(Ticks, Ticks)> = (spans.spans.iter())
                .map(|&(s, e)| (on_video(s), on_video(e)))
                .collect();
            let cuts: Vec<Ticks> = (seen.events.iter())
                .filter(|e| e.kind == visual::Kind::Cut)
                .map(|e| video.time_base.ticks_of_secs(e.time))
                .collect();
            let secs = |t: &[Ticks]| {
                let t: Vec<String> = t
                    .iter()
                    .map(|&t| format!("{:.3}", evidence.secs(t)))
                    .collect();
                t.join(", ")
            };
            match spec::fit(&listed, &cuts, video.frame, end) {
                spec::Fit::Fits => listed,
                spec::Fit::Short(past) => {
                    missing = Some(past);
                    listed
                }
                spec::Fit::Long => {
                    report.container.warnings.push(format!(
                        "--spec: its shots run {:.3} s, the picture {seconds:.3} s: the list \
                         does not fit this file (is it the one it was joined from?); the picture \
                         past its last shot is in no shot",
                        video
                            .time_base
                            .secs(Ticks(listed[listed.len() - 1].1 .0 - first.0))
                    ));
                    listed
                }
                spec::Fit::Misplaced { joins, cuts } => {
                    report.container.warnings.push(format!(
                        "--spec: the list's shots do not follow the picture's: it joins shots at \
                         {} s, where the picture shows no cut, and the picture cuts at {} s, \
                         where the list joins none (its shots in another order, or trimmed \
                         otherwise, than this file's){}",
                        secs(&joins),
                        secs(&cuts),
                        if opts.shots_listed {
                            "; shots are read from the picture's cuts"
                        } else {
                            ""
                        }
                    ));
                    if opts.shots_listed {
                        report.shots_from = ShotsFrom::Cuts;
                        evidence.shots_from_cuts(first, end).spans
                    } else {
                        listed
                    }
                }
            }
        }
        None => evidence.shots_from_cuts(first, end).spans,
    };
    let shots: Vec<SpanEstimate> = shot_spans
        .iter()
        .map(|&(s, e)| share(&evidence.span(&pairs, s, e)).judged())
        .collect();
    report.methods = Methods {
        events: EventsReport {
            found: MethodReport {
                offset_ms: whole.events.map(|m| round(m.offset_ms, 10.0)),
                confidence: whole.events.map_or(0.0, |m| round(m.confidence, 1000.0)),
            },
            pairs: Some(pairs.len()),
            visual_events: Some(seen.events.len()),
            audio_onsets: Some(heard.onsets.len()),
        },
        correlation: MethodReport {
            offset_ms: whole.correlation.map(|m| round(m.offset_ms, 10.0)),
            confidence: whole
                .correlation
                .map_or(0.0, |m| round(m.confidence, 1000.0)),
        },
        lips: MethodReport::default(),
    };
    // Lips: a speaking face measured with confidence decides the span; elsewhere events and
    // correlation do.
    let spans_of = |s: &[SpanEstimate]| {
        s.iter()
            .map(|s| (evidence.secs(s.start), evidence.secs(s.end)))
            .collect::<Vec<_>>()
    };
    // What each span's own sound gives to time (a shot's: less its neighbours' overlap).
    let sounds = |spans: &[(f64, f64)]| -> Vec<Sound> {
        spans
            .iter()
            .map(|&(from, to)| Sound::of(heard, from, to))
            .collect()
    };
    let window_sounds = sounds(&spans_of(&windows));
    let shot_sounds = sounds(&sound::own_parts(&spans_of(&shots)));
    let keep = |spans: &[SpanEstimate], sounds: &[Sound]| -> Vec<SpanEstimate> {
        spans.iter().zip(sounds).map(|(s, h)| h.keep(*s)).collect()
    };
    let (windows, shots) = (keep(&windows, &window_sounds), keep(&shots, &shot_sounds));
    // Each shot is judged over windows of its own part (less a crossfade's overlap, where
    // another face and voice mix in), as if it were the whole file.
    let ticks = |t: f64| video.time_base.ticks_of_secs(t);
    let shot_windows: Vec<Vec<(f64, f64)>> = sound::own_parts(&spans_of(&shots))
        .into_iter()
        .map(|(from, to)| {
            evidence
                .window_spans(ticks(from), ticks(to))
                .into_iter()
                .map(|(s, e)| (evidence.secs(s), evidence.secs(e)))
                .collect()
        })
        .collect();
    let behind = audio.behind.clone();
    let mut lips = lips::measure(
        &video,
        &faces,
        &audio,
        i64::from(opts.max_lag_ms),
        &spans_of(&windows),
        &shot_windows,
    )?;
    let silence = heard.onsets.is_empty() && heard.sounding < sound::SILENT_SHARE;
    // Silence gives nothing to time, as in a silent span: no lips reading (no voice to hold a
    // mouth against), and none of events or correlation (a sound at -99 dBFS, too faint to
    // raise, passed on its correlation alone).
    let whole = match silence {
        true => Sound::Silent.keep(whole),
        false => whole,
    };
    if silence {
        lips.overall = None;
    }
    let lips_report = lips::LipsReport::new(&lips, &video);
    report.methods.lips = MethodReport {
        offset_ms: lips_report.offset_ms,
        confidence: lips_report.confidence,
    };
    let window_lips: Vec<Option<lips::LipsMeasure>> =
        lips.windows.iter().map(|w| w.measure).collect();
    let standard = opts.standard;
    let windows = decide(&windows, &window_lips, standard);
    let shots = decide(&shots, &lips.shots, standard);
    let whole = decide(&[whole], &[lips.overall], standard)[0];
    let against = |s: &SpanEstimate| Against::of(s, &evidence);
    let drift = evidence.drift(&pairs, &windows, &shot_spans);
    report.drift_ms_per_min = drift.ms_per_min.map(|d| round(d, 10.0));
    report.offset_steps = drift.steps.iter().map(step_report).collect();
    report.windows = windows
        .iter()
        .zip(&window_lips)
        .zip(&window_sounds)
        .map(|((s, l), h)| span_report(s, l.as_ref(), *h, video.time_base))
        .collect();
    report.shots = shots
        .iter()
        .zip(&lips.shots)
        .zip(&shot_sounds)
        .enumerate()
        .map(|(index, ((s, l), h))| {
            let missing_s = (report.shots_from == ShotsFrom::Spec).then(|| {
                let past = missing.as_ref().map_or(Ticks::ZERO, |m| m[index]);
                round(evidence.secs(past), 1000.0)
            });
            ShotReport {
                index,
                verdict: match s.measure.filter(|m| m.confidence >= MIN_CONFIDENCE) {
                    _ if missing_s.is_some_and(|m| m > 0.0) => Verdict::Fail,
                    Some(_) if against(s).is_some() => Verdict::Inconclusive,
                    Some(m) if opts.standard.allows(m.offset_ms) => Verdict::Pass,
                    Some(_) => Verdict::Fail,
                    None => Verdict::Inconclusive,
                },
                missing_s,
                span: span_report(s, l.as_ref(), *h, video.time_base),
            }
        })
        .collect();
    report.events = pairs.iter().map(event_report).collect();
    judge(
        &mut report,
        whole.measure,
        against(&whole),
        &windows,
        &shots,
        video.time_base,
        opts.standard,
    );
    if let (Some(Method::Lips), Some(m)) = (report.method, lips.overall) {
        report.reason = format!("{}; {}", report.reason, lips_words(&m, lips.windows.len()));
    }
    if let Some((spread, words)) = shots_differ(&shots) {
        report.shot_spread_ms = Some(round(spread, 10.0));
        if report.verdict != Verdict::Inconclusive && spread >= estimate::STEP_MS {
            report.reason = format!("{}; {words}", report.reason);
        }
    }
    if let Some(words) = steps_words(&report.offset_steps) {
        report.reason = format!("{}; {words}", report.reason);
    }
    report.lips = Some(lips_report);
    if report.verdict == Verdict::Inconclusive && report.offset_ms.is_none() {
        report.reason = if silence {
            let level = match report.container.audio_loudest_dbfs {
                Some(db) => format!("its loudest 20 ms at {db:.1} dBFS"),
                None => "digital silence".into(),
            };
            format!("the audio is silence ({level}): nothing to pair with the picture")
        } else if heard.onsets.is_empty() {
            "the audio has no distinct sound starts (continuous music, ambience or a steady \
             sound): nothing to pair with the picture"
                .into()
        } else if video.frames.len() == 1 {
            format!(
                "the picture is a single frame ({seconds:.3} s) and the sound runs {:.1} s (a \
                 still, or a render that lost its picture): nothing to pair with the sound",
                report.container.audio_played_s.unwrap_or(0.0)
            )
        } else if seen.events.is_empty() && seen.impulses.iter().all(|i| i.1 == 0.0) {
            // A face tracked is a picture that moves, if too little for whole-frame activity.
            match report.lips.as_ref().map_or(0, |l| l.faces.len()) {
                0 => "the picture has no visual events (a static picture): nothing to pair with \
                      the sound"
                    .into(),
                1 => "the picture has no visual events (flash, cut, impact): nothing but the \
                      face's mouth to pair with the sound"
                    .into(),
                _ => "the picture has no visual events (flash, cut, impact): nothing but the \
                      faces' mouths to pair with the sound"
                    .into(),
            }
        } else {
            let missing = what_is_missing(heard, &seen, &pairs, &whole, chance, seconds);
            match whole.measure {
                // The tentative finding, as judged.
                Some(_) => format!("{missing}; {}", report.reason),
                None => missing,
            }
        };
    }
    if report.verdict == Verdict::Inconclusive {
        if let Some(m) = lips.overall {
            let reads = format!(
                "lips: face {} reads {:+} ms, {}",
                m.face,
                m.offset_ms + lips::CORRECTION_MS,
                agreement(&m, lips.windows.len()),
            );
            report.reason = if let Some(lag) = lips.beyond_ms {
                format!(
                    "beyond the ±{} ms lips search: face {} matches the sound better near {:+} \
                     ms than at any offset within it, and so does each of its windows: the sound \
                     is likely off by more than the search, and the {:+} ms read within it is \
                     chance; {}",
                    i64::from(opts.max_lag_ms).min(lips::MAX_LAG_MS),
                    m.face,
                    lag + lips::CORRECTION_MS,
                    m.offset_ms + lips::CORRECTION_MS,
                    report.reason,
                )
            } else if m.confidence >= MIN_CONFIDENCE {
                // The offset is measured; only the verdict is too close to call.
                report.offset_ms = Some((m.offset_ms + lips::CORRECTION_MS) as f64);
                report.confidence = round(m.confidence, 1000.0);
                report.method = Some(Method::Lips);
                let (lo, hi) = m.range_ms;
                if m.abstaining > 0 && lips_within(&m, standard) {
                    format!(
                        "not read throughout: {reads}; a lips pass needs every part to read \
                         it on its own; other evidence (events and correlation, not used): {}",
                        report.reason,
                    )
                } else {
                    format!(
                        "too close to call: {reads}; its readings ({:+} to {:+} ms) are not all \
                         within {}, nor past a limit by their spread and the {} ms margin a \
                         lips fail needs; other evidence (events and correlation, not used): {}",
                        lo + lips::CORRECTION_MS,
                        hi + lips::CORRECTION_MS,
                        standard.name(),
                        lips::FAIL_MARGIN_MS,
                        report.reason,
                    )
                }
            } else {
                format!(
                    "{}; {reads} (confidence {:.2}, needs {MIN_CONFIDENCE})",
                    report.reason, m.confidence
                )
            };
        }
    }
    if report.verdict == Verdict::Pass {
        timestamps_hold(
            &mut report,
            &behind,
            &pairs,
            &windows,
            video.time_base,
            standard,
        );
    }
    if let Some(words) = silent_words(&report.shots) {
        report.reason = format!("{}; {words}", report.reason);
    }
    let frame_ms = video.time_base.secs(video.frame) * 1000.0;
    if let Some(words) = container_part(&report, frame_ms) {
        report.reason = format!("{}; {words}", report.reason);
    }
    if opts.shots.is_some() && report.shots_from == ShotsFrom::Cuts {
        report.reason = format!(
            "{}; shots from the picture's cuts, not the --spec list, whose joins are not where \
             the picture cuts",
            report.reason
        );
    }
    // A file that does not hold its list whole fails, whatever the timing of what it holds.
    if let Some(words) = short_words(&report.shots, video.end()) {
        report.verdict = Verdict::Fail;
        report.reason = format!("{words}; of what it holds: {}", report.reason);
    }
    Ok(report)
}

/// Paired events this close (ms) to a span's offset agree with it: the spread the pairing
/// itself allows a neighbourhood (a step of a few frames at a join).
const AGREEING_MS: f64 = 150.0;

/// Of a span's visual events that have a sound start within the search (weighted by kind),
/// how much pairs clearly (support over 0.5) at the span's offset (within [`AGREEING_MS`]):
/// paired events decide a span only when more than half of what they could have paired did,
/// at that offset. A picture unrelated to its sound pairs a few of its events by chance, and
/// they agree by chance too: a bouncing object over beeps every 2 s (each impact with one beep
/// within +-1 s) paired 4 of its 8 impacts, at -163, -29, +304 and +342 ms, and read `FAIL
/// +341.6 ms` at confidence 0.57.
struct PairedShare {
    span: SpanEstimate,
    /// Weight of the visual events with a candidate sound start, and how many they are.
    candidates: (f64, usize),
    /// Weight of those clearly paired at the span's offset, and how many they are.
    agreeing: (f64, usize),
}

impl PairedShare {
    fn of(span: &SpanEstimate, evidence: &Evidence, pairs: &[Pair]) -> Self {
        let (from, to) = (evidence.secs(span.start), evidence.secs(span.end));
        let inside = |t: f64| from <= t && t < to;
        let lag = evidence.max_lag_ms as f64 / 1000.0;
        let near: Vec<f64> = (evidence.visual.events.iter())
            .filter(|e| inside(e.time))
            .filter(|e| (evidence.onsets.iter()).any(|o| (o.time - e.time).abs() <= lag))
            .map(|e| e.kind.weight())
            .collect();
        let at = |p: &&Pair| {
            span.measure
                .is_some_and(|m| (p.offset_ms - m.offset_ms).abs() <= AGREEING_MS)
        };
        let agreeing: Vec<f64> = (pairs.iter())
            .filter(|p| inside(p.event.time) && p.support > 0.5)
            .filter(at)
            .map(|p| p.event.kind.weight())
            .collect();
        Self {
            span: *span,
            candidates: (near.iter().sum(), near.len()),
            agreeing: (agreeing.iter().sum(), agreeing.len()),
        }
    }

    /// More than half of what the events could pair did, at the span's offset.
    fn most(&self) -> bool {
        self.agreeing.0 * 2.0 > self.candidates.0
    }

    /// The span with its events left out of its measure when they are no evidence (the
    /// correlation's alone then, as when nothing pairs); their own reading is kept.
    fn judged(&self) -> SpanEstimate {
        match self.span.measure {
            Some(m) if m.method == Method::Events && !self.most() => SpanEstimate {
                measure: self.span.correlation,
                ..self.span
            },
            _ => self.span,
        }
    }
}

/// A window of a span whose visual events say the span's offset does not hold there: two or
/// more of its events have a sound start within the search, and no more than half of them
/// (weighted by kind) have one within [`AGREEING_MS`] of the span's offset. A `pass` is a claim
/// about every part of the span; events or a correlation that read some parts cannot make it
/// over such a window. (A marker clip whose sound was sped up 8.7 % from 5 s, its beeps at 7 and
/// 9 s coming 160 and 320 ms early, passed at +0.1 ms, confidence 0.95, "within EBU R37
/// everywhere", on the pairs of 1, 3 and 5 s.) An event near a sound at the offset agrees even
/// when its pairing is not clear (a flash at a crossfade). Lips readings carry agreement of
/// their own: they are not held against the events.
struct Against {
    from: f64,
    to: f64,
    agreeing: usize,
    candidates: usize,
}

impl Against {
    fn of(span: &SpanEstimate, evidence: &Evidence) -> Option<Self> {
        let m = span.measure.filter(|m| m.method != Method::Lips)?;
        let lag = evidence.max_lag_ms as f64 / 1000.0;
        let sound_within = |t: f64, reach: f64| {
            let lo = (evidence.onsets).partition_point(|o| o.time < t - reach);
            (evidence.onsets.get(lo)).is_some_and(|o| o.time <= t + reach)
        };
        (evidence.window_spans(span.start, span.end).into_iter()).find_map(|(start, end)| {
            let (from, to) = (evidence.secs(start), evidence.secs(end));
            let near: Vec<&visual::Event> = (evidence.visual.events.iter())
                .filter(|e| from <= e.time && e.time < to && sound_within(e.time, lag))
                .collect();
            let at: Vec<&&visual::Event> = (near.iter())
                .filter(|e| sound_within(e.time + m.offset_ms / 1000.0, AGREEING_MS / 1000.0))
                .collect();
            let weight = |e: &visual::Event| e.kind.weight();
            let agreeing: f64 = at.iter().map(|e| weight(e)).sum();
            let candidates: f64 = near.iter().map(|e| weight(e)).sum();
            (near.len() >= 2 && agreeing * 2.0 <= candidates).then_some(Self {
                from,
                to,
                agreeing: at.len(),
                candidates: near.len(),
            })
        })
    }

    fn words(&self, offset_ms: f64) -> String {
        format!(
            "the sound does not hold {offset_ms:+.1} ms throughout: at {:.1}-{:.1} s, {} of the \
             {} visual events with a sound start within the search {} one within {AGREEING_MS} \
             ms of that offset (does the sound drift, or is it stretched or cut, there?)",
            self.from,
            self.to,
            self.agreeing,
            self.candidates,
            if self.agreeing == 1 { "has" } else { "have" }
        )
    }
}

/// How much of the offset is the container's timing (the stream start times and edit lists
/// placing the sound's first sample away from the first frame, and gaps its timestamps leave
/// before the first sound paired) and how much is in the sound and picture themselves, in
/// words, when the container moves the sound by a frame or more and an offset is measured:
/// "the container starts the sound 478.7 ms after the picture (start times, edit lists):
/// +478.7 ms of the offset is that timing, +21.3 ms is in the sound and picture themselves".
/// A sound stamped 0.5 s late in an MP4 without edit lists (FFmpeg stretches its first
/// packet) starts before the picture, then leaves a gap: both are that timing. Gaps among the
/// paired sounds move some of them only, so no one share of the offset is theirs: then nothing
/// is said.
fn container_part(report: &SyncReport, frame_ms: f64) -> Option<String> {
    let offset = report.offset_ms?;
    let start = report.container.av_start_delta_ms?;
    let heard: Vec<f64> = (report.events.iter())
        .filter(|e| e.support > 0.5)
        .map(|e| e.time_s + e.offset_ms / 1000.0)
        .collect();
    let first = heard.iter().copied().fold(f64::INFINITY, f64::min);
    let gaps = &report.container.audio_gaps_at;
    let before = |at: f64| gaps.iter().filter(|g| g.0 <= at).map(|g| g.1).sum::<f64>();
    if heard.iter().any(|&t| before(t) != before(first)) {
        return None;
    }
    let gap = if first.is_finite() {
        before(first)
    } else {
        0.0
    };
    let delta = round(start + gap, 10.0);
    let mut what = Vec::new();
    if start.abs() >= 0.1 {
        let side = if start > 0.0 { "after" } else { "before" };
        what.push(format!(
            "starts the sound {:.1} ms {side} the picture",
            start.abs()
        ));
    }
    if gap > 0.0 {
        what.push(format!(
            "leaves {gap:.1} ms of gaps in its timestamps before the first sound paired"
        ));
    }
    (delta.abs() >= frame_ms).then(|| {
        format!(
            "the container {} (start times, edit lists{}): {delta:+.1} ms of the offset is that \
             timing, {:+.1} ms is in the sound and picture themselves",
            what.join(" and "),
            if gap > 0.0 { ", timestamps" } else { "" },
            offset - delta
        )
    })
}

/// The silent shots of a cut whose other shots sound, in words: "shot 3 is silent (16.0-19.0
/// s)"; `None` when none is, or all are (the reason says the audio is silence). Shots of a
/// `--spec` list missing from the file ([`short_words`]) are not silent.
fn silent_words(shots: &[ShotReport]) -> Option<String> {
    let within: Vec<&ShotReport> = (shots.iter())
        .filter(|s| {
            s.missing_s
                .is_none_or(|m| m < s.span.end_s - s.span.start_s)
        })
        .collect();
    let silent: Vec<String> = within
        .iter()
        .filter(|s| s.span.sound == Sound::Silent)
        .map(|s| {
            format!(
                "shot {} is silent ({:.1}-{:.1} s)",
                s.index + 1,
                s.span.start_s,
                s.span.end_s
            )
        })
        .collect();
    (!silent.is_empty() && silent.len() < within.len()).then(|| silent.join(", "))
}

/// The shots of a `--spec` list the file does not hold whole, in words: "the file ends 4.000 s
/// before its shot list: shot 2 is cut short by 1.000 s (3.000 of its 4.000 s are in it), shot
/// 3 (3.000 s) is missing"; `None` when it holds them all.
fn short_words(shots: &[ShotReport], end: f64) -> Option<String> {
    let words: Vec<String> = (shots.iter())
        .filter_map(|s| Some((s, s.missing_s.filter(|&m| m > 0.0)?)))
        .map(|(s, m)| {
            let length = s.span.end_s - s.span.start_s;
            if m >= length - 1e-3 {
                format!("shot {} ({length:.3} s) is missing", s.index + 1)
            } else {
                format!(
                    "shot {} is cut short by {m:.3} s ({:.3} of its {length:.3} s are in it)",
                    s.index + 1,
                    length - m
                )
            }
        })
        .collect();
    let listed = shots.last()?.span.end_s;
    (!words.is_empty()).then(|| {
        format!(
            "the file ends {:.3} s before its shot list (the picture at {end:.3} s, the list at \
             {listed:.3} s): {}",
            listed - end,
            words.join(", ")
        )
    })
}

/// How far apart the confident shots' offsets lie (ms), with the two furthest apart in words:
/// "the shots' offsets differ by 80.0 ms: +0.1 ms in shot 1, +80.1 ms in shot 2"; `None` with
/// fewer than two confident shots.
fn shots_differ(shots: &[SpanEstimate]) -> Option<(f64, String)> {
    let confident: Vec<(usize, f64)> = shots
        .iter()
        .enumerate()
        .filter_map(|(k, s)| {
            let m = s.measure.filter(|m| m.confidence >= MIN_CONFIDENCE)?;
            Some((k, m.offset_ms))
        })
        .collect();
    if confident.len() < 2 {
        return None;
    }
    let by_offset = |a: &&(usize, f64), b: &&(usize, f64)| a.1.total_cmp(&b.1);
    let lo = confident.iter().min_by(by_offset)?;
    let hi = confident.iter().max_by(by_offset)?;
    let (first, second) = if lo.0 < hi.0 { (lo, hi) } else { (hi, lo) };
    let spread = hi.1 - lo.1;
    Some((
        spread,
        format!(
            "the shots' offsets differ by {spread:.1} ms: {:+.1} ms in shot {}, {:+.1} ms in \
             shot {}",
            first.1,
            first.0 + 1,
            second.1,
            second.0 + 1
        ),
    ))
}

/// The steps of the offset inside shots in words (the first three): "the offset steps inside
/// a shot: +80.0 ms between 7.0 and 9.0 s"; `None` without any.
fn steps_words(steps: &[Step]) -> Option<String> {
    let words: Vec<String> = steps
        .iter()
        .take(3)
        .map(|s| {
            format!(
                "{:+.1} ms between {:.1} and {:.1} s",
                s.step_ms, s.from_s, s.to_s
            )
        })
        .collect();
    let more = match steps.len() {
        0 => return None,
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    let shot = if steps.len() == 1 { "a shot" } else { "shots" };
    Some(format!(
        "the offset steps inside {shot}: {}{more}",
        words.join(", ")
    ))
}

/// Why the sound and the picture give no verdict, in words: how distinct the sound is and
/// what each method found. `chance`: how many visual events pair clearly at the offset, and how
/// many have a sound start within the search, when too few of them do for the pairings to be
/// more than chance ([`PairedShare`]).
fn what_is_missing(
    heard: &onsets::AudioOnsets,
    seen: &visual::Visual,
    pairs: &[Pair],
    whole: &SpanEstimate,
    chance: Option<(usize, usize)>,
    seconds: f64,
) -> String {
    let starts = heard.onsets.len();
    let plural = if starts == 1 { "" } else { "s" };
    let sound = if heard.sounding > 0.8 && (starts as f64) < seconds {
        format!(
            "continuous sound (speech, music or ambience) with few distinct starts ({starts} in \
             {seconds:.1} s)"
        )
    } else {
        format!("{starts} distinct sound start{plural} in {seconds:.1} s")
    };
    let clear = pairs.iter().filter(|p| p.support > 0.5).count();
    let events = match seen.events.len() {
        0 => "no visual events (flash, cut, impact)".to_string(),
        n => match chance {
            // Some pair clearly, but too few agree on one offset.
            Some((agreeing, near)) if clear > 0 => format!(
                "{clear} of {n} visual events pair clearly with a sound, {agreeing} of the {near} \
                 with a sound start within the search at one offset: no more than chance pairs"
            ),
            _ => format!("{clear} of {n} visual events pair clearly with a sound"),
        },
    };
    let correlation = match whole.correlation {
        Some(c) => format!(
            "the picture's changes match the sound at no one offset clearly (correlation \
             confidence {:.2})",
            c.confidence
        ),
        None => "no correlation peak within the search".into(),
    };
    format!("{sound}; {events}; {correlation}")
}

/// Set the verdict, the overall offset and the worst offset from the confident measurements
/// (spans in ticks of `time_base`).
fn judge(
    report: &mut SyncReport,
    overall: Option<Measure>,
    against: Option<Against>,
    windows: &[SpanEstimate],
    shots: &[SpanEstimate],
    time_base: TimeBase,
    standard: Standard,
) {
    let Some(overall) = overall else {
        report.reason = "no visual event pairs with an audio onset and the correlation finds nothing: too little evidence".into();
        return;
    };
    report.confidence = round(overall.confidence, 1000.0);
    let side = |o: f64| if o >= 0.0 { "late" } else { "early" };
    let limit = |o: f64| {
        if o >= 0.0 {
            standard.max_late_ms()
        } else {
            standard.max_early_ms()
        }
    };
    if overall.confidence < MIN_CONFIDENCE {
        // No number is reported as the answer; the methods keep their tentative findings.
        report.drift_ms_per_min = None;
        report.offset_steps.clear();
        report.reason = format!(
            "the evidence is too weak to judge (confidence {:.2}, needs {MIN_CONFIDENCE}; \
             tentative offset {:+.1} ms by {})",
            overall.confidence,
            overall.offset_ms,
            overall.method.as_str()
        );
        // A shot that fails judged alone fails the file that holds it, however unsure the
        // whole: a cut of shots each spoken by its own face is rarely one confident reading.
        let failing = (report.shots.iter())
            .filter(|s| s.verdict == Verdict::Fail && s.missing_s.is_none_or(|m| m <= 0.0))
            .filter_map(|s| Some((s, s.span.offset_ms?)))
            .max_by(|a, b| standard.usage(a.1).total_cmp(&standard.usage(b.1)));
        if let Some((shot, worst)) = failing {
            report.verdict = Verdict::Fail;
            report.worst_offset_ms = Some(worst);
            report.confidence = shot.span.confidence;
            report.reason = format!(
                "audio {:.1} ms {} at {:.1}-{:.1} s (shot {}, judged alone, confidence {:.2}); \
                 {} allows {} ms {}; the whole file: {}",
                worst.abs(),
                side(worst),
                shot.span.start_s,
                shot.span.end_s,
                shot.index + 1,
                shot.span.confidence,
                standard.name(),
                limit(worst),
                side(worst),
                report.reason
            );
        }
        return;
    }
    report.offset_ms = Some(round(overall.offset_ms, 10.0));
    report.method = Some(overall.method);
    // The whole file, and every shot (numbered) and window that is confident on its own.
    let mut checks = vec![(overall.offset_ms, None)];
    let numbered = shots.iter().enumerate().map(|(k, s)| (Some(k), s));
    checks.extend(
        numbered
            .chain(windows.iter().map(|w| (None, w)))
            .filter_map(|(k, s)| {
                Some((
                    s.measure
                        .filter(|m| m.confidence >= MIN_CONFIDENCE)?
                        .offset_ms,
                    Some((k, time_base.secs(s.start), time_base.secs(s.end))),
                ))
            }),
    );
    // On a tie (to the reported 0.1 ms) the earliest wins: the whole file before any shot, a
    // shot before a window; but when the shots' offsets differ, the shot before the whole file,
    // whose offset is then one shot's (the one the evidence favours).
    if shots_differ(shots).is_some_and(|(spread, _)| spread >= estimate::STEP_MS) {
        let overall = checks.remove(0);
        let after_shots = checks
            .iter()
            .take_while(|c| matches!(c.1, Some((Some(_), ..))))
            .count();
        checks.insert(after_shots, overall);
    }
    let usage = |o: f64| standard.usage(o);
    let (worst, span) = checks
        .iter()
        .copied()
        .rev()
        .max_by(|a, b| usage(round(a.0, 10.0)).total_cmp(&usage(round(b.0, 10.0))))
        .expect("at least the overall offset");
    report.worst_offset_ms = Some(round(worst, 10.0));
    let at = match span {
        Some((Some(k), s, e)) => format!(" at {s:.1}-{e:.1} s (shot {})", k + 1),
        Some((None, s, e)) => format!(" at {s:.1}-{e:.1} s"),
        None => String::new(),
    };
    // Holes in the sound's timestamps are played silent here, as players that follow the
    // timestamps play them; players that close them (FFmpeg decoding to WAV, Chrome) pull the
    // sound after them early by as much. A file in sync for only some players does not pass.
    let gaps = report.container.audio_gap_ms;
    let closed = checks.iter().map(|c| c.0).fold(f64::INFINITY, f64::min) - gaps;
    report.gaps_closed_offset_ms = (gaps > 0.0).then(|| round(closed, 10.0));
    if gaps > 0.0 && checks.iter().all(|c| standard.allows(c.0)) && !standard.allows(closed) {
        report.verdict = Verdict::Fail;
        report.reason = format!(
            "in sync where the timestamps place the sound (at worst audio {:.1} ms {}{at}), \
             but they leave {gaps:.1} ms of gaps in it: players that close gaps (FFmpeg decoding \
             to WAV, Chrome) hear it up to {:.1} ms early; {} allows {} ms early",
            worst.abs(),
            side(worst),
            -closed,
            standard.name(),
            standard.max_early_ms()
        );
    } else if checks.iter().all(|c| standard.allows(c.0)) {
        let within = format!(
            "within {}{{}}: at worst audio {:.1} ms {}{at} (limit {} ms {})",
            standard.name(),
            worst.abs(),
            side(worst),
            limit(worst),
            side(worst)
        );
        (report.verdict, report.reason) = match against {
            Some(a) => {
                // No offset is the file's: the one read holds only where the evidence reads.
                report.forget_offset();
                (
                    Verdict::Inconclusive,
                    format!(
                        "{}; {}",
                        a.words(overall.offset_ms),
                        within.replace("{}", " where the evidence reads")
                    ),
                )
            }
            None => (Verdict::Pass, within.replace("{}", " everywhere")),
        };
    } else {
        report.verdict = Verdict::Fail;
        report.reason = format!(
            "audio {:.1} ms {}{at}; {} allows {} ms {}",
            worst.abs(),
            side(worst),
            standard.name(),
            limit(worst),
            side(worst)
        );
    }
}

/// A `pass` of a sound whose samples, played end to end, fall behind where its timestamps place
/// them (a sample rate that changes while the timestamps go on counting the first one's
/// frames, as AAC in MPEG-TS can) is left inconclusive when players that follow the
/// timestamps (FFmpeg, ffplay) hear it beyond the standard: its timing depends on the player.
/// Where they hear it: each clear pairing's and each lips-decided window's offset less how far
/// the sound there lies behind its timestamps, where it does (elsewhere every player hears it
/// alike, whatever it reads). (A `-c copy` join's overlaps move the sound
/// as far as they move its reading, so its clips read as timestamped.)
fn timestamps_hold(
    report: &mut SyncReport,
    behind: &audio::Behind,
    pairs: &[Pair],
    windows: &[SpanEstimate],
    time_base: TimeBase,
    standard: Standard,
) {
    let followed = |at: f64, offset: f64| {
        let ms = behind.ms_at(at + offset / 1000.0);
        (ms > 0.0).then_some((offset - ms, at))
    };
    let paired = (pairs.iter())
        .filter(|p| p.support > 0.5)
        .filter_map(|p| followed(p.event.time, p.offset_ms));
    let spoken = (windows.iter())
        .filter_map(|w| {
            let m = w.measure.filter(|m| m.confidence >= MIN_CONFIDENCE)?;
            (m.method == Method::Lips).then_some((w, m.offset_ms))
        })
        .filter_map(|(w, o)| followed(time_base.secs(Ticks((w.start.0 + w.end.0) / 2)), o));
    let Some((worst, at)) = paired
        .chain(spoken)
        .max_by(|a, b| standard.usage(a.0).total_cmp(&standard.usage(b.0)))
        .filter(|w| !standard.allows(w.0))
    else {
        return;
    };
    let (most, from) = behind.most().unwrap_or((0.0, 0.0));
    let side = if worst < 0.0 { "early" } else { "late" };
    let limit = match worst < 0.0 {
        true => standard.max_early_ms(),
        false => standard.max_late_ms(),
    };
    report.verdict = Verdict::Inconclusive;
    report.reason = format!(
        "the timing depends on the player: played sample by sample, {}; but from {from:.1} s \
         the sound decodes to more than its timestamps leave room for (up to {most:.1} ms), \
         and players that follow them (FFmpeg, ffplay) hear it {:.1} ms {side} at {at:.1} s; \
         {} allows {limit} ms {side}",
        report.reason,
        worst.abs(),
        standard.name(),
    );
    report.forget_offset();
}

/// `v` rounded to `1/per_unit`, with no negative zero.
fn round(v: f64, per_unit: f64) -> f64 {
    (v * per_unit).round() / per_unit + 0.0
}

/// Whether a lips reading and every agreeing part's are inside the limits.
fn lips_within(m: &lips::LipsMeasure, standard: Standard) -> bool {
    let allows = |o: i64| standard.allows((o + lips::CORRECTION_MS) as f64);
    allows(m.range_ms.0) && allows(m.offset_ms) && allows(m.range_ms.1)
}

/// Whether lips may decide: confident, and a `pass` with its reading and every agreeing part's
/// inside the limits and no part without a reading of its own (a pass is a claim about every
/// part: th_retalk3, a 5 s clip, with its sound 1500 ms late, beyond the search, passed at +10
/// ms on its second window while its first abstained), or a `fail` with the reading past a
/// limit by more than the parts' spread and [`lips::FAIL_MARGIN_MS`] (a reading that close to
/// a limit is too close to call).
fn lips_decides(m: &lips::LipsMeasure, standard: Standard) -> bool {
    let allows = |o: i64| standard.allows((o + lips::CORRECTION_MS) as f64);
    let pass = m.abstaining == 0 && lips_within(m, standard);
    let (o, reach) = (m.offset_ms, m.spread_ms() + lips::FAIL_MARGIN_MS);
    // Both ends past the same limit: the standard allows zero offset.
    let fail =
        !allows(o - reach) && !allows(o + reach) && (o - reach).signum() == (o + reach).signum();
    m.confidence >= MIN_CONFIDENCE && (pass || fail)
}

/// `spans` with each one's lips measure (`lips[i]`) deciding it where it may.
fn decide(
    spans: &[SpanEstimate],
    lips: &[Option<lips::LipsMeasure>],
    standard: Standard,
) -> Vec<SpanEstimate> {
    spans
        .iter()
        .zip(lips)
        .map(|(s, l)| match l.filter(|l| lips_decides(l, standard)) {
            Some(l) => SpanEstimate {
                measure: Some(lips_measure(&l)),
                ..*s
            },
            None => *s,
        })
        .collect()
}

/// A lips reading as a measure of its span's offset.
fn lips_measure(l: &lips::LipsMeasure) -> Measure {
    Measure {
        offset_ms: (l.offset_ms + lips::CORRECTION_MS) as f64,
        confidence: l.confidence,
        method: Method::Lips,
    }
}

/// What lips found over a clip of `windows` windows, in words: "speaking face 1, 3 of 4
/// windows agree".
fn lips_words(m: &lips::LipsMeasure, windows: usize) -> String {
    format!("speaking face {}, {}", m.face, agreement(m, windows))
}

/// How the parts of a clip of `windows` windows agree with its lips reading, in words: "2 of 3
/// windows agree, 1 without a reading of its own".
fn agreement(m: &lips::LipsMeasure, windows: usize) -> String {
    if m.parts == 0 {
        return "no part of it long enough to read on its own".into();
    }
    let abstaining = match m.abstaining {
        0 => String::new(),
        n => format!(
            ", {n} without a reading of {}",
            if n == 1 { "its own" } else { "their own" }
        ),
    };
    format!(
        "{} of {} {} agree{abstaining}",
        m.agreeing,
        m.parts,
        parts_noun(windows)
    )
}

/// What a clip of `windows` windows is checked against: its windows, or with one window its
/// two ends.
fn parts_noun(windows: usize) -> &'static str {
    if windows > 1 {
        "windows"
    } else {
        "parts"
    }
}

/// `s` for the JSON, its bounds in seconds of `time_base`'s ticks. Its offset is the one that
/// decided it when confident; else, as for the whole file, a confident lips reading too close
/// to a limit to call (`lips`), which the verdict leaves out; else the most confident of the
/// tentative ones (lips, or events and correlation combined). A silent span has none.
fn span_report(
    s: &SpanEstimate,
    lips: Option<&lips::LipsMeasure>,
    sound: Sound,
    time_base: TimeBase,
) -> SpanReport {
    let lips = lips.filter(|_| sound != Sound::Silent);
    let confident = |m: &Measure| m.confidence >= MIN_CONFIDENCE;
    let tentative = [s.measure, lips.map(lips_measure)]
        .into_iter()
        .flatten()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence));
    let measure = s
        .measure
        .filter(confident)
        .or_else(|| lips.map(lips_measure).filter(confident))
        .or(tentative);
    SpanReport {
        start_s: round(time_base.secs(s.start), 1000.0),
        end_s: round(time_base.secs(s.end), 1000.0),
        offset_ms: measure.map(|m| round(m.offset_ms, 10.0)),
        confidence: measure.map_or(0.0, |m| round(m.confidence, 1000.0)),
        method: measure.filter(confident).map(|m| m.method),
        face: lips.map(|l| l.face),
        lips_offset_ms: lips.map(|l| (l.offset_ms + lips::CORRECTION_MS) as f64),
        lips_confidence: lips.map_or(0.0, |l| round(l.confidence, 1000.0)),
        lips_agreeing: lips.map(|l| l.agreeing),
        lips_parts: lips.map(|l| l.parts),
        pairs: s.pairs,
        events_offset_ms: s.events.map(|m| round(m.offset_ms, 10.0)),
        correlation_offset_ms: s.correlation.map(|m| round(m.offset_ms, 10.0)),
        correlation_confidence: s.correlation.map_or(0.0, |m| round(m.confidence, 1000.0)),
        sound,
    }
}

fn step_report(s: &Step) -> Step {
    Step {
        from_s: round(s.from_s, 1000.0),
        to_s: round(s.to_s, 1000.0),
        step_ms: round(s.step_ms, 10.0),
    }
}

fn event_report(p: &Pair) -> EventReport {
    EventReport {
        time_s: round(p.event.time, 1e6),
        kind: p.event.kind,
        offset_ms: round(p.offset_ms, 100.0),
        support: round(p.support, 1000.0),
    }
}

/// Which decoder read a file's sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AudioDecoder {
    /// symphonia (pure Rust).
    Symphonia,
    /// FFmpeg, for what symphonia cannot decode.
    Ffmpeg,
}

/// Where a report's shots come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShotsFrom {
    /// The spans given ([`Options::shots`]: `--spec`, assemble's plan).
    Spec,
    /// The cuts detected in the picture.
    Cuts,
}

impl std::fmt::Display for ShotsFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Spec => "spec",
            Self::Cuts => "cuts",
        })
    }
}

/// The sync report of one file (an entry of `files[]` in `cutroom sync --json`).
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// The path as given.
    pub path: String,
    /// `pass`, `fail` or `inconclusive`.
    pub verdict: Verdict,
    /// The verdict in words.
    pub reason: String,
    /// The standard judged against.
    pub standard: StandardReport,
    /// Overall offset (ms; positive: audio late); null when the verdict is inconclusive, but
    /// for a confident lips reading too close to a limit to call.
    pub offset_ms: Option<f64>,
    /// Confidence in the overall offset (0..1).
    pub confidence: f64,
    /// The method that measured the offset; null when there is none.
    pub method: Option<Method>,
    /// The confident measurement (overall, window or shot) closest to or furthest past a limit.
    pub worst_offset_ms: Option<f64>,
    /// The earliest confident offset with the gaps in the sound's timestamps closed up (less
    /// `container.audio_gap_ms`): where players that close them hear the sound at worst; null
    /// without gaps, or when inconclusive. A `fail` whose `worst_offset_ms` is within the band
    /// failed on it.
    pub gaps_closed_offset_ms: Option<f64>,
    /// Offset change per minute within shots (least squares over paired events or windows,
    /// one slope shared by the shots, each with its own offset); null when inconclusive or
    /// when no stretch of a shot without a step has three measures spanning 3 s.
    pub drift_ms_per_min: Option<f64>,
    /// How far apart the confident shots' offsets lie (ms, largest minus smallest): a step
    /// between shots, which the drift leaves out; null with fewer than two confident shots.
    pub shot_spread_ms: Option<f64>,
    /// Steps of the offset inside shots (joins the shot list does not know), which the drift
    /// leaves out; empty when inconclusive.
    pub offset_steps: Vec<Step>,
    /// Each method's overall result.
    pub methods: Methods,
    /// `symphonia` or `ffmpeg` (null without audio).
    pub audio_decoder: Option<AudioDecoder>,
    /// Why FFmpeg decoded the audio instead of symphonia.
    pub audio_decoder_note: Option<String>,
    /// Frames per second (from the median frame interval).
    pub frame_rate: Option<f64>,
    /// Video length analysed (s).
    pub duration_s: Option<f64>,
    /// Where `shots[]` come from: `spec` or `cuts` (detected).
    pub shots_from: ShotsFrom,
    /// Sliding windows.
    pub windows: Vec<SpanReport>,
    /// Shots.
    pub shots: Vec<ShotReport>,
    /// Visual events paired with audio onsets.
    pub events: Vec<EventReport>,
    /// Lip sync: faces, their mouths against the speech (null without video and audio).
    pub lips: Option<lips::LipsReport>,
    /// Container checks.
    pub container: ContainerReport,
}

impl SyncReport {
    /// No offset is the file's (an inconclusive verdict reached after one was read): the
    /// offset, its method, worst offset, drift and steps are cleared.
    fn forget_offset(&mut self) {
        self.offset_ms = None;
        self.method = None;
        self.worst_offset_ms = None;
        self.gaps_closed_offset_ms = None;
        self.drift_ms_per_min = None;
        self.offset_steps.clear();
    }

    /// The offset of its headline in words ([`headline`]); on a `fail` for a file that ends
    /// before its `--spec` list alone, that: `+0.1 ms (the file ends 2.000 s before its list)`.
    pub fn headline(&self) -> String {
        let allows = |o: f64| self.standard.id.allows(o);
        let listed = (self.shots.iter())
            .filter(|s| s.missing_s.is_some_and(|m| m > 0.0))
            .map(|s| s.span.end_s)
            .fold(None, |a: Option<f64>, e| Some(a.map_or(e, |a| a.max(e))));
        if let (Some(listed), Some(length)) = (listed, self.duration_s) {
            if self.worst_offset_ms.is_none_or(allows) {
                return format!(
                    "{} (the file ends {:.3} s before its list)",
                    headline(Verdict::Pass, None, self.offset_ms, None, self.standard.id),
                    listed - length
                );
            }
        }
        headline(
            self.verdict,
            self.worst_offset_ms,
            self.offset_ms,
            self.gaps_closed_offset_ms,
            self.standard.id,
        )
    }
}

/// The offset a headline shows, in words: the one the verdict turns on. On a `fail`, the worst
/// confident offset `worst` (the failing shot's or window's, which may differ from the whole
/// file's), else the overall offset; with the overall one when it differs to the reported
/// 0.1 ms: `+100.1 ms (worst; whole file +0.1 ms)`; `-` without one. On a `fail` for the gaps in
/// the sound's timestamps alone (`worst` within `standard`, `gaps_closed` past it), where players
/// that close them hear it: `-223.6 ms (gaps closed; as timestamped +0.4 ms)`.
pub fn headline(
    verdict: Verdict,
    worst: Option<f64>,
    overall: Option<f64>,
    gaps_closed: Option<f64>,
    standard: Standard,
) -> String {
    let ms = |o: f64| format!("{o:+.1} ms");
    let gaps_failed = |c: &f64| {
        verdict == Verdict::Fail
            && !standard.allows(*c)
            && worst.is_some_and(|w| standard.allows(w))
    };
    if let Some(closed) = gaps_closed.filter(gaps_failed) {
        let timestamped = overall.map_or_else(|| "-".into(), ms);
        return format!("{} (gaps closed; as timestamped {timestamped})", ms(closed));
    }
    let shown = match verdict {
        Verdict::Fail => worst.or(overall),
        _ => overall,
    };
    match (shown, overall) {
        (None, _) => "-".into(),
        (Some(h), Some(o)) if ms(h) != ms(o) => format!("{} (worst; whole file {})", ms(h), ms(o)),
        (Some(h), _) => ms(h),
    }
}

/// The overall result of each method.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Methods {
    /// Paired events.
    pub events: EventsReport,
    /// Correlation over the whole file.
    pub correlation: MethodReport,
    /// Mouths against speech.
    pub lips: MethodReport,
}

/// One method's overall result.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MethodReport {
    /// Offset (ms), null when the method found nothing.
    pub offset_ms: Option<f64>,
    /// Confidence (0..1).
    pub confidence: f64,
}

/// The events method's overall result and what it paired (counts null when the file has no
/// picture or no sound to look in).
#[derive(Debug, Clone, Default, Serialize)]
pub struct EventsReport {
    /// Its offset and confidence.
    #[serde(flatten)]
    pub found: MethodReport,
    /// Visual events paired with an onset.
    pub pairs: Option<usize>,
    /// Visual events found.
    pub visual_events: Option<usize>,
    /// Audio onsets found.
    pub audio_onsets: Option<usize>,
}

/// The estimate over a window or shot.
#[derive(Debug, Clone, Serialize)]
pub struct SpanReport {
    /// Start (s, presentation time).
    pub start_s: f64,
    /// End (s).
    pub end_s: f64,
    /// Combined offset (ms), null without evidence.
    pub offset_ms: Option<f64>,
    /// Confidence (0..1).
    pub confidence: f64,
    /// The method behind a confident offset (null when not confident).
    pub method: Option<Method>,
    /// The face whose mouth spoke, when lip-sync measured the span (null otherwise).
    pub face: Option<u32>,
    /// Lip-sync offset of the span alone (ms), confident or not; null without a face.
    pub lips_offset_ms: Option<f64>,
    /// Its confidence (0..1).
    pub lips_confidence: f64,
    /// Parts of the span finding the same offset on their own, of `lips_parts` (its halves;
    /// for a shot also the windows inside it).
    pub lips_agreeing: Option<usize>,
    /// Parts of the span measured.
    pub lips_parts: Option<usize>,
    /// Paired events inside.
    pub pairs: usize,
    /// Offset from the paired events alone.
    pub events_offset_ms: Option<f64>,
    /// Offset from correlation alone.
    pub correlation_offset_ms: Option<f64>,
    /// Confidence of the correlation alone.
    pub correlation_confidence: f64,
    /// What its sound gives to time (a shot's own, less a crossfade's overlap): `onsets`,
    /// `steady` (no distinct start: no offset but a face's) or `silent` (no offset).
    pub sound: Sound,
}

/// One shot's estimate.
#[derive(Debug, Clone, Serialize)]
pub struct ShotReport {
    /// Shot number, from 0.
    pub index: usize,
    /// The shot judged alone: `pass` or `fail` when its offset is confident, else
    /// `inconclusive`; `fail` when some of it is missing.
    pub verdict: Verdict,
    /// Of a shot of the `--spec` list, how much of it lies past the picture's end (s): 0 when
    /// the file holds it whole, its length when it holds none of it; null for shots from cuts.
    pub missing_s: Option<f64>,
    /// Its span and estimate.
    #[serde(flatten)]
    pub span: SpanReport,
}

/// A visual event paired with an audio onset.
#[derive(Debug, Clone, Serialize)]
pub struct EventReport {
    /// When the event shows (s).
    pub time_s: f64,
    /// `flash`, `cut` or `impact`.
    pub kind: visual::Kind,
    /// Onset minus event (ms).
    pub offset_ms: f64,
    /// How clearly the neighbouring events agree (0..1).
    pub support: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(offset_ms: i64, range_ms: (i64, i64)) -> lips::LipsMeasure {
        lips::LipsMeasure {
            offset_ms,
            peak: 0.4,
            runner_up: 0.15,
            confidence: 0.8,
            face: 0,
            agreeing: 4,
            parts: 4,
            abstaining: 0,
            range_ms,
        }
    }

    /// A lips `pass` needs the reading and its agreeing parts inside the limits (not a band
    /// as wide as the farthest part on both sides); a `fail` needs the reading past a limit by
    /// the parts' spread and the fail margin.
    #[test]
    fn lips_pass_covers_its_readings_and_fail_its_margin() {
        let r37 = Standard::R37;
        // LRS2 00019 in sync: -32 ms, its windows -37 to -5.
        assert!(lips_decides(&reading(-32, (-37, -5)), r37));
        // A window past R37's 40 ms early: too close to call.
        assert!(!lips_decides(&reading(-32, (-44, -5)), r37));
        assert!(!lips_decides(&reading(-44, (-55, -3)), r37));
        // Fails: 40 ms early + 27 ms spread + 45 ms margin.
        assert!(lips_decides(&reading(-113, (-140, -100)), r37));
        assert!(!lips_decides(&reading(-111, (-138, -100)), r37));
        assert!(lips_decides(&reading(168, (163, 195)), r37));
        let unsure = lips::LipsMeasure {
            confidence: 0.49,
            ..reading(-32, (-37, -5))
        };
        assert!(!lips_decides(&unsure, r37));
    }
}
