"""recvmsg()/recvmsg_into()/sendmsg(): scatter/gather I/O with ancillary
data, a mixin of :class:`sockcffi._socketobject.SocketType`.

The same rules hold as for the other socket methods: every buffer is a view
whose own length goes into the ``iovec`` and which is released when the
call ends; the data copied out is bounded by the buffer this call
allocated (``MSG_TRUNC`` reports more); the control buffer is parsed only
as far as this call allocated it, and descriptors received in it are
closed if anything fails after the kernel handed them over.

The header is set up, and a received message's control data walked, by C
helpers (``sockcffi_recvmsg``/``sockcffi_sendmsg``, gen/bindings/socket.py)
on a pooled message kit (sockcffi._buffers): on CPython each cdata
operation saved is worth more than the Python around it.
"""
from warnings import warn as _warn

from . import addresses as _addresses
from ._args import NO_FLAGS as _NO_FLAGS
from ._args import (c_int, export_readable, release, release_all,
                    ssize, stable_buffer, writable_buffer)
from ._buffers import MSG_CONTROL as _MSG_CONTROL, MSG_KEPT as _KITS_KEPT
from ._buffers import MsgKit as _new_kit, POOLED as _POOLED
from ._buffers import give_back as _give_back, msg_pool as _msg_pool
from ._buffers import new_raw as _new_raw, take_buffer as _take_buffer
from ._binding import ffi, lib
from .ancillary import (MALFORMED, build_control, close_received_fds,
                        parse_control, received_items)
from .waiting import READ, WRITE

__all__ = []

_unpack, _NULL = ffi.unpack, ffi.NULL
_c_recvmsg, _c_sendmsg = lib.sockcffi_recvmsg, lib.sockcffi_sendmsg
_CHARS = ffi.typeof("char[]")
# Message kits: take_kit/give_kit of sockcffi._buffers, inline here (the
# hot paths).
_kit_pop, _kit_push = _msg_pool.pop, _msg_pool.append
_ANCBUF_MAX = 0x7fffffff
# sendmsg()'s default ancdata: the call skips building control data.
_NO_ANCDATA = ()
_from_sockaddr = _addresses.from_sockaddr
# stacklevel of a warning issued in a private helper that the public
# method calls directly: helper <- public method <- caller.
_CALLER_OF_PUBLIC = 3

# struct sockcffi_msg's info[] after a receive (gen/bindings/socket.py):
# the header values, then four per control message.  The first
# _INFO_COMMON values cover a message with at most one control message,
# the usual case; more are read only when there are more.
_NAMELEN = lib.SOCKCFFI_INFO_NAMELEN
_FLAGS = lib.SOCKCFFI_INFO_FLAGS
_CONTROLLEN = lib.SOCKCFFI_INFO_CONTROLLEN
_ITEMS = lib.SOCKCFFI_INFO_ITEMS
_DAMAGED = lib.SOCKCFFI_INFO_DAMAGED
_FIRST_ITEM = lib.SOCKCFFI_INFO_FIRST_ITEM
_PER_ITEM = lib.SOCKCFFI_INFO_PER_ITEM
_INFO_COMMON = _FIRST_ITEM + _PER_ITEM


def _iovec(views):
    """A ``struct iovec[]`` over buffer views, each length the view's."""
    iov = ffi.new("struct iovec[]", max(len(views), 1))
    for i, view in enumerate(views):
        iov[i].iov_base = view
        iov[i].iov_len = len(view)
    return iov


def _into_view(item):
    try:
        return writable_buffer(item)
    except TypeError:
        raise TypeError("recvmsg_into() argument 1 must be an iterable of "
                        "single-segment read-write buffers") from None


def _recvmsg_into_views(fd, m, buf, bufsize, items, iovlen, control,
                        ancbufsize, flags):
    """recvmsg_into()'s system call in timeout mode: the buffers' views are
    taken here, after the wait, and released when it returns."""
    views = []
    try:
        for item in items:
            views.append(_into_view(item))
        return _c_recvmsg(fd, m, buf, bufsize, _iovec(views), len(views),
                          control, ancbufsize, flags)
    finally:
        release_all(views)


