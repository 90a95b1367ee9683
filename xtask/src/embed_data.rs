//! `cargo xtask embed-data [--from DIR]`: rebuilds the embedded Fashion-MNIST subset byte for byte, by running
//! actscope-data's example `embed_data` (`cargo run -p actscope-data --example embed_data`), so that xtask
//! links no actscope crate and builds in seconds.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, Result};

pub fn run(from: Option<PathBuf>) -> Result<ExitCode> {
    let root = crate::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(&cargo);
    cmd.arg("run").arg("--manifest-path").arg(root.join("Cargo.toml"));
    cmd.args(["--package", "actscope-data", "--example", "embed_data", "--"]);
    if let Some(from) = from {
        // Two arguments: the example takes the one after `--from` as it is (a directory may start with `-`,
        // or not be UTF-8).
        cmd.arg("--from").arg(from);
    }
    let status = cmd.status().with_context(|| format!("could not start `{cargo}`"))?;
    // The example (or cargo) said what went wrong; its exit status is passed on (2: a usage error).
    Ok(ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)))
}
