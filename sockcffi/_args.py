"""Argument conversion: the one place a Python argument becomes a C value.

Every public function and method converts its arguments here, the way
CPython's PyArg format units and PyPy's ``unwrap_spec`` do it, with the
stdlib's exception classes.  Three rules hold for every converter:

* an integer is taken with ``operator.index`` exactly once and turned into
  an exact ``int`` before anything compares it, so an ``int`` subclass with
  lying ``<``/``>``/``__eq__`` never reaches a bounds check or C;
* a buffer's length is the length of the view handed to C, never
  ``len()`` of the caller's object;
* a buffer view is exported for one call: the caller releases it (``with``
  or :func:`release` in a ``finally``) when the call ends, error or not, so
  a failed call never leaves the caller's bytearray locked;
* a view is taken after every conversion (all caller code: iteration,
  ``__index__``, ``__len__``, addresses) and every wait, right before the
  system call that uses it: :func:`stable_buffer` checks (on PyPy copies)
  the data in its place among the arguments, :func:`export_readable`
  exports it at the call.

Text converters use ``str.encode(value, ...)`` rather than ``value.encode``
so that a ``str`` subclass cannot substitute another object for the bytes.
"""
import os
import sys
# operator.index itself, from the module operator.py re-exports: on PyPy
# operator.py is Python, and loading it is 0.6 ms of ``import sockcffi``.
from _operator import index as _index

from ._binding import ffi

__all__ = []

PYPY = sys.implementation.name == "pypy"
# Whether a buffer stays pinned while exported (its owner cannot resize or
# free it): CPython's buffer protocol guarantees it, PyPy's does not.
PINS_EXPORTS = not PYPY

C_INT_MIN = -2 ** 31
C_INT_MAX = 2 ** 31 - 1
C_UINT_MAX = 2 ** 32 - 1
SSIZE_MAX = sys.maxsize
SIZE_MAX = 2 * sys.maxsize + 1
# The default flags argument of the socket calls: ``flags is NO_FLAGS``
# holds for a plain 0 only (never for an int subclass), so the common call
# skips conversion.
NO_FLAGS = 0

_from_buffer = ffi.from_buffer
release = ffi.release

# Classes whose instances are ints with int's own comparisons and index:
# exact int, and the enums sockcffi builds itself (sockcffi.enums adds
# them).  A value of one of these is its own operator.index(), so a fast
# path may compare it and hand it to C as it is.
PLAIN_INT_CLASSES = {int}


def exact_int(value):
    """``operator.index(value)`` as an exact ``int`` (never a subclass)."""
    value = _index(value)
    if value.__class__ is not int:
        # __index__ may return an int subclass (allowed, deprecated, on
        # 3.9); int.__add__ copies it to a plain int without calling any
        # of its methods (PyPy's int.__index__ would call its __int__).
        value = int.__add__(value, 0)
    return value


def c_int(value):
    """Format unit "i": an int that fits a C int; TypeError for a
    non-integer, OverflowError out of range."""
    if value.__class__ is not int:
        value = exact_int(value)
    if value < C_INT_MIN:
        raise OverflowError("signed integer is less than minimum")
    if value > C_INT_MAX:
        raise OverflowError("signed integer is greater than maximum")
    return value


def c_int_wrapping(value):
    """PyPy's C int: any integer, reduced modulo 2**32 to the C int range
    (what PyPy's name-resolution functions do with their int arguments)."""
    value = exact_int(value)
    return ((value + 0x80000000) & 0xffffffff) - 0x80000000


def c_uint_masked(value, mask=C_UINT_MAX):
    """Format units "I"/"k"/"H"/"B": any int, silently truncated to
    ``mask`` (CPython); PyPy refuses negative values with ValueError."""
    value = exact_int(value)
    if PYPY and value < 0:
        raise ValueError("cannot convert negative integer to unsigned")
    return value & mask


def ssize(value):
    """Format unit "n": an exact int in the C ssize_t range, else
    OverflowError (the caller checks the sign with its own message)."""
    if value.__class__ is not int:
        value = exact_int(value)
    if not -SSIZE_MAX - 1 <= value <= SSIZE_MAX:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return value


# The largest bytes object CPython can make (PyBytesObject's header plus the
# trailing NUL come off PY_SSIZE_T_MAX); PyPy answers MemoryError instead.
_BYTES_MAX = SSIZE_MAX if PYPY else SSIZE_MAX - 33


def receive_size(value, negative_message):
    """The size of a receive (recv, recvfrom, recvmsg), checked as the
    stdlib checks it: OverflowError beyond C ssize_t, ValueError(
    ``negative_message``) below 0, OverflowError beyond a bytes object's
    largest size (CPython)."""
    value = ssize(value)
    if value < 0:
        raise ValueError(negative_message)
    if value > _BYTES_MAX:
        raise OverflowError("byte string is too large")
    return value


def socket_fd(value):
    """CPython's SOCKET_T conversion for dup()/close(): a C long, then
    truncated to a C int (as CPython does on Linux)."""
    value = exact_int(value)
    if not -2 ** 63 <= value < 2 ** 63:
        raise OverflowError("Python int too large to convert to C long")
    return ((value + 0x80000000) & 0xffffffff) - 0x80000000


