//! The training batches of a run: a fresh seeded permutation of the training set each epoch, cut into
//! batches of `batch_size` (an incomplete final batch is dropped), gathered into one buffer.
//!
//! The order depends only on the seed, the training set's size and the batch size, so runs that share
//! those see the same batches in the same order and can share one gather (see `lockstep.rs`).

use ndarray::Array2;

use crate::rng::{SeededRng, derive_seed, seeded, shuffle};
use crate::{Dataset, Float, TrainConfig};

/// Gathers step after step's batch of a training set into `x` and `y`.
pub(crate) struct Batches<F> {
    rng: SeededRng,
    order: Vec<usize>,
    batch: usize,
    steps_per_epoch: usize,
    /// The rows of the current batch.
    pub(crate) x: Array2<F>,
    /// Their labels.
    pub(crate) y: Vec<usize>,
}

impl<F: Float> Batches<F> {
    /// Batches of `train` for `config` (batch size and seed); `config.batch_size` must lie in
    /// `1..=train.len()`.
    pub(crate) fn new(config: &TrainConfig, train: &Dataset) -> Self {
        let (n, b) = (train.len(), config.batch_size);
        Batches {
            rng: seeded(derive_seed(config.seed, "shuffle")),
            order: (0..n).collect(),
            batch: b,
            steps_per_epoch: config.steps_per_epoch(n),
            x: Array2::zeros((b, train.dim())),
            y: vec![0; b],
        }
    }

    /// Gathers the batch of update number `step` (called for every step in order, from 0).
    pub(crate) fn gather(&mut self, step: usize, train: &Dataset) {
        let (b, spe) = (self.batch, self.steps_per_epoch);
        let pos = step % spe;
        if pos == 0 {
            shuffle(&mut self.rng, &mut self.order);
        }
        let rows = &self.order[pos * b..(pos + 1) * b];
        // Ask for all the batch's rows first, so that the memory system fetches them together rather than
        // row after row as the copy reaches them. Hints only: no effect on results. Asking here for the next
        // batch's rows instead, to arrive while this step computes, made E1's grid about 2% slower
        // (docs/performance.md).
        for &i in rows {
            prefetch_row(&train.features, i);
        }
        for (r, &i) in rows.iter().enumerate() {
            copy_row(&mut self.x, r, &train.features, i);
            self.y[r] = train.labels[i];
        }
    }
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
