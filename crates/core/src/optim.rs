//! Optimizers with PyTorch's update rules, operation for operation (`torch.optim`, single-tensor path).
//!
//! ```text
//! SGD     g ← ∇ + λ·p;  b ← g (first step) or μ·b + (1−d)·g;  g ← g + μ·b (Nesterov) or b;  p ← p − η·g
//! Adam    g ← ∇ + λ·p;  m ← m + (1−β₁)(g − m);  v ← β₂·v + (1−β₂)·g²;
//!         p ← p − (η/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)
//! AdamW   p ← p·(1 − η·λ), then Adam with g = ∇
//! ```

use serde::{Deserialize, Serialize};

use crate::{Error, Float, Result, check_representable};

/// Which optimizer, with its hyper-parameters. Defaults are PyTorch's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerConfig {
    /// Stochastic gradient descent.
    Sgd {
        /// Learning rate η.
        lr: f64,
        /// Momentum μ (0 = none).
        #[serde(default)]
        momentum: f64,
        /// Dampening d of the momentum buffer.
        #[serde(default)]
        dampening: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
        /// L2 penalty λ added to the gradient.
        #[serde(default)]
        weight_decay: f64,
    },
    /// Adam (Kingma & Ba), with L2 penalty added to the gradient.
    Adam {
        /// Learning rate η.
        lr: f64,
        /// β₁ (default 0.9).
        #[serde(default = "beta1")]
        beta1: f64,
        /// β₂ (default 0.999).
        #[serde(default = "beta2")]
        beta2: f64,
        /// ε (default 1e-8).
        #[serde(default = "adam_eps")]
        eps: f64,
        /// L2 penalty λ added to the gradient.
        #[serde(default)]
        weight_decay: f64,
    },
    /// AdamW (Loshchilov & Hutter): decoupled weight decay.
    AdamW {
        /// Learning rate η.
        lr: f64,
        /// β₁ (default 0.9).
        #[serde(default = "beta1")]
        beta1: f64,
        /// β₂ (default 0.999).
        #[serde(default = "beta2")]
        beta2: f64,
        /// ε (default 1e-8).
        #[serde(default = "adam_eps")]
        eps: f64,
        /// Decoupled weight decay λ (default 0.01).
        #[serde(default = "adamw_decay")]
        weight_decay: f64,
    },
}

fn beta1() -> f64 {
    0.9
}
fn beta2() -> f64 {
    0.999
}
fn adam_eps() -> f64 {
    1e-8
}
fn adamw_decay() -> f64 {
    0.01
}

impl OptimizerConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn sgd(lr: f64) -> Self {
        OptimizerConfig::Sgd { lr, momentum: 0.0, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }

    /// SGD with momentum `momentum`.
    pub fn sgd_momentum(lr: f64, momentum: f64) -> Self {
        OptimizerConfig::Sgd { lr, momentum, dampening: 0.0, nesterov: false, weight_decay: 0.0 }
    }

