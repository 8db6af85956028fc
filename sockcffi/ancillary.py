"""Ancillary data (control messages) for sendmsg() and recvmsg().

``CMSG_LEN`` and ``CMSG_SPACE`` are the module functions of the stdlib; the
rest is the plumbing the socket methods use:

* :func:`build_control` turns sendmsg()'s ``[(level, type, data), ...]`` into
  a zeroed control buffer laid out with CMSG_SPACE() strides;
* :func:`parse_control` reads a received control buffer back into
  ``(level, type, bytes)`` tuples, checking every header against the bytes
  the kernel filled (a truncated item gives whatever part of its data was
  received, and recvmsg() warns, as in CPython);
* :func:`close_received_fds` closes the descriptors of any SCM_RIGHTS item,
  for when recvmsg() fails after the system call handed them over.

The walk over received items and the layout of items to send are C
helpers (gen/bindings/socket.py): one call each instead of a dozen cdata
operations per item.
"""
import os

from . import _buffers
from ._args import C_INT_MAX as _C_INT_MAX
from ._args import (PINS_EXPORTS, c_int, exact_int, readable_buffer,
                    release, stable_buffer)
from ._binding import ffi, lib

__all__ = ["CMSG_LEN", "CMSG_SPACE"]

# socklen_t is unsigned, but the stdlib keeps lengths within a C int.
_SOCKLEN_LIMIT = 0x7fffffff
# CMSG_LEN(n) is CMSG_LEN(0) + n and CMSG_SPACE(n) is CMSG_SPACE(0) +
# CMSG_ALIGN(n) (glibc and musl alike); the arithmetic is done here, as a
# cffi call costs more than the work.
_HDR_LEN = lib.sockcffi_cmsg_len(0)           # CMSG_LEN(0)
_SPACE_0 = lib.sockcffi_cmsg_space(0)
_SPACE_1 = lib.sockcffi_cmsg_space(1)         # CMSG_SPACE(1)
_ALIGN_MASK = _SPACE_1 - _SPACE_0 - 1         # CMSG_ALIGN's unit - 1
_SOL_SOCKET = lib.SOL_SOCKET
_SCM_RIGHTS = getattr(lib, "SCM_RIGHTS", None)
_INT_SIZE = ffi.sizeof("int")
_CHARS = ffi.typeof("char[]")
_CHAR_P = ffi.typeof("char *")
_INT_P = ffi.typeof("int *")
_LONGS = ffi.typeof("long long[]")
_new_raw = _buffers.new_raw
_unpack = ffi.unpack
_cmsg_walk = lib.sockcffi_cmsg_walk
# Values per item in a walk's results (gen/bindings/socket.py).
_PER_ITEM = lib.SOCKCFFI_INFO_PER_ITEM
_cmsg_put = lib.sockcffi_cmsg_put
_NULL = ffi.NULL
_MSG_CONTROL = _buffers.MSG_CONTROL

MALFORMED = "received malformed or improperly-truncated ancillary data"


def _cmsg_len(length):
    """CMSG_LEN(length), or None when out of the socklen_t range."""
    if length < 0 or length > _SOCKLEN_LIMIT - _HDR_LEN:
        return None
    return _HDR_LEN + length


def _cmsg_space(length):
    """CMSG_SPACE(length), or None when out of the socklen_t range."""
    if length < 0 or length > _SOCKLEN_LIMIT - _SPACE_1:
        return None
    return _SPACE_0 + ((length + _ALIGN_MASK) & ~_ALIGN_MASK)


def CMSG_LEN(length):
    """CMSG_LEN(length) -> control message length

    Length of a control message header plus ``length`` bytes of data,
    without the padding that may follow it (use CMSG_SPACE() to size a
    receive buffer).  OverflowError if ``length`` is negative or the result
    would not fit in the range the socket functions accept.
    """
    if length.__class__ is not int:
        length = exact_int(length)
    result = _cmsg_len(length)
    if result is None:
        raise OverflowError("CMSG_LEN() argument out of range")
    return result


def CMSG_SPACE(length):
    """CMSG_SPACE(length) -> buffer size

    Bytes a control message with ``length`` bytes of data takes in a
    control buffer, padding included; sum these to size a recvmsg()
    ancillary buffer for several items.  OverflowError if ``length`` is
    negative or the result would not fit in the range the socket functions
    accept.
    """
    result = _cmsg_space(exact_int(length))
    if result is None:
        raise OverflowError("CMSG_SPACE() argument out of range")
    return result


def _item_error(item):
    return TypeError("[sendmsg() ancillary data items]() argument must be a "
                     "tuple of (int, int, bytes-like object), not %s"
                     % type(item).__name__)


