//! Summaries over seeds: runs that differ only in learning rate and seed form a configuration; its
//! learning rate is chosen on validation accuracy (mean over the seeds every rate has, or over each rate's own
//! seeds where no seed ran them all, diverged runs scoring 0), and the
//! runs at that rate are described with mean ± 95% CI. Test accuracy never takes part in the choice.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use actscope_metrics::stats::{Describe, describe};
use serde::Serialize;

use crate::config::RunConfig;
use crate::run::{RunSummary, TARGETS};
use crate::store::{check_records, is_finished_run, list_runs, read_config, read_summary};
use crate::tuning::{Bracket, bracket, width_decades};
use crate::{Error, Result};

/// One finished run, as loaded from its directory.
#[derive(Clone, Debug)]
pub struct LoadedRun {
    /// Its directory.
    pub dir: PathBuf,
    /// `config.json`.
    pub config: RunConfig,
    /// `summary.json`.
    pub summary: RunSummary,
}

impl LoadedRun {
    /// Loads the finished run in `dir` as every reader of runs (`summarize`, `plot`, `export`, the report)
    /// loads it, whatever it reads from it afterwards: its `config.json`, its `summary.json` (checked against
    /// what a run writes, [`read_summary`]), and its `records.jsonl` checked against the checksum that
    /// summary recorded ([`check_records`]), so a damaged run is refused the same way by every command.
    ///
    /// # Errors
    /// A missing, unreadable or malformed file, settings in `config.json` that [`RunConfig::validate`]
    /// refuses in a run this build computed (but for runs made from captures), or records that do not match
    /// their checksum, naming the file.
    pub fn load(dir: PathBuf) -> Result<Self> {
        let config = read_config(&dir)?;
        let summary = read_summary(&dir)?;
        // Settings this build's `train` would refuse (lr = -1, no hidden layer) in a run this build computed
        // come from an edited or damaged file: refused, or they would be summarised as a result. Runs of other
        // code are read as they are (their rules may have differed; readers warn about mixing code versions),
        // and a run `analyze` made from captures holds only what the captures tell (its other settings are
        // defaults standing in), so both are checked for types only.
        if summary.code == crate::run::CODE && !config.is_from_captures() {
            config.validate().map_err(|e| Error::Malformed {
                path: dir.join("config.json"),
                message: format!("{e} (this build computed the run, and trains no run with it: the file was edited)"),
            })?;
        }
        check_records(&dir, &summary.records_sha256)?;
        Ok(LoadedRun { dir, config, summary })
    }

    /// [`LoadedRun::load`] of every directory of `dirs`, in parallel, in their order.
    ///
    /// # Errors
    /// The first failing run's error in that order.
    pub fn load_all(dirs: Vec<PathBuf>) -> Result<Vec<Self>> {
        use rayon::prelude::*;
        let loaded: Vec<Result<Self>> = dirs.into_par_iter().map(Self::load).collect();
        loaded.into_iter().collect()
    }
}

/// Loads every finished run in `dir` ([`LoadedRun::load`], in parallel), sorted by directory name.
///
/// # Errors
/// Unreadable directory or entry in it, or malformed run files, naming them (the first run's in name order
/// when several are).
pub fn load_runs(dir: &Path) -> Result<Vec<LoadedRun>> {
    LoadedRun::load_all(list_runs(dir)?)
}

/// The error for a directory in which [`load_runs`] found no finished run (usage), as `summarize`, `plot`
/// and `export` give it: when `dir` is itself a finished run directory it says so and names the directory
/// that holds it, otherwise it says what a run directory holds. When `dir` cannot be looked at, that error.
pub fn no_runs_error(dir: &Path) -> Error {
    let finished = match is_finished_run(dir) {
        Ok(finished) => finished,
        Err(e) => return e,
    };
    if finished {
        let parent = match (dir.file_name(), dir.parent()) {
            (Some(_), Some(p)) if !p.as_os_str().is_empty() => p.to_path_buf(),
            (Some(_), _) => PathBuf::from("."),
            (None, _) => dir.join(".."),
        };
        return Error::usage(format!(
            "{}: is itself a finished run directory; pass the directory that holds it: {}",
            dir.display(),
            parent.display()
        ));
    }
    Error::usage(format!(
        "{}: holds no finished run (a run directory holds summary.json, written when the run ends)",
        dir.display()
    ))
}

