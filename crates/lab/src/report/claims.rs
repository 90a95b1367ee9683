//! The nine claims of the thread (design §1), each turned into comparisons on the experiments' data.
//! Which numbers, which test, which threshold and which direction are fixed here, before any run.

use actscope_core::{Activation, Placement};
use actscope_metrics::records::Checkpoint;
use serde::Serialize;

use super::aggregate::{Experiment, Run, at_first, at_last};
use super::cost::StepTiming;
use super::verdict::{Comparison, TestKind, Verdict, judge};
use crate::config::RunConfig;

/// Non-inferiority margin for "works as well as" (C2): one percentage point of test accuracy.
pub const AS_WELL_AS_MARGIN: f64 = 0.01;
/// Validation accuracy whose first crossing measures training speed (C6).
pub const SPEED_TARGET: f64 = 0.8;
/// Share of sigmoid outputs inside [0.5, 0.731] that "lies in" means (C7).
pub const LIES_IN_SHARE: f64 = 0.95;
/// Saturation rate of the most saturated layer that counts as "saturating" (C8).
pub const SATURATING_RATE: f64 = 0.1;

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
    /// Settings left out for lack of data (fewer than two values on a side), e.g. absent from this profile.
    pub skipped: Vec<String>,
}

fn is(act: Activation, placement: Placement) -> impl Fn(&RunConfig) -> bool {
    move |c: &RunConfig| c.activation == act && c.placement == placement
}

fn test_acc(runs: &[&Run]) -> Vec<f64> {
    runs.iter().map(|r| r.test_accuracy()).collect()
}

fn claim(
    id: &'static str,
    text: &'static str,
    source: &'static str,
    method: String,
    comparisons: Vec<Comparison>,
    figures: Vec<&'static str>,
) -> ClaimResult {
    let (mut kept, left): (Vec<Comparison>, Vec<Comparison>) =
        comparisons.into_iter().partition(|c| c.a.len() >= 2 && (c.test == TestKind::OneSample || c.b.len() >= 2));
    let skipped = left.into_iter().map(|c| c.setting).collect();
    let verdict = judge(&mut kept);
    ClaimResult { id, text, source, method, comparisons: kept, verdict, figures, skipped }
}

/// C1: BN and ReLU both remedy vanishing gradients (E2, deepest nets, at initialisation).
pub fn c1(e2: &Experiment) -> ClaimResult {
    let depth = e2.runs.iter().map(|r| r.config.widths().len()).max().unwrap_or(0);
    let vi = |act, p| {
        let runs = e2.selected(move |c: &RunConfig| c.widths().len() == depth && is(act, p)(c));
        at_first(&runs, |c: &Checkpoint| Some(c.vanishing_index))
    };
    let (sig_none, sig_bn, relu_none) = (
        vi(Activation::Sigmoid, Placement::None),
        vi(Activation::Sigmoid, Placement::Before),
        vi(Activation::Relu, Placement::None),
    );
    claim(
        "C1",
        "BN and ReLU are both remedies for vanishing gradients",
        "the question",
        format!(
            "vanishing index log10(‖∂L/∂W_first‖/‖∂L/∂W_out‖) at initialisation in nets of {depth} hidden layers (E2); a remedy raises it; Welch's t-test over seeds"
        ),
        vec![
            Comparison::new(
                "BN: sigmoid, BN before vs no BN",
                "index(BN) > index(no BN)",
                sig_bn,
                sig_none.clone(),
                0.0,
                TestKind::Welch,
            ),
            Comparison::new(
                "ReLU: ReLU vs sigmoid, no BN",
                "index(ReLU) > index(sigmoid)",
                relu_none,
                sig_none,
                0.0,
                TestKind::Welch,
            ),
        ],
        vec!["gradient_norms", "accuracy_vs_depth"],
    )
}

/// C2: with BN, sigmoid/tanh work as well as or better than ReLU (E1, each at its best learning rate).
pub fn c2(e1: &Experiment) -> ClaimResult {
    let mut cs = Vec::new();
    for p in [Placement::Before, Placement::After] {
        let relu = test_acc(&e1.selected(is(Activation::Relu, p)));
        for act in [Activation::Sigmoid, Activation::Tanh] {
            cs.push(Comparison::new(
                format!("BN {p}: {act} vs relu"),
                format!("acc({act}) > acc(relu) − {AS_WELL_AS_MARGIN}"),
                test_acc(&e1.selected(is(act, p))),
                relu.clone(),
                -AS_WELL_AS_MARGIN,
                TestKind::Welch,
            ));
        }
    }
    claim(
        "C2",
        "With BN, sigmoid or tanh work as well as or better than ReLU",
        "the question",
        format!(
            "final test accuracy over seeds (E1), each configuration at the learning rate chosen on validation; \"as well as\" = not worse by more than {AS_WELL_AS_MARGIN} (non-inferiority, Welch's t-test)"
        ),
        cs,
        vec!["accuracy_heatmap", "learning_curves"],
    )
}

