//! One run inside the training loop: its network, optimizer, probe, buffers and outcome, and what it does at
//! each step around the batch's forward and backward passes.
//!
//! [`crate::train`] drives one member over its batches; [`crate::train_lockstep`] drives several over
//! batches they share. Both call the same steps in the same order, so a run's arithmetic does not depend on
//! which of the two trained it.

use std::borrow::Cow;

use ndarray::Array2;

use crate::buffer::flat_mut;

use crate::eval::{EvalPoint, check_set, evaluate_packed};
use crate::loss::softmax_cross_entropy;
use crate::probe::{Observation, Probe, ProbeSource};
use crate::sparse::SparseSet;
use crate::train_spec::{Budget, Status, TrainConfig, TrainData, TrainOutcome};
use crate::{Error, Float, Mlp, Optimizer, PreparedSet, Result, Workspace};

/// One run's state in the training loop (see the module docs).
pub(crate) struct Member<'a, F, P> {
    pub(crate) net: &'a mut Mlp<F>,
    opt: &'a mut Optimizer<F>,
    config: &'a TrainConfig,
    pub(crate) data: TrainData<'a>,
    probe: P,
    /// Buffers of the training batch.
    pub(crate) ws: Workspace<F>,
    eval_ws: Workspace<F>,
    /// Each evaluation set's rows grouped for the sparse first-layer product, where it pays: the grouping
    /// prepared for the set ([`TrainData::prepared`]), or the run's own.
    eval_sparse: Vec<Option<Cow<'a, SparseSet>>>,
    /// The set prepared for each evaluation set, if any: it also shares the evaluations of the first state.
    eval_prepared: Vec<Option<&'a PreparedSet<'a>>>,
    probe_ws: Option<Workspace<F>>,
    probe_x: Option<Array2<F>>,
    steps_per_epoch: usize,
    /// Updates of the whole budget.
    pub(crate) total: usize,
    pub(crate) outcome: TrainOutcome,
    /// Whether the probe observed something at the current step.
    observed: bool,
}

/// Shows `probe` the pass just run through `ws` (forward and backward), at `step` (`epoch` epochs in).
fn show<F: Float, P: Probe<F>>(
    probe: &mut P,
    net: &Mlp<F>,
    ws: &Workspace<F>,
    (step, epoch): (usize, f64),
    source: ProbeSource,
    loss: f64,
) {
    let (layers, output) = net.observe(ws);
    let cfg = net.config();
    let (activation, placement) = (cfg.activation, cfg.placement);
    probe.observe(&Observation { step, epoch, source, loss, activation, placement, layers, output });
}

