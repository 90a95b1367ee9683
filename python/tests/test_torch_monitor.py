"""A real PyTorch model through `actscope.torch.Monitor` and `analyze`.

A 3-hidden-layer MLP with BatchNorm before sigmoid trains on 600 images of the embedded Fashion-MNIST subset;
the Monitor captures it every 10 steps on a 200-image probe batch; `analyze` writes figures and a
diagnosis whose saturation numbers must be the crates' numbers for exactly the captured tensors, and the
captured tensors must be the model's own (recomputed here by hand).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import warnings
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file
from torch import nn

import actscope
from actscope.torch import Monitor, activation_name
from conftest import assert_same_bits

STEPS, BATCH, EVERY = 40, 60, 10


def mlp(seed: int, act=nn.Sigmoid, bn="before", width=64) -> nn.Sequential:
    torch.manual_seed(seed)
    layers, fan_in = [], 784
    for _ in range(3):
        if bn == "before":
            layers += [nn.Linear(fan_in, width, bias=False), nn.BatchNorm1d(width), act()]
        elif bn == "after":
            layers += [nn.Linear(fan_in, width), act(), nn.BatchNorm1d(width)]
        else:
            layers += [nn.Linear(fan_in, width), act()]
        fan_in = width
    return nn.Sequential(*layers, nn.Linear(fan_in, 10))


def train(model, data, monitor=None, steps=STEPS):
    x, y = data
    opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    for step in range(steps):
        if monitor is not None:
            monitor.step(step)
        i = (step * BATCH) % len(x)
        loss = nn.functional.cross_entropy(model(x[i:i + BATCH]), y[i:i + BATCH])
        opt.zero_grad()
        loss.backward()
        opt.step()
    if monitor is not None:
        monitor.capture(steps)
    return model


@pytest.fixture(scope="module")
def data(fashion, threads):
    xtr, ytr, xte, yte = fashion
    train_set = (torch.from_numpy(xtr[:600].copy()), torch.from_numpy(ytr[:600].copy()))
    probe = (torch.from_numpy(xte[:200].copy()), torch.from_numpy(yte[:200].copy()))
    return train_set, probe


@pytest.fixture(scope="module")
def monitored(data, tmp_path_factory):
    """Two seeds of the BN-before-sigmoid model, monitored, and their analysis."""
    train_set, probe = data
    out = tmp_path_factory.mktemp("monitor")
    monitors = []
    for seed in (1, 2):
        model = mlp(seed)
        mon = Monitor(model, probe, every=EVERY, out_dir=out / "captures", model_name="mlp-bn-before-sigmoid",
                      seed=seed, steps_per_epoch=len(train_set[0]) // BATCH)
        train(model, train_set, mon)
        monitors.append((model, mon))
    analysis = monitors[0][1].report(out / "report")  # the first seed's captures only
    both = actscope.analyze(out / "captures", out / "both", formats=("png",))
    return monitors, analysis, both


def test_captures_follow_the_cadence_and_the_format(monitored):
    (model, mon), _ = monitored[0]
    assert [p.name for p in mon.paths] == [
        f"mlp-bn-before-sigmoid-seed1-step{s:08d}.safetensors" for s in (0, 10, 20, 30, 40)]
    layers = [(layer.name, layer.kind, layer.activation_name, layer.bn) for layer in mon.layers]
    assert layers == [("0", "hidden", "sigmoid", "before"), ("3", "hidden", "sigmoid", "before"),
                      ("6", "hidden", "sigmoid", "before"), ("9", "output", None, "none")]
    t = load_file(str(mon.paths[-1]))
    assert t["layers.0.z"].shape == (200, 64) and t["layers.0.z"].dtype == np.float32
    assert t["layers.3.weight"].shape == (10, 64)
    assert "layers.0.grad_bias" not in t and "layers.3.grad_bias" in t  # Linear(bias=False) before BN


def test_analyze_writes_figures_and_a_diagnosis(monitored):
    _, analysis, both = monitored
    for a in (analysis, both):
        assert a.html.is_file() and a.markdown.is_file()
        assert a.figures and all(f.is_file() and f.stat().st_size > 0 for f in a.figures)
    assert any(f.suffix == ".png" for f in both.figures)
    md = both.markdown.read_text()
    assert "mlp-bn-before-sigmoid" in md
    (model,) = both.models
    assert model["seeds"] == [1, 2] and model["last_step"] == STEPS
    assert [layer["layer"] for layer in model["layers"]] == [1, 2, 3]
    assert all(0.0 <= layer["saturation"] <= 1.0 for layer in model["layers"])


def test_saturation_in_the_records_is_the_crates_on_the_captured_tensors(monitored):
    (_, mon), analysis = monitored[0][0], monitored[1]
    (run,) = analysis.runs
    cps = [json.loads(line) for line in (run / "records.jsonl").read_text().splitlines()]
    cps = [c for c in cps if c["kind"] == "checkpoint"]
    assert [c["step"] for c in cps] == [0, 10, 20, 30, 40]
    for cp, path in zip(cps, mon.paths):
        t = load_file(str(path))
        for i, rec in enumerate(cp["layers"]):
            z = t[f"layers.{i}.z"]
            s = actscope.saturation(z, "sigmoid")
            assert_same_bits([rec["saturation"]["rate"], rec["saturation"]["stuck"]], [s.rate, s.stuck],
                             f"step {cp['step']} layer {i}")
            assert_same_bits(rec["effective_rank"], actscope.effective_rank(t[f"layers.{i}.a"]), "effective rank")
            assert_same_bits(rec["grad_w_norm"], actscope.l2_norm(t[f"layers.{i}.grad_weight"]), "grad norm")


def test_captured_tensors_are_the_models_own(data, tmp_path):
    """z, a, BN statistics and gradients recomputed by hand, in train mode, on the same probe batch."""
    train_set, (px, py) = data
    model = train(mlp(5), train_set, steps=7)
    mon = Monitor(model, (px, py), out_dir=tmp_path, seed=5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    t = load_file(str(mon.capture(7)))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "measuring changed the model's state"
    assert model.training and all(m.training for m in model.modules())  # left in train mode, as it was

    model.train()
    lin, bn, act = model[0], model[1], model[2]
    h = lin(px)
    z = bn(h)
    a = act(z)
    out = model[3:](a)
    loss = nn.functional.cross_entropy(out, py)
    gw, gz = torch.autograd.grad(loss, [lin.weight, z])
    np.testing.assert_array_equal(t["layers.0.z"], z.detach().numpy())
    np.testing.assert_array_equal(t["layers.0.a"], a.detach().numpy())
    np.testing.assert_array_equal(t["layers.0.grad_weight"], gw.numpy())
    np.testing.assert_array_equal(t["layers.0.grad_z"], gz.numpy())
    var, mean = torch.var_mean(h.detach(), dim=0, correction=0)
    np.testing.assert_array_equal(t["layers.0.bn.mean"], mean.numpy())
    np.testing.assert_array_equal(t["layers.0.bn.var"], var.numpy())
    np.testing.assert_array_equal(t["layers.0.bn.running_mean"], before["1.running_mean"].numpy())


def test_measuring_never_changes_training(data, tmp_path):
    """The same seed trained with and without the Monitor ends with identical parameters and BN state, and
    the model is left in the mode it was in."""
    train_set, probe = data
    plain = train(mlp(3, bn="after", act=lambda: nn.ReLU(inplace=True)), train_set, steps=12)
    watched_model = mlp(3, bn="after", act=lambda: nn.ReLU(inplace=True))
    mon = Monitor(watched_model, probe, every=4, out_dir=tmp_path, seed=3, pairs=True)
    watched = train(watched_model, train_set, mon, steps=12)
    assert [int(p.stem[-8:]) for p in mon.paths] == [0, 1, 4, 5, 8, 9, 12]
    for (k, v), (k2, w) in zip(plain.state_dict().items(), watched.state_dict().items()):
        assert k == k2 and torch.equal(v, w), f"{k} differs after training with the Monitor"
    watched.eval()
    mon.capture(99)
    assert not any(m.training for m in watched.modules())
    assert all(m.inplace for m in watched.modules() if isinstance(m, nn.ReLU))
    assert [layer.bn for layer in mon.layers[:-1]] == ["after"] * 3


def test_unknown_activations_get_phi_prime_from_autograd(data, tmp_path):
    train_set, probe = data
    model = mlp(4, act=nn.Hardtanh, bn="none")
    mon = Monitor(model, probe, out_dir=tmp_path / "caps", model_name="hardtanh", seed=4)
    path = mon.capture(0)
    assert [layer.activation_name for layer in mon.layers[:-1]] == ["unknown"] * 3
    assert mon.layers[0].dphi_max == 1.0
    t = load_file(str(path))
    np.testing.assert_array_equal(t["layers.0.dphi"], (np.abs(t["layers.0.z"]) < 1).astype(np.float32))
    with pytest.warns(UserWarning, match=r"hardtanh-s4: .*no figures"):
        a = actscope.analyze(path, tmp_path / "out", formats=("svg",))
    (model_diag,) = a.models
    assert model_diag["layers"][0]["saturation"] == pytest.approx(float(np.mean(t["layers.0.dphi"] < 0.1)))


def test_activation_names_map_pytorch_exactly():
    assert activation_name(nn.LeakyReLU(0.2)) == "leaky_relu(0.2)"
    assert activation_name(nn.ELU(alpha=0.5)) == "elu(0.5)"
    assert activation_name(nn.CELU(1.0)) == "elu(1.0)"  # the same function: it got an unknown's findings
    assert activation_name(nn.CELU(0.5)) == "unknown"  # alpha·(exp(x/alpha) − 1): not actscope's elu(0.5)
    x = torch.linspace(-6, 6, 101)
    assert torch.equal(nn.CELU(1.0)(x), nn.ELU(1.0)(x))
    assert activation_name(nn.GELU()) == "gelu"
    assert activation_name(nn.GELU(approximate="tanh")) == "unknown"  # not the erf GELU actscope computes
    assert activation_name(nn.Softplus(beta=2.0)) == "unknown"
    assert [activation_name(m()) for m in (nn.Sigmoid, nn.Tanh, nn.ReLU, nn.SiLU, nn.Softsign, nn.Softplus)] == [
        "sigmoid", "tanh", "relu", "silu", "softsign", "softplus"]


def test_models_the_hooks_cannot_read_are_refused_clearly(data, tmp_path):
    _, probe = data

    class Functional(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(784, 16), nn.Linear(16, 10)

        def forward(self, x):
            return self.fc2(torch.relu(self.fc1(x)))

    with pytest.raises(ValueError, match=r"Linear 'fc1' is followed by Linear 'fc2' with no element-wise activation"):
        Monitor(Functional(), probe, out_dir=tmp_path).capture(0)

    # A head on the logits: the message says the Monitor cannot measure such a model (it had told the user
    # only to use nn.ReLU instead of F.relu, which was not their problem).
    class AuxHead(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.act, self.out, self.aux = nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10), nn.Linear(10, 2)

        def forward(self, x):
            logits = self.out(self.act(self.fc1(x)))
            return logits + 0 * self.aux(logits).sum()

    with pytest.raises(ValueError, match=r"'out' is followed by Linear 'aux' .* if the two are linear layers in a row "
                       r"\(a head on the logits, a linear bottleneck\), the Monitor cannot measure the model"):
        Monitor(AuxHead(), probe, out_dir=tmp_path).capture(0)
    with pytest.raises(TypeError, match=r"probe_batch: expected a pair \(x, y\)"):
        Monitor(mlp(0), probe[0], out_dir=tmp_path)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_a_cuda_model_is_captured_as_on_the_cpu(data, tmp_path):
    train_set, probe = data
    model = mlp(6).cuda()
    mon = Monitor(model, probe, out_dir=tmp_path, seed=6)
    t = load_file(str(mon.capture(0)))
    cpu = Monitor(mlp(6), probe, out_dir=tmp_path / "cpu", seed=6)
    t_cpu = load_file(str(cpu.capture(0)))
    assert t.keys() == t_cpu.keys()
    np.testing.assert_allclose(t["layers.0.z"], t_cpu["layers.0.z"], rtol=1e-3, atol=1e-3)


def test_earlier_captures_and_bad_probe_batches_are_refused_clearly(data, tmp_path):
    """What used to go through silently or fail deep inside PyTorch: an earlier run's captures of the same
    model and seed (analyze read them with the new ones), an out_dir that is a file, probe batches of the
    wrong shape or dtype, and layers the Monitor cannot measure (a Conv2d was left out without a word)."""
    _, probe = data
    x, y = probe
    first = Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=0)
    first.capture(0)
    first.capture(5)
    with pytest.raises(FileExistsError, match=r"already holds 2 capture\(s\) of model 'm', seed 0"):
        Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=0)
    Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=1)  # another seed: no conflict
    Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=0, existing="keep")
    assert len(list(tmp_path.glob("m-seed0-*.safetensors"))) == 2
    replacing = Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=0, existing="replace")
    assert len(list(tmp_path.glob("m-seed0-*.safetensors"))) == 2, "deleted with the first capture, not before"
    replacing.capture(0)
    assert [p.name for p in tmp_path.glob("m-seed0-*.safetensors")] == ["m-seed0-step00000000.safetensors"]
    with pytest.raises(ValueError, match=r"existing: expected 'refuse', 'replace' or 'keep'"):
        Monitor(mlp(0), probe, out_dir=tmp_path, existing="overwrite")
    # A seed the capture format cannot hold is refused when the Monitor is made (-1 failed at the first step,
    # 2**64 only in analyze, 'abc' with int()'s message, which named no argument).
    for seed in (-1, 2**64, "abc", 1.5, True):
        with pytest.raises(ValueError, match=r"seed: expected an integer from 0 to 2\*\*64 - 1, got "):
            Monitor(mlp(0), probe, out_dir=tmp_path / "s", seed=seed)
    Monitor(mlp(0), probe, out_dir=tmp_path / "s", seed=2**64 - 1).capture(0)
    assert len(list((tmp_path / "s").glob(f"*-seed{2**64 - 1}-step00000000.safetensors"))) == 1

    f = tmp_path / "afile"
    f.write_text("")
    with pytest.raises(ValueError, match=r"out_dir: .*afile is a file; expected a directory"):
        Monitor(mlp(0), probe, out_dir=f)
    with pytest.raises(ValueError, match=r"x of shape \(784,\) has no batch dimension"):
        Monitor(mlp(0), (x[0], y[:1]), out_dir=tmp_path / "a")
    with pytest.raises(ValueError, match=r"x is torch.float64 but the model's parameters are torch.float32"):
        Monitor(mlp(0), (x.double(), y), out_dir=tmp_path / "a")
    with pytest.raises(ValueError, match=r"y holds torch.float32 values, but the default loss"):
        Monitor(mlp(0), (x, y.float()), out_dir=tmp_path / "a")
    with pytest.raises(ValueError, match=r"the model's forward pass on x of shape \(200, 20\) \(torch.float32\) failed"):
        Monitor(mlp(0), (x[:, :20], y), out_dir=tmp_path / "a").capture(0)
    conv = nn.Sequential(nn.Unflatten(1, (1, 28, 28)), nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 26 * 26, 16), nn.ReLU(), nn.Linear(16, 10))
    with pytest.raises(ValueError, match=r"runs layers the Monitor cannot measure: '1' \(Conv2d\)"):
        Monitor(conv, probe, out_dir=tmp_path / "c").capture(0)


def test_a_continued_run_is_never_overwritten_and_bad_probe_batches_and_steps_are_refused(data, tmp_path):
    """existing="keep" continues a run after its last capture: a restarted step counter (step 0 again) had
    silently replaced the kept captures with another network's. A probe batch with no examples, or with a
    NaN, read as a network that diverged at step 0; a fractional step was cut to a whole one."""
    _, probe = data
    x, y = probe
    first = Monitor(mlp(0), probe, out_dir=tmp_path, model_name="m", seed=0)
    kept = [first.capture(s) for s in (0, 10, 20)]
    before = [p.read_bytes() for p in kept]
    resumed = Monitor(mlp(1), probe, out_dir=tmp_path, model_name="m", seed=0, existing="keep")
    with pytest.raises(ValueError, match=r"step 0: the run this Monitor continues \(existing='keep'\) was "
                                         r"captured up to step 20, after the step given. Resuming from a checkpoint"):
        resumed.step(0)
    with pytest.raises(ValueError, match=r"step 20 was captured already by the run this Monitor continues"):
        resumed.capture(20)
    assert resumed.step(20) == kept[2], "the resumed loop's first call returns the kept capture"
    assert resumed.step(30) is not None
    assert [p.read_bytes() for p in kept] == before, "the kept captures are untouched"
    with pytest.raises(ValueError, match=r"step: expected a whole number of updates, got 40.5"):
        resumed.capture(40.5)
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match=r"step: expected a whole number of updates"):
            resumed.capture(bad)
    # An epoch the metadata cannot hold is refused at the call (it had been written, and every capture of the
    # run refused later by report()); so is a model name of spaces only, and another dtype than the kept one.
    for error, bad in ((ValueError, -1.0), (ValueError, float("nan")), (ValueError, float("inf")), (TypeError, "1")):
        with pytest.raises(error, match=r"epoch: expected a finite number >= 0"):
            resumed.step(30, epoch=bad)
    with pytest.raises(ValueError, match=r"model: expected a non-empty model name \(not only spaces\)"):
        Monitor(mlp(0), probe, out_dir=tmp_path / "spaces", model_name="   ")
    with pytest.raises(ValueError, match=r"existing='keep': .* holds f32 values and this Monitor writes f64"):
        Monitor(mlp(1), probe, out_dir=tmp_path, model_name="m", seed=0, existing="keep", dtype="f64")
    with pytest.raises(ValueError, match=r"probe_batch: y holds nan at \[0, 1\]; every target must be finite"):
        soft = torch.full((len(x), 10), 0.1)
        soft[0, 1] = float("nan")
        Monitor(mlp(0), (x, soft), out_dir=tmp_path / "soft", loss_fn=nn.functional.mse_loss)
    with pytest.raises(TypeError, match=r"save_a: expected True or False, got 'no'"):
        Monitor(mlp(0), probe, out_dir=tmp_path / "flags", save_a="no")
    for bad in (nn.Hardtanh, ("relu",), 5):
        with pytest.raises(TypeError, match=r"activation_types: expected a sequence of module classes"):
            Monitor(mlp(0), probe, out_dir=tmp_path / "flags", activation_types=bad)
    # A generator is read once (checking it had used it up, leaving no types), and NumPy's bool is a bool.
    flags = Monitor(mlp(0), probe, out_dir=tmp_path / "flags", activation_types=(t for t in [nn.Hardtanh]),
                    save_a=np.True_)
    assert flags.activation_types == (nn.Hardtanh,)
    # A float64 network captured in f32 with a finite weight beyond float32's range: refused, naming dtype (it had
    # been reported as a network that diverged at that step).
    wide = mlp(0, bn="none").double()
    with torch.no_grad():
        wide[0].weight[0, 0] = 1e39
    with pytest.raises(ValueError, match=r"dtype='f32': `layers\.0\.\w+` holds .* a finite value beyond float32's "
                                         r"range; pass dtype='f64'"):
        Monitor(wide, (x.double(), y), out_dir=tmp_path / "wide", dtype="f32").capture(0)
    with pytest.raises(TypeError, match=r"step: expected the number of updates done \(an int\), got '50'"):
        resumed.step("50")

    with pytest.raises(ValueError, match=r"probe_batch: x of shape \(0, 784\) has no examples"):
        Monitor(mlp(0), (x[:0], y[:0]), out_dir=tmp_path / "e")
    bad = x.clone()
    bad[3, 2] = float("nan")
    with pytest.raises(ValueError, match=r"probe_batch: x holds nan at \[3, 2\]; every input"):
        Monitor(mlp(0), (bad, y), out_dir=tmp_path / "n")


def test_a_report_that_replaces_another_says_which_runs_it_removed(data, tmp_path):
    """A report per seed into one folder keeps the last seed only: the earlier seed's run directory is
    removed, which the command said in a note and Python said nowhere but ``Analysis.removed``."""
    _, probe = data
    monitors = [Monitor(mlp(seed), probe, out_dir=tmp_path / "caps", model_name="m", seed=seed) for seed in (0, 1)]
    for mon in monitors:
        mon.capture(0)
    monitors[0].report(tmp_path / "report", formats=())
    with pytest.warns(UserWarning, match=r"replaced the earlier analysis in .*report: removed its runs m-s0 "):
        analysis = monitors[1].report(tmp_path / "report", formats=())
    assert analysis.removed == ("m-s0",)


def test_seeds_that_end_at_different_steps_are_said_so(data, tmp_path):
    """The rules are judged at the last step every seed has; the findings say so (they used to report
    "1 checkpoints up to step 0" and nothing else)."""
    _, probe = data
    for seed, steps in ((0, (0, 5)), (1, (0, 5, 10))):
        mon = Monitor(mlp(seed), probe, out_dir=tmp_path / "caps", model_name="m", seed=seed)
        for s in steps:
            mon.capture(s)
    analysis = actscope.analyze(tmp_path / "caps", tmp_path / "report", formats=("svg",))
    assert analysis.findings()[0].startswith(
        "m: its seeds end at different steps (seed 0 at 5, seed 1 at 10): the rules are judged at step 5"), \
        analysis.findings()
    assert analysis.models[0]["notes"] and analysis.models[0]["last_step"] == 5


def test_different_probe_batches_are_refused_in_a_run_and_said_across_seeds(data, tmp_path):
    """Every capture carries the probe batch's fingerprint: a run whose captures measured different batches
    is refused, and seeds that did are named in the findings (both went through silently)."""
    _, probe = data
    x, y = probe
    a = Monitor(mlp(0), (x[:100], y[:100]), out_dir=tmp_path / "caps", model_name="m", seed=0)
    a.capture(0)
    b = Monitor(mlp(1), (x[100:], y[100:]), out_dir=tmp_path / "caps", model_name="m", seed=1)
    b.capture(0)
    analysis = actscope.analyze(tmp_path / "caps", tmp_path / "report", formats=("svg",))
    assert any("its seeds measured different probe batches" in f for f in analysis.findings()), analysis.findings()
    # Continuing seed 0 with another batch is refused when the Monitor is made (it had been found out only by
    # report(), after training); captures put together by hand are still refused by analyze.
    with pytest.raises(ValueError, match=r"existing='keep': .* measured another probe batch"):
        Monitor(mlp(0), (x[100:], y[100:]), out_dir=tmp_path / "caps", model_name="m", seed=0, existing="keep")
    apart = Monitor(mlp(0), (x[100:], y[100:]), out_dir=tmp_path / "apart", model_name="m", seed=0)
    moved = apart.capture(5)
    moved.rename(tmp_path / "caps" / moved.name)
    with pytest.raises(ValueError, match=r"\(model \"m\", seed 0\) measured different probe batches"):
        actscope.analyze(tmp_path / "caps", tmp_path / "report2", formats=("svg",))


def test_input_normalisation_parametrizations_and_soft_labels_are_accepted(data, tmp_path):
    """What the refusals above must not catch: a LayerNorm on the input, a model holding a parameter of its
    own, and soft labels with the default loss."""
    _, probe = data
    x, y = probe

    class Tempered(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.body = nn.LayerNorm(784), mlp(0, bn="none")
            self.temperature = nn.Parameter(torch.ones(()))

        def forward(self, v):
            return self.body(self.norm(v)) / self.temperature

    Monitor(Tempered(), probe, out_dir=tmp_path / "t").capture(0)
    soft = torch.nn.functional.one_hot(y.long(), 10).float()
    Monitor(mlp(0), (x, soft), out_dir=tmp_path / "s").capture(0)
    late = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.LayerNorm(16), nn.Linear(16, 10))
    with pytest.raises(ValueError, match=r"runs layers the Monitor cannot measure: '2' \(LayerNorm\)"):
        Monitor(late, probe, out_dir=tmp_path / "l").capture(0)


def test_a_hidden_softmax_is_named_as_not_element_wise(data, tmp_path):
    """A softmax between two Linears is an activation module, but not element-wise: the message says so
    (it said only that there was no activation module)."""
    _, probe = data
    model = nn.Sequential(nn.Linear(784, 16), nn.Softmax(dim=1), nn.Linear(16, 10))
    with pytest.raises(ValueError, match=r"'1' \(Softmax\) ran, but it mixes units \(not element-wise\)"):
        Monitor(model, probe, out_dir=tmp_path).capture(0)


def test_parametrized_weights_are_measured_as_the_layer_uses_them(data, tmp_path):
    """weight_norm and spectral_norm compute a Linear's weight from other parameters: W and dL/dW are the
    effective weight's, and a spectral norm's power-iteration vectors (buffers a train-mode forward
    updates) are left as they were. The gradient used to be zeros: each `.weight` access recomputed a
    tensor outside the probe pass's graph."""
    from torch.nn.utils.parametrizations import spectral_norm, weight_norm

    train_set, (px, py) = data
    for wrap in (weight_norm, spectral_norm):
        model = mlp(6, bn="none")
        model[0], model[2] = wrap(model[0]), wrap(model[2])
        model = train(model, train_set, steps=5)
        before = {k: v.clone() for k, v in model.state_dict().items()}
        t = load_file(str(Monitor(model, (px, py), out_dir=tmp_path / wrap.__name__, seed=6).capture(5)))
        after = model.state_dict()
        assert all(torch.equal(before[k], after[k]) for k in before), f"{wrap.__name__}: measuring changed the model"

        # By hand, on a copy (so that its power iteration cannot touch the model): one train-mode pass with
        # each weight computed once, and the gradient with respect to the weights that pass used.
        twin = copy.deepcopy(model)
        with torch.nn.utils.parametrize.cached():
            w0, w2 = twin[0].weight, twin[2].weight
            loss = nn.functional.cross_entropy(twin(px), py)
            g0, g2 = torch.autograd.grad(loss, [w0, w2])
        assert float(g0.norm()) > 0
        np.testing.assert_array_equal(t["layers.0.weight"], w0.detach().numpy())
        np.testing.assert_array_equal(t["layers.0.grad_weight"], g0.numpy())
        np.testing.assert_array_equal(t["layers.1.grad_weight"], g2.numpy())