/// A warning when `summaries` were not all computed by this build's code ([`crate::run::CODE`]): mixing
/// runs of different code in one summary or figure would be comparing versions, not configurations.
/// `None` when every run carries this build's fingerprint.
pub fn mixed_code_warning<'a>(summaries: impl IntoIterator<Item = &'a RunSummary>) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in summaries {
        *counts.entry(s.code.as_str()).or_default() += 1;
    }
    if counts.keys().all(|c| *c == crate::run::CODE) {
        return None;
    }
    let list: Vec<String> =
        counts.iter().map(|(c, n)| format!("{} ({n})", if c.is_empty() { "none recorded" } else { c })).collect();
    Some(format!(
        "warning: these runs were computed by code other than this build's ({}): fingerprints {}; `actscope \
         sweep` on the same file redoes them with this build",
        crate::run::CODE,
        list.join(", ")
    ))
}

/// A warning when runs that name the same data (`data` in their settings) were trained on data of
/// different checksums: a data file changed between them (or `default` found another set), so summarising
/// them together would mix two data sets under one name. `None` when each name has one checksum.
pub fn mixed_data_warning<'a>(runs: impl IntoIterator<Item = (&'a RunConfig, &'a RunSummary)>) -> Option<String> {
    let mut by_data: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (c, s) in runs {
        *by_data.entry(c.data.as_str()).or_default().entry(s.data_checksum.as_str()).or_default() += 1;
    }
    let mixed: Vec<String> = by_data
        .iter()
        .filter(|(_, sums)| sums.len() > 1)
        .map(|(data, sums)| {
            let list: Vec<String> = sums
                .iter()
                .map(|(c, n)| format!("{} ({n} run{})", c.get(..12).unwrap_or(c), crate::words::plural(*n)))
                .collect();
            format!("data {data:?}: checksums {}", list.join(", "))
        })
        .collect();
    (!mixed.is_empty()).then(|| {
        format!(
            "warning: runs naming the same data were trained on different data ({}); they are summarised \
             together. `actscope sweep` on the same file redoes those that do not match the data as it is now",
            mixed.join("; ")
        )
    })
}

/// Whether `run` is one of the runs with these ids, as this build wrote it: under its own directory name
/// and computed by this code. A directory can also hold runs of the same settings under names that other
/// code gave them (run names and ids have changed between versions); read as well, they counted every
/// seed twice (a statistician's check found E4's 30 runs read as 60). The report's experiments and `sweep --bracket`
/// read their runs through it.
pub fn of_this_build(ids: &HashSet<String>) -> impl Fn(&LoadedRun) -> bool + '_ {
    |r: &LoadedRun| {
        ids.contains(&r.config.id())
            && r.summary.code == crate::run::CODE
            && r.dir.file_name().is_some_and(|n| *n == *r.config.dir_name())
    }
}

/// A warning when several run directories hold the same settings (one run id under two names: other code
/// named runs differently, or a directory was copied): each is counted, so a configuration's n counts one
/// seed twice. `None` when every run's settings are its own.
pub fn duplicate_warning(runs: &[LoadedRun]) -> Option<String> {
    let mut by_id: BTreeMap<String, Vec<&Path>> = BTreeMap::new();
    for r in runs {
        by_id.entry(r.config.id()).or_default().push(&r.dir);
    }
    let repeated: Vec<&Vec<&Path>> = by_id.values().filter(|dirs| dirs.len() > 1).collect();
    let first = repeated.first()?;
    let extra: usize = repeated.iter().map(|d| d.len() - 1).sum();
    Some(format!(
        "warning: {extra} run director{} the settings of another (e.g. {} and {}); each is counted, so the \
         seeds they repeat count twice. Keep one of each (runs of other code may be left under older names)",
        if extra == 1 { "y repeats" } else { "ies repeat" },
        first[0].display(),
        first[1].display()
    ))
}

