#!/usr/bin/env python3
"""Attack sockcffi's C boundary and count what gets through.

Every case is a small function that drives one method or function with
hostile input (``int`` subclasses whose comparisons lie, objects with only
``__index__``, ``bytes``/``bytearray`` subclasses whose ``__len__`` lies,
non-contiguous views, sizes 0, negative, 2**31, 2**63 ...), with
``MSG_TRUNC``/``MSG_PEEK`` on every receive call, or with another thread
closing, detaching or re-timing the socket in the middle of a blocking
call while the descriptor number is handed to a new connection.

Classes of cases and what each one checks:

=============  ==============================================================
``int``        every integer parameter; ``diff``: the same result or the same
               exception class as the interpreter's stdlib ``socket``
``buffer``     every buffer parameter; ``diff`` as above, and the bytes that
               reach the peer are exactly the buffer's
``trunc``      MSG_TRUNC / MSG_PEEK on recv, recvfrom, recvmsg, recv_into,
               recvfrom_into, recvmsg_into, datagram and stream sockets:
               the result is bounded by the buffer and holds only bytes this
               call received (the receive pool is primed with a secret first)
``export``     a failed send/sendall/sendto/sendmsg/recv_into leaves the
               caller's bytearray resizable (its buffer export released)
``race``       close/detach/settimeout from another thread during a timed
               recv, recvfrom, recv_into, recvmsg, accept, sendall and
               connect, with the descriptor number reused at once: no byte
               is read from or written to the new connection
``close``      concurrent close()/detach() of one socket while other threads
               open descriptors: no unrelated descriptor is closed, no
               descriptor has two owners
``random``     random sizes for bufsize/nbytes/ancbufsize/buflen against the
               stdlib (``diff``), seeded, more with ``--long``
``surface``    generated from the public API (tools/adversarial_surface.py):
               every int, bytes and writable-buffer parameter of every
               public callable, against the honest value and the stdlib
               (a third of the hostile values per parameter; all with
               ``--long``); resizes during calls; conversions racing close
=============  ==============================================================

Each case runs in a child process (many cases per child, the parent
restarting a child after a crash and recording the case it died in), with a
bound on its time, and the child checks ``/proc/self/fd`` around every case.
The report gives, per class, the cases run and the crashes, hangs, foreign
bytes, descriptor leaks and differences from the stdlib.

Usage::

    python tools/adversarial.py            # the standard run
    python tools/adversarial.py --long     # more random and surface cases
    python tools/adversarial.py --json FILE
    python tools/adversarial.py --rss [--iterations N]   # RSS per hot call
"""
import argparse
import array
import gc
import json
import os
import random
import signal
import socket as stdlib
import subprocess
import sys
import tempfile
import threading
import time

from adversarial_surface import (IndexOnly, LyingInt, SurfaceFailure,
                                 surface_cases, wait_until_blocked)

HERE = os.path.dirname(os.path.abspath(__file__))
JOIN = 10.0            # bound for every thread join and socket wait
CASE_LIMIT = 20.0      # seconds one case may take before it is a hang
PYPY = sys.implementation.name == "pypy"


# --- hostile objects ---------------------------------------------------------

class LyingBytes(bytes):
    """bytes whose len() is far larger than its buffer."""

    def __len__(self):
        return 200000


class LyingBytearray(bytearray):
    """bytearray whose len() is far larger than its buffer."""

    def __len__(self):
        return 1 << 20


class LyingStr(str):
    """str whose encode() hands back a bytes object with a lying len()."""

    def encode(self, *args, **kwargs):
        return LyingBytes(b"x")

    def __len__(self):
        return 1 << 20


INT_VALUES = [
    ("0", lambda: 0), ("1", lambda: 1), ("-1", lambda: -1),
    ("2**31-1", lambda: 2 ** 31 - 1), ("2**31", lambda: 2 ** 31),
    ("2**32", lambda: 2 ** 32), ("2**63-1", lambda: 2 ** 63 - 1),
    ("2**63", lambda: 2 ** 63), ("2**64", lambda: 2 ** 64),
    ("-2**63", lambda: -2 ** 63),
    ("LyingInt(16)", lambda: LyingInt(16)),
    ("LyingInt(4096)", lambda: LyingInt(4096)),
    ("LyingInt(150000)", lambda: LyingInt(150000)),
    ("LyingInt(-5)", lambda: LyingInt(-5)),
    ("IndexOnly(8)", lambda: IndexOnly(8)),
    ("IndexOnly(2**63)", lambda: IndexOnly(2 ** 63)),
    ("True", lambda: True), ("3.0", lambda: 3.0), ("'1'", lambda: "1"),
    ("None", lambda: None),
]

BUFFER_VALUES = [
    ("bytes", lambda: b"abc"),
    ("bytearray", lambda: bytearray(b"abc")),
    ("memoryview", lambda: memoryview(b"abcdef")[1:4]),
    ("array", lambda: array.array("b", [1, 2, 3])),
    ("LyingBytes", lambda: LyingBytes(b"abc")),
    ("LyingBytearray", lambda: LyingBytearray(b"abc")),
    ("noncontiguous", lambda: memoryview(bytearray(b"abcdefgh"))[::2]),
    ("readonly-memoryview", lambda: memoryview(b"abc")),
    ("empty", lambda: b""),
    ("str", lambda: "abc"), ("LyingStr", lambda: LyingStr("abc")),
    ("int", lambda: 3), ("None", lambda: None),
]


# --- what a call did ---------------------------------------------------------

def outcome(f):
    """("ok", result) or ("raise", exception class name); the timeout
    classes compare by meaning, not by module."""
    try:
        result = f()
    except Exception as e:            # noqa: BLE001 - the class is the point
        name = type(e).__name__
        if name in ("timeout", "TimeoutError"):
            name = "timeout"
        return ("raise", name)
    if isinstance(result, (bytearray, memoryview)):
        result = bytes(result)
    if isinstance(result, tuple):
        result = list(result)
    return ("ok", result)


