//! The download cache: `<dir>/<name>.mp4` (and images) beside `<dir>/<name>.json`, which holds
//! the video object and each file's length and SHA-256. A re-run skips files that still match.

use super::download::Downloaded;
use super::model::{Variant, Video};
use super::writer::sha256_file;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Longest file-name stem made from an id or URL.
const MAX_NAME: usize = 96;

/// One cached file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedFile {
    /// File name inside the cache directory.
    pub file: String,
    /// Length in bytes.
    pub bytes: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}

/// The sidecar `<name>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    /// Where the files came from: the video id, or the URL (query redacted).
    pub source: String,
    /// The video object at download time (null for plain URLs).
    pub video: Option<Video>,
    /// Files by variant (`video`, `thumbnail`, `spritesheet`).
    pub files: BTreeMap<Variant, CachedFile>,
}

/// A cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// The names given out in this process, with their sources (downloads run side by side).
    claimed: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Cache {
    /// Use (and create) `dir`, removing the kept downloads there that no run will resume:
    /// those done meanwhile, those without meta and those untouched for 7 days.
    pub fn new(dir: &Path) -> Result<Self> {
        crate::output::make_dir(dir)?;
        let cache = Self {
            dir: dir.to_path_buf(),
            claimed: Arc::default(),
        };
        super::partial::sweep(dir, |name, variant| {
            cache
                .load(name)
                .is_some_and(|e| e.files.contains_key(&variant))
        });
        Ok(cache)
    }

    /// The name of `source`'s files: `stem`, unless the directory holds it for another source
    /// (or holds a file of that name no sidecar records: a user's own) or another download of
    /// this process took it; then `stem` and a short hash of `source`. Two URLs ending in the
    /// same file name (`.../a/clip.mp4`, `.../b/clip.mp4`, every `.../videos/ID/content`) so
    /// never share a file, in one run or across runs.
    pub fn name_for(&self, stem: &str, source: &str) -> String {
        let mut claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
        let free =
            claimed.get(stem).is_none_or(|s| s == source) && self.entry(stem, source).is_ok();
        let name = match free {
            true => stem.to_string(),
            false => {
                let digest = <sha2::Sha256 as sha2::Digest>::digest(source.as_bytes());
                format!("{stem}-{}", &super::writer::hex(&digest)[..12])
            }
        };
        claimed.insert(name.clone(), source.to_string());
        name
    }

    /// Take the name `name` for `source` in this process (a video id's name is its own):
    /// refused when another download of this process holds it. [`Cache::name_for`] then gives
    /// URLs ending in that name another one.
    pub fn claim(&self, name: &str, source: &str) -> Result<()> {
        let mut claimed = self.claimed.lock().unwrap_or_else(|e| e.into_inner());
        match claimed.get(name) {
            Some(s) if s != source => Err(Error::bad_input(
                &self.path_for(name, Variant::Video, None),
                format!("is also the file of {s} in this run; fetch {source} into another output directory"),
            )),
            _ => {
                claimed.insert(name.to_string(), source.to_string());
                Ok(())
            }
        }
    }

    /// The sidecar of `name` for `source` (a new one when there is none), refusing a name whose
    /// files are not `source`'s: a sidecar of another source or not of cutroom's, or a video
    /// file no sidecar records (a user's own file is never replaced).
    pub fn entry(&self, name: &str, source: &str) -> Result<Entry> {
        let sidecar = self.sidecar(name);
        let entry = match std::fs::read(&sidecar) {
            Ok(text) => serde_json::from_slice::<Entry>(&text)
                .map_err(|_| foreign(&sidecar, "is not a sidecar of cutroom's download cache"))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Entry {
                source: source.to_string(),
                video: None,
                files: BTreeMap::new(),
            },
            Err(e) => return Err(Error::io(&sidecar, e)),
        };
        if entry.source != source {
            return Err(Error::bad_input(
                &sidecar,
                format!(
                    "already holds {} (not {source}); use another output directory",
                    entry.source
                ),
            ));
        }
        self.target(name, &entry, Variant::Video, None)?;
        Ok(entry)
    }

    /// Where `variant` of `entry` (named `name`) goes, as [`Cache::path_for`], refused when a
    /// file is there that `entry` does not record (a download of its own is replaced when it
    /// no longer verifies).
    pub fn target(
        &self,
        name: &str,
        entry: &Entry,
        variant: Variant,
        content_type: Option<&str>,
    ) -> Result<PathBuf> {
        let path = self.path_for(name, variant, content_type);
        let recorded = entry.files.get(&variant).map(|f| self.dir.join(&f.file));
        if recorded.as_ref() != Some(&path) && std::fs::symlink_metadata(&path).is_ok() {
            return Err(foreign(
                &path,
                "is not a file cutroom downloaded (no sidecar records it)",
            ));
        }
        Ok(path)
    }

    /// Where an unfinished download of `variant` of `name` is kept for a re-run to resume:
    /// `.<name>.<variant>.part` (and its `.json`), hidden, never a temp name of a run.
    pub(crate) fn partial(&self, name: &str, variant: Variant) -> PathBuf {
        self.dir.join(format!(".{name}.{}.part", variant.as_str()))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sidecar(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Where `variant` of `name` goes: `<name>.mp4` for the video, `<name>.<variant>.<ext>`
    /// for images, the extension following the served `content_type`.
    pub fn path_for(&self, name: &str, variant: Variant, content_type: Option<&str>) -> PathBuf {
        let file = match variant {
            Variant::Video => format!("{name}.mp4"),
            v => {
                let ext = match content_type.map(|c| c.split(';').next().unwrap_or("").trim()) {
                    Some("image/png") => "png",
                    Some("image/jpeg") => "jpg",
                    Some("image/webp") => "webp",
                    _ => "img",
                };
                format!("{name}.{}.{ext}", v.as_str())
            }
        };
        self.dir.join(file)
    }

    /// The sidecar of `name`, when there is a readable one.
    pub fn load(&self, name: &str) -> Option<Entry> {
        let text = std::fs::read(self.sidecar(name)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// `variant` of `name` when its file is present with the recorded length and SHA-256.
    pub fn verified(&self, entry: &Entry, variant: Variant) -> Option<CachedFile> {
        let f = entry.files.get(&variant)?;
        let path = self.dir.join(&f.file);
        let len = std::fs::metadata(&path).ok()?.len();
        (len == f.bytes && sha256_file(&path).ok()? == f.sha256).then(|| f.clone())
    }

    /// Record a finished download of `variant` in the sidecar of `name` (written atomically).
    pub fn record(
        &self,
        name: &str,
        entry: &mut Entry,
        variant: Variant,
        got: &Downloaded,
    ) -> Result<()> {
        let file = got
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        entry.files.insert(
            variant,
            CachedFile {
                file,
                bytes: got.bytes,
                sha256: got.sha256.clone(),
            },
        );
        write_json_atomic(&self.sidecar(name), entry)
    }
}

/// A file in the way of a download: never replaced.
fn foreign(path: &Path, what: &str) -> Error {
    Error::bad_input(
        path,
        format!("{what}, so it is not replaced: move it or use another output directory"),
    )
}

/// Write `value` as pretty JSON to `path` through a temp file and a rename.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    crate::output::json(path, value)?.commit().map(drop)
}

/// A file-name stem for an id (or a URL's last segment) that cannot escape the directory or
/// hide: ASCII letters, digits, `-`, `_` and inner `.` are kept, anything else becomes `_`, and
/// when that changed the id a short hash of the original is appended, so two different ids
/// never share a file.
pub fn safe_name(id: &str) -> String {
    let mut s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    s = s.trim_matches('.').to_string();
    s.truncate(MAX_NAME);
    if s == id && !s.is_empty() {
        return s;
    }
    let digest = super::writer::hex(&<sha2::Sha256 as sha2::Digest>::digest(id.as_bytes()));
    let stem = s.trim_matches(|c| c == '_' || c == '.');
    if stem.is_empty() {
        format!("id-{}", &digest[..12])
    } else {
        format!("{stem}-{}", &digest[..12])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_and_distinct() {
        assert_eq!(
            safe_name("video_68d7512d07848190"),
            "video_68d7512d07848190"
        );
        for evil in [
            "../../etc/passwd",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "",
            "x\0y",
            "ü",
        ] {
            let n = safe_name(evil);
            assert!(
                !n.is_empty() && !n.starts_with('.') && !n.contains(['/', '\\', '\0']),
                "{evil:?} -> {n}"
            );
            assert!(
                n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
                "{n}"
            );
        }
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert_ne!(safe_name("a/b"), safe_name("a:b"));
        assert!(safe_name(&"x".repeat(500)).len() <= MAX_NAME + 13);
    }
}
