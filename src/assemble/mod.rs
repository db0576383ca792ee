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

mod checks;
mod damage;
mod html;
mod overlays;
mod reuse;
mod shapes;
mod soundtrack;
pub mod sources;
pub mod spec;
mod timeline;

pub use checks::{fails, Output, ShotSync};
pub use reuse::{keys, reusable, Keys, Reuse};
pub use soundtrack::{DuckKey, SoundtrackReport};

use crate::audio::fit::Fit;
use crate::audio::masters::Masters;
use crate::captions::style::Overlays;
use crate::cleanup;
use crate::concat::{self, Summary};
use crate::error::{Error, Result};
use crate::export;
use crate::export::cover::Cover;
use crate::export::preset::Preset;
use crate::fetch::CostTotal;
use crate::output::{self, Planned};
use crate::progress::{Damaged, Progress, Tally};
use crate::provenance::{Edit, Policy, Signing, Step};
use crate::sheet;
use crate::specfile;
use crate::sync::{self, Verdict};
use crate::timeline::EditSpec;
use checks::check;
use serde::Serialize;
use sources::ShotInput;
use spec::Cut;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;
use timeline::Timeline;

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
    /// Packets of the shots, voice-over or music the decoders skipped as damaged, per file and
    /// stream.
    pub damaged_packets: Vec<Damaged>,
    /// Wall-clock seconds per stage.
    pub timings: Timings,
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

/// The name of the cut: `name`, or the spec's file stem, its bytes kept (a stem that is not
/// UTF-8 names the deliverables as it names the spec, not with U+FFFD).
pub fn cut_name(cut: &Cut, spec_path: &Path) -> OsString {
    match &cut.name {
        Some(name) => name.into(),
        None => spec_path
            .file_stem()
            .unwrap_or("cut".as_ref())
            .to_os_string(),
    }
}

/// Of a shot boxed by the cut (black bars over more than [`BOXED`] of its frame, its fit not
/// chosen) in the deliverables `shown` in (those that show the cut's frame; none, none is
/// boxed) or scaled up more than [`UPSCALED`], a warning naming it and the keys that change it.
fn framing_warnings(plan: &concat::plan::Plan, shown: &[&str]) -> Vec<String> {
    let (tw, th) = (plan.target.width, plan.target.height);
    let mut out = Vec::new();
    for f in concat::plan::framings(plan) {
        let (sw, sh) = f.shown;
        let shot = format!("shot {} ({})", f.shot, f.path.display());
        if f.fit.is_none() && f.bars > BOXED && !shown.is_empty() {
            out.push(format!(
                "{shot}: its {sw}x{sh} picture is boxed in the cut's {tw}x{th} frame, black \
                 bars over {:.0} % of it in {}: conform = \"crop\" (the spec's, or the \
                 shot's) fills the frame, size = \"WxH\" sets the cut's",
                f.bars * 100.0,
                shown.join(", ")
            ));
        }
        if f.scale > UPSCALED {
            out.push(format!(
                "{shot}: its {sw}x{sh} picture is scaled up {:.2}x to the cut's {tw}x{th} \
                 frame and looks soft: a smaller size = \"WxH\" keeps it sharp",
                f.scale
            ));
        }
    }
    out
}

/// A shot boxed with bars over this part of the cut's frame is warned of.
const BOXED: f64 = 0.10;

/// A shot scaled up more than this by the cut is warned of.
const UPSCALED: f64 = 1.5;

/// `<name>.<ext>`, the bytes of `name` kept.
fn named(name: &OsStr, ext: &str) -> OsString {
    let mut file = name.to_os_string();
    file.push(format!(".{ext}"));
    file
}

