//! `fetch`: bring completed renders (by id) or any https URL into a cache directory, verified.

use super::cache::{safe_name, Cache, Entry};
use super::client::Client;
use super::config::{check_url, redact_url};
use super::download::Request;
use super::model::{Phase, Variant, Video};
use super::poll::PollOptions;
use crate::error::{Error, Result};
use crate::progress::Progress;
use reqwest::Url;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One file of a [`Fetched`].
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// Where it is.
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
    /// The id or URL as given (URL query redacted).
    pub source: String,
    /// The video id (null for plain URLs).
    pub id: Option<String>,
    /// True when every file was already in the cache and verified (nothing downloaded).
    pub cached: bool,
    /// The files by variant.
    pub files: BTreeMap<Variant, FileReport>,
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

/// Fetch `variants` of the completed video `id` into `cache`, waiting for it while it renders.
/// Files already cached with a matching SHA-256 are not downloaded again.
pub async fn fetch_video(
    client: &Client,
    cache: &Cache,
    id: &str,
    variants: &[Variant],
    poll: &PollOptions,
    bar: &dyn Progress,
) -> Result<Fetched> {
    let name = safe_name(id);
    let mut entry = own_entry(cache, &name, id)?;
    let mut video: Option<Video> = None;
    let mut transfers = BTreeMap::new();
    for &variant in variants {
        if cache.verified(&entry, variant).is_some() {
            continue;
        }
        let v = match &video {
            Some(v) => v.clone(),
            None => {
                let v = client.wait(id, poll, bar).await?;
                match v.status.phase() {
                    Phase::Done => {}
                    Phase::Failed => {
                        return Err(Error::Remote(format!(
                            "video {id} failed to render: {}",
                            v.failure()
                        )))
                    }
                    _ => {
                        return Err(Error::Remote(format!(
                            "video {id} is {} and has no content",
                            v.status
                        )))
                    }
                }
                entry.video = Some(v.clone());
                video = Some(v.clone());
                v
            }
        };
        bar.status(&format!("downloading {}", variant.as_str()));
        let url = client.content_url(&v, variant)?;
        let req = Request {
            url: &url,
            variant,
            expires_at: v.expires_at,
        };
        let got = client
            .download(req, |ct| cache.path_for(&name, variant, ct), bar)
            .await?;
        cache.record(&name, &mut entry, variant, &got)?;
        transfers.insert(variant, got.transfer.as_secs_f64());
    }
    Ok(report(cache, entry, Some(id), &transfers))
}

/// Fetch an MP4 from a plain URL into `cache` as `<last path segment>.mp4`, with the same
/// resume, length check and media verification as API downloads.
pub async fn fetch_url(
    client: &Client,
    cache: &Cache,
    url: &str,
    bar: &dyn Progress,
) -> Result<Fetched> {
    let url = Url::parse(url).map_err(|e| Error::Usage(format!("URL {url:?}: {e}")))?;
    check_url(&url, client.config().insecure_http)?;
    let source = redact_url(&url);
    let stem = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .map(|last| last.rsplit_once('.').map_or(last, |(stem, _)| stem))
        .filter(|s| !s.is_empty())
        .unwrap_or("download");
    let name = safe_name(stem);
    let mut entry = own_entry(cache, &name, &source)?;
    if cache.verified(&entry, Variant::Video).is_some() {
        return Ok(report(cache, entry, None, &BTreeMap::new()));
    }
    bar.status("downloading");
    let req = Request {
        url: &url,
        variant: Variant::Video,
        expires_at: None,
    };
    let got = client
        .download(req, |ct| cache.path_for(&name, Variant::Video, ct), bar)
        .await?;
    cache.record(&name, &mut entry, Variant::Video, &got)?;
    let transfers = BTreeMap::from([(Variant::Video, got.transfer.as_secs_f64())]);
    Ok(report(cache, entry, None, &transfers))
}

/// The cache entry of `name`, refusing one that holds files of another source.
fn own_entry(cache: &Cache, name: &str, source: &str) -> Result<Entry> {
    match cache.load(name) {
        Some(e) if e.source != source => Err(Error::bad_input(
            &cache.dir().join(format!("{name}.json")),
            format!(
                "already holds {} (not {source}); use another output directory",
                e.source
            ),
        )),
        Some(e) => Ok(e),
        None => Ok(Entry {
            source: source.to_string(),
            video: None,
            files: BTreeMap::new(),
        }),
    }
}

/// The report of an entry; `transfers` holds the variants downloaded in this run.
fn report(
    cache: &Cache,
    entry: Entry,
    id: Option<&str>,
    transfers: &BTreeMap<Variant, f64>,
) -> Fetched {
    Fetched {
        source: entry.source,
        id: id.map(str::to_string),
        cached: transfers.is_empty(),
        files: entry
            .files
            .into_iter()
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
    }
}
