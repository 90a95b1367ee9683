//! Per-batch buffers of an [`Mlp`]: activations, BN caches and gradients, allocated once.
//!
//! A workspace holds room for up to `capacity` rows; a forward pass with fewer rows uses the leading rows
//! only, so the same workspace serves a short final evaluation chunk without reallocating.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

use crate::network::Rows;
use crate::{BnCache, Float, Mlp, Placement};

/// Buffers of one hidden block (see the network docs for the names).
#[derive(Clone, Debug)]
pub(crate) struct LayerBuffers<F> {
    /// Before only: the Linear output h, input of BN.
    pub(crate) pre: Option<Array2<F>>,
    /// z, the input of φ.
    pub(crate) z: Array2<F>,
    /// a = φ(z).
    pub(crate) a: Array2<F>,
    /// After only: BN(a), the block output.
    pub(crate) post: Option<Array2<F>>,
    pub(crate) cache: Option<BnCache<F>>,
    /// ∂L/∂(block output).
    pub(crate) grad_out: Array2<F>,
    /// After only: ∂L/∂a.
    pub(crate) grad_a: Option<Array2<F>>,
    /// ∂L/∂z.
    pub(crate) grad_z: Array2<F>,
    /// Before only: ∂L/∂h.
    pub(crate) grad_pre: Option<Array2<F>>,
    pub(crate) grad_w: Array2<F>,
    pub(crate) grad_b: Option<Array1<F>>,
    pub(crate) grad_gamma: Option<Array1<F>>,
    pub(crate) grad_beta: Option<Array1<F>>,
}

impl<F: Float> LayerBuffers<F> {
    /// The block's output (a, or BN(a) with BN after).
    pub(crate) fn output(&self, n: usize) -> ArrayView2<'_, F> {
        self.post.as_ref().unwrap_or(&self.a).slice_rows(n)
    }

    /// The block's output and, mutably, the gradient with respect to it.
    pub(crate) fn output_and_grad(&mut self, n: usize) -> (ArrayView2<'_, F>, ArrayViewMut2<'_, F>) {
        (self.post.as_ref().unwrap_or(&self.a).slice_rows(n), self.grad_out.slice_rows_mut(n))
    }
}

/// Everything a forward and backward pass of one [`Mlp`] writes, for batches of up to `capacity` rows.
#[derive(Clone, Debug)]
pub struct Workspace<F> {
    capacity: usize,
    pub(crate) rows: usize,
    pub(crate) batch_stats: bool,
    pub(crate) layers: Vec<LayerBuffers<F>>,
    pub(crate) logits: Array2<F>,
    pub(crate) grad_logits: Array2<F>,
    pub(crate) out_grad_w: Array2<F>,
    pub(crate) out_grad_b: Array1<F>,
}

impl<F: Float> Workspace<F> {
    /// Buffers for `net` and batches of up to `capacity` rows.
    pub fn new(net: &Mlp<F>, capacity: usize) -> Self {
        let cfg = net.config();
        let z = |w: usize| Array2::zeros((capacity, w));
        let mut prev = cfg.input_dim;
        let layers = net
            .layers
            .iter()
            .map(|layer| {
                let w = layer.linear.out_features();
                let (before, after) = (cfg.placement == Placement::Before, cfg.placement == Placement::After);
                let bn = layer.bn.is_some();
                let buf = LayerBuffers {
                    pre: before.then(|| z(w)),
                    z: z(w),
                    a: z(w),
                    post: after.then(|| z(w)),
                    cache: bn.then(|| BnCache::new(w, capacity)),
                    grad_out: z(w),
                    grad_a: after.then(|| z(w)),
                    grad_z: z(w),
                    grad_pre: before.then(|| z(w)),
                    grad_w: Array2::zeros((w, prev)),
                    grad_b: layer.linear.bias.as_ref().map(|_| Array1::zeros(w)),
                    grad_gamma: bn.then(|| Array1::zeros(w)),
                    grad_beta: bn.then(|| Array1::zeros(w)),
                };
                prev = w;
                buf
            })
            .collect();
        Workspace {
            capacity,
            rows: 0,
            batch_stats: false,
            layers,
            logits: z(cfg.output_dim),
            grad_logits: z(cfg.output_dim),
            out_grad_w: Array2::zeros((cfg.output_dim, prev)),
            out_grad_b: Array1::zeros(cfg.output_dim),
        }
    }

    /// The largest batch this workspace holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Rows of the last forward pass.
    pub fn rows(&self) -> usize {
        self.rows
    }

    pub(crate) fn set_rows(&mut self, n: usize, batch_stats: bool) {
        assert!(n <= self.capacity, "batch of {n} rows exceeds the workspace capacity {}", self.capacity);
        self.rows = n;
        self.batch_stats = batch_stats;
    }

    /// The logits of the last forward pass, `(rows, output_dim)`.
    pub fn logits(&self) -> ArrayView2<'_, F> {
        self.logits.slice_rows(self.rows)
    }

    /// The logits and, mutably, the buffer for ∂L/∂logits that [`Mlp::backward`] reads: pass both to a loss.
    pub fn logits_and_grad(&mut self) -> (ArrayView2<'_, F>, ArrayViewMut2<'_, F>) {
        (self.logits.slice_rows(self.rows), self.grad_logits.slice_rows_mut(self.rows))
    }
}
