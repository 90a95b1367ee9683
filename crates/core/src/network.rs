//! The multilayer perceptron: hidden blocks of Linear, optional BatchNorm and φ, then a Linear output.
//!
//! ```text
//! placement none:    x → Linear(W, b) → z → φ → a
//! placement before:  x → Linear(W)    → BN → z → φ → a          (bias dropped, as in the BN paper §3.2)
//! placement after:   x → Linear(W, b) → z → φ → a → BN → y
//! output:            last hidden output → Linear → logits
//! ```
//!
//! Parameters and running statistics live in [`Mlp`]; everything that depends on the batch (activations,
//! gradients, BN caches) lives in a [`Workspace`], so one network can be driven with several batch sizes
//! (training, probing, evaluation) without reallocating in the steady state.

use std::fmt;
use std::str::FromStr;

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::rng::{derive_seed, seeded};
use crate::spec::serde_via_str;
use crate::workspace::LayerBuffers;
use crate::{Activation, BatchNorm1d, BatchNormConfig, Error, Float, Init, Linear, Result, Workspace};

/// Where BatchNorm sits in each hidden block, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// No BatchNorm.
    None,
    /// Linear → BN → φ (the BN paper's choice; the Linear has no bias).
    Before,
    /// Linear → φ → BN.
    After,
}

/// All placements, in report order.
pub const PLACEMENTS: [Placement; 3] = [Placement::None, Placement::Before, Placement::After];

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Placement::None => "none",
            Placement::Before => "before",
            Placement::After => "after",
        })
    }
}

impl FromStr for Placement {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "no" | "off" => Ok(Placement::None),
            "before" | "pre" => Ok(Placement::Before),
            "after" | "post" => Ok(Placement::After),
            _ => Err(Error::UnknownName {
                what: "placement",
                given: s.to_string(),
                expected: "none, before, after".into(),
            }),
        }
    }
}

serde_via_str!(Placement);

fn default_init() -> Init {
    Init::PytorchDefault
}

/// The architecture of an [`Mlp`]. Build one with [`MlpConfig::new`] and adjust the public fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Number of input features.
    pub input_dim: usize,
    /// Width of each hidden layer, input side first.
    pub hidden: Vec<usize>,
    /// Number of outputs (classes).
    pub output_dim: usize,
    /// The activation φ of every hidden layer.
    pub activation: Activation,
    /// Where BatchNorm sits in each hidden block.
    pub placement: Placement,
    /// Weight initialisation of every Linear (default: PyTorch's).
    #[serde(default = "default_init")]
    pub init: Init,
    /// When set, every hidden-layer bias starts at this constant instead of the init's choice
    /// (e.g. a negative value to stress-test dying ReLUs). Has no effect with BN before (no bias).
    #[serde(default)]
    pub bias_init: Option<f64>,
    /// BatchNorm settings (PyTorch's defaults).
    #[serde(default)]
    pub batch_norm: BatchNormConfig,
}

impl MlpConfig {
    /// A configuration with PyTorch's default init and BN settings.
    pub fn new(
        input_dim: usize,
        hidden: &[usize],
        output_dim: usize,
        activation: Activation,
        placement: Placement,
    ) -> Self {
        MlpConfig {
            input_dim,
            hidden: hidden.to_vec(),
            output_dim,
            activation,
            placement,
            init: Init::PytorchDefault,
            bias_init: None,
            batch_norm: BatchNormConfig::default(),
        }
    }

    /// The BN paper's MNIST network: 784-100-100-100-10, sigmoid, BN before, N(0, 0.01²)-ish small init.
    pub fn bn_paper(placement: Placement) -> Self {
        let mut c = MlpConfig::new(784, &[100, 100, 100], 10, Activation::Sigmoid, placement);
        c.init = Init::SmallGaussian(0.1);
        c
    }

