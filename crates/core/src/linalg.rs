//! The one matrix product every layer goes through.
//!
//! Keeping a single entry point means the GEMM can be swapped without touching any layer. It is the `gemm`
//! crate: pure Rust, no system BLAS, with runtime CPU detection (AVX-512 kernels where the CPU has them,
//! AVX2/FMA or SSE otherwise, so the same binary runs everywhere). It runs on the calling thread only, so
//! results are bit-identical run to run on one machine; parallelism is across runs.

use std::any::Any;
use std::cell::RefCell;

use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

use crate::Float;

/// From 2 up to this many rows of `c`, with at least [`DEEP`] terms per element and [`WIDE`] columns,
/// [`gemm`] computes into a column-major copy of `c` (one row, or one column, would take the `gemm` crate's
/// matrix–vector paths, which differ by orientation).
const FEW_ROWS: usize = 64;
/// See [`FEW_ROWS`].
const DEEP: usize = 256;
/// See [`FEW_ROWS`].
const WIDE: usize = 16;

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
    // Where `product` would compute Cᵀ (rows of `c` contiguous: the `gemm` crate works column-major).
    if (2..=FEW_ROWS).contains(&m) && k >= DEEP && n >= WIDE && c.strides()[1] == 1 {
        // A layer's forward pass over a small batch, x·Wᵀ with W row-major: into a row-major `c`, `gemm`
        // computes Cᵀ = W·xᵀ and packs W (outputs × k) at every call; into a column-major `c` it packs x
        // (rows × k) instead, and its kernel's 64-row panel holds the batch. Each element is the same sum
        // in the same order either way (the blocking over k depends on k alone), so the same bits. E1's
        // first layer (60 × 784 · 784 × 100, with the bias): 83 against 89–94 µs, copies included.
        // The copy lives in a buffer kept per thread, so a training step allocates nothing here.
        with_scratch::<F>(m * n, |t| {
            let mut t = ArrayViewMut2::from_shape((m, n).f(), t).expect("the scratch holds m·n values");
            if beta != F::zero() {
                t.assign(c);
            }
            product(alpha, a, b, beta, &mut t);
            c.assign(&t);
        });
        return;
    }
    product(alpha, a, b, beta, c);
}

/// Runs `f` on `len` values of a buffer this thread keeps for element type `F` (grown as needed, never
/// shrunk; its values are whatever the last use left). After the first use of a size, no allocation.
///
/// # Panics
/// If `f` calls it again (only [`product`] runs inside, which does not).
fn with_scratch<F: Float>(len: usize, f: impl FnOnce(&mut [F])) {
    thread_local! {
        static SCRATCH: RefCell<Vec<Box<dyn Any>>> = const { RefCell::new(Vec::new()) };
    }
    SCRATCH.with_borrow_mut(|bufs| {
        let at = match bufs.iter().position(|b| b.is::<Vec<F>>()) {
            Some(at) => at,
            None => {
                bufs.push(Box::new(Vec::<F>::new()));
                bufs.len() - 1
            }
        };
        let buf = bufs[at].downcast_mut::<Vec<F>>().expect("found by its type");
        if buf.len() < len {
            buf.resize(len, F::zero());
        }
        f(&mut buf[..len]);
    });
}

/// [`gemm`] for any layout of `c`, one call of the `gemm` crate; the shapes checked and not empty.
fn product<F: Float>(alpha: F, a: ArrayView2<'_, F>, b: ArrayView2<'_, F>, beta: F, c: &mut ArrayViewMut2<'_, F>) {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
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

#[cfg(test)]
mod tests {
    use ndarray::{Array2, s};

    use super::*;

    fn matrix(rows: usize, cols: usize, seed: usize) -> Array2<f32> {
        Array2::from_shape_fn((rows, cols), |(i, j)| {
            let h = (i * 7919 + j * 104_729 + seed * 31).wrapping_mul(2_654_435_761) % 2001;
            if (i + j + seed).is_multiple_of(3) { 0.0 } else { h as f32 / 1000.0 - 1.0 }
        })
    }

    /// The column-major detour gives the bits of the one call into the row-major `c`: with and without
    /// the bias in `c`, a scale, a transposed `b` (a layer's Wᵀ) and a plain one, at the thresholds' edges
    /// and at E1's first layer (k = 784, which `gemm` blocks in two).
    #[test]
    fn few_rows_into_a_column_major_copy_give_the_same_bits() {
        for (m, k, n) in [(2, 256, 16), (60, 784, 100), (64, 784, 512), (33, 300, 17), (16, 1500, 40)] {
            let a = matrix(m, k, 1);
            let w = matrix(n, k, 2);
            let plain = matrix(k, n, 3);
            let start = matrix(m, n, 4);
            for (b, alpha, beta) in [(w.t(), 1.0, 1.0), (w.t(), 1.0, 0.0), (plain.view(), 0.5, 2.0)] {
                let (mut want, mut got) = (start.clone(), start.clone());
                product(alpha, a.view(), b, beta, &mut want.view_mut());
                gemm(alpha, a.view(), b, beta, &mut got.view_mut());
                let same = want.iter().zip(&got).all(|(x, y)| x.to_bits() == y.to_bits());
                assert!(same, "{m}×{k}·{k}×{n}, alpha {alpha}, beta {beta}: the bits differ");
            }
        }
        // What a product leaves in the thread's copy never reaches the next: NaNs there, then beta = 0.
        let (a, w) = (matrix(60, 784, 7), matrix(100, 784, 8));
        let mut nan = Array2::<f32>::from_elem((60, 100), f32::NAN);
        gemm(1.0, a.view(), w.t(), 1.0, &mut nan.view_mut());
        assert!(nan.iter().all(|v| v.is_nan()));
        let (mut want, mut got) = (Array2::<f32>::zeros((60, 100)), Array2::<f32>::from_elem((60, 100), f32::NAN));
        product(1.0, a.view(), w.t(), 0.0, &mut want.view_mut());
        gemm(1.0, a.view(), w.t(), 0.0, &mut got.view_mut());
        assert!(want.iter().zip(&got).all(|(x, y)| x.to_bits() == y.to_bits()), "stale values leaked");
        // A destination that is part of a wider array (rows contiguous, not in standard layout) takes the
        // detour too: the same bits in its columns, and the columns beside it untouched.
        let (a, w) = (matrix(60, 784, 5), matrix(100, 784, 6));
        let mut wide = Array2::<f32>::from_elem((60, 200), 7.0);
        gemm(1.0, a.view(), w.t(), 0.0, &mut wide.slice_mut(s![.., ..100]));
        let mut want = Array2::<f32>::zeros((60, 100));
        product(1.0, a.view(), w.t(), 0.0, &mut want.view_mut());
        let got = wide.slice(s![.., ..100]);
        assert!(want.iter().zip(&got).all(|(x, y)| x.to_bits() == y.to_bits()), "a view of a wider array");
        assert!(wide.slice(s![.., 100..]).iter().all(|&v| v == 7.0), "the columns beside it are left alone");
    }
}
