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
//! The runs are every combination of the axes' values, in the order `[axes]` writes the axes: the first
//! varies slowest and later ones faster (above: every sigmoid run comes before every relu run, and
//! consecutive runs differ in their seed). A profile's axis that replaces one keeps its place; an axis a
//! profile adds comes after the file's, in the profile's order; `[]` removes one.
//!
//! Any configuration key can be an axis. A sweep expands to at most [`DEFAULT_MAX_RUNS`] runs (one million;
//! [`MAX_RUNS_ENV`] or the command line's `--max-runs` changes it): the size of the grid is counted before
//! anything is expanded, and [`SweepFile::runs`] yields the runs one at a time, so a listing never holds
//! them all. Errors in `[base]` and `[axes]` name the file, the section and the key.
//!
//! A run is assigned to shard `i` of `n` when the first eight bytes
//! of its id, as a number, are `i` modulo `n`; the id hashes the resolved configuration, so the
//! assignment never depends on the order of axes or on other runs.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use actscope_data::{LoadedData, load};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::budget::{DataShape, MEMORY_ENV, MemoryLimit, check_memory, lockstep_share};
use crate::config::{RunConfig, line_of};
use crate::group::GROUP_SIZE;
use crate::run::{EvalSets, RunSummary, execute_group, execute_shared};
use crate::store::{RunState, SetAside, Stale, state_given};
use crate::{Error, Result, ResultExt};

/// The most runs a sweep may expand to unless [`MAX_RUNS_ENV`] or the caller says otherwise.
pub const DEFAULT_MAX_RUNS: u64 = 1_000_000;

/// The environment variable that overrides [`DEFAULT_MAX_RUNS`].
pub const MAX_RUNS_ENV: &str = "ACTSCOPE_MAX_RUNS";

/// The cap on a sweep's runs: `value` of [`MAX_RUNS_ENV`] when set, else [`DEFAULT_MAX_RUNS`].
///
/// # Errors
/// A value that is not a whole number ≥ 1 (usage).
pub fn max_runs(value: Option<&str>) -> Result<u64> {
    match value {
        None => Ok(DEFAULT_MAX_RUNS),
        Some(v) => v.trim().parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
            Error::usage(format!("{MAX_RUNS_ENV}={v:?} is not a number of runs; expected a whole number ≥ 1"))
        }),
    }
}

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
    /// Axes: configuration key → values, in the file's order (later axes vary fastest).
    #[serde(default, deserialize_with = "axes_in_order")]
    pub axes: Axes,
    /// Named profiles (e.g. `smoke`, `default`, `full`) that patch `base` and `axes`.
    #[serde(default)]
    pub profile: BTreeMap<String, ProfilePatch>,
    /// Where the sweep came from (the file as the user named it), for messages.
    #[serde(skip)]
    source: String,
    /// The file's text, to give the line of a key in messages.
    #[serde(skip)]
    text: String,
    /// The profile applied by [`SweepFile::with_profile`], whose keys are looked up there first.
    #[serde(skip)]
    applied: Option<String>,
}

/// Changes a profile makes to a sweep: keys merged into `base`; axes replaced in place, added after the
/// file's, or (with an empty list) removed.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// Keys set in `base`.
    #[serde(default)]
    pub base: toml::Table,
    /// Axes replaced (keeping their place), added (after the file's, in this order) or (with `[]`) removed.
    #[serde(default, deserialize_with = "axes_in_order")]
    pub axes: Axes,
}

/// A sweep's axes: configuration key → values, in the order the file writes them. (The workspace turns on
/// toml's `preserve_order`, so this map, like `toml::Table`, keeps insertion order; inserting a key it
/// holds keeps the key's place, and removing one keeps the others' order.)
pub type Axes = toml::map::Map<String, Vec<toml::Value>>;

