//! The frame every figure shares: the title strip, a grid of panels (each drawn by its panel drawer),
//! and the legend band below them.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{Figure, LegendEntry, Panel, TITLE_HEIGHT};
use crate::palette::category;
use crate::primitives::{DrawResult, no_data, text};
use crate::{bars, heatmap, histogram, lines};

/// Draws the whole figure on `root`.
pub fn draw_figure<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, fig: &Figure) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (_, h) = root.dim_in_pixel();
    let (title, rest) = root.split_vertically(TITLE_HEIGHT);
    title.draw(&Text::new(fig.title.clone(), (20, 14), text(24.0, BLACK)))?;
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
        draw_legend(&legend, &fig.legend_entries())?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[LegendEntry]) -> DrawResult<DB> {
    let (w, _) = area.dim_in_pixel();
    let per_row = 5;
    let col_w = (w as i32 - 40) / per_row;
    for (i, e) in entries.iter().enumerate() {
        let (x, y) = (20 + (i as i32 % per_row) * col_w, 8 + (i as i32 / per_row) * 26 + 10);
        let style = category(e.color).stroke_width(3);
        if e.dot {
            area.draw(&Circle::new((x + 14, y), 5, category(e.color).filled()))?;
        } else if e.dashed {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + k * 11, y), (x + k * 11 + 7, y)], style))?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], style))?;
        }
        area.draw(&Text::new(e.label.clone(), (x + 36, y - 8), text(14.0, BLACK)))?;
    }
    Ok(())
}
