//! HTTP pieces shared by the video API's client (`fetch`) and the time-stamp authority's
//! (`provenance`): trusted roots from a PEM file, transport errors in words, URLs and servers'
//! words fit for messages, waiting between attempts.

pub mod backoff;

use crate::error::{Error, Result};
use reqwest::Url;

/// The certificates of the PEM file at `path` (`--ca-cert`, `SSL_CERT_FILE`).
pub fn trusted(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let read = || {
        let pem = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::bad_input(path, format!("not a PEM certificate file: {e}")))?;
        if certs.is_empty() {
            return Err(Error::bad_input(path, "holds no PEM certificate"));
        }
        Ok(certs)
    };
    // The file may come from the environment: say which setting named it.
    read().map_err(|e| e.context("the CA certificates to trust (--ca-cert or SSL_CERT_FILE)"))
}

/// A transport error in words, without the URL (it may carry a token): `cannot connect:
/// connection refused`, `timed out`, `connection broke off: ...`.
pub fn describe(e: &reqwest::Error) -> String {
    if let Some(why) = no_connection(e) {
        return format!("cannot connect: {why}");
    }
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        // A body's stream failing reads as a decode error (a body shorter than its length).
        "connection broke off"
    } else {
        "request failed"
    };
    match innermost(e) {
        Some(why) => format!("{what}: {why}"),
        None => what.to_string(),
    }
}

/// Why no connection to the server could be made, in a user's words, when that is why `e`
/// failed: the connection refused, the name not resolving, no answer, the TLS handshake
/// failing. The library's wording (`client error (Connect): tcp connect error`) stays out.
pub fn no_connection(e: &reqwest::Error) -> Option<NoConnection> {
    use std::io::ErrorKind as K;
    if !e.is_connect() {
        return None;
    }
    if e.is_timeout() {
        return Some(NoConnection::NoAnswer);
    }
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        // hyper's connector says a failed lookup in these words, whatever the resolver's are.
        if s.to_string().starts_with("dns error") {
            return Some(NoConnection::Unresolved);
        }
        let mut inner: &(dyn std::error::Error + 'static) = s;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(t) = inner.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(NoConnection::Tls(t.to_string()));
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(match io.kind() {
                K::ConnectionRefused => NoConnection::Refused,
                K::TimedOut => NoConnection::NoAnswer,
                K::HostUnreachable | K::NetworkUnreachable => NoConnection::NoRoute,
                K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof => {
                    NoConnection::Closed
                }
                _ => NoConnection::Other(crate::error::os_words(io)),
            });
        }
        src = s.source();
    }
    Some(NoConnection::Other(innermost(e).unwrap_or_default()))
}

/// Why a connection could not be made ([`no_connection`]); shown in words.
#[derive(Debug, Clone, PartialEq)]
pub enum NoConnection {
    /// Nothing listens at the port (or a firewall rejects it).
    Refused,
    /// The host name does not resolve.
    Unresolved,
    /// No answer within the connect timeout.
    NoAnswer,
    /// No route to the host or its network.
    NoRoute,
    /// The server closed the connection as it opened.
    Closed,
    /// The TLS handshake failed (the server speaks plain HTTP, an old TLS, ...): its reason.
    Tls(String),
    /// Another reason, in the OS's or library's words.
    Other(String),
}

impl std::fmt::Display for NoConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused => f.write_str("connection refused"),
            Self::Unresolved => f.write_str("the host name does not resolve"),
            Self::NoAnswer => f.write_str("no answer (timed out)"),
            Self::NoRoute => f.write_str("no route to the host"),
            Self::Closed => f.write_str("the server closed the connection"),
            Self::Tls(why) => write!(f, "the TLS handshake failed ({why})"),
            Self::Other(why) => f.write_str(why),
        }
    }
}

/// The innermost cause of `e` in its own words (an OS error's without its number).
fn innermost(e: &reqwest::Error) -> Option<String> {
    let mut last: Option<&(dyn std::error::Error + 'static)> = None;
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        last = Some(s);
        src = s.source();
    }
    let last = last?;
    Some(match last.downcast_ref::<std::io::Error>() {
        Some(io) => crate::error::os_words(io),
        None => last.to_string(),
    })
}

/// The TLS library's reason when `e` is a server certificate refused as untrusted or invalid.
pub fn untrusted_certificate(e: &reqwest::Error) -> Option<String> {
    use tokio_rustls::rustls::Error as Tls;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        // The TLS error sits inside io::Errors, whose `source` skips what they wrap.
        let mut inner: &(dyn std::error::Error + 'static) = s;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(t @ (Tls::InvalidCertificate(_) | Tls::NoCertificatesPresented)) =
            inner.downcast_ref::<Tls>()
        {
            return Some(t.to_string());
        }
        src = s.source();
    }
    None
}

/// A URL fit for messages: no user info, and the query (which may hold a signed token)
/// replaced by `?...`.
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    let had_query = u.query().is_some();
    u.set_query(None);
    u.set_fragment(None);
    if had_query {
        format!("{u}?...")
    } else {
        u.to_string()
    }
}

/// [`redact_url`] of text that does not parse as a URL (a port out of range, say): all between
/// `://` and its last `@` (user info: a password) dropped, and its query (a signed token) and
/// fragment replaced by `?...`.
pub fn redact_url_text(raw: &str) -> String {
    let raw = match raw.split_once("://") {
        Some((scheme, rest)) => {
            format!(
                "{scheme}://{}",
                rest.rsplit_once('@').map_or(rest, |(_, r)| r)
            )
        }
        None => raw.to_string(),
    };
    match raw.find(['?', '#']) {
        Some(i) => format!("{}?...", &raw[..i]),
        None => raw,
    }
}

