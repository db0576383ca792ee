//! Subcommands: each module holds one command's arguments and its run function.

mod export;
mod probe;

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
    /// Export social formats (9:16, 4:5, 1:1, 16:9) from one master in one decode.
    Export(export::Args),
}

/// Run a subcommand; the `Ok` value is the process exit code.
pub fn run(cmd: Command, global: &Global) -> Result<i32> {
    match cmd {
        Command::Probe(a) => probe::run(a, global),
        Command::Export(a) => export::run(a, global),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable report")
    );
}
