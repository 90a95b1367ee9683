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

/// Settings of a [`BatchNorm1d`]; `BatchNormConfig::default()` gives PyTorch's defaults (ε = 1e-5,
/// momentum 0.1).
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
    ///
    /// # Panics
    /// If `config` is invalid ([`BatchNormConfig::validate`]: ε finite and > 0, momentum in [0, 1]); a
    /// network checks it with an error instead ([`crate::Mlp::new`]).
    pub fn new(features: usize, config: BatchNormConfig) -> Self {
        if let Err(e) = config.validate() {
            panic!("BatchNorm1d::new: {e}");
        }
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
    /// If `m < 2` (PyTorch refuses a single value per channel too), or the shapes disagree: `x` and `y` of
    /// another width than the layer's features, or a cache for other features or fewer rows.
    pub fn forward_batch_into(&self, x: ArrayView2<'_, F>, mut y: ArrayViewMut2<'_, F>, cache: &mut BnCache<F>) {
        let m = x.nrows();
        assert!(m >= 2, "BatchNorm1d in train mode needs at least 2 rows per batch, got {m}");
        assert_eq!(x.dim(), y.dim(), "x and y shapes differ");
        self.check_cache(x.ncols(), cache);
        assert!(
            m <= cache.x_hat.nrows(),
            "a batch of {m} rows for a BnCache of capacity {}; expected at most that many",
            cache.x_hat.nrows()
        );
        cache.rows = m;
        // The arithmetic runs over contiguous rows: the workspace's buffers always are; a strided input is
        // copied, a strided output is written through a contiguous array.
        let x = x.as_standard_layout();
        let xs = x.as_slice().expect("standard layout");
        if let Some(ys) = y.as_slice_mut() {
            return self.forward_batch_rows(xs, ys, cache);
        }
        let mut out = Array2::zeros(y.raw_dim());
        self.forward_batch_rows(xs, out.as_slice_mut().expect("new array"), cache);
        y.assign(&out);
    }

    /// Panics unless inputs of `width` columns and `cache` fit this layer's features (a mismatch had given
    /// wrong numbers without a word: the row loops follow the layer's width).
    fn check_cache(&self, width: usize, cache: &BnCache<F>) {
        let f = self.features();
        assert_eq!(width, f, "an input of {width} features for a BatchNorm1d of {f}");
        assert_eq!(cache.mean.len(), f, "a BnCache of {} features for a BatchNorm1d of {f}", cache.mean.len());
    }

    /// [`BatchNorm1d::forward_batch_into`] over row-major buffers of `cache.rows` rows.
    fn forward_batch_rows(&self, xs: &[F], ys: &mut [F], cache: &mut BnCache<F>) {
        let (m, f) = (cache.rows, self.features());
        let mf = F::of(m as f64);
        let eps = F::of(self.config.eps);
        let mean = cache.mean.as_slice_mut().expect("owned");
        mean.fill(F::zero());
        for row in xs.chunks_exact(f) {
            mean.iter_mut().zip(row).for_each(|(mu, &v)| *mu += v);
        }
        mean.iter_mut().for_each(|mu| *mu /= mf);
        let var = cache.var.as_slice_mut().expect("owned");
        var.fill(F::zero());
        for row in xs.chunks_exact(f) {
            var.iter_mut().zip(row).zip(&*mean).for_each(|((v, &x), &mu)| {
                let d = x - mu;
                *v += d * d;
            });
        }
        var.iter_mut().for_each(|v| *v /= mf);
        let inv_std = cache.inv_std.as_slice_mut().expect("owned");
        inv_std.iter_mut().zip(&*var).for_each(|(s, &v)| *s = F::one() / (v + eps).sqrt());
        let x_hat = &mut cache.x_hat.as_slice_mut().expect("owned")[..m * f];
        let (gamma, beta) = (self.gamma.as_slice().expect("owned"), self.beta.as_slice().expect("owned"));
        for ((hr, xr), yr) in x_hat.chunks_exact_mut(f).zip(xs.chunks_exact(f)).zip(ys.chunks_exact_mut(f)) {
            for (((h, &x), &mu), &is) in hr.iter_mut().zip(xr).zip(&*mean).zip(&*inv_std) {
                *h = (x - mu) * is;
            }
            for (((y, &h), &g), &b) in yr.iter_mut().zip(&*hr).zip(gamma).zip(beta) {
                *y = g * h + b;
            }
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
    /// If the shapes disagree (`x` and `y` alike, of the layer's width).
    pub fn forward_eval_into(&self, x: ArrayView2<'_, F>, mut y: ArrayViewMut2<'_, F>) {
        assert_eq!(x.dim(), y.dim(), "x and y shapes differ");
        assert_eq!(
            x.ncols(),
            self.features(),
            "an input of {} features for a BatchNorm1d of {}",
            x.ncols(),
            self.features()
        );
        let eps = F::of(self.config.eps);
        // The same arithmetic as the train path: (x − μ)·(1/√(σ²+ε))·γ + β.
        let inv_std = self.running_var.mapv(|v| F::one() / (v + eps).sqrt());
        let per_unit = (self.running_mean.as_slice(), inv_std.as_slice(), self.gamma.as_slice(), self.beta.as_slice());
        for (xr, mut yr) in x.axis_iter(Axis(0)).zip(y.axis_iter_mut(Axis(0))) {
            // Contiguous rows as a plain slice loop, which vectorises (the Zip of six did not, and took
            // 3% of a sweep); the same operations in the same order.
            if let ((Some(mu), Some(is), Some(g), Some(b)), Some(x), Some(y)) =
                (per_unit, xr.as_slice(), yr.as_slice_mut())
            {
                for (((((y, &x), &mu), &is), &g), &b) in y.iter_mut().zip(x).zip(mu).zip(is).zip(g).zip(b) {
                    *y = g * ((x - mu) * is) + b;
                }
                continue;
            }
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
        assert_eq!(grad_y.nrows(), cache.rows, "grad_y rows must match the cached batch");
        assert_eq!(grad_y.dim(), grad_x.dim(), "grad_y and grad_x shapes differ");
        self.check_cache(grad_y.ncols(), cache);
        let f = self.features();
        assert_eq!(
            (grad_gamma.len(), grad_beta.len()),
            (f, f),
            "grad_gamma and grad_beta need one entry per feature ({f})"
        );
        // As in the forward pass: contiguous rows, strided views copied in or written through scratch.
        let grad_y = grad_y.as_standard_layout();
        let gys = grad_y.as_slice().expect("standard layout");
        if let (Some(dg), Some(db), Some(dx)) =
            (grad_gamma.as_slice_mut(), grad_beta.as_slice_mut(), grad_x.as_slice_mut())
        {
            return self.backward_rows(cache, gys, dg, db, dx);
        }
        let f = self.features();
        let (mut dg, mut db, mut dx) = (Array1::zeros(f), Array1::zeros(f), Array2::zeros(grad_x.raw_dim()));
        self.backward_rows(
            cache,
            gys,
            dg.as_slice_mut().expect("new array"),
            db.as_slice_mut().expect("new array"),
            dx.as_slice_mut().expect("new array"),
        );
        grad_gamma.assign(&dg);
        grad_beta.assign(&db);
        grad_x.assign(&dx);
    }

    /// [`BatchNorm1d::backward_into`] over row-major buffers of `cache.rows` rows.
    fn backward_rows(&self, cache: &mut BnCache<F>, gys: &[F], dgs: &mut [F], dbs: &mut [F], dxs: &mut [F]) {
        let (m, f) = (cache.rows, self.features());
        let mf = F::of(m as f64);
        let scale = cache.scale.as_slice_mut().expect("owned");
        let gamma = self.gamma.as_slice().expect("owned");
        let inv_std = cache.inv_std.as_slice().expect("owned");
        scale.iter_mut().zip(gamma).zip(inv_std).for_each(|((sc, &g), &is)| *sc = g * is / mf);
        let x_hat = &cache.x_hat.as_slice().expect("owned")[..m * f];
        dgs.fill(F::zero());
        dbs.fill(F::zero());
        for (gr, hr) in gys.chunks_exact(f).zip(x_hat.chunks_exact(f)) {
            for (((gg, gb), &g), &h) in dgs.iter_mut().zip(dbs.iter_mut()).zip(gr).zip(hr) {
                *gg += g * h;
                *gb += g;
            }
        }
        for ((xr, gr), hr) in dxs.chunks_exact_mut(f).zip(gys.chunks_exact(f)).zip(x_hat.chunks_exact(f)) {
            for (((((dx, &g), &h), &sc), &dg), &db) in xr.iter_mut().zip(gr).zip(hr).zip(&*scale).zip(&*dgs).zip(&*dbs)
            {
                *dx = sc * (mf * g - db - h * dg);
            }
        }
    }

    /// Views of γ and β.
    pub fn params(&self) -> (ArrayView1<'_, F>, ArrayView1<'_, F>) {
        (self.gamma.view(), self.beta.view())
    }
}
