"""The C-level socket object: what CPython keeps in Modules/socketmodule.c.

:class:`SocketType` holds the descriptor, family, type, protocol and
timeout, and its methods are the system calls; :mod:`sockcffi.sockets`
builds the Python-level ``socket`` class on it, as Lib/socket.py does on
``_socket.socket``.  The module functions that are plain C calls (``dup``,
``close``, the default timeout) live here too.

Modes (see "Notes on socket timeouts"): ``_timeout`` is None in blocking
mode, 0.0 in non-blocking mode and a positive float in timeout mode, where
the descriptor is O_NONBLOCK.  Waits, EINTR retries, deadlines and the
descriptor re-read are the call seam's (:mod:`sockcffi.waiting`; bound here
as ``_call_timed``/``_call_until``/``_retry``/``_first_try_failed``).  The
hot methods make the system call directly, in timeout mode too (the
descriptor being O_NONBLOCK, it cannot block); only a failed call goes to
``_retry``, or in timeout mode to ``_first_try_failed`` and then the wait.

Rules at the C boundary, held by every method (see README, "Safety"):

* arguments are converted by :mod:`sockcffi._args`, once, before any
  comparison;
* lengths come from the buffer views handed to C, and every view is
  released when the call ends, error or not;
* every copy out of a C buffer is bounded by what this call allocated and
  the kernel filled (``MSG_TRUNC`` makes the kernel report more);
* the descriptor is read again after every wait: a socket closed by another
  thread meanwhile fails with EBADF instead of acting on a number that may
  already belong to another connection; and ``close()``/``detach()`` take
  the number in one atomic step.
"""
import os
import sys
from _thread import RLock
from errno import EBADF, ECONNRESET, ENOTSOCK
from operator import attrgetter as _attrgetter
from time import monotonic
from warnings import warn as _warn

from . import _buffers
from . import addresses as _addresses
from ._args import NO_FLAGS as _NO_FLAGS
from ._args import (c_int, exact_int, fd as _fd_arg, readable_buffer,
                    release, socket_fd, stable_buffer, stable_view,
                    writable_buffer)
from ._binding import HAVE_AFALG, HAVE_MMSG, ffi, lib
from ._firstuse import LoadedOnFirstUse
from ._socketmsg import MessageCalls
from ._socketopts import OptionCalls
from ._socketopts import int_option as _int_option
from ._viewcalls import (into_arguments as _into_arguments,
                         into_checked as _into_checked,
                         into_length as _into_length,
                         recv_into_view as _recv_into_view,
                         recvfrom_into_view as _recvfrom_into_view,
                         send_more as _send_more, send_view as _send_view,
                         sendto_view as _sendto_view)
from .errors import from_errno
from .timeouts import getdefaulttimeout, parse_timeout
from . import waiting as _seam
from .waiting import READ, WRITE

__all__ = ["SocketType", "dup", "close"]

_unpack = ffi.unpack

# The hot system calls, bound once (a global load instead of a lookup on
# ``lib`` per call).
_c_send = lib.send
_DONTWAIT = lib.MSG_DONTWAIT
_c_recv = lib.recv
_c_recv_small = lib.sockcffi_recv_small
_c_recvfrom_small = lib.sockcffi_recvfrom_small
_c_sendto = lib.sendto
_c_recvfrom = lib.recvfrom

# Receive buffers come from free lists (sockcffi._buffers).
_pool_pop, _pool_push = _buffers.small_pool.pop, _buffers.small_pool.append
_take_buffer, _give_back = _buffers.take_buffer, _buffers.give_back
_new_small = _buffers.new_small
# Socket addresses (sockcffi.addresses).
_new_storage, _from_sockaddr, _to_sockaddr = (
    _addresses.new_storage, _addresses.from_sockaddr, _addresses.to_sockaddr)
# recvfrom()'s sender addresses: reusable names (sockcffi._buffers; the
# short path pops and pushes the list inline) and a decode cache (see
# sockcffi.addresses); a call that raises just drops its name.
_names_pop, _names_push = _buffers.name_pool.pop, _buffers.name_pool.append
_decode_cached = _addresses.decode_cached
_STORAGE_SIZE = ffi.sizeof("struct sockaddr_storage")

