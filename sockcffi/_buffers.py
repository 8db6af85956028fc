"""Reusable C memory for the receive and message calls.

Receive buffers come from free lists instead of a fresh allocation per
call (on PyPy a 64 KiB raw allocation costs ~10 us of GC pressure): sizes
up to 64 KiB from one list of 64 KiB buffers, sizes up to 256 KiB from a
short list of 256 KiB ones -- asyncio's transports receive with
recv(256 KiB) / recvfrom(256 KiB) whatever arrives, and a fresh buffer of
that size per call made asyncio 4-6x slower on PyPy.  The large list keeps
at most LARGE_KEPT buffers, so threads blocked in big receives do not pin
memory for good.

recvmsg()/sendmsg() take a message kit -- a ``struct sockcffi_msg`` (header,
iovec, address room, results, a small control buffer; gen/bindings/
socket.py) with pointers into it -- from a list the same way: on CPython
making one costs as much as the rest of the call's setup.  recvfrom() takes
an address name (room for a sender's address), getaddrinfo() its result
arrays and getnameinfo() its text buffers from lists too.

recvmmsg()/sendmmsg() take their arrays -- headers, iovecs, sender
names, control and data room for a batch -- as one :class:`BatchArrays`
from ``batch_pool`` (take_batch/give_batch).  A set is reused for any call
it has room for, so one set serves a loop whatever its counts; a call that
needs more replaces it with a bigger one.  Sets with more than
BATCH_POOLED bytes of data room are never kept, and at most BATCH_KEPT
are: on PyPy a fresh 4 MiB batch buffer (64 datagrams of 64 KiB) per call
cost 30 us a datagram in GC pressure, against ~1 us with a reused one.

Every allocator and free list of the package is here, each kind with a
take/give pair.  Every item is popped, used by one call in one thread and
pushed back once its bytes are copied out; list.pop/append are atomic, so
threads never share one.  The hottest paths (recv, recvfrom, recvmsg,
sendmsg, numeric getaddrinfo) pop and push the lists inline: on CPython a
function call per take costs a measurable share of the call.  A call that
raises just drops what it took, except recv()'s and recvfrom()'s short
paths, which give their buffer back (a "would block" is their common
failure in event loops).  Only the bytes the kernel wrote in this call are
ever copied out.
"""
from ._args import receive_size
from ._binding import ffi, lib

__all__ = []

SMALL = lib.SOCKCFFI_RECV_SMALL           # 64 KiB
POOLED = 262144
LARGE_KEPT = 4
MSG_KEPT = 16
BATCH_KEPT = 4
# 64 datagrams of 64 KiB, the natural recvmmsg() of UDP.
BATCH_POOLED = 1 << 22
# The fewest slots a new batch set gets (so that a loop receiving "what is
# left of 64" does not make a set per count).
BATCH_MIN_SLOTS = 64
# Bytes of ancillary data a message kit holds itself.
MSG_CONTROL = lib.SOCKCFFI_MSG_CONTROL

small_pool = []
large_pool = []
msg_pool = []
batch_pool = []
name_pool = []
addrinfo_pool = []
nameinfo_pool = []
# inet_pton(AF_INET6)'s output buffers and IPv6 formatting's wide-character
# buffers (sockcffi.inet, sockcffi.ipaddr pop and push them inline).
packed6_pool = []
wide_pool = []
WIDE_KEPT = 8
PACKED6 = ffi.typeof("char[16]")
WIDE = ffi.typeof("wchar_t[%d]" % lib.INET6_ADDRSTRLEN)

_MSG_TRUNC = getattr(lib, "MSG_TRUNC", 0)
_MSG_P = ffi.typeof("struct sockcffi_msg *")
_CHARS = ffi.typeof("char[]")
_STORAGE_P = ffi.typeof("struct sockaddr_storage *")
_SOCKLEN_P = ffi.typeof("socklen_t *")
_KEY_P = ffi.typeof("uint64_t *")
new_raw = ffi.new_allocator(should_clear_after_alloc=False)


