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

# CPython (not a debug build) compiles the module against the limited API,
# so one abi3 wheel serves every CPython >= 3.9 (setup.py tags it); PyPy
# has no such API.
_LIMITED_API = (sys.implementation.name == "cpython"
                and not hasattr(sys, "gettotalrefcount"))


def _stamp() -> str:
    namespace = {}
    with open(os.path.join(HERE, "sockcffi", "_version.py")) as f:
        exec(f.read(), namespace)
    return namespace["BUILD_STAMP"]


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
    except probe.CompilerMissing as e:
        raise SystemExit("sockcffi: %s" % e)
    # The constants' typing stub, from the same probe (installed with the
    # package: setup.py's package_data).
    stubs.write(headers, constants, os.path.join(HERE, "sockcffi"))
    return render.render(headers, constants, _stamp())


def make_ffi() -> cffi.FFI:
    cdef, source = generate()
    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.set_source("sockcffi._sockcffi", source,
                   extra_compile_args=["-O2", "-w"],
                   py_limited_api=_LIMITED_API)
    return ffi


if "--emit" in sys.argv:
    outdir = sys.argv[sys.argv.index("--emit") + 1]
    os.makedirs(outdir, exist_ok=True)
    cdef, source = generate()
    for name, text in (("cdef.h", cdef), ("source.c", source)):
        with open(os.path.join(outdir, name), "w") as f:
            f.write(text)
    ffibuilder = None
else:
    _check_python_headers()
    ffibuilder = make_ffi()

if __name__ == "__main__" and ffibuilder is not None:
    ffibuilder.compile(tmpdir=HERE, verbose=False)