/// Assemble `cut` (read from `spec_path`) from the local shot files `inputs` into `out_dir`.
/// `reused` holds, per output, an earlier run's entry to keep instead of making it again (see
/// [`reusable`]). `sources_s` is the time the caller spent getting the shots; `encoder_threads`
/// sets the threads of each x264 encoder; `masters` keeps the mastered soundtrack for other
/// runs of the same sound (a batch's variants).
#[allow(clippy::too_many_arguments)]
pub fn run(
    cut: &Cut,
    spec_path: &Path,
    inputs: Vec<ShotInput>,
    keys: Keys,
    reused: Vec<Option<Output>>,
    out_dir: &Path,
    sources_s: f64,
    encoder_threads: export::EncoderThreads,
    masters: Option<&Masters>,
    policy: &Policy,
    progress: &dyn Progress,
) -> Result<Report> {
    let tally = Tally::new(progress);
    let progress = &tally;
    let name = cut_name(cut, spec_path);
    // The outputs to make: those no earlier run left intact.
    let (presets, made_keys): (Vec<Preset>, Vec<String>) = cut
        .output_presets(spec_path)?
        .into_iter()
        .zip(&keys.outputs)
        .zip(&reused)
        .filter(|(_, r)| r.is_none())
        .map(|((p, k), _)| (p, k.clone()))
        .unzip();
    let bad = |e: String| Error::bad_input(spec_path, e);
    let reframe = cut.reframe.reframe().map_err(bad)?;
    let music_fit = match &cut.music {
        Some(m) => m.fit().map_err(bad)?,
        None => Fit::Pad,
    };
    check_outputs(cut, spec_path, &name, &inputs, out_dir)?;
    let sign = signing(cut, &inputs, policy);
    policy.check(&sign.edit, out_dir, progress)?;
    // Removed again when still empty if the run fails or is interrupted.
    let mut out_dir_made = output::Batch::new();
    out_dir_made.make_dir(out_dir)?;
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
        command_line: false,
    };
    for w in concat::card::undrawable(spec_path, &edit.shot) {
        progress.warn(&w);
    }
    cleanup::remove_stale(out_dir);
    let prefix = cleanup::assemble_dir_prefix();
    let _live = cleanup::Live::names(out_dir, &prefix);
    let tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempdir_in(out_dir)
        .map_err(|e| Error::io(out_dir, e))?;
    let master = tmp.path().join(named(&name, "mp4"));
    let frame = cut.frame().map_err(bad)?;
    let copts = concat::Options {
        size: frame.size,
        frame_rate: frame.frame_rate,
        fit: frame.fit,
        shot_fits: frame.shot_fits,
        ..concat::Options::default()
    };
    progress.start("concat", 0);
    let mut prepared =
        concat::prepare(&edit, &copts, progress).map_err(|e| specfile::in_spec(spec_path, e))?;
    let shown = shapes::showing_the_cut(&presets, &prepared.plan, reframe.follow_motion);
    let framing = framing_warnings(&prepared.plan, &shown);
    prepared.plan.warnings.extend(framing);
    for w in &prepared.plan.warnings {
        progress.warn(w);
    }
    let captions = overlays::on_cut(cut, &prepared.plan, progress)?;
    let summary = Summary {
        // The master is removed with the working directory: the report names no such file.
        output: None,
        ..Summary::of(&prepared.plan, &master)
    };
    for n in summary.audio_notes() {
        progress.note(&n);
    }
    let spans = prepared.plan.spans();
    // Each deliverable draws the cards again at its own shape.
    let cards = concat::card::shown(&prepared.plan);
    let timeline = Timeline::of(&prepared.plan, &inputs);
    // Damage in the master's picture, said of its shots (the copy's check says some first).
    let held = damage::MasterDamage::new(progress, &master);
    let (shots_sound, picture) = concat::execute_for_export(prepared, &copts, &master, &held)
        .map_err(|e| on_out_dir(e, &master, out_dir))?;
    progress.finish(None);
    timings.concat_s = t.elapsed().as_secs_f64();

    // The soundtrack, in memory: made on the export's audio thread while the pictures are
    // encoded (here when there is nothing to export), its report kept for ours.
    let len = usize::try_from(summary.samples).unwrap_or(0);
    let sound_report = OnceLock::new();
    let make_sound = || {
        let t = Instant::now();
        let (mix, report) =
            soundtrack::soundtrack(cut, shots_sound, len, music_fit, masters, progress)?;
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
            // Checked as they are read onto the cut (`overlays::on_cut`).
            captions_from: None,
            overlays: Overlays {
                cards,
                ..cut.overlays(spec_path)
            },
            // Checked against every output of the run by `check_outputs` above.
            reads: Vec::new(),
            thumbnails: Some(spans.middles()),
            encoder_threads,
            sign,
        };
        let given: export::GivenSoundtrack = Box::new(make_sound);
        match picture {
            concat::Picture::File(_) => {
                let made = export::export_staged(&req, Some(given), &held)?;
                held.blame(inputs.iter().filter_map(|i| i.file.as_deref()))?;
                made
            }
            concat::Picture::Frames(frames) => shapes::export(&req, frames, given, progress)?,
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
        shots_listed: false,
    };
    // One at a time: a check holds its file's decoded sound for sync (a long cut's checks at
    // once would hold them all); each runs its loudness meter beside the sync analysis.
    let mut made = exported
        .outputs
        .iter()
        .zip(made_keys)
        .map(|(o, key)| {
            let file = staged.staged(&o.file).map(Path::to_path_buf);
            check(o, file, key, &sopts)
        })
        .collect::<Result<Vec<_>>>()?
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

    let timeline_path = out_dir.join("timeline.otio");
    staged.add(timeline.write(&timeline_path, &name.to_string_lossy(), cut)?);

    let sync_ok = outputs.iter().all(|o| o.sync_verdict != Verdict::Fail);
    let mut cost = CostTotal::of(&[]);
    for s in inputs.iter().filter(|s| s.source.starts_with("render:")) {
        cost.add_shot(&s.source, Some(&s.billed), &s.retried);
    }
    let report = Report {
        spec: spec_path.display().to_string(),
        key: keys.run,
        name: name.to_string_lossy().into_owned(),
        inputs,
        cost,
        cut: summary,
        soundtrack,
        outputs,
        timeline: timeline_path.display().to_string(),
        contact_sheet,
        sync_ok,
        damaged_packets: tally.damaged_packets(),
        timings,
    };
    staged.add(output::json(&out_dir.join("report.json"), &report)?);
    staged.add(html::write(&out_dir.join("report.html"), &report)?);
    staged.commit()?;
    out_dir_made.commit()?;
    Ok(report)
}

