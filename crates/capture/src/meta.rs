//! A capture's metadata: the safetensors `__metadata__` map of `docs/capture.md`, parsed and checked.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use actscope_core::{Activation, Placement};
use serde_json::{Map, Value, json};

use crate::error::Problem;

/// The value of the `format` field.
pub const FORMAT: &str = "actscope.capture";
/// The format version this build reads and writes.
pub const VERSION: u32 = 1;

/// The element type of every tensor of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// 32-bit floats (safetensors `F32`).
    F32,
    /// 64-bit floats (safetensors `F64`).
    F64,
}

impl Dtype {
    /// The name the `dtype` field uses (`f32`, `f64`).
    pub fn name(self) -> &'static str {
        match self {
            Dtype::F32 => "f32",
            Dtype::F64 => "f64",
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A hidden layer's activation: one actscope knows, or an unknown one whose φ′ the capture supplies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActivationSpec {
    /// An actscope activation; φ(z) and φ′(z) are computed by actscope.
    Known(Activation),
    /// An activation actscope does not know: φ′(z) is the tensor `layers.<i>.dphi`, and `dphi_max` is
    /// sup φ′, the scale of the saturation threshold.
    Unknown {
        /// sup φ′ over the reals (> 0).
        dphi_max: f64,
    },
}

impl From<Activation> for ActivationSpec {
    fn from(a: Activation) -> Self {
        ActivationSpec::Known(a)
    }
}

impl fmt::Display for ActivationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActivationSpec::Known(a) => write!(f, "{a}"),
            ActivationSpec::Unknown { .. } => f.write_str("unknown"),
        }
    }
}

/// What a layer is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Role {
    /// Linear → activation, with BatchNorm before or after the activation, or none.
    Hidden {
        /// The activation φ.
        activation: ActivationSpec,
        /// Where BatchNorm sits.
        bn: Placement,
    },
    /// The last Linear, with no activation.
    Output,
}

/// One entry of the `layers` field.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerMeta {
    /// The layer's name in the model (for display).
    pub name: String,
    /// Its width (output features of its Linear).
    pub units: usize,
    /// Hidden or output.
    pub role: Role,
}

impl LayerMeta {
    /// A hidden layer.
    pub fn hidden(name: impl Into<String>, units: usize, activation: ActivationSpec, bn: Placement) -> Self {
        LayerMeta { name: name.into(), units, role: Role::Hidden { activation, bn } }
    }

    /// The output layer.
    pub fn output(name: impl Into<String>, units: usize) -> Self {
        LayerMeta { name: name.into(), units, role: Role::Output }
    }
}

/// Everything a capture says about itself besides its tensors (the file's `dtype` is its element type).
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// The model's name; captures of one model and seed form a run.
    pub model: String,
    /// The run's seed.
    pub seed: u64,
    /// Optimizer updates done before this checkpoint.
    pub step: usize,
    /// Epochs done (fractional), if known.
    pub epoch: Option<f64>,
    /// Mean loss over the probe batch in this pass, if known (may be non-finite).
    pub loss: Option<f64>,
    /// The layers, input side first; the last is the output layer.
    pub layers: Vec<LayerMeta>,
    /// The writer's own `x-…` fields.
    pub extra: BTreeMap<String, String>,
}

const KEYS: [&str; 9] = ["format", "version", "model", "seed", "step", "epoch", "loss", "dtype", "layers"];

impl Meta {
    /// Metadata with no epoch, loss or extra fields.
    pub fn new(model: impl Into<String>, seed: u64, step: usize, layers: Vec<LayerMeta>) -> Self {
        Meta { model: model.into(), seed, step, epoch: None, loss: None, layers, extra: BTreeMap::new() }
    }

    /// The hidden layers' metadata, in order.
    pub fn hidden(&self) -> impl Iterator<Item = (&LayerMeta, ActivationSpec, Placement)> {
        self.layers.iter().filter_map(|l| match l.role {
            Role::Hidden { activation, bn } => Some((l, activation, bn)),
            Role::Output => None,
        })
    }

