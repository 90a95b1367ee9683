//! `cargo xtask embed-data [--from DIR]`: rebuilds the embedded Fashion-MNIST subset byte for byte.

use std::path::PathBuf;

use actscope_data::embedded::{build_subset, file_names, sha256sums};
use actscope_data::mnist::find_idx_files;
use anyhow::{Context, Result};

/// Where Debian's `dataset-fashion-mnist` package installs the official files.
pub const DEFAULT_FROM: &str = actscope_data::SYSTEM_FASHION_MNIST;

pub fn run(from: Option<PathBuf>) -> Result<()> {
    let from = from.unwrap_or_else(|| PathBuf::from(DEFAULT_FROM));
    let files = find_idx_files(&from)?;
    let mut bytes = Vec::new();
    for p in &files.paths {
        bytes.push(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?);
    }
    let inputs = [0, 1, 2, 3].map(|i| (files.paths[i].as_path(), bytes[i].as_slice()));
    let built = build_subset(inputs)?;
    let out = crate::workspace_root().join("crates/data/data/fashion-mnist-subset");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for (name, data) in file_names().iter().zip(&built) {
        let path = out.join(name);
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
        println!("{:>9} bytes  {}", data.len(), path.display());
    }
    let sums = sha256sums(&built);
    std::fs::write(out.join("SHA256SUMS"), &sums).context("writing SHA256SUMS")?;
    print!("{sums}");
    println!("rebuilt from {}", from.display());
    Ok(())
}
