//! Captures of actscope's own networks: [`capture_of`] turns what the training loop shows a probe into a
//! [`Capture`], and [`CaptureProbe`] writes one file per probe-set observation. A capture of an actscope
//! network analysed by `analyze` gives exactly the records its training run wrote (the integration tests
//! check this), which is what makes captures of other frameworks comparable with actscope's runs.

use std::path::{Path, PathBuf};

use actscope_capture::{BnTensors, Capture, Element, Hidden, LayerMeta, Meta, Output};
use actscope_core::{Observation, Placement, Probe, ProbeSource};

/// The capture of a probe-set observation of an actscope network, as model `model` with seed `seed`.
/// With `with_a` false the outputs a are left out (`analyze` then computes φ(z) itself).
pub fn capture_of<F: Element>(obs: &Observation<'_, F>, model: &str, seed: u64, with_a: bool) -> Capture<F> {
    let mut layers: Vec<LayerMeta> = obs
        .layers
        .iter()
        .map(|v| LayerMeta::hidden(format!("hidden.{}", v.index), v.z.ncols(), obs.activation.into(), obs.placement))
        .collect();
    layers.push(LayerMeta::output("output", obs.output.weight.nrows()));
    let mut meta = Meta::new(model, seed, obs.step, layers);
    meta.epoch = Some(obs.epoch);
    meta.loss = Some(obs.loss);
    let hidden = obs
        .layers
        .iter()
        .map(|v| Hidden {
            z: v.z.to_owned(),
            a: with_a.then(|| v.a.to_owned()),
            dphi: None,
            grad_z: Some(v.grad_z.to_owned()),
            weight: v.weight.to_owned(),
            grad_weight: v.grad_weight.to_owned(),
            grad_bias: v.grad_bias.map(|b| b.to_owned()),
            bn: match (obs.placement, v.bn_mean, v.bn_var) {
                (Placement::None, ..) | (_, None, _) | (_, _, None) => None,
                (_, Some(mean), Some(var)) => Some(BnTensors {
                    gamma: v.gamma.map(|g| g.to_owned()),
                    beta: v.beta.map(|b| b.to_owned()),
                    ..BnTensors::new(mean.to_owned(), var.to_owned())
                }),
            },
        })
        .collect();
    let output = Output {
        weight: obs.output.weight.to_owned(),
        grad_weight: obs.output.grad_weight.to_owned(),
        grad_bias: Some(obs.output.grad_bias.to_owned()),
    };
    Capture { meta, hidden, output }
}

/// A probe that writes a capture of the probe set every `every` steps (and at step 0) into a directory,
/// named as `docs/capture.md` suggests. Errors are kept, not panicked on: see [`CaptureProbe::finish`].
#[derive(Debug)]
pub struct CaptureProbe {
    dir: PathBuf,
    model: String,
    seed: u64,
    every: usize,
    with_a: bool,
    written: Vec<PathBuf>,
    error: Option<actscope_capture::Error>,
}

impl CaptureProbe {
    /// Captures of model `model`, seed `seed`, into `dir` (which must exist), every `every` steps (≥ 1);
    /// `with_a`: include the outputs a.
    pub fn new(dir: &Path, model: &str, seed: u64, every: usize, with_a: bool) -> Self {
        CaptureProbe {
            dir: dir.to_path_buf(),
            model: model.into(),
            seed,
            every: every.max(1),
            with_a,
            written: Vec::new(),
            error: None,
        }
    }

    /// The files written, in step order.
    ///
    /// # Errors
    /// The first capture that could not be written.
    pub fn finish(self) -> Result<Vec<PathBuf>, actscope_capture::Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.written),
        }
    }
}

impl<F: Element> Probe<F> for CaptureProbe {
    fn wants_probe_set(&self, step: usize) -> bool {
        step.is_multiple_of(self.every)
    }

    fn observe(&mut self, obs: &Observation<'_, F>) {
        if obs.source != ProbeSource::ProbeSet || self.error.is_some() {
            return;
        }
        let name =
            format!("{}-seed{}-step{:08}.safetensors", crate::config::name_part(&self.model), self.seed, obs.step);
        let path = self.dir.join(name);
        match actscope_capture::write(&path, &capture_of(obs, &self.model, self.seed, self.with_a)) {
            Ok(()) => self.written.push(path),
            Err(e) => self.error = Some(e),
        }
    }
}
