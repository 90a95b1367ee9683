//! Flat, tidy CSV tables of runs for pandas, polars, R or a spreadsheet: one row per observation, one
//! column per variable, so `pandas.read_csv(path)` gives a usable frame in one call.
//!
//! The [`Level`] says what one row is: a run, an evaluation, a checkpoint, a hidden layer at a checkpoint
//! (the default), or a training step. Every table starts with the run (its directory name), the main
//! settings (activation, placement, depth, hidden widths, optimizer, learning rate, seed), every other
//! setting that differs between the exported runs (one named like a measured column of some level, `data`,
//! `steps` or `effective_rank`, as `setting_<key>`, so column names are unique), and the run's status.
//! Numbers are written so they read back exactly (shortest round-trip form); a value that does not apply
//! (saturation of a ReLU layer, BN γ without BN) or is NaN is an empty field; infinities are `inf` and
//! `-inf`. Fields are quoted as RFC 4180 asks.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use actscope_metrics::records::{Checkpoint, Record};
use rayon::prelude::*;

use super::metrics::{CHECKPOINT_METRICS, LAYER_METRICS};
use super::source::{read_records, run_name};
use crate::columns::{csv_field, differing_settings, known_setting, setting_value};
use crate::run::TARGETS;
use crate::summarize::LoadedRun;
use crate::{Error, Result};

/// A real number as a CSV field (defined beside the other CSV fields, in [`crate::columns`]).
pub use crate::columns::number;

/// What one row of a table is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// One row per run: final losses and accuracies, steps to each validation target, status.
    Run,
    /// One row per run × evaluation step: loss and accuracy on train, val and test.
    Eval,
    /// One row per run × checkpoint: the network-level probe metrics.
    Checkpoint,
    /// One row per run × checkpoint × hidden layer: every per-layer metric.
    Layer,
    /// One row per run × training step (runs recorded with `step_scalars = true` only): batch loss and
    /// the gradient norm of every layer.
    Step,
}

impl Level {
    /// Every level, in the order help texts list them.
    pub const ALL: [Level; 5] = [Level::Run, Level::Eval, Level::Checkpoint, Level::Layer, Level::Step];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Level::Run => "run",
            Level::Eval => "eval",
            Level::Checkpoint => "checkpoint",
            Level::Layer => "layer",
            Level::Step => "step",
        }
    }
}

impl std::str::FromStr for Level {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Level::ALL.into_iter().find(|l| l.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
            Error::usage(format!("unknown table level {s:?}; expected one of: {}", names.join(", ")))
        })
    }
}

/// The main settings, always columns (after `run`), whether or not they vary.
const MAIN_SETTINGS: [&str; 7] = ["activation", "placement", "depth", "hidden", "optimizer", "lr", "seed"];

/// The evaluation sets, in column order.
const EVAL_SETS: [&str; 3] = ["train", "val", "test"];

/// (loss, accuracy) of one evaluation.
type LossAccuracy = (f64, f64);

/// Runs parsed at once (in parallel) before their rows are written, bounding memory on large sweeps.
const CHUNK: usize = 64;

fn opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, number)
}

/// The table of one export: its columns, decided from every run before any row is written.
struct Table {
    level: Level,
    /// Settings shown after the main ones because they differ between the runs.
    varying: Vec<String>,
    /// Largest depth among the runs (the step table's per-layer columns).
    max_depth: usize,
}

impl Table {
    fn new(runs: &[LoadedRun], level: Level) -> Self {
        const SHOWN: [&str; 8] = ["activation", "placement", "depth", "hidden", "width", "optimizer", "lr", "seed"];
        Table {
            level,
            varying: differing_settings(runs.iter().map(|r| &r.config), &SHOWN),
            max_depth: runs.iter().map(|r| r.config.widths().len()).max().unwrap_or(0),
        }
    }

    fn header(&self) -> Vec<String> {
        std::iter::once("run")
            .chain(MAIN_SETTINGS)
            .map(String::from)
            .chain(self.varying.iter().map(|k| setting_column(k)))
            .chain(std::iter::once("status".to_string()))
            .chain(measured_columns(self.level, self.max_depth))
            .collect()
    }

