//! Outputs: checked against the inputs and their locations before anything is written, written
//! to temp files beside their targets, and renamed into place only on success: one file at a
//! time ([`AtomicOutput`]) or all of a command's files together ([`Batch`]).

use crate::cleanup;
use crate::error::{os_error, os_words, Error, Result};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

/// A last step on a finished output, given its temp path, before it is moved into place
/// (signing it: see [`crate::provenance`]).
pub type Seal = Box<dyn FnOnce(&Path) -> Result<()> + Send>;

/// An output being written. Dropping it without [`AtomicOutput::commit`] removes the temp file,
/// so a failed run never leaves a partial or clobbered file at the target.
pub struct AtomicOutput {
    target: PathBuf,
    temp: tempfile::TempPath,
    seal: Option<Seal>,
    _live: cleanup::Live,
}

impl AtomicOutput {
    /// Prepare to write `target`: its directory must exist and be writable. The temp file
    /// (`.<name>.<pid>.<random><ext>`) keeps the target's extension so muxers that guess the
    /// format from the name still work; stale ones of killed runs in that directory go first.
    pub fn new(target: &Path) -> Result<Self> {
        let dir = parent(target);
        if !dir.is_dir() {
            return Err(Error::bad_input(target, "output directory does not exist"));
        }
        if let Some(why) = not_replaceable(target) {
            return Err(Error::bad_input(target, why));
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
        cleanup::remove_stale(&dir);
        let prefix = cleanup::temp_prefix(&name);
        let live = cleanup::Live::names(&dir, &prefix);
        let temp = cleanup::making(|| {
            tempfile::Builder::new()
                .prefix(&prefix)
                .suffix(&suffix)
                .tempfile_in(&dir)
        })
        .map_err(|e| {
            let e = os_error(e);
            // The directory exists (checked above): a file system that takes no new files
            // (/proc) says there is no such file.
            let e = match e.kind() {
                std::io::ErrorKind::NotFound => "the file system there takes no new files".into(),
                _ => os_words(&e),
            };
            Error::bad_input(target, format!("cannot write in {}: {e}", dir.display()))
        })?
        .into_temp_path();
        Ok(Self {
            target: target.to_path_buf(),
            temp,
            seal: None,
            _live: live,
        })
    }

    /// The temp path to write to.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// Open the temp file for writing with `open` (which may create it anew: FFmpeg, a WAV or
    /// PNG writer), never once a signal's clean-up has begun (see [`cleanup::making`]).
    pub fn create_with<T>(&self, open: impl FnOnce(&Path) -> T) -> T {
        cleanup::making(|| open(&self.temp))
    }

    /// Write `bytes` as the whole file (errors name the target).
    pub fn write(&self, bytes: impl AsRef<[u8]>) -> Result<()> {
        self.create_with(|p| std::fs::write(p, bytes))
            .map_err(|e| Error::io(&self.target, e))
    }

    /// The final path.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Have `seal` (if any) applied to the finished temp file when it is committed, before it
    /// is moved into place; a failing seal fails the commit, leaving nothing.
    pub fn sealed(mut self, seal: Option<Seal>) -> Self {
        self.seal = seal;
        self
    }

    /// Apply the seal given to [`AtomicOutput::sealed`], if any.
    fn seal(&mut self) -> Result<()> {
        match self.seal.take() {
            Some(seal) => seal(&self.temp),
            None => Ok(()),
        }
    }

    /// Seal the finished temp file (see [`AtomicOutput::sealed`]) and move it onto the target.
    /// The file gets the permissions of the file it replaces, or `rw-r--r--` (temp files are
    /// created private).
    pub fn commit(mut self) -> Result<PathBuf> {
        self.seal()?;
        self.rename()
    }

    fn rename(self) -> Result<PathBuf> {
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

/// Several outputs of one command, each written to its temp file, renamed into place together
/// by [`Batch::commit`] once all are complete; dropped uncommitted, none is left (and the
/// directories it made for them are removed again when still empty).
#[derive(Default)]
pub struct Batch {
    outputs: Vec<AtomicOutput>,
    made_dirs: Vec<(PathBuf, cleanup::Live)>,
    stale: Vec<PathBuf>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Create `dir` (and its missing parents) for outputs of this batch.
    pub fn make_dir(&mut self, dir: &Path) -> Result<()> {
        let mut missing: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        make_dir(dir)?;
        missing.reverse();
        for d in missing {
            let live = cleanup::Live::made_dir(&d);
            self.made_dirs.push((d, live));
        }
        Ok(())
    }

    /// Add a written (not yet committed) output.
    pub fn add(&mut self, out: AtomicOutput) {
        self.outputs.push(out);
    }

    /// Have a file of an earlier run that this one no longer makes (a sidecar or cover of an
    /// output now without it) removed by [`Batch::commit`], once the new outputs are in place.
    pub fn retire(&mut self, path: PathBuf) {
        self.stale.push(path);
    }

    /// Take on every output, directory and retired file of `other`.
    pub fn append(&mut self, mut other: Batch) {
        self.outputs.append(&mut other.outputs);
        self.made_dirs.append(&mut other.made_dirs);
        self.stale.append(&mut other.stale);
    }

    /// Where the output for `target` is until committed.
    pub fn staged(&self, target: &Path) -> Option<&Path> {
        self.outputs
            .iter()
            .find(|o| o.target() == target)
            .map(AtomicOutput::path)
    }

    /// Seal every output (see [`AtomicOutput::sealed`]), then rename each into place, in the
    /// order added, then remove the files given to [`Batch::retire`]; the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        for out in &mut self.outputs {
            out.seal()?;
        }
        // Ctrl-C now waits for the whole set to be in place.
        let whole = cleanup::moving_into_place();
        self.made_dirs.clear();
        let done = std::mem::take(&mut self.outputs)
            .into_iter()
            .map(AtomicOutput::rename)
            .collect::<Result<Vec<_>>>()?;
        for path in std::mem::take(&mut self.stale) {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io(&path, e))
                }
                _ => {}
            }
        }
        drop(whole);
        cleanup::yield_to_a_signal();
        Ok(done)
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.outputs.clear();
        for (d, _) in self.made_dirs.iter().rev() {
            // Only when empty: never remove what someone else put there meanwhile.
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// Write `value` as pretty JSON for `path`, in a temp file beside it that the caller commits.
pub fn json<T: serde::Serialize>(path: &Path, value: &T) -> Result<AtomicOutput> {
    let out = AtomicOutput::new(path)?;
    out.write(serde_json::to_vec_pretty(value).expect("serialisable"))?;
    Ok(out)
}

/// Serialise a path as report text (`#[serde(serialize_with = "output::path_text")]`): a name
/// that is not UTF-8 shows U+FFFD, as `display` does, where serde's own refuses it.
pub fn path_text<S: serde::Serializer>(path: &Path, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}

/// [`path_text`] of a path that may be absent (null).
pub fn opt_path_text<S: serde::Serializer>(
    path: &Option<PathBuf>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match path {
        Some(p) => path_text(p, s),
        None => s.serialize_none(),
    }
}

/// Create `dir` and its missing parents; when a file or a broken symbolic link stands where a
/// directory must go, say so (rather than `File exists (os error 17)`).
pub fn make_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| match not_a_dir(dir) {
        Some(what) => Error::bad_input(dir, format!("cannot create this directory: {what}")),
        None => Error::io(dir, e),
    })
}