def _taker(pool, make):
    """The take of a free list: an item from ``pool``, or ``make()``."""
    def take():
        try:
            return pool.pop()
        except IndexError:
            return make()
    return take


def new_small():
    """A fresh buffer for ``small_pool`` (SMALL bytes), for a short path
    that found the list empty (the short paths pop and push it inline)."""
    return new_raw(_CHARS, SMALL)


def receive_buffer(bufsize, flags):
    """A fresh buffer of ``bufsize`` bytes for one receive call: zeroed
    when MSG_TRUNC may leave part of it unwritten (TCP discards with
    MSG_TRUNC and writes nothing)."""
    if flags & _MSG_TRUNC:
        return ffi.new(_CHARS, bufsize)
    return new_raw(_CHARS, bufsize)


def take_buffer(bufsize, flags, negative_message):
    """A buffer for one receive of ``bufsize`` (an exact int) bytes, and
    the free list it goes back to (None: it is this call's own).  MSG_TRUNC
    receives never get a pooled buffer."""
    if 0 < bufsize <= POOLED and not flags & _MSG_TRUNC:
        pool = small_pool if bufsize <= SMALL else large_pool
        try:
            return pool.pop(), pool
        except IndexError:
            return new_raw(_CHARS,
                           SMALL if pool is small_pool else POOLED), pool
    receive_size(bufsize, negative_message)
    return receive_buffer(bufsize, flags), None


def give_back(buf, pool):
    """Return a buffer from :func:`take_buffer` to its list."""
    if pool is small_pool or (pool is not None and len(pool) < LARGE_KEPT):
        pool.append(buf)


class MsgKit:
    """A message kit: ``msg`` (a ``struct sockcffi_msg *``) and cdata into
    it, made once per kit because each costs a cffi call: ``info`` (its
    results array), ``control`` (its control buffer) and ``name`` (its
    address room).  The struct is not cleared: the C helpers set every
    field they use."""

    __slots__ = ("msg", "info", "control", "name")

    def __init__(self):
        m = self.msg = new_raw(_MSG_P)
        self.info = m.info
        self.control = m.control
        self.name = ffi.addressof(m, "name")


take_kit = _taker(msg_pool, MsgKit)


def give_kit(kit):
    """Keep a kit from :func:`take_kit` (up to MSG_KEPT)."""
    if len(msg_pool) < MSG_KEPT:
        msg_pool.append(kit)


class AddressName:
    """Room for the kernel to write a sender's address: ``storage`` (a
    ``struct sockaddr_storage *``), ``length`` (a ``socklen_t *``, set by
    the caller) and ``key``, a ``uint64_t *`` over the storage's first 8
    bytes -- family, port and address for AF_INET -- read as one integer
    (sockcffi.addresses.decode_cached keeps decoded addresses by it)."""

    __slots__ = ("storage", "length", "key")

    def __init__(self):
        storage = self.storage = new_raw(_STORAGE_P)
        self.length = new_raw(_SOCKLEN_P)
        self.key = ffi.cast(_KEY_P, storage)


take_name = _taker(name_pool, AddressName)


give_name = name_pool.append


class AddrinfoArrays:
    """getaddrinfo()'s result room for ``records`` results: ``out`` (the
    ``struct sockcffi_ai_out *`` the C call fills), its records as a
    buffer (``records``), its addresses as cdata and as a buffer
    (``addrs``, ``addr_bytes``) and ``canon`` bytes of canonical names."""

    __slots__ = ("out", "records", "addrs", "addr_bytes", "canon")

    def __init__(self, records, canon_size):
        recs = new_raw("struct sockcffi_ai[]", records)
        addrs = new_raw("struct sockaddr_storage[]", records)
        canon = new_raw(_CHARS, canon_size)
        out = ffi.new("struct sockcffi_ai_out *")
        out.recs, out.addrs, out.n = recs, addrs, records
        out.canon, out.canon_size = canon, canon_size
        self.out = out
        self.records = ffi.buffer(recs)
        self.addrs = addrs
        self.addr_bytes = ffi.buffer(addrs)
        self.canon = canon


