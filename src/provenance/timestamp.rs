//! RFC 3161 time-stamps for signatures: a signer that asks a time-stamp authority (TSA) the
//! user named to countersign each claim signature, so readers learn when it was signed, and
//! the check of that TSA before any work.
//!
//! c2pa builds the request and checks the reply (status, content type, nonce, the token's own
//! signature); this build of c2pa has no HTTP client, so the POST goes through reqwest here.

use crate::error::{Error, Result};
use crate::http::backoff::{server_hint, Backoff};
use crate::http::{describe, redact_url, redact_url_text, trusted, untrusted_certificate};
use c2pa::crypto::time_stamp::{default_rfc3161_message, default_rfc3161_request, TimeStampError};
use c2pa::http::{http, HttpResolverError, SyncHttpResolver};
use c2pa::{BoxedSigner, Context, Signer, SigningAlg};
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// Longest wait for a TSA to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for its whole reply (public TSAs answer in well under a second).
const TIMEOUT: Duration = Duration::from_secs(30);
/// Tries more of a request that failed in a way a moment's wait can fix: the connection
/// refused or dropped, or HTTP 408, 429, 502, 503 or 504. A time-stamp request may be sent
/// twice (each is a fresh stamp of the same digest).
const RETRIES: u32 = 2;
/// The first wait before trying again (then doubled, jittered); a server's `Retry-After` is
/// honoured up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// What the check before the work has stamped (any message does: only the reply is checked).
const CHECK_MESSAGE: &[u8] = b"cutroom: checking the time-stamp authority before the work";

/// A time-stamp authority (`--sign-tsa`): its http(s) URL, and the CA certificates an https
/// one is trusted through besides the built-in roots.
#[derive(Debug, Clone)]
pub struct TimeStampAuthority {
    url: Url,
    roots: Vec<reqwest::Certificate>,
}

impl TimeStampAuthority {
    /// The TSA at `url`: http or https (a TSA's reply is signed, so plain http is usual). An
    /// https one also trusts the CA certificates of the PEM file `ca` (`--ca-cert`,
    /// `SSL_CERT_FILE`), read now; an http one never reads it (it often names the whole
    /// system bundle). User info in the URL is sent as basic auth.
    pub fn parse(url: &str, ca: Option<&Path>) -> Result<Self> {
        let parsed = Url::parse(url).map_err(|e| {
            Error::Usage(format!(
                "time-stamp authority {:?} is not a URL ({e}); give e.g. \
                 http://timestamp.digicert.com",
                redact_url_text(url)
            ))
        })?;
        let roots = match (parsed.scheme(), ca) {
            ("http", _) | ("https", None) => Vec::new(),
            ("https", Some(ca)) => trusted(ca)?,
            (s, _) => {
                return Err(Error::Usage(format!(
                    "time-stamp authority {}: unsupported scheme {s:?} (use http:// or https://)",
                    redact_url(&parsed)
                )))
            }
        };
        Ok(Self { url: parsed, roots })
    }

    /// The URL as shown in messages (user info and query redacted).
    pub fn shown(&self) -> String {
        redact_url(&self.url)
    }

    /// The URL itself.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Before any work: one time-stamp, asked and checked as each signature's is, so a TSA
    /// that is mistyped, unreachable, untrusted or no TSA fails the command at once rather
    /// than after the work; the error names it.
    pub fn check(&self) -> Result<()> {
        self.stamp(CHECK_MESSAGE)
            .map(drop)
            .map_err(|e| self.error(&problem(&e)))
    }

    /// This TSA's time-stamp token for `message` (a signature), checked by c2pa: status,
    /// content type, nonce, the hash it stamps, the token's signature.
    fn stamp(&self, message: &[u8]) -> std::result::Result<Vec<u8>, TimeStampError> {
        let context = Context::new().with_resolver(Post::new(&self.roots));
        let body = default_rfc3161_message(message)?;
        default_rfc3161_request(self.url(), None, &body, message, &context)
    }

    /// The error of this TSA failing `why`.
    fn error(&self, why: &str) -> Error {
        Error::Remote(format!("time-stamp authority {}: {why}", self.shown()))
    }
}

/// A signer whose signatures are countersigned by a TSA, remembering why the TSA failed.
pub(super) struct TimeStamped {
    inner: BoxedSigner,
    tsa: TimeStampAuthority,
    failure: Mutex<Option<String>>,
}

impl TimeStamped {
    pub(super) fn new(inner: BoxedSigner, tsa: TimeStampAuthority) -> Self {
        Self {
            inner,
            tsa,
            failure: Mutex::new(None),
        }
    }

    /// The error to report when signing failed: the TSA's, when it was the TSA that failed.
    pub(super) fn failure(&self) -> Option<Error> {
        let why = self.failure.lock().ok()?.clone()?;
        Some(self.tsa.error(&why))
    }
}

impl Signer for TimeStamped {
    fn sign(&self, data: &[u8]) -> c2pa::Result<Vec<u8>> {
        self.inner.sign(data)
    }

    fn alg(&self) -> SigningAlg {
        self.inner.alg()
    }

    fn certs(&self) -> c2pa::Result<Vec<Vec<u8>>> {
        self.inner.certs()
    }

    /// The inner signer's reserve already holds 10 kB for a time-stamp token.
    fn reserve_size(&self) -> usize {
        self.inner.reserve_size()
    }

    fn time_authority_url(&self) -> Option<String> {
        Some(self.tsa.url().to_string())
    }

    fn send_timestamp_request(&self, message: &[u8]) -> Option<c2pa::Result<Vec<u8>>> {
        let reply = self.tsa.stamp(message);
        if let Err(e) = &reply {
            if let Ok(mut f) = self.failure.lock() {
                *f = Some(problem(e));
            }
        }
        Some(reply.map_err(Into::into))
    }
}

