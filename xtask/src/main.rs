//! xtask: the project's automation, run as `cargo xtask <task>` (an alias in `.cargo/config.toml`).
//!
//! Tasks:
//! - `report [--profile P] [--data DIR] [--out DIR] [--jobs N]`: run the experiments and write the report.
//! - `embed-data [--from DIR]`: rebuild the embedded Fashion-MNIST subset from the official IDX files.

mod embed_data;
mod report;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  report [--profile smoke|default|full] [--data DIR] [--out DIR] [--jobs N] [--quiet]
                            run the bundled experiments (default: embedded data, ~minutes on 2 cores),
                            rule on every claim and write OUT/index.html and OUT/report.md (OUT: ./report)
  embed-data [--from DIR]   rebuild crates/core/data/fashion-mnist-subset from the official Fashion-MNIST
                            IDX files in DIR (default /usr/share/datasets/fashion-mnist)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("report") => report::run(&args[1..]),
        Some("embed-data") => embed_data::run(&args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("unknown task {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask has a parent").to_path_buf()
}
