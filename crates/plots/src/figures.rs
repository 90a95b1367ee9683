//! The report's eleven figures, each built from plain numbers. These say *what* each figure shows; the
//! panel drawers in this crate say *how*.

use crate::figure::{
    BarGroup, BarPanel, Figure, HeatAxis, HeatmapPanel, HistogramPanel, LinePanel, Panel, Series, Shade,
};

/// A mean curve over seeds with its 95% band.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MeanCurve {
    /// Legend label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// x values (e.g. steps).
    pub x: Vec<f64>,
    /// Mean at each x.
    pub mean: Vec<f64>,
    /// Lower end of the 95% interval at each x (may be NaN with one seed).
    pub lo: Vec<f64>,
    /// Upper end.
    pub hi: Vec<f64>,
}

impl MeanCurve {
    fn series(&self) -> Series {
        let band = self
            .x
            .iter()
            .zip(self.lo.iter().zip(&self.hi))
            .map(|(&x, (&l, &h))| (x, l, h))
            .filter(|b| b.1.is_finite())
            .collect();
        Series {
            label: self.label.clone(),
            color: self.color,
            points: self.x.iter().copied().zip(self.mean.iter().copied()).collect(),
            band,
            ..Default::default()
        }
    }
}

fn lines(title: &str, x: &str, y: &str, curves: &[MeanCurve]) -> LinePanel {
    LinePanel {
        title: title.into(),
        x_label: x.into(),
        y_label: y.into(),
        series: curves.iter().map(MeanCurve::series).collect(),
        ..Default::default()
    }
}

/// Figure 1 — Learning curves: one panel per BN placement, one colour per activation, mean ± 95% band.
pub fn learning_curves(metric: &str, panels: &[(String, Vec<MeanCurve>)]) -> Figure {
    let ps = panels.iter().map(|(t, c)| Panel::Lines(lines(&format!("BN {t}"), "training step", metric, c))).collect();
    Figure::new(
        format!("Learning curves: {metric} (mean over seeds, 95% band)"),
        format!("{metric} against training steps for every activation, one panel per BatchNorm placement"),
        ps,
    )
}

/// Figure 2 — Final accuracy heatmap (activation × placement), cells annotated "mean ± half-width".
pub fn accuracy_heatmap(
    activations: &[String],
    placements: &[String],
    mean: &[Vec<f64>],
    half_width: &[Vec<f64>],
) -> Figure {
    let ann = mean
        .iter()
        .zip(half_width)
        .map(|(m, h)| {
            m.iter()
                .zip(h)
                .map(|(m, h)| {
                    if !m.is_finite() {
                        "n/a".into()
                    } else if h.is_finite() {
                        format!("{m:.3} ± {h:.3}")
                    } else {
                        format!("{m:.3}")
                    }
                })
                .collect()
        })
        .collect();
    let p = HeatmapPanel {
        title: "final test accuracy".into(),
        x_label: "BatchNorm placement".into(),
        y_label: "activation".into(),
        x: HeatAxis::Categories(placements.to_vec()),
        y: HeatAxis::Categories(activations.to_vec()),
        cells: mean.to_vec(),
        log_color: false,
        value_range: None,
        annotations: Some(ann),
        colorbar_label: "test accuracy".into(),
    };
    Figure::new(
        "Final test accuracy by activation and BN placement",
        "mean test accuracy over seeds with 95% half-width, each at its own best learning rate",
        vec![Panel::Heatmap(p)],
    )
    .with_columns(1)
}

/// One of the BN paper's tracked-unit panels: (step, p15, p50, p85).
pub type PercentileTrack = Vec<(f64, f64, f64, f64)>;

/// Figure 3 — The BN paper's Figure 1(b, c): the {15, 50, 85} percentiles of one last-hidden-layer unit's input
/// over training, without and with BN.
pub fn bn_paper_percentiles(without: &PercentileTrack, with: &PercentileTrack) -> Figure {
    let panel = |title: &str, t: &PercentileTrack| {
        let pick = |k: usize| t.iter().map(|r| (r.0, [r.1, r.2, r.3][k])).collect::<Vec<_>>();
        LinePanel {
            title: title.into(),
            x_label: "training step".into(),
            y_label: "input of the sigmoid, z".into(),
            series: vec![
                Series { label: "15th percentile".into(), color: 1, points: pick(0), ..Default::default() },
                Series { label: "50th percentile".into(), color: 6, points: pick(1), ..Default::default() },
                Series { label: "85th percentile".into(), color: 4, points: pick(2), ..Default::default() },
            ],
            ..Default::default()
        }
    };
    Figure::new(
        "Input of a last-hidden-layer sigmoid over training (Ioffe & Szegedy 2015, Fig. 1b–c)",
        "15th, 50th and 85th percentiles of one unit's input on the probe set; stable with BN, drifting without",
        vec![Panel::Lines(panel("without BN", without)), Panel::Lines(panel("with BN (before φ)", with))],
    )
    .with_columns(2)
}

