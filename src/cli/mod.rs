//! Subcommands: each module holds one command's arguments and its run function.

/// `println!` for command output: when stdout is closed early (`cutroom probe f | head -1`)
/// the rest is dropped instead of panicking, and the command ends with its own exit code.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if !$crate::cli::stdout_gone() {
            if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
                $crate::cli::stdout_failed(e);
            }
        }
    }};
}

mod api;
mod assemble;
mod audio_args;
mod bars;
mod batch;
mod concat;
mod duck;
mod emulate;
mod export;
mod fetch;
mod loudness;
mod probe;
mod provenance_args;
mod reference;
mod render;
mod schema;
mod swap;
mod sync;
mod videos;

use clap::Parser;
use cutroom::error::exit;
use cutroom::Result;
use std::process::ExitCode;

/// cutroom: turn generated video clips into finished, in-sync social cuts.
#[derive(Parser)]
#[command(name = "cutroom", version, about, propagate_version = true)]
pub struct Cli {
    /// No progress bars on stderr (they are also off when stderr is not a terminal).
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

/// Options shared by every subcommand.
pub struct Global {
    /// Suppress progress bars.
    pub quiet: bool,
}

/// The subcommands: those that only talk to the network and those that need FFmpeg.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Commands that work on media files (FFmpeg).
    #[command(flatten)]
    Media(MediaCommand),
    /// Commands that only talk to a /v1/videos API (no FFmpeg).
    #[command(flatten)]
    Network(NetworkCommand),
}

/// The subcommands that need FFmpeg: run by the `cutroom-media` binary.
#[derive(clap::Subcommand)]
pub enum MediaCommand {
    /// Describe media files: container, streams, timing, encoder delay, VFR.
    ///
    /// What it reports, its JSON and damaged packets: docs/probe.md.
    Probe(probe::Args),
    /// Replace a clip's soundtrack with an audio file; the picture is copied bit for bit.
    ///
    /// How the audio is read, placed and levelled: docs/audio.md.
    Swap(swap::Args),
    /// Lay a music bed under a clip's dialogue, lowered while someone speaks.
    ///
    /// How the dip follows the voice: docs/audio.md#cutroom-duck.
    Duck(duck::Args),
    /// Measure loudness (EBU R128): integrated, range, true peak, max short-term and momentary.
    ///
    /// Its JSON: docs/audio.md#cutroom-loudness.
    Loudness(loudness::Args),

    /// Join shots (whole files or an edit spec with trims and transitions) without A/V drift.
    ///
    /// How it joins, the edit spec and the JSON: docs/concat.md.
    Concat(concat::Args),

    /// Measure audio-video offset and drift without a reference; judge it against a standard.
    ///
    /// How it measures, the verdicts and the JSON: docs/sync.md.
    Sync(sync::Args),

    /// Serve a local stand-in of a video service (openai, openrouter, fal or replicate dialect;
    /// real marker clips, injectable faults).
    ///
    /// Endpoints, renders and counters: docs/emulate.md.
    Emulate(emulate::Args),
    /// Export social formats (9:16, 4:5, 1:1, 16:9) from one master in one decode.
    ///
    /// Presets, reframing and the JSON: docs/export.md.
    Export(export::Args),
    /// A cut spec to checked deliverables: fetch/render, concat, duck, loudness, export, sync.
    ///
    /// The run, re-runs, the spec and report.json: docs/assemble.md.
    Assemble(assemble::Args),
    /// One assemble per variant of a templated cut (`[vars]`), side by side, resumable,
    /// shardable over a Kubernetes Indexed Job or a Slurm job array.
    ///
    /// Variables, variants and sharding: docs/batch.md.
    Batch(Box<batch::Args>),
    /// Print the JSON Schema of the assemble spec (cut.toml / cut.json), or of an export card
    /// or overlays file.
    ///
    /// The spec: docs/assemble.md#the-spec.
    Schema(schema::Args),
}

