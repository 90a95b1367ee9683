//! One analysed run (the captures of one model and seed) written as a run directory in the layout training
//! runs use — `records.jsonl` and, where the model fits actscope's configuration, `config.json` and
//! `summary.json` — plus `capture.json`, what the captures said about themselves. `actscope plot` and
//! `actscope summarize` read these directories as they read training runs.

use std::path::{Path, PathBuf};

use actscope_capture::{ActivationSpec, Dtype, LayerMeta, Role};
use actscope_core::{Activation, Placement};
use actscope_metrics::distribution::Bins;
use actscope_metrics::records::{Checkpoint, Header, Record, SCHEMA_VERSION, write_jsonl};
use serde_json::json;

use super::measure::TRACKED_UNIT;
use crate::fsio::{self, create_dir_all, remove_dir_all, rename, to_json};
use crate::run::{CODE, RunStatus, RunSummary, SUMMARY_SCHEMA, TARGETS, sha256_hex};
use crate::{Error, Result};

/// The name of the file that marks a directory as written by `analyze`.
pub const CAPTURE_JSON: &str = "capture.json";

/// The metadata field in which a writer may give a fingerprint of its probe batch (e.g. a SHA-256 of its
/// examples and targets; `actscope.torch.Monitor` writes one): captures of one run must agree on it, and the
/// diagnosis says where seeds or compared models measured different probe batches.
pub const PROBE_FINGERPRINT: &str = "x-probe-sha256";

/// Version of `capture.json`'s layout.
pub const CAPTURE_JSON_SCHEMA: u32 = 1;

/// The captures of one model and seed, measured.
#[derive(Clone, Debug)]
pub struct AnalyzedRun {
    /// The model's name.
    pub model: String,
    /// The seed.
    pub seed: u64,
    /// The layers, as every capture of the run declares them.
    pub layers: Vec<LayerMeta>,
    /// The tensors' element type.
    pub dtype: Dtype,
    /// Probe examples.
    pub probe_samples: usize,
    /// The probe batch's fingerprint, where the writer gave one ([`PROBE_FINGERPRINT`]).
    pub probe: Option<String>,
    /// The capture files, in step order.
    pub files: Vec<PathBuf>,
    /// One checkpoint per capture, in step order.
    pub checkpoints: Vec<Checkpoint>,
    /// The first step whose capture gave a non-finite loss (the run diverged there).
    pub diverged_step: Option<usize>,
}

impl AnalyzedRun {
    /// The one activation and BN placement of every hidden layer, when they share one that actscope knows
    /// (then the run has a `config.json`: actscope's configuration holds one of each).
    pub fn uniform(&self) -> Option<(Activation, Placement)> {
        let mut it = self.layers.iter().filter_map(|l| match l.role {
            Role::Hidden { activation: ActivationSpec::Known(a), bn } => Some(Some((a, bn))),
            Role::Hidden { .. } => Some(None),
            Role::Output => None,
        });
        let first = it.next()??;
        it.all(|x| x == Some(first)).then_some(first)
    }

    /// Hidden widths.
    pub fn hidden(&self) -> Vec<usize> {
        self.layers.iter().filter(|l| l.role != Role::Output).map(|l| l.units).collect()
    }

    /// The activations of the hidden layers, in words (one word when they are all the same).
    pub fn activation_words(&self) -> String {
        words(self.layers.iter().filter_map(|l| match l.role {
            Role::Hidden { activation, .. } => Some(activation.to_string()),
            Role::Output => None,
        }))
    }

    /// The BN placements of the hidden layers, in words (one word when they are all the same).
    pub fn placement_words(&self) -> String {
        words(self.layers.iter().filter_map(|l| match l.role {
            Role::Hidden { bn, .. } => Some(bn.to_string()),
            Role::Output => None,
        }))
    }

    /// The directory name: the model's name and the seed, sanitised for any file system ([`crate::config::name_part`]).
    pub fn dir_name(&self) -> String {
        crate::config::name_part(&format!("{}-s{}", self.model, self.seed))
    }

    fn records(&self) -> Vec<Record> {
        let a_bins = match self.uniform() {
            Some((a, _)) => Bins::for_output(a),
            None => Bins::Z,
        };
        let header = Header {
            schema: SCHEMA_VERSION,
            activation: self.activation_words(),
            placement: self.placement_words(),
            hidden: self.hidden(),
            probe_samples: self.probe_samples,
            tau: super::TAU,
            z_bins: Bins::Z,
            a_bins,
            tracked_unit: TRACKED_UNIT,
        };
        std::iter::once(Record::Header(header))
            .chain(self.checkpoints.iter().cloned().map(Record::Checkpoint))
            .collect()
    }

