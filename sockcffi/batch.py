"""Batched datagram I/O: ``recvmmsg`` and ``sendmmsg``.

Both take the socket object first; they are methods of the socket class
where the C library has the calls (like the stdlib's optional methods, they
are absent elsewhere), and this module is imported on their first use
(sockcffi/_socketobject.py).

``recvmmsg(count, bufsize, ancbufsize=0, flags=0)`` returns up to ``count``
``(data, ancdata, msg_flags, address)`` tuples, each what ``recvmsg`` would
return.  The socket's timeout rules hold for the first datagram: blocking
mode waits for it (then takes what else is ready: MSG_WAITFORONE), timeout
mode waits at most the timeout, non-blocking mode raises BlockingIOError
when nothing is queued.

``sendmmsg(messages, flags=0)`` sends a batch and returns how many messages
went: each is a bytes-like object (connected socket), ``(data, address)``
or ``(buffers, ancdata, address)`` (address None when connected).  A count
below ``len(messages)`` is a partial send: the rest were not sent.

The arrays for the kernel are laid out by small C loops (gen/bindings/
mmsg.py), so a batch costs a handful of cffi calls, not one per field.
"""
import os
from errno import EAGAIN, EBADF, EINTR, EWOULDBLOCK
from time import monotonic

from . import addresses as _addresses
from ._args import c_int as _c_int
from ._args import ssize
from ._binding import ffi, lib
from warnings import warn as _warn

from .ancillary import (MALFORMED, build_control, close_received_fds,
                        parse_control)
from .errors import from_errno
from .waiting import READ, WRITE, wait

__all__ = ["recvmmsg", "sendmmsg"]

_MAX_BATCH = 1024           # UIO_MAXIOV: the kernel takes no more a call
_SOCKLEN_LIMIT = 0x7fffffff
_new_raw = ffi.new_allocator(should_clear_after_alloc=False)
_CMSG_ALIGN = ffi.alignof("struct cmsghdr")
_WAITFORONE = getattr(lib, "MSG_WAITFORONE", 0)
_MSG_TRUNC = getattr(lib, "MSG_TRUNC", 0)
# Small receive buffers are copied out in one piece and sliced.
_SLICE_LIMIT = 2048
# Arrays kept between calls: shapes, sets per shape, bytes per set.
_recv_pool = {}
_send_pool = {}
_POOL_SHAPES = 8
_POOL_SETS = 4
_POOL_BYTES = 1 << 18
_TUPLE = {tuple}
_PAIR = {2}
_BYTES = {bytes}

# Sender addresses: decoded with the same cache of AF_INET addresses as
# recvfrom() (sockcffi.addresses.decode_cached).
_decode = _addresses.decode_cached


def _closed():
    return OSError(EBADF, os.strerror(EBADF))


def _call(sock, events, function, m, n, flags):
    """``function(fd, m, n, flags)`` under the socket's timeout rules,
    retrying EINTR (PEP 475); the descriptor is read again after every
    wait or interruption, so a socket closed meanwhile gives EBADF."""
    timeout = sock.gettimeout()
    fd = sock.fileno()
    if not timeout:                 # blocking (None) or non-blocking (0.0)
        while True:
            result = function(fd, m, n, flags)
            if result >= 0:
                return result
            err = ffi.errno
            if err != EINTR:
                raise from_errno(err)
            fd = sock.fileno()
            if fd < 0:
                raise _closed()
    deadline = monotonic() + timeout
    while True:
        wait(fd, events, deadline)
        fd = sock.fileno()
        if fd < 0:
            raise _closed()
        result = function(fd, m, n, flags)
        if result >= 0:
            return result
        err = ffi.errno
        if err != EINTR and err != EAGAIN and err != EWOULDBLOCK:
            raise from_errno(err)


# --- receiving ---------------------------------------------------------------

