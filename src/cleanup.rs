//! Our temp files never outlive a run: the live ones are removed on SIGINT/SIGTERM, and those a
//! killed run (`kill -9`, a power cut) left behind are removed by the next run that writes to
//! the same directory. Only names of our own making are touched, and only when the process that
//! made them (the PID in the name) is gone.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Temp names in use by this process: id, directory, and the name prefix (holding our PID),
/// or no prefix for a directory the run made for its outputs.
static LIVE: Mutex<Vec<(u64, PathBuf, Option<String>)>> = Mutex::new(Vec::new());
/// Directories already swept of stale temp files by this process.
static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
/// Held while a set of outputs is moved into place ([`moving_into_place`]).
static MOVING: Mutex<()> = Mutex::new(());
/// Shared while a temp file is created ([`making`]); taken for good by the signal handler.
static MAKING: RwLock<()> = RwLock::new(());
/// Set when SIGINT or SIGTERM has arrived and its handler is on its way to the exit.
static SIGNALLED: AtomicBool = AtomicBool::new(false);
/// What the handler says on stderr before it exits, by [`Note`] ([`note_on_signal`]).
static NOTES: Mutex<Vec<(u64, String)>> = Mutex::new(Vec::new());

/// Say `note` (how to resume what was interrupted) on stderr should SIGINT or SIGTERM end
/// the run while the returned guard lives. Several may live at once (a batch's variants
/// rendering side by side): each is said, in the order they were made.
pub fn note_on_signal(note: String) -> Note {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    lock(&NOTES).push((id, note));
    Note(id)
}

/// A note said on SIGINT or SIGTERM until dropped ([`note_on_signal`]).
#[derive(Debug)]
pub struct Note(u64);

impl Drop for Note {
    fn drop(&mut self) {
        lock(&NOTES).retain(|(id, _)| *id != self.0);
    }
}

/// What the signal handler says now: one `cutroom: NOTE` line per live note.
fn said_on_signal() -> String {
    lock(&NOTES)
        .iter()
        .map(|(_, note)| format!("cutroom: {note}\n"))
        .collect()
}

/// Prefix of [`crate::output::AtomicOutput`]'s temp files for target `name`:
/// `.<name>.<pid>.` (followed by 6 random characters and the target's extension).
pub fn temp_prefix(name: &str) -> String {
    format!(".{name}.{}.", std::process::id())
}

/// Prefix of `assemble`'s working directory: `.assemble-<pid>-` (then 6 random characters).
pub fn assemble_dir_prefix() -> String {
    format!(".assemble-{}-", std::process::id())
}

/// Temp files or directories named `<prefix>...` in a directory, removed on SIGINT/SIGTERM
/// while this guard lives. Registered before they are created, so none is ever missed; the
/// prefix holds our PID, so only ours match.
#[derive(Debug)]
pub struct Live(u64);

impl Live {
    /// Register the temp names starting with `prefix` in `dir`.
    pub fn names(dir: &Path, prefix: &str) -> Self {
        Self::register(dir, Some(prefix.to_string()))
    }

    /// Register `dir`, made by this run for its outputs: removed on SIGINT/SIGTERM when it is
    /// empty once the temp files are gone.
    pub fn made_dir(dir: &Path) -> Self {
        Self::register(dir, None)
    }

    fn register(dir: &Path, prefix: Option<String>) -> Self {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        lock(&LIVE).push((id, dir.to_path_buf(), prefix));
        Self(id)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        lock(&LIVE).retain(|(id, _, _)| *id != self.0);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Run `make`, which makes a registered temp name appear: creates the file, opens it for
/// writing as FFmpeg does (recreating it if it was removed), or renames another onto it. It
/// never runs once a signal's sweep has begun, so the sweep misses no file and none appears
/// after it; it must not call `making` itself.
pub fn making<T>(make: impl FnOnce() -> T) -> T {
    let _shared = MAKING
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    make()
}

/// While the guard lives, SIGINT and SIGTERM wait to remove temp files and exit: a set of
/// outputs being moved into place ([`crate::output::Batch::commit`]) is then moved whole, never
/// left half new (an output renamed, the next one's temp file removed).
pub fn moving_into_place() -> std::sync::MutexGuard<'static, ()> {
    lock(&MOVING)
}

/// After a set of outputs is in place: when a signal arrived meanwhile, wait here for its
/// handler to exit with the signal's status, rather than race it to a normal exit (status 0).
pub fn yield_to_a_signal() {
    if SIGNALLED.load(Ordering::SeqCst) {
        loop {
            std::thread::park();
        }
    }
}

/// On SIGINT or SIGTERM, remove every live temp path and exit with 128 + the signal number, as
/// the default action would report it (after a set of outputs being moved into place is in
/// place). Call once, at start-up.
pub fn on_signals() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            SIGNALLED.store(true, Ordering::SeqCst);
            // Before the live names: a commit lets its names go as it renames them.
            let _whole = moving_into_place();
            // Held until the exit: no temp file appears after the sweep (a temp file being
            // created is there before it), and no temp name is registered or let go meanwhile.
            let _made = MAKING
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let live = lock(&LIVE);
            for (_, dir, prefix) in live.iter() {
                let Some(prefix) = prefix else { continue };
                let Ok(entries) = std::fs::read_dir(dir) else {
                    continue;
                };
                for e in entries.flatten() {
                    if e.file_name().to_string_lossy().starts_with(prefix.as_str()) {
                        let path = e.path();
                        let _ = match e.file_type() {
                            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
                            _ => std::fs::remove_file(&path),
                        };
                    }
                }
            }
            // Innermost first; only when empty: never what someone else put there meanwhile.
            for (_, dir, _) in live.iter().rev().filter(|(_, _, p)| p.is_none()) {
                let _ = std::fs::remove_dir(dir);
            }
            eprint!("{}", said_on_signal());
            std::process::exit(128 + sig);
        }
    });
}

