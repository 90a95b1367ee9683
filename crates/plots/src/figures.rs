//! The report's fourteen figures, each built from plain numbers. These say *what* each figure shows; the
//! panel drawers in this crate say *how*.

use crate::figure::{
    BarGroup, BarPanel, Figure, HeatAxis, HeatmapPanel, HistogramPanel, LinePanel, Panel, Series, Shade, XScale, YScale,
};
use crate::palette;

/// A mean curve over seeds with its 95% band.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MeanCurve {
    /// Legend label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Dashed line (e.g. one of two placements that share an activation's colour).
    pub dashed: bool,
    /// Unjoined points with 95% whiskers instead of a line with a band: values measured otherwise than a
    /// line beside them (e.g. on the whole probe set, where the line's points are training batches).
    pub dots: bool,
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
        let band: Vec<(f64, f64, f64)> = self
            .x
            .iter()
            .zip(self.lo.iter().zip(&self.hi))
            .map(|(&x, (&l, &h))| (x, l, h))
            .filter(|b| b.1.is_finite())
            .collect();
        if self.dots {
            return Series {
                label: self.label.clone(),
                color: self.color,
                markers: true,
                no_line: true,
                points: self.x.iter().copied().zip(self.mean.iter().copied()).collect(),
                error_bars: band,
                ..Default::default()
            };
        }
        Series {
            label: self.label.clone(),
            color: self.color,
            dashed: self.dashed,
            // Two or three points joined by lines read as a trajectory measured in between: mark them (also a
            // one-seed curve, which has no band). Not a reference line (a threshold across a panel): end
            // markers make a reference read as data.
            markers: self.x.len() <= 3 && self.color != palette::REFERENCE,
            points: self.x.iter().copied().zip(self.mean.iter().copied()).collect(),
            band,
            ..Default::default()
        }
    }
}

/// One panel of mean curves: a title and the curves drawn on it.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CurvePanel {
    /// Panel title (the setting the curves belong to, e.g. "sigmoid, BN before").
    pub title: String,
    /// The curves, in legend order.
    pub curves: Vec<MeanCurve>,
}

/// The learning curves of one BatchNorm placement (one panel of [`learning_curves`]).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PlacementCurves {
    /// The placement's name ("none", "before", "after"); the panel is titled "BN {placement}".
    pub placement: String,
    /// One curve per activation, in legend order.
    pub curves: Vec<MeanCurve>,
}

/// The {15, 50, 85}th percentiles of one tracked unit's input z at one checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct PercentilePoint {
    /// Training step of the checkpoint.
    pub step: f64,
    /// 15th percentile of z over the probe set.
    pub p15: f64,
    /// Median of z over the probe set.
    pub p50: f64,
    /// 85th percentile of z over the probe set.
    pub p85: f64,
}

/// A point of the theory line on the gradient-by-depth figure.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct TheoryPoint {
    /// Hidden layer, 1 = the input side.
    pub layer: f64,
    /// Predicted Frobenius norm of that layer's weight gradient.
    pub grad_norm: f64,
}

/// One panel of [`gradient_norm_vs_depth`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GradientPanel {
    /// Panel title (e.g. "at initialisation, 16 hidden layers").
    pub title: String,
    /// One curve per configuration: x = hidden layer (1 = input side), y = ‖∂L/∂W‖ (mean over seeds).
    pub curves: Vec<MeanCurve>,
    /// A predicted gradient norm per layer, drawn as a thin dotted grey line.
    pub theory: Option<Vec<TheoryPoint>>,
    /// The theory line's legend label: where it comes from ("theory" when empty).
    pub theory_label: String,
}

/// One histogram-over-time panel of [`histogram_over_time`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct HistogramTrack {
    /// Panel title (e.g. "sigmoid, BN none, layer 1").
    pub title: String,
    /// Training step of each checkpoint, ascending.
    pub steps: Vec<f64>,
    /// Bin edges of the histogram (bins + 1 values, ascending), in the units of the histogrammed value.
    pub edges: Vec<f64>,
    /// `counts[checkpoint][bin]`: the share of the checkpoint's probe values that fell in each bin (a
    /// share, not a count, so checkpoints measured on samples of different sizes compare).
    pub counts: Vec<Vec<f64>>,
    /// The largest share of a checkpoint's values below the first edge and above the last, which no bin
    /// shows: the panel's title says them where they are not 0.
    pub beyond: (f64, f64),
}

