//! Lockstep training: several runs that see the same batches in the same order advance step by step
//! together, sharing the batch gather and their first layer's matrix products.
//!
//! Runs with the same training set, batch size, seed and budget draw the same shuffled batches (see
//! `batches.rs`). Their first layers all multiply the same batch `x`, so the group computes
//!
//! ```text
//! forward:   [z_1 … z_K] = x · [W_1 … W_K]ᵀ (+ [b_1 … b_K])     one product of width Σ width_k
//! backward:  [∂W_1 … ∂W_K] = [g_1 … g_K]ᵀ · x                   one product of height Σ width_k
//! ```
//!
//! instead of K narrow products, and gathers the batch once. Everything else — the other layers, the loss,
//! the optimizer, evaluations, probes, divergence — stays each run's own (the private `member` module); a run that
//! diverges leaves the group at that step and the others go on.
//!
//! **Invariant: every run's results are bit-identical to training it alone with [`crate::train`].** Each
//! element of a product is one dot product over `k`, and the `gemm` crate (0.19) accumulates it with fused
//! multiply-adds in order of `k` within blocks of `kc`, adding the blocks in order; its microkernel's result
//! for an element does not depend on where the element sits in the tile or the matrix. What can differ with
//! the width is which path the crate takes ([`concatenation_is_exact`]): a run joins a shared product only
//! when its own product takes the blocked path whose `kc` depends on `k` alone, so the wider product takes it
//! too. Runs that do not qualify still train in the group, with their own products. Biases are added as
//! [`crate::Linear`] adds them (written into the output before the product, which then accumulates onto
//! them), and runs with and without a first-layer bias form separate products, so the product's start value
//! is the same as alone. `crates/core/tests/it/lockstep.rs` checks the invariant across widths, activations,
//! placements, learning rates and divergence.

use ndarray::{Array2, ArrayView2, s};

use crate::batches::Batches;
use crate::buffer::{Rows, flat, flat_mut};
use crate::linalg::gemm;
use crate::member::Member;
use crate::{Error, Float, Mlp, MlpConfig, Optimizer, Probe, Result, TrainConfig, TrainData, TrainOutcome};

/// One run of a lockstep group: what [`crate::train`] takes, as one value.
pub struct LockstepRun<'a, F, P> {
    /// The network, trained in place.
    pub net: &'a mut Mlp<F>,
    /// Its optimizer.
    pub opt: &'a mut Optimizer<F>,
    /// Its settings; batch size, budget and seed must be the group's (evaluation settings may differ).
    pub config: &'a TrainConfig,
    /// Its data; the training set must be the group's (the same [`crate::Dataset`] value).
    pub data: TrainData<'a>,
    /// Its probe.
    pub probe: P,
}

/// Whether a product of `m × k` by `k × n` gives the same bits for every element when it is computed as part
/// of a product with more rows or more columns (`m' ≥ m`, `n' ≥ n`, the same `k`).
///
/// This mirrors how the `gemm` crate 0.19 chooses its path (`gemm-common/src/gemm.rs`): products with at
/// most 256 elements take a horizontal kernel, vectors (`m` or `n` of 1) and `k ≤ 2` their own routines, and
/// products with both sides ≤ 64 split `k` into blocks of 512 while larger ones split it by the cache
/// parameters, which depend on `k` alone and never give blocks below 512. The condition is symmetric in `m`
/// and `n` (the crate sees our row-major products transposed). If the crate is updated, the tests of
/// `crates/core/tests/it/lockstep.rs` say whether this still holds.
pub fn concatenation_is_exact(m: usize, n: usize, k: usize) -> bool {
    m >= 2 && n >= 2 && k > 2 && m * n > 256 && (m > 64 || n > 64 || k <= 512)
}

/// Whether a network of `config` trained with batches of `batch` rows shares its first layer's products in
/// a lockstep group: it has a hidden layer, and both products of that layer qualify
/// ([`concatenation_is_exact`]).
pub fn shares_first_layer(config: &MlpConfig, batch: usize) -> bool {
    let Some(&width) = config.hidden.first() else { return false };
    let input = config.input_dim;
    concatenation_is_exact(batch, width, input) && concatenation_is_exact(input, width, batch)
}

/// One shared product: the members with (or without) a first-layer bias, side by side.
struct Segment<F> {
    /// Indices into the group's members, and the first column of each in the product.
    members: Vec<(usize, usize)>,
    bias: bool,
    /// Concatenated first-layer weights, `(Σ width, input)`.
    w: Array2<F>,
    /// Concatenated first-layer outputs, `(batch, Σ width)`.
    z: Array2<F>,
    /// Concatenated ∂L/∂(first-layer output), `(batch, Σ width)`.
    g: Array2<F>,
    /// Concatenated weight gradients, `(Σ width, input)`.
    gw: Array2<F>,
}

