//! Executing one run into its own directory, atomically: `config.json`, `records.jsonl`, `summary.json`.
//!
//! The run is written into `.tmp-<name>-<pid>` beside its final place and renamed when complete, so a
//! directory named after a run always holds a finished run; an interrupted run leaves only a temporary
//! directory, which the next attempt at the same run removes.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use actscope_core::{EvalPoint, Mlp, Optimizer, Status, TrainData, train};
use actscope_metrics::records::write_jsonl;
use actscope_metrics::{MetricsProbe, ProbeConfig};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::config::RunConfig;
use crate::data::LoadedData;

/// Version of `summary.json`'s layout.
pub const SUMMARY_SCHEMA: u32 = 1;

/// Examples of the training set evaluated as "train" (a fixed prefix, to keep evaluation cheap).
pub const TRAIN_EVAL_SIZE: usize = 2000;

/// What `summary.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Layout version.
    pub schema: u32,
    /// The run id (hash of the resolved configuration).
    pub id: String,
    /// The directory name.
    pub name: String,
    /// `ok` or `diverged`.
    pub status: String,
    /// The step whose loss was not finite, for diverged runs.
    pub diverged_step: Option<usize>,
    /// Steps done.
    pub steps: usize,
    /// Last evaluation on the training subset.
    pub train: Option<EvalPoint>,
    /// Last evaluation on validation.
    pub val: Option<EvalPoint>,
    /// Last evaluation on test.
    pub test: Option<EvalPoint>,
    /// Steps until validation accuracy first reached each target in [`TARGETS`] (none if never).
    pub steps_to_target: Vec<Option<usize>>,
    /// Wall-clock seconds of training (excluded from determinism comparisons).
    pub wall_seconds: f64,
    /// Where the data came from.
    pub data: String,
    /// Checksum of the data.
    pub data_checksum: String,
    /// Fingerprint of the code that computed the run ([`CODE`]); empty in runs written before it was kept.
    #[serde(default)]
    pub code: String,
}

/// Fingerprint of this build's run-computing code: SHA-256 (first 16 hex digits) of the layer, training,
/// metric and run sources and `Cargo.lock` (see `build.rs`). A finished run with another fingerprint
/// was computed by different code and is redone rather than reused.
pub const CODE: &str = env!("ACTSCOPE_CODE");

/// Validation accuracies for "steps to reach a target".
pub const TARGETS: [f64; 4] = [0.5, 0.7, 0.8, 0.85];

impl RunSummary {
    /// Final validation accuracy, 0 for a diverged run (so it loses every learning-rate selection).
    pub fn val_accuracy(&self) -> f64 {
        if self.status == "ok" { self.val.as_ref().map_or(0.0, |p| p.accuracy) } else { 0.0 }
    }

    /// Final test accuracy (None for a diverged run).
    pub fn test_accuracy(&self) -> Option<f64> {
        if self.status == "ok" { self.test.as_ref().map(|p| p.accuracy) } else { None }
    }
}

/// Where a run stands in an output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// No finished run directory.
    Missing,
    /// Finished by this build's code: reused.
    Finished,
    /// Finished by other code (the fingerprint shown; empty for runs from before fingerprints), or with
    /// an unreadable summary: redone.
    Stale(String),
}

/// The state of run `name` in `out` (see [`RunState`]).
pub fn state(out: &Path, name: &str) -> RunState {
    let dir = out.join(name);
    if !dir.join("summary.json").is_file() {
        return RunState::Missing;
    }
    match read_summary(&dir) {
        Ok(s) if s.code == CODE => RunState::Finished,
        Ok(s) => RunState::Stale(s.code),
        Err(_) => RunState::Stale("unreadable summary".into()),
    }
}

/// An error when `out/name` exists without being a finished run (not written by us): it is never
/// overwritten. Checked before training and again before the result is moved into place.
fn not_a_foreign_directory(out: &Path, name: &str) -> Result<()> {
    let dest = out.join(name);
    if dest.exists() && state(out, name) == RunState::Missing {
        anyhow::bail!("{} exists but is not a finished run; move it away and try again", dest.display());
    }
    Ok(())
}

