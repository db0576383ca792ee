//! The library error type and the CLI exit codes it maps to.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in cutroom, each variant naming the file or input at fault.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// FFmpeg failed on a media file (open, read, decode, encode, mux).
    #[error(transparent)]
    Media(#[from] cutroom_ffi::Error),
    /// A file could not be read or written.
    #[error("{}: {}", path.display(), os_words(source))]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An input file is not what the operation needs (no video, trim outside the clip, ...).
    #[error("{}: {reason}", path.display())]
    BadInput {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A text file (a spec) is wrong at a place: its syntax, or a key it does not know.
    #[error("{}:{line}:{column}: {reason}", path.display())]
    BadInputAt {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The column, from 1.
        column: usize,
        /// What is wrong there.
        reason: String,
    },
    /// Several things failed (what they are says the header); all of them are listed so the
    /// user can fix them in one go.
    #[error("{}:\n{}", .0.header(.1.len()), .1.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
    Many(Several, Vec<Error>),
    /// The command line is wrong (conflicting options, a bad value): exit code 2. A value read
    /// from a file (a spec, a presets file) is that file's [`Error::BadInput`] instead.
    #[error("{0}")]
    Usage(String),
    /// A network or remote-API failure.
    #[error("{0}")]
    Remote(String),
    /// A finished render that can no longer be downloaded: the provider dropped its result or
    /// its file, and no fresh link is to be had. Only a new (billed) render replaces it.
    #[error("{0}")]
    Gone(String),
    /// A remote API answered with an error status.
    #[error("{message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The URL answered (user info and query redacted).
        url: String,
        /// What went wrong, with the status and the API's own explanation.
        message: String,
    },
    /// The machine cannot give the command what it needs (a port to listen on, a work
    /// directory, a runtime).
    #[error("{0}")]
    Unavailable(String),
    /// A step of cutroom's own refused its data (loudness meter, encoder, serialiser).
    #[error("{0}")]
    Internal(String),
    /// The work would exceed a limit the user set (`--max-cost`); nothing was started.
    #[error("{0}")]
    OverLimit(String),
    /// `source` happened while doing `what` (signing a file, a request, ...): its kind, fields
    /// and exit code are kept.
    #[error("{what}: {source}")]
    Context {
        /// What was being done, named for the user (`GET https://...`).
        what: String,
        /// The error itself.
        source: Box<Error>,
    },
    /// `source` is about one shot of a cut or shot list (`shot 3: b.mp4: no such file`): its
    /// kind, fields and exit code are kept, and [`crate::specfile::in_spec`] names the spec.
    #[error("shot {number}: {source}")]
    Shot {
        /// The shot's position, from 1.
        number: usize,
        /// The error itself.
        source: Box<Error>,
    },
}

/// What the errors of an [`Error::Many`] are about, which its header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Several {
    /// Inputs the command cannot use (files, shots, a spec's values).
    Inputs,
    /// Outputs that could not be made (an encoder's or a writer's failure).
    Outputs,
    /// Requests a remote service refused or did not answer.
    Requests,
    /// Shots of a shot list that were not rendered.
    Shots,
}

impl Several {
    /// The header of `n` such errors: `3 inputs are unusable`.
    fn header(self, n: usize) -> String {
        match self {
            Self::Inputs => format!("{n} inputs are unusable"),
            Self::Outputs => format!("{n} outputs failed"),
            Self::Requests => format!("{n} requests failed"),
            Self::Shots => format!("{n} shots failed"),
        }
    }
}

