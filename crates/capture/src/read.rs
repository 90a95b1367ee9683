//! Reading a capture, checking every rule of `docs/capture.md`: metadata, tensor names, dtypes, shapes
//! and values. The first broken rule is reported with the file and the field or tensor.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use actscope_core::Placement;
use ndarray::{Array1, Array2};
use safetensors::SafeTensors;

use crate::element::Element;
use crate::error::{Error, Problem};
use crate::meta::{ActivationSpec, Dtype, Meta};
use crate::tensors::{BnTensors, Capture, Hidden, Output};

/// A capture of either element type, as a file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyCapture {
    /// A capture of `f32` tensors.
    F32(Capture<f32>),
    /// A capture of `f64` tensors.
    F64(Capture<f64>),
}

impl AnyCapture {
    /// Its metadata.
    pub fn meta(&self) -> &Meta {
        match self {
            AnyCapture::F32(c) => &c.meta,
            AnyCapture::F64(c) => &c.meta,
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path)
        .map_err(|error| Error { path: path.to_path_buf(), problem: Problem::Io { action: "reading", error } })
}

/// Reads the capture at `path`, whichever its element type.
///
/// # Errors
/// The file cannot be read, or breaks a rule of the format.
pub fn read_any(path: &Path) -> Result<AnyCapture, Error> {
    let bytes = read_file(path)?;
    let at = |problem| Error { path: path.to_path_buf(), problem };
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| at(Problem::Container(e.to_string())))?;
    let (_, dtype) = Meta::from_map(header.metadata().as_ref()).map_err(at)?;
    Ok(match dtype {
        Dtype::F32 => AnyCapture::F32(from_bytes(&bytes, path)?),
        Dtype::F64 => AnyCapture::F64(from_bytes(&bytes, path)?),
    })
}

/// Reads the capture at `path`, whose tensors must be of type `F`.
///
/// # Errors
/// The file cannot be read, breaks a rule of the format, or holds the other element type.
pub fn read<F: Element>(path: &Path) -> Result<Capture<F>, Error> {
    from_bytes(&read_file(path)?, path)
}

/// Parses and checks a capture's bytes; `path` is the file name errors mention.
///
/// # Errors
/// The first rule of `docs/capture.md` the bytes break.
pub fn from_bytes<F: Element>(bytes: &[u8], path: &Path) -> Result<Capture<F>, Error> {
    parse(bytes).map_err(|problem| Error { path: path.to_path_buf(), problem })
}

/// The tensors of a file by name, each taken at most once.
struct Tensors<'a> {
    st: SafeTensors<'a>,
    dtype: safetensors::Dtype,
    taken: BTreeSet<String>,
}

impl Tensors<'_> {
    fn raw<F: Element>(&mut self, name: &str, shape: &[usize], finite: bool) -> Result<Option<Vec<F>>, Problem> {
        let t = match self.st.tensor(name) {
            Ok(t) => t,
            Err(_) => return Ok(None),
        };
        self.taken.insert(name.to_string());
        if t.dtype() != self.dtype {
            return Err(Problem::tensor(name, format!("dtype {:?}, but the metadata says {}", t.dtype(), F::DTYPE)));
        }
        if t.shape() != shape {
            return Err(Problem::tensor(name, format!("shape {:?}; expected {shape:?}", t.shape())));
        }
        let values = F::decode(t.data());
        if finite && let Some(i) = values.iter().position(|v| !v.f64().is_finite()) {
            let index =
                if shape.len() == 2 { format!("[{}, {}]", i / shape[1], i % shape[1]) } else { format!("[{i}]") };
            return Err(Problem::tensor(
                name,
                format!("value {} at {index}; every value must be finite", values[i].f64()),
            ));
        }
        Ok(Some(values))
    }

    fn matrix<F: Element>(
        &mut self,
        name: &str,
        shape: [usize; 2],
        finite: bool,
    ) -> Result<Option<Array2<F>>, Problem> {
        Ok(self.raw(name, &shape, finite)?.map(|v| Array2::from_shape_vec(shape, v).expect("checked shape")))
    }

    fn vector<F: Element>(&mut self, name: &str, len: usize, finite: bool) -> Result<Option<Array1<F>>, Problem> {
        Ok(self.raw(name, &[len], finite)?.map(Array1::from_vec))
    }

    /// The shape of a tensor that must be present, before its values are read.
    fn shape_of(&self, name: &str, why: &str) -> Result<Vec<usize>, Problem> {
        self.st.tensor(name).map(|t| t.shape().to_vec()).map_err(|_| Problem::tensor(name, format!("missing ({why})")))
    }
}

