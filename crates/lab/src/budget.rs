//! Size limits of a run, checked before anything is allocated, so that a huge network is refused with a
//! usage error instead of aborting the process when an allocation fails.
//!
//! Two checks:
//!
//! - [`check_shape`], without data, from [`RunConfig::validate`]: absolute caps on the layer width
//!   ([`MAX_WIDTH`]) and the number of hidden layers ([`MAX_DEPTH`]) that no machine could train, checked
//!   before `depth × width` is expanded into a list of widths;
//! - [`check_memory`], with the data's shape, from [`crate::run::execute`]: an estimate of the bytes the
//!   run allocates ([`MemoryEstimate`]) against the memory the machine can give it ([`MemoryLimit`]).
//!
//! The estimate counts, in `f32` for the network (`usize` for labels, `f64` for metric temporaries):
//!
//! ```text
//! parameters  Σ_l (fan_in_l·w_l + 5·w_l) + w_L·C + C          weights, bias, BN γ β and running mean/var
//! optimizer   0 (SGD), T (SGD with momentum), 2·T (Adam, AdamW) T = trainable scalars
//! workspaces  buffers of the training (batch_size rows), evaluation (eval_batch rows) and probe
//!             (probe rows) passes: per layer 4–7 rows×w activations, a gradient per weight; logits
//! batch       batch_size × input_dim features and labels
//! evaluation  an eval_batch × input_dim chunk, the training subset evaluated as "train", and the
//!             evaluation sets' rows grouped for the sparse first-layer product where they will be
//!             (`SparseSet::max_bytes`: 20 bytes per column for every four rows of the training subset,
//!             validation and test; a sweep builds it once per data and keeps it, like the data, to its
//!             end, but each run is charged for it)
//! probe       the probe set twice (as loaded and converted), a copy of every hidden weight (update
//!             ratio), and the largest layer's metric temporaries (probe × w f64 copies, a Gram matrix)
//! records     checkpoints × layers × 6 KiB, step scalars, evaluations (in memory and as JSON Lines)
//! ```
//!
//! Every product is checked, so the estimate itself cannot overflow: a size beyond 2⁶⁴ bytes is refused
//! as such. The estimate errs high; the loaded data itself is not counted (it is already in memory).
//!
//! The limit is, in order: the environment variable [`MEMORY_ENV`] (`ACTSCOPE_MAX_MEMORY`, bytes with an
//! optional K/M/G/T suffix, powers of 1024, e.g. `64G`); else `MemAvailable` from `/proc/meminfo`, lowered
//! to the cgroup's `memory.max` where one is set (a container or a Slurm job); else
//! [`DEFAULT_MEMORY_LIMIT`] (8 GiB) where neither can be read.

use actscope_core::sparse::SparseSet;
use actscope_core::{Budget, Placement, TrainConfig};
use actscope_data::LoadedData;
use ndarray::s;

use crate::config::RunConfig;
use crate::run::TRAIN_EVAL_SIZE;
use crate::{Error, OptimizerKind, Result};

/// The widest hidden layer a configuration may ask for (units), whatever the machine.
pub const MAX_WIDTH: usize = 10_000_000;

/// The most hidden layers a configuration may ask for, whatever the machine.
pub const MAX_DEPTH: usize = 100_000;

/// The environment variable that sets the memory limit of one run (bytes; suffixes K, M, G, T).
pub const MEMORY_ENV: &str = "ACTSCOPE_MAX_MEMORY";

/// The memory limit where neither [`MEMORY_ENV`] nor `/proc/meminfo` tells one: 8 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 8 << 30;

/// Bytes of one network scalar (`f32`).
const SCALAR: u64 = 4;
/// Bytes of one label (`usize`) or metric temporary (`f64`).
const WORD: u64 = 8;
/// Bytes one layer adds to one checkpoint record, in memory and as JSON (two histograms of ≤ 64 bins and
/// a few dozen numbers, generously).
const LAYER_RECORD: u64 = 6 << 10;
/// Bytes of one evaluation point, in memory and as JSON.
const EVAL_RECORD: u64 = 256;

