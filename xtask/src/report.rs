//! `cargo xtask report [--profile P] [--data DIR] [--out DIR] [--jobs N]`: the whole pipeline through the
//! same library code as `actscope report`; prints where the report is.

use std::path::PathBuf;

use actscope::report::{Profile, ReportOptions, run as run_report};
use anyhow::{Context, Result, bail};

pub fn run(args: &[String]) -> Result<()> {
    let mut profile = Profile::Default;
    let mut data = None;
    let mut out = crate::workspace_root().join("report");
    let mut jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().with_context(|| format!("{name} needs a value")).cloned();
        match a.as_str() {
            "--profile" => profile = Profile::parse(&value("--profile")?)?,
            "--data" => data = Some(value("--data")?),
            "--out" => out = PathBuf::from(value("--out")?),
            "--jobs" => jobs = value("--jobs")?.parse().context("--jobs needs a whole number")?,
            "--quiet" => quiet = true,
            other => bail!(
                "unknown argument {other:?}; usage: cargo xtask report [--profile smoke|default|full] [--data DIR] [--out DIR] [--jobs N] [--quiet]"
            ),
        }
    }
    if jobs == 0 {
        bail!("--jobs must be ≥ 1");
    }
    let start = std::time::Instant::now();
    let index = run_report(&ReportOptions { profile, data, out, jobs, quiet })?;
    eprintln!("report ({} profile) written in {:.0} s", profile.name(), start.elapsed().as_secs_f64());
    println!("{}", index.display());
    Ok(())
}