# The pooled getaddrinfo() room: results and canonical-name bytes.
ADDRINFO_RECORDS = 16
ADDRINFO_CANON = 2048


def _new_addrinfo():
    return AddrinfoArrays(ADDRINFO_RECORDS, ADDRINFO_CANON)


take_addrinfo = _taker(addrinfo_pool, _new_addrinfo)


give_addrinfo = addrinfo_pool.append


class NameinfoBuffers:
    """getnameinfo()'s room: ``host`` and ``service`` text buffers
    (NI_MAXHOST and NI_MAXSERV bytes), ``error`` (an ``int *`` for the
    C helpers' gai error code), and a sockaddr ``storage`` with its
    ``length``."""

    __slots__ = ("host", "service", "error", "storage", "length")

    def __init__(self):
        self.host = new_raw(_CHARS, lib.NI_MAXHOST)
        self.service = new_raw(_CHARS, lib.NI_MAXSERV)
        self.error = ffi.new("int *")
        self.storage = ffi.new(_STORAGE_P)
        self.length = ffi.new(_SOCKLEN_P)


take_nameinfo = _taker(nameinfo_pool, NameinfoBuffers)


give_nameinfo = nameinfo_pool.append


class BatchArrays:
    """The C arrays of one recvmmsg()/sendmmsg() call, for up to ``slots``
    messages: ``msgs`` (struct mmsghdr[]), ``iov`` (struct iovec[]),
    ``names`` (struct sockaddr_storage[]), ``info`` (long long[5 * slots
    + 1], the results) and ``size`` bytes of data room at ``data`` and
    ``control_size`` bytes of control room at ``control`` (NULL when 0).
    Not cleared: the C setup fills what the kernel reads, and only what
    the kernel wrote in this call is read back."""

    __slots__ = ("slots", "size", "control_size", "msgs", "iov", "names",
                 "info", "data", "control")

    def __init__(self, slots, size, control_size):
        self.slots = slots
        self.size = size
        self.control_size = control_size
        self.msgs = new_raw("struct mmsghdr[]", slots)
        self.iov = new_raw("struct iovec[]", slots)
        self.names = new_raw("struct sockaddr_storage[]", slots)
        self.info = new_raw("long long[]", 5 * slots + 1)
        self.data = new_raw(_CHARS, size) if size else ffi.NULL
        self.control = (new_raw(_CHARS, control_size) if control_size
                        else ffi.NULL)


def take_batch(slots, size, control_size=0):
    """Arrays for a batch call of ``slots`` messages with ``size`` bytes of
    data room and ``control_size`` of control room: a kept set if it has
    the room, else a new one (with at least the kept one's room, so a loop
    settles on one set).  Give it back with :func:`give_batch`."""
    try:
        kept = batch_pool.pop()
    except IndexError:
        return BatchArrays(max(slots, BATCH_MIN_SLOTS), size, control_size)
    if (slots <= kept.slots and size <= kept.size
            and control_size <= kept.control_size):
        return kept
    if size + control_size > BATCH_POOLED:
        # A one-off set (never kept): the kept one stays for the next call.
        give_batch(kept)
        return BatchArrays(slots, size, control_size)
    return BatchArrays(max(slots, kept.slots, BATCH_MIN_SLOTS),
                       max(size, kept.size),
                       max(control_size, kept.control_size))


def give_batch(arrays):
    """Keep a set from :func:`take_batch` for the next batch call (a call
    that raised just drops its set)."""
    if (arrays.size + arrays.control_size <= BATCH_POOLED
            and len(batch_pool) < BATCH_KEPT):
        batch_pool.append(arrays)
