//! Getting every shot's file: local files as they are; URLs and video ids downloaded into the
//! shot cache (`out/shots/`, [`crate::fetch::Cache`]); render blocks, checked here, through
//! [`crate::fetch::render_validated`], whose state file beside the generated shot list
//! remembers each job so a re-run never creates (and bills) a second job for a shot.

use super::spec::{Cut, RenderBlock, Source};
use crate::error::{Error, Result, Several};
use crate::fetch::{
    check_resolve, fetch_url, fetch_video, render_validated, Billed, Cache, Client, Fetched,
    RenderOptions, Retried, StateFile, Variant,
};
use crate::progress::Progress;
use crate::specfile;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How a shot's file was had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShotFrom {
    /// A local file named by the spec.
    Local,
    /// Downloaded from a URL or a video id.
    Downloaded,
    /// Found in the cache (a download or a render of an earlier run).
    Cached,
    /// Rendered by this run.
    Rendered,
    /// A render an earlier run started, finished by this one.
    Resumed,
    /// A colour or text card (no file).
    Card,
}

impl std::fmt::Display for ShotFrom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Local => "local",
            Self::Downloaded => "downloaded",
            Self::Cached => "cached",
            Self::Rendered => "rendered",
            Self::Resumed => "resumed",
            Self::Card => "card",
        })
    }
}

/// Where one shot's file came from (`inputs[]` of the report).
#[derive(Debug, Clone, Serialize)]
pub struct ShotInput {
    /// The source as the spec gives it (`src` path, URL, video id, or `render:<prompt>`).
    pub source: String,
    /// The local file used (null for a colour or text card), as text.
    #[serde(serialize_with = "crate::output::opt_path_text")]
    pub file: Option<PathBuf>,
    /// `local`, `downloaded`, `cached`, `rendered`, `resumed` or `card`.
    pub how: ShotFrom,
    /// The render job or video id, when there is one.
    pub id: Option<String>,
    /// A render's seconds billed and cost (USD, `cost_estimated` when from the catalog), as in
    /// `cutroom render --json`; null for other sources.
    #[serde(flatten)]
    pub billed: Billed,
    /// A render's jobs that `--retry-failed` replaced, as in `cutroom render --json`.
    pub retried: Vec<Retried>,
}

/// The render shot list assemble writes into the shot cache (the `cutroom render` format).
#[derive(Serialize)]
struct ShotList<'a> {
    shot: Vec<ListEntry<'a>>,
}

#[derive(Serialize)]
struct ListEntry<'a> {
    name: String,
    #[serde(flatten)]
    render: &'a RenderBlock,
}

/// The name of the render shot list in the shot cache; its state file sits beside it.
pub const RENDER_LIST: &str = "render.toml";

