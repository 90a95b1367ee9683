//! The one matrix product every layer goes through.
//!
//! Keeping a single entry point means a faster GEMM can be swapped in without touching any layer.
//! The product is single-threaded and deterministic: the same inputs give bit-identical outputs.

use ndarray::{ArrayView2, ArrayViewMut2};

use crate::Float;

/// `c ← alpha · a · b + beta · c`, for any strides (transposed views cost nothing).
///
/// ```text
/// a: (m, k)   b: (k, n)   c: (m, n)
/// ```
///
/// With `beta = 0`, `c`'s previous contents are ignored (NaNs included).
///
/// # Panics
/// If the shapes do not agree.
pub fn gemm<F: Float>(alpha: F, a: ArrayView2<'_, F>, b: ArrayView2<'_, F>, beta: F, c: &mut ArrayViewMut2<'_, F>) {
    assert_eq!(a.ncols(), b.nrows(), "gemm: inner dimensions differ");
    assert_eq!((a.nrows(), b.ncols()), c.dim(), "gemm: output shape differs");
    if beta == F::zero() {
        // matrixmultiply reads c when beta is zero only to multiply it by zero; clear NaNs first.
        c.fill(F::zero());
    }
    ndarray::linalg::general_mat_mul(alpha, &a, &b, beta, c);
}
