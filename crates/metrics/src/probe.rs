//! [`MetricsProbe`]: computes every layer metric on the probe set at a cadence, for core's training loop.
//!
//! # Which sample each checkpoint measures
//!
//! The first checkpoint (step 0) and the last one, which the report's claims read, always measure the full
//! probe set (the training loop's own pass over it). [`ProbeConfig::between`] says what the checkpoints in
//! between measure:
//! - [`Between::TrainBatch`] (actscope's runs): the training step's own batch, observed in the step's
//!   forward and backward pass before its update, so these checkpoints cost no pass of their own;
//! - [`Between::Sample`]: the probe set's first rows, in a train-mode forward and backward pass the probe
//!   runs itself on the network as it stands before the checkpoint's update (it is shown the network in
//!   [`Probe::after_update`] of the step before, which is why it asks to observe the training batches
//!   around such a checkpoint);
//! - [`Between::ProbeSet`]: the whole probe set, like the first and the last.
//!
//! Measuring never changes the network, so training is bit-identical with or without it. Each checkpoint
//! records how many examples it measured ([`Checkpoint::probe_samples`]) and which
//! ([`Checkpoint::measured_on`]); the effective rank, which depends on the number of rows, is computed on
//! full-probe-set checkpoints only. `docs/metrics.md` has the measured error of each metric against the
//! sample and its cost behind these defaults.

use std::sync::Arc;

use actscope_core::loss::softmax_cross_entropy;
use actscope_core::{
    Activation, Cadence, Dataset, EvalPoint, Float, LayerView, Mlp, Observation, Probe, ProbeSource, StartSnapshot,
    Workspace,
};
use ndarray::Array2;

use crate::distribution::{Bins, unit_percentiles};
use crate::fused::summary_and_histogram;
use crate::gradient::{growth_factor, l2_norm, mean_square, update_ratio, vanishing_index};
use crate::rank::effective_rank;
use crate::records::{BnParams, Checkpoint, Header, LayerRecord, MeasuredOn, Record, SCHEMA_VERSION, StepScalars};
use crate::units::{DEFAULT_TAU, dead_units, near_linear_share, saturation};

/// Examples of the probe set a [`Between::Sample`] usually measures (its first rows): the sample size
/// `docs/metrics.md` compares with the training batch.
pub const DEFAULT_SAMPLE: usize = 100;

/// What the checkpoints between the first and the last measure (see the module's documentation).
#[derive(Clone, Debug, PartialEq)]
pub enum Between {
    /// The whole probe set, like the first and the last checkpoint.
    ProbeSet,
    /// The probe set's first rows (at least 2, fewer than the probe set), in a pass of the probe's own.
    Sample(Dataset),
    /// The training step's own batch, in its forward and backward pass: no extra pass.
    TrainBatch,
}

/// When and what [`MetricsProbe`] measures.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeConfig {
    /// The checkpoints' steps ([`Cadence::every`] n steps, or [`Cadence::per`] k per epoch), besides step 0 and
    /// the last step (only those two for a cadence with a 0); `None` turns checkpoints off, those two included.
    pub every: Option<Cadence>,
    /// The last step of the run (checkpointed too).
    pub last_step: usize,
    /// Threshold τ for saturation and dead units.
    pub tau: f64,
    /// Record loss and gradient norms of every training step.
    pub step_scalars: bool,
    /// Compute the effective rank of each layer (an SVD per layer per checkpoint) at the checkpoints that
    /// measure the full probe set.
    pub effective_rank: bool,
    /// Index of the tracked unit of the last hidden layer (clamped to its width).
    pub tracked_unit: usize,
    /// What the checkpoints between the first and the last measure.
    pub between: Between,
    /// Besides step 0 and the last step, measure the full probe set at the checkpoints whose step is a
    /// multiple of this (0: never); a multiple that is no checkpoint of [`ProbeConfig::every`] is skipped.
    /// Does not matter with [`Between::ProbeSet`].
    pub full_every: usize,
}

