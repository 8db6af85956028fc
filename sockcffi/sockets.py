"""The Python-level socket layer: what CPython keeps in Lib/socket.py.

:class:`socket` subclasses the C-level :class:`SocketType`
(:mod:`sockcffi._socketobject`) with enum ``family``/``type``, ``accept()``
returning a socket object, ``dup()``, ``makefile()``, ``sendfile()``, the
context manager and the close bookkeeping shared with the streams
``makefile()`` hands out; the module functions here (``socketpair``,
``fromfd``, ``create_connection``, ``create_server``, ``send_fds``,
``recv_fds``) are written in Python in the stdlib too.
"""
import array
import builtins
import io
import os
from time import monotonic

from ._binding import ffi, lib
from ._firstuse import package as _package
from ._socketobject import SocketType, dup
from .timeouts import getdefaulttimeout
from ._args import c_int
from .ancillary import CMSG_LEN
from .enums import AddressFamily, SocketKind, intenum_converter
from .errors import error, from_errno
from .waiting import WRITE, wait

__all__ = [
    "socket", "socketpair", "fromfd", "create_connection", "create_server",
    "has_dualstack_ipv6", "send_fds", "recv_fds",
    "_GLOBAL_DEFAULT_TIMEOUT", "_GiveupOnSendfile", "_LOCALHOST",
    "_LOCALHOST_V6",
]

# As in the stdlib module (which uses them to emulate socketpair()).
_LOCALHOST = "127.0.0.1"
_LOCALHOST_V6 = "::1"

_AF_UNIX = lib.AF_UNIX
_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_SOCK_STREAM = lib.SOCK_STREAM
_SOCK_CLOEXEC = getattr(lib, "SOCK_CLOEXEC", 0)
_SOL_SOCKET = lib.SOL_SOCKET
_SCM_RIGHTS = getattr(lib, "SCM_RIGHTS", None)
_text_encoding = getattr(io, "text_encoding", None)     # Python 3.10+


class _GiveupOnSendfile(Exception):
    """os.sendfile() cannot serve this file: fall back to send()."""


