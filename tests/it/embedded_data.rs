//! The embedded Fashion-MNIST subset: checksum, counts and class balance, and the full set when installed.

use actscope_data::embedded::{MAX_BYTES, TEST_PER_CLASS, TRAIN_PER_CLASS, embedded};

#[test]
fn embedded_subset_is_intact_and_balanced() {
    let s = embedded().expect("embedded subset verifies and parses");
    assert_eq!(s.train.len(), 10 * TRAIN_PER_CLASS);
    assert_eq!(s.test.len(), 10 * TEST_PER_CLASS);
    assert_eq!(s.train.class_counts(), vec![TRAIN_PER_CLASS; 10]);
    assert_eq!(s.test.class_counts(), vec![TEST_PER_CLASS; 10]);
    assert_eq!(s.train.shape, vec![28, 28]);
    assert!(s.train.features.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(s.checksum.len(), 64);
}

#[test]
fn embedded_subset_stays_within_its_size_budget() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/data/data/fashion-mnist-subset");
    let total: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".gz"))
        .map(|e| e.metadata().unwrap().len())
        .sum();
    assert!(total > 0 && total <= MAX_BYTES as u64, "the embedded files take {total} bytes; at most {MAX_BYTES}");
}

/// Where Debian's `dataset-fashion-mnist` installs the official files; the tests below use it when present.
const SYSTEM_DIR: &str = actscope_data::SYSTEM_FASHION_MNIST;

/// Whether this runs under CI (`CI` set to anything but empty, `0` or `false`), as `cargo xtask test` decides.
fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// Whether the official files are installed at [`SYSTEM_DIR`]. Without them a test of the full-size path
/// cannot run: under CI, which provisions them (`.ci/provision-data.sh`), that fails the test; elsewhere the
/// test says so in a banner and passes without having checked anything.
fn official_files_installed(test: &str) -> bool {
    let found = actscope_data::mnist::find_idx_files(std::path::Path::new(SYSTEM_DIR));
    let installed = found.is_ok();
    if let Err(e) = found {
        let why = format!(
            "{test}: NOT RUN, the official Fashion-MNIST is not installed at {SYSTEM_DIR} ({e}); \
             provision it with .ci/provision-data.sh (Debian's dataset-fashion-mnist)"
        );
        assert!(!under_ci(), "{why} (under CI a test that cannot run is a failure)");
        // Written to stderr itself, not through `eprintln!`, which the test harness captures and shows only
        // for failing tests.
        use std::io::Write;
        let _ = writeln!(std::io::stderr().lock(), "{}\n{why}\n{}", "!".repeat(100), "!".repeat(100));
    }
    installed
}

/// `cargo xtask embed-data` is byte-for-byte reproducible: rebuilding from the official files gives the
/// committed bytes. Needs the official files ([`official_files_installed`]).
#[test]
fn embedded_subset_rebuilds_byte_for_byte() {
    use actscope_data::embedded::{build_subset, file_names, sha256sums};
    use actscope_data::mnist::find_idx_files;
    if !official_files_installed("embedded_subset_rebuilds_byte_for_byte") {
        return;
    }
    let files = find_idx_files(std::path::Path::new(SYSTEM_DIR)).unwrap();
    let bytes: Vec<Vec<u8>> = files.paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let built = build_subset([0, 1, 2, 3].map(|i| (files.paths[i].as_path(), bytes[i].as_slice()))).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/data/data/fashion-mnist-subset");
    for (name, data) in file_names().iter().zip(&built) {
        assert_eq!(&std::fs::read(dir.join(name)).unwrap(), data, "{name} differs from a fresh build");
    }
    assert_eq!(std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap(), sha256sums(&built));
}

/// The full-size path: the official files load with the expected counts and shape. Needs the official
/// files ([`official_files_installed`]).
#[test]
fn full_fashion_mnist_loads_when_installed() {
    if !official_files_installed("full_fashion_mnist_loads_when_installed") {
        return;
    }
    let dir = std::path::Path::new(SYSTEM_DIR);
    let s = actscope_data::load_idx_dir(dir, actscope_data::mnist::Classes::FromLabels).unwrap();
    assert_eq!((s.train.len(), s.test.len()), (60_000, 10_000));
    assert_eq!(s.train.class_counts(), vec![6000; 10]);
    assert_eq!(s.train.shape, vec![28, 28]);
}
