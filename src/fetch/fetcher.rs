//! `fetch`: bring completed renders (by id) or any https URL into a cache directory, verified.

use super::cache::{safe_name, Cache, Entry};
use super::client::{finished_but, rate_limited, Client};
use super::config::{check_url, same_origin};
use super::download::{expired_since, unix_now, Downloaded, Request};
use super::model::{Phase, Variant, Video};
use super::poll::PollOptions;
use crate::error::{Error, Result};
use crate::http::redact_url;
use crate::progress::Progress;
use futures_util::future::{select, Either};
use reqwest::Url;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::time::Instant;

/// One file of a [`Fetched`].
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Where it is.
    #[serde(serialize_with = "crate::output::path_text")]
    pub path: PathBuf,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Seconds on the network for this run's download (null when it came from the cache).
    pub transfer_s: Option<f64>,
}

/// What fetching one id or URL gave.
#[derive(Debug, Clone, Serialize)]
pub struct Fetched {
    /// The id as given, or the URL as [`item_source`] shows it (no query; a hash of it).
    pub source: String,
    /// The video id (null for plain URLs).
    pub id: Option<String>,
    /// True when every file was already in the cache and verified (nothing downloaded).
    pub cached: bool,
    /// The files by variant.
    pub files: BTreeMap<Variant, FileReport>,
    /// The video's Content Credentials (C2PA manifest), validated; null when it has none.
    pub provenance: Option<crate::provenance::Provenance>,
    /// How a video downloaded in this run differs from the length and size its job gives (a
    /// length off by more than half a second, another picture size), to be warned of; not in
    /// the JSON.
    #[serde(skip)]
    pub unlike: Option<String>,
}

/// The length and picture size a render was asked for (`render`'s shot), said of `what`
/// (`shot "a": the render of job ID`). Without it, [`fetch_video`] holds a render to its job's
/// own `seconds` and `size`.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    /// How the render is named in the warning.
    pub what: String,
    /// Seconds asked for.
    pub seconds: &'a str,
    /// `WIDTHxHEIGHT` asked for.
    pub size: &'a str,
}

/// How the render at `path` differs from the `seconds` and `size` (`WxH`) it was asked for,
/// said of `what`: a length off by more than half a second, or another picture size as
/// players show it. `None` when it is as asked, when a figure is not given, or when the file
/// cannot be read (the download's checks found it whole). It is kept: it is what the provider
/// made, and billed.
fn unlike_asked(
    what: &str,
    path: &Path,
    seconds: Option<&str>,
    size: Option<&str>,
) -> Option<String> {
    // From the MP4's boxes, in pure Rust: the network binary links no FFmpeg.
    let layout = crate::mp4::read_layout(path).ok()??;
    let video = layout.track("vide")?;
    let mut unlike = Vec::new();
    let scale = layout.movie_timescale;
    let got = (scale > 0).then(|| video.presented(scale) as f64 / f64::from(scale));
    let asked = seconds.and_then(|s| s.trim().parse::<f64>().ok());
    if let (Some(got), Some(asked)) = (got, asked) {
        if (got - asked).abs() > 0.5 {
            unlike.push(format!("{got:.2} s long where {asked} s were asked for"));
        }
    }
    let asked = size.and_then(|s| crate::picture::size::parse(s.trim()).ok().map(|wh| (s, wh)));
    if let (Some(shown), Some((size, wh))) = (video.shown, asked) {
        if shown != wh {
            unlike.push(format!(
                "{}x{} where {size} was asked for",
                shown.0, shown.1
            ));
        }
    }
    (!unlike.is_empty()).then(|| {
        format!(
            "{what} is {}: kept as the provider made (and billed) it; look at {} before using it",
            unlike.join(", and "),
            path.display()
        )
    })
}

