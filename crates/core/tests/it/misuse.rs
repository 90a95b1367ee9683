//! Misuse of the public API is a panic or an error that says what is wrong, never wrong numbers (a library
//! user's trial): mismatched BatchNorm shapes, an invalid BatchNorm setting, activation outputs of another
//! shape, a probe that wants the probe set where none was given, an optimizer state slot reused for another
//! tensor, a zero budget or evaluation cadence, an empty evaluation set, a dataset of 0 classes and a label
//! out of range in the loss, and settings beyond the range of the type the network computes in.

use std::panic::{AssertUnwindSafe, catch_unwind};

use actscope_core::{
    Activation, BatchNorm1d, BatchNormConfig, BnCache, Budget, Cadence, Init, Mlp, MlpConfig, Optimizer,
    OptimizerConfig, Placement, Probe, TrainConfig, TrainData, train,
};
use ndarray::{Array1, Array2};

/// The panic message of `f`, which must panic.
fn panic_of(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("a panic");
    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
}

#[test]
fn batch_norm_refuses_shapes_that_do_not_fit_its_features() {
    let bn = BatchNorm1d::<f64>::new(4, BatchNormConfig::default());
    let x = Array2::<f64>::ones((4, 4));
    // A cache for 2 features: columns 2 and 3 had come out 0.0.
    let m = panic_of(|| bn.forward_batch_into(x.view(), Array2::zeros((4, 4)).view_mut(), &mut BnCache::new(2, 10)));
    assert!(m.contains("a BnCache of 2 features for a BatchNorm1d of 4"), "{m}");
    // An input of 2 features into a layer of 4.
    let x2 = Array2::<f64>::ones((4, 2));
    let m = panic_of(|| bn.forward_batch_into(x2.view(), Array2::zeros((4, 2)).view_mut(), &mut BnCache::new(4, 4)));
    assert!(m.contains("an input of 2 features for a BatchNorm1d of 4"), "{m}");
    let m = panic_of(|| bn.forward_eval_into(x2.view(), Array2::zeros((4, 2)).view_mut()));
    assert!(m.contains("an input of 2 features"), "{m}");
    // A batch larger than the cache.
    let m = panic_of(|| bn.forward_batch_into(x.view(), Array2::zeros((4, 4)).view_mut(), &mut BnCache::new(4, 3)));
    assert!(m.contains("a batch of 4 rows for a BnCache of capacity 3"), "{m}");
    // γ's gradient of 3 entries for 4 features had been filled in part.
    let mut cache = BnCache::new(4, 4);
    let x = Array2::from_shape_fn((4, 4), |(i, j)| (i * 4 + j) as f64);
    bn.forward_batch_into(x.view(), Array2::zeros((4, 4)).view_mut(), &mut cache);
    let m = panic_of(|| {
        let (mut dg, mut db, mut dx) = (Array1::zeros(3), Array1::zeros(4), Array2::zeros((4, 4)));
        bn.backward_into(&mut cache, x.view(), dg.view_mut(), db.view_mut(), dx.view_mut());
    });
    assert!(m.contains("grad_gamma and grad_beta need one entry per feature (4)"), "{m}");
}

/// Settings valid as f64 but not in the f32 the network computes in: `bias_init = 1e39` is infinite there (the
/// run had diverged at step 0 and been recorded as a result), and an α, σ, ε or learning rate of 1e-50 is 0
/// there (another activation, all-zero weights, no ε, no training). The f64 network takes them.
#[test]
fn settings_beyond_the_network_type_are_refused_by_name() {
    let base = MlpConfig::new(3, &[4], 2, Activation::Relu, Placement::Before);
    let with = |f: &dyn Fn(&mut MlpConfig)| {
        let mut c = base.clone();
        f(&mut c);
        c
    };
    let cases = [
        ("bias_init", with(&|c| c.bias_init = Some(1e39)), "1e39 is beyond the range of f32"),
        ("activation α", with(&|c| c.activation = Activation::Elu(1e39)), "1e39 is beyond the range of f32"),
        ("activation α", with(&|c| c.activation = Activation::LeakyRelu(1e-50)), "1e-50 rounds to 0 in f32"),
        ("init σ", with(&|c| c.init = Init::SmallGaussian(1e-50)), "1e-50 rounds to 0 in f32"),
        ("batch_norm.eps", with(&|c| c.batch_norm.eps = 1e-50), "1e-50 rounds to 0 in f32"),
        ("batch_norm.momentum", with(&|c| c.batch_norm.momentum = 1e-50), "1e-50 rounds to 0 in f32"),
    ];
    for (field, c, said) in cases {
        let m = Mlp::<f32>::new(&c, 0).unwrap_err().to_string();
        assert!(m.contains(&format!("invalid {field}: {said}")), "{m}");
        assert!(Mlp::<f64>::new(&c, 0).is_ok(), "{field}: representable in f64");
    }
    assert!(Mlp::<f32>::new(&base, 0).is_ok());
    for (lr, said) in
        [(1e39, "invalid lr: 1e39 is beyond the range of f32"), (1e-50, "invalid lr: 1e-50 rounds to 0 in f32")]
    {
        let m = Optimizer::<f32>::new(OptimizerConfig::sgd(lr)).unwrap_err().to_string();
        assert!(m.contains(said), "{m}");
        assert!(Optimizer::<f64>::new(OptimizerConfig::sgd(lr)).is_ok());
    }
    let m = Optimizer::<f32>::new(OptimizerConfig::sgd(0.1).with_weight_decay(1e-50)).unwrap_err().to_string();
    assert!(m.contains("invalid weight_decay: 1e-50 rounds to 0 in f32"), "{m}");
    let m = Optimizer::<f32>::new(OptimizerConfig::sgd_momentum(0.1, 0.99999999)).unwrap_err().to_string();
    assert!(m.contains("invalid momentum: 0.99999999 rounds to 1 in f32"), "{m}");
    assert!(Optimizer::<f64>::new(OptimizerConfig::sgd_momentum(0.1, 0.99999999)).is_ok());
    assert!(Optimizer::<f32>::new(OptimizerConfig::sgd_momentum(0.1, 0.999)).is_ok());
}

