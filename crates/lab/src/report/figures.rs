//! The report's figures, built from the experiments' runs and drawn by actscope-plots.
//!
//! Two entries: [`report`] builds every figure of the report from E1–E4 and E8's timings, and [`for_runs`]
//! builds every figure that one directory of runs supports (`actscope plot`). Each figure has its own
//! function below, taking the experiment it is drawn from.
//!
//! What a figure lists comes from the runs present, in a fixed order:
//! - activations in the order core declares them (sigmoid, tanh, relu, leaky_relu, elu, gelu, silu,
//!   softplus, softsign, identity), a parametrised one by ascending parameter; so E1's are in core's
//!   `MAIN_ACTIVATIONS` order;
//! - BN placements none, before, after;
//! - stress settings (learning rate, initial bias) by initial bias descending, then learning rate ascending.
//!
//! Some figures compare a few chosen configurations (gradient norms, effective rank, γ/β): these are named
//! constants, drawn when the runs hold them.

use actscope_core::{Activation, Placement};
use actscope_metrics::records::{BnParams, Checkpoint, LayerRecord, MeasuredOn};
use actscope_metrics::stats::describe;
use actscope_plots::figures::{
    self as figs, AccuracyDepthPanel, CurvePanel, DensityPanel, DepthCurve, DepthPoint, Estimate, GradientPanel,
    HistogramTrack, Interval, MarkedPoint, MeanCurve, PercentilePoint, PlacementCurves, TheoryPoint, TimingGroup,
};
use actscope_plots::{Figure, palette};

use super::aggregate::{Experiment, Run, layer_series, layer_series_on, mean_curve};
use super::claims;
use super::cost::StepTiming;
use super::theory::lambda_relu;
use crate::config::RunConfig;
use crate::summarize::JudgedOn;

/// The configurations the report's gradient-by-depth figure compares (colours and line styles as
/// [`line_styles`] gives them).
const GRADIENT_COMPARISON: [(Activation, Placement); 5] = [
    (Activation::Sigmoid, Placement::None),
    (Activation::Sigmoid, Placement::Before),
    (Activation::Tanh, Placement::None),
    (Activation::Relu, Placement::None),
    (Activation::Relu, Placement::Before),
];

/// The configurations whose effective rank is shown (ReLU vs sigmoid, BN before and after), panel by panel.
const RANK_COMPARISON: [(Activation, Placement); 4] = [
    (Activation::Relu, Placement::Before),
    (Activation::Sigmoid, Placement::Before),
    (Activation::Relu, Placement::After),
    (Activation::Sigmoid, Placement::After),
];

/// The activations whose γ and β (with BN before φ) are shown.
const BN_PARAM_ACTIVATIONS: [Activation; 2] = [Activation::Sigmoid, Activation::Relu];

/// The interval the thread claims a sigmoid's output lies in after BN: \[sigmoid(0), sigmoid(1)\].
const CLAIMED_SIGMOID_OUTPUT: Interval = Interval { lo: 0.5, hi: 0.731 };

/// Every figure of the report with its file stem, in the report's order: E1's learning curves, steps to
/// C6's validation target, accuracy heatmap, BN-paper percentiles, histograms, sigmoid-after-BN, effective rank and γ/β; saturation from E4
/// (and E1's sigmoid nets); dead units from E3's stress settings; gradient norms and accuracy vs depth from
/// E2; time per step from E8's `cost`.
pub fn report(
    e1: &Experiment,
    e2: &Experiment,
    e3: &Experiment,
    e4: &Experiment,
    cost: &[StepTiming],
) -> Vec<(&'static str, Figure)> {
    let gradient_configs: Vec<(Activation, Placement)> =
        GRADIENT_COMPARISON.into_iter().filter(|&(a, p)| has(e2, a, p)).collect();
    vec![
        ("learning_curves", learning_curves(e1)),
        ("steps_to_target", steps_to_target(e1)),
        ("accuracy_heatmap", accuracy_heatmap(e1)),
        ("bn_paper_percentiles", bn_paper_percentiles(e1)),
        ("saturation", saturation_report(e4, e1)),
        ("dead_units", dead_units(e3)),
        ("gradient_norms", gradient_norms(e2, &gradient_configs)),
        ("histogram_over_time", histogram_over_time(e1, Activation::Sigmoid, &[Placement::None, Placement::Before])),
        ("sigmoid_after_bn", sigmoid_after_bn(e1)),
        ("accuracy_vs_depth", accuracy_vs_depth(e2)),
        ("time_per_step", time_per_step(cost)),
        ("effective_rank", effective_rank(e1, rank_comparison(e1))),
        ("bn_params", bn_params(e1, bn_param_activations(e1))),
        ("lr_sensitivity", lr_sensitivity(e1)),
    ]
}

/// Every figure the runs of one directory support, with its file stem (for `actscope plot`): the report's
/// figures drawn from `runs` alone, except the timings (which need E8), keeping only those with data.
/// Saturation is shown for every bounded activation present, dead units for E3-style stress settings when
/// the runs set an initial bias (else for every ReLU-family activation at its selected learning rate), the
/// gradient norms and effective ranks for every configuration present, and γ/β for every activation with
/// BN before φ.
pub fn for_runs(runs: &Experiment) -> Vec<(&'static str, Figure)> {
    let out: [(&str, Figure); RUN_FIGURES.len()] = [
        ("learning_curves", learning_curves(runs)),
        ("steps_to_target", steps_to_target(runs)),
        ("accuracy_heatmap", accuracy_heatmap(runs)),
        ("bn_paper_percentiles", bn_paper_percentiles(runs)),
        ("saturation", saturation(runs)),
        ("dead_units", dead_units(runs)),
        ("gradient_norms", gradient_norms(runs, &configurations(runs))),
        ("histogram_over_time", histogram_over_time_of_runs(runs)),
        ("sigmoid_after_bn", sigmoid_after_bn(runs)),
        ("accuracy_vs_depth", accuracy_vs_depth(runs)),
        ("effective_rank", effective_rank(runs, configurations(runs))),
        ("bn_params", bn_params(runs, activations_where(runs, |c| c.placement == Placement::Before))),
        ("lr_sensitivity", lr_sensitivity(runs)),
    ];
    debug_assert!(out.iter().map(|(s, _)| *s).eq(RUN_FIGURES));
    out.into_iter().filter(|(_, f)| f.has_data()).collect()
}

/// How [`for_runs`]'s figures show runs whose activation × placement cells hold several configurations
/// ([`Experiment::settings_within_cells`]: the settings that differ within a cell, with their values).
#[derive(Clone, Debug, PartialEq)]
pub enum Cells {
    /// One configuration per cell.
    One,
    /// Configurations told apart by depth and initial bias alone, which accuracy_vs_depth and dead_units
    /// draw whole; the other figures show each cell's first, whose values of the differing settings are
    /// `shown`.
    Drawn {
        /// The settings that differ within a cell, with their values.
        within: Vec<(String, Vec<String>)>,
        /// The first configuration's value of each.
        shown: Vec<(String, String)>,
    },
    /// Configurations some figure would hide (they differ in another setting, or in widths at one depth);
    /// `example`: a setting and value to choose among them with (never an unset value, which has no TOML
    /// form).
    Hidden {
        /// The settings that differ within a cell, with their values.
        within: Vec<(String, Vec<String>)>,
        /// A setting that hides runs and one of its values.
        example: Option<(String, String)>,
    },
}