def build_control(ancdata, inline=None):
    """Control data for sendmsg() from its ``ancdata`` argument:
    ``(buffer, length)``, the buffer NULL when the items fit in ``inline``
    (a message kit's control buffer, if given) and were written there."""
    try:
        items = list(ancdata)
    except TypeError:
        raise TypeError("sendmsg() argument 2 must be an iterable") from None
    if not items:
        return _NULL, 0
    if len(items) == 1:
        return _build_one(items[0], inline)
    # First every conversion (the caller's code runs here: __index__,
    # list subclasses), then the views, taken with nothing between them
    # and the copy into the control buffer.
    levels = []
    kinds = []
    sources = []
    last = len(items) - 1
    for i, item in enumerate(items):
        level, kind, data = _item_parts(item)
        levels.append(level)
        kinds.append(kind)
        # Checked (copied on PyPy) here, in its place; the last item's
        # data is followed by no caller code, and on CPython its export
        # below checks it.
        if data.__class__ is not bytes and (i != last or not PINS_EXPORTS):
            data = stable_buffer(data)
        sources.append(data)
    # Exact bytes are their own buffer (len() is the buffer's); anything
    # else is a view, released below.
    views = []
    try:
        for data in sources:
            views.append(data if data.__class__ is bytes
                         else readable_buffer(data))
        total = 0
        for data in views:
            n = len(data)
            if n > _SOCKLEN_LIMIT - _SPACE_1:
                raise OSError("ancillary data item too large")
            total += _SPACE_0 + ((n + _ALIGN_MASK) & ~_ALIGN_MASK)
            if total > _SOCKLEN_LIMIT:
                raise OSError("too much ancillary data")
        if inline is not None and total <= _MSG_CONTROL:
            control, result = inline, _NULL
        else:
            control = result = _new_raw(_CHARS, total)
        offset = 0
        for level, kind, data in zip(levels, kinds, views):
            offset = _cmsg_put(control, offset, level, kind, data, len(data))
    finally:
        # The data is copied: no caller's buffer stays exported.
        for data in views:
            if data.__class__ is not bytes:
                release(data)
    return result, total


def _item_parts(item):
    """An ancdata item's ``(level, type, data)``, level and type converted
    to C ints (the caller's code they may run comes before any export)."""
    if not isinstance(item, (tuple, list)) or len(item) != 3:
        raise _item_error(item)
    level, kind, data = item
    if level.__class__ is not int or not 0 <= level <= _C_INT_MAX:
        level = c_int(level)
    if kind.__class__ is not int or not 0 <= kind <= _C_INT_MAX:
        kind = c_int(kind)
    return level, kind, data


def _build_one(item, inline):
    """build_control() of one item, the usual case, written out: its level
    and type are converted before its data is exported, so no caller code
    runs between the export and the copy."""
    level, kind, data = _item_parts(item)
    if data.__class__ is not bytes:
        # A copy first on PyPy (stable_buffer: exports are not pinned
        # there, and the copy below is a C call another thread may run
        # during).
        data = readable_buffer(data if PINS_EXPORTS else stable_buffer(data))
    try:
        n = len(data)
        if n > _SOCKLEN_LIMIT - _SPACE_1:
            raise OSError("ancillary data item too large")
        total = _SPACE_0 + ((n + _ALIGN_MASK) & ~_ALIGN_MASK)
        if inline is not None and total <= _MSG_CONTROL:
            control, result = inline, _NULL
        else:
            control = result = _new_raw(_CHARS, total)
        _cmsg_put(control, 0, level, kind, data, n)
    finally:
        if data.__class__ is not bytes:
            release(data)
    return result, total


def _walk(control, controllen):
    """The control messages in ``controllen`` bytes at ``control``: a flat
    list, whether an item was truncated or a header malformed first (the
    walk stops there; a truncated item's length is what the buffer holds),
    then _PER_ITEM values per item (level, type, data offset, data
    length)."""
    # Every item takes at least CMSG_LEN(0) bytes.
    limit = controllen // _HDR_LEN + 1
    out = _new_raw(_LONGS, 1 + _PER_ITEM * limit)
    count = _cmsg_walk(control, controllen, out, limit)
    return _unpack(out, 1 + _PER_ITEM * count)


def received_items(walk, first, count, raw):
    """``(level, type, data)`` tuples of ``count`` items described in the
    flat list ``walk`` from index ``first`` (level, type, data offset, data
    length each; see :func:`_walk`), their data sliced out of ``raw``, the
    control bytes received."""
    return [(walk[i], walk[i + 1], raw[walk[i + 2]:walk[i + 2] + walk[i + 3]])
            for i in range(first, first + _PER_ITEM * count, _PER_ITEM)]


def parse_control(control, controllen):
    """The ancillary data in a received control buffer (``char *``, never
    read past ``controllen``): a list of ``(level, type, data)`` tuples,
    and whether any item was truncated or malformed (the caller warns,
    from its own frame)."""
    walk = _walk(control, controllen)
    raw = _unpack(ffi.cast(_CHAR_P, control), controllen)
    return (received_items(walk, 1, (len(walk) - 1) // 4, raw),
            bool(walk[0]))


def close_received_fds(control, controllen):
    """Close the descriptors carried by SCM_RIGHTS items of a received
    control buffer."""
    if _SCM_RIGHTS is None or not controllen:
        return
    walk = _walk(control, controllen)
    data = ffi.cast(_CHAR_P, control)
    for i in range(1, len(walk), 4):
        if walk[i] == _SOL_SOCKET and walk[i + 1] == _SCM_RIGHTS:
            fds = _unpack(ffi.cast(_INT_P, data + walk[i + 2]),
                          walk[i + 3] // _INT_SIZE)
            for fd in fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
