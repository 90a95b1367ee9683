//! Gradient checks against central finite differences in `f64`: the check every layer and network of this
//! crate passes in its own tests, offered for a user's networks and losses.
//!
//! [`check_network`] compares every parameter gradient of an [`Mlp<f64>`] (one backward pass, with batch
//! statistics for BatchNorm as in training) with the central difference `(L(θ + h) − L(θ − h)) / 2h` of the
//! softmax cross-entropy, one entry at a time. [`compare`] is the criterion alone, for gradients computed
//! any other way, and [`numeric_grad`] the differences alone.
//!
//! The criterion: the norm-wise relative error ‖a − n‖ / max(‖a‖, ‖n‖) below [`TOLERANCE`], or an absolute
//! error below the differences' own noise floor 1e-8·(1 + |L|)·√len. The floor matters only for gradients
//! that are zero up to rounding (BatchNorm's invariance to the scale of its input, a saturated softmax), where
//! any relative measure divides noise by noise. It also means that a gradient whose norm is below the floor
//! on both sides cannot be judged at all: such a check passes with [`GradCheck::below_floor`] set, and says
//! so. Scale the loss or the inputs up to check the gradients of a layer whose gradient vanishes.
//!
//! Activations whose derivative jumps at 0 (ReLU, leaky ReLU, ELU with α ≠ 1) have a kink there: a difference
//! whose two sides straddle it is not a derivative. Where only the derivative's slope jumps (ELU(1),
//! softsign) a straddling difference is a derivative, but its error is of order h instead of h², close to
//! [`TOLERANCE`]; these are flagged too. [`NetworkCheck::near_kink`] says when some pre-activation
//! lies within [`KINK_MARGIN`] of 0, where a failure may be the kink's and not the code's.
//!
//! Cost: [`check_network`] evaluates the loss (a forward pass over the batch) twice per parameter, so it is
//! meant for small networks (up to some thousands of parameters: seconds); the layers' code does not depend
//! on the size, so a small network of the same design checks the same code.
//!
//! ```
//! use actscope_core::gradcheck::check_network;
//! use actscope_core::ndarray::Array2;
//! use actscope_core::{Activation, Mlp, MlpConfig, Placement};
//!
//! let cfg = MlpConfig::new(6, &[5, 4], 3, Activation::Tanh, Placement::Before);
//! let net = Mlp::<f64>::new(&cfg, 7)?;
//! let x = Array2::from_shape_fn((8, 6), |(i, j)| ((i * 6 + j) as f64 * 0.37).sin());
//! let labels: Vec<usize> = (0..8).map(|i| i % 3).collect();
//! let check = check_network(&net, x.view(), &labels)?;
//! assert!(check.passed(), "{check}");
//! assert_eq!(check.tensors[0].name, "layer 1 W");
//! # Ok::<(), actscope_core::Error>(())
//! ```

use std::fmt;

use ndarray::ArrayView2;

use crate::loss::softmax_cross_entropy;
use crate::{Activation, Error, Mlp, Result, Workspace};

/// The central-difference step `h`.
pub const STEP: f64 = 1e-6;

/// The largest norm-wise relative error a check passes.
pub const TOLERANCE: f64 = 1e-6;

/// How close to 0 a pre-activation of a piecewise activation may come before a check is flagged as
/// [`NetworkCheck::near_kink`]: a thousand times [`STEP`].
pub const KINK_MARGIN: f64 = 1e-3;

/// The central-difference gradient of `f` with respect to every entry of `x` (step [`STEP`]); `x` is
/// changed one entry at a time and left as it was.
pub fn numeric_grad(x: &mut [f64], mut f: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let orig = x[i];
            x[i] = orig + STEP;
            let up = f(x);
            x[i] = orig - STEP;
            let down = f(x);
            x[i] = orig;
            (up - down) / (2.0 * STEP)
        })
        .collect()
}

/// How an analytic gradient compares with a finite-difference one ([`compare`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheck {
    /// ‖a − n‖ / max(‖a‖, ‖n‖) (NaN where both are 0).
    pub relative_error: f64,
    /// ‖a − n‖.
    pub abs_error: f64,
    /// The finite differences' noise floor for this loss and length, 1e-8·(1 + |L|)·√len.
    pub floor: f64,
    /// Whether the relative error is below [`TOLERANCE`] or the absolute error below the floor.
    pub pass: bool,
    /// Whether both gradients' norms are below the floor, so that the comparison cannot tell a right gradient
    /// from a wrong one (it passes, unjudged).
    pub below_floor: bool,
}

