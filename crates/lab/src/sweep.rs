//! Sweeps: a base configuration and axes whose Cartesian product gives the runs; parallel, resumable and
//! shardable.
//!
//! ```toml
//! name = "placement"
//! [base]
//! data = "embedded"
//! hidden = [100, 100, 100]
//! epochs = 2
//! [axes]
//! activation = ["sigmoid", "relu"]
//! placement = ["none", "before", "after"]
//! lr = [0.03, 0.1, 0.3]          # a learning-rate grid: the summary picks the best on validation
//! seed = [0, 1, 2]
//! ```
//!
//! Any configuration key can be an axis. A run is assigned to shard `i` of `n` when the first eight bytes
//! of its id, as a number, are `i` modulo `n`; the id hashes the resolved configuration, so the
//! assignment never depends on the order of axes or on other runs.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

use actscope_data::{LoadedData, load};
use rayon::prelude::*;
use serde::Deserialize;

use crate::config::RunConfig;
use crate::run::{RunState, RunSummary, execute, state};
use crate::{Error, Result, ResultExt};

/// A sweep file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    /// A name for messages and reports.
    #[serde(default)]
    pub name: Option<String>,
    /// What the report says the sweep is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Settings shared by every run.
    #[serde(default)]
    pub base: toml::Table,
    /// Axes: configuration key → values.
    #[serde(default)]
    pub axes: BTreeMap<String, Vec<toml::Value>>,
    /// Named profiles (e.g. `smoke`, `default`, `full`) that patch `base` and `axes`.
    #[serde(default)]
    pub profile: BTreeMap<String, ProfilePatch>,
}

/// Changes a profile makes to a sweep: keys merged into `base`; axes replaced (an empty list removes one).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// Keys set in `base`.
    #[serde(default)]
    pub base: toml::Table,
    /// Axes replaced or (with `[]`) removed.
    #[serde(default)]
    pub axes: BTreeMap<String, Vec<toml::Value>>,
}

