//! # actscope-python
//!
//! The native half of the Python package `actscope` (built with maturin as `actscope._native`): every
//! metric of `actscope-metrics` on NumPy arrays and the statistics across seeds, so that Python and the
//! Rust tools share one implementation, and `analyze`, the library function behind `actscope analyze`. The Python half (`python/actscope/`) turns the tuples returned
//! here into documented dataclasses and holds the PyTorch hooks (`actscope.torch.Monitor`).
//!
//! Errors are Python exceptions: `TypeError` for a value of the wrong type or dtype, `ValueError` for a
//! wrong shape, an unknown activation (the message lists the known ones) or a value out of range.

use pyo3::prelude::*;

mod analyze;
mod arrays;
mod metrics;
mod stats;

/// The extension module `actscope._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_TAU", actscope_metrics::units::DEFAULT_TAU)?;
    m.add_function(wrap_pyfunction!(metrics::saturation, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::dead_units, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::near_linear_share, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::effective_rank, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::singular_values, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::summary, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::summary_percentiles, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::percentiles, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::histogram, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::default_bins, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::l2_norm, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::mean_square, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::update_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::vanishing_index, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::growth_factor, m)?)?;
    m.add_function(wrap_pyfunction!(metrics::activation, m)?)?;
    m.add_function(wrap_pyfunction!(stats::describe, m)?)?;
    m.add_function(wrap_pyfunction!(stats::welch, m)?)?;
    m.add_function(wrap_pyfunction!(stats::paired, m)?)?;
    m.add_function(wrap_pyfunction!(stats::holm, m)?)?;
    m.add_function(wrap_pyfunction!(analyze::analyze, m)?)?;
    Ok(())
}
