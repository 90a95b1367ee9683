//! The layer metrics of `actscope-metrics` on NumPy arrays: saturation, dead units, near-linear share,
//! effective rank, summaries, percentiles, histograms and gradient norms.
//!
//! Each function checks its arguments, calls the crate's function on a view of the array (in the array's own
//! element type, `f32` or `f64`, as the training loop does) and returns plain Python values; the Python
//! package (`actscope/__init__.py`) wraps them in documented dataclasses. No metric is computed here.

use actscope_core::{Activation, Float};
use actscope_metrics::distribution::{Bins, Histogram, Summary, percentiles as crate_percentiles};
use actscope_metrics::gradient;
use actscope_metrics::rank;
use actscope_metrics::units;
use ndarray::Ix2;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::arrays::{any_floats, matrix, with_view};

/// Parses an activation name (`"sigmoid"`, `"leaky_relu(0.2)"`, …); an unknown name lists the known ones.
pub fn parse_activation(name: &str) -> PyResult<Activation> {
    name.parse::<Activation>().map_err(|e| PyValueError::new_err(e.to_string()))
}

/// Checks the threshold τ ∈ (0, 1].
fn check_tau(tau: f64) -> PyResult<f64> {
    if tau > 0.0 && tau <= 1.0 {
        Ok(tau)
    } else {
        Err(PyValueError::new_err(format!("tau: expected a threshold in (0, 1] (a share of sup φ′), got {tau}")))
    }
}

/// Saturation rate and stuck-unit share of `z` under `activation`: `(rate, stuck)`.
#[pyfunction]
pub fn saturation(py: Python<'_>, z: &Bound<'_, PyAny>, activation: &str, tau: f64) -> PyResult<(f64, f64)> {
    let (act, tau) = (parse_activation(activation)?, check_tau(tau)?);
    let z = matrix("z", z)?;
    let s = with_view!(z, |v| py.detach(|| units::saturation(v, act, tau)));
    Ok((s.rate, s.stuck))
}

/// Dead units of `z` under `activation`: `(dead_units, dead_fraction, inactive_rate)`.
#[pyfunction]
pub fn dead_units(py: Python<'_>, z: &Bound<'_, PyAny>, activation: &str, tau: f64) -> PyResult<(usize, f64, f64)> {
    let (act, tau) = (parse_activation(activation)?, check_tau(tau)?);
    let z = matrix("z", z)?;
    let d = with_view!(z, |v| py.detach(|| units::dead_units(v, act, tau)));
    Ok((d.dead_units, d.dead_fraction, d.inactive_rate))
}

/// Share of the entries of `z` in the activation's near-linear region.
#[pyfunction]
pub fn near_linear_share(py: Python<'_>, z: &Bound<'_, PyAny>, activation: &str) -> PyResult<f64> {
    let act = parse_activation(activation)?;
    let z = matrix("z", z)?;
    Ok(with_view!(z, |v| py.detach(|| units::near_linear_share(v, act))))
}

/// Effective rank of `a` after centring its columns.
#[pyfunction]
pub fn effective_rank(py: Python<'_>, a: &Bound<'_, PyAny>) -> PyResult<f64> {
    let a = matrix("a", a)?;
    Ok(with_view!(a, |v| py.detach(|| rank::effective_rank(v))))
}

/// Singular values of `a`, descending (not centred).
#[pyfunction]
pub fn singular_values(py: Python<'_>, a: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    let a = matrix("a", a)?;
    Ok(with_view!(a, |v| py.detach(|| rank::singular_values(v))))
}

/// Mean, population standard deviation and the percentiles 2.5, 15, 50, 85, 97.5 of every entry of `x`
/// (NaNs ignored): `(mean, std, percentiles)`.
#[pyfunction]
pub fn summary(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<(f64, f64, Vec<f64>)> {
    let x = any_floats("x", x)?;
    let s = with_view!(x, |v| {
        // Summary reads a matrix; a C-ordered array of any shape is the same values in the same order as
        // one row of all of them.
        let n = v.len();
        let row = v.into_shape_with_order((1, n)).expect("a C-ordered view reshapes to one row");
        py.detach(|| Summary::of(row.into_dimensionality::<Ix2>().expect("two axes")))
    });
    Ok((s.mean, s.std, s.percentiles))
}

/// The recorded percentiles (2.5, 15, 50, 85, 97.5).
#[pyfunction]
pub fn summary_percentiles() -> Vec<f64> {
    actscope_metrics::distribution::PERCENTILES.to_vec()
}

/// Percentiles `ps` (in [0, 100]) of the entries of `x` by linear interpolation, NaNs ignored.
#[pyfunction]
pub fn percentiles(py: Python<'_>, x: &Bound<'_, PyAny>, ps: Vec<f64>) -> PyResult<Vec<f64>> {
    if let Some(p) = ps.iter().find(|p| !(0.0..=100.0).contains(*p)) {
        return Err(PyValueError::new_err(format!("ps: expected percentiles in [0, 100], got {p}")));
    }
    let x = any_floats("x", x)?;
    Ok(with_view!(x, |v| py.detach(|| crate_percentiles(v.iter().map(|e| e.f64()), &ps))))
}

/// The most bins a histogram takes: 10⁷ counts are 80 MB. A count of 10¹² had asked for 8 TB, and the
/// failed allocation aborted the Python process.
const MAX_BINS: usize = 10_000_000;

/// Checks histogram bins: finite `lo < hi` with a finite width, 1 to [`MAX_BINS`] bins.
fn check_bins(lo: f64, hi: f64, bins: usize) -> PyResult<Bins> {
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(PyValueError::new_err(format!("bins: expected finite lo < hi, got lo = {lo}, hi = {hi}")));
    }
    if !(hi - lo).is_finite() {
        return Err(PyValueError::new_err(format!(
            "bins: hi − lo = {hi} − ({lo}) overflows to infinity, which makes every edge NaN; expected bounds \
             whose width is a finite number"
        )));
    }
    if bins == 0 || bins > MAX_BINS {
        return Err(PyValueError::new_err(format!("bins: expected 1 to {MAX_BINS} bins, got {bins}")));
    }
    Ok(Bins { lo, hi, bins })
}

