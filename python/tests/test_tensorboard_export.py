"""`actscope export tensorboard` and `actscope export table`, read back by real readers.

Environment:
    ACTSCOPE_BIN  path of the `actscope` binary to test (e.g. target/release/actscope). The python suite
                  runner sets it; without it every test here is skipped with a loud message.

The test trains three smoke-sized runs with the CLI in a temporary directory (ReLU without BN, tanh
with BN before φ and per-step scalars, and ReLU with a wide initialisation whose z leaves the recorded
histogram range), exports them, and checks value by value against each run's records.jsonl:

- TensorBoard's own event reader (`EventAccumulator`, which checks both TFRecord checksums of every
  record) for every scalar tag and every histogram (min, max, num, sum, sum_squares, bucket limits and
  counts), and TensorBoard's server-side data provider (the path `tensorboard --logdir` serves, after
  its migration of histograms to the tensor format) for the same scalars and buckets;
- the layer, eval and step CSV tables, with pandas when it is installed, else the csv module.
"""

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BIN = os.environ.get("ACTSCOPE_BIN")
if not BIN:
    message = (
        "ACTSCOPE_BIN is not set: skipping the TensorBoard export tests. Build the CLI "
        "(cargo build --release -p actscope) and run with ACTSCOPE_BIN=target/release/actscope."
    )
    print(f"\n*** {message} ***\n", file=sys.stderr)
    pytest.skip(message, allow_module_level=True)

from tensorboard.backend.event_processing import event_accumulator as ea  # noqa: E402

# The per-layer metrics, named and read from a record independently of the Rust code.
PERCENTILES = ["p2_5", "p15", "p50", "p85", "p97_5"]


def _get(*path):
    def read(layer):
        v = layer
        for key in path:
            if v is None:
                return None
            v = v[key]
        return v

    return read


LAYER_METRICS = {}
for q in ("z", "a"):
    LAYER_METRICS[f"{q}_mean"] = _get(q, "mean")
    LAYER_METRICS[f"{q}_std"] = _get(q, "std")
    for i, p in enumerate(PERCENTILES):
        LAYER_METRICS[f"{q}_{p}"] = _get(q, "percentiles", i)
LAYER_METRICS.update(
    {
        "saturation_rate": _get("saturation", "rate"),
        "stuck_fraction": _get("saturation", "stuck"),
        "dead_units": _get("dead", "dead_units"),
        "dead_fraction": _get("dead", "dead_fraction"),
        "inactive_rate": _get("dead", "inactive_rate"),
        "near_linear": _get("near_linear"),
        "grad_w_norm": _get("grad_w_norm"),
        "grad_b_norm": _get("grad_b_norm"),
        "grad_z_ms": _get("grad_z_ms"),
        "weight_norm": _get("weight_norm"),
        "update_ratio": _get("update_ratio"),
        "effective_rank": _get("effective_rank"),
        "bn_gamma_mean": _get("bn", "gamma_mean"),
        "bn_gamma_std": _get("bn", "gamma_std"),
        "bn_beta_mean": _get("bn", "beta_mean"),
        "bn_beta_std": _get("bn", "beta_std"),
        "tracked_p15": _get("tracked_unit", 0),
        "tracked_p50": _get("tracked_unit", 1),
        "tracked_p85": _get("tracked_unit", 2),
    }
)
CHECKPOINT_METRICS = {
    "probe_loss": _get("loss"),
    "output_grad_w_norm": _get("output_grad_w_norm"),
    "vanishing_index": _get("vanishing_index"),
    "growth_factor": _get("growth_factor"),
}

RUNS = [
    ["--activation", "relu", "--hidden", "8,8"],
    ["--activation", "tanh", "--placement", "before", "--hidden", "6", "--set", "step_scalars=true"],
    ["--activation", "relu", "--hidden", "8", "--init", "small_gaussian(6.0)", "--seed", "3"],
]


