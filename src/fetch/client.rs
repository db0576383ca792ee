//! The HTTP client of the `/v1/videos` API: every endpoint, with retries that honour the
//! server's hints, redirects that never carry the key to another origin, and errors that quote
//! the API's own message (never the key).

use super::config::{check_hop, check_url, same_origin, too_near, ApiConfig};
use super::model::{
    mentions_moderation, CreateVideo, Deleted, Variant, Video, VideoError, VideoList,
};
use super::provider::{output_url, unwrapped, Provider};
use super::reach::{refused, Guard, Lookup, Reach};
use crate::error::{with_hint, Error, Result};
use crate::http::backoff::{server_hint, span, Backoff, Waits, MAX_HINT};
use crate::http::{
    describe, no_connection, quote, redact_url, trusted, untrusted_certificate, NoConnection,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, Response, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Redirect hops followed for one GET.
const MAX_REDIRECTS: usize = 5;

/// What an [`Error::Gone`] ends with.
pub(crate) const GONE: &str =
    "the render is gone, and rendering it again is a new job, billed again";

/// The message of an [`Error::Gone`]: job `id` finished, but `why` it can no longer be had.
pub(crate) fn finished_but(id: &str, why: &str) -> String {
    format!("job {id} finished, but {why}: {GONE}")
}

/// The longest answer read where the API's JSON is due: a page of 100 jobs is about 100 KB,
/// and an answer past this (a gateway streaming without end) is not held in memory.
const MAX_JSON: usize = 16 << 20;

/// Pages a listing of every job reads at most (100,000 jobs at the largest page): a server
/// saying there is more on every page would be listed until --timeout.
const LIST_PAGES: usize = 1000;

/// The body of a 2xx answer to `shown` (the method and redacted URL), decoded as JSON, with
/// the answer's headers: a body that is not JSON (a gateway's web page) is said as such.
async fn json_body<T: DeserializeOwned>(
    resp: Response,
    shown: &str,
    idle: Duration,
) -> Result<(T, HeaderMap)> {
    let headers = resp.headers().clone();
    let bytes = json_bytes(resp, shown, idle).await.map_err(Error::Remote)?;
    let value = serde_json::from_slice(&bytes)
        .map_err(|e| Error::Remote(not_json(shown, &headers, &bytes, &e)))?;
    Ok((value, headers))
}

/// The bytes of an answer to `shown` where the API's JSON is due, at most [`MAX_JSON`] of
/// them: `Err` says why it could not be read, or that it is longer.
async fn json_bytes(
    mut resp: Response,
    shown: &str,
    idle: Duration,
) -> std::result::Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = body_chunk(&mut resp, idle)
        .await
        .map_err(|why| format!("{shown}: {why}"))?
    {
        if body.len() + chunk.len() > MAX_JSON {
            return Err(format!(
                "{shown}: the answer runs past {} MiB, far longer than any of the API's: not \
                 read further (a gateway or proxy answering for the API?)",
                MAX_JSON >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The next piece of `resp`'s body, `None` at its end; `Err` says why it broke off, or that
/// nothing came for `idle` (`--idle-timeout`).
pub(crate) async fn body_chunk(
    resp: &mut Response,
    idle: Duration,
) -> std::result::Result<Option<bytes::Bytes>, String> {
    match tokio::time::timeout(idle, resp.chunk()).await {
        Ok(got) => got.map_err(|e| describe(&e)),
        Err(_) => Err(idle_words(idle)),
    }
}

/// No data for `idle`, in words.
pub(crate) fn idle_words(idle: Duration) -> String {
    format!("no data for {} s (--idle-timeout)", idle.as_secs_f64())
}

/// Why the answer `bytes` to `shown` (with `headers`) is not the API's JSON (`e`): a web page
/// (a gateway's error or maintenance page, often served with 200) is said as such, with its
/// first words.
fn not_json(shown: &str, headers: &HeaderMap, bytes: &[u8], e: &serde_json::Error) -> String {
    let ctype = content_type(headers);
    match crate::http::page_words(ctype, bytes) {
        Some(words) => format!(
            "{shown}: the server answered with a web page ({ctype}: \"{words}\"), not the API's \
             JSON: a gateway's error or maintenance page, or --base-url is not the API's"
        ),
        None => format!("{shown}: unexpected answer ({ctype}): {e}"),
    }
}

/// The Content-Type of an answer with `headers`.
fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no Content-Type")
}

/// The server's clock when it answered with `headers` (its `Date`), unix seconds.
fn answered_at(headers: &HeaderMap) -> Option<i64> {
    let date = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    let at = httpdate::parse_http_date(date).ok()?;
    Some(at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64)
}

/// How long to wait before asking again for a fal result answered 404.
const RESULT_AGAIN: Duration = Duration::from_millis(500);

/// Waits before retries adding up to this long in a run (or to half the cap, if less) are
/// said on stderr, not only logged.
const LONG_WAIT: Duration = Duration::from_secs(10);

/// A request body that can be built again for every attempt.
pub(crate) enum Body {
    /// No body.
    Empty,
    /// A JSON document.
    Json(serde_json::Value),
    /// `multipart/form-data`: text fields and one file part.
    Form {
        fields: Vec<(&'static str, String)>,
        file: (&'static str, String, Vec<u8>, &'static str),
    },
}

/// A reqwest client with `cfg`'s timeouts, also trusting `cfg.ca_cert` when `with_ca`, whose
/// names must resolve no nearer than `bound` ([`Guard`]).
fn http_client(
    cfg: &ApiConfig,
    with_ca: bool,
    bound: Reach,
    lookup: &Lookup,
) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("cutroom/", env!("CARGO_PKG_VERSION")))
        // No read timeout here: it would also cut the wait for an answer's headers, which is
        // `first_byte_timeout`'s; the body's reads are held to `idle_timeout` ([`body_chunk`]).
        .connect_timeout(cfg.connect_timeout)
        .dns_resolver(Arc::new(Guard::new(bound, lookup.clone())))
        .redirect(reqwest::redirect::Policy::none());
    for proxy in super::reach::client_proxies() {
        builder = builder.proxy(proxy);
    }
    if let Some(path) = cfg.ca_cert.as_ref().filter(|_| with_ca) {
        for cert in trusted(path)? {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| Error::Remote(format!("cannot start the HTTP client: {e}")))
}

/// Refuse to hand a proxy the key: a plain-http request (`--insecure-http`) goes to the proxy
/// whole, its key header with it (an https one crosses it in a `CONNECT` tunnel, and requests
/// to this machine never go through one), unless `cfg.key_through_proxy`.
fn check_proxy(cfg: &ApiConfig) -> Result<()> {
    let url = &cfg.base_url;
    let Some(via) = super::reach::proxy_for(url).filter(|_| url.scheme() == "http") else {
        return Ok(());
    };
    if cfg.key.is_none() || cfg.key_through_proxy {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{}: plain http through the proxy in {via} would hand it every request whole, the \
         key with it: use https:// (the proxy then only tunnels), set NO_PROXY={} to go \
         direct, or pass --key-through-proxy if that proxy may read the key",
        redact_url(url),
        url.host_str().unwrap_or_default()
    )))
}

/// A client for one OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct Client {
    /// For http URLs, and https ones when no extra CA is given, that may lead anywhere (the
    /// URLs the user gave, and where a server on this machine sends cutroom).
    http: reqwest::Client,
    /// The others, by [`slot`], made when the first URL needing one comes: for https URLs
    /// when an extra CA is given (at once for an https base URL: a plain-http run, a loopback
    /// emulator, never parses the PEM file, and `SSL_CERT_FILE` often names the whole system
    /// bundle, 1.2-1.7 ms CPU per run), and for URLs a server farther out named.
    more: Arc<[OnceLock<reqwest::Client>; 6]>,
    /// How names are looked up.
    lookup: Lookup,
    /// True when the environment names a proxy ([`super::reach::proxied`]).
    proxied: bool,
    cfg: ApiConfig,
    /// When it was made: log lines say how long after.
    born: std::time::Instant,
    /// The run's waits before retries, held to `cfg.max_retry_wait`.
    waits: Arc<Waits>,
    /// Set once the waits were said to add up (once a run: parallel requests wait alike).
    said_wait: Arc<AtomicBool>,
    /// Set once the waits were said to have reached their cap.
    said_cap: Arc<AtomicBool>,
    /// Set once a lookup of a job being waited for got no usable answer (once a run).
    said_down: Arc<AtomicBool>,
}

impl Client {
    /// A client for `cfg`; refuses a base URL that breaks the transport policy.
    pub fn new(cfg: ApiConfig) -> Result<Self> {
        Self::looking_up(cfg, Lookup::system())
    }

    /// [`Client::new`], names looked up by `lookup`.
    fn looking_up(cfg: ApiConfig, lookup: Lookup) -> Result<Self> {
        check_url(&cfg.base_url, cfg.insecure_http)?;
        check_proxy(&cfg)?;
        let more: [OnceLock<reqwest::Client>; 6] = Default::default();
        if cfg.ca_cert.is_some() && cfg.base_url.scheme() == "https" {
            let _ =
                more[slot(Reach::Local, true)].set(http_client(&cfg, true, Reach::Local, &lookup)?);
        }
        Ok(Self {
            waits: Arc::new(Waits::new(cfg.max_retry_wait)),
            http: http_client(&cfg, false, Reach::Local, &lookup)?,
            more: Arc::new(more),
            proxied: super::reach::proxied(),
            lookup,
            cfg,
            born: std::time::Instant::now(),
            said_wait: Arc::default(),
            said_cap: Arc::default(),
            said_down: Arc::default(),
        })
    }

    /// The HTTP client for `url`, which may lead no nearer than `bound`: the one trusting the
    /// extra CA for https, made on first use.
    fn client_for(&self, url: &Url, bound: Reach) -> Result<&reqwest::Client> {
        let with_ca = self.cfg.ca_cert.is_some() && url.scheme() == "https";
        if !with_ca && bound == Reach::Local {
            return Ok(&self.http);
        }
        let cell = &self.more[slot(bound, with_ca)];
        if let Some(c) = cell.get() {
            return Ok(c);
        }
        let made = http_client(&self.cfg, with_ca, bound, &self.lookup)?;
        Ok(cell.get_or_init(|| made))
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.cfg
    }

    /// `base_url` + `/segment/...`, each segment percent-encoded (an id cannot add a path).
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.cfg.base_url.clone();
        url.path_segments_mut()
            .expect("checked in ApiConfig::new")
            .pop_if_empty()
            .extend(segments);
        url
    }

    /// Refuse an `id` that cannot name a job (empty, `.` or `..`), before any work.
    pub fn check_id(&self, id: &str) -> Result<()> {
        self.job_url(id, &[]).map(drop)
    }

    /// The URL of job `id` (with `tail` segments) in the provider's dialect: `videos/{id}`,
    /// Replicate's `predictions/{id}`, or fal's `{app}/requests/{id}` (the id is that path). An
    /// empty id, `.` or `..` (in any segment) is refused: as a path segment it would name
    /// another resource.
    pub(crate) fn job_url(&self, id: &str, tail: &[&str]) -> Result<Url> {
        if !self.cfg.provider.addressable(id) {
            return Err(Error::Usage(format!("{id:?} is not a video id")));
        }
        let parts: Vec<&str> = match self.cfg.provider {
            Provider::Fal => id.split('/').collect(),
            _ => vec![id],
        };
        let mut segments = match self.cfg.provider {
            Provider::OpenAi | Provider::OpenRouter => vec!["videos"],
            Provider::Replicate => vec!["predictions"],
            Provider::Fal => vec![],
        };
        segments.extend(parts);
        segments.extend(tail);
        Ok(self.endpoint(&segments))
    }

    /// Refuse what `provider` has no endpoint for.
    fn only(&self, what: &str, providers: &[Provider]) -> Result<()> {
        match providers.contains(&self.cfg.provider) {
            true => Ok(()),
            false => Err(Error::Usage(format!(
                "{what} is not offered by {} services",
                self.cfg.provider.name()
            ))),
        }
    }

    /// Log `msg` to the configuration's log sink, with the milliseconds since the client was
    /// made (a timeline of the run's phases with `-v`).
    pub(crate) fn log(&self, msg: impl std::fmt::Display) {
        let ms = self.born.elapsed().as_secs_f64() * 1e3;
        self.cfg.log.note(&format!("[{ms:7.1} ms] {msg}"));
    }

    fn auth(&self, url: &Url) -> Option<(HeaderName, HeaderValue)> {
        let key = self.cfg.key.as_ref()?;
        if !same_origin(url, &self.cfg.base_url) {
            return None; // never hand the key to a CDN or any other host
        }
        let name = HeaderName::from_bytes(self.cfg.auth_header.as_bytes()).ok()?;
        let text = if name == reqwest::header::AUTHORIZATION {
            format!("{} {}", self.cfg.provider.auth_scheme(), key.expose())
        } else {
            key.expose().to_string()
        };
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some((name, value))
    }

    fn build(
        &self,
        method: &Method,
        url: &Url,
        bound: Reach,
        body: &Body,
        headers: &HeaderMap,
    ) -> Result<reqwest::RequestBuilder> {
        let mut rb = self
            .client_for(url, bound)?
            .request(method.clone(), url.clone())
            .headers(headers.clone());
        if let Some((name, value)) = self.auth(url) {
            rb = rb.header(name, value);
        }
        Ok(match body {
            Body::Empty => rb,
            Body::Json(v) => rb.json(v),
            Body::Form { fields, file } => {
                let mut form = reqwest::multipart::Form::new();
                for (k, v) in fields {
                    form = form.text(*k, v.clone());
                }
                let (field, name, data, mime) = file;
                let part = reqwest::multipart::Part::bytes(data.clone())
                    .file_name(name.clone())
                    .mime_str(mime)
                    .expect("static mime type");
                rb.multipart(form.part(*field, part))
            }
        })
    }

    /// One attempt, following redirects of a GET (each hop checked by [`check_hop`], and its
    /// name's addresses when resolved; the key only ever goes to the API's origin): to any
    /// host for a download, within the API's origin for the API's JSON ([`Kind`]). `from` is
    /// the server that named `url` (a job's video URL), if not the user. What fails after a
    /// redirect names the hop it failed at, redacted, after the URL asked for.
    async fn send_once(
        &self,
        (method, kind): (&Method, Kind),
        url: &Url,
        from: Option<&Url>,
        body: &Body,
        headers: &HeaderMap,
    ) -> Result<std::result::Result<Response, Failure>> {
        let asked = format!("{method} {}", redact_url(url));
        let mut from = from.cloned();
        let mut url = url.clone();
        let limit = self.cfg.first_byte_timeout;
        for hop in 0..=MAX_REDIRECTS {
            let at = match hop {
                0 => String::new(),
                _ => format!("redirected to {}: ", redact_url(&url)),
            };
            let bound = from.as_ref().map_or(Reach::Local, Reach::of_url);
            if let (true, Some(from), Some(url::Host::Domain(name))) =
                (self.proxied && bound < Reach::Local, &from, url.host())
            {
                // A proxy resolves the name, past the resolver's check: look it up here too.
                if let Some(r) = self.lookup.nearer(name, bound).await {
                    let why = too_near(Reach::of_ip(r.ip), &from.origin().ascii_serialization());
                    return Err(Error::Remote(format!("{asked}: {at}{r}: {why}")));
                }
            }
            let sent = self.build(method, &url, bound, body, headers)?.send();
            let mut resp = match tokio::time::timeout(limit, sent).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    if let (Some(r), Some(from)) = (refused(&e), &from) {
                        // A name leading nearer than its sender: never tried again.
                        let why =
                            too_near(Reach::of_ip(r.ip), &from.origin().ascii_serialization());
                        return Err(Error::Remote(format!("{asked}: {at}{r}: {why}")));
                    }
                    if let Some(why) = untrusted_certificate(&e) {
                        // Waiting cannot fix a certificate, and nothing was sent.
                        return Err(Error::Remote(format!(
                            "{asked}: {at}the server's certificate is not trusted ({why}); if a \
                             private CA signed it (a company proxy, a test server), give that \
                             CA with --ca-cert PEM or SSL_CERT_FILE"
                        )));
                    }
                    // A proxy that cannot be reached reads as the server that cannot be.
                    let via = super::reach::proxy_for(&url)
                        .filter(|_| e.is_connect())
                        .map(|p| {
                            format!(
                                " (through the proxy in {p}; NO_PROXY=HOST goes direct to HOST)"
                            )
                        });
                    let why = match (no_connection(&e), via) {
                        (Some(why), via) => self.cannot_connect(&url, &why, via),
                        (None, via) => format!("{}{}", describe(&e), via.unwrap_or_default()),
                    };
                    return Ok(Err(Failure {
                        why: format!("{at}{why}"),
                        unsent: e.is_connect(),
                    }));
                }
                Err(_) => {
                    return Ok(Err(Failure {
                        why: format!("{at}{}", self.no_answer(&url)),
                        unsent: false,
                    }))
                }
            };
            if *method != Method::GET || !resp.status().is_redirection() {
                if hop > 0 {
                    resp.extensions_mut().insert(Redirected);
                }
                return Ok(Ok(resp));
            }
            let next = resp
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| {
                    Error::Remote(format!("{asked}: {at}a redirect without a usable Location"))
                })?;
            check_hop(&url, &next, self.cfg.insecure_http)
                .map_err(|e| Error::Remote(format!("{asked}: redirected to {e}")))?;
            if kind == Kind::Api && !same_origin(&next, &self.cfg.base_url) {
                return Err(Error::Remote(format!(
                    "{asked}: {at}redirected to {}, off the API's origin ({}): not followed (the \
                     API's answers come only from there)",
                    redact_url(&next),
                    self.cfg.base_url.origin().ascii_serialization()
                )));
            }
            self.log(format_args!(
                "{} redirects to {}",
                redact_url(&url),
                redact_url(&next)
            ));
            from = Some(std::mem::replace(&mut url, next));
        }
        Err(Error::Remote(format!(
            "{asked}: more than {MAX_REDIRECTS} redirects, the last to {}",
            redact_url(&url)
        )))
    }

    /// Why no connection to `url` could be made (`why`), in words naming where: the base URL
    /// for the API's own origin, with what to check, else the origin (never a path or query,
    /// which may carry a token); `via`, the proxy it went through.
    fn cannot_connect(&self, url: &Url, why: &NoConnection, via: Option<String>) -> String {
        let api = same_origin(url, &self.cfg.base_url);
        let whom = match api {
            true => redact_url(&self.cfg.base_url),
            false => url.origin().ascii_serialization(),
        };
        let check = match (via, why) {
            (Some(via), _) => via,
            (None, _) if !api => String::new(),
            (None, NoConnection::Refused) => " (is the service running? check --base-url)".into(),
            (None, NoConnection::Unresolved) => " (check the host name in --base-url)".into(),
            (None, NoConnection::Tls(_)) if url.scheme() == "https" => {
                " (does the service speak https? check --base-url)".into()
            }
            (None, NoConnection::NoAnswer) => " (is the host up and reachable from here, or \
                does a firewall drop the connection? check --base-url)"
                .into(),
            (None, _) => " (is the host up and reachable from here? check --base-url)".into(),
        };
        let why = match why {
            // How long it waited: a blackholed address gives no other sign.
            NoConnection::NoAnswer => format!(
                "no answer within {} s (--connect-timeout)",
                self.cfg.connect_timeout.as_secs_f64()
            ),
            why => why.to_string(),
        };
        format!("cannot connect to {whom}: {why}{check}")
    }

    /// Why a request sent to `url` got no answer: the server took the connection but sent
    /// nothing within `--first-byte-timeout`; named as [`Client::cannot_connect`] names it.
    fn no_answer(&self, url: &Url) -> String {
        let secs = self.cfg.first_byte_timeout.as_secs_f64();
        match same_origin(url, &self.cfg.base_url) {
            true => format!(
                "{} took the connection but sent no answer within {secs} s \
                 (--first-byte-timeout) (is the service overloaded or stuck? check --base-url)",
                redact_url(&self.cfg.base_url)
            ),
            false => format!(
                "{} took the connection but sent no answer within {secs} s \
                 (--first-byte-timeout)",
                url.origin().ascii_serialization()
            ),
        }
    }

    /// One GET of `url` (redirects followed, never retried): the answer when it is a 200, else
    /// `None`, for a caller with a patient way to fall back on.
    pub(crate) async fn get_once(&self, url: &Url) -> Option<Response> {
        let sent = self
            .send_once(
                (&Method::GET, Kind::Download),
                url,
                None,
                &Body::Empty,
                &HeaderMap::new(),
            )
            .await;
        let status = match &sent {
            Ok(Ok(r)) => r.status().as_u16().to_string(),
            Ok(Err(f)) => f.why.clone(),
            Err(e) => e.to_string(),
        };
        self.log(format_args!("GET {} -> {status}", redact_url(url)));
        sent.ok()?.ok().filter(|r| r.status() == StatusCode::OK)
    }

    /// Send a download's request, retrying what waiting can fix (408, 409, 429, 5xx,
    /// connection errors) with backoff that honours the server's hints. Returns the final
    /// response, whatever its status; only transport failures past the last retry are errors.
    /// `from` is the server that named `url` (a job's video URL), if not the user: it may lead
    /// no nearer to the user than `from` is.
    pub(crate) async fn send_from(
        &self,
        method: Method,
        url: &Url,
        from: Option<&Url>,
        body: &Body,
        headers: &HeaderMap,
    ) -> Result<Response> {
        self.send_with(method, url, from, body, headers, Kind::Download)
            .await?
            .map_err(|f| Error::Remote(f.why))
    }

    /// [`Client::send_from`] for a `kind` of request: [`Kind::Create`] retries only what
    /// surely was not acted on (429, 503, a refused connection) and returns any other outcome
    /// at once. A request that got no answer after its last try is a [`Failure`].
    async fn send_with(
        &self,
        method: Method,
        url: &Url,
        from: Option<&Url>,
        body: &Body,
        headers: &HeaderMap,
        kind: Kind,
    ) -> Result<std::result::Result<Response, Failure>> {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let shown = redact_url(url);
        let mut attempt = 0;
        let started = std::time::Instant::now();
        // The outcome as the caller gets it: a failure names the request.
        let outcome = |result: std::result::Result<Response, Failure>| {
            Ok(result.map_err(|Failure { why, unsent }| Failure {
                why: format!("{method} {shown}: {why}"),
                unsent,
            }))
        };
        loop {
            let result = self
                .send_once((&method, kind), url, from, body, headers)
                .await?;
            let (hint, why, last) = match &result {
                Ok(resp) => {
                    let status = resp.status();
                    self.log(format_args!("{method} {shown} -> {}", status.as_u16()));
                    let again = match kind {
                        Kind::Download | Kind::Api => retryable(status),
                        Kind::Create => unprocessed(status),
                    };
                    let hint = server_hint(resp.headers());
                    // Told to come back later than any wait here (a 429 or 503 saying a day):
                    // retrying meanwhile would only use the retries up.
                    let last =
                        !again || attempt >= self.cfg.retries || hint.is_some_and(|h| h > MAX_HINT);
                    (hint, format!("HTTP {}", status.as_u16()), last)
                }
                Err(Failure { why, unsent }) => {
                    let last = attempt >= self.cfg.retries || (kind == Kind::Create && !unsent);
                    if attempt == 0 && !last {
                        // Without this the retries of an unreachable host pass in silence.
                        self.cfg.warn.warn(&format!(
                            "{method} {shown}: {why}; trying {} more {} with backoff \
                             (--retries 0 gives up at once)",
                            self.cfg.retries,
                            if self.cfg.retries == 1 {
                                "time"
                            } else {
                                "times"
                            }
                        ));
                    }
                    (None, why.clone(), last)
                }
            };
            if last {
                // How long it was tried, for a failure that every retry met.
                let result = result.map_err(|Failure { why, unsent }| Failure {
                    why: match attempt {
                        0 => why,
                        n => format!(
                            "{why}; tried {} times in {}",
                            n + 1,
                            span(started.elapsed())
                        ),
                    },
                    unsent,
                });
                return outcome(result);
            }
            attempt += 1;
            let wait = backoff.next_delay(hint);
            let cap = self.waits.cap();
            let Some(total) = self.waits.take(std::time::Instant::now(), wait) else {
                // Short waits add up: a rate-limited run is not held for ever, nor in silence.
                if !self.said_cap.swap(true, Ordering::Relaxed) {
                    self.cfg.warn.warn(&format!(
                        "{method} {shown}: {why}; not tried again, nor is any request of this \
                         run turned away from now on: the waits before retries reached {} \
                         (--max-retry-wait); a shot whose create was turned away is created \
                         by a rerun, once",
                        span(cap)
                    ));
                }
                return outcome(result);
            };
            drop(result);
            if total >= LONG_WAIT.min(cap / 2) && !self.said_wait.swap(true, Ordering::Relaxed) {
                // Else a rate-limited run sits silent for minutes, a second or two at a time.
                let asks = if hint.is_some() {
                    " as the server asks"
                } else {
                    ""
                };
                self.cfg.warn.warn(&format!(
                    "{method} {shown}: {why}; waiting {:.0} s{asks} before trying again; the \
                     waits before retries add up to {} in this run, at most {} \
                     (--max-retry-wait; said once, -v logs every retry)",
                    wait.as_secs_f64(),
                    span(total),
                    span(cap)
                ));
            }
            self.log(format_args!(
                "{method} {shown}: {why}; retry {attempt}/{} in {:.1} s",
                self.cfg.retries,
                wait.as_secs_f64()
            ));
            tokio::time::sleep(wait).await;
        }
    }

    /// Send and decode a JSON answer; a non-2xx answer becomes an error quoting the API.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &Url,
        body: &Body,
    ) -> Result<(T, HeaderMap)> {
        let shown = format!("{method} {}", redact_url(url));
        let resp = self
            .send_with(method, url, None, body, &HeaderMap::new(), Kind::Api)
            .await?
            .map_err(|f| Error::Remote(f.why))?;
        if !resp.status().is_success() {
            return Err(api_error(&shown, resp, Some(&self.cfg)).await);
        }
        json_body(resp, &shown, self.cfg.idle_timeout).await
    }

    /// `POST /videos`: start a render (multipart when there is an `input_reference`), with an
    /// `Idempotency-Key` header. Only what surely was not acted on is retried (429, 503, no
    /// connection): an answer that may mean a job exists (any other 5xx, 408, 409, a timeout,
    /// a connection lost after sending) comes back as [`Created::Uncertain`] for the caller to
    /// look up, never re-sent.
    pub async fn create(&self, req: &CreateVideo, idempotency_key: &str) -> Result<Created> {
        let provider = self.cfg.provider;
        let (model, _, _) = req.resolved();
        let path = provider.create_path(model);
        let url = self.endpoint(&path.iter().map(String::as_str).collect::<Vec<_>>());
        let body = match &req.input_reference {
            None => Body::Json(provider.create_json(req)),
            Some(path) => {
                self.only("an input_reference image", &[Provider::OpenAi])?;
                let mut fields = vec![("prompt", req.prompt.clone())];
                for (k, v) in [
                    ("model", &req.model),
                    ("seconds", &req.seconds),
                    ("size", &req.size),
                ] {
                    if let Some(v) = v {
                        fields.push((k, v.clone()));
                    }
                }
                let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "reference".into());
                Body::Form {
                    fields,
                    file: ("input_reference", name, data, image_mime(path)),
                }
            }
        };
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(idempotency_key) {
            headers.insert("idempotency-key", v);
        }
        let shown = format!("POST {}", redact_url(&url));
        let lost = |why: String| Created::Uncertain { why };
        let resp = match self
            .send_with(Method::POST, &url, None, &body, &headers, Kind::Create)
            .await?
        {
            Ok(r) => r,
            // Never connected: surely no job.
            Err(Failure { why, unsent: true }) => return Err(Error::Remote(why)),
            Err(Failure { why, .. }) => return Ok(lost(why)),
        };
        let status = resp.status();
        if retryable(status) && !unprocessed(status) {
            let why = api_error(&shown, resp, Some(&self.cfg)).await.to_string();
            return Ok(lost(why));
        }
        if !status.is_success() {
            return Err(api_error(&shown, resp, Some(&self.cfg)).await);
        }
        let answered = resp.headers().clone();
        let bytes = match json_bytes(resp, &shown, self.cfg.idle_timeout).await {
            Ok(b) => b,
            Err(why) => return Ok(lost(why)),
        };
        let value = match serde_json::from_slice(&bytes) {
            Ok(v) => v,
            Err(e) => return Ok(lost(not_json(&shown, &answered, &bytes, &e))),
        };
        // Refused in words, as a 4xx is: no job was made.
        if let Some(e) = error_instead_of_job(&shown, &value) {
            return Err(e);
        }
        // Accepted: a job was made, whether or not its answer can be used.
        Ok(match provider.video(value, Some(model)) {
            Ok(v) => Created::Job(Box::new(v)),
            Err(e) => Created::Unusable {
                why: format!("{shown}: {e}"),
            },
        })
    }

    /// `GET /videos/{id}`, with the server's poll hint (`openai-poll-after-ms` and friends).
    /// `None` when the job does not exist (404).
    pub async fn retrieve(&self, id: &str) -> Result<Option<(Video, Option<Duration>)>> {
        match self.look_up(id).await? {
            Got::Json(found) => Ok(Some(found)),
            Got::NotFound => Ok(None),
            Got::Unavailable(e, _) => Err(e),
        }
    }

    /// [`Client::retrieve`], telling apart an answer that waiting may fix.
    pub(crate) async fn look_up(&self, id: &str) -> Result<Got<(Video, Option<Duration>)>> {
        let provider = self.cfg.provider;
        let status_tail: &[&str] = match provider {
            Provider::Fal => &["status"],
            _ => &[],
        };
        let url = self.job_url(id, status_tail)?;
        let (value, hint) = match self.get_json(&url).await? {
            Got::Json(got) => got,
            Got::NotFound => return Ok(Got::NotFound),
            Got::Unavailable(e, hint) => return Ok(Got::Unavailable(e, hint)),
        };
        let mut value = unwrapped(value);
        if let Some(e) = error_instead_of_job(&format!("GET {}", redact_url(&url)), &value) {
            return Err(e);
        }
        if let Some(o) = value.as_object_mut() {
            // An answer about another job (a relay mixing its jobs up) would lend this one its
            // status and, where the content URL follows from the id, its render.
            if let Some(other) = o.get("id").and_then(|v| v.as_str()).filter(|o| *o != id) {
                return Err(Error::Remote(format!(
                    "GET {}: the answer is about job {other:?}, not {id:?}; refused (its status \
                     and file are not this job's)",
                    redact_url(&url)
                )));
            }
            o.entry("id").or_insert(id.into());
            // fal: a finished request's result (`video.url`) is a second resource.
            let done = o.get("status").and_then(|s| s.as_str()) == Some("COMPLETED");
            if provider == Provider::Fal && done {
                match self.fal_result(id).await? {
                    Ok(result) => o.extend(result),
                    Err(e) => return Ok(Got::Unavailable(e, None)),
                }
            }
        }
        let video = provider
            .video(value, None)
            .map_err(|e| e.context(format!("GET {}", redact_url(&url))))?;
        Ok(Got::Json((video, hint)))
    }

    /// The result of fal request `id`, which its status says is `COMPLETED`. A 404 there may be
    /// a passing glitch, so it is asked once more a moment later; a second 404 means fal no
    /// longer has the result, so the render is gone ([`Error::Gone`]).
    /// `Ok(Err(e))`: no usable answer, of a kind waiting may fix ([`Got::Unavailable`]).
    async fn fal_result(
        &self,
        id: &str,
    ) -> Result<Result<serde_json::Map<String, serde_json::Value>>> {
        let url = self.job_url(id, &[])?;
        for ask in 0..2 {
            if ask > 0 {
                tokio::time::sleep(RESULT_AGAIN).await;
            }
            match self.get_json(&url).await? {
                Got::Json((serde_json::Value::Object(r), _)) => return Ok(Ok(r)),
                Got::Json((other, _)) => {
                    return Err(Error::Remote(format!(
                        "GET {}: unexpected answer: {other}",
                        redact_url(&url)
                    )))
                }
                Got::NotFound => {}
                Got::Unavailable(e, _) => return Ok(Err(e)),
            }
        }
        Err(Error::Gone(format!(
            "fal request {id} finished (COMPLETED), but fal no longer has its result (GET {} \
             answered 404, asked twice): {GONE}",
            redact_url(&url)
        )))
    }

    /// `GET url` as JSON with the server's poll hint (retried as [`Client::send`] does).
    async fn get_json(&self, url: &Url) -> Result<Got<(serde_json::Value, Option<Duration>)>> {
        let none = HeaderMap::new();
        let resp = match self
            .send_with(Method::GET, url, None, &Body::Empty, &none, Kind::Api)
            .await?
        {
            Ok(resp) => resp,
            Err(Failure { why, .. }) => return Ok(Got::Unavailable(Error::Remote(why), None)),
        };
        let status = resp.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(Got::NotFound);
        }
        let shown = format!("GET {}", redact_url(url));
        let hint = server_hint(resp.headers());
        if !status.is_success() {
            let e = api_error(&shown, resp, Some(&self.cfg)).await;
            return match retryable(status) {
                true => Ok(Got::Unavailable(e, hint)),
                false => Err(e),
            };
        }
        // A body cut short, or a gateway's page served with 200.
        Ok(match json_body(resp, &shown, self.cfg.idle_timeout).await {
            Ok((value, _)) => Got::Json((value, hint)),
            Err(e) => Got::Unavailable(e, hint),
        })
    }

    /// Say that a lookup of job `id`, being waited for, got no usable answer (`e`): on stderr
    /// the first time in a run, in the log every time.
    pub(crate) fn unavailable(&self, id: &str, e: &Error, again: Duration) {
        let msg = format!(
            "{e}; job {id} is looked at again in {:.1} s, with backoff, until --timeout",
            again.as_secs_f64()
        );
        if !self.said_down.swap(true, Ordering::Relaxed) {
            self.cfg
                .warn
                .warn(&format!("{msg} (said once; -v logs every lookup)"));
        }
        self.log(msg);
    }

    /// `GET /videos/{id}`, a missing job being an error.
    pub async fn video(&self, id: &str) -> Result<Video> {
        match self.retrieve(id).await? {
            Some((v, _)) => Ok(v),
            None => Err(self.missing(id)),
        }
    }

    /// The error of job `id` not found; on OpenAI's own API host, why and what to do; at a
    /// base URL without its version, that.
    pub(crate) fn missing(&self, id: &str) -> Error {
        let what = format!("video {id:?} not found (deleted, expired or never created)");
        let hint = match closed_openai(&self.cfg.base_url) {
            true => Some(CLOSED.to_string()),
            false => self.cfg.unversioned(),
        };
        Error::Remote(match hint {
            Some(hint) => with_hint(&what, &hint),
            None => what,
        })
    }

    /// One page of the job list: OpenAI's `GET /videos` (`after` an id) or Replicate's
    /// `GET /predictions` (`after` the previous page's `next` URL).
    pub async fn list_page(
        &self,
        after: Option<&str>,
        limit: u32,
        order: &str,
    ) -> Result<VideoList> {
        self.only("listing jobs", &[Provider::OpenAi, Provider::Replicate])?;
        if self.cfg.provider == Provider::Replicate {
            let url = match after {
                Some(next) => {
                    let u = Url::parse(next)
                        .map_err(|e| Error::Remote(format!("next page {next:?}: {e}")))?;
                    if !same_origin(&u, &self.cfg.base_url) {
                        return Err(Error::Remote("next page on another host".into()));
                    }
                    u
                }
                None => self.endpoint(&["predictions"]),
            };
            let (page, headers): (serde_json::Value, _) =
                self.call(Method::GET, &url, &Body::Empty).await?;
            let next = page["next"].as_str().map(str::to_string);
            let mut data = Vec::new();
            for v in page["results"].as_array().into_iter().flatten() {
                data.push(self.cfg.provider.video(v.clone(), None)?);
            }
            return Ok(VideoList {
                object: None,
                first_id: None,
                has_more: next.is_some(),
                last_id: next,
                data,
                answered_at: answered_at(&headers),
            });
        }
        let mut url = self.endpoint(&["videos"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string())
                .append_pair("order", order);
            if let Some(a) = after {
                q.append_pair("after", a);
            }
        }
        let (page, headers) = self.call(Method::GET, &url, &Body::Empty).await?;
        Ok(VideoList {
            answered_at: answered_at(&headers),
            ..page
        })
    }

    /// Every video in `order` (`asc`: oldest first), following `after`/`has_more` across pages
    /// of `page_size`, at most 1000 pages. Replicate lists only newest first: its list is
    /// turned around for `asc`.
    pub async fn list_all(&self, order: &str, page_size: u32) -> Result<Vec<Video>> {
        let mut all = Vec::new();
        let mut cursors = Cursors::new(LIST_PAGES);
        let mut after: Option<String> = None;
        loop {
            let page = self.list_page(after.as_deref(), page_size, order).await?;
            all.extend(page.data.iter().cloned());
            after = cursors.next(&page)?;
            if after.is_none() {
                if self.cfg.provider == Provider::Replicate && order == "asc" {
                    all.reverse();
                }
                return Ok(all);
            }
        }
    }

    /// `DELETE /videos/{id}`.
    pub async fn delete(&self, id: &str) -> Result<Deleted> {
        self.only("deleting jobs", &[Provider::OpenAi])?;
        let url = self.job_url(id, &[])?;
        Ok(self.call(Method::DELETE, &url, &Body::Empty).await?.0)
    }

    /// `POST /videos/{id}/remix`: a new job from a completed one with a new prompt, checked as
    /// a create's is before anything is sent.
    pub async fn remix(&self, id: &str, prompt: &str) -> Result<Video> {
        self.only("remix", &[Provider::OpenAi])?;
        let url = self.job_url(id, &["remix"])?;
        super::limits::check_prompt(prompt)
            .map_err(|e| Error::Usage(format!("remix of {id}: {e}")))?;
        let body = Body::Json(serde_json::json!({ "prompt": prompt }));
        Ok(self.call(Method::POST, &url, &body).await?.0)
    }

    /// Where a finished job's `variant` is downloaded: OpenAI's `videos/{id}/content?variant=`,
    /// OpenRouter's `videos/{id}/content?index=0`, or the URL fal and Replicate put in the job
    /// (checked as a redirect from the API is).
    pub fn content_url(&self, video: &Video, variant: Variant) -> Result<Url> {
        let provider = self.cfg.provider;
        if provider != Provider::OpenAi && variant != Variant::Video {
            return Err(Error::Usage(format!(
                "{} services have no {}",
                provider.name(),
                variant.as_str()
            )));
        }
        if let Some(url) = self.id_content_url(&video.id, variant)? {
            return Ok(url);
        }
        self.named_url(video).unwrap_or_else(|| {
            let said = format!("job {} names no video URL", video.id);
            // A finished job that names no file any more: its output was removed (Replicate
            // removes an API prediction's output values and files after an hour).
            Err(match video.status.phase() == super::model::Phase::Done {
                true => Error::Gone(format!(
                    "{said}: the provider removed it ({}); {GONE}",
                    provider.keeps_files()
                )),
                false => Error::Remote(said),
            })
        })
    }

    /// The video URL job `video` names in its answer (fal's and Replicate's only link, a
    /// relay's `video_url` beside its content URL), checked as a redirect from the API is;
    /// `None` when it names none.
    pub(crate) fn named_url(&self, video: &Video) -> Option<Result<Url>> {
        let bad = |e: String| Error::Remote(format!("job {}: video URL {e}", video.id));
        let url = Url::parse(&output_url(video)?).map_err(|e| bad(e.to_string()));
        Some(url.and_then(|url| {
            check_hop(&self.cfg.base_url, &url, self.cfg.insecure_http)
                .map_err(|e| bad(e.to_string()))?;
            Ok(url)
        }))
    }

    /// The job id whose video content URL on this API (as a fetch of the id asks for it, or
    /// without its variant) `item` is, e.g. `BASE/videos/ID/content`: the same download.
    pub fn content_url_id(&self, item: &str) -> Option<String> {
        let url = Url::parse(item).ok()?;
        let base: Vec<&str> = self.cfg.base_url.path_segments()?.collect();
        let path: Vec<&str> = url.path_segments()?.collect();
        let id = match path.strip_prefix(base.as_slice().strip_suffix(&[""]).unwrap_or(&base))? {
            ["videos", id, "content"] => id.to_string(),
            _ => return None,
        };
        let mut want = self.id_content_url(&id, Variant::Video).ok()??;
        if url.query().is_none() {
            want.set_query(self.cfg.base_url.query()); // the video is the default variant
        }
        (want == url).then_some(id)
    }

    /// The content URL of `variant` of job `id` where the id alone gives it (OpenAI-shaped
    /// services, OpenRouter's video); `None` where only the finished job names it (fal,
    /// Replicate) or the provider has no such variant.
    pub(crate) fn id_content_url(&self, id: &str, variant: Variant) -> Result<Option<Url>> {
        let provider = self.cfg.provider;
        let query = match provider {
            Provider::OpenAi => ("variant", variant.as_str()),
            Provider::OpenRouter if variant == Variant::Video => ("index", "0"),
            _ => return Ok(None),
        };
        let mut url = self.job_url(id, &["content"])?;
        url.query_pairs_mut().append_pair(query.0, query.1);
        Ok(Some(url))
    }
}