impl<'a, F: Float, P: Probe<F>> Member<'a, F, P> {
    /// A member for `net` and `opt` on `data` under `config`, showing `probe` what it asks for.
    ///
    /// # Errors
    /// If the data does not fit the network, the batch size is 0, larger than the training set, or 1 with
    /// BN, the evaluation chunk is 0, the budget is 0 steps or epochs, `eval_every` has a 0
    /// ([`crate::Cadence::check`]), or the probe refuses the probe set ([`Probe::check_probe_set`]).
    pub(crate) fn new(
        net: &'a mut Mlp<F>,
        opt: &'a mut Optimizer<F>,
        config: &'a TrainConfig,
        data: TrainData<'a>,
        probe: P,
    ) -> Result<Self> {
        let n = data.train.len();
        let b = config.batch_size;
        check_set(net, "training", data.train)?;
        for (name, d) in data.evals {
            check_set(net, name, d)?;
        }
        if b == 0 || b > n {
            return Err(Error::config("batch_size", format!("must lie in 1..={n} (the training set size), got {b}")));
        }
        if b < 2 && net.has_batch_norm() {
            return Err(Error::config("batch_size", "BatchNorm needs at least 2 examples per batch"));
        }
        if config.eval_batch == 0 {
            return Err(Error::config("eval_batch", "must be ≥ 1"));
        }
        match config.budget {
            Budget::Steps(0) => {
                return Err(Error::config("budget", "Steps(0) trains nothing; expected at least 1 step"));
            }
            Budget::Epochs(0) => {
                return Err(Error::config("budget", "Epochs(0) trains nothing; expected at least 1 epoch"));
            }
            _ => {}
        }
        if let Some(Err(e)) = config.eval_every.map(|c| c.check()) {
            return Err(Error::config("eval_every", format!("{e}, or None to evaluate only at step 0 and at the end")));
        }
        probe.check_probe_set(data.probe_set)?;
        let probe_x = match data.probe_set {
            Some(p) => {
                check_set(net, "probe", p)?;
                if p.len() < 2 && net.has_batch_norm() {
                    return Err(Error::config("probe_set", "BatchNorm needs at least 2 probe examples"));
                }
                Some(p.x().mapv(F::of_f32))
            }
            None => {
                // A probe that wants the probe set and was given none had recorded no checkpoint without a word.
                let total = config.total_steps(n);
                if let Some(step) = [0, total].into_iter().find(|&s| probe.wants_probe_set(s)) {
                    return Err(Error::config(
                        "probe_set",
                        format!(
                            "the probe asks for the probe set at step {step}, but the training data has none; give \
                             one to TrainData::new (or a probe that does not ask for it)"
                        ),
                    ));
                }
                None
            }
        };
        let eval_prepared: Vec<Option<&'a PreparedSet<'a>>> =
            data.evals.iter().map(|&(_, d)| data.prepared.iter().find(|p| p.is_of(d, config.eval_batch))).collect();
        Ok(Member {
            ws: Workspace::new(net, b),
            eval_ws: Workspace::new(net, config.eval_batch),
            eval_sparse: data
                .evals
                .iter()
                .zip(&eval_prepared)
                // Only f32 networks read a set in place, and only they run the sparse product.
                .map(|(&(_, d), prepared)| {
                    F::borrow_f32(d.x())?;
                    match prepared {
                        Some(p) => p.grouping().map(Cow::Borrowed),
                        None => SparseSet::new(d.x(), config.eval_batch).map(Cow::Owned),
                    }
                })
                .collect(),
            eval_prepared,
            probe_ws: data.probe_set.map(|p| Workspace::new(net, p.len())),
            probe_x,
            steps_per_epoch: config.steps_per_epoch(n),
            total: config.total_steps(n),
            outcome: TrainOutcome { steps: 0, status: Status::Ok, history: Vec::new(), last_train_loss: f64::NAN },
            observed: false,
            net,
            opt,
            config,
            data,
            probe,
        })
    }

    fn epoch(&self, step: usize) -> f64 {
        step as f64 / self.steps_per_epoch as f64
    }

    fn eval_now(&self, step: usize) -> bool {
        step == 0 || step == self.total || self.config.eval_every.is_some_and(|e| e.hits(step))
    }

    /// Whether [`Member::before_step`] reads the network's parameters at `step` (an evaluation or the probe
    /// set falls on it).
    pub(crate) fn reads_net_before(&self, step: usize) -> bool {
        self.eval_now(step) || (self.probe_x.is_some() && self.probe.wants_probe_set(step))
    }

