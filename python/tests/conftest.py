"""Shared fixtures: the repository's paths, the Rust reference binary, the embedded Fashion-MNIST subset."""

from __future__ import annotations

import gzip
import json
import math
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FASHION = ROOT / "crates" / "data" / "data" / "fashion-mnist-subset"


def same_bits(a, b) -> bool:
    """Two floats (or None for NaN, as JSON writes it) are the same f64, bit for bit (all NaNs alike)."""
    a = math.nan if a is None else float(a)
    b = math.nan if b is None else float(b)
    if math.isnan(a) and math.isnan(b):
        return True
    return struct.pack("<d", a) == struct.pack("<d", b)


def assert_same_bits(got, want, what: str):
    """Asserts equal bits over nested lists/tuples of floats."""
    if isinstance(want, (list, tuple)):
        assert isinstance(got, (list, tuple)) and len(got) == len(want), f"{what}: {got!r} vs {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same_bits(g, w, f"{what}[{i}]")
    else:
        assert same_bits(got, want), f"{what}: Python {got!r} != Rust {want!r}"


@pytest.fixture(scope="session")
def reference_bin() -> Path:
    """The `actscope-reference` binary (python/reference/), built with cargo: the crates' results computed
    without the extension module."""
    # The test profile with the whole workspace's features, on the dependencies `cargo test --workspace` built.
    cmd = ["cargo", "build", "--profile", "test", "--workspace", "--bin", "actscope-reference", "--quiet",
           "--message-format=json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} failed:\n{out.stderr[-4000:]}")
    for line in out.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "actscope-reference" and msg.get("executable"):
            return Path(msg["executable"])
    pytest.fail("cargo built no `actscope-reference` executable")


def run_reference(binary: Path, *args: str, stdin: str | None = None):
    out = subprocess.run([str(binary), *args], input=stdin, capture_output=True, text=True)
    assert out.returncode == 0, f"reference {' '.join(args)}: {out.stderr}"
    return json.loads(out.stdout)


def read_idx_gz(path: Path) -> np.ndarray:
    """An IDX file (gzip, u8): the embedded subset's format (crates/data/src/idx.rs)."""
    data = gzip.decompress(path.read_bytes())
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    assert zero == 0 and dtype == 0x08, f"{path}: expected a u8 IDX file"
    dims = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="session")
def fashion():
    """The embedded Fashion-MNIST subset as (train images, train labels, test images, test labels), images
    scaled to [0, 1] as actscope loads them, flattened to 784 features."""
    def images(name):
        return (read_idx_gz(FASHION / name).reshape(-1, 28 * 28).astype(np.float32) / 255.0)

    def labels(name):
        return read_idx_gz(FASHION / name).astype(np.int64)

    return (images("train-images-idx3-ubyte.gz"), labels("train-labels-idx1-ubyte.gz"),
            images("t10k-images-idx3-ubyte.gz"), labels("t10k-labels-idx1-ubyte.gz"))


@pytest.fixture(scope="session")
def threads():
    """Keeps torch to the CI machine's two cores."""
    import torch

    torch.set_num_threads(min(2, os.cpu_count() or 1))
