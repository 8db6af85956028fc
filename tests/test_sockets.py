"""The socket object and module functions, against the stdlib socket."""
import array
import copy
import errno
import gc
import io
import os
import pickle
import select
import selectors
import socket
import sys
import tempfile
import threading
import warnings
import weakref

import pytest

import sockcffi

from sockhelpers import (JOIN, closing, err_outcome, outcome,
                         refused_port, start_thread, tcp_pair)

PYPY = sys.implementation.name == "pypy"


@pytest.fixture(autouse=True)
def _no_default_timeout():
    sockcffi.setdefaulttimeout(None)
    socket.setdefaulttimeout(None)
    yield
    sockcffi.setdefaulttimeout(None)
    socket.setdefaulttimeout(None)


def both(fn):
    """fn(module) on stdlib and sockcffi; the two outcomes."""
    return outcome(fn, socket), outcome(fn, sockcffi)


def same(fn, errno_too=False):
    get = err_outcome if errno_too else outcome
    a, b = get(fn, socket), get(fn, sockcffi)
    assert a == b
    return b


# --- module surface ----------------------------------------------------------

def test_module_names():
    for name in ("socket", "SocketType", "socketpair", "fromfd", "dup",
                 "close", "create_connection", "create_server",
                 "has_dualstack_ipv6", "getdefaulttimeout",
                 "setdefaulttimeout", "send_fds", "recv_fds", "CMSG_LEN",
                 "CMSG_SPACE", "_GLOBAL_DEFAULT_TIMEOUT"):
        assert hasattr(sockcffi, name), name
    assert issubclass(sockcffi.socket, sockcffi.SocketType)
    assert sockcffi.socket.__module__ == "sockcffi"


def test_default_timeout_validation():
    for value in (None, 0, 0.0, 1, 2.5, True):
        same(lambda m: (m.setdefaulttimeout(value), m.getdefaulttimeout()))
    for value in (-1, -0.5, "spam", 1 + 0j, []):
        same(lambda m: m.setdefaulttimeout(value))
    sockcffi.setdefaulttimeout(3)
    assert sockcffi.getdefaulttimeout() == 3.0


@pytest.mark.skipif(PYPY, reason="PyPy's stdlib accepts NaN and huge "
                    "timeouts; sockcffi follows CPython")
def test_timeout_overflow_like_cpython():
    for value in (float("nan"), float("inf"), 2 ** 64, 1e300):
        same(lambda m: m.setdefaulttimeout(value))


def test_settimeout_values(mod):
    with mod.socket() as s:
        assert s.gettimeout() is None and s.timeout is None
        assert s.getblocking()
        s.settimeout(0.1)
        assert s.gettimeout() == 0.1 and s.getblocking()
        assert not os.get_blocking(s.fileno())
        s.settimeout(0)
        assert s.gettimeout() == 0.0
        s.settimeout(None)
        assert os.get_blocking(s.fileno())
        s.setblocking(False)
        assert s.gettimeout() == 0.0 and not os.get_blocking(s.fileno())
        s.setblocking(True)
        assert s.gettimeout() is None


def test_settimeout_errors():
    def run(value):
        return lambda m: m.socket().settimeout(value)
    for value in (-1, -1.0, "spam", 1 + 0j):
        same(run(value))
    for value in (None, 1.5, "x"):
        same(lambda m: m.socket().setblocking(value))


def test_closed_socket_mode_changes():
    def run(m):
        s = m.socket()
        s.close()
        return err_outcome(s.settimeout, 1), err_outcome(s.setblocking, 1)
    assert run(socket) == run(sockcffi)


# --- construction ------------------------------------------------------------

def test_construct_defaults(mod):
    with mod.socket() as s:
        assert s.family == mod.AF_INET and s.type == mod.SOCK_STREAM
        assert s.proto == 0
        assert isinstance(s.family, mod.AddressFamily)
        assert isinstance(s.type, mod.SocketKind)
        assert not s.get_inheritable()


def test_type_flags_masked(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_STREAM | mod.SOCK_NONBLOCK
                    | mod.SOCK_CLOEXEC) as s:
        assert s.type == mod.SOCK_STREAM
        assert s.gettimeout() == 0.0
        assert not os.get_blocking(s.fileno())


