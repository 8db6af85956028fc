"""recvmsg()/recvmsg_into()/sendmsg(): scatter/gather I/O with ancillary
data, a mixin of :class:`sockcffi._socketobject.SocketType`.

The same rules hold as for the other socket methods: every buffer is a view
whose own length goes into the ``iovec`` and which is released when the
call ends; the data copied out is bounded by the buffer this call
allocated (``MSG_TRUNC`` reports more); the control buffer is parsed only
as far as this call allocated it, and descriptors received in it are
closed if anything fails after the kernel handed them over.
"""
from warnings import warn as _warn

from . import addresses as _addresses
from ._args import (c_int, readable_buffer, receive_size, release, ssize,
                    writable_buffer)
from ._binding import ffi, lib
from .ancillary import (MALFORMED, build_control, close_received_fds,
                        parse_control)
from .waiting import READ, WRITE

__all__ = []

_new_raw = ffi.new_allocator(should_clear_after_alloc=False)
_unpack = ffi.unpack
_c_recvmsg = lib.recvmsg
_c_sendmsg = lib.sendmsg
_new_storage = _addresses.new_storage
_from_sockaddr = _addresses.from_sockaddr
_STORAGE_SIZE = ffi.sizeof("struct sockaddr_storage")
_MSG_TRUNC = getattr(lib, "MSG_TRUNC", 0)
# stacklevel of a warning issued in a private helper that the public
# method calls directly: helper <- public method <- caller.
_CALLER_OF_PUBLIC = 3


def receive_buffer(bufsize, flags):
    """A fresh buffer of ``bufsize`` bytes for one receive call: zeroed
    when MSG_TRUNC may leave part of it unwritten (TCP discards with
    MSG_TRUNC and writes nothing)."""
    if flags & _MSG_TRUNC:
        return ffi.new("char[]", bufsize)
    return _new_raw("char[]", bufsize)


def _iovec(views):
    """A ``struct iovec[]`` over buffer views, each length the view's."""
    iov = ffi.new("struct iovec[]", max(len(views), 1))
    for i, view in enumerate(views):
        iov[i].iov_base = view
        iov[i].iov_len = len(view)
    return iov


class MessageCalls:
    """The message-level system calls of the socket object."""

    __slots__ = ()

    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        """recvmsg(bufsize[, ancbufsize[, flags]])
        -> (data, ancdata, msg_flags, address)

        Receive up to ``bufsize`` bytes and up to ``ancbufsize`` bytes of
        ancillary data, returned as a list of (level, type, data) tuples.
        """
        bufsize = ssize(bufsize)
        ancbufsize = ssize(ancbufsize)
        flags = c_int(flags)
        receive_size(bufsize, "negative buffer size in recvmsg()")
        buf = receive_buffer(bufsize, flags)
        iov = ffi.new("struct iovec *")
        iov.iov_base = buf
        iov.iov_len = bufsize
        n, ancdata, msg_flags, address = self._recvmsg(iov, 1, ancbufsize,
                                                       flags)
        return (_unpack(buf, n if n <= bufsize else bufsize), ancdata,
                msg_flags, address)

    def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
        """recvmsg_into(buffers[, ancbufsize[, flags]])
        -> (nbytes, ancdata, msg_flags, address)

        recvmsg() scattering the data into an iterable of writable buffers.
        """
        try:
            items = list(buffers)
        except TypeError:
            raise TypeError("recvmsg_into() argument 1 must be an "
                            "iterable") from None
        ancbufsize = ssize(ancbufsize)
        flags = c_int(flags)
        views = []
        try:
            for item in items:
                try:
                    views.append(writable_buffer(item))
                except TypeError:
                    raise TypeError("recvmsg_into() argument 1 must be an "
                                    "iterable of single-segment read-write "
                                    "buffers") from None
            iov = _iovec(views)
            return self._recvmsg(iov, len(views), ancbufsize, flags)
        finally:
            for view in views:
                release(view)

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
            n = self._call_timed(READ, _c_recvmsg, msg, flags)
        else:
            n = _c_recvmsg(self._fd, msg, flags)
            if n < 0:
                n = self._retry(_c_recvmsg, msg, flags)
        # Never parse past the control buffer this call allocated.
        if msg.msg_controllen > ancbufsize:
            msg.msg_controllen = ancbufsize
        try:
            ancdata, damaged = parse_control(msg)
            if damaged:
                # Attributed to the caller of recvmsg()/recvmsg_into().
                _warn(MALFORMED, RuntimeWarning, stacklevel=_CALLER_OF_PUBLIC)
            address = _from_sockaddr(storage, msg.msg_namelen, self._proto)
        except BaseException:
            # Descriptors the kernel handed over must not leak.
            close_received_fds(msg)
            raise
        return n, ancdata, msg.msg_flags, address

    def sendmsg(self, buffers, ancdata=(), flags=0, address=None):
        """sendmsg(buffers[, ancdata[, flags[, address]]]) -> count

        Gather the bytes-like objects of ``buffers`` into one message with
        ancillary data items ``(level, type, data)``; the number of bytes
        sent.
        """
        msg = ffi.new("struct msghdr *")
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
        try:
            for item in items:
                try:
                    views.append(readable_buffer(item))
                except TypeError:
                    raise TypeError("sendmsg() argument 1 must be an "
                                    "iterable of bytes-like objects") \
                        from None
            control, controllen = build_control(ancdata)
            flags = c_int(flags)
            iov = _iovec(views)
            msg.msg_iov = iov
            msg.msg_iovlen = len(views)
            msg.msg_control = control
            msg.msg_controllen = controllen
            if self._timeout:
                return self._call_timed(WRITE, _c_sendmsg, msg, flags)
            sent = _c_sendmsg(self._fd, msg, flags)
            if sent < 0:
                return self._retry(_c_sendmsg, msg, flags)
            return sent
        finally:
            for view in views:
                release(view)
