//! The runs an export reads: run directories, or directories of runs (a sweep's `--out`), given on the
//! command line, each loaded with its configuration and summary, its records checked against their
//! checksum (and read on demand); and the one place an export may not write: inside a run it reads.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use actscope_metrics::records::Record;

use crate::store::{is_finished_run, list_runs};
use crate::summarize::{LoadedRun, no_runs_error};
use crate::{Error, Result};

/// Every finished run named by `paths`, in the order given (runs of a directory sorted by name): a path
/// holding `summary.json` is one run, any other directory stands for the finished runs directly inside
/// it. A run named twice is exported once. Every run is loaded as every reader loads it
/// ([`LoadedRun::load`]: its summary checked, its records checked against their checksum), all of them
/// before anything is exported.
///
/// # Errors
/// Usage errors for a path that is not a directory, a directory holding no finished run, no path at all, or
/// two different runs with the same directory name (their exports would overwrite each other: export them
/// in separate calls); runtime errors for a path that does not exist or cannot be read, and for malformed
/// or changed run files, naming them.
pub fn resolve(paths: &[PathBuf]) -> Result<Vec<LoadedRun>> {
    if paths.is_empty() {
        return Err(Error::usage("no runs given: name run directories or directories of runs (a sweep's --out)"));
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    for p in paths {
        // A missing path is a runtime error (exit 1), as it is for `summarize` and `plot`.
        let meta = std::fs::metadata(p).map_err(|e| Error::io("reading", p, e))?;
        if !meta.is_dir() {
            return Err(Error::usage(format!("{}: not a run directory nor a directory of runs", p.display())));
        }
        if is_finished_run(p)? {
            dirs.push(p.clone());
            continue;
        }
        let found = list_runs(p)?;
        if found.is_empty() {
            return Err(no_runs_error(p));
        }
        dirs.extend(found);
    }
    let mut by_name: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut unique = Vec::with_capacity(dirs.len());
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
        unique.push(dir);
    }
    LoadedRun::load_all(unique)
}

/// An error (usage) when `out`, the file or directory an export (or `plot`, `command`) writes, is one of the
/// run directories of `runs` or lies inside one: it would overwrite or add to the files of a run it reads (a
/// table written over a run's own `records.jsonl`; figures inside a run, lost when the run is redone).
/// Paths are compared with their links resolved.
///
/// # Errors
/// That usage error, naming `out` and the run directory.
pub fn refuse_out_in_runs(runs: &[LoadedRun], out: &Path, command: &str) -> Result<()> {
    let target = resolved(out);
    match runs.iter().find(|r| target.starts_with(resolved(&r.dir))) {
        Some(run) => Err(Error::usage(format!(
            "--out {}: is inside the run directory {}, which `actscope {command}` reads; write its output \
             outside the run directories",
            out.display(),
            run.dir.display()
        ))),
        None => Ok(()),
    }
}

/// `path` made absolute with its links resolved as far as it exists: its longest existing ancestor
/// canonicalised, then the rest of it (`.` and `..` taken lexically).
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let parts: Vec<Component<'_>> = abs.components().collect();
    for k in (0..=parts.len()).rev() {
        let head: PathBuf = parts[..k].iter().collect();
        let Ok(mut out) = head.canonicalize() else { continue };
        for c in &parts[k..] {
            match c {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(n) => out.push(n),
                _ => {}
            }
        }
        return out;
    }
    abs
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
/// schema ([`crate::store::read_records`]).
///
/// # Errors
/// Missing, changed or malformed file, naming it (and the line).
pub fn read_records(run: &LoadedRun) -> Result<Vec<Record>> {
    crate::store::read_records(&run.dir, &run.summary.records_sha256)
}
