//! Bad input is refused, never aborts or hangs: networks too large for memory, grids too large to list,
//! and sweep errors that name the user's file, section and key.

use std::path::PathBuf;

use actscope_lab::RunConfig;
use actscope_lab::sweep::{DEFAULT_MAX_RUNS, SweepFile};

fn out_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("actscope-limits-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn sweep_error(text: &str) -> String {
    let e = SweepFile::parse(text, "sweep.toml").unwrap().expand().unwrap_err();
    assert!(e.is_usage(), "{e}");
    e.to_string()
}

/// Two 3,000,000-unit layers need 3·10⁶² · 4 bytes = 36 TB for one weight matrix: no machine holds it, so
/// the run is refused before anything is allocated or any directory is made (today's code aborts the
/// process on the failed allocation).
#[test]
fn a_network_too_large_for_memory_is_refused_before_allocating() {
    let cfg = RunConfig::from_toml("hidden = [3000000, 3000000]\nsteps = 1\nprobe_size = 50", "test").unwrap();
    let data = actscope_data::load("synthetic:spirals", 0.1, false).unwrap();
    let out = out_dir("huge");
    let e = actscope_lab::run::execute(&cfg, &data, &out).unwrap_err();
    let m = e.to_string();
    assert!(e.is_usage(), "{m}");
    assert!(m.contains("the run needs about") && m.contains("TiB") && m.contains("more than the limit of"), "{m}");
    assert!(!out.exists(), "nothing is written for a refused run, not even a .tmp-* directory");
}

/// Widths and depths beyond the absolute caps are refused when the configuration is validated, before
/// `depth × width` is expanded into a list.
#[test]
fn absurd_widths_and_depths_are_refused_by_validation() {
    for (text, expected) in [
        ("hidden = [3000000000]", "invalid hidden: width 3000000000 (layer 1) exceeds the limit of 10000000"),
        ("depth = 100000000000", "invalid depth: 100000000000 hidden layers exceed the limit of 100000"),
        ("depth = 2\nwidth = 100000000", "invalid width: 100000000 units exceed the limit of 10000000"),
    ] {
        let e = RunConfig::from_toml(text, "c.toml").unwrap_err();
        assert!(e.is_usage() && e.to_string().contains(expected), "{text}: {e}");
    }
    let m = sweep_error("[base]\nepochs = 1\n[axes]\nhidden = [[4], [100000000000]]\n");
    assert!(m.starts_with("sweep.toml:4: [axes] hidden = [100000000000]: invalid hidden: width 100000000000"), "{m}");
}