/// The cursors a paged job listing has followed, and how many pages it may read. A server
/// naming a cursor again (its paging goes round in a loop, or ignores the cursor), or saying
/// there is more page after page, would be listed for ever: each is an error, as what was
/// listed is not the whole list.
pub(crate) struct Cursors {
    seen: std::collections::HashSet<String>,
    pages: usize,
    cap: usize,
}

impl Cursors {
    /// A listing of at most `cap` pages.
    pub(crate) fn new(cap: usize) -> Self {
        Cursors {
            seen: Default::default(),
            pages: 0,
            cap,
        }
    }

    /// The cursor of the page after `page`, or `None` at the end of the listing; an error when
    /// `page` names a cursor already followed, or is the `cap`th and says there is more.
    pub(crate) fn next(&mut self, page: &VideoList) -> Result<Option<String>> {
        self.pages += 1;
        let Some(next) = page.last_id.clone().filter(|_| page.has_more) else {
            return Ok(None);
        };
        if self.seen.contains(&next) {
            return Err(Error::Remote(format!(
                "the job listing named page cursor \"{}\" again after {} pages (the server's \
                 paging goes round, or ignores the cursor): the list is not complete",
                quote(&next),
                self.pages
            )));
        }
        if self.pages >= self.cap {
            return Err(Error::Remote(format!(
                "the job listing still had more after {} pages (the server says has_more on \
                 every page): the list is not complete",
                self.pages
            )));
        }
        self.seen.insert(next.clone());
        Ok(Some(next))
    }
}

