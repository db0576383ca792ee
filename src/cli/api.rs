//! Options shared by the commands that talk to a `/v1/videos` API, and small helpers.

use super::bars::Bars;
use cutroom::fetch::{
    ApiConfig, ApiKey, Catalog, Client, Limits, PollOptions, Provider, RenderOptions, Resolve,
    DEFAULT_BASE_URL,
};
use cutroom::progress::Shared;
use cutroom::{Error, Result};
use std::sync::Arc;
use std::time::Duration;

/// The heading of the options shared by every command that talks to a video API, in `--help`
/// and in the option reference.
const API_OPTIONS: &str = "API options";

/// Where the API is and how to reach it. The key comes only from the provider's environment
/// variable (a flag would show it in the process list and shell history).
#[derive(clap::Args, Debug)]
pub struct ApiArgs {
    /// API root of any provider, e.g. a relay, Azure, OpenRouter or local `cutroom emulate`
    /// URL [default: OPENAI_BASE_URL for openai, and when no provider is named (its host then
    /// names the provider); else the provider's own root, `https://api.openai.com/v1` for
    /// openai].
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "URL", env = "CUTROOM_BASE_URL")]
    base_url: Option<String>,
    /// The API's dialect: openai (also Azure and relays), openrouter, fal, replicate
    /// [default: from the base URL's host, else openai]. The key is read only from the
    /// provider's environment variable, OPENAI_API_KEY, OPENROUTER_API_KEY, FAL_KEY or
    /// REPLICATE_API_TOKEN: a flag would show it in the process list and shell history.
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "NAME", env = "CUTROOM_PROVIDER")]
    provider: Option<String>,
    /// Header that carries the key: `authorization` sends `Bearer KEY` (fal: `Key KEY`);
    /// another name sends the bare key [default: `api-key` for *.azure.com, else
    /// authorization].
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "NAME", env = "OPENAI_AUTH_HEADER")]
    auth_header: Option<String>,
    /// Allow plain http:// to hosts other than loopback (the key and renders go in clear text).
    #[arg(long, global = true, help_heading = API_OPTIONS)]
    insecure_http: bool,
    /// Send plain-http requests through the proxy HTTP_PROXY or ALL_PROXY names although it
    /// reads them whole, the key with them (without it such a run is refused; https requests
    /// cross a proxy in a tunnel, and requests to loopback never go through one).
    #[arg(long, global = true, help_heading = API_OPTIONS)]
    key_through_proxy: bool,
    /// Retries of one request on 429, 408, 409, 5xx and dropped connections (docs/render.md).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "N", default_value_t = 8)]
    retries: u32,
    /// The longest the waits before retries add up to in a run, on the clock (a rate limit's
    /// short waits, request after request): past it, a request turned away is not tried
    /// again. Said on stderr once they reach 10 s (or half this), even with -q.
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "20m", value_parser = parse_duration)]
    max_retry_wait: Duration,
    /// Longest wait for a connection to the server.
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "10s", value_parser = parse_duration)]
    connect_timeout: Duration,
    /// Longest wait from sending a request to the first byte of its answer (its headers).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    first_byte_timeout: Duration,
    /// Longest silence in the middle of an answer's body (a stalled download resumes after
    /// it).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// A download slower than this over --min-speed-time (bytes a second, or with K, M
    /// suffix) counts as stalled: it is resumed like a dropped connection, counted against
    /// --retries (0: no floor). The default lets a 50 MB render finish inside --timeout.
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "SIZE", default_value = "16K", value_parser = parse_size_arg)]
    min_speed: u64,
    /// The span --min-speed is measured over.
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "30s", value_parser = parse_duration)]
    min_speed_time: Duration,
    /// Refuse downloads larger than this (bytes, or with K, M, G suffix: binary units).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "SIZE", default_value = "4G", value_parser = parse_size_arg)]
    max_download: u64,
    /// Log requests, retries and resumed downloads on stderr (keys never appear).
    #[arg(long, short, global = true, help_heading = API_OPTIONS)]
    verbose: bool,
    /// Also trust the CA certificates in this PEM file, e.g. a company proxy's or a test CA;
    /// the built-in roots stay trusted. Read at start for an https base URL or time-stamp
    /// authority (--sign-tsa), else at the first https request (a plain-http run never reads
    /// it).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "PEM", env = "SSL_CERT_FILE")]
    ca_cert: Option<std::path::PathBuf>,
}

