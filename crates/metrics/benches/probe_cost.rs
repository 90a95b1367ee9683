//! Cost of measuring: training time of the BN paper's net (784-100-100-100-10, batch 60, sigmoid, BN before,
//! single thread) with no probe, with the default probes, and with per-step scalars on every step.
//! `cargo bench -p actscope-metrics`. Median of 7 interleaved rounds after a warm-up round.
//!
//! The default cadence is a checkpoint every tenth of an epoch of a 60,000-example training set (every
//! 100 steps) on a 1,000-example probe set, effective rank included.

use std::hint::black_box;
use std::time::Instant;

use actscope_core::Activation;
use actscope_core::data::synthetic;
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Budget, Dataset, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, Probe, TrainConfig, TrainData, train,
};
use actscope_metrics::distribution::{Bins, Histogram, Summary};
use actscope_metrics::rank::effective_rank;
use actscope_metrics::units::saturation;
use actscope_metrics::{MetricsProbe, ProbeConfig};
use ndarray::Array2;

const STEPS: usize = 1000;
const STEPS_PER_EPOCH: usize = 1000; // 60,000 examples / 60
const RUNS: usize = 7;

/// One timed training run of 1,000 steps with the probe `make` builds.
fn time<P: Probe<f32>>(cfg: &MlpConfig, tr: &Dataset, probe_set: &Dataset, make: impl Fn(&Mlp<f32>) -> P) -> f64 {
    let mut net = Mlp::<f32>::new(cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
    let probe = make(&net);
    let tc = TrainConfig::new(60, Budget::Steps(STEPS), 0);
    let t = Instant::now();
    let out =
        train(&mut net, &mut opt, &tc, TrainData { train: tr, evals: &[], probe_set: Some(probe_set) }, probe).unwrap();
    black_box(out);
    t.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Milliseconds per call of `f`: the median of `RUNS` timings of 20 calls, after a warm-up call.
fn per_call_ms<T>(f: impl Fn() -> T) -> f64 {
    black_box(f());
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..20 {
                    black_box(f());
                }
                t.elapsed().as_secs_f64() * 1e3 / 20.0
            })
            .collect(),
    )
}

/// What one layer's metrics cost on a checkpoint's 1,000 × 100 matrices (z standard normal, a = sigmoid(z)).
fn metric_kernels() {
    let mut rng = seeded(5);
    let z = Array2::<f32>::from_shape_simple_fn((1000, 100), || standard_normal(&mut rng) as f32);
    let a = z.mapv(|v| 1.0 / (1.0 + (-v).exp()));
    println!("one layer's metrics on 1,000 × 100 values (median of {RUNS} × 20 calls):");
    for (what, ms) in [
        ("Summary::of (moments, 5 percentiles)", per_call_ms(|| Summary::of(z.view()))),
        ("Histogram::of", per_call_ms(|| Histogram::of_matrix(z.view(), Bins::Z))),
        ("saturation (sigmoid)", per_call_ms(|| saturation(z.view(), Activation::Sigmoid, 0.1))),
        ("effective_rank", per_call_ms(|| effective_rank(a.view()))),
    ] {
        println!("  {what:<38} {ms:8.3} ms");
    }
}

fn main() {
    let tr = synthetic::clusters(6000, 784, 10, 0.2, 1, 1);
    let probe_set = synthetic::clusters(1000, 784, 10, 0.2, 1, 2);
    let cfg = MlpConfig::bn_paper(Placement::Before);
    let default_cfg = || ProbeConfig::every_tenth_epoch(STEPS_PER_EPOCH, STEPS);
    let settings: [&dyn Fn() -> f64; 4] = [
        &|| time(&cfg, &tr, &probe_set, |_| ()),
        &|| time(&cfg, &tr, &probe_set, |net| MetricsProbe::new(default_cfg(), net, 1000)),
        &|| {
            time(&cfg, &tr, &probe_set, |net| {
                let mut c = default_cfg();
                c.effective_rank = false;
                MetricsProbe::new(c, net, 1000)
            })
        },
        &|| {
            time(&cfg, &tr, &probe_set, |net| {
                let mut c = default_cfg();
                c.every = 0;
                c.step_scalars = true;
                MetricsProbe::new(c, net, 1000)
            })
        },
    ];
    // Interleaved rounds, so a slow spell of the machine hits every setting alike; the first is warm-up.
    let mut times = vec![Vec::new(); settings.len()];
    for round in 0..=RUNS {
        for (t, run) in times.iter_mut().zip(&settings) {
            let secs = run();
            if round > 0 {
                t.push(secs);
            }
        }
    }
    let [base, default, no_rank, scalars]: [f64; 4] =
        times.into_iter().map(median).collect::<Vec<_>>().try_into().expect("four settings");
    let checkpoints = STEPS / (STEPS_PER_EPOCH / 10) + 1;
    println!("BN paper net, {STEPS} steps of 60, single thread (median of {RUNS} interleaved rounds):");
    println!("  no probe                              {:8.1} ms", base * 1e3);
    println!(
        "  default probes ({checkpoints} checkpoints)          {:8.1} ms  {:+.1}%  ({:.2} ms per checkpoint)",
        default * 1e3,
        100.0 * (default / base - 1.0),
        (default - base) * 1e3 / checkpoints as f64
    );
    println!(
        "  default probes without effective rank {:8.1} ms  {:+.1}%",
        no_rank * 1e3,
        100.0 * (no_rank / base - 1.0)
    );
    println!(
        "  per-step scalars on every step         {:8.1} ms  {:+.1}%",
        scalars * 1e3,
        100.0 * (scalars / base - 1.0)
    );
    println!();
    metric_kernels();
}
