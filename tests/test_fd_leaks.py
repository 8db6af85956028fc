"""No descriptor leaks: /proc/self/fd is counted around thousands of
create/connect/accept/close cycles and of failed operations."""
import array
import errno
import gc
import os
import socket
import tempfile
import warnings

import pytest

import sockcffi as S

from sockhelpers import fd_count, refused_port

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"),
                                reason="needs /proc/self/fd")


def settle():
    for _ in range(3):
        gc.collect()


@pytest.fixture
def no_leak():
    """Fails the test if the process holds more descriptors at the end."""
    S.setdefaulttimeout(None)
    settle()
    before = fd_count()
    yield
    settle()
    assert fd_count() == before


def test_create_close(no_leak):
    for _ in range(3000):
        S.socket().close()
    for _ in range(1000):
        a, b = S.socketpair()
        a.close()
        b.close()
    for _ in range(1000):
        with S.socket(S.AF_INET, S.SOCK_DGRAM):
            pass


def test_tcp_connect_accept_close(no_leak):
    with S.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen(128)
        addr = srv.getsockname()
        for i in range(1500):
            c = S.socket()
            if i % 2:
                c.settimeout(5.0)
            c.connect(addr)
            conn, _ = srv.accept()
            c.sendall(b"x")
            conn.recv(1)
            conn.close()
            c.close()


def test_create_connection_and_server(no_leak):
    with S.create_server(("127.0.0.1", 0)) as srv:
        for _ in range(300):
            with S.create_connection(srv.getsockname(), timeout=5.0):
                srv.accept()[0].close()


def test_failed_operations(no_leak):
    port = refused_port()
    with S.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        used = taken.getsockname()
        for _ in range(500):
            with S.socket() as s:
                with pytest.raises(OSError):
                    s.bind(used)
            with S.socket() as s:
                with pytest.raises(ConnectionRefusedError):
                    s.connect(("127.0.0.1", port))
            with S.socket() as s:
                s.settimeout(5.0)
                assert s.connect_ex(("127.0.0.1", port)) == \
                    errno.ECONNREFUSED
            with S.socket() as s:
                with pytest.raises((TypeError, ValueError)):   # PyPy: VE
                    s.connect("not an address")
            with pytest.raises(OSError):
                S.socket(12345, S.SOCK_STREAM)
        for _ in range(200):
            with pytest.raises(ConnectionRefusedError):
                S.create_connection(("127.0.0.1", port), timeout=5.0)
            with pytest.raises(OSError):
                S.create_server(used)


def test_timeouts(no_leak):
    with S.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        srv.settimeout(0.001)
        for _ in range(200):
            with pytest.raises(S.timeout):
                srv.accept()
    for _ in range(200):
        a, b = S.socketpair()
        with a, b:
            a.settimeout(0.001)
            with pytest.raises(S.timeout):
                a.recv(1)
            with pytest.raises(S.timeout):
                a.recvmsg(1, 64)


def test_dup_fromfd_detach(no_leak):
    a, b = S.socketpair()
    with a, b:
        for _ in range(1000):
            a.dup().close()
            S.fromfd(a.fileno(), S.AF_UNIX, S.SOCK_STREAM).close()
            S.close(S.dup(a.fileno()))
            fd = S.dup(a.fileno())
            S.socket(fileno=fd).close()
            d = a.dup()
            os.close(d.detach())


def test_bad_fileno(no_leak):
    fd = 1000000                    # far above anything this process opens
    with tempfile.TemporaryFile() as f:
        for _ in range(500):
            with pytest.raises(OSError):
                S.socket(fileno=f.fileno())
            with pytest.raises(OSError):
                S.socket(fileno=fd)
            with pytest.raises(OSError):
                S.fromfd(fd, S.AF_INET, S.SOCK_STREAM)
        os.fstat(f.fileno())                # not closed by the failures


def test_makefile_cycles(no_leak):
    for _ in range(500):
        a, b = S.socketpair()
        f = a.makefile("rwb")
        a.close()
        b.sendall(b"line\n")
        assert f.readline() == b"line\n"
        f.close()
        b.close()
        assert a.fileno() == -1


def test_garbage_collected_sockets(no_leak):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        for _ in range(1000):
            S.socket()
            S.socketpair()
        settle()


def test_fd_passing_cycles(no_leak):
    for _ in range(300):
        a, b = S.socketpair()
        with a, b:
            r, w = os.pipe()
            S.send_fds(a, [b"x"], [r, w])
            os.close(r)
            os.close(w)
            msg, fds, flags, addr = S.recv_fds(b, 10, 2)
            assert len(fds) == 2
            for fd in fds:
                os.close(fd)
            # Descriptors that do not fit the ancillary buffer: the kernel
            # closes them (MSG_CTRUNC), nothing reaches us.
            r, w = os.pipe()
            a.sendmsg([b"y"], [(S.SOL_SOCKET, S.SCM_RIGHTS,
                                array.array("i", [r, w]))])
            os.close(r)
            os.close(w)
            msg, fds, flags, addr = S.recv_fds(b, 10, 1)
            assert len(fds) == 1 and flags & S.MSG_CTRUNC
            os.close(fds[0])


def test_stdlib_interop_cycles(no_leak):
    for _ in range(300):
        a, b = S.socketpair()
        s = socket.socket(fileno=b.detach())
        a.sendall(b"z")
        assert s.recv(1) == b"z"
        s.close()
        a.close()
