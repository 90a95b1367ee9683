//! Per-batch buffers of an [`Mlp`](crate::Mlp): activations, BN caches and gradients, allocated once.
//!
//! A workspace holds room for up to `capacity` rows; a forward pass with fewer rows uses the leading rows
//! only, so the same workspace serves a short final evaluation chunk without reallocating. Each hidden
//! block's share is shaped by that block's placement (see [`crate::HiddenLayer`]).
//!
//! Build one with `Workspace::new(&net, capacity)`. That constructor is written beside the network in
//! `network.rs`, so this file need not know the network: the network uses the workspace, not the reverse.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2};

use crate::buffer::Rows;
use crate::hidden::HiddenBuffers;
use crate::sparse::PackedWeights;
use crate::{Float, Linear};

/// Everything a forward and backward pass of one [`Mlp`](crate::Mlp) writes, for batches of up to
/// `capacity` rows.
#[derive(Clone, Debug)]
pub struct Workspace<F> {
    capacity: usize,
    pub(crate) rows: usize,
    pub(crate) batch_stats: bool,
    /// One entry per hidden block, input side first.
    pub(crate) layers: Vec<HiddenBuffers<F>>,
    pub(crate) logits: Array2<F>,
    pub(crate) grad_logits: Array2<F>,
    pub(crate) out_grad_w: Array2<F>,
    pub(crate) out_grad_b: Array1<F>,
    /// The first layer's weights packed for sparse evaluations (empty until the first).
    pub(crate) packed: PackedWeights,
}

impl<F: Float> Workspace<F> {
    /// A workspace of `capacity` rows from the hidden blocks' buffers and the output layer's shape.
    pub(crate) fn from_parts(capacity: usize, layers: Vec<HiddenBuffers<F>>, output: &Linear<F>) -> Self {
        let classes = output.out_features();
        Workspace {
            capacity,
            rows: 0,
            batch_stats: false,
            layers,
            logits: Array2::zeros((capacity, classes)),
            grad_logits: Array2::zeros((capacity, classes)),
            out_grad_w: Array2::zeros(output.weight.raw_dim()),
            out_grad_b: Array1::zeros(classes),
            packed: PackedWeights::new(),
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

    /// The logits and, mutably, the buffer for ∂L/∂logits that [`Mlp::backward`](crate::Mlp::backward)
    /// reads: pass both to a loss.
    pub fn logits_and_grad(&mut self) -> (ArrayView2<'_, F>, ArrayViewMut2<'_, F>) {
        (self.logits.slice_rows(self.rows), self.grad_logits.slice_rows_mut(self.rows))
    }
}
