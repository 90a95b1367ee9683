//! First-layer products over a fixed set whose inputs are mostly exact zeros, such as image pixels.
//!
//! Evaluating a run multiplies the same evaluation sets by the first layer's weights at every evaluation
//! point, and about half of an image's pixels are exactly 0. [`SparseSet`] is built once per set: each
//! chunk's rows are put in an order where neighbours have similar nonzero patterns and taken four at a
//! time, and each group lists the union of its rows' nonzero columns once. The product ([`product`]) then
//! loads each listed column of Wᵀ once for all four rows and skips the columns where all four are 0. A
//! kernel over one row at a time would skip more, but it loads a vector of Wᵀ per FMA and is bound by the
//! loads; four rows list 61% of the columns of the test set where three listed 59%, but each listed column
//! serves a third more rows (docs/performance.md, "Evaluating sparse inputs").
//!
//! **What it computes.** Every output element is `s + b_j`, with `s` the chain `s ← fma(x_k, W_jk, s)` from
//! `s = +0` over the row's nonzero columns `k` in ascending order ([`reference()`]). The zeros a group's
//! union adds to a row leave `s` unchanged (`fma(0, w, s) = s + (±0)`, which is `s` for finite `w` unless
//! `s` is a zero), so an element is the same number however rows are grouped, ordered or chunked and
//! whatever the vector width; it can differ from the reference only in the sign of a zero. A weight that
//! is not finite would turn those zeros into NaN, so [`PackedWeights::pack`] refuses it and the caller runs
//! the dense product.

use std::borrow::Cow;

use ndarray::{ArrayView1, ArrayView2, ArrayViewMut2, s};

/// Sets with more than this share of nonzero entries are left to the dense product.
pub const MAX_DENSITY: f64 = 0.7;

/// Rows compared with the last row placed when ordering a chunk (see [`SparseRows::new`]; its docs say 16).
const WINDOW: usize = 16;

/// Whether `nonzeros` of `len` entries is more than [`MAX_DENSITY`].
fn dense(nonzeros: usize, len: usize) -> bool {
    nonzeros as f64 > MAX_DENSITY * len as f64
}

/// Rows taken together: each group lists the union of its rows' nonzero columns once.
const GROUP: usize = 4;
// The kernel's tail holds `GROUP` lanes of each of the group's rows in one 16-lane vector.
const _: () = assert!(GROUP * GROUP == 16, "the tail vector is GROUP rows of GROUP lanes");

/// Marks the empty slots of a chunk's last group.
const NONE: u32 = u32::MAX;

/// An evaluation set's rows grouped chunk by chunk for [`product`] (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseSet {
    chunk: usize,
    parts: Vec<SparseRows>,
}

impl SparseSet {
    /// Groups the rows of `x` in chunks of `chunk` rows (the last one shorter), or returns `None` where the
    /// sparse product would not pay: no kernel on this machine (x86-64 with FMA and AVX2 or AVX-512), or
    /// more than [`MAX_DENSITY`] of the entries nonzero (judged on the first chunk, then on the whole set).
    ///
    /// # Panics
    /// If `chunk` is 0.
    pub fn new(x: ArrayView2<'_, f32>, chunk: usize) -> Option<Self> {
        if !Self::may_group(x, chunk) {
            return None;
        }
        let set = Self::group(x, chunk);
        (!dense(set.parts.iter().map(|p| p.nonzeros).sum(), x.len())).then_some(set)
    }

    /// Whether [`SparseSet::new`] gets past its first test for `x`: this machine has the kernel, `x` is not
    /// empty and its first chunk is at most [`MAX_DENSITY`] nonzero. (It may still find the whole set denser.)
    ///
    /// # Panics
    /// If `chunk` is 0.
    pub fn may_group(x: ArrayView2<'_, f32>, chunk: usize) -> bool {
        assert!(chunk > 0, "chunk must be at least 1 row");
        let first = x.slice(s![..chunk.min(x.nrows()), ..]);
        kernel_available() && !x.is_empty() && !dense(first.iter().filter(|&&v| v != 0.0).count(), first.len())
    }

    /// An upper bound on the bytes a grouping of `rows` rows of `cols` columns in chunks of `chunk` rows
    /// holds, whatever the values: each group of a chunk lists at most every column (saturating at
    /// `u64::MAX`). Building it takes a further ~`rows_of_a_chunk × cols / 8` bytes for a moment.
    ///
    /// # Panics
    /// If `chunk` is 0.
    pub fn max_bytes(rows: usize, cols: usize, chunk: usize) -> u64 {
        assert!(chunk > 0, "chunk must be at least 1 row");
        let groups = (rows / chunk) * chunk.div_ceil(GROUP) + (rows % chunk).div_ceil(GROUP);
        let per_group = (cols as u64)
            .saturating_mul(size_of::<Entry>() as u64)
            .saturating_add((size_of::<[u32; GROUP]>() + size_of::<u32>()) as u64);
        let per_chunk = (size_of::<SparseRows>() + size_of::<u32>()) as u64;
        (groups as u64)
            .saturating_mul(per_group)
            .saturating_add((rows.div_ceil(chunk) as u64).saturating_mul(per_chunk))
    }

