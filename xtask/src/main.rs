//! xtask: the project's automation, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! Tasks:
//! - `report [--profile P] [--data DIR] [--out DIR] [--jobs N] [--quiet]`: run the experiments and write
//!   the report.
//! - `embed-data [--from DIR]`: rebuild the embedded Fashion-MNIST subset from the official IDX files.
//! - `test [--suite NAME]… [--no-cargo]`: every test: `cargo test --workspace`, then the external suites
//!   `tests/<suite>/run.sh` (see [`mod@test`]).

mod embed_data;
mod report;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// The project's automation.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Xtask {
    #[command(subcommand)]
    task: Task,
}

/// How much the report runs.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ProfileArg {
    /// Seconds: a handful of short runs.
    Smoke,
    /// Minutes on 2 cores (the default).
    Default,
    /// Paper scale (hours).
    Full,
}

#[derive(Subcommand)]
enum Task {
    /// Run the bundled experiments, rule on every claim and write OUT/index.html and OUT/report.md.
    Report {
        /// How much to run.
        #[arg(long, value_enum, default_value_t = ProfileArg::Default)]
        profile: ProfileArg,
        /// Data for every experiment (default: each profile's choice; see `actscope data info`).
        #[arg(long)]
        data: Option<String>,
        /// Output directory [default: ./report at the workspace root].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Parallel runs [default: all cores].
        #[arg(long)]
        jobs: Option<usize>,
        /// No progress output.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Rebuild crates/data/data/fashion-mnist-subset from the official Fashion-MNIST IDX files.
    EmbedData {
        /// Directory with the official files [default: /usr/share/datasets/fashion-mnist, the Debian package's].
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// Run every test: `cargo test --workspace`, then each external suite `tests/<suite>/run.sh` (Slurm,
    /// Python and PyTorch, browser). A suite whose prerequisites are missing is reported loudly, and fails
    /// the task under CI (the CI environment variable set).
    Test {
        /// Run only this suite (repeatable); default: all of them.
        #[arg(long = "suite", value_name = "NAME")]
        suites: Vec<String>,
        /// Skip `cargo test --workspace`.
        #[arg(long)]
        no_cargo: bool,
    },
}

fn main() -> ExitCode {
    let result = match Xtask::parse().task {
        Task::Report { profile, data, out, jobs, quiet } => report::run(profile, data, out, jobs, quiet),
        Task::EmbedData { from } => embed_data::run(from),
        Task::Test { suites, no_cargo } => test::run_all(&suites, no_cargo).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The cargo that runs xtask (`$CARGO`), else `cargo` from the path.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// `cargo run --manifest-path <workspace>/Cargo.toml` and the given arguments, for the tasks that run a
/// binary or example of the workspace (`report`, `embed-data`).
pub fn cargo_run(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(cargo());
    cmd.arg("run").arg("--manifest-path").arg(workspace_root().join("Cargo.toml")).args(args);
    cmd
}

/// Runs `cmd` and passes its exit status on (2 stays a usage error; a signal is 1): the command said what went
/// wrong itself.
pub fn run_passing_status(mut cmd: std::process::Command) -> anyhow::Result<ExitCode> {
    use anyhow::Context;
    let status = cmd.status().with_context(|| format!("could not start `{}`", cargo()))?;
    Ok(ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)))
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}
