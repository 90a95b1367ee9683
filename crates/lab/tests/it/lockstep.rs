//! Sweeps in lockstep groups write exactly the run directories that training every run alone writes
//! (records and summaries, all but the wall time), however the runs are grouped, resumed or sharded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actscope_lab::sweep::{DataCache, Shard, SweepFile, SweepOptions, describe_groups, execute_sweep};

const SWEEP: &str = r#"
[base]
data = "synthetic:teacher"
hidden = [80, 20]
steps = 30
batch_size = 50
probe_size = 100
checkpoints_per_epoch = 2
evals_per_epoch = 2
step_scalars = true
[axes]
activation = ["sigmoid", "relu"]
placement = ["none", "before", "after"]
lr = [0.05, 50000.0]
seed = [0, 1]
"#;

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("actscope-lockstep-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Every finished run's reproducible outputs, by run name.
fn snapshot(dir: &Path) -> BTreeMap<String, (String, String)> {
    actscope_lab::store::reproducible_outputs(dir).unwrap()
}

fn opts(jobs: usize, shard: Shard, lockstep: bool) -> SweepOptions {
    SweepOptions { jobs, shard, lockstep }
}

#[test]
fn lockstep_groups_resume_and_shards_write_what_runs_alone_write() {
    let runs = SweepFile::parse(SWEEP, "s.toml").unwrap().expand().unwrap();
    assert_eq!(runs.len(), 24);
    let cache = DataCache::default();
    let root = temp("all");

    // Every run alone.
    let alone = root.join("alone");
    let r = execute_sweep(&runs, &alone, &opts(1, Shard::ALL, false), &cache, &()).unwrap();
    assert_eq!(r.done, 24);
    assert!(r.diverged >= 4, "the huge rate diverges mid-group: {}", r.diverged);
    let expected = snapshot(&alone);

    // In groups, with one and two workers.
    for jobs in [1, 2] {
        let dir = root.join(format!("lockstep{jobs}"));
        let plan = describe_groups(&runs, &dir, &opts(jobs, Shard::ALL, true), &cache).unwrap();
        assert!(plan[0].starts_with("lockstep: 24 runs to train in "), "{plan:?}");
        assert!(plan.iter().skip(1).all(|l| l.contains("seed ")), "{plan:?}");
        execute_sweep(&runs, &dir, &opts(jobs, Shard::ALL, true), &cache, &()).unwrap();
        assert!(snapshot(&dir) == expected, "lockstep with --jobs {jobs} differs from training alone");
    }

    // Resume: a third of the runs already finished; the groups train only the others.
    let resumed = root.join("resumed");
    let first: Vec<_> = runs.iter().step_by(3).cloned().collect();
    execute_sweep(&first, &resumed, &opts(1, Shard::ALL, true), &cache, &()).unwrap();
    let r = execute_sweep(&runs, &resumed, &opts(2, Shard::ALL, true), &cache, &()).unwrap();
    assert_eq!((r.skipped, r.done), (8, 16));
    assert!(snapshot(&resumed) == expected, "a resumed lockstep sweep differs from training alone");

    // Shards: each shard groups its own runs; together they are the whole sweep.
    let sharded = root.join("sharded");
    for index in 0..3 {
        execute_sweep(&runs, &sharded, &opts(1, Shard::new(index, 3).unwrap(), true), &cache, &()).unwrap();
    }
    assert!(snapshot(&sharded) == expected, "sharded lockstep sweeps differ from training alone");
    std::fs::remove_dir_all(&root).unwrap();
}