    /// Checks every field; an invalid configuration never reaches [`Mlp::new`].
    pub fn validate(&self) -> Result<()> {
        if self.input_dim == 0 {
            return Err(Error::config("input_dim", "must be ≥ 1"));
        }
        if self.output_dim == 0 {
            return Err(Error::config("output_dim", "must be ≥ 1"));
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return Err(Error::config(format!("hidden[{i}]"), "a hidden layer needs width ≥ 1"));
        }
        self.activation.validate()?;
        self.init.validate()?;
        self.batch_norm.validate()?;
        if let Some(b) = self.bias_init
            && !b.is_finite()
        {
            return Err(Error::config("bias_init", format!("must be finite, got {b}")));
        }
        Ok(())
    }

    /// Number of trainable scalars.
    pub fn num_params(&self) -> usize {
        let mut n = 0;
        let mut prev = self.input_dim;
        for &w in &self.hidden {
            n += prev * w;
            n += match self.placement {
                Placement::None => w,
                Placement::Before => 2 * w,
                Placement::After => 3 * w,
            };
            prev = w;
        }
        n + prev * self.output_dim + self.output_dim
    }
}

/// One hidden block: a Linear layer and, with BN placed, a BatchNorm layer.
#[derive(Clone, Debug, PartialEq)]
pub struct HiddenLayer<F> {
    /// The affine map.
    pub linear: Linear<F>,
    /// The BatchNorm (before or after φ, per the network's placement).
    pub bn: Option<BatchNorm1d<F>>,
}

/// A multilayer perceptron with instrumentable hidden blocks (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp<F> {
    config: MlpConfig,
    /// Hidden blocks, input side first.
    pub layers: Vec<HiddenLayer<F>>,
    /// The output Linear layer (logits).
    pub output: Linear<F>,
}

impl<F: Float> Mlp<F> {
    /// Builds and initialises the network; the weights depend only on `config` and `seed`.
    ///
    /// # Errors
    /// If the configuration is invalid.
    pub fn new(config: &MlpConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut rng = seeded(derive_seed(seed, "init"));
        let mut layers = Vec::with_capacity(config.hidden.len());
        let mut prev = config.input_dim;
        for &w in &config.hidden {
            let mut linear = Linear::new(prev, w, config.placement != Placement::Before, config.init, &mut rng);
            if let (Some(b), Some(bias)) = (config.bias_init, linear.bias.as_mut()) {
                bias.fill(F::of(b));
            }
            let bn = (config.placement != Placement::None).then(|| BatchNorm1d::new(w, config.batch_norm));
            layers.push(HiddenLayer { linear, bn });
            prev = w;
        }
        let output = Linear::new(prev, config.output_dim, true, config.init, &mut rng);
        Ok(Mlp { config: config.clone(), layers, output })
    }

    /// The configuration the network was built from.
    pub fn config(&self) -> &MlpConfig {
        &self.config
    }

    /// Number of trainable scalars.
    pub fn num_params(&self) -> usize {
        self.config.num_params()
    }

    /// Whether any layer has BatchNorm (then train-mode batches need ≥ 2 rows).
    pub fn has_batch_norm(&self) -> bool {
        self.config.placement != Placement::None && !self.layers.is_empty()
    }

    /// Forward pass with batch statistics, then folds them into the BN running statistics
    /// (PyTorch's `model.train()` forward). The logits are in [`Workspace::logits`].
    ///
    /// # Panics
    /// If `x` has the wrong width, more rows than the workspace holds, or (with BN) fewer than 2 rows.
    pub fn forward_train(&mut self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_impl(x, ws, true);
        for (layer, buf) in self.layers.iter_mut().zip(&ws.layers) {
            if let (Some(bn), Some(cache)) = (layer.bn.as_mut(), buf.cache.as_ref()) {
                bn.update_running(cache);
            }
        }
    }

    /// Forward pass with batch statistics, leaving the running statistics untouched: what the network
    /// computes in training, observed without changing it (used for probe sets).
    ///
    /// # Panics
    /// As [`Mlp::forward_train`].
    pub fn forward_batch_stats(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_impl(x, ws, true);
    }

    /// Inference forward pass with the BN running statistics (PyTorch's `model.eval()`).
    ///
    /// # Panics
    /// If `x` has the wrong width or more rows than the workspace holds.
    pub fn forward_eval(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_impl(x, ws, false);
    }

