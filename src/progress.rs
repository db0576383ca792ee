//! Progress bars on stderr: shown only on a terminal and without `--quiet`.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Create a progress bar of `len` units labelled `label`; hidden when `quiet` or when stderr is
/// not a terminal (CI logs, pipes).
pub fn bar(len: u64, label: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::hidden());
    }
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {percent:>3}% {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    pb
}

/// A set of bars drawn together on stderr (one per job); hidden when `quiet` or when stderr is
/// not a terminal.
pub fn multi(quiet: bool) -> indicatif::MultiProgress {
    if quiet || !std::io::stderr().is_terminal() {
        indicatif::MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
    } else {
        indicatif::MultiProgress::new()
    }
}

/// A bar for one job in `multi`: label, percent and a status message (`queued`,
/// `in_progress`, `downloading`, ...). Its length may change from percent to bytes.
pub fn job_bar(multi: &indicatif::MultiProgress, label: &str) -> ProgressBar {
    let pb = multi.add(ProgressBar::new(100));
    pb.set_style(
        ProgressStyle::with_template("{prefix:>14} [{bar:30}] {percent:>3}% {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_prefix(label.to_string());
    pb
}
