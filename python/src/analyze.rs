//! `actscope analyze` in-process: captures → records, figures and the per-layer diagnosis, through the same
//! library function as the command (`actscope_lab::analyze::analyze`), so a Python user needs no binary.

use std::path::PathBuf;

use actscope_lab::analyze::diagnose::Diagnosis;
use actscope_plots::Format;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// A library error as the Python exception a caller would expect: `OSError` for the file system,
/// `RuntimeError` for a figure that could not be drawn, `ValueError` for everything the input got wrong
/// (a capture breaking the format, captures that disagree).
fn to_py(e: actscope_lab::Error) -> PyErr {
    let msg = e.to_string();
    // The kind is the innermost error's: a file-system failure wrapped in what was being done (a
    // `Context`) is still an `OSError`.
    let mut inner = &e;
    while let actscope_lab::Error::Context { error, .. } = inner {
        inner = error;
    }
    match inner {
        actscope_lab::Error::Io { .. } => PyOSError::new_err(msg),
        actscope_lab::Error::Plot(_) => PyRuntimeError::new_err(msg),
        _ => PyValueError::new_err(msg),
    }
}

fn format(name: &str) -> PyResult<Format> {
    match name.to_ascii_lowercase().as_str() {
        "png" => Ok(Format::Png),
        "svg" => Ok(Format::Svg),
        _ => Err(PyValueError::new_err(format!("formats: unknown figure format {name:?}; expected png or svg"))),
    }
}

/// Python dicts, one per item.
type Dicts<'py> = Vec<Bound<'py, PyDict>>;

/// The diagnosis as plain Python values: one dict per model, each with its hidden layers' numbers (means over
/// seeds at the last checkpoint) and findings in words; and the comparisons between models.
fn diagnosis<'py>(py: Python<'py>, d: &Diagnosis) -> PyResult<(Dicts<'py>, Dicts<'py>)> {
    let mut models = Vec::new();
    for m in &d.models {
        let layers = m
            .layers
            .iter()
            .map(|l| {
                let dict = PyDict::new(py);
                dict.set_item("layer", l.index + 1)?;
                dict.set_item("name", &l.name)?;
                dict.set_item("label", l.label())?;
                dict.set_item("units", l.units)?;
                dict.set_item("saturation", l.saturation.map(|s| s.mean))?;
                dict.set_item("dead_fraction", l.dead.map(|s| s.mean))?;
                dict.set_item("grad_ratio", l.grad_ratio.mean)?;
                dict.set_item("effective_rank", l.effective_rank.map(|s| s.mean))?;
                dict.set_item("findings", l.findings.iter().map(|f| f.words()).collect::<Vec<_>>())?;
                Ok(dict)
            })
            .collect::<PyResult<Vec<_>>>()?;
        let dict = PyDict::new(py);
        dict.set_item("model", &m.model)?;
        dict.set_item("activation", &m.activation)?;
        dict.set_item("placement", &m.placement)?;
        dict.set_item("seeds", &m.seeds)?;
        dict.set_item("last_step", m.last_step)?;
        dict.set_item("notes", m.notes())?;
        dict.set_item("loss", m.loss.mean)?;
        dict.set_item("layers", layers)?;
        models.push(dict);
    }
    let comparisons = d
        .comparisons
        .iter()
        .map(|c| {
            let dict = PyDict::new(py);
            let k = &c.comparison;
            dict.set_item("quantity", c.quantity)?;
            dict.set_item("comparison", &k.setting)?;
            dict.set_item("claim", &k.claim)?;
            dict.set_item("mean_a", k.mean_a)?;
            dict.set_item("mean_b", k.mean_b)?;
            dict.set_item("p", k.p_claimed)?;
            dict.set_item("verdict", c.verdict.word())?;
            Ok(dict)
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok((models, comparisons))
}

/// What `analyze` wrote, as a tuple `(runs, not_plotted, figures, html, markdown, models, comparisons,
/// removed, not_compared)`.
type Written<'py> =
    (Vec<PathBuf>, Vec<String>, Vec<PathBuf>, PathBuf, PathBuf, Dicts<'py>, Dicts<'py>, Vec<String>, Vec<String>);

/// Analyses the capture files into `out` (figures in `formats`), with `notes` on runs: `(model, seed, note)`
/// ([`actscope_lab::analyze::RunNote`]).
#[pyfunction]
#[pyo3(signature = (captures, out, formats, notes = Vec::new()))]
pub fn analyze<'py>(
    py: Python<'py>,
    captures: Vec<PathBuf>,
    out: PathBuf,
    formats: Vec<String>,
    notes: Vec<(String, u64, String)>,
) -> PyResult<Written<'py>> {
    let formats = formats.iter().map(|f| format(f)).collect::<PyResult<Vec<_>>>()?;
    let notes: Vec<actscope_lab::analyze::RunNote> =
        notes.into_iter().map(|(model, seed, note)| actscope_lab::analyze::RunNote { model, seed, note }).collect();
    let a = py.detach(|| actscope_lab::analyze::analyze_noted(&captures, &out, &formats, &notes)).map_err(to_py)?;
    let (models, comparisons) = diagnosis(py, &a.diagnosis)?;
    let not_compared = a.diagnosis.not_compared.clone();
    Ok((a.runs, a.not_plotted, a.figures, a.html, a.markdown, models, comparisons, a.removed, not_compared))
}
