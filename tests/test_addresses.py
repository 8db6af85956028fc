"""sockcffi.addresses: every family both ways, live kernel checks, errors.

Families this kernel lacks (CAN, TIPC, RDS, ALG, ...) are checked at the
conversion level: encode to the C struct, read the fields, decode back.
"""
import os
import socket
import sys
import tempfile

import pytest

from sockcffi import addresses
from sockcffi._binding import ffi, lib
from sockcffi.addresses import from_sockaddr, new_storage, to_sockaddr

PYPY = sys.implementation.name == "pypy"


def has(name):
    return getattr(lib, name, None) in addresses._FAMILIES


def roundtrip(family, address, proto=0):
    ptr, length = to_sockaddr(family, proto, address, "bind")
    return ptr, length, from_sockaddr(ptr, length, proto)


def htons(x):
    return socket.htons(x)


# --- conversion level --------------------------------------------------------

@pytest.mark.parametrize("address, expected", [
    (("127.0.0.1", 80), ("127.0.0.1", 80)),
    (("", 0), ("0.0.0.0", 0)),
    (("<broadcast>", 65535), ("255.255.255.255", 65535)),
    (("255.255.255.255", 1), ("255.255.255.255", 1)),
    (("127.1", 7), ("127.0.0.1", 7)),
    ((b"10.1.2.3", 9), ("10.1.2.3", 9)),
    ((bytearray(b"10.1.2.3"), 9), ("10.1.2.3", 9)),
    (("localhost", 5), ("127.0.0.1", 5)),
])
def test_inet_roundtrip(address, expected):
    ptr, length, back = roundtrip(lib.AF_INET, address)
    assert length == ffi.sizeof("struct sockaddr_in")
    assert ptr.sin_family == lib.AF_INET
    assert ptr.sin_port == htons(expected[1])
    assert back == expected


def test_inet_fields_are_network_order():
    ptr, _, _ = roundtrip(lib.AF_INET, ("1.2.3.4", 0x1234))
    raw = bytes(ffi.buffer(ptr))
    assert raw[2:4] == b"\x12\x34"
    assert raw[4:8] == b"\x01\x02\x03\x04"


@pytest.mark.parametrize("address, expected", [
    (("::1", 80), ("::1", 80, 0, 0)),
    (("::1", 80, 5), ("::1", 80, 5, 0)),
    (("::1", 80, 0xfffff, 7), ("::1", 80, 0xfffff, 7)),
    (("", 1), ("::", 1, 0, 0)),
    (("::ffff:1.2.3.4", 2), ("::ffff:1.2.3.4", 2, 0, 0)),
    (("fe80::1%lo", 3), ("fe80::1", 3, 0, 0)),       # scope comes from v[3]
])
def test_inet6_roundtrip(address, expected):
    ptr, length, back = roundtrip(lib.AF_INET6, address)
    assert length == ffi.sizeof("struct sockaddr_in6")
    assert ptr.sin6_family == lib.AF_INET6
    if PYPY and expected[3]:
        assert back[0].startswith(expected[0])
        assert back[1:] == expected[1:]
    else:
        assert back == expected


def test_inet6_masks_like_stdlib():
    # 'I' format units truncate: 2**32 + 7 -> 7 on CPython
    if PYPY:
        pytest.skip("PyPy range-checks scope ids")
    _, _, back = roundtrip(lib.AF_INET6, ("::1", 0, 0, 2 ** 32 + 7))
    assert back[3] == 7


def test_unix_roundtrip():
    base = ffi.offsetof("struct sockaddr_un", "sun_path")
    ptr, length, back = roundtrip(lib.AF_UNIX, "/tmp/some.sock")
    assert back == "/tmp/some.sock"
    assert length == base + len("/tmp/some.sock") + 1
    ptr, length, back = roundtrip(lib.AF_UNIX, b"\0abstract")
    assert back == b"\0abstract" and length == base + 9
    assert roundtrip(lib.AF_UNIX, bytearray(b"/x"))[2] == "/x"
    assert roundtrip(lib.AF_UNIX, "/tmp/\udcff")[2] == "/tmp/\udcff"
    assert roundtrip(lib.AF_UNIX, "")[2] == ""