/// Checks the absolute caps that need no data: at most [`MAX_DEPTH`] hidden layers of at most
/// [`MAX_WIDTH`] units. Called by [`RunConfig::validate`] before the widths are expanded.
///
/// # Errors
/// A usage error naming the field, the value and the cap.
pub fn check_shape(cfg: &RunConfig) -> Result<()> {
    let bad = |field: &str, msg: String| Err(Error::usage(format!("invalid {field}: {msg}")));
    match cfg.depth {
        Some(d) if d > MAX_DEPTH => bad("depth", format!("{d} hidden layers exceed the limit of {MAX_DEPTH}")),
        Some(_) if cfg.width > MAX_WIDTH => {
            bad("width", format!("{} units exceed the limit of {MAX_WIDTH} per layer", cfg.width))
        }
        Some(_) => Ok(()),
        None if cfg.hidden.len() > MAX_DEPTH => {
            bad("hidden", format!("{} hidden layers exceed the limit of {MAX_DEPTH}", cfg.hidden.len()))
        }
        None => match cfg.hidden.iter().position(|&w| w > MAX_WIDTH) {
            Some(i) => bad(
                "hidden",
                format!("width {} (layer {}) exceeds the limit of {MAX_WIDTH} units per layer", cfg.hidden[i], i + 1),
            ),
            None => Ok(()),
        },
    }
}

/// What the estimate needs to know about the data of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataShape {
    /// Features per example.
    pub input_dim: usize,
    /// Classes (outputs of the network).
    pub classes: usize,
    /// Examples in the training set.
    pub train: usize,
    /// Examples in the validation set (the probe set is taken from it).
    pub val: usize,
    /// Classes that occur in the training set (a set of one has nothing to tell apart: [`check_fit`]).
    pub train_classes: usize,
    /// Bytes of the evaluation sets' sparse grouping (an upper bound; 0 where no set will be grouped: a
    /// dense set, or a machine without the sparse kernel).
    pub eval_grouping: u64,
}

impl DataShape {
    /// The shape of loaded data, as [`crate::run::execute`] builds the network for it.
    pub fn of(data: &LoadedData) -> Self {
        DataShape {
            input_dim: data.train.dim(),
            classes: data.train.classes.max(data.test.classes).max(2),
            train: data.train.len(),
            val: data.val.len(),
            train_classes: data.train.class_counts().iter().filter(|&&n| n > 0).count(),
            eval_grouping: [
                data.train.x().slice(s![..TRAIN_EVAL_SIZE.min(data.train.len()), ..]),
                data.val.x(),
                data.test.x(),
            ]
            .into_iter()
            .filter(|x| SparseSet::may_group(*x, TrainConfig::DEFAULT_EVAL_BATCH))
            .map(|x| SparseSet::max_bytes(x.nrows(), x.ncols(), TrainConfig::DEFAULT_EVAL_BATCH))
            .fold(0, u64::saturating_add),
        }
    }
}

/// The bytes a run allocates, by purpose (see the module docs for what each counts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Weights, biases, BatchNorm parameters and running statistics.
    pub parameters: u64,
    /// Momentum and Adam moments.
    pub optimizer: u64,
    /// Activation and gradient buffers of the training, evaluation and probe passes.
    pub workspaces: u64,
    /// One training batch.
    pub batch: u64,
    /// Evaluation chunk and the training subset evaluated as "train".
    pub evaluation: u64,
    /// Probe set copies, weight copies and metric temporaries.
    pub probe: u64,
    /// Records and evaluation history, in memory and as JSON Lines.
    pub records: u64,
    /// The sum.
    pub total: u64,
}

/// Checked arithmetic on byte counts: every step either fits in a `u64` or the run is refused.
struct Counter;

impl Counter {
    fn mul(parts: &[u64]) -> Option<u64> {
        parts.iter().try_fold(1u64, |acc, &p| acc.checked_mul(p))
    }

