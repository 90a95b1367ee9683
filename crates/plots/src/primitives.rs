//! What every panel drawer shares: the font family and text styles, tick labels, the fitted axis range,
//! the "no data" panel and the corner note. This file imports only [`crate::sizes`] and [`crate::typeset`]
//! (which import nothing) from the rest of the crate, so the panel drawers and the figure frame can all use
//! it without import cycles.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::sizes;
use crate::typeset::{advance, em_px};

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

/// A chart on `area` laid out as every panel is: its title at [`title_style`]'s size, the panel margin, and
/// room for the x-axis labels and `y_label_area` pixels for the y-axis labels ([`sizes`]).
pub fn panel_chart<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, title_style(title, area.dim_in_pixel().0))
        .margin(sizes::PANEL_MARGIN)
        .x_label_area_size(sizes::X_LABEL_AREA)
        .y_label_area_size(y_label_area);
    builder
}

/// The smallest size a panel title is shrunk to.
const MIN_TITLE: f64 = 12.0;

/// The style of a panel's title in a panel `width` pixels wide: [`sizes::PANEL_TITLE`], or smaller, down
/// to 12, where the title would not fit in the width less its margins (a long E3 title such as "relu, lr 1,
/// bias 0, BN none (3 of 5 runs, 2 diverged)" ran past both edges of its panel).
pub fn title_style(title: &str, width: u32) -> TextStyle<'static> {
    let room = f64::from(width) - 2.0 * f64::from(sizes::PANEL_MARGIN);
    let mut size = sizes::PANEL_TITLE;
    // Widths are nearly proportional to the size (glyph positions round): scale, then step down until it fits.
    let full = advance(title, em_px(size));
    if full > room && full > 0.0 {
        size = (size * room / full).max(MIN_TITLE);
        while size > MIN_TITLE && advance(title, em_px(size)) > room {
            size = (size - 0.25).max(MIN_TITLE);
        }
    }
    text(size, BLACK)
}

/// A framed panel saying "no data" under its title.
pub fn no_data<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, title: &str) -> DrawResult<DB> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as i32, h as i32);
    area.draw(&Rectangle::new([(12, 36), (w - 12, h - 12)], RGBColor(180, 180, 180).stroke_width(1)))?;
    area.draw(&Text::new(title.to_string(), (16, 10), title_style(title, w as u32)))?;
    area.draw(&Text::new("no data".to_string(), (w / 2 - 36, h / 2), text(sizes::NO_DATA, RGBColor(120, 120, 120))))?;
    Ok(())
}

/// Pixels from one line of a [`note`] to the next.
pub const NOTE_LINE: f64 = 22.0;

/// Draws `note` (one line per `\n`) in the top-left corner of the plotting region of a panel.
pub fn note<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, note: &str) -> DrawResult<DB> {
    for (i, line) in note.lines().enumerate() {
        let y = 48 + NOTE_LINE as i32 * i as i32;
        area.draw(&Text::new(
            line.to_string(),
            (sizes::Y_LABEL_AREA as i32 + 24, y),
            text(sizes::NOTE, RGBColor(40, 40, 40)),
        ))?;
    }
    Ok(())
}

/// The finite range of `values` padded by 5% (5% of a single value either side, ±1 around a single 0; ×/÷ 1.5
/// on a log axis, where non-positive values are ignored), as (low, high); None when nothing is left.
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
        // One value: 5% of it either side (an accuracy of 1 had an axis from 0 to 2), 1 either side of 0.
        let pad = if lo == 0.0 { 1.0 } else { 0.05 * lo.abs() };
        return Some((lo - pad, hi + pad));
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

/// How an axis' tick labels read: all in one notation, chosen from the axis' range, so a label never reads
/// "4e-4" beside "-0.001" or "0.001" beside "1e-5".
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TickFormat {
    /// Plain decimals, with at most this many places (trailing zeros trimmed).
    Plain(usize),
    /// Scientific notation (`1.5e-4`), with the mantissa resolving a tenth of the tick step's order of
    /// magnitude (`step` 0 on a log axis: two significant digits at most).
    Scientific {
        /// The expected spacing of ticks (0 on a log axis, where ticks are spaced by ratios).
        step: f64,
    },
}

