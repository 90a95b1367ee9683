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
//!
//! A NaN z (a network whose weights blew up) is neither saturated nor at or above the level, for every
//! activation alike: it is not counted as saturated, and a unit that is NaN on every sample is dead (its
//! gradient is NaN: it passes nothing useful). φ′(NaN) itself differs by activation (ReLU's is 1, leaky
//! ReLU's its slope, the others' NaN), which used to make such a unit alive under ReLU and saturated under
//! leaky ReLU.

use actscope_core::{Activation, Float};
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

/// The default threshold τ (a tenth of the largest slope).
pub const DEFAULT_TAU: f64 = 0.1;

/// Saturation of a bounded activation on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Saturation {
    /// Share of (sample, unit) pairs with φ′(z) < τ·sup φ′.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub rate: f64,
    /// Share of units saturated on the same side for every sample.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub stuck: f64,
}

/// Dead units of a ReLU-family activation on a batch.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dead {
    /// Number of dead units.
    pub dead_units: usize,
    /// Dead units as a share of all units.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub dead_fraction: f64,
    /// Share of (sample, unit) pairs with φ(z) = 0 exactly.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub inactive_rate: f64,
}

impl Dead {
    /// From the counts over a `samples × units` matrix: `dead` units, `inactive` (sample, unit) pairs; all zero
    /// for an empty matrix.
    pub fn from_counts(dead: usize, inactive: usize, samples: usize, units: usize) -> Dead {
        if samples == 0 || units == 0 {
            return Dead { dead_units: 0, dead_fraction: 0.0, inactive_rate: 0.0 };
        }
        Dead {
            dead_units: dead,
            dead_fraction: dead as f64 / units as f64,
            inactive_rate: inactive as f64 / (samples * units) as f64,
        }
    }
}

/// The level τ·max φ′.
///
/// # Panics
/// Unless τ ∈ (0, 1] (the documented range; τ = NaN had counted every unit dead and none saturated).
fn threshold(act: Activation, tau: f64) -> f64 {
    check_tau(tau);
    tau * act.max_derivative()
}

/// Panics unless τ ∈ (0, 1] (the metrics' documented range), naming it.
pub(crate) fn check_tau(tau: f64) {
    assert!(tau > 0.0 && tau <= 1.0, "τ = {tau}; expected a threshold in (0, 1]");
}

/// Decides `φ′(z) < level` for many z without evaluating φ′ at each (an exp or erfc per value), and with
/// exactly the answer of evaluating it.
///
/// For sigmoid, tanh and softsign φ′ is even and strictly decreasing in |z|, so `φ′(z) < level ⇔ |z| > c`
/// with c the crossing. For ELU, GELU and SiLU, when `0 < level ≤ 1` (below φ′'s limit at +∞), the set is
/// `z < c`: φ′ is below `level` left of its rising stretch (ELU: α·eᶻ → 0; GELU, SiLU: negative, → 0⁻),
/// rises through `level` once, and stays at or above it to the right. c is found by bisection in f64;
/// values within a relative 1e-9 of c — far wider than φ′'s rounding error there — are decided by
/// evaluating φ′, as is every other activation and level.
struct BelowLevel {
    act: Activation,
    level: f64,
    rule: Rule,
}

enum Rule {
    AbsAbove { c: f64, guard: f64 },
    Below { c: f64, guard: f64 },
    Evaluate,
}

