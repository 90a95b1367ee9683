//! Element-wise activation functions φ and their exact derivatives φ′.
//!
//! ```text
//! sigmoid       σ(x) = 1/(1+e^−x)                    σ′ = σ(1−σ)
//! tanh          tanh x                               1 − tanh²x
//! relu          max(0, x)                            1[x > 0]            (0 at x = 0; φ(NaN) NaN, φ′ 1: PyTorch)
//! leaky_relu(α) x if x > 0 else αx                   1 or α              (φ′(NaN) α: PyTorch)
//! elu(α)        x if x > 0 else α(e^x − 1)           1 or αe^x           (φ′(NaN) NaN: PyTorch's CPU)
//! gelu          x·Φ(x),  Φ(x) = ½erfc(−x/√2)         Φ(x) + x·ϕ(x)       (exact erf form)
//! silu          x·σ(x)                               σ(x)(1 + x(1−σ(x)))
//! softplus      max(x,0) + ln(1+e^−|x|)              σ(x)
//! softsign      x/(1+|x|)                            1/(1+|x|)²
//! identity      x                                    1
//! ```
//!
//! Every form is written so that it neither overflows nor produces NaN for any finite input
//! (checked at |x| = 1e4 in the tests).

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayView2, ArrayViewMut2, Zip};

use crate::spec::{parse_call, serde_via_str};
use crate::{Error, Float, Kernel, Result};

/// An activation function φ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// Logistic sigmoid.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// Rectified linear unit.
    Relu,
    /// Leaky ReLU with negative slope α.
    LeakyRelu(f64),
    /// Exponential linear unit with scale α.
    Elu(f64),
    /// Gaussian error linear unit, exact erf form.
    Gelu,
    /// Sigmoid-weighted linear unit x·σ(x) (a.k.a. swish).
    Silu,
    /// Softplus ln(1 + e^x) (β = 1).
    Softplus,
    /// Softsign x/(1+|x|).
    Softsign,
    /// The identity (a linear network).
    Identity,
}

const NAMES: &str = "sigmoid, tanh, relu, leaky_relu(α), elu(α), gelu, silu, softplus, softsign, identity";

/// The activations of the main experiment grid, in report order.
pub const MAIN_ACTIVATIONS: [Activation; 7] = [
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Relu,
    Activation::LeakyRelu(0.01),
    Activation::Elu(1.0),
    Activation::Gelu,
    Activation::Silu,
];

