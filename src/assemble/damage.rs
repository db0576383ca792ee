//! Damage in the picture of a copied master, said of the shots it came from: on concat's copy
//! path the shots' video packets are copied undecoded, so the export's decode of the master is
//! the first to meet them, and the master is a file of the run's working directory.

use crate::error::Result;
use crate::probe;
use crate::progress::{pass_progress_on, Progress, Skipped, Stream};
use cutroom_ffi::MediaKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Passes everything on to another sink but the damaged video packets of the master, which it
/// notes for [`MasterDamage::blame`], and keeps which files' damaged picture it passed on
/// (the copy path's framing check says a shot's by file and time before the master is made).
pub(super) struct MasterDamage<'a> {
    inner: &'a dyn Progress,
    master: &'a Path,
    found: AtomicBool,
    said: Mutex<Vec<PathBuf>>,
}

impl<'a> MasterDamage<'a> {
    /// A sink passing on to `inner`, holding back the damage found in `master`'s picture.
    pub(super) fn new(inner: &'a dyn Progress, master: &'a Path) -> Self {
        Self {
            inner,
            master,
            found: AtomicBool::new(false),
            said: Mutex::new(Vec::new()),
        }
    }

    /// When the master's picture had damaged packets, decode the picture of each of `shots`
    /// whose damage was not said already (each file once, as `probe --decode` does) and report
    /// what each skipped, and where.
    pub(super) fn blame<'p>(&self, shots: impl IntoIterator<Item = &'p Path>) -> Result<()> {
        if !self.found.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut seen = self.said.lock().expect("no poisoned sink").clone();
        for shot in shots {
            if seen.iter().any(|s| s == shot) {
                continue;
            }
            seen.push(shot.to_path_buf());
            let probed = probe::probe(shot, true)?;
            let Some(video) = probed.streams.iter().find(|s| s.kind == MediaKind::Video) else {
                continue;
            };
            let skipped = Skipped {
                packets: video.damaged_packets.unwrap_or(0),
                at: video.damaged_at_s.map(|[a, b]| (a, b)),
            };
            self.inner.damaged(shot, Stream::Video, skipped);
        }
        Ok(())
    }
}

impl Progress for MasterDamage<'_> {
    pass_progress_on!();
    fn warn(&self, msg: &str) {
        self.inner.warn(msg);
    }
    fn damaged(&self, file: &Path, stream: Stream, skipped: Skipped) {
        if file == self.master && stream == Stream::Video {
            if skipped.packets > 0 {
                self.found.store(true, Ordering::Relaxed);
            }
            return;
        }
        if stream == Stream::Video && skipped.packets > 0 {
            self.said
                .lock()
                .expect("no poisoned sink")
                .push(file.to_path_buf());
        }
        self.inner.damaged(file, stream, skipped);
    }
}
