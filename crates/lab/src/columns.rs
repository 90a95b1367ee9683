//! The columns of a summary ([`crate::summarize`]): which exist, which show by default, and the text table,
//! CSV and JSON that show a chosen list of them.
//!
//! A column is either a setting (any key of [`crate::config::KEYS`], e.g. `bias_init`) or a derived
//! column of [`DERIVED`] (accuracies, the learning-rate choice, activation metrics). By default a summary
//! shows every setting that differs between its configurations, then [`DEFAULT_COLUMNS`]. A row is a
//! configuration over its seeds, so `seed`, which differs between a row's runs, is no column: `seeds`
//! lists them ([`PER_RUN`]).
//!
//! ```
//! use actscope_lab::columns::{Column, parse_columns};
//!
//! let cols = parse_columns("activation, test_acc,dead_frac")?;
//! assert_eq!(cols[1], Column::Derived("test_acc"));
//! assert!(parse_columns("tst_acc").unwrap_err().to_string().contains("did you mean `test_acc`?"));
//! # Ok::<(), actscope_lab::Error>(())
//! ```

use actscope_metrics::stats::Describe;
use serde_json::{Map, Value};

use crate::config::{KEYS, RunConfig, find_key, value_text};
use crate::summarize::{GroupMetrics, GroupSummary, JudgedOn};
use crate::tuning::Bracket;
use crate::{Error, Result};

/// A column of a summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// A derived column, by its [`DERIVED`] name.
    Derived(&'static str),
    /// A setting of the configuration, by its key.
    Setting(&'static str),
}

impl Column {
    /// The column's header.
    pub fn name(&self) -> &'static str {
        match self {
            Column::Derived(n) | Column::Setting(n) => n,
        }
    }

    /// Whether the column needs each run's records (the activation metrics), not only its summary.
    pub fn needs_records(&self) -> bool {
        matches!(self, Column::Derived(n) if derived(n).is_some_and(|d| d.records))
    }
}

/// One row of a summary: a configuration and, when a column needs them, its activation metrics.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// The configuration over seeds.
    pub group: &'a GroupSummary,
    /// Its activation metrics ([`crate::summarize::group_metrics`]); `None` when no column needs them.
    pub metrics: Option<&'a GroupMetrics>,
}

/// A cell: a plain value, or a statistic over seeds.
enum Cell {
    Value(Value),
    /// A number the table shows to the given decimals; CSV and JSON give it in full.
    Rounded(f64, i32),
    Stat(Describe),
}

