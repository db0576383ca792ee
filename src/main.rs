#![forbid(unsafe_code)]
//! The `cutroom` command line: runs the network commands (`videos`, `fetch`, `render`) itself and
//! hands every other command to `cutroom-media`, so it links no FFmpeg library and starts fast.

fn main() -> std::process::ExitCode {
    cutroom::cli::main_light()
}
