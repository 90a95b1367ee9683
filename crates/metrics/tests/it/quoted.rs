//! Numbers that docs/statistics.md quotes from the methods' formulas (boundaries, powers, seeds needed),
//! computed here, so that the document cannot drift from the code without a test failing. The simulated
//! error rates are asserted by their simulations (`sequential.rs`).

use actscope_metrics::sequential::{Design, Effect, Spending, Spread, detectable, fixed_n};
use statrs::distribution::{Chi, Continuous, ContinuousCDF, Normal, StudentsT};

/// The exact power of a one-sided paired (one-sample) t-test on `n` seeds at level `alpha`, for a true
/// difference of `lambda` standard errors: P(T > t_{1−α,ν}) for T noncentral t with ν = n − 1 and
/// noncentrality λ. With T = (Z + λ)/(U/√ν), U ~ χ_ν independent of Z ~ N(0, 1), the power is
/// ∫ Φ̄(t_{1−α,ν}·u/√ν − λ) f_χν(u) du, integrated here by Simpson's rule over [0, √ν + 12] (the χ_ν tail
/// beyond holds less than 10⁻³⁰).
fn noncentral_t_power(n: usize, alpha: f64, lambda: f64) -> f64 {
    let nu = (n - 1) as f64;
    let c = StudentsT::new(0.0, 1.0, nu).unwrap().inverse_cdf(1.0 - alpha);
    let (chi, z) = (Chi::new(n as u64 - 1).unwrap(), Normal::standard());
    let f = |u: f64| z.sf(c * u / nu.sqrt() - lambda) * chi.pdf(u);
    let (upper, steps) = (nu.sqrt() + 12.0, 20_000);
    let h = upper / steps as f64;
    let inner: f64 = (1..steps).map(|i| f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 }).sum();
    (f(0.0) + inner + f(upper)) * h / 3.0
}

/// §4.7: the shifted central t overstates the power at few seeds. At the minimum detectable difference
/// (80% by the approximation) the exact noncentral-t power is 76.6% with 3 seeds at 0.025 (C1's design),
/// 75.6% and 75.9% with 5 at Holm's levels 0.00625 and 0.00714 (C3's), 79.7% with 20 at 0.0125 (§4.7's
/// example), and 79.4% and 79.1% with 20 at the report's smallest Holm levels for C2 (0.025/4) and C4
/// (0.025/7).
#[test]
fn the_approximate_power_overstates_the_exact_power_at_few_seeds() {
    // The integration itself, against closed cases: λ = 0 gives the level, and many seeds the normal power.
    assert!((noncentral_t_power(3, 0.025, 0.0) - 0.025).abs() < 1e-9);
    let z = Normal::standard();
    let normal_power = z.sf(z.inverse_cdf(0.975) - 3.0);
    assert!((noncentral_t_power(100_000, 0.025, 3.0) - normal_power).abs() < 1e-4);
    let cases = [
        (3, 0.025, 0.766),
        (5, 0.025 / 4.0, 0.756),
        (5, 0.05 / 7.0, 0.759),
        (20, 0.0125, 0.797),
        (20, 0.025 / 4.0, 0.794),
        (20, 0.025 / 7.0, 0.791),
    ];
    for (n, alpha, quoted) in cases {
        let d = detectable(Spread::Paired { sd_diff: 1.0 }, alpha, 0.8, n).unwrap();
        let exact = noncentral_t_power(n, alpha, d * (n as f64).sqrt());
        assert!((exact - quoted).abs() < 5e-4, "n = {n}, α = {alpha}: exact power {exact:.4}, quoted {quoted}");
    }
}

/// §4.7: paired d = 0.5 at one-sided 0.025 and 80% needs 31.4 seeds by the normal formula, 34 with the t
/// correction; beyond ν = 10⁵ the normal quantile (2.326348 at 0.99) stands in for t's (2.326385).
#[test]
fn the_normal_formula_and_its_t_correction() {
    let z = Normal::standard();
    let normal_n = ((z.inverse_cdf(0.975) + z.inverse_cdf(0.8)) / 0.5).powi(2);
    assert!((normal_n - 31.4).abs() < 0.05, "{normal_n}");
    assert_eq!(fixed_n(&Effect { delta: 0.5, spread: Spread::Paired { sd_diff: 1.0 } }, 0.025, 0.8), Some(34));
    assert!((z.inverse_cdf(0.99) - 2.326348).abs() < 1e-6);
    let t = StudentsT::new(0.0, 1.0, 1e5).unwrap().inverse_cdf(0.99);
    assert!((t - 2.326385).abs() < 1e-6, "{t}");
}

/// §4.7: `fixed_n` searches up to 10⁹ seeds and gives up beyond. The search doubled from 2 and stopped once
/// past 10⁹, so it gave up on anything above 2²⁹ = 536,870,912: here 6.99·10⁸ seeds.
#[test]
fn fixed_n_searches_up_to_its_cap_of_a_billion() {
    let z = Normal::standard();
    let normal = |delta: f64| ((z.inverse_cdf(0.975) + z.inverse_cdf(0.8)) / delta).powi(2);
    let e = |delta| Effect { delta, spread: Spread::Paired { sd_diff: 1.0 } };
    let n = fixed_n(&e(1.06e-4), 0.025, 0.8).expect("below the cap") as f64;
    assert!(n > 536_870_912.0 && (n / normal(1.06e-4) - 1.0).abs() < 1e-4, "{n}");
    assert!(normal(4.5e-5) > 1e9);
    assert_eq!(fixed_n(&e(4.5e-5), 0.025, 0.8), None);
}

/// §4.4: with Bonferroni looks (the report's), the last look's boundary at 20 seeds against a fixed test's
/// at the report's smallest Holm levels: z = 2.600 against 2.498 for C2 (0.025/4), 2.770 against 2.690 for
/// C4 (0.025/7).
#[test]
fn the_reports_last_boundaries_against_a_fixed_test() {
    let design = Design::new(0.05, Spending::OBrienFleming, 20);
    for (comparisons, last, fixed) in [(4.0, 2.600, 2.498), (7.0, 2.770, 2.690)] {
        let level = 0.025 / comparisons;
        let z = design.boundaries(level, &[5, 10, 15, 20]).unwrap()[3].z;
        let one = design.boundaries(level, &[20]).unwrap()[0].z;
        assert!((z - last).abs() < 5e-4 && (one - fixed).abs() < 5e-4, "{comparisons}: {z} vs {one}");
    }
}

/// §6: what half the minimum detectable difference at 20 seeds costs: 72 seeds for C2's four comparisons
/// (3.6 times as many) and 70 for C4's seven (3.5 times), at any spread (the ratio does not depend on it).
#[test]
fn half_the_detectable_difference_needs_about_three_and_a_half_times_the_seeds() {
    let design = Design::new(0.05, Spending::OBrienFleming, 20);
    for sd_diff in [1.0, 0.006] {
        let spread = Spread::Paired { sd_diff };
        for (comparisons, want) in [(4, 72), (7, 70)] {
            let d = design.detectable(spread, comparisons, 20).unwrap();
            let n = design.seeds_to_decide(&Effect { delta: d / 2.0, spread }, comparisons);
            assert_eq!(n, Some(want), "{comparisons} comparisons, sd {sd_diff}");
        }
    }
}
