//! The nine claims of the thread (design §1), each turned into comparisons on the experiments' data.
//! Which numbers, which test, which threshold and which direction are fixed here, before any run.

use actscope_core::{Activation, Placement};
use actscope_metrics::records::Checkpoint;
use serde::Serialize;

use super::aggregate::{Experiment, Run, at_first, at_last};
use super::cost::StepTiming;
use super::verdict::{
    Comparison, Outcome, PowerStatement, Subject, TestKind, Verdict, When, judge, judge_sequential, verdict_of_outcomes,
};
use crate::config::{DEFAULT_TAU, RunConfig};
use crate::run::CHANCE_MARGIN;
use actscope_metrics::sequential::{Decision, Design, Effect, Look, Spread};
use actscope_metrics::stats::describe;

/// Non-inferiority margin for "works as well as" (C2): one percentage point of test accuracy.
pub const AS_WELL_AS_MARGIN: f64 = 0.01;
/// Validation accuracy whose first crossing measures training speed (C6).
pub const SPEED_TARGET: f64 = 0.8;
/// Share of sigmoid outputs inside [0.5, 0.731] that "lies in" means (C7).
pub const LIES_IN_SHARE: f64 = 0.95;
/// Saturation rate of the most saturated layer that counts as "saturating" (C8).
pub const SATURATING_RATE: f64 = 0.1;

/// Orders of magnitude by which the weight gradient must shrink from the output layer to the most saturated
/// hidden layer for that layer's neurons to count as having stopped learning (C8): 2, i.e. the layer
/// receives less than 1% of the output layer's gradient.
pub const STOPPED_ATTENUATION: f64 = 2.0;

/// log10(‖∂L/∂W_out‖ / ‖∂L/∂W_l‖) for the most saturated hidden layer l of a checkpoint: how many orders of
/// magnitude the gradient loses between the output layer and the layer that saturates most (C8).
pub fn attenuation_at_most_saturated(c: &Checkpoint) -> Option<f64> {
    let layer = c
        .layers
        .iter()
        .filter_map(|l| l.saturation.map(|s| (s.rate, l.grad_w_norm)))
        .max_by(|a, b| a.0.total_cmp(&b.0))?;
    (layer.1 > 0.0 && c.output_grad_w_norm > 0.0).then(|| (c.output_grad_w_norm / layer.1).log10())
}

/// The nine claims' results, each under its own name (so nothing is looked up by an id string).
#[derive(Clone, Debug, Serialize)]
pub struct ClaimSet {
    /// C1: BN and ReLU both remedy vanishing gradients.
    pub c1: ClaimResult,
    /// C2: with BN, sigmoid/tanh work as well as ReLU.
    pub c2: ClaimResult,
    /// C3: BN solves dead ReLUs.
    pub c3: ClaimResult,
    /// C4: BN after the activation works better.
    pub c4: ClaimResult,
    /// C5: ReLU keeps a compute advantage.
    pub c5: ClaimResult,
    /// C6: BN speeds training up 10× or more.
    pub c6: ClaimResult,
    /// C7: with BN, sigmoid(z) lies in [0.5, 0.73].
    pub c7: ClaimResult,
    /// C8: sigmoids are always saturating.
    pub c8: ClaimResult,
    /// C9: ReLU + BN gives more diverse outputs.
    pub c9: ClaimResult,
}

impl ClaimSet {
    /// Every claim, in order C1 … C9.
    pub fn all(&self) -> [&ClaimResult; 9] {
        [&self.c1, &self.c2, &self.c3, &self.c4, &self.c5, &self.c6, &self.c7, &self.c8, &self.c9]
    }
}

/// A claim with its comparisons and verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimResult {
    /// C1 … C9.
    pub id: &'static str,
    /// The claim, as made in the thread.
    pub text: &'static str,
    /// Who made it.
    pub source: &'static str,
    /// How the claim is tested, in words.
    pub method: String,
    /// The comparisons.
    pub comparisons: Vec<Comparison>,
    /// The verdict.
    pub verdict: Verdict,
    /// Figures (file stems) that show the evidence.
    pub figures: Vec<&'static str>,
    /// The experiments whose runs the claim reads (E1 … E8; E5 and E6 are views of E1).
    pub experiments: Vec<&'static str>,
    /// Settings left out for lack of data (fewer than two values on a side), e.g. absent from this profile.
    pub skipped: Vec<String>,
    /// Settings set aside although they have data, each with the reason (C8: runs that failed to learn).
    pub set_aside: Vec<String>,
    /// For a claim whose setting is judged on several rows together (C8's two parts): each setting's
    /// outcome, from which the verdict is taken. Empty where each row is a setting.
    pub by_setting: Vec<(String, Outcome)>,
    /// Which verdicts this budget cannot reach, where that is known before any run (C6: a speed-up of 10
    /// cannot be resolved on the evaluation grid, so the claim can be refuted but not supported), in words
    /// for the verdict table.
    pub reach: Option<String>,
}

fn is(act: Activation, placement: Placement) -> impl Fn(&RunConfig) -> bool {
    move |c: &RunConfig| c.activation == act && c.placement == placement
}

struct Claim {
    id: &'static str,
    text: &'static str,
    source: &'static str,
    experiments: &'static [&'static str],
    figures: &'static [&'static str],
}

fn claim(c: Claim, method: String, comparisons: Vec<Comparison>) -> ClaimResult {
    let Claim { id, text, source, experiments, figures } = c;
    let (mut kept, left): (Vec<Comparison>, Vec<Comparison>) =
        comparisons.into_iter().partition(|c| c.a.len() >= 2 && (c.test == TestKind::OneSample || c.b.len() >= 2));
    let skipped = left.into_iter().map(|c| c.setting).collect();
    let verdict = judge(&mut kept);
    ClaimResult {
        id,
        text,
        source,
        method,
        comparisons: kept,
        verdict,
        figures: figures.to_vec(),
        experiments: experiments.to_vec(),
        skipped,
        set_aside: Vec::new(),
        reach: None,
        by_setting: Vec::new(),
    }
}

/// Rounds of seeds for the claims tested sequentially (C2 and C4): the design and the seeds judged on per
/// configuration after each round so far.
#[derive(Clone, Debug)]
pub struct Rounds {
    /// The group-sequential design (α, spending function, cap, power).
    pub design: Design,
    /// The first seed judged on: the seeds below it chose the learning rates and are in no look
    /// (docs/statistics.md §6).
    pub first_seed: u64,
    /// Seeds judged on per configuration after each round with a look, ascending: seeds `first_seed`, the
    /// next, ….
    pub looks: Vec<usize>,
}

