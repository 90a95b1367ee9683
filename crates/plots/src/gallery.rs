//! Every figure built from seeded synthetic numbers: for the gallery example, the tests, and for seeing
//! what each figure looks like before running an experiment. The numbers are made up and say so in
//! every title.

use crate::figure::Figure;
use crate::figures::{
    self, AccuracyDepthPanel, CurvePanel, DensityPanel, DepthCurve, DepthPoint, Estimate, GradientPanel,
    HistogramTrack, Interval, MarkedPoint, MeanCurve, PercentilePoint, PlacementCurves, TheoryPoint, TimingGroup,
};

/// One sample figure with the file stem it is written under.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleFigure {
    /// File stem (`learning_curves`, …), the same as the report's.
    pub stem: &'static str,
    /// The figure, its title marked "\[synthetic example\]".
    pub figure: Figure,
}

/// A tiny deterministic generator (SplitMix64), so the gallery needs no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn curve(label: &str, color: usize, rate: f64, top: f64, rng: &mut Rng) -> MeanCurve {
    let x: Vec<f64> = (0..=20).map(|i| i as f64 * 50.0).collect();
    let mean: Vec<f64> =
        x.iter().map(|s| 0.1 + (top - 0.1) * (1.0 - (-rate * s).exp()) + 0.005 * rng.normal()).collect();
    let w: Vec<f64> = x.iter().map(|s| 0.01 + 0.03 * (-s / 300.0).exp()).collect();
    MeanCurve {
        label: label.into(),
        color,
        dashed: false,
        dots: false,
        lo: mean.iter().zip(&w).map(|(m, w)| m - w).collect(),
        hi: mean.iter().zip(&w).map(|(m, w)| m + w).collect(),
        x,
        mean,
    }
}

const ACTS: [&str; 4] = ["sigmoid", "tanh", "relu", "gelu"];
const PLACES: [&str; 3] = ["none", "before", "after"];