/// The place of the client for URLs that may lead no nearer than `bound`, trusting the extra
/// CA or not, in [`Client`]'s `more`.
fn slot(bound: Reach, with_ca: bool) -> usize {
    bound as usize * 2 + usize::from(with_ca)
}

/// A request that got no answer.
struct Failure {
    /// What happened (no URL but a redirect's target, redacted: a URL may carry a token).
    why: String,
    /// True when the request surely never reached the server (no connection).
    unsent: bool,
}

/// What a GET of the API's JSON got.
pub(crate) enum Got<T> {
    /// The answer.
    Json(T),
    /// 404.
    NotFound,
    /// No usable answer, of a kind waiting may fix, past the retries: no answer, a 408, 409,
    /// 429 or 5xx, a body cut short, or a web page where the JSON is due (a gateway's error or
    /// maintenance page, even served with 200); with the server's hint of when to ask again.
    Unavailable(Error, Option<Duration>),
}

/// True when `e` is a 429: the service is there and asks for patience, so a lookup so
/// answered past its retries is waited out, never a reason to give a job up.
pub(crate) fn rate_limited(e: &Error) -> bool {
    matches!(e.without_context(), Error::Http { status: 429, .. })
}

/// Marks an answer that came after a redirect: see [`redirected`].
#[derive(Clone)]
struct Redirected;

