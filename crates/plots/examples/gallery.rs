//! Renders every figure of the report from synthetic numbers, as PNG, SVG and CSV:
//!
//! ```text
//! cargo run -p actscope-plots --example gallery -- --out DIR
//! ```
//!
//! The folder is `--out DIR` (or `--out=DIR`), else the `ACTSCOPE_GALLERY_OUT` environment variable, else
//! `target/gallery`. Run as a test (`cargo test`, since the example is declared with `test = true`), it
//! never reads the command line, which belongs to the test harness: it writes to `ACTSCOPE_GALLERY_OUT`
//! when that is set (and keeps the files), else to a fresh temporary folder that it removes afterwards.

use std::path::{Path, PathBuf};

use actscope_plots::gallery::sample_figures;
use actscope_plots::{Format, render};

/// The environment variable naming the output folder.
const OUT_VAR: &str = "ACTSCOPE_GALLERY_OUT";

/// Renders every sample figure into `out` (created if missing) and returns the files written.
fn write_gallery(out: &Path) -> Result<Vec<PathBuf>, actscope_plots::Error> {
    std::fs::create_dir_all(out).map_err(|error| actscope_plots::Error::Io { path: out.to_path_buf(), error })?;
    let mut written = Vec::new();
    for s in sample_figures(7) {
        written.extend(render(&s.figure, &out.join(s.stem), &[Format::Png, Format::Svg])?);
    }
    Ok(written)
}

/// The output folder from `--out DIR` / `--out=DIR`, the environment variable, or the default; an error
/// message for anything else on the command line.
fn out_dir(args: impl IntoIterator<Item = String>) -> Result<PathBuf, String> {
    let mut args = args.into_iter();
    let mut out = None;
    while let Some(a) = args.next() {
        if a == "--out" {
            out = Some(args.next().ok_or("--out needs a folder")?);
        } else if let Some(d) = a.strip_prefix("--out=") {
            out = Some(d.to_string());
        } else {
            return Err(format!("unexpected argument {a:?}; usage: gallery [--out DIR]"));
        }
    }
    Ok(out
        .or_else(|| std::env::var(OUT_VAR).ok())
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/gallery"), PathBuf::from))
}

#[cfg_attr(test, allow(dead_code))]
fn main() -> std::process::ExitCode {
    let out = match out_dir(std::env::args().skip(1)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    match write_gallery(&out) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[test]
fn example_runs() {
    let (out, temporary) = match std::env::var(OUT_VAR) {
        Ok(d) => (PathBuf::from(d), false),
        Err(_) => (std::env::temp_dir().join(format!("actscope-gallery-{}", std::process::id())), true),
    };
    let files = write_gallery(&out).unwrap();
    assert_eq!(files.len(), 3 * sample_figures(7).len(), "png, svg and csv per figure");
    assert!(files.iter().all(|f| f.starts_with(&out) && f.is_file()));
    if temporary {
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn out_dir_comes_from_the_flag() {
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(out_dir(args(&["--out", "x"])).unwrap(), PathBuf::from("x"));
    assert_eq!(out_dir(args(&["--out=y"])).unwrap(), PathBuf::from("y"));
    assert!(out_dir(args(&["--quiet"])).is_err(), "a harness flag is not a folder");
    assert!(out_dir(args(&["--out"])).is_err());
}
