//! `actscope analyze`: captures of any network (`docs/capture.md`) → the per-layer metrics actscope
//! records for its own runs, a run directory per model and seed in the layout training runs use, the
//! report's figures, and a per-layer diagnosis in HTML and Markdown with means over seeds and paired
//! comparisons between models.
//!
//! The pipeline: read every capture's metadata (cheap) and group the captures into runs by model and seed;
//! measure each run's captures in step order (`measure`, through `MetricsProbe::layer_record`); write the
//! run directories (`rundir`); draw the figures `actscope plot` draws for those directories
//! (`crate::report::figures::for_runs`); apply the rules (`diagnose`) and write the page (`page`).
//!
//! Output layout (`out`): `runs/<model>-s<seed>/` (`records.jsonl`, `capture.json`, and `config.json` +
//! `summary.json` where the model fits actscope's configuration), `figures/`, `diagnosis.html`,
//! `diagnosis.md`. An analysis into an `out` that holds an earlier one replaces it: run directories of
//! models or seeds this one does not have are removed (`Analysis::removed`), and so are the figure files
//! (named after a figure) it did not write; other files in `figures/` are left alone.

pub mod diagnose;
pub mod measure;
pub mod native;
pub mod page;
pub mod rundir;
pub mod slopes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use actscope_capture::{Dtype, Element, LayerMeta, Meta, read, read_meta};
use actscope_metrics::records::Checkpoint;
use rayon::prelude::*;

use self::diagnose::{Diagnosis, diagnose};
use self::rundir::AnalyzedRun;
use crate::fsio::{self, create_dir_all};
use crate::report::aggregate::Experiment;
use crate::{Error, Result};

/// The saturation and dead-unit threshold τ: actscope's default, as in training runs.
pub const TAU: f64 = actscope_metrics::units::DEFAULT_TAU;

/// Figures of `plot` that need evaluations (accuracies, learning rates), which captures do not have.
const EVALUATION_FIGURES: [&str; 5] =
    ["learning_curves", "steps_to_target", "accuracy_heatmap", "accuracy_vs_depth", "lr_sensitivity"];

/// What `analyze` wrote.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The capture files read (directories expanded).
    pub captures: usize,
    /// The run directories, one per model and seed.
    pub runs: Vec<PathBuf>,
    /// Runs without `config.json` (their layers do not share one known activation and placement), which
    /// `plot` and `summarize` and the figures leave out.
    pub not_plotted: Vec<String>,
    /// The figure files.
    pub figures: Vec<PathBuf>,
    /// The diagnosis page.
    pub html: PathBuf,
    /// The same in Markdown.
    pub markdown: PathBuf,
    /// The typed diagnosis behind the page.
    pub diagnosis: Diagnosis,
    /// Run directories of an earlier analysis into the same `out` that this one does not write (other
    /// models or seeds), removed so that the figures and `summarize` see this analysis's runs only.
    pub removed: Vec<String>,
}

/// The capture files of `items`: a file as given, a directory as its `*.safetensors` but hidden ones (a
/// leftover `.tmp-…` of a killed writer is not a capture), sorted; a file named twice (`captures/` and
/// `captures/*.safetensors`, or one path written two ways) is read once: it had been refused as two
/// captures of one step, "X and X".
fn capture_files(items: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut first_time = |f: &Path| seen.insert(std::fs::canonicalize(f).unwrap_or_else(|_| f.to_path_buf()));
    for item in items {
        if !item.is_dir() {
            if first_time(item) {
                files.push(item.clone());
            }
            continue;
        }
        let mut found = Vec::new();
        for entry in std::fs::read_dir(item).map_err(|e| Error::io("reading", item, e))? {
            let path = entry.map_err(|e| Error::io("reading", item, e))?.path();
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if path.is_file() && !hidden && path.extension().is_some_and(|x| x == "safetensors") {
                found.push(path);
            }
        }
        if found.is_empty() {
            return Err(Error::usage(format!("{}: a directory without .safetensors captures", item.display())));
        }
        found.sort();
        files.extend(found.into_iter().filter(|f| first_time(f)));
    }
    Ok(files)
}

