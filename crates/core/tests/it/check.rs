//! Shared helpers: the library's gradient check as a `Result`, seeded random arrays and the proptest config.

use actscope_core::gradcheck::compare;
pub use actscope_core::gradcheck::numeric_grad;
use actscope_core::rng::{seeded, standard_normal};
use ndarray::{Array1, Array2};
use proptest::test_runner::{Config, RngSeed};

/// Deterministic proptest settings: a fixed seed and no regression files.
pub fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x5eed_ac75), failure_persistence: None, ..Config::default() }
}

/// Compares an analytic gradient with a finite-difference one by the library's own criterion
/// ([`actscope_core::gradcheck::compare`]: relative error below 1e-6, or an absolute error below the
/// differences' noise floor), as a proptest-friendly `Result`.
pub fn grad_check(analytic: &[f64], numeric: &[f64], loss: f64) -> Result<(), String> {
    let c = compare(analytic, numeric, loss).map_err(|e| e.to_string())?;
    if c.pass { Ok(()) } else { Err(c.to_string()) }
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
