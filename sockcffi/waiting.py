"""The one place a socket in timeout mode waits.

A socket with a timeout has O_NONBLOCK set on its descriptor; before each
system call that could block, the socket methods call :func:`wait` to poll
the descriptor until it is ready or the deadline passes (the idea of PyPy's
rsocket and of CPython's ``sock_call_ex``).

Deadlines are ``time.monotonic()`` values fixed once per method call, so a
retry after EINTR, or after a spurious wake-up followed by EAGAIN, waits only
for what is left.  A poll() interrupted by a signal is retried from a Python
loop: the interpreter runs the Python-level signal handler on the way round,
so an exception raised by the handler propagates out of the socket method
(PEP 475).
"""
from errno import EINTR
from math import ceil
from time import monotonic

from ._binding import ffi, lib
from .errors import from_errno, timed_out

__all__ = []

READ = lib.POLLIN
WRITE = lib.POLLOUT
CONNECT = lib.POLLOUT | lib.POLLERR

_INT_MAX = 2 ** 31 - 1


def wait(fd, events, deadline):
    """Block until ``fd`` is ready for ``events``; return the events poll()
    reported (POLLERR and POLLHUP included).

    ``deadline`` is a monotonic time, or None to wait without limit.
    Raises the socket timeout exception when the deadline passes first, and
    OSError if poll() itself fails.  A closed socket (fd -1) returns
    ``events`` at once so that the system call that follows reports EBADF.
    """
    if fd < 0:
        return events
    pfd = ffi.new("struct pollfd *")
    pfd.fd = fd
    pfd.events = events
    while True:
        if deadline is None:
            ms = -1
            clamped = False
        else:
            remaining = deadline - monotonic()
            if remaining < 0:
                raise timed_out()
            ms = ceil(remaining * 1000.0)
            clamped = ms > _INT_MAX
            if clamped:
                ms = _INT_MAX
        n = lib.poll(pfd, 1, ms)
        if n > 0:
            return pfd.revents
        if n == 0:
            if not clamped and deadline is not None:
                raise timed_out()
            continue
        err = ffi.errno
        if err != EINTR:
            raise from_errno(err)
        # EINTR: go round; a signal handler's exception surfaces here.


def ready(fd, events):
    """The ``events`` that ``fd`` is ready for now: poll() without waiting.
    0 when none is (or when the poll() was interrupted: the caller waits
    with :func:`wait` next).  A closed socket (fd -1) is ready for all, as
    in :func:`wait`."""
    if fd < 0:
        return events
    pfd = ffi.new("struct pollfd *")
    pfd.fd = fd
    pfd.events = events
    if lib.poll(pfd, 1, 0) > 0:
        return pfd.revents
    return 0