/// A largest share for a title: "≤48%" in whole percents from 1% on, one decimal below, "<0.1%" for less.
fn share_words(p: f64) -> String {
    if p >= 0.01 {
        format!("≤{:.0}%", 100.0 * p)
    } else if p >= 0.001 {
        format!("≤{:.1}%", 100.0 * p)
    } else {
        "<0.1%".into()
    }
}

/// A track's title with what lies beyond its axis, short enough to keep the title's size: "layer 3 · off
/// the axis: ≤48% above" (the caption says the shares are the largest of a checkpoint's values).
fn title_with_beyond(t: &HistogramTrack) -> String {
    let mut parts = Vec::new();
    if t.beyond.0 > 0.0 {
        parts.push(format!("{} below", share_words(t.beyond.0)));
    }
    if t.beyond.1 > 0.0 {
        parts.push(format!("{} above", share_words(t.beyond.1)));
    }
    if parts.is_empty() { t.title.clone() } else { format!("{} · off the axis: {}", t.title, parts.join(", ")) }
}

/// A closed interval \[lo, hi\] of values.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Interval {
    /// Left end.
    pub lo: f64,
    /// Right end.
    pub hi: f64,
}

/// One density histogram of [`sigmoid_after_bn`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DensityPanel {
    /// Panel title (e.g. "at initialisation").
    pub title: String,
    /// Bin edges of sigmoid(z) (`density.len() + 1` values in \[0, 1\]).
    pub edges: Vec<f64>,
    /// Probability density of each bin (integrates to 1 over the edges).
    pub density: Vec<f64>,
    /// Share (0 to 1) of values inside the claimed interval, printed as a percentage.
    pub share_inside: f64,
}

/// Final test accuracy at one depth: the mean over seeds and its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DepthPoint {
    /// Number of hidden layers.
    pub depth: f64,
    /// Mean final test accuracy (0 to 1).
    pub mean: f64,
    /// Lower end of the 95% interval (NaN with one seed: no whisker).
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
}

/// One accuracy-vs-depth line.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DepthCurve {
    /// Legend label.
    pub label: String,
    /// Palette index.
    pub color: usize,
    /// Dashed line (e.g. the configuration without BN).
    pub dashed: bool,
    /// One point per depth, ascending.
    pub points: Vec<DepthPoint>,
}

/// One panel of [`accuracy_vs_depth`].
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AccuracyDepthPanel {
    /// Panel title (e.g. "BN before").
    pub title: String,
    /// The lines, in legend order.
    pub curves: Vec<DepthCurve>,
}

/// A central value with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Estimate {
    /// The central value (mean or median); NaN: nothing measured, no bar.
    pub mean: f64,
    /// Lower end of the 95% interval.
    pub lo: f64,
    /// Upper end of the 95% interval.
    pub hi: f64,
}

/// One group of bars of [`time_per_step`]: a setting (e.g. a BN placement) with one time per activation.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct TimingGroup {
    /// Legend label (e.g. "BN before").
    pub label: String,
    /// Time per step for each activation, in the order of the figure's categories, in the figure's unit.
    pub values: Vec<Estimate>,
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

/// [`lines`] of a share (an accuracy, a saturation or dead fraction), whose 95% bands and whiskers are
/// clipped to [0, 1]: a t-interval over few seeds can reach past what a share can be (a dead fraction's
/// reached 1.33).
fn share_lines(title: &str, x: &str, y: &str, curves: &[MeanCurve]) -> LinePanel {
    bounded_lines(title, x, y, curves, (0.0, 1.0))
}

/// [`lines`] of a quantity that lies within `bounds`, its 95% bands and whiskers clipped to them.
fn bounded_lines(title: &str, x: &str, y: &str, curves: &[MeanCurve], (lo, hi): (f64, f64)) -> LinePanel {
    let mut p = lines(title, x, y, curves);
    for band in p.series.iter_mut().flat_map(|s| s.band.iter_mut().chain(s.error_bars.iter_mut())) {
        (band.1, band.2) = (band.1.max(lo), band.2.min(hi));
    }
    p
}