/// What stands where `dir` or one of its parents must be a directory: the first of them that
/// is there (a file, or a symbolic link to nothing) but is not a directory, described.
fn not_a_dir(dir: &Path) -> Option<String> {
    dir.ancestors().find_map(|a| {
        if a.is_dir() || a.symlink_metadata().is_err() {
            None
        } else if a.exists() {
            Some(format!("{} is a file, not a directory", a.display()))
        } else {
            let to = std::fs::read_link(a).unwrap_or_default();
            Some(format!(
                "{} is a broken symbolic link (to {}), not a directory",
                a.display(),
                to.display()
            ))
        }
    })
}

/// What a file of type `t` is when it is a named pipe, a device or a socket, described.
pub fn special_kind(t: std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        Some("a named pipe (FIFO)")
    } else if t.is_char_device() {
        Some("a character device (a terminal, /dev/null, ...)")
    } else if t.is_block_device() {
        Some("a block device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        None
    }
}

/// Why an output cannot go at `path`, which is there but is no plain file: a finished output
/// is renamed into place, which would put a plain file where a pipe, a device or a symbolic
/// link was (as root, `/dev/null` or `/dev/stdout` itself) and write nothing through it.
fn not_replaceable(path: &Path) -> Option<String> {
    let meta = path.symlink_metadata().ok()?;
    let kind = std::fs::metadata(path)
        .ok()
        .and_then(|m| special_kind(m.file_type()));
    let what = match kind {
        Some(kind) => kind.to_string(),
        None if meta.file_type().is_symlink() => {
            let to = std::fs::read_link(path).unwrap_or_default();
            format!("a symbolic link (to {})", to.display())
        }
        None => return None,
    };
    Some(format!(
        "is {what}: an output is moved into place whole, which would replace it rather than \
         write to it; give the path of a file"
    ))
}

