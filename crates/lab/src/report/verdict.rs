//! Verdict rules, fixed in code before any run.
//!
//! A claim is tested by one or more *comparisons* (settings). Each states its claimed direction as
//! "a − b > m" (or, for one-sample comparisons, "mean of a > m"), where the threshold m is fixed in advance
//! (0 for plain directional claims, −δ for "as well as" claims with a non-inferiority margin δ, a reference
//! value for one-sample claims). For every comparison two one-sided p-values are computed — for the claimed
//! direction and for the opposite ("a − b < m") — with Welch's t-test (independent runs), the paired t-test
//! (runs paired by seed), the one-sample t-test, or, for a value known only within bounds, one-sample
//! t-tests of its lower bounds (claimed direction) and upper bounds (opposite; [`TestKind::Bounds`]). Within a claim, the claimed p-values are Holm-adjusted
//! together, and so are the opposite ones. A comparison *supports* the claim if its adjusted claimed
//! p < 0.05, *contradicts* it if its adjusted opposite p < 0.05, and is *unclear* otherwise.
//!
//! The verdict: **supported** if every comparison supports; **refuted** if every comparison contradicts;
//! **inconclusive** if none is significant either way; **depends on setting** (design.md's *mixed*) if
//! comparisons are significant both ways, whether or not others are undecided (the report lists which
//! settings went which way); **partly undecided** if some comparisons are significant, all the same way,
//! and the others are not.

use actscope_core::{Activation, Placement};
use actscope_metrics::sequential::{Decision, Design, Look, Sequential, decide_in_rounds};
use actscope_metrics::stats::{TTest, holm, paired, welch};
use serde::Serialize;

/// Significance level after Holm's adjustment.
pub const ALPHA: f64 = 0.05;

/// Which test a comparison uses.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum TestKind {
    /// Welch's unequal-variance t-test on independent samples.
    Welch,
    /// Paired t-test; `a[i]` and `b[i]` come from the same seed (C5: from the same round of timings).
    Paired,
    /// One-sample t-test of `a` against the threshold.
    OneSample,
    /// One-sample t-tests on bounds of a quantity observed only within an interval (C6's ratio of steps,
    /// read on an evaluation grid, or past the budget when the target was never reached): `a[i]` and `b[i]`
    /// are the lower and upper bound of pair i's value. The claimed direction ("value > threshold") is
    /// tested on the lower bounds, the opposite on the upper bounds, each a one-sample t-test. Every value
    /// lies within its bounds (Manski 2003, bounds under interval data), so where the claim is false the
    /// lower bounds' mean is below the threshold too, and the test of the claim on them tests a true null
    /// (likewise the opposite on the upper bounds); the level then holds as far as the t approximation does
    /// on such bounds, which a simulation checks (tests below). A direction whose bounds include an
    /// infinite one (−∞ below, +∞ above: the interval is open on that side) cannot be shown: p = 1.
    Bounds,
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

impl Outcome {
    /// The outcome of a conjunction "A and B" from its parts' outcomes: it supports only where both parts
    /// do (an intersection–union test: each part at level α gives the conjunction level α, Berger 1982), it
    /// contradicts where either part does (the parts' Holm adjustment covers that union), and it is unclear
    /// otherwise.
    pub fn and(self, other: Outcome) -> Outcome {
        match (self, other) {
            (Outcome::Supports, Outcome::Supports) => Outcome::Supports,
            (Outcome::Contradicts, _) | (_, Outcome::Contradicts) => Outcome::Contradicts,
            _ => Outcome::Unclear,
        }
    }
}

/// A claim's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    /// Every setting significant in the claimed direction.
    Supported,
    /// Every setting significant in the opposite direction.
    Refuted,
    /// Settings significant both ways (the claim holds in some settings and fails in others; the report
    /// says which, and which are not decided): design.md's *mixed*.
    DependsOnSetting,
    /// Some settings significant, all the same way, and the others not decided.
    PartlyUndecided,
    /// No setting significant either way.
    Inconclusive,
}

