"""The socket object and the module functions built on it.

Two classes, shaped like the stdlib's:

* :class:`SocketType` holds what CPython keeps in C: the descriptor, family,
  type, protocol and timeout, and the methods that are system calls.
* :class:`socket` adds the Python-level layer: enum ``family``/``type``,
  ``accept()`` returning a socket object, ``dup()``, ``makefile()``,
  ``sendfile()``, the context manager and the close bookkeeping shared with
  the streams ``makefile()`` hands out.

Modes (see "Notes on socket timeouts"): ``_timeout`` is None in blocking
mode, 0.0 in non-blocking mode and a positive float in timeout mode, where
the descriptor is O_NONBLOCK and each operation waits in
:func:`sockcffi.waiting.wait` with one deadline per call.  The hot methods
test ``if self._timeout:`` once and otherwise make the system call directly;
only a failed call goes to ``_retry``, which retries EINTR (PEP 475: the
signal handler runs on the way in, and its exception propagates) and raises
anything else.
"""
import builtins
import io
import os
import sys
from errno import (EAGAIN, ECONNRESET, EINPROGRESS, EINTR, EISCONN,
                   EWOULDBLOCK)
from math import ceil
from operator import index as _index
from time import monotonic

from . import addresses as _addresses
from . import afalg as _afalg, interop as _interop
from ._args import C_INT_MAX as _C_INT_MAX, C_INT_MIN as _C_INT_MIN
from ._args import c_int as _c_int
from ._binding import ffi, lib
from .ancillary import (CMSG_LEN, build_control, close_received_fds,
                        parse_control)
from .enums import AddressFamily, SocketKind, _intenum_converter
from .errors import error, from_errno, timeout as _timeout_error
from .socketio import SocketIO
from .waiting import CONNECT, READ, WRITE, wait

__all__ = [
    "SocketType", "socket", "socketpair", "fromfd", "dup", "close",
    "create_connection", "create_server", "has_dualstack_ipv6",
    "getdefaulttimeout", "setdefaulttimeout", "send_fds", "recv_fds",
    "SocketIO", "_GLOBAL_DEFAULT_TIMEOUT", "_GiveupOnSendfile", "_LOCALHOST",
    "_LOCALHOST_V6",
]

# As in the stdlib module (which uses them to emulate socketpair()).
_LOCALHOST = "127.0.0.1"
_LOCALHOST_V6 = "::1"

_new_raw = ffi.new_allocator(should_clear_after_alloc=False)
_unpack = ffi.unpack

# The hot system calls, bound once (a global load instead of a lookup on
# ``lib`` per call).
_c_send = lib.send
_c_recv = lib.recv
_c_sendto = lib.sendto
_c_recvfrom = lib.recvfrom
_c_getsockopt_int = lib.sockcffi_getsockopt_int
_OPT_FAILED = lib.SOCKCFFI_OPT_FAILED

# Receive buffers of up to _POOLED bytes come from a free list instead of a
# fresh allocation per call (on PyPy a 64 KiB raw allocation costs ~10 us of
# GC pressure).  A buffer is popped, used by one call in one thread and
# pushed back once its bytes are copied out; list.pop/append are atomic, so
# threads never share one.  A call that raises just drops its buffer.
_POOLED = 65536
_pool = []
_pool_pop = _pool.pop
_pool_push = _pool.append
_new_storage = _addresses.new_storage
_STORAGE_SIZE = ffi.sizeof("struct sockaddr_storage")

_AF_INET = lib.AF_INET
_AF_UNIX = lib.AF_UNIX
_AF_INET6 = getattr(lib, "AF_INET6", None)
_AF_VSOCK = getattr(lib, "AF_VSOCK", None)
_SOCK_STREAM = lib.SOCK_STREAM
_SOCK_NONBLOCK = getattr(lib, "SOCK_NONBLOCK", 0)
_SOCK_CLOEXEC = getattr(lib, "SOCK_CLOEXEC", 0)
_SOCK_FLAGS = _SOCK_NONBLOCK | _SOCK_CLOEXEC
_SOL_SOCKET = lib.SOL_SOCKET
_SO_ERROR = lib.SO_ERROR
_SO_DOMAIN = getattr(lib, "SO_DOMAIN", None)
_SO_TYPE = lib.SO_TYPE
_SO_PROTOCOL = getattr(lib, "SO_PROTOCOL", None)
_SCM_RIGHTS = getattr(lib, "SCM_RIGHTS", None)
_DEFAULT_BACKLOG = min(lib.SOMAXCONN, 128)
_INT_SIZE = ffi.sizeof("int")
_PYPY = sys.implementation.name == "pypy"
_NS_LIMIT = 2 ** 63          # CPython keeps timeouts as int64 nanoseconds


