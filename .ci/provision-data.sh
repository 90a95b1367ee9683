#!/usr/bin/env bash
# Provisions the official Fashion-MNIST for the tests of the full-size path (tests/it/embedded_data.rs: the
# 60,000 + 10,000 images load, and the embedded subset rebuilds from them byte for byte): Debian's
# `dataset-fashion-mnist` (MIT licence, 31 MB), which installs the four IDX files under
# /usr/share/datasets/fashion-mnist. Idempotent and quick when installed; needs root (or passwordless sudo)
# and apt. Under CI those tests fail without the files; elsewhere they say loudly that they did not run.
set -euo pipefail

package=dataset-fashion-mnist
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    echo "provision-data: $package is installed"
    exit 0
fi
as_root=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        echo "provision-data: needs root (or passwordless sudo) to install $package" >&2
        exit 1
    fi
fi
command -v apt-get >/dev/null || { echo "provision-data: no apt-get; install $package by hand" >&2; exit 1; }
echo "provision-data: installing $package"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (fresh container) or stale: update once, then install.
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$package" >/dev/null