def fd_set():
    return set(os.listdir("/proc/self/fd"))


class Failure(AssertionError):
    """A case found what it looks for: foreign bytes, a wrong length..."""


def check(condition, message):
    if not condition:
        raise Failure(message)


# --- socket fixtures, the same for both modules ------------------------------

def stream_pair(mod, data=b""):
    a, b = mod.socketpair()
    a.settimeout(JOIN)
    b.settimeout(JOIN)
    if data:
        b.sendall(data)
    return a, b


def dgram_pair(mod, data=b""):
    a, b = mod.socketpair(mod.AF_UNIX, mod.SOCK_DGRAM)
    a.settimeout(JOIN)
    b.settimeout(JOIN)
    if data:
        b.send(data)
    return a, b


def tcp_pair(mod):
    srv = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    cli = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    cli.settimeout(JOIN)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    conn.settimeout(JOIN)
    srv.close()
    return cli, conn


def udp_pair(mod):
    a = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    b = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    a.settimeout(JOIN)
    b.settimeout(JOIN)
    b.connect(a.getsockname())
    a.connect(b.getsockname())
    return a, b


def closing(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def prime_pool(mod):
    """Leave a secret in sockcffi's pooled receive buffer (and in freed
    heap memory), so that an unbounded copy would show it."""
    a, b = mod.socketpair()
    try:
        a.sendall(b"SECRET" * 10000)
        got = 0
        while got < 60000:
            got += len(b.recv(65536))
    finally:
        closing(a, b)


# --- case registry -----------------------------------------------------------

CASES = {}     # name -> (class, kind, function); kind "diff" or "safe"


def case(klass, name, kind="diff"):
    def register(f):
        CASES["%s:%s" % (klass, name)] = (klass, kind, f)
        return f
    return register


def int_cases():
    """One ``diff`` case per (integer parameter, hostile value)."""
    def on_pair(make_pair, payload, call, bufsize=0):
        """A runner: ``call(mod, a, v[, buf])`` on one end of a fresh pair
        whose other end sent ``payload``; the outcome, and with a receive
        buffer of ``bufsize`` bytes also what it then holds."""
        def run(mod, v):
            a, b = make_pair(mod, payload)
            try:
                if not bufsize:
                    return outcome(lambda: call(mod, a, v))
                buf = bytearray(bufsize)
                return outcome(lambda: call(mod, a, v, buf)), bytes(buf)
            finally:
                closing(a, b)
        return run

    run_recv = on_pair(stream_pair, b"hello", lambda m, a, v: a.recv(v))
    run_recv_flags = on_pair(stream_pair, b"hello",
                             lambda m, a, v: a.recv(5, v))
    run_recv_into = on_pair(stream_pair, b"x" * 8000,
                            lambda m, a, v, buf: a.recv_into(buf, v), 16)
    run_recvfrom = on_pair(dgram_pair, b"hello",
                           lambda m, a, v: a.recvfrom(v))
    run_recvfrom_into = on_pair(dgram_pair, b"y" * 8000,
                                lambda m, a, v, buf: a.recvfrom_into(buf, v),
                                16)
    run_recvmsg = on_pair(dgram_pair, b"hello", lambda m, a, v: a.recvmsg(v))
    run_recvmsg_anc = on_pair(dgram_pair, b"hello",
                              lambda m, a, v: a.recvmsg(16, v))
    run_recvmsg_into_anc = on_pair(
        dgram_pair, b"hello", lambda m, a, v, buf: a.recvmsg_into([buf], v),
        8)
    run_send_flags = on_pair(stream_pair, b"",
                             lambda m, a, v: a.send(b"abc", v))
    run_getsockopt_buflen = on_pair(
        stream_pair, b"",
        lambda m, a, v: a.getsockopt(m.SOL_SOCKET, m.SO_RCVBUF, v))
    run_getsockopt_level = on_pair(
        stream_pair, b"", lambda m, a, v: a.getsockopt(v, m.SO_RCVBUF))
    run_setsockopt_value = on_pair(
        stream_pair, b"",
        lambda m, a, v: a.setsockopt(m.SOL_SOCKET, m.SO_KEEPALIVE, v))
    run_setsockopt_optlen = on_pair(
        stream_pair, b"",
        lambda m, a, v: a.setsockopt(m.SOL_SOCKET, m.SO_KEEPALIVE, None, v))
    run_shutdown = on_pair(stream_pair, b"", lambda m, a, v: a.shutdown(v))
    run_settimeout = on_pair(
        stream_pair, b"",
        lambda m, a, v: (a.settimeout(v), a.gettimeout())[1])

    def run_listen(mod, v):
        s = mod.socket()
        try:
            s.bind(("127.0.0.1", 0))
            return outcome(lambda: s.listen(v))
        finally:
            s.close()

    def run_socket_type(mod, v):
        def make():
            s = mod.socket(mod.AF_INET, v)
            s.close()
            return "made"
        return outcome(make)

    def run_cmsg_len(mod, v):
        return outcome(lambda: mod.CMSG_LEN(v))

    def run_cmsg_space(mod, v):
        return outcome(lambda: mod.CMSG_SPACE(v))

    def run_htons(mod, v):
        return outcome(lambda: mod.htons(v))

    def run_htonl(mod, v):
        return outcome(lambda: mod.htonl(v))

    def run_inet_ntop_family(mod, v):
        return outcome(lambda: mod.inet_ntop(v, b"\x7f\0\0\1"))

    def run_inet_pton_family(mod, v):
        return outcome(lambda: mod.inet_pton(v, "127.0.0.1"))

    def run_port(mod, v):
        s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        try:
            return outcome(lambda: s.sendto(b"x", ("127.0.0.1", v)))
        finally:
            s.close()

    def run_if_indextoname(mod, v):
        return outcome(lambda: mod.if_indextoname(v))

    def run_dup(mod, v):
        def dup():
            fd = mod.dup(v)
            os.close(fd)
            return "duped"
        return outcome(dup)

    table = [
        ("recv.bufsize", run_recv), ("recv.flags", run_recv_flags),
        ("recv_into.nbytes", run_recv_into),
        ("recvfrom.bufsize", run_recvfrom),
        ("recvfrom_into.nbytes", run_recvfrom_into),
        ("recvmsg.bufsize", run_recvmsg),
        ("recvmsg.ancbufsize", run_recvmsg_anc),
        ("recvmsg_into.ancbufsize", run_recvmsg_into_anc),
        ("send.flags", run_send_flags),
        ("getsockopt.buflen", run_getsockopt_buflen),
        ("getsockopt.level", run_getsockopt_level),
        ("setsockopt.value", run_setsockopt_value),
        ("setsockopt.optlen", run_setsockopt_optlen),
        ("listen.backlog", run_listen), ("shutdown.how", run_shutdown),
        ("settimeout", run_settimeout), ("socket.type", run_socket_type),
        ("CMSG_LEN", run_cmsg_len), ("CMSG_SPACE", run_cmsg_space),
        ("htons", run_htons), ("htonl", run_htonl),
        ("inet_ntop.family", run_inet_ntop_family),
        ("inet_pton.family", run_inet_pton_family),
        ("AF_INET.port", run_port), ("if_indextoname", run_if_indextoname),
        ("dup", run_dup),
    ]
    # Values that would make the stdlib allocate gigabytes (recv(2**31))
    # are left to the bounded ones: they test the allocator, not the
    # boundary.
    huge_alloc = {"recv.bufsize", "recvfrom.bufsize", "recvmsg.bufsize",
                  "recvmsg.ancbufsize", "recvmsg_into.ancbufsize"}
    for pname, runner in table:
        for vname, make in INT_VALUES:
            if pname in huge_alloc and vname in ("2**31-1", "2**31",
                                                 "2**32"):
                continue
            case("int", "%s=%s" % (pname, vname))(
                (lambda runner, make: lambda mod: runner(mod, make()))(
                    runner, make))


def buffer_cases():
    """One case per (buffer parameter, hostile object): the stdlib's
    outcome, and the peer receives exactly the buffer's bytes."""
    def drain(sock):
        sock.setblocking(False)
        out = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                out += chunk
        except BlockingIOError:
            pass
        return out

    def sender(method):
        def run(mod, data):
            a, b = stream_pair(mod)
            try:
                r = outcome(lambda: method(mod, a, data))
                return r, drain(b)
            finally:
                closing(a, b)
        return run

    def dgram_sender(method):
        def run(mod, data):
            a, b = udp_pair(mod)
            try:
                r = outcome(lambda: method(mod, a, data, b.getsockname()))
                b.setblocking(False)
                try:
                    got = b.recv(300000)
                except BlockingIOError:
                    got = None
                return r, got
            finally:
                closing(a, b)
        return run

    def receiver(method):
        def run(mod, buf):
            a, b = dgram_pair(mod, b"z" * 100)
            try:
                r = outcome(lambda: method(a, buf))
                try:
                    contents = bytes(buf)
                except TypeError:
                    contents = None
                return r, contents
            finally:
                closing(a, b)
        return run

    def unix_bind(mod, path):
        s = mod.socket(mod.AF_UNIX, mod.SOCK_DGRAM)
        try:
            r = outcome(lambda: s.bind(path))
            name = repr(outcome(s.getsockname)).replace(str(os.getpid()),
                                                        "PID")
            return r, name
        finally:
            s.close()

    def abstract(data):
        # The same hostile value as an abstract AF_UNIX name (nothing on
        # disk), unique to this process, so that neither module's bind
        # leaves a file or finds one the other made.  Every buffer type
        # keeps its shape: offset, read-only-ness, (non-)contiguity.
        tag = "\0sockcffi-adv-%d-" % os.getpid()
        if isinstance(data, str):
            return type(data)(tag + data)
        if isinstance(data, (bytes, bytearray)):
            return type(data)(tag.encode() + bytes(data))
        if isinstance(data, array.array):
            named = array.array(data.typecode)
            named.frombytes(tag.encode() + data.tobytes())
            return named
        if isinstance(data, memoryview):
            raw = tag.encode() + data.tobytes()
            if not data.contiguous:
                spread = bytearray(2 * len(raw))
                spread[::2] = raw
                return memoryview(spread)[::2]
            base = b"#" + raw
            return memoryview(base if data.readonly else bytearray(base))[1:]
        return data

    table = [
        ("send.data", sender(lambda mod, s, d: s.send(d))),
        ("sendall.data", sender(lambda mod, s, d: s.sendall(d))),
        ("sendmsg.buffers", sender(lambda mod, s, d: s.sendmsg([d]))),
        ("sendmsg.ancdata", sender(lambda mod, s, d: s.sendmsg(
            [b"m"], [(mod.SOL_SOCKET, 0x7fff, d)]))),
        ("sendto.data", dgram_sender(lambda mod, s, d, a: s.sendto(d, a))),
        ("setsockopt.value", sender(lambda mod, s, d: s.setsockopt(
            mod.SOL_SOCKET, mod.SO_KEEPALIVE, d))),
        ("recv_into.buffer", receiver(lambda s, b: s.recv_into(b))),
        ("recvfrom_into.buffer", receiver(lambda s, b: s.recvfrom_into(b))),
        ("recvmsg_into.buffers", receiver(
            lambda s, b: s.recvmsg_into([b]))),
        ("inet_ntop.packed", lambda mod, d: outcome(
            lambda: mod.inet_ntop(mod.AF_INET6, d))),
        ("inet_ntoa.packed", lambda mod, d: outcome(
            lambda: mod.inet_ntoa(d))),
        ("inet_pton.text", lambda mod, d: outcome(
            lambda: mod.inet_pton(mod.AF_INET, d))),
        ("AF_UNIX.bind", lambda mod, d: unix_bind(mod, abstract(d))),
        ("AF_INET.host", lambda mod, d: outcome(lambda: mod.socket(
            mod.AF_INET, mod.SOCK_DGRAM).sendto(b"x", (d, 9)))),
    ]
    for pname, runner in table:
        for vname, make in BUFFER_VALUES:
            case("buffer", "%s=%s" % (pname, vname))(
                (lambda runner, make: lambda mod: runner(mod, make()))(
                    runner, make))


def trunc_cases():
    """MSG_TRUNC and MSG_PEEK on every receive call, datagram and stream:
    results bounded by the buffer and made only of bytes sent in this
    case."""
    payload = b"A" * 1000

    def datagram(kind):
        return dgram_pair if kind == "unix-dgram" else udp_pair

    def make_pair(mod, kind):
        if kind == "unix-dgram":
            return dgram_pair(mod)
        if kind == "udp":
            return udp_pair(mod)
        if kind == "unix-stream":
            return stream_pair(mod)
        return tcp_pair(mod)

    def only_payload(data, limit):
        check(len(data) <= limit, "%d bytes returned for a %d-byte buffer"
              % (len(data), limit))
        check(set(data) <= {0x41, 0}, "foreign bytes: %r" % data[:40])

    def method_case(kind, method, flagname):
        def run(mod):
            prime_pool(mod)
            a, b = make_pair(mod, kind)
            try:
                b.send(payload)
                flags = getattr(mod, flagname)
                if method == "recv":
                    only_payload(a.recv(10, flags), 10)
                elif method == "recvfrom":
                    only_payload(a.recvfrom(10, flags)[0], 10)
                elif method == "recvmsg":
                    only_payload(a.recvmsg(10, 0, flags)[0], 10)
                else:
                    buf = bytearray(b"\xee" * 32)
                    if method == "recv_into":
                        n = a.recv_into(buf, 10, flags)
                    elif method == "recvfrom_into":
                        n = a.recvfrom_into(buf, 10, flags)[0]
                    else:
                        n = a.recvmsg_into([memoryview(buf)[:10]], 0,
                                           flags)[0]
                    check(n >= 0, "negative count")
                    # The caller's own bytes (0xee) may stay where the
                    # kernel wrote nothing (TCP discards with MSG_TRUNC).
                    only_payload(bytes(buf[:10]).replace(b"\xee", b""), 10)
                    check(bytes(buf[10:]) == b"\xee" * 22,
                          "written past the 10 bytes asked for")
                return "bounded"
            finally:
                closing(a, b)
        return run

    methods = ("recv", "recvfrom", "recvmsg", "recv_into", "recvfrom_into",
               "recvmsg_into")
    for kind in ("unix-dgram", "udp", "unix-stream", "tcp"):
        for method in methods:
            for flag in ("MSG_TRUNC", "MSG_PEEK"):
                case("trunc", "%s.%s.%s" % (kind, method, flag), "safe")(
                    method_case(kind, method, flag))

    def big_datagram(mod):
        # A datagram far larger than the buffer: nothing read past it.
        prime_pool(mod)
        a, b = dgram_pair(mod)
        try:
            b.setsockopt(mod.SOL_SOCKET, mod.SO_SNDBUF, 1 << 20)
            a.setsockopt(mod.SOL_SOCKET, mod.SO_RCVBUF, 1 << 20)
            b.send(b"A" * 200000)
            only_payload(a.recv(16, mod.MSG_TRUNC), 16)
            b.send(b"A" * 200000)
            only_payload(a.recvmsg(16, 0, mod.MSG_TRUNC)[0], 16)
            return "bounded"
        finally:
            closing(a, b)
    case("trunc", "unix-dgram.200k-datagram", "safe")(big_datagram)

    def getsockopt_bounded(mod):
        a, b = stream_pair(mod)
        try:
            # SO_PEERCRED is 12 bytes; ask for fewer.
            data = a.getsockopt(mod.SOL_SOCKET, mod.SO_PEERCRED, 4)
            check(len(data) <= 4, "getsockopt returned %d bytes for 4"
                  % len(data))
            return "bounded"
        finally:
            closing(a, b)
    case("trunc", "getsockopt.buflen-smaller", "safe")(getsockopt_bounded)


def export_cases():
    """A call that fails leaves the caller's bytearray resizable."""
    def resizable(buf):
        try:
            buf.extend(b"!")
            del buf[-1:]
            return True
        except BufferError:
            return False

    def closed_socket(mod):
        s = mod.socket()
        s.close()
        return s

    calls = {
        "send": lambda mod, s, b: s.send(b),
        "sendall": lambda mod, s, b: s.sendall(b),
        "sendto": lambda mod, s, b: s.sendto(b, ("127.0.0.1", 9)),
        "sendmsg": lambda mod, s, b: s.sendmsg([b]),
        "sendmsg.ancdata": lambda mod, s, b: s.sendmsg(
            [b"x"], [(mod.SOL_SOCKET, mod.SCM_RIGHTS, b)]),
        "recv_into": lambda mod, s, b: s.recv_into(b),
        "recvfrom_into": lambda mod, s, b: s.recvfrom_into(b),
        "recvmsg_into": lambda mod, s, b: s.recvmsg_into([b]),
        "setsockopt": lambda mod, s, b: s.setsockopt(mod.SOL_SOCKET,
                                                     mod.SO_KEEPALIVE, b),
    }

    def run(name, call):
        def f(mod):
            s = closed_socket(mod)
            buf = bytearray(b"data")

            def failing():
                call(mod, s, buf)
            r = outcome(failing)
            check(r[0] == "raise", "%s on a closed socket did not fail"
                  % name)
            check(resizable(buf), "%s left the bytearray exported" % name)
            return r
        return f
    for name, call in calls.items():
        case("export", name, "diff")(run(name, call))


def race_cases():
    """Close or detach the socket from another thread while a timed call
    waits, hand its descriptor number to a new connection with data of its
    own, then wake the old socket: the call must fail (EBADF) and never
    read, accept or write through the new connection."""
    marker = b"FOREIGN-CONNECTION-DATA"

    def reuse_number(mod, number):
        """Socket pairs until one end lands on ``number``: (that end, its
        peer, the other pairs made on the way)."""
        extra = []
        for _ in range(64):
            x, y = mod.socketpair()
            if x.fileno() == number:
                return x, y, extra
            if y.fileno() == number:
                return y, x, extra
            extra.append(x)
            extra.append(y)
        return None, None, extra

    def racing(kind, action, blocking):
        def run(mod):
            results = {}
            if kind == "accept":
                victim = mod.socket()
                victim.bind(("127.0.0.1", 0))
                victim.listen()
                address = victim.getsockname()
                peer = None
            else:
                victim, peer = stream_pair(mod)
            if kind == "sendall":
                victim.setsockopt(mod.SOL_SOCKET, mod.SO_SNDBUF, 4096)
            victim.settimeout(None if blocking else 5.0)
            number = victim.fileno()
            ident = {}

            def blocked():
                ident["pthread"] = threading.get_ident()
                ident["tid"] = threading.get_native_id()
                try:
                    if kind == "recv":
                        results["r"] = victim.recv(100)
                    elif kind == "recvfrom":
                        results["r"] = victim.recvfrom(100)[0]
                    elif kind == "recv_into":
                        buf = bytearray(100)
                        results["r"] = bytes(buf[:victim.recv_into(buf)])
                    elif kind == "recvmsg":
                        results["r"] = victim.recvmsg(100)[0]
                    elif kind == "accept":
                        results["r"] = victim.accept()[0]
                    elif kind == "sendall":
                        victim.sendall(b"S" * (4 << 20))
                        results["r"] = "sent"
                except OSError as e:
                    results["err"] = e.errno
            t = threading.Thread(target=blocked, daemon=True)
            t.start()
            deadline = time.monotonic() + JOIN
            while "tid" not in ident and time.monotonic() < deadline:
                time.sleep(0.001)
            check(wait_until_blocked(ident["tid"]),
                  "the call never blocked")
            if action == "close":
                victim.close()
            else:
                os.close(victim.detach())
            new, new_peer, extra = reuse_number(mod, number)
            foreign = []
            try:
                if new is not None and kind == "accept":
                    # The reused number becomes a listener with a client.
                    new.close()
                    new_listener = mod.socket()
                    if new_listener.fileno() == number:
                        new_listener.bind(("127.0.0.1", 0))
                        new_listener.listen()
                        foreign.append(new_listener)
                        foreign.append(mod.create_connection(
                            new_listener.getsockname(), timeout=JOIN))
                    else:
                        new_listener.close()
                elif new is not None:
                    new_peer.sendall(marker)
                # Wake the call.  Blocking mode: a signal to its thread makes
                # the system call return (EINTR, or a partial send), and the
                # retry must see the socket closed.  Timeout mode: the old
                # socket, which the waiting poll() still holds, gets ready.
                if blocking:
                    signal.pthread_kill(ident["pthread"], signal.SIGUSR1)
                elif kind == "accept":
                    try:
                        foreign.append(mod.create_connection(address,
                                                             timeout=JOIN))
                    except OSError:
                        pass
                elif kind == "sendall":
                    peer.setblocking(False)
                    try:
                        while peer.recv(1 << 20):
                            pass
                    except BlockingIOError:
                        pass
                else:
                    try:
                        peer.sendall(b"old")
                    except (BrokenPipeError, ConnectionResetError):
                        # The old socket is gone already: no poll() held it
                        # (the call was between its wait and its retry), so
                        # the call sees the close without being woken.
                        pass
                t.join(JOIN)
                check(not t.is_alive(), "the blocked call hung")
                got = results.get("r")
                if kind == "accept":
                    check(got is None, "accept() took a connection from "
                          "another listener")
                elif kind == "sendall":
                    if new_peer is not None:
                        new_peer.setblocking(False)
                        try:
                            leaked = new_peer.recv(1 << 20)
                        except BlockingIOError:
                            leaked = b""
                        check(b"S" not in leaked, "sendall wrote to "
                              "another connection (foreign bytes)")
                else:
                    check(got is None or marker not in got,
                          "read another connection's data (foreign "
                          "bytes): %r" % (got,))
                    if new is not None:
                        new.settimeout(JOIN)
                        check(new.recv(100) == marker,
                              "the new connection's data was consumed")
                check("err" in results, "the call did not fail: %r"
                      % (results,))
                return "failed with errno %s" % results.get("err")
            finally:
                closing(victim, *extra)
                closing(*foreign)
                for sock in (new, new_peer, peer):
                    if sock is not None:
                        closing(sock)
        return run

    for kind in ("recv", "recvfrom", "recv_into", "recvmsg", "accept",
                 "sendall"):
        for action in ("close", "detach"):
            for blocking in (False, True):
                case("race", "%s.%s.%s" % (
                    kind, action, "blocking" if blocking else "timed"),
                    "safe")(racing(kind, action, blocking))

    def settimeout_race(mod):
        # settimeout(None) from another thread while a timed recv waits:
        # the call ends with the data, not with an error or a hang.
        a, b = stream_pair(mod)
        a.settimeout(5.0)
        got = {}
        ident = {}

        def reader():
            ident["tid"] = threading.get_native_id()
            got["r"] = a.recv(10)
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        deadline = time.monotonic() + JOIN
        while "tid" not in ident and time.monotonic() < deadline:
            time.sleep(0.001)
        wait_until_blocked(ident["tid"])
        a.settimeout(None)
        b.sendall(b"late")
        t.join(JOIN)
        check(not t.is_alive(), "recv hung after settimeout(None)")
        check(got.get("r") == b"late", "wrong data %r" % (got,))
        closing(a, b)
        return "safe"
    case("race", "recv.settimeout", "safe")(settimeout_race)


def close_cases():
    """Concurrent close()/detach(): one owner per number, and no unrelated
    descriptor closed."""
    def hammer(detaching):
        def run(mod):
            rounds = 300
            bad = []
            for _ in range(rounds):
                s = mod.socket()
                taken = []
                unrelated = []
                barrier = threading.Barrier(4)

                def closer():
                    barrier.wait(JOIN)
                    if detaching:
                        fd = s.detach()
                        if fd >= 0:
                            taken.append(fd)
                    else:
                        s.close()

                def opener():
                    barrier.wait(JOIN)
                    for _ in range(3):
                        r, w = os.pipe()
                        unrelated.append((r, w))
                threads = [threading.Thread(target=closer) for _ in range(3)]
                threads.append(threading.Thread(target=opener))
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(JOIN)
                if detaching:
                    if len(taken) != 1:
                        bad.append("%d owners" % len(taken))
                    for fd in taken:
                        os.close(fd)
                for r, w in unrelated:
                    for fd in (r, w):
                        try:
                            os.fstat(fd)
                        except OSError:
                            bad.append("unrelated fd %d closed" % fd)
                        else:
                            os.close(fd)
            check(not bad, "; ".join(bad[:5]))
            return "safe"
        return run
    case("close", "close", "safe")(hammer(False))
    case("close", "detach", "safe")(hammer(True))


def random_cases(count, seed):
    """Random sizes for every length parameter, compared with the stdlib."""
    rng = random.Random(seed)
    pool = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, -2 ** 63,
            16, 4096, 65535, 65536, 65537, 1 << 20]

    def value():
        pick = rng.random()
        if pick < 0.4:
            v = rng.choice(pool)
        elif pick < 0.8:
            v = rng.randrange(-70000, 300000)
        else:
            v = rng.randrange(-2 ** 64, 2 ** 64)
        wrap = rng.random()
        if wrap < 0.2:
            return LyingInt(v)
        if wrap < 0.3:
            return IndexOnly(v)
        return v

    def sized(v):
        # Skip sizes that only make the allocator work (GBs).
        n = int(v.__index__())
        return not (1 << 24) < n < 2 ** 63 - 64

    made = 0
    while made < count:
        which = rng.choice(["recv", "recvfrom", "recv_into", "recvfrom_into",
                            "recvmsg", "recvmsg.anc", "getsockopt",
                            "recvmsg_into.anc"])
        v = value()
        if not sized(v):
            continue
        flags = rng.choice([0, 0, "MSG_PEEK", "MSG_DONTWAIT"])
        made += 1

        def run(mod, which=which, v=v, flags=flags):
            f = getattr(mod, flags) if flags else 0
            a, b = dgram_pair(mod, b"r" * 300)
            buf = bytearray(64)
            try:
                calls = {
                    "recv": lambda: a.recv(v, f),
                    "recvfrom": lambda: a.recvfrom(v, f)[0],
                    "recv_into": lambda: a.recv_into(buf, v, f),
                    "recvfrom_into": lambda: a.recvfrom_into(buf, v, f)[0],
                    "recvmsg": lambda: a.recvmsg(v, 0, f)[0],
                    "recvmsg.anc": lambda: a.recvmsg(8, v, f)[0],
                    "recvmsg_into.anc": lambda: a.recvmsg_into([buf], v,
                                                               f)[0],
                    "getsockopt": lambda: a.getsockopt(mod.SOL_SOCKET,
                                                       mod.SO_SNDBUF, v),
                }
                r = outcome(calls[which])
                if r[0] == "ok" and which == "getsockopt" and \
                        isinstance(r[1], bytes):
                    r = ("ok", len(r[1]))      # the value is the kernel's
                return r, bytes(buf)
            finally:
                closing(a, b)
        case("random", "%d:%s(%r,%s)" % (made, which, v, flags))(run)


