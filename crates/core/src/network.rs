//! The multilayer perceptron: hidden blocks of Linear, optional BatchNorm and φ, then a Linear output.
//!
//! ```text
//! hidden block l:  Linear → φ, with BN none, before or after φ      (see crate::HiddenLayer)
//! output:          last hidden output → Linear → logits
//! ```
//!
//! Parameters and running statistics live in [`Mlp`]; everything that depends on the batch (activations,
//! gradients, BN caches) lives in a [`Workspace`], so one network can be driven with several batch sizes
//! (training, probing, evaluation) without reallocating in the steady state. The network loops over its
//! blocks; what differs by placement is decided inside each block (`hidden.rs`).

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::buffer::{Rows, flat, flat_mut};
use crate::rng::{derive_seed, seeded};
use crate::sparse::{self, SparseRows};
use crate::{
    Activation, BatchNormConfig, Error, Float, HiddenLayer, Init, Linear, Placement, Result, Workspace,
    check_representable,
};

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
    /// (e.g. a negative value to stress-test dying ReLUs). With BN before φ, where the Linear layer has no
    /// bias, it is BN's initial shift β instead, which takes the bias's place.
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

    /// [`MlpConfig::validate`], then checks that every real-valued setting survives conversion to `F`, the
    /// type a network of it computes in ([`check_representable`]): `bias_init = 1e39` is infinite in `f32`
    /// (the run would diverge at step 0 and read as a result), and an α, σ or ε that rounds to 0 would make
    /// another activation, all-zero weights or no ε. [`Mlp::new`] calls it.
    ///
    /// # Errors
    /// The first invalid field, named.
    pub fn validate_for<F: Float>(&self) -> Result<()> {
        self.validate()?;
        if let Some(b) = self.bias_init {
            check_representable::<F>("bias_init", b, false)?;
        }
        if let Activation::LeakyRelu(a) | Activation::Elu(a) = self.activation {
            check_representable::<F>("activation α", a, true)?;
        }
        if let Init::SmallGaussian(s) = self.init {
            check_representable::<F>("init σ", s, true)?;
        }
        check_representable::<F>("batch_norm.eps", self.batch_norm.eps, true)?;
        check_representable::<F>("batch_norm.momentum", self.batch_norm.momentum, true)
    }

    /// Number of trainable scalars.
    pub fn num_params(&self) -> usize {
        let mut n = 0;
        let mut prev = self.input_dim;
        for &w in &self.hidden {
            n += prev * w + self.placement.params_per_unit() * w;
            prev = w;
        }
        n + prev * self.output_dim + self.output_dim
    }
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
        config.validate_for::<F>()?;
        let mut rng = seeded(derive_seed(seed, "init"));
        let mut layers = Vec::with_capacity(config.hidden.len());
        let mut prev = config.input_dim;
        for &w in &config.hidden {
            let (placement, bn, init, bias_init) = (config.placement, config.batch_norm, config.init, config.bias_init);
            layers.push(HiddenLayer::new(prev, w, placement, bn, init, bias_init, &mut rng));
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
        self.layers.iter().any(|l| l.norm.batch_norm().is_some())
    }

    /// Forward pass with batch statistics, then folds them into the BN running statistics
    /// (PyTorch's `model.train()` forward). The logits are in [`Workspace::logits`].
    ///
    /// # Panics
    /// If `x` has the wrong width, more rows than the workspace holds, or (with BN) fewer than 2 rows, or
    /// `ws` was built for another network.
    pub fn forward_train(&mut self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_impl(x, ws, true);
        for (layer, buf) in self.layers.iter_mut().zip(&ws.layers) {
            layer.update_running(buf);
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
    /// If `x` has the wrong width or more rows than the workspace holds, or `ws` was built for another
    /// network.
    pub fn forward_eval(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_impl(x, ws, false);
    }

    /// Packs the first block's Linear into `ws` for the sparse product ([`crate::sparse`]) and returns
    /// `true`, or `false` when there is no hidden block, the element type is not `f32` or a parameter is
    /// not finite: then evaluations run the dense product.
    pub(crate) fn pack_first_linear(&self, ws: &mut Workspace<F>) -> bool {
        let Some(first) = self.layers.first() else { return false };
        let Some(w) = F::view_as_f32(first.linear.weight.view()) else { return false };
        let b = first.linear.bias.as_ref().map(|b| F::view_as_f32(b.view()).expect("the bias has the weights' type"));
        ws.packed.pack(w, b)
    }

    /// [`Mlp::forward_eval`] for a chunk of an evaluation set grouped by [`SparseRows`], the first block's
    /// Linear by the sparse product with the weights [`Mlp::pack_first_linear`] packed into `ws`.
    ///
    /// # Panics
    /// As [`Mlp::forward_eval`], and if the packed weights or the grouped rows do not fit.
    pub(crate) fn forward_eval_sparse(&self, x: ArrayView2<'_, F>, rows: &SparseRows, ws: &mut Workspace<F>) {
        assert_eq!(rows.rows(), x.nrows(), "the grouped rows must be the chunk's");
        let y = F::view_mut_as_f32(ws.layers[0].linear_out_mut(x.nrows())).expect("packed weights are f32");
        sparse::product(rows, &ws.packed, y);
        self.forward_from(x, ws, false, true);
    }

    /// [`Mlp::forward_train`] when the first block's Linear output for the `x.nrows()` rows of `x` is already
    /// in `ws` (written by a product shared between several networks, see `lockstep.rs`).
    pub(crate) fn forward_train_after_first_linear(&mut self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.forward_from(x, ws, true, true);
        for (layer, buf) in self.layers.iter_mut().zip(&ws.layers) {
            layer.update_running(buf);
        }
    }

    fn forward_impl(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>, batch_stats: bool) {
        self.forward_from(x, ws, batch_stats, false);
    }

    /// The forward pass; with `first_linear_done`, the first block's Linear output is taken from `ws`.
    fn forward_from(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>, batch_stats: bool, first_linear_done: bool) {
        assert_eq!(x.ncols(), self.config.input_dim, "input width must equal input_dim");
        ws.set_rows(x.nrows(), batch_stats);
        let n = x.nrows();
        let act = self.config.activation;
        for (l, layer) in self.layers.iter().enumerate() {
            let (prev, rest) = ws.layers.split_at_mut(l);
            if l == 0 && first_linear_done {
                layer.forward_after_linear(act, n, &mut rest[0], batch_stats);
                continue;
            }
            let input = if l == 0 { x } else { prev[l - 1].output(n) };
            layer.forward(act, input, &mut rest[0], batch_stats);
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
    /// If the last forward pass did not use batch statistics while the network has BN, `x` is not the
    /// input of that pass, or `ws` was built for another network.
    pub fn backward(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.backward_from(x, ws, false);
    }

    /// [`Mlp::backward`] without the first block's weight gradient, left to a product shared between several
    /// networks (see `lockstep.rs`); ∂L/∂(first Linear output) is in the workspace for it.
    pub(crate) fn backward_except_first_weight(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>) {
        self.backward_from(x, ws, true);
    }

    fn backward_from(&self, x: ArrayView2<'_, F>, ws: &mut Workspace<F>, skip_first_weight: bool) {
        let n = ws.rows;
        assert_eq!(x.nrows(), n, "backward needs the input of the last forward pass");
        assert!(
            ws.batch_stats || !self.has_batch_norm(),
            "backward needs a forward pass with batch statistics (forward_train or forward_batch_stats)"
        );
        let act = self.config.activation;
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
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let (prev, rest) = ws.layers.split_at_mut(l);
            if l == 0 && skip_first_weight {
                layer.backward_except_weight(act, n, &mut rest[0]);
                continue;
            }
            let (input, grad_x) = match prev.last_mut() {
                Some(p) => {
                    let (o, g) = p.output_and_grad(n);
                    (o, Some(g))
                }
                None => (x, None),
            };
            layer.backward(act, input, grad_x, &mut rest[0]);
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
            layer.visit_params(buf, &mut visit);
        }
        visit(flat_mut(&mut self.output.weight), flat(&ws.out_grad_w));
        if let Some(b) = self.output.bias.as_mut() {
            visit(flat_mut(b), flat(&ws.out_grad_b));
        }
    }
}

// The workspace's constructor lives beside the network it is shaped by, so that workspace.rs need not know
// the network (the network uses the workspace, not the reverse).
impl<F: Float> Workspace<F> {
    /// Buffers for `net` and batches of up to `capacity` rows.
    pub fn new(net: &Mlp<F>, capacity: usize) -> Self {
        let layers = net.layers.iter().map(|layer| layer.buffers(capacity)).collect();
        Workspace::from_parts(capacity, layers, &net.output)
    }
}
