#![forbid(unsafe_code)]
//! The `cutroom` command line: a thin clap front end over the library.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// cutroom: turn generated video clips into finished, in-sync social cuts.
#[derive(Parser)]
#[command(name = "cutroom", version, about, propagate_version = true)]
struct Cli {
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: cli::Command,
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let global = cli::Global { quiet: args.quiet };
    match cli::run(args.command, &global) {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("cutroom: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
