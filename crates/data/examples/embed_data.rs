//! Rebuilds the embedded Fashion-MNIST subset (`crates/data/data/fashion-mnist-subset`) byte for byte from
//! the four official IDX files, with [`actscope_data::embedded::build_subset`], and writes its `SHA256SUMS`.
//!
//! ```text
//! cargo run -p actscope-data --example embed_data -- [--from DIR]
//! ```
//!
//! `DIR` defaults to where Debian's `dataset-fashion-mnist` installs the files
//! ([`actscope_data::SYSTEM_FASHION_MNIST`]). `cargo xtask embed-data` runs this example.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use actscope_data::embedded::{build_subset, file_names, sha256sums};
use actscope_data::mnist::find_idx_files;

const USAGE: &str = "usage: embed_data [--from DIR]   (DIR: the official Fashion-MNIST IDX files)";

fn main() -> ExitCode {
    let from = match from_argument(std::env::args_os().skip(1)) {
        Ok(Some(from)) => from,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/fashion-mnist-subset");
    match rebuild(&from, &out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The directory given with `--from DIR` or `--from=DIR` (the Debian package's by default), or `None` for
/// `--help`.
/// The directory after `--from` is taken as the OS gives it (it need not be UTF-8, and may start with `-`).
fn from_argument(mut args: impl Iterator<Item = OsString>) -> Result<Option<PathBuf>, String> {
    let mut from = PathBuf::from(actscope_data::SYSTEM_FASHION_MNIST);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("-h" | "--help") => return Ok(None),
            Some("--from") => from = args.next().ok_or("--from needs a directory")?.into(),
            Some(a) if a.starts_with("--from=") => from = a["--from=".len()..].into(),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(Some(from))
}

/// Builds the subset from the files in `from` and writes it, with its `SHA256SUMS`, into `out`.
fn rebuild(from: &Path, out: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let files = find_idx_files(from)?;
    let mut bytes = Vec::new();
    for p in &files.paths {
        bytes.push(std::fs::read(p).map_err(|e| format!("reading {}: {e}", p.display()))?);
    }
    let built = build_subset([0, 1, 2, 3].map(|i| (files.paths[i].as_path(), bytes[i].as_slice())))?;
    std::fs::create_dir_all(out).map_err(|e| format!("creating {}: {e}", out.display()))?;
    for (name, data) in file_names().iter().zip(&built) {
        let path = out.join(name);
        std::fs::write(&path, data).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("{:>9} bytes  {}", data.len(), path.display());
    }
    let sums = sha256sums(&built);
    let path = out.join("SHA256SUMS");
    std::fs::write(&path, &sums).map_err(|e| format!("writing {}: {e}", path.display()))?;
    print!("{sums}");
    println!("rebuilt from {}", from.display());
    Ok(())
}
