//! `fused::summary_and_histogram` gives exactly `Summary::of` and `Histogram::of_matrix`: on matrices large
//! enough to take the bucketed path, with ties, zeros of both signs, infinities, subnormals, values piled
//! into one bucket (ReLU's zeros, a sigmoid's near-1 outputs) and a NaN (which takes the general path).

use actscope_core::rng::{seeded, standard_normal};
use actscope_metrics::distribution::{Bins, Histogram, Summary};
use actscope_metrics::fused::summary_and_histogram;
use ndarray::Array2;
use rand::RngExt;

/// 200 × 100 values drawn by `kind` (20,000: above the bucketed path's threshold).
fn matrix(kind: usize, seed: u64) -> Array2<f32> {
    let mut rng = seeded(seed);
    Array2::from_shape_fn((200, 100), |_| {
        let g = standard_normal(&mut rng) as f32;
        match kind {
            0 => g * 3.0,
            1 => g.max(0.0),                     // ReLU: half exact zeros
            2 => 1.0 / (1.0 + (-4.0 * g).exp()), // sigmoid, piled near 0 and 1
            3 => (g * 4.0).round() / 4.0,        // heavy ties
            4 => [0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, 1e-40, -1e-40, g][rng.random_range(0..7)],
            5 => 1e30 * g, // beyond the histogram on both sides
            _ => 0.5,      // constant
        }
    })
}

#[test]
fn fused_equals_the_separate_functions_to_the_bit() {
    for kind in 0..7 {
        for seed in 0..3 {
            let x = matrix(kind, seed);
            for bins in [Bins::Z, Bins { lo: 0.0, hi: 1.0, bins: 50 }] {
                let (s, h) = summary_and_histogram(x.view(), bins);
                let (s0, h0) = (Summary::of(x.view()), Histogram::of_matrix(x.view(), bins));
                // Compare bits (NaN == NaN, -0 != +0).
                let bits = |s: &Summary| {
                    let mut v = vec![s.mean.to_bits(), s.std.to_bits()];
                    v.extend(s.percentiles.iter().map(|p| p.to_bits()));
                    v
                };
                assert_eq!(bits(&s), bits(&s0), "summary, kind {kind} seed {seed}");
                assert_eq!(h, h0, "histogram, kind {kind} seed {seed}");
            }
        }
    }
}

#[test]
fn a_nan_takes_the_general_path_with_the_same_result() {
    let mut x = matrix(0, 9);
    x[[17, 3]] = f32::NAN;
    let (s, h) = summary_and_histogram(x.view(), Bins::Z);
    assert_eq!(s, Summary::of(x.view()));
    assert_eq!((h.nan, h), (1, Histogram::of_matrix(x.view(), Bins::Z)));
}

#[test]
fn f64_and_small_or_strided_matrices_take_the_general_path() {
    let x = matrix(0, 4);
    let wide = x.mapv(f64::from);
    assert_eq!(
        summary_and_histogram(wide.view(), Bins::Z),
        (Summary::of(wide.view()), Histogram::of_matrix(wide.view(), Bins::Z))
    );
    let t = x.t();
    assert_eq!(summary_and_histogram(t, Bins::Z), (Summary::of(t), Histogram::of_matrix(t, Bins::Z)));
}