    fn sum(parts: &[u64]) -> Option<u64> {
        parts.iter().try_fold(0u64, |acc, &p| acc.checked_add(p))
    }
}

/// Formats bytes as `N bytes (X.Y GiB)`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let (mut v, mut unit) = (n as f64 / 1024.0, 0);
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{n} bytes ({v:.1} {})", UNITS[unit])
}

/// Estimates the bytes a run of `cfg` on data of `shape` allocates (see the module docs).
///
/// # Errors
/// A usage error when a count does not fit in 64 bits (the run is then far too large anyway), or when
/// the shape caps of [`check_shape`] are exceeded.
pub fn estimate(cfg: &RunConfig, shape: &DataShape) -> Result<MemoryEstimate> {
    check_shape(cfg)?;
    estimate_checked(cfg, shape).ok_or_else(|| {
        Error::usage(format!(
            "the run is too large: its memory need does not fit in a 64-bit byte count (hidden {}, \
             batch_size {}, probe_size {}, training length {}); reduce them",
            describe_widths(cfg),
            cfg.batch_size,
            cfg.probe_size,
            match cfg.steps {
                Some(s) => format!("{s} steps"),
                None => format!("{} epochs", cfg.epochs),
            }
        ))
    })
}

/// The widths for messages, without expanding `depth × width`.
fn describe_widths(cfg: &RunConfig) -> String {
    match cfg.depth {
        Some(d) => format!("{d} × {}", cfg.width),
        None => format!("{:?}", cfg.hidden),
    }
}

