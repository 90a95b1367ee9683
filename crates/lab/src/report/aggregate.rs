//! Loading an experiment's runs with their records, and reducing them to numbers per configuration.

use std::path::Path;

use actscope_core::{Activation, EvalPoint};
use actscope_metrics::records::{Checkpoint, LayerRecord, MeasuredOn, Record};
use actscope_metrics::stats::describe;
use actscope_plots::figures::MeanCurve;

use crate::Result;
use crate::config::RunConfig;
use crate::run::RunSummary;
use crate::summarize::{GroupSummary, LoadedRun, load_runs, summarize};

/// One run with its records.
#[derive(Clone, Debug)]
pub struct Run {
    /// Its configuration.
    pub config: RunConfig,
    /// Its summary.
    pub summary: RunSummary,
    /// Its records.
    pub records: Vec<Record>,
}

impl Run {
    /// Probe-set checkpoints in step order.
    pub fn checkpoints(&self) -> Vec<&Checkpoint> {
        self.records.iter().filter_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None }).collect()
    }

    /// The first checkpoint (step 0).
    pub fn first(&self) -> Option<&Checkpoint> {
        self.checkpoints().into_iter().next()
    }

    /// The last checkpoint (the end of training, or the last before divergence).
    pub fn last(&self) -> Option<&Checkpoint> {
        self.checkpoints().into_iter().last()
    }

    /// The checkpoint at the end of training: the last one, unless the run stopped early at a non-finite
    /// loss. Its last checkpoint is then from before it stopped (step 0, an earlier training batch, or the
    /// probe set measured just before the loss that stopped it), not from the end of training, and this is
    /// `None` ([`Run::stopped_early`]).
    pub fn end(&self) -> Option<&Checkpoint> {
        if self.stopped_early() { None } else { self.last() }
    }

    /// Whether the run stopped before the end of its budget, at a non-finite loss. A run whose loss blew
    /// up for good but stayed finite ([`crate::run::DIVERGENCE_FACTOR`]) trained to the end and did not.
    ///
    /// Told from the summary and the budget: such a run's `steps` is the step whose loss was not finite
    /// (its `diverged_step`), short of its budget of `steps`, or, for a budget in epochs, its last
    /// evaluation falls before the last epoch ends. (A loss that blows up for good from the last
    /// evaluation on has the same `diverged_step` and `steps`, but at the end of the budget.)
    pub fn stopped_early(&self) -> bool {
        let s = &self.summary;
        s.diverged_step == Some(s.steps)
            && match self.config.steps {
                Some(budget) => s.steps < budget,
                None => s.val.as_ref().is_none_or(|p| p.epoch < self.config.epochs as f64),
            }
    }

    /// Evaluations on `set` in step order.
    pub fn evals(&self, set: &str) -> Vec<&EvalPoint> {
        self.records
            .iter()
            .filter_map(|r| if let Record::Eval(e) = r { Some(e) } else { None })
            .filter(|e| e.set == set)
            .collect()
    }

    /// Final test accuracy (NaN if diverged).
    pub fn test_accuracy(&self) -> f64 {
        self.summary.test_accuracy().unwrap_or(f64::NAN)
    }

    /// Final test accuracy as C2 and C4 compare it: a run that stopped at a non-finite loss
    /// ([`Run::stopped_early`]) predicts nothing and scores chance level (the accuracy of a guess,
    /// [`crate::run::RunSummary::chance`]; NaN where that is unknown); any other run, one whose loss blew
    /// up for good but stayed finite included, its test accuracy at the end of training. Leaving failed runs
    /// out (they had been) compares the arms on the runs that succeeded, which favours the arm that fails
    /// more often.
    pub fn judged_test_accuracy(&self) -> f64 {
        if self.stopped_early() {
            return self.summary.chance().unwrap_or(f64::NAN);
        }
        self.summary.test.as_ref().map_or(f64::NAN, |p| p.accuracy)
    }
}

/// An experiment's runs and per-configuration summaries.
#[derive(Clone, Debug)]
pub struct Experiment {
    /// Name (E1, …).
    pub name: String,
    /// What it is for.
    pub description: String,
    /// All runs.
    pub runs: Vec<Run>,
    /// The activations the experiment covers, each once, in the order its sweep file lists them (for a
    /// directory loaded without its sweep file: in the order of the run directories' names).
    pub activations: Vec<Activation>,
    /// Configurations summarised over seeds at their selected learning rate.
    pub groups: Vec<GroupSummary>,
    /// Wall seconds the sweep took in this invocation (0 when everything was resumed).
    pub wall_seconds: f64,
}