class _Swish(nn.Module):
    """An activation of one's own, built on an nn.Sigmoid."""

    def __init__(self):
        super().__init__()
        self.sig = nn.Sigmoid()

    def forward(self, v):
        return v * self.sig(v)


class _Wired(nn.Module):
    """Linear 784 -> 32 -> 32 -> 10 whose middle layer is wired by `how`: the ways a forward pass can run
    something between a layer's modules that the hooks do not see."""

    def __init__(self, how: str):
        super().__init__()
        torch.manual_seed(0)
        self.how = how
        self.inp, self.act0 = nn.Linear(784, 32), nn.ReLU()
        self.fc, self.bn, self.act = nn.Linear(32, 32, bias=False), nn.BatchNorm1d(32), nn.GELU()
        self.out = nn.Linear(32, 10)
        if how == "own weight":
            self.w = nn.Parameter(torch.randn(32, 32) / 32 ** 0.5)

    def forward(self, v):
        if self.how == "random":  # dropout on the input that ignores the training flag
            v = nn.functional.dropout(v, 0.5)
        h = self.act0(self.inp(v))
        if self.how == "residual":  # ResNet-style: the skip joins before the activation
            a = self.act(h + self.bn(self.fc(h)))
        elif self.how == "in place":  # the skip added to the activation's output in place
            a = self.act(self.bn(self.fc(h)))
            a += h
        elif self.how == "own weight":  # a layer written as a product with the model's own weight
            a = self.act(self.bn(self.fc(torch.tanh(h @ self.w))))
        elif self.how == "uncalled":  # a Linear's weight applied without calling the Linear
            a = self.act(self.bn(h @ self.fc.weight.T))
        elif self.how == "between":  # the same between two layers: the input of fc is not act0's output
            a = self.act(self.bn(self.fc(nn.functional.dropout(h, 0.5))))
        elif self.how == "random":
            a = self.act(self.bn(self.fc(h)))
        else:  # dropout on the logits that follows the training flag, written as a function: not turned off
            return nn.functional.dropout(self.out(self.act(self.bn(self.fc(h)))), 0.5, training=self.training)
        return self.out(a)


