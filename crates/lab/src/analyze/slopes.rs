//! Saturation, dead units and the near-linear share of a layer whose activation actscope does not know,
//! from the φ′(z) the capture supplies (`docs/capture.md`): the rules of `actscope_metrics::units` with the
//! slope given rather than computed.
//!
//! ```text
//! saturated(s, u)  ⇔  dphi_su < τ · dphi_max          stuck unit: saturated for every s, all on one side of z = 0
//! dead unit u      ⇔  saturated(s, u) for every s      inactive: a_su == 0
//! near-linear      ⇔  dphi_su ≥ 0.9 · dphi_max
//! ```

use actscope_core::Float;
use actscope_metrics::units::{self, Dead, Saturation};
use ndarray::ArrayView2;

/// Saturation rate and stuck-unit share from supplied slopes (zeros for an empty matrix).
///
/// # Panics
/// If `z` and `dphi` differ in shape.
pub fn saturation<F: Float>(z: ArrayView2<'_, F>, dphi: ArrayView2<'_, F>, level: f64) -> Saturation {
    assert_eq!(z.dim(), dphi.dim(), "z and dphi differ in shape");
    units::saturation_where(z, |s, u, _| dphi[[s, u]].f64() < level)
}

/// Dead units from supplied slopes, and the inactive rate from the outputs (zeros for an empty matrix).
pub fn dead_units<F: Float>(dphi: ArrayView2<'_, F>, a: ArrayView2<'_, F>, level: f64) -> Dead {
    let (samples, units) = dphi.dim();
    let dead = dphi.columns().into_iter().filter(|c| c.iter().all(|d| d.f64() < level)).count();
    let inactive = a.iter().filter(|v| v.f64() == 0.0).count();
    Dead::from_counts(dead, inactive, samples, units)
}

/// Share of entries with φ′ ≥ 0.9 · sup φ′ (0 for an empty matrix).
pub fn near_linear_share<F: Float>(dphi: ArrayView2<'_, F>, dphi_max: f64) -> f64 {
    if dphi.is_empty() {
        return 0.0;
    }
    dphi.iter().filter(|d| d.f64() >= 0.9 * dphi_max).count() as f64 / dphi.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use actscope_core::Activation;
    use ndarray::Array2;

    /// With the φ′ of a known activation supplied, the rules give exactly what actscope computes itself.
    #[test]
    fn supplied_slopes_of_a_known_activation_give_its_metrics() {
        let z = Array2::from_shape_fn((40, 7), |(i, j)| (i as f64 - 20.0) * 0.37 + j as f64 * 0.9 - 3.0);
        for act in [Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Gelu] {
            let dphi = z.mapv(|v| act.derivative(v));
            let a = z.mapv(|v| act.value(v));
            let level = 0.1 * act.max_derivative();
            assert_eq!(
                saturation(z.view(), dphi.view(), level),
                actscope_metrics::units::saturation(z.view(), act, 0.1),
                "{act}"
            );
            assert_eq!(
                dead_units(dphi.view(), a.view(), level),
                actscope_metrics::units::dead_units(z.view(), act, 0.1),
                "{act}"
            );
            assert_eq!(
                near_linear_share(dphi.view(), act.max_derivative()),
                actscope_metrics::units::near_linear_share(z.view(), act),
                "{act}"
            );
        }
    }
}
