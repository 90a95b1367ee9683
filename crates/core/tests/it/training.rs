//! The training loop end to end: accuracy on a separable task, determinism, divergence, probes, errors.

use std::borrow::Cow;

use actscope_core::{
    Activation, Budget, Cadence, Dataset, Mlp, MlpConfig, Observation, Optimizer, OptimizerConfig, PLACEMENTS,
    Placement, PreparedSet, Probe, ProbeSource, Status, TrainConfig, TrainData, TrainOutcome, Workspace, evaluate,
    train,
};
use actscope_core::{LockstepRun, train_lockstep};
use actscope_data::synthetic;

fn task() -> (Dataset, Dataset) {
    (synthetic::teacher(3000, 16, 3, 11, 1), synthetic::teacher(1000, 16, 3, 11, 2))
}

fn run(
    act: Activation,
    placement: Placement,
    opt: OptimizerConfig,
    epochs: usize,
    seed: u64,
) -> (Mlp<f32>, TrainOutcome) {
    let (tr, te) = task();
    let cfg = MlpConfig::new(16, &[32, 32], 3, act, placement);
    let mut net = Mlp::<f32>::new(&cfg, seed).unwrap();
    let mut opt = Optimizer::new(opt).unwrap();
    let evals = [("test", &te)];
    let data = TrainData::new(&tr, &evals, None);
    let out = train(&mut net, &mut opt, &TrainConfig::new(32, Budget::Epochs(epochs), seed), data, ()).unwrap();
    (net, out)
}

#[test]
fn reaches_high_accuracy_on_a_separable_task() {
    for placement in PLACEMENTS {
        let (_, out) = run(Activation::Relu, placement, OptimizerConfig::sgd_momentum(0.05, 0.9), 8, 3);
        let acc = out.last("test").unwrap().accuracy;
        assert_eq!(out.status, Status::Ok);
        assert!(acc > 0.95, "relu, BN {placement}: test accuracy {acc}");
    }
    let (_, out) = run(Activation::Sigmoid, Placement::Before, OptimizerConfig::adam(0.01), 8, 3);
    assert!(out.last("test").unwrap().accuracy > 0.95);
}

#[test]
fn same_config_and_seed_give_bit_identical_results() {
    let (a, oa) = run(Activation::Tanh, Placement::After, OptimizerConfig::sgd_momentum(0.05, 0.9), 2, 9);
    let (b, ob) = run(Activation::Tanh, Placement::After, OptimizerConfig::sgd_momentum(0.05, 0.9), 2, 9);
    assert_eq!(a, b, "parameters and running statistics must be bit-identical");
    assert_eq!(oa, ob);
    let (c, _) = run(Activation::Tanh, Placement::After, OptimizerConfig::sgd_momentum(0.05, 0.9), 2, 10);
    assert_ne!(a, c, "another seed gives another network");
}

/// The sparse task of the evaluation tests: [`task`] with half the inputs exactly 0 (like pixels), so that
/// the sets are grouped for the sparse product; the training set and two evaluation sets of 500.
fn sparse_task() -> (Dataset, Dataset, Dataset) {
    let (tr, te) = task();
    let sparse = |d: &Dataset, name: &str| {
        Dataset::new(name, "test", d.features.mapv(|v| v.max(0.0)), d.labels.clone(), d.classes).unwrap()
    };
    let (a, b) = (sparse(&te.head("a", 500), "a"), sparse(&te.select("b", &(500..1000).collect::<Vec<_>>()), "b"));
    (sparse(&tr, "train"), a, b)
}

/// 40 steps of a 16-24-3 ReLU net on `tr`, evaluating `a` and `b` every 10 steps in chunks of 64, with the
/// sets `prepared` beforehand: the outcome and the trained network.
fn train_evaluating(tr: &Dataset, a: &Dataset, b: &Dataset, prepared: &[PreparedSet<'_>]) -> (TrainOutcome, Mlp<f32>) {
    let mut tc = TrainConfig::new(32, Budget::Steps(40), 5);
    (tc.eval_every, tc.eval_batch) = (Some(Cadence::every(10)), 64);
    let mut net = Mlp::<f32>::new(&MlpConfig::new(16, &[24], 3, Activation::Relu, Placement::Before), 2).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd_momentum(0.05, 0.9)).unwrap();
    let evals = [("a", a), ("b", b)];
    let data = TrainData::new(tr, &evals, None).with_prepared(prepared);
    (train(&mut net, &mut opt, &tc, data, ()).unwrap(), net)
}