impl ProbeConfig {
    /// A checkpoint every tenth of an epoch, τ = 0.1, effective rank on, no per-step scalars, the full probe
    /// set at every checkpoint (see [`ProbeConfig::with_train_batch`] and [`ProbeConfig::with_sample`]).
    pub fn every_tenth_epoch(steps_per_epoch: usize, last_step: usize) -> Self {
        ProbeConfig {
            every: Some(Cadence::per(10, steps_per_epoch.max(1))),
            last_step,
            tau: DEFAULT_TAU,
            step_scalars: false,
            effective_rank: true,
            tracked_unit: 0,
            between: Between::ProbeSet,
            full_every: 0,
        }
    }

    /// Measures the first `n` examples of `probe_set` at the checkpoints between the first and the last
    /// (the whole probe set when `n` is not below its size).
    pub fn with_sample(mut self, probe_set: &Dataset, n: usize) -> Self {
        self.between = probe_sample(probe_set, n).map_or(Between::ProbeSet, Between::Sample);
        self
    }

    /// Measures the training step's own batch at the checkpoints between the first and the last.
    pub fn with_train_batch(mut self) -> Self {
        self.between = Between::TrainBatch;
        self
    }

    fn is_checkpoint(&self, step: usize) -> bool {
        self.every.is_some_and(|c| c.hits_or_last(step, self.last_step))
    }

    /// Whether the checkpoint at `step` measures the full probe set. With [`Between::Sample`], step 1 does
    /// too, since the network before it is shown to the probe only by the step-0 observation.
    fn is_full(&self, step: usize) -> bool {
        let first = match self.between {
            Between::ProbeSet => return true,
            Between::Sample(_) => step < 2,
            Between::TrainBatch => step == 0,
        };
        first || step == self.last_step || (self.full_every > 0 && step.is_multiple_of(self.full_every))
    }

    /// Whether `step` is a checkpoint that measures the sub-sample.
    fn is_sampled(&self, step: usize) -> bool {
        self.is_checkpoint(step) && !self.is_full(step)
    }

    /// The number of examples the checkpoint at `step` measures, given the probe set's size and the
    /// training batch size (`None` for a step that is no checkpoint).
    pub fn samples_at(&self, step: usize, probe_samples: usize, batch_size: usize) -> Option<usize> {
        let between = match &self.between {
            Between::ProbeSet => probe_samples,
            Between::Sample(s) => s.len(),
            Between::TrainBatch => batch_size,
        };
        self.is_checkpoint(step).then(|| if self.is_full(step) { probe_samples } else { between })
    }
}

/// The first `n` examples of `probe_set`, the sub-sample for [`Between::Sample`]; `None` when `n` is not
/// below the probe set's size or below 2 (BatchNorm needs two rows).
pub fn probe_sample(probe_set: &Dataset, n: usize) -> Option<Dataset> {
    (n >= 2 && n < probe_set.len()).then(|| probe_set.head(format!("{} (first {n})", probe_set.name), n))
}

/// One sentence for a report's methods on which examples each checkpoint measures, for runs whose
/// checkpoints in between measure the training batch ([`Between::TrainBatch`]); `batch_sizes` names each
/// experiment's batch size (e.g. `[("E1", 60), ("E4", 10)]`).
pub fn sampling_methods(batch_sizes: &[(&str, usize)]) -> String {
    let sizes: Vec<String> = batch_sizes.iter().map(|(e, b)| format!("{b} in {e}")).collect();
    format!(
        "Checkpoint samples: the first (step 0) and the last checkpoint, which the claims read, measure the whole probe set (held-out examples); the checkpoints in between measure the training step's own batch ({}), in the step's forward and backward pass before its update, so they cost no pass of their own; their curves carry the sampling error measured in docs/metrics.md, and their gradient magnitudes and loss are compared only with checkpoints of the same sample. Effective ranks are computed on the whole probe set only.",
        sizes.join(", ")
    )
}

/// The probe's own pass over the sub-sample, for the in-between checkpoints.
#[derive(Debug)]
struct SamplePass<F> {
    x: Array2<F>,
    labels: Vec<usize>,
    ws: Workspace<F>,
    /// Steps per epoch, read off the training-batch observation before a sampled checkpoint.
    steps_per_epoch: Option<usize>,
}

