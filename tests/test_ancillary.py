"""Ancillary data: CMSG_LEN/CMSG_SPACE, sendmsg()/recvmsg() control
messages, SCM_RIGHTS in both directions between sockcffi and the stdlib."""
import array
import os
import socket
import struct
import sys
import warnings

import pytest

import sockcffi
from sockcffi import ancillary
from sockcffi._binding import ffi, lib

from sockhelpers import MODULES, outcome

INT = array.array("i").itemsize
LIMIT = 0x7fffffff


def pipe_fds(n):
    """n readable descriptors, each a pipe with its own one-byte tag."""
    readers, writers = [], []
    for i in range(n):
        r, w = os.pipe()
        os.write(w, bytes([65 + i]))
        readers.append(r)
        writers.append(w)
    for w in writers:
        os.close(w)
    return readers


def tags(fds):
    return [os.read(fd, 1) for fd in fds]


def close_all(fds):
    for fd in fds:
        os.close(fd)


def fds_of(ancdata):
    fds = array.array("i")
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % INT])
    return list(fds)


# --- CMSG_LEN / CMSG_SPACE ---------------------------------------------------

def test_cmsg_len_space_values():
    for n in list(range(300)) + [4096, 2 ** 20]:
        assert sockcffi.CMSG_LEN(n) == socket.CMSG_LEN(n)
        assert sockcffi.CMSG_SPACE(n) == socket.CMSG_SPACE(n)


def test_cmsg_limits():
    too_big_len = LIMIT - socket.CMSG_LEN(0) + 1
    too_big_space = LIMIT - socket.CMSG_SPACE(1) + 1
    for fn_name, big in (("CMSG_LEN", too_big_len),
                         ("CMSG_SPACE", too_big_space)):
        for value in (big - 1, big, -1, sys.maxsize, 2 ** 64, "x", 1.5,
                      None):
            a = outcome(getattr(socket, fn_name), value)
            b = outcome(getattr(sockcffi, fn_name), value)
            assert a == b, (fn_name, value, a, b)


# --- SCM_RIGHTS both ways ----------------------------------------------------

@pytest.mark.parametrize("sender,receiver", [("sockcffi", "stdlib"),
                                             ("stdlib", "sockcffi"),
                                             ("sockcffi", "sockcffi")])
def test_scm_rights_between_implementations(sender, receiver):
    a, _ = MODULES[sender].socketpair()
    b = MODULES[receiver].socket(fileno=os.dup(_.fileno()))
    _.close()
    with a, b:
        fds = pipe_fds(3)
        try:
            n = a.sendmsg([b"fds", b"!"], [(socket.SOL_SOCKET,
                                           socket.SCM_RIGHTS,
                                           array.array("i", fds))])
            assert n == 4
        finally:
            close_all(fds)
        msg, anc, flags, addr = b.recvmsg(100, socket.CMSG_SPACE(3 * INT))
        got = fds_of(anc)
        assert msg == b"fds!" and len(got) == 3 and flags == 0
        assert tags(got) == [b"A", b"B", b"C"]
        close_all(got)


@pytest.mark.parametrize("sender,receiver", [("sockcffi", "stdlib"),
                                             ("stdlib", "sockcffi")])
def test_send_fds_recv_fds(sender, receiver):
    a, b = sockcffi.socketpair()
    sa = a if sender == "sockcffi" else socket.socket(fileno=a.detach())
    rb = b if receiver == "sockcffi" else socket.socket(fileno=b.detach())
    with sa, rb:
        fds = pipe_fds(2)
        try:
            MODULES[sender].send_fds(sa, [b"two fds"], fds)
        finally:
            close_all(fds)
        msg, got, flags, addr = MODULES[receiver].recv_fds(rb, 100, 4)
        assert msg == b"two fds" and len(got) == 2
        assert tags(got) == [b"A", b"B"]
        close_all(got)


def test_multiple_items_and_recvmsg_into(mod):
    a, b = mod.socketpair()
    with a, b:
        first, second = pipe_fds(1), pipe_fds(2)
        try:
            a.sendmsg([b"xy"], [
                (mod.SOL_SOCKET, mod.SCM_RIGHTS, array.array("i", first)),
                (mod.SOL_SOCKET, mod.SCM_RIGHTS, array.array("i", second))])
        finally:
            close_all(first + second)
        bufs = [bytearray(1), bytearray(4)]
        n, anc, flags, addr = b.recvmsg_into(bufs, 4 * mod.CMSG_SPACE(INT))
        assert n == 2 and bufs[0] == b"x" and bufs[1][:1] == b"y"
        got = fds_of(anc)
        assert len(got) == 3
        close_all(got)