def test_what_runs_between_a_layers_modules_is_refused_not_misfiled(data, tmp_path):
    """The layers are read from the order modules run; what flows between them is now checked too. Each of
    these was accepted and measured wrongly without a word: a residual's z filed as BN's output, an
    in-place `a += h` saved as a, a Swish built on nn.Sigmoid saved as a sigmoid layer, a weight held by the
    model itself left out, functional dropout left on. (The user trial's cases, by hand.) Modifying the
    logits in place is the loss's business, and parameters with one dimension above 1 are no layer."""
    _, probe = data
    refused = {
        "residual": r"layer 'fc': the input of 'act' \(GELU\) is not the output of 'bn' \(BatchNorm1d\)",
        "in place": r"the output of 'act' \(GELU\) was changed in place after the module returned",
        "own weight": r"the parameter 'w' \(shape \(32, 32\)\) takes part in the loss",
        "uncalled": r"the parameter 'fc.weight' \(shape \(32, 32\)\) takes part in the loss, but not through an "
                    r"nn.Linear that runs",
        "random": r"the probe pass is random with dropout modules off",
        "between": r"the input of Linear 'fc' is not the output of 'act0' \(ReLU\).*F.dropout: use nn.Dropout",
        "flag": r"the probe pass is random with dropout modules off",
    }
    for how, message in refused.items():
        mon = Monitor(_Wired(how), probe, out_dir=tmp_path / how.replace(" ", "-"))
        for step in (0, 1):  # refused again when tried again (the first capture's checks ran only once)
            with pytest.raises(ValueError, match=message):
                mon.capture(step)
    class Tempered(nn.Module):  # a (1, 1) temperature and a (1, 784) shift; logits divided in place
        def __init__(self):
            super().__init__()
            self.body = mlp(0, bn="none")
            self.t, self.mu = nn.Parameter(torch.ones(1, 1)), nn.Parameter(torch.zeros(1, 784))

        def forward(self, v):
            o = self.body(v - self.mu)
            o /= self.t
            return o

    Monitor(Tempered(), probe, out_dir=tmp_path / "tempered").capture(0)
    swish = nn.Sequential(nn.Linear(784, 32), _Swish(), nn.Linear(32, 10))
    with pytest.raises(ValueError, match=r"the input of Linear '2' is not the output of '1.sig' \(Sigmoid\).*"
                                         "activation_types="):
        Monitor(swish, probe, out_dir=tmp_path / "swish").capture(0)

    # Told that _Swish is an activation, the Monitor measures it as one module, whatever runs inside it.
    t = load_file(str(Monitor(swish, probe, out_dir=tmp_path / "told", activation_types=(_Swish,)).capture(0)))
    z = torch.from_numpy(t["layers.0.z"])
    np.testing.assert_allclose(t["layers.0.a"], (z * torch.sigmoid(z)).numpy(), rtol=1e-6, atol=1e-7)


