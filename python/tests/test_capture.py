"""Captures written with the `safetensors` Python package are read by Rust (`actscope.analyze`, the same
library function as `actscope analyze`), and its records hold the crates' numbers for exactly those tensors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

import actscope
from actscope.capture import capture_file_name, hidden_layer, output_layer, read_metadata, write_capture
from conftest import assert_same_bits


def records(run_dir):
    return [json.loads(line) for line in (run_dir / "records.jsonl").read_text().splitlines()]


def checkpoints(run_dir):
    return [r for r in records(run_dir) if r["kind"] == "checkpoint"]


def tiny(rng, step, dtype=np.float32):
    """The worked example of docs/capture.md: 3 inputs, 4 sigmoid units with BN before, 4 units of an
    unknown activation (a hard tanh, phi' given), 2 outputs, a probe batch of 5."""
    z0 = rng.normal(0, 3, size=(5, 4))
    z1 = rng.normal(0, 1.5, size=(5, 4))
    a1 = np.clip(z1, -1, 1)
    dphi1 = (np.abs(z1) < 1).astype(np.float64)
    t = {
        "layers.0.z": z0, "layers.0.weight": rng.normal(size=(4, 3)), "layers.0.grad_weight": rng.normal(size=(4, 3)),
        "layers.0.bn.mean": rng.normal(size=4), "layers.0.bn.var": rng.uniform(0.5, 2, size=4),
        "layers.1.z": z1, "layers.1.a": a1, "layers.1.dphi": dphi1,
        "layers.1.weight": rng.normal(size=(4, 4)), "layers.1.grad_weight": 1e-3 * rng.normal(size=(4, 4)),
        "layers.1.grad_bias": rng.normal(size=4),
        "layers.2.weight": rng.normal(size=(2, 4)), "layers.2.grad_weight": rng.normal(size=(2, 4)),
    }
    return {k: v.astype(dtype) for k, v in t.items()}


LAYERS = [
    hidden_layer("net.0", 4, "sigmoid", "before"),
    hidden_layer("net.3", 4, "unknown", "none", dphi_max=1.0),
    output_layer("net.5", 2),
]


def test_the_worked_example_is_read_and_measured_with_the_crates_numbers(tmp_path):
    rng = np.random.default_rng(3)
    written = {}
    for step in (0, 100):
        t = tiny(rng, step)
        path = write_capture(tmp_path / "caps" / capture_file_name("tiny", 7, step), model="tiny", seed=7,
                             step=step, layers=LAYERS, tensors=t, epoch=step / 200, loss=0.6931)
        written[step] = path
    # What the safetensors package wrote is what was given (names, dtypes, metadata).
    back = load_file(str(written[100]))
    assert sorted(back) == sorted(tiny(np.random.default_rng(0), 0))
    assert all(v.dtype == np.float32 for v in back.values())

    with pytest.warns(UserWarning, match=r"tiny-s7: .*no figures"):  # sigmoid and unknown layers: no figures
        a = actscope.analyze(tmp_path / "caps", tmp_path / "out", formats=("svg",))
    assert a.not_plotted == ("tiny-s7",)
    assert a.html.is_file() and a.markdown.is_file()
    (run,) = a.runs
    cps = checkpoints(run)
    assert [c["step"] for c in cps] == [0, 100]
    for cp in cps:
        t = load_file(str(written[cp["step"]]))
        z0 = t["layers.0.z"]
        sat = actscope.saturation(z0, "sigmoid")
        layer0 = cp["layers"][0]
        assert_same_bits([layer0["saturation"]["rate"], layer0["saturation"]["stuck"]], [sat.rate, sat.stuck],
                         f"step {cp['step']} layer 0 saturation")
        summ = actscope.summary(z0)
        assert_same_bits(layer0["z"]["percentiles"], list(summ.percentiles), "layer 0 z percentiles")
        assert_same_bits(layer0["grad_w_norm"], actscope.l2_norm(t["layers.0.grad_weight"]), "layer 0 ||dL/dW||")
        assert_same_bits(layer0["effective_rank"], actscope.effective_rank(actscope.phi(z0, "sigmoid")),
                         "layer 0 effective rank of a = sigmoid(z)")
        # The unknown activation: saturated where the supplied phi' < 0.1 * dphi_max.
        dphi = t["layers.1.dphi"]
        assert cp["layers"][1]["saturation"]["rate"] == float(np.mean(dphi < 0.1))

    # What no capture holds, passed as notes: said among the model's notes and findings.
    with pytest.warns(UserWarning, match="no figures"):
        noted = actscope.analyze(tmp_path / "caps", tmp_path / "noted", formats=("svg",),
                                 notes=[("tiny", 7, "the loss spiked at step 150. ")])
    assert noted.models[0]["notes"][-1] == "seed 7: the loss spiked at step 150"
    assert "Note: seed 7: the loss spiked at step 150." in noted.markdown.read_text()
    for bad, error, says in [
        (("tiny", 8, "x"), ValueError, "no capture has"),
        (("tiny", -1, "x"), ValueError, "seed is an int"),
        (("tiny", True, "x"), ValueError, "seed is an int"),
        (("tiny", 7, "  "), TypeError, "non-empty strings"),
        (["tiny", 7, "x"], TypeError, "tuple"),
    ]:
        with pytest.raises(error, match=says):
            actscope.analyze(tmp_path / "caps", tmp_path / "refused", notes=[bad])
        assert not (tmp_path / "refused").exists()


def test_a_capture_breaking_the_format_is_refused_naming_file_and_field(tmp_path):
    rng = np.random.default_rng(4)
    t = tiny(rng, 0)
    path = write_capture(tmp_path / "ok.safetensors", model="tiny", seed=1, step=0, layers=LAYERS, tensors=t)
    meta_bad = {"format": "actscope.capture", "version": "2", "model": "tiny", "seed": "1", "step": "0",
                "dtype": "f32", "layers": json.dumps(LAYERS)}
    bad = tmp_path / "v2.safetensors"
    save_file(t, str(bad), metadata=meta_bad)
    with pytest.raises(ValueError, match=r"v2.safetensors: capture format version \"2\" is not supported"):
        actscope.analyze([path, bad], tmp_path / "out")
    nan = dict(t)
    nan["layers.0.z"] = t["layers.0.z"].copy()
    nan["layers.0.z"][1, 2] = np.nan
    broken = write_capture(tmp_path / "nan.safetensors", model="tiny", seed=2, step=0, layers=LAYERS, tensors=nan)
    with pytest.raises(ValueError, match=r"nan.safetensors.*layers\.0\.z"):
        actscope.analyze(broken, tmp_path / "out2")


def test_writer_refuses_what_the_format_forbids(tmp_path):
    with pytest.raises(ValueError, match="needs dphi_max"):
        hidden_layer("x", 3, "unknown", "none")
    # Values the metadata cannot hold as given are refused, not cut (1.5 and True had been written as 1, a
    # negative epoch and a name of spaces only refused later by analyze, 2**64 only by analyze).
    write = lambda **kw: write_capture(tmp_path / "c.safetensors", layers=LAYERS, tensors={},  # noqa: E731
                                       **{"model": "m", "seed": 0, "step": 0, **kw})
    for error, key, bad in ((TypeError, "seed", 1.5), (TypeError, "seed", True), (TypeError, "seed", "3"),
                            (ValueError, "seed", 2**64), (ValueError, "step", -1), (TypeError, "step", 2.7)):
        with pytest.raises(error, match=rf"{key}: expected an integer from 0 to 2\*\*64 - 1"):
            write(**{key: bad})
    for error, bad in ((ValueError, -1.0), (ValueError, float("nan")), (ValueError, float("inf")), (TypeError, "1")):
        with pytest.raises(error, match=r"epoch: expected a finite number >= 0"):
            write(epoch=bad)
    with pytest.raises(ValueError, match=r"model: expected a non-empty model name \(not only spaces\)"):
        write(model="  ")
    with pytest.raises(TypeError, match=r"model: expected a non-empty model name \(a string\), got 5"):
        write(model=5)
    assert not (tmp_path / "c.safetensors").exists()
    # Integer and real types other than Python's are taken as they are: NumPy scalars, 0-d arrays.
    write(seed=np.int64(3), step=np.array(7), epoch=np.float32(0.5))
    assert read_metadata(tmp_path / "c.safetensors")["seed"] == "3"
    with pytest.raises(ValueError, match=r"step: expected an integer from 0 to 2\*\*64 - 1, got -5"):
        capture_file_name("m", 0, -5)
    with pytest.raises(TypeError, match=r"step: expected an integer from 0 to 2\*\*64 - 1, got 5.0"):
        capture_file_name("m", 0, 5.0)
    with pytest.raises(TypeError, match=r"layer 'h': units: expected an integer from 1 up, got 2.7"):
        hidden_layer("h", 2.7, "relu", "none")
    with pytest.raises(ValueError, match=r"layer 'h': dphi_max is for activation 'unknown'; 'relu' has its own"):
        hidden_layer("h", 4, "relu", "none", dphi_max=0.25)
    with pytest.raises(ValueError, match="free keys must start with 'x-'"):
        write_capture(tmp_path / "c.safetensors", model="m", seed=0, step=0, layers=LAYERS, tensors={},
                      extra={"writer": "me"})
    # A name the file name changes gets a hash of the exact name: "lr=0.1" and "lr 0.1" never share a file.
    assert capture_file_name("mlp bn/before", 3, 1200) == "mlp_bn_before-aac22473-seed3-step00001200.safetensors"
    assert capture_file_name("mlp_bn_before", 3, 1200) == "mlp_bn_before-seed3-step00001200.safetensors"
