//! An unfinished download kept beside its target between runs, so that a re-run asks only for
//! the rest: `.NAME.VARIANT.part`, with `.NAME.VARIANT.part.json` naming the URL (by a hash)
//! and the server's validator and length, sent back in `If-Range` to prove the bytes unchanged.

use super::model::Variant;
use crate::error::{Error, Result};
use reqwest::header::{HeaderMap, ETAG, LAST_MODIFIED};
use reqwest::Url;
use rustix::fs::{flock, FlockOperation};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// What a kept download was: written when its first byte is, so a kill leaves both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Meta {
    /// SHA-256 of the URL (a signed URL's token stays out of the file).
    pub url: String,
    /// The strong `ETag`, else the `Last-Modified` date, for `If-Range`.
    pub validator: String,
    /// The whole length.
    pub total: u64,
}

impl Meta {
    /// The meta of a download of `url` whose answer gave `validator` and `total` bytes;
    /// `None` without either: a later run cannot resume it.
    pub(crate) fn of(url: &Url, validator: Option<&str>, total: Option<u64>) -> Option<Self> {
        Some(Self {
            url: url_hash(url),
            validator: validator?.to_string(),
            total: total?,
        })
    }
}

/// The validator of an answer with `headers` that `If-Range` can send back: its strong `ETag`,
/// else its `Last-Modified` date (a weak `ETag` cannot be used: RFC 9110 13.1.5).
pub(crate) fn validator(headers: &HeaderMap) -> Option<String> {
    let text = |h| headers.get(h).and_then(|v| v.to_str().ok());
    text(ETAG)
        .filter(|e| !e.starts_with("W/"))
        .or_else(|| text(LAST_MODIFIED))
        .map(str::to_string)
}

fn url_hash(url: &Url) -> String {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(url.as_str().as_bytes());
    super::writer::hex(&digest)
}

/// The bytes kept so far, and what they are.
pub(crate) type Kept = (u64, Meta);

/// Whether a kept download's bytes outlive the run, shared by the download and its
/// [`Partial`]: undecided while the transfer runs, so a download abandoned midway (its future
/// dropped: `--timeout`) keeps them, as one that broke off does ([`Fate::keep`]); settled
/// ([`Fate::settle`]) when the download returns, they go unless it asked to keep them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fate(Arc<AtomicU8>);

const UNDECIDED: u8 = 0;
const KEEP: u8 = 1;
const DISCARD: u8 = 2;

impl Fate {
    /// Keep the bytes (the transfer broke off: a re-run resumes them).
    pub(crate) fn keep(&self) {
        self.0.store(KEEP, Ordering::Relaxed);
    }