class MessageCalls:
    """The message-level system calls of the socket object."""

    __slots__ = ()

    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        """recvmsg(bufsize[, ancbufsize[, flags]])
        -> (data, ancdata, msg_flags, address)

        Receive up to ``bufsize`` bytes and up to ``ancbufsize`` bytes of
        ancillary data, returned as a list of (level, type, data) tuples.
        """
        # Plain ints in the usual ranges need no converter (each is still
        # converted before the next argument is looked at).
        if bufsize.__class__ is not int or not 0 <= bufsize <= _POOLED:
            bufsize = ssize(bufsize)
        if (ancbufsize.__class__ is not int
                or not 0 <= ancbufsize <= _ANCBUF_MAX):
            ancbufsize = ssize(ancbufsize)
        if flags is not _NO_FLAGS:
            flags = c_int(flags)
        buf, pool = _take_buffer(bufsize, flags,
                                 "negative buffer size in recvmsg()")
        n, ancdata, msg_flags, address = self._recvmsg(
            buf, bufsize, _NULL, 0, ancbufsize, flags)
        data = _unpack(buf, n if n <= bufsize else bufsize)
        _give_back(buf, pool)
        return data, ancdata, msg_flags, address

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
        if self._timeout:
            # Checked now; the views are taken after the wait
            # (_recvmsg_into_views): PyPy lets an exported bytearray be
            # resized, and the kernel would write into freed memory.
            for item in items:
                release(_into_view(item))
            return self._recvmsg(_NULL, 0, items, len(items), ancbufsize,
                                 flags, _recvmsg_into_views)
        views = []
        try:
            for item in items:
                views.append(_into_view(item))
            return self._recvmsg(_NULL, 0, _iovec(views), len(views),
                                 ancbufsize, flags)
        finally:
            release_all(views)

    def _recvmsg(self, buf, bufsize, iov, iovlen, ancbufsize, flags,
                 function=_c_recvmsg):
        """One recvmsg() into buf/bufsize or, when iov is not NULL, the
        iovlen buffers of iov (``function`` in timeout mode: a list of
        buffers that _recvmsg_into_views exports after the wait)."""
        if ancbufsize < 0 or ancbufsize > _ANCBUF_MAX:
            raise ValueError("invalid ancillary data buffer length")
        try:
            kit = _kit_pop()
        except IndexError:
            kit = _new_kit()
        m = kit.msg
        # NULL: the kit's own control buffer.
        if ancbufsize > _MSG_CONTROL:
            control = c_control = _new_raw(_CHARS, ancbufsize)
        else:
            control = kit.control
            c_control = _NULL
        if self._timeout:
            n = self._call_timed(READ, function, m, buf, bufsize, iov,
                                 iovlen, c_control, ancbufsize, flags)
        else:
            n = _c_recvmsg(self._fd, m, buf, bufsize, iov, iovlen, c_control,
                           ancbufsize, flags)
            if n < 0:
                n = self._retry(_c_recvmsg, m, buf, bufsize, iov, iovlen,
                                c_control, ancbufsize, flags)
        info = _unpack(kit.info, _INFO_COMMON)
        # Never past the control buffer this call has (the helper clamps
        # what the kernel reports).
        controllen = info[_CONTROLLEN]
        if controllen:
            try:
                count = info[_ITEMS]
                if count < 0:           # more items than the kit reports
                    ancdata, damaged = parse_control(control, controllen)
                else:
                    raw = _unpack(control, controllen)
                    if count == 1:      # the usual case, written out
                        start = info[_FIRST_ITEM + 2]
                        ancdata = [(info[_FIRST_ITEM], info[_FIRST_ITEM + 1],
                                    raw[start:start + info[_FIRST_ITEM + 3]])]
                    else:
                        info = _unpack(kit.info,
                                       _FIRST_ITEM + _PER_ITEM * count)
                        ancdata = received_items(info, _FIRST_ITEM, count,
                                                 raw)
                    damaged = info[_DAMAGED]
                if damaged:
                    # Attributed to the caller of recvmsg()/recvmsg_into().
                    _warn(MALFORMED, RuntimeWarning,
                          stacklevel=_CALLER_OF_PUBLIC)
                namelen = info[_NAMELEN]
                address = (_from_sockaddr(kit.name, namelen, self._proto)
                           if namelen else None)
            except BaseException:
                # Descriptors the kernel handed over must not leak.
                close_received_fds(control, controllen)
                raise
        else:
            ancdata = []
            namelen = info[_NAMELEN]
            address = (_from_sockaddr(kit.name, namelen, self._proto)
                       if namelen else None)
        if len(_msg_pool) < _KITS_KEPT:
            _kit_push(kit)
        return n, ancdata, info[_FLAGS], address

    def sendmsg(self, buffers, ancdata=_NO_ANCDATA, flags=0, address=None):
        """sendmsg(buffers[, ancdata[, flags[, address]]]) -> count

        Gather the bytes-like objects of ``buffers`` into one message with
        ancillary data items ``(level, type, data)``; the number of bytes
        sent.
        """
        # Every argument is converted (the caller's code runs here) before
        # any buffer is exported: the views are taken right before the
        # system call, after the wait in timeout mode (_sendmsg_views).
        if address is not None:
            name, namelen = _addresses.to_sockaddr(
                self._family, self._proto, address, "sendmsg")
        else:
            name, namelen = _NULL, 0
        try:
            items = list(buffers)
        except TypeError:
            raise TypeError("sendmsg() argument 1 must be an "
                            "iterable") from None
        if len(items) == 1 and items[0].__class__ is bytes:
            buf = items[0]      # its own buffer: len() is the buffer's
            sources = None
        else:
            try:
                sources = [stable_buffer(item) for item in items]
            except TypeError:
                raise TypeError(_BUFFERS_ERROR) from None
        try:
            kit = _kit_pop()
        except IndexError:
            kit = _new_kit()
        if ancdata is _NO_ANCDATA:
            control, controllen = _NULL, 0
        else:
            control, controllen = build_control(ancdata, kit.control)
        if flags is not _NO_FLAGS:
            flags = c_int(flags)
        m = kit.msg
        if sources is None:
            if self._timeout:
                sent = self._call_timed(WRITE, _c_sendmsg, m, buf, len(buf),
                                        _NULL, 0, name, namelen, control,
                                        controllen, flags)
            else:
                sent = _c_sendmsg(self._fd, m, buf, len(buf), _NULL, 0, name,
                                  namelen, control, controllen, flags)
                if sent < 0:
                    sent = self._retry(_c_sendmsg, m, buf, len(buf), _NULL,
                                       0, name, namelen, control,
                                       controllen, flags)
        elif self._timeout:
            sent = self._call_timed(WRITE, _sendmsg_views, m, sources, name,
                                    namelen, control, controllen, flags)
        else:
            sent = _sendmsg_views(self._fd, m, sources, name, namelen,
                                  control, controllen, flags)
            if sent < 0:
                sent = self._retry(_sendmsg_views, m, sources, name, namelen,
                                   control, controllen, flags)
        if len(_msg_pool) < _KITS_KEPT:
            _kit_push(kit)
        return sent


_BUFFERS_ERROR = ("sendmsg() argument 1 must be an iterable of bytes-like "
                  "objects")


def _sendmsg_views(fd, m, sources, name, namelen, control, controllen,
                   flags):
    """One sendmsg() of the buffers ``sources`` (from stable_buffer()):
    their views are taken here, right before the system call, and released
    when it returns."""
    views, _ = export_readable(sources, _BUFFERS_ERROR)
    try:
        if len(views) == 1:
            view = views[0]
            return _c_sendmsg(fd, m, view, len(view), _NULL, 0, name,
                              namelen, control, controllen, flags)
        return _c_sendmsg(fd, m, _NULL, 0, _iovec(views), len(views), name,
                          namelen, control, controllen, flags)
    finally:
        release_all(views)
