//! [`MetricsProbe`]: computes every layer metric on the probe set at a cadence, for core's training loop.

use actscope_core::{Activation, EvalPoint, Float, LayerView, Mlp, Observation, Probe, ProbeSource};
use ndarray::Array2;

use crate::distribution::{Bins, Histogram, Summary, unit_percentiles};
use crate::gradient::{growth_factor, l2_norm, mean_square, update_ratio, vanishing_index};
use crate::rank::effective_rank;
use crate::records::{BnParams, Checkpoint, Header, LayerRecord, Record, SCHEMA_VERSION, StepScalars};
use crate::units::{DEFAULT_TAU, dead_units, near_linear_share, saturation};

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
    /// Compute the effective rank of each layer (an SVD per layer per checkpoint).
    pub effective_rank: bool,
    /// Index of the tracked unit of the last hidden layer (clamped to its width).
    pub tracked_unit: usize,
}

impl ProbeConfig {
    /// The defaults: a checkpoint every tenth of an epoch, τ = 0.1, effective rank on, no per-step scalars.
    pub fn every_tenth_epoch(steps_per_epoch: usize, last_step: usize) -> Self {
        ProbeConfig {
            every: (steps_per_epoch / 10).max(1),
            last_step,
            tau: DEFAULT_TAU,
            step_scalars: false,
            effective_rank: true,
            tracked_unit: 0,
        }
    }
}

/// Measures a network during training and collects [`Record`]s.
#[derive(Debug)]
pub struct MetricsProbe<F> {
    config: ProbeConfig,
    records: Vec<Record>,
    pending: Option<(Checkpoint, Vec<Array2<F>>)>,
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
    /// A probe for a network with the given activation, placement and widths; the header record is written now.
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
        MetricsProbe { config, records: vec![Record::Header(header)], pending: None }
    }

    /// The layer metrics of one view (pure: usable without the training loop).
    pub fn layer_record(
        view: &LayerView<'_, F>,
        act: Activation,
        tau: f64,
        rank: bool,
        tracked: Option<usize>,
    ) -> LayerRecord {
        LayerRecord {
            layer: view.index,
            units: view.z.ncols(),
            z: Summary::of(view.z),
            a: Summary::of(view.a),
            z_hist: Histogram::of_matrix(view.z, Bins::Z),
            a_hist: Histogram::of_matrix(view.a, Bins::for_output(act)),
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
        self.config.every > 0 && (step == 0 || step == self.config.last_step || step.is_multiple_of(self.config.every))
    }

    fn wants_train_batch(&self, _step: usize) -> bool {
        self.config.step_scalars
    }

    fn observe(&mut self, obs: &Observation<'_, F>) {
        match obs.source {
            ProbeSource::TrainBatch => {
                let mut norms: Vec<f64> = obs.layers.iter().map(|l| l2_norm(l.grad_weight)).collect();
                norms.push(l2_norm(obs.output.grad_weight));
                self.records.push(Record::Step(StepScalars { step: obs.step, loss: obs.loss, grad_w_norms: norms }));
            }
            ProbeSource::ProbeSet => {
                self.flush();
                let last = obs.layers.len().saturating_sub(1);
                let layers: Vec<LayerRecord> = obs
                    .layers
                    .iter()
                    .map(|v| {
                        let tracked = (v.index == last).then_some(self.config.tracked_unit);
                        Self::layer_record(v, obs.activation, self.config.tau, self.config.effective_rank, tracked)
                    })
                    .collect();
                let out_norm = l2_norm(obs.output.grad_weight);
                let first = layers.first().map_or(out_norm, |l| l.grad_w_norm);
                let ms: Vec<f64> = layers.iter().map(|l| l.grad_z_ms).collect();
                let cp = Checkpoint {
                    step: obs.step,
                    epoch: obs.epoch,
                    loss: obs.loss,
                    output_grad_w_norm: out_norm,
                    vanishing_index: vanishing_index(first, out_norm),
                    growth_factor: growth_factor(&ms),
                    layers,
                };
                let weights = obs.layers.iter().map(|v| v.weight.to_owned()).collect();
                self.pending = Some((cp, weights));
            }
        }
    }

    fn after_update(&mut self, _step: usize, net: &Mlp<F>) {
        if let Some((mut cp, before)) = self.pending.take() {
            for ((rec, w0), layer) in cp.layers.iter_mut().zip(&before).zip(&net.layers) {
                rec.update_ratio = Some(update_ratio(w0.view(), layer.linear.weight.view()));
            }
            self.records.push(Record::Checkpoint(cp));
        }
    }

    fn on_eval(&mut self, point: &EvalPoint) {
        self.records.push(Record::Eval(point.clone()));
    }
}
