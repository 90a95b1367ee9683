//! `cargo xtask report`: the whole pipeline through the same library code as `actscope report`; prints
//! where the report is. Progress goes to stderr as plain lines (xtask keeps few dependencies).

use std::path::PathBuf;

use actscope_lab::RunSummary;
use actscope_lab::report::{Profile, ReportOptions, run as run_report};
use actscope_lab::sweep::SweepObserver;
use anyhow::{Result, bail};

use crate::ProfileArg;

/// Plain progress lines on stderr, or none.
struct Lines {
    quiet: bool,
}

impl SweepObserver for Lines {
    fn message(&self, msg: &str) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    fn finished(&self, s: &RunSummary) {
        if !self.quiet {
            let acc = s.val.as_ref().map_or(String::from("-"), |p| format!("{:.4}", p.accuracy));
            eprintln!("  {} {} val_acc={acc} {:.1}s", s.name, s.status, s.wall_seconds);
        }
    }
}

pub fn run(
    profile: ProfileArg,
    data: Option<String>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    quiet: bool,
) -> Result<()> {
    let profile = match profile {
        ProfileArg::Smoke => Profile::Smoke,
        ProfileArg::Default => Profile::Default,
        ProfileArg::Full => Profile::Full,
    };
    let out = out.unwrap_or_else(|| crate::workspace_root().join("report"));
    let jobs = jobs.unwrap_or_else(actscope_lab::sweep::default_jobs);
    if jobs == 0 {
        bail!("--jobs must be ≥ 1");
    }
    let start = std::time::Instant::now();
    let index = run_report(&ReportOptions { profile, data, out, jobs }, &Lines { quiet })?;
    eprintln!("report ({} profile) written in {:.0} s", profile.name(), start.elapsed().as_secs_f64());
    println!("{}", index.display());
    Ok(())
}
