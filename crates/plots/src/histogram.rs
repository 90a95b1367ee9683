//! Histogram panels: density bars over fixed edges, with a shaded interval and a note.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::HistogramPanel;
use crate::palette::category;
use crate::primitives::{DrawResult, NOTE_LINE, axis_ticks, no_data, note, panel_chart, text};
use crate::sizes;

/// Draws a histogram panel (or "no data" when there are no finite bins).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &HistogramPanel) -> DrawResult<DB> {
    let top = p.density.iter().copied().filter(|d| d.is_finite()).fold(0.0f64, f64::max);
    if p.edges.len() != p.density.len() + 1 || p.density.is_empty() || top <= 0.0 {
        return no_data(area, &p.title);
    }
    let (x0, x1) = (p.edges[0], p.edges[p.edges.len() - 1]);
    // Room above the tallest bar for the note and, below it, the shade's label.
    let ceiling = top * if p.shade.is_some() { 1.3 } else { 1.15 };
    let mut chart = panel_chart(area, &p.title, sizes::Y_LABEL_AREA).build_cartesian_2d(x0..x1, 0.0..ceiling)?;
    let (x_ticks, y_ticks) = (axis_ticks(x0, x1, false), axis_ticks(0.0, ceiling, false));
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .axis_desc_style(text(sizes::AXIS_DESC, BLACK))
        .label_style(text(sizes::TICK, BLACK))
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .light_line_style(RGBColor(238, 238, 238))
        .draw()?;
    // The shade beneath opaque bars: a bar has one colour inside and outside it (bars at 75% opacity had
    // let the gridlines through and looked darker inside the shade), and the shade's label above them.
    let shade = p.shade.as_ref().map(|s| {
        // Drawn where it overlaps the axis: plotters cannot map a shade far outside it to pixels.
        let (a, b) = (x0.min(x1), x0.max(x1));
        (s.lo.max(a).min(b), s.hi.max(a).min(b), s.label.clone())
    });
    if let Some((lo, hi, _)) = &shade {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(*lo, 0.0), (*hi, ceiling)],
            RGBColor(120, 120, 120).mix(0.2).filled(),
        )))?;
    }
    let c = category(p.color);
    chart.draw_series(
        p.density
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_finite() && **d > 0.0)
            .map(|(i, &d)| Rectangle::new([(p.edges[i], 0.0), (p.edges[i + 1], d)], c.filled())),
    )?;
    if let Some((lo, _, label)) = shade {
        // Below the note's lines, which start at the same height in the corner (the two had run together).
        let lines = p.note.as_ref().map_or(0, |n| n.lines().count()) as f64;
        let (_, plot_h) = chart.plotting_area().dim_in_pixel();
        let below = (6.0 + NOTE_LINE * lines) / f64::from(plot_h.max(1));
        let y = ceiling * (1.0 - below).max(0.0);
        chart.draw_series(std::iter::once(Text::new(label, (lo, y), text(sizes::NOTE, RGBColor(40, 40, 40)))))?;
    }
    if let Some(n) = &p.note {
        note(area, n)?;
    }
    Ok(())
}
