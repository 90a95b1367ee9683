//! What a figure must satisfy to be drawn and written ([`Figure::check`]): data that fit together, numbers
//! every axis can draw, and a size a bitmap can hold. The drawers rely on it; [`crate::render`],
//! [`crate::svg_string`] and [`Figure::to_csv`] call it first, so bad input is an error naming the panel and
//! the value, never a panic, a hang or an aborted allocation inside plotters.

use crate::figure::{
    BarPanel, Figure, HeatAxis, HeatmapPanel, HistogramPanel, LinePanel, Panel, Shade, XScale, YScale,
};

/// The largest magnitude of a value on a numeric axis (line points, bands, whiskers and fixed y-ranges; bar
/// values; histogram edges and densities; a heatmap's numeric edges and points, and its values and fixed
/// value-range on a linear colour scale).
///
/// plotters 0.3.7 never returns when an axis' span is not a finite number: a line from 1e308 to -1e308, or
/// from 0 to `f64::MAX` once padded by 5%, hung in its tick computation (it drew 0 to 1e308). 1e300 leaves
/// eight orders of magnitude for everything drawn from the data (the padding, a heatmap's outer half-gaps, a
/// histogram's headroom, tick steps), each within a factor of ten of the data's span. Tiny spans draw: a span
/// of one ulp around 1e-300, 1 or 1e300 was tried.
pub const MAX_AXIS_VALUE: f64 = 1e300;

/// The largest ratio of the largest to the smallest value on a logarithmic axis (300 decades): plotters 0.3.7
/// never returns when that ratio is not finite (a log axis from 1e-155 to 1e155 hung; 1e-154 to 1e154 drew),
/// and the axis is padded by a factor of 1.5 at either end.
pub const MAX_LOG_RATIO: f64 = 1e300;

/// The largest width and height of a figure, in pixels: about the most that image viewers and browsers open.
pub const MAX_SIDE: u32 = 32_768;

/// The largest number of pixels of a figure (width × height): the PNG is drawn into an RGB buffer of three
/// bytes a pixel, 150 MB at this size (a figure of 100,000 × 100,050 pixels had aborted the process on an
/// allocation of 30 GB).
pub const MAX_PIXELS: u64 = 50_000_000;

impl Figure {
    /// Checks that the figure can be drawn and written:
    ///
    /// - its size: at least one column; a width and a row height of at least one pixel, a width and total
    ///   height of at most [`MAX_SIDE`] and at most [`MAX_PIXELS`] pixels in all;
    /// - its data fit together: heatmap rows of one cell per x category (and as many rows as y categories,
    ///   and half-widths of the cells' shape); histogram edges one more than the densities; one bar value per
    ///   category;
    /// - its axes can be drawn: a fixed y-range or value-range finite, from low to high (positive on a log
    ///   axis or log colour scale); a shaded interval finite, from low to high; histogram edges and a
    ///   heatmap's numeric edges and points finite; every
    ///   finite value on a numeric axis at most [`MAX_AXIS_VALUE`] in magnitude, and on a log axis the largest
    ///   positive value at most [`MAX_LOG_RATIO`] times the smallest.
    ///
    /// Non-finite points, bar values and cells are not errors: they are not drawn (a panel with nothing left
    /// reads "no data"). [`crate::render`], [`crate::svg_string`] and [`Figure::to_csv`] call it first.
    ///
    /// # Errors
    /// [`crate::Error::Invalid`], naming the panel (or the size) and the value that does not fit, and what
    /// was expected.
    pub fn check(&self) -> crate::Result<()> {
        let bad = |message: String| crate::Error::Invalid { title: self.title.clone(), message };
        if self.columns == 0 {
            return Err(bad("0 columns; expected at least 1".into()));
        }
        check_size(self).map_err(bad)?;
        for (k, p) in self.panels.iter().enumerate() {
            let fits = match p {
                Panel::Lines(l) => check_lines(l),
                Panel::Heatmap(h) => check_heatmap(h),
                Panel::Histogram(h) => check_histogram(h),
                Panel::Bars(b) => check_bars(b),
            };
            fits.map_err(|m| bad(format!("panel {} ({:?}): {m}", k + 1, p.title())))?;
        }
        Ok(())
    }
}

