//! Progress on stderr: a bar with ETA on a terminal, plain lines (with an ETA) otherwise, nothing with
//! `--quiet`: [`Progress`] for sweeps (a line per finished run), [`TrainProgress`] for one run (a line per
//! evaluation).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actscope_lab::RunSummary;
use actscope_lab::sweep::SweepObserver;
use indicatif::{ProgressBar, ProgressStyle};

/// How much the command line says on stderr besides results (stdout), warnings and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: no progress and no notes.
    Quiet,
    /// Progress (a bar on a terminal, lines elsewhere) and notes.
    Normal,
    /// `-v`: also the resolved settings of a run, and a line per finished run or evaluation even under a
    /// bar.
    Verbose,
}

/// Sweep progress: a [`SweepObserver`] that draws a bar on a terminal and plain lines elsewhere.
pub struct Progress {
    verbosity: Verbosity,
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
    /// Progress output as `verbosity` asks.
    pub fn new(verbosity: Verbosity) -> Self {
        Progress {
            verbosity,
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
        if self.verbosity != Verbosity::Quiet {
            eprintln!("{msg}");
        }
    }

    fn started(&self, pending: usize) {
        self.total.store(pending as u64, Ordering::SeqCst);
        self.done.store(0, Ordering::SeqCst);
        *self.started.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        if self.verbosity != Verbosity::Quiet && std::io::stderr().is_terminal() && pending > 0 {
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
        let started = *self.started.lock().unwrap_or_else(|p| p.into_inner());
        let line = || {
            let eta = eta(started.elapsed(), k, total);
            format!("[{k}/{total}] {} {} val_acc={acc} {:.1}s, ETA {eta}", s.name, s.status, s.wall_seconds)
        };
        if let Some(b) = self.bar().as_ref() {
            b.set_message(format!("{} ({}, val {acc})", s.name, s.status));
            b.inc(1);
            if self.verbosity == Verbosity::Verbose {
                b.println(line());
            }
        } else if self.verbosity != Verbosity::Quiet {
            eprintln!("{}", line());
        }
    }

    fn closed(&self) {
        if let Some(b) = self.bar().take() {
            b.finish_and_clear();
        }
    }
}

/// Training progress. On a terminal, a bar: steps done of the total, epoch, the loss of a recent
/// training batch, the last validation accuracy and the time left. Elsewhere (a log, a pipe, CI), one line
/// per evaluation of the validation set, as Keras and fastai print per epoch: step, epoch, loss on the
/// training subset, validation loss and accuracy, elapsed time and time left. Nothing when quiet. It only
/// reads what the training loop shows it, so the run is unchanged.
pub struct TrainProgress {
    verbosity: Verbosity,
    started: Instant,
    total: usize,
    bar: Option<ProgressBar>,
    /// The last evaluation on the training subset (printed with the validation line of the same step).
    train_eval: Option<actscope_core::EvalPoint>,
    /// The last validation accuracy, for the bar.
    val_acc: Option<f64>,
    /// When the bar last asked for a training batch's loss (it asks a few times a second, not every step).
    loss_asked: std::cell::Cell<Instant>,
}

/// How often the bar refreshes the training loss.
const LOSS_EVERY: Duration = Duration::from_millis(250);

impl TrainProgress {
    /// Progress of a run of `total` steps: a bar when stderr is a terminal, lines otherwise.
    pub fn new(verbosity: Verbosity, total: usize) -> Self {
        let bar = (verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} steps, ETA {eta}  {msg}",
                )
                .expect("the template is a constant and valid"),
            );
            b
        });
        Self::with_bar(verbosity, total, bar)
    }

    /// Progress drawn on `bar` (lines when `None`).
    pub fn with_bar(verbosity: Verbosity, total: usize, bar: Option<ProgressBar>) -> Self {
        let now = Instant::now();
        TrainProgress {
            verbosity,
            started: now,
            total,
            bar,
            train_eval: None,
            val_acc: None,
            loss_asked: std::cell::Cell::new(now - LOSS_EVERY),
        }
    }

    /// The line for an evaluation of the validation set at `p`.
    fn line(&self, p: &actscope_core::EvalPoint) -> String {
        let elapsed = self.started.elapsed();
        let train = self
            .train_eval
            .as_ref()
            .filter(|t| t.step == p.step)
            .map_or(String::new(), |t| format!("  train loss {:.4}", t.loss));
        format!(
            "step {:>6}/{}  epoch {:>5.2}{train}  val loss {:.4}  val acc {:.4}  {:.1}s, ETA {}",
            p.step,
            self.total,
            p.epoch,
            p.loss,
            p.accuracy,
            elapsed.as_secs_f64(),
            if p.step == 0 { "-".to_string() } else { eta(elapsed, p.step as u64, self.total as u64) }
        )
    }

    fn set_message(&self, loss: Option<f64>) {
        if let Some(b) = &self.bar {
            let loss = loss.map_or(String::new(), |l| format!("loss {l:.4}  "));
            let acc = self.val_acc.map_or(String::new(), |a| format!("val acc {a:.4}"));
            b.set_message(format!("{loss}{acc}"));
        }
    }
}

