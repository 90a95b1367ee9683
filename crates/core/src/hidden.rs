//! One hidden block of an [`Mlp`](crate::Mlp): a Linear, the activation φ and, by placement, a BatchNorm.
//!
//! ```text
//! Norm::None:        input → Linear(W, b) → z → φ → a                  output a
//! Norm::Before(bn):  input → Linear(W) → h → BN → z → φ → a           output a      (no bias: BN's β replaces it)
//! Norm::After(bn):   input → Linear(W, b) → z → φ → a → BN → y        output y
//! ```
//!
//! The parameters ([`HiddenLayer`]) live in the network and the per-batch buffers ([`HiddenBuffers`]) in a
//! [`Workspace`](crate::Workspace), so one network serves several batch sizes. Both are shaped by the
//! placement: each variant of [`Norm`] and of the buffers holds exactly what its placement has, and every
//! pass below matches the placement once. A workspace built for a network with another placement is refused
//! there with a panic.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

use crate::buffer::{Rows, flat, flat_mut};
use crate::linear::bias_grad_into;
use crate::rng::SeededRng;
use crate::{Activation, BatchNorm1d, BatchNormConfig, BnCache, Float, Init, Linear, Placement};

/// One hidden block's parameters: the Linear map and the BatchNorm its placement has.
#[derive(Clone, Debug, PartialEq)]
pub struct HiddenLayer<F> {
    /// The affine map (without a bias when BN comes before φ).
    pub linear: Linear<F>,
    /// The block's BatchNorm, by placement.
    pub norm: Norm<F>,
}

/// The BatchNorm of a hidden block, by where it sits; each variant holds the layer only where there is one.
#[derive(Clone, Debug, PartialEq)]
pub enum Norm<F> {
    /// No BatchNorm: Linear → φ.
    None,
    /// Linear → BN → φ.
    Before(BatchNorm1d<F>),
    /// Linear → φ → BN.
    After(BatchNorm1d<F>),
}

impl<F> Norm<F> {
    /// The placement this variant stands for.
    pub fn placement(&self) -> Placement {
        match self {
            Norm::None => Placement::None,
            Norm::Before(_) => Placement::Before,
            Norm::After(_) => Placement::After,
        }
    }

    /// The BatchNorm layer, wherever it sits.
    pub fn batch_norm(&self) -> Option<&BatchNorm1d<F>> {
        match self {
            Norm::None => None,
            Norm::Before(bn) | Norm::After(bn) => Some(bn),
        }
    }

    /// The BatchNorm layer, mutably, wherever it sits.
    pub fn batch_norm_mut(&mut self) -> Option<&mut BatchNorm1d<F>> {
        match self {
            Norm::None => None,
            Norm::Before(bn) | Norm::After(bn) => Some(bn),
        }
    }
}

/// One hidden block's share of a workspace, for batches of up to `capacity` rows (see the module docs for
/// the names).
#[derive(Clone, Debug)]
pub(crate) struct HiddenBuffers<F> {
    /// z, the input of φ.
    pub(crate) z: Array2<F>,
    /// a = φ(z).
    pub(crate) a: Array2<F>,
    /// ∂L/∂(block output), written by the next layer's backward pass.
    pub(crate) grad_out: Array2<F>,
    /// ∂L/∂z.
    pub(crate) grad_z: Array2<F>,
    /// ∂L/∂W.
    pub(crate) grad_w: Array2<F>,
    /// ∂L/∂b, where the Linear has a bias.
    pub(crate) grad_b: Option<Array1<F>>,
    /// What only the block's placement needs.
    norm: NormBuffers<F>,
}

/// The buffers of a block's BatchNorm, by placement (the counterpart of [`Norm`]).
#[derive(Clone, Debug)]
enum NormBuffers<F> {
    None,
    Before {
        /// h, the Linear output and BN input.
        pre: Array2<F>,
        /// ∂L/∂h.
        grad_pre: Array2<F>,
        bn: BnBuffers<F>,
    },
    After {
        /// y = BN(a), the block output.
        post: Array2<F>,
        /// ∂L/∂a.
        grad_a: Array2<F>,
        bn: BnBuffers<F>,
    },
}