/// A number as a message writes it: plainly (`0.5`, `1`), in scientific notation where plainly would be long
/// (`1e308`, not 309 digits).
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e16).contains(&v.abs()) { v.to_string() } else { format!("{v:e}") }
}

/// The figure's size in pixels: not zero, within [`MAX_SIDE`] a side and [`MAX_PIXELS`] in all.
fn check_size(fig: &Figure) -> Result<(), String> {
    let (w, h) = (fig.width, fig.height());
    if w == 0 || fig.row_height == 0 {
        return Err(format!("width {w} px, row height {} px; expected at least 1 px each", fig.row_height));
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!(
            "size {w} × {h} px (width × height, with {} px a row); expected at most {MAX_SIDE} px a side and \
             {MAX_PIXELS} pixels in all",
            fig.row_height
        ));
    }
    Ok(())
}

/// `values` (those drawn on an axis) within [`MAX_AXIS_VALUE`]; `what` names them in the message.
fn within_bounds(what: &str, values: impl IntoIterator<Item = f64>) -> Result<(), String> {
    match values.into_iter().find(|v| v.abs() > MAX_AXIS_VALUE) {
        Some(v) => Err(format!(
            "{what} {}; expected a magnitude of at most {} (an axis cannot draw larger values)",
            num(v),
            num(MAX_AXIS_VALUE)
        )),
        None => Ok(()),
    }
}

/// The positive `values` of a log axis span at most [`MAX_LOG_RATIO`].
fn log_span(what: &str, values: impl IntoIterator<Item = f64>) -> Result<(), String> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo <= hi && hi / lo > MAX_LOG_RATIO {
        return Err(format!(
            "{what} from {} to {} on a log axis; expected the largest at most {} times the smallest",
            num(lo),
            num(hi),
            num(MAX_LOG_RATIO)
        ));
    }
    Ok(())
}

/// A fixed range (`what` names it): finite, low < high, positive on a log scale; with `bounded` within
/// [`MAX_AXIS_VALUE`], and on a log scale within [`MAX_LOG_RATIO`] (the range is then the axis).
fn fixed_range(what: &str, (lo, hi): (f64, f64), log: bool, bounded: bool) -> Result<(), String> {
    let shown = format!("{what} ({}, {})", num(lo), num(hi));
    if !lo.is_finite() || !hi.is_finite() {
        return Err(format!("{shown}; expected finite ends"));
    }
    if lo >= hi {
        return Err(format!("{shown}; expected low < high"));
    }
    if log && lo <= 0.0 {
        return Err(format!("{shown} on a log scale; expected a positive low end"));
    }
    if bounded && (lo.abs() > MAX_AXIS_VALUE || hi.abs() > MAX_AXIS_VALUE) {
        return Err(format!(
            "{shown}; expected ends of a magnitude of at most {} (an axis cannot draw larger values)",
            num(MAX_AXIS_VALUE)
        ));
    }
    if bounded && log && hi / lo > MAX_LOG_RATIO {
        return Err(format!("{shown} on a log axis; expected high at most {} times low", num(MAX_LOG_RATIO)));
    }
    Ok(())
}

/// A shaded interval: finite ends, low ≤ high (drawn where it overlaps the x-axis).
fn check_shade(shade: Option<&Shade>) -> Result<(), String> {
    match shade {
        Some(s) if !(s.lo.is_finite() && s.hi.is_finite() && s.lo <= s.hi) => {
            Err(format!("shade {:?} ({}, {}); expected finite ends, low ≤ high", s.label, num(s.lo), num(s.hi)))
        }
        _ => Ok(()),
    }
}

