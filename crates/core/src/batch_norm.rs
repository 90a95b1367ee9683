//! Batch normalisation over the batch axis, with PyTorch's `nn.BatchNorm1d` semantics exactly.
//!
//! Train mode, for a batch of `m` rows and each feature j:
//!
//! ```text
//! μ_j  = (1/m) Σ_i x_ij                      σ²_j = (1/m) Σ_i (x_ij − μ_j)²     (biased)
//! x̂_ij = (x_ij − μ_j) / √(σ²_j + ε)          y_ij = γ_j x̂_ij + β_j
//! running_mean ← (1 − m₀)·running_mean + m₀·μ
//! running_var  ← (1 − m₀)·running_var  + m₀·σ²·m/(m − 1)                      (unbiased)
//! ```
//!
//! with momentum m₀ = 0.1 and ε = 1e-5 by default; γ = 1, β = 0, running mean 0 and running variance 1
//! at construction. Eval mode uses the running statistics instead of μ and σ². The backward pass is the
//! exact gradient through μ and σ²:
//!
//! ```text
//! ∂L/∂β_j = Σ_i g_ij     ∂L/∂γ_j = Σ_i g_ij x̂_ij
//! ∂L/∂x_ij = γ_j / (m √(σ²_j + ε)) · (m g_ij − ∂L/∂β_j − x̂_ij ∂L/∂γ_j)       (g = ∂L/∂y)
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ArrayViewMut1, ArrayViewMut2, Axis, Zip, s};
use serde::{Deserialize, Serialize};

use crate::{Error, Float, Result};

/// Settings of a [`BatchNorm1d`]; `BatchNormConfig::new(n)` gives PyTorch's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchNormConfig {
    /// ε added to the variance inside the square root. Default 1e-5.
    #[serde(default = "default_eps")]
    pub eps: f64,
    /// Weight of the new batch in the running averages. Default 0.1.
    #[serde(default = "default_momentum")]
    pub momentum: f64,
}

fn default_eps() -> f64 {
    1e-5
}
fn default_momentum() -> f64 {
    0.1
}

impl Default for BatchNormConfig {
    fn default() -> Self {
        BatchNormConfig { eps: default_eps(), momentum: default_momentum() }
    }
}

impl BatchNormConfig {
    /// Checks ε > 0 and momentum in [0, 1].
    pub fn validate(&self) -> Result<()> {
        if !(self.eps > 0.0 && self.eps.is_finite()) {
            return Err(Error::config("batch_norm.eps", format!("must be finite and > 0, got {}", self.eps)));
        }
        if !(0.0..=1.0).contains(&self.momentum) {
            return Err(Error::config("batch_norm.momentum", format!("must lie in [0, 1], got {}", self.momentum)));
        }
        Ok(())
    }
}

/// Batch normalisation with learnable scale γ and shift β (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct BatchNorm1d<F> {
    /// Scale γ, initialised to 1.
    pub gamma: Array1<F>,
    /// Shift β, initialised to 0.
    pub beta: Array1<F>,
    /// Running mean, initialised to 0.
    pub running_mean: Array1<F>,
    /// Running (unbiased) variance, initialised to 1.
    pub running_var: Array1<F>,
    /// Number of train-mode batches folded into the running statistics.
    pub num_batches_tracked: u64,
    /// The settings.
    pub config: BatchNormConfig,
}

/// What the train-mode forward pass keeps for the backward pass (reusable across steps).
#[derive(Clone, Debug)]
pub struct BnCache<F> {
    /// Batch mean μ.
    pub mean: Array1<F>,
    /// Biased batch variance σ².
    pub var: Array1<F>,
    /// 1/√(σ² + ε).
    pub inv_std: Array1<F>,
    /// Normalised input x̂, shape `(capacity, features)`; only the first `rows` rows are valid.
    pub x_hat: Array2<F>,
    /// Rows of the last batch.
    pub rows: usize,
    /// Scratch for the backward pass: γ/(m√(σ²+ε)).
    scale: Array1<F>,
}

impl<F: Float> BnCache<F> {
    /// A cache for batches of up to `capacity` rows.
    pub fn new(features: usize, capacity: usize) -> Self {
        BnCache {
            mean: Array1::zeros(features),
            var: Array1::zeros(features),
            inv_std: Array1::zeros(features),
            x_hat: Array2::zeros((capacity, features)),
            rows: 0,
            scale: Array1::zeros(features),
        }
    }

    /// x̂ of the last batch.
    pub fn x_hat(&self) -> ArrayView2<'_, F> {
        self.x_hat.slice(s![..self.rows, ..])
    }
}

impl<F: Float> BatchNorm1d<F> {
    /// A layer over `features` features with the given settings (γ=1, β=0, running mean 0, variance 1).
    pub fn new(features: usize, config: BatchNormConfig) -> Self {
        BatchNorm1d {
            gamma: Array1::ones(features),
            beta: Array1::zeros(features),
            running_mean: Array1::zeros(features),
            running_var: Array1::ones(features),
            num_batches_tracked: 0,
            config,
        }
    }

    /// Number of features.
    pub fn features(&self) -> usize {
        self.gamma.len()
    }

