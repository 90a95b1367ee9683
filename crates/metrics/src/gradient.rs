//! Gradient flow across layers.
//!
//! ```text
//! ‖∂L/∂W‖₂           Frobenius norm of a layer's weight gradient (likewise ∂L/∂b)
//! ms(∂L/∂z)          (1/(samples·units)) Σ (∂L/∂z)²
//! update ratio        ‖W_after − W_before‖ / ‖W_before‖, for one optimizer step
//! vanishing index     log10(‖∂L/∂W_first‖ / ‖∂L/∂W_last‖)   (of Frobenius norms: below ½·log10(n_first/n_last),
//!                     n the matrices' entry counts, gradients shrink towards the input per entry)
//! growth factor λ̂     least squares  ln ms(∂L/∂z_l) = c − l·ln λ̂  over hidden layers l = 1..L:
//!                     the factor by which the squared gradient grows per layer going from output to input,
//!                     the quantity λ of Yang et al. (2019)
//! ```

use actscope_core::Float;
use ndarray::{ArrayView, Dimension};

/// Σ x², each value converted to f64 before it is squared and summed in 8 f64 lanes (vectorises). In the
/// element type the squares overflowed from f32 entries of about 1e19 and underflowed below about 1e-19,
/// where gradients that vanish or explode are exactly what the sum is measuring.
pub fn sum_squares<F: Float, D: Dimension>(x: ArrayView<'_, F, D>) -> f64 {
    let square = |v: F| v.f64() * v.f64();
    match x.as_slice_memory_order() {
        Some(s) => crate::distribution::lane_sum(s, square),
        None => x.iter().map(|&v| square(v)).sum(),
    }
}

/// Frobenius (L2) norm of any array. Where Σ x² leaves f64's normal range (f64 entries beyond about 1e154
/// or below about 1e-154), the entries are scaled by the largest magnitude first, so the norm is right
/// wherever it is itself a finite f64.
pub fn l2_norm<F: Float, D: Dimension>(x: ArrayView<'_, F, D>) -> f64 {
    norm_from(sum_squares(x.view()), || x.iter().map(|v| v.f64()))
}

/// The Euclidean norm of `values()` given `plain`, the sum of their squares: √plain where that sum is in
/// f64's normal range (or exactly 0), else recomputed on the values divided by the largest magnitude, so that
/// squares that overflow or underflow do not (an f32 gradient of 1e19 had norm ∞). `values` is called again
/// only then.
fn norm_from<I: Iterator<Item = f64>>(plain: f64, values: impl Fn() -> I) -> f64 {
    let exact = plain.is_finite() && (plain >= f64::MIN_POSITIVE || plain == 0.0 && values().all(|v| v == 0.0));
    if plain.is_nan() || exact {
        return plain.sqrt();
    }
    let m = values().fold(0.0f64, |m, v| m.max(v.abs()));
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    m * values().map(|v| (v / m).powi(2)).sum::<f64>().sqrt()
}

/// Mean of the squared entries; 0 for an empty array.
pub fn mean_square<F: Float, D: Dimension>(x: ArrayView<'_, F, D>) -> f64 {
    let n = x.len();
    if n == 0 {
        return 0.0;
    }
    sum_squares(x) / n as f64
}

/// ‖after − before‖ / ‖before‖ (NaN when `before` is zero).
///
/// # Panics
/// If the shapes differ.
pub fn update_ratio<F: Float, D: Dimension>(before: ArrayView<'_, F, D>, after: ArrayView<'_, F, D>) -> f64 {
    assert_eq!(before.shape(), after.shape(), "update_ratio: shapes differ");
    // The difference's norm as scale-safe as the base's (its squares overflowed at 1e200 in f64), without a
    // copy.
    let pairs = || before.iter().zip(after.iter()).map(|(&b, &a)| a.f64() - b.f64());
    let diff = norm_from(pairs().map(|d| d * d).sum(), pairs);
    let base = l2_norm(before);
    if base == 0.0 { f64::NAN } else { diff / base }
}

/// log10(first / last) of weight-gradient norms.
pub fn vanishing_index(first_norm: f64, last_norm: f64) -> f64 {
    (first_norm / last_norm).log10()
}

/// The per-layer growth factor λ̂ of the squared gradient from output to input (see the module docs),
/// fitted on `mean_squares[l]` for layers ordered input side first. `None` with fewer than 2 positive,
/// finite values.
pub fn growth_factor(mean_squares: &[f64]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = mean_squares
        .iter()
        .enumerate()
        .filter(|(_, m)| **m > 0.0 && m.is_finite())
        .map(|(l, m)| (l as f64, m.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let n = pts.len() as f64;
    let (mx, my) = (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n);
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    Some((-sxy / sxx).exp())
}