fn estimate_checked(cfg: &RunConfig, shape: &DataShape) -> Option<MemoryEstimate> {
    let u = |n: usize| n as u64;
    let (depth, width_of): (usize, Box<dyn Fn(usize) -> u64>) = match cfg.depth {
        Some(d) => (d, Box::new(|_| cfg.width as u64)),
        None => (cfg.hidden.len(), Box::new(|i| cfg.hidden[i] as u64)),
    };
    let (input, classes) = (u(shape.input_dim), u(shape.classes));
    let batch = u(cfg.batch_size.min(shape.train.max(1)));
    let eval_batch = u(TrainConfig::new(cfg.batch_size, Budget::Steps(1), cfg.seed).eval_batch);
    let probe = u(cfg.probe_size.min(shape.val));
    let bn = cfg.placement != Placement::None;

    // Scalars of the network (trainable and running statistics), trainable ones, hidden weights, the
    // widest layer, and per-row activation scalars of the hidden layers.
    let (mut params, mut trainable, mut hidden_weights, mut widest, mut per_row, mut per_layer_fixed) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut prev = input;
    for i in 0..depth {
        let w = width_of(i);
        let weights = prev.checked_mul(w)?;
        let bias = if cfg.placement == Placement::Before { 0 } else { w };
        let bn_trainable = if bn { 2 * w } else { 0 };
        trainable = Counter::sum(&[trainable, weights, bias, bn_trainable])?;
        params = Counter::sum(&[params, weights, bias, bn_trainable, if bn { 2 * w } else { 0 }])?;
        hidden_weights = hidden_weights.checked_add(weights)?;
        widest = widest.max(w);
        // z, a, grad_out, grad_z; with BN two more rows and the normalised input x̂.
        per_row = per_row.checked_add(w.checked_mul(if bn { 7 } else { 4 })?)?;
        // grad_w, grad_b and BN's per-feature statistics and gradients.
        per_layer_fixed = Counter::sum(&[per_layer_fixed, weights, w.checked_mul(7)?])?;
        prev = w;
    }
    let out_weights = prev.checked_mul(classes)?;
    params = Counter::sum(&[params, out_weights, classes])?;
    trainable = Counter::sum(&[trainable, out_weights, classes])?;
    per_row = per_row.checked_add(2 * classes)?;
    per_layer_fixed = Counter::sum(&[per_layer_fixed, out_weights, classes])?;

    let optimizer_copies = match cfg.optimizer {
        OptimizerKind::Sgd if cfg.momentum == 0.0 => 0,
        OptimizerKind::Sgd => 1,
        OptimizerKind::Adam | OptimizerKind::AdamW => 2,
    };
    let workspace = |rows: u64| Counter::sum(&[Counter::mul(&[rows, per_row])?, per_layer_fixed]);
    let workspaces = Counter::sum(&[workspace(batch)?, workspace(eval_batch)?, workspace(probe)?])?;

    let rows_of = |rows: u64| Counter::sum(&[Counter::mul(&[rows, input, SCALAR])?, Counter::mul(&[rows, WORD])?]);
    let train_eval = u(TRAIN_EVAL_SIZE.min(shape.train));
    let metric_temporaries = Counter::sum(&[
        Counter::mul(&[probe, widest, 3 * WORD])?,
        Counter::mul(&[2, probe.min(widest), probe.min(widest), WORD])?,
    ])?;

    // Records: checkpoints and evaluations at their cadences' steps, and at the last step.
    let spe = shape.train / cfg.batch_size.max(1);
    let last = match cfg.steps {
        Some(s) => s,
        None => cfg.epochs.checked_mul(spe)?,
    };
    let checkpoints = u(cfg.checkpoint_cadence(spe, last).count(last)).checked_add(1)?;
    let evals = u(cfg.eval_cadence(spe).map_or(1, |c| c.count(last))).checked_add(1)?;
    let total = u(last);
    let layers = u(depth);
    let step_records = if cfg.step_scalars {
        Counter::mul(&[total.checked_add(1)?, Counter::sum(&[128, Counter::mul(&[layers, 40])?])?])?
    } else {
        0
    };
    let records = Counter::sum(&[
        Counter::mul(&[checkpoints, Counter::sum(&[Counter::mul(&[layers, LAYER_RECORD])?, 512])?])?,
        Counter::mul(&[evals, 3, 2, EVAL_RECORD])?,
        step_records,
    ])?;

    let e = MemoryEstimate {
        parameters: params.checked_mul(SCALAR)?,
        optimizer: Counter::mul(&[trainable, optimizer_copies, SCALAR])?,
        workspaces: workspaces.checked_mul(SCALAR)?,
        batch: rows_of(batch)?,
        evaluation: Counter::sum(&[
            Counter::mul(&[eval_batch, input, SCALAR])?,
            rows_of(train_eval)?,
            shape.eval_grouping,
        ])?,
        probe: Counter::sum(&[
            rows_of(probe)?,
            Counter::mul(&[probe, input, SCALAR])?,
            hidden_weights.checked_mul(SCALAR)?,
            metric_temporaries,
        ])?,
        records,
        total: 0,
    };
    let total = Counter::sum(&[e.parameters, e.optimizer, e.workspaces, e.batch, e.evaluation, e.probe, e.records])?;
    Some(MemoryEstimate { total, ..e })
}

/// Where a [`MemoryLimit`] came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitSource {
    /// The environment variable [`MEMORY_ENV`].
    Env,
    /// `MemAvailable` in `/proc/meminfo`.
    MemAvailable,
    /// The cgroup's `memory.max` (lower than `MemAvailable`).
    Cgroup,
    /// Nothing could be read: [`DEFAULT_MEMORY_LIMIT`].
    Default,
}

/// The memory one run may use, and where that number came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLimit {
    /// Bytes.
    pub bytes: u64,
    /// Where the number came from.
    pub source: LimitSource,
}

impl std::fmt::Display for MemoryLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let from = match self.source {
            LimitSource::Env => format!("from {MEMORY_ENV}"),
            LimitSource::MemAvailable => "MemAvailable in /proc/meminfo".into(),
            LimitSource::Cgroup => "the cgroup's memory.max".into(),
            LimitSource::Default => "the default, as /proc/meminfo cannot be read".into(),
        };
        write!(f, "{} ({from})", bytes(self.bytes))
    }
}