/// Remove the temp files and directories of our naming in `dir` whose process is gone (once
/// per directory per run). Without `/proc` nothing is removed: a live run is never guessed dead.
pub fn remove_stale(dir: &Path) {
    let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    {
        let mut swept = lock(&SWEPT);
        if swept.contains(&key) {
            return;
        }
        swept.push(key);
    }
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = owner(&name) else {
            continue;
        };
        if pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists() {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(t) if t.is_dir() && name.starts_with(".assemble-") => std::fs::remove_dir_all(&path),
            Ok(t) if t.is_file() && !name.starts_with(".assemble-") => std::fs::remove_file(&path),
            _ => Ok(()),
        };
    }
}

/// The PID in one of our temp names: `.assemble-<pid>-<rand>` or
/// `.<target>.<pid>.<rand>[.<ext>]`, where a target with an extension `ext` repeats it at the
/// end; `None` for any other name.
fn owner(name: &str) -> Option<u32> {
    let random = |s: &str| s.len() == 6 && s.chars().all(|c| c.is_ascii_alphanumeric());
    let pid = |s: &str| {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(rest) = name.strip_prefix(".assemble-") {
        let (p, r) = rest.split_once('-')?;
        return if random(r) { pid(p) } else { None };
    }
    let parts: Vec<&str> = name.strip_prefix('.')?.split('.').collect();
    let n = parts.len();
    // With an extension: target (ending in `.ext`), pid, random, ext.
    if n >= 4 {
        let (target, ext) = (parts[..n - 3].join("."), parts[n - 1]);
        if random(parts[n - 2]) && target.ends_with(&format!(".{ext}")) {
            if let Some(p) = pid(parts[n - 3]) {
                return Some(p);
            }
        }
    }
    // Without: target (no extension), pid, random.
    if n >= 3 {
        let target = parts[..n - 2].join(".");
        if random(parts[n - 1]) && !target.is_empty() && Path::new(&target).extension().is_none() {
            return pid(parts[n - 2]);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_live_note_is_said_on_a_signal() {
        let first = note_on_signal("first.state.json keeps its jobs".into());
        let second = note_on_signal("second.state.json keeps its jobs".into());
        drop(first);
        let said = said_on_signal();
        assert!(
            !said.contains("first") && said.contains("cutroom: second.state.json keeps"),
            "{said}"
        );
        let third = note_on_signal("third".into());
        let said = said_on_signal();
        assert!(
            said.find("cutroom: second").unwrap() < said.find("cutroom: third\n").unwrap(),
            "{said}"
        );
        drop((second, third));
        assert!(!said_on_signal().contains("keeps"));
    }

    #[test]
    fn only_our_names_have_owners() {
        assert_eq!(owner(".out.mp4.4242.aB3xYz.mp4"), Some(4242));
        assert_eq!(owner(".cut.tiktok.mp4.17.ZZZZZZ.mp4"), Some(17));
        assert_eq!(owner(".Makefile.9.abcdef"), Some(9));
        assert_eq!(owner(".assemble-77-q1w2e3"), Some(77));
        for other in [
            "out.mp4",
            ".out.mp4.aB3xYz.mp4",
            ".out.mp4.4242.aB3xYz.mov",
            ".out.mp4.42x.aB3xYz.mp4",
            ".assemble-77-",
            ".assemble-x-q1w2e3",
            ".git",
            ".config.json.12.abc.json",
        ] {
            assert_eq!(owner(other), None, "{other}");
        }
    }
}