/// The subcommands that only talk to the network (and the hidden `help-markdown`): the `cutroom`
/// binary runs them itself, without loading FFmpeg (downloads are checked by pure-Rust MP4 and
/// image header readers).
#[derive(clap::Subcommand)]
pub enum NetworkCommand {
    /// List, show, delete or remix render jobs on a video service (delete and remix: openai
    /// dialect only).
    ///
    /// Services, configuration and the JSON: docs/render.md.
    Videos(videos::Args),
    /// Download renders by id (waiting while they render) or MP4s by URL: resumed, verified, cached.
    ///
    /// The cache and the JSON: docs/render.md#cutroom-fetch; the checks: docs/fetch.md.
    Fetch(fetch::Args),
    /// Render a shot list: a job per shot, polled and downloaded; an interrupted run resumes.
    ///
    /// The shot list, the state file and the JSON: docs/render.md#cutroom-render.
    Render(render::Args),
    /// Print the option reference (docs/commands.md) as Markdown, made from these definitions.
    #[command(name = "help-markdown", hide = true)]
    HelpMarkdown,
}

/// Parse the command line (every command, so `--help` and usage errors cover them all) and
/// arm the signal handlers that remove partial outputs.
pub fn parse() -> (Command, Global) {
    use clap::{CommandFactory, FromArgMatches};
    let matches = unset_empty_env(Cli::command()).get_matches();
    let cli =
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.format(&mut Cli::command()).exit());
    cutroom::cleanup::on_signals();
    (cli.command, Global { quiet: cli.quiet })
}

/// `cmd` with every option whose environment variable is set but empty (or blank) taken as
/// not given, as OPENAI_BASE_URL and the key variables are: `SSL_CERT_FILE=` or
/// `CUTROOM_SIGN_TSA=` in the environment is no setting, not a usage error.
fn unset_empty_env(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|arg| {
        let blank = arg
            .get_env()
            .and_then(std::env::var_os)
            .is_some_and(|v| v.to_str().is_some_and(|v| v.trim().is_empty()));
        match blank {
            true => arg.env(None),
            false => arg,
        }
    })
    .mut_subcommands(unset_empty_env)
}