#[inline]
fn sigmoid<F: Float>(x: F) -> F {
    if x >= F::zero() {
        F::one() / (F::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (F::one() + e)
    }
}

/// Runs the type's vectorised `kernel` (see [`Float::slice_kernel`]) when both arrays are contiguous and
/// it has one; `false` means nothing was written.
fn slices<F: Float>(kernel: Kernel, x: &ArrayView2<'_, F>, y: &mut ArrayViewMut2<'_, F>) -> bool {
    match (x.as_slice(), y.as_slice_mut()) {
        (Some(x), Some(y)) => F::slice_kernel(kernel, x, y),
        _ => false,
    }
}

#[inline]
fn std_normal_pdf<F: Float>(x: F) -> F {
    F::of(1.0 / (2.0 * std::f64::consts::PI).sqrt()) * (-(x * x) * F::of(0.5)).exp()
}

#[inline]
fn std_normal_cdf<F: Float>(x: F) -> F {
    F::of(0.5) * (-x * F::of(std::f64::consts::FRAC_1_SQRT_2)).erfc()
}

impl Activation {
    /// φ(x).
    #[inline]
    pub fn value<F: Float>(self, x: F) -> F {
        let zero = F::zero();
        match self {
            Activation::Sigmoid => sigmoid(x),
            Activation::Tanh => x.tanh(),
            // `x ≤ 0` is false for NaN, which passes through, as in PyTorch.
            Activation::Relu => {
                if x <= zero {
                    zero
                } else {
                    x
                }
            }
            Activation::LeakyRelu(a) => {
                if x > zero {
                    x
                } else {
                    F::of(a) * x
                }
            }
            Activation::Elu(a) => {
                if x > zero {
                    x
                } else {
                    F::of(a) * x.exp_m1()
                }
            }
            Activation::Gelu => x * std_normal_cdf(x),
            Activation::Silu => x * sigmoid(x),
            Activation::Softplus => x.max(zero) + (-x.abs()).exp().ln_1p(),
            Activation::Softsign => x / (F::one() + x.abs()),
            Activation::Identity => x,
        }
    }

    /// φ′(x).
    #[inline]
    pub fn derivative<F: Float>(self, x: F) -> F {
        let (zero, one) = (F::zero(), F::one());
        match self {
            Activation::Sigmoid => {
                let s = sigmoid(x);
                s * (one - s)
            }
            Activation::Tanh => {
                let t = x.tanh();
                one - t * t
            }
            // At NaN the gradient passes, as PyTorch's `threshold_backward` (`z ≤ 0 ? 0 : g`) lets it.
            Activation::Relu => {
                if x <= zero {
                    zero
                } else {
                    one
                }
            }
            Activation::LeakyRelu(a) => {
                if x > zero {
                    one
                } else {
                    F::of(a)
                }
            }
            // NaN at NaN, as PyTorch's vectorised CPU `elu_backward` (`z > 0 ? g : g·α·eᶻ`); its scalar
            // tail and its CUDA kernel test `z ≤ 0` instead and pass the gradient.
            Activation::Elu(a) => {
                if x > zero {
                    one
                } else {
                    F::of(a) * x.exp()
                }
            }
            Activation::Gelu => std_normal_cdf(x) + x * std_normal_pdf(x),
            Activation::Silu => {
                let s = sigmoid(x);
                s * (one + x * (one - s))
            }
            Activation::Softplus => sigmoid(x),
            Activation::Softsign => {
                let d = one + x.abs();
                one / (d * d)
            }
            Activation::Identity => one,
        }
    }

    /// Writes `a = φ(z)` element-wise.
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn forward_into<F: Float>(self, z: ArrayView2<'_, F>, mut a: ArrayViewMut2<'_, F>) {
        // Checked here for every variant: the vectorised kernels compare lengths only, so a (2, 3) into a
        // (3, 2) had passed for sigmoid, tanh and GELU in f32 while ReLU panicked.
        assert_eq!(z.dim(), a.dim(), "z and a shapes differ");
        macro_rules! map {
            ($f:expr) => {
                Zip::from(&mut a).and(&z).for_each(|a, &z| *a = $f(z))
            };
        }
        // One loop per variant so each inner loop is branch-free on the variant and can vectorise; the
        // transcendental ones use the type's vectorised kernel when it has one (f32).
        match self {
            Activation::Sigmoid if slices(Kernel::Sigmoid, &z, &mut a) => {}
            Activation::Sigmoid => map!(|x| Activation::Sigmoid.value::<F>(x)),
            Activation::Tanh if slices(Kernel::Tanh, &z, &mut a) => {}
            Activation::Tanh => map!(|x: F| x.tanh()),
            Activation::Silu if slices(Kernel::Sigmoid, &z, &mut a) => a.zip_mut_with(&z, |a, &z| *a = z * *a),
            Activation::Elu(al) if slices(Kernel::Expm1, &z, &mut a) => {
                // a holds eᶻ − 1 now.
                let al = F::of(al);
                a.zip_mut_with(&z, |a, &z| *a = if z > F::zero() { z } else { al * *a });
            }
            Activation::Gelu if slices(Kernel::Gelu, &z, &mut a) => {}
            Activation::Relu => map!(|x: F| if x <= F::zero() { F::zero() } else { x }),
            Activation::LeakyRelu(al) => {
                let al = F::of(al);
                map!(|x: F| if x > F::zero() { x } else { al * x })
            }
            Activation::Identity => a.assign(&z),
            other => map!(|x| other.value::<F>(x)),
        }
    }

    /// Writes `grad_z = grad_a ⊙ φ′(z)`, given `a = φ(z)` from the forward pass.
    ///
    /// # Panics
    /// If the shapes differ.
    pub fn backward_into<F: Float>(
        self,
        z: ArrayView2<'_, F>,
        a: ArrayView2<'_, F>,
        grad_a: ArrayView2<'_, F>,
        mut grad_z: ArrayViewMut2<'_, F>,
    ) {
        let shape = z.dim();
        assert!(
            a.dim() == shape && grad_a.dim() == shape && grad_z.dim() == shape,
            "z, a, grad_a and grad_z shapes differ: {:?}, {:?}, {:?}, {:?}",
            shape,
            a.dim(),
            grad_a.dim(),
            grad_z.dim()
        );
        macro_rules! each {
            ($f:expr) => {
                Zip::from(&mut grad_z).and(&z).and(&a).and(&grad_a).for_each($f)
            };
        }
        let one = F::one();
        // One loop per variant (no per-element match on the variant), so each vectorises. SiLU, GELU and
        // ELU first write a vectorised kernel's output into grad_z (σ(z), GELU′(z), eᶻ) and finish from it;
        // sigmoid and tanh take φ′ from a.
        match self {
            Activation::Silu if slices(Kernel::Sigmoid, &z, &mut grad_z) => Zip::from(&mut grad_z)
                .and(&z)
                .and(&grad_a)
                .for_each(|gz, &z, &ga| *gz = ga * (*gz * (one + z * (one - *gz)))),
            Activation::Gelu if slices(Kernel::GeluDerivative, &z, &mut grad_z) => {
                grad_z.zip_mut_with(&grad_a, |gz, &ga| *gz = ga * *gz)
            }
            Activation::Elu(al) if slices(Kernel::Exp, &z, &mut grad_z) => {
                let al = F::of(al);
                Zip::from(&mut grad_z)
                    .and(&z)
                    .and(&grad_a)
                    .for_each(|gz, &z, &ga| *gz = if z > F::zero() { ga } else { ga * (al * *gz) })
            }
            Activation::Sigmoid => each!(|gz, _, &a, &ga| *gz = ga * (a * (one - a))),
            Activation::Tanh => each!(|gz, _, &a, &ga| *gz = ga * (one - a * a)),
            Activation::Relu => each!(|gz, &z, _, &ga| *gz = if z <= F::zero() { F::zero() } else { ga }),
            Activation::LeakyRelu(al) => {
                let al = F::of(al);
                each!(|gz, &z, _, &ga| *gz = if z > F::zero() { ga } else { ga * al })
            }
            Activation::Identity => grad_z.assign(&grad_a),
            other => each!(|gz, &z, _, &ga| *gz = ga * other.derivative(z)),
        }
    }

    /// The supremum of φ′ over the real line (the reference for "saturated" and "dead": φ′ < τ·sup φ′).
    pub fn max_derivative(self) -> f64 {
        match self {
            Activation::Sigmoid => 0.25,
            Activation::Tanh | Activation::Relu | Activation::Softplus | Activation::Softsign => 1.0,
            Activation::Identity => 1.0,
            Activation::LeakyRelu(a) | Activation::Elu(a) => a.max(1.0),
            // φ″ = ϕ(x)(2 − x²) vanishes at x = √2.
            Activation::Gelu => self.derivative(std::f64::consts::SQRT_2),
            Activation::Silu => {
                // φ′ is unimodal on [0, 10] with its maximum near 2.4; golden-section search to 1e-12.
                let (mut lo, mut hi) = (0.0_f64, 10.0_f64);
                let g = (5f64.sqrt() - 1.0) / 2.0;
                while hi - lo > 1e-12 {
                    let (m1, m2) = (hi - g * (hi - lo), lo + g * (hi - lo));
                    if self.derivative(m1) < self.derivative(m2) {
                        lo = m1;
                    } else {
                        hi = m2;
                    }
                }
                self.derivative((lo + hi) / 2.0)
            }
        }
    }

    /// Whether φ is bounded on both sides (sigmoid, tanh, softsign): the activations that can saturate.
    pub fn is_bounded(self) -> bool {
        matches!(self, Activation::Sigmoid | Activation::Tanh | Activation::Softsign)
    }

    /// Whether φ belongs to the ReLU family (its units can die: φ′ ≈ 0 on a whole half-line), softplus, the
    /// smooth ReLU, included (it had got neither a dead-unit nor a saturation measure).
    pub fn is_relu_family(self) -> bool {
        matches!(
            self,
            Activation::Relu
                | Activation::LeakyRelu(_)
                | Activation::Elu(_)
                | Activation::Gelu
                | Activation::Silu
                | Activation::Softplus
        )
    }

    /// Checks the parameter (α ≥ 0 and finite).
    pub fn validate(self) -> Result<()> {
        match self {
            Activation::LeakyRelu(a) | Activation::Elu(a) if !(a >= 0.0 && a.is_finite()) => {
                Err(Error::config("activation", format!("{self}: α must be finite and ≥ 0")))
            }
            _ => Ok(()),
        }
    }
}

/// Padded to the formatter's width and alignment (`{:>10}`), as `str` is.
impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name: String = match self {
            Activation::Sigmoid => "sigmoid".into(),
            Activation::Tanh => "tanh".into(),
            Activation::Relu => "relu".into(),
            Activation::LeakyRelu(a) => format!("leaky_relu({a})"),
            Activation::Elu(a) => format!("elu({a})"),
            Activation::Gelu => "gelu".into(),
            Activation::Silu => "silu".into(),
            Activation::Softplus => "softplus".into(),
            Activation::Softsign => "softsign".into(),
            Activation::Identity => "identity".into(),
        };
        f.pad(&name)
    }
}