def test_unix_length_limits():
    room = len(ffi.new("struct sockaddr_un *").sun_path)
    to_sockaddr(lib.AF_UNIX, 0, "x" * (room - 1), "bind")
    with pytest.raises(OSError, match="AF_UNIX path too long"):
        to_sockaddr(lib.AF_UNIX, 0, "x" * room, "bind")
    to_sockaddr(lib.AF_UNIX, 0, b"\0" + b"x" * (room - 1), "bind")
    with pytest.raises(OSError, match="AF_UNIX path too long"):
        to_sockaddr(lib.AF_UNIX, 0, b"\0" + b"x" * room, "bind")


@pytest.mark.skipif(not has("AF_NETLINK"), reason="no AF_NETLINK")
def test_netlink_roundtrip():
    ptr, length, back = roundtrip(lib.AF_NETLINK, (123, 0x80000001))
    assert (ptr.nl_pid, ptr.nl_groups) == (123, 0x80000001)
    assert back == (123, 0x80000001)


@pytest.mark.skipif(not has("AF_VSOCK"), reason="no AF_VSOCK")
def test_vsock_roundtrip():
    ptr, _, back = roundtrip(lib.AF_VSOCK, (2, 1024))
    assert (ptr.svm_cid, ptr.svm_port) == (2, 1024)
    assert back == (2, 1024)


@pytest.mark.skipif(not has("AF_QIPCRTR"), reason="no AF_QIPCRTR")
def test_qipcrtr_roundtrip():
    ptr, _, back = roundtrip(lib.AF_QIPCRTR, (1, 0xfffffffe))
    assert (ptr.sq_node, ptr.sq_port) == (1, 0xfffffffe)
    assert back == (1, 0xfffffffe)


@pytest.mark.skipif(not has("AF_RDS"), reason="no AF_RDS")
def test_rds_uses_sockaddr_in():
    ptr, length, back = roundtrip(lib.AF_RDS, ("127.0.0.1", 4000))
    assert ptr.sin_family == lib.AF_RDS
    assert length == ffi.sizeof("struct sockaddr_in")
    assert back == ("127.0.0.1", 4000)


@pytest.mark.skipif(not has("AF_PACKET"), reason="no AF_PACKET")
def test_packet_roundtrip():
    lo = socket.if_nameindex()[0] if hasattr(socket, "if_nameindex") else None
    ptr, _, back = roundtrip(lib.AF_PACKET, ("lo", 0x0800, 1, 772, b"\1\2"))
    assert ptr.sll_ifindex == 1 or lo is None or ptr.sll_ifindex == lo[0]
    assert ptr.sll_protocol == htons(0x0800)
    assert back == ("lo", 0x0800, 1, 772, b"\1\2")
    assert roundtrip(lib.AF_PACKET, ("lo", 3))[2] == ("lo", 3, 0, 0, b"")


@pytest.mark.skipif(not has("AF_PACKET"), reason="no AF_PACKET")
def test_packet_errors():
    with pytest.raises(OSError) as info:
        to_sockaddr(lib.AF_PACKET, 0, ("nosuchif0", 0), "bind")
    assert info.value.errno == 19         # ENODEV, as the stdlib's ioctl
    with pytest.raises(ValueError):
        to_sockaddr(lib.AF_PACKET, 0, ("lo", 0, 0, 0, b"x" * 9), "bind")
    with pytest.raises(OverflowError):
        to_sockaddr(lib.AF_PACKET, 0, ("lo", 70000), "bind")
    with pytest.raises(TypeError):
        to_sockaddr(lib.AF_PACKET, 0, "lo", "bind")