fn mean_dead(c: &Checkpoint) -> Option<f64> {
    let v: Vec<f64> = c.layers.iter().filter_map(|l| l.dead.map(|d| d.dead_fraction)).collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// C3: BN solves dead ReLUs (E3 stress settings).
pub fn c3(e3: &Experiment) -> ClaimResult {
    let mut cs = Vec::new();
    for (lr, bias) in [(1.0, 0.0), (0.1, -1.0), (1.0, -1.0)] {
        let runs = |p: Placement| {
            e3.matching(move |c: &RunConfig| c.placement == p && c.lr == lr && c.bias_init == Some(bias))
        };
        let none = at_last(&runs(Placement::None), mean_dead);
        for p in [Placement::Before, Placement::After] {
            cs.push(Comparison::new(
                format!("lr {lr}, initial bias {bias}: BN {p} vs none"),
                "dead(no BN) > dead(BN)",
                none.clone(),
                at_last(&runs(p), mean_dead),
                0.0,
                TestKind::Welch,
            ));
        }
    }
    claim(
        "C3",
        "BN pushes pre-activations to both signs, so BN solves dead ReLUs",
        "the question",
        "dead-unit fraction (mean over layers) at the end of training in ReLU nets under stress — a high learning rate and/or a negative initial bias (E3); Welch's t-test over seeds".into(),
        cs,
        vec!["dead_units"],
    )
}

/// C4: BN after the activation works better than before (E1, paired by seed).
pub fn c4(e1: &Experiment) -> ClaimResult {
    let mut cs = Vec::new();
    for act in actscope_core::MAIN_ACTIVATIONS {
        cs.push(Comparison::new(
            format!("{act}: after vs before"),
            "acc(after) > acc(before)",
            test_acc(&e1.selected(is(act, Placement::After))),
            test_acc(&e1.selected(is(act, Placement::Before))),
            0.0,
            TestKind::Paired,
        ));
    }
    claim(
        "C4",
        "In practice, BN after the activation works better",
        "a comment",
        "final test accuracy (E1/E6), each placement at its best learning rate, paired by seed (paired t-test)".into(),
        cs,
        vec!["accuracy_heatmap"],
    )
}

/// C5: ReLU keeps an advantage through its simple derivative (E8 timings, no BN).
pub fn c5(timings: &[StepTiming]) -> ClaimResult {
    let ms = |act: &str| {
        timings
            .iter()
            .find(|t| t.activation == act && t.placement == "none")
            .map_or_else(Vec::new, |t| t.ms_per_step.clone())
    };
    let relu = ms("relu");
    let cs = ["sigmoid", "tanh", "elu(1)", "gelu", "silu"]
        .iter()
        .map(|a| {
            Comparison::new(
                format!("{a} vs relu, no BN"),
                "time(φ) > time(relu)",
                ms(a),
                relu.clone(),
                0.0,
                TestKind::Welch,
            )
        })
        .collect();
    claim(
        "C5",
        "ReLU keeps an advantage through its simple derivative",
        "a comment",
        "wall time per training step of the BN paper's net, single thread, repeated (E8); Welch's t-test over repeats"
            .into(),
        cs,
        vec!["time_per_step"],
    )
}

/// C6: BN speeds training up 10 times or more (E1: steps to the target validation accuracy).
pub fn c6(e1: &Experiment) -> ClaimResult {
    let idx = crate::run::TARGETS.iter().position(|&t| t == SPEED_TARGET).expect("target listed");
    // Steps to the target, or None if never reached.
    let steps = |runs: &[&Run]| -> Vec<(u64, Option<f64>, usize)> {
        runs.iter()
            .map(|r| {
                (
                    r.config.seed,
                    r.summary.steps_to_target.get(idx).copied().flatten().map(|s| s.max(1) as f64),
                    r.summary.steps,
                )
            })
            .collect()
    };
    let mut cs = Vec::new();
    for act in actscope_core::MAIN_ACTIVATIONS {
        let (none, bn) =
            (steps(&e1.selected(is(act, Placement::None))), steps(&e1.selected(is(act, Placement::Before))));
        // Pair by seed. A run that never reached the target only bounds the ratio, and a bound cannot decide a
        // two-sided question, so only pairs in which both runs reached it are tested; the others are counted.
        let mut censored = 0;
        let ratios: Vec<f64> = none
            .iter()
            .filter_map(|&(seed, sn, _)| {
                let &(_, sb, _) = bn.iter().find(|b| b.0 == seed)?;
                match (sn, sb) {
                    (Some(a), Some(b)) => Some((a / b).log10()),
                    _ => {
                        censored += 1;
                        None
                    }
                }
            })
            .collect();
        let note = if censored > 0 {
            format!(" ({censored} of {} seed pairs left out: a run never reached the target)", none.len())
        } else {
            String::new()
        };
        cs.push(Comparison::new(
            format!("{act}: no BN vs BN before{note}"),
            "log10(steps without BN / steps with BN) > 1",
            ratios,
            Vec::new(),
            1.0,
            TestKind::OneSample,
        ));
    }
    claim(
        "C6",
        "BN speeds training up 10 times or more",
        "answer 1",
        format!(
            "steps until validation accuracy first reaches {SPEED_TARGET} (E1), paired by seed; a run that never reaches it counts as its whole budget + 1 (a bound), a pair in which neither reaches it is left out; one-sample t-test of log10(ratio) against 1"
        ),
        cs,
        vec!["learning_curves"],
    )
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
    claim(
        "C7",
        "With BN the sigmoid's input lies in [0, 1], so its output lies in [sigmoid(0), sigmoid(1)] = [0.5, 0.73]",
        "answer 1",
        format!(
            "share of z (BN output, pooled over layers) in [0, 1] on the probe set (E5, sigmoid with BN before); \"lies in\" = at least {LIES_IN_SHARE}; one-sample t-test over seeds"
        ),
        vec![
            Comparison::new(
                "at initialisation",
                format!("share > {LIES_IN_SHARE}"),
                at_first(&runs, share_z_unit),
                Vec::new(),
                LIES_IN_SHARE,
                TestKind::OneSample,
            ),
            Comparison::new(
                "after training",
                format!("share > {LIES_IN_SHARE}"),
                at_last(&runs, share_z_unit),
                Vec::new(),
                LIES_IN_SHARE,
                TestKind::OneSample,
            ),
        ],
        vec!["sigmoid_after_bn", "bn_params"],
    )
}

/// C8: sigmoids are always saturating, so neurons stop learning (E4, and E1's sigmoid nets).
pub fn c8(e1: &Experiment, e4: &Experiment) -> ClaimResult {
    let max_sat = |c: &Checkpoint| c.layers.iter().filter_map(|l| l.saturation.map(|s| s.rate)).reduce(f64::max);
    let placements = [Placement::None, Placement::Before, Placement::After];
    let e4_runs = placements.map(|p| ("E4 (Glorot & Bengio's setting)", p, e4.matching(is(Activation::Sigmoid, p))));
    let e1_runs = placements.map(|p| ("E1 (the BN paper's net)", p, e1.selected(is(Activation::Sigmoid, p))));
    let cs = e4_runs
        .into_iter()
        .chain(e1_runs)
        .map(|(exp, p, runs)| {
            Comparison::new(
                format!("{exp}: sigmoid, BN {p}"),
                format!("max layer saturation > {SATURATING_RATE}"),
                at_last(&runs, max_sat),
                Vec::new(),
                SATURATING_RATE,
                TestKind::OneSample,
            )
        })
        .collect();
    claim(
        "C8",
        "Sigmoids are always saturating, so neurons stop learning",
        "answer 2 (quoting Hinton)",
        format!(
            "saturation rate (φ′ < 0.1·max φ′) of the most saturated layer at the end of training, in Glorot & Bengio's setting (E4) and in the BN paper's net at its selected learning rate (E1); \"saturating\" = above {SATURATING_RATE}; one-sample t-test over seeds"
        ),
        cs,
        vec!["saturation", "bn_paper_percentiles", "histogram_over_time"],
    )
}

/// C9: ReLU + BN gives more diverse outputs than sigmoid + BN (E1, last hidden layer).
pub fn c9(e1: &Experiment) -> ClaimResult {
    let erank = |c: &Checkpoint| c.layers.last().and_then(|l| l.effective_rank);
    let cs = [Placement::Before, Placement::After]
        .into_iter()
        .map(|p| {
            Comparison::new(
                format!("BN {p}: relu vs sigmoid"),
                "erank(relu) > erank(sigmoid)",
                at_last(&e1.selected(is(Activation::Relu, p)), erank),
                at_last(&e1.selected(is(Activation::Sigmoid, p)), erank),
                0.0,
                TestKind::Welch,
            )
        })
        .collect();
    claim(
        "C9",
        "ReLU + BN gives more diverse outputs than sigmoid + BN",
        "answer 1",
        "effective rank of the last hidden layer's activations on the probe set at the end of training (E1); Welch's t-test over seeds".into(),
        cs,
        vec!["effective_rank"],
    )
}