impl Experiment {
    /// Loads every finished run in `dir`.
    ///
    /// # Errors
    /// Unreadable or malformed run files, naming them.
    pub fn load(name: &str, description: &str, dir: &Path, wall_seconds: f64) -> Result<Self> {
        Self::load_only(name, description, dir, wall_seconds, |_: &LoadedRun| true)
    }

    /// Loads the finished runs in `dir` that pass `keep` (e.g. the runs of one profile, when the directory
    /// also holds another's), and summarises only those.
    ///
    /// # Errors
    /// Unreadable or malformed run files, naming them.
    pub fn load_only(
        name: &str,
        description: &str,
        dir: &Path,
        wall_seconds: f64,
        keep: impl Fn(&LoadedRun) -> bool,
    ) -> Result<Self> {
        let mut loaded = load_runs(dir)?;
        loaded.retain(|r| keep(r));
        Self::from_loaded(name, description, loaded, wall_seconds)
    }

    /// An experiment of runs already read ([`load_runs`]), e.g. by a caller that also warns about them; their
    /// records are read here.
    ///
    /// # Errors
    /// Unreadable or malformed records, naming them.
    pub fn from_loaded(name: &str, description: &str, loaded: Vec<LoadedRun>, wall_seconds: f64) -> Result<Self> {
        let groups = summarize(&loaded);
        let mut runs = Vec::with_capacity(loaded.len());
        for r in loaded {
            let records = crate::export::source::read_records(&r)?;
            runs.push(Run { config: r.config, summary: r.summary, records });
        }
        let mut activations = Vec::new();
        for r in &runs {
            if !activations.contains(&r.config.activation) {
                activations.push(r.config.activation);
            }
        }
        Ok(Experiment { name: name.into(), description: description.into(), runs, activations, groups, wall_seconds })
    }

    /// The same experiment with its activations listed in `order` (e.g. its sweep file's), keeping only
    /// those that have runs.
    pub fn with_activation_order(mut self, order: &[Activation]) -> Self {
        let mut ordered: Vec<Activation> = Vec::new();
        for a in order {
            if self.activations.contains(a) && !ordered.contains(a) {
                ordered.push(*a);
            }
        }
        self.activations = ordered;
        self
    }

