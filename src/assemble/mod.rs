//! `assemble`: a cut spec to checked deliverables in one run.
//!
//! Shots are fetched or rendered into the shot cache ([`sources`]) and joined drift-free by
//! [`crate::concat`]. On its copy path the picture is a master of the shots' own packets in a
//! temporary directory inside the output directory (removed at the end); on its normalise path
//! (trims off keyframes, transitions, mixed shots) the conformed frames go straight from the
//! shots' decoders into the export's encoders, with no intermediate encode. The joined sound
//! stays in memory: the soundtrack is built from it (the voice-over, the music bed ducked
//! under whichever speaks, normalised to the loudness target), AAC-encoded once, and handed to
//! [`crate::export`], which makes every preset from one decode of the master and muxes that
//! same AAC into each. Every deliverable
//! is then measured (loudness, and [`crate::sync`] with the shot boundaries from the plan), and
//! the report and an OpenTimelineIO timeline are written.

mod html;
mod overlays;
pub mod sources;
pub mod spec;

use crate::audio::fit::{place, Fit, Placement};
use crate::audio::load;
use crate::audio::sidechain::{detect, envelope, Threshold};
use crate::audio::soundtrack::{self, Level, Mastered, CHANNELS as CH, RATE};
use crate::cleanup;
use crate::concat::{self, Summary};
use crate::error::{Error, Result};
use crate::export;
use crate::export::cover::Cover;
use crate::export::preset::{Preset, PresetBook};
use crate::export::reframe::{Fit as FrameFit, Focus, FocusChoice, Reframe};
use crate::fetch::sha256_file;
use crate::fetch::CostTotal;
use crate::loudness::{self, LoudnessReport, LoudnessTarget};
use crate::otio::{self, TimelineBed};
use crate::output::{self, AtomicOutput, Planned};
use crate::pcm::{decode_aligned, Pcm};
use crate::progress::Progress;
use crate::sheet;
use crate::sync::{self, SyncReport, Verdict};
use crate::time::TimeBase;
use crate::timeline::EditSpec;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sources::ShotInput;
use spec::Cut;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

/// Thumbnails per row of the contact sheet.
const CONTACT_SHEET_COLUMNS: usize = 4;

/// `out/report.json`.
#[derive(Serialize)]
pub struct Report {
    /// The spec file.
    pub spec: String,
    /// SHA-256 over the spec's text, every input file's content, the presets file and the
    /// cutroom version: a re-run with the same key reuses the deliverables (see [`reusable`]).
    pub key: String,
    /// Name of the cut.
    pub name: String,
    /// Every shot's source and local file.
    pub inputs: Vec<ShotInput>,
    /// The renders' cost: `{total_usd, estimated, unknown}` over the rendered shots.
    pub cost: CostTotal,
    /// The joined cut: `copy` or `normalise`, duration, frame rate, shots with their
    /// positions.
    pub cut: Summary,
    /// The soundtrack as built (before encoding).
    pub soundtrack: SoundtrackReport,
    /// One entry per deliverable.
    pub outputs: Vec<Output>,
    /// The OpenTimelineIO file.
    pub timeline: String,
    /// The contact sheet: a PNG with one numbered thumbnail per shot (the middle frame of its
    /// span in the cut), in order; null only when every output was reused and an earlier run
    /// left none.
    pub contact_sheet: Option<String>,
    /// True when every sync check passed (or was inconclusive).
    pub sync_ok: bool,
    /// Wall-clock seconds per stage.
    pub timings: Timings,
}

/// What the soundtrack is made of and how loud it ended up.
#[derive(Debug, Serialize)]
pub struct SoundtrackReport {
    /// The music bed, when there is one.
    pub music: Option<String>,
    /// The voice-over, when there is one.
    pub voice: Option<String>,
    /// What the music ducks under: `voice` or `shots`.
    pub duck_key: Option<DuckKey>,
    /// Target, LUFS.
    pub target_lufs: f64,
    /// True-peak ceiling, dBTP.
    pub true_peak_dbtp: f64,
    /// Measured on the encoded AAC, decoded back.
    pub loudness: LoudnessReport,
    /// True peak of the AAC-decoded soundtrack (held under the ceiling); `None` for silence.
    pub encoded_true_peak_dbtp: Option<f64>,
}

