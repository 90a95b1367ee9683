"""actscope: activation and gradient diagnostics for any network.

Every metric here is computed by the Rust crates that actscope's own training and report use
(``actscope-metrics``), through the extension module ``actscope._native``: one implementation, so a number
from Python is the number the report would print, to the last bit.

Arrays are NumPy ``float32`` or ``float64`` arrays in any memory order; a metric is computed in the array's
own precision, as actscope's training loop does. Layer matrices are ``(samples, units)``. Wrong types or
dtypes raise ``TypeError``; wrong shapes, unknown activation names and out-of-range values ``ValueError``.

>>> import numpy as np, actscope
>>> z = np.array([[3.6, 3.7]])
>>> actscope.saturation(z, "sigmoid").rate   # sigmoid saturates beyond |z| = 3.64 at tau = 0.1
0.5

PyTorch hooks that write captures and run the analysis are in :mod:`actscope.torch`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from . import _native
from ._analyze import analyze
from .capture import CAPTURE_VERSION

__all__ = [
    "DEFAULT_TAU",
    "PERCENTILES",
    "CAPTURE_VERSION",
    "Saturation",
    "Dead",
    "Summary",
    "Bins",
    "Histogram",
    "Describe",
    "TTest",
    "saturation",
    "dead_units",
    "near_linear_share",
    "effective_rank",
    "singular_values",
    "summary",
    "percentiles",
    "histogram",
    "l2_norm",
    "mean_square",
    "update_ratio",
    "vanishing_index",
    "growth_factor",
    "phi",
    "phi_prime",
    "describe",
    "welch",
    "paired",
    "holm",
    "analyze",
]

__version__ = _native.__version__

#: The default threshold tau: "saturated" and "dead" mean phi'(z) < tau * sup phi'.
DEFAULT_TAU: float = _native.DEFAULT_TAU

#: The percentiles every layer summary records.
PERCENTILES: Tuple[float, ...] = tuple(_native.summary_percentiles())


@dataclass(frozen=True)
class Saturation:
    """Saturation of a bounded activation (sigmoid, tanh, softsign) on a batch."""

    #: Share of (sample, unit) pairs with phi'(z) < tau * sup phi'.
    rate: float
    #: Share of units saturated on the same side for every sample.
    stuck: float


@dataclass(frozen=True)
class Dead:
    """Dead units of a ReLU-family activation on a batch."""

    #: Units with phi'(z) < tau * sup phi' for every sample (ReLU: z <= 0 everywhere).
    dead_units: int
    #: Dead units as a share of all units.
    dead_fraction: float
    #: Share of (sample, unit) pairs with phi(z) == 0 exactly.
    inactive_rate: float


@dataclass(frozen=True)
class Summary:
    """Mean, population standard deviation and percentiles of a set of values (NaNs ignored)."""

    mean: float
    std: float
    #: The values at :data:`PERCENTILES` (2.5, 15, 50, 85, 97.5), in that order.
    percentiles: Tuple[float, ...]

    def percentile(self, p: float) -> float:
        """The recorded percentile ``p`` (one of :data:`PERCENTILES`)."""
        try:
            return self.percentiles[PERCENTILES.index(p)]
        except ValueError:
            raise ValueError(f"percentile {p} is not recorded; expected one of {PERCENTILES}") from None


@dataclass(frozen=True)
class Bins:
    """Histogram bins: ``bins`` equal bins on ``[lo, hi]``, plus underflow and overflow."""

    lo: float
    hi: float
    bins: int

    def __post_init__(self):
        # A count given as 2.7 had been cut to 2 by the Rust side while `bins` still said 2.7, and -1 raised
        # an OverflowError; the bounds and the largest count are checked by `histogram` (Rust).
        if isinstance(self.bins, bool) or not isinstance(self.bins, numbers.Integral) or self.bins < 1:
            raise ValueError(f"bins: expected a whole number of bins >= 1, got {self.bins!r}")

    @staticmethod
    def z() -> "Bins":
        """actscope's bins for z, the input of phi: [-8, 8] in 64 bins."""
        return Bins(*_native.default_bins(None))

    @staticmethod
    def for_output(activation: str) -> "Bins":
        """actscope's bins for a = phi(z): phi's range where it is bounded, otherwise those of z."""
        return Bins(*_native.default_bins(activation))

    def edges(self) -> Tuple[float, ...]:
        """The ``bins + 1`` edges, as the Rust side computes them."""
        return tuple(self.lo + (self.hi - self.lo) * i / self.bins for i in range(self.bins + 1))


