//! What `--max-cost` has spent: the estimated price of each job created under it, by the
//! create's intent (`cutroom-SHOTKEY-TOKEN`, so a create resumed or sent again counts once).
//! Held in memory for one run, or in a file under a lock for every process of a batch, so that
//! its shards share one cap.

use crate::error::{Error, Result};
use crate::lock::Lock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The prices taken under `--max-cost`, in micro-USD by intent. Clones share them.
#[derive(Debug, Clone, Default)]
pub struct Spent(Arc<Held>);

/// Prices in micro-USD by intent.
type Prices = BTreeMap<String, i64>;

/// The version of the ledger this cutroom writes, and the newest it reads.
const VERSION: u32 = 1;

/// The ledger file: `{"version": 1, "prices": {...}}` (a cutroom before versions wrote the
/// prices alone, which is read as they are).
#[derive(Serialize, Deserialize)]
struct Ledger {
    version: u32,
    prices: Prices,
}

#[derive(Debug)]
enum Held {
    /// This process's: the jobs this run creates.
    Run(Mutex<Prices>),
    /// `DIR/.budget.json`, read and rewritten under `DIR/.budget.lock` by every shard of a
    /// batch and every run of it.
    Batch(PathBuf),
}

impl Default for Held {
    fn default() -> Self {
        Self::Run(Mutex::default())
    }
}

/// Why a price does not fit: what was spent before it.
pub(crate) struct Over(pub(crate) i64);

impl Spent {
    /// The ledger of the batch directory `dir`, shared by its shards and runs.
    pub fn batch(dir: &Path) -> Self {
        Self(Arc::new(Held::Batch(dir.join(".budget.json"))))
    }

    /// Whose jobs it counts, for messages.
    pub(crate) fn whose(&self) -> String {
        match &*self.0 {
            Held::Run(_) => "this run".into(),
            Held::Batch(_) => "this batch's shards and runs".into(),
        }
    }

    /// The sum of the prices taken.
    pub fn total(&self) -> Result<i64> {
        self.with(|p| p.values().sum())
    }

    /// True when the create `intent` was counted (by an earlier run of a batch).
    pub(crate) fn holds(&self, intent: &str) -> Result<bool> {
        self.with(|p| p.contains_key(intent))
    }

    /// Count `price` for the create `intent` unless it is counted already, when the total
    /// stays within `max`; else what was spent before it.
    pub(crate) fn take(
        &self,
        intent: &str,
        price: i64,
        max: i64,
    ) -> Result<std::result::Result<(), Over>> {
        self.with(|p| {
            if p.contains_key(intent) {
                return Ok(());
            }
            let before: i64 = p.values().sum();
            if before + price > max {
                return Err(Over(before));
            }
            p.insert(intent.to_string(), price);
            Ok(())
        })
    }

    /// Give back the price of the create `intent`, surely refused (nothing billed).
    pub(crate) fn refund(&self, intent: &str) -> Result<()> {
        self.with(|p| {
            p.remove(intent);
        })
    }

    /// Run `f` on the prices, locked; a file is rewritten (temp file and rename) when `f`
    /// changed them.
    fn with<T>(&self, f: impl FnOnce(&mut Prices) -> T) -> Result<T> {
        let path = match &*self.0 {
            Held::Run(m) => return Ok(f(&mut m.lock().expect("not poisoned"))),
            Held::Batch(p) => p,
        };
        let _lock = Lock::wait(&path.with_extension("lock"))?;
        let mut prices = match std::fs::read(path) {
            Ok(b) => read(path, &b)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Prices::new(),
            Err(e) => return Err(Error::io(path, e)),
        };
        let before = prices.clone();
        let t = f(&mut prices);
        if prices != before {
            let ledger = Ledger {
                version: VERSION,
                prices,
            };
            crate::output::json(path, &ledger)?.commit()?;
        }
        Ok(t)
    }
}