def test_default_timeout_applies(mod):
    mod.setdefaulttimeout(2.5)
    try:
        with mod.socket() as s:
            assert s.gettimeout() == 2.5
            assert not os.get_blocking(s.fileno())
        a, b = mod.socketpair()
        assert a.gettimeout() == b.gettimeout() == 2.5
        closing(a, b)
    finally:
        mod.setdefaulttimeout(None)


def test_fileno_detection(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as orig:
        s = mod.socket(fileno=os.dup(orig.fileno()))
        with s:
            assert (s.family, s.type) == (mod.AF_INET, mod.SOCK_DGRAM)
            assert s.proto == orig.getsockopt(mod.SOL_SOCKET,
                                              mod.SO_PROTOCOL)
        s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM, 0,
                       fileno=os.dup(orig.fileno()))
        with s:
            assert s.proto == 0


def test_fileno_errors():
    same(lambda m: m.socket(fileno=-1))
    same(lambda m: m.socket(m.AF_INET, m.SOCK_STREAM, fileno=-42))
    same(lambda m: m.socket(fileno=42.5))
    same(lambda m: m.socket(fileno="foo"))
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    same(lambda m: m.socket(fileno=fd), errno_too=True)
    same(lambda m: m.socket(m.AF_INET, m.SOCK_STREAM, fileno=fd),
         errno_too=True)
    with tempfile.TemporaryFile() as f:
        same(lambda m: m.socket(fileno=f.fileno()), errno_too=True)
        same(lambda m: m.socket(m.AF_INET, m.SOCK_STREAM, fileno=f.fileno()),
             errno_too=True)


def test_bad_family_and_type():
    same(lambda m: m.socket(12345, m.SOCK_STREAM), errno_too=True)
    same(lambda m: m.socket(m.AF_INET, 12345), errno_too=True)
    same(lambda m: m.socket("x"))
    same(lambda m: m.socket(m.AF_INET, 1.5))


# --- socketpair, echo, close -----------------------------------------------

def test_socketpair_echo(mod):
    a, b = mod.socketpair()
    with a, b:
        assert a.family == mod.AF_UNIX and a.type == mod.SOCK_STREAM
        assert not a.get_inheritable() and not b.get_inheritable()
        a.sendall(b"ping")
        assert b.recv(10) == b"ping"
        b.send(bytearray(b"pong"))
        buf = bytearray(10)
        assert a.recv_into(buf) == 4 and buf[:4] == b"pong"
        b.send(memoryview(b"xyz"))
        arr = array.array("b", [0] * 8)
        assert a.recv_into(arr, 2) == 2
        assert a.recv(1, socket.MSG_PEEK) == b"z"
        assert a.recv(1) == b"z"
        b.shutdown(mod.SHUT_WR)
        assert a.recv(10) == b""


def test_socketpair_dgram(mod):
    a, b = mod.socketpair(mod.AF_UNIX, mod.SOCK_DGRAM)
    with a, b:
        a.send(b"one")
        a.send(b"two")
        assert b.recv(100) == b"one"
        assert b.recvfrom(100)[0] == b"two"


def test_recv_results_match():
    def run(m):
        a, b = m.socketpair()
        with a, b:
            a.sendall(b"0123456789")
            out = [b.recv(3), b.recv(0)]
            buf = bytearray(4)
            out.append((b.recv_into(buf, 2), bytes(buf)))
            out.append(b.recvfrom(2))
            buf = bytearray(5)
            out.append((b.recvfrom_into(buf), bytes(buf)))
            a.close()
            out.append(b.recv(5))
            return out
    assert run(socket) == run(sockcffi)


