//! The runs an export reads: run directories, or directories of runs (a sweep's `--out`), given on the
//! command line, each loaded with its configuration, summary and, on demand, its records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actscope_metrics::records::Record;

use crate::run::{list_runs, read_config, read_summary};
use crate::summarize::{LoadedRun, no_runs_error};
use crate::{Error, Result};

/// Every finished run named by `paths`, in the order given (runs of a directory sorted by name): a path
/// holding `summary.json` is one run, any other directory stands for the finished runs directly inside
/// it. A run named twice is exported once.
///
/// # Errors
/// Usage errors for a path that does not exist, a directory holding no finished run, no path at all, or
/// two different runs with the same directory name (their exports would overwrite each other: export them
/// in separate calls); malformed run files, naming them.
pub fn resolve(paths: &[PathBuf]) -> Result<Vec<LoadedRun>> {
    if paths.is_empty() {
        return Err(Error::usage("no runs given: name run directories or directories of runs (a sweep's --out)"));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.join("summary.json").is_file() {
            dirs.push(p.clone());
        } else if p.is_dir() {
            let found = list_runs(p)?;
            if found.is_empty() {
                return Err(no_runs_error(p));
            }
            dirs.extend(found);
        } else if p.exists() {
            return Err(Error::usage(format!("{}: not a run directory nor a directory of runs", p.display())));
        } else {
            return Err(Error::usage(format!("{}: no such directory", p.display())));
        }
    }
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut runs = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(other) = by_name.get(&name) {
            if same_dir(other, &dir) {
                continue;
            }
            return Err(Error::usage(format!(
                "two runs are named {name} ({} and {}); the export names runs by directory: export them in \
                 separate calls",
                other.display(),
                dir.display()
            )));
        }
        by_name.insert(name, dir.clone());
        runs.push(LoadedRun { config: read_config(&dir)?, summary: read_summary(&dir)?, dir });
    }
    Ok(runs)
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The name a run is exported under: its directory's name.
pub fn run_name(run: &LoadedRun) -> String {
    run.dir.file_name().map_or_else(|| run.summary.name.clone(), |n| n.to_string_lossy().into_owned())
}

/// The records of a run (`records.jsonl`), checked against its summary's checksum and for a supported
/// schema ([`crate::run::read_records`]).
///
/// # Errors
/// Missing, changed or malformed file, naming it (and the line).
pub fn read_records(run: &LoadedRun) -> Result<Vec<Record>> {
    crate::run::read_records(&run.dir, &run.summary.records_sha256)
}
