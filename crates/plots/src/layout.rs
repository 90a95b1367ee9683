//! The frame every figure shares: title, a grid of panels, a legend band below them, "no data" panels.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::figure::{Figure, Panel};
use crate::palette::category;

/// Height of the title strip.
pub const TITLE_HEIGHT: u32 = 50;

/// The font family every text uses (registered from the embedded TTF).
pub const FONT: &str = "sans-serif";

/// Result of drawing on a backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A text style of the given size and colour.
pub fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle { font: (FONT, size).into_font(), color: color.to_backend_color(), pos: Default::default() }
}

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
            Panel::Lines(p) => crate::lines::draw(area, p)?,
            Panel::Heatmap(p) => crate::heatmap::draw(area, p)?,
            Panel::Bars(p) => crate::bars::draw(area, p)?,
            Panel::Histogram(p) => crate::histogram::draw(area, p)?,
        }
    }
    if legend_h > 0 {
        draw_legend(&legend, &fig.legend_entries())?;
    }
    Ok(())
}

fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, usize, bool)]) -> DrawResult<DB> {
    let (w, _) = area.dim_in_pixel();
    let per_row = 5;
    let col_w = (w as i32 - 40) / per_row;
    for (i, (label, color, dashed)) in entries.iter().enumerate() {
        let (x, y) = (20 + (i as i32 % per_row) * col_w, 8 + (i as i32 / per_row) * 26 + 10);
        let style = category(*color).stroke_width(3);
        if *dashed {
            for k in 0..3 {
                area.draw(&PathElement::new(vec![(x + k * 11, y), (x + k * 11 + 7, y)], style))?;
            }
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 28, y)], style))?;
        }
        area.draw(&Text::new(label.clone(), (x + 36, y - 8), text(14.0, BLACK)))?;
    }
    Ok(())
}

/// A framed panel saying "no data" under its title.
pub fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new([(12, 36), (w - 12, h - 12)], RGBColor(180, 180, 180).stroke_width(1)))?;
    area.draw(&Text::new(title.to_string(), (16, 10), text(17.0, BLACK)))?;
    area.draw(&Text::new("no data".to_string(), (w / 2 - 30, h / 2), text(18.0, RGBColor(120, 120, 120))))?;
    Ok(())
}

/// Draws `note` in the top-left corner of the plotting region of a panel.
pub fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> DrawResult<DB> {
    for (i, line) in note.lines().enumerate() {
        area.draw(&Text::new(line.to_string(), (90, 44 + 18 * i as i32), text(14.0, RGBColor(40, 40, 40))))?;
    }
    Ok(())
}

/// The finite range of `values` padded by 5% (or ±1 around a single value); None when empty.
pub fn padded_range(values: impl IntoIterator<Item = f64>, log: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values {
        if v.is_finite() && (!log || v > 0.0) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if lo > hi {
        return None;
    }
    if log {
        return Some((lo / 1.5, hi * 1.5));
    }
    if lo == hi {
        return Some((lo - 1.0, hi + 1.0));
    }
    let pad = 0.05 * (hi - lo);
    Some((lo - pad, hi + pad))
}

/// A compact tick label: integers without decimals, up to 4 significant decimals otherwise, and
/// scientific notation for very large or small magnitudes (so float noise like 9.999999e-5 reads 1e-4).
pub fn fmt_tick(v: &f64) -> String {
    let v = *v;
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { v.to_string() };
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.0e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}