def build_cases(long_mode=False, seed=1):
    CASES.clear()
    int_cases()
    buffer_cases()
    trunc_cases()
    export_cases()
    race_cases()
    close_cases()
    random_cases(2000 if long_mode else 200, seed)
    surface_cases(case, long_mode)


# --- the child: run cases, one JSON line each --------------------------------

def make_reference(names, path):
    """CPython's stdlib outcome of every ``diff`` case (no sockcffi
    needed): the reference a PyPy run compares against where PyPy's
    built-in socket and CPython's disagree."""
    outcomes = {}
    for name in names:
        klass, kind, f = CASES[name]
        if kind == "diff":
            outcomes[name] = repr(f(stdlib))
    with open(path, "w") as out:
        json.dump({"interpreter": sys.version, "outcomes": outcomes}, out)


# --- the child: run one side of the cases, one JSON line each ----------------

def child(names, side, out):
    """Run ``names`` on one module (``side``: "sockcffi" or "stdlib"),
    writing a "begin" line before each case and its record after it.  The
    two sides run in different processes, so that a stdlib that corrupts
    its heap (PyPy's recvfrom_into with a negative size) cannot take a
    sockcffi case down with it."""
    if side == "sockcffi":
        import sockcffi as mod
    else:
        mod = stdlib
    # The race cases interrupt blocked threads with SIGUSR1: a handler that
    # does nothing, so the system call fails with EINTR and is retried.
    signal.signal(signal.SIGUSR1, lambda signum, frame: None)
    def new_fds(before):
        # /proc/self/fd lists the directory's own descriptor as it is read.
        return [fd for fd in fd_set() - before
                if os.path.exists("/proc/self/fd/" + fd)]

    for name in names:
        klass, kind, f = CASES[name]
        out.write(json.dumps({"begin": name}) + "\n")
        out.flush()
        before = fd_set()
        record = {"case": name, "class": klass}
        started = time.monotonic()
        try:
            record["outcome"] = repr(f(mod))
        except (Failure, SurfaceFailure) as e:
            record["failure"] = str(e)[:300]
        except Exception as e:      # noqa: BLE001 - reported, not hidden
            record["error"] = "%s: %s" % (type(e).__name__, str(e)[:200])
        record["seconds"] = round(time.monotonic() - started, 3)
        # A leak is a descriptor still open after three collections.  They
        # run only when a descriptor is left (PyPy's take tens of ms each,
        # most of a run when made around every case); garbage of a case
        # never hides the next one's leaks, as it is collected here.
        leaked = new_fds(before)
        for _ in range(3):
            if not leaked:
                break
            gc.collect()
            leaked = new_fds(before)
        if leaked:
            record["fd_leak"] = len(leaked)
        out.write(json.dumps(record) + "\n")
        out.flush()


