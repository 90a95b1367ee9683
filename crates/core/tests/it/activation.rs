//! Activation values, derivatives and names: stability at |x| = 1e4 and known closed-form values.

use actscope_core::{Activation, Init, Placement};

const ALL: [Activation; 10] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Relu,
    Activation::LeakyRelu(0.01),
    Activation::Elu(1.0),
    Activation::Gelu,
    Activation::Silu,
    Activation::Softplus,
    Activation::Softsign,
    Activation::Identity,
];

/// The limits each φ and φ′ must reach far out in the tails.
fn tails(act: Activation, x: f64) -> (f64, f64) {
    let pos = x > 0.0;
    match act {
        Activation::Sigmoid => (if pos { 1.0 } else { 0.0 }, 0.0),
        Activation::Tanh => (if pos { 1.0 } else { -1.0 }, 0.0),
        Activation::Relu | Activation::Gelu | Activation::Silu | Activation::Softplus => {
            (if pos { x } else { 0.0 }, if pos { 1.0 } else { 0.0 })
        }
        Activation::LeakyRelu(a) => (if pos { x } else { a * x }, if pos { 1.0 } else { a }),
        Activation::Elu(a) => (if pos { x } else { -a }, if pos { 1.0 } else { 0.0 }),
        Activation::Softsign => (x / (1.0 + x.abs()), 1.0 / (1.0 + x.abs()).powi(2)),
        Activation::Identity => (x, 1.0),
    }
}

#[test]
fn stable_and_correct_at_extremes() {
    for act in ALL {
        for x in [1e4f64, -1e4, 1e3, -1e3, 80.0, -80.0] {
            let (v64, d64) = (act.value(x), act.derivative(x));
            let (v32, d32) = (act.value(x as f32), act.derivative(x as f32));
            assert!(v64.is_finite() && d64.is_finite() && v32.is_finite() && d32.is_finite(), "{act} at {x}");
            let (wv, wd) = tails(act, x);
            assert!((v64 - wv).abs() <= 1e-9 * (1.0 + wv.abs()), "{act}({x}) = {v64}, want {wv}");
            assert!((d64 - wd).abs() <= 1e-9, "{act}'({x}) = {d64}, want {wd}");
            assert!((v32 as f64 - wv).abs() <= 1e-6 * (1.0 + wv.abs()), "f32 {act}({x}) = {v32}, want {wv}");
            assert!((d32 as f64 - wd).abs() <= 1e-6, "f32 {act}'({x}) = {d32}, want {wd}");
        }
    }
}

/// The array forms in f32 — contiguous (vectorised kernels for sigmoid, tanh, SiLU, ELU and GELU) and
/// strided (the scalar loop) — agree with the f64 definitions, extremes included.
#[test]
fn array_forms_match_the_scalar_definitions() {
    use ndarray::{Array2, s};
    let xs: Vec<f32> = (-4000..4000).map(|i| i as f32 * 0.005).chain([1e4, -1e4, 90.0, -90.0, 0.0]).collect();
    let n = xs.len();
    let z = Array2::from_shape_vec((1, n), xs.clone()).unwrap();
    // Column 0 is the input, read with stride 2: not contiguous, so the scalar loop runs.
    let strided = Array2::from_shape_fn((n, 2), |(r, c)| if c == 0 { xs[r] } else { f32::NAN });
    let ones = Array2::<f32>::ones((1, n));
    for act in ALL {
        let mut a = Array2::<f32>::zeros((1, n));
        act.forward_into(z.view(), a.view_mut());
        let mut a_strided = Array2::<f32>::zeros((n, 1));
        act.forward_into(strided.slice(s![.., 0..1]), a_strided.view_mut());
        let mut g = Array2::<f32>::zeros((1, n));
        act.backward_into(z.view(), a.view(), ones.view(), g.view_mut());
        for (i, &x) in xs.iter().enumerate() {
            let (v, d) = (act.value(x as f64), act.derivative(x as f64));
            // libm's f32 erfc (the scalar loop, for strided arrays) loses digits far in GELU's negative tail.
            let rel = if act == Activation::Gelu { 1e-5 } else { 4e-7 };
            let tol = rel * v.abs() + 1e-30;
            assert!((a[[0, i]] as f64 - v).abs() <= tol, "{act}({x}): {} vs {v}", a[[0, i]]);
            assert!((a_strided[[i, 0]] as f64 - v).abs() <= tol, "{act}({x}) strided: {} vs {v}", a_strided[[i, 0]]);
            assert!((g[[0, i]] as f64 - d).abs() <= 1e-6 * (1.0 + d.abs()), "{act}'({x}): {} vs {d}", g[[0, i]]);
        }
    }
}

#[test]
fn known_values() {
    let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
    assert!(close(Activation::Sigmoid.value(0.0), 0.5));
    assert!(close(Activation::Sigmoid.derivative(0.0), 0.25));
    // GELU(1) = Φ(1) = 0.8413447460685429 (standard normal table).
    assert!(close(Activation::Gelu.value(1.0), 0.8413447460685429));
    assert!(close(Activation::Softplus.value(0.0), std::f64::consts::LN_2));
    assert!(close(Activation::Silu.value(1.0), 1.0 / (1.0 + (-1.0f64).exp())));
    assert!(close(Activation::Elu(1.0).value(-1.0), (-1.0f64).exp() - 1.0));
    assert_eq!(Activation::Relu.derivative(0.0), 0.0, "ReLU′(0) = 0 as in PyTorch");
    // Saturation thresholds quoted in the design: sigmoid′ < 0.1·max at |z| > 3.64, tanh′ at |z| > 1.82.
    assert!(Activation::Sigmoid.derivative(3.63) > 0.025 && Activation::Sigmoid.derivative(3.65) < 0.025);
    assert!(Activation::Tanh.derivative(1.81) > 0.1 && Activation::Tanh.derivative(1.83) < 0.1);
    // sup GELU′ = GELU′(√2) ≈ 1.1289; sup SiLU′ ≈ 1.09984 at x ≈ 2.39936 (ternary search in f64, Python).
    assert!((Activation::Gelu.max_derivative() - 1.128_904_145).abs() < 1e-8);
    assert!((Activation::Silu.max_derivative() - 1.099_839_320_128_866_8).abs() < 1e-10);
}