impl ApiArgs {
    /// A client from these options and the provider's key variable.
    pub fn client(&self) -> Result<Client> {
        let named = self.provider.as_deref().map(Provider::parse).transpose()?;
        let openai_env = std::env::var("OPENAI_BASE_URL").ok();
        let base = base_url(self.base_url.as_deref(), named, openai_env.as_deref());
        let mut cfg = ApiConfig::new(base)?;
        cfg.provider = named.unwrap_or(cfg.provider);
        cfg.key = ApiKey::from_env(cfg.provider.key_var())?;
        let azure = cfg
            .base_url
            .host_str()
            .is_some_and(|h| h.to_ascii_lowercase().ends_with(".azure.com"));
        let header = match &self.auth_header {
            Some(h) => h.trim().to_ascii_lowercase(),
            None if azure => "api-key".into(),
            None => "authorization".into(),
        };
        if header.is_empty()
            || !header
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(Error::Usage(format!(
                "--auth-header {header:?} is not a header name"
            )));
        }
        cfg.auth_header = header;
        cfg.insecure_http = self.insecure_http;
        cfg.key_through_proxy = self.key_through_proxy;
        cfg.retries = self.retries;
        cfg.max_retry_wait = self.max_retry_wait;
        cfg.connect_timeout = self.connect_timeout;
        cfg.first_byte_timeout = self.first_byte_timeout;
        cfg.idle_timeout = self.idle_timeout;
        cfg.min_speed = self.min_speed;
        cfg.min_speed_time = self.min_speed_time;
        cfg.max_download_bytes = self.max_download;
        cfg.warn = Shared(Arc::new(Bars::new(true)));
        if self.verbose {
            cfg.log = cfg.warn.clone();
        }
        cfg.ca_cert = self.ca_cert.clone();
        Client::new(cfg)
    }
}

/// The API root: `--base-url` (CUTROOM_BASE_URL) for any provider; else `OPENAI_BASE_URL` when
/// the provider is openai or not named (its host then names the provider), so a relay set for
/// OpenAI tools never receives another provider's requests; else the named provider's own root.
fn base_url<'a>(
    flag: Option<&'a str>,
    named: Option<Provider>,
    openai_env: Option<&'a str>,
) -> &'a str {
    let openai_env = openai_env.filter(|v| !v.trim().is_empty());
    match (flag, named, openai_env) {
        (Some(b), _, _) => b,
        (None, None | Some(Provider::OpenAi), Some(e)) => e,
        (None, Some(p), _) => p.default_base_url(),
        (None, None, None) => DEFAULT_BASE_URL,
    }
}

/// How long to wait for renders.
#[derive(clap::Args, Debug)]
pub struct WaitArgs {
    /// Give up when the command (every render, request and download in it) has not finished
    /// after this long (e.g. `90s`, `30m`).
    #[arg(long, global = true, help_heading = API_OPTIONS, value_name = "DUR", default_value = "60m", value_parser = parse_duration)]
    timeout: Duration,
}

impl WaitArgs {
    /// Run `fut` (a whole command) on the client runtime within `--timeout`.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> Result<F::Output> {
        let limit = self.timeout;
        block_on(async move {
            tokio::time::timeout(limit, fut).await.map_err(|_| {
                Error::Remote(format!(
                    "gave up after {} s (--timeout); rerun to resume",
                    limit.as_secs_f64()
                ))
            })
        })?
    }

    /// Poll options with this timeout.
    pub fn poll(&self) -> PollOptions {
        PollOptions {
            timeout: self.timeout,
            ..PollOptions::default()
        }
    }
}

/// How to run render jobs (`cutroom render`, and `cutroom assemble` for its render shots).
#[derive(clap::Args, Debug)]
pub struct RenderArgs {
    /// Shots in flight at once (create, poll, download).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    concurrency: usize,
    /// Accept any model, size and length (an emulator, or a provider beyond the OpenAI lists).
    #[arg(long)]
    allow_any: bool,
    /// Create a new (billed) job for a shot whose recorded job failed or was cancelled (not for
    /// one that finished and whose render is gone, its download expired included, nor for one
    /// the API no longer has, which may have finished: --resolve SHOT=new).
    #[arg(long)]
    retry_failed: bool,
    /// Refuse to start when the shots still to create are estimated above this many USD; a job
    /// the run would create past it (replacing one that failed meanwhile) is not created. A
    /// batch's cap is for every job its variants, shards and runs create (DIR/.budget.json).
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    max_cost: Option<f64>,
    /// Extra or replacing model entries (the built-in providers.toml format).
    #[arg(long, value_name = "FILE")]
    providers: Option<std::path::PathBuf>,
    /// Settle a create an earlier run left pending where the provider cannot list jobs
    /// (OpenRouter, fal): `SHOT=JOB_ID` uses that job, `SHOT=new` creates it again;
    /// `SHOT=JOB_ID` also gives a shot the state file does not record (moved aside) its job,
    /// creating none. `SHOT=new`
    /// also renders again a shot whose job finished but whose render is gone (its download
    /// expired, its file removed, the job no longer on the API): a new, billed job. Repeatable.
    #[arg(long, value_name = "SHOT=ID|new", value_parser = Resolve::parse)]
    resolve: Vec<(String, Resolve)>,
    #[command(flatten)]
    wait: WaitArgs,
    #[command(flatten)]
    api: ApiArgs,
}