def test_credentials_match_stdlib():
    results = []
    for m in (socket, sockcffi):
        a, b = m.socketpair()
        with a, b:
            # PyPy's socket lacks the names: use sockcffi's numbers.
            b.setsockopt(m.SOL_SOCKET, sockcffi.SO_PASSCRED, 1)
            a.sendmsg([b"c"], [(m.SOL_SOCKET, sockcffi.SCM_CREDENTIALS,
                                struct.pack("3i", os.getpid(), os.getuid(),
                                            os.getgid()))])
            results.append(b.recvmsg(10, m.CMSG_SPACE(12)))
    assert results[0] == results[1]
    assert results[1][1][0][2] == struct.pack("3i", os.getpid(), os.getuid(),
                                              os.getgid())


def _receive(m, ancbufsize, nfds=3):
    """Send nfds descriptors with sockcffi; receive with module m."""
    a, b = sockcffi.socketpair()
    r = m.socket(fileno=b.detach())
    with a, r:
        fds = pipe_fds(nfds)
        try:
            a.sendmsg([b"m"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                array.array("i", fds))])
        finally:
            close_all(fds)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            msg, anc, flags, addr = r.recvmsg(10, ancbufsize)
        got = fds_of(anc)
        close_all(got)
        lengths = [(lvl, kind, len(data)) for lvl, kind, data in anc]
        return (msg, lengths, flags, len(got),
                [w.category for w in caught])


def test_truncated_ancillary_matches_stdlib():
    """Every ancillary buffer size from 0 past what 3 fds need: the same
    data, flags (MSG_CTRUNC), items and warnings as the stdlib."""
    for size in range(0, socket.CMSG_SPACE(3 * INT) + 9):
        ours, theirs = _receive(sockcffi, size), _receive(socket, size)
        assert ours == theirs, size
    assert _receive(sockcffi, socket.CMSG_LEN(INT))[2] & socket.MSG_CTRUNC


# --- malformed control buffers: RuntimeWarning, descriptors closed -----------

def _control(items, cut=None):
    """A control buffer holding ``items`` ((level, type, data, declared
    cmsg_len or None)) and its length, cut at ``cut``."""
    total = sum(lib.sockcffi_cmsg_space(len(d)) for _, _, d, _ in items)
    buf = ffi.new("char[]", total)
    offset = 0
    for level, kind, data, declared in items:
        hdr = ffi.cast("struct cmsghdr *", buf + offset)
        hdr.cmsg_len = (declared if declared is not None
                        else lib.sockcffi_cmsg_len(len(data)))
        hdr.cmsg_level = level
        hdr.cmsg_type = kind
        ffi.memmove(lib.sockcffi_cmsg_data(hdr), data, len(data))
        offset += lib.sockcffi_cmsg_space(len(data))
    return buf, total if cut is None else cut


def test_parse_complete_items():
    control = _control([(1, 2, b"abcd", None), (3, 4, b"", None)])
    assert ancillary.parse_control(*control) == (
        [(1, 2, b"abcd"), (3, 4, b"")], False)


def test_parse_truncated_item_is_reported():
    data = b"0123456789"
    cut = lib.sockcffi_cmsg_len(0) + 4
    control = _control([(1, 2, data, None)], cut=cut)
    assert ancillary.parse_control(*control) == ([(1, 2, b"0123")], True)


def test_parse_malformed_header_is_reported_and_stops():
    control = _control([(1, 2, b"abcd", 3)])      # cmsg_len < CMSG_LEN(0)
    assert ancillary.parse_control(*control) == ([], True)


def test_received_fds_closed_when_parsing_fails():
    fds = pipe_fds(2)
    data = array.array("i", fds).tobytes()
    cut = (lib.sockcffi_cmsg_space(len(data))
           + lib.sockcffi_cmsg_len(0) + 2)
    control = _control([(socket.SOL_SOCKET, socket.SCM_RIGHTS, data, None),
                        (9, 9, b"truncated item", None)], cut=cut)
    items, damaged = ancillary.parse_control(*control)
    assert damaged
    ancillary.close_received_fds(*control)
    for fd in fds:
        with pytest.raises(OSError):
            os.fstat(fd)


