"""Differential tests: sockcffi against the running interpreter's stdlib.

For generated inputs, valid and invalid, both give the same result or raise
the same exception class (gaierror/herror/timeout compared by name, since
sockcffi's are its own classes; builtins by identity).
"""
import os
import socket
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sockcffi
import sockcffi.inet as inet
import sockcffi.resolver as resolver
from sockcffi._binding import ffi, lib
from sockcffi.addresses import from_sockaddr, new_storage, to_sockaddr

from sockhelpers import IndexOnly, LyingInt, outcome

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def same(ours, theirs, *args):
    a, b = outcome(ours, *args), outcome(theirs, *args)
    assert a == b, (args, a, b)
    return a


# --- strategies --------------------------------------------------------------

big_ints = st.sampled_from([2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
                            2 ** 63, 2 ** 64, 2 ** 100, -2 ** 31, -2 ** 63])
ints = st.one_of(st.integers(-70000, 0x1ffff), st.integers(), big_ints)
non_ints = st.sampled_from([1.0, "1", b"1", None, [], 1j])
int_like = st.one_of(ints, st.booleans(), non_ints)

ipv4_text = st.ip_addresses(v=4).map(str)
ipv6_text = st.ip_addresses(v=6).map(str)
short_forms = st.sampled_from(["1", "1.2", "127.1", "0x7f.1", "010.1.1.1",
                               "4294967295", "4294967296", "1.16777215",
                               "1.2.3.4 junk", " 1.2.3.4", "1.2.3.4.5",
                               "256.1.1.1", "", "::", "::1", "1::2::3",
                               "::ffff:1.2.3.4", "ü", "1.2.3.4\x00",
                               "1\x00", "1.2.3.4\udcff", "fe80::1%lo"])
ip_text = st.one_of(ipv4_text, ipv6_text, short_forms,
                    st.text(alphabet="0123456789abcdefx.:% ", max_size=20))
bytes_like = st.one_of(
    st.binary(max_size=20),
    st.binary(max_size=20).map(bytearray),
    st.binary(max_size=20).map(memoryview),
    st.sampled_from(["abcd", None, 4, memoryview(b"abcdefgh")[::2]]))


# --- byte order --------------------------------------------------------------

@pytest.mark.parametrize("name", ["htons", "ntohs", "htonl", "ntohl"])
@SETTINGS
@given(x=int_like)
def test_byte_order(name, x):
    same(getattr(inet, name), getattr(socket, name), x)


# --- inet_* ------------------------------------------------------------------

@SETTINGS
@given(s=st.one_of(ip_text, st.sampled_from([b"1.2.3.4", None, 1])))
def test_inet_aton(s):
    same(inet.inet_aton, socket.inet_aton, s)


@SETTINGS
@given(b=bytes_like)
def test_inet_ntoa(b):
    same(inet.inet_ntoa, socket.inet_ntoa, b)


families = st.one_of(st.sampled_from([socket.AF_INET, socket.AF_INET6]),
                     st.sampled_from([socket.AF_UNIX, 0, -1, 12345, 2 ** 40,
                                      "x"]))


@SETTINGS
@given(family=families,
       s=st.one_of(ip_text, st.sampled_from([b"::1", None])))
def test_inet_pton(family, s):
    same(inet.inet_pton, socket.inet_pton, family, s)


@SETTINGS
@given(family=families,
       b=st.one_of(bytes_like, st.binary(min_size=4, max_size=4),
                   st.binary(min_size=16, max_size=16)))
def test_inet_ntop(family, b):
    same(inet.inet_ntop, socket.inet_ntop, family, b)


