//! Representation diversity: the effective rank of a layer's activation matrix (Roy & Vetterli, 2007).
//!
//! ```text
//! A: (samples, units), columns centred       σ₁ ≥ σ₂ ≥ … its singular values
//! p_i = σ_i / Σ_j σ_j          erank(A) = exp(−Σ_i p_i ln p_i)       1 ≤ erank ≤ min(samples, units)
//! ```
//!
//! The singular values come from the eigenvalues of the Gram matrix AᵀA (units × units), found in f64 by
//! Householder tridiagonalisation and the implicit QL algorithm: no LAPACK, about a millisecond for 100 units.

use actscope_core::Float;
use ndarray::{Array2, ArrayView2, Axis};

/// Eigenvalues of a symmetric matrix: Householder reduction to tridiagonal form, then the implicit QL
/// algorithm with Wilkinson shifts (eigenvalues only, O(n³) with a small constant).
///
/// # Panics
/// If `m` is not square.
// Index loops mirror the published tred2/tqli algorithms line for line, which keeps them checkable.
#[allow(clippy::needless_range_loop)]
pub fn symmetric_eigenvalues(m: Array2<f64>) -> Vec<f64> {
    let n = m.nrows();
    assert_eq!(n, m.ncols(), "symmetric_eigenvalues: matrix must be square");
    if n == 0 {
        return Vec::new();
    }
    let mut a: Vec<Vec<f64>> = m.rows().into_iter().map(|r| r.to_vec()).collect();
    let (mut d, mut e) = (vec![0.0; n], vec![0.0; n]);
    // Householder tridiagonalisation (tred2 without accumulating the transformations).
    for i in (1..n).rev() {
        let l = i - 1;
        let mut h = 0.0;
        if l > 0 {
            let scale: f64 = a[i][..=l].iter().map(|x| x.abs()).sum();
            if scale == 0.0 {
                e[i] = a[i][l];
            } else {
                for k in 0..=l {
                    a[i][k] /= scale;
                    h += a[i][k] * a[i][k];
                }
                let f = a[i][l];
                let g = if f >= 0.0 { -h.sqrt() } else { h.sqrt() };
                e[i] = scale * g;
                h -= f * g;
                a[i][l] = f - g;
                let mut f = 0.0;
                for j in 0..=l {
                    let mut g = 0.0;
                    for k in 0..=j {
                        g += a[j][k] * a[i][k];
                    }
                    for k in j + 1..=l {
                        g += a[k][j] * a[i][k];
                    }
                    e[j] = g / h;
                    f += e[j] * a[i][j];
                }
                let hh = f / (h + h);
                for j in 0..=l {
                    let f = a[i][j];
                    let g = e[j] - hh * f;
                    e[j] = g;
                    for k in 0..=j {
                        a[j][k] -= f * e[k] + g * a[i][k];
                    }
                }
            }
        } else {
            e[i] = a[i][l];
        }
        d[i] = h;
    }
    for i in 0..n {
        d[i] = a[i][i];
    }
    // Implicit QL with shifts on the tridiagonal matrix (tqli, eigenvalues only).
    for i in 1..n {
        e[i - 1] = e[i];
    }
    e[n - 1] = 0.0;
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
            let mut r = g.hypot(1.0);
            g = d[m] - d[l] + e[l] / (g + if g >= 0.0 { r.abs() } else { -r.abs() });
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut i = m;
            let mut underflow = false;
            while i > l {
                i -= 1;
                let f = s * e[i];
                let b = c * e[i];
                r = f.hypot(g);
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

/// Singular values of `a` (descending), via the Gram matrix of its smaller side.
pub fn singular_values<F: Float>(a: ArrayView2<'_, F>) -> Vec<f64> {
    let a = a.mapv(|v| v.f64());
    let gram = if a.ncols() <= a.nrows() { a.t().dot(&a) } else { a.dot(&a.t()) };
    let mut s: Vec<f64> = symmetric_eigenvalues(gram).into_iter().map(|l| l.max(0.0).sqrt()).collect();
    s.sort_unstable_by(|x, y| y.total_cmp(x));
    s
}

/// The effective rank of `a` after centring its columns (1.0 for a constant matrix, by convention).
pub fn effective_rank<F: Float>(a: ArrayView2<'_, F>) -> f64 {
    if a.is_empty() {
        return 0.0;
    }
    let mut c = a.mapv(|v| v.f64());
    let mean = c.mean_axis(Axis(0)).expect("non-empty");
    c -= &mean;
    let s = singular_values(c.view());
    let total: f64 = s.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return 1.0;
    }
    let h: f64 = s.iter().map(|&x| x / total).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
    h.exp()
}
