"""sockcffi.cmsg: typed control messages decoded from real loopback
traffic, encoders used by sendmsg(), and the decoders fuzzed in a child
process."""
import errno
import os
import socket
import struct
import subprocess
import sys
import textwrap
import time

import pytest

import sockcffi
from sockcffi import cmsg, records
from sockcffi._binding import ffi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockhelpers import JOIN, closing, refused_port  # noqa: E402

S = sockcffi


def udp_pair(family=None, host="127.0.0.1"):
    family = S.AF_INET if family is None else family
    rx = S.socket(family, S.SOCK_DGRAM)
    tx = S.socket(family, S.SOCK_DGRAM)
    rx.bind((host, 0))
    tx.bind((host, 0))
    rx.settimeout(JOIN)
    tx.settimeout(JOIN)
    return rx, tx


def by_name(messages):
    return {m.name: m.value for m in messages}


def ipv6_loopback():
    if not S.has_ipv6:
        return False
    try:
        s = S.socket(S.AF_INET6, S.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def test_ip_pktinfo_ttl_tos_from_real_traffic():
    rx, tx = udp_pair()
    try:
        for opt in ("IP_PKTINFO", "IP_RECVTTL", "IP_RECVTOS"):
            rx.setsockopt(S.IPPROTO_IP, getattr(S, opt), 1)
        tx.setsockopt(S.IPPROTO_IP, S.IP_TOS, 0x10)
        tx.sendto(b"hello", rx.getsockname())
        data, anc, flags, addr = rx.recvmsg(100, 256)
        got = by_name(cmsg.decode(anc))
        info = got["IP_PKTINFO"]
        assert info == records.in_pktinfo(
            ipi_ifindex=S.if_nametoindex("lo"), ipi_spec_dst="127.0.0.1",
            ipi_addr="127.0.0.1")
        assert got["IP_TTL"] == 64
        assert got["IP_TOS"] == 0x10
        assert addr == tx.getsockname()
    finally:
        closing(rx, tx)


def test_send_with_pktinfo_ttl_and_tos_items():
    rx, tx = udp_pair()
    try:
        rx.setsockopt(S.IPPROTO_IP, S.IP_RECVTTL, 1)
        rx.setsockopt(S.IPPROTO_IP, S.IP_RECVTOS, 1)
        items = [cmsg.ip_pktinfo(ipi_spec_dst="127.0.0.1"), cmsg.ip_ttl(7),
                 cmsg.ip_tos(0x20)]
        assert tx.sendmsg([b"x"], items, 0, rx.getsockname()) == 1
        _, anc, _, _ = rx.recvmsg(10, 256)
        got = by_name(cmsg.decode(anc))
        assert got["IP_TTL"] == 7 and got["IP_TOS"] == 0x20
    finally:
        closing(rx, tx)


def test_scm_timestampns_and_timestamp():
    rx, tx = udp_pair()
    try:
        rx.setsockopt(S.SOL_SOCKET, S.SO_TIMESTAMPNS, 1)
        before = time.time()
        tx.sendto(b"t", rx.getsockname())
        _, anc, _, _ = rx.recvmsg(10, 256)
        after = time.time()
        (msg,) = cmsg.decode(anc)
        assert msg.name == "SCM_TIMESTAMPNS"
        ts = msg.value
        assert ts.ctype == "struct timespec" and 0 <= ts.tv_nsec < 10 ** 9
        stamp = ts.tv_sec + ts.tv_nsec / 1e9
        assert before - 1 <= stamp <= after + 1
        rx.setsockopt(S.SOL_SOCKET, S.SO_TIMESTAMPNS, 0)
        rx.setsockopt(S.SOL_SOCKET, S.SO_TIMESTAMP, 1)
        tx.sendto(b"t", rx.getsockname())
        _, anc, _, _ = rx.recvmsg(10, 256)
        (msg,) = cmsg.decode(anc)
        assert msg.name == "SCM_TIMESTAMP"
        assert 0 <= msg.value.tv_usec < 10 ** 6
        assert abs(msg.value.tv_sec - time.time()) < 60
    finally:
        closing(rx, tx)


@pytest.mark.skipif(not hasattr(S, "SOF_TIMESTAMPING_RX_SOFTWARE"),
                    reason="no timestamping headers")
def test_scm_timestamping():
    rx, tx = udp_pair()
    try:
        rx.setsockopt(S.SOL_SOCKET, S.SO_TIMESTAMPING,
                      S.SOF_TIMESTAMPING_RX_SOFTWARE
                      | S.SOF_TIMESTAMPING_SOFTWARE)
        # The kernel turns receive timestamps on asynchronously the first
        # time a socket asks (a static key flipped from a work queue): the
        # first datagrams may come without one.  A bounded number of tries.
        for _ in range(200):
            tx.sendto(b"t", rx.getsockname())
            _, anc, _, _ = rx.recvmsg(10, 256)
            got = by_name(cmsg.decode(anc))
            if "SCM_TIMESTAMPING" in got:
                break
        ts = got["SCM_TIMESTAMPING"].ts
        assert len(ts) == 3 and abs(ts[0].tv_sec - time.time()) < 60
    finally:
        closing(rx, tx)


def test_ip_recverr_from_a_closed_port():
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        s.setsockopt(S.IPPROTO_IP, S.IP_RECVERR, 1)
        port = refused_port()
        s.sendto(b"anyone?", ("127.0.0.1", port))
        s.settimeout(JOIN)
        deadline = time.monotonic() + JOIN
        while True:
            try:
                data, anc, flags, addr = s.recvmsg(100, 512, S.MSG_ERRQUEUE)
                break
            except (BlockingIOError, InterruptedError):
                # The error queue is not pollable for input: retry, bounded.
                assert time.monotonic() < deadline
        assert flags & S.MSG_ERRQUEUE
        (msg,) = cmsg.decode(anc)
        assert msg.name == "IP_RECVERR"
        ee, offender = msg.value
        assert ee.ee_errno == errno.ECONNREFUSED
        assert ee.ee_origin == S.SO_EE_ORIGIN_ICMP
        assert (ee.ee_type, ee.ee_code) == (3, 3)     # port unreachable
        assert offender == ("127.0.0.1", 0)
        assert addr == ("127.0.0.1", port)
    finally:
        s.close()


@pytest.mark.skipif(not ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_pktinfo_hoplimit_tclass_and_recverr():
    rx, tx = udp_pair(S.AF_INET6, "::1")
    try:
        for opt in ("IPV6_RECVPKTINFO", "IPV6_RECVHOPLIMIT",
                    "IPV6_RECVTCLASS"):
            rx.setsockopt(S.IPPROTO_IPV6, getattr(S, opt), 1)
        items = [cmsg.ipv6_hoplimit(9), cmsg.ipv6_tclass(0x28)]
        tx.sendmsg([b"v6"], items, 0, rx.getsockname()[:2])
        _, anc, _, _ = rx.recvmsg(10, 512)
        got = by_name(cmsg.decode(anc))
        assert got["IPV6_PKTINFO"] == records.in6_pktinfo(
            "::1", S.if_nametoindex("lo"))
        assert got["IPV6_HOPLIMIT"] == 9
        assert got["IPV6_TCLASS"] == 0x28
        tx.setsockopt(S.IPPROTO_IPV6, S.IPV6_RECVERR, 1)
        port = refused_port_v6()
        tx.sendto(b"?", ("::1", port))
        deadline = time.monotonic() + JOIN
        while True:
            try:
                _, anc, _, _ = tx.recvmsg(10, 512, S.MSG_ERRQUEUE)
                break
            except (BlockingIOError, InterruptedError):
                assert time.monotonic() < deadline
        (msg,) = cmsg.decode(anc)
        assert msg.name == "IPV6_RECVERR"
        assert msg.value.ee.ee_errno == errno.ECONNREFUSED
        assert msg.value.offender[0] == "::1"
    finally:
        closing(rx, tx)


def refused_port_v6():
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.skipif(not hasattr(S, "UDP_SEGMENT"), reason="no UDP GSO")
@pytest.mark.parametrize("gro", [False, True])
def test_udp_segment_and_gro(gro):
    rx, tx = udp_pair()
    try:
        if gro:
            rx.setsockopt(S.IPPROTO_UDP, S.UDP_GRO, 1)
        payload = bytes(range(200)) * 20           # 4000 bytes
        sent = tx.sendmsg([payload], [cmsg.udp_segment(1000)], 0,
                          rx.getsockname())
        assert sent == len(payload)
        received = b""
        sizes = []
        while len(received) < len(payload):
            data, anc, _, _ = rx.recvmsg(65536, 256)
            received += data
            got = by_name(cmsg.decode(anc))
            if gro and "UDP_GRO" in got:
                sizes.append(got["UDP_GRO"])
            else:
                assert len(data) == 1000
        assert received == payload
        if gro:
            assert sizes and all(size == 1000 for size in sizes)
    finally:
        closing(rx, tx)


def test_so_rxq_ovfl():
    rx, tx = udp_pair()
    try:
        rx.setsockopt(S.SOL_SOCKET, S.SO_RXQ_OVFL, 1)
        rx.setsockopt(S.SOL_SOCKET, S.SO_RCVBUF, 1024)
        for _ in range(200):            # overflow the small queue
            tx.sendto(b"z" * 512, rx.getsockname())
        rx.setblocking(False)
        while True:                     # drain what was queued
            try:
                rx.recvmsg(1024, 256)
            except BlockingIOError:
                break
        # A datagram queued after the drops carries their count.
        rx.settimeout(JOIN)
        tx.sendto(b"after", rx.getsockname())
        data, anc, _, _ = rx.recvmsg(1024, 256)
        got = by_name(cmsg.decode(anc))
        assert data == b"after" and got["SO_RXQ_OVFL"] > 0
    finally:
        closing(rx, tx)


@pytest.mark.skipif(not hasattr(S, "SO_TXTIME"), reason="no SO_TXTIME")
def test_so_txtime_message_is_accepted():
    rx, tx = udp_pair()
    try:
        tx.setsockopt(S.SOL_SOCKET, S.SO_TXTIME,
                      ffi.buffer(records.encode("sock_txtime", {
                          "clockid": time.CLOCK_MONOTONIC, "flags": 0}))[:])
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        tx.sendmsg([b"later"], [cmsg.txtime(now)], 0, rx.getsockname())
        assert rx.recv(10) == b"later"
        (_, _, data) = cmsg.txtime(now)
        assert cmsg.decode_one(S.SOL_SOCKET, S.SCM_TXTIME, data) == now
    finally:
        closing(rx, tx)


def test_scm_rights_and_credentials():
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    r, w = os.pipe()
    try:
        b.setsockopt(S.SOL_SOCKET, S.SO_PASSCRED, 1)
        a.sendmsg([b"fd"], [cmsg.rights([r, w]),
                            cmsg.credentials(os.getpid(), os.getuid(),
                                             os.getgid())])
        _, anc, _, _ = b.recvmsg(10, 256)
        got = by_name(cmsg.decode(anc))
        fds = got["SCM_RIGHTS"]
        assert len(fds) == 2
        os.write(fds[1], b"!")
        assert os.read(fds[0], 1) == b"!"
        for fd in fds:
            os.close(fd)
        assert got["SCM_CREDENTIALS"] == records.ucred(
            os.getpid(), os.getuid(), os.getgid())
    finally:
        os.close(r)
        os.close(w)
        closing(a, b)


def test_unknown_and_raw_items_pass_through():
    out = cmsg.decode([(12345, 6789, b"\1\2"), (S.SOL_SOCKET, S.SCM_RIGHTS,
                                                 bytearray(8))])
    assert out[0] == cmsg.ControlMessage(12345, 6789, None, b"\1\2")
    assert out[1].value == [0, 0]
    assert cmsg.encode(1, 2, b"raw") == (1, 2, b"raw")


def test_encode_layouts_match_the_c_abi():
    assert cmsg.rights([3, 4])[2] == struct.pack("ii", 3, 4)
    assert cmsg.credentials(1, 2, 3)[2] == struct.pack("iII", 1, 2, 3)
    if hasattr(S, "UDP_SEGMENT"):
        assert cmsg.udp_segment(1400)[2] == struct.pack("H", 1400)
    assert cmsg.ip_ttl(9)[2] == struct.pack("i", 9)
    info = cmsg.ip_pktinfo(2, "10.0.0.1", "10.0.0.2")[2]
    assert info == struct.pack("i", 2) + socket.inet_aton("10.0.0.1") + \
        socket.inet_aton("10.0.0.2")


def test_encode_round_trips_every_struct_type():
    for (level, kind), (_, name, ctype) in cmsg._TYPES.items():
        if not ctype.startswith("struct ") or "sockaddr" in ctype:
            continue
        zero = records.struct(ctype)()
        item = cmsg.encode(level, kind, zero)
        assert len(item[2]) == ffi.sizeof(ctype)
        value = cmsg.decode_one(level, kind, item[2])
        if name.endswith("RECVERR"):
            assert value.ee == records.struct(ctype)(*[0] * len(zero))
            assert value.offender is None
        else:
            # Every field present; socket-address fields of zeros are
            # AF_UNSPEC, which decodes to None.
            for (field, cf), v in zip(ffi.typeof(ctype).fields, value):
                assert v is not None or "sockaddr" in cf.type.cname, \
                    (name, field)


def test_bad_encode_arguments():
    with pytest.raises(TypeError):
        cmsg.encode(S.SOL_SOCKET, S.SCM_RIGHTS, ["x"])
    with pytest.raises(OverflowError):
        cmsg.rights([2 ** 40])
    with pytest.raises(TypeError):
        cmsg.encode(S.IPPROTO_IP, S.IP_TTL)
    with pytest.raises(OverflowError):
        cmsg.ip_tos(256)
    with pytest.raises(OSError):
        cmsg.ip_pktinfo(ipi_addr="nope")
    with pytest.raises(ValueError):
        cmsg.decode_one(S.IPPROTO_IP, S.IP_TTL, b"\1\2\3")


FUZZ_CHILD = textwrap.dedent("""
    import random, sys
    from sockcffi import cmsg
    from sockcffi._binding import ffi
    rng = random.Random(int(sys.argv[1]))
    decoded = errors = 0
    keys = sorted(cmsg._TYPES)
    for level, kind in keys + [(1, 9999)]:
        for n in range(0, 300):
            data = bytes(rng.getrandbits(8) for _ in range(n))
            try:
                cmsg.decode([(level, kind, data)])
                decoded += 1
            except ValueError:
                errors += 1       # an integer of impossible length
    # Whole random lists of items.
    for _ in range(200):
        items = [(rng.choice(keys)[0], rng.choice(keys)[1],
                  bytes(rng.getrandbits(8) for _ in range(rng.randrange(64))))
                 for _ in range(rng.randrange(5))]
        try:
            cmsg.decode(items)
        except ValueError:
            pass
    print(decoded, errors)
""")


def test_decoders_fuzzed_in_a_child():
    proc = subprocess.run([sys.executable, "-c", FUZZ_CHILD, "7"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    assert proc.returncode == 0, proc.stderr
    decoded, errors = map(int, proc.stdout.split())
    assert decoded > 1000


def test_struct_decoding_never_reads_past_the_data():
    """A message's value depends only on its own bytes, and a field is
    decoded exactly when it ends within them."""
    for (level, kind), (_, name, ctype) in cmsg._TYPES.items():
        if not ctype.startswith("struct ") or "sockaddr" in ctype:
            continue
        size = ffi.sizeof(ctype)
        for n in range(size + 1):
            data = bytes((i * 13 + 1) % 256 for i in range(n))
            short = cmsg.decode_one(level, kind, data)
            assert short == cmsg.decode_one(level, kind, bytearray(data))
            value = short.ee if name.endswith("RECVERR") else short
            for (field, cf), v in zip(ffi.typeof(ctype).fields, value):
                inside = cf.offset + ffi.sizeof(cf.type) <= n
                assert inside or v is None, (name, field, n)
                if inside and "sockaddr" not in cf.type.cname:
                    assert v is not None, (name, field, n)
