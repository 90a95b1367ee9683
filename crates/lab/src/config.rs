//! The configuration of one run, as a flat TOML/JSON table: every field has a default but `hidden`.
//!
//! A configuration is resolved (defaults filled, depth/width expanded) and validated before anything runs;
//! its canonical JSON (sorted keys) identifies the run, so the same settings always map to the same run.

use actscope_core::{
    Activation, BatchNormConfig, Budget, Cadence, Init, MlpConfig, OptimizerConfig, Placement, TrainConfig,
    short_number,
};
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
    /// What the checkpoints between the first and the last measure (the first and the last always measure
    /// the whole probe set).
    #[serde(default)]
    pub checkpoint_sample: CheckpointSample,
}

/// What a run's checkpoints between the first and the last measure (`docs/metrics.md`, *Which sample each
/// checkpoint measures*).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckpointSample {
    /// The training step's own batch, in its forward and backward pass: no pass of their own.
    #[default]
    TrainBatch,
    /// The whole probe set, like the first and the last checkpoint (a forward and backward pass over it
    /// at every checkpoint).
    ProbeSet,
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

/// One setting of [`RunConfig`] as users see it: its key, the kind of value it takes and what it means.
/// [`KEYS`] lists every setting; the parser refuses keys not in it, and `actscope config --list`, `train
/// --help` and the user guide are generated from it, with defaults taken from [`RunConfig::default`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Key {
    /// The key, as config files, sweep axes and `--set` write it.
    pub name: &'static str,
    /// The kind of value, e.g. `float > 0` or `list of integers`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// What the setting does.
    pub meaning: &'static str,
}

const fn key(name: &'static str, kind: &'static str, meaning: &'static str) -> Key {
    Key { name, kind, meaning }
}

/// Every setting of a run, in the order listings show them (data, network, optimisation, measurement).
/// A test checks that these are exactly the fields of [`RunConfig`].
pub const KEYS: [Key; 28] = [
    key(
        "data",
        "string",
        "data set: default (Fashion-MNIST if installed, else the embedded subset), embedded, \
         synthetic:clusters|teacher|spirals|gaussian, an IDX directory, or file.csv[#label]",
    ),
    key("val_fraction", "float in (0, 1)", "share of the training set held out for validation (stratified, seeded)"),
    key("standardize", "bool", "standardise features with training-set statistics (else inputs are used as loaded)"),
    key(
        "hidden",
        "list of integers ≥ 1",
        "hidden widths, input side first; [] gives no network: a file must give hidden or depth, not both",
    ),
    key("depth", "integer ≥ 1, or unset", "number of hidden layers of `width` units (instead of hidden)"),
    key("width", "integer ≥ 1", "units per hidden layer with depth"),
    key(
        "activation",
        "activation",
        "φ: sigmoid, tanh, relu, leaky_relu(α), elu(α), gelu, silu, softplus, softsign, identity",
    ),
    key("placement", "none|before|after", "BatchNorm placement: before is Linear → BN → φ, after is Linear → φ → BN"),
    key(
        "init",
        "init",
        "weight initialisation: pytorch, glorot_standard, xavier_uniform, xavier_normal, kaiming_uniform, \
         kaiming_normal, lecun_normal, small_gaussian(σ)",
    ),
    key(
        "bias_init",
        "float, or unset",
        "constant initial hidden bias (dead-ReLU stress; with BN before φ, BN's initial shift β, which takes the bias's place); unset keeps the init's",
    ),
    key("bn_eps", "float > 0", "BatchNorm ε"),
    key("bn_momentum", "float in [0, 1]", "BatchNorm momentum of the running statistics (0 keeps them at their start)"),
    key("optimizer", "sgd|adam|adamw", "optimizer, as torch.optim's"),
    key("lr", "float > 0", "learning rate"),
    key("momentum", "float in [0, 1)", "SGD momentum"),
    key("nesterov", "bool", "SGD Nesterov momentum (needs momentum > 0)"),
    key(
        "weight_decay",
        "float ≥ 0, or unset",
        "weight decay (L2 for SGD and Adam, decoupled for AdamW); unset: 0, AdamW 0.01",
    ),
    key("batch_size", "integer ≥ 1", "examples per step"),
    key("epochs", "integer ≥ 1", "training length in epochs (ignored when steps is set)"),
    key("steps", "integer ≥ 1, or unset", "training length in steps (overrides epochs)"),
    key("seed", "integer ≥ 0", "seed of initialisation and shuffling"),
    key(
        "probe_size",
        "integer ≥ 2",
        "examples in the fixed probe set the metrics are measured on: the first probe_size of validation, or all of it where it is smaller (records.jsonl says how many)",
    ),
    key("checkpoints_per_epoch", "integer ≥ 0", "probe checkpoints per epoch (0: only at the start and the end)"),
    key("evals_per_epoch", "integer ≥ 0", "evaluations on validation and test per epoch (besides start and end)"),
    key("tau", "float in (0, 1]", "saturation / dead threshold τ: φ′ < τ·max φ′ counts as saturated"),
    key("step_scalars", "bool", "record loss and gradient norms on every step"),
    key("effective_rank", "bool", "compute each layer's effective rank at checkpoints"),
    key(
        "checkpoint_sample",
        "train_batch|probe_set",
        "what the checkpoints between the first and the last measure: the training step's own batch, or the whole \
         probe set (the first and the last always measure the probe set)",
    ),
];