fn width<F: Float, P>(m: &Member<'_, F, P>) -> usize {
    m.net.layers[0].linear.out_features()
}

impl<F: Float> Segment<F> {
    fn new<P>(members: &[Member<'_, F, P>], which: &[usize], bias: bool, batch: usize, input: usize) -> Self {
        let mut at = 0;
        let members: Vec<(usize, usize)> = which
            .iter()
            .map(|&i| {
                let start = at;
                at += width(&members[i]);
                (i, start)
            })
            .collect();
        Segment {
            members,
            bias,
            w: Array2::zeros((at, input)),
            z: Array2::zeros((batch, at)),
            g: Array2::zeros((batch, at)),
            gw: Array2::zeros((at, input)),
        }
    }

    /// The rows of member number `k` of this segment in the concatenated matrices.
    fn rows(&self, k: usize) -> std::ops::Range<usize> {
        self.members[k].1..self.members.get(k + 1).map_or(self.w.nrows(), |&(_, at)| at)
    }

    /// Copies the members' first-layer weights in: from here on the segment holds them, and the networks'
    /// copies are brought up to date by [`Segment::store`] when something reads them.
    fn load<P>(&mut self, members: &[Member<'_, F, P>]) {
        for k in 0..self.members.len() {
            let (i, rows) = (self.members[k].0, self.rows(k));
            self.w.slice_mut(s![rows, ..]).assign(&members[i].net.layers[0].linear.weight);
        }
    }

    /// Copies member `i`'s first-layer weight (if it is in this segment) into its network.
    fn store<P>(&self, i: usize, member: &mut Member<'_, F, P>) {
        if let Some(k) = self.members.iter().position(|&(j, _)| j == i) {
            member.net.layers[0].linear.weight.assign(&self.w.slice(s![self.rows(k), ..]));
        }
    }

    /// Computes the first-layer outputs of batch `x` and hands each member its columns.
    fn forward<P>(&mut self, x: ArrayView2<'_, F>, members: &mut [Member<'_, F, P>]) {
        let n = x.nrows();
        for &(i, at) in &self.members {
            let linear = &members[i].net.layers[0].linear;
            let w = linear.out_features();
            if let Some(b) = &linear.bias {
                let mut block = self.z.slice_mut(s![..n, at..at + w]);
                let dim = block.dim();
                block.assign(&b.broadcast(dim).expect("bias broadcasts over rows"));
            }
        }
        let beta = if self.bias { F::one() } else { F::zero() };
        gemm(F::one(), x, self.w.t(), beta, &mut self.z.slice_mut(s![..n, ..]));
        for &(i, at) in &self.members {
            let w = width(&members[i]);
            members[i].ws.layers[0].linear_out_mut(n).assign(&self.z.slice(s![..n, at..at + w]));
        }
    }

    /// Gathers the members' ∂L/∂(first-layer output) and computes their weight gradients from batch `x`.
    fn weight_grads<P>(&mut self, x: ArrayView2<'_, F>, members: &[Member<'_, F, P>]) {
        let n = x.nrows();
        for &(i, at) in &self.members {
            let w = width(&members[i]);
            self.g.slice_mut(s![..n, at..at + w]).assign(&members[i].ws.layers[0].linear_grad(n));
        }
        gemm(F::one(), self.g.slice_rows(n).t(), x, F::zero(), &mut self.gw.view_mut());
    }

    /// Member `i`'s first-layer weight and its gradient (row-major), if it is in this segment.
    fn weight_and_grad(&mut self, i: usize) -> Option<(&mut [F], &[F])> {
        let k = self.members.iter().position(|&(j, _)| j == i)?;
        let input = self.w.ncols();
        let rows = self.rows(k);
        let span = rows.start * input..rows.end * input;
        Some((&mut flat_mut(&mut self.w)[span.clone()], &flat(&self.gw)[span]))
    }
}

