//! Loss functions, each returning the mean loss over the batch and writing its gradient.
//!
//! ```text
//! softmax cross-entropy   L = (1/m) Σ_i [ logsumexp(x_i) − x_{i,y_i} ]      ∂L/∂x_ij = (softmax(x_i)_j − 1[j = y_i]) / m
//! mean squared error      L = (1/(m·k)) Σ_ij (x_ij − t_ij)²                 ∂L/∂x_ij = 2 (x_ij − t_ij) / (m·k)
//! ```
//!
//! Both match PyTorch's `CrossEntropyLoss()` and `MSELoss()` with the default `reduction='mean'`.
//! The log-sum-exp subtracts the row maximum first, so no logit overflows.

use ndarray::{ArrayView2, ArrayViewMut2, Axis, Zip};

use crate::{Float, vmath};

/// Softmax cross-entropy over integer class labels: returns the mean loss and writes ∂L/∂logits.
///
/// # Shapes
/// `logits, grad: (m, classes)`, `labels: m` entries, each `< classes`.
///
/// # Panics
/// If the shapes disagree or a label is out of range (the message names the label and the class count).
pub fn softmax_cross_entropy<F: Float>(
    logits: ArrayView2<'_, F>,
    labels: &[usize],
    mut grad: ArrayViewMut2<'_, F>,
) -> F {
    let m = logits.nrows();
    assert_eq!(labels.len(), m, "one label per row");
    let inv_m = F::one() / F::of(m as f64);
    let mut total = F::zero();
    for ((row, mut g), &y) in logits.axis_iter(Axis(0)).zip(grad.axis_iter_mut(Axis(0))).zip(labels) {
        let max = row.fold(F::neg_infinity(), |a, &b| a.max(b));
        let mut sum = F::zero();
        Zip::from(&mut g).and(&row).for_each(|g, &x| {
            let e = (x - max).exp();
            *g = e;
            sum += e;
        });
        check_label(y, row.len());
        let lse = max + sum.ln();
        total += lse - row[y];
        let inv_sum = F::one() / sum;
        g.mapv_inplace(|e| e * inv_sum * inv_m);
        g[y] -= inv_m;
    }
    total * inv_m
}

/// Panics with a message naming `label` and the class count unless `label < classes`.
fn check_label(label: usize, classes: usize) {
    assert!(label < classes, "label {label} is out of range for {classes} classes; expected labels 0..{classes}");
}

/// Softmax cross-entropy loss only (no gradient), summed over rows: for evaluation in chunks.
/// Also returns the number of rows whose arg-max equals the label (ties go to the lowest index).
///
/// # Panics
/// If the number of labels differs from the number of rows, or a label is out of range (the message names
/// the label and the class count).
pub fn cross_entropy_sum_and_correct<F: Float>(logits: ArrayView2<'_, F>, labels: &[usize]) -> (f64, usize) {
    assert_eq!(labels.len(), logits.nrows(), "one label per row");
    // Every row's logits less its maximum, in f64, then their exponentials in one vectorised pass: the C
    // library's scalar `exp`, called once per logit, had been about a third of this function's time.
    let classes = logits.ncols();
    let mut shifted = Vec::with_capacity(logits.len());
    let mut best = Vec::with_capacity(logits.nrows());
    for (row, &y) in logits.axis_iter(Axis(0)).zip(labels) {
        check_label(y, row.len());
        let (mut arg, mut max) = (0, F::neg_infinity());
        for (j, &x) in row.iter().enumerate() {
            if x > max {
                max = x;
                arg = j;
            }
        }
        shifted.extend(row.iter().map(|&x| (x - max).f64()));
        best.push((arg, max));
    }
    let mut e = vec![0.0; shifted.len()];
    vmath::exp_f64(&shifted, &mut e);
    let mut total = 0.0;
    let mut correct = 0;
    for (((row, &y), (arg, max)), e) in logits.axis_iter(Axis(0)).zip(labels).zip(best).zip(e.chunks(classes.max(1))) {
        let sum: f64 = e.iter().sum();
        total += max.f64() + sum.ln() - row[y].f64();
        correct += usize::from(arg == y);
    }
    (total, correct)
}

/// Mean squared error against real-valued targets: returns the mean loss and writes ∂L/∂pred.
///
/// # Panics
/// If the shapes disagree.
pub fn mse<F: Float>(pred: ArrayView2<'_, F>, target: ArrayView2<'_, F>, mut grad: ArrayViewMut2<'_, F>) -> F {
    let n = F::of(pred.len() as f64);
    let mut total = F::zero();
    Zip::from(&mut grad).and(&pred).and(&target).for_each(|g, &p, &t| {
        let d = p - t;
        total += d * d;
        *g = F::of(2.0) * d / n;
    });
    total / n
}