/// An output a command is about to write, for [`check_outputs`].
#[derive(Debug, Clone, Copy)]
pub struct Planned<'a> {
    /// The file.
    pub path: &'a Path,
    /// True when the command creates the file's directory if it is missing.
    pub makes_dir: bool,
}

impl<'a> Planned<'a> {
    /// A file in a directory that must already exist.
    pub fn file(path: &'a Path) -> Self {
        Self {
            path,
            makes_dir: false,
        }
    }

    /// A file in a directory the command creates when missing.
    pub fn in_new_dir(path: &'a Path) -> Self {
        Self {
            path,
            makes_dir: true,
        }
    }
}

/// Check every output of a command before anything is written: none is one of the `inputs` (the
/// same file by device and inode, or the same place once symbolic links and `..` are resolved,
/// also for files not made yet), none is planned twice, and each can go where it is asked to:
/// not onto a directory, into a directory that exists (or that the command makes, under no
/// file).
pub fn check_outputs(outputs: &[Planned<'_>], inputs: &[&Path]) -> Result<()> {
    let input_ids: Vec<Identity> = inputs.iter().map(|p| Identity::of(p)).collect();
    let mut seen: Vec<Identity> = Vec::new();
    for out in outputs {
        let path = out.path;
        if path.file_name().is_none() {
            return Err(Error::bad_input(path, "output path has no file name"));
        }
        if path.is_dir() {
            return Err(Error::bad_input(
                path,
                "is a directory; give a file name for the output",
            ));
        }
        if let Some(why) = not_replaceable(path) {
            return Err(Error::bad_input(path, why));
        }
        let dir = parent(path);
        if !dir.is_dir() {
            if let Some(what) = not_a_dir(&dir) {
                return Err(Error::bad_input(path, format!("cannot write here: {what}")));
            }
            if !out.makes_dir {
                return Err(Error::bad_input(
                    path,
                    format!("output directory does not exist: {}", dir.display()),
                ));
            }
        }
        let id = Identity::of(path);
        if let Some(i) = input_ids.iter().position(|i| i.same(&id)) {
            return Err(Error::bad_input(
                path,
                format!(
                    "output path is also an input: it would overwrite {}; choose another output",
                    inputs[i].display()
                ),
            ));
        }
        if seen.iter().any(|s| s.same(&id)) {
            return Err(Error::bad_input(
                path,
                "the same file is planned as two outputs",
            ));
        }
        seen.push(id);
    }
    Ok(())
}

/// Refuse an output path that is one of the inputs (it would be destroyed while being read),
/// and an output location that cannot be written: [`check_outputs`] for one file.
pub fn ensure_not_input(output: &Path, inputs: &[&Path]) -> Result<()> {
    check_outputs(&[Planned::file(output)], inputs)
}

/// Who a path is: the file it names (device and inode) when it exists, and where it is.
struct Identity {
    inode: Option<(u64, u64)>,
    place: PathBuf,
}

impl Identity {
    fn of(path: &Path) -> Self {
        Self {
            inode: std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino())),
            place: resolved(path),
        }
    }

    fn same(&self, other: &Self) -> bool {
        match (self.inode, other.inode) {
            (Some(a), Some(b)) => a == b,
            _ => self.place == other.place,
        }
    }
}