/// Measures a network during training and collects [`Record`]s.
///
/// It is told the probe set's size when built (the header records it); training refuses a probe set of
/// another size before its first step ([`Probe::check_probe_set`]).
#[derive(Debug)]
pub struct MetricsProbe<F> {
    config: ProbeConfig,
    /// The probe set's size, as the header records it.
    probe_samples: usize,
    records: Vec<Record>,
    pending: Option<(Checkpoint, Vec<Array2<F>>)>,
    sample: Option<SamplePass<F>>,
}

/// γ's and β's means and spreads over units; NaN for one of them that is missing (a capture may hold γ
/// without β), `None` without either.
fn bn_params<F: Float>(v: &LayerView<'_, F>) -> Option<BnParams> {
    if v.gamma.is_none() && v.beta.is_none() {
        return None;
    }
    let ms = |x: Option<ndarray::ArrayView1<'_, F>>| {
        let Some(x) = x else { return (f64::NAN, f64::NAN) };
        let n = x.len().max(1) as f64;
        let m = x.iter().map(|v| v.f64()).sum::<f64>() / n;
        (m, (x.iter().map(|v| (v.f64() - m).powi(2)).sum::<f64>() / n).sqrt())
    };
    let ((gamma_mean, gamma_std), (beta_mean, beta_std)) = (ms(v.gamma), ms(v.beta));
    Some(BnParams { gamma_mean, gamma_std, beta_mean, beta_std })
}

impl<F: Float> MetricsProbe<F> {
    /// A probe for a network with the given activation, placement and widths, shown a probe set of
    /// `probe_samples` examples (pass the probe set's `len()`); the header record is written now.
    ///
    /// # Panics
    /// If `probe_samples` is 0, the sample of [`Between::Sample`] does not fit the network (its width differs
    /// from the input's), or `config.tau` is outside (0, 1]. Later, if it is shown a probe-set observation
    /// of another number of rows than `probe_samples` outside the training loop (the loop refuses such a
    /// probe set with an error before its first step, through [`Probe::check_probe_set`]).
    pub fn new(config: ProbeConfig, net: &Mlp<F>, probe_samples: usize) -> Self {
        assert!(
            probe_samples >= 1,
            "MetricsProbe::new: probe_samples is 0; expected the probe set's size (at least 1 example)"
        );
        crate::units::check_tau(config.tau);
        let act = net.config().activation;
        let header = Header {
            schema: SCHEMA_VERSION,
            activation: act.to_string(),
            placement: net.config().placement.to_string(),
            hidden: net.config().hidden.clone(),
            probe_samples,
            tau: config.tau,
            z_bins: Bins::Z,
            a_bins: Bins::for_output(act),
            tracked_unit: config.tracked_unit,
        };
        let sample = match &config.between {
            Between::Sample(s) => Some(s),
            _ => None,
        };
        let sample = sample.map(|s| {
            assert_eq!(s.dim(), net.config().input_dim, "the probe sub-sample must have the network's input width");
            SamplePass {
                x: s.x().mapv(F::of_f32),
                labels: s.labels.clone(),
                ws: Workspace::new(net, s.len()),
                steps_per_epoch: None,
            }
        });
        MetricsProbe { config, probe_samples, records: vec![Record::Header(header)], pending: None, sample }
    }

    /// The layer metrics of one view (pure: usable without the training loop).
    pub fn layer_record(
        view: &LayerView<'_, F>,
        act: Activation,
        tau: f64,
        rank: bool,
        tracked: Option<usize>,
    ) -> LayerRecord {
        let (z, z_hist) = summary_and_histogram(view.z, Bins::Z);
        let (a, a_hist) = summary_and_histogram(view.a, Bins::for_output(act));
        LayerRecord {
            layer: view.index,
            units: view.z.ncols(),
            z,
            a,
            z_hist,
            a_hist,
            saturation: act.is_bounded().then(|| saturation(view.z, act, tau)),
            dead: act.is_relu_family().then(|| dead_units(view.z, act, tau)),
            near_linear: near_linear_share(view.z, act),
            grad_w_norm: l2_norm(view.grad_weight),
            grad_b_norm: view.grad_bias.map(l2_norm),
            grad_z_ms: mean_square(view.grad_z),
            weight_norm: l2_norm(view.weight),
            update_ratio: None,
            bn: bn_params(view),
            effective_rank: rank.then(|| effective_rank(view.a)),
            tracked_unit: tracked.map(|u| unit_percentiles(view.z.column(u.min(view.z.ncols() - 1)))),
        }
    }

