//! `cargo xtask embed-data [--from DIR]`: rebuilds the embedded Fashion-MNIST subset byte for byte, by running
//! actscope-data's example `embed_data` (`cargo run -p actscope-data --example embed_data`), so that xtask
//! links no actscope crate and builds in seconds.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

pub fn run(from: Option<PathBuf>) -> Result<ExitCode> {
    let mut cmd = crate::cargo_run(&["--package", "actscope-data", "--example", "embed_data", "--"]);
    if let Some(from) = from {
        // Two arguments: the example takes the one after `--from` as it is (a directory may start with `-`,
        // or not be UTF-8).
        cmd.arg("--from").arg(from);
    }
    crate::run_passing_status(cmd)
}
