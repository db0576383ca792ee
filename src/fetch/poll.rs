//! Waiting for a job: poll with backoff (or the server's `openai-poll-after-ms`) until it
//! reaches a final phase, within an overall timeout.

use super::client::{rate_limited, Client, Got};
use super::model::{Phase, Status, Video};
use crate::error::{Error, Result};
use crate::http::backoff::Backoff;
use crate::progress::Progress;
use std::time::{Duration, Instant};

/// How to poll.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First wait without a server hint (then doubling, jittered).
    pub initial: Duration,
    /// Longest wait between polls without a server hint.
    pub max: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3600),
            initial: Duration::from_secs(1),
            max: Duration::from_secs(15),
        }
    }
}

/// Show a job's status and percent on its bar.
pub fn show(bar: &dyn Progress, v: &Video) {
    bar.set_total(100);
    bar.set_done(u64::from(v.percent()));
    bar.status(&v.status.to_string());
}

/// The error for a job whose status is no word cutroom knows, or none: not waited for, as it
/// may never change (a final state under another name would be waited for until `--timeout`).
fn unknown_status(v: &Video) -> Error {
    let said = match v.status.as_str() {
        "" => "no \"status\"".to_string(),
        _ => format!("\"status\": \"{}\", a word cutroom does not know", v.status),
    };
    let error = v
        .error
        .as_ref()
        .map_or(String::new(), |e| format!(" (its error: {e})"));
    Error::Remote(format!(
        "job {} answers {said}{error}: not waited for, as it may never change; {KEPT}",
        v.id
    ))
}

/// What an error that ends a wait says of the job: it goes on, and a rerun does not pay again.
const KEPT: &str = "the job is kept: rerun the same command to look at it again (no new job is \
                    created)";

impl Client {
    /// Poll `id` until its status is final (done, failed, cancelled, expired: all returned as
    /// `Ok`), showing progress on `bar`. A job that disappears, or one still running at the
    /// timeout, is an error. Once the job has answered (`seen`: the caller saw it already), a
    /// lookup that gets no usable answer (a gateway's 502 or 503 maintenance page, no answer,
    /// past the request's own retries) does not end the wait: the job is looked at again with
    /// backoff until the timeout; a rate limit (429) is so waited out even before.
    pub async fn wait(
        &self,
        id: &str,
        opts: &PollOptions,
        bar: &dyn Progress,
        mut seen: bool,
    ) -> Result<Video> {
        let deadline = Instant::now() + opts.timeout;
        let mut backoff = Backoff::new(opts.initial, opts.max);
        let mut last: Option<(Status, u32)> = None;
        loop {
            let (video, hint) = match self.look_up(id).await? {
                Got::Json(found) => found,
                Got::NotFound => return Err(self.missing(id)),
                // Before the job has answered, only a rate limit is waited out: the service
                // is there (a 503 from the start may be no service of this kind at all).
                Got::Unavailable(e, _) if !seen && !rate_limited(&e) => return Err(e),
                Got::Unavailable(e, hint) => {
                    self.wait_out(id, e, hint, &mut backoff, deadline, opts, bar)
                        .await?;
                    continue;
                }
            };
            seen = true;
            show(bar, &video);
            if video.status.is_terminal() {
                return Ok(video);
            }
            if video.status.phase() == Phase::Unknown {
                return Err(unknown_status(&video));
            }
            let now = (video.status.clone(), video.percent());
            if last.is_some_and(|l| l != now) {
                backoff.reset(); // the job moves: keep looking closely
            }
            last = Some(now);
            let wait = backoff.next_delay(hint);
            if Instant::now() + wait > deadline {
                return Err(Error::Remote(format!(
                    "gave up waiting for video {id} after {} s (--timeout): still {} at {}%; \
                     {KEPT}, with a longer --timeout if need be",
                    opts.timeout.as_secs(),
                    video.status,
                    video.percent()
                )));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Look up job `id`, which the caller holds (its create answered, or a state file records
    /// it): a lookup without a usable answer past its retries (a 429, a gateway's 503 or
    /// maintenance page, no answer) is waited out as [`Client::wait`] does, until `--timeout`,
    /// never a reason to give the job up. `None`: the API does not know it (404).
    pub(crate) async fn look_up_held(
        &self,
        id: &str,
        opts: &PollOptions,
        bar: &dyn Progress,
    ) -> Result<Option<Video>> {
        let deadline = Instant::now() + opts.timeout;
        let mut backoff = Backoff::new(opts.initial, opts.max);
        loop {
            match self.look_up(id).await? {
                Got::Json((v, _)) => return Ok(Some(v)),
                Got::NotFound => return Ok(None),
                Got::Unavailable(e, hint) => {
                    self.wait_out(id, e, hint, &mut backoff, deadline, opts, bar)
                        .await?
                }
            }
        }
    }

    /// Wait before looking at job `id` again after `e`, a lookup without a usable answer (the
    /// server's `hint` of when to ask again taken at its word), or give up saying so when that
    /// would pass `deadline`.
    #[allow(clippy::too_many_arguments)]
    async fn wait_out(
        &self,
        id: &str,
        e: Error,
        hint: Option<Duration>,
        backoff: &mut Backoff,
        deadline: Instant,
        opts: &PollOptions,
        bar: &dyn Progress,
    ) -> Result<()> {
        let wait = backoff.next_delay(hint).max(hint.unwrap_or_default());
        if Instant::now() + wait > deadline {
            return Err(e.context(format!(
                "gave up waiting for video {id}: the next look would come past --timeout ({} \
                 s); {KEPT}",
                opts.timeout.as_secs()
            )));
        }
        self.unavailable(id, &e, wait);
        bar.status("unavailable");
        tokio::time::sleep(wait).await;
        Ok(())
    }
}