    /// `config.json`: the settings a capture tells (the rest stay unset: readers that load it see actscope's
    /// defaults there, which `summarize` shows as unknown, see `RunConfig::is_from_captures`); `None` when
    /// the layers do not share one known activation and placement.
    fn config(&self) -> Option<serde_json::Value> {
        let (act, bn) = self.uniform()?;
        Some(json!({
            "data": format!("{}{}", crate::config::CAPTURE_DATA, self.model),
            "hidden": self.hidden(),
            "activation": act.to_string(),
            "placement": bn.to_string(),
            "seed": self.seed,
            "probe_size": self.probe_samples,
            "steps": self.checkpoints.last().map_or(0, |c| c.step),
            "tau": super::TAU,
        }))
    }

    fn summary(&self, records_sha256: String) -> RunSummary {
        let diverged_step = self.diverged_step;
        RunSummary {
            schema: SUMMARY_SCHEMA,
            id: sha256_hex(format!("{}\n{}", self.model, self.seed).as_bytes())[..12].to_string(),
            name: self.dir_name(),
            status: if diverged_step.is_some() { RunStatus::Diverged } else { RunStatus::Ok },
            diverged_step,
            steps: self.checkpoints.last().map_or(0, |c| c.step),
            train: None,
            val: None,
            test: None,
            steps_to_target: vec![None; TARGETS.len()],
            wall_seconds: 0.0,
            data: format!("capture:{}", self.model),
            data_checksum: String::new(),
            classes: self.layers.last().map_or(0, |l| l.units),
            // A capture holds no labels.
            trained_classes: 0,
            code: CODE.to_string(),
            records_sha256,
        }
    }

    fn capture_json(&self) -> serde_json::Value {
        let layers: Vec<_> = self
            .layers
            .iter()
            .map(|l| match l.role {
                Role::Hidden { activation, bn } => {
                    json!({"name": l.name, "kind": "hidden", "units": l.units, "activation": activation.to_string(), "bn": bn.to_string()})
                }
                Role::Output => json!({"name": l.name, "kind": "output", "units": l.units}),
            })
            .collect();
        let captures: Vec<_> = self
            .files
            .iter()
            .zip(&self.checkpoints)
            .map(|(f, c)| json!({"file": f.display().to_string(), "step": c.step}))
            .collect();
        json!({
            "schema": CAPTURE_JSON_SCHEMA,
            "model": self.model,
            "seed": self.seed,
            "dtype": self.dtype.name(),
            "probe_samples": self.probe_samples,
            "tau": super::TAU,
            "layers": layers,
            "captures": captures,
        })
    }

    /// Writes the run directory into `runs`, replacing one an earlier `analyze` wrote there; returns its path.
    ///
    /// # Errors
    /// A directory of that name that `analyze` did not write, or a file that cannot be written.
    pub fn write(&self, runs: &Path) -> Result<PathBuf> {
        let name = self.dir_name();
        let dest = runs.join(&name);
        if dest.exists() && !dest.join(CAPTURE_JSON).is_file() {
            return Err(Error::Malformed {
                path: dest,
                message: format!(
                    "exists but was not written by `actscope analyze` (no {CAPTURE_JSON}); move it away or choose another --out"
                ),
            });
        }
        let tmp = runs.join(format!(".tmp-{name}-{}", std::process::id()));
        if tmp.exists() {
            remove_dir_all(&tmp)?;
        }
        create_dir_all(&tmp)?;
        let mut buf = Vec::new();
        write_jsonl(&self.records(), &mut buf).map_err(|e| Error::io("serialising records of", &tmp, e))?;
        fsio::write(&tmp.join("records.jsonl"), &buf)?;
        fsio::write(&tmp.join(CAPTURE_JSON), to_json(&self.capture_json()))?;
        if let Some(cfg) = self.config() {
            fsio::write(&tmp.join("config.json"), to_json(&cfg))?;
            fsio::write(&tmp.join("summary.json"), to_json(&self.summary(sha256_hex(&buf))))?;
        }
        if dest.exists() {
            remove_dir_all(&dest)?;
        }
        rename(&tmp, &dest)?;
        Ok(dest)
    }
}

/// One word when all are the same, else the list joined by commas.
fn words(items: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = items.collect();
    let all_same = v.windows(2).all(|w| w[0] == w[1]);
    if all_same {
        v.truncate(1);
    }
    v.join(",")
}
