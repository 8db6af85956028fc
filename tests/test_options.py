"""sockcffi.options and sockcffi.records: typed socket options with the
headers' struct layouts, against real loopback sockets, ``ss -ti`` and the
stdlib's raw getsockopt() bytes."""
import errno
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import textwrap

import pytest

import sockcffi
from sockcffi import options, records
from sockcffi._binding import ffi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockhelpers import JOIN, closing, tcp_pair  # noqa: E402

S = sockcffi


def has(*names):
    return all(hasattr(S, n) for n in names)


# ----------------------------------------------------------------- the table

def test_table_entries_are_usable():
    entries = options.types()
    assert len(entries) > 50
    for level, name, ctype in entries:
        assert hasattr(S, level) and hasattr(S, name)
        assert options.ctype(getattr(S, level), getattr(S, name)) == ctype
        base = ctype[:-2] if ctype.endswith("[]") else ctype
        if base.startswith("struct "):
            assert ffi.sizeof(base) > 0


@pytest.mark.parametrize("level,name,ctype", [
    ("SOL_SOCKET", "SO_LINGER", "struct linger"),
    ("SOL_SOCKET", "SO_RCVTIMEO", "struct timeval"),
    ("SOL_SOCKET", "SO_SNDTIMEO_NEW", "struct __kernel_sock_timeval"),
    ("SOL_SOCKET", "SO_PEERCRED", "struct ucred"),
    ("SOL_SOCKET", "SO_MEMINFO", "uint32_t[]"),
    ("SOL_SOCKET", "SO_TXTIME", "struct sock_txtime"),
    ("SOL_SOCKET", "SO_TIMESTAMPING", "struct so_timestamping"),
    ("IPPROTO_TCP", "TCP_INFO", "struct tcp_info"),
    ("IPPROTO_TCP", "TCP_REPAIR_WINDOW", "struct tcp_repair_window"),
    ("IPPROTO_TCP", "TCP_MD5SIG", "struct tcp_md5sig"),
    ("IPPROTO_IP", "IP_ADD_MEMBERSHIP", "struct ip_mreqn"),
    ("IPPROTO_IP", "IP_ADD_SOURCE_MEMBERSHIP", "struct ip_mreq_source"),
    ("IPPROTO_IPV6", "IPV6_JOIN_GROUP", "struct ipv6_mreq"),
    ("SOL_PACKET", "PACKET_ADD_MEMBERSHIP", "struct packet_mreq"),
    ("SOL_PACKET", "PACKET_STATISTICS", "struct tpacket_stats"),
    ("SOL_CAN_RAW", "CAN_RAW_FILTER", "struct can_filter[]"),
    ("SOL_TIPC", "TIPC_IMPORTANCE", "uint32_t"),
    ("AF_VSOCK", "SO_VM_SOCKETS_BUFFER_SIZE", "uint64_t"),
    ("SOL_SOCKET", "SO_REUSEADDR", "int"),
])
def test_ctype(level, name, ctype):
    if not has(level, name):
        pytest.skip("%s not in this build" % name)
    base = ctype[:-2] if ctype.endswith("[]") else ctype
    if base.startswith("struct "):
        try:
            ffi.sizeof(base)
        except ffi.error:
            pytest.skip("this build's headers lack %s" % base)
    assert options.ctype(getattr(S, level), getattr(S, name)) == ctype


def test_records_have_the_c_field_names():
    assert records.struct("linger")._fields == ("l_onoff", "l_linger")
    assert records.struct("struct ucred")._fields == ("pid", "uid", "gid")
    assert records.linger is records.struct("linger")
    assert "tcpi_rtt" in records.tcp_info._fields
    assert records.struct("ip_mreqn")._fields == (
        "imr_multiaddr", "imr_address", "imr_ifindex")
    with pytest.raises(KeyError):
        records.struct("no_such_struct")
    with pytest.raises(AttributeError):
        records.no_such_struct


