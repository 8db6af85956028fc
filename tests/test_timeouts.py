"""Blocking, non-blocking and timeout modes; EINTR (PEP 475).

No sleeps synchronise the tests: threads signal with events and every
join/wait is bounded.  Timeouts are short (tenths of a second) and elapsed
times are only checked against generous bounds.
"""
import errno
import signal
import socket
import sys
import threading
import time

import pytest

import sockcffi

from sockhelpers import JOIN, closing, start_thread

SHORT = 0.2
PYPY = sys.implementation.name == "pypy"


def cpython_semantics(mod):
    """PyPy's own socket restarts the timeout on every send() of sendall()
    and after EINTR; sockcffi follows CPython, so on PyPy only sockcffi is
    checked for deadlines."""
    if PYPY and mod is socket:
        pytest.skip("PyPy's stdlib sendall() timeout is not a deadline")


@pytest.fixture(autouse=True)
def _reset():
    yield
    sockcffi.setdefaulttimeout(None)
    socket.setdefaulttimeout(None)
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)


def timed(fn, *args):
    start = time.monotonic()
    try:
        fn(*args)
    except BaseException as e:      # noqa: BLE001
        return e, time.monotonic() - start
    return None, time.monotonic() - start


def assert_timed_out(mod, fn, *args, at_least=SHORT, at_most=5.0):
    exc, elapsed = timed(fn, *args)
    assert isinstance(exc, mod.timeout), exc
    assert str(exc) == "timed out"
    assert at_least * 0.9 <= elapsed < at_most
    return exc


# --- timeout mode ------------------------------------------------------------