impl MemoryLimit {
    /// The limit of this process: [`MEMORY_ENV`], else `/proc/meminfo` and the cgroup, else the default.
    ///
    /// # Errors
    /// [`MEMORY_ENV`] set but not a size (usage).
    pub fn current() -> Result<MemoryLimit> {
        let read = |p: &str| std::fs::read_to_string(p).ok();
        MemoryLimit::from_sources(
            std::env::var(MEMORY_ENV).ok().as_deref(),
            read("/proc/meminfo").as_deref(),
            read("/sys/fs/cgroup/memory.max").as_deref(),
        )
    }

    /// The limit from the environment variable's value, `/proc/meminfo`'s text and the cgroup's
    /// `memory.max` text (each `None` where absent), in that order of precedence.
    ///
    /// # Errors
    /// `env` present but not a size (usage).
    pub fn from_sources(env: Option<&str>, meminfo: Option<&str>, cgroup_max: Option<&str>) -> Result<MemoryLimit> {
        if let Some(v) = env {
            let bytes = parse_size(v).ok_or_else(|| {
                Error::usage(format!(
                    "{MEMORY_ENV}={v:?} is not a memory size; expected bytes, optionally with K, M, G or T \
                     (powers of 1024), e.g. 64G"
                ))
            })?;
            return Ok(MemoryLimit { bytes, source: LimitSource::Env });
        }
        let available = meminfo.and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemAvailable:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .and_then(|kb| kb.checked_mul(1024))
        });
        let cgroup = cgroup_max.and_then(|c| c.trim().parse::<u64>().ok());
        Ok(match (available, cgroup) {
            (Some(a), Some(c)) if c < a => MemoryLimit { bytes: c, source: LimitSource::Cgroup },
            (Some(a), _) => MemoryLimit { bytes: a, source: LimitSource::MemAvailable },
            (None, Some(c)) => MemoryLimit { bytes: c, source: LimitSource::Cgroup },
            (None, None) => MemoryLimit { bytes: DEFAULT_MEMORY_LIMIT, source: LimitSource::Default },
        })
    }
}

/// Parses `123`, `512K`, `64M`, `1.5G`, `2T`, `64GiB` (powers of 1024); `None` for anything else or 0.
pub fn parse_size(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t.strip_suffix("iB").or_else(|| t.strip_suffix('B')).unwrap_or(t);
    let (num, shift) = match t.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return None,
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let num = num.trim();
    let bytes = match num.parse::<u64>() {
        Ok(n) => n.checked_mul(1u64 << shift)?,
        Err(_) => {
            let f: f64 = num.parse().ok()?;
            let b = f * (1u64 << shift) as f64;
            if !(b.is_finite() && b >= 1.0 && b < u64::MAX as f64) {
                return None;
            }
            b as u64
        }
    };
    (bytes > 0).then_some(bytes)
}

/// Checks that `cfg` can train on data of `shape` at all: its batch is no larger than the training set,
/// and the training set holds at least two classes (with one, a classifier has nothing to tell apart: such a
/// run had trained a phantom second output to accuracy 1.0). A sweep and its dry run check every run before
/// any trains.
///
/// # Errors
/// A usage error naming the setting or the data and what was expected.
pub fn check_fit(cfg: &RunConfig, shape: &DataShape) -> Result<()> {
    if cfg.batch_size > shape.train {
        return Err(Error::usage(format!(
            "invalid batch_size: {} is larger than the training set ({} examples)",
            cfg.batch_size, shape.train
        )));
    }
    if shape.train_classes < 2 {
        return Err(Error::usage(format!(
            "data {}: every training example is of one class, so a classifier has nothing to tell apart; \
             expected at least two classes",
            cfg.data
        )));
    }
    Ok(())
}

