//! `render`: a job per shot, polled and downloaded concurrently, resumable without re-billing.

use super::cache::{safe_name, Cache};
use super::client::{finished_but, Client, Created, Cursors, GONE};
use super::download::unix_now;
use super::fetcher::{fetch_video, Asked};
use super::limits::Limits;
use super::model::{Phase, Variant, Video};
use super::poll::{show, PollOptions};
use super::provider::{fal_app, Provider};
use super::shots::{self, Billed, Job, Retried, Shot, StateFile};
use super::spent::{Over, Spent};
use crate::error::{with_hint, Error, Result, Several};
use crate::http::backoff::Backoff;
use crate::progress::Progress;
use futures_util::StreamExt;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to render a shot list.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// Shots in flight at once (create, poll, download).
    pub concurrency: usize,
    /// Polling.
    pub poll: PollOptions,
    /// Local validation.
    pub limits: Limits,
    /// Create a new job for a shot whose recorded job failed or was cancelled (not for one
    /// that finished and whose render is gone, nor one the API no longer has: that takes
    /// `--resolve SHOT=new`).
    pub retry_failed: bool,
    /// Refuse to start when the shots still to create are estimated above this (USD); never
    /// create jobs priced above it in all.
    pub max_cost: Option<f64>,
    /// The prices of the jobs created under `max_cost` so far: shared by every render given
    /// these options (or a clone of them), so the cap holds for all of them together (a
    /// batch's variants), not for each; [`Spent::batch`] also shares it with other processes
    /// (a batch's shards).
    pub spent: Spent,
    /// How to settle the pending creates of named shots (`--resolve SHOT=ID|new`).
    pub resolve: Vec<(String, Resolve)>,
}

/// How to settle a create an earlier run left pending (killed between sending it and
/// recording its answer) where the provider cannot list jobs to find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolve {
    /// The job is this one (found in the provider's request log): use it.
    Job(String),
    /// No job was made (or a second one is accepted): create it again.
    New,
}

impl Resolve {
    /// Parse `SHOT=ID` or `SHOT=new`.
    pub fn parse(s: &str) -> std::result::Result<(String, Self), String> {
        let (name, what) = s
            .split_once('=')
            .map(|(n, w)| (n.trim(), w.trim()))
            .filter(|(n, w)| !n.is_empty() && !w.is_empty())
            .ok_or_else(|| format!("{s:?}: expected SHOT=JOB_ID or SHOT=new"))?;
        let how = match what {
            "new" => Self::New,
            id => Self::Job(id.to_string()),
        };
        Ok((name.to_string(), how))
    }

    /// As given after `SHOT=`.
    fn as_str(&self) -> &str {
        match self {
            Self::Job(id) => id,
            Self::New => "new",
        }
    }
}

/// The outcome of one shot (`shots[]` of `cutroom render --json`).
#[derive(Debug, Serialize)]
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
    #[serde(serialize_with = "crate::output::opt_path_text")]
    pub file: Option<PathBuf>,
    /// Its length in bytes.
    pub bytes: Option<u64>,
    /// Its SHA-256.
    pub sha256: Option<String>,
    /// What its job was billed.
    #[serde(flatten)]
    pub billed: Billed,
    /// The jobs of this shot that `--retry-failed` replaced (in this run or earlier ones),
    /// oldest first: billed too, so in the cost.
    pub retried: Vec<Retried>,
    /// Why the shot did not finish (its message in the JSON).
    #[serde(serialize_with = "message")]
    pub error: Option<Error>,
    /// True when its create may have made a job that no run has found yet (its intent is
    /// pending in the state file): it may be billed, at a cost not known.
    pub pending: bool,
}

/// An error as its message.
fn message<S: serde::Serializer>(e: &Option<Error>, s: S) -> std::result::Result<S::Ok, S::Error> {
    e.as_ref().map(ToString::to_string).serialize(s)
}

/// The cost of a run (`cost` of `cutroom render --json`).
#[derive(Debug, Clone, Serialize)]
pub struct CostTotal {
    /// Sum of the known `cost_usd`s; `None` when shots were billed and none of their costs is
    /// known (never a claim of $0).
    pub total_usd: Option<f64>,
    /// True when any part of it is the catalog's estimate.
    pub estimated: bool,
    /// Shots whose cost is unknown (no `usage` and no price, or a create whose job is not
    /// found), not in the total.
    pub unknown: Vec<String>,
    /// How many shots' costs are in the total.
    #[serde(skip)]
    known: usize,
}

impl CostTotal {
    /// The total of `shots`.
    pub fn of(shots: &[ShotReport]) -> Self {
        let mut total = Self {
            total_usd: Some(0.0),
            estimated: false,
            unknown: Vec::new(),
            known: 0,
        };
        for s in shots {
            // A create that may have made a job counts as a job of unknown cost, not as $0.
            let job = s.id.is_some() || s.pending;
            total.add_shot(&s.name, job.then_some(&s.billed), &s.retried);
        }
        total
    }

    /// Count one shot: the jobs a retry replaced, and its job, if it has one (`billed`).
    pub fn add_shot(&mut self, name: &str, billed: Option<&Billed>, retried: &[Retried]) {
        for b in retried.iter().map(|r| &r.billed).chain(billed) {
            self.add(name, b);
        }
    }