/// What a BatchNorm writes per batch, wherever it sits.
#[derive(Clone, Debug)]
pub(crate) struct BnBuffers<F> {
    /// Batch statistics and x̂ of the last train-mode pass.
    pub(crate) cache: BnCache<F>,
    /// ∂L/∂γ.
    pub(crate) grad_gamma: Array1<F>,
    /// ∂L/∂β.
    pub(crate) grad_beta: Array1<F>,
}

/// The pass was handed the buffers of a block with another placement.
#[cold]
#[track_caller]
fn foreign_workspace() -> ! {
    panic!("the workspace was built for a network with another BatchNorm placement")
}

impl<F: Float> HiddenLayer<F> {
    /// A `fan_in → width` block for `placement`, its Linear initialised from `rng` (the BatchNorm draws
    /// nothing). `bias_init`, when set, overrides the bias the init chose; with BN before φ, where the Linear
    /// has no bias, it is BN's initial shift β, which takes the bias's place (Ioffe & Szegedy §3.2), so a
    /// negative bias stresses those nets too.
    pub(crate) fn new(
        fan_in: usize,
        width: usize,
        placement: Placement,
        batch_norm: BatchNormConfig,
        init: Init,
        bias_init: Option<f64>,
        rng: &mut SeededRng,
    ) -> Self {
        let (bias, norm) = match placement {
            Placement::None => (true, Norm::None),
            Placement::Before => (false, Norm::Before(BatchNorm1d::new(width, batch_norm))),
            Placement::After => (true, Norm::After(BatchNorm1d::new(width, batch_norm))),
        };
        let mut linear = Linear::new(fan_in, width, bias, init, rng);
        let mut norm = norm;
        if let Some(b) = bias_init {
            match (linear.bias.as_mut(), &mut norm) {
                (Some(bias), _) => bias.fill(F::of(b)),
                (None, Norm::Before(bn)) => bn.beta.fill(F::of(b)),
                (None, _) => {}
            }
        }
        HiddenLayer { linear, norm }
    }

    /// Buffers for this block and batches of up to `capacity` rows.
    pub(crate) fn buffers(&self, capacity: usize) -> HiddenBuffers<F> {
        let w = self.linear.out_features();
        let rows = || Array2::zeros((capacity, w));
        let bn = || BnBuffers {
            cache: BnCache::new(w, capacity),
            grad_gamma: Array1::zeros(w),
            grad_beta: Array1::zeros(w),
        };
        let norm = match &self.norm {
            Norm::None => NormBuffers::None,
            Norm::Before(_) => NormBuffers::Before { pre: rows(), grad_pre: rows(), bn: bn() },
            Norm::After(_) => NormBuffers::After { post: rows(), grad_a: rows(), bn: bn() },
        };
        HiddenBuffers {
            z: rows(),
            a: rows(),
            grad_out: rows(),
            grad_z: rows(),
            grad_w: Array2::zeros(self.linear.weight.raw_dim()),
            grad_b: self.linear.bias.as_ref().map(|_| Array1::zeros(w)),
            norm,
        }
    }

    /// The forward pass of the block on `input` (`(n, fan_in)`), with the batch statistics or, when
    /// `batch_stats` is false, BN's running statistics. The running statistics are not updated here.
    pub(crate) fn forward(
        &self,
        act: Activation,
        input: ArrayView2<'_, F>,
        buf: &mut HiddenBuffers<F>,
        batch_stats: bool,
    ) {
        let n = input.nrows();
        self.linear.forward_into(input, buf.linear_out_mut(n));
        self.forward_after_linear(act, n, buf, batch_stats);
    }