    /// The cells every row of `run` starts with.
    fn run_cells(&self, run: &LoadedRun) -> Vec<String> {
        let c = &run.config;
        let widths = c.widths();
        // A run from captures knows only what its captures told; the rest is empty, not actscope's defaults
        // (its optimizer and learning rate had read sgd and 0.1).
        let known = |key: &str, v: String| if known_setting(c, key) { v } else { String::new() };
        let mut cells = vec![
            run_name(run),
            c.activation.to_string(),
            c.placement.to_string(),
            widths.len().to_string(),
            widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(","),
            known("optimizer", c.optimizer.to_string()),
            known("lr", number(c.lr)),
            c.seed.to_string(),
        ];
        cells.extend(self.varying.iter().map(|k| known(k, setting_value(c, k).unwrap_or_default())));
        cells.push(run.summary.status.to_string());
        cells
    }

    /// Every row of one run, as CSV text.
    fn rows(&self, run: &LoadedRun) -> Result<String> {
        let lead = self.run_cells(run);
        let mut out = String::new();
        let mut row = |cells: Vec<String>| {
            let line: Vec<String> = lead.iter().chain(&cells).map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        };
        if self.level == Level::Run {
            let s = &run.summary;
            let mut cells = vec![s.diverged_step.map(|v| v.to_string()).unwrap_or_default(), s.steps.to_string()];
            for p in [&s.train, &s.val, &s.test] {
                cells.push(opt(p.as_ref().map(|p| p.loss)));
                cells.push(opt(p.as_ref().map(|p| p.accuracy)));
            }
            cells.extend(
                TARGETS.iter().enumerate().map(|(i, _)| {
                    s.steps_to_target.get(i).copied().flatten().map(|v| v.to_string()).unwrap_or_default()
                }),
            );
            cells.extend([
                s.failed_to_learn().to_string(),
                number(s.wall_seconds),
                s.classes.to_string(),
                s.data.clone(),
            ]);
            row(cells);
            return Ok(out);
        }
        let records = read_records(run)?;
        match self.level {
            Level::Run => unreachable!("handled above"),
            Level::Eval => {
                // Evaluations of one step (train, val, test) form one row, in step order.
                let mut by_step: BTreeMap<usize, (f64, [Option<LossAccuracy>; 3])> = BTreeMap::new();
                for r in &records {
                    let Record::Eval(p) = r else { continue };
                    let i = EVAL_SETS.iter().position(|s| *s == p.set).ok_or_else(|| Error::Malformed {
                        path: run.dir.join("records.jsonl"),
                        message: format!(
                            "an evaluation on set {:?} at step {}; expected one of {}",
                            p.set,
                            p.step,
                            EVAL_SETS.join(", ")
                        ),
                    })?;
                    by_step.entry(p.step).or_insert((p.epoch, [None; 3])).1[i] = Some((p.loss, p.accuracy));
                }
                for (step, (epoch, sets)) in by_step {
                    let mut cells = vec![step.to_string(), number(epoch)];
                    for s in sets {
                        cells.extend([opt(s.map(|s| s.0)), opt(s.map(|s| s.1))]);
                    }
                    row(cells);
                }
            }
            Level::Checkpoint => {
                for c in checkpoints(&records) {
                    let mut cells = checkpoint_cells(c);
                    cells.extend(CHECKPOINT_METRICS.iter().map(|m| opt((m.get)(c))));
                    row(cells);
                }
            }
            Level::Layer => {
                for c in checkpoints(&records) {
                    for l in &c.layers {
                        let mut cells = checkpoint_cells(c);
                        cells.extend([number(c.loss), l.layer.to_string(), l.units.to_string()]);
                        cells.extend(LAYER_METRICS.iter().map(|m| match (m.get)(l) {
                            Some(v) if m.count => format!("{}", v as u64),
                            v => opt(v),
                        }));
                        row(cells);
                    }
                }
            }
            Level::Step => {
                for r in &records {
                    let Record::Step(s) = r else { continue };
                    let (output, hidden) = s.grad_w_norms.split_last().map_or((None, &[][..]), |(o, h)| (Some(*o), h));
                    let mut cells = vec![s.step.to_string(), number(s.loss)];
                    cells.extend((0..self.max_depth).map(|i| opt(hidden.get(i).copied())));
                    cells.push(opt(output));
                    row(cells);
                }
            }
        }
        Ok(out)
    }
}

