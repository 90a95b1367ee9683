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

/// The palette index of reference lines (a target, a theory curve): grey, which no category cycles to, so a
/// reference never takes the colour of the seventh curve beside it.
pub const REFERENCE: usize = usize::MAX;

/// The grey of [`REFERENCE`] lines.
pub const REFERENCE_GREY: RGBColor = RGBColor(119, 119, 119);

/// The first palette index of the sequential colours ([`sequence`]): indices from here on are shades of one
/// ramp, not categories, so an ordered quantity (hidden layers, BN placements, percentiles) never takes the
/// colour that names an activation in other figures.
pub const SEQUENCE: usize = 1 << 20;

/// Steps of the sequential ramp between its two ends.
const SEQUENCE_STEPS: usize = 1000;

/// The palette index of the `k`-th of `n` ordered items: the first dark blue, the last a light olive, evenly
/// spaced along cividis (a ramp readable in colour-blind vision and in greyscale), never an
/// [`OKABE_ITO`] colour.
pub fn sequence(k: usize, n: usize) -> usize {
    let last = n.saturating_sub(1).max(1);
    SEQUENCE + k.min(last) * SEQUENCE_STEPS / last
}

/// The colour of palette index `i`: categorical colour `i` (cycling) below [`SEQUENCE`], a shade of the
/// sequential ramp from it on ([`sequence`]), or [`REFERENCE_GREY`] for [`REFERENCE`].
pub fn category(i: usize) -> RGBColor {
    if i == REFERENCE {
        REFERENCE_GREY
    } else if i >= SEQUENCE {
        // cividis from 0 to 0.8: its last fifth is too light on white.
        let t = (i - SEQUENCE).min(SEQUENCE_STEPS) as f64 / SEQUENCE_STEPS as f64;
        let c = colorous::CIVIDIS.eval_continuous(0.8 * t);
        RGBColor(c.r, c.g, c.b)
    } else {
        OKABE_ITO[i % OKABE_ITO.len()]
    }
}

/// The viridis colour at `t` ∈ [0, 1] (clamped; NaN gives light grey): matplotlib's 256-entry table
/// interpolated, from the `colorous` crate.
///
/// `colorous` replaced a 9-point linear interpolation written here: against matplotlib 3.11's table at
/// t = i/255 it is off by at most 1/255 per channel (105 of 256 entries exact) where the 9-point version
/// was off by up to 18/255 (10 exact). Per call it takes 0.10 µs against 0.08 µs (1,000,000 calls, medians
/// of 9 interleaved rounds); a heatmap colours tens of cells and a colour bar a few hundred, so the
/// difference is nil.
pub fn viridis(t: f64) -> RGBColor {
    if t.is_nan() {
        return RGBColor(220, 220, 220);
    }
    let c = colorous::VIRIDIS.eval_continuous(t.clamp(0.0, 1.0));
    RGBColor(c.r, c.g, c.b)
}

/// Black or white, whichever reads better on `c`.
pub fn text_on(c: RGBColor) -> RGBColor {
    let l = 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
    if l > 140.0 { RGBColor(0, 0, 0) } else { RGBColor(255, 255, 255) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordered_items_take_shades_no_category_has() {
        let shades: Vec<RGBColor> = (0..4).map(|k| category(sequence(k, 4))).collect();
        for c in &shades {
            assert!(!OKABE_ITO.contains(c) && *c != REFERENCE_GREY, "{c:?}");
        }
        // Darkest first, each lighter than the one before.
        let light = |c: &RGBColor| 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
        assert!(shades.windows(2).all(|w| light(&w[0]) < light(&w[1])), "{shades:?}");
        assert_eq!(sequence(0, 1), SEQUENCE);
        assert_eq!(sequence(5, 3), sequence(2, 3), "past the last: the last");
    }

    #[test]
    fn viridis_follows_matplotlibs_table() {
        // matplotlib 3.11's _viridis_data entries 0, 64, 128, 192 and 255, times 255.
        let table = [
            (0, [68.09, 1.24, 84.0]),
            (64, [58.58, 82.2, 139.16]),
            (128, [32.53, 144.57, 140.39]),
            (192, [94.15, 201.17, 97.64]),
            (255, [253.28, 231.07, 36.7]),
        ];
        for (i, want) in table {
            let c = viridis(i as f64 / 255.0);
            for (got, want) in [c.0, c.1, c.2].into_iter().zip(want) {
                assert!((got as f64 - want).abs() <= 1.0, "entry {i}: {c:?}, matplotlib {want}");
            }
        }
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f64::NAN), RGBColor(220, 220, 220));
    }
}