/// The shared products of a group (at most two segments: first layers with and without bias), and for each
/// member whether its first layer is in one of them.
fn segments<F: Float, P>(members: &[Member<'_, F, P>], batch: usize) -> (Vec<Segment<F>>, Vec<bool>) {
    let shares: Vec<bool> = members.iter().map(|m| shares_first_layer(m.net.config(), batch)).collect();
    let segs = [true, false]
        .into_iter()
        .filter_map(|bias| {
            let which: Vec<usize> = (0..members.len())
                .filter(|&i| shares[i] && members[i].net.layers[0].linear.bias.is_some() == bias)
                .collect();
            let input = members.first()?.net.config().input_dim;
            (!which.is_empty()).then(|| {
                let mut seg = Segment::new(members, &which, bias, batch, input);
                seg.load(members);
                seg
            })
        })
        .collect();
    (segs, shares)
}

fn group_error(i: usize, what: &str) -> Error {
    Error::config("lockstep", format!("run {i} of the group has another {what} than run 0"))
}

/// Trains every run of `runs` in lockstep (see the module docs); each run's outcome is what
/// [`crate::train`] would return for it alone, bit for bit.
///
/// A run that fails [`crate::train`]'s checks gets that error and the others train; a run that diverges
/// stops at that step and the others go on.
///
/// # Errors
/// When the runs cannot share batches: another training set (not the same [`crate::Dataset`] value), batch
/// size, budget or seed than the first run's.
pub fn train_lockstep<F: Float, P: Probe<F>>(runs: Vec<LockstepRun<'_, F, P>>) -> Result<Vec<Result<TrainOutcome>>> {
    let Some(first) = runs.first() else { return Ok(Vec::new()) };
    let (train, shared) = (first.data.train, first.config.clone());
    for (i, r) in runs.iter().enumerate() {
        if !std::ptr::eq(r.data.train, train) {
            return Err(group_error(i, "training set"));
        }
        if r.config.batch_size != shared.batch_size {
            return Err(group_error(i, "batch size"));
        }
        if r.config.budget != shared.budget {
            return Err(group_error(i, "budget"));
        }
        if r.config.seed != shared.seed {
            return Err(group_error(i, "seed"));
        }
    }
    let mut results: Vec<Option<Result<TrainOutcome>>> = (0..runs.len()).map(|_| None).collect();
    let mut ids = Vec::new();
    let mut members = Vec::new();
    for (i, r) in runs.into_iter().enumerate() {
        match Member::new(r.net, r.opt, r.config, r.data, r.probe) {
            Ok(m) => {
                ids.push(i);
                members.push(m);
            }
            Err(e) => results[i] = Some(Err(e)),
        }
    }
    let batch = shared.batch_size;
    let total = shared.total_steps(train.len());
    let mut batches = Batches::new(&shared, train);
    let (mut segs, mut shares) = segments(&members, batch);
    for step in 0..=total {
        if members.is_empty() {
            break;
        }
        for (i, m) in members.iter_mut().enumerate() {
            if m.reads_net_before(step) {
                segs.iter().for_each(|s| s.store(i, m));
            }
            m.before_step(step);
        }
        if step == total {
            break;
        }
        batches.gather(step, train);
        let x = batches.x.view();
        for seg in &mut segs {
            seg.forward(x, &mut members);
        }
        let mut stopped = false;
        for (i, m) in members.iter_mut().enumerate() {
            if shares[i] {
                m.net.forward_train_after_first_linear(x, &mut m.ws);
            } else {
                m.net.forward_train(x, &mut m.ws);
            }
            if !m.loss(step, &batches.y) {
                stopped = true;
                continue;
            }
            if shares[i] {
                m.net.backward_except_first_weight(x, &mut m.ws);
            } else {
                m.net.backward(x, &mut m.ws);
            }
        }
        for seg in &mut segs {
            seg.weight_grads(x, &members);
        }
        for (i, m) in members.iter_mut().enumerate() {
            if m.outcome.status != crate::Status::Ok {
                continue;
            }
            let shared = segs.iter_mut().find_map(|s| s.weight_and_grad(i));
            m.update(step, shared);
        }
        if stopped {
            for (i, m) in members.iter_mut().enumerate() {
                segs.iter().for_each(|s| s.store(i, m));
            }
            // Diverged runs leave the group; the products are rebuilt for the others.
            let mut kept_ids = Vec::new();
            let mut kept = Vec::new();
            for (i, m) in ids.into_iter().zip(members) {
                if m.outcome.status == crate::Status::Ok {
                    kept_ids.push(i);
                    kept.push(m);
                } else {
                    results[i] = Some(Ok(m.outcome));
                }
            }
            (ids, members) = (kept_ids, kept);
            (segs, shares) = segments(&members, batch);
        }
    }
    for (k, (i, mut m)) in ids.into_iter().zip(members).enumerate() {
        segs.iter().for_each(|s| s.store(k, &mut m));
        results[i] = Some(Ok(m.outcome));
    }
    Ok(results.into_iter().map(|r| r.expect("every run has an outcome")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_or_degenerate_products_do_not_share() {
        assert!(concatenation_is_exact(60, 100, 784));
        assert!(concatenation_is_exact(784, 100, 60));
        assert!(!concatenation_is_exact(60, 32, 784), "both sides ≤ 64 with k > 512 block k by 512");
        assert!(concatenation_is_exact(60, 32, 20));
        assert!(!concatenation_is_exact(8, 16, 100), "256 elements take the horizontal kernel");
        assert!(!concatenation_is_exact(1, 500, 100));
        assert!(!concatenation_is_exact(500, 500, 2));
    }
}