@pytest.mark.skipif(not has("AF_CAN"), reason="no AF_CAN binding")
class TestCAN:
    def test_raw_and_bcm(self):
        for proto in (lib.CAN_RAW, lib.CAN_BCM):
            ptr, length, back = roundtrip(lib.AF_CAN, ("",), proto)
            assert ptr.can_family == lib.AF_CAN and ptr.can_ifindex == 0
            assert length == ffi.sizeof("struct sockaddr_can")
            assert back == ("",)
            ptr, _, back = roundtrip(lib.AF_CAN, ("lo",), proto)
            assert ptr.can_ifindex == socket.if_nametoindex("lo") \
                if hasattr(socket, "if_nametoindex") else 1
            assert back == ("lo",)

    def test_isotp(self):
        ptr, _, back = roundtrip(lib.AF_CAN, ("", 0x123, 0x456), lib.CAN_ISOTP)
        out = ffi.new("uint32_t[2]")
        lib.sockcffi_can_get_tp(ptr, out)
        assert (out[0], out[1]) == (0x123, 0x456)
        assert back == ("", 0x123, 0x456)

    def test_j1939(self):
        address = ("lo", 2 ** 64 - 1, 0x3ffff, 0xfe)
        ptr, _, back = roundtrip(lib.AF_CAN, address, lib.CAN_J1939)
        assert back == address

    def test_errors(self):
        with pytest.raises(OSError, match="too long"):
            to_sockaddr(lib.AF_CAN, lib.CAN_RAW, ("x" * 16,), "bind")
        with pytest.raises(OSError):
            to_sockaddr(lib.AF_CAN, lib.CAN_RAW, ("nosuchcan0",), "bind")
        with pytest.raises(TypeError):
            to_sockaddr(lib.AF_CAN, lib.CAN_RAW, "can0", "bind")
        with pytest.raises(OSError, match="unsupported CAN protocol"):
            to_sockaddr(lib.AF_CAN, 99, ("",), "bind")


@pytest.mark.skipif(not has("AF_TIPC"), reason="no AF_TIPC binding")
class TestTIPC:
    def test_nameseq(self):
        address = (lib.TIPC_ADDR_NAMESEQ, 1000, 1, 10, lib.TIPC_NODE_SCOPE)
        ptr, length, back = roundtrip(lib.AF_TIPC, address)
        assert ptr.family == lib.AF_TIPC and ptr.addrtype == 1
        assert length == ffi.sizeof("struct sockaddr_tipc")
        assert back == address

    def test_name_reports_instance_twice(self):
        # the stdlib decodes TIPC_ADDR_NAME as (type, instance, instance)
        _, _, back = roundtrip(lib.AF_TIPC, (lib.TIPC_ADDR_NAME, 7, 8, 9))
        assert back == (lib.TIPC_ADDR_NAME, 7, 8, 8, lib.TIPC_CLUSTER_SCOPE)

    def test_id(self):
        _, _, back = roundtrip(lib.AF_TIPC, (lib.TIPC_ADDR_ID, 5, 6, 7, 1))
        assert back == (lib.TIPC_ADDR_ID, 5, 6, 0, 1)

    def test_errors(self):
        with pytest.raises(TypeError):
            to_sockaddr(lib.AF_TIPC, 0, (9, 1, 2, 3), "bind")
        with pytest.raises(TypeError):
            to_sockaddr(lib.AF_TIPC, 0, (1, 2, 3), "bind")
        with pytest.raises(TypeError, match="must be tuple"):
            to_sockaddr(lib.AF_TIPC, 0, [1, 2, 3, 4], "bind")


@pytest.mark.skipif(not has("AF_ALG"), reason="no AF_ALG binding")
class TestALG:
    def test_roundtrip(self):
        ptr, length, _ = roundtrip(lib.AF_ALG, ("hash", "sha256", 1, 2))
        assert length == ffi.sizeof("struct sockaddr_alg")
        assert ffi.string(ffi.cast("char *", ptr.salg_type)) == b"hash"
        assert ffi.string(ffi.cast("char *", ptr.salg_name)) == b"sha256"
        conv = addresses.family_of(lib.AF_ALG)
        assert conv.decode(ptr, length, 0) == ("hash", "sha256", 1, 2)

    def test_stdlib_has_no_decoder(self):
        ptr, length = to_sockaddr(lib.AF_ALG, 0, ("hash", "sha1"), "bind")
        fam, data = from_sockaddr(ptr, length)
        assert fam == lib.AF_ALG and data[:4] == b"hash" and len(data) == 14

    def test_limits(self):
        to_sockaddr(lib.AF_ALG, 0, ("t" * 13, "n" * 63), "bind")
        with pytest.raises(ValueError, match="AF_ALG type too long."):
            to_sockaddr(lib.AF_ALG, 0, ("t" * 14, "n"), "bind")
        with pytest.raises(ValueError, match="AF_ALG name too long."):
            to_sockaddr(lib.AF_ALG, 0, ("t", "n" * 64), "bind")
        with pytest.raises(TypeError):
            to_sockaddr(lib.AF_ALG, 0, (b"hash", "x"), "bind")