/// Figure 1 — Learning curves: one panel per BN placement, one colour per activation, mean ± 95% band.
pub fn learning_curves(metric: &str, panels: &[PlacementCurves]) -> Figure {
    let ps = panels
        .iter()
        .map(|p| Panel::Lines(share_lines(&format!("BN {}", p.placement), "training step", metric, &p.curves)))
        .collect();
    Figure::new(
        format!("Learning curves: {metric} (mean over seeds, 95% band)"),
        format!(
            "{metric} against training steps for every activation, one panel per BatchNorm placement (one y-axis for all)"
        ),
        share_y(ps),
    )
}

/// The legend label of [`steps_to_target`]'s dots; each dot's series is named "{REACHED}, {its label}".
pub const REACHED: &str = "median step reaching it";

/// Steps to a target: validation-accuracy learning curves, one panel per BN placement, with a dashed line
/// at `target` across each panel's steps (where they span more than one step), and on it a dot per curve
/// at the step its runs reached the target (`reached[i]` belongs to panel `i`; e.g. the median over seeds),
/// named "median step reaching it, {label}" in the CSV and explained by one legend entry. A run "reaches"
/// the target at the first evaluation at or above the line, so the figure shows what a steps-to-target
/// comparison (the report's C6) reads.
pub fn steps_to_target(panels: &[PlacementCurves], target: f64, reached: &[Vec<MarkedPoint>]) -> Figure {
    let ps = panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut panel =
                share_lines(&format!("BN {}", p.placement), "training step", "validation accuracy", &p.curves);
            let steps = p.curves.iter().flat_map(|c| c.x.iter().copied()).filter(|x| x.is_finite());
            let (lo, hi) = steps.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
            if lo < hi {
                panel.series.push(Series {
                    label: format!("target {target}"),
                    color: palette::REFERENCE,
                    dashed: true,
                    points: vec![(lo, target), (hi, target)],
                    ..Default::default()
                });
            }
            push_marked(&mut panel, reached.get(i).map_or(&[][..], Vec::as_slice), REACHED);
            Panel::Lines(panel)
        })
        .collect();
    // Where no curve reached the target there is no dot to look for: say so (a 26-class set reached none).
    let none = reached.iter().all(Vec::is_empty);
    Figure::new(
        format!("Steps to {target} validation accuracy (mean over seeds, 95% band; dot: median step reaching it)"),
        format!(
            "validation accuracy against training steps for every activation, one panel per BatchNorm placement (one y-axis for all); dashed: the target {target}, reached at the first evaluation on or above it; a dot on it marks the step at which a curve's runs reached it (dots on one step are drawn as rings around each other, one per curve){}",
            if none { format!("; no curve's runs reached {target}, so there is no dot") } else { String::new() }
        ),
        share_y(ps),
    )
}

/// A point to mark on a curve (e.g. the learning rate a configuration selected).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MarkedPoint {
    /// The label of the curve it belongs to (e.g. the activation): names the point in the CSV.
    pub label: String,
    /// Palette index: the colour of the curve it belongs to.
    pub color: usize,
    /// x (same units as the curve's).
    pub x: f64,
    /// y (same units as the curve's).
    pub y: f64,
}

/// Adds `dots` to `panel`, each a one-point series in its curve's colour named "{what}, {its label}" (so the
/// CSV names it), and, where there are any, one legend entry saying what a dot is (a dot series with points
/// is not listed itself).
fn push_marked(panel: &mut LinePanel, dots: &[MarkedPoint], what: &str) {
    for m in dots {
        panel.series.push(Series {
            label: format!("{what}, {}", m.label),
            color: m.color,
            markers: true,
            no_line: true,
            points: vec![(m.x, m.y)],
            ..Default::default()
        });
    }
    if !dots.is_empty() {
        panel.series.push(Series {
            label: what.into(),
            color: palette::REFERENCE,
            markers: true,
            no_line: true,
            ..Default::default()
        });
    }
}

