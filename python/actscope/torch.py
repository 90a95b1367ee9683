"""PyTorch hooks that capture a model at checkpoints, and the report that diagnoses it.

>>> monitor = actscope.torch.Monitor(model, (x_probe, y_probe), every=100, out_dir="captures")
>>> for step, (x, y) in enumerate(loader):        # doctest: +SKIP
...     monitor.step(step)                          # before the update: captures when step % every == 0
...     loss = F.cross_entropy(model(x), y); opt.zero_grad(); loss.backward(); opt.step()
>>> monitor.capture(step + 1)                       # the trained network

(One epoch here; over several, ``step`` must keep counting the updates done: a step that goes backwards, or
one this Monitor captured already, is refused rather than overwrite a capture.)
>>> monitor.report("report")                        # figures, records and diagnosis.{html,md}

What a capture holds and how it is measured is ``docs/capture.md``; this module follows it exactly, as
actscope measures its own networks (``crates/core/src/probe.rs``):

* the **same probe batch** at every checkpoint (kept on the model's device);
* one forward pass in **train mode** (BatchNorm uses the probe batch's own statistics) with dropout
  modules and RReLU's random slopes off, leaving every buffer (BatchNorm's running statistics among them),
  every module's train/eval mode, the RNG state, in-place flags, ``requires_grad`` flags and the
  parameters' ``.grad`` exactly as they were: measuring never changes training (a pass that is random all
  the same, with ``F.dropout`` in ``forward()``, is refused);
* a parametrized weight (``weight_norm``, ``spectral_norm``) is measured as the layer uses it: the
  effective ``W`` and ``dL/dW`` with respect to it;
* the mean loss over the batch and one backward pass (``torch.autograd.grad``, so ``.grad`` is untouched);
* the capture is of the network that has had ``step`` updates: call :meth:`Monitor.step` before the
  optimizer's update;
* an activation computed in bfloat16 or float16 (such a model, or ``torch.autocast``) rounds ``a`` further
  from phi(z) than a capture may hold: ``a`` of a known activation is left out (analyze computes phi(z) from
  the captured z), and an unknown activation's ``a`` and phi' are computed in float32 from z;
* a network that has diverged (a non-finite z, a, weight or BatchNorm statistic, which no capture may hold)
  is not captured from that step on, with one warning naming the step; the captures before it are kept.

Hooks are registered only for the probe pass and removed right after it, so training itself runs without
any. Tensors stay on the device during the pass and are copied to the host once per checkpoint.

Layers are found from the order in which modules run in the probe pass: a hidden layer is a ``nn.Linear``
followed by an activation module, with a ``nn.BatchNorm1d`` between them (``bn = before``) or after the
activation (``bn = after``); the last ``nn.Linear`` is the output layer (an activation after it, such as a
final sigmoid, is not part of any hidden layer). What flows between them is checked at every capture: each
module must take the output of the one before it, with nothing changed in place, so a residual connection or
a functional operation between a layer's modules is refused rather than misfiled. Activations written as
functions (``F.relu`` inside ``forward``) cannot be seen by hooks: the model is refused with a message saying
so.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import math
import numbers
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrize import ParametrizationList as _ParametrizationList

from . import __version__
from ._analyze import Analysis, _analyze_files
from .capture import (FORMAT, capture_file_name, check_epoch, check_model_name, hidden_layer, output_layer,
                      read_metadata, write_capture)

__all__ = ["Monitor", "LayerPlan", "activation_name"]

# Normalisations allowed before the first Linear (input processing, not a layer).
_INPUT_NORMS = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._NormBase)

# Modules whose training mode only adds noise, turned off for the probe pass: dropout of every kind, and
# RReLU's random slopes (in eval mode the mean slope).
_NOISE = (nn.modules.dropout._DropoutNd, nn.RReLU)

# The dtypes in which a captured `a` and phi' are the pass's own; an activation run in less (bfloat16,
# float16: such a model, or autocast) has them computed from z in float32.
_FULL = (torch.float32, torch.float64)

# Modules of torch.nn.modules.activation that are not element-wise, so have no phi'(z) per entry.
_NOT_ELEMENTWISE = ("Softmax", "Softmin", "LogSoftmax", "Softmax2d", "MultiheadAttention", "GLU")


def _is_activation(m: nn.Module) -> bool:
    """An element-wise activation module: defined in torch.nn.modules.activation (ReLU, Sigmoid, Mish,
    PReLU, ...), less the ones that mix entries (softmax, GLU, attention)."""
    cls = type(m)
    return any(
        c.__module__ == "torch.nn.modules.activation" and c.__name__ not in _NOT_ELEMENTWISE
        for c in cls.__mro__
        if c is not nn.Module
    ) and cls.__name__ not in _NOT_ELEMENTWISE


def activation_name(m: nn.Module) -> str:
    """actscope's name of an activation module, or ``unknown`` when actscope does not compute exactly that
    function (e.g. ``nn.GELU(approximate="tanh")``, ``nn.Softplus(beta=2)``, ``nn.Hardtanh``, and
    ``nn.LeakyReLU`` / ``nn.ELU`` with a negative slope or alpha: actscope's take α ≥ 0)."""
    if isinstance(m, nn.Sigmoid):
        return "sigmoid"
    if isinstance(m, nn.Tanh):
        return "tanh"
    if isinstance(m, nn.ReLU):
        return "relu"
    if isinstance(m, nn.LeakyReLU) and math.isfinite(float(m.negative_slope)) and float(m.negative_slope) >= 0:
        return f"leaky_relu({float(m.negative_slope)!r})"
    if isinstance(m, nn.ELU) and math.isfinite(float(m.alpha)) and float(m.alpha) >= 0:
        return f"elu({float(m.alpha)!r})"
    if isinstance(m, nn.CELU) and float(m.alpha) == 1.0:
        # CELU(1) is ELU(1) (PyTorch computes it as elu with input scale 1/alpha): the same findings.
        return "elu(1.0)"
    if isinstance(m, nn.GELU) and m.approximate == "none":
        return "gelu"
    if isinstance(m, nn.SiLU):
        return "silu"
    if isinstance(m, nn.Softplus) and m.beta == 1 and m.threshold >= 20:
        # PyTorch's softplus returns x itself above the threshold, where ln(1 + e^x) = x in f32 anyway.
        return "softplus"
    if isinstance(m, nn.Softsign):
        return "softsign"
    return "unknown"


@dataclass
class LayerPlan:
    """One layer of the model as the Monitor found it."""

    #: The Linear's qualified name in the model (e.g. ``net.0``).
    name: str
    #: ``hidden`` or ``output``.
    kind: str
    linear: nn.Linear
    #: The activation module (hidden layers).
    activation: Optional[nn.Module] = None
    #: actscope's name of the activation, or ``unknown``.
    activation_name: Optional[str] = None
    #: ``none``, ``before`` or ``after``.
    bn: str = "none"
    batch_norm: Optional[nn.BatchNorm1d] = None
    #: sup phi' for an ``unknown`` activation.
    dphi_max: Optional[float] = None

    def meta(self) -> Dict[str, Any]:
        """The layer's entry of the capture's ``layers`` metadata."""
        units = self.linear.out_features
        if self.kind == "output":
            return output_layer(self.name, units)
        return hidden_layer(self.name, units, self.activation_name, self.bn, self.dphi_max)


def _in_float32(act: nn.Module) -> nn.Module:
    """``act`` computing in float32 where it holds bfloat16 or float16 parameters or buffers: a shallow copy
    with float32 copies of its own (the module itself untouched, its hooks left out); ``act`` otherwise."""
    own = list(act._parameters.values()) + list(act._buffers.values())
    if not any(t is not None and t.is_floating_point() and t.dtype not in _FULL for t in own):
        return act
    twin = copy.copy(act)
    for name in ("_parameters", "_buffers"):
        tensors = {k: (v.detach().float() if v is not None and v.is_floating_point() else v)
                   for k, v in getattr(act, name).items()}
        object.__setattr__(twin, name, tensors)
    for name in ("_forward_hooks", "_forward_pre_hooks"):
        object.__setattr__(twin, name, type(getattr(act, name))())
    return twin


def _phi_in_float32(act: nn.Module, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """phi(z) and phi'(z) computed in float32 (autocast off) at the values of ``z``: for an activation that
    ran in bfloat16 or float16, whose phi' rounded that far may exceed sup phi' (``dphi_max``, estimated in
    float32) and be refused by the reader."""
    z32 = z.detach().float().requires_grad_(True)
    with torch.enable_grad(), torch.autocast(z.device.type, enabled=False):
        # forward(), not __call__: no hook may see this call (the probe pass's hooks are registered).
        a = _in_float32(act).forward(z32)
        (d,) = torch.autograd.grad(a.sum(), z32)
    return a.detach(), d


def _estimate_dphi_max(act: nn.Module, units: int, device, dtype) -> float:
    """sup phi' of an unknown element-wise activation, as the largest phi' on a grid of 40,001 points on
    [-20, 20] (step 0.001), each point in every unit's column (a per-unit parameter, as in PReLU, counts);
    computed in float32 at least, with autocast off (as phi' is where the activation runs in less)."""
    dtype = dtype if dtype in _FULL else torch.float32
    grid = torch.linspace(-20.0, 20.0, 40001, device=device, dtype=dtype)
    z = grid[:, None].expand(-1, units).clone().requires_grad_(True)
    with torch.enable_grad(), torch.autocast(torch.device(device).type, enabled=False):
        # forward(), not __call__: no hook may see this call (the probe pass's hooks are registered).
        (d,) = torch.autograd.grad(_in_float32(act).forward(z).sum(), z)
    m = float(d.max())
    if not (math.isfinite(m) and m > 0):
        raise ValueError(f"{type(act).__name__}: phi' has no finite positive maximum on [-20, 20] (got {m}); "
                         "pass dphi_max={layer name: value} to Monitor")
    return m


class _Trace:
    """The forward hooks of one probe pass: which watched modules ran, in order, with their inputs and
    outputs (graph tensors, kept on the device)."""

    def __init__(self, model: nn.Module, activation_types: Tuple[type, ...], watch_all: bool = False):
        self.calls: List[Tuple[nn.Module, torch.Tensor, torch.Tensor]] = []
        #: With ``watch_all`` (the first capture), the ids of every module that was called in the pass.
        self.ran: set = set()
        #: Modules with parameters of their own that are not Linear, BatchNorm1d or an activation (a Conv2d,
        #: an Embedding, a LayerNorm...) and ran, each with the number of watched calls before it: the
        #: Monitor cannot measure them, so it refuses the model, except for a normalisation before the
        #: first Linear (input processing, as input BatchNorm is).
        self.unsupported: List[Tuple[nn.Module, int]] = []
        #: Activation modules that mix units (softmax, GLU...) and ran: no layer's activation, named in the
        #: message when a Linear is followed by another without an element-wise activation between them.
        self.mixing: List[nn.Module] = []
        self.handles = []
        #: The tensor versions of each call's input and output when the module returned: an in-place change
        #: after that (``a += h``) would make the tensors read later not the ones the module computed.
        self.versions: List[Tuple[int, int]] = []
        #: Modules without children that none of the above watches (a LayerNorm without parameters, a
        #: Flatten, an activation of one's own not named in activation_types=) and changed what they were
        #: given, each with the number of watched calls before it returned: named when the chain breaks.
        self.others: List[Tuple[nn.Module, int]] = []
        # What runs inside an activation module is part of it (a Swish of your own built on nn.Sigmoid):
        # not a layer of its own.
        activations = [m for m in model.modules() if isinstance(m, activation_types) or _is_activation(m)]
        inner = {id(d) for a in activations for d in a.modules() if d is not a}
        if watch_all:
            for m in model.modules():
                self.handles.append(m.register_forward_pre_hook(lambda mod, args: self.ran.add(id(mod))))
        for m in model.modules():
            if id(m) in inner:
                continue
            if isinstance(m, (nn.Linear, nn.BatchNorm1d) + activation_types) or _is_activation(m):
                self.handles.append(m.register_forward_hook(self._hook))
            elif type(m).__name__ in _NOT_ELEMENTWISE:
                self.handles.append(m.register_forward_hook(lambda mod, i, o: self.mixing.append(mod)))
            elif (m is not model and not isinstance(m, _ParametrizationList)
                  and next(m.parameters(recurse=False), None) is not None):
                # The model itself may hold a parameter (a temperature, say); a parametrization's own
                # module (weight_norm, spectral_norm) is part of its Linear, not a layer.
                self.handles.append(m.register_forward_hook(self._unsupported))
            elif m is not model and next(m.children(), None) is None:
                self.handles.append(m.register_forward_hook(self._other))

    def _unsupported(self, module, inputs, output):
        if all(module is not m for m, _ in self.unsupported):
            self.unsupported.append((module, len(self.calls)))

    def _other(self, module, inputs, output):
        if inputs and torch.is_tensor(inputs[0]) and torch.is_tensor(output) and not _same_values(inputs[0], output):
            self.others.append((module, len(self.calls)))

    def _hook(self, module, inputs, output):
        if not inputs or not torch.is_tensor(inputs[0]) or not torch.is_tensor(output):
            raise TypeError(f"{type(module).__name__}: expected a tensor in and a tensor out")
        self.calls.append((module, inputs[0], output))
        self.versions.append((inputs[0]._version, output._version))

    def remove(self):
        for h in self.handles:
            h.remove()
        self.handles = []


def _plan(model: nn.Module, calls, dphi_max: Dict[str, float], unsupported=(), mixing=(), others=()) -> List[LayerPlan]:
    """The layers of the model from the order its watched modules ran in (see the module docs); ``others``
    (:attr:`_Trace.others`) names what ran between two Linears without an activation module."""
    names = {m: n for n, m in model.named_modules()}
    first_linear = next((i for i, (m, _, _) in enumerate(calls) if isinstance(m, nn.Linear)), len(calls))
    # Before the first Linear a normalisation is input processing (as input BatchNorm is); any other
    # parameterised module (a Conv2d, an Embedding) is a layer the diagnosis would leave out.
    inside = [(m, before) for m, before in unsupported if before > first_linear or not isinstance(m, _INPUT_NORMS)]
    if inside:
        listed = ", ".join(f"{names.get(m)!r} ({type(m).__name__})" for m, _ in inside)
        advice = []
        if any(before <= first_linear for _, before in inside):  # a feature extractor before the MLP (a CNN)
            advice.append("Monitoring the MLP part on its own inputs (e.g. Monitor(model.head, (features, y))) is "
                          "right only while the layers before it are frozen (not trained, and their output on the "
                          "probe batch unchanging, e.g. a pretrained extractor in eval mode with "
                          "requires_grad=False): the features are computed once, when the Monitor is made, so if "
                          "those layers train, every later checkpoint measures the head on stale inputs and its "
                          "numbers are wrong. A model trained end to end with such layers cannot be monitored yet")
        if any(before > first_linear for _, before in inside):  # inside the MLP
            advice.append("Inside the MLP, BatchNorm1d is the only normalisation it measures (a LayerNorm, GroupNorm "
                          "or RMSNorm there is refused, with parameters or without)")
        advice.append("An element-wise activation of your own goes in activation_types=")
        raise ValueError(f"the forward pass runs layers the Monitor cannot measure: {listed}; it measures MLPs "
                         "(Linear, BatchNorm1d, element-wise activation modules), and would leave these out of the "
                         f"diagnosis without a word. {'. '.join(advice)}")
    layers: List[LayerPlan] = []
    seen = set()
    for module, x, _ in calls:
        if module in seen:
            raise ValueError(f"module {names.get(module)!r} ({type(module).__name__}) runs twice in one forward "
                             "pass; the Monitor needs each layer's modules to run once (one activation module "
                             "shared by every layer, say: give each layer its own, e.g. an nn.ReLU() per layer)")
        seen.add(module)
        if isinstance(module, nn.Linear):
            if module.out_features == 0:
                raise ValueError(f"Linear {names[module]!r} has 0 output features; every layer needs at least one "
                                 "unit to be measured")
            if x.dim() != 2:
                raise ValueError(f"Linear {names[module]!r} got an input of shape {tuple(x.shape)}; the Monitor "
                                 "measures MLPs, whose layers see (batch, features)")
            layers.append(LayerPlan(names[module], "hidden", module))
            continue
        cur = layers[-1] if layers else None
        if cur is None:
            continue  # input normalisation or an activation before the first Linear: not part of a layer
        if isinstance(module, nn.BatchNorm1d):
            if cur.batch_norm is not None:
                raise ValueError(f"layer {cur.name!r} has two BatchNorm1d ({names[cur.batch_norm]!r}, "
                                 f"{names[module]!r}); expected at most one per layer")
            cur.batch_norm, cur.bn = module, ("after" if cur.activation is not None else "before")
        else:
            if cur.activation is not None:
                raise ValueError(f"layer {cur.name!r} has two activations ({names[cur.activation]!r}, "
                                 f"{names[module]!r}); expected one per layer")
            cur.activation = module
    if len(layers) < 2:
        raise ValueError(f"found {len(layers)} nn.Linear layer(s) in the forward pass; the Monitor needs at least "
                         "one hidden layer (Linear -> activation) and an output Linear")
    out = layers[-1]
    out.kind, out.activation, out.bn = "output", None, "none"
    if out.batch_norm is not None:
        raise ValueError(f"the output Linear {out.name!r} is followed by BatchNorm1d {names[out.batch_norm]!r}; "
                         "expected the last Linear to be the output layer")
    order = {m: i for i, (m, _, _) in enumerate(calls)}
    for prev, layer in zip(layers, layers[1:]):
        if prev.activation is None:
            mixed = "".join(f"; {names.get(m)!r} ({type(m).__name__}) ran, but it mixes units (not element-wise), "
                            "so it is no layer's activation" for m in mixing)
            ran = [m for m, before in others if order[prev.linear] < before <= order[layer.linear]]
            mixed += "".join(f"; {names.get(m)!r} ({type(m).__name__}) ran between them: an element-wise activation "
                             "of your own goes in activation_types=" for m in dict.fromkeys(ran))
            raise ValueError(f"Linear {prev.name!r} is followed by Linear {layer.name!r} with no element-wise activation "
                             "module between them. If an activation runs there, it must be an nn.Module (nn.ReLU(), not "
                             "F.relu) so that hooks can see it; if the two are linear layers in a row (a head on the "
                             "logits, a linear bottleneck), the Monitor cannot measure the model: it needs Linear -> "
                             f"(BatchNorm1d) -> activation blocks and one output Linear, run last{mixed}")
        if layer.linear.in_features != prev.linear.out_features:
            raise ValueError(f"Linear {layer.name!r} takes {layer.linear.in_features} features but {prev.name!r} "
                             f"gives {prev.linear.out_features}; the Monitor measures a chain of layers")
    for layer in layers[:-1]:
        layer.activation_name = activation_name(layer.activation)
    unknown = [layer.name for layer in layers[:-1] if layer.activation_name == "unknown"]
    stray = [n for n in dphi_max if n not in unknown]
    if stray:
        raise ValueError(f"dphi_max: {', '.join(repr(n) for n in stray)} is not a hidden layer with an unknown "
                         f"activation (those are: {', '.join(repr(n) for n in unknown) or 'none'}); sup phi' is "
                         "given only for those, by the name of their Linear")
    for layer in layers[:-1]:
        if layer.activation_name == "unknown":
            given = dphi_max.get(layer.name)
            p = layer.linear.weight
            layer.dphi_max = float(given) if given is not None else _estimate_dphi_max(
                layer.activation, layer.linear.out_features, p.device, p.dtype)
    return layers


def _same_values(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two tensors hold the same values (NaN equal to NaN): the same tensor, a view of it, or what a
    dropout turned off passes on."""
    if a is b:
        return True
    if a.shape != b.shape or a.dtype != b.dtype or a.device != b.device:
        return False
    with torch.no_grad():
        return bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())


def _check_flow(model: nn.Module, layers: List[LayerPlan], calls, versions, others=()) -> None:
    """Refuses a forward pass in which the layers' tensors did not flow as the plan reads them: each module
    of a layer must take the output of the one before it (Linear -> [BatchNorm1d] -> activation ->
    [BatchNorm1d]), each Linear after the first the output of the layer before it, and no tensor may have
    been changed in place after its module returned. Otherwise z would not be the pre-activation of the
    Linear (and BatchNorm) it is filed under: a residual connection, a scaling or a functional operation in
    between, which the Monitor cannot see. ``others`` (:attr:`_Trace.others`) names the modules that ran
    between the two where the chain breaks."""
    names = {m: n for n, m in model.named_modules()}
    io = {m: (x, y) for m, x, y in calls}
    order = {m: i for i, (m, _, _) in enumerate(calls)}

    def label(m):
        return f"{names.get(m)!r} ({type(m).__name__})"

    def between(a, b) -> str:
        """The modules that returned after ``a`` and before ``b`` and changed their input, in words."""
        ran = [m for m, before in others if order[a] < before <= order[b]]
        return ", ".join(label(m) for m in dict.fromkeys(ran))

    for layer in layers:
        for m in (layer.linear, layer.activation, layer.batch_norm):
            if m is not None and m not in io:
                raise ValueError(f"layer {layer.name!r}: module {label(m)} did not run in this forward pass, though "
                                 "it did in the first; the model's structure must stay the same")
    # The tensors the Monitor reads: every input and output of a hidden layer's modules, and the output
    # Linear's input (its output, the logits, is the loss's business: `o /= T` is fine).
    read = {m: True for layer in layers[:-1] for m in (layer.linear, layer.batch_norm, layer.activation) if m}
    read[layers[-1].linear] = False
    for (m, x, y), (vx, vy) in zip(calls, versions):
        if m in read and (x._version != vx or (read[m] and y._version != vy)):
            which = "input" if x._version != vx else "output"
            raise ValueError(f"the {which} of {label(m)} was changed in place after the module returned (e.g. "
                             "`a += h` or `z.mul_(s)`), so the tensors the Monitor reads are not the ones the layer "
                             "computed; the Monitor measures plain chains of layers (no residual connections)")
    previous = None
    for layer in layers:
        chain = [layer.linear]
        if layer.kind == "hidden":
            chain += {"before": [layer.batch_norm, layer.activation], "after": [layer.activation, layer.batch_norm],
                      "none": [layer.activation]}[layer.bn]
        if previous is not None and not _same_values(io[previous][1], io[layer.linear][0]):
            ran = between(previous, layer.linear)
            if ran:
                raise ValueError(f"the input of Linear {layer.name!r} is not the output of {label(previous)}: {ran} "
                                 "runs between the two layers and changes what flows, and the Monitor cannot measure "
                                 "it. It measures plain chains Linear -> [BatchNorm1d] -> activation -> "
                                 "[BatchNorm1d] (BatchNorm1d is the only normalisation it measures in a layer; a "
                                 "LayerNorm, GroupNorm or RMSNorm is refused, with parameters or without); an "
                                 "element-wise activation of your own goes in activation_types=")
            raise ValueError(f"the input of Linear {layer.name!r} is not the output of {label(previous)}: something "
                             "runs between the two layers that the Monitor cannot see (a residual connection, a "
                             "scaling, a functional activation or dropout such as F.dropout: use nn.Dropout, which "
                             "the Monitor turns off). It measures plain chains Linear -> [BatchNorm1d] -> activation "
                             "-> [BatchNorm1d]; an activation of your own that contains "
                             f"{label(previous)} goes in activation_types=")
        for a, b in zip(chain, chain[1:]):
            if not _same_values(io[a][1], io[b][0]):
                ran = between(a, b)
                if ran:
                    raise ValueError(f"layer {layer.name!r}: {ran} runs between {label(a)} and {label(b)}, so z would "
                                     "not be the layer's pre-activation as the Monitor reads it, and it cannot measure "
                                     f"{ran}. It measures plain chains Linear -> [BatchNorm1d] -> activation -> "
                                     "[BatchNorm1d] (BatchNorm1d is the only normalisation it measures in a layer; a "
                                     "LayerNorm, GroupNorm or RMSNorm is refused, with parameters or without); an "
                                     "element-wise activation of your own goes in activation_types=")
                raise ValueError(f"layer {layer.name!r}: the input of {label(b)} is not the output of {label(a)}: "
                                 "something runs between them that the Monitor cannot see (a residual connection, "
                                 "a scaling, a functional operation), so z would not be the layer's pre-activation. "
                                 "It measures plain chains Linear -> [BatchNorm1d] -> activation -> [BatchNorm1d]")
        previous = chain[-1]


def _is_compiled(m: nn.Module) -> bool:
    """Whether ``m`` is the wrapper ``torch.compile(module)`` returns."""
    return type(m).__name__ == "OptimizedModule" and isinstance(getattr(m, "_orig_mod", None), nn.Module)


def _required(grad: Optional[torch.Tensor], what: str) -> torch.Tensor:
    """A gradient autograd must have given: None means the tensor the hooks saw is not in the loss's graph."""
    if grad is None:
        raise ValueError(f"{what} does not exist: the tensor the Monitor's hooks saw is not in the graph of the probe "
                         "pass's loss (a part of forward() run under torch.no_grad() or detached, say)")
    return grad


def _refuse_hidden_layers(model: nn.Module, loss: torch.Tensor, ran: set) -> None:
    """Refuses a weight matrix the loss depends on but no module the hooks see applies: one held by the
    model itself (``x @ self.W``), or by a submodule that did not run in the pass (``x @
    self.block.weight.T``, the module's own forward never called). The diagnosis would leave that layer out.
    A parameter with at most one dimension larger than 1 (a temperature, a per-feature scale or shift, of
    shape (1, n) too) is allowed; a parametrization's own parameters belong to the layer that computes them."""
    def matrices(m: nn.Module, prefix: str):
        return [(prefix + n, p) for n, p in m.named_parameters(recurse=False) if sum(d > 1 for d in p.shape) >= 2]

    own = matrices(model, "")
    for name, m in model.named_modules():
        if m is not model and id(m) not in ran and not isinstance(m, _ParametrizationList):
            own += matrices(m, name + ".")
    if not own:
        return
    grads = torch.autograd.grad(loss, [p for _, p in own], retain_graph=True, allow_unused=True)
    used = [f"{n!r} (shape {tuple(p.shape)})" for (n, p), g in zip(own, grads) if g is not None]
    if used:
        raise ValueError(f"the parameter {', '.join(used)} takes part in the loss, but not through an nn.Linear "
                         "that runs in the forward pass (it is the model's own, or its module is never called), so "
                         "its layer would be left out of the diagnosis without a word; apply the weights by calling "
                         "an nn.Linear, or monitor the MLP part on its own inputs (right only while the layers "
                         "before it are frozen: its inputs are fixed when the Monitor is made)")


def _loss_option(loss_fn, name: str):
    """The ``reduction`` or ``ignore_index`` a loss function says it uses, where it says: a loss module
    (``nn.CrossEntropyLoss(reduction="sum")``) or a ``functools.partial`` of a functional loss; the default
    cross_entropy's own for None; otherwise None (a plain function or lambda does not say)."""
    if loss_fn is None:
        return {"reduction": "mean", "ignore_index": -100}[name]
    if isinstance(loss_fn, nn.modules.loss._Loss):
        return getattr(loss_fn, name, None)
    if isinstance(loss_fn, functools.partial):
        if name in loss_fn.keywords:
            return loss_fn.keywords[name]
        if loss_fn.func in (torch.nn.functional.cross_entropy, torch.nn.functional.nll_loss):
            return _loss_option(None, name)
    return None


def _device_index(device: torch.device) -> int:
    """The index of an accelerator device (its current one where the device names none)."""
    return device.index if device.index is not None else torch.get_device_module(device.type).current_device()


def _forked_rng(device: torch.device):
    """The RNG state of the CPU and of the model's device, restored on exit (``torch.random.fork_rng``)."""
    if device.type == "cpu":
        return torch.random.fork_rng(devices=[], enabled=True)
    return torch.random.fork_rng(devices=[_device_index(device)], enabled=True, device_type=device.type)


def _seed(device: torch.device, seed: int) -> None:
    """Seeds the generators :func:`_forked_rng` restores, and no other (``torch.manual_seed`` seeds every
    device of every backend)."""
    torch.default_generator.manual_seed(seed)
    if device.type != "cpu":
        module = torch.get_device_module(device.type)
        with module.device(_device_index(device)):
            module.manual_seed(seed)


def _refuse_randomness(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn, first: float,
                       device: torch.device) -> None:
    """Refuses a probe pass that is random with dropout off (run inside the pass's forked RNG): the same seed
    twice gives the same loss, another seed another. Kernels that are not deterministic (the same seed
    giving two losses) are no evidence either way."""
    def loss_at(seed: int) -> float:
        _seed(device, seed)
        return float(loss_fn(model(x), y).detach())

    with torch.no_grad():
        a, b, again = loss_at(1), loss_at(2), loss_at(1)
    if a == again and a != b and not math.isnan(a) and not math.isnan(b):
        raise ValueError(f"the probe pass is random with dropout modules off (its loss was {a!r} under one random "
                         f"seed and {b!r} under another; {first!r} in the pass measured): a functional dropout or "
                         "noise in forward() (F.dropout(h, p, training=self.training): use an nn.Dropout module, "
                         "which the Monitor turns off), a module of your own that draws random numbers, or a random "
                         "loss_fn. The Monitor measures one deterministic pass")


class Monitor:
    """Captures a PyTorch MLP at checkpoints, on a fixed probe batch, as ``docs/capture.md`` specifies.

    Args:
        model: the model (any ``nn.Module`` whose forward runs Linear / BatchNorm1d / activation modules).
        probe_batch: ``(x, y)``, the fixed examples and targets measured at every checkpoint (e.g. 1,000
            validation examples); moved to the model's device once.
        every: with :meth:`step`, capture when ``step % every == 0`` (None: at every call of :meth:`step`).
        out_dir: where the capture files go (created).
        model_name: the capture's ``model`` (default: the model's class name); models compared in one
            report need different names, seeds of one model the same.
        seed: the run's seed, written into every capture.
        loss_fn: ``loss_fn(output, y)``, the mean loss (default: ``torch.nn.functional.cross_entropy``). A loss
            module or ``functools.partial`` that says ``reduction="sum"`` (or ``"none"``) is refused, as is a
            probe batch whose targets are all the loss's ``ignore_index`` (a mean over no example).
        dtype: ``f32`` or ``f64``, the dtype of the written tensors (default: f64 for a float64 model,
            otherwise f32). A float64 model captured in ``f32`` whose tensors hold a finite value beyond
            float32's range is refused at that capture (the value would be written as infinite and read as a
            divergence).
        save_a: also write a = phi(z) for known activations (always written for unknown ones).
        dphi_max: sup phi' for ``unknown`` activations by layer name; otherwise estimated on a grid.
        steps_per_epoch: when given, each capture records ``epoch = step / steps_per_epoch``.
        activation_types: further module classes to treat as element-wise activations (your own ``Swish``
            module, say); their layers are written as ``unknown`` with phi' from autograd.
        pairs: with ``every``, also capture step ``s + 1`` after each cadence step ``s``, so that the report
            has the update ratio ||dW|| / ||W|| of that update (it needs captures one update apart).
        existing: what to do with captures of this model and seed already in ``out_dir`` (an earlier run's,
            which ``actscope analyze`` on the directory would read with this run's), found by their metadata
            (``model`` exactly and ``seed``), never by file name: ``refuse`` (the default: an error),
            ``replace`` (delete them, when this Monitor writes its first capture) or ``keep`` (continue that
            run, e.g. when resuming training: steps go on
            from its last capture, whose step :meth:`step` returns without measuring again, and a step below it,
            or a capture of a step it has, is refused rather than overwrite its file). Another model's captures
            are never touched: a file of this model's name that holds one is refused.
    """

    def __init__(
        self,
        model: nn.Module,
        probe_batch: Tuple[torch.Tensor, torch.Tensor],
        *,
        every: Optional[int] = None,
        out_dir="actscope-captures",
        model_name: Optional[str] = None,
        seed: int = 0,
        loss_fn: Optional[Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = None,
        dtype: Optional[str] = None,
        save_a: bool = True,
        dphi_max: Optional[Dict[str, float]] = None,
        steps_per_epoch: Optional[int] = None,
        activation_types: Sequence[type] = (),
        pairs: bool = False,
        existing: str = "refuse",
    ):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        if not (isinstance(probe_batch, (tuple, list)) and len(probe_batch) == 2):
            raise TypeError("probe_batch: expected a pair (x, y) of tensors: the examples and their targets")
        x, y = probe_batch
        if not (torch.is_tensor(x) and torch.is_tensor(y)):
            raise TypeError(f"probe_batch: expected tensors, got {type(x).__name__} and {type(y).__name__}")
        if every is not None and (isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1):
            raise ValueError(f"every: expected a whole number of steps >= 1, got {every!r}")
        if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool)
                                            or not isinstance(steps_per_epoch, numbers.Integral)
                                            or steps_per_epoch < 1):
            raise ValueError(f"steps_per_epoch: expected a whole number of steps >= 1, got {steps_per_epoch!r}")
        if model_name is not None and not (isinstance(model_name, str) and model_name):
            raise TypeError(f"model_name: expected a non-empty string, got {model_name!r}")
        if model_name is not None:
            check_model_name(model_name)
        if not (isinstance(dphi_max, dict) or dphi_max is None):
            raise TypeError(f"dphi_max: expected a dict {{layer name: sup phi'}}, got {type(dphi_max).__name__}")
        if dtype not in (None, "f32", "f64"):
            raise ValueError(f"dtype: expected 'f32' or 'f64', got {dtype!r}")
        for flag, value in (("save_a", save_a), ("pairs", pairs)):
            # "no" had been taken as True.
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"{flag}: expected True or False, got {value!r}")
        try:
            # Read once, here: a generator is used up by reading it.
            types = None if isinstance(activation_types, type) else tuple(activation_types)
        except TypeError:
            types = None
        if types is None or not all(isinstance(t, type) for t in types):
            raise TypeError("activation_types: expected a sequence of module classes, e.g. (nn.Hardtanh,), got "
                            f"{activation_types!r}")
        activation_types = types
        param = next(model.parameters(), None)
        if param is None:
            raise ValueError("model: it has no parameters")
        if _is_compiled(model):
            model = model._orig_mod  # the module torch.compile wrapped, run eagerly: the same parameters
        compiled = [n for n, m in model.named_modules() if _is_compiled(m)]
        if compiled:
            raise ValueError(f"model: model.{compiled[0]} is compiled (torch.compile), and forward hooks cannot see "
                             "inside a compiled graph; monitor the model with the uncompiled module in its place "
                             f"(model.{compiled[0]}._orig_mod shares the parameters), or compile the whole model")
        if x.dim() < 2:
            raise ValueError(f"probe_batch: x of shape {tuple(x.shape)} has no batch dimension; expected (examples, "
                             "features...), e.g. x[None] for a single example")
        if x.shape[0] == 0:
            raise ValueError(f"probe_batch: x of shape {tuple(x.shape)} has no examples; the probe batch is what every "
                             "capture measures (e.g. 1,000 validation examples)")
        if x.is_floating_point() or x.is_complex():
            bad = ~torch.isfinite(x)
            if bool(bad.any()):
                where = [int(i) for i in bad.nonzero()[0]]
                raise ValueError(f"probe_batch: x holds {x[tuple(where)].item()} at {where}; every input of the probe "
                                 "batch must be finite (a non-finite input would read as a network that diverged)")
        if (y.is_floating_point() or y.is_complex()) and y.numel() > 0:
            bad = ~torch.isfinite(y)
            if bool(bad.any()):
                where = [int(i) for i in bad.nonzero()[0]]
                raise ValueError(f"probe_batch: y holds {y[tuple(where)].item()} at {where}; every target must be "
                                 "finite (a non-finite target makes the loss and every gradient NaN, which read as "
                                 "gradients that are not defined)")
        if x.is_floating_point() and x.dtype != param.dtype:
            raise ValueError(f"probe_batch: x is {x.dtype} but the model's parameters are {param.dtype}; convert it, "
                             f"e.g. x.to({param.dtype})")
        if loss_fn is None and y.dim() == 1 and (y.is_floating_point() or y.is_complex()):
            raise ValueError(f"probe_batch: y holds {y.dtype} values, but the default loss (cross_entropy) expects "
                             "integer class indices (torch.long); convert them (y.long()) or pass loss_fn= for other "
                             "targets")
        reduction = _loss_option(loss_fn, "reduction")
        if reduction not in (None, "mean"):
            raise ValueError(f"loss_fn: reduction={reduction!r}; expected the mean loss over the batch "
                             "(reduction='mean'): every gradient a capture records is of that loss, and a sum "
                             "would scale them all by the probe batch's size")
        ignore = _loss_option(loss_fn, "ignore_index")
        if (ignore is not None and y.dim() >= 1 and y.numel() > 0 and not (y.is_floating_point() or y.is_complex())
                and bool((y == ignore).all())):
            raise ValueError(f"probe_batch: every target is {ignore}, the loss's ignore_index, so the mean loss is "
                             "0/0 (NaN) and no gradient reaches the layers; expected a probe batch with real "
                             "targets (e.g. 1,000 labelled validation examples)")
        if existing not in ("refuse", "replace", "keep"):
            raise ValueError(f"existing: expected 'refuse', 'replace' or 'keep', got {existing!r}")
        # The seed names every capture and is read back as an unsigned 64-bit integer (docs/capture.md): a
        # negative one failed at the first step, one of 2**64 only in `actscope analyze`.
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < 2**64:
            raise ValueError(f"seed: expected an integer from 0 to 2**64 - 1, got {seed!r}")
        out_path = Path(out_dir)
        if out_path.exists() and not out_path.is_dir():
            raise ValueError(f"out_dir: {out_path} is a file; expected a directory for the captures")
        if y.dim() == 0 or x.shape[0] != y.shape[0]:
            targets = "a single value" if y.dim() == 0 else f"{y.shape[0]} targets"
            raise ValueError(f"probe_batch: {x.shape[0]} examples but {targets}; expected one target per example")
        name = model_name or type(model).__name__
        earlier = _earlier_captures(out_path, name, int(seed))
        if earlier and existing == "refuse":
            raise FileExistsError(
                f"out_dir: {out_path} already holds {len(earlier)} capture(s) of model {name!r}, seed {int(seed)} "
                f"(e.g. {earlier[0].name}), from an earlier run; `actscope analyze` on the directory would read them "
                "with this run's. Pass existing='replace' to delete them, existing='keep' to continue that run "
                "(resuming training), or use another out_dir, model_name or seed")
        #: An earlier run's captures that existing="replace" deletes, when this Monitor writes its first capture
        #: (not before: a Monitor refused later, at its first probe pass, had already deleted them).
        self._replace: List[Path] = list(earlier) if existing == "replace" else []
        #: An earlier run's captures this Monitor continues (``existing="keep"``), which :meth:`report`
        #: analyses with its own.
        self.continued: List[Path] = list(earlier) if existing == "keep" else []
        #: The step of each capture continued: never written again, and the run goes on after the last.
        kept: Dict[int, Path] = {}
        for f in self.continued:
            try:
                kept[int((read_metadata(f) or {}).get("step", ""))] = f
            except ValueError:
                raise ValueError(f"existing='keep': {f} is a capture of model {name!r}, seed {int(seed)}, without a "
                                 "readable step in its metadata, so the run it belongs to cannot be continued after "
                                 "it; move it away or pass existing='replace'") from None
        self._kept_last: Optional[int] = max(kept) if kept else None
        self.model = model
        self.device = param.device
        self.x, self.y = x.to(self.device), y.to(self.device)
        #: SHA-256 of the probe batch (shapes, dtypes and bytes of x and y), written into every capture as
        #: ``x-probe-sha256``: analyze refuses a run whose captures differ in it and says where seeds or
        #: compared models measured different probe batches.
        self.probe_sha256 = _fingerprint(x, y)
        self.every = None if every is None else int(every)
        self.out_dir = Path(out_dir)
        self.model_name = model_name or type(model).__name__
        self.seed = int(seed)
        self.loss_fn = loss_fn or torch.nn.functional.cross_entropy
        self.dtype = dtype or ("f64" if param.dtype == torch.float64 else "f32")
        # The run continued must have measured what this one will (it had been found out only by report(),
        # after training, which refused the two runs' captures together).
        for f in self.continued:
            meta = read_metadata(f) or {}
            sha = meta.get("x-probe-sha256")
            if sha is not None and sha != self.probe_sha256:
                raise ValueError(f"existing='keep': {f} measured another probe batch (its x-probe-sha256 differs "
                                 "from this one's), so the captures of the two could not be analysed as one run; "
                                 "pass the probe batch the run used, or existing='replace'")
            if meta.get("dtype") != self.dtype:
                raise ValueError(f"existing='keep': {f} holds {meta.get('dtype')} values and this Monitor writes "
                                 f"{self.dtype}; pass dtype={meta.get('dtype')!r}, or existing='replace'")
        self.save_a = save_a
        self.dphi_max = dict(dphi_max or {})
        self.steps_per_epoch = steps_per_epoch
        self.activation_types = tuple(activation_types)
        self.pairs = bool(pairs)
        #: The layers found in the first probe pass (None before it).
        self.layers: Optional[List[LayerPlan]] = None
        #: Every capture file written, in order (one per step).
        self.paths: List[Path] = []
        #: Seconds each capture took (probe pass, copy to host, writing), in order.
        self.timings: List[float] = []
        #: The step at which the network had diverged (a non-finite z, a, weight or BatchNorm statistic),
        #: whose capture was not written, as no later one is; None while it has not.
        self.diverged_at: Optional[int] = None
        #: What :meth:`report` says of the divergence in the diagnosis (no capture can hold it).
        self.diverged_note: Optional[str] = None
        #: The step and file of the latest capture (the continued run's last, with existing="keep": step() at
        #: that step returns it, as the resumed loop's first call does).
        self._last: Optional[Tuple[int, Path]] = (self._kept_last, kept[self._kept_last]) if kept else None
        #: The largest step given to step() or capture() so far (or captured by the run it continues): a step
        #: below it is refused.
        self._seen: Optional[int] = self._kept_last
        #: The file of each step this Monitor captured, or the run it continues did: never written again.
        self._written: Dict[int, Path] = dict(kept)
        #: Hidden layers whose activation ran in less than float32 in the latest pass (name, dtype): a known
        #: activation's `a` is not written, an unknown one's a and phi' are computed in float32 from z. Said
        #: once (``_said_low_precision``).
        self._low_precision: List[Tuple[str, torch.dtype]] = []
        self._said_low_precision = False

    def step(self, step: int, epoch: Optional[float] = None) -> Optional[Path]:
        """At a training step (``step`` updates done since training started, before the next update):
        captures when the cadence says so (``step % every == 0``, and the step after with ``pairs``) and
        returns the file, otherwise returns None. Called again at the step it captured last (once per
        micro-batch, with gradient accumulation), it returns that file without measuring again. A step below
        one given before is refused (a counter that restarts each epoch): ``step`` counts updates."""
        step = _whole_step(step)
        check_epoch(epoch)
        self._refuse_going_back(step)
        if self._last is not None and self._last[0] == step:
            return self._last[1]  # called again at the same step (gradient accumulation): captured already
        due = self.every is None or step % self.every == 0
        if self.pairs and self.every is not None and step > 0 and (step - 1) % self.every == 0:
            due = True
        if not due:
            self._seen = step
            return None
        return self._capture(step, epoch, stacklevel=3)

    def capture(self, step: int, epoch: Optional[float] = None) -> Optional[Path]:
        """Captures the network as it is now, as the checkpoint of ``step`` (the number of optimizer updates
        done), and returns the file written. Refused: a step below one given before, and a step this Monitor
        has captured already (that capture would be overwritten). Once the network has diverged (a
        non-finite z, a, weight or BatchNorm statistic; :attr:`diverged_at`), that capture and every later
        one are not written, with one warning, and this returns None."""
        step = _whole_step(step)
        check_epoch(epoch)
        return self._capture(step, epoch, stacklevel=3)

    def _refuse_going_back(self, step: int) -> None:
        """Refuses a negative step, and one below a step given before (step counts updates: it never goes
        back, and a capture of an earlier step would overwrite one written, or misfile this network)."""
        if step < 0:
            raise ValueError(f"step: expected the number of updates done (>= 0), got {step}")
        if self._seen is not None and step < self._seen:
            kept = (self._kept_last is not None and self._seen == self._kept_last and self._last is not None
                    and self._last[1] in self.continued)
            if kept:
                raise ValueError(
                    f"step {step}: the run this Monitor continues (existing='keep') was captured up to step "
                    f"{self._seen}, after the step given. Resuming from a checkpoint older than the last capture? "
                    f"Its captures of steps {step} to {self._seen} are of the run that went on from there: move "
                    "them out of out_dir (they are named by step) and make a new Monitor, or pass existing="
                    "'replace' to start over; a counter that restarts each epoch goes back too and must count the "
                    "updates since training started (docs/capture.md)")
            at = f"this Monitor was at step {self._seen} already"
            raise ValueError(
                f"step {step}: {at}, so the step went backwards (a counter "
                "that restarts each epoch does, e.g. `for step, (x, y) in enumerate(loader)`). step must count the "
                "optimizer updates done since training started (docs/capture.md): use a global counter, one more at "
                "each update (e.g. epoch * len(loader) + i). Nothing was captured: the capture of an earlier step "
                "would overwrite the one this Monitor wrote of the network after that many updates, or file another "
                "network under that step")

    def _capture(self, step: int, epoch: Optional[float], stacklevel: int) -> Optional[Path]:
        self._refuse_going_back(step)
        if step in self._written:
            by = ("the run this Monitor continues (existing='keep')" if self._written[step] in self.continued
                  else "this Monitor")
            raise ValueError(
                f"capture: step {step} was captured already by {by} ({self._written[step].name}); capturing "
                "it again would overwrite that capture with the network as it is now. step must count the optimizer "
                "updates done (a global counter), so that each capture has a step of its own; monitor.step(step) "
                "called again at the step it captured last (gradient accumulation) returns that file without "
                "measuring")
        if self.diverged_at is not None:
            self._seen = step
            return None  # said when it diverged
        if torch.is_inference_mode_enabled():
            raise RuntimeError("capture: called inside torch.inference_mode(), where autograd is off; the Monitor "
                               "needs the gradients of one backward pass: call it outside inference_mode")
        path = self.out_dir / capture_file_name(self.model_name, self.seed, step)
        if path.exists() and path not in self._replace:
            meta = read_metadata(path) or {}
            what = (f"a capture of model {meta.get('model')!r}, seed {meta.get('seed')}"
                    if meta.get("format") == FORMAT else "a file that is not a capture")
            raise FileExistsError(
                f"capture: {path} exists already and holds {what}, which this Monitor neither wrote nor continues "
                "(captures are identified by their metadata, never by their file name); it refuses to overwrite "
                "it: move that file, or use another out_dir")
        start = time.perf_counter()
        loss, tensors = self._probe_pass()
        bad = _first_non_finite(tensors)
        if bad is not None:
            self.diverged_at, self._seen = step, step
            name, value, index = bad
            self.diverged_note = (f"the network diverged at step {step} (`{name}` held {value}), so its captures "
                                  "end before it and the findings are of the network before it diverged")
            last = f"the last is step {self._last[0]}" if self._last is not None else "there are none"
            warnings.warn(
                f"the network diverged at step {step}: `{name}` holds {value} at {list(index)} (every z, a, weight "
                f"and BatchNorm statistic of a capture must be finite, docs/capture.md), so the capture of step "
                f"{step} is not written, and the Monitor captures no later step (step() and capture() return None); "
                f"report() covers the captures before it ({last}). A lower learning rate or gradient clipping keeps "
                "a network from diverging", RuntimeWarning, stacklevel=stacklevel)
            return None
        self._check_slopes(tensors)
        if epoch is None and self.steps_per_epoch:
            epoch = step / self.steps_per_epoch
        for f in self._replace:
            f.unlink(missing_ok=True)
        self._replace = []
        path = write_capture(
            path,
            model=self.model_name,
            seed=self.seed,
            step=step,
            layers=[layer.meta() for layer in self.layers],
            tensors=tensors,
            dtype=self.dtype,
            epoch=epoch,
            loss=loss,
            extra={"x-writer": f"actscope.torch {__version__}", "x-torch-version": torch.__version__,
                   "x-probe-sha256": self.probe_sha256},
        )
        self.paths.append(path)
        self._written[step] = path
        self._last, self._seen = (step, path), step
        self.timings.append(time.perf_counter() - start)
        if self._low_precision and not self._said_low_precision:
            self._said_low_precision = True
            names = ", ".join(repr(n) for n, _ in self._low_precision)
            dtypes = ", ".join(dict.fromkeys(str(d) for _, d in self._low_precision))
            warnings.warn(
                f"layer{'s' if len(self._low_precision) > 1 else ''} {names}: the activation ran in {dtypes} (a "
                f"{dtypes} model, or torch.autocast), and its output a, rounded to {dtypes}, is further from phi(z) "
                "than a capture may hold (1e-3, docs/capture.md), so `a` is not written for a known activation "
                f"(from step {step} on, whenever it runs in less than float32): analyze computes a = phi(z) from the "
                "captured z, which is exact; for an unknown one, a and phi' are computed in float32 from z. z, the "
                "weights and the gradients are the pass's own", UserWarning, stacklevel=stacklevel)
        return path

    def _check_slopes(self, tensors: Dict[str, Any]) -> None:
        """Refuses a capture whose phi' of an unknown activation exceeds its sup phi' (``dphi_max``), as
        ``actscope analyze`` would, but now, not after training: saturation is measured against it."""
        for i, layer in enumerate(self.layers or []):
            d = tensors.get(f"layers.{i}.dphi")
            if layer.dphi_max is None or d is None or d.size == 0:
                continue
            top = float(d.max())
            if top > layer.dphi_max * (1.0 + 1e-6):
                given = "given in dphi_max" if layer.name in self.dphi_max else "estimated on a grid"
                raise ValueError(f"layer {layer.name!r}: phi' reaches {top:g} on the probe batch, above its sup phi' "
                                 f"{layer.dphi_max:g} ({given}), which saturation is measured against; pass "
                                 f"dphi_max={{{layer.name!r}: value}} of at least the activation's largest slope")

    def report(self, out_dir=None, formats: Sequence[str] = ("png", "svg")) -> Analysis:
        """Runs ``actscope analyze`` on every capture written so far (in-process: the same Rust code as the
        command) and returns what it wrote: records, figures and ``diagnosis.{html,md}`` under ``out_dir``
        (default: ``<out_dir of the captures>/report``). A model that gets no figures (its layers do not
        share one known activation and BN placement) is said so in a warning, as :func:`actscope.analyze`
        does."""
        if not self.paths:
            if self.diverged_at is not None:
                raise RuntimeError(f"no captures: the network had diverged by step {self.diverged_at}, the first "
                                   "it was to capture (see the warning then); nothing to report")
            raise RuntimeError("no captures yet: call monitor.step(step) or monitor.capture(step) first")
        # A step captured again (resuming from a checkpoint whose step the earlier run had captured) is one file.
        files = list(dict.fromkeys(self.continued + self.paths))
        # No capture can hold a divergence (every value of one is finite): the report says it from here.
        notes = [] if self.diverged_at is None else [(self.model_name, self.seed, self.diverged_note)]
        return _analyze_files(files, out_dir if out_dir is not None else self.out_dir / "report", formats,
                              stacklevel=3, notes=notes)

    def _probe_pass(self) -> Tuple[float, Dict[str, torch.Tensor]]:
        """One train-mode forward and backward pass over the probe batch, leaving the model as it was."""
        model = self.model
        modes = [(m, m.training) for m in model.modules()]
        # Every buffer, restored after the pass: BatchNorm's running statistics, and any other state a
        # train-mode forward updates (a spectral-norm parametrization's power-iteration vectors, say).
        buffers = [(b, b.clone()) for b in model.buffers()]
        # Each BatchNorm's running statistics from before the pass, for the capture: the snapshots above.
        saved = {id(b): c for b, c in buffers}
        running = {
            m: (saved[id(m.running_mean)], saved[id(m.running_var)])
            for m in model.modules()
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats and m.running_mean is not None
        }
        inplace = [(m, m.inplace) for m in model.modules() if getattr(m, "inplace", False) is True]
        grad_flags = [(p, p.requires_grad) for p in model.parameters()]
        # A module compiled in place (module.compile()) runs eagerly for the pass, so that hooks see it.
        compiled = [(m, m._compiled_call_impl) for m in model.modules()
                    if getattr(m, "_compiled_call_impl", None) is not None]
        trace = _Trace(model, self.activation_types, watch_all=self.layers is None)
        try:
            # `cached`: a parametrized weight (weight_norm, spectral_norm) is computed once, so the tensor the
            # forward used is the one `_gather` reads `.weight` as and differentiates the loss by; without it
            # each access recomputes a tensor outside the graph, whose gradient came back as zeros.
            with _forked_rng(self.device), torch.enable_grad(), parametrize.cached():
                for m, _ in compiled:
                    m._compiled_call_impl = None
                # Train mode (BatchNorm uses the probe batch's statistics; a forward that branches on
                # self.training takes its training branch) with the modules that only add noise turned off.
                model.train()
                for m in model.modules():
                    if isinstance(m, _NOISE):
                        m.eval()
                for m, _ in inplace:
                    m.inplace = False  # an in-place activation would overwrite z with a
                for p, _ in grad_flags:
                    p.requires_grad_(True)  # dL/dW exists for frozen layers too
                if self.layers is None:
                    try:
                        out = model(self.x)
                    except torch.cuda.OutOfMemoryError:
                        raise
                    except (RuntimeError, ValueError) as e:
                        bn = any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
                        hint = (" (BatchNorm in train mode, as the probe pass runs it, needs at least 2 examples: "
                                "use a larger probe batch, e.g. 1,000 validation examples)"
                                if bn and self.x.shape[0] < 2 else "")
                        raise ValueError(f"probe_batch: the model's forward pass on x of shape {tuple(self.x.shape)} "
                                         f"({self.x.dtype}) failed: {e}; expected examples the model takes"
                                         f"{hint}") from e
                    if not torch.is_tensor(out) and self.loss_fn is torch.nn.functional.cross_entropy:
                        raise ValueError(f"model: its forward pass returned {type(out).__name__}, not a tensor, "
                                         "which the default loss (cross_entropy) cannot take; pass a loss_fn that "
                                         "takes what the model returns, e.g. lambda out, y: "
                                         "torch.nn.functional.cross_entropy(out[0], y)")
                    try:
                        loss = self.loss_fn(out, self.y)
                    except (RuntimeError, IndexError, ValueError) as e:
                        got = tuple(out.shape) if torch.is_tensor(out) else type(out).__name__
                        raise ValueError(f"probe_batch: the loss of the model's output {got} against y of "
                                         f"shape {tuple(self.y.shape)} ({self.y.dtype}) failed: {e}; expected the "
                                         "targets loss_fn takes (class indices for the default cross_entropy)") from e
                else:
                    out = model(self.x)
                    loss = self.loss_fn(out, self.y)
                if not (torch.is_tensor(loss) and loss.numel() == 1):
                    shape = tuple(loss.shape) if torch.is_tensor(loss) else type(loss).__name__
                    raise ValueError(f"loss_fn: returned {shape}; expected the mean loss over the batch, a tensor "
                                     "with one element (reduction='mean', not 'none')")
                if not loss.requires_grad:
                    raise ValueError("loss_fn: returned a tensor without a graph (detached, or computed under "
                                     "no_grad), so no gradient reaches the layers; expected the loss computed from "
                                     "the model's output")
                first = self.layers is None
                if first:
                    # A weight applied outside any module the hooks see first: the plan of the modules that
                    # did run would blame what is left of that layer.
                    _refuse_hidden_layers(model, loss, trace.ran)
                    self.layers = _plan(model, trace.calls, self.dphi_max, trace.unsupported, trace.mixing, trace.others)
                try:
                    _check_flow(model, self.layers, trace.calls, trace.versions, trace.others)
                    tensors = self._gather(trace.calls, loss, running)
                    if first:
                        # After the gathering: these passes recompute what forward pre-hooks set (a pruned
                        # Linear's weight), without a graph.
                        trace.remove()
                        _refuse_randomness(model, self.x, self.y, self.loss_fn, float(loss.detach()), self.device)
                except BaseException:
                    if first:
                        self.layers = None  # planned again, and checked again, at the next capture
                    raise
                return float(loss.detach()), tensors
        finally:
            trace.remove()
            for m, impl in compiled:
                m._compiled_call_impl = impl
            for m, mode in modes:
                m.training = mode
            with torch.no_grad():
                for b, saved in buffers:
                    b.copy_(saved)
            for m, flag in inplace:
                m.inplace = flag
            for p, flag in grad_flags:
                p.requires_grad_(flag)

    def _gather(self, calls, loss: torch.Tensor, running) -> Dict[str, Any]:
        """The capture's tensors from one probe pass, copied to the host; ``running`` holds each BatchNorm's
        running statistics from before the pass."""
        io = {m: (x, y) for m, x, y in calls}
        hidden = self.layers[:-1]
        zs = [io[layer.activation][0] for layer in hidden]
        wrt: List[torch.Tensor] = list(zs)
        for layer in self.layers:
            wrt.append(layer.linear.weight)
            if layer.linear.bias is not None:
                wrt.append(layer.linear.bias)
        # phi'(z) of unknown activations, from the graph: d(sum a)/dz is phi' entry by entry for an
        # element-wise phi.
        self._low_precision = []
        dphi, outputs = {}, {}
        for i, layer in enumerate(hidden):
            z, a = io[layer.activation]
            if a.dtype not in _FULL:
                self._low_precision.append((layer.name, a.dtype))
            if layer.activation_name == "unknown":
                if a.dtype in _FULL:
                    outputs[i] = a
                    (dphi[i],) = torch.autograd.grad(a.sum(), z, retain_graph=True)
                else:
                    outputs[i], dphi[i] = _phi_in_float32(layer.activation, z)
        grads = iter(torch.autograd.grad(loss, wrt, allow_unused=True))
        t: Dict[str, torch.Tensor] = {}

        def put(name, tensor):
            t[name] = tensor.detach()

        for i, (layer, z) in enumerate(zip(hidden, zs)):
            put(f"layers.{i}.z", z)
            a = io[layer.activation][1]
            if layer.activation_name == "unknown":
                put(f"layers.{i}.a", outputs[i])
            elif self.save_a and a.dtype in _FULL:
                # In bfloat16 / float16 (a model in that dtype, or autocast), a is rounded further from phi(z)
                # than the reader allows (docs/capture.md): left out, analyze computes phi(z) from z.
                put(f"layers.{i}.a", a)
            if i in dphi:
                put(f"layers.{i}.dphi", dphi[i])
            g = _required(next(grads), f"dL/dz of layer {layer.name!r}")
            put(f"layers.{i}.grad_z", g)
        for i, layer in enumerate(self.layers):
            gw = _required(next(grads), f"dL/dW of Linear {layer.name!r}")
            put(f"layers.{i}.weight", layer.linear.weight)
            put(f"layers.{i}.grad_weight", gw)
            if layer.linear.bias is not None:
                put(f"layers.{i}.grad_bias", _required(next(grads), f"dL/db of Linear {layer.name!r}"))
            bn = layer.batch_norm
            if bn is not None:
                var, mean = torch.var_mean(io[bn][0].detach(), dim=0, correction=0)
                put(f"layers.{i}.bn.mean", mean)
                put(f"layers.{i}.bn.var", var)
                if bn in running:
                    put(f"layers.{i}.bn.running_mean", running[bn][0])
                    put(f"layers.{i}.bn.running_var", running[bn][1])
                if bn.affine:
                    put(f"layers.{i}.bn.gamma", bn.weight)
                    put(f"layers.{i}.bn.beta", bn.bias)
        return _to_host(t, torch.float64 if self.dtype == "f64" else torch.float32)


def _fingerprint(*tensors: torch.Tensor) -> str:
    """SHA-256 over each tensor's shape, dtype and bytes (on the host, C order)."""
    h = hashlib.sha256()
    for t in tensors:
        t = t.detach().to("cpu").contiguous()
        h.update(f"{tuple(t.shape)} {t.dtype};".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _whole_step(step) -> int:
    """``step`` as a whole number of updates (an int, or a whole float or 0-d tensor); a fractional (10.7) or
    non-finite one is refused rather than cut, and text or a bool is not a count."""
    if isinstance(step, (str, bytes, bool)):
        raise TypeError(f"step: expected the number of updates done (an int), got {step!r}")
    try:
        whole = int(step)
    except (ValueError, OverflowError):
        raise ValueError(f"step: expected a whole number of updates, got {step!r}") from None
    except TypeError:
        raise TypeError(f"step: expected the number of updates done (an int), got {step!r}") from None
    if whole != step:
        raise ValueError(f"step: expected a whole number of updates, got {step!r}")
    if whole >= 2**64:
        raise ValueError(f"step: expected a number of updates below 2**64 (docs/capture.md), got {step!r}")
    return whole


def _earlier_captures(out_dir: Path, model_name: str, seed: int) -> List[Path]:
    """Capture files of this model and seed already in ``out_dir``, by their metadata (``model`` exactly,
    ``seed``), never by their file names: another model's captures are not this model's, whatever their
    names."""
    if not out_dir.is_dir():
        return []
    found = []
    for p in sorted(out_dir.glob("*.safetensors")):
        if not p.is_file() or p.name.startswith("."):
            continue
        meta = read_metadata(p)
        if meta is None or meta.get("format") != FORMAT or meta.get("model") != model_name:
            continue
        try:
            if int(meta.get("seed", "")) == seed:
                found.append(p)
        except ValueError:
            continue
    return found


def _first_non_finite(tensors: Dict[str, Any]) -> Optional[Tuple[str, float, Tuple[int, ...]]]:
    """The first non-finite value among the tensors a capture must hold finite (all but the gradients, as
    docs/capture.md says), as (tensor name, value, index); weights first (the cause), then BatchNorm's, then
    z, a and phi'."""
    def rank(name: str) -> int:
        kind = name.split(".", 2)[2]
        return 0 if kind == "weight" else 1 if kind.startswith("bn.") else 2

    for name in sorted((n for n in tensors if not n.split(".", 2)[2].startswith("grad_")), key=rank):
        v = tensors[name]
        bad = ~np.isfinite(v)
        if bad.any():
            index = np.unravel_index(int(np.argmax(bad)), v.shape)
            return name, float(v[index]), tuple(int(i) for i in index)
    return None


def _to_host(tensors: Dict[str, torch.Tensor], dtype: torch.dtype) -> Dict[str, Any]:
    """Copies the tensors to the host as C-ordered NumPy arrays of ``dtype``: all copies are queued
    without waiting (pinned memory on CUDA), then one synchronisation."""
    out = {}
    cuda = any(v.is_cuda for v in tensors.values())
    for k, v in tensors.items():
        wide = v
        v = v.to(dtype)
        if wide.dtype == torch.float64 and dtype == torch.float32:
            # A finite value beyond float32's range would become infinite in the capture and read as a network
            # that diverged (a weight) or a gradient that overflowed, neither of which happened.
            lost = torch.isfinite(wide) & ~torch.isfinite(v)
            if bool(lost.any()):
                index = tuple(int(i) for i in lost.nonzero()[0])
                raise ValueError(f"dtype='f32': `{k}` holds {wide[index].item()} at {list(index)}, a finite value "
                                 "beyond float32's range; pass dtype='f64' (a float64 model's default)")
        if v.is_cuda:
            host = torch.empty(v.shape, dtype=dtype, pin_memory=True)
            host.copy_(v, non_blocking=True)
            out[k] = host
        else:
            out[k] = v.contiguous()
    if cuda:
        torch.cuda.synchronize()
    return {k: v.numpy() for k, v in out.items()}