/// The exit status for a command's outcome; an error is printed as one line on stderr.
pub fn finish(outcome: Result<i32>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("cutroom: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

/// Run a command that needs FFmpeg; the `Ok` value is the process exit code.
pub fn run_media(cmd: MediaCommand, global: &Global) -> Result<i32> {
    match cmd {
        MediaCommand::Probe(a) => probe::run(a, global),
        MediaCommand::Swap(a) => swap::run(a, global),
        MediaCommand::Duck(a) => duck::run(a, global),
        MediaCommand::Loudness(a) => loudness::run(a, global),
        MediaCommand::Concat(a) => concat::run(a, global),
        MediaCommand::Sync(a) => sync::run(a, global),
        MediaCommand::Emulate(a) => emulate::run(a, global),
        MediaCommand::Export(a) => export::run(a, global),
        MediaCommand::Assemble(a) => assemble::run(a, global),
        MediaCommand::Batch(a) => batch::run(*a, global),
        MediaCommand::Schema(a) => schema::run(a),
    }
}

/// Run a network command; the `Ok` value is the process exit code.
pub fn run_network(cmd: NetworkCommand, global: &Global) -> Result<i32> {
    match cmd {
        NetworkCommand::Videos(a) => videos::run(a, global),
        NetworkCommand::Fetch(a) => fetch::run(a, global),
        NetworkCommand::Render(a) => render::run(a, global),
        NetworkCommand::HelpMarkdown => {
            outln!("{}", reference::markdown().trim_end());
            Ok(exit::OK)
        }
    }
}

/// An `-o OUT` of a command that writes an MP4: refused unless its extension is one an MP4
/// goes by (`out.mkv` would be an MP4 under a name that says otherwise, `out` one no player or
/// upload form takes for a video).
pub fn mp4_output() -> impl clap::builder::TypedValueParser<Value = std::path::PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().try_map(|s| mp4_path(s.into()))
}

fn mp4_path(path: std::path::PathBuf) -> std::result::Result<std::path::PathBuf, String> {
    const MP4: [&str; 3] = ["mp4", "m4v", "mov"];
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    match ext {
        Some(e) if MP4.contains(&e.to_ascii_lowercase().as_str()) => Ok(path),
        Some(e) => Err(format!(
            "the output is an MP4 (H.264 + AAC): name it .mp4, .m4v or .mov, not .{e}"
        )),
        None => Err(format!(
            "the output is an MP4 (H.264 + AAC): name it .mp4, .m4v or .mov ({} has no \
             extension)",
            path.display()
        )),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable report")
    );
}

/// Set when stdout's reader went away (`cutroom sync a.mp4 | head -1`).
static STDOUT_GONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether stdout's reader went away: what is left to print is dropped.
pub fn stdout_gone() -> bool {
    STDOUT_GONE.load(std::sync::atomic::Ordering::Relaxed)
}

/// After a failed write to stdout: when the reader went away, print nothing more but finish,
/// so the exit code is still the command's (a `sync` failure piped into `grep -q` exits 3, not
/// 0); otherwise end the process with an error.
pub fn stdout_failed(e: std::io::Error) {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        STDOUT_GONE.store(true, std::sync::atomic::Ordering::Relaxed);
        return;
    }
    let e = cutroom::error::os_words(&e);
    eprintln!("cutroom: error: cannot write to stdout: {e}");
    std::process::exit(exit::ERROR);
}

/// One entry of a multi-file report's `files[]`: the file's figures, or its error.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum FileEntry<T> {
    /// The figures.
    Ok(T),
    /// Why the file could not be handled.
    Err {
        /// The path as given.
        path: String,
        /// The error, one line.
        error: String,
    },
}

/// Run `work` on every file (with its index), in order; each failure is printed as one line on
/// stderr and kept as an entry, so the other files are still reported. A URL is no file: it is
/// said to be one, shown without its user info and query (a password, a signed token).
pub fn for_each_file<T>(
    files: &[std::path::PathBuf],
    mut work: impl FnMut(usize, &std::path::Path) -> Result<T>,
) -> Vec<FileEntry<T>> {
    files
        .iter()
        .enumerate()
        .map(|(i, path)| {
            let url = (path.to_str())
                .filter(|p| p.split_once("://").is_some_and(|(s, _)| is_scheme(s)))
                .map(cutroom::http::redact_url_text);
            let result = match &url {
                Some(shown) => Err(cutroom::Error::bad_input(
                    std::path::Path::new(shown),
                    "is a URL, not a file: download it first (`cutroom fetch URL -o DIR`)",
                )),
                None => work(i, path),
            };
            match result {
                Ok(v) => FileEntry::Ok(v),
                Err(e) => {
                    eprintln!("cutroom: error: {e}");
                    FileEntry::Err {
                        path: url.unwrap_or_else(|| path.display().to_string()),
                        error: e.to_string(),
                    }
                }
            }
        })
        .collect()
}

/// A URL scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// Print the entries as `{"files": [...]}` with `json`, else each success with `line`; true when
/// any file failed.
pub fn print_files<T: serde::Serialize>(
    entries: &[FileEntry<T>],
    json: bool,
    line: impl Fn(&T),
) -> bool {
    if json {
        #[derive(serde::Serialize)]
        struct Report<'a, T> {
            files: &'a [FileEntry<T>],
        }
        print_json(&Report { files: entries });
    } else {
        for e in entries {
            if let FileEntry::Ok(v) = e {
                line(v);
            }
        }
    }
    entries.iter().any(|e| matches!(e, FileEntry::Err { .. }))
}