/// The prices of the ledger `path` holding `bytes`; one that cannot be read, or that a newer
/// cutroom wrote (it may count the prices where this one does not look), is an error and left
/// as it is: forgotten, it would let the batch spend its cap again.
fn read(path: &Path, bytes: &[u8]) -> Result<Prices> {
    #[derive(Deserialize)]
    struct Version {
        version: Option<u32>,
    }
    let kept = "it holds the prices of the jobs this batch's runs created, so it is left as it \
                is";
    let unreadable = |e: serde_json::Error| {
        Error::bad_input(
            path,
            format!(
                "unreadable --max-cost ledger ({e}); {kept}: fix it there (deleting it would \
                 let the batch spend its --max-cost again)"
            ),
        )
    };
    match serde_json::from_slice::<Version>(bytes)
        .map_err(unreadable)?
        .version
    {
        None => serde_json::from_slice(bytes).map_err(unreadable),
        Some(v) if v > VERSION => Err(Error::bad_input(
            path,
            format!(
                "--max-cost ledger of version {v} (this cutroom reads version {VERSION}), \
                 written by a newer cutroom: {kept}; run this batch with that cutroom, as this \
                 one might not count what it records and could spend the --max-cost again"
            ),
        )),
        Some(_) => Ok(serde_json::from_slice::<Ledger>(bytes)
            .map_err(unreadable)?
            .prices),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batchs_processes_share_one_ledger_and_count_an_intent_once() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (Spent::batch(dir.path()), Spent::batch(dir.path()));
        assert!(a.take("k1", 100, 150).unwrap().is_ok());
        assert!(b.take("k1", 100, 150).unwrap().is_ok(), "counted once");
        assert!(matches!(b.take("k2", 100, 150).unwrap(), Err(Over(100))));
        assert!(b.holds("k1").unwrap() && !b.holds("k2").unwrap());
        a.refund("k1").unwrap();
        assert!(b.take("k2", 100, 150).unwrap().is_ok());
        assert_eq!(a.total().unwrap(), 100);
        let run = Spent::default();
        assert!(run.take("k1", 100, 150).unwrap().is_ok());
        assert_eq!(run.clone().total().unwrap(), 100);
        assert_eq!(Spent::default().total().unwrap(), 0);
        // Unreadable, it is kept: forgotten, the batch could spend its cap again.
        std::fs::write(dir.path().join(".budget.json"), "{\"k1\": 1").unwrap();
        let e = a.take("k3", 1, 150).err().unwrap().to_string();
        assert!(
            e.contains("left as it is") && e.contains("spend its --max-cost again"),
            "{e}"
        );
        let kept = std::fs::read_to_string(dir.path().join(".budget.json")).unwrap();
        assert_eq!(kept, "{\"k1\": 1");
        // A newer cutroom's is kept too: this one might not see the prices it counts.
        let newer = r#"{"version": 2, "spent": {"k1": 150}}"#;
        std::fs::write(dir.path().join(".budget.json"), newer).unwrap();
        let e = a.take("k3", 1, 150).err().unwrap().to_string();
        assert!(
            e.contains(".budget.json: --max-cost ledger of version 2 (this cutroom reads version 1), written by a newer cutroom")
                && e.contains("left as it is"),
            "{e}"
        );
        let kept = std::fs::read_to_string(dir.path().join(".budget.json")).unwrap();
        assert_eq!(kept, newer);
        // One written before the ledger had a version is read, and rewritten with one.
        std::fs::write(dir.path().join(".budget.json"), "{\"k1\": 100}").unwrap();
        assert!(matches!(a.take("k2", 100, 150).unwrap(), Err(Over(100))));
        assert!(a.take("k2", 50, 150).unwrap().is_ok());
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join(".budget.json")).unwrap())
                .unwrap();
        assert_eq!(
            written,
            serde_json::json!({"version": 1, "prices": {"k1": 100, "k2": 50}})
        );
        assert_eq!(b.total().unwrap(), 150);
    }
}
