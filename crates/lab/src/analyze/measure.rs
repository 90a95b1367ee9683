//! A capture → the checkpoint record actscope writes for its own networks, through the same code
//! (`MetricsProbe::layer_record` on a `LayerView` of the capture's tensors), so a capture of an actscope
//! network gives exactly the numbers its training run recorded.

use actscope_capture::{ActivationSpec, Capture, Element, Hidden};
use actscope_core::{Activation, LayerView};
use actscope_metrics::MetricsProbe;
use actscope_metrics::gradient::{growth_factor, l2_norm, update_ratio, vanishing_index};
use actscope_metrics::records::Checkpoint;
use ndarray::{Array2, ArrayView2};

use super::slopes;

/// The unit of the last hidden layer whose percentiles are tracked (as in training runs).
pub const TRACKED_UNIT: usize = 0;

/// The checkpoint record of `capture`, with threshold `tau`. The update ratio is left to
/// [`set_update_ratios`], which needs the next capture.
pub fn checkpoint<F: Element>(capture: &Capture<F>, tau: f64) -> Checkpoint {
    let last = capture.hidden.len() - 1;
    let layers: Vec<_> = capture
        .meta
        .hidden()
        .zip(&capture.hidden)
        .enumerate()
        .map(|(index, ((_, spec, _), h))| layer(index, h, spec, tau, (index == last).then_some(TRACKED_UNIT)))
        .collect();
    let out_norm = l2_norm(capture.output.grad_weight.view());
    let first = layers.first().map_or(out_norm, |l| l.grad_w_norm);
    let all_grad_z = capture.hidden.iter().all(|h| h.grad_z.is_some());
    let ms: Vec<f64> = layers.iter().map(|l| l.grad_z_ms).collect();
    Checkpoint {
        step: capture.meta.step,
        epoch: capture.meta.epoch.unwrap_or(f64::NAN),
        loss: capture.meta.loss.unwrap_or(f64::NAN),
        probe_samples: Some(capture.hidden[0].z.nrows()),
        measured_on: actscope_metrics::records::MeasuredOn::ProbeSet,
        output_grad_w_norm: out_norm,
        vanishing_index: vanishing_index(first, out_norm),
        growth_factor: if all_grad_z { growth_factor(&ms) } else { None },
        layers,
    }
}

fn layer<F: Element>(
    index: usize,
    h: &Hidden<F>,
    spec: ActivationSpec,
    tau: f64,
    tracked: Option<usize>,
) -> actscope_metrics::LayerRecord {
    let act = match spec {
        ActivationSpec::Known(a) => a,
        // Neither bounded nor of the ReLU family, so the record's saturation and dead units are left to the
        // supplied slopes below; its output histogram takes z's bins.
        ActivationSpec::Unknown { .. } => Activation::Identity,
    };
    let computed: Option<Array2<F>> = h.a.is_none().then(|| {
        let mut a = Array2::zeros(h.z.dim());
        act.forward_into(h.z.view(), a.view_mut());
        a
    });
    let a = h.a.as_ref().or(computed.as_ref()).expect("a given or computed");
    let empty = Array2::<F>::zeros((0, 0));
    let view = LayerView {
        index,
        z: h.z.view(),
        a: a.view(),
        bn_mean: h.bn.as_ref().map(|b| b.mean.view()),
        bn_var: h.bn.as_ref().map(|b| b.var.view()),
        grad_z: h.grad_z.as_ref().map_or(empty.view(), |g| g.view()),
        weight: h.weight.view(),
        bias: None,
        grad_weight: h.grad_weight.view(),
        grad_bias: h.grad_bias.as_ref().map(|b| b.view()),
        gamma: h.bn.as_ref().and_then(|b| b.gamma.as_ref()).map(|g| g.view()),
        beta: h.bn.as_ref().and_then(|b| b.beta.as_ref()).map(|b| b.view()),
        grad_gamma: None,
        grad_beta: None,
    };
    let mut rec = MetricsProbe::layer_record(&view, act, tau, true, tracked);
    if h.grad_z.is_none() {
        rec.grad_z_ms = f64::NAN;
    }
    if let (ActivationSpec::Unknown { dphi_max }, Some(dphi)) = (spec, &h.dphi) {
        let level = tau * dphi_max;
        let (z, dphi, a): (ArrayView2<'_, F>, _, _) = (h.z.view(), dphi.view(), a.view());
        rec.saturation = Some(slopes::saturation(z, dphi, level));
        rec.dead = Some(slopes::dead_units(dphi, a, level));
        rec.near_linear = slopes::near_linear_share(dphi, dphi_max);
    }
    rec
}

/// Fills the update ratio of `cp` from the hidden layers' weights of its capture (`before`) and of the
/// next capture of the run (`after`, at step `after_step`), when that one is one update later:
/// ‖W(step + 1) − W(step)‖ / ‖W(step)‖ per hidden layer, as training runs record it. Captures further
/// apart leave it empty: their difference is many updates, not one.
pub fn set_update_ratios<F: Element>(
    cp: &mut Checkpoint,
    before: &[Array2<F>],
    after_step: usize,
    after: &[Array2<F>],
) {
    if after_step != cp.step + 1 {
        return;
    }
    for ((rec, b), a) in cp.layers.iter_mut().zip(before).zip(after) {
        if b.dim() == a.dim() {
            rec.update_ratio = Some(update_ratio(b.view(), a.view()));
        }
    }
}
