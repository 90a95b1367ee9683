//! Record types: what a run writes, one JSON object per line (`records.jsonl`), and what plots and reports
//! read. Every file starts with a [`Record::Header`] carrying [`SCHEMA_VERSION`].
//!
//! Memory and file size grow with checkpoints × layers × bins, never with steps × units.

use actscope_core::EvalPoint;
use serde::{Deserialize, Serialize};

use crate::distribution::{Bins, Histogram, Summary};
use crate::units::{Dead, Saturation};

/// Version of the record schema; bumped on any incompatible change. Version 2 added
/// [`Checkpoint::probe_samples`]; version 3 [`Checkpoint::measured_on`]; version 4 writes ±∞ as `"inf"` /
/// `"-inf"` and an optional NaN as `"nan"` (`actscope_core::serde_nan`), where older files have `null` for
/// every non-finite value.
pub const SCHEMA_VERSION: u32 = 4;

/// The oldest schema version [`read_jsonl`] still reads (older files lack only fields it can fill in).
pub const OLDEST_READABLE_SCHEMA: u32 = 1;

/// One line of `records.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    /// First line: how to read the rest.
    Header(Header),
    /// Metrics of every hidden layer on the probe set at one step.
    Checkpoint(Checkpoint),
    /// An evaluation on a named set.
    Eval(EvalPoint),
    /// Cheap scalars of one training step (when per-step scalars are on).
    Step(StepScalars),
}

/// The first record of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema: u32,
    /// The activation, in its text form (e.g. `leaky_relu(0.01)`).
    pub activation: String,
    /// BN placement: `none`, `before` or `after`.
    pub placement: String,
    /// Hidden widths, input side first.
    pub hidden: Vec<usize>,
    /// Probe-set size: the examples measured at the first and the last checkpoint (each checkpoint says
    /// how many it measured).
    pub probe_samples: usize,
    /// The saturation / dead-unit threshold τ.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub tau: f64,
    /// Histogram bins of z.
    pub z_bins: Bins,
    /// Histogram bins of a.
    pub a_bins: Bins,
    /// Index of the tracked unit in the last hidden layer.
    pub tracked_unit: usize,
}

/// BN parameter statistics of a layer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BnParams {
    /// Mean of γ over units.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub gamma_mean: f64,
    /// Population standard deviation of γ over units.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub gamma_std: f64,
    /// Mean of β over units.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub beta_mean: f64,
    /// Population standard deviation of β over units.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub beta_std: f64,
}

/// Metrics of one hidden layer at a checkpoint (see the crate docs for every definition).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// Layer index, input side first.
    pub layer: usize,
    /// Number of units.
    pub units: usize,
    /// Distribution of z (the input of φ).
    pub z: Summary,
    /// Distribution of a = φ(z).
    pub a: Summary,
    /// Histogram of z.
    pub z_hist: Histogram,
    /// Histogram of a.
    pub a_hist: Histogram,
    /// Saturation (bounded φ only).
    pub saturation: Option<Saturation>,
    /// Dead units (ReLU family only).
    pub dead: Option<Dead>,
    /// Share of z in φ's near-linear region (φ′ ≥ 0.9 sup φ′).
    #[serde(with = "actscope_core::serde_nan::float")]
    pub near_linear: f64,
    /// ‖∂L/∂W‖.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub grad_w_norm: f64,
    /// ‖∂L/∂b‖ (none without bias).
    #[serde(default, with = "actscope_core::serde_nan::opt_float")]
    pub grad_b_norm: Option<f64>,
    /// Mean square of ∂L/∂z.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub grad_z_ms: f64,
    /// ‖W‖.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub weight_norm: f64,
    /// ‖ΔW‖/‖W‖ over the update that followed (none at the last step).
    #[serde(default, with = "actscope_core::serde_nan::opt_float")]
    pub update_ratio: Option<f64>,
    /// γ/β statistics (with BN).
    pub bn: Option<BnParams>,
    /// Effective rank of a on the probe set (when enabled). NaN when a is not finite (a diverged network),
    /// written as `"nan"` (see `actscope_core::serde_nan`).
    #[serde(default, with = "actscope_core::serde_nan::opt_float")]
    pub effective_rank: Option<f64>,
    /// {15, 50, 85} percentiles of the tracked unit's z (last hidden layer only).
    #[serde(with = "actscope_core::serde_nan::opt_arr3")]
    pub tracked_unit: Option<[f64; 3]>,
}