/// What went wrong with a TSA, for a person.
fn problem(e: &TimeStampError) -> String {
    match e {
        TimeStampError::HttpErrorResponse(status, kind) => format!(
            "answered HTTP {status}{}, not an RFC 3161 time-stamp reply",
            kind.as_deref()
                .map(|k| format!(" with {k}"))
                .unwrap_or_default()
        ),
        TimeStampError::HttpResolverError(HttpResolverError::Other(e)) => e.to_string(),
        TimeStampError::DecodeError(why) => {
            format!("its reply is not an RFC 3161 time-stamp response ({why})")
        }
        TimeStampError::NonceMismatch => "its reply answers another request (nonce)".into(),
        e => format!("its time-stamp is unusable: {e}"),
    }
}

/// c2pa's HTTP requests (the TSA's POST) sent with reqwest, on a thread of their own with a
/// runtime of their own: signing is synchronous and may run inside the caller's runtime.
struct Post {
    client: std::result::Result<reqwest::Client, String>,
}

impl Post {
    /// Posting with the built-in roots and `roots` trusted.
    fn new(roots: &[reqwest::Certificate]) -> Self {
        let builder = reqwest::Client::builder()
            .user_agent(concat!("cutroom/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none());
        let builder = roots
            .iter()
            .fold(builder, |b, c| b.add_root_certificate(c.clone()));
        Self {
            client: builder
                .build()
                .map_err(|e| format!("cannot start the HTTP client: {e}")),
        }
    }

    /// Send `request`, trying [`RETRIES`] more times after a short wait when the TSA fails
    /// briefly; the last failure is the one reported.
    async fn send(
        client: reqwest::Client,
        request: http::Request<Vec<u8>>,
    ) -> std::result::Result<http::Response<Vec<u8>>, String> {
        let (parts, body) = request.into_parts();
        let mut backoff = Backoff::new(FIRST_WAIT, LONGEST_WAIT);
        let mut attempt = 0;
        let response = loop {
            // Through a request builder, which sends the URL's user info as basic auth.
            let sent = client
                .request(parts.method.clone(), parts.uri.to_string())
                .headers(parts.headers.clone())
                .body(body.clone())
                .send()
                .await;
            let again = attempt < RETRIES;
            let hint = match sent {
                Ok(r) if again && matches!(r.status().as_u16(), 408 | 429 | 502 | 503 | 504) => {
                    server_hint(r.headers())
                }
                Ok(r) => break r,
                // A refused certificate stays refused; a whole reply timed out took long enough.
                Err(e) if again && untrusted_certificate(&e).is_none() && !only_slow(&e) => None,
                Err(e) => return Err(failed(&e)),
            };
            attempt += 1;
            let wait = backoff.next_delay(hint.map(|h| h.min(LONGEST_WAIT)));
            tokio::time::sleep(wait).await;
        };
        let mut reply = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            reply = reply.header(name, value);
        }
        let body = response.bytes().await.map_err(|e| describe(&e))?;
        reply.body(body.to_vec()).map_err(|e| e.to_string())
    }
}

/// True when `e` is the whole reply taking longer than [`TIMEOUT`] (not a connection that
/// could not open in time).
fn only_slow(e: &reqwest::Error) -> bool {
    e.is_timeout() && !e.is_connect()
}

/// Why a request to the TSA failed, saying how to trust a private CA when that is why.
fn failed(e: &reqwest::Error) -> String {
    match untrusted_certificate(e) {
        Some(why) => format!(
            "its certificate is not trusted ({why}); if a private CA signed it, give that CA \
             with SSL_CERT_FILE=PEM (assemble, batch: also --ca-cert PEM)"
        ),
        None => describe(e),
    }
}

impl SyncHttpResolver for Post {
    fn http_resolve(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> std::result::Result<http::Response<Box<dyn Read>>, HttpResolverError> {
        let client = self
            .client
            .clone()
            .map_err(|e| HttpResolverError::Other(e.into()))?;
        let answered = std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?
                    .block_on(Self::send(client, request))
            })
            .join()
            .unwrap_or_else(|_| Err("the HTTP request's thread panicked".into()))
        });
        let (parts, body) = answered
            .map_err(|e| HttpResolverError::Other(e.into()))?
            .into_parts();
        Ok(http::Response::from_parts(
            parts,
            Box::new(std::io::Cursor::new(body)) as Box<dyn Read>,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tsa_is_an_http_url_shown_without_its_secrets() {
        let tsa = TimeStampAuthority::parse("https://user:pw@tsa.example/ts?key=k", None).unwrap();
        assert_eq!(tsa.shown(), "https://tsa.example/ts?...");
        assert_eq!(tsa.url(), "https://user:pw@tsa.example/ts?key=k");
        assert!(TimeStampAuthority::parse("http://timestamp.digicert.com", None).is_ok());
        for bad in ["ftp://tsa.example/", "timestamp.digicert.com"] {
            let e = TimeStampAuthority::parse(bad, None).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{e}");
            assert!(e.to_string().contains("time-stamp authority"), "{e}");
        }
        // One that does not parse is shown without its user info and query too.
        let e = TimeStampAuthority::parse("http://user:s3cretpw@tsa.example:99999/?key=k", None)
            .unwrap_err();
        assert!(
            e.to_string().contains("\"http://tsa.example:99999/?...\""),
            "{e}"
        );
        assert!(
            !e.to_string().contains("s3cretpw") && !e.to_string().contains("key=k"),
            "{e}"
        );
    }
}