/// Four evaluations per 10-step epoch land on the first step at or after each quarter (2.5 steps): 0, 3, 5,
/// 8, 10, …, 20, the count asked for, epoch boundaries exact. (An interval rounded down to 2 steps had drifted:
/// 0, 2, …, 20, eleven evaluations for eight quarters.) Alone and in lockstep alike.
#[test]
fn evaluations_per_epoch_land_on_its_fractions() {
    let (tr, te) = task();
    let tr = tr.head("train", 400);
    let mut tc = TrainConfig::new(40, Budget::Epochs(2), 3);
    tc.eval_every = Some(Cadence::per(4, tc.steps_per_epoch(tr.len())));
    let cfg = MlpConfig::new(16, &[8], 3, Activation::Tanh, Placement::Before);
    let evals = [("test", &te)];
    let fresh = || (Mlp::<f32>::new(&cfg, 0).unwrap(), Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap());
    let (mut net, mut opt) = fresh();
    let alone = train(&mut net, &mut opt, &tc, TrainData::new(&tr, &evals, None), ()).unwrap();
    let steps: Vec<usize> = alone.history.iter().map(|p| p.step).collect();
    assert_eq!(steps, [0, 3, 5, 8, 10, 13, 15, 18, 20]);
    let (mut net, mut opt) = fresh();
    let run =
        LockstepRun { net: &mut net, opt: &mut opt, config: &tc, data: TrainData::new(&tr, &evals, None), probe: () };
    assert_eq!(train_lockstep(vec![run]).unwrap().remove(0).unwrap(), alone);
}

