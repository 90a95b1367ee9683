//! The report's prose, generated from typed results: the short answers to the thread's questions, the
//! "what others found" lines, and the helpers that describe E1's and E4's top layers for Glorot & Bengio's
//! comparison. No sentence here is typed by hand with a number or a verdict in it.

use actscope_core::{Activation, Placement};

use actscope_metrics::stats::{describe, paired, welch};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::aggregate::{self, Experiment};
use super::claims::{self, ClaimResult, ClaimSet, Rounds};
use super::rounds::RoundLog;
use super::theory::{CheckKind, TheoryCheck};
use super::verdict::{Outcome, Verdict, When};
use super::write::signed;
use crate::config::{DEFAULT_TAU, RunConfig};
use crate::tuning::Bracket;

fn mean(x: &[f64]) -> f64 {
    let v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

/// The opening of a short answer: the verdict in a word or two; where it depends on the setting or is
/// partly undecided, how many settings came out which way, naming those that came out against the claim;
/// and the settings that could not be compared (`ClaimResult::skipped`, e.g. C3's where every BN run
/// diverged), which the verdict is not taken over.
fn yes_no(c: &ClaimResult) -> String {
    let answer = verdict_words(c);
    match c.skipped.len() {
        0 => answer,
        n => format!(
            "{answer} {} could not be compared (fewer than two values on a side): {}.",
            match (n, c.comparisons.is_empty()) {
                (1, true) => "1 setting".to_string(),
                (1, false) => "1 more setting".to_string(),
                (n, true) => format!("{n} settings"),
                (n, false) => format!("{n} more settings"),
            },
            c.skipped.join("; ")
        ),
    }
}

/// [`yes_no`] over the settings compared.
fn verdict_words(c: &ClaimResult) -> String {
    match c.verdict {
        Verdict::Supported => "Yes.".into(),
        Verdict::Refuted => "No.".into(),
        Verdict::DependsOnSetting | Verdict::PartlyUndecided => {
            let count = |o: Outcome| c.comparisons.iter().filter(|k| k.outcome == o).count();
            let against: Vec<&str> = c
                .comparisons
                .iter()
                .filter(|k| k.outcome == Outcome::Contradicts)
                .map(|k| k.setting.as_str())
                .collect();
            let no = if against.is_empty() {
                "no in none".to_string()
            } else {
                format!("no in {} ({})", against.len(), against.join("; "))
            };
            let open = match count(Outcome::Unclear) {
                0 => String::new(),
                n => format!(", not settled by this data in {n}"),
            };
            let lead = if c.verdict == Verdict::DependsOnSetting { "It depends on the setting: y" } else { "Y" };
            format!("{lead}es in {} of {} settings, {no}{open}.", count(Outcome::Supports), c.comparisons.len())
        }
        Verdict::Inconclusive => "Not settled by this data.".into(),
    }
}

/// Mean test accuracy over seeds of E1's configuration at its selected learning rate, and the number of
/// seeds it is over (runs with a test accuracy). With seeds in rounds, configurations differ in that number.
fn e1_accuracy(e1: &Experiment, a: Activation, p: Placement) -> (f64, usize) {
    let acc: Vec<f64> = e1
        .selected(move |c: &RunConfig| c.activation == a && c.placement == p)
        .iter()
        .map(|r| r.test_accuracy())
        .filter(|v| v.is_finite())
        .collect();
    (mean(&acc), acc.len())
}

/// "20 seeds each" where every count is the same, else the counts in order ("20, 20, 20 and 20, 20, 15
/// seeds"), the two halves split as `halves` says.
fn seed_counts(n: &[usize], halves: usize) -> String {
    match n.first() {
        Some(&first) if n.iter().all(|&k| k == first) => format!("{first} seeds each"),
        _ => {
            let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ");
            let (a, b) = n.split_at(halves.min(n.len()));
            format!("{} and {} seeds", list(a), list(b))
        }
    }
}

/// The short answers to the thread's three questions, each generated from the claims' typed results.
pub fn answers(cl: &ClaimSet, e1: &Experiment) -> Vec<(String, String)> {
    let (c2, c3, c4) = (&cl.c2, &cl.c3, &cl.c4);
    let shown: Vec<(f64, usize)> = [Placement::Before, Placement::After]
        .into_iter()
        .flat_map(|p| [Activation::Sigmoid, Activation::Tanh, Activation::Relu].map(|a| e1_accuracy(e1, a, p)))
        .collect();
    let n: Vec<usize> = shown.iter().map(|s| s.1).collect();
    // A comparison decided at an earlier look, or of a configuration with fewer seeds, was tested on fewer
    // seeds than the most any configuration ran; the section's means are then not these.
    let most = n.iter().copied().max().unwrap_or(0);
    let early: Vec<String> =
        c2.comparisons.iter().filter(|k| k.a.len() < most).map(|k| format!("{} ({})", k.setting, k.a.len())).collect();
    let tested = if early.is_empty() {
        String::new()
    } else {
        format!(
            " The C2 section's means are over the seeds both configurations of a comparison have, fewer for {}.",
            early.join(", ")
        )
    };
    // Each activation at its better placement (a teacher: "yes in 2 of 4" came mostly from BN after hurting
    // ReLU). A description, not a test: the better of two placements is favoured by chance.
    let best: Vec<String> = ["sigmoid", "tanh", "ReLU"]
        .iter()
        .enumerate()
        .filter(|&(i, _)| shown[i].0.is_finite() || shown[i + 3].0.is_finite())
        .map(|(i, name)| {
            let (acc, place) =
                if shown[i + 3].0 > shown[i].0 { (shown[i + 3].0, "after") } else { (shown[i].0, "before") };
            format!("{name} {acc:.3} (BN {place})")
        })
        .collect();
    let best = if best.len() == 3 {
        format!(
            " Each at its better placement: {} (a description, not a test: the better of two placements is favoured by chance; C2 tests each placement on its own).",
            best.join(", ")
        )
    } else {
        String::new()
    };
    // Where a "yes" setting's ReLU is itself worse than ReLU at the other placement by more than the margin,
    // the yes comes as much from ReLU losing there as from sigmoid or tanh gaining (a teacher: "yes in 2 of 4"
    // came from BN after costing ReLU 1.4 points).
    let (relu_before, relu_after) = (shown[2].0, shown[5].0);
    let weaker_relu: Vec<String> = [(Placement::Before, relu_before, relu_after), (Placement::After, relu_after, relu_before)]
        .into_iter()
        .filter(|&(p, here, other)| {
            here < other - claims::AS_WELL_AS_MARGIN
                && c2.comparisons.iter().any(|k| k.subject.placement == Some(p) && k.outcome == Outcome::Supports)
        })
        .map(|(p, here, other)| {
            let q = if p == Placement::Before { "after" } else { "before" };
            // Only the activations whose comparison came out yes (it had said "the settings … sigmoid and
            // tanh" where tanh alone had).
            let yes: Vec<String> = c2
                .comparisons
                .iter()
                .filter(|k| k.subject.placement == Some(p) && k.outcome == Outcome::Supports)
                .filter_map(|k| k.subject.activation.map(|a| a.to_string()))
                .collect();
            let (which, verb) = if yes.len() == 1 { ("setting", "compares") } else { ("settings", "compare") };
            let pairs: Vec<String> = yes.iter().map(|a| format!("{a} vs relu")).collect();
            format!(
                " The {which} that came out yes with BN {p} ({}) {verb} with a ReLU that itself scored {here:.3} there, against {other:.3} with BN {q}: {} came close partly because ReLU lost.",
                pairs.join(", "),
                yes.join(" and ")
            )
        })
        .collect();
    let best = format!("{}{best}", weaker_relu.concat());
    let q1 = format!(
        "{} {}With BN before φ, mean test accuracy was sigmoid {:.3}, tanh {:.3}, ReLU {:.3}; with BN after φ, {:.3}, {:.3}, {:.3} (each at its own best learning rate, over {}; \"as well as\" means not worse than ReLU by more than {}).{best}{tested}{} Verdict on C2: {}.",
        yes_no(c2),
        still_open(c2),
        shown[0].0,
        shown[1].0,
        shown[2].0,
        shown[3].0,
        shown[4].0,
        shown[5].0,
        seed_counts(&n, 3),
        claims::AS_WELL_AS_MARGIN,
        // Before the verdict, which ends every answer (the reading guide says so; it had come after it).
        tuning_sentence(e1),
        c2.verdict.word()
    );
    // Group C3's comparisons by stress setting: "lr 1, initial bias 0: units dead with BN before 31% (by layer
    // 12, 48, 33%) vs 58% (…) without, …". Each row's "without" is over the seeds it pairs, so it is given per
    // row; the layers are given because the mean over them can hide one (a teacher asked for the worst).
    let mut settings: Vec<((f64, f64), Vec<String>)> = Vec::new();
    for k in &c3.comparisons {
        let (Some(lr), Some(bias), Some(place)) = (k.subject.lr, k.subject.bias_init, k.subject.placement) else {
            continue;
        };
        let (layers_a, layers_b) = k
            .by_layer
            .as_ref()
            .map_or((String::new(), String::new()), |(a, b)| (by_layer_percent(a), by_layer_percent(b)));
        let item =
            format!("with BN {place} {:.0}%{layers_b} vs {:.0}%{layers_a} without", 100.0 * k.mean_b, 100.0 * k.mean_a);
        match settings.iter_mut().find(|s| s.0 == (lr, bias)) {
            Some(s) => s.1.push(item),
            None => settings.push(((lr, bias), vec![item])),
        }
    }
    let dead: Vec<String> = settings
        .iter()
        .map(|((lr, bias), with)| format!("lr {lr}, initial bias {bias}: units dead {}", with.join(", ")))
        .collect();
    let q2 = format!(
        "{}{} Dead-unit fraction at the end of training (mean over hidden layers, and each layer where they differ by 5 points or more) under stress that kills ReLUs — {}. Verdict on C3: {}.",
        yes_no(c3),
        by_placement(c3),
        dead.join("; "),
        c3.verdict.word()
    );
    let by = |o: Outcome| -> Vec<String> {
        c4.comparisons
            .iter()
            .filter(|k| k.outcome == o)
            .filter_map(|k| k.subject.activation.map(|a| a.to_string()))
            .collect()
    };
    let (after, before, unclear) = (by(Outcome::Supports), by(Outcome::Contradicts), by(Outcome::Unclear));
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    let q3 = format!(
        "{} After was significantly better for: {}; before was significantly better for: {}; not decided either way for: {} (paired by seed, Holm-adjusted). {}Verdict on C4 (\"after works better\"): {}.",
        match c4.verdict {
            Verdict::Supported => "After.",
            Verdict::Refuted => "Before.",
            Verdict::DependsOnSetting => "It depends on the activation.",
            Verdict::PartlyUndecided => "For some activations; for the others this data does not decide.",
            Verdict::Inconclusive => "Not settled by this data: no comparison came out either way.",
        },
        list(&after),
        list(&before),
        list(&unclear),
        still_open(c4),
        c4.verdict.word()
    );
    vec![
        ("With batch normalization, do sigmoid and tanh work as well as ReLU?".into(), q1),
        ("Does batch normalization fix dead ReLUs?".into(), q2),
        ("Should BN go before or after the activation?".into(), q3),
    ]
}

/// " By placement: with BN before, yes in 4 of 4; with BN after, yes in 0 of 3 (not settled in 3)." for a
/// claim whose settings span placements and came out differently by placement (C3's four settings that
/// came out yes had all been BN before, which "yes in 4 of 7 settings" did not say); nothing otherwise.
fn by_placement(c: &ClaimResult) -> String {
    let mut places: Vec<Placement> = Vec::new();
    for p in c.comparisons.iter().filter_map(|k| k.subject.placement) {
        if !places.contains(&p) {
            places.push(p);
        }
    }
    let tally = |p: Placement| {
        let of: Vec<Outcome> =
            c.comparisons.iter().filter(|k| k.subject.placement == Some(p)).map(|k| k.outcome).collect();
        let n = |o: Outcome| of.iter().filter(|x| **x == o).count();
        (n(Outcome::Supports), n(Outcome::Contradicts), n(Outcome::Unclear), of.len())
    };
    let tallies: Vec<(Placement, (usize, usize, usize, usize))> = places.iter().map(|&p| (p, tally(p))).collect();
    // Said only where it tells more than the overall count: the share of yes differs between placements.
    let share = |t: &(usize, usize, usize, usize)| t.0 as f64 / t.3 as f64;
    if tallies.len() < 2 || tallies.iter().all(|(_, t)| share(t) == share(&tallies[0].1)) {
        return String::new();
    }
    let parts: Vec<String> = tallies
        .iter()
        .map(|(p, (yes, no, open, n))| {
            let mut rest = Vec::new();
            if *no > 0 {
                rest.push(format!("no in {no}"));
            }
            if *open > 0 {
                rest.push(format!("not settled in {open}"));
            }
            let rest = if rest.is_empty() { String::new() } else { format!(" ({})", rest.join(", ")) };
            format!("with BN {p}, yes in {yes} of {n}{rest}")
        })
        .collect();
    format!(" By placement: {}.", parts.join("; "))
}

/// " (by layer 12, 48, 36%)": each hidden layer's mean, first layer first, where the layers differ by at
/// least [`LAYERS_APART`] (their mean then hides one); nothing where they agree or there is one layer.
fn by_layer_percent(layers: &[f64]) -> String {
    let (lo, hi) = layers.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    // NaN layers (none measured) compare false: nothing to list.
    if layers.len() < 2 || (hi - lo).partial_cmp(&LAYERS_APART).is_none_or(|o| o.is_lt()) {
        return String::new();
    }
    let v: Vec<String> = layers.iter().map(|x| format!("{:.0}", 100.0 * x)).collect();
    format!(" (by layer {}%)", v.join(", "))
}

/// How far apart (as a share) a mean's layers must lie for C3's short answer to list them: 5 points.
const LAYERS_APART: f64 = 0.05;

/// "Still open: S (20 seeds detect ±0.0112 …; ±0.0056 would take ~72 …). " for a claim's undecided
/// comparisons, or nothing when every comparison was decided.
fn still_open(c: &super::claims::ClaimResult) -> String {
    let items: Vec<String> = c
        .comparisons
        .iter()
        .filter_map(|k| Some(format!("{} ({})", k.setting, k.power.as_ref()?.resolution())))
        .collect();
    if items.is_empty() { String::new() } else { format!("Still open: {}. ", items.join("; ")) }
}

/// The theory check of `kind`, as "measured … vs predicted … (pass)".
fn theory_line(th: &[TheoryCheck], kind: CheckKind) -> String {
    th.iter().find(|c| c.kind == kind).map_or("n/a".to_string(), |c| {
        format!("measured {:.4} vs predicted {:.4} ({})", c.measured, c.predicted, c.result())
    })
}

/// "What others found" beside what this report measured, one pair per published result.
pub fn literature(e1: &Experiment, e4: &Experiment, th: &[TheoryCheck], cl: &ClaimSet) -> Vec<(String, String)> {
    let acc = |e: &Experiment, a: Activation, p: Placement, selected: bool| {
        let pred = move |c: &RunConfig| c.activation == a && c.placement == p;
        let runs = if selected { e.selected(pred) } else { e.matching(pred) };
        mean(&runs.iter().map(|r| r.test_accuracy()).collect::<Vec<_>>())
    };
    let c7 = cl.c7.comparisons.iter().find(|k| k.subject.when == Some(When::Init)).map_or(f64::NAN, |k| k.mean_a);
    let s = Activation::Sigmoid;
    let (r, th_) = (Activation::Relu, Activation::Tanh);
    let (n, b, a) = (Placement::None, Placement::Before, Placement::After);
    // Training length and batch of an experiment's runs, as the published setups give theirs.
    let length = |e: &Experiment| {
        e.runs.first().map_or_else(
            || "?".to_string(),
            |r| format!("{} steps of {}", r.last().map_or(0, |c| c.step), r.config.batch_size),
        )
    };
    vec![
        (
            "Ioffe & Szegedy 2015, §4.1 and Fig. 1a (MNIST, 3×100 sigmoid, BN before φ, small Gaussian init, 50,000 steps of 60; the paper gives no optimizer): a public re-run with SGD at lr 0.5 reached test accuracy 0.980 with BN vs 0.977 without (the paper's own numbers are a plot).".into(),
            format!(
                "Fashion-MNIST ({}), the same 3×100 sigmoid net with PyTorch's default init, {}, SGD with momentum 0.9 at the learning rate chosen on validation: sigmoid with BN before {:.3} vs without {:.3} (E1).",
                e1.runs.first().map_or("?", |r| r.summary.data.as_str()),
                length(e1),
                acc(e1, s, b, true),
                acc(e1, s, n, true)
            ),
        ),
        (
            "Ioffe & Szegedy 2015, Fig. 1b–c: the 15th/50th/85th percentiles of a last-layer sigmoid's input drift during training without BN and stay put with BN.".into(),
            "See the figure bn_paper_percentiles (same net, same unit choice: the first unit of the last hidden layer).".into(),
        ),
        (
            "Mishkin et al. 2017 (CaffeNet on ImageNet, single runs): BN before ReLU 0.474 vs after 0.499 top-1; with BN (after φ: their ReLU's 0.499 is the BN-after run), sigmoid 0.475 vs ReLU 0.499.".into(),
            format!("ReLU: before {:.3} vs after {:.3}; with BN after, sigmoid {:.3} vs ReLU {:.3} (E1).", acc(e1, r, b, true), acc(e1, r, a, true), acc(e1, s, a, true), acc(e1, r, a, true)),
        ),
        (
            "Kim et al. 2023 (Tanh Works Better with Asymmetry): for tanh-like activations BN after φ is considerably better; for ReLU the order matters little.".into(),
            format!("tanh: after − before = {}; ReLU: after − before = {} (E1).", signed(acc(e1, th_, a, true) - acc(e1, th_, b, true), 3), signed(acc(e1, r, a, true) - acc(e1, r, b, true), 3)),
        ),
        (
            "Glorot & Bengio 2010, Fig. 2: with sigmoid and no normalisation, the last hidden layer is quickly pushed into saturation (towards 0) and only slowly desaturates.".into(),
            format!("{} {}", top_layer_saturation(e1), top_layer_activation(e4)),
        ),
        (
            "Glorot & Bengio 2010, Table 1 (MNIST, 5 hidden layers of 1,000, standard init, trained to convergence with a tuned learning rate): test error sigmoid 2.21%, tanh 1.76%.".into(),
            format!(
                "Fashion-MNIST, {} hidden layers of {}, standard init, no BN, {} at one untuned learning rate ({}), so far from convergence: test accuracy sigmoid {:.3}, tanh {:.3} (E4).",
                e4.runs.first().map_or(0, |r| r.config.widths().len()),
                e4.runs.first().and_then(|r| r.config.widths().first().copied()).unwrap_or(0),
                length(e4),
                e4.runs.first().map_or(f64::NAN, |r| r.config.lr),
                acc(e4, s, n, false),
                acc(e4, th_, n, false)
            ),
        ),
        (
            "Yang et al. 2019, Thm 8: with BN before φ, gradients explode at initialisation; for ReLU the squared gradient grows per layer by λ(B), falling to π/(π−1) ≈ 1.467 as B → ∞.".into(),
            format!("batch 256: {}.", theory_line(th, CheckKind::GradientGrowth { activation: Activation::Relu, batch: 256 })),
        ),
        ("Lu et al. 2020: deep narrow ReLU nets are born dead; derived exact probability 0.944 at width 2, depth 10.".into(), theory_line(th, CheckKind::BornDead { width: 2, depth: 10 })),
        (
            "Standard normal facts: only 34.1% of N(0, 1) lies in [0, 1], so after BN at initialisation sigmoid(z) is not confined to [0.5, 0.73].".into(),
            format!("share of BN outputs in [0, 1] for sigmoid nets at initialisation: {:.3} (C7, E1).", c7),
        ),
        (
            "Ioffe & Szegedy 2015, Fig. 3 (Inception with BN-x5): sigmoid 69.8% vs ReLU 73.0% top-1.".into(),
            format!("see C2: with BN before, sigmoid {:.3} vs ReLU {:.3}.", acc(e1, s, b, true), acc(e1, r, b, true)),
        ),
    ]
}

/// A per-layer quantity of the last hidden layer over training, averaged over `runs` (seeds).
fn last_layer_curve(
    runs: &[&aggregate::Run],
    f: impl Fn(&actscope_metrics::records::LayerRecord) -> Option<f64>,
) -> actscope_plots::figures::MeanCurve {
    aggregate::mean_curve("", 0, runs, |r| aggregate::layer_series(r, r.config.widths().len().saturating_sub(1), &f))
}

/// The mean (over seeds) saturation of the last hidden layer of E1's sigmoid nets without BN: its peak and
/// its final value, for the comparison with Glorot & Bengio's Fig. 2.
fn top_layer_saturation(e1: &Experiment) -> String {
    use actscope_metrics::records::MeasuredOn;
    let runs = e1.selected(|c: &RunConfig| c.activation == Activation::Sigmoid && c.placement == Placement::None);
    // Checkpoints on training batches (60 examples) and on the whole probe set are not compared with one
    // another (a statistician: "peaks at 98% at step 100, ends at 43%" set a batch against the probe set).
    let rate = |l: &actscope_metrics::records::LayerRecord| l.saturation.map(|s| s.rate);
    let on = |source: MeasuredOn| {
        aggregate::mean_curve("", 0, &runs, |r| {
            aggregate::layer_series_on(r, r.config.widths().len().saturating_sub(1), Some(source), rate)
        })
    };
    let (probe, batches) = (on(MeasuredOn::ProbeSet), on(MeasuredOn::TrainBatch));
    let (Some(&start), Some(&start_step), Some(&end), Some(&end_step)) =
        (probe.mean.first(), probe.x.first(), probe.mean.last(), probe.x.last())
    else {
        return "no sigmoid runs without BN".into();
    };
    let low = last_layer_curve(&runs, |l| Some(l.z.percentiles[2])).mean.last().copied().unwrap_or(f64::NAN);
    let side = if low < 0.0 {
        "on the low (output 0) side"
    } else if low > 0.0 {
        "on the high (output 1) side"
    } else {
        "at the centre"
    };
    let batch = runs.first().map_or(0, |r| r.config.batch_size);
    let peak = batches.mean.iter().copied().enumerate().max_by(|a, b| a.1.total_cmp(&b.1)).map_or_else(
        String::new,
        |(i, p)| {
            format!(
                "; on the training batches in between it peaks at {:.0}% at step {} (a batch of {batch} examples is \
                 not the probe set: the two are not compared)",
                100.0 * p,
                batches.x[i]
            )
        },
    );
    format!(
        "E1, sigmoid without BN: the last hidden layer's saturation rate on the whole probe set is {:.0}% at step {start_step} and {:.0}% at the end (step {end_step}){peak}; its median input at the end (mean over seeds) is {low:.2}, {side}. See the saturation and BN-paper figures.",
        100.0 * start,
        100.0 * end,
    )
}

/// The mean (over seeds) activation of the last hidden layer of E4's sigmoid nets without BN — the quantity
/// Glorot & Bengio plot in Fig. 2 — at the first and last checkpoints, and its saturation rate at the end.
fn top_layer_activation(e4: &Experiment) -> String {
    let runs = e4.matching(|c: &RunConfig| c.activation == Activation::Sigmoid && c.placement == Placement::None);
    let mean = last_layer_curve(&runs, |l| Some(l.a.mean));
    let rate = last_layer_curve(&runs, |l| l.saturation.map(|s| s.rate));
    let (Some(first), Some(end), Some(step)) = (mean.mean.first(), mean.mean.last(), mean.x.last()) else {
        return "E4 has no sigmoid runs without BN.".into();
    };
    let batch = runs.first().map_or(0, |r| r.config.batch_size);
    // A move of 0.05 or more counts as a trend; the words follow the numbers.
    let trend = if end - first <= -0.05 {
        "pushed towards 0, as in their figure"
    } else if end - first >= 0.05 {
        "rising, unlike their figure"
    } else {
        "not (yet) pushed towards 0, unlike their figure"
    };
    // σ′ = s(1 − s) < τ·¼ exactly when the output s lies below s₀ = (1 − √(1 − τ))/2 or above 1 − s₀.
    let tau = runs.first().map_or(DEFAULT_TAU, |r| r.config.tau);
    let s0 = (1.0 - (1.0 - tau).sqrt()) / 2.0;
    // Their networks learned; a net that ended at chance level moved its activations without learning (C8
    // sets such runs aside), so the agreement is qualified by how many did.
    let failed = runs.iter().filter(|r| r.summary.failed_to_learn()).count();
    let chance = match failed {
        0 => String::new(),
        n if n == runs.len() => format!(
            " All {n} runs ended at chance level (test accuracy {}), unlike their networks: this is the drift of a network that did not learn, which C8 sets aside.",
            mean_test_accuracy(&runs)
        ),
        n => format!(" {n} of the {} runs ended at chance level (C8 sets such runs aside).", runs.len()),
    };
    format!(
        "E4 (their init, batch {batch}), sigmoid without BN: the last hidden layer's mean activation goes from {first:.2} to {end:.2} by step {step}, {trend}; its saturation rate by this report's definition (φ′ < {tau}·max φ′: activation below {s0:.3} or above {:.3}) is {:.0}% at the end.{chance} {}",
        1.0 - s0,
        100.0 * rate.mean.last().copied().unwrap_or(f64::NAN),
        run_length_against_glorot_bengio(*step)
    )
}

/// Mean test accuracy of `runs` over those with one, to three decimals.
fn mean_test_accuracy(runs: &[&aggregate::Run]) -> String {
    let acc: Vec<f64> = runs.iter().map(|r| r.test_accuracy()).collect();
    format!("{:.3}", mean(&acc))
}

/// Updates in Glorot & Bengio's Fig. 2 before the top layer desaturates: their x-axis counts "epochs" of
/// 20,000 mini-batch updates (batch 10), and the caption places the slow desaturation around epoch 100.
pub const GLOROT_BENGIO_DESATURATION_UPDATES: f64 = 100.0 * 20_000.0;

/// How E4's run length (`steps` updates) compares with the stretch of Glorot & Bengio's Fig. 2.
pub fn run_length_against_glorot_bengio(steps: f64) -> String {
    let share = steps / GLOROT_BENGIO_DESATURATION_UPDATES;
    let verdict = if share < 0.5 {
        "so this report sees their early phase (the push towards saturation), not the late desaturation"
    } else {
        "long enough to see the late desaturation they describe"
    };
    format!(
        "Run length: their Fig. 2 counts epochs of 20,000 updates and the top layer desaturates only around epoch 100 (~{:.1} million updates); E4 runs {steps:.0} updates, {:.2}% of that, {verdict}.",
        GLOROT_BENGIO_DESATURATION_UPDATES / 1e6,
        100.0 * share
    )
}

/// The methods paragraph on E1's rounds of seeds: the seeds that chose the learning rates (those below
/// [`Rounds::first_seed`]; where E1 tries one rate, `chosen` is false and they chose nothing) and those
/// judged on, the design (where C2 and C4 are tested sequentially: `sequential`), and how many comparisons
/// each round decided.
pub fn sequential_methods(log: &[RoundLog], rounds: &Rounds, chosen: bool, sequential: bool, cl: &ClaimSet) -> String {
    let first = rounds.first_seed;
    let chose = if chosen {
        format!(
            "E1 runs its whole learning-rate grid on seeds 0–{} first; those seeds choose each configuration's learning rate, and only what describes that choice reads them (the learning-rate sensitivity figure, the tuning paragraph and C2's ease-of-tuning sentence). Every test and every other number of E1 (C2, C4, C6–C9, the other figures) is taken from seeds {} on, run at the selected rates, so the selection's optimism (the winner's curse, measured in the tuning paragraph) enters no test",
            first.saturating_sub(1),
            first
        )
    } else {
        format!(
            "E1 tries one learning rate in this profile, so its first seeds (0–{}) choose nothing, and every seed counts",
            first.saturating_sub(1)
        )
    };
    if !sequential {
        let seeds = if chosen {
            log.iter().map(|l| l.seeds).max()
        } else {
            log.iter().map(|l| l.seeds).max().map(|n| n + first as usize)
        };
        return format!(
            "Seeds: {chose}. This profile runs {} such seeds per configuration in one round; C2 and C4 are judged by the fixed-sample rules below.",
            seeds.unwrap_or(0)
        );
    }
    let r = rounds;
    let rows: Vec<String> = log
        .iter()
        .map(|l| {
            let ext = if l.extension_runs > 0 {
                format!(" ({} of them extending learning-rate grids)", l.extension_runs)
            } else {
                String::new()
            };
            if l.seeds == 0 {
                return format!("choosing the learning rates: {} runs{ext}, {:.0} CPU-seconds of training", l.runs, l.cpu_seconds);
            }
            let cap = if l.undecided > 0 {
                format!(", {} undecided at the cap of {} seeds", l.undecided, r.design.n_max)
            } else {
                String::new()
            };
            format!(
                "{} seeds judged on: {} runs{ext}, {:.0} CPU-seconds of training, {} of C2's and C4's comparisons decided so far, {} open{cap}",
                l.seeds, l.runs, l.cpu_seconds, l.decided, l.open
            )
        })
        .collect();
    let undecided: Vec<String> = [&cl.c2, &cl.c4]
        .iter()
        .flat_map(|c| c.comparisons.iter().map(move |k| (c.id, k)))
        .filter_map(|(id, k)| {
            let p = k.power.as_ref()?;
            Some(format!(
                "{id} {}: observed {} from the threshold (95% interval [{}, {}], not adjusted for Holm or the looks); {}",
                k.setting,
                signed(p.observed, 4),
                signed(p.ci_low, 4),
                signed(p.ci_high, 4),
                p.resolution()
            ))
        })
        .collect();
    format!(
        "Seeds in rounds (C2, C4): {chose}. The second round runs every configuration on seeds {}–{}; after it and each later round every comparison of C2 and C4 is re-tested, a decided comparison stops, and the configurations of open ones get {} more seeds, up to {} seeds judged on. Each comparison is a group-sequential test: O'Brien–Fleming-type α-spending (Lan & DeMets 1983) over the information fraction n/{}, α/2 = {} per direction, each look at the level it spends (a Bonferroni split over looks: valid whatever the looks' correlation, and conservative), Holm within the claim (Maurer & Bretz 2013), each look counted in the round it was taken (a round that adds no pair with values on both sides gives a comparison no look); see docs/statistics.md. Rounds: {}.{}",
        first,
        first + r.looks.first().map_or(0, |&n| n as u64).saturating_sub(1),
        r.looks.first().copied().unwrap_or(0),
        r.design.n_max,
        r.design.n_max,
        r.design.alpha / 2.0,
        rows.join("; "),
        if undecided.is_empty() {
            " Every comparison of C2 and C4 was decided.".to_string()
        } else {
            format!(" Undecided: {}.", undecided.join("; "))
        }
    )
}

/// The methods paragraph on pairing by seed: runs of one seed share data order and initial weights
/// (common random numbers), so C2's and C4's comparisons are paired; this measures what pairing gained —
/// the correlation of paired outcomes and the width of the paired interval against the unpaired one.
pub fn pairing(cl: &ClaimSet) -> String {
    let rows: Vec<String> = [&cl.c2, &cl.c4]
        .iter()
        .flat_map(|c| c.comparisons.iter().map(move |k| (c.id, k)))
        .filter(|(_, k)| k.a.len() >= 3)
        .map(|(id, k)| {
            let (da, db) = (describe(&k.a), describe(&k.b));
            let cov = k.a.iter().zip(&k.b).map(|(x, y)| (x - da.mean) * (y - db.mean)).sum::<f64>()
                / (k.a.len() as f64 - 1.0);
            let r = cov / (da.sd * db.sd);
            // Half-width of a 95% interval from the test's standard error (|diff / t| was NaN at diff = 0).
            let width = |t: Option<actscope_metrics::stats::TTest>| {
                t.map_or(f64::NAN, |t| {
                    let q = StudentsT::new(0.0, 1.0, t.df).map_or(f64::NAN, |d| d.inverse_cdf(0.975));
                    t.se * q
                })
            };
            format!(
                "{id} {}: r = {r:.2}, paired ±{:.4} vs unpaired ±{:.4}",
                k.setting,
                width(paired(&k.a, &k.b)),
                width(welch(&k.a, &k.b))
            )
        })
        .collect();
    if rows.is_empty() {
        return "Pairing by seed: too few seeds to measure its effect.".into();
    }
    format!(
        "Pairing by seed (common random numbers: runs of one seed see the same batches in the same order and start from the same first-layer weights, and, within a BN placement, from identical weights): correlation of paired test accuracies and 95% half-widths of the difference, paired vs unpaired (Welch) — {}.",
        rows.join("; ")
    )
}

/// The methods paragraph on convergence: for each E1 configuration at its selected learning rate, the
/// validation accuracy gained over the last quarter of training (mean over seeds), so a reader sees how
/// near the end of learning the compared runs were.
pub fn convergence(e1: &Experiment) -> String {
    let mut rows = Vec::new();
    for g in &e1.groups {
        let runs = e1.selected(|c: &RunConfig| c.group_key() == g.config.group_key());
        let gains: Vec<f64> = runs
            .iter()
            .filter(|r| r.summary.is_ok())
            .filter_map(|r| {
                let val = r.evals("val");
                let end = val.last()?;
                let from = end.step * 3 / 4;
                // The evaluation closest to three quarters of the way, not after it.
                let quarter = val.iter().rev().find(|p| p.step <= from)?;
                (quarter.step < end.step).then_some(end.accuracy - quarter.accuracy)
            })
            .collect();
        if gains.is_empty() {
            continue;
        }
        let d = describe(&gains);
        let interval = if d.n >= 2 {
            format!(" [{}, {}]", signed(100.0 * d.ci_low, 1), signed(100.0 * d.ci_high, 1))
        } else {
            " (1 seed)".to_string()
        };
        rows.push(format!("{}/{} {} pp{interval}", g.config.activation, g.config.placement, signed(100.0 * d.mean, 1)));
    }
    if rows.is_empty() {
        return "Convergence: no E1 run has evaluations to measure it from.".into();
    }
    format!(
        "Convergence (E1, each configuration at its selected learning rate): validation accuracy gained over the last quarter of training, mean over seeds with its 95% interval — {}. Gains near 0 mean the runs are near their plateau at this budget; larger ones mean the comparison is made on still-learning networks.",
        rows.join(", ")
    )
}

/// The methods paragraph on tuning: each E1 configuration's selected learning rate, whether it is bracketed
/// (a tried rate on each side), and its tuning robustness (decades within 1 pp of its best, over seeds).
pub fn tuning(e1: &Experiment) -> String {
    let rows: Vec<String> = e1
        .groups
        .iter()
        .map(|g| {
            let place = match g.bracket {
                Bracket::Interior => "bracketed".to_string(),
                Bracket::LowEdge => "at the low edge of the rates tried: the optimum may lie lower".to_string(),
                Bracket::HighEdge => "at the high edge of the rates tried: the optimum may lie higher".to_string(),
                Bracket::Single => "one rate only".to_string(),
            };
            format!(
                "{}/{}: lr {} ({place}), within 1 pp of its best over {:.2} decades ({})",
                g.config.activation,
                g.config.placement,
                g.selected_lr,
                g.lr_width_decades,
                fmt_describe(&g.lr_width_by_seed)
            )
        })
        .collect();
    format!(
        "Tuning (E1): every configuration's learning rate is chosen on validation from the profile's grid; a configuration whose best rate lies at an edge of the grid gets the next rate beyond it (the grid's own ratio, rounded to two digits; at most {} times per side, first-round seeds), until its optimum is bracketed; extension runs are ordinary runs and are counted in the rounds above. Robustness is the width, in decades, of the range of tried rates within {} of the best mean validation accuracy (a lower bound where the range reaches an edge); per seed: mean [95% CI]. {}The selection uses the first round's validation scores, so the best of k rates is biased upward on those seeds (the winner's curse); apart from this paragraph, the learning-rate sensitivity figure and C2's ease-of-tuning sentence, which describe the choice, nothing in the report is taken from them. {} {}.",
        crate::tuning::MAX_EXTENSIONS,
        crate::tuning::WITHIN,
        widths_compared(e1),
        winners_curse(e1),
        rows.join("; ")
    )
}

/// Why the two tuning widths can disagree, with how often they do here: pairs of configurations the two
/// order oppositely, and the seed-to-seed spread of validation accuracy that makes them differ.
fn widths_compared(e1: &Experiment) -> String {
    let g: Vec<&crate::summarize::GroupSummary> =
        e1.groups.iter().filter(|g| g.lr_width_decades.is_finite() && g.lr_width_by_seed.n >= 1).collect();
    let name = |g: &crate::summarize::GroupSummary| format!("{}/{}", g.config.activation, g.config.placement);
    let (mut pairs, mut opposite, mut example) = (0, 0, None);
    for (i, a) in g.iter().enumerate() {
        for b in &g[i + 1..] {
            pairs += 1;
            let on_mean = a.lr_width_decades - b.lr_width_decades;
            let per_seed = a.lr_width_by_seed.mean - b.lr_width_by_seed.mean;
            if on_mean * per_seed < 0.0 {
                opposite += 1;
                let (wide, narrow) = if on_mean > 0.0 { (a, b) } else { (b, a) };
                example.get_or_insert_with(|| {
                    format!(
                        " (e.g. {} is wider than {} on the mean curve, {:.2} against {:.2} decades, but narrower per seed, {:.2} against {:.2})",
                        name(wide),
                        name(narrow),
                        wide.lr_width_decades,
                        narrow.lr_width_decades,
                        wide.lr_width_by_seed.mean,
                        narrow.lr_width_by_seed.mean
                    )
                });
            }
        }
    }
    if pairs == 0 {
        return String::new();
    }
    if opposite == 0 {
        return format!("The two widths order none of the {pairs} pairs of configurations oppositely. ");
    }
    let sd: Vec<(f64, String)> = g
        .iter()
        .filter_map(|g| {
            let d = &g.lr_sensitivity.iter().find(|(lr, _)| *lr == g.selected_lr)?.1;
            (d.n >= 2 && d.sd.is_finite()).then(|| (100.0 * d.sd, name(g)))
        })
        .collect();
    let spread = match (sd.iter().min_by(|a, b| a.0.total_cmp(&b.0)), sd.iter().max_by(|a, b| a.0.total_cmp(&b.0))) {
        (Some(lo), Some(hi)) => format!(
            "; here the seed-to-seed sd of validation accuracy at the selected rate runs from {:.2} pp ({}) to {:.2} pp ({}), against a band of {:.0} pp",
            lo.0,
            lo.1,
            hi.0,
            hi.1,
            100.0 * crate::tuning::WITHIN
        ),
        _ => String::new(),
    };
    format!(
        "The two widths order {opposite} of the {pairs} pairs of configurations oppositely{}. They measure different things and can part either way: the mean curve averages the seeds' noise away before the band is drawn, while each seed's band is drawn around that seed's own best rate. Noise lifts that best above its neighbours, which narrows a seed's band where the mean curve is flat, and can lift a neighbouring rate into it, which widens the band where the mean curve falls off steeply; so the two part most where seeds scatter by a good part of the band{spread}. The per-seed width is what a single training run meets, so the short answer gives it. ",
        example.unwrap_or_default()
    )
}

/// The winner's curse measured: for configurations that ran more seeds than the selection seeds (later
/// rounds), the selected rate's mean validation accuracy on the selection seeds minus its mean on the other
/// seeds, averaged over those configurations.
fn winners_curse(e1: &Experiment) -> String {
    let mut gaps = Vec::new();
    for g in &e1.groups {
        let runs: Vec<&aggregate::Run> =
            e1.runs.iter().filter(|r| r.config.group_key() == g.config.group_key()).collect();
        let lrs: Vec<f64> = g.lr_scores.iter().map(|p| p.0).collect();
        let selection: Vec<u64> = runs
            .iter()
            .map(|r| r.config.seed)
            .filter(|&s| lrs.iter().all(|&lr| runs.iter().any(|r| r.config.lr == lr && r.config.seed == s)))
            .collect();
        let val = |inside: bool| -> Vec<f64> {
            runs.iter()
                .filter(|r| r.config.lr == g.selected_lr && selection.contains(&r.config.seed) == inside)
                .map(|r| r.summary.val_accuracy())
                .collect()
        };
        let (chosen_on, held_out) = (val(true), val(false));
        if lrs.len() > 1 && chosen_on.len() >= 2 && held_out.len() >= 2 {
            gaps.push(describe(&chosen_on).mean - describe(&held_out).mean);
        }
    }
    match gaps[..] {
        [] => {
            return "The winner's curse could not be measured here: no configuration ran seeds beyond the selection seeds."
                .into();
        }
        [gap] => {
            return format!(
                "The winner's curse could be measured on one configuration only (the one that ran seeds beyond the selection seeds): its selected rate's validation accuracy is {} pp higher on the seeds that chose it than on the others, one value with no interval.",
                signed(100.0 * gap, 2)
            );
        }
        _ => {}
    }
    let d = describe(&gaps);
    format!(
        "Measured on the {} configurations that ran seeds beyond the selection seeds: the selected rate's validation accuracy is {} pp [{}, {}] higher on the seeds that chose it than on the others — the size of the winner's curse here, which the report keeps out of its numbers by taking them from the later seeds only. The interval treats the configurations as independent, but they share their seeds, so it is too narrow by an unknown amount.",
        d.n,
        signed(100.0 * d.mean, 2),
        signed(100.0 * d.ci_low, 2),
        signed(100.0 * d.ci_high, 2)
    )
}

/// "mean [lo, hi]" of a description of widths, or "n/a"; the interval is cut at 0 (a width is never
/// negative, and a t-interval of a few discrete widths reached below it).
fn fmt_describe(d: &actscope_metrics::stats::Describe) -> String {
    if d.n >= 2 {
        let d = d.within(0.0, f64::INFINITY);
        format!("{:.2} [{:.2}, {:.2}] over {} seeds", d.mean, d.ci_low, d.ci_high, d.n)
    } else {
        "n/a".into()
    }
}

/// The C2 sentence on tuning: how wide each compared configuration's good learning-rate range is.
pub fn tuning_sentence(e1: &Experiment) -> String {
    let width = |a: Activation, p: Placement| {
        e1.group(move |c: &RunConfig| c.activation == a && c.placement == p)
            .map(|g| format!("{} over {:.2} decades", a, g.lr_width_by_seed.mean))
    };
    let parts: Vec<String> = [Placement::Before, Placement::After]
        .iter()
        .filter_map(|&p| {
            let items: Vec<String> =
                [Activation::Sigmoid, Activation::Tanh, Activation::Relu].iter().filter_map(|&a| width(a, p)).collect();
            (!items.is_empty()).then(|| format!("with BN {p}, {}", items.join(", ")))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(
            " Ease of tuning (learning-rate range within 1 pp of each seed's best, mean over the seeds that chose the rates): {}.",
            parts.join("; ")
        )
    }
}