/// Per-seed values of two configurations' runs, paired by seed: (seed, a, b), ascending by seed; pairs
/// with a non-finite value (a diverged run) are left out.
fn paired_by_seed(a: &[&Run], b: &[&Run], value: impl Fn(&Run) -> f64) -> Vec<(u64, f64, f64)> {
    let mut out: Vec<(u64, f64, f64)> = a
        .iter()
        .filter_map(|ra| {
            let rb = b.iter().find(|rb| rb.config.seed == ra.config.seed)?;
            Some((ra.config.seed, value(ra), value(rb)))
        })
        .filter(|p| p.1.is_finite() && p.2.is_finite())
        .collect();
    out.sort_by_key(|p| p.0);
    out
}

/// The two sides of a comparison paired by seed ([`paired_by_seed`]): `a[i]` and `b[i]` come from runs of
/// one seed, which see the same batches in the same order (design.md: a paired test where runs are paired
/// by seed). A seed without a finite value on both sides is left out.
fn paired_sides(a: &[&Run], b: &[&Run], value: impl Fn(&Run) -> f64) -> (Vec<f64>, Vec<f64>) {
    paired_by_seed(a, b, value).into_iter().map(|(_, x, y)| (x, y)).unzip()
}

/// The looks of a paired comparison, one entry per round: the pairs with seed in `first .. first + n` for
/// that round's `n` (`first`: [`Rounds::first_seed`]), or `None` where the round added no
/// pair with a value on both sides (or fewer than two have one), so that look k stays the look of round k
/// (`decide_in_rounds`).
fn paired_history(pairs: &[(u64, f64, f64)], threshold: f64, first: u64, looks: &[usize]) -> Vec<Option<Look>> {
    let mut out: Vec<Option<Look>> = Vec::new();
    let mut last = 0;
    for &n in looks {
        let (a, b): (Vec<f64>, Vec<f64>) = pairs
            .iter()
            .filter(|p| (first..first + n as u64).contains(&p.0))
            .filter(|p| p.1.is_finite() && p.2.is_finite())
            .map(|p| (p.1, p.2))
            .unzip();
        let look = Look::paired(&a, &b, threshold).filter(|l| l.n > last);
        last = look.map_or(last, |l| l.n);
        out.push(look);
    }
    out
}

/// The method text's ending for a claim judged in rounds of seeds (empty when judged once).
fn sequential_note(rounds: Option<&Rounds>) -> &'static str {
    if rounds.is_some() {
        "; seeds in rounds, each comparison tested group-sequentially (α-spending boundaries, α/2 per direction, Holm within the claim; docs/statistics.md)"
    } else {
        ""
    }
}

/// How C1, C3 and C9 compare their two sides (C2 and C4 say it with their sequential design).
const PAIRED_RULE: &str = "paired t-test over seeds (runs of one seed see the same batches in the same order, so their values are paired; a seed whose run on either side has no value is left out with its partner)";

/// What the method text of a claim valued at the end of training says about runs that have no end ([`at_end`]).
const AT_END_RULE: &str =
    "a run that stopped at a non-finite loss has no end of training: it is left out, and counted in its row";

/// The setting of a row valued at the end of training, saying how many of the runs behind it (all of
/// `sides`) are left out because they stopped early at a non-finite loss and have no end of training.
fn at_end(setting: impl Into<String>, sides: &[&[&Run]], pairs: Option<usize>) -> String {
    left_out(setting.into(), sides, &[(Run::stopped_early, STOPPED_EARLY)], pairs)
}

/// What the method text of C2 and C4 says about runs that stopped at a non-finite loss ([`Run::judged_test_accuracy`]).
const AT_CHANCE_RULE: &str = "a run that stopped at a non-finite loss scores chance level (leaving it out would compare the arms on their runs that succeeded, which favours the arm that fails more often) and is counted in its row";

/// The setting of a C2 or C4 row, saying how many of the runs behind it (all of `sides`) stopped at a
/// non-finite loss and score chance level. (How many seeds it pairs is its table's n.)
fn at_chance(setting: String, sides: &[&[&Run]]) -> String {
    let why = "scored at chance level: stopped at a non-finite loss before the end of training";
    left_out(setting, sides, &[(Run::stopped_early, why)], None)
}

/// What [`at_end`] says of the runs it leaves out.
const STOPPED_EARLY: &str = "left out: stopped at a non-finite loss before the end of training";

/// Runs a row leaves out or scores otherwise: which (those the function holds for), and what became of
/// them and why ("left out: diverged").
type LeftOut<'a> = (fn(&Run) -> bool, &'a str);