/// The legend label of [`lr_sensitivity`]'s dots; each dot's series is named "selected rate, {its label}".
pub const SELECTED_RATE: &str = "selected rate";

/// Learning-rate sensitivity: validation accuracy against the learning rate on a log axis, one panel per BN placement, one curve per activation (mean ± 95% band over seeds),
/// each configuration's selected rate marked with a dot (`marked[i]` belongs to panel `i`), named
/// "selected rate, {label}" in the CSV and explained by one legend entry.
pub fn lr_sensitivity(panels: &[PlacementCurves], marked: &[Vec<MarkedPoint>]) -> Figure {
    let ps = panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut panel = share_lines(
                &format!("BN {}", p.placement),
                "learning rate (log scale)",
                "validation accuracy",
                &p.curves,
            );
            panel.x_scale = XScale::Log { base: 10 };
            // The dots are the selected rates only: markers on a short curve's points (two or three rates
            // tried) had looked like them, so that no dot told which rate was chosen.
            for s in &mut panel.series {
                s.markers = false;
            }
            push_marked(&mut panel, marked.get(i).map_or(&[][..], Vec::as_slice), SELECTED_RATE);
            Panel::Lines(panel)
        })
        .collect();
    Figure::new(
        "Learning-rate sensitivity (validation accuracy, mean over seeds, 95% band; dot: selected rate)".to_string(),
        "validation accuracy against the learning rate (log axis) for every activation, one panel per BatchNorm placement (one x- and one y-axis for all); a flat top means easy to tune".to_string(),
        share_x(share_y(ps)),
    )
}