/// The setting named `name`, if there is one.
pub fn find_key(name: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.name == name)
}

/// The known setting closest to a misspelt `name`, for "did you mean".
pub fn closest_key(name: &str) -> Option<&'static str> {
    closest(name, KEYS.iter().map(|k| k.name))
}

/// The candidate closest to a misspelt `name` (at most a third of its letters off), for "did you mean".
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|&(d, c)| d <= c.chars().count().max(name.chars().count()).div_ceil(3))
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance between two short strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The error for a key that is not a setting: it names the key, the closest known one, and where the list is.
pub fn unknown_key(name: &str) -> Error {
    let hint = closest_key(name).map_or(String::new(), |k| format!("; did you mean `{k}`?"));
    Error::usage(format!("unknown setting `{name}`{hint} (`actscope config --list` lists every setting)"))
}

/// One setting with its default, as listings show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setting {
    /// The setting.
    #[serde(flatten)]
    pub key: Key,
    /// Its default, as [`RunConfig::default`] has it (`null`: unset).
    pub default: serde_json::Value,
}

impl Setting {
    /// The default as a config file or `--set` writes it (`unset` for none; strings without quotes).
    pub fn default_text(&self) -> String {
        value_text(&self.default)
    }
}

/// A setting's value as the command line writes it: strings bare, lists as `[a, b]`, none as `unset`.
pub fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "unset".into(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => format!("[{}]", a.iter().map(value_text).collect::<Vec<_>>().join(", ")),
        v => v.to_string(),
    }
}

/// Every setting with its default, in [`KEYS`] order.
pub fn settings() -> Vec<Setting> {
    let defaults = match serde_json::to_value(RunConfig::default()) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => unreachable!("a RunConfig serialises to an object"),
    };
    KEYS.iter().map(|k| Setting { key: *k, default: defaults.get(k.name).cloned().unwrap_or_default() }).collect()
}

/// Checks one setting on its own: a known key, and a value of the right kind for it (other settings at
/// their defaults). The error names the key and what was expected.
///
/// # Errors
/// An unknown key (with the closest known one) or a value the key does not take (usage).
pub fn check_setting(key: &str, value: &toml::Value) -> Result<()> {
    if find_key(key).is_none() {
        return Err(unknown_key(key));
    }
    RunConfig::deserialize(toml::Value::Table(toml::Table::from_iter([(key.to_string(), value.clone())])))
        .map(drop)
        .map_err(|e| Error::usage(format!("{key} = {value}: {}", plain_types(e.message()))))
}