/// `setting` with what its row leaves out, in parentheses: for each of `outs`, how many of the runs behind it
/// (all of `sides`) it holds for, and what became of them and why (its text); for a comparison paired by seed
/// (`pairs`: how many seeds it pairs), how many of the seeds have a value on both sides. `setting` alone
/// when nothing is left out.
fn left_out(setting: String, sides: &[&[&Run]], outs: &[LeftOut<'_>], pairs: Option<usize>) -> String {
    let mut notes = Vec::new();
    for &(out, why) in outs {
        let (n, all) =
            sides.iter().fold((0, 0), |(n, all), runs| (n + runs.iter().filter(|r| out(r)).count(), all + runs.len()));
        if n > 0 {
            notes.push(format!("{n} of {all} runs {why}"));
        }
    }
    let seeds: std::collections::BTreeSet<u64> = sides.iter().flat_map(|s| s.iter().map(|r| r.config.seed)).collect();
    if let Some(k) = pairs.filter(|&k| k < seeds.len()) {
        notes.push(format!("{k} of {} seeds paired, with a value on both sides", seeds.len()));
    }
    if notes.is_empty() { setting } else { format!("{setting} ({})", notes.join("; ")) }
}

/// How many of `runs` trained but ended at chance level.
pub(crate) fn failed(runs: &[&Run]) -> usize {
    runs.iter().filter(|r| r.summary.failed_to_learn()).count()
}

/// Median wall seconds per run.
fn median_wall(runs: &[&Run]) -> f64 {
    let mut w: Vec<f64> = runs.iter().map(|r| r.summary.wall_seconds).collect();
    w.sort_by(f64::total_cmp);
    w.get(w.len() / 2).copied().unwrap_or(f64::NAN)
}

/// A claim of comparisons paired by seed ([`claim`]), judged at a fixed sample; its undecided rows say what
/// their seeds could resolve and what deciding them would take ([`judge_paired`], at the median wall time
/// of `runs`).
fn paired_claim(c: Claim, method: String, comparisons: Vec<Comparison>, runs: &[Run]) -> ClaimResult {
    judge_paired(claim(c, method, comparisons), None, median_wall(&runs.iter().collect::<Vec<_>>()))
}

/// A claim of paired comparisons, judged by fixed-sample Holm, or sequentially when `rounds` is given;
/// undecided comparisons get a power statement either way.
fn judge_paired(mut result: ClaimResult, rounds: Option<&Rounds>, wall: f64) -> ClaimResult {
    // Without rounds, `judge` tests each direction at ALPHA (Holm's smallest level ALPHA/m); a design whose
    // α per direction is ALPHA gives the power statements that level.
    let design =
        rounds.map_or_else(|| Design { alpha: 2.0 * super::verdict::ALPHA, ..Design::default() }, |r| r.design);
    if let Some(r) = rounds {
        let histories: Vec<Vec<Option<Look>>> = result
            .comparisons
            .iter()
            .map(|k| {
                let pairs: Vec<(u64, f64, f64)> =
                    k.seeds.iter().zip(k.a.iter().zip(&k.b)).map(|(s, (a, b))| (*s, *a, *b)).collect();
                paired_history(&pairs, k.threshold, r.first_seed, &r.looks)
            })
            .collect();
        match judge_sequential(&mut result.comparisons, &histories, &r.design) {
            Ok(v) => {
                result.verdict = v;
                // At the cap no more seeds come: a comparison whose last look has fewer pairs than seeds run (a
                // pair without a value) is as undecided as one at the cap, not open. (It was counted open
                // while the rounds stopped, and the methods counted it in neither.)
                if r.looks.last().is_some_and(|&n| n >= r.design.n_max) {
                    for seq in result.comparisons.iter_mut().filter_map(|k| k.sequential.as_mut()) {
                        if seq.result.decision == Decision::Continue {
                            seq.result.decision = Decision::Undecided;
                        }
                    }
                }
            }
            // Never silently: the verdict stays the fixed-sample one, and the method says why.
            Err(e) => result.method.push_str(&format!(
                "; the group-sequential test could not be applied ({e}), so the fixed-sample rules decided"
            )),
        }
    }
    // Holm's family: the sequential test counts every comparison; fixed-sample Holm (`stats::holm`) leaves
    // out those without a p-value (fewer than two pairs), so its smallest level is α over the rest.
    let m = match rounds {
        Some(_) => result.comparisons.len(),
        None => result.comparisons.iter().filter(|k| !k.p_claimed.is_nan()).count(),
    };
    for k in &mut result.comparisons {
        if k.outcome != super::verdict::Outcome::Unclear {
            continue;
        }
        let d: Vec<f64> = k.a.iter().zip(&k.b).map(|(a, b)| a - b - k.threshold).filter(|d| d.is_finite()).collect();
        let ci = describe(&d);
        // The spread of the same finite differences `ci` describes (what `Effect::paired` would compute again).
        let spread = (ci.n >= 2).then_some(Spread::Paired { sd_diff: ci.sd });
        let detectable = spread.and_then(|s| design.detectable(s, m, ci.n));
        let half = spread
            .zip(detectable)
            .and_then(|(spread, d)| design.seeds_to_decide(&Effect { delta: d / 2.0, spread }, m));
        let more = half.map(|n| n.saturating_sub(ci.n));
        k.power = Some(PowerStatement {
            observed: ci.mean,
            ci_low: ci.ci_low,
            ci_high: ci.ci_high,
            seeds: ci.n,
            power: design.power,
            detectable,
            seeds_for_half: half,
            more_seeds: more,
            cpu_minutes: more.map(|m| m as f64 * 2.0 * wall / 60.0),
            largest: k.largest_difference(),
        });
    }
    result
}

/// C1: BN and ReLU both remedy vanishing gradients (E2, deepest nets, at initialisation).
pub fn c1(e2: &Experiment) -> ClaimResult {
    let depth = e2.max_depth();
    let runs = |act, p| e2.selected(move |c: &RunConfig| c.widths().len() == depth && is(act, p)(c));
    let (sig_none, sig_bn, relu_none) = (
        runs(Activation::Sigmoid, Placement::None),
        runs(Activation::Sigmoid, Placement::Before),
        runs(Activation::Relu, Placement::None),
    );
    let vi = |r: &Run| r.first().map_or(f64::NAN, |c| c.vanishing_index);
    let (bn, bn_none) = paired_sides(&sig_bn, &sig_none, vi);
    let (relu, relu_sig) = paired_sides(&relu_none, &sig_none, vi);
    // Each row says how many seeds it pairs where a seed has no value on one side.
    let setting = |text: &str, sides: &[&[&Run]], pairs: usize| left_out(text.to_string(), sides, &[], Some(pairs));
    let (bn_setting, relu_setting) = (
        setting("BN: sigmoid, BN before vs no BN", &[&sig_bn, &sig_none], bn.len()),
        setting("ReLU: ReLU vs sigmoid, no BN", &[&relu_none, &sig_none], relu.len()),
    );
    let at_init = |activation, placement| Subject {
        activation: Some(activation),
        placement: Some(placement),
        when: Some(When::Init),
        ..Subject::default()
    };
    paired_claim(
        Claim {
            id: "C1",
            text: "BN and ReLU are both remedies for vanishing gradients",
            source: "the question",
            experiments: &["E2"],
            figures: &["gradient_norms", "accuracy_vs_depth"],
        },
        format!(
            "vanishing index log10(‖∂L/∂W_first‖/‖∂L/∂W_out‖) at initialisation in nets of {depth} hidden layers (E2); a remedy raises it. The index is relative: its norms are over matrices of different sizes (inputs × width entries against width × classes), so gradients of equal size per entry give ½·log10 of the ratio of their entry counts (above 0 wherever the first matrix has more entries), not 0; each row compares nets of the same shapes, where that offset cancels; {PAIRED_RULE}"
        ),
        vec![
            Comparison::new(bn_setting, "index(BN) > index(no BN)", bn, bn_none, 0.0, TestKind::Paired)
                .about(at_init(Activation::Sigmoid, Placement::Before)),
            Comparison::new(relu_setting, "index(ReLU) > index(sigmoid)", relu, relu_sig, 0.0, TestKind::Paired)
                .about(at_init(Activation::Relu, Placement::None)),
        ],
        &e2.runs,
    )
}

/// C2: with BN, sigmoid/tanh work as well as or better than ReLU (E1, each at its best learning rate).
/// Runs of the same seed share their data order and initial weights (common random numbers), so the
/// comparison is paired by seed; with `rounds`, it is tested group-sequentially.
pub fn c2(e1: &Experiment, rounds: Option<&Rounds>) -> ClaimResult {
    let mut cs = Vec::new();
    let mut walls = Vec::new();
    for p in [Placement::Before, Placement::After] {
        let relu = e1.selected(is(Activation::Relu, p));
        for act in [Activation::Sigmoid, Activation::Tanh] {
            let runs = e1.selected(is(act, p));
            walls.extend(runs.iter().copied());
            let pairs = paired_by_seed(&runs, &relu, Run::judged_test_accuracy);
            let failed_runs = failed(&runs) + failed(&relu);
            cs.push(
                Comparison::new(
                    at_chance(format!("BN {p}: {act} vs relu"), &[&runs, &relu]),
                    format!("acc({act}) > acc(relu) − {AS_WELL_AS_MARGIN}"),
                    pairs.iter().map(|p| p.1).collect(),
                    pairs.iter().map(|p| p.2).collect(),
                    -AS_WELL_AS_MARGIN,
                    TestKind::Paired,
                )
                .within(0.0, 1.0)
                .about(Subject { activation: Some(act), placement: Some(p), ..Subject::default() })
                .of_configs(vec![(act, p), (Activation::Relu, p)])
                .with_seeds(pairs.iter().map(|p| p.0).collect())
                .with_failed(failed_runs),
            );
        }
    }
    let sequential = sequential_note(rounds);
    let result = claim(
        Claim {
            id: "C2",
            text: "With BN, sigmoid or tanh work as well as or better than ReLU",
            source: "the question",
            experiments: &["E1"],
            figures: &["accuracy_heatmap", "learning_curves", "lr_sensitivity"],
        },
        format!(
            "final test accuracy over seeds (E1), each configuration at the learning rate chosen on validation on seeds of its own (not those compared); \"as well as\" = not worse by more than {AS_WELL_AS_MARGIN} (non-inferiority); paired by seed (runs of one seed share data order and initial weights), paired t-test; {AT_CHANCE_RULE}{sequential}{}",
            speed_to_target(e1)
        ),
        cs,
    );
    judge_paired(result, rounds, median_wall(&walls))
}

/// When a configuration's runs reached a target validation accuracy ([`median_reach`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reached {
    /// Median over runs of the first evaluation step at or above the target (∞ where half or more never
    /// reached it).
    pub median: f64,
    /// Runs that never reached it.
    pub never: usize,
    /// Runs with validation evaluations.
    pub runs: usize,
}

