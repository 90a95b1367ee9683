//! Hand-built inputs with known answers, one per metric.

use actscope_core::Activation;
use actscope_metrics::distribution::{Bins, Histogram, Summary, percentiles, unit_percentiles};
use actscope_metrics::gradient::{growth_factor, l2_norm, mean_square, update_ratio, vanishing_index};
use actscope_metrics::rank::{effective_rank, singular_values};
use actscope_metrics::units::{dead_units, near_linear_share, saturation};
use ndarray::{Array2, array};

#[test]
fn exactly_three_of_eight_relu_units_dead() {
    // Units 1, 4 and 6 are ≤ 0 on all four samples (0 counts as dead: ReLU′(0) = 0).
    let mut z = Array2::<f64>::from_elem((4, 8), 1.0);
    for u in [1, 4, 6] {
        z.column_mut(u).assign(&array![-1.0, 0.0, -2.0, -0.1]);
    }
    z[[2, 0]] = -5.0; // alive elsewhere
    let d = dead_units(z.view(), Activation::Relu, 0.1);
    assert_eq!(d.dead_units, 3);
    assert_eq!(d.dead_fraction, 3.0 / 8.0);
    assert_eq!(d.inactive_rate, 13.0 / 32.0, "12 entries of dead units + 1 more");
}

#[test]
fn leaky_and_gelu_units_die_below_the_threshold() {
    // Leaky ReLU(0.01): φ′ = 0.01 < 0.1·1 on the negative side, so an always-negative unit is dead.
    let z = array![[-1.0f64, 1.0], [-2.0, -1.0]];
    assert_eq!(dead_units(z.view(), Activation::LeakyRelu(0.01), 0.1).dead_units, 1);
    assert_eq!(dead_units(z.view(), Activation::LeakyRelu(0.01), 0.1).inactive_rate, 0.0, "leaky never outputs 0");
    // GELU′(−3) ≈ −0.0119 < 0.113 while GELU′(−0.5) ≈ 0.13 > 0.113.
    let g = array![[-3.0f64, -0.5], [-4.0, -3.0]];
    assert_eq!(dead_units(g.view(), Activation::Gelu, 0.1).dead_units, 1);
}

#[test]
fn sigmoid_saturation_threshold_is_3_64() {
    // σ′(z) < 0.025 ⇔ |z| > 3.6357.
    let z = array![[3.63f64, 3.64, -3.63, -3.64], [3.63, 3.65, 0.0, -10.0]];
    let s = saturation(z.view(), Activation::Sigmoid, 0.1);
    assert_eq!(s.rate, 4.0 / 8.0, "3.64, −3.64, 3.65, −10 are saturated");
    assert_eq!(s.stuck, 2.0 / 4.0, "unit 1 (3.64, 3.65) is stuck high, unit 3 (−3.64, −10) stuck low");
}

#[test]
fn stuck_units_need_one_side() {
    let z = array![[5.0f64, 5.0, 0.0], [6.0, -5.0, 9.0]];
    let s = saturation(z.view(), Activation::Tanh, 0.1);
    assert_eq!(s.stuck, 1.0 / 3.0, "unit 0 stuck high; unit 1 saturates on both sides; unit 2 not always");
    assert_eq!(s.rate, 5.0 / 6.0, "every entry but the 0 lies beyond |z| = 1.82");
}

#[test]
fn near_linear_region() {
    // sigmoid′ ≥ 0.9·0.25 ⇔ |z| ≤ 0.6585.
    let z = array![[0.0f64, 0.65, 0.67, -3.0]];
    assert_eq!(near_linear_share(z.view(), Activation::Sigmoid), 0.5);
    assert_eq!(near_linear_share(z.view(), Activation::Relu), 0.5, "ReLU is linear where z > 0");
}