/// The line (1-based) where `path` (e.g. `["axes", "lr"]`) is written in the TOML `text`, for messages that
/// point at the user's file; `None` when the text does not parse or does not hold that key.
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let (mut table, mut at) = (doc.get_ref(), None);
    for (i, name) in path.iter().enumerate() {
        let (k, v) = table.iter().find(|(k, _)| k.get_ref().as_ref() == *name)?;
        at = Some(k.span().start);
        if i + 1 < path.len() {
            match v.get_ref() {
                toml::de::DeValue::Table(t) => table = t,
                _ => return None,
            }
        }
    }
    at.map(|offset| text[..offset.min(text.len())].matches('\n').count() + 1)
}

/// The `data` prefix of runs `actscope analyze` made from captures (`capture:<model>`).
pub const CAPTURE_DATA: &str = "capture:";

/// What a table that gives both `hidden` and `depth` is told: the run would use `depth × width` and drop
/// `hidden` (it did, silently: `hidden = [8]` with `depth = 2` trained two layers of 100).
pub const HIDDEN_AND_DEPTH: &str = "hidden and depth both give the hidden layers, and hidden would be ignored: \
     give hidden = [widths…], or depth = N with width = W";

/// Refuses a table with both `hidden` and `depth` ([`HIDDEN_AND_DEPTH`]).
fn one_network(table: &toml::Table) -> Result<()> {
    if table.contains_key("hidden") && table.contains_key("depth") {
        return Err(Error::usage(HIDDEN_AND_DEPTH));
    }
    Ok(())
}

impl RunConfig {
    /// Parses a TOML table, naming unknown keys and bad values, and checks that its data can be found (as
    /// a sweep file's expansion does; what the files hold is checked when they are loaded).
    ///
    /// # Errors
    /// A usage error with TOML's message (which names the key and line), an invalid field, or data that
    /// cannot be found.
    pub fn from_toml(text: &str, source: &str) -> Result<Self> {
        let table: toml::Table = text.parse().map_err(|e| Error::usage(format!("{source}: {e}")))?;
        if let Some(k) = table.keys().find(|k| find_key(k).is_none()) {
            let at = line_of(text, &[k]).map_or(String::new(), |l| format!(":{l}"));
            return Err(Error::usage(format!("{source}{at}: {}", unknown_key(k))));
        }
        one_network(&table).map_err(|e| {
            let at = line_of(text, &["depth"]).map_or(String::new(), |l| format!(":{l}"));
            Error::usage(format!("{source}{at}: {e}"))
        })?;
        let c: RunConfig =
            toml::from_str(text).map_err(|e| Error::usage(format!("{source}: {}", plain_types(&e.to_string()))))?;
        c.validate()?;
        if !c.data.starts_with(CAPTURE_DATA) {
            actscope_data::check(&c.data).map_err(|e| {
                let at = line_of(text, &["data"]).map_or(String::new(), |l| format!(":{l}"));
                Error::usage(format!("{source}{at}: data = {:?}: {e}", c.data))
            })?;
        }
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
        let c = RunConfig::from_table_unvalidated(table).map_err(|e| Error::usage(format!("{source}: {e}")))?;
        c.validate()?;
        Ok(c)
    }

    /// [`RunConfig::from_table`] without validation: keys must be in [`KEYS`] and values of their kind, and
    /// `hidden` and `depth` are not both given.
    ///
    /// # Errors
    /// An unknown key (naming the closest known one), a value of the wrong kind, or both `hidden` and
    /// `depth` (usage).
    pub fn from_table_unvalidated(table: toml::Table) -> Result<Self> {
        if let Some(k) = table.keys().find(|k| find_key(k).is_none()) {
            return Err(unknown_key(k));
        }
        one_network(&table)?;
        RunConfig::deserialize(toml::Value::Table(table)).map_err(|e| Error::usage(plain_types(e.message())))
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
        tc.eval_every = self.eval_cadence(tc.steps_per_epoch(n));
        tc
    }

