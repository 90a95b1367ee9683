//! The per-layer diagnosis of analysed captures, by rules stated here and applied to the numbers: for each
//! model, its seeds' checkpoints averaged step by step, and each hidden layer judged at the last checkpoint.
//!
//! | finding | rule (at the last checkpoint, mean over seeds) |
//! |---|---|
//! | saturated | saturation rate ≥ [`SATURATED_RATE`] (the report's C8 threshold for a saturating layer) |
//! | dead units | dead-unit fraction ≥ [`DEAD_SHARE`] |
//! | vanishing gradient | ‖∂L/∂W_layer‖ / ‖∂L/∂W_output‖ < [`VANISHING_RATIO`] |
//! | exploding gradient | that ratio > [`EXPLODING_RATIO`] |
//!
//! "Since step s" is the first checkpoint from which the rule held at every later checkpoint. Means over
//! seeds come with 95% Student-t intervals (`actscope_metrics::stats::describe`). Two models are compared
//! on the seeds both have, paired by seed, with the report's tests and verdict rules
//! (`crate::report::verdict`), on the quantities the report's claims use: C8's saturation of the most
//! saturated layer, C3's mean dead fraction and C1's vanishing index.

use actscope_metrics::records::{Checkpoint, LayerRecord};
use actscope_metrics::stats::{Describe, describe};

use super::rundir::AnalyzedRun;
use crate::report::claims::{SATURATING_RATE, max_saturation, mean_dead};
use crate::report::verdict::{Comparison, TestKind, Verdict, judge};

/// A layer whose saturation rate is at least this is saturated: the report's threshold (C8).
pub const SATURATED_RATE: f64 = SATURATING_RATE;
/// A layer with at least this share of dead units has dead units worth fixing (the same tenth).
pub const DEAD_SHARE: f64 = SATURATING_RATE;
/// A layer whose weight gradient is below this fraction of the output layer's has a vanishing gradient
/// (a vanishing index below −2).
pub const VANISHING_RATIO: f64 = 1e-2;
/// A layer whose weight gradient is above this multiple of the output layer's has an exploding gradient.
pub const EXPLODING_RATIO: f64 = 1e2;

/// What a rule found in a layer.
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// Saturation rate at or above [`SATURATED_RATE`].
    Saturated {
        /// The rate at the last checkpoint.
        rate: f64,
        /// The first step from which it stayed at or above the threshold.
        since: usize,
        /// The share of units stuck at the last checkpoint: saturated on one side for every example (the
        /// words name it from 1% on; a layer stuck from step 0 points to the initialisation or input scale).
        stuck: f64,
    },
    /// Dead-unit fraction at or above [`DEAD_SHARE`].
    Dead {
        /// The fraction at the last checkpoint.
        fraction: f64,
        /// The first step from which it stayed at or above the threshold.
        since: usize,
    },
    /// Weight-gradient norm below [`VANISHING_RATIO`] of the output layer's.
    Vanishing {
        /// The ratio at the last checkpoint.
        ratio: f64,
    },
    /// Weight-gradient norm above [`EXPLODING_RATIO`] of the output layer's.
    Exploding {
        /// The ratio at the last checkpoint.
        ratio: f64,
    },
}

impl Finding {
    /// The finding in words, e.g. "41% of units dead since step 200".
    pub fn words(&self) -> String {
        match self {
            Finding::Saturated { rate, since, stuck } => {
                let stuck = if *stuck >= 0.01 {
                    format!(", {:.0}% of units stuck (saturated on one side for every example)", 100.0 * stuck)
                } else {
                    String::new()
                };
                format!("{:.0}% of (example, unit) pairs saturated since step {since}{stuck}", 100.0 * rate)
            }
            Finding::Dead { fraction, since } => format!("{:.0}% of units dead since step {since}", 100.0 * fraction),
            Finding::Vanishing { ratio } => format!("gradient {ratio:.0e} of the output layer's: vanishing"),
            Finding::Exploding { ratio } => format!("gradient {ratio:.0e} of the output layer's: exploding"),
        }
    }
}

