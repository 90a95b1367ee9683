//! The training loop: seeded shuffling, mini-batch SGD-style updates, periodic evaluation and probes.
//!
//! Each epoch visits a fresh seeded permutation of the training set in batches of `batch_size`; an
//! incomplete final batch is dropped (PyTorch's `drop_last=True`), since BatchNorm cannot normalise a
//! batch of one and smaller batches would change its noise. Update number `s` (0-based) is "step s".
//! Evaluations happen at step 0, at the steps of `eval_every` (a [`crate::Cadence`]) and at the end, in eval mode.

use crate::batches::Batches;
use crate::member::Member;
use crate::probe::Probe;
use crate::train_spec::{TrainConfig, TrainData, TrainOutcome};
use crate::{Float, Mlp, Optimizer, Result};

/// Trains `net` with `opt` on `data` under `config`, showing `probe` what it asks for.
///
/// A non-finite training loss stops the run with [`Status::Diverged`](crate::Status::Diverged); it is not an error.
///
/// An evaluation set without examples is evaluated as NaN loss and accuracy (see [`crate::evaluate`]).
///
/// # Errors
/// If the data does not fit the network, the batch size is 0, larger than the training set, or 1 with BN,
/// the evaluation chunk is 0, the budget is `Steps(0)` or `Epochs(0)`, `eval_every` has a 0
/// ([`crate::Cadence::check`]), or the probe refuses the probe set ([`Probe::check_probe_set`]).
pub fn train<F: Float, P: Probe<F>>(
    net: &mut Mlp<F>,
    opt: &mut Optimizer<F>,
    config: &TrainConfig,
    data: TrainData<'_>,
    probe: P,
) -> Result<TrainOutcome> {
    let mut run = Member::new(net, opt, config, data, probe)?;
    let mut batches = Batches::new(config, data.train);
    for step in 0..=run.total {
        run.before_step(step);
        if step == run.total {
            break;
        }
        batches.gather(step, data.train);
        run.net.forward_train(batches.x.view(), &mut run.ws);
        if !run.loss(step, &batches.y) {
            break;
        }
        run.net.backward(batches.x.view(), &mut run.ws);
        run.update(step, None);
    }
    Ok(run.outcome)
}
