//! BatchNorm1d and the optimizers against values printed by PyTorch 2.15 (CPU, float32).
//! Each reference sits beside the snippet that produced it.

use actscope_core::{BatchNorm1d, BatchNormConfig, BnCache, Optimizer, OptimizerConfig};
use ndarray::{Array1, Array2, array, s};

use crate::check::assert_close;

// import torch
// def r(t): return "[" + ", ".join(repr(float(v)) for v in t.detach().flatten().tolist()) + "]"
// bn = torch.nn.BatchNorm1d(3)
// with torch.no_grad():
//     bn.weight.copy_(torch.tensor([1.5, -0.5, 2.0])); bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
// x1 = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5], [-0.5, 4.0, 2.5], [2.0, 1.0, 0.0]], requires_grad=True)
// g  = torch.tensor([[0.3, -1.0, 0.5], [1.2, 0.7, -0.2], [-0.4, 0.1, 0.9], [0.6, -0.3, 0.05]])
// bn.train(); y1 = bn(x1); y1.backward(g)
// print("Y1", r(y1)); print("DX1", r(x1.grad)); print("DGAMMA", r(bn.weight.grad)); print("DBETA", r(bn.bias.grad))
// x2 = torch.tensor([[0.2, 0.4, -0.6], [1.0, -1.0, 3.0], [-2.0, 0.5, 1.0]])
// x3 = torch.tensor([[5.0, -3.0, 0.0], [4.0, 2.0, 1.0], [-1.0, 0.0, 2.0], [0.0, 1.0, -2.0], [2.5, 2.5, 2.5]])
// with torch.no_grad():
//     bn(x2); bn(x3)
// print("RMEAN", r(bn.running_mean)); print("RVAR", r(bn.running_var)); print("NBT", int(bn.num_batches_tracked))
// bn.eval()
// xe = torch.tensor([[0.0, 1.0, 2.0], [-1.0, -2.0, 3.0]])
// print("YEVAL", r(bn(xe)))
const Y1: [f64; 12] = [
    -0.33503007888793945,
    0.8350846171379089,
    -0.1252596378326416,
    1.9851305484771729,
    0.37320488691329956,
    -2.9211058616638184,
    -2.075150489807129,
    -0.5505545735359192,
    2.670586585998535,
    0.8250502347946167,
    0.14226502180099487,
    -0.8242211937904358,
];
const DX1: [f64; 12] = [
    0.0477030985057354,
    0.11824139207601547,
    0.21235650777816772,
    0.06397204101085663,
    -0.2133883833885193,
    0.02987569198012352,
    0.006499394774436951,
    0.04711151868104935,
    -0.02453962154686451,
    -0.1181744858622551,
    0.048035480082035065,
    -0.2176925390958786,
];
const DGAMMA: [f64; 3] = [2.291158676147461, 1.1431522369384766, 1.6294541358947754];
const DBETA: [f64; 3] = [1.7000000476837158, -0.5, 1.25];
const RMEAN: [f64; 3] = [0.29737499356269836, 0.10774999856948853, 0.20237499475479126];
const RVAR: [f64; 3] = [1.7817624807357788, 1.7735499143600464, 1.562862515449524];
const YEVAL: [f64; 6] = [
    -0.23417162895202637,
    -0.1349913626909256,
    2.575857162475586,
    -1.3579097986221313,
    0.9913455247879028,
    4.175666332244873,
];

fn train_step(bn: &mut BatchNorm1d<f32>, x: &Array2<f32>) -> (Array2<f32>, BnCache<f32>) {
    let mut cache = BnCache::new(bn.features(), x.nrows());
    let mut y = Array2::zeros(x.dim());
    bn.forward_train_into(x.view(), y.view_mut(), &mut cache);
    (y, cache)
}

