#!/usr/bin/env bash
# Provisions the Python test venv of tests/python/run.sh: ${ACTSCOPE_VENV:-$HOME/.cache/actscope/venv} with
# the pinned packages of python/requirements-ci.txt (torch, numpy, safetensors, maturin, pytest, tensorboard).
# Idempotent and quick when up to date: the venv holds the SHA-256 of the requirements it was made from and is
# reinstalled only when that file changed (or the venv is broken). A first install downloads torch with its
# CUDA libraries from PyPI: ~5.5 GB on disk, about a minute on the CI machine.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${ACTSCOPE_VENV:-$HOME/.cache/actscope/venv}"
req=python/requirements-ci.txt
stamp="$venv/.actscope-requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && "$venv/bin/python" -c '
import importlib.util, sys
sys.exit(any(importlib.util.find_spec(m) is None for m in ("torch", "numpy", "safetensors", "pytest", "maturin", "tensorboard")))' 2>/dev/null; then
    echo "provision-python: $venv is up to date with $req"
    exit 0
fi

start=$(date +%s)
python=""
for p in python3 python3.13 python3.12 python3.11 python3.10 python3.9; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 9))' 2>/dev/null; then
        python="$p"
        break
    fi
done
if [[ -z "$python" ]]; then
    echo "provision-python: no Python >= 3.9 with venv and ensurepip; installing python3-venv with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
    python=python3
fi

echo "provision-python: making $venv with $("$python" --version) from $req (torch from PyPI: several GB, once)"
rm -f "$stamp"
"$python" -m venv "$venv"
# --no-cache-dir: a second copy of torch's wheels in pip's cache would add ~3 GB of disk for nothing.
"$venv/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
"$venv/bin/python" -m pip install --quiet --no-cache-dir --requirement "$req"
echo "$want" > "$stamp"
echo "provision-python: done in $(( $(date +%s) - start )) s ($(du -sh "$venv" | cut -f1) on disk)"