/// Largest difference allowed between a supplied `a` and actscope's φ(z), relative to max(1, |φ(z)|): room
/// for another library's rounding of the same function, none for another function.
const A_TOLERANCE: f64 = 1e-3;

/// Refuses an `a` that is not φ(z): the a-statistics would describe one function and the rules computed
/// from z another (a ReLU layer given sigmoid(z) was accepted).
fn check_a<F: Element>(
    name: &str,
    act: actscope_core::Activation,
    z: &Array2<F>,
    a: &Array2<F>,
) -> Result<(), Problem> {
    let mut phi = Array2::<F>::zeros(z.dim());
    act.forward_into(z.view(), phi.view_mut());
    let bad = a.indexed_iter().zip(phi.iter()).find(|((_, x), y)| {
        let (x, y) = (x.f64(), y.f64());
        (x - y).abs() > A_TOLERANCE * y.abs().max(1.0)
    });
    match bad {
        None => Ok(()),
        Some((((r, c), x), y)) => Err(Problem::tensor(
            name,
            format!(
                "value {} at [{r}, {c}] is not {act}(z) = {} (z = {}); a must be the activation's output",
                x.f64(),
                y.f64(),
                z[[r, c]].f64()
            ),
        )),
    }
}

/// A BatchNorm variance, refused where negative.
fn nonnegative<F: Element>(name: &str, v: Array1<F>) -> Result<Array1<F>, Problem> {
    match v.iter().position(|x| x.f64() < 0.0) {
        None => Ok(v),
        Some(i) => Err(Problem::tensor(name, format!("value {} at [{i}]; a variance must be ≥ 0", v[i].f64()))),
    }
}

fn required<T>(x: Option<T>, name: &str, why: &str) -> Result<T, Problem> {
    x.ok_or_else(|| Problem::tensor(name, format!("missing ({why})")))
}