/// Removes from `runs_dir` the run directories an earlier `analyze` wrote (they hold `capture.json`) that
/// are not in `keep`, and returns their names. A directory `analyze` did not write is an error: the figures
/// would read it as one of this analysis's runs.
fn remove_earlier_runs(runs_dir: &Path, keep: &BTreeMap<String, &AnalyzedRun>) -> Result<Vec<String>> {
    let mut earlier = Vec::new();
    let entries = std::fs::read_dir(runs_dir).map_err(|e| Error::io("reading", runs_dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("reading", runs_dir, e))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !path.is_dir() || name.starts_with('.') {
            continue;
        }
        // Every directory is checked before any is removed, so a refusal removes nothing.
        if !path.join(rundir::CAPTURE_JSON).is_file() {
            return Err(Error::usage(format!(
                "{}: a directory `actscope analyze` did not write (no {}) among its runs; move it away or choose another --out",
                path.display(),
                rundir::CAPTURE_JSON
            )));
        }
        if !keep.contains_key(&name) {
            earlier.push((name, path));
        }
    }
    earlier.sort();
    for (_, path) in &earlier {
        fsio::remove_dir_all(path)?;
    }
    Ok(earlier.into_iter().map(|(name, _)| name).collect())
}

/// A capture error as the library's error (the message names the file and the tensor or field).
fn capture_error(e: actscope_capture::Error) -> Error {
    match e.problem {
        actscope_capture::Problem::Io { action, error } => Error::io(action, &e.path, error),
        problem => Error::Malformed { path: e.path, message: problem.to_string() },
    }
}

/// The captures of one run before measuring: metadata and files in step order.
struct Pending {
    meta: Meta,
    dtype: Dtype,
    files: Vec<(usize, PathBuf)>,
}

/// Groups captures by model and seed, in step order, checking that the captures of a model agree.
fn group(paths: &[PathBuf]) -> Result<Vec<Pending>> {
    let metas: Vec<(Meta, Dtype)> =
        paths.par_iter().map(|p| read_meta(p).map_err(capture_error)).collect::<Result<_>>()?;
    let mut models: BTreeMap<&str, (&Path, &[LayerMeta], Dtype)> = BTreeMap::new();
    let mut runs: BTreeMap<(String, u64), Pending> = BTreeMap::new();
    for (path, (meta, dtype)) in paths.iter().zip(&metas) {
        let (first, layers, dt) = *models.entry(&meta.model).or_insert((path, &meta.layers, *dtype));
        if layers != meta.layers.as_slice() || dt != *dtype {
            let what = if dt != *dtype { format!("dtype {dtype} vs {dt}") } else { "layers differ".into() };
            return Err(Error::Malformed {
                path: path.clone(),
                message: format!(
                    "model {:?}: {what} from {} (captures of one model must describe the same layers; give models different names)",
                    meta.model,
                    first.display()
                ),
            });
        }
        let run = runs.entry((meta.model.clone(), meta.seed)).or_insert_with(|| Pending {
            meta: meta.clone(),
            dtype: *dtype,
            files: Vec::new(),
        });
        let fingerprint = |m: &Meta| m.extra.get(rundir::PROBE_FINGERPRINT).cloned();
        if let (Some(a), Some(b)) = (fingerprint(&run.meta), fingerprint(meta))
            && a != b
        {
            return Err(Error::usage(format!(
                "{} and {} (model {:?}, seed {}) measured different probe batches ({} differs); every capture of a run must measure the same probe batch",
                run.files.first().map_or_else(|| path.display().to_string(), |(_, f)| f.display().to_string()),
                path.display(),
                meta.model,
                meta.seed,
                rundir::PROBE_FINGERPRINT
            )));
        }
        if let Some((_, other)) = run.files.iter().find(|(s, _)| *s == meta.step) {
            return Err(Error::usage(format!(
                "{} and {} are both step {} of model {:?}, seed {}; give each capture of a run its own step",
                other.display(),
                path.display(),
                meta.step,
                meta.model,
                meta.seed
            )));
        }
        run.files.push((meta.step, path.clone()));
    }
    let mut out: Vec<Pending> = runs.into_values().collect();
    for r in &mut out {
        r.files.sort_by_key(|(s, _)| *s);
    }
    Ok(out)
}

/// One capture measured: its checkpoint, its hidden layers' weights (for the update ratio), its number of
/// probe examples and whether it gave a non-finite loss.
struct Measured<F> {
    checkpoint: Checkpoint,
    weights: Vec<ndarray::Array2<F>>,
    rows: usize,
    diverged: bool,
}

