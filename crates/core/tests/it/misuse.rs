//! Misuse of the public API is a panic or an error that says what is wrong, never wrong numbers (a library
//! user's trial): mismatched BatchNorm shapes, an invalid BatchNorm setting, activation outputs of another
//! shape, and a probe that wants the probe set where none was given.

use std::panic::{AssertUnwindSafe, catch_unwind};

use actscope_core::{
    Activation, BatchNorm1d, BatchNormConfig, BnCache, Budget, Mlp, MlpConfig, Optimizer, OptimizerConfig, Placement,
    Probe, TrainConfig, TrainData, train,
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