/// The sound a music bed ducks under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DuckKey {
    /// The voice-over.
    Voice,
    /// The shots' own sound (there is no voice-over).
    Shots,
}

impl std::fmt::Display for DuckKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Voice => "voice",
            Self::Shots => "shots",
        })
    }
}

/// One deliverable.
#[derive(Debug, Serialize, Deserialize)]
pub struct Output {
    /// Path.
    pub path: String,
    /// SHA-256 over what the file is made from: the shots' and beds' content, the spec's
    /// settings other than `outputs`, the preset's definition and the cutroom version. A later
    /// run with the same key and the file intact reuses it.
    pub key: String,
    /// True when this run found the file made by an earlier one (same key, same size) and kept
    /// it, with that run's figures.
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
    /// Loudness of the file's decoded audio.
    pub loudness: LoudnessReport,
    /// Sync verdict: `pass`, `fail` or `inconclusive`.
    pub sync_verdict: String,
    /// Why.
    pub sync_reason: String,
    /// Measured audio-video offset, ms (positive: audio late).
    pub sync_offset_ms: Option<f64>,
    /// The method that decided the verdict (`events`, `correlation`; null when inconclusive).
    #[serde(default)]
    pub sync_method: Option<String>,
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
    #[serde(default)]
    pub verdict: String,
    /// The method behind a confident offset (null when not confident).
    #[serde(default)]
    pub method: Option<String>,
}

/// Seconds spent per stage.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    /// Fetching and rendering (measured by the caller, see [`run`]).
    pub sources_s: f64,
    /// Joining.
    pub concat_s: f64,
    /// Building the soundtrack (during the export, whose time includes it).
    pub audio_s: f64,
    /// Exporting every preset.
    pub export_s: f64,
    /// Measuring the deliverables.
    pub check_s: f64,
}

/// Content keys of a run (see [`Report::key`] and [`Output::key`]).
#[derive(Debug, Clone)]
pub struct Keys {
    /// The whole run's.
    pub run: String,
    /// One per output, in the spec's order.
    pub outputs: Vec<String>,
}

/// The content keys of `cut` made from the local shot files `inputs`.
pub fn keys(cut: &Cut, inputs: &[ShotInput]) -> Result<Keys> {
    // The spec's settings other than the output list, canonical (formatting and comments
    // aside), and the content of every file the cut is made from.
    let mut base = Sha256::new();
    base.update(env!("CARGO_PKG_VERSION").as_bytes());
    base.update(cut.settings.as_bytes());
    let files = inputs
        .iter()
        .filter_map(|i| i.file.as_deref())
        .chain(cut.music.iter().map(|m| m.file.as_path()))
        .chain(cut.voice.iter().map(|v| v.file.as_path()))
        .chain(cut.caption_files())
        .chain(cut.logo.iter().map(|l| l.file.as_path()));
    for f in files {
        base.update(sha256_file(f).map_err(|e| Error::io(f, e))?.as_bytes());
    }
    let outputs = presets(cut)?
        .iter()
        .map(|p| {
            let mut h = base.clone();
            h.update(
                serde_json::to_string(p)
                    .expect("a preset is JSON")
                    .as_bytes(),
            );
            format!("{:x}", h.finalize())
        })
        .collect::<Vec<_>>();
    let mut run = base;
    for k in &outputs {
        run.update(k.as_bytes());
    }
    Ok(Keys {
        run: format!("{:x}", run.finalize()),
        outputs,
    })
}

/// The spec's output presets, resolved against its presets file (or the built-in ones).
fn presets(cut: &Cut) -> Result<Vec<Preset>> {
    let book = match &cut.presets {
        Some(f) => PresetBook::with_file(f)?,
        None => PresetBook::builtin(),
    };
    cut.outputs.iter().map(|n| book.get(n).cloned()).collect()
}

/// What an earlier run in `out_dir` left that this one can keep.
#[derive(Debug, Default)]
pub struct Reuse {
    /// The earlier report, when its run key is this run's and every file it lists is intact:
    /// nothing is to be done (marked `"reused": true`).
    pub all: Option<serde_json::Value>,
    /// Per output of this run: the earlier entry with the same key whose file is intact.
    pub outputs: Vec<Option<Output>>,
}