fn parse<F: Element>(bytes: &[u8]) -> Result<Capture<F>, Problem> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| Problem::Container(e.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| Problem::Container(e.to_string()))?;
    let (meta, dtype) = Meta::from_map(header.metadata().as_ref())?;
    if dtype != F::DTYPE {
        return Err(Problem::field("dtype", format!("{dtype}, but {} was asked for", F::DTYPE)));
    }
    let st_dtype = match dtype {
        Dtype::F32 => safetensors::Dtype::F32,
        Dtype::F64 => safetensors::Dtype::F64,
    };
    let mut t = Tensors { st, dtype: st_dtype, taken: BTreeSet::new() };
    // n and the input width come from layer 0's z and weight: each must be a matrix before they are read
    // (a 1-D weight was reported as a bad z).
    let matrix = |name: &str, shape: Vec<usize>, expected: &str| {
        if shape.len() == 2 {
            Ok(shape)
        } else {
            Err(Problem::tensor(name, format!("shape {shape:?}; expected {expected}")))
        }
    };
    let z0 = matrix("layers.0.z", t.shape_of("layers.0.z", "every hidden layer needs z")?, "[n, units]")?;
    let w0 =
        matrix("layers.0.weight", t.shape_of("layers.0.weight", "every layer needs its weight")?, "[units, inputs]")?;
    let (n, input) = (z0[0], w0[1]);
    if n == 0 {
        return Err(Problem::tensor("layers.0.z", "no rows; the probe batch needs at least one example"));
    }
    let mut fan_in = input;
    let mut hidden = Vec::new();
    for (i, (layer, activation, bn)) in meta.hidden().enumerate() {
        let u = layer.units;
        let name = |s: &str| format!("layers.{i}.{s}");
        let nu = [n, u];
        let z = required(t.matrix(&name("z"), nu, true)?, &name("z"), "every hidden layer needs z")?;
        let unknown = matches!(activation, ActivationSpec::Unknown { .. });
        let a = t.matrix(&name("a"), nu, true)?;
        if unknown && a.is_none() {
            return Err(Problem::tensor(name("a"), "missing (required with activation \"unknown\")"));
        }
        if let (ActivationSpec::Known(act), Some(a)) = (activation, &a) {
            check_a(&name("a"), act, &z, a)?;
        }
        let dphi = t.matrix(&name("dphi"), nu, true)?;
        if let (ActivationSpec::Unknown { dphi_max }, Some(d)) = (activation, &dphi) {
            // sup φ′ is the level saturation is measured against: a slope above it breaks the rules.
            if let Some(i) = d.iter().position(|v: &F| v.f64() > dphi_max * (1.0 + 1e-6)) {
                let (r, c) = (i / u, i % u);
                return Err(Problem::tensor(
                    name("dphi"),
                    format!(
                        "value {} at [{r}, {c}] is above dphi_max = {dphi_max}, which must be sup φ′",
                        d[[r, c]].f64()
                    ),
                ));
            }
        }
        match (unknown, dphi.is_some()) {
            (true, false) => {
                return Err(Problem::tensor(name("dphi"), "missing (required with activation \"unknown\")"));
            }
            (false, true) => {
                return Err(Problem::tensor(
                    name("dphi"),
                    format!("given, but the activation is {activation}: only \"unknown\" activations take φ′"),
                ));
            }
            _ => {}
        }
        let grad_z = t.matrix(&name("grad_z"), nu, false)?;
        let weight =
            required(t.matrix(&name("weight"), [u, fan_in], true)?, &name("weight"), "every layer needs its weight")?;
        let grad_weight = required(
            t.matrix(&name("grad_weight"), [u, fan_in], false)?,
            &name("grad_weight"),
            "every layer needs its weight gradient",
        )?;
        let grad_bias = t.vector(&name("grad_bias"), u, false)?;
        let bn_tensors = if bn == Placement::None {
            None
        } else {
            if n < 2 {
                return Err(Problem::tensor(
                    name("z"),
                    "one row; BatchNorm needs a probe batch of at least 2 examples",
                ));
            }
            let why = format!("required with bn \"{bn}\"");
            Some(BnTensors {
                mean: required(t.vector(&name("bn.mean"), u, true)?, &name("bn.mean"), &why)?,
                var: nonnegative(
                    &name("bn.var"),
                    required(t.vector(&name("bn.var"), u, true)?, &name("bn.var"), &why)?,
                )?,
                running_mean: t.vector(&name("bn.running_mean"), u, true)?,
                running_var: t.vector(&name("bn.running_var"), u, true)?,
                gamma: t.vector(&name("bn.gamma"), u, true)?,
                beta: t.vector(&name("bn.beta"), u, true)?,
            })
        };
        hidden.push(Hidden { z, a, dphi, grad_z, weight, grad_weight, grad_bias, bn: bn_tensors });
        fan_in = u;
    }
    let k = hidden.len();
    let out = meta.layers.last().expect("checked: an output layer").units;
    let name = |s: &str| format!("layers.{k}.{s}");
    let output = Output {
        weight: required(
            t.matrix(&name("weight"), [out, fan_in], true)?,
            &name("weight"),
            "every layer needs its weight",
        )?,
        grad_weight: required(
            t.matrix(&name("grad_weight"), [out, fan_in], false)?,
            &name("grad_weight"),
            "every layer needs its weight gradient",
        )?,
        grad_bias: t.vector(&name("grad_bias"), out, false)?,
    };
    let all: HashMap<String, ()> = t.st.names().into_iter().map(|s| (s.to_string(), ())).collect();
    let mut extra: Vec<&String> = all.keys().filter(|k| !t.taken.contains(*k)).collect();
    extra.sort();
    if let Some(e) = extra.first() {
        return Err(Problem::tensor(
            e.as_str(),
            "not a tensor of the capture format for these layers (docs/capture.md lists the names)",
        ));
    }
    Ok(Capture { meta, hidden, output })
}

/// Reads only the metadata of the capture at `path` (the safetensors header, not the tensors): enough to
/// group and order many captures before reading each in full with [`read_any`].
///
/// # Errors
/// The file cannot be read, its header is not a safetensors header, or its metadata breaks a rule of the
/// format (the tensors are not checked).
pub fn read_meta(path: &Path) -> Result<(Meta, Dtype), Error> {
    use std::io::Read;
    let at = |problem| Error { path: path.to_path_buf(), problem };
    let io = |error| at(Problem::Io { action: "reading", error });
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).map_err(|_| at(Problem::Container("shorter than the 8-byte header length".into())))?;
    let len = u64::from_le_bytes(len);
    let file_len = f.metadata().map_err(io)?.len();
    if len > 100_000_000 || len + 8 > file_len {
        return Err(at(Problem::Container(format!("header length {len} does not fit a file of {file_len} bytes"))));
    }
    let mut header = vec![0u8; len as usize];
    f.read_exact(&mut header).map_err(io)?;
    let value: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| at(Problem::Container(format!("header is not JSON: {e}"))))?;
    let meta = match value.get("__metadata__") {
        None => None,
        Some(m) => Some(
            serde_json::from_value::<HashMap<String, String>>(m.clone())
                .map_err(|e| at(Problem::Container(format!("__metadata__ is not a string map: {e}"))))?,
        ),
    };
    Meta::from_map(meta.as_ref()).map_err(at)
}
