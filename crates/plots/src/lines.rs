//! Line panels: lines with 95% bands, whiskers, markers, dashed theory lines and a shaded interval.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use crate::figure::{LinePanel, Series, XScale, YScale};
use crate::palette::{REFERENCE, category};
use crate::primitives::{
    DrawResult, axis_ticks, mantissa_ticks, near_axis, no_data, note, padded_range, panel_chart, power_ticks, text,
};
use crate::sizes;
use crate::sqrt_scale::{SqrtRange, sqrt_ticks};

/// Draws a line panel (or "no data" when nothing is finite).
pub fn draw<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &LinePanel) -> DrawResult<DB> {
    // Ranges come from fully finite points only (a point with one NaN coordinate is not drawn).
    let pts: Vec<(f64, f64)> = p.series.iter().flat_map(|s| p.extent(s)).collect();
    // x values that are all whole numbers (layers, depths, steps) get whole ticks only.
    let whole = pts.iter().all(|q| q.0.fract() == 0.0);
    // A log axis of a few values (depths 2, 4, 8, 16, 24, 32, 50; learning rates 0.01, 0.03, 0.1, 0.3) is
    // ticked at those values: plotters ticks the whole powers of the base only, which left 24 and 50, and the
    // rates 0.03 and 0.3 (the chosen one among them), unlabelled.
    // The data's x values and the span the panel shares with others, if any (only where there are data).
    let span = p.x_span.filter(|_| !pts.is_empty());
    let keys = data_ticks(p.x_scale, &pts, span);
    let xs = || pts.iter().map(|q| q.0).chain(span.into_iter().flat_map(|(lo, hi)| [lo, hi]));
    let xr = match (&keys, p.x_scale) {
        // Ticked at its values, an axis needs no powers of the base in its range: padded by 5% of its span
        // (10% for series side by side, whose outer ones are drawn beyond the first and the last value).
        (Some(k), _) => {
            let (lo, hi) = span.map_or((k[0], k[k.len() - 1]), |(lo, hi)| (lo.min(k[0]), hi.max(k[k.len() - 1])));
            Some(log_padded(lo, hi, if p.dodge { 0.1 } else { 0.05 }))
        }
        (None, XScale::Log { base }) => padded_range(xs(), true).map(|r| with_two_powers(f64::from(base), r)),
        (None, XScale::Linear) => padded_range(xs(), false),
    };
    let log = p.y_scale == YScale::Log;
    let yr = p.y_range.filter(|_| !pts.is_empty()).or_else(|| padded_range(pts.iter().map(|q| q.1), log));
    let (Some(xr), Some(yr)) = (xr, yr) else {
        return no_data(area, &p.title);
    };
    let mut builder = panel_chart(area, &p.title, sizes::Y_LABEL_AREA);
    // A log y-axis within a decade is ticked between its powers ([`mantissa_ticks`]).
    let y_keys = if log { mantissa_ticks(yr.0, yr.1) } else { None };
    // Whether the x ticks are labelled as whole numbers: a linear axis of whole numbers (a log axis ticked at its
    // values is labelled with them, `keys`).
    let whole = p.x_scale == XScale::Linear && whole;
    let k = keys.as_deref();
    // One chart type per pair of scales; `body` draws on any of them.
    macro_rules! on {
        ($x:expr) => {
            match p.y_scale {
                YScale::Log => match &y_keys {
                    None => body(&mut builder.build_cartesian_2d($x, (yr.0..yr.1).log_scale())?, p, yr, whole, k)?,
                    Some(yk) => {
                        let y = (yr.0..yr.1).log_scale().with_key_points(yk.clone());
                        body(&mut builder.build_cartesian_2d($x, y)?, p, yr, whole, k)?
                    }
                },
                YScale::Sqrt => {
                    body(&mut builder.build_cartesian_2d($x, SqrtRange::new(yr.0, yr.1))?, p, yr, whole, k)?
                }
                YScale::Linear => body(&mut builder.build_cartesian_2d($x, yr.0..yr.1)?, p, yr, whole, k)?,
            }
        };
    }
    match (p.x_scale, &keys) {
        (XScale::Linear, _) => on!(xr.0..xr.1),
        (XScale::Log { base }, None) => on!((xr.0..xr.1).log_scale().base(f64::from(base))),
        (XScale::Log { base }, Some(xk)) => {
            on!((xr.0..xr.1).log_scale().base(f64::from(base)).with_key_points(xk.clone()))
        }
    }
    if let Some(n) = &p.note {
        note(area, n)?;
    }
    Ok(())
}

