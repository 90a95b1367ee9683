//! `actscope analyze`: arguments and printing; the work is `actscope_lab::analyze::analyze`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::FormatArg;

/// Arguments of `actscope analyze`.
#[derive(Args)]
pub struct AnalyzeArgs {
    /// Capture files (safetensors, docs/capture.md) or directories of them (their *.safetensors): any
    /// number of checkpoints, seeds and models.
    #[arg(required = true)]
    captures: Vec<PathBuf>,
    /// Where to write run directories (runs/), figures (figures/) and the diagnosis (diagnosis.html, .md).
    #[arg(long, default_value = "analysis")]
    out: PathBuf,
    /// Figure formats, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [FormatArg::Png, FormatArg::Svg])]
    format: Vec<FormatArg>,
}

/// Runs `actscope analyze`: prints the diagnosis page's path, and on stderr what was written.
pub fn analyze(a: AnalyzeArgs) -> Result<()> {
    let formats: Vec<actscope_plots::Format> = a.format.iter().map(|f| f.format()).collect();
    let captures = capture_files(&a.captures)?;
    let r = actscope_lab::analyze::analyze(&captures, &a.out, &formats)?;
    if !r.removed.is_empty() {
        eprintln!(
            "note: replaced the earlier analysis in {}: removed its runs {} (not among these captures)",
            a.out.display(),
            r.removed.join(", ")
        );
    }
    for name in &r.not_plotted {
        eprintln!(
            "note: {name}: its layers do not share one activation actscope knows and one BN placement, so figures, `plot` and `summarize` leave it out (its records.jsonl and the diagnosis have it)"
        );
    }
    eprintln!(
        "{} captures → {} runs, {} figure files, diagnosis in {} and {}",
        captures.len(),
        r.runs.len(),
        r.figures.len(),
        r.html.display(),
        r.markdown.display()
    );
    println!("{}", r.html.display());
    Ok(())
}

/// The capture files of the arguments: a file as given, a directory as its `*.safetensors` but hidden ones
/// (sorted), as `actscope.analyze` takes them in Python.
fn capture_files(items: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for item in items {
        if item.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(item)
                .map_err(|e| actscope_lab::Error::io("reading", item, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                // A leftover `.tmp-…` file of a killed writer is not a capture.
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "safetensors"))
                .filter(|p| p.file_name().is_some_and(|n| !n.to_string_lossy().starts_with('.')))
                .collect();
            if found.is_empty() {
                return Err(actscope_lab::Error::usage(format!(
                    "{}: a directory without .safetensors captures",
                    item.display()
                ))
                .into());
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(item.clone());
        }
    }
    Ok(files)
}