# --- argument conversion ----------------------------------------------------

def _bytes_like_error(obj):
    return TypeError("a bytes-like object is required, not '%s'"
                     % type(obj).__name__)


def _readable_buffer(data):
    """``data`` as a ``char[]`` cdata, without copying."""
    try:
        return ffi.from_buffer(data)
    except TypeError:
        raise _bytes_like_error(data) from None


def _writable_error(data):
    return TypeError("a read-write bytes-like object is required, not '%s'"
                     % type(data).__name__)


def _writable_buffer(data):
    try:
        return _from_buffer(data, require_writable=True)
    except (TypeError, BufferError):
        raise _writable_error(data) from None


_from_buffer = ffi.from_buffer


def _parse_timeout(value):
    """A timeout argument as seconds (float) or None, validated like
    CPython: negative -> ValueError, not a number -> TypeError, beyond the
    int64-nanosecond range -> OverflowError.  The value is rounded up to a
    whole nanosecond as CPython stores it."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            raise ValueError("Invalid value NaN (not a number)")
        ns = value * 1e9
        if not -_NS_LIMIT <= ns < _NS_LIMIT:
            raise OverflowError("timestamp too large to convert to C "
                                "_PyTime_t")
        ns = ceil(ns)
    else:
        try:
            seconds = _index(value)
        except TypeError:
            raise TypeError("'%s' object cannot be interpreted as an integer"
                            % type(value).__name__) from None
        ns = seconds * 1000000000
        if not -_NS_LIMIT <= ns < _NS_LIMIT:
            raise OverflowError("timestamp too large to convert to C "
                                "_PyTime_t")
    if ns < 0:
        raise ValueError("Timeout value out of range")
    whole, rest = divmod(ns, 1000000000)
    return float(whole) if not rest else ns / 1e9


# --- module-level timeout and descriptor functions ----------------------------

_default_timeout = None


def getdefaulttimeout():
    """getdefaulttimeout() -> timeout

    The timeout, in seconds, that new socket objects start with; None when
    they start in blocking mode.
    """
    return _default_timeout


def setdefaulttimeout(timeout):
    """setdefaulttimeout(timeout)

    Set the timeout (seconds as a float, or None for blocking mode) that
    socket objects created from now on start with.
    """
    global _default_timeout
    _default_timeout = _parse_timeout(timeout)


def dup(fd):
    """dup(integer) -> integer

    Duplicate a socket descriptor; the copy is not inheritable.
    """
    newfd = lib.sockcffi_dup_cloexec(_c_int(fd))
    if newfd < 0:
        raise from_errno()
    return newfd


def close(fd):
    """close(integer) -> None

    Close a socket descriptor (a connection reset reported by the close is
    ignored, as for socket.close()).
    """
    if lib.close(_c_int(fd)) < 0:
        err = ffi.errno
        if err != ECONNRESET:
            raise from_errno(err)


def _query_int_option(fd, option):
    value = _c_getsockopt_int(fd, _SOL_SOCKET, option)
    if value == _OPT_FAILED:
        raise from_errno()
    return value


def _fileno_argument(fileno):
    if isinstance(fileno, float):
        raise TypeError("integer argument expected, got float")
    try:
        fd = _index(fileno)
    except TypeError:
        if _PYPY:               # PyPy's wording, which its tests check
            raise TypeError("expected integer, got %s object"
                            % type(fileno).__name__) from None
        raise
    if fd < 0:
        raise ValueError("negative file descriptor")
    if fd > _C_INT_MAX:
        raise OverflowError("file descriptor out of range")
    return fd


# --- the C-level socket ---------------------------------------------------------

class SocketType:
    """SocketType(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None)

    The socket object's core: a descriptor and the system calls on it.
    Use :class:`socket`, which adds the Python-level methods.
    """

    __slots__ = ("_fd", "_family", "_type", "_proto", "_timeout")

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        self._fd = -1
        self._timeout = None
        if fileno is None:
            if family.__class__ is not int:
                family = _c_int(family)
            elif family == -1:
                family = _AF_INET
            if type.__class__ is not int:
                type = _c_int(type)
            elif type == -1:
                type = _SOCK_STREAM
            if proto.__class__ is not int:
                proto = _c_int(proto)
            elif proto == -1:
                proto = 0
            # Plain ints out of the C int range: OverflowError from cffi.
            fd = lib.socket(family, type | _SOCK_CLOEXEC, proto)
            if fd < 0:
                raise from_errno()
            owned = True
        else:
            fd = _fileno_argument(fileno)
            family = _c_int(family)
            type = _c_int(type)
            proto = _c_int(proto)
            if family == -1:
                if _SO_DOMAIN is not None:
                    family = _query_int_option(fd, _SO_DOMAIN)
                else:
                    storage, size = _new_storage()
                    if lib.getsockname(fd, storage, size) < 0:
                        raise from_errno()
                    family = ffi.cast("struct sockaddr *",
                                      storage).sa_family
            if type == -1:
                type = _query_int_option(fd, _SO_TYPE)
            if proto == -1:
                proto = (_query_int_option(fd, _SO_PROTOCOL)
                         if _SO_PROTOCOL is not None else 0)
            owned = False
        self._family = family
        self._type = type & ~_SOCK_FLAGS
        self._proto = proto
        if type & _SOCK_NONBLOCK:
            self._timeout = 0.0
        else:
            timeout = _default_timeout
            if timeout is not None:
                try:
                    os.set_blocking(fd, False)
                except OSError:
                    if owned:
                        lib.close(fd)
                    raise
            self._timeout = timeout
        self._fd = fd

    def __del__(self, _close=lib.close):
        # Bound defaults: module globals may be gone at interpreter exit.
        fd = getattr(self, "_fd", -1)
        if fd < 0:
            return
        try:
            warn = _warn
            if warn is not None:
                warn("unclosed %r" % (self,), ResourceWarning, source=self)
        finally:
            self._fd = -1
            _close(fd)

    def __repr__(self):
        return ("<socket object, fd=%d, family=%d, type=%d, proto=%d>"
                % (self._fd, self._family, self._type, self._proto))

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % self.__class__.__name__)

    # -- attributes --

    @property
    def family(self):
        """the socket family"""
        return self._family

    @property
    def type(self):
        """the socket type"""
        return self._type

    @property
    def proto(self):
        """the socket protocol"""
        return self._proto

    @property
    def timeout(self):
        """the socket timeout"""
        return self._timeout

    def fileno(self):
        """fileno() -> integer

        The socket's file descriptor (-1 once closed or detached).
        """
        return self._fd

    # -- modes --

    def gettimeout(self):
        """gettimeout() -> timeout

        The timeout in seconds (float); 0.0 for a non-blocking socket, None
        for a blocking one.
        """
        return self._timeout

    def settimeout(self, timeout):
        """settimeout(timeout)

        Set a timeout on socket operations: a float of seconds, 0.0 for
        non-blocking mode, None for blocking mode.
        """
        self._timeout = _parse_timeout(timeout)
        os.set_blocking(self._fd, self._timeout is None)

    def setblocking(self, flag):
        """setblocking(flag)

        setblocking(True) is settimeout(None); setblocking(False) is
        settimeout(0.0).
        """
        block = _index(flag) != 0
        self._timeout = None if block else 0.0
        os.set_blocking(self._fd, block)

    def getblocking(self):
        """getblocking() -> bool

        False only in non-blocking mode (timeout 0.0): a socket with a
        timeout counts as blocking, as in the stdlib.
        """
        return self._timeout != 0.0

    # -- lifecycle --

    def close(self):
        """close()

        Close the socket.  Further operations fail; closing again is a
        no-op.
        """
        fd = self._fd
        if fd >= 0:
            self._fd = -1
            if lib.close(fd) < 0:
                err = ffi.errno
                if err != ECONNRESET:
                    raise from_errno(err)

    def detach(self):
        """detach()

        Give up the descriptor without closing it and return it; the socket
        object is then closed.
        """
        fd = self._fd
        self._fd = -1
        return fd

    def shutdown(self, how):
        """shutdown(flag)

        Shut down the reading side (SHUT_RD), the writing side (SHUT_WR) or
        both (SHUT_RDWR) of the connection.
        """
        if lib.shutdown(self._fd, _c_int(how)) < 0:
            raise from_errno()

    # -- addresses --

    def bind(self, address):
        """bind(address)

        Bind the socket to a local address.
        """
        ptr, length = _addresses.to_sockaddr(self._family, self._proto,
                                             address, "bind")
        if lib.bind(self._fd, ptr, length) < 0:
            raise from_errno()

    def listen(self, backlog=_DEFAULT_BACKLOG):
        """listen([backlog])

        Accept connections; ``backlog`` (clamped to 0 if negative) bounds
        the queue of connections not yet accepted.
        """
        backlog = _c_int(backlog)
        if backlog < 0:
            backlog = 0
        if lib.listen(self._fd, backlog) < 0:
            raise from_errno()

    def getsockname(self):
        """getsockname() -> address info

        The socket's own address.
        """
        storage, size = _new_storage()
        if lib.getsockname(self._fd, storage, size) < 0:
            raise from_errno()
        return _addresses.from_sockaddr(storage, size[0], self._proto)

    def getpeername(self):
        """getpeername() -> address info

        The address of the remote end of a connected socket.
        """
        storage, size = _new_storage()
        if lib.getpeername(self._fd, storage, size) < 0:
            raise from_errno()
        return _addresses.from_sockaddr(storage, size[0], self._proto)

    # -- options --

    def getsockopt(self, level, option, buflen=0):
        """getsockopt(level, option[, buffersize]) -> value

        An integer option, or with ``buffersize`` the raw option bytes
        (at most ``buffersize`` of them).
        """
        if (buflen == 0 and level.__class__ is int
                and option.__class__ is int and self._family != _AF_VSOCK):
            value = _c_getsockopt_int(self._fd, level, option)
            if value == _OPT_FAILED:
                raise from_errno()
            return value
        level = _c_int(level)
        option = _c_int(option)
        buflen = _c_int(buflen)
        if buflen == 0:
            if self._family == _AF_VSOCK:
                value = ffi.new("unsigned long long *")
                size = ffi.new("socklen_t *",
                               ffi.sizeof("unsigned long long"))
            else:
                value = ffi.new("int *")
                size = ffi.new("socklen_t *", _INT_SIZE)
            if lib.getsockopt(self._fd, level, option, value, size) < 0:
                raise from_errno()
            return value[0]
        if buflen < 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        buf = ffi.new("char[]", buflen)
        size = ffi.new("socklen_t *", buflen)
        if lib.getsockopt(self._fd, level, option, buf, size) < 0:
            raise from_errno()
        return ffi.buffer(buf, size[0])[:]

    def setsockopt(self, level, option, value, optlen=None):
        """setsockopt(level, option, value: int)
        setsockopt(level, option, value: buffer)
        setsockopt(level, option, None, optlen: int)

        Set a socket option from an integer, from raw bytes, or (None and a
        length) as a NULL pointer with that length.
        """
        level = _c_int(level)
        option = _c_int(option)
        if optlen is not None:
            if value is not None:
                raise TypeError("setsockopt() argument 3 must be None when "
                                "an option length is given, not %s"
                                % type(value).__name__)
            optlen = _index(optlen)
            if not 0 <= optlen <= 0xffffffff:
                raise OverflowError("optlen out of range")
            result = lib.setsockopt(self._fd, level, option, ffi.NULL,
                                    optlen)
        else:
            number = None
            if not isinstance(value, (bytes, bytearray, memoryview)):
                try:
                    number = _index(value)
                except TypeError:
                    pass
            if number is not None:
                if self._family == _AF_VSOCK:
                    if not 0 <= number < 2 ** 64:
                        raise _bytes_like_error(value)
                    buf = ffi.new("unsigned long long *", number)
                    size = ffi.sizeof("unsigned long long")
                else:
                    if not _C_INT_MIN <= number <= _C_INT_MAX:
                        raise _bytes_like_error(value)
                    buf = ffi.new("int *", number)
                    size = _INT_SIZE
            else:
                if value is None:
                    raise _bytes_like_error(value)
                buf = _readable_buffer(value)
                size = len(buf)
            result = lib.setsockopt(self._fd, level, option, buf, size)
        if result < 0:
            raise from_errno()

    # -- connections --

    def _accept(self):
        """_accept() -> (integer, address info)

        Accept a connection: the new descriptor (non-inheritable) and the
        peer address.  socket.accept() wraps the descriptor.
        """
        storage, size = _new_storage()
        sa = storage
        if self._timeout:
            fd = self._call_timed(READ, lib.accept4, sa, size, _SOCK_CLOEXEC)
        else:
            while True:
                fd = lib.accept4(self._fd, sa, size, _SOCK_CLOEXEC)
                if fd >= 0:
                    break
                err = ffi.errno
                if err != EINTR:
                    raise from_errno(err)
                size[0] = _STORAGE_SIZE
        try:
            address = _addresses.from_sockaddr(storage, size[0], self._proto)
        except BaseException:
            lib.close(fd)
            raise
        return fd, address

    def connect(self, address):
        """connect(address)

        Connect to a remote address; in timeout mode, fail with the timeout
        exception if the connection is not made in time.
        """
        ptr, length = _addresses.to_sockaddr(self._family, self._proto,
                                             address, "connect")
        self._connect(ptr, length, True)
        del ptr

    def connect_ex(self, address):
        """connect_ex(address) -> errno

        connect() that returns an error code (0 on success, EWOULDBLOCK on
        timeout) instead of raising for a failed connection.
        """
        ptr, length = _addresses.to_sockaddr(self._family, self._proto,
                                             address, "connect_ex")
        result = self._connect(ptr, length, False)
        del ptr
        return result

    def _connect(self, sa, length, raising):
        fd = self._fd
        if lib.connect(fd, sa, length) == 0:
            return 0
        err = ffi.errno
        timeout = self._timeout
        if err == EINTR:
            # The connection goes on in the background: wait for it unless
            # the socket is non-blocking.
            waiting = timeout != 0.0
        else:
            waiting = bool(timeout) and err == EINPROGRESS
        if not waiting:
            if raising:
                raise from_errno(err)
            return err
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            try:
                wait(fd, CONNECT, deadline)
            except _timeout_error:
                if raising:
                    raise
                return EWOULDBLOCK
            except OSError as e:
                if raising:
                    raise
                return e.errno
            value = ffi.new("int *")
            size = ffi.new("socklen_t *", _INT_SIZE)
            if lib.getsockopt(fd, _SOL_SOCKET, _SO_ERROR, value, size) < 0:
                err = ffi.errno
            else:
                err = value[0]
            if err == 0 or err == EISCONN:
                return 0
            if err == EINTR or (timeout and (err == EAGAIN
                                             or err == EWOULDBLOCK)):
                continue
            if raising:
                raise from_errno(err)
            return err

    # -- the timeout-mode loop --

    def _call_timed(self, events, function, *args):
        """``function(fd, *args)`` in timeout mode: wait for ``events``
        before each attempt, within one deadline for the whole call."""
        fd = self._fd
        deadline = monotonic() + self._timeout
        while True:
            wait(fd, events, deadline)
            result = function(fd, *args)
            if result >= 0:
                return result
            err = ffi.errno
            if err != EINTR and err != EAGAIN and err != EWOULDBLOCK:
                raise from_errno(err)

    def _retry(self, function, *args):
        """The failure path of a flat (not timeout-mode) call, entered when
        ``function(fd, *args)`` returned -1: retry on EINTR (PEP 475; a
        signal handler's exception propagates from here), else raise."""
        while True:
            err = ffi.errno
            if err != EINTR:
                raise from_errno(err)
            result = function(self._fd, *args)
            if result >= 0:
                return result

    # -- receiving --

    def recv(self, bufsize, flags=0):
        """recv(buffersize[, flags]) -> data

        Receive up to ``buffersize`` bytes; b'' means the peer closed the
        connection.
        """
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize <= _POOLED:
            try:
                buf = _pool_pop()
            except IndexError:
                buf = _new_raw("char[]", _POOLED)
        else:
            buf = _new_raw("char[]", bufsize)
        if self._timeout:
            n = self._call_timed(READ, _c_recv, buf, bufsize, flags)
        else:
            n = _c_recv(self._fd, buf, bufsize, flags)
            if n < 0:
                n = self._retry(_c_recv, buf, bufsize, flags)
        data = _unpack(buf, n)
        if bufsize <= _POOLED:
            _pool_push(buf)
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        """recv_into(buffer, [nbytes[, flags]]) -> nbytes_read

        Receive into a writable buffer, up to ``nbytes`` bytes (default: its
        size); the number of bytes received.
        """
        try:
            buf = _from_buffer(buffer, require_writable=True)
        except (TypeError, BufferError):
            raise _writable_error(buffer) from None
        if nbytes < 0:
            raise ValueError("negative buffersize in recv_into")
        if nbytes == 0:
            nbytes = len(buf)
        elif len(buf) < nbytes:
            raise ValueError("buffer too small for requested bytes")
        if self._timeout:
            return self._call_timed(READ, _c_recv, buf, nbytes, flags)
        n = _c_recv(self._fd, buf, nbytes, flags)
        if n < 0:
            return self._retry(_c_recv, buf, nbytes, flags)
        return n

    def recvfrom(self, bufsize, flags=0):
        """recvfrom(buffersize[, flags]) -> (data, address info)

        recv() that also gives the sender's address.
        """
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        if bufsize <= _POOLED:
            try:
                buf = _pool_pop()
            except IndexError:
                buf = _new_raw("char[]", _POOLED)
        else:
            buf = _new_raw("char[]", bufsize)
        storage, size = _new_storage()
        if self._timeout:
            n = self._call_timed(READ, _c_recvfrom, buf, bufsize, flags,
                                 storage, size)
        else:
            n = _c_recvfrom(self._fd, buf, bufsize, flags, storage, size)
            if n < 0:
                n = self._retry(_c_recvfrom, buf, bufsize, flags, storage,
                                size)
        data = _unpack(buf, n)
        if bufsize <= _POOLED:
            _pool_push(buf)
        return data, _addresses.from_sockaddr(storage, size[0], self._proto)

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """recvfrom_into(buffer[, nbytes[, flags]]) -> (nbytes, address info)

        recv_into() that also gives the sender's address.
        """
        buf = _writable_buffer(buffer)
        if nbytes < 0:
            raise ValueError("negative buffersize in recvfrom_into")
        if nbytes == 0:
            nbytes = len(buf)
        elif nbytes > len(buf):
            raise ValueError("nbytes is greater than the length of the "
                             "buffer")
        storage, size = _new_storage()
        if self._timeout:
            n = self._call_timed(READ, _c_recvfrom, buf, nbytes, flags,
                                 storage, size)
        else:
            n = _c_recvfrom(self._fd, buf, nbytes, flags, storage, size)
            if n < 0:
                n = self._retry(_c_recvfrom, buf, nbytes, flags, storage,
                                size)
        return n, _addresses.from_sockaddr(storage, size[0], self._proto)

    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        """recvmsg(bufsize[, ancbufsize[, flags]]) -> (data, ancdata, msg_flags, address)

        Receive up to ``bufsize`` bytes and up to ``ancbufsize`` bytes of
        ancillary data, returned as a list of (level, type, data) tuples.
        """
        bufsize = _index(bufsize)
        ancbufsize = _index(ancbufsize)
        flags = _c_int(flags)
        if bufsize < 0:
            raise ValueError("negative buffer size in recvmsg()")
        buf = _new_raw("char[]", bufsize)
        iov = ffi.new("struct iovec *")
        iov.iov_base = buf
        iov.iov_len = bufsize
        n, ancdata, msg_flags, address = self._recvmsg(iov, 1, ancbufsize,
                                                       flags)
        return _unpack(buf, n), ancdata, msg_flags, address

    def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
        """recvmsg_into(buffers[, ancbufsize[, flags]]) -> (nbytes, ancdata, msg_flags, address)

        recvmsg() scattering the data into an iterable of writable buffers.
        """
        try:
            items = list(buffers)
        except TypeError:
            raise TypeError("recvmsg_into() argument 1 must be an "
                            "iterable") from None
        ancbufsize = _index(ancbufsize)
        flags = _c_int(flags)
        views = []
        for item in items:
            try:
                views.append(ffi.from_buffer(item, require_writable=True))
            except (TypeError, BufferError):
                raise TypeError("recvmsg_into() argument 1 must be an "
                                "iterable of single-segment read-write "
                                "buffers") from None
        iov = ffi.new("struct iovec[]", max(len(views), 1))
        for i, view in enumerate(views):
            iov[i].iov_base = view
            iov[i].iov_len = len(view)
        return self._recvmsg(iov, len(views), ancbufsize, flags)

    def _recvmsg(self, iov, iovlen, ancbufsize, flags):
        if ancbufsize < 0 or ancbufsize > 0x7fffffff:
            raise ValueError("invalid ancillary data buffer length")
        storage, size = _new_storage()
        msg = ffi.new("struct msghdr *")
        msg.msg_name = storage
        msg.msg_namelen = _STORAGE_SIZE
        msg.msg_iov = iov
        msg.msg_iovlen = iovlen
        if ancbufsize:
            control = _new_raw("char[]", ancbufsize)
            msg.msg_control = control
            msg.msg_controllen = ancbufsize
        if self._timeout:
            n = self._call_timed(READ, lib.recvmsg, msg, flags)
        else:
            n = lib.recvmsg(self._fd, msg, flags)
            if n < 0:
                n = self._retry(lib.recvmsg, msg, flags)
        try:
            ancdata = parse_control(msg, stacklevel=4)
            namelen = min(msg.msg_namelen, _STORAGE_SIZE)
            address = _addresses.from_sockaddr(storage, namelen, self._proto)
        except BaseException:
            close_received_fds(msg)
            raise
        return n, ancdata, msg.msg_flags, address

    # -- sending --

    def send(self, data, flags=0):
        """send(data[, flags]) -> count

        Send (part of) ``data``; the number of bytes sent.
        """
        if data.__class__ is not bytes:
            data = _readable_buffer(data)
        if self._timeout:
            return self._call_timed(WRITE, _c_send, data, len(data), flags)
        sent = _c_send(self._fd, data, len(data), flags)
        if sent < 0:
            return self._retry(_c_send, data, len(data), flags)
        return sent

    def sendall(self, data, flags=0):
        """sendall(data[, flags])

        Send all of ``data``, in as many send() calls as needed.  In timeout
        mode the timeout bounds the whole call; on error an unknown amount
        of data may have been sent.
        """
        fd = self._fd
        timeout = self._timeout
        done = 0
        if not timeout and isinstance(data, bytes):
            # Fast path: a bytes object goes to send() as is; a view is
            # only made if the first send() is partial.
            total = len(data)
            sent = _c_send(fd, data, total, flags)
            if sent < 0:
                sent = self._retry(_c_send, data, total, flags)
            if sent >= total:
                return None
            done = sent
        buf = _readable_buffer(data)
        total = len(buf)
        if timeout:
            deadline = monotonic() + timeout
            while True:
                wait(fd, WRITE, deadline)
                sent = lib.send(fd, buf + done, total - done, flags)
                if sent >= 0:
                    done += sent
                    if done >= total:
                        return None
                    continue
                err = ffi.errno
                if err != EINTR and err != EAGAIN and err != EWOULDBLOCK:
                    raise from_errno(err)
        while True:
            sent = lib.send(fd, buf + done, total - done, flags)
            if sent >= 0:
                done += sent
                if done >= total:
                    return None
                continue
            err = ffi.errno
            if err != EINTR:
                raise from_errno(err)

    def sendto(self, data, *args):
        """sendto(data[, flags], address) -> count

        Send ``data`` to ``address`` (for sockets not connected).
        """
        if len(args) == 1:
            address = args[0]
            flags = 0
        elif len(args) == 2:
            flags, address = args
            if flags.__class__ is not int:
                flags = _c_int(flags)       # checked before the address
        else:
            raise TypeError("sendto() takes 2 or 3 arguments (%d given)"
                            % (len(args) + 1))
        if data.__class__ is not bytes:
            data = _readable_buffer(data)
        n = len(data)
        sa, length = _addresses.to_sockaddr(self._family, self._proto,
                                            address, "sendto")
        if self._timeout:
            return self._call_timed(WRITE, _c_sendto, data, n, flags, sa,
                                    length)
        sent = _c_sendto(self._fd, data, n, flags, sa, length)
        if sent < 0:
            return self._retry(_c_sendto, data, n, flags, sa, length)
        return sent

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None):
        """sendmsg(buffers[, ancdata[, flags[, address]]]) -> count

        Gather the bytes-like objects of ``buffers`` into one message with
        ancillary data items ``(level, type, data)``; the number of bytes
        sent.
        """
        msg = ffi.new("struct msghdr *")
        name = None
        if address is not None:
            name, length = _addresses.to_sockaddr(self._family, self._proto,
                                                  address, "sendmsg")
            msg.msg_name = name
            msg.msg_namelen = length
        try:
            items = list(buffers)
        except TypeError:
            raise TypeError("sendmsg() argument 1 must be an "
                            "iterable") from None
        views = []
        for item in items:
            try:
                views.append(ffi.from_buffer(item))
            except TypeError:
                raise TypeError("sendmsg() argument 1 must be an iterable "
                                "of bytes-like objects") from None
        control, controllen, keep = build_control(ancdata)
        flags = _c_int(flags)
        iov = ffi.new("struct iovec[]", max(len(views), 1))
        for i, view in enumerate(views):
            iov[i].iov_base = view
            iov[i].iov_len = len(view)
        msg.msg_iov = iov
        msg.msg_iovlen = len(views)
        msg.msg_control = control
        msg.msg_controllen = controllen
        if self._timeout:
            sent = self._call_timed(WRITE, lib.sendmsg, msg, flags)
        else:
            sent = lib.sendmsg(self._fd, msg, flags)
            if sent < 0:
                sent = self._retry(lib.sendmsg, msg, flags)
        del name, views, keep
        return sent

    if _afalg.AVAILABLE:                        # sockcffi.afalg
        sendmsg_afalg = _afalg.sendmsg_afalg