/// The columns of a `level` table after `status` (`max_depth`: the step table's per-layer columns).
fn measured_columns(level: Level, max_depth: usize) -> Vec<String> {
    let mut h = Vec::new();
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match level {
        Level::Run => {
            h.extend(names(&["diverged_step", "steps"]));
            for set in EVAL_SETS {
                h.extend([format!("{set}_loss"), format!("{set}_accuracy")]);
            }
            h.extend(TARGETS.iter().map(|t| format!("steps_to_val_acc_{}", (t * 100.0).round())));
            h.extend(names(&["failed_to_learn", "wall_seconds", "classes", "data"]));
        }
        Level::Eval => {
            h.extend(names(&["step", "epoch"]));
            for set in EVAL_SETS {
                h.extend([format!("{set}_loss"), format!("{set}_accuracy")]);
            }
        }
        Level::Checkpoint => {
            h.extend(names(&["step", "epoch", "probe_samples"]));
            h.extend(CHECKPOINT_METRICS.iter().map(|m| m.name.to_string()));
        }
        Level::Layer => {
            h.extend(names(&["step", "epoch", "probe_samples", "probe_loss", "layer", "units"]));
            h.extend(LAYER_METRICS.iter().map(|m| m.name.to_string()));
        }
        Level::Step => {
            h.extend(names(&["step", "loss"]));
            h.extend((0..max_depth).map(|i| format!("grad_w_norm_layer{i}")));
            h.push("grad_w_norm_output".into());
        }
    }
    h
}

/// The column of the varying setting `key`: the key itself, or `setting_<key>` where a level's table has a
/// measured column of that name (`data` and `steps` at run level, `effective_rank` at layer level), so no
/// table has two columns of one name and a setting's column has one name at every level.
fn setting_column(key: &str) -> String {
    if Level::ALL.iter().any(|&l| measured_columns(l, 0).iter().any(|c| c == key)) {
        format!("setting_{key}")
    } else {
        key.to_string()
    }
}

fn checkpoints(records: &[Record]) -> impl Iterator<Item = &Checkpoint> {
    records.iter().filter_map(|r| if let Record::Checkpoint(c) = r { Some(c) } else { None })
}

fn checkpoint_cells(c: &Checkpoint) -> Vec<String> {
    vec![c.step.to_string(), number(c.epoch), c.probe_samples.map(|n| n.to_string()).unwrap_or_default()]
}

/// An error (usage) when the `level` table of `runs` would have no row for want of what the level reads:
/// a step table of runs none of which recorded step scalars (`step_scalars = true`). Such a table had been
/// written with its header alone, without a word.
///
/// # Errors
/// That usage error, saying what the level needs.
pub fn check_level(runs: &[LoadedRun], level: Level) -> Result<()> {
    if level == Level::Step && !runs.is_empty() && runs.iter().all(|r| !r.config.step_scalars) {
        return Err(Error::usage(format!(
            "none of the {} run{} recorded step scalars (step_scalars = false), so the step table would have no \
             rows: choose another level (--level), or train with step_scalars = true",
            runs.len(),
            crate::words::plural(runs.len())
        )));
    }
    Ok(())
}

/// Notes for the user on what the `level` table of `runs` leaves out: the runs that recorded no step
/// scalars have no rows in a step table (when none did, [`check_level`] refuses the table). Empty when
/// every run has its rows. For a command line to print beside the summary line.
pub fn notes(runs: &[LoadedRun], level: Level) -> Vec<String> {
    let without: Vec<String> = runs.iter().filter(|r| !r.config.step_scalars).map(run_name).collect();
    if level != Level::Step || without.is_empty() || without.len() == runs.len() {
        return Vec::new();
    }
    let shown = without.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    let more = if without.len() > 3 { format!(" and {} more", without.len() - 3) } else { String::new() };
    vec![format!(
        "note: {} of the {} runs recorded no step scalars (step_scalars = false) and have no rows in the step \
         table: {shown}{more}",
        without.len(),
        runs.len()
    )]
}