/// The secrets of this process (API keys) that a server's words must not carry into a message.
static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The longest quote of a server's words in a message, in characters.
const QUOTE_CHARS: usize = 300;

/// Never let `secret` through [`quote`] (shorter than 8 characters, it would blot out common
/// words, and is no real key).
pub fn keep_secret(secret: &str) {
    let mut all = SECRETS.lock().expect("not poisoned");
    if secret.len() >= 8 && !all.iter().any(|s| s == secret) {
        all.push(secret.to_string());
    }
}

/// The first words of `bytes` when it is a web page (by `ctype` or its first character).
pub fn page_words(ctype: &str, bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    if !ctype.contains("html") && !text.trim_start().starts_with('<') {
        return None;
    }
    // The page's words, without its markup (a tag parts words).
    let mut words = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                words.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => words.push(c),
            _ => {}
        }
    }
    let words: Vec<&str> = words.split_whitespace().take(12).collect();
    Some(quote(&words.join(" ")))
}

/// A server's words (an error message, a failed job's reason) fit for a message: any secret
/// of this process it echoes (a key a relay quotes back, a prompt holding one) replaced by
/// `<redacted>`, [`printable`], and at most 300 characters, saying how many more there were.
pub fn quote(text: &str) -> String {
    let mut text = text.to_string();
    for secret in SECRETS.lock().expect("not poisoned").iter() {
        text = text.replace(secret.as_str(), "<redacted>");
    }
    let text = printable(&text);
    match text.char_indices().nth(QUOTE_CHARS) {
        Some((at, _)) => {
            let more = text[at..].chars().count();
            format!("{}... ({more} more characters)", text[..at].trim_end())
        }
        None => text,
    }
}

/// True for a character a server's text must not bring to a terminal as it is: a control
/// character (ESC begins the sequences that clear the screen or set the clipboard, and a line
/// break or carriage return forges lines) or a bidirectional override, which reorders the rest
/// of the line.
pub fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` fit for a terminal: each [`unprintable`] character written as its escape (`\u{1b}`,
/// `\n`), the rest as it is.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match unprintable(c) {
            true => out.extend(c.escape_debug()),
            false => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_short_and_keep_secrets() {
        keep_secret("sk-quote-secret-1");
        keep_secret("short");
        let q = quote("Incorrect API key provided: sk-quote-secret-1. A short note.");
        assert_eq!(q, "Incorrect API key provided: <redacted>. A short note.");
        let q = quote(&"é".repeat(1000));
        assert!(q.ends_with("... (700 more characters)"), "{q}");
        assert_eq!(q.chars().count(), 300 + "... (700 more characters)".len());
    }

    /// Why no connection could be made is said in words (not hyper's `client error
    /// (Connect): tcp connect error`): a port nobody listens on, a name that does not
    /// resolve, a plain-HTTP server asked for TLS.
    #[test]
    fn a_connection_that_cannot_be_made_is_said_in_words() {
        use std::io::Write;
        struct NoName;
        impl reqwest::dns::Resolve for NoName {
            fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
                Box::pin(async { Err("no such name".into()) })
            }
        }
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let plain_port = plain.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for c in plain.incoming().flatten() {
                let _ = (&c).write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(NoName))
            .no_proxy()
            .build()
            .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let failed = |url: String| rt.block_on(client.get(url).send()).unwrap_err();
        let refused = failed(format!("http://127.0.0.1:{closed}/v1?key=k"));
        assert_eq!(no_connection(&refused), Some(NoConnection::Refused));
        assert_eq!(describe(&refused), "cannot connect: connection refused");
        let unresolved = failed("http://nowhere.example/".into());
        assert_eq!(no_connection(&unresolved), Some(NoConnection::Unresolved));
        let tls = failed(format!("https://127.0.0.1:{plain_port}/"));
        let Some(NoConnection::Tls(why)) = no_connection(&tls) else {
            panic!("{tls:?}")
        };
        assert!(
            !why.is_empty() && !describe(&tls).contains("client error"),
            "{why}"
        );
        // An answer shorter than the length it announced broke off; it was no failed request.
        let short = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let short_port = short.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for c in short.incoming().flatten() {
                let _ = (&c).write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
            }
        });
        let cut = rt.block_on(async {
            let mut resp = client
                .get(format!("http://127.0.0.1:{short_port}/"))
                .send()
                .await
                .unwrap();
            loop {
                match resp.chunk().await {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("a whole answer"),
                    Err(e) => return e,
                }
            }
        });
        assert!(
            describe(&cut).starts_with("connection broke off: "),
            "{cut:?}"
        );
    }

    /// A server's words cannot drive the terminal they are printed on: escape sequences
    /// (clear the screen, set the clipboard by OSC 52), forged lines and bidirectional
    /// overrides are shown as escapes.
    #[test]
    fn quotes_cannot_drive_the_terminal() {
        let q = quote("bad\u{1b}]52;c;cm0gLXJm\u{7}\u{1b}[2J\r\nfake line\u{202e}txt.exe\u{0}");
        assert_eq!(
            q,
            "bad\\u{1b}]52;c;cm0gLXJm\\u{7}\\u{1b}[2J\\r\\nfake line\\u{202e}txt.exe\\0"
        );
        assert!(!q.chars().any(unprintable), "{q}");
        assert_eq!(printable("é ok\ttab"), "é ok\\ttab");
    }
}
