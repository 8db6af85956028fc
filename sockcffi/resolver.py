"""Host names, services, protocols and interfaces.

getaddrinfo()/getnameinfo() and the legacy gethostby*() family, the
services and protocols databases, host name get/set and the interface
index <-> name functions.  The reentrant ``*_r`` C functions are used with a
buffer that grows on ERANGE.  Argument handling and errors follow the running
interpreter's stdlib (``_PYPY`` marks where PyPy's differs from CPython's).
"""
import errno as _errno
import os
import sys
from operator import index as _index

from . import addresses as _addr
from ._binding import ffi, lib
from .enums import AddressFamily, SocketKind, _intenum_converter
from .errors import from_errno, from_gai, from_h_errno, herror
from .inet import _c_text

__all__ = ["getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_ex",
           "gethostbyaddr", "gethostname", "sethostname", "getfqdn",
           "getprotobyname", "getservbyname", "getservbyport",
           "if_nameindex", "if_nametoindex", "if_indextoname"]

_PYPY = sys.implementation.name == "pypy"
_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_FIRST_BUFSIZE = 1024
_MAX_BUFSIZE = 1 << 22


def _c_int(x):
    x = _index(x)
    if _PYPY:       # PyPy truncates to a C int
        return ((x + 0x80000000) & 0xffffffff) - 0x80000000
    if not -0x80000000 <= x <= 0x7fffffff:
        raise OverflowError("signed integer is greater than maximum"
                            if x > 0 else "signed integer is less than minimum")
    return x


# --- getaddrinfo / getnameinfo ----------------------------------------------

def _gai_host(host):
    if host is None:
        return ffi.NULL
    if isinstance(host, str):
        return host.encode("idna")
    if isinstance(host, bytes):
        return host
    raise TypeError("getaddrinfo() argument 1 must be string or None")


def _gai_port(port):
    if port is None:
        return ffi.NULL
    if isinstance(port, int):
        port = _index(port)
        if not -(1 << 63) <= port < (1 << 63):
            raise OverflowError("Python int too large to convert to C long")
        return b"%d" % port
    if isinstance(port, str):
        return port.encode("utf-8")
    if isinstance(port, bytes):
        return port
    if _PYPY:
        raise TypeError("getaddrinfo() argument 2 must be integer or string")
    raise OSError("Int or String expected")


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Resolve host and port into a list of address info 5-tuples.

    Each is ``(family, type, proto, canonname, sockaddr)``.
    """
    chost = _gai_host(host)
    cport = _gai_port(port)
    family, type, proto, flags = (_c_int(family), _c_int(type),
                                  _c_int(proto), _c_int(flags))
    resp = _addr.call_getaddrinfo(chost, cport, family, type, proto, flags)
    result = []
    try:
        res = resp[0]
        while res != ffi.NULL:
            canon = res.ai_canonname
            canon = (ffi.string(canon).decode("utf-8")
                     if canon != ffi.NULL else "")
            sa = _addr.from_sockaddr(res.ai_addr, res.ai_addrlen,
                                     res.ai_protocol)
            result.append((_intenum_converter(res.ai_family, AddressFamily),
                           _intenum_converter(res.ai_socktype, SocketKind),
                           res.ai_protocol, canon, sa))
            res = res.ai_next
    finally:
        lib.freeaddrinfo(resp[0])
    return result


def _name_info(sa, salen, flags):
    host = ffi.new("char[]", lib.NI_MAXHOST)
    serv = ffi.new("char[]", lib.NI_MAXSERV)
    err = lib.getnameinfo(ffi.cast("struct sockaddr *", sa), salen,
                          host, lib.NI_MAXHOST, serv, lib.NI_MAXSERV, flags)
    if err:
        raise from_gai(err)
    return (ffi.string(host).decode("utf-8", "surrogateescape"),
            ffi.string(serv).decode("utf-8", "surrogateescape"))


def _numeric_lookup(host, port_text):
    resp = _addr.call_getaddrinfo(host, port_text, lib.AF_UNSPEC,
                                  lib.SOCK_DGRAM, 0, lib.AI_NUMERICHOST)
    try:
        res = resp[0]
        if res.ai_next != ffi.NULL:
            raise OSError("sockaddr resolved to multiple addresses")
        family = res.ai_family
        buf = ffi.new("struct sockaddr_storage *")
        ffi.memmove(buf, res.ai_addr, res.ai_addrlen)
        return family, buf, res.ai_addrlen
    finally:
        lib.freeaddrinfo(resp[0])


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
    host = sockaddr[0].encode("utf-8")
    if b"\0" in host:
        raise ValueError("embedded null character")
    port = _c_int(sockaddr[1])
    try:
        flowinfo = (_index(sockaddr[2]) & 0xffffffff
                    if len(sockaddr) > 2 else 0)
        scope_id = (_index(sockaddr[3]) & 0xffffffff
                    if len(sockaddr) > 3 else 0)
    except TypeError:
        raise
    if flowinfo > 0xfffff:
        raise OverflowError("getnameinfo(): flowinfo must be 0-1048575.")
    family, buf, salen = _numeric_lookup(host, b"%d" % port)
    if family == _AF_INET:
        if len(sockaddr) != 2:
            raise OSError("IPv4 sockaddr must be 2 tuple")
    elif family == _AF_INET6:
        sin6 = ffi.cast("struct sockaddr_in6 *", buf)
        sin6.sin6_flowinfo = _addr._htonl(flowinfo)
        sin6.sin6_scope_id = scope_id
    return _name_info(buf, salen, flags)


def _getnameinfo_pypy(sockaddr, flags):
    flags = _c_int(flags)
    host = sockaddr[0]
    port = sockaddr[1]
    if not isinstance(host, str):
        raise TypeError("expected str, got %s object" % type(host).__name__)
    port = _index(port)
    family, buf, salen = _numeric_lookup(host.encode("utf-8"), b"%d" % port)
    ptr, length = _addr.to_sockaddr(family, 0, sockaddr, "getnameinfo")
    return _name_info(ptr, length, flags)


# --- gethostby* ----------------------------------------------------------------

def _host_arg(name, func):
    """The stdlib's 'et' with idna: str (idna-encoded), bytes, bytearray."""
    if isinstance(name, str):
        data = name.encode("idna")
    elif not _PYPY and isinstance(name, (bytes, bytearray)):
        data = bytes(name)
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
        b = ffi.unpack(ffi.cast("char *", raw), 4)
        return "%d.%d.%d.%d" % (b[0], b[1], b[2], b[3])
    out = ffi.new("char[]", lib.INET6_ADDRSTRLEN)
    lib.inet_ntop(family, raw, out, lib.INET6_ADDRSTRLEN)
    return ffi.string(out).decode("ascii")