def test_compiled_models_gradient_accumulation_and_resumed_steps(data, tmp_path):
    """A compiled model is measured eagerly, on the same parameters, and a compiled submodule refused (its
    hooks saw other tensors, so dL/dz came back as zeros); a step captured again, by gradient accumulation or by resuming from a
    checkpoint whose step was captured, is one file for report() (which named that file twice and failed);
    inference_mode and a per-example loss are named."""
    _, probe = data
    model = mlp(0, bn="none")
    eager = load_file(str(Monitor(model, probe, out_dir=tmp_path / "eager").capture(0)))
    in_place = mlp(0, bn="none")
    in_place.compile()
    for name, compiled in (("wrapped", torch.compile(model)), ("in place", in_place)):
        t = load_file(str(Monitor(compiled, probe, out_dir=tmp_path / name.replace(" ", "-")).capture(0)))
        assert t.keys() == eager.keys() and all(np.array_equal(t[k], eager[k]) for k in t), name
        assert float(np.abs(t["layers.0.grad_z"]).max()) > 0, f"{name}: dL/dz came back as zeros"
    assert in_place._compiled_call_impl is not None, "compiled again after the pass"
    with pytest.raises(ValueError, match=r"model: model.0 is compiled \(torch.compile\)"):
        Monitor(nn.Sequential(torch.compile(model)), probe, out_dir=tmp_path / "c")

    mon = Monitor(model, probe, every=2, out_dir=tmp_path / "caps", model_name="m")
    for step in (0, 0, 0, 1, 2, 2):  # three micro-batches at step 0, two at step 2
        mon.step(step)
    assert [p.name for p in mon.paths] == ["m-seed0-step00000000.safetensors", "m-seed0-step00000002.safetensors"]
    assert len(mon.timings) == 2
    resumed = Monitor(model, probe, every=2, out_dir=tmp_path / "caps", model_name="m", existing="keep")
    resumed.step(2)  # the checkpoint of step 2, captured by the first run too
    resumed.step(4)
    assert resumed.report(tmp_path / "report").models[0]["last_step"] == 4

    with torch.inference_mode(), pytest.raises(RuntimeError, match=r"called inside torch.inference_mode\(\)"):
        mon.capture(9)
    per_example = Monitor(model, probe, out_dir=tmp_path / "n",
                          loss_fn=lambda out, y: nn.functional.cross_entropy(out, y, reduction="none"))
    with pytest.raises(ValueError, match=r"loss_fn: returned \(200,\); expected the mean loss"):
        per_example.capture(0)
    # A summed loss has one element too, but every gradient it gives is the batch size times the mean's: the
    # loss functions that say their reduction are refused before any capture.
    for summed in (nn.CrossEntropyLoss(reduction="sum"), functools.partial(nn.functional.cross_entropy, reduction="sum"),
                   nn.NLLLoss(reduction="none")):
        with pytest.raises(ValueError, match=r"loss_fn: reduction='(sum|none)'; expected the mean loss"):
            Monitor(model, probe, out_dir=tmp_path / "s", loss_fn=summed)
    Monitor(model, probe, out_dir=tmp_path / "mean", loss_fn=nn.CrossEntropyLoss())  # the mean: accepted
    # Targets all at cross_entropy's ignore_index: a mean over no example, NaN.
    x, y = probe
    for loss_fn, ignored in ((None, -100), (nn.CrossEntropyLoss(ignore_index=3), 3),
                             (functools.partial(nn.functional.cross_entropy, ignore_index=7), 7)):
        with pytest.raises(ValueError, match=rf"probe_batch: every target is {ignored}, the loss's ignore_index"):
            Monitor(model, (x, torch.full_like(y, ignored)), out_dir=tmp_path / "i", loss_fn=loss_fn)
    partly = y.clone()
    partly[::2] = -100
    Monitor(model, (x, partly), out_dir=tmp_path / "p").capture(0)  # some ignored: the mean of the others