/// Evaluation sets grouped beforehand and shared ([`PreparedSet`]) give the run it gives when it groups them
/// itself, however many of them are prepared and in whatever order: each set must meet its own grouping.
#[test]
fn prepared_evaluation_sets_change_nothing() {
    let (tr, a, b) = sparse_task();
    let run = |prepared: &[PreparedSet<'_>]| train_evaluating(&tr, &a, &b, prepared);
    let alone = run(&[]);
    assert_eq!(alone.0.history.len(), 10);
    let prepare = |d| PreparedSet::new(Cow::Borrowed(d), 64).unwrap();
    let both = [prepare(&b), prepare(&a)];
    assert_eq!(both[0].is_sparse(), actscope_core::sparse::kernel_available());
    assert_eq!(run(&both), alone, "both sets prepared, in reverse order");
    assert_eq!(run(&both[1..]), alone, "one set prepared");
    let other_chunk = [PreparedSet::new(Cow::Borrowed(&a), 100).unwrap()];
    assert_eq!(run(&other_chunk), alone, "prepared in another chunk size (not used)");
}

/// Every set evaluated at a step is evaluated at that step's weights, though the loop packs the first layer
/// for the sparse product once for all of them: the last evaluation of each of two sets is the final
/// network's, as `evaluate` (dense products) computes it, up to the two products' rounding.
#[test]
fn each_evaluation_sees_the_weights_of_its_step() {
    let (tr, a, b) = sparse_task();
    let (out, net) = train_evaluating(&tr, &a, &b, &[]);
    for (name, set) in [("a", &a), ("b", &b)] {
        let last = out.last(name).unwrap();
        assert_eq!(last.step, 40);
        let (loss, accuracy) = evaluate(&net, set, &mut Workspace::new(&net, 64)).unwrap();
        assert!((last.loss - loss).abs() <= 1e-6 * loss, "{name}: loss {} against {loss}", last.loss);
        assert_eq!(last.accuracy, accuracy, "{name}: accuracy");
    }
}

/// A NaN weight is divergence at the first step, with every placement: ReLU must not turn the NaN
/// pre-activations into zeros (a dead-looking unit) behind a finite loss.
#[test]
fn a_nan_weight_is_divergence_not_a_silent_zero() {
    let (tr, te) = task();
    for act in [Activation::Relu, Activation::Tanh] {
        for placement in PLACEMENTS {
            let mut net = Mlp::<f32>::new(&MlpConfig::new(16, &[32, 32], 3, act, placement), 1).unwrap();
            net.layers[0].linear.weight[[3, 2]] = f32::NAN;
            let mut opt = Optimizer::new(OptimizerConfig::sgd(0.01)).unwrap();
            let evals = [("test", &te)];
            let data = TrainData::new(&tr, &evals, None);
            let out = train(&mut net, &mut opt, &TrainConfig::new(32, Budget::Steps(5), 0), data, ()).unwrap();
            assert_eq!(out.status, Status::Diverged { step: 0 }, "{act}, BN {placement}");
            assert!(out.history[0].loss.is_nan(), "{act}, BN {placement}: the evaluation shows the NaN too");
        }
    }
}

#[test]
fn divergence_is_reported_with_its_step() {
    let (_, out) = run(Activation::Relu, Placement::None, OptimizerConfig::sgd(1e6), 2, 1);
    match out.status {
        Status::Diverged { step } => assert!(step < 20, "diverged late: {step}"),
        Status::Ok => panic!("lr = 1e6 must diverge"),
    }
}

/// Records what it is shown, to test the probe protocol.
#[derive(Default)]
struct Recorder {
    seen: Vec<(usize, ProbeSource, usize, usize, bool)>,
    updates: Vec<usize>,
    evals: usize,
}

impl Probe<f32> for Recorder {
    fn wants_probe_set(&self, step: usize) -> bool {
        step.is_multiple_of(50)
    }
    fn wants_train_batch(&self, step: usize) -> bool {
        step == 7
    }
    fn observe(&mut self, obs: &Observation<'_, f32>) {
        let l = &obs.layers[1];
        self.seen.push((obs.step, obs.source, l.z.nrows(), obs.layers.len(), l.bn_mean.is_some()));
        // With BN before, z is the BN output: at step 0 (γ = 1, β = 0) each unit's batch mean is 0 and its
        // variance σ²/(σ² + ε), with σ² the BN input's batch variance.
        if obs.step == 0 && obs.placement == Placement::Before {
            for (col, &s2) in l.z.columns().into_iter().zip(l.bn_var.unwrap()) {
                let m = col.mean().unwrap();
                let v = col.mapv(|z| (z - m) * (z - m)).mean().unwrap();
                let want = s2 / (s2 + 1e-5);
                assert!(m.abs() < 1e-5 && (v - want).abs() < 1e-5, "mean {m}, var {v}, want {want}");
            }
        }
    }
    fn after_update(&mut self, step: usize, _net: &Mlp<f32>) {
        self.updates.push(step);
    }
    fn on_eval(&mut self, _p: &actscope_core::EvalPoint) {
        self.evals += 1;
    }
}

#[test]
fn probes_see_what_they_ask_for() {
    let (tr, te) = task();
    let probe_set = te.head("probe", 200);
    let cfg = MlpConfig::new(16, &[20, 10], 3, Activation::Sigmoid, Placement::Before);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
    let evals = [("test", &te)];
    let data = TrainData::new(&tr, &evals, Some(&probe_set));
    let mut rec = Recorder::default();
    let mut config = TrainConfig::new(30, Budget::Steps(100), 0);
    config.eval_every = Some(Cadence::every(40));
    let out = train(&mut net, &mut opt, &config, data, &mut rec).unwrap();
    assert_eq!(out.steps, 100);
    let want = vec![
        (0, ProbeSource::ProbeSet, 200, 2, true),
        (7, ProbeSource::TrainBatch, 30, 2, true),
        (50, ProbeSource::ProbeSet, 200, 2, true),
        (100, ProbeSource::ProbeSet, 200, 2, true),
    ];
    assert_eq!(rec.seen, want);
    assert_eq!(rec.updates, vec![0, 7, 50], "after_update follows each observed step that has an update");
    assert_eq!(rec.evals, 4, "evaluations at steps 0, 40, 80 and 100");
}

#[test]
fn bad_settings_are_errors_not_panics() {
    let (tr, te) = task();
    let evals = [("test", &te)];
    let data = TrainData::new(&tr, &evals, None);
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
    let bn = Mlp::<f32>::new(&MlpConfig::new(16, &[8], 3, Activation::Relu, Placement::Before), 0).unwrap();
    for (batch, needle) in [(0, "batch_size"), (5000, "1..=3000"), (1, "at least 2")] {
        let err =
            train(&mut bn.clone(), &mut opt, &TrainConfig::new(batch, Budget::Steps(1), 0), data, ()).unwrap_err();
        assert!(err.to_string().contains(needle), "{err}");
    }
    let wrong = Mlp::<f32>::new(&MlpConfig::new(15, &[8], 3, Activation::Relu, Placement::None), 0).unwrap();
    let err = train(&mut wrong.clone(), &mut opt, &TrainConfig::new(8, Budget::Steps(1), 0), data, ()).unwrap_err();
    assert!(err.to_string().contains("16 features"), "{err}");
    let err = Mlp::<f32>::new(&MlpConfig::new(16, &[8, 0], 3, Activation::Relu, Placement::None), 0).unwrap_err();
    assert_eq!(err.to_string(), "invalid hidden[1]: a hidden layer needs width ≥ 1");
}

#[test]
fn eval_mode_uses_running_statistics() {
    let (tr, _) = task();
    let cfg = MlpConfig::new(16, &[8], 3, Activation::Tanh, Placement::Before);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let x = tr.features.slice(ndarray::s![..64, ..]);
    let mut ws = actscope_core::Workspace::new(&net, 64);
    net.forward_eval(x, &mut ws);
    let fresh = ws.logits().to_owned();
    net.forward_train(x, &mut ws);
    let bn = net.layers[0].norm.batch_norm().unwrap();
    assert_eq!(bn.num_batches_tracked, 1);
    assert!(bn.running_mean.iter().any(|&m| m != 0.0));
    net.forward_eval(x, &mut ws);
    assert_ne!(fresh, ws.logits().to_owned(), "eval output changes once the running statistics move");
}