/// Counts the entries of `x` into `bins` equal bins on `[lo, hi]`: `(counts, underflow, overflow, nan)`.
#[pyfunction]
pub fn histogram(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    lo: f64,
    hi: f64,
    bins: usize,
) -> PyResult<(Vec<u64>, u64, u64, u64)> {
    let bins = check_bins(lo, hi, bins)?;
    let x = any_floats("x", x)?;
    let h = with_view!(x, |v| py.detach(|| Histogram::of(v.iter().map(|e| e.f64()), bins)));
    Ok((h.counts, h.underflow, h.overflow, h.nan))
}

/// The bin edges actscope uses: for z (`activation` None) or for a = φ(z): `(lo, hi, bins)`.
#[pyfunction]
#[pyo3(signature = (activation=None))]
pub fn default_bins(activation: Option<&str>) -> PyResult<(f64, f64, usize)> {
    let b = match activation {
        None => Bins::Z,
        Some(name) => Bins::for_output(parse_activation(name)?),
    };
    Ok((b.lo, b.hi, b.bins))
}

/// The Frobenius (L2) norm of `x`.
#[pyfunction]
pub fn l2_norm(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<f64> {
    let x = any_floats("x", x)?;
    Ok(with_view!(x, |v| py.detach(|| gradient::l2_norm(v))))
}

/// The mean of the squared entries of `x`.
#[pyfunction]
pub fn mean_square(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<f64> {
    let x = any_floats("x", x)?;
    Ok(with_view!(x, |v| py.detach(|| gradient::mean_square(v))))
}

/// ‖after − before‖ / ‖before‖.
#[pyfunction]
pub fn update_ratio(py: Python<'_>, before: &Bound<'_, PyAny>, after: &Bound<'_, PyAny>) -> PyResult<f64> {
    let (b, a) = (any_floats("before", before)?, any_floats("after", after)?);
    if b.shape() != a.shape() || b.dtype_name() != a.dtype_name() {
        return Err(PyValueError::new_err(format!(
            "update_ratio: before is {} {} but after is {} {}; expected the same shape and dtype",
            b.dtype_name(),
            b.shape_text(),
            a.dtype_name(),
            a.shape_text()
        )));
    }
    use crate::arrays::{Floats, c_order};
    Ok(match (&b, &a) {
        (Floats::F32(b), Floats::F32(a)) => {
            let (b, a) = (b.as_array(), a.as_array());
            let (b, a) = (c_order(&b), c_order(&a));
            py.detach(|| gradient::update_ratio(b.view(), a.view()))
        }
        (Floats::F64(b), Floats::F64(a)) => {
            let (b, a) = (b.as_array(), a.as_array());
            let (b, a) = (c_order(&b), c_order(&a));
            py.detach(|| gradient::update_ratio(b.view(), a.view()))
        }
        _ => unreachable!("the dtypes were checked to agree"),
    })
}

/// log10(first / last) of two weight-gradient norms (≥ 0; a norm of 0 gives ±∞).
#[pyfunction]
pub fn vanishing_index(first: f64, last: f64) -> PyResult<f64> {
    for (name, v) in [("first", first), ("last", last)] {
        if v.is_nan() || v < 0.0 {
            return Err(PyValueError::new_err(format!("{name}: expected a gradient norm (>= 0), got {v}")));
        }
    }
    Ok(gradient::vanishing_index(first, last))
}

/// The growth factor λ̂ fitted on per-layer mean squares of ∂L/∂z (input side first); None with fewer than
/// two positive, finite values.
#[pyfunction]
pub fn growth_factor(mean_squares: Vec<f64>) -> Option<f64> {
    gradient::growth_factor(&mean_squares)
}

/// φ(z) (`derivative` false) or φ′(z) element-wise, in the array's dtype and shape. φ is computed as the
/// network computes it (`Activation::forward_into`, vectorised where the type has a kernel), which is also how
/// `analyze` computes a capture's `a` when it is not given; φ′ as the metrics evaluate it
/// (`Activation::derivative`).
#[pyfunction]
#[pyo3(signature = (z, activation, derivative=false))]
pub fn activation<'py>(
    py: Python<'py>,
    z: &Bound<'py, PyAny>,
    activation: &str,
    derivative: bool,
) -> PyResult<Bound<'py, PyAny>> {
    use numpy::IntoPyArray;
    let act = parse_activation(activation)?;
    let z = any_floats("z", z)?;
    Ok(with_view!(z, |v| {
        let shape = v.raw_dim();
        let out = py.detach(|| {
            if derivative {
                v.mapv(|e| act.derivative(e))
            } else {
                let n = v.len();
                let flat = v.to_shape((1, n)).expect("a C-ordered view reshapes to one row");
                let mut a = ndarray::Array2::zeros((1, n));
                act.forward_into(flat.view(), a.view_mut());
                a.into_shape_with_order(shape).expect("same number of elements")
            }
        });
        out.into_pyarray(py).into_any()
    }))
}