def test_the_probe_pass_takes_the_training_branch_and_seeds_only_what_it_restores(data, tmp_path, monkeypatch):
    """A forward that returns probabilities in eval mode and logits in training is measured on its training
    branch, whatever mode the model is in; the randomness check seeds the CPU generator (and the model's
    own device), never every device of every backend as torch.manual_seed does; a model whose structure
    changes between captures is named."""
    _, (px, py) = data

    class Probabilities(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = mlp(0, bn="none")

        def forward(self, v):
            o = self.net(v)
            return o if self.training else o.softmax(-1)

    model = Probabilities().eval()
    for seeds_all in ("manual_seed_all", "manual_seed"):
        monkeypatch.setattr(torch.cuda, seeds_all, lambda *a: pytest.fail(f"torch.cuda.{seeds_all} called"))
    path = Monitor(model, (px, py), out_dir=tmp_path).capture(0)
    monkeypatch.undo()
    assert not model.training
    with torch.no_grad():
        logits = model.net(px)
    meta = json.loads(open(path, "rb").read(8 + int.from_bytes(open(path, "rb").read(8), "little"))[8:])
    assert float(meta["__metadata__"]["loss"]) == float(nn.functional.cross_entropy(logits, py))

    class Skipping(nn.Module):
        def __init__(self):
            super().__init__()
            self.net, self.skip = mlp(0, bn="none"), False

        def forward(self, v):
            if self.skip:
                return self.net[-1](self.net[:4](v)[:, :64])
            return self.net(v)

    skipping = Skipping()
    mon = Monitor(skipping, (px, py), out_dir=tmp_path / "s")
    mon.capture(0)
    skipping.skip = True
    with pytest.raises(ValueError, match=r"layer 'net.4': module 'net.4' \(Linear\) did not run in this forward"):
        mon.capture(1)


def _tiny(act=nn.ReLU, seed=0, width=8, bn=False):
    """A 20 -> width -> 3 MLP and a 32-example probe batch: the user trial's cases, small."""
    torch.manual_seed(seed)
    mid = [nn.BatchNorm1d(width)] if bn else []
    return nn.Sequential(nn.Linear(20, width), *mid, act(), nn.Linear(width, 3))


def _probe(n=32):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, 20, generator=g)
    return x, (x[:, 0] > 0).long() + (x[:, 1] > 0).long()