/// `path` with its nearest existing ancestor canonicalised and the rest appended, `.` and `..`
/// folded: where the file is or would be.
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut rest = Vec::new();
    let mut base = abs.as_path();
    loop {
        if let Ok(c) = std::fs::canonicalize(base) {
            let mut out = c;
            for part in rest.iter().rev() {
                match part {
                    Component::ParentDir => {
                        out.pop();
                    }
                    Component::CurDir => {}
                    other => out.push(other),
                }
            }
            return out;
        }
        match (base.parent(), base.components().next_back()) {
            (Some(p), Some(last)) => {
                rest.push(last);
                base = p;
            }
            _ => return abs,
        }
    }
}

/// The directory a file goes in (`.` for a bare name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_meet_inputs_by_inode_and_by_place() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.wav");
        std::fs::write(&input, b"x").unwrap();
        let link = dir.path().join("link.wav");
        std::fs::hard_link(&input, &link).unwrap();
        let err = ensure_not_input(&link, &[&input]).unwrap_err().to_string();
        assert!(err.contains("also an input"), "{err}");
        // A not-yet-existing output named through `..` is still the input's place.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let roundabout = sub.join("../in.wav");
        assert!(ensure_not_input(&roundabout, &[&input]).is_err());
        // Two outputs of one command at one place.
        let a = dir.path().join("new/a.wav");
        let planned = [Planned::in_new_dir(&a), Planned::in_new_dir(&a)];
        let err = check_outputs(&planned, &[]).unwrap_err().to_string();
        assert!(err.contains("two outputs"), "{err}");
        assert!(check_outputs(&planned[..1], &[&input]).is_ok());
        // A directory under a file cannot be made.
        let under_file = input.join("x.wav");
        let err = check_outputs(&[Planned::in_new_dir(&under_file)], &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("is a file, not a directory"), "{err}");
        let missing = dir.path().join("missing/x.png");
        assert!(check_outputs(&[Planned::file(&missing)], &[]).is_err());
    }

    #[test]
    fn a_dropped_batch_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let stems = dir.path().join("a/b");
        {
            let mut batch = Batch::new();
            batch.make_dir(&stems).unwrap();
            let out = AtomicOutput::new(&stems.join("x.wav")).unwrap();
            std::fs::write(out.path(), b"data").unwrap();
            batch.add(out);
        }
        assert!(!dir.path().join("a").exists());
        let mut batch = Batch::new();
        batch.make_dir(&stems).unwrap();
        let out = AtomicOutput::new(&stems.join("x.wav")).unwrap();
        std::fs::write(out.path(), b"data").unwrap();
        batch.add(out);
        assert_eq!(batch.commit().unwrap(), [stems.join("x.wav")]);
        assert_eq!(std::fs::read(stems.join("x.wav")).unwrap(), b"data");
        assert_eq!(std::fs::read_dir(&stems).unwrap().count(), 1);
    }

    #[test]
    fn a_seal_belongs_to_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.mp4");
        let stamp = |mark: &'static [u8]| -> Option<Seal> {
            Some(Box::new(move |p: &Path| {
                std::fs::write(p, mark).map_err(|e| Error::io(p, e))
            }))
        };
        // A failed writer's output is dropped with its seal: it never runs, nothing is left,
        // and the next output for the same target is not sealed by it.
        let failed = AtomicOutput::new(&target).unwrap().sealed(stamp(b"stale"));
        drop(failed);
        assert!(!target.exists());
        let plain = AtomicOutput::new(&target).unwrap();
        std::fs::write(plain.path(), b"data").unwrap();
        plain.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        // A batch seals each output before any is moved; a failing seal leaves none.
        let other = dir.path().join("other.mp4");
        let mut batch = Batch::new();
        let a = AtomicOutput::new(&target).unwrap().sealed(stamp(b"signed"));
        let failing: Seal = Box::new(|p: &Path| Err(Error::bad_input(p, "signing failed")));
        let b = AtomicOutput::new(&other).unwrap().sealed(Some(failing));
        batch.add(a);
        batch.add(b);
        assert!(batch.commit().is_err());
        assert_eq!(std::fs::read(&target).unwrap(), b"data");
        assert!(!other.exists());
        let mut batch = Batch::new();
        batch.add(AtomicOutput::new(&target).unwrap().sealed(stamp(b"signed")));
        batch.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"signed");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