def test_layouts_match_the_c_abi():
    """Encoded records are the bytes a C program would pass (checked here
    with the stdlib's struct module, which the implementation never uses)."""
    assert bytes(ffi.buffer(records.encode("linger", (1, 7)))) == \
        struct.pack("ii", 1, 7)
    buf = records.encode("ip_mreqn", ("239.1.2.3", "127.0.0.1", 5))
    assert bytes(ffi.buffer(buf)) == (socket.inet_aton("239.1.2.3")
                                      + socket.inet_aton("127.0.0.1")
                                      + struct.pack("i", 5))
    if has("SOL_CAN_RAW"):
        rec = records.struct("can_filter")
        assert bytes(ffi.buffer(records.encode("can_filter", rec(
            0x123, 0x7ff)))) == struct.pack("II", 0x123, 0x7ff)
    tv = records.encode("timeval", {"tv_sec": 3, "tv_usec": 5})
    assert bytes(ffi.buffer(tv)) == struct.pack("ll", 3, 5)


# ------------------------------------------------------- SOL_SOCKET options

def test_integer_options_match_stdlib():
    a = S.socket(S.AF_INET, S.SOCK_STREAM)
    b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        for name in ("SO_RCVBUF", "SO_SNDBUF", "SO_TYPE", "SO_REUSEADDR",
                     "SO_KEEPALIVE"):
            opt = getattr(S, name)
            got = options.get(a, S.SOL_SOCKET, opt)
            assert isinstance(got, int)
            assert got == a.getsockopt(S.SOL_SOCKET, opt)
            assert options.get(b, S.SOL_SOCKET, opt) == \
                b.getsockopt(socket.SOL_SOCKET, opt)
        options.set(a, S.SOL_SOCKET, S.SO_KEEPALIVE, 1)
        assert options.get(a, S.SOL_SOCKET, S.SO_KEEPALIVE) == 1
        assert options.get(a.fileno(), S.SOL_SOCKET, S.SO_KEEPALIVE) == 1
    finally:
        closing(a, b)


@pytest.mark.parametrize("how", ["record", "fields", "dict", "tuple",
                                 "bytes"])
def test_so_linger_round_trip(how):
    s = S.socket(S.AF_INET, S.SOCK_STREAM)
    try:
        assert options.get(s, S.SOL_SOCKET, S.SO_LINGER) == \
            records.linger(0, 0)
        linger = options.record_type(S.SOL_SOCKET, S.SO_LINGER)
        value = linger(l_onoff=1, l_linger=7)
        if how == "record":
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, value)
        elif how == "fields":
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, l_onoff=1, l_linger=7)
        elif how == "dict":
            options.set(s, S.SOL_SOCKET, S.SO_LINGER,
                        {"l_onoff": 1, "l_linger": 7})
        elif how == "tuple":
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, (1, 7))
        else:
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, struct.pack("ii", 1, 7))
        got = options.get(s, S.SOL_SOCKET, S.SO_LINGER)
        assert got == value
        assert got.l_onoff == 1 and got.l_linger == 7
        # The stdlib sees the same bytes.
        assert s.getsockopt(S.SOL_SOCKET, S.SO_LINGER, 8) == \
            struct.pack("ii", 1, 7)
    finally:
        s.close()


@pytest.mark.parametrize("suffix", ["", "_OLD", "_NEW"])
@pytest.mark.parametrize("which", ["SO_RCVTIMEO", "SO_SNDTIMEO"])
def test_socket_timeouts_old_and_new(which, suffix):
    name = which + suffix
    if not has(name):
        pytest.skip("%s not in this build" % name)
    opt = getattr(S, name)
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        options.set(s, S.SOL_SOCKET, opt, tv_sec=2, tv_usec=500000)
        got = options.get(s, S.SOL_SOCKET, opt)
        assert (got.tv_sec, got.tv_usec) == (2, 500000)
        # Old and new spellings address one kernel value.
        plain = options.get(s, S.SOL_SOCKET, getattr(S, which))
        assert (plain.tv_sec, plain.tv_usec) == (2, 500000)
    finally:
        s.close()


def test_so_peercred():
    a, b = S.socketpair()
    try:
        cred = options.get(a, S.SOL_SOCKET, S.SO_PEERCRED)
        assert cred == records.ucred(os.getpid(), os.getuid(), os.getgid())
        assert isinstance(cred, records.ucred)
    finally:
        closing(a, b)