# --- the parent: children, restarts, comparison, totals ----------------------

def run_side(side, names, python, args, log):
    """Records of ``names`` run on ``side``, in as many children as it
    takes: a child that dies is replaced, and the case it was in is
    recorded as a crash (or a hang, when the watchdog killed it)."""
    records = {}
    remaining = list(names)
    while remaining:
        argv = [python, os.path.abspath(__file__), "--_child", side,
                "--seed", str(args.seed)] + (["--long"] if args.long else [])
        # Each child works in a fresh folder inside this run's own: a case
        # that binds a relative AF_UNIX path (PyPy's socket does, for a str
        # whose encode() lies) leaves it there, where no other child and no
        # later run can trip over it.
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                cwd=tempfile.mkdtemp(dir=os.getcwd()),
                                universal_newlines=True)
        proc.stdin.write("\n".join(remaining))
        proc.stdin.close()
        state = {"current": None, "deadline": time.monotonic() + CASE_LIMIT,
                 "hung": False, "last": None}

        def watch():
            while proc.poll() is None:
                if time.monotonic() > state["deadline"]:
                    state["hung"] = True
                    proc.kill()
                    return
                time.sleep(0.2)
        w = threading.Thread(target=watch, daemon=True)
        w.start()
        for line in proc.stdout:
            item = json.loads(line)
            state["deadline"] = time.monotonic() + CASE_LIMIT
            if "begin" in item:
                state["current"] = item["begin"]
            else:
                records[item["case"]] = item
                state["current"] = None
                state["last"] = item["case"]
        proc.wait()
        w.join(JOIN)
        before = len(remaining)
        remaining = [n for n in remaining if n not in records]
        current = state["current"]
        if current is not None:
            what = "hang" if state["hung"] else "crash"
            records[current] = {"case": current, "class": CASES[current][0],
                                what: proc.returncode}
            log("%s: %s in %s (exit %s)" % (side, what, current,
                                             proc.returncode))
            remaining.remove(current)
        elif remaining and proc.returncode:
            # Died between cases (a heap an earlier case corrupted, as
            # PyPy's own recvfrom_into does): go on in a new child while
            # children make progress.
            # The crash counts against the case that ran last.
            last = state["last"]
            log("%s: child exited %s with cases left (after %s)"
                % (side, proc.returncode, last))
            if last is not None:
                records[last] = dict(records[last], crash=proc.returncode,
                                     after_case=True)
            if len(remaining) == before:
                break
    return records


