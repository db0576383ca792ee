//! Subcommands: each module holds one command's arguments and its run function.

mod concat;
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
    /// Join shots (whole files or an edit spec with trims and transitions) without A/V drift.
    Concat(concat::Args),
}

/// Run a subcommand; the `Ok` value is the process exit code.
pub fn run(cmd: Command, global: &Global) -> Result<i32> {
    match cmd {
        Command::Probe(a) => probe::run(a, global),
        Command::Concat(a) => concat::run(a, global),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable report")
    );
}