    /// The evaluations besides step 0 and the end, for `steps_per_epoch`: `evals_per_epoch` per epoch, each at
    /// the first step at or after its exact fraction of the epoch ([`Cadence::per`]); none for 0.
    pub fn eval_cadence(&self, steps_per_epoch: usize) -> Option<Cadence> {
        (self.evals_per_epoch > 0).then(|| Cadence::per(self.evals_per_epoch, steps_per_epoch.max(1)))
    }

    /// The probe's checkpoints besides step 0 and the last step (`last`), for `steps_per_epoch`:
    /// `checkpoints_per_epoch` per epoch as [`RunConfig::eval_cadence`] places evaluations; for 0, none.
    pub fn checkpoint_cadence(&self, steps_per_epoch: usize, last: usize) -> Cadence {
        match self.checkpoints_per_epoch {
            0 => Cadence::every(last.max(1)),
            k => Cadence::per(k, steps_per_epoch.max(1)),
        }
    }

    /// Whether this configuration describes a run `actscope analyze` made from captures (its `data` is
    /// [`CAPTURE_DATA`] and the model's name): only the settings a capture tells are known, the others
    /// (optimizer, learning rate, batch size, …) are actscope's defaults standing in, not the run's.
    pub fn is_from_captures(&self) -> bool {
        self.data.starts_with(CAPTURE_DATA)
    }

    /// A note when `probe_size` asks for more examples than the data's `validation` set holds: the probe
    /// set is then all of validation, the same as `probe_size = validation` under another run id. `None`
    /// when the probe set is as large as asked.
    pub fn probe_note(&self, validation: usize) -> Option<String> {
        (self.probe_size > validation).then(|| {
            format!(
                "note: probe_size = {} is more than the {validation} validation examples of {}; the probe set is \
                 all {validation} of them (records.jsonl's probe_samples says so). probe_size = {validation} would \
                 measure the same examples, under another run id",
                self.probe_size, self.data
            )
        })
    }