def test_so_meminfo_and_cookie():
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        info = options.get(s, S.SOL_SOCKET, S.SO_MEMINFO)
        assert isinstance(info, list) and len(info) >= 4
        assert all(isinstance(v, int) for v in info)
        assert info[1] == s.getsockopt(S.SOL_SOCKET, S.SO_RCVBUF)
        if has("SO_COOKIE"):
            cookie = options.get(s, S.SOL_SOCKET, S.SO_COOKIE)
            assert cookie == struct.unpack(
                "Q", s.getsockopt(S.SOL_SOCKET, S.SO_COOKIE, 8))[0]
    finally:
        s.close()


@pytest.mark.skipif(not has("SO_TXTIME"), reason="no SO_TXTIME")
def test_so_txtime_record():
    if options.ctype(S.SOL_SOCKET, S.SO_TXTIME) == "int":
        pytest.skip("this build's linux/net_tstamp.h lacks sock_txtime")
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        clock = getattr(__import__("time"), "CLOCK_MONOTONIC")
        options.set(s, S.SOL_SOCKET, S.SO_TXTIME, clockid=clock, flags=0)
        got = options.get(s, S.SOL_SOCKET, S.SO_TXTIME)
        assert got == records.sock_txtime(clockid=clock, flags=0)
    finally:
        s.close()


@pytest.mark.skipif(not has("SO_TIMESTAMPING", "SOF_TIMESTAMPING_RX_SOFTWARE"),
                    reason="no SO_TIMESTAMPING")
def test_so_timestamping_int_and_record():
    if options.ctype(S.SOL_SOCKET, S.SO_TIMESTAMPING) == "int":
        pytest.skip("this build's linux/net_tstamp.h lacks so_timestamping")
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        flags = S.SOF_TIMESTAMPING_RX_SOFTWARE | S.SOF_TIMESTAMPING_SOFTWARE
        options.set(s, S.SOL_SOCKET, S.SO_TIMESTAMPING, flags)
        got = options.get(s, S.SOL_SOCKET, S.SO_TIMESTAMPING)
        assert got.flags == flags and got.bind_phc == 0
        options.set(s, S.SOL_SOCKET, S.SO_TIMESTAMPING, got._replace(flags=0))
        assert options.get(s, S.SOL_SOCKET, S.SO_TIMESTAMPING).flags == 0
    finally:
        s.close()


def test_string_option():
    listener, cli, srv = tcp_pair(S)
    try:
        cc = options.get(cli, S.IPPROTO_TCP, S.TCP_CONGESTION)
        assert isinstance(cc, bytes) and cc and b"\0" not in cc
        assert cc == cli.getsockopt(S.IPPROTO_TCP, S.TCP_CONGESTION,
                                    16).rstrip(b"\0")
        options.set(cli, S.IPPROTO_TCP, S.TCP_CONGESTION, cc)
    finally:
        closing(listener, cli, srv)


# ------------------------------------------------------------------- TCP

def _ss_info(port):
    out = subprocess.run(
        ["ss", "-tin", "state", "established", "( sport = :%d )" % port],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=JOIN).stdout
    found = {}
    for key, pattern in (("rtt", r"\brtt:([\d.]+)/([\d.]+)"),
                         ("cwnd", r"\bcwnd:(\d+)"), ("mss", r"\bmss:(\d+)"),
                         ("rcvmss", r"\brcvmss:(\d+)"),
                         ("advmss", r"\badvmss:(\d+)")):
        m = re.search(pattern, out)
        if m:
            found[key] = m.groups()
    return found, out


@pytest.mark.skipif(shutil.which("ss") is None,
                    reason="ss (iproute2) is not installed")
