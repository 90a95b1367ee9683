//! What a training run is given and what it returns: its settings ([`TrainConfig`], [`Budget`]), its data
//! ([`TrainData`]) and its outcome ([`TrainOutcome`], [`Status`]). Shared by [`crate::train`] and
//! [`crate::train_lockstep`] (kept apart from both so that neither imports the other's file).

use serde::{Deserialize, Serialize};

use crate::Cadence;
use crate::Dataset;
use crate::eval::{EvalPoint, PreparedSet};
use crate::prepared_probe::PreparedProbeSet;

/// How long to train; at least 1 step or epoch (training refuses `Steps(0)` and `Epochs(0)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// A number of passes over the training set.
    Epochs(usize),
    /// A number of updates.
    Steps(usize),
}

/// Settings of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Examples per update.
    pub batch_size: usize,
    /// How long to train.
    pub budget: Budget,
    /// Seed of the shuffling (the network's init has its own seed).
    pub seed: u64,
    /// When to evaluate besides step 0 and the end: every n-th step ([`Cadence::every`]), or k times per
    /// epoch ([`Cadence::per`] with [`TrainConfig::steps_per_epoch`]; each at the first step at or after its
    /// exact fraction of the epoch). Training refuses a cadence with a 0; `None`: only at those two.
    #[serde(default)]
    pub eval_every: Option<Cadence>,
    /// Rows per chunk when evaluating (default 1000).
    #[serde(default = "default_eval_batch")]
    pub eval_batch: usize,
}

fn default_eval_batch() -> usize {
    TrainConfig::DEFAULT_EVAL_BATCH
}

impl TrainConfig {
    /// Rows per evaluation chunk unless set otherwise ([`TrainConfig::eval_batch`]).
    pub const DEFAULT_EVAL_BATCH: usize = 1000;

    /// `batch_size` examples per step for `budget`, shuffled with `seed`.
    pub fn new(batch_size: usize, budget: Budget, seed: u64) -> Self {
        TrainConfig { batch_size, budget, seed, eval_every: None, eval_batch: default_eval_batch() }
    }

    /// Updates per epoch for a training set of `n` examples.
    pub fn steps_per_epoch(&self, n: usize) -> usize {
        n / self.batch_size.max(1)
    }

    /// Total updates for a training set of `n` examples.
    pub fn total_steps(&self, n: usize) -> usize {
        match self.budget {
            Budget::Epochs(e) => e * self.steps_per_epoch(n),
            Budget::Steps(s) => s,
        }
    }
}

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// The budget was spent with finite losses throughout.
    Ok,
    /// The loss became NaN or infinite at `step`; training stopped there.
    Diverged {
        /// The step whose loss was not finite.
        step: usize,
    },
}

/// The result of [`train`](crate::train()).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOutcome {
    /// Updates done.
    pub steps: usize,
    /// How the run ended.
    pub status: Status,
    /// Every evaluation, in order.
    pub history: Vec<EvalPoint>,
    /// Mean training loss of the last batch.
    pub last_train_loss: f64,
}

impl TrainOutcome {
    /// The last evaluation on the set called `set`.
    pub fn last(&self, set: &str) -> Option<&EvalPoint> {
        self.history.iter().rev().find(|p| p.set == set)
    }
}

/// The data a run sees: the training set, named evaluation sets and an optional fixed probe set.
#[derive(Clone, Copy, Debug)]
pub struct TrainData<'a> {
    /// The training set.
    pub train: &'a Dataset,
    /// Sets evaluated periodically, by name (e.g. `("val", &val)`).
    pub evals: &'a [(&'a str, &'a Dataset)],
    /// The fixed probe set probes are shown (in train mode, without updating running statistics).
    pub probe_set: Option<&'a Dataset>,
    /// Evaluation sets grouped beforehand for the sparse first-layer product, to share one grouping among
    /// runs ([`PreparedSet`]). A set of `evals` uses the one prepared from it (the same `Dataset` value, as
    /// [`PreparedSet::set`] returns it) in chunks of [`TrainConfig::eval_batch`]; the run groups any other
    /// set itself. `&[]` for none. Results are the same either way.
    pub prepared: &'a [PreparedSet<'a>],
    /// The probe set as a sweep shares it among its runs, with the probe's observations of their first
    /// states ([`PreparedProbeSet`]); used when it holds `probe_set` itself (the same `Dataset` value) and the
    /// probe shares ([`crate::Probe::start_key`]). Results are the same either way.
    pub prepared_probe: Option<&'a PreparedProbeSet<'a>>,
}

impl<'a> TrainData<'a> {
    /// The data of a run with no evaluation set prepared beforehand (each run groups its own, as
    /// [`TrainData::prepared`] says). Code outside this crate that builds `TrainData` this way keeps
    /// compiling when a field with such a default is added.
    pub fn new(train: &'a Dataset, evals: &'a [(&'a str, &'a Dataset)], probe_set: Option<&'a Dataset>) -> Self {
        TrainData { train, evals, probe_set, prepared: &[], prepared_probe: None }
    }

    /// The same data, with evaluation sets grouped beforehand to share among runs ([`PreparedSet`]).
    pub fn with_prepared(self, prepared: &'a [PreparedSet<'a>]) -> Self {
        TrainData { prepared, ..self }
    }

    /// The same data, with the probe set as a sweep shares it ([`PreparedProbeSet`]): `probe_set` becomes
    /// the prepared set's own.
    pub fn with_prepared_probe(self, prepared: &'a PreparedProbeSet<'a>) -> Self {
        TrainData { probe_set: Some(prepared.set()), prepared_probe: Some(prepared), ..self }
    }
}
