//! The network computes exactly the composition its docs describe, bit for bit: every placement's forward
//! and backward pass, run through [`Mlp`] and a [`Workspace`], equals the same layers called one by one.
//!
//! Both paths run in this process on the same kernels, so the comparison is exact on every CPU. It pins
//! the order of operations of the network's wiring (and so the results of training), whatever shape the
//! network and workspace code takes.

use actscope_core::loss::softmax_cross_entropy;
use actscope_core::{Activation, BnCache, Float, Init, Mlp, MlpConfig, Norm, PLACEMENTS, Placement, Workspace};
use ndarray::{Array1, Array2, ArrayView2};

use crate::check::{randn, randn1};

/// What the hand-composed forward pass of one hidden block produced.
struct Block<F> {
    z: Array2<F>,
    a: Array2<F>,
    out: Array2<F>,
    cache: Option<BnCache<F>>,
}

fn act_of<F: Float>(act: Activation, z: &Array2<F>) -> Array2<F> {
    let mut a = Array2::zeros(z.raw_dim());
    act.forward_into(z.view(), a.view_mut());
    a
}

/// The documented forward pass, layer by layer: Linear (→ BN) → φ (→ BN), then the output Linear.
fn forward<F: Float>(net: &Mlp<F>, x: ArrayView2<'_, F>, batch_stats: bool) -> (Vec<Block<F>>, Array2<F>) {
    let act = net.config().activation;
    let mut blocks: Vec<Block<F>> = Vec::new();
    for layer in &net.layers {
        let input = blocks.last().map_or(x, |b| b.out.view());
        let w = layer.linear.out_features();
        let mut cache = batch_stats.then(|| BnCache::new(w, x.nrows()));
        let normalise = |bn: &actscope_core::BatchNorm1d<F>, v: &Array2<F>, cache: Option<&mut BnCache<F>>| {
            let mut y = Array2::zeros(v.raw_dim());
            match cache {
                Some(c) => bn.forward_batch_into(v.view(), y.view_mut(), c),
                None => bn.forward_eval_into(v.view(), y.view_mut()),
            }
            y
        };
        let block = match &layer.norm {
            Norm::None => {
                let z = layer.linear.forward(input);
                let a = act_of(act, &z);
                Block { out: a.clone(), z, a, cache: None }
            }
            Norm::Before(bn) => {
                let h = layer.linear.forward(input);
                let z = normalise(bn, &h, cache.as_mut());
                let a = act_of(act, &z);
                Block { out: a.clone(), z, a, cache }
            }
            Norm::After(bn) => {
                let z = layer.linear.forward(input);
                let a = act_of(act, &z);
                let out = normalise(bn, &a, cache.as_mut());
                Block { z, a, out, cache }
            }
        };
        blocks.push(block);
    }
    let logits = net.output.forward(blocks.last().map_or(x, |b| b.out.view()));
    (blocks, logits)
}

