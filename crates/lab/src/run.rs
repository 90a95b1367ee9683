//! Executing one run into its own directory, atomically: `config.json`, `records.jsonl`, `summary.json`,
//! and what `summary.json` holds.
//!
//! The run is written into `.tmp-<name>-<host>-<pid>` beside its final place and put in place when
//! complete ([`crate::store`], which also reads finished runs). This file, with the configuration, is part of
//! the code fingerprint ([`CODE`]; see `build.rs`): it decides a run's numbers.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use actscope_core::{
    Dataset, EvalPoint, LockstepRun, Mlp, MlpConfig, Optimizer, PreparedProbeSet, PreparedSet, Status, TrainConfig,
    TrainData, TrainOutcome, train, train_lockstep,
};
use actscope_data::LoadedData;
use actscope_metrics::probe::Between;
use actscope_metrics::records::write_jsonl;
use actscope_metrics::{MetricsProbe, ProbeConfig};
use serde::{Deserialize, Serialize};

use crate::budget::DataShape;
use crate::config::{CheckpointSample, RunConfig};
use crate::fsio::{self, create_dir_all, to_json};
use crate::store::{clean_partial, host, not_a_foreign_directory, put_in_place};
use crate::{Error, Result};

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
    /// How the run ended.
    pub status: RunStatus,
    /// The step whose loss was not finite, or from which it stayed above [`DIVERGENCE_FACTOR`] × its initial
    /// value, for diverged runs.
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
    /// Number of classes the network was trained for (0 in runs written before it was kept).
    #[serde(default)]
    pub classes: usize,
    /// Classes with examples in the training set: fewer than `classes` where some label numbers are unused
    /// (EMNIST Letters numbers its 26 classes from 1). Chance level is one over it. 0 where unknown (runs
    /// written before it was kept, and `analyze`'s).
    #[serde(default)]
    pub trained_classes: usize,
    /// Fingerprint of the code that computed the run ([`CODE`]); empty in runs written before it was kept.
    #[serde(default)]
    pub code: String,
    /// SHA-256 (hex) of the run's `records.jsonl`, checked whenever the run is reused, so a truncated or
    /// edited records file is redone rather than trusted; empty in runs written before it was kept.
    #[serde(default)]
    pub records_sha256: String,
}

/// Fingerprint of this build's run-computing code: SHA-256 (first 16 hex digits) of the layer, training,
/// metric and run sources and `Cargo.lock` (see `build.rs`). A finished run with another fingerprint
/// was computed by different code and is redone rather than reused.
pub const CODE: &str = env!("ACTSCOPE_CODE");

/// Divergence beyond non-finite losses: a run whose loss on the training subset rises above this multiple
/// of its value at step 0 and stays above it at every later evaluation, to the end, has diverged (at the
/// first of those evaluations). A loss that recovers is not divergence.
pub const DIVERGENCE_FACTOR: f64 = 10.0;

/// The step at which the training-subset loss blew up for good (see [`DIVERGENCE_FACTOR`]), if it did.
pub fn blown_up(history: &[EvalPoint]) -> Option<usize> {
    let train: Vec<&EvalPoint> = history.iter().filter(|p| p.set == "train").collect();
    let limit = DIVERGENCE_FACTOR * train.first()?.loss;
    let mut start = None;
    for p in &train {
        match (p.loss > limit, start) {
            (true, None) => start = Some(p.step),
            (false, _) => start = None,
            (true, Some(_)) => {}
        }
    }
    start
}

/// A run whose final test accuracy stays below chance ([`RunSummary::chance`]: one over the classes its
/// training set holds) plus this margin failed to learn.
pub const CHANCE_MARGIN: f64 = 0.05;

/// Validation accuracies for "steps to reach a target".
pub const TARGETS: [f64; 4] = [0.5, 0.7, 0.8, 0.85];

/// How a run ended, as `summary.json` writes it (`"ok"`, `"diverged"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Trained for its whole budget with finite losses.
    Ok,
    /// Stopped at a non-finite loss, or its loss blew up for good ([`DIVERGENCE_FACTOR`]);
    /// [`RunSummary::diverged_step`] says when.
    Diverged,
}