/// A setting's value as messages show it: as TOML writes it (`1.0`), but a float in scientific notation where
/// that text is long (`1e-300`, not 300 zeros).
fn shown(v: &toml::Value) -> String {
    match v {
        toml::Value::Float(f) if v.to_string().len() > 12 => actscope_core::short_number(*f),
        toml::Value::Array(a) => format!("[{}]", a.iter().map(shown).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}

/// Reads `[axes]` entry by entry, so that they keep the file's order (a `BTreeMap` would sort the keys).
fn axes_in_order<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Axes, D::Error> {
    struct InOrder;
    impl<'de> Visitor<'de> for InOrder {
        type Value = Axes;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a table of settings, each with a list of values")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Axes, A::Error> {
            let mut axes = Axes::new();
            while let Some((key, value)) = map.next_entry::<String, toml::Value>()? {
                match value {
                    toml::Value::Array(values) => axes.insert(key, values),
                    // A single value where the axis lists them (toml said "expected a sequence").
                    one => {
                        let one = shown(&one);
                        return Err(serde::de::Error::custom(format!(
                            "[axes] {key} = {one}: an axis is a list of values, e.g. {key} = [{one}] (a setting \
                             with one value can go in [base])"
                        )));
                    }
                };
            }
            Ok(axes)
        }
    }
    d.deserialize_map(InOrder)
}

impl SweepFile {
    /// Parses a sweep file's text.
    ///
    /// # Errors
    /// TOML errors and unknown top-level keys, as usage errors naming `source`.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let file: SweepFile = toml::from_str(text).map_err(|e| Error::usage(format!("{source}: {e}")))?;
        Ok(SweepFile { source: source.to_string(), text: text.to_string(), ..file })
    }

    /// Reads and parses a sweep file.
    ///
    /// # Errors
    /// Unreadable file (runtime) or invalid content (usage).
    pub fn read(path: &Path) -> Result<Self> {
        let text = crate::fsio::read_to_string(path)?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The sweep as profile `name` patches it: its axes replace the file's in place, and new ones come after
    /// them.
    ///
    /// # Errors
    /// The file has no profile `name` (usage: a misspelt profile would otherwise run the whole sweep),
    /// naming the profiles it has.
    pub fn with_profile(&self, name: &str) -> Result<SweepFile> {
        if !self.profile.contains_key(name) {
            let names: Vec<&str> = self.profile.keys().map(String::as_str).collect();
            return Err(Error::usage(format!(
                "{}: no profile {name:?}; the file has: {}",
                self.source,
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            )));
        }
        Ok(self.with_profile_if_defined(name))
    }

    /// [`SweepFile::with_profile`] where the file may leave the profile out and then runs as written: for
    /// the report's standard profiles (`smoke`, `default`, `full`), which a sweep defines only where it
    /// differs from its own text.
    pub fn with_profile_if_defined(&self, name: &str) -> SweepFile {
        let mut out = self.clone();
        if let Some(p) = self.profile.get(name) {
            // A profile's setting replaces the file's, whether the file had it in `[base]` or as an axis.
            for (k, v) in &p.base {
                out.axes.remove(k);
                out.base.insert(k.clone(), v.clone());
            }
            for (k, v) in &p.axes {
                if v.is_empty() {
                    out.axes.remove(k);
                } else {
                    out.base.remove(k);
                    out.axes.insert(k.clone(), v.clone());
                }
            }
        }
        out.profile.clear();
        out.applied = Some(name.to_string());
        out
    }

    /// Sets `key` in `base` and removes any axis over it (e.g. to force the data of every run).
    pub fn set_base(&mut self, key: &str, value: toml::Value) {
        self.axes.remove(key);
        self.base.insert(key.to_string(), value);
    }

    /// Every run of the sweep, resolved and validated, in axis order (the file's; later axes vary fastest),
    /// without repeats; at most [`max_runs`] of the environment.
    ///
    /// # Errors
    /// As [`SweepFile::runs`], and a combination that is not a valid configuration.
    pub fn expand(&self) -> Result<Vec<RunConfig>> {
        self.expand_at_most(max_runs(std::env::var(MAX_RUNS_ENV).ok().as_deref())?)
    }

    /// [`SweepFile::expand`] with a cap of `max_runs` combinations.
    ///
    /// # Errors
    /// As [`SweepFile::expand`].
    pub fn expand_at_most(&self, max_runs: u64) -> Result<Vec<RunConfig>> {
        self.runs(max_runs)?.collect()
    }

    /// The data specs the sweep's runs read, as written: `[base]`'s `data`, the values of a `data` axis, or
    /// the runs' default (`RunConfig`'s) where the file names none. For notes on what they read (see
    /// [`actscope_data::spec::shadowed_in_file`]).
    pub fn data_specs(&self) -> Vec<String> {
        let mut specs: Vec<String> = self
            .base
            .get("data")
            .into_iter()
            .chain(self.axes.get("data").into_iter().flatten())
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if !self.base.contains_key("data") && !self.axes.contains_key("data") {
            specs.push(RunConfig::default().data);
        }
        specs.sort();
        specs.dedup();
        specs
    }

    /// The number of combinations of the axes (before repeats are dropped).
    ///
    /// # Errors
    /// An axis without values, or a product beyond 2⁶⁴ (usage).
    pub fn count(&self) -> Result<u64> {
        let mut n: u64 = 1;
        for (key, values) in &self.axes {
            if values.is_empty() {
                return Err(Error::usage(format!("{}: [axes] {key} has no values", self.source_name())));
            }
            n = n.checked_mul(values.len() as u64).ok_or_else(|| {
                Error::usage(format!("{}: the axes have more than 2⁶⁴ combinations", self.source_name()))
            })?;
        }
        Ok(n)
    }

    /// The runs one at a time, in the order of [`SweepFile::expand`], after checking `[base]` alone and
    /// each axis value against it (so an error names the key), and that the grid has at most `max_runs`
    /// combinations. Nothing is expanded before the iterator is advanced.
    ///
    /// # Errors
    /// A grid larger than `max_runs` (naming both), an axis without values, or an invalid key or value
    /// in `[base]` or `[axes]` (naming the file, section, key and value); the iterator yields the error of
    /// a combination of axis values that is invalid only together (naming them).
    pub fn runs(&self, max_runs: u64) -> Result<Runs<'_>> {
        let count = self.count()?;
        if count > max_runs {
            return Err(Error::usage(format!(
                "{}: the axes have {count} combinations, more than the limit of {max_runs} runs; shrink the \
                 grid, split it into several sweep files, or raise the limit with --max-runs or {MAX_RUNS_ENV}",
                self.source_name()
            )));
        }
        self.check_parts()?;
        Ok(Runs {
            file: self,
            axes: self.axes.iter().collect(),
            next: 0,
            count,
            seen: std::collections::HashSet::new(),
        })
    }

    fn source_name(&self) -> &str {
        if self.source.is_empty() { "sweep" } else { &self.source }
    }

    /// `file:line: [section]` of `key` in `section` (`base` or `axes`): the applied profile's section
    /// (`[profile.NAME.base]`) where the profile writes the key, else the file's.
    fn place(&self, section: &str, key: &str) -> String {
        let in_profile =
            self.applied.as_deref().filter(|p| line_of(&self.text, &["profile", p, section, key]).is_some());
        match in_profile {
            Some(p) => format!("{}: [profile.{p}.{section}]", self.at(section, key)),
            None => format!("{}: [{section}]", self.at(section, key)),
        }
    }

    /// `file:line` of `key` in `section` (`base` or `axes`), looked up in the applied profile first;
    /// the file alone when the key is not written in it.
    fn at(&self, section: &str, key: &str) -> String {
        let in_profile = self.applied.as_deref().and_then(|p| line_of(&self.text, &["profile", p, section, key]));
        match in_profile.or_else(|| line_of(&self.text, &[section, key])) {
            Some(line) => format!("{}:{line}", self.source_name()),
            None => self.source_name().to_string(),
        }
    }

    /// Whether an axis gives the network's shape (then `[base]` may lack one).
    fn axes_give_network(&self) -> bool {
        self.axes.contains_key("hidden") || self.axes.contains_key("depth")
    }

    /// Checks `[base]` alone and each axis value against it, naming the key of the first error.
    fn check_parts(&self) -> Result<()> {
        // Both shapes of the network, in any sections: every run would drop `hidden` (named with both places).
        let section = |k: &str| match (self.base.contains_key(k), self.axes.contains_key(k)) {
            (true, _) => Some("base"),
            (false, true) => Some("axes"),
            (false, false) => None,
        };
        if let (Some(h), Some(d)) = (section("hidden"), section("depth")) {
            return Err(Error::usage(format!(
                "{} hidden and {} depth: {}",
                self.place(h, "hidden"),
                self.place(d, "depth"),
                crate::config::HIDDEN_AND_DEPTH
            )));
        }
        // A key in both sections is a mistake the grid would hide: the axis would win over the base (a value
        // twice in one axis, which would make one run, is caught below, as parsed).
        for k in self.axes.keys() {
            if let Some(v) = self.base.get(k) {
                return Err(Error::usage(format!(
                    "{} {k} is also set in [base] ({k} = {}, {}); the axis would override it: keep one",
                    self.place("axes", k),
                    shown(v),
                    self.at("base", k)
                )));
            }
        }
        // Keys and types, one key at a time: these do not depend on other keys.
        let alone = |k: &String, v: &toml::Value| parse_table(toml::Table::from_iter([(k.clone(), v.clone())]));
        for (k, v) in &self.base {
            alone(k, v).map_err(|e| Error::usage(format!("{} {k} = {}: {e}", self.place("base", k), shown(v))))?;
        }
        for (k, values) in &self.axes {
            // Values spelled apart that mean one setting ("relu" and "ReLU", "leaky_relu(0.1)" and
            // "leaky_relu(0.10)") are repeats too: compared as parsed, not as written.
            let mut parsed: Vec<serde_json::Value> = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                let mut cfg = alone(k, v)
                    .map_err(|e| Error::usage(format!("{} {k} = {}: {e}", self.place("axes", k), shown(v))))?;
                // One directory spelled two ways ("idx" and "./idx") is one run (its id is of the spelling
                // `spec::canonical` gives).
                cfg.data = actscope_data::spec::canonical(&cfg.data);
                let value = serde_json::to_value(&cfg).map_err(|e| Error::usage(format!("{k} = {}: {e}", shown(v))))?;
                if let Some(j) = parsed.iter().position(|p| *p == value) {
                    if values[j] == *v {
                        return Err(Error::usage(format!(
                            "{} {k} lists {v} twice (value {} of {}); expected each value once",
                            self.place("axes", k),
                            i + 1,
                            values.len()
                        )));
                    }
                    return Err(Error::usage(format!(
                        "{} {k} lists {} and {v}, the same setting (values {} and {} of {}); expected each value once: the repeat would make one run, not two",
                        self.place("axes", k),
                        values[j],
                        j + 1,
                        i + 1,
                        values.len()
                    )));
                }
                parsed.push(value);
            }
        }
        // The data must be findable (what its files hold is checked when they are loaded): a mistyped path
        // fails here, before any run and in --dry-run, naming the file and line; it failed when the runs
        // started, naming neither.
        let data = |section: &str, v: &toml::Value| match v.as_str() {
            Some(spec) => actscope_data::check(spec)
                .map_err(|e| Error::usage(format!("{} data = {v}: {e}", self.place(section, "data")))),
            None => Ok(()),
        };
        if let Some(v) = self.base.get("data") {
            data("base", v)?;
        }
        for v in self.axes.get("data").into_iter().flatten() {
            data("axes", v)?;
        }
        // The base as a whole, with a stand-in network where it has none. A setting that fails alone may
        // be mended by an axis (e.g. `nesterov = true` with a momentum axis), so a failure counts only when
        // the first run of the grid (base and each axis's first value) fails too; it is blamed on the base
        // key whose removal mends that run.
        let first: toml::Table = self.axes.iter().map(|(k, v)| (k.clone(), v[0].clone())).collect();
        let run_with = |extra: &toml::Table| {
            let mut t = self.base.clone();
            t.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
            t
        };
        if build(with_network(self.base.clone())).is_err()
            && let Err(e) = build(with_network(run_with(&first)))
        {
            let culprit = self.base.iter().filter(|(k, _)| !first.contains_key(*k)).find(|(k, _)| {
                let mut t = run_with(&first);
                t.remove(*k);
                build(with_network(t)).is_ok()
            });
            if let Some((k, v)) = culprit {
                return Err(Error::usage(format!("{} {k} = {}: {e}", self.place("base", k), shown(v))));
            }
        }
        if !self.axes_give_network() && !self.base.contains_key("hidden") && !self.base.contains_key("depth") {
            build(self.base.clone()).map_err(|e| Error::usage(format!("{}: [base]: {e}", self.source_name())))?;
        }
        // Each axis value against the base, confirmed on a run of the grid (the other axes at their first
        // value) as above.
        for (k, values) in &self.axes {
            for v in values {
                let one = toml::Table::from_iter([(k.clone(), v.clone())]);
                if build(with_network(run_with(&one))).is_ok() {
                    continue;
                }
                let mut grid_run = first.clone();
                grid_run.insert(k.clone(), v.clone());
                if let Err(e) = build(with_network(run_with(&grid_run))) {
                    // Invalid only together with another axis's value when another value of that axis mends
                    // it (`momentum = 0` with `nesterov = true`): both are named, in the file's order.
                    let partner = self.axes.keys().filter(|k2| *k2 != k).find(|k2| {
                        self.axes[*k2].iter().any(|v2| {
                            let mut t = grid_run.clone();
                            t.insert((*k2).clone(), v2.clone());
                            build(with_network(run_with(&t))).is_ok()
                        })
                    });
                    return Err(Error::usage(match partner {
                        Some(k2) => {
                            let together: Vec<String> = self
                                .axes
                                .keys()
                                .filter(|a| *a == k || *a == k2)
                                .map(|a| format!("{a} = {}", grid_run[a]))
                                .collect();
                            format!("{}: [axes] {}: {e}", self.source_name(), together.join(", "))
                        }
                        None => format!("{} {k} = {}: {e}", self.place("axes", k), shown(v)),
                    }));
                }
            }
        }
        Ok(())
    }
}