/// The median over `runs` of the first evaluation step at which validation accuracy reached `target`, a
/// run that never reached it counting as later than any that did (so the median is finite while fewer than
/// half missed it); `None` without evaluations.
pub fn median_reach(runs: &[&Run], target: f64) -> Option<Reached> {
    let mut at: Vec<f64> = runs.iter().filter_map(|r| reach_interval(r, target)).map(|r| r.1).collect();
    if at.is_empty() {
        return None;
    }
    at.sort_by(f64::total_cmp);
    let n = at.len();
    let median = if n % 2 == 1 { at[n / 2] } else { (at[n / 2 - 1] + at[n / 2]) / 2.0 };
    Some(Reached { median, never: at.iter().filter(|s| s.is_infinite()).count(), runs: n })
}

/// C2's second measure (design.md: "final accuracy and steps-to-target"), described and not tested: per
/// configuration at its selected rate, the median over seeds of the first evaluation step at which
/// validation accuracy reached [`SPEED_TARGET`], and how many runs never did. Empty without evaluations.
fn speed_to_target(e1: &Experiment) -> String {
    let mut parts = Vec::new();
    for p in [Placement::Before, Placement::After] {
        let items: Vec<String> = [Activation::Sigmoid, Activation::Tanh, Activation::Relu]
            .into_iter()
            .filter_map(|act| {
                let Reached { median, never, runs } = median_reach(&e1.selected(is(act, p)), SPEED_TARGET)?;
                // A median of an even count of seeds can fall between two evaluations (166.5 had printed as
                // 166, and 129.5 as 130): shown as it is.
                let median = if !median.is_finite() {
                    "not reached".to_string()
                } else if median.fract() == 0.0 {
                    format!("{median:.0}")
                } else {
                    format!("{median:.1}")
                };
                let missed =
                    if never > 0 { format!(" ({never} of {runs} runs never reached it)") } else { String::new() };
                Some(format!("{act} {median}{missed}"))
            })
            .collect();
        if !items.is_empty() {
            parts.push(format!("BN {p}: {}", items.join(", ")));
        }
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(
        ". Steps to validation accuracy {SPEED_TARGET} (the first evaluation at or above it; median over seeds, a run that never reached it counting as later than any that did), described and not tested — the verdict rests on final accuracy: {}",
        parts.join("; ")
    )
}

/// C3's measure of a checkpoint: the dead-unit fraction averaged over the layers that have one.
pub fn mean_dead(c: &Checkpoint) -> Option<f64> {
    let v: Vec<f64> = c.layers.iter().filter_map(|l| l.dead.map(|d| d.dead_fraction)).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// C8's measure of a checkpoint: the saturation rate of its most saturated layer.
pub fn max_saturation(c: &Checkpoint) -> Option<f64> {
    c.layers.iter().filter_map(|l| l.saturation.map(|s| s.rate)).reduce(f64::max)
}

/// The stress settings (learning rate, initial bias) that E3's runs hold, descending by bias and then
/// ascending by learning rate, so the grid is written once: in E3's sweep file.
pub fn stress_settings(e3: &Experiment) -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for r in &e3.runs {
        let s = (r.config.lr, r.config.bias_init.unwrap_or(0.0));
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.total_cmp(&b.0)));
    out
}

/// The E3 runs of one stress setting and BN placement.
pub fn stress_runs(e3: &Experiment, (lr, bias): (f64, f64), p: Placement) -> Vec<&Run> {
    e3.matching(move |c: &RunConfig| c.placement == p && c.lr == lr && c.bias_init.unwrap_or(0.0) == bias)
}