/// A column computed from a configuration's summary.
pub struct Derived {
    /// The header.
    pub name: &'static str,
    /// What it shows.
    pub meaning: &'static str,
    /// Whether it reads the runs' records.
    records: bool,
    /// Whether it is a statistic over seeds (three CSV columns: mean and interval ends).
    stat: bool,
    cell: fn(&Row<'_>) -> Cell,
}

fn metric(r: &Row<'_>, f: fn(&GroupMetrics) -> &Describe) -> Cell {
    Cell::Stat(r.metrics.map(f).copied().unwrap_or_else(|| actscope_metrics::stats::describe(&[])))
}

/// Every derived column.
pub const DERIVED: [Derived; 15] = [
    Derived {
        name: "depth",
        meaning: "number of hidden layers",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.config.widths().len().into()),
    },
    Derived {
        name: "lr",
        meaning: "learning rate chosen on validation accuracy",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.selected_lr.into()),
    },
    Derived {
        name: "lr_bracket",
        meaning: "where the chosen rate lies among those tried: interior, low_edge, high_edge or single",
        stat: false,
        records: false,
        cell: |r| Cell::Value(bracket_word(r.group.bracket).into()),
    },
    Derived {
        name: "lr_width_dec",
        meaning: "decades of learning rate within 1 pp of the best validation accuracy",
        stat: false,
        records: false,
        cell: |r| Cell::Rounded(r.group.lr_width_decades, 2),
    },
    Derived {
        name: "judged_on",
        meaning: "which seeds at the chosen rate the numbers are over: later_seeds (those run at it alone after the choice), choosing_seeds (those that chose it: optimistic), one_rate (nothing was chosen) or no_common_seeds (no seed ran every rate, so each rate was scored on its own seeds, unpaired)",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.judged_on.word().into()),
    },
    Derived {
        name: "n",
        meaning: "runs (seeds) at the chosen rate that the numbers are over (see judged_on)",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.n.into()),
    },
    Derived {
        name: "diverged",
        meaning: "of those, runs that diverged",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.diverged.into()),
    },
    Derived {
        name: "test_acc",
        meaning: "test accuracy",
        stat: true,
        records: false,
        cell: |r| Cell::Stat(r.group.test),
    },
    Derived {
        name: "val_acc",
        meaning: "validation accuracy",
        stat: true,
        records: false,
        cell: |r| Cell::Stat(r.group.val),
    },
    Derived {
        name: "train_acc",
        meaning: "accuracy on the training subset",
        stat: true,
        records: false,
        cell: |r| Cell::Stat(r.group.train),
    },
    Derived {
        name: "dead_frac",
        meaning: "share of hidden units dead at the final checkpoint (ReLU family)",
        stat: true,
        records: true,
        cell: |r| metric(r, |m| &m.dead_fraction),
    },
    Derived {
        name: "saturation",
        meaning: "share of (probe example, hidden unit) pairs with φ′ < τ·max φ′ at the final checkpoint",
        stat: true,
        records: true,
        cell: |r| metric(r, |m| &m.saturation),
    },
    Derived {
        name: "erank_last",
        meaning: "effective rank of the last hidden layer's activations at the final checkpoint",
        stat: true,
        records: true,
        cell: |r| metric(r, |m| &m.effective_rank_last),
    },
    Derived {
        name: "wall_s",
        meaning: "median wall-clock seconds per run",
        stat: false,
        records: false,
        cell: |r| Cell::Rounded(r.group.wall_seconds, 1),
    },
    Derived {
        name: "seeds",
        meaning: "seeds of the runs at the chosen rate that the numbers are over (see judged_on)",
        stat: false,
        records: false,
        cell: |r| Cell::Value(r.group.seeds.clone().into()),
    },
];

/// The columns shown after the varying settings when none are chosen.
pub const DEFAULT_COLUMNS: [&str; 15] = [
    "activation",
    "placement",
    "depth",
    "optimizer",
    "lr",
    "lr_bracket",
    "lr_width_dec",
    "n",
    "diverged",
    "test_acc",
    "val_acc",
    "train_acc",
    "dead_frac",
    "saturation",
    "erank_last",
];

/// Settings that differ between the runs of one row, which are therefore no column, each with the derived
/// column that shows what the row holds. (A row's runs differ only in seed and learning rate, and `lr` is
/// the derived column of the rate chosen.)
pub const PER_RUN: [(&str, &str); 1] = [("seed", "seeds")];

fn derived(name: &str) -> Option<&'static Derived> {
    DERIVED.iter().find(|d| d.name == name)
}

fn rounded(x: f64, digits: i32) -> Value {
    let p = 10f64.powi(digits);
    serde_json::Number::from_f64((x * p).round() / p).map_or(Value::Null, Value::Number)
}

/// How a summary writes a bracket.
fn bracket_word(b: Bracket) -> &'static str {
    match b {
        Bracket::Interior => "interior",
        Bracket::LowEdge => "low_edge",
        Bracket::HighEdge => "high_edge",
        Bracket::Single => "single",
    }
}

/// The column called `name`: a derived column first, else a setting.
///
/// # Errors
/// A setting of [`PER_RUN`], naming the column to use instead, or an unknown name: the error lists every
/// known column (usage).
pub fn column(name: &str) -> Result<Column> {
    if let Some(d) = derived(name) {
        return Ok(Column::Derived(d.name));
    }
    if let Some((key, instead)) = PER_RUN.iter().find(|(k, _)| *k == name) {
        return Err(Error::usage(format!(
            "column `{key}`: each row summarises the runs of several seeds; use `{instead}`, which lists \
             them (`{key}` would show one run's)"
        )));
    }
    if let Some(k) = find_key(name) {
        return Ok(Column::Setting(k.name));
    }
    let known = known_columns();
    let hint = crate::config::closest(name, known.iter().map(|(n, _)| *n))
        .map_or(String::new(), |n| format!("; did you mean `{n}`?"));
    let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
    Err(Error::usage(format!("unknown column `{name}`{hint}; known columns: {}", names.join(", "))))
}

