//! Fuzzing the configuration parsers (design.md: "the IDX and config parsers are fuzzed"): run
//! configurations (`RunConfig::from_toml`, as `train --config` reads them) and sweep files
//! (`SweepFile::parse`, expanded) from arbitrary text, from tables of the known keys with values of every
//! type and range, and from byte mutations of the shipped sweep files. None may panic; every error is a
//! usage error with a message; a configuration that parses has a name, an id and a memory estimate.
//!
//! CI runs [`DEFAULT_CASES`] cases per fuzzer from a fixed seed; `ACTSCOPE_FUZZ_CASES=N` runs `N`.

use actscope_lab::budget::{DataShape, estimate};
use actscope_lab::config::{KEYS, RunConfig};
use actscope_lab::sweep::SweepFile;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// Cases per fuzzer in CI (about a second each).
const DEFAULT_CASES: u32 = 500;

fn config() -> Config {
    let cases = std::env::var("ACTSCOPE_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    Config { cases, rng_seed: RngSeed::Fixed(0xc0f1_9f22), failure_persistence: None, ..Config::default() }
}

/// A shape as the embedded data has it, for the memory estimate of a configuration that parses.
const SHAPE: DataShape =
    DataShape { input_dim: 784, classes: 10, train: 9_000, val: 1_000, train_classes: 10, eval_grouping: 0 };

/// What a configuration that parsed must give without panicking.
fn use_config(c: &RunConfig) {
    let _ = (c.dir_name(), c.id(), c.widths());
    let _ = estimate(c, &SHAPE);
}

/// A TOML value of any type, with the edge cases configurations meet: 0, negatives, the largest integers,
/// NaN and infinities, empty and huge arrays, names valid and not, nested tables.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        prop_oneof![Just(0i64), Just(1), Just(-1), Just(2), Just(60), Just(i64::MAX), Just(i64::MIN)]
            .prop_map(|i| i.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        prop_oneof![Just("nan"), Just("inf"), Just("-inf"), Just("0.0"), Just("-0.0"), Just("1e308"), Just("1e-320")]
            .prop_map(String::from),
        prop_oneof![Just("true"), Just("false")].prop_map(String::from),
        prop_oneof![
            Just("relu"),
            Just("leaky_relu(0.2)"),
            Just("leaky_relu(-1)"),
            Just("elu(nan)"),
            Just("small_gaussian(0)"),
            Just("before"),
            Just("adam"),
            Just("synthetic:spirals"),
            Just("embedded"),
            Just(""),
            Just("../../etc"),
            Just("x.csv#7"),
        ]
        .prop_map(|s| format!("{s:?}")),
        "[a-z_():.0-9-]{0,12}".prop_map(|s| format!("{s:?}")),
    ];
    leaf.prop_recursive(2, 16, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
            inner.prop_map(|v| format!("{{ x = {v} }}")),
        ]
    })
}

/// Known keys (and one unknown) with values of any type.
fn table() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![
        9 => (0..KEYS.len()).prop_map(|i| KEYS[i].name.to_string()),
        1 => "[a-z]{1,8}".prop_map(String::from),
    ];
    prop::collection::vec((key, value()), 0..8)
}

fn toml_of(pairs: &[(String, String)]) -> String {
    let mut seen = std::collections::HashSet::new();
    pairs.iter().filter(|(k, _)| seen.insert(k.clone())).map(|(k, v)| format!("{k} = {v}\n")).collect()
}

/// A sweep file: a base table and axes of lists of values.
fn sweep_text() -> impl Strategy<Value = String> {
    (table(), prop::collection::vec(((0..KEYS.len()).prop_map(|i| KEYS[i].name), value()), 0..4)).prop_map(
        |(base, axes)| {
            let mut seen = std::collections::HashSet::new();
            let axes: String = axes
                .iter()
                .filter(|(k, _)| seen.insert(*k))
                .map(|(k, v)| if v.starts_with('[') { format!("{k} = {v}\n") } else { format!("{k} = [{v}]\n") })
                .collect();
            format!("[base]\n{}[axes]\n{axes}", toml_of(&base))
        },
    )
}

/// Parses `text` as a sweep file and expands at most 64 of its runs, as `sweep --dry-run` does.
fn use_sweep(text: &str) {
    match SweepFile::parse(text, "s.toml") {
        // No cap on the grid's size (the shipped files have up to 420 runs): the first 64 runs are built.
        Ok(file) => match file.runs(u64::MAX) {
            Ok(runs) => {
                for r in runs.take(64) {
                    match r {
                        Ok(c) => use_config(&c),
                        Err(e) => assert!(e.is_usage() && e.to_string().starts_with("s.toml"), "{e}"),
                    }
                }
            }
            Err(e) => assert!(e.is_usage() && !e.to_string().is_empty(), "{e}"),
        },
        Err(e) => assert!(e.is_usage() && !e.to_string().is_empty(), "{e}"),
    }
}

proptest! {
    #![proptest_config(config())]

    /// Arbitrary text never panics either parser.
    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        if let Ok(c) = RunConfig::from_toml(&text, "c.toml") {
            use_config(&c);
        }
        use_sweep(&text);
    }

    /// Known keys with values of every type and range: a run configuration parses, or is a usage error
    /// naming the file or the setting.
    #[test]
    fn run_configurations(pairs in table(), few in prop::collection::vec((0..KEYS.len(), value()), 0..3)) {
        let text = toml_of(&pairs);
        // Also a valid configuration with a few settings changed, so that many cases parse.
        let few: Vec<(String, String)> = few.into_iter().map(|(i, v)| (KEYS[i].name.to_string(), v)).collect();
        let mut changed = toml_of(&few);
        if !few.iter().any(|(k, _)| k == "hidden" || k == "depth") {
            changed.push_str("hidden = [4]\n");
        }
        match RunConfig::from_toml(&changed, "c.toml") {
            Ok(c) => use_config(&c),
            Err(e) => prop_assert!(e.is_usage() && !e.to_string().is_empty(), "{}", e),
        }
        match RunConfig::from_toml(&text, "c.toml") {
            Ok(c) => use_config(&c),
            Err(e) => prop_assert!(e.is_usage() && !e.to_string().is_empty(), "{}", e),
        }
    }

    /// Sweep files of such tables and axes, expanded.
    #[test]
    fn sweep_files(text in sweep_text()) {
        use_sweep(&text);
    }

    /// Byte mutations of the shipped sweep files (one to four bytes changed, inserted or removed).
    #[test]
    fn mutated_sweep_files(which in 0..5usize, edits in prop::collection::vec((any::<prop::sample::Index>(), 0..3u8, any::<u8>()), 1..5)) {
        let files = [
            include_str!("../../../../examples/sweep.toml"),
            include_str!("../../experiments/e1_main.toml"),
            include_str!("../../experiments/e2_depth.toml"),
            include_str!("../../experiments/e3_dead_relu.toml"),
            include_str!("../../experiments/e4_saturation.toml"),
        ];
        let mut bytes = files[which].as_bytes().to_vec();
        for (at, op, b) in edits {
            let i = at.index(bytes.len().max(1));
            match op {
                0 if i < bytes.len() => bytes[i] = b,
                1 => bytes.insert(i.min(bytes.len()), b),
                _ if i < bytes.len() => {
                    bytes.remove(i);
                }
                _ => {}
            }
        }
        if let Ok(text) = String::from_utf8(bytes) {
            use_sweep(&text);
        }
    }
}