    /// Train-mode normalisation with the batch's own statistics, without touching the running statistics.
    /// Call [`BatchNorm1d::update_running`] afterwards to fold the batch into them (or use
    /// [`BatchNorm1d::forward_train_into`], which does both).
    ///
    /// # Shapes
    /// `x, y: (m, features)`, `m ≤ cache capacity`.
    ///
    /// # Panics
    /// If `m < 2` (PyTorch refuses a single value per channel too) or the shapes disagree.
    pub fn forward_batch_into(&self, x: ArrayView2<'_, F>, mut y: ArrayViewMut2<'_, F>, cache: &mut BnCache<F>) {
        let m = x.nrows();
        assert!(m >= 2, "BatchNorm1d in train mode needs at least 2 rows per batch, got {m}");
        let mf = F::of(m as f64);
        let eps = F::of(self.config.eps);
        cache.rows = m;
        cache.mean.fill(F::zero());
        for row in x.axis_iter(Axis(0)) {
            cache.mean += &row;
        }
        cache.mean /= mf;
        cache.var.fill(F::zero());
        for row in x.axis_iter(Axis(0)) {
            Zip::from(&mut cache.var).and(&row).and(&cache.mean).for_each(|v, &x, &mu| {
                let d = x - mu;
                *v += d * d;
            });
        }
        cache.var /= mf;
        Zip::from(&mut cache.inv_std).and(&cache.var).for_each(|s, &v| *s = F::one() / (v + eps).sqrt());
        let mut x_hat = cache.x_hat.slice_mut(s![..m, ..]);
        for ((xr, mut hr), mut yr) in
            x.axis_iter(Axis(0)).zip(x_hat.axis_iter_mut(Axis(0))).zip(y.axis_iter_mut(Axis(0)))
        {
            Zip::from(&mut hr)
                .and(&xr)
                .and(&cache.mean)
                .and(&cache.inv_std)
                .for_each(|h, &x, &mu, &is| *h = (x - mu) * is);
            Zip::from(&mut yr).and(&hr).and(&self.gamma).and(&self.beta).for_each(|y, &h, &g, &b| *y = g * h + b);
        }
    }

    /// Folds the batch statistics in `cache` into the running statistics (unbiased variance).
    pub fn update_running(&mut self, cache: &BnCache<F>) {
        let m = cache.rows as f64;
        let mom = F::of(self.config.momentum);
        let keep = F::one() - mom;
        let unbias = F::of(m / (m - 1.0));
        Zip::from(&mut self.running_mean).and(&cache.mean).for_each(|r, &mu| *r = keep * *r + mom * mu);
        Zip::from(&mut self.running_var).and(&cache.var).for_each(|r, &v| *r = keep * *r + mom * (v * unbias));
        self.num_batches_tracked += 1;
    }

    /// Train-mode forward: batch statistics, then the running-statistics update (PyTorch's `train()` mode).
    ///
    /// # Panics
    /// As [`BatchNorm1d::forward_batch_into`].
    pub fn forward_train_into(&mut self, x: ArrayView2<'_, F>, y: ArrayViewMut2<'_, F>, cache: &mut BnCache<F>) {
        self.forward_batch_into(x, y, cache);
        self.update_running(cache);
    }

    /// Eval-mode forward with the running statistics (PyTorch's `eval()` mode).
    ///
    /// # Panics
    /// If the shapes disagree.
    pub fn forward_eval_into(&self, x: ArrayView2<'_, F>, mut y: ArrayViewMut2<'_, F>) {
        let eps = F::of(self.config.eps);
        // The same arithmetic as the train path: (x − μ)·(1/√(σ²+ε))·γ + β.
        let inv_std = self.running_var.mapv(|v| F::one() / (v + eps).sqrt());
        for (xr, mut yr) in x.axis_iter(Axis(0)).zip(y.axis_iter_mut(Axis(0))) {
            Zip::from(&mut yr)
                .and(&xr)
                .and(&self.running_mean)
                .and(&inv_std)
                .and(&self.gamma)
                .and(&self.beta)
                .for_each(|y, &x, &mu, &is, &g, &b| *y = g * ((x - mu) * is) + b);
        }
    }

    /// Exact train-mode backward (see the module docs). Writes ∂L/∂γ, ∂L/∂β and ∂L/∂x.
    ///
    /// # Panics
    /// If the shapes disagree with the cached batch.
    pub fn backward_into(
        &self,
        cache: &mut BnCache<F>,
        grad_y: ArrayView2<'_, F>,
        mut grad_gamma: ArrayViewMut1<'_, F>,
        mut grad_beta: ArrayViewMut1<'_, F>,
        mut grad_x: ArrayViewMut2<'_, F>,
    ) {
        let m = cache.rows;
        assert_eq!(grad_y.nrows(), m, "grad_y rows must match the cached batch");
        let mf = F::of(m as f64);
        Zip::from(&mut cache.scale).and(&self.gamma).and(&cache.inv_std).for_each(|sc, &g, &is| *sc = g * is / mf);
        let x_hat = cache.x_hat.slice(s![..m, ..]);
        grad_gamma.fill(F::zero());
        grad_beta.fill(F::zero());
        for (gr, hr) in grad_y.axis_iter(Axis(0)).zip(x_hat.axis_iter(Axis(0))) {
            Zip::from(&mut grad_gamma).and(&mut grad_beta).and(&gr).and(&hr).for_each(|gg, gb, &g, &h| {
                *gg += g * h;
                *gb += g;
            });
        }
        for ((gr, hr), mut xr) in
            grad_y.axis_iter(Axis(0)).zip(x_hat.axis_iter(Axis(0))).zip(grad_x.axis_iter_mut(Axis(0)))
        {
            Zip::from(&mut xr)
                .and(&gr)
                .and(&hr)
                .and(&cache.scale)
                .and(&grad_gamma)
                .and(&grad_beta)
                .for_each(|dx, &g, &h, &sc, &dg, &db| *dx = sc * (mf * g - db - h * dg));
        }
    }

    /// Views of γ and β.
    pub fn params(&self) -> (ArrayView1<'_, F>, ArrayView1<'_, F>) {
        (self.gamma.view(), self.beta.view())
    }
}
