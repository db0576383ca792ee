//! How long work reports itself: the library never prints; it tells a [`Progress`] sink what it
//! is doing, and the binary's sink draws bars and warnings on stderr.

use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
    /// A decoder skipped damaged packets of `file`'s `stream` (the sound has a gap or the
    /// picture freezes there); shown as a warning, with where. Nothing when none were skipped.
    fn damaged(&self, file: &Path, stream: Stream, skipped: Skipped) {
        if skipped.packets > 0 {
            self.warn(&format!(
                "{} damaged packets skipped in {} ({stream}){}",
                skipped.packets,
                file.display(),
                skipped.where_words()
            ));
        }
    }
}

/// Packets of one stream a decoder skipped as damaged, and where they lie.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Skipped {
    /// How many.
    pub packets: u64,
    /// When the first and last of them are stamped to show (s); `None` when not known.
    pub at: Option<(f64, f64)>,
}

impl Skipped {
    /// What `dec` has skipped so far.
    pub fn of(dec: &impl cutroom_ffi::Decoder) -> Self {
        Self {
            packets: dec.damaged_packets(),
            at: dec.damaged_at(),
        }
    }

    /// `, at 1.300-2.000 s of the file` (one time for one place), or nothing when not known.
    pub fn where_words(&self) -> String {
        match self.at {
            Some((a, b)) if (b - a).abs() < 5e-4 => format!(", at {a:.3} s of the file"),
            Some((a, b)) => format!(", at {a:.3}-{b:.3} s of the file"),
            None => String::new(),
        }
    }
}

/// Which stream of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Its sound.
    Audio,
    /// Its picture.
    Video,
}

impl std::fmt::Display for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Audio => "audio",
            Stream::Video => "video",
        })
    }
}

/// Damaged packets of one stream of a file that decoding skipped: an entry of a report's
/// `damaged_packets`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Damaged {
    /// The file.
    pub file: String,
    /// `audio` or `video`.
    pub stream: Stream,
    /// Packets skipped.
    pub packets: u64,
    /// When the first of them is stamped to show (s, to the millisecond); null when not known.
    pub first_s: Option<f64>,
    /// When the last of them is stamped to show (s, to the millisecond); null when not known.
    pub last_s: Option<f64>,
}

/// Passes everything on to another sink and keeps the warnings and damaged packets reported
/// through it, for a command's report (its `--json` carries what it said on stderr). A stream
/// decoded more than once (a file exported in several waves) is counted and warned about once,
/// with the most any one decode skipped; a warning given twice is said and kept once. Jobs' sinks
/// ([`Progress::job`]) are not counted.
pub struct Tally<'a> {
    inner: &'a dyn Progress,
    seen: Mutex<BTreeMap<(PathBuf, Stream), Skipped>>,
    warnings: Mutex<Vec<String>>,
}

impl<'a> Tally<'a> {
    /// A tally passing on to `inner`.
    pub fn new(inner: &'a dyn Progress) -> Self {
        Self {
            inner,
            seen: Mutex::new(BTreeMap::new()),
            warnings: Mutex::new(Vec::new()),
        }
    }

    /// The warnings given so far (damaged packets are in [`Tally::damaged_packets`]), in order.
    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().expect("no poisoned tally").clone()
    }

    /// The damaged packets reported so far, by file and stream.
    pub fn damaged_packets(&self) -> Vec<Damaged> {
        let seen = self.seen.lock().expect("no poisoned tally");
        let ms = |s: f64| (s * 1e3).round() / 1e3;
        seen.iter()
            .map(|((file, stream), skipped)| Damaged {
                file: file.display().to_string(),
                stream: *stream,
                packets: skipped.packets,
                first_s: skipped.at.map(|a| ms(a.0)),
                last_s: skipped.at.map(|a| ms(a.1)),
            })
            .collect()
    }
}

/// In an `impl Progress` for a sink with a field `inner: &dyn Progress`: passes the progress
/// itself (`start` to `finish`), `note` and `job` on to `inner`, for a sink that changes only
/// its warnings or damaged packets.
macro_rules! pass_progress_on {
    () => {
        fn start(&self, what: &str, total: u64) {
            self.inner.start(what, total);
        }
        fn set_total(&self, total: u64) {
            self.inner.set_total(total);
        }
        fn advance(&self, n: u64) {
            self.inner.advance(n);
        }
        fn set_done(&self, done: u64) {
            self.inner.set_done(done);
        }
        fn status(&self, msg: &str) {
            self.inner.status(msg);
        }
        fn finish(&self, outcome: Option<&str>) {
            self.inner.finish(outcome);
        }
        fn note(&self, msg: &str) {
            self.inner.note(msg);
        }
        fn job(&self, label: &str) -> Box<dyn $crate::progress::Progress> {
            self.inner.job(label)
        }
    };
}
pub(crate) use pass_progress_on;

impl Progress for Tally<'_> {
    pass_progress_on!();
    fn warn(&self, msg: &str) {
        let new = {
            let mut kept = self.warnings.lock().expect("no poisoned tally");
            let new = !kept.iter().any(|w| w == msg);
            if new {
                kept.push(msg.to_string());
            }
            new
        };
        if new {
            self.inner.warn(msg);
        }
    }
    fn damaged(&self, file: &Path, stream: Stream, skipped: Skipped) {
        if skipped.packets == 0 {
            return;
        }
        let more = {
            let mut seen = self.seen.lock().expect("no poisoned tally");
            let kept = seen.entry((file.to_path_buf(), stream)).or_default();
            let more = skipped.packets > kept.packets;
            if more {
                *kept = skipped;
            }
            more
        };
        if more {
            self.inner.damaged(file, stream, skipped);
        }
    }
}

/// Passes on only what is shown even when progress is not (warnings, notes, damaged packets):
/// for work whose progress another task counts.
pub struct Warnings<'a>(pub &'a dyn Progress);

impl Progress for Warnings<'_> {
    fn warn(&self, msg: &str) {
        self.0.warn(msg);
    }
    fn note(&self, msg: &str) {
        self.0.note(msg);
    }
    fn damaged(&self, file: &Path, stream: Stream, skipped: Skipped) {
        self.0.damaged(file, stream, skipped);
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
