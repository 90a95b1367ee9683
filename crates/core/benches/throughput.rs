//! Training throughput of actscope-core, single thread: `cargo bench -p actscope-core`.
//!
//! Prints, for each case, the median of 7 timed runs after one warm-up run: samples/s, ms/step, the
//! achieved GFLOP/s of the step's matrix products, and that rate as a share of the same binary's
//! large-GEMM rate (1024³, f32), which is measured first so numbers compare across machines.
//! Set `ACTSCOPE_BENCH_QUICK=1` for a short run (fewer steps).

use std::hint::black_box;
use std::time::Instant;

use actscope_core::linalg::gemm;
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Activation, Budget, Dataset, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, Probe, TrainConfig, TrainData,
    Workspace, train,
};
use ndarray::Array2;

const RUNS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn random_data(n: usize, d: usize, classes: usize) -> Dataset {
    let mut rng = seeded(1);
    let x = Array2::from_shape_simple_fn((n, d), || standard_normal(&mut rng) as f32);
    let labels = (0..n).map(|i| (i * 7 + i / 3) % classes).collect();
    Dataset::new("bench", "random", x, labels, classes).unwrap()
}

fn gemm_gflops(n: usize) -> f64 {
    let a = Array2::<f32>::from_elem((n, n), 0.5);
    let b = Array2::<f32>::from_elem((n, n), 0.25);
    let mut c = Array2::<f32>::zeros((n, n));
    gemm(1.0, a.view(), b.view(), 0.0, &mut c.view_mut());
    let times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            gemm(1.0, a.view(), b.view(), 0.0, &mut c.view_mut());
            black_box(&c);
            t.elapsed().as_secs_f64()
        })
        .collect();
    2.0 * (n as f64).powi(3) / median(times) / 1e9
}

/// A probe that exists but never asks for anything: must cost nothing measurable.
struct Idle;
impl Probe<f32> for Idle {}

/// FLOPs of the matrix products of one training step (forward, weight gradients, input gradients except
/// the first layer's).
fn step_flops(cfg: &MlpConfig, batch: usize) -> f64 {
    let mut dims = vec![cfg.input_dim];
    dims.extend(&cfg.hidden);
    dims.push(cfg.output_dim);
    let b = batch as f64;
    dims.windows(2)
        .enumerate()
        .map(|(i, w)| {
            let mk = (w[0] * w[1]) as f64;
            2.0 * b * mk * if i == 0 { 2.0 } else { 3.0 }
        })
        .sum()
}

fn train_case<P: Probe<f32>>(
    name: &str,
    cfg: &MlpConfig,
    batch: usize,
    steps: usize,
    gemm_rate: f64,
    probe: impl Fn() -> P,
) -> f64 {
    let data = random_data(batch * 50, cfg.input_dim, cfg.output_dim);
    let run = || {
        let mut net = Mlp::<f32>::new(cfg, 0).unwrap();
        let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
        let tc = TrainConfig::new(batch, Budget::Steps(steps), 0);
        let td = TrainData { train: &data, evals: &[], probe_set: None };
        let t = Instant::now();
        let out = train(&mut net, &mut opt, &tc, td, probe()).unwrap();
        black_box(out);
        t.elapsed().as_secs_f64()
    };
    run();
    let secs = median((0..RUNS).map(|_| run()).collect());
    let per_step = secs / steps as f64;
    let sps = batch as f64 / per_step;
    let gf = step_flops(cfg, batch) / per_step / 1e9;
    println!("{name:<44} {sps:>12.0} {:>9.3} {gf:>9.1} {:>9.1}%", per_step * 1e3, 100.0 * gf / gemm_rate);
    sps
}

fn eval_case(cfg: &MlpConfig, batch: usize, reps: usize) {
    let data = random_data(batch, cfg.input_dim, cfg.output_dim);
    let x = data.features.view();
    let net = Mlp::<f32>::new(cfg, 0).unwrap();
    let mut ws = Workspace::new(&net, batch);
    net.forward_eval(x, &mut ws);
    let secs = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..reps {
                    net.forward_eval(x, &mut ws);
                    black_box(ws.logits());
                }
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!(
        "{:<44} {:>12.0} {:>9.3}",
        format!("eval forward, BN paper net, batch {batch}"),
        (batch * reps) as f64 / secs,
        secs / reps as f64 * 1e3
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter we do not support, so ignore it.
    let quick = std::env::var_os("ACTSCOPE_BENCH_QUICK").is_some();
    let scale = if quick { 0.1 } else { 1.0 };
    let steps = |n: f64| ((n * scale) as usize).max(5);

    let rate = gemm_gflops(1024);
    println!("large GEMM 1024³ f32, this binary: {rate:.1} GFLOP/s (single thread)\n");
    println!("{:<44} {:>12} {:>9} {:>9} {:>10}", "case", "samples/s", "ms/step", "GFLOP/s", "of GEMM");

    let mut paper = MlpConfig::new(784, &[100, 100, 100], 10, Activation::Sigmoid, Placement::Before);
    paper.init = actscope_core::Init::SmallGaussian(0.1);
    let a = train_case("(a) 784-100x3-10, b60, sigmoid, BN before", &paper, 60, steps(2000.0), rate, || ());
    let idle = train_case("(a) same, with a probe that wants nothing", &paper, 60, steps(2000.0), rate, || Idle);
    let wide = MlpConfig::new(784, &[512; 8], 10, Activation::Sigmoid, Placement::Before);
    train_case("(b) 784-512x8-10, b256, sigmoid, BN before", &wide, 256, steps(60.0), rate, || ());
    eval_case(&paper, 1000, steps(200.0));
    println!("\nidle probe vs no probe: {:+.2}% samples/s", 100.0 * (idle / a - 1.0));
}