    fn forward_impl(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>, batch_stats: bool) {
        assert_eq!(x.ncols(), self.config.input_dim, "input width must equal input_dim");
        ws.set_rows(x.nrows(), batch_stats);
        let n = x.nrows();
        let act = self.config.activation;
        for (l, layer) in self.layers.iter().enumerate() {
            let (prev, rest) = ws.layers.split_at_mut(l);
            let input = if l == 0 { x } else { prev[l - 1].output(n) };
            let buf = &mut rest[0];
            let LayerBuffers { pre, z, a, post, cache, .. } = buf;
            let (z, a) = (z.slice_rows_mut(n), a.slice_rows_mut(n));
            match (self.config.placement, layer.bn.as_ref()) {
                (Placement::Before, Some(bn)) => {
                    let pre = pre.as_mut().expect("before: pre buffer");
                    layer.linear.forward_into(input, pre.slice_rows_mut(n));
                    let cache = cache.as_mut().expect("before: BN cache");
                    if batch_stats {
                        bn.forward_batch_into(pre.slice_rows(n), z, cache);
                    } else {
                        bn.forward_eval_into(pre.slice_rows(n), z);
                    }
                    act.forward_into(buf.z.slice_rows(n), a);
                }
                (Placement::After, Some(bn)) => {
                    layer.linear.forward_into(input, z);
                    act.forward_into(buf.z.slice_rows(n), a);
                    let post = post.as_mut().expect("after: post buffer").slice_rows_mut(n);
                    if batch_stats {
                        bn.forward_batch_into(buf.a.slice_rows(n), post, cache.as_mut().expect("after: BN cache"));
                    } else {
                        bn.forward_eval_into(buf.a.slice_rows(n), post);
                    }
                }
                _ => {
                    layer.linear.forward_into(input, z);
                    act.forward_into(buf.z.slice_rows(n), a);
                }
            }
        }
        let last = match ws.layers.last() {
            Some(buf) => buf.output(n),
            None => x,
        };
        self.output.forward_into(last, ws.logits.slice_rows_mut(n));
    }

    /// Back-propagates the logits gradient (written by a loss through [`Workspace::logits_and_grad`]) through the
    /// whole network, writing every parameter gradient and every ∂L/∂z into the workspace.
    /// The input gradient of the first layer is not computed.
    ///
    /// # Panics
    /// If the last forward pass did not use batch statistics while the network has BN, or `x` is not the
    /// input of that pass.
    pub fn backward(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        let n = ws.rows;
        assert_eq!(x.nrows(), n, "backward needs the input of the last forward pass");
        assert!(
            ws.batch_stats || !self.has_batch_norm(),
            "backward needs a forward pass with batch statistics (forward_train or forward_batch_stats)"
        );
        let act = self.config.activation;
        let nl = self.layers.len();
        {
            let (input, grad_x) = match ws.layers.last_mut() {
                Some(buf) => {
                    let (o, g) = buf.output_and_grad(n);
                    (o, Some(g))
                }
                None => (x, None),
            };
            self.output.backward_into(
                input,
                ws.grad_logits.slice_rows(n),
                ws.out_grad_w.view_mut(),
                Some(ws.out_grad_b.view_mut()),
                grad_x,
            );
        }
        for l in (0..nl).rev() {
            let layer = &self.layers[l];
            let (prev, rest) = ws.layers.split_at_mut(l);
            let buf = &mut rest[0];
            let (input, grad_x) = if l == 0 {
                (x, None)
            } else {
                let (o, g) = prev[l - 1].output_and_grad(n);
                (o, Some(g))
            };
            let LayerBuffers {
                z,
                a,
                cache,
                grad_out,
                grad_a,
                grad_z,
                grad_pre,
                grad_w,
                grad_b,
                grad_gamma,
                grad_beta,
                ..
            } = buf;
            let (z, a) = (z.slice_rows(n), a.slice_rows(n));
            let grad_linear_out = match (self.config.placement, layer.bn.as_ref()) {
                (Placement::Before, Some(bn)) => {
                    act.backward_into(z, a, grad_out.slice_rows(n), grad_z.slice_rows_mut(n));
                    let gp = grad_pre.as_mut().expect("before: grad_pre");
                    bn.backward_into(
                        cache.as_mut().expect("before: cache"),
                        grad_z.slice_rows(n),
                        grad_gamma.as_mut().expect("γ grad").view_mut(),
                        grad_beta.as_mut().expect("β grad").view_mut(),
                        gp.slice_rows_mut(n),
                    );
                    gp.slice_rows(n)
                }
                (Placement::After, Some(bn)) => {
                    let ga = grad_a.as_mut().expect("after: grad_a");
                    bn.backward_into(
                        cache.as_mut().expect("after: cache"),
                        grad_out.slice_rows(n),
                        grad_gamma.as_mut().expect("γ grad").view_mut(),
                        grad_beta.as_mut().expect("β grad").view_mut(),
                        ga.slice_rows_mut(n),
                    );
                    act.backward_into(z, a, ga.slice_rows(n), grad_z.slice_rows_mut(n));
                    grad_z.slice_rows(n)
                }
                _ => {
                    act.backward_into(z, a, grad_out.slice_rows(n), grad_z.slice_rows_mut(n));
                    grad_z.slice_rows(n)
                }
            };
            layer.linear.backward_into(
                input,
                grad_linear_out,
                grad_w.view_mut(),
                grad_b.as_mut().map(|g| g.view_mut()),
                grad_x,
            );
        }
    }

