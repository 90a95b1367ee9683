//! Representation diversity: the effective rank of a layer's activation matrix (Roy & Vetterli, 2007).
//!
//! ```text
//! A: (samples, units), columns centred       σ₁ ≥ σ₂ ≥ … its singular values
//! p_i = σ_i / Σ_j σ_j          erank(A) = exp(−Σ_i p_i ln p_i)       1 ≤ erank ≤ min(samples, units)
//! ```
//!
//! A matrix without samples or units has no such value: its effective rank is NaN.
//!
//! The singular values come from the eigenvalues of the Gram matrix AᵀA (units × units), found in f64 by
//! Householder tridiagonalisation and the implicit QL algorithm: no LAPACK; about 0.7 ms for a 1,000 × 100
//! activation matrix, Gram matrix included (`cargo bench -p actscope-metrics`).
//!
//! Kept rather than `faer` 0.23 (issue 16; `docs/performance.md`, *Effective rank*): on one thread, ours
//! takes 0.38–0.45 ms for 100 × 100, 0.79–0.83 ms for 1,000 × 100 and 159–169 ms for 1,000 × 512, faer's
//! eigenvalues of the same Gram matrix 0.49–0.55 / 1.06–1.11 / 134–138 ms and faer's SVD 0.75–0.92 /
//! 14.9–15.0 / 266–270 ms. The effective rank agrees with the exact one to 7e-7 or better for every
//! spectrum tried (1 … 10⁻¹² geometric included); only singular values below ~10⁻⁷σ₁, which the f32
//! activations do not resolve anyway, lose accuracy through the Gram matrix.

use actscope_core::Float;
use actscope_core::linalg::gemm;
use ndarray::{Array2, ArrayView2, Axis, s};

/// Eigenvalues of a symmetric matrix (unordered): Householder reduction to tridiagonal form, then the
/// implicit QL algorithm with Wilkinson shifts (eigenvalues only, about (4/3)·n³ flops).
///
/// Only the lower triangle of `m` is read.
///
/// # Panics
/// If `m` is not square.
pub fn symmetric_eigenvalues(m: Array2<f64>) -> Vec<f64> {
    let n = m.nrows();
    assert_eq!(n, m.ncols(), "symmetric_eigenvalues: matrix must be square");
    let mut a: Vec<f64> = m.iter().copied().collect();
    let (d, e) = tridiagonalise(&mut a, n);
    tridiagonal_eigenvalues(d, e)
}

