"""Host names, services, protocols and interfaces.

getaddrinfo()/getnameinfo() and the legacy gethostby*() family, the
services and protocols databases, host name get/set and the interface
index <-> name functions.  The reentrant ``*_r`` C functions are used with a
buffer that grows on ERANGE.  Argument handling and errors follow the running
interpreter's stdlib (``_PYPY`` marks where PyPy's differs from CPython's).
"""
import errno as _errno
import os
import struct
import sys

from ._args import (buffer_bytes, c_int, c_int_wrapping, c_text, exact_int,
                    fs_path)
from . import _buffers
from ._binding import ffi, lib
from .addresses import from_sockaddr, to_sockaddr
from .enums import AddressFamily, SocketKind, intenum_converter
from .errors import from_errno, from_gai, from_h_errno, herror
from .ipaddr import (hton16, in_addr_text, ipv4_text, ipv6_text, ntoh16,
                     resolve_ip, sockaddr_in_text)

__all__ = ["getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_ex",
           "gethostbyaddr", "gethostname", "sethostname", "getfqdn",
           "getprotobyname", "getservbyname", "getservbyport",
           "if_nameindex", "if_nametoindex", "if_indextoname"]

_PYPY = sys.implementation.name == "pypy"
_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_FIRST_BUFSIZE = 1024
_MAX_BUFSIZE = 1 << 22


_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1


def _cpython_int(value):
    """CPython's format unit "i" (a C long first, then the C int range)."""
    value = exact_int(value)
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    return c_int(value)


# PyPy's resolver functions truncate their int arguments to a C int.
_c_int = c_int_wrapping if _PYPY else _cpython_int


# --- getaddrinfo / getnameinfo ----------------------------------------------

