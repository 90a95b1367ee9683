//! What every panel drawer shares: the font family and text styles, tick labels, the fitted axis range,
//! the "no data" panel and the corner note. This file imports nothing from the rest of the crate, so the
//! panel drawers and the figure frame can all use it without import cycles.

use plotters::coord::Shift;
use plotters::prelude::*;

/// The font family every text uses: registered from the embedded TTF (DejaVu Sans) by the renderer, and
/// written as the SVG's `font-family`, so a browser draws the same font (Bitstream Vera Sans has the same
/// metrics; Verdana, then any sans-serif, only where neither is installed).
pub const FONT: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";

/// Result of drawing on a backend.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A text style of the given size (pixels) and colour, in the embedded font.
pub fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    TextStyle { font: (FONT, size).into_font(), color: color.to_backend_color(), pos: Default::default() }
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

/// Draws `note` (one line per `\n`) in the top-left corner of the plotting region of a panel.
pub fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> DrawResult<DB> {
    for (i, line) in note.lines().enumerate() {
        area.draw(&Text::new(line.to_string(), (90, 44 + 18 * i as i32), text(14.0, RGBColor(40, 40, 40))))?;
    }
    Ok(())
}

/// The finite range of `values` padded by 5% (or ±1 around a single value; ×/÷ 1.5 on a log axis, where
/// non-positive values are ignored), as (low, high); None when nothing is left.
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

/// How many axis spans beyond its ends [`near_axis`] lets a coordinate lie: plotters maps a coordinate to
/// pixels in `i32` arithmetic, which overflowed (a panic in debug builds) for a line at y = 1e7 on a fixed
/// y-range of 0 to 1; 1000 spans are at most 1000 × 32,768 pixels. A segment to a point clamped there
/// leaves the plotting area within a thousandth of the panel of where the unclamped one would.
const REACH: f64 = 1000.0;

/// A coordinate clamped to within [`REACH`] spans of the axis `lo..hi` (of its logarithms on a log axis,
/// where `lo` is positive), so that plotters can map it to pixels; NaN stays NaN.
pub fn near_axis(lo: f64, hi: f64, log: bool) -> impl Fn(f64) -> f64 {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let (min, max) = if log {
        let (l, h) = (lo.ln(), hi.ln());
        ((l - REACH * (h - l)).exp(), (h + REACH * (h - l)).exp())
    } else {
        (lo - REACH * (hi - lo), hi + REACH * (hi - lo))
    };
    move |v: f64| if v.is_nan() { v } else { v.max(min).min(max) }
}

/// [`fmt_tick`] on a linear axis spanning `lo..hi`: a tick within float noise of 0 (a billionth of the span)
/// reads 0, where a computed tick like 2e-19 had read "2e-19".
pub fn fmt_tick_on(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let noise = 1e-9 * (hi - lo).abs();
    move |v: &f64| if v.abs() < noise { "0".into() } else { fmt_tick(v) }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tick within float noise of 0 on a linear axis reads 0 (the γ/β figure's β axis read "2e-19").
    #[test]
    fn a_tick_at_float_noise_reads_zero() {
        let f = fmt_tick_on(-0.02, 0.02);
        assert_eq!(f(&2e-19), "0");
        assert_eq!(f(&-3e-18), "0");
        assert_eq!(f(&0.01), "0.01");
        assert_eq!(fmt_tick_on(0.0, 0.0)(&1e-13), "1e-13", "no span (a log axis): nothing snaps");
    }
}
