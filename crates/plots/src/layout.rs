//! The frame every figure shares: the title strip, a grid of panels (each drawn by its panel drawer),
//! and the legend band below them.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{Figure, LegendEntry, Panel, TITLE_HEIGHT};
use crate::palette::category;
use crate::primitives::{DrawResult, no_data, text};
use crate::typeset::em_px;
use crate::{bars, heatmap, histogram, legend, lines, sizes};

/// Draws the whole figure on `root`.
pub fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (_, h) = root.dim_in_pixel();
    let (title, rest) = root.split_vertically(TITLE_HEIGHT);
    title.draw(&Text::new(fig.title.clone(), (20, 14), text(sizes::FIGURE_TITLE, BLACK)))?;
    let legend_h = fig.legend_height();
    let (body, legend) = rest.split_vertically(h.saturating_sub(TITLE_HEIGHT + legend_h));
    let rows = fig.panels.len().div_ceil(fig.columns).max(1);
    let areas = body.split_evenly((rows, fig.columns));
    if fig.panels.is_empty() {
        no_data(&areas[0], "")?;
    }
    for (area, panel) in areas.iter().zip(&fig.panels) {
        match panel {
            Panel::Lines(p) => lines::draw(area, p)?,
            Panel::Heatmap(p) => heatmap::draw(area, p)?,
            Panel::Bars(p) => bars::draw(area, p)?,
            Panel::Histogram(p) => histogram::draw(area, p)?,
        }
    }
    if legend_h > 0 {
        draw_legend(&legend, &fig.legend_entries(), fig.width)?;
    }
    Ok(())
}

/// Draws the legend's entries where [`legend::pack`] puts them, each its swatch and its text.
fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
    width: u32,
) -> DrawResult<DB> {
    let labels: Vec<&str> = entries.iter().map(|e| e.label.as_str()).collect();
    let label_style = text(sizes::LEGEND, BLACK);
    // The text's top, so that the middle of its capitals is level with the swatch: the baseline is 0.76 em
    // below the top and capitals are 0.73 em high.
    let rise = (0.4 * em_px(sizes::LEGEND)).round() as i32;
    for (e, &(x, row)) in entries.iter().zip(&legend::pack(&labels, width)) {
        let y = (legend::PAD / 2 + legend::ROW * row as u32 + legend::ROW / 2) as i32;
        let c = category(e.color);
        let style = c.stroke_width(sizes::LINE);
        if e.dot {
            area.draw(&Circle::new((x + 15, y), sizes::MARKER, c.filled()))?;
        } else if e.dotted {
            for k in 0..6 {
                area.draw(&PathElement::new(
                    vec![(x + k * 6, y), (x + k * 6 + 2, y)],
                    c.stroke_width(sizes::THIN_LINE),
                ))?;
            }
        } else if e.dashed {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + k * 12, y), (x + k * 12 + 8, y)], style))?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 32, y)], style))?;
        }
        area.draw(&Text::new(e.label.clone(), (x + legend::SWATCH as i32, y - rise), label_style.clone()))?;
    }
    Ok(())
}
