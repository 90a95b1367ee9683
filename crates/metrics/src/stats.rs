//! Statistics across seeds: intervals, t-tests, multiple-comparison correction and effect sizes.
//!
//! ```text
//! mean x̄,  sd s = √(Σ(x − x̄)²/(n − 1)),  95% CI  x̄ ± t₀.₉₇₅,ₙ₋₁ · s/√n; a sample of equal values has
//!          x̄ that value and s = 0 exactly (not the rounding noise of Σx/n)
//! Welch    t = (x̄₁ − x̄₂)/√(s₁²/n₁ + s₂²/n₂),  ν = (s₁²/n₁ + s₂²/n₂)² / Σ_k (s_k²/n_k)²/(n_k − 1)
//! paired   d_i = x_i − y_i,  t = d̄/(s_d/√n),  ν = n − 1
//! p-values two-sided 2·F_ν(−|t|); one-sided "greater" F_ν(−t), "less" F_ν(t); the smaller tail is
//!          computed as F_ν(−|t|) and the larger as 1 − F_ν(−|t|), never as 1 − F_ν(|t|) (which cancels
//!          to exactly 0 below ~10⁻¹⁶)
//! no spread  values (paired: differences) all equal, where t is ±∞ or 0/0 and the t distribution gives no
//!          p-value: the exact distribution-free test instead. Paired: the sign test, all n differences on
//!          one side, p = 2⁻ⁿ for that side (Dixon & Mood 1946); Welch: the permutation test, the samples
//!          completely apart, p = 1/C(n₁+n₂, n₁) (Pitman 1937); the other side 1, two-sided twice the
//!          smaller (at most 1); no difference at all (0/0): p = 1 everywhere
//! Holm     sort p ascending; adj_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j))
//! Cohen's d  (x̄₁ − x̄₂)/s_pooled, s_pooled² = ((n₁−1)s₁² + (n₂−1)s₂²)/(n₁+n₂−2);  paired: d_z = d̄/s_d
//! ```
//!
//! Student-t quantiles and distribution functions come from `statrs`.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean, spread and 95% interval of a sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Describe {
    /// Sample size.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1); NaN for n < 2.
    pub sd: f64,
    /// Lower end of the 95% Student-t interval (NaN for n < 2).
    pub ci_low: f64,
    /// Upper end of the 95% Student-t interval.
    pub ci_high: f64,
}

impl Describe {
    /// Half-width of the 95% interval.
    pub fn half_width(&self) -> f64 {
        (self.ci_high - self.ci_low) / 2.0
    }

    /// The same description with its interval cut to `lo..=hi`, the values the measure can take (a share's
    /// Student-t interval near 0 reaches below it). The true mean lies within them, so cutting keeps the
    /// coverage; the interval is then no longer symmetric about the mean.
    pub fn within(&self, lo: f64, hi: f64) -> Describe {
        Describe { ci_low: self.ci_low.max(lo), ci_high: self.ci_high.min(hi), ..*self }
    }
}

/// Whether every value of `x` is the same (a sample without spread).
fn all_equal(x: &[f64]) -> bool {
    x.windows(2).all(|w| w[0] == w[1])
}

/// The mean; exactly the common value of a sample without spread (three values of −0.1 sum to
/// −0.30000000000000004, and that over 3 is not −0.1).
fn mean(x: &[f64]) -> f64 {
    if all_equal(x) && !x.is_empty() {
        return x[0];
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// The sample variance (n − 1); exactly 0 for a sample without spread, where the rounding of the mean
/// would otherwise leave a spread of ~10⁻¹⁷ and a t statistic and effect size of ~10¹⁵.
fn var(x: &[f64]) -> f64 {
    if all_equal(x) && x.len() > 1 {
        return 0.0;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() as f64 - 1.0)
}

fn t_quantile(p: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(p))
}

fn t_cdf(t: f64, df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.cdf(t))
}

/// Describes a sample (NaN fields where undefined; `n = 0` gives NaN mean).
pub fn describe(x: &[f64]) -> Describe {
    let n = x.len();
    if n == 0 {
        return Describe { n, mean: f64::NAN, sd: f64::NAN, ci_low: f64::NAN, ci_high: f64::NAN };
    }
    let m = mean(x);
    if n < 2 {
        return Describe { n, mean: m, sd: f64::NAN, ci_low: f64::NAN, ci_high: f64::NAN };
    }
    let sd = var(x).sqrt();
    let h = t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
    Describe { n, mean: m, sd, ci_low: m - h, ci_high: m + h }
}