impl fmt::Display for GradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: relative error {:.3e} (‖a−n‖ = {:.3e}, floor {:.1e}, tolerance {TOLERANCE:.0e})",
            match (self.pass, self.below_floor) {
                (true, true) => "pass, unjudged (both gradients are below the noise floor)",
                (true, false) => "pass",
                (false, _) => "FAIL",
            },
            self.relative_error,
            self.abs_error,
            self.floor
        )
    }
}

/// Compares an analytic gradient with a finite-difference one of a loss whose value is `loss` (see the
/// module docs for the criterion).
///
/// # Errors
/// [`Error::Shape`] where the two have different lengths; [`Error::Config`] where either holds a value that
/// is not finite.
pub fn compare(analytic: &[f64], numeric: &[f64], loss: f64) -> Result<GradCheck> {
    if analytic.len() != numeric.len() {
        return Err(Error::Shape {
            context: "gradient check".into(),
            expected: format!("{} finite differences, one per analytic entry", analytic.len()),
            got: numeric.len().to_string(),
        });
    }
    if let Some(i) = analytic.iter().chain(numeric).position(|v| !v.is_finite()) {
        let (side, at) = if i < analytic.len() { ("analytic", i) } else { ("numeric", i - analytic.len()) };
        return Err(Error::config(format!("{side}[{at}]"), "a gradient to check must be finite"));
    }
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let abs_error = norm(&mut analytic.iter().zip(numeric).map(|(a, b)| a - b));
    let scale = norm(&mut analytic.iter().copied()).max(norm(&mut numeric.iter().copied()));
    let floor = 1e-8 * (1.0 + loss.abs()) * (analytic.len() as f64).sqrt();
    let relative_error = abs_error / scale;
    Ok(GradCheck {
        relative_error,
        abs_error,
        floor,
        pass: abs_error <= TOLERANCE * scale || abs_error <= floor,
        below_floor: scale <= floor,
    })
}

/// One parameter tensor's check in [`check_network`].
#[derive(Clone, Debug, PartialEq)]
pub struct TensorCheck {
    /// The tensor, e.g. "layer 1 W", "layer 2 γ", "output b" (hidden layers from 1, input side first).
    pub name: String,
    /// Its number of entries.
    pub len: usize,
    /// The comparison.
    pub check: GradCheck,
}

/// Every parameter tensor of a network checked ([`check_network`]).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkCheck {
    /// The loss at the parameters as given.
    pub loss: f64,
    /// Per tensor, in [`Mlp::visit_params`]'s order: per hidden layer W, b (if any), γ, β (if BN); then the
    /// output layer's W and b.
    pub tensors: Vec<TensorCheck>,
    /// Whether a pre-activation of a piecewise activation lies within [`KINK_MARGIN`] of its kink, where a
    /// finite difference may straddle it (a failure there need not be the code's).
    pub near_kink: bool,
}

impl NetworkCheck {
    /// Whether every tensor passed.
    pub fn passed(&self) -> bool {
        self.tensors.iter().all(|t| t.check.pass)
    }
}

impl fmt::Display for NetworkCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.tensors.iter().filter(|t| !t.check.pass).count();
        write!(f, "{} of {} tensors pass (loss {:.6})", self.tensors.len() - failed, self.tensors.len(), self.loss)?;
        let unjudged = self.tensors.iter().filter(|t| t.check.below_floor).count();
        if unjudged > 0 {
            write!(f, "; {unjudged} unjudged: their gradients are below the noise floor")?;
        }
        if self.near_kink {
            write!(f, "; a pre-activation lies within {KINK_MARGIN:e} of a kink")?;
        }
        for t in &self.tensors {
            write!(f, "\n  {} ({} entries): {}", t.name, t.len, t.check)?;
        }
        Ok(())
    }
}

