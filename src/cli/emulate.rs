//! `cutroom emulate`: a local video-API server (OpenAI, OpenRouter, fal or Replicate dialect)
//! with fault injection, over http or https.

use super::api::{block_on_threaded, parse_duration};
use super::provenance_args::ssl_cert_file;
use super::Global;
use cutroom::emulate::{serve, Options};
use cutroom::fetch::{ApiKey, Limits, Provider};
use cutroom::provenance::{SigningKey, TimeStampAuthority};
use cutroom::{Error, Result};
use std::time::Duration;

/// Arguments of `cutroom emulate`.
#[derive(clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0: a free one). The first line on stdout is the base URL.
    #[arg(long, value_name = "PORT", default_value_t = 0)]
    port: u16,
    /// Fraction (0-1) of API requests refused with a 503 before any work is done, as an
    /// overloaded service does.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    fail_rate: f64,
    /// Fraction (0-1) of jobs that end `failed` (`error.code` `video_generation_failed`).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    fail_jobs: f64,
    /// Answer 429 with Retry-After beyond N requests in the sliding window (`N/min` or `N/s`).
    #[arg(long, value_name = "N/min", value_parser = parse_rate)]
    rate_limit: Option<(u32, Duration)>,
    /// Cut every download without a Range header after half its bytes (the connection is
    /// aborted), so only a resuming client gets the file; resumes are served whole.
    #[arg(long)]
    drop_downloads: bool,
    /// Stop every download without a Range header after half its bytes, the connection held
    /// open with nothing more sent (a stalled transfer); resumes are served whole.
    #[arg(long, conflicts_with = "drop_downloads")]
    stall_downloads: bool,
    /// Send every download without a Range header at one byte every 0.5 s after half its
    /// bytes (never silent for long, never done: only a minimum speed ends it); resumes are
    /// served whole.
    #[arg(long, conflicts_with_all = ["drop_downloads", "stall_downloads"])]
    trickle_downloads: bool,
    /// Fraction (0-1) of creates that make the job, then drop the connection unanswered.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    drop_creates: f64,
    /// Fraction (0-1) of creates that make the job, then answer a 500 server_error.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    fail_creates: f64,
    /// Seed of the faults' random draws (the fractions above): the same seed draws the same
    /// faults in the same order, so a run can be repeated. Default: random.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Delay between making a job and answering its create (e.g. `2s`).
    #[arg(long, value_name = "DUR", default_value = "0ms", value_parser = parse_duration)]
    slow_creates: Duration,
    /// A job shows in `GET /videos` (and Replicate's `GET /predictions`) only this long after
    /// it was made (e.g. `1h`), as a listing that lags.
    #[arg(long, value_name = "DUR", default_value = "0ms", value_parser = parse_duration)]
    list_lag: Duration,
    /// Delay before every API answer (e.g. `200ms`).
    #[arg(long, value_name = "DUR", default_value = "0ms", value_parser = parse_duration)]
    latency: Duration,
    /// Require the key in OPENAI_API_KEY (`Authorization: Bearer KEY` or `api-key: KEY`).
    #[arg(long)]
    require_key: bool,
    /// Time from create to completed.
    #[arg(long, value_name = "DUR", default_value = "3s", value_parser = parse_duration)]
    render_time: Duration,
    /// The openai-poll-after-ms hint on retrieve answers.
    #[arg(long, value_name = "DUR", default_value = "500ms", value_parser = parse_duration)]
    poll_after: Duration,
    /// Content stays downloadable this long after completion, then 404 `video_expired`
    /// (Replicate's predictions then name no output, as its API's are after an hour).
    #[arg(long, value_name = "DUR", default_value = "1h", value_parser = parse_duration)]
    expire_after: Duration,
    /// fal: the results of the first N requests made are gone, as when fal no longer has
    /// them: answered 404 `Request not found` while their status says COMPLETED.
    #[arg(long, value_name = "N", default_value_t = 0)]
    lose_results: u32,
    /// The files of the first N jobs made are gone once done, as after the provider's
    /// retention: their content or links answer 404, Replicate's predictions name no output.
    #[arg(long, value_name = "N", default_value_t = 0)]
    lose_files: u32,
    /// Shift the clips' beeps by this many ms (positive: audio late), to rehearse sync QA:
    /// -999 to 999, as a flash comes every 2 s (a larger shift would set each beep nearer
    /// another flash, or before the clip's start).
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64).range(-999..=999)
    )]
    av_offset_ms: i64,
    /// Luma noise amplitude (0-100) in the clips: big, still valid files for download tests
    /// (the download benchmark's ~50 MB render is 1920x1080, 2 s, `--noise 30`).
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    noise: u8,
    /// Accept any model, even size (16-4096) and length (1-60 s): tests use tiny clips.
    #[arg(long)]
    allow_any: bool,
    /// Page size of GET /videos without `limit`, and of Replicate's GET /predictions.
    #[arg(long, value_name = "N", default_value_t = 20)]
    page_size: u32,
    /// The API dialect, each with its routes, status words and error envelope: openai (base
    /// URL `/v1`), openrouter (`/api/v1`), fal (the root; results at `/files/{id}.mp4`),
    /// replicate (`/v1`).
    #[arg(long, value_name = "NAME", default_value = "openai")]
    flavor: String,
    /// Refuse a create whose prompt contains WORD (any case), as moderation does: 400
    /// `moderation_blocked`.
    #[arg(long, value_name = "WORD")]
    moderate: Option<String>,
    /// Accept a create whose prompt contains WORD (any case), then fail its job with
    /// `error.code` `moderation_blocked` (billed, as output moderation is).
    #[arg(long, value_name = "WORD")]
    moderate_render: Option<String>,
    /// Serve https with this PEM certificate chain (the first line on stdout is then an
    /// https:// URL); clients trust its CA through --ca-cert or SSL_CERT_FILE. `fal-client`
    /// only speaks https: `FAL_QUEUE_RUN_HOST=127.0.0.1:PORT`.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Sign every render with this generator certificate chain (PEM), as services do: a C2PA
    /// manifest saying `c2pa.created`, `trainedAlgorithmicMedia`. Needs --sign-key.
    #[arg(long, value_name = "PEM", requires = "sign_key")]
    sign_cert: Option<std::path::PathBuf>,
    /// The PKCS#8 private key (PEM) of --sign-cert.
    #[arg(long, value_name = "PEM", requires = "sign_cert")]
    sign_key: Option<std::path::PathBuf>,
    /// Time-stamp every render's signature at this RFC 3161 time-stamp authority, as services
    /// that time-stamp do (asked once at start; an https one also trusts SSL_CERT_FILE).
    /// Needs --sign-cert.
    #[arg(long, value_name = "URL", requires = "sign_cert")]
    sign_tsa: Option<String>,
}