/// The deliverables' provenance: the shot files (the first one the parent), music and voice as
/// ingredients; the ducking and loudness as steps (each export adds its reframing).
fn signing(cut: &Cut, inputs: &[ShotInput], policy: &Policy) -> Signing {
    let files = inputs
        .iter()
        .filter_map(|i| i.file.as_deref())
        .chain(cut.music.iter().map(|m| m.file.as_path()))
        .chain(cut.voice.iter().map(|v| v.file.as_path()));
    let ducked = cut.music.as_ref().map(|m| {
        Step::new(
            "c2pa.filtered",
            format!("music ducked to {} dB under speech", m.depth),
        )
    });
    let loudness = Step::loudness(cut.loudness.target, cut.loudness.true_peak);
    Signing {
        policy: policy.clone(),
        edit: Edit::of(files).with_all(ducked.into_iter().chain([loudness])),
    }
}

/// The files a run writes in `out_dir`, checked against every file it reads before anything
/// is written (a deliverable named like a shot's source would overwrite it).
fn check_outputs(
    cut: &Cut,
    spec_path: &Path,
    name: &OsStr,
    inputs: &[ShotInput],
    out_dir: &Path,
) -> Result<()> {
    let mut files: Vec<PathBuf> = cut
        .outputs
        .iter()
        .flat_map(|p| {
            ["mp4", "jpg", "sync.png"].map(|ext| out_dir.join(named(name, &format!("{p}.{ext}"))))
        })
        .collect();
    if cut.caption_files().next().is_some() {
        let sidecars = cut
            .outputs
            .iter()
            .flat_map(|p| ["srt", "vtt"].map(|e| out_dir.join(named(name, &format!("{p}.{e}")))));
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
        .chain(cut.logo.iter().filter_map(|l| l.file.as_deref()))
        .collect();
    let planned: Vec<Planned> = files.iter().map(|f| Planned::in_new_dir(f)).collect();
    output::check_outputs(&planned, &read)
}

/// An error about the joined master, a file of the run's working directory, said of the
/// output directory the user gave.
fn on_out_dir(e: Error, master: &Path, out_dir: &Path) -> Error {
    match e {
        Error::BadInput { path, reason } if path == master => {
            Error::bad_input(out_dir, format!("writing the joined cut: {reason}"))
        }
        Error::Io { path, source } if path == master => {
            Error::bad_input(out_dir, format!("writing the joined cut: {source}"))
        }
        e => e,
    }
}