def test_bad_arguments():
    def pair_call(call):
        def run(m):
            a, b = m.socketpair()
            with a, b:
                return call(a)
        return run
    for call in (
            lambda s: s.recv(-1),
            lambda s: s.recv("x"),
            lambda s: s.recv(1.5),
            lambda s: s.recv_into(b"bytes"),
            lambda s: s.recv_into(bytearray(2), -1),
            lambda s: s.recv_into(bytearray(2), 5),
            lambda s: s.recv_into("str"),
            lambda s: s.recvfrom(-1),
            lambda s: s.recvfrom_into(bytearray(2), 5),
            lambda s: s.send("str"),
            lambda s: s.send(42),
            lambda s: s.send(b"x", "flags"),
            lambda s: s.sendall("str"),
            lambda s: s.sendall([1, 2]),
            lambda s: s.sendto(b"x"),
            lambda s: s.sendto("x", None),
            lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, -1),
            lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 1025),
            lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 1024),
            lambda s: s.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE, 0),
            lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE,
                                   1.5),
            lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE,
                                   "x"),
            lambda s: s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE,
                                   None),
            lambda s: s.shutdown(99),
            lambda s: s.listen(-5),
    ):
        same(pair_call(call))
    if not PYPY:        # PyPy's stdlib receives before checking nbytes
        same(pair_call(lambda s: s.recvfrom_into(bytearray(2), -1)))


def test_closed_socket_operations():
    def run(m):
        s = m.socket()
        s.close()
        s.close()                       # idempotent
        results = [s.fileno()]
        for call in (lambda: s.recv(1), lambda: s.send(b"x"),
                     lambda: s.getsockname(), lambda: s.listen(),
                     lambda: s.bind(("127.0.0.1", 0)),
                     lambda: s.getsockopt(m.SOL_SOCKET, m.SO_TYPE),
                     lambda: s.sendall(b"x"), lambda: s.shutdown(m.SHUT_RDWR),
                     lambda: s.recv_into(bytearray(1)),
                     lambda: s.sendmsg([b"x"]), lambda: s.recvmsg(1),
                     lambda: s.accept(), lambda: s.dup()):
            results.append(err_outcome(call))
        return results
    assert run(socket) == run(sockcffi)


def test_detach(mod):
    s = mod.socket()
    fd = s.fileno()
    assert s.detach() == fd
    assert s.fileno() == -1
    assert "[closed]" in repr(s)
    s.close()
    os.fstat(fd)                        # still open
    os.close(fd)


