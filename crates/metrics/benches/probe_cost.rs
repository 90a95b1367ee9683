//! Cost of measuring: training time of the BN paper's net (784-100-100-100-10, batch 60, sigmoid, BN before,
//! single thread) with no probe, with the default probes (the full probe set at step 0 and the last step,
//! the training step's own batch at the checkpoints in between), with the probe set's first
//! [`DEFAULT_SAMPLE`] or 300 examples in between (the previous default and a larger one), with the full
//! probe set at every checkpoint, and with per-step scalars on every step; then
//! the cost of each layer metric on its own. `cargo bench -p actscope-metrics --bench probe_cost`. Median
//! of 9 interleaved rounds after a warm-up round, each setting's cost taken against the same round's baseline.
//!
//! The default cadence is a checkpoint every tenth of an epoch of a 60,000-example training set (every
//! 100 steps) on a 1,000-example probe set, effective rank included (on the full probe set).
//!
//! `cargo bench -p actscope-metrics --bench probe_cost -- errors` measures instead each metric's sampling
//! error against the number of probe examples (the table in `docs/metrics.md`).

use std::hint::black_box;
use std::time::Instant;

use actscope_core::Activation;
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Budget, Cadence, Dataset, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, Probe, TrainConfig, TrainData,
    train,
};
use actscope_data::synthetic;
use actscope_metrics::distribution::{Bins, Histogram, Summary};
use actscope_metrics::probe::DEFAULT_SAMPLE;
use actscope_metrics::rank::effective_rank;
use actscope_metrics::units::saturation;
use actscope_metrics::{MetricsProbe, ProbeConfig};
use ndarray::Array2;

const STEPS: usize = 1000;
const STEPS_PER_EPOCH: usize = 1000; // 60,000 examples / 60
const RUNS: usize = 9;