fn per_layer(title: &str, caption: &str, y: &str, panels: &[(String, Vec<MeanCurve>)], unit_range: bool) -> Figure {
    let ps = panels
        .iter()
        .map(|(t, c)| {
            let mut p = lines(t, "training step", y, c);
            if unit_range {
                p.y_range = Some((0.0, 1.0));
            }
            Panel::Lines(p)
        })
        .collect();
    Figure::new(title, caption, ps)
}

/// Figure 4 — Saturation rate per layer vs step (one curve per layer, one panel per setting).
pub fn saturation_per_layer(panels: &[(String, Vec<MeanCurve>)]) -> Figure {
    per_layer(
        "Saturation per layer over training",
        "share of (example, unit) pairs with φ′(z) < 0.1·max φ′, per hidden layer",
        "saturation rate",
        panels,
        true,
    )
}

/// Figure 5 — Dead-unit fraction per layer vs step, y fixed to [0, 1].
pub fn dead_fraction_per_layer(panels: &[(String, Vec<MeanCurve>)]) -> Figure {
    per_layer(
        "Dead units per layer over training",
        "share of units whose φ′ is below 0.1·max φ′ on every probe example, per hidden layer",
        "dead-unit fraction",
        panels,
        true,
    )
}

/// A gradient-by-depth panel: title, one curve per configuration, an optional theory line.
pub type DepthPanel = (String, Vec<MeanCurve>, Option<Vec<(f64, f64)>>);

/// Effective rank of each layer's activations over training (one curve per layer, one panel per setting).
pub fn effective_rank_per_layer(panels: &[(String, Vec<MeanCurve>)]) -> Figure {
    per_layer(
        "Representation diversity: effective rank per layer over training",
        "exp(entropy of the normalised singular values) of each hidden layer's activation matrix on the probe set",
        "effective rank",
        panels,
        false,
    )
}

/// Figure 6 — Gradient norm vs layer depth (log y), at init and at the end, with an optional dashed theory line.
pub fn gradient_norm_vs_depth(panels: &[DepthPanel]) -> Figure {
    let ps = panels
        .iter()
        .map(|(t, curves, theory)| {
            let mut p = lines(t, "hidden layer (1 = input side)", "‖∂L/∂W‖ (log scale)", curves);
            p.y_log = true;
            for s in &mut p.series {
                s.markers = true;
            }
            if let Some(th) = theory {
                p.series.push(Series {
                    label: "theory".into(),
                    color: 6,
                    dashed: true,
                    points: th.clone(),
                    ..Default::default()
                });
            }
            Panel::Lines(p)
        })
        .collect();
    Figure::new(
        "Gradient norm by depth",
        "Frobenius norm of each hidden layer's weight gradient on the probe set; flat means no vanishing or explosion",
        ps,
    )
}

/// One histogram-over-time panel: title, checkpoint steps, bin edges, counts\[checkpoint\]\[bin\].
pub type HistogramTrack = (String, Vec<f64>, Vec<f64>, Vec<Vec<f64>>);

/// Figure 7 — Activation histogram over time per layer: x = step, y = value bin, colour = log10 count.
pub fn histogram_over_time(what: &str, panels: &[HistogramTrack]) -> Figure {
    let ps = panels
        .iter()
        .map(|(title, steps, edges, counts)| {
            // Cells span from one checkpoint to the next; the last extends by the previous gap.
            let mut x = steps.clone();
            let last_gap = if steps.len() > 1 { steps[steps.len() - 1] - steps[steps.len() - 2] } else { 1.0 };
            x.push(steps.last().copied().unwrap_or(0.0) + last_gap);
            let cells: Vec<Vec<f64>> = (0..edges.len().saturating_sub(1))
                .map(|b| counts.iter().map(|c| c.get(b).copied().unwrap_or(0.0)).collect())
                .collect();
            Panel::Heatmap(HeatmapPanel {
                title: title.clone(),
                x_label: "training step".into(),
                y_label: what.into(),
                x: HeatAxis::Edges(x),
                y: HeatAxis::Edges(edges.clone()),
                cells,
                log_color: true,
                value_range: None,
                annotations: None,
                colorbar_label: "count".into(),
            })
        })
        .collect();
    Figure::new(
        format!("Histogram of {what} over training"),
        format!("distribution of {what} on the probe set at each checkpoint (colour: log10 count)"),
        ps,
    )
    .with_columns(2)
}

