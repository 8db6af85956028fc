"""Whole-program use: sockcffi as the ``socket`` module.

:func:`patch` puts sockcffi in ``sys.modules["socket"]``, so every module
imported afterwards that does ``import socket`` (http.client, socketserver,
asyncio, selectors' users, ...) gets sockcffi, and installs sockcffi's TLS
layer (``sockcffi.tls``, where present) so that ``ssl`` works on its
sockets.  :func:`unpatch` undoes both.  Modules imported before the patch
keep the socket module they captured; ``python -m sockcffi run`` patches
before the program's first import, so nothing is imported before it.

:func:`stdlib_socket` gives the real stdlib module even while patched (for
``socket.to_stdlib()``), loading it from the stdlib under no name in
``sys.modules`` if the program never imported it, and keeping that one copy
so that its classes stay the same objects.
"""
import _imp
import sys

from ._firstuse import package as _package

__all__ = ["patch", "unpatch"]

_stdlib = None      # the real socket module, once seen or loaded


def stdlib_socket():
    """The stdlib ``socket`` module, whether or not sockcffi replaces it."""
    global _stdlib
    if _stdlib is None:
        import importlib.machinery      # here: they cost 1 ms of import
        import importlib.util
        current = sys.modules.get("socket")
        if current is not None and current is not _package():
            _stdlib = current
        else:
            spec = importlib.machinery.PathFinder.find_spec("socket")
            if spec is None:
                raise ImportError("the stdlib socket module was not found")
            module = importlib.util.module_from_spec(spec)
            # socket.py looks itself up in sys.modules (its enums are made
            # with IntEnum._convert_), so it runs in place of sockcffi for
            # the time of its import, under the global import lock.
            _imp.acquire_lock()
            try:
                sys.modules["socket"] = module
                try:
                    spec.loader.exec_module(module)
                finally:
                    if current is None:
                        del sys.modules["socket"]
                    else:
                        sys.modules["socket"] = current
            finally:
                _imp.release_lock()
            _stdlib = module
    return _stdlib


def _tls(action):
    """Call sockcffi.tls.install()/uninstall(), when that module exists."""
    from importlib import import_module
    name = __name__.rpartition(".")[0] + ".tls"
    try:
        tls = import_module(name)
    except ImportError as e:
        # Only a missing sockcffi.tls is expected; anything failing inside
        # it is a real error.
        if e.name != name:
            raise
        return
    getattr(tls, action)()


def patch():
    """patch()

    Make sockcffi the ``socket`` module of this process (for every import
    from now on) and route ``ssl`` through sockcffi's TLS layer.  Calling it
    again is harmless.
    """
    global _stdlib
    package = _package()
    current = sys.modules.get("socket")
    if current is not package:
        if current is not None and _stdlib is None:
            _stdlib = current
        sys.modules["socket"] = package
    _tls("install")


def unpatch():
    """unpatch()

    Give ``import socket`` back the stdlib module and uninstall sockcffi's
    TLS layer.  Modules imported while patched keep sockcffi.
    """
    if sys.modules.get("socket") is _package():
        if _stdlib is not None:
            sys.modules["socket"] = _stdlib
        else:
            del sys.modules["socket"]
    _tls("uninstall")