/// One hidden layer of a model, over its seeds, at the last checkpoint.
#[derive(Clone, Debug)]
pub struct LayerDiagnosis {
    /// Index among the hidden layers (0 = input side); written 1-based ("layer 1").
    pub index: usize,
    /// Its name in the model.
    pub name: String,
    /// Width.
    pub units: usize,
    /// Saturation rate over seeds (bounded or unknown activations).
    pub saturation: Option<Describe>,
    /// Dead-unit fraction over seeds (ReLU family or unknown activations).
    pub dead: Option<Describe>,
    /// ‖∂L/∂W_layer‖ / ‖∂L/∂W_output‖ over the seeds where it is defined.
    pub grad_ratio: Describe,
    /// Seeds where that ratio is not defined (both gradients 0, or not finite), left out of it and named in
    /// [`ModelDiagnosis::notes`] (one such seed had made the mean NaN and hidden the other seeds' findings).
    pub grad_ratio_undefined: usize,
    /// Effective rank of a over seeds.
    pub effective_rank: Option<Describe>,
    /// What the rules found (empty: nothing).
    pub findings: Vec<Finding>,
}

/// One model over its seeds.
#[derive(Clone, Debug)]
pub struct ModelDiagnosis {
    /// The model's name.
    pub model: String,
    /// Its activations and placements in words.
    pub activation: String,
    /// BN placement(s) in words.
    pub placement: String,
    /// Seeds, ascending.
    pub seeds: Vec<u64>,
    /// The last step present in every seed.
    pub last_step: usize,
    /// Each seed's own last step, by seed (they differ when seeds stopped at different steps).
    pub seed_last_steps: Vec<(u64, usize)>,
    /// Whether its seeds measured different probe batches (sizes, or fingerprints where given).
    pub probes_differ: bool,
    /// Checkpoints per seed (the fewest).
    pub checkpoints: usize,
    /// Loss on the probe batch at the last checkpoint, over the seeds where it is finite.
    pub loss: Describe,
    /// The seeds whose loss at the last checkpoint is infinite (it overflowed), left out of [`Self::loss`]
    /// and named in [`Self::notes`]: by seed, with the loss. (A NaN loss is left out unnamed: it is also what
    /// a capture without a loss reads as.)
    pub loss_left_out: Vec<(u64, f64)>,
    /// Hidden layers.
    pub layers: Vec<LayerDiagnosis>,
    /// What the code that wrote the captures knew of the runs and no capture holds, each "seed s: …" (e.g.
    /// that the network diverged after its last capture; [`crate::analyze::RunNote`]).
    pub run_notes: Vec<String>,
}

/// One quantity compared between two models, as one claim of the report.
#[derive(Clone, Debug)]
pub struct ModelComparison {
    /// The quantity in words.
    pub quantity: &'static str,
    /// The comparison ("a − b > 0", paired by seed), judged.
    pub comparison: Comparison,
    /// The verdict on "higher in the first model".
    pub verdict: Verdict,
}

/// The rules applied to every model, and comparisons between every pair of models.
#[derive(Clone, Debug)]
pub struct Diagnosis {
    /// One per model, in name order.
    pub models: Vec<ModelDiagnosis>,
    /// Per pair of models with at least two seeds in common.
    pub comparisons: Vec<ModelComparison>,
    /// The pairs of models not compared, each in words with why: "bn-before vs bn-after: not compared, they
    /// share 1 seed (bn-before: 0; bn-after: 0) and a paired comparison needs two".
    pub not_compared: Vec<String>,
}

/// Steps present in every run, ascending.
pub(crate) fn common_steps(runs: &[&AnalyzedRun]) -> Vec<usize> {
    let mut steps: Vec<usize> = runs.first().map_or_else(Vec::new, |r| r.checkpoints.iter().map(|c| c.step).collect());
    steps.retain(|s| runs.iter().all(|r| r.checkpoints.iter().any(|c| c.step == *s)));
    steps
}

fn at(run: &AnalyzedRun, step: usize) -> &Checkpoint {
    run.checkpoints.iter().find(|c| c.step == step).expect("a common step")
}

/// Mean over runs of a layer quantity at each step (NaN where any run lacks it).
fn mean_series(runs: &[&AnalyzedRun], steps: &[usize], layer: usize, f: fn(&LayerRecord) -> Option<f64>) -> Vec<f64> {
    steps
        .iter()
        .map(|&s| {
            let v: Vec<f64> = runs.iter().filter_map(|r| at(r, s).layers.get(layer).and_then(f)).collect();
            if v.len() == runs.len() { v.iter().sum::<f64>() / v.len() as f64 } else { f64::NAN }
        })
        .collect()
}