def test_tcp_info_matches_ss():
    listener, cli, srv = tcp_pair(S)
    try:
        cli.sendall(b"x" * 1000)
        assert len(srv.recv(2000)) > 0
        srv.sendall(b"y")
        assert cli.recv(10) == b"y"
        port = cli.getsockname()[1]
        before = options.get(cli, S.IPPROTO_TCP, S.TCP_INFO)
        found, text = _ss_info(port)
        after = options.get(cli, S.IPPROTO_TCP, S.TCP_INFO)
        assert before.tcpi_state == S.TCP_ESTABLISHED, before
        assert before.ctype == "struct tcp_info"
        assert set(found) >= {"rtt", "cwnd", "mss"}, text
        rtt_ms, rttvar_ms = (float(v) for v in found["rtt"])
        # ss prints tcpi_rtt/1000 with three decimals.
        assert any(abs(rtt_ms * 1000 - i.tcpi_rtt) <= 1
                   for i in (before, after)), (found, before, after)
        assert any(abs(rttvar_ms * 1000 - i.tcpi_rttvar) <= 1
                   for i in (before, after))
        assert int(found["cwnd"][0]) in (before.tcpi_snd_cwnd,
                                         after.tcpi_snd_cwnd)
        assert int(found["mss"][0]) == before.tcpi_snd_mss
        if "rcvmss" in found:
            assert int(found["rcvmss"][0]) == after.tcpi_rcv_mss
        if "advmss" in found:
            assert int(found["advmss"][0]) == before.tcpi_advmss
        # The bitfields, read by the C accessor.
        assert 0 <= before.tcpi_snd_wscale <= 14
    finally:
        closing(listener, cli, srv)


def test_tcp_info_from_stdlib_socket_and_unconnected():
    s = socket.socket()
    try:
        info = options.get(s, socket.IPPROTO_TCP, socket.TCP_INFO)
        assert info.tcpi_state == S.TCP_CLOSE
        assert isinstance(info, records.tcp_info)
        assert info._fields[-2:] == ("tcpi_snd_wscale", "tcpi_rcv_wscale")
    finally:
        s.close()


def test_tcp_repair_window():
    listener, cli, srv = tcp_pair(S)
    try:
        try:
            cli.setsockopt(S.IPPROTO_TCP, S.TCP_REPAIR, 1)
        except PermissionError:
            pytest.skip("TCP_REPAIR needs CAP_NET_ADMIN")
        window = options.get(cli, S.IPPROTO_TCP, S.TCP_REPAIR_WINDOW)
        assert window.snd_wnd > 0 and window.rcv_wnd > 0
        options.set(cli, S.IPPROTO_TCP, S.TCP_REPAIR_WINDOW, window)
        assert options.get(cli, S.IPPROTO_TCP, S.TCP_REPAIR_WINDOW) == window
        cli.setsockopt(S.IPPROTO_TCP, S.TCP_REPAIR, 0)
    finally:
        closing(listener, cli, srv)