def test_dup_and_fromfd(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(3)
        c = a.dup()
        with c:
            assert c.fileno() != a.fileno()
            assert c.gettimeout() == 3 and not c.get_inheritable()
            assert type(c) is type(a)
            c.sendall(b"via dup")
            assert b.recv(20) == b"via dup"
        d = mod.fromfd(b.fileno(), mod.AF_UNIX, mod.SOCK_STREAM)
        with d:
            assert not d.get_inheritable()
            a.sendall(b"via fromfd")
            assert d.recv(20) == b"via fromfd"
        fd = mod.dup(a.fileno())
        assert not os.get_inheritable(fd)
        mod.close(fd)
        with pytest.raises(OSError) as info:
            mod.close(fd)
        assert info.value.errno == errno.EBADF


def test_module_dup_close_errors():
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    same(lambda m: m.dup(fd), errno_too=True)
    same(lambda m: m.close(fd), errno_too=True)
    same(lambda m: m.dup("x"))
    same(lambda m: m.close(1.5))


def test_inheritable(mod):
    with mod.socket() as s:
        assert s.get_inheritable() is False
        s.set_inheritable(True)
        assert s.get_inheritable() is True
        s.set_inheritable(False)
        assert s.get_inheritable() is False


def test_subclass_accept_and_dup_types(mod):
    class Sub(mod.socket):
        pass
    with Sub(mod.AF_INET, mod.SOCK_STREAM) as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        with mod.create_connection(srv.getsockname(), timeout=JOIN) as c:
            conn, addr = srv.accept()
            with conn:
                assert type(conn) is mod.socket     # like the stdlib
                assert addr == c.getsockname()
        d = srv.dup()
        assert type(d) is Sub
        d.close()


# --- TCP / UDP loopback ------------------------------------------------------

def test_tcp_echo(mod):
    srv, cli, conn = tcp_pair(mod)
    with srv, cli, conn:
        assert conn.getpeername() == cli.getsockname()
        assert cli.getpeername() == srv.getsockname()
        assert not conn.get_inheritable()
        payload = os.urandom(300000)

        def echo():
            got = b""
            while len(got) < len(payload):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                got += chunk
            conn.sendall(got)

        t = start_thread(echo)
        cli.sendall(payload)
        got = bytearray()
        while len(got) < len(payload):
            chunk = cli.recv(65536)
            assert chunk
            got += chunk
        t.join(JOIN)
        assert bytes(got) == payload


def test_udp_loopback(mod):
    a = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    b = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    with a, b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        assert b.sendto(b"hello", a.getsockname()) == 5
        assert a.recvfrom(100) == (b"hello", b.getsockname())
        assert b.sendto(memoryview(b"again"), 0, a.getsockname()) == 5
        buf = bytearray(3)
        assert a.recvfrom_into(buf) == (3, b.getsockname())
        assert buf == b"aga"
        b.sendto(b"msg", a.getsockname())
        data, anc, flags, addr = a.recvmsg(10)
        assert (data, anc, addr) == (b"msg", [], b.getsockname())
        b.sendmsg([b"a", b"bc"], [], 0, a.getsockname())
        bufs = [bytearray(1), bytearray(5)]
        n, anc, flags, addr = a.recvmsg_into(bufs)
        assert n == 3 and bufs[0] == b"a" and bufs[1][:2] == b"bc"


def test_connect_refused_and_ex():
    port = refused_port()

    def run(m):
        with m.socket() as s:
            first = err_outcome(s.connect, ("127.0.0.1", port))
        with m.socket() as s:
            second = s.connect_ex(("127.0.0.1", port))
        with m.socket() as s:
            s.settimeout(JOIN)
            third = err_outcome(s.connect, ("127.0.0.1", port))
        with m.socket() as s:
            s.settimeout(JOIN)
            fourth = s.connect_ex(("127.0.0.1", port))
        with m.socket() as s:
            s.setblocking(False)
            fifth = s.connect_ex(("127.0.0.1", port))
        return first, second, third, fourth, fifth
    ours, theirs = run(sockcffi), run(socket)
    assert ours == theirs
    assert ours[1] == errno.ECONNREFUSED


def test_nonblocking_connect_and_accept(mod):
    with mod.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.setblocking(False)
        with pytest.raises(BlockingIOError):
            srv.accept()
        with mod.socket() as c:
            c.setblocking(False)
            rc = c.connect_ex(srv.getsockname())
            assert rc in (0, errno.EINPROGRESS)
            select.select([srv], [], [], JOIN)
            conn, _ = srv.accept()
            with conn:
                # Linux: accepted sockets do not inherit O_NONBLOCK.
                assert conn.gettimeout() is None
                assert os.get_blocking(conn.fileno())
                with pytest.raises(BlockingIOError):
                    c.recv(10)


def test_accept_timeout_rules(mod):
    with mod.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(JOIN)
        with mod.create_connection(srv.getsockname(), timeout=JOIN):
            conn, _ = srv.accept()
            with conn:              # listening in timeout mode -> blocking
                assert conn.gettimeout() is None
                assert os.get_blocking(conn.fileno())
        mod.setdefaulttimeout(4.0)
        try:
            with mod.create_connection(srv.getsockname()):
                conn, _ = srv.accept()
                with conn:          # the default timeout wins
                    assert conn.gettimeout() == 4.0
                    assert not os.get_blocking(conn.fileno())
        finally:
            mod.setdefaulttimeout(None)


def test_listen_default_backlog(mod):
    # listen() with the default, 0 and a negative backlog (clamped to 0)
    # all make a listening socket that takes a connection.
    for backlog in ((), (0,), (-3,)):
        with mod.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(*backlog)
            assert s.getsockopt(mod.SOL_SOCKET, mod.SO_ACCEPTCONN) == 1
            with mod.create_connection(s.getsockname(), timeout=JOIN):
                s.settimeout(JOIN)
                conn, _ = s.accept()
                conn.close()


def test_bind_errors():
    def run(m):
        with m.socket() as a, m.socket() as b:
            a.bind(("127.0.0.1", 0))
            return err_outcome(b.bind, a.getsockname())
    assert run(socket) == run(sockcffi)
    same(lambda m: m.socket().bind("not a tuple"))
    same(lambda m: m.socket().connect(("127.0.0.1", "port")))


# --- options -----------------------------------------------------------------

def test_sockopts(mod):
    with mod.socket() as s:
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_TYPE) == mod.SOCK_STREAM
        s.setsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR, 1)
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 1
        s.setsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR, False)
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 0
        s.setsockopt(mod.SOL_SOCKET, mod.SO_KEEPALIVE,
                     (1).to_bytes(4, sys.byteorder))
        raw = s.getsockopt(mod.SOL_SOCKET, mod.SO_KEEPALIVE, 4)
        assert raw == (1).to_bytes(4, sys.byteorder)
        linger = s.getsockopt(mod.SOL_SOCKET, mod.SO_LINGER, 8)
        assert len(linger) == 8
        s.setsockopt(mod.SOL_SOCKET, mod.SO_LINGER, bytearray(8))


