//! What makes a figure read clearly: reference lines look unlike data and lie beneath it, bars keep one
//! colour inside a shaded interval, legends pack by width, marked points are named, and panels that
//! compare share one axis.

use actscope_plots::figures::{
    CurvePanel, GradientPanel, MarkedPoint, MeanCurve, PlacementCurves, SELECTED_RATE, TheoryPoint,
    gradient_norm_vs_depth, lr_sensitivity, saturation_per_layer, share_x, share_y,
};
use actscope_plots::palette::REFERENCE;
use actscope_plots::{Figure, HistogramPanel, LinePanel, Panel, Series, Shade, XScale, svg_string};

fn curve(label: &str, color: usize, x: Vec<f64>, mean: Vec<f64>, half: f64) -> MeanCurve {
    MeanCurve {
        label: label.into(),
        color,
        lo: mean.iter().map(|m| m - half).collect(),
        hi: mean.iter().map(|m| m + half).collect(),
        x,
        mean,
        ..Default::default()
    }
}

/// A two-point threshold across a panel had end markers (as a sparse data curve has), which made it read as
/// data. A sparse data curve keeps them, with a band or without (one seed).
#[test]
fn reference_curves_have_no_markers() {
    let threshold = curve("threshold 0.5", REFERENCE, vec![0.0, 100.0], vec![0.5, 0.5], f64::NAN);
    let bandless = curve("one seed", 1, vec![0.0, 100.0], vec![0.2, 0.3], f64::NAN);
    let sparse = curve("layer 1", 0, vec![0.0, 100.0], vec![0.2, 0.4], 0.05);
    let fig =
        saturation_per_layer(&[CurvePanel { title: "sigmoid".into(), curves: vec![sparse, threshold, bandless] }]);
    let Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    let markers: Vec<bool> = l.series.iter().map(|s| s.markers).collect();
    assert_eq!(markers, [true, false, true], "sparse data curves are marked, the reference is not");
    // The axis names its scale, as log axes do (the square root was said in the caption only).
    assert_eq!(l.y_label, "saturation rate (square-root scale)");
}

/// Reference lines are drawn beneath the data (a target line was drawn over the curves it marks).
#[test]
fn reference_lines_are_drawn_beneath_the_data() {
    let data = Series { label: "relu".into(), color: 0, points: vec![(0.0, 0.1), (10.0, 0.9)], ..Default::default() };
    let target = Series {
        label: "target".into(),
        color: REFERENCE,
        dashed: true,
        points: vec![(0.0, 0.5), (10.0, 0.5)],
        ..Default::default()
    };
    let panel = LinePanel { title: "p".into(), series: vec![data, target], ..Default::default() };
    let svg = svg_string(&Figure::new("t", "c", vec![Panel::Lines(panel)])).unwrap();
    let grey = svg.find("stroke=\"#777777\"").expect("the target is drawn");
    let orange = svg.find("stroke=\"#E69F00\"").expect("the curve is drawn");
    assert!(grey < orange, "the target is drawn first, beneath the curve");
}

/// The theory line of the gradient figure is thin and dotted: dashed, it sat on a dashed data curve.
#[test]
fn the_theory_line_is_dotted_unlike_dashed_data() {
    let mut placed = curve("relu, BN after", 2, vec![1.0, 2.0, 3.0], vec![0.1, 0.2, 0.3], 0.01);
    placed.dashed = true;
    let fig = gradient_norm_vs_depth(&[GradientPanel {
        title: "at initialisation".into(),
        curves: vec![placed],
        theory: Some((1..=3).map(|l| TheoryPoint { layer: l as f64, grad_norm: 0.1 * l as f64 }).collect()),
        theory_label: String::new(),
    }]);
    let Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    let theory = l.series.iter().find(|s| s.label == "theory").unwrap();
    assert!(theory.dotted && !theory.dashed && !theory.markers, "{theory:?}");
    let svg = svg_string(&fig).unwrap();
    // The legend's swatch draws one such stroke; the theory line itself must draw more.
    let thin = svg.matches("stroke=\"#777777\" stroke-width=\"2\"").count();
    assert!(thin >= 2, "thinner than the data's 3 px: {thin} thin grey strokes, the legend's swatch alone is 1");
}

