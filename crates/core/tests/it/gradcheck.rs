//! Every backward pass against central finite differences in f64 (relative error < 1e-6).
//!
//! Shapes (batch 2–16, widths 1–12) and the seeds of the values are drawn by proptest from a fixed seed.
//! Piecewise activations are checked away from their kinks: cases with any |z| < 1e-3 are skipped.

use actscope_core::loss::{mse, softmax_cross_entropy};
use actscope_core::{
    Activation, BatchNorm1d, BatchNormConfig, BnCache, Init, Linear, Mlp, MlpConfig, PLACEMENTS, Placement, Workspace,
};
use ndarray::{Array1, Array2};
use proptest::prelude::*;

use actscope_core::gradcheck::{check_network, compare};

use crate::check::{config, grad_check, numeric_grad, randn, randn1};

const ALL: [Activation; 11] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Relu,
    Activation::LeakyRelu(0.1),
    Activation::Elu(1.0),
    Activation::Elu(0.5),
    Activation::Gelu,
    Activation::Silu,
    Activation::Softplus,
    Activation::Softsign,
    Activation::Identity,
];

fn has_kink(a: Activation) -> bool {
    matches!(a, Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Softsign)
}

fn flat(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

proptest! {
    #![proptest_config(config(96))]

    /// ∂L/∂W = Rᵀx, ∂L/∂b = Σ_rows R, ∂L/∂x = R·W for L = Σ R ⊙ (x·Wᵀ + b).
    #[test]
    fn linear(batch in 2usize..=16, n_in in 1usize..=12, n_out in 1usize..=12, bias: bool, seed: u64) {
        let x = randn(batch, n_in, 1.0, seed);
        let r = randn(batch, n_out, 1.0, seed ^ 1);
        let mut rng = actscope_core::rng::seeded(seed ^ 2);
        let mut lin = Linear::<f64>::new(n_in, n_out, bias, Init::PytorchDefault, &mut rng);
        if let Some(b) = lin.bias.as_mut() {
            *b = randn1(n_out, 0.0, 1.0, seed ^ 3);
        }
        let loss = |l: &Linear<f64>, x: &Array2<f64>| (l.forward(x.view()) * &r).sum();
        let (mut gw, mut gb, mut gx) = (Array2::zeros((n_out, n_in)), Array1::zeros(n_out), Array2::zeros((batch, n_in)));
        lin.backward_into(x.view(), r.view(), gw.view_mut(), Some(gb.view_mut()), Some(gx.view_mut()));

        let mut w = flat(&lin.weight);
        let num_w = numeric_grad(&mut w, |w| {
            let mut l = lin.clone();
            l.weight = Array2::from_shape_vec((n_out, n_in), w.to_vec()).unwrap();
            loss(&l, &x)
        });
        let l0 = loss(&lin, &x);
        grad_check(&flat(&gw), &num_w, l0).map_err(|e| TestCaseError::fail(format!("dW: {e}")))?;
        let mut xv = flat(&x);
        let num_x = numeric_grad(&mut xv, |xv| loss(&lin, &Array2::from_shape_vec((batch, n_in), xv.to_vec()).unwrap()));
        grad_check(&flat(&gx), &num_x, l0).map_err(|e| TestCaseError::fail(format!("dx: {e}")))?;
        if bias {
            let mut b = lin.bias.clone().unwrap().to_vec();
            let num_b = numeric_grad(&mut b, |b| {
                let mut l = lin.clone();
                l.bias = Some(Array1::from(b.to_vec()));
                loss(&l, &x)
            });
            grad_check(&gb.to_vec(), &num_b, l0).map_err(|e| TestCaseError::fail(format!("db: {e}")))?;
        }
    }

    /// The exact BN backward (through μ and σ²) for x, γ and β.
    #[test]
    fn batch_norm(batch in 2usize..=16, features in 1usize..=12, seed: u64, scale in 0.1f64..10.0) {
        let x = randn(batch, features, scale, seed);
        let r = randn(batch, features, 1.0, seed ^ 1);
        let mut bn = BatchNorm1d::<f64>::new(features, BatchNormConfig::default());
        bn.gamma = randn1(features, 1.0, 0.5, seed ^ 2);
        bn.beta = randn1(features, 0.0, 0.5, seed ^ 3);
        let loss = |bn: &BatchNorm1d<f64>, x: &Array2<f64>| {
            let mut cache = BnCache::new(features, batch);
            let mut y = Array2::zeros((batch, features));
            bn.forward_batch_into(x.view(), y.view_mut(), &mut cache);
            (y * &r).sum()
        };
        let mut cache = BnCache::new(features, batch);
        let mut y = Array2::zeros((batch, features));
        bn.forward_batch_into(x.view(), y.view_mut(), &mut cache);
        let (mut gg, mut gb, mut gx) = (Array1::zeros(features), Array1::zeros(features), Array2::zeros((batch, features)));
        bn.backward_into(&mut cache, r.view(), gg.view_mut(), gb.view_mut(), gx.view_mut());

        let mut xv = flat(&x);
        let num_x = numeric_grad(&mut xv, |xv| loss(&bn, &Array2::from_shape_vec((batch, features), xv.to_vec()).unwrap()));
        let l0 = loss(&bn, &x);
        grad_check(&flat(&gx), &num_x, l0).map_err(|e| TestCaseError::fail(format!("dx: {e}")))?;
        let mut g = bn.gamma.to_vec();
        let num_g = numeric_grad(&mut g, |g| { let mut b = bn.clone(); b.gamma = Array1::from(g.to_vec()); loss(&b, &x) });
        grad_check(&gg.to_vec(), &num_g, l0).map_err(|e| TestCaseError::fail(format!("dγ: {e}")))?;
        let mut be = bn.beta.to_vec();
        let num_b = numeric_grad(&mut be, |be| { let mut b = bn.clone(); b.beta = Array1::from(be.to_vec()); loss(&b, &x) });
        grad_check(&gb.to_vec(), &num_b, l0).map_err(|e| TestCaseError::fail(format!("dβ: {e}")))?;
    }

    /// grad_z = grad_a ⊙ φ′(z) for every activation, and the scalar φ′ agrees with it.
    #[test]
    fn activations(rows in 1usize..=16, cols in 1usize..=12, seed: u64, scale in 0.1f64..6.0) {
        let z = randn(rows, cols, scale, seed);
        let r = randn(rows, cols, 1.0, seed ^ 1);
        for act in ALL {
            if has_kink(act) && z.iter().any(|v| v.abs() < 1e-3) { continue; }
            let mut a = Array2::zeros((rows, cols));
            act.forward_into(z.view(), a.view_mut());
            let mut gz = Array2::zeros((rows, cols));
            act.backward_into(z.view(), a.view(), r.view(), gz.view_mut());
            let mut zv = flat(&z);
            let num = numeric_grad(&mut zv, |zv| zv.iter().zip(r.iter()).map(|(&z, &r)| r * act.value(z)).sum());
            let l0: f64 = z.iter().zip(r.iter()).map(|(&z, &r)| r * act.value(z)).sum();
            grad_check(&flat(&gz), &num, l0).map_err(|e| TestCaseError::fail(format!("{act}: {e}")))?;
            for (&zi, (&ri, &gi)) in z.iter().zip(r.iter().zip(gz.iter())) {
                prop_assert!((ri * act.derivative(zi) - gi).abs() <= 1e-12 * (1.0 + gi.abs()), "{act}: scalar φ′ differs");
            }
        }
    }

    /// Softmax cross-entropy and MSE gradients.
    #[test]
    fn losses(batch in 1usize..=16, classes in 2usize..=12, seed: u64, scale in 0.1f64..20.0) {
        let logits = randn(batch, classes, scale, seed);
        let labels: Vec<usize> = (0..batch).map(|i| (seed as usize).wrapping_add(i * 7) % classes).collect();
        let mut g = Array2::zeros((batch, classes));
        let l0 = softmax_cross_entropy(logits.view(), &labels, g.view_mut());
        let mut lv = flat(&logits);
        let num = numeric_grad(&mut lv, |lv| {
            let l = Array2::from_shape_vec((batch, classes), lv.to_vec()).unwrap();
            softmax_cross_entropy(l.view(), &labels, Array2::zeros((batch, classes)).view_mut())
        });
        grad_check(&flat(&g), &num, l0).map_err(|e| TestCaseError::fail(format!("cross-entropy: {e}")))?;

        let target = randn(batch, classes, 1.0, seed ^ 5);
        let l1 = mse(logits.view(), target.view(), g.view_mut());
        let num = numeric_grad(&mut lv, |lv| {
            let p = Array2::from_shape_vec((batch, classes), lv.to_vec()).unwrap();
            mse(p.view(), target.view(), Array2::zeros((batch, classes)).view_mut())
        });
        grad_check(&flat(&g), &num, l1).map_err(|e| TestCaseError::fail(format!("MSE: {e}")))?;
    }

    /// Whole networks, every placement, a spread of activations: every parameter's gradient.
    #[test]
    fn networks(
        batch in 2usize..=16,
        input in 1usize..=12,
        hidden in prop::collection::vec(1usize..=12, 0..=3),
        classes in 2usize..=5,
        act_index in 0usize..ALL.len(),
        seed: u64,
    ) {
        let act = ALL[act_index];
        for placement in PLACEMENTS {
            let mut cfg = MlpConfig::new(input, &hidden, classes, act, placement);
            cfg.init = Init::XavierNormal;
            let mut net = Mlp::<f64>::new(&cfg, seed).unwrap();
            // Move γ and β off their initial values so their gradients are tested in general position.
            for (i, layer) in net.layers.iter_mut().enumerate() {
                if let Some(bn) = layer.norm.batch_norm_mut() {
                    bn.gamma = randn1(bn.features(), 1.0, 0.3, seed ^ (10 + i as u64));
                    bn.beta = randn1(bn.features(), 0.0, 0.3, seed ^ (20 + i as u64));
                }
            }
            let x = randn(batch, input, 1.0, seed ^ 7);
            let labels: Vec<usize> = (0..batch).map(|i| i % classes).collect();
            // The library's own check (gradcheck::check_network), every parameter tensor.
            let check = check_network(&net, x.view(), &labels).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if check.near_kink {
                continue;
            }
            let names = check.tensors.iter().map(|t| t.name.as_str()).collect::<Vec<_>>();
            prop_assert_eq!(names.len(), expected_tensors(hidden.len(), placement), "{:?}", names);
            prop_assert!(check.passed(), "{act}, BN {placement}, hidden {hidden:?}: {check}");
        }
    }
}

/// Tensors of a network with `hidden` hidden layers: W and b per layer (no b with BN before), γ and β with
/// BN, and the output's W and b.
fn expected_tensors(hidden: usize, placement: Placement) -> usize {
    let per_layer = match placement {
        Placement::None => 2,
        Placement::Before => 3,
        Placement::After => 4,
    };
    hidden * per_layer + 2
}

/// The public check names each tensor, fails a network whose gradient is wrong, and refuses input it cannot
/// check, naming it.
#[test]
fn check_network_names_tensors_compare_catches_a_wrong_gradient_and_bad_input_is_refused() {
    let cfg = MlpConfig::new(4, &[3], 2, Activation::Tanh, Placement::After);
    let net = Mlp::<f64>::new(&cfg, 3).unwrap();
    let x = randn(6, 4, 1.0, 5);
    let labels = [0, 1, 0, 1, 1, 0];
    let check = check_network(&net, x.view(), &labels).unwrap();
    let names: Vec<&str> = check.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["layer 1 W", "layer 1 b", "layer 1 γ", "layer 1 β", "output W", "output b"]);
    assert!(check.passed() && !check.near_kink, "{check}");
    assert!(check.to_string().starts_with("6 of 6 tensors pass (loss "), "{check}");
    // A gradient off by 1e-5 relative fails the criterion the network check uses.
    let grad = [1.0, -2.0, 0.5];
    assert!(!compare(&grad, &[1.0, -2.00002, 0.5], 1.0).unwrap().pass);
    let e =
        |r: actscope_core::Result<_>| r.map(|_: actscope_core::gradcheck::NetworkCheck| ()).unwrap_err().to_string();
    assert!(e(check_network(&net, x.view(), &labels[..5])).contains("expected 6 (one per row of x), got 5"));
    assert!(e(check_network(&net, randn(6, 5, 1.0, 1).view(), &labels)).contains("expected 4 columns"));
    assert!(
        e(check_network(&net, x.view(), &[0, 1, 2, 1, 1, 0]))
            .contains("label 2 is not a class of a network with 2 outputs")
    );
    assert!(
        e(check_network(&net, x.slice(ndarray::s![..1, ..]), &labels[..1]))
            .contains("two or more rows under BatchNorm")
    );
    assert!(compare(&[f64::NAN], &[0.0], 0.0).unwrap_err().to_string().contains("analytic[0]"));
    // Gradients below the differences' noise floor cannot be judged: a sign error passes, and says so.
    let tiny = compare(&[1e-12, 0.0], &[-1e-12, 0.0], 0.0).unwrap();
    assert!(tiny.pass && tiny.below_floor, "{tiny}");
    assert!(tiny.to_string().starts_with("pass, unjudged (both gradients are below the noise floor)"), "{tiny}");
    assert!(!check.tensors.iter().any(|t| t.check.below_floor), "{check}");
}

/// With BN before, the Linear has no bias, and the parameter count matches the configuration.
#[test]
fn before_drops_bias_and_counts_params() {
    for placement in PLACEMENTS {
        let cfg = MlpConfig::new(5, &[4, 3], 2, Activation::Tanh, placement);
        let mut net = Mlp::<f64>::new(&cfg, 1).unwrap();
        assert_eq!(net.layers[0].linear.bias.is_none(), placement == Placement::Before);
        let ws = Workspace::new(&net, 2);
        let mut n = 0;
        net.visit_params(&ws, |_, p, _| n += p.len());
        assert_eq!(n, cfg.num_params(), "{placement}");
    }
}

/// The checker itself rejects a gradient that is off by 1e-5 relative, and one that is zero instead of small.
#[test]
fn grad_check_rejects_wrong_gradients() {
    assert!(grad_check(&[1.0, -2.0, 0.5], &[1.0, -2.00002, 0.5], 1.0).is_err());
    assert!(grad_check(&[0.0, 0.0], &[1e-4, 0.0], 1.0).is_err());
    assert!(grad_check(&[1.0, -2.0, 0.5], &[1.0, -2.000_000_1, 0.5], 1.0).is_ok());
}