#[test]
fn percentiles_match_numpy() {
    // numpy.percentile([3,1,4,1,5,9,2,6], [2.5,15,50,85,97.5]) = [1.0, 1.05, 3.5, 5.95, 8.475]
    let p = percentiles([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0], &[2.5, 15.0, 50.0, 85.0, 97.5]);
    for (got, want) in p.iter().zip([1.0, 1.05, 3.5, 5.95, 8.475]) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
    assert!(percentiles([f64::NAN], &[50.0])[0].is_nan());
    // An infinite value: a percentile that lands on a finite one is that value, and one between it and the
    // infinite one is the infinite one (the median of [1, ∞, 2] had read NaN, where NumPy gives 2).
    let inf = f64::INFINITY;
    assert_eq!(percentiles([1.0, inf, 2.0], &[0.0, 50.0, 75.0, 100.0]), vec![1.0, 2.0, inf, inf]);
    assert_eq!(percentiles([-inf, 1.0, 2.0, 3.0], &[0.0, 25.0, 50.0]), vec![-inf, -inf, 1.5]);
    assert!(percentiles([-inf, inf], &[50.0])[0].is_nan(), "between −∞ and +∞");
    assert_eq!(percentiles([inf, inf], &[50.0]), vec![inf]);
    let s = Summary::of(array![[1.0f32, 3.0], [5.0, 7.0]].view());
    assert_eq!((s.mean, s.std), (4.0, 5f64.sqrt()));
    // No value to summarise: every field NaN (the std had been 0.0 beside a NaN mean).
    for x in [Array2::<f32>::zeros((0, 3)), Array2::from_elem((2, 2), f32::NAN)] {
        let s = Summary::of(x.view());
        assert!(s.mean.is_nan() && s.std.is_nan() && s.percentiles.iter().all(|p| p.is_nan()), "{s:?}");
    }
    assert_eq!(unit_percentiles(array![0.0f64, 10.0, 20.0].view()), [3.0, 10.0, 17.0]);
}

#[test]
fn histograms_have_fixed_edges_and_overflow_bins() {
    let h = Histogram::of([-9.0, -8.0, -0.1, 0.0, 0.24, 7.99, 8.0, 8.5, f64::NAN], Bins::Z);
    assert_eq!((h.underflow, h.overflow, h.nan, h.total()), (1, 1, 1, 9));
    assert_eq!(h.counts[0], 1, "−8 is the first bin's left edge");
    assert_eq!(h.counts[31], 1, "−0.1 lies in [−0.25, 0)");
    assert_eq!(h.counts[32], 2, "0 and 0.24 lie in [0, 0.25)");
    assert_eq!(h.counts[63], 2, "7.99 and the upper edge 8 are in the last bin");
    let s = Histogram::of([0.5, 0.6, 0.72, 0.74, 0.9, 1.0], Bins::for_output(Activation::Sigmoid));
    assert_eq!(s.counts[49], 1, "sigmoid output 1 counts inside [0, 1]");
    assert!((s.share_between(0.5, 0.74) - 3.0 / 6.0).abs() < 1e-12, "0.5, 0.6, 0.72 in [0.5, 0.74)");
}

#[test]
fn histogram_bins_follow_the_published_edges_exactly() {
    // Every edge and the floats on either side of it, for bins whose width is not a binary fraction
    // (sigmoid: 0.02) as well as for exact ones: a value lands in the bin whose edges, as `Bins::edges`
    // gives them, hold it.
    for bins in [Bins::Z, Bins::for_output(Activation::Sigmoid), Bins::for_output(Activation::Tanh)] {
        let edges = bins.edges();
        for (i, &e) in edges.iter().enumerate() {
            for v in [e.next_down(), e, e.next_up()] {
                let h = Histogram::of([v], bins);
                let want = edges.windows(2).position(|w| w[0] <= v && v < w[1]);
                match want {
                    Some(b) => assert_eq!(h.counts[b], 1, "{v} (edge {i}) belongs to bin {b}"),
                    None if v == bins.hi => assert_eq!(h.counts[bins.bins - 1], 1, "hi is in the last bin"),
                    None => assert_eq!(h.underflow + h.overflow, 1, "{v} is outside"),
                }
            }
        }
    }
}

#[test]
fn gradient_flow_metrics() {
    assert_eq!(l2_norm(array![3.0f64, 4.0].view()), 5.0);
    assert_eq!(mean_square(array![[1.0f32, -3.0]].view()), 5.0);
    assert_eq!(update_ratio(array![3.0f64, 4.0].view(), array![3.0, 4.5].view()), 0.1);
    assert!((vanishing_index(0.01, 1.0) + 2.0).abs() < 1e-12);
    // ms(∂L/∂z_l) = 5 · 1.5^(L − l): grows by λ = 1.5 per layer from output to input.
    let ms: Vec<f64> = (0..6).map(|l| 5.0 * 1.5f64.powi(5 - l)).collect();
    assert!((growth_factor(&ms).unwrap() - 1.5).abs() < 1e-12);
    assert_eq!(growth_factor(&[1.0]), None);
}