    /// Groups every chunk of `x`, whatever the machine and density (the product then runs one element at
    /// a time where there is no kernel).
    ///
    /// # Panics
    /// If `chunk` is 0.
    pub fn group(x: ArrayView2<'_, f32>, chunk: usize) -> Self {
        assert!(chunk > 0, "chunk must be at least 1 row");
        let parts =
            (0..x.nrows()).step_by(chunk).map(|at| SparseRows::new(x.slice(s![at..(at + chunk).min(x.nrows()), ..])));
        SparseSet { chunk, parts: parts.collect() }
    }

    /// Rows per chunk.
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// The grouped rows of chunk `i` (rows `i·chunk ..`).
    ///
    /// # Panics
    /// If there is no chunk `i`.
    pub fn part(&self, i: usize) -> &SparseRows {
        &self.parts[i]
    }

    /// Rows in all chunks.
    pub fn rows(&self) -> usize {
        self.parts.iter().map(|p| p.rows).sum()
    }
}

/// The rows of one chunk in groups of four, each with the union of its rows' nonzero columns.
#[derive(Clone, Debug, PartialEq)]
pub struct SparseRows {
    rows: usize,
    cols: usize,
    nonzeros: usize,
    /// [`GROUP`] row indices per group ([`NONE`] for an empty slot).
    slots: Vec<[u32; GROUP]>,
    /// Where each group's entries start in `entries` (one more than groups).
    starts: Vec<u32>,
    /// The union of each group's nonzero columns, ascending within a group, with the rows' values.
    entries: Vec<Entry>,
}

/// A column of a group's union and the four rows' values there (0 for a row without one, or an empty
/// slot). The values sit with the column so the product reads one stream rather than four rows.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Entry {
    col: u32,
    x: [f32; GROUP],
}

impl SparseRows {
    /// Orders the rows of `x` so that neighbours have similar nonzero patterns and lists the union of
    /// each group's nonzero columns.
    ///
    /// The order: rows sorted by a coarse key (which 16-column pieces are at least half nonzero), then
    /// chained greedily, each next row the one with the fewest differing nonzero columns from the last
    /// among the next 16 rows of the sorted order not yet placed. It is deterministic, and only
    /// the speed of the product depends on it.
    pub fn new(x: ArrayView2<'_, f32>) -> Self {
        let (rows, cols) = x.dim();
        let masks = Masks::new(x);
        let order = masks.similar_order();
        let groups: Vec<&[usize]> = order.chunks(GROUP).collect();
        let unions: Vec<Vec<u64>> = groups
            .iter()
            .map(|t| (0..masks.words).map(|w| t.iter().fold(0u64, |u, &row| u | masks.row(row)[w])).collect())
            .collect();
        let entries: usize = unions.iter().flatten().map(|u| u.count_ones() as usize).sum();
        let mut r = SparseRows {
            rows,
            cols,
            nonzeros: masks.bits.iter().map(|b| b.count_ones() as usize).sum(),
            slots: Vec::with_capacity(groups.len()),
            starts: Vec::with_capacity(groups.len() + 1),
            entries: Vec::with_capacity(entries),
        };
        let padded = vec![0f32; cols];
        r.starts.push(0);
        for (group, union) in groups.iter().zip(&unions) {
            r.slots.push(std::array::from_fn(|i| group.get(i).map_or(NONE, |&row| row as u32)));
            let rows: Vec<Cow<'_, [f32]>> = group.iter().map(|&row| row_slice(x.row(row))).collect();
            let value = |i: usize| rows.get(i).map_or(&padded[..], |r| &r[..]);
            let values: [&[f32]; GROUP] = std::array::from_fn(value);
            for (w, &bits) in union.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let k = w * 64 + bits.trailing_zeros() as usize;
                    r.entries.push(Entry { col: k as u32, x: values.map(|v| v[k]) });
                    bits &= bits - 1;
                }
            }
            r.starts.push(r.entries.len() as u32);
        }
        r
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns listed per group, as a share of all columns: the part of Wᵀ the product reads (1 = dense).
    pub fn density(&self) -> f64 {
        self.entries.len() as f64 / (self.slots.len() * self.cols).max(1) as f64
    }
}