/// Eight axes of eight values: 16,777,216 runs. The size is counted (not built) and refused above the
/// cap; under a raised cap the runs come one at a time, so taking a few costs nothing.
#[test]
fn a_huge_grid_is_counted_refused_and_streamed() {
    let mut text = String::from("[base]\nhidden = [4]\n[axes]\n");
    for key in ["seed", "probe_size", "batch_size", "epochs", "checkpoints_per_epoch", "evals_per_epoch"] {
        text.push_str(&format!("{key} = [{}]\n", (2..10).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")));
    }
    text.push_str("lr = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08]\n");
    text.push_str("tau = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]\n");
    let file = SweepFile::parse(&text, "big.toml").unwrap();
    assert_eq!(file.count().unwrap(), 1 << 24);
    let e = file.expand_at_most(DEFAULT_MAX_RUNS).unwrap_err();
    assert!(e.is_usage(), "{e}");
    assert!(
        e.to_string().contains("big.toml: the axes have 16777216 combinations, more than the limit of 1000000 runs")
    );
    let runs = file.runs(u64::MAX).unwrap();
    assert_eq!(runs.combinations(), 1 << 24);
    let first: Vec<RunConfig> = runs.take(3).collect::<Result<_, _>>().unwrap();
    // Later axes vary fastest (tau is the last axis the file writes).
    assert_eq!(first.iter().map(|r| r.tau).collect::<Vec<_>>(), vec![0.1, 0.2, 0.3]);
    // A product beyond 2⁶⁴ is refused, not wrapped (counted before any key is checked).
    let mut text = String::from("[base]\nhidden = [4]\n[axes]\n");
    for i in 0..17 {
        text.push_str(&format!("seed{i} = [{}]\n", (0..16).map(|v| v.to_string()).collect::<Vec<_>>().join(", ")));
    }
    let e = SweepFile::parse(&text, "s.toml").unwrap().count().unwrap_err();
    assert!(e.to_string().contains("more than 2⁶⁴ combinations"), "{e}");
}

/// Errors name the user's file, the line, the section and the key, never an empty "(run with )".
#[test]
fn sweep_errors_name_the_file_section_and_key() {
    let m = sweep_error("[base]\nhidden = [4]\nlr = 0\n");
    assert!(m.starts_with("sweep.toml:3: [base] lr = 0: invalid lr: "), "{m}");
    let m = sweep_error("[base]\nhidden = [4]\nlr = 0\n[axes]\nseed = [0, 1]\n");
    assert!(m.starts_with("sweep.toml:3: [base] lr = 0: invalid lr: "), "{m}");
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\nactivation = [\"relu\", \"swishy\"]\nseed = [0, 1]\n");
    assert!(m.starts_with("sweep.toml:4: [axes] activation = \"swishy\": unknown activation \"swishy\""), "{m}");
    let m = sweep_error("[base]\nhidden = [4]\nlrr = 0.1\n");
    assert!(m.starts_with("sweep.toml:3: [base] lrr = 0.1: unknown setting `lrr`; did you mean `lr`?"), "{m}");
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\nbatch_size = [10, \"many\"]\n");
    assert!(m.starts_with("sweep.toml:4: [axes] batch_size = \"many\": invalid type"), "{m}");
    let m = sweep_error("[base]\nepochs = 1\n");
    assert!(m.starts_with("sweep.toml: [base]: invalid hidden: give hidden"), "{m}");
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\nseed = []\n");
    assert!(m.contains("sweep.toml: [axes] seed has no values"), "{m}");
    // Data that cannot be found is named before any run (it failed when the runs started, naming neither
    // the file nor the line).
    let m = sweep_error("[base]\nhidden = [4]\ndata = \"/nonexistent/idx\"\n");
    assert!(
        m.starts_with("sweep.toml:3: [base] data = \"/nonexistent/idx\": invalid data: \"/nonexistent/idx\" not found"),
        "{m}"
    );
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\ndata = [\"synthetic:clusters\", \"synthetic:cluster\"]\n");
    assert!(
        m.starts_with("sweep.toml:4: [axes] data = \"synthetic:cluster\": invalid data: unknown synthetic set"),
        "{m}"
    );
    // Valid only together: `nesterov = true` needs momentum > 0, which an axis gives.
    let ok = SweepFile::parse("[base]\nhidden = [4]\nnesterov = true\n[axes]\nmomentum = [0.5, 0.9]\n", "s")
        .unwrap()
        .expand()
        .unwrap();
    assert_eq!(ok.len(), 2);
    // Invalid only together: the message names every axis value of the run.
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\nmomentum = [0.9, 0]\nnesterov = [false, true]\n");
    assert!(m.starts_with("sweep.toml: [axes] momentum = 0, nesterov = true: invalid nesterov"), "{m}");
    // Also where the invalid pair is in the grid's first run (checked before expanding): it had named only
    // `nesterov = true`, as if that value were invalid alone.
    let m = sweep_error("[base]\nhidden = [4]\n[axes]\nmomentum = [0.0, 0.9]\nnesterov = [false, true]\n");
    assert!(m.starts_with("sweep.toml: [axes] momentum = 0.0, nesterov = true: invalid nesterov"), "{m}");
    // A base key that only an axis overrides is still checked as the runs use it.
    let m = sweep_error("[base]\nhidden = [4]\nnesterov = true\n[axes]\nmomentum = [0, 0.9]\n");
    assert!(m.starts_with("sweep.toml:3: [base] nesterov = true: invalid nesterov"), "{m}");
    assert!(!m.contains("(run with"), "{m}");
}
