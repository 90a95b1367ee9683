//! Shared helpers: finite differences, relative errors, seeded random arrays and the proptest config.

use actscope_core::rng::{seeded, standard_normal};
use ndarray::{Array1, Array2};
use proptest::test_runner::{Config, RngSeed};

/// Central-difference step for f64 checks.
pub const H: f64 = 1e-6;
/// Largest allowed relative error between analytic and finite-difference gradients.
pub const TOL: f64 = 1e-6;

/// Deterministic proptest settings: a fixed seed and no regression files.
pub fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x5eed_ac75), failure_persistence: None, ..Config::default() }
}

/// Compares an analytic gradient with a finite-difference one.
///
/// Passes when the norm-wise relative error ‖a − n‖ / max(‖a‖, ‖n‖) is below [`TOL`], or when the
/// absolute error is below the finite-difference noise floor 1e-8·(1 + |L|)·√len. The floor only matters
/// for gradients that are zero up to rounding (BN's invariance to the scale of its input, a batch of two
/// under BN, a saturated softmax), where any relative measure divides noise by noise.
pub fn grad_check(analytic: &[f64], numeric: &[f64], loss: f64) -> Result<(), String> {
    assert_eq!(analytic.len(), numeric.len());
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff: Vec<f64> = analytic.iter().zip(numeric).map(|(a, b)| a - b).collect();
    let (err, scale) = (norm(&diff), norm(analytic).max(norm(numeric)));
    let floor = 1e-8 * (1.0 + loss.abs()) * (analytic.len() as f64).sqrt();
    if err <= TOL * scale || err <= floor {
        Ok(())
    } else {
        Err(format!(
            "relative error {:.3e} (‖a−n‖ = {err:.3e}, ‖a‖ = {:.3e}, ‖n‖ = {:.3e}, floor {floor:.1e})",
            err / scale,
            norm(analytic),
            norm(numeric)
        ))
    }
}

/// The central-difference gradient of `f` with respect to every entry of `x`.
pub fn numeric_grad(x: &mut [f64], mut f: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let orig = x[i];
            x[i] = orig + H;
            let up = f(x);
            x[i] = orig - H;
            let down = f(x);
            x[i] = orig;
            (up - down) / (2.0 * H)
        })
        .collect()
}

/// A `(rows, cols)` array of N(0, scale²) values from `seed`.
pub fn randn(rows: usize, cols: usize, scale: f64, seed: u64) -> Array2<f64> {
    let mut rng = seeded(seed);
    Array2::from_shape_simple_fn((rows, cols), || scale * standard_normal(&mut rng))
}

/// A vector of N(mean, scale²) values from `seed`.
pub fn randn1(n: usize, mean: f64, scale: f64, seed: u64) -> Array1<f64> {
    let mut rng = seeded(seed);
    Array1::from_shape_simple_fn(n, || mean + scale * standard_normal(&mut rng))
}

/// Asserts `got` equals `want` within `tol` (absolute, plus relative to |want|), naming the quantity.
pub fn assert_close(what: &str, got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g as f64 - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w} (tol {tol})");
    }
}
