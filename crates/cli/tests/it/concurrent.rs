//! Concurrent writers: several `actscope sweep` processes sharing one output directory, as the shards of a
//! cluster job array do (docs/cluster.md). Each must exit 0, and the directory must end up complete, with
//! no temporary directory left, and bit-identical to what one process writes alone.

use std::path::Path;
use std::process::Child;

use crate::cli::{bin, run, tmp};
use crate::sweep::snapshot;

/// Twenty short runs: many runs finishing at nearly the same moment in both processes.
const SWEEP: &str = r#"
name = "concurrent"
[base]
data = "synthetic:clusters"
hidden = [16]
steps = 40
probe_size = 100
[axes]
activation = ["tanh", "relu"]
placement = ["none", "after"]
seed = [0, 1, 2, 3, 4]
"#;

/// Starts `actscope sweep s.toml --out out` with `extra` arguments, without waiting.
fn spawn(dir: &Path, out: &str, extra: &[&str]) -> Child {
    bin()
        .args(["sweep", "s.toml", "--out", out, "--jobs", "2", "--quiet"])
        .args(extra)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Starts one process per argument list together, waits for all, and asserts each exited 0.
fn run_together(dir: &Path, out: &str, each: &[&[&str]]) {
    let children: Vec<Child> = each.iter().map(|extra| spawn(dir, out, extra)).collect();
    for (extra, child) in each.iter().zip(children) {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "sweep {extra:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Names in `dir` starting with a dot (temporary directories of runs in progress or abandoned).
fn hidden_entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// A directory `reference` written by one process alone, and its snapshot.
fn reference(d: &Path) -> std::collections::BTreeMap<String, (String, String)> {
    std::fs::write(d.join("s.toml"), SWEEP).unwrap();
    let o = run(&["sweep", "s.toml", "--out", "alone", "--jobs", "1", "--quiet"], d);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let alone = snapshot(&d.join("alone"));
    assert_eq!(alone.len(), 20);
    alone
}

#[test]
fn two_processes_running_the_same_sweep_into_one_directory() {
    let d = tmp("concurrent-same");
    let alone = reference(&d);
    // Two rounds: the second starts over a directory the first filled, where both must only skip.
    for round in 0..2 {
        run_together(&d, "shared", &[&[], &[]]);
        assert!(hidden_entries(&d.join("shared")).is_empty(), "round {round}: temporary directories left behind");
        assert!(snapshot(&d.join("shared")) == alone, "round {round}: differs from one process's result");
    }
    let o = run(&["sweep", "s.toml", "--out", "shared", "--dry-run"], &d);
    assert_eq!(String::from_utf8_lossy(&o.stdout).matches("(finished)").count(), 20);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn shards_started_together_into_one_directory() {
    let d = tmp("concurrent-shards");
    let alone = reference(&d);
    run_together(&d, "shared", &[&["--shard", "0/3"], &["--shard", "1/3"], &["--shard", "2/3"]]);
    assert!(hidden_entries(&d.join("shared")).is_empty(), "temporary directories left behind");
    assert!(snapshot(&d.join("shared")) == alone, "three shards together differ from one process's result");
    // A shard and the whole sweep at once overlap on a third of the runs: still one complete result.
    run_together(&d, "overlap", &[&["--shard", "1/3"], &[]]);
    assert!(hidden_entries(&d.join("overlap")).is_empty(), "temporary directories left behind");
    assert!(snapshot(&d.join("overlap")) == alone, "overlapping writers differ from one process's result");
    std::fs::remove_dir_all(&d).unwrap();
}
