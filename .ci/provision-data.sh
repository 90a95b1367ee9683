#!/usr/bin/env bash
# Provisions the official Fashion-MNIST for the tests of the full-size path (tests/it/embedded_data.rs: the
# 60,000 + 10,000 images load, and the embedded subset rebuilds from them byte for byte): Debian's
# `dataset-fashion-mnist` (MIT licence, 31 MB), which installs the four IDX files under
# /usr/share/datasets/fashion-mnist. Idempotent and quick when installed; needs root (or passwordless sudo)
# and apt. Under CI those tests fail without the files; elsewhere they say loudly that they did not run.
set -euo pipefail

source "$(dirname "$0")/debian.sh"
install_debian provision-data dataset-fashion-mnist