    /// Count one billed job of shot `name`: its cost, or the shot among the unknown.
    fn add(&mut self, name: &str, billed: &Billed) {
        match billed.cost_usd {
            Some(c) => {
                self.known += 1;
                self.total_usd = Some(self.total_usd.unwrap_or(0.0) + c);
            }
            None => {
                if !self.unknown.iter().any(|n| n == name) {
                    self.unknown.push(name.to_string());
                }
                if self.known == 0 {
                    self.total_usd = None;
                }
            }
        }
        self.estimated |= billed.cost_estimated;
    }
}

/// Refuse a `--resolve SHOT=...` naming no shot the list at `list` renders (`shots`, by
/// name): a misspelt shot would be ignored, and its pending create settled by no one (or its
/// job created again). The error names the list, the shot, the closest name and the shots.
pub fn check_resolve(list: &Path, shots: &[&str], resolve: &[(String, Resolve)]) -> Result<()> {
    let unknown = resolve.iter().filter(|(n, _)| !shots.contains(&n.as_str()));
    let mut errors: Vec<Error> = unknown
        .map(|(name, _)| {
            let hint = crate::specfile::closest(name, shots.iter().copied())
                .map(|c| format!(" (did you mean {c:?}?)"))
                .unwrap_or_default();
            let known = match shots.is_empty() {
                true => "it renders none".to_string(),
                false => format!("its shots: {}", shots.join(", ")),
            };
            Error::Usage(format!(
                "--resolve: {} has no shot named {name:?}{hint}; {known}",
                list.display()
            ))
        })
        .collect();
    // One shot settled two ways, or one job named for two shots (which would share a render).
    for (i, (name, how)) in resolve.iter().enumerate() {
        let earlier = &resolve[..i];
        if let Some((_, first)) = earlier.iter().find(|(n, _)| n == name) {
            if first != how {
                errors.push(Error::Usage(format!(
                    "--resolve settles shot {name:?} two ways: {name}={} and {name}={}",
                    first.as_str(),
                    how.as_str()
                )));
            }
        } else if let Resolve::Job(id) = how {
            if let Some((other, _)) = earlier.iter().find(|(_, h)| h == how) {
                errors.push(Error::Usage(format!(
                    "--resolve names job {id} for shots {other:?} and {name:?}: a job is one \
                     shot's render"
                )));
            }
        }
    }
    Error::all(Several::Inputs, errors)
}