/// The first step from which `series` stayed ≥ `threshold` to the end (None if the last value is below).
fn since(steps: &[usize], series: &[f64], threshold: f64) -> Option<usize> {
    let held = series.iter().rev().take_while(|v| **v >= threshold).count();
    (held > 0).then(|| steps[steps.len() - held])
}

fn grad_ratio(c: &Checkpoint, layer: usize) -> f64 {
    c.layers[layer].grad_w_norm / c.output_grad_w_norm
}

impl LayerDiagnosis {
    /// "layer 3 (fc3)": the hidden layer's number (1 = input side) and its name; a name that is a number is
    /// a module's position in a sequence (PyTorch's `nn.Sequential`), "layer 1 (module 0)", which beside the
    /// layer's own number had read "layer 1 (0)".
    pub fn label(&self) -> String {
        format!("layer {}", self.numbered())
    }

    /// [`Self::label`] without "layer ": "3 (fc3)", "1 (module 0)" (the table's column is "layer").
    pub fn numbered(&self) -> String {
        let module = if self.name.bytes().all(|b| b.is_ascii_digit()) { "module " } else { "" };
        format!("{} ({module}{})", self.index + 1, self.name)
    }
}

impl ModelDiagnosis {
    /// What qualifies the model's findings: what the capturing code said of its runs ([`Self::run_notes`]),
    /// seeds that end at different steps ([`Self::steps_note`]) and seeds that measured different probe
    /// batches.
    pub fn notes(&self) -> Vec<String> {
        let probes = self.probes_differ.then(|| {
            "its seeds measured different probe batches (sizes, or fingerprints where the captures give one), so \
             its means over seeds mix examples as well as seeds; give every seed the same probe batch"
                .to_string()
        });
        let undefined = self.layers.iter().filter(|l| l.grad_ratio_undefined > 0).map(|l| {
            // "Over the other seeds" only where there are others (a one-seed model has none).
            let rest = if l.grad_ratio_undefined >= self.seeds.len() {
                "so the layer has no gradient ratio and no gradient finding".to_string()
            } else {
                "so its ratio and findings are over the other seeds".to_string()
            };
            format!(
                "{}: the gradient ratio is not defined in {} of its {} seeds (its gradient or the output \
                 layer's is 0 or not finite), {rest}",
                l.label(),
                l.grad_ratio_undefined,
                self.seeds.len()
            )
        });
        let left_out = (!self.loss_left_out.is_empty()).then(|| {
            let each: Vec<String> = self.loss_left_out.iter().map(|(s, l)| format!("seed {s}'s is {l}")).collect();
            // "Over the other seeds" only where one of them has a loss to show (none may: one seed, or the
            // others' captures without a loss).
            let rest = if self.loss.n == 0 {
                "so the model has no loss to show"
            } else {
                "so the loss shown is over the other seeds"
            };
            format!(
                "its probe-batch loss at the last checkpoint is infinite in {} of its {} seeds ({}), {rest}",
                self.loss_left_out.len(),
                self.seeds.len(),
                each.join(", ")
            )
        });
        self.run_notes.iter().cloned().chain(self.steps_note()).chain(probes).chain(left_out).chain(undefined).collect()
    }

    /// Where seeds end at different steps: that the rules are judged at the last step every seed has, and
    /// which later checkpoints that leaves out. `None` when every seed ends at `last_step`.
    pub fn steps_note(&self) -> Option<String> {
        if self.seed_last_steps.iter().all(|&(_, s)| s == self.last_step) {
            return None;
        }
        let each: Vec<String> = self.seed_last_steps.iter().map(|(seed, s)| format!("seed {seed} at {s}")).collect();
        Some(format!(
            "its seeds end at different steps ({}): the rules are judged at step {}, the last step every seed has, \
             so the later checkpoints are left out of them; comparisons with other models read each seed's own \
             last checkpoint",
            each.join(", "),
            self.last_step
        ))
    }
}

/// Whether two runs measured the same probe batch, as far as their captures tell: the same number of
/// examples, and the same fingerprint where both give one.
fn same_probe(a: &AnalyzedRun, b: &AnalyzedRun) -> bool {
    a.probe_samples == b.probe_samples && (a.probe.is_none() || b.probe.is_none() || a.probe == b.probe)
}

