"""The compiled cffi module, checked against the Python sources it serves."""
import os

from ._version import BUILD_STAMP

_REBUILD = ("rebuild it from the source tree with 'pip install .' "
            "(or 'python build_ffi.py' for an in-place build)")

try:
    from ._sockcffi import ffi, lib
except ImportError as e:  # never built, or built for another interpreter
    _here = os.path.dirname(os.path.abspath(__file__))
    _where = ""
    if os.path.exists(os.path.join(_here, os.pardir, "build_ffi.py")):
        _where = (" (this is the source tree at %s: run from another "
                  "directory to use an installed sockcffi)"
                  % os.path.dirname(_here))
    raise ImportError("sockcffi's compiled module is missing or unusable "
                      "(%s)%s; %s" % (e, _where, _REBUILD)) from e

_built = ffi.string(lib.sockcffi_build_stamp()).decode("ascii")
if _built != BUILD_STAMP:
    raise ImportError("sockcffi's compiled module is stale: built as %r, "
                      "these sources are %r; %s"
                      % (_built, BUILD_STAMP, _REBUILD))

# Binding modules compiled in (gen/bindings): a family whose headers were
# missing on the build machine is absent here, and so from the Python API.
FEATURES = frozenset(ffi.string(lib.sockcffi_features()).decode().split())
