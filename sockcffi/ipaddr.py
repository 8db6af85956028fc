"""IP addresses between text, C structs and the resolver: one home.

What CPython's socketmodule.c keeps in ``setipaddr``/``makeipaddr`` and
their helpers, used by the public ``inet_*``/byte-order functions
(:mod:`sockcffi.inet`), the AF_INET/AF_INET6 address classes
(:mod:`sockcffi.addresses`) and name resolution (:mod:`sockcffi.resolver`):

* byte order as Python arithmetic (a cffi call costs more than the work);
* packed address -> text, in Python for IPv4 and with ``inet_ntop`` for
  IPv6;
* the host argument of an address tuple as bytes (ASCII or IDNA);
* :func:`resolve_ip`: a host name or numeric text -> ``sockaddr_in`` or
  ``sockaddr_in6`` (numeric text never reaches the resolver);
* :func:`call_getaddrinfo`: the one call of C ``getaddrinfo``.
"""
import sys

from . import _buffers
from ._buffers import new_raw as _raw_new
from ._binding import ffi, lib
from .errors import from_gai

__all__ = []

_PYPY = sys.implementation.name == "pypy"
_LITTLE = sys.byteorder == "little"

AF_INET = lib.AF_INET
AF_INET6 = getattr(lib, "AF_INET6", None)
_AF_UNSPEC = lib.AF_UNSPEC


# --- byte order --------------------------------------------------------------

def swap16(x):
    """Swap the bytes of a 16-bit value."""
    return ((x & 0xff) << 8) | (x >> 8)


def swap32(x):
    """Swap the bytes of a 32-bit value."""
    return (((x & 0xff) << 24) | ((x & 0xff00) << 8)
            | ((x >> 8) & 0xff00) | (x >> 24))


def _same(x):
    return x


# Host <-> network order of values already known to fit.
if _LITTLE:
    hton16 = ntoh16 = swap16
    hton32 = ntoh32 = swap32
else:
    hton16 = ntoh16 = hton32 = ntoh32 = _same


# --- packed -> text ----------------------------------------------------------

# Decimal text of every octet: four lookups and a join beat formatting.
_OCTETS = tuple(str(i) for i in range(256))
_join_dotted = ".".join


def ipv4_text(packed):
    """Dotted quad of 4 packed bytes (network order)."""
    return _join_dotted([_OCTETS[packed[0]], _OCTETS[packed[1]],
                         _OCTETS[packed[2]], _OCTETS[packed[3]]])


def in_addr_text(s_addr):
    """Dotted quad of an ``in_addr.s_addr`` value (network order, read as a
    host integer)."""
    a = ntoh32(s_addr)
    return _join_dotted([_OCTETS[a >> 24], _OCTETS[(a >> 16) & 0xff],
                         _OCTETS[(a >> 8) & 0xff], _OCTETS[a & 0xff]])


# Wide-text buffers for sockcffi_ntop6, reused (list.pop/append are atomic:
# a buffer serves one call in one thread at a time).
_WIDE = _buffers.WIDE
_wide_pool = _buffers.wide_pool
_wide_pop = _wide_pool.pop
_wide_push = _wide_pool.append
_WIDE_KEPT = _buffers.WIDE_KEPT
_c_ntop6 = lib.sockcffi_ntop6
_unpack = ffi.unpack


def ipv6_text(addr):
    """Text form of the 16 bytes at ``addr`` (cdata ``struct in6_addr *``
    or ``char *``, or bytes of length 16); None if inet_ntop() fails."""
    try:
        buf = _wide_pop()
    except IndexError:
        buf = _raw_new(_WIDE)
    n = _c_ntop6(addr, buf)
    text = _unpack(buf, n) if n >= 0 else None
    if len(_wide_pool) < _WIDE_KEPT:
        _wide_push(buf)
    return text


def sockaddr_in_text(sin):
    """Host text of a ``struct sockaddr_in``."""
    return in_addr_text(sin.sin_addr.s_addr)


def sockaddr_in6_text(sin6):
    """Host text of a ``struct sockaddr_in6`` (no port)."""
    if _PYPY and sin6.sin6_scope_id:
        # PyPy formats with getnameinfo(), which appends "%scope".
        buf = _raw_new("char[]", lib.NI_MAXHOST)
        err = lib.getnameinfo(ffi.cast("struct sockaddr *", sin6),
                              ffi.sizeof("struct sockaddr_in6"), buf,
                              lib.NI_MAXHOST, ffi.NULL, 0, lib.NI_NUMERICHOST)
        if err == 0:
            return ffi.string(buf).decode("ascii")
    return ipv6_text(ffi.addressof(sin6, "sin6_addr"))


# --- host argument -----------------------------------------------------------