def test_recv_family_timeouts(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(SHORT)
        assert_timed_out(mod, a.recv, 10)
        assert_timed_out(mod, a.recv_into, bytearray(10))
        assert_timed_out(mod, a.recvfrom, 10)
        assert_timed_out(mod, a.recvfrom_into, bytearray(10))
        assert_timed_out(mod, a.recvmsg, 10)
        assert_timed_out(mod, a.recvmsg_into, [bytearray(10)])
        b.send(b"late")
        assert a.recv(10) == b"late"


def test_timeout_is_timeouterror_on_311(mod):
    if sys.version_info >= (3, 10):
        assert mod.timeout is TimeoutError
    assert issubclass(mod.timeout, OSError)


def test_data_arrives_before_timeout(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(JOIN)
        go = threading.Event()

        def writer():
            go.wait(JOIN)
            b.send(b"in time")

        t = start_thread(writer)
        go.set()
        assert a.recv(100) == b"in time"
        t.join(JOIN)


def test_accept_timeout(mod):
    with mod.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(SHORT)
        assert_timed_out(mod, srv.accept)


def test_send_timeout(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(SHORT)
        # Fill the buffers: the peer never reads.
        exc, _ = timed(a.sendall, b"x" * (16 * 1024 * 1024))
        assert isinstance(exc, mod.timeout)
        assert_timed_out(mod, a.send, b"y" * 65536)
        assert_timed_out(mod, a.sendmsg, [b"y" * 65536])


def test_nonblocking_mode(mod):
    a, b = mod.socketpair()
    with a, b:
        a.setblocking(False)
        for call, args in ((a.recv, (1,)), (a.recv_into, (bytearray(1),)),
                           (a.recvfrom, (1,)), (a.recvmsg, (1,))):
            with pytest.raises(BlockingIOError) as info:
                call(*args)
            assert info.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
        with pytest.raises(BlockingIOError):
            while True:
                a.send(b"z" * 65536)


def test_sendall_deadline_spans_partial_sends(mod):
    """A slow reader lets every send() progress within the timeout, but the
    whole sendall() still stops at the deadline."""
    cpython_semantics(mod)
    a, b = mod.socketpair()
    with a, b:
        for s in (a, b):
            s.setsockopt(mod.SOL_SOCKET, mod.SO_SNDBUF, 4096)
            s.setsockopt(mod.SOL_SOCKET, mod.SO_RCVBUF, 4096)
        stop = threading.Event()

        def slow_reader():
            b.settimeout(JOIN)
            while not stop.wait(0.01):      # the load, not synchronisation
                try:
                    if not b.recv(2048):
                        return
                except OSError:
                    return

        t = start_thread(slow_reader)
        a.settimeout(0.3)
        exc, elapsed = timed(a.sendall, b"d" * (64 * 1024 * 1024))
        stop.set()
        t.join(JOIN)
        assert isinstance(exc, mod.timeout), exc
        assert 0.25 <= elapsed < 3.0


def _fill_backlog(mod, srv):
    """Connect to ``srv`` (listen(0), never accepting) until a connection
    attempt has to wait; returns the clients made."""
    clients = []
    for _ in range(64):
        c = mod.socket()
        c.setblocking(False)
        rc = c.connect_ex(srv.getsockname())
        clients.append(c)
        if rc == errno.EINPROGRESS:
            return clients
    return clients


def test_connect_timeout(mod):
    with mod.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(0)
        clients = _fill_backlog(mod, srv)
        try:
            c = mod.socket()
            c.settimeout(SHORT)
            exc, elapsed = timed(c.connect, srv.getsockname())
            c.close()
            if exc is None:
                pytest.skip("the kernel accepted every connection")
            assert isinstance(exc, mod.timeout)
            assert elapsed >= SHORT * 0.9
            c = mod.socket()
            c.settimeout(SHORT)
            assert c.connect_ex(srv.getsockname()) == errno.EWOULDBLOCK
            c.close()
        finally:
            closing(*clients)


def test_settimeout_then_operations_after_default(mod):
    mod.setdefaulttimeout(SHORT)
    a, b = mod.socketpair()
    with a, b:
        assert_timed_out(mod, a.recv, 1)
        a.settimeout(None)
        b.send(b"k")
        assert a.recv(1) == b"k"


# --- EINTR -------------------------------------------------------------------

class Interrupt(Exception):
    pass


def _raise_handler(signum, frame):
    signal.setitimer(signal.ITIMER_REAL, 0)
    raise Interrupt()


def _interrupt_soon():
    """SIGALRM every 50 ms until the handler runs (it disarms the timer and
    raises Interrupt).  Repeating, because a signal that lands just before
    a blocking system call starts is only handled after that call returns,
    and a call that nothing else will wake would wait forever."""
    signal.signal(signal.SIGALRM, _raise_handler)
    signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)


def test_eintr_handler_exception_propagates_recv(mod):
    a, b = mod.socketpair()
    with a, b:
        _interrupt_soon()
        with pytest.raises(Interrupt):
            a.recv(10)


def test_eintr_handler_exception_propagates_timeout_mode(mod):
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(JOIN)
        _interrupt_soon()
        exc, elapsed = timed(a.recv, 10)
        assert isinstance(exc, Interrupt) and elapsed < JOIN


def test_eintr_handler_exception_propagates_accept_and_sendall(mod):
    with mod.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        _interrupt_soon()
        with pytest.raises(Interrupt):
            srv.accept()
    a, b = mod.socketpair()
    with a, b:
        _interrupt_soon()
        with pytest.raises(Interrupt):
            a.sendall(b"x" * (64 * 1024 * 1024))


def test_eintr_retried_when_handler_returns(mod):
    a, b = mod.socketpair()
    with a, b:
        fired = threading.Event()

        def handler(signum, frame):
            fired.set()

        def writer():
            fired.wait(JOIN)
            b.send(b"after signal")

        signal.signal(signal.SIGALRM, handler)
        t = start_thread(writer)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        assert a.recv(100) == b"after signal"
        t.join(JOIN)
        assert fired.is_set()


def test_eintr_keeps_the_deadline(mod):
    """Repeated signals do not restart the timeout."""
    cpython_semantics(mod)
    a, b = mod.socketpair()
    with a, b:
        count = []
        signal.signal(signal.SIGALRM, lambda *args: count.append(1))
        signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
        a.settimeout(0.3)
        exc, elapsed = timed(a.recv, 10)
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert isinstance(exc, mod.timeout)
        assert 0.27 <= elapsed < 2.0
        assert len(count) >= 3


def test_eintr_during_sendall_with_timeout(mod):
    """CPython's test_sendall_interrupted_with_timeout: a handler that
    returns does not stop sendall() from timing out at its deadline."""
    cpython_semantics(mod)
    a, b = mod.socketpair()
    with a, b:
        signal.signal(signal.SIGALRM, lambda *args: None)
        signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
        a.settimeout(0.3)
        exc, elapsed = timed(a.sendall, b"x" * (64 * 1024 * 1024))
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert isinstance(exc, mod.timeout)
        assert elapsed < 3.0