impl Verdict {
    /// The word used in the report.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Supported => "supported",
            Verdict::Refuted => "refuted",
            Verdict::DependsOnSetting => "depends on setting",
            Verdict::PartlyUndecided => "partly undecided",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// What a comparison is about, as typed values, so text about it is generated from these rather than by
/// re-reading its label. Fields that do not apply are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Subject {
    /// The activation the comparison is about (the first of a pair, e.g. sigmoid in "sigmoid vs relu").
    pub activation: Option<Activation>,
    /// The BN placement it is about (the first of a pair, e.g. after in "after vs before").
    pub placement: Option<Placement>,
    /// A learning rate that defines the setting (e.g. an E3 stress setting).
    pub lr: Option<f64>,
    /// An initial hidden bias that defines the setting.
    pub bias_init: Option<f64>,
    /// When in training the quantity is measured.
    pub when: Option<When>,
}

/// When in training a quantity is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum When {
    /// At initialisation (step 0).
    Init,
    /// At the end of training.
    End,
}

/// One setting in which a claim is tested.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    /// The setting in words, e.g. "BN before: sigmoid vs relu".
    pub setting: String,
    /// The setting as typed values.
    pub subject: Subject,
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
    /// Effect size (Cohen's d, or d_z); ±∞ where the values (or differences) have no spread and differ from
    /// the threshold, NaN where it is undefined. JSON has neither, so `claims.json` writes both as `null`:
    /// an infinite one has `p_claimed` or `p_opposite` exactly 0.
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
    /// The E1 configurations (activation, placement) whose runs give `a` and `b`, for deciding which
    /// configurations need more seeds.
    pub configs: Vec<(Activation, Placement)>,
    /// The seed of each value of `a` (and of `b`, for paired comparisons), when known.
    pub seeds: Vec<u64>,
    /// Runs behind `a` and `b` that trained but ended at chance level (failed to learn); their values
    /// describe an untrained network.
    pub failed_to_learn: usize,
    /// For [`TestKind::Bounds`]: how many lower bounds are −∞ and how many upper bounds +∞ (open sides).
    /// JSON writes infinities as `null`, so `claims.json` readers tell an open bound from these counts.
    pub open_bounds: (usize, usize),
    /// For comparisons tested in rounds of seeds: the group-sequential decision that set the outcome.
    pub sequential: Option<SequentialOutcome>,
    /// For a comparison left undecided: what it would take to decide it.
    pub power: Option<PowerStatement>,
    /// The values `a` and `b` can take, where the measure is bounded (a share: 0 to 1), so that the power
    /// statement can say when the difference its seeds detect is larger than any the measure allows.
    pub range: Option<(f64, f64)>,
    /// For a measure averaged over layers (C3's dead-unit fraction): each hidden layer's mean over the
    /// compared seeds, side `a` then side `b`, first layer first — what the mean over layers can hide.
    pub by_layer: Option<(Vec<f64>, Vec<f64>)>,
}

/// How a comparison tested in rounds of seeds came out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SequentialOutcome {
    /// Seeds (pairs) at each round's look, `None` where the round gave the comparison no look (no new pair
    /// with values on both sides).
    pub looks: Vec<Option<usize>>,
    /// The decision and the levels it was tested at.
    pub result: Sequential,
}

/// What an undecided comparison can and cannot tell: its observed difference from the threshold, and the
/// smallest true difference its test detects at the design's power with the seeds it ran (the minimum
/// detectable effect, a property of the design and the spread; seeds planned from the observed difference
/// itself would be planned from noise: Hoenig & Heisey 2001).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PowerStatement {
    /// Observed mean of a − b (or of a, one-sample) minus the threshold.
    pub observed: f64,
    /// 95% interval of that difference (paired or Welch), low end.
    pub ci_low: f64,
    /// High end.
    pub ci_high: f64,
    /// Seeds (pairs) the comparison ran.
    pub seeds: usize,
    /// The power the detectable differences are given at (the design's, e.g. 0.8).
    pub power: f64,
    /// The smallest true difference from the threshold, either way, that a fixed-sample test at Holm's
    /// smallest level detects with probability `power` at `seeds` seeds and the observed spread (None:
    /// fewer than two pairs, or differences that do not vary, for which the t-test is undefined).
    pub detectable: Option<f64>,
    /// Seeds per configuration at which half of `detectable` is detected with the same power.
    pub seeds_for_half: Option<usize>,
    /// Seeds beyond those already run, for `seeds_for_half`.
    pub more_seeds: Option<usize>,
    /// CPU minutes those extra runs would take at the measured time per run (two configurations).
    pub cpu_minutes: Option<f64>,
    /// The largest true difference from the threshold the measure allows ([`Comparison::largest_difference`]),
    /// where it is bounded.
    pub largest: Option<f64>,
}

