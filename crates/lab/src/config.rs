//! The configuration of one run, as a flat TOML/JSON table: every field has a default but `hidden`.
//!
//! A configuration is resolved (defaults filled, depth/width expanded) and validated before anything runs;
//! its canonical JSON (sorted keys) identifies the run, so the same settings always map to the same run.

use actscope_core::{Activation, BatchNormConfig, Budget, Init, MlpConfig, OptimizerConfig, Placement, TrainConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Every setting of one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// Data: `default` (full Fashion-MNIST if installed, else the embedded subset), `embedded`,
    /// `synthetic:NAME` (clusters, teacher, spirals, gaussian), an IDX directory, or a CSV file.
    #[serde(default = "d_data")]
    pub data: String,
    /// Share of the training set held out for validation (stratified, seeded).
    #[serde(default = "d_val")]
    pub val_fraction: f64,
    /// Standardise features with training-set statistics (default: inputs are used as loaded, [0, 1] pixels).
    #[serde(default)]
    pub standardize: bool,
    /// Hidden widths (ignored when `depth` is set).
    #[serde(default)]
    pub hidden: Vec<usize>,
    /// Number of hidden layers of `width` units (overrides `hidden`).
    #[serde(default)]
    pub depth: Option<usize>,
    /// Width used with `depth`.
    #[serde(default = "d_width")]
    pub width: usize,
    /// Activation φ.
    #[serde(default = "d_act")]
    pub activation: Activation,
    /// BN placement: none, before, after.
    #[serde(default = "d_place")]
    pub placement: Placement,
    /// Weight initialisation.
    #[serde(default = "d_init")]
    pub init: Init,
    /// Constant initial hidden bias (dead-ReLU stress); none keeps the init's choice.
    #[serde(default)]
    pub bias_init: Option<f64>,
    /// BN ε.
    #[serde(default = "d_eps")]
    pub bn_eps: f64,
    /// BN momentum of the running statistics.
    #[serde(default = "d_bn_mom")]
    pub bn_momentum: f64,
    /// Optimizer: sgd, adam or adamw.
    #[serde(default)]
    pub optimizer: OptimizerKind,
    /// Learning rate.
    #[serde(default = "d_lr")]
    pub lr: f64,
    /// SGD momentum.
    #[serde(default)]
    pub momentum: f64,
    /// SGD Nesterov momentum.
    #[serde(default)]
    pub nesterov: bool,
    /// Weight decay (L2 for SGD/Adam, decoupled for AdamW); none: the optimizer's default (0; AdamW 0.01).
    #[serde(default)]
    pub weight_decay: Option<f64>,
    /// Examples per step.
    #[serde(default = "d_batch")]
    pub batch_size: usize,
    /// Training length in epochs (ignored when `steps` is set).
    #[serde(default = "d_epochs")]
    pub epochs: usize,
    /// Training length in steps (overrides `epochs`).
    #[serde(default)]
    pub steps: Option<usize>,
    /// Seed of initialisation and shuffling.
    #[serde(default)]
    pub seed: u64,
    /// Examples in the fixed probe set (taken from validation).
    #[serde(default = "d_probe")]
    pub probe_size: usize,
    /// Probe checkpoints per epoch (0: only at the start and the end).
    #[serde(default = "d_cpe")]
    pub checkpoints_per_epoch: usize,
    /// Evaluations on validation and test per epoch (besides start and end).
    #[serde(default = "d_epe")]
    pub evals_per_epoch: usize,
    /// Saturation / dead threshold τ.
    #[serde(default = "d_tau")]
    pub tau: f64,
    /// Record loss and gradient norms on every step.
    #[serde(default)]
    pub step_scalars: bool,
    /// Compute each layer's effective rank at checkpoints.
    #[serde(default = "d_true")]
    pub effective_rank: bool,
}

fn d_data() -> String {
    "default".into()
}
fn d_val() -> f64 {
    0.1
}
fn d_width() -> usize {
    100
}
fn d_act() -> Activation {
    Activation::Relu
}
fn d_place() -> Placement {
    Placement::None
}
fn d_init() -> Init {
    Init::PytorchDefault
}
fn d_eps() -> f64 {
    1e-5
}
fn d_bn_mom() -> f64 {
    0.1
}
fn d_lr() -> f64 {
    0.1
}
fn d_batch() -> usize {
    60
}
fn d_epochs() -> usize {
    1
}
fn d_probe() -> usize {
    1000
}
fn d_cpe() -> usize {
    10
}
fn d_epe() -> usize {
    2
}
/// The default saturation / dead-unit threshold τ (design §5): φ′ < τ·max φ′ counts as saturated.
pub const DEFAULT_TAU: f64 = 0.1;

fn d_tau() -> f64 {
    DEFAULT_TAU
}
fn d_true() -> bool {
    true
}

impl Default for RunConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// The optimizer of a run (its hyperparameters are other fields of [`RunConfig`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OptimizerKind {
    /// SGD with optional momentum and Nesterov momentum, as `torch.optim.SGD`.
    #[default]
    Sgd,
    /// Adam, as `torch.optim.Adam`.
    Adam,
    /// AdamW (decoupled weight decay), as `torch.optim.AdamW`.
    AdamW,
}

impl OptimizerKind {
    /// Every optimizer, in the order help texts list them.
    pub const ALL: [OptimizerKind; 3] = [OptimizerKind::Sgd, OptimizerKind::Adam, OptimizerKind::AdamW];