/// Per-run dead-unit fraction (mean over layers) at the end of training.
pub fn final_dead(runs: &[&Run]) -> Vec<f64> {
    at_last(runs, mean_dead)
}

/// Each hidden layer's dead-unit fraction at the end of training, averaged over the runs of `seeds` (the
/// seeds a C3 row pairs), first layer first: what [`mean_dead`] averages away. A layer without a value in
/// some run is averaged over the runs that have one.
pub fn layer_dead_means(runs: &[&Run], seeds: &[u64]) -> Vec<f64> {
    let mut sums: Vec<(f64, usize)> = Vec::new();
    for r in runs.iter().filter(|r| seeds.contains(&r.config.seed)) {
        let Some(end) = r.end() else { continue };
        for (i, d) in end.layers.iter().filter_map(|l| l.dead.map(|d| d.dead_fraction)).enumerate() {
            if i == sums.len() {
                sums.push((0.0, 0));
            }
            if d.is_finite() {
                sums[i].0 += d;
                sums[i].1 += 1;
            }
        }
    }
    sums.into_iter().map(|(s, n)| if n == 0 { f64::NAN } else { s / n as f64 }).collect()
}

/// C3's rule for diverged runs: a diverged network has no trained units whose death BN could have
/// prevented, so its dead fraction is no evidence either way.
const C3_DIVERGED_RULE: &str = "a run that diverged (a non-finite loss, or a loss that stayed above 10 times its initial value) is left out of its row and counted there: a diverged network has no trained units to be dead or alive, and its few dead units are no sign that BN kept them alive";

/// The setting of a C3 row, saying how many of the runs behind it (all of `sides`) diverged and are left
/// out.
fn without_diverged(setting: String, sides: &[&[&Run]], pairs: usize) -> String {
    left_out(setting, sides, &[(|r: &Run| !r.summary.is_ok(), "left out: diverged")], Some(pairs))
}

/// C3: BN solves dead ReLUs (E3 stress settings).
pub fn c3(e3: &Experiment) -> ClaimResult {
    let mut cs = Vec::new();
    // Diverged runs are left out (C3_DIVERGED_RULE): a statistician found a row "supporting" the claim on
    // five BN-after runs whose losses had reached 1e6–1e9.
    let trained = |r: &Run| if r.summary.is_ok() { r.end().and_then(mean_dead).unwrap_or(f64::NAN) } else { f64::NAN };
    for (lr, bias) in stress_settings(e3) {
        let none_runs = stress_runs(e3, (lr, bias), Placement::None);
        for p in [Placement::Before, Placement::After] {
            let bn_runs = stress_runs(e3, (lr, bias), p);
            let pairs = paired_by_seed(&none_runs, &bn_runs, trained);
            let seeds: Vec<u64> = pairs.iter().map(|p| p.0).collect();
            let (none, bn): (Vec<f64>, Vec<f64>) = pairs.into_iter().map(|(_, x, y)| (x, y)).unzip();
            let (none_layers, bn_layers) = (layer_dead_means(&none_runs, &seeds), layer_dead_means(&bn_runs, &seeds));
            cs.push(
                Comparison::new(
                    without_diverged(
                        format!("lr {lr}, initial bias {bias}: no BN vs BN {p}"),
                        &[&none_runs, &bn_runs],
                        none.len(),
                    ),
                    "dead(no BN) > dead(BN)",
                    none,
                    bn,
                    0.0,
                    TestKind::Paired,
                )
                .within(0.0, 1.0)
                .with_layers(none_layers, bn_layers)
                .with_failed(failed(&none_runs) + failed(&bn_runs))
                .about(Subject {
                    activation: Some(Activation::Relu),
                    placement: Some(p),
                    lr: Some(lr),
                    bias_init: Some(bias),
                    when: Some(When::End),
                }),
            );
        }
    }
    paired_claim(
        Claim {
            id: "C3",
            text: "BN pushes pre-activations to both signs, so BN solves dead ReLUs",
            source: "the question",
            experiments: &["E3"],
            figures: &["dead_units"],
        },
        format!(
            "dead-unit fraction (mean over layers: the dead-unit figure shows each layer, and a layer can differ much from the mean) at the end of training in ReLU nets under stress — a high learning rate and/or a negative initial bias (E3); {PAIRED_RULE}; each row gives the value without BN first; with BN before φ the Linear layer has no bias and BN's shift β takes its place, so there the initial bias is β's initial value: the same constant shift at initialisation, but not the same stress, since after BN the pre-activations have unit variance{}; {C3_DIVERGED_RULE}; a run that trained but ended at chance level stays in (dead units are one way to end there) and is counted",
            shifted_share(e3)
        ),
        cs,
        &e3.runs,
    )
}

/// For each negative initial bias of E3's stress settings, the share of a standardised pre-activation
/// (BN before φ at initialisation) that stays positive under that shift, Φ(b): "(with β = -1, 16% of them
/// stay positive)". Without BN the same bias, against pre-activations of small spread, can silence a whole
/// layer from step 0.
fn shifted_share(e3: &Experiment) -> String {
    use statrs::distribution::{ContinuousCDF, Normal};
    let Ok(n) = Normal::new(0.0, 1.0) else { return String::new() };
    let mut biases: Vec<f64> = stress_settings(e3).into_iter().map(|s| s.1).filter(|&b| b < 0.0).collect();
    biases.sort_by(f64::total_cmp);
    biases.dedup();
    if biases.is_empty() {
        return String::new();
    }
    let items: Vec<String> =
        biases.iter().map(|&b| format!("with β = {b}, {:.0}% of them stay positive", 100.0 * n.cdf(b))).collect();
    format!(
        " ({}), where without BN the same bias can silence a layer from step 0 (the dead-unit figure's step-0 points)",
        items.join("; ")
    )
}