/// The result of a t-test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TTest {
    /// The t statistic (positive when the first sample is larger).
    pub t: f64,
    /// Degrees of freedom.
    pub df: f64,
    /// Two-sided p-value.
    pub p_two_sided: f64,
    /// One-sided p-value for "first > second".
    pub p_greater: f64,
    /// One-sided p-value for "first < second".
    pub p_less: f64,
    /// Effect size: Cohen's d (Welch) or d_z (paired).
    pub effect: f64,
    /// Mean difference (first − second).
    pub diff: f64,
    /// Standard error of `diff` (Welch: √(s₁²/n₁ + s₂²/n₂); paired: s_d/√n); defined also where
    /// `diff` is 0, where `diff / t` is not.
    pub se: f64,
}

fn from_t(t: f64, df: f64, effect: f64, diff: f64, se: f64) -> TTest {
    let (p_two_sided, p_greater, p_less) = if t.is_nan() {
        (f64::NAN, f64::NAN, f64::NAN)
    } else if t.is_infinite() {
        // Only a t too large for f64 gets here (no spread goes to `without_spread`).
        if t > 0.0 { (0.0, 0.0, 1.0) } else { (0.0, 1.0, 0.0) }
    } else {
        // Each tail from the CDF at −|t|, never as 1 − CDF: that cancels to exactly 0 for p below ~1e-16
        // (a reviewer found p = 0 where scipy's survival function gives 1.7e-34).
        let tail = t_cdf(-t.abs(), df);
        let upper = 1.0 - tail;
        if t > 0.0 { (2.0 * tail, tail, upper) } else { (2.0 * tail, upper, tail) }
    };
    TTest { t, df, p_two_sided, p_greater, p_less, effect, diff, se }
}

/// The test of values without spread (`diff` ≠ 0: t = ±∞; `diff` = 0: t NaN, 0/0), where the t distribution
/// gives no p-value: `tail` is the exact one-sided p-value of the distribution-free test the data allow
/// (the chance under the null hypothesis of an arrangement as extreme as one with every value on one side).
/// p = 0, the t-test's limit, would call three equal values certain, and decided claims from two seeds.
fn without_spread(t: f64, df: f64, effect: f64, diff: f64, tail: f64) -> TTest {
    let (p_two_sided, p_greater, p_less) = if diff == 0.0 {
        (1.0, 1.0, 1.0)
    } else if diff > 0.0 {
        ((2.0 * tail).min(1.0), tail, 1.0)
    } else {
        ((2.0 * tail).min(1.0), 1.0, tail)
    };
    TTest { t, df, p_two_sided, p_greater, p_less, effect, diff, se: 0.0 }
}

/// 1 / C(n₁ + n₂, n₁): the one-sided p-value of the permutation test when every value of one sample lies
/// above every value of the other (one of the C(n₁ + n₂, n₁) equally likely splits of the pooled values).
fn one_split_in(n1: usize, n2: usize) -> f64 {
    (1..=n1.min(n2)).fold(1.0, |p, k| p * k as f64 / (n1 + n2 - n1.min(n2) + k) as f64)
}

/// Welch's unequal-variance t-test of `x` against `y`. `None` if either sample has fewer than 2 values.
/// Two samples without any spread (each of equal values) take the exact permutation test: one-sided p =
/// 1/C(n₁+n₂, n₁) towards the side the means differ to, 1 where they agree.
pub fn welch(x: &[f64], y: &[f64]) -> Option<TTest> {
    if x.len() < 2 || y.len() < 2 {
        return None;
    }
    let (n1, n2) = (x.len() as f64, y.len() as f64);
    let (v1, v2) = (var(x), var(y));
    let diff = mean(x) - mean(y);
    let se2 = v1 / n1 + v2 / n2;
    let df = se2 * se2 / ((v1 / n1).powi(2) / (n1 - 1.0) + (v2 / n2).powi(2) / (n2 - 1.0));
    let t =
        if se2 == 0.0 { if diff == 0.0 { f64::NAN } else { diff.signum() * f64::INFINITY } } else { diff / se2.sqrt() };
    let pooled = (((n1 - 1.0) * v1 + (n2 - 1.0) * v2) / (n1 + n2 - 2.0)).sqrt();
    let df = if df.is_finite() { df } else { n1 + n2 - 2.0 };
    if se2 == 0.0 && !diff.is_nan() {
        return Some(without_spread(t, df, diff / pooled, diff, one_split_in(x.len(), y.len())));
    }
    Some(from_t(t, df, diff / pooled, diff, se2.sqrt()))
}