fn measure_file<F: Element>(path: &Path) -> Result<Measured<F>> {
    let c = read::<F>(path).map_err(capture_error)?;
    Ok(Measured {
        checkpoint: measure::checkpoint(&c, TAU),
        rows: c.hidden[0].z.nrows(),
        diverged: c.meta.loss.is_some_and(|l| !l.is_finite()),
        weights: c.hidden.into_iter().map(|h| h.weight).collect(),
    })
}

/// Reads and measures a run's captures (in parallel, one capture in memory per thread), in step order;
/// returns the checkpoints, the number of probe examples and the first step with a non-finite loss.
fn measure_run<F: Element>(files: &[(usize, PathBuf)]) -> Result<(Vec<Checkpoint>, usize, Option<usize>)> {
    let mut measured: Vec<Measured<F>> = files.par_iter().map(|(_, p)| measure_file(p)).collect::<Result<_>>()?;
    let rows = measured[0].rows;
    if let Some((i, m)) = measured.iter().enumerate().find(|(_, m)| m.rows != rows) {
        return Err(Error::Malformed {
            path: files[i].1.clone(),
            message: format!(
                "tensor `layers.0.z`: {} probe examples, but {} has {rows}; every capture of a run must measure the same probe batch",
                m.rows,
                files[0].1.display()
            ),
        });
    }
    for i in 1..measured.len() {
        let (head, tail) = measured.split_at_mut(i);
        let (before, after) = (&mut head[i - 1], &tail[0]);
        measure::set_update_ratios(&mut before.checkpoint, &before.weights, after.checkpoint.step, &after.weights);
    }
    let diverged = measured.iter().find(|m| m.diverged).map(|m| m.checkpoint.step);
    Ok((measured.into_iter().map(|m| m.checkpoint).collect(), rows, diverged))
}

fn measure_pending(p: Pending) -> Result<AnalyzedRun> {
    let (checkpoints, probe_samples, diverged_step) = match p.dtype {
        Dtype::F32 => measure_run::<f32>(&p.files)?,
        Dtype::F64 => measure_run::<f64>(&p.files)?,
    };
    Ok(AnalyzedRun {
        probe: p.meta.extra.get(rundir::PROBE_FINGERPRINT).cloned(),
        model: p.meta.model,
        seed: p.meta.seed,
        layers: p.meta.layers,
        dtype: p.dtype,
        probe_samples,
        files: p.files.into_iter().map(|(_, f)| f).collect(),
        checkpoints,
        diverged_step,
    })
}

/// Analyses `captures` (files, or directories of `*.safetensors`) into `out` (see the module docs), drawing
/// figures in `formats`.
///
/// # Errors
/// No captures; a capture that breaks the format (naming the file and the tensor or field); captures
/// that disagree (two of one run at the same step, one model with different layers); a file that cannot
/// be written.
pub fn analyze(captures: &[PathBuf], out: &Path, formats: &[actscope_plots::Format]) -> Result<Analysis> {
    analyze_noted(captures, out, formats, &[])
}

/// What the code that wrote a run's captures knew of the run and no capture can hold (the Python `Monitor`:
/// that the network diverged after its last capture), for the diagnosis to say beside the model's findings.
#[derive(Clone, Debug, PartialEq)]
pub struct RunNote {
    /// The model, as its captures name it.
    pub model: String,
    /// The run's seed.
    pub seed: u64,
    /// The note, a sentence without its final full stop.
    pub note: String,
}