/// The documented backward pass: per parameter tensor in `visit_params` order, and ∂L/∂z per block.
fn backward<F: Float>(
    net: &Mlp<F>,
    x: ArrayView2<'_, F>,
    blocks: &mut [Block<F>],
    grad_logits: ArrayView2<'_, F>,
) -> (Vec<Vec<F>>, Vec<Array2<F>>) {
    let act = net.config().activation;
    let n = x.nrows();
    let input_of = |blocks: &[Block<F>], l: usize| if l == 0 { x.to_owned() } else { blocks[l - 1].out.clone() };
    let last = input_of(blocks, blocks.len());
    let (mut gw, mut gb) = (Array2::zeros(net.output.weight.raw_dim()), Array1::zeros(net.output.out_features()));
    let mut grad_out = Array2::zeros(last.raw_dim());
    let has_hidden = !blocks.is_empty();
    net.output.backward_into(
        last.view(),
        grad_logits,
        gw.view_mut(),
        Some(gb.view_mut()),
        has_hidden.then_some(grad_out.view_mut()),
    );
    let mut tensors = vec![vec![gw.iter().copied().collect(), gb.to_vec()]];
    let mut grad_zs = Vec::new();
    for l in (0..blocks.len()).rev() {
        let layer = &net.layers[l];
        let input = input_of(blocks, l);
        let b = &mut blocks[l];
        let w = layer.linear.out_features();
        let phi_back = |g: &Array2<F>| {
            let mut gz = Array2::zeros((n, w));
            act.backward_into(b.z.view(), b.a.view(), g.view(), gz.view_mut());
            gz
        };
        let mut bn_grads = Vec::new();
        let mut bn_back = |bn: &actscope_core::BatchNorm1d<F>, cache: &mut BnCache<F>, g: &Array2<F>| {
            let (mut gg, mut gbeta, mut gx) = (Array1::zeros(w), Array1::zeros(w), Array2::zeros((n, w)));
            bn.backward_into(cache, g.view(), gg.view_mut(), gbeta.view_mut(), gx.view_mut());
            bn_grads = vec![gg.to_vec(), gbeta.to_vec()];
            gx
        };
        let cache = b.cache.as_mut();
        let (grad_z, grad_linear) = match &layer.norm {
            Norm::None => {
                let gz = phi_back(&grad_out);
                (gz.clone(), gz)
            }
            Norm::Before(bn) => {
                let gz = phi_back(&grad_out);
                let gh = bn_back(bn, cache.unwrap(), &gz);
                (gz, gh)
            }
            Norm::After(bn) => {
                let ga = bn_back(bn, cache.unwrap(), &grad_out);
                let gz = phi_back(&ga);
                (gz.clone(), gz)
            }
        };
        let mut gw = Array2::zeros(layer.linear.weight.raw_dim());
        let mut gb = layer.linear.bias.as_ref().map(|_| Array1::zeros(w));
        let mut gin = Array2::zeros(input.raw_dim());
        layer.linear.backward_into(
            input.view(),
            grad_linear.view(),
            gw.view_mut(),
            gb.as_mut().map(|g| g.view_mut()),
            (l > 0).then_some(gin.view_mut()),
        );
        let mut t = vec![gw.iter().copied().collect()];
        t.extend(gb.map(|g| g.to_vec()));
        t.extend(bn_grads);
        tensors.push(t);
        grad_zs.push(grad_z);
        grad_out = gin;
    }
    tensors.reverse();
    grad_zs.reverse();
    (tensors.into_iter().flatten().collect(), grad_zs)
}

fn bits<'a, F: Float>(v: impl IntoIterator<Item = &'a F>) -> Vec<u64> {
    v.into_iter().map(|x| x.f64().to_bits()).collect()
}

fn same<F: Float>(what: &str, got: ArrayView2<'_, F>, want: &Array2<F>) {
    assert_eq!(got.dim(), want.dim(), "{what}: shape");
    assert!(bits(got.iter()) == bits(want.iter()), "{what}: values differ from the layer-by-layer composition");
}

