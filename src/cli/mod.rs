//! Subcommands: each module holds one command's arguments and its run function.

mod api;
mod emulate;
mod fetch;
mod probe;
mod render;
mod videos;

use cutroom::Result;

/// Options shared by every subcommand.
pub struct Global {
    /// Suppress progress bars.
    pub quiet: bool,
}

/// The subcommands.
#[derive(clap::Subcommand)]
pub enum Command {
    /// Describe media files: container, streams, timing, encoder delay, VFR.
    Probe(probe::Args),
    /// List, show, delete or remix render jobs on an OpenAI-compatible /v1/videos API.
    Videos(videos::Args),
    /// Download renders by id (waiting while they render) or MP4s by URL: resumed, verified, cached.
    Fetch(fetch::Args),
    /// Render a shot list: a job per shot, polled and downloaded; an interrupted run resumes.
    Render(render::Args),
    /// Serve a local stand-in of the /v1/videos API (real marker clips, injectable faults).
    Emulate(emulate::Args),
}

/// Run a subcommand; the `Ok` value is the process exit code.
pub fn run(cmd: Command, global: &Global) -> Result<i32> {
    match cmd {
        Command::Probe(a) => probe::run(a, global),
        Command::Videos(a) => videos::run(a, global),
        Command::Fetch(a) => fetch::run(a, global),
        Command::Render(a) => render::run(a, global),
        Command::Emulate(a) => emulate::run(a, global),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable report")
    );
}
