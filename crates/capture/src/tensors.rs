//! A capture held in memory: its metadata and, per layer, the tensors `docs/capture.md` names.

use ndarray::{Array1, Array2};

use crate::meta::Meta;

/// One checkpoint of one network on the probe batch.
#[derive(Clone, Debug, PartialEq)]
pub struct Capture<F> {
    /// What the capture says about itself.
    pub meta: Meta,
    /// One entry per hidden layer, in the order of the metadata's hidden layers.
    pub hidden: Vec<Hidden<F>>,
    /// The output layer.
    pub output: Output<F>,
}

/// The tensors of one hidden layer (`layers.<i>.…`). `n` is the probe batch size, `u` the width, `f` the
/// fan-in.
#[derive(Clone, Debug, PartialEq)]
pub struct Hidden<F> {
    /// z, the input of φ, `[n, u]` (with BN before: BN's output).
    pub z: Array2<F>,
    /// a = φ(z) before any BN that follows, `[n, u]` (required with an unknown activation).
    pub a: Option<Array2<F>>,
    /// φ′(z), `[n, u]`: present exactly when the activation is unknown.
    pub dphi: Option<Array2<F>>,
    /// ∂L/∂z, `[n, u]`.
    pub grad_z: Option<Array2<F>>,
    /// The Linear's weight W, `[u, f]`.
    pub weight: Array2<F>,
    /// ∂L/∂W, `[u, f]`.
    pub grad_weight: Array2<F>,
    /// ∂L/∂b, `[u]`.
    pub grad_bias: Option<Array1<F>>,
    /// BatchNorm's tensors: present exactly when the layer has BN.
    pub bn: Option<BnTensors<F>>,
}

impl<F> Hidden<F> {
    /// A layer with only the required tensors of a layer without BN and with a known activation.
    pub fn new(z: Array2<F>, weight: Array2<F>, grad_weight: Array2<F>) -> Self {
        Hidden { z, a: None, dphi: None, grad_z: None, weight, grad_weight, grad_bias: None, bn: None }
    }
}

/// BatchNorm's tensors of one hidden layer (`layers.<i>.bn.…`), each `[u]`.
#[derive(Clone, Debug, PartialEq)]
pub struct BnTensors<F> {
    /// The batch mean μ of the probe batch.
    pub mean: Array1<F>,
    /// The biased batch variance σ².
    pub var: Array1<F>,
    /// The running mean (BN's state).
    pub running_mean: Option<Array1<F>>,
    /// The running variance.
    pub running_var: Option<Array1<F>>,
    /// The scale γ.
    pub gamma: Option<Array1<F>>,
    /// The shift β.
    pub beta: Option<Array1<F>>,
}

impl<F> BnTensors<F> {
    /// Batch statistics only.
    pub fn new(mean: Array1<F>, var: Array1<F>) -> Self {
        BnTensors { mean, var, running_mean: None, running_var: None, gamma: None, beta: None }
    }
}

/// The output layer's tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct Output<F> {
    /// W, `[classes, last width]`.
    pub weight: Array2<F>,
    /// ∂L/∂W.
    pub grad_weight: Array2<F>,
    /// ∂L/∂b.
    pub grad_bias: Option<Array1<F>>,
}

impl<F> Output<F> {
    /// Weight and its gradient, no bias gradient.
    pub fn new(weight: Array2<F>, grad_weight: Array2<F>) -> Self {
        Output { weight, grad_weight, grad_bias: None }
    }
}

/// A tensor of a capture by name, as the writer and reader walk them.
pub(crate) enum Slot<'a, F> {
    /// A matrix.
    Matrix(&'a Array2<F>),
    /// A vector.
    Vector(&'a Array1<F>),
}

impl<F> Capture<F> {
    /// Every tensor present, with its file name, in the order of `docs/capture.md`.
    pub(crate) fn slots(&self) -> Vec<(String, Slot<'_, F>)> {
        let mut out = Vec::new();
        for (i, h) in self.hidden.iter().enumerate() {
            let name = |t: &str| format!("layers.{i}.{t}");
            out.push((name("z"), Slot::Matrix(&h.z)));
            for (t, m) in [("a", &h.a), ("dphi", &h.dphi), ("grad_z", &h.grad_z)] {
                if let Some(m) = m {
                    out.push((name(t), Slot::Matrix(m)));
                }
            }
            out.push((name("weight"), Slot::Matrix(&h.weight)));
            out.push((name("grad_weight"), Slot::Matrix(&h.grad_weight)));
            if let Some(b) = &h.grad_bias {
                out.push((name("grad_bias"), Slot::Vector(b)));
            }
            if let Some(bn) = &h.bn {
                out.push((name("bn.mean"), Slot::Vector(&bn.mean)));
                out.push((name("bn.var"), Slot::Vector(&bn.var)));
                for (t, v) in [
                    ("bn.running_mean", &bn.running_mean),
                    ("bn.running_var", &bn.running_var),
                    ("bn.gamma", &bn.gamma),
                    ("bn.beta", &bn.beta),
                ] {
                    if let Some(v) = v {
                        out.push((name(t), Slot::Vector(v)));
                    }
                }
            }
        }
        let k = self.hidden.len();
        out.push((format!("layers.{k}.weight"), Slot::Matrix(&self.output.weight)));
        out.push((format!("layers.{k}.grad_weight"), Slot::Matrix(&self.output.grad_weight)));
        if let Some(b) = &self.output.grad_bias {
            out.push((format!("layers.{k}.grad_bias"), Slot::Vector(b)));
        }
        out
    }
}
