"""Moving a descriptor between a stdlib socket object and sockcffi's.

``sockcffi.socket.from_stdlib(sock)`` and ``sockcffi_sock.to_stdlib()``
hand the descriptor over with ``detach()``, so exactly one object owns it
at any time: the new object is made on the descriptor first, and only then
is the old one detached, so a failure leaves the old object as it was.
Family, type and protocol are passed explicitly (no system call needed to
rediscover them), and the timeout, which also encodes blocking mode
(None blocking, 0.0 non-blocking, > 0 timeout mode), is carried over.
"""
import os

from .waiting import closed_error

try:
    import _socket
except ImportError:                     # pragma: no cover
    _socket = None


def from_stdlib(cls, sock):
    """from_stdlib(sock) -> socket object

    A sockcffi socket taking over the descriptor of the stdlib socket object
    ``sock`` (which is detached: it is closed, its descriptor is not), with
    the same family, type, protocol and timeout.
    """
    if _socket is None or not isinstance(sock, _socket.socket):
        raise TypeError("from_stdlib() argument must be a stdlib socket "
                        "object, not '%s'" % type(sock).__name__)
    family, kind, proto = int(sock.family), int(sock.type), sock.proto
    return _adopt(sock.detach(), sock.gettimeout(),
                  lambda fd: cls(family, kind, proto, fileno=fd))


def to_stdlib(self):
    """to_stdlib() -> stdlib socket object

    A stdlib ``socket.socket`` taking over this socket's descriptor (this
    object is detached), with the same family, type, protocol and timeout.
    """
    from .patching import stdlib_socket
    family, kind, proto = self._family, self._type, self._proto
    return _adopt(self.detach(), self.gettimeout(),
                  lambda fd: stdlib_socket().socket(family, kind, proto,
                                                    fileno=fd))


def _adopt(fd, timeout, build):
    """The object ``build(fd)`` makes, owning ``fd``: the descriptor that
    ``detach()`` just handed over, so ownership moves with the number the
    source really held at that moment, even while another thread closes
    the source (detach() first, then build: reading fileno() first and
    detaching after could adopt a number already closed and reused)."""
    if fd < 0:
        raise closed_error()
    try:
        new = build(fd)
    except BaseException:
        os.close(fd)
        raise
    new.settimeout(timeout)
    return new
