"""Socket timeouts: the argument rules and the module-wide default.

A timeout is None (blocking mode), 0.0 (non-blocking mode) or a positive
float of seconds, validated as CPython validates it; ``getdefaulttimeout``
and ``setdefaulttimeout`` are the stdlib's module functions, the default
every new socket object starts with.  Waiting itself is
:mod:`sockcffi.waiting`'s.
"""
from math import ceil

from ._args import exact_int

__all__ = ["getdefaulttimeout", "setdefaulttimeout"]

_NS_LIMIT = 2 ** 63          # CPython keeps timeouts as int64 nanoseconds
# The largest whole number of seconds within that range.
_INT_SECONDS_LIMIT = _NS_LIMIT // 1000000000


def parse_timeout(value):
    """A timeout argument as seconds (float) or None, validated like
    CPython: negative -> ValueError, not a number -> TypeError, beyond the
    int64-nanosecond range -> OverflowError.  The value is rounded up to a
    whole nanosecond as CPython stores it."""
    if value is None:
        return None
    if value.__class__ is int and 0 <= value <= _INT_SECONDS_LIMIT:
        # The common call (settimeout(0), settimeout(5)) in one step: an
        # exact int has no __index__ to run, and its value is its own.
        return float(value)
    if isinstance(value, float):
        if value != value:
            raise ValueError("Invalid value NaN (not a number)")
        ns = value * 1e9
        if not -_NS_LIMIT <= ns < _NS_LIMIT:
            raise OverflowError("timestamp too large to convert to C "
                                "_PyTime_t")
        ns = ceil(ns)
    else:
        try:
            seconds = exact_int(value)
        except TypeError:
            raise TypeError("'%s' object cannot be interpreted as an integer"
                            % type(value).__name__) from None
        ns = seconds * 1000000000
        if not -_NS_LIMIT <= ns < _NS_LIMIT:
            raise OverflowError("timestamp too large to convert to C "
                                "_PyTime_t")
    if ns < 0:
        raise ValueError("Timeout value out of range")
    whole, rest = divmod(ns, 1000000000)
    return float(whole) if not rest else ns / 1e9


_default_timeout = None


def getdefaulttimeout():
    """getdefaulttimeout() -> timeout

    The timeout, in seconds, that new socket objects start with; None when
    they start in blocking mode.
    """
    return _default_timeout


def setdefaulttimeout(timeout):
    """setdefaulttimeout(timeout)

    Set the timeout (seconds as a float, or None for blocking mode) that
    socket objects created from now on start with.
    """
    global _default_timeout
    _default_timeout = parse_timeout(timeout)