fn diagnose_model(runs: &[&AnalyzedRun]) -> ModelDiagnosis {
    let first = runs[0];
    let steps = common_steps(runs);
    let last_step = steps.last().copied().unwrap_or(0);
    let lasts: Vec<&Checkpoint> = runs.iter().map(|r| at(r, last_step)).collect();
    let hidden: Vec<_> = first.layers.iter().filter(|l| l.role != actscope_capture::Role::Output).collect();
    let layers = hidden
        .iter()
        .enumerate()
        .map(|(i, meta)| {
            let over = |f: fn(&LayerRecord) -> Option<f64>| {
                let v: Vec<f64> = lasts.iter().filter_map(|c| f(&c.layers[i])).collect();
                (!v.is_empty()).then(|| describe(&v))
            };
            let saturation = over(|l| l.saturation.map(|s| s.rate));
            let stuck = over(|l| l.saturation.map(|s| s.stuck));
            let dead = over(|l| l.dead.map(|d| d.dead_fraction));
            let ratios: Vec<f64> = lasts.iter().map(|c| grad_ratio(c, i)).filter(|r| r.is_finite()).collect();
            let grad_ratio = describe(&ratios);
            let grad_ratio_undefined = lasts.len() - ratios.len();
            let mut findings = Vec::new();
            if let Some(d) = &saturation
                && let Some(s) =
                    since(&steps, &mean_series(runs, &steps, i, |l| l.saturation.map(|s| s.rate)), SATURATED_RATE)
            {
                findings.push(Finding::Saturated { rate: d.mean, since: s, stuck: stuck.map_or(0.0, |t| t.mean) });
            }
            if let Some(d) = &dead
                && let Some(s) =
                    since(&steps, &mean_series(runs, &steps, i, |l| l.dead.map(|d| d.dead_fraction)), DEAD_SHARE)
            {
                findings.push(Finding::Dead { fraction: d.mean, since: s });
            }
            if grad_ratio.mean < VANISHING_RATIO {
                findings.push(Finding::Vanishing { ratio: grad_ratio.mean });
            } else if grad_ratio.mean > EXPLODING_RATIO {
                findings.push(Finding::Exploding { ratio: grad_ratio.mean });
            }
            LayerDiagnosis {
                index: i,
                name: meta.name.clone(),
                units: meta.units,
                saturation,
                dead,
                grad_ratio,
                grad_ratio_undefined,
                effective_rank: over(|l| l.effective_rank),
                findings,
            }
        })
        .collect();
    let mut seeds: Vec<u64> = runs.iter().map(|r| r.seed).collect();
    seeds.sort_unstable();
    let mut loss_left_out: Vec<(u64, f64)> =
        runs.iter().zip(&lasts).filter(|(_, c)| c.loss.is_infinite()).map(|(r, c)| (r.seed, c.loss)).collect();
    loss_left_out.sort_unstable_by_key(|&(s, _)| s);
    let mut seed_last_steps: Vec<(u64, usize)> =
        runs.iter().map(|r| (r.seed, r.checkpoints.last().map_or(0, |c| c.step))).collect();
    seed_last_steps.sort_unstable();
    ModelDiagnosis {
        model: first.model.clone(),
        activation: first.activation_words(),
        placement: first.placement_words(),
        seeds,
        last_step,
        seed_last_steps,
        probes_differ: runs.iter().any(|r| !same_probe(r, first)),
        checkpoints: steps.len(),
        loss: describe(&lasts.iter().map(|c| c.loss).filter(|l| l.is_finite()).collect::<Vec<_>>()),
        loss_left_out,
        layers,
        run_notes: Vec::new(),
    }
}

/// A quantity of a checkpoint, as the report's claims read them.
type Measure = fn(&Checkpoint) -> Option<f64>;

/// The quantities two models are compared on, each the measure of one of the report's claims.
const QUANTITIES: [(&str, Measure); 3] = [
    ("saturation rate of the most saturated layer", max_saturation),
    ("dead-unit fraction, mean over layers", mean_dead),
    ("vanishing index log10(‖∂L/∂W_first‖/‖∂L/∂W_out‖)", vanishing),
];

fn vanishing(c: &Checkpoint) -> Option<f64> {
    Some(c.vanishing_index)
}

fn run_of<'a>(runs: &[&'a AnalyzedRun], seed: u64) -> &'a AnalyzedRun {
    runs.iter().copied().find(|r| r.seed == seed).expect("a run of this seed")
}