/// Checks that a run of `cfg` on data of `shape` can train ([`check_fit`]) and fits in `limit`; returns the
/// estimate.
///
/// # Errors
/// As [`check_fit`]; a usage error giving the estimate (by part) and the limit, and how to change either.
pub fn check_memory(cfg: &RunConfig, shape: &DataShape, limit: &MemoryLimit) -> Result<MemoryEstimate> {
    check_fit(cfg, shape)?;
    let e = estimate(cfg, shape)?;
    if e.total > limit.bytes {
        return Err(Error::usage(format!(
            "the run needs about {} of memory (parameters {}, optimizer state {}, workspaces {}, probe {}, \
             evaluation {}, records {}), more than the limit of {}; reduce hidden/depth/width, batch_size, \
             probe_size or the training length, or set {MEMORY_ENV} (e.g. {MEMORY_ENV}=64G) if the machine \
             can hold it",
            bytes(e.total),
            bytes(e.parameters),
            bytes(e.optimizer),
            bytes(e.workspaces),
            bytes(e.probe),
            bytes(e.evaluation.saturating_add(e.batch)),
            bytes(e.records),
            limit
        )));
    }
    Ok(e)
}

/// Bytes a run of `cfg` adds to a lockstep group's shared buffers (see `actscope_core::lockstep`): its
/// columns of the concatenated first-layer weights and weight gradients (`2·w₁·input`) and of the
/// concatenated first-layer outputs and their gradients (`2·batch·w₁`), in `f32`. Saturates instead of
/// overflowing; [`estimate`] has already refused runs that large.
pub fn lockstep_share(cfg: &RunConfig, shape: &DataShape) -> u64 {
    let first = match cfg.depth {
        Some(0) => 0,
        Some(_) => cfg.width,
        None => cfg.hidden.first().copied().unwrap_or(0),
    } as u64;
    let batch = cfg.batch_size.min(shape.train.max(1)) as u64;
    first.saturating_mul(shape.input_dim as u64).saturating_add(first.saturating_mul(batch)).saturating_mul(2 * 4)
}