@pytest.mark.skipif(PYPY, reason="PyPy's stdlib lacks the (None, optlen) "
                    "form; sockcffi follows CPython")
def test_setsockopt_none_optlen():
    def run(m):
        with m.socket() as s:
            return (err_outcome(s.setsockopt, m.SOL_SOCKET, m.SO_KEEPALIVE,
                                None, 4),
                    err_outcome(s.setsockopt, m.SOL_SOCKET, m.SO_KEEPALIVE,
                                1, 4))
    assert run(socket) == run(sockcffi)


def test_setsockopt_int_out_of_range():
    same(lambda m: m.socket().setsockopt(m.SOL_SOCKET, m.SO_REUSEADDR,
                                         2 ** 40))


# --- repr, pickling, weakref, ResourceWarning --------------------------------

def test_repr_matches_stdlib():
    def shape(m, s):
        text = repr(s)
        prefix = "<%s.socket" % m.__name__
        assert text.startswith(prefix)
        return text[len(prefix):].replace("fd=%d" % s.fileno(), "fd=N")
    for kind in ("inet", "unix"):
        reprs = []
        for m in (socket, sockcffi):
            if kind == "inet":
                s = m.socket()
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
                text = shape(m, s).replace(str(port), "PORT")
            else:
                s, t = m.socketpair()
                t.close()
                text = shape(m, s)
            s.close()
            reprs.append((text, repr(s).split(" ", 1)[1]))
        assert reprs[0] == reprs[1]
    assert "[closed]" in reprs[1][1]


def test_repr_laddr_raddr(mod):
    srv, cli, conn = tcp_pair(mod)
    with srv, cli, conn:
        r = repr(cli)
        assert "laddr=%s" % (cli.getsockname(),) in r
        assert "raddr=%s" % (cli.getpeername(),) in r
        assert ("family=%s" % mod.AF_INET) in r
        assert ("type=%s" % mod.SOCK_STREAM) in r


def test_pickle_and_copy(mod):
    with mod.socket() as s:
        for proto in range(pickle.HIGHEST_PROTOCOL + 1):
            with pytest.raises(TypeError):
                pickle.dumps(s, proto)
        with pytest.raises(TypeError, match="cannot pickle 'socket' object"):
            pickle.dumps(s, pickle.HIGHEST_PROTOCOL)
        with pytest.raises(TypeError):
            copy.copy(s)


def test_weakref(mod):
    s = mod.socket()
    r = weakref.ref(s)
    assert r() is s
    s.close()
    del s
    gc.collect()
    gc.collect()
    assert r() is None


