//! The training loop: seeded shuffling, mini-batch SGD-style updates, periodic evaluation and probes.
//!
//! Each epoch visits a fresh seeded permutation of the training set in batches of `batch_size`; an
//! incomplete final batch is dropped (PyTorch's `drop_last=True`), since BatchNorm cannot normalise a
//! batch of one and smaller batches would change its noise. Update number `s` (0-based) is "step s".
//! Evaluations happen at step 0, every `eval_every` steps and at the end, in eval mode.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::eval::{EvalPoint, evaluate};
use crate::loss::softmax_cross_entropy;
use crate::probe::{Observation, Probe, ProbeSource};
use crate::rng::{derive_seed, seeded, shuffle};
use crate::{Dataset, Error, Float, Mlp, Optimizer, Result, Workspace};

/// How long to train.
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
    /// Evaluate every this many steps (besides step 0 and the end); `None`: only at those two.
    #[serde(default)]
    pub eval_every: Option<usize>,
    /// Rows per chunk when evaluating (default 1000).
    #[serde(default = "default_eval_batch")]
    pub eval_batch: usize,
}

fn default_eval_batch() -> usize {
    1000
}

impl TrainConfig {
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

/// The result of [`train`].
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
}

fn check_set<F: Float>(net: &Mlp<F>, what: &str, d: &Dataset) -> Result<()> {
    let cfg = net.config();
    if d.dim() != cfg.input_dim {
        return Err(Error::Shape {
            context: format!("{what} set {:?}", d.name),
            expected: format!("{} features (the network's input_dim)", cfg.input_dim),
            got: format!("{} features", d.dim()),
        });
    }
    if d.classes > cfg.output_dim {
        return Err(Error::config(
            "output_dim",
            format!("{what} set {:?} has {} classes but the network has {} outputs", d.name, d.classes, cfg.output_dim),
        ));
    }
    Ok(())
}

fn to_float<F: Float>(x: ArrayView2<'_, f32>) -> Array2<F> {
    x.mapv(F::of_f32)
}

/// `dst[r, :] = src[i, :]`, converted to `F`: a plain slice loop (a memory copy for `f32`).
fn copy_row<F: Float>(dst: &mut Array2<F>, r: usize, src: &Array2<f32>, i: usize) {
    let mut d = dst.row_mut(r);
    let s = src.row(i);
    match (d.as_slice_mut(), s.as_slice()) {
        (Some(d), Some(s)) => d.iter_mut().zip(s).for_each(|(d, &s)| *d = F::of_f32(s)),
        _ => d.zip_mut_with(&s, |d, &s| *d = F::of_f32(s)),
    }
}

