#![forbid(unsafe_code)]
//! `cutroom-media`: every cutroom command in one process, FFmpeg linked; `cutroom` execs it for
//! the commands that work on media files.

#[path = "../cli/mod.rs"]
mod cli;

use cli::Command;

fn main() -> std::process::ExitCode {
    let (command, global) = cli::parse();
    cli::finish(match command {
        Command::Network(cmd) => cli::run_network(cmd, &global),
        Command::Media(cmd) => cli::run_media(cmd, &global),
    })
}