    /// Adam with PyTorch's defaults and learning rate `lr`.
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig::Adam { lr, beta1: beta1(), beta2: beta2(), eps: adam_eps(), weight_decay: 0.0 }
    }

    /// AdamW with PyTorch's defaults and learning rate `lr`.
    pub fn adamw(lr: f64) -> Self {
        OptimizerConfig::AdamW { lr, beta1: beta1(), beta2: beta2(), eps: adam_eps(), weight_decay: adamw_decay() }
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match *self {
            OptimizerConfig::Sgd { lr, .. } | OptimizerConfig::Adam { lr, .. } | OptimizerConfig::AdamW { lr, .. } => {
                lr
            }
        }
    }

    /// The same optimizer with another learning rate.
    pub fn with_lr(mut self, new: f64) -> Self {
        match &mut self {
            OptimizerConfig::Sgd { lr, .. } | OptimizerConfig::Adam { lr, .. } | OptimizerConfig::AdamW { lr, .. } => {
                *lr = new
            }
        }
        self
    }

    /// The same optimizer with another weight decay λ.
    pub fn with_weight_decay(mut self, new: f64) -> Self {
        match &mut self {
            OptimizerConfig::Sgd { weight_decay, .. }
            | OptimizerConfig::Adam { weight_decay, .. }
            | OptimizerConfig::AdamW { weight_decay, .. } => *weight_decay = new,
        }
        self
    }

    /// A short name: `sgd`, `adam` or `adamw`.
    pub fn name(&self) -> &'static str {
        match self {
            OptimizerConfig::Sgd { .. } => "sgd",
            OptimizerConfig::Adam { .. } => "adam",
            OptimizerConfig::AdamW { .. } => "adamw",
        }
    }

    /// Checks every hyper-parameter's range.
    pub fn validate(&self) -> Result<()> {
        let positive = |field: &str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::config(field, format!("must be finite and > 0, got {v}")))
            }
        };
        let unit = |field: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::config(field, format!("must lie in [0, 1), got {v}")))
            }
        };
        let non_negative = |field: &str, v: f64| {
            if v >= 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::config(field, format!("must be finite and ≥ 0, got {v}")))
            }
        };
        match *self {
            OptimizerConfig::Sgd { lr, momentum, dampening, nesterov, weight_decay } => {
                positive("lr", lr)?;
                non_negative("momentum", momentum)?;
                non_negative("dampening", dampening)?;
                non_negative("weight_decay", weight_decay)?;
                if nesterov && momentum <= 0.0 {
                    return Err(Error::config(
                        "nesterov",
                        format!("Nesterov momentum requires momentum > 0, got momentum = {momentum}"),
                    ));
                }
                if nesterov && dampening != 0.0 {
                    return Err(Error::config(
                        "nesterov",
                        format!("Nesterov momentum requires dampening = 0, got dampening = {dampening}"),
                    ));
                }
                Ok(())
            }
            OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay }
            | OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay } => {
                positive("lr", lr)?;
                unit("beta1", beta1)?;
                unit("beta2", beta2)?;
                positive("eps", eps)?;
                non_negative("weight_decay", weight_decay)
            }
        }
    }

    /// [`OptimizerConfig::validate`], then checks that the learning rate, momentum, dampening, ε and weight
    /// decay survive conversion to `F`, the type the update computes in ([`check_representable`]): a rate of
    /// `1e39` is infinite in `f32`, one of `1e-50` is 0 there, which would train nothing without a word, and a
    /// momentum of `0.99999999` is 1 there, which would never forget a gradient.
    /// [`Optimizer::new`] calls it.
    ///
    /// # Errors
    /// The first invalid field, named.
    pub fn validate_for<F: Float>(&self) -> Result<()> {
        self.validate()?;
        let (lr, eps, weight_decay) = match *self {
            OptimizerConfig::Sgd { lr, momentum, dampening, weight_decay, .. } => {
                check_representable::<F>("momentum", momentum, true)?;
                check_representable::<F>("dampening", dampening, false)?;
                // A momentum below 1 that is 1 in F would keep every gradient for ever.
                if momentum < 1.0 && F::of(momentum) >= F::one() {
                    return Err(Error::config(
                        "momentum",
                        format!(
                            "{momentum} rounds to 1 in {}, in which the update computes",
                            std::any::type_name::<F>()
                        ),
                    ));
                }
                (lr, None, weight_decay)
            }
            OptimizerConfig::Adam { lr, eps, weight_decay, .. }
            | OptimizerConfig::AdamW { lr, eps, weight_decay, .. } => (lr, Some(eps), weight_decay),
        };
        check_representable::<F>("lr", lr, true)?;
        if let Some(eps) = eps {
            check_representable::<F>("eps", eps, true)?;
        }
        check_representable::<F>("weight_decay", weight_decay, true)
    }
}

/// An optimizer's state: the configuration, the step count and one buffer set per parameter tensor.
///
/// Parameters are addressed by their index in a fixed visiting order (see
/// [`Mlp::visit_params`](crate::Mlp::visit_params)); buffers are allocated on first use and reused.
#[derive(Clone, Debug)]
pub struct Optimizer<F> {
    config: OptimizerConfig,
    step: u64,
    first: Vec<Vec<F>>,
    second: Vec<Vec<F>>,
}

