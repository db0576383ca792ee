//! `emulate`: a local stand-in for an OpenAI-compatible `/v1/videos` API (and, with `--flavor`,
//! for OpenRouter, fal and Replicate), over http or, with a certificate, https.
//!
//! Same endpoints, JSON shapes, status transitions (`queued` -> `in_progress` with progress ->
//! `completed`/`failed`) and error envelopes as the real service, serving real H.264 + AAC
//! marker clips (see [`crate::synth`]) at the requested size and length, plus thumbnails and
//! spritesheets. Faults can be switched on to rehearse what providers do: 503s, 429s with
//! `Retry-After`, downloads cut midway, creates accepted then answered 500, dropped or answered late,
//! latency, expiring links, lost results, failed renders.
//! `GET /emulator/stats` counts what happened (jobs created, faults injected). With a signing
//! key its renders carry Content Credentials as a generator's do.

mod clips;
mod dialects;
mod errors;
mod faults;
mod ranges;
mod routes;
mod server;
mod state;
mod tls;

use crate::fetch::{ApiKey, Limits, Provider};
use crate::provenance::SigningKey;
use std::path::PathBuf;
use std::time::Duration;

pub use server::serve;

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// Fraction of API requests refused with a 503 before any work is done.
    pub fail_rate: f64,
    /// Fraction of jobs that end `failed` instead of `completed`.
    pub fail_jobs: f64,
    /// At most this many API requests per `rate_window`, then 429 with `Retry-After`.
    pub rate_limit: Option<(u32, Duration)>,
    /// Cut every download without a `Range` header after half its bytes.
    pub drop_downloads: bool,
    /// Stop every download without a `Range` header after half its bytes, the connection
    /// held open with nothing more sent (a stalled transfer).
    pub stall_downloads: bool,
    /// Send every download without a `Range` header at one byte every 0.5 s after half its
    /// bytes (a transfer too slow to finish that never goes silent).
    pub trickle_downloads: bool,
    /// Delay before answering each API request.
    pub latency: Duration,
    /// Fraction of creates that make the job and then drop the connection unanswered.
    pub drop_creates: f64,
    /// Fraction of creates that make the job, then answer a 500 `server_error`.
    pub fail_creates: f64,
    /// Delay between making a job and answering its create.
    pub slow_creates: Duration,
    /// A job shows in `GET /videos` only this long after it was made (a listing that lags).
    pub list_lag: Duration,
    /// Require this key (`Authorization: Bearer KEY` or `api-key: KEY`).
    pub require_key: Option<ApiKey>,
    /// How long a job takes from creation to completion.
    pub render_time: Duration,
    /// The `openai-poll-after-ms` hint on retrieve answers.
    pub poll_after: Duration,
    /// Content stays downloadable this long after completion (Replicate's predictions then
    /// name no output).
    pub expire_after: Duration,
    /// fal: the results of the first this many requests made are gone (answered 404 while
    /// their status says COMPLETED).
    pub lose_results: u32,
    /// The files of the first this many jobs made are gone once done: their content (OpenAI,
    /// OpenRouter) or links (fal) answer 404, Replicate's predictions name no output.
    pub lose_files: u32,
    /// Shift the clips' beeps by this many ms (positive: audio late), for sync QA rehearsal.
    pub av_offset_ms: i64,
    /// Luma noise in the clips (0: none); makes big files for download benchmarks.
    pub noise: u8,
    /// What create accepts.
    pub limits: Limits,
    /// Page size of `GET /videos` when the request gives no `limit`, and of Replicate's
    /// `GET /predictions`.
    pub page_size: u32,
    /// Refuse a create whose prompt contains this word, as the provider's moderation does.
    pub moderate: Option<String>,
    /// Accept a create whose prompt contains this word, then fail its job with a moderation
    /// error, as output moderation does (the job is still billed).
    pub moderate_render: Option<String>,
    /// The API dialect served.
    pub flavor: Provider,
    /// Serve HTTPS with this PEM certificate chain and PEM private key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Sign every render with this generator certificate, as services sign theirs (C2PA,
    /// `c2pa.created`, `trainedAlgorithmicMedia`).
    pub sign: Option<SigningKey>,
    /// Seed of the faults' random draws (`--fail-rate`, `--fail-jobs`, `--drop-creates`,
    /// `--fail-creates`): the same seed draws the same faults in the same order. None: random.
    pub seed: Option<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            port: 0,
            fail_rate: 0.0,
            fail_jobs: 0.0,
            rate_limit: None,
            drop_downloads: false,
            stall_downloads: false,
            trickle_downloads: false,
            latency: Duration::ZERO,
            drop_creates: 0.0,
            fail_creates: 0.0,
            slow_creates: Duration::ZERO,
            list_lag: Duration::ZERO,
            require_key: None,
            render_time: Duration::from_secs(3),
            poll_after: Duration::from_millis(500),
            expire_after: Duration::from_secs(3600),
            lose_results: 0,
            lose_files: 0,
            seed: None,
            av_offset_ms: 0,
            noise: 0,
            limits: Limits::default(),
            page_size: 20,
            moderate: None,
            moderate_render: None,
            flavor: Provider::OpenAi,
            tls: None,
            sign: None,
        }
    }
}