/// A configuration's fields from a table, without validation.
fn parse_table(table: toml::Table) -> Result<RunConfig> {
    RunConfig::from_table_unvalidated(table)
}

/// A configuration from a table, validated.
fn build(table: toml::Table) -> Result<RunConfig> {
    let cfg = parse_table(table)?;
    cfg.validate()?;
    Ok(cfg)
}

/// `table` with a one-unit stand-in network when it names none, to check its other keys alone.
fn with_network(mut table: toml::Table) -> toml::Table {
    if !table.contains_key("hidden") && !table.contains_key("depth") {
        table.insert("hidden".into(), toml::Value::Array(vec![toml::Value::Integer(1)]));
    }
    table
}

/// The runs of a sweep, built one at a time (see [`SweepFile::runs`]); a run that repeats an earlier one
/// (the same resolved configuration) is skipped.
pub struct Runs<'a> {
    file: &'a SweepFile,
    axes: Vec<(&'a String, &'a Vec<toml::Value>)>,
    next: u64,
    count: u64,
    /// Ids of the runs yielded so far (48 bits each: the run id's 12 hex digits).
    seen: std::collections::HashSet<u64>,
}

impl Runs<'_> {
    /// Combinations of axis values (before repeats are dropped).
    pub fn combinations(&self) -> u64 {
        self.count
    }
}