/// What of an earlier run in `out_dir` this run (with `keys`) can keep.
pub fn reusable(out_dir: &Path, keys: &Keys) -> Reuse {
    let earlier: Option<serde_json::Value> = std::fs::read(out_dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_slice(&t).ok());
    let Some(mut report) = earlier else {
        return Reuse {
            all: None,
            outputs: keys.outputs.iter().map(|_| None).collect(),
        };
    };
    let intact = |o: &Output| {
        std::fs::metadata(&o.path).is_ok_and(|m| m.len() == o.bytes)
            && o.sidecars.iter().all(|p| Path::new(p).is_file())
            && o.cover.iter().all(|p| Path::new(p).is_file())
    };
    let mut made: Vec<Output> = report["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| serde_json::from_value(o.clone()).ok())
        .filter(intact)
        .collect();
    let outputs: Vec<Option<Output>> = keys
        .outputs
        .iter()
        .map(|k| {
            let i = made.iter().position(|o| &o.key == k)?;
            let mut o = made.swap_remove(i);
            o.reused = true;
            Some(o)
        })
        .collect();
    let files = ["timeline", "contact_sheet"]
        .iter()
        .all(|f| report[*f].as_str().is_some_and(|p| Path::new(p).is_file()));
    let all = (report["key"].as_str() == Some(keys.run.as_str())
        && files
        && outputs.iter().all(Option::is_some))
    .then(|| {
        report["reused"] = true.into();
        report
    });
    Reuse { all, outputs }
}

/// The name of the cut: `name`, or the spec's file stem.
pub fn cut_name(cut: &Cut, spec_path: &Path) -> String {
    cut.name.clone().unwrap_or_else(|| {
        spec_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "cut".into())
    })
}

