//! [`MetricsProbe`]: computes every layer metric on the probe set at a cadence, for core's training loop.
//!
//! # Which sample each checkpoint measures
//!
//! The first checkpoint (step 0) and the last one, which the report's claims read, always measure the full
//! probe set (the training loop's own pass over it). With [`ProbeConfig::sample`] set, the checkpoints in
//! between measure only that sub-sample (the first rows of the probe set): the probe runs the same
//! train-mode forward and backward pass over it itself, on the network as it stands before the
//! checkpoint's update (it is shown the network in [`Probe::after_update`] of the step before, which is
//! why it asks to observe the training batches around such a checkpoint). Measuring never changes the
//! network, so training is bit-identical with or without it. Each checkpoint records the number of
//! examples it measured ([`Checkpoint::probe_samples`]); the effective rank, which depends on the number
//! of rows, is computed on full-probe-set checkpoints only. `docs/metrics.md` has the measured error of
//! each metric against the sample size behind these defaults.

use actscope_core::loss::softmax_cross_entropy;
use actscope_core::{
    Activation, Dataset, EvalPoint, Float, LayerView, Mlp, Observation, Probe, ProbeSource, Workspace,
};
use ndarray::Array2;

use crate::distribution::{Bins, unit_percentiles};
use crate::fused::summary_and_histogram;
use crate::gradient::{growth_factor, l2_norm, mean_square, update_ratio, vanishing_index};
use crate::rank::effective_rank;
use crate::records::{BnParams, Checkpoint, Header, LayerRecord, Record, SCHEMA_VERSION, StepScalars};
use crate::units::{DEFAULT_TAU, dead_units, near_linear_share, saturation};

/// Examples measured at the checkpoints between the first and the last by default (the first rows of the
/// probe set); chosen from the measured error against cost in `docs/metrics.md`.
pub const DEFAULT_SAMPLE: usize = 100;

/// When and what [`MetricsProbe`] measures.
#[derive(Clone, Debug, PartialEq)]
pub struct ProbeConfig {
    /// Checkpoint every this many steps (and at step 0 and the last step); 0 turns checkpoints off.
    pub every: usize,
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
    /// The examples measured at the checkpoints between the first and the last (see [`ProbeConfig::with_sample`]);
    /// `None`: the full probe set at every checkpoint. Needs ≥ 2 rows with BatchNorm.
    pub sample: Option<Dataset>,
    /// Besides step 0 and the last step, measure the full probe set every this many steps (0: never).
    /// Only matters with [`ProbeConfig::sample`].
    pub full_every: usize,
}

impl ProbeConfig {
    /// A checkpoint every tenth of an epoch, τ = 0.1, effective rank on, no per-step scalars, the full probe
    /// set at every checkpoint (add a sub-sample with [`ProbeConfig::with_sample`]).
    pub fn every_tenth_epoch(steps_per_epoch: usize, last_step: usize) -> Self {
        ProbeConfig {
            every: (steps_per_epoch / 10).max(1),
            last_step,
            tau: DEFAULT_TAU,
            step_scalars: false,
            effective_rank: true,
            tracked_unit: 0,
            sample: None,
            full_every: 0,
        }
    }

    /// Measures the first `n` examples of `probe_set` at the checkpoints between the first and the last
    /// (none when `n` is not below the probe set's size).
    pub fn with_sample(mut self, probe_set: &Dataset, n: usize) -> Self {
        self.sample = probe_sample(probe_set, n);
        self
    }

    fn is_checkpoint(&self, step: usize) -> bool {
        self.every > 0 && (step == 0 || step == self.last_step || step.is_multiple_of(self.every))
    }

    /// Whether the checkpoint at `step` measures the full probe set. Step 1 does too, since the network
    /// before it is shown to the probe only by the step-0 observation.
    fn is_full(&self, step: usize) -> bool {
        self.sample.is_none()
            || step < 2
            || step == self.last_step
            || (self.full_every > 0 && step.is_multiple_of(self.full_every))
    }

    /// Whether `step` is a checkpoint that measures the sub-sample.
    fn is_sampled(&self, step: usize) -> bool {
        self.is_checkpoint(step) && !self.is_full(step)
    }