def _sgd_step(model, x, y, lr=0.1):
    loss = nn.functional.cross_entropy(model(x), y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad


def test_a_step_counter_that_goes_back_is_refused_never_overwrites(tmp_path):
    """`for step, (x, y) in enumerate(loader): monitor.step(step)` restarts at 0 each epoch: the second
    epoch's captures silently overwrote the first's (the report's "initial network" was the one after two
    epochs). A step that goes backwards, or a capture of a step this Monitor wrote already, is refused."""
    model = _tiny()
    x, y = _probe()
    mon = Monitor(model, (x, y), every=2, out_dir=tmp_path, model_name="m")
    for step in range(4):
        mon.step(step)
        _sgd_step(model, x, y)
    first = load_file(str(mon.paths[0]))
    with pytest.raises(ValueError, match=r"step 0: .*went backwards.*updates done.*global counter"):
        mon.step(0)  # the next epoch's first batch
    np.testing.assert_array_equal(load_file(str(mon.paths[0]))["layers.0.weight"], first["layers.0.weight"])
    assert mon.step(3) is None  # the step it is at: not due, nothing to refuse
    mon.capture(4)
    assert mon.step(4) == mon.paths[-1]  # called again at the step it captured (gradient accumulation)
    with pytest.raises(ValueError, match=r"step 4 was captured already by this Monitor .*would overwrite"):
        mon.capture(4)
    with pytest.raises(ValueError, match=r"step 2: .*went backwards"):
        mon.capture(2)
    assert [p.name for p in mon.paths] == [f"m-seed0-step{s:08d}.safetensors" for s in (0, 2, 4)]


def test_the_cnn_refusal_says_the_head_advice_needs_frozen_features(tmp_path):
    """The advice "Monitor(model.head, (features, y))" measured a CNN's head on stale features once the conv
    part trained (report loss 1.623, true 0.591): it holds only for a frozen feature extractor, and says so."""
    x, y = _probe()
    conv = nn.Sequential(nn.Unflatten(1, (1, 4, 5)), nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(),
                         nn.Linear(2 * 2 * 3, 8), nn.ReLU(), nn.Linear(8, 3))
    with pytest.raises(ValueError, match=r"'1' \(Conv2d\).*only while the layers before it are frozen.*stale"):
        Monitor(conv, (x, y), out_dir=tmp_path).capture(0)


def test_low_precision_activations_are_captured_consistently(tmp_path):
    """A bfloat16 model, or torch.autocast(bfloat16): a = phi(z) rounded to bf16 is further from actscope's
    phi(z) than the format allows, so every capture was refused by the report at the end. The Monitor now
    leaves `a` out for a known activation computed in less than float32 (analyze computes phi(z) from the
    captured z), says so once, and the report reads the captures."""
    x, y = _probe()
    bf16 = _tiny(nn.Tanh).bfloat16()
    mon = Monitor(bf16, (x.bfloat16(), y), out_dir=tmp_path / "bf16", model_name="bf16")
    with pytest.warns(UserWarning, match=r"layer '0'.*torch.bfloat16.*`a` is not written"):
        path = mon.capture(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mon.capture(1)  # said once
    t = load_file(str(path))
    assert "layers.0.a" not in t and "layers.0.z" in t
    mon.report(tmp_path / "bf16-report", formats=("svg",))

    ac = Monitor(_tiny(nn.Sigmoid, bn=True), (x, y), out_dir=tmp_path / "ac", model_name="ac")
    with torch.autocast("cpu", dtype=torch.bfloat16), pytest.warns(UserWarning, match=r"torch.bfloat16"):
        ac.capture(0)
    ac.capture(1)  # outside autocast: a in float32 is written
    assert "layers.0.a" not in load_file(str(ac.paths[0])) and "layers.0.a" in load_file(str(ac.paths[1]))
    ac.report(tmp_path / "ac-report", formats=("svg",))
    # An unknown activation in bf16: phi' rounded to bf16 exceeded dphi_max (1.1328 > 1.1290 for the tanh GELU);
    # a and phi' are computed in float32 from z, as dphi_max is.
    wide_x, wide_y = _probe(512)
    tanh_gelu = Monitor(_tiny(lambda: nn.GELU(approximate="tanh"), width=64), (2 * wide_x, wide_y),
                        out_dir=tmp_path / "gelu", model_name="gelu-tanh")
    with torch.autocast("cpu", dtype=torch.bfloat16), pytest.warns(UserWarning, match=r"computed in float32"):
        tanh_gelu.capture(0)
    t = load_file(str(tanh_gelu.paths[0]))
    assert t["layers.0.dphi"].max() <= tanh_gelu.layers[0].dphi_max
    with pytest.warns(UserWarning, match=r"no figures"):  # an unknown activation
        tanh_gelu.report(tmp_path / "gelu-report", formats=("svg",))


def test_negative_slopes_are_unknown_activations(tmp_path):
    """LeakyReLU(negative_slope < 0) and ELU(alpha < 0) were written as leaky_relu(-0.1) / elu(-0.5), which
    the report refuses (alpha >= 0): actscope does not compute them, so they are `unknown`."""
    assert activation_name(nn.LeakyReLU(-0.1)) == "unknown"
    assert activation_name(nn.ELU(alpha=-0.5)) == "unknown"
    assert activation_name(nn.LeakyReLU(0.0)) == "leaky_relu(0.0)"
    x, y = _probe()
    for i, act in enumerate((lambda: nn.LeakyReLU(-0.1), lambda: nn.ELU(alpha=-0.5))):
        mon = Monitor(_tiny(act), (x, y), out_dir=tmp_path / "caps", model_name=repr(act()))
        mon.capture(0)
        with pytest.warns(UserWarning, match=r"no figures"):  # an unknown activation
            mon.report(tmp_path / f"report{i}", formats=("svg",))


def test_a_refused_monitor_deletes_nothing_and_what_analyze_would_refuse_is_refused_at_once(tmp_path):
    """A review found existing="replace" deleted the earlier captures and then refused the Monitor (targets
    of another length; a model refused at its first pass), and captures written that analyze refused only
    after training: a step past 2**64 - 1, phi' above the dphi_max given, a layer of 0 units. Bad arguments
    are named: every=2.5 had become 2, model_name="" the class name, a dphi_max key matching no layer was
    ignored, and a 240-character model name failed at the first capture with "File name too long"."""
    x, y = _probe()
    Monitor(_tiny(), (x, y), out_dir=tmp_path, model_name="r").capture(0)
    with pytest.raises(ValueError, match=r"probe_batch: 32 examples but 10 targets; expected one target per"):
        Monitor(_tiny(), (x, y[:10]), out_dir=tmp_path, model_name="r", existing="replace")
    conv = nn.Sequential(nn.Unflatten(1, (1, 20)), nn.Conv1d(1, 1, 3), nn.Flatten(), nn.Linear(18, 8), nn.ReLU(),
                         nn.Linear(8, 3))
    with pytest.raises(ValueError, match="cannot measure"):
        Monitor(conv, (x, y), out_dir=tmp_path, model_name="r", existing="replace").capture(0)
    assert [p.name for p in tmp_path.glob("r-*.safetensors")] == ["r-seed0-step00000000.safetensors"]

    mon = Monitor(_tiny(), (x, y), out_dir=tmp_path / "s", model_name="s")
    with pytest.raises(ValueError, match=r"step: expected a number of updates below 2\*\*64"):
        mon.step(10**20)
    mish = Monitor(_tiny(nn.Mish), (x, y), out_dir=tmp_path / "d", dphi_max={"0": 0.01})
    with pytest.raises(ValueError, match=r"layer '0': phi' reaches .* above its sup phi' 0.01 \(given in dphi_max\)"):
        mish.capture(0)
    assert not list((tmp_path / "d").glob("*.safetensors"))
    with pytest.raises(ValueError, match=r"dphi_max: 'fc9' is not a hidden layer with an unknown activation"):
        Monitor(_tiny(nn.Mish), (x, y), out_dir=tmp_path / "d", dphi_max={"fc9": 1.2}).capture(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch: "Initializing zero-element tensors is a no-op"
        empty = nn.Sequential(nn.Linear(20, 0), nn.ReLU(), nn.Linear(0, 3))
    with pytest.raises(ValueError, match="Linear '0' has 0 output features"):
        Monitor(empty, (x, y), out_dir=tmp_path / "e").capture(0)
    for kwargs, message in (
        ({"every": 2.5}, r"every: expected a whole number of steps >= 1, got 2.5"),
        ({"every": True}, r"every: expected a whole number of steps >= 1, got True"),
        ({"steps_per_epoch": 0}, r"steps_per_epoch: expected a whole number of steps >= 1, got 0"),
        ({"model_name": ""}, r"model_name: expected a non-empty string, got ''"),
        ({"model_name": 5}, r"model_name: expected a non-empty string, got 5"),
    ):
        with pytest.raises((ValueError, TypeError), match=message):
            Monitor(_tiny(), (x, y), out_dir=tmp_path / "a", **kwargs)
    class Pair(nn.Module):
        def __init__(self):
            super().__init__()
            self.net = _tiny()

        def forward(self, x):
            out = self.net(x)
            return out, out.detach()

    with pytest.raises(ValueError, match=r"model: its forward pass returned tuple, not a tensor, which the default"):
        Monitor(Pair(), (x, y), out_dir=tmp_path / "p").capture(0)
    Monitor(Pair(), (x, y), out_dir=tmp_path / "p",
            loss_fn=lambda out, t: nn.functional.cross_entropy(out[0], t)).capture(0)
    with pytest.raises(ValueError, match=r"loss_fn: returned a tensor without a graph"):
        Monitor(_tiny(), (x, y), out_dir=tmp_path / "g",
                loss_fn=lambda out, t: nn.functional.cross_entropy(out, t).detach()).capture(0)
    long = Monitor(_tiny(), (x, y), out_dir=tmp_path / "l", model_name="m" * 240).capture(0)
    assert len(long.name) < 150 and long.name.startswith("m" * 100 + "-")
    analysis = actscope.analyze(str(long), tmp_path / "la", formats="svg")  # one format as a string
    assert [m["model"] for m in analysis.models] == ["m" * 240]
    suffixes = {f.suffix for f in analysis.figures}
    assert ".svg" in suffixes and ".png" not in suffixes, suffixes
    with pytest.raises(TypeError, match="out: expected the folder to write into"):
        actscope.analyze(long, None)
    notes = [("m" * 240, np.int64(0), "a note with a NumPy seed")]
    actscope.analyze(long, tmp_path / "ln", formats=("svg",), notes=notes)


def test_model_names_that_share_a_file_name_keep_their_captures(tmp_path):
    """"lr=0.1" and "lr 0.1" sanitised to one file name: the second model claimed the first one's captures
    and existing="replace" deleted them. File names now differ, and earlier captures are found by their
    metadata (model and seed), never by file name."""
    from actscope.capture import capture_file_name

    assert capture_file_name("lr=0.1", 0, 0) != capture_file_name("lr 0.1", 0, 0)
    x, y = _probe()
    a = Monitor(_tiny(nn.Tanh), (x, y), out_dir=tmp_path, model_name="lr=0.1").capture(0)
    Monitor(_tiny(nn.Tanh), (x, y), out_dir=tmp_path, model_name="lr 0.1")  # no earlier run of 'lr 0.1'
    b = Monitor(_tiny(nn.Tanh), (x, y), out_dir=tmp_path, model_name="lr 0.1", existing="replace").capture(0)
    assert a.is_file() and b.is_file() and a != b
    with pytest.raises(FileExistsError, match=r"1 capture\(s\) of model 'lr=0.1', seed 0"):
        Monitor(_tiny(nn.Tanh), (x, y), out_dir=tmp_path, model_name="lr=0.1")
    # A file named as this model's but holding another model's capture is neither claimed nor overwritten.
    c = Monitor(_tiny(nn.Tanh), (x, y), out_dir=tmp_path, model_name="c")
    a.rename(tmp_path / capture_file_name("c", 0, 5))
    with pytest.raises(FileExistsError, match=r"holds a capture of model 'lr=0.1', seed 0"):
        c.capture(5)
    # Each model's captures are its own (analysed apart: their run directories would share a name).
    for name, path in (("lr=0.1", tmp_path / capture_file_name("c", 0, 5)), ("lr 0.1", b)):
        analysis = actscope.analyze(path, tmp_path / name, formats=("svg",))
        assert [m["model"] for m in analysis.models] == [name]


def test_a_diverged_network_is_captured_up_to_the_step_it_diverged(tmp_path):
    """A network whose weights became NaN: the Monitor kept writing captures with NaN z, and the report then
    refused the whole run, naming a later step. Now the first capture with a non-finite z, a or weight is
    not written, a warning names that step, later steps are not captured, and the report covers the steps
    before."""
    model = _tiny()
    x, y = _probe()
    mon = Monitor(model, (x, y), every=1, out_dir=tmp_path, model_name="div")
    with pytest.warns(RuntimeWarning, match=r"diverged at step 3: .*layers.0.weight.*not written.*no later step"):
        for step in range(6):
            mon.step(step)
            _sgd_step(model, x, y)
            if step == 2:
                with torch.no_grad():
                    model[0].weight[0, 0] = float("nan")
    assert [int(p.stem[-8:]) for p in mon.paths] == [0, 1, 2] and mon.diverged_at == 3
    assert mon.capture(6) is None
    analysis = mon.report(tmp_path / "report", formats=("svg",))
    assert analysis.models[0]["last_step"] == 2
    # The report says so (it read as a normal short run): no capture can hold the divergence.
    said = "seed 0: the network diverged at step 3 (`layers.0.weight` held nan)"
    assert analysis.models[0]["notes"][0].startswith(said), analysis.models[0]["notes"]
    assert f"div: {said}" in analysis.findings()[0]
    assert said in (tmp_path / "report" / "diagnosis.md").read_text()


def test_models_without_figures_are_said_so(tmp_path):
    """Mixed activations have no figures; report() said nothing about it (Analysis.not_plotted knew)."""
    x, y = _probe()
    torch.manual_seed(0)
    mixed = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
    mon = Monitor(mixed, (x, y), out_dir=tmp_path / "caps", model_name="mixed")
    mon.capture(0)
    with pytest.warns(UserWarning, match=r"mixed-s0: .*no figures"):
        analysis = mon.report(tmp_path / "report", formats=("svg",))
    assert analysis.not_plotted == ("mixed-s0",)


def test_what_runs_inside_a_layer_is_named(tmp_path):
    """A parameter-free norm between a Linear and its activation (or between layers) was refused as
    "something runs between them" without naming it; a BatchNorm probe of one example gave PyTorch's raw
    ValueError."""
    x, y = _probe()
    for norm in (nn.LayerNorm(8, elementwise_affine=False), nn.GroupNorm(2, 8, affine=False),
                 nn.RMSNorm(8, elementwise_affine=False)):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 8), norm, nn.ReLU(), nn.Linear(8, 3))
        name = type(norm).__name__
        with pytest.raises(ValueError, match=rf"layer '0': '1' \({name}\) runs between '0' \(Linear\) and '2' "
                                             r"\(ReLU\)"):
            Monitor(model, (x, y), out_dir=tmp_path).capture(0)
    after = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.LayerNorm(8, elementwise_affine=False), nn.Linear(8, 3))
    with pytest.raises(ValueError, match=r"the input of Linear '3' is not the output of '1' \(ReLU\): '2' "
                                         r"\(LayerNorm\) runs between"):
        Monitor(after, (x, y), out_dir=tmp_path).capture(0)
    class Square(nn.Module):  # an activation of one's own, not named in activation_types=
        def forward(self, v):
            return v * v

    square = nn.Sequential(nn.Linear(20, 8), Square(), nn.Linear(8, 3))
    with pytest.raises(ValueError, match=r"no element-wise activation .*'1' \(Square\) ran between them.*"
                                         r"activation_types="):
        Monitor(square, (x, y), out_dir=tmp_path).capture(0)
    with pytest.raises(ValueError, match=r"probe_batch: the model's forward pass on x of shape \(1, 20\).*failed.*"
                                         r"at least 2 examples"):
        Monitor(_tiny(bn=True), (x[:1], y[:1]), out_dir=tmp_path).capture(0)


def test_the_guides_first_example_runs_as_written(tmp_path, monkeypatch):
    """docs/own-model.md's first example, executed as it is written, twice (a user trial: its data were
    undefined names, and a second run refused the first run's captures)."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "own-model.md").read_text(encoding="utf-8")
    block = doc.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        torch.manual_seed(0)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, "docs/own-model.md", "exec"), {})
        assert printed.getvalue().strip(), "it prints its findings, or that there are none"
    assert (tmp_path / "report" / "diagnosis.html").is_file()
    assert len(list((tmp_path / "captures").glob("bn-before-sigmoid-seed0-*.safetensors"))) == 4
    # Its layers are named by their position in the nn.Sequential: "layer 1 (module 0)", which the findings
    # use ("layer 1 (0)" had read as two numbers of the layer).
    analysis = actscope.analyze(tmp_path / "captures", tmp_path / "again", formats=("svg",))
    layers = analysis.models[0]["layers"]
    assert [layer["label"] for layer in layers] == ["layer 1 (module 0)", "layer 2 (module 3)"]
    assert all(" (module " in f for f in analysis.findings() if ", layer " in f), analysis.findings()