impl PowerStatement {
    /// What the test can resolve, in words: "20 seeds detect a true difference of ±0.0112 or more from the
    /// threshold with about 80% power; ±0.0056 would take ~72 seeds per configuration (~52 more, ~0.5
    /// CPU-minutes)".
    pub fn resolution(&self) -> String {
        let Some(d) = self.detectable else {
            return if self.seeds < 2 {
                "fewer than two seeds are too few to say what difference the test could detect".to_string()
            } else {
                format!(
                    "the differences are the same on all {} seeds, so the t-test is undefined and cannot say what \
                     it could detect",
                    self.seeds
                )
            };
        };
        let beyond = |x: f64| self.largest.is_some_and(|l| x > l);
        let head = if beyond(d) {
            format!(
                "{} seeds cannot detect any difference the measure allows: the smallest they detect with about {:.0}% power, \
                 ±{d:.4} from the threshold, is larger than the largest possible, ±{:.4}",
                self.seeds,
                100.0 * self.power,
                self.largest.unwrap_or(f64::NAN)
            )
        } else {
            format!(
                "{} seeds detect a true difference of ±{d:.4} or more from the threshold with about {:.0}% power",
                self.seeds,
                100.0 * self.power
            )
        };
        match (self.seeds_for_half, self.more_seeds, self.cpu_minutes) {
            (Some(n), Some(m), Some(c)) if d > 0.0 && !beyond(d / 2.0) => format!(
                "{head}; ±{:.4} would take ~{n} seeds per configuration (~{m} more, {})",
                d / 2.0,
                // Short runs cost less than the precision shown (it printed "~0.0 CPU-minutes").
                if c < 0.05 { "under 0.1 CPU-minute".to_string() } else { format!("~{c:.1} CPU-minutes") }
            ),
            _ => head,
        }
    }
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
            // Infinite bounds are information (an open side); NaN marks a pair without a value.
            TestKind::Bounds => {
                a.iter().zip(&b).filter(|(x, y)| !x.is_nan() && !y.is_nan()).map(|(x, y)| (*x, *y)).unzip()
            }
        };
        let shifted: Vec<f64> = a.iter().map(|x| x - threshold).collect();
        let of = |t: Option<TTest>| t.map_or((f64::NAN, f64::NAN, f64::NAN), |t| (t.p_greater, t.p_less, t.effect));
        let (p_claimed, p_opposite, effect) = match test {
            TestKind::Welch => of(welch(&shifted, &b)),
            TestKind::Paired => of(paired(&shifted, &b)),
            TestKind::OneSample => of(one_sample(&a, threshold)),
            TestKind::Bounds => bounds_test(&a, &b, threshold),
        };
        let open_bounds = match test {
            TestKind::Bounds => (
                a.iter().filter(|v| **v == f64::NEG_INFINITY).count(),
                b.iter().filter(|v| **v == f64::INFINITY).count(),
            ),
            _ => (0, 0),
        };
        Comparison {
            setting: setting.into(),
            subject: Subject::default(),
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
            configs: Vec::new(),
            seeds: Vec::new(),
            open_bounds,
            failed_to_learn: 0,
            sequential: None,
            power: None,
            range: None,
            by_layer: None,
        }
    }

    /// The same comparison, of values that lie within `lo ..= hi` (see [`Comparison::range`]).
    pub fn within(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// The same comparison, with each layer's mean of a measure that `a` and `b` average over layers (see
    /// [`Comparison::by_layer`]).
    pub fn with_layers(mut self, a: Vec<f64>, b: Vec<f64>) -> Self {
        self.by_layer = Some((a, b));
        self
    }

    /// The largest true difference from the threshold that values within [`Comparison::range`] allow: of
    /// a − b (hi − lo on one side) or, one-sample, of a.
    pub fn largest_difference(&self) -> Option<f64> {
        self.range.map(|(lo, hi)| match self.test {
            TestKind::OneSample => (hi - self.threshold).abs().max((lo - self.threshold).abs()),
            _ => (hi - lo) + self.threshold.abs(),
        })
    }
}