    /// The download returned: its bytes go (saved, refused as wrong) unless it kept them.
    pub(crate) fn settle(&self) {
        let _ = self
            .0
            .compare_exchange(UNDECIDED, DISCARD, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn discarded(&self) -> bool {
        self.0.load(Ordering::Relaxed) == DISCARD
    }
}

/// A kept download, locked while this run holds it (another run then downloads into a temp
/// file of its own). Dropped unsaved, it is removed if its [`Fate`] says so.
pub(crate) struct Partial {
    path: PathBuf,
    /// Holds the lock.
    _file: File,
    fate: Fate,
    /// Says, should a signal end the run while its bytes can be resumed, that they are kept.
    note: std::sync::Mutex<Option<crate::cleanup::Note>>,
}

impl Partial {
    /// Take `path` (made if missing) for a download of `url`: its bytes so far and the meta
    /// they were fetched under when both are there, for `url`, and short of the whole.
    /// `None` when another run holds it.
    pub(crate) fn take(
        path: &Path,
        url: &Url,
        fate: &Fate,
    ) -> Result<Option<(Self, Option<Kept>)>> {
        use std::os::unix::fs::MetadataExt;
        let file = loop {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
                return Ok(None);
            }
            // A sweep ([`sweep`]) may have removed it between the open and the lock.
            let ino = file.metadata().map_err(|e| Error::io(path, e))?.ino();
            if std::fs::metadata(path).is_ok_and(|m| m.ino() == ino) {
                break file;
            }
        };
        let had = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let meta = std::fs::read(meta_path(path))
            .ok()
            .and_then(|m| serde_json::from_slice::<Meta>(&m).ok())
            .filter(|m| m.url == url_hash(url) && had > 0 && had < m.total);
        let part = Self {
            path: path.to_path_buf(),
            _file: file,
            fate: fate.clone(),
            note: Default::default(),
        };
        Ok(Some((part, meta.map(|m| (had, m)))))
    }

    /// Its path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Record what its bytes are (none: it cannot be resumed, and will not outlive the run).
    pub(crate) fn set_meta(&self, meta: Option<&Meta>) -> Result<()> {
        let at = meta_path(&self.path);
        *self.note.lock().expect("not poisoned") = meta.map(|_| {
            crate::cleanup::note_on_signal(format!(
                "interrupted: what was written of a download is kept in {}; rerun the same \
                 command to resume it",
                self.path.display()
            ))
        });
        match meta {
            Some(m) => std::fs::write(&at, serde_json::to_vec(m).expect("serialisable"))
                .map_err(|e| Error::io(&at, e)),
            None => match std::fs::remove_file(&at) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&at, e)),
                _ => Ok(()),
            },
        }
    }

    /// Rename it to `target` (`rw-r--r--`, or the permissions of the file it replaces), its
    /// meta removed.
    pub(crate) fn save(self, target: &Path) -> Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let perms = std::fs::metadata(target)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        std::fs::set_permissions(&self.path, perms).map_err(|e| Error::io(target, e))?;
        std::fs::rename(&self.path, target).map_err(|e| Error::io(target, e))?;
        let _ = std::fs::remove_file(meta_path(&self.path));
        Ok(target.to_path_buf())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Only bytes a re-run can resume: what they are is known. Not by their length now: the
        // writer thread may still be flushing them.
        if self.fate.discarded() || !meta_path(&self.path).exists() {
            let _ = std::fs::remove_file(&self.path);
            let _ = std::fs::remove_file(meta_path(&self.path));
        }
    }
}

/// How long a kept download waits for a re-run to resume it: a run using its directory
/// removes it when untouched for longer (providers' download links expire within a day).
pub(crate) const KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// Remove the kept downloads in `dir` that no run will resume: of a name and variant whose
/// download is done (`done`: the cache records it; a run beside the one that kept it finished
/// it), without the meta a resume needs, or untouched for [`KEPT_FOR`]. One a download holds
/// (locked) is left alone.
pub(crate) fn sweep(dir: &Path, done: impl Fn(&str, Variant) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some((name, variant)) = kept_name(&file) else {
            continue;
        };
        let path = e.path();
        let Ok(held) = File::open(&path) else {
            continue;
        };
        if flock(&held, FlockOperation::NonBlockingLockExclusive).is_err() {
            continue; // a download holds it
        }
        let meta = meta_path(&path);
        let touched = [&path, &meta]
            .iter()
            .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .max();
        let old = touched.is_none_or(|t| now.duration_since(t).is_ok_and(|age| age > KEPT_FOR));
        if done(name, variant) || !meta.exists() || old {
            let _ = std::fs::remove_file(&meta);
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// The name and variant of a kept download's file name, `.NAME.VARIANT.part`.
fn kept_name(file: &str) -> Option<(&str, Variant)> {
    let stem = file.strip_prefix('.')?.strip_suffix(".part")?;
    let (name, variant) = stem.rsplit_once('.')?;
    Some((name, Variant::parse(variant)?)).filter(|(n, _)| !n.is_empty())
}

/// Where the meta of the kept download `path` is.
fn meta_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".json");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_names_are_read_back() {
        assert_eq!(
            kept_name(".video_1.video.part"),
            Some(("video_1", Variant::Video))
        );
        assert_eq!(
            kept_name(".clip-3f2a.v2.thumbnail.part"),
            Some(("clip-3f2a.v2", Variant::Thumbnail))
        );
        for other in [
            ".video_1.video.part.json",
            ".notes.part",
            "..video.part",
            "a.video.part",
        ] {
            assert_eq!(kept_name(other), None, "{other}");
        }
    }
}
