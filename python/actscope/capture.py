"""Writing captures: one safetensors file per checkpoint, as ``docs/capture.md`` (version 1) specifies.

:class:`actscope.torch.Monitor` writes captures of a PyTorch model through :func:`write_capture`; any other
framework can call it directly with NumPy arrays. ``actscope.analyze`` (the Rust reader) checks every rule of
the format and refuses a file that breaks one, naming the file and the tensor or field.

>>> layers = [hidden_layer("fc1", 4, "relu", "none"), output_layer("fc2", 2)]   # doctest: +SKIP
>>> write_capture("run/tiny-seed0-step00000000.safetensors", model="tiny", seed=0, step=0,
...               layers=layers, tensors={...})                                 # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import os
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import numpy as np

#: The capture format version this package writes.
CAPTURE_VERSION = 1

#: The ``format`` metadata value.
FORMAT = "actscope.capture"

_DTYPES = {"f32": np.float32, "f64": np.float64}


def hidden_layer(name: str, units: int, activation: str, bn: str, dphi_max: Optional[float] = None) -> Dict[str, Any]:
    """The ``layers`` entry of a hidden layer: Linear -> activation with BatchNorm placed as ``bn`` says
    (``none``, ``before`` or ``after``). ``activation`` is an actscope name, or ``unknown`` with ``dphi_max``
    (sup phi') and the tensors ``layers.<i>.dphi`` and ``layers.<i>.a``."""
    entry: Dict[str, Any] = {"name": name, "kind": "hidden", "units": _units(name, units), "activation": activation}
    if activation == "unknown":
        if dphi_max is None or not math.isfinite(dphi_max) or dphi_max <= 0:
            raise ValueError(f"layer {name!r}: an unknown activation needs dphi_max, a finite sup phi' > 0; got {dphi_max}")
        entry["dphi_max"] = float(dphi_max)
    elif dphi_max is not None:
        # It had been dropped without a word: a known activation's slope is actscope's own.
        raise ValueError(f"layer {name!r}: dphi_max is for activation 'unknown'; {activation!r} has its own slope")
    entry["bn"] = bn
    return entry


def output_layer(name: str, units: int) -> Dict[str, Any]:
    """The ``layers`` entry of the output layer (the last Linear, no activation)."""
    return {"name": name, "kind": "output", "units": _units(name, units)}


def _units(name: str, units) -> int:
    """A layer's width: an integer >= 1 (2.7 had been cut to 2)."""
    return _integer(f"layer {name!r}: units", units, 1)


def capture_file_name(model: str, seed: int, step: int) -> str:
    """The suggested file name ``<model>-seed<seed>-step<8 digits>.safetensors``. Characters other than
    letters, digits, ``.``, ``_`` and ``-`` in the model name become ``_``, and a name changed that way gets
    ``-`` and the first 8 hex digits of the SHA-256 of the exact name (UTF-8) appended, so that two models
    whose names differ only in such characters (``lr=0.1``, ``lr 0.1``) never share a file. A name longer
    than 100 characters keeps its first 100, with the same digest appended (a 240-character name had made a
    file name too long for the file system, at the first capture). ``seed`` and ``step`` are integers from 0
    (a negative step had given ``step-0000005``, and 5.0 a format error)."""
    seed, step = _whole("seed", seed), _whole("step", step)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", model)
    if safe != model or not safe or len(safe) > 100:
        digest = hashlib.sha256(model.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        safe = f"{(safe or 'model')[:100]}-{digest}"
    return f"{safe}-seed{seed}-step{step:08d}.safetensors"


def read_metadata(path) -> Optional[Dict[str, str]]:
    """The ``__metadata__`` map of a safetensors file (a capture's ``model``, ``seed``, ``step``...), read
    from its header alone; None when the file cannot be read or is not a safetensors file."""
    try:
        with open(path, "rb") as f:
            size = f.read(8)
            if len(size) != 8:
                return None
            n = int.from_bytes(size, "little")
            if n > 100_000_000:
                return None
            header = json.loads(f.read(n))
    except (OSError, ValueError):
        return None
    meta = header.get("__metadata__") if isinstance(header, dict) else None
    return meta if isinstance(meta, dict) else None


def _number(x: float) -> str:
    """A float as the metadata writes it: shortest round-trip decimal, ``NaN``, ``inf`` or ``-inf``."""
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def check_epoch(epoch) -> Optional[float]:
    """``epoch`` as the metadata holds it: None, or a finite number >= 0 (a negative, NaN or infinite epoch had
    been written, and ``actscope analyze`` then refused every capture of the run). Any real number type
    converts (Python, NumPy, a one-element tensor); a string or a bool is a ``TypeError``."""
    if epoch is None:
        return None
    what = "epoch: expected a finite number >= 0 (epochs done, fractional)"
    if isinstance(epoch, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{what}, got {epoch!r}")
    try:
        value = float(epoch)
    except (TypeError, ValueError):
        raise TypeError(f"{what}, got {epoch!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{what}, got {epoch!r}")
    return value


def check_model_name(model) -> str:
    """``model`` as the metadata holds it: a string with more than spaces (the reader trims the name, so one of
    spaces only had been written and then refused as empty by ``actscope analyze``)."""
    if not isinstance(model, str):
        raise TypeError(f"model: expected a non-empty model name (a string), got {model!r}")
    if not model.strip():
        raise ValueError(f"model: expected a non-empty model name (not only spaces), got {model!r}")
    return model


def _integer(what: str, value, low: int, high: Optional[int] = None) -> int:
    """``value`` as an int from ``low`` (to below ``high``): any integer type (Python, NumPy, a one-element
    integer tensor) but a bool; another type is a ``TypeError`` (1.5 and True had been written as 1), a value
    out of range a ``ValueError``."""
    expected = f"{what}: expected an integer from {low}" + (" to 2**64 - 1" if high == 2**64 else " up")
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{expected}, got {value!r}")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{expected}, got {value!r}") from None
    if v < low or (high is not None and v >= high):
        raise ValueError(f"{expected}, got {value!r}")
    return v


def _whole(name: str, value) -> int:
    """A seed or step: an integer from 0 to 2**64 - 1 (2**64 had been refused only by ``actscope analyze``)."""
    return _integer(name, value, 0, 2**64)


def write_capture(
    path,
    *,
    model: str,
    seed: int,
    step: int,
    layers: List[Mapping[str, Any]],
    tensors: Mapping[str, Any],
    dtype: str = "f32",
    epoch: Optional[float] = None,
    loss: Optional[float] = None,
    extra: Optional[Mapping[str, str]] = None,
) -> Path:
    """Writes one capture to ``path`` (atomically: a temporary file beside it, then a rename) and returns
    the path. A file already at ``path`` is replaced, whatever it holds: :class:`actscope.torch.Monitor` is
    the writer that checks first.

    ``tensors`` maps the names of ``docs/capture.md`` (``layers.0.z``, ``layers.0.weight``, ...) to arrays,
    converted to ``dtype`` (``f32`` or ``f64``) and C order. ``extra`` adds free metadata; its keys must
    start with ``x-``.
    """
    from safetensors.numpy import save_file

    if dtype not in _DTYPES:
        raise ValueError(f"dtype: expected 'f32' or 'f64', got {dtype!r}")
    check_model_name(model)
    seed, step, epoch = _whole("seed", seed), _whole("step", step), check_epoch(epoch)
    meta = {
        "format": FORMAT,
        "version": str(CAPTURE_VERSION),
        "model": model,
        "seed": str(seed),
        "step": str(step),
        "dtype": dtype,
        "layers": json.dumps(list(layers), separators=(",", ":")),
    }
    if epoch is not None:
        meta["epoch"] = _number(epoch)
    if loss is not None:
        meta["loss"] = _number(loss)
    for k, v in (extra or {}).items():
        if not k.startswith("x-"):
            raise ValueError(f"extra metadata key {k!r}: free keys must start with 'x-'")
        meta[k] = str(v)
    np_dtype = _DTYPES[dtype]
    arrays = {k: np.ascontiguousarray(v, dtype=np_dtype) for k, v in tensors.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        save_file(arrays, str(tmp), metadata=meta)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
