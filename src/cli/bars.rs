//! The command line's [`Progress`] sink: indicatif bars on stderr, drawn only on a terminal and
//! without `--quiet`; warnings and notes are printed either way.

use cutroom::progress::Progress;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

/// Bars drawn together on stderr: the task begun last, or one bar per job.
pub struct Bars {
    multi: MultiProgress,
    /// The current task's bar (the next [`Progress::start`] replaces it).
    bar: Mutex<Option<ProgressBar>>,
    /// Its look: a task's or a job's.
    look: Look,
}

/// How a bar is drawn once its size is known, and before (a bar of 0 would read 100 %).
#[derive(Clone, Copy)]
struct Look {
    known: &'static str,
    unknown: &'static str,
}

const TASK: Look = Look {
    known: "{prefix:>10} [{bar:30}] {percent:>3}% {msg} (eta {eta})",
    unknown: "{prefix:>10} {spinner} {msg}",
};
const JOB: Look = Look {
    known: "{prefix:>14} [{bar:30}] {percent:>3}% {msg}",
    unknown: "{prefix:>14} {spinner} {msg}",
};

impl Look {
    fn style(self, total: u64) -> ProgressStyle {
        let template = if total == 0 { self.unknown } else { self.known };
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> ")
    }
}

impl Bars {
    /// Bars hidden when `quiet` or when stderr is not a terminal (CI logs, pipes).
    pub fn new(quiet: bool) -> Self {
        let multi = if quiet || !std::io::stderr().is_terminal() {
            MultiProgress::with_draw_target(ProgressDrawTarget::hidden())
        } else {
            MultiProgress::new()
        };
        Self {
            multi,
            bar: Mutex::new(None),
            look: TASK,
        }
    }

    /// Print `msg` above the bars; nothing when they are hidden.
    pub fn println(&self, msg: &str) {
        self.with(|b| b.println(msg));
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Some(b) = self.bar.lock().expect("bar lock").as_ref() {
            f(b);
        }
    }

    fn add(&self, total: u64, look: Look, label: &str) -> ProgressBar {
        let pb = self.multi.add(ProgressBar::new(total));
        pb.set_style(look.style(total));
        pb.set_prefix(label.to_string());
        pb
    }
}

impl Progress for Bars {
    fn start(&self, what: &str, total: u64) {
        let pb = self.add(total, TASK, what);
        if let Some(old) = self.bar.lock().expect("bar lock").replace(pb) {
            old.finish_and_clear();
        }
    }

    fn set_total(&self, total: u64) {
        self.with(|b| {
            if (b.length() == Some(0)) != (total == 0) {
                b.set_style(self.look.style(total));
            }
            b.set_length(total);
        });
    }

    fn advance(&self, n: u64) {
        self.with(|b| b.inc(n));
    }

    fn set_done(&self, done: u64) {
        self.with(|b| b.set_position(done));
    }

    fn status(&self, msg: &str) {
        self.with(|b| b.set_message(msg.to_string()));
    }

    fn finish(&self, outcome: Option<&str>) {
        if let Some(b) = self.bar.lock().expect("bar lock").take() {
            match outcome {
                Some(m) => b.finish_with_message(m.to_string()),
                None => b.finish_and_clear(),
            }
        }
    }

    fn warn(&self, msg: &str) {
        self.multi.suspend(|| eprintln!("cutroom: warning: {msg}"));
    }

    fn note(&self, msg: &str) {
        self.multi.suspend(|| eprintln!("cutroom: {msg}"));
    }

    /// A bar of percent (a download may re-size it to bytes) with a status message.
    fn job(&self, label: &str) -> Box<dyn Progress> {
        let bar = self.add(100, JOB, label);
        Box::new(Bars {
            multi: self.multi.clone(),
            bar: Mutex::new(Some(bar)),
            look: JOB,
        })
    }
}