def host_bytes(host):
    """An AF_INET/AF_INET6 host as bytes, as the stdlib's idna converter:
    str (ASCII as is, anything else through the 'idna' codec), bytes or
    bytearray; embedded NULs are refused."""
    if isinstance(host, str):
        try:
            data = str.encode(host, "ascii")
        except UnicodeEncodeError:
            if _PYPY:
                data = str.encode(host, "idna")
            else:
                try:
                    data = str.encode(host, "idna")
                except UnicodeError:
                    raise TypeError("encoding of hostname failed") from None
    elif isinstance(host, (bytes, bytearray)):
        data = bytes(memoryview(host))
    else:
        if _PYPY:
            raise TypeError("string or unicode text buffer expected, not %s"
                            % type(host).__name__)
        raise TypeError("str, bytes or bytearray expected, not %s"
                        % type(host).__name__)
    if b"\0" in data:
        raise TypeError("host name must not contain null character")
    return data


# --- name -> address (CPython's setipaddr) -----------------------------------

_BROADCAST_NAMES = (b"255.255.255.255", b"<broadcast>")
_SIN_P = ffi.typeof("struct sockaddr_in *")


def call_getaddrinfo(host, service, family, socktype, proto, flags):
    """C getaddrinfo() with these hints; returns the ``struct addrinfo **``
    it filled (free with ``lib.freeaddrinfo(resp[0])``), or raises
    gaierror."""
    hints = ffi.new("struct addrinfo *")
    hints.ai_family = family
    hints.ai_socktype = socktype
    hints.ai_protocol = proto
    hints.ai_flags = flags
    resp = ffi.new("struct addrinfo **")
    err = lib.getaddrinfo(host, service, hints, resp)
    if err:
        raise from_gai(err)
    return resp


def resolve_ip(name, family):
    """Resolve host ``name`` (bytes, no NUL) for ``family``.

    ``family`` is AF_INET, AF_INET6 or AF_UNSPEC.  Returns an owning cdata:
    ``struct sockaddr_in *`` or ``struct sockaddr_in6 *`` (read ``sa_family``
    through a cast for AF_UNSPEC) with the address set and port 0.  Errors:
    gaierror from getaddrinfo(), OSError for the special cases, as in the
    stdlib.
    """
    if not name:
        return _resolve_wildcard(family)
    if name in _BROADCAST_NAMES:
        if family != AF_INET and family != _AF_UNSPEC:
            raise OSError("address family mismatched")
        sin = ffi.new("struct sockaddr_in *")
        sin.sin_family = AF_INET
        sin.sin_addr.s_addr = 0xffffffff
        return sin
    if family == AF_INET or family == _AF_UNSPEC or (
            _PYPY and family == AF_INET6):
        sin = ffi.new(_SIN_P)
        if lib.inet_pton(AF_INET, name, ffi.addressof(sin, "sin_addr")) > 0:
            if family == AF_INET6:     # PyPy refuses IPv4 text for AF_INET6
                raise OSError("address family mismatched")
            sin.sin_family = AF_INET
            return sin
    if (AF_INET6 is not None and family in (AF_INET6, _AF_UNSPEC)
            and b"%" not in name):
        sin6 = ffi.new("struct sockaddr_in6 *")
        if lib.inet_pton(AF_INET6, name,
                         ffi.addressof(sin6, "sin6_addr")) > 0:
            sin6.sin6_family = AF_INET6
            return sin6
    return _resolve_name(name, family)


def _copy_from_addrinfo(res, ctype):
    out = ffi.new(ctype)
    ffi.memmove(out, res.ai_addr, min(res.ai_addrlen, ffi.sizeof(out[0])))
    return out


def _result_struct(res):
    if res.ai_family == AF_INET:
        return _copy_from_addrinfo(res, "struct sockaddr_in *")
    if res.ai_family == AF_INET6:
        return _copy_from_addrinfo(res, "struct sockaddr_in6 *")
    return None


def _resolve_wildcard(family):
    resp = call_getaddrinfo(ffi.NULL, b"0", family, lib.SOCK_DGRAM, 0,
                            lib.AI_PASSIVE)
    try:
        res = resp[0]
        out = _result_struct(res)
        if out is None:
            raise OSError("unsupported address family")
        if res.ai_next != ffi.NULL:
            raise OSError("wildcard resolved to multiple address"
                          + ("es" if _PYPY else ""))
        return out
    finally:
        lib.freeaddrinfo(resp[0])


def _resolve_name(name, family):
    resp = call_getaddrinfo(name, ffi.NULL, family, 0, 0, 0)
    try:
        out = _result_struct(resp[0])
    finally:
        lib.freeaddrinfo(resp[0])
    if out is None:
        raise OSError("unknown address family")
    return out