    /// The checkpoint of an observation (of as many examples as its rows), and the weights its update ratio
    /// starts from.
    fn checkpoint(&self, obs: &Observation<'_, F>, rank: bool) -> (Checkpoint, Vec<Array2<F>>) {
        let last = obs.layers.len().saturating_sub(1);
        let layers: Vec<LayerRecord> = obs
            .layers
            .iter()
            .map(|v| {
                let tracked = (v.index == last).then_some(self.config.tracked_unit);
                Self::layer_record(v, obs.activation, self.config.tau, rank, tracked)
            })
            .collect();
        let out_norm = l2_norm(obs.output.grad_weight);
        let first = layers.first().map_or(out_norm, |l| l.grad_w_norm);
        let ms: Vec<f64> = layers.iter().map(|l| l.grad_z_ms).collect();
        let measured_on = match obs.source {
            ProbeSource::ProbeSet => MeasuredOn::ProbeSet,
            ProbeSource::TrainBatch => MeasuredOn::TrainBatch,
        };
        let cp = Checkpoint {
            step: obs.step,
            epoch: obs.epoch,
            loss: obs.loss,
            probe_samples: Some(obs.output.logits.nrows()),
            measured_on,
            output_grad_w_norm: out_norm,
            vanishing_index: vanishing_index(first, out_norm),
            growth_factor: growth_factor(&ms),
            layers,
        };
        (cp, obs.layers.iter().map(|v| v.weight.to_owned()).collect())
    }

    /// Measures the sub-sample on `net` (the network before update `step`) as the checkpoint of `step`.
    fn sampled_checkpoint(&mut self, step: usize, net: &Mlp<F>) {
        let Some(mut pass) = self.sample.take() else { return };
        let SamplePass { x, labels, ws, steps_per_epoch } = &mut pass;
        net.forward_batch_stats(x.view(), ws);
        let (logits, grad) = ws.logits_and_grad();
        let loss = softmax_cross_entropy(logits, labels, grad).f64();
        net.backward(x.view(), ws);
        let (layers, output) = net.observe(ws);
        let cfg = net.config();
        let obs = Observation {
            step,
            epoch: steps_per_epoch.map_or(f64::NAN, |spe| step as f64 / spe as f64),
            source: ProbeSource::ProbeSet,
            loss,
            activation: cfg.activation,
            placement: cfg.placement,
            layers,
            output,
        };
        let pending = self.checkpoint(&obs, false);
        drop(obs);
        self.pending = Some(pending);
        self.sample = Some(pass);
    }

    fn flush(&mut self) {
        if let Some((cp, _)) = self.pending.take() {
            self.records.push(Record::Checkpoint(cp));
        }
    }

    /// All records so far, ending the run (a checkpoint still waiting for its update ratio is kept without it).
    pub fn finish(mut self) -> Vec<Record> {
        self.flush();
        self.records
    }

    /// The records collected so far (excluding a checkpoint still waiting for its update ratio).
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

impl<F: Float> Probe<F> for MetricsProbe<F> {
    fn wants_probe_set(&self, step: usize) -> bool {
        self.config.is_checkpoint(step) && self.config.is_full(step)
    }

    /// Per-step scalars; the batch of a checkpoint that measures it; and around a checkpoint at step s that
    /// measures a probe sub-sample, the batches of s − 1 (to be shown the network before update s) and s
    /// (for the update ratio).
    fn wants_train_batch(&self, step: usize) -> bool {
        let c = &self.config;
        c.step_scalars
            || match c.between {
                Between::ProbeSet => false,
                Between::Sample(_) => c.is_sampled(step) || c.is_sampled(step + 1),
                Between::TrainBatch => c.is_sampled(step),
            }
    }