/// At most this many distinct values on a log axis are each ticked ([`data_ticks`]).
const MAX_DATA_TICKS: usize = 8;

/// The ticks of a log x-axis of at most [`MAX_DATA_TICKS`] distinct values, with the ends of the `span` it
/// shares with other panels (so that they tick them too): those values, in order. `None` for any other
/// axis, which keeps plotters' own ticks.
fn data_ticks(scale: XScale, pts: &[(f64, f64)], span: Option<(f64, f64)>) -> Option<Vec<f64>> {
    if scale == XScale::Linear {
        return None;
    }
    let mut xs: Vec<f64> = pts.iter().map(|q| q.0).chain(span.into_iter().flat_map(|(lo, hi)| [lo, hi])).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    (!xs.is_empty() && xs.len() <= MAX_DATA_TICKS).then_some(xs)
}

/// A log axis' range from `lo` to `hi` (positive), padded by `share` of its span in logarithms at either
/// end, or by a factor of 1.5 around a single value.
fn log_padded(lo: f64, hi: f64, share: f64) -> (f64, f64) {
    let factor = if lo == hi { 1.5 } else { (hi / lo).powf(share) };
    (lo / factor, hi * factor)
}

/// A log axis' range widened, where it holds fewer than two whole powers of `base`, to the powers around
/// it: plotters ticks a log axis at whole powers only, so a grid within one decade (a single learning rate
/// 0.03: 0.02–0.045) had no tick at all.
fn with_two_powers(base: f64, (lo, hi): (f64, f64)) -> (f64, f64) {
    let exponent = |v: f64| v.ln() / base.ln();
    let (a, b) = (exponent(lo).ceil(), exponent(hi).floor());
    // A little past the powers, so that rounding in plotters' own powers cannot leave one out.
    if b - a >= 1.0 { (lo, hi) } else { (lo.min(base.powf(a - 1.0) / 1.05), hi.max(base.powf(b + 1.0) * 1.05)) }
}

/// The label of a tick of an axis ticked at its values `keys` ([`data_ticks`]): the value it stands for, in the
/// shortest form that reads back as it (0.03, 24, 1e-5), found as the nearest key, since the log transform
/// may hand the value back a rounding off.
fn key_label(keys: &[f64], v: f64) -> String {
    let shortest =
        |k: f64| if k != 0.0 && (k.abs() < 1e-4 || k.abs() >= 1e6) { format!("{k:e}") } else { format!("{k}") };
    keys.iter().copied().find(|&k| (v / k - 1.0).abs() < 1e-9).map(shortest).unwrap_or_default()
}

