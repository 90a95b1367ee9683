//! The report's figures, built from the experiments' runs and drawn by actscope-plots.

use actscope_core::{Activation, MAIN_ACTIVATIONS, PLACEMENTS, Placement};
use actscope_metrics::records::Checkpoint;
use actscope_metrics::stats::describe;
use actscope_plots::Figure;
use actscope_plots::figures::{self as figs, DepthCurve, MeanCurve};

use super::aggregate::{Experiment, Run, layer_series, mean_curve};
use super::cost::StepTiming;
use super::theory::lambda_relu;
use crate::config::RunConfig;

fn is(act: Activation, p: Placement) -> impl Fn(&RunConfig) -> bool {
    move |c: &RunConfig| c.activation == act && c.placement == p
}

fn present(e: &Experiment) -> Vec<Activation> {
    MAIN_ACTIVATIONS.iter().copied().filter(|a| e.runs.iter().any(|r| r.config.activation == *a)).collect()
}

fn eval_series(set: &'static str) -> impl Fn(&Run) -> Vec<(f64, f64)> {
    move |r: &Run| r.evals(set).iter().map(|e| (e.step as f64, e.accuracy)).collect()
}

/// Every figure the experiments support, with its file stem.
pub fn build(
    e1: &Experiment,
    e2: &Experiment,
    e3: &Experiment,
    e4: &Experiment,
    cost: &[StepTiming],
) -> Vec<(&'static str, Figure)> {
    let acts = present(e1);
    let mut out = Vec::new();

    // 1. Learning curves (E1).
    let panels: Vec<(String, Vec<MeanCurve>)> = PLACEMENTS
        .iter()
        .map(|&p| {
            let curves = acts
                .iter()
                .enumerate()
                .map(|(i, &a)| mean_curve(&a.to_string(), i, &e1.selected(is(a, p)), eval_series("test")))
                .collect();
            (p.to_string(), curves)
        })
        .collect();
    out.push(("learning_curves", figs::learning_curves("test accuracy", &panels)));

    // 2. Accuracy heatmap (E1).
    let (mut mean, mut hw) = (Vec::new(), Vec::new());
    for &a in &acts {
        let (mut m, mut h) = (Vec::new(), Vec::new());
        for p in PLACEMENTS {
            let v: Vec<f64> =
                e1.selected(is(a, p)).iter().map(|r| r.test_accuracy()).filter(|x| x.is_finite()).collect();
            let d = describe(&v);
            m.push(d.mean);
            h.push(d.half_width());
        }
        mean.push(m);
        hw.push(h);
    }
    let names: Vec<String> = acts.iter().map(|a| a.to_string()).collect();
    let places: Vec<String> = PLACEMENTS.iter().map(|p| p.to_string()).collect();
    out.push(("accuracy_heatmap", figs::accuracy_heatmap(&names, &places, &mean, &hw)));

    // 3. BN paper's Figure 1 (E1, sigmoid, seed of the first selected run).
    let track = |p: Placement| -> figs::PercentileTrack {
        e1.selected(is(Activation::Sigmoid, p))
            .first()
            .map(|r| {
                r.checkpoints()
                    .iter()
                    .filter_map(|c| {
                        c.layers.last().and_then(|l| l.tracked_unit).map(|t| (c.step as f64, t[0], t[1], t[2]))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    out.push(("bn_paper_percentiles", figs::bn_paper_percentiles(&track(Placement::None), &track(Placement::Before))));

    // 4. Saturation per layer (E4).
    let per_layer = |runs: Vec<&Run>, f: fn(&actscope_metrics::LayerRecord) -> Option<f64>| -> Vec<MeanCurve> {
        let layers = runs.first().map_or(0, |r| r.config.widths().len());
        (0..layers).map(|l| mean_curve(&format!("layer {}", l + 1), l, &runs, |r| layer_series(r, l, f))).collect()
    };
    let sat: fn(&actscope_metrics::LayerRecord) -> Option<f64> = |l| l.saturation.map(|s| s.rate);
    // With the bundled experiments, E4's panels then E1's sigmoid nets; on a single runs directory (`actscope
    // plot`, where every role is the same experiment) just the bounded activations present.
    let separate = !std::ptr::eq(e1, e4);
    let prefix = if separate { "E4: " } else { "" };
    let mut sat_panels: Vec<(String, Vec<MeanCurve>)> = [Activation::Sigmoid, Activation::Tanh, Activation::Softsign]
        .iter()
        .flat_map(|&a| PLACEMENTS.iter().map(move |&p| (a, p)))
        .map(|(a, p)| (format!("{prefix}{a}, BN {p}"), per_layer(e4.matching(is(a, p)), sat)))
        .filter(|(_, curves)| !curves.is_empty())
        .collect();
    if separate {
        for p in PLACEMENTS {
            sat_panels.push((format!("E1: sigmoid, BN {p}"), per_layer(e1.selected(is(Activation::Sigmoid, p)), sat)));
        }
    }
    out.push(("saturation", figs::saturation_per_layer(&sat_panels)));

    // 5. Dead units per layer (E3 stress: lr 1.0; and negative bias).
    let dead: fn(&actscope_metrics::LayerRecord) -> Option<f64> = |l| l.dead.map(|d| d.dead_fraction);
    let mut dead_panels: Vec<(String, Vec<MeanCurve>)> = [(1.0, 0.0), (0.1, -1.0)]
        .iter()
        .flat_map(|&(lr, b)| PLACEMENTS.iter().map(move |&p| (lr, b, p)))
        .map(|(lr, b, p)| {
            let runs = e3.matching(move |c: &RunConfig| c.placement == p && c.lr == lr && c.bias_init == Some(b));
            (format!("relu, lr {lr}, bias {b}, BN {p}"), per_layer(runs, dead))
        })
        .filter(|(_, curves)| !curves.is_empty())
        .collect();
    if dead_panels.is_empty() {
        // Not the bundled stress experiment (e.g. `actscope plot` on your own runs): one panel per ReLU-family
        // activation and placement present, at each configuration's selected learning rate.
        for a in present(e3).into_iter().filter(|a| a.is_relu_family()) {
            for p in PLACEMENTS {
                let runs = e3.selected(is(a, p));
                if !runs.is_empty() {
                    dead_panels.push((format!("{a}, BN {p}"), per_layer(runs, dead)));
                }
            }
        }
    }
    out.push(("dead_units", figs::dead_fraction_per_layer(&dead_panels)));

    // 6. Gradient norm vs depth (E2, deepest nets) at initialisation and at the end.
    let depth = e2.runs.iter().map(|r| r.config.widths().len()).max().unwrap_or(0);
    let grad_panel = |title: &str, pick: fn(&Run) -> Option<&Checkpoint>, with_theory: bool| {
        let mut curves = Vec::new();
        let mut theory = None;
        for (i, (a, p)) in [
            (Activation::Sigmoid, Placement::None),
            (Activation::Sigmoid, Placement::Before),
            (Activation::Tanh, Placement::None),
            (Activation::Relu, Placement::None),
            (Activation::Relu, Placement::Before),
        ]
        .into_iter()
        .enumerate()
        {
            let runs = e2.selected(move |c: &RunConfig| c.widths().len() == depth && is(a, p)(c));
            let c = mean_curve(&format!("{a}, BN {p}"), i, &runs, |r| {
                pick(r)
                    .map_or_else(Vec::new, |c| c.layers.iter().map(|l| ((l.layer + 1) as f64, l.grad_w_norm)).collect())
            });
            if with_theory && a == Activation::Relu && p == Placement::Before && !c.mean.is_empty() {
                // Yang et al.: the squared gradient grows by λ(B) per layer towards the input, so the norm by √λ;
                // anchored at the measured last hidden layer.
                // Checkpoint gradients are computed on the probe set in one batch: B = probe size.
                let b = runs.first().map_or(60.0, |r| r.config.probe_size as f64);
                let lam = lambda_relu(b);
                let last = *c.mean.last().expect("non-empty");
                theory = Some(c.x.iter().map(|&l| (l, last * lam.sqrt().powf(depth as f64 - l))).collect());
            }
            curves.push(c);
        }
        (format!("{title}, {depth} hidden layers"), curves, theory)
    };
    out.push((
        "gradient_norms",
        figs::gradient_norm_vs_depth(&[
            grad_panel("at initialisation", |r| r.first(), true),
            grad_panel("after training", |r| r.last(), false),
        ]),
    ));

    // 7. Histogram of z over training (E1, sigmoid, first selected seed, first and last layer).
    let mut hist_panels = Vec::new();
    for p in [Placement::None, Placement::Before] {
        if let Some(r) = e1.selected(is(Activation::Sigmoid, p)).first() {
            let cps = r.checkpoints();
            let layers = r.config.widths().len();
            for l in [0, layers.saturating_sub(1)] {
                let steps: Vec<f64> = cps.iter().map(|c| c.step as f64).collect();
                let edges = cps.first().map_or_else(Vec::new, |c| c.layers[l].z_hist.bins.edges());
                let counts: Vec<Vec<f64>> =
                    cps.iter().map(|c| c.layers[l].z_hist.counts.iter().map(|&n| n as f64).collect()).collect();
                hist_panels.push((format!("sigmoid, BN {p}, layer {}", l + 1), steps, edges, counts));
            }
        }
    }
    out.push(("histogram_over_time", figs::histogram_over_time("z (input of φ)", &hist_panels)));

    // 8. sigmoid(z) after BN (E1 sigmoid/before, pooled over seeds and layers).
    let sig_runs = e1.selected(is(Activation::Sigmoid, Placement::Before));
    let pooled = |pick: fn(&Run) -> Option<&Checkpoint>| -> (Vec<f64>, Vec<f64>, f64) {
        let mut counts: Vec<f64> = Vec::new();
        let mut edges = Vec::new();
        let mut shares = Vec::new();
        for r in &sig_runs {
            if let Some(c) = pick(r) {
                for l in &c.layers {
                    edges = l.a_hist.bins.edges();
                    counts.resize(l.a_hist.counts.len(), 0.0);
                    for (t, &n) in counts.iter_mut().zip(&l.a_hist.counts) {
                        *t += n as f64;
                    }
                }
                shares.extend(super::claims::share_z_unit(c));
            }
        }
        let total: f64 = counts.iter().sum();
        let width = edges.get(1).zip(edges.first()).map_or(1.0, |(b, a)| b - a);
        let density = counts.iter().map(|c| c / total.max(1.0) / width).collect();
        (edges, density, describe(&shares).mean)
    };
    let (e0, d0, s0) = pooled(|r| r.first());
    let (e_end, d_end, s_end) = pooled(|r| r.last());
    out.push((
        "sigmoid_after_bn",
        figs::sigmoid_after_bn(
            &[("at initialisation".into(), e0, d0, s0), ("after training".into(), e_end, d_end, s_end)],
            (0.5, 0.731),
        ),
    ));

    // 9. Accuracy vs depth (E2).
    let e2_acts: Vec<Activation> = [Activation::Sigmoid, Activation::Tanh, Activation::Relu]
        .into_iter()
        .filter(|a| e2.runs.iter().any(|r| r.config.activation == *a))
        .collect();
    let mut depths: Vec<usize> = e2.runs.iter().map(|r| r.config.widths().len()).collect();
    depths.sort_unstable();
    depths.dedup();
    let depth_panels: Vec<(String, Vec<DepthCurve>)> = PLACEMENTS
        .iter()
        .filter(|&&p| e2.runs.iter().any(|r| r.config.placement == p))
        .map(|&p| {
            let curves = e2_acts
                .iter()
                .enumerate()
                .map(|(i, &a)| {
                    let pts = depths
                        .iter()
                        .map(|&d| {
                            let v: Vec<f64> = e2
                                .selected(move |c: &RunConfig| c.widths().len() == d && is(a, p)(c))
                                .iter()
                                .map(|r| r.test_accuracy())
                                .filter(|x| x.is_finite())
                                .collect();
                            let s = describe(&v);
                            (d as f64, s.mean, s.ci_low, s.ci_high)
                        })
                        .filter(|p| p.1.is_finite())
                        .collect();
                    (a.to_string(), i, false, pts)
                })
                .collect();
            (format!("BN {p}"), curves)
        })
        .collect();
    out.push(("accuracy_vs_depth", figs::accuracy_vs_depth(&depth_panels)));

    // 10. Time per step (E8).
    let cost_acts: Vec<String> =
        MAIN_ACTIVATIONS.iter().map(|a| a.to_string()).filter(|a| cost.iter().any(|t| &t.activation == a)).collect();
    let groups: Vec<figs::BarValues> = PLACEMENTS
        .iter()
        .map(|p| {
            let vals = cost_acts
                .iter()
                .map(|a| {
                    cost.iter().find(|t| &t.activation == a && t.placement == p.to_string()).map_or(
                        (f64::NAN, f64::NAN, f64::NAN),
                        |t| {
                            let d = describe(&t.ms_per_step);
                            (d.mean, d.ci_low, d.ci_high)
                        },
                    )
                })
                .collect();
            (format!("BN {p}"), vals)
        })
        .collect();
    out.push(("time_per_step", figs::time_per_step(&cost_acts, &groups, "ms per training step")));

    // 11. γ and β over training (E1, sigmoid and relu with BN before).
    let bn_curves = |f: fn(&actscope_metrics::records::BnParams) -> f64| -> Vec<MeanCurve> {
        let mut v = Vec::new();
        for (k, a) in [Activation::Sigmoid, Activation::Relu].into_iter().enumerate() {
            let runs = e1.selected(is(a, Placement::Before));
            let layers = runs.first().map_or(0, |r| r.config.widths().len());
            for l in 0..layers {
                v.push(mean_curve(&format!("{a}, layer {}", l + 1), k * 3 + l, &runs, |r| {
                    layer_series(r, l, |x| x.bn.map(|b| f(&b)))
                }));
            }
        }
        v
    };
    // Effective rank per layer (E1, ReLU vs sigmoid with BN before and after).
    let erank: fn(&actscope_metrics::LayerRecord) -> Option<f64> = |l| l.effective_rank;
    let rank_panels: Vec<(String, Vec<MeanCurve>)> = [Placement::Before, Placement::After]
        .iter()
        .flat_map(|&p| [Activation::Relu, Activation::Sigmoid].into_iter().map(move |a| (a, p)))
        .map(|(a, p)| (format!("{a}, BN {p}"), per_layer(e1.selected(is(a, p)), erank)))
        .collect();
    out.push(("effective_rank", figs::effective_rank_per_layer(&rank_panels).with_columns(2)));
    out.push((
        "bn_params",
        figs::bn_params_over_time(&bn_curves(|b| b.gamma_mean), &bn_curves(|b| b.beta_mean), "BN before φ"),
    ));
    out
}