/// Removes temporary directories left by interrupted attempts at the run `name`.
fn clean_partial(out: &Path, name: &str) -> Result<()> {
    let prefix = format!(".tmp-{name}-");
    let Ok(entries) = fs::read_dir(out) else { return Ok(()) };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            fs::remove_dir_all(e.path()).with_context(|| format!("removing partial run {}", e.path().display()))?;
        }
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// Trains `cfg` on `data` and writes the run directory `out/<cfg.dir_name()>`; returns its summary.
///
/// # Errors
/// Invalid configuration for the data (usage), or IO errors naming the path.
pub fn execute(cfg: &RunConfig, data: &LoadedData, out: &Path) -> Result<RunSummary> {
    let name = cfg.dir_name();
    fs::create_dir_all(out).with_context(|| format!("creating output directory {}", out.display()))?;
    not_a_foreign_directory(out, &name)?;
    clean_partial(out, &name)?;
    let tmp: PathBuf = out.join(format!(".tmp-{name}-{}", std::process::id()));
    fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;

    let mlp = cfg.mlp_config(data.train.dim(), data.train.classes.max(data.test.classes).max(2));
    let mut net = Mlp::<f32>::new(&mlp, cfg.seed).map_err(crate::error::UsageError::from)?;
    let mut opt = Optimizer::new(cfg.optimizer_config()?).map_err(crate::error::UsageError::from)?;
    let tc = cfg.train_config(data.train.len());
    if cfg.batch_size > data.train.len() {
        return Err(crate::error::UsageError::new(format!(
            "invalid batch_size: {} is larger than the training set ({} examples)",
            cfg.batch_size,
            data.train.len()
        ))
        .into());
    }
    let probe_set = data.val.head("probe", cfg.probe_size);
    let train_eval = data.train.head("train-eval", TRAIN_EVAL_SIZE);
    let spe = tc.steps_per_epoch(data.train.len());
    let total = tc.total_steps(data.train.len());
    let pc = ProbeConfig {
        every: spe.checked_div(cfg.checkpoints_per_epoch).map_or(total, |e| e.max(1)).max(1),
        last_step: total,
        tau: cfg.tau,
        step_scalars: cfg.step_scalars,
        effective_rank: cfg.effective_rank,
        tracked_unit: 0,
    };
    let mut probe = MetricsProbe::new(pc, &net, probe_set.len());
    let evals = [("train", &train_eval), ("val", &data.val), ("test", &data.test)];
    let start = Instant::now();
    let outcome = train(
        &mut net,
        &mut opt,
        &tc,
        TrainData { train: &data.train, evals: &evals, probe_set: Some(&probe_set) },
        &mut probe,
    )
    .map_err(crate::error::UsageError::from)?;
    let wall_seconds = start.elapsed().as_secs_f64();
    let records = probe.finish();

    let (status, diverged_step) = match outcome.status {
        Status::Ok => ("ok", None),
        Status::Diverged { step } => ("diverged", Some(step)),
    };
    let steps_to_target = TARGETS
        .iter()
        .map(|&t| outcome.history.iter().find(|p| p.set == "val" && p.accuracy >= t).map(|p| p.step))
        .collect();
    let summary = RunSummary {
        schema: SUMMARY_SCHEMA,
        id: cfg.id(),
        name: name.clone(),
        status: status.into(),
        diverged_step,
        steps: outcome.steps,
        train: outcome.last("train").cloned(),
        val: outcome.last("val").cloned(),
        test: outcome.last("test").cloned(),
        steps_to_target,
        wall_seconds,
        data: data.description.clone(),
        data_checksum: data.checksum.clone(),
        code: CODE.to_string(),
    };
    write(&tmp.join("config.json"), serde_json::to_string_pretty(cfg)?.as_bytes())?;
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf)?;
    write(&tmp.join("records.jsonl"), &buf)?;
    write(&tmp.join("summary.json"), serde_json::to_string_pretty(&summary)?.as_bytes())?;
    let dest = out.join(&name);
    match state(out, &name) {
        // Another process finished the same run first, with the same code; keep its result.
        RunState::Finished => {
            fs::remove_dir_all(&tmp).ok();
            return Ok(summary);
        }
        // Computed by other code: set it aside under a temporary name (removed at the next attempt if a
        // crash leaves it), then put this result in its place.
        RunState::Stale(_) => {
            let old = out.join(format!(".tmp-{name}-stale-{}", std::process::id()));
            fs::rename(&dest, &old).with_context(|| format!("moving {} aside", dest.display()))?;
            fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
        }
        RunState::Missing => {
            if let Err(e) = not_a_foreign_directory(out, &name) {
                fs::remove_dir_all(&tmp).ok();
                return Err(e);
            }
        }
    }
    fs::rename(&tmp, &dest).with_context(|| format!("moving {} to {}", tmp.display(), dest.display()))?;
    Ok(summary)
}

/// Reads `summary.json` of a run directory.
///
/// # Errors
/// Missing or malformed file, naming it.
pub fn read_summary(dir: &Path) -> Result<RunSummary> {
    let p = dir.join("summary.json");
    let text = fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// Reads `config.json` of a run directory.
///
/// # Errors
/// Missing or malformed file, naming it.
pub fn read_config(dir: &Path) -> Result<RunConfig> {
    let p = dir.join("config.json");
    let text = fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", p.display()))
}

/// Every finished run directory directly inside `dir`, sorted by name.
///
/// # Errors
/// If `dir` cannot be read.
pub fn list_runs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading runs directory {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("summary.json").is_file())
        .collect();
    out.sort();
    Ok(out)
}