/// Metrics of the whole network on the probe set at one step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// Updates done.
    pub step: usize,
    /// Epochs done (fractional).
    #[serde(with = "actscope_core::serde_nan::float")]
    pub epoch: f64,
    /// Mean loss on the examples measured (train-mode BN).
    #[serde(with = "actscope_core::serde_nan::float")]
    pub loss: f64,
    /// How many examples this checkpoint measured: the whole probe set ([`Header::probe_samples`]) or the
    /// sub-sample of the checkpoints in between (see `actscope_metrics::probe`). Written since schema 2;
    /// [`read_jsonl`] fills it in from the header for older files, which measured the whole probe set.
    #[serde(default)]
    pub probe_samples: Option<usize>,
    /// Which examples this checkpoint measured: the probe set (or its first rows), or the training step's
    /// own batch. Written since schema 3; older files measured the probe set.
    #[serde(default)]
    pub measured_on: MeasuredOn,
    /// Per hidden layer.
    pub layers: Vec<LayerRecord>,
    /// ‖∂L/∂W‖ of the output layer.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub output_grad_w_norm: f64,
    /// log10(‖∂L/∂W₁‖/‖∂L/∂W_out‖), first hidden vs output layer.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub vanishing_index: f64,
    /// Fitted growth factor λ̂ of ms(∂L/∂z) from output to input (≥ 2 hidden layers).
    #[serde(default, with = "actscope_core::serde_nan::opt_float")]
    pub growth_factor: Option<f64>,
}

/// The examples a [`Checkpoint`] measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasuredOn {
    /// The probe set, or its first [`Checkpoint::probe_samples`] rows: held-out examples, the same ones at
    /// every checkpoint of the run.
    #[default]
    ProbeSet,
    /// The training batch of the checkpoint's step, in the training step's own forward and backward pass
    /// (the network before that step's update): different examples at every checkpoint, drawn from the
    /// training set.
    TrainBatch,
}

/// Cheap scalars of one training step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepScalars {
    /// The step.
    pub step: usize,
    /// Training-batch loss.
    #[serde(with = "actscope_core::serde_nan::float")]
    pub loss: f64,
    /// ‖∂L/∂W‖ per hidden layer, then the output layer.
    #[serde(with = "actscope_core::serde_nan::floats")]
    pub grad_w_norms: Vec<f64>,
}

/// Writes records as JSON Lines.
///
/// # Errors
/// IO errors from `out`.
pub fn write_jsonl(records: &[Record], mut out: impl std::io::Write) -> std::io::Result<()> {
    for r in records {
        serde_json::to_writer(&mut out, r)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// An error reading records.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A line is not a valid record.
    #[error("line {line}: {message}")]
    Parse {
        /// 1-based line number.
        line: usize,
        /// What serde said.
        message: String,
    },
    /// The header's schema is not one this library reads.
    #[error("schema version {found}; this version of actscope reads {OLDEST_READABLE_SCHEMA} to {SCHEMA_VERSION}")]
    Schema {
        /// The version found.
        found: u32,
    },
    /// IO failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Checks what serde cannot of a record read from a file: histograms as [`Histogram::check`] wants them, a
/// checkpoint's layers numbered from 0 in order, an evaluation's accuracy within [0, 1] (or NaN, for an
/// empty set) and its loss not negative. Every reader downstream (figures, exports, claims) relies on these.
fn check(r: &Record) -> Result<(), String> {
    match r {
        Record::Header(h) => {
            h.z_bins.check().map_err(|e| format!("z_bins: {e}"))?;
            h.a_bins.check().map_err(|e| format!("a_bins: {e}"))
        }
        Record::Checkpoint(c) => {
            for (i, l) in c.layers.iter().enumerate() {
                if l.layer != i {
                    return Err(format!("layers[{i}] is numbered {}; expected the layers in order from 0", l.layer));
                }
                l.z_hist.check().map_err(|e| format!("layers[{i}].z_hist: {e}"))?;
                l.a_hist.check().map_err(|e| format!("layers[{i}].a_hist: {e}"))?;
            }
            Ok(())
        }
        Record::Eval(e) => {
            if !(e.accuracy.is_nan() || (0.0..=1.0).contains(&e.accuracy)) {
                return Err(format!("{} accuracy {}; expected a share within [0, 1]", e.set, e.accuracy));
            }
            if e.loss < 0.0 {
                return Err(format!("{} loss {}; expected a loss of 0 or more", e.set, e.loss));
            }
            Ok(())
        }
        Record::Step(_) => Ok(()),
    }
}

/// Reads JSON Lines records, checking the header's schema version. A checkpoint without
/// [`Checkpoint::probe_samples`] (schema 1) gets the header's probe-set size.
///
/// # Errors
/// A malformed line (with its number), a schema version outside
/// [`OLDEST_READABLE_SCHEMA`]`..=`[`SCHEMA_VERSION`], or IO errors.
pub fn read_jsonl(input: impl std::io::BufRead) -> Result<Vec<Record>, ReadError> {
    let mut out = Vec::new();
    let mut probe_samples = None;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let mut r: Record =
            serde_json::from_str(&line).map_err(|e| ReadError::Parse { line: i + 1, message: e.to_string() })?;
        check(&r).map_err(|message| ReadError::Parse { line: i + 1, message })?;
        match &mut r {
            Record::Header(h) if !(OLDEST_READABLE_SCHEMA..=SCHEMA_VERSION).contains(&h.schema) => {
                return Err(ReadError::Schema { found: h.schema });
            }
            Record::Header(h) => probe_samples = Some(h.probe_samples),
            Record::Checkpoint(c) if c.probe_samples.is_none() => c.probe_samples = probe_samples,
            _ => {}
        }
        out.push(r);
    }
    Ok(out)
}
