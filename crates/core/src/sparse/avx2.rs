//! The sparse product's kernel for x86-64 with AVX2 and FMA but no AVX-512 (most laptops and many
//! servers): the groups, the packed weights and every element's FMA chain are the AVX-512 kernel's, in
//! eight-lane vectors, so each output element comes out as the same bits on either kernel.

use std::arch::x86_64::*;

use super::{ENTRIES_AHEAD, GROUP, NONE, PackedWeights, SparseRows};

/// Lanes of an AVX2 vector of `f32`.
const LANES: usize = 8;

/// Vectors per panel: 4 rows × 2 vectors = 8 accumulators, with 2 vectors of Wᵀ and 4 broadcast values,
/// 14 of the 16 registers (the panel with the tail keeps two more accumulators and its two spreads, and
/// reloads what no longer fits). Three vectors per panel measured no faster (docs/performance.md).
const PANEL: usize = 2;

/// Every group of four rows of `rows` against panels of up to [`PANEL`] vectors of Wᵀ, the last panel with
/// the tail where [`PackedWeights`] packs one (the last 1–4 outputs of all four rows in two vectors).
///
/// # Safety
/// The CPU must have AVX2 and FMA; `p` must be packed for `rows`' columns, and `y` must hold
/// `rows.rows × p.outputs` values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quads(rows: &SparseRows, p: &PackedWeights, y: &mut [f32]) {
    // The vectors of each input's own outputs: with a tail, the whole 16-lane lines before it; without,
    // the vectors that hold at least one output (the last 16-lane line may be half padding).
    let own = if p.tail { (p.stride - 16) / LANES } else { p.outputs.div_ceil(LANES) };
    for (at, vectors, tail) in super::panels(own, p.tail, PANEL) {
        // SAFETY: forwarded from the caller; `at + vectors ≤ own`, and the tail line follows them (with 1–4
        // outputs, the tail line is each input's whole run).
        unsafe {
            match (vectors, tail) {
                (0, _) => panel::<0, true>(rows, p, 0, y),
                (2, false) => panel::<2, false>(rows, p, at, y),
                (2, true) => panel::<2, true>(rows, p, at, y),
                (1, false) => panel::<1, false>(rows, p, at, y),
                (1, true) => panel::<1, true>(rows, p, at, y),
                _ => unreachable!("1 or 2 vectors per panel"),
            }
        }
    }
}

/// Outputs `8·at .. 8·(at + V)` (those below `outputs`) of every row, and with `TAIL` the tail.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn panel<const V: usize, const TAIL: bool>(rows: &SparseRows, p: &PackedWeights, at: usize, y: &mut [f32]) {
    // Lanes of each vector that are real outputs, as AVX2's store masks (all bits set in a live lane).
    let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let masks: [__m256i; V] = std::array::from_fn(|v| {
        let live = p.outputs.saturating_sub(LANES * (at + v)).min(LANES) as i32;
        _mm256_cmpgt_epi32(_mm256_set1_epi32(live), lane)
    });
    let wt = p.wt.as_ptr().cast::<f32>();
    let tail_at = p.stride - 16;
    // The tail line holds four lanes per row: rows 0 and 1 in its first eight, rows 2 and 3 in the next
    // eight. Each row's value spread over its four lanes (GROUP = 4).
    let (low, high) = (_mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3));
    for (g, slots) in rows.slots.iter().enumerate() {
        let mut acc = [[_mm256_setzero_ps(); V]; GROUP];
        let (mut tail_low, mut tail_high) = (_mm256_setzero_ps(), _mm256_setzero_ps());
        for e in &rows.entries[rows.starts[g] as usize..rows.starts[g + 1] as usize] {
            _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(e).cast::<i8>().wrapping_add(ENTRIES_AHEAD));
            let col = e.col as usize * p.stride;
            let x: [__m256; GROUP] = e.x.map(|v| _mm256_set1_ps(v));
            for v in 0..V {
                // SAFETY: `col < inputs·stride` and `8·(at + V) ≤ stride`, so the load stays within `wt`.
                let w = unsafe { _mm256_loadu_ps(wt.add(col + LANES * (at + v))) };
                for (acc, &x) in acc.iter_mut().zip(&x) {
                    acc[v] = _mm256_fmadd_ps(x, w, acc[v]);
                }
            }
            if TAIL {
                // SAFETY: `e.x` holds four values; the tail line is the last 16 of the column's `stride`.
                unsafe {
                    let xs = _mm256_castps128_ps256(_mm_loadu_ps(e.x.as_ptr()));
                    let w = wt.add(col + tail_at);
                    tail_low = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(xs, low), _mm256_loadu_ps(w), tail_low);
                    tail_high =
                        _mm256_fmadd_ps(_mm256_permutevar8x32_ps(xs, high), _mm256_loadu_ps(w.add(8)), tail_high);
                }
            }
        }
        let mut spilled = [0f32; 16];
        if TAIL {
            for (half, t) in [tail_low, tail_high].into_iter().enumerate() {
                // SAFETY: the bias is padded to `stride`, its tail line spread like Wᵀ's; `spilled` holds 16.
                unsafe {
                    let s = if p.has_bias {
                        _mm256_add_ps(t, _mm256_loadu_ps(p.bias.as_ptr().add(tail_at + 8 * half)))
                    } else {
                        t
                    };
                    _mm256_storeu_ps(spilled.as_mut_ptr().add(8 * half), s);
                }
            }
        }
        for (r, &row) in slots.iter().enumerate() {
            if row == NONE {
                continue;
            }
            let out = row as usize * p.outputs;
            for v in 0..V {
                // SAFETY: the bias is padded to `stride`; the masked store writes only lanes below `outputs`
                // of this row.
                unsafe {
                    let s = if p.has_bias {
                        _mm256_add_ps(acc[r][v], _mm256_loadu_ps(p.bias.as_ptr().add(LANES * (at + v))))
                    } else {
                        acc[r][v]
                    };
                    _mm256_maskstore_ps(y.as_mut_ptr().add(out + LANES * (at + v)), masks[v], s);
                }
            }
            if TAIL {
                let live = p.outputs - tail_at;
                y[out + tail_at..out + p.outputs].copy_from_slice(&spilled[GROUP * r..GROUP * r + live]);
            }
        }
    }
}