/// Σ x_i·y_i with four partial sums (a fixed order, so the result is the same on every run).
fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 4];
    let (xc, yc) = (x.chunks_exact(4), y.chunks_exact(4));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xc.zip(yc) {
        for l in 0..4 {
            lanes[l] += a[l] * b[l];
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail
}

/// ‖x‖₂, scaled by the largest |x_i| so that no square overflows or underflows.
fn norm(x: &[f64]) -> f64 {
    let big = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if big == 0.0 || !big.is_finite() {
        return big;
    }
    let inv = 1.0 / big;
    big * x.iter().map(|v| (v * inv) * (v * inv)).sum::<f64>().sqrt()
}

/// Reduces the symmetric matrix held in the lower triangle of `a` (row-major, n×n; overwritten) to
/// tridiagonal form T = QᵀAQ by Householder reflections, as LAPACK's `dsytd2` does for the lower triangle.
/// Returns T's diagonal `d` and sub-diagonal `e` (`e[i]` couples rows i and i+1; `e[n−1] = 0`).
///
/// Step k reflects column k below the diagonal, x = A[k+1.., k], onto β·e₁ with H = I − τ·v·vᵀ
/// (v₀ = 1, β = −sign(x₀)·‖x‖, τ = (β − x₀)/β), then updates the trailing block S = A[k+1.., k+1..]:
///
/// ```text
/// p = τ·S·v      w = p − (τ/2)(pᵀv)·v      S ← S − v·wᵀ − w·vᵀ
/// ```
///
/// Every loop runs along a row of the lower triangle, so memory is read contiguously.
fn tridiagonalise(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut d, mut e) = (vec![0.0; n], vec![0.0; n]);
    let (mut v, mut p) = (vec![0.0; n], vec![0.0; n]);
    for k in 0..n.saturating_sub(2) {
        let m = n - k - 1;
        let (v, p) = (&mut v[..m], &mut p[..m]);
        for (t, vt) in v.iter_mut().enumerate() {
            *vt = a[(k + 1 + t) * n + k];
        }
        d[k] = a[k * n + k];
        let x0 = v[0];
        let tail_norm = norm(&v[1..]);
        if tail_norm == 0.0 {
            // Already zero below the sub-diagonal: H = I.
            e[k] = x0;
            continue;
        }
        let beta = -x0.signum() * x0.hypot(tail_norm);
        let tau = (beta - x0) / beta;
        let scale = 1.0 / (x0 - beta);
        v[0] = 1.0;
        for vt in &mut v[1..] {
            *vt *= scale;
        }
        e[k] = beta;
        // p = τ·S·v from the lower triangle: row r of S contributes its dot product with v to p[r] and
        // v[r]·(its entries left of the diagonal) to the p[c] above it (the mirrored upper entries).
        p.fill(0.0);
        for r in 0..m {
            let row = &a[(k + 1 + r) * n + k + 1..][..=r];
            let vr = v[r];
            for (pc, &s) in p[..r].iter_mut().zip(&row[..r]) {
                *pc += s * vr;
            }
            p[r] += dot(&row[..r], &v[..r]) + row[r] * vr;
        }
        for pc in p.iter_mut() {
            *pc *= tau;
        }
        let half = 0.5 * tau * dot(p, v);
        for (pc, &vc) in p.iter_mut().zip(v.iter()) {
            *pc -= half * vc;
        }
        // S ← S − v·wᵀ − w·vᵀ on the lower triangle (w is now in p).
        for r in 0..m {
            let row = &mut a[(k + 1 + r) * n + k + 1..][..=r];
            let (vr, wr) = (v[r], p[r]);
            for ((s, &vc), &wc) in row.iter_mut().zip(&v[..=r]).zip(&p[..=r]) {
                *s -= vr * wc + wr * vc;
            }
        }
    }
    if n >= 2 {
        e[n - 2] = a[(n - 1) * n + n - 2];
        d[n - 2] = a[(n - 2) * n + n - 2];
    }
    if n >= 1 {
        d[n - 1] = a[n * n - 1];
    }
    (d, e)
}