impl BelowLevel {
    fn new(act: Activation, level: f64) -> Self {
        let d = |z: f64| act.derivative(z);
        let guard = |c: f64| 1e-9 * (1.0 + c.abs());
        let rule = match act {
            Activation::Sigmoid | Activation::Tanh | Activation::Softsign if level > 0.0 && d(0.0) >= level => {
                // φ′(0) ≥ level > 0 = lim φ′: a crossing exists in [0, ∞).
                let mut hi = 1.0;
                while d(hi) >= level && hi < 1e300 {
                    hi *= 2.0;
                }
                match bisect(d, 0.0, hi, level) {
                    Some(c) => Rule::AbsAbove { c, guard: guard(c) },
                    None => Rule::Evaluate,
                }
            }
            Activation::Elu(_) | Activation::Gelu | Activation::Silu
                if level > 0.0 && level <= 1.0 && elu_alpha_positive(act) =>
            {
                let (lo, hi) = match act {
                    Activation::Gelu => (-std::f64::consts::SQRT_2, std::f64::consts::SQRT_2),
                    Activation::Silu => (-2.399_3, 2.399_3),
                    _ => (-1e4, 1.0),
                };
                if d(lo) < level && d(hi) >= level {
                    match bisect(d, lo, hi, level) {
                        Some(c) => Rule::Below { c, guard: guard(c) },
                        None => Rule::Evaluate,
                    }
                } else {
                    Rule::Evaluate
                }
            }
            _ => Rule::Evaluate,
        };
        BelowLevel { act, level, rule }
    }

    /// The answer of the rule, or `None` where φ′ must be evaluated (near the crossing, ±∞ or NaN, no rule).
    #[inline]
    fn decide(&self, z: f64) -> Option<bool> {
        match self.rule {
            Rule::AbsAbove { c, guard } => {
                let t = z.abs() - c;
                (t.abs() > guard && z.is_finite()).then_some(t > 0.0)
            }
            Rule::Below { c, guard } => {
                let t = z - c;
                (t.abs() > guard && z.is_finite()).then_some(t < 0.0)
            }
            Rule::Evaluate => None,
        }
    }

    /// `φ′(z) < level`; false for a NaN z.
    #[inline]
    fn below(&self, z: f64) -> bool {
        self.decide(z).unwrap_or_else(|| !z.is_nan() && self.act.derivative(z) < self.level)
    }

    /// `φ′(z) ≥ level`; false for a NaN z (so not the negation of [`BelowLevel::below`] there).
    #[inline]
    fn at_or_above(&self, z: f64) -> bool {
        self.decide(z).map_or_else(|| !z.is_nan() && self.act.derivative(z) >= self.level, |b| !b)
    }
}

/// False only for ELU with α ≤ 0 (φ′ is then 0 on the whole negative half-line: no crossing to find).
fn elu_alpha_positive(act: Activation) -> bool {
    !matches!(act, Activation::Elu(a) if a <= 0.0)
}

/// The crossing of a monotone `f` through `level` on `[lo, hi]` (f(lo) and f(hi) on opposite sides),
/// to the last representable bisection step.
fn bisect(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, level: f64) -> Option<f64> {
    let rising = f(hi) >= f(lo);
    for _ in 0..2100 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            return Some(mid);
        }
        if (f(mid) >= level) == rising {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    None
}

/// Saturation rate and stuck-unit share of `z` under `act` with threshold `tau` (see the module docs).
/// An empty matrix gives zeros.
///
/// # Panics
/// Unless `tau` ∈ (0, 1].
pub fn saturation<F: Float>(z: ArrayView2<'_, F>, act: Activation, tau: f64) -> Saturation {
    if z.is_empty() {
        return Saturation { rate: 0.0, stuck: 0.0 };
    }
    let below = BelowLevel::new(act, threshold(act, tau));
    saturation_where(z, |_, _, v| below.below(v))
}