/// C4: BN after the activation works better than before (E1, paired by seed; with `rounds`,
/// group-sequentially).
pub fn c4(e1: &Experiment, rounds: Option<&Rounds>) -> ClaimResult {
    let mut cs = Vec::new();
    let mut walls = Vec::new();
    for &act in &e1.activations {
        let (after, before) = (e1.selected(is(act, Placement::After)), e1.selected(is(act, Placement::Before)));
        walls.extend(after.iter().copied());
        let pairs = paired_by_seed(&after, &before, Run::judged_test_accuracy);
        let failed_runs = failed(&after) + failed(&before);
        cs.push(
            Comparison::new(
                at_chance(format!("{act}: after vs before"), &[&after, &before]),
                "acc(after) > acc(before)",
                pairs.iter().map(|p| p.1).collect(),
                pairs.iter().map(|p| p.2).collect(),
                0.0,
                TestKind::Paired,
            )
            .within(0.0, 1.0)
            .about(Subject { activation: Some(act), placement: Some(Placement::After), ..Subject::default() })
            .of_configs(vec![(act, Placement::After), (act, Placement::Before)])
            .with_seeds(pairs.iter().map(|p| p.0).collect())
            .with_failed(failed_runs),
        );
    }
    let sequential = sequential_note(rounds);
    let result = claim(
        Claim {
            id: "C4",
            text: "In practice, BN after the activation works better",
            source: "a comment",
            experiments: &["E1", "E6"],
            figures: &["accuracy_heatmap"],
        },
        format!(
            "final test accuracy (E1/E6), each placement at its best learning rate (chosen on validation on seeds of its own, not those compared), paired by seed (paired t-test); {AT_CHANCE_RULE}{sequential}"
        ),
        cs,
    );
    judge_paired(result, rounds, median_wall(&walls))
}

/// C5: ReLU keeps an advantage through its simple derivative (E8 timings, no BN).
pub fn c5(timings: &[StepTiming]) -> ClaimResult {
    let ms = |act: Activation| {
        timings
            .iter()
            .find(|t| t.activation == act && t.placement == Placement::None)
            .map_or_else(Vec::new, |t| t.ms_per_step.clone())
    };
    let relu = ms(Activation::Relu);
    let mut others: Vec<Activation> = Vec::new();
    for t in timings {
        if t.activation != Activation::Relu && !others.contains(&t.activation) {
            others.push(t.activation);
        }
    }
    let cs = others
        .into_iter()
        .map(|a| {
            Comparison::new(
                format!("{a} vs relu, no BN"),
                "time(φ) > time(relu)",
                ms(a),
                relu.clone(),
                0.0,
                // Paired by round: each round times every configuration once, interleaved, so one round's
                // timings share the machine's state (a statistician: Welch's test treated the blocked
                // repeats as independent samples).
                TestKind::Paired,
            )
            .about(Subject { activation: Some(a), placement: Some(Placement::None), ..Subject::default() })
        })
        .collect();
    claim(
        Claim {
            id: "C5",
            text: "ReLU keeps an advantage through its simple derivative",
            source: "a comment",
            experiments: &["E8"],
            figures: &["time_per_step"],
        },
        format!(
            "wall time per training step of the BN paper's net in ms, single thread, repeated in interleaved rounds after a warm-up round (E8); paired t-test over rounds (a round times every configuration once, so its timings share the machine's state){}",
            activation_cost(timings)
        ),
        cs,
    )
}