/// Hints the CPU to bring row `i` of `x` into its caches (a no-op off x86-64).
#[inline]
fn prefetch_row(x: &Array2<f32>, i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(row) = x.row(i).to_slice() {
        use std::arch::x86_64::{_MM_HINT_T1, _mm_prefetch};
        for line in row.chunks(16) {
            // SAFETY: SSE is part of the x86-64 baseline; a prefetch never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(line.as_ptr().cast()) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (x, i);
}

/// Shows `probe` the pass just run through `ws` (forward and backward), at `step` (`epoch` epochs in).
fn show<F: Float, P: Probe<F>>(
    probe: &mut P,
    net: &Mlp<F>,
    ws: &Workspace<F>,
    (step, epoch): (usize, f64),
    source: ProbeSource,
    loss: f64,
) {
    let (layers, output) = net.observe(ws);
    let cfg = net.config();
    let (activation, placement) = (cfg.activation, cfg.placement);
    probe.observe(&Observation { step, epoch, source, loss, activation, placement, layers, output });
}

/// Trains `net` with `opt` on `data` under `config`, showing `probe` what it asks for.
///
/// A non-finite training loss stops the run with [`Status::Diverged`]; it is not an error.
///
/// # Errors
/// If the data does not fit the network, the batch size is 0, larger than the training set, or 1 with BN.
pub fn train<F: Float, P: Probe<F>>(
    net: &mut Mlp<F>,
    opt: &mut Optimizer<F>,
    config: &TrainConfig,
    data: TrainData<'_>,
    mut probe: P,
) -> Result<TrainOutcome> {
    let n = data.train.len();
    let b = config.batch_size;
    check_set(net, "training", data.train)?;
    for (name, d) in data.evals {
        check_set(net, name, d)?;
    }
    if b == 0 || b > n {
        return Err(Error::config("batch_size", format!("must lie in 1..={n} (the training set size), got {b}")));
    }
    if b < 2 && net.has_batch_norm() {
        return Err(Error::config("batch_size", "BatchNorm needs at least 2 examples per batch"));
    }
    if config.eval_batch == 0 {
        return Err(Error::config("eval_batch", "must be ≥ 1"));
    }
    let probe_x = match data.probe_set {
        Some(p) => {
            check_set(net, "probe", p)?;
            if p.len() < 2 && net.has_batch_norm() {
                return Err(Error::config("probe_set", "BatchNorm needs at least 2 probe examples"));
            }
            Some(to_float::<F>(p.x()))
        }
        None => None,
    };

    let spe = config.steps_per_epoch(n);
    let total = config.total_steps(n);
    let mut ws = Workspace::new(net, b);
    let mut eval_ws = Workspace::new(net, config.eval_batch);
    let mut probe_ws = data.probe_set.map(|p| Workspace::new(net, p.len()));
    let mut rng = seeded(derive_seed(config.seed, "shuffle"));
    let mut order: Vec<usize> = (0..n).collect();
    let mut xb = Array2::<F>::zeros((b, net.config().input_dim));
    let mut yb = vec![0usize; b];
    let mut outcome = TrainOutcome { steps: 0, status: Status::Ok, history: Vec::new(), last_train_loss: f64::NAN };

    for step in 0..=total {
        let epoch = step as f64 / spe as f64;
        let eval_now = step == 0 || step == total || config.eval_every.is_some_and(|e| e > 0 && step % e == 0);
        if eval_now {
            for (name, d) in data.evals {
                let (loss, accuracy) = evaluate(net, d, &mut eval_ws);
                let point = EvalPoint { step, epoch, set: name.to_string(), loss, accuracy };
                probe.on_eval(&point);
                outcome.history.push(point);
            }
        }
        let mut observed = false;
        if let (Some(px), Some(pws), Some(pset)) = (probe_x.as_ref(), probe_ws.as_mut(), data.probe_set)
            && probe.wants_probe_set(step)
        {
            net.forward_batch_stats(px.view(), pws);
            let (logits, grad) = pws.logits_and_grad();
            let loss = softmax_cross_entropy(logits, &pset.labels, grad).f64();
            net.backward(px.view(), pws);
            show(&mut probe, net, pws, (step, epoch), ProbeSource::ProbeSet, loss);
            observed = true;
        }
        if step == total {
            break;
        }
        let pos = step % spe;
        if pos == 0 {
            shuffle(&mut rng, &mut order);
        }
        for (r, &i) in order[pos * b..(pos + 1) * b].iter().enumerate() {
            copy_row(&mut xb, r, &data.train.features, i);
            yb[r] = data.train.labels[i];
        }
        // Ask the memory system for the next batch's rows now, so they arrive while this step computes
        // (the gather of shuffled rows otherwise waits on memory). Hints only: no effect on results.
        if pos + 1 < spe {
            for &i in &order[(pos + 1) * b..(pos + 2) * b] {
                prefetch_row(&data.train.features, i);
            }
        }
        net.forward_train(xb.view(), &mut ws);
        let (logits, grad) = ws.logits_and_grad();
        let loss = softmax_cross_entropy(logits, &yb, grad).f64();
        outcome.last_train_loss = loss;
        if !loss.is_finite() {
            outcome.status = Status::Diverged { step };
            outcome.steps = step;
            return Ok(outcome);
        }
        net.backward(xb.view(), &mut ws);
        if probe.wants_train_batch(step) {
            show(&mut probe, net, &ws, (step, epoch), ProbeSource::TrainBatch, loss);
            observed = true;
        }
        opt.begin_step();
        net.visit_params(&ws, |i, p, g| opt.update(i, p, g));
        if observed {
            probe.after_update(step, net);
        }
        outcome.steps = step + 1;
    }
    Ok(outcome)
}
