#![forbid(unsafe_code)]
//! The `cutroom` command line: runs the network commands (`videos`, `fetch`, `render`) itself and
//! hands every other command to `cutroom-media`, so it links no FFmpeg library and starts fast.

// The media commands are compiled here only for their arguments (so `--help` and usage errors
// cover every command); their code is never called, so the linker leaves FFmpeg out.
#[allow(dead_code)]
mod cli;

use cli::Command;
use cutroom::error::os_words;
use cutroom::Error;
use std::process::ExitCode;

/// The file name of the binary that runs [`cli::MediaCommand`]s, installed beside `cutroom`.
const MEDIA_BINARY: &str = "cutroom-media";

/// Parse the whole command line, run network commands here, and replace this process with
/// [`MEDIA_BINARY`] (same PID, same arguments) for the others, so start-up never pays for
/// loading FFmpeg's libraries.
fn main() -> ExitCode {
    let (command, global) = cli::parse();
    cli::finish(match command {
        Command::Network(cmd) => cli::run_network(cmd, &global),
        Command::Media(_) => Err(exec_media()),
    })
}

/// Replace this process with [`MEDIA_BINARY`] from this executable's directory, passing the
/// arguments (`argv[0]` included) unchanged; returns only on failure, with the path it tried.
fn exec_media() -> Error {
    use std::os::unix::process::CommandExt;
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            let e = os_words(&e);
            return Error::bad_input(
                std::path::Path::new(MEDIA_BINARY),
                format!("cannot find it: the path of the running cutroom is unknown ({e})"),
            );
        }
    };
    let media = exe.with_file_name(MEDIA_BINARY);
    let mut args = std::env::args_os();
    let mut cmd = std::process::Command::new(&media);
    if let Some(arg0) = args.next() {
        cmd.arg0(arg0);
    }
    let e = os_words(&cmd.args(args).exec());
    Error::bad_input(
        &media,
        format!(
            "cannot run the media binary ({e}); every command but videos, fetch and render \
             needs {MEDIA_BINARY} installed beside cutroom (`cargo install --path .` installs both)"
        ),
    )
}
