"""Every metric on NumPy arrays equals the Rust crates' result bit for bit.

The Rust side is `python/reference/` (binary `actscope-reference`), which calls actscope-metrics directly on a raw file (never
the extension module), so the comparison does not go through the Python code path it checks. Each matrix is
given to Python in C order, Fortran order and as a strided view; all three must give the Rust bits.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import actscope
from conftest import assert_same_bits, run_reference

ACTIVATIONS = ["sigmoid", "tanh", "softsign", "relu", "leaky_relu(0.2)", "elu(1.5)", "gelu", "silu", "softplus",
               "identity"]


def matrices():
    """Seeded matrices with the values metrics are sensitive to: wide spreads (saturation), all-negative
    columns (dead units), exact zeros, values at the sigmoid threshold, and NaN."""
    rng = np.random.default_rng(15)
    wide = rng.normal(0.0, 3.0, size=(257, 33))
    wide[:, 3] = -np.abs(wide[:, 3]) - 0.1  # dead for the ReLU family
    wide[:, 5] = 0.0
    wide[:, 7] = np.abs(wide[:, 7]) + 5.0  # stuck high for sigmoid
    wide[:4, 9] = [3.6369, -3.6369, 3.637, 1.8184]
    narrow = rng.normal(0.2, 0.7, size=(64, 130))
    with_nan = rng.normal(0.0, 2.0, size=(40, 12))
    with_nan[3, 4] = np.nan
    return {"wide": wide, "narrow": narrow, "with_nan": with_nan}


def layouts(z: np.ndarray):
    """The same values in C order, Fortran order and as a non-contiguous view."""
    padded = np.zeros((z.shape[0], 2 * z.shape[1]), dtype=z.dtype)
    padded[:, ::2] = z
    return {"C": np.ascontiguousarray(z), "F": np.asfortranarray(z), "strided": padded[:, ::2]}


def python_metrics(z: np.ndarray, act: str, tau: float) -> dict:
    s = actscope.saturation(z, act, tau)
    d = actscope.dead_units(z, act, tau)
    summ = actscope.summary(z)
    hist = lambda b: actscope.histogram(z, b)  # noqa: E731
    hz, ha = hist(actscope.Bins.z()), hist(actscope.Bins.for_output(act))
    return {
        "saturation": {"rate": s.rate, "stuck": s.stuck},
        "dead": {"dead_units": d.dead_units, "dead_fraction": d.dead_fraction, "inactive_rate": d.inactive_rate},
        "near_linear": actscope.near_linear_share(z, act),
        "effective_rank": actscope.effective_rank(z),
        "singular_values": list(actscope.singular_values(z)),
        "summary": {"mean": summ.mean, "std": summ.std, "percentiles": list(summ.percentiles)},
        "percentiles": list(actscope.percentiles(z, [0.0, 1.0, 10.0, 33.3, 50.0, 99.9, 100.0])),
        "hist_z": {"counts": list(hz.counts), "underflow": hz.underflow, "overflow": hz.overflow, "nan": hz.nan},
        "hist_a": {"counts": list(ha.counts), "underflow": ha.underflow, "overflow": ha.overflow, "nan": ha.nan},
        "l2_norm": actscope.l2_norm(z),
        "mean_square": actscope.mean_square(z),
        "phi": actscope.phi(z, act).astype(np.float64).ravel().tolist(),
        "phi_prime": actscope.phi_prime(z, act).astype(np.float64).ravel().tolist(),
    }


def compare(got: dict, want: dict, what: str):
    assert got.keys() == want.keys()
    for k in want:
        if isinstance(want[k], dict):
            compare(got[k], want[k], f"{what}.{k}")
        elif k in ("counts",) or isinstance(want[k], int) and not isinstance(want[k], bool):
            assert got[k] == want[k], f"{what}.{k}: Python {got[k]} != Rust {want[k]}"
        else:
            assert_same_bits(got[k], want[k], f"{what}.{k}")


@pytest.mark.parametrize("dtype", ["f32", "f64"])
def test_matrix_metrics_equal_the_crates_bit_for_bit(reference_bin, tmp_path, dtype):
    np_dtype = np.float32 if dtype == "f32" else np.float64
    for name, z64 in matrices().items():
        z = z64.astype(np_dtype)
        raw = tmp_path / f"{name}.bin"
        z.astype(z.dtype.newbyteorder("<")).tofile(raw)
        for act in ACTIVATIONS:
            for tau in (0.1, 0.35):
                want = run_reference(reference_bin, "matrix", str(raw), dtype, *map(str, z.shape), act, str(tau))
                for layout, arr in layouts(z).items():
                    compare(python_metrics(arr, act, tau), want, f"{name}/{dtype}/{act}/tau={tau}/{layout}")


def test_metrics_run_in_the_arrays_own_precision(reference_bin):
    # float32 and float64 of the same values may differ (the crates sum in the element type); each equals
    # the crate's result for its own type, which the test above checks. Here: the dtype is really kept.
    z = np.linspace(-4, 4, 600).reshape(50, 12)
    assert actscope.phi(z.astype(np.float32), "sigmoid").dtype == np.float32
    assert actscope.phi(z, "sigmoid").dtype == np.float64


def test_seed_statistics_equal_the_crates_bit_for_bit(reference_bin):
    rng = np.random.default_rng(7)
    for n in (2, 3, 5, 10):
        x = (0.8 + 0.05 * rng.standard_normal(n)).tolist()
        y = (0.78 + 0.07 * rng.standard_normal(n)).tolist()
        p = rng.uniform(0, 0.2, size=n).tolist() + [float("nan")]
        nulls = [None if v != v else v for v in p]  # JSON has no NaN
        want = run_reference(reference_bin, "stats", stdin=json.dumps({"x": x, "y": y, "p": nulls}))
        d = actscope.describe(x)
        assert d.n == want["describe"][0]
        assert_same_bits([d.mean, d.sd, d.ci_low, d.ci_high], want["describe"][1:], f"describe n={n}")
        w, pr = actscope.welch(x, y), actscope.paired(x, y)
        fields = lambda t: [t.t, t.df, t.p_two_sided, t.p_greater, t.p_less, t.effect, t.diff]  # noqa: E731
        assert_same_bits(fields(w), want["welch"], f"welch n={n}")
        assert_same_bits(fields(pr), want["paired"], f"paired n={n}")
        assert_same_bits(list(actscope.holm(p)), want["holm"], f"holm n={n}")
        assert_same_bits(actscope.growth_factor(x), want["growth_factor"], f"growth factor n={n}")


def test_describe_is_the_usual_t_interval():
    d = actscope.describe([1.0, 2.0, 3.0, 4.0])
    assert d.n == 4 and d.mean == 2.5
    assert d.sd == pytest.approx(1.2909944, rel=1e-7)
    assert d.half_width() == pytest.approx(3.1824463 * 1.2909944 / 2, rel=1e-6)  # t(0.975, 3) = 3.18245
    # An empty sample is refused (it had returned all NaN); one value has a mean and nothing else.
    with pytest.raises(ValueError, match="describe: no values"):
        actscope.describe([])
    one = actscope.describe([0.5])
    assert one.n == 1 and one.mean == 0.5 and one.sd != one.sd and one.ci_low != one.ci_low


def test_summary_percentiles_are_named():
    s = actscope.summary(np.arange(101, dtype=np.float64))
    assert actscope.PERCENTILES == (2.5, 15.0, 50.0, 85.0, 97.5)
    assert s.percentile(50.0) == 50.0 and s.percentile(97.5) == 97.5
    with pytest.raises(ValueError, match="not recorded"):
        s.percentile(42.0)


def test_update_ratio_and_vanishing_index():
    w = np.ones((3, 4), dtype=np.float32)
    assert actscope.update_ratio(w, 1.5 * w) == pytest.approx(0.5)
    assert actscope.vanishing_index(1e-3, 1.0) == pytest.approx(-3.0)
    with pytest.raises(ValueError, match=r"before is float32 \(3, 4\) but after is float32 \(4, 3\)"):
        actscope.update_ratio(w, w.T.copy())


def test_wrong_inputs_raise_clear_exceptions():
    z = np.zeros((4, 3), dtype=np.float32)
    with pytest.raises(TypeError, match=r"z: expected dtype float32 or float64, got int64; convert with \.astype"):
        actscope.saturation(np.zeros((4, 3), dtype=np.int64), "sigmoid")
    with pytest.raises(ValueError, match=r"z: expected a 2-D array \(samples, units\), got shape \(12,\)"):
        actscope.saturation(z.ravel(), "sigmoid")
    with pytest.raises(ValueError, match=r"unknown activation \"swishy\"; expected one of: sigmoid, tanh, relu"):
        actscope.dead_units(z, "swishy")
    with pytest.raises(TypeError, match=r"z: expected a numpy.ndarray of float32 or float64, got list"):
        actscope.saturation([[0.0, 1.0]], "sigmoid")
    with pytest.raises(ValueError, match=r"tau: expected a threshold in \(0, 1\]"):
        actscope.saturation(z, "sigmoid", tau=0.0)
    with pytest.raises(ValueError, match="paired: x has 2 values and y has 3"):
        actscope.paired([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="welch: each sample needs at least 2 values, got 1 and 2"):
        actscope.welch([1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"ps: expected percentiles in \[0, 100\], got 101"):
        actscope.percentiles(z, [101])
    with pytest.raises(ValueError, match="bins: expected finite lo < hi"):
        actscope.histogram(z, actscope.Bins(1.0, 0.0, 4))


def test_bad_bins_masked_and_byte_swapped_arrays_are_refused_not_crashed_on():
    """A review fed the API bad input: 10**12 bins aborted the process (a failed 8 TB allocation), bounds whose
    width overflows put every value in bin 0, 2.7 bins were cut to 2, a masked array's mask was ignored, and a
    big-endian float64 was called not float64."""
    x = np.array([0.0, 0.5, 1.0])
    with pytest.raises(ValueError, match=r"bins: expected 1 to 10000000 bins, got 1000000000000"):
        actscope.histogram(x, actscope.Bins(0.0, 1.0, 10**12))
    with pytest.raises(ValueError, match="overflows to infinity"):
        actscope.histogram(np.array([0.0, 1e308]), actscope.Bins(-1.7e308, 1.7e308, 3))
    for count in (2.7, -1, 0, True):
        with pytest.raises(ValueError, match="bins: expected a whole number of bins >= 1"):
            actscope.Bins(0.0, 1.0, count)
    assert actscope.Bins(0.0, 1.0, np.int64(4)).bins == 4
    z = np.array([[5.0, 0.0], [5.0, 0.0]])
    with pytest.raises(TypeError, match="z: expected a plain numpy.ndarray, got a masked array"):
        actscope.saturation(np.ma.masked_array(z, mask=[[1, 0], [1, 0]]), "sigmoid")
    with pytest.raises(TypeError, match=r"x: float64 in the other byte order \(dtype >f8\); convert with \.astype\(\"=f8\"\)"):
        actscope.summary(z.astype(">f8"))
    with pytest.raises(ValueError, match="sigmoid takes no parameter; write sigmoid"):
        actscope.saturation(z, "sigmoid(1)")
    with pytest.raises(ValueError, match=r"first: expected a gradient norm \(>= 0\), got -1"):
        actscope.vanishing_index(-1.0, 1.0)
    assert actscope.vanishing_index(0.0, 1.0) == -np.inf


def test_non_finite_values_give_nan_or_their_limits():
    """singular_values of a matrix holding NaN had been zeros; percentiles next to an infinite value had been
    NaN (the median of [1, inf, 2] is 2)."""
    for bad in (np.nan, np.inf):
        s = actscope.singular_values(np.array([[bad, 1.0], [2.0, 3.0]]))
        assert len(s) == 2 and all(np.isnan(v) for v in s), s
    inf = np.inf
    assert actscope.percentiles(np.array([1.0, inf, 2.0]), [0, 50, 100]) == (1.0, 2.0, inf)
    assert actscope.percentiles(np.array([-inf, 1.0, 2.0, 3.0]), [25, 50]) == (-inf, 1.5)
    # Finite data: NumPy's linear interpolation, as before.
    v = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    assert actscope.percentiles(v, [2.5, 15, 50, 85, 97.5]) == tuple(np.percentile(v, [2.5, 15, 50, 85, 97.5]))


def test_strings_and_non_finite_seed_values_are_refused():
    """A string where a list belongs had been read one character at a time (percentiles(z, "50") gave the 5th
    and 0th percentiles); an infinite value gave describe an sd of 0 and Welch's test p = 0."""
    z = np.zeros((4, 3))
    with pytest.raises(TypeError, match=r"ps: expected a sequence of numbers, got the string '50'"):
        actscope.percentiles(z, "50")
    with pytest.raises(TypeError, match=r"values: expected a sequence of numbers, got the string '123'"):
        actscope.describe("123")
    with pytest.raises(TypeError, match=r"mean_squares: expected a sequence of numbers"):
        actscope.growth_factor("12")
    with pytest.raises(ValueError, match=r"mean_squares\[1\] is -1.0; expected mean squares, which are >= 0"):
        actscope.growth_factor([1.0, -1.0, 0.1])
    with pytest.raises(TypeError, match=r"ps: expected a sequence of numbers, got int 50"):
        actscope.percentiles(z, 50)
    with pytest.raises(TypeError, match=r"values: expected a sequence of numbers, got 'a' in it"):
        actscope.describe([1.0, "a"])
    with pytest.raises(TypeError, match=r"activation: expected an actscope name such as 'sigmoid'"):
        actscope.saturation(z, None)
    with pytest.raises(TypeError, match=r"tau: expected a number in \(0, 1\], got '0.1'"):
        actscope.dead_units(z, "relu", "0.1")
    with pytest.raises(TypeError, match=r"bins: expected actscope.Bins\(lo, hi, n\), got \(0, 1, 3\)"):
        actscope.histogram(z, (0, 1, 3))
    inf, nan = float("inf"), float("nan")
    with pytest.raises(ValueError, match=r"describe: values\[1\] is inf; expected finite numbers"):
        actscope.describe([1.0, inf])
    with pytest.raises(ValueError, match=r"welch: x\[0\] is inf"):
        actscope.welch([inf, inf], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"paired: y\[1\] is NaN"):
        actscope.paired([1.0, 2.0], [0.0, nan])


def test_a_torch_tensor_is_refused_with_the_conversion_to_use():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"got Tensor \(a torch tensor: pass tensor.detach\(\).cpu\(\).numpy\(\)\)"):
        actscope.saturation(torch.zeros(3, 2), "sigmoid")