/// Checks every parameter gradient of `net` on the batch `x` with class `labels`: the gradients of one
/// backward pass of the softmax cross-entropy, with BatchNorm on the batch's statistics (as in training;
/// running statistics are neither read nor changed), against central finite differences of the same loss.
///
/// # Errors
/// [`Error::Shape`] where `x`'s width is not the network's input or `labels` has another length than `x`
/// has rows; [`Error::Config`] for an empty batch, a batch of one under BatchNorm (its batch variance is 0),
/// a label that is not a class of the network, or a gradient that is not finite (a diverged network; the
/// field names the tensor and the entry, e.g. `layer 1 W: analytic[3]`).
pub fn check_network(net: &Mlp<f64>, x: ArrayView2<'_, f64>, labels: &[usize]) -> Result<NetworkCheck> {
    let cfg = net.config();
    let (rows, classes) = (x.nrows(), cfg.output_dim);
    if x.ncols() != cfg.input_dim {
        return Err(Error::Shape {
            context: "gradient check: x".into(),
            expected: format!("{} columns (the network's input)", cfg.input_dim),
            got: x.ncols().to_string(),
        });
    }
    if labels.len() != rows {
        return Err(Error::Shape {
            context: "gradient check: labels".into(),
            expected: format!("{rows} (one per row of x)"),
            got: labels.len().to_string(),
        });
    }
    if rows == 0 || (rows == 1 && net.has_batch_norm()) {
        return Err(Error::config(
            "x",
            format!("{rows} rows: a check needs a batch (two or more rows under BatchNorm)"),
        ));
    }
    if let Some(&l) = labels.iter().find(|&&l| l >= classes) {
        return Err(Error::config("labels", format!("label {l} is not a class of a network with {classes} outputs")));
    }
    // One copy of the network and one workspace serve every difference: each tensor is moved entry by entry
    // and put back before the next.
    let mut lws = Workspace::new(net, rows);
    let mut loss_of = |n: &Mlp<f64>| {
        n.forward_batch_stats(x, &mut lws);
        let (logits, grad) = lws.logits_and_grad();
        softmax_cross_entropy(logits, labels, grad)
    };
    let mut ws = Workspace::new(net, rows);
    net.forward_batch_stats(x, &mut ws);
    let kinked = matches!(
        cfg.activation,
        Activation::Relu | Activation::LeakyRelu(_) | Activation::Elu(_) | Activation::Softsign
    );
    let (views, _) = net.observe(&ws);
    let near_kink = kinked && views.iter().any(|v| v.z.iter().any(|z| z.abs() < KINK_MARGIN));
    drop(views);
    let (logits, grad) = ws.logits_and_grad();
    let loss = softmax_cross_entropy(logits, labels, grad);
    net.backward(x, &mut ws);
    let mut analytic: Vec<Vec<f64>> = Vec::new();
    net.clone().visit_params(&ws, |_, _, g| analytic.push(g.to_vec()));
    let names = tensor_names(net);
    assert_eq!(names.len(), analytic.len(), "tensor_names and visit_params list the same tensors");
    let mut tensors = Vec::with_capacity(analytic.len());
    let mut moved = net.clone();
    for (t, (grad, name)) in analytic.iter().zip(names).enumerate() {
        let mut values = Vec::new();
        moved.visit_params(&ws, |i, p, _| {
            if i == t {
                values = p.to_vec();
            }
        });
        let original = values.clone();
        let set = |n: &mut Mlp<f64>, v: &[f64]| {
            n.visit_params(&ws, |i, p, _| {
                if i == t {
                    p.copy_from_slice(v);
                }
            })
        };
        let numeric = numeric_grad(&mut values, |v| {
            set(&mut moved, v);
            loss_of(&moved)
        });
        set(&mut moved, &original);
        let check = compare(grad, &numeric, loss).map_err(|e| match e {
            Error::Config { field, message } => Error::config(format!("{name}: {field}"), message),
            other => other,
        })?;
        tensors.push(TensorCheck { name, len: grad.len(), check });
    }
    Ok(NetworkCheck { loss, tensors, near_kink })
}

/// The names of `net`'s parameter tensors in [`Mlp::visit_params`]'s order.
fn tensor_names(net: &Mlp<f64>) -> Vec<String> {
    let mut names = Vec::new();
    for (i, layer) in net.layers.iter().enumerate() {
        let l = i + 1;
        names.push(format!("layer {l} W"));
        if layer.linear.bias.is_some() {
            names.push(format!("layer {l} b"));
        }
        if layer.norm.batch_norm().is_some() {
            names.push(format!("layer {l} γ"));
            names.push(format!("layer {l} β"));
        }
    }
    names.push("output W".into());
    if net.output.bias.is_some() {
        names.push("output b".into());
    }
    names
}
