//! Verdict rules, fixed in code before any run.
//!
//! A claim is tested by one or more *comparisons* (settings). Each states its claimed direction as
//! "a − b > m" (or, for one-sample comparisons, "mean of a > m"), where the threshold m is fixed in advance
//! (0 for plain directional claims, −δ for "as well as" claims with a non-inferiority margin δ, a reference
//! value for one-sample claims). For every comparison two one-sided p-values are computed — for the claimed
//! direction and for the opposite ("a − b < m") — with Welch's t-test (independent runs), the paired t-test
//! (runs paired by seed) or the one-sample t-test. Within a claim, the claimed p-values are Holm-adjusted
//! together, and so are the opposite ones. A comparison *supports* the claim if its adjusted claimed
//! p < 0.05, *contradicts* it if its adjusted opposite p < 0.05, and is *unclear* otherwise.
//!
//! The verdict: **supported** if every comparison supports; **refuted** if every comparison contradicts;
//! **inconclusive** if none is significant either way; **mixed** otherwise (the report lists which
//! settings went which way).

use actscope_metrics::stats::{TTest, holm, paired, welch};
use serde::Serialize;

/// Significance level after Holm's adjustment.
pub const ALPHA: f64 = 0.05;

/// Which test a comparison uses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum TestKind {
    /// Welch's unequal-variance t-test on independent samples.
    Welch,
    /// Paired t-test; `a[i]` and `b[i]` come from the same seed.
    Paired,
    /// One-sample t-test of `a` against the threshold.
    OneSample,
}

/// How a comparison came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// Significant in the claimed direction.
    Supports,
    /// Significant in the opposite direction.
    Contradicts,
    /// Neither.
    Unclear,
}

/// A claim's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every setting significant in the claimed direction.
    Supported,
    /// Every setting significant in the opposite direction.
    Refuted,
    /// Settings disagree, or only some are significant.
    Mixed,
    /// No setting significant either way.
    Inconclusive,
}

impl Verdict {
    /// The word used in the report.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Refuted => "refuted",
            Verdict::Mixed => "mixed",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// One setting in which a claim is tested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The setting, e.g. "BN before: sigmoid vs relu".
    pub setting: String,
    /// The claimed direction in words, e.g. "sigmoid ≥ relu − 0.01".
    pub claim: String,
    /// First sample (e.g. per-seed accuracies of the claimed-better configuration).
    pub a: Vec<f64>,
    /// Second sample (empty for one-sample comparisons).
    pub b: Vec<f64>,
    /// Threshold m in "a − b > m".
    pub threshold: f64,
    /// The test.
    pub test: TestKind,
    /// Mean of `a`.
    pub mean_a: f64,
    /// Mean of `b` (NaN for one-sample).
    pub mean_b: f64,
    /// Effect size (Cohen's d, or d_z).
    pub effect: f64,
    /// One-sided p for the claimed direction, before adjustment.
    pub p_claimed: f64,
    /// One-sided p for the opposite direction, before adjustment.
    pub p_opposite: f64,
    /// Holm-adjusted `p_claimed`.
    pub p_claimed_adj: f64,
    /// Holm-adjusted `p_opposite`.
    pub p_opposite_adj: f64,
    /// The outcome.
    pub outcome: Outcome,
}

fn mean(x: &[f64]) -> f64 {
    if x.is_empty() { f64::NAN } else { x.iter().sum::<f64>() / x.len() as f64 }
}

impl Comparison {
    /// A comparison of `a` against `b` (or, with [`TestKind::OneSample`], of `a` against `threshold`).
    /// Non-finite values are dropped (a paired test drops the whole pair). p-values are computed now;
    /// adjustment happens in [`judge`].
    pub fn new(
        setting: impl Into<String>,
        claim: impl Into<String>,
        a: Vec<f64>,
        b: Vec<f64>,
        threshold: f64,
        test: TestKind,
    ) -> Self {
        let (a, b): (Vec<f64>, Vec<f64>) = match test {
            TestKind::Paired => {
                a.iter().zip(&b).filter(|(x, y)| x.is_finite() && y.is_finite()).map(|(x, y)| (*x, *y)).unzip()
            }
            TestKind::Welch => {
                (a.into_iter().filter(|x| x.is_finite()).collect(), b.into_iter().filter(|x| x.is_finite()).collect())
            }
            TestKind::OneSample => (a.into_iter().filter(|x| x.is_finite()).collect(), Vec::new()),
        };
        let shifted: Vec<f64> = a.iter().map(|x| x - threshold).collect();
        let t: Option<TTest> = match test {
            TestKind::Welch => welch(&shifted, &b),
            TestKind::Paired => paired(&shifted, &b),
            TestKind::OneSample => paired(&shifted, &vec![0.0; shifted.len()]),
        };
        let (p_claimed, p_opposite, effect) =
            t.map_or((f64::NAN, f64::NAN, f64::NAN), |t| (t.p_greater, t.p_less, t.effect));
        Comparison {
            setting: setting.into(),
            claim: claim.into(),
            mean_a: mean(&a),
            mean_b: mean(&b),
            a,
            b,
            threshold,
            test,
            effect,
            p_claimed,
            p_opposite,
            p_claimed_adj: f64::NAN,
            p_opposite_adj: f64::NAN,
            outcome: Outcome::Unclear,
        }
    }
}

/// Holm-adjusts the comparisons of one claim, sets each outcome, and returns the verdict.
pub fn judge(comparisons: &mut [Comparison]) -> Verdict {
    let claimed = holm(&comparisons.iter().map(|c| c.p_claimed).collect::<Vec<_>>());
    let opposite = holm(&comparisons.iter().map(|c| c.p_opposite).collect::<Vec<_>>());
    for (c, (pc, po)) in comparisons.iter_mut().zip(claimed.into_iter().zip(opposite)) {
        c.p_claimed_adj = pc;
        c.p_opposite_adj = po;
        c.outcome = if pc < ALPHA {
            Outcome::Supports
        } else if po < ALPHA {
            Outcome::Contradicts
        } else {
            Outcome::Unclear
        };
    }
    let n = comparisons.len();
    let sup = comparisons.iter().filter(|c| c.outcome == Outcome::Supports).count();
    let con = comparisons.iter().filter(|c| c.outcome == Outcome::Contradicts).count();
    if n > 0 && sup == n {
        Verdict::Supported
    } else if n > 0 && con == n {
        Verdict::Refuted
    } else if sup == 0 && con == 0 {
        Verdict::Inconclusive
    } else {
        Verdict::Mixed
    }
}