/// Where an answer that came after a redirect came from (redacted), for messages about it.
pub(crate) fn redirected(resp: &Response) -> Option<String> {
    resp.extensions()
        .get::<Redirected>()
        .map(|_| redact_url(resp.url()))
}

/// What a request is: which failures [`Client::send_with`] retries, and where a redirect may
/// lead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A download: everything waiting can fix is retried, and a redirect may lead to any host
    /// (a storage host; the key stays home).
    Download,
    /// A request for the API's JSON (a job's status, a list): retried as a download, but a
    /// redirect only within the API's origin: an answer from elsewhere is not the API's.
    Api,
    /// A create: only what never reached the server is retried (else it would bill twice).
    Create,
}

/// The outcome of [`Client::create`].
#[derive(Debug)]
pub enum Created {
    /// The job the server created.
    Job(Box<Video>),
    /// The server may or may not have created a job (a 5xx but 503, 408, 409, or no answer):
    /// look before creating again.
    Uncertain {
        /// What happened.
        why: String,
    },
    /// The server accepted the create (a JSON answer, 2xx, not an error), so a job was made,
    /// but the answer names none that can be used (no id, or one holding control characters):
    /// never to be sent again unasked.
    Unusable {
        /// What the answer lacks.
        why: String,
    },
}

/// Statuses worth another try after a wait.
fn retryable(s: StatusCode) -> bool {
    matches!(s.as_u16(), 408 | 409 | 429) || s.is_server_error()
}

