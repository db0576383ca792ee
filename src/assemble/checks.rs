//! Each deliverable measured as written: its loudness and the sync check with the shot
//! boundaries from the plan (a plot beside it), and whether the run's verdicts fail it.

use super::spec::Cut;
use crate::audio::loudness::{self, LoudnessReport};
use crate::audio::soundtrack::{CHANNELS as CH, RATE};
use crate::error::{Error, Result};
use crate::export;
use crate::fetch::sha256_file;
use crate::output::AtomicOutput;
use crate::sync::estimate::Method;
use crate::sync::sound::Sound;
use crate::sync::{self, SyncReport, Verdict};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One deliverable.
#[derive(Debug, Serialize, Deserialize)]
pub struct Output {
    /// Path.
    pub path: String,
    /// SHA-256 over what the file is made from: the shots' and beds' content, the spec's
    /// settings other than `outputs`, the preset's definition and the cutroom version. A later
    /// run with the same key and the file intact reuses it.
    pub key: String,
    /// True when this run found the file made by an earlier one (same key, same content) and
    /// kept it, with that run's figures.
    #[serde(default)]
    pub reused: bool,
    /// Preset name.
    pub preset: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Duration, seconds.
    pub duration_s: f64,
    /// File size, bytes.
    pub bytes: u64,
    /// SHA-256 of the file as written: a later run keeps it only while it still hashes to this
    /// (null in a report of an earlier version, whose files are made again).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Loudness of the file's decoded audio.
    pub loudness: LoudnessReport,
    /// Sync verdict: `pass`, `fail` or `inconclusive`.
    pub sync_verdict: Verdict,
    /// Why.
    pub sync_reason: String,
    /// Measured audio-video offset, ms (positive: audio late).
    pub sync_offset_ms: Option<f64>,
    /// The confident offset (whole file, shot or window) that uses most of the standard's band:
    /// on a `fail`, the one that failed it (null when inconclusive).
    #[serde(default)]
    pub sync_worst_offset_ms: Option<f64>,
    /// The earliest confident offset with the gaps in the sound's timestamps closed up: where
    /// players that close them hear the sound at worst (`sync`'s `gaps_closed_offset_ms`; null
    /// without gaps). A `fail` whose `sync_worst_offset_ms` is within the band failed on it.
    #[serde(default)]
    pub sync_gaps_closed_offset_ms: Option<f64>,
    /// The method that decided the verdict (`events`, `correlation`; null when inconclusive).
    #[serde(default)]
    pub sync_method: Option<Method>,
    /// Per shot: start, end, measured offset and verdict.
    pub shots: Vec<ShotSync>,
    /// The sync plot (PNG) of the deliverable.
    pub sync_plot: String,
    /// The caption sidecars beside it (`.srt`, `.vtt`); empty without captions.
    #[serde(default)]
    pub sidecars: Vec<String>,
    /// Its cover picture (`<name>.<preset>.jpg`); an output whose cover is gone is made again.
    #[serde(default)]
    pub cover: Option<String>,
    /// What its export warned of (said on stderr too: a length over the platform's limit, its
    /// overlays); empty in a report of an earlier version.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The sync measurement of one shot span of a deliverable.
#[derive(Debug, Serialize, Deserialize)]
pub struct ShotSync {
    /// Shot index in the cut.
    pub index: usize,
    /// Span start, seconds.
    pub start_s: f64,
    /// Span end, seconds.
    pub end_s: f64,
    /// Offset, ms (null: no evidence in the span).
    pub offset_ms: Option<f64>,
    /// Confidence 0-1.
    pub confidence: f64,
    /// The shot judged alone: `pass`, `fail` or `inconclusive` (too little evidence in it).
    pub verdict: Verdict,
    /// The method behind a confident offset (null when not confident).
    #[serde(default)]
    pub method: Option<Method>,
    /// What its sound gives to time: `onsets`, `steady` or `silent` (`sync`'s `shots[].sound`;
    /// null in a report of an earlier version).
    #[serde(default)]
    pub sound: Option<Sound>,
}

/// Measure one deliverable: loudness of its decoded audio and the sync check; its sync plot is
/// staged for the run's batch.
pub(super) fn check(
    o: &export::Exported,
    file: Option<PathBuf>,
    key: String,
    opts: &sync::Options,
) -> Result<(Output, AtomicOutput)> {
    let path = &o.file;
    // The deliverable is read where it is staged, until the run commits it.
    let read = file.as_deref().unwrap_or(path);
    // The loudness is metered as the sound decodes, never held whole.
    let (loudness, report) = std::thread::scope(|s| {
        let loudness = s.spawn(|| loudness::measure_file(read, RATE, CH, &crate::progress::Silent));
        let report = sync::analyze(read, opts, &crate::progress::Silent);
        (loudness.join().expect("loudness thread"), report)
    });
    let Some(loudness) = loudness? else {
        return Err(Error::bad_input(path, "the deliverable has no audio"));
    };
    let mut report = report?;
    report.path = o.path.clone();
    let sha256 = sha256_file(read).map_err(|e| Error::io(read, e))?;
    let plot = path.with_extension("sync.png");
    let staged_plot = sync::plot::draw_staged(&report, &plot)?;
    let SyncReport {
        verdict,
        reason,
        offset_ms,
        worst_offset_ms,
        gaps_closed_offset_ms,
        method,
        shots,
        ..
    } = report;
    let output = Output {
        path: o.path.clone(),
        key,
        reused: false,
        preset: o.preset.clone(),
        width: o.width,
        height: o.height,
        duration_s: o.duration_s,
        bytes: o.bytes,
        sha256: Some(sha256),
        loudness,
        sync_verdict: verdict,
        sync_reason: reason,
        sync_offset_ms: offset_ms,
        sync_worst_offset_ms: worst_offset_ms,
        sync_gaps_closed_offset_ms: gaps_closed_offset_ms,
        sync_method: method,
        shots: shots
            .into_iter()
            .map(|s| ShotSync {
                index: s.index,
                start_s: s.span.start_s,
                end_s: s.span.end_s,
                offset_ms: s.span.offset_ms,
                confidence: s.span.confidence,
                verdict: s.verdict,
                method: s.span.method,
                sound: Some(s.span.sound),
            })
            .collect(),
        sync_plot: plot.display().to_string(),
        sidecars: o.sidecars.clone(),
        cover: o.cover.clone(),
        warnings: o.warnings.clone(),
    };
    Ok((output, staged_plot))
}

/// True when a verdict of `report` (a [`Report`](super::Report) as JSON) fails the run under
/// `fail_on_error`.
pub fn fails(report: &serde_json::Value, cut: &Cut) -> bool {
    cut.sync.fail_on_error
        && report["outputs"].as_array().is_some_and(|o| {
            o.iter()
                .any(|o| o["sync_verdict"] == Verdict::Fail.as_str())
        })
}