/// Writes the `level` table of `runs` as CSV to `out`; returns the number of rows (header excluded).
/// Runs are read in parallel, a chunk at a time, and written in the order given.
///
/// # Errors
/// A level the runs cannot fill ([`check_level`], usage), malformed run files (naming them), or writing
/// failures.
pub fn write_csv(runs: &[LoadedRun], level: Level, out: &mut dyn Write) -> Result<usize> {
    check_level(runs, level)?;
    write_rows(runs, level, out, Path::new("the CSV table"))
}

/// [`write_csv`] without its check, naming `name` in writing errors.
fn write_rows(runs: &[LoadedRun], level: Level, out: &mut dyn Write, name: &Path) -> Result<usize> {
    let table = Table::new(runs, level);
    let header: Vec<String> = table.header().iter().map(|h| csv_field(h)).collect();
    let io = |e| Error::io("writing", name, e);
    writeln!(out, "{}", header.join(",")).map_err(io)?;
    let mut rows = 0;
    for chunk in runs.chunks(CHUNK) {
        // Reading errors name the run's file, not the table being written.
        let texts: Vec<String> = chunk.par_iter().map(|r| table.rows(r)).collect::<Result<_>>()?;
        for t in texts {
            rows += t.lines().count();
            out.write_all(t.as_bytes()).map_err(io)?;
        }
    }
    out.flush().map_err(io)?;
    Ok(rows)
}