/// [`saturation`]'s counting, with the saturated entries of `z` (samples × units) those where
/// `saturated(sample, unit, z)` holds: the rate is their share, and a unit is stuck when every sample of it
/// is saturated on the same side of z = 0. For slopes that come from elsewhere than an [`Activation`], such
/// as a captured layer's φ′. An empty matrix gives zeros.
///
/// ```
/// use actscope_metrics::units::saturation_where;
/// use ndarray::array;
///
/// // Two samples of two units; |z| > 3 counts as saturated.
/// let z = array![[-4.0f32, 5.0], [-6.0, -0.5]];
/// let s = saturation_where(z.view(), |_, _, v| v.abs() > 3.0);
/// assert_eq!(s.rate, 0.75); // three of the four entries
/// assert_eq!(s.stuck, 0.5); // unit 0 is saturated on the negative side for both samples; unit 1 is not
/// ```
pub fn saturation_where<F: Float>(
    z: ArrayView2<'_, F>,
    mut saturated: impl FnMut(usize, usize, f64) -> bool,
) -> Saturation {
    let (samples, units) = z.dim();
    if samples == 0 || units == 0 {
        return Saturation { rate: 0.0, stuck: 0.0 };
    }
    let (mut total, mut stuck) = (0usize, 0usize);
    for (u, col) in z.columns().into_iter().enumerate() {
        let (mut lo, mut hi) = (0usize, 0usize);
        for (s, &v) in col.iter().enumerate() {
            let v = v.f64();
            if saturated(s, u, v) {
                if v < 0.0 {
                    lo += 1;
                } else {
                    hi += 1;
                }
            }
        }
        total += lo + hi;
        stuck += usize::from(lo == samples || hi == samples);
    }
    Saturation { rate: total as f64 / (samples * units) as f64, stuck: stuck as f64 / units as f64 }
}

/// Dead units and inactive rate of `z` under `act` with threshold `tau` (see the module docs).
/// An empty matrix gives zeros.
///
/// # Panics
/// Unless `tau` ∈ (0, 1].
pub fn dead_units<F: Float>(z: ArrayView2<'_, F>, act: Activation, tau: f64) -> Dead {
    let (samples, units) = z.dim();
    let below = BelowLevel::new(act, threshold(act, tau));
    let mut dead = 0usize;
    let mut inactive = 0usize;
    for col in z.columns() {
        let mut alive = false;
        for &v in col {
            let v = v.f64();
            alive |= below.at_or_above(v);
            inactive += usize::from(is_zero_output(act, v));
        }
        dead += usize::from(!alive);
    }
    Dead::from_counts(dead, inactive, samples, units)
}

/// Share of entries of `z` in φ's near-linear region, where φ′(z) ≥ 0.9 · sup φ′
/// (sigmoid: |z| ≲ 0.65; tanh: |z| ≲ 0.33; ReLU: z > 0).
pub fn near_linear_share<F: Float>(z: ArrayView2<'_, F>, act: Activation) -> f64 {
    if z.is_empty() {
        return 0.0;
    }
    let above = BelowLevel::new(act, 0.9 * act.max_derivative());
    z.iter().filter(|&&v| above.at_or_above(v.f64())).count() as f64 / z.len() as f64
}

