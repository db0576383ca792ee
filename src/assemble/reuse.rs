//! Content keys of a run and of each output, and what an earlier run in the same directory
//! left that this one can keep.

use super::checks::Output;
use super::sources::ShotInput;
use super::spec::Cut;
use crate::error::{Error, Result};
use crate::fetch::sha256_file;
use crate::provenance::SigningKey;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Content keys of a run (see [`Report::key`](super::Report::key) and [`Output::key`]).
#[derive(Debug, Clone)]
pub struct Keys {
    /// The whole run's.
    pub run: String,
    /// One per output, in the spec's order.
    pub outputs: Vec<String>,
}

/// The content keys of `cut` (read from `spec_path`) made from the local shot files `inputs`,
/// signed with `signer` (its certificate and time-stamp authority are part of the key: a
/// signed run remakes unsigned deliverables, a time-stamped one untime-stamped ones).
pub fn keys(
    cut: &Cut,
    spec_path: &Path,
    inputs: &[ShotInput],
    signer: Option<&SigningKey>,
) -> Result<Keys> {
    // The spec's settings other than the output list, canonical (formatting and comments
    // aside), and the content of every file the cut is made from.
    let mut base = Sha256::new();
    base.update(env!("CARGO_PKG_VERSION").as_bytes());
    base.update(cut.settings.as_bytes());
    if let Some(s) = signer {
        base.update(s.certificate());
        if let Some(tsa) = s.tsa() {
            base.update(tsa.url().as_bytes());
        }
    }
    let files = inputs
        .iter()
        .filter_map(|i| i.file.as_deref())
        .chain(cut.music.iter().map(|m| m.file.as_path()))
        .chain(cut.voice.iter().map(|v| v.file.as_path()))
        .chain(cut.caption_files())
        .chain(cut.logo.iter().filter_map(|l| l.file.as_deref()));
    for f in files {
        base.update(sha256_file(f).map_err(|e| Error::io(f, e))?.as_bytes());
    }
    let outputs = cut
        .output_presets(spec_path)?
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

/// What an earlier run in `out_dir` left that this one can keep.
#[derive(Debug, Default)]
pub struct Reuse {
    /// The earlier report, when its run key is this run's, every file it lists is intact,
    /// `report.html` too, and it names this run's spec and input files: nothing is to be done
    /// (marked `"reused": true`, and so is each of its outputs).
    pub all: Option<serde_json::Value>,
    /// Per output of this run: the earlier entry with the same key whose file is intact (its
    /// recorded size and SHA-256).
    pub outputs: Vec<Option<Output>>,
}

/// What of an earlier run in `out_dir` this run (with `keys`, the spec at `spec`, `inputs`) can
/// keep.
pub fn reusable(out_dir: &Path, keys: &Keys, spec: &Path, inputs: &[ShotInput]) -> Reuse {
    let earlier: Option<serde_json::Value> = std::fs::read(out_dir.join("report.json"))
        .ok()
        .and_then(|t| serde_json::from_slice(&t).ok());
    let Some(mut report) = earlier else {
        return Reuse {
            all: None,
            outputs: keys.outputs.iter().map(|_| None).collect(),
        };
    };
    rebase(&mut report, out_dir);
    // Looked for by name in `out_dir` itself: the report's text of a directory whose name is
    // not UTF-8 names no file.
    let here = |p: &str| Path::new(p).file_name().map(|n| out_dir.join(n));
    let is_file = |p: &str| here(p).is_some_and(|p| p.is_file());
    // The file's size, then its content: a file damaged in place keeps its size.
    let intact = |o: &Output| {
        here(&o.path).is_some_and(|p| {
            std::fs::metadata(&p).is_ok_and(|m| m.len() == o.bytes)
                && o.sha256.is_some()
                && sha256_file(&p).ok() == o.sha256
        }) && is_file(&o.sync_plot)
            && o.sidecars.iter().all(|p| is_file(p))
            && o.cover.iter().all(|p| is_file(p))
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
        .all(|f| report[*f].as_str().is_some_and(is_file))
        && out_dir.join("report.html").is_file();
    let all = (report["key"].as_str() == Some(keys.run.as_str())
        && files
        && names(&report, spec, inputs)
        && outputs.iter().all(Option::is_some))
    .then(|| {
        report["reused"] = true.into();
        for o in report["outputs"].as_array_mut().into_iter().flatten() {
            o["reused"] = true.into();
        }
        report
    });
    Reuse { all, outputs }
}

/// Whether an earlier `report` names the spec and the shots' sources and files as this run
/// does (a run from another directory, or with the spec moved, names them otherwise: its report
/// is made again, its outputs reused).
fn names(report: &serde_json::Value, spec: &Path, inputs: &[ShotInput]) -> bool {
    let listed = report["inputs"].as_array().map_or(&[][..], Vec::as_slice);
    report["spec"].as_str() == Some(&spec.display().to_string())
        && listed.len() == inputs.len()
        && listed.iter().zip(inputs).all(|(earlier, now)| {
            earlier["source"].as_str() == Some(now.source.as_str())
                && earlier["file"].as_str().map(str::to_owned)
                    == now.file.as_ref().map(|f| f.display().to_string())
        })
}

/// Point the files an earlier `report` names in its output directory at `out_dir`: they were
/// recorded as that run was given its paths, from its working directory, and a run from
/// another one (or given the directory another way) finds them under their names here.
fn rebase(report: &mut serde_json::Value, out_dir: &Path) {
    let here = |v: Option<&mut serde_json::Value>| {
        if let Some(v) = v {
            if let Some(name) = v.as_str().and_then(|p| Path::new(p).file_name()) {
                *v = out_dir.join(name).display().to_string().into();
            }
        }
    };
    let Some(report) = report.as_object_mut() else {
        return;
    };
    let outputs = report.get_mut("outputs").and_then(|o| o.as_array_mut());
    for o in outputs
        .into_iter()
        .flatten()
        .filter_map(|o| o.as_object_mut())
    {
        for f in ["path", "sync_plot", "cover"] {
            here(o.get_mut(f));
        }
        let sidecars = o.get_mut("sidecars").and_then(|s| s.as_array_mut());
        sidecars.into_iter().flatten().for_each(|s| here(Some(s)));
    }
    for f in ["timeline", "contact_sheet"] {
        here(report.get_mut(f));
    }
}