def _collect_warnings(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make()
        for _ in range(3):
            gc.collect()
    return [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_resource_warning(mod):
    holder = {}

    def make():
        s = mod.socket()
        holder["repr"] = repr(s)
        holder["fd"] = s.fileno()
        del s
    found = _collect_warnings(make)
    assert len(found) == 1
    assert str(found[0].message) == "unclosed %s" % holder["repr"]
    with pytest.raises(OSError):
        os.fstat(holder["fd"])          # closed by the finalizer


def test_no_resource_warning_when_closed(mod):
    def make():
        s = mod.socket()
        s.close()
        a, b = mod.socketpair()
        with a, b:
            pass
        d = mod.socket()
        os.close(d.detach())
    assert _collect_warnings(make) == []


def test_resource_warning_through_makefile(mod):
    def make():
        s = mod.socket()
        f = s.makefile("rb")
        del s                   # the stream keeps the socket alive
        del f
    assert len(_collect_warnings(make)) == 1


# --- select, selectors, os ---------------------------------------------------

def test_select_and_selectors(mod):
    a, b = mod.socketpair()
    with a, b:
        assert select.select([a], [], [], 0) == ([], [], [])
        b.send(b"x")
        assert select.select([a], [], [], JOIN)[0] == [a]
        with selectors.DefaultSelector() as sel:
            sel.register(a, selectors.EVENT_READ, "a")
            events = sel.select(JOIN)
            assert [key.data for key, _ in events] == ["a"]
        p = select.poll()
        p.register(a, select.POLLIN)
        assert p.poll(0)[0][0] == a.fileno()
        assert os.read(a.fileno(), 1) == b"x"
        os.write(b.fileno(), b"y")
        assert a.recv(1) == b"y"


# --- makefile ----------------------------------------------------------------

def test_makefile_modes(mod):
    a, b = mod.socketpair()
    with a, b:
        w = a.makefile("wb")
        r = b.makefile("rb")
        w.write(b"line one\nline two\n")
        w.flush()
        assert r.readline() == b"line one\n"
        assert r.read(4) == b"line"
        tw = a.makefile("w", encoding="utf-8")
        tr = b.makefile("r", encoding="utf-8", newline="")
        assert tw.mode == "w" and tr.mode == "r"
        tr_first = tr                            # keep for later
        tw.write("héllo\r\n")
        tw.flush()
        assert r.read(1) == b" "     # rest of 'line two'
        assert r.readline() == b"two\n"
        assert tr_first.readline() == "héllo\r\n"
        raw = b.makefile("rb", buffering=0)
        assert isinstance(raw, mod.SocketIO)
        assert raw.readable() and not raw.writable()
        assert raw.name == b.fileno() and raw.mode == "rb"
        a.send(b"!")
        assert raw.read(1) == b"!"
        rw = a.makefile("rwb")
        rw.write(b"both")
        rw.flush()
        assert b.recv(4) == b"both"
        for f in (w, r, tw, tr, raw, rw):
            f.close()
        raw.close()
        assert raw.name == -1
        with pytest.raises(ValueError):
            raw.readable()


def test_makefile_bad_mode(mod):
    with mod.socket() as s:
        with pytest.raises(ValueError, match="invalid mode"):
            s.makefile("rx")
        with pytest.raises(ValueError):
            s.makefile("r", buffering=0)


def test_makefile_keeps_socket_open(mod):
    a, b = mod.socketpair()
    with b:
        f = a.makefile("rb")
        a.close()
        assert a.fileno() != -1              # a stream still uses it
        b.send(b"data")
        assert f.read(4) == b"data"
        f.close()
        assert a.fileno() == -1


def test_makefile_timeout_poisons_reads(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(0.05)
        f = a.makefile("rb", buffering=0)
        with pytest.raises(mod.timeout):
            f.read(1)
        with pytest.raises(OSError, match="timed out object"):
            f.read(1)
        f.close()


def test_makefile_nonblocking_returns_none(mod):
    a, b = mod.socketpair()
    with a, b:
        a.setblocking(False)
        f = a.makefile("rb", buffering=0)
        assert f.read(1) is None
        f.close()


# --- sendfile ----------------------------------------------------------------

@pytest.mark.parametrize("timeout", [None, JOIN])
def test_sendfile(mod, timeout):
    data = os.urandom(200000)
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        srv, cli, conn = tcp_pair(mod)
        with srv, cli, conn:
            cli.settimeout(timeout)
            got = bytearray()

            def reader(total):
                while len(got) < total:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    got.extend(chunk)

            f.seek(0)
            t = start_thread(reader, len(data))
            assert cli.sendfile(f) == len(data)
            t.join(JOIN)
            assert bytes(got) == data and f.tell() == len(data)

            del got[:]
            t = start_thread(reader, 1000)
            assert cli.sendfile(f, offset=5000, count=1000) == 1000
            t.join(JOIN)
            assert bytes(got) == data[5000:6000] and f.tell() == 6000

            del got[:]
            t = start_thread(reader, 100)
            assert cli._sendfile_use_send(io.BytesIO(data), 10, 100) == 100
            t.join(JOIN)
            assert bytes(got) == data[10:110]

            del got[:]
            t = start_thread(reader, 50)
            assert cli.sendfile(io.BytesIO(data[:50])) == 50
            t.join(JOIN)
            assert bytes(got) == data[:50]


def test_sendfile_errors():
    def run(m):
        out = []
        with tempfile.TemporaryFile() as f, tempfile.TemporaryFile("w+") as t:
            f.write(b"abc")
            with m.socket() as s:
                out.append(outcome(s.sendfile, t))
                out.append(outcome(s.sendfile, f, 0, -1))
                out.append(outcome(s.sendfile, f, 0, 1.5))
                s.setblocking(False)
                out.append(outcome(s.sendfile, f))
            with m.socket(m.AF_INET, m.SOCK_DGRAM) as s:
                out.append(outcome(s.sendfile, f))
            with tempfile.TemporaryFile() as empty, m.socket() as s:
                out.append(outcome(s.sendfile, empty))
        return out
    assert run(socket) == run(sockcffi)


# --- create_connection, create_server ----------------------------------------

def test_create_server_and_connection(mod):
    with mod.create_server(("127.0.0.1", 0)) as srv:
        assert srv.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 1
        addr = srv.getsockname()
        with mod.create_connection(addr, timeout=JOIN) as c:
            assert c.gettimeout() == JOIN
            conn, _ = srv.accept()
            with conn:
                c.sendall(b"hi")
                assert conn.recv(2) == b"hi"
        with mod.create_connection(("localhost", addr[1]),
                                   source_address=("127.0.0.1", 0)) as c:
            assert c.gettimeout() is None
            srv.accept()[0].close()


def test_create_server_options(mod):
    with mod.create_server(("127.0.0.1", 0), reuse_port=True,
                           backlog=5) as srv:
        assert srv.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEPORT) == 1
    with pytest.raises(ValueError):
        mod.create_server(("127.0.0.1", 0), family=mod.AF_INET,
                          dualstack_ipv6=True)
    assert mod.has_dualstack_ipv6() == socket.has_dualstack_ipv6()
    if socket.has_dualstack_ipv6():
        with mod.create_server(("::1", 0), family=mod.AF_INET6) as srv:
            assert srv.getsockopt(mod.IPPROTO_IPV6, mod.IPV6_V6ONLY) == 1
        with mod.create_server(("", 0), family=mod.AF_INET6,
                               dualstack_ipv6=True) as srv:
            assert srv.getsockopt(mod.IPPROTO_IPV6, mod.IPV6_V6ONLY) == 0


def test_create_server_bind_error_message():
    def run(m):
        with m.create_server(("127.0.0.1", 0)) as a:
            try:
                m.create_server(a.getsockname())
            except OSError as e:
                return type(e), e.errno, e.strerror.replace(
                    str(a.getsockname()[1]), "PORT")
    assert run(socket) == run(sockcffi)


def test_create_connection_refused(mod):
    port = refused_port()
    with pytest.raises(ConnectionRefusedError):
        mod.create_connection(("127.0.0.1", port), timeout=JOIN)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup")
def test_create_connection_all_errors(mod):
    port = refused_port()
    with pytest.raises(ExceptionGroup) as info:  # noqa: F821
        mod.create_connection(("127.0.0.1", port), all_errors=True)
    assert all(isinstance(e, ConnectionRefusedError)
               for e in info.value.exceptions)


def test_create_connection_all_errors_without_groups(monkeypatch):
    port = refused_port()
    if sys.version_info < (3, 11):
        with pytest.raises(ConnectionRefusedError):
            sockcffi.create_connection(("127.0.0.1", port), all_errors=True)


def test_create_connection_uses_patched_getaddrinfo(monkeypatch):
    monkeypatch.setattr(sockcffi, "getaddrinfo", lambda *a, **k: [])
    with pytest.raises(OSError, match="getaddrinfo returns an empty list"):
        sockcffi.create_connection(("127.0.0.1", 1))


# --- threads: blocking recv woken by data ------------------------------------

def test_blocking_recv_in_thread(mod):
    a, b = mod.socketpair()
    with a, b:
        result = []
        ready = threading.Event()

        def reader():
            ready.set()
            result.append(a.recv(10))

        t = start_thread(reader)
        assert ready.wait(JOIN)
        b.send(b"wake")
        t.join(JOIN)
        assert result == [b"wake"]


def test_create_connection_uses_patched_socket_class(monkeypatch):
    class Refusing(sockcffi.socket):
        def connect(self, *args):
            raise TimeoutError("timed out")
    monkeypatch.setattr(sockcffi, "socket", Refusing)
    with pytest.raises(TimeoutError):
        sockcffi.create_connection(("127.0.0.1", 9))


def test_sendto_argument_count_messages():
    with sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM) as s:
        with pytest.raises(TypeError, match=r"\(1 given\)"):
            s.sendto(b"foo")
        with pytest.raises(TypeError, match=r"\(4 given\)"):
            s.sendto(b"foo", 0, ("127.0.0.1", 9), 4)
        with pytest.raises(TypeError, match="not 'complex'"):
            s.sendto(5j, ("127.0.0.1", 9))


def test_socketpair_nonblocking_type(mod):
    a, b = mod.socketpair(mod.AF_UNIX, mod.SOCK_STREAM | mod.SOCK_NONBLOCK)
    with a, b:
        assert a.type == mod.SOCK_STREAM
        assert a.gettimeout() == b.gettimeout() == 0.0
        with pytest.raises(BlockingIOError):
            a.recv(1)


def test_concurrent_receivers_keep_their_data():
    """Receive buffers are pooled: threads must never see each other's
    bytes."""
    pairs = [sockcffi.socketpair() for _ in range(8)]
    errors = []

    def worker(index, a, b):
        try:
            for round_ in range(300):
                payload = bytes([index]) * (1 + (round_ * 37) % 5000)
                a.sendall(payload)
                got = b""
                while len(got) < len(payload):
                    got += b.recv(65536)
                if got != payload:
                    errors.append((index, round_))
                    return
        except Exception as e:      # noqa: BLE001
            errors.append(e)

    threads = [start_thread(worker, i, a, b)
               for i, (a, b) in enumerate(pairs)]
    for t in threads:
        t.join(JOIN * 3)
    assert not any(t.is_alive() for t in threads)
    closing(*[s for pair in pairs for s in pair])
    assert errors == []


def test_would_block_receive_gives_its_buffer_back():
    """recv()/recvfrom() that would block return their pooled buffer (an
    event loop's common failure; a fresh 64 KiB buffer each time was a
    cliff on PyPy) and the data of the next receive is intact."""
    from sockcffi import _buffers
    for kind in (sockcffi.SOCK_STREAM, sockcffi.SOCK_DGRAM):
        a, b = sockcffi.socketpair(sockcffi.AF_UNIX, kind)
        with a, b:
            b.setblocking(False)
            a.send(b"x")
            assert b.recv(1) == b"x"        # the pool holds a buffer
            before = len(_buffers.small_pool)
            for _ in range(10):
                for receive in (b.recv, b.recvfrom):
                    with pytest.raises(BlockingIOError):
                        receive(4096)
            assert len(_buffers.small_pool) == before
            a.send(b"after")
            assert b.recv(4096) == b"after"


@pytest.mark.parametrize("bufsize", [1000, 200000, 400000])
def test_large_recv_beyond_pool(mod, bufsize):
    # sockcffi: the small pool, the large (asyncio-sized) pool, and a
    # buffer of its own.
    a, b = mod.socketpair()
    with a, b:
        a.setsockopt(mod.SOL_SOCKET, mod.SO_SNDBUF, 1 << 20)
        b.setsockopt(mod.SOL_SOCKET, mod.SO_RCVBUF, 1 << 20)
        payload = os.urandom(300000)
        t = start_thread(a.sendall, payload)
        got = b""
        while len(got) < len(payload):
            got += b.recv(bufsize)
        t.join(JOIN)
        assert got == payload