/// Orders `e`'s configurations so that each cell's first, the one per-cell figures show, is the deepest at
/// the init's bias (`bias_init` unset), else the largest, and says how [`for_runs`] shows the cells.
pub fn cells(e: &mut Experiment) -> Cells {
    let key = |c: &RunConfig| (c.widths().len(), c.bias_init.unwrap_or(f64::INFINITY));
    e.groups.sort_by(|x, y| {
        let (kx, ky) = (key(&x.config), key(&y.config));
        ky.0.cmp(&kx.0).then(ky.1.total_cmp(&kx.1))
    });
    let within = e.settings_within_cells();
    if within.is_empty() {
        return Cells::One;
    }
    // Two configurations of one cell with one depth and initial bias differ in a setting no figure draws
    // whole (their widths, or anything else).
    let cell = |c: &RunConfig| (c.activation, c.placement);
    let told_apart = e.groups.iter().enumerate().all(|(i, g)| {
        e.groups[..i].iter().all(|h| cell(&h.config) != cell(&g.config) || key(&h.config) != key(&g.config))
    });
    const SHAPE: [&str; 3] = ["hidden", "depth", "width"];
    // Settings that hide runs: any no figure draws whole, and the widths where one depth holds two.
    let hides =
        |k: &str| !(SHAPE.contains(&k) || k == "bias_init") || (!told_apart && k != "depth" && SHAPE.contains(&k));
    if told_apart && !within.iter().any(|(k, _)| hides(k)) {
        let first = &e.groups[0].config;
        let shown = within
            .iter()
            .map(|(k, _)| (k.clone(), crate::columns::setting_value(first, k).unwrap_or_else(|| "unset".into())))
            .collect();
        return Cells::Drawn { within, shown };
    }
    let example = within
        .iter()
        .filter(|(k, _)| hides(k))
        .find_map(|(k, v)| v.iter().rev().find(|x| *x != "unset").map(|x| (k.clone(), x.clone())));
    Cells::Hidden { within, example }
}

/// The file stems of every figure [`for_runs`] can draw, in its order (what `plot` owns in its output
/// folder: a file of one of these it did not draw now is an earlier plot's).
pub const RUN_FIGURES: [&str; 13] = [
    "learning_curves",
    "steps_to_target",
    "accuracy_heatmap",
    "bn_paper_percentiles",
    "saturation",
    "dead_units",
    "gradient_norms",
    "histogram_over_time",
    "sigmoid_after_bn",
    "accuracy_vs_depth",
    "effective_rank",
    "bn_params",
    "lr_sensitivity",
];

// ---------------------------------------------------------------------------------------------------------
// What the runs hold, in the fixed order of the module docs.

/// Sort key of an activation: core's declaration order, then the parameter.
fn activation_order(a: Activation) -> (u8, f64) {
    match a {
        Activation::Sigmoid => (0, 0.0),
        Activation::Tanh => (1, 0.0),
        Activation::Relu => (2, 0.0),
        Activation::LeakyRelu(alpha) => (3, alpha),
        Activation::Elu(alpha) => (4, alpha),
        Activation::Gelu => (5, 0.0),
        Activation::Silu => (6, 0.0),
        Activation::Softplus => (7, 0.0),
        Activation::Softsign => (8, 0.0),
        Activation::Identity => (9, 0.0),
    }
}

fn by_activation_order(a: &Activation, b: &Activation) -> std::cmp::Ordering {
    let (x, y) = (activation_order(*a), activation_order(*b));
    x.0.cmp(&y.0).then(x.1.total_cmp(&y.1))
}

/// Each activation's palette colour, the same in every figure: the seven of E1's grid take colours 0–6 in
/// core's order (sigmoid orange, tanh sky blue, relu bluish green, leaky_relu blue, elu vermillion, gelu
/// reddish purple, silu black), whatever else a figure holds. Any other activation (softplus, softsign,
/// identity, or a second α of one kind) takes the first colour no activation of `acts` has; only a figure
/// of more than seven activations repeats a colour.
fn colours(acts: &[Activation]) -> Vec<usize> {
    const COLOURS: usize = 7;
    let own = |a: Activation| Some(activation_order(a).0 as usize).filter(|&k| k < COLOURS);
    let mut out: Vec<Option<usize>> = vec![None; acts.len()];
    for (i, &a) in acts.iter().enumerate() {
        if let Some(k) = own(a).filter(|k| !out.contains(&Some(*k))) {
            out[i] = Some(k);
        }
    }
    for i in 0..acts.len() {
        if out[i].is_none() {
            out[i] = Some((0..COLOURS).find(|k| !out.contains(&Some(*k))).unwrap_or(i % COLOURS));
        }
    }
    out.into_iter().map(|c| c.unwrap_or(0)).collect()
}

/// The colour and dash of each configuration's line where several placements share a panel: the
/// activation's colour ([`colours`]) and, where an activation appears with two placements, the first (in
/// the order none, before, after) solid and the second dashed. With three placements of one activation,
/// two styles cannot tell them apart, so each configuration then takes its own colour (its position), solid
/// for the palette's colours and dashed for the next as many: `plot` of a full grid had drawn nine
/// configurations in seven colours, two pairs alike.
fn line_styles(configs: &[(Activation, Placement)]) -> Vec<(usize, bool)> {
    let mut acts: Vec<Activation> = Vec::new();
    for &(a, _) in configs {
        if !acts.contains(&a) {
            acts.push(a);
        }
    }
    acts.sort_by(by_activation_order);
    let colour = colours(&acts);
    // How many placements of the same activation come before configuration i's.
    let rank = |i: usize| configs.iter().filter(|c| c.0 == configs[i].0 && c.1 < configs[i].1).count();
    if (0..configs.len()).any(|i| rank(i) >= 2) {
        let colours = actscope_plots::palette::OKABE_ITO.len();
        return (0..configs.len()).map(|i| (i % colours, i / colours % 2 == 1)).collect();
    }
    (0..configs.len())
        .map(|i| (colour[acts.iter().position(|&a| a == configs[i].0).unwrap_or(0)], rank(i) == 1))
        .collect()
}

/// The activations of the runs passing `keep`, each once, in order.
fn activations_where(e: &Experiment, keep: impl Fn(&RunConfig) -> bool) -> Vec<Activation> {
    let mut out: Vec<Activation> = Vec::new();
    for r in e.runs.iter().filter(|r| keep(&r.config)) {
        if !out.contains(&r.config.activation) {
            out.push(r.config.activation);
        }
    }
    out.sort_by(by_activation_order);
    out
}

/// The activations present, in order.
fn activations(e: &Experiment) -> Vec<Activation> {
    activations_where(e, |_| true)
}