/// Everything a summary, figure or export of `runs` (read from `dir`, when one directory) would hide, as
/// warnings and notes for the user: runs of other code ([`mixed_code_warning`]), one data name on different
/// data ([`mixed_data_warning`]), settings repeated under two names ([`duplicate_warning`]), and
/// directories in `dir` that are not finished runs ([`unfinished_note`]).
pub fn reading_warnings(dir: Option<&Path>, runs: &[LoadedRun]) -> Vec<String> {
    [
        mixed_code_warning(runs.iter().map(|r| &r.summary)),
        mixed_data_warning(runs.iter().map(|r| (&r.config, &r.summary))),
        duplicate_warning(runs),
        renamed_warning(runs),
        dir.and_then(unfinished_note),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A warning naming run directories whose `config.json` holds settings that are not those their name was
/// given for (an edited `config.json`, or a directory renamed or copied by hand): read as they are, an edited
/// learning rate put a run into a group it was never trained in. `sweep` redoes such runs; a summary only
/// warns.
pub fn renamed_warning(runs: &[LoadedRun]) -> Option<String> {
    let odd: Vec<String> = runs
        .iter()
        // Runs from captures are named for their model and seed by `analyze`, not for their settings.
        .filter(|r| !r.config.is_from_captures() && r.dir.file_name().is_some_and(|n| *n != *r.config.dir_name()))
        .map(|r| r.dir.display().to_string())
        .collect();
    let first = odd.first()?;
    Some(format!(
        "warning: {} run director{} not named for the settings in {} config.json (e.g. {first}): an edited \
         config.json, or a directory renamed by hand; they are read with the settings their config.json holds",
        odd.len(),
        if odd.len() == 1 { "y is" } else { "ies are" },
        if odd.len() == 1 { "its" } else { "their" },
    ))
}

/// A note naming the directories directly inside `dir` that are not finished runs (no `summary.json`; not
/// hidden, as temporary directories are): they are left out of every summary, figure and export. (One named
/// as a run whose `summary.json` cannot be looked at is not left out: [`list_runs`], and so [`load_runs`],
/// fail on it.)
pub fn unfinished_note(dir: &Path) -> Option<String> {
    let mut left: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.') && e.path().is_dir())
        .filter(|e| !matches!(is_finished_run(&e.path()), Ok(true)))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    (!left.is_empty()).then(|| {
        format!(
            "note: {} director{} in {} {} not a finished run (no summary.json) and {} left out: {}",
            left.len(),
            if left.len() == 1 { "y" } else { "ies" },
            dir.display(),
            if left.len() == 1 { "is" } else { "are" },
            if left.len() == 1 { "is" } else { "are" },
            left.join(", ")
        )
    })
}

/// Mean validation accuracies closer than this are a tie in the learning-rate choice (ties go to the smaller
/// rate): far below one example's share of any validation set, far above summation rounding.
pub const TIE: f64 = 1e-9;

/// A configuration summarised over seeds at its selected learning rate.
#[derive(Clone, Debug, Serialize)]
pub struct GroupSummary {
    /// The configuration (at the selected learning rate, seed of the first run).
    pub config: RunConfig,
    /// Learning rates tried, ascending, with their mean validation accuracy over the seeds every rate has
    /// (the selection seeds; each rate's own seeds where no seed ran every rate, [`JudgedOn::NoCommonSeeds`]).
    pub lr_scores: Vec<(f64, f64)>,
    /// The learning rate chosen on validation.
    pub selected_lr: f64,
    /// Where the selected rate lies among the rates tried (is the optimum bracketed?).
    pub bracket: Bracket,
    /// Tuning robustness: the width, in decades, of the contiguous range of tried rates whose mean
    /// validation accuracy is within 1 pp of the best ([`crate::tuning::width_decades`]).
    pub lr_width_decades: f64,
    /// The same width computed seed by seed (on the selection seeds), described over seeds.
    pub lr_width_by_seed: Describe,
    /// Mean validation accuracy with its 95% interval at every rate tried, on the seeds of `lr_scores`.
    pub lr_sensitivity: Vec<(f64, Describe)>,
    /// Which of the runs at the selected rate the numbers below are over ([`JudgedOn`]).
    pub judged_on: JudgedOn,
    /// Runs at the selected rate that the numbers below are over.
    pub n: usize,
    /// Of those, diverged.
    pub diverged: usize,
    /// Seeds of the runs at the selected rate, ascending.
    pub seeds: Vec<u64>,
    /// Test accuracy per seed (None for diverged), in `seeds` order.
    pub test_by_seed: Vec<Option<f64>>,
    /// Whether each run finished without diverging, in `seeds` order (runs from captures have no test
    /// accuracy but are finished).
    pub ok_by_seed: Vec<bool>,
    /// Test accuracy over finished (non-diverged) runs.
    pub test: Describe,
    /// Validation accuracy over finished runs.
    pub val: Describe,
    /// Training-subset accuracy over finished runs.
    pub train: Describe,
    /// Steps to reach each validation target of [`TARGETS`] (over the runs that reached it), and how many did.
    pub steps_to_target: Vec<(f64, Describe, usize)>,
    /// Median wall seconds per run.
    pub wall_seconds: f64,
    /// Run directories at the selected rate, in `seeds` order.
    pub runs: Vec<PathBuf>,
}

/// Which seeds a configuration's numbers (accuracies, metrics, counts) are over. A rate chosen as the best
/// of several on some seeds scores too well on those seeds (the winner's curse, docs/statistics.md §8.2), so
/// where the chosen rate also ran on other seeds, only those count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JudgedOn {
    /// The seeds at the chosen rate that took no part in choosing it (every rate tried ran the choosing
    /// seeds; these ran at the chosen rate alone, later).
    LaterSeeds,
    /// The seeds that chose the rate, the only ones run at it: its numbers on them are optimistic.
    ChoosingSeeds,
    /// One rate only: nothing was chosen, and every seed counts.
    OneRate,
    /// No seed ran every rate tried, so each rate was scored on the seeds it ran (unpaired: noisier than a
    /// comparison on common seeds), and every seed at the chosen rate counts, optimistic as with
    /// [`JudgedOn::ChoosingSeeds`].
    NoCommonSeeds,
}

impl JudgedOn {
    /// The word a table shows, as JSON writes it: `later_seeds`, `choosing_seeds`, `one_rate` or
    /// `no_common_seeds`.
    pub fn word(self) -> &'static str {
        match self {
            JudgedOn::LaterSeeds => "later_seeds",
            JudgedOn::ChoosingSeeds => "choosing_seeds",
            JudgedOn::OneRate => "one_rate",
            JudgedOn::NoCommonSeeds => "no_common_seeds",
        }
    }
}

