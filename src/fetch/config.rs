//! Client configuration: where the API is, how to authenticate, and what the transport allows.

use super::provider::Provider;
use super::reach::Reach;
use crate::error::{Error, Result};
use crate::http::redact_url;
use reqwest::Url;
use std::time::Duration;

/// The longest silence while an answer's body arrives, by default (`--idle-timeout`).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The API root of the `openai` provider when neither `--base-url` nor `OPENAI_BASE_URL` is set.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// The default cap on one downloaded file (4 GiB).
pub const DEFAULT_MAX_DOWNLOAD_BYTES: u64 = 4 << 30;
/// The default download speed floor, bytes a second (16 KiB/s: a 50 MB render takes 53 min,
/// inside the default `--timeout` of 60 min; slower, it could not finish in time).
pub const DEFAULT_MIN_SPEED: u64 = 16 << 10;
/// The default span the speed floor is measured over.
pub const DEFAULT_MIN_SPEED_TIME: Duration = Duration::from_secs(30);

/// The longest a run waits before retries in all, on the clock (a rate limit's short waits
/// add up): past it, a request the server turns away is not tried again.
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(20 * 60);

/// An API key. `Debug` prints `ApiKey(<redacted>)` and there is no `Display`, so the key cannot
/// reach a log line, an error message or a panic by accident.
#[derive(Clone)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wrap a key, which a server's words then never carry into a message
    /// ([`crate::http::quote`]).
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into();
        crate::http::keep_secret(&key);
        Self(key)
    }

    /// The key in the environment variable `var`, when set and not empty, without the
    /// spaces, line ends and byte-order mark a file it was read from may add around it. A key
    /// is one word of visible ASCII: any other character in it (a line break of a file of two
    /// lines, typographic quotes) is refused, where it was sent as it was (or, a line break,
    /// not at all) and the server's 401 left the user guessing.
    pub fn from_env(var: &str) -> Result<Option<Self>> {
        let Some(raw) = std::env::var_os(var) else {
            return Ok(None);
        };
        let text = raw.to_string_lossy();
        let key = text.trim().trim_start_matches('\u{feff}').trim();
        if key.is_empty() {
            return Ok(None);
        }
        if let Some((at, c)) = key.chars().enumerate().find(|(_, c)| !c.is_ascii_graphic()) {
            let what = match c {
                '\n' | '\r' => "a line break".to_string(),
                ' ' | '\t' => "a space".to_string(),
                '\u{fffd}' => "bytes that are not UTF-8".to_string(),
                c if c.is_control() => "a control character".to_string(),
                c => format!("the character {c:?} (U+{:04X})", u32::from(c)),
            };
            return Err(Error::Usage(format!(
                "{var} holds {what} at character {} of {}: an API key is one word of visible \
                 ASCII; check the file or secret it was read from",
                at + 1,
                key.chars().count()
            )));
        }
        Ok(Some(Self::new(key)))
    }

    /// The secret itself, for the one place that puts it in a request header.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Compare with a presented key in time independent of where they differ.
    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// Everything the client needs to talk to one OpenAI-compatible endpoint.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The API root, e.g. `https://api.openai.com/v1`.
    pub base_url: Url,
    /// The dialect it speaks.
    pub provider: Provider,
    /// The key, sent only to the API's own origin.
    pub key: Option<ApiKey>,
    /// The header carrying the key: `authorization` sends `Bearer KEY`, any other name (e.g.
    /// Azure's `api-key`) sends the bare key.
    pub auth_header: String,
    /// Allow plain `http://` to hosts other than loopback.
    pub insecure_http: bool,
    /// Send plain-http requests carrying the key through the proxy the environment names
    /// (which reads them whole); without it, such a client is refused.
    pub key_through_proxy: bool,
    /// How often one request is retried on 429, 5xx and connection errors.
    pub retries: u32,
    /// The longest the waits before retries add up to in a run, on the clock.
    pub max_retry_wait: Duration,
    /// Longest wait for a connection to open.
    pub connect_timeout: Duration,
    /// Longest wait from sending a request to the answer's headers.
    pub first_byte_timeout: Duration,
    /// Longest silence while an answer's body arrives.
    pub idle_timeout: Duration,
    /// A download slower than this many bytes a second over `min_speed_time` counts as
    /// stalled, and is resumed like a dropped connection (0: no floor).
    pub min_speed: u64,
    /// The span `min_speed` is measured over.
    pub min_speed_time: Duration,
    /// Refuse downloads larger than this many bytes.
    pub max_download_bytes: u64,
    /// Where requests, retries and resumes are logged (never headers or keys); silent by
    /// default (`--verbose` gives the command line's sink).
    pub log: crate::progress::Shared,
    /// Where a service that can not be reached is reported while it is tried again (the
    /// command line's sink, shown even with `--quiet`); silent by default.
    pub warn: crate::progress::Shared,
    /// PEM certificates trusted besides the built-in roots (a company's or a test CA).
    pub ca_cert: Option<std::path::PathBuf>,
}