/// A row as a slice, copied only when its elements are not contiguous.
fn row_slice(row: ArrayView1<'_, f32>) -> Cow<'_, [f32]> {
    match row.to_slice() {
        Some(r) => Cow::Borrowed(r),
        None => Cow::Owned(row.to_vec()),
    }
}

/// Sets bit `k % 64` of `bits[k / 64]` for every nonzero `row[k]`: ±0 are zero, NaN is not (as in
/// [`SparseSet::may_group`]). The portable form of `kernel::nonzero_bits`.
fn nonzero_bits(row: &[f32], bits: &mut [u64]) {
    for (word, part) in bits.iter_mut().zip(row.chunks(64)) {
        *word = part.iter().enumerate().fold(0u64, |w, (i, &v)| w | u64::from(v != 0.0) << i);
    }
}

/// Each row's nonzero columns as a bit set.
struct Masks {
    words: usize,
    bits: Vec<u64>,
}

impl Masks {
    fn new(x: ArrayView2<'_, f32>) -> Self {
        let words = x.ncols().div_ceil(64).max(1);
        let mut bits = vec![0u64; x.nrows() * words];
        for (row, m) in x.rows().into_iter().zip(bits.chunks_mut(words)) {
            let row = row_slice(row);
            #[cfg(target_arch = "x86_64")]
            if has_avx512() {
                // SAFETY: the CPU has AVX-512F; `m` has a word for every 64 columns of `row`.
                unsafe { kernel::nonzero_bits(&row, m) };
                continue;
            }
            nonzero_bits(&row, m);
        }
        Masks { words, bits }
    }

    fn row(&self, i: usize) -> &[u64] {
        &self.bits[i * self.words..(i + 1) * self.words]
    }

    #[inline(always)]
    fn distance(&self, a: usize, b: usize) -> u32 {
        self.row(a).iter().zip(self.row(b)).map(|(p, q)| (p ^ q).count_ones()).sum()
    }

    /// The order of [`SparseRows::new`].
    fn similar_order(&self) -> Vec<usize> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has POPCNT.
            return unsafe { self.similar_order_popcnt() };
        }
        self.similar_order_any()
    }

    /// [`Masks::similar_order`] with the CPU's population count (x86-64's baseline has none, and the
    /// distances are most of the work).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    unsafe fn similar_order_popcnt(&self) -> Vec<usize> {
        self.similar_order_any()
    }

    #[inline(always)]
    fn similar_order_any(&self) -> Vec<usize> {
        let n = self.bits.len() / self.words;
        let key = |i: usize| -> u64 {
            let pieces = self.row(i).iter().flat_map(|&w| (0..4).map(move |q| (w >> (16 * q)) as u16));
            pieces.take(64).fold(0u64, |key, p| key << 1 | u64::from(p.count_ones() >= 8))
        };
        let keys: Vec<u64> = (0..n).map(key).collect();
        let mut sorted: Vec<usize> = (0..n).collect();
        sorted.sort_by_key(|&i| (keys[i], i));
        let mut sorted = sorted.into_iter();
        let mut order = Vec::with_capacity(n);
        let mut window: Vec<usize> = Vec::with_capacity(WINDOW);
        order.extend(sorted.next());
        while let Some(&last) = order.last() {
            window.extend(sorted.by_ref().take(WINDOW - window.len()));
            let Some((at, _)) = window.iter().enumerate().min_by_key(|&(_, &j)| (self.distance(last, j), j)) else {
                break;
            };
            order.push(window.swap_remove(at));
        }
        order
    }
}

/// Whether this machine runs one of the sparse product's kernels (x86-64 with FMA and AVX-512F or AVX2).
pub fn kernel_available() -> bool {
    kernels().next().is_some_and(|k| k != Kernel::Scalar)
}

/// The ways [`product`] can run, fastest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    /// 16-lane vectors (`kernel`).
    Avx512,
    /// 8-lane vectors (`avx2`), where the CPU has no AVX-512.
    Avx2,
    /// One element at a time ([`scalar`]): the reference order, any machine.
    Scalar,
}

impl Kernel {
    /// Whether this machine has the kernel's instructions.
    fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        let (fma, avx2) = (std::arch::is_x86_feature_detected!("fma"), std::arch::is_x86_feature_detected!("avx2"));
        #[cfg(not(target_arch = "x86_64"))]
        let (fma, avx2) = (false, false);
        match self {
            Kernel::Avx512 => fma && has_avx512(),
            Kernel::Avx2 => fma && avx2,
            Kernel::Scalar => true,
        }
    }
}

/// The kernels this machine runs, fastest first; the last is always [`Kernel::Scalar`]. Each gives the
/// same bits (module docs), so which one runs is a matter of speed only.
fn kernels() -> impl Iterator<Item = Kernel> {
    [Kernel::Avx512, Kernel::Avx2, Kernel::Scalar].into_iter().filter(|k| k.runs_here())
}

/// Whether the CPU has AVX-512F (the faster nonzero masks and the 16-lane kernel).
fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The first layer's weights as the sparse product reads them: Wᵀ with each input's weights contiguous
/// and the bias, both padded to whole 16-lane vectors. Packed once per evaluation and reused for every
/// chunk; [`PackedWeights::pack`] reuses the buffers, so evaluations after the first allocate nothing.
///
/// Where the outputs leave 1–4 over after whole vectors (100 = 6·16 + 4), those last outputs of each input
/// (and of the bias) are the *tail*: a line of their own, four lanes repeated four times, so that one vector
/// holds them for all four rows of a group.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackedWeights {
    /// Wᵀ, `stride` values per input, in whole cache lines: a vector load never spans two lines.
    wt: Vec<Lanes>,
    bias: Vec<f32>,
    stride: usize,
    inputs: usize,
    outputs: usize,
    has_bias: bool,
    /// Whether the last line of each input's run is the tail.
    tail: bool,
}