/// Groups `runs` by configuration and summarises each (see the module docs). Groups are ordered by their
/// configuration's canonical JSON.
pub fn summarize(runs: &[LoadedRun]) -> Vec<GroupSummary> {
    let mut groups: BTreeMap<String, Vec<&LoadedRun>> = BTreeMap::new();
    for r in runs {
        groups.entry(r.config.group_key()).or_default().push(r);
    }
    groups.into_values().map(summarize_group).collect()
}

fn summarize_group(mut runs: Vec<&LoadedRun>) -> GroupSummary {
    runs.sort_by(|a, b| a.config.lr.total_cmp(&b.config.lr).then(a.config.seed.cmp(&b.config.seed)));
    let mut by_lr: BTreeMap<u64, Vec<&LoadedRun>> = BTreeMap::new();
    for r in &runs {
        by_lr.entry(r.config.lr.to_bits()).or_default().push(r);
    }
    // Score every rate on the seeds that every rate has, so a rate that later got more seeds (sequential
    // rounds run more seeds only at the selected rate) is not compared on a different sample.
    let common: Vec<u64> = {
        let mut seeds: Vec<u64> =
            by_lr.values().next().map_or_else(Vec::new, |rs| rs.iter().map(|r| r.config.seed).collect());
        for rs in by_lr.values() {
            seeds.retain(|s| rs.iter().any(|r| r.config.seed == *s));
        }
        seeds
    };
    // Where no seed ran every rate (rates tried on disjoint seeds), each rate is scored on the seeds it ran:
    // unpaired, but a comparison (every rate had scored 0, and the smallest was taken).
    let scored = |seed: u64| common.is_empty() || common.contains(&seed);
    let lr_scores: Vec<(f64, f64)> = by_lr
        .values()
        .map(|rs| {
            let on: Vec<&&LoadedRun> = rs.iter().filter(|r| scored(r.config.seed)).collect();
            (rs[0].config.lr, on.iter().map(|r| r.summary.val_accuracy()).sum::<f64>() / on.len().max(1) as f64)
        })
        .collect();
    // Runs without a validation evaluation (e.g. `analyze`'s, from captures) have no score to show.
    let lr_sensitivity: Vec<(f64, Describe)> = by_lr
        .values()
        .filter_map(|rs| {
            let on: Vec<f64> =
                rs.iter().filter(|r| scored(r.config.seed)).filter_map(|r| r.summary.val_score()).collect();
            (!on.is_empty()).then(|| (rs[0].config.lr, describe(&on)))
        })
        .collect();
    let widths: Vec<f64> = common
        .iter()
        .map(|&seed| {
            let scores: Vec<(f64, f64)> = by_lr
                .values()
                .filter_map(|rs| rs.iter().find(|r| r.config.seed == seed))
                .map(|r| (r.config.lr, r.summary.val_accuracy()))
                .collect();
            width_decades(&scores)
        })
        .filter(|w| w.is_finite())
        .collect();
    // Highest mean validation accuracy; ties go to the smaller rate (the more conservative choice). A tie is
    // a difference below TIE: the means are of counts over the validation set, so two that agree exactly can
    // differ in their last bit by the order of summation (a statistician found relu/before's 0.0032 and 0.01
    // tied at 4.224 over 5 seeds, one of them summed to 4.223999999999999).
    let best = lr_scores.iter().fold(lr_scores[0], |b, &s| if s.1 > b.1 + TIE { s } else { b });
    let at_best: Vec<&LoadedRun> = by_lr[&best.0.to_bits()].clone();
    // The runs the numbers are over: at the chosen rate, leaving out the seeds that chose it where later seeds
    // ran at it alone (seeds above every choosing seed, at no other rate: the report's rounds). A seed
    // missing at some rate (a run unfinished or lost) is no later seed: the grid is incomplete, not extended.
    let others: Vec<u64> = runs.iter().filter(|r| r.config.lr != best.0).map(|r| r.config.seed).collect();
    let last_choosing = common.iter().max();
    let later: Vec<&LoadedRun> = at_best
        .iter()
        .copied()
        .filter(|r| last_choosing.is_some_and(|&m| r.config.seed > m) && !others.contains(&r.config.seed))
        .collect();
    let (judged_on, chosen) = if by_lr.len() == 1 {
        (JudgedOn::OneRate, at_best.clone())
    } else if common.is_empty() {
        (JudgedOn::NoCommonSeeds, at_best.clone())
    } else if later.is_empty() {
        (JudgedOn::ChoosingSeeds, at_best.clone())
    } else {
        (JudgedOn::LaterSeeds, later)
    };
    let ok: Vec<&&LoadedRun> = chosen.iter().filter(|r| r.summary.is_ok()).collect();
    let acc = |f: &dyn Fn(&RunSummary) -> Option<f64>| -> Describe {
        describe(&ok.iter().filter_map(|r| f(&r.summary)).collect::<Vec<_>>())
    };
    let steps_to_target = TARGETS
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let s: Vec<f64> = ok
                .iter()
                .filter_map(|r| r.summary.steps_to_target.get(i).copied().flatten())
                .map(|v| v as f64)
                .collect();
            let reached = s.len();
            (t, describe(&s), reached)
        })
        .collect();
    let mut walls: Vec<f64> = chosen.iter().map(|r| r.summary.wall_seconds).collect();
    walls.sort_by(f64::total_cmp);
    GroupSummary {
        config: at_best[0].config.clone(),
        bracket: bracket(&lr_scores.iter().map(|p| p.0).collect::<Vec<_>>(), best.0),
        lr_width_decades: width_decades(&lr_scores),
        lr_width_by_seed: describe(&widths),
        lr_sensitivity,
        lr_scores,
        selected_lr: best.0,
        judged_on,
        n: chosen.len(),
        diverged: chosen.len() - ok.len(),
        seeds: chosen.iter().map(|r| r.config.seed).collect(),
        test_by_seed: chosen.iter().map(|r| r.summary.test_accuracy()).collect(),
        ok_by_seed: chosen.iter().map(|r| r.summary.is_ok()).collect(),
        test: acc(&|s| s.test.as_ref().map(|p| p.accuracy)),
        val: acc(&|s| s.val.as_ref().map(|p| p.accuracy)),
        train: acc(&|s| s.train.as_ref().map(|p| p.accuracy)),
        steps_to_target,
        wall_seconds: walls.get(walls.len() / 2).copied().unwrap_or(f64::NAN),
        runs: chosen.iter().map(|r| r.dir.clone()).collect(),
    }
}