/// Figure 8 — Distribution of sigmoid(z) after BN with the claimed interval shaded and the share inside printed.
pub fn sigmoid_after_bn(panels: &[(String, Vec<f64>, Vec<f64>, f64)], claimed: (f64, f64)) -> Figure {
    let ps = panels
        .iter()
        .map(|(title, edges, density, inside)| {
            Panel::Histogram(HistogramPanel {
                title: title.clone(),
                x_label: "sigmoid(z)".into(),
                y_label: "density".into(),
                edges: edges.clone(),
                density: density.clone(),
                shade: Some(Shade {
                    lo: claimed.0,
                    hi: claimed.1,
                    label: format!("claimed [{}, {}]", claimed.0, claimed.1),
                }),
                note: Some(format!("{:.1}% inside the claimed interval", 100.0 * inside)),
                color: 3,
            })
        })
        .collect();
    Figure::new(
        "Where a sigmoid's output lies after BatchNorm",
        "histogram of sigmoid(z) with z the BN output; the shaded band is the range claimed in the thread",
        ps,
    )
    .with_columns(2)
}

/// One accuracy-vs-depth line: label, colour, (depth, mean, lo, hi).
pub type DepthCurve = (String, usize, bool, Vec<(f64, f64, f64, f64)>);

/// Figure 9 — Final accuracy vs depth per activation × placement, with 95% whiskers (dashed: no BN).
pub fn accuracy_vs_depth(panels: &[(String, Vec<DepthCurve>)]) -> Figure {
    let ps = panels
        .iter()
        .map(|(title, curves)| {
            let series = curves
                .iter()
                .map(|(label, color, dashed, pts)| Series {
                    label: label.clone(),
                    color: *color,
                    dashed: *dashed,
                    markers: true,
                    points: pts.iter().map(|p| (p.0, p.1)).collect(),
                    error_bars: pts.iter().filter(|p| p.2.is_finite()).map(|p| (p.0, p.2, p.3)).collect(),
                    ..Default::default()
                })
                .collect();
            Panel::Lines(LinePanel {
                title: title.clone(),
                x_label: "hidden layers".into(),
                y_label: "final test accuracy".into(),
                y_range: Some((0.0, 1.0)),
                series,
                ..Default::default()
            })
        })
        .collect();
    Figure::new("Trainability with depth", "final test accuracy against the number of hidden layers (95% whiskers)", ps)
}

/// A group of bars: label and (mean, low, high) per category.
pub type BarValues = (String, Vec<(f64, f64, f64)>);

/// Figure 10 — Time per training step per activation and placement (bars with 95% whiskers).
pub fn time_per_step(activations: &[String], groups: &[BarValues], unit: &str) -> Figure {
    let p = BarPanel {
        title: "time per training step".into(),
        x_label: "activation".into(),
        y_label: unit.into(),
        categories: activations.to_vec(),
        groups: groups
            .iter()
            .enumerate()
            .map(|(i, (l, v))| BarGroup { label: l.clone(), color: i, values: v.clone() })
            .collect(),
        y_log: false,
    };
    Figure::new(
        "Compute cost per activation",
        "wall time of one training step (forward, backward, update), median of repeats with 95% interval",
        vec![Panel::Bars(p)],
    )
    .with_columns(1)
}

/// Figure 11 — γ and β per layer over training (mean over units, one curve per layer).
pub fn bn_params_over_time(gamma: &[MeanCurve], beta: &[MeanCurve], setting: &str) -> Figure {
    Figure::new(
        format!("BatchNorm scale γ and shift β over training ({setting})"),
        "mean over units of each layer's γ and β; γ = 1, β = 0 at initialisation",
        vec![
            Panel::Lines(lines("γ (scale)", "training step", "mean γ", gamma)),
            Panel::Lines(lines("β (shift)", "training step", "mean β", beta)),
        ],
    )
    .with_columns(2)
}
