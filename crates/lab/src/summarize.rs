//! Summaries over seeds: runs that differ only in learning rate and seed form a configuration; its
//! learning rate is chosen on validation accuracy (mean over the seeds every rate has, diverged runs scoring 0), and the
//! runs at that rate are described with mean ± 95% CI. Test accuracy never takes part in the choice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actscope_metrics::stats::{Describe, describe};
use serde::Serialize;

use crate::Result;
use crate::config::RunConfig;
use crate::run::{RunSummary, TARGETS, list_runs, read_config, read_summary};
use crate::tuning::{Bracket, bracket, width_decades};

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

/// Loads every finished run in `dir`.
///
/// # Errors
/// Unreadable directory or malformed run files, naming them.
pub fn load_runs(dir: &Path) -> Result<Vec<LoadedRun>> {
    list_runs(dir)?
        .into_iter()
        .map(|d| Ok(LoadedRun { config: read_config(&d)?, summary: read_summary(&d)?, dir: d }))
        .collect()
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

/// A configuration summarised over seeds at its selected learning rate.
#[derive(Clone, Debug, Serialize)]
pub struct GroupSummary {
    /// The configuration (at the selected learning rate, seed of the first run).
    pub config: RunConfig,
    /// Learning rates tried, ascending, with their mean validation accuracy over the seeds every rate has
    /// (the selection seeds).
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
    /// Mean validation accuracy with its 95% interval at every rate tried, on the selection seeds.
    pub lr_sensitivity: Vec<(f64, Describe)>,
    /// Runs at the selected rate.
    pub n: usize,
    /// Of those, diverged.
    pub diverged: usize,
    /// Seeds of the runs at the selected rate, ascending.
    pub seeds: Vec<u64>,
    /// Test accuracy per seed (None for diverged), in `seeds` order.
    pub test_by_seed: Vec<Option<f64>>,
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
    let lr_scores: Vec<(f64, f64)> = by_lr
        .values()
        .map(|rs| {
            let on: Vec<&&LoadedRun> = rs.iter().filter(|r| common.contains(&r.config.seed)).collect();
            (rs[0].config.lr, on.iter().map(|r| r.summary.val_accuracy()).sum::<f64>() / on.len().max(1) as f64)
        })
        .collect();
    let lr_sensitivity: Vec<(f64, Describe)> = by_lr
        .values()
        .map(|rs| {
            let on: Vec<f64> =
                rs.iter().filter(|r| common.contains(&r.config.seed)).map(|r| r.summary.val_accuracy()).collect();
            (rs[0].config.lr, describe(&on))
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
    // Highest mean validation accuracy; ties go to the smaller rate (the more conservative choice).
    let best = lr_scores.iter().fold(lr_scores[0], |b, &s| if s.1 > b.1 { s } else { b });
    let chosen: Vec<&LoadedRun> = by_lr[&best.0.to_bits()].clone();
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
        config: chosen[0].config.clone(),
        bracket: bracket(&lr_scores.iter().map(|p| p.0).collect::<Vec<_>>(), best.0),
        lr_width_decades: width_decades(&lr_scores),
        lr_width_by_seed: describe(&widths),
        lr_sensitivity,
        lr_scores,
        selected_lr: best.0,
        n: chosen.len(),
        diverged: chosen.len() - ok.len(),
        seeds: chosen.iter().map(|r| r.config.seed).collect(),
        test_by_seed: chosen.iter().map(|r| r.summary.test_accuracy()).collect(),
        test: acc(&|s| s.test.as_ref().map(|p| p.accuracy)),
        val: acc(&|s| s.val.as_ref().map(|p| p.accuracy)),
        train: acc(&|s| s.train.as_ref().map(|p| p.accuracy)),
        steps_to_target,
        wall_seconds: walls.get(walls.len() / 2).copied().unwrap_or(f64::NAN),
        runs: chosen.iter().map(|r| r.dir.clone()).collect(),
    }
}

fn fmt_ci(d: &Describe) -> String {
    if d.n == 0 {
        "-".into()
    } else if d.n == 1 {
        format!("{:.4}", d.mean)
    } else {
        format!("{:.4} ± {:.4}", d.mean, d.half_width())
    }
}

/// The columns that describe a configuration, first in both the table and the CSV (after any setting that
/// varies between configurations).
pub const CONFIG_COLUMNS: [&str; 9] =
    ["activation", "placement", "depth", "optimizer", "lr", "lr_bracket", "lr_width_dec", "n", "diverged"];

/// The table's columns: [`CONFIG_COLUMNS`], then accuracies as "mean ± half-width".
pub const COLUMNS: [&str; 12] = [
    CONFIG_COLUMNS[0],
    CONFIG_COLUMNS[1],
    CONFIG_COLUMNS[2],
    CONFIG_COLUMNS[3],
    CONFIG_COLUMNS[4],
    CONFIG_COLUMNS[5],
    CONFIG_COLUMNS[6],
    CONFIG_COLUMNS[7],
    CONFIG_COLUMNS[8],
    "test_acc",
    "val_acc",
    "train_acc",
];

/// The cells of [`CONFIG_COLUMNS`] for one configuration, preceded by the `varying` settings' values.
fn config_cells(g: &GroupSummary, varying: &[String]) -> Vec<String> {
    let mut cells: Vec<String> = varying.iter().map(|k| setting(g, k)).collect();
    cells.extend([
        g.config.activation.to_string(),
        g.config.placement.to_string(),
        g.config.widths().len().to_string(),
        g.config.optimizer.to_string(),
        g.selected_lr.to_string(),
        bracket_word(g.bracket).to_string(),
        format!("{:.2}", g.lr_width_decades),
        g.n.to_string(),
        g.diverged.to_string(),
    ]);
    cells
}

/// Settings (keys of the run configuration) that differ between `groups`, other than those the table always
/// shows (activation, placement, depth, optimizer) and those that define a group's runs (lr, seed): the
/// axes a reader needs to tell two rows apart, e.g. `bias_init`.
pub fn varying_settings(groups: &[GroupSummary]) -> Vec<String> {
    const SHOWN: [&str; 8] = ["activation", "placement", "optimizer", "lr", "seed", "hidden", "depth", "width"];
    differing_settings(groups.iter().map(|g| &g.config), &SHOWN)
}

/// Settings (keys of the run configuration, in its order) whose value differs between `configs`, other
/// than those in `shown`.
pub fn differing_settings<'a>(configs: impl IntoIterator<Item = &'a RunConfig>, shown: &[&str]) -> Vec<String> {
    let objects: Vec<serde_json::Map<String, serde_json::Value>> = configs
        .into_iter()
        .filter_map(|c| match serde_json::to_value(c) {
            Ok(serde_json::Value::Object(m)) => Some(m),
            _ => None,
        })
        .collect();
    let Some(first) = objects.first() else { return Vec::new() };
    first
        .keys()
        .filter(|k| !shown.contains(&k.as_str()) && objects.iter().any(|o| o.get(*k) != first.get(*k)))
        .cloned()
        .collect()
}

/// The value of setting `key` in a configuration, as a config file writes it; `None` when unset (or not a
/// setting).
pub fn setting_value(config: &RunConfig, key: &str) -> Option<String> {
    match serde_json::to_value(config).ok().and_then(|v| v.get(key).cloned()) {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(v) => Some(v.to_string()),
    }
}

/// The value of setting `key` in a group's configuration, "-" when unset.
fn setting(g: &GroupSummary, key: &str) -> String {
    setting_value(&g.config, key).unwrap_or_else(|| "-".into())
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// How the table writes a bracket.
fn bracket_word(b: crate::tuning::Bracket) -> &'static str {
    match b {
        crate::tuning::Bracket::Interior => "interior",
        crate::tuning::Bracket::LowEdge => "low_edge",
        crate::tuning::Bracket::HighEdge => "high_edge",
        crate::tuning::Bracket::Single => "single",
    }
}

/// A fixed-width text table.
pub fn table(groups: &[GroupSummary]) -> String {
    let extra = varying_settings(groups);
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let mut cells = config_cells(g, &extra);
            cells.extend([fmt_ci(&g.test), fmt_ci(&g.val), fmt_ci(&g.train)]);
            cells
        })
        .collect();
    let header: Vec<String> = extra.iter().cloned().chain(COLUMNS.iter().map(|c| c.to_string())).collect();
    let mut widths: Vec<usize> = header.iter().map(|c| c.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let mut out = line(header);
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str("(accuracy: mean ± 95% t-interval half-width over seeds at the learning rate chosen on validation; lr_bracket: where that rate lies among those tried; lr_width_dec: decades of learning rate within 1 pp of the best validation accuracy)\n");
    out
}

/// CSV with one row per configuration (means and interval ends as separate columns), settings that differ
/// between configurations first; fields quoted as RFC 4180 asks.
pub fn csv(groups: &[GroupSummary]) -> String {
    let extra = varying_settings(groups);
    let mut header: Vec<String> = extra.iter().cloned().chain(CONFIG_COLUMNS.map(String::from)).collect();
    header.extend(
        ["test_mean", "test_ci_low", "test_ci_high", "val_mean", "val_ci_low", "val_ci_high", "train_mean"]
            .map(String::from),
    );
    let mut out = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for g in groups {
        let mut row = config_cells(g, &extra);
        row.extend(
            [g.test.mean, g.test.ci_low, g.test.ci_high, g.val.mean, g.val.ci_low, g.val.ci_high, g.train.mean]
                .map(|v| v.to_string()),
        );
        out.push_str(&row.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}
