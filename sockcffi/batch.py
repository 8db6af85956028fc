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
mmsg.py), so a batch costs a handful of cffi calls, not one per field; they
come from a pool (sockcffi._buffers take_batch/give_batch), so a batch of
large buffers costs what a batch of small ones does, and only the bytes
received are copied out (the C results loop packs them first).  What is
sent is copied into bytes before anything is exported (the messages are
converted first, the caller's code included), so no view of a caller's
buffer is ever held across the caller's code or a wait.  The system calls
go through the call seam (sockcffi.waiting).
"""
from ._args import (buffer_bytes, export_readable, readable_buffer,
                    release, release_all)
from ._args import c_int as _c_int
from ._args import ssize
from ._binding import ffi, lib
from . import _buffers
from . import addresses as _addresses
from warnings import warn as _warn

from ._socketobject import SocketType
from .ancillary import (MALFORMED, build_control, close_received_fds,
                        parse_control)
from .waiting import READ, WRITE
from .waiting import call as _seam_call

__all__ = ["recvmmsg", "sendmmsg"]

_MAX_BATCH = 1024           # UIO_MAXIOV: the kernel takes no more a call
_SOCKLEN_LIMIT = 0x7fffffff
_CMSG_ALIGN = ffi.alignof("struct cmsghdr")
_WAITFORONE = getattr(lib, "MSG_WAITFORONE", 0)
_MSG_TRUNC = getattr(lib, "MSG_TRUNC", 0)
_NULL = ffi.NULL
_unpack = ffi.unpack
_take_batch = _buffers.take_batch
_give_batch = _buffers.give_batch
_c_recvmmsg = lib.sockcffi_recvmmsg
_c_sendmmsg = lib.sockcffi_sendmmsg
_TUPLE = {tuple}
_PAIR = {2}
_BYTES = {bytes}

# Sender addresses: decoded with the same cache of AF_INET addresses as
# recvfrom() (sockcffi.addresses.decode_cached).
_decode = _addresses.decode_cached


class _Foreign:
    """Another module's socket object (the stdlib's: the functions here
    take any socket object) seen as the call seam reads a socket: its
    descriptor and timeout, read again at every use."""

    __slots__ = ("_sock",)

    def __init__(self, sock):
        self._sock = sock

    @property
    def _fd(self):
        return self._sock.fileno()

    @property
    def _timeout(self):
        return self._sock.gettimeout()


def _call(sock, events, function, m, n, flags):
    """``function(fd, m, n, flags)`` through the call seam
    (sockcffi.waiting.call): the socket's timeout rules, the EINTR retry
    (PEP 475) and the descriptor read again after every wait or
    interruption."""
    if not isinstance(sock, SocketType):
        sock = _Foreign(sock)
    return _seam_call(sock, events, function, m, n, flags)


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
    arrays = _take_batch(n, n * bufsize, n * stride)
    m = arrays.msgs
    control = arrays.control if stride else _NULL
    # MSG_TRUNC: the kernel may write less than it reports (nothing at all
    # for a stream socket), so the data room is zeroed first.
    lib.sockcffi_mmsg_recv_setup(m, arrays.iov, n, arrays.data, bufsize,
                                 arrays.names, control, stride, ancbufsize,
                                 flags & _MSG_TRUNC)
    got = _call(sock, READ, _c_recvmmsg, m, n, flags | _WAITFORONE)
    got = min(got, n)
    try:
        result = _results(sock, arrays, got, bufsize, ancbufsize)
    except BaseException:
        # Descriptors the kernel passed (SCM_RIGHTS) must not leak when
        # their message cannot be returned.
        if ancbufsize:
            for i in range(got):
                close_received_fds(*_control(m[i].msg_hdr, ancbufsize))
        raise
    _give_batch(arrays)
    return result


def _control(hdr, ancbufsize):
    """A received message's control buffer and length, never past the
    ``ancbufsize`` bytes its slot has."""
    return hdr.msg_control, min(hdr.msg_controllen, ancbufsize)


def _results(sock, arrays, got, bufsize, ancbufsize):
    if not got:
        return []
    m = arrays.msgs
    info = arrays.info
    # Lengths, flags, address lengths, same-sender marks, and the data
    # packed: message i's bytes are raw[info[4g + i]:info[4g + i + 1]],
    # never more than its bufsize slot (MSG_TRUNC reports more).
    lib.sockcffi_mmsg_results(m, got, info, arrays.data, bufsize)
    info = _unpack(info, 5 * got + 1)
    packed = info[5 * got]
    raw = _unpack(arrays.data, packed) if packed else b""
    if got == 1:
        datas = [raw]
    else:
        starts = info[4 * got:]
        datas = [raw[a:b] for a, b in zip(starts, starts[1:])]
    proto = sock.proto
    names = arrays.names
    same = info[3 * got:4 * got]
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
    """A bytes copy of a bytes-like object (exact bytes as they are);
    TypeError for anything else, as the stdlib says it."""
    if data.__class__ is bytes:
        return data
    return buffer_bytes(data)


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
        name_array = namelen_array = _NULL
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
                sa, length = _NULL, 0
            elif address is not last:
                sa, length = to_sockaddr(family, proto, address, "sendmmsg")
            last = address
            keep.append(sa)
            lengths.append(length)
        name_array = ffi.new("void *[]", keep)
        namelen_array = ffi.new("socklen_t[]", lengths)
    # Every piece is exact bytes now (copied above if it was not), so the
    # joined copy and its export are this call's own.
    joined = b"".join(pieces)
    sizes = list(map(len, pieces))
    same_len = sizes.count(sizes[0]) == n
    lens = ffi.new("size_t *", sizes[0]) if same_len \
        else ffi.new("size_t[]", sizes)
    arrays = _take_batch(n, 0)
    m = arrays.msgs
    base = readable_buffer(joined)
    try:
        if sum(sizes) != len(base):           # by construction; checked
            raise RuntimeError("sendmmsg: message lengths do not add up")
        lib.sockcffi_mmsg_send_setup(m, arrays.iov, n, base, lens, same_len,
                                     name_array, namelen_array, shared)
        sent = _call(sock, WRITE, _c_sendmmsg, m, n, flags)
    finally:
        release(base)
        del keep
    _give_batch(arrays)
    return sent


def _sendmmsg_general(sock, items, flags):
    """Messages with ancillary data: one msghdr each.  First every message
    is converted -- buffers copied to bytes, ancillary data laid out,
    addresses converted: all the caller's code runs here -- then the
    headers are set up over this call's own copies and sent."""
    family = sock.family
    proto = sock.proto
    to_sockaddr = _addresses.to_sockaddr
    messages = []
    for item in items:
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
        pieces = [_bytes_of(data) for data in buffers]
        ancdata = _items_as_bytes(ancdata)
        control, controllen = (build_control(ancdata) if ancdata
                               else (_NULL, 0))
        if address is not None:
            sa, length = to_sockaddr(family, proto, address, "sendmmsg")
        else:
            sa, length = _NULL, 0
        messages.append((pieces, control, controllen, sa, length))
    n = len(messages)
    m = ffi.new("struct mmsghdr[]", n)
    keep = []                   # cdata the kernel reads: alive until sent
    views = []                  # exports of this call's bytes
    try:
        for i, (pieces, control, controllen, sa, length) in \
                enumerate(messages):
            hdr = m[i].msg_hdr
            iov = ffi.new("struct iovec[]", max(len(pieces), 1))
            keep.append(iov)
            exported, _ = export_readable(pieces)
            views.extend(exported)
            for j, view in enumerate(exported):
                iov[j].iov_base = view
                iov[j].iov_len = len(view)
            hdr.msg_iov = iov
            hdr.msg_iovlen = len(pieces)
            if controllen:
                hdr.msg_control = control
                hdr.msg_controllen = controllen
            if length:
                hdr.msg_name = sa
                hdr.msg_namelen = length
        return _call(sock, WRITE, _c_sendmmsg, m, n, flags)
    finally:
        release_all(views)


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