/// The gradient figure's panels share one log y-axis (after training, norms of 0.19 had filled half a panel
/// of their own scale beside norms of 0.03 to 0.07), and an axis within a decade is labelled between its
/// powers: a user's two-layer net had one tick label on one panel and none on the other.
#[test]
fn gradient_panels_share_a_labelled_log_axis() {
    let panel = |title: &str, norms: Vec<f64>| GradientPanel {
        title: title.into(),
        curves: vec![curve("relu, BN none", 2, vec![1.0, 2.0], norms, 0.0)],
        theory: None,
        theory_label: String::new(),
    };
    let fig = gradient_norm_vs_depth(&[panel("init", vec![0.028, 0.067]), panel("trained", vec![0.1885, 0.1896])]);
    let ranges: Vec<_> = fig.panels.iter().map(|p| if let Panel::Lines(l) = p { l.y_range } else { None }).collect();
    assert!(ranges[0].is_some() && ranges[0] == ranges[1], "one y-axis: {ranges:?}");
    let (lo, hi) = ranges[0].unwrap();
    assert!(lo > 0.0 && lo <= 0.028 && hi >= 0.1896, "fitted to both, positive on a log axis: {lo}..{hi}");
    let svg = svg_string(&fig).unwrap();
    let labelled = |t: &str| svg.matches(&format!(">\n{t}\n</text>")).count();
    assert_eq!((labelled("0.02"), labelled("0.05"), labelled("0.1"), labelled("0.2")), (2, 2, 2, 2), "both panels");
}

/// A histogram's bars are opaque, with the shade beneath them: at 75% opacity they let the gridlines
/// through and looked darker inside the shade.
#[test]
fn histogram_bars_are_opaque_over_the_shade() {
    let h = HistogramPanel {
        title: "h".into(),
        x_label: "sigmoid(z)".into(),
        y_label: "density".into(),
        edges: vec![0.0, 0.25, 0.5, 0.75, 1.0],
        density: vec![0.5, 1.5, 1.5, 0.5],
        shade: Some(Shade { lo: 0.3, hi: 0.7, label: "claimed".into() }),
        note: Some("50% inside".into()),
        color: 3,
    };
    let svg = svg_string(&Figure::new("t", "c", vec![Panel::Histogram(h)])).unwrap();
    let bars: Vec<&str> = svg.split('<').filter(|e| e.starts_with("rect") && e.contains("fill=\"#0072B2\"")).collect();
    assert_eq!(bars.len(), 4, "{bars:?}");
    assert!(bars.iter().all(|b| b.contains("opacity=\"1\"")), "{bars:?}");
    let shade = svg.find("fill=\"#787878\"").expect("the shade is drawn");
    assert!(shade < svg.find("fill=\"#0072B2\"").unwrap(), "the shade first, beneath the bars");
}