_AF_INET = lib.AF_INET
_SOCK_STREAM = lib.SOCK_STREAM
_SOCK_NONBLOCK = getattr(lib, "SOCK_NONBLOCK", 0)
_SOCK_CLOEXEC = getattr(lib, "SOCK_CLOEXEC", 0)
_SOCK_FLAGS = _SOCK_NONBLOCK | _SOCK_CLOEXEC
_SOL_SOCKET = lib.SOL_SOCKET
_SO_ERROR = lib.SO_ERROR
# What socket(fileno=N) refuses, as the running interpreter's own socket
# does: CPython a closed number and one that is no socket, PyPy only a
# closed number.
_FILENO_ERRORS = ((EBADF,) if sys.implementation.name == "pypy"
                  else (EBADF, ENOTSOCK))
_SO_DOMAIN = getattr(lib, "SO_DOMAIN", None)
_SO_TYPE = lib.SO_TYPE
_SO_PROTOCOL = getattr(lib, "SO_PROTOCOL", None)
_DEFAULT_BACKLOG = min(lib.SOMAXCONN, 128)

# close()/detach()/__del__ take the descriptor number under this lock, so
# that two threads can never both own it (on PyPy, reading and clearing an
# attribute are two steps another thread can run between).  Reentrant: a
# finaliser may run while its thread holds it.
_fd_lock = RLock()


# --- descriptors -------------------------------------------------------------

def dup(fd):
    """dup(integer) -> integer

    Duplicate a socket descriptor; the copy is not inheritable.
    """
    newfd = lib.sockcffi_dup_cloexec(socket_fd(fd))
    if newfd < 0:
        raise from_errno()
    return newfd


def _close_fd(fd, _close=lib.close):
    # A connection reset reported by close() is not an error (the stdlib
    # ignores it too: the descriptor is closed all the same).
    if _close(fd) < 0:
        err = ffi.errno
        if err != ECONNRESET:
            raise from_errno(err)


def close(fd):
    """close(integer) -> None

    Close a socket descriptor (a connection reset reported by the close is
    ignored, as for socket.close()).
    """
    _close_fd(socket_fd(fd))


def _accept4(fd, storage, size):
    # The address length is preset on every attempt (an interrupted one
    # may have left it changed).
    size[0] = _STORAGE_SIZE
    return lib.accept4(fd, storage, size, _SOCK_CLOEXEC)


# --- the C-level socket ------------------------------------------------------

