#!/usr/bin/env bash
# Install what the tests need and run the whole suite under CPython and PyPy.
#
#   bash tools/run_tests.sh [pytest args...]
#
# Builds sockcffi with 'pip install .[test]' into two fresh virtual
# environments, .venv-cpython (python3) and .venv-pypy (Debian's pypy3,
# installed with apt-get when absent, as are libbluetooth-dev for the
# AF_BLUETOOTH family, the cross compilers the probe and matrix tests use,
# chromium for the matrix page and iproute2 for 'ss'), then runs the linter (ruff, configured in pyproject.toml) and
# pytest in each.  Exits non-zero if any of them fails.  CI (.ci/run) calls
# exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
PYPY=${PYPY:-pypy3}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_system_packages() {
    # The BlueZ headers are optional for the build; CI wants them so that
    # the AF_BLUETOOTH family is compiled in and tested.
    local packages=()
    # pypy3-lib-testsuite brings PyPy's test_socket.py for the conformance
    # test; pypy3-dev its Python.h.
    if ! command -v "$PYPY" >/dev/null || ! "$PYPY" -c 'import venv' 2>/dev/null \
        || [ -z "$(ls /usr/lib/pypy3*/include/Python.h /usr/include/pypy3*/Python.h 2>/dev/null)" ] \
        || [ -z "$(ls /usr/lib/pypy3*/test/test_socket.py 2>/dev/null)" ]; then
        packages+=(pypy3 pypy3-dev pypy3-venv pypy3-lib-testsuite)
    fi
    if [ ! -e /usr/include/bluetooth/bluetooth.h ]; then
        packages+=(libbluetooth-dev)
    fi
    # Cross compilers and their headers for 'sockcffi probe --target' and
    # 'sockcffi matrix' (tests/test_targets.py, tests/test_matrix.py): the
    # Linux ABIs that differ most (SOL_SOCKET and the SO_* numbers of
    # mips/alpha/hppa/sparc64, powerpc's) and the usual ones, each as
    # Debian's gcc-<triple>, libc6-dev-<arch>-cross and
    # linux-libc-dev-<arch>-cross; musl-gcc from musl-tools.  All of them
    # take about 1.5 min to install here.
    local triple arch
    for triple in mips-linux-gnu:mips aarch64-linux-gnu:arm64 \
            alpha-linux-gnu:alpha hppa-linux-gnu:hppa \
            sparc64-linux-gnu:sparc64 powerpc64le-linux-gnu:ppc64el \
            s390x-linux-gnu:s390x riscv64-linux-gnu:riscv64; do
        arch=${triple#*:} triple=${triple%:*}
        command -v "$triple-gcc" >/dev/null || packages+=("gcc-$triple")
        [ -e "/usr/$triple/include/sys/socket.h" ] \
            || packages+=("libc6-dev-$arch-cross")
        [ -e "/usr/$triple/include/linux/can.h" ] \
            || packages+=("linux-libc-dev-$arch-cross")
    done
    command -v musl-gcc >/dev/null || packages+=(musl-tools)
    # Windows targets: mingw-w64's cross compilers bring the Winsock
    # headers.  The -win32 flavours are the compilers themselves; the
    # gcc-mingw-w64-<arch> packages add a posix-threads flavour the probe
    # does not need (twice the download).  About 45 s.
    local mingw
    for mingw in x86_64:x86-64 i686:i686; do
        command -v "${mingw%:*}-w64-mingw32-gcc" >/dev/null \
            || packages+=("gcc-mingw-w64-${mingw#*:}-win32")
    done
    # Headless Chromium renders the matrix's HTML page
    # (tests/test_matrix_page.py).  About 2 min.
    command -v chromium >/dev/null || packages+=(chromium)
    # ss (iproute2): tests/test_options.py checks TCP_INFO against 'ss -ti'.
    if ! command -v ss >/dev/null; then
        packages+=(iproute2)
    fi
    if [ ${#packages[@]} -eq 0 ]; then
        return
    fi
    echo "== installing ${packages[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        "${packages[@]}" >/dev/null
}

make_venv() {  # make_venv DIR INTERPRETER
    local dir=$1 interp=$2
    rm -rf "$dir"
    "$interp" -m venv "$dir"
    # pip builds in ./build: start clean, so no file of an earlier build
    # (or of the other interpreter) ends up in this wheel.
    rm -rf build
    "$dir/bin/python" -m pip install -q --upgrade pip >/dev/null
    echo "== $("$dir/bin/python" -c 'import sys; print(sys.implementation.name, sys.version.split()[0])'): pip install .[test]"
    local start=$SECONDS
    "$dir/bin/python" -m pip install -q ".[test]"
    echo "== built and installed in $((SECONDS - start)) s"
}

ensure_system_packages
make_venv .venv-cpython "$PYTHON"
make_venv .venv-pypy "$PYPY"

# The cross-target probe tests (and the matrix page's browser test) fail,
# rather than skip, without their compilers: this script has just installed
# them.
export SOCKCFFI_REQUIRE_CROSS=1
# No __pycache__ written by the run itself: anything new in the repository
# afterwards is a test's stray file (tools/stray_files.py).
export PYTHONDONTWRITEBYTECODE=1
repo=$PWD
# pytest runs from an empty folder of its own, so the suite passes from any
# working directory and a file made relative to it shows up.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/cwd"
# hypothesis keeps its example database in the run's folder, not the cwd.
export HYPOTHESIS_STORAGE_DIRECTORY=$work/hypothesis
.venv-cpython/bin/python tools/stray_files.py snapshot "$work/state.json" \
    --repo "$repo" --cwd "$work/cwd"
# Test paths given on the command line are the repository's.
args=() paths=0
for arg in "$@"; do
    if [[ $arg != -* && $arg != /* && -e "$repo/${arg%%::*}" ]]; then
        arg=$repo/$arg
    fi
    [[ $arg == /* ]] && paths=1
    args+=("$arg")
done
[ $paths = 1 ] || args+=("$repo/tests")
status=0
echo "== ruff check"
.venv-cpython/bin/ruff check --no-cache . || status=1
for venv in .venv-cpython .venv-pypy; do
    echo "== pytest under $venv"
    # The venv's pytest script (not 'python -m pytest', which puts the
    # source tree first on sys.path) tests the installed, compiled package.
    (cd "$work/cwd" && "$repo/$venv/bin/pytest" -c "$repo/pyproject.toml" \
        --rootdir "$repo" "${args[@]}") || status=1
    echo "== files left outside temporary folders"
    .venv-cpython/bin/python tools/stray_files.py check "$work/state.json" \
        || status=1
done
exit $status
