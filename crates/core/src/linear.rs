//! A fully connected layer.
//!
//! ```text
//! y = x·Wᵀ + b          x: (batch, in)   W: (out, in)   b: (out)   y: (batch, out)
//! ∂L/∂W = (∂L/∂y)ᵀ·x    ∂L/∂b = Σ_rows ∂L/∂y    ∂L/∂x = (∂L/∂y)·W
//! ```
//!
//! The weight layout is PyTorch's `(out_features, in_features)`.

use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis};

use crate::linalg::gemm;
use crate::rng::SeededRng;
use crate::{Float, Init};

/// A fully connected layer `y = x·Wᵀ + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<F> {
    /// Weights, shape `(out_features, in_features)`.
    pub weight: Array2<F>,
    /// Bias, shape `(out_features)`; `None` for a layer without bias (e.g. before BatchNorm).
    pub bias: Option<Array1<F>>,
}

impl<F: Float> Linear<F> {
    /// A layer initialised with `init`, drawing weights row by row, then biases, from `rng`.
    pub fn new(in_features: usize, out_features: usize, bias: bool, init: Init, rng: &mut SeededRng) -> Self {
        let weight = Array2::from_shape_simple_fn((out_features, in_features), || {
            F::of(init.sample_weight(rng, in_features, out_features))
        });
        let bias =
            bias.then(|| Array1::from_shape_simple_fn(out_features, || F::of(init.sample_bias(rng, in_features))));
        Linear { weight, bias }
    }

    /// A layer with the given parameters.
    ///
    /// # Panics
    /// If `bias` does not have `weight.nrows()` entries.
    pub fn from_parts(weight: Array2<F>, bias: Option<Array1<F>>) -> Self {
        if let Some(b) = &bias {
            assert_eq!(b.len(), weight.nrows(), "bias length must equal out_features");
        }
        Linear { weight, bias }
    }

    /// Number of input features.
    pub fn in_features(&self) -> usize {
        self.weight.ncols()
    }

    /// Number of output features.
    pub fn out_features(&self) -> usize {
        self.weight.nrows()
    }

    /// Writes `y = x·Wᵀ + b` into `y`.
    ///
    /// # Shapes
    /// `x: (batch, in)`, `y: (batch, out)`.
    ///
    /// # Panics
    /// If the shapes do not agree.
    pub fn forward_into(&self, x: ArrayView2<'_, F>, mut y: ArrayViewMut2<'_, F>) {
        match &self.bias {
            Some(b) => {
                let dim = y.dim();
                y.assign(&b.broadcast(dim).expect("bias broadcasts over rows"));
                gemm(F::one(), x, self.weight.t(), F::one(), &mut y);
            }
            None => gemm(F::one(), x, self.weight.t(), F::zero(), &mut y),
        }
    }

    /// Allocating convenience form of [`Linear::forward_into`].
    pub fn forward(&self, x: ArrayView2<'_, F>) -> Array2<F> {
        let mut y = Array2::zeros((x.nrows(), self.out_features()));
        self.forward_into(x, y.view_mut());
        y
    }

    /// Back-propagates `grad_y = ∂L/∂y`: writes ∂L/∂W, ∂L/∂b (when both the layer and `grad_b` have a bias)
    /// and, when asked, ∂L/∂x. Gradients are overwritten, not accumulated.
    ///
    /// # Panics
    /// If the shapes do not agree.
    pub fn backward_into(
        &self,
        x: ArrayView2<'_, F>,
        grad_y: ArrayView2<'_, F>,
        mut grad_w: ArrayViewMut2<'_, F>,
        grad_b: Option<ArrayViewMut1<'_, F>>,
        grad_x: Option<ArrayViewMut2<'_, F>>,
    ) {
        gemm(F::one(), grad_y.t(), x, F::zero(), &mut grad_w);
        if let Some(gb) = grad_b {
            bias_grad_into(grad_y, gb);
        }
        if let Some(mut gx) = grad_x {
            gemm(F::one(), grad_y, self.weight.view(), F::zero(), &mut gx);
        }
    }
}

/// ∂L/∂b = Σ_rows ∂L/∂y, summed row by row in order (overwrites `grad_b`).
pub(crate) fn bias_grad_into<F: Float>(grad_y: ArrayView2<'_, F>, mut grad_b: ArrayViewMut1<'_, F>) {
    grad_b.fill(F::zero());
    for row in grad_y.axis_iter(Axis(0)) {
        grad_b += &row;
    }
}