@dataclass(frozen=True)
class Histogram:
    """Counts of values per bin; bin i holds edges[i] <= v < edges[i + 1], the last bin also holds ``hi``."""

    bins: Bins
    counts: Tuple[int, ...]
    #: Values below ``bins.lo``.
    underflow: int
    #: Values above ``bins.hi``.
    overflow: int
    #: NaN values.
    nan: int

    def total(self) -> int:
        """All values counted, including underflow, overflow and NaN."""
        return sum(self.counts) + self.underflow + self.overflow + self.nan


@dataclass(frozen=True)
class Describe:
    """Mean, spread and 95% Student-t interval of a sample (NaN where undefined, e.g. sd for n < 2)."""

    n: int
    mean: float
    #: Sample standard deviation (n - 1).
    sd: float
    ci_low: float
    ci_high: float

    def half_width(self) -> float:
        """Half-width of the 95% interval."""
        return (self.ci_high - self.ci_low) / 2.0


@dataclass(frozen=True)
class TTest:
    """The result of a t-test of a first sample against a second."""

    #: The t statistic (positive when the first sample is larger).
    t: float
    #: Degrees of freedom.
    df: float
    #: Two-sided p-value.
    p_two_sided: float
    #: One-sided p-value for "first > second".
    p_greater: float
    #: One-sided p-value for "first < second".
    p_less: float
    #: Effect size: Cohen's d (Welch) or d_z (paired).
    effect: float
    #: Mean difference (first - second).
    diff: float


def saturation(z, activation: str, tau: float = DEFAULT_TAU) -> Saturation:
    """Saturation rate and stuck-unit share of the pre-activations ``z`` ``(samples, units)``.

    A (sample, unit) pair is saturated when phi'(z) < tau * sup phi' (sigmoid at tau = 0.1: |z| > 3.64;
    tanh: |z| > 1.82). ``activation`` is an actscope name: sigmoid, tanh, relu, leaky_relu(alpha),
    elu(alpha), gelu, silu, softplus, softsign, identity.
    """
    return Saturation(*_native.saturation(z, _activation(activation), _tau(tau)))


def dead_units(z, activation: str, tau: float = DEFAULT_TAU) -> Dead:
    """Dead units and inactive rate of ``z`` ``(samples, units)``: a unit is dead when phi'(z) < tau * sup phi'
    for every sample (ReLU: z <= 0 on the whole batch)."""
    return Dead(*_native.dead_units(z, _activation(activation), _tau(tau)))


def near_linear_share(z, activation: str) -> float:
    """Share of the entries of ``z`` where phi'(z) >= 0.9 * sup phi' (sigmoid: |z| < 0.65; ReLU: z > 0)."""
    return _native.near_linear_share(z, _activation(activation))


def effective_rank(a) -> float:
    """Effective rank exp(entropy of the normalised singular values) of ``a`` ``(samples, units)`` after
    centring its columns; NaN when ``a`` holds a NaN or an infinity, or has no rows or no columns."""
    return _native.effective_rank(a)


def _numbers(name: str, values) -> List[float]:
    """``values`` as a list of floats; a string is refused (it had been read one character at a time:
    ``percentiles(z, "50")`` gave the 5th and 0th percentiles)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name}: expected a sequence of numbers, got the string {values!r}")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name}: expected a sequence of numbers, got {type(values).__name__} {values!r}") from None
    floats = []
    for v in items:
        try:
            floats.append(float(v))
        except (TypeError, ValueError):
            raise TypeError(f"{name}: expected a sequence of numbers, got {v!r} in it") from None
    return floats


def _activation(activation) -> str:
    """An activation's name (a string: None or a class had given "'None' is not an instance of 'str'")."""
    if not isinstance(activation, str):
        raise TypeError(f"activation: expected an actscope name such as 'sigmoid' or 'leaky_relu(0.01)', got "
                        f"{activation!r}")
    return activation


def _tau(tau) -> float:
    """The threshold as a float, from any real number type (a string had given "must be real number, not
    str")."""
    if isinstance(tau, (str, bytes, bool, np.bool_)):
        raise TypeError(f"tau: expected a number in (0, 1], got {tau!r}")
    try:
        return float(tau)
    except (TypeError, ValueError):
        raise TypeError(f"tau: expected a number in (0, 1], got {tau!r}") from None