/// One timed training run of 1,000 steps with the probe `make` builds.
fn time<P: Probe<f32>>(cfg: &MlpConfig, tr: &Dataset, probe_set: &Dataset, make: impl Fn(&Mlp<f32>) -> P) -> f64 {
    let mut net = Mlp::<f32>::new(cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
    let probe = make(&net);
    let tc = TrainConfig::new(60, Budget::Steps(STEPS), 0);
    let t = Instant::now();
    let out = train(&mut net, &mut opt, &tc, TrainData::new(tr, &[], Some(probe_set)), probe).unwrap();
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
    if std::env::args().any(|a| a == "errors") {
        errors::main();
        return;
    }
    let tr = synthetic::clusters(6000, 784, 10, 0.2, 1, 1);
    let probe_set = synthetic::clusters(1000, 784, 10, 0.2, 1, 2);
    let cfg = MlpConfig::bn_paper(Placement::Before);
    let default_cfg = || ProbeConfig::every_tenth_epoch(STEPS_PER_EPOCH, STEPS);
    let probed = |sample: usize, rank: bool| {
        time(&cfg, &tr, &probe_set, |net| {
            let mut c = default_cfg().with_sample(&probe_set, sample);
            c.effective_rank = rank;
            MetricsProbe::new(c, net, probe_set.len())
        })
    };
    let sample_name = format!("{DEFAULT_SAMPLE} probe examples in between");
    // (name, one timed run); the first is the baseline.
    let settings: [(&str, &dyn Fn() -> f64); 7] = [
        ("no probe", &|| time(&cfg, &tr, &probe_set, |_| ())),
        ("default probes (training batch between)", &|| {
            time(&cfg, &tr, &probe_set, |net| MetricsProbe::new(default_cfg().with_train_batch(), net, probe_set.len()))
        }),
        (&sample_name, &|| probed(DEFAULT_SAMPLE, true)),
        ("300 probe examples in between", &|| probed(300, true)),
        ("full probe set at every checkpoint", &|| probed(probe_set.len(), true)),
        ("… without effective rank", &|| probed(probe_set.len(), false)),
        ("per-step scalars on every step", &|| {
            time(&cfg, &tr, &probe_set, |net| {
                let mut c = default_cfg();
                c.every = None;
                c.step_scalars = true;
                MetricsProbe::new(c, net, 1000)
            })
        }),
    ];
    // Interleaved rounds, so a slow spell of the machine hits every setting alike; the first is warm-up.
    let mut times = vec![Vec::new(); settings.len()];
    for round in 0..=RUNS {
        for (t, (_, run)) in times.iter_mut().zip(&settings) {
            let secs = run();
            if round > 0 {
                t.push(secs);
            }
        }
    }
    // Each setting's cost against the baseline run of the same round (paired, so a slow spell that spans a
    // round cancels), then the median over rounds; the fastest run of each setting is printed beside it.
    let cost: Vec<f64> =
        times.iter().map(|t| median(t.iter().zip(&times[0]).map(|(t, b)| t / b - 1.0).collect())).collect();
    let fastest: Vec<f64> = times.iter().map(|t| t.iter().copied().fold(f64::INFINITY, f64::min)).collect();
    let times: Vec<f64> = times.into_iter().map(median).collect();
    let base = times[0];
    let cadence = Cadence::per(10, STEPS_PER_EPOCH);
    let checkpoints = cadence.count_with_last(STEPS);
    println!("BN paper net, {STEPS} steps of 60, single thread ({RUNS} interleaved rounds);");
    println!(
        "ten checkpoints per {STEPS_PER_EPOCH}-step epoch ({checkpoints} in all; the first and the last on all \
         1,000 probe examples);"
    );
    println!("median time, median of the per-round cost against that round's baseline, fastest run's cost:");
    println!("  {:<40} {:8.1} ms", settings[0].0, base * 1e3);
    for (i, &(what, _)) in settings.iter().enumerate().skip(1) {
        println!(
            "  {what:<40} {:8.1} ms {:+7.1}%  (fastest {:+6.1}%)  {:6.2} ms per checkpoint on average",
            times[i] * 1e3,
            100.0 * cost[i],
            100.0 * (fastest[i] / fastest[0] - 1.0),
            cost[i] * base * 1e3 / checkpoints as f64
        );
    }
    let verdict = if cost[1] <= 0.10 { "met" } else { "NOT met" };
    println!("target: default probes ≤ 10% of training: {:+.1}% ({verdict})", 100.0 * cost[1]);
    println!();
    metric_kernels();
}

/// The sampling error of each metric against the number of probe examples: networks trained on the embedded
/// Fashion-MNIST subset are measured on many random sub-samples of a pool of held-out examples, and each
/// metric's spread (sd across sub-samples) and bias (mean minus the value on the whole pool) are printed.
mod errors {
    use actscope_core::loss::softmax_cross_entropy;
    use actscope_core::rng::{seeded, shuffle};
    use actscope_core::{
        Activation, Budget, Dataset, Float, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, TrainConfig,
        TrainData, Workspace, train,
    };
    use actscope_metrics::MetricsProbe;
    use actscope_metrics::distribution::Histogram;
    use actscope_metrics::gradient::{growth_factor, vanishing_index};
    use actscope_metrics::records::LayerRecord;
    use actscope_metrics::units::DEFAULT_TAU;
    use ndarray::{Array2, Axis, concatenate};

    /// The samples compared: (column name, examples, drawn from the training examples the network was
    /// trained on, as a training batch is, rather than from the held-out pool).
    const SIZES: [(&str, usize, bool); 5] =
        [("batch 60", 60, true), ("100", 100, false), ("200", 200, false), ("300", 300, false), ("1000", 1000, false)];
    const DRAWS: usize = 40;

    /// What one measurement gives: the layer records and the network-level scalars.
    struct Measured {
        layers: Vec<LayerRecord>,
        loss: f64,
        vanishing: f64,
        growth: f64,
    }

    fn measure(net: &Mlp<f32>, x: &Array2<f32>, labels: &[usize]) -> Measured {
        let mut ws = Workspace::new(net, x.nrows());
        net.forward_batch_stats(x.view(), &mut ws);
        let (logits, grad) = ws.logits_and_grad();
        let loss = softmax_cross_entropy(logits, labels, grad).f64();
        net.backward(x.view(), &mut ws);
        let (views, output) = net.observe(&ws);
        let act = net.config().activation;
        let last = views.len() - 1;
        let layers: Vec<LayerRecord> = views
            .iter()
            .map(|v| MetricsProbe::layer_record(v, act, DEFAULT_TAU, true, (v.index == last).then_some(0)))
            .collect();
        let out = actscope_metrics::gradient::l2_norm(output.grad_weight);
        let ms: Vec<f64> = layers.iter().map(|l| l.grad_z_ms).collect();
        Measured {
            vanishing: vanishing_index(layers[0].grad_w_norm, out),
            growth: growth_factor(&ms).unwrap_or(f64::NAN),
            layers,
            loss,
        }
    }

    /// Total variation distance between two histograms' normalised counts (in-range bins and overflow).
    fn tv(a: &Histogram, b: &Histogram) -> f64 {
        let norm = |h: &Histogram| {
            let t = h.total().max(1) as f64;
            let mut v: Vec<f64> = h.counts.iter().map(|&c| c as f64 / t).collect();
            v.extend([h.underflow as f64 / t, h.overflow as f64 / t]);
            v
        };
        0.5 * norm(a).iter().zip(norm(b)).map(|(p, q)| (p - q).abs()).sum::<f64>()
    }

    type Extract = fn(&Measured, &Measured) -> Vec<f64>;

    /// Per-layer values of a layer metric (NaN where the metric does not apply).
    fn per_layer(m: &Measured, f: impl Fn(&LayerRecord) -> Option<f64>) -> Vec<f64> {
        m.layers.iter().map(|l| f(l).unwrap_or(f64::NAN)).collect()
    }

    /// (metric, unit of its error, value given the measurement and the pool reference).
    fn metrics() -> Vec<(&'static str, &'static str, Extract)> {
        vec![
            ("loss", "abs", |m, _| vec![m.loss]),
            ("saturation rate", "abs", |m, _| per_layer(m, |l| l.saturation.map(|s| s.rate))),
            ("stuck units", "abs", |m, _| per_layer(m, |l| l.saturation.map(|s| s.stuck))),
            ("dead units", "abs", |m, _| per_layer(m, |l| l.dead.map(|d| d.dead_fraction))),
            ("inactive rate", "abs", |m, _| per_layer(m, |l| l.dead.map(|d| d.inactive_rate))),
            ("near-linear share", "abs", |m, _| per_layer(m, |l| Some(l.near_linear))),
            ("z 2.5th percentile", "abs", |m, _| per_layer(m, |l| Some(l.z.percentiles[0]))),
            ("z median", "abs", |m, _| per_layer(m, |l| Some(l.z.percentiles[2]))),
            ("z 97.5th percentile", "abs", |m, _| per_layer(m, |l| Some(l.z.percentiles[4]))),
            ("a mean", "abs", |m, _| per_layer(m, |l| Some(l.a.mean))),
            ("a std", "abs", |m, _| per_layer(m, |l| Some(l.a.std))),
            ("z histogram (TV distance)", "abs", |m, r| {
                m.layers.iter().zip(&r.layers).map(|(l, q)| tv(&l.z_hist, &q.z_hist)).collect()
            }),
            ("tracked unit p15", "abs", |m, _| vec![m.layers.last().and_then(|l| l.tracked_unit).unwrap()[0]]),
            ("tracked unit p50", "abs", |m, _| vec![m.layers.last().and_then(|l| l.tracked_unit).unwrap()[1]]),
            ("tracked unit p85", "abs", |m, _| vec![m.layers.last().and_then(|l| l.tracked_unit).unwrap()[2]]),
            ("‖∂L/∂W‖", "rel", |m, _| per_layer(m, |l| Some(l.grad_w_norm))),
            ("ms(∂L/∂z)", "rel", |m, _| per_layer(m, |l| Some(l.grad_z_ms))),
            ("vanishing index", "abs", |m, _| vec![m.vanishing]),
            ("growth factor λ̂", "abs", |m, _| vec![m.growth]),
            ("effective rank", "abs", |m, _| per_layer(m, |l| l.effective_rank)),
        ]
    }

    /// The rows `idx` of `pool` as a matrix and labels.
    fn rows(pool: &Dataset, idx: &[usize]) -> (Array2<f32>, Vec<usize>) {
        let d = pool.select("sub", idx);
        (d.features, d.labels)
    }

    pub fn main() {
        let data = actscope_data::load("embedded", 0.1, true).expect("the embedded Fashion-MNIST subset");
        // Train on 6,000 examples; the pool is every example never trained on (the rest of the training
        // split, validation and test): 6,000 examples.
        let train_set = data.train.head("train", 6000);
        let rest: Vec<usize> = (6000..data.train.len()).collect();
        let held = data.train.select("held", &rest);
        let x = concatenate(Axis(0), &[held.x(), data.val.x(), data.test.x()]).unwrap();
        let labels: Vec<usize> =
            [&held.labels, &data.val.labels, &data.test.labels].into_iter().flatten().copied().collect();
        let pool = Dataset::new("pool", "held out", x, labels, 10).unwrap();
        let n_pool = pool.len();
        println!("sampling error against probe examples: {DRAWS} random sub-samples of a pool of {n_pool} held-out");
        println!(
            "Fashion-MNIST examples; BN paper net; step 0 and after 500 steps (5 epochs) of SGD, lr 0.1, batch 60;"
        );
        println!("sd: spread across sub-samples, corrected to an unlimited pool (× √((N−1)/(N−n)));");
        println!("bias: mean minus the value on the whole pool; both RMS over networks, steps and layers;");
        println!("'rel' errors are relative (value / pool value − 1); 'moves' is the RMS change from step 0 to 500.");
        let nets = [
            (Activation::Sigmoid, Placement::Before),
            (Activation::Sigmoid, Placement::None),
            (Activation::Relu, Placement::None),
            (Activation::Relu, Placement::Before),
        ];
        let ms = metrics();
        // errs[metric][size] = (sum of squared sd, sum of squared bias, count); moves[metric] likewise.
        let mut errs = vec![vec![(0.0f64, 0.0f64, 0usize); SIZES.len()]; ms.len()];
        let mut moves = vec![(0.0f64, 0usize); ms.len()];
        let mut rng = seeded(11);
        for (act, placement) in nets {
            let mut cfg = MlpConfig::bn_paper(placement);
            cfg.activation = act;
            let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
            let mut refs = Vec::new();
            for steps in [0, 500] {
                if steps > 0 {
                    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
                    let tc = TrainConfig::new(60, Budget::Steps(steps), 0);
                    let td = TrainData::new(&train_set, &[], None);
                    train(&mut net, &mut opt, &tc, td, ()).unwrap();
                }
                let reference = measure(&net, &pool.features, &pool.labels);
                for (k, &(_, n, trained_on)) in SIZES.iter().enumerate() {
                    let from = if trained_on { &train_set } else { &pool };
                    let fpc = ((from.len() - 1) as f64 / (from.len() - n) as f64).sqrt();
                    let draws: Vec<Measured> = (0..DRAWS)
                        .map(|_| {
                            let mut order: Vec<usize> = (0..from.len()).collect();
                            shuffle(&mut rng, &mut order);
                            let (x, y) = rows(from, &order[..n]);
                            measure(&net, &x, &y)
                        })
                        .collect();
                    for (i, (_, unit, f)) in ms.iter().enumerate() {
                        let r = f(&reference, &reference);
                        let vals: Vec<Vec<f64>> = draws.iter().map(|d| f(d, &reference)).collect();
                        for (j, &rv) in r.iter().enumerate() {
                            let mut v: Vec<f64> = vals.iter().map(|v| v[j]).collect();
                            if *unit == "rel" {
                                v.iter_mut().for_each(|x| *x = *x / rv - 1.0);
                            }
                            let target = if *unit == "rel" || ms[i].0.contains("TV") { 0.0 } else { rv };
                            if v.iter().any(|x| !x.is_finite()) || !target.is_finite() {
                                continue;
                            }
                            let mean = v.iter().sum::<f64>() / v.len() as f64;
                            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
                            let e = &mut errs[i][k];
                            e.0 += var * fpc * fpc;
                            e.1 += (mean - target).powi(2);
                            e.2 += 1;
                        }
                    }
                }
                refs.push(reference);
            }
            for (i, (_, unit, f)) in ms.iter().enumerate() {
                let (a, b) = (f(&refs[0], &refs[0]), f(&refs[1], &refs[1]));
                for (x, y) in a.iter().zip(&b) {
                    let d = if *unit == "rel" { y / x - 1.0 } else { y - x };
                    if d.is_finite() && !ms[i].0.contains("TV") {
                        moves[i].0 += d * d;
                        moves[i].1 += 1;
                    }
                }
            }
        }
        println!("'batch 60' draws 60 of the training examples, as a training batch is, against the held-out pool;");
        print!("  {:<26} {:>4} {:>8}", "metric", "", "moves");
        for (name, _, _) in SIZES {
            print!(" | {:>8} {:>7}", format!("sd {name}"), "bias");
        }
        println!();
        for (i, (name, unit, _)) in ms.iter().enumerate() {
            let mv =
                if moves[i].1 > 0 { format!("{:.4}", (moves[i].0 / moves[i].1 as f64).sqrt()) } else { "—".into() };
            print!("  {name:<26} {unit:>4} {mv:>8}");
            for e in &errs[i] {
                let c = e.2.max(1) as f64;
                print!(" | {:>8.4} {:>7.4}", (e.0 / c).sqrt(), (e.1 / c).sqrt());
            }
            println!();
        }
    }
}