try:
    from warnings import warn as _warn
except ImportError:                     # pragma: no cover
    _warn = None


# --- the Python-level socket ----------------------------------------------------

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
            try:
                laddr = self.getsockname()
                if laddr:
                    text += ", laddr=%s" % str(laddr)
            except (error, AttributeError):
                pass
            try:
                raddr = self.getpeername()
                if raddr:
                    text += ", raddr=%s" % str(raddr)
            except (error, AttributeError):
                pass
        return text + ">"

    @property
    def family(self):
        """Read-only access to the address family for this socket."""
        return _intenum_converter(self._family, AddressFamily)

    @property
    def type(self):
        """Read-only access to the socket type."""
        return _intenum_converter(self._type, SocketKind)

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
        sock = _adopt(fd, self._family, self._type, self._proto)
        # Linux does not pass O_NONBLOCK on to accepted sockets; when there
        # is no default timeout the new socket is blocking whatever the
        # listening socket's timeout (bpo-7995).
        if _default_timeout is None and self._timeout:
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
        sockno = self.fileno()
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
                if timeout:
                    wait(sockno, WRITE, monotonic() + timeout)
                if count:
                    blocksize = count - total_sent
                    if blocksize <= 0:
                        break
                try:
                    sent = os.sendfile(sockno, fileno, offset, blocksize)
                except BlockingIOError:
                    if not timeout:
                        wait(sockno, WRITE, None)
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
        sockno = self.fileno()
        try:
            while True:
                if timeout:
                    wait(sockno, WRITE, monotonic() + timeout)
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

    from_stdlib = classmethod(_interop.from_stdlib)    # sockcffi.interop
    to_stdlib = _interop.to_stdlib

    def get_inheritable(self):
        """Get the inheritable flag of the socket"""
        return os.get_inheritable(self.fileno())

    def set_inheritable(self, inheritable):
        """Set the inheritable flag of the socket"""
        os.set_inheritable(self.fileno(), inheritable)