/// Legend entries pack by their width: six short labels take one row (a grid of five columns had put the
/// sixth on a second row, and each entry under a particular panel).
#[test]
fn short_legend_entries_share_one_row() {
    let line = |label: &str, color: usize| Series {
        label: label.into(),
        color,
        points: vec![(0.0, 0.0), (1.0, 1.0)],
        ..Default::default()
    };
    let fig = |labels: &[&str]| {
        let series = labels.iter().enumerate().map(|(i, l)| line(l, i)).collect();
        Figure::new("t", "c", vec![Panel::Lines(LinePanel { title: "p".into(), series, ..Default::default() })])
    };
    let one = fig(&["relu"]);
    let six = fig(&["sigmoid", "tanh", "relu", "gelu", "silu", "elu"]);
    assert_eq!(six.height(), one.height(), "one row of legend for both");
    let many: Vec<String> = (0..12).map(|i| format!("a long legend label number {i}")).collect();
    let many = fig(&many.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(many.height() > one.height(), "long labels wrap to more rows");
}

/// The learning-rate figure's dots are named in the CSV ("selected rate, relu"), one legend entry says what
/// a dot is, and the log axis reads in learning-rate units, as does the CSV (it held log10 of the rates).
#[test]
fn selected_rate_dots_are_named() {
    let c = |label: &str, color: usize| curve(label, color, vec![0.001, 0.01, 0.1], vec![0.5, 0.8, 0.6], 0.01);
    let panels = vec![
        PlacementCurves { placement: "none".into(), curves: vec![c("sigmoid", 0), c("relu", 2)] },
        PlacementCurves { placement: "before".into(), curves: vec![c("sigmoid", 0), c("relu", 2)] },
    ];
    let dot = |label: &str, color: usize| MarkedPoint { label: label.into(), color, x: 0.01, y: 0.8 };
    let marked = vec![vec![dot("sigmoid", 0), dot("relu", 2)], vec![dot("sigmoid", 0), dot("relu", 2)]];
    let fig = lr_sensitivity(&panels, &marked);
    let csv = fig.to_csv().unwrap();
    assert!(csv.contains("BN none,\"selected rate, relu\",0.01,0.8,,\n"), "{csv}");
    assert!(csv.contains("BN before,\"selected rate, sigmoid\",0.01,0.8,,\n"), "{csv}");
    for p in &fig.panels {
        let Panel::Lines(l) = p else { panic!("line panels") };
        assert_eq!(l.x_scale, XScale::Log { base: 10 }, "a log axis in learning-rate units");
        assert!(
            l.series.iter().all(|s| s.markers == s.no_line),
            "only the selected rates are dots, even on short curves"
        );
        let dots: Vec<&Series> = l.series.iter().filter(|s| s.no_line && !s.points.is_empty()).collect();
        assert_eq!(dots.len(), 2);
        assert!(dots.iter().all(|s| s.markers && s.label.starts_with("selected rate, ")));
        let key: Vec<&Series> = l.series.iter().filter(|s| s.label == SELECTED_RATE).collect();
        assert_eq!(key.len(), 1, "one legend entry per panel, listed once in the legend");
        assert!(key[0].points.is_empty() && key[0].no_line);
    }
    // The SVG writes each text on a line of its own.
    let svg = svg_string(&fig).unwrap();
    let texts: Vec<&str> = svg.lines().map(str::trim).collect();
    assert_eq!(texts.iter().filter(|t| **t == "selected rate").count(), 1, "one legend entry for the dots");
    assert!(texts.contains(&"0.01") && texts.contains(&"0.1"), "ticks in learning-rate units");
    assert!(!texts.contains(&"-2"), "no log10 ticks");
}

/// A histogram panel, which the axis-sharing helpers leave alone.
fn a_histogram() -> Panel {
    Panel::Histogram(HistogramPanel {
        title: "h".into(),
        x_label: String::new(),
        y_label: String::new(),
        edges: vec![0.0, 1.0],
        density: vec![1.0],
        shade: None,
        note: None,
        color: 0,
    })
}

/// [`share_y`] fits one y-range to all line panels it gets (points, bands and whiskers) and leaves other
/// panels alone.
#[test]
fn share_y_gives_line_panels_one_range() {
    let panel = |lo: f64, hi: f64| {
        Panel::Lines(LinePanel {
            series: vec![Series { points: vec![(0.0, lo), (1.0, hi)], ..Default::default() }],
            ..Default::default()
        })
    };
    let hist = a_histogram();
    let shared = share_y(vec![panel(-0.0014, 0.0014), panel(0.0, 0.02), hist.clone()]);
    let range = |p: &Panel| match p {
        Panel::Lines(l) => l.y_range,
        _ => None,
    };
    let pad = 0.05 * (0.02 + 0.0014);
    assert_eq!(range(&shared[0]), Some((-0.0014 - pad, 0.02 + pad)));
    assert_eq!(range(&shared[1]), range(&shared[0]));
    assert_eq!(shared[2], hist);
}

/// [`share_x`] gives line panels one x-span, the extent of all their drawable points, and the panels one
/// x-axis: a panel whose learning rates were extended to 0.001 and one tried from 0.01 had each its own, so
/// that the same rate sat at different places. Other panels are left alone; a bad span is refused.
#[test]
fn share_x_gives_line_panels_one_axis() {
    let panel = |xs: &[f64]| {
        let points = xs.iter().map(|&x| (x, 0.8)).collect();
        Panel::Lines(LinePanel {
            title: "p".into(),
            x_scale: XScale::Log { base: 10 },
            series: vec![Series { label: "s".into(), points, ..Default::default() }],
            ..Default::default()
        })
    };
    let hist = a_histogram();
    let shared = share_x(vec![panel(&[0.001, 0.01, 0.1]), panel(&[0.01, 0.1, 0.3]), hist.clone()]);
    let span = |p: &Panel| match p {
        Panel::Lines(l) => l.x_span,
        _ => None,
    };
    assert_eq!(span(&shared[0]), Some((0.001, 0.3)));
    assert_eq!(span(&shared[1]), span(&shared[0]));
    assert_eq!(shared[2], hist);
    // Drawn, the narrower panel's axis reaches 0.001 too.
    let svg = |p: &Panel| svg_string(&Figure::new("t", "c", vec![p.clone()])).unwrap();
    let tick = |svg: &str, t: &str| svg.contains(&format!(">\n{t}\n</text>"));
    assert!(!tick(&svg(&panel(&[0.01, 0.1, 0.3])), "0.001"), "alone, the axis starts near 0.01");
    assert!(tick(&svg(&shared[1]), "0.001"), "shared, it starts at 0.001");
    assert_eq!(share_x(vec![panel(&[])]), vec![panel(&[])], "no point, no span");
    for bad in [(0.0, 1.0), (1.0, 0.5), (f64::NAN, 1.0)] {
        let Panel::Lines(mut l) = panel(&[0.01]) else { unreachable!() };
        l.x_span = Some(bad);
        let e = svg_string(&Figure::new("t", "c", vec![Panel::Lines(l)])).unwrap_err().to_string();
        assert!(e.contains("x-span"), "{bad:?}: {e}");
    }
}

/// An effective rank is at least 1: a t-band over two seeds that reached −18 had taken the axis down to −20.
#[test]
fn effective_rank_bands_stop_at_one() {
    let c = curve("layer 1", 0, vec![0.0, 100.0], vec![10.0, 12.0], 28.0);
    let fig =
        actscope_plots::figures::effective_rank_per_layer(&[CurvePanel { title: "relu".into(), curves: vec![c] }]);
    let Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    assert!(l.series[0].band.iter().all(|b| b.1 >= 1.0), "{:?}", l.series[0].band);
    assert!(l.y_range.is_some_and(|r| r.0 > -2.0), "the axis follows the clipped band: {:?}", l.y_range);
}

/// An axis of whole numbers (hidden layers 1 to 3) is ticked at whole numbers only: it read 1.2, 1.4, ….
#[test]
fn an_axis_of_whole_numbers_has_whole_ticks() {
    let s = Series { label: "s".into(), points: vec![(1.0, 0.1), (2.0, 0.2), (3.0, 0.3)], ..Default::default() };
    let p = LinePanel { title: "p".into(), series: vec![s], ..Default::default() };
    let svg = svg_string(&Figure::new("t", "c", vec![Panel::Lines(p)])).unwrap();
    let tick = |t: &str| svg.contains(&format!(">\n{t}\n</text>"));
    assert!(tick("1") && tick("2") && tick("3"), "whole ticks");
    assert!(!tick("1.2") && !tick("1.5") && !tick("2.5"), "no fractional ticks");
}

/// A log axis of a few whole numbers is ticked at each of them: depths 24 and 50 were drawn unlabelled
/// between the powers of 2 plotters ticks. With more values than fit, the powers are ticked as before.
#[test]
fn a_log_axis_of_a_few_whole_numbers_is_ticked_at_each() {
    // One series at the x values `xs` on a log axis of `base`, drawn.
    let on_log = |base: u32, xs: &[f64]| {
        let points = xs.iter().map(|&x| (x, 0.8)).collect();
        let s = Series { label: "s".into(), points, ..Default::default() };
        let p = LinePanel { title: "p".into(), x_scale: XScale::Log { base }, series: vec![s], ..Default::default() };
        svg_string(&Figure::new("t", "c", vec![Panel::Lines(p)])).unwrap()
    };
    let svg = |depths: &[f64]| on_log(2, depths);
    let full = svg(&[2.0, 4.0, 8.0, 16.0, 24.0, 32.0, 50.0]);
    let tick = |svg: &str, t: &str| svg.contains(&format!(">\n{t}\n</text>"));
    for t in ["2", "4", "8", "16", "24", "32", "50"] {
        assert!(tick(&full, t), "depth {t} is labelled");
    }
    assert!(!tick(&full, "64") && !tick(&full, "1"), "no tick but the depths");
    // Two depths fill the axis (padded by 5% of their span), not the middle fifth of a range widened to
    // the powers of 2 around them (16 to 64).
    let two = svg(&[24.0, 32.0]);
    let label_x = |t: &str| -> f64 {
        let end = two.find(&format!(">\n{t}\n</text>")).unwrap();
        let start = two[..end].rfind("<text x=\"").unwrap() + "<text x=\"".len();
        two[start..].split('"').next().unwrap().parse().unwrap()
    };
    let width: f64 = two.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
    assert!(
        label_x("32") - label_x("24") > 0.7 * width,
        "24 and 32 {} px apart in {width}",
        label_x("32") - label_x("24")
    );
    assert!(!tick(&two, "16") && !tick(&two, "64"), "no other tick");
    let many: Vec<f64> = (1..=12).map(|d| f64::from(d) * 5.0).collect();
    let many = svg(&many);
    assert!(tick(&many, "8") && tick(&many, "32") && !tick(&many, "25"), "powers of 2 for 12 depths");
    // Learning rates too: 0.03 and 0.3 were unlabelled between the powers of 10, so the rate a configuration
    // chose could not be read.
    let rates = |rs: &[f64]| on_log(10, rs);
    let lr = rates(&[0.01, 0.03, 0.1, 0.3]);
    for t in ["0.01", "0.03", "0.1", "0.3"] {
        assert!(tick(&lr, t), "rate {t} is labelled");
    }
    assert!(!tick(&lr, "1") && !tick(&lr, "0.001"), "no tick but the rates");
    assert!(tick(&rates(&[1e-5, 1e-4]), "1e-5"), "a small rate in scientific notation");
}

/// A steps-to-target figure in which no curve reached the target says so: there is no dot to look for.
#[test]
fn a_target_nobody_reached_is_said() {
    let c = curve("relu", 2, vec![0.0, 100.0], vec![0.3, 0.5], 0.01);
    let panels = vec![PlacementCurves { placement: "none".into(), curves: vec![c] }];
    let fig = actscope_plots::figures::steps_to_target(&panels, 0.8, &[vec![]]);
    assert!(fig.caption.ends_with("; no curve's runs reached 0.8, so there is no dot"), "{}", fig.caption);
    let dot = MarkedPoint { label: "relu".into(), color: 2, x: 100.0, y: 0.8 };
    let fig = actscope_plots::figures::steps_to_target(&panels, 0.8, &[vec![dot]]);
    assert!(!fig.caption.contains("no dot"), "{}", fig.caption);
}
