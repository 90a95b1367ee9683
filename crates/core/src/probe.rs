//! Probes: observers the training loop shows the inside of the network to, at the steps they ask for.
//!
//! A probe receives borrowed views of the workspace and the parameters (no copies). All methods have empty
//! defaults, so a probe overrides only what it needs, and the unit type `()` is the probe that wants
//! nothing: the training loop is generic over the probe type, so that case compiles to nothing.

use ndarray::{ArrayView1, ArrayView2};

use crate::buffer::Rows;
use crate::{Activation, Dataset, EvalPoint, Float, Mlp, Placement, Result, Workspace};

/// Which examples an observation was computed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeSource {
    /// The fixed probe set, in train mode (batch statistics), before the step's update.
    ProbeSet,
    /// The step's training batch, after its backward pass and before its update.
    TrainBatch,
}

/// Borrowed views of one hidden block at an observed step. `rows` is the batch size.
#[derive(Clone, Debug)]
pub struct LayerView<'a, F> {
    /// Block index, input side first.
    pub index: usize,
    /// z: the input of φ, `(rows, width)`. With BN before it is BN's output.
    pub z: ArrayView2<'a, F>,
    /// a = φ(z), `(rows, width)`, measured before any BN that follows.
    pub a: ArrayView2<'a, F>,
    /// The BN batch mean μ (of h with BN before, of a with BN after).
    pub bn_mean: Option<ArrayView1<'a, F>>,
    /// The biased BN batch variance σ².
    pub bn_var: Option<ArrayView1<'a, F>>,
    /// ∂L/∂z, `(rows, width)`.
    pub grad_z: ArrayView2<'a, F>,
    /// The weights W, `(width, fan_in)`.
    pub weight: ArrayView2<'a, F>,
    /// The bias b (none with BN before).
    pub bias: Option<ArrayView1<'a, F>>,
    /// ∂L/∂W.
    pub grad_weight: ArrayView2<'a, F>,
    /// ∂L/∂b.
    pub grad_bias: Option<ArrayView1<'a, F>>,
    /// BN scale γ.
    pub gamma: Option<ArrayView1<'a, F>>,
    /// BN shift β.
    pub beta: Option<ArrayView1<'a, F>>,
    /// ∂L/∂γ.
    pub grad_gamma: Option<ArrayView1<'a, F>>,
    /// ∂L/∂β.
    pub grad_beta: Option<ArrayView1<'a, F>>,
}

/// Borrowed views of the output layer at an observed step.
#[derive(Clone, Debug)]
pub struct OutputView<'a, F> {
    /// Logits, `(rows, classes)`.
    pub logits: ArrayView2<'a, F>,
    /// Output weights, `(classes, last width)`.
    pub weight: ArrayView2<'a, F>,
    /// ∂L/∂W of the output layer.
    pub grad_weight: ArrayView2<'a, F>,
    /// ∂L/∂b of the output layer.
    pub grad_bias: ArrayView1<'a, F>,
}

/// What a probe sees at an observed step.
#[derive(Clone, Debug)]
pub struct Observation<'a, F> {
    /// The step (number of updates done so far).
    pub step: usize,
    /// Epochs done so far (fractional).
    pub epoch: f64,
    /// Which examples the views were computed on.
    pub source: ProbeSource,
    /// The mean loss on those examples.
    pub loss: f64,
    /// The network's activation.
    pub activation: Activation,
    /// The network's BN placement.
    pub placement: Placement,
    /// One view per hidden block.
    pub layers: Vec<LayerView<'a, F>>,
    /// The output layer.
    pub output: OutputView<'a, F>,
}

