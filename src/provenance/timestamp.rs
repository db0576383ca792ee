//! RFC 3161 time-stamps for signatures: a signer that asks a time-stamp authority (TSA) the
//! user named to countersign each claim signature, so readers learn when it was signed.
//!
//! c2pa builds the request and checks the reply (status, content type, nonce, the token's own
//! signature); this build of c2pa has no HTTP client, so the POST goes through reqwest here.

use crate::error::{Error, Result};
use crate::fetch::{describe, redact_url};
use c2pa::crypto::time_stamp::{default_rfc3161_message, default_rfc3161_request, TimeStampError};
use c2pa::http::{http, HttpResolverError, SyncHttpResolver};
use c2pa::{BoxedSigner, Context, Signer, SigningAlg};
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// Longest wait for a TSA to accept the connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for its whole reply (public TSAs answer in well under a second).
const TIMEOUT: Duration = Duration::from_secs(30);

/// A time-stamp authority's URL (`--sign-tsa`), checked to be http(s).
#[derive(Debug, Clone, PartialEq)]
pub struct TimeStampAuthority(Url);

impl TimeStampAuthority {
    /// The TSA at `url`: http or https (a TSA's reply is signed, so plain http is usual).
    pub fn parse(url: &str) -> Result<Self> {
        let parsed = Url::parse(url).map_err(|e| {
            Error::Usage(format!(
                "time-stamp authority {url:?} is not a URL ({e}); give e.g. \
                 http://timestamp.digicert.com"
            ))
        })?;
        match parsed.scheme() {
            "http" | "https" => Ok(Self(parsed)),
            s => Err(Error::Usage(format!(
                "time-stamp authority {}: unsupported scheme {s:?} (use http:// or https://)",
                redact_url(&parsed)
            ))),
        }
    }

    /// The URL as shown in messages (user info and query redacted).
    pub fn shown(&self) -> String {
        redact_url(&self.0)
    }

    /// The URL itself.
    pub fn url(&self) -> &str {
        self.0.as_str()
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
        Some(Error::Remote(format!(
            "time-stamp authority {}: {why}",
            self.tsa.shown()
        )))
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
        let context = Context::new().with_resolver(Post::new());
        let reply = default_rfc3161_message(message).and_then(|body| {
            default_rfc3161_request(self.tsa.url(), None, &body, message, &context)
        });
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
    fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .user_agent(concat!("cutroom/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| format!("cannot start the HTTP client: {e}")),
        }
    }

    async fn send(
        client: reqwest::Client,
        request: http::Request<Vec<u8>>,
    ) -> std::result::Result<http::Response<Vec<u8>>, String> {
        let request = reqwest::Request::try_from(request).map_err(|e| describe(&e))?;
        let response = client.execute(request).await.map_err(|e| describe(&e))?;
        let mut reply = http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            reply = reply.header(name, value);
        }
        let body = response.bytes().await.map_err(|e| describe(&e))?;
        reply.body(body.to_vec()).map_err(|e| e.to_string())
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
        let tsa = TimeStampAuthority::parse("https://user:pw@tsa.example/ts?key=k").unwrap();
        assert_eq!(tsa.shown(), "https://tsa.example/ts?...");
        assert_eq!(tsa.url(), "https://user:pw@tsa.example/ts?key=k");
        assert!(TimeStampAuthority::parse("http://timestamp.digicert.com").is_ok());
        for bad in ["ftp://tsa.example/", "timestamp.digicert.com"] {
            let e = TimeStampAuthority::parse(bad).unwrap_err();
            assert!(matches!(e, Error::Usage(_)), "{e}");
            assert!(e.to_string().contains("time-stamp authority"), "{e}");
        }
    }
}
