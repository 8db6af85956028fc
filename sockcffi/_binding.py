"""The compiled cffi module, checked against the sources it was built from.

The check (see _stamp.py): in a source tree, the stamp compiled in must be
the digest of the tree's gen/ and build_ffi.py, recomputed here, so editing
a binding or a template without rebuilding makes the import fail; in an
installed package, its version must be the package's.
"""
import os
import sys

from . import _stamp
from ._version import __version__

_REBUILD = ("rebuild it from the source tree with 'pip install .' "
            "(or 'python build_ffi.py' for an in-place build)")

_HERE = os.path.dirname(os.path.abspath(__file__))
_SOURCE_ROOT = _stamp.source_root(_HERE)


def _load_on_pypy():
    """Import ``_sockcffi`` on PyPy without the loader's exec step.

    PyPy's ``ExtensionFileLoader.exec_module`` starts cpyext, its emulation
    of the C API (about 4 ms, a quarter of ``import socket``), even for a
    cffi module, which needs none: creating the module from its spec loads
    it completely.  So the module is created and registered here, the rest
    of the import protocol done by hand; anything unexpected falls back to
    the ordinary import, which also reports the errors.
    """
    from importlib.machinery import ExtensionFileLoader, PathFinder
    name = __package__ + "._sockcffi"
    spec = PathFinder.find_spec(name, [_HERE])
    if spec is None or type(spec.loader) is not ExtensionFileLoader:
        return None
    module = spec.loader.create_module(spec)
    if not hasattr(module, "lib"):     # not a cffi module after all
        return None
    module.__spec__, module.__loader__ = spec, spec.loader
    module.__file__, module.__package__ = spec.origin, __package__
    sys.modules[name] = module
    # As the import system does: the submodule is an attribute of the package.
    setattr(sys.modules[__package__], "_sockcffi", module)
    return module


try:
    _compiled = (_load_on_pypy() if sys.implementation.name == "pypy"
                 else None)
    if _compiled is not None:
        ffi, lib = _compiled.ffi, _compiled.lib
    else:
        from ._sockcffi import ffi, lib
except ImportError as e:  # never built, or built for another interpreter
    _where = ""
    if _SOURCE_ROOT:
        _where = (" (this is the source tree at %s: run from another "
                  "directory to use an installed sockcffi)" % _SOURCE_ROOT)
    raise ImportError("sockcffi's compiled module is missing or unusable "
                      "(%s)%s; %s" % (e, _where, _REBUILD)) from e

BUILD_STAMP = ffi.string(lib.sockcffi_build_stamp()).decode("ascii")


def _check_stamp():
    if _SOURCE_ROOT:
        expected = _stamp.stamp(_SOURCE_ROOT, __version__)
        fresh = BUILD_STAMP == expected
        what = "the sources in %s are %r" % (_SOURCE_ROOT, expected)
    else:
        fresh = _stamp.version_of(BUILD_STAMP) == __version__
        what = "this package is version %s" % __version__
    if not fresh:
        raise ImportError("sockcffi's compiled module is stale: built as "
                          "%r, %s; %s" % (BUILD_STAMP, what, _REBUILD))


_check_stamp()

# Binding modules compiled in (gen/bindings): a family whose headers were
# missing on the build machine is absent here, and so from the Python API.
FEATURES = frozenset(ffi.string(lib.sockcffi_features()).decode().split())

# The socket class's optional methods, decided here so that their modules
# (sockcffi.batch, sockcffi.afalg) need not be imported to know: recvmmsg
# and sendmmsg where the C library has them, sendmsg_afalg where the AF_ALG
# headers were found.
HAVE_MMSG = bool(getattr(lib, "sockcffi_have_mmsg", lambda: 0)())
HAVE_AFALG = ("alg" in FEATURES and hasattr(lib, "AF_ALG")
              and hasattr(lib, "ALG_SET_OP"))