fn check_lines(l: &LinePanel) -> Result<(), String> {
    let mut ys = Vec::new();
    for s in &l.series {
        let pts = l.extent(s);
        within_bounds(&format!("series {:?} has x =", s.label), pts.iter().map(|q| q.0))?;
        within_bounds(&format!("series {:?} has y =", s.label), pts.iter().map(|q| q.1))?;
        ys.extend(pts.iter().map(|q| q.1));
    }
    let log = l.y_scale == YScale::Log;
    match l.y_range {
        // A fixed range is the axis; otherwise the data are.
        Some(r) => fixed_range("y-range", r, log, true)?,
        None if log => log_span("y values", ys)?,
        None => {}
    }
    if let Some((lo, hi)) = l.x_span {
        let log = matches!(l.x_scale, XScale::Log { .. });
        if !(lo.is_finite() && hi.is_finite() && lo <= hi) || (log && lo <= 0.0) {
            let expected = if log { "finite, 0 < low ≤ high on a log axis" } else { "finite, low ≤ high" };
            return Err(format!("x-span ({lo}, {hi}); expected {expected}"));
        }
    }
    if let XScale::Log { base } = l.x_scale {
        // plotters counts an axis' powers of its base: base 1 makes that count infinite, and base 0 never ends.
        if base < 2 {
            return Err(format!("x-axis log base {base}; expected a base of at least 2"));
        }
        log_span("x values", l.series.iter().flat_map(|s| l.extent(s)).map(|q| q.0))?;
    }
    check_shade(l.shade.as_ref())
}

fn check_heatmap(h: &HeatmapPanel) -> Result<(), String> {
    if h.cells.len() != h.y.len() {
        return Err(format!("{} rows of cells for {} y labels", h.cells.len(), h.y.len()));
    }
    if let Some((j, row)) = h.cells.iter().enumerate().find(|(_, r)| r.len() != h.x.len()) {
        return Err(format!("row {j} has {} cells for {} x labels", row.len(), h.x.len()));
    }
    if let Some(w) = &h.half_widths
        && (w.len() != h.cells.len() || w.iter().zip(&h.cells).any(|(a, b)| a.len() != b.len()))
    {
        return Err("half-widths of another shape than the cells".into());
    }
    for (name, axis) in [("x", &h.x), ("y", &h.y)] {
        let (HeatAxis::Edges(v) | HeatAxis::Points(v)) = axis else { continue };
        let kind = if matches!(axis, HeatAxis::Edges(_)) { "edges" } else { "points" };
        if let Some((i, e)) = v.iter().enumerate().find(|(_, e)| !e.is_finite()) {
            return Err(format!("{name}-axis {kind}[{i}] is {}; expected a finite number", num(*e)));
        }
        within_bounds(&format!("{name}-axis {kind} reach"), v.iter().copied())?;
    }
    if let Some(r) = h.value_range {
        // On a log colour scale the bar runs over log10 of the range: any positive range has one.
        fixed_range("value-range", r, h.log_color, !h.log_color)?;
    }
    if !h.log_color {
        // Log colours are drawn by log10 of the value: any finite value has one an axis can draw.
        within_bounds("a cell has the value", h.cells.iter().flatten().copied().filter(|v| v.is_finite()))?;
    }
    Ok(())
}

fn check_histogram(h: &HistogramPanel) -> Result<(), String> {
    check_shade(h.shade.as_ref())?;
    if h.density.is_empty() {
        return Ok(());
    }
    if h.edges.len() != h.density.len() + 1 {
        return Err(format!(
            "{} edges for {} densities; expected one more edge than densities",
            h.edges.len(),
            h.density.len()
        ));
    }
    if let Some((i, e)) = h.edges.iter().enumerate().find(|(_, e)| !e.is_finite()) {
        return Err(format!("edges[{i}] is {}; expected a finite number", num(*e)));
    }
    within_bounds("edges reach", h.edges.iter().copied())?;
    within_bounds("a density of", h.density.iter().copied().filter(|d| d.is_finite()))
}

fn check_bars(b: &BarPanel) -> Result<(), String> {
    let ok = |v: &f64| v.is_finite() && (!b.y_log || *v > 0.0);
    for g in &b.groups {
        if g.values.len() != b.categories.len() {
            return Err(format!(
                "group {:?} has {} values for {} categories",
                g.label,
                g.values.len(),
                b.categories.len()
            ));
        }
        let vals = g.values.iter().flat_map(|v| [v.0, v.1, v.2]).filter(ok);
        within_bounds(&format!("group {:?} has a value of", g.label), vals)?;
    }
    if b.y_log {
        log_span("values", b.groups.iter().flat_map(|g| g.values.iter().flat_map(|v| [v.0, v.1, v.2])).filter(ok))?;
    }
    Ok(())
}
