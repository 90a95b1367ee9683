//! Progress on stderr: a bar with ETA on a terminal, one plain line per finished run (with an ETA)
//! otherwise, nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actscope_lab::RunSummary;
use actscope_lab::sweep::SweepObserver;
use indicatif::{ProgressBar, ProgressStyle};

/// Sweep progress: a [`SweepObserver`] that draws a bar on a terminal and plain lines elsewhere.
pub struct Progress {
    quiet: bool,
    bar: std::sync::Mutex<Option<ProgressBar>>,
    total: AtomicU64,
    done: AtomicU64,
    started: std::sync::Mutex<Instant>,
}

/// Time left if the remaining runs take as long on average as the finished ones: "2h05m", "4m10s", "12s".
///
/// Kept rather than indicatif's ETA (issue 16): indicatif draws nothing when stderr is not a terminal (its
/// stderr target is hidden there, which is what logs and CI need: no carriage returns, one line per run),
/// so these lines need their own estimate. Its `eta()` weighs the step rate of the last ~15 seconds; a
/// sweep's steps are whole runs of seconds to minutes each, with configurations of different sizes
/// interleaved, so the average over all finished runs is the steadier estimate. The terminal bar above is
/// indicatif's.
fn eta(elapsed: Duration, done: u64, total: u64) -> String {
    let left = (elapsed.as_secs_f64() / done.max(1) as f64 * total.saturating_sub(done) as f64).round() as u64;
    match (left / 3600, left % 3600 / 60, left % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

impl Progress {
    /// Progress output, or none with `quiet`.
    pub fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            bar: std::sync::Mutex::new(None),
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            started: std::sync::Mutex::new(Instant::now()),
        }
    }

    fn bar(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SweepObserver for Progress {
    fn message(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    fn started(&self, pending: usize) {
        self.total.store(pending as u64, Ordering::SeqCst);
        self.done.store(0, Ordering::SeqCst);
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        if !self.quiet && std::io::stderr().is_terminal() && pending > 0 {
            let b = ProgressBar::new(pending as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs, ETA {eta}  {msg}",
                )
                .expect("the template is a constant and valid"),
            );
            *self.bar() = Some(b);
        }
    }

    fn finished(&self, s: &RunSummary) {
        let k = self.done.fetch_add(1, Ordering::SeqCst) + 1;
        let total = self.total.load(Ordering::SeqCst);
        let acc = s.val.as_ref().map_or(String::from("-"), |p| format!("{:.4}", p.accuracy));
        if let Some(b) = self.bar().as_ref() {
            b.set_message(format!("{} ({}, val {acc})", s.name, s.status));
            b.inc(1);
        } else if !self.quiet {
            let started = *self.started.lock().unwrap_or_else(|p| p.into_inner());
            let eta = eta(started.elapsed(), k, total);
            eprintln!("[{k}/{total}] {} {} val_acc={acc} {:.1}s, ETA {eta}", s.name, s.status, s.wall_seconds);
        }
    }

    fn closed(&self) {
        if let Some(b) = self.bar().take() {
            b.finish_and_clear();
        }
    }
}

/// Training progress as Keras and fastai users expect it: one line on stderr per evaluation of the
/// validation set (step, epoch, loss, accuracy, elapsed), nothing with `--quiet`. It only reads evaluations,
/// so the run is unchanged.
pub struct EvalLines {
    quiet: bool,
    started: Instant,
}

impl EvalLines {
    /// Lines, or none with `quiet`.
    pub fn new(quiet: bool) -> Self {
        EvalLines { quiet, started: Instant::now() }
    }
}

impl actscope_core::Probe<f32> for EvalLines {
    fn on_eval(&mut self, p: &actscope_core::EvalPoint) {
        if !self.quiet && p.set == "val" {
            eprintln!(
                "step {:>6}  epoch {:>5.2}  val loss {:.4}  val acc {:.4}  {:.1}s",
                p.step,
                p.epoch,
                p.loss,
                p.accuracy,
                self.started.elapsed().as_secs_f64()
            );
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
