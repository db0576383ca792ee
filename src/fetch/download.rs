//! Downloads: stream to a temp file beside the target, resume with `Range` when the connection
//! drops (in this run, or in the next when the caller keeps the file: [`Partial`]), check the
//! length, probe the result as valid media, and only then rename into place.

use super::check::{image_size, whole_video};
use super::client::{api_error, idle_words, redirected, Body, Client};
use super::model::Variant;
use super::partial::{validator, Fate, Meta, Partial};
use super::writer::{Chunk, Writer};
use crate::error::{Error, Result};
use crate::http::{describe, redact_url};
use crate::output::AtomicOutput;
use crate::progress::Progress;
use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_RANGE, CONTENT_TYPE, IF_RANGE, RANGE};
use reqwest::{Method, Response, StatusCode, Url};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A finished, verified download.
#[derive(Debug, Clone)]
pub struct Downloaded {
    /// Where it is.
    pub path: PathBuf,
    /// Its length in bytes.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
    /// Time on the network: from the first request to the last byte, resumes included.
    pub transfer: Duration,
}

/// A download complete and checked but not yet in place: [`Unsaved::save`] renames it to its
/// target; dropped, it is removed.
pub(crate) struct Unsaved {
    file: Staged,
    bytes: u64,
    sha256: String,
    transfer: Duration,
}

impl Unsaved {
    /// Rename it into place.
    pub(crate) fn save(self) -> Result<Downloaded> {
        Ok(Downloaded {
            path: self.file.commit()?,
            bytes: self.bytes,
            sha256: self.sha256,
            transfer: self.transfer,
        })
    }
}

/// Where a download is written until it is saved.
enum Staged {
    /// A temp file, gone with the run.
    Temp(AtomicOutput),
    /// A file kept for a re-run to resume, and the target.
    Kept(Partial, PathBuf),
}

impl Staged {
    fn path(&self) -> &Path {
        match self {
            Self::Temp(t) => t.path(),
            Self::Kept(p, _) => p.path(),
        }
    }

    fn target(&self) -> &Path {
        match self {
            Self::Temp(t) => t.target(),
            Self::Kept(_, target) => target,
        }
    }

    fn commit(self) -> Result<PathBuf> {
        match self {
            Self::Temp(t) => t.commit(),
            Self::Kept(p, target) => p.save(&target),
        }
    }
}

/// What is being fetched, for messages and the expiry check.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The URL (an API content URL or any https URL).
    pub url: &'a Url,
    /// What the bytes must be: an MP4 with video, or an image.
    pub variant: Variant,
    /// When the provider stops serving it (unix seconds), if known.
    pub expires_at: Option<i64>,
    /// The server that named the URL (a job's video URL on another host), whose place bounds
    /// where it may lead; `None` for a URL the user gave, or one on the API's own origin.
    pub from: Option<&'a Url>,
    /// Where an unfinished download is kept for a re-run to resume (`.NAME.VARIANT.part`); `None`: in
    /// a temp file, gone with the run.
    pub partial: Option<&'a Path>,
}

impl Client {
    /// Download `req` to the path `target_for(content_type)` returns (decided once the first
    /// answer shows what the bytes are). A dropped connection resumes with `Range`; a server
    /// that ignores `Range` makes it start over. The file must reach the announced length, stay
    /// under the download cap and open as valid media before it is renamed into place; on any
    /// failure nothing is left at the target.
    pub async fn download(
        &self,
        req: Request<'_>,
        target_for: impl Fn(Option<&str>) -> Result<PathBuf>,
        bar: &dyn Progress,
    ) -> Result<Downloaded> {
        self.download_unsaved(req, None, target_for, bar)
            .await?
            .save()
    }