/// √(x² + y²): the plain formula where neither square can overflow or underflow (the common case, several
/// times faster than libm's `hypot`), `hypot` otherwise.
fn hypot(x: f64, y: f64) -> f64 {
    const SAFE: std::ops::RangeInclusive<f64> = 1e-150..=1e150;
    let (ax, ay) = (x.abs(), y.abs());
    if (SAFE.contains(&ax) || ax == 0.0) && (SAFE.contains(&ay) || ay == 0.0) {
        (x * x + y * y).sqrt()
    } else {
        x.hypot(y)
    }
}

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and sub-diagonal `e` (`e[i]` couples
/// i and i+1): the implicit QL algorithm with Wilkinson shifts (`tqli` without eigenvectors).
// Index loops mirror the published tqli algorithm line for line, which keeps them checkable.
#[allow(clippy::needless_range_loop)]
fn tridiagonal_eigenvalues(mut d: Vec<f64>, mut e: Vec<f64>) -> Vec<f64> {
    let n = d.len();
    for l in 0..n {
        let mut iter = 0;
        loop {
            let mut m = l;
            while m + 1 < n {
                let dd = d[m].abs() + d[m + 1].abs();
                if e[m].abs() <= f64::EPSILON * dd {
                    break;
                }
                m += 1;
            }
            if m == l {
                break;
            }
            iter += 1;
            if iter > 60 {
                break;
            }
            let mut g = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let mut r = hypot(g, 1.0);
            g = d[m] - d[l] + e[l] / (g + if g >= 0.0 { r.abs() } else { -r.abs() });
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = hypot(f, g);
                e[i + 1] = r;
                if r == 0.0 {
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                g = d[i + 1] - p;
                r = (d[i] - g) * s + 2.0 * c * b;
                p = s * r;
                d[i + 1] = g + p;
                g = c * r - b;
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    d
}

/// Singular values of `a` (descending), via the Gram matrix of its smaller side; all NaN (as many as the
/// smaller side) when `a` holds a NaN or an infinity, which had given zeros.
///
/// The matrix is scaled by a power of two near its largest magnitude first (exact: the same bits for
/// matrices of order 1), so that the Gram matrix neither overflows nor underflows: entries of 1e300 had
/// given singular values of 0, of 1e160 infinity and of 1e-170 zero. A singular value beyond f64's range
/// after scaling back is infinite.
pub fn singular_values<F: Float>(a: ArrayView2<'_, F>) -> Vec<f64> {
    if a.iter().any(|v| !v.f64().is_finite()) {
        return vec![f64::NAN; a.nrows().min(a.ncols())];
    }
    let largest = a.iter().fold(0.0f64, |m, v| m.max(v.f64().abs()));
    // 2^e with e the nearest integer to log2(largest), kept within f64's normal powers of two (2^1024 is
    // infinite, and `powi` of a subnormal power can round to 0); 1 for a zero matrix.
    let scale = if largest > 0.0 { 2f64.powi((largest.log2().round() as i32).clamp(-1022, 1023)) } else { 1.0 };
    let s = singular_values_f64(a.mapv(|v| v.f64() / scale).view());
    s.into_iter().map(|x| x * scale).collect()
}

fn singular_values_f64(a: ArrayView2<'_, f64>) -> Vec<f64> {
    let gram = if a.ncols() <= a.nrows() { lower_gram(a) } else { lower_gram(a.t()) };
    let mut s: Vec<f64> = symmetric_eigenvalues(gram).into_iter().map(|l| l.max(0.0).sqrt()).collect();
    s.sort_unstable_by(|x, y| y.total_cmp(x));
    s
}

/// The lower triangle of the Gram matrix aᵀ·a (the part [`symmetric_eigenvalues`] reads; the rest is left
/// zero or partly filled): block row by block row of 32, each one product with the columns up to its end,
/// which skips most of the upper triangle's multiplications.
fn lower_gram(a: ArrayView2<'_, f64>) -> Array2<f64> {
    const BLOCK: usize = 32;
    let n = a.ncols();
    let mut gram = Array2::zeros((n, n));
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let rows = a.slice(s![.., start..end]);
        gemm(1.0, rows.t(), a.slice(s![.., ..end]), 0.0, &mut gram.slice_mut(s![start..end, ..end]));
    }
    gram
}

/// The effective rank of `a` after centring its columns (1.0 for a constant matrix, by convention; NaN when
/// `a` holds a NaN or an infinity — a diverged network has no meaningful rank — or its Gram matrix
/// overflows, and NaN for a matrix without rows or columns, which has no rank of 1 or more).
pub fn effective_rank<F: Float>(a: ArrayView2<'_, F>) -> f64 {
    if a.is_empty() {
        return f64::NAN;
    }
    let mut c = a.mapv(|v| v.f64());
    if c.iter().any(|v| !v.is_finite()) {
        return f64::NAN;
    }
    let mean = c.mean_axis(Axis(0)).expect("non-empty");
    c -= &mean;
    // The rank does not depend on the scale: dividing by the largest magnitude keeps the singular values
    // in f64's range (activations of 1e160 or 1e-170 read as a collapse to 1 without it).
    let m = c.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if m > 0.0 {
        c /= m;
    }
    let s = singular_values_f64(c.view());
    let total: f64 = s.iter().sum();
    if !total.is_finite() {
        return f64::NAN;
    }
    if total <= 0.0 {
        return 1.0;
    }
    let h: f64 = s.iter().map(|&x| x / total).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
    h.exp()
}