def compare(records, stdlib_records, reference):
    """Mark each ``diff`` case of sockcffi's records against the stdlib's
    outcome: the same; or CPython's (the reference) where the running
    stdlib is PyPy's and differs; or the stdlib lacks the function; or the
    stdlib crashed; or a difference."""
    for name, record in records.items():
        if CASES[name][1] != "diff" or "outcome" not in record:
            continue
        theirs = stdlib_records.get(name, {})
        if "crash" in theirs or "hang" in theirs:
            record["stdlib_fault"] = theirs
            continue
        expected = theirs.get("outcome")
        got = record["outcome"]
        if got == expected:
            continue
        if reference.get(name) == got:
            record["follows_cpython"] = (expected or "")[:300]
        elif expected == repr(("raise", "AttributeError")):
            record["stdlib_lacks"] = True           # PyPy: no such function
        else:
            record["diff"] = {"sockcffi": got[:300],
                              "stdlib": (expected or repr(theirs))[:300]}


def classify(record):
    if "crash" in record:
        return "crash"
    if "hang" in record:
        return "hang"
    failure = record.get("failure", "")
    if "foreign" in failure or "another connection" in failure:
        return "foreign"
    if failure or "error" in record:
        return "failure"
    if record.get("fd_leak"):
        return "fd_leak"
    if "diff" in record:
        return "diff"
    if "stdlib_fault" in record:
        return "stdlib_fault"
    if "follows_cpython" in record:
        return "cpython"
    return "ok"