#[test]
fn effective_rank_of_known_matrices() {
    // Orthogonal, equal-norm centred columns: all singular values equal ⇒ erank = number of columns.
    let a = array![[1.0f64, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]];
    assert!((effective_rank(a.view()) - 3.0).abs() < 1e-9);
    // Rank one: every column a multiple of the first.
    let b = array![[1.0f64, 2.0, -3.0], [2.0, 4.0, -6.0], [0.0, 0.0, 0.0]];
    assert!((effective_rank(b.view()) - 1.0).abs() < 1e-6);
    // A constant matrix has rank 1 by convention; a diverged one (NaN or ∞) has none.
    assert_eq!(effective_rank(array![[2.0f32, 2.0], [2.0, 2.0]].view()), 1.0);
    assert!(effective_rank(array![[1.0f32, f32::NAN], [2.0, 3.0]].view()).is_nan());
    assert!(effective_rank(array![[1.0f32, f32::INFINITY], [2.0, 3.0]].view()).is_nan());
    // Without rows or columns there is no rank of 1 or more: NaN (it had been 0.0, below the documented 1).
    for shape in [(0, 0), (0, 5), (5, 0)] {
        assert!(effective_rank(Array2::<f32>::zeros(shape).view()).is_nan(), "{shape:?}");
    }
    // Singular values of diag(3, 2, 1) padded.
    let s = singular_values(array![[3.0f64, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]].view());
    for (g, w) in s.iter().zip([3.0, 2.0, 1.0]) {
        assert!((g - w).abs() < 1e-12);
    }
    // Far from 1 in scale: the Gram matrix of [[c, c], [c, −c]] overflows or underflows (it had given 0, 0 for
    // c = 1e300 and 1e-170 and ∞, ∞ for 1e160); its singular values are √2·c, twice.
    for c in [1e300, 1e160, 1e-170, 3e-300, 1.0, 0.75] {
        let far = singular_values(array![[c, c], [c, -c]].view());
        let want = std::f64::consts::SQRT_2 * c;
        assert!(far.iter().all(|v| (v - want).abs() <= 1e-14 * want), "c = {c}: {far:?}");
    }
    let far = singular_values(array![[2e160f64, 0.0], [0.0, 1e160]].view());
    assert!((far[0] - 2e160).abs() <= 1e-14 * 2e160 && (far[1] - 1e160).abs() <= 1e-14 * 1e160, "{far:?}");
    // A NaN or an infinity has no singular values: NaN, one per value of the smaller side (they had been
    // zeros, which read as a matrix of rank 0).
    for bad in [f64::NAN, f64::INFINITY] {
        let s = singular_values(array![[bad, 1.0], [2.0, 3.0], [4.0, 5.0]].view());
        assert!(s.len() == 2 && s.iter().all(|v| v.is_nan()), "{s:?}");
    }
    // p = (3, 2, 1)/6: erank = exp(−Σ p ln p) for a non-centred check through singular values.
    let p = [0.5f64, 1.0 / 3.0, 1.0 / 6.0];
    let want = (-p.iter().map(|x| x * x.ln()).sum::<f64>()).exp();
    let total: f64 = s.iter().sum();
    let got = (-s.iter().map(|x| x / total).map(|q| q * q.ln()).sum::<f64>()).exp();
    assert!((got - want).abs() < 1e-12);
}