class SocketType(MessageCalls, OptionCalls):
    """SocketType(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None)

    The socket object's core: a descriptor and the system calls on it.
    Use :class:`sockcffi.socket`, which adds the Python-level methods.
    """

    __slots__ = ("_fd", "_family", "_type", "_proto", "_timeout")

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        self._fd = -1
        self._timeout = None
        if fileno is None:
            if family.__class__ is not int:
                family = c_int(family)
            elif family == -1:
                family = _AF_INET
            if type.__class__ is not int:
                type = c_int(type)
            elif type == -1:
                type = _SOCK_STREAM
            if proto.__class__ is not int:
                proto = c_int(proto)
            elif proto == -1:
                proto = 0
            # Plain ints out of the C int range: OverflowError from cffi.
            fd = lib.socket(family, type | _SOCK_CLOEXEC, proto)
            if fd < 0:
                raise from_errno()
            owned = True
        else:
            fd = _fd_arg(fileno)
            family = c_int(family)
            type = c_int(type)
            proto = c_int(proto)
            storage, size = _new_storage()
            if lib.getsockname(fd, storage, size) < 0:
                err = ffi.errno
                if err in _FILENO_ERRORS:
                    raise from_errno(err)
            elif family == -1:
                family = ffi.cast("struct sockaddr *", storage).sa_family
            if family == -1:
                if _SO_DOMAIN is not None:
                    family = _int_option(fd, _SOL_SOCKET, _SO_DOMAIN)
                else:
                    storage, size = _new_storage()
                    if lib.getsockname(fd, storage, size) < 0:
                        raise from_errno()
                    family = ffi.cast("struct sockaddr *",
                                      storage).sa_family
            if type == -1:
                type = _int_option(fd, _SOL_SOCKET, _SO_TYPE)
            if proto == -1:
                proto = (_int_option(fd, _SOL_SOCKET, _SO_PROTOCOL)
                         if _SO_PROTOCOL is not None else 0)
            owned = False
        self._family = family
        self._type = type & ~_SOCK_FLAGS
        self._proto = proto
        if type & _SOCK_NONBLOCK:
            self._timeout = 0.0
        else:
            timeout = getdefaulttimeout()
            if timeout is not None:
                try:
                    os.set_blocking(fd, False)
                except OSError:
                    if owned:
                        lib.close(fd)
                    raise
            self._timeout = timeout
        self._fd = fd

    def __del__(self, _close=lib.close, _lock=_fd_lock, _warn=_warn):
        # Bound defaults: module globals may be gone at interpreter exit.
        if getattr(self, "_fd", -1) < 0:
            return
        try:
            # Warn first: the repr shows the descriptor.
            _warn("unclosed %r" % (self,), ResourceWarning, source=self)
        finally:
            with _lock:
                fd = self._fd
                self._fd = -1
            if fd >= 0:
                _close(fd)

    def __repr__(self):
        return ("<socket object, fd=%d, family=%d, type=%d, proto=%d>"
                % (self._fd, self._family, self._type, self._proto))

    def __getstate__(self):
        raise TypeError("cannot pickle %r object" % self.__class__.__name__)

    # -- attributes --

    family = property(_attrgetter("_family"), doc="the socket family")
    type = property(_attrgetter("_type"), doc="the socket type")
    proto = property(_attrgetter("_proto"), doc="the socket protocol")
    timeout = property(_attrgetter("_timeout"), doc="the socket timeout")

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
        self._timeout = parse_timeout(timeout)
        os.set_blocking(self._fd, self._timeout is None)

    def setblocking(self, flag):
        """setblocking(flag)

        setblocking(True) is settimeout(None); setblocking(False) is
        settimeout(0.0).
        """
        block = exact_int(flag) != 0
        self._timeout = None if block else 0.0
        os.set_blocking(self._fd, block)

    def getblocking(self):
        """getblocking() -> bool

        False only in non-blocking mode (timeout 0.0): a socket with a
        timeout counts as blocking, as in the stdlib.
        """
        return self._timeout != 0.0

    # -- lifecycle --

    def _take_fd(self):
        """Take the descriptor number from this object in one atomic step:
        the number, or -1 when another caller took it first."""
        with _fd_lock:
            fd = self._fd
            self._fd = -1
        return fd

    def close(self):
        """close()

        Close the socket.  Further operations fail; closing again is a
        no-op.
        """
        fd = self._take_fd()
        if fd >= 0:
            _close_fd(fd)

    def detach(self):
        """detach()

        Give up the descriptor without closing it and return it; the socket
        object is then closed.
        """
        return self._take_fd()

    def shutdown(self, how):
        """shutdown(flag)

        Shut down the reading side (SHUT_RD), the writing side (SHUT_WR) or
        both (SHUT_RDWR) of the connection.
        """
        if lib.shutdown(self._fd, c_int(how)) < 0:
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
        backlog = c_int(backlog)
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
        return _from_sockaddr(storage, size[0], self._proto)

    def getpeername(self):
        """getpeername() -> address info

        The address of the remote end of a connected socket.
        """
        storage, size = _new_storage()
        if lib.getpeername(self._fd, storage, size) < 0:
            raise from_errno()
        return _from_sockaddr(storage, size[0], self._proto)

    # -- connections --

    def _accept(self):
        """_accept() -> (integer, address info)

        Accept a connection: the new descriptor (non-inheritable) and the
        peer address.  socket.accept() wraps the descriptor.
        """
        storage, size = _new_storage()
        fd = _seam.call(self, READ, _accept4, storage, size)
        try:
            address = _from_sockaddr(storage, size[0], self._proto)
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
        _seam.connect(self, ptr, length, True)

    def connect_ex(self, address):
        """connect_ex(address) -> errno

        connect() that returns an error code (0 on success, EWOULDBLOCK on
        timeout) instead of raising for a failed connection.
        """
        ptr, length = _addresses.to_sockaddr(self._family, self._proto,
                                             address, "connect_ex")
        return _seam.connect(self, ptr, length, False)

    # -- the call seam (sockcffi.waiting), as methods for the hot paths --

    _call_timed = _seam.call_timed
    _call_until = _seam.call_until
    _retry = _seam.retry
    _first_try_failed = _seam.first_try_failed
    _call_first = _seam.call_first
    _call_first_until = _seam.call_first_until

    def _recv_into_until(self, view, deadline):
        """recv_into(view) in timeout mode within ``deadline`` (the deadline
        of a longer call: sockcffi.tls's read): a first attempt before any
        wait, then the seam.  ``view`` is the caller's own writable
        memoryview; its C view is taken at each call."""
        return self._call_first_until(deadline, READ, _recv_into_view, view,
                                      len(view), 0)

    def _send_until(self, data, deadline):
        """send(data) of bytes in timeout mode within ``deadline`` (the
        deadline of a longer call: sockcffi.tls's write): a first attempt
        before any wait, then the seam."""
        return self._call_first_until(deadline, WRITE, _c_send, data,
                                      len(data), 0)

    def _send_now(self, data):
        """send(data) of bytes without waiting, whatever the socket's mode
        (sockcffi.tls's reader): 0 when the kernel takes none now or the
        call was interrupted (the caller waits, then tries again)."""
        sent = _c_send(self._fd, data, len(data), _DONTWAIT)
        if sent < 0:
            self._first_try_failed()
            return 0
        return sent

    # -- receiving --

    def recv(self, bufsize, flags=0):
        """recv(buffersize[, flags]) -> data

        Receive up to ``buffersize`` bytes; b'' means the peer closed the
        connection.
        """
        # The common call -- no flags, a plain int -- takes the short way:
        # nothing to convert, no MSG_TRUNC to fear, and the size checked
        # against the pooled buffer in C (sockcffi_recv_small: -2 and no
        # system call for any size but 1..SMALL).  In timeout mode too the
        # first attempt comes before any wait (_first_try_failed): data
        # already there costs one system call, not a poll() and a recv().
        if flags is _NO_FLAGS and bufsize.__class__ is int:
            try:
                buf = _pool_pop()
            except IndexError:
                buf = _new_small()
            # The mode is the one at the call (as the stdlib's): another
            # thread's settimeout() after the first try changes nothing.
            timeout = self._timeout
            try:
                n = _c_recv_small(self._fd, buf, bufsize)
                if n == -1:
                    if timeout:
                        self._first_try_failed()
                        n = self._call_until(monotonic() + timeout, READ,
                                             _c_recv_small, buf, bufsize)
                    else:
                        n = self._retry(_c_recv_small, buf, bufsize)
            except BaseException:
                # The buffer goes back on errors too (no view of it is
                # left): a dropped one costs a fresh 64 KiB allocation on
                # the next call, ten times an EAGAIN's cost on PyPy.
                _pool_push(buf)
                raise
            if n >= 0:
                # Without MSG_TRUNC recv() returns at most bufsize bytes.
                data = _unpack(buf, n)
                _pool_push(buf)
                return data
            _pool_push(buf)
        return self._recv(bufsize, flags)

    def _recv(self, bufsize, flags):
        if bufsize.__class__ is not int:
            bufsize = exact_int(bufsize)
        if flags.__class__ is not int:
            flags = c_int(flags)
        if not bufsize:
            return b""
        buf, pool = _take_buffer(bufsize, flags, "negative buffersize in recv")
        if self._timeout:
            n = self._call_timed(READ, _c_recv, buf, bufsize, flags)
        else:
            n = _c_recv(self._fd, buf, bufsize, flags)
            if n < 0:
                n = self._retry(_c_recv, buf, bufsize, flags)
        data = _unpack(buf, n if n <= bufsize else bufsize)
        _give_back(buf, pool)
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        """recv_into(buffer, [nbytes[, flags]]) -> nbytes_read

        Receive into a writable buffer, up to ``nbytes`` bytes (default: its
        size); the number of bytes received.
        """
        # The caller's code (__index__) runs before the buffer is exported,
        # and in timeout mode the view is taken after the wait: PyPy lets
        # a bytearray be resized while exported, and the kernel would write
        # into freed memory.
        if nbytes.__class__ is not int or flags.__class__ is not int:
            nbytes, flags = _into_arguments(buffer, nbytes, flags)
        if self._timeout:
            nbytes = _into_checked(buffer, nbytes, "recv_into",
                                   "buffer too small for requested bytes")
            if not nbytes:
                return 0
            # A first attempt before any wait, as in recv(); its view too
            # is taken at the call.
            return self._call_first(READ, _recv_into_view, buffer, nbytes,
                                    flags)
        view = writable_buffer(buffer)
        try:
            nbytes = _into_length(view, nbytes, "recv_into",
                                       "buffer too small for requested bytes")
            if not nbytes:
                return 0
            n = _c_recv(self._fd, view, nbytes, flags)
            if n < 0:
                return self._retry(_c_recv, view, nbytes, flags)
            return n
        finally:
            release(view)

    def recvfrom(self, bufsize, flags=0):
        """recvfrom(buffersize[, flags]) -> (data, address info)

        recv() that also gives the sender's address.
        """
        # The common call takes the short way, as in recv(): blocking or
        # non-blocking, no flags, a plain int checked against the pooled
        # buffer in C (sockcffi_recvfrom_small also presets the address
        # length).
        if (flags is _NO_FLAGS and bufsize.__class__ is int
                and not self._timeout):
            try:
                buf = _pool_pop()
            except IndexError:
                buf = _new_small()
            try:
                name = _names_pop()
            except IndexError:
                name = _buffers.AddressName()
            storage = name.storage
            length = name.length
            n = _c_recvfrom_small(self._fd, buf, bufsize, storage, length)
            if n == -1:
                try:
                    n = self._retry(_c_recvfrom_small, buf, bufsize, storage,
                                    length)
                except BaseException:
                    _pool_push(buf)     # as in recv()
                    _names_push(name)
                    raise
            if n >= 0:
                data = _unpack(buf, n)
                _pool_push(buf)
                address = _decode_cached(storage, length[0], self._proto,
                                         name.key)
                _names_push(name)
                return data, address
            _pool_push(buf)
            _names_push(name)
        return self._recvfrom(bufsize, flags)

    def _recvfrom(self, bufsize, flags):
        if bufsize.__class__ is not int or flags.__class__ is not int:
            bufsize, flags = exact_int(bufsize), c_int(flags)
        buf, pool = _take_buffer(bufsize, flags,
                                 "negative buffersize in recvfrom")
        name = _buffers.take_name()
        storage, size = name.storage, name.length
        size[0] = _STORAGE_SIZE
        if self._timeout:
            n = self._call_timed(READ, _c_recvfrom, buf, bufsize, flags,
                                 storage, size)
        else:
            n = _c_recvfrom(self._fd, buf, bufsize, flags, storage, size)
            if n < 0:
                n = self._retry(_c_recvfrom, buf, bufsize, flags, storage,
                                size)
        data = _unpack(buf, n if n <= bufsize else bufsize)
        _give_back(buf, pool)
        address = _decode_cached(storage, size[0], self._proto, name.key)
        _buffers.give_name(name)
        return data, address

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """recvfrom_into(buffer[, nbytes[, flags]]) -> (nbytes, address info)

        recv_into() that also gives the sender's address.
        """
        too_big = "nbytes is greater than the length of the buffer"
        # As in recv_into(): conversions before the export, and the view
        # after the wait.
        if nbytes.__class__ is not int or flags.__class__ is not int:
            nbytes, flags = _into_arguments(buffer, nbytes, flags)
        if self._timeout:
            nbytes = _into_checked(buffer, nbytes, "recvfrom_into", too_big)
        name = _buffers.take_name()
        storage, size = name.storage, name.length
        size[0] = _STORAGE_SIZE
        if self._timeout:
            n = self._call_timed(READ, _recvfrom_into_view, buffer, nbytes,
                                 flags, storage, size)
        else:
            view = writable_buffer(buffer)
            try:
                nbytes = _into_length(view, nbytes, "recvfrom_into",
                                           too_big)
                n = _c_recvfrom(self._fd, view, nbytes, flags, storage,
                                size)
                if n < 0:
                    n = self._retry(_c_recvfrom, view, nbytes, flags,
                                    storage, size)
            finally:
                release(view)
        address = _decode_cached(storage, size[0], self._proto, name.key)
        _buffers.give_name(name)
        return n, address

    # -- sending --

    def send(self, data, flags=0):
        """send(data[, flags]) -> count

        Send (part of) ``data``; the number of bytes sent.
        """
        # The usual call -- exact bytes (its len() is its buffer's), no
        # flags -- takes the short way, in timeout mode with a first
        # attempt before any wait, as in recv().
        if data.__class__ is bytes and flags is _NO_FLAGS:
            timeout = self._timeout         # the mode at the call, as recv()
            sent = _c_send(self._fd, data, len(data), 0)
            if sent < 0:
                if timeout:
                    self._first_try_failed()
                    return self._call_until(monotonic() + timeout, WRITE,
                                            _c_send, data, len(data), 0)
                return self._retry(_c_send, data, len(data), 0)
            return sent
        return self._send(data, flags)

    def _send(self, data, flags):
        if flags.__class__ is not int:
            flags = c_int(flags)
        if data.__class__ is bytes:
            if self._timeout:
                return self._call_timed(WRITE, _c_send, data, len(data),
                                        flags)
            sent = _c_send(self._fd, data, len(data), flags)
            if sent < 0:
                return self._retry(_c_send, data, len(data), flags)
            return sent
        if self._timeout:
            # A first attempt before any wait, as in send(); each view is
            # taken at its call, after the wait for a retry (_send_view).
            data = stable_buffer(data)
            return self._call_first(WRITE, _send_view, data, flags)
        view = stable_view(data)
        try:
            sent = _c_send(self._fd, view, len(view), flags)
            if sent < 0:
                return self._retry(_c_send, view, len(view), flags)
            return sent
        finally:
            release(view)

    def sendall(self, data, flags=0):
        """sendall(data[, flags])

        Send all of ``data``, in as many send() calls as needed.  In timeout
        mode the timeout bounds the whole call; on error an unknown amount
        of data may have been sent.
        """
        if flags.__class__ is not int:
            flags = c_int(flags)
        done = 0
        timeout = self._timeout             # the mode at the call, as recv()
        if data.__class__ is bytes:
            # Fast path: exact bytes go to send() as they are, in timeout
            # mode too before any wait (_first_try_failed); a view is only
            # made if the first send() is partial.
            total = len(data)
            sent = _c_send(self._fd, data, total, flags)
            if sent < 0:
                if timeout:
                    self._first_try_failed()
                    sent = 0
                else:
                    sent = self._retry(_c_send, data, total, flags)
            if sent >= total:
                return None
            done = sent
        data = stable_buffer(data)
        if timeout:
            # Timeout mode waits between chunks: each chunk's view is taken
            # after its wait (_send_more), within one deadline.
            deadline = monotonic() + timeout
            progress = [done]
            while self._call_until(deadline, WRITE, _send_more, data,
                                   progress, flags):
                pass
            return None
        view = readable_buffer(data)
        try:
            _seam.send_all(self, _c_send, view, done, flags)
        finally:
            release(view)

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
                flags = c_int(flags)       # checked before the address
        else:
            raise TypeError("sendto() takes 2 or 3 arguments (%d given)"
                            % (len(args) + 1))
        # The data is checked in its place among the arguments, its view
        # taken after the address is converted (the caller's code) and,
        # in timeout mode, after the wait (_sendto_view).
        if data.__class__ is not bytes:       # exact bytes: their own buffer
            data = stable_buffer(data)
        sa, length = _to_sockaddr(self._family, self._proto, address,
                                  "sendto")
        if self._timeout:
            if data.__class__ is bytes:
                return self._call_timed(WRITE, _c_sendto, data, len(data),
                                        flags, sa, length)
            return self._call_timed(WRITE, _sendto_view, data, flags, sa,
                                    length)
        if data.__class__ is bytes:
            sent = _c_sendto(self._fd, data, len(data), flags, sa, length)
            if sent < 0:
                return self._retry(_c_sendto, data, len(data), flags, sa,
                                   length)
            return sent
        view = readable_buffer(data)
        try:
            sent = _c_sendto(self._fd, view, len(view), flags, sa, length)
            if sent < 0:
                return self._retry(_c_sendto, view, len(view), flags, sa,
                                   length)
            return sent
        finally:
            release(view)


SocketType.__module__ = "sockcffi"
# The optional methods; their modules are imported on first use.
if HAVE_MMSG:                       # recvmmsg/sendmmsg, where libc has them
    SocketType.recvmmsg = LoadedOnFirstUse(SocketType, "sockcffi.batch",
                                           "recvmmsg")
    SocketType.sendmmsg = LoadedOnFirstUse(SocketType, "sockcffi.batch",
                                           "sendmmsg")
if HAVE_AFALG:                      # sendmsg_afalg, where AF_ALG is built
    SocketType.sendmsg_afalg = LoadedOnFirstUse(SocketType, "sockcffi.afalg",
                                                "sendmsg_afalg")
