//! Fuzzing the IDX (raw and gzip) and CSV readers under a counting allocator: arbitrary bytes and
//! structured mutations of valid files never panic, every error names the source, and no parse allocates
//! more than a bound derived from the input's size.
//!
//! This is its own test binary because a global allocator is process-wide. The allocator counts per thread
//! and only while [`peak_of`] runs, so tests on other threads do not disturb a measurement.
//!
//! CI runs [`DEFAULT_CASES`] cases per fuzzer from a fixed seed; `ACTSCOPE_FUZZ_CASES=N` runs `N` (see
//! docs/data.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{Cursor, Read};
use std::path::Path;

use actscope_data::csv::{LabelColumn, parse_csv};
use actscope_data::idx::{IdxArray, IdxData, encode_idx, gzip, parse_idx};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

struct Counting;

thread_local! {
    static ON: Cell<bool> = const { Cell::new(false) };
    /// Bytes allocated and not freed since the measurement began (negative after freeing older memory).
    static LIVE: Cell<i64> = const { Cell::new(0) };
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

fn count(delta: i64) {
    if ON.with(Cell::get) {
        let live = LIVE.with(|l| {
            l.set(l.get() + delta);
            l.get()
        });
        PEAK.with(|p| p.set(p.get().max(live)));
    }
}

// SAFETY: forwards every call to the system allocator unchanged; only thread-local counters are touched.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as i64 - layout.size() as i64);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as i64));
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f` and returns its result with the most memory (bytes) it held at once on this thread.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    LIVE.with(|l| l.set(0));
    PEAK.with(|p| p.set(0));
    ON.with(|o| o.set(true));
    let out = f();
    ON.with(|o| o.set(false));
    (out, PEAK.with(Cell::get) as u64)
}

/// Cases per fuzzer in CI (a few seconds in all, debug build).
const DEFAULT_CASES: u32 = 1000;

/// Proptest settings: `ACTSCOPE_FUZZ_CASES` cases (default [`DEFAULT_CASES`]) from a fixed seed, nothing
/// persisted, so CI is deterministic and a long run is one variable away.
fn config() -> Config {
    let cases = std::env::var("ACTSCOPE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    Config { cases, rng_seed: RngSeed::Fixed(0x5eed_ac75), failure_persistence: None, ..Config::default() }
}

/// The gzip decoder's own state, whatever the input: the inflater's window and tables (~43 KB) plus a gzip
/// header's FEXTRA field, which flate2 reads into memory and may declare up to 64 KiB (a 1M-case run found
/// a mutated 12-byte stream that took 65.6 KB of decoder state).
const GZIP_STATE: u64 = 128 << 10;
/// Deflate's largest expansion: no gzip stream of `n` bytes decompresses to more than `1032 · n`.
const DEFLATE_RATIO: u64 = 1032;

/// Most memory parsing `len` bytes of IDX may take: a copy of the payload, or for gzip the decoder's state,
/// the decompressed bytes (never more than the input can expand to) and their typed copy.
fn idx_bound(len: usize, gzipped: bool) -> u64 {
    let len = len as u64;
    if gzipped { GZIP_STATE + 2 * DEFLATE_RATIO * len + 8192 } else { 2 * len + 8192 }
}

/// Most memory parsing `len` bytes of CSV may take: about 25 bytes per input byte at worst (a header of
/// one-letter names, rows of one-digit cells, vectors doubling) plus the class table (≤ 10,000 bytes).
/// Measured: under 15 bytes per input byte.
fn csv_bound(len: usize) -> u64 {
    48 * len as u64 + (12 << 10)
}

/// Parses `bytes` as IDX named `fuzz.idx` and checks the three properties.
fn check_idx(bytes: &[u8]) -> Result<(), TestCaseError> {
    let gzipped = bytes.starts_with(&[0x1f, 0x8b]);
    let (result, peak) = peak_of(|| parse_idx(Path::new("fuzz.idx"), bytes));
    let bound = idx_bound(bytes.len(), gzipped);
    prop_assert!(peak <= bound, "{} input bytes (gzip {gzipped}) took {peak} bytes, bound {bound}", bytes.len());
    match result {
        Ok(a) => {
            prop_assert_eq!(a.dims.iter().product::<usize>(), a.data.len());
            prop_assert!(a.dims.iter().all(|&d| d > 0));
            prop_assert!(a.first_non_finite().is_none());
        }
        Err(e) => prop_assert!(e.to_string().starts_with("fuzz.idx: "), "error does not name the source: {e}"),
    }
    Ok(())
}

/// Parses `bytes` as CSV named `fuzz.csv` with `label` and checks the three properties.
fn check_csv(bytes: &[u8], label: &LabelColumn) -> Result<(), TestCaseError> {
    let (result, peak) = peak_of(|| parse_csv(Path::new("fuzz.csv"), Cursor::new(bytes), label));
    let bound = csv_bound(bytes.len());
    prop_assert!(peak <= bound, "{} input bytes took {peak} bytes, bound {bound}", bytes.len());
    match result {
        Ok(d) => {
            prop_assert!(!d.is_empty() && d.dim() > 0 && d.classes > 0);
            prop_assert!(d.features.iter().all(|v| v.is_finite()));
        }
        Err(e) => prop_assert!(e.to_string().starts_with("fuzz.csv: "), "error does not name the source: {e}"),
    }
    Ok(())
}

/// A valid IDX array of any dtype, 1–3 dimensions of 1–5.
fn any_array() -> impl Strategy<Value = IdxArray> {
    (prop::collection::vec(1usize..=5, 1..=3), 0u8..6, any::<u64>()).prop_map(|(dims, dtype, seed)| {
        let n: usize = dims.iter().product();
        let v = |i: usize| seed.wrapping_mul(i as u64 + 1).rotate_left(i as u32 % 64);
        let data = match dtype {
            0 => IdxData::U8((0..n).map(|i| v(i) as u8).collect()),
            1 => IdxData::I8((0..n).map(|i| v(i) as i8).collect()),
            2 => IdxData::I16((0..n).map(|i| v(i) as i16).collect()),
            3 => IdxData::I32((0..n).map(|i| v(i) as i32).collect()),
            4 => IdxData::F32((0..n).map(|i| (v(i) % 1000) as f32 / 7.0).collect()),
            _ => IdxData::F64((0..n).map(|i| (v(i) % 1000) as f64 / 7.0).collect()),
        };
        IdxArray { dims, data }
    })
}

/// A mutation of a file's bytes: set bytes, then cut or extend.
#[derive(Clone, Debug)]
struct Mutation {
    sets: Vec<(usize, u8)>,
    cut: Option<usize>,
    extra: Vec<u8>,
}

fn any_mutation(max_pos: usize) -> impl Strategy<Value = Mutation> {
    (
        prop::collection::vec((0..max_pos, any::<u8>()), 0..4),
        prop::option::of(0..max_pos),
        prop::collection::vec(any::<u8>(), 0..3),
    )
        .prop_map(|(sets, cut, extra)| Mutation { sets, cut, extra })
}

impl Mutation {
    fn apply(&self, mut b: Vec<u8>) -> Vec<u8> {
        for &(pos, v) in &self.sets {
            if pos < b.len() {
                b[pos] = v;
            }
        }
        if let Some(cut) = self.cut {
            b.truncate(cut);
        }
        b.extend_from_slice(&self.extra);
        b
    }
}

/// A valid CSV: a header `f0,…,label` and rows of numbers with labels 0..classes.
fn any_csv() -> impl Strategy<Value = String> {
    (1usize..4, 1usize..4, prop::collection::vec((any::<i16>(), 0usize..4), 1..12)).prop_map(
        |(features, classes, rows)| {
            let names: Vec<String> = (0..features).map(|j| format!("f{j}")).collect();
            let mut out = format!("{},label\n", names.join(","));
            for (k, (v, l)) in rows.iter().enumerate() {
                let cells: Vec<String> = (0..features).map(|j| format!("{}", (*v as f32 + j as f32) / 4.0)).collect();
                out += &format!("{},{}\n", cells.join(","), (l + k) % classes);
            }
            out
        },
    )
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary bytes, raw, behind a gzip magic number, and as a valid gzip stream.
    #[test]
    fn idx_reader_survives_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_idx(&bytes)?;
        check_idx(&[&[0x1f, 0x8b][..], &bytes].concat())?;
        check_idx(&gzip(&bytes))?;
    }

    /// Arbitrary headers (any dtype byte, 0–4 dimensions of any size) over short payloads, raw and gzip.
    #[test]
    fn idx_reader_survives_arbitrary_headers(
        dtype in prop_oneof![Just(0x08u8), Just(0x09), Just(0x0B), Just(0x0C), Just(0x0D), Just(0x0E), any::<u8>()],
        dims in prop::collection::vec(prop_oneof![0u32..4, any::<u32>()], 0..5),
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut b = vec![0, 0, dtype, dims.len() as u8];
        for d in &dims {
            b.extend(d.to_be_bytes());
        }
        b.extend(payload);
        check_idx(&b)?;
        check_idx(&gzip(&b))?;
    }

    /// Mutations of a valid file of any dtype: before compression, after it, or of the raw file.
    #[test]
    fn idx_reader_survives_mutated_files(array in any_array(), m in any_mutation(200), when in 0u8..3) {
        let raw = encode_idx(&array);
        let bytes = match when {
            0 => m.apply(raw),
            1 => gzip(&m.apply(raw)),
            _ => m.apply(gzip(&raw)),
        };
        check_idx(&bytes)?;
    }

    /// Arbitrary bytes and CSV-like text, with the label column by name and by index.
    #[test]
    fn csv_reader_survives_arbitrary_input(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        text in "[0-9a-z,\"\n\r .eE+-]{0,256}",
        index in 0usize..4,
    ) {
        for input in [&bytes[..], text.as_bytes(), format!("a,label\n{text}").as_bytes()] {
            check_csv(input, &LabelColumn::Name("label".into()))?;
            check_csv(input, &LabelColumn::Index(index))?;
        }
    }

    /// Mutations of a valid CSV.
    #[test]
    fn csv_reader_survives_mutated_files(csv in any_csv(), m in any_mutation(300), big_label in prop::option::of(any::<u64>())) {
        let mut text = csv;
        if let Some(l) = big_label {
            text += &format!("1,{l}\n");
        }
        check_csv(&m.apply(text.into_bytes()), &LabelColumn::Name("label".into()))?;
    }
}

/// A gzip bomb: memory follows the size the header declares, not what the stream would expand to.
#[test]
fn gzip_bomb_memory_follows_the_header() {
    let zeros = gzip(&vec![0u8; 1 << 20]);
    for declared in [8usize, 1 << 20] {
        let mut bomb = gzip(&encode_idx(&IdxArray { dims: vec![declared], data: IdxData::U8(vec![1; declared]) }));
        for _ in 0..64 {
            bomb.extend_from_slice(&zeros);
        }
        let (result, peak) = peak_of(|| parse_idx(Path::new("bomb.idx"), &bomb));
        let e = result.unwrap_err().to_string();
        assert!(e.starts_with("bomb.idx: decompresses to more than"), "{e}");
        let bound = GZIP_STATE + declared as u64 + 4096 + 8192;
        assert!(peak <= bound, "a 64 MiB bomb declaring {declared} bytes took {peak} bytes, bound {bound}");
    }
}

/// The bounds above are not vacuous: a valid gzip file takes about its decompressed size, not the bound.
#[test]
fn valid_gzip_file_takes_about_its_size() {
    let array = IdxArray { dims: vec![100, 28, 28], data: IdxData::U8((0..78_400).map(|i| (i % 251) as u8).collect()) };
    let bytes = gzip(&encode_idx(&array));
    let mut decoded = Vec::new();
    flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut decoded).unwrap();
    let (result, peak) = peak_of(|| parse_idx(Path::new("ok.idx"), &bytes));
    assert_eq!(result.unwrap(), array);
    assert!(peak <= GZIP_STATE + 2 * decoded.len() as u64 + 8192, "{peak} bytes for {} decompressed", decoded.len());
}
