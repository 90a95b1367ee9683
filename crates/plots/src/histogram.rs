//! Histogram panels: density bars over fixed edges, with a shaded interval and a note.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::HistogramPanel;
use crate::palette::category;
use crate::primitives::{DrawResult, fmt_tick, no_data, note, text};

/// Draws a histogram panel (or "no data" when there are no finite bins).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HistogramPanel) -> DrawResult<DB> {
    let top = p.density.iter().copied().filter(|d| d.is_finite()).fold(0.0f64, f64::max);
    if p.edges.len() != p.density.len() + 1 || p.density.is_empty() || top <= 0.0 {
        return no_data(area, &p.title);
    }
    let (x0, x1) = (p.edges[0], p.edges[p.edges.len() - 1]);
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, text(17.0, BLACK))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, 0.0..top * 1.15)?;
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .axis_desc_style(text(15.0, BLACK))
        .label_style(text(12.0, BLACK))
        .x_label_formatter(&fmt_tick)
        .y_label_formatter(&fmt_tick)
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;
    if let Some(s) = &p.shade {
        // Drawn where it overlaps the axis: plotters cannot map a shade far outside it to pixels.
        let (a, b) = (x0.min(x1), x0.max(x1));
        let (lo, hi) = (s.lo.max(a).min(b), s.hi.max(a).min(b));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(lo, 0.0), (hi, top * 1.15)],
            RGBColor(120, 120, 120).mix(0.2).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            s.label.clone(),
            (lo, top * 1.12),
            text(13.0, RGBColor(40, 40, 40)),
        )))?;
    }
    let c = category(p.color);
    chart.draw_series(
        p.density
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_finite() && **d > 0.0)
            .map(|(i, &d)| Rectangle::new([(p.edges[i], 0.0), (p.edges[i + 1], d)], c.mix(0.75).filled())),
    )?;
    if let Some(n) = &p.note {
        note(area, n)?;
    }
    Ok(())
}