def fd(value):
    """A file descriptor argument: an int in [0, C_INT_MAX]."""
    if isinstance(value, float):
        raise TypeError("integer argument expected, got float")
    try:
        value = exact_int(value)
    except TypeError:
        if PYPY:                # PyPy's wording, which its tests check
            raise TypeError("expected integer, got %s object"
                            % type(value).__name__) from None
        raise
    if value < 0:
        raise ValueError("negative file descriptor")
    if value > C_INT_MAX:
        raise OverflowError("file descriptor out of range")
    return value


# --- buffers -----------------------------------------------------------------

def bytes_like_error(obj):
    return TypeError("a bytes-like object is required, not '%s'"
                     % type(obj).__name__)


def writable_error(obj):
    return TypeError("a read-write bytes-like object is required, not '%s'"
                     % type(obj).__name__)


def readable_buffer(data):
    """A ``char[]`` view of a bytes-like object, without copying.  Its
    ``len()`` is the buffer's; release it when the call ends."""
    if isinstance(data, str):
        raise bytes_like_error(data)
    try:
        return _from_buffer(data)
    except TypeError:
        raise bytes_like_error(data) from None


def stable_buffer(data):
    """Format unit "y*" for a buffer that a system call reads later:
    ``data`` checked as a bytes-like object, in a form whose memory nobody
    can free before that call ends.  Exact bytes are immutable and stay as
    they are.  Where exports are pinned (CPython: resizing an exported
    bytearray raises BufferError) it is the object itself, once it has
    shown that it exports a buffer; PyPy lets a bytearray be resized while
    exported, so there anything else is copied, as PyPy's own socket does
    (another thread resizing it during the call then cannot free what the
    kernel reads).  The view is taken by :func:`export_readable` once every
    other argument is converted and any wait is over."""
    if data.__class__ is bytes:
        return data
    if PINS_EXPORTS:
        release(readable_buffer(data))
        return data
    return buffer_bytes(data)


def stable_view(data):
    """The view of ``stable_buffer(data)`` in one step, for a system call
    made at once (nothing left to convert, no wait before it).  Release it
    when the call ends."""
    if PINS_EXPORTS or data.__class__ is bytes:
        return readable_buffer(data)
    return readable_buffer(buffer_bytes(data))


def export_readable(items, error=None):
    """Views of the bytes-like objects in the list ``items`` for one system
    call, and their total length.  Take them right before the call -- no
    caller code and no wait in between -- and release them with
    :func:`release_all` when it ends; if one fails, those already taken
    are released here (TypeError(``error``) for a non-buffer, if given)."""
    views = []
    try:
        for item in items:
            views.append(readable_buffer(item))
    except TypeError:
        release_all(views)
        if error is None:
            raise
        raise TypeError(error) from None
    except BaseException:
        release_all(views)
        raise
    return views, sum(map(len, views))


def release_all(views):
    """Release every view of a list (from :func:`export_readable`)."""
    for view in views:
        release(view)


def writable_buffer(data):
    """A writable ``char[]`` view of a read-write bytes-like object.  Its
    ``len()`` is the buffer's; release it when the call ends."""
    try:
        return _from_buffer(data, require_writable=True)
    except (TypeError, BufferError):
        raise writable_error(data) from None


def writable_octets(data):
    """Format unit "w*" for a callee that takes a Python buffer (the SSL
    object's read): a writable, C-contiguous memoryview of ``data`` in
    bytes, so that its len() is the buffer's size, never ``len()`` of the
    caller's object, and nothing read-only is written into.  Release it
    (``with``) when the call ends."""
    try:
        view = memoryview(data)
    except TypeError:
        raise writable_error(data) from None
    if view.readonly or not view.c_contiguous:
        view.release()
        raise writable_error(data)
    try:
        return view.cast("B")
    finally:
        view.release()


def buffer_bytes(data):
    """The bytes of a bytes-like object (format unit "y*"), copied out
    through the buffer protocol: exact ``bytes`` as they are, anything
    else (a ``bytes`` subclass included) through a memoryview."""
    if data.__class__ is bytes:
        return data
    if isinstance(data, str) or data is None:
        raise bytes_like_error(data)
    try:
        view = memoryview(data)
    except TypeError:
        raise bytes_like_error(data) from None
    with view:
        if not view.c_contiguous:
            raise BufferError("memoryview: underlying buffer is not "
                              "C-contiguous")
        return view.tobytes()


# --- text --------------------------------------------------------------------

def c_text(value, func, argno):
    """Format unit "s": a str, UTF-8 encoded, as the NUL-terminated bytes C
    receives (embedded NUL: ValueError; PyPy cuts at the NUL instead)."""
    if not isinstance(value, str):
        if PYPY:
            raise TypeError("expected str, got %s object"
                            % type(value).__name__)
        raise TypeError("%s() argument %d must be str, not %s"
                        % (func, argno,
                           "None" if value is None else type(value).__name__))
    if PYPY:
        data = str.encode(value, "utf-8", "surrogatepass")
        end = data.find(b"\0")
        return data if end < 0 else data[:end]
    data = str.encode(value, "utf-8")
    if b"\0" in data:
        raise ValueError("embedded null character")
    return data


def fs_path(value):
    """``os.fsencode(value)`` (str, bytes or os.PathLike) as exact bytes:
    a ``bytes`` subclass is copied through the buffer protocol."""
    value = os.fspath(value)
    if isinstance(value, str):
        return os.fsencode(str.__str__(value))
    return buffer_bytes(value)
