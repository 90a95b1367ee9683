#!/usr/bin/env bash
# Provisions tests/browser: Debian's chromium (headless screenshots) and fontconfig (the test points it at the
# repository's own font; no system font is installed or used). Idempotent; quick when both are present.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v fc-list >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fontconfig >/dev/null
