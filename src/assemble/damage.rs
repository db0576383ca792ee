//! Damage in the picture of a copied master, said of the shots it came from: on concat's copy
//! path the shots' video packets are copied undecoded, so the export's decode of the master is
//! the first to meet them, and the master is a file of the run's working directory.

use crate::error::Result;
use crate::probe;
use crate::progress::{pass_progress_on, Progress, Skipped, Stream};
use cutroom_ffi::MediaKind;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Passes everything on to another sink but the damaged video packets of the master, which it
/// notes for [`MasterDamage::blame`].
pub(super) struct MasterDamage<'a> {
    inner: &'a dyn Progress,
    master: &'a Path,
    found: AtomicBool,
}

impl<'a> MasterDamage<'a> {
    /// A sink passing on to `inner`, holding back the damage found in `master`'s picture.
    pub(super) fn new(inner: &'a dyn Progress, master: &'a Path) -> Self {
        Self {
            inner,
            master,
            found: AtomicBool::new(false),
        }
    }

    /// When the master's picture had damaged packets, decode the picture of each of `shots`
    /// (each file once, as `probe --decode` does) and report what each skipped, and where.
    pub(super) fn blame<'p>(&self, shots: impl IntoIterator<Item = &'p Path>) -> Result<()> {
        if !self.found.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut seen: Vec<&Path> = Vec::new();
        for shot in shots {
            if seen.contains(&shot) {
                continue;
            }
            seen.push(shot);
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
        self.inner.damaged(file, stream, skipped);
    }
}