/// Activation metrics of a configuration at the final checkpoint of each finished run (diverged runs left
/// out, as for accuracies), described over those runs.
#[derive(Clone, Debug, Serialize)]
pub struct GroupMetrics {
    /// Share of hidden units that are dead (ReLU family; no runs for activations that cannot die).
    pub dead_fraction: Describe,
    /// Share of (probe example, hidden unit) pairs with φ′(z) < τ·max φ′ (no runs for activations
    /// without saturation).
    pub saturation: Describe,
    /// Effective rank of the last hidden layer's activations (runs that computed it).
    pub effective_rank_last: Describe,
}

/// The activation metrics of one run at its final checkpoint (see [`GroupMetrics`]); a metric the run
/// does not have is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct FinalMetrics {
    /// Dead hidden units over all hidden units, of the layers that measure them.
    pub dead_fraction: Option<f64>,
    /// Saturation rate, unit-weighted over the layers that measure it.
    pub saturation: Option<f64>,
    /// Effective rank of the last hidden layer.
    pub effective_rank_last: Option<f64>,
}

/// Reads the final checkpoint of the run in `dir` (its `records.jsonl`).
///
/// # Errors
/// An unreadable or malformed records file, naming it.
pub fn final_metrics(dir: &Path) -> Result<FinalMetrics> {
    use actscope_metrics::records::Record;
    let records = crate::store::read_records(dir, &read_summary(dir)?.records_sha256)?;
    let Some(last) = records.iter().rev().find_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None })
    else {
        return Ok(FinalMetrics::default());
    };
    let weighted = |f: &dyn Fn(&actscope_metrics::records::LayerRecord) -> Option<f64>| {
        let (sum, units) = last
            .layers
            .iter()
            .filter_map(|l| f(l).map(|v| (v * l.units as f64, l.units)))
            .fold((0.0, 0), |(s, n), (v, u)| (s + v, n + u));
        (units > 0).then(|| sum / units as f64)
    };
    Ok(FinalMetrics {
        dead_fraction: weighted(&|l| l.dead.map(|d| d.dead_fraction)),
        saturation: weighted(&|l| l.saturation.map(|s| s.rate)),
        effective_rank_last: last.layers.last().and_then(|l| l.effective_rank),
    })
}

/// The activation metrics of `g`'s finished runs at its selected learning rate.
///
/// # Errors
/// As [`final_metrics`].
pub fn group_metrics(g: &GroupSummary) -> Result<GroupMetrics> {
    let mut finals = Vec::new();
    for (dir, ok) in g.runs.iter().zip(&g.ok_by_seed) {
        if *ok {
            finals.push(final_metrics(dir)?);
        }
    }
    let over = |f: fn(&FinalMetrics) -> Option<f64>| describe(&finals.iter().filter_map(f).collect::<Vec<_>>());
    Ok(GroupMetrics {
        dead_fraction: over(|m| m.dead_fraction),
        saturation: over(|m| m.saturation),
        effective_rank_last: over(|m| m.effective_rank_last),
    })
}