impl ApiConfig {
    /// What to say of a "not found" when the base URL's path names no API version (as
    /// `http://127.0.0.1:8080` for `.../v1`) where its provider serves one (`/v1`,
    /// OpenRouter's `/api/v1`): the base URL with it added.
    pub(crate) fn unversioned(&self) -> Option<String> {
        let versioned = |s: &str| {
            s.len() > 1 && s.starts_with('v') && s[1..].bytes().all(|b| b.is_ascii_digit())
        };
        let path = self.base_url.path().trim_end_matches('/');
        if path.split('/').any(versioned) {
            return None;
        }
        let root = Url::parse(self.provider.default_base_url()).ok()?;
        let want = root.path().trim_end_matches('/');
        // What the base lacks of the provider's own path (`/v1` of `/api/v1` after `/api`).
        let add = want
            .strip_prefix(path)
            .filter(|a| a.starts_with('/'))
            .unwrap_or(want);
        if add.is_empty() {
            return None; // fal: no version in its paths
        }
        let mut fixed = self.base_url.clone();
        fixed.set_path(&format!("{path}{add}"));
        Some(format!(
            "the base URL's path has no {add}, under which {} services answer: try \
             --base-url {}",
            self.provider.name(),
            redact_url(&fixed)
        ))
    }

    /// A configuration for `base_url` with the defaults: no key, bearer auth, https (or
    /// loopback http) only, 8 retries waiting [`DEFAULT_MAX_RETRY_WAIT`] in all, timeouts of 10 s to connect, 30 s to the first byte and
    /// 30 s of silence, downloads at least [`DEFAULT_MIN_SPEED`] bytes a second over
    /// [`DEFAULT_MIN_SPEED_TIME`], 4 GiB download cap.
    pub fn new(base_url: &str) -> Result<Self> {
        let mut base_url = Url::parse(base_url.trim()).map_err(|e| {
            let shown = crate::http::redact_url_text(base_url.trim());
            Error::Usage(format!("base URL {shown:?}: {e}"))
        })?;
        if base_url.cannot_be_a_base() {
            return Err(Error::Usage(format!(
                "base URL {base_url} cannot be a base"
            )));
        }
        if !base_url.username().is_empty() || base_url.password().is_some() {
            return Err(Error::Usage(
                "base URL must not carry credentials; use OPENAI_API_KEY".into(),
            ));
        }
        let path = base_url.path().trim_end_matches('/').to_string();
        base_url.set_path(&path);
        // A query may carry a key (a gateway's `?key=`): a server's words echoing it are quoted
        // without it, as they are without the API key. Azure's `api-version` is no secret.
        for pair in base_url.query().unwrap_or_default().split('&') {
            match pair.split_once('=') {
                Some((name, raw)) if name != "api-version" => {
                    crate::http::keep_secret(raw);
                    for (_, value) in url::form_urlencoded::parse(pair.as_bytes()) {
                        crate::http::keep_secret(&value);
                    }
                }
                _ => {}
            }
        }
        Ok(Self {
            provider: Provider::for_url(&base_url),
            base_url,
            key: None,
            auth_header: "authorization".into(),
            insecure_http: false,
            key_through_proxy: false,
            retries: 8,
            max_retry_wait: DEFAULT_MAX_RETRY_WAIT,
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(30),
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            min_speed: DEFAULT_MIN_SPEED,
            min_speed_time: DEFAULT_MIN_SPEED_TIME,
            max_download_bytes: DEFAULT_MAX_DOWNLOAD_BYTES,
            log: Default::default(),
            warn: Default::default(),
            ca_cert: None,
        })
    }
}

