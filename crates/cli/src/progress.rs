//! Progress on stderr: a bar with ETA on a terminal, one plain line per finished run (with an ETA)
//! otherwise, nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::run::RunSummary;

/// Sweep progress.
pub struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    total: u64,
    done: AtomicU64,
    started: Instant,
}

/// Time left if the remaining runs take as long on average as the finished ones: "2h05m", "4m10s", "12s".
fn eta(elapsed: Duration, done: u64, total: u64) -> String {
    let left = (elapsed.as_secs_f64() / done.max(1) as f64 * total.saturating_sub(done) as f64).round() as u64;
    match (left / 3600, left % 3600 / 60, left % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
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
        Progress { bar, plain: !quiet && !tty, total, done: AtomicU64::new(0), started: Instant::now() }
    }

    /// Notes a finished run.
    pub fn finished(&self, s: &RunSummary) {
        let k = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let acc = s.val.as_ref().map_or(String::from("-"), |p| format!("{:.4}", p.accuracy));
        if let Some(b) = &self.bar {
            b.set_message(format!("{} ({}, val {acc})", s.name, s.status));
            b.inc(1);
        } else if self.plain {
            let eta = eta(self.started.elapsed(), k, self.total);
            eprintln!("[{k}/{}] {} {} val_acc={acc} {:.1}s, ETA {eta}", self.total, s.name, s.status, s.wall_seconds);
        }
    }

    /// Removes the bar.
    pub fn close(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_extrapolates_the_average_run() {
        assert_eq!(eta(Duration::from_secs(50), 2, 2100), "14h34m");
        assert_eq!(eta(Duration::from_secs(10), 5, 30), "50s");
        assert_eq!(eta(Duration::from_secs(100), 10, 40), "5m00s");
        assert_eq!(eta(Duration::from_secs(3), 4, 4), "0s");
    }
}