#[test]
fn batch_norm_matches_pytorch() {
    let mut bn = BatchNorm1d::<f32>::new(3, BatchNormConfig::default());
    bn.gamma = array![1.5, -0.5, 2.0];
    bn.beta = array![0.1, 0.2, -0.3];
    let x1 = array![[1.0f32, -2.0, 0.5], [3.0, 0.0, -1.5], [-0.5, 4.0, 2.5], [2.0, 1.0, 0.0]];
    let g = array![[0.3f32, -1.0, 0.5], [1.2, 0.7, -0.2], [-0.4, 0.1, 0.9], [0.6, -0.3, 0.05]];
    let (y1, mut cache) = train_step(&mut bn, &x1);
    assert_close("train output", y1.as_slice().unwrap(), &Y1, 1e-5);
    let (mut gg, mut gb, mut gx) = (Array1::zeros(3), Array1::zeros(3), Array2::zeros((4, 3)));
    bn.backward_into(&mut cache, g.view(), gg.view_mut(), gb.view_mut(), gx.view_mut());
    assert_close("dx", gx.as_slice().unwrap(), &DX1, 1e-5);
    assert_close("dgamma", gg.as_slice().unwrap(), &DGAMMA, 1e-5);
    assert_close("dbeta", gb.as_slice().unwrap(), &DBETA, 1e-5);

    train_step(&mut bn, &array![[0.2f32, 0.4, -0.6], [1.0, -1.0, 3.0], [-2.0, 0.5, 1.0]]);
    train_step(
        &mut bn,
        &array![[5.0f32, -3.0, 0.0], [4.0, 2.0, 1.0], [-1.0, 0.0, 2.0], [0.0, 1.0, -2.0], [2.5, 2.5, 2.5]],
    );
    assert_close("running mean", bn.running_mean.as_slice().unwrap(), &RMEAN, 1e-5);
    assert_close("running var (unbiased)", bn.running_var.as_slice().unwrap(), &RVAR, 1e-5);
    assert_eq!(bn.num_batches_tracked, 3);

    let xe = array![[0.0f32, 1.0, 2.0], [-1.0, -2.0, 3.0]];
    let mut ye = Array2::zeros((2, 3));
    bn.forward_eval_into(xe.view(), ye.view_mut());
    assert_close("eval output", ye.as_slice().unwrap(), &YEVAL, 1e-5);
    // Rows that are not contiguous take the element-wise path, contiguous ones a slice loop: the same bits.
    let wide = Array2::from_shape_fn((2, 6), |(i, j)| xe[[i, j / 2]]);
    let mut out = Array2::from_elem((2, 6), f32::NAN);
    bn.forward_eval_into(wide.slice(s![.., ..;2]), out.slice_mut(s![.., ..;2]));
    assert!(wide.slice(s![.., ..;2]).row(0).as_slice().is_none(), "the strided case is strided");
    assert_eq!(out.slice(s![.., ..;2]), ye);
}

#[test]
fn batch_norm_initial_state_is_pytorch_default() {
    let bn = BatchNorm1d::<f32>::new(4, BatchNormConfig::default());
    assert_eq!(bn.gamma, Array1::ones(4));
    assert_eq!(bn.beta, Array1::zeros(4));
    assert_eq!(bn.running_mean, Array1::zeros(4));
    assert_eq!(bn.running_var, Array1::ones(4));
    assert_eq!((bn.config.eps, bn.config.momentum), (1e-5, 0.1));
}

// p0 = [0.5, -1.25, 2.0, 0.0]
// grads = [[0.1, -0.2, 0.3, -0.4], [-0.5, 0.25, 0.05, 1.0], [0.3, 0.3, -0.7, 0.2]]
// cases = {
//  "sgd": lambda p: torch.optim.SGD([p], lr=0.1),
//  "sgd_momentum_wd": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01),
//  "sgd_dampening": lambda p: torch.optim.SGD([p], lr=0.05, momentum=0.8, dampening=0.5),
//  "sgd_nesterov": lambda p: torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.001),
//  "adam": lambda p: torch.optim.Adam([p], lr=0.01),
//  "adam_wd": lambda p: torch.optim.Adam([p], lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
//  "adamw": lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1),
// }
// for name, mk in cases.items():
//     p = torch.nn.Parameter(torch.tensor(p0)); opt = mk(p); out = []
//     for g in grads:
//         p.grad = torch.tensor(g); opt.step(); out.append(r(p))
//     print(name, "[" + ", ".join(out) + "]")
const P0: [f32; 4] = [0.5, -1.25, 2.0, 0.0];
const GRADS: [[f32; 4]; 3] = [[0.1, -0.2, 0.3, -0.4], [-0.5, 0.25, 0.05, 1.0], [0.3, 0.3, -0.7, 0.2]];

fn run(config: OptimizerConfig, want: [[f64; 4]; 3]) {
    let mut opt = Optimizer::<f32>::new(config).unwrap();
    let mut p = P0;
    for (step, (g, w)) in GRADS.iter().zip(want).enumerate() {
        opt.begin_step();
        opt.update(0, &mut p, g);
        assert_close(&format!("{config:?} step {}", step + 1), &p, &w, 2e-7);
    }
}