def test_generic_and_empty_decoding():
    st, lenp = new_storage()
    assert lenp[0] == ffi.sizeof("struct sockaddr_storage")
    sa = ffi.cast("struct sockaddr *", st)
    ffi.memmove(st, b"\0" * 16, 16)
    sa.sa_family = 255
    ffi.memmove(ffi.cast("char *", st) + 2, b"abc", 3)
    assert from_sockaddr(st, 5) == (255, b"abc" + b"\0" * 11)
    assert from_sockaddr(st, 0) is None


def test_unknown_family_is_oserror():
    with pytest.raises(OSError, match="bad family"):
        to_sockaddr(12345, 0, ("x", 1), "bind")


def test_error_wording():
    with pytest.raises(OverflowError) as info:
        to_sockaddr(lib.AF_INET, 0, ("127.0.0.1", 70000), "connect")
    if not PYPY:
        assert str(info.value) == "connect(): port must be 0-65535."
        with pytest.raises(TypeError) as info:
            to_sockaddr(lib.AF_INET, 0, "x", "bind")
        assert str(info.value) == \
            "bind(): AF_INET address must be tuple, not str"
        with pytest.raises(OverflowError) as info:
            to_sockaddr(lib.AF_INET6, 0, ("::1", 0, 1 << 20), "sendto")
        assert str(info.value) == "sendto(): flowinfo must be 0-1048575."


# --- live: the kernel agrees -------------------------------------------------

def kernel_bind(sock, address):
    ptr, length = to_sockaddr(sock.family, sock.proto, address, "bind")
    if lib.bind(sock.fileno(), ffi.cast("struct sockaddr *", ptr), length):
        raise OSError(ffi.errno, os.strerror(ffi.errno))


def our_getsockname(sock):
    st, lenp = new_storage()
    assert lib.getsockname(sock.fileno(), ffi.cast("struct sockaddr *", st),
                           lenp) == 0
    return from_sockaddr(st, lenp[0], sock.proto)


@pytest.mark.parametrize("family, address", [
    (socket.AF_INET, ("127.0.0.1", 0)),
    (socket.AF_INET, ("", 0)),
    (socket.AF_INET6, ("::1", 0)),
    (socket.AF_INET6, ("::", 0, 0, 0)),
])
def test_live_inet(family, address):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        kernel_bind(s, address)
        assert our_getsockname(s) == s.getsockname()


def test_live_unix_paths():
    with tempfile.TemporaryDirectory() as d:
        for name in ("plain.sock", "\udcff.sock"):
            path = os.path.join(d, name)
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                kernel_bind(s, path)
                assert our_getsockname(s) == s.getsockname() == path


def test_live_unix_abstract_and_unbound():
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        assert our_getsockname(s) == s.getsockname()
        name = b"\0sockcffi-test-%d" % os.getpid()
        kernel_bind(s, name)
        assert our_getsockname(s) == s.getsockname() == name
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        kernel_bind(s, "")                        # autobind
        got = our_getsockname(s)
        assert got == s.getsockname() and got[:1] == b"\0"


def test_live_socketpair_names():
    a, b = socket.socketpair()
    with a, b:
        assert our_getsockname(a) == a.getsockname()


@pytest.mark.skipif(not has("AF_NETLINK"), reason="no AF_NETLINK")
def test_live_netlink():
    try:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    except OSError:
        pytest.skip("no netlink sockets")
    with s:
        kernel_bind(s, (0, 0))
        assert our_getsockname(s) == s.getsockname()


# --- bad input: same exception class as the stdlib's bind() ------------------