impl Error {
    /// An [`Error::Io`] for `path` (see [`os_error`]).
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source: os_error(source),
        }
    }

    /// `path` could not be written, the OS's reason in plain words ([`os_words`]):
    /// `out/c.mp4: cannot write: the disk is full`.
    pub fn cannot_write(path: &Path, source: &std::io::Error) -> Self {
        Self::bad_input(path, format!("cannot write: {}", os_words(source)))
    }

    /// An [`Error::BadInput`] for `path`.
    pub fn bad_input(path: &Path, reason: impl Into<String>) -> Self {
        Self::BadInput {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// An [`Error::Unavailable`] for a work directory that cannot be made in the system's
    /// temporary directory.
    pub fn work_dir(source: std::io::Error) -> Self {
        Self::Unavailable(format!(
            "cannot make a work directory in {}: {}",
            std::env::temp_dir().display(),
            os_error(source)
        ))
    }

    /// This error as having happened while doing `what`: the message gains `what: ` in front,
    /// the kind, its fields and the exit code stay.
    pub fn context(self, what: impl Into<String>) -> Self {
        Self::Context {
            what: what.into(),
            source: Box::new(self),
        }
    }

    /// This error as about shot `index` (from 0) of a cut: the message gains `shot N: ` in
    /// front (N from 1), the kind, its fields and the exit code stay.
    pub fn of_shot(self, index: usize) -> Self {
        Self::Shot {
            number: index + 1,
            source: Box::new(self),
        }
    }

    /// The error under any [`Error::Context`] and [`Error::Shot`] layers: its kind and fields.
    pub fn without_context(&self) -> &Self {
        match self {
            Self::Context { source, .. } | Self::Shot { source, .. } => source.without_context(),
            e => e,
        }
    }

    /// This error for values read from the file `path` (a spec), not given on the command
    /// line: a usage error becomes that file's [`Error::BadInput`]; other kinds stay.
    pub fn read_from(self, path: &Path) -> Self {
        match self {
            Self::Usage(reason) => Self::bad_input(path, reason),
            Self::Many(of, all) => {
                Self::Many(of, all.into_iter().map(|e| e.read_from(path)).collect())
            }
            Self::Context { what, source } => Self::Context {
                what,
                source: Box::new(source.read_from(path)),
            },
            Self::Shot { number, source } => Self::Shot {
                number,
                source: Box::new(source.read_from(path)),
            },
            e => e,
        }
    }

    /// `Ok` when `errors` (about `of`) is empty, else the one error, or all of them as
    /// [`Error::Many`].
    pub fn all(of: Several, mut errors: Vec<Error>) -> Result<()> {
        match errors.len() {
            0 => Ok(()),
            1 => Err(errors.remove(0)),
            _ => Err(Self::Many(of, errors)),
        }
    }

    /// The process exit code for this error: 2 for command-line errors, 5 over a limit the
    /// user set, 69 when the machine cannot give what the command needs, 70 for a failure of
    /// cutroom's own, 1 for the rest. Several errors exit with their common code, or 1 when
    /// their codes differ.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::Usage(_) => exit::USAGE,
            Self::OverLimit(_) => exit::OVER_LIMIT,
            Self::Unavailable(_) => exit::UNAVAILABLE,
            Self::Internal(_) => exit::INTERNAL,
            Self::Context { source, .. } | Self::Shot { source, .. } => source.exit_code(),
            Self::Many(_, all) => {
                let mut codes = all.iter().map(Self::exit_code);
                let first = codes.next().unwrap_or(exit::ERROR);
                if codes.all(|c| c == first) {
                    first
                } else {
                    exit::ERROR
                }
            }
            _ => exit::ERROR,
        }
    }
}

/// `e` as the OS said it, without the temp file's name `tempfile` adds to its errors
/// (`... at path "/out/.tmpAb12"`): an error names the file the user gave, never our own.
pub fn os_error(e: std::io::Error) -> std::io::Error {
    // tempfile's wrapper is private and gives no way back to the OS error but its text.
    let said = match e.get_ref() {
        Some(wrapped) => wrapped.to_string(),
        None => return e,
    };
    match said.split_once(" at path \"") {
        Some((os, _)) => std::io::Error::new(e.kind(), os.to_string()),
        None => e,
    }
}

/// What the OS said, in plain words for the user and without Rust's `(os error N)`: "the disk
/// is full", "the file system is read-only", "permission denied", else the OS's own sentence.
pub fn os_words(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull => "the disk is full".into(),
        K::ReadOnlyFilesystem => "the file system is read-only".into(),
        K::PermissionDenied => "permission denied".into(),
        // An OS error a library kept only as text (`... (os error 28)`): its number says it.
        _ if e.raw_os_error().is_none() => match os_error_in(&e.to_string()) {
            Some(n) => os_words(&std::io::Error::from_raw_os_error(n)),
            None => e.to_string(),
        },
        _ => {
            let said = e.to_string();
            match said.rsplit_once(" (os error ") {
                Some((words, _)) => words.to_string(),
                None => said,
            }
        }
    }
}

/// The OS error number in `text` (`... (os error 28) ...`), where a library kept only its text.
pub fn os_error_in(text: &str) -> Option<i32> {
    let (_, after) = text.rsplit_once("(os error ")?;
    after.split(')').next()?.parse().ok()
}

/// `message` followed by what to do about it: the one way a hint joins an error, after `; `,
/// the message's own closing full stop (often a remote API's sentence) dropped first.
pub fn with_hint(message: &str, hint: &str) -> String {
    let message = message.trim_end().trim_end_matches('.').trim_end();
    format!("{message}; {hint}")
}