def test_tcp_md5sig_protects_a_loopback_connection():
    listener = S.socket(S.AF_INET, S.SOCK_STREAM)
    client = S.socket(S.AF_INET, S.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        try:
            options.set(listener, S.IPPROTO_TCP, S.TCP_MD5SIG,
                        tcpm_addr=("127.0.0.1", 0), tcpm_keylen=6,
                        tcpm_key=b"secret")
        except OSError as e:
            if e.errno in (errno.ENOPROTOOPT, errno.EPERM):
                pytest.skip("no TCP MD5 signatures here: %s" % e)
            raise
        listener.listen()
        options.set(client, S.IPPROTO_TCP, S.TCP_MD5SIG,
                    records.struct("tcp_md5sig")(
                        tcpm_addr=listener.getsockname(), tcpm_keylen=6,
                        tcpm_key=b"secret"))
        client.settimeout(JOIN)
        client.connect(listener.getsockname())
        conn, _ = listener.accept()
        conn.close()
    finally:
        closing(listener, client)


# -------------------------------------------------------------- multicast

def test_ip_add_membership_receives_multicast_on_loopback():
    group = "239.255.77.1"
    lo = S.if_nametoindex("lo")
    rx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    tx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        rx.bind((group, 0))
        port = rx.getsockname()[1]
        mreqn = options.record_type(S.IPPROTO_IP, S.IP_ADD_MEMBERSHIP)
        options.set(rx, S.IPPROTO_IP, S.IP_ADD_MEMBERSHIP,
                    mreqn(imr_multiaddr=group, imr_address="127.0.0.1",
                          imr_ifindex=lo))
        options.set(tx, S.IPPROTO_IP, S.IP_MULTICAST_IF, "127.0.0.1")
        assert options.get(tx, S.IPPROTO_IP, S.IP_MULTICAST_IF) == \
            "127.0.0.1"
        tx.setsockopt(S.IPPROTO_IP, S.IP_MULTICAST_LOOP, 1)
        tx.sendto(b"to the group", (group, port))
        rx.settimeout(JOIN)
        data, sender = rx.recvfrom(100)
        assert data == b"to the group" and sender[0] == "127.0.0.1"
        # The plain ip_mreq form leaves the group.
        options.set(rx, S.IPPROTO_IP, S.IP_DROP_MEMBERSHIP,
                    records.ip_mreq(group, "127.0.0.1"))
    finally:
        closing(rx, tx)


def test_ip_add_source_membership():
    group = "239.255.77.2"
    rx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    tx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        rx.bind((group, 0))
        port = rx.getsockname()[1]
        options.set(rx, S.IPPROTO_IP, S.IP_ADD_SOURCE_MEMBERSHIP,
                    imr_multiaddr=group, imr_interface="127.0.0.1",
                    imr_sourceaddr="127.0.0.1")
        options.set(tx, S.IPPROTO_IP, S.IP_MULTICAST_IF, "127.0.0.1")
        tx.sendto(b"ssm", (group, port))
        rx.settimeout(JOIN)
        assert rx.recvfrom(10)[0] == b"ssm"
    finally:
        closing(rx, tx)


@pytest.mark.skipif(not S.has_ipv6, reason="no IPv6")
def test_ipv6_join_group():
    s = S.socket(S.AF_INET6, S.SOCK_DGRAM)
    try:
        req = records.ipv6_mreq("ff02::1:3", S.if_nametoindex("lo"))
        try:
            options.set(s, S.IPPROTO_IPV6, S.IPV6_JOIN_GROUP, req)
        except OSError as e:
            pytest.skip("IPv6 multicast unavailable on lo: %s" % e)
        with pytest.raises(OSError):        # already a member
            options.set(s, S.IPPROTO_IPV6, S.IPV6_JOIN_GROUP, req)
        options.set(s, S.IPPROTO_IPV6, S.IPV6_LEAVE_GROUP, req)
    finally:
        s.close()


@pytest.mark.skipif(not has("MCAST_JOIN_GROUP"),
                    reason="no MCAST_* options in this build's headers")
def test_mcast_join_group_with_socket_address():
    s = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        options.set(s, S.IPPROTO_IP, S.MCAST_JOIN_GROUP,
                    gr_interface=S.if_nametoindex("lo"),
                    gr_group=("239.255.77.3", 0))
        options.set(s, S.IPPROTO_IP, S.MCAST_LEAVE_GROUP,
                    gr_interface=S.if_nametoindex("lo"),
                    gr_group=("239.255.77.3", 0))
    finally:
        s.close()


# ------------------------------------------------------- other families

def test_packet_membership_and_statistics():
    if not has("AF_PACKET", "PACKET_ADD_MEMBERSHIP"):
        pytest.skip("no AF_PACKET")
    try:
        s = S.socket(S.AF_PACKET, S.SOCK_RAW, 0)
    except PermissionError:
        pytest.skip("AF_PACKET needs CAP_NET_RAW")
    try:
        options.set(s, S.SOL_PACKET, S.PACKET_ADD_MEMBERSHIP,
                    mr_ifindex=S.if_nametoindex("lo"),
                    mr_type=S.PACKET_MR_ALLMULTI)
        stats = options.get(s, S.SOL_PACKET, S.PACKET_STATISTICS)
        assert stats._fields == ("tp_packets", "tp_drops")
        assert stats.tp_packets >= 0 and stats.tp_drops >= 0
        options.set(s, S.SOL_PACKET, S.PACKET_DROP_MEMBERSHIP,
                    mr_ifindex=S.if_nametoindex("lo"),
                    mr_type=S.PACKET_MR_ALLMULTI)
    finally:
        s.close()


def test_can_raw_filter_array():
    if not has("AF_CAN", "CAN_RAW_FILTER"):
        pytest.skip("no CAN headers")
    flt = options.record_type(S.SOL_CAN_RAW, S.CAN_RAW_FILTER)
    filters = [flt(0x123, 0x7ff), flt(can_id=0x200, can_mask=0x700)]
    try:
        s = S.socket(S.AF_CAN, S.SOCK_RAW, S.CAN_RAW)
    except OSError:
        # No CAN in this kernel: the array encoding, at least.
        buf, length = options._encode("struct can_filter[]", filters, None)
        assert bytes(ffi.buffer(buf, length)) == struct.pack(
            "IIII", 0x123, 0x7ff, 0x200, 0x700)
        pytest.skip("AF_CAN sockets unavailable (encoding checked)")
    try:
        options.set(s, S.SOL_CAN_RAW, S.CAN_RAW_FILTER, filters)
        assert options.get(s, S.SOL_CAN_RAW, S.CAN_RAW_FILTER) == filters
        many = [flt(i, 0x7ff) for i in range(100)]     # grows on ERANGE
        options.set(s, S.SOL_CAN_RAW, S.CAN_RAW_FILTER, many)
        assert options.get(s, S.SOL_CAN_RAW, S.CAN_RAW_FILTER) == many
    finally:
        s.close()


def test_tipc_importance_is_an_int():
    if not has("AF_TIPC", "TIPC_IMPORTANCE"):
        pytest.skip("no TIPC headers")
    try:
        s = S.socket(S.AF_TIPC, S.SOCK_RDM)
    except OSError:
        pytest.skip("AF_TIPC sockets unavailable")
    try:
        options.set(s, S.SOL_TIPC, S.TIPC_IMPORTANCE, 2)
        assert options.get(s, S.SOL_TIPC, S.TIPC_IMPORTANCE) == 2
    finally:
        s.close()


def test_vsock_sizes_are_u64():
    if not has("AF_VSOCK", "SO_VM_SOCKETS_BUFFER_SIZE"):
        pytest.skip("no VSOCK headers")
    try:
        s = S.socket(S.AF_VSOCK, S.SOCK_STREAM)
    except OSError:
        pytest.skip("AF_VSOCK sockets unavailable")
    try:
        opt = S.SO_VM_SOCKETS_BUFFER_SIZE
        size = options.get(s, S.AF_VSOCK, opt)
        assert size == s.getsockopt(S.AF_VSOCK, opt)
        options.set(s, S.AF_VSOCK, opt, size // 2)
        assert options.get(s, S.AF_VSOCK, opt) == size // 2
        timeout = options.get(s, S.AF_VSOCK, S.SO_VM_SOCKETS_CONNECT_TIMEOUT)
        assert timeout.tv_sec >= 0
    finally:
        s.close()


# ---------------------------------------------------------- hostile input

@pytest.mark.parametrize("sock", [object(), "3", 3.0, None])
def test_sock_neither_socket_nor_int_is_a_type_error(sock):
    with pytest.raises(TypeError):
        options.get(sock, S.SOL_SOCKET, S.SO_TYPE)
    with pytest.raises(TypeError):
        options.set(sock, S.SOL_SOCKET, S.SO_KEEPALIVE, 1)


def test_bad_arguments():
    s = S.socket(S.AF_INET, S.SOCK_STREAM)
    try:
        with pytest.raises(TypeError):
            options.get(s, "SOL_SOCKET", S.SO_LINGER)
        with pytest.raises(OverflowError):
            options.get(s, 2 ** 40, S.SO_LINGER)
        with pytest.raises(TypeError):       # a record of another struct
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, records.ucred(1, 2, 3))
        with pytest.raises(TypeError):
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, nonsense=1)
        with pytest.raises(TypeError):
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, (1, 2, 3))
        with pytest.raises(TypeError):
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, "text")
        with pytest.raises(TypeError):
            options.set(s, S.SOL_SOCKET, S.SO_LINGER)
        with pytest.raises(OverflowError):
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, l_onoff=2 ** 40)
        with pytest.raises(OverflowError):
            options.set(s, S.SOL_SOCKET, S.SO_KEEPALIVE, 2 ** 40)
        with pytest.raises(ValueError):
            options.set(s, S.IPPROTO_TCP, S.TCP_MD5SIG,
                        tcpm_key=b"k" * 1000)
        with pytest.raises(OSError):
            options.set(s, S.IPPROTO_IP, S.IP_ADD_MEMBERSHIP,
                        imr_multiaddr="not an address")
        with pytest.raises(OSError):           # the kernel's EINVAL
            options.set(s, S.SOL_SOCKET, S.SO_LINGER, b"\1")
        with pytest.raises(ValueError):
            options.get(s, S.IPPROTO_TCP, S.TCP_CONGESTION, buflen=-1)
        with pytest.raises(TypeError):
            options.record_type(S.SOL_SOCKET, S.SO_KEEPALIVE)
    finally:
        s.close()
    with pytest.raises(OSError) as info:
        options.get(s, S.SOL_SOCKET, S.SO_LINGER)
    assert info.value.errno == errno.EBADF