    /// Settings other than lr and seed whose values differ between configurations of one activation and
    /// placement, each with its values (as a config file writes them), in the configuration's key order.
    /// Figures drawn per activation × placement show one configuration of each ([`Experiment::group`]), so
    /// where this is not empty they hide the others (a user's momentum axis had been dropped without a word).
    pub fn settings_within_cells(&self) -> Vec<(String, Vec<String>)> {
        let shown = ["activation", "placement", "lr", "seed"];
        let mut keys: Vec<String> = Vec::new();
        for (i, g) in self.groups.iter().enumerate() {
            let cell = |c: &RunConfig| c.activation == g.config.activation && c.placement == g.config.placement;
            if self.groups[..i].iter().any(|h| cell(&h.config)) {
                continue;
            }
            let configs = self.groups.iter().filter(|h| cell(&h.config)).map(|h| &h.config);
            for k in crate::columns::differing_settings(configs, &shown) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys.into_iter()
            .map(|k| {
                let mut values: Vec<String> = Vec::new();
                for g in &self.groups {
                    let v = crate::columns::setting_value(&g.config, &k).unwrap_or_else(|| "unset".into());
                    if !values.contains(&v) {
                        values.push(v);
                    }
                }
                (k, values)
            })
            .collect()
    }

    /// The most hidden layers any of its runs has (0 without runs): E2's deepest nets.
    pub fn max_depth(&self) -> usize {
        self.runs.iter().map(|r| r.config.widths().len()).max().unwrap_or(0)
    }

    /// The configuration summary matching `pred` (the first, if several do).
    pub fn group(&self, pred: impl Fn(&RunConfig) -> bool) -> Option<&GroupSummary> {
        self.groups.iter().find(|g| pred(&g.config))
    }

    /// The runs of the configuration matching `pred`, at its selected learning rate, ordered by seed: those
    /// its summary's numbers are over, never the seeds that chose the rate once later seeds ran at it
    /// ([`crate::summarize::JudgedOn`]).
    pub fn selected(&self, pred: impl Fn(&RunConfig) -> bool) -> Vec<&Run> {
        let Some(g) = self.group(&pred) else { return Vec::new() };
        self.selected_of(g)
    }

    /// [`Experiment::selected`] for one configuration summary: the runs its numbers are over
    /// ([`GroupSummary::seeds`], as `actscope summarize` shows them).
    fn selected_of(&self, g: &GroupSummary) -> Vec<&Run> {
        let mut out: Vec<&Run> = self
            .runs
            .iter()
            .filter(|r| r.config.group_key() == g.config.group_key() && r.config.lr == g.selected_lr)
            .filter(|r| g.seeds.contains(&r.config.seed))
            .collect();
        out.sort_by_key(|r| r.config.seed);
        out
    }

    /// The fewest and the most runs a configuration has at its selected learning rate ([`Experiment::selected`];
    /// with seeds in rounds, a configuration whose comparisons were decided early stops at fewer); `None`
    /// without configurations.
    pub fn seeds_per_configuration(&self) -> Option<(usize, usize)> {
        let n: Vec<usize> = self.groups.iter().map(|g| self.selected_of(g).len()).collect();
        Some((*n.iter().min()?, *n.iter().max()?))
    }

    /// All runs matching `pred` (any learning rate), ordered by seed.
    pub fn matching(&self, pred: impl Fn(&RunConfig) -> bool) -> Vec<&Run> {
        let mut out: Vec<&Run> = self.runs.iter().filter(|r| pred(&r.config)).collect();
        out.sort_by_key(|r| r.config.seed);
        out
    }
}

/// A mean curve over runs: `series(run)` gives (x, y) points; points are matched by x across runs.
pub fn mean_curve(label: &str, color: usize, runs: &[&Run], series: impl Fn(&Run) -> Vec<(f64, f64)>) -> MeanCurve {
    let all: Vec<Vec<(f64, f64)>> = runs.iter().map(|r| series(r)).collect();
    let mut xs: Vec<f64> = all.iter().flatten().map(|p| p.0).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let mut c = MeanCurve { label: label.into(), color, ..Default::default() };
    for x in xs {
        let ys: Vec<f64> =
            all.iter().filter_map(|s| s.iter().find(|p| p.0 == x).map(|p| p.1)).filter(|y| y.is_finite()).collect();
        if ys.is_empty() {
            continue;
        }
        let d = describe(&ys);
        c.x.push(x);
        c.mean.push(d.mean);
        c.lo.push(d.ci_low);
        c.hi.push(d.ci_high);
    }
    c
}

/// A per-layer checkpoint metric as (step, value) points.
pub fn layer_series(run: &Run, layer: usize, f: impl Fn(&LayerRecord) -> Option<f64>) -> Vec<(f64, f64)> {
    layer_series_on(run, layer, None, f)
}

/// [`layer_series`] of the checkpoints measured on `on` only (all with `None`): a metric that depends on
/// the sample (dead units, saturation) is not one series across the probe set and training batches.
pub fn layer_series_on(
    run: &Run,
    layer: usize,
    on: Option<MeasuredOn>,
    f: impl Fn(&LayerRecord) -> Option<f64>,
) -> Vec<(f64, f64)> {
    run.checkpoints()
        .iter()
        .filter(|c| on.is_none_or(|s| c.measured_on == s))
        .filter_map(|c| c.layers.get(layer).and_then(&f).map(|v| (c.step as f64, v)))
        .collect()
}

/// One value per run from its checkpoint at the end of training ([`Run::end`]; NaN where missing, or where
/// the run stopped early at a non-finite loss).
pub fn at_last(runs: &[&Run], f: impl Fn(&Checkpoint) -> Option<f64>) -> Vec<f64> {
    runs.iter().map(|r| r.end().and_then(&f).unwrap_or(f64::NAN)).collect()
}

/// One value per run from its first checkpoint (NaN where missing).
pub fn at_first(runs: &[&Run], f: impl Fn(&Checkpoint) -> Option<f64>) -> Vec<f64> {
    runs.iter().map(|r| r.first().and_then(&f).unwrap_or(f64::NAN)).collect()
}