# Per class: cases run; sockcffi crashes, hangs, foreign bytes, descriptor
# leaks, differences from the stdlib and other failures (all must be 0);
# then, for information, cases where the interpreter's own socket crashed
# or hung (PyPy) and where sockcffi gave CPython's outcome and the
# running interpreter's stdlib another (PyPy).
COLUMNS = ("cases", "crash", "hang", "foreign", "fd_leak", "diff",
           "failure", "stdlib_fault", "cpython")
FAILING = ("crash", "hang", "foreign", "fd_leak", "diff", "failure")


def report(records):
    classes = {}
    for r in records:
        row = classes.setdefault(r["class"], dict.fromkeys(COLUMNS, 0))
        row["cases"] += 1
        kind = classify(r)
        if kind != "ok":
            row[kind] += 1
    return classes


def print_table(classes, out=sys.stdout):
    out.write("%-8s" % "class" + "".join("%13s" % c for c in COLUMNS)
              + "\n")
    total = dict.fromkeys(COLUMNS, 0)
    for name in sorted(classes):
        row = classes[name]
        out.write("%-8s" % name + "".join("%13d" % row[c] for c in COLUMNS)
                  + "\n")
        for c in COLUMNS:
            total[c] += row[c]
    out.write("%-8s" % "total" + "".join("%13d" % total[c] for c in COLUMNS)
              + "\n")
    return total