    fn observe(&mut self, obs: &Observation<'_, F>) {
        match obs.source {
            ProbeSource::TrainBatch => {
                if let Some(pass) = self.sample.as_mut()
                    && obs.step > 0
                    && obs.epoch > 0.0
                {
                    // epoch = step / steps_per_epoch exactly as the loop computes it, so this is exact.
                    pass.steps_per_epoch = Some((obs.step as f64 / obs.epoch).round() as usize);
                }
                if matches!(self.config.between, Between::TrainBatch) && self.config.is_sampled(obs.step) {
                    self.flush();
                    let pending = self.checkpoint(obs, false);
                    self.pending = Some(pending);
                }
                if self.config.step_scalars {
                    let mut norms: Vec<f64> = obs.layers.iter().map(|l| l2_norm(l.grad_weight)).collect();
                    norms.push(l2_norm(obs.output.grad_weight));
                    self.records.push(Record::Step(StepScalars {
                        step: obs.step,
                        loss: obs.loss,
                        grad_w_norms: norms,
                    }));
                }
            }
            ProbeSource::ProbeSet => {
                let rows = obs.output.logits.nrows();
                assert_eq!(
                    rows, self.probe_samples,
                    "MetricsProbe: a probe-set observation of {rows} examples, but the probe was built for a probe \
                     set of {} (MetricsProbe::new's probe_samples, in the header)",
                    self.probe_samples
                );
                self.flush();
                let pending = self.checkpoint(obs, self.config.effective_rank);
                self.pending = Some(pending);
            }
        }
    }

    fn after_update(&mut self, step: usize, net: &Mlp<F>) {
        if let Some((mut cp, before)) = self.pending.take() {
            for ((rec, w0), layer) in cp.layers.iter_mut().zip(&before).zip(&net.layers) {
                rec.update_ratio = Some(update_ratio(w0.view(), layer.linear.weight.view()));
            }
            self.records.push(Record::Checkpoint(cp));
        }
        // The network after update `step` is the one update `step + 1` starts from.
        if self.config.is_sampled(step + 1) {
            self.sampled_checkpoint(step + 1, net);
        }
    }

    fn on_eval(&mut self, point: &EvalPoint) {
        self.records.push(Record::Eval(point.clone()));
    }

    /// The settings the first checkpoint depends on beyond the network and the probe set: the element type,
    /// τ, whether it has an effective rank, the tracked unit and the probe set's size (the bins follow the
    /// activation, which is the network's).
    fn start_key(&self) -> Option<String> {
        let c = &self.config;
        Some(format!(
            "actscope_metrics::MetricsProbe<{}>: tau {:?}, effective rank {}, tracked unit {}, probe samples {}",
            std::any::type_name::<F>(),
            c.tau,
            c.effective_rank,
            c.tracked_unit,
            self.probe_samples
        ))
    }

    /// The checkpoint just measured, before its update ratio.
    fn start_snapshot(&self) -> Option<StartSnapshot> {
        self.pending.as_ref().map(|(cp, _)| Arc::new(cp.clone()) as StartSnapshot)
    }

    /// Records another run's first checkpoint as its own: its update ratio will start from `net`'s weights,
    /// the same bits as the other run's.
    fn restore_start(&mut self, snapshot: &StartSnapshot, net: &Mlp<F>) -> bool {
        let Some(cp) = snapshot.downcast_ref::<Checkpoint>() else { return false };
        self.flush();
        let before = net.layers.iter().map(|l| l.linear.weight.clone()).collect();
        self.pending = Some((cp.clone(), before));
        true
    }

    /// Refuses a probe set of another size than the probe was built for ([`MetricsProbe::new`]'s
    /// `probe_samples`, which the header records).
    fn check_probe_set(&self, probe_set: Option<&Dataset>) -> actscope_core::Result<()> {
        match probe_set {
            Some(p) if p.len() != self.probe_samples => Err(actscope_core::Error::config(
                "probe_samples",
                format!(
                    "the probe was built for a probe set of {} examples (MetricsProbe::new, recorded in the \
                     header), but the probe set {:?} has {}; expected MetricsProbe::new(.., probe_set.len())",
                    self.probe_samples,
                    p.name,
                    p.len()
                ),
            )),
            _ => Ok(()),
        }
    }
}