/// True when `item` is a URL (any `scheme://`) rather than a video id; [`fetch_url`] refuses
/// the schemes it does not speak.
pub fn is_url(item: &str) -> bool {
    item.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// How `item` (an id or URL) is named in reports and the cache: an id as given, a URL without
/// user info or query (`?...`) but with a short hash of the query. Two items with one source are
/// one download.
pub fn item_source(item: &str) -> String {
    match is_url(item).then(|| Url::parse(item).ok()).flatten() {
        Some(url) => url_source(&url),
        None => item.to_string(),
    }
}

/// Fetch `variants` of the completed video `id` into `cache`, waiting for it while it renders.
/// Files already cached with a matching SHA-256 are not downloaded again. A video downloaded
/// in this run that is not what was `asked` (else what its job says) is told in
/// [`Fetched::unlike`], for every caller (`fetch`, `render`, `assemble`) to warn of.
pub async fn fetch_video(
    client: &Client,
    cache: &Cache,
    id: &str,
    variants: &[Variant],
    poll: &PollOptions,
    bar: &dyn Progress,
    asked: Option<Asked<'_>>,
) -> Result<Fetched> {
    let name = safe_name(id);
    cache.claim(&name, id)?;
    let mut entry = cache.entry(&name, id)?;
    let mut video: Option<Video> = None;
    let mut transfers = BTreeMap::new();
    for &variant in variants {
        if cache.verified(&entry, variant).is_some() {
            continue;
        }
        bar.status(&format!("downloading {}", variant.as_str()));
        let known = entry.clone();
        let target_for = |ct: Option<&str>| cache.target(&name, &known, variant, ct);
        let kept = cache.partial(&name, variant);
        let got = match &video {
            Some(v) => download_done(client, v, variant, &target_for, &kept, bar).await?,
            None => {
                let (v, got) =
                    look_up_and_download(client, id, variant, poll, &target_for, &kept, bar)
                        .await?;
                entry.video = Some(v.clone());
                video = Some(v);
                got
            }
        };
        cache.record(&name, &mut entry, variant, &got)?;
        client.log(format_args!("{name}: saved"));
        transfers.insert(variant, got.transfer.as_secs_f64());
    }
    let mut fetched = report(cache, entry, Some(id), variants, &transfers)?;
    if let (Some(v), Some(f)) = (&video, fetched.files.get(&Variant::Video)) {
        fetched.unlike = match asked {
            Some(a) => unlike_asked(&a.what, &f.path, Some(a.seconds), Some(a.size)),
            None => {
                let what = format!("video {id}: its render");
                unlike_asked(&what, &f.path, v.seconds.as_deref(), v.size.as_deref())
            }
        };
    }
    Ok(fetched)
}

/// Look job `id` up and download its `variant`. Where the content URL follows from the id
/// (OpenAI-shaped services, OpenRouter), its GET is sent at once, beside the lookup, saving a
/// round trip; the file is kept only when the lookup finds the job done. A job not done, a
/// content GET not answered 200, or a download an earlier run left at `kept` goes the usual
/// way: wait for the job, then download (resuming it).
async fn look_up_and_download(
    client: &Client,
    id: &str,
    variant: Variant,
    poll: &PollOptions,
    target_for: &dyn Fn(Option<&str>) -> Result<PathBuf>,
    kept: &Path,
    bar: &dyn Progress,
) -> Result<(Video, Downloaded)> {
    let early = client.id_content_url(id, variant).ok().flatten();
    let mut seen = false; // the job has answered
    if let Some(url) = early.filter(|_| !kept.exists()) {
        let sent = Instant::now();
        let content = pin!(async {
            let resp = client.get_once(&url).await?;
            let req = Request {
                url: &url,
                variant,
                expires_at: None,
                from: None,
                partial: Some(kept),
            };
            Some(
                client
                    .download_unsaved(req, Some((resp, sent)), target_for, bar)
                    .await,
            )
        });
        let lookup = pin!(client.retrieve(id));
        let (looked, content) = match select(lookup, content).await {
            Either::Left((looked, content)) => (looked, Either::Left(content)),
            Either::Right((got, lookup)) => (lookup.await, Either::Right(got)),
        };
        // A rate-limited lookup is left to the wait below, which waits it out.
        let looked = match looked {
            Err(e) if rate_limited(&e) => None,
            looked => looked?,
        };
        seen = looked.is_some();
        if let Some((v, _)) = looked.filter(|(v, _)| v.status.phase() == Phase::Done) {
            let got = match content {
                Either::Left(content) => content.await,
                Either::Right(got) => got,
            };
            return match got {
                Some(unsaved) => Ok((v, unsaved?.save()?)),
                None => {
                    let got = download_done(client, &v, variant, target_for, kept, bar).await?;
                    Ok((v, got))
                }
            };
        }
    }
    let v = client.wait(id, poll, bar, seen).await?;
    match v.status.phase() {
        Phase::Done => {}
        Phase::Failed => {
            return Err(Error::Remote(format!(
                "video {id} failed to render: {}",
                v.failure()
            )))
        }
        Phase::Cancelled => {
            return Err(Error::Remote(format!(
                "video {id} {} and has no content",
                v.cancellation()
            )))
        }
        _ => {
            return Err(Error::Remote(format!(
                "video {id} is {} and has no content",
                v.status
            )))
        }
    }
    bar.status(&format!("downloading {}", variant.as_str()));
    let got = download_done(client, &v, variant, target_for, kept, bar).await?;
    Ok((v, got))
}

/// Download `variant` of the finished job `v`, resuming what an earlier run left at `kept`.
/// The API's own content URL refusing it as dead (403, 404, 410) says the render is gone,
/// unless the job also names its video at a link of its own (a relay's `video_url`): that
/// link is downloaded instead, or, when the origin policy refuses it, the error says where
/// the render is. A link the job named (fal, Replicate, a relay) refused as dead may have
/// expired: the job is looked at again, and a fresh link it names is downloaded instead; the
/// same link again (or none) means the render is gone ([`Error::Gone`]).
async fn download_done(
    client: &Client,
    v: &Video,
    variant: Variant,
    target_for: &dyn Fn(Option<&str>) -> Result<PathBuf>,
    kept: &Path,
    bar: &dyn Progress,
) -> Result<Downloaded> {
    let mut url = client.content_url(v, variant)?;
    let mut got = download_from(client, v, &url, variant, target_for, kept, bar).await;
    let mut refused = String::new(); // what the API's own content URL answered, once refused
    if let Some(status) = dead(&got) {
        if client.id_content_url(&v.id, variant)?.is_some() {
            let named = client.named_url(v).filter(|_| variant == Variant::Video);
            let named = match named {
                Some(Ok(named)) if named != url => named,
                Some(Err(e)) => return Err(named_but_refused(v, &url, status, e)),
                _ => return got.map_err(|e| gone_at_api(client, v, e)),
            };
            client.log(format_args!(
                "{}: refused with {status}; the job names {}",
                redact_url(&url),
                redact_url(&named)
            ));
            refused = format!("GET {} answered {status}, and ", redact_url(&url));
            got = download_from(client, v, &named, variant, target_for, kept, bar).await;
            url = named;
        }
    }
    let Some(status) = dead(&got) else {
        return got;
    };
    let fresh = client.video(&v.id).await?;
    match client.named_url(&fresh) {
        Some(Ok(again)) if again != url => {
            client.log(format_args!(
                "{}: refused with {status}; the job now names {}",
                redact_url(&url),
                redact_url(&again)
            ));
            download_from(client, &fresh, &again, variant, target_for, kept, bar).await
        }
        _ => {
            let why = format!(
                "{refused}its video link {} is refused (HTTP {status}), and a fresh look at the \
                 job names no other ({})",
                redact_url(&url),
                client.config().provider.keeps_files(),
            );
            Err(Error::Gone(finished_but(&v.id, &why)))
        }
    }
}

/// The status of a download refused as a dead link (403, 404, 410), if it was.
fn dead(got: &Result<Downloaded>) -> Option<u16> {
    match got.as_ref().map_err(Error::without_context) {
        Err(Error::Http { status, .. }) if matches!(status, 403 | 404 | 410) => Some(*status),
        _ => None,
    }
}

/// The finished job `v`, whose content at the API's `url` answered `status`, names its video
/// at a link the origin policy refuses (`e`): the render exists there, so it is not called
/// gone (which would have it rendered, and billed, again).
fn named_but_refused(v: &Video, url: &Url, status: u16, e: Error) -> Error {
    Error::Remote(format!(
        "job {id} finished and its render exists, but GET {} answered {status} and the link the \
         job names is not followed: {e}; no new render is needed: download it from that link \
         yourself if you trust it (`cutroom videos show {id} --json` shows the job whole)",
        redact_url(url),
        id = v.id,
    ))
}

/// `e`, the API's own content URL refusing the file of the finished job `v`, as
/// [`Error::Gone`] when it says the file is gone: a 404 or 410, or a 403 once the job's
/// `expires_at` has passed (before, a 403 refuses the key, not the file); else `e` itself.
fn gone_at_api(client: &Client, v: &Video, e: Error) -> Error {
    let now = unix_now();
    let expired = v.expires_at.filter(|t| *t <= now);
    let (status, url) = match e.without_context() {
        Error::Http { status, url, .. }
            if matches!(status, 404 | 410) || (*status == 403 && expired.is_some()) =>
        {
            (*status, url)
        }
        _ => return e,
    };
    let why = match expired {
        Some(t) => format!("{}, and GET {url} answered {status}", expired_since(t, now)),
        None => format!(
            "its file is no longer served (GET {url} answered {status}; {})",
            client.config().provider.keeps_files()
        ),
    };
    Error::Gone(finished_but(&v.id, &why))
}

/// Download `variant` of job `v` from `url`.
async fn download_from(
    client: &Client,
    v: &Video,
    url: &Url,
    variant: Variant,
    target_for: &dyn Fn(Option<&str>) -> Result<PathBuf>,
    kept: &Path,
    bar: &dyn Progress,
) -> Result<Downloaded> {
    let base = &client.config().base_url;
    let req = Request {
        url,
        variant,
        expires_at: v.expires_at,
        from: (!same_origin(url, base)).then_some(base),
        partial: Some(kept),
    };
    client.download(req, target_for, bar).await
}

/// Fetch an MP4 from a plain URL into `cache` as `<last path segment>.mp4`, with the same
/// resume, length check and media verification as API downloads.
pub async fn fetch_url(
    client: &Client,
    cache: &Cache,
    url: &str,
    bar: &dyn Progress,
) -> Result<Fetched> {
    let url = Url::parse(url).map_err(|e| {
        let shown = crate::http::redact_url_text(url);
        Error::Usage(format!("URL {shown:?}: {e}"))
    })?;
    check_url(&url, client.config().insecure_http)?;
    let source = url_source(&url);
    let stem = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(|last| last.rsplit_once('.').map_or(last, |(stem, _)| stem))
        .filter(|s| !s.is_empty())
        .unwrap_or("download");
    let name = cache.name_for(&safe_name(stem), &source);
    let mut entry = cache.entry(&name, &source)?;
    if cache.verified(&entry, Variant::Video).is_some() {
        return report(cache, entry, None, &[Variant::Video], &BTreeMap::new());
    }
    bar.status("downloading");
    let kept = cache.partial(&name, Variant::Video);
    let req = Request {
        url: &url,
        variant: Variant::Video,
        expires_at: None,
        from: None,
        partial: Some(&kept),
    };
    let got = client
        .download(
            req,
            |ct| cache.target(&name, &entry, Variant::Video, ct),
            bar,
        )
        .await?;
    cache.record(&name, &mut entry, Variant::Video, &got)?;
    let transfers = BTreeMap::from([(Variant::Video, got.transfer.as_secs_f64())]);
    report(cache, entry, None, &[Variant::Video], &transfers)
}

/// How a URL is named in the cache and in reports: redacted (no user info, the query shown as
/// `?...`), plus a short hash of the query when it has one, so URLs that differ only in their
/// query (`download?id=1`, `download?id=2`) are two sources without a token ever being shown.
fn url_source(url: &Url) -> String {
    let shown = redact_url(url);
    match url.query() {
        Some(q) => {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(q.as_bytes());
            format!(
                "{shown} (query sha256 {})",
                &super::writer::hex(&digest)[..12]
            )
        }
        None => shown,
    }
}

/// The report of the `variants` asked for of an entry (its sidecar may hold others, from
/// earlier runs); `transfers` holds the variants downloaded in this run.
fn report(
    cache: &Cache,
    entry: Entry,
    id: Option<&str>,
    variants: &[Variant],
    transfers: &BTreeMap<Variant, f64>,
) -> Result<Fetched> {
    let provenance = match entry.files.get(&Variant::Video) {
        Some(f) => crate::provenance::read(&cache.dir().join(&f.file))?,
        None => None,
    };
    Ok(Fetched {
        source: entry.source,
        id: id.map(str::to_string),
        cached: transfers.is_empty(),
        files: entry
            .files
            .into_iter()
            .filter(|(v, _)| variants.contains(v))
            .map(|(v, f)| {
                let r = FileReport {
                    path: cache.dir().join(&f.file),
                    bytes: f.bytes,
                    sha256: f.sha256,
                    transfer_s: transfers.get(&v).copied(),
                };
                (v, r)
            })
            .collect(),
        provenance,
        unlike: None,
    })
}