    /// The rest of the forward pass once the Linear's output for `n` rows is in
    /// [`HiddenBuffers::linear_out_mut`] (written there by [`HiddenLayer::forward`], or by a product shared
    /// between several networks).
    pub(crate) fn forward_after_linear(
        &self,
        act: Activation,
        n: usize,
        buf: &mut HiddenBuffers<F>,
        batch_stats: bool,
    ) {
        let HiddenBuffers { z, a, norm, .. } = buf;
        match (&self.norm, norm) {
            (Norm::None, NormBuffers::None) => {
                act.forward_into(z.slice_rows(n), a.slice_rows_mut(n));
            }
            (Norm::Before(bn), NormBuffers::Before { pre, bn: bb, .. }) => {
                if batch_stats {
                    bn.forward_batch_into(pre.slice_rows(n), z.slice_rows_mut(n), &mut bb.cache);
                } else {
                    bn.forward_eval_into(pre.slice_rows(n), z.slice_rows_mut(n));
                }
                act.forward_into(z.slice_rows(n), a.slice_rows_mut(n));
            }
            (Norm::After(bn), NormBuffers::After { post, bn: bb, .. }) => {
                act.forward_into(z.slice_rows(n), a.slice_rows_mut(n));
                if batch_stats {
                    bn.forward_batch_into(a.slice_rows(n), post.slice_rows_mut(n), &mut bb.cache);
                } else {
                    bn.forward_eval_into(a.slice_rows(n), post.slice_rows_mut(n));
                }
            }
            _ => foreign_workspace(),
        }
    }

    /// Folds the batch statistics of the last train-mode pass in `buf` into BN's running statistics.
    pub(crate) fn update_running(&mut self, buf: &HiddenBuffers<F>) {
        match (&mut self.norm, &buf.norm) {
            (Norm::None, NormBuffers::None) => {}
            (Norm::Before(bn), NormBuffers::Before { bn: bb, .. })
            | (Norm::After(bn), NormBuffers::After { bn: bb, .. }) => bn.update_running(&bb.cache),
            _ => foreign_workspace(),
        }
    }

    /// Back-propagates ∂L/∂(block output), already in `buf`, through the block: writes ∂L/∂z, the parameter
    /// gradients and, when given `grad_input`, ∂L/∂input. `input` is the input of the last forward pass,
    /// which used batch statistics.
    pub(crate) fn backward(
        &self,
        act: Activation,
        input: ArrayView2<'_, F>,
        grad_input: Option<ArrayViewMut2<'_, F>>,
        buf: &mut HiddenBuffers<F>,
    ) {
        let n = input.nrows();
        self.backward_to_linear(act, n, buf);
        let HiddenBuffers { grad_z, grad_w, grad_b, norm, .. } = buf;
        self.linear.backward_into(
            input,
            linear_grad(norm, grad_z).slice_rows(n),
            grad_w.view_mut(),
            grad_b.as_mut().map(|g| g.view_mut()),
            grad_input,
        );
    }

    /// The part of [`HiddenLayer::backward`] before the Linear: writes ∂L/∂z, BN's parameter gradients and
    /// ∂L/∂(Linear output), which [`HiddenBuffers::linear_grad`] then shows, for `n` rows.
    pub(crate) fn backward_to_linear(&self, act: Activation, n: usize, buf: &mut HiddenBuffers<F>) {
        let HiddenBuffers { z, a, grad_out, grad_z, norm, .. } = buf;
        let (z, a, grad_out) = (z.slice_rows(n), a.slice_rows(n), grad_out.slice_rows(n));
        match (&self.norm, norm) {
            (Norm::None, NormBuffers::None) => {
                act.backward_into(z, a, grad_out, grad_z.slice_rows_mut(n));
            }
            (Norm::Before(bn), NormBuffers::Before { grad_pre, bn: bb, .. }) => {
                act.backward_into(z, a, grad_out, grad_z.slice_rows_mut(n));
                bn.backward_into(
                    &mut bb.cache,
                    grad_z.slice_rows(n),
                    bb.grad_gamma.view_mut(),
                    bb.grad_beta.view_mut(),
                    grad_pre.slice_rows_mut(n),
                );
            }
            (Norm::After(bn), NormBuffers::After { grad_a, bn: bb, .. }) => {
                bn.backward_into(
                    &mut bb.cache,
                    grad_out,
                    bb.grad_gamma.view_mut(),
                    bb.grad_beta.view_mut(),
                    grad_a.slice_rows_mut(n),
                );
                act.backward_into(z, a, grad_a.slice_rows(n), grad_z.slice_rows_mut(n));
            }
            _ => foreign_workspace(),
        }
    }