fn check<F: Float>(placement: Placement, act: Activation, hidden: &[usize], capacity_extra: usize, seed: u64) {
    let (batch, input, classes) = (9, 7, 3);
    let mut cfg = MlpConfig::new(input, hidden, classes, act, placement);
    cfg.init = Init::XavierNormal;
    let mut net = Mlp::<F>::new(&cfg, seed).unwrap();
    for (i, layer) in net.layers.iter_mut().enumerate() {
        if let Some(bn) = layer.norm.batch_norm_mut() {
            bn.gamma = randn1(bn.features(), 1.0, 0.3, seed ^ (10 + i as u64)).mapv(F::of);
            bn.beta = randn1(bn.features(), 0.0, 0.3, seed ^ (20 + i as u64)).mapv(F::of);
        }
    }
    let x = randn(batch, input, 1.0, seed ^ 7).mapv(F::of);
    let labels: Vec<usize> = (0..batch).map(|i| i % classes).collect();
    let name = format!("{act}, BN {placement}, hidden {hidden:?}");

    // Train mode: forward with batch statistics, loss, backward, running statistics.
    let mut reference = net.clone();
    let mut ws = Workspace::new(&net, batch + capacity_extra);
    net.forward_train(x.view(), &mut ws);
    let (mut blocks, logits) = forward(&reference, x.view(), true);
    same(&format!("{name}: logits"), ws.logits(), &logits);
    let (l, g) = ws.logits_and_grad();
    let loss = softmax_cross_entropy(l, &labels, g);
    net.backward(x.view(), &mut ws);
    let mut grad_logits = Array2::zeros(logits.raw_dim());
    let ref_loss = softmax_cross_entropy(logits.view(), &labels, grad_logits.view_mut());
    assert_eq!(loss.f64().to_bits(), ref_loss.f64().to_bits(), "{name}: loss");
    let (tensors, grad_zs) = backward(&reference, x.view(), &mut blocks, grad_logits.view());
    for (layer, b) in reference.layers.iter_mut().zip(&blocks) {
        if let (Some(bn), Some(cache)) = (layer.norm.batch_norm_mut(), b.cache.as_ref()) {
            bn.update_running(cache);
        }
    }
    let (views, _) = net.observe(&ws);
    assert_eq!(views.len(), blocks.len());
    for ((v, b), gz) in views.iter().zip(&blocks).zip(&grad_zs) {
        let at = |what: &str| format!("{name}: layer {} {what}", v.index);
        same(&at("z"), v.z, &b.z);
        same(&at("a"), v.a, &b.a);
        same(&at("∂L/∂z"), v.grad_z, gz);
        let mean = b.cache.as_ref().map(|c| bits(c.mean.iter()));
        assert_eq!(v.bn_mean.map(|m| bits(m.iter())), mean, "{}", at("BN mean"));
        assert_eq!(v.bn_var.map(|m| bits(m.iter())), b.cache.as_ref().map(|c| bits(c.var.iter())), "{}", at("BN var"));
    }
    let mut got = Vec::new();
    net.clone().visit_params(&ws, |_, _, g| got.push(bits(g)));
    let want: Vec<Vec<u64>> = tensors.iter().map(|t| bits(t)).collect();
    assert!(got == want, "{name}: parameter gradients differ from the layer-by-layer composition");
    assert_eq!(net, reference, "{name}: running statistics after forward_train");

    // Eval mode, with the running statistics just updated.
    net.forward_eval(x.view(), &mut ws);
    let (blocks, logits) = forward(&reference, x.view(), false);
    same(&format!("{name}: eval logits"), ws.logits(), &logits);
    let (views, _) = net.observe(&ws);
    for (v, b) in views.iter().zip(&blocks) {
        same(&format!("{name}: eval layer {} z", v.index), v.z, &b.z);
        assert!(v.bn_mean.is_none(), "{name}: no batch statistics in eval mode");
    }
}

#[test]
fn every_placement_is_its_documented_composition_bit_for_bit() {
    for placement in PLACEMENTS {
        for act in [Activation::Sigmoid, Activation::Relu, Activation::Gelu, Activation::Elu(1.0)] {
            for (hidden, extra) in [(&[6usize, 5][..], 0), (&[8, 4, 6][..], 3), (&[][..], 2)] {
                check::<f32>(placement, act, hidden, extra, 3);
                check::<f64>(placement, act, hidden, extra, 4);
            }
        }
    }
}

/// `bias_init` sets every hidden bias, and with BN before φ, where the Linear has no bias, BN's initial
/// shift β, which takes its place (it had no effect there, so a bias stress left those nets unstressed).
#[test]
fn bias_init_sets_the_bias_or_the_shift_that_takes_its_place() {
    for placement in PLACEMENTS {
        let mut cfg = MlpConfig::new(6, &[5, 4], 3, Activation::Relu, placement);
        cfg.bias_init = Some(-1.0);
        let net = Mlp::<f64>::new(&cfg, 7).unwrap();
        for layer in &net.layers {
            match placement {
                Placement::Before => {
                    assert!(layer.linear.bias.is_none());
                    let bn = layer.norm.batch_norm().unwrap();
                    assert!(bn.beta.iter().all(|&b| b == -1.0) && bn.gamma.iter().all(|&g| g == 1.0));
                }
                _ => {
                    assert!(layer.linear.bias.as_ref().unwrap().iter().all(|&b| b == -1.0));
                    if let Some(bn) = layer.norm.batch_norm() {
                        assert!(bn.beta.iter().all(|&b| b == 0.0), "BN after φ keeps β = 0");
                    }
                }
            }
        }
    }
}