    /// What happens before update number `step` (and after the last one, at `step == total`): the
    /// evaluations that fall on it and the probe set, when the probe wants it.
    pub(crate) fn before_step(&mut self, step: usize) {
        let epoch = self.epoch(step);
        // The first state is evaluated, and observed on the probe set, once for all the runs that start from
        // it (a sweep's runs that differ only in their optimizer), where its sets were prepared for the sweep.
        let probe_wanted = self.probe_x.is_some() && self.probe.wants_probe_set(step);
        let shared_probe = match (self.data.prepared_probe, self.data.probe_set) {
            (Some(p), Some(set)) if step == 0 && probe_wanted && p.is_of(set) => self.probe.start_key().map(|k| (p, k)),
            _ => None,
        };
        let eval_now = self.eval_now(step);
        let shares_evals = step == 0 && eval_now && self.eval_prepared.iter().any(Option::is_some);
        let start = (shares_evals || shared_probe.is_some()).then(|| self.net.digest());
        if eval_now {
            // The first Linear is packed for the sparse product once for all the sets, when the first of
            // them is evaluated here (not at all when every set's evaluation of this state is shared).
            let mut packed: Option<bool> = None;
            let sets = self.data.evals.iter().zip(&self.eval_sparse).zip(&self.eval_prepared);
            for (((name, d), sparse), prepared) in sets {
                let mut evaluate = || {
                    let sparse = sparse
                        .as_deref()
                        .filter(|_| *packed.get_or_insert_with(|| self.net.pack_first_linear(&mut self.eval_ws)));
                    evaluate_packed(self.net, d, sparse, &mut self.eval_ws)
                };
                let (loss, accuracy) = match (start, prepared) {
                    (Some(digest), Some(p)) => p.evaluate_start(digest, evaluate),
                    _ => evaluate(),
                };
                let point = EvalPoint { step, epoch, set: name.to_string(), loss, accuracy };
                self.probe.on_eval(&point);
                self.outcome.history.push(point);
            }
        }
        self.observed = false;
        if !probe_wanted {
            return;
        }
        match (shared_probe, start) {
            (Some((p, key)), Some(digest)) => {
                let mut ran = false;
                let snapshot = p.observe_start(digest, key, || {
                    self.probe_pass(step, epoch);
                    ran = true;
                    self.probe.start_snapshot()
                });
                if !ran && !snapshot.is_some_and(|s| self.probe.restore_start(&s, self.net)) {
                    self.probe_pass(step, epoch);
                }
            }
            _ => self.probe_pass(step, epoch),
        }
        self.observed = true;
    }

    /// The probe set's pass (train mode, without updating running statistics) before update `step`,
    /// shown to the probe.
    fn probe_pass(&mut self, step: usize, epoch: f64) {
        let (Some(px), Some(pws), Some(pset)) = (self.probe_x.as_ref(), self.probe_ws.as_mut(), self.data.probe_set)
        else {
            return;
        };
        self.net.forward_batch_stats(px.view(), pws);
        let (logits, grad) = pws.logits_and_grad();
        let loss = softmax_cross_entropy(logits, &pset.labels, grad).f64();
        self.net.backward(px.view(), pws);
        show(&mut self.probe, self.net, pws, (step, epoch), ProbeSource::ProbeSet, loss);
    }

    /// The loss of update `step`'s forward pass (already in the workspace) on labels `y`, and its gradient
    /// for the backward pass. False when the loss is not finite: the run has diverged and stops here.
    pub(crate) fn loss(&mut self, step: usize, y: &[usize]) -> bool {
        let (logits, grad) = self.ws.logits_and_grad();
        let loss = softmax_cross_entropy(logits, y, grad).f64();
        self.outcome.last_train_loss = loss;
        if !loss.is_finite() {
            self.outcome.status = Status::Diverged { step };
            self.outcome.steps = step;
            return false;
        }
        true
    }