/// The largest magnitude drawn in plain decimals; from here on, scientific notation.
const PLAIN_MAX: f64 = 1e5;
/// The smallest magnitude (of the axis' largest end) drawn in plain decimals.
const PLAIN_MIN: f64 = 1e-3;
/// The most decimal places a plain label takes; an axis that needs more reads in scientific notation. A
/// narrow axis away from 0 needs many (0.9999 to 1.0002 ticks every 5e-5): its labels must still differ.
const MAX_DECIMALS: usize = 10;

impl TickFormat {
    /// The format of an axis spanning `lo..hi` (on a log axis both positive): scientific where its largest
    /// magnitude is below 1e-3 or from 1e5 on, or where its ticks would need more than ten decimals (or,
    /// on a log axis, where it reaches below 1e-3); plain otherwise, with as many places as a tenth of the
    /// span needs.
    pub fn for_axis(lo: f64, hi: f64, log: bool) -> TickFormat {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        let m = lo.abs().max(hi.abs());
        if !m.is_finite() || m == 0.0 {
            return TickFormat::Plain(MAX_DECIMALS);
        }
        if log {
            if lo < PLAIN_MIN || hi >= PLAIN_MAX {
                return TickFormat::Scientific { step: 0.0 };
            }
            return TickFormat::Plain(places(lo / 10.0).min(MAX_DECIMALS));
        }
        // Plotters puts 5 to 10 ticks on an axis: a step of about a tenth of the span.
        let step = (hi - lo) / 10.0;
        let decimals = if step > 0.0 { places(step) } else { places(m / 10.0) };
        if !(PLAIN_MIN..PLAIN_MAX).contains(&m) || decimals > MAX_DECIMALS {
            TickFormat::Scientific { step: if step > 0.0 { step } else { m / 10.0 } }
        } else {
            TickFormat::Plain(decimals)
        }
    }

    /// The label of the tick at `v`.
    pub fn label(&self, v: f64) -> String {
        if v == 0.0 {
            return "0".into();
        }
        if !v.is_finite() {
            return v.to_string();
        }
        match *self {
            TickFormat::Plain(d) => {
                let s = format!("{v:.d$}");
                let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
                if s == "-0" { "0".into() } else { s.to_string() }
            }
            TickFormat::Scientific { step } => {
                let exp = v.abs().log10().floor();
                // As many mantissa digits as the step needs, so that neighbouring ticks read differently.
                let digits = if step > 0.0 { (exp - step.log10().floor()).clamp(0.0, 15.0) as usize } else { 1 };
                let s = format!("{v:.digits$e}");
                // Trim the mantissa's trailing zeros: "1.0e-4" reads "1e-4".
                match s.split_once('e') {
                    Some((m, e)) if m.contains('.') => format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.')),
                    _ => s,
                }
            }
        }
    }
}

/// Decimal places that resolve `x` (> 0): 0 from 1 on, 1 for 0.1 to 1, and so on.
fn places(x: f64) -> usize {
    if x >= 1.0 || !x.is_finite() || x <= 0.0 { 0 } else { (-x.log10().floor()) as usize }
}

/// Tick labels of an axis spanning `lo..hi` (its values' logarithms spaced evenly when `log`), all in one
/// [`TickFormat`]; on a linear axis a tick within float noise of 0 (a billionth of the span) reads 0, where
/// a computed tick like 2e-19 had read "2e-19".
pub fn axis_ticks(lo: f64, hi: f64, log: bool) -> impl Fn(&f64) -> String {
    let format = TickFormat::for_axis(lo, hi, log);
    let noise = if log { 0.0 } else { 1e-9 * (hi - lo).abs() };
    move |v: &f64| if v.abs() < noise { "0".into() } else { format.label(*v) }
}