#[test]
fn names_round_trip_and_errors_list_valid_names() {
    for act in ALL {
        assert_eq!(act.to_string().parse::<Activation>().unwrap(), act);
    }
    assert_eq!("LeakyReLU(0.2)".parse::<Activation>().unwrap(), Activation::LeakyRelu(0.2));
    assert_eq!("leaky_relu".parse::<Activation>().unwrap(), Activation::LeakyRelu(0.01));
    let err = "sigmoidd".parse::<Activation>().unwrap_err().to_string();
    assert!(err.contains("\"sigmoidd\"") && err.contains("tanh") && err.contains("gelu"), "{err}");
    assert!("elu(abc)".parse::<Activation>().unwrap_err().to_string().contains("number"));
    // A parameter on an activation without one is said as such (it had been "unknown activation").
    let err = "sigmoid(1)".parse::<Activation>().unwrap_err().to_string();
    assert!(err.contains("sigmoid takes no parameter; write sigmoid"), "{err}");
    assert!("leaky_relu(-1)".parse::<Activation>().is_err());
    assert_eq!("small_gaussian(0.01)".parse::<Init>().unwrap(), Init::SmallGaussian(0.01));
    assert!("small_gaussian(0)".parse::<Init>().is_err());
    assert!("xavier".parse::<Init>().unwrap_err().to_string().contains("xavier_uniform"));
    assert_eq!("BEFORE".parse::<Placement>().unwrap(), Placement::Before);
    assert!("middle".parse::<Placement>().unwrap_err().to_string().contains("none, before, after"));
}

/// The gradient at a NaN pre-activation is PyTorch's on the CPU: ReLU and the identity pass the incoming
/// gradient and leaky ReLU scales it by its slope, as `threshold_backward` (`z ≤ 0 ? 0 : g`) and
/// `leaky_relu_backward` (`z > 0 ? g : g·α`) do; ELU gives NaN, as `elu_backward`'s vectorised loop
/// (`z > 0 ? g : g·α·eᶻ`) does for all but a short tail; the smooth ones give NaN. In the scalar derivative
/// and the batched pass alike.
#[test]
fn the_gradient_at_nan_is_pytorchs_on_the_cpu() {
    for act in ALL {
        let want = match act {
            Activation::Relu | Activation::Identity => Some(1.0),
            Activation::LeakyRelu(a) => Some(a),
            _ => None,
        };
        let d = act.derivative(f64::NAN);
        match want {
            Some(w) => assert_eq!(d, w, "{act}: φ′(NaN)"),
            None => assert!(d.is_nan(), "{act}: φ′(NaN) is {d}"),
        }
        let mut z = ndarray::Array2::from_shape_fn((2, 37), |(i, j)| (i * 37 + j) as f32 / 10.0 - 3.0);
        for at in [0, 5, 15, 16, 36] {
            z[[1, at]] = f32::NAN;
        }
        let mut a = ndarray::Array2::zeros((2, 37));
        act.forward_into(z.view(), a.view_mut());
        let grad_a = ndarray::Array2::from_elem((2, 37), 2.0f32);
        let mut grad_z = ndarray::Array2::zeros((2, 37));
        act.backward_into(z.view(), a.view(), grad_a.view(), grad_z.view_mut());
        for ((i, j), &g) in grad_z.indexed_iter() {
            if !z[[i, j]].is_nan() {
                continue;
            }
            match want {
                Some(w) => assert_eq!(g, 2.0 * w as f32, "{act}: gradient at ({i}, {j})"),
                None => assert!(g.is_nan(), "{act}: gradient at ({i}, {j}) is {g}"),
            }
        }
    }
}

/// A NaN pre-activation gives a NaN activation, as in PyTorch (`torch.relu(nan)` is NaN), in the scalar
/// form and in the batched (vectorised) pass: an activation that turned it into a number would hide a
/// diverged network behind a finite loss.
#[test]
fn nan_passes_through_every_activation() {
    for act in ALL {
        assert!(act.value(f64::NAN).is_nan() && act.value(f32::NAN).is_nan(), "{act}: φ(NaN)");
        // 37 columns: whole vectors and a tail; the NaN in each place of one vector and in the tail.
        let mut z = ndarray::Array2::from_shape_fn((2, 37), |(i, j)| (i * 37 + j) as f32 / 10.0 - 3.0);
        for at in [0, 5, 15, 16, 36] {
            z[[1, at]] = f32::NAN;
        }
        let mut a = ndarray::Array2::zeros((2, 37));
        act.forward_into(z.view(), a.view_mut());
        for ((i, j), &v) in a.indexed_iter() {
            assert_eq!(v.is_nan(), z[[i, j]].is_nan(), "{act}: φ at ({i}, {j}) is {v}");
        }
    }
}
