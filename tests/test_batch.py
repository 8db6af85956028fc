"""recvmmsg()/sendmmsg() (sockcffi.batch) over loopback: each result is what
recvmsg() returns, the socket's timeout rules, EINTR, closing while
waiting, partial sends, buffer exports and received descriptors."""
import errno
import os
import signal
import socket
import sys
import threading
import warnings

import pytest

import sockcffi
from sockcffi import batch, cmsg, waiting

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockhelpers import JOIN, IndexOnly, LyingInt, closing, fd_count  # noqa: E402
from sockhelpers import start_thread  # noqa: E402

S = sockcffi
pytestmark = pytest.mark.skipif(not hasattr(S.socket, "recvmmsg"),
                                reason="no recvmmsg/sendmmsg here")


@pytest.fixture
def pair():
    rx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    tx = S.socket(S.AF_INET, S.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx.bind(("127.0.0.1", 0))
    rx.settimeout(JOIN)
    yield rx, tx
    closing(rx, tx)


def test_methods_exist_only_with_the_calls():
    assert S.socket.recvmmsg is batch.recvmmsg
    assert S.socket.sendmmsg is batch.sendmmsg
    assert not hasattr(socket.socket, "recvmmsg")   # the stdlib lacks them


def test_each_result_is_what_recvmsg_returns(pair):
    rx, tx = pair
    rx.setsockopt(S.IPPROTO_IP, S.IP_PKTINFO, 1)
    dest = rx.getsockname()
    messages = [b"one", b"two!", b"", b"x" * 300]
    # The reference: the same datagrams through recvmsg().
    assert tx.sendmmsg([(m, dest) for m in messages]) == len(messages)
    expected = [rx.recvmsg(100, 256) for _ in messages]
    assert tx.sendmmsg([(m, dest) for m in messages]) == len(messages)
    got = rx.recvmmsg(10, 100, 256)
    assert len(got) == len(messages)
    for one, ref in zip(got, expected):
        assert one[0] == ref[0]                  # data, truncated to 100
        assert one[1] == ref[1]                  # ancillary data
        assert one[2] == ref[2] == S.MSG_TRUNC * (len(ref[0]) == 100
                                                  and one[0] != b"")
        assert one[3] == ref[3] == tx.getsockname()
    assert got[3][0] == b"x" * 100 and got[3][2] & S.MSG_TRUNC


def test_truncation_is_bounded_even_with_msg_trunc(pair):
    rx, tx = pair
    tx.sendto(b"y" * 50, rx.getsockname())
    ((data, anc, flags, addr),) = rx.recvmmsg(4, 8, 0, S.MSG_TRUNC)
    assert data == b"y" * 8 and flags & S.MSG_TRUNC
    tx.sendto(b"z" * 5000, rx.getsockname())
    ((data, _, flags, _),) = rx.recvmmsg(1, 3000, 0, S.MSG_TRUNC)
    assert data == b"z" * 3000 and flags & S.MSG_TRUNC


def test_control_truncation_flag(pair):
    rx, tx = pair
    rx.setsockopt(S.IPPROTO_IP, S.IP_PKTINFO, 1)
    rx.setsockopt(S.SOL_SOCKET, S.SO_TIMESTAMPNS, 1)
    tx.sendto(b"c", rx.getsockname())
    tx.sendto(b"c", rx.getsockname())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = rx.recvmsg(10, S.CMSG_LEN(4))
        ((data, anc, flags, addr),) = rx.recvmmsg(1, 10, S.CMSG_LEN(4))
    assert flags & S.MSG_CTRUNC
    assert (data, anc, flags, addr) == ref


def test_blocking_waits_for_the_first_then_takes_what_is_ready(pair):
    rx, tx = pair
    rx.settimeout(None)
    ready = threading.Event()

    def send_later():
        ready.wait(JOIN)
        tx.sendto(b"late", rx.getsockname())

    t = start_thread(send_later)
    ready.set()
    got = rx.recvmmsg(16, 10)
    t.join(JOIN)
    assert [g[0] for g in got] == [b"late"]
    # Several ready: all come back in one call, without waiting for count.
    tx.sendmmsg([(b"%d" % i, rx.getsockname()) for i in range(5)])
    got = rx.recvmmsg(16, 10)
    assert [g[0] for g in got] == [b"0", b"1", b"2", b"3", b"4"]


def test_timeout_mode(pair):
    rx, tx = pair
    rx.settimeout(0.05)
    with pytest.raises(S.timeout):
        rx.recvmmsg(4, 10)
    tx.sendto(b"t", rx.getsockname())
    assert rx.recvmmsg(4, 10)[0][0] == b"t"


def test_non_blocking_raises_blockingioerror(pair):
    rx, tx = pair
    rx.setblocking(False)
    with pytest.raises(BlockingIOError):
        rx.recvmmsg(4, 10)
    tx.sendto(b"n", rx.getsockname())
    rx.settimeout(JOIN)     # wait for it to be queued, then non-blocking
    assert rx.recvmmsg(1, 10, 0, S.MSG_PEEK)[0][0] == b"n"
    rx.setblocking(False)
    assert rx.recvmmsg(4, 10)[0][0] == b"n"


def test_closed_while_waiting_gives_ebadf(pair, monkeypatch):
    rx, tx = pair
    # The batch calls wait in the call seam.
    real_wait = waiting.wait

    def wait_then_close(fd, events, deadline):
        real_wait(fd, events, deadline)
        rx.close()

    tx.sendto(b"w", rx.getsockname())
    monkeypatch.setattr(waiting, "wait", wait_then_close)
    with pytest.raises(OSError) as info:
        rx.recvmmsg(4, 10)
    assert info.value.errno == errno.EBADF


def test_closed_socket_raises_ebadf(pair):
    rx, tx = pair
    rx.close()
    with pytest.raises(OSError) as info:
        rx.recvmmsg(4, 10)
    assert info.value.errno == errno.EBADF
    tx.close()
    with pytest.raises(OSError) as info:
        tx.sendmmsg([b"x"])
    assert info.value.errno == errno.EBADF


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no setitimer")
def test_eintr_is_retried_and_handler_exceptions_propagate(pair):
    rx, tx = pair
    rx.settimeout(None)
    fired = threading.Event()

    def handler(signum, frame):
        fired.set()

    def send_after_signal():
        fired.wait(JOIN)
        tx.sendto(b"after EINTR", rx.getsockname())

    old = signal.signal(signal.SIGALRM, handler)
    try:
        t = start_thread(send_after_signal)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        got = rx.recvmmsg(4, 20)
        t.join(JOIN)
        assert fired.is_set()
        assert got[0][0] == b"after EINTR"

        class Stop(Exception):
            pass

        def raising(signum, frame):
            raise Stop()

        signal.signal(signal.SIGALRM, raising)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        with pytest.raises(Stop):
            rx.recvmmsg(4, 20)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_sendmmsg_forms(pair):
    rx, tx = pair
    dest = rx.getsockname()
    rx.setsockopt(S.IPPROTO_IP, S.IP_RECVTTL, 1)
    sent = tx.sendmmsg([
        (b"plain", dest),
        (bytearray(b"array"), dest),
        ([b"ga", memoryview(b"ther")], [cmsg.ip_ttl(5)], dest),
        ((b"tuple-of-buffers",), (), dest),
    ])
    assert sent == 4
    got = rx.recvmmsg(8, 100, 256)
    assert [g[0] for g in got] == [b"plain", b"array", b"gather",
                                   b"tuple-of-buffers"]
    ttls = [dict((m.name, m.value) for m in cmsg.decode(g[1]))["IP_TTL"]
            for g in got]
    assert ttls[2] == 5 and ttls[0] != 5
    # Connected: bare bytes-like messages.
    tx.connect(dest)
    assert tx.sendmmsg([b"a", bytearray(b"b"), memoryview(b"c")]) == 3
    assert [g[0] for g in rx.recvmmsg(8, 10)] == [b"a", b"b", b"c"]
    assert tx.sendmmsg([]) == 0


def test_sendmmsg_to_several_addresses(pair):
    rx, tx = pair
    other = S.socket(S.AF_INET, S.SOCK_DGRAM)
    try:
        other.bind(("127.0.0.1", 0))
        other.settimeout(JOIN)
        msgs = [(b"r1", rx.getsockname()), (b"o1", other.getsockname()),
                (b"r2", rx.getsockname())]
        assert tx.sendmmsg(msgs) == 3
        assert [g[0] for g in rx.recvmmsg(4, 10)] in ([b"r1", b"r2"],
                                                      [b"r1"])
        assert other.recvmmsg(4, 10)[0][0] == b"o1"
    finally:
        other.close()


def test_partial_send_is_reported(pair):
    rx, tx = pair
    dest = rx.getsockname()
    too_big = b"\0" * 70000                    # over the UDP maximum
    assert tx.sendmmsg([(b"ok", dest), (too_big, dest), (b"no", dest)]) == 1
    assert rx.recvmmsg(4, 10)[0][0] == b"ok"
    with pytest.raises(OSError) as info:       # nothing sent: an error
        tx.sendmmsg([(too_big, dest), (b"no", dest)])
    assert info.value.errno == errno.EMSGSIZE


def test_sendmmsg_udp_gso(pair):
    if not hasattr(S, "UDP_SEGMENT"):
        pytest.skip("no UDP GSO")
    rx, tx = pair
    payload = b"g" * 3000
    assert tx.sendmmsg([([payload], [cmsg.udp_segment(1000)],
                         rx.getsockname())]) == 1
    got = []
    while sum(len(g[0]) for g in got) < 3000:
        got += rx.recvmmsg(8, 2000)
    assert [len(g[0]) for g in got] == [1000, 1000, 1000]


def test_buffer_exports_are_released(pair):
    rx, tx = pair
    dest = rx.getsockname()
    data = bytearray(b"resizable")
    tx.sendmmsg([(data, dest)])
    ttl = bytearray(cmsg.ip_ttl(5)[2])
    tx.sendmmsg([([data], [(S.IPPROTO_IP, S.IP_TTL, ttl)], dest)])
    ttl.clear()
    with pytest.raises(TypeError):
        tx.sendmmsg([(data, dest), ([data], [], dest), ("text", dest)])
    with pytest.raises(OSError):
        tx.sendmmsg([([data], [], dest), ([data], [], ("no.such.host.", 1))])
    data.extend(b" still")          # BufferError if an export leaked
    data.clear()


@pytest.mark.parametrize("messages", [
    None, 5, [5], [("a", ("127.0.0.1", 1))], [(b"a",)], [(b"a", 1, 2, 3)],
    [[b"a", ("127.0.0.1", 1)]], [([b"a"], [1], ("127.0.0.1", 1))],
    [([b"a"], None, ("127.0.0.1", 1))], [(b"a", "not an address")],
])
def test_sendmmsg_bad_messages(pair, messages):
    rx, tx = pair
    with pytest.raises((TypeError, OSError, ValueError)):
        tx.sendmmsg(messages)


@pytest.mark.parametrize("args", [(0, 10), (-1, 10), (1, -1), (1, 10, -1),
                                  (1, 10, 2 ** 40), ("1", 10), (1, 10, 0,
                                                                2 ** 40)])
def test_recvmmsg_bad_arguments(pair, args):
    rx, tx = pair
    with pytest.raises((TypeError, ValueError, OverflowError)):
        rx.recvmmsg(*args)


def test_received_fds_do_not_leak_when_decoding_fails(monkeypatch):
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    r, w = os.pipe()
    try:
        for _ in range(3):
            a.sendmsg([b"fd"], [cmsg.rights([r, w])])
        before = fd_count()

        def broken(*args, **kwargs):
            raise RuntimeError("decoding failed")

        monkeypatch.setattr(batch, "parse_control", broken)
        with pytest.raises(RuntimeError):
            b.recvmmsg(4, 10, 64)
        assert fd_count() == before
    finally:
        os.close(r)
        os.close(w)
        closing(a, b)


def test_received_fds_decoded(pair):
    a, b = S.socketpair(S.AF_UNIX, S.SOCK_DGRAM)
    r, w = os.pipe()
    try:
        a.sendmmsg([([b"x"], [cmsg.rights([r])], None),
                    ([b"y"], [cmsg.rights([w])], None)])
        got = b.recvmmsg(4, 10, 64)
        fds = [cmsg.decode(g[1])[0].value[0] for g in got]
        os.write(fds[1], b"!")
        assert os.read(fds[0], 1) == b"!"
        for fd in fds:
            os.close(fd)
        assert [g[3] for g in got] == [None, None]   # unnamed peer
    finally:
        os.close(r)
        os.close(w)
        closing(a, b)


def test_ipv6_and_stdlib_socket_objects():
    # batch's functions take any socket object with the usual methods.
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(JOIN)
        assert batch.sendmmsg(tx, [(b"std", rx.getsockname())]) == 1
        ((data, _, _, addr),) = batch.recvmmsg(rx, 2, 10)
        assert data == b"std" and addr[0] == "127.0.0.1"
    finally:
        closing(rx, tx)
    if not S.has_ipv6:
        return
    try:
        rx6 = S.socket(S.AF_INET6, S.SOCK_DGRAM)
        rx6.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    tx6 = S.socket(S.AF_INET6, S.SOCK_DGRAM)
    try:
        rx6.settimeout(JOIN)
        dest = rx6.getsockname()
        assert tx6.sendmmsg([(b"six", dest[:2]), (b"6", dest)]) == 2
        got = rx6.recvmmsg(4, 10)
        assert [g[0] for g in got] == [b"six", b"6"]
        assert got[0][3][0] == "::1" and len(got[0][3]) == 4
    finally:
        closing(rx6, tx6)


# --- buffer sizes, pooled arrays, packed results ---------------------------

@pytest.mark.parametrize("bufsize", [1, 63, 64, 2048, 8192, 65536, 200000])
def test_any_bufsize_gives_what_recvmsg_gives(pair, bufsize):
    # Mixed lengths around the buffer size: each result is recvmsg()'s
    # (data cut to bufsize, MSG_TRUNC), whatever the size of the batch's
    # data room and whether its arrays were kept from an earlier call.
    rx, tx = pair
    dest = rx.getsockname()
    lengths = [0, 1, 64, bufsize - 1, bufsize, bufsize + 1, 3, 65000]
    # (UDP over IPv4 carries at most 65507 bytes.)
    messages = [bytes([65 + i]) * min(n, 65000)
                for i, n in enumerate(lengths)]
    for start in (0, 2, 4, 6, 0, 2, 4, 6):
        # Two at a time: the receive queue holds no more large datagrams.
        batch = messages[start:start + 2]
        assert tx.sendmmsg([(m, dest) for m in batch]) == 2
        got = []
        while len(got) < 2:
            got += rx.recvmmsg(2 - len(got), bufsize)
        for one, sent in zip(got, batch):
            assert one[0] == sent[:bufsize]
            assert one[2] == (S.MSG_TRUNC if len(sent) > bufsize else 0)
            assert one[3] == tx.getsockname()


def test_only_this_calls_bytes_come_back(pair):
    # A kept data room holds an earlier batch's bytes: a later, shorter
    # datagram (with or without MSG_TRUNC) never returns any of them.
    rx, tx = pair
    dest = rx.getsockname()
    tx.sendmmsg([(b"S" * 4000, dest)] * 8)
    assert [d for d, _, _, _ in rx.recvmmsg(8, 4096)] == [b"S" * 4000] * 8
    tx.sendmmsg([(b"n" * 10, dest)] * 8)
    assert [d for d, _, _, _ in rx.recvmmsg(8, 4096)] == [b"n" * 10] * 8
    tx.sendmmsg([(b"t" * 10, dest)] * 8)
    got = rx.recvmmsg(8, 4096, 0, S.MSG_TRUNC)
    assert [d for d, _, _, _ in got] == [b"t" * 10] * 8


def test_msg_trunc_on_a_stream_socket_returns_zeros():
    # TCP with MSG_TRUNC discards the data and writes nothing: the bytes
    # reported come from a zeroed room, never a kept buffer's old bytes.
    from sockhelpers import tcp_pair
    srv, cli, conn = tcp_pair(S)
    try:
        cli.sendall(b"secret" * 100)
        conn.settimeout(JOIN)
        assert conn.recv(600, S.MSG_PEEK)
        conn.settimeout(None)
        dest = ("127.0.0.1", 9)
        rx, tx = S.socket(S.AF_INET, S.SOCK_DGRAM), S.socket(S.AF_INET,
                                                               S.SOCK_DGRAM)
        rx.bind(("127.0.0.1", 0))
        tx.sendmmsg([(b"OLD" * 100, rx.getsockname())] * 2)
        rx.settimeout(JOIN)
        while len(rx.recvmmsg(2, 300)) < 2:
            pass
        closing(rx, tx)
        try:
            got = conn.recvmmsg(2, 300, 0, S.MSG_TRUNC)
        except OSError:
            pytest.skip("recvmmsg on TCP refused here")
        for data, _, _, _ in got:
            assert data.strip(b"\0") == b"", data[:20]
        assert dest
    finally:
        closing(srv, cli, conn)


def test_arrays_are_kept_and_bounded(pair):
    from sockcffi import _buffers
    rx, tx = pair
    dest = rx.getsockname()
    del _buffers.batch_pool[:]
    for count in (64, 10, 1, 64):           # one kept set serves them all
        tx.sendmmsg([(b"k", dest)] * count)
        got = 0
        while got < count:
            got += len(rx.recvmmsg(count - got, 65536))
    assert len(_buffers.batch_pool) == 1
    kept = _buffers.batch_pool[0]
    assert kept.slots >= 64 and kept.size >= 64 * 65536
    # A call bigger than what is kept gets a set of its own, not kept.
    tx.sendmmsg([(b"k", dest)])
    assert len(rx.recvmmsg(128, 65536)) == 1
    assert _buffers.batch_pool == [kept]
    assert all(a.size + a.control_size <= _buffers.BATCH_POOLED
               for a in _buffers.batch_pool)


class _LyingInt(LyingInt):
    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


def test_hostile_integer_arguments(pair):
    rx, tx = pair
    dest = rx.getsockname()
    tx.sendmmsg([(b"x" * 100, dest)] * 3, _LyingInt(0))
    got = []
    while len(got) < 3:
        got += rx.recvmmsg(_LyingInt(3 - len(got)), IndexOnly(10),
                           _LyingInt(0), IndexOnly(0))
    assert [g[0] for g in got] == [b"x" * 10] * 3
    for bad in (_LyingInt(-1), _LyingInt(2 ** 70)):
        with pytest.raises((ValueError, OverflowError)):
            rx.recvmmsg(1, bad)
        with pytest.raises((ValueError, OverflowError)):
            rx.recvmmsg(bad, 10)


def test_hostile_buffer_subclasses(pair):
    # Lengths come from the buffers, never from len() of the caller's
    # object; a bytes subclass is sent as its real bytes.
    rx, tx = pair
    dest = rx.getsockname()

    class Long(bytes):
        def __len__(self):
            return 100000

    class Short(bytearray):
        def __len__(self):
            return 1

    sent = [Long(b"long"), Short(b"short"), memoryview(b"view"),
            Long(b"anc")]
    assert tx.sendmmsg([(sent[0], dest), (sent[1], dest),
                        ([sent[2], sent[3]], [], dest)]) == 3
    got = []
    while len(got) < 3:
        got += rx.recvmmsg(3 - len(got), 1000)
    assert [g[0] for g in got] == [b"long", b"short", b"viewanc"]
