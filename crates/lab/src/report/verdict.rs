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
//! **inconclusive** if none is significant either way; **depends on setting** if every comparison is
//! significant but not all the same way (the report lists which settings went which way); **partly
//! undecided** if some comparisons are significant and some are not.

use actscope_core::{Activation, Placement};
use actscope_metrics::sequential::{Decision, Design, Look, Sequential, decide};
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
    /// Every setting is decided, but not all the same way (the claim holds in some settings and fails in
    /// others; the report says which).
    DependsOnSetting,
    /// Some settings are decided and some are not.
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
    /// The E1 configurations (activation, placement) whose runs give `a` and `b`, for deciding which
    /// configurations need more seeds.
    pub configs: Vec<(Activation, Placement)>,
    /// The seed of each value of `a` (and of `b`, for paired comparisons), when known.
    pub seeds: Vec<u64>,
    /// Runs behind `a` and `b` that trained but ended at chance level (failed to learn); their values
    /// describe an untrained network.
    pub failed_to_learn: usize,
    /// For comparisons tested in rounds of seeds: the group-sequential decision that set the outcome.
    pub sequential: Option<SequentialOutcome>,
    /// For a comparison left undecided: what it would take to decide it.
    pub power: Option<PowerStatement>,
}

/// How a comparison tested in rounds of seeds came out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SequentialOutcome {
    /// Seeds (pairs) at each look.
    pub looks: Vec<usize>,
    /// The decision and the levels it was tested at.
    pub result: Sequential,
}

/// What an undecided comparison would need: its observed difference from the threshold and the seeds
/// that would decide it at the design's power.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PowerStatement {
    /// Observed mean of a − b (or of a, one-sample) minus the threshold.
    pub observed: f64,
    /// 95% interval of that difference (paired or Welch), low end.
    pub ci_low: f64,
    /// High end.
    pub ci_high: f64,
    /// Seeds per configuration that would decide a difference of this size at the design's power
    /// (None: the observed difference is zero, or the spread unknown).
    pub seeds_needed: Option<usize>,
    /// Seeds beyond those already run.
    pub more_seeds: Option<usize>,
    /// CPU minutes those extra runs would take at the measured time per run (two configurations).
    pub cpu_minutes: Option<f64>,
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
            failed_to_learn: 0,
            sequential: None,
            power: None,
        }
    }
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

/// Judges one claim's comparisons tested in rounds of seeds: `histories[i]` holds comparison i's looks.
/// The outcome of each comparison is its group-sequential decision (`actscope_metrics::sequential::decide`:
/// α-spending boundaries, α/2 per direction, Holm within the claim); the Holm-adjusted fixed-sample
/// p-values are still filled in, for reading only.
///
/// # Errors
/// An invalid design or history (see `decide`), as text.
pub fn judge_sequential(
    comparisons: &mut [Comparison],
    histories: &[Vec<Look>],
    design: &Design,
) -> Result<Verdict, String> {
    holm_adjust(comparisons);
    let results = decide(design, histories).map_err(|e| e.to_string())?;
    for ((c, r), h) in comparisons.iter_mut().zip(results).zip(histories) {
        c.outcome = match r.decision {
            Decision::Supports { .. } => Outcome::Supports,
            Decision::Contradicts { .. } => Outcome::Contradicts,
            Decision::Continue | Decision::Undecided => Outcome::Unclear,
        };
        c.sequential = Some(SequentialOutcome { looks: h.iter().map(|l| l.n).collect(), result: r });
    }
    Ok(verdict_of(comparisons))
}

/// The verdict from the comparisons' outcomes (see the module docs).
pub fn verdict_of(comparisons: &[Comparison]) -> Verdict {
    let n = comparisons.len();
    let sup = comparisons.iter().filter(|c| c.outcome == Outcome::Supports).count();
    let con = comparisons.iter().filter(|c| c.outcome == Outcome::Contradicts).count();
    if n > 0 && sup == n {
        Verdict::Supported
    } else if n > 0 && con == n {
        Verdict::Refuted
    } else if sup == 0 && con == 0 {
        Verdict::Inconclusive
    } else if sup + con == n {
        Verdict::DependsOnSetting
    } else {
        Verdict::PartlyUndecided
    }
}
