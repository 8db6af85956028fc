"""One set of exception classes: ``except socket.X`` catches errors raised
through either module (sockcffi reuses the interpreter's _socket classes)."""
import socket

import pytest

import sockcffi
from sockcffi import errors


@pytest.mark.parametrize("name", ["error", "gaierror", "herror", "timeout"])
def test_same_class_objects(name):
    assert getattr(sockcffi, name) is getattr(socket, name)


def test_stdlib_except_catches_sockcffi_gaierror():
    with pytest.raises(socket.gaierror):
        sockcffi.getaddrinfo("not a number", None,
                             flags=sockcffi.AI_NUMERICHOST)


def test_sockcffi_except_catches_stdlib_gaierror():
    with pytest.raises(sockcffi.gaierror):
        socket.getaddrinfo("not a number", None, flags=socket.AI_NUMERICHOST)


def test_stdlib_except_catches_sockcffi_herror():
    # sockcffi raises herror only through this translator; resolving a name
    # that fails offline is not reliable, so exercise the translator itself.
    try:
        raise errors.from_h_errno(1)
    except socket.herror as e:
        assert e.errno == 1
    else:                                   # pragma: no cover
        pytest.fail("not caught")


@pytest.mark.parametrize("raiser,catcher", [(sockcffi, socket),
                                            (socket, sockcffi)])
def test_timeout_caught_across_modules(raiser, catcher):
    a, b = raiser.socketpair()
    try:
        a.settimeout(0.01)
        with pytest.raises(catcher.timeout):
            a.recv(1)
    finally:
        a.close()
        b.close()