/// Get every shot of `cut` (read from `spec`) as a local file, downloads and renders into
/// `shots_dir`. The client is only used when some shot is remote. All failures are reported
/// together, each under the spec's and its shot's name with its own kind (an HTTP error keeps
/// its status and URL); a URL or video id of the spec that the fetch refuses is the spec's bad
/// input.
pub async fn resolve(
    cut: &Cut,
    spec: &Path,
    shots_dir: &Path,
    client: &Client,
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotInput>> {
    let sources: Vec<Source> = cut
        .shot
        .iter()
        .enumerate()
        .map(|(i, s)| s.source(i + 1).map_err(|e| Error::bad_input(spec, e)))
        .collect::<Result<_>>()?;
    // Render blocks checked as `render` checks its list, once, before anything is written or
    // sent: a refusal names the spec and the shot, not the list generated from them.
    let provider = client.config().provider;
    let mut refused = Vec::new();
    let mut warned = std::collections::BTreeSet::new();
    for (i, s) in sources.iter().enumerate() {
        let Source::Render(r) = s else { continue };
        match r.request().validate(&opts.limits, provider) {
            Ok(Some(w)) if warned.insert(w.clone()) => progress.warn(&w),
            Ok(_) => {}
            Err(e) => refused.push(Error::bad_input(
                spec,
                format!("shot {}: [shot.render]: {e}", i + 1),
            )),
        }
    }
    Error::all(Several::Inputs, refused)?;
    let rendered = rendered_shots(cut);
    check_resolve(
        spec,
        &rendered.iter().map(String::as_str).collect::<Vec<_>>(),
        &opts.resolve,
    )?;
    let remote = sources
        .iter()
        .any(|s| !matches!(s, Source::File(_) | Source::Card));
    // Made by this run: removed again when a refusal leaves it empty.
    let mut made = crate::output::Batch::new();
    if remote {
        made.make_dir(shots_dir)?;
    }
    let mut inputs: Vec<Option<ShotInput>> = vec![None; sources.len()];
    let mut errors = Vec::new();
    // Renders: one shot list, rendered concurrently by the fetch module.
    let renders: Vec<(usize, RenderBlock)> = sources
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Source::Render(r) => Some((i, r)),
            _ => None,
        })
        .map(|(i, r)| Ok((i, listed(r)?)))
        .collect::<Result<_>>()?;
    if !renders.is_empty() {
        let list = ShotList {
            shot: renders
                .iter()
                .map(|(i, r)| ListEntry {
                    name: shot_name(*i),
                    render: r,
                })
                .collect(),
        };
        let text = toml::to_string(&list)
            .map_err(|e| Error::Internal(format!("cannot write the render list: {e}")))?;
        let path = shots_dir.join(RENDER_LIST);
        let new_list = !path.exists();
        // Written by rename: batch variants sharing this directory may read it meanwhile.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            let out = crate::output::AtomicOutput::new(&path)?;
            out.write(&text)?;
            out.commit()?;
        }
        let reports = match render_validated(client, &path, shots_dir, opts, progress).await {
            Ok(r) => r,
            Err(e) => {
                // Refused before any job (--max-cost, a state file it cannot read): a list
                // this run wrote, beside no state, is taken back, as is the directory.
                if new_list && !StateFile::path_for(&path).exists() {
                    let _ = std::fs::remove_file(&path);
                }
                return Err(e);
            }
        };
        for ((i, r), rep) in renders.iter().zip(reports) {
            let source = format!("render:{}", r.prompt);
            match (rep.file, rep.error) {
                (Some(file), None) => {
                    inputs[*i] = Some(ShotInput {
                        source,
                        file: Some(file),
                        how: if rep.cached {
                            ShotFrom::Cached
                        } else if rep.created {
                            ShotFrom::Rendered
                        } else {
                            ShotFrom::Resumed
                        },
                        id: rep.id,
                        billed: rep.billed,
                        retried: rep.retried,
                    })
                }
                (_, e) => errors.push(
                    e.unwrap_or_else(|| Error::Remote("no file".into()))
                        .context(source)
                        .of_shot(*i),
                ),
            }
        }
    }
    let cache = if remote {
        Some(Cache::new(shots_dir)?)
    } else {
        None
    };
    let bar = crate::progress::Silent;
    for (i, s) in sources.iter().enumerate() {
        let got: Result<(String, Fetched)> = match (s, &cache) {
            (Source::File(f), _) => {
                inputs[i] = Some(ShotInput {
                    source: f.display().to_string(),
                    file: Some(f.clone()),
                    how: ShotFrom::Local,
                    id: None,
                    billed: Billed::default(),
                    retried: Vec::new(),
                });
                continue;
            }
            (Source::Card, _) => {
                let shot = cut.shot[i].timeline_shot(None);
                let card = shot.footage(i + 1).map_err(|e| Error::bad_input(spec, e))?;
                inputs[i] = Some(ShotInput {
                    source: card.describe(),
                    file: None,
                    how: ShotFrom::Card,
                    id: None,
                    billed: Billed::default(),
                    retried: Vec::new(),
                });
                continue;
            }
            (Source::Render(_), _) | (_, None) => continue,
            (Source::Url(u), Some(c)) => fetch_url(client, c, u, &bar)
                .await
                .map(|f| (f.source.clone(), f)),
            (Source::VideoId(id), Some(c)) => {
                fetch_video(client, c, id, &[Variant::Video], &opts.poll, &bar, None)
                    .await
                    .map(|f| (id.clone(), f))
            }
        };
        if let Some(w) = got.as_ref().ok().and_then(|(_, f)| f.unlike.as_ref()) {
            progress.warn(&format!("{}: shot {}: {w}", spec.display(), i + 1));
        }
        match got {
            Ok((source, f)) => match f.files.get(&Variant::Video) {
                Some(file) => {
                    inputs[i] = Some(ShotInput {
                        source,
                        file: Some(file.path.clone()),
                        how: match f.cached {
                            true => ShotFrom::Cached,
                            false => ShotFrom::Downloaded,
                        },
                        id: f.id,
                        billed: Billed::default(),
                        retried: Vec::new(),
                    })
                }
                None => errors.push(Error::bad_input(Path::new(&source), "no video").of_shot(i)),
            },
            Err(e) => errors.push(e.of_shot(i)),
        }
    }
    Error::all(Several::Inputs, errors).map_err(|e| specfile::in_spec(spec, e))?;
    made.commit()?;
    Ok(inputs.into_iter().map(|i| i.expect("every shot")).collect())
}

/// Render block `r` as the shot list in the shot cache gives it: its reference image by an
/// absolute path, since the list's relative paths are taken beside the list, not the spec.
fn listed(r: &RenderBlock) -> Result<RenderBlock> {
    let mut r = r.clone();
    if let Some(p) = &mut r.input_reference {
        *p = std::path::absolute(&*p).map_err(|e| Error::io(&*p, e))?;
    }
    Ok(r)
}

/// `shot-01`, ... by position in the cut.
/// The names of the shots of `cut` made by `[shot.render]` (`shot-01`, ... by their place in
/// the spec), as `--resolve` names them.
pub fn rendered_shots(cut: &Cut) -> Vec<String> {
    let rendered = cut
        .shot
        .iter()
        .enumerate()
        .filter(|(_, s)| s.render.is_some());
    rendered.map(|(i, _)| shot_name(i)).collect()
}

fn shot_name(i: usize) -> String {
    format!("shot-{:02}", i + 1)
}