class socket(SocketType):
    """socket(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None)

    A socket object: an endpoint for network communication.  With
    ``fileno``, wrap that existing socket descriptor (its family, type and
    protocol are read from it unless given).
    """

    __slots__ = ("__weakref__", "_io_refs", "_closed")

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None:
            # Lib/socket.py's defaults, compared as it compares them (an
            # argument's own __eq__ decides; nothing reaches C from here).
            if family == -1:
                family = _AF_INET
            if type == -1:
                type = _SOCK_STREAM
            if proto == -1:
                proto = 0
        SocketType.__init__(self, family, type, proto, fileno)
        self._io_refs = 0
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *args):
        if not self._closed:
            self.close()

    def __repr__(self):
        closed = getattr(self, "_closed", False)
        text = "<%s.%s%s fd=%i, family=%s, type=%s, proto=%i" % (
            self.__class__.__module__, self.__class__.__qualname__,
            " [closed]" if closed else "", self.fileno(), self.family,
            self.type, self.proto)
        if not closed:
            for label, address_of in (("laddr", self.getsockname),
                                       ("raddr", self.getpeername)):
                try:
                    address = address_of()
                    if address:
                        text += ", %s=%s" % (label, str(address))
                except (error, AttributeError):
                    pass
        return text + ">"

    @property
    def family(self):
        """Read-only access to the address family for this socket."""
        return intenum_converter(self._family, AddressFamily)

    @property
    def type(self):
        """Read-only access to the socket type."""
        return intenum_converter(self._type, SocketKind)

    def dup(self):
        """dup() -> socket object

        A new socket object on a duplicate (non-inheritable) descriptor,
        with the same timeout.
        """
        fd = dup(self.fileno())
        try:
            sock = self.__class__(self._family, self._type, self._proto,
                                  fileno=fd)
        except BaseException:
            lib.close(fd)
            raise
        sock.settimeout(self.gettimeout())
        return sock

    def accept(self):
        """accept() -> (socket object, address info)

        Wait for a connection and return a socket for it with the peer's
        address.
        """
        fd, address = self._accept()
        try:
            sock = socket(self._family, self._type, self._proto, fileno=fd)
        except BaseException:
            lib.close(fd)
            raise
        # Linux does not pass O_NONBLOCK on to accepted sockets; when there
        # is no default timeout the new socket is blocking whatever the
        # listening socket's timeout (bpo-7995).
        if getdefaulttimeout() is None and self._timeout:
            sock.setblocking(True)
        return sock, address

    def makefile(self, mode="r", buffering=None, *,
                 encoding=None, errors=None, newline=None):
        """makefile(...) -> an I/O stream connected to the socket

        Arguments as for open() after the file name; ``mode`` may only hold
        'r', 'w' and 'b'.
        """
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError("invalid mode %r (only r, w, b allowed)"
                             % (mode,))
        writing = "w" in mode
        reading = "r" in mode or not writing
        binary = "b" in mode
        from .socketio import SocketIO      # loaded on first use
        raw = SocketIO(self, ("r" if reading else "")
                       + ("w" if writing else ""))
        self._io_refs += 1
        if buffering is None or buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if not binary:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            stream = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            stream = io.BufferedReader(raw, buffering)
        else:
            stream = io.BufferedWriter(raw, buffering)
        if binary:
            return stream
        if _text_encoding is not None:
            encoding = _text_encoding(encoding)
        text = io.TextIOWrapper(stream, encoding, errors, newline)
        text.mode = mode
        return text

    # -- sendfile --

    def _check_sendfile_params(self, file, offset, count):
        if "b" not in getattr(file, "mode", "b"):
            raise ValueError("file should be opened in binary mode")
        if not self.type & _SOCK_STREAM:
            raise ValueError("only SOCK_STREAM type sockets are supported")
        if count is not None:
            if not isinstance(count, int):
                raise TypeError("count must be a positive integer (got %r)"
                                % (count,))
            if count <= 0:
                raise ValueError("count must be a positive integer (got %r)"
                                 % (count,))

    def _sendfile_use_sendfile(self, file, offset=0, count=None):
        if not hasattr(os, "sendfile"):
            raise _GiveupOnSendfile("os.sendfile() not available on this "
                                    "platform")
        self._check_sendfile_params(file, offset, count)
        try:
            fileno = file.fileno()
        except (AttributeError, io.UnsupportedOperation) as err:
            raise _GiveupOnSendfile(err)
        try:
            fsize = os.fstat(fileno).st_size
        except OSError as err:
            raise _GiveupOnSendfile(err)
        if not fsize:
            return 0
        blocksize = min(count or fsize, 2 ** 30)
        timeout = self.gettimeout()
        if timeout == 0:
            raise ValueError("non-blocking sockets are not supported")
        total_sent = 0
        try:
            while True:
                # The descriptor is read again after every wait.
                if timeout:
                    wait(self.fileno(), WRITE, monotonic() + timeout)
                if count:
                    blocksize = count - total_sent
                    if blocksize <= 0:
                        break
                try:
                    sent = os.sendfile(self.fileno(), fileno, offset,
                                       blocksize)
                except BlockingIOError:
                    if not timeout:
                        wait(self.fileno(), WRITE, None)
                    continue
                except OSError as err:
                    if total_sent == 0:
                        # Not a file sendfile() can read (a pipe, a socket):
                        # send() will do.
                        raise _GiveupOnSendfile(err)
                    raise err from None
                if sent == 0:
                    break
                offset += sent
                total_sent += sent
            return total_sent
        finally:
            if total_sent > 0 and hasattr(file, "seek"):
                file.seek(offset)

    def _sendfile_use_send(self, file, offset=0, count=None):
        self._check_sendfile_params(file, offset, count)
        if self.gettimeout() == 0:
            raise ValueError("non-blocking sockets are not supported")
        if offset:
            file.seek(offset)
        blocksize = min(count, 8192) if count else 8192
        total_sent = 0
        timeout = self.gettimeout()
        try:
            while True:
                if timeout:
                    wait(self.fileno(), WRITE, monotonic() + timeout)
                if count:
                    blocksize = min(count - total_sent, blocksize)
                    if blocksize <= 0:
                        break
                data = memoryview(file.read(blocksize))
                if not data:
                    break
                while True:
                    try:
                        sent = self.send(data)
                    except BlockingIOError:
                        continue
                    total_sent += sent
                    if sent < len(data):
                        data = data[sent:]
                    else:
                        break
            return total_sent
        finally:
            if total_sent > 0 and hasattr(file, "seek"):
                file.seek(offset + total_sent)

    def sendfile(self, file, offset=0, count=None):
        """sendfile(file[, offset[, count]]) -> sent

        Send a binary file (from ``offset``, ``count`` bytes or to its end)
        with os.sendfile() when it can, else with send(); the number of
        bytes sent.  The file position is left after the last byte sent.
        Only blocking and timeout-mode SOCK_STREAM sockets are supported.
        """
        try:
            return self._sendfile_use_sendfile(file, offset, count)
        except _GiveupOnSendfile:
            return self._sendfile_use_send(file, offset, count)

    # -- close bookkeeping shared with makefile() streams --

    def _decref_socketios(self):
        if self._io_refs > 0:
            self._io_refs -= 1
        if self._closed:
            self.close()

    def _real_close(self, _close=SocketType.close):
        _close(self)

    def close(self):
        """close()

        Close the socket; the descriptor itself is closed once no stream
        from makefile() still uses it.
        """
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def detach(self):
        """detach() -> file descriptor

        Close the socket object without closing its descriptor, and return
        the descriptor.
        """
        self._closed = True
        return SocketType.detach(self)

    # sockcffi.interop, loaded on first use.
    @classmethod
    def from_stdlib(cls, sock):
        """from_stdlib(sock) -> socket object

        A sockcffi socket taking over the descriptor of the stdlib socket
        object ``sock`` (which is detached: it is closed, its descriptor is
        not), with the same family, type, protocol and timeout.
        """
        from .interop import from_stdlib
        return from_stdlib(cls, sock)

    def to_stdlib(self):
        """to_stdlib() -> stdlib socket object

        A stdlib ``socket.socket`` taking over this socket's descriptor
        (this object is detached), with the same family, type, protocol and
        timeout.
        """
        from .interop import to_stdlib
        return to_stdlib(self)

    def get_inheritable(self):
        """Get the inheritable flag of the socket"""
        return os.get_inheritable(self.fileno())

    def set_inheritable(self, inheritable):
        """Set the inheritable flag of the socket"""
        os.set_inheritable(self.fileno(), inheritable)


