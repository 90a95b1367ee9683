//! Progress on stderr: a bar with ETA on a terminal, one plain line per finished run otherwise, nothing
//! with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::run::RunSummary;

/// Sweep progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: u64,
    done: AtomicU64,
}

impl Progress {
    /// Progress over `total` runs.
    pub fn new(total: u64, quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let bar = (!quiet && tty && total > 0).then(|| {
            let b = ProgressBar::new(total);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, ETA {eta}  {msg}",
                )
                .expect("valid template"),
            );
            b
        });
        Progress { bar, plain: !quiet && !tty, total, done: AtomicU64::new(0) }
    }

    /// Notes a finished run.
    pub fn finished(&self, s: &RunSummary) {
        let k = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let acc = s.val.as_ref().map_or(String::from("-"), |p| format!("{:.4}", p.accuracy));
        if let Some(b) = &self.bar {
            b.set_message(format!("{} ({}, val {acc})", s.name, s.status));
            b.inc(1);
        } else if self.plain {
            eprintln!("[{k}/{}] {} {} val_acc={acc} {:.1}s", self.total, s.name, s.status, s.wall_seconds);
        }
    }

    /// Removes the bar.
    pub fn close(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
