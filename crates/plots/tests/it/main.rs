//! Every figure renders to PNG and SVG: the SVG is XML holding the title and axis labels, the PNG decodes
//! at the figure's size and is not blank; empty or NaN data gives a "no data" panel instead of a crash.

use std::path::PathBuf;

use actscope_plots::gallery::sample_figures;
use actscope_plots::{Figure, Format, HeatAxis, HeatmapPanel, LinePanel, Panel, Series, render, svg_string};

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
        y_log: true,
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
        ],
    );
    let svg = svg_string(&fig).unwrap();
    assert_eq!(svg.matches("no data").count(), 4);
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
    let csv = acc.to_csv();
    let rows: Vec<&str> = csv.lines().skip(1).map(|l| l.split_once(',').unwrap().1).collect();
    assert_eq!(rows, ["relu,none,0.8,0.79,0.81", "relu,before,0.82,,"]);

    let track = HistogramTrack {
        title: "t".into(),
        steps: vec![0.0, 150.0, 300.0],
        edges: vec![-1.0, 0.0, 1.0],
        counts: vec![vec![0.5, 0.5], vec![0.25, 0.75], vec![0.0, 1.0]],
    };
    let csv = histogram_over_time("z", &[track]).to_csv();
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
    let fig = steps_to_target(&[PlacementCurves { placement: "none".into(), curves }], 0.8);
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
/// the accuracy heatmap its CSV's interval (a user found ci_high 1.017).
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
    let csv = fig.to_csv();
    assert!(csv.contains(",2,0.99,0.963,1\n") && csv.contains(",4,0.02,0,0.05\n"), "{csv}");
    // The accuracy heatmap's CSV interval too (its cells still read mean ± half-width).
    let heat =
        actscope_plots::figures::accuracy_heatmap(&["relu".into()], &["none".into()], &[vec![0.99]], &[vec![0.03]]);
    let csv = heat.to_csv();
    assert!(csv.contains(",relu,none,0.99,0.96,1\n"), "{csv}");
}
