//! Statistics across seeds from `actscope-metrics::stats` on Python sequences: describe (mean, sd, 95%
//! t-interval), Welch's and the paired t-test, Holm–Bonferroni. Samples that cannot be tested are refused
//! with a message rather than answered with None.

use actscope_metrics::stats::{self, Describe, TTest};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// Refuses a value that is not finite, naming the sample and its position: an infinite value had given an sd
/// of 0 and an interval [inf, inf] (Welch's p = 0, a confident answer), and NaN silently NaN everywhere.
fn finite(what: &str, values: &[f64]) -> PyResult<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(PyValueError::new_err(format!(
            "{what}[{i}] is {}; expected finite numbers (a seed whose metric is not finite, e.g. one that \
             diverged, has no place in a mean: leave it out and say so)",
            values[i]
        ))),
        None => Ok(()),
    }
}

/// `(n, mean, sd, ci_low, ci_high)` of `values`.
#[pyfunction]
pub fn describe(values: Vec<f64>) -> PyResult<(usize, f64, f64, f64, f64)> {
    finite("describe: values", &values)?;
    // The crate describes an empty sample with NaNs, for tables that keep their rows; a caller asking for
    // one sample's description has passed nothing by mistake.
    if values.is_empty() {
        return Err(PyValueError::new_err(
            "describe: no values; expected at least 1 (with 1, the sd and the interval are NaN)",
        ));
    }
    let Describe { n, mean, sd, ci_low, ci_high } = stats::describe(&values);
    Ok((n, mean, sd, ci_low, ci_high))
}

/// A t-test's fields as a tuple: `(t, df, p_two_sided, p_greater, p_less, effect, diff)`.
type TTestTuple = (f64, f64, f64, f64, f64, f64, f64);

fn tuple(t: TTest) -> TTestTuple {
    (t.t, t.df, t.p_two_sided, t.p_greater, t.p_less, t.effect, t.diff)
}

/// Welch's unequal-variance t-test of `x` against `y`.
#[pyfunction]
pub fn welch(x: Vec<f64>, y: Vec<f64>) -> PyResult<TTestTuple> {
    finite("welch: x", &x)?;
    finite("welch: y", &y)?;
    stats::welch(&x, &y).map(tuple).ok_or_else(|| {
        PyValueError::new_err(format!("welch: each sample needs at least 2 values, got {} and {}", x.len(), y.len()))
    })
}

/// The paired t-test of `x` against `y` (paired by position, e.g. by seed).
#[pyfunction]
pub fn paired(x: Vec<f64>, y: Vec<f64>) -> PyResult<TTestTuple> {
    if x.len() != y.len() {
        return Err(PyValueError::new_err(format!(
            "paired: x has {} values and y has {}; expected one pair per seed (equal lengths)",
            x.len(),
            y.len()
        )));
    }
    finite("paired: x", &x)?;
    finite("paired: y", &y)?;
    stats::paired(&x, &y)
        .map(tuple)
        .ok_or_else(|| PyValueError::new_err(format!("paired: needs at least 2 pairs, got {}", x.len())))
}

/// Holm–Bonferroni adjusted p-values, in the input order (NaN stays NaN).
#[pyfunction]
pub fn holm(p: Vec<f64>) -> PyResult<Vec<f64>> {
    if let Some(bad) = p.iter().find(|v| !v.is_nan() && !(0.0..=1.0).contains(*v)) {
        return Err(PyValueError::new_err(format!("holm: expected p-values in [0, 1], got {bad}")));
    }
    Ok(stats::holm(&p))
}