/// Sixteen `f32` on one 64-byte cache line.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[repr(C, align(64))]
struct Lanes([f32; 16]);

impl PackedWeights {
    /// Empty; holds nothing until [`PackedWeights::pack`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Packs `w` (`(outputs, inputs)`, as [`crate::Linear`] holds it) and `b` and returns `true`, or
    /// returns `false` and holds nothing when a weight or bias is not finite (see the module docs): the
    /// product must then be dense.
    ///
    /// # Panics
    /// If `b`'s length is not `w`'s number of rows.
    pub fn pack(&mut self, w: ArrayView2<'_, f32>, b: Option<ArrayView1<'_, f32>>) -> bool {
        let (outputs, inputs) = w.dim();
        if let Some(b) = &b {
            assert_eq!(b.len(), outputs, "sparse product: bias length");
        }
        let finite = w.iter().chain(b.iter().flatten()).all(|v| v.is_finite());
        let (inputs, outputs) = if finite { (inputs, outputs) } else { (0, 0) };
        let stride = outputs.div_ceil(16) * 16;
        let tail = (1..=GROUP).contains(&(outputs % 16));
        (self.stride, self.inputs, self.outputs, self.has_bias, self.tail) =
            (stride, inputs, outputs, b.is_some(), tail);
        self.wt.clear();
        self.wt.resize(inputs * stride / 16, Lanes::default());
        self.bias.clear();
        self.bias.resize(stride, 0.0);
        if !finite {
            return false;
        }
        // Row by row of W (contiguous in the usual layout), a line at a time of each input's run.
        let lines = stride / 16;
        for (j, wj) in w.rows().into_iter().enumerate() {
            let (line, lane) = (j / 16, j % 16);
            for (k, &v) in wj.iter().enumerate() {
                self.wt[k * lines + line].0[lane] = v;
            }
        }
        if let Some(b) = &b {
            self.bias[..outputs].iter_mut().zip(b).for_each(|(d, &v)| *d = v);
        }
        if tail {
            // The first four lanes of the tail line (its outputs, then zeros) again in lanes 4–15.
            let spread = |line: &mut [f32]| {
                for r in 1..GROUP {
                    line.copy_within(..GROUP, r * GROUP);
                }
            };
            self.wt.iter_mut().skip(lines - 1).step_by(lines).for_each(|l| spread(&mut l.0));
            spread(&mut self.bias[stride - 16..]);
        }
        true
    }

    /// `W[j, k]`.
    fn weight(&self, k: usize, j: usize) -> f32 {
        self.wt[(k * self.stride + j) / 16].0[j % 16]
    }

    fn finish(&self, s: f32, j: usize) -> f32 {
        if self.has_bias { s + self.bias[j] } else { s }
    }
}

/// Writes `y = x·Wᵀ + b` for the rows `x` of the chunk that `rows` grouped, with `W` and `b` as `p` packed
/// them. Runs the AVX-512 kernel where the machine has it, else the AVX2 one, when `y` is contiguous; else
/// the same computation one element at a time. All three give the same bits.
///
/// # Panics
/// If the shapes do not agree (empty packed weights have 0 inputs and outputs).
pub fn product(rows: &SparseRows, p: &PackedWeights, y: ArrayViewMut2<'_, f32>) {
    product_on(kernels().next().expect("the scalar kernel runs anywhere"), rows, p, y);
}

