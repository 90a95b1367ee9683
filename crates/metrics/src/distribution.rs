//! Distributions of z and a: percentiles, moments and fixed-edge histograms.
//!
//! ```text
//! percentile p of x₁ ≤ … ≤ x_n   = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋),  h = (n − 1)·p/100 (0-based)
//!                                  (linear interpolation: NumPy's default, R's type 7)
//! mean = (1/n) Σ x      std = √((1/n) Σ (x − mean)²)   (population)
//! ```
//!
//! Histograms have fixed, signed edges chosen per quantity (so checkpoints and runs are comparable) plus
//! an underflow and an overflow bin; NaNs are counted apart.

use actscope_core::{Activation, Float};
use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// The percentiles recorded for every layer (the BN paper's 15/50/85 plus a 95% range).
pub const PERCENTILES: [f64; 5] = [2.5, 15.0, 50.0, 85.0, 97.5];
/// The percentiles of the BN paper's tracked unit (Figure 1).
pub const TRACKED_PERCENTILES: [f64; 3] = [15.0, 50.0, 85.0];

/// Percentiles `ps` (in [0, 100]) of `values` by linear interpolation; NaNs are ignored.
/// Returns NaNs when no finite-or-infinite value remains.
pub fn percentiles(values: impl IntoIterator<Item = f64>, ps: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    percentiles_in_place(&mut v, ps)
}

/// [`percentiles`] of values already free of NaN, reordering them in place.
fn percentiles_in_place(v: &mut [f64], ps: &[f64]) -> Vec<f64> {
    if v.is_empty() {
        return vec![f64::NAN; ps.len()];
    }
    let n = v.len();
    let position = |p: f64| (n - 1) as f64 * (p / 100.0).clamp(0.0, 1.0);
    // Every order statistic needed (⌊h⌋ and ⌊h⌋ + 1 for each p), found by selection instead of a full sort.
    let mut ranks: Vec<usize> = ps
        .iter()
        .flat_map(|&p| {
            let r = position(p).floor() as usize;
            [r, (r + 1).min(n - 1)]
        })
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    select_ranks(v, 0, &ranks);
    ps.iter()
        .map(|&p| {
            let h = position(p);
            let r = h.floor() as usize;
            let (lo, hi) = (v[r], v[(r + 1).min(n - 1)]);
            lo + (h - r as f64) * (hi - lo)
        })
        .collect()
}

/// Puts the order statistic of every rank in `ranks` (ascending; `v` holds ranks `offset..`) at its own
/// index: the middle rank first, then the lower ranks in the part below it and the upper ones in the part
/// above, so each selection works on a shrinking part and never moves an element placed before.
fn select_ranks(v: &mut [f64], offset: usize, ranks: &[usize]) {
    let mid = ranks.len() / 2;
    let Some(&r) = ranks.get(mid) else { return };
    let (below, _, above) = v.select_nth_unstable_by(r - offset, f64::total_cmp);
    select_ranks(below, offset, &ranks[..mid]);
    select_ranks(above, r + 1, &ranks[mid + 1..]);
}

/// Mean, standard deviation and the [`PERCENTILES`] of a set of values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Mean.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub mean: f64,
    /// Population standard deviation.
    #[serde(deserialize_with = "actscope_core::serde_nan::f64")]
    pub std: f64,
    /// The values at [`PERCENTILES`].
    #[serde(deserialize_with = "actscope_core::serde_nan::vec")]
    pub percentiles: Vec<f64>,
}

impl Summary {
    /// Summarises every entry of `x` (NaNs ignored).
    pub fn of<F: Float>(x: ArrayView2<'_, F>) -> Summary {
        // One pass over the (possibly strided) view into a flat buffer; the moments then run over it in the
        // same order as the view, and the percentiles reorder it.
        let mut v: Vec<f64> = x.iter().map(|&v| v.f64()).filter(|v| !v.is_nan()).collect();
        let n = v.len();
        let mean = if n > 0 { v.iter().sum::<f64>() / n as f64 } else { f64::NAN };
        let var = v.iter().map(|&v| (v - mean) * (v - mean)).sum::<f64>() / n.max(1) as f64;
        Summary { mean, std: var.sqrt(), percentiles: percentiles_in_place(&mut v, &PERCENTILES) }
    }
}

/// The fixed bins of a histogram: `bins` equal bins on `[lo, hi)`, plus underflow and overflow.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bins {
    /// Left edge of the first bin.
    pub lo: f64,
    /// Right edge of the last bin.
    pub hi: f64,
    /// Number of equal-width bins between them.
    pub bins: usize,
}

impl Bins {
    /// The edges for z, the input of φ: [−8, 8) in 64 bins of width 0.25.
    pub const Z: Bins = Bins { lo: -8.0, hi: 8.0, bins: 64 };

    /// The edges for a = φ(z): φ's range where it is bounded (sigmoid [0, 1], tanh and softsign [−1, 1],
    /// 50 bins), otherwise [−8, 8) in 64 bins.
    pub fn for_output(act: Activation) -> Bins {
        match act {
            Activation::Sigmoid => Bins { lo: 0.0, hi: 1.0, bins: 50 },
            Activation::Tanh | Activation::Softsign => Bins { lo: -1.0, hi: 1.0, bins: 50 },
            _ => Bins::Z,
        }
    }

    /// The edges, `bins + 1` of them.
    pub fn edges(&self) -> Vec<f64> {
        (0..=self.bins).map(|i| self.lo + (self.hi - self.lo) * i as f64 / self.bins as f64).collect()
    }
}

/// Counts of values per bin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// The bins.
    pub bins: Bins,
    /// Counts per bin, `bins.bins` entries.
    pub counts: Vec<u64>,
    /// Values below `lo`.
    pub underflow: u64,
    /// Values at or above `hi` (a bounded φ's upper limit, e.g. sigmoid = 1, falls in the last bin).
    pub overflow: u64,
    /// NaN values.
    pub nan: u64,
}

impl Histogram {
    /// Counts `values` into `bins`. Values equal to `hi` go to the last bin, so φ's bounds are inside.
    pub fn of(values: impl IntoIterator<Item = f64>, bins: Bins) -> Histogram {
        let mut h = Histogram { bins, counts: vec![0; bins.bins], underflow: 0, overflow: 0, nan: 0 };
        let width = (bins.hi - bins.lo) / bins.bins as f64;
        for v in values {
            if v.is_nan() {
                h.nan += 1;
            } else if v < bins.lo {
                h.underflow += 1;
            } else if v > bins.hi {
                h.overflow += 1;
            } else {
                let i = (((v - bins.lo) / width) as usize).min(bins.bins - 1);
                h.counts[i] += 1;
            }
        }
        h
    }

    /// All values counted, including under/overflow and NaN.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.underflow + self.overflow + self.nan
    }

    /// Share of counted values lying in `[a, b]`, from the bins fully inside it (exact when a and b are edges).
    pub fn share_between(&self, a: f64, b: f64) -> f64 {
        let edges = self.bins.edges();
        let inside: u64 =
            self.counts.iter().enumerate().filter(|(i, _)| edges[*i] >= a && edges[i + 1] <= b).map(|(_, c)| c).sum();
        inside as f64 / self.total().max(1) as f64
    }
}

/// The {15, 50, 85} percentiles of one unit's values over the samples (the BN paper's Figure 1).
pub fn unit_percentiles<F: Float>(column: ArrayView1<'_, F>) -> [f64; 3] {
    let p = percentiles(column.iter().map(|&v| v.f64()), &TRACKED_PERCENTILES);
    [p[0], p[1], p[2]]
}
