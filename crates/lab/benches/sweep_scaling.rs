//! Sweep scaling: the same 8-run sweep with `--jobs 1` and `--jobs 2` (`cargo bench -p actscope-lab`).
//! Each run trains the BN paper's net for one epoch on the embedded Fashion-MNIST subset. Median of 3.

use std::time::Instant;

use actscope_lab::sweep::{DataCache, Shard, SweepFile, SweepOptions, execute_sweep};

const SWEEP: &str = r#"
[base]
data = "embedded"
hidden = [100, 100, 100]
activation = "sigmoid"
epochs = 1
[axes]
placement = ["none", "before"]
seed = [0, 1, 2, 3]
"#;

fn main() {
    let runs = SweepFile::parse(SWEEP, "bench").unwrap().expand().unwrap();
    let cache = DataCache::default();
    let time = |jobs: usize| {
        let mut t: Vec<f64> = (0..3)
            .map(|i| {
                let out = std::env::temp_dir().join(format!("actscope-bench-{}-{jobs}-{i}", std::process::id()));
                let _ = std::fs::remove_dir_all(&out);
                let opts = SweepOptions { jobs, shard: Shard::ALL, lockstep: false };
                let s = Instant::now();
                execute_sweep(&runs, &out, &opts, &cache, &()).unwrap();
                let e = s.elapsed().as_secs_f64();
                std::fs::remove_dir_all(&out).unwrap();
                e
            })
            .collect();
        t.sort_by(f64::total_cmp);
        t[1]
    };
    let (one, two) = (time(1), time(2));
    println!("{} runs: --jobs 1 {one:.2} s, --jobs 2 {two:.2} s, speed-up {:.2}×", runs.len(), one / two);
}