    /// [`HiddenLayer::backward`] without the weight gradient and the input gradient: ∂L/∂z, BN's and the
    /// bias's gradients and ∂L/∂(Linear output), for `n` rows. The weight gradient is left to a product
    /// shared between several networks (see `lockstep.rs`).
    pub(crate) fn backward_except_weight(&self, act: Activation, n: usize, buf: &mut HiddenBuffers<F>) {
        self.backward_to_linear(act, n, buf);
        let HiddenBuffers { grad_z, grad_b, norm, .. } = buf;
        if let Some(gb) = grad_b.as_mut() {
            bias_grad_into(linear_grad(norm, grad_z).slice_rows(n), gb.view_mut());
        }
    }

    /// Calls `visit(parameter, gradient)` for W, b (if any), then γ and β (if BN), gradients from `buf`.
    pub(crate) fn visit_params(&mut self, buf: &HiddenBuffers<F>, visit: &mut impl FnMut(&mut [F], &[F])) {
        visit(flat_mut(&mut self.linear.weight), flat(&buf.grad_w));
        if let (Some(b), Some(g)) = (self.linear.bias.as_mut(), buf.grad_b.as_ref()) {
            visit(flat_mut(b), flat(g));
        }
        match (&mut self.norm, &buf.norm) {
            (Norm::None, NormBuffers::None) => {}
            (Norm::Before(bn), NormBuffers::Before { bn: bb, .. })
            | (Norm::After(bn), NormBuffers::After { bn: bb, .. }) => {
                visit(flat_mut(&mut bn.gamma), flat(&bb.grad_gamma));
                visit(flat_mut(&mut bn.beta), flat(&bb.grad_beta));
            }
            _ => foreign_workspace(),
        }
    }
}

impl<F: Float> HiddenBuffers<F> {
    /// The block's output of the last pass: a, or BN(a) with BN after.
    pub(crate) fn output(&self, n: usize) -> ArrayView2<'_, F> {
        block_output(&self.norm, &self.a).slice_rows(n)
    }

    /// The block's output and, mutably, the gradient with respect to it.
    pub(crate) fn output_and_grad(&mut self, n: usize) -> (ArrayView2<'_, F>, ArrayViewMut2<'_, F>) {
        (block_output(&self.norm, &self.a).slice_rows(n), self.grad_out.slice_rows_mut(n))
    }

    /// Where the Linear's output for `n` rows goes (h with BN before φ, else z).
    pub(crate) fn linear_out_mut(&mut self, n: usize) -> ArrayViewMut2<'_, F> {
        linear_out(&mut self.norm, &mut self.z).slice_rows_mut(n)
    }

    /// ∂L/∂(Linear output) for `n` rows, as [`HiddenLayer::backward_to_linear`] left it.
    pub(crate) fn linear_grad(&self, n: usize) -> ArrayView2<'_, F> {
        linear_grad(&self.norm, &self.grad_z).slice_rows(n)
    }

    /// The BatchNorm's buffers, wherever it sits.
    pub(crate) fn bn(&self) -> Option<&BnBuffers<F>> {
        match &self.norm {
            NormBuffers::None => None,
            NormBuffers::Before { bn, .. } | NormBuffers::After { bn, .. } => Some(bn),
        }
    }
}

/// The buffer the Linear writes: h with BN before φ, else z.
fn linear_out<'a, F>(norm: &'a mut NormBuffers<F>, z: &'a mut Array2<F>) -> &'a mut Array2<F> {
    match norm {
        NormBuffers::Before { pre, .. } => pre,
        NormBuffers::None | NormBuffers::After { .. } => z,
    }
}

/// The buffer holding ∂L/∂(Linear output): ∂L/∂h with BN before φ, else ∂L/∂z.
fn linear_grad<'a, F>(norm: &'a NormBuffers<F>, grad_z: &'a Array2<F>) -> &'a Array2<F> {
    match norm {
        NormBuffers::Before { grad_pre, .. } => grad_pre,
        NormBuffers::None | NormBuffers::After { .. } => grad_z,
    }
}

/// The buffer holding a block's output: BN(a) with BN after φ, else a itself.
fn block_output<'a, F>(norm: &'a NormBuffers<F>, a: &'a Array2<F>) -> &'a Array2<F> {
    match norm {
        NormBuffers::After { post, .. } => post,
        NormBuffers::None | NormBuffers::Before { .. } => a,
    }
}