    /// Calls `f(index, parameter, gradient)` for every parameter tensor, in a fixed order: per hidden
    /// layer W, b (if any), γ, β (if BN); then the output W and b. The gradients come from `ws`.
    pub fn visit_params(&mut self, ws: &Workspace<F>, mut f: impl FnMut(usize, &mut [F], &[F])) {
        let mut i = 0;
        let mut visit = |p: &mut [F], g: &[F]| {
            f(i, p, g);
            i += 1;
        };
        for (layer, buf) in self.layers.iter_mut().zip(&ws.layers) {
            visit(slice_mut(&mut layer.linear.weight), slice(&buf.grad_w));
            if let (Some(b), Some(g)) = (layer.linear.bias.as_mut(), buf.grad_b.as_ref()) {
                visit(slice_mut(b), slice(g));
            }
            if let (Some(bn), Some(gg), Some(gb)) = (layer.bn.as_mut(), buf.grad_gamma.as_ref(), buf.grad_beta.as_ref())
            {
                visit(slice_mut(&mut bn.gamma), slice(gg));
                visit(slice_mut(&mut bn.beta), slice(gb));
            }
        }
        visit(slice_mut(&mut self.output.weight), slice(&ws.out_grad_w));
        if let Some(b) = self.output.bias.as_mut() {
            visit(slice_mut(b), slice(&ws.out_grad_b));
        }
    }
}

// Every array the network and workspace own is created in standard layout, so these never fail.
fn slice<F, D: ndarray::Dimension>(a: &ndarray::Array<F, D>) -> &[F] {
    a.as_slice().expect("network arrays are contiguous")
}

fn slice_mut<F, D: ndarray::Dimension>(a: &mut ndarray::Array<F, D>) -> &mut [F] {
    a.as_slice_mut().expect("network arrays are contiguous")
}

/// Row-slicing helpers for the capacity-sized buffers of a [`Workspace`].
pub(crate) trait Rows<F> {
    fn slice_rows(&self, n: usize) -> ArrayView2<'_, F>;
    fn slice_rows_mut(&mut self, n: usize) -> ndarray::ArrayViewMut2<'_, F>;
}

impl<F> Rows<F> for ndarray::Array2<F> {
    fn slice_rows(&self, n: usize) -> ArrayView2<'_, F> {
        self.slice(ndarray::s![..n, ..])
    }
    fn slice_rows_mut(&mut self, n: usize) -> ndarray::ArrayViewMut2<'_, F> {
        self.slice_mut(ndarray::s![..n, ..])
    }
}