/// The ticks of a log axis of base 10 spanning `lo..hi` (positive) that holds fewer than two powers of 10,
/// where plotters ticks the powers only (a panel of gradient norms from 0.028 to 0.067 had one tick, or
/// none): 1, 2 and 5 times the powers, or 1 to 9 times, or every half from 1 to 9.5 times, the first of these
/// that puts at least three ticks on the axis (the finest, whatever it puts). `None` where the axis holds two
/// powers or more, or its ends are not positive and finite.
pub fn mantissa_ticks(lo: f64, hi: f64) -> Option<Vec<f64>> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if !(lo > 0.0 && hi.is_finite()) || hi.log10().floor() - lo.log10().ceil() >= 1.0 {
        return None;
    }
    let halves: Vec<f64> = (2..20).map(|h| f64::from(h) / 2.0).collect();
    let sets: [&[f64]; 3] = [&[1.0, 2.0, 5.0], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], &halves];
    let ticks = |mantissas: &[f64]| -> Vec<f64> {
        // Written as m × 10^e from the decimal text, so 0.2 is the double nearest 0.2, not 2 × 0.1.
        (lo.log10().floor() as i32..=hi.log10().floor() as i32)
            .flat_map(|e| mantissas.iter().map(move |m| format!("{m}e{e}").parse::<f64>().expect("a number")))
            .filter(|&v| (lo..=hi).contains(&v))
            .collect()
    };
    let mut found = Vec::new();
    for set in sets {
        found = ticks(set);
        if found.len() >= 3 {
            break;
        }
    }
    Some(found)
}