    /// [`Client::download`] up to the rename. `first` is the 200 answer of a GET of `req.url`
    /// already sent, and when it was sent; without it the GET is sent here, resuming what an
    /// earlier run kept at `req.partial` when the server proves it unchanged (`If-Range`).
    /// What it kept there stays when the transfer breaks off, or when the caller gives up
    /// waiting for it (drops the future), for a re-run to resume.
    pub(crate) async fn download_unsaved(
        &self,
        req: Request<'_>,
        first: Option<(Response, Instant)>,
        target_for: impl Fn(Option<&str>) -> Result<PathBuf>,
        bar: &dyn Progress,
    ) -> Result<Unsaved> {
        let shown = redact_url(req.url);
        let started = first.as_ref().map_or_else(Instant::now, |f| f.1);
        let mut held = Held::default();
        let got = self.transfer(req, first, target_for, bar, &mut held).await;
        // From here on the bytes are not for a re-run, unless the transfer kept them.
        held.fate.settle();
        let (written, total, served_as) = got?;
        let transfer = started.elapsed();
        self.log(format_args!("{shown}: last byte ({written} bytes)"));
        let (file, writer) = held.out.expect("a successful answer opened the output");
        let (bytes, sha256) = writer.finish().await?;
        self.log(format_args!("{shown}: written and hashed"));
        let target = file.target().to_path_buf();
        if bytes != written || total.is_some_and(|t| t != bytes) {
            return Err(Error::bad_input(
                &target,
                format!("download length {bytes} differs from the announced {total:?}"),
            ));
        }
        let temp = file.path().to_path_buf();
        let variant = req.variant;
        tokio::task::spawn_blocking(move || match variant {
            Variant::Video => whole_video(&temp),
            _ => image_size(&temp).map(|_| ()),
        })
        .await
        .map_err(|e| Error::Internal(format!("media check failed: {e}")))?
        .map_err(|e| {
            // The reason alone: the temp file it was found in is gone.
            let why = match e {
                Error::BadInput { reason, .. } => reason,
                e => e.to_string(),
            };
            let served = served_as.map_or(String::new(), |t| format!(" (served as {t})"));
            Error::bad_input(
                &target,
                format!(
                    "downloaded {} from {shown} is not valid media{served}: {why}",
                    variant.as_str()
                ),
            )
        })?;
        self.log(format_args!("{shown}: media checked"));
        Ok(Unsaved {
            file,
            bytes,
            sha256,
            transfer,
        })
    }

