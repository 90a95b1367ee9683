//! Lockstep training (`train_lockstep`) gives every run exactly what training it alone (`train`) gives:
//! parameters, losses, evaluations and everything a probe sees, bit for bit.

use actscope_core::linalg::gemm;
use actscope_core::lockstep::{concatenation_is_exact, shares_first_layer};
use actscope_core::rng::{seeded, standard_normal};
use actscope_core::{
    Activation, Budget, Cadence, Dataset, EvalPoint, LockstepRun, MAIN_ACTIVATIONS, Mlp, MlpConfig, Observation,
    Optimizer, OptimizerConfig, PLACEMENTS, Placement, Probe, Status, TrainConfig, TrainData, TrainOutcome, train,
    train_lockstep,
};
use actscope_data::synthetic;
use ndarray::{Array2, ArrayView2, s};

/// FNV-1a over the bits of everything a probe is shown, so two runs' probe streams compare exactly.
#[derive(Default, Clone, PartialEq, Debug)]
struct Fingerprint {
    hash: u64,
    observations: usize,
}

impl Fingerprint {
    fn add_bits(&mut self, bits: u64) {
        for b in bits.to_le_bytes() {
            self.hash ^= b as u64;
            self.hash = self.hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn add(&mut self, v: ArrayView2<'_, f32>) {
        v.iter().for_each(|x| self.add_bits(x.to_bits() as u64));
    }
}

impl Probe<f32> for Fingerprint {
    fn wants_probe_set(&self, step: usize) -> bool {
        step.is_multiple_of(5)
    }
    fn wants_train_batch(&self, step: usize) -> bool {
        step % 3 == 1
    }
    fn observe(&mut self, obs: &Observation<'_, f32>) {
        self.observations += 1;
        self.add_bits(obs.loss.to_bits());
        for l in &obs.layers {
            for v in [l.z, l.a, l.grad_z, l.weight, l.grad_weight] {
                self.add(v);
            }
            for v in [l.bias, l.grad_bias, l.gamma, l.grad_gamma, l.bn_mean, l.bn_var].into_iter().flatten() {
                v.iter().for_each(|x| self.add_bits(x.to_bits() as u64));
            }
        }
        self.add(obs.output.logits);
        self.add(obs.output.grad_weight);
    }
    fn after_update(&mut self, _step: usize, net: &Mlp<f32>) {
        self.add(net.layers.first().map_or(net.output.weight.view(), |l| l.linear.weight.view()));
    }
    fn on_eval(&mut self, p: &EvalPoint) {
        self.add_bits(p.loss.to_bits());
    }
}

/// Every parameter's bits, and the running statistics.
fn bits(net: &Mlp<f32>) -> Vec<u32> {
    let mut out = Vec::new();
    for l in &net.layers {
        out.extend(l.linear.weight.iter().map(|x| x.to_bits()));
        out.extend(l.linear.bias.iter().flatten().map(|x| x.to_bits()));
        if let Some(bn) = l.norm.batch_norm() {
            for v in [&bn.gamma, &bn.beta, &bn.running_mean, &bn.running_var] {
                out.extend(v.iter().map(|x| x.to_bits()));
            }
        }
    }
    out.extend(net.output.weight.iter().map(|x| x.to_bits()));
    out.extend(net.output.bias.iter().flatten().map(|x| x.to_bits()));
    out
}

/// An outcome with its floats as bits (so NaNs and signed zeros compare exactly): steps, status, last
/// training loss, and each evaluation's step, set, loss and accuracy.
type OutcomeBits = (usize, Status, u64, Vec<(usize, String, u64, u64)>);

fn outcome_bits(o: &TrainOutcome) -> OutcomeBits {
    let h = o.history.iter().map(|p| (p.step, p.set.clone(), p.loss.to_bits(), p.accuracy.to_bits())).collect();
    (o.steps, o.status, o.last_train_loss.to_bits(), h)
}

struct Case {
    net: MlpConfig,
    opt: OptimizerConfig,
    seed: u64,
}

type Result3 = (Vec<u32>, OutcomeBits, Fingerprint);

fn data() -> (Dataset, Dataset, Dataset) {
    let train = synthetic::teacher(400, 40, 4, 3, 1);
    let val = synthetic::teacher(120, 40, 4, 3, 2);
    let probe = val.head("probe", 30);
    (train, val, probe)
}

fn config() -> TrainConfig {
    let mut tc = TrainConfig::new(40, Budget::Steps(23), 5);
    tc.eval_every = Some(Cadence::every(7));
    tc
}

fn solo(case: &Case, tc: &TrainConfig, d: &(Dataset, Dataset, Dataset)) -> Result3 {
    let mut net = Mlp::<f32>::new(&case.net, case.seed).unwrap();
    let mut opt = Optimizer::new(case.opt).unwrap();
    let evals = [("val", &d.1)];
    let mut fp = Fingerprint::default();
    let o = train(&mut net, &mut opt, tc, TrainData::new(&d.0, &evals, Some(&d.2)), &mut fp).unwrap();
    (bits(&net), outcome_bits(&o), fp)
}

fn together(cases: &[Case], tc: &TrainConfig, d: &(Dataset, Dataset, Dataset)) -> Vec<Result3> {
    let mut nets: Vec<Mlp<f32>> = cases.iter().map(|c| Mlp::new(&c.net, c.seed).unwrap()).collect();
    let mut opts: Vec<Optimizer<f32>> = cases.iter().map(|c| Optimizer::new(c.opt).unwrap()).collect();
    let mut fps = vec![Fingerprint::default(); cases.len()];
    let evals = [("val", &d.1)];
    let runs = nets
        .iter_mut()
        .zip(&mut opts)
        .zip(&mut fps)
        .map(|((net, opt), probe)| LockstepRun {
            net,
            opt,
            config: tc,
            data: TrainData::new(&d.0, &evals, Some(&d.2)),
            probe,
        })
        .collect();
    let outcomes = train_lockstep(runs).unwrap();
    outcomes.into_iter().zip(&nets).zip(fps).map(|((o, n), fp)| (bits(n), outcome_bits(&o.unwrap()), fp)).collect()
}

fn case(activation: Activation, placement: Placement, hidden: &[usize], lr: f64) -> Case {
    Case {
        net: MlpConfig::new(40, hidden, 4, activation, placement),
        opt: OptimizerConfig::sgd_momentum(lr, 0.9),
        seed: 11,
    }
}

fn assert_same_as_alone(cases: &[Case]) {
    let (d, tc) = (data(), config());
    let grouped = together(cases, &tc, &d);
    for (i, (c, g)) in cases.iter().zip(&grouped).enumerate() {
        let alone = solo(c, &tc, &d);
        assert_eq!(g.1, alone.1, "run {i} ({:?} {:?}): outcome", c.net.activation, c.net.placement);
        assert_eq!(g.2, alone.2, "run {i}: probe stream");
        assert!(g.0 == alone.0, "run {i}: parameters differ");
        assert!(g.2.observations > 0);
    }
}

#[test]
fn every_activation_placement_and_learning_rate_matches_training_alone() {
    // 7 activations × 3 placements × 2 learning rates in one group of 42, first layer 80 wide (shared).
    let cases: Vec<Case> = MAIN_ACTIVATIONS
        .iter()
        .flat_map(|&a| PLACEMENTS.iter().flat_map(move |&p| [0.03, 0.3].map(|lr| case(a, p, &[80, 24], lr))))
        .collect();
    assert!(cases.iter().all(|c| shares_first_layer(&c.net, 40)));
    assert_same_as_alone(&cases);
}

#[test]
fn mixed_widths_adam_and_runs_that_cannot_share_train_together() {
    let mut cases = vec![
        case(Activation::Relu, Placement::Before, &[70], 0.01),
        case(Activation::Tanh, Placement::None, &[130, 20], 0.1),
        // 6 × 40 = 240 ≤ 256 elements: this first layer keeps its own products.
        case(Activation::Sigmoid, Placement::After, &[6, 30], 0.1),
        case(Activation::Gelu, Placement::None, &[], 0.1),
    ];
    cases[0].opt = OptimizerConfig::adam(0.003);
    cases[1].seed = 99;
    assert!(!shares_first_layer(&cases[2].net, 40) && !shares_first_layer(&cases[3].net, 40));
    assert_same_as_alone(&cases);
}

#[test]
fn a_run_that_diverges_leaves_the_others_untouched() {
    let cases = vec![
        case(Activation::Relu, Placement::None, &[80, 24], 0.05),
        // A learning rate this large sends the loss to infinity within a few steps.
        case(Activation::Relu, Placement::None, &[80, 24], 1e6),
        case(Activation::Sigmoid, Placement::Before, &[90, 24], 0.1),
    ];
    let (d, tc) = (data(), config());
    let grouped = together(&cases, &tc, &d);
    assert!(matches!(grouped[1].1.1, Status::Diverged { step } if step > 0 && step < 23), "{:?}", grouped[1].1);
    assert_same_as_alone(&cases);
}

#[test]
fn runs_that_cannot_share_batches_are_refused() {
    let d = data();
    let (a, mut b) = (config(), config());
    b.seed = 6;
    let c = case(Activation::Relu, Placement::None, &[80], 0.1);
    let mut nets = [Mlp::<f32>::new(&c.net, 0).unwrap(), Mlp::new(&c.net, 0).unwrap()];
    let mut opts = [Optimizer::new(c.opt).unwrap(), Optimizer::new(c.opt).unwrap()];
    let [n0, n1] = &mut nets;
    let [o0, o1] = &mut opts;
    let data = TrainData::new(&d.0, &[], None);
    let runs = vec![
        LockstepRun { net: n0, opt: o0, config: &a, data, probe: () },
        LockstepRun { net: n1, opt: o1, config: &b, data, probe: () },
    ];
    let err = train_lockstep(runs).unwrap_err().to_string();
    assert!(err.contains("seed"), "{err}");
}

/// The kernel property lockstep rests on: where [`concatenation_is_exact`] says so, a product's columns come
/// out the same alone and inside a wider product, for the first layer's forward (`x·Wᵀ`, with and without a
/// bias written first) and weight-gradient (`gᵀ·x`) shapes.
#[test]
fn the_matrix_product_of_a_block_does_not_depend_on_the_blocks_beside_it() {
    let mut rng = seeded(3);
    let mut random =
        |r: usize, c: usize| Array2::<f32>::from_shape_simple_fn((r, c), || standard_normal(&mut rng) as f32);
    let mut checked = 0;
    for &(batch, input) in &[(60, 784), (32, 40), (100, 600), (16, 300), (256, 100)] {
        let x = random(batch, input);
        let widths = [1usize, 3, 17, 48, 64, 65, 100, 129, 200];
        let ws: Vec<Array2<f32>> = widths.iter().map(|&w| random(w, input)).collect();
        let total: usize = widths.iter().sum();
        let mut cat = Array2::<f32>::zeros((total, input));
        let mut at = 0;
        for w in &ws {
            cat.slice_mut(s![at..at + w.nrows(), ..]).assign(w);
            at += w.nrows();
        }
        for beta in [0.0f32, 1.0] {
            let init = random(batch, total);
            let mut z_cat = if beta == 0.0 { Array2::zeros((batch, total)) } else { init.clone() };
            gemm(1.0, x.view(), cat.t(), beta, &mut z_cat.view_mut());
            let mut at = 0;
            for w in &ws {
                let n = w.nrows();
                let mut z = init.slice(s![.., at..at + n]).to_owned();
                gemm(1.0, x.view(), w.t(), beta, &mut z.view_mut());
                if concatenation_is_exact(batch, n, input) {
                    assert!(
                        same(z.view(), z_cat.slice(s![.., at..at + n])),
                        "forward {batch}×{input}·{n}, beta {beta}"
                    );
                    checked += 1;
                }
                at += n;
            }
        }
        let g = random(batch, total);
        let mut gw_cat = Array2::<f32>::zeros((total, input));
        gemm(1.0, g.t(), x.view(), 0.0, &mut gw_cat.view_mut());
        let mut at = 0;
        for w in &ws {
            let n = w.nrows();
            let gk = g.slice(s![.., at..at + n]).to_owned();
            let mut gw = Array2::<f32>::zeros((n, input));
            gemm(1.0, gk.t(), x.view(), 0.0, &mut gw.view_mut());
            if concatenation_is_exact(input, n, batch) {
                assert!(same(gw.view(), gw_cat.slice(s![at..at + n, ..])), "weight gradient {n}×{batch}·{input}");
                checked += 1;
            }
            at += n;
        }
    }
    assert!(checked > 60, "{checked}");
}

fn same(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> bool {
    a.iter().zip(b.iter()).all(|(x, y)| x.to_bits() == y.to_bits())
}
