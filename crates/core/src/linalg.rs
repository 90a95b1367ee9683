//! The one matrix product every layer goes through.
//!
//! Keeping a single entry point means the GEMM can be swapped without touching any layer. It is the `gemm`
//! crate: pure Rust, no system BLAS, with runtime CPU detection (AVX-512 kernels where the CPU has them,
//! AVX2/FMA or SSE otherwise, so the same binary runs everywhere). It runs on the calling thread only, so
//! results are bit-identical run to run on one machine; parallelism is across runs.

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
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if beta == F::zero() {
            c.fill(F::zero());
        } else {
            c.mapv_inplace(|v| v * beta);
        }
        return;
    }
    let (c_rs, c_cs) = (c.strides()[0], c.strides()[1]);
    let (a_rs, a_cs) = (a.strides()[0], a.strides()[1]);
    let (b_rs, b_cs) = (b.strides()[0], b.strides()[1]);
    let c_ptr = c.as_mut_ptr();
    // `gemm` is fastest with a column-major destination. Our matrices are row-major, so when `c` is, compute
    // Cᵀ = Bᵀ·Aᵀ instead: the same memory read with rows and columns swapped, no copy.
    let transpose = c_cs == 1 && c_rs != 1;
    let (mm, nn, dst_cs, dst_rs, lhs, lhs_cs, lhs_rs, rhs, rhs_cs, rhs_rs) = if transpose {
        (n, m, c_rs, c_cs, b.as_ptr(), b_rs, b_cs, a.as_ptr(), a_rs, a_cs)
    } else {
        (m, n, c_cs, c_rs, a.as_ptr(), a_cs, a_rs, b.as_ptr(), b_cs, b_rs)
    };
    // SAFETY: the three views are valid for their shapes and strides (ndarray guarantees it); `c` is borrowed
    // mutably while `a` and `b` are borrowed immutably, so `c` cannot alias them; the dimensions were
    // checked above, and the transposed form addresses exactly the same elements. `gemm` computes
    // dst = alpha·dst + beta·(lhs·rhs), reading dst only when `read_dst`.
    unsafe {
        gemm::gemm(
            mm,
            nn,
            k,
            c_ptr,
            dst_cs,
            dst_rs,
            beta != F::zero(),
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            beta,
            alpha,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