impl Iterator for Runs<'_> {
    type Item = Result<RunConfig>;

    fn next(&mut self) -> Option<Result<RunConfig>> {
        while self.next < self.count {
            // Combination `next` in mixed radix, the last axis varying fastest.
            let mut rest = self.next;
            self.next += 1;
            let mut table = self.file.base.clone();
            let mut chosen = Vec::with_capacity(self.axes.len());
            for (key, values) in self.axes.iter().rev() {
                let n = values.len() as u64;
                let v = &values[(rest % n) as usize];
                rest /= n;
                table.insert((*key).clone(), v.clone());
                chosen.push(format!("{key} = {v}"));
            }
            let cfg = match build(table) {
                Ok(c) => c,
                Err(e) => {
                    // Stop after the first invalid combination, as a collected expansion does.
                    self.next = self.count;
                    chosen.reverse();
                    let at =
                        if chosen.is_empty() { "[base]".to_string() } else { format!("[axes] {}", chosen.join(", ")) };
                    return Some(Err(Error::usage(format!("{}: {at}: {e}", self.file.source_name()))));
                }
            };
            let id = u64::from_str_radix(&cfg.id(), 16).unwrap_or(0);
            if self.seen.insert(id) {
                return Some(Ok(cfg));
            }
        }
        None
    }
}

