//! Lockstep sweeps against one run at a time, on E1's default grid (`cargo bench -p actscope-lab --bench
//! lockstep`): runs per CPU-second and training samples per CPU-second (per core), with one worker and with
//! two, the rate of the first layer's products (training batch and evaluation chunk) alone and concatenated,
//! and the evaluation chunk's product dense (`gemm`) against sparse (`actscope_core::sparse`) on the test set.
//!
//! The grid is E1's default one (`crates/lab/experiments/e1_main.toml`: 7 activations × 3 placements × 4
//! learning rates, 784-100-100-100-10, batch 60, 2 epochs of the embedded Fashion-MNIST subset) for the
//! first `ACTSCOPE_BENCH_SEEDS` seeds (default 1: 84 runs; every seed is an identical grid). The four
//! modes run in interleaved rounds (`ACTSCOPE_BENCH_ROUNDS`, default 3) so that a machine shared with other
//! work slows them alike; medians are reported. CPU time is the process's (all threads, `getrusage`).
//! `ACTSCOPE_BENCH_PART=sparse` runs only the last part (the sparse evaluation product), in seconds.

use std::hint::black_box;
use std::time::Instant;

use actscope_core::linalg::gemm;
use actscope_core::sparse::{PackedWeights, SparseSet, product};
use actscope_lab::sweep::{DataCache, Shard, SweepFile, SweepOptions, execute_sweep};
use ndarray::{Array1, Array2, s};

const E1: &str = include_str!("../experiments/e1_main.toml");
/// The width of E1's hidden layers.
const WIDTH: usize = 100;

/// CPU seconds this process has used so far, all threads, user and system.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage writes a plain struct we own.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: RUSAGE_SELF with a valid pointer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    assert_eq!(rc, 0, "getrusage failed");
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 * 1e-6;
    t(u.ru_utime) + t(u.ru_stime)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Seconds `f` takes, the median of 5 timings.
