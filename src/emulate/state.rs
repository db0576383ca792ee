//! The emulator's job store: its options, jobs and counters, how a job looks as time passes,
//! and how a create is answered (late or lost, as the fault flags say).

use super::clips::{Clips, Slot};
use super::Options;
use crate::fetch::{Status, Video, VideoError};
use crate::picture::size;
use crate::synth::MarkerSpec;
use axum::body::{Body, Bytes};
use axum::response::Response;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Counters of `GET /emulator/stats`.
#[derive(Debug, Default)]
pub(super) struct Stats {
    /// Jobs created (create and remix), deleted ones included.
    pub(super) jobs_created: AtomicU64,
    /// API requests seen.
    pub(super) requests: AtomicU64,
    /// Requests answered 429.
    pub(super) rate_limited: AtomicU64,
    /// Requests answered with an injected 503.
    pub(super) server_errors: AtomicU64,
    /// Downloads cut midway.
    pub(super) dropped_downloads: AtomicU64,
    /// Content bytes put in download answers' bodies (a cut one's first half only, and what
    /// a trickling one sent).
    pub(super) bytes_served: Arc<AtomicU64>,
    /// Creates whose job was made but whose answer was dropped.
    pub(super) dropped_creates: AtomicU64,
    /// Creates whose job was made but which were answered 500.
    pub(super) failed_creates: AtomicU64,
    /// API requests in hand now (from arrival to the answer's headers).
    in_flight: AtomicU64,
    /// The most API requests in hand at once.
    pub(super) max_in_flight: AtomicU64,
}

impl Stats {
    /// Count a request in hand until the guard drops, keeping the most at once.
    pub(super) fn busy(&self) -> Busy<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_in_flight.fetch_max(now, Ordering::Relaxed);
        Busy(&self.in_flight)
    }
}

/// A request in hand (see [`Stats::busy`]).
pub(super) struct Busy<'a>(&'a AtomicU64);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub(super) struct Job {
    pub(super) video: Video,
    created: Instant,
    created_wall: SystemTime,
    /// Why it will fail (`error.code`, `error.message`), when it will.
    fails: Option<(&'static str, &'static str)>,
    pub(super) clip: Option<Slot>,
    /// When it was cancelled, if it was before it ended.
    cancelled: Option<Instant>,
    /// How many jobs were made before it.
    made_after: u64,
}

impl Job {
    /// True when it is one of the first `n` jobs made (`--lose-results`, `--lose-files`).
    pub(super) fn among_first(&self, n: u32) -> bool {
        self.made_after < u64::from(n)
    }
}

/// The emulator: options, jobs, clips and counters.
pub struct Emulator {
    pub(super) opts: Options,
    pub(super) stats: Stats,
    pub(super) window: Mutex<VecDeque<Instant>>,
    pub(super) jobs: Mutex<Vec<Job>>,
    /// The job each `Idempotency-Key` made, and the parameters of the create that sent it.
    pub(super) keys: Mutex<HashMap<String, (String, String)>>,
    pub(super) clips: Arc<Clips>,
    /// The faults' draws ([`Options::seed`]).
    pub(super) draws: Mutex<fastrand::Rng>,
    pub(super) workdir: tempfile::TempDir,
    /// Removes the work directory on SIGINT/SIGTERM, where `workdir`'s drop never runs.
    pub(super) _live: crate::cleanup::Live,
}