/// Statuses that say the request was turned away before any work (RFC 9110: 429 too many
/// requests, 503 unable to handle it now): a create answered so made no job.
fn unprocessed(s: StatusCode) -> bool {
    matches!(s.as_u16(), 429 | 503)
}

/// The error for a non-2xx answer: status plus the envelope's type, code and message; a 401
/// names the key variable of the provider of `api` when the caller is its client, a 404 or 405
/// the version its base URL lacks.
/// The words of an error answer's JSON `v`, quoted: `{"error": {type, code, message, param}}`
/// (OpenAI), `{"error": "..."}` (OpenRouter), `{"detail": ...}` (fal, Replicate), or `v` itself.
fn envelope_words(v: &serde_json::Value) -> String {
    let e = v.get("error").filter(|e| !e.is_null()).unwrap_or(v);
    let mut tag: Vec<String> = ["type", "code"]
        .iter()
        .filter_map(|k| e.get(*k).and_then(|c| c.as_str()))
        .filter(|c| !c.is_empty())
        .map(quote)
        .collect();
    tag.dedup();
    let msg = VideoError::from_value(e).message;
    let param = e.get("param").and_then(|p| p.as_str());
    let param = param
        .map(|p| format!(" (param {})", quote(p)))
        .unwrap_or_default();
    match tag.is_empty() {
        true => format!("{msg}{param}"),
        false => format!("{}: {msg}{param}", tag.join("/")),
    }
}

