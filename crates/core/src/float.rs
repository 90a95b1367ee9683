//! The floating-point element type of every layer.
//!
//! Layers run in `f32` for speed and in `f64` for gradient checks; both implement [`Float`].

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// An element-wise function with a vectorised kernel (see [`Float::slice_kernel`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kernel {
    /// σ(x) = 1/(1 + e^−x).
    Sigmoid,
    /// tanh x.
    Tanh,
    /// eˣ.
    Exp,
    /// eˣ − 1.
    Expm1,
    /// GELU x·Φ(x).
    Gelu,
    /// GELU′ = Φ(x) + x·ϕ(x).
    GeluDerivative,
}

/// A floating-point scalar the layers can be built on (`f32` or `f64`).
pub trait Float:
    num_traits::Float
    + num_traits::FromPrimitive
    + ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + 'static
{
    /// The error function erf(x).
    fn erf(self) -> Self;
    /// The complementary error function erfc(x) = 1 − erf(x), accurate in the tails.
    fn erfc(self) -> Self;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn of(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn f64(self) -> f64;
    /// Converts from `f32` exactly.
    fn of_f32(x: f32) -> Self;
    /// Writes `y = f(x)` element-wise with a vectorised kernel for `f` and returns `true`, or returns
    /// `false` when this type has none (the caller then runs its scalar loop). `f32` has them all
    /// ([`crate::vmath`]); `f64` none (it is the reference for gradient checks).
    fn slice_kernel(kernel: Kernel, x: &[Self], y: &mut [Self]) -> bool {
        let _ = (kernel, x, y);
        false
    }
    /// `x` itself when `Self` is `f32` (so callers can skip a copy that would change nothing), else `None`.
    fn borrow_f32(x: ndarray::ArrayView2<'_, f32>) -> Option<ndarray::ArrayView2<'_, Self>> {
        let _ = x;
        None
    }
    /// `x` itself when `Self` is `f32` (for the `f32`-only sparse product, [`crate::sparse`]), else `None`.
    fn view_as_f32<D: ndarray::Dimension>(
        x: ndarray::ArrayView<'_, Self, D>,
    ) -> Option<ndarray::ArrayView<'_, f32, D>> {
        let _ = x;
        None
    }
    /// `x` itself when `Self` is `f32`, else `None` (see [`Float::view_as_f32`]).
    fn view_mut_as_f32<D: ndarray::Dimension>(
        x: ndarray::ArrayViewMut<'_, Self, D>,
    ) -> Option<ndarray::ArrayViewMut<'_, f32, D>> {
        let _ = x;
        None
    }
}

/// Checks that the setting `field = v` survives conversion to `F`, the type the layers compute in: finite
/// there (`1e39` is infinite in `f32`), and, where `nonzero`, not rounded to 0 (`1e-50` is 0 in `f32`, which
/// would silently turn a learning rate or an ε off). The f64 checks of each setting come first and catch
/// what is invalid in any type.
///
/// # Errors
/// A configuration error naming `field`, the value and the range of `F`.
pub fn check_representable<F: Float>(field: &str, v: f64, nonzero: bool) -> crate::Result<()> {
    let x = F::of(v);
    let name = std::any::type_name::<F>();
    if v.is_finite() && !x.is_finite() {
        return Err(crate::Error::config(
            field,
            format!(
                "{} is beyond the range of {name}, in which the network computes (largest {:.2e})",
                short_number(v),
                F::max_value().f64()
            ),
        ));
    }
    if nonzero && v != 0.0 && x == F::zero() {
        return Err(crate::Error::config(
            field,
            format!(
                "{} rounds to 0 in {name}, in which the network computes (smallest positive {:.2e})",
                short_number(v),
                (F::min_positive_value() * F::epsilon()).f64()
            ),
        ));
    }
    Ok(())
}

/// `v` as written where that is short (`0.001`), in scientific notation where it is long (`1e-50`, not 51
/// digits).
pub fn short_number(v: f64) -> String {
    let s = v.to_string();
    if s.len() > 12 { format!("{v:e}") } else { s }
}

impl Float for f32 {
    fn erf(self) -> Self {
        libm::erff(self)
    }
    fn erfc(self) -> Self {
        libm::erfcf(self)
    }
    fn of(x: f64) -> Self {
        x as f32
    }
    fn f64(self) -> f64 {
        self as f64
    }
    fn of_f32(x: f32) -> Self {
        x
    }
    fn slice_kernel(kernel: Kernel, x: &[Self], y: &mut [Self]) -> bool {
        use crate::vmath;
        let f = match kernel {
            Kernel::Sigmoid => vmath::sigmoid,
            Kernel::Tanh => vmath::tanh,
            Kernel::Exp => vmath::exp,
            Kernel::Expm1 => vmath::expm1,
            Kernel::Gelu => vmath::gelu,
            Kernel::GeluDerivative => vmath::gelu_derivative,
        };
        f(x, y);
        true
    }
    fn borrow_f32(x: ndarray::ArrayView2<'_, f32>) -> Option<ndarray::ArrayView2<'_, Self>> {
        Some(x)
    }
    fn view_as_f32<D: ndarray::Dimension>(
        x: ndarray::ArrayView<'_, Self, D>,
    ) -> Option<ndarray::ArrayView<'_, f32, D>> {
        Some(x)
    }
    fn view_mut_as_f32<D: ndarray::Dimension>(
        x: ndarray::ArrayViewMut<'_, Self, D>,
    ) -> Option<ndarray::ArrayViewMut<'_, f32, D>> {
        Some(x)
    }
}

impl Float for f64 {
    fn erf(self) -> Self {
        libm::erf(self)
    }
    fn erfc(self) -> Self {
        libm::erfc(self)
    }
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
    fn of_f32(x: f32) -> Self {
        x as f64
    }
}
