//! A tour of actscope-metrics: trains a deep sigmoid network with and without BatchNorm over three seeds,
//! prints each layer's saturation and gradient flow, and compares final accuracy across seeds.
//!
//! Run with `cargo run --release -p actscope-metrics --example metrics_tour`.

use actscope_core::{
    Activation, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement, TrainConfig, TrainData, train,
};
use actscope_data::synthetic;
use actscope_metrics::records::Record;
use actscope_metrics::stats::{describe, welch};
use actscope_metrics::{MetricsProbe, ProbeConfig};

fn run(placement: Placement, seed: u64) -> (f64, Vec<Record>) {
    let tr = synthetic::clusters(2000, 32, 4, 0.4, 3, 1);
    let va = synthetic::clusters(500, 32, 4, 0.4, 3, 2);
    let cfg = MlpConfig::new(32, &[32; 6], 4, Activation::Sigmoid, placement);
    let mut net = Mlp::<f32>::new(&cfg, seed).expect("valid config");
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.05, 0.9)).expect("valid optimizer");
    let tc = TrainConfig::new(50, Budget::Epochs(3), seed);
    let pc = ProbeConfig::every_tenth_epoch(tc.steps_per_epoch(tr.len()), tc.total_steps(tr.len()));
    let mut probe = MetricsProbe::new(pc, &net, va.len());
    let evals = [("val", &va)];
    let out =
        train(&mut net, &mut opt, &tc, TrainData::new(&tr, &evals, Some(&va)), &mut probe).expect("training runs");
    (out.last("val").map_or(f64::NAN, |p| p.accuracy), probe.finish())
}

fn main() {
    let mut acc = [Vec::new(), Vec::new()];
    for seed in 0..3 {
        for (i, placement) in [Placement::None, Placement::Before].into_iter().enumerate() {
            let (a, records) = run(placement, seed);
            acc[i].push(a);
            if seed == 0 {
                let last =
                    records.iter().rev().find_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None });
                let cp = last.expect("a final checkpoint");
                println!("sigmoid, 6 × 32, BN {placement}, after training (seed 0):");
                for l in &cp.layers {
                    let sat = l.saturation.map_or(f64::NAN, |s| s.rate);
                    println!(
                        "  layer {}: saturation {:5.1}%  ‖∂L/∂W‖ {:.2e}  z p2.5..p97.5 [{:+.2}, {:+.2}]  erank {:.1}",
                        l.layer,
                        100.0 * sat,
                        l.grad_w_norm,
                        l.z.percentiles[0],
                        l.z.percentiles[4],
                        l.effective_rank.unwrap_or(f64::NAN)
                    );
                }
                println!(
                    "  vanishing index {:+.2}, growth factor λ̂ {:.3}",
                    cp.vanishing_index,
                    cp.growth_factor.unwrap_or(f64::NAN)
                );
            }
        }
    }
    let (none, before) = (describe(&acc[0]), describe(&acc[1]));
    println!("val accuracy, BN none:   {:.3} ± {:.3} (95% CI, n = {})", none.mean, none.half_width(), none.n);
    println!("val accuracy, BN before: {:.3} ± {:.3}", before.mean, before.half_width());
    if let Some(t) = welch(&acc[1], &acc[0]) {
        println!("Welch t = {:.2}, one-sided p (before > none) = {:.3}, Cohen's d = {:.2}", t.t, t.p_greater, t.effect);
    }
}

#[test]
fn example_runs() {
    main();
}