/// The error a 2xx answer `v` carries in the place of a job: an object with an `error` and
/// neither an id nor a status, as relays answer a refusal (a quota, a key) with 200. Taken
/// for a job, it was a create's lost answer (sent again until --timeout) or a job that never
/// says its status (waited for until --timeout).
fn error_instead_of_job(shown: &str, v: &serde_json::Value) -> Option<Error> {
    let o = v.as_object()?;
    let job = ["id", "request_id", "status"]
        .iter()
        .any(|k| o.contains_key(*k));
    if job || o.get("error").is_none_or(serde_json::Value::is_null) {
        return None;
    }
    Some(Error::Remote(format!(
        "{shown}: the service answered with an error in the place of the job: {}",
        envelope_words(v)
    )))
}

pub(crate) async fn api_error(what: &str, mut resp: Response, api: Option<&ApiConfig>) -> Error {
    let provider = api.map(|a| a.provider);
    let status = resp.status();
    let url = redact_url(resp.url());
    // A wait longer than any between tries ends them ([`Client::send_with`]): said, with when.
    let later = server_hint(resp.headers())
        .filter(|h| retryable(status) && *h > MAX_HINT)
        .map(|h| {
            format!(
                "; the server asks to wait {} before trying again, longer than cutroom waits \
                 between tries ({}): try again then",
                span(h),
                span(MAX_HINT)
            )
        });
    let via = redirected(&resp)
        .map(|to| format!("redirected to {to}: "))
        .unwrap_or_default();
    let closed = closed_openai(resp.url());
    let path = resp.url().path().to_string();
    let ctype = content_type(resp.headers()).to_string();
    // Its first 64 KiB: enough for any message, and a huge error page is not held.
    let mut body = Vec::new();
    let idle = api.map_or(super::config::DEFAULT_IDLE_TIMEOUT, |a| a.idle_timeout);
    while let Ok(Some(chunk)) = body_chunk(&mut resp, idle).await {
        body.extend_from_slice(&chunk);
        if body.len() >= 64 << 10 {
            break;
        }
    }
    let dialect = match provider {
        Some(Provider::OpenAi) if !closed => other_dialect(status.as_u16(), &path, &body),
        _ => None,
    };
    // `{"error": {type, code, message, param}}` (OpenAI), `{"error": "..."}` (OpenRouter),
    // `{"detail": ...}` (fal, Replicate), or anything else, shown as text.
    let detail = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) if v.is_object() => envelope_words(&v),
        _ => match crate::http::page_words(&ctype, &body) {
            // A gateway's error or maintenance page: its words, not its markup.
            Some(words) => format!("(a web page, {ctype}: \"{words}\")"),
            None => quote(String::from_utf8_lossy(&body[..body.len().min(200)]).trim()),
        },
    };
    // An answer without a body still has its status's name ("Method Not Allowed").
    let detail = match detail.is_empty() {
        true => status
            .canonical_reason()
            .unwrap_or("(no message)")
            .to_string(),
        false => detail,
    };
    let detail = match mentions_moderation(&detail) {
        true => format!("refused by moderation: {detail}"),
        false => detail,
    };
    let hint = match (status.as_u16(), provider) {
        // Unset, no key went: the variable is what to fix, not a key.
        (401, Some(p)) if api.is_some_and(|a| a.key.is_none()) => Some(format!(
            "no key was sent: {} is not set (or is empty); set it to this service's key (the \
             variable --provider {} reads)",
            p.key_var(),
            p.name()
        )),
        (401, Some(p)) => Some(format!(
            "the key in {} was refused (not shown here): check that it is this service's key \
             (--provider {}), and --auth-header",
            p.key_var(),
            p.name()
        )),
        (401, None) => Some("check the key (OPENAI_API_KEY, OPENROUTER_API_KEY, FAL_KEY or REPLICATE_API_TOKEN, by --provider) and --auth-header".into()),
        (404 | 410, _) if closed => Some(CLOSED.into()),
        (404 | 405, _) => match (api.and_then(ApiConfig::unversioned), dialect) {
            (Some(version), Some(dialect)) => Some(with_hint(&version, &dialect)),
            (version, dialect) => version.or(dialect),
        },
        _ => dialect,
    };
    let message = format!(
        "{what}: {via}HTTP {} {detail}{}",
        status.as_u16(),
        later.unwrap_or_default()
    );
    Error::Http {
        status: status.as_u16(),
        url,
        message: match hint {
            Some(hint) => with_hint(&message, &hint),
            None => message,
        },
    }
}