fn body<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    p: &LinePanel,
    yr: (f64, f64),
    whole_x: bool,
    x_keys: Option<&[f64]>,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let x_range = chart.x_range();
    // x values that are all whole numbers (layers, depths, steps) get whole ticks only: a layer axis from 1
    // to 3 read 1.2, 1.4, …. On a log axis they are the values themselves ([`data_ticks`]).
    let whole_ticks = || {
        let format = axis_ticks(x_range.start, x_range.end, false);
        move |v: &f64| if (v - v.round()).abs() > 1e-9 { String::new() } else { format(&v.round()) }
    };
    let x_ticks: Box<dyn Fn(&f64) -> String> = match (p.x_scale, x_keys) {
        (XScale::Log { .. }, Some(keys)) => {
            let keys = keys.to_vec();
            Box::new(move |v: &f64| key_label(&keys, *v))
        }
        _ if whole_x => Box::new(whole_ticks()),
        (XScale::Log { base }, None) => Box::new(power_ticks(f64::from(base), x_range.start, x_range.end)),
        (XScale::Linear, _) => Box::new(axis_ticks(x_range.start, x_range.end, false)),
    };
    let log = p.y_scale == YScale::Log;
    let y_ticks: Box<dyn Fn(&f64) -> String> = if p.y_scale == YScale::Sqrt {
        // Ticks of one significant digit: one notation for the lot, chosen from the smallest above 0.
        let ticks = sqrt_ticks(yr.0, yr.1);
        let smallest = ticks.iter().copied().find(|&t| t > 0.0).unwrap_or(1.0);
        Box::new(axis_ticks(smallest, yr.1, true))
    } else {
        Box::new(axis_ticks(yr.0, yr.1, log))
    };
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .axis_desc_style(text(sizes::AXIS_DESC, BLACK))
        .label_style(text(sizes::TICK, BLACK))
        .x_labels(8)
        // plotters' faint lines on a log axis fall at 1.2, 1.4, … times each power: right for base 10, but on
        // base 2 they run into the next power, unevenly.
        .x_max_light_lines(match p.x_scale {
            XScale::Log { base } if base != 10 => 0,
            _ => 10,
        })
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    let ok = |y: f64| p.y_drawable(y);
    // The x-axis is fitted to the data; a fixed y-range may leave values far outside it, which plotters cannot
    // map to pixels: they are drawn clamped near the axis (outside the plotting area all the same).
    let y = near_axis(yr.0, yr.1, log);
    if let Some(s) = &p.shade {
        // The shade is drawn where it overlaps the axis.
        let (lo, hi) = (s.lo.max(x_range.start).min(x_range.end), s.hi.max(x_range.start).min(x_range.end));
        chart.draw_series(std::iter::once(Rectangle::new(
            [(lo, yr.0), (hi, yr.1)],
            RGBColor(120, 120, 120).mix(0.18).filled(),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            s.label.clone(),
            (lo, yr.1),
            text(sizes::NOTE, RGBColor(60, 60, 60)),
        )))?;
    }
    // Reference lines (a target, a threshold, a theory curve) beneath the data, which they would hide.
    let (reference, data): (Vec<&Series>, Vec<&Series>) = p.series.iter().partition(|s| s.color == REFERENCE);
    // Series side by side: each data series' x values moved by its offset in pixels.
    let width = f64::from(chart.plotting_area().dim_in_pixel().0.max(1));
    let offsets = if p.dodge { dodge_offsets(p, &data, (x_range.start, x_range.end), width) } else { Vec::new() };
    let offsets = std::iter::repeat_n(0.0, reference.len()).chain(offsets.into_iter().chain(std::iter::repeat(0.0)));
    let drawn: Vec<&Series> = reference.into_iter().chain(data).collect();
    // Dots on one point become rings, unless the series are drawn side by side (then they are apart).
    let rings = if p.dodge { vec![None; drawn.len()] } else { ring_radii(&drawn) };
    for ((s, ring), px) in drawn.into_iter().zip(rings).zip(offsets) {
        let c = category(s.color);
        let at = |x: f64| shifted(p.x_scale, (x_range.start, x_range.end), width, x, px);
        let band: Vec<(f64, f64, f64)> = s
            .band
            .iter()
            .copied()
            .filter(|b| p.x_drawable(b.0) && ok(b.1) && ok(b.2))
            .map(|b| (at(b.0), b.1, b.2))
            .collect();
        if band.len() >= 2 {
            let mut poly: Vec<(f64, f64)> = band.iter().map(|b| (b.0, y(b.2))).collect();
            poly.extend(band.iter().rev().map(|b| (b.0, y(b.1))));
            chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled())))?;
        }
        let pts: Vec<(f64, f64)> =
            s.points.iter().copied().filter(|q| p.x_drawable(q.0) && ok(q.1)).map(|q| (at(q.0), y(q.1))).collect();
        let style = c.stroke_width(sizes::LINE);
        if s.no_line {
        } else if s.dotted {
            let thin = c.stroke_width(sizes::THIN_LINE);
            chart.draw_series(DashedLineSeries::new(pts.clone(), 2, 5, thin))?;
        } else if s.dashed {
            chart.draw_series(DashedLineSeries::new(pts.clone(), 12, 7, style))?;
        } else {
            chart.draw_series(LineSeries::new(pts.clone(), style))?;
        }
        if s.markers {
            chart.draw_series(pts.iter().map(|&q| Circle::new(q, ring.unwrap_or(sizes::MARKER), c.filled())))?;
        }
        chart.draw_series(
            s.error_bars
                .iter()
                .filter(|b| p.x_drawable(b.0) && ok(b.1) && ok(b.2))
                // The whisker's middle mark at the series' own point (the mean), not at the middle of an
                // interval that may have been clipped.
                .map(|&(x, lo, hi)| {
                    let mid = s.points.iter().find(|q| q.0 == x).map_or((lo + hi) / 2.0, |q| q.1);
                    let style = c.stroke_width(sizes::LINE);
                    ErrorBar::new_vertical(at(x), y(lo), y(mid), y(hi), style, sizes::WHISKER_CAP)
                }),
        )?;
    }
    Ok(())
}

