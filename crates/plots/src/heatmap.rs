//! Heatmap panels: viridis cells (optionally log-coloured), optional per-cell text, and a colour bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{HeatAxis, HeatmapPanel};
use crate::palette::{text_on, viridis};
use crate::primitives::{DrawResult, axis_ticks, no_data, panel_chart, text};
use crate::sizes;
use crate::typeset::{advance, em_px};

/// Width in pixels of the colour bar beside a heatmap, its ticks and its description.
const COLOUR_BAR_WIDTH: u32 = 130;

/// Width in pixels of the band left of a heatmap for its category labels and the axis description: the
/// widest label at tick size, a line of the description's height and a margin (a fixed 140 px cut
/// "leaky_relu(0.01)" at the left edge once tick labels grew to projection size).
fn category_label_area(categories: &[String]) -> u32 {
    let widest = categories.iter().map(|c| advance(c, em_px(sizes::TICK))).fold(0.0f64, f64::max);
    (widest + 1.6 * em_px(sizes::AXIS_DESC) + 24.0).ceil() as u32
}

fn transform(v: f64, log: bool) -> f64 {
    if log { if v > 0.0 { v.log10() } else { f64::NEG_INFINITY } } else { v }
}

/// Draws a heatmap panel (or "no data" when it has no finite cell).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HeatmapPanel) -> DrawResult<DB> {
    let (nx, ny) = (p.x.len(), p.y.len());
    let shaped = p.cells.len() == ny && p.cells.iter().all(|r| r.len() == nx);
    let vals: Vec<f64> =
        p.cells.iter().flatten().map(|&v| transform(v, p.log_color)).filter(|v| v.is_finite()).collect();
    if nx == 0 || ny == 0 || !shaped || vals.is_empty() {
        return no_data(area, &p.title);
    }
    let (lo, hi) =
        p.value_range.map(|(a, b)| (transform(a, p.log_color), transform(b, p.log_color))).unwrap_or_else(|| {
            (vals.iter().copied().fold(f64::INFINITY, f64::min), vals.iter().copied().fold(f64::NEG_INFINITY, f64::max))
        });
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let t = |v: f64| {
        let x = transform(v, p.log_color);
        if x == f64::NEG_INFINITY { 0.0 } else { (x - lo) / (hi - lo) }
    };
    let (w, _) = area.dim_in_pixel();
    let (main, bar) = area.split_horizontally(w.saturating_sub(COLOUR_BAR_WIDTH));
    // Numeric edges for both axes; categories become unit cells labelled by name.
    let (xe, ye) = (p.x.edges(), p.y.edges());
    // Category rows read top to bottom, like a table.
    let row_pos = |j: usize| if matches!(p.y, HeatAxis::Categories(_)) { ny - 1 - j } else { j };
    let y_label_area = match &p.y {
        HeatAxis::Categories(c) => category_label_area(c),
        _ => sizes::Y_LABEL_AREA,
    };
    let mut chart = panel_chart(&main, &p.title, y_label_area).build_cartesian_2d(xe[0]..xe[nx], ye[0]..ye[ny])?;
    // One tick format per numeric axis, from its range, through the shared tick labels (float noise reads 0).
    let (x_format, y_format) = (axis_ticks(xe[0], xe[nx], false), axis_ticks(ye[0], ye[ny], false));
    let cat = |a: &HeatAxis, v: f64, flip: bool, format: &dyn Fn(&f64) -> String| -> String {
        match a {
            HeatAxis::Categories(c) => {
                let i = v - 0.5;
                if (i - i.round()).abs() > 1e-6 || i < -0.5 || i.round() as usize >= c.len() {
                    return String::new();
                }
                let k = i.round() as usize;
                c[if flip { c.len() - 1 - k } else { k }].clone()
            }
            HeatAxis::Edges(_) | HeatAxis::Points(_) => format(&v),
        }
    };
    let x_labels = if let HeatAxis::Categories(c) = &p.x { c.len() * 2 + 1 } else { 8 };
    let y_labels = if let HeatAxis::Categories(c) = &p.y { c.len() * 2 + 1 } else { 8 };
    let xf = |v: &f64| cat(&p.x, *v, false, &x_format);
    let yf = |v: &f64| cat(&p.y, *v, true, &y_format);
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .axis_desc_style(text(sizes::AXIS_DESC, BLACK))
        .label_style(text(sizes::TICK, BLACK))
        .x_labels(x_labels)
        .y_labels(y_labels);
    if matches!(p.x, HeatAxis::Categories(_)) {
        mesh.x_label_offset(0);
    }
    mesh.x_label_formatter(&xf).y_label_formatter(&yf).draw()?;
    for (j, row) in p.cells.iter().enumerate() {
        let r = row_pos(j);
        for (i, &v) in row.iter().enumerate() {
            // On a log scale an empty cell (0) has no colour of the scale: white, not the scale's floor,
            // which would read as "a few values".
            let c = if p.log_color && v == 0.0 { WHITE } else { viridis(if v.is_nan() { f64::NAN } else { t(v) }) };
            chart.draw_series(std::iter::once(Rectangle::new([(xe[i], ye[r]), (xe[i + 1], ye[r + 1])], c.filled())))?;
            if let Some(ann) = p.annotations.as_ref().and_then(|a| a.get(j)).and_then(|r| r.get(i)) {
                let (cx, cy) = ((xe[i] + xe[i + 1]) / 2.0, (ye[r] + ye[r + 1]) / 2.0);
                let style = text(sizes::NOTE, text_on(c)).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                ));
                chart.draw_series(std::iter::once(Text::new(ann.clone(), (cx, cy), style)))?;
            }
        }
    }
    colour_bar(&bar, lo, hi, &p.colorbar_label, p.log_color)
}

fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lo: f64,
    hi: f64,
    label: &str,
    log: bool,
) -> DrawResult<DB> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(sizes::X_LABEL_AREA + sizes::PANEL_MARGIN)
        .margin_right(4)
        .set_label_area_size(LabelAreaPosition::Right, COLOUR_BAR_WIDTH - 46)
        .build_cartesian_2d(0.0..1.0, lo..hi)?;
    let ticks = axis_ticks(lo, hi, false);
    let desc = if log { format!("log10 {label}") } else { label.to_string() };
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(desc)
        .axis_desc_style(text(sizes::AXIS_DESC, BLACK))
        .label_style(text(sizes::TICK, BLACK))
        .y_label_formatter(&ticks)
        .y_labels(6)
        .draw()?;
    let n = 100;
    chart.draw_series((0..n).map(|k| {
        let (a, b) = (lo + (hi - lo) * k as f64 / n as f64, lo + (hi - lo) * (k + 1) as f64 / n as f64);
        Rectangle::new([(0.0, a), (1.0, b)], viridis((k as f64 + 0.5) / n as f64).filled())
    }))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The band holds the widest category label and the axis description beside it (a fixed 140 px cut
    /// "leaky_relu(0.01)" once tick labels grew).
    #[test]
    fn the_category_band_fits_the_widest_label() {
        let names = ["sigmoid".to_string(), "leaky_relu(0.01)".to_string()];
        let w = category_label_area(&names) as f64;
        // The widest label sets the band: the same names without it get a narrower one.
        assert!(w > category_label_area(&names[..1]) as f64 + 40.0, "{w}");
        assert!(w > 140.0, "{w}");
        assert!(category_label_area(&["a".to_string()]) < 140);
    }
}