fn median_seconds(f: &mut dyn FnMut()) -> f64 {
    median(
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// GFLOP/s of a product of `flops` floating-point operations run by `f`: the median of 5 timings of enough
/// repetitions to take ~3 GFLOP each.
fn gflops(flops: f64, f: &mut dyn FnMut()) -> f64 {
    let reps = (3e9 / flops).ceil() as usize;
    let secs = median_seconds(&mut || {
        for _ in 0..reps {
            f();
        }
    });
    flops * reps as f64 / secs / 1e9
}

/// GFLOP/s of the first layer's forward product `x·Wᵀ` (rows × input × width), as the layers call `gemm`.
fn forward_gflops(rows: usize, input: usize, width: usize) -> f64 {
    let x = Array2::<f32>::from_elem((rows, input), 0.5);
    let w = Array2::<f32>::from_elem((width, input), 0.25);
    let mut z = Array2::<f32>::zeros((rows, width));
    gflops(2.0 * (rows * input * width) as f64, &mut || {
        gemm(1.0, x.view(), w.t(), 0.0, &mut z.view_mut());
        black_box(&z);
    })
}

/// GFLOP/s of the first layer's weight gradient `gᵀ·x` (width × batch × input), as the layers call `gemm`.
fn weight_grad_gflops(batch: usize, input: usize, width: usize) -> f64 {
    let x = Array2::<f32>::from_elem((batch, input), 0.5);
    let g = Array2::<f32>::from_elem((batch, width), 0.125);
    let mut gw = Array2::<f32>::zeros((width, input));
    gflops(2.0 * (batch * input * width) as f64, &mut || {
        gemm(1.0, g.t(), x.view(), 0.0, &mut gw.view_mut());
        black_box(&gw);
    })
}

fn main() {
    let seeds = env_usize("ACTSCOPE_BENCH_SEEDS", 1);
    let rounds = env_usize("ACTSCOPE_BENCH_ROUNDS", 3);
    let mut file = SweepFile::parse(E1, "e1_main.toml").unwrap();
    file.axes.insert("seed".into(), (0..seeds as i64).map(toml::Value::Integer).collect());
    let runs = file.expand().unwrap();
    let cache = DataCache::default();
    let data = cache.get(&runs[0]).unwrap();
    if std::env::var("ACTSCOPE_BENCH_PART").is_ok_and(|p| p == "sparse") {
        sparse_evaluation(data.test.x(), WIDTH);
        return;
    }
    let steps = runs[0].train_config(data.train.len()).total_steps(data.train.len());
    let samples = (runs.len() * steps * runs[0].batch_size) as f64;
    println!(
        "E1 default grid, {seeds} seed(s): {} runs of {steps} steps (batch {}), {rounds} interleaved rounds",
        runs.len(),
        runs[0].batch_size
    );

    let modes = [(1, false), (1, true), (2, false), (2, true)];
    let mut cpu = vec![Vec::new(); modes.len()];
    let mut wall = vec![Vec::new(); modes.len()];
    for round in 0..rounds {
        for (m, &(jobs, lockstep)) in modes.iter().enumerate() {
            let out = std::env::temp_dir().join(format!("actscope-bench-lockstep-{}-{m}-{round}", std::process::id()));
            let _ = std::fs::remove_dir_all(&out);
            let opts = SweepOptions { jobs, shard: Shard::ALL, lockstep };
            let (c, t) = (cpu_seconds(), Instant::now());
            let r = execute_sweep(&runs, &out, &opts, &cache, &()).unwrap();
            assert_eq!(r.done, runs.len());
            cpu[m].push(cpu_seconds() - c);
            wall[m].push(t.elapsed().as_secs_f64());
            std::fs::remove_dir_all(&out).unwrap();
            let what = if lockstep { "lockstep" } else { "one by one" };
            println!("round {round}: --jobs {jobs} {what}: {:.2} CPU s, {:.2} s wall", cpu[m][round], wall[m][round]);
        }
    }
    println!("\n{:<26} {:>10} {:>10} {:>14} {:>18}", "mode", "CPU s", "wall s", "runs/CPU-s", "samples/s per core");
    let mut rate = Vec::new();
    for (m, &(jobs, lockstep)) in modes.iter().enumerate() {
        let (c, w) = (median(cpu[m].clone()), median(wall[m].clone()));
        let name = format!("--jobs {jobs}, {}", if lockstep { "lockstep" } else { "one by one" });
        println!("{name:<26} {c:>10.2} {w:>10.2} {:>14.3} {:>18.0}", runs.len() as f64 / c, samples / c);
        rate.push(runs.len() as f64 / c);
    }
    println!(
        "\nlockstep gain in runs per CPU-second: {:.2}× (--jobs 1), {:.2}× (--jobs 2)",
        rate[1] / rate[0],
        rate[3] / rate[2]
    );

    let (batch, input, width) = (runs[0].batch_size, data.train.dim(), WIDTH);
    println!("\nfirst-layer products, single thread, GFLOP/s (forward x·Wᵀ, weight gradient gᵀ·x):");
    for k in [1, 4, 8, 12, 16] {
        let (f, g) = (forward_gflops(batch, input, width * k), weight_grad_gflops(batch, input, width * k));
        println!("  {k:>2} run(s) side by side: {batch}×{input}×{:<5} {f:>8.1} {g:>8.1}", width * k);
    }
    // An evaluation chunk (the eval workspace holds 1,000 rows): what sharing the evaluations would run.
    println!("\nfirst-layer evaluation product x·Wᵀ, chunk of 1000 rows, single thread, GFLOP/s:");
    for k in [1, 2, 4, 8, 12] {
        let f = forward_gflops(1000, input, width * k);
        println!("  {k:>2} run(s) side by side: 1000×{input}×{:<5} {f:>8.1}", width * k);
    }
    sparse_evaluation(data.test.x(), width);
}

/// The evaluation chunks' first-layer product over the test set, dense and sparse, with real weights'
/// scale (uniform ±1/√input, PyTorch's default) and a bias: ms per 1000-row chunk, and what grouping the set
/// costs once per set (per run alone; once for all runs of a sweep).
fn sparse_evaluation(x: ndarray::ArrayView2<'_, f32>, width: usize) {
    let (rows, input) = x.dim();
    let chunks = rows / 1000;
    let bound = 1.0 / (input as f32).sqrt();
    let w = Array2::from_shape_fn((width, input), |(j, k)| {
        bound * (((j * 7919 + k * 104_729) % 2001) as f32 / 1000.0 - 1.0)
    });
    let b = Array1::from_elem(width, 0.01f32);
    let mut y = Array2::<f32>::zeros((1000, width));
    let mut set = None;
    let group_ms = median_seconds(&mut || set = SparseSet::new(x, 1000)) * 1e3;
    let Some(set) = set else {
        println!(
            "\nsparse evaluation product: not used on this machine (no AVX2 or AVX-512 with FMA, or the test set is dense)"
        );
        return;
    };
    let dense_ms =
        1e3 * median_seconds(&mut || {
            for c in 0..chunks {
                y.assign(&b);
                gemm(1.0, x.slice(s![c * 1000..(c + 1) * 1000, ..]), w.t(), 1.0, &mut y.view_mut());
                black_box(&y);
            }
        }) / chunks as f64;
    let mut packed = PackedWeights::new();
    let sparse_ms =
        1e3 * median_seconds(&mut || {
            assert!(packed.pack(w.view(), Some(b.view())));
            for c in 0..chunks {
                product(set.part(c), &packed, y.view_mut());
                black_box(&y);
            }
        }) / chunks as f64;
    let nonzero = x.iter().filter(|&&v| v != 0.0).count() as f64 / x.len() as f64;
    let listed = (0..chunks).map(|c| set.part(c).density()).sum::<f64>() / chunks as f64;
    println!(
        "\nevaluation chunk's first-layer product on the test set ({rows} rows, {:.1}% nonzero; groups of four list {:.1}% of the columns):",
        100.0 * nonzero,
        100.0 * listed
    );
    println!("  dense (gemm)      {dense_ms:>7.3} ms per 1000 rows");
    println!("  sparse (quads)    {sparse_ms:>7.3} ms per 1000 rows, packing included ({:.2}×)", dense_ms / sparse_ms);
    println!(
        "  grouping the set  {:>7.3} ms per 1000 rows, once per set (a sweep shares it among its runs)",
        group_ms / (rows as f64 / 1000.0)
    );
}
