"""Assemble and compile sockcffi's out-of-line API-mode cffi module.

Run by setuptools through ``cffi_modules`` (see setup.py); also runnable by
hand: ``python build_ffi.py`` builds ``sockcffi/_sockcffi*.so`` in place and
``python build_ffi.py --emit DIR`` writes the generated cdef and C source to
DIR for reading.
"""
import os
import sys

import cffi

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from gen import probe, render, stubs  # noqa: E402
from gen.bindings import BindingError  # noqa: E402

# sockcffi's own C (the bindings' CUSTOMIZATIONS and the generated tables)
# is compiled with these warnings on.  cffi's glue compiles cleanly with them
# too; it would need -Wcast-qual and -Wmissing-prototypes left off, so they
# are.  (glibc's own "AI_IDN_* is deprecated" notices still show: they come
# from the header's macros, and the names are exported all the same.)
WARNINGS = ["-Wall", "-Wextra", "-Wconversion", "-Wsign-conversion",
            "-Wshadow", "-Wformat=2", "-Wstrict-prototypes"]


def _load(relpath: str) -> dict:
    """Execute a file of the package without importing the package (its
    __init__ needs the module this script builds)."""
    namespace = {}
    with open(os.path.join(HERE, relpath)) as f:
        exec(compile(f.read(), relpath, "exec"), namespace)
    return namespace


# CPython (not a debug build) compiles the module against the limited API,
# so one abi3 wheel serves every CPython >= 3.9 (setup.py tags it); PyPy
# has no such API.
_LIMITED_API = (sys.implementation.name == "cpython"
                and not hasattr(sys, "gettotalrefcount"))


def _stamp() -> str:
    """Derived from everything the build consumes (sockcffi/_stamp.py)."""
    version = _load(os.path.join("sockcffi", "_version.py"))["__version__"]
    return _load(os.path.join("sockcffi", "_stamp.py"))["stamp"](HERE, version)


def _check_python_headers():
    import sysconfig
    include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(include, "Python.h")):
        raise SystemExit(
            "sockcffi: Python.h not found in %s; install the Python "
            "development headers (Debian/Ubuntu: apt-get install python3-dev, "
            "or pypy3-dev for PyPy)" % include)


def generate():
    try:
        headers, constants = probe.probe()
        generated = render.render(headers, constants, _stamp())
    except (probe.CompilerMissing, BindingError) as e:
        raise SystemExit("sockcffi: %s" % e)
    # The constants' typing stub, from the same probe (installed with the
    # package: pyproject.toml's package data).
    stubs.write(headers, constants, os.path.join(HERE, "sockcffi"))
    return generated


def make_ffi() -> cffi.FFI:
    cdef, source = generate()
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.set_source("sockcffi._sockcffi", source,
                   extra_compile_args=["-O2"] + WARNINGS,
                   py_limited_api=_LIMITED_API)
    return ffi


if "--emit" in sys.argv:
    outdir = sys.argv[sys.argv.index("--emit") + 1]
    cdef, source = generate()
    os.makedirs(outdir, exist_ok=True)
    for name, text in (("cdef.h", cdef), ("source.c", source)):
        with open(os.path.join(outdir, name), "w") as f:
            f.write(text)
    ffibuilder = None
else:
    _check_python_headers()
    ffibuilder = make_ffi()

if __name__ == "__main__" and ffibuilder is not None:
    ffibuilder.compile(tmpdir=HERE, verbose=False)