/// The offsets in pixels of `data`, a dodged panel's series in drawing order: [`sizes::DODGE`] apart, centred
/// on 0, closer where the x values are closer (the whole spread at most 60% of the narrowest gap between
/// two of them, on an axis `width` pixels wide over `range`) or near an end of the axis (the outermost
/// whisker caps stay inside it).
fn dodge_offsets(p: &LinePanel, data: &[&Series], range: (f64, f64), width: f64) -> Vec<f64> {
    let n = data.len();
    let mut xs: Vec<f64> =
        data.iter().flat_map(|s| s.points.iter().map(|q| q.0)).filter(|&x| p.x_drawable(x)).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let pixel = |x: f64| position(p.x_scale, range, x) * width;
    let narrowest = xs.windows(2).map(|w| pixel(w[1]) - pixel(w[0])).fold(f64::INFINITY, f64::min);
    // Room between the outermost values and the axis' ends, less half a cap and its stroke.
    let room = match (xs.first(), xs.last()) {
        (Some(&first), Some(&last)) => pixel(first).min(width - pixel(last)),
        _ => 0.0,
    } - (f64::from(sizes::WHISKER_CAP) / 2.0 + f64::from(sizes::LINE));
    let step = if n > 1 {
        let spread = (n - 1) as f64;
        sizes::DODGE.min(0.6 * narrowest / spread).min(2.0 * room.max(0.0) / spread)
    } else {
        0.0
    };
    (0..n).map(|i| (i as f64 - (n - 1) as f64 / 2.0) * step).collect()
}

/// Where `x` lies on an axis over `range`, as a share of its length (0 at the start, 1 at the end).
fn position(scale: XScale, (lo, hi): (f64, f64), x: f64) -> f64 {
    match scale {
        XScale::Linear => (x - lo) / (hi - lo),
        XScale::Log { .. } => (x / lo).ln() / (hi / lo).ln(),
    }
}

/// The value drawn `px` pixels right of `x` on an axis `width` pixels wide over `range` (`x` itself for 0).
fn shifted(scale: XScale, (lo, hi): (f64, f64), width: f64, x: f64, px: f64) -> f64 {
    if px == 0.0 {
        return x;
    }
    match scale {
        XScale::Linear => x + (hi - lo) * px / width,
        XScale::Log { .. } => x * (hi / lo).powf(px / width),
    }
}

/// How much a marker grows per dot beneath it in [`ring_radii`], in pixels.
const RING: i32 = 3;