/// A shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count` (private: [`Shard::new`] keeps `index < count`, which [`Shard::owns`] needs).
    index: u64,
    /// Number of shards, ≥ 1.
    count: u64,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`.
    ///
    /// # Errors
    /// `count` is 0 or `index ≥ count` (usage).
    pub fn new(index: u64, count: u64) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(Error::usage(format!("invalid shard {index}/{count}; expected i/n with 0 ≤ i < n, e.g. 0/4")));
        }
        Ok(Shard { index, count })
    }

    /// This shard's index, `0..count`.
    pub fn index(&self) -> u64 {
        self.index
    }

    /// The number of shards.
    pub fn count(&self) -> u64 {
        self.count
    }

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
        let (id, count) = match (get("SLURM_ARRAY_TASK_ID"), get("SLURM_ARRAY_TASK_COUNT")) {
            (Some(id), Some(count)) => (id, count),
            (None, _) => return Ok(None),
            // Without the count the shards cannot be told apart: every task would run the whole sweep.
            (Some(id), None) => {
                return Err(Error::usage(format!(
                    "SLURM_ARRAY_TASK_ID={id:?} is set but SLURM_ARRAY_TASK_COUNT is not, so this task cannot tell \
                     which share of the sweep is its own; give it with --shard INDEX/COUNT"
                )));
            }
        };
        let num = |name: &str, v: &str| {
            v.trim().parse::<u64>().map_err(|_| Error::usage(format!("{name}={v:?} is not a whole number")))
        };
        let min = get("SLURM_ARRAY_TASK_MIN").map(|m| num("SLURM_ARRAY_TASK_MIN", &m)).transpose()?.unwrap_or(0);
        let (id, count) = (num("SLURM_ARRAY_TASK_ID", &id)?, num("SLURM_ARRAY_TASK_COUNT", &count)?);
        // Below the array's first index, the difference would wrap or (saturating) make another task's shard:
        // two tasks would run the same runs and none the others.
        let index = id.checked_sub(min).ok_or_else(|| {
            Error::usage(format!(
                "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}: the task's index in the array \
                 cannot be told; give it with --shard INDEX/COUNT"
            ))
        })?;
        Shard::parse(&format!("{index}/{count}")).map(Some)
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
    /// Worker threads (each run, or lockstep group of runs, is single-threaded).
    pub jobs: usize,
    /// Which runs to do.
    pub shard: Shard,
    /// Train runs that share their batches in lockstep groups ([`crate::group`]); the results are the
    /// same either way, only the speed differs. [`lockstep_default`] gives the default.
    pub lockstep: bool,
}

/// The environment variable that turns lockstep groups on (`1`, `on`, `true`, `yes`) or off (`0`, `off`,
/// `false`, `no`) for the report and every sweep that does not say.
pub const LOCKSTEP_ENV: &str = "ACTSCOPE_LOCKSTEP";

/// Whether sweeps train in lockstep groups by default: `value` of [`LOCKSTEP_ENV`] when set, else no.
/// Off by default because on E1's grid lockstep measured no faster than one run at a time (0.92× and 0.96×
/// runs per CPU-second with one and two workers; docs/performance.md, "Lockstep sweeps"): a run spends
/// most of its time outside the shared products, and cycling through a group's runs costs cache locality.
///
/// # Errors
/// A value that is none of the words above (usage).
pub fn lockstep_default(value: Option<&str>) -> Result<bool> {
    match value.map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if ["1", "on", "true", "yes"].contains(&v.as_str()) => Ok(true),
        Some(v) if ["0", "off", "false", "no"].contains(&v.as_str()) => Ok(false),
        Some(v) => Err(Error::usage(format!("{LOCKSTEP_ENV}={v:?}: expected on or off (1/0, true/false, yes/no)"))),
    }
}

impl SweepOptions {
    /// `jobs` workers on `shard`, lockstep as [`LOCKSTEP_ENV`] says (default off).
    ///
    /// # Errors
    /// A malformed [`LOCKSTEP_ENV`] (usage).
    pub fn new(jobs: usize, shard: Shard) -> Result<Self> {
        Ok(SweepOptions { jobs, shard, lockstep: lockstep_default(std::env::var(LOCKSTEP_ENV).ok().as_deref())? })
    }
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
    /// Runs found finished but not reusable, redone: each run's directory name and why (other code, see
    /// [`crate::run::CODE`]; other data; damaged files).
    pub redone: Vec<(String, Stale)>,
    /// Runs executed now.
    pub done: usize,
    /// Of those, diverged.
    pub diverged: usize,
}

/// Loads each distinct data spec once (and finds its [`DataShape`] once).
#[derive(Default)]
pub struct DataCache {
    map: Mutex<HashMap<String, Arc<LoadedData>>>,
    shapes: Mutex<HashMap<String, DataShape>>,
}

fn cache_key(cfg: &RunConfig) -> String {
    format!("{}|{}|{}", cfg.data, cfg.val_fraction, cfg.standardize)
}

impl DataCache {
    /// The shape of `cfg`'s data ([`DataShape::of`], which scans the evaluation sets), found once per data.
    ///
    /// # Errors
    /// As [`load`].
    pub fn shape(&self, cfg: &RunConfig) -> Result<DataShape> {
        let key = cache_key(cfg);
        if let Some(s) = self.shapes.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(*s);
        }
        let shape = DataShape::of(&*self.get(cfg)?);
        self.shapes.lock().unwrap_or_else(|p| p.into_inner()).insert(key, shape);
        Ok(shape)
    }

    /// The data for `cfg`, loading it the first time.
    ///
    /// # Errors
    /// As [`load`].
    pub fn get(&self, cfg: &RunConfig) -> Result<Arc<LoadedData>> {
        let key = cache_key(cfg);
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

/// How [`execute_sweep`] trains the runs `pending`, whose memory needs (bytes; with their
/// [`lockstep_share`] under `opts.lockstep`) are `needs`: the indices of each lockstep group, or each run
/// alone; checked against `limit` for `opts.jobs` groups at once. A dry run calls it with the runs it would
/// train, so it fails where the sweep would.
///
/// # Errors
/// The `jobs` largest groups together exceed `limit` (usage: lower `--jobs`).
pub fn plan(
    pending: &[&RunConfig],
    needs: &[u64],
    opts: &SweepOptions,
    limit: &MemoryLimit,
) -> Result<Vec<Vec<usize>>> {
    let jobs = opts.jobs.max(1);
    let plan: Vec<Vec<usize>> = if opts.lockstep {
        crate::group::groups(pending, needs, GROUP_SIZE, jobs, limit.bytes / jobs as u64)
    } else {
        (0..pending.len()).map(|i| vec![i]).collect()
    };
    let mut group_needs: Vec<u64> =
        plan.iter().map(|g| g.iter().fold(0u64, |a, &i| a.saturating_add(needs[i]))).collect();
    check_parallel(&mut group_needs, jobs, limit, opts.lockstep)?;
    Ok(plan)
}

/// The memory a run of `r` on data of `shape` needs in a sweep with `opts` (its estimate `e`, with its
/// share of a lockstep group's buffers under `opts.lockstep`): what [`plan`] is given.
pub fn sweep_need(r: &RunConfig, shape: &DataShape, e: &crate::budget::MemoryEstimate, opts: &SweepOptions) -> u64 {
    if opts.lockstep { e.total.saturating_add(lockstep_share(r, shape)) } else { e.total }
}

/// An error when the `jobs` largest of the runs' memory needs (bytes), which may run at once, together
/// exceed `limit`.
fn check_parallel(needs: &mut [u64], jobs: usize, limit: &MemoryLimit, lockstep: bool) -> Result<()> {
    needs.sort_unstable_by(|a, b| b.cmp(a));
    let at_once = jobs.min(needs.len());
    let together = needs[..at_once].iter().fold(0u64, |a, &b| a.saturating_add(b));
    if at_once > 1 && together > limit.bytes {
        return Err(Error::usage(format!(
            "{at_once} {} at once (--jobs {jobs}) need about {} of memory together, more than the limit of \
             {limit}; lower --jobs, or set {MEMORY_ENV} if the machine can hold them",
            if lockstep { "lockstep groups" } else { "runs" },
            crate::budget::bytes(together)
        )));
    }
    Ok(())
}

/// Where run `r` stands in `out` ([`crate::store::state`], with the runs set aside there found once: `aside`):
/// its data (from `cache`) is loaded only when a finished directory is there to compare its checksum with.
///
/// # Errors
/// The run's data cannot be loaded.
pub fn run_state(r: &RunConfig, out: &Path, cache: &DataCache, aside: &SetAside) -> Result<RunState> {
    let name = r.dir_name();
    // A run that cannot be looked at is damaged, not missing (state_given says why); only a run that is not
    // there, and was not set aside, is missing without reading its data.
    if matches!(crate::store::is_finished_run(&out.join(&name)), Ok(false)) && aside.get(&name).is_none() {
        return Ok(RunState::Missing);
    }
    Ok(state_given(out, &name, &cache.get(r)?.checksum, aside))
}

/// The runs of a shard still to train, with the directory name and state of each of its runs.
type Pending<'a> = (Vec<&'a RunConfig>, Vec<(String, RunState)>);

/// The runs of `runs` this shard still has to train (not finished by this build's code on their data), with
/// the names and states of all its runs.
fn pending<'a>(runs: &'a [RunConfig], out: &Path, shard: Shard, cache: &DataCache) -> Result<Pending<'a>> {
    let mine: Vec<&RunConfig> = runs.iter().filter(|r| shard.owns(&r.id())).collect();
    let aside = SetAside::find(out);
    let states =
        mine.iter().map(|r| Ok((r.dir_name(), run_state(r, out, cache, &aside)?))).collect::<Result<Vec<_>>>()?;
    let pending = mine.iter().zip(&states).filter(|(_, s)| s.1 != RunState::Finished).map(|(r, _)| *r).collect();
    Ok((pending, states))
}

/// How [`execute_sweep`] would group the unfinished runs of this shard, as lines for a dry run: one per
/// lockstep group (its size, what its runs share and their names), or none when `opts.lockstep` is off.
/// Groups are shown before the memory check, which may split a group whose runs would not fit together.
///
/// # Errors
/// The data of a run found finished cannot be loaded (its checksum decides whether it is pending).
pub fn describe_groups(runs: &[RunConfig], out: &Path, opts: &SweepOptions, cache: &DataCache) -> Result<Vec<String>> {
    if !opts.lockstep {
        return Ok(Vec::new());
    }
    let (pending, _) = pending(runs, out, opts.shard, cache)?;
    if pending.is_empty() {
        return Ok(Vec::new());
    }
    let plan = crate::group::groups(&pending, &vec![0; pending.len()], GROUP_SIZE, opts.jobs.max(1), u64::MAX);
    let mut lines = vec![format!(
        "lockstep: {} runs to train in {} group(s) over {} worker(s) (at most {GROUP_SIZE} runs per group)",
        pending.len(),
        plan.len(),
        opts.jobs.max(1)
    )];
    for (g, members) in plan.iter().enumerate() {
        let r = pending[members[0]];
        let length = r.steps.map_or(format!("{} epochs", r.epochs), |s| format!("{s} steps"));
        let names: Vec<String> = members.iter().map(|&i| pending[i].dir_name()).collect();
        lines.push(format!(
            "group {} ({} runs; data {}, seed {}, batch {}, {length}): {}",
            g + 1,
            members.len(),
            r.data,
            r.seed,
            r.batch_size,
            names.join(" ")
        ));
    }
    Ok(lines)
}

/// Runs every unfinished run of `runs` that belongs to the shard, writing into `out`. With
/// `opts.lockstep`, runs that share their batches train in lockstep groups ([`crate::group`],
/// [`execute_group`]); each run's directory is the same either way (but for `wall_seconds`).
///
/// # Errors
/// A run that does not fit in memory, or runs that together (`jobs` runs or groups at once) do not (before
/// any work; see [`crate::budget`]); the first failing run's error (the others still finish), or a
/// thread-pool error.
pub fn execute_sweep(
    runs: &[RunConfig],
    out: &Path,
    opts: &SweepOptions,
    cache: &DataCache,
    observer: &dyn SweepObserver,
) -> Result<SweepReport> {
    // Put back runs a process that died had set aside to replace, before their states are read (they were
    // trained again), and clear its other leftovers.
    crate::store::recover(out)?;
    let (pending, states) = pending(runs, out, opts.shard, cache)?;
    // A directory in a run's place that is not a finished run is never overwritten: refused before any run
    // trains (it had been found only when the run was to be put in place, after all the work).
    for r in &pending {
        crate::store::not_a_foreign_directory(out, &r.dir_name())?;
    }
    let planned = states.len();
    let redone: Vec<(String, Stale)> = states
        .into_iter()
        .filter_map(|(name, s)| match s {
            RunState::Stale(why) => Some((name, why)),
            _ => None,
        })
        .collect();
    let mut report = SweepReport { planned, skipped: planned - pending.len(), redone, ..Default::default() };
    // Load all data up front, and check that the runs fit in memory, so errors surface before any work.
    let limit = MemoryLimit::current()?;
    let jobs = opts.jobs.max(1);
    let mut needs = Vec::with_capacity(pending.len());
    // Each distinct data once, with its shape (which reads the evaluation sets to see whether they will be
    // grouped); `data_of[i]` is pending run i's.
    let mut distinct: Vec<(Arc<LoadedData>, DataShape)> = Vec::new();
    let mut data_of = Vec::with_capacity(pending.len());
    let mut noted: Vec<(usize, usize)> = Vec::new();
    for r in &pending {
        let data = cache.get(r)?;
        let at = distinct.iter().position(|(d, _)| Arc::ptr_eq(d, &data)).unwrap_or_else(|| {
            let shape = DataShape::of(&data);
            distinct.push((data, shape));
            distinct.len() - 1
        });
        data_of.push(at);
        let shape = &distinct[at].1;
        if !noted.contains(&(at, r.probe_size)) {
            noted.push((at, r.probe_size));
            if let Some(note) = r.probe_note(shape.val) {
                observer.message(&note);
            }
        }
        let e = check_memory(r, shape, &limit).context_with(|| format!("run {}", r.dir_name()))?;
        needs.push(sweep_need(r, shape, &e, opts));
    }
    let plan = plan(&pending, &needs, opts, &limit)?;
    // Each data's evaluation sets, grouped once and shared by all its runs (a group's runs share their data).
    let evals: Vec<EvalSets<'_>> = distinct.iter().map(|(d, shape)| EvalSets::with_shape(d, *shape)).collect();
    let which: Vec<usize> = plan.iter().map(|g| data_of[g[0]]).collect();
    observer.started(pending.len());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| Error::usage(format!("cannot start {} worker threads: {e}", opts.jobs)))?;
    let results: Vec<Result<RunSummary>> = pool.install(|| {
        plan.par_iter()
            .zip(&which)
            .flat_map_iter(|(group, &which)| {
                let cfgs: Vec<&RunConfig> = group.iter().map(|&i| pending[i]).collect();
                let evals = &evals[which];
                let results = if cfgs.len() == 1 {
                    vec![execute_shared(cfgs[0], evals, out)]
                } else {
                    execute_group(&cfgs, evals, out)
                };
                cfgs.into_iter()
                    .zip(results)
                    .map(|(cfg, r)| {
                        let s = r.context_with(|| format!("run {}", cfg.dir_name()))?;
                        observer.finished(&s);
                        Ok(s)
                    })
                    .collect::<Vec<_>>()
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
