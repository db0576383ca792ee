//! How long work reports itself: the library never prints; it tells a [`Progress`] sink what it
//! is doing, and the binary's sink draws bars and warnings on stderr.

use std::sync::Arc;

/// A sink for the progress and warnings of long work. Every method does nothing by default, so
/// [`Silent`] (or a sink that only cares about warnings) is one line.
///
/// A task is begun with [`Progress::start`], advanced, and ended with [`Progress::finish`];
/// concurrent jobs (one per shot of a render) each get their own sink from [`Progress::job`].
pub trait Progress: Send + Sync {
    /// Begin a task of `total` units (0 when unknown yet) named `what` (`concat`, `export`).
    fn start(&self, _what: &str, _total: u64) {}
    /// The task turns out to be `total` units long (a download learns its length late).
    fn set_total(&self, _total: u64) {}
    /// `n` more units are done.
    fn advance(&self, _n: u64) {}
    /// `done` units are done in all.
    fn set_done(&self, _done: u64) {}
    /// What the task is doing now (`decoding`, `writing`, a file's name).
    fn status(&self, _msg: &str) {}
    /// The task is over: cleared from view, or left showing `outcome` (`done`, `failed`).
    fn finish(&self, _outcome: Option<&str>) {}
    /// Something the user should know that is not an error; shown even when progress is not.
    fn warn(&self, _msg: &str) {}
    /// A line of information: what the work waits for, or detail the user asked for
    /// (`--verbose`); shown even when progress is not.
    fn note(&self, _msg: &str) {}
    /// A sink for one of several concurrent jobs, labelled `label`, shown beside the others.
    fn job(&self, _label: &str) -> Box<dyn Progress> {
        Box::new(Silent)
    }
}

/// Reports nothing: for library callers without a user to tell.
pub struct Silent;

impl Progress for Silent {}

/// A sink kept by a long-lived value (a client's configuration): cheap to clone, shown in
/// `Debug` by name only; [`Silent`] by default.
#[derive(Clone)]
pub struct Shared(pub Arc<dyn Progress>);

impl Default for Shared {
    fn default() -> Self {
        Self(Arc::new(Silent))
    }
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("progress::Shared")
    }
}

impl std::ops::Deref for Shared {
    type Target = dyn Progress;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