    /// Checks every field that can be checked without data or the file system: a data path is not looked
    /// up here (`actscope_data::check` does, as [`RunConfig::from_toml`] and sweep files call it), but a
    /// `synthetic:` name must be one there is.
    ///
    /// # Errors
    /// The first invalid field, named, with what was expected.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, msg: String| Err(Error::usage(format!("invalid {field}: {msg}")));
        if self.data.starts_with("synthetic:")
            && let Err(e) = actscope_data::check(&self.data)
        {
            return bad("data", e.to_string());
        }
        // Absolute caps on depth and width first, before `widths()` expands `depth × width`.
        crate::budget::check_shape(self)?;
        if self.widths().is_empty() {
            return bad(
                "hidden",
                "give hidden = [widths…] or depth = N (at least one hidden layer; settings and sweep files have no \
                 default network, only `actscope train`'s --hidden flag has one, 100,100,100)"
                    .into(),
            );
        }
        if !(self.val_fraction > 0.0 && self.val_fraction < 1.0) {
            return bad("val_fraction", format!("must lie in (0, 1), got {}", short_number(self.val_fraction)));
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be ≥ 1".into());
        }
        if self.steps == Some(0) || self.epochs == 0 {
            return bad(
                if self.epochs == 0 { "epochs" } else { "steps" },
                "must be ≥ 1 (the run must have at least one step)".into(),
            );
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad("momentum", format!("must lie in [0, 1), got {}", short_number(self.momentum)));
        }
        if self.probe_size < 2 {
            return bad("probe_size", format!("must be ≥ 2, got {}", self.probe_size));
        }
        if !(self.tau > 0.0 && self.tau <= 1.0) {
            return bad("tau", format!("must lie in (0, 1], got {}", short_number(self.tau)));
        }
        // As the run computes: in f32, where 1e39 is infinite and 1e-50 is 0.
        self.optimizer_config()?.validate_for::<f32>()?;
        self.mlp_config(1, 2).validate_for::<f32>()?;
        Ok(())
    }

    /// The canonical JSON of the configuration (sorted keys), which identifies the run: of
    /// [`RunConfig::normalized`], so that settings the run ignores do not make another run of it.
    pub fn canonical_json(&self) -> String {
        serde_json::to_value(self.normalized()).expect("serialisable").to_string()
    }

    /// The configuration with every setting the run ignores at its default: `hidden` when `depth` is set,
    /// `width` when it is not, `epochs` when `steps` is set, SGD's `momentum` and `nesterov` for Adam and
    /// AdamW, and BatchNorm's `bn_eps` and `bn_momentum` without BatchNorm; and `data` in one spelling per
    /// path ([`actscope_data::spec::canonical`]: `idx/x`, `idx/x/` and `./idx/x` are one run).
    pub fn normalized(&self) -> RunConfig {
        let d = RunConfig::default();
        let mut c = self.clone();
        c.data = actscope_data::spec::canonical(&c.data);
        if c.depth.is_some() {
            c.hidden = d.hidden.clone();
        } else {
            c.width = d.width;
        }
        if c.steps.is_some() {
            c.epochs = d.epochs;
        }
        if c.optimizer != OptimizerKind::Sgd {
            (c.momentum, c.nesterov) = (d.momentum, d.nesterov);
        }
        if c.placement == Placement::None {
            (c.bn_eps, c.bn_momentum) = (d.bn_eps, d.bn_momentum);
        }
        c
    }

    /// A stable 12-hex-digit id: the start of SHA-256 of the canonical JSON.
    pub fn id(&self) -> String {
        let d = Sha256::digest(self.canonical_json().as_bytes());
        d.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }

    /// The run directory's name: readable settings, sanitised for any file system, then the id.
    pub fn dir_name(&self) -> String {
        // The rate as written (0.1, 1), or in scientific notation where that is long (1e300, not 301 digits).
        let lr = short_number(self.lr);
        let raw = format!(
            "{}-{}-d{}-{}-lr{lr}-s{}",
            self.activation,
            self.placement,
            self.widths().len(),
            self.optimizer,
            self.seed
        );
        format!("{}-{}", name_part(&raw), self.id())
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

/// The longest [`name_part`] (bytes): with the run id and a staging prefix and suffix, a name stays well
/// under the 255 bytes file systems allow.
pub const NAME_PART_MAX: usize = 100;

/// `s` as part of a file name: [`sanitize`]d, and where that is longer than [`NAME_PART_MAX`], its start
/// followed by 12 hex digits of the SHA-256 of `s` (so two long names that share a start stay apart). A
/// setting written out at length, such as `leaky_relu(1e308)`'s 309 digits or a long model name, had made
/// a name the file system refused ("File name too long").
pub fn name_part(s: &str) -> String {
    let clean = sanitize(s);
    if clean.len() <= NAME_PART_MAX {
        return clean;
    }
    let hex = &crate::run::sha256_hex(s.as_bytes())[..12];
    // `sanitize` keeps ASCII only, so any byte is a character boundary.
    format!("{}-{hex}", &clean[..NAME_PART_MAX - hex.len() - 1])
}

/// A deserializer's message in a user's words: "expected usize" names a Rust type where the user wrote a
/// config file ("expected a whole number ≥ 0").
fn plain_types(message: &str) -> String {
    let mut m = message.to_string();
    for (rust, plain) in [
        ("expected usize", "expected a whole number ≥ 0"),
        ("expected u64", "expected a whole number ≥ 0"),
        ("expected u32", "expected a whole number ≥ 0"),
        ("expected f64", "expected a number"),
        ("expected a boolean", "expected true or false"),
    ] {
        m = m.replace(rust, plain);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E1's defaults on the embedded data (9,000 training examples, batch 60: 150 steps per epoch, two epochs):
    /// four evaluations per epoch at 0, 38, 75, …, 300, nine in all (an interval rounded down to 37 steps had
    /// put ten, two of them at 296 and 300); three checkpoints per epoch every 50 steps, four like the
    /// evaluations; none of either for 0.
    #[test]
    fn cadences_land_on_the_fractions_of_an_epoch() {
        let steps = |c: Cadence| (0..=300).filter(|&s| c.hits(s)).collect::<Vec<_>>();
        let mut cfg: RunConfig =
            toml::from_str("batch_size = 60\nepochs = 2\nevals_per_epoch = 4\ncheckpoints_per_epoch = 3").unwrap();
        let tc = cfg.train_config(9000);
        assert_eq!(steps(tc.eval_every.unwrap()), [0, 38, 75, 113, 150, 188, 225, 263, 300]);
        assert_eq!(steps(cfg.checkpoint_cadence(150, 300)), [0, 50, 100, 150, 200, 250, 300]);
        cfg.checkpoints_per_epoch = 4;
        assert_eq!(steps(cfg.checkpoint_cadence(150, 300)), [0, 38, 75, 113, 150, 188, 225, 263, 300]);
        (cfg.evals_per_epoch, cfg.checkpoints_per_epoch) = (0, 0);
        assert_eq!(cfg.train_config(9000).eval_every, None);
        assert_eq!(steps(cfg.checkpoint_cadence(150, 300)), [0, 300]);
    }

    /// Type errors name the kind of value in a user's words, not Rust's ("expected usize").
    /// A setting written out at length gives a name the file system takes (`leaky_relu(1e308)` wrote its 309
    /// digits, and the run failed with "File name too long"); two such names that share their start stay
    /// apart, and short names are as they were (so finished runs keep their directories).
    #[test]
    fn long_settings_give_a_bounded_name_that_stays_distinct() {
        let long = |x: &str| -> RunConfig { toml::from_str(&format!("hidden = [4]\nactivation = \"{x}\"")).unwrap() };
        let (a, b) = (long("leaky_relu(1e308)"), long("leaky_relu(9e307)"));
        assert!(a.activation.to_string().len() > 300, "written out at length: {}", a.activation);
        for c in [&a, &b] {
            assert!(c.dir_name().len() <= NAME_PART_MAX + 13, "{}", c.dir_name());
        }
        let (pa, pb) = (name_part(&"x".repeat(300)), name_part(&format!("{}y", "x".repeat(299))));
        assert!(pa.len() == NAME_PART_MAX && pb.len() == NAME_PART_MAX && pa != pb, "{pa} {pb}");
        let short = long("leaky_relu(0.01)");
        assert_eq!(short.dir_name(), format!("leaky_relu_0.01_-none-d1-sgd-lr0.1-s0-{}", short.id()));
        assert_eq!(name_part("model-s1"), "model-s1");
    }

    /// A settings file with both `hidden` and `depth` is refused, naming the file and depth's line (the run
    /// had taken depth × width and dropped `hidden` without a word); either alone is fine.
    #[test]
    fn hidden_and_depth_together_are_refused() {
        let e = RunConfig::from_toml("hidden = [8]\nsteps = 3\ndepth = 2\n", "c.toml").unwrap_err();
        assert!(e.is_usage(), "{e}");
        assert!(e.to_string().starts_with(&format!("c.toml:3: {HIDDEN_AND_DEPTH}")), "{e}");
        let mut table = toml::Table::new();
        table.insert("hidden".into(), toml::Value::Array(vec![8.into()]));
        table.insert("depth".into(), 2.into());
        assert!(RunConfig::from_table(table, "t").unwrap_err().to_string().contains(HIDDEN_AND_DEPTH));
        assert_eq!(RunConfig::from_toml("depth = 2\nwidth = 8\n", "c.toml").unwrap().widths(), vec![8, 8]);
        assert_eq!(RunConfig::from_toml("hidden = [8]\n", "c.toml").unwrap().widths(), vec![8]);
    }

    #[test]
    fn type_errors_say_what_was_expected_in_plain_words() {
        let e = check_setting("epochs", &toml::Value::String("one".into())).unwrap_err().to_string();
        assert!(e.ends_with("expected a whole number ≥ 0") && !e.contains("usize"), "{e}");
        let e = check_setting("nesterov", &toml::Value::Integer(3)).unwrap_err().to_string();
        assert!(e.ends_with("expected true or false"), "{e}");
        let e = RunConfig::from_toml("hidden = [4]\nepochs = 1.5\n", "c.toml").unwrap_err().to_string();
        assert!(!e.contains("usize") && e.contains("expected a whole number ≥ 0"), "{e}");
    }

    /// Settings a run ignores do not make another run of it (they gave it another id, so it was trained
    /// again and summarised as another row), and an extreme learning rate still gives a short directory
    /// name (1e300 was written out in 301 digits, longer than a file name may be).
    #[test]
    fn ignored_settings_keep_the_id_and_extreme_rates_a_short_name() {
        let cfg = |text: &str| -> RunConfig { toml::from_str(text).unwrap() };
        let same = [
            ("steps = 5\nepochs = 1", "steps = 5\nepochs = 7"),
            ("hidden = [8]", "hidden = [8]\nwidth = 50"),
            ("depth = 2\nwidth = 8", "depth = 2\nwidth = 8\nhidden = [3, 3]"),
            ("optimizer = \"adam\"", "optimizer = \"adam\"\nmomentum = 0.9\nnesterov = true"),
            ("hidden = [8]", "hidden = [8]\nbn_eps = 0.001\nbn_momentum = 0.5"),
            // One directory or file spelled three ways (they had made three runs of the same data).
            ("data = \"idx/x\"", "data = \"./idx//x/\""),
            ("data = \"t.csv#y\"", "data = \"./t.csv#y\""),
        ];
        for (a, b) in same {
            assert_eq!(cfg(a).id(), cfg(b).id(), "{a:?} vs {b:?}");
        }
        let differ = [
            ("epochs = 1", "epochs = 7"),
            ("depth = 2\nwidth = 8", "depth = 2\nwidth = 9"),
            ("momentum = 0.0", "momentum = 0.9"),
            ("placement = \"before\"", "placement = \"before\"\nbn_eps = 0.001"),
            // A directory named like the built-in set is not the built-in set.
            ("data = \"embedded\"", "data = \"./embedded\""),
            ("data = \"t.csv#y\"", "data = \"t.csv#z\""),
        ];
        for (a, b) in differ {
            assert_ne!(cfg(a).id(), cfg(b).id(), "{a:?} vs {b:?}");
        }
        assert!(cfg("lr = 1e300").dir_name().starts_with("relu-none-d0-sgd-lr1e300-s0-"));
        assert!(cfg("lr = 1e-300").dir_name().starts_with("relu-none-d0-sgd-lr1e-300-s0-"));
        assert!(cfg("lr = 0.1").dir_name().starts_with("relu-none-d0-sgd-lr0.1-s0-"), "usual rates as before");
        assert!(cfg("lr = 1.0").dir_name().starts_with("relu-none-d0-sgd-lr1-s0-"));
    }

    /// The list of settings cannot drift from the parser: its keys are exactly the fields of `RunConfig`
    /// (which the parser takes, and no other), and every default it shows is `RunConfig::default()`'s.
    #[test]
    fn the_settings_list_is_the_parsers() {
        let fields: Vec<String> = match serde_json::to_value(RunConfig::default()).unwrap() {
            serde_json::Value::Object(m) => m.keys().cloned().collect(),
            _ => unreachable!(),
        };
        let mut listed: Vec<String> = KEYS.iter().map(|k| k.name.to_string()).collect();
        listed.sort();
        assert_eq!(listed, fields, "KEYS and RunConfig's fields");
        let all = settings();
        // The defaults as listed, read back through the parser, are the defaults.
        let mut table = toml::Table::new();
        for s in &all {
            if !s.default.is_null() {
                let v: toml::Value = serde_json::from_value(s.default.clone()).unwrap();
                check_setting(s.key.name, &v).unwrap();
                table.insert(s.key.name.to_string(), v);
            }
        }
        assert_eq!(RunConfig::from_table_unvalidated(table).unwrap(), RunConfig::default());
        let from_json: RunConfig = serde_json::from_value(serde_json::Value::Object(
            all.iter().map(|s| (s.key.name.to_string(), s.default.clone())).collect(),
        ))
        .unwrap();
        assert_eq!(from_json, RunConfig::default());
        assert_eq!(all.iter().find(|s| s.key.name == "lr").unwrap().default_text(), "0.1");
        assert_eq!(all.iter().find(|s| s.key.name == "bias_init").unwrap().default_text(), "unset");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_closest_known_one() {
        let e = check_setting("lrr", &toml::Value::Float(0.1)).unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("unknown setting `lrr`; did you mean `lr`?"), "{e}");
        let e = check_setting("zzzzzz", &toml::Value::Float(0.1)).unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
        let e = check_setting("lr", &toml::Value::String("fast".into())).unwrap_err();
        assert!(e.to_string().starts_with("lr = \"fast\": invalid type"), "{e}");
        let e = RunConfig::from_toml("hidden = [4]\n\nbatchsize = 3\n", "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml:3: unknown setting `batchsize`; did you mean `batch_size`?"), "{e}");
    }

    /// A configuration's data is checked as a sweep file's is: `from_toml` accepted `data = "nonsense"` and
    /// `"synthetic:foo"`, which `SweepFile::expand` refuses.
    #[test]
    fn data_that_cannot_be_found_is_refused_by_from_toml_and_an_unknown_synthetic_set_by_validate() {
        let e = RunConfig::from_toml("hidden = [4]\ndata = \"synthetic:foo\"\n", "c.toml").unwrap_err();
        assert!(e.is_usage() && e.to_string().starts_with("invalid data: "), "{e}");
        let e = RunConfig::from_toml("hidden = [4]\n\ndata = \"/nonexistent/dir\"\n", "c.toml").unwrap_err();
        assert!(e.is_usage() && e.to_string().starts_with("c.toml:3: data = \"/nonexistent/dir\": "), "{e}");
        assert!(e.to_string().contains("/nonexistent/dir"), "{e}");
        let c = RunConfig { data: "synthetic:foo".into(), hidden: vec![4], ..RunConfig::default() };
        assert!(c.validate().is_err());
        assert!(RunConfig::from_toml("hidden = [4]\ndata = \"synthetic:spirals\"\n", "c.toml").is_ok());
    }

    #[test]
    fn lines_of_keys() {
        let text = "name = \"x\"\n[base]\nlr = 1\n\n[axes]\nseed = [0,\n 1]\n[profile.smoke.axes]\nseed = [0]\n";
        assert_eq!(line_of(text, &["name"]), Some(1));
        assert_eq!(line_of(text, &["base", "lr"]), Some(3));
        assert_eq!(line_of(text, &["axes", "seed"]), Some(6));
        assert_eq!(line_of(text, &["profile", "smoke", "axes", "seed"]), Some(9));
        assert_eq!(line_of(text, &["axes", "lr"]), None);
        assert_eq!(line_of("[broken", &["x"]), None);
    }
}