/// What φ alone costs (E8's forward + backward on a (60, 100) batch, no BN), mean over rounds per
/// activation, and the largest share of a training step its three hidden layers' φ take: what the step
/// times of C5 are made of. Empty without such timings.
fn activation_cost(timings: &[StepTiming]) -> String {
    let mut rows: Vec<(Activation, f64, f64)> = timings
        .iter()
        .filter(|t| t.placement == Placement::None && !t.act_us.is_empty() && !t.ms_per_step.is_empty())
        .map(|t| {
            let us = t.act_us.iter().sum::<f64>() / t.act_us.len() as f64;
            let ms = t.ms_per_step.iter().sum::<f64>() / t.ms_per_step.len() as f64;
            (t.activation, us, ms)
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    let list: Vec<String> = rows.iter().map(|(a, us, _)| format!("{a} {us:.1} µs")).collect();
    // Each hidden layer of the timed net runs φ forward and backward once per step.
    let layers = super::cost::HIDDEN.len() as f64;
    let share = rows.iter().map(|(_, us, ms)| layers * us / (ms * 1e3)).fold(0.0f64, f64::max);
    format!(
        ". φ's own forward + backward on a (60, 100) batch, no BN, mean over rounds, cheapest first: {}; the three hidden layers' φ are at most {:.1}% of a training step",
        list.join(", "),
        100.0 * share
    )
}

/// When a run's validation accuracy first reached `target`, as the evaluation grid sees it: `(before,
/// at)` with `at` the first evaluation step at or above the target and `before` the evaluation before it
/// (the crossing lies in `(before, at]`), or `(last, ∞)` if no evaluation reached it (`last` the last
/// evaluation step). Reached at step 0 (before any update) counts as `(0, 1]`, as "steps to the target"
/// counts at least one. `None` without validation evaluations.
fn reach_interval(r: &Run, target: f64) -> Option<(f64, f64)> {
    let val = r.evals("val");
    let mut before = 0.0;
    for p in &val {
        if p.accuracy >= target {
            return Some((before, (p.step as f64).max(1.0)));
        }
        before = p.step as f64;
    }
    val.last().map(|p| (p.step as f64, f64::INFINITY))
}

/// Bounds of log10(steps without BN / steps with BN) from the two runs' reach intervals `(lo, hi]`: the
/// ratio lies above `none.lo / bn.hi` and at most `none.hi / bn.lo` (open where a bound is 0 or ∞).
fn ratio_bounds(none: (f64, f64), bn: (f64, f64)) -> (f64, f64) {
    ((none.0 / bn.1).log10(), (none.1 / bn.0).log10())
}

/// C6: BN speeds training up 10 times or more (E1: steps to the target validation accuracy).
pub fn c6(e1: &Experiment) -> ClaimResult {
    let mut cs = Vec::new();
    // The largest ratio a pair can show: the last evaluation over the first after step 0.
    let mut resolvable = 0.0f64;
    for &act in &e1.activations {
        let (none, bn) = (e1.selected(is(act, Placement::None)), e1.selected(is(act, Placement::Before)));
        let (mut lo, mut hi, mut seeds) = (Vec::new(), Vec::new(), Vec::new());
        for rn in &none {
            let Some(rb) = bn.iter().find(|b| b.config.seed == rn.config.seed) else { continue };
            let (Some(n), Some(b)) = (reach_interval(rn, SPEED_TARGET), reach_interval(rb, SPEED_TARGET)) else {
                continue;
            };
            let val = rb.evals("val");
            if let (Some(first), Some(last)) = (val.iter().map(|p| p.step).find(|&s| s > 0), val.last()) {
                resolvable = resolvable.max(last.step as f64 / first as f64);
            }
            let (l, h) = ratio_bounds(n, b);
            lo.push(l);
            hi.push(h);
            seeds.push(rn.config.seed);
        }
        let open = hi.iter().filter(|h| h.is_infinite()).count();
        let note = if open > 0 {
            format!(
                " ({open} of {} seed pairs with no upper bound: the run without BN never reached the target, or the one with BN reached it at the first evaluation)",
                hi.len()
            )
        } else {
            String::new()
        };
        cs.push(
            Comparison::new(
                format!("{act}: no BN vs BN before{note}"),
                "log10(steps without BN / steps with BN) > 1",
                lo,
                hi,
                1.0,
                TestKind::Bounds,
            )
            .with_seeds(seeds)
            .about(Subject {
                activation: Some(act),
                placement: Some(Placement::Before),
                ..Subject::default()
            }),
        );
    }
    let limited = resolvable > 0.0 && resolvable < 10.0;
    let reach = if limited {
        format!(
            "; at this budget no pair can show a 10-fold speed-up (the largest ratio the evaluation grid can resolve is {resolvable:.1}: the last evaluation step over the first), so the claim can be refuted here but not supported"
        )
    } else {
        String::new()
    };
    let mut result = claim(
        Claim {
            id: "C6",
            text: "BN speeds training up 10 times or more",
            source: "answer 1",
            experiments: &["E1"],
            figures: &["steps_to_target"],
        },
        format!(
            "steps until validation accuracy first reaches {SPEED_TARGET} (E1), paired by seed. Accuracy is evaluated on a grid of steps, so each run's step is known within an interval (between the evaluation before and the one that reached the target; past the last evaluation if none did), and each pair's ratio within bounds: a = log10 of its lower bound, b = log10 of its upper bound (∞ where the interval is open). The claim is tested on the lower bounds and its opposite on the upper bounds, one-sample t-tests against 1 (a side with an infinite bound cannot be shown){reach}"
        ),
        cs,
    );
    if limited {
        result.reach = Some(format!(
            "cannot be supported at this budget, only refuted: the evaluation grid resolves speed-ups up to ×{resolvable:.1}"
        ));
    }
    result
}

/// Share of z in [0, 1] pooled over layers, from the fixed z histograms (bins of 0.25 from −8).
pub fn share_z_unit(c: &Checkpoint) -> Option<f64> {
    let (mut inside, mut total) = (0u64, 0u64);
    for l in &c.layers {
        let h = &l.z_hist;
        let edges = h.bins.edges();
        inside += h
            .counts
            .iter()
            .enumerate()
            .filter(|(i, _)| edges[*i] >= 0.0 && edges[i + 1] <= 1.0)
            .map(|(_, n)| n)
            .sum::<u64>();
        total += h.total();
    }
    (total > 0).then(|| inside as f64 / total as f64)
}

/// C7: with BN, a sigmoid's input lies in [0, 1], so its output in [0.5, 0.73] (E1, sigmoid with BN before).
pub fn c7(e1: &Experiment) -> ClaimResult {
    let runs = e1.selected(is(Activation::Sigmoid, Placement::Before));
    let subject = |when| Subject {
        activation: Some(Activation::Sigmoid),
        placement: Some(Placement::Before),
        when: Some(when),
        ..Subject::default()
    };
    claim(
        Claim {
            id: "C7",
            text: "With BN the sigmoid's input lies in [0, 1], so its output lies in [sigmoid(0), sigmoid(1)] = [0.5, 0.73]",
            source: "answer 1",
            experiments: &["E1", "E5"],
            figures: &["sigmoid_after_bn", "bn_params"],
        },
        format!(
            "share of z (BN output, pooled over layers) in [0, 1] on the probe set (E5, sigmoid with BN before); \"lies in\" = at least {LIES_IN_SHARE}; one-sample t-test over seeds; after training, {AT_END_RULE}"
        ),
        vec![
            Comparison::new(
                "at initialisation",
                format!("share > {LIES_IN_SHARE}"),
                at_first(&runs, share_z_unit),
                Vec::new(),
                LIES_IN_SHARE,
                TestKind::OneSample,
            )
            .within(0.0, 1.0)
            .about(subject(When::Init)),
            Comparison::new(
                at_end("after training", &[&runs], None),
                format!("share > {LIES_IN_SHARE}"),
                at_last(&runs, share_z_unit),
                Vec::new(),
                LIES_IN_SHARE,
                TestKind::OneSample,
            )
            .within(0.0, 1.0)
            .about(subject(When::End)),
        ],
    )
}

/// C8: sigmoids are always saturating, so neurons stop learning (E4, E1's sigmoid nets and E2's deepest).
pub fn c8(e1: &Experiment, e2: &Experiment, e4: &Experiment) -> ClaimResult {
    let placements = [Placement::None, Placement::Before, Placement::After];
    let e4_runs =
        placements.map(|p| ("E4 (Glorot & Bengio's setting)".to_string(), p, e4.matching(is(Activation::Sigmoid, p))));
    let e1_runs =
        placements.map(|p| ("E1 (the BN paper's net)".to_string(), p, e1.selected(is(Activation::Sigmoid, p))));
    // Where saturation should be worst: the deepest nets of the depth experiment, at their selected rate.
    let depth = e2.max_depth();
    let e2_runs = placements.map(|p| {
        let runs = e2.selected(move |c: &RunConfig| c.widths().len() == depth && is(Activation::Sigmoid, p)(c));
        (format!("E2 (the deepest nets, {depth} hidden layer{})", crate::words::plural(depth)), p, runs)
    });
    // A setting whose runs mostly ended at chance level did not learn at all: its saturation rate describes an
    // untrained network and cannot tell whether trained neurons stop learning, so it is set aside, and said so.
    let mut untrained = Vec::new();
    let mut cs = Vec::new();
    let mut settings = Vec::new();
    for (exp, p, runs) in e4_runs.into_iter().chain(e1_runs).chain(e2_runs) {
        let setting = format!("{exp}: sigmoid, BN {p}");
        let failed_runs = failed(&runs);
        if 2 * failed_runs > runs.len() {
            untrained.push(format!(
                "{setting}: {failed_runs} of {} runs ended at chance level (failed to learn), so their saturation says nothing about trained neurons",
                runs.len()
            ));
            continue;
        }
        let subject = Subject {
            activation: Some(Activation::Sigmoid),
            placement: Some(p),
            when: Some(When::End),
            ..Subject::default()
        };
        // The claim has two parts, each a row: the neurons saturate, and (so) they stop learning — judged by
        // whether the gradient still reaches the most saturated layer, not by the saturation threshold.
        cs.push(
            Comparison::new(
                at_end(format!("{setting}: saturating"), &[&runs], None),
                format!("max layer saturation > {SATURATING_RATE}"),
                at_last(&runs, max_saturation),
                Vec::new(),
                SATURATING_RATE,
                TestKind::OneSample,
            )
            .within(0.0, 1.0)
            .about(subject)
            .with_failed(failed_runs),
        );
        cs.push(
            Comparison::new(
                left_out(
                    format!("{setting}: stopped learning"),
                    &[&runs],
                    &[
                        (Run::stopped_early, STOPPED_EARLY),
                        (
                            no_gradient,
                            "left out: no gradient at all reached the most saturated layer or the output layer",
                        ),
                    ],
                    None,
                ),
                format!("gradient attenuation to the most saturated layer > {STOPPED_ATTENUATION} orders of magnitude"),
                at_last(&runs, attenuation_at_most_saturated),
                Vec::new(),
                STOPPED_ATTENUATION,
                TestKind::OneSample,
            )
            .about(subject)
            .with_failed(failed_runs),
        );
        settings.push(setting);
    }
    let mut result = claim(
        Claim {
            id: "C8",
            text: "Sigmoids are always saturating, so neurons stop learning",
            source: "answer 2 (quoting Hinton)",
            experiments: &["E1", "E2", "E4"],
            figures: &["saturation", "bn_paper_percentiles", "histogram_over_time"],
        },
        format!(
            "two rows per setting, at the end of training, in Glorot & Bengio's setting (E4), in the BN paper's net at its selected learning rate (E1) and in the deepest nets of the depth experiment at theirs (E2): \"saturating\" = the saturation rate (φ′ < {DEFAULT_TAU}·max φ′) of the most saturated layer above {SATURATING_RATE}; \"stopped learning\" = that layer's weight gradient more than {STOPPED_ATTENUATION} orders of magnitude below the output layer's, log10(‖∂L/∂W_out‖/‖∂L/∂W_layer‖) > {STOPPED_ATTENUATION} (a saturated unit still learns while its gradient gets through); one-sample t-tests over seeds; the claim is the conjunction, so a setting supports it only where both rows do (an intersection–union test, which has level α without further adjustment (Berger 1982); the rows are Holm-adjusted with the claim's others all the same, which is more than it needs) and contradicts it where either row does, and the verdict is taken over settings; a setting whose runs mostly ended at chance level (test accuracy below 1/K + {CHANCE_MARGIN}, K the classes the training set holds) failed to learn and is set aside rather than counted against the claim; {AT_END_RULE}"
        ),
        cs,
    );
    result.set_aside = untrained;
    // Each setting's outcome from its two rows.
    result.by_setting = settings
        .into_iter()
        .filter_map(|s| {
            let rows: Vec<Outcome> = result
                .comparisons
                .iter()
                .filter(|k| k.setting.starts_with(&format!("{s}: ")))
                .map(|k| k.outcome)
                .collect();
            // A setting with one row left (the other skipped for lack of values) can still contradict, but
            // never support: the claim is the conjunction, and one part alone leaves it open. (A lone
            // supporting row had dropped its setting, so the verdict was taken over the others.)
            match rows[..] {
                [a, b] => Some((s, a.and(b))),
                [Outcome::Contradicts] => Some((s, Outcome::Contradicts)),
                [_] => Some((s, Outcome::Unclear)),
                _ => None,
            }
        })
        .collect();
    if !result.by_setting.is_empty() {
        result.verdict = verdict_of_outcomes(&result.by_setting.iter().map(|s| s.1).collect::<Vec<_>>());
    }
    result
}

/// Whether a run's end of training has no attenuation for C8's "stopped learning" row because no gradient
/// at all reached its most saturated layer, or none the output layer ([`attenuation_at_most_saturated`]):
/// left out of the row, where it would count for the claim, so the row names it.
fn no_gradient(r: &Run) -> bool {
    r.end().is_some_and(|c| max_saturation(c).is_some() && attenuation_at_most_saturated(c).is_none())
}

/// C9: ReLU + BN gives more diverse outputs than sigmoid + BN (E1, last hidden layer).
pub fn c9(e1: &Experiment) -> ClaimResult {
    let erank = |c: &Checkpoint| c.layers.last().and_then(|l| l.effective_rank);
    let cs = [Placement::Before, Placement::After]
        .into_iter()
        .map(|p| {
            let (relu, sigmoid) = (e1.selected(is(Activation::Relu, p)), e1.selected(is(Activation::Sigmoid, p)));
            let (a, b) = paired_sides(&relu, &sigmoid, |r| r.end().and_then(erank).unwrap_or(f64::NAN));
            Comparison::new(
                at_end(format!("BN {p}: relu vs sigmoid"), &[&relu, &sigmoid], Some(a.len())),
                "erank(relu) > erank(sigmoid)",
                a,
                b,
                0.0,
                TestKind::Paired,
            )
            .about(Subject {
                activation: Some(Activation::Relu),
                placement: Some(p),
                when: Some(When::End),
                ..Subject::default()
            })
        })
        .collect();
    paired_claim(
        Claim {
            id: "C9",
            text: "ReLU + BN gives more diverse outputs than sigmoid + BN",
            source: "answer 1",
            experiments: &["E1"],
            figures: &["effective_rank"],
        },
        format!(
            "effective rank of the last hidden layer's activations on the probe set at the end of training (E1); {PAIRED_RULE}; {AT_END_RULE}"
        ),
        cs,
        &e1.runs,
    )
}

/// Every claim, from the experiments and timings; C2 and C4 sequentially when E1 ran in `rounds`.
pub fn all(
    e1: &Experiment,
    e2: &Experiment,
    e3: &Experiment,
    e4: &Experiment,
    cost: &[StepTiming],
    rounds: Option<&Rounds>,
) -> ClaimSet {
    ClaimSet {
        c1: c1(e2),
        c2: c2(e1, rounds),
        c3: c3(e3),
        c4: c4(e1, rounds),
        c5: c5(cost),
        c6: c6(e1),
        c7: c7(e1),
        c8: c8(e1, e2, e4),
        c9: c9(e1),
    }
}