/// Tick labels of a logarithmic axis spanning `lo..hi` (positive values): whole powers of `base` only (0.001,
/// 0.01, … for 10; 2, 4, 8, 16 for 2), where the axis holds at least two of them; every tick otherwise. All
/// read in one [`TickFormat`], chosen from the labelled values.
pub fn power_ticks(base: f64, lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let exponent = move |v: f64| v.ln() / base.ln();
    let whole = exponent(hi).floor() - exponent(lo).ceil() >= 1.0;
    let (a, b) = if whole { (base.powf(exponent(lo).ceil()), base.powf(exponent(hi).floor())) } else { (lo, hi) };
    let format = TickFormat::for_axis(a, b, true);
    move |v: &f64| {
        let near = exponent(*v).round();
        if !whole {
            format.label(*v)
        } else if (exponent(*v) - near).abs() > 1e-9 {
            String::new()
        } else {
            format.label(base.powf(near))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A title wider than its panel is shrunk to fit (down to 12); a short one keeps the panel-title size.
    #[test]
    fn a_long_panel_title_shrinks_to_fit_its_panel() {
        let long = "relu, lr 1, bias 0, BN none (3 of 5 runs, 2 diverged)";
        let size = |t: &str, w: u32| title_style(t, w).font.get_size();
        assert_eq!(size("BN before", 400), sizes::PANEL_TITLE);
        let s = size(long, 400);
        assert!((MIN_TITLE..sizes::PANEL_TITLE).contains(&s), "{s}");
        assert!(advance(long, em_px(s)) <= 400.0 - 2.0 * f64::from(sizes::PANEL_MARGIN));
        assert_eq!(size(long, 40), MIN_TITLE, "never below the smallest size");
    }

    /// A tick within float noise of 0 on a linear axis reads 0 (the γ/β figure's β axis read "2e-19").
    #[test]
    fn a_tick_at_float_noise_reads_zero() {
        let f = axis_ticks(-0.02, 0.02, false);
        assert_eq!(f(&2e-19), "0");
        assert_eq!(f(&-3e-18), "0");
        assert_eq!(f(&0.01), "0.01");
        assert_eq!(axis_ticks(1e-14, 1e-12, true)(&1e-13), "1e-13", "a log axis: nothing snaps");
    }

    fn labels(lo: f64, hi: f64, log: bool, ticks: &[f64]) -> Vec<String> {
        let f = axis_ticks(lo, hi, log);
        ticks.iter().map(&f).collect()
    }

    /// All ticks of an axis read in one notation: "4e-4" had stood beside "-0.001" (a β axis), and "0.001"
    /// beside "1e-5" (a log axis of gradient norms).
    #[test]
    fn ticks_of_one_axis_read_alike() {
        let beta = labels(-0.0014, 0.0014, false, &[-0.0012, -0.001, -0.0004, 0.0, 0.0004, 0.001]);
        assert_eq!(beta, ["-0.0012", "-0.001", "-0.0004", "0", "0.0004", "0.001"]);
        let grad = labels(5e-6, 3e-3, true, &[1e-5, 1e-4, 1e-3]);
        assert_eq!(grad, ["1e-5", "1e-4", "1e-3"]);
        let tiny = labels(0.0, 3e-4, false, &[5e-5, 1e-4, 1.5e-4, 3e-4]);
        assert_eq!(tiny, ["5e-5", "1e-4", "1.5e-4", "3e-4"], "the mantissa resolves the step");
        assert_eq!(labels(0.3, 0.9, false, &[0.35, 0.5, 0.85]), ["0.35", "0.5", "0.85"]);
        assert_eq!(labels(0.0, 3e5, false, &[0.0, 1e5, 2.5e5]), ["0", "1e5", "2.5e5"]);
        assert_eq!(labels(0.0, 20000.0, false, &[0.0, 5000.0, 20000.0]), ["0", "5000", "20000"]);
        assert_eq!(labels(0.5, 20.0, true, &[1.0, 10.0]), ["1", "10"]);
        // A narrow axis away from 0: every tick read "1e0" when the places were capped at 4.
        assert_eq!(labels(0.9999, 1.0002, false, &[0.9999, 1.0, 1.0001, 1.0002]), ["0.9999", "1", "1.0001", "1.0002"]);
        assert_eq!(labels(1e5, 1e5 + 3.0, false, &[1e5, 1e5 + 1.0]), ["1e5", "1.00001e5"]);
    }

    /// A single value gets an axis around it of its own size: an accuracy of 1 had an axis from 0 to 2.
    #[test]
    fn a_single_value_is_padded_by_its_own_size() {
        assert_eq!(padded_range([1.0, 1.0], false), Some((0.95, 1.05)));
        assert_eq!(padded_range([0.0], false), Some((-1.0, 1.0)));
        assert_eq!(padded_range([-2.0], false), Some((-2.1, -1.9)));
    }

    /// A log axis within a decade is ticked at 1, 2, 5 times its powers, or finer where those are too few.
    #[test]
    fn a_log_axis_within_a_decade_is_ticked_between_its_powers() {
        assert_eq!(mantissa_ticks(0.0187, 0.1), Some(vec![0.02, 0.05, 0.1]));
        assert_eq!(mantissa_ticks(0.126, 0.284), Some(vec![0.15, 0.2, 0.25]));
        assert_eq!(mantissa_ticks(3.1, 8.9), Some(vec![4.0, 5.0, 6.0, 7.0, 8.0]));
        assert_eq!(mantissa_ticks(0.98e-7, 1.02e-7), Some(vec![1e-7]), "the finest set, whatever it puts");
        assert_eq!(mantissa_ticks(0.005, 0.2), None, "two powers: plotters' own ticks");
        assert_eq!(mantissa_ticks(0.0, 0.2), None);
    }

    /// A log axis is labelled at whole powers of its base only, in one notation.
    #[test]
    fn a_log_axis_is_labelled_at_whole_powers() {
        let f = power_ticks(10.0, 6.3e-4, 1.26);
        let got: Vec<String> = [0.001, 0.003, 0.01, 0.1, 1.0].iter().map(&f).collect();
        assert_eq!(got, ["0.001", "", "0.01", "0.1", "1"]);
        let f = power_ticks(10.0, 1e-5, 1e-3);
        assert_eq!(f(&1e-4), "1e-4");
        assert_eq!(f(&1e-3), "1e-3", "one notation on the axis");
        let narrow = power_ticks(10.0, 0.004, 0.008);
        assert_eq!(narrow(&0.005), "0.005", "no two whole powers: every tick");
        let depth = power_ticks(2.0, 1.3, 24.0);
        let got: Vec<String> = [2.0, 3.0, 4.0, 8.0, 16.0].iter().map(&depth).collect();
        assert_eq!(got, ["2", "", "4", "8", "16"]);
    }
}