#[test]
fn sgd_matches_pytorch() {
    run(
        OptimizerConfig::sgd(0.1),
        [
            [0.49000000953674316, -1.2300000190734863, 1.9700000286102295, 0.04000000283122063],
            [0.5400000214576721, -1.2549999952316284, 1.965000033378601, -0.05999999865889549],
            [0.5099999904632568, -1.284999966621399, 2.0350000858306885, -0.07999999821186066],
        ],
    );
    run(
        OptimizerConfig::Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, nesterov: false, weight_decay: 0.01 },
        [
            [0.4894999861717224, -1.2287499904632568, 1.968000054359436, 0.04000000283122063],
            [0.5295605063438416, -1.233396291732788, 1.9322320222854614, -0.024039991199970245],
            [0.5350853800773621, -1.2663445472717285, 1.9681085348129272, -0.10165194422006607],
        ],
    );
    run(
        OptimizerConfig::Sgd { lr: 0.05, momentum: 0.8, dampening: 0.5, nesterov: false, weight_decay: 0.0 },
        [
            [0.4950000047683716, -1.2400000095367432, 1.9850000143051147, 0.020000001415610313],
            [0.5034999847412109, -1.2382500171661377, 1.971750020980835, 0.011000002734363079],
            [0.5027999877929688, -1.2443500757217407, 1.9786499738693237, -0.0011999967973679304],
        ],
    );
    run(
        OptimizerConfig::Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, nesterov: true, weight_decay: 0.001 },
        [
            [0.4809049963951111, -1.211762547492981, 1.942620038986206, 0.07599999755620956],
            [0.5676731467247009, -1.2427310943603516, 1.9082889556884766, -0.08161444962024689],
            [0.5436998605728149, -1.3049757480621338, 2.0147032737731934, -0.1714451014995575],
        ],
    );
}

#[test]
fn adam_matches_pytorch() {
    run(
        OptimizerConfig::adam(0.01),
        [
            [0.49000000953674316, -1.2400000095367432, 1.9900000095367432, 0.010000000707805157],
            [0.4959835410118103, -1.2416273355484009, 1.9821667671203613, 0.005577848758548498],
            [0.49672889709472656, -1.2469145059585571, 1.9856157302856445, 0.0010500806383788586],
        ],
    );
    run(
        OptimizerConfig::Adam { lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 0.1 },
        [
            [0.4800001382827759, -1.2300000190734863, 1.9800000190734863, 0.019999951124191284],
            [0.490932434797287, -1.2239996194839478, 1.9617284536361694, 0.01008503045886755],
            [0.48892784118652344, -1.2265876531600952, 1.9614533185958862, 0.0004216637462377548],
        ],
    );
}

#[test]
fn adamw_matches_pytorch() {
    run(
        OptimizerConfig::AdamW { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.1 },
        [
            [0.4895000159740448, -1.2387499809265137, 1.9880000352859497, 0.010000000707805157],
            [0.49499404430389404, -1.2391386032104492, 1.978178858757019, 0.005567849148064852],
            [0.49524441361427307, -1.243186593055725, 1.9796496629714966, 0.0010345131158828735],
        ],
    );
}

#[test]
fn invalid_optimizer_settings_are_rejected() {
    for bad in [
        OptimizerConfig::sgd(0.0),
        OptimizerConfig::sgd(-1.0),
        OptimizerConfig::sgd(f64::NAN),
        OptimizerConfig::Sgd { lr: 0.1, momentum: 0.0, dampening: 0.0, nesterov: true, weight_decay: 0.0 },
        OptimizerConfig::Adam { lr: 0.1, beta1: 1.0, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 },
    ] {
        let err = Optimizer::<f32>::new(bad).unwrap_err().to_string();
        assert!(err.starts_with("invalid "), "{err}");
    }
}

/// Strided views (a transposed input, a column-major output) give bit-for-bit the results of contiguous
/// ones: the contiguous fast path and the general path compute the same sums in the same order.
#[test]
fn batch_norm_accepts_any_layout() {
    use ndarray::ShapeBuilder;
    let (m, f) = (7, 5);
    let x = Array2::from_shape_fn((m, f), |(i, j)| ((i * 7 + j * 3) % 11) as f32 * 0.37 - 1.5);
    let g = Array2::from_shape_fn((m, f), |(i, j)| ((i * 5 + j) % 7) as f32 * 0.21 - 0.6);
    let mut bn = BatchNorm1d::<f32>::new(f, BatchNormConfig::default());
    bn.gamma = Array1::from_shape_fn(f, |j| 0.5 + j as f32 * 0.25);
    bn.beta = Array1::from_shape_fn(f, |j| j as f32 * 0.1 - 0.2);
    let run = |x: ndarray::ArrayView2<'_, f32>, g: ndarray::ArrayView2<'_, f32>, col_major: bool| {
        let mut cache = BnCache::new(f, m);
        let mut y = if col_major { Array2::zeros((m, f).f()) } else { Array2::zeros((m, f)) };
        bn.forward_batch_into(x, y.view_mut(), &mut cache);
        let mut dx = if col_major { Array2::zeros((m, f).f()) } else { Array2::zeros((m, f)) };
        let (mut dg, mut db) = (Array1::zeros(f), Array1::zeros(f));
        bn.backward_into(&mut cache, g, dg.view_mut(), db.view_mut(), dx.view_mut());
        (y, dx, dg, db)
    };
    let contiguous = run(x.view(), g.view(), false);
    let (xt, gt) = (x.t().to_owned(), g.t().to_owned());
    let strided = run(xt.t(), gt.t(), true);
    assert_eq!(contiguous, strided);
}
