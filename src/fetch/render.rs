//! `render`: a job per shot, polled and downloaded concurrently, resumable without re-billing.

use super::cache::{safe_name, Cache};
use super::client::Client;
use super::download::expired_since;
use super::fetcher::fetch_video;
use super::model::{Limits, Status, Variant};
use super::poll::PollOptions;
use super::shots::{self, Job, Shot, StateFile};
use crate::error::{Error, Result};
use futures_util::StreamExt;
use indicatif::ProgressBar;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// How to render a shot list.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Shots in flight at once (create, poll, download).
    pub concurrency: usize,
    /// Polling.
    pub poll: PollOptions,
    /// Local validation.
    pub limits: Limits,
    /// Create a new job for a shot whose recorded job failed, expired before its download, or
    /// no longer exists.
    pub retry_failed: bool,
    /// No progress bars.
    pub quiet: bool,
}

/// The outcome of one shot (`shots[]` of `cutroom render --json`).
#[derive(Debug, Clone, Serialize)]
pub struct ShotReport {
    /// Shot name.
    pub name: String,
    /// State key (hash of the render parameters).
    pub key: String,
    /// Job id.
    pub id: Option<String>,
    /// True when this run created the job (false: resumed from the state file).
    pub created: bool,
    /// True when the file was already downloaded and verified.
    pub cached: bool,
    /// The downloaded MP4.
    pub file: Option<PathBuf>,
    /// Its length in bytes.
    pub bytes: Option<u64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// Why the shot did not finish.
    pub error: Option<String>,
}

/// Render every shot of the list at `shots_path` into `out`: create (or resume) a job per shot,
/// poll, download and verify, `concurrency` shots at a time. Every shot is validated before
/// the first job is created. Per-shot failures are in the reports; the call fails only when
/// the run cannot start.
pub async fn render(
    client: &Client,
    shots_path: &Path,
    out: &Path,
    opts: &RenderOptions,
) -> Result<Vec<ShotReport>> {
    let endpoint = client.config().base_url.to_string();
    let shots = shots::load(shots_path, &endpoint)?;
    let mut bad = Vec::new();
    for s in &shots {
        if let Err(e) = s.request.validate(opts.limits) {
            bad.push(Error::bad_input(
                shots_path,
                format!("shot {:?}: {e}", s.name),
            ));
        }
    }
    match bad.len() {
        0 => {}
        1 => return Err(bad.remove(0)),
        _ => return Err(Error::Many(bad)),
    }
    let state = StateFile::open(shots_path)?;
    let cache = Cache::new(out)?;
    let multi = crate::progress::multi(opts.quiet);
    let bars: Vec<ProgressBar> = shots
        .iter()
        .map(|s| crate::progress::job_bar(&multi, &s.name))
        .collect();
    let run = &Run {
        client,
        cache: &cache,
        state: &state,
        opts,
    };
    let mut reports: Vec<(usize, ShotReport)> =
        futures_util::stream::iter(shots.iter().zip(&bars).enumerate())
            .map(|(i, (shot, bar))| async move {
                let r = run.shot(shot, bar).await;
                bar.finish_with_message(if r.error.is_some() { "failed" } else { "done" });
                (i, r)
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

struct Run<'a> {
    client: &'a Client,
    cache: &'a Cache,
    state: &'a StateFile,
    opts: &'a RenderOptions,
}

impl Run<'_> {
    async fn shot(&self, shot: &Shot, bar: &ProgressBar) -> ShotReport {
        let mut report = ShotReport {
            name: shot.name.clone(),
            key: shot.key.clone(),
            id: None,
            created: false,
            cached: false,
            file: None,
            bytes: None,
            sha256: None,
            error: None,
        };
        if let Err(e) = self.shot_inner(shot, bar, &mut report).await {
            report.error = Some(e.to_string());
        }
        report
    }

    async fn shot_inner(
        &self,
        shot: &Shot,
        bar: &ProgressBar,
        report: &mut ShotReport,
    ) -> Result<()> {
        let mut fresh = false;
        loop {
            let id = match self.state.get(&shot.key).await {
                Some(job) if !fresh => job.id,
                _ => {
                    bar.set_message("creating");
                    let v = self.client.create(&shot.request).await?;
                    let job = Job {
                        shot: shot.name.clone(),
                        id: v.id.clone(),
                        created_at: v.created_at,
                    };
                    self.state.set(&shot.key, job).await?;
                    report.created = true;
                    v.id
                }
            };
            report.id = Some(id.clone());
            if !report.created {
                if let Some(entry) = self.cache.load(&safe_name(&id)) {
                    if let Some(f) = self.cache.verified(&entry, Variant::Video) {
                        report.cached = true;
                        report.file = Some(self.cache.dir().join(f.file));
                        report.bytes = Some(f.bytes);
                        report.sha256 = Some(f.sha256);
                        return Ok(());
                    }
                }
            }
            let problem = match self.client.retrieve(&id).await? {
                None => Some(format!("job {id} no longer exists (deleted or expired)")),
                Some(_) => {
                    let v = self.client.wait(&id, &self.opts.poll, bar).await?;
                    let now = unix_now();
                    match (v.status, v.expires_at) {
                        (Status::Failed, _) => {
                            let why = v.error.map(|e| format!("{}: {}", e.code, e.message));
                            let why = why.unwrap_or_else(|| "no reason given".into());
                            Some(format!("job {id} failed: {why}"))
                        }
                        (_, Some(t)) if t <= now => {
                            Some(format!("job {id}: {}", expired_since(t, now)))
                        }
                        _ => None,
                    }
                }
            };
            if let Some(problem) = problem {
                if self.opts.retry_failed && !report.created {
                    fresh = true; // replace the dead job with a new one, once
                    continue;
                }
                let hint = if report.created {
                    ""
                } else {
                    "; rerun with --retry-failed to render it again (a new, billed job)"
                };
                return Err(Error::Remote(format!("{problem}{hint}")));
            }
            let got = fetch_video(
                self.client,
                self.cache,
                &id,
                &[Variant::Video],
                &self.opts.poll,
                bar,
            )
            .await?;
            if let Some(f) = got.files.get(&Variant::Video) {
                report.file = Some(f.path.clone());
                report.bytes = Some(f.bytes);
                report.sha256 = Some(f.sha256.clone());
            }
            return Ok(());
        }
    }
}