socket.__module__ = "sockcffi"


# --- module functions --------------------------------------------------------

def socketpair(family=None, type=_SOCK_STREAM, proto=0):
    """socketpair([family[, type[, proto]]]) -> (socket object, socket object)

    Two connected sockets (default AF_UNIX, SOCK_STREAM).
    """
    if family is None:
        family = _AF_UNIX
    family = c_int(family)
    type = c_int(type)
    proto = c_int(proto)
    fds = ffi.new("int[2]")
    if lib.socketpair(family, type | _SOCK_CLOEXEC, proto, fds) < 0:
        raise from_errno()
    first = None
    try:
        first = socket(family, type, proto, fds[0])
        second = socket(family, type, proto, fds[1])
    except BaseException:
        if first is None:
            lib.close(fds[0])
        else:
            first.close()
        lib.close(fds[1])
        raise
    return first, second


def fromfd(fd, family, type, proto=0):
    """fromfd(fd, family, type[, proto]) -> socket object

    A socket object on a duplicate of ``fd``; the other arguments are as
    for socket().
    """
    nfd = dup(fd)
    try:
        return socket(family, type, proto, nfd)
    except BaseException:
        lib.close(nfd)
        raise


if _SCM_RIGHTS is not None:
    def send_fds(sock, buffers, fds, flags=0, address=None):
        """send_fds(sock, buffers, fds[, flags[, address]]) -> integer

        Send the descriptors ``fds`` (SCM_RIGHTS) with the data of
        ``buffers`` over an AF_UNIX socket.
        """
        # array() checks each descriptor as the stdlib's does; its bytes
        # are the same item, passed as exact bytes (no buffer export).
        return sock.sendmsg(buffers, [(_SOL_SOCKET, _SCM_RIGHTS,
                                       array.array("i", fds).tobytes())])

    def recv_fds(sock, bufsize, maxfds, flags=0):
        """recv_fds(sock, bufsize, maxfds[, flags]) -> (data, list of file
        descriptors, msg_flags, address)

        Receive up to ``bufsize`` bytes and up to ``maxfds`` descriptors.
        """
        fds = array.array("i")
        msg, ancdata, flags, addr = sock.recvmsg(
            bufsize, CMSG_LEN(maxfds * fds.itemsize))
        for level, kind, data in ancdata:
            if level == _SOL_SOCKET and kind == _SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        return msg, list(fds), flags, addr


