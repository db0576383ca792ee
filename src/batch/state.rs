//! The batch directory's shared state: `batch.json` (every variant's status, rewritten
//! atomically under a lock as variants finish, by every shard) and per-variant lock files
//! ([`Lock`]).

use crate::error::{Error, Result};
use crate::lock::Lock;
use crate::output;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `DIR/batch.json`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BatchReport {
    /// The spec.
    pub spec: String,
    /// Variants by name.
    pub variants: BTreeMap<String, Entry>,
}

/// Where a variant stands (a word in `batch.json`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not made yet.
    #[default]
    Pending,
    /// Made, and every check passed.
    Passed,
    /// Made, but a check failed.
    Failed,
    /// The assemble stopped.
    Error,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pending => "pending",
            Self::Passed => "passed",
            Self::Failed => "failed",
            Self::Error => "error",
        })
    }
}

/// One variant's outcome.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Entry {
    /// Where it stands.
    pub status: Status,
    /// Its variables.
    pub vars: BTreeMap<String, String>,
    /// Its directory.
    pub dir: String,
    /// The deliverables (paths).
    pub outputs: Vec<String>,
    /// True when every sync check passed (or was inconclusive).
    pub sync_ok: Option<bool>,
    /// True when the deliverables were kept from an earlier run.
    pub reused: bool,
    /// Why it stopped (`error`).
    pub error: Option<String>,
    /// Wall-clock seconds of its assemble.
    pub seconds: f64,
    /// The shard that made it (`K/N`), when sharded.
    pub shard: Option<String>,
}

/// The lock file of variant `name` in `dir`.
pub fn variant_lock(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.lock"))
}

/// Update `dir/batch.json` under its lock: `change` edits the report as last written (by any
/// shard), which is then written to a temp file and renamed into place.
pub fn update(dir: &Path, change: impl FnOnce(&mut BatchReport)) -> Result<()> {
    let _lock = Lock::wait(&dir.join(".batch.lock"))?;
    let path = dir.join("batch.json");
    let mut report: BatchReport = match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::bad_input(&path, format!("unreadable batch report ({e})")))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BatchReport::default(),
        Err(e) => return Err(Error::io(&path, e)),
    };
    change(&mut report);
    output::json(&path, &report)?.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_a_word_in_batch_json() {
        let e = Entry {
            status: Status::Failed,
            ..Entry::default()
        };
        let j = serde_json::to_value(&e).unwrap();
        assert_eq!(j["status"], "failed");
        assert_eq!(Entry::default().status.to_string(), "pending");
        let back: Entry = serde_json::from_value(j).unwrap();
        assert_eq!(back.status, Status::Failed);
    }
}
