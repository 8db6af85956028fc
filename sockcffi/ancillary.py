"""Ancillary data (control messages) for sendmsg() and recvmsg().

``CMSG_LEN`` and ``CMSG_SPACE`` are the module functions of the stdlib; the
rest is the plumbing the socket methods use:

* :func:`build_control` turns sendmsg()'s ``[(level, type, data), ...]`` into
  a zeroed control buffer laid out with CMSG_SPACE() strides;
* :func:`parse_control` reads a received ``struct msghdr``'s control buffer
  back into ``(level, type, bytes)`` tuples, checking every header against
  the buffer the kernel filled (a truncated item gives whatever part of its
  data was received, and recvmsg() warns, as in CPython);
* :func:`close_received_fds` closes the descriptors of any SCM_RIGHTS item,
  for when recvmsg() fails after the system call handed them over.
"""
import os

from ._args import c_int, exact_int, readable_buffer, release
from ._binding import ffi, lib

__all__ = ["CMSG_LEN", "CMSG_SPACE"]

# socklen_t is unsigned, but the stdlib keeps lengths within a C int.
_SOCKLEN_LIMIT = 0x7fffffff
_HDR_LEN = lib.sockcffi_cmsg_len(0)           # CMSG_LEN(0)
_SPACE_1 = lib.sockcffi_cmsg_space(1)         # CMSG_SPACE(1)
_SOL_SOCKET = lib.SOL_SOCKET
_SCM_RIGHTS = getattr(lib, "SCM_RIGHTS", None)
_INT_SIZE = ffi.sizeof("int")

MALFORMED = "received malformed or improperly-truncated ancillary data"


def _cmsg_len(length):
    """CMSG_LEN(length), or None when out of the socklen_t range."""
    if length < 0 or length > _SOCKLEN_LIMIT - _HDR_LEN:
        return None
    result = lib.sockcffi_cmsg_len(length)
    if result > _SOCKLEN_LIMIT or result < length:
        return None
    return result


def _cmsg_space(length):
    """CMSG_SPACE(length), or None when out of the socklen_t range."""
    if length < 0 or length > _SOCKLEN_LIMIT - _SPACE_1:
        return None
    result = lib.sockcffi_cmsg_space(length)
    if result > _SOCKLEN_LIMIT or result < length:
        return None
    return result


def CMSG_LEN(length):
    """CMSG_LEN(length) -> control message length

    Length of a control message header plus ``length`` bytes of data,
    without the padding that may follow it (use CMSG_SPACE() to size a
    receive buffer).  OverflowError if ``length`` is negative or the result
    would not fit in the range the socket functions accept.
    """
    result = _cmsg_len(exact_int(length))
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


def build_control(ancdata):
    """Control buffer for sendmsg(): ``(cdata or ffi.NULL, length)``."""
    try:
        items = list(ancdata)
    except TypeError:
        raise TypeError("sendmsg() argument 2 must be an iterable") from None
    if not items:
        return ffi.NULL, 0
    parsed = []
    try:
        total = 0
        for item in items:
            if not isinstance(item, (tuple, list)) or len(item) != 3:
                raise _item_error(item)
            level, kind, data = item
            level = c_int(level)
            kind = c_int(kind)
            view = readable_buffer(data)
            parsed.append((level, kind, view))
            space = _cmsg_space(len(view))
            if space is None:
                raise OSError("ancillary data item too large")
            total += space
            if total > _SOCKLEN_LIMIT:
                raise OSError("too much ancillary data")
        control = ffi.new("char[]", total)      # zeroed: padding included
        offset = 0
        for level, kind, view in parsed:
            n = len(view)
            hdr = ffi.cast("struct cmsghdr *", control + offset)
            hdr.cmsg_len = lib.sockcffi_cmsg_len(n)
            hdr.cmsg_level = level
            hdr.cmsg_type = kind
            if n:
                ffi.memmove(lib.sockcffi_cmsg_data(hdr), view, n)
            offset += lib.sockcffi_cmsg_space(n)
    finally:
        # The data is copied: no caller's buffer stays exported.
        for _, _, view in parsed:
            release(view)
    return control, total


def _items(msg):
    """Yield ``(header, data length, status)`` for each control message.

    status is 0 for a complete item, 1 when its data was truncated (the
    length is what the buffer holds) and -1 for a header that cannot be
    trusted (iteration stops after it).
    """
    controllen = msg.msg_controllen
    if controllen <= 0 or msg.msg_control == ffi.NULL:
        return
    base = ffi.cast("char *", msg.msg_control)
    hdr = lib.sockcffi_cmsg_firsthdr(msg)
    while hdr != ffi.NULL:
        offset = ffi.cast("char *", hdr) - base
        if (offset < 0 or offset + _HDR_LEN > controllen
                or hdr.cmsg_len < _HDR_LEN):
            yield hdr, 0, -1
            return
        wanted = hdr.cmsg_len - _HDR_LEN
        data_offset = ffi.cast("char *", lib.sockcffi_cmsg_data(hdr)) - base
        if data_offset > controllen:
            yield hdr, 0, -1
            return
        space = controllen - data_offset
        if space >= wanted:
            yield hdr, wanted, 0
        else:
            yield hdr, space, 1
        hdr = lib.sockcffi_cmsg_nxthdr(msg, hdr)


def parse_control(msg):
    """The ancillary data of a received ``struct msghdr *``: a list of
    ``(level, type, data)`` tuples, and whether any item was truncated or
    malformed (the caller warns, from its own frame)."""
    result = []
    damaged = False
    for hdr, length, status in _items(msg):
        if status:
            damaged = True
            if status < 0:
                break
        data = ffi.buffer(lib.sockcffi_cmsg_data(hdr), length)[:]
        result.append((hdr.cmsg_level, hdr.cmsg_type, data))
    return result, damaged


def close_received_fds(msg):
    """Close the descriptors carried by SCM_RIGHTS items of ``msg``."""
    if _SCM_RIGHTS is None:
        return
    for hdr, length, status in _items(msg):
        if status < 0:
            break
        if hdr.cmsg_level == _SOL_SOCKET and hdr.cmsg_type == _SCM_RIGHTS:
            fds = ffi.cast("int *", lib.sockcffi_cmsg_data(hdr))
            for i in range(length // _INT_SIZE):
                try:
                    os.close(fds[i])
                except OSError:
                    pass