impl SweepFile {
    /// Parses a sweep file's text.
    ///
    /// # Errors
    /// TOML errors and unknown top-level keys, as usage errors naming `source`.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::usage(format!("{source}: {e}")))
    }

    /// Reads and parses a sweep file.
    ///
    /// # Errors
    /// Unreadable file (runtime) or invalid content (usage).
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::fsio::read_to_string(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The sweep as profile `name` patches it (unchanged when the file has no such profile).
    pub fn with_profile(&self, name: &str) -> SweepFile {
        let mut out = self.clone();
        if let Some(p) = self.profile.get(name) {
            for (k, v) in &p.base {
                out.base.insert(k.clone(), v.clone());
            }
            for (k, v) in &p.axes {
                if v.is_empty() {
                    out.axes.remove(k);
                } else {
                    out.axes.insert(k.clone(), v.clone());
                }
            }
        }
        out.profile.clear();
        out
    }

    /// Sets `key` in `base` and removes any axis over it (e.g. to force the data of every run).
    pub fn set_base(&mut self, key: &str, value: toml::Value) {
        self.axes.remove(key);
        self.base.insert(key.to_string(), value);
    }

    /// Every run of the sweep, resolved and validated, in axis order (later axes vary fastest).
    ///
    /// # Errors
    /// An axis without values, or a combination that is not a valid configuration (naming it).
    pub fn expand(&self) -> Result<Vec<RunConfig>> {
        let mut combos: Vec<toml::Table> = vec![self.base.clone()];
        for (key, values) in &self.axes {
            if values.is_empty() {
                return Err(Error::usage(format!("axis {key:?} has no values")));
            }
            combos = combos
                .into_iter()
                .flat_map(|c| {
                    values.iter().map(move |v| {
                        let mut c = c.clone();
                        c.insert(key.clone(), v.clone());
                        c
                    })
                })
                .collect();
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for c in combos {
            let cfg = RunConfig::from_table(c.clone(), "sweep").map_err(|e| {
                let axes: Vec<String> =
                    self.axes.keys().filter_map(|k| c.get(k).map(|v| format!("{k} = {v}"))).collect();
                Error::usage(format!("{e} (run with {})", axes.join(", ")))
            })?;
            if seen.insert(cfg.id()) {
                out.push(cfg);
            }
        }
        Ok(out)
    }
}

/// A shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// Number of shards.
    pub count: u64,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n`.
    ///
    /// # Errors
    /// Malformed text or `i ≥ n`.
    pub fn parse(s: &str) -> Result<Shard> {
        let err = || Error::usage(format!("invalid --shard {s:?}; expected i/n with 0 ≤ i < n, e.g. 0/4"));
        let (i, n) = s.split_once('/').ok_or_else(err)?;
        let (index, count): (u64, u64) = (i.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
        if count == 0 || index >= count {
            return Err(err());
        }
        Ok(Shard { index, count })
    }

    /// The shard from Slurm's job-array variables, when set (`SLURM_ARRAY_TASK_ID` minus
    /// `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`).
    ///
    /// # Errors
    /// Variables present but malformed.
    pub fn from_slurm(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>> {
        let (Some(id), Some(count)) = (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT")) else {
            return Ok(None);
        };
        let num = |name: &str, v: &str| {
            v.trim().parse::<u64>().map_err(|_| Error::usage(format!("{name}={v:?} is not a whole number")))
        };
        let min = get("SLURM_ARRAY_TASK_MIN").map(|m| num("SLURM_ARRAY_TASK_MIN", &m)).transpose()?.unwrap_or(0);
        let (id, count) = (num("SLURM_ARRAY_TASK_ID", &id)?, num("SLURM_ARRAY_TASK_COUNT", &count)?);
        Shard::parse(&format!("{}/{count}", id.saturating_sub(min))).map(Some)
    }

    /// Whether the run with `id` (hex) belongs to this shard.
    pub fn owns(&self, id: &str) -> bool {
        let v = u64::from_str_radix(&id[..id.len().min(16)], 16).unwrap_or(0);
        v % self.count == self.index
    }
}

/// The default number of worker threads: one per core the process may use.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Options of a sweep execution.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Worker threads (each run is single-threaded).
    pub jobs: usize,
    /// Which runs to do.
    pub shard: Shard,
}

/// What a sweep tells its caller while it works: how many runs it will do and each finished run. Every
/// method has an empty default body, so an observer implements only what it shows; `()` shows nothing.
/// Called from worker threads, hence `Sync`.
pub trait SweepObserver: Sync {
    /// A message about what is being done (e.g. which experiment starts).
    fn message(&self, _msg: &str) {}
    /// `pending` runs are about to be executed.
    fn started(&self, _pending: usize) {}
    /// A run finished (ok or diverged).
    fn finished(&self, _summary: &RunSummary) {}
    /// Every pending run is done (or the sweep failed).
    fn closed(&self) {}
}

impl SweepObserver for () {}

/// What a sweep execution did.
#[derive(Clone, Debug, Default)]
pub struct SweepReport {
    /// Runs in this shard.
    pub planned: usize,
    /// Runs found finished by this build's code and skipped.
    pub skipped: usize,
    /// Runs found finished by other code (see [`crate::run::CODE`]), redone.
    pub stale: usize,
    /// Runs executed now.
    pub done: usize,
    /// Of those, diverged.
    pub diverged: usize,
}

/// Loads each distinct data spec once.
#[derive(Default)]
pub struct DataCache {
    map: Mutex<HashMap<String, Arc<LoadedData>>>,
}

impl DataCache {
    /// The data for `cfg`, loading it the first time.
    ///
    /// # Errors
    /// As [`load`].
    pub fn get(&self, cfg: &RunConfig) -> Result<Arc<LoadedData>> {
        let key = format!("{}|{}|{}", cfg.data, cfg.val_fraction, cfg.standardize);
        // A worker that panicked while holding the lock cannot have left a half-written map entry
        // (insert is the only mutation), so a poisoned lock is still safe to use.
        if let Some(d) = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(d.clone());
        }
        let d = Arc::new(load(&cfg.data, cfg.val_fraction, cfg.standardize)?);
        self.map.lock().unwrap_or_else(|p| p.into_inner()).insert(key, d.clone());
        Ok(d)
    }
}

/// Runs every unfinished run of `runs` that belongs to the shard, writing into `out`.
///
/// # Errors
/// The first failing run's error (the others still finish), or a thread-pool error.
pub fn execute_sweep(
    runs: &[RunConfig],
    out: &Path,
    opts: &SweepOptions,
    cache: &DataCache,
    observer: &dyn SweepObserver,
) -> Result<SweepReport> {
    let mine: Vec<&RunConfig> = runs.iter().filter(|r| opts.shard.owns(&r.id())).collect();
    let states: Vec<RunState> = mine.iter().map(|r| state(out, &r.dir_name())).collect();
    let pending: Vec<&RunConfig> =
        mine.iter().zip(&states).filter(|(_, s)| **s != RunState::Finished).map(|(r, _)| *r).collect();
    let stale = states.iter().filter(|s| matches!(s, RunState::Stale(_))).count();
    let mut report =
        SweepReport { planned: mine.len(), skipped: mine.len() - pending.len(), stale, ..Default::default() };
    // Load all data up front so errors surface before any work, and once.
    for r in &pending {
        cache.get(r)?;
    }
    observer.started(pending.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| Error::usage(format!("cannot start {} worker threads: {e}", opts.jobs)))?;
    let results: Vec<Result<RunSummary>> = pool.install(|| {
        pending
            .par_iter()
            .map(|cfg| {
                let data = cache.get(cfg)?;
                let s = execute(cfg, &data, out).context_with(|| format!("run {}", cfg.dir_name()))?;
                observer.finished(&s);
                Ok(s)
            })
            .collect()
    });
    observer.closed();
    let mut first_err = None;
    for r in results {
        match r {
            Ok(s) => {
                report.done += 1;
                report.diverged += usize::from(!s.is_ok());
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(report),
    }
}
