//! `cargo xtask report`: the whole pipeline, run by the `actscope` binary's `report` (the same code as
//! `actscope report`: `actscope_lab::report::run`), built in the release profile by `cargo run --release`.
//!
//! xtask itself is built in the dev profile and links no actscope crate: the report's training wants the
//! release profile, `cargo xtask test` wants to start at once, and the same xtask binary serves both.
//! Before, xtask linked actscope-lab and the alias built it in release for both tasks, which cost `cargo
//! xtask test` a release build of the whole library (4 min 43 s of CI's 27 min on a Zen 3 core, 2026-12-07)
//! for a task that only runs other commands.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;

use crate::ProfileArg;

pub fn run(
    profile: ProfileArg,
    data: Option<String>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<ExitCode> {
    let root = crate::workspace_root();
    let out = out.unwrap_or_else(|| root.join("report"));
    let profile = profile.to_possible_value().expect("every profile has a name");
    let mut cmd = crate::cargo_run(&["--release", "--package", "actscope", "--bin", "actscope"]);
    if quiet {
        cmd.arg("--quiet");
    }
    // `--key=value`, so that a value starting with `-` is not read as a flag.
    cmd.args(["--", "report"]).arg(format!("--profile={}", profile.get_name()));
    let mut out_arg = std::ffi::OsString::from("--out=");
    out_arg.push(&out);
    cmd.arg(out_arg);
    if let Some(data) = data {
        cmd.arg(format!("--data={data}"));
    }
    if let Some(jobs) = jobs {
        cmd.arg(format!("--jobs={jobs}"));
    }
    if quiet {
        cmd.arg("--quiet");
    }
    let start = std::time::Instant::now();
    let code = crate::run_passing_status(cmd)?;
    if code != ExitCode::SUCCESS {
        return Ok(code);
    }
    eprintln!(
        "report ({} profile) written in {:.0} s, building the actscope binary included",
        profile.get_name(),
        start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