/// Render every shot of the list at `shots_path` into `out`: create (or resume) a job per shot,
/// poll, download and verify, `concurrency` shots at a time. Every shot is validated before
/// the first job is created. Per-shot failures are in the reports; the call fails only when
/// the run cannot start. Each shot's progress is a [`Progress::job`] of `progress`.
pub async fn render(
    client: &Client,
    shots_path: &Path,
    out: &Path,
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotReport>> {
    let provider = client.config().provider;
    let shots = shots::load(shots_path, client.config().base_url.as_str())?;
    let mut bad = Vec::new();
    let mut warned = std::collections::BTreeSet::new();
    for s in &shots {
        match s.request.validate(&opts.limits, provider) {
            Ok(Some(w)) if warned.insert(w.clone()) => progress.warn(&w),
            Ok(_) => {}
            Err(e) => bad.push(Error::bad_input(
                shots_path,
                format!("shot {:?}: {e}", s.name),
            )),
        }
    }
    Error::all(Several::Inputs, bad)?;
    let names: Vec<&str> = shots.iter().map(|s| s.name.as_str()).collect();
    check_resolve(shots_path, &names, &opts.resolve)?;
    render_shots(client, shots_path, shots, out, opts, progress).await
}

/// As [`render`], for a list whose every request and `--resolve` name its caller has checked
/// already (`CreateVideo::validate` and [`check_resolve`], said as the caller's: assemble
/// checks its spec's render blocks), so that nothing is checked, nor a reference image read,
/// twice.
pub async fn render_validated(
    client: &Client,
    shots_path: &Path,
    out: &Path,
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotReport>> {
    let shots = shots::load(shots_path, client.config().base_url.as_str())?;
    render_shots(client, shots_path, shots, out, opts, progress).await
}

/// As [`render_validated`], for lists of one shot each, every list shared by the cuts that ask
/// for its render (a batch's variants), so that its state file, lock and job are the request's
/// whichever cut asks; `lists` gives each list and the shot's name in this cut (`--resolve` and
/// messages name it so). Under `--max-cost` the shots still to create are estimated together
/// first (each state read under its lock in turn, never two held), so that a cut over the cap
/// creates none. The lists then render side by side, `opts.concurrency` at a time; each gives
/// its shot's report, or why it could not start.
pub async fn render_shared(
    client: &Client,
    lists: &[(PathBuf, String)],
    out: &Path,
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<Result<ShotReport>>> {
    let mut shots = Vec::new();
    for (list, name) in lists {
        for mut s in shots::load(list, client.config().base_url.as_str())? {
            s.name = name.clone();
            shots.push((list, s));
        }
    }
    if let Some(max) = opts.max_cost {
        let mut total = 0;
        for (list, shot) in &shots {
            let state = StateFile::open(list, progress).await?;
            total += still_to_create(client, &state, std::slice::from_ref(shot), out, opts).await?;
        }
        within(opts, max, total)?;
    }
    let mut reports: Vec<(usize, Result<ShotReport>)> =
        futures_util::stream::iter(shots.into_iter().enumerate())
            .map(|(i, (list, shot))| async move {
                let r = render_shots(client, list, vec![shot], out, opts, progress).await;
                (i, r.map(|mut r| r.remove(0)))
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

/// Render `shots`, validated, of the list at `shots_path` (see [`render`]).
async fn render_shots(
    client: &Client,
    shots_path: &Path,
    shots: Vec<Shot>,
    out: &Path,
    opts: &RenderOptions,
    progress: &dyn Progress,
) -> Result<Vec<ShotReport>> {
    let state = StateFile::open(shots_path, progress).await?;
    if let Some(max) = opts.max_cost {
        within(
            opts,
            max,
            still_to_create(client, &state, &shots, out, opts).await?,
        )?;
    }
    let cache = Cache::new(out)?;
    let bars: Vec<Box<dyn Progress>> = shots.iter().map(|s| progress.job(&s.name)).collect();
    let run = &Run {
        client,
        cache: &cache,
        state: &state,
        opts,
        claims: tokio::sync::RwLock::new(()),
    };
    let mut reports: Vec<(usize, ShotReport)> =
        futures_util::stream::iter(shots.iter().zip(&bars).enumerate())
            .map(|(i, (shot, bar))| async move {
                let r = run.shot(shot, bar.as_ref()).await;
                bar.finish(Some(if r.error.is_some() { "failed" } else { "done" }));
                (i, r)
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
    reports.sort_by_key(|(i, _)| *i);
    Ok(reports.into_iter().map(|(_, r)| r).collect())
}

/// The catalog's price, in micro-USD, of the jobs a run of `shots` (their jobs as `state`
/// records them) would create: none for a job recorded (unless `--retry-failed` or
/// `--resolve SHOT=new` replaces it), a pending create an earlier run of the batch counted, or
/// a shot `--resolve` names a job for.
async fn still_to_create(
    client: &Client,
    state: &StateFile,
    shots: &[Shot],
    out: &Path,
    opts: &RenderOptions,
) -> Result<i64> {
    let provider = client.config().provider;
    // An existing directory only: a refused run leaves nothing behind.
    let cached = out.is_dir().then(|| Cache::new(out)).transpose()?;
    let mut total = 0;
    for s in shots {
        let job = state.get(&s.key).await;
        let pending = job.as_ref().filter(|j| j.id.is_none());
        if pending.is_some() && opts.spent.holds(&intent_key(s, &intent_token(pending)))? {
            continue; // a pending create an earlier run of the batch counted
        }
        let named = opts
            .resolve
            .iter()
            .any(|(n, r)| *n == s.name && matches!(r, Resolve::Job(_)));
        if named && job.as_ref().is_none_or(|j| j.id.is_none()) {
            continue; // the job the user names is taken: nothing is created
        }
        if let Some(Job { id: Some(id), .. }) = job {
            // Already created (and billed), unless --retry-failed or --resolve SHOT=new
            // creates it again.
            let renew = opts.resolve.contains(&(s.name.clone(), Resolve::New));
            let again = Again {
                failed: opts.retry_failed,
                renew,
            };
            if !recreated(client, cached.as_ref(), &id, again).await? {
                continue;
            }
        }
        total += price(opts, provider, s)?;
    }
    Ok(total)
}

/// Refuse to start jobs estimated at `total` micro-USD that, with what `opts.spent` counts
/// already, go over the cap `max` (USD).
fn within(opts: &RenderOptions, max: f64, total: i64) -> Result<()> {
    let spent = opts.spent.total()?;
    if spent + total <= micro_usd(max) {
        return Ok(());
    }
    let earlier = match spent {
        0 => String::new(),
        n => format!(
            " (after ${:.2} of jobs created earlier by {})",
            n as f64 / 1e6,
            opts.spent.whose()
        ),
    };
    Err(Error::OverLimit(format!(
        "the shots still to render are estimated at ${:.2}, over --max-cost ${max:.2}{earlier}",
        total as f64 / 1e6
    )))
}

/// The catalog's price of one render of `shot`, in micro-USD ([`micro_usd`]); a usage error
/// naming the shot when none is known.
fn price(opts: &RenderOptions, provider: Provider, shot: &Shot) -> Result<i64> {
    let (model, size, seconds) = shot.request.resolved();
    let secs: f64 = seconds.parse().unwrap_or(0.0);
    let price = opts
        .limits
        .catalog
        .find(provider, model)
        .and_then(|e| e.cost(size, secs));
    price.map(micro_usd).ok_or_else(|| {
        Error::Usage(format!(
            "--max-cost: no price is known for {model} at {} (shot {:?}); add usd_per_second \
             for it with --providers FILE",
            provider.name(),
            shot.name
        ))
    })
}

/// The token of a create's intent: that of `pending`, the intent recorded and resumed (in a
/// state file from before intents had tokens, its time stands in), else a new one.
fn intent_token(pending: Option<&Job>) -> String {
    match pending {
        Some(j) => j.intent.clone().unwrap_or(j.created_at.to_string()),
        None => format!("{:016x}", fastrand::u64(..)),
    }
}

/// The create's `Idempotency-Key`, which also names its price under `--max-cost`.
fn intent_key(shot: &Shot, token: &str) -> String {
    format!("cutroom-{}-{token}", shot.key)
}

/// `usd` in millionths of a dollar, so that sums of prices compare exactly (three shots at
/// $0.10 are $0.30, not $0.30000000000000004, over a cap of $0.30).
fn micro_usd(usd: f64) -> i64 {
    (usd * 1e6).round() as i64
}

/// Which recorded jobs a run may replace with new ones.
#[derive(Debug, Clone, Copy)]
struct Again {
    /// Jobs that failed or were cancelled (`--retry-failed`).
    failed: bool,
    /// A job whose render is gone, or that the API no longer has (`--resolve SHOT=new`).
    renew: bool,
}

/// True when the run may replace the recorded job `id` with a new one: its file is not in
/// `cache`, and the job failed or was cancelled (see [`no_content`]) with `again.failed`, or
/// with `again.renew` it finished (its render may be gone: only the download tells, so it
/// counts), is known to be gone, or the API no longer has it.
async fn recreated(client: &Client, cache: Option<&Cache>, id: &str, again: Again) -> Result<bool> {
    let entry = cache.and_then(|c| c.load(&safe_name(id)).map(|e| (c, e)));
    if entry.is_some_and(|(c, e)| c.verified(&e, Variant::Video).is_some()) {
        return Ok(false);
    }
    Ok(match client.retrieve(id).await {
        Ok(None) => again.renew,
        Ok(Some((v, _))) => match no_content(id, &v) {
            Some(Dead::Failed(_)) => again.failed,
            Some(Dead::Lost(_)) => again.renew,
            None => again.renew && v.status.phase() == Phase::Done,
        },
        Err(e) => match e.without_context() {
            Error::Gone(_) => again.renew,
            _ => return Err(e),
        },
    })
}

/// Why job `id`, as `v` shows it, gives no file: it failed or was cancelled, or its status
/// says its render expired; `None` when it does (or may yet). An `expires_at` already past by
/// our clock does not say so: the provider's clock may run behind ours, and only the download
/// tells (its refusal is then said as the download having expired).
fn no_content(id: &str, v: &Video) -> Option<Dead> {
    match v.status.phase() {
        Phase::Failed => Some(Dead::Failed(format!("job {id} failed: {}", v.failure()))),
        Phase::Cancelled => Some(Dead::Failed(format!("job {id} {}", v.cancellation()))),
        Phase::Expired => {
            let why = format!("its status is now {}", v.status);
            Some(Dead::Lost(finished_but(id, &why)))
        }
        _ => None,
    }
}

/// The error for a create of `shot` that may have made a job `provider` cannot list: `what`
/// happened, and how to settle it with `--resolve`.
fn unresolved(provider: Provider, shot: &str, what: &str) -> Error {
    Error::Remote(format!(
        "{what}, and {} services cannot list jobs to tell whether it was made. Look for it in \
         the provider's request log ({}), then rerun the same command with --resolve \
         '{shot}=JOB_ID' to use it, or with --resolve '{shot}=new' to create it again (billed \
         twice if it was made)",
        provider.name(),
        provider.request_log(),
    ))
}

/// The error of a create the service accepted (`why`: its answer names no job cutroom can
/// use): a job was made, and may be billed, so it is not created again unasked.
fn accepted_unusable(shot: &str, why: &str) -> Error {
    Error::Remote(format!(
        "{why}; the service accepted the create, so a job was made (and may be billed) that \
         cutroom cannot follow: it is not created again. Look for it in the provider's \
         dashboard or request log, then rerun the same command with --resolve '{shot}=JOB_ID' \
         to use it, or with --resolve '{shot}=new' to create it again (billed twice if it was \
         made)"
    ))
}

/// How far the API's clock may lag ours when matching a job to the intent to create it, beyond
/// the lag its answer's `Date` shows.
const CLOCK_SKEW_S: i64 = 300;

/// Pages of 100 jobs a lookup of an uncertain create reads at most: a listing that never
/// reaches the create's time (jobs without times, pages without end) would hold every shot's
/// create until --timeout.
const LOOKUP_PAGES: usize = 50;

struct Run<'a> {
    client: &'a Client,
    cache: &'a Cache,
    state: &'a StateFile,
    opts: &'a RenderOptions,
    /// Held shared from sending a create to recording its job, and exclusively while looking
    /// up an uncertain create, so a lookup never claims a job another shot is about to record.
    claims: tokio::sync::RwLock<()>,
}

impl Run<'_> {
    async fn shot(&self, shot: &Shot, bar: &dyn Progress) -> ShotReport {
        let mut report = ShotReport {
            name: shot.name.clone(),
            key: shot.key.clone(),
            id: None,
            created: false,
            cached: false,
            file: None,
            bytes: None,
            sha256: None,
            billed: Billed::default(),
            retried: Vec::new(),
            error: None,
            pending: false,
        };
        let mut ended: Option<Video> = None;
        if let Err(e) = self.shot_inner(shot, bar, &mut report, &mut ended).await {
            report.error = Some(e);
        }
        if report.id.is_none() {
            let job = self.state.get(&shot.key).await;
            report.pending = job.is_some_and(|j| j.id.is_none());
        }
        if let Some(id) = &report.id {
            report.billed = self.billed(shot, id, ended.as_ref());
        }
        report
    }

    /// What job `id` of `shot` was billed: as the sidecar of its download records it; for a
    /// job that `ended` without content, as a finished one if it finished (its link expired),
    /// nothing if it was cancelled before it started, else only as far as its provider says.
    fn billed(&self, shot: &Shot, id: &str, ended: Option<&Video>) -> Billed {
        if let Some(entry) = self.cache.load(&safe_name(id)) {
            return self.cost(shot, entry.video.as_ref());
        }
        match ended {
            // Finished, its render since gone.
            Some(v) if matches!(v.status.phase(), Phase::Done | Phase::Expired) => {
                self.cost(shot, Some(v))
            }
            Some(v) if v.status.phase() == Phase::Cancelled && v.never_started() => Billed {
                seconds_billed: Some(0.0),
                cost_usd: Some(0.0),
                cost_estimated: false,
            },
            Some(v) if v.extra.get("usage").is_some_and(|u| !u.is_null()) => {
                let b = self.cost(shot, Some(v));
                match b.cost_estimated {
                    true => Billed {
                        seconds_billed: b.seconds_billed,
                        ..Billed::default()
                    },
                    false => b,
                }
            }
            _ => Billed::default(),
        }
    }

    /// The seconds billed and the cost of a shot's job from its `usage` (OpenRouter's `cost`,
    /// LiteLLM's `duration_seconds`) or the catalog.
    fn cost(&self, shot: &Shot, video: Option<&Video>) -> Billed {
        let usage = video.and_then(|v| v.extra.get("usage"));
        let num = |k: &str| usage.and_then(|u| u.get(k)).and_then(figure);
        let (model, size, seconds) = shot.request.resolved();
        let length = video.and_then(|v| v.seconds.as_deref()).unwrap_or(seconds);
        let length = figure(&serde_json::Value::from(length));
        let secs = num("duration_seconds").or(length);
        if let Some(cost) = num("cost") {
            return Billed {
                seconds_billed: secs,
                cost_usd: Some(cost),
                cost_estimated: false,
            };
        }
        let provider = self.client.config().provider;
        let entry = self.opts.limits.catalog.find(provider, model);
        let cost_usd = entry.zip(secs).and_then(|(e, s)| e.cost(size, s));
        Billed {
            seconds_billed: secs,
            cost_usd,
            cost_estimated: cost_usd.is_some(),
        }
    }

    /// Take the price of the create `intent` of `shot` from what `--max-cost` leaves, before
    /// it is sent (nothing without a cap; once for an intent): an [`Error::OverLimit`] with
    /// the figures when it does not fit (`why`: the dead job it would replace). So the jobs
    /// created under the cap never add up past it, even one the estimate at the start could
    /// not foresee (a resumed job that fails later and is replaced on `--retry-failed`), or
    /// one another shard of a batch created meanwhile.
    fn take(&self, shot: &Shot, intent: &str, why: Option<&str>) -> Result<()> {
        let Some(max) = self.opts.max_cost else {
            return Ok(());
        };
        let price = price(self.opts, self.client.config().provider, shot)?;
        let Err(Over(spent)) = self.opts.spent.take(intent, price, micro_usd(max))? else {
            return Ok(());
        };
        let figures = format!(
            "at an estimated ${:.2} it would bring the jobs {} created to ${:.2}, over \
             --max-cost ${max:.2}",
            price as f64 / 1e6,
            self.opts.spent.whose(),
            (spent + price) as f64 / 1e6
        );
        Err(Error::OverLimit(match why {
            Some(why) => with_hint(why, &format!("not rendered again: {figures}")),
            None => format!("not rendered: {figures}"),
        }))
    }

    /// Create the shot's job, never twice: the intent goes to the state file before anything
    /// is sent, and a create whose outcome is unknown (here, or in an earlier run that left an
    /// `pending` intent) is looked up before it is sent again. `replacing` is the record of
    /// the dead job a retry replaces, and what it was billed: kept in `retried` from the
    /// intent on, restored if the create is surely refused.
    async fn create(
        &self,
        shot: &Shot,
        pending: Option<&Job>,
        replacing: Option<(Job, Retried)>,
        bar: &dyn Progress,
        report: &mut ShotReport,
    ) -> Result<String> {
        let provider = self.client.config().provider;
        let resolve = self.opts.resolve.iter().find(|(n, _)| *n == shot.name);
        let intent_at = match (pending.map(|j| j.created_at), resolve) {
            (Some(t), Some((_, Resolve::Job(id)))) => {
                return self.adopt(shot, id, t, &report.retried).await
            }
            // A shot the state file does not record (moved aside, unreadable): its job as the
            // user names it, never a second one.
            (None, Some((_, Resolve::Job(id)))) if replacing.is_none() => {
                return self.adopt(shot, id, unix_now(), &report.retried).await
            }
            (Some(_), Some((_, Resolve::New))) => None,
            (Some(_), None) if pending.is_some_and(|j| j.accepted) => {
                let why = "an earlier run's create of this shot was answered with a job cutroom \
                           cannot use";
                return Err(accepted_unusable(&shot.name, why));
            }
            (Some(t), None) if !provider.can_list() => {
                let when = std::time::UNIX_EPOCH + Duration::from_secs(t.max(0) as u64);
                let what = format!(
                    "an earlier run sent this shot's create ({}) and ended before the answer \
                     came: its job may exist, waiting, rendering or done",
                    httpdate::fmt_http_date(when)
                );
                return Err(unresolved(provider, &shot.name, &what));
            }
            (t, _) => t,
        };
        let resumed = intent_at.is_some();
        let token = intent_token(pending.filter(|_| resumed));
        let idempotency_key = intent_key(shot, &token);
        let why = replacing.as_ref().map(|(_, r)| r.error.as_str());
        self.take(shot, &idempotency_key, why)?;
        let intent_at = match intent_at {
            Some(t) => t,
            None => {
                let t = unix_now();
                report
                    .retried
                    .extend(replacing.as_ref().map(|(_, r)| r.clone()));
                let job = Job {
                    shot: shot.name.clone(),
                    id: None,
                    created_at: t,
                    intent: Some(token.clone()),
                    retried: report.retried.clone(),
                    accepted: false,
                };
                self.state.set(&shot.key, job).await?;
                report.id = None;
                t
            }
        };
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let mut uncertain = 0;
        let can_list = provider.can_list();
        loop {
            if can_list && (resumed || uncertain > 0) {
                bar.status("looking up");
                if let Some(id) = self.reconcile(shot, intent_at, &report.retried).await? {
                    report.created = !resumed;
                    return Ok(id);
                }
            }
            bar.status("creating");
            let claim = self.claims.read().await;
            let v = match self.client.create(&shot.request, &idempotency_key).await {
                Ok(Created::Job(v)) => v,
                Ok(Created::Unusable { why }) => {
                    drop(claim);
                    let job = Job {
                        shot: shot.name.clone(),
                        id: None,
                        created_at: intent_at,
                        intent: Some(token.clone()),
                        retried: report.retried.clone(),
                        accepted: true,
                    };
                    self.state.set(&shot.key, job).await?;
                    return Err(accepted_unusable(&shot.name, &why));
                }
                Ok(Created::Uncertain { why }) => {
                    drop(claim);
                    uncertain += 1;
                    // Where jobs cannot be listed, a create that may have made one is never
                    // re-sent: the user settles it from the provider's request log.
                    if !can_list {
                        let what = format!("{why}; the request reached the server");
                        return Err(unresolved(provider, &shot.name, &what));
                    }
                    if uncertain > self.client.config().retries {
                        return Err(Error::Remote(format!(
                            "{why}; a job may exist: the state file keeps the shot pending and \
                             the next run looks it up before creating again"
                        )));
                    }
                    let wait = backoff.next_delay(None);
                    self.client.log(format_args!(
                        "shot {:?}: {why}; looking for the job before creating again",
                        shot.name
                    ));
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => {
                    if uncertain == 0 && !resumed {
                        // Surely refused: nothing billed, the shot is as it was.
                        if self.opts.max_cost.is_some() {
                            self.opts.spent.refund(&idempotency_key)?;
                        }
                        match replacing {
                            Some((dead, _)) => {
                                report.retried.pop();
                                report.id.clone_from(&dead.id);
                                self.state.set(&shot.key, dead).await?;
                            }
                            None => self.state.remove(&shot.key).await?,
                        }
                    }
                    return Err(e);
                }
            };
            let job = Job {
                shot: shot.name.clone(),
                id: Some(v.id.clone()),
                created_at: v.created_at.unwrap_or_else(unix_now),
                intent: None,
                retried: report.retried.clone(),
                accepted: false,
            };
            if let Some(holder) = self.state.record_new(&shot.key, job).await? {
                // One job for two creates (a relay mixing its jobs up): its render is the
                // other shot's, and this create's own job, if it made one, is unknown.
                let what = format!(
                    "its create was answered with job {}, which shot {holder:?} holds or held: \
                     the service gave one job for two creates, so that render is not taken for \
                     this shot's",
                    v.id
                );
                return Err(match can_list {
                    true => Error::Remote(format!(
                        "{what}; the shot stays pending: the next run looks for its own job \
                         among the API's before creating it again"
                    )),
                    false => unresolved(provider, &shot.name, &what),
                });
            }
            report.created = true;
            return Ok(v.id);
        }
    }

    /// Record job `id` (as the user found it in the provider's request log, or in a state file
    /// moved aside) as the one the pending create of `shot` made, or as the job of a shot the
    /// state file does not record, once the API confirms it exists. fal's bare request ids
    /// are completed with the app's path.
    async fn adopt(
        &self,
        shot: &Shot,
        id: &str,
        intent_at: i64,
        retried: &[Retried],
    ) -> Result<String> {
        let (model, _, _) = shot.request.resolved();
        let id = match self.client.config().provider {
            Provider::Fal if !id.contains('/') => format!("{}/requests/{id}", fal_app(model)),
            _ => id.to_string(),
        };
        // Another shot's job (recorded for it in the state file) would give both one render.
        if let Some(other) = self.state.holder(&shot.key, &id).await {
            return Err(Error::Usage(format!(
                "--resolve '{}={id}': job {id} is shot {other:?}'s in {}: name the job made \
                 for this shot",
                shot.name,
                self.state.path().display()
            )));
        }
        let Some((video, _)) = self.client.retrieve(&id).await? else {
            return Err(Error::Usage(format!(
                "--resolve: job {id} does not exist on the API"
            )));
        };
        // Another shot's job (a typo, or a batch whose variants give this shot other prompts)
        // would be taken, and downloaded, as this shot's render.
        let asked = shot.request.prompt.trim();
        if let Some(made) = video.prompt.as_deref().filter(|p| p.trim() != asked) {
            return Err(Error::Usage(format!(
                "--resolve '{}={id}': job {id} was made for the prompt \"{}\", not this \
                 shot's \"{}\": name the job made for this shot",
                shot.name,
                crate::http::quote(made),
                crate::http::printable(asked)
            )));
        }
        let job = Job {
            shot: shot.name.clone(),
            id: Some(id.clone()),
            created_at: intent_at,
            intent: None,
            retried: retried.to_vec(),
            accepted: false,
        };
        self.state.set(&shot.key, job).await?;
        Ok(id)
    }

    /// Find the job an uncertain create of `shot` made: the oldest job on the API created since
    /// `since` (minus clock skew) with the shot's prompt, model, size and length that no shot
    /// of the state file holds (nor held: a job a retry replaced); record it, after the jobs
    /// the shot's retries replaced (`retried`).
    async fn reconcile(
        &self,
        shot: &Shot,
        since: i64,
        retried: &[Retried],
    ) -> Result<Option<String>> {
        let _exclusive = self.claims.write().await;
        let claimed = self.state.ids().await;
        let (model, size, seconds) = shot.request.resolved();
        let mut found: Option<Video> = None;
        let mut after: Option<String> = None;
        let mut cursors = Cursors::new(LOOKUP_PAGES);
        // Not found is not known: sending the create again could bill it twice.
        let unknown = |why: Error| {
            let name = &shot.name;
            Error::Remote(format!(
                "its create may have made a job, and the API's job list could not be read back \
                 to the create's time: {why}; look for the job on the provider's dashboard, then \
                 rerun the same command with --resolve '{name}=JOB_ID' to use it, or with \
                 --resolve '{name}=new' to create it again (billed twice if it was made)"
            ))
        };
        'pages: loop {
            let page = self.client.list_page(after.as_deref(), 100, "desc").await?;
            // How far the API's clock runs behind ours, by its answer's Date: its created_at
            // times are read in ours.
            let lag = page.answered_at.map_or(0, |t| (unix_now() - t).max(0));
            for v in &page.data {
                if v.created_at.is_some_and(|t| t + lag < since - CLOCK_SKEW_S) {
                    break 'pages;
                }
                // A field the provider leaves out does not contradict; the prompt must match.
                let agrees =
                    |got: &Option<String>, want: &str| got.as_deref().is_none_or(|g| g == want);
                let same = v.prompt.as_deref() == Some(shot.request.prompt.as_str())
                    && agrees(&v.model, model)
                    && agrees(&v.size, size)
                    && agrees(&v.seconds, seconds);
                if same && !claimed.contains(&v.id) {
                    found = Some(v.clone()); // newest first: the last match is the oldest
                }
            }
            after = cursors.next(&page).map_err(unknown)?;
            if after.is_none() {
                break;
            }
        }
        let Some(v) = found else { return Ok(None) };
        self.client.log(format_args!(
            "shot {:?}: found its job {} on the API",
            shot.name, v.id
        ));
        let job = Job {
            shot: shot.name.clone(),
            id: Some(v.id.clone()),
            created_at: v.created_at.unwrap_or(since),
            intent: None,
            retried: retried.to_vec(),
            accepted: false,
        };
        self.state.set(&shot.key, job).await?;
        Ok(Some(v.id))
    }

    /// Render, or find in the cache, the shot's file; a job that ended without content is
    /// left in `ended`.
    async fn shot_inner(
        &self,
        shot: &Shot,
        bar: &dyn Progress,
        report: &mut ShotReport,
        ended: &mut Option<Video>,
    ) -> Result<()> {
        // The dead job a retry replaces: its record and what it was billed.
        let mut replacing: Option<(Job, Retried)> = None;
        loop {
            let job = self.state.get(&shot.key).await;
            if replacing.is_none() {
                report.retried = job.as_ref().map(|j| j.retried.clone()).unwrap_or_default();
            }
            let id = match job {
                Some(Job { id: Some(id), .. }) if replacing.is_none() => id,
                Some(pending) if replacing.is_none() => {
                    self.create(shot, Some(&pending), None, bar, report).await?
                }
                _ => {
                    let id = self
                        .create(shot, None, replacing.take(), bar, report)
                        .await?;
                    *ended = None; // the new job's, if it ends without content
                    id
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
            let looked = async {
                // A job held: a rate-limited (429) or unavailable lookup is waited out.
                let looked = self.client.look_up_held(&id, &self.opts.poll, bar).await?;
                let Some(v) = looked else {
                    return Ok(Some(Dead::Lost(not_on_the_api(&id))));
                };
                // Already final: no second lookup before the download.
                let v = match v.status.is_terminal() {
                    true => {
                        show(bar, &v);
                        v
                    }
                    false => self.client.wait(&id, &self.opts.poll, bar, true).await?,
                };
                let problem = no_content(&id, &v);
                if problem.is_some() || v.status.phase() == Phase::Done {
                    *ended = Some(v); // billed as it ended, should its file not be had
                }
                Ok(problem)
            };
            let dead = match looked.await {
                Ok(dead) => dead,
                Err(e) => Some(Dead::lost(e)?),
            };
            let dead = match dead {
                Some(dead) => dead,
                None => {
                    let (_, size, seconds) = shot.request.resolved();
                    let asked = Asked {
                        what: format!("shot {:?}: the render of job {id}", shot.name),
                        seconds,
                        size,
                    };
                    let got = fetch_video(
                        self.client,
                        self.cache,
                        &id,
                        &[Variant::Video],
                        &self.opts.poll,
                        bar,
                        Some(asked),
                    )
                    .await;
                    match got {
                        Ok(got) => {
                            if let Some(w) = &got.unlike {
                                bar.warn(w);
                            }
                            if let Some(f) = got.files.get(&Variant::Video) {
                                report.file = Some(f.path.clone());
                                report.bytes = Some(f.bytes);
                                report.sha256 = Some(f.sha256.clone());
                            }
                            return Ok(());
                        }
                        Err(e) => Dead::lost(e)?,
                    }
                }
            };
            if let Dead::Lost(_) = dead {
                ended.get_or_insert_with(|| finished(&id)); // billed as a finished job
            }
            // A failed job is replaced on --retry-failed; a finished one whose render is gone
            // only on --resolve SHOT=new, which names the shot: it was a success, billed.
            let resolve = format!("--resolve '{}=new'", shot.name);
            let (replace, hint) = match &dead {
                Dead::Failed(_) => (
                    self.opts.retry_failed,
                    "rerun with --retry-failed to render it again (a new, billed job)".to_string(),
                ),
                Dead::Lost(_) => (
                    self.opts
                        .resolve
                        .contains(&(shot.name.clone(), Resolve::New)),
                    format!("rerun with {resolve} to render the shot again"),
                ),
            };
            if replace && !report.created {
                // Replace the dead job with a new one, once; what it was billed stays.
                if let Some(job) = self.state.get(&shot.key).await {
                    let billed = match &dead {
                        Dead::Failed(_) => self.billed(shot, &id, ended.as_ref()),
                        Dead::Lost(_) => self.cost(shot, ended.as_ref()),
                    };
                    let error = dead.message();
                    replacing = Some((job, Retried { id, error, billed }));
                    continue;
                }
            }
            // A job this run made and saw fail is not worth a retry hint; a lost render needs
            // the way forward whoever made it.
            let message = match report.created && matches!(dead, Dead::Failed(_)) {
                true => dead.message(),
                false => with_hint(&dead.message(), &hint),
            };
            return Err(match dead {
                Dead::Failed(_) => Error::Remote(message),
                Dead::Lost(_) => Error::Gone(message),
            });
        }
    }
}

/// Why job `id`, whose lookup answered 404, gives no file: the API no longer has it (deleted,
/// or past its retention), so whether it finished, and was billed, cannot be known: it counts
/// as a render that is gone, never as a failed job `--retry-failed` replaces unasked.
fn not_on_the_api(id: &str) -> String {
    format!(
        "job {id} is no longer on the API (its lookup answered 404: deleted, or past the \
         provider's retention), so it may have finished and been billed: {GONE}"
    )
}

/// A figure a provider gives as a number or as text (`0.4` or `"0.4"`, as relays do): finite
/// and not negative, else none.
fn figure(v: &serde_json::Value) -> Option<f64> {
    let f = match v {
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        v => v.as_f64(),
    };
    f.filter(|f| f.is_finite() && *f >= 0.0)
}

/// Job `id` as a finished one, all else unknown.
fn finished(id: &str) -> Video {
    let v = serde_json::json!({ "id": id, "status": "completed" });
    serde_json::from_value(v).expect("every field but the id may be missing")
}

/// Why a shot's recorded job gives no file.
enum Dead {
    /// It failed or was cancelled: `--retry-failed` renders the shot again.
    Failed(String),
    /// It finished, but its render can no longer be downloaded (its download expired, its file
    /// or result is gone: [`Error::Gone`]), or the API no longer has the job (it may have
    /// finished), whatever the provider: only `--resolve SHOT=new` renders the shot again.
    Lost(String),
}

impl Dead {
    /// `e` as a lost render, when it says the render is gone; else `e` itself.
    fn lost(e: Error) -> Result<Self> {
        match e.without_context() {
            Error::Gone(why) => Ok(Self::Lost(why.clone())),
            _ => Err(e),
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Failed(m) | Self::Lost(m) => m.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_job_is_lost_not_failed_and_a_past_expiry_is_left_to_the_download() {
        let job = |status: &str, expires_at: Option<i64>| {
            let v = serde_json::json!({"id": "j", "status": status, "expires_at": expires_at});
            serde_json::from_value::<Video>(v).unwrap()
        };
        let lost = |d: Option<Dead>| matches!(d, Some(Dead::Lost(m)) if m.contains(GONE_WORDS));
        // By our clock; the provider's may run behind it: the download tells.
        assert!(no_content("j", &job("completed", Some(1_000))).is_none());
        assert!(lost(no_content("j", &job("expired", None))));
        assert!(matches!(
            no_content("j", &job("failed", None)),
            Some(Dead::Failed(_))
        ));
        assert!(no_content("j", &job("completed", Some(unix_now() + 60))).is_none());
    }

    const GONE_WORDS: &str = "the render is gone";

    #[test]
    fn a_figure_may_come_as_text() {
        use serde_json::json;
        assert_eq!(figure(&json!(0.37)), Some(0.37));
        assert_eq!(figure(&json!("0.37")), Some(0.37));
        assert_eq!(figure(&json!(" 4 ")), Some(4.0));
        for bad in [
            json!("NaN"),
            json!("-1"),
            json!("four"),
            json!(null),
            json!({}),
        ] {
            assert_eq!(figure(&bad), None, "{bad}");
        }
    }
}