/// `φ(z) == 0` exactly, skipping the evaluation where it cannot be 0: ELU (α ≠ 0), GELU and SiLU vanish
/// only at z = 0 and where z·Φ(z), z·σ(z) or α(eᶻ − 1) underflow, far below z = −30.
#[inline]
fn is_zero_output(act: Activation, z: f64) -> bool {
    let cannot_vanish = z > -30.0 && z != 0.0;
    match act {
        Activation::Gelu | Activation::Silu if cannot_vanish => false,
        Activation::Elu(a) if a != 0.0 && cannot_vanish => false,
        _ => act.value(z) == 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTS: [Activation; 14] = [
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softsign,
        Activation::Relu,
        Activation::LeakyRelu(0.01),
        Activation::LeakyRelu(0.5),
        Activation::Elu(1.0),
        Activation::Elu(0.5),
        Activation::Elu(2.0),
        Activation::Elu(0.0),
        Activation::Gelu,
        Activation::Silu,
        Activation::Softplus,
        Activation::Identity,
    ];

    /// The shortcut gives exactly the answer of evaluating φ′: on a dense grid, in the tails, and at every
    /// f64 within 64 steps of each crossing it found.
    #[test]
    fn shortcut_equals_evaluating_the_derivative() {
        let mut grid: Vec<f64> = (-40_000..=40_000).map(|i| i as f64 * 1e-3).collect();
        grid.extend([-1e300, -1e4, -745.0, -40.0, 0.0, -0.0, 1e-300, -1e-300, 40.0, 1e4, 1e300, f64::NAN]);
        grid.extend([f64::INFINITY, f64::NEG_INFINITY]);
        for act in ACTS {
            let sup = act.max_derivative();
            for level in [1e-6, 0.01, 0.1, 0.5, 0.9, 1.0].map(|t| t * sup).into_iter().chain([0.0, -0.05, 1.0, 2.0]) {
                let b = BelowLevel::new(act, level);
                let mut zs = grid.clone();
                if let Rule::AbsAbove { c, .. } | Rule::Below { c, .. } = b.rule {
                    for base in [c, -c] {
                        let mut up = base;
                        let mut down = base;
                        for _ in 0..64 {
                            up = up.next_up();
                            down = down.next_down();
                            zs.extend([up, down]);
                        }
                    }
                }
                for &z in &zs {
                    let d = act.derivative(z);
                    let number = !z.is_nan();
                    assert_eq!(b.below(z), number && d < level, "{act}, level {level}, z = {z:e}: φ′ = {d:e}");
                    assert_eq!(b.at_or_above(z), number && d >= level, "{act}, level {level}, z = {z:e}");
                }
            }
        }
    }

    #[test]
    fn shortcut_is_taken_where_it_is_valid() {
        for (act, tau) in [(Activation::Sigmoid, 0.1), (Activation::Tanh, 0.1), (Activation::Gelu, 0.1)] {
            let b = BelowLevel::new(act, threshold(act, tau));
            assert!(!matches!(b.rule, Rule::Evaluate), "{act}");
        }
        // Sigmoid at τ = 0.1: σ′ = 0.025 at |z| = ln(s/(1 − s)), s = (1 − √0.9)/2, i.e. 3.6369 (design: 3.64).
        match BelowLevel::new(Activation::Sigmoid, 0.025).rule {
            Rule::AbsAbove { c, .. } => assert!((c - 3.6369).abs() < 1e-4, "{c}"),
            _ => panic!("sigmoid takes the |z| rule"),
        }
    }

    /// A NaN z counts the same under every activation: never saturated, never alive; a unit NaN on every
    /// sample is dead. Under ReLU such a unit used to count as alive (φ′(NaN) = 1 there) and under leaky
    /// ReLU (0.01) as saturated.
    #[test]
    fn a_nan_pre_activation_is_neither_saturated_nor_alive() {
        // Unit 0 is NaN on both samples, unit 1 on one of them; unit 2 is finite.
        let z = ndarray::array![[f64::NAN, f64::NAN, 1.0], [f64::NAN, 0.5, 1.0]];
        for act in ACTS {
            let level = threshold(act, DEFAULT_TAU);
            let below = |v: f64| act.derivative(v) < level;
            let s = saturation(z.view(), act, DEFAULT_TAU);
            let saturated = [0.5, 1.0, 1.0].into_iter().filter(|&v| below(v)).count();
            assert_eq!(s.rate, saturated as f64 / 6.0, "{act}: only the finite entries can be saturated");
            assert_eq!(s.stuck, f64::from(u8::from(below(1.0))) / 3.0, "{act}: only unit 2 can be stuck");
            let d = dead_units(z.view(), act, DEFAULT_TAU);
            assert_eq!(d.dead_units, 1 + usize::from(below(0.5)) + usize::from(below(1.0)), "{act}");
        }
    }

    #[test]
    fn zero_output_shortcut_is_exact() {
        let zs: Vec<f64> = (-100_000..=100_000)
            .map(|i| i as f64 * 1e-2)
            .chain([0.0, -0.0, -1e4, 1e-320, f64::INFINITY, f64::NEG_INFINITY, f64::NAN])
            .collect();
        for act in ACTS {
            for &z in &zs {
                assert_eq!(is_zero_output(act, z), act.value(z) == 0.0, "{act} at {z:e}");
            }
        }
    }
}
