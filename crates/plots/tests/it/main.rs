//! Every figure renders to PNG and SVG: the SVG is XML holding the title and axis labels, the PNG decodes
//! at the figure's size and is not blank; empty or NaN data gives a "no data" panel instead of a crash.

mod clarity;

use std::path::PathBuf;

use actscope_plots::gallery::sample_figures;
use actscope_plots::{
    Figure, Format, HeatAxis, HeatmapPanel, LinePanel, Panel, Series, XScale, YScale, render, svg_string,
};

fn out_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("actscope-plots-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn decode_png(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

fn axis_labels(fig: &Figure) -> Vec<String> {
    fig.panels
        .iter()
        .flat_map(|p| match p {
            Panel::Lines(l) => vec![l.x_label.clone(), l.y_label.clone()],
            Panel::Heatmap(h) => vec![h.x_label.clone(), h.y_label.clone()],
            Panel::Bars(b) => vec![b.x_label.clone(), b.y_label.clone()],
            Panel::Histogram(h) => vec![h.x_label.clone(), h.y_label.clone()],
        })
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[test]
fn every_figure_renders_to_png_and_svg() {
    let dir = out_dir("all");
    let figs = sample_figures(1);
    assert_eq!(figs.len(), 14, "all fourteen report figures");
    for s in figs {
        let (stem, fig) = (s.stem, s.figure);
        let files = render(&fig, &dir.join(stem), &[Format::Png, Format::Svg]).unwrap();
        assert_eq!(files.len(), 3, "{stem}: png, svg and csv");

        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{stem}.svg is not XML: {e}"));
        let texts: String =
            doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap()).collect::<Vec<_>>().join("\n");
        assert!(texts.contains(&fig.title), "{stem}: title missing from the SVG");
        for label in axis_labels(&fig) {
            assert!(
                texts.contains(&label) || svg.contains(&xml_escape(&label)),
                "{stem}: axis label {label:?} missing"
            );
        }

        let (w, h, pixels) = decode_png(&dir.join(format!("{stem}.png")));
        assert_eq!((w, h), (fig.width, fig.height()), "{stem}: PNG size");
        let non_white = pixels.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
        assert!(non_white > (w * h) as usize / 50, "{stem}: the PNG is (nearly) blank: {non_white} dark pixels");

        let csv = std::fs::read_to_string(dir.join(format!("{stem}.csv"))).unwrap();
        assert!(
            csv.starts_with("panel,series,x,y,low,high\n") && csv.lines().count() > 2,
            "{stem}: CSV behind the figure"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn empty_and_nan_data_give_no_data_panels() {
    let nan = Series { label: "nan".into(), points: vec![(f64::NAN, 1.0), (1.0, f64::NAN)], ..Default::default() };
    let empty_heat = HeatmapPanel {
        title: "empty heatmap".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        x: HeatAxis::Categories(vec![]),
        y: HeatAxis::Categories(vec![]),
        cells: vec![],
        log_color: false,
        value_range: None,
        annotations: None,
        half_widths: None,
        interval_bounds: None,
        colorbar_label: "v".into(),
    };
    let log_nonpositive = LinePanel {
        title: "log of zeros".into(),
        y_scale: YScale::Log,
        series: vec![Series { points: vec![(0.0, 0.0), (1.0, -1.0)], ..Default::default() }],
        ..Default::default()
    };
    let fig = Figure::new(
        "Nothing to show",
        "",
        vec![
            Panel::Lines(LinePanel { title: "nan".into(), series: vec![nan], ..Default::default() }),
            Panel::Lines(LinePanel { title: "none".into(), ..Default::default() }),
            Panel::Heatmap(empty_heat),
            Panel::Lines(log_nonpositive),
            // A log x-axis without a point (every run of a placement diverged) had panicked choosing its ticks.
            Panel::Lines(LinePanel { title: "log x".into(), x_scale: XScale::Log { base: 2 }, ..Default::default() }),
        ],
    );
    let svg = svg_string(&fig).unwrap();
    assert_eq!(svg.matches("no data").count(), 5);
    let none = Figure::new("No panels", "", vec![]);
    assert!(svg_string(&none).unwrap().contains("no data"));
    let dir = out_dir("empty");
    render(&fig, &dir.join("empty"), &[Format::Png]).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn unwritable_paths_are_errors_naming_the_file() {
    let fig = sample_figures(2).remove(0).figure;
    let err = render(&fig, std::path::Path::new("/nonexistent-dir/x"), &[Format::Svg]).unwrap_err().to_string();
    assert!(err.contains("/nonexistent-dir/x.svg"), "{err}");
    let err = render(&fig, std::path::Path::new("/nonexistent-dir/x"), &[Format::Png]).unwrap_err().to_string();
    // The OS's words, not the backend's debug dump (it read `ImageError(IoError(Custom { kind: Other, …`).
    assert!(err.starts_with("writing /nonexistent-dir/x.png: No such file or directory"), "{err}");
}

/// A figure that cannot be written leaves no partial file and keeps the files already there, all of them (a
/// full disk had left a truncated PNG of 4,096 bytes in place of the figure).
#[test]
fn a_figure_is_written_whole_or_not_at_all() {
    let mut figures = sample_figures(3);
    let (first_fig, second_fig) = (figures.remove(0).figure, figures.remove(1).figure);
    let dir = out_dir("atomic");
    let stem = dir.join("fig");
    let first = render(&first_fig, &stem, &[Format::Png, Format::Svg]).unwrap();
    let before: Vec<Vec<u8>> = first.iter().map(|p| std::fs::read(p).unwrap()).collect();
    // The CSV's temporary file cannot be written (a directory holds its name): the other figure's PNG and
    // SVG, already written under their temporary names, must not replace the first figure's.
    let blocked = dir.join(format!(".fig.csv.tmp-{}", std::process::id()));
    std::fs::create_dir_all(blocked.join("x")).unwrap();
    let err = render(&second_fig, &stem, &[Format::Png, Format::Svg]).unwrap_err().to_string();
    assert!(err.contains("fig.csv"), "{err}");
    std::fs::remove_dir_all(&blocked).unwrap();
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(left, ["fig.csv", "fig.png", "fig.svg"], "no temporary file is left");
    for (p, b) in first.iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{} is the first figure's", p.display());
    }
    // Written, the second figure replaces all three.
    render(&second_fig, &stem, &[Format::Png, Format::Svg]).unwrap();
    assert!(first.iter().zip(&before).all(|(p, b)| std::fs::read(p).unwrap() != *b));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn format_names() {
    assert_eq!(Format::parse("PNG"), Some(Format::Png));
    assert_eq!(Format::parse("svg"), Some(Format::Svg));
    assert_eq!(Format::parse("pdf"), None);
}

/// Our PNG draws each specimen line exactly as wide as the layout (glyph advances plus kerning, the width
/// a browser gives the SVG text): ink from the first glyph's left bearing to the last glyph's right
/// bearing, so at most a few pixels narrower and never wider. plotters 0.3.7's own rasteriser drew text
/// 6% too wide with every glyph shifted by its own bearing ("BN n one"); `tests/browser/run.sh` compares
/// with a real browser.
#[test]
fn specimen_png_ink_matches_the_text_layout() {
    use actscope_plots::specimen::{LINES, measure, write};
    use actscope_plots::typeset::{advance, em_px};
    let dir = out_dir("specimen");
    let (png, svg) = write(&dir).unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("BN none"));
    let (w, h, pixels) = decode_png(&png);
    let channels = pixels.len() / (w as usize * h as usize);
    let inks = measure(w, h, channels, &pixels, 1).unwrap();
    for (line, ink) in LINES.iter().zip(&inks) {
        let ink = ink.as_ref().unwrap_or_else(|| panic!("{:?}: no ink", line.text));
        let width = advance(line.text, em_px(line.size));
        let drawn = ink.right - ink.left;
        assert!(
            drawn <= width + 0.5 && drawn >= width - 3.0,
            "{:?}: ink {drawn} px wide, layout advance {width:.2} px",
            line.text
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A heatmap's CSV says what its cells are: the accuracy heatmap's rows carry the interval its cells print
/// (they had empty low and high), and the histogram over time's rows name the checkpoint's step and the
/// bin's lower edge (they gave the cells' centres: the step-300 column at x = 325, past the end of training).
#[test]
fn heatmap_csv_rows_give_the_interval_and_the_cells_lower_edges() {
    use actscope_plots::figures::{HistogramTrack, accuracy_heatmap, histogram_over_time};
    let acc = accuracy_heatmap(
        &["relu".into()],
        &["none".into(), "before".into()],
        &[vec![0.80, 0.82]],
        &[vec![0.01, f64::NAN]],
    );
    let csv = acc.to_csv().unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).map(|l| l.split_once(',').unwrap().1).collect();
    assert_eq!(rows, ["relu,none,0.8,0.79,0.81", "relu,before,0.82,,"]);

    let track = HistogramTrack {
        title: "t".into(),
        steps: vec![0.0, 150.0, 300.0],
        edges: vec![-1.0, 0.0, 1.0],
        counts: vec![vec![0.5, 0.5], vec![0.25, 0.75], vec![0.0, 1.0]],
        beyond: (0.0, 0.0),
    };
    // Values beyond the axis are said in the panel's title (the image has no caption to say them).
    let titled = |beyond| {
        let fig = histogram_over_time("z", &[HistogramTrack { beyond, ..track.clone() }]);
        let Panel::Heatmap(h) = &fig.panels[0] else { panic!("a heatmap") };
        h.title.clone()
    };
    assert_eq!(titled((0.0, 0.0)), "t");
    assert_eq!(titled((0.3504, 0.0)), "t · off the axis: ≤35% below");
    assert_eq!(titled((0.0005, 0.004)), "t · off the axis: <0.1% below, ≤0.4% above");
    let csv = histogram_over_time("z", &[track]).to_csv().unwrap();
    let xs: std::collections::BTreeSet<String> =
        csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().to_string()).collect();
    let series: std::collections::BTreeSet<String> =
        csv.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().to_string()).collect();
    assert_eq!(xs, ["0", "150", "300"].map(String::from).into());
    assert_eq!(series, ["-1", "0"].map(String::from).into());
}

/// A reference line (C6's target, the gradient theory) is grey, a colour no curve cycles to: it used to be
/// palette colour 6, which the seventh activation of a panel (silu in E1) also had.
#[test]
fn reference_lines_never_share_a_curves_colour() {
    use actscope_plots::figures::{MeanCurve, PlacementCurves, steps_to_target};
    use actscope_plots::palette::{REFERENCE, category};
    let curves = (0..12)
        .map(|i| MeanCurve {
            label: format!("curve {i}"),
            color: i,
            dashed: false,
            dots: false,
            x: vec![0.0, 100.0],
            mean: vec![0.1, 0.9],
            lo: vec![0.1, 0.9],
            hi: vec![0.1, 0.9],
        })
        .collect();
    let fig = steps_to_target(&[PlacementCurves { placement: "none".into(), curves }], 0.8, &[]);
    let Panel::Lines(p) = &fig.panels[0] else { panic!("a line panel") };
    let target = p.series.last().unwrap();
    assert_eq!((target.color, target.dashed), (REFERENCE, true));
    for s in &p.series[..p.series.len() - 1] {
        assert_ne!(category(s.color), category(target.color), "{} has the target's colour", s.label);
    }
    let theory = sample_figures(3).into_iter().find(|s| s.stem == "gradient_norms").unwrap().figure;
    let Panel::Lines(g) = &theory.panels[0] else { panic!("a line panel") };
    assert!(g.series.iter().any(|s| s.label == "theory" && s.color == REFERENCE));
}

/// Panels of placements side by side share one y-axis (each was fitted to its own data, so a flat curve
/// looked as steep as a steep one), and a curve of two or three points is drawn with markers (two
/// checkpoints joined by a line read as a trajectory measured in between).
#[test]
fn placement_panels_share_their_y_axis_and_sparse_curves_are_marked() {
    for stem in ["learning_curves", "steps_to_target", "lr_sensitivity"] {
        let fig = sample_figures(5).into_iter().find(|s| s.stem == stem).unwrap().figure;
        let ranges: Vec<Option<(f64, f64)>> = fig
            .panels
            .iter()
            .map(|p| match p {
                Panel::Lines(l) => l.y_range,
                _ => panic!("{stem}: line panels"),
            })
            .collect();
        assert!(ranges[0].is_some() && ranges.iter().all(|r| *r == ranges[0]), "{stem}: {ranges:?}");
    }
    let rank = sample_figures(5).into_iter().find(|s| s.stem == "effective_rank").unwrap().figure;
    let Panel::Lines(l) = &rank.panels[0] else { panic!("a line panel") };
    assert!(l.series.iter().all(|s| !s.markers), "21 points: lines alone");
    let two = actscope_plots::figures::MeanCurve {
        label: "layer 1".into(),
        color: 0,
        dashed: false,
        dots: false,
        x: vec![0.0, 300.0],
        mean: vec![80.0, 60.0],
        lo: vec![79.0, 59.0],
        hi: vec![81.0, 61.0],
    };
    let fig = actscope_plots::figures::effective_rank_per_layer(&[actscope_plots::figures::CurvePanel {
        title: "relu, BN before".into(),
        curves: vec![two],
    }]);
    let Panel::Lines(l) = &fig.panels[0] else { panic!("a line panel") };
    assert!(l.series[0].markers, "two checkpoints are marked");
}

/// Data that do not fit together are an error naming the panel, before anything is written (a heatmap
/// row longer than its labels, or histogram densities without their edges, had panicked after the PNG was
/// written; 0 columns divided by zero).
#[test]
fn figures_whose_data_do_not_fit_are_errors_not_panics() {
    use actscope_plots::HistogramPanel;
    let dir = out_dir("invalid");
    let hist = HistogramPanel {
        title: "h".into(),
        x_label: String::new(),
        y_label: String::new(),
        edges: vec![0.0, 1.0],
        density: vec![0.1, 0.4, 0.4, 0.1],
        shade: None,
        note: None,
        color: 0,
    };
    let fig = Figure::new("t", "", vec![Panel::Histogram(hist)]);
    let e = render(&fig, &dir.join("h"), &[Format::Png, Format::Svg]).unwrap_err().to_string();
    assert!(e.contains("invalid figure \"t\": panel 1 (\"h\"): 2 edges for 4 densities"), "{e}");
    assert!(std::fs::read_dir(&dir).map_or(true, |d| d.count() == 0), "nothing written");
    let heat = HeatmapPanel {
        title: "m".into(),
        x_label: String::new(),
        y_label: String::new(),
        x: HeatAxis::Categories(vec!["a".into(), "b".into()]),
        y: HeatAxis::Categories(vec!["r".into()]),
        cells: vec![vec![1.0, 2.0, 3.0]],
        log_color: false,
        value_range: None,
        annotations: None,
        half_widths: None,
        interval_bounds: None,
        colorbar_label: String::new(),
    };
    let e = svg_string(&Figure::new("t", "", vec![Panel::Heatmap(heat)])).unwrap_err().to_string();
    assert!(e.contains("row 0 has 3 cells for 2 x labels"), "{e}");
    let mut zero = sample_figures(1).remove(0).figure;
    zero.columns = 0;
    assert!(svg_string(&zero).unwrap_err().to_string().contains("0 columns"));
    let mut inverted =
        Figure::new("t", "", vec![Panel::Lines(LinePanel { y_range: Some((1.0, 0.0)), ..Default::default() })]);
    assert!(svg_string(&inverted).unwrap_err().to_string().contains("y-range (1, 0); expected low < high"));
    inverted.panels.clear();
    assert!(svg_string(&inverted).is_ok());
    let _ = std::fs::remove_dir_all(dir);
}

/// A stem with a dot keeps it: `run.v1` gives `run.v1.png` (it gave `run.png`, which `run.v2` overwrote).
#[test]
fn a_stem_with_a_dot_keeps_it() {
    let dir = out_dir("dotted");
    let fig = sample_figures(1).remove(0).figure;
    let written = render(&fig, &dir.join("run.v1"), &[Format::Png]).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["run.v1.png", "run.v1.csv"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A format given twice is drawn once: `--format png,png` had failed with "No such file or directory" and
/// left only the first figure's PNG.
#[test]
fn a_format_given_twice_is_drawn_once() {
    let dir = out_dir("twice");
    let fig = sample_figures(1).remove(0).figure;
    let written = render(&fig, &dir.join("f"), &[Format::Png, Format::Svg, Format::Png]).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["f.png", "f.svg", "f.csv"]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Accuracy vs depth clips its whiskers, and so its CSV's interval, to [0, 1], as every share's band is, and
/// the accuracy heatmap its CSV's interval (a user found ci_high 1.017). Its curves are drawn side by side
/// (their whiskers at each depth had covered one another), the CSV keeping the depths.
#[test]
fn accuracy_whiskers_stay_within_zero_and_one() {
    use actscope_plots::figures::{AccuracyDepthPanel, DepthCurve, DepthPoint, accuracy_vs_depth};
    let point = |depth, mean, lo, hi| DepthPoint { depth, mean, lo, hi };
    let fig = accuracy_vs_depth(&[AccuracyDepthPanel {
        title: "BN before".into(),
        curves: vec![DepthCurve {
            label: "relu".into(),
            points: vec![point(2.0, 0.99, 0.963, 1.017), point(4.0, 0.02, -0.01, 0.05)],
            ..Default::default()
        }],
    }]);
    let csv = fig.to_csv().unwrap();
    assert!(csv.contains(",2,0.99,0.963,1\n") && csv.contains(",4,0.02,0,0.05\n"), "{csv}");
    assert!(matches!(&fig.panels[0], Panel::Lines(p) if p.dodge), "side by side");
    // The accuracy heatmap's CSV interval too (its cells still read mean ± half-width).
    let heat =
        actscope_plots::figures::accuracy_heatmap(&["relu".into()], &["none".into()], &[vec![0.99]], &[vec![0.03]]);
    let csv = heat.to_csv().unwrap();
    assert!(csv.contains(",relu,none,0.99,0.96,1\n"), "{csv}");
}

/// A dodged panel draws each data series' markers at their own x positions, left to right in order, and
/// leaves the reference line where it is; undodged, the three curves' markers share four positions.
#[test]
fn dodged_series_are_drawn_apart() {
    let curve = |label: &str, color: usize| Series {
        label: label.into(),
        color,
        markers: true,
        points: [2.0, 4.0, 8.0, 16.0].iter().map(|&x| (x, 0.5)).collect(),
        error_bars: [2.0, 4.0, 8.0, 16.0].iter().map(|&x| (x, 0.4, 0.6)).collect(),
        ..Default::default()
    };
    let chance = Series {
        label: "chance".into(),
        color: actscope_plots::palette::REFERENCE,
        points: vec![(2.0, 0.1), (16.0, 0.1)],
        ..Default::default()
    };
    let figure = |dodge: bool| {
        let series = vec![chance.clone(), curve("a", 0), curve("b", 1), curve("c", 2)];
        let panel = LinePanel {
            x_scale: XScale::Log { base: 2 },
            y_range: Some((0.0, 1.0)),
            dodge,
            series,
            ..Default::default()
        };
        Figure::new("t", "", vec![Panel::Lines(panel)])
    };
    // The markers' centres, in drawing order (a series' markers are drawn twice over, fill then outline).
    let centres = |svg: &str| -> Vec<f64> {
        let cx = |c: &str| c.split("cx=\"").nth(1).unwrap().split('"').next().unwrap().parse::<f64>().unwrap();
        let all: Vec<f64> = svg.split("<circle").skip(1).map(cx).collect();
        all.chunks(8).flat_map(|series| series[..4].to_vec()).collect()
    };
    let (apart, together) =
        (centres(&svg_string(&figure(true)).unwrap()), centres(&svg_string(&figure(false)).unwrap()));
    let distinct = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v.len()
    };
    assert_eq!((apart.len(), together.len()), (12, 12), "three curves of four markers");
    assert_eq!((distinct(&apart), distinct(&together)), (12, 4));
    for depth in 0..4 {
        let (a, b, c) = (apart[depth], apart[4 + depth], apart[8 + depth]);
        assert!(a < b && b < c, "left to right in order at depth {depth}: {a}, {b}, {c}");
        assert!((b - a - (c - b)).abs() <= 1.0, "the middle curve at its depth, the others either side: {a}, {b}, {c}");
    }
}

fn line(points: Vec<(f64, f64)>) -> Figure {
    let s = Series { label: "s".into(), points, ..Default::default() };
    Figure::new("t", "", vec![Panel::Lines(LinePanel { title: "p".into(), series: vec![s], ..Default::default() })])
}

fn heatmap(x: HeatAxis, cells: Vec<Vec<f64>>) -> HeatmapPanel {
    HeatmapPanel {
        title: "m".into(),
        x_label: String::new(),
        y_label: String::new(),
        x,
        y: HeatAxis::Categories(vec!["r".into()]),
        cells,
        log_color: false,
        value_range: None,
        annotations: None,
        half_widths: None,
        interval_bounds: None,
        colorbar_label: String::new(),
    }
}

fn histogram(edges: Vec<f64>, density: Vec<f64>) -> actscope_plots::HistogramPanel {
    actscope_plots::HistogramPanel {
        title: "h".into(),
        x_label: String::new(),
        y_label: String::new(),
        edges,
        density,
        shade: None,
        note: None,
        color: 0,
    }
}

fn one(p: Panel) -> Figure {
    Figure::new("t", "", vec![p])
}

/// Values whose axis span is not a finite number are an error naming the panel, the series and the value,
/// before plotters sees them: a line from 1e308 to -1e308, or from 0 to `f64::MAX` (padded by 5%), had hung
/// `svg_string` forever in plotters' tick computation; a log axis from 1e-155 to 1e155 too, and a heatmap's
/// NaN point had panicked. Values within the documented bound draw, tiny spans around large values included.
#[test]
fn values_an_axis_cannot_draw_are_errors_not_hangs() {
    use actscope_plots::{BarGroup, BarPanel, MAX_AXIS_VALUE};
    let e = svg_string(&line(vec![(0.0, 1e308), (1.0, -1e308)])).unwrap_err().to_string();
    assert_eq!(
        e,
        "invalid figure \"t\": panel 1 (\"p\"): series \"s\" has y = 1e308; expected a magnitude of at most 1e300 \
         (an axis cannot draw larger values)"
    );
    let e = svg_string(&line(vec![(0.0, 0.0), (1.0, f64::MAX)])).unwrap_err().to_string();
    assert!(e.contains("series \"s\" has y = 1.7976931348623157e308; expected a magnitude of at most 1e300"), "{e}");
    let e = svg_string(&line(vec![(-1e308, 0.0), (1e308, 1.0)])).unwrap_err().to_string();
    assert!(e.contains("has x = -1e308"), "{e}");
    // A log x-axis: plotters counts its powers of the base, which never ends for base 0 or 1 or a span past
    // what a float holds (1e-200 to 1e200 passed every bound on its own and hung the drawing).
    let log_x = |base, points| {
        let s = Series { label: "s".into(), points, ..Default::default() };
        let p = LinePanel { title: "p".into(), x_scale: XScale::Log { base }, series: vec![s], ..Default::default() };
        Figure::new("t", "c", vec![Panel::Lines(p)])
    };
    let e = svg_string(&log_x(10, vec![(1e-200, 0.0), (1e200, 1.0)])).unwrap_err().to_string();
    assert!(e.contains("x values from 1e-200 to 1e200 on a log axis; expected the largest at most 1e300 times"), "{e}");
    for base in [0, 1] {
        let e = svg_string(&log_x(base, vec![(1.0, 0.0), (2.0, 1.0)])).unwrap_err().to_string();
        assert!(e.contains(&format!("x-axis log base {base}; expected a base of at least 2")), "{e}");
    }
    // A grid within one decade (a single learning rate) still gets a tick: at the rate itself (the axis had
    // been widened to the powers around it, 0.01 and 0.1, which named no rate that ran).
    let one_rate = svg_string(&log_x(10, vec![(0.03, 0.5)])).unwrap();
    let labelled = |t: &str| one_rate.contains(&format!(">\n{t}\n</text>"));
    assert!(labelled("0.03") && !labelled("0.01") && !labelled("0.1"), "a tick at 0.03");

    // Every panel kind with a numeric axis.
    let e = svg_string(&one(Panel::Histogram(histogram(vec![-1e308, 1e308], vec![1.0])))).unwrap_err().to_string();
    assert!(e.contains("panel 1 (\"h\"): edges reach -1e308; expected a magnitude of at most 1e300"), "{e}");
    let e = svg_string(&one(Panel::Histogram(histogram(vec![0.0, f64::INFINITY], vec![1.0])))).unwrap_err();
    assert!(e.to_string().contains("edges[1] is inf; expected a finite number"), "{e}");
    let e = svg_string(&one(Panel::Histogram(histogram(vec![0.0, 1.0], vec![1.6e308])))).unwrap_err().to_string();
    assert!(e.contains("a density of 1.6e308"), "{e}");
    let e = svg_string(&one(Panel::Heatmap(heatmap(HeatAxis::Points(vec![0.0, 1e308]), vec![vec![1.0, 2.0]]))));
    assert!(e.unwrap_err().to_string().contains("x-axis points reach 1e308"));
    let e = svg_string(&one(Panel::Heatmap(heatmap(HeatAxis::Points(vec![f64::NAN, 1.0]), vec![vec![1.0, 2.0]]))));
    assert!(e.unwrap_err().to_string().contains("x-axis points[0] is NaN; expected a finite number"));
    let e = svg_string(&one(Panel::Heatmap(heatmap(HeatAxis::Edges(vec![-1e308, 1e308]), vec![vec![1.0]]))));
    assert!(e.unwrap_err().to_string().contains("x-axis edges reach -1e308"));
    let cats = HeatAxis::Categories(vec!["a".into(), "b".into()]);
    let e = svg_string(&one(Panel::Heatmap(heatmap(cats.clone(), vec![vec![-1e308, 1e308]])))).unwrap_err();
    assert!(e.to_string().contains("a cell has the value -1e308"), "{e}");
    // On a log colour scale the colour bar runs over log10 of the values: those draw.
    let mut log = heatmap(cats, vec![vec![1e-308, 1e308]]);
    log.log_color = true;
    assert!(svg_string(&one(Panel::Heatmap(log))).is_ok());
    let bars = |values, y_log| {
        let group = BarGroup { label: "g".into(), color: 0, values };
        let categories = vec!["a".into(), "b".into()];
        one(Panel::Bars(BarPanel {
            title: "b".into(),
            x_label: String::new(),
            y_label: String::new(),
            categories,
            groups: vec![group],
            y_log,
        }))
    };
    let e = svg_string(&bars(vec![(1.0, 0.0, 2.0), (1.7e308, 1.0, 2.0)], false)).unwrap_err().to_string();
    assert!(e.contains("group \"g\" has a value of 1.7e308"), "{e}");
    let e = svg_string(&bars(vec![(1e-300, 1e-300, 1e-300), (1e300, 1e300, 1e300)], true)).unwrap_err().to_string();
    assert!(e.contains("values from 1e-300 to 1e300 on a log axis; expected the largest at most 1e300 times"), "{e}");

    // Log axes: a fixed range must be positive, within 300 decades.
    let log_line = |y_range| {
        let s = Series { points: vec![(0.0, 1.0), (1.0, 2.0)], ..Default::default() };
        one(Panel::Lines(LinePanel { y_scale: YScale::Log, y_range, series: vec![s], ..Default::default() }))
    };
    let e = svg_string(&log_line(Some((1e-155, 1e155)))).unwrap_err().to_string();
    assert!(e.contains("y-range (1e-155, 1e155) on a log axis; expected high at most 1e300 times low"), "{e}");
    let e = svg_string(&log_line(Some((0.0, 1.0)))).unwrap_err().to_string();
    assert!(e.contains("y-range (0, 1) on a log scale; expected a positive low end"), "{e}");
    let e = svg_string(&log_line(Some((f64::NEG_INFINITY, f64::INFINITY)))).unwrap_err().to_string();
    assert!(e.contains("y-range (-inf, inf); expected finite ends"), "{e}");
    assert!(svg_string(&log_line(Some((1e-150, 1e150)))).is_ok());

    // Within the bound: the largest values, and spans of one to a few ulps at any magnitude, draw.
    assert!(svg_string(&line(vec![(-MAX_AXIS_VALUE, MAX_AXIS_VALUE), (MAX_AXIS_VALUE, -MAX_AXIS_VALUE)])).is_ok());
    let single = heatmap(HeatAxis::Points(vec![MAX_AXIS_VALUE]), vec![vec![1.0]]);
    assert!(svg_string(&one(Panel::Heatmap(single))).is_ok(), "one point: a cell of no width at 1e300");
    for v in [1e-300f64, 1e-20, 1.0, 1e20, MAX_AXIS_VALUE] {
        for ulps in [1, 3] {
            let w = f64::from_bits(v.to_bits() - ulps);
            for (lo, hi) in [(w, v), (-v, -w)] {
                assert!(svg_string(&line(vec![(lo, lo), (hi, hi)])).is_ok(), "{lo} to {hi}");
                let h = one(Panel::Histogram(histogram(vec![lo, hi], vec![1.0])));
                assert!(svg_string(&h).is_ok(), "{lo} to {hi}");
            }
        }
    }
}

/// A heatmap's fixed colour range is checked like a line's y-range: a NaN end had panicked in plotters
/// ("assertion failed: !(range.0.is_nan() || range.1.is_nan())"), and a reversed one was accepted.
#[test]
fn a_heatmap_value_range_must_be_finite_and_increasing() {
    let with = |range, log_color| {
        let mut h = heatmap(HeatAxis::Categories(vec!["a".into()]), vec![vec![0.5]]);
        h.value_range = Some(range);
        h.log_color = log_color;
        svg_string(&one(Panel::Heatmap(h)))
    };
    let e = with((f64::NAN, 0.0), false).unwrap_err().to_string();
    assert_eq!(e, "invalid figure \"t\": panel 1 (\"m\"): value-range (NaN, 0); expected finite ends");
    assert!(with((1.0, 0.0), false).unwrap_err().to_string().contains("value-range (1, 0); expected low < high"));
    let e = with((0.0, 1.0), true).unwrap_err().to_string();
    assert!(e.contains("value-range (0, 1) on a log scale; expected a positive low end"), "{e}");
    let e = with((-1e308, 1.0), false).unwrap_err().to_string();
    assert!(e.contains("value-range (-1e308, 1); expected ends of a magnitude of at most 1e300"), "{e}");
    assert!(with((0.0, 1.0), false).is_ok() && with((1e-3, 1.0), true).is_ok());
}

/// The CSV of a figure whose data do not fit together is an error, as its drawing is: `to_csv` had panicked
/// "index out of bounds" on a histogram of one edge for two densities and a heatmap row longer than its labels.
#[test]
fn csv_of_a_figure_that_does_not_fit_is_an_error() {
    let e = one(Panel::Histogram(histogram(vec![0.0], vec![1.0, 2.0]))).to_csv().unwrap_err().to_string();
    assert!(e.contains("panel 1 (\"h\"): 1 edges for 2 densities; expected one more edge than densities"), "{e}");
    let heat = heatmap(HeatAxis::Categories(vec!["a".into()]), vec![vec![1.0, 2.0, 3.0]]);
    let e = one(Panel::Heatmap(heat)).to_csv().unwrap_err().to_string();
    assert!(e.contains("row 0 has 3 cells for 1 x labels"), "{e}");
    assert!(one(Panel::Histogram(histogram(vec![0.0, 1.0], vec![1.0]))).to_csv().is_ok());
}

/// A figure's size is checked before anything is drawn: 100,000 × 100,050 pixels had aborted the process
/// ("memory allocation of 30027600000 bytes failed"), and a zero width drew an SVG but not a PNG.
#[test]
fn a_figure_of_zero_or_too_many_pixels_is_an_error() {
    use actscope_plots::{MAX_PIXELS, MAX_SIDE};
    let dir = out_dir("size");
    let sized = |width, row_height| {
        let mut f = line(vec![(0.0, 0.0), (1.0, 1.0)]);
        (f.width, f.row_height) = (width, row_height);
        f
    };
    let huge = sized(100_000, 100_000);
    let e = render(&huge, &dir.join("huge"), &[Format::Png]).unwrap_err().to_string();
    assert!(e.contains(&format!("size 100000 × {} px", huge.height())), "{e}");
    assert!(e.contains(&format!("expected at most {MAX_SIDE} px a side and {MAX_PIXELS} pixels in all")), "{e}");
    // Within each side, but too many pixels in all.
    let wide = sized(MAX_SIDE, 2000);
    assert!(wide.height() < MAX_SIDE && u64::from(MAX_SIDE) * u64::from(wide.height()) > MAX_PIXELS);
    assert!(svg_string(&wide).unwrap_err().to_string().contains("pixels in all"));
    for (w, h) in [(0, 420), (1200, 0)] {
        let e = svg_string(&sized(w, h)).unwrap_err().to_string();
        assert!(e.contains(&format!("width {w} px, row height {h} px; expected at least 1 px each")), "{e}");
        let png = render(&sized(w, h), &dir.join("zero"), &[Format::Png]).unwrap_err().to_string();
        assert_eq!(png, e, "PNG and SVG refuse alike");
    }
    // The height saturates rather than overflowing.
    let mut tall = sized(1200, u32::MAX);
    tall.panels = (0..4).map(|_| tall.panels[0].clone()).collect();
    tall.columns = 1;
    assert_eq!(tall.height(), u32::MAX);
    assert!(svg_string(&tall).is_err());
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing written");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A stem that names no file is an error, and nothing is written: `""` had written `.png` and `.csv`, hidden
/// files, into the current folder.
#[test]
fn a_stem_that_names_no_file_is_an_error() {
    let dir = out_dir("stem");
    let fig = line(vec![(0.0, 0.0), (1.0, 1.0)]);
    let e = render(&fig, std::path::Path::new(""), &[Format::Png]).unwrap_err().to_string();
    assert!(e.starts_with("output stem \"\": empty; expected a file name"), "{e}");
    assert!(!std::path::Path::new(".png").exists() && !std::path::Path::new(".csv").exists());
    for (stem, why) in [
        (dir.join(".."), "ends in `.` or `..`"),
        (dir.join("sub").join("."), "ends in `.` or `..`"),
        (PathBuf::from(format!("{}/", dir.join("sub").display())), "ends in a separator"),
        (PathBuf::from("/"), "ends in a separator"),
    ] {
        let e = render(&fig, &stem, &[Format::Svg]).unwrap_err().to_string();
        assert!(e.contains(why), "{}: {e}", stem.display());
    }
    assert!(std::fs::read_dir(&dir).unwrap().next().is_none(), "nothing written");
    assert!(!dir.with_file_name(format!("{}.svg", dir.file_name().unwrap().to_string_lossy())).exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Values far outside a fixed axis (a line at 1e9 on a y-range of 0 to 1, a shade reaching past the data) are
/// drawn clamped near the axis: plotters' pixel arithmetic had overflowed ("attempt to add with overflow").
#[test]
fn values_far_outside_a_fixed_axis_draw() {
    use actscope_plots::Shade;
    let shade = Some(Shade { lo: -1e9, hi: 1e9, label: "all".into() });
    for (y_scale, y_range) in [(YScale::Linear, (0.0, 1.0)), (YScale::Log, (1.0, 1.0001)), (YScale::Sqrt, (0.0, 1.0))] {
        let s = Series {
            points: vec![(0.0, 0.5), (1.0, 1e9), (2.0, 1e-9), (3.0, -1e9)],
            band: vec![(0.0, 1e-9, 1e9), (1.0, 1e-9, 1e9)],
            error_bars: vec![(2.0, 1e-9, 1e9)],
            markers: true,
            ..Default::default()
        };
        let p =
            LinePanel { y_scale, y_range: Some(y_range), series: vec![s], shade: shade.clone(), ..Default::default() };
        assert!(svg_string(&one(Panel::Lines(p))).is_ok(), "{y_scale:?}");
    }
    let mut h = histogram(vec![0.0, 1.0], vec![1.0]);
    h.shade = shade;
    assert!(svg_string(&one(Panel::Histogram(h))).is_ok());
    let mut nan = histogram(vec![0.0, 1.0], vec![1.0]);
    nan.shade = Some(Shade { lo: f64::NAN, hi: 1.0, label: "n".into() });
    let e = svg_string(&one(Panel::Histogram(nan))).unwrap_err().to_string();
    assert!(e.contains("shade \"n\" (NaN, 1); expected finite ends, low ≤ high"), "{e}");
}

/// A newline or tab in a label draws as a space in both formats (it had drawn the missing-glyph box).
#[test]
fn control_characters_in_labels_draw() {
    let s =
        Series { label: "\nline\none\ttab\x0b\n".into(), points: vec![(0.0, 1.0), (1.0, 2.0)], ..Default::default() };
    let fig = Figure::new(
        "a\ntitle",
        "c",
        vec![Panel::Lines(LinePanel { title: "p\tq".into(), series: vec![s], ..Default::default() })],
    );
    let svg = svg_string(&fig).unwrap();
    assert!(!svg.chars().any(|c| c.is_control() && c != '\n'), "no control character XML forbids");
    let dir = out_dir("control");
    render(&fig, &dir.join("f"), &[Format::Png]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap(); // it had stayed in the temp folder after every run
}

/// The BN paper's comparison with one side only (a user's own model) draws that side alone; with both or
/// neither, both panels (the latter "no data").
#[test]
fn the_bn_paper_comparison_draws_the_sides_it_has() {
    use actscope_plots::figures::{PercentilePoint, bn_paper_percentiles};
    let track = [PercentilePoint { step: 0.0, p15: -1.0, p50: 0.0, p85: 1.0 }];
    let titles = |f: &Figure| f.panels.iter().map(|p| p.title().to_string()).collect::<Vec<_>>();
    let with_only = bn_paper_percentiles(&[], &track);
    assert_eq!((titles(&with_only), with_only.columns), (vec!["with BN (before φ)".to_string()], 1));
    assert!(!with_only.caption.contains("one y-axis for both"), "{}", with_only.caption);
    assert_eq!(titles(&bn_paper_percentiles(&track, &[])), ["without BN"]);
    for (a, b) in [(&track[..], &track[..]), (&[][..], &[][..])] {
        let both = bn_paper_percentiles(a, b);
        assert_eq!(
            (titles(&both), both.columns),
            (vec!["without BN".to_string(), "with BN (before φ)".to_string()], 2)
        );
    }
}
