#![forbid(unsafe_code)]
//! `cutroom-media`: every cutroom command in one process, FFmpeg linked; `cutroom` execs it for
//! the commands that work on media files.

fn main() -> std::process::ExitCode {
    cutroom::cli::main_media()
}
