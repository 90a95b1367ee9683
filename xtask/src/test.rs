//! `cargo xtask test`: every test of the project — the workspace's cargo tests, then each external suite
//! (`tests/<suite>/run.sh`: a Slurm cluster, the Python package with PyTorch, a headless browser).
//!
//! A suite's `run.sh` exits 0 when it passed, [`MISSING`] (77) when something it needs is not installed —
//! after saying what and how to provision it — and anything else when it failed. A missing prerequisite is
//! reported loudly at the end; under CI (the `CI` environment variable set) it is a failure, since `.ci/run`
//! provisions every suite (`.ci/provision-<suite>.sh`) before running this task.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Exit status of a suite whose prerequisites are missing (the automake convention for "skipped").
pub const MISSING: i32 = 77;

/// What became of one step.
enum Outcome {
    Passed,
    Missing,
    Failed(String),
}

/// Runs a command from the workspace root and classifies its exit status.
fn run(root: &Path, program: &str, args: &[&str]) -> Result<Outcome> {
    eprintln!("\n== xtask test: {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .current_dir(root)
        .status()
        .with_context(|| format!("could not start `{program}`"))?;
    Ok(match status.code() {
        Some(0) => Outcome::Passed,
        Some(MISSING) => Outcome::Missing,
        Some(c) => Outcome::Failed(format!("exit status {c}")),
        None => Outcome::Failed("killed by a signal".to_string()),
    })
}

/// The external suites: every `tests/<suite>/run.sh`, in name order.
fn suites(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("tests");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.path().join("run.sh").is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// Runs `cargo test --workspace` and then only the suites named in `only` (all when empty).
pub fn run_all(only: &[String], skip_cargo: bool) -> Result<()> {
    let root = crate::workspace_root();
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let mut failed = Vec::new();
    let mut missing = Vec::new();
    let mut passed = Vec::new();
    if !skip_cargo {
        match run(&root, &crate::cargo(), &["test", "--workspace"])? {
            Outcome::Passed => passed.push("cargo test --workspace".to_string()),
            Outcome::Missing | Outcome::Failed(_) => failed.push("cargo test --workspace".to_string()),
        }
    }
    let all = suites(&root)?;
    for name in only {
        if !all.contains(name) {
            bail!("no suite named {name:?}: the suites are {}", all.join(", "));
        }
    }
    for name in all.iter().filter(|n| only.is_empty() || only.contains(n)) {
        let script = format!("tests/{name}/run.sh");
        match run(&root, "bash", &[&script])? {
            Outcome::Passed => passed.push(name.clone()),
            Outcome::Missing => missing.push(name.clone()),
            Outcome::Failed(why) => failed.push(format!("{name} ({why})")),
        }
    }
    eprintln!("\n== xtask test: passed: {}", if passed.is_empty() { "none".into() } else { passed.join(", ") });
    if !missing.is_empty() {
        let banner = "!".repeat(78);
        eprintln!("{banner}");
        eprintln!("!! NOT RUN — prerequisites missing: {}", missing.join(", "));
        eprintln!("!! Provision them with .ci/provision-<suite>.sh (see each suite's message above).");
        eprintln!("{banner}");
    }
    if !failed.is_empty() {
        bail!("failed: {}", failed.join(", "));
    }
    if ci && !missing.is_empty() {
        bail!("under CI every suite must run; not run: {}", missing.join(", "));
    }
    Ok(())
}
