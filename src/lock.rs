//! Exclusive `flock`s on lock files: between the shards of a batch, and between runs writing
//! into one output directory.

use crate::cleanup;
use crate::error::{Error, Result};
use rustix::fs::{flock, FlockOperation};
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// An exclusive `flock` on a file, held while the value lives.
pub struct Lock {
    _file: File,
}

/// Open (or make) the lock file `path`; an error names its directory, the one the user gave
/// (the lock file is ours).
fn open_lock(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| {
            let dir = match path.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            let e = crate::error::os_words(&e);
            Error::bad_input(dir, format!("cannot write in this directory: {e}"))
        })
}

impl Lock {
    /// Wait for the lock on `path`.
    pub fn wait(path: &Path) -> Result<Self> {
        let f = open_lock(path)?;
        flock(&f, FlockOperation::LockExclusive).map_err(|e| Error::io(path, e.into()))?;
        Ok(Self { _file: f })
    }

    /// Take the lock on `path`, or `None` while another process (or thread) holds it.
    pub fn try_take(path: &Path) -> Result<Option<Self>> {
        let f = open_lock(path)?;
        match flock(&f, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(Self { _file: f })),
            Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
            Err(e) => Err(Error::io(path, e.into())),
        }
    }
}

/// A lock file held by one run at a time and removed by that run as it lets go (also on
/// SIGINT/SIGTERM), so it leaves nothing behind; a run killed outright leaves the file, which
/// the next one takes and removes.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    _file: File,
    _live: cleanup::Live,
}

impl RunLock {
    /// Take the lock file `path`, calling `waiting` once first when another process holds it.
    pub fn take(path: &Path, waiting: impl FnOnce()) -> Result<Self> {
        let mut waiting = Some(waiting);
        loop {
            let f = open_lock(path)?;
            match flock(&f, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(rustix::io::Errno::WOULDBLOCK) => {
                    if let Some(w) = waiting.take() {
                        w();
                    }
                    flock(&f, FlockOperation::LockExclusive)
                        .map_err(|e| Error::io(path, e.into()))?;
                }
                Err(e) => return Err(Error::io(path, e.into())),
            }
            if let Some(lock) = Self::still_there(path, f)? {
                return Ok(lock);
            }
        }
    }

    /// Take the lock file `path`, or `None` while another process (or thread) holds it: for a
    /// caller that waits its own way (an async task).
    pub fn try_take(path: &Path) -> Result<Option<Self>> {
        loop {
            let f = open_lock(path)?;
            match flock(&f, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => {}
                Err(rustix::io::Errno::WOULDBLOCK) => return Ok(None),
                Err(e) => return Err(Error::io(path, e.into())),
            }
            if let Some(lock) = Self::still_there(path, f)? {
                return Ok(Some(lock));
            }
        }
    }

    /// The lock of `f`, locked, when it is still the file at `path`: the run before removes the
    /// file as it lets go, so a lock taken on the removed file is no one's (`None`: open again).
    fn still_there(path: &Path, f: File) -> Result<Option<Self>> {
        let held = f.metadata().map_err(|e| Error::io(path, e))?;
        let there = std::fs::metadata(path);
        if !there.is_ok_and(|m| (m.dev(), m.ino()) == (held.dev(), held.ino())) {
            return Ok(None);
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Ok(Some(Self {
            path: path.to_path_buf(),
            _file: f,
            _live: cleanup::Live::names(dir, &name),
        }))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Removed while still held: a run waiting on this file finds it gone and takes a new one.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_file_that_cannot_be_made_is_said_of_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone");
        let Err(e) = RunLock::take(&gone.join(".assemble.lock"), || {}) else {
            panic!("no lock in a missing directory")
        };
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot write in this directory: No such file or directory",
                gone.display()
            )
        );
    }
}