impl RunStatus {
    /// The word written in summaries and messages.
    pub fn word(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Diverged => "diverged",
        }
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.word())
    }
}

impl RunSummary {
    /// Whether the run trained to the end (did not diverge).
    pub fn is_ok(&self) -> bool {
        self.status == RunStatus::Ok
    }

    /// Final validation accuracy, 0 for a diverged run (so it loses every learning-rate selection) and for
    /// one never evaluated on validation ([`RunSummary::val_score`] tells the two apart).
    pub fn val_accuracy(&self) -> f64 {
        self.val_score().unwrap_or(0.0)
    }

    /// Final validation accuracy as the learning-rate sensitivity shows it: 0 for a diverged run, `None` for a
    /// run that was never evaluated on validation (a run of `analyze`, from captures).
    pub fn val_score(&self) -> Option<f64> {
        if self.is_ok() { self.val.as_ref().map(|p| p.accuracy) } else { Some(0.0) }
    }

    /// Final test accuracy (None for a diverged run).
    pub fn test_accuracy(&self) -> Option<f64> {
        if self.is_ok() { self.test.as_ref().map(|p| p.accuracy) } else { None }
    }

    /// Chance-level accuracy: one over the classes the training set holds (labels 0 and 2 only: 1/2, where
    /// 1/classes had said 1/3), or over `classes` where that is not recorded; `None` where neither is.
    pub fn chance(&self) -> Option<f64> {
        let k = self.chance_classes();
        (k > 0).then(|| 1.0 / k as f64)
    }

    /// The classes chance is counted over ([`RunSummary::chance`]): those the training set holds, or
    /// `classes` where that is not recorded; 0 where neither is.
    pub fn chance_classes(&self) -> usize {
        if self.trained_classes > 0 { self.trained_classes } else { self.classes }
    }

    /// Whether the run trained without diverging but ended at chance level: final test accuracy below
    /// [`RunSummary::chance`] + [`CHANCE_MARGIN`]. Such a run did not learn, and a metric read from it says
    /// nothing about a trained network. False when the number of classes is unknown (runs from before it was
    /// recorded).
    pub fn failed_to_learn(&self) -> bool {
        self.is_ok()
            && self.chance().is_some_and(|c| self.test.as_ref().is_some_and(|p| p.accuracy < c + CHANCE_MARGIN))
    }
}

/// Lower-case hex SHA-256 of `bytes` (the checksum `summary.json` keeps of `records.jsonl`).
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The sets every run on one [`LoadedData`] evaluates: the first [`TRAIN_EVAL_SIZE`] training examples
/// ("train"), validation and test, each with its rows grouped once for the sparse first-layer product
/// ([`PreparedSet`]); and the runs' probe sets ([`PreparedProbeSet`]). A sweep builds them once per data
/// and its runs share them ([`execute_shared`]), with the evaluations and first probe-set checkpoint of
/// each state runs start from; grouping the sets anew for every run took about 5% of an E1 run. They
/// change no result.
#[derive(Debug)]
pub struct EvalSets<'a> {
    data: &'a LoadedData,
    /// The data's shape, which each run's memory check reads ([`DataShape::of`] reads the sets).
    shape: DataShape,
    sets: [PreparedSet<'a>; 3],
    /// The runs' probe sets (the first `probe_size` validation examples) by size, made when a run first
    /// asks for one and shared like the evaluation sets, with the probe's observations of first states
    /// ([`PreparedProbeSet`]).
    probes: Mutex<HashMap<usize, Arc<PreparedProbeSet<'a>>>>,
}

impl<'a> EvalSets<'a> {
    /// The evaluation sets of runs on `data`, grouped in chunks of [`TrainConfig::DEFAULT_EVAL_BATCH`]
    /// rows (the chunk every run of this crate evaluates in).
    pub fn new(data: &'a LoadedData) -> Self {
        Self::with_shape(data, DataShape::of(data))
    }