/// A comma-separated list of columns, e.g. `--columns activation,test_acc,dead_frac`.
///
/// # Errors
/// An empty list, an unknown name (listing the known ones) or a name given twice, as a usage error.
pub fn parse_columns(list: &str) -> Result<Vec<Column>> {
    let names: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let cols: Vec<Column> = names.iter().copied().map(column).collect::<Result<_>>()?;
    if cols.is_empty() {
        return Err(Error::usage("--columns needs at least one column name"));
    }
    // A column twice had been printed twice (and as two CSV columns of one name).
    if let Some((i, _)) = cols.iter().enumerate().find(|(i, c)| cols[..*i].contains(c)) {
        return Err(Error::usage(format!("--columns lists `{}` twice; expected each column once", names[i])));
    }
    Ok(cols)
}

/// Every column with what it shows: the derived ones, then every setting but those of [`PER_RUN`].
pub fn known_columns() -> Vec<(&'static str, &'static str)> {
    // A setting a derived column shows under its own name (depth, lr) is listed once, as that column.
    let settings =
        KEYS.iter().filter(|k| PER_RUN.iter().all(|(p, _)| *p != k.name) && DERIVED.iter().all(|d| d.name != k.name));
    DERIVED.iter().map(|d| (d.name, d.meaning)).chain(settings.map(|k| (k.name, k.meaning))).collect()
}

/// The default columns for `groups`: every setting that differs between them (other than those the
/// default columns show and lr and seed, which define a configuration's runs), then [`DEFAULT_COLUMNS`].
pub fn default_columns(groups: &[GroupSummary]) -> Vec<Column> {
    let varying = varying_settings(groups);
    varying.into_iter().map(Column::Setting).chain(DEFAULT_COLUMNS.iter().map(|n| column(n).expect("known"))).collect()
}

/// Settings that differ between `groups`, other than those [`DEFAULT_COLUMNS`] show and lr and seed: the
/// axes a reader needs to tell two rows apart, e.g. `bias_init`. The network's shape shows as depth, so
/// `hidden`, `depth` and `width` are listed only where rows of one depth differ in them (`hidden = [16, 16]`
/// and `[64, 64]` had made two rows that looked the same).
pub fn varying_settings(groups: &[GroupSummary]) -> Vec<&'static str> {
    const SHOWN: [&str; 5] = ["activation", "placement", "optimizer", "lr", "seed"];
    const SHAPE: [&str; 3] = ["hidden", "depth", "width"];
    let objects: Vec<Map<String, Value>> = groups.iter().map(config_object).collect();
    let depths: Vec<usize> = groups.iter().map(|g| g.config.widths().len()).collect();
    let Some(first) = objects.first() else { return Vec::new() };
    let differs = |k: &str| {
        if SHAPE.contains(&k) {
            // Some two rows of one depth that differ in it: each row against the first of its depth.
            let mut first_of_depth: std::collections::HashMap<usize, Option<&Value>> = Default::default();
            objects.iter().zip(&depths).any(|(o, d)| *first_of_depth.entry(*d).or_insert(o.get(k)) != o.get(k))
        } else {
            objects.iter().any(|o| o.get(k) != first.get(k))
        }
    };
    KEYS.iter().map(|k| k.name).filter(|k| !SHOWN.contains(k) && differs(k)).collect()
}