def _str_list(arr):
    out = []
    if arr == ffi.NULL:
        return out
    i = 0
    while arr[i] != ffi.NULL:
        out.append(arr[i])
        i += 1
    return out


def _hostent_result(h, family, what):
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
    sin = _addr.resolve_ip(name, _AF_INET)
    return _addr.ipv4_text(sin)


def gethostbyname_ex(hostname):
    """Return (name, aliaslist, addresslist) for an IPv4 host."""
    name = _host_arg(hostname, "gethostbyname_ex")
    _addr.resolve_ip(name, _AF_INET)
    hent = ffi.new("struct hostent *")
    resp = ffi.new("struct hostent **")
    h_err = ffi.new("int *")
    rc, keep = _grow_call(lambda buf, size: lib.gethostbyname_r(
        name, hent, buf, size, resp, h_err))
    if resp[0] == ffi.NULL:
        raise _lookup_failed(h_err[0], hostname)
    return _hostent_result(resp[0], _AF_INET, hostname)


def gethostbyaddr(ip_address):
    """Return (name, aliaslist, addresslist) for a host address."""
    name = _host_arg(ip_address, "gethostbyaddr")
    sa = _addr.resolve_ip(name, lib.AF_UNSPEC)
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
    return _hostent_result(resp[0], family, ip_address)


def gethostname():
    """Return the current host name."""
    size = 1024
    buf = ffi.new("char[]", size)
    if lib.gethostname(buf, size - 1) < 0:
        raise from_errno()
    return os.fsdecode(ffi.string(buf))


def sethostname(name):
    """Set the host name (needs privileges)."""
    if _PYPY:
        if isinstance(name, str):
            data = os.fsencode(name)
        elif isinstance(name, bytes):
            data = name
        else:
            raise TypeError("sethostname() argument 1 must be str or bytes")
    else:
        data = os.fsencode(name)
    if hasattr(sys, "audit"):
        sys.audit("socket.sethostname", name)
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


# --- protocols and services -----------------------------------------------------

def getprotobyname(protocolname):
    """Return the protocol number for the named protocol."""
    name = _c_text("getprotobyname", 1, protocolname)
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
    return _c_text(func, 2, protocolname)


def getservbyname(servicename, protocolname=_OMITTED):
    """Return the port number of a service (and optional protocol)."""
    name = _c_text("getservbyname", 1, servicename)
    proto = _proto_arg("getservbyname", protocolname)
    ent = ffi.new("struct servent *")
    resp = ffi.new("struct servent **")
    rc, keep = _grow_call(lambda buf, size: lib.getservbyname_r(
        name, proto, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("service/proto not found")
    return _addr._ntohs(resp[0].s_port & 0xffff)


def getservbyport(port, protocolname=_OMITTED):
    """Return the service name for a port number (and optional protocol)."""
    port = _c_int(port)
    if not 0 <= port <= 0xffff:
        raise OverflowError("getservbyport: port must be 0-65535.")
    proto = _proto_arg("getservbyport", protocolname)
    ent = ffi.new("struct servent *")
    resp = ffi.new("struct servent **")
    nport = _addr._htons(port)
    rc, keep = _grow_call(lambda buf, size: lib.getservbyport_r(
        nport, proto, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("port/proto not found")
    return ffi.string(resp[0].s_name).decode("utf-8", "surrogateescape")


# --- interfaces ------------------------------------------------------------------

def if_nameindex():
    """List of (index, name) pairs for the network interfaces."""
    ni = lib.if_nameindex()
    if ni == ffi.NULL:
        raise from_errno()
    try:
        out = []
        i = 0
        while ni[i].if_index != 0:
            out.append((ni[i].if_index, os.fsdecode(ffi.string(ni[i].if_name))))
            i += 1
        return out
    finally:
        lib.if_freenameindex(ni)


def if_nametoindex(if_name):
    """The interface index for an interface name."""
    name = os.fsencode(if_name)
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
    if if_index < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if if_index > 0xffffffffffffffff:
        raise OverflowError("Python int too large to convert to C unsigned "
                            "long")
    buf = ffi.new("char[]", lib.IF_NAMESIZE)
    if lib.if_indextoname(if_index & 0xffffffff, buf) == ffi.NULL:
        raise from_errno()
    return os.fsdecode(ffi.string(buf))