    /// The network part of [`Client::download_unsaved`]: the answers' bodies written into
    /// `held.out` (`held.part` until the first answer), through resumes, until the whole
    /// length came or the transfer is given up (kept by [`Fate::keep`] when a re-run can
    /// resume it). The bytes written, the announced length and the served content type.
    async fn transfer(
        &self,
        req: Request<'_>,
        mut first: Option<(Response, Instant)>,
        target_for: impl Fn(Option<&str>) -> Result<PathBuf>,
        bar: &dyn Progress,
        held: &mut Held,
    ) -> Result<(u64, Option<u64>, Option<String>)> {
        let shown = redact_url(req.url);
        let cap = self.config().max_download_bytes;
        let fate = &held.fate;
        let kept = match req.partial {
            Some(p) => Partial::take(p, req.url, fate)?,
            None => None,
        };
        // With a whole answer in hand, there is nothing to resume.
        let (part, resume) = kept.map_or((None, None), |(p, r)| {
            (Some(p), r.filter(|_| first.is_none()))
        });
        held.part = part;
        let (part, out) = (&mut held.part, &mut held.out);
        let mut written = resume.as_ref().map_or(0, |r| r.0);
        let mut meta: Option<Meta> = resume.map(|r| r.1);
        let mut total: Option<u64> = meta.as_ref().map(|m| m.total);
        // Also when there is no meta (no length): a resume in this run is proven unchanged too.
        let mut proof: Option<String> = meta.as_ref().map(|m| m.validator.clone());
        if written > 0 {
            self.log(format_args!(
                "{shown}: resuming at byte {written}, kept by an earlier run"
            ));
        }
        let mut served_as: Option<String> = None;
        let mut breaks = 0u32;
        loop {
            let mut headers = HeaderMap::new();
            if written > 0 {
                let range = HeaderValue::from_str(&format!("bytes={written}-")).expect("ascii");
                headers.insert(RANGE, range);
                if let Some(Ok(v)) = proof.as_deref().map(HeaderValue::from_str) {
                    headers.insert(IF_RANGE, v);
                }
            }
            let resp = match first.take() {
                Some((resp, _)) => resp,
                None => match self
                    .send_from(Method::GET, req.url, req.from, &Body::Empty, &headers)
                    .await
                {
                    Ok(resp) => resp,
                    Err(e) => {
                        fate.keep(); // a re-run resumes
                        return Err(e);
                    }
                },
            };
            let status = resp.status();
            let via = redirected(&resp);
            if let Some(e) = dead_link(&shown, via.as_deref(), req.expires_at, status) {
                return Err(e);
            }
            match status {
                StatusCode::OK => {
                    if written > 0 {
                        self.log(format_args!(
                            "{shown}: the server sent the whole file (Range ignored, or the \
                             file changed), starting over"
                        ));
                        if let Some((_, writer)) = out.as_mut() {
                            writer.send(Chunk::Restart).await?;
                        }
                        written = 0;
                    }
                    total = resp.content_length();
                    proof = validator(resp.headers());
                    meta = Meta::of(req.url, proof.as_deref(), total);
                    if let Some((Staged::Kept(p, _), _)) = &out {
                        p.set_meta(meta.as_ref())?;
                    }
                }
                StatusCode::PARTIAL_CONTENT => {
                    let now = validator(resp.headers());
                    if let Some((was, now)) = proof.as_deref().zip(now).filter(|(w, n)| w != n) {
                        // A server that ignores If-Range: the rest of another file.
                        self.log(format_args!(
                            "{shown}: the file changed on the server ({now}, was {was}), \
                             starting over"
                        ));
                        if let Some((_, writer)) = out.as_mut() {
                            writer.send(Chunk::Restart).await?;
                        }
                        (written, total, meta, proof) = (0, None, None, None);
                        continue;
                    }
                    let (start, len) = content_range(resp.headers()).ok_or_else(|| {
                        Error::Remote(format!(
                            "{shown}: 206 answer without a usable Content-Range"
                        ))
                    })?;
                    if start != written || total.is_some_and(|t| Some(t) != len) {
                        if out.is_none() {
                            // What an earlier run kept does not fit this answer: start over.
                            self.log(format_args!(
                                "{shown}: the kept bytes do not fit the answer, starting over"
                            ));
                            (written, total, meta, proof) = (0, None, None, None);
                            continue;
                        }
                        let of = |n: Option<u64>| {
                            n.map_or("a length not given".into(), |n| format!("{n} bytes"))
                        };
                        return Err(Error::Remote(format!(
                            "{shown}: asked to resume at byte {written} of {}, the server \
                             answered from byte {start} of {}: its rest would not be the file \
                             begun, so it is not taken",
                            of(total),
                            of(len)
                        )));
                    }
                    total = len.or(total);
                }
                StatusCode::RANGE_NOT_SATISFIABLE if total == Some(written) && written > 0 => break,
                _ => {
                    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                        fate.keep(); // a re-run resumes
                    }
                    return Err(api_error(&format!("GET {shown}"), resp, None).await);
                }
            }
            if let Some(t) = total.filter(|t| *t > cap) {
                return Err(too_big(&shown, t, cap));
            }
            if out.is_none() {
                let ctype = resp
                    .headers()
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok());
                served_as = ctype.map(str::to_string);
                let target = target_for(ctype)?;
                let staged = match part.take() {
                    Some(p) => {
                        p.set_meta(meta.as_ref())?;
                        Staged::Kept(p, target)
                    }
                    None => Staged::Temp(AtomicOutput::new(&target)?),
                };
                let writer = Writer::start(staged.path(), staged.target(), written)?;
                *out = Some((staged, writer));
            }
            let writer = &mut out.as_mut().expect("set above").1;
            bar.set_total(total.unwrap_or(0));
            bar.set_done(written);
            let mut body = resp.bytes_stream();
            let mut broke: Option<String> = None;
            let mut floor = Floor::new(self.config(), written);
            let idle = self.config().idle_timeout;
            let mut silent_at = tokio::time::Instant::now() + idle;
            loop {
                let at = floor.deadline().map_or(silent_at, |f| f.min(silent_at));
                let chunk = match tokio::time::timeout_at(at, body.next()).await {
                    Ok(next) => next,
                    Err(_) if tokio::time::Instant::now() >= silent_at => {
                        let at = via.as_ref().map(|to| format!("redirected to {to}: "));
                        broke = Some(format!("{}{}", at.unwrap_or_default(), idle_words(idle)));
                        break;
                    }
                    Err(_) => match floor.check(written) {
                        Ok(()) => continue,
                        Err(why) => {
                            broke = Some(why);
                            break;
                        }
                    },
                };
                let Some(chunk) = chunk else { break };
                match chunk {
                    Ok(data) => {
                        silent_at = tokio::time::Instant::now() + idle;
                        written += data.len() as u64;
                        if written > cap {
                            return Err(too_big(&shown, written, cap));
                        }
                        writer.send(Chunk::Data(data)).await?;
                        bar.set_done(written);
                    }
                    Err(e) => {
                        let at = via.as_ref().map(|to| format!("redirected to {to}: "));
                        broke = Some(format!("{}{}", at.unwrap_or_default(), describe(&e)));
                        break;
                    }
                }
            }
            match total {
                Some(t) if written > t => {
                    return Err(Error::Remote(format!(
                        "{shown}: server sent {written} bytes, announced {t}"
                    )))
                }
                Some(t) if written == t => break,
                None if broke.is_none() => break,
                _ => {}
            }
            breaks += 1;
            let why = broke.unwrap_or_else(|| "body ended early".into());
            if breaks > self.config().retries {
                fate.keep(); // a re-run resumes
                let times = match breaks {
                    1 => "once".to_string(),
                    n => format!("{n} times"),
                };
                return Err(Error::Remote(format!(
                    "{shown}: download broke off {times}, last at byte {written} of {}: {why}",
                    total.map(|t| t.to_string()).unwrap_or_else(|| "?".into())
                )));
            }
            self.log(format_args!("{shown}: {why} at byte {written}; resuming"));
            tokio::time::sleep(Duration::from_millis(100 * u64::from(breaks))).await;
        }
        Ok((written, total, served_as))
    }
}