/// The one-sample t-test of `x` against `threshold`: the paired test of `x − threshold` against zeros.
fn one_sample(x: &[f64], threshold: f64) -> Option<TTest> {
    let shifted: Vec<f64> = x.iter().map(|v| v - threshold).collect();
    paired(&shifted, &vec![0.0; x.len()])
}

/// [`TestKind::Bounds`]: (p claimed, p opposite, effect) from one-sample t-tests of the lower bounds `lo`
/// (greater than `threshold`) and the upper bounds `hi` (less than it). A side holding an infinite bound
/// gets p = 1 and no effect; fewer than two pairs give NaN.
fn bounds_test(lo: &[f64], hi: &[f64], threshold: f64) -> (f64, f64, f64) {
    if lo.len() < 2 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let test = |v: &[f64]| v.iter().all(|x| x.is_finite()).then(|| one_sample(v, threshold)).flatten();
    let (up, down) = (test(lo), test(hi));
    let p_claimed = up.as_ref().map_or(1.0, |t| t.p_greater);
    let p_opposite = down.as_ref().map_or(1.0, |t| t.p_less);
    let effect = match (up, down) {
        (Some(u), Some(d)) => {
            if p_claimed <= p_opposite {
                u.effect
            } else {
                d.effect
            }
        }
        (Some(t), None) | (None, Some(t)) => t.effect,
        (None, None) => f64::NAN,
    };
    (p_claimed, p_opposite, effect)
}

impl Comparison {
    /// The same comparison, saying what it is about.
    pub fn about(mut self, subject: Subject) -> Self {
        self.subject = subject;
        self
    }

    /// The same comparison, with the seed of each value (for paired comparisons built from finite pairs,
    /// so that nothing was dropped and `seeds[i]` is the seed of `a[i]` and `b[i]`).
    pub fn with_seeds(mut self, seeds: Vec<u64>) -> Self {
        self.seeds = seeds;
        self
    }

    /// The same comparison, counting the runs behind it that failed to learn.
    pub fn with_failed(mut self, failed_to_learn: usize) -> Self {
        self.failed_to_learn = failed_to_learn;
        self
    }

    /// The same comparison, naming the configurations whose runs give `a` and `b`.
    pub fn of_configs(mut self, configs: Vec<(Activation, Placement)>) -> Self {
        self.configs = configs;
        self
    }
}

/// Holm-adjusts the comparisons of one claim, sets each outcome, and returns the verdict.
pub fn judge(comparisons: &mut [Comparison]) -> Verdict {
    holm_adjust(comparisons);
    for c in comparisons.iter_mut() {
        c.outcome = if c.p_claimed_adj < ALPHA {
            Outcome::Supports
        } else if c.p_opposite_adj < ALPHA {
            Outcome::Contradicts
        } else {
            Outcome::Unclear
        };
    }
    verdict_of(comparisons)
}

/// Fills the Holm-adjusted p-values of one claim's comparisons (fixed-sample, each direction at [`ALPHA`]).
fn holm_adjust(comparisons: &mut [Comparison]) {
    let claimed = holm(&comparisons.iter().map(|c| c.p_claimed).collect::<Vec<_>>());
    let opposite = holm(&comparisons.iter().map(|c| c.p_opposite).collect::<Vec<_>>());
    for (c, (pc, po)) in comparisons.iter_mut().zip(claimed.into_iter().zip(opposite)) {
        c.p_claimed_adj = pc;
        c.p_opposite_adj = po;
    }
}