#[test]
fn effective_rank_of_a_wide_known_spectrum() {
    // Columns σ_j·cos(2π(j+1)t/N), t = 0..N: zero-mean and mutually orthogonal, with norms σ_j·√(N/2), so
    // the singular values are proportional to σ_j = j + 1 and erank = exp(−Σ p ln p), p = σ/Σσ. 70 columns
    // cross several of the Gram matrix's 32-column blocks; the transposed matrix (more columns than rows)
    // takes the other side's Gram matrix and must agree. A reflection R = I − 2uuᵀ/uᵀu then mixes the columns
    // (AR has the same singular values, but a dense Gram matrix).
    let (n, k) = (256usize, 70usize);
    let fourier = Array2::from_shape_fn((n, k), |(t, j)| {
        (j + 1) as f64 * (2.0 * std::f64::consts::PI * ((j + 1) * t) as f64 / n as f64).cos()
    });
    let u = ndarray::Array1::from_shape_fn(k, |i| 1.0 + (i % 7) as f64);
    let r = Array2::from_shape_fn((k, k), |(i, j)| f64::from(u8::from(i == j)) - 2.0 * u[i] * u[j] / u.dot(&u));
    let a = fourier.dot(&r);
    let total: f64 = (1..=k).map(|j| j as f64).sum();
    let want = (-(1..=k).map(|j| j as f64 / total).map(|p| p * p.ln()).sum::<f64>()).exp();
    assert!((effective_rank(a.view()) - want).abs() < 1e-9, "{} vs {want}", effective_rank(a.view()));
    let s = singular_values(a.view());
    let st = singular_values(a.t());
    for (j, (x, y)) in s.iter().zip(&st).enumerate() {
        let w = (k - j) as f64 * (n as f64 / 2.0).sqrt();
        assert!((x - w).abs() < 1e-9 * w && (y - w).abs() < 1e-9 * w, "σ_{j}: {x}, {y}, want {w}");
    }
}

#[test]
fn eigenvalues_of_a_symmetric_matrix() {
    // [[4, 1, 2], [1, 3, 0], [2, 0, 5]]: numpy.linalg.eigvalsh → [1.65739, 3.77438, 6.56823] (approx.).
    let m = array![[4.0, 1.0, 2.0], [1.0, 3.0, 0.0], [2.0, 0.0, 5.0]];
    let mut ev = actscope_metrics::rank::symmetric_eigenvalues(m);
    ev.sort_by(f64::total_cmp);
    let (trace, sum_sq): (f64, f64) = (ev.iter().sum(), ev.iter().map(|x| x * x).sum());
    assert!((trace - 12.0).abs() < 1e-12, "trace is preserved");
    assert!((sum_sq - (16.0 + 9.0 + 25.0 + 2.0 * (1.0 + 4.0))).abs() < 1e-10, "Frobenius norm is preserved");
    // Each eigenvalue makes det(M − λI) vanish.
    for l in ev {
        let det = (4.0 - l) * ((3.0 - l) * (5.0 - l)) - 1.0 * (5.0 - l) + 2.0 * (0.0 - 2.0 * (3.0 - l));
        assert!(det.abs() < 1e-9, "det(M − {l}I) = {det}");
    }
}

#[test]
fn percentile_selection_agrees_with_sorting() {
    let v: Vec<f64> = (0..1001).map(|i| ((i * 7919) % 1001) as f64 / 10.0).collect();
    let mut s = v.clone();
    s.sort_by(f64::total_cmp);
    let ps = [0.0, 2.5, 15.0, 50.0, 85.0, 97.5, 100.0];
    for (got, &p) in percentiles(v.iter().copied(), &ps).iter().zip(&ps) {
        let h = 1000.0 * p / 100.0;
        let (lo, hi) = (h.floor() as usize, (h.floor() as usize + 1).min(1000));
        assert!((got - (s[lo] + (h - lo as f64) * (s[hi] - s[lo]))).abs() < 1e-12, "p{p}");
    }
}