    /// After the backward pass of update `step`: shows the probe the batch if it asks, then updates the
    /// parameters. `shared_first`, when given, is the first block's weight and its gradient as a lockstep
    /// group holds them (`lockstep.rs`): the weight is updated there, and copied into the network (and the
    /// gradient into the workspace) only when the probe looks at them.
    pub(crate) fn update(&mut self, step: usize, shared_first: Option<(&mut [F], &[F])>) {
        if self.probe.wants_train_batch(step) {
            if let Some((w, g)) = &shared_first {
                flat_mut(&mut self.ws.layers[0].grad_w).copy_from_slice(g);
                flat_mut(&mut self.net.layers[0].linear.weight).copy_from_slice(w);
            }
            let (loss, epoch) = (self.outcome.last_train_loss, self.epoch(step));
            show(&mut self.probe, self.net, &self.ws, (step, epoch), ProbeSource::TrainBatch, loss);
            self.observed = true;
        }
        let opt = &mut *self.opt;
        opt.begin_step();
        match shared_first {
            Some((w, g)) => {
                self.net.visit_params(
                    &self.ws,
                    |i, p, grad| if i == 0 { opt.update(i, w, g) } else { opt.update(i, p, grad) },
                );
                if self.observed {
                    flat_mut(&mut self.net.layers[0].linear.weight).copy_from_slice(w);
                }
            }
            None => self.net.visit_params(&self.ws, |i, p, g| opt.update(i, p, g)),
        }
        if self.observed {
            self.probe.after_update(step, self.net);
        }
        self.outcome.steps = step + 1;
    }
}

#[cfg(test)]
mod tests {
    use ndarray::Array2;

    use super::*;
    use crate::probe::StartSnapshot;
    use crate::sparse::kernel_available;
    use crate::{Activation, Dataset, MlpConfig, OptimizerConfig, Placement, PreparedProbeSet};

    #[test]
    fn an_evaluation_set_uses_the_grouping_prepared_from_it_and_no_other() {
        // Half the pixels 0, like an image.
        let x = Array2::from_shape_fn((40, 30), |(i, j)| if (i + 2 * j) % 4 < 2 { 0.0 } else { (i + j) as f32 / 70.0 });
        let set = Dataset::new("val", "test", x, (0..40).map(|i| i % 3).collect(), 3).unwrap();
        let copy = set.clone();
        let prepared = [PreparedSet::new(Cow::Borrowed(&set), 16).unwrap()];
        assert_eq!(prepared[0].is_sparse(), kernel_available());
        let mut net = Mlp::<f32>::new(&MlpConfig::new(30, &[8], 3, Activation::Relu, Placement::None), 1).unwrap();
        let mut opt = Optimizer::new(OptimizerConfig::sgd(0.1)).unwrap();
        for (eval_batch, shared) in [(16, true), (15, false)] {
            let mut config = TrainConfig::new(8, Budget::Steps(1), 0);
            config.eval_batch = eval_batch;
            let evals = [("val", &set), ("copy", &copy)];
            let data = TrainData::new(&set, &evals, None).with_prepared(&prepared);
            let m = Member::new(&mut net, &mut opt, &config, data, ()).unwrap();
            if !kernel_available() {
                assert!(m.eval_sparse.iter().all(Option::is_none), "no kernel, no grouping");
                continue;
            }
            let own = prepared[0].grouping().unwrap();
            match &m.eval_sparse[0] {
                Some(Cow::Borrowed(g)) => assert!(shared && std::ptr::eq(*g, own), "chunk {eval_batch}"),
                Some(Cow::Owned(g)) => assert!(!shared && g.chunk() == eval_batch, "chunk {eval_batch}"),
                None => panic!("a sparse set is grouped"),
            }
            // An equal copy is another set: grouped by the run itself.
            assert!(matches!(&m.eval_sparse[1], Some(Cow::Owned(g)) if g.chunk() == eval_batch));
        }
    }

