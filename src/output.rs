//! Atomic outputs: write to a temp file beside the target, rename into place only on success.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// An output being written. Dropping it without [`AtomicOutput::commit`] removes the temp file,
/// so a failed run never leaves a partial or clobbered file at the target.
pub struct AtomicOutput {
    target: PathBuf,
    temp: tempfile::TempPath,
}

impl AtomicOutput {
    /// Prepare to write `target`: its directory must exist and be writable. The temp file keeps
    /// the target's extension so muxers that guess the format from the name still work.
    pub fn new(target: &Path) -> Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::bad_input(target, "output directory does not exist"));
        }
        let name = target
            .file_name()
            .ok_or_else(|| Error::bad_input(target, "output path has no file name"))?
            .to_string_lossy()
            .into_owned();
        let suffix = target
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(&suffix)
            .tempfile_in(&dir)
            .map_err(|e| {
                Error::bad_input(target, format!("cannot write in {}: {e}", dir.display()))
            })?
            .into_temp_path();
        Ok(Self {
            target: target.to_path_buf(),
            temp,
        })
    }

    /// The temp path to write to.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Move the finished temp file onto the target. The file gets the permissions of the file
    /// it replaces, or `rw-r--r--` (temp files are created private).
    pub fn commit(self) -> Result<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        let target = self.target;
        let perms = std::fs::metadata(&target)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
        std::fs::set_permissions(&self.temp, perms).map_err(|e| Error::io(&target, e))?;
        self.temp
            .persist(&target)
            .map_err(|e| Error::io(&target, e.error))?;
        Ok(target)
    }
}

/// Refuse an output path that is one of the inputs (it would be destroyed while being read).
pub fn ensure_not_input(output: &Path, inputs: &[&Path]) -> Result<()> {
    let out = std::fs::canonicalize(output).ok();
    for input in inputs {
        let same = match (&out, std::fs::canonicalize(input).ok()) {
            (Some(a), Some(b)) => *a == b,
            _ => output == *input,
        };
        if same {
            return Err(Error::bad_input(
                output,
                "output path is also an input; choose another output",
            ));
        }
    }
    Ok(())
}
