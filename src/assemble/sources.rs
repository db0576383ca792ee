//! Getting every shot's file: local files as they are; URLs and video ids downloaded into the
//! shot cache (`out/shots/`, [`crate::fetch::Cache`]); render blocks, checked here, each
//! through [`crate::fetch::render_shared`] from its own shot list in `out/shots/renders/`, whose
//! state file remembers the job so that no re-run, nor another cut sharing the cache (a batch's
//! variants), creates (and bills) a second job for the same request.

use super::spec::{Cut, RenderBlock, Source};
use crate::error::{Error, Result, Several};
use crate::fetch::{
    check_resolve, fetch_url, fetch_video, render_shared, render_validated, Billed, Cache, Client,
    Fetched, RenderOptions, Retried, ShotReport, StateFile, Variant,
};
use crate::progress::Progress;
use crate::specfile;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
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
    /// The shot's name; none in a request's own list, shared by cuts that place it anywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(flatten)]
    render: &'a RenderBlock,
}

/// The name of a cut's render shot list in the shot cache of earlier versions; its state file
/// sits beside it.
pub const RENDER_LIST: &str = "render.toml";

/// The directory of the shot cache holding one render list (and its state) per request.
const REQUESTS: &str = "renders";

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
        let legacy = shots_dir.join(RENDER_LIST);
        let reports = if StateFile::path_for(&legacy).exists() {
            render_list(client, &legacy, shots_dir, &renders, opts, progress).await?
        } else {
            made.make_dir(&shots_dir.join(REQUESTS))?;
            render_apart(client, shots_dir, &renders, opts, progress).await?
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

/// Render `renders` (by their place in the cut) as one list at `list`, its state beside it: the
/// layout of a cut's shot cache before renders were kept apart, still read so that a rerun over
/// it never creates (and bills) again a job it records.
async fn render_list(
    client: &Client,
    list: &Path,
    shots_dir: &Path,
    renders: &[(usize, RenderBlock)],
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotReport>> {
    let entries = renders.iter().map(|(i, r)| ListEntry {
        name: Some(shot_name(*i)),
        render: r,
    });
    let new_list = write_list(list, entries.collect())?;
    render_validated(client, list, shots_dir, opts, progress)
        .await
        .inspect_err(|_| forget_list(list, new_list))
}

/// Render each of `renders` (by their place in the cut) from its own list and state file in
/// `shots_dir/renders/`, named by the request (and which take of identical requests in the cut
/// it is), so that every cut asking for the same render (a batch's variants, its shards, its
/// reruns) finds the one job created for it. A refusal before a job (`--max-cost`, a state file
/// it cannot read) is the first by place, once every other has ended.
async fn render_apart(
    client: &Client,
    shots_dir: &Path,
    renders: &[(usize, RenderBlock)],
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotReport>> {
    let mut takes: HashMap<String, u32> = HashMap::new();
    let (mut lists, mut new_lists) = (Vec::new(), Vec::new());
    for (i, r) in renders {
        let request = serde_json::to_string(r).expect("a render block is JSON");
        let take = takes.entry(request.clone()).or_default();
        *take += 1;
        let key = format!("{:x}", Sha256::digest(format!("{request}#{take}")));
        let list = shots_dir
            .join(REQUESTS)
            .join(format!("{}.toml", &key[..32]));
        let entry = ListEntry {
            name: None,
            render: r,
        };
        new_lists.push(write_list(&list, vec![entry])?);
        lists.push((list, shot_name(*i)));
    }
    let forget = || {
        for ((list, _), new_list) in lists.iter().zip(&new_lists) {
            forget_list(list, *new_list);
        }
    };
    let reports = render_shared(client, &lists, shots_dir, opts, progress)
        .await
        .inspect_err(|_| forget())?;
    if reports.iter().any(|r| r.is_err()) {
        forget();
    }
    reports.into_iter().collect()
}

/// Write the render list `shot` at `path` unless it holds that already (by rename: the batch's
/// variants sharing it may read it meanwhile); true when there was none.
fn write_list(path: &Path, shot: Vec<ListEntry>) -> Result<bool> {
    let text = toml::to_string(&ShotList { shot })
        .map_err(|e| Error::Internal(format!("cannot write the render list: {e}")))?;
    let new_list = !path.exists();
    if std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
        let out = crate::output::AtomicOutput::new(path)?;
        out.write(&text)?;
        out.commit()?;
    }
    Ok(new_list)
}

/// Take back the list at `path` that this run wrote, refused before any job (beside no state).
fn forget_list(path: &Path, new_list: bool) {
    if new_list && !StateFile::path_for(path).exists() {
        let _ = std::fs::remove_file(path);
    }
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
