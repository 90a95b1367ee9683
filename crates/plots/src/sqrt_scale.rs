//! A square-root axis for shares: small values spread out, the whole 0–1 range kept on one shared axis.
//!
//! Shares such as saturation rates or dead-unit fractions lie mostly near 0 in some settings and near 1 in
//! others. On a linear 0–1 axis, 0.003 and 0.03 look alike, both flat on the axis. On a square-root axis,
//! 0.01 sits a tenth of the way up and 0.04 a fifth of the way, while 0.5 and 1 stay where a reader expects them.
//! The axis is the signed square root, sign(v)·√|v|, so that the small margin below 0 that keeps a curve at 0
//! off the axis line is defined.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// The signed square root, the axis' coordinate for a value.
pub(crate) fn signed_sqrt(v: f64) -> f64 {
    v.signum() * v.abs().sqrt()
}

/// A y-axis from `lo` to `hi` on the square-root scale.
#[derive(Clone, Debug)]
pub(crate) struct SqrtRange {
    lo: f64,
    hi: f64,
    /// `signed_sqrt` of the ends, taken once.
    ends: (f64, f64),
}

impl SqrtRange {
    pub(crate) fn new(lo: f64, hi: f64) -> Self {
        let (lo, hi) = (lo.min(hi), lo.max(hi));
        SqrtRange { lo, hi, ends: (signed_sqrt(lo), signed_sqrt(hi)) }
    }
}

/// Tick values of a square-root axis from `lo` to `hi`: 0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8 and 1, scaled
/// by the smallest of 1, 2, 5 times a power of ten that brings 1 to or just above the axis' larger end (on
/// 0–0.2: 0, 0.002, 0.01, 0.02, 0.04, …, 0.2), mirrored below 0: about evenly spaced in √v. An axis that holds
/// fewer than two of them (0.51–0.58) gets evenly spaced round values instead.
pub(crate) fn sqrt_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const PATTERN: [f64; 9] = [0.0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0];
    let reach = lo.abs().max(hi.abs());
    if !(reach > 0.0 && reach.is_finite()) {
        return vec![0.0];
    }
    let want = reach / 1.1;
    let decade = 10f64.powf(want.log10().floor());
    let scale = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * decade).find(|&s| s >= want).unwrap_or(10.0 * decade);
    // The top tick may sit a little below the axis' end (1 on an axis to 1.03).
    let within = |t: f64| t >= lo - 1e-9 * reach && t <= hi + 1e-9 * reach;
    let mut ticks: Vec<f64> = PATTERN.iter().rev().map(|t| -t * scale).filter(|&t| t < 0.0).collect();
    ticks.extend(PATTERN.iter().map(|t| t * scale));
    ticks.retain(|&t| within(t));
    if ticks.len() >= 2 {
        return ticks;
    }
    // Round values, 4 to 10 of them, evenly spaced in v.
    let span = hi - lo;
    let unit = 10f64.powf((span / 5.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * unit).find(|&s| span / s <= 10.0).unwrap_or(10.0 * unit);
    let first = (lo / step).ceil() as i64;
    (first..).map(|k| k as f64 * step).take_while(|&t| t <= hi + 1e-9 * span).collect()
}

impl Ranged for SqrtRange {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = self.ends;
        let share = if b > a { (signed_sqrt(*value) - a) / (b - a) } else { 0.5 };
        limit.0 + (share * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        sqrt_ticks(self.lo, self.hi)
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_shares_spread_out_and_the_ticks_are_round() {
        let r = SqrtRange::new(0.0, 1.0);
        // Pixel 0 at the bottom value, 100 at the top: 0.01 a tenth of the way, 0.25 half way.
        assert_eq!(r.map(&0.01, (0, 100)), 10);
        assert_eq!(r.map(&0.25, (0, 100)), 50);
        assert_eq!(r.map(&1.0, (0, 100)), 100);
        assert_eq!(sqrt_ticks(-0.001, 1.03), vec![0.0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let small = sqrt_ticks(0.0, 0.2);
        assert_eq!(small.len(), 9);
        assert!((small[8] - 0.2).abs() < 1e-12, "{small:?}");
        let wide = sqrt_ticks(0.0, 1.2);
        assert!((wide.last().unwrap() - 1.2).abs() < 1e-12, "{wide:?}");
        assert_eq!(sqrt_ticks(0.0, 3.0).last().map(|t| t.round()), Some(3.0));
        // Below 0, mirrored; an axis with fewer than two pattern ticks gets round linear ones.
        let both = sqrt_ticks(-1.0, 1.0);
        assert_eq!((both.len(), both[0], both[16]), (17, -1.0, 1.0));
        let narrow = sqrt_ticks(0.51, 0.58);
        assert!(narrow.len() >= 4 && narrow.iter().all(|&t| (0.51..=0.58).contains(&t)), "{narrow:?}");
        assert_eq!(sqrt_ticks(-0.3, -0.1).len(), 3, "{:?}", sqrt_ticks(-0.3, -0.1));
        assert_eq!(sqrt_ticks(0.0, 0.0), vec![0.0]);
        assert!(signed_sqrt(-0.04) < 0.0 && (signed_sqrt(-0.04) + 0.2).abs() < 1e-12);
    }
}