/// Line panels with one y-range, fitted to all of them (their points, bands and whiskers, padded by 5%, or
/// by a factor of 1.5 over the positive values where every line panel's y-axis is logarithmic): panels of
/// placements side by side compare at a glance only on one axis (each fitted to its own data, a flat curve
/// looked as steep as a steep one). Other panels are left as they are; without a finite value, so are the
/// line panels.
pub fn share_y(mut panels: Vec<Panel>) -> Vec<Panel> {
    let mut lines = panels.iter().filter_map(|p| if let Panel::Lines(l) = p { Some(l) } else { None });
    let log = lines.all(|l| l.y_scale == YScale::Log);
    let ys = panels.iter().flat_map(|p| match p {
        Panel::Lines(l) => l
            .series
            .iter()
            .flat_map(|s| {
                let whiskers = s.band.iter().chain(&s.error_bars).flat_map(|b| [b.1, b.2]);
                s.points.iter().map(|q| q.1).chain(whiskers)
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    });
    if let Some(range) = crate::primitives::padded_range(ys, log) {
        for p in &mut panels {
            if let Panel::Lines(l) = p {
                l.y_range = Some(range);
            }
        }
    }
    panels
}

/// Line panels with one x-span ([`LinePanel::x_span`]): the lowest and highest x of all their drawable
/// points, so that they share one x-axis. Panels of placements side by side whose learning-rate grids were
/// extended differently (one to 0.001, another only to 0.01) had each its own axis, and the same rate sat
/// at different places. Other panels are left as they are; without a drawable point, so are the line panels.
pub fn share_x(mut panels: Vec<Panel>) -> Vec<Panel> {
    let xs: Vec<f64> = panels
        .iter()
        .flat_map(|p| match p {
            Panel::Lines(l) => l.series.iter().flat_map(|s| l.extent(s)).map(|q| q.0).collect(),
            _ => Vec::new(),
        })
        .collect();
    let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo <= hi {
        for p in &mut panels {
            if let Panel::Lines(l) = p {
                l.x_span = Some((lo, hi));
            }
        }
    }
    panels
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
        half_widths: Some(half_width.to_vec()),
        interval_bounds: Some((0.0, 1.0)),
        colorbar_label: "test accuracy".into(),
    };
    Figure::new(
        "Final test accuracy by activation and BN placement",
        "mean test accuracy over seeds with 95% half-width, each at its own best learning rate",
        vec![Panel::Heatmap(p)],
    )
    .with_columns(1)
}

/// Figure 3 — The BN paper's Figure 1(b, c): the {15, 50, 85} percentiles of one last-hidden-layer unit's input
/// over training, without and with BN. Where only one side has points, only its panel is drawn (an empty
/// "no data" panel beside it said nothing); with neither, both panels say "no data".
pub fn bn_paper_percentiles(without: &[PercentilePoint], with: &[PercentilePoint]) -> Figure {
    // Ordered quantities: shades of the sequential ramp, not the activations' colours.
    let shade = |k: usize| palette::sequence(k, 3);
    let panel = |title: &str, t: &[PercentilePoint]| {
        let pick = |f: fn(&PercentilePoint) -> f64| t.iter().map(|r| (r.step, f(r))).collect::<Vec<_>>();
        LinePanel {
            title: title.into(),
            x_label: "training step".into(),
            y_label: "input of the sigmoid, z".into(),
            series: vec![
                Series {
                    label: "15th percentile".into(),
                    color: shade(0),
                    points: pick(|r| r.p15),
                    ..Default::default()
                },
                Series {
                    label: "50th percentile".into(),
                    color: shade(1),
                    points: pick(|r| r.p50),
                    ..Default::default()
                },
                Series {
                    label: "85th percentile".into(),
                    color: shade(2),
                    points: pick(|r| r.p85),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    };
    let sides = [("without BN", without), ("with BN (before φ)", with)];
    let one_side = without.is_empty() != with.is_empty();
    let panels: Vec<Panel> = sides
        .iter()
        .filter(|(_, t)| !one_side || !t.is_empty())
        .map(|(title, t)| Panel::Lines(panel(title, t)))
        .collect();
    let columns = panels.len();
    Figure::new(
        "Input of a last-hidden-layer sigmoid over training (Ioffe & Szegedy 2015, Fig. 1b–c)",
        format!(
            "15th, 50th and 85th percentiles of one unit's input on each checkpoint's sample (by default the probe set at the first and last checkpoint, the training batch in between); stable with BN, drifting without{}",
            if one_side { "" } else { " (one y-axis for both)" }
        ),
        share_y(panels),
    )
    .with_columns(columns)
}

/// What a per-layer figure draws: a share (0 to 1) or a quantity of at least 1 (an effective rank).
#[derive(Clone, Copy, PartialEq)]
enum PerLayer {
    Share,
    AtLeastOne,
}

fn per_layer(title: &str, caption: &str, y: &str, panels: &[CurvePanel], kind: PerLayer) -> Figure {
    let unit_range = kind == PerLayer::Share;
    // The axis says its scale, as the log axes do (the square root had been in the caption only).
    let y = if unit_range { format!("{y} (square-root scale)") } else { y.to_string() };
    let y = y.as_str();
    let ps = panels
        .iter()
        .map(|cp| {
            // Shares on a square-root axis, so that rates of a few percent are told apart on an axis that
            // still reaches 1; a little past 0 and 1, so a curve at either end is not drawn on the axis line.
            let p = match kind {
                PerLayer::Share => LinePanel {
                    y_range: Some((-0.001, 1.03)),
                    y_scale: YScale::Sqrt,
                    ..share_lines(&cp.title, "training step", y, &cp.curves)
                },
                PerLayer::AtLeastOne => bounded_lines(&cp.title, "training step", y, &cp.curves, (1.0, f64::INFINITY)),
            };
            Panel::Lines(p)
        })
        .collect();
    // Panels of one quantity compare only on one axis (shares have theirs fixed to [0, 1] already).
    let caption = if unit_range {
        format!("{caption}; square-root y-axis, so that small shares are told apart")
    } else {
        caption.into()
    };
    Figure::new(title, caption, if unit_range { ps } else { share_y(ps) })
}

/// Figure 4 — Saturation rate per layer vs step (one curve per layer, one panel per setting).
pub fn saturation_per_layer(panels: &[CurvePanel]) -> Figure {
    per_layer(
        "Saturation per layer over training",
        "share of (example, unit) pairs with φ′(z) < 0.1·max φ′ on each checkpoint's sample (by default the probe set at the first and last checkpoint, the training batch in between), per hidden layer",
        "saturation rate",
        panels,
        PerLayer::Share,
    )
}

/// Figure 5 — Dead-unit fraction per layer vs step, y fixed to [0, 1].
pub fn dead_fraction_per_layer(panels: &[CurvePanel]) -> Figure {
    per_layer(
        "Dead units per layer over training",
        "share of units whose φ′ is below 0.1·max φ′ on every example of the checkpoint's sample (by default the probe set at the first and last checkpoint, the training batch in between), per hidden layer; a batch has fewer examples than the probe set, so a unit is more easily below the threshold on all of them: between the first and last checkpoint the curves can run higher than the last checkpoint's points without any change in the network",
        "dead-unit fraction",
        panels,
        PerLayer::Share,
    )
}

/// Effective rank of each layer's activations over training (one curve per layer, one panel per setting).
/// An effective rank is at least 1, so the 95% bands are clipped there (over two seeds a t-interval had
/// reached −18 and taken the axis with it).
pub fn effective_rank_per_layer(panels: &[CurvePanel]) -> Figure {
    per_layer(
        "Representation diversity: effective rank per layer over training",
        "exp(entropy of the normalised singular values) of each hidden layer's activation matrix on the probe set; 95% bands clipped at 1, the least an effective rank can be",
        "effective rank",
        panels,
        PerLayer::AtLeastOne,
    )
}

/// Figure 6 — Gradient norm vs layer depth (log y), at init and at the end, with an optional dotted theory line.
pub fn gradient_norm_vs_depth(panels: &[GradientPanel]) -> Figure {
    let ps = panels
        .iter()
        .map(|gp| {
            let mut p = lines(&gp.title, "hidden layer (1 = input side)", "‖∂L/∂W‖ (log scale)", &gp.curves);
            p.y_scale = YScale::Log;
            for s in &mut p.series {
                s.markers = true;
            }
            if let Some(th) = &gp.theory {
                p.series.push(Series {
                    label: if gp.theory_label.is_empty() { "theory".into() } else { gp.theory_label.clone() },
                    color: palette::REFERENCE,
                    // Thin and dotted: the data curves may be dashed (a second placement).
                    dotted: true,
                    points: th.iter().map(|t| (t.layer, t.grad_norm)).collect(),
                    ..Default::default()
                });
            }
            Panel::Lines(p)
        })
        .collect();
    Figure::new(
        "Gradient norm by depth",
        "Frobenius norm of each hidden layer's weight gradient on the probe set (one y-axis for all panels); a norm grows with the square root of the matrix's entry count at equal gradients per entry, so layer 1, with one column per input feature where the others have one per unit of the layer below, lies higher by √(inputs/width) without any explosion: from layer 2 on, flat means no vanishing or explosion",
        share_y(ps),
    )
}

/// Figure 7 — Activation histogram over time per layer: x = step, y = value bin, colour = log10 share of the
/// checkpoint's values.
pub fn histogram_over_time(what: &str, panels: &[HistogramTrack]) -> Figure {
    // One colour scale for all panels (each had its own floor), from the smallest non-zero share to the
    // largest; empty bins are drawn white.
    let shares = panels.iter().flat_map(|t| t.counts.iter().flatten().copied()).filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = shares.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let range = (lo < hi).then_some((lo, hi));
    let ps = panels
        .iter()
        .map(|t| {
            // Each column is centred on its checkpoint (HeatAxis::Points): the columns had started at their
            // checkpoints, so the last one ran past the end of training.
            let cells: Vec<Vec<f64>> = (0..t.edges.len().saturating_sub(1))
                .map(|b| t.counts.iter().map(|c| c.get(b).copied().unwrap_or(0.0)).collect())
                .collect();
            Panel::Heatmap(HeatmapPanel {
                title: title_with_beyond(t),
                x_label: "training step".into(),
                y_label: what.into(),
                x: HeatAxis::Points(t.steps.clone()),
                y: HeatAxis::Edges(t.edges.clone()),
                cells,
                log_color: true,
                value_range: range,
                annotations: None,
                half_widths: None,
                interval_bounds: None,
                colorbar_label: "share of values".into(),
            })
        })
        .collect();
    Figure::new(
        format!("Histogram of {what} over training"),
        format!("distribution of {what} on each checkpoint's sample (by default the probe set at the first and last checkpoint, the training batch in between; colour: log10 share of that checkpoint's values, one scale for all panels, white: no values; each column centred on its checkpoint; a panel's title gives the largest share of a checkpoint's values below and above its axis, where there are any)"),
        ps,
    )
    .with_columns(2)
}

/// Figure 8 — Distribution of sigmoid(z) after BN with the claimed interval shaded and the share inside printed.
pub fn sigmoid_after_bn(panels: &[DensityPanel], claimed: Interval) -> Figure {
    let ps = panels
        .iter()
        .map(|d| {
            Panel::Histogram(HistogramPanel {
                title: d.title.clone(),
                x_label: "sigmoid(z)".into(),
                y_label: "density".into(),
                edges: d.edges.clone(),
                density: d.density.clone(),
                shade: Some(Shade {
                    lo: claimed.lo,
                    hi: claimed.hi,
                    label: format!("claimed range [{}, {}]", claimed.lo, claimed.hi),
                }),
                note: Some(format!("{:.1}% inside the claimed interval", 100.0 * d.share_inside)),
                color: 3,
            })
        })
        .collect();
    Figure::new(
        "Where a sigmoid's output lies after BatchNorm",
        "histogram of sigmoid(z) with z the BN output; the shaded band is the range often claimed for it (sigmoid(0) to sigmoid(1): BN's output would lie between 0 and 1, where sigmoid is nearly linear), which the report's claim C7 tests",
        ps,
    )
    .with_columns(2)
}

/// Figure 9 — Final accuracy vs depth per activation × placement, with 95% whiskers (dashed: no BN).
pub fn accuracy_vs_depth(panels: &[AccuracyDepthPanel]) -> Figure {
    let ps = panels
        .iter()
        .map(|panel| {
            let series = panel
                .curves
                .iter()
                .map(|c| Series {
                    label: c.label.clone(),
                    color: c.color,
                    dashed: c.dashed,
                    markers: true,
                    points: c.points.iter().map(|p| (p.depth, p.mean)).collect(),
                    // An accuracy's whiskers are clipped to [0, 1], as every share's band is.
                    error_bars: c
                        .points
                        .iter()
                        .filter(|p| p.lo.is_finite())
                        .map(|p| (p.depth, p.lo.max(0.0), p.hi.min(1.0)))
                        .collect(),
                    ..Default::default()
                })
                .collect();
            Panel::Lines(LinePanel {
                title: panel.title.clone(),
                x_label: "hidden layers (log scale)".into(),
                y_label: "final test accuracy".into(),
                y_range: Some((0.0, 1.0)),
                // Depths double (2, 4, 8, 16): on a linear axis the shallow ones crowded the left edge.
                x_scale: XScale::Log { base: 2 },
                // Every curve has whiskers at the same depths: side by side, each colour's can be told apart.
                dodge: true,
                series,
                ..Default::default()
            })
        })
        .collect();
    Figure::new(
        "Trainability with depth",
        "final test accuracy against the number of hidden layers (log axis: depths double), 95% whiskers; the curves are drawn side by side, a few pixels apart, at each depth",
        ps,
    )
}

/// Figure 10 — Time per training step per activation and placement (bars with 95% whiskers); `unit` labels
/// the y-axis (e.g. "ms per training step").
pub fn time_per_step(activations: &[String], groups: &[TimingGroup], unit: &str) -> Figure {
    let p = BarPanel {
        title: "time per training step".into(),
        x_label: "activation".into(),
        y_label: unit.into(),
        categories: activations.to_vec(),
        groups: groups
            .iter()
            .enumerate()
            .map(|(i, g)| BarGroup {
                label: g.label.clone(),
                // The groups are settings (BN placements), not activations: shades, not categories.
                color: palette::sequence(i, groups.len()),
                values: g.values.iter().map(|e| (e.mean, e.lo, e.hi)).collect(),
            })
            .collect(),
        y_log: false,
    };
    Figure::new(
        "Compute cost per activation",
        "wall time of one training step (forward, backward, update), mean of repeats with 95% interval",
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
