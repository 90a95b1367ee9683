//! The sparse product's kernel for x86-64 with AVX2 and FMA but no AVX-512 (most laptops and many
//! servers): the groups, the packed weights and every element's FMA chain are the AVX-512 kernel's, in
//! eight-lane vectors, so each output element comes out as the same bits on either kernel.

use std::arch::x86_64::*;

use super::{ENTRIES_AHEAD, GROUP, NONE, PackedWeights, SparseRows};

/// Lanes of an AVX2 vector of `f32`.
const LANES: usize = 8;

/// Every group of four rows of `rows` against the panels of Wᵀ that [`plan`] lays out, the last one with the
/// tail where [`PackedWeights`] packs one (the last 1–4 outputs of all four rows in two vectors).
///
/// # Safety
/// The CPU must have AVX2 and FMA; `p` must be packed for `rows`' columns, and `y` must hold
/// `rows.rows × p.outputs` values.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn quads(rows: &SparseRows, p: &PackedWeights, y: &mut [f32]) {
    // The vectors of each input's own outputs: with a tail, the whole 16-lane lines before it; without,
    // the vectors that hold at least one output (the last 16-lane line may be half padding).
    let own = if p.tail { (p.stride - 16) / LANES } else { p.outputs.div_ceil(LANES) };
    for (at, vectors, tail) in plan(own, p.tail) {
        // SAFETY: forwarded from the caller; `at + vectors ≤ own`, and the tail line follows them (with 1–4
        // outputs, the tail line is each input's whole run).
        unsafe {
            match (vectors, tail) {
                (3, false) => panel::<3, false>(rows, p, at, y),
                (2, false) => panel::<2, false>(rows, p, at, y),
                (2, true) => panel::<2, true>(rows, p, at, y),
                (1, false) => panel::<1, false>(rows, p, at, y),
                (1, true) => panel::<1, true>(rows, p, at, y),
                (0, true) => panel::<0, true>(rows, p, 0, y),
                _ => unreachable!("plan lays out panels of 1–3 vectors, at most 2 with the tail"),
            }
        }
    }
}

/// The panels over `own` vectors of each input's outputs, in order: `(first vector, vectors, with the
/// tail)`. Each panel passes over all the entries of the chunk's groups once, so fewer and wider panels do
/// less of that work, up to what the 16 registers hold: three vectors (4 rows × 3 = 12 accumulators, 3
/// vectors of Wᵀ and one broadcast value), with two where three would leave one over. With a tail, the last
/// panel is two vectors and the tail (10 accumulators, the tail's two spreads and what is reloaded), or the
/// tail alone where there are no vectors. E1's 100 outputs: 3, 3, 2, 2, 2 + tail, five passes where panels
/// of two took six (docs/performance.md, "Zen 3 a third time").
fn plan(own: usize, tail: bool) -> impl Iterator<Item = (usize, usize, bool)> {
    let last = if tail { own.min(2) } else { 0 };
    let body = own - last;
    let (threes, twos, ones) = match (body / 3, body % 3) {
        (k, 0) => (k, 0, 0),
        (k, 2) => (k, 1, 0),
        (0, _) => (0, 0, 1),
        (k, _) => (k - 1, 2, 0),
    };
    let widths = std::iter::repeat_n(3, threes).chain(std::iter::repeat_n(2, twos)).chain(std::iter::repeat_n(1, ones));
    let panels = widths.map(|v| (v, false)).chain(tail.then_some((last, true)));
    panels.scan(0, |at, (vectors, tail)| {
        let first = *at;
        *at += vectors;
        Some((first, vectors, tail))
    })
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
            if V == 3 {
                // Three vectors of Wᵀ held, one row's broadcast value at a time: 16 registers. (Holding the
                // four broadcast values instead, as below, spilled: 1.85 ms per 1,000 rows against 1.42 for panels of two.)
                // SAFETY: `col < inputs·stride` and `8·(at + V) ≤ stride`, so the loads stay within `wt`.
                let w: [__m256; V] =
                    std::array::from_fn(|v| unsafe { _mm256_loadu_ps(wt.add(col + LANES * (at + v))) });
                for (acc, &x) in acc.iter_mut().zip(&e.x) {
                    let x = _mm256_set1_ps(x);
                    for v in 0..V {
                        acc[v] = _mm256_fmadd_ps(x, w[v], acc[v]);
                    }
                }
            } else {
                let x: [__m256; GROUP] = e.x.map(|v| _mm256_set1_ps(v));
                for v in 0..V {
                    // SAFETY: `col < inputs·stride` and `8·(at + V) ≤ stride`, so the load stays within `wt`.
                    let w = unsafe { _mm256_loadu_ps(wt.add(col + LANES * (at + v))) };
                    for (acc, &x) in acc.iter_mut().zip(&x) {
                        acc[v] = _mm256_fmadd_ps(x, w, acc[v]);
                    }
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

#[cfg(test)]
mod tests {
    use super::plan;

    #[test]
    fn the_plan_covers_every_vector_once_in_panels_the_registers_hold() {
        for own in 0..40 {
            for tail in [false, true] {
                let panels: Vec<_> = plan(own, tail).collect();
                let mut next = 0;
                for &(at, vectors, with_tail) in &panels {
                    assert_eq!(at, next, "{own} vectors, tail {tail}: {panels:?}");
                    assert!(vectors <= if with_tail { 2 } else { 3 }, "{own}, {tail}: {panels:?}");
                    assert!(vectors > 0 || with_tail, "{own}, {tail}: an empty panel in {panels:?}");
                    next += vectors;
                }
                assert_eq!(next, own, "{own} vectors, tail {tail}: {panels:?}");
                let tails = panels.iter().filter(|p| p.2).count();
                assert_eq!(tails, usize::from(tail), "{own}, {tail}: {panels:?}");
                assert!(!tail || panels.last().is_some_and(|p| p.2), "the tail rides with the last panel");
                // A panel of one vector only where one is all there is before the tail's panel, or at all.
                let before_tail = if tail { own.saturating_sub(2) } else { own };
                let ones = panels.iter().filter(|p| p.1 == 1).count();
                assert!(ones == 0 || before_tail == 1 || own == 1, "{own}, {tail}: {panels:?}");
            }
        }
        let e1: Vec<_> = plan(12, true).map(|p| (p.1, p.2)).collect();
        assert_eq!(e1, [(3, false), (3, false), (2, false), (2, false), (2, true)], "E1's 100 outputs");
    }
}