# --- RSS across hot calls ----------------------------------------------------

def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rss_run(iterations, log=print):
    import sockcffi as mod
    a, b = mod.socketpair()
    u1, u2 = udp_pair(mod)
    buf = bytearray(64)
    anc = [(mod.SOL_SOCKET, mod.SCM_RIGHTS, array.array("i", [a.fileno()]))]

    def recvmsg_fd():
        a.sendmsg([b"x"], anc)
        msg, ancdata, _, _ = b.recvmsg(1, mod.CMSG_SPACE(4))
        for level, kind, data in ancdata:
            os.close(array.array("i", data)[0])

    calls = {
        "send+recv": lambda: (a.send(b"x" * 32), b.recv(64)),
        "sendall+recv_into": lambda: (a.sendall(b"y" * 32),
                                      b.recv_into(buf)),
        "sendto+recvfrom": lambda: (u1.sendto(b"z" * 64, u2.getsockname()),
                                    u2.recvfrom(100)),
        "send(bytearray)+recvfrom_into": lambda: (
            u1.send(bytearray(64)), u2.recvfrom_into(buf)),
        "getsockopt": lambda: a.getsockopt(mod.SOL_SOCKET, mod.SO_RCVBUF),
        "inet_pton+inet_ntop": lambda: mod.inet_ntop(
            mod.AF_INET6, mod.inet_pton(mod.AF_INET6, "2001:db8::1")),
        "getaddrinfo numeric": lambda: mod.getaddrinfo("127.0.0.1", 80),
        "sendmsg+recvmsg SCM_RIGHTS": recvmsg_fd,
        "socket+close": lambda: mod.socket().close(),
    }
    results = {}
    for name, call in calls.items():
        for _ in range(iterations // 10):
            call()
        gc.collect()
        start = rss_kib()
        for _ in range(iterations):
            call()
        gc.collect()
        results[name] = {"iterations": iterations,
                         "rss_start_kib": start,
                         "growth_kib": rss_kib() - start}
        log("%-32s %8d calls  RSS %7d KiB  growth %+6d KiB"
            % (name, iterations, start, results[name]["growth_kib"]))
    closing(a, b, u1, u2)
    return results


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--long", action="store_true",
                   help="ten times the random cases, every surface variant")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", metavar="FILE", help="write the records here")
    p.add_argument("--class", dest="klass", action="append",
                   help="run only these classes")
    p.add_argument("--match", metavar="TEXT",
                   help="run only the cases whose name contains TEXT")
    p.add_argument("--rss", action="store_true",
                   help="measure RSS growth across hot calls instead")
    p.add_argument("--iterations", type=int, default=200000)
    p.add_argument("--reference", metavar="FILE",
                   help="CPython's stdlib outcomes (see --make-reference)")
    p.add_argument("--make-reference", metavar="FILE",
                   help="write the stdlib's outcomes of the diff cases to "
                   "FILE (run with CPython; sockcffi is not needed)")
    p.add_argument("--_child", choices=("sockcffi", "stdlib"),
                   help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args._child:
        # Already in the folder its parent made for it.
        return _run(args)
    for name in ("json", "reference", "make_reference"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    with tempfile.TemporaryDirectory(prefix="sockcffi-adversarial-") as work:
        os.chdir(work)
        try:
            return _run(args)
        finally:
            os.chdir(os.path.dirname(work))


def _run(args):
    if args.rss:
        results = rss_run(args.iterations)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
        return 0
    build_cases(args.long, args.seed)
    names = sorted(n for n, (k, _, _) in CASES.items()
                   if (not args.klass or k in args.klass)
                   and (not args.match or args.match in n))
    if args.make_reference:
        make_reference(names, args.make_reference)
        return 0
    if args._child:
        child([n for n in sys.stdin.read().split("\n") if n], args._child,
              sys.stdout)
        return 0
    reference = {}
    if args.reference:
        with open(args.reference) as f:
            reference = json.load(f)["outcomes"]
    log = lambda m: print(m, file=sys.stderr)     # noqa: E731
    start = time.monotonic()
    records = run_side("sockcffi", names, sys.executable, args, log)
    theirs = run_side("stdlib", [n for n in names if CASES[n][1] == "diff"],
                      sys.executable, args, log)
    compare(records, theirs, reference)
    records = [records[n] for n in names]
    classes = report(records)
    print("%s %s: %d cases in %.1f s" % (
        sys.implementation.name, sys.version.split()[0], len(records),
        time.monotonic() - start))
    total = print_table(classes)
    for r in records:
        if classify(r) in FAILING:
            print("  %s: %s" % (classify(r), json.dumps(r)[:400]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"interpreter": sys.version, "totals": total,
                       "classes": classes, "records": records}, f, indent=1)
    return 1 if sum(total[k] for k in FAILING) else 0


if __name__ == "__main__":
    sys.exit(main())