/// Result with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Exit codes of the `cutroom` binary (documented in README).
pub mod exit {
    /// Success (and, for checks, a pass).
    pub const OK: i32 = 0;
    /// An error: bad input, I/O, media or network failure.
    pub const ERROR: i32 = 1;
    /// A usage error: unknown option, bad value.
    pub const USAGE: i32 = 2;
    /// A check ran and did not pass (sync `fail`).
    pub const CHECK_FAILED: i32 = 3;
    /// A check ran and could not tell (sync `inconclusive`: too little evidence).
    pub const INCONCLUSIVE: i32 = 4;
    /// The work would exceed a limit the user set (`render --max-cost`); nothing was started.
    pub const OVER_LIMIT: i32 = 5;
    /// The machine cannot give the command what it needs: a port to listen on, a work
    /// directory, a runtime (`EX_UNAVAILABLE` of sysexits.h).
    pub const UNAVAILABLE: i32 = 69;
    /// A step of cutroom's own failed on data it made: meter, encoder, serialiser
    /// (`EX_SOFTWARE` of sysexits.h): a bug to report.
    pub const INTERNAL: i32 = 70;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keeps_the_kind_its_fields_and_the_exit_code() {
        let http = Error::Http {
            status: 404,
            url: "https://x.example/v1/videos/v".into(),
            message: "404 Not Found".into(),
        };
        let e = http.context("shot 3").context("assemble");
        assert_eq!(e.to_string(), "assemble: shot 3: 404 Not Found");
        assert!(matches!(
            e.without_context(),
            Error::Http { status: 404, .. }
        ));
        assert_eq!(e.exit_code(), exit::ERROR);
        let busy = Error::Unavailable("port in use".into()).context("shot 1");
        assert_eq!(busy.exit_code(), exit::UNAVAILABLE);
    }

    #[test]
    fn an_os_error_from_tempfile_names_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("gone");
        let e = tempfile::Builder::new().tempfile_in(&missing).unwrap_err();
        assert!(
            e.to_string().contains(".tmp"),
            "tempfile names its file: {e}"
        );
        let target = missing.join("cut.mp4");
        let said = Error::io(&target, e).to_string();
        assert_eq!(
            said,
            format!("{}: No such file or directory", target.display())
        );
        let e = tempfile::Builder::new().tempdir_in(&missing).unwrap_err();
        assert!(!Error::work_dir(e).to_string().contains(".tmp"));
    }

    #[test]
    fn os_errors_are_said_in_plain_words_without_their_number() {
        let os = |n| os_words(&std::io::Error::from_raw_os_error(n));
        // ENOSPC, EROFS, EACCES, EPERM, EFBIG, ENOENT on Linux.
        assert_eq!(os(28), "the disk is full");
        assert_eq!(os(30), "the file system is read-only");
        assert_eq!(os(13), "permission denied");
        assert_eq!(os(1), "permission denied");
        assert_eq!(os(27), "File too large");
        assert_eq!(os(2), "No such file or directory");
        let e = Error::io(
            Path::new("out/c.mp4"),
            std::io::Error::from_raw_os_error(28),
        );
        assert_eq!(e.to_string(), "out/c.mp4: the disk is full");
        // Kept by a library as text only (plotters through image).
        let wrapped = std::io::Error::other("No space left on device (os error 28)");
        assert_eq!(os_words(&wrapped), "the disk is full");
        let text = "ImageError(IoError(Custom { error: \"Read-only file system (os error 30)\" }))";
        assert_eq!(os_error_in(text), Some(30));
    }

    #[test]
    fn a_hint_joins_once_after_the_message_s_full_stop() {
        let hint = "rerun with --retry-failed";
        let want = "job failed: it broke; rerun with --retry-failed";
        assert_eq!(with_hint("job failed: it broke.", hint), want);
        assert_eq!(with_hint("job failed: it broke. ", hint), want);
        assert_eq!(with_hint("job failed: it broke", hint), want);
    }

    #[test]
    fn several_errors_exit_with_their_common_code_or_1() {
        let busy = || Error::Unavailable("port in use".into());
        let usage = || Error::Usage("--fps 0".into());
        assert_eq!(
            Error::Many(Several::Inputs, vec![busy(), busy().context("shot 2")]).exit_code(),
            exit::UNAVAILABLE
        );
        assert_eq!(
            Error::Many(Several::Inputs, vec![usage(), usage()]).exit_code(),
            exit::USAGE
        );
        assert_eq!(
            Error::Many(Several::Inputs, vec![usage(), busy()]).exit_code(),
            exit::ERROR
        );
    }

    #[test]
    fn a_usage_error_read_from_a_file_is_that_files_bad_input() {
        let spec = Path::new("cut.toml");
        let e = Error::Usage("URL \"x\": relative URL".into())
            .context("shot 2")
            .read_from(spec);
        assert_eq!(e.exit_code(), exit::ERROR);
        assert_eq!(e.to_string(), "shot 2: cut.toml: URL \"x\": relative URL");
        let many = Error::Many(
            Several::Inputs,
            vec![Error::Usage("a".into()), Error::Internal("b".into())],
        );
        let Error::Many(_, all) = many.read_from(spec) else {
            panic!("still several")
        };
        assert!(matches!(&all[0], Error::BadInput { path, .. } if path == spec));
        assert_eq!(all[1].exit_code(), exit::INTERNAL);
    }
}