def test_short_optlen_gives_none_fields_and_no_over_read():
    """Fields past the valid length are None, and bytes past it never
    change the result."""
    for _, _, ctype in options.types():
        base = ctype[:-2] if ctype.endswith("[]") else ctype
        if not base.startswith("struct "):
            continue
        size = ffi.sizeof(base)
        for valid in range(size + 1):
            first = ffi.new("char[]", size)
            second = ffi.new("char[]", size)
            pattern = bytes((i * 7 + 3) % 256 for i in range(size))
            ffi.memmove(first, pattern, size)
            ffi.memmove(second, pattern[:valid] + b"\xff" * (size - valid),
                        size)
            a = records.decode(base, first, valid)
            b = records.decode(base, second, valid)
            assert a == b, (base, valid)
            if valid == 0 and hasattr(a, "_fields"):
                assert all(v is None for v in a)


FUZZ_CHILD = textwrap.dedent("""
    import os, random, sys
    from sockcffi import options, records
    from sockcffi._binding import ffi
    rng = random.Random(int(sys.argv[1]))
    done = 0
    for _, _, ctype in options.types():
        base = ctype[:-2] if ctype.endswith("[]") else ctype
        if not base.startswith("struct "):
            continue
        size = ffi.sizeof(base)
        for n in range(size + 17):
            for _ in range(4):
                data = bytes(rng.getrandbits(8) for _ in range(n))
                records.decode(base, data)
                done += 1
    print(done)
""")


