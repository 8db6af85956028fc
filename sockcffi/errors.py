"""The socket exceptions and the one place that turns C errors into them."""
import os
import sys

from ._binding import ffi, lib

error = OSError


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