impl RenderArgs {
    /// The files these options name, each with its option and environment variable.
    pub fn files(&self) -> Vec<(&'static str, Option<&'static str>, &std::path::Path)> {
        let mut files = Vec::new();
        if let Some(p) = &self.api.ca_cert {
            files.push(("--ca-cert", Some("SSL_CERT_FILE"), p.as_path()));
        }
        if let Some(p) = &self.providers {
            files.push(("--providers", None, p.as_path()));
        }
        files
    }

    /// Run `fut` (a whole command) within `--timeout`.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> Result<F::Output> {
        self.wait.block_on(fut)
    }

    /// The shots' creates `--resolve` settles.
    pub fn resolve(&self) -> &[(String, Resolve)] {
        &self.resolve
    }

    /// The API client and the render options.
    pub fn client_and_options(&self) -> Result<(Client, RenderOptions)> {
        let opts = RenderOptions {
            concurrency: self.concurrency,
            poll: self.wait.poll(),
            limits: Limits {
                allow_any: self.allow_any,
                catalog: std::sync::Arc::new(match &self.providers {
                    Some(p) => Catalog::with_file(p)?,
                    None => Catalog::builtin(),
                }),
            },
            retry_failed: self.retry_failed,
            max_cost: self.max_cost,
            spent: Default::default(),
            resolve: self.resolve.clone(),
        };
        Ok((self.api.client()?, opts))
    }
}

/// Parse an amount of USD (`2.50`, `$2.50`).
fn parse_usd(s: &str) -> std::result::Result<f64, String> {
    s.trim()
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("{s:?} is not an amount of USD"))
}

/// Parse `250ms`, `2s`, `1.5s`, `10m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 250ms, 2s, 10m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| format!("{s:?} is not a duration"))
}

/// Parse `123`, `10K`, `500M`, `4G` (binary units) into bytes.
pub fn parse_size_arg(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let (num, shift) = match t.char_indices().last() {
        Some((i, 'K' | 'k')) => (&t[..i], 10),
        Some((i, 'M' | 'm')) => (&t[..i], 20),
        Some((i, 'G' | 'g')) => (&t[..i], 30),
        _ => (t, 0),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not a size (e.g. 500M)"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Run `fut` on a current-thread tokio runtime: the client commands mostly wait on the network,
/// so one thread drives every request (no cross-thread wake-ups per received chunk: a 48 MB
/// fetch had ~750 context switches on the multi-threaded runtime, ~130 on this one), while
/// file writes and hashing run on tokio's blocking threads.
pub fn block_on<F: std::future::Future>(fut: F) -> Result<F::Output> {
    Ok(client_runtime()?.block_on(fut))
}

/// Run `fut` on a multi-threaded tokio runtime (the emulator's server).
pub fn block_on_threaded<F: std::future::Future>(fut: F) -> Result<F::Output> {
    Ok(shared_runtime()?.block_on(fut))
}

/// The runtime of one client command ([`block_on`]).
pub fn client_runtime() -> Result<tokio::runtime::Runtime> {
    runtime(tokio::runtime::Builder::new_current_thread())
}

/// A multi-threaded runtime, which several threads may drive at once: a batch's variants,
/// whose one HTTP client keeps its pooled connections on the runtime that opened them (with a
/// runtime per variant, one ending broke the connections the others took from the pool:
/// "runtime dropped the dispatch task").
pub fn shared_runtime() -> Result<tokio::runtime::Runtime> {
    runtime(tokio::runtime::Builder::new_multi_thread())
}

fn runtime(mut builder: tokio::runtime::Builder) -> Result<tokio::runtime::Runtime> {
    builder
        .enable_all()
        .build()
        .map_err(|e| Error::Unavailable(format!("cannot start the async runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(parse_size_arg("10K"), Ok(10 << 10));
        assert_eq!(parse_size_arg("4G"), Ok(4 << 30));
        assert_eq!(parse_size_arg("77"), Ok(77));
        assert!(parse_size_arg("x").is_err());
    }

    #[test]
    fn openai_base_url_serves_only_openai() {
        let relay = "https://relay.example/v1";
        let flag = "http://127.0.0.1:9/v1";
        for p in [Provider::OpenRouter, Provider::Fal, Provider::Replicate] {
            assert_eq!(base_url(None, Some(p), Some(relay)), p.default_base_url());
            assert_eq!(base_url(Some(flag), Some(p), Some(relay)), flag);
        }
        assert_eq!(base_url(None, Some(Provider::OpenAi), Some(relay)), relay);
        assert_eq!(base_url(None, None, Some(relay)), relay);
        assert_eq!(base_url(None, None, Some(" ")), DEFAULT_BASE_URL);
        assert_eq!(base_url(None, None, None), DEFAULT_BASE_URL);
    }
}