    /// The number of examples the checkpoint at `step` measures, given the probe set's size (`None` for a step
    /// that is no checkpoint).
    pub fn samples_at(&self, step: usize, probe_samples: usize) -> Option<usize> {
        let sampled = self.sample.as_ref().map_or(probe_samples, Dataset::len);
        self.is_checkpoint(step).then(|| if self.is_full(step) { probe_samples } else { sampled })
    }
}

/// The first `n` examples of `probe_set`, the sub-sample for [`ProbeConfig::sample`]; `None` when `n` is not
/// below the probe set's size or below 2 (BatchNorm needs two rows).
pub fn probe_sample(probe_set: &Dataset, n: usize) -> Option<Dataset> {
    (n >= 2 && n < probe_set.len()).then(|| probe_set.head(format!("{} (first {n})", probe_set.name), n))
}

/// One sentence for a report's methods on which examples each checkpoint measures.
pub fn sampling_methods(sample: usize) -> String {
    format!(
        "Checkpoint sample sizes: the first (step 0) and the last checkpoint, which the claims read, measure the whole probe set; the checkpoints in between measure its first {sample} examples (each record says how many), which keeps every curve within its measured sampling error (docs/metrics.md) at a tenth of the cost; effective ranks are computed on the whole probe set only."
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
#[derive(Debug)]
pub struct MetricsProbe<F> {
    config: ProbeConfig,
    records: Vec<Record>,
    pending: Option<(Checkpoint, Vec<Array2<F>>)>,
    probe_samples: usize,
    sample: Option<SamplePass<F>>,
}

fn bn_params<F: Float>(v: &LayerView<'_, F>) -> Option<BnParams> {
    let (g, b) = (v.gamma?, v.beta?);
    let ms = |x: ndarray::ArrayView1<'_, F>| {
        let n = x.len().max(1) as f64;
        let m = x.iter().map(|v| v.f64()).sum::<f64>() / n;
        (m, (x.iter().map(|v| (v.f64() - m).powi(2)).sum::<f64>() / n).sqrt())
    };
    let ((gamma_mean, gamma_std), (beta_mean, beta_std)) = (ms(g), ms(b));
    Some(BnParams { gamma_mean, gamma_std, beta_mean, beta_std })
}

impl<F: Float> MetricsProbe<F> {
    /// A probe for a network with the given activation, placement and widths, shown a probe set of
    /// `probe_samples` examples; the header record is written now.
    ///
    /// # Panics
    /// If [`ProbeConfig::sample`] does not fit the network (its width differs from the input's).
    pub fn new(config: ProbeConfig, net: &Mlp<F>, probe_samples: usize) -> Self {
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
        let sample = config.sample.as_ref().map(|s| {
            assert_eq!(s.dim(), net.config().input_dim, "the probe sub-sample must have the network's input width");
            SamplePass {
                x: s.x().mapv(F::of_f32),
                labels: s.labels.clone(),
                ws: Workspace::new(net, s.len()),
                steps_per_epoch: None,
            }
        });
        MetricsProbe { config, records: vec![Record::Header(header)], pending: None, probe_samples, sample }
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

    /// The checkpoint of an observation of `samples` examples, and the weights its update ratio starts from.
    fn checkpoint(&self, obs: &Observation<'_, F>, samples: usize, rank: bool) -> (Checkpoint, Vec<Array2<F>>) {
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
        let cp = Checkpoint {
            step: obs.step,
            epoch: obs.epoch,
            loss: obs.loss,
            probe_samples: Some(samples),
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
        let pending = self.checkpoint(&obs, x.nrows(), false);
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

    /// Per-step scalars; and around a sampled checkpoint at step s, the batches of s − 1 (to be shown the
    /// network before update s) and s (for the update ratio).
    fn wants_train_batch(&self, step: usize) -> bool {
        self.config.step_scalars || self.config.is_sampled(step) || self.config.is_sampled(step + 1)
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
                self.flush();
                let pending = self.checkpoint(obs, self.probe_samples, self.config.effective_rank);
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
}
