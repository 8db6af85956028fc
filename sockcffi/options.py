"""Typed socket options: ``get``, ``set`` and ``ctype``.

``get(sock, level, option)`` returns an int for integer options and a
record (see :mod:`sockcffi.records`) for struct-valued ones, a list of
records or ints for array options, bytes for string and opaque ones.
``set(sock, level, option, value)`` takes an int, a record (or a dict or
tuple of its fields, or the fields as keywords), a list of records for an
array option, or raw bytes.  ``ctype(level, option)`` names the C type.

Which C type goes with which option is the table gen/option_types.py,
compiled into the module; the struct layouts are the headers' own, through
cffi.  An entry whose level, option or struct this build lacks is dropped.

``sock`` is anything with a ``fileno()`` (a sockcffi or stdlib socket) or a
descriptor number.  Every copy out of C is bounded by the buffer allocated
here and by the length the kernel returned.
"""
from errno import EBADF, ERANGE

from . import records as _records
from ._args import c_int as _c_int
from ._args import exact_int as _index
from ._args import readable_buffer as _readable_buffer
from ._binding import ffi, lib
from .waiting import call_fd as _call_fd

__all__ = ["get", "set", "ctype", "types", "record_type"]

# Options whose length the caller does not fix: start here, grow on ERANGE
# (or a longer optlen back) up to _MAX_BUFFER.
_START_BUFFER = 256
_MAX_BUFFER = 1 << 16
_TEXT_VALUED = ("struct in_addr", "struct in6_addr", "struct sockaddr_in",
                "struct sockaddr_in6", "struct sockaddr_storage")
# Options that take either of two structs (the kernel tells them apart by
# optlen): IP_ADD_MEMBERSHIP and friends take ip_mreq or ip_mreqn;
# IP_MULTICAST_IF takes either, or an in_addr.
_ALSO_ACCEPTED = {
    "struct ip_mreqn": ("struct ip_mreq",),
    "struct in_addr": ("struct ip_mreqn", "struct ip_mreq"),
}
_SCALARS = ("int", "unsigned int", "uint8_t", "uint16_t", "uint32_t",
            "uint64_t", "unsigned long", "long", "int64_t", "gid_t")


def _load_table():
    """{(level value, option value): (level name, option name, ctype)} for
    the entries of gen/option_types.py this build can serve, and the same
    for control messages."""
    options, messages = {}, {}
    text = ffi.string(lib.sockcffi_option_types()).decode("ascii")
    for line in text.splitlines():
        kind, level_name, name, ctype = line.split("|")
        level = getattr(lib, level_name, None)
        value = getattr(lib, name, None)
        if level is None or value is None or not _usable(ctype):
            continue
        table = options if kind == "option" else messages
        key = (level, value)
        if key in table and table[key][2] != ctype:
            continue        # aliases of one number: the first name wins
        table.setdefault(key, (level_name, name, ctype))
    return options, messages


def _usable(ctype):
    base = ctype[:-2] if ctype.endswith("[]") else ctype
    if base in ("char", "bytes"):
        return True
    try:
        ffi.sizeof(base)
    except (ffi.error, TypeError):
        return False            # the struct's header was missing
    return True


_OPTIONS, CONTROL_MESSAGES = _load_table()


def ctype(level, option):
    """The C type of ``option`` at ``level``: ``"struct linger"``,
    ``"struct can_filter[]"``, ``"uint64_t"``...; ``"int"`` for options
    the table does not list (as the stdlib's getsockopt() assumes)."""
    entry = _OPTIONS.get((_c_int(level), _c_int(option)))
    return entry[2] if entry else "int"


def types():
    """``[(level name, option name, C type), ...]`` for every option this
    build types, sorted."""
    return sorted(_OPTIONS.values())


def record_type(level, option):
    """The record class of a struct-valued option (``linger`` for
    SO_LINGER).  TypeError for an option that is not a struct."""
    t = ctype(level, option)
    if not t.startswith("struct "):
        raise TypeError("option %d at level %d is %s, not a struct"
                        % (option, level, t))
    return _records.struct(t[:-2] if t.endswith("[]") else t)


def _fd(sock):
    if isinstance(sock, int):
        fd = sock
    else:
        fileno = getattr(sock, "fileno", None)
        if fileno is None:
            raise TypeError("sock must be a socket or a file descriptor, "
                            "not %s" % type(sock).__name__)
        fd = fileno()
    fd = _index(fd)
    if fd < 0:
        raise OSError(EBADF, "Bad file descriptor")
    return fd


def _getsockopt(fd, level, option, size, grow=False):
    """``(char[] buffer, bytes the kernel filled)``.  With ``grow``, a
    kernel that wants a longer buffer (ERANGE with the length it needs, or
    success with a longer optlen, as NETLINK_LIST_MEMBERSHIPS answers) gets
    one, up to _MAX_BUFFER: an array is never cut short silently."""
    attempts = 0
    while True:
        buf = ffi.new("char[]", size)
        length = ffi.new("socklen_t *", size)
        try:
            _call_fd(lib.getsockopt, fd, level, option, buf, length)
        except OSError as e:
            wanted = length[0]
            attempts += 1
            if (grow and e.errno == ERANGE and size < wanted <= _MAX_BUFFER
                    and attempts < 4):
                size = wanted
                continue
            raise
        wanted = length[0]
        if grow and wanted > size:
            attempts += 1
            if wanted <= _MAX_BUFFER and attempts < 4:
                size = wanted
                continue
            raise OSError(ERANGE, "option value longer than %d bytes"
                          % size)
        return buf, min(wanted, size)