BAD = [
    (socket.AF_INET, "127.0.0.1"),
    (socket.AF_INET, ("127.0.0.1",)),
    (socket.AF_INET, ("127.0.0.1", 0, 1)),
    (socket.AF_INET, ["127.0.0.1", 0]),
    (socket.AF_INET, ("127.0.0.1", -1)),
    (socket.AF_INET, ("127.0.0.1", 65536)),
    (socket.AF_INET, ("127.0.0.1", 2 ** 70)),
    (socket.AF_INET, ("127.0.0.1", "80")),
    (socket.AF_INET, ("127.0.0.1", 1.5)),
    (socket.AF_INET, (1, 0)),
    (socket.AF_INET, (None, 0)),
    (socket.AF_INET, ("a\0b", 0)),
    (socket.AF_INET, ("::1", 0)),
    (socket.AF_INET, ("1.2.3.4.5", 0)),
    (socket.AF_INET, ("ü..x", 0)),
    (socket.AF_INET6, "::1"),
    (socket.AF_INET6, ("::1",)),
    (socket.AF_INET6, ("::1", 0, 0, 0, 0)),
    (socket.AF_INET6, ("::1", 0, -1)),
    (socket.AF_INET6, ("::1", 0, 1 << 20)),
    (socket.AF_INET6, ("::1", 0, 0, 1.0)),
    (socket.AF_INET6, ("::1", 70000)),
    (socket.AF_INET6, ("127.0.0.1", 0)),
    (socket.AF_INET6, ("fe80::1%lo", 0)),
    (socket.AF_INET6, ("fe80::1%nosuchif", 0)),
    (socket.AF_UNIX, 1),
    (socket.AF_UNIX, ("a",)),
    (socket.AF_UNIX, "x" * 200),
    (socket.AF_UNIX, b"\0" + b"x" * 200),
]


def _result(fn):
    try:
        fn()
    except Exception as e:      # noqa: BLE001 - the class is the point
        return type(e)
    return None


@pytest.mark.parametrize("family, address", BAD)
def test_bad_bind_same_class_as_stdlib(family, address):
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        expected = _result(lambda: s.bind(address))
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        got = _result(lambda: kernel_bind(s, address))
    if expected is not None and expected.__name__ in ("gaierror", "herror"):
        assert got is not None and got.__name__ == expected.__name__
    else:
        assert got is expected


def test_inet_encode_cache_keeps_stdlib_semantics():
    """The numeric-IPv4 encode cache never changes an outcome: a cached
    (host, port) does not make an equal-but-differently-typed address valid,
    and names that need resolving are never cached."""
    from sockcffi import addresses
    addresses.to_sockaddr(socket.AF_INET, 0, ("127.0.0.1", 9), "sendto")
    assert ("127.0.0.1", 9) in addresses._ENCODED[socket.AF_INET]
    for bad in (("127.0.0.1", 9.0), ("127.0.0.1", True), ["127.0.0.1", 9]):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ref:
            try:
                ref.sendto(b"", bad)
            except Exception as e:
                expected = type(e)
            else:
                expected = None
        try:
            addresses.to_sockaddr(socket.AF_INET, 0, bad, "sendto")
        except Exception as e:
            got = type(e)
        else:
            got = None
        assert got is expected, bad
    addresses.to_sockaddr(socket.AF_INET, 0, ("localhost", 9), "sendto")
    assert ("localhost", 9) not in addresses._ENCODED.get(socket.AF_INET,
                                                         {})


def test_recvfrom_addresses_from_reused_names():
    """recvfrom() reuses the place the kernel writes the sender's address
    and keeps decoded IPv4 addresses: every result is still this call's
    sender, and a call whose kernel wrote no address gives None even when
    the reused storage last held an IPv4 one."""
    import sockcffi
    rx = sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(10)
    senders = []
    for _ in range(3):
        s = sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM)
        s.bind(("127.0.0.2", 0))
        senders.append(s)
    for _ in range(3):
        for s in senders:
            s.sendto(b"x", rx.getsockname())
            assert rx.recvfrom(10) == (b"x", s.getsockname())
            buf = bytearray(4)
            s.sendto(b"y", rx.getsockname())
            assert rx.recvfrom_into(buf) == (1, s.getsockname())
        # Now a stream socket: the kernel reports no address at all.
        a, b = sockcffi.socketpair()
        with a, b:
            a.sendall(b"z")
            assert b.recvfrom(10) == (b"z", None)
    u1, u2 = sockcffi.socketpair(sockcffi.AF_UNIX, sockcffi.SOCK_DGRAM)
    with u1, u2:
        u1.send(b"u")
        assert u2.recvfrom(10)[0] == b"u"
    for s in senders + [rx]:
        s.close()