#[test]
fn an_invalid_batch_norm_setting_is_refused_by_the_layer() {
    let m = panic_of(|| drop(BatchNorm1d::<f64>::new(4, BatchNormConfig { eps: -1.0, momentum: 0.1 })));
    assert!(m.contains("batch_norm.eps") && m.contains("got -1"), "{m}");
    let m = panic_of(|| drop(BatchNorm1d::<f64>::new(4, BatchNormConfig { eps: 1e-5, momentum: 3.0 })));
    assert!(m.contains("batch_norm.momentum") && m.contains("got 3"), "{m}");
}

#[test]
fn activations_refuse_outputs_of_another_shape_in_every_type() {
    for act in [Activation::Sigmoid, Activation::Tanh, Activation::Gelu, Activation::Relu] {
        let z = Array2::<f32>::zeros((2, 3));
        let m = panic_of(|| act.forward_into(z.view(), Array2::zeros((3, 2)).view_mut()));
        assert!(m.contains("z and a shapes differ"), "{act}: {m}");
        let m = panic_of(|| {
            act.backward_into(z.view(), z.view(), z.view(), Array2::zeros((3, 2)).view_mut());
        });
        assert!(m.contains("shapes differ"), "{act}: {m}");
    }
}

#[test]
fn names_pad_to_the_formatters_width() {
    assert_eq!(format!("[{:>10}]", Activation::Relu), "[      relu]");
    assert_eq!(format!("[{:<12}]", Activation::LeakyRelu(0.2)), "[leaky_relu(0.2)]");
    assert_eq!(format!("[{:^8}]", Placement::None), "[  none  ]");
    assert_eq!(Activation::Elu(1.0).to_string(), "elu(1)", "unchanged without a width");
}

/// A probe that asks for the probe set, given training data without one: an error (it had recorded no
/// checkpoint at all, without a word).
#[test]
fn a_probe_that_wants_the_probe_set_needs_one() {
    struct WantsProbeSet;
    impl Probe<f32> for WantsProbeSet {
        fn wants_probe_set(&self, step: usize) -> bool {
            step == 0
        }
    }
    let data = actscope_data::synthetic::teacher(100, 5, 2, 1, 1);
    let cfg = MlpConfig::new(5, &[4], 2, Activation::Relu, Placement::None);
    let mut net = Mlp::<f32>::new(&cfg, 0).unwrap();
    let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
    let tc = TrainConfig::new(10, Budget::Steps(3), 0);
    let e = train(&mut net, &mut opt, &tc, TrainData::new(&data, &[], None), WantsProbeSet).unwrap_err();
    assert!(
        e.to_string().contains("the probe asks for the probe set at step 0, but the training data has none"),
        "{e}"
    );
    assert!(train(&mut net, &mut opt, &tc, TrainData::new(&data, &[], Some(&data)), WantsProbeSet).is_ok());
}