    /// The name written in configs: `sgd`, `adam`, `adamw`.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
            OptimizerKind::AdamW => "adamw",
        }
    }
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for OptimizerKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        OptimizerKind::ALL.into_iter().find(|o| o.name() == lower).ok_or_else(|| {
            let names: Vec<&str> = OptimizerKind::ALL.iter().map(|o| o.name()).collect();
            Error::usage(format!("unknown optimizer {s:?}; expected one of: {}", names.join(", ")))
        })
    }
}

impl Serialize for OptimizerKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for OptimizerKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl RunConfig {
    /// Parses a TOML table, naming unknown keys and bad values.
    ///
    /// # Errors
    /// A usage error with TOML's message (which names the key and line).
    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        let c: RunConfig = toml::from_str(text).map_err(|e| Error::usage(format!("{source}: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    /// Hidden widths after expanding `depth × width`.
    pub fn widths(&self) -> Vec<usize> {
        match self.depth {
            Some(d) => vec![self.width; d],
            None => self.hidden.clone(),
        }
    }

    /// Builds a configuration from a TOML table (e.g. a sweep's base with one value per axis) without
    /// printing and re-parsing it, naming unknown keys and bad values.
    ///
    /// # Errors
    /// A usage error naming `source` and the key.
    pub fn from_table(table: toml::Table, source: &str) -> Result<Self> {
        let c = RunConfig::deserialize(toml::Value::Table(table))
            .map_err(|e| Error::usage(format!("{source}: {}", e.message())))?;
        c.validate()?;
        Ok(c)
    }

    /// The optimizer configuration.
    ///
    /// # Errors
    /// Invalid optimizer hyperparameters (naming the field).
    pub fn optimizer_config(&self) -> Result<OptimizerConfig> {
        let mut c = match self.optimizer {
            OptimizerKind::Sgd => OptimizerConfig::Sgd {
                lr: self.lr,
                momentum: self.momentum,
                dampening: 0.0,
                nesterov: self.nesterov,
                weight_decay: 0.0,
            },
            OptimizerKind::Adam => OptimizerConfig::adam(self.lr),
            OptimizerKind::AdamW => OptimizerConfig::adamw(self.lr),
        };
        if let Some(wd) = self.weight_decay {
            c = c.with_weight_decay(wd);
        }
        c.validate()?;
        Ok(c)
    }

    /// The network configuration for `input_dim` inputs and `classes` outputs.
    pub fn mlp_config(&self, input_dim: usize, classes: usize) -> MlpConfig {
        MlpConfig {
            input_dim,
            hidden: self.widths(),
            output_dim: classes,
            activation: self.activation,
            placement: self.placement,
            init: self.init,
            bias_init: self.bias_init,
            batch_norm: BatchNormConfig { eps: self.bn_eps, momentum: self.bn_momentum },
        }
    }

    /// The training-loop configuration for a training set of `n` examples.
    pub fn train_config(&self, n: usize) -> TrainConfig {
        let budget = match self.steps {
            Some(s) => Budget::Steps(s),
            None => Budget::Epochs(self.epochs),
        };
        let mut tc = TrainConfig::new(self.batch_size, budget, self.seed);
        let spe = tc.steps_per_epoch(n);
        tc.eval_every = (self.evals_per_epoch > 0).then(|| (spe / self.evals_per_epoch).max(1));
        tc
    }

    /// Checks every field that can be checked without data.
    ///
    /// # Errors
    /// The first invalid field, named, with what was expected.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, msg: String| Err(Error::usage(format!("invalid {field}: {msg}")));
        // Absolute caps on depth and width first, before `widths()` expands `depth × width`.
        crate::budget::check_shape(self)?;
        if self.widths().is_empty() {
            return bad("hidden", "give hidden = [widths…] or depth = N (at least one hidden layer)".into());
        }
        if !(self.val_fraction > 0.0 && self.val_fraction < 1.0) {
            return bad("val_fraction", format!("must lie in (0, 1), got {}", self.val_fraction));
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be ≥ 1".into());
        }
        if self.steps == Some(0) || (self.steps.is_none() && self.epochs == 0) {
            return bad("epochs/steps", "the run must have at least one step".into());
        }
        if self.probe_size < 2 {
            return bad("probe_size", format!("must be ≥ 2, got {}", self.probe_size));
        }
        if !(self.tau > 0.0 && self.tau <= 1.0) {
            return bad("tau", format!("must lie in (0, 1], got {}", self.tau));
        }
        self.optimizer_config()?;
        self.mlp_config(1, 2).validate()?;
        Ok(())
    }

    /// The canonical JSON of the configuration (sorted keys), which identifies the run.
    pub fn canonical_json(&self) -> String {
        serde_json::to_value(self).expect("serialisable").to_string()
    }

    /// A stable 12-hex-digit id: the start of SHA-256 of the canonical JSON.
    pub fn id(&self) -> String {
        let d = Sha256::digest(self.canonical_json().as_bytes());
        d.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }

    /// The run directory's name: readable settings, sanitised for any file system, then the id.
    pub fn dir_name(&self) -> String {
        let raw = format!(
            "{}-{}-d{}-{}-lr{}-s{}",
            self.activation,
            self.placement,
            self.widths().len(),
            self.optimizer,
            self.lr,
            self.seed
        );
        format!("{}-{}", sanitize(&raw), self.id())
    }

    /// The configuration with `lr` and `seed` blanked: runs that differ only in those share a group.
    pub fn group_key(&self) -> String {
        let mut c = self.clone();
        c.lr = 0.0;
        c.seed = 0;
        c.canonical_json()
    }
}

/// Keeps `[A-Za-z0-9._-]`, maps everything else to `_`, and never yields `.` or `..` or a leading dot.
pub fn sanitize(s: &str) -> String {
    let mut out: String =
        s.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    if out.is_empty() { "_".into() } else { out }
}
