//! Cost of measuring: training time of the BN paper's net (784-100-100-100-10, batch 60, sigmoid, BN before,
//! single thread) with no probe, with the default probes, with per-step scalars on every step, and with
//! smaller probe sets; then the checkpoint spacing at which each probe setting would cost 3% of training,
//! and the cost of each layer metric on its own. `cargo bench -p actscope-metrics`. Median of 7
//! interleaved rounds after a warm-up round.
//!
//! The default cadence is a checkpoint every tenth of an epoch of a 60,000-example training set (every
//! 100 steps) on a 1,000-example probe set, effective rank included.

use std::hint::black_box;
use std::time::Instant;

use actscope_core::Activation;
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Budget, Dataset, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, Probe, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;
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
    let probe_sets: Vec<Dataset> =
        [1000, 300, 100].iter().map(|&n| synthetic::clusters(n, 784, 10, 0.2, 1, 2)).collect();
    let cfg = MlpConfig::bn_paper(Placement::Before);
    let default_cfg = || ProbeConfig::every_tenth_epoch(STEPS_PER_EPOCH, STEPS);
    let probed = |set: &Dataset, rank: bool| {
        time(&cfg, &tr, set, |net| {
            let mut c = default_cfg();
            c.effective_rank = rank;
            MetricsProbe::new(c, net, set.len())
        })
    };
    // (name, whether it takes checkpoints, one timed run); the first is the baseline.
    let settings: [(&str, bool, &dyn Fn() -> f64); 6] = [
        ("no probe", false, &|| time(&cfg, &tr, &probe_sets[0], |_| ())),
        ("default probes", true, &|| probed(&probe_sets[0], true)),
        ("default probes without effective rank", true, &|| probed(&probe_sets[0], false)),
        ("per-step scalars on every step", false, &|| {
            time(&cfg, &tr, &probe_sets[0], |net| {
                let mut c = default_cfg();
                c.every = 0;
                c.step_scalars = true;
                MetricsProbe::new(c, net, 1000)
            })
        }),
        ("probe set of 300 examples", true, &|| probed(&probe_sets[1], true)),
        ("probe set of 100 examples", true, &|| probed(&probe_sets[2], true)),
    ];
    // Interleaved rounds, so a slow spell of the machine hits every setting alike; the first is warm-up.
    let mut times = vec![Vec::new(); settings.len()];
    for round in 0..=RUNS {
        for (t, (_, _, run)) in times.iter_mut().zip(&settings) {
            let secs = run();
            if round > 0 {
                t.push(secs);
            }
        }
    }
    let times: Vec<f64> = times.into_iter().map(median).collect();
    let base = times[0];
    let checkpoints = STEPS / (STEPS_PER_EPOCH / 10) + 1;
    let per_checkpoint = |t: f64| (t - base) / checkpoints as f64;
    println!("BN paper net, {STEPS} steps of 60, single thread (median of {RUNS} interleaved rounds);");
    println!("checkpoints every {} steps ({checkpoints} in all):", STEPS_PER_EPOCH / 10);
    println!("  {:<40} {:8.1} ms", settings[0].0, base * 1e3);
    for (&(what, checkpointed, _), &t) in settings.iter().zip(&times).skip(1) {
        let cost =
            if checkpointed { format!("{:6.2} ms per checkpoint", per_checkpoint(t) * 1e3) } else { String::new() };
        println!("  {what:<40} {:8.1} ms {:+7.1}%  {cost}", t * 1e3, 100.0 * (t - base) / base);
    }
    // The checkpoint spacing at which a setting's cost would be 3% of training.
    let step = base / STEPS as f64;
    println!("for at most 3% over training, a checkpoint every … steps (… epochs of 60,000 examples):");
    for (&(what, _, _), &t) in settings.iter().zip(&times).filter(|((_, checkpointed, _), _)| *checkpointed) {
        let every = per_checkpoint(t) / (0.03 * step);
        println!("  {what:<40} {every:8.0} steps ({:.2} epochs)", every / STEPS_PER_EPOCH as f64);
    }
    println!();
    metric_kernels();
}