    #[test]
    fn runs_that_start_from_the_same_state_share_its_evaluations_and_record_what_they_would_alone() {
        let x = Array2::from_shape_fn(
            (60, 12),
            |(i, j)| if (i * 3 + j) % 5 < 2 { 0.0 } else { ((i * j) % 7) as f32 / 7.0 },
        );
        let labels: Vec<usize> = (0..60).map(|i| (i * 7 % 11) % 3).collect();
        let set = Dataset::new("set", "test", x, labels, 3).unwrap();
        let val = set.head("val", 40);
        let cfg = MlpConfig::new(12, &[8, 8], 3, Activation::Tanh, Placement::Before);
        let mut config = TrainConfig::new(10, Budget::Steps(4), 0);
        config.eval_batch = 16;
        config.eval_every = Some(crate::Cadence::every(2));
        let evals = [("val", &val), ("train", &set)];
        let run = |seed: u64, opt: OptimizerConfig, prepared: &[PreparedSet<'_>]| {
            let mut net = Mlp::<f32>::new(&cfg, seed).unwrap();
            let mut opt = Optimizer::new(opt).unwrap();
            let data = TrainData::new(&set, &evals, None).with_prepared(prepared);
            crate::train(&mut net, &mut opt, &config, data, ()).unwrap().history
        };
        let prepared =
            [PreparedSet::new(Cow::Borrowed(&val), 16).unwrap(), PreparedSet::new(Cow::Borrowed(&set), 16).unwrap()];
        let optimizers = [OptimizerConfig::sgd(0.5), OptimizerConfig::sgd(0.05), OptimizerConfig::adam(0.01)];
        // Alone: no prepared sets, so nothing shared.
        let alone: Vec<_> = optimizers.iter().map(|o| run(1, *o, &[])).collect();
        // Side by side on two threads, then one more after them.
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| run(1, optimizers[0], &prepared));
            let b = s.spawn(|| run(1, optimizers[1], &prepared));
            (a.join().unwrap(), b.join().unwrap())
        });
        let c = run(1, optimizers[2], &prepared);
        assert_eq!([a, b, c], alone.as_slice());
        assert!(alone[0][2..] != alone[1][2..], "the runs part after their first update");
        assert_eq!(
            prepared.iter().map(PreparedSet::starts_evaluated).collect::<Vec<_>>(),
            [1, 1],
            "one state, each set once"
        );
        run(2, optimizers[0], &prepared);
        assert_eq!(prepared[0].starts_evaluated(), 2, "another seed, another state");
    }

    /// Records what it sees of the probe set (step, loss, Σz of the first layer) and, after each update
    /// that follows, the first weight; shares its step-0 observation unless built with `share: false`.
    #[derive(Default)]
    struct Recorder {
        share: bool,
        seen: Vec<(usize, f64, f64)>,
        after: Vec<f32>,
        observed: usize,
        restored: usize,
    }

    impl Probe<f32> for Recorder {
        fn wants_probe_set(&self, step: usize) -> bool {
            step == 0 || step == 4
        }
        fn observe(&mut self, obs: &Observation<'_, f32>) {
            let z: f64 = obs.layers[0].z.iter().map(|&v| f64::from(v)).sum();
            self.seen.push((obs.step, obs.loss, z));
            self.observed += 1;
        }
        fn after_update(&mut self, _step: usize, net: &Mlp<f32>) {
            self.after.push(net.layers[0].linear.weight[[0, 0]]);
        }
        fn start_key(&self) -> Option<String> {
            self.share.then(|| "recorder".into())
        }
        fn start_snapshot(&self) -> Option<StartSnapshot> {
            self.seen.last().map(|&r| std::sync::Arc::new(r) as StartSnapshot)
        }
        fn restore_start(&mut self, snapshot: &StartSnapshot, _net: &Mlp<f32>) -> bool {
            let Some(&r) = snapshot.downcast_ref::<(usize, f64, f64)>() else { return false };
            self.seen.push(r);
            self.restored += 1;
            true
        }
    }

    #[test]
    fn runs_that_start_from_the_same_state_share_the_probe_sets_first_observation_and_record_it_as_alone() {
        let x = Array2::from_shape_fn((60, 12), |(i, j)| ((i * 5 + j * 3) % 11) as f32 / 11.0);
        let labels: Vec<usize> = (0..60).map(|i| (i * 7 % 11) % 3).collect();
        let set = Dataset::new("set", "test", x, labels, 3).unwrap();
        let probe_set = set.head("probe", 20);
        let cfg = MlpConfig::new(12, &[8, 8], 3, Activation::Sigmoid, Placement::After);
        let config = TrainConfig::new(10, Budget::Steps(4), 0);
        let run =
            |seed: u64, opt: OptimizerConfig, prepared: Option<&PreparedProbeSet<'_>>, probe: &mut dyn Probe<f32>| {
                let mut net = Mlp::<f32>::new(&cfg, seed).unwrap();
                let mut opt = Optimizer::new(opt).unwrap();
                let data = TrainData::new(&set, &[], Some(&probe_set));
                let data = prepared.map_or(data, |p| data.with_prepared_probe(p));
                crate::train(&mut net, &mut opt, &config, data, probe).unwrap();
            };
        let optimizers = [OptimizerConfig::sgd(0.5), OptimizerConfig::sgd(0.05), OptimizerConfig::adam(0.01)];
        let recorder = |share| Recorder { share, ..Recorder::default() };
        let alone: Vec<Recorder> = optimizers
            .iter()
            .map(|o| {
                let mut r = recorder(true);
                run(1, *o, None, &mut r);
                r
            })
            .collect();
        let prepared = PreparedProbeSet::new(Cow::Borrowed(&probe_set));
        // Two threads side by side, then one more run.
        let (mut a, mut b, mut c) = (recorder(true), recorder(true), recorder(true));
        std::thread::scope(|s| {
            s.spawn(|| run(1, optimizers[0], Some(&prepared), &mut a));
            s.spawn(|| run(1, optimizers[1], Some(&prepared), &mut b));
        });
        run(1, optimizers[2], Some(&prepared), &mut c);
        for (shared, alone) in [&a, &b, &c].into_iter().zip(&alone) {
            assert_eq!((&shared.seen, &shared.after), (&alone.seen, &alone.after));
        }
        assert!(alone[0].seen[1] != alone[1].seen[1], "the runs part after their first update");
        let (observed, restored) = [&a, &b, &c].iter().fold((0, 0), |(o, r), p| (o + p.observed, r + p.restored));
        assert_eq!((observed, restored), (4, 2), "the first state observed once, the last one by each run");
        assert_eq!(prepared.starts_observed(), 1);
        // Paired with a probe that wants nothing at step 0, it shares as it does alone (a sweep's runs go
        // with a watcher, lockstep members without); two sharing probes paired share among such pairs.
        let mut pairs = [(recorder(true), ()), (recorder(true), ())];
        for (pair, o) in pairs.iter_mut().zip(optimizers) {
            run(1, o, Some(&prepared), pair);
        }
        assert_eq!([pairs[0].0.restored, pairs[1].0.restored], [1, 1]);
        assert_eq!(pairs[1].0.seen, alone[1].seen);
        assert_eq!(prepared.starts_observed(), 1);
        let mut both = [(recorder(true), recorder(true)), (recorder(true), recorder(true))];
        for (pair, o) in both.iter_mut().zip(optimizers) {
            run(1, o, Some(&prepared), pair);
        }
        let counts = |p: &(Recorder, Recorder)| (p.0.observed, p.0.restored, p.1.observed, p.1.restored);
        assert_eq!([counts(&both[0]), counts(&both[1])], [(2, 0, 2, 0), (1, 1, 1, 1)]);
        assert_eq!((&both[1].0.seen, &both[1].1.seen), (&alone[1].seen, &alone[1].seen));
        assert_eq!(prepared.starts_observed(), 2, "the pair's own key");
        // Another seed is another state; a probe that does not share (or a part of a pair that does not)
        // observes itself.
        run(2, optimizers[0], Some(&prepared), &mut recorder(true));
        assert_eq!(prepared.starts_observed(), 3);
        let mut lone = recorder(false);
        run(1, optimizers[0], Some(&prepared), &mut lone);
        let mut pair = (recorder(true), recorder(false));
        run(1, optimizers[0], Some(&prepared), &mut pair);
        assert_eq!((lone.observed, pair.0.observed, pair.1.observed, pair.0.restored), (2, 2, 2, 0));
        assert_eq!(lone.seen, alone[0].seen);
    }
}