/// Norms, mean squares and effective ranks at magnitudes where vanishing or exploding networks live (the
/// capture-format trial): f32 squares were summed in f32 and overflowed from entries of about 1e19 (a norm
/// of 7e20 read as ∞) and underflowed below about 1e-19 (0 for 7e-23); f64 norms overflowed from about
/// 1e154; the effective rank read 1 (a collapse) for activations of 1e160 or 1e-170.
#[test]
fn extreme_magnitudes_give_the_true_norms_and_ranks() {
    let grid = |scale: f64| Array2::from_shape_fn((100, 50), |(i, j)| scale * (1.0 + ((i * 50 + j) % 7) as f64));
    let exact = |scale: f64| scale * grid(1.0).iter().map(|v| v * v).sum::<f64>().sqrt();
    for scale in [1e19, 1e30, 1e-24, 1e-40] {
        let g32 = grid(scale).mapv(|v| v as f32);
        let want: f64 = g32.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
        let got = l2_norm(g32.view());
        assert!((got / want - 1.0).abs() < 1e-12, "f32 at {scale:e}: {got:e} against {want:e}");
        let ms = mean_square(g32.view());
        assert!((ms / (want * want / 5000.0) - 1.0).abs() < 1e-12, "f32 ms at {scale:e}: {ms:e}");
    }
    for scale in [1e200, 1e-200, 1e300] {
        let got = l2_norm(grid(scale).view());
        assert!((got / exact(scale) - 1.0).abs() < 1e-12, "f64 at {scale:e}: {got:e}");
    }
    assert_eq!(l2_norm(Array2::<f64>::zeros((3, 2)).view()), 0.0);
    assert!(l2_norm(array![1.0f64, f64::NAN].view()).is_nan());
    assert_eq!(l2_norm(array![1.0f64, f64::INFINITY].view()), f64::INFINITY);

    let a = Array2::from_shape_fn((40, 6), |(i, j)| ((i * 7 + j * 13) % 11) as f64 - 5.0 + (j as f64) * 0.1 * i as f64);
    let base = effective_rank(a.view());
    assert!(base > 2.0, "{base}");
    for scale in [1e160, 1e-170, 1e-300, 1e300] {
        let r = effective_rank(a.mapv(|v| v * scale).view());
        assert!((r - base).abs() < 1e-9, "scaled by {scale:e}: {r} against {base}");
    }
}

/// A layer with γ but no β (a capture may hold one without the other) keeps γ's summary and leaves β's
/// empty; both were dropped.
#[test]
fn gamma_without_beta_keeps_gamma() {
    use actscope_core::LayerView;
    use actscope_metrics::MetricsProbe;
    let z = Array2::from_shape_fn((4, 2), |(i, j)| i as f64 - j as f64);
    let a = z.mapv(|v| v.max(0.0));
    let (w, g) = (Array2::<f64>::ones((2, 3)), Array2::<f64>::zeros((2, 3)));
    let gamma = array![1.0f64, 3.0];
    let view = LayerView {
        index: 0,
        z: z.view(),
        a: a.view(),
        bn_mean: None,
        bn_var: None,
        grad_z: z.view(),
        weight: w.view(),
        bias: None,
        grad_weight: g.view(),
        grad_bias: None,
        gamma: Some(gamma.view()),
        beta: None,
        grad_gamma: None,
        grad_beta: None,
    };
    let bn = MetricsProbe::layer_record(&view, Activation::Relu, 0.1, false, None).bn.expect("γ is summarised");
    assert_eq!((bn.gamma_mean, bn.gamma_std), (2.0, 1.0));
    assert!(bn.beta_mean.is_nan() && bn.beta_std.is_nan());
}

/// Out-of-range arguments are refused, not answered (a library user's trial: τ = NaN counted every unit
/// dead and none saturated; a 150th percentile read as the 100th; an update ratio of 1e200 weights was ∞).
#[test]
fn out_of_range_arguments_panic_and_huge_values_do_not_overflow() {
    use std::panic::catch_unwind;
    let z = array![[0.5f64, -3.0], [2.0, 1.0]];
    for tau in [f64::NAN, 0.0, -1.0, 2.0] {
        assert!(catch_unwind(|| saturation(z.view(), Activation::Sigmoid, tau)).is_err(), "τ {tau}");
        assert!(catch_unwind(|| dead_units(z.view(), Activation::Relu, tau)).is_err(), "τ {tau}");
    }
    assert!(catch_unwind(|| percentiles([1.0, 2.0], &[150.0])).is_err());
    assert!(catch_unwind(|| percentiles([1.0, 2.0], &[-5.0])).is_err());
    let r = update_ratio(array![1e200f64, 1e200].view(), array![2e200, 1e200].view());
    assert!((r - 0.5f64.sqrt()).abs() < 1e-12, "{r}");
    let r = update_ratio(array![1e-170f64, 1e-170].view(), array![2e-170, 1e-170].view());
    assert!((r - 0.5f64.sqrt()).abs() < 1e-12, "squares that underflow: {r}");
}