/// [`check_memory`] against this process's [`MemoryLimit::current`]: what [`crate::run::execute`] calls,
/// with the shape of its data, before it allocates anything.
///
/// # Errors
/// As [`check_memory`] and [`MemoryLimit::current`].
pub fn check_run(cfg: &RunConfig, shape: &DataShape) -> Result<MemoryEstimate> {
    check_memory(cfg, shape, &MemoryLimit::current()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> RunConfig {
        toml::from_str(text).unwrap()
    }

    const SHAPE: DataShape =
        DataShape { input_dim: 784, classes: 10, train: 54_000, val: 6_000, train_classes: 10, eval_grouping: 0 };

    #[test]
    fn the_evaluation_sets_grouping_is_counted_where_they_will_be_grouped() {
        let images = actscope_data::load("embedded", 0.1, false).unwrap();
        let (val, test) = (images.val.len(), images.test.len());
        let bound = |rows| SparseSet::max_bytes(rows, 784, 1000);
        let want = if actscope_core::sparse::kernel_available() { bound(2000) + bound(val) + bound(test) } else { 0 };
        assert_eq!(DataShape::of(&images).eval_grouping, want);
        // Dense inputs are never grouped, so nothing is charged for them.
        let dense = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
        assert_eq!(DataShape::of(&dense).eval_grouping, 0);
    }

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("64G"), Some(64 << 30));
        assert_eq!(parse_size("64GiB"), Some(64 << 30));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("1.5M"), Some(3 << 19));
        for bad in ["", "0", "-1", "G", "12X", "nan", "99999999999T"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_limit_prefers_the_variable_then_the_lower_of_meminfo_and_cgroup() {
        let mi = "MemTotal: 100 kB\nMemAvailable:     2048 kB\n";
        let l = MemoryLimit::from_sources(Some("1G"), Some(mi), None).unwrap();
        assert_eq!((l.bytes, l.source), (1 << 30, LimitSource::Env));
        let l = MemoryLimit::from_sources(None, Some(mi), Some("max\n")).unwrap();
        assert_eq!((l.bytes, l.source), (2 << 20, LimitSource::MemAvailable));
        let l = MemoryLimit::from_sources(None, Some(mi), Some("1024\n")).unwrap();
        assert_eq!((l.bytes, l.source), (1024, LimitSource::Cgroup));
        let l = MemoryLimit::from_sources(None, None, None).unwrap();
        assert_eq!((l.bytes, l.source), (DEFAULT_MEMORY_LIMIT, LimitSource::Default));
        let e = MemoryLimit::from_sources(Some("lots"), Some(mi), None).unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("ACTSCOPE_MAX_MEMORY=\"lots\""), "{e}");
    }

    #[test]
    fn the_estimate_counts_parameters_and_optimizer_state() {
        // 784·100 + 100 + 100·10 + 10 = 79,510 scalars.
        let sgd = estimate(&cfg("hidden = [100]"), &SHAPE).unwrap();
        assert_eq!(sgd.parameters, 79_510 * 4);
        assert_eq!(sgd.optimizer, 0);
        let adam = estimate(&cfg("hidden = [100]\noptimizer = \"adam\""), &SHAPE).unwrap();
        assert_eq!(adam.optimizer, 2 * 79_510 * 4);
        // Three workspaces each hold a gradient per weight.
        assert!(sgd.workspaces >= 3 * 79_510 * 4);
        assert!(sgd.total < 64 << 20, "a small MLP needs well under 64 MiB: {sgd:?}");
        // The evaluation chunk, the training subset and, where the sets will be grouped, their grouping.
        let (chunk, train_eval) = (1000 * 784 * 4, 2000 * (784 * 4 + 8));
        assert_eq!(sgd.evaluation, chunk + train_eval);
        let grouped = estimate(&cfg("hidden = [100]"), &DataShape { eval_grouping: 50 << 20, ..SHAPE }).unwrap();
        assert_eq!(grouped.evaluation, chunk + train_eval + (50 << 20));
    }

    #[test]
    fn huge_networks_are_refused_with_the_estimate_and_the_limit() {
        let limit = MemoryLimit { bytes: 16 << 30, source: LimitSource::MemAvailable };
        let e = check_memory(&cfg("hidden = [200000, 200000]"), &SHAPE, &limit).unwrap_err();
        let m = e.to_string();
        assert!(e.is_usage(), "{m}");
        // The second layer alone is 200000² · 4 bytes = 160 GB.
        assert!(m.contains("parameters 160") && m.contains("GiB"), "{m}");
        assert!(m.contains("limit of 17179869184 bytes (16.0 GiB) (MemAvailable"), "{m}");
        assert!(m.contains("ACTSCOPE_MAX_MEMORY"), "{m}");
        assert!(check_memory(&cfg("hidden = [100]"), &SHAPE, &limit).is_ok());
    }

    #[test]
    fn counts_beyond_64_bits_are_refused_not_wrapped() {
        let huge = cfg(&format!("depth = {MAX_DEPTH}\nwidth = {MAX_WIDTH}\nsteps = {}", i64::MAX));
        let e = estimate(&huge, &SHAPE).unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("does not fit in a 64-bit byte count"), "{e}");
        let long = cfg(&format!("hidden = [4]\nepochs = {}", i64::MAX));
        assert!(estimate(&long, &SHAPE).unwrap_err().to_string().contains("64-bit"));
    }

    #[test]
    fn shapes_beyond_the_caps_are_refused_before_expanding() {
        let e = check_shape(&cfg("hidden = [3000000000]")).unwrap_err();
        assert!(e.to_string().contains("invalid hidden: width 3000000000 (layer 1) exceeds the limit"), "{e}");
        let e = check_shape(&cfg("depth = 100000000")).unwrap_err();
        assert!(e.to_string().contains("invalid depth: 100000000 hidden layers exceed the limit of 100000"), "{e}");
        let e = check_shape(&cfg("depth = 2\nwidth = 100000000")).unwrap_err();
        assert!(e.to_string().contains("invalid width: 100000000 units"), "{e}");
        // width without depth is unused, so not checked.
        assert!(check_shape(&cfg("hidden = [4]\nwidth = 100000000")).is_ok());
    }
}