/// Assemble `cut` (read from `spec_path`) from the local shot files `inputs` into `out_dir`.
/// `reused` holds, per output, an earlier run's entry to keep instead of making it again (see
/// [`reusable`]). `sources_s` is the time the caller spent getting the shots.
#[allow(clippy::too_many_arguments)]
pub fn run(
    cut: &Cut,
    spec_path: &Path,
    inputs: Vec<ShotInput>,
    keys: Keys,
    reused: Vec<Option<Output>>,
    out_dir: &Path,
    sources_s: f64,
    progress: &dyn Progress,
) -> Result<Report> {
    let name = cut_name(cut, spec_path);
    // The outputs to make: those no earlier run left intact.
    let (presets, made_keys): (Vec<Preset>, Vec<String>) = presets(cut)?
        .into_iter()
        .zip(&keys.outputs)
        .zip(&reused)
        .filter(|(_, r)| r.is_none())
        .map(|((p, k), _)| (p, k.clone()))
        .unzip();
    let reframe = reframe(cut, spec_path)?;
    let music_fit = match &cut.music {
        Some(m) => match m.fit.parse::<Fit>() {
            Ok(f @ (Fit::Loop | Fit::Pad)) => f,
            _ => {
                return Err(Error::bad_input(
                    spec_path,
                    format!("music.fit must be loop or pad, not {:?}", m.fit),
                ))
            }
        },
        None => Fit::Pad,
    };
    check_outputs(cut, spec_path, &name, &inputs, out_dir)?;
    crate::output::make_dir(out_dir)?;
    let mut timings = Timings {
        sources_s,
        ..Timings::default()
    };

    // The master: in a temporary directory inside `out_dir`, removed when this returns.
    let t = Instant::now();
    let edit = EditSpec {
        shot: cut
            .shot
            .iter()
            .zip(&inputs)
            .map(|(s, i)| s.timeline_shot(i.file.clone()))
            .collect(),
    };
    cleanup::remove_stale(out_dir);
    let prefix = cleanup::assemble_dir_prefix();
    let _live = cleanup::Live::names(out_dir, &prefix);
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(out_dir)
        .map_err(|e| Error::io(out_dir, e))?;
    let master = tmp.path().join(format!("{name}.mp4"));
    let copts = concat::Options::default();
    progress.start("concat", 0);
    let prepared = concat::prepare(&edit, &copts, progress)?;
    let captions = overlays::on_cut(cut, &prepared.plan)?;
    let summary = Summary::of(&prepared.plan, &master);
    let rate = prepared.plan.target.frame_rate;
    let cut_frames = TimeBase::of_rate(rate).unwrap_or(prepared.plan.target.time_base);
    let length = prepared
        .plan
        .duration
        .rescale(prepared.plan.target.time_base, cut_frames);
    let spans = prepared.plan.spans();
    // The timeline: clips in their sources' frames, dissolves in the cut's.
    let media = inputs
        .iter()
        .map(|input| input.file.as_deref().map(absolute))
        .collect();
    let clips = otio::clips(&prepared.plan, media);
    let (shots_sound, picture) = concat::execute_for_export(prepared, &copts, &master, progress)?;
    progress.finish(None);
    timings.concat_s = t.elapsed().as_secs_f64();

    // The soundtrack, in memory: made on the export's audio thread while the pictures are
    // encoded (here when there is nothing to export), its report kept for ours.
    let len = usize::try_from(summary.samples).unwrap_or(0);
    let sound_report = OnceLock::new();
    let make_sound = || {
        let t = Instant::now();
        let (mix, report) = soundtrack(cut, shots_sound, len, music_fit)?;
        let _ = sound_report.set((report, t.elapsed().as_secs_f64()));
        Ok(mix)
    };

    // Every preset still to make, from one decode.
    let t = Instant::now();
    // Every file of the run is staged and moved into place together at the end, so a failure
    // anywhere leaves the earlier run's deliverables and report as they were.
    let (exported, mut staged) = if presets.is_empty() {
        make_sound()?;
        (export::Report::default(), output::Batch::new())
    } else {
        let req = export::Request {
            input: master.clone(),
            presets,
            out_dir: out_dir.to_path_buf(),
            reframe,
            audio: true,
            strict: false,
            x264_preset: None,
            safe_zones: None,
            cover: Some(cut.cover.unwrap_or(Cover::Sharpest)),
            captions,
            overlays: cut.overlays(),
            // Checked against every output of the run by `check_outputs` above.
            reads: Vec::new(),
            thumbnails: Some(spans.middles()),
        };
        let given: export::GivenSoundtrack = Box::new(make_sound);
        match picture {
            concat::Picture::File(_) => export::export_staged(&req, Some(given), progress)?,
            concat::Picture::Frames(frames) => export::export_join(
                &req,
                frames,
                Some(export::FeedSound::Given(given)),
                progress,
            )?,
        }
    };
    timings.export_s = t.elapsed().as_secs_f64();
    let (soundtrack, audio_s) = sound_report
        .into_inner()
        .expect("an export with sound makes the soundtrack it is given");
    timings.audio_s = audio_s;
    // Without an export, every output is an earlier run's of this very cut (the keys say so),
    // and so is its contact sheet.
    let contact_sheet = out_dir.join("contact.png");
    if !exported.thumbnails.is_empty() {
        let panels: Vec<sheet::Panel> = exported
            .thumbnails
            .iter()
            .enumerate()
            .map(|(i, frame)| sheet::Panel {
                label: (i + 1).to_string(),
                frame: frame.clone(),
            })
            .collect();
        staged.add(sheet::write(
            &contact_sheet,
            &panels,
            CONTACT_SHEET_COLUMNS,
        )?);
    }
    let contact_sheet = (staged.staged(&contact_sheet).is_some() || contact_sheet.is_file())
        .then(|| contact_sheet.display().to_string());

    // Check every deliverable.
    let t = Instant::now();
    let sopts = sync::Options {
        standard: cut.sync.standard,
        max_lag_ms: 500,
        shots: Some(spans),
    };
    // All at once: each check is a decode of its own file, so they share the cores well.
    let mut made = std::thread::scope(|s| {
        let handles: Vec<_> = exported
            .outputs
            .iter()
            .zip(made_keys)
            .map(|(o, key)| {
                let sopts = &sopts;
                let file = staged.staged(Path::new(&o.path)).map(Path::to_path_buf);
                s.spawn(move || check(o, file, key, sopts))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("deliverable check panicked"))
            .collect::<Result<Vec<_>>>()
    })?
    .into_iter()
    .map(|(output, plot)| {
        staged.add(plot);
        output
    })
    .collect::<Vec<_>>()
    .into_iter();
    let outputs: Vec<Output> = reused
        .into_iter()
        .map(|r| r.or_else(|| made.next()))
        .collect::<Option<_>>()
        .expect("one output made per preset not reused");
    timings.check_s = t.elapsed().as_secs_f64();

    let beds: Vec<TimelineBed> = cut
        .music
        .iter()
        .map(|m| TimelineBed {
            name: "Music".into(),
            media: absolute(&m.file),
            frames: length.0,
        })
        .collect();
    let timeline_path = out_dir.join("timeline.otio");
    staged.add(output::json(
        &timeline_path,
        &otio::timeline(&name, rate, &clips, &beds),
    )?);

    let sync_ok = outputs.iter().all(|o| o.sync_verdict != "fail");
    let mut cost = CostTotal::of(&[]);
    for s in inputs.iter().filter(|s| s.source.starts_with("render:")) {
        cost.add(&s.source, s.cost_usd, s.cost_estimated);
    }
    let report = Report {
        spec: spec_path.display().to_string(),
        key: keys.run,
        name,
        inputs,
        cost,
        cut: summary,
        soundtrack,
        outputs,
        timeline: timeline_path.display().to_string(),
        contact_sheet,
        sync_ok,
        timings,
    };
    staged.add(output::json(&out_dir.join("report.json"), &report)?);
    staged.add(html::write(&out_dir.join("report.html"), &report)?);
    staged.commit()?;
    Ok(report)
}

/// The files a run writes in `out_dir`, checked against every file it reads before anything
/// is written (a deliverable named like a shot's source would overwrite it).
fn check_outputs(
    cut: &Cut,
    spec_path: &Path,
    name: &str,
    inputs: &[ShotInput],
    out_dir: &Path,
) -> Result<()> {
    let mut files: Vec<PathBuf> = cut
        .outputs
        .iter()
        .flat_map(|p| ["mp4", "jpg"].map(|ext| out_dir.join(format!("{name}.{p}.{ext}"))))
        .collect();
    if cut.caption_files().next().is_some() {
        let sidecars = cut
            .outputs
            .iter()
            .flat_map(|p| ["srt", "vtt"].map(|e| out_dir.join(format!("{name}.{p}.{e}"))));
        files.extend(sidecars.collect::<Vec<_>>());
    }
    files.extend(
        ["report.json", "report.html", "timeline.otio", "contact.png"].map(|f| out_dir.join(f)),
    );
    let read: Vec<&Path> = std::iter::once(spec_path)
        .chain(inputs.iter().filter_map(|i| i.file.as_deref()))
        .chain(cut.music.iter().map(|m| m.file.as_path()))
        .chain(cut.voice.iter().map(|v| v.file.as_path()))
        .chain(cut.presets.as_deref())
        .chain(cut.caption_files())
        .chain(cut.logo.iter().map(|l| l.file.as_path()))
        .collect();
    let planned: Vec<Planned> = files.iter().map(|f| Planned::in_new_dir(f)).collect();
    output::check_outputs(&planned, &read)
}

/// The export reframing from the spec.
fn reframe(cut: &Cut, spec_path: &Path) -> Result<Reframe> {
    let bad = |e: Error| Error::bad_input(spec_path, format!("reframe: {e}"));
    let fit: FrameFit = cut.reframe.fit.parse().map_err(bad)?;
    let focus: FocusChoice = cut.reframe.focus.parse().map_err(bad)?;
    Ok(Reframe {
        fit,
        focus: match focus {
            FocusChoice::At(f) => f,
            FocusChoice::Auto => Focus::default(),
        },
        follow_motion: focus == FocusChoice::Auto,
        pad_color: "black".parse()?,
    })
}

/// The finished soundtrack, `len` frames at [`RATE`], mastered and AAC-encoded once: the
/// shots' sound as joined, the voice-over, and the music ducked under the voice (or, without
/// one, under the shots' sound), normalised to the spec's loudness target with the true peak
/// held after AAC.
fn soundtrack(
    cut: &Cut,
    mut shots: Pcm,
    len: usize,
    fit: Fit,
) -> Result<(Mastered, SoundtrackReport)> {
    shots.fit(len);
    let voice = match &cut.voice {
        Some(v) => {
            let mut pcm = load::load_as(&v.file, RATE, CH)?;
            pcm.fit(len);
            Some(pcm)
        }
        None => None,
    };
    // Where the voice (or, without one, the shots' sound) speaks is found before anything is
    // mixed, so the mix is made in the shots' own buffer rather than a copy of it.
    let ducking = cut.music.as_ref().map(|m| {
        let key = voice.as_ref().unwrap_or(&shots);
        let threshold = m.threshold.map_or(Threshold::Auto, Threshold::Dbfs);
        (m, detect(key, threshold))
    });
    let mut mix = shots;
    if let Some(v) = voice {
        mix.mix_in(&v);
    }
    let duck_key = match ducking {
        Some((m, activity)) => {
            let bed = load::load_as(&m.file, RATE, CH)?;
            let mut bed = place(
                bed,
                len,
                &Placement {
                    fit,
                    offset: 0,
                    fade_in: 0,
                },
            );
            bed.scale(10f32.powf(m.gain as f32 / 20.0));
            bed.apply_gains(envelope(&activity, bed.frames(), RATE, &m.shape()));
            mix.mix_in(&bed);
            Some(match cut.voice {
                Some(_) => DuckKey::Voice,
                None => DuckKey::Shots,
            })
        }
        None => None,
    };
    mix.fit(len);
    let target = LoudnessTarget {
        integrated_lufs: cut.loudness.target,
        true_peak_db: cut.loudness.true_peak,
    };
    // Export muxes this very AAC, so the codec check holds for every deliverable.
    let mastered = soundtrack::master(mix, Level::Normalize(target))?;
    let (loudness, encoded_true_peak_dbtp) = (mastered.loudness, mastered.encoded_true_peak_dbtp);
    Ok((
        mastered,
        SoundtrackReport {
            music: cut.music.as_ref().map(|m| m.file.display().to_string()),
            voice: cut.voice.as_ref().map(|v| v.file.display().to_string()),
            duck_key,
            target_lufs: target.integrated_lufs,
            true_peak_dbtp: target.true_peak_db,
            loudness,
            encoded_true_peak_dbtp,
        },
    ))
}

/// Measure one deliverable: loudness of its decoded audio and the sync check; its sync plot is
/// staged for the run's batch.
fn check(
    o: &export::Exported,
    file: Option<PathBuf>,
    key: String,
    opts: &sync::Options,
) -> Result<(Output, AtomicOutput)> {
    let path = PathBuf::from(&o.path);
    // The deliverable is read where it is staged, until the run commits it.
    let read = file.as_deref().unwrap_or(&path);
    let (pcm, report) = std::thread::scope(|s| {
        let pcm = s.spawn(|| decode_aligned(read, RATE, CH));
        let report = sync::analyze(read, opts, &crate::progress::Silent);
        (pcm.join().expect("audio decoding thread"), report)
    });
    let loudness = match pcm? {
        Some(p) => loudness::measure(&p)?,
        None => return Err(Error::bad_input(&path, "the deliverable has no audio")),
    };
    let mut report = report?;
    report.path = o.path.clone();
    let plot = path.with_extension("sync.png");
    let staged_plot = sync::plot::draw_staged(&report, &plot)?;
    let SyncReport {
        verdict,
        reason,
        offset_ms,
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
        loudness,
        sync_verdict: verdict.as_str().into(),
        sync_reason: reason,
        sync_offset_ms: offset_ms,
        sync_method: method.map(|m| m.as_str().into()),
        shots: shots
            .into_iter()
            .map(|s| ShotSync {
                index: s.index,
                start_s: s.span.start_s,
                end_s: s.span.end_s,
                offset_ms: s.span.offset_ms,
                confidence: s.span.confidence,
                verdict: s.verdict.as_str().into(),
                method: s.span.method.map(|m| m.as_str().into()),
            })
            .collect(),
        sync_plot: plot.display().to_string(),
        sidecars: o.sidecars.clone(),
        cover: o.cover.clone(),
    };
    Ok((output, staged_plot))
}

/// `p` made absolute (for the timeline's media references).
fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// True when a verdict of `report` (a [`Report`] as JSON) fails the run under
/// `fail_on_error`.
pub fn fails(report: &serde_json::Value, cut: &Cut) -> bool {
    cut.sync.fail_on_error
        && report["outputs"].as_array().is_some_and(|o| {
            o.iter()
                .any(|o| o["sync_verdict"] == Verdict::Fail.as_str())
        })
}
