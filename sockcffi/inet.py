"""Byte order and IP address text <-> packed conversions.

htons/ntohs/htonl/ntohl are plain Python on ints.  inet_aton/inet_pton call
the C library (its parsing rules are the contract: ``inet_aton('127.1')``);
inet_ntoa and AF_INET inet_ntop format in Python.  Output buffers are
allocated per call (never shared: CPython drops the GIL around cffi calls).

Errors follow the running interpreter's stdlib; where CPython and PyPy differ
(``htons(0x10000)``, embedded NULs, unknown families) ``_PYPY`` picks PyPy's.
"""
import sys
from operator import index as _index

from ._binding import ffi, lib
from .errors import from_errno

__all__ = ["htonl", "htons", "inet_aton", "inet_ntoa", "inet_ntop",
           "inet_pton", "ntohl", "ntohs"]

_PYPY = sys.implementation.name == "pypy"
_LITTLE = sys.byteorder == "little"
_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_new = ffi.new_allocator(should_clear_after_alloc=False)


# --- byte order ---------------------------------------------------------------

def _short_arg(name, x):
    if _PYPY:
        x = _index(x)
        if x < 0:
            raise OverflowError("can't convert negative number to unsigned "
                                "long")
        if x > 0x7fffffff:
            raise OverflowError("expected a 32-bit integer")
        return x & 0xffff
    x = _index(x)
    if x > 0x7fffffff:
        raise OverflowError("signed integer is greater than maximum")
    if x < 0:
        raise OverflowError("%s: can't convert negative Python int to C "
                            "16-bit unsigned integer" % name)
    if x > 0xffff:
        raise OverflowError("%s: Python int too large to convert to C 16-bit "
                            "unsigned integer" % name)
    return x


def _long_arg(x):
    if _PYPY:
        x = _index(x)
    elif not isinstance(x, int):
        raise TypeError("expected int, %s found" % type(x).__name__)
    if x < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if x > 0xffffffff:
        raise OverflowError("int larger than 32 bits")
    return x


if _LITTLE:
    def htons(x):
        """Convert a 16-bit integer from host to network byte order."""
        x = _short_arg("htons", x)
        return ((x & 0xff) << 8) | (x >> 8)

    def ntohs(x):
        """Convert a 16-bit integer from network to host byte order."""
        x = _short_arg("ntohs", x)
        return ((x & 0xff) << 8) | (x >> 8)

    def htonl(x):
        """Convert a 32-bit integer from host to network byte order."""
        x = _long_arg(x)
        return (((x & 0xff) << 24) | ((x & 0xff00) << 8)
                | ((x >> 8) & 0xff00) | (x >> 24))

    def ntohl(x):
        """Convert a 32-bit integer from network to host byte order."""
        x = _long_arg(x)
        return (((x & 0xff) << 24) | ((x & 0xff00) << 8)
                | ((x >> 8) & 0xff00) | (x >> 24))
else:
    def htons(x):
        """Convert a 16-bit integer from host to network byte order."""
        return _short_arg("htons", x)

    def ntohs(x):
        """Convert a 16-bit integer from network to host byte order."""
        return _short_arg("ntohs", x)

    def htonl(x):
        """Convert a 32-bit integer from host to network byte order."""
        return _long_arg(x)

    def ntohl(x):
        """Convert a 32-bit integer from network to host byte order."""
        return _long_arg(x)


# --- text -> packed -----------------------------------------------------------

def _c_text(func, argno, s):
    """A str argument as the NUL-terminated bytes C receives."""
    if not isinstance(s, str):
        if _PYPY:
            raise TypeError("expected str, got %s object" % type(s).__name__)
        raise TypeError("%s() argument %d must be str, not %s"
                        % (func, argno,
                           "None" if s is None else type(s).__name__))
    if _PYPY:
        data = s.encode("utf-8", "surrogatepass")
        end = data.find(b"\0")
        return data if end < 0 else data[:end]
    data = s.encode("utf-8")
    if b"\0" in data:
        raise ValueError("embedded null character")
    return data


def inet_aton(string):
    """Convert an IPv4 address in string format to 32-bit packed binary."""
    data = _c_text("inet_aton", 1, string)
    buf = _new("struct in_addr *")
    if not lib.inet_aton(data, buf):
        raise OSError("illegal IP address string passed to inet_aton")
    return ffi.unpack(ffi.cast("char *", buf), 4)


def _c_int(x):
    x = _index(x)
    if not -0x80000000 <= x <= 0x7fffffff:
        raise OverflowError("signed integer is greater than maximum"
                            if x > 0 else
                            "signed integer is less than minimum")
    return x


def inet_pton(family, ip_string):
    """Convert an IP address from string format to a packed binary string."""
    if _PYPY:
        family = _index(family)
        data = _c_text("inet_pton", 2, ip_string)
        if family != _AF_INET and family != _AF_INET6:
            raise OSError("unknown address family")
    else:
        family = _c_int(family)
        data = _c_text("inet_pton", 2, ip_string)
    buf = _new("char[16]")
    rc = lib.inet_pton(family, data, buf)
    if rc > 0:
        return ffi.unpack(buf, 4 if family == _AF_INET else 16)
    if rc == 0:
        raise OSError("illegal IP address string passed to inet_pton")
    raise from_errno()


# --- packed -> text -----------------------------------------------------------

def _packed_bytes(packed):
    """The bytes of a bytes-like argument ('y*')."""
    if isinstance(packed, bytes):
        return packed
    if isinstance(packed, bytearray):
        return bytes(packed)
    if isinstance(packed, str) or packed is None:
        raise TypeError("a bytes-like object is required, not %s"
                        % _type_word(packed))
    try:
        view = memoryview(packed)
    except TypeError:
        raise TypeError("a bytes-like object is required, not %s"
                        % _type_word(packed)) from None
    with view:
        if not _PYPY and not view.c_contiguous:
            raise BufferError("memoryview: underlying buffer is not "
                              "C-contiguous")
        return view.tobytes()


def _type_word(obj):
    if _PYPY:
        return "None" if obj is None else type(obj).__name__
    return "'%s'" % type(obj).__name__


def inet_ntoa(packed_ip):
    """Convert a 32-bit packed IPv4 address to dotted-quad string format."""
    b = _packed_bytes(packed_ip)
    if len(b) != 4:
        raise OSError("packed IP wrong length for inet_ntoa")
    return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])


def inet_ntop(family, packed_ip):
    """Convert a packed IP address of the given family to string format."""
    family = _index(family) if _PYPY else _c_int(family)
    b = _packed_bytes(packed_ip)
    if family == _AF_INET:
        if len(b) != 4:
            raise ValueError("invalid length of packed IP address string")
        return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])
    if family == _AF_INET6 and _AF_INET6 is not None:
        if len(b) != 16:
            raise ValueError("invalid length of packed IP address string")
        out = _new("char[]", lib.INET6_ADDRSTRLEN)
        if lib.inet_ntop(family, b, out, lib.INET6_ADDRSTRLEN) == ffi.NULL:
            raise from_errno()
        return ffi.string(out).decode("ascii")
    if _PYPY:
        raise OSError("unknown address family")
    raise ValueError("unknown address family %d" % family)