def actscope(*args, cwd):
    out = subprocess.run([BIN, *args], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, f"actscope {' '.join(args)} failed:\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    common = ["train", "--data", "synthetic:spirals", "--steps", "40", "--set", "probe_size=60"]
    common += ["--set", "checkpoints_per_epoch=6", "-q", "--out", "runs"]
    for extra in RUNS:
        actscope(*common, *extra, cwd=d)
    actscope("export", "tensorboard", "runs", "--out", "tb", cwd=d)
    for level in ("layer", "eval", "step"):
        actscope("export", "table", "runs", "--level", level, "--out", f"{level}.csv", cwd=d)
    runs = {}
    for run in sorted((d / "runs").iterdir()):
        lines = (run / "records.jsonl").read_text().splitlines()
        runs[run.name] = [json.loads(line) for line in lines if line.strip()]
    assert len(runs) == len(RUNS)
    return d, runs


# Metrics that may be absent (not applicable); the others are always recorded, and a null in JSON is a NaN.
# Since schema 4 the records write +inf, -inf and an optional NaN as the strings "inf", "-inf", "nan".
OPTIONAL = {
    "saturation_rate", "stuck_fraction", "dead_units", "dead_fraction", "inactive_rate", "grad_b_norm",
    "update_ratio", "effective_rank", "bn_gamma_mean", "bn_gamma_std", "bn_beta_mean", "bn_beta_std",
    "tracked_p15", "tracked_p50", "tracked_p85", "growth_factor",
}


def expected_scalars(records):
    """tag -> [(step, value)] as the export promises, from a run's records."""
    out = {}

    def add(tag, step, v):
        metric = tag.split("/")[1] if tag.startswith("network/") else tag.split("/")[0]
        if isinstance(v, str):
            v = float(v)
        if v is None and metric not in OPTIONAL:
            v = math.nan
        if v is not None:
            out.setdefault(tag, []).append((step, v))

    for r in records:
        if r["kind"] == "eval":
            add(f"loss/{r['set']}", r["step"], r["loss"])
            add(f"accuracy/{r['set']}", r["step"], r["accuracy"])
        elif r["kind"] == "checkpoint":
            for name, get in CHECKPOINT_METRICS.items():
                add(f"network/{name}", r["step"], get(r))
            for layer in r["layers"]:
                for name, get in LAYER_METRICS.items():
                    add(f"{name}/layer{layer['layer']}", r["step"], get(layer))
        elif r["kind"] == "step":
            add("step/loss", r["step"], r["loss"])
            *hidden, output = r["grad_w_norms"]
            for i, v in enumerate(hidden):
                add(f"step/grad_w_norm/layer{i}", r["step"], v)
            add("step/grad_w_norm/output", r["step"], output)
    return out


def expected_histogram(hist, moments):
    """The TensorBoard histogram of a recorded one, by the rules of the export's documentation."""
    lo, hi, n_bins = hist["bins"]["lo"], hist["bins"]["hi"], hist["bins"]["bins"]
    edges = [lo + (hi - lo) * i / n_bins for i in range(n_bins + 1)]
    width = (hi - lo) / n_bins
    counts, under, over = hist["counts"], hist["underflow"], hist["overflow"]
    nonzero = [i for i, c in enumerate(counts) if c > 0]
    start = 0 if under else (nonzero[0] if nonzero else n_bins)
    end = n_bins if over else (nonzero[-1] + 1 if nonzero else start)
    limits, buckets = [], []
    if under:
        limits.append(lo)
        buckets.append(float(under))
    for i in range(start, end):
        limits.append(edges[i + 1])
        buckets.append(float(counts[i]))
    if over:
        limits.append(sys.float_info.max)
        buckets.append(float(over))
    n = float(sum(counts) + under + over)
    return {
        "min": lo - width if under else edges[start],
        "max": hi + width if over else edges[end],
        "num": n,
        "sum": n * moments["mean"],
        "sum_squares": n * (moments["std"] ** 2 + moments["mean"] ** 2),
        "bucket_limit": limits,
        "bucket": buckets,
    }


def expected_histograms(records):
    """tag -> [(step, histogram)]."""
    out = {}
    for r in records:
        if r["kind"] != "checkpoint":
            continue
        for layer in r["layers"]:
            for q in ("z", "a"):
                h = expected_histogram(layer[f"{q}_hist"], layer[q])
                out.setdefault(f"{q}/layer{layer['layer']}", []).append((r["step"], h))
    return out


def same_f32(got, want):
    want = np.float32(want)
    return (math.isnan(got) and np.isnan(want)) or np.float32(got) == want


def test_event_accumulator_reads_every_scalar_and_histogram_exactly(exported):
    d, runs = exported
    saw_out_of_range = False
    for name, records in runs.items():
        files = list((d / "tb" / name).iterdir())
        assert len(files) == 1 and files[0].name.startswith("events.out.tfevents."), files
        acc = ea.EventAccumulator(str(d / "tb" / name), size_guidance={ea.SCALARS: 0, ea.HISTOGRAMS: 0})
        acc.Reload()
        assert acc.file_version == 2.0
        want = expected_scalars(records)
        tags = acc.Tags()
        assert sorted(tags["scalars"]) == sorted(want), name
        for tag, points in want.items():
            got = acc.Scalars(tag)
            assert [e.step for e in got] == [s for s, _ in points], tag
            for e, (_, v) in zip(got, points):
                assert same_f32(e.value, v), (name, tag, e.step, e.value, v)
        hists = expected_histograms(records)
        assert sorted(tags["histograms"]) == sorted(hists), name
        for tag, points in hists.items():
            got = acc.Histograms(tag)
            assert [e.step for e in got] == [s for s, _ in points], tag
            for e, (_, h) in zip(got, points):
                v = e.histogram_value
                assert list(v.bucket_limit) == h["bucket_limit"], (name, tag, e.step)
                assert list(v.bucket) == h["bucket"], (name, tag, e.step)
                assert (v.min, v.max, v.num) == (h["min"], h["max"], h["num"]), (name, tag, e.step)
                assert v.sum == pytest.approx(h["sum"], rel=1e-12, abs=1e-12)
                assert v.sum_squares == pytest.approx(h["sum_squares"], rel=1e-12)
                saw_out_of_range |= h["bucket_limit"][-1] == sys.float_info.max or h["min"] < -8.0
    assert saw_out_of_range, "the wide-init run should put z outside the recorded range"


def test_the_data_provider_tensorboard_serves_shows_the_same_data(exported):
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer

    d, runs = exported
    mux = plugin_event_multiplexer.EventMultiplexer(tensor_size_guidance={"scalars": 0, "histograms": 0})
    mux.AddRunsFromDirectory(str(d / "tb"))
    mux.Reload()
    dp = data_provider.MultiplexerDataProvider(mux, str(d / "tb"))
    ctx = context.RequestContext()
    scalars = dp.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=10**6)
    histograms = dp.read_tensors(ctx, experiment_id="", plugin_name="histograms", downsample=10**6)
    assert sorted(scalars) == sorted(runs) == sorted(histograms)
    for name, records in runs.items():
        want = expected_scalars(records)
        assert sorted(scalars[name]) == sorted(want)
        for tag, points in want.items():
            got = scalars[name][tag]
            assert [p.step for p in got] == [s for s, _ in points], tag
            for p, (_, v) in zip(got, points):
                assert same_f32(p.value, v), (name, tag, p.step, p.value, v)
        for tag, points in expected_histograms(records).items():
            got = histograms[name][tag]
            assert [p.step for p in got] == [s for s, _ in points]
            for p, (_, h) in zip(got, points):
                buckets = p.numpy  # rows of [left, right, count]
                assert list(buckets[:, 2]) == h["bucket"], (name, tag, p.step)
                assert list(buckets[:, 1]) == h["bucket_limit"][:-1] + [h["max"]]
                assert list(buckets[:, 0]) == [h["min"]] + h["bucket_limit"][:-1]