impl<F: Float> Optimizer<F> {
    /// A fresh optimizer.
    ///
    /// # Errors
    /// If the configuration is invalid.
    pub fn new(config: OptimizerConfig) -> Result<Self> {
        config.validate_for::<F>()?;
        Ok(Optimizer { config, step: 0, first: Vec::new(), second: Vec::new() })
    }

    /// The configuration.
    pub fn config(&self) -> &OptimizerConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// Starts a new step; call once before the [`Optimizer::update`]s of that step.
    pub fn begin_step(&mut self) {
        self.step += 1;
    }

    /// Updates parameter tensor number `index` in place from its gradient.
    ///
    /// `index` names one tensor for the optimizer's whole life: its state (SGD's momentum buffer, Adam's
    /// moments) is allocated for that tensor's length at its first update and carried to the next step.
    ///
    /// # Panics
    /// If `param` and `grad` differ in length, before the first [`Optimizer::begin_step`], or if `index`
    /// holds state for a tensor of another length (a programmer error: two tensors given the same index,
    /// whose states would be mixed up).
    pub fn update(&mut self, index: usize, param: &mut [F], grad: &[F]) {
        assert_eq!(param.len(), grad.len(), "parameter and gradient lengths differ");
        assert!(self.step > 0, "call begin_step before update");
        if self.first.len() <= index {
            self.first.resize_with(index + 1, Vec::new);
            self.second.resize_with(index + 1, Vec::new);
        }
        let held = self.first[index].len();
        assert!(
            held == 0 || held == param.len(),
            "optimizer state of parameter index {index} is for a tensor of {held} values, but this update \
             gives {} values; expected each index to name the same tensor at every update",
            param.len()
        );
        let t = self.step;
        match self.config {
            OptimizerConfig::Sgd { lr, momentum, dampening, nesterov, weight_decay } => {
                let (lr, mu, damp, wd) = (F::of(lr), F::of(momentum), F::of(1.0 - dampening), F::of(weight_decay));
                if momentum == 0.0 {
                    for (p, &g) in param.iter_mut().zip(grad) {
                        let d = if weight_decay != 0.0 { g + wd * *p } else { g };
                        *p -= lr * d;
                    }
                    return;
                }
                let buf = &mut self.first[index];
                let fresh = buf.is_empty();
                if fresh {
                    buf.resize(param.len(), F::zero());
                }
                for ((p, &g), b) in param.iter_mut().zip(grad).zip(buf.iter_mut()) {
                    let d = if weight_decay != 0.0 { g + wd * *p } else { g };
                    *b = if fresh { d } else { *b * mu + damp * d };
                    let step = if nesterov { d + mu * *b } else { *b };
                    *p -= lr * step;
                }
            }
            OptimizerConfig::Adam { lr, beta1, beta2, eps, weight_decay }
            | OptimizerConfig::AdamW { lr, beta1, beta2, eps, weight_decay } => {
                let decoupled = matches!(self.config, OptimizerConfig::AdamW { .. });
                let (m, v) = (&mut self.first[index], &mut self.second[index]);
                if m.is_empty() {
                    m.resize(param.len(), F::zero());
                    v.resize(param.len(), F::zero());
                }
                let bc1 = 1.0 - beta1.powi(t as i32);
                let bc2_sqrt = F::of((1.0 - beta2.powi(t as i32)).sqrt());
                let step_size = F::of(lr / bc1);
                let (w1, b2, w2, eps) = (F::of(1.0 - beta1), F::of(beta2), F::of(1.0 - beta2), F::of(eps));
                let (wd, decay) = (F::of(weight_decay), F::of(1.0 - lr * weight_decay));
                for (((p, &g), m), v) in param.iter_mut().zip(grad).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let g = if decoupled {
                        if weight_decay != 0.0 {
                            *p *= decay;
                        }
                        g
                    } else if weight_decay != 0.0 {
                        g + wd * *p
                    } else {
                        g
                    };
                    *m += w1 * (g - *m);
                    *v = *v * b2 + w2 * (g * g);
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *p -= step_size * (*m / denom);
                }
            }
        }
    }
}