/// The minimum speed of a download's answer (`--min-speed` over `--min-speed-time`), measured
/// over back-to-back spans: a body that came slower over a span counts as stalled, as curl's
/// `--speed-limit`/`--speed-time` do, so a trickle that never goes silent for
/// `--idle-timeout` is still resumed.
struct Floor {
    /// Bytes a second (0: no floor).
    speed: u64,
    span: Duration,
    /// When the span began, and the bytes written then.
    since: tokio::time::Instant,
    at: u64,
}

impl Floor {
    fn new(cfg: &super::config::ApiConfig, written: u64) -> Self {
        Self {
            speed: cfg.min_speed,
            span: cfg.min_speed_time,
            since: tokio::time::Instant::now(),
            at: written,
        }
    }

    /// When the span ends, if there is a floor.
    fn deadline(&self) -> Option<tokio::time::Instant> {
        (self.speed > 0 && !self.span.is_zero()).then(|| self.since + self.span)
    }

    /// At the span's end, with `written` bytes: a new span, or why the answer is too slow.
    fn check(&mut self, written: u64) -> std::result::Result<(), String> {
        let got = written - self.at;
        let secs = self.span.as_secs_f64();
        if (got as f64) < self.speed as f64 * secs {
            return Err(format!(
                "{got} bytes in {secs} s, under --min-speed {} bytes/s (--min-speed-time {secs} s)",
                self.speed
            ));
        }
        (self.since, self.at) = (tokio::time::Instant::now(), written);
        Ok(())
    }
}

