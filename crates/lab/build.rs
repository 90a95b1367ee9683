//! Fingerprints the code that decides a run's numbers, so that runs computed by another build are
//! recognised (and redone) instead of being mixed into new results.
//!
//! The fingerprint is SHA-256 over the relative path and bytes of every file that computes a run: the
//! layers and training loop (`crates/core/src`, but `gradcheck.rs`, the finite-difference checker that only
//! tests call), the metrics (`crates/metrics/src`), the data loaders
//! (`crates/data/src`), the run and configuration code of this crate, `Cargo.lock` (dependency versions,
//! e.g. the GEMM kernels), and the features those dependencies are built with (the manifests of core,
//! metrics, data, lab and the CLI, whose features cargo merges in a build, and the root manifest's
//! `[workspace.dependencies]`: gemm's AVX-512 kernels are a feature). The report's wording, the plots and the tests are left out: changing
//! them does not change a run; so is the runs directory's bookkeeping (`crates/lab/src/store.rs`). A listed file or directory that is missing fails the build, so a moved file
//! cannot silently drop out of the fingerprint.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("code fingerprint: cannot read {} ({e}); update lab/build.rs", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let root = here.join("../..");
    let mut files = Vec::new();
    for dir in ["crates/core/src", "crates/metrics/src", "crates/data/src"] {
        let d = root.join(dir);
        println!("cargo::rerun-if-changed={}", d.display());
        files_under(&d, &mut files);
    }
    // Files under those directories that compute no run: left out (and required to exist, so that a moved
    // file is noticed here rather than silently entering the fingerprint under a new name).
    const LEFT_OUT: &[&str] = &["crates/core/src/gradcheck.rs"];
    for file in LEFT_OUT {
        let f = root.join(file);
        assert!(f.is_file(), "code fingerprint: {} is missing; update lab/build.rs", f.display());
        let before = files.len();
        files.retain(|p| p != &f);
        assert_eq!(files.len() + 1, before, "code fingerprint: {} was not among the files hashed", f.display());
    }
    // The manifests of the crates built with those that compute a run, for the features they build their
    // dependencies with (Cargo.lock records versions, not features: gemm's `x86-v4` kernels are chosen in a
    // manifest, and cargo merges the features every crate of a build asks for: the CLI's too; xtask runs the
    // report through the CLI and builds no run's code).
    for file in [
        "crates/lab/src/run.rs",
        "crates/lab/src/config.rs",
        "Cargo.lock",
        "crates/core/Cargo.toml",
        "crates/metrics/Cargo.toml",
        "crates/data/Cargo.toml",
        "crates/lab/Cargo.toml",
        "crates/cli/Cargo.toml",
    ] {
        let f = root.join(file);
        assert!(f.is_file(), "code fingerprint: {} is missing; update lab/build.rs", f.display());
        println!("cargo::rerun-if-changed={}", f.display());
        files.push(f);
    }
    let mut named: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| (p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().replace('\\', "/"), p))
        .collect();
    named.sort();
    let mut h = Sha256::new();
    for (name, path) in &named {
        let bytes =
            std::fs::read(path).unwrap_or_else(|e| panic!("code fingerprint: cannot read {} ({e})", path.display()));
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    // The workspace's dependency table, where the features of shared dependencies are set (the rest of the
    // root manifest, e.g. its profiles and members, does not change a run's numbers).
    let manifest = root.join("Cargo.toml");
    println!("cargo::rerun-if-changed={}", manifest.display());
    let text = std::fs::read_to_string(&manifest)
        .unwrap_or_else(|e| panic!("code fingerprint: cannot read {} ({e})", manifest.display()));
    // The table and any `[workspace.dependencies.NAME]` tables after it, up to the next other table.
    let table: Vec<&str> = text
        .lines()
        .skip_while(|l| l.trim() != "[workspace.dependencies]")
        .take_while(|l| {
            let l = l.trim_start();
            !l.starts_with('[') || l.starts_with("[workspace.dependencies")
        })
        .collect();
    assert!(
        !table.is_empty(),
        "code fingerprint: {} has no [workspace.dependencies]; update lab/build.rs",
        manifest.display()
    );
    h.update(b"Cargo.toml [workspace.dependencies]");
    h.update(table.join("\n").as_bytes());
    let hex: String = h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
    println!("cargo::rustc-env=ACTSCOPE_CODE={hex}");

    // For the report's manifest: the compiler, and the versions of the crates that compute or test its
    // numbers, as Cargo.lock pins them.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = std::process::Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "unknown".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    println!("cargo::rustc-env=ACTSCOPE_RUSTC={version}");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).expect("Cargo.lock was read above");
    let mut deps = Vec::new();
    for name in ["ndarray", "gemm", "matrixmultiply", "rayon", "statrs", "plotters"] {
        let mut lines = lock.lines();
        while let Some(l) = lines.next() {
            if l == format!("name = \"{name}\"") {
                if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                    deps.push(format!("{name} {}", v.trim_end_matches('"')));
                }
                break;
            }
        }
    }
    println!("cargo::rustc-env=ACTSCOPE_DEPS={}", deps.join(", "));
}
