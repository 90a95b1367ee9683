//! NumPy arrays in, ndarray views out: dtype and shape checks with messages that name the argument.
//!
//! Every metric accepts `float32` and `float64` arrays in any memory order. An array that is not
//! C-contiguous (Fortran order, a transposed or sliced view) is copied into C order first, so a result never
//! depends on how the caller's array happens to be laid out: the crates sum in memory order where that is
//! faster, and the same numbers must give the same bits whatever their strides.

use ndarray::{ArrayView, CowArray, Dimension, Ix2, IxDyn};
use numpy::{PyArray, PyArrayDescrMethods, PyArrayMethods, PyReadonlyArray, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

/// A float array borrowed from NumPy, of either element type.
pub enum Floats<'py, D: Dimension> {
    /// A `float32` array.
    F32(PyReadonlyArray<'py, f32, D>),
    /// A `float64` array.
    F64(PyReadonlyArray<'py, f64, D>),
}

/// A 2-D `(samples, units)` float array.
pub type Matrix<'py> = Floats<'py, Ix2>;
/// A float array of any number of dimensions.
pub type AnyFloats<'py> = Floats<'py, IxDyn>;

/// A C-ordered view of `a`, copying only when it is not C-contiguous already.
pub fn c_order<'a, T: Clone, D: Dimension>(a: &'a ArrayView<'_, T, D>) -> CowArray<'a, T, D> {
    a.as_standard_layout()
}

/// Runs `$body` with `$v` bound to a C-ordered [`ndarray::ArrayView`] of the array, whichever its element
/// type: the one generic call of a metric, instantiated for `f32` and `f64`.
macro_rules! with_view {
    ($floats:expr, |$v:ident| $body:expr) => {
        match &$floats {
            $crate::arrays::Floats::F32(a) => {
                let view = a.as_array();
                let c = $crate::arrays::c_order(&view);
                let $v = c.view();
                $body
            }
            $crate::arrays::Floats::F64(a) => {
                let view = a.as_array();
                let c = $crate::arrays::c_order(&view);
                let $v = c.view();
                $body
            }
        }
    };
}
pub(crate) use with_view;

/// The shape of an array as Python writes it: `(3,)`, `(2, 5)`.
fn shape_text(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// The argument `name` as a NumPy float array, checking the type, the element type and, where `D` fixes it,
/// the number of dimensions; `what` says what the dimensions mean, for the message.
fn floats<'py, D: Dimension>(name: &str, what: &str, obj: &Bound<'py, PyAny>) -> PyResult<Floats<'py, D>> {
    let Ok(arr) = obj.cast::<PyUntypedArray>() else {
        let ty = obj.get_type().qualname().map_or_else(|_| "?".to_string(), |q| q.to_string());
        let hint = if ty == "Tensor" { " (a torch tensor: pass tensor.detach().cpu().numpy())" } else { "" };
        return Err(PyTypeError::new_err(format!(
            "{name}: expected a numpy.ndarray of float32 or float64, got {ty}{hint}"
        )));
    };
    if let Some(n) = D::NDIM
        && arr.ndim() != n
    {
        return Err(PyValueError::new_err(format!(
            "{name}: expected a {n}-D array {what}, got shape {}",
            shape_text(arr.shape())
        )));
    }
    let py = obj.py();
    // A masked array is an ndarray too: its mask would be ignored, and the masked values counted.
    if obj.is_instance(&py.import("numpy.ma")?.getattr("MaskedArray")?)? {
        return Err(PyTypeError::new_err(format!(
            "{name}: expected a plain numpy.ndarray, got a masked array, whose mask actscope would ignore; pass \
             the values to measure, e.g. z.compressed() or z[~z.mask.any(axis=1)]"
        )));
    }
    let dtype = arr.dtype();
    if dtype.kind() == b'f' && matches!(dtype.itemsize(), 4 | 8) && dtype.is_native_byteorder() == Some(false) {
        let bits = 8 * dtype.itemsize();
        return Err(PyTypeError::new_err(format!(
            "{name}: float{bits} in the other byte order (dtype {}); convert with .astype(\"=f{}\") (the same \
             values in this machine's order)",
            dtype.str().map_or_else(|_| "?".to_string(), |s| s.to_string()),
            dtype.itemsize()
        )));
    }
    let result = if dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        obj.cast::<PyArray<f32, D>>().map(|a| Floats::F32(a.readonly()))
    } else if dtype.is_equiv_to(&numpy::dtype::<f64>(py)) {
        obj.cast::<PyArray<f64, D>>().map(|a| Floats::F64(a.readonly()))
    } else {
        let got = dtype.str().map_or_else(|_| "?".to_string(), |s| s.to_string());
        return Err(PyTypeError::new_err(format!(
            "{name}: expected dtype float32 or float64, got {got}; convert with .astype(numpy.float32)"
        )));
    };
    result.map_err(|e| PyTypeError::new_err(format!("{name}: {e}")))
}

/// The argument `name` as a 2-D `(samples, units)` float array.
pub fn matrix<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<Matrix<'py>> {
    floats(name, "(samples, units)", obj)
}

/// The argument `name` as a float array of any shape.
pub fn any_floats<'py>(name: &str, obj: &Bound<'py, PyAny>) -> PyResult<AnyFloats<'py>> {
    floats(name, "", obj)
}

impl<D: Dimension> Floats<'_, D> {
    /// The array's shape.
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Floats::F32(a) => a.shape().to_vec(),
            Floats::F64(a) => a.shape().to_vec(),
        }
    }

    /// Its shape as Python writes it.
    pub fn shape_text(&self) -> String {
        shape_text(&self.shape())
    }

    /// Its element type's NumPy name.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            Floats::F32(_) => "float32",
            Floats::F64(_) => "float64",
        }
    }
}
