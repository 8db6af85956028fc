"""The socket exceptions and the one place that turns C errors into them."""
import os
import sys

from ._binding import ffi, lib

error = OSError


# One set of exception classes for both socket modules: the interpreter's
# own _socket classes (CPython and PyPy both have them), so that
# ``except socket.gaierror`` written against either module catches errors
# raised through the other.  Only without a _socket module does sockcffi
# define its own.
try:
    from _socket import gaierror, herror, timeout
except ImportError:
    class herror(OSError):
        """Address-related error from the legacy gethostby* resolver."""

    class gaierror(OSError):
        """Address-related error from getaddrinfo() and getnameinfo()."""

    if sys.version_info >= (3, 10):
        timeout = TimeoutError
    else:
        class timeout(OSError):
            """A socket operation timed out."""


def from_errno(errno=None):
    """The OSError subclass for ``errno`` (default: the C errno now)."""
    if errno is None:
        errno = ffi.errno
    return OSError(errno, os.strerror(errno))


def from_gai(code):
    """gaierror for a getaddrinfo()/getnameinfo() result code."""
    if code == lib.EAI_SYSTEM:
        return from_errno()
    return gaierror(code, ffi.string(lib.gai_strerror(code)).decode())


def from_h_errno(code):
    """herror for a gethostby*_r() h_errno value."""
    return herror(code, ffi.string(lib.hstrerror(code)).decode())


def timed_out():
    return timeout("timed out")
