"""socket.from_stdlib() / to_stdlib(): the descriptor changes owner."""
import errno
import os
import socket
import subprocess
import sys
import textwrap

import pytest

import sockcffi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockhelpers import closing, fd_count  # noqa: E402

TIMEOUTS = [None, 0.0, 2.5]


def _pair(mod, kind):
    if kind == "tcp":
        srv = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        a = mod.create_connection(srv.getsockname(), timeout=10)
        b, _ = srv.accept()
        srv.close()
        a.settimeout(None)
        return a, b
    if kind == "udp":
        a = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        b = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        a.connect(b.getsockname())
        b.connect(a.getsockname())
        return a, b
    return mod.socketpair(mod.AF_UNIX, mod.SOCK_SEQPACKET)


@pytest.mark.parametrize("kind", ["tcp", "udp", "unix"])
@pytest.mark.parametrize("timeout", TIMEOUTS)
@pytest.mark.parametrize("source,target", [(socket, sockcffi),
                                           (sockcffi, socket)])
def test_move(source, target, kind, timeout):
    before = fd_count()
    a, b = _pair(source, kind)
    a.settimeout(timeout)
    fd, family, type_, proto = a.fileno(), a.family, a.type, a.proto
    if target is sockcffi:
        moved = sockcffi.socket.from_stdlib(a)
    else:
        moved = a.to_stdlib()
    try:
        assert type(moved) is target.socket
        # one owner: the old object is detached, the descriptor unchanged
        assert a.fileno() == -1
        assert moved.fileno() == fd
        assert (moved.family, moved.type, moved.proto) == (family, type_,
                                                           proto)
        assert moved.gettimeout() == timeout
        assert moved.getblocking() == (timeout != 0.0)
        assert os.get_blocking(fd) == (timeout is None)
        moved.sendall(b"ping")
        assert b.recv(10) == b"ping"
        b.sendall(b"pong")
        if timeout == 0.0:
            moved.settimeout(10)
        assert moved.recv(10) == b"pong"
        a.close()                       # closing the old object: no effect
        assert moved.fileno() == fd
        os.fstat(fd)
    finally:
        closing(moved, b)
    with pytest.raises(OSError):
        os.fstat(fd)
    assert fd_count() == before


@pytest.mark.parametrize("source", [socket, sockcffi])
def test_closed_socket_is_refused(source):
    a, b = source.socketpair()
    b.close()
    a.close()
    with pytest.raises(OSError) as info:
        if source is socket:
            sockcffi.socket.from_stdlib(a)
        else:
            a.to_stdlib()
    assert info.value.errno == errno.EBADF


def test_from_stdlib_refuses_other_objects():
    a, b = sockcffi.socketpair()
    try:
        for obj in (a, 3, None):
            with pytest.raises(TypeError):
                sockcffi.socket.from_stdlib(obj)
        assert a.fileno() >= 0
    finally:
        closing(a, b)


def test_from_stdlib_of_a_subclass_gives_the_subclass():
    class Mine(sockcffi.socket):
        pass
    a, b = socket.socketpair()
    moved = Mine.from_stdlib(a)
    try:
        assert type(moved) is Mine
    finally:
        closing(moved, b)


def test_to_stdlib_while_patched_gives_the_real_stdlib_socket(tmp_path):
    code = textwrap.dedent("""
        import sys
        import sockcffi
        sockcffi.patch()
        import socket
        assert socket is sockcffi
        a, b = socket.socketpair()
        real = a.to_stdlib()
        assert type(real).__module__ == "socket", type(real)
        assert not isinstance(real, sockcffi.socket)
        # loading the stdlib module left sockcffi's own names alone
        assert sockcffi.AddressFamily.__module__ == "sockcffi"
        assert sys.modules["socket"] is sockcffi
        back = sockcffi.socket.from_stdlib(real)
        back.sendall(b"x")
        assert b.recv(1) == b"x"
        sockcffi.unpatch()
        import socket
        assert type(real) is socket.socket     # one copy of the stdlib
        back.close(); b.close()
        """)
    proc = subprocess.run([sys.executable, "-"], input=code,
                          cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