/// The hint for an API answer refusing a request sent in the OpenAI shape (the provider assumed
/// for a host cutroom does not know): OpenRouter's layout (`/api/v1`) or error envelope (`error`
/// a string) names `--provider openrouter`; any other 404 or 405 lists the dialects. Only a
/// hint: the provider is never switched behind the user's back.
fn other_dialect(status: u16, path: &str, body: &[u8]) -> Option<String> {
    let json = serde_json::from_slice::<serde_json::Value>(body).ok();
    let openrouter = path.starts_with("/api/v1/")
        || json
            .as_ref()
            .is_some_and(|v| v.get("error").is_some_and(|e| e.is_string()));
    // OpenAI's own envelope about the video (`video_not_found`, param `video_id`): the service
    // speaks this dialect, the video is what is missing.
    let about_the_video = json.as_ref().and_then(|v| v.get("error")).is_some_and(|e| {
        e.get("code")
            .and_then(|c| c.as_str())
            .is_some_and(|c| c.starts_with("video_"))
            || e.get("param").and_then(|p| p.as_str()) == Some("video_id")
    });
    if about_the_video {
        return None;
    }
    match status {
        400 | 404 | 405 if openrouter => Some(
            "the request went in the OpenAI shape, and this looks like OpenRouter's API: \
             pass --provider openrouter"
                .into(),
        ),
        404 | 405 => Some(
            "the request went in the OpenAI shape (the default for this host); if the \
             service speaks another dialect, name it with --provider openrouter, fal or replicate"
                .into(),
        ),
        _ => None,
    }
}

/// Why OpenAI's own API host answers "not found" to every video request, and what to do.
const CLOSED: &str = "OpenAI closed its video API on 2026-09-24: point cutroom at a service \
    that still renders with --base-url URL (or OPENAI_BASE_URL) and --provider NAME \
    (docs/render.md)";

/// True when `url` is on OpenAI's own API host, the default base URL's, whose `/v1/videos`
/// closed on 2026-09-24.
fn closed_openai(url: &Url) -> bool {
    Url::parse(super::config::DEFAULT_BASE_URL)
        .is_ok_and(|default| default.host_str() == url.host_str())
}

/// MIME type of an input reference image, from its extension.
fn image_mime(path: &std::path::Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "image/jpeg",
    }
}