def _int_from(buf, n, t):
    """An integer of C type ``t`` from the first ``n`` (<= its size) bytes
    of ``buf``; a narrower answer is a narrower integer of the same
    signedness (the kernel answers some int options with one byte)."""
    size = ffi.sizeof(t)
    if n >= size:
        return ffi.cast(t + " *", buf)[0]
    signed = int(ffi.cast(t, -1)) < 0
    return int.from_bytes(ffi.buffer(buf, n)[:], _records.BYTEORDER,
                          signed=signed)


def get(sock, level, option, buflen=None):
    """The value of ``option`` at ``level`` on ``sock``, typed by
    :func:`ctype`.  ``buflen`` fixes the buffer of array, string and opaque
    options, which then hold at most that much (default: grow as the kernel
    asks, up to 64 KiB, or raise OSError(ERANGE))."""
    fd = _fd(sock)
    level = _c_int(level)
    option = _c_int(option)
    entry = _OPTIONS.get((level, option))
    t = entry[2] if entry else "int"
    if buflen is not None:
        buflen = _c_int(buflen)
        if not 0 < buflen <= _MAX_BUFFER:
            raise ValueError("buflen must be 1..%d" % _MAX_BUFFER)
    if t in _SCALARS:
        buf, n = _getsockopt(fd, level, option, ffi.sizeof(t))
        return _int_from(buf, n, t)
    if t == "char[]" or t == "bytes":
        buf, n = _getsockopt(fd, level, option, buflen or _START_BUFFER,
                             grow=buflen is None)
        data = ffi.buffer(buf, n)[:]
        if t == "char[]":
            data = data.split(b"\0", 1)[0]
        return data
    if t.endswith("[]"):
        item = t[:-2]
        step = ffi.sizeof(item)
        buf, n = _getsockopt(fd, level, option,
                             buflen or max(_START_BUFFER, step),
                             grow=buflen is None)
        count = n // step
        if item.startswith("struct "):
            return [_records.decode(item, buf + i * step, step)
                    for i in range(count)]
        return list(ffi.unpack(ffi.cast(item + " *", buf), count))
    # One struct: its size, zeroed; fields past the returned optlen are
    # None.
    buf, n = _getsockopt(fd, level, option, ffi.sizeof(t))
    return _records.decode(t, buf, n)


def _family(sock):
    try:
        return _index(sock.family)
    except (AttributeError, TypeError):
        return None


def _encode(t, value, family):
    """``(buffer, length)`` for ``value`` of an option of C type ``t``."""
    kind = _records.record_of(value)
    if kind is not None:
        wanted = t[:-2] if t.endswith("[]") else t
        if (wanted.startswith("struct ") and kind != wanted
                and kind not in _ALSO_ACCEPTED.get(wanted, ())):
            raise TypeError("this option takes %s, not %s" % (wanted, kind))
        buf = _records.encode(kind, value, family)
        return buf, len(buf)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return None, None                   # raw: the caller's buffer
    if t.endswith("[]") and not t.startswith("char"):
        item = t[:-2]
        items = list(value)
        step = ffi.sizeof(item)
        buf = ffi.new("char[]", max(len(items), 1) * step)
        for i, v in enumerate(items):
            if item.startswith("struct "):
                one = _records.encode(item, v, family)
            else:
                one = ffi.new(item + " *", _index(v))
            ffi.memmove(buf + i * step, one, step)
        return buf, len(items) * step
    if t in _TEXT_VALUED and isinstance(value, (str, tuple)):
        buf = _records.encode(t, value, family)       # an address
        return buf, len(buf)
    if t.startswith("struct ") and not isinstance(value, int) and (
            isinstance(value, (dict, tuple, list))):
        buf = _records.encode(t, value, family)
        return buf, len(buf)
    try:
        number = _index(value)
    except TypeError:
        raise TypeError("option value must be an int, a record, a list of "
                        "records or a bytes-like object, not %s"
                        % type(value).__name__) from None
    scalar = t if t in _SCALARS else "int"
    buf = ffi.new(scalar + " *")
    try:
        buf[0] = number
    except OverflowError:
        raise OverflowError("option value out of range for %s"
                            % scalar) from None
    return buf, ffi.sizeof(scalar)


def set(sock, level, option, value=None, **fields):
    """Set ``option`` at ``level`` on ``sock`` from an int, a record (or a
    dict/tuple of its fields, or ``**fields``), a list for an array option,
    or a bytes-like object (passed as is)."""
    fd = _fd(sock)
    level = _c_int(level)
    option = _c_int(option)
    t = ctype(level, option)
    if fields:
        if value is not None:
            raise TypeError("give a value or fields, not both")
        if not t.startswith("struct ") or t.endswith("[]"):
            raise TypeError("option is %s: keyword fields need a struct"
                            % t)
        value = fields
    elif value is None:
        raise TypeError("option value required")
    buf, length = _encode(t, value, _family(sock))
    if buf is None:
        with _readable_buffer(value) as view:
            _setsockopt(fd, level, option, view, len(view))
        return
    _setsockopt(fd, level, option, buf, length)


def _setsockopt(fd, level, option, buf, length):
    _call_fd(lib.setsockopt, fd, level, option, buf, length)