/// `N/min` or `N/s` -> (N, window).
fn parse_rate(s: &str) -> std::result::Result<(u32, Duration), String> {
    let (n, per) = s.split_once('/').unwrap_or((s, "min"));
    let n: u32 = n
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: expected N/min or N/s"))?;
    let window = match per.trim() {
        "min" | "m" => Duration::from_secs(60),
        "s" | "sec" => Duration::from_secs(1),
        _ => return Err(format!("{s:?}: expected N/min or N/s")),
    };
    if n == 0 {
        return Err("rate limit must be at least 1".into());
    }
    Ok((n, window))
}

/// Serve until killed.
pub fn run(args: Args, _global: &Global) -> Result<i32> {
    for (name, v) in [
        ("--fail-rate", args.fail_rate),
        ("--fail-jobs", args.fail_jobs),
        ("--drop-creates", args.drop_creates),
        ("--fail-creates", args.fail_creates),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::Usage(format!("{name} must be between 0 and 1")));
        }
    }
    let flavor = Provider::parse(&args.flavor)?;
    let var = flavor.key_var();
    let require_key = match args.require_key {
        false => None,
        true => Some(
            ApiKey::from_env(var)?
                .ok_or_else(|| Error::Usage(format!("--require-key needs {var} set")))?,
        ),
    };
    let opts = Options {
        port: args.port,
        fail_rate: args.fail_rate,
        fail_jobs: args.fail_jobs,
        rate_limit: args.rate_limit,
        drop_downloads: args.drop_downloads,
        stall_downloads: args.stall_downloads,
        trickle_downloads: args.trickle_downloads,
        latency: args.latency,
        drop_creates: args.drop_creates,
        seed: args.seed,
        fail_creates: args.fail_creates,
        slow_creates: args.slow_creates,
        list_lag: args.list_lag,
        require_key,
        render_time: args.render_time,
        poll_after: args.poll_after,
        expire_after: args.expire_after,
        lose_results: args.lose_results,
        lose_files: args.lose_files,
        av_offset_ms: args.av_offset_ms,
        noise: args.noise,
        limits: Limits {
            allow_any: args.allow_any,
            ..Limits::default()
        },
        page_size: args.page_size.clamp(1, 100),
        moderate: args.moderate.filter(|w| !w.trim().is_empty()),
        moderate_render: args.moderate_render.filter(|w| !w.trim().is_empty()),
        flavor,
        tls: args.tls_cert.zip(args.tls_key),
        sign: match (&args.sign_cert, &args.sign_key) {
            (Some(cert), Some(key)) => {
                let key = SigningKey::load(cert, key)?;
                let ca = ssl_cert_file();
                let tsa = args
                    .sign_tsa
                    .as_deref()
                    .map(|url| TimeStampAuthority::parse(url, ca.as_deref()))
                    .transpose()?;
                // Asked once now, not first at the first render.
                tsa.as_ref().map(TimeStampAuthority::check).transpose()?;
                Some(key.with_tsa(tsa))
            }
            _ => None,
        },
    };
    block_on_threaded(serve(opts, |base| outln!("{base}")))??;
    Ok(0)
}