impl FromStr for Activation {
    type Err = Error;
    /// Parses `sigmoid`, `leaky_relu` (α = 0.01), `leaky_relu(0.2)`, `elu` (α = 1), … (case-insensitive).
    fn from_str(s: &str) -> Result<Self> {
        let (name, p) = parse_call("activation", s, NAMES)?;
        let act = match (name.as_str(), p) {
            ("sigmoid", None) => Activation::Sigmoid,
            ("tanh", None) => Activation::Tanh,
            ("relu", None) => Activation::Relu,
            ("leaky_relu" | "leakyrelu", a) => Activation::LeakyRelu(a.unwrap_or(0.01)),
            ("elu", a) => Activation::Elu(a.unwrap_or(1.0)),
            ("gelu", None) => Activation::Gelu,
            ("silu" | "swish", None) => Activation::Silu,
            ("softplus", None) => Activation::Softplus,
            ("softsign", None) => Activation::Softsign,
            ("identity" | "linear", None) => Activation::Identity,
            // A known name with a parameter it does not take: said as such, not as an unknown name.
            (
                n @ ("sigmoid" | "tanh" | "relu" | "gelu" | "silu" | "swish" | "softplus" | "softsign" | "identity"
                | "linear"),
                Some(_),
            ) => {
                return Err(Error::config("activation", format!("{s:?}: {n} takes no parameter; write {n}")));
            }
            _ => {
                return Err(Error::UnknownName {
                    what: "activation",
                    given: s.to_string(),
                    expected: NAMES.to_string(),
                });
            }
        };
        act.validate()?;
        Ok(act)
    }
}

serde_via_str!(Activation);