/// Refuse URLs cutroom must not fetch: schemes other than http(s), and plain `http://` to
/// anything but this machine unless `insecure_http` (a key or a render on the wire in clear
/// text). For URLs the user gave (the base URL, a URL to fetch); a URL a server named is
/// checked with `check_hop`.
pub fn check_url(url: &Url, insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if insecure_http || is_local(url) => Ok(()),
        "http" => Err(Error::Usage(format!(
            "{}: plain http:// is only allowed to loopback (127.0.0.1, ::1, localhost); \
             use https:// or pass --insecure-http",
            redact_url(url)
        ))),
        s => Err(Error::Usage(format!(
            "{}: unsupported scheme {s:?} (use https://)",
            redact_url(url)
        ))),
    }
}

/// Refuse `to`, a URL that a server at `from` sent cutroom to (a redirect's `Location`, a
/// job's download link), by [`check_url`]'s rule, and also when its address is nearer to the
/// user than `from`'s ([`Reach`]): a remote service may not make cutroom reach the user's
/// network or machine (a local emulator redirecting to itself is fine). A name is judged here
/// by its text; its addresses are checked when it is resolved ([`super::reach::Guard`]).
pub(crate) fn check_hop(from: &Url, to: &Url, insecure_http: bool) -> Result<()> {
    let (near, bound) = (Reach::of_url(to), Reach::of_url(from));
    if near > bound {
        return Err(Error::Usage(format!(
            "{}: {}",
            redact_url(to),
            too_near(near, &from.origin().ascii_serialization())
        )));
    }
    check_url(to, insecure_http)
}

/// Why a link `near` the user from `from`, which is farther out, is refused.
pub(crate) fn too_near(near: Reach, from: &str) -> String {
    match near {
        Reach::Local => format!(
            "a link to this machine from {from}, which is not on it; refused (only a service \
             on loopback may send cutroom to loopback)"
        ),
        _ => format!(
            "a link into a private network from {from}, which is not in one; refused (a \
             remote service may not make cutroom reach the user's network)"
        ),
    }
}

/// True when `url`'s host is this machine: `localhost` (and `*.localhost`), `127.0.0.0/8`,
/// `::1`, the unspecified `0.0.0.0` and `::` (a connection to them reaches this machine), and
/// those as IPv4-mapped IPv6.
fn is_local(url: &Url) -> bool {
    Reach::of_url(url) == Reach::Local
}