    /// [`EvalSets::new`] for a caller that has computed `data`'s shape already (it scans the sets).
    pub(crate) fn with_shape(data: &'a LoadedData, shape: DataShape) -> Self {
        let chunk = TrainConfig::DEFAULT_EVAL_BATCH;
        let prepare = |set| PreparedSet::new(set, chunk).expect("the default evaluation chunk is not 0");
        let train_eval = data.train.head("train-eval", TRAIN_EVAL_SIZE);
        EvalSets {
            data,
            shape,
            sets: [
                prepare(Cow::Owned(train_eval)),
                prepare(Cow::Borrowed(&data.val)),
                prepare(Cow::Borrowed(&data.test)),
            ],
            probes: Mutex::default(),
        }
    }

    /// The probe set of `size` examples, the same value for every run that asks for this size.
    fn probe_set(&self, size: usize) -> Arc<PreparedProbeSet<'a>> {
        let mut probes = self.probes.lock().unwrap_or_else(PoisonError::into_inner);
        let made = probes
            .entry(size)
            .or_insert_with(|| Arc::new(PreparedProbeSet::new(Cow::Owned(self.data.val.head("probe", size)))));
        Arc::clone(made)
    }

    /// The sets by name, as the training loop evaluates them.
    fn named(&self) -> [(&str, &Dataset); 3] {
        [("train", self.sets[0].set()), ("val", self.sets[1].set()), ("test", self.sets[2].set())]
    }
}

/// Trains `cfg` on `data` and writes the run directory `out/<cfg.dir_name()>`; returns its summary.
///
/// # Errors
/// Invalid configuration for the data (usage), or IO errors naming the path.
pub fn execute(cfg: &RunConfig, data: &LoadedData, out: &Path) -> Result<RunSummary> {
    execute_watched(cfg, data, out, &mut ())
}

/// [`execute`] with evaluation sets built beforehand (and shared with other runs on the same data); the
/// run and its directory are the same as [`execute`]'s.
///
/// # Errors
/// As [`execute`].
pub fn execute_shared(cfg: &RunConfig, evals: &EvalSets<'_>, out: &Path) -> Result<RunSummary> {
    let (name, tmp) = open_run(cfg, &evals.shape, out)?;
    train_into(cfg, evals, out, &name, &tmp, &mut (), false).inspect_err(|_| {
        let _ = fs::remove_dir_all(&tmp);
    })
}

/// [`execute`], showing `watcher` every evaluation (and anything else it asks the training loop for) —
/// e.g. progress lines. A watcher that only reads evaluations changes nothing in the run.
///
/// # Errors
/// As [`execute`].
pub fn execute_watched(
    cfg: &RunConfig,
    data: &LoadedData,
    out: &Path,
    watcher: &mut dyn actscope_core::Probe<f32>,
) -> Result<RunSummary> {
    watched(cfg, data, out, watcher, false)
}

/// [`execute_watched`] for a run that may be finished in `out` already (`actscope train --force`): it is
/// trained again, and the finished directory is replaced only once the new one is complete, so an
/// interruption leaves it as it was.
///
/// # Errors
/// As [`execute`].
pub fn execute_replacing(
    cfg: &RunConfig,
    data: &LoadedData,
    out: &Path,
    watcher: &mut dyn actscope_core::Probe<f32>,
) -> Result<RunSummary> {
    watched(cfg, data, out, watcher, true)
}

fn watched(
    cfg: &RunConfig,
    data: &LoadedData,
    out: &Path,
    watcher: &mut dyn actscope_core::Probe<f32>,
    replace: bool,
) -> Result<RunSummary> {
    let shape = DataShape::of(data);
    let (name, tmp) = open_run(cfg, &shape, out)?;
    // Whatever fails from here on, the temporary directory goes with it.
    train_into(cfg, &EvalSets::with_shape(data, shape), out, &name, &tmp, watcher, replace).inspect_err(|_| {
        let _ = fs::remove_dir_all(&tmp);
    })
}

