#!/usr/bin/env bash
# Provisions tests/browser: Debian's chromium (headless screenshots) and the DejaVu Sans font the figures
# name (the same font the PNGs embed). Idempotent; quick when both are present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "DejaVu Sans:style=Book"; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig >/dev/null
