#!/usr/bin/env bash
# The Python suite: builds the `actscope` package (python/, PyO3 + maturin) into the test venv and runs its
# pytest tests (python/tests/). Exit codes follow the suite contract of `cargo xtask test`: 0 passed,
# 77 a prerequisite is missing (said loudly, with how to provision it), anything else failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

venv="${ACTSCOPE_VENV:-$HOME/.cache/actscope/venv}"
missing() {
    echo "=================================================================================" >&2
    echo "tests/python: SKIPPED, prerequisite missing: $1" >&2
    echo "  provision the venv with: .ci/provision-python.sh   (ACTSCOPE_VENV=$venv)" >&2
    echo "=================================================================================" >&2
    exit 77
}
[[ -x "$venv/bin/python" ]] || missing "no Python venv at $venv"
for module in torch numpy safetensors pytest maturin tensorboard; do
    "$venv/bin/python" -c "import $module" 2>/dev/null || missing "the venv at $venv lacks the Python package '$module'"
done

export VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH"
# One environment for maturin and the reference example (built by the tests with cargo), so that PyO3's
# build script does not rerun between them. CARGO_INCREMENTAL is left as `cargo test` had it: it is part of
# what cargo compares, and a different value would compile the workspace's crates again.
export PYO3_PYTHON="$venv/bin/python" PYO3_BUILD_EXTENSION_MODULE=1

start=$(date +%s)
# The CLI binary, for the tests that run it (the TensorBoard export read back by TensorBoard's reader), and the
# package's extension module, both reusing what `cargo test --workspace` (run first by `cargo xtask test`)
# built: the CLI in the test profile with the whole workspace's features is that build's own binary (the
# reference binary conftest.py builds, which has no tests, is one small crate more), and the extension module
# is built in the dev profile, whose dependencies are the test profile's (only the workspace's crates are
# compiled again, unoptimised: ~30 s). Built in release, they were two builds of their own (1 min 48 s and
# 3 min 25 s of CI on a Zen 3 core, 2026-12-07): cargo merges features per build, and the extension's (PyO3
# asks syn for more) differ from the CLI's. Users install the package with `maturin develop --release` or
# pip (python/README.md).
echo "== tests/python: cargo build --profile test --workspace --bin actscope"
cargo build -q --profile test --workspace --bin actscope ||
    { echo "tests/python: building the actscope CLI failed" >&2; exit 1; }
target="${CARGO_TARGET_DIR:-target}"
[[ "$target" = /* ]] || target="$(pwd)/$target"
export ACTSCOPE_BIN="${ACTSCOPE_BIN:-$target/debug/actscope}"
echo "== tests/python: maturin develop (python/, dev profile)"
(cd python && maturin develop --quiet) || { echo "tests/python: building the package failed" >&2; exit 1; }
echo "== tests/python: pytest (built in $(( $(date +%s) - start )) s)"
"$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider "$@"
rc=$?
echo "== tests/python: $(( $(date +%s) - start )) s in all"
exit $rc