/// The placements of the runs passing `keep`, each once, in order.
fn placements_where(e: &Experiment, keep: impl Fn(&RunConfig) -> bool) -> Vec<Placement> {
    let mut out: Vec<Placement> = e.runs.iter().filter(|r| keep(&r.config)).map(|r| r.config.placement).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The placements present, in order.
fn placements(e: &Experiment) -> Vec<Placement> {
    placements_where(e, |_| true)
}

/// Every (activation, placement) present, activation-major.
fn configurations(e: &Experiment) -> Vec<(Activation, Placement)> {
    activations(e)
        .into_iter()
        .flat_map(|a| placements_where(e, move |c| c.activation == a).into_iter().map(move |p| (a, p)))
        .collect()
}

/// Whether any run has activation `a` and placement `p`.
fn has(e: &Experiment, a: Activation, p: Placement) -> bool {
    e.runs.iter().any(|r| is(a, p)(&r.config))
}

fn is(act: Activation, p: Placement) -> impl Fn(&RunConfig) -> bool {
    move |c: &RunConfig| c.activation == act && c.placement == p
}

fn eval_series(set: &'static str) -> impl Fn(&Run) -> Vec<(f64, f64)> {
    move |r: &Run| r.evals(set).iter().map(|e| (e.step as f64, e.accuracy)).collect()
}

/// One mean curve per hidden layer of `runs` of a per-layer checkpoint metric, coloured along the sequential
/// ramp (layer 1 darkest; never an activation's colour); none without runs.
///
/// Where the runs measured some checkpoints on the whole probe set and the others on training batches (the
/// default: the probe set at the first and last checkpoint), the two are not one series: a unit is dead when
/// φ′ is small on *every* example, so 60 examples find more dead units than 1,000, and a line through both
/// would show units dying and coming back. The batches are then the layer's line and the probe-set
/// checkpoints its unjoined dots with whiskers, and the panel gets a legend entry saying so.
fn per_layer(runs: &[&Run], f: fn(&LayerRecord) -> Option<f64>, in_figure: usize) -> Vec<MeanCurve> {
    let layers = runs.first().map_or(0, |r| r.config.widths().len());
    let on = |l: usize, source: MeasuredOn| move |r: &Run| layer_series_on(r, l, Some(source), f);
    let mut out = Vec::new();
    let mut split = false;
    for l in 0..layers {
        // A layer's shade depends on its index and the figure's deepest net (`in_figure`) alone, so "layer 3"
        // has one colour in a figure whose panels have 3 and 4 layers (E1's and E4's saturation), and the
        // ramp's ends are the figure's first and last layers (a ramp of at least 4 steps had left three
        // layers in its darker half, layers 1 and 2 at a contrast of 2:1).
        let (label, colour) = (format!("layer {}", l + 1), palette::sequence(l, in_figure.max(layers)));
        let batches = mean_curve(&label, colour, runs, on(l, MeasuredOn::TrainBatch));
        let probe = mean_curve(&label, colour, runs, on(l, MeasuredOn::ProbeSet));
        if batches.x.is_empty() {
            out.push(probe);
        } else if probe.x.is_empty() {
            out.push(batches);
        } else {
            split = true;
            out.push(batches);
            out.push(MeanCurve { label: format!("{label}, whole probe set"), dots: true, ..probe });
        }
    }
    if split {
        out.push(MeanCurve {
            label: "whole probe set".into(),
            color: palette::REFERENCE,
            dots: true,
            ..Default::default()
        });
    }
    out
}

fn saturation_rate(l: &LayerRecord) -> Option<f64> {
    l.saturation.map(|s| s.rate)
}

fn dead_fraction(l: &LayerRecord) -> Option<f64> {
    l.dead.map(|d| d.dead_fraction)
}

// ---------------------------------------------------------------------------------------------------------
// One function per figure.

/// Accuracy on `set` ("test", "val") over training: one panel per placement, one curve per activation
/// (selected learning rate).
fn accuracy_curves(e: &Experiment, set: &'static str) -> Vec<PlacementCurves> {
    let acts = activations(e);
    let colour = colours(&acts);
    placements(e)
        .into_iter()
        .map(|p| PlacementCurves {
            placement: p.to_string(),
            curves: acts
                .iter()
                .zip(&colour)
                .map(|(&a, &k)| mean_curve(&a.to_string(), k, &e.selected(is(a, p)), eval_series(set)))
                .collect(),
        })
        .collect()
}

/// Test accuracy over training (C2's accuracies are on the test set).
fn learning_curves(e: &Experiment) -> Figure {
    let curves = accuracy_curves(e, "test");
    let fig = figs::learning_curves("test accuracy", &curves);
    // One panel per placement, in order: the BN ones are zoomed.
    with_seeds(with_zoomed(fig, &with_bn(e), Zoom::SecondHalf), seeds_per_configuration(e))
}

/// For each placement of `e`, in the order of its figures' panels, whether it has BN (the panels zoomed).
fn with_bn(e: &Experiment) -> Vec<bool> {
    placements(e).into_iter().map(|p| p != Placement::None).collect()
}

/// How far below the best mean the learning-rate figure's zoomed panels reach (accuracy).
const LR_ZOOM_WINDOW: f64 = 0.15;

/// How [`with_zoomed`] repeats a panel.
#[derive(Clone, Copy)]
enum Zoom {
    /// Over the second half of its x-axis (training steps), on a y-axis fitted to it.
    SecondHalf,
    /// Over its whole x-axis, on a y-axis whose floor is raised to this far below the best mean.
    Below(f64),
}

/// `fig` with, below its panels, each panel whose `zoom` is true again, as `how` says (one y-axis for all of
/// them): on the full axis, from chance to the best, the BN curves lie within a few points of each other and
/// cannot be told apart. (The panels had been picked by their titles.) A [`Zoom::Below`] of every panel adds
/// nothing, as the shared axis is then theirs already, and is left out; a [`Zoom::SecondHalf`] shows another
/// part of training and is always drawn.
fn with_zoomed(mut fig: Figure, zoom: &[bool], how: Zoom) -> Figure {
    assert_eq!(fig.panels.len(), zoom.len(), "one zoom flag per panel");
    if matches!(how, Zoom::Below(_)) && zoom.iter().all(|&z| z) {
        return fig;
    }
    let zoomed: Vec<actscope_plots::Panel> = fig
        .panels
        .iter()
        .zip(zoom)
        .filter_map(|(p, &zoom)| match p {
            actscope_plots::Panel::Lines(l) if zoom => {
                let mut z = l.clone();
                z.y_range = None;
                match how {
                    Zoom::SecondHalf => {
                        let end = l
                            .series
                            .iter()
                            .flat_map(|s| s.points.iter().map(|q| q.0))
                            .fold(f64::NEG_INFINITY, f64::max);
                        let from = end / 2.0;
                        z.title = format!("{}: second half, zoomed", l.title);
                        // Its own x-axis: a span shared with the full panels would undo the zoom.
                        z.x_span = None;
                        for s in &mut z.series {
                            s.points.retain(|q| q.0 >= from);
                            s.band.retain(|b| b.0 >= from);
                            s.error_bars.retain(|b| b.0 >= from);
                        }
                    }
                    Zoom::Below(_) => z.title = format!("{}, zoomed", l.title),
                }
                Some(actscope_plots::Panel::Lines(z))
            }
            _ => None,
        })
        .collect();
    if zoomed.is_empty() {
        return fig;
    }
    let mut zoomed = figs::share_y(zoomed);
    if let Zoom::Below(w) = how {
        // The best mean of the zoomed panels; the shared axis' floor is raised to `w` below it.
        let best = zoomed
            .iter()
            .filter_map(|p| if let actscope_plots::Panel::Lines(l) = p { Some(l) } else { None })
            .flat_map(|l| l.series.iter().flat_map(|s| s.points.iter().map(|q| q.1)))
            .filter(|y| y.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        if best.is_finite() {
            for p in &mut zoomed {
                if let actscope_plots::Panel::Lines(l) = p
                    && let Some((lo, hi)) = l.y_range
                {
                    l.y_range = Some((lo.max(best - w), hi));
                }
            }
        }
    }
    fig.panels.extend(zoomed);
    fig.caption.push_str(&match how {
        Zoom::SecondHalf => {
            "; the lower panels repeat the BN panels over the second half of training, on a y-axis fitted to them"
                .to_string()
        }
        Zoom::Below(w) => {
            format!("; the lower panels repeat the BN panels on a y-axis fitted to them, starting at most {w} below their best mean")
        }
    });
    fig
}

/// How many runs each (activation, placement) of `e` has at its selected learning rate.
fn seeds_per_configuration(e: &Experiment) -> Vec<usize> {
    configurations(e).into_iter().map(|(a, p)| e.selected(is(a, p)).len()).collect()
}

/// `fig` with its caption saying over how many seeds its curves' 95% intervals are (few seeds make wide,
/// unsteady intervals: a reader should know how few).
fn with_seeds(mut fig: Figure, counts: Vec<usize>) -> Figure {
    if let Some(n) = seed_range(&counts) {
        fig.caption.push_str(&format!("; 95% intervals over {n} seeds per curve"));
    }
    fig
}

/// The seeds of the curves with runs, as a caption writes them: "5" or "5–20"; `None` without runs.
fn seed_range(counts: &[usize]) -> Option<String> {
    let (lo, hi) = (counts.iter().copied().filter(|&n| n > 0).min()?, counts.iter().copied().max()?);
    Some(if lo == hi { format!("{lo}") } else { format!("{lo}–{hi}") })
}

/// Validation accuracy over training with C6's target marked: C6 reads each run's first evaluation at or
/// above it.
fn steps_to_target(e: &Experiment) -> Figure {
    let acts = activations(e);
    let colour = colours(&acts);
    let target = claims::SPEED_TARGET;
    // Each curve's median step reaching the target, on the target line (C2's steps-to-target, C6's reading).
    let reached: Vec<Vec<MarkedPoint>> = placements(e)
        .into_iter()
        .map(|p| {
            acts.iter()
                .zip(&colour)
                .filter_map(|(&a, &i)| {
                    let r = claims::median_reach(&e.selected(is(a, p)), target)?;
                    r.median.is_finite().then(|| MarkedPoint { label: a.to_string(), color: i, x: r.median, y: target })
                })
                .collect()
        })
        .collect();
    let mut fig = figs::steps_to_target(&accuracy_curves(e, "val"), target, &reached);
    fig.caption.push_str(
        " (the median over seeds, a run that never reached the target counting as later than any that did, so that the median of an even number of seeds can fall between two evaluations; no dot where half or more never did)",
    );
    with_seeds(fig, seeds_per_configuration(e))
}

/// Validation accuracy against the learning rate (log axis) (mean ± 95% over the selection seeds), one panel per
/// placement, one curve per activation, the selected rate marked.
fn lr_sensitivity(e: &Experiment) -> Figure {
    let acts = activations(e);
    let colour = colours(&acts);
    let mut marked = Vec::new();
    let panels: Vec<PlacementCurves> = placements(e)
        .into_iter()
        .map(|p| {
            let mut dots = Vec::new();
            let curves = acts
                .iter()
                .zip(&colour)
                .filter_map(|(&a, &i)| {
                    let g = e.group(is(a, p))?;
                    let mut c = MeanCurve { label: a.to_string(), color: i, ..Default::default() };
                    for (lr, d) in &g.lr_sensitivity {
                        c.x.push(*lr);
                        c.mean.push(d.mean);
                        c.lo.push(d.ci_low);
                        c.hi.push(d.ci_high);
                        if *lr == g.selected_lr {
                            dots.push(MarkedPoint { label: a.to_string(), color: i, x: *lr, y: d.mean });
                        }
                    }
                    Some(c)
                })
                .collect();
            marked.push(dots);
            PlacementCurves { placement: p.to_string(), curves }
        })
        .collect();
    let fig = figs::lr_sensitivity(&panels, &marked);
    // On the axis shared with the panel without BN (from chance to the best), the BN curves, a few points
    // apart at the top, could not be told apart: the BN panels again below, on an axis fitted to them.
    // The zoom's axis reaches LR_ZOOM_WINDOW below the best mean: a BN curve that diverges at the largest
    // rate (scored 0) would otherwise take the fitted axis back down to 0.
    let mut fig = with_zoomed(fig, &with_bn(e), Zoom::Below(LR_ZOOM_WINDOW));
    // Below chance at the largest rates is divergence, not a bad fit: say how those runs count.
    fig.caption.push_str("; a diverged run counts as accuracy 0, as the learning-rate choice counts it");
    let counts: Vec<usize> = e.groups.iter().flat_map(|g| g.lr_sensitivity.iter().map(|(_, d)| d.n)).collect();
    if let Some(n) = seed_range(&counts) {
        fig.caption.push_str(&format!("; 95% intervals over {n} seeds per point"));
    }
    // The seeds every rate has, which made the choice; where later seeds ran, the other figures are on those.
    if e.groups.iter().any(|g| g.judged_on == JudgedOn::LaterSeeds) {
        fig.caption.push_str(
            "; on the seeds every rate ran, which chose the rates (the other figures of this experiment are on the seeds run after the choice)",
        );
    }
    fig
}

/// Final test accuracy, activation × placement, mean ± 95% half-width over seeds at the selected learning rate.
fn accuracy_heatmap(e: &Experiment) -> Figure {
    let (acts, places) = (activations(e), placements(e));
    let (mut mean, mut hw, mut seeds) = (Vec::new(), Vec::new(), Vec::new());
    for &a in &acts {
        let (mut m, mut h, mut n) = (Vec::new(), Vec::new(), Vec::new());
        for &p in &places {
            let v: Vec<f64> =
                e.selected(is(a, p)).iter().map(|r| r.test_accuracy()).filter(|x| x.is_finite()).collect();
            let d = describe(&v);
            m.push(d.mean);
            h.push(d.half_width());
            n.push(v.len());
        }
        mean.push(m);
        hw.push(h);
        seeds.push(n);
    }
    let names: Vec<String> = acts.iter().map(|a| a.to_string()).collect();
    let places: Vec<String> = places.iter().map(|p| p.to_string()).collect();
    let mut fig = figs::accuracy_heatmap(&names, &places, &mean, &hw);
    // Cells of E1 rest on different numbers of seeds (rounds add seeds only where a comparison is open): each
    // cell says how many, and the caption why a comparison's table can differ from its cells.
    for panel in &mut fig.panels {
        if let actscope_plots::Panel::Heatmap(h) = panel
            && let Some(ann) = &mut h.annotations
        {
            for (row, counts) in ann.iter_mut().zip(&seeds) {
                for (cell, n) in row.iter_mut().zip(counts) {
                    if *n > 0 {
                        cell.push_str(&format!(", n {n}"));
                    }
                }
            }
        }
    }
    fig.caption.push_str(
        "; n: the cell's seeds (C2 and C4 compare two cells on the seeds both have, so their tables can differ \
         from the cells here)",
    );
    // One failed configuration (sigmoid without BN at chance level) spent the whole colour scale, and the
    // compared cells, a point or two apart, took one colour: the scale spans the top COLOUR_SPAN, and the
    // cells below it take its lowest colour and say so.
    let finite: Vec<f64> = mean.iter().flatten().copied().filter(|v| v.is_finite()).collect();
    let top = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let floor = top - HEATMAP_COLOUR_SPAN;
    let below: Vec<String> = acts
        .iter()
        .zip(&mean)
        .flat_map(|(a, row)| {
            places.iter().zip(row).filter(|(_, v)| **v < floor).map(move |(p, v)| format!("{a}, BN {p}: {v:.3}"))
        })
        .collect();
    if !below.is_empty() {
        for panel in &mut fig.panels {
            if let actscope_plots::Panel::Heatmap(h) = panel {
                h.value_range = Some((floor, top));
                // Marked in the figure itself, which is also read without its caption (`actscope plot`), and
                // the mark explained there too, in the panel's title (the colour bar's label is turned on its
                // side, and the arrow with it).
                h.title = format!("{} (↓: below the colour scale, {floor:.3})", h.title);
                if let Some(ann) = &mut h.annotations {
                    for (row, values) in ann.iter_mut().zip(&h.cells) {
                        for (cell, v) in row.iter_mut().zip(values) {
                            if *v < floor {
                                cell.push_str(" ↓");
                            }
                        }
                    }
                }
            }
        }
        fig.caption.push_str(&format!(
            "; the colours span the top {:.0} points of accuracy ({floor:.3} to {top:.3}), so that the compared cells \
             differ in colour; cells below take its lowest colour and are marked ↓: {}",
            100.0 * HEATMAP_COLOUR_SPAN,
            below.join(", ")
        ));
    }
    fig
}

/// How far below the best cell the accuracy heatmap's colours reach.
const HEATMAP_COLOUR_SPAN: f64 = 0.1;

/// The BN paper's Figure 1(b, c): the tracked last-layer unit of the first selected sigmoid run (by seed),
/// without BN and with BN before φ.
fn bn_paper_percentiles(e: &Experiment) -> Figure {
    let track = |p: Placement| -> Vec<PercentilePoint> {
        e.selected(is(Activation::Sigmoid, p))
            .first()
            .map(|r| {
                r.checkpoints()
                    .iter()
                    .filter_map(|c| {
                        c.layers.last().and_then(|l| l.tracked_unit).map(|t| PercentilePoint {
                            step: c.step as f64,
                            p15: t[0],
                            p50: t[1],
                            p85: t[2],
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (without, with) = (track(Placement::None), track(Placement::Before));
    let mut fig = figs::bn_paper_percentiles(&without, &with);
    // One run per panel, not a mean over seeds as the other figures: say which. The figure draws only the
    // sides with points (a user's own model, or a sweep of one placement, has one).
    let run = |p: Placement| e.selected(is(Activation::Sigmoid, p)).first().map(|r| (r.config.seed, r.config.lr));
    let sides = [(run(Placement::None), !without.is_empty()), (run(Placement::Before), !with.is_empty())];
    let drawn: Vec<(u64, f64)> = match sides {
        [(Some(a), true), (Some(b), true)] => vec![a, b],
        [(Some(a), true), (_, false)] | [(_, false), (Some(a), true)] => vec![a],
        _ => return fig,
    };
    // Each panel trains at its own rate: each title says it.
    for (panel, &(_, lr)) in fig.panels.iter_mut().zip(&drawn) {
        if let actscope_plots::Panel::Lines(l) = panel {
            l.title = format!("{}, lr {lr}", l.title);
        }
    }
    let runs = match drawn[..] {
        [(a, lr_a), (b, lr_b)] => {
            let seeds = if a == b { format!("seed {a}") } else { format!("seeds {a} and {b}") };
            format!(
                "one run per panel ({seeds}, each at its configuration's selected learning rate: {lr_a} without BN, \
                 {lr_b} with), not a mean over seeds"
            )
        }
        _ => {
            let (seed, lr) = drawn[0];
            let missing = if without.is_empty() { "without BN" } else { "with BN before φ" };
            format!(
                "one run (seed {seed}, at its configuration's selected learning rate {lr}), not a mean over seeds; \
                 the runs hold no sigmoid run {missing} to set beside it"
            )
        }
    };
    fig.caption = format!("{}; {runs}", fig.caption);
    fig
}

/// Saturation panels for the bounded activations of `e` (each with its placements), titled
/// "{prefix}{activation}, BN {placement}", from the runs `pick` returns; panels without runs are left out.
fn saturation_panels<'a>(
    e: &'a Experiment,
    prefix: &str,
    pick: impl Fn(Activation, Placement) -> Vec<&'a Run>,
    depth: usize,
) -> Vec<CurvePanel> {
    configurations(e)
        .into_iter()
        .filter(|(a, _)| a.is_bounded())
        .map(|(a, p)| {
            let runs = pick(a, p);
            CurvePanel {
                title: format!("{prefix}{a}, BN {p}{}", at_chance(&runs)),
                curves: per_layer(&runs, saturation_rate, depth),
            }
        })
        .filter(|panel| !panel.curves.is_empty())
        .collect()
}

/// " (all 5 runs at chance level)" or " (3 of 5 runs at chance level)" for a panel whose runs include some
/// that failed to learn (C8 sets such settings aside: a flat curve there is an untrained network, which the
/// panel had not said); nothing otherwise.
fn at_chance(runs: &[&Run]) -> String {
    let failed = claims::failed(runs);
    match (failed, runs.len()) {
        (0, _) => String::new(),
        (1, 1) => " (its run at chance level)".into(),
        (f, n) if f == n => format!(" (all {n} runs at chance level)"),
        (f, n) => format!(" ({f} of {n} runs at chance level)"),
    }
}

/// The report's saturation figure: E4's bounded activations per placement (all of E4's runs: it has one
/// learning rate), then E1's sigmoid nets per placement (selected learning rate).
fn saturation_report(e4: &Experiment, e1: &Experiment) -> Figure {
    let depth = e4.max_depth().max(e1.max_depth());
    let mut panels = saturation_panels(e4, "E4: ", |a, p| e4.matching(is(a, p)), depth);
    for p in placements_where(e1, |c| c.activation == Activation::Sigmoid) {
        let runs = e1.selected(is(Activation::Sigmoid, p));
        panels.push(CurvePanel {
            title: format!("E1: sigmoid, BN {p}{}", at_chance(&runs)),
            curves: per_layer(&runs, saturation_rate, depth),
        });
    }
    // C8 reads a layer as saturating above this rate: draw it, so a reader sees which curves cross it.
    for panel in &mut panels {
        let steps = panel.curves.iter().flat_map(|c| c.x.iter().copied());
        let (lo, hi) = steps.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
        if lo < hi {
            panel.curves.push(MeanCurve {
                label: format!("C8's threshold {}", claims::SATURATING_RATE),
                color: palette::REFERENCE,
                dashed: true,
                x: vec![lo, hi],
                mean: vec![claims::SATURATING_RATE; 2],
                lo: vec![f64::NAN; 2],
                hi: vec![f64::NAN; 2],
                ..Default::default()
            });
        }
    }
    let chance = panels.iter().any(|p| p.title.ends_with("at chance level)"));
    let mut fig = figs::saturation_per_layer(&panels);
    fig.caption.push_str("; lines: mean over runs, bands and whiskers 95% intervals");
    if chance {
        fig.caption.push_str(
            "; a panel whose runs ended at chance level shows networks that did not learn, which C8 sets aside",
        );
    }
    if let Some(r) = e4.runs.first() {
        fig.caption.push_str(&format!(
            "; panels headed E4: are E4's nets (Glorot & Bengio's setting: {} initialisation, batch {}, one learning \
             rate, every run), those headed E1: the main grid's sigmoid nets at their selected learning rate",
            r.config.init, r.config.batch_size
        ));
    }
    fig
}

/// Saturation of every bounded activation present, per placement, at its selected learning rate.
fn saturation(e: &Experiment) -> Figure {
    let mut fig = figs::saturation_per_layer(&saturation_panels(e, "", |a, p| e.selected(is(a, p)), e.max_depth()));
    fig.caption.push_str("; lines: mean over runs, bands and whiskers 95% intervals");
    fig
}

/// The (learning rate, initial bias) settings C3 has a row for ([`claims::stress_settings`]), where the
/// experiment's ReLU-family runs set an initial bias (E3); none otherwise.
fn stress_settings(e: &Experiment) -> Vec<(f64, f64)> {
    let stressed = e.runs.iter().any(|r| r.config.activation.is_relu_family() && r.config.bias_init.is_some());
    if stressed { claims::stress_settings(e) } else { Vec::new() }
}

/// Dead-unit fraction per layer. Under stress settings (E3): one panel per ReLU-family activation, setting
/// and placement, pooling the seeds of that setting. Otherwise one panel per ReLU-family activation and
/// placement at its selected learning rate.
fn dead_units(e: &Experiment) -> Figure {
    let acts = activations_where(e, |c| c.activation.is_relu_family());
    let settings = stress_settings(e);
    let mut panels = Vec::new();
    for &a in &acts {
        let places = placements_where(e, |c| c.activation == a);
        if settings.is_empty() {
            for &p in &places {
                panels.push(CurvePanel {
                    title: format!("{a}, BN {p}"),
                    curves: per_layer(&e.selected(is(a, p)), dead_fraction, e.max_depth()),
                });
            }
            continue;
        }
        for &(lr, b) in &settings {
            for &p in &places {
                // Without the diverged runs, as C3 reads them. A setting whose runs all diverged, or that has
                // none, keeps its panel ("no data", saying why), so the grid's columns keep their placements.
                let mut runs = e.matching(move |c: &RunConfig| is(a, p)(c) && c.lr == lr && c.bias_init == Some(b));
                let all = runs.len();
                runs.retain(|r| r.summary.is_ok());
                let n = match (runs.len(), all) {
                    (_, 0) => "no runs".to_string(),
                    (0, 1) => "its 1 run diverged".to_string(),
                    (0, _) => format!("all {all} runs diverged"),
                    (1, 1) => "1 run".to_string(),
                    (k, _) if k == all => format!("{k} runs"),
                    (k, _) => format!("{k} of {all} runs, {} diverged", all - k),
                };
                panels.push(CurvePanel {
                    title: format!("{a}, lr {lr}, bias {b}, BN {p} ({n})"),
                    curves: per_layer(&runs, dead_fraction, e.max_depth()),
                });
            }
        }
    }
    if settings.is_empty() {
        panels.retain(|panel| !panel.curves.is_empty());
    }
    let mut fig = figs::dead_fraction_per_layer(&panels);
    fig.caption.push_str("; lines: mean over runs, bands and whiskers 95% intervals");
    if !settings.is_empty() {
        fig.caption.push_str(
            "; diverged runs are left out, as C3 leaves them out; a panel pools every other run of its setting, \
             where C3's rows and its short answer are over the seeds they pair (with a value on both sides), so \
             their means can differ a little",
        );
    }
    fig
}

/// Gradient norm by layer of the deepest nets, at initialisation and after training, one curve per
/// `(colour, activation, placement)`; with ReLU and BN before, the theory line of Yang et al. at
/// initialisation.
fn gradient_norms(e: &Experiment, configs: &[(Activation, Placement)]) -> Figure {
    let depth = e.max_depth();
    let styles = line_styles(configs);
    let panel = |title: &str, pick: fn(&Run) -> Option<&Checkpoint>, with_theory: bool| {
        let mut curves = Vec::new();
        let mut theory = None;
        for (&(a, p), &(colour, dashed)) in configs.iter().zip(&styles) {
            let runs = e.selected(move |c: &RunConfig| c.widths().len() == depth && is(a, p)(c));
            // Norms spread over orders of magnitude, and the axis is logarithmic: the geometric mean over
            // seeds with a t-interval on log10 (an arithmetic interval over 3 seeds reached below 0, where a
            // log axis cannot draw it). A zero norm has no logarithm and is left out.
            let mut c = mean_curve(&format!("{a}, BN {p}"), colour, &runs, |r| {
                pick(r).map_or_else(Vec::new, |c| {
                    c.layers.iter().map(|l| ((l.layer + 1) as f64, l.grad_w_norm.log10())).collect()
                })
            });
            for v in c.mean.iter_mut().chain(c.lo.iter_mut()).chain(c.hi.iter_mut()) {
                *v = 10f64.powf(*v);
            }
            c.dashed = dashed;
            if with_theory && a == Activation::Relu && p == Placement::Before && !c.mean.is_empty() {
                // Yang et al.: the squared gradient grows by λ(B) per layer towards the input, so the norm by √λ;
                // anchored at the measured last hidden layer.
                // Checkpoint gradients are computed on the probe set in one batch: B = probe size.
                let b = runs.first().map_or(60.0, |r| r.config.probe_size as f64);
                let lam = lambda_relu(b);
                let last = *c.mean.last().expect("non-empty");
                theory = Some(
                    c.x.iter()
                        .map(|&l| TheoryPoint { layer: l, grad_norm: last * lam.sqrt().powf(depth as f64 - l) })
                        .collect(),
                );
            }
            curves.push(c);
        }
        let theory_label = "theory for relu, BN before (Yang et al. 2019): ×√λ per layer from the last".to_string();
        GradientPanel { title: format!("{title}, {depth} hidden layers"), curves, theory, theory_label }
    };
    let seeds: Vec<usize> = configs
        .iter()
        .map(|&(a, p)| e.selected(move |c: &RunConfig| c.widths().len() == depth && is(a, p)(c)).len())
        .collect();
    let n = seed_range(&seeds).unwrap_or_else(|| "0".into());
    let mut fig = figs::gradient_norm_vs_depth(&[
        panel("at initialisation", |r| r.first(), true),
        panel("after training", |r| r.end(), false),
    ]);
    fig.caption.push_str(&format!(
        "; geometric mean over {n} seeds per curve with its 95% interval on log10; the theory line is anchored at \
         the measured last hidden layer"
    ));
    // A zero norm (a layer whose units are all dead passes no gradient) has no logarithm: its point averages
    // the other seeds, above what it would be. Say so, with where.
    let zeros: Vec<String> = configs
        .iter()
        .flat_map(|&(a, p)| {
            let runs = e.selected(move |c: &RunConfig| c.widths().len() == depth && is(a, p)(c));
            [("at initialisation", Run::first as fn(&Run) -> Option<&Checkpoint>), ("after training", Run::end)]
                .into_iter()
                .filter_map(move |(when, pick)| {
                    let k: usize = runs
                        .iter()
                        .filter_map(|r| pick(r))
                        .map(|c| c.layers.iter().filter(|l| l.grad_w_norm == 0.0).count())
                        .sum();
                    (k > 0).then(|| format!("{k} for {a}, BN {p}, {when}"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    if !zeros.is_empty() {
        fig.caption.push_str(&format!(
            "; layer norms of exactly 0 (no gradient reached the layer) have no logarithm and are left out of their \
             points, which then average fewer seeds and lie above the geometric mean of all: {}",
            zeros.join(", ")
        ));
    }
    fig
}

/// Histogram of z over training: the first selected run (by seed) of activation `act` under each of
/// `placements` (the report's: sigmoid without BN and with BN before), its first and last hidden layer.
fn histogram_over_time(e: &Experiment, act: Activation, placements: &[Placement]) -> Figure {
    use actscope_metrics::distribution::Histogram;
    fn z_hist(c: &Checkpoint, layer: usize) -> Option<&Histogram> {
        c.layers.get(layer).map(|x| &x.z_hist)
    }
    let mut tracks = Vec::new();
    // What the panels cannot show: how many values each kind of checkpoint holds (a 60-example batch shows no
    // tail a 1,000-example probe set shows). Values beyond the bins' range are said in each panel's title.
    let (mut probe_values, mut batch_values) = (None, None);
    // Which run each pair of panels is (a reader could not tell a seed's run from a mean over seeds).
    let mut drawn = Vec::new();
    for &p in placements {
        if let Some(r) = e.selected(is(act, p)).first() {
            drawn.push(format!("BN {p}: seed {}, lr {}", r.config.seed, r.config.lr));
            let cps = r.checkpoints();
            let layers = r.config.widths().len();
            for l in [0, layers.saturating_sub(1)] {
                // The largest share of a checkpoint's values below and above the bins.
                let mut beyond = (0.0f64, 0.0f64);
                for c in &cps {
                    if let Some(h) = z_hist(c, l) {
                        let total = h.total().max(1) as f64;
                        beyond = (beyond.0.max(h.underflow as f64 / total), beyond.1.max(h.overflow as f64 / total));
                        let slot = match c.measured_on {
                            actscope_metrics::records::MeasuredOn::ProbeSet => &mut probe_values,
                            actscope_metrics::records::MeasuredOn::TrainBatch => &mut batch_values,
                        };
                        slot.get_or_insert(h.total());
                    }
                }
                tracks.push(HistogramTrack {
                    beyond,
                    title: format!("{act}, BN {p}, layer {}", l + 1),
                    steps: cps.iter().map(|c| c.step as f64).collect(),
                    edges: cps.first().and_then(|c| z_hist(c, l)).map_or_else(Vec::new, |h| h.bins.edges()),
                    // Shares, not counts: in-between checkpoints measure a sample of the probe set.
                    counts: cps
                        .iter()
                        .map(|c| {
                            z_hist(c, l).map_or_else(Vec::new, |h| {
                                let total = h.total().max(1) as f64;
                                h.counts.iter().map(|&n| n as f64 / total).collect()
                            })
                        })
                        .collect(),
                });
            }
        }
    }
    let mut fig = figs::histogram_over_time("z (input of φ)", &tracks);
    if !drawn.is_empty() {
        fig.caption.push_str(&format!(
            "; one run per placement, its first and last hidden layer, not a mean over seeds ({act}, {})",
            drawn.join("; ")
        ));
    }
    if let (Some(p), Some(b)) = (probe_values, batch_values) {
        fig.caption.push_str(&format!(
            "; a probe-set column holds {p} values and a training-batch column {b}, so rare values show only in \
             the first and last columns"
        ));
    }
    fig
}

/// [`histogram_over_time`] of any runs: sigmoid's where there are sigmoid runs (as the report), else the first
/// activation present's, under its first two placements (in the order none, before, after).
fn histogram_over_time_of_runs(e: &Experiment) -> Figure {
    let acts = activations(e);
    let act = if acts.contains(&Activation::Sigmoid) { Some(Activation::Sigmoid) } else { acts.first().copied() };
    let Some(act) = act else { return histogram_over_time(e, Activation::Sigmoid, &[]) };
    let placements = placements_where(e, |c| c.activation == act);
    histogram_over_time(e, act, &placements[..placements.len().min(2)])
}

/// sigmoid(z) after BN: the selected sigmoid runs with BN before, pooled over seeds and layers, at
/// initialisation and after training, with the claimed interval and the share of z in [0, 1].
fn sigmoid_after_bn(e: &Experiment) -> Figure {
    let runs = e.selected(is(Activation::Sigmoid, Placement::Before));
    let pooled = |title: &str, pick: fn(&Run) -> Option<&Checkpoint>| -> DensityPanel {
        let mut counts: Vec<f64> = Vec::new();
        let mut edges = Vec::new();
        let mut shares = Vec::new();
        for r in &runs {
            if let Some(c) = pick(r) {
                for l in &c.layers {
                    edges = l.a_hist.bins.edges();
                    counts.resize(l.a_hist.counts.len(), 0.0);
                    for (t, &n) in counts.iter_mut().zip(&l.a_hist.counts) {
                        *t += n as f64;
                    }
                }
                shares.extend(claims::share_z_unit(c));
            }
        }
        let total: f64 = counts.iter().sum();
        let width = edges.get(1).zip(edges.first()).map_or(1.0, |(b, a)| b - a);
        let density = counts.iter().map(|c| c / total.max(1.0) / width).collect();
        DensityPanel { title: title.into(), edges, density, share_inside: describe(&shares).mean }
    };
    let mut fig = figs::sigmoid_after_bn(
        &[
            pooled("sigmoid, BN before: at initialisation", |r| r.first()),
            pooled("sigmoid, BN before: after training", |r| r.end()),
        ],
        CLAIMED_SIGMOID_OUTPUT,
    );
    fig.caption.push_str(&format!(
        "; pooled over every hidden layer of the {} sigmoid nets with BN before φ at their selected learning rate",
        runs.len()
    ));
    fig
}

/// Final test accuracy against depth: one panel per placement, one line per activation (selected learning
/// rate at each depth), 95% whiskers.
fn accuracy_vs_depth(e: &Experiment) -> Figure {
    let acts = activations(e);
    let colour = colours(&acts);
    let mut depths: Vec<usize> = e.runs.iter().map(|r| r.config.widths().len()).collect();
    depths.sort_unstable();
    depths.dedup();
    let panels: Vec<AccuracyDepthPanel> = placements(e)
        .into_iter()
        .map(|p| {
            let curves = acts
                .iter()
                .zip(&colour)
                .map(|(&a, &i)| {
                    let points = depths
                        .iter()
                        .map(|&d| {
                            let v: Vec<f64> = e
                                .selected(move |c: &RunConfig| c.widths().len() == d && is(a, p)(c))
                                .iter()
                                .map(|r| r.test_accuracy())
                                .filter(|x| x.is_finite())
                                .collect();
                            let s = describe(&v);
                            DepthPoint { depth: d as f64, mean: s.mean, lo: s.ci_low, hi: s.ci_high }
                        })
                        .filter(|p| p.mean.is_finite())
                        .collect();
                    DepthCurve { label: a.to_string(), color: i, dashed: false, points }
                })
                .collect();
            AccuracyDepthPanel { title: format!("BN {p}"), curves }
        })
        .collect();
    // Chance level, one over the classes the training set holds (the lowest of any run's data): a net that
    // learned nothing sits on it (sigmoid without BN at depth 16 does).
    let classes = e.runs.iter().map(|r| r.summary.chance_classes()).max().unwrap_or(0);
    let counts: Vec<usize> = configurations(e)
        .into_iter()
        .flat_map(|(a, p)| {
            depths.iter().map(move |&d| e.selected(move |c: &RunConfig| c.widths().len() == d && is(a, p)(c)).len())
        })
        .collect();
    let mut fig = with_seeds(figs::accuracy_vs_depth(&panels), counts);
    let mut lrs: Vec<f64> = e.runs.iter().map(|r| r.config.lr).collect();
    lrs.sort_by(f64::total_cmp);
    lrs.dedup();
    // What each point's runs are to the seeds that chose its rate (E2 draws no later seeds; E1 does).
    let has = |j: JudgedOn| e.groups.iter().any(|g| g.judged_on == j);
    let at = if has(JudgedOn::ChoosingSeeds) || has(JudgedOn::NoCommonSeeds) {
        "the learning rate chosen on the same seeds' validation accuracy, which favours the rate their luck favoured"
    } else if has(JudgedOn::LaterSeeds) {
        "the learning rate chosen on validation, on seeds of its own"
    } else {
        "its learning rate"
    };
    fig.caption.push_str(&format!(
        "; each point at {at}, for its activation, placement and depth (tried: {}), after {}",
        lrs.iter().map(f64::to_string).collect::<Vec<_>>().join(", "),
        super::budget(e)
    ));
    if classes > 0 && depths.len() >= 2 {
        let chance = 1.0 / classes as f64;
        for panel in &mut fig.panels {
            if let actscope_plots::Panel::Lines(l) = panel {
                l.series.push(actscope_plots::Series {
                    label: format!("chance (1/{classes})"),
                    color: palette::REFERENCE,
                    dashed: true,
                    points: vec![(depths[0] as f64, chance), (depths[depths.len() - 1] as f64, chance)],
                    ..Default::default()
                });
            }
        }
    }
    fig
}

/// Time per training step (E8): one bar per activation timed, one group per placement timed.
fn time_per_step(cost: &[StepTiming]) -> Figure {
    let mut acts: Vec<Activation> = Vec::new();
    let mut places: Vec<Placement> = Vec::new();
    for t in cost {
        if !acts.contains(&t.activation) {
            acts.push(t.activation);
        }
        if !places.contains(&t.placement) {
            places.push(t.placement);
        }
    }
    acts.sort_by(by_activation_order);
    places.sort_unstable();
    let groups: Vec<TimingGroup> = places
        .iter()
        .map(|&p| TimingGroup {
            label: format!("BN {p}"),
            values: acts
                .iter()
                .map(|&a| {
                    cost.iter().find(|t| t.activation == a && t.placement == p).map_or(
                        Estimate { mean: f64::NAN, lo: f64::NAN, hi: f64::NAN },
                        |t| {
                            let d = describe(&t.ms_per_step);
                            Estimate { mean: d.mean, lo: d.ci_low, hi: d.ci_high }
                        },
                    )
                })
                .collect(),
        })
        .collect();
    let names: Vec<String> = acts.iter().map(|a| a.to_string()).collect();
    let mut fig = figs::time_per_step(&names, &groups, "ms per training step");
    let rounds: Vec<usize> = cost.iter().map(|t| t.ms_per_step.len()).collect();
    if let Some(n) = seed_range(&rounds) {
        // The whiskers are each configuration's own interval; C5 pairs the configurations by round, which
        // removes the machine's drift between rounds, so its test can tell apart bars whose whiskers overlap.
        fig.caption.push_str(&format!(
            "; {n} rounds of timings per configuration; the whiskers are each bar's own interval, while C5's test \
             pairs the configurations by round (removing the machine's drift between rounds), so it can tell \
             apart bars whose whiskers overlap"
        ));
    }
    fig
}

/// The report's effective-rank panels: the configurations of [`RANK_COMPARISON`] present; when none is,
/// every configuration present.
fn rank_comparison(e: &Experiment) -> Vec<(Activation, Placement)> {
    let configs: Vec<(Activation, Placement)> =
        RANK_COMPARISON.iter().copied().filter(|&(a, p)| has(e, a, p)).collect();
    if configs.is_empty() { configurations(e) } else { configs }
}

/// The report's γ/β activations: those of [`BN_PARAM_ACTIVATIONS`] with BN before φ; when none is present,
/// every activation with BN before.
fn bn_param_activations(e: &Experiment) -> Vec<Activation> {
    let acts: Vec<Activation> =
        BN_PARAM_ACTIVATIONS.iter().copied().filter(|&a| has(e, a, Placement::Before)).collect();
    if acts.is_empty() { activations_where(e, |c| c.placement == Placement::Before) } else { acts }
}

/// Effective rank per layer over training, one panel per configuration of `configs` (selected learning
/// rate).
fn effective_rank(e: &Experiment, configs: Vec<(Activation, Placement)>) -> Figure {
    let seeds: Vec<usize> = configs.iter().map(|&(a, p)| e.selected(is(a, p)).len()).collect();
    let panels: Vec<CurvePanel> = configs
        .into_iter()
        .map(|(a, p)| CurvePanel {
            title: format!("{a}, BN {p}"),
            curves: per_layer(&e.selected(is(a, p)), |l| l.effective_rank, e.max_depth()),
        })
        .collect();
    let mut fig = figs::effective_rank_per_layer(&panels).with_columns(2);
    let width = e.runs.iter().flat_map(|r| r.config.widths()).max().unwrap_or(0);
    fig.caption.push_str(&format!(
        "; lines: mean over seeds at the selected learning rate, bands 95% intervals; a layer of n units has rank at most n ({width} here){}",
        if e.runs.iter().all(|r| r.checkpoints().iter().filter(|c| c.layers.iter().any(|l| l.effective_rank.is_some())).count() <= 2) {
            "; measured at the first and the last checkpoint only, so each line joins two measurements"
        } else {
            ""
        }
    ));
    with_seeds(fig, seeds)
}

/// `panels` laid out in `columns` columns, each column's line panels on one y-range
/// ([`figs::share_y`]): γ of one activation compares with γ of another only on one axis (each panel fitted
/// to its own data, sigmoid's β of ±0.0014 looked as large as ReLU's of 0.02).
fn share_y_per_column(panels: Vec<actscope_plots::Panel>, columns: usize) -> Vec<actscope_plots::Panel> {
    let mut by_column: Vec<Vec<actscope_plots::Panel>> = vec![Vec::new(); columns];
    for (i, p) in panels.into_iter().enumerate() {
        by_column[i % columns].push(p);
    }
    let mut shared: Vec<std::vec::IntoIter<actscope_plots::Panel>> =
        by_column.into_iter().map(|c| figs::share_y(c).into_iter()).collect();
    // Back in row order.
    let mut out = Vec::new();
    'rows: loop {
        for c in &mut shared {
            match c.next() {
                Some(p) => out.push(p),
                None => break 'rows,
            }
        }
    }
    out
}

/// γ and β per layer over training for the activations `acts` with BN before φ (selected learning rate),
/// one row (γ, β) per activation, each column on one y-range.
fn bn_params(e: &Experiment, acts: Vec<Activation>) -> Figure {
    // One row of panels (γ, β) per activation, layers in the sequential ramp: coloured by (activation,
    // layer) on one panel, a sigmoid layer took ReLU's colour and the ReLU layers other activations'.
    let mut panels = Vec::new();
    let mut fig = None;
    // Each activation's learning rate and seeds: the panels' drifts are at different rates.
    let mut at = Vec::new();
    for &a in &acts {
        let runs = e.selected(is(a, Placement::Before));
        if let Some(r) = runs.first() {
            at.push(format!("{a} at lr {} over {} seeds", r.config.lr, runs.len()));
        }
        let layers = runs.first().map_or(0, |r| r.config.widths().len());
        let curves = |f: fn(&BnParams) -> f64| -> Vec<MeanCurve> {
            (0..layers)
                .map(|l| {
                    mean_curve(
                        &format!("layer {}", l + 1),
                        palette::sequence(l, e.max_depth().max(layers)),
                        &runs,
                        |r| layer_series(r, l, |x| x.bn.map(|b| f(&b))),
                    )
                })
                .collect()
        };
        let f = figs::bn_params_over_time(&curves(|b| b.gamma_mean), &curves(|b| b.beta_mean), "BN before φ");
        for mut p in f.panels.clone() {
            if let actscope_plots::Panel::Lines(l) = &mut p {
                l.title = format!("{}, {a}", l.title);
            }
            panels.push(p);
        }
        fig.get_or_insert(f);
    }
    match fig {
        Some(f) => Figure::new(
            f.title,
            format!(
                "{}; lines: mean over seeds at the selected learning rate ({}), bands 95% intervals; a mean over a \
                 layer's units does not show how far single units' γ and β moved",
                f.caption,
                at.join(", ")
            ),
            share_y_per_column(panels, 2),
        )
        .with_columns(2),
        None => figs::bn_params_over_time(&[], &[], "BN before φ"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Activation::*;

    #[test]
    fn each_activation_keeps_its_colour_whatever_else_a_figure_holds() {
        let main = actscope_core::MAIN_ACTIVATIONS;
        assert_eq!(colours(&main), [0, 1, 2, 3, 4, 5, 6], "E1's seven in core's order");
        assert_eq!(colours(&[Sigmoid, Relu]), [0, 2], "E2's pair keeps E1's colours");
        assert_eq!(colours(&[Tanh, Relu, Silu]), [1, 2, 6]);
        // Others take the first colour the figure leaves free; a second α of one kind too.
        assert_eq!(colours(&[Relu, Softplus, Softsign]), [2, 0, 1]);
        assert_eq!(colours(&[LeakyRelu(0.01), LeakyRelu(0.2)]), [3, 0]);
        // Only more than seven repeat one.
        let mut eight = main.to_vec();
        eight.push(Softplus);
        assert_eq!(colours(&eight), [0, 1, 2, 3, 4, 5, 6, 0]);
    }

    #[test]
    fn placements_of_one_activation_share_its_colour_solid_then_dashed() {
        assert_eq!(line_styles(&GRADIENT_COMPARISON), [(0, false), (0, true), (1, false), (2, false), (2, true)]);
        let before_after = [(Relu, Placement::After), (Relu, Placement::Before)];
        assert_eq!(line_styles(&before_after), [(2, true), (2, false)], "the earlier placement is solid");
        // Three placements of one activation: two styles cannot tell them apart, so each its own colour.
        let three =
            [(Relu, Placement::None), (Relu, Placement::Before), (Relu, Placement::After), (Tanh, Placement::None)];
        assert_eq!(line_styles(&three), [(0, false), (1, false), (2, false), (3, false)]);
        // A full grid of three activations × three placements: nine styles, no two alike.
        let grid: Vec<(Activation, Placement)> = [Sigmoid, Tanh, Relu]
            .into_iter()
            .flat_map(|a| [Placement::None, Placement::Before, Placement::After].map(|p| (a, p)))
            .collect();
        let styles = line_styles(&grid);
        let distinct: std::collections::HashSet<_> = styles.iter().collect();
        assert_eq!(distinct.len(), 9, "{styles:?}");
    }
}
