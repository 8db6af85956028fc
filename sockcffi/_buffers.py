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
making one costs as much as the rest of the call's setup.

recvmmsg()/sendmmsg() take their arrays -- headers, iovecs, sender
names, control and data room for a batch -- as one :class:`BatchArrays`
from ``batch_pool`` (take_batch/give_batch).  A set is reused for any call
it has room for, so one set serves a loop whatever its counts; a call that
needs more replaces it with a bigger one.  Sets with more than
BATCH_POOLED bytes of data room are never kept, and at most BATCH_KEPT
are: on PyPy a fresh 4 MiB batch buffer (64 datagrams of 64 KiB) per call
cost 30 us a datagram in GC pressure, against ~1 us with a reused one.

Every item is popped, used by one call in one thread and pushed back once
its bytes are copied out; list.pop/append are atomic, so threads never
share one.  A call that raises just drops what it took, except recv()'s
and recvfrom()'s short paths, which give their buffer back (a "would
block" is their common failure in event loops).  Only the bytes the
kernel wrote in this call are ever copied out.
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

_MSG_TRUNC = getattr(lib, "MSG_TRUNC", 0)
_MSG_P = ffi.typeof("struct sockcffi_msg *")
_CHARS = ffi.typeof("char[]")
new_raw = ffi.new_allocator(should_clear_after_alloc=False)


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


def new_msg_kit():
    """A fresh message kit: ``(struct sockcffi_msg *, its info array, its
    control buffer, its address)``, the last three cdata into the first,
    made once per kit because each costs a cffi call.  The struct is not
    cleared: the C helpers set every field they use.  Callers pop
    ``msg_pool`` first and push the kit back (up to MSG_KEPT) when done."""
    m = new_raw(_MSG_P)
    return m, m.info, m.control, ffi.addressof(m, "name")


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