@SETTINGS
@given(a=st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_pton_ntop_roundtrip(a):
    fam = socket.AF_INET if a.version == 4 else socket.AF_INET6
    packed = inet.inet_pton(fam, str(a))
    assert packed == socket.inet_pton(fam, str(a)) == a.packed
    assert inet.inet_ntop(fam, packed) == socket.inet_ntop(fam, packed)


# --- getaddrinfo / getnameinfo -----------------------------------------------

hosts = st.one_of(ipv4_text, ipv6_text,
                  st.sampled_from([None, "", "localhost", "127.1", b"::1",
                                   "1.2.3.4.5", bytearray(b"1.2.3.4"), 5,
                                   "127.0.0.1\x00junk"]))
ports = st.one_of(st.integers(-5, 70000),
                  st.sampled_from([None, "80", b"80", "http", "nosuch", 80.0,
                                   2 ** 70, bytearray(b"1"), "8\x000"]))
small = st.one_of(st.sampled_from([0, socket.AF_INET, socket.AF_INET6,
                                   socket.AF_UNIX, socket.SOCK_STREAM,
                                   socket.SOCK_DGRAM, socket.SOCK_RAW, 6, 17,
                                   999, -1]),
                  st.integers(-2 ** 31, 2 ** 31 - 1))
gai_flags = st.one_of(st.sampled_from([0, socket.AI_NUMERICHOST,
                                       socket.AI_PASSIVE,
                                       socket.AI_NUMERICSERV,
                                       socket.AI_CANONNAME
                                       | socket.AI_NUMERICHOST, -1]),
                      st.integers(0, 0x7ff))


def numeric_only(host, flags):
    # no resolver traffic for names: force AI_NUMERICHOST unless localhost
    if host in ("localhost", None, ""):
        return flags
    return flags | socket.AI_NUMERICHOST


@settings(max_examples=300, deadline=None)
@given(host=hosts, port=ports, family=small, type=small, proto=small,
       flags=gai_flags)
def test_getaddrinfo(host, port, family, type, proto, flags):
    flags = numeric_only(host, flags)
    same(resolver.getaddrinfo, socket.getaddrinfo,
         host, port, family, type, proto, flags)


def test_getaddrinfo_keywords():
    kw = dict(host="127.0.0.1", port=80, family=socket.AF_INET,
              type=socket.SOCK_STREAM, proto=0, flags=socket.AI_NUMERICHOST)
    assert resolver.getaddrinfo(**kw) == socket.getaddrinfo(**kw)


ni_flags = st.sampled_from([
    socket.NI_NUMERICHOST | socket.NI_NUMERICSERV,
    socket.NI_NUMERICHOST | socket.NI_NUMERICSERV | socket.NI_DGRAM,
    socket.NI_NUMERICHOST, -1, 2 ** 40, "x"])
sockaddrs = st.one_of(
    st.tuples(ipv4_text, st.integers(-2, 70000)),
    st.tuples(ipv6_text, st.integers(0, 65535)),
    st.tuples(ipv6_text, st.integers(0, 65535), st.integers(-1, 2 ** 21),
              st.integers(0, 3)),
    st.tuples(st.one_of(ipv4_text, ipv6_text, st.just("::1")),
              st.integers(0, 65535), st.integers(0, 9)),
    st.sampled_from([("127.0.0.1",), "x", ["127.0.0.1", 80],
                     (b"127.0.0.1", 80), (None, 0), ("", 0),
                     ("127.0.0.1", "80"), ("fe80::1%lo", 80),
                     ("1.2.3.4.5", 0), ("<broadcast>", 0),
                     ("127.0.0.1", 80, 0, 0)]))


@SETTINGS
@given(sa=sockaddrs, flags=ni_flags)
def test_getnameinfo(sa, flags):
    if isinstance(flags, int) and flags >= 0 and isinstance(sa, tuple) \
            and isinstance(sa[0], str) and sa[0] and "." not in sa[0] \
            and ":" not in sa[0]:
        return     # a name: not numeric, would need the resolver
    if isinstance(flags, int) and flags >= 0 and not (
            flags & socket.NI_NUMERICHOST):
        return
    same(resolver.getnameinfo, socket.getnameinfo, sa, flags)


needs_if = pytest.mark.skipif(not hasattr(socket, "if_nametoindex"),
                              reason="the stdlib has no if_nametoindex")


@needs_if
@SETTINGS
@given(name=st.one_of(st.sampled_from(["lo", b"lo", "", "nosuch0", 1, None,
                                       "l\x00o", "x" * 20]),
                      st.text(max_size=16)))
def test_if_nametoindex(name):
    same(resolver.if_nametoindex, socket.if_nametoindex, name)


@needs_if
@SETTINGS
@given(index=st.one_of(st.integers(-3, 40), big_ints, non_ints))
def test_if_indextoname(index):
    same(resolver.if_indextoname, socket.if_indextoname, index)


@needs_if
def test_if_nameindex():
    assert resolver.if_nameindex() == socket.if_nameindex()


# --- address encoding (UDP connect: no port needs to be free) ----------------

def ours_connect(family, address):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        ptr, length = to_sockaddr(family, 0, address, "connect")
        if lib.connect(s.fileno(), ffi.cast("struct sockaddr *", ptr),
                       length):
            e = ffi.errno
            raise OSError(e, os.strerror(e))
        st_, lenp = new_storage()
        if lib.getpeername(s.fileno(), ffi.cast("struct sockaddr *", st_),
                           lenp):
            e = ffi.errno
            raise OSError(e, os.strerror(e))
        return from_sockaddr(st_, lenp[0])


def theirs_connect(family, address):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.connect(address)
        return s.getpeername()


v4_hosts = st.one_of(ipv4_text, st.sampled_from(
    ["", "<broadcast>", "255.255.255.255", "localhost", "127.1", "::1",
     b"127.0.0.1", bytearray(b"127.0.0.2"), 1, None, "a\x00b", "1.2.3.4.5",
     "ü..x", "0x7f.1"]))
addr_ports = st.one_of(st.integers(-2, 70000), st.sampled_from(
    [2 ** 31, 2 ** 70, "80", 1.5, None, True]))


@SETTINGS
@given(address=st.one_of(
    st.tuples(v4_hosts, addr_ports),
    st.tuples(ipv4_text),
    st.tuples(ipv4_text, st.integers(0, 9), st.integers(0, 9)),
    st.lists(st.sampled_from(["127.0.0.1", 9]), max_size=3),
    st.sampled_from(["127.0.0.1", 7, None])))
def test_encode_inet(address):
    same(lambda a: ours_connect(socket.AF_INET, a),
         lambda a: theirs_connect(socket.AF_INET, a), address)


v6_hosts = st.one_of(ipv6_text, st.sampled_from(
    ["", "::1", "::", "127.0.0.1", "fe80::1%lo", "fe80::1%1", "::1%lo",
     "fe80::1%nosuchif", b"::1", 5, "::ffff:127.0.0.1"]))


@SETTINGS
@given(address=st.one_of(
    st.tuples(v6_hosts, addr_ports),
    st.tuples(v6_hosts, st.integers(0, 65535),
              st.one_of(st.integers(-2, 2 ** 21), st.just(2 ** 70))),
    st.tuples(st.sampled_from(["::1", "fe80::1", "::"]),
              st.integers(0, 65535), st.integers(0, 5),
              st.one_of(st.integers(0, 3), st.just(2 ** 32 + 1)),),
    st.tuples(st.just("::1"), st.just(1), st.just(0), st.just(0),
              st.just(0)),
    st.sampled_from(["::1", ("::1",), ["::1", 80]])))
def test_encode_inet6(address):
    same(lambda a: ours_connect(socket.AF_INET6, a),
         lambda a: theirs_connect(socket.AF_INET6, a), address)


unix_text = st.text(alphabet=st.sampled_from(
    ["a", "/", ".", "\x00", "\udcff", "é", "z"]), max_size=112)


@SETTINGS
@given(address=st.one_of(
    unix_text,
    unix_text.map(lambda t: "/nonexistent-sockcffi/" + t),
    st.binary(max_size=112),
    st.binary(max_size=112).map(lambda b: b"\0" + b),
    st.binary(max_size=20).map(bytearray),
    st.binary(max_size=20).map(memoryview),
    st.sampled_from([1, None, ("a",), "x" * 107, "x" * 108,
                     b"\0" + b"y" * 107, b"\0" + b"y" * 108])))
def test_encode_unix(address):
    same(lambda a: ours_connect(socket.AF_UNIX, a),
         lambda a: theirs_connect(socket.AF_UNIX, a), address)


# --- receive sizes: hostile integers against the stdlib ----------------------

# Sizes that only make the allocator work (gigabytes) are left out: they
# test malloc, not the conversion.
sizes = st.one_of(st.integers(-2 ** 70, -1), st.integers(0, 70000),
                  st.integers(2 ** 63 - 64, 2 ** 70),
                  st.sampled_from([0, 1, 16, 65536, 65537]))
wrapped_sizes = st.one_of(sizes, sizes.map(LyingInt), sizes.map(IndexOnly))
receive_calls = st.sampled_from(["recv", "recvfrom", "recv_into",
                                 "recvfrom_into", "recvmsg", "recvmsg_anc",
                                 "recvmsg_into_anc"])
PYPY = sys.implementation.name == "pypy"


def _receive(mod, call, size):
    """``call`` with ``size`` on a datagram socket holding 300 bytes: the
    outcome and what the 64-byte buffer of the *_into calls holds."""
    a, b = mod.socketpair(mod.AF_UNIX, mod.SOCK_DGRAM)
    with a, b:
        b.send(b"r" * 300)
        a.settimeout(5)
        buf = bytearray(64)
        calls = {
            "recv": lambda: a.recv(size),
            "recvfrom": lambda: a.recvfrom(size)[0],
            "recv_into": lambda: a.recv_into(buf, size),
            "recvfrom_into": lambda: a.recvfrom_into(buf, size)[0],
            "recvmsg": lambda: a.recvmsg(size)[0],
            "recvmsg_anc": lambda: a.recvmsg(8, size)[0],
            "recvmsg_into_anc": lambda: a.recvmsg_into([buf], size)[0],
        }
        return outcome(calls[call]), bytes(buf)


@pytest.mark.skipif(PYPY, reason="PyPy's built-in recvfrom_into corrupts "
                    "its heap on negative sizes; tools/adversarial.py "
                    "compares PyPy runs against CPython's outcomes")
@SETTINGS
@given(call=receive_calls, size=wrapped_sizes)
def test_receive_sizes(call, size):
    assert _receive(sockcffi, call, size) == _receive(socket, call, size)