class _DefaultTimeout:
    __slots__ = ()

    def __repr__(self):
        return "<sockcffi._GLOBAL_DEFAULT_TIMEOUT>"


_GLOBAL_DEFAULT_TIMEOUT = _DefaultTimeout()


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT,
                      source_address=None, *, all_errors=False):
    """Connect to ``address`` (a (host, port) pair) and return the socket.

    Every address getaddrinfo() gives for the host is tried in turn, IPv4
    and IPv6 alike.  ``timeout`` sets the socket's timeout before connecting
    (by default the global default timeout applies); ``source_address``, a
    (host, port) pair, is bound to first.  When no address works, the last
    error is raised, or with ``all_errors`` (Python 3.11+) an ExceptionGroup
    of them all.
    """
    host, port = address
    pkg = _package()        # names patched on the package are honoured
    failures = []
    for family, kind, proto, _canonname, sockaddr in pkg.getaddrinfo(
            host, port, 0, _SOCK_STREAM):
        sock = None
        try:
            sock = pkg.socket(family, kind, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            failures.clear()         # no reference cycles through tracebacks
            return sock
        except error as exc:
            if not all_errors:
                failures.clear()
            failures.append(exc)
            if sock is not None:
                sock.close()
    if failures:
        try:
            group = getattr(builtins, "ExceptionGroup", None)
            if not all_errors or group is None:
                raise failures[-1]
            raise group("create_connection failed", failures)
        finally:
            failures.clear()
    raise error("getaddrinfo returns an empty list")


def has_dualstack_ipv6():
    """True if this platform can make a listening socket that takes both
    IPv4 and IPv6 connections (IPV6_V6ONLY can be turned off)."""
    pkg = _package()
    if (not getattr(pkg, "has_ipv6", False) or _AF_INET6 is None
            or not hasattr(lib, "IPPROTO_IPV6")
            or not hasattr(lib, "IPV6_V6ONLY")):
        return False
    try:
        with pkg.socket(_AF_INET6, _SOCK_STREAM) as sock:
            sock.setsockopt(lib.IPPROTO_IPV6, lib.IPV6_V6ONLY, 0)
            return True
    except error:
        return False


def create_server(address, *, family=_AF_INET, backlog=None, reuse_port=False,
                  dualstack_ipv6=False):
    """A listening SOCK_STREAM socket bound to ``address`` (host, port).

    SO_REUSEADDR is set; ``reuse_port`` sets SO_REUSEPORT; ``backlog`` is
    passed to listen().  With ``dualstack_ipv6`` (family AF_INET6) the
    socket takes IPv4 connections too; otherwise an AF_INET6 socket is
    IPv6-only.
    """
    if reuse_port and not hasattr(lib, "SO_REUSEPORT"):
        raise ValueError("SO_REUSEPORT not supported on this platform")
    if dualstack_ipv6:
        if not has_dualstack_ipv6():
            raise ValueError("dualstack_ipv6 not supported on this platform")
        if family != _AF_INET6:
            raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    sock = _package().socket(family, _SOCK_STREAM)
    try:
        try:
            sock.setsockopt(_SOL_SOCKET, lib.SO_REUSEADDR, 1)
        except error:
            pass                    # not every family has the option
        if reuse_port:
            sock.setsockopt(_SOL_SOCKET, lib.SO_REUSEPORT, 1)
        if _AF_INET6 is not None and family == _AF_INET6 and hasattr(
                lib, "IPV6_V6ONLY"):
            sock.setsockopt(lib.IPPROTO_IPV6, lib.IPV6_V6ONLY,
                            0 if dualstack_ipv6 else 1)
        try:
            sock.bind(address)
        except error as err:
            raise error(err.errno, "%s (while attempting to bind on address "
                        "%r)" % (err.strerror, address)) from None
        if backlog is None:
            sock.listen()
        else:
            sock.listen(backlog)
        return sock
    except error:
        sock.close()
        raise