/// Judges one claim's comparisons tested in rounds of seeds: `histories[i][k]` holds comparison i's look in
/// round k, `None` where that round gave it none. The outcome of each comparison is its group-sequential
/// decision (`actscope_metrics::sequential::decide_in_rounds`:
/// α-spending boundaries, α/2 per direction, Holm within the claim); the Holm-adjusted fixed-sample
/// p-values are still filled in, for reading only.
///
/// # Errors
/// An invalid design or history (see `decide`), as text.
pub fn judge_sequential(
    comparisons: &mut [Comparison],
    histories: &[Vec<Option<Look>>],
    design: &Design,
) -> Result<Verdict, String> {
    holm_adjust(comparisons);
    let results = decide_in_rounds(design, histories).map_err(|e| e.to_string())?;
    for ((c, r), h) in comparisons.iter_mut().zip(results).zip(histories) {
        c.outcome = match r.decision {
            Decision::Supports { .. } => Outcome::Supports,
            Decision::Contradicts { .. } => Outcome::Contradicts,
            Decision::Continue | Decision::Undecided => Outcome::Unclear,
        };
        c.sequential = Some(SequentialOutcome { looks: h.iter().map(|l| l.map(|l| l.n)).collect(), result: r });
    }
    Ok(verdict_of(comparisons))
}

/// The verdict from the comparisons' outcomes (see the module docs).
pub fn verdict_of(comparisons: &[Comparison]) -> Verdict {
    verdict_of_outcomes(&comparisons.iter().map(|c| c.outcome).collect::<Vec<_>>())
}