# getaddrinfo() runs sockcffi_getaddrinfo_flat (gen/bindings/netdb.py): one
# C call resolves and copies the result into arrays taken from a free list
# (list.pop/append are atomic, so a thread's call has its arrays to itself),
# read back with one struct.unpack_from per entry.  Hosts' IDNA encodings,
# the enum members of families and kinds and the (host, port) pairs of
# AF_INET results are kept by their exact values; the C library is asked
# every time.
_AI_SIZE = ffi.sizeof("struct sockcffi_ai")
_AI_RECORD = struct.Struct("@%dq" % (_AI_SIZE // ffi.sizeof("long long")))
assert _AI_RECORD.size == _AI_SIZE
_addrinfo_pop = _buffers.addrinfo_pool.pop
_give_addrinfo = _buffers.give_addrinfo
_AddrinfoArrays = _buffers.AddrinfoArrays
_take_nameinfo = _buffers.take_nameinfo
_give_nameinfo = _buffers.give_nameinfo
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1
_CACHE_MAX = 256
_host_idna = {}
_families = {}
_kinds = {}
_inet_pairs = {}
_inet6_addrs = {}
_SIN6_SIZE = ffi.sizeof("struct sockaddr_in6") if _AF_INET6 else 0
_SS_SIZE = ffi.sizeof("struct sockaddr_storage")
_audit = sys.audit
_getaddrinfo_flat = lib.sockcffi_getaddrinfo_flat


def _remember(cache, key, value):
    if len(cache) >= _CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def _gai_host(host):
    if host is None:
        return ffi.NULL
    if isinstance(host, str):
        if host.__class__ is str:
            data = _host_idna.get(host)
            if data is None:
                data = _remember(_host_idna, host, str.encode(host, "idna"))
            return data
        return str.encode(host, "idna")
    if isinstance(host, bytes):
        return buffer_bytes(host)
    raise TypeError("getaddrinfo() argument 1 must be string or None")


def _gai_port(port):
    if port is None:
        return ffi.NULL
    if isinstance(port, int) and (_PYPY or port.__class__ is int):
        # the int's own value: PyPy takes int subclasses without calling
        # their methods, CPython only exact ints
        port = _int_value(port)
        if not _LONG_MIN <= port <= _LONG_MAX:
            raise OverflowError("int too large to convert to int" if _PYPY
                                else "Python int too large to convert to "
                                "C long")
        return b"%d" % port
    if isinstance(port, str):
        return str.encode(port, "utf-8")
    if isinstance(port, bytes):
        return buffer_bytes(port)
    if _PYPY:
        raise TypeError("getaddrinfo() argument 2 must be integer or string")
    raise OSError("Int or String expected")


def _int_value(value):
    """An int's own value as an exact int, calling none of its methods
    (PyPy's int.__index__ would call a subclass's __int__)."""
    return int.__add__(value, 0)


def _pypy_word(value):
    """PyPy's int argument of getaddrinfo(): an integer (or an object with
    __index__ or __int__, not a float) that fits a machine word."""
    if isinstance(value, int):
        value = _int_value(value)
    elif isinstance(value, float) or not (
            hasattr(type(value), "__index__")
            or hasattr(type(value), "__int__")):
        raise TypeError("expected integer, got %s object"
                        % type(value).__name__)
    elif hasattr(type(value), "__index__"):
        value = exact_int(value)
    else:
        value = int(value)
        if value.__class__ is not int:
            value = _int_value(value)
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise OverflowError("int too large to convert to int")
    return value


def _wrap_c_int(value):
    return ((value + 0x80000000) & 0xffffffff) - 0x80000000


def _pair_of(key):
    """The (host, port) of an AF_INET result's inet_key."""
    return _remember(_inet_pairs, key,
                     (in_addr_text(key >> 16), key & 0xffff))


def _enum_of(cache, value, klass):
    return _remember(cache, value, intenum_converter(value, klass))


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve host and port into a list of address info 5-tuples.

    Each is ``(family, type, proto, canonname, sockaddr)``.
    """
    if _PYPY:
        # PyPy: the ints as machine words, host, port; the event shows the
        # words, the C call their low 32 bits
        family, type, proto, flags = (_pypy_word(family), _pypy_word(type),
                                      _pypy_word(proto), _pypy_word(flags))
        chost = _gai_host(host)
        cport = _gai_port(port)
        _audit("socket.getaddrinfo", host, port, family, type, proto)
        cfamily, ctype, cproto, cflags = (_wrap_c_int(family),
                                          _wrap_c_int(type),
                                          _wrap_c_int(proto),
                                          _wrap_c_int(flags))
    else:
        # CPython: the ints (parsed with the arguments), host, then port
        if (family.__class__ is int and type.__class__ is int
                and proto.__class__ is int and flags.__class__ is int
                and _INT_MIN <= family <= _INT_MAX
                and _INT_MIN <= type <= _INT_MAX
                and _INT_MIN <= proto <= _INT_MAX
                and _INT_MIN <= flags <= _INT_MAX):
            cfamily, ctype, cproto, cflags = family, type, proto, flags
        else:
            cfamily, ctype, cproto, cflags = (
                _cpython_int(family), _cpython_int(type), _cpython_int(proto),
                _cpython_int(flags))
        chost = _host_idna.get(host) if host.__class__ is str else None
        if chost is None:
            chost = _gai_host(host)
        if (port.__class__ is int and _LONG_MIN <= port <= _LONG_MAX):
            cport = b"%d" % port
        else:
            cport = _gai_port(port)
        _audit("socket.getaddrinfo", host, port, cfamily, ctype, cproto)
    # The pooled arrays (sockcffi._buffers take_addrinfo, inline).
    try:
        arrays = _addrinfo_pop()
    except IndexError:
        arrays = _AddrinfoArrays(_buffers.ADDRINFO_RECORDS,
                                 _buffers.ADDRINFO_CANON)
    out = arrays.out
    pooled = True
    count = _getaddrinfo_flat(chost, cport, cfamily, ctype, cproto, cflags,
                              out)
    if count < 0:
        # read what the call reported before the arrays go back to the pool
        if count == -1:
            error = out.error
            _give_addrinfo(arrays)
            raise from_gai(error)
        # more results or longer names than the pooled arrays hold
        rest, need, need_canon = out.rest, out.count, out.canon_used
        _give_addrinfo(arrays)
        pooled = False
        try:
            arrays = _AddrinfoArrays(need, need_canon)
            count = lib.sockcffi_addrinfo_flatten(rest, arrays.out)
        finally:
            lib.freeaddrinfo(rest)
    records = arrays.records
    try:
        result = []
        for i in range(count):
            (ai_family, ai_socktype, ai_protocol, addrlen, canon_off,
             canon_len, inet_key) = _AI_RECORD.unpack_from(records,
                                                           i * _AI_SIZE)
            if inet_key >= 0:
                sa = _inet_pairs.get(inet_key)
                if sa is None:
                    sa = _pair_of(inet_key)
            elif ai_family == _AF_INET6 and addrlen == _SIN6_SIZE:
                # kept by the sockaddr's bytes (but for PyPy's text of an
                # address with a scope id, which names the interface)
                start = i * _SS_SIZE
                key = arrays.addr_bytes[start:start + _SIN6_SIZE]
                sa = _inet6_addrs.get(key)
                if sa is None:
                    sa = from_sockaddr(arrays.addrs + i, addrlen, cproto)
                    if not (_PYPY and sa[3]):
                        _remember(_inet6_addrs, key, sa)
            else:
                # the hint's protocol, as CPython decodes it
                sa = from_sockaddr(arrays.addrs + i, addrlen, cproto)
            fam = _families.get(ai_family)
            if fam is None:
                fam = _enum_of(_families, ai_family, AddressFamily)
            kind = _kinds.get(ai_socktype)
            if kind is None:
                kind = _enum_of(_kinds, ai_socktype, SocketKind)
            result.append((
                fam, kind, ai_protocol,
                "" if canon_off < 0 else
                ffi.unpack(arrays.canon + canon_off,
                           canon_len).decode("utf-8"),
                sa))
    finally:
        if pooled:
            _give_addrinfo(arrays)
    return result


_NI_MAXHOST, _NI_MAXSERV = lib.NI_MAXHOST, lib.NI_MAXSERV
_getnameinfo_numeric = lib.sockcffi_getnameinfo_numeric


def _names_of(hbuf, sbuf):
    return (ffi.string(hbuf).decode("utf-8", "surrogateescape"),
            ffi.string(sbuf).decode("utf-8", "surrogateescape"))


def _name_info(sa, salen, flags, bufs):
    hbuf, sbuf = bufs.host, bufs.service
    err = lib.getnameinfo(ffi.cast("struct sockaddr *", sa), salen,
                          hbuf, _NI_MAXHOST, sbuf, _NI_MAXSERV, flags)
    if err:
        raise from_gai(err)
    return _names_of(hbuf, sbuf)


def _numeric_lookup(host, port_text, bufs):
    """The family of the one address of numeric ``host`` and ``port_text``,
    copied to the storage of ``bufs``."""
    err, storage, lenp = bufs.error, bufs.storage, bufs.length
    family = lib.sockcffi_numeric_sockaddr(host, port_text, storage, lenp,
                                           err)
    if family == -1:
        raise from_gai(err[0])
    if family == -2:
        raise OSError("sockaddr resolved to multiple addresses")
    return family


def getnameinfo(sockaddr, flags):
    """Translate a socket address into a (host, port) pair of strings."""
    if _PYPY:
        return _getnameinfo_pypy(sockaddr, flags)
    if not isinstance(sockaddr, tuple):
        # drop the reference: the traceback keeps this frame (and the stdlib
        # test suite checks that a refused argument's refcount is unchanged)
        sockaddr = None
        raise TypeError("getnameinfo() argument 1 must be a tuple")
    flags = _c_int(flags)
    bad = "getnameinfo(): illegal sockaddr argument"
    if not 2 <= len(sockaddr) <= 4 or not isinstance(sockaddr[0], str):
        raise TypeError(bad)
    host = str.encode(sockaddr[0], "utf-8")
    if b"\0" in host:
        raise ValueError("embedded null character")
    port = _c_int(sockaddr[1])
    flowinfo = (exact_int(sockaddr[2]) & 0xffffffff
                if len(sockaddr) > 2 else 0)
    scope_id = (exact_int(sockaddr[3]) & 0xffffffff
                if len(sockaddr) > 3 else 0)
    if flowinfo > 0xfffff:
        raise OverflowError("getnameinfo(): flowinfo must be 0-1048575.")
    _audit("socket.getnameinfo", sockaddr)
    bufs = _take_nameinfo()
    try:
        hbuf, sbuf, err = bufs.host, bufs.service, bufs.error
        rc = _getnameinfo_numeric(
            host, b"%d" % port, len(sockaddr) == 2, flowinfo, scope_id, flags,
            hbuf, _NI_MAXHOST, sbuf, _NI_MAXSERV, err)
        if rc == 0:
            return _names_of(hbuf, sbuf)
        if rc == -2:
            raise OSError("sockaddr resolved to multiple addresses")
        if rc == -3:
            raise OSError("IPv4 sockaddr must be 2 tuple")
        raise from_gai(err[0])
    finally:
        _give_nameinfo(bufs)


def _getnameinfo_pypy(sockaddr, flags):
    flags = _wrap_c_int(_pypy_word(flags))
    _audit("socket.getnameinfo", sockaddr)
    host = sockaddr[0]
    port = sockaddr[1]
    if not isinstance(host, str):
        raise TypeError("expected str, got %s object" % type(host).__name__)
    port = _pypy_word(port)
    if "\0" in host:
        # PyPy passes the host to C as it is: the C string ends at the NUL
        host = host[:host.index("\0")]
        sockaddr = (host,) + tuple(sockaddr)[1:]
    bufs = _take_nameinfo()
    try:
        family = _numeric_lookup(str.encode(host, "utf-8"), b"%d" % port,
                                 bufs)
        ptr, length = to_sockaddr(family, 0, sockaddr, "getnameinfo")
        return _name_info(ptr, length, flags, bufs)
    finally:
        _give_nameinfo(bufs)


# --- gethostby* --------------------------------------------------------------

def _host_arg(name, func):
    """The stdlib's 'et' with idna: str (idna-encoded), bytes, bytearray."""
    if isinstance(name, str):
        data = str.encode(name, "idna")
    elif not _PYPY and isinstance(name, (bytes, bytearray)):
        data = buffer_bytes(name)
    else:
        if _PYPY:
            raise TypeError("'str' object expected, got '%s' instead"
                            % type(name).__name__)
        raise TypeError("%s() argument 1 must be str, bytes or bytearray, "
                        "not %s" % (func, type(name).__name__))
    if b"\0" in data:
        if _PYPY:
            return data[:data.find(b"\0")]
        raise TypeError("%s() argument 1 must be encoded string without "
                        "null bytes, not str" % func)
    return data


def _addr_text(family, raw):
    if family == _AF_INET:
        return ipv4_text(ffi.unpack(ffi.cast("char *", raw), 4))
    return ipv6_text(raw)


def _str_list(arr):
    out = []
    if arr == ffi.NULL:
        return out
    i = 0
    while arr[i] != ffi.NULL:
        out.append(arr[i])
        i += 1
    return out


def _hostent_result(h, family):
    if h.h_addrtype != family:
        raise OSError(_errno.EAFNOSUPPORT, os.strerror(_errno.EAFNOSUPPORT))
    name = ffi.string(h.h_name).decode("utf-8", "surrogateescape")
    aliases = [ffi.string(a).decode("utf-8", "surrogateescape")
               for a in _str_list(h.h_aliases)]
    addrs = [_addr_text(family, a) for a in _str_list(h.h_addr_list)]
    return (name, aliases, addrs)


def _grow_call(call):
    """Run ``call(buf, size)`` -> rc with a buffer grown on ERANGE."""
    size = _FIRST_BUFSIZE
    while True:
        buf = ffi.new("char[]", size)
        rc = call(buf, size)
        if rc != _errno.ERANGE or size >= _MAX_BUFSIZE:
            return rc, buf
        size *= 4


def _lookup_failed(h_err, name):
    if _PYPY:
        return herror("host lookup failed: %r" % (name,))
    return from_h_errno(h_err)


def gethostbyname(hostname):
    """Return the IPv4 address (a string of the form '255.255.255.255')."""
    name = _host_arg(hostname, "gethostbyname")
    _audit("socket.gethostbyname", hostname)
    sin = resolve_ip(name, _AF_INET)
    return sockaddr_in_text(sin)


def gethostbyname_ex(hostname):
    """Return (name, aliaslist, addresslist) for an IPv4 host."""
    name = _host_arg(hostname, "gethostbyname_ex")
    _audit("socket.gethostbyname", hostname)
    resolve_ip(name, _AF_INET)
    hent = ffi.new("struct hostent *")
    resp = ffi.new("struct hostent **")
    h_err = ffi.new("int *")
    rc, keep = _grow_call(lambda buf, size: lib.gethostbyname_r(
        name, hent, buf, size, resp, h_err))
    if resp[0] == ffi.NULL:
        raise _lookup_failed(h_err[0], hostname)
    return _hostent_result(resp[0], _AF_INET)


def gethostbyaddr(ip_address):
    """Return (name, aliaslist, addresslist) for a host address."""
    name = _host_arg(ip_address, "gethostbyaddr")
    # PyPy reports it under gethostbyname's name
    _audit("socket.gethostbyname" if _PYPY else "socket.gethostbyaddr",
           ip_address)
    sa = resolve_ip(name, lib.AF_UNSPEC)
    family = ffi.cast("struct sockaddr *", sa).sa_family
    if family == _AF_INET:
        raw, size = ffi.addressof(sa, "sin_addr"), 4
    else:
        raw, size = ffi.addressof(sa, "sin6_addr"), 16
    hent = ffi.new("struct hostent *")
    resp = ffi.new("struct hostent **")
    h_err = ffi.new("int *")
    rc, keep = _grow_call(lambda buf, bsize: lib.gethostbyaddr_r(
        raw, size, family, hent, buf, bsize, resp, h_err))
    if resp[0] == ffi.NULL:
        raise _lookup_failed(h_err[0], ip_address)
    return _hostent_result(resp[0], family)


def gethostname():
    """Return the current host name."""
    _audit("socket.gethostname")
    size = 1024
    buf = ffi.new("char[]", size)
    if lib.gethostname(buf, size - 1) < 0:
        raise from_errno()
    return os.fsdecode(ffi.string(buf))


def sethostname(name):
    """Set the host name (needs privileges)."""
    if _PYPY and not isinstance(name, (str, bytes)):
        raise TypeError("sethostname() argument 1 must be str or bytes")
    data = fs_path(name)
    _audit("socket.sethostname", name)
    if lib.sethostname(data, len(data)) < 0:
        raise from_errno()


_UNSPECIFIED = ("0.0.0.0", "::") if sys.version_info >= (3, 10) \
    else ("0.0.0.0",)


def getfqdn(name=""):
    """Get a fully qualified domain name from ``name``.

    An empty argument (or the unspecified address) means the local host.
    The first name with a dot among the host name and aliases of
    gethostbyaddr() wins; failing that, the host name; failing a lookup,
    ``name`` itself.
    """
    name = name.strip()
    if not name or name in _UNSPECIFIED:
        name = gethostname()
    try:
        hostname, aliases, _ = gethostbyaddr(name)
    except OSError:
        return name
    for candidate in [hostname] + aliases:
        if "." in candidate:
            return candidate
    return hostname


# --- protocols and services --------------------------------------------------

def getprotobyname(protocolname):
    """Return the protocol number for the named protocol."""
    name = c_text(protocolname, "getprotobyname", 1)
    ent = ffi.new("struct protoent *")
    resp = ffi.new("struct protoent **")
    rc, keep = _grow_call(lambda buf, size: lib.getprotobyname_r(
        name, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("protocol not found")
    return resp[0].p_proto


# getservby*()'s protocol argument when omitted (an explicit None is a
# TypeError on CPython, "any protocol" on PyPy).
_OMITTED = type("_Omitted", (), {"__repr__": lambda self: "<any>"})()


def _proto_arg(func, protocolname):
    if protocolname is _OMITTED or (protocolname is None and _PYPY):
        return ffi.NULL
    return c_text(protocolname, func, 2)


def getservbyname(servicename, protocolname=_OMITTED):
    """Return the port number of a service (and optional protocol)."""
    name = c_text(servicename, "getservbyname", 1)
    proto = _proto_arg("getservbyname", protocolname)
    _audit("socket.getservbyname", servicename,
           None if protocolname is _OMITTED else protocolname)
    ent = ffi.new("struct servent *")
    resp = ffi.new("struct servent **")
    rc, keep = _grow_call(lambda buf, size: lib.getservbyname_r(
        name, proto, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("service/proto not found")
    return ntoh16(resp[0].s_port & 0xffff)


def getservbyport(port, protocolname=_OMITTED):
    """Return the service name for a port number (and optional protocol)."""
    # PyPy takes a machine word here and checks its range (it does not
    # wrap it to a C int as elsewhere: 2**32 + 80 is no port 80).
    port = _pypy_word(port) if _PYPY else _c_int(port)
    proto = _proto_arg("getservbyport", protocolname)
    if not 0 <= port <= 0xffff:
        raise OverflowError("getservbyport: port must be 0-65535.")
    _audit("socket.getservbyport", port,
           None if protocolname is _OMITTED else protocolname)
    ent = ffi.new("struct servent *")
    resp = ffi.new("struct servent **")
    nport = hton16(port)
    rc, keep = _grow_call(lambda buf, size: lib.getservbyport_r(
        nport, proto, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("port/proto not found")
    return ffi.string(resp[0].s_name).decode("utf-8", "surrogateescape")


# --- interfaces --------------------------------------------------------------

def if_nameindex():
    """List of (index, name) pairs for the network interfaces."""
    ni = lib.if_nameindex()
    if ni == ffi.NULL:
        raise from_errno()
    try:
        out = []
        i = 0
        while ni[i].if_index != 0:
            out.append((ni[i].if_index,
                        os.fsdecode(ffi.string(ni[i].if_name))))
            i += 1
        return out
    finally:
        lib.if_freenameindex(ni)


def if_nametoindex(if_name):
    """The interface index for an interface name."""
    name = fs_path(if_name)
    if b"\0" in name:
        raise ValueError("embedded null byte")
    index = lib.if_nametoindex(name)
    if index == 0:
        raise OSError("no interface with this name")
    return index


def if_indextoname(if_index):
    """The interface name for an interface index."""
    if not isinstance(if_index, int):
        raise TypeError("an integer is required")
    if_index = exact_int(if_index)
    if if_index < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if if_index > 0xffffffffffffffff:
        raise OverflowError("Python int too large to convert to C unsigned "
                            "long")
    buf = ffi.new("char[]", lib.IF_NAMESIZE)
    if lib.if_indextoname(if_index & 0xffffffff, buf) == ffi.NULL:
        raise from_errno()
    return os.fsdecode(ffi.string(buf))