/// True when `a` and `b` share scheme, host and port (the key goes only to the API's origin).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_without_its_version_is_told_which() {
        let hint = |url: &str, provider: Provider| {
            let mut c = ApiConfig::new(url).unwrap();
            c.provider = provider;
            c.unversioned()
        };
        let said = |url, p| hint(url, p).unwrap_or_default();
        assert!(said("http://127.0.0.1:8080", Provider::OpenAi)
            .ends_with("try --base-url http://127.0.0.1:8080/v1"));
        assert!(said(
            "https://x.openai.azure.com/openai/?api-version=preview",
            Provider::OpenAi
        )
        .ends_with("try --base-url https://x.openai.azure.com/openai/v1?..."));
        assert!(said("https://gw.example/api", Provider::OpenRouter)
            .ends_with("try --base-url https://gw.example/api/v1"));
        assert!(said("https://gw.example", Provider::OpenRouter)
            .ends_with("try --base-url https://gw.example/api/v1"));
        for (url, p) in [
            ("http://127.0.0.1:8080/v1", Provider::OpenAi),
            ("https://relay.example/openai/v2/", Provider::OpenAi),
            ("https://openrouter.ai/api/v1", Provider::OpenRouter),
            ("https://queue.fal.run", Provider::Fal),
        ] {
            assert_eq!(hint(url, p), None, "{url}");
        }
    }

    #[test]
    fn key_is_redacted_in_debug() {
        let mut cfg = ApiConfig::new("http://127.0.0.1:9/v1").unwrap();
        cfg.key = Some(ApiKey::new("sk-secret-123"));
        let shown = format!("{cfg:?} {:?} {:#?}", cfg.key, cfg);
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("<redacted>"));
        assert!(ApiKey::new("abc").matches("abc"));
        assert!(!ApiKey::new("abc").matches("abd"));
        assert!(!ApiKey::new("abc").matches("abcd"));
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let ok = [
            "https://api.example.com/v1",
            "http://127.0.0.1:8080",
            "http://localhost/x",
            "http://[::1]:1/",
        ];
        for u in ok {
            check_url(&Url::parse(u).unwrap(), false).unwrap();
        }
        let bad = Url::parse("http://api.example.com/v1").unwrap();
        assert!(check_url(&bad, false)
            .unwrap_err()
            .to_string()
            .contains("--insecure-http"));
        check_url(&bad, true).unwrap();
        assert!(check_url(&Url::parse("file:///etc/passwd").unwrap(), true).is_err());
    }

    #[test]
    fn only_a_service_on_this_machine_may_send_cutroom_to_it() {
        let u = |s: &str| Url::parse(s).unwrap();
        let remote = u("https://api.example.com/v1");
        let local = [
            "http://127.0.0.1:8080/x",
            "https://127.0.0.1/x",
            "http://127.1.2.3/x",
            "http://2130706433/x",
            "http://localhost/x",
            "http://LOCALHOST./x",
            "http://cam.localhost/x",
            "http://[::1]:1/",
            "http://[::ffff:127.0.0.1]/",
            "http://0.0.0.0:9/",
            "http://[::]:9/",
        ];
        for to in local {
            for insecure in [false, true] {
                let e = check_hop(&remote, &u(to), insecure)
                    .unwrap_err()
                    .to_string();
                assert!(
                    e.contains("a link to this machine from https://api.example.com"),
                    "{to}: {e}"
                );
            }
            check_hop(&u("http://127.0.0.1:9/v1"), &u(to), false).unwrap();
            check_hop(&u("http://localhost:9/v1"), &u(to), false).unwrap();
        }
        // A private network: from a server in one (by its address), not from farther out.
        let lan = "a link into a private network from https://api.example.com, which is not in one";
        for to in [
            "https://10.1.2.3/x",
            "https://169.254.169.254/",
            "https://[fe80::1]/",
        ] {
            let e = check_hop(&remote, &u(to), true).unwrap_err().to_string();
            assert!(e.contains(lan), "{to}: {e}");
            check_hop(&u("https://192.168.0.9/v1"), &u(to), false).unwrap();
        }
        assert!(check_hop(&u("https://10.0.0.1/v1"), &u("http://127.0.0.1/"), true).is_err());
        // Elsewhere, the rule of the URLs the user gives.
        check_hop(&remote, &u("https://cdn.example.net/a.mp4?sig=x"), false).unwrap();
        check_hop(
            &u("http://127.0.0.1:9/v1"),
            &u("https://cdn.example.net/a"),
            false,
        )
        .unwrap();
        assert!(check_hop(&remote, &u("http://cdn.example.net/a"), false).is_err());
        check_hop(&remote, &u("http://cdn.example.net/a"), true).unwrap();
        assert!(check_hop(&remote, &u("ftp://cdn.example.net/a"), true).is_err());
        let e = check_hop(&remote, &u("http://127.0.0.1:9/p?sig=secret"), false).unwrap_err();
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn urls_in_messages_hide_tokens() {
        let u = Url::parse("https://u:p@cdn.example.com/a.mp4?sig=TOKEN").unwrap();
        assert_eq!(redact_url(&u), "https://cdn.example.com/a.mp4?...");
        assert!(ApiConfig::new("https://u:p@x.example/v1").is_err());
        assert_eq!(
            ApiConfig::new("https://x.example/v1/")
                .unwrap()
                .base_url
                .path(),
            "/v1"
        );
    }
}