/// A momentum buffer (or Adam's moments) given a tensor of another length under the same index is a
/// programmer error that panics and names both lengths (SGD had updated the first 2 of 4 entries only).
#[test]
fn an_optimizer_state_slot_refuses_a_tensor_of_another_length() {
    for config in [OptimizerConfig::sgd_momentum(0.1, 0.9), OptimizerConfig::adam(0.1)] {
        let mut opt = Optimizer::<f64>::new(config).unwrap();
        opt.begin_step();
        let mut p = [1.0; 2];
        opt.update(0, &mut p, &[1.0; 2]);
        let mut q = [1.0; 4];
        let m = panic_of(|| opt.update(0, &mut q, &[1.0; 4]));
        assert!(m.contains("parameter index 0 is for a tensor of 2 values, but this update gives 4"), "{m}");
        assert_eq!(q, [1.0; 4], "{}: nothing updated", config.name());
        // The same tensor again, at the next step, is what the index is for.
        opt.begin_step();
        opt.update(0, &mut p, &[1.0; 2]);
    }
}

fn small_run() -> (actscope_core::Dataset, Mlp<f32>, Optimizer<f32>) {
    let data = actscope_data::synthetic::teacher(40, 5, 2, 1, 1);
    let net = Mlp::<f32>::new(&MlpConfig::new(5, &[4], 2, Activation::Relu, Placement::None), 0).unwrap();
    (data, net, Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap())
}

/// A cadence with a 0 and a budget of 0 steps or epochs are errors naming the field (they had been taken
/// as `None` and as a run of no steps).
#[test]
fn a_zero_cadence_or_budget_is_an_error() {
    let (data, mut net, mut opt) = small_run();
    let mut tc = TrainConfig::new(10, Budget::Steps(3), 0);
    for zero in [Cadence::every(0), Cadence::per(0, 4), Cadence::per(4, 0)] {
        tc.eval_every = Some(zero);
        let e = train(&mut net, &mut opt, &tc, TrainData::new(&data, &[], None), ()).unwrap_err().to_string();
        assert!(e.contains(&format!("invalid eval_every: {zero:?} is no cadence; expected times ≥ 1")), "{e}");
    }
    for (budget, unit) in [(Budget::Steps(0), "Steps(0)"), (Budget::Epochs(0), "Epochs(0)")] {
        let tc = TrainConfig::new(10, budget, 0);
        let e = train(&mut net, &mut opt, &tc, TrainData::new(&data, &[], None), ()).unwrap_err().to_string();
        assert!(e.contains(&format!("invalid budget: {unit} trains nothing")), "{e}");
    }
    let mut tc = TrainConfig::new(10, Budget::Steps(3), 0);
    tc.eval_every = Some(Cadence::every(1));
    let evals = [("val", &data)];
    let o = train(&mut net, &mut opt, &tc, TrainData::new(&data, &evals, None), ()).unwrap();
    assert_eq!(o.history.iter().map(|p| p.step).collect::<Vec<_>>(), [0, 1, 2, 3]);
}

/// An empty evaluation set is evaluated as NaN loss and accuracy in the history (it had read 0.0 and 0.0).
#[test]
fn an_empty_evaluation_set_has_nan_loss_and_accuracy() {
    let (data, mut net, mut opt) = small_run();
    let empty = data.head("empty", 0);
    let evals = [("empty", &empty)];
    let tc = TrainConfig::new(10, Budget::Steps(2), 0);
    let o = train(&mut net, &mut opt, &tc, TrainData::new(&data, &evals, None), ()).unwrap();
    assert_eq!(o.history.len(), 2);
    assert!(o.history.iter().all(|p| p.loss.is_nan() && p.accuracy.is_nan()), "{:?}", o.history);
}

/// A dataset of 0 classes is refused, even without rows (it had been accepted).
#[test]
fn a_dataset_needs_a_class() {
    let e = actscope_core::Dataset::new("d", "p", Array2::zeros((0, 2)), vec![], 0).unwrap_err().to_string();
    assert!(e.contains("d: 0 classes; expected at least 1"), "{e}");
    assert!(actscope_core::Dataset::new("d", "p", Array2::zeros((0, 2)), vec![], 1).is_ok());
}

/// A label out of range panics (documented) with a message naming the label and the class count (it had
/// been ndarray's index message).
#[test]
fn the_loss_names_a_label_out_of_range() {
    use actscope_core::loss::{cross_entropy_sum_and_correct, softmax_cross_entropy};
    let logits = Array2::<f32>::zeros((2, 2));
    let m = panic_of(|| {
        softmax_cross_entropy(logits.view(), &[0, 5], Array2::zeros((2, 2)).view_mut());
    });
    assert!(m.contains("label 5 is out of range for 2 classes; expected labels 0..2"), "{m}");
    let m = panic_of(|| {
        cross_entropy_sum_and_correct(logits.view(), &[5, 0]);
    });
    assert!(m.contains("label 5 is out of range for 2 classes"), "{m}");
}