def read_table(path):
    """The rows of a CSV table as dicts of strings (empty string for a missing value)."""
    try:
        import pandas
    except ImportError:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    frame = pandas.read_csv(path)
    assert pandas.api.types.is_string_dtype(frame["run"]) and pandas.api.types.is_integer_dtype(frame["step"])
    assert "epoch" not in frame or pandas.api.types.is_float_dtype(frame["epoch"])
    return [{k: ("" if isinstance(v, float) and math.isnan(v) else str(v)) for k, v in row.items()}
            for row in frame.to_dict("records")]


def same_cell(cell, value):
    if isinstance(value, str):
        value = float(value)  # "inf", "-inf" or "nan" (schema 4)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return cell == ""
    return float(cell) == float(value)


def test_the_layer_table_holds_every_metric_exactly(exported):
    d, runs = exported
    rows = read_table(d / "layer.csv")
    expected = [(name, c, layer) for name, records in runs.items() for c in records if c["kind"] == "checkpoint" for layer in c["layers"]]
    assert len(rows) == len(expected)
    for row, (name, c, layer) in zip(rows, expected):
        assert row["run"] == name
        assert int(float(row["step"])) == c["step"] and int(float(row["layer"])) == layer["layer"]
        assert same_cell(row["epoch"], c["epoch"]) and same_cell(row["probe_loss"], c["loss"])
        for metric, get in LAYER_METRICS.items():
            assert same_cell(row[metric], get(layer)), (name, c["step"], metric, row[metric], get(layer))


def test_the_eval_and_step_tables_match_the_records(exported):
    d, runs = exported
    rows = read_table(d / "eval.csv")
    evals = [(name, r) for name, records in runs.items() for r in records if r["kind"] == "eval"]
    assert len(rows) * 3 == len(evals)
    by_key = {(row["run"], int(float(row["step"]))): row for row in rows}
    for name, r in evals:
        row = by_key[(name, r["step"])]
        assert same_cell(row[f"{r['set']}_loss"], r["loss"]) and same_cell(row[f"{r['set']}_accuracy"], r["accuracy"])
    rows = read_table(d / "step.csv")
    steps = [(name, r) for name, records in runs.items() for r in records if r["kind"] == "step"]
    assert len(steps) > 0 and len(rows) == len(steps)
    for row, (name, r) in zip(rows, steps):
        assert row["run"] == name and same_cell(row["loss"], r["loss"])
        assert same_cell(row["grad_w_norm_layer0"], r["grad_w_norms"][0])
        assert same_cell(row["grad_w_norm_output"], r["grad_w_norms"][-1])