fn last_of<'a>(runs: &[&'a AnalyzedRun], seed: u64) -> &'a Checkpoint {
    run_of(runs, seed).checkpoints.last().expect("a run has a checkpoint")
}

/// "a vs b: not compared, they share 1 seed (a: 0; b: 0) and a paired comparison needs two" — said where a
/// pair of models would otherwise be left out of the comparisons without a word.
fn why_not_compared(a: &[&AnalyzedRun], b: &[&AnalyzedRun], shared: usize) -> String {
    let seeds = |runs: &[&AnalyzedRun]| {
        let mut s: Vec<u64> = runs.iter().map(|r| r.seed).collect();
        s.sort_unstable();
        s.dedup();
        s.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
    };
    let (ma, mb) = (&a[0].model, &b[0].model);
    let share = match shared {
        0 => "no seed".to_string(),
        1 => "1 seed".to_string(),
        n => format!("{n} seeds"),
    };
    format!(
        "{ma} vs {mb}: not compared, they share {share} (seeds of {ma}: {}; of {mb}: {}) and a comparison paired by seed needs two",
        seeds(a),
        seeds(b)
    )
}

/// The paired comparisons of two models on the seeds both have, or why they are not compared (fewer than
/// two such seeds, [`why_not_compared`]).
fn compare(a: &[&AnalyzedRun], b: &[&AnalyzedRun]) -> Result<Vec<ModelComparison>, String> {
    let (ma, mb) = (&a[0].model, &b[0].model);
    let mut seeds: Vec<u64> = a.iter().map(|r| r.seed).filter(|s| b.iter().any(|r| r.seed == *s)).collect();
    seeds.sort_unstable();
    if seeds.len() < 2 {
        return Err(why_not_compared(a, b, seeds.len()));
    }
    // Each seed's last checkpoint is compared; say so where they are not all at one step.
    let mut steps: Vec<usize> =
        seeds.iter().flat_map(|s| [last_of(a, *s).step, last_of(b, *s).step]).collect::<Vec<_>>();
    steps.sort_unstable();
    steps.dedup();
    let mut at_steps = if steps.len() > 1 {
        format!(
            " (last checkpoints at different steps: {})",
            steps.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")
        )
    } else {
        String::new()
    };
    // Paired by seed assumes the same examples on both sides.
    if seeds.iter().any(|s| !same_probe(run_of(a, *s), run_of(b, *s))) {
        at_steps.push_str(" (different probe batches)");
    }
    Ok(QUANTITIES
        .iter()
        .filter_map(|(quantity, f)| {
            let xa: Vec<f64> = seeds.iter().map(|s| f(last_of(a, *s)).unwrap_or(f64::NAN)).collect();
            let xb: Vec<f64> = seeds.iter().map(|s| f(last_of(b, *s)).unwrap_or(f64::NAN)).collect();
            // A quantity one model does not have (saturation of a ReLU net, dead units of a tanh net), or has
            // on fewer than two of the shared seeds, has no pairs to compare: no row (it read "NaN | NaN | no
            // significant difference").
            if xa.iter().zip(&xb).filter(|(x, y)| !x.is_nan() && !y.is_nan()).count() < 2 {
                return None;
            }
            let mut c = [Comparison::new(
                format!("{ma} vs {mb}: {quantity}{at_steps}"),
                format!("{quantity}: {ma} > {mb}"),
                xa,
                xb,
                0.0,
                TestKind::Paired,
            )
            .with_seeds(seeds.clone())];
            let verdict = judge(&mut c);
            let [comparison] = c;
            Some(ModelComparison { quantity, comparison, verdict })
        })
        .collect())
}

/// Applies the rules to every model of `runs` and compares every pair of models.
pub fn diagnose(runs: &[AnalyzedRun]) -> Diagnosis {
    let mut names: Vec<&str> = runs.iter().map(|r| r.model.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let by_model: Vec<Vec<&AnalyzedRun>> =
        names.iter().map(|m| runs.iter().filter(|r| r.model == *m).collect()).collect();
    let models = by_model.iter().map(|rs| diagnose_model(rs)).collect();
    let (mut comparisons, mut not_compared) = (Vec::new(), Vec::new());
    for i in 0..by_model.len() {
        for j in i + 1..by_model.len() {
            match compare(&by_model[i], &by_model[j]) {
                Ok(found) => comparisons.extend(found),
                Err(why) => not_compared.push(why),
            }
        }
    }
    Diagnosis { models, comparisons, not_compared }
}