def _adopt(fd, family, type, proto):
    """A socket object owning the new descriptor ``fd`` whose family, type
    (already without SOCK_NONBLOCK/SOCK_CLOEXEC) and protocol are known:
    what ``socket(family, type, proto, fileno=fd)`` makes, without its
    argument checks (the accept() path)."""
    sock = _new_object(socket)
    sock._fd = -1
    sock._family = family
    sock._type = type
    sock._proto = proto
    sock._io_refs = 0
    sock._closed = False
    timeout = _default_timeout
    if timeout is not None:
        try:
            os.set_blocking(fd, False)
        except BaseException:
            lib.close(fd)
            raise
    sock._timeout = timeout
    sock._fd = fd
    return sock


_new_object = object.__new__
socket.__module__ = "sockcffi"
SocketType.__module__ = "sockcffi"
_text_encoding = getattr(io, "text_encoding", None)


# --- module functions -------------------------------------------------------------

def _package():
    """The sockcffi package (monkeypatched names there are honoured)."""
    return sys.modules[__name__.rpartition(".")[0]]


def socketpair(family=None, type=_SOCK_STREAM, proto=0):
    """socketpair([family[, type[, proto]]]) -> (socket object, socket object)

    Two connected sockets (default AF_UNIX, SOCK_STREAM).
    """
    if family is None:
        family = _AF_UNIX
    family = _c_int(family)
    type = _c_int(type)
    proto = _c_int(proto)
    fds = ffi.new("int[2]")
    if lib.socketpair(family, type | _SOCK_CLOEXEC, proto, fds) < 0:
        raise from_errno()
    if type & _SOCK_NONBLOCK:
        first = socket(family, type, proto, fds[0])     # timeout 0.0
        second = socket(family, type, proto, fds[1])
        return first, second
    first = _adopt(fds[0], family, type & ~_SOCK_FLAGS, proto)
    try:
        second = _adopt(fds[1], family, type & ~_SOCK_FLAGS, proto)
    except BaseException:
        first.close()
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
        import array
        return sock.sendmsg(buffers, [(_SOL_SOCKET, _SCM_RIGHTS,
                                       array.array("i", fds))])

    def recv_fds(sock, bufsize, maxfds, flags=0):
        """recv_fds(sock, bufsize, maxfds[, flags]) -> (data, list of file
        descriptors, msg_flags, address)

        Receive up to ``bufsize`` bytes and up to ``maxfds`` descriptors.
        """
        import array
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