/// The marker radius of each series that is a single dot (markers, no line, one point) sharing its point with
/// other such dots, in drawing order: the first drawn the largest, each later one [`RING`] pixels smaller, so
/// that dots on one point show as nested rings, every colour visible (three curves reaching a target at the
/// same step had shown one dot). `None` for every other series.
fn ring_radii(series: &[&Series]) -> Vec<Option<i32>> {
    let dot = |s: &Series| (s.markers && s.no_line && s.points.len() == 1).then(|| s.points[0]);
    let points: Vec<Option<(f64, f64)>> = series.iter().map(|s| dot(s)).collect();
    points
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let q = (*q)?;
            let same = |r: &Option<(f64, f64)>| *r == Some(q);
            let (before, total) =
                (points[..i].iter().filter(|r| same(r)).count(), points.iter().filter(|r| same(r)).count());
            (total > 1).then(|| sizes::MARKER + RING * (total - 1 - before) as i32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dodged panel's series are drawn `DODGE` pixels apart around their values, closer where the values are
    /// closer (at most 60% of the narrowest gap in all) or an end of the axis is near, and moved on a log axis
    /// by a factor: whiskers of three curves at depths 2, 4, 8, 16 had been drawn on one another.
    #[test]
    fn dodged_series_sit_side_by_side() {
        let curve = |xs: &[f64]| Series { points: xs.iter().map(|&x| (x, 0.5)).collect(), ..Default::default() };
        let depths = curve(&[2.0, 4.0, 8.0, 16.0]);
        let log = LinePanel { x_scale: XScale::Log { base: 2 }, dodge: true, ..Default::default() };
        let (range, width) = ((1.6, 20.0), 300.0);
        let three = [&depths, &depths, &depths];
        assert_eq!(dodge_offsets(&log, &three, range, width), [-sizes::DODGE, 0.0, sizes::DODGE]);
        assert_eq!(dodge_offsets(&log, &three[..1], range, width), [0.0]);
        // Eight curves: closer, so that the outermost caps stay inside the axis (2 lies 26.5 px from its start).
        let eight = [&depths; 8];
        let o = dodge_offsets(&log, &eight, range, width);
        let first = position(XScale::Log { base: 2 }, range, 2.0) * width;
        let cap = f64::from(sizes::WHISKER_CAP) / 2.0 + f64::from(sizes::LINE);
        assert!(o[0] < 0.0 && (first + o[0] - cap).abs() < 1e-9, "the first cap ends at the axis: {o:?}");
        // Values 1% apart on a linear axis of 300 px over 0–10: 3 px apart, so the three spread over 1.8 px.
        let close = curve(&[5.0, 5.1]);
        let linear = LinePanel { dodge: true, ..Default::default() };
        let o = dodge_offsets(&linear, &[&close, &close, &close], (0.0, 10.0), width);
        assert!((o[2] - o[0] - 0.6 * 3.0).abs() < 1e-9, "{o:?}");
        // 10 px right on a log axis of 300 px from 1.6 to 20 is a factor (20/1.6)^(1/30); on a linear one, 1/30
        // of its span; 0 px leaves the value as it is.
        let moved = shifted(XScale::Log { base: 2 }, range, width, 4.0, 10.0);
        assert!((moved / 4.0 - 12.5f64.powf(1.0 / 30.0)).abs() < 1e-12);
        assert!(
            (position(XScale::Log { base: 2 }, range, moved) * width
                - position(XScale::Log { base: 2 }, range, 4.0) * width
                - 10.0)
                .abs()
                < 1e-9
        );
        assert_eq!(shifted(XScale::Linear, (0.0, 10.0), width, 4.0, 30.0), 5.0);
        assert_eq!(shifted(XScale::Linear, (0.0, 10.0), width, 4.0, 0.0), 4.0);
    }

    /// Dots on one point are nested rings, the first drawn the largest; a lone dot and a line keep the
    /// marker's size (three curves reaching a target at one step had shown one dot).
    #[test]
    fn coincident_dots_become_rings() {
        let dot = |x: f64| Series { markers: true, no_line: true, points: vec![(x, 0.8)], ..Default::default() };
        let line = Series { markers: true, points: vec![(111.0, 0.8), (200.0, 0.9)], ..Default::default() };
        let (a, b, c, d) = (dot(111.0), dot(111.0), dot(74.0), dot(111.0));
        let radii = ring_radii(&[&a, &line, &b, &c, &d]);
        let m = sizes::MARKER;
        assert_eq!(radii, vec![Some(m + 2 * RING), None, Some(m + RING), None, Some(m)]);
    }
}
