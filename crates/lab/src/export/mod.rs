//! Exporting runs to the tools people already use: a flat CSV table for pandas, polars, R or a
//! spreadsheet ([`table`]), and TensorBoard event files ([`tensorboard`]).
//!
//! - [`source`]: which runs a list of paths names (run directories or directories of runs), and the
//!   check that an export does not write inside one of them;
//! - [`metrics`]: the per-layer and per-checkpoint metrics exported, named once for both formats;
//! - [`table`]: the CSV tables, one row per run, evaluation, checkpoint, layer or step ([`table::Level`]);
//! - [`tensorboard`]: one event file per run, scalars and histograms;
//! - [`event`], [`protobuf`], [`tfrecord`]: TensorBoard's messages, their wire format and the file
//!   framing, written by hand (no protobuf compiler, no TensorFlow).
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! use actscope_lab::export::{source, table, tensorboard};
//!
//! let runs = source::resolve(&[PathBuf::from("runs")])?;
//! table::export_csv(&runs, table::Level::Layer, Path::new("layers.csv"))?;
//! tensorboard::export(&runs, Path::new("tb"))?;
//! # Ok::<(), actscope_lab::Error>(())
//! ```
//!
//! Parquet is not offered: the `parquet` crate alone (no Arrow, no compression) brings 23 crates, 10 of
//! them new to this workspace, and about a minute of CPU to a release build (with the Arrow writer: 34
//! crates, and more than 4.5 minutes), for tables that pandas and polars read from CSV in one call
//! (numbers in `docs/user-guide.md`).

pub mod event;
pub mod metrics;
pub mod protobuf;
pub mod source;
pub mod table;
pub mod tensorboard;
pub mod tfrecord;

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::{Error, Result};

/// Runs `write` on a temporary file beside `path` and renames it to `path` when it succeeds; on failure
/// the temporary file is removed and `path` is left as it was. The errors of `write` are returned as they
/// are (they say whether reading a run or writing `path` failed); those of creating, flushing and moving the
/// file name `path`.
fn write_atomically<T>(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<T>) -> Result<T> {
    let name = path.file_name().ok_or_else(|| Error::usage(format!("{}: not a file name", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("creating", &dir, e))?;
    let tmp = dir.join(format!(".tmp-{}-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        // Named as the user gave it (the temporary name, `/proc/.tmp-x.csv-3714`, had been the one shown).
        let file = std::fs::File::create(&tmp).map_err(|e| Error::io("creating", path, e))?;
        let mut w = BufWriter::new(file);
        let value = write(&mut w)?;
        w.flush().map_err(|e| Error::io("writing", path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io("moving into place", path, e))?;
        Ok(value)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
pub(crate) mod fixture {
    //! Two small trained runs that differ in activation, placement, depth, bias_init and step scalars.

    use std::path::PathBuf;

    use crate::RunConfig;
    use crate::summarize::{LoadedRun, load_runs};

    /// Trains the runs into a fresh temporary directory named after `tag`; returns it and the runs.
    pub fn runs(tag: &str) -> (PathBuf, Vec<LoadedRun>) {
        let dir = std::env::temp_dir().join(format!("actscope-export-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
        let base = "steps = 30\nprobe_size = 50\ncheckpoints_per_epoch = 4\n";
        for extra in [
            "hidden = [8, 8]\nactivation = \"relu\"",
            "hidden = [6]\nactivation = \"tanh\"\nplacement = \"before\"\nbias_init = -1.0\nstep_scalars = true",
        ] {
            let cfg = RunConfig::from_toml(&format!("{base}{extra}"), "fixture").unwrap();
            crate::run::execute(&cfg, &data, &dir).unwrap();
        }
        let runs = load_runs(&dir).unwrap();
        assert_eq!(runs.len(), 2);
        (dir, runs)
    }
}
