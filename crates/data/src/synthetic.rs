//! Seeded synthetic datasets for theory checks and tests.
//!
//! ```text
//! gaussian(n, d)                x ~ N(0, I_d), label 0 (one class): inputs for init-time theory
//! two_spirals(n, noise)         2-D, two interleaved spirals, Gaussian jitter σ = noise
//! teacher(n, d, classes)        x ~ N(0, I_d), y = argmax_j (x·W_j) for a random linear teacher W ~ N(0, 1)
//! clusters(n, d, classes, s)     y uniform, x = μ_y + N(0, I_d) with class centres μ_j ~ N(0, s²·I_d)
//! ```
//!
//! In `clusters`, two centres lie about s·√(2d) apart, against unit noise along the line joining them,
//! so s·√(2d) ≫ 2 makes the classes separable (s = 0.2, d = 784: distance ≈ 7.9).
//!
//! The teacher's classes are linearly separable, so a student network can reach near-perfect accuracy.

use ndarray::Array2;

use actscope_core::Dataset;
use actscope_core::rng::{derive_seed, seeded, standard_normal, uniform};

/// `n` examples of N(0, I_d) inputs, all with label 0 of a single class.
pub fn gaussian(n: usize, d: usize, seed: u64) -> Dataset {
    let mut rng = seeded(derive_seed(seed, "gaussian"));
    let x = Array2::from_shape_simple_fn((n, d), || standard_normal(&mut rng) as f32);
    Dataset {
        name: "synthetic:gaussian".into(),
        provenance: format!("gaussian(n={n}, d={d}, seed={seed})"),
        shape: vec![x.ncols()],
        features: x,
        labels: vec![0; n],
        classes: 1,
    }
}

/// Two interleaved spirals in the plane (`n` examples, alternating classes), with Gaussian jitter.
///
/// # Panics
/// If `noise` is not a finite number ≥ 0 (NaN noise would make every feature NaN).
pub fn two_spirals(n: usize, noise: f64, seed: u64) -> Dataset {
    assert!(
        noise.is_finite() && noise >= 0.0,
        "synthetic::two_spirals with noise {noise}; expected a finite number ≥ 0 (the jitter's σ)"
    );
    let mut rng = seeded(derive_seed(seed, "spirals"));
    let mut x = Array2::zeros((n, 2));
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let class = i % 2;
        let t = uniform(&mut rng, 0.25, 1.0).sqrt() * 3.0 * std::f64::consts::PI;
        let sign = if class == 0 { 1.0 } else { -1.0 };
        x[[i, 0]] = (sign * t * t.cos() / 3.0 + noise * standard_normal(&mut rng)) as f32;
        x[[i, 1]] = (sign * t * t.sin() / 3.0 + noise * standard_normal(&mut rng)) as f32;
        labels.push(class);
    }
    Dataset {
        name: "synthetic:spirals".into(),
        provenance: format!("two_spirals(n={n}, noise={noise}, seed={seed})"),
        shape: vec![x.ncols()],
        features: x,
        labels,
        classes: 2,
    }
}

/// `n` examples x ~ N(0, I_d) labelled by a random linear teacher: y = argmax_j x·W_j.
/// The same `seed` gives the same teacher whatever `n`, so train and test sets can be drawn with
/// different `sample_seed`s.
///
/// # Panics
/// If `classes` is 0 (labels 0..0 would hold none; `Dataset::new` refuses such a set too).
pub fn teacher(n: usize, d: usize, classes: usize, seed: u64, sample_seed: u64) -> Dataset {
    assert!(classes >= 1, "synthetic::teacher with 0 classes; expected at least 1");
    let mut trng = seeded(derive_seed(seed, "teacher"));
    let w = Array2::from_shape_simple_fn((d, classes), || standard_normal(&mut trng));
    let mut rng = seeded(derive_seed(sample_seed, "teacher-samples"));
    let x = Array2::from_shape_simple_fn((n, d), || standard_normal(&mut rng) as f32);
    let labels = x
        .rows()
        .into_iter()
        .map(|row| {
            let mut best = (0, f64::NEG_INFINITY);
            for j in 0..classes {
                let s: f64 = row.iter().zip(w.column(j)).map(|(&a, &b)| a as f64 * b).sum();
                if s > best.1 {
                    best = (j, s);
                }
            }
            best.0
        })
        .collect();
    Dataset {
        name: "synthetic:teacher".into(),
        provenance: format!("teacher(n={n}, d={d}, classes={classes}, seed={seed}, sample_seed={sample_seed})"),
        shape: vec![x.ncols()],
        features: x,
        labels,
        classes,
    }
}

/// `n` examples from `classes` Gaussian clusters in `d` dimensions; the centres (drawn from `seed`) have
/// spread `spread`, the noise is N(0, I). The same `seed` gives the same centres whatever `n`.
///
/// # Panics
/// If `classes` is 0 (labels 0..0 would hold none; `Dataset::new` refuses such a set too), or `spread` is
/// not a finite number ≥ 0 (a NaN spread would make every feature NaN).
pub fn clusters(n: usize, d: usize, classes: usize, spread: f64, seed: u64, sample_seed: u64) -> Dataset {
    assert!(classes >= 1, "synthetic::clusters with 0 classes; expected at least 1");
    assert!(
        spread.is_finite() && spread >= 0.0,
        "synthetic::clusters with spread {spread}; expected a finite number ≥ 0 (the centres' standard deviation)"
    );
    let mut crng = seeded(derive_seed(seed, "clusters"));
    let centres = Array2::from_shape_simple_fn((classes.max(1), d), || spread * standard_normal(&mut crng));
    let mut rng = seeded(derive_seed(sample_seed, "cluster-samples"));
    let mut x = Array2::zeros((n, d));
    let mut labels = Vec::with_capacity(n);
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        let y = i % classes.max(1);
        for (v, &c) in row.iter_mut().zip(centres.row(y)) {
            *v = (c + standard_normal(&mut rng)) as f32;
        }
        labels.push(y);
    }
    Dataset {
        name: "synthetic:clusters".into(),
        provenance: format!(
            "clusters(n={n}, d={d}, classes={classes}, spread={spread}, seed={seed}, sample_seed={sample_seed})"
        ),
        shape: vec![x.ncols()],
        features: x,
        labels,
        classes,
    }
}
