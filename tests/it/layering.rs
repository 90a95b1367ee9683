//! The crates' dependency layering (docs/architecture.md): a crate may depend only on crates below it.
//!
//! ```text
//! actscope (cli), actscope-python (python/; its reference binary python/reference)
//!        │
//!   actscope-lab                          xtask (runs the report and the data crate's embed_data
//!   │     │      │                                 example through cargo; links no actscope crate)
//!   │  actscope-metrics  actscope-data          actscope-capture
//!   │     │      │
//!   │   actscope-core
//! actscope-plots            (depends on no other actscope crate)
//! ```

use std::collections::BTreeMap;
use std::path::Path;

/// Each crate (by manifest path) and the actscope crates it may depend on.
const ALLOWED: [(&str, &[&str]); 10] = [
    ("crates/core", &[]),
    ("crates/capture", &["actscope-core"]),
    ("crates/plots", &[]),
    ("crates/data", &["actscope-core"]),
    ("crates/metrics", &["actscope-core"]),
    ("crates/lab", &["actscope-capture", "actscope-core", "actscope-data", "actscope-metrics", "actscope-plots"]),
    (
        "crates/cli",
        &["actscope-capture", "actscope-core", "actscope-data", "actscope-lab", "actscope-plots", "actscope-metrics"],
    ),
    ("xtask", &[]),
    // The Python bindings sit at the top with the CLI; the reference binary their tests compare with reads
    // only what it checks.
    ("python", &["actscope-capture", "actscope-core", "actscope-lab", "actscope-metrics", "actscope-plots"]),
    ("python/reference", &["actscope-core", "actscope-metrics"]),
];

/// The actscope crates a manifest's normal and build dependencies name.
fn actscope_deps(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{}: {e}", manifest.display()));
    let mut out = Vec::new();
    for section in ["dependencies", "build-dependencies"] {
        if let Some(t) = doc.get(section).and_then(|v| v.as_table()) {
            out.extend(t.keys().filter(|k| k.starts_with("actscope")).cloned());
        }
    }
    out
}

#[test]
fn no_crate_depends_on_a_crate_above_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut bad = BTreeMap::new();
    for (dir, allowed) in ALLOWED {
        for dep in actscope_deps(&root.join(dir).join("Cargo.toml")) {
            if !allowed.contains(&dep.as_str()) {
                bad.insert(format!("{dir} → {dep}"), allowed.join(", "));
            }
        }
    }
    assert!(bad.is_empty(), "dependencies that break the layering (crate → dep: allowed): {bad:#?}");
}

#[test]
fn every_crate_of_the_workspace_is_placed_in_a_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Every workspace member outside crates/ too (xtask, tests, python, python/reference).
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml")).unwrap().parse().unwrap();
    let members = manifest["workspace"]["members"].as_array().unwrap();
    for m in members.iter().filter_map(|m| m.as_str()).filter(|m| !m.contains('*') && *m != "tests") {
        assert!(
            ALLOWED.iter().any(|(d, _)| d == &m),
            "{m} has no layer in tests/it/layering.rs and docs/architecture.md"
        );
    }
    let mut crates: Vec<String> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| format!("crates/{}", e.file_name().to_string_lossy()))
        .collect();
    crates.sort();
    for c in &crates {
        assert!(
            ALLOWED.iter().any(|(d, _)| d == c),
            "{c} has no layer in tests/it/layering.rs and docs/architecture.md"
        );
    }
}