/// Settings (keys of the run configuration, in its order) whose value differs between `configs`, other than
/// those in `shown` (used by the flat export tables, which have no [`GroupSummary`]).
pub fn differing_settings<'a>(configs: impl IntoIterator<Item = &'a RunConfig>, shown: &[&str]) -> Vec<String> {
    let objects: Vec<Map<String, Value>> = configs
        .into_iter()
        .filter_map(|c| match serde_json::to_value(c) {
            Ok(Value::Object(m)) => Some(m),
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
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(v) => Some(v.to_string()),
    }
}

fn config_object(g: &GroupSummary) -> Map<String, Value> {
    match serde_json::to_value(&g.config) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// Settings a capture tells (`actscope analyze` writes these to a run's `config.json`); the others of a
/// run from captures are unknown, not actscope's defaults.
const TOLD_BY_CAPTURES: [&str; 12] = [
    "data",
    "hidden",
    "depth",
    "activation",
    "placement",
    "seed",
    "seeds",
    "probe_size",
    "steps",
    "tau",
    "n",
    "diverged",
];

/// Whether setting `key` of `config` is known: always, but for a run from captures only the settings a
/// capture tells (the others are actscope's defaults standing in).
pub(crate) fn known_setting(config: &RunConfig, key: &str) -> bool {
    !config.is_from_captures() || TOLD_BY_CAPTURES.contains(&key)
}

fn cell(r: &Row<'_>, c: &Column) -> Cell {
    if !known_setting(&r.group.config, c.name()) && !c.needs_records() {
        // Unknown, in the column's own shape (a statistic keeps its three CSV fields).
        let stat = matches!(c, Column::Derived(n) if derived(n).is_some_and(|d| d.stat));
        return if stat { Cell::Stat(actscope_metrics::stats::describe(&[])) } else { Cell::Value(Value::Null) };
    }
    match c {
        Column::Derived(n) => (derived(n).expect("a Column::Derived names a derived column").cell)(r),
        Column::Setting(k) => Cell::Value(config_object(r.group).remove(*k).unwrap_or(Value::Null)),
    }
}

fn fmt_ci(d: &Describe) -> String {
    match d.n {
        0 => "-".into(),
        1 => format!("{:.4}", d.mean),
        _ => format!("{:.4} ± {:.4}", d.mean, d.half_width()),
    }
}

fn text(v: &Value) -> String {
    if v.is_null() { "-".into() } else { value_text(v) }
}

/// A fixed-width text table of `columns`, with a note on how to read it.
pub fn table(rows: &[Row<'_>], columns: &[Column]) -> String {
    let header: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match cell(r, c) {
                    Cell::Value(v) => text(&v),
                    Cell::Rounded(x, digits) => text(&rounded(x, digits)),
                    Cell::Stat(d) => fmt_ci(&d),
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|c| c.chars().count()).collect();
    for r in &cells {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_string()
    };
    let mut out = line(&header);
    out.push('\n');
    for r in &cells {
        out.push_str(&line(r));
        out.push('\n');
    }
    out.push_str(
        "(mean ± 95% t-interval half-width over the finished seeds at the learning rate chosen on validation, \
         leaving out the seeds that chose it where others ran at it; \
         `actscope summarize --list-columns` says what each column shows)\n",
    );
    let count = |j: JudgedOn| rows.iter().filter(|r| r.group.judged_on == j).count();
    let unchosen = count(JudgedOn::NoCommonSeeds);
    if unchosen > 0 {
        out.push_str(&format!(
            "note: {unchosen} of {} configurations tried their learning rates on no seed in common, so each rate \
             was scored on its own seeds (unpaired, noisier than on common seeds); run every rate on the same seeds \
             (column judged_on)\n",
            rows.len()
        ));
    }
    let optimistic = count(JudgedOn::ChoosingSeeds);
    if optimistic > 0 {
        out.push_str(&format!(
            "note: {optimistic} of {} configurations ran their chosen learning rate only on the seeds that chose it, \
             so their numbers are optimistic (the best of several rates on those seeds); run more seeds at the \
             chosen rate, and they are summarised alone (column judged_on)\n",
            rows.len()
        ));
    }
    out
}

/// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// A real number as a CSV field: the shortest form that reads back exactly, always with a decimal point or
/// an exponent (`1.0`, `0.25`, `1e-7`), so a column of reals is never taken for integers by a reader that
/// infers types from its first rows (polars does); NaN is an empty field, infinities are `inf`/`-inf`.
pub fn number(v: f64) -> String {
    if v.is_nan() { String::new() } else { format!("{v:?}") }
}

/// A real for CSV, as `export` writes one (`1.0`, never `1`: polars infers a column's type from its first
/// rows, and a width of 1 or a dead fraction of 0 made a column of reals read as integers); empty when not
/// finite.
fn csv_number(x: f64) -> String {
    if x.is_finite() { number(x) } else { String::new() }
}

/// CSV with one row per configuration; a statistic takes three columns (`NAME_mean`, `NAME_ci_low`,
/// `NAME_ci_high`; empty where undefined); fields quoted as RFC 4180 asks.
pub fn csv(rows: &[Row<'_>], columns: &[Column]) -> String {
    let mut header = Vec::new();
    for c in columns {
        if matches!(c, Column::Derived(n) if derived(n).is_some_and(|d| d.stat)) {
            header.extend(["mean", "ci_low", "ci_high"].map(|s| format!("{}_{s}", c.name())));
        } else {
            header.push(c.name().to_string());
        }
    }
    let mut out = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push('\n');
    for r in rows {
        let mut fields = Vec::new();
        for c in columns {
            match cell(r, c) {
                Cell::Value(Value::Null) => fields.push(String::new()),
                Cell::Value(v) => fields.push(value_text(&v)),
                Cell::Rounded(x, _) => fields.push(csv_number(x)),
                Cell::Stat(d) => fields.extend([d.mean, d.ci_low, d.ci_high].map(csv_number)),
            }
        }
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out
}

/// One JSON object per configuration with exactly `columns`; a statistic is `{mean, ci_low, ci_high, n}`
/// (non-finite numbers as `null`).
pub fn json(rows: &[Row<'_>], columns: &[Column]) -> Value {
    let num = |x: f64| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number);
    Value::Array(
        rows.iter()
            .map(|r| {
                let mut o = Map::new();
                for c in columns {
                    let v = match cell(r, c) {
                        Cell::Value(v) => v,
                        Cell::Rounded(x, _) => num(x),
                        Cell::Stat(d) => serde_json::json!({
                            "mean": num(d.mean), "ci_low": num(d.ci_low), "ci_high": num(d.ci_high), "n": d.n
                        }),
                    };
                    o.insert(c.name().to_string(), v);
                }
                Value::Object(o)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reals are written with a decimal point, as `export` writes them: a width of 1 and a dead fraction of 0
    /// had read `1` and `0`, and a reader inferring types took the column for integers.
    #[test]
    fn csv_reals_keep_their_decimal_point() {
        assert_eq!([1.0, 0.0, 0.25, 1e-7].map(csv_number), ["1.0", "0.0", "0.25", "1e-7"]);
        assert_eq!(csv_number(f64::NAN), "");
        assert_eq!(csv_number(f64::INFINITY), "");
    }

    /// A row summarises the runs of several seeds, so `seed`, one run's setting, is no column: asking for
    /// it is a usage error that points at `seeds`, and no listing offers it.
    #[test]
    fn a_setting_that_varies_within_a_row_is_refused_naming_the_column_that_shows_it() {
        let e = parse_columns("activation,seed,test_acc").unwrap_err();
        assert!(e.is_usage(), "{e}");
        assert!(
            e.to_string().starts_with("column `seed`: each row summarises the runs of several seeds; use `seeds`"),
            "{e}"
        );
        assert!(known_columns().iter().all(|(n, _)| *n != "seed"));
        assert_eq!(parse_columns("seeds").unwrap(), [Column::Derived("seeds")]);
        let e = parse_columns("lr, test_acc,lr").unwrap_err();
        assert!(e.is_usage() && e.to_string().contains("--columns lists `lr` twice"), "{e}");
    }

    /// Every column is listed once (depth and lr were listed as a setting and as a derived column).
    #[test]
    fn every_column_is_listed_once() {
        let names: Vec<&str> = known_columns().iter().map(|(n, _)| *n).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