/// Unix seconds of `t`, rounded up (a job is never reported done or expired early).
fn ceil_secs(t: SystemTime) -> i64 {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    (d.as_secs() + u64::from(d.subsec_nanos() > 0)) as i64
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Emulator {
    /// True with probability `p` (never when `p` is 0), from the emulator's seeded draws.
    pub(super) fn chance(&self, p: f64) -> bool {
        p > 0.0 && self.draws.lock().expect("draws lock").f64() < p
    }

    /// The job as a client sees it now: status and progress follow the time since creation
    /// (queued for the first tenth of the render time), and completion also waits for the
    /// real clip to be encoded.
    pub(super) fn view(&self, job: &Job) -> Video {
        let mut v = job.video.clone();
        let total = self.opts.render_time.as_secs_f64();
        let elapsed = job.created.elapsed().as_secs_f64();
        let clip = job.clip.as_ref().and_then(|c| c.get());
        if job.cancelled.is_some() {
            v.status = Status::new("cancelled");
            return v;
        }
        if elapsed < total * 0.1 {
            return v; // queued
        }
        let done = elapsed >= total && (job.fails.is_some() || clip.is_some());
        if !done {
            v.status = Status::new("in_progress");
            v.progress = Some(((elapsed / total.max(1e-9)) * 100.0).min(99.0) as i64);
            return v;
        }
        let finished = job.created_wall + self.opts.render_time;
        let failure = match (job.fails, clip) {
            (Some((code, message)), _) => Some((code, message.to_string())),
            (_, Some(Err(e))) => Some(("internal_error", format!("The render failed: {e}"))),
            (None, _) => None,
        };
        match failure {
            Some((code, message)) => {
                v.status = Status::new("failed");
                v.error = Some(VideoError {
                    code: Some(code.into()),
                    message,
                });
            }
            None => {
                v.status = Status::new("completed");
                v.progress = Some(100);
                v.completed_at = Some(ceil_secs(finished));
                v.expires_at = Some(ceil_secs(finished + self.opts.expire_after));
            }
        }
        v
    }

    /// When the job started rendering (unix seconds; a tenth of the render time after it was
    /// made), if it did before now or before it was cancelled.
    pub(super) fn started_at(&self, job: &Job) -> Option<i64> {
        let queued = self.opts.render_time / 10;
        let until = job.cancelled.unwrap_or_else(Instant::now);
        (until.duration_since(job.created) >= queued).then(|| ceil_secs(job.created_wall + queued))
    }

    /// Cancel job `id`, as a provider's cancel endpoint does: a job still queued or rendering
    /// ends `cancelled`; one that ended stays as it is. False when there is no such job.
    pub(super) fn cancel(&self, id: &str) -> bool {
        let mut jobs = self.jobs.lock().expect("not poisoned");
        let Some(job) = jobs.iter_mut().find(|j| j.video.id == id) else {
            return false;
        };
        if !self.view(job).status.is_terminal() {
            job.cancelled = Some(Instant::now());
        }
        true
    }

    /// True once the job's content is past its expiry (to the nanosecond).
    pub(super) fn expired(&self, job: &Job) -> bool {
        SystemTime::now() >= job.created_wall + self.opts.render_time + self.opts.expire_after
    }

    /// Start a job and return its first view.
    pub(super) fn start(
        &self,
        prompt: String,
        model: String,
        size: String,
        seconds: String,
        remixed_from: Option<String>,
    ) -> Video {
        let (width, height) = size::parse(&size).expect("validated");
        let spec = MarkerSpec {
            av_offset_ms: self.opts.av_offset_ms,
            noise: self.opts.noise,
            ..MarkerSpec::new(width, height, seconds.parse().expect("validated"))
        };
        let moderated = self
            .opts
            .moderate_render
            .as_ref()
            .is_some_and(|w| prompt.to_lowercase().contains(&w.to_lowercase()));
        let fails = if moderated {
            Some((
                "moderation_blocked",
                "The video was blocked by our moderation system after it was rendered.",
            ))
        } else if self.chance(self.opts.fail_jobs) {
            Some((
                "video_generation_failed",
                "The render failed (injected by cutroom emulate --fail-jobs).",
            ))
        } else {
            None
        };
        let video = Video {
            id: format!("video_{:032x}", fastrand::u128(..)),
            object: Some("video".into()),
            model: Some(model),
            status: Status::new("queued"),
            progress: Some(0),
            created_at: Some(unix_now()),
            completed_at: None,
            expires_at: None,
            prompt: Some(prompt),
            seconds: Some(seconds),
            size: Some(size),
            remixed_from_video_id: remixed_from,
            error: None,
            extra: Default::default(),
        };
        let job = Job {
            video: video.clone(),
            created: Instant::now(),
            created_wall: SystemTime::now(),
            fails,
            clip: fails.is_none().then(|| self.clips.request(&spec)),
            cancelled: None,
            made_after: self.stats.jobs_created.fetch_add(1, Ordering::Relaxed),
        };
        self.jobs.lock().expect("not poisoned").push(job);
        video
    }

    /// Start a job for a create sent with `key` (its `Idempotency-Key`) and `params`, once per
    /// key: the same key again gets the job it made, as it is now; with other parameters it
    /// is refused.
    pub(super) fn start_once(
        &self,
        key: Option<&str>,
        params: String,
        start: impl FnOnce() -> Video,
    ) -> Once {
        let Some(key) = key else {
            return Once::New(start());
        };
        let mut keys = self.keys.lock().expect("not poisoned");
        match keys.get(key) {
            Some((id, p)) if *p == params => match self.find(id, |j| self.view(j)) {
                Some(v) => Once::Replay(v),
                None => Once::Gone(id.clone()),
            },
            Some(_) => Once::Conflict,
            None => {
                let v = start();
                keys.insert(key.to_string(), (v.id.clone(), params));
                Once::New(v)
            }
        }
    }

    /// Make every job look `seconds` older: its `created_at` moves back (as if an earlier
    /// session had made it).
    pub(super) fn backdate(&self, seconds: i64) {
        for j in self.jobs.lock().expect("not poisoned").iter_mut() {
            j.video.created_at = j.video.created_at.map(|t| t - seconds);
        }
    }

    /// True once `job` shows in listings (`--list-lag` after it was made).
    pub(super) fn listed(&self, job: &Job) -> bool {
        job.created.elapsed() >= self.opts.list_lag
    }

    pub(super) fn find<T>(&self, id: &str, f: impl FnOnce(&Job) -> T) -> Option<T> {
        self.jobs
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|j| j.video.id == id)
            .map(f)
    }

    /// The answer to a create whose job is made: late with `--slow-creates`, a 500 with
    /// `--fail-creates`, and lost (the connection dropped) with `--drop-creates`.
    pub(super) async fn answer_create(&self, answer: Response) -> Response {
        if !self.opts.slow_creates.is_zero() {
            tokio::time::sleep(self.opts.slow_creates).await;
        }
        if self.chance(self.opts.fail_creates) {
            self.stats.failed_creates.fetch_add(1, Ordering::Relaxed);
            return self.error(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The server had an error while processing your request. Sorry about that!",
                None,
                None,
            );
        }
        if self.chance(self.opts.drop_creates) {
            self.stats.dropped_creates.fetch_add(1, Ordering::Relaxed);
            let cut = futures_util::stream::once(async {
                Err::<Bytes, _>(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "dropped by --drop-creates",
                ))
            });
            return Response::new(Body::from_stream(cut));
        }
        answer
    }
}

/// What a create with an `Idempotency-Key` gets.
pub(super) enum Once {
    /// A job made now.
    New(Video),
    /// The job an earlier create with this key made, as it is now.
    Replay(Video),
    /// The job an earlier create with this key made has been deleted.
    Gone(String),
    /// The key was sent before with other parameters.
    Conflict,
}
