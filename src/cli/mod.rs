//! Subcommands: each module holds one command's arguments and its run function.

mod audio_args;
mod duck;
mod loudness;

mod concat;
mod probe;
mod swap;

mod sync;

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
    /// Replace a clip's soundtrack with an audio file; the picture is copied bit for bit.
    Swap(swap::Args),
    /// Lay a music bed under a clip's dialogue, lowered while someone speaks.
    Duck(duck::Args),
    /// Measure loudness (EBU R128): integrated, range, true peak, max short-term and momentary.
    Loudness(loudness::Args),

    /// Join shots (whole files or an edit spec with trims and transitions) without A/V drift.
    Concat(concat::Args),

    /// Measure audio-video offset and drift without a reference; judge it against a standard.
    Sync(sync::Args),
}

/// Run a subcommand; the `Ok` value is the process exit code.
pub fn run(cmd: Command, global: &Global) -> Result<i32> {
    match cmd {
        Command::Probe(a) => probe::run(a, global),
        Command::Swap(a) => swap::run(a, global),
        Command::Duck(a) => duck::run(a, global),
        Command::Loudness(a) => loudness::run(a, global),

        Command::Concat(a) => concat::run(a, global),

        Command::Sync(a) => sync::run(a, global),
    }
}

/// Print `value` as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("serialisable report")
    );
}