/// Checks that `cfg` fits the machine and that `out/<its name>` is free for it, clears this host's leftovers
/// of earlier attempts and creates the run's temporary directory; returns the name and that directory.
fn open_run(cfg: &RunConfig, shape: &DataShape, out: &Path) -> Result<(String, PathBuf)> {
    // Refuse a run the machine cannot hold before allocating anything or creating a directory.
    crate::budget::check_run(cfg, shape)?;
    let name = cfg.dir_name();
    create_dir_all(out)?;
    not_a_foreign_directory(out, &name)?;
    clean_partial(out, &name)?;
    let tmp: PathBuf = out.join(crate::store::staging_name(&name, &host(), std::process::id()));
    create_dir_all(&tmp)?;
    Ok((name, tmp))
}

/// Trains the runs `cfgs` on `data` together, in lockstep ([`actscope_core::train_lockstep`]: one shared
/// batch gather and first-layer product per step), and writes each run's directory as [`execute`] does;
/// returns each run's summary or error, in order. Each run's directory is bit for bit what [`execute`]
/// writes for it, except `wall_seconds`, which is the run's share of the group's time (the group's wall time
/// divided by its runs). A run that fails does not stop the others.
///
/// The runs must share batches: the same data (the same [`LoadedData`] value, whose evaluation sets
/// `evals` holds), seed, batch size and training length ([`crate::group::GroupKey`]); a group that does not
/// gives every run that error.
pub fn execute_group(cfgs: &[&RunConfig], evals: &EvalSets<'_>, out: &Path) -> Vec<Result<RunSummary>> {
    let data = evals.data;
    let mut results: Vec<Option<Result<RunSummary>>> = cfgs.iter().map(|_| None).collect();
    // Per run that could be set up: (index, name, temporary directory, probe set), and its model.
    let mut ready: Vec<(usize, String, PathBuf, Arc<PreparedProbeSet<'_>>)> = Vec::new();
    let mut models: Vec<Model> = Vec::new();
    for (i, cfg) in cfgs.iter().enumerate() {
        // The probe set after the memory check, as a run alone makes it.
        let opened = open_run(cfg, &evals.shape, out).and_then(|(name, tmp)| {
            let probe_set = evals.probe_set(cfg.probe_size);
            prepare(cfg, data, probe_set.set()).map(|p| (name.clone(), tmp.clone(), p, probe_set)).inspect_err(|_| {
                let _ = fs::remove_dir_all(&tmp);
            })
        });
        match opened {
            Ok((name, tmp, model, probe_set)) => {
                ready.push((i, name, tmp, probe_set));
                models.push(model);
            }
            Err(e) => results[i] = Some(Err(e)),
        }
    }
    let named = evals.named();
    let runs = models
        .iter_mut()
        .zip(&ready)
        .map(|(m, r)| LockstepRun {
            net: &mut m.net,
            opt: &mut m.opt,
            config: &m.tc,
            data: TrainData::new(&data.train, &named, None).with_prepared(&evals.sets).with_prepared_probe(&r.3),
            probe: &mut m.probe,
        })
        .collect();
    let start = Instant::now();
    let outcomes = train_lockstep(runs);
    let wall_seconds = start.elapsed().as_secs_f64() / models.len().max(1) as f64;
    let outcomes: Vec<Result<TrainOutcome>> = match outcomes {
        Ok(o) => o.into_iter().map(|o| o.map_err(Error::from)).collect(),
        Err(e) => models.iter().map(|_| Err(Error::usage(format!("lockstep group: {e}")))).collect(),
    };
    for (((i, name, tmp, _), model), outcome) in ready.iter().zip(models).zip(outcomes) {
        let i = *i;
        let written = outcome.and_then(|o| write_run(cfgs[i], data, out, name, tmp, model, &o, wall_seconds, false));
        if written.is_err() {
            let _ = fs::remove_dir_all(tmp);
        }
        results[i] = Some(written);
    }
    results.into_iter().map(|r| r.expect("every run has a result")).collect()
}

/// A run set up to train: its network, optimizer, settings and probe (what the training loop mutates).
struct Model {
    mlp: MlpConfig,
    net: Mlp<f32>,
    opt: Optimizer<f32>,
    tc: TrainConfig,
    probe: MetricsProbe<f32>,
}

/// Builds the network, optimizer, settings and probe of `cfg` on `data`, shown `probe_set`.
fn prepare(cfg: &RunConfig, data: &LoadedData, probe_set: &Dataset) -> Result<Model> {
    let mlp = cfg.mlp_config(data.train.dim(), data.train.classes.max(data.test.classes).max(2));
    let net = Mlp::<f32>::new(&mlp, cfg.seed)?;
    let opt = Optimizer::new(cfg.optimizer_config()?)?;
    let tc = cfg.train_config(data.train.len());
    let spe = tc.steps_per_epoch(data.train.len());
    let total = tc.total_steps(data.train.len());
    let pc = ProbeConfig {
        every: Some(cfg.checkpoint_cadence(spe, total)),
        last_step: total,
        tau: cfg.tau,
        step_scalars: cfg.step_scalars,
        effective_rank: cfg.effective_rank,
        tracked_unit: 0,
        between: match cfg.checkpoint_sample {
            CheckpointSample::TrainBatch => Between::TrainBatch,
            CheckpointSample::ProbeSet => Between::ProbeSet,
        },
        full_every: 0,
    };
    let probe = MetricsProbe::new(pc, &net, probe_set.len());
    Ok(Model { mlp, net, opt, tc, probe })
}

fn train_into(
    cfg: &RunConfig,
    evals: &EvalSets<'_>,
    out: &Path,
    name: &str,
    tmp: &Path,
    watcher: &mut dyn actscope_core::Probe<f32>,
    replace: bool,
) -> Result<RunSummary> {
    let data = evals.data;
    let probe_set = evals.probe_set(cfg.probe_size);
    let mut model = prepare(cfg, data, probe_set.set())?;
    let start = Instant::now();
    let Model { net, opt, tc, probe, .. } = &mut model;
    let named = evals.named();
    let data_seen =
        TrainData::new(&data.train, &named, None).with_prepared(&evals.sets).with_prepared_probe(&probe_set);
    let outcome = train(net, opt, tc, data_seen, (probe, watcher))?;
    let wall_seconds = start.elapsed().as_secs_f64();
    write_run(cfg, data, out, name, tmp, model, &outcome, wall_seconds, replace)
}

/// Writes a trained run into `tmp`, then moves it to `out/name`; returns its summary. A run finished there
/// in the meantime (by another process) is kept, unless `replace`.
#[allow(clippy::too_many_arguments)]
fn write_run(
    cfg: &RunConfig,
    data: &LoadedData,
    out: &Path,
    name: &str,
    tmp: &Path,
    model: Model,
    outcome: &TrainOutcome,
    wall_seconds: f64,
    replace: bool,
) -> Result<RunSummary> {
    let records = model.probe.finish();
    let mlp = model.mlp;
    let (status, diverged_step) = match (outcome.status, blown_up(&outcome.history)) {
        (Status::Diverged { step }, _) => (RunStatus::Diverged, Some(step)),
        (Status::Ok, Some(step)) => (RunStatus::Diverged, Some(step)),
        (Status::Ok, None) => (RunStatus::Ok, None),
    };
    let steps_to_target = TARGETS
        .iter()
        .map(|&t| outcome.history.iter().find(|p| p.set == "val" && p.accuracy >= t).map(|p| p.step))
        .collect();
    let summary = RunSummary {
        schema: SUMMARY_SCHEMA,
        id: cfg.id(),
        name: name.to_string(),
        status,
        diverged_step,
        steps: outcome.steps,
        train: outcome.last("train").cloned(),
        val: outcome.last("val").cloned(),
        test: outcome.last("test").cloned(),
        steps_to_target,
        wall_seconds,
        data: data.description.clone(),
        data_checksum: data.checksum.clone(),
        classes: mlp.output_dim,
        trained_classes: data.train.class_counts().iter().filter(|&&n| n > 0).count(),
        code: CODE.to_string(),
        records_sha256: String::new(),
    };
    fsio::write(&tmp.join("config.json"), to_json(cfg))?;
    let mut buf = Vec::new();
    write_jsonl(&records, &mut buf).map_err(|e| Error::io("serialising records of", tmp, e))?;
    fsio::write(&tmp.join("records.jsonl"), &buf)?;
    let summary = RunSummary { records_sha256: sha256_hex(&buf), ..summary };
    fsio::write(&tmp.join("summary.json"), to_json(&summary))?;
    put_in_place(tmp, out, name, &data.checksum, replace)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("actscope-run-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    /// Runs that share one data's evaluation sets, grouped once ([`execute_shared`], as a sweep runs them),
    /// write what each writes when the sets are grouped for it alone ([`execute`]); runs that differ only
    /// in their learning rate start from the same network, whose evaluations and first checkpoint on the
    /// probe set they share. (That grouping the
    /// sets changes no result is tested in core, against training with no sets prepared.)
    #[test]
    fn runs_sharing_their_evaluation_sets_write_what_they_write_alone() {
        let mut cfg = RunConfig::from_toml("hidden = [8]\nsteps = 4\nprobe_size = 50", "test").unwrap();
        let data = actscope_data::load("embedded", 0.1, false).unwrap();
        let evals = EvalSets::new(&data);
        let sparse = actscope_core::sparse::kernel_available();
        assert!(evals.sets.iter().all(|s| s.is_sparse() == sparse), "image sets are grouped where there is a kernel");
        let (alone, shared) = (temp("alone"), temp("shared"));
        for (seed, lr) in [(1, 0.1), (1, 0.01), (2, 0.1)] {
            (cfg.seed, cfg.lr) = (seed, lr);
            let mut a = execute(&cfg, &data, &alone).unwrap();
            let mut b = execute_shared(&cfg, &evals, &shared).unwrap();
            (a.wall_seconds, b.wall_seconds) = (0.0, 0.0);
            assert_eq!(a, b, "seed {seed}, lr {lr}");
            let records = |out: &Path| fs::read(out.join(&a.name).join("records.jsonl")).unwrap();
            assert_eq!(records(&alone), records(&shared), "seed {seed}, lr {lr}");
        }
        let starts: Vec<usize> = evals.sets.iter().map(PreparedSet::starts_evaluated).collect();
        assert_eq!(starts, [2, 2, 2], "two seeds, two first states; the second rate shares the first's");
        assert_eq!(evals.probe_set(50).starts_observed(), 2, "and the probe set's first checkpoint likewise");
        fs::remove_dir_all(&alone).unwrap();
        fs::remove_dir_all(&shared).unwrap();
    }

    #[test]
    fn a_failed_run_leaves_no_temporary_directory() {
        let mut cfg = RunConfig::from_toml("hidden = [4]\nsteps = 3\nprobe_size = 50", "test").unwrap();
        let data = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
        cfg.batch_size = 100_000;
        let out = temp("failed");
        assert!(execute(&cfg, &data, &out).unwrap_err().is_usage());
        // Refused before anything is created (budget::check_fit), so not even `out`.
        assert!(!out.exists());
        let _ = fs::remove_dir_all(&out);
    }

    /// A run's summary keeps the classes its training set holds, which chance level counts over: a set of
    /// labels 0 and 2 holds 2 of its 3 classes.
    #[test]
    fn a_summary_keeps_the_classes_trained_on() {
        let cfg = RunConfig::from_toml("hidden = [4]\nsteps = 3\nprobe_size = 20", "test").unwrap();
        let mut data = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
        for set in [&mut data.train, &mut data.val, &mut data.test] {
            set.labels.iter_mut().for_each(|l| *l *= 2);
            set.classes = 3;
        }
        let out = temp("trained-classes");
        let s = execute(&cfg, &data, &out).unwrap();
        assert_eq!((s.classes, s.trained_classes), (3, 2));
        assert_eq!(s.chance(), Some(0.5));
        fs::remove_dir_all(&out).unwrap();
    }
}