    /// The `__metadata__` map for a file of element type `dtype`.
    pub fn to_map(&self, dtype: Dtype) -> HashMap<String, String> {
        let layers: Vec<Value> = self
            .layers
            .iter()
            .map(|l| {
                let mut o = json!({ "name": l.name, "units": l.units });
                let o = o.as_object_mut().expect("an object");
                match l.role {
                    Role::Hidden { activation, bn } => {
                        o.insert("kind".into(), "hidden".into());
                        o.insert("activation".into(), activation.to_string().into());
                        if let ActivationSpec::Unknown { dphi_max } = activation {
                            o.insert("dphi_max".into(), dphi_max.into());
                        }
                        o.insert("bn".into(), bn.to_string().into());
                    }
                    Role::Output => {
                        o.insert("kind".into(), "output".into());
                    }
                }
                Value::Object(o.clone())
            })
            .collect();
        let mut m: HashMap<String, String> = self.extra.clone().into_iter().collect();
        m.insert("format".into(), FORMAT.into());
        m.insert("version".into(), VERSION.to_string());
        m.insert("model".into(), self.model.clone());
        m.insert("seed".into(), self.seed.to_string());
        m.insert("step".into(), self.step.to_string());
        if let Some(e) = self.epoch {
            m.insert("epoch".into(), e.to_string());
        }
        if let Some(l) = self.loss {
            m.insert("loss".into(), l.to_string());
        }
        m.insert("dtype".into(), dtype.name().into());
        m.insert("layers".into(), Value::Array(layers).to_string());
        m
    }

    /// Parses and checks a `__metadata__` map (`None`: the file has none); returns the metadata and the
    /// file's dtype.
    ///
    /// # Errors
    /// The first rule of `docs/capture.md` the map breaks.
    pub fn from_map(map: Option<&HashMap<String, String>>) -> Result<(Meta, Dtype), Problem> {
        let Some(map) = map else {
            return Err(Problem::NotCapture("the safetensors header has no __metadata__".into()));
        };
        match map.get("format") {
            Some(f) if f == FORMAT => {}
            Some(f) => {
                return Err(Problem::NotCapture(format!("metadata field `format` is {f:?}, expected {FORMAT:?}")));
            }
            None => return Err(Problem::NotCapture("no metadata field `format`".into())),
        }
        match map.get("version") {
            Some(v) if *v == VERSION.to_string() => {}
            Some(v) => return Err(Problem::Version { found: v.clone(), supported: VERSION }),
            None => return Err(Problem::field("version", format!("missing; expected \"{VERSION}\""))),
        }
        let mut unknown: Vec<&String> =
            map.keys().filter(|k| !KEYS.contains(&k.as_str()) && !k.starts_with("x-")).collect();
        unknown.sort();
        if let Some(k) = unknown.first() {
            return Err(Problem::field(
                k.as_str(),
                format!("unknown field (known: {}; writers' own fields start with `x-`)", KEYS.join(", ")),
            ));
        }
        let get = |k: &str| map.get(k).ok_or_else(|| Problem::field(k, "missing (required)"));
        let model = get("model")?.clone();
        if model.trim().is_empty() {
            return Err(Problem::field("model", "empty; expected the model's name"));
        }
        let seed = parse_uint(get("seed")?, "seed")?;
        let step = usize::try_from(parse_uint(get("step")?, "step")?)
            .map_err(|_| Problem::field("step", "too large for this machine"))?;
        let epoch = match map.get("epoch") {
            Some(e) => Some(
                e.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| Problem::field("epoch", format!("{e:?} is not a finite number ≥ 0")))?,
            ),
            None => None,
        };
        let loss = match map.get("loss") {
            Some(l) => Some(parse_float(l).ok_or_else(|| Problem::field("loss", format!("{l:?} is not a number")))?),
            None => None,
        };
        let dtype = match get("dtype")?.as_str() {
            "f32" => Dtype::F32,
            "f64" => Dtype::F64,
            other => return Err(Problem::field("dtype", format!("{other:?}; expected \"f32\" or \"f64\""))),
        };
        let layers = parse_layers(get("layers")?)?;
        let extra = map.iter().filter(|(k, _)| k.starts_with("x-")).map(|(k, v)| (k.clone(), v.clone())).collect();
        Ok((Meta { model, seed, step, epoch, loss, layers, extra }, dtype))
    }
}

/// Decimal digits only, as capture.md writes an unsigned integer: no sign, no spaces (`"+7"` and `" 3 "`
/// were read as 7 and 3).
fn parse_uint(s: &str, field: &str) -> Result<u64, Problem> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(Problem::field(field, format!("{s:?} is not an unsigned integer (decimal digits)")));
    }
    // Digits past u64 (a seed of 2**64 was called "not an unsigned integer").
    s.parse::<u64>().map_err(|_| {
        Problem::field(field, format!("{s} is larger than 18446744073709551615 (2^64 − 1), the largest allowed"))
    })
}

/// A decimal number, also `NaN`, `inf`, `-inf` (Python's `repr` and Rust's `Display` spellings).
fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "nan" | "NaN" => Some(f64::NAN),
        "inf" | "Infinity" => Some(f64::INFINITY),
        "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        t => t.parse().ok(),
    }
}