/// [`analyze`], with notes on some runs ([`RunNote`]), which the diagnosis gives among its model's notes as
/// "seed s: note".
///
/// A note's surrounding spaces and final full stops are dropped (the page adds one).
///
/// # Errors
/// As [`analyze`], and a note that is empty or on a model and seed that no capture has (usage).
pub fn analyze_noted(
    captures: &[PathBuf],
    out: &Path,
    formats: &[actscope_plots::Format],
    notes: &[RunNote],
) -> Result<Analysis> {
    let mut notes = notes.to_vec();
    for n in &mut notes {
        n.note = n.note.trim().trim_end_matches('.').trim_end().to_string();
        if n.note.is_empty() {
            return Err(Error::usage(format!(
                "a note on model {:?}, seed {}: the note is empty; expected a sentence",
                n.model, n.seed
            )));
        }
    }
    if captures.is_empty() {
        return Err(Error::usage("no capture files given; pass one or more .safetensors captures (docs/capture.md)"));
    }
    let captures = capture_files(captures)?;
    let pending = group(&captures)?;
    let runs: Vec<AnalyzedRun> = pending.into_par_iter().map(measure_pending).collect::<Result<_>>()?;
    let mut names: BTreeMap<String, &AnalyzedRun> = BTreeMap::new();
    for r in &runs {
        if let Some(other) = names.insert(r.dir_name(), r) {
            return Err(Error::usage(format!(
                "models {:?} and {:?} (seed {}) both map to the directory name {}; rename one",
                other.model,
                r.model,
                r.seed,
                r.dir_name()
            )));
        }
    }
    // A note on a run no capture has is refused before anything is written.
    if let Some(n) = notes.iter().find(|n| !runs.iter().any(|r| r.model == n.model && r.seed == n.seed)) {
        return Err(Error::usage(format!(
            "a note on model {:?}, seed {}, which no capture has: {}",
            n.model, n.seed, n.note
        )));
    }
    // A model's rules are judged at a step every seed has; seeds that share none cannot be judged together.
    let models: std::collections::BTreeSet<&str> = runs.iter().map(|r| r.model.as_str()).collect();
    for model in models {
        let same: Vec<&AnalyzedRun> = runs.iter().filter(|o| o.model == model).collect();
        if diagnose::common_steps(&same).is_empty() {
            let each: Vec<String> = same
                .iter()
                .map(|o| {
                    let steps: Vec<String> = o.checkpoints.iter().map(|c| c.step.to_string()).collect();
                    format!("seed {}: steps {}", o.seed, steps.join(", "))
                })
                .collect();
            return Err(Error::usage(format!(
                "model {:?}: its seeds share no checkpoint step ({}); capture every seed at the same steps (e.g. the same cadence from step 0)",
                model,
                each.join("; ")
            )));
        }
    }
    // The figures' folder is claimed before anything is written: one that holds another command's figures
    // is refused with nothing changed.
    let fig_dir = out.join("figures");
    let draws = runs.iter().any(|r| r.uniform().is_some());
    if draws || fig_dir.is_dir() {
        crate::figures_dir::claim(&fig_dir, "analyze")?;
    }
    let runs_dir = out.join("runs");
    create_dir_all(&runs_dir)?;
    let removed = remove_earlier_runs(&runs_dir, &names)?;
    let dirs = runs.iter().map(|r| r.write(&runs_dir)).collect::<Result<Vec<_>>>()?;
    let not_plotted: Vec<String> = runs.iter().filter(|r| r.uniform().is_none()).map(|r| r.dir_name()).collect();

    let mut figures = Vec::new();
    let mut captions = Vec::new();
    if draws {
        let exp = Experiment::load("captures", "captured networks", &runs_dir, 0.0)?;
        let figs = crate::report::figures::for_runs(&exp);
        for (stem, fig) in figs.into_iter().filter(|(s, _)| !EVALUATION_FIGURES.contains(s)) {
            let written = actscope_plots::render(&fig, &fig_dir.join(stem), formats)?;
            if let Some(img) = written.iter().find(|p| p.extension().is_some_and(|e| e == "png" || e == "svg")) {
                let rel = img.strip_prefix(out).unwrap_or(img).display().to_string();
                captions.push((rel, fig.title.clone()));
            }
            figures.extend(written);
        }
    }
    crate::figures_dir::remove_earlier(&fig_dir, &figures)?;
    let mut diagnosis = diagnose(&runs);
    for n in &notes {
        let model = diagnosis.models.iter_mut().find(|m| m.model == n.model && m.seeds.contains(&n.seed));
        model.expect("notes were checked against the runs").run_notes.push(format!("seed {}: {}", n.seed, n.note));
    }
    let blocks = page::blocks(&diagnosis, captures.len(), &captions);
    let (html, markdown) = (out.join("diagnosis.html"), out.join("diagnosis.md"));
    fsio::write(&html, page::html(&blocks))?;
    fsio::write(&markdown, page::markdown(&blocks))?;
    Ok(Analysis { captures: captures.len(), runs: dirs, not_plotted, figures, html, markdown, diagnosis, removed })
}
