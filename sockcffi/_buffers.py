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

Every item is popped, used by one call in one thread and pushed back once
its bytes are copied out; list.pop/append are atomic, so threads never
share one.  A call that raises just drops what it took.  Only the bytes the
kernel wrote in this call are ever copied out.
"""
from ._args import receive_size
from ._binding import ffi, lib

__all__ = []

SMALL = lib.SOCKCFFI_RECV_SMALL           # 64 KiB
POOLED = 262144
LARGE_KEPT = 4
MSG_KEPT = 16
# Bytes of ancillary data a message kit holds itself.
MSG_CONTROL = lib.SOCKCFFI_MSG_CONTROL

small_pool = []
large_pool = []
msg_pool = []

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
