//! E8: the compute cost of each activation: wall time per training step of the BN paper's net, per
//! activation and BN placement, and of the activation's own forward + backward on a (60, 100) batch.
//! Timed single-threaded, one configuration at a time in interleaved rounds, after the sweeps (never
//! concurrently with them).

use std::hint::black_box;
use std::time::Instant;

use actscope_core::{
    Activation, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, PLACEMENTS, Placement, TrainConfig, TrainData,
    train,
};
use actscope_data::synthetic;
use ndarray::Array2;
use serde::Serialize;

/// The hidden layers of the net E8 times a training step of (the BN paper's): each runs φ on a batch of
/// [`BATCH`] rows, the shape φ's own timing uses.
pub const HIDDEN: [usize; 3] = [100, 100, 100];

/// Rows of E8's batches.
pub const BATCH: usize = 60;

/// Timings of one configuration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepTiming {
    /// Activation.
    pub activation: Activation,
    /// BN placement.
    pub placement: Placement,
    /// Milliseconds per training step, one value per repeat.
    pub ms_per_step: Vec<f64>,
    /// Microseconds for φ's forward + backward on a (60, 100) batch, one value per repeat.
    pub act_us: Vec<f64>,
}

/// How much to time.
#[derive(Clone, Copy, Debug)]
pub struct CostBudget {
    /// Training steps per repeat.
    pub steps: usize,
    /// Repeats per configuration.
    pub repeats: usize,
}

fn time_activation(act: Activation, reps: usize) -> f64 {
    let shape = (BATCH, HIDDEN[0]);
    let z = synthetic::gaussian(BATCH, HIDDEN[0], 3).features.mapv(f64::from).mapv(|v| v as f32);
    let mut a = Array2::<f32>::zeros(shape);
    let mut gz = Array2::<f32>::zeros(shape);
    let ga = Array2::<f32>::ones(shape);
    let start = Instant::now();
    for _ in 0..reps {
        act.forward_into(z.view(), a.view_mut());
        act.backward_into(z.view(), a.view(), ga.view(), gz.view_mut());
        black_box(&gz);
    }
    start.elapsed().as_secs_f64() * 1e6 / reps as f64
}

/// Times every activation × placement. Repeats run in interleaved rounds (every configuration once per
/// round, after a warm-up round), so a slow spell of the machine falls on all configurations alike instead
/// of on whichever was being timed.
///
/// `activations` are E1's (the report passes the activations its main grid holds, so the list is written
/// once, in E1's sweep file).
pub fn measure(budget: CostBudget, activations: &[Activation]) -> Vec<StepTiming> {
    let data = synthetic::clusters(budget.steps * BATCH, 784, 10, 0.2, 1, 1);
    let configs: Vec<(Activation, Placement)> =
        activations.iter().flat_map(|&a| PLACEMENTS.iter().map(move |&p| (a, p))).collect();
    let step_ms = |act: Activation, placement: Placement| {
        let cfg = MlpConfig::new(784, &HIDDEN, 10, act, placement);
        let mut net = Mlp::<f32>::new(&cfg, 0).expect("valid network");
        let mut opt = Optimizer::new(OptimizerConfig::sgd(0.01)).expect("valid optimizer");
        let tc = TrainConfig::new(BATCH, Budget::Steps(budget.steps), 0);
        let t = Instant::now();
        let o = train(&mut net, &mut opt, &tc, TrainData::new(&data, &[], None), ()).expect("training runs");
        black_box(o);
        t.elapsed().as_secs_f64() * 1e3 / budget.steps as f64
    };
    let mut out: Vec<StepTiming> = configs
        .iter()
        .map(|&(activation, placement)| StepTiming {
            activation,
            placement,
            ms_per_step: Vec::new(),
            act_us: Vec::new(),
        })
        .collect();
    for round in 0..=budget.repeats {
        for (timing, &(act, placement)) in out.iter_mut().zip(&configs) {
            let ms = step_ms(act, placement);
            let us = (placement == Placement::None).then(|| time_activation(act, 200));
            if round > 0 {
                timing.ms_per_step.push(ms);
                timing.act_us.extend(us);
            }
        }
    }
    out
}