/// Paired t-test of `x` against `y` (same length, paired by position, e.g. by seed). `None` if the lengths
/// differ or there are fewer than 2 pairs. Differences without any spread (all equal) take the exact sign
/// test: one-sided p = 2⁻ⁿ towards the side they lie on, 1 where they are all 0.
pub fn paired(x: &[f64], y: &[f64]) -> Option<TTest> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    let n = d.len() as f64;
    let (md, sd) = (mean(&d), var(&d).sqrt());
    let t =
        if sd == 0.0 { if md == 0.0 { f64::NAN } else { md.signum() * f64::INFINITY } } else { md / (sd / n.sqrt()) };
    if sd == 0.0 {
        return Some(without_spread(t, n - 1.0, md / sd, md, 0.5f64.powf(n)));
    }
    Some(from_t(t, n - 1.0, md / sd, md, sd / n.sqrt()))
}

/// Holm–Bonferroni adjusted p-values, in the input order. NaNs stay NaN and do not count towards m.
///
/// # Panics
/// If a p-value other than NaN lies outside [0, 1] (a programmer error: no test gives one, and the
/// adjustment of one would be meaningless); the message names it and its index.
pub fn holm(p: &[f64]) -> Vec<f64> {
    if let Some((i, v)) = p.iter().enumerate().find(|&(_, v)| !v.is_nan() && !(0.0..=1.0).contains(v)) {
        panic!("holm: p-value {v} at index {i} is outside [0, 1]; expected p-values in [0, 1] (or NaN, skipped)");
    }
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = idx.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running: f64 = 0.0;
    for (j, &i) in idx.iter().enumerate() {
        running = running.max(((m - j) as f64 * p[i]).min(1.0));
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-sided p below f64's resolution near 1 is still computed, not cancelled to 0 (C9's p-values read
    /// exactly 0.0 where they are 1.7e-34 and 2.4e-19).
    #[test]
    fn tiny_one_sided_p_values_do_not_cancel_to_zero() {
        // Student's t with 2 degrees of freedom has the closed form sf(t) = 1 / ((t² + 2)(1 + t/√(t² + 2))).
        for t in [10.0, 1e4, 1e9] {
            let exact = 1.0 / ((t * t + 2.0) * (1.0 + t / (t * t + 2.0f64).sqrt()));
            let r = from_t(t, 2.0, 0.0, 0.0, 1.0);
            assert!((r.p_greater / exact - 1.0).abs() < 1e-6, "t {t}: {} vs {exact}", r.p_greater);
            assert!((r.p_two_sided / (2.0 * exact) - 1.0).abs() < 1e-6, "t {t}");
            let neg = from_t(-t, 2.0, 0.0, 0.0, 1.0);
            assert!((neg.p_less / exact - 1.0).abs() < 1e-6, "t −{t}");
        }
        assert!(from_t(1e9, 2.0, 0.0, 0.0, 1.0).p_greater > 0.0);
    }

    /// A sample without spread has exactly zero spread: the paired test of three values that are all −0.1
    /// (C8's saturation of 0 shifted by its threshold of 0.1) gives t = −∞ and d_z = −∞, not the −5.9e15 the
    /// rounding of the mean left (three times −0.1 summed is not 3 × −0.1).
    #[test]
    fn a_sample_without_spread_has_none() {
        let x = [-0.1; 3];
        let d = describe(&x);
        assert_eq!((d.mean, d.sd, d.ci_low, d.ci_high), (-0.1, 0.0, -0.1, -0.1));
        let p = paired(&x, &[0.0; 3]).unwrap();
        assert_eq!((p.t, p.effect, p.se, p.diff), (f64::NEG_INFINITY, f64::NEG_INFINITY, 0.0, -0.1));
        assert!(paired(&[0.3; 4], &[0.3; 4]).unwrap().t.is_nan(), "no spread and no difference");
        let w = welch(&[0.7; 3], &[0.1; 2]).unwrap();
        assert_eq!((w.t, w.diff, w.se), (f64::INFINITY, 0.7 - 0.1, 0.0));
    }

    /// Without spread the t-test has no p-value (it gave 0, so three seeds of saturation 0 against C8's 0.1
    /// "contradicted" at any level): the sign test's 2⁻ⁿ and the permutation test's 1/C(n₁+n₂, n₁) instead,
    /// and 1 where nothing differs (it was NaN, and Holm left the comparison out of its family).
    #[test]
    fn values_without_spread_take_the_exact_distribution_free_test() {
        let p = paired(&[-0.1; 3], &[0.0; 3]).unwrap();
        assert_eq!((p.p_less, p.p_greater, p.p_two_sided), (0.125, 1.0, 0.25));
        let p = paired(&[0.5, 0.5], &[0.4, 0.4]).unwrap();
        assert_eq!((p.t, p.p_greater), (f64::INFINITY, 0.25), "two seeds cannot decide at any usual level");
        let p = paired(&[0.3; 4], &[0.3; 4]).unwrap();
        assert_eq!((p.p_less, p.p_greater, p.p_two_sided), (1.0, 1.0, 1.0));
        let w = welch(&[0.7; 3], &[0.1; 2]).unwrap();
        assert_eq!((w.p_greater, w.p_less, w.p_two_sided), (0.1, 1.0, 0.2)); // 1 / C(5, 2)
        let w = welch(&[0.1; 4], &[0.1; 6]).unwrap();
        assert_eq!((w.p_greater, w.p_less, w.t.is_nan()), (1.0, 1.0, true));
        assert!((one_split_in(6, 4) - 1.0 / 210.0).abs() < 1e-15 && one_split_in(4, 6) == one_split_in(6, 4));
        assert!((welch(&[1.0; 30], &[0.0; 30]).unwrap().p_greater - 8.456e-18).abs() < 1e-20, "C(60, 30)");
        // A spread, however small, is the t-test's.
        assert!(paired(&[0.2, 0.2, 0.2 + 1e-9], &[0.0; 3]).unwrap().p_greater < 1e-6);
    }

    /// The level where equal values are common: paired differences of ±0.01 with equal chance (a null
    /// hypothesis true of the mean and the median; discrete measures such as dead fractions and accuracies
    /// over a test set tie like this), every sign pattern of 2 to 6 seeds enumerated with its exact chance.
    /// At the levels Holm and the sequential looks test at, "greater" may be found in at most α of the
    /// patterns. With p = 0 for the all-positive pattern it was found in 2⁻ⁿ of them at every level: 1/32 at
    /// five seeds, against α = 0.025.
    #[test]
    fn equal_values_keep_the_level() {
        for n in 2..=6usize {
            for alpha in [0.05, 0.025, 0.0125, 0.005, 0.001] {
                let found = (0..1u32 << n)
                    .filter(|bits| {
                        let d: Vec<f64> = (0..n).map(|i| if bits >> i & 1 == 1 { 0.01 } else { -0.01 }).collect();
                        paired(&d, &vec![0.0; n]).unwrap().p_greater < alpha
                    })
                    .count();
                let rate = found as f64 / (1u32 << n) as f64;
                assert!(rate <= alpha, "{n} seeds at α = {alpha}: \"greater\" in {rate} of the null's patterns");
            }
        }
    }

    /// The standard error is given where the mean difference is 0 (the report's pairing paragraph took
    /// it as |diff / t|, NaN there).
    #[test]
    fn the_standard_error_is_defined_at_a_zero_difference() {
        let p = paired(&[1.0, 2.0, 3.0], &[2.0, 1.0, 3.0]).unwrap();
        assert_eq!((p.diff, p.t), (0.0, 0.0));
        assert!((p.se - 1.0 / 3f64.sqrt()).abs() < 1e-15);
        let w = welch(&[1.0, 3.0], &[2.0, 2.0, 2.0]).unwrap();
        assert!((w.se - 1.0).abs() < 1e-15 && w.diff == 0.0);
        let w = welch(&[1.0, 3.0, 5.0], &[0.0, 2.0]).unwrap();
        assert!((w.se - (4.0f64 / 3.0 + 2.0 / 2.0).sqrt()).abs() < 1e-15 && (w.t - w.diff / w.se).abs() < 1e-15);
    }
}