def test_recvmsg_closes_fds_when_result_fails(monkeypatch):
    """An error after recvmsg() returned (here: decoding the address)
    closes the descriptors that came with the message."""
    # Datagram sockets with abstract names: the receiver gets a sender
    # address to decode.
    a = sockcffi.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    b = sockcffi.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    with a, b:
        a.bind("\0sockcffi-test-a-%d" % os.getpid())
        b.bind("\0sockcffi-test-b-%d" % os.getpid())
        a.connect(b.getsockname())
        fds = pipe_fds(2)
        try:
            a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                array.array("i", fds))])
        finally:
            close_all(fds)
        before = set(os.listdir("/proc/self/fd"))

        def broken(*args):
            raise MemoryError("simulated")
        monkeypatch.setattr(sockcffi._socketmsg, "_from_sockaddr", broken)
        with pytest.raises(MemoryError):
            b.recvmsg(10, socket.CMSG_SPACE(2 * INT))
        assert set(os.listdir("/proc/self/fd")) == before


# --- sendmsg() argument checking ---------------------------------------------

MSG = b"message"


@pytest.mark.parametrize("args", [
    (b"not in an iterable",), (object(),), ([object()],), ([MSG, object()],),
    ([MSG], object()), ([MSG], [], object()), ([MSG], [object()]),
    ([MSG], [(object(), 0, b"data")]), ([MSG], [(0, object(), b"data")]),
    ([MSG], [(0, 0, object())]), ([MSG], [(0, 0)]),
    ([MSG], [(0, 0, b"data", 42)]), ([MSG], [0, 0, b""]),
    ([MSG], [(0, 0, b""), object()]), ([MSG], [(0, 0, "str")]),
    pytest.param(([MSG], [(2 ** 40, 0, b"")]), marks=pytest.mark.skipif(
        sys.implementation.name == "pypy",
        reason="PyPy's stdlib truncates the level; sockcffi follows CPython")),
])
def test_sendmsg_bad_arguments(args):
    def run(m):
        a, b = m.socketpair()
        with a, b:
            return outcome(a.sendmsg, *args)
    assert run(sockcffi) == run(socket)
    assert run(sockcffi)[0] == "err"


@pytest.mark.parametrize("args", [
    (), (-1, 0, 0), (len(MSG), -1, 0), ([bytearray(10)], 0, 0),
    (object(), 0, 0), (len(MSG), object(), 0), (len(MSG), 0, object()),
])
def test_recvmsg_bad_arguments(args):
    def run(m):
        a, b = m.socketpair()
        with a, b:
            return outcome(b.recvmsg, *args)
    assert run(sockcffi) == run(socket)


@pytest.mark.parametrize("args", [
    (), (len(MSG), 0, 0), (bytearray(10), 0, 0), ([object()], 0, 0),
    ([b"I'm not writable"], 0, 0), ([bytearray(10), object()], 0, 0),
    ([bytearray(10)], -1, 0), ([bytearray(10)], object(), 0),
    ([bytearray(10)], 0, object()),
])
def test_recvmsg_into_bad_arguments(args):
    def run(m):
        a, b = m.socketpair()
        with a, b:
            return outcome(b.recvmsg_into, *args)
    assert run(sockcffi) == run(socket)


def test_sendmsg_generators_and_arrays(mod):
    a, b = mod.socketpair()
    with a, b:
        assert a.sendmsg(x for x in [b"gen", b"erator"]) == 9
        assert b.recv(20) == b"generator"
        assert a.sendmsg([array.array("i", [1, 2])]) == 2 * INT
        assert b.recv(20) == array.array("i", [1, 2]).tobytes()
        assert a.sendmsg([MSG], [], 0, None) == len(MSG)
        assert b.recv(20) == MSG
        assert a.sendmsg([]) == 0


# --- message kits shared between threads -------------------------------------

def test_threads_never_share_a_message_kit():
    """recvmsg()/sendmsg() take their header, address room and control
    buffer from one pool (sockcffi._buffers) and run with the interpreter
    lock released: threads passing descriptors and data at the same time
    each get their own message back, control data and sender included."""
    import threading

    rounds, workers = 300, 4
    failures = []

    def worker(index):
        a, b = sockcffi.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        a.settimeout(10)
        b.settimeout(10)
        r, w = os.pipe()
        expected = os.fstat(r).st_ino
        try:
            for i in range(rounds):
                payload = b"%d:%d" % (index, i)
                a.sendmsg([payload], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                                       array.array("i", [r]))])
                data, anc, flags, _ = b.recvmsg(64, socket.CMSG_SPACE(INT))
                got = [fd for level, kind, raw in anc
                       for fd in array.array("i", raw)]
                inodes = [os.fstat(fd).st_ino for fd in got]
                close_all(got)
                if data != payload or inodes != [expected] or flags:
                    failures.append((index, i, data, inodes, flags))
                    return
        except Exception as e:            # reported below, not lost
            failures.append((index, repr(e)))
        finally:
            a.close()
            b.close()
            os.close(r)
            os.close(w)

    threads = [threading.Thread(target=worker, args=(k,))
               for k in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