/// Every figure of the report, from synthetic numbers seeded by `seed`, with a file stem for each.
pub fn sample_figures(seed: u64) -> Vec<SampleFigure> {
    let mut rng = Rng(seed);
    let r = &mut rng;
    let tag = |mut f: Figure| {
        f.title = format!("{} [synthetic example]", f.title);
        f
    };
    let panels: Vec<PlacementCurves> = PLACES
        .iter()
        .enumerate()
        .map(|(p, place)| {
            let curves = ACTS
                .iter()
                .enumerate()
                .map(|(a, act)| curve(act, a, 0.002 + 0.002 * (a + p) as f64, 0.8 + 0.02 * a as f64, r))
                .collect();
            PlacementCurves { placement: place.to_string(), curves }
        })
        .collect();
    let mean: Vec<Vec<f64>> = ACTS
        .iter()
        .enumerate()
        .map(|(a, _)| (0..3).map(|p| 0.8 + 0.02 * (a + p) as f64 + 0.01 * r.normal()).collect())
        .collect();
    let hw: Vec<Vec<f64>> = mean.iter().map(|row| row.iter().map(|_| 0.005 + 0.005 * r.next()).collect()).collect();
    let track = |drift: f64, r: &mut Rng| -> Vec<PercentilePoint> {
        (0..=30)
            .map(|i| {
                let s = i as f64 * 100.0;
                let c = drift * (s / 1000.0).sqrt() + 0.05 * r.normal();
                PercentilePoint { step: s, p15: c - 1.0, p50: c, p85: c + 1.0 }
            })
            .collect()
    };
    let layers = |base: f64, r: &mut Rng| -> Vec<MeanCurve> {
        (0..3)
            .map(|l| {
                let mut c = curve(&format!("layer {}", l + 1), l, 0.003, base + 0.15 * l as f64, r);
                c.mean.iter_mut().for_each(|m| *m = m.clamp(0.0, 1.0));
                c
            })
            .collect()
    };
    let grad = |decay: f64, color: usize, label: &str| MeanCurve {
        label: label.into(),
        color,
        dashed: false,
        dots: false,
        x: (1..=10).map(|l| l as f64).collect(),
        mean: (1..=10).map(|l| 0.1 * decay.powi(10 - l)).collect(),
        lo: vec![f64::NAN; 10],
        hi: vec![f64::NAN; 10],
    };
    let edges: Vec<f64> = (0..=64).map(|i| -8.0 + 0.25 * i as f64).collect();
    let hist_track = |spread: f64, r: &mut Rng| -> Vec<Vec<f64>> {
        (0..20)
            .map(|t| {
                let sd = 1.0 + spread * t as f64;
                let mut h = vec![0.0; 64];
                for _ in 0..2000 {
                    let v = sd * r.normal();
                    let b = ((v + 8.0) / 0.25).floor();
                    if (0.0..64.0).contains(&b) {
                        h[b as usize] += 1.0;
                    }
                }
                // Shares of the checkpoint's 2,000 values, as the report draws them.
                h.iter().map(|c| c / 2000.0).collect()
            })
            .collect()
    };
    let steps: Vec<f64> = (0..20).map(|i| i as f64 * 100.0).collect();
    let sig_edges: Vec<f64> = (0..=50).map(|i| i as f64 / 50.0).collect();
    let sig_hist = |r: &mut Rng| {
        let mut h = vec![0.0; 50];
        let mut inside = 0.0;
        for _ in 0..10_000 {
            let s = 1.0 / (1.0 + (-r.normal()).exp());
            h[((s * 50.0) as usize).min(49)] += 50.0 / 10_000.0;
            if (0.5..=0.73).contains(&s) {
                inside += 1.0 / 10_000.0;
            }
        }
        (h, inside)
    };
    let (h0, i0) = sig_hist(r);
    let (h1, i1) = sig_hist(r);
    let depth_curves: Vec<DepthCurve> = ACTS
        .iter()
        .enumerate()
        .flat_map(|(a, act)| {
            [(false, 0.03), (true, 0.005)].into_iter().map(move |(bn, drop)| {
                let pts = [2.0, 4.0, 8.0, 16.0].iter().map(|&d: &f64| {
                    let m = (0.85 - drop * d * (1.0 + a as f64 * 0.5)).max(0.1);
                    DepthPoint { depth: d, mean: m, lo: m - 0.02, hi: m + 0.02 }
                });
                DepthCurve {
                    label: format!("{act}{}", if bn { " + BN" } else { "" }),
                    color: a,
                    dashed: !bn,
                    points: pts.collect(),
                }
            })
        })
        .collect();
    let times: Vec<TimingGroup> = PLACES
        .iter()
        .enumerate()
        .map(|(p, place)| TimingGroup {
            label: format!("BN {place}"),
            values: ACTS
                .iter()
                .enumerate()
                .map(|(a, _)| {
                    let m = 0.5 + 0.05 * a as f64 + 0.1 * p as f64;
                    Estimate { mean: m, lo: m - 0.02, hi: m + 0.02 }
                })
                .collect(),
        })
        .collect();
    // Validation accuracy over learning rates 0.001…1 (log10 −3…0 in half decades): an arch peaking at a
    // rate that varies with the activation, the peak marked as the selected rate. Its own generator, so that
    // the other figures' numbers do not depend on it.
    let mut sensitivity_rng = Rng(seed ^ 0x5e45);
    let exponents: Vec<f64> = (0..=6).map(|i| -3.0 + 0.5 * i as f64).collect();
    let rates: Vec<f64> = exponents.iter().map(|e| 10f64.powf(*e)).collect();
    let mut marked = Vec::new();
    let sensitivity: Vec<PlacementCurves> = PLACES
        .iter()
        .enumerate()
        .map(|(p, place)| {
            let mut dots = Vec::new();
            let curves = ACTS
                .iter()
                .enumerate()
                .map(|(a, act)| {
                    let peak = -2.0 + 0.5 * ((a + p) % 4) as f64;
                    let mean: Vec<f64> = exponents
                        .iter()
                        .map(|x| 0.85 - 0.08 * (x - peak).powi(2) + 0.005 * sensitivity_rng.normal())
                        .collect();
                    let best = (0..mean.len()).max_by(|&i, &j| mean[i].total_cmp(&mean[j])).unwrap_or(0);
                    dots.push(MarkedPoint { label: act.to_string(), color: a, x: rates[best], y: mean[best] });
                    MeanCurve {
                        label: act.to_string(),
                        color: a,
                        dashed: false,
                        dots: false,
                        lo: mean.iter().map(|m| m - 0.01).collect(),
                        hi: mean.iter().map(|m| m + 0.01).collect(),
                        x: rates.clone(),
                        mean,
                    }
                })
                .collect();
            marked.push(dots);
            PlacementCurves { placement: place.to_string(), curves }
        })
        .collect();
    let acts: Vec<String> = ACTS.iter().map(|s| s.to_string()).collect();
    let places: Vec<String> = PLACES.iter().map(|s| s.to_string()).collect();
    let gamma = layers(0.9, r);
    let beta = layers(-0.1, r);
    // Effective rank of each of three layers of 100 units: starts near 80 and collapses with depth and
    // training, faster for `collapse` larger.
    let ranks = |collapse: f64, r: &mut Rng| -> Vec<MeanCurve> {
        (0..3)
            .map(|l| {
                let x: Vec<f64> = (0..=20).map(|i| i as f64 * 50.0).collect();
                let mean: Vec<f64> = x
                    .iter()
                    .map(|s| 80.0 - collapse * (l + 1) as f64 * (1.0 - (-s / 300.0).exp()) + 0.5 * r.normal())
                    .collect();
                MeanCurve {
                    label: format!("layer {}", l + 1),
                    color: l,
                    dashed: false,
                    dots: false,
                    lo: mean.iter().map(|m| m - 2.0).collect(),
                    hi: mean.iter().map(|m| m + 2.0).collect(),
                    x,
                    mean,
                }
            })
            .collect()
    };
    let panel = |title: &str, curves: Vec<MeanCurve>| CurvePanel { title: title.into(), curves };
    // Each curve's first step at or above the target, as a dot on the target line.
    let reached: Vec<Vec<MarkedPoint>> = panels
        .iter()
        .map(|p| {
            p.curves
                .iter()
                .filter_map(|c| {
                    let i = c.mean.iter().position(|&m| m >= 0.75)?;
                    Some(MarkedPoint { label: c.label.clone(), color: c.color, x: c.x[i], y: 0.75 })
                })
                .collect()
        })
        .collect();
    let figs = vec![
        ("learning_curves", tag(figures::learning_curves("test accuracy", &panels))),
        ("steps_to_target", tag(figures::steps_to_target(&panels, 0.75, &reached))),
        ("accuracy_heatmap", tag(figures::accuracy_heatmap(&acts, &places, &mean, &hw))),
        ("bn_paper_percentiles", tag(figures::bn_paper_percentiles(&track(1.5, r), &track(0.0, r)))),
        (
            "saturation",
            tag(figures::saturation_per_layer(&[
                panel("sigmoid, BN none", layers(0.1, r)),
                panel("sigmoid, BN before", layers(0.0, r)),
            ])),
        ),
        (
            "dead_units",
            tag(figures::dead_fraction_per_layer(&[
                panel("relu, lr 1.0, BN none", layers(0.2, r)),
                panel("relu, lr 1.0, BN before", layers(0.0, r)),
            ])),
        ),
        (
            "gradient_norms",
            tag(figures::gradient_norm_vs_depth(&[GradientPanel {
                title: "at initialisation".into(),
                curves: vec![grad(0.25, 0, "sigmoid"), grad(1.2, 2, "relu + BN")],
                theory: Some(
                    (1..=10).map(|l| TheoryPoint { layer: l as f64, grad_norm: 0.1 * 1.2f64.powi(10 - l) }).collect(),
                ),
                theory_label: String::new(),
            }])),
        ),
        (
            "histogram_over_time",
            tag(figures::histogram_over_time(
                "z",
                &[
                    HistogramTrack {
                        title: "layer 1".into(),
                        steps: steps.clone(),
                        edges: edges.clone(),
                        counts: hist_track(0.05, r),
                        beyond: (0.0, 0.0),
                    },
                    HistogramTrack {
                        title: "layer 3".into(),
                        steps,
                        edges,
                        counts: hist_track(0.2, r),
                        beyond: (0.0, 0.12),
                    },
                ],
            )),
        ),
        (
            "sigmoid_after_bn",
            tag(figures::sigmoid_after_bn(
                &[
                    DensityPanel {
                        title: "at initialisation".into(),
                        edges: sig_edges.clone(),
                        density: h0,
                        share_inside: i0,
                    },
                    DensityPanel { title: "after training".into(), edges: sig_edges, density: h1, share_inside: i1 },
                ],
                Interval { lo: 0.5, hi: 0.73 },
            )),
        ),
        (
            "accuracy_vs_depth",
            tag(figures::accuracy_vs_depth(&[AccuracyDepthPanel {
                title: "by activation".into(),
                curves: depth_curves,
            }])),
        ),
        ("time_per_step", tag(figures::time_per_step(&acts, &times, "ms per step"))),
        ("bn_params", tag(figures::bn_params_over_time(&gamma, &beta, "sigmoid, BN before"))),
        ("lr_sensitivity", tag(figures::lr_sensitivity(&sensitivity, &marked))),
        // Drawn last so that the random numbers of the figures above do not depend on it.
        (
            "effective_rank",
            tag(figures::effective_rank_per_layer(&[
                panel("relu, BN before", ranks(10.0, r)),
                panel("sigmoid, BN before", ranks(20.0, r)),
                panel("relu, BN after", ranks(5.0, r)),
                panel("sigmoid, BN after", ranks(15.0, r)),
            ])
            .with_columns(2)),
        ),
    ];
    figs.into_iter().map(|(stem, figure)| SampleFigure { stem, figure }).collect()
}