/// The verdict from the settings' outcomes: all supporting, all contradicting, none significant,
/// significant both ways (whether or not some settings are undecided: the settings disagree
/// significantly, design.md's *mixed*), or significant one way only with others undecided.
pub fn verdict_of_outcomes(outcomes: &[Outcome]) -> Verdict {
    let n = outcomes.len();
    let sup = outcomes.iter().filter(|&&o| o == Outcome::Supports).count();
    let con = outcomes.iter().filter(|&&o| o == Outcome::Contradicts).count();
    if n > 0 && sup == n {
        Verdict::Supported
    } else if n > 0 && con == n {
        Verdict::Refuted
    } else if sup == 0 && con == 0 {
        Verdict::Inconclusive
    } else if sup > 0 && con > 0 {
        Verdict::DependsOnSetting
    } else {
        Verdict::PartlyUndecided
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actscope_core::Cadence;
    use actscope_core::rng::{seeded, standard_normal, uniform};

    /// The verdict rule of design.md: settings that disagree significantly are *mixed* (depends on setting)
    /// even where others are undecided (C2's 2 for, 1 against, 1 open had read "partly undecided").
    #[test]
    fn settings_significant_both_ways_depend_on_the_setting() {
        use Outcome::{Contradicts as C, Supports as S, Unclear as U};
        let v = verdict_of_outcomes;
        assert_eq!(v(&[S, S]), Verdict::Supported);
        assert_eq!(v(&[C, C]), Verdict::Refuted);
        assert_eq!(v(&[U, U]), Verdict::Inconclusive);
        assert_eq!(v(&[]), Verdict::Inconclusive);
        assert_eq!(v(&[S, C]), Verdict::DependsOnSetting);
        assert_eq!(v(&[S, S, C, U]), Verdict::DependsOnSetting);
        assert_eq!(v(&[S, U, U]), Verdict::PartlyUndecided);
        assert_eq!(v(&[C, U]), Verdict::PartlyUndecided);
    }

    /// The resolution sentence for each case: a detectable difference with its half, and no detectable
    /// difference because of too few seeds or differences that do not vary (it once said "±0.0000").
    #[test]
    fn a_power_statement_says_what_its_test_could_resolve_or_why_it_cannot() {
        let p = PowerStatement {
            observed: 0.0,
            ci_low: -0.01,
            ci_high: 0.01,
            seeds: 20,
            power: 0.8,
            detectable: Some(0.0112),
            seeds_for_half: Some(72),
            more_seeds: Some(52),
            cpu_minutes: Some(0.5),
            largest: None,
        };
        assert_eq!(
            p.resolution(),
            "20 seeds detect a true difference of ±0.0112 or more from the threshold with about 80% power; ±0.0056 would \
             take ~72 seeds per configuration (~52 more, ~0.5 CPU-minutes)"
        );
        let none = PowerStatement { detectable: None, seeds_for_half: None, more_seeds: None, cpu_minutes: None, ..p };
        assert!(none.resolution().starts_with("the differences are the same on all 20 seeds"), "{}", none.resolution());
        let one = PowerStatement { seeds: 1, ..none };
        assert!(one.resolution().starts_with("fewer than two seeds are too few"), "{}", one.resolution());
        // A share's difference is at most 1: C3's 2 seeds "detect a true difference of ±2.9856", and "±1.4928
        // would take ~3 seeds", neither of which can exist.
        let wide = PowerStatement {
            seeds: 2,
            detectable: Some(2.9856),
            seeds_for_half: Some(3),
            more_seeds: Some(1),
            largest: Some(1.0),
            ..p.clone()
        };
        assert_eq!(
            wide.resolution(),
            "2 seeds cannot detect any difference the measure allows: the smallest they detect with about 80% power, \
             ±2.9856 from the threshold, is larger than the largest possible, ±1.0000"
        );
        let half_fits = PowerStatement { detectable: Some(1.5), ..wide };
        assert!(
            half_fits
                .resolution()
                .ends_with("±1.0000; ±0.7500 would take ~3 seeds per configuration (~1 more, ~0.5 CPU-minutes)"),
            "{}",
            half_fits.resolution()
        );
        let cheap = PowerStatement { cpu_minutes: Some(0.02), ..half_fits };
        assert!(cheap.resolution().ends_with("(~1 more, under 0.1 CPU-minute)"), "{}", cheap.resolution());
        assert!(p.resolution() == PowerStatement { largest: Some(1.0), ..p.clone() }.resolution());
        let c = Comparison::new("s", "c", vec![0.1, 0.2], vec![0.3, 0.4], 0.0, TestKind::Paired).within(0.0, 1.0);
        assert_eq!(c.largest_difference(), Some(1.0));
        let one_sample = Comparison::new("s", "c", vec![0.1, 0.2], vec![], 0.25, TestKind::OneSample).within(0.0, 1.0);
        assert_eq!(one_sample.largest_difference(), Some(0.75));
    }

    /// The evaluation steps of a run of `budget` steps evaluated at `grid`'s steps and at the end, as
    /// training places them ([`Cadence`]; C6's is 4 per 150-step epoch: 0, 38, 75, 113, …, 300).
    fn evaluations(grid: Cadence, budget: usize) -> Vec<f64> {
        (0..=budget).filter(|&s| grid.hits_or_last(s, budget)).map(|s| s as f64).collect()
    }

    /// A run's steps to a target (> 0) as the evaluations at `steps_at` (ascending, from 0, the last the
    /// budget) see them: the interval `(before, at]`, or `(budget, ∞)` when past the budget.
    fn observed(steps: f64, steps_at: &[f64]) -> (f64, f64) {
        let i = steps_at.partition_point(|&s| s < steps);
        (steps_at[i - 1], steps_at.get(i).copied().unwrap_or(f64::INFINITY))
    }

    /// Simulated C6 pairs: the true log10 speed-up of each seed pair is N(`mu`, 0.25²); BN's steps to the
    /// target are log-uniform on [`bn_from`, 200]; both runs are read on the evaluations at `grid` and at
    /// `budget` (a BN run reaching the target by the first evaluation leaves its pair's upper bound open).
    /// Returns, per comparison of `pairs` pairs, (lower bounds, upper bounds, the old point values of the
    /// pairs where both runs reached the target).
    fn simulate(
        reps: usize,
        pairs: usize,
        mu: f64,
        (grid, budget): (Cadence, usize),
        seed: u64,
        bn_from: f64,
    ) -> Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> {
        let steps_at = evaluations(grid, budget);
        let mut rng = seeded(seed);
        (0..reps)
            .map(|_| {
                let (mut lo, mut hi, mut point) = (Vec::new(), Vec::new(), Vec::new());
                for _ in 0..pairs {
                    let bn = 10f64.powf(uniform(&mut rng, bn_from.log10(), 200f64.log10()));
                    let none = bn * 10f64.powf(mu + 0.25 * standard_normal(&mut rng));
                    let (b, n) = (observed(bn, &steps_at), observed(none, &steps_at));
                    lo.push((n.0 / b.1).log10());
                    hi.push((n.1 / b.0).log10());
                    if n.1.is_finite() && b.1.is_finite() {
                        point.push((n.1 / b.1).log10());
                    }
                }
                (lo, hi, point)
            })
            .collect()
    }

    /// The bounds test at the claim's boundary (a median speed-up of exactly 10×) rejects in either direction
    /// no more often than α, whatever the grid and budget: C6's (4 evaluations per 150-step epoch: 0, 38, 75,
    /// …, 300), budgets where some or most no-BN runs reach the target, and a finer grid (5 pairs, as C6 has;
    /// the rates docs/statistics.md quotes). The test it replaced — point values read off
    /// the grid, pairs that never reached the target left out — wrongly refutes a true 10× speed-up in 35%
    /// of comparisons where a budget of 1,000 steps lets about half the no-BN runs reach the target, because
    /// the pairs it leaves out are the ones with the largest speed-ups.
    #[test]
    fn the_bounds_test_keeps_its_error_rate_at_the_boundary_and_the_old_test_did_not() {
        const REPS: usize = 4000;
        // Three Monte-Carlo standard errors above α.
        let limit = 0.05 + 3.0 * (0.05f64 * 0.95 / REPS as f64).sqrt();
        // The last case lets BN runs reach the target by the first evaluation (from 10 steps, on C6's grid the
        // first is at 38), so some upper bounds are open from the BN side too.
        // With the rates docs/statistics.md §3 quotes (wrongly supported, wrongly refuted), to one hit in 4,000.
        let c6 = Cadence::per(4, 150);
        for (grid, budget, seed, bn_from, quoted) in [
            (c6, 300, 1, 40.0, (0.0, 0.0)),
            (c6, 1000, 6, 40.0, (0.0, 0.00175)),
            (c6, 5000, 2, 40.0, (0.0095, 0.00675)),
            (Cadence::every(10), 3000, 3, 40.0, (0.03275, 0.0325)),
            (c6, 3000, 7, 10.0, (0.002, 0.00075)),
        ] {
            let sims = simulate(REPS, 5, 1.0, (grid, budget), seed, bn_from);
            if bn_from < evaluations(grid, budget)[1] {
                let open = sims.iter().flat_map(|(_, hi, _)| hi).filter(|h| h.is_infinite()).count();
                assert!(open > REPS, "BN runs at the first evaluation open upper bounds: {open}");
            }
            let (mut up, mut down) = (0, 0);
            for (lo, hi, _) in &sims {
                let (p_claimed, p_opposite, _) = bounds_test(lo, hi, 1.0);
                up += usize::from(p_claimed < 0.05);
                down += usize::from(p_opposite < 0.05);
            }
            let (up, down) = (up as f64 / REPS as f64, down as f64 / REPS as f64);
            eprintln!("grid {grid:?}, budget {budget}, BN from {bn_from}: wrongly supported {up}, refuted {down}");
            assert!(
                up <= limit && down <= limit,
                "grid {grid:?}, budget {budget}: wrongly supported {up}, refuted {down}"
            );
            let hit = 1.0 / REPS as f64 + 1e-12;
            assert!(
                (up - quoted.0).abs() <= hit && (down - quoted.1).abs() <= hit,
                "grid {grid:?}, budget {budget}: {up}, {down}, but docs/statistics.md quotes {quoted:?}"
            );
        }
        // The old test on C6's grid, with a budget of 1,000 steps (about half the runs without BN reach the
        // target; at C6's 300 too few pairs remain for it to reject often).
        let old = simulate(REPS, 5, 1.0, (c6, 1000), 4, 40.0)
            .iter()
            .filter(|(_, _, point)| one_sample(point, 1.0).is_some_and(|t| t.p_less < 0.05))
            .count() as f64
            / REPS as f64;
        eprintln!("old test, C6's grid, budget 1000: wrongly refuted {old}");
        assert!(old > 0.25, "the old test refuted a true 10× speed-up in {old} of the comparisons");
        assert!((old - 0.35).abs() < 0.005, "{old}, but docs/statistics.md quotes 35%");
    }

    /// Where the true speed-up is far from 10×, the bounds test decides: a 2× speed-up is refuted on C6's grid
    /// (every upper bound finite once no-BN runs reach the target), and a 30× one is supported with a budget
    /// long enough to show it.
    #[test]
    fn the_bounds_test_decides_clear_cases() {
        let share = |mu: f64, budget: usize, pick: fn((f64, f64, f64)) -> f64| {
            let sims = simulate(500, 8, mu, (Cadence::per(4, 150), budget), 5, 40.0);
            sims.iter().filter(|(lo, hi, _)| pick(bounds_test(lo, hi, 1.0)) < 0.05).count() as f64 / 500.0
        };
        assert!(share(2f64.log10(), 3000, |p| p.1) > 0.8, "a 2× speed-up is refuted");
        assert!(share(30f64.log10(), 20_000, |p| p.0) > 0.8, "a 30× speed-up is supported");
    }

    /// The fixed-sample rule of the claims not run in rounds (C1, C3, C5, C7–C9), simulated at the threshold:
    /// claims of 7 independent paired comparisons of 5 seeds (C3's size) and of 2 of 3 seeds (C1's), every comparison's
    /// true difference exactly at the threshold. Holm keeps each direction's family-wise rate at α (so a wrong
    /// call either way, up to 2α, as docs/statistics.md §3 says); without the adjustment the 7-comparison
    /// claim makes a wrong call in one direction in 30% of claims, the 2-comparison one in 10%.
    #[test]
    fn the_fixed_sample_rule_holds_each_direction_at_alpha() {
        const CLAIMS: usize = 10_000;
        let bound = ALPHA + 3.0 * (ALPHA * (1.0 - ALPHA) / CLAIMS as f64).sqrt();
        let mut rng = seeded(0x51a7);
        for (m, n) in [(7usize, 5usize), (2, 3)] {
            let (mut supports, mut contradicts, mut raw) = (0usize, 0usize, 0usize);
            for _ in 0..CLAIMS {
                let mut cs: Vec<Comparison> = (0..m)
                    .map(|_| {
                        // A shared per-seed effect (sd 0.01) and paired differences of sd 0.008 exactly at the
                        // margin −0.01.
                        let (a, b): (Vec<f64>, Vec<f64>) = (0..n)
                            .map(|_| {
                                let base = 0.8 + 0.01 * standard_normal(&mut rng);
                                (base - 0.01 + 0.008 * standard_normal(&mut rng), base)
                            })
                            .unzip();
                        Comparison::new("null", "a ≥ b − 0.01", a, b, -0.01, TestKind::Paired)
                    })
                    .collect();
                if cs.iter().any(|c| c.p_claimed < ALPHA) {
                    raw += 1;
                }
                judge(&mut cs);
                supports += usize::from(cs.iter().any(|c| c.outcome == Outcome::Supports));
                contradicts += usize::from(cs.iter().any(|c| c.outcome == Outcome::Contradicts));
            }
            let rate = |k: usize| k as f64 / CLAIMS as f64;
            eprintln!(
                "{m} null comparisons of {n} seeds: family-wise wrong support {:.4}, wrong contradiction {:.4}, unadjusted support {:.4}",
                rate(supports),
                rate(contradicts),
                rate(raw)
            );
            assert!(rate(supports) <= bound && rate(contradicts) <= bound, "{m}×{n}: {supports} / {contradicts}");
            // The rates docs/statistics.md §3 quotes, to one hit in 10,000.
            let quoted = if m == 7 { [0.0484, 0.0448, 0.2998] } else { [0.0465, 0.0495, 0.0966] };
            for (k, q) in [supports, contradicts, raw].into_iter().zip(quoted) {
                assert!((rate(k) - q).abs() <= 1e-4 + 1e-12, "{m}×{n}: {}, but docs/statistics.md quotes {q}", rate(k));
            }
            // Without the adjustment the same claims break the bound this test holds Holm to (0.10 and 0.30).
            assert!(rate(raw) > bound, "without Holm the rate would exceed α: {}", rate(raw));
        }
    }
}
