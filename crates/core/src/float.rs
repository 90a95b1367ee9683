//! The floating-point element type of every layer.
//!
//! Layers run in `f32` for speed and in `f64` for gradient checks; both implement [`Float`].

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

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
    /// Writes `y = σ(x)` with a vectorised kernel and returns `true`, or returns `false` when this type
    /// has none (then the caller runs its scalar loop). `f32` has one ([`crate::vmath::sigmoid`]).
    fn sigmoid_slice(x: &[Self], y: &mut [Self]) -> bool {
        let _ = (x, y);
        false
    }
    /// As [`Float::sigmoid_slice`], for tanh ([`crate::vmath::tanh`] for `f32`).
    fn tanh_slice(x: &[Self], y: &mut [Self]) -> bool {
        let _ = (x, y);
        false
    }
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
    fn sigmoid_slice(x: &[Self], y: &mut [Self]) -> bool {
        crate::vmath::sigmoid(x, y);
        true
    }
    fn tanh_slice(x: &[Self], y: &mut [Self]) -> bool {
        crate::vmath::tanh(x, y);
        true
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
