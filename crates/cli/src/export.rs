//! `actscope export`: runs as a flat CSV table (pandas, polars, R) or as TensorBoard event files.

use std::path::PathBuf;
use std::time::Instant;

use actscope_lab::export::table::Level;
use actscope_lab::export::{source, table, tensorboard};
use actscope_lab::summarize::{reading_warnings, unfinished_note};
use actscope_lab::words::plural;
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};

/// What one row of the table is.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LevelArg {
    /// One row per run: final losses and accuracies, steps to each validation target.
    Run,
    /// One row per run × evaluation: loss and accuracy on train, val and test.
    Eval,
    /// One row per run × checkpoint: network-level probe metrics.
    Checkpoint,
    /// One row per run × checkpoint × hidden layer: every per-layer metric.
    Layer,
    /// One row per run × training step (runs with step_scalars = true).
    Step,
}

impl From<LevelArg> for Level {
    fn from(l: LevelArg) -> Self {
        match l {
            LevelArg::Run => Level::Run,
            LevelArg::Eval => Level::Eval,
            LevelArg::Checkpoint => Level::Checkpoint,
            LevelArg::Layer => Level::Layer,
            LevelArg::Step => Level::Step,
        }
    }
}

/// The export formats.
#[derive(Subcommand)]
pub enum ExportCommand {
    /// A flat CSV table of every run's metrics over time (one row per run × checkpoint × layer by
    /// default), read by pandas.read_csv / polars.read_csv in one call.
    Table(TableArgs),
    /// TensorBoard event files: one sub-directory per run with scalars and the z / a histograms
    /// (`tensorboard --logdir OUT`).
    Tensorboard(TensorboardArgs),
}

/// `actscope export table`.
#[derive(Args)]
pub struct TableArgs {
    /// Run directories, or directories of runs (e.g. a sweep's --out).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The CSV file to write.
    #[arg(long)]
    out: PathBuf,
    /// What one row is.
    #[arg(long, value_enum, default_value_t = LevelArg::Layer)]
    level: LevelArg,
    /// No summary line and no notes on stderr (warnings and errors still show).
    #[arg(long, short)]
    quiet: bool,
}

/// `actscope export tensorboard`.
#[derive(Args)]
pub struct TensorboardArgs {
    /// Run directories, or directories of runs (e.g. a sweep's --out).
    #[arg(required = true)]
    runs: Vec<PathBuf>,
    /// The log directory to write (one sub-directory per run).
    #[arg(long)]
    out: PathBuf,
    /// No summary line and no notes on stderr (warnings and errors still show).
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `actscope export …`.
pub fn run(cmd: ExportCommand) -> Result<()> {
    let start = Instant::now();
    match cmd {
        ExportCommand::Table(a) => {
            let runs = loaded(&a.runs, a.quiet)?;
            let level: Level = a.level.into();
            let rows = table::export_csv(&runs, level, &a.out)?;
            crate::print_reading(table::notes(&runs, level), a.quiet);
            if !a.quiet {
                eprintln!(
                    "{rows} row{} ({} level) from {} run{} → {} ({:.2}s)",
                    plural(rows),
                    level.name(),
                    runs.len(),
                    plural(runs.len()),
                    a.out.display(),
                    start.elapsed().as_secs_f64()
                );
            }
        }
        ExportCommand::Tensorboard(a) => {
            let runs = loaded(&a.runs, a.quiet)?;
            let w = tensorboard::export(&runs, &a.out)?;
            if !a.quiet {
                eprintln!(
                    "{} event{} ({:.1} MB) for {} run{} → {} ({:.2}s); view with: tensorboard --logdir {}",
                    w.events,
                    plural(w.events),
                    w.bytes as f64 / 1e6,
                    w.runs,
                    plural(w.runs),
                    a.out.display(),
                    start.elapsed().as_secs_f64(),
                    shell_quoted(&a.out.display().to_string())
                );
            }
        }
    }
    Ok(())
}

fn loaded(paths: &[PathBuf], quiet: bool) -> Result<Vec<actscope_lab::summarize::LoadedRun>> {
    let runs = source::resolve(paths)?;
    // Warnings show under --quiet too (they had been hidden with the summary line); notes do not.
    let dirs = paths.iter().filter(|p| p.is_dir() && !matches!(actscope_lab::store::is_finished_run(p), Ok(true)));
    crate::print_reading(
        reading_warnings(None, &runs).into_iter().chain(dirs.filter_map(|d| unfinished_note(d))),
        quiet,
    );
    Ok(runs)
}

/// `s` as one word for a POSIX shell: as it is when it holds only safe characters, else in single quotes
/// (each `'` written `'\''`), so a hint with a path of spaces or other characters can be pasted as it is.
fn shell_quoted(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c);
    if !s.is_empty() && s.chars().all(safe) { s.to_string() } else { format!("'{}'", s.replace('\'', "'\\''")) }
}

#[cfg(test)]
mod tests {
    use super::shell_quoted;

    #[test]
    fn hints_quote_paths_for_the_shell() {
        assert_eq!(shell_quoted("runs/tb"), "runs/tb");
        assert_eq!(shell_quoted("sp ace/tb ü"), "'sp ace/tb ü'");
        assert_eq!(shell_quoted("it's"), "'it'\\''s'");
        assert_eq!(shell_quoted(""), "''");
    }
}
