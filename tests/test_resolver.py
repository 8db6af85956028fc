"""sockcffi.resolver: targeted checks (localhost and numeric hosts only)."""
import os
import socket
import sys

import pytest

import sockcffi
from sockcffi import resolver
from sockcffi.errors import gaierror, herror

PYPY = sys.implementation.name == "pypy"


def test_exported():
    for name in resolver.__all__:
        assert getattr(sockcffi, name) is getattr(resolver, name)


def test_getaddrinfo_localhost_matches_stdlib():
    for args in [("localhost", 80), ("localhost", None),
                 ("localhost", "80", socket.AF_INET, socket.SOCK_STREAM),
                 (None, 0, 0, 0, 0, socket.AI_PASSIVE),
                 ("127.0.0.1", 80, 0, 0, 0, socket.AI_CANONNAME)]:
        assert resolver.getaddrinfo(*args) == socket.getaddrinfo(*args)


def test_getaddrinfo_result_types():
    res = resolver.getaddrinfo("127.0.0.1", 80, socket.AF_INET,
                               socket.SOCK_STREAM)
    family, kind, proto, canon, sa = res[0]
    assert family is sockcffi.AF_INET and repr(family).startswith(
        "<AddressFamily.AF_INET")
    assert kind is sockcffi.SOCK_STREAM
    assert (proto, canon, sa) == (6, "", ("127.0.0.1", 80))


def test_getaddrinfo_ipv6_tuple():
    res = resolver.getaddrinfo("::1", 9, socket.AF_INET6, socket.SOCK_DGRAM)
    assert res[0][4] == ("::1", 9, 0, 0)


def test_getaddrinfo_errors():
    with pytest.raises(gaierror) as info:
        resolver.getaddrinfo(None, None)
    assert info.value.errno == socket.EAI_NONAME
    with pytest.raises(gaierror):
        resolver.getaddrinfo("127.0.0.1", 80, family=999)
    with pytest.raises(TypeError):
        resolver.getaddrinfo(1, 80)
    with pytest.raises(TypeError if PYPY else OSError):
        resolver.getaddrinfo("127.0.0.1", 80.0)


def test_getnameinfo():
    flags = socket.NI_NUMERICHOST | socket.NI_NUMERICSERV
    assert resolver.getnameinfo(("127.0.0.1", 80), flags) == \
        ("127.0.0.1", "80")
    assert resolver.getnameinfo(("::1", 80, 0, 0), flags) == ("::1", "80")
    assert resolver.getnameinfo(("127.0.0.1", 80), 0) == \
        socket.getnameinfo(("127.0.0.1", 80), 0)
    with pytest.raises(gaierror):
        resolver.getnameinfo(("localhost", 0), flags)   # numeric only
    with pytest.raises(OverflowError):
        resolver.getnameinfo(("::1", 80, 1 << 20, 0), flags)


def test_gethostbyname():
    assert resolver.gethostbyname("localhost") == \
        socket.gethostbyname("localhost")
    assert resolver.gethostbyname("127.0.0.1") == "127.0.0.1"
    assert resolver.gethostbyname("") == "0.0.0.0"
    assert resolver.gethostbyname("<broadcast>") == "255.255.255.255"
    with pytest.raises(gaierror):
        resolver.gethostbyname("::1")


def test_gethostbyname_ex_and_addr():
    assert resolver.gethostbyname_ex("localhost") == \
        socket.gethostbyname_ex("localhost")
    assert resolver.gethostbyname_ex("127.0.0.1") == \
        socket.gethostbyname_ex("127.0.0.1")
    assert resolver.gethostbyaddr("127.0.0.1") == \
        socket.gethostbyaddr("127.0.0.1")


def test_gethostbyaddr_unknown_is_herror():
    try:
        socket.gethostbyaddr("192.0.2.1")
    except socket.herror:
        with pytest.raises(herror):
            resolver.gethostbyaddr("192.0.2.1")
    else:
        pytest.skip("192.0.2.1 resolves here")
    with pytest.raises(OSError):
        resolver.gethostbyaddr("")         # wildcard: several addresses


def test_hostname():
    assert resolver.gethostname() == socket.gethostname()
    # never actually change the host name (tests may run as root)
    with pytest.raises(TypeError):
        resolver.sethostname(1)
    with pytest.raises(TypeError):
        resolver.sethostname(bytearray(b"x"))


def test_sethostname_unprivileged_or_noop():
    if os.geteuid() == 0:
        # as root: setting the current name changes nothing
        resolver.sethostname(socket.gethostname())
        assert socket.gethostname() == resolver.gethostname()
    else:
        with pytest.raises(PermissionError):
            resolver.sethostname("x")


@pytest.mark.parametrize("name", ["", "localhost", "127.0.0.1", "0.0.0.0",
                                  "  localhost  ", "::"])
def test_getfqdn_matches_stdlib(name):
    assert resolver.getfqdn(name) == socket.getfqdn(name)


def test_getfqdn_default():
    assert resolver.getfqdn() == socket.getfqdn()


def test_protocols():
    assert resolver.getprotobyname("tcp") == socket.getprotobyname("tcp")
    with pytest.raises(OSError, match="protocol not found"):
        resolver.getprotobyname("no-such-protocol")
    with pytest.raises(TypeError):
        resolver.getprotobyname(b"tcp")


services = pytest.mark.skipif(not os.path.exists("/etc/services"),
                              reason="no /etc/services")


@services
def test_services():
    assert resolver.getservbyname("http", "tcp") == 80
    assert resolver.getservbyname("http") == socket.getservbyname("http")
    assert resolver.getservbyport(80) == socket.getservbyport(80)
    assert resolver.getservbyport(80, "tcp") == "http"
    with pytest.raises(OSError, match="service/proto not found"):
        resolver.getservbyname("no-such-service")
    with pytest.raises(OSError, match="port/proto not found"):
        resolver.getservbyport(61111, "udp")


def test_getservbyport_range():
    for port in (-1, 65536):
        with pytest.raises(OverflowError,
                           match="getservbyport: port must be 0-65535."):
            resolver.getservbyport(port)


def test_explicit_none_protocol():
    if PYPY:
        assert resolver.getservbyname("http", None) == 80
    else:
        with pytest.raises(TypeError):
            resolver.getservbyname("http", None)


def test_interfaces():
    pairs = resolver.if_nameindex()
    assert pairs and all(isinstance(i, int) and isinstance(n, str)
                         for i, n in pairs)
    for index, name in pairs:
        assert resolver.if_nametoindex(name) == index
        assert resolver.if_nametoindex(name.encode()) == index
        assert resolver.if_indextoname(index) == name
    with pytest.raises(OSError, match="no interface with this name"):
        resolver.if_nametoindex("nosuchif0")
    with pytest.raises(TypeError):
        resolver.if_nametoindex(1)
    with pytest.raises(OverflowError):
        resolver.if_indextoname(-1)
    with pytest.raises(OSError):
        resolver.if_indextoname(0)
    with pytest.raises(TypeError):
        resolver.if_indextoname("1")


def test_resolve_ip_helper():
    from sockcffi.ipaddr import resolve_ip, sockaddr_in_text
    assert sockaddr_in_text(resolve_ip(b"127.1", socket.AF_INET)) == \
        "127.0.0.1"
    with pytest.raises(OSError, match="address family mismatched"):
        resolve_ip(b"<broadcast>", socket.AF_INET6)