impl<F: Float> Mlp<F> {
    /// Views of the last forward and backward pass in `ws`, for a probe or for direct inspection.
    pub fn observe<'a>(&'a self, ws: &'a Workspace<F>) -> (Vec<LayerView<'a, F>>, OutputView<'a, F>) {
        let n = ws.rows;
        let layers = self
            .layers
            .iter()
            .zip(&ws.layers)
            .enumerate()
            .map(|(index, (layer, buf))| {
                let (bn, bn_buf) = (layer.norm.batch_norm(), buf.bn());
                let stats = bn_buf.filter(|_| ws.batch_stats).map(|b| &b.cache);
                LayerView {
                    index,
                    z: buf.z.slice_rows(n),
                    a: buf.a.slice_rows(n),
                    bn_mean: stats.map(|c| c.mean.view()),
                    bn_var: stats.map(|c| c.var.view()),
                    grad_z: buf.grad_z.slice_rows(n),
                    weight: layer.linear.weight.view(),
                    bias: layer.linear.bias.as_ref().map(|b| b.view()),
                    grad_weight: buf.grad_w.view(),
                    grad_bias: buf.grad_b.as_ref().map(|b| b.view()),
                    gamma: bn.map(|b| b.gamma.view()),
                    beta: bn.map(|b| b.beta.view()),
                    grad_gamma: bn_buf.map(|b| b.grad_gamma.view()),
                    grad_beta: bn_buf.map(|b| b.grad_beta.view()),
                }
            })
            .collect();
        let output = OutputView {
            logits: ws.logits.slice_rows(n),
            weight: self.output.weight.view(),
            grad_weight: ws.out_grad_w.view(),
            grad_bias: ws.out_grad_b.view(),
        };
        (layers, output)
    }
}

/// An observer of training. Every method has an empty default.
pub trait Probe<F: Float> {
    /// Whether to compute and observe the probe set before update number `step` (`step` runs from 0 to the
    /// step budget inclusive, so the trained network is observed too).
    fn wants_probe_set(&self, _step: usize) -> bool {
        false
    }

    /// Whether to observe the training batch of update number `step`.
    fn wants_train_batch(&self, _step: usize) -> bool {
        false
    }

