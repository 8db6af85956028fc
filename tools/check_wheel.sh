#!/usr/bin/env bash
# Build the sdist and the wheel with 'python -m build', then install the
# wheel into a fresh venv whose PATH has no C compiler, and use it.
#
#   bash tools/check_wheel.sh [PYTHON]      (default python3)
#
# Prints the wheel's file name; exits non-zero if any step fails.  Scratch
# files live in a temporary directory, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${1:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$PYTHON" -m venv "$work/tools"
"$work/tools/bin/pip" install -q build
"$work/tools/bin/python" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1 \
    || { tail -20 "$work/build.log"; exit 1; }
wheel=$(ls "$work"/dist/*.whl)
ls "$work"/dist/*.tar.gz >/dev/null
echo "built: $(basename "$wheel") and $(basename "$work"/dist/*.tar.gz)"

"$PYTHON" -m venv "$work/nocc"
# Only the venv on PATH: no cc, gcc or ld can be found by anything pip runs.
env PATH="$work/nocc/bin" /bin/bash -c '
    if command -v cc || command -v gcc; then echo "a compiler is on PATH"; exit 1; fi
    pip install -q "$1"
    cd / && python -c "
import shutil, sockcffi
assert shutil.which(\"cc\") is None and shutil.which(\"gcc\") is None
a, b = sockcffi.socketpair()
a.sendall(b\"ok\")
assert b.recv(2) == b\"ok\"
print(\"installed and used without a compiler:\", sockcffi.__file__)
"' _ "$wheel"
