//! Evaluation: the network in eval mode (BN running statistics) over a whole set, and the record of one
//! evaluation that the training loop keeps and shows its probes.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use crate::loss::cross_entropy_sum_and_correct;
use crate::{Dataset, Float, Mlp, Workspace};

/// One evaluation of the network on a named set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Updates done when evaluated.
    pub step: usize,
    /// Epochs done (fractional).
    #[serde(deserialize_with = "crate::serde_nan::f64")]
    pub epoch: f64,
    /// The set's name as given to the loop (e.g. `val`).
    pub set: String,
    /// Mean cross-entropy loss.
    #[serde(deserialize_with = "crate::serde_nan::f64")]
    pub loss: f64,
    /// Share of examples classified correctly.
    #[serde(deserialize_with = "crate::serde_nan::f64")]
    pub accuracy: f64,
}

/// Evaluates `net` in eval mode on `data`, in chunks of the workspace's capacity: (mean loss, accuracy).
pub fn evaluate<F: Float>(net: &Mlp<F>, data: &Dataset, ws: &mut Workspace<F>) -> (f64, f64) {
    let chunk = ws.capacity();
    let mut x = Array2::<F>::zeros((chunk, data.dim()));
    let (mut loss, mut correct) = (0.0, 0);
    let mut start = 0;
    while start < data.len() {
        let end = (start + chunk).min(data.len());
        let rows = end - start;
        let mut xv = x.slice_mut(ndarray::s![..rows, ..]);
        xv.zip_mut_with(&data.features.slice(ndarray::s![start..end, ..]), |a, &b| *a = F::of_f32(b));
        net.forward_eval(x.slice(ndarray::s![..rows, ..]), ws);
        let (l, c) = cross_entropy_sum_and_correct(ws.logits(), &data.labels[start..end]);
        loss += l;
        correct += c;
        start = end;
    }
    let n = data.len().max(1) as f64;
    (loss / n, correct as f64 / n)
}