    /// Receives the views at a step it asked for.
    fn observe(&mut self, _obs: &Observation<'_, F>) {}

    /// Called after the update of a step at which [`Probe::observe`] was called, with the updated network.
    fn after_update(&mut self, _step: usize, _net: &Mlp<F>) {}

    /// Receives every periodic evaluation.
    fn on_eval(&mut self, _point: &EvalPoint) {}

    /// Checks the probe set of a run before its first step ([`crate::TrainData::probe_set`]), so that a probe
    /// built for another probe set (e.g. one told another size) refuses the run with an error instead of
    /// recording numbers that disagree with what it was told. The default accepts any.
    ///
    /// # Errors
    /// What the probe cannot accept about the probe set; training returns it before the first step.
    fn check_probe_set(&self, _probe_set: Option<&Dataset>) -> Result<()> {
        Ok(())
    }

    /// Sharing the probe set's observation of the first state (step 0) among a sweep's runs that start from
    /// the same network ([`crate::PreparedProbeSet`]): the settings the probe's record of that observation
    /// depends on, beyond the network and the probe set; two probes with equal keys must record equal
    /// observations of equal states the same way, and take each other's [`Probe::start_snapshot`]. `None`
    /// (the default): the probe never shares, and every run observes the first state itself.
    fn start_key(&self) -> Option<String> {
        None
    }

    /// Right after observing the probe set at step 0: what [`Probe::restore_start`] needs to record that
    /// observation again in another run. `None`: nothing to share (that run observes itself).
    fn start_snapshot(&self) -> Option<StartSnapshot> {
        None
    }

    /// In place of observing the probe set at step 0: records `snapshot` (from a probe with the same
    /// [`Probe::start_key`] that observed the same state) as if it had observed it; `net` is the network in
    /// that state. Returns false, having changed nothing, if the snapshot is not of its kind; the run then
    /// observes the state itself.
    fn restore_start(&mut self, _snapshot: &StartSnapshot, _net: &Mlp<F>) -> bool {
        false
    }
}

/// What a probe keeps of its observation of a first state, for [`Probe::restore_start`] in other runs.
pub type StartSnapshot = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// The probe that wants nothing; costs nothing.
impl<F: Float> Probe<F> for () {}

impl<F: Float, P: Probe<F> + ?Sized> Probe<F> for &mut P {
    fn wants_probe_set(&self, step: usize) -> bool {
        (**self).wants_probe_set(step)
    }
    fn wants_train_batch(&self, step: usize) -> bool {
        (**self).wants_train_batch(step)
    }
    fn observe(&mut self, obs: &Observation<'_, F>) {
        (**self).observe(obs)
    }
    fn after_update(&mut self, step: usize, net: &Mlp<F>) {
        (**self).after_update(step, net)
    }
    fn on_eval(&mut self, point: &EvalPoint) {
        (**self).on_eval(point)
    }
    fn check_probe_set(&self, probe_set: Option<&Dataset>) -> Result<()> {
        (**self).check_probe_set(probe_set)
    }
    fn start_key(&self) -> Option<String> {
        (**self).start_key()
    }
    fn start_snapshot(&self) -> Option<StartSnapshot> {
        (**self).start_snapshot()
    }
    fn restore_start(&mut self, snapshot: &StartSnapshot, net: &Mlp<F>) -> bool {
        (**self).restore_start(snapshot, net)
    }
}

/// Two probes side by side; each is shown only the observations it asked for.
impl<F: Float, A: Probe<F>, B: Probe<F>> Probe<F> for (A, B) {
    fn wants_probe_set(&self, step: usize) -> bool {
        self.0.wants_probe_set(step) || self.1.wants_probe_set(step)
    }
    fn wants_train_batch(&self, step: usize) -> bool {
        self.0.wants_train_batch(step) || self.1.wants_train_batch(step)
    }
    fn observe(&mut self, obs: &Observation<'_, F>) {
        let wants = |p: &dyn Probe<F>| match obs.source {
            ProbeSource::ProbeSet => p.wants_probe_set(obs.step),
            ProbeSource::TrainBatch => p.wants_train_batch(obs.step),
        };
        if wants(&self.0) {
            self.0.observe(obs);
        }
        if wants(&self.1) {
            self.1.observe(obs);
        }
    }
    fn after_update(&mut self, step: usize, net: &Mlp<F>) {
        self.0.after_update(step, net);
        self.1.after_update(step, net);
    }
    fn on_eval(&mut self, point: &EvalPoint) {
        self.0.on_eval(point);
        self.1.on_eval(point);
    }
    fn check_probe_set(&self, probe_set: Option<&Dataset>) -> Result<()> {
        self.0.check_probe_set(probe_set)?;
        self.1.check_probe_set(probe_set)
    }
    /// A part that does not want the probe set at step 0 needs nothing shared: where only one part wants
    /// it, the pair shares as that part alone (so a probe paired with one that wants nothing shares with
    /// the same probe unpaired); where both do, the pair's key is both keys, unambiguously quoted.
    fn start_key(&self) -> Option<String> {
        match (self.0.wants_probe_set(0), self.1.wants_probe_set(0)) {
            (true, false) => self.0.start_key(),
            (false, true) => self.1.start_key(),
            _ => Some(format!("{:?}", (self.0.start_key()?, self.1.start_key()?))),
        }
    }
    fn start_snapshot(&self) -> Option<StartSnapshot> {
        match (self.0.wants_probe_set(0), self.1.wants_probe_set(0)) {
            (true, false) => self.0.start_snapshot(),
            (false, true) => self.1.start_snapshot(),
            _ => Some(std::sync::Arc::new((self.0.start_snapshot()?, self.1.start_snapshot()?))),
        }
    }
    /// Where both parts want the probe set, each takes its own snapshot. Equal keys make both snapshots of
    /// their kind, so the second part cannot refuse once the first has taken its own; if it did (a probe
    /// whose key does not name what it restores), the first would have recorded the state twice.
    fn restore_start(&mut self, snapshot: &StartSnapshot, net: &Mlp<F>) -> bool {
        match (self.0.wants_probe_set(0), self.1.wants_probe_set(0)) {
            (true, false) => self.0.restore_start(snapshot, net),
            (false, true) => self.1.restore_start(snapshot, net),
            _ => {
                let Some((a, b)) = snapshot.downcast_ref::<(StartSnapshot, StartSnapshot)>() else { return false };
                if !self.0.restore_start(a, net) {
                    return false;
                }
                let second = self.1.restore_start(b, net);
                assert!(
                    second,
                    "a probe refused the snapshot of a probe with the same start_key (see Probe::start_key)"
                );
                true
            }
        }
    }
}
