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

from ._args import (buffer_bytes, c_int, c_int_wrapping, c_text, exact_int,
                    fs_path)
from ._binding import ffi, lib
from .addresses import from_sockaddr, to_sockaddr
from .enums import AddressFamily, SocketKind, intenum_converter
from .errors import from_errno, from_gai, from_h_errno, herror
from .ipaddr import (call_getaddrinfo, hton16, hton32, ipv4_text, ipv6_text,
                     ntoh16, resolve_ip, sockaddr_in_text)

__all__ = ["getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname_ex",
           "gethostbyaddr", "gethostname", "sethostname", "getfqdn",
           "getprotobyname", "getservbyname", "getservbyport",
           "if_nameindex", "if_nametoindex", "if_indextoname"]

_PYPY = sys.implementation.name == "pypy"
_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_FIRST_BUFSIZE = 1024
_MAX_BUFSIZE = 1 << 22


# PyPy's resolver functions truncate their int arguments to a C int.
_c_int = c_int_wrapping if _PYPY else c_int


# --- getaddrinfo / getnameinfo ----------------------------------------------

def _gai_host(host):
    if host is None:
        return ffi.NULL
    if isinstance(host, str):
        return str.encode(host, "idna")
    if isinstance(host, bytes):
        return buffer_bytes(host)
    raise TypeError("getaddrinfo() argument 1 must be string or None")


def _gai_port(port):
    if port is None:
        return ffi.NULL
    if isinstance(port, int):
        port = exact_int(port)
        if not -(1 << 63) <= port < (1 << 63):
            raise OverflowError("Python int too large to convert to C long")
        return b"%d" % port
    if isinstance(port, str):
        return str.encode(port, "utf-8")
    if isinstance(port, bytes):
        return buffer_bytes(port)
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
    resp = call_getaddrinfo(chost, cport, family, type, proto, flags)
    result = []
    try:
        res = resp[0]
        while res != ffi.NULL:
            canon = res.ai_canonname
            canon = (ffi.string(canon).decode("utf-8")
                     if canon != ffi.NULL else "")
            sa = from_sockaddr(res.ai_addr, res.ai_addrlen,
                                     res.ai_protocol)
            result.append((intenum_converter(res.ai_family, AddressFamily),
                           intenum_converter(res.ai_socktype, SocketKind),
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
    resp = call_getaddrinfo(host, port_text, lib.AF_UNSPEC,
                                  lib.SOCK_DGRAM, 0, lib.AI_NUMERICHOST)
    try:
        res = resp[0]
        if res.ai_next != ffi.NULL:
            raise OSError("sockaddr resolved to multiple addresses")
        family = res.ai_family
        buf = ffi.new("struct sockaddr_storage *")
        salen = min(res.ai_addrlen, ffi.sizeof(buf[0]))
        ffi.memmove(buf, res.ai_addr, salen)
        return family, buf, salen
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
    host = str.encode(sockaddr[0], "utf-8")
    if b"\0" in host:
        raise ValueError("embedded null character")
    port = _c_int(sockaddr[1])
    try:
        flowinfo = (exact_int(sockaddr[2]) & 0xffffffff
                    if len(sockaddr) > 2 else 0)
        scope_id = (exact_int(sockaddr[3]) & 0xffffffff
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
        sin6.sin6_flowinfo = hton32(flowinfo)
        sin6.sin6_scope_id = scope_id
    return _name_info(buf, salen, flags)


def _getnameinfo_pypy(sockaddr, flags):
    flags = _c_int(flags)
    host = sockaddr[0]
    port = sockaddr[1]
    if not isinstance(host, str):
        raise TypeError("expected str, got %s object" % type(host).__name__)
    port = exact_int(port)
    family, buf, salen = _numeric_lookup(str.encode(host, "utf-8"),
                                         b"%d" % port)
    ptr, length = to_sockaddr(family, 0, sockaddr, "getnameinfo")
    return _name_info(ptr, length, flags)


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
    sin = resolve_ip(name, _AF_INET)
    return sockaddr_in_text(sin)


def gethostbyname_ex(hostname):
    """Return (name, aliaslist, addresslist) for an IPv4 host."""
    name = _host_arg(hostname, "gethostbyname_ex")
    resolve_ip(name, _AF_INET)
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
    if _PYPY and not isinstance(name, (str, bytes)):
        raise TypeError("sethostname() argument 1 must be str or bytes")
    data = fs_path(name)
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
    ent = ffi.new("struct servent *")
    resp = ffi.new("struct servent **")
    rc, keep = _grow_call(lambda buf, size: lib.getservbyname_r(
        name, proto, ent, buf, size, resp))
    if resp[0] == ffi.NULL:
        raise OSError("service/proto not found")
    return ntoh16(resp[0].s_port & 0xffff)


def getservbyport(port, protocolname=_OMITTED):
    """Return the service name for a port number (and optional protocol)."""
    port = _c_int(port)
    if not 0 <= port <= 0xffff:
        raise OverflowError("getservbyport: port must be 0-65535.")
    proto = _proto_arg("getservbyport", protocolname)
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