#[cfg(test)]
mod tests {
    use super::super::poll::PollOptions;
    use super::*;
    use reqwest::ResponseBuilderExt;
    use std::sync::Mutex;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An HTTP server on 127.0.0.1 answering each request with `answer(path)`, a whole HTTP
    /// answer: its port and the paths asked for.
    async fn serve(
        answer: impl Fn(u16, &str) -> String + Send + Sync + 'static,
    ) -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (asked.clone(), Arc::new(answer));
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let (log, answer) = (log.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).await? == 1 {
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let path = head.split(' ').nth(1).unwrap_or_default().to_string();
                    log.lock().unwrap().push(path.clone());
                    conn.write_all(answer(port, &path).as_bytes()).await?;
                    conn.shutdown().await
                });
            }
        });
        (port, asked)
    }

    /// A server that names a host (a redirect, a job's video URL) may send cutroom no nearer to
    /// the user than it is itself, judged on the addresses the name resolves to: names of a
    /// remote API that resolve to loopback or a private network, and the cloud metadata
    /// address, are refused at once (never retried, nothing sent there); the same names are
    /// followed from a server on this machine, and the user may give them.
    #[tokio::test]
    async fn a_name_that_resolves_nearer_than_its_sender_is_refused() {
        let (port, asked) = serve(|port, path| {
            let to = match path {
                "/v1/to-inner" => format!("http://inner.test:{port}/clip"),
                "/v1/to-mapped" => format!("http://mapped.test:{port}/clip"),
                "/v1/to-lan" => format!("http://lan.test:{port}/clip"),
                "/v1/to-metadata" => "http://169.254.169.254/latest/meta-data/".into(),
                "/clip" => return "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".into(),
                _ => return "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".into(),
            };
            format!("HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n")
        })
        .await;
        let hosts = Lookup::hosts(&[
            ("api.test", "127.0.0.1"),
            ("inner.test", "127.0.0.1"),
            ("mapped.test", "::ffff:127.0.0.1"),
            ("lan.test", "10.0.0.1"),
        ]);
        let client = |base: &str| {
            let mut cfg = ApiConfig::new(base).unwrap();
            cfg.insecure_http = true;
            Client::looking_up(cfg, hosts.clone()).unwrap()
        };
        let remote = client(&format!("http://api.test:{port}/v1"));
        let get = |c: &Client, url: String| {
            let c = c.clone();
            async move {
                let url = Url::parse(&url).unwrap();
                c.send_from(Method::GET, &url, None, &Body::Empty, &HeaderMap::new())
                    .await
            }
        };
        let api = format!("http://api.test:{port}");
        let here = "a link to this machine from";
        let lan = "a link into a private network from";
        let t0 = std::time::Instant::now();
        for (path, said) in [
            (
                "to-inner",
                format!("inner.test resolves to 127.0.0.1, on this machine: {here} {api}"),
            ),
            (
                "to-mapped",
                format!("mapped.test resolves to ::ffff:127.0.0.1, on this machine: {here} {api}"),
            ),
            (
                "to-lan",
                format!("lan.test resolves to 10.0.0.1, in a private network: {lan} {api}"),
            ),
            (
                "to-metadata",
                format!("http://169.254.169.254/latest/meta-data/: {lan} {api}"),
            ),
        ] {
            let e = get(&remote, format!("{api}/v1/{path}"))
                .await
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with(&format!("GET {api}/v1/{path}: redirected to ")),
                "{e}"
            );
            assert!(e.contains(&said), "{e}");
        }
        // A job's video URL named by the remote API: the same rule.
        let url = Url::parse(&format!("http://inner.test:{port}/clip")).unwrap();
        let base = &remote.config().base_url;
        let e = remote
            .send_from(
                Method::GET,
                &url,
                Some(base),
                &Body::Empty,
                &HeaderMap::new(),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!(
                "inner.test resolves to 127.0.0.1, on this machine: {here} {api}"
            )),
            "{e}"
        );
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "refusals were retried"
        );
        assert!(
            !asked.lock().unwrap().contains(&"/clip".to_string()),
            "{asked:?}"
        );

        // The user may name them, and a server on this machine may send cutroom to them.
        let ok = get(&remote, format!("http://inner.test:{port}/clip"))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        let local = client(&format!("http://127.0.0.1:{port}/v1"));
        let ok = get(&local, format!("http://127.0.0.1:{port}/v1/to-inner"))
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(ok.url().host_str(), Some("inner.test"));
    }

    /// A listing whose server names a page cursor again (a -> b -> a, or a -> a, as one
    /// ignoring the cursor does) is an error naming it, and one whose server says has_more on
    /// every page with a new cursor ends at 1000 pages, said: it asked for pages for ever
    /// (until --timeout, holding every page), and printed a list that was not whole.
    #[tokio::test]
    async fn a_listing_whose_cursors_go_round_or_never_end_is_an_error() {
        for (cycle, pages) in [(["a", "b"], 3), (["a", "a"], 2), (["", ""], LIST_PAGES)] {
            let n = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let (port, asked) = serve(move |_, path| {
                let next = match path.split("after=").nth(1) {
                    _ if cycle[0].is_empty() => {
                        format!("p{}", n.fetch_add(1, std::sync::atomic::Ordering::SeqCst))
                    }
                    Some(c) if c.starts_with(cycle[0]) => cycle[1].to_string(),
                    _ => cycle[0].to_string(),
                };
                let body = format!(
                    r#"{{"data": [{{"id": "v_{next}"}}], "last_id": "{next}", "has_more": true}}"#
                );
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
            })
            .await;
            let cfg = ApiConfig::new(&format!("http://127.0.0.1:{port}/v1")).unwrap();
            let e = tokio::time::timeout(
                Duration::from_secs(30),
                Client::new(cfg).unwrap().list_all("desc", 10),
            )
            .await
            .expect("the listing ends")
            .unwrap_err()
            .to_string();
            assert_eq!(asked.lock().unwrap().len(), pages, "{cycle:?}");
            let said = match cycle[0] {
                "" => format!("the job listing still had more after {pages} pages"),
                _ => format!("named page cursor \"a\" again after {pages} pages"),
            };
            assert!(
                e.contains(&said) && e.contains("the list is not complete"),
                "{e}"
            );
        }
    }

    /// A 429 or 503 whose Retry-After asks for longer than any wait between tries (a day, in
    /// seconds or as a date) ends the request at once, saying when to come back, where it
    /// was tried again every 5 min, 8 times (40 min), told "waiting 340 s as the server
    /// asks"; a job being waited for is given up at once when the wait would pass --timeout.
    /// A hint that is no hint (garbage) keeps the backoff.
    #[tokio::test]
    async fn a_wait_longer_than_any_retry_ends_the_request_saying_when() {
        let tomorrow = httpdate::fmt_http_date(
            std::time::SystemTime::now() + Duration::from_secs(2 * 86400 + 60),
        );
        let (port, asked) = serve(move |_, path| {
            let (status, after) = match path {
                p if p.contains("date") => ("503 Service Unavailable", tomorrow.as_str()),
                p if p.contains("garbage") => ("429 Too Many Requests", "soon"),
                _ => ("429 Too Many Requests", "86400"),
            };
            let body = r#"{"error": {"message": "slow down", "type": "rate_limit"}}"#;
            format!(
                "HTTP/1.1 {status}\r\nretry-after: {after}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n\r\n{body}",
                body.len()
            )
        })
        .await;
        let cfg = ApiConfig::new(&format!("http://127.0.0.1:{port}/v1")).unwrap();
        let client = Client::new(cfg).unwrap();
        let t0 = std::time::Instant::now();
        let e = client.video("day").await.unwrap_err().to_string();
        assert!(
            e.contains(
                "HTTP 429 rate_limit: slow down; the server asks to wait 24 h before \
                 trying again, longer than cutroom waits between tries (5 min): try again then"
            ),
            "{e}"
        );
        let e = client.video("date").await.unwrap_err().to_string();
        assert!(
            e.contains("HTTP 503 rate_limit: slow down; the server asks to wait 48 h"),
            "{e}"
        );
        let opts = PollOptions::default();
        let e = client
            .wait("day", &opts, &crate::progress::Silent, true)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "gave up waiting for video day: the next look would come past \
                 --timeout (3600 s); the job is kept: rerun the same command to look at it \
                 again (no new job is created): GET "
            ) && e.contains("the server asks to wait 24 h"),
            "{e}"
        );
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert_eq!(asked.lock().unwrap().len(), 3, "each asked once");
        let mut cfg = ApiConfig::new(&format!("http://127.0.0.1:{port}/v1")).unwrap();
        cfg.retries = 1;
        let e = Client::new(cfg)
            .unwrap()
            .video("garbage")
            .await
            .unwrap_err();
        assert!(!e.to_string().contains("asks to wait"), "{e}");
        assert_eq!(
            asked.lock().unwrap().len(),
            5,
            "tried again after a backoff"
        );
    }

    #[tokio::test]
    async fn an_http_error_keeps_its_status_and_url() {
        let url = Url::parse("https://user:pw@api.test/v1/videos/v1?sig=secret").unwrap();
        let answer = axum::http::Response::builder()
            .status(429)
            .url(url)
            .body(r#"{"error": {"message": "slow down", "code": "rate_limit"}}"#)
            .unwrap();
        let e = api_error("GET /v1/videos/v1", Response::from(answer), None).await;
        let Error::Http {
            status,
            url,
            message,
        } = &e
        else {
            panic!("not an HTTP error: {e:?}");
        };
        assert_eq!(*status, 429);
        assert_eq!(url, "https://api.test/v1/videos/v1?...");
        assert!(
            message.contains("HTTP 429") && message.contains("slow down"),
            "{message}"
        );
    }

    #[tokio::test]
    async fn an_http_error_without_a_body_says_its_status_name() {
        let answer = axum::http::Response::builder()
            .status(405)
            .url(Url::parse("http://127.0.0.1:9/api/v1/videos").unwrap())
            .body("")
            .unwrap();
        let e = api_error("GET /api/v1/videos", Response::from(answer), None).await;
        assert!(
            e.to_string()
                .ends_with("GET /api/v1/videos: HTTP 405 Method Not Allowed"),
            "{e}"
        );
    }
}