impl actscope_core::Probe<f32> for TrainProgress {
    fn wants_train_batch(&self, step: usize) -> bool {
        let Some(b) = &self.bar else { return false };
        b.set_position(step as u64);
        let due = self.loss_asked.get().elapsed() >= LOSS_EVERY;
        if due {
            self.loss_asked.set(Instant::now());
        }
        due
    }

    fn observe(&mut self, obs: &actscope_core::Observation<'_, f32>) {
        if obs.source == actscope_core::ProbeSource::TrainBatch {
            self.set_message(Some(obs.loss));
        }
    }

    fn on_eval(&mut self, p: &actscope_core::EvalPoint) {
        match p.set.as_str() {
            "train" => self.train_eval = Some(p.clone()),
            "val" => {
                self.val_acc = Some(p.accuracy);
                match &self.bar {
                    Some(b) => {
                        b.set_position(p.step as u64);
                        if self.verbosity == Verbosity::Verbose {
                            b.println(self.line(p));
                        }
                        self.set_message(None);
                    }
                    None if self.verbosity != Verbosity::Quiet => eprintln!("{}", self.line(p)),
                    None => {}
                }
            }
            _ => {}
        }
    }
}

impl Drop for TrainProgress {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(step: usize, set: &str, loss: f64) -> actscope_core::EvalPoint {
        actscope_core::EvalPoint { step, epoch: step as f64 / 10.0, set: set.into(), loss, accuracy: 0.5 }
    }

    /// On a terminal the bar follows the steps and shows the last validation accuracy; it asks the training
    /// loop for a batch's loss only a few times a second.
    #[test]
    fn the_training_bar_follows_the_steps() {
        use actscope_core::Probe;
        let bar = ProgressBar::hidden();
        let mut p = TrainProgress::with_bar(Verbosity::Normal, 100, Some(bar.clone()));
        assert!(p.wants_train_batch(0), "the first step reports a loss");
        assert!(!p.wants_train_batch(1), "not again within {LOSS_EVERY:?}");
        assert!(!p.wants_train_batch(37));
        assert_eq!(bar.position(), 37);
        p.on_eval(&eval(50, "train", 0.25));
        p.on_eval(&eval(50, "val", 0.5));
        assert_eq!(bar.position(), 50);
        assert_eq!(bar.message(), "val acc 0.5000");
        drop(p);
        assert!(bar.is_finished());
    }

    /// Without a terminal: the line of a validation evaluation carries the training-subset loss of the same
    /// step, and no ETA before the first step.
    #[test]
    fn evaluation_lines() {
        let mut p = TrainProgress::with_bar(Verbosity::Normal, 40, None);
        assert!(!actscope_core::Probe::<f32>::wants_train_batch(&p, 3), "no bar: no batches asked for");
        assert!(p.line(&eval(0, "val", 0.7)).ends_with("ETA -"));
        p.train_eval = Some(eval(20, "train", 0.125));
        let line = p.line(&eval(20, "val", 0.25));
        assert!(
            line.starts_with("step     20/40  epoch  2.00  train loss 0.1250  val loss 0.2500  val acc 0.5000  "),
            "{line}"
        );
        assert!(!p.line(&eval(30, "val", 0.25)).contains("train loss"), "a stale training loss is not shown");
    }

    #[test]
    fn eta_extrapolates_the_average_run() {
        assert_eq!(eta(Duration::from_secs(50), 2, 2100), "14h34m");
        assert_eq!(eta(Duration::from_secs(10), 5, 30), "50s");
        assert_eq!(eta(Duration::from_secs(100), 10, 40), "5m00s");
        assert_eq!(eta(Duration::from_secs(3), 4, 4), "0s");
    }
}
