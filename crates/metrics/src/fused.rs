//! [`summary_and_histogram`]: the [`Summary`] and the [`Histogram`] of one matrix together, in two passes
//! over an f32 matrix instead of five — the same numbers to the bit as [`Summary::of`] and
//! [`Histogram::of_matrix`], at about two thirds of the cost (`docs/performance.md`, "Cost of measuring").
//!
//! The percentiles are exact order statistics, found by bucketing rather than by selection over all values:
//!
//! 1. one pass adds each value to the moments and the histogram, and counts the top 16 bits of its 32-bit
//!    order key (an integer with the order of [`f32::total_cmp`]) (sign, exponent and the
//!    7 leading mantissa bits: 128 buckets per octave) in a table of 2¹⁶ counters;
//! 2. running sums over the table give, for every order statistic a percentile needs, the bucket it lies in
//!    and its rank inside that bucket; a second pass (which also sums the squared deviations) gathers the
//!    keys that fall in those few buckets, and a selection among them finds each order statistic.
//!
//! Keys order exactly as the values (−0 before +0, which compare equal as values), so the order
//! statistics — and the interpolated percentiles — are those of a full sort.

use actscope_core::Float;
use ndarray::ArrayView2;

use crate::distribution::{
    Bins, Counter, Histogram, PERCENTILES, Summary, interpolate, order_statistics_needed, select_ranks,
};

/// Below this many values the selection of [`Summary::of`] is as fast, and the 256 KB table not worth it.
const MIN_VALUES: usize = 16_384;

/// The summary and the histogram of every entry of `x` (NaNs ignored by the summary and counted by the
/// histogram), exactly as `(Summary::of(x), Histogram::of_matrix(x, bins))`.
///
/// # Panics
/// If `bins.bins` is 0.
pub fn summary_and_histogram<F: Float>(x: ArrayView2<'_, F>, bins: Bins) -> (Summary, Histogram) {
    if std::mem::size_of::<F>() == 4
        && x.len() >= MIN_VALUES
        && let Some(flat) = x.as_slice()
        && let Some(both) = contiguous_f32(flat, bins)
    {
        return both;
    }
    (Summary::of(x), Histogram::of_matrix(x, bins))
}

/// The 32-bit order key of `x`: the same order as [`f32::total_cmp`].
fn key(x: f32) -> u32 {
    let bits = x.to_bits();
    bits ^ ((((bits as i32) >> 31) as u32) | (1 << 31))
}

/// The value of an order key, widened to f64 (exact).
fn value(key: u32) -> f64 {
    let mask = if key >> 31 == 1 { 1 << 31 } else { u32::MAX };
    f32::from_bits(key ^ mask) as f64
}

/// The two passes over f32 values (`F` is f32 here, so `v.f64() as f32` is `v`); `None` when a value is
/// NaN, which the summary would have to drop (the general path does).
fn contiguous_f32<F: Float>(flat: &[F], bins: Bins) -> Option<(Summary, Histogram)> {
    let n = flat.len();
    let mut counter = Counter::new(bins);
    let mut table = vec![0u32; 1 << 16];
    // The mean's partial sums in the lanes `distribution::lane_sum` uses, so the sum is the same to the bit.
    let mut lanes = [0.0f64; 8];
    let chunks = flat.chunks_exact(8);
    let tail = chunks.remainder();
    for c in chunks {
        for l in 0..8 {
            let v = c[l].f64();
            lanes[l] += v;
            counter.add(v);
            table[(key(v as f32) >> 16) as usize] += 1;
        }
    }
    let mut tail_values: Vec<f64> = Vec::with_capacity(tail.len());
    for v in tail.iter().map(|v| v.f64()) {
        tail_values.push(v);
        counter.add(v);
        table[(key(v as f32) >> 16) as usize] += 1;
    }
    if counter.histogram.nan > 0 {
        return None;
    }
    let mean = (lanes.iter().sum::<f64>() + tail_values.iter().sum::<f64>()) / n as f64;

    // Which bucket holds each needed order statistic, and its rank there.
    let ranks = order_statistics_needed(n, &PERCENTILES);
    let mut slot_of_bucket = vec![u8::MAX; 1 << 16];
    let mut buckets: Vec<(usize, usize)> = Vec::new(); // (bucket, rank of its first key)
    let (mut bucket, mut before) = (0usize, 0usize);
    for &r in &ranks {
        while before + table[bucket] as usize <= r {
            before += table[bucket] as usize;
            bucket += 1;
        }
        if buckets.last().is_none_or(|&(b, _)| b != bucket) {
            slot_of_bucket[bucket] = buckets.len() as u8;
            buckets.push((bucket, before));
        }
    }
    let mut gathered: Vec<Vec<u32>> = buckets.iter().map(|&(b, _)| Vec::with_capacity(table[b] as usize)).collect();

    // Second pass: squared deviations (lanes as `lane_sum`) and the keys of the needed buckets.
    let mut lanes = [0.0f64; 8];
    let mut gather = |v: f64| {
        let k = key(v as f32);
        let slot = slot_of_bucket[(k >> 16) as usize];
        if slot != u8::MAX {
            gathered[slot as usize].push(k);
        }
    };
    for c in flat.chunks_exact(8) {
        for l in 0..8 {
            let v = c[l].f64();
            lanes[l] += (v - mean) * (v - mean);
            gather(v);
        }
    }
    tail_values.iter().for_each(|&v| gather(v));
    let tail_var: f64 = tail_values.iter().map(|&v| (v - mean) * (v - mean)).sum();
    let var = (lanes.iter().sum::<f64>() + tail_var) / n as f64;

    // Each needed order statistic by selection inside its bucket.
    let mut found: Vec<(usize, f64)> = Vec::with_capacity(ranks.len());
    for (keys, &(_, first)) in gathered.iter_mut().zip(&buckets) {
        let inside: Vec<usize> =
            ranks.iter().filter(|&&r| r >= first && r < first + keys.len()).map(|r| r - first).collect();
        select_ranks(keys, 0, &inside);
        found.extend(inside.iter().map(|&l| (first + l, value(keys[l]))));
    }
    let percentiles =
        interpolate(n, &PERCENTILES, |r| found.iter().find(|&&(q, _)| q == r).map_or(f64::NAN, |&(_, v)| v));
    Some((Summary { mean, std: var.sqrt(), percentiles }, counter.histogram))
}