def singular_values(a) -> Tuple[float, ...]:
    """Singular values of ``a`` (not centred), descending."""
    return tuple(_native.singular_values(a))


def summary(x) -> Summary:
    """Mean, population std and the :data:`PERCENTILES` of every entry of ``x`` (any shape; NaNs ignored)."""
    mean, std, ps = _native.summary(x)
    return Summary(mean, std, tuple(ps))


def percentiles(x, ps: Sequence[float]) -> Tuple[float, ...]:
    """Percentiles ``ps`` (in [0, 100]) of the entries of ``x``, linear interpolation (NumPy's default)."""
    return tuple(_native.percentiles(x, _numbers("ps", ps)))


def histogram(x, bins: Optional[Bins] = None) -> Histogram:
    """Counts the entries of ``x`` into ``bins`` (default: :meth:`Bins.z`)."""
    if bins is not None and not isinstance(bins, Bins):
        raise TypeError(f"bins: expected actscope.Bins(lo, hi, n), got {bins!r}")
    b = bins if bins is not None else Bins.z()
    counts, under, over, nan = _native.histogram(x, float(b.lo), float(b.hi), int(b.bins))
    return Histogram(b, tuple(counts), under, over, nan)


def l2_norm(x) -> float:
    """Frobenius norm of ``x`` (e.g. a weight gradient)."""
    return _native.l2_norm(x)


def mean_square(x) -> float:
    """Mean of the squared entries of ``x`` (e.g. of dL/dz)."""
    return _native.mean_square(x)


def update_ratio(before, after) -> float:
    """||after - before|| / ||before|| of a weight matrix over one optimizer step (NaN when before is 0)."""
    return _native.update_ratio(before, after)


def vanishing_index(first_norm: float, last_norm: float) -> float:
    """log10(first / last) of weight-gradient norms (each >= 0). Below 1/2 log10(n_first / n_last), n the
    matrices' entry counts, the gradients shrink towards the input per entry (0 is not that point)."""
    return _native.vanishing_index(float(first_norm), float(last_norm))


def growth_factor(mean_squares: Sequence[float]) -> Optional[float]:
    """The factor by which the squared gradient grows per layer from output to input, fitted on the per-layer
    mean squares of dL/dz (input side first), over the positive, finite ones (a layer whose gradient is 0 or
    not finite is left out); None with fewer than two. A negative value, which no mean square can be, is
    refused (it had been left out as silently as a 0)."""
    values = _numbers("mean_squares", mean_squares)
    negative = [(i, v) for i, v in enumerate(values) if v < 0]
    if negative:
        i, v = negative[0]
        raise ValueError(f"mean_squares[{i}] is {v}; expected mean squares, which are >= 0")
    return _native.growth_factor(values)


def phi(z, activation: str):
    """phi(z) element-wise as actscope computes it, in ``z``'s dtype (a new array)."""
    return _native.activation(z, activation, False)


def phi_prime(z, activation: str):
    """phi'(z) element-wise as actscope computes it, in ``z``'s dtype (a new array)."""
    return _native.activation(z, activation, True)


def describe(values: Sequence[float]) -> Describe:
    """Mean, sd and 95% Student-t interval of a sample (e.g. one metric over seeds). Raises ValueError for
    an empty sample or a value that is not finite; with one value, the sd and the interval are NaN."""
    return Describe(*_native.describe(_numbers("values", values)))


def welch(x: Sequence[float], y: Sequence[float]) -> TTest:
    """Welch's unequal-variance t-test of ``x`` against ``y`` (each needs at least 2 values, all finite).
    Two samples of equal values each (no spread) take the exact permutation test: one-sided p =
    1/C(n1+n2, n1) towards the side the means differ to, 1 where they agree."""
    return TTest(*_native.welch(_numbers("x", x), _numbers("y", y)))


def paired(x: Sequence[float], y: Sequence[float]) -> TTest:
    """Paired t-test of ``x`` against ``y``, paired by position (e.g. by seed); equal lengths, at least 2,
    all finite. Differences that are all equal (no spread) take the exact sign test: one-sided p = 2**-n
    towards their side, 1 where they are all 0."""
    return TTest(*_native.paired(_numbers("x", x), _numbers("y", y)))


def holm(p: Sequence[float]) -> Tuple[float, ...]:
    """Holm-Bonferroni adjusted p-values, in the input order (NaN stays NaN and does not count)."""
    return tuple(_native.holm(_numbers("p", p)))