def recvmmsg(sock, count, bufsize, ancbufsize=0, flags=0):
    """recvmmsg(count, bufsize[, ancbufsize[, flags]])
    -> list of (data, ancdata, msg_flags, address)

    Receive up to ``count`` datagrams (at most 1024, the kernel's limit per
    call), each of up to ``bufsize`` bytes with up to ``ancbufsize`` bytes
    of ancillary data, in one system call.
    """
    count = ssize(count)
    bufsize = ssize(bufsize)
    ancbufsize = ssize(ancbufsize)
    flags = _c_int(flags)
    if count <= 0:
        raise ValueError("recvmmsg() count must be positive")
    if bufsize < 0:
        raise ValueError("negative buffer size in recvmmsg()")
    if ancbufsize < 0 or ancbufsize > _SOCKLEN_LIMIT:
        raise ValueError("invalid ancillary data buffer length")
    n = min(count, _MAX_BATCH)
    stride = 0
    if ancbufsize:
        stride = -(-ancbufsize // _CMSG_ALIGN) * _CMSG_ALIGN
    key = (n, bufsize, stride)
    if flags & _MSG_TRUNC:
        # The kernel may write less than it reports (nothing at all for a
        # stream socket): a zeroed buffer, never a pooled one.
        arrays = _recv_arrays(n, bufsize, stride, ffi.new)
    else:
        try:
            arrays = _recv_pool[key].pop()
        except (KeyError, IndexError):
            arrays = _recv_arrays(n, bufsize, stride)
    buf, names, control, m, iov, info = arrays
    lib.sockcffi_mmsg_recv_setup(m, iov, n, buf, bufsize, names, control,
                                 stride, ancbufsize)
    got = _call(sock, READ, lib.sockcffi_recvmmsg, m, n,
                flags | _WAITFORONE)
    got = min(got, n)
    try:
        result = _results(sock, m, got, buf, bufsize, names, ancbufsize,
                          info)
    except BaseException:
        # Descriptors the kernel passed (SCM_RIGHTS) must not leak when
        # their message cannot be returned.
        if ancbufsize:
            for i in range(got):
                close_received_fds(*_control(m[i].msg_hdr, ancbufsize))
        raise
    if not flags & _MSG_TRUNC:
        _recycle(_recv_pool, key, arrays, n * (bufsize + stride))
    return result


def _recv_arrays(n, bufsize, stride, new_buffer=None):
    """The arrays one recvmmsg() call of n slots needs (not cleared: the C
    setup fills what the kernel reads; ``new_buffer`` allocates the data
    buffer when it must be)."""
    return ((new_buffer or _new_raw)("char[]", max(n * bufsize, 1)),
            _new_raw("struct sockaddr_storage[]", n),
            _new_raw("char[]", n * stride) if stride else ffi.NULL,
            _new_raw("struct mmsghdr[]", n),
            _new_raw("struct iovec[]", n),
            _new_raw("long long[]", 4 * n))


def _recycle(pool, key, arrays, size):
    """Keep a call's arrays for the next call of the same shape (raw
    allocations are costly on PyPy).  Bounded: a few shapes, a few sets
    each, small buffers only.  A call that raised drops its arrays."""
    if size > _POOL_BYTES:
        return
    sets = pool.get(key)
    if sets is None:
        if len(pool) >= _POOL_SHAPES:
            pool.clear()
        sets = pool[key] = []
    if len(sets) < _POOL_SETS:
        sets.append(arrays)


def _control(hdr, ancbufsize):
    """A received message's control buffer and length, never past the
    ``ancbufsize`` bytes its slot has."""
    return hdr.msg_control, min(hdr.msg_controllen, ancbufsize)


def _results(sock, m, got, buf, bufsize, names, ancbufsize, info):
    if not got:
        return []
    lib.sockcffi_mmsg_results(m, got, info)
    info = ffi.unpack(info, 4 * got)
    lens = info[:got]
    if max(lens) > bufsize:
        # MSG_TRUNC reports the full length: copy no more than bufsize.
        lens = [n if n <= bufsize else bufsize for n in lens]
    offsets = range(0, got * bufsize, bufsize)
    if bufsize <= _SLICE_LIMIT:
        raw = ffi.buffer(buf, got * bufsize)[:]
        datas = [raw[o:o + n] for o, n in zip(offsets, lens)]
    else:
        datas = [ffi.unpack(buf + o, n) for o, n in zip(offsets, lens)]
    proto = sock.proto
    same = info[3 * got:]
    if same.count(0) == 1:                  # one sender for the batch
        addrs = [_decode(names + 0, info[2 * got], proto)] * got
    else:
        addrs = []
        address = None
        for i in range(got):
            if not same[i]:
                address = _decode(names + i, info[2 * got + i], proto)
            addrs.append(address)
    if ancbufsize:
        ancs = []
        damaged = False
        for i in range(got):
            items, bad = parse_control(*_control(m[i].msg_hdr, ancbufsize))
            ancs.append(items)
            damaged = damaged or bad
        if damaged:
            # _results <- recvmmsg <- its caller
            _warn(MALFORMED, RuntimeWarning, stacklevel=3)
    else:
        ancs = [[] for _ in range(got)]
    return list(zip(datas, ancs, info[got:2 * got], addrs))


# --- sending -----------------------------------------------------------------

def _bytes_of(data):
    """A bytes copy of a bytes-like object (its buffer export released at
    once); TypeError for anything else, as the stdlib says it."""
    if data.__class__ is bytes:
        return data
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        view = ffi.from_buffer(data)
    except TypeError:
        raise TypeError("a bytes-like object is required, not '%s'"
                        % type(data).__name__) from None
    try:
        return ffi.buffer(view)[:]
    finally:
        ffi.release(view)


def _message_error(item):
    return TypeError("sendmmsg() messages must be bytes-like objects, "
                     "(data, address) or (buffers, ancdata, address) "
                     "tuples, not %s" % type(item).__name__)


def sendmmsg(sock, messages, flags=0):
    """sendmmsg(messages[, flags]) -> count

    Send a batch of datagrams in one system call: each message is a
    bytes-like object (connected socket), ``(data, address)`` or
    ``(buffers, ancdata, address)``.  Returns how many were sent; fewer
    than given is a partial send (at most 1024 go in one call).
    """
    try:
        items = list(messages)
    except TypeError:
        raise TypeError("sendmmsg() argument 1 must be an iterable") \
            from None
    flags = _c_int(flags)
    if len(items) > _MAX_BATCH:
        items = items[:_MAX_BATCH]
    n = len(items)
    if not n:
        return 0
    kinds = set(map(type, items))
    if kinds == _TUPLE:
        shapes = set(map(len, items))
        if 3 in shapes:
            return _sendmmsg_general(sock, items, flags)
        pairs = shapes == _PAIR
    else:
        if tuple in kinds and any(item.__class__ is tuple and len(item) == 3
                                  for item in items):
            return _sendmmsg_general(sock, items, flags)
        pairs = False
    family = sock.family
    proto = sock.proto
    to_sockaddr = _addresses.to_sockaddr
    if pairs:
        # All (data, address): columns by comprehension, no Python-level
        # branch per message.
        pieces = [item[0] for item in items]
        targets = [item[1] for item in items]
        if set(map(type, pieces)) != _BYTES:
            pieces = [_bytes_of(data) for data in pieces]
    else:
        pieces = []
        targets = []
        for item in items:
            if item.__class__ is tuple:
                if len(item) != 2:
                    raise _message_error(item)
                data, address = item
            elif isinstance(item, (tuple, list)):
                raise _message_error(item)
            else:
                data = item
                address = None
            pieces.append(data if data.__class__ is bytes
                          else _bytes_of(data))
            targets.append(address)
    first = targets[0]
    shared = targets.count(first) == n
    if shared and first is None:
        name_array = namelen_array = ffi.NULL
        keep = None
    elif shared:
        keep, length = to_sockaddr(family, proto, first, "sendmmsg")
        name_array = ffi.new("void *[]", [keep])
        namelen_array = ffi.new("socklen_t[]", [length])
    else:
        keep = []
        lengths = []
        last = sa = None
        length = 0
        for address in targets:
            if address is None:
                sa, length = ffi.NULL, 0
            elif address is not last:
                sa, length = to_sockaddr(family, proto, address, "sendmmsg")
            last = address
            keep.append(sa)
            lengths.append(length)
        name_array = ffi.new("void *[]", keep)
        namelen_array = ffi.new("socklen_t[]", lengths)
    joined = b"".join(pieces)
    sizes = list(map(len, pieces))
    same_len = sizes.count(sizes[0]) == n
    lens = ffi.new("size_t *", sizes[0]) if same_len \
        else ffi.new("size_t[]", sizes)
    try:
        arrays = _send_pool[n].pop()
    except (KeyError, IndexError):
        arrays = (_new_raw("struct mmsghdr[]", n),
                  _new_raw("struct iovec[]", n))
    m, iov = arrays
    base = ffi.from_buffer(joined)
    try:
        if sum(sizes) != len(base):           # by construction; checked
            raise RuntimeError("sendmmsg: message lengths do not add up")
        lib.sockcffi_mmsg_send_setup(m, iov, n, base, lens, same_len,
                                     name_array, namelen_array, shared)
        sent = _call(sock, WRITE, lib.sockcffi_sendmmsg, m, n, flags)
    finally:
        ffi.release(base)
        del keep
    _recycle(_send_pool, n, arrays, 0)
    return sent


def _sendmmsg_general(sock, items, flags):
    """Messages with ancillary data: one msghdr each, set up here."""
    n = len(items)
    family = sock.family
    proto = sock.proto
    m = ffi.new("struct mmsghdr[]", n)
    keep = []                   # cdata the kernel reads: alive until sent
    exports = []                # from_buffer views: released at the end
    try:
        for i, item in enumerate(items):
            if item.__class__ is tuple and len(item) == 3:
                buffers, ancdata, address = item
                try:
                    buffers = list(buffers)
                except TypeError:
                    raise TypeError("sendmmsg() buffers must be an "
                                    "iterable of bytes-like objects") \
                        from None
            elif item.__class__ is tuple and len(item) == 2:
                buffers, ancdata, address = [item[0]], (), item[1]
            elif isinstance(item, (tuple, list)):
                raise _message_error(item)
            else:
                buffers, ancdata, address = [item], (), None
            hdr = m[i].msg_hdr
            iov = ffi.new("struct iovec[]", max(len(buffers), 1))
            keep.append(iov)
            for j, data in enumerate(buffers):
                if isinstance(data, str):
                    raise TypeError("a bytes-like object is required, "
                                    "not 'str'")
                try:
                    view = ffi.from_buffer(data)
                except TypeError:
                    raise TypeError("a bytes-like object is required, not "
                                    "'%s'" % type(data).__name__) from None
                exports.append(view)
                iov[j].iov_base = view
                iov[j].iov_len = len(view)
            hdr.msg_iov = iov
            hdr.msg_iovlen = len(buffers)
            ancdata = _items_as_bytes(ancdata)
            if ancdata:
                control, controllen = build_control(ancdata)
                keep.append(control)
                hdr.msg_control = control
                hdr.msg_controllen = controllen
            if address is not None:
                sa, length = _addresses.to_sockaddr(family, proto, address,
                                                    "sendmmsg")
                keep.append(sa)
                hdr.msg_name = sa
                hdr.msg_namelen = length
        return _call(sock, WRITE, lib.sockcffi_sendmmsg, m, n, flags)
    finally:
        for view in exports:
            ffi.release(view)


def _items_as_bytes(ancdata):
    """sendmsg()-style ancillary items with their data copied to bytes, so
    that no export of the caller's buffers outlives this call."""
    try:
        items = list(ancdata)
    except TypeError:
        raise TypeError("sendmmsg() ancdata must be an iterable") from None
    out = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 3:
            raise TypeError("sendmmsg() ancillary data items must be "
                            "(int, int, bytes-like object) tuples, not %s"
                            % type(item).__name__)
        level, kind, data = item
        out.append((level, kind, _bytes_of(data)))
    return out