/// [`product`] on the given kernel, which this machine must run (one of [`kernels`]).
fn product_on(kernel: Kernel, rows: &SparseRows, p: &PackedWeights, mut y: ArrayViewMut2<'_, f32>) {
    assert_eq!(p.inputs, rows.cols, "sparse product: weights packed for {} inputs, rows of {}", p.inputs, rows.cols);
    assert_eq!(y.dim(), (rows.rows, p.outputs), "sparse product: output shape");
    #[cfg(target_arch = "x86_64")]
    if let Some(out) = y.as_slice_mut() {
        match kernel {
            // SAFETY (both): the CPU has the kernel's features (`kernels` checked them); the kernel reads
            // `wt` (`inputs × stride` values) and `bias` within their padded lengths and writes only the
            // first `outputs` columns of each row of `y`.
            Kernel::Avx512 => return unsafe { kernel::quads(rows, p, out) },
            Kernel::Avx2 => return unsafe { avx2::quads(rows, p, out) },
            Kernel::Scalar => {}
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = kernel;
    scalar(rows, p, &mut y);
}

/// The product one element at a time, in the kernel's order.
fn scalar(rows: &SparseRows, p: &PackedWeights, y: &mut ArrayViewMut2<'_, f32>) {
    for (t, slots) in rows.slots.iter().enumerate() {
        let entries = &rows.entries[rows.starts[t] as usize..rows.starts[t + 1] as usize];
        for (r, &row) in slots.iter().enumerate().filter(|&(_, &row)| row != NONE) {
            for j in 0..p.outputs {
                let s = entries.iter().fold(0f32, |s, e| e.x[r].mul_add(p.weight(e.col as usize, j), s));
                y[[row as usize, j]] = p.finish(s, j);
            }
        }
    }
}

/// The definition the product meets: each element's FMA chain over the row's own nonzero columns in
/// ascending order, from +0, plus the bias.
pub fn reference(
    x: ArrayView2<'_, f32>,
    w: ArrayView2<'_, f32>,
    b: Option<ArrayView1<'_, f32>>,
) -> ndarray::Array2<f32> {
    ndarray::Array2::from_shape_fn((x.nrows(), w.nrows()), |(i, j)| {
        let s = x.row(i).iter().zip(w.row(j)).filter(|&(&v, _)| v != 0.0).fold(0f32, |s, (&v, &wv)| v.mul_add(wv, s));
        b.as_ref().map_or(s, |b| s + b[j])
    })
}

/// How far ahead, in bytes, the kernels ask for the entries they will read (about 50 entries): 1 KB made
/// the AVX-512 kernel 7–10% faster than no prefetch, 4 KB 6–13%, 3 rounds alternated. The entries are read
/// once per evaluation, from memory (the test set's groupings hold some 20 MB); with the hardware's
/// prefetch alone the kernels waited on them.
#[cfg(target_arch = "x86_64")]
const ENTRIES_AHEAD: usize = 1024;

/// The panels a kernel runs, in order: `(first vector, vectors, with the tail)` over the `own` vectors of
/// an input's own outputs, at most `widest` per panel, the tail with the last one, or alone when `own` is 0.
#[cfg(target_arch = "x86_64")]
fn panels(own: usize, tail: bool, widest: usize) -> impl Iterator<Item = (usize, usize, bool)> {
    let alone = (own == 0 && tail).then_some((0, 0, true));
    let shared = (0..own).step_by(widest).map(move |at| {
        let vectors = (own - at).min(widest);
        (at, vectors, tail && at + vectors == own)
    });
    alone.into_iter().chain(shared)
}

#[cfg(target_arch = "x86_64")]
mod avx2;

/// The AVX-512 kernel.
#[cfg(target_arch = "x86_64")]
mod kernel {
    use std::arch::x86_64::*;

    use super::{ENTRIES_AHEAD, GROUP, NONE, PackedWeights, SparseRows};

    /// Sets bit `k % 64` of `bits[k / 64]` for every nonzero `row[k]` (±0 are zero, NaN is not).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn nonzero_bits(row: &[f32], bits: &mut [u64]) {
        for (word, part) in bits.iter_mut().zip(row.chunks(64)) {
            let mut w = 0u64;
            for (i, piece) in part.chunks(16).enumerate() {
                let live = ((1u32 << piece.len()) - 1) as __mmask16;
                // SAFETY: the masked load reads only the `piece.len()` elements of `piece`.
                let v = unsafe { _mm512_maskz_loadu_epi32(live, piece.as_ptr().cast()) };
                let magnitude = _mm512_slli_epi32::<1>(v);
                w |= u64::from(_mm512_test_epi32_mask(magnitude, magnitude)) << (16 * i);
            }
            *word = w;
        }
    }

    /// Every group of four rows of `rows` against panels of up to 6 vectors of Wᵀ (24 accumulators, a
    /// vector of Wᵀ and four broadcast values), the last panel with the tail where [`PackedWeights`] packs
    /// one: the last 1–4 outputs of all four rows in one vector.
    #[target_feature(enable = "avx512f,fma")]
    pub(super) unsafe fn quads(rows: &SparseRows, p: &PackedWeights, y: &mut [f32]) {
        let own = p.stride / 16 - usize::from(p.tail);
        for (at, vectors, tail) in super::panels(own, p.tail, 6) {
            // SAFETY: forwarded from the caller; `at + vectors ≤ own`, and the tail line follows them (with
            // 1–4 outputs, the tail line is each input's whole run).
            unsafe {
                match (vectors, tail) {
                    (0, _) => panel::<0, true>(rows, p, 0, y),
                    (6, false) => panel::<6, false>(rows, p, at, y),
                    (6, true) => panel::<6, true>(rows, p, at, y),
                    (5, false) => panel::<5, false>(rows, p, at, y),
                    (5, true) => panel::<5, true>(rows, p, at, y),
                    (4, false) => panel::<4, false>(rows, p, at, y),
                    (4, true) => panel::<4, true>(rows, p, at, y),
                    (3, false) => panel::<3, false>(rows, p, at, y),
                    (3, true) => panel::<3, true>(rows, p, at, y),
                    (2, false) => panel::<2, false>(rows, p, at, y),
                    (2, true) => panel::<2, true>(rows, p, at, y),
                    (1, false) => panel::<1, false>(rows, p, at, y),
                    (1, true) => panel::<1, true>(rows, p, at, y),
                    _ => unreachable!("1 to 6 vectors per panel"),
                }
            }
        }
    }

    /// Outputs `16·at .. 16·(at + V)` (those below `outputs`) of every row, and with `TAIL` the tail.
    #[inline]
    #[target_feature(enable = "avx512f,fma")]
    unsafe fn panel<const V: usize, const TAIL: bool>(rows: &SparseRows, p: &PackedWeights, at: usize, y: &mut [f32]) {
        // Lanes of each vector that are real outputs: all but in the last vector of a row's own (`stride`
        // is `outputs` rounded up to whole vectors, so no vector is all padding).
        let masks: [__mmask16; V] = std::array::from_fn(|v| {
            let live = p.outputs.saturating_sub(16 * (at + v)).min(16);
            ((1u32 << live) - 1) as __mmask16
        });
        let wt = p.wt.as_ptr().cast::<f32>();
        let tail_at = p.stride - 16;
        // Lane 4r + c of the tail vector is row r's output `tail_at + c`: each row's value spread over its
        // four lanes.
        let spread = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0); // GROUP = 4
        for (g, slots) in rows.slots.iter().enumerate() {
            let mut acc = [[_mm512_setzero_ps(); V]; GROUP];
            let mut tail = _mm512_setzero_ps();
            for e in &rows.entries[rows.starts[g] as usize..rows.starts[g + 1] as usize] {
                _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(e).cast::<i8>().wrapping_add(ENTRIES_AHEAD));
                let col = e.col as usize * p.stride;
                let x: [__m512; GROUP] = e.x.map(|v| _mm512_set1_ps(v));
                for v in 0..V {
                    // SAFETY: `col < inputs·stride` and `16·(at + V) ≤ stride`, so the load stays within `wt`.
                    let w = unsafe { _mm512_loadu_ps(wt.add(col + 16 * (at + v))) };
                    for (acc, &x) in acc.iter_mut().zip(&x) {
                        acc[v] = _mm512_fmadd_ps(x, w, acc[v]);
                    }
                }
                if TAIL {
                    // SAFETY: `e.x` holds four values; the tail line is the last of the column's `stride`.
                    unsafe {
                        let xs = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(_mm_loadu_ps(e.x.as_ptr())));
                        tail = _mm512_fmadd_ps(xs, _mm512_loadu_ps(wt.add(col + tail_at)), tail);
                    }
                }
            }
            let mut spilled = [0f32; 16];
            if TAIL {
                // SAFETY: the bias is padded to `stride`, its tail line spread like Wᵀ's.
                let s = if p.has_bias {
                    unsafe { _mm512_add_ps(tail, _mm512_loadu_ps(p.bias.as_ptr().add(tail_at))) }
                } else {
                    tail
                };
                // SAFETY: `spilled` holds 16 values.
                unsafe { _mm512_storeu_ps(spilled.as_mut_ptr(), s) };
            }
            for (r, &row) in slots.iter().enumerate() {
                if row == NONE {
                    continue;
                }
                let out = row as usize * p.outputs;
                for v in 0..V {
                    // SAFETY: the bias is padded to `stride`; the masked store writes only lanes below
                    // `outputs` of this row.
                    unsafe {
                        let s = if p.has_bias {
                            _mm512_add_ps(acc[r][v], _mm512_loadu_ps(p.bias.as_ptr().add(16 * (at + v))))
                        } else {
                            acc[r][v]
                        };
                        _mm512_mask_storeu_ps(y.as_mut_ptr().add(out + 16 * (at + v)), masks[v], s);
                    }
                }
                if TAIL {
                    let live = p.outputs - tail_at;
                    y[out + tail_at..out + p.outputs].copy_from_slice(&spilled[GROUP * r..GROUP * r + live]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, Array2};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;

    /// Rows with about `density` of their entries nonzero, denser in three of every seven columns (like
    /// strokes in an image).
    fn sparse_input(rows: usize, cols: usize, density: f64, seed: u64) -> Array2<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((rows, cols), |(_, k)| {
            let stripe = if k % 7 < 3 { 0.3 } else { 0.0 };
            if rng.random::<f64>() < density + stripe - 0.15 { rng.random_range(-1.0f32..1.0) } else { 0.0 }
        })
    }

    fn weights(outputs: usize, inputs: usize, seed: u64) -> Array2<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        Array2::from_shape_fn((outputs, inputs), |_| rng.random_range(-0.5f32..0.5))
    }

    fn assert_same(got: &Array2<f32>, want: ArrayView2<'_, f32>, what: &str) {
        for ((i, j), &g) in got.indexed_iter() {
            let w = want[[i, j]];
            assert!(g == w, "{what}: element ({i}, {j}) is {g:e}, the reference {w:e}");
        }
    }

    #[test]
    fn the_product_equals_its_reference_in_every_element() {
        let cases = [
            (1, 1, 1, false),
            (2, 17, 15, true),
            (3, 64, 16, false),
            (7, 65, 17, true),
            (100, 784, 100, true),
            (31, 200, 113, false),
            (50, 130, 250, true),
            // 1–4 outputs past whole vectors: the tail, alone, after a short panel and after a full one.
            (9, 40, 4, true),
            (6, 33, 36, false),
            (13, 50, 116, true),
            // Outputs ending inside an eight-lane vector, or with a whole one of padding (the AVX2 kernel).
            (5, 30, 24, true),
            (11, 70, 8, false),
            (4, 90, 5, true),
            (8, 100, 41, false),
            (10, 60, 57, true),
            // Panels of two where three would leave one vector over, without and before the tail (AVX2).
            (7, 45, 30, true),
            (5, 50, 52, false),
        ];
        for (case, &(rows, cols, outputs, bias)) in cases.iter().enumerate() {
            let x = sparse_input(rows, cols, 0.5, case as u64);
            let w = weights(outputs, cols, 100 + case as u64);
            let b = bias.then(|| Array1::from_shape_fn(outputs, |j| j as f32 * 0.01 - 0.3));
            let want = reference(x.view(), w.view(), b.as_ref().map(|b| b.view()));
            let grouped = SparseRows::new(x.view());
            let mut packed = PackedWeights::new();
            assert!(packed.pack(w.view(), b.as_ref().map(|b| b.view())));
            let mut one_by_one = Array2::from_elem((rows, outputs), f32::NAN);
            scalar(&grouped, &packed, &mut one_by_one.view_mut());
            assert_same(&one_by_one, want.view(), &format!("{rows}×{cols}·{outputs}, one element at a time"));
            for kernel in kernels() {
                let mut got = Array2::from_elem((rows, outputs), f32::NAN);
                product_on(kernel, &grouped, &packed, got.view_mut());
                let what = format!("{rows}×{cols}·{outputs} ({kernel:?} kernel)");
                assert_same(&got, want.view(), &what);
                // The kernels and the element-by-element order give the same bits, the sign of a zero too.
                let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
                assert_eq!(bits(&got), bits(&one_by_one), "{what}: bits differ from one element at a time");
            }
            // Grouped from non-contiguous rows, and written into a non-contiguous output.
            let wide = ndarray::concatenate![ndarray::Axis(1), x, x];
            let view = wide.slice(s![.., ..cols]);
            assert!(view.as_slice().is_none() || rows == 1);
            let mut out = Array2::from_elem((rows, 2 * outputs), f32::NAN);
            product(&SparseRows::new(view), &packed, out.slice_mut(s![.., ..;2]));
            assert_same(&out.slice(s![.., ..;2]).to_owned(), want.view(), &format!("{rows}×{cols}·{outputs}, strided"));
        }
    }

    #[test]
    fn chunking_does_not_change_a_row() {
        let x = sparse_input(47, 90, 0.4, 9);
        let w = weights(20, 90, 10);
        let whole = reference(x.view(), w.view(), None);
        let mut packed = PackedWeights::new();
        assert!(packed.pack(w.view(), None));
        for chunk in [1, 2, 3, 10, 46, 47, 100] {
            for (c, at) in (0..47).step_by(chunk).enumerate() {
                let part = x.slice(s![at..(at + chunk).min(47), ..]);
                let mut got = Array2::zeros((part.nrows(), 20));
                product(&SparseRows::new(part), &packed, got.view_mut());
                assert_same(&got, whole.slice(s![at..at + part.nrows(), ..]), &format!("chunk {chunk}, part {c}"));
            }
        }
    }

    #[test]
    fn weights_that_are_not_finite_are_refused() {
        let mut packed = PackedWeights::new();
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut w = weights(4, 10, 2);
            w[[3, 9]] = bad;
            assert!(!packed.pack(w.view(), None), "weight {bad}");
            assert_eq!((packed.inputs, packed.outputs, packed.wt.len()), (0, 0, 0), "holds nothing");
            let b = Array1::from_elem(4, bad);
            assert!(!packed.pack(weights(4, 10, 2).view(), Some(b.view())), "bias {bad}");
        }
        // Packing again after a refusal works.
        assert!(packed.pack(weights(4, 10, 2).view(), None));
        assert_eq!((packed.inputs, packed.outputs, packed.stride), (10, 4, 16));
    }

    #[test]
    fn groups_cover_every_row_once_and_list_each_union_in_order() {
        let x = sparse_input(102, 784, 0.5, 3);
        let grouped = SparseRows::new(x.view());
        let mut seen: Vec<u32> = grouped.slots.iter().flatten().copied().filter(|&r| r != NONE).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..102).collect::<Vec<u32>>());
        assert_eq!(grouped.slots.len(), 26);
        assert_eq!(grouped.slots[25][2..], [NONE, NONE]);
        for (t, slots) in grouped.slots.iter().enumerate() {
            let listed = &grouped.entries[grouped.starts[t] as usize..grouped.starts[t + 1] as usize];
            let value = |r: u32, k: u32| if r == NONE { 0.0 } else { x[[r as usize, k as usize]] };
            let union: Vec<Entry> = (0..784u32)
                .filter(|&k| slots.iter().any(|&r| value(r, k) != 0.0))
                .map(|k| Entry { col: k, x: slots.map(|r| value(r, k)) })
                .collect();
            assert_eq!(listed, &union[..], "group {t}");
        }
        let nonzeros = x.iter().filter(|&&v| v != 0.0).count();
        assert_eq!(grouped.nonzeros, nonzeros);
        // The bound on its size holds even for a set with no zero at all.
        let full = SparseRows::new(Array2::from_elem((102, 784), 1.0f32).view());
        let held = |g: &SparseRows| {
            g.entries.len() * size_of::<Entry>()
                + g.slots.len() * size_of::<[u32; GROUP]>()
                + g.starts.len() * size_of::<u32>()
                + size_of::<SparseRows>()
        };
        assert_eq!(full.entries.len(), 26 * 784);
        assert!(held(&full) as u64 <= SparseSet::max_bytes(102, 784, 102), "{}", held(&full));
        assert!(held(&full) as u64 + 20 * 784 >= SparseSet::max_bytes(102, 784, 102), "and close to it");
        let share = nonzeros as f64 / x.len() as f64;
        assert!(grouped.density() > share && grouped.density() < 1.0, "density {}", grouped.density());
    }

    /// The AVX-512 masks equal the portable ones, which machines without AVX-512 use: on ±0, NaN, ±inf,
    /// subnormals and ordinary values, in rows shorter than, equal to and just past multiples of 16 and 64.
    #[test]
    fn nonzero_masks_agree_on_every_path() {
        let special =
            [0.0, -0.0, f32::NAN, -f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-45, -1e-45, 1e-38, 1.0, -0.5];
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for len in [1usize, 15, 16, 17, 63, 64, 65, 100, 784] {
            for _ in 0..20 {
                let row: Vec<f32> = (0..len).map(|_| special[rng.random_range(0..special.len())]).collect();
                let mut portable = vec![u64::MAX; len.div_ceil(64)];
                nonzero_bits(&row, &mut portable);
                for (k, &v) in row.iter().enumerate() {
                    assert_eq!(portable[k / 64] >> (k % 64) & 1 == 1, v != 0.0, "column {k} of {len}: {v}");
                }
                #[cfg(target_arch = "x86_64")]
                if has_avx512() {
                    let mut vectorised = vec![u64::MAX; portable.len()];
                    // SAFETY: the CPU has AVX-512F; there is a word for every 64 columns of `row`.
                    unsafe { kernel::nonzero_bits(&row, &mut vectorised) };
                    assert_eq!(vectorised, portable, "{row:?}");
                }
            }
        }
    }

    #[test]
    fn ordering_puts_similar_rows_together() {
        // Two kinds of rows (nonzero on the left half or on the right half), interleaved: the order must
        // make groups of one kind, so each group lists half the columns.
        let x = Array2::from_shape_fn((64, 128), |(i, k)| if (k < 64) == (i % 2 == 0) { 1.0 + k as f32 } else { 0.0 });
        let grouped = SparseRows::new(x.view());
        assert_eq!(grouped.density(), 0.5);
        // Rows already in blocks of one kind must stay grouped by kind.
        let seq = Array2::from_shape_fn((64, 128), |(i, k)| if (k < 64) == (i < 32) { 1.0 } else { 0.0 });
        assert_eq!(SparseRows::new(seq.view()).density(), 0.5);
    }

    #[test]
    fn dense_sets_and_empty_sets_are_left_to_the_dense_product() {
        let dense = Array2::from_shape_fn((20, 30), |(i, j)| (i + j) as f32 + 1.0);
        assert!(SparseSet::new(dense.view(), 8).is_none());
        assert!(SparseSet::new(Array2::<f32>::zeros((0, 30)).view(), 8).is_none());
        assert!(!SparseSet::may_group(dense.view(), 8) && !SparseSet::may_group(dense.slice(s![..0, ..]), 8));
        let sparse = sparse_input(20, 30, 0.3, 4);
        assert_eq!(SparseSet::may_group(sparse.view(), 8), kernel_available());
        match SparseSet::new(sparse.view(), 8) {
            Some(set) => {
                assert!(kernel_available());
                assert_eq!((set.chunk(), set.rows(), set.part(2).rows()), (8, 20, 4));
            }
            None => assert!(!kernel_available(), "a sparse set on a machine with the kernel is grouped"),
        }
    }
}