/// [`write_csv`] into the file `path`, written beside it first and renamed into place when complete, so a
/// failed export never leaves half a table. A `path` inside one of the run directories read is refused
/// ([`super::source::refuse_out_in_runs`]): the table would replace or join a run's own files.
///
/// # Errors
/// As [`write_csv`], naming `path` when writing it fails; a `path` inside a run directory (usage).
pub fn export_csv(runs: &[LoadedRun], level: Level, path: &Path) -> Result<usize> {
    check_level(runs, level)?;
    super::source::refuse_out_in_runs(runs, path, "export table")?;
    super::write_atomically(path, |w| write_rows(runs, level, w, path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::fixture;

    /// An RFC 4180 reader (quoted fields, doubled quotes, no line breaks inside fields): the rows of `text`.
    fn parse(text: &str) -> Vec<Vec<String>> {
        text.lines()
            .map(|line| {
                let (mut fields, mut field, mut quoted, mut chars) =
                    (Vec::new(), String::new(), false, line.chars().peekable());
                while let Some(c) = chars.next() {
                    match (c, quoted) {
                        ('"', true) if chars.peek() == Some(&'"') => {
                            field.push('"');
                            chars.next();
                        }
                        ('"', _) => quoted = !quoted,
                        (',', false) => fields.push(std::mem::take(&mut field)),
                        _ => field.push(c),
                    }
                }
                fields.push(field);
                fields
            })
            .collect()
    }

    fn table(runs: &[LoadedRun], level: Level) -> (Vec<String>, Vec<Vec<String>>) {
        let mut out = Vec::new();
        let n = write_csv(runs, level, &mut out).unwrap();
        let mut rows = parse(std::str::from_utf8(&out).unwrap());
        let header = rows.remove(0);
        assert_eq!(rows.len(), n);
        for r in &rows {
            assert_eq!(r.len(), header.len(), "{r:?}");
        }
        (header, rows)
    }

    /// The cell of `column` in `row`.
    fn cell<'a>(header: &[String], row: &'a [String], column: &str) -> &'a str {
        &row[header.iter().position(|h| h == column).unwrap_or_else(|| panic!("no column {column}"))]
    }

    /// A cell read back as the exporter's number: empty for None or NaN, else exactly the value.
    fn same(cell: &str, v: Option<f64>) -> bool {
        match v {
            Some(v) if !v.is_nan() => cell.parse::<f64>().is_ok_and(|c| c == v),
            _ => cell.is_empty(),
        }
    }

    #[test]
    fn the_layer_table_has_a_row_per_run_checkpoint_and_layer_with_every_value_exact() {
        let (dir, runs) = fixture::runs("layer-table");
        let (header, rows) = table(&runs, Level::Layer);
        assert_eq!(&header[..8], ["run", "activation", "placement", "depth", "hidden", "optimizer", "lr", "seed"]);
        // The settings that differ between the two runs follow, then the status.
        assert_eq!(&header[8..11], ["bias_init", "step_scalars", "status"]);
        let mut i = 0;
        for run in &runs {
            let records = read_records(run).unwrap();
            for c in checkpoints(&records) {
                for l in &c.layers {
                    let row = &rows[i];
                    i += 1;
                    assert_eq!(cell(&header, row, "run"), run_name(run));
                    assert_eq!(cell(&header, row, "hidden"), if run.config.widths().len() == 2 { "8,8" } else { "6" });
                    assert_eq!(
                        cell(&header, row, "bias_init"),
                        if run.config.bias_init.is_some() { "-1.0" } else { "" }
                    );
                    assert_eq!(cell(&header, row, "step").parse::<usize>().unwrap(), c.step);
                    assert_eq!(cell(&header, row, "layer").parse::<usize>().unwrap(), l.layer);
                    assert!(same(cell(&header, row, "probe_loss"), Some(c.loss)));
                    for m in LAYER_METRICS {
                        assert!(same(cell(&header, row, m.name), (m.get)(l)), "{} {:?}", m.name, (m.get)(l));
                    }
                }
            }
        }
        assert_eq!(i, rows.len());
        // ReLU rows have dead units and no saturation; tanh rows the opposite, and BN γ.
        let relu = rows.iter().find(|r| cell(&header, r, "activation") == "relu").unwrap();
        assert!(cell(&header, relu, "saturation_rate").is_empty() && !cell(&header, relu, "dead_fraction").is_empty());
        let tanh = rows.iter().find(|r| cell(&header, r, "activation") == "tanh").unwrap();
        assert!(!cell(&header, tanh, "saturation_rate").is_empty() && !cell(&header, tanh, "bn_gamma_mean").is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn run_eval_checkpoint_and_step_tables_match_the_run_files() {
        let (dir, runs) = fixture::runs("other-tables");
        let (h, rows) = table(&runs, Level::Run);
        assert_eq!(rows.len(), 2);
        for (run, row) in runs.iter().zip(&rows) {
            assert!(same(cell(&h, row, "test_accuracy"), run.summary.test.as_ref().map(|p| p.accuracy)));
            assert!(same(cell(&h, row, "val_loss"), run.summary.val.as_ref().map(|p| p.loss)));
            assert_eq!(cell(&h, row, "steps"), "30");
            assert!(cell(&h, row, "data").starts_with("synthetic spirals"));
        }
        let (h, rows) = table(&runs, Level::Eval);
        let mut evals = 0;
        for run in &runs {
            for r in read_records(run).unwrap() {
                let Record::Eval(p) = r else { continue };
                evals += 1;
                let row = rows
                    .iter()
                    .find(|r| cell(&h, r, "run") == run_name(run) && cell(&h, r, "step") == p.step.to_string())
                    .unwrap();
                assert!(same(cell(&h, row, &format!("{}_loss", p.set)), Some(p.loss)));
                assert!(same(cell(&h, row, &format!("{}_accuracy", p.set)), Some(p.accuracy)));
                assert!(same(cell(&h, row, "epoch"), Some(p.epoch)));
            }
        }
        assert_eq!(rows.len() * 3, evals, "train, val and test at every evaluation step");
        let (h, rows) = table(&runs, Level::Checkpoint);
        let n: usize = runs.iter().map(|r| checkpoints(&read_records(r).unwrap()).count()).sum();
        assert_eq!(rows.len(), n);
        assert!(rows.iter().all(|r| !cell(&h, r, "vanishing_index").is_empty()));
        let (h, rows) = table(&runs, Level::Step);
        let tanh = runs.iter().find(|r| r.config.step_scalars).unwrap();
        let steps: Vec<_> = read_records(tanh)
            .unwrap()
            .into_iter()
            .filter_map(|r| if let Record::Step(s) = r { Some(s) } else { None })
            .collect();
        assert_eq!(rows.len(), steps.len(), "only the run with step scalars has rows");
        assert_eq!(&h[h.len() - 4..], ["loss", "grad_w_norm_layer0", "grad_w_norm_layer1", "grad_w_norm_output"]);
        for (row, s) in rows.iter().zip(&steps) {
            assert!(same(cell(&h, row, "loss"), Some(s.loss)));
            assert!(same(cell(&h, row, "grad_w_norm_layer0"), Some(s.grad_w_norms[0])));
            assert!(cell(&h, row, "grad_w_norm_layer1").is_empty(), "a one-layer run");
            assert!(same(cell(&h, row, "grad_w_norm_output"), Some(s.grad_w_norms[1])));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// Settings named like a measured column (`data`, `steps`, `effective_rank`) are written as
    /// `setting_<key>` when they vary, at every level, so no table has two columns of one name. (One run records
    /// step scalars, so that there is a step table.)
    #[test]
    fn column_names_are_unique_when_settings_named_like_measured_columns_vary() {
        let dir = std::env::temp_dir().join(format!("actscope-export-clash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (data, extra) in [
            ("spirals", "steps = 4\neffective_rank = true\nstep_scalars = true"),
            ("clusters", "steps = 6\neffective_rank = false"),
        ] {
            let cfg = crate::RunConfig::from_toml(
                &format!("data = \"synthetic:{data}\"\nhidden = [4]\nprobe_size = 20\n{extra}"),
                "clash",
            )
            .unwrap();
            crate::run::execute(&cfg, &actscope_data::load(&cfg.data, 0.1, false).unwrap(), &dir).unwrap();
        }
        let runs = crate::summarize::load_runs(&dir).unwrap();
        for level in Level::ALL {
            let (h, rows) = table(&runs, level);
            let mut names = h.clone();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), h.len(), "{}: {h:?}", level.name());
            assert!(
                ["setting_data", "setting_steps", "setting_effective_rank"].iter().all(|c| h.iter().any(|n| n == c)),
                "{h:?}"
            );
            if level == Level::Run {
                for (run, row) in runs.iter().zip(&rows) {
                    assert_eq!(cell(&h, row, "setting_steps"), run.config.steps.unwrap().to_string());
                    assert_eq!(cell(&h, row, "steps"), run.summary.steps.to_string());
                    assert_eq!(cell(&h, row, "setting_data"), run.config.data);
                    assert_eq!(cell(&h, row, "data"), run.summary.data);
                }
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A step table of runs none of which recorded step scalars is refused (it had been written with its
    /// header alone); of runs some of which did, it is written, with a note naming the others.
    #[test]
    fn a_step_table_needs_runs_with_step_scalars_and_notes_those_without() {
        let (dir, runs) = fixture::runs("step-notes");
        let without: Vec<LoadedRun> = runs.iter().filter(|r| !r.config.step_scalars).cloned().collect();
        assert_eq!(without.len(), 1);
        let mut out = Vec::new();
        let e = write_csv(&without, Level::Step, &mut out).unwrap_err();
        assert!(e.is_usage() && e.to_string().starts_with("none of the 1 run recorded step scalars"), "{e}");
        assert!(out.is_empty(), "nothing written");
        assert!(write_csv(&without, Level::Layer, &mut out).is_ok());
        assert_eq!(
            notes(&runs, Level::Step),
            vec![format!(
                "note: 1 of the 2 runs recorded no step scalars (step_scalars = false) and have no rows in the step \
                 table: {}",
                run_name(&without[0])
            )]
        );
        assert!(notes(&runs, Level::Layer).is_empty() && notes(&without, Level::Step).is_empty());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn numbers_read_back_exactly_and_nan_is_empty() {
        for v in [0.1, 1.0 / 3.0, 1e-7, 123456.75, -2.5e300, 5e-324] {
            assert_eq!(number(v).parse::<f64>().unwrap(), v, "{v}");
        }
        assert_eq!(number(3.0), "3.0");
        assert_eq!(number(-0.0), "-0.0");
        assert_eq!(number(f64::NAN), "");
        assert_eq!(number(f64::INFINITY), "inf");
        assert_eq!(number(f64::NEG_INFINITY), "-inf");
        assert_eq!(number(1e300), "1e300");
    }

    #[test]
    fn levels_parse_by_name_and_an_unknown_one_is_a_usage_error() {
        for l in Level::ALL {
            assert_eq!(l.name().parse::<Level>().unwrap(), l);
        }
        let e = "layers".parse::<Level>().unwrap_err();
        assert!(e.is_usage());
        assert_eq!(
            e.to_string(),
            "unknown table level \"layers\"; expected one of: run, eval, checkpoint, layer, step"
        );
    }
}