/// What a download holds while it runs, owned by [`Client::download_unsaved`] so that the
/// kept bytes' fate is settled before they are dropped.
#[derive(Default)]
struct Held {
    fate: Fate,
    part: Option<Partial>,
    out: Option<(Staged, Writer)>,
}

/// `bytes START-END/TOTAL` -> (START, TOTAL when known).
fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let v = headers
        .get(CONTENT_RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes ")?;
    let (range, total) = v.split_once('/')?;
    let start = range.split_once('-')?.0.trim().parse().ok()?;
    Some((start, total.trim().parse().ok()))
}

fn too_big(shown: &str, bytes: u64, cap: u64) -> Error {
    Error::Remote(format!(
        "{shown}: {bytes} bytes is over the download cap of {cap} bytes (raise --max-download)"
    ))
}

/// The refusal of a content download of `shown` (answered by `via` after a redirect) whose
/// link is dead: a 404 or 410, or a 403 once `expires_at` has passed (as signed storage links
/// answer), said as an expired link when it has; `None` for any other answer.
fn dead_link(
    shown: &str,
    via: Option<&str>,
    expires_at: Option<i64>,
    status: StatusCode,
) -> Option<Error> {
    let now = unix_now();
    let expired = expires_at.filter(|t| *t <= now);
    let why = match status {
        StatusCode::NOT_FOUND => "not found (deleted, or never rendered)",
        StatusCode::GONE => "gone (deleted, or its link expired)",
        StatusCode::FORBIDDEN if expired.is_some() => "",
        _ => return None,
    };
    let message = match expired {
        Some(t) => format!(
            "{shown}: {}; providers keep renders only for a limited time, so render the shot \
             again (or remix it)",
            expired_since(t, now)
        ),
        None => {
            let at = via.map(|to| format!("redirected to {to}: "));
            let at = at.unwrap_or_default();
            format!("{shown}: {at}HTTP {}: {why}", status.as_u16())
        }
    };
    Some(Error::Http {
        status: status.as_u16(),
        url: via.unwrap_or(shown).to_string(),
        message,
    })
}

/// Now, in unix seconds (as `expires_at` and `created_at` are).
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `the download expired at DATE (N s ago)`.
pub(crate) fn expired_since(t: i64, now: i64) -> String {
    let ago = now - t;
    let ago = if ago < 120 {
        format!("{ago} s")
    } else {
        format!("{} min", ago / 60)
    };
    format!(
        "the download expired at {} ({ago} ago)",
        httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(t.max(0) as u64))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_range() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 100-199/200"));
        assert_eq!(content_range(&h), Some((100, Some(200))));
        h.insert(CONTENT_RANGE, HeaderValue::from_static("bytes 5-9/*"));
        assert_eq!(content_range(&h), Some((5, None)));
        h.insert(CONTENT_RANGE, HeaderValue::from_static("items 1-2/3"));
        assert_eq!(content_range(&h), None);
    }

    #[test]
    fn expired_is_named() {
        let dead = |expires, status| dead_link("u", None, expires, status);
        let e = dead(Some(1_000), StatusCode::NOT_FOUND).unwrap();
        assert!(
            matches!(&e, Error::Http { status: 404, url, .. } if url == "u"),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("expired"), "{e}");
        let e = dead(None, StatusCode::NOT_FOUND).unwrap().to_string();
        assert!(e.contains("404") && !e.contains("expired"), "{e}");
        for status in [StatusCode::FORBIDDEN, StatusCode::GONE] {
            let e = dead(Some(1_000), status).unwrap().to_string();
            assert!(e.contains("the download expired at"), "{e}");
        }
        let e = dead(None, StatusCode::GONE).unwrap().to_string();
        assert!(e.contains("HTTP 410: gone"), "{e}");
        assert!(dead(None, StatusCode::FORBIDDEN).is_none());
        assert!(dead(Some(i64::MAX), StatusCode::FORBIDDEN).is_none());
    }
}