fn parse_layers(text: &str) -> Result<Vec<LayerMeta>, Problem> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Problem::field("layers", format!("not JSON ({e}); expected a JSON array of layer objects")))?;
    let Value::Array(items) = value else {
        return Err(Problem::field("layers", "not a JSON array; expected one object per layer"));
    };
    let mut layers = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(Problem::field(format!("layers[{i}]"), "not a JSON object"));
        };
        layers.push(parse_layer(i, o)?);
    }
    let outputs: Vec<usize> =
        layers.iter().enumerate().filter(|(_, l)| l.role == Role::Output).map(|(i, _)| i).collect();
    match outputs.as_slice() {
        [o] if *o + 1 == layers.len() && layers.len() >= 2 => {}
        [o] if *o + 1 == layers.len() => {
            return Err(Problem::field("layers", "no hidden layer; expected at least one before the output layer"));
        }
        [] => return Err(Problem::field("layers", "no layer of kind \"output\"; expected exactly one, the last")),
        _ => {
            return Err(Problem::field(
                "layers",
                format!("output layers at positions {outputs:?}; expected exactly one, the last"),
            ));
        }
    }
    for (i, l) in layers.iter().enumerate() {
        if layers[..i].iter().any(|m| m.name == l.name) {
            return Err(Problem::field(
                format!("layers[{i}].name"),
                format!("{:?} is used twice; names must be unique", l.name),
            ));
        }
    }
    Ok(layers)
}

fn parse_layer(i: usize, o: &Map<String, Value>) -> Result<LayerMeta, Problem> {
    let field = |k: &str| format!("layers[{i}].{k}");
    let string = |k: &str| -> Result<&str, Problem> {
        match o.get(k) {
            Some(Value::String(s)) => Ok(s),
            Some(v) => Err(Problem::field(field(k), format!("{v} is not a string"))),
            None => Err(Problem::field(field(k), "missing (required)")),
        }
    };
    let name = string("name")?.to_string();
    if name.is_empty() {
        return Err(Problem::field(field("name"), "empty"));
    }
    let units = match o.get("units") {
        Some(v) => v.as_u64().filter(|u| *u >= 1).and_then(|u| usize::try_from(u).ok()),
        None => return Err(Problem::field(field("units"), "missing (required)")),
    }
    .ok_or_else(|| Problem::field(field("units"), format!("{} is not an integer ≥ 1", o["units"])))?;
    let (role, allowed): (Role, &[&str]) = match string("kind")? {
        "output" => (Role::Output, &["name", "kind", "units"]),
        "hidden" => {
            let act = string("activation")?;
            let activation = if act == "unknown" {
                let dphi_max = o
                    .get("dphi_max")
                    .ok_or_else(|| Problem::field(field("dphi_max"), "missing; required with activation \"unknown\""))?
                    .as_f64()
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .ok_or_else(|| {
                        Problem::field(field("dphi_max"), format!("{} is not a finite number > 0", o["dphi_max"]))
                    })?;
                ActivationSpec::Unknown { dphi_max }
            } else if act.chars().any(|c| c.is_uppercase()) {
                // The names are lowercase (`relu`, not `ReLU`, which the command line's parser accepts).
                return Err(Problem::field(
                    field("activation"),
                    format!("{act:?}: activation names are lowercase (e.g. \"{}\")", act.to_lowercase()),
                ));
            } else {
                ActivationSpec::Known(act.parse::<Activation>().map_err(|e| {
                    Problem::field(field("activation"), format!("{e}; or \"unknown\" with the tensor dphi"))
                })?)
            };
            let bn = match string("bn")? {
                "none" => Placement::None,
                "before" => Placement::Before,
                "after" => Placement::After,
                other => {
                    return Err(Problem::field(
                        field("bn"),
                        format!("{other:?}; expected \"none\", \"before\" or \"after\""),
                    ));
                }
            };
            let allowed: &[&str] = if matches!(activation, ActivationSpec::Unknown { .. }) {
                &["name", "kind", "units", "activation", "dphi_max", "bn"]
            } else {
                &["name", "kind", "units", "activation", "bn"]
            };
            (Role::Hidden { activation, bn }, allowed)
        }
        other => return Err(Problem::field(field("kind"), format!("{other:?}; expected \"hidden\" or \"output\""))),
    };
    let mut extra: Vec<&String> = o.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
    extra.sort();
    if let Some(k) = extra.first() {
        return Err(Problem::field(field(k), format!("not allowed here (allowed: {})", allowed.join(", "))));
    }
    Ok(LayerMeta { name, units, role })
}
