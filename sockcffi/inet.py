"""Byte order and IP address text <-> packed conversions.

htons/ntohs/htonl/ntohl are plain Python on ints.  inet_aton/inet_pton call
the C library (its parsing rules are the contract: ``inet_aton('127.1')``);
inet_ntoa and AF_INET inet_ntop format in Python.  Output buffers are
allocated per call (never shared: CPython drops the GIL around cffi calls).

Errors follow the running interpreter's stdlib; where CPython and PyPy differ
(``htons(0x10000)``, embedded NULs, unknown families) ``_PYPY`` picks PyPy's.
"""
import sys

from ._args import PLAIN_INT_CLASSES, buffer_bytes, c_int, c_text, exact_int
from ._buffers import PACKED6 as _PACKED6, packed6_pool as _packed6_pool
from ._buffers import new_raw as _new
from ._binding import ffi, lib
from .errors import from_errno
from .ipaddr import AF_INET as _AF_INET, AF_INET6 as _AF_INET6
from .ipaddr import hton16, hton32, ipv4_text, ipv6_text, ntoh16, ntoh32

__all__ = ["htonl", "htons", "inet_aton", "inet_ntoa", "inet_ntop",
           "inet_pton", "ntohl", "ntohs"]

_PYPY = sys.implementation.name == "pypy"
_unpack = ffi.unpack
_c_pton4 = lib.sockcffi_pton4
_c_pton6 = lib.sockcffi_pton6
# inet_pton(AF_INET6)'s output buffers, reused (sockcffi._buffers; a call
# that fails just drops its buffer).
_packed_pop = _packed6_pool.pop
_packed_push = _packed6_pool.append


# --- byte order --------------------------------------------------------------

def _short_arg(name, x):
    x = exact_int(x)
    if _PYPY:
        if x < 0:
            raise OverflowError("can't convert negative number to unsigned "
                                "long")
        if x > 0x7fffffff:
            raise OverflowError("expected a 32-bit integer")
        return x & 0xffff
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
    if not _PYPY and not isinstance(x, int):
        raise TypeError("expected int, %s found" % type(x).__name__)
    x = exact_int(x)
    if x < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if x > 0xffffffff:
        raise OverflowError("int larger than 32 bits")
    return x


# A plain int in range is the common case: one test, then the swap (an
# int's own comparisons are honest; anything else is converted first).

def htons(x):
    """Convert a 16-bit integer from host to network byte order."""
    if x.__class__ is not int or not 0 <= x <= 0xffff:
        x = _short_arg("htons", x)
    return hton16(x)


def ntohs(x):
    """Convert a 16-bit integer from network to host byte order."""
    if x.__class__ is not int or not 0 <= x <= 0xffff:
        x = _short_arg("ntohs", x)
    return ntoh16(x)


def htonl(x):
    """Convert a 32-bit integer from host to network byte order."""
    if x.__class__ is not int or not 0 <= x <= 0xffffffff:
        x = _long_arg(x)
    return hton32(x)


def ntohl(x):
    """Convert a 32-bit integer from network to host byte order."""
    if x.__class__ is not int or not 0 <= x <= 0xffffffff:
        x = _long_arg(x)
    return ntoh32(x)


def _c_long(x):
    """PyPy's int argument: a C long (OverflowError beyond it)."""
    if x.__class__ is not int:
        x = exact_int(x)
    if not -2 ** 63 <= x < 2 ** 63:
        raise OverflowError("Python int too large to convert to C long")
    return x


# --- text -> packed ----------------------------------------------------------

def inet_aton(string):
    """Convert an IPv4 address in string format to 32-bit packed binary."""
    data = c_text(string, "inet_aton", 1)
    buf = _new("struct in_addr *")
    if not lib.inet_aton(data, buf):
        raise OSError("illegal IP address string passed to inet_aton")
    return ffi.unpack(ffi.cast("char *", buf), 4)


def inet_pton(family, ip_string):
    """Convert an IP address from string format to a packed binary string."""
    # The usual call -- an AF_INET/AF_INET6 constant and a str -- takes the
    # short way; anything else, and any failure, the checked one.
    if ip_string.__class__ is str and family.__class__ in PLAIN_INT_CLASSES:
        if family == _AF_INET:
            data = ip_string.encode()
            value = _c_pton4(data, len(data))
            if value >= 0:
                return value.to_bytes(4, "big")
        elif family == _AF_INET6:
            data = ip_string.encode()
            try:
                buf = _packed_pop()
            except IndexError:
                buf = _new(_PACKED6)
            if _c_pton6(data, len(data), buf) > 0:
                packed = _unpack(buf, 16)
                _packed_push(buf)
                return packed
    return _inet_pton_checked(family, ip_string)


def _inet_pton_checked(family, ip_string):
    if _PYPY:
        family = _c_long(family)
        data = c_text(ip_string, "inet_pton", 2)
        if family != _AF_INET and family != _AF_INET6:
            raise OSError("unknown address family")
    else:
        family = c_int(family)
        data = c_text(ip_string, "inet_pton", 2)
    buf = _new("char[16]")
    rc = lib.inet_pton(family, data, buf)
    if rc > 0:
        return _unpack(buf, 4 if family == _AF_INET else 16)
    if rc == 0:
        raise OSError("illegal IP address string passed to inet_pton")
    raise from_errno()


# --- packed -> text ----------------------------------------------------------

def _packed_bytes(packed):
    """The bytes of a bytes-like argument ('y*'), with the running
    interpreter's wording for a wrong type."""
    if packed.__class__ is bytes:
        return packed
    if isinstance(packed, str) or packed is None:
        raise TypeError("a bytes-like object is required, not %s"
                        % _type_word(packed))
    try:
        return buffer_bytes(packed)
    except TypeError:
        raise TypeError("a bytes-like object is required, not %s"
                        % _type_word(packed)) from None
    except BufferError:
        if _PYPY:               # PyPy copies a non-contiguous view
            return memoryview(packed).tobytes()
        raise


def _type_word(obj):
    if _PYPY:
        return "None" if obj is None else type(obj).__name__
    return "'%s'" % type(obj).__name__


def inet_ntoa(packed_ip):
    """Convert a 32-bit packed IPv4 address to dotted-quad string format."""
    b = _packed_bytes(packed_ip)
    if len(b) != 4:
        raise OSError("packed IP wrong length for inet_ntoa")
    return ipv4_text(b)


def inet_ntop(family, packed_ip):
    """Convert a packed IP address of the given family to string format."""
    if packed_ip.__class__ is bytes and family.__class__ in PLAIN_INT_CLASSES:
        if family == _AF_INET and len(packed_ip) == 4:
            return ipv4_text(packed_ip)
        if family == _AF_INET6 and len(packed_ip) == 16:
            text = ipv6_text(packed_ip)
            if text is not None:
                return text
    return _inet_ntop_checked(family, packed_ip)


def _inet_ntop_checked(family, packed_ip):
    family = _c_long(family) if _PYPY else c_int(family)
    b = _packed_bytes(packed_ip)
    if family == _AF_INET:
        if len(b) != 4:
            raise ValueError("invalid length of packed IP address string")
        return ipv4_text(b)
    if family == _AF_INET6 and _AF_INET6 is not None:
        if len(b) != 16:
            raise ValueError("invalid length of packed IP address string")
        text = ipv6_text(b)
        if text is None:
            raise from_errno()
        return text
    if _PYPY:
        raise OSError("unknown address family")
    raise ValueError("unknown address family %d" % family)