def test_record_decoders_fuzzed_in_a_child():
    proc = subprocess.run([sys.executable, "-c", FUZZ_CHILD, "10"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120,
                          cwd=os.path.dirname(os.path.abspath(__file__)))
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout) > 1000


def test_netlink_list_memberships_grows_to_the_kernel_length():
    if not has("AF_NETLINK", "NETLINK_LIST_MEMBERSHIPS"):
        pytest.skip("no netlink headers")
    try:
        s = S.socket(S.AF_NETLINK, S.SOCK_RAW, S.NETLINK_ROUTE)
    except OSError:
        pytest.skip("no netlink sockets")
    try:
        options.set(s, S.SOL_NETLINK, S.NETLINK_ADD_MEMBERSHIP, 1)
        options.set(s, S.SOL_NETLINK, S.NETLINK_ADD_MEMBERSHIP, 3)
        words = options.get(s, S.SOL_NETLINK, S.NETLINK_LIST_MEMBERSHIPS)
        assert words[0] == 0b101 and len(words) >= 1
        raw = s.getsockopt(S.SOL_NETLINK, S.NETLINK_LIST_MEMBERSHIPS, 256)
        assert words == list(struct.unpack("%dI" % (len(raw) // 4), raw))
        # A fixed buflen holds at most that much.
        assert options.get(s, S.SOL_NETLINK, S.NETLINK_LIST_MEMBERSHIPS,
                           buflen=4) == words[:1]
    finally:
        s.close()
