//! Per-unit metrics of a layer's activation matrix: saturation, stuck units, dead units, inactive rate.
//!
//! Notation: z is the input of φ on the probe set, a `(samples, units)` matrix; τ ∈ (0, 1] is the
//! threshold (default 0.1) relative to sup φ′.
//!
//! ```text
//! saturated(s, u)   ⇔  φ′(z_su) < τ · sup φ′            (sigmoid, τ = 0.1: |z| > 3.64; tanh: |z| > 1.82)
//! saturation rate    = #{(s, u) saturated} / (samples · units)
//! stuck unit u       ⇔  saturated for every sample, all on the same side (all z > 0 or all z < 0)
//! dead unit u        ⇔  φ′(z_su) < τ · sup φ′ for every sample s   (ReLU: φ′ = 0, i.e. z ≤ 0 everywhere)
//! inactive rate      = #{(s, u): φ(z_su) = 0} / (samples · units)
//! ```
//!
//! For ReLU the threshold is moot (φ′ ∈ {0, 1}); for leaky ReLU, ELU, GELU and SiLU it makes "dead" mean
//! "no longer passes a useful gradient anywhere on the probe set".

use actscope_core::{Activation, Float};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// The default threshold τ (a tenth of the largest slope).
pub const DEFAULT_TAU: f64 = 0.1;

/// Saturation of a bounded activation on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    /// Share of (sample, unit) pairs with φ′(z) < τ·sup φ′.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub rate: f64,
    /// Share of units saturated on the same side for every sample.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub stuck: f64,
}

/// Dead units of a ReLU-family activation on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dead {
    /// Number of dead units.
    pub dead_units: usize,
    /// Dead units as a share of all units.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub dead_fraction: f64,
    /// Share of (sample, unit) pairs with φ(z) = 0 exactly.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub inactive_rate: f64,
}

fn threshold(act: Activation, tau: f64) -> f64 {
    tau * act.max_derivative()
}

/// Saturation rate and stuck-unit share of `z` under `act` with threshold `tau` (see the module docs).
/// An empty matrix gives zeros.
pub fn saturation<F: Float>(z: ArrayView2<'_, F>, act: Activation, tau: f64) -> Saturation {
    let (samples, units) = z.dim();
    if samples == 0 || units == 0 {
        return Saturation { rate: 0.0, stuck: 0.0 };
    }
    let thr = threshold(act, tau);
    let mut saturated = 0usize;
    let mut stuck = 0usize;
    for col in z.columns() {
        let (mut lo, mut hi) = (0usize, 0usize);
        for &v in col {
            let v = v.f64();
            if act.derivative(v) < thr {
                if v < 0.0 {
                    lo += 1;
                } else {
                    hi += 1;
                }
            }
        }
        saturated += lo + hi;
        stuck += usize::from(lo == samples || hi == samples);
    }
    Saturation { rate: saturated as f64 / (samples * units) as f64, stuck: stuck as f64 / units as f64 }
}

/// Dead units and inactive rate of `z` under `act` with threshold `tau` (see the module docs).
/// An empty matrix gives zeros.
pub fn dead_units<F: Float>(z: ArrayView2<'_, F>, act: Activation, tau: f64) -> Dead {
    let (samples, units) = z.dim();
    if samples == 0 || units == 0 {
        return Dead { dead_units: 0, dead_fraction: 0.0, inactive_rate: 0.0 };
    }
    let thr = threshold(act, tau);
    let mut dead = 0usize;
    let mut inactive = 0usize;
    for col in z.columns() {
        let mut alive = false;
        for &v in col {
            let v = v.f64();
            alive |= act.derivative(v) >= thr;
            inactive += usize::from(act.value(v) == 0.0);
        }
        dead += usize::from(!alive);
    }
    Dead {
        dead_units: dead,
        dead_fraction: dead as f64 / units as f64,
        inactive_rate: inactive as f64 / (samples * units) as f64,
    }
}

/// Share of entries of `z` in φ's near-linear region, where φ′(z) ≥ 0.9 · sup φ′
/// (sigmoid: |z| ≲ 0.65; tanh: |z| ≲ 0.33; ReLU: z > 0).
pub fn near_linear_share<F: Float>(z: ArrayView2<'_, F>, act: Activation) -> f64 {
    if z.is_empty() {
        return 0.0;
    }
    let thr = 0.9 * act.max_derivative();
    z.iter().filter(|&&v| act.derivative(v.f64()) >= thr).count() as f64 / z.len() as f64
}
