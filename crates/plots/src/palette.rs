//! Colour-blind-safe colours: the Okabe–Ito palette for categories, viridis for continuous values.

use plotters::style::RGBColor;

/// Okabe & Ito (2008) categorical colours, without yellow (too light on white): orange, sky blue, bluish
/// green, blue, vermillion, reddish purple, black.
pub const OKABE_ITO: [RGBColor; 7] = [
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 158, 115),
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(0, 0, 0),
];

/// The categorical colour number `i` (cycling).
pub fn category(i: usize) -> RGBColor {
    OKABE_ITO[i % OKABE_ITO.len()]
}

/// Viridis control points at t = 0, 1/8, …, 1.
const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// The viridis colour at `t` ∈ [0, 1] (clamped; NaN gives light grey).
pub fn viridis(t: f64) -> RGBColor {
    if t.is_nan() {
        return RGBColor(220, 220, 220);
    }
    let x = t.clamp(0.0, 1.0) * 8.0;
    let i = (x.floor() as usize).min(7);
    let f = x - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + f * (q as f64 - p as f64)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `c`.
pub fn text_on(c: RGBColor) -> RGBColor {
    let l = 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
    if l > 140.0 { RGBColor(0, 0, 0) } else { RGBColor(255, 255, 255) }
}
