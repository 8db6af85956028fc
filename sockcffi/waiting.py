"""The call seam: the one place a system call waits, retries and meets
its deadline (the idea of CPython's ``sock_call_ex`` and PyPy's rsocket).

Every socket operation that can block or be interrupted goes through the
functions here; no other module compares an errno with EINTR or loops on a
C call (tests/test_layout.py enforces it).  They hold, for every caller:

* the wait: a socket in timeout mode has O_NONBLOCK set on its descriptor
  and waits in :func:`wait` (poll) before each attempt;
* the EINTR retry (PEP 475): an interrupted call or wait is retried from a
  Python loop, so the interpreter runs the signal handler on the way round
  and an exception raised by the handler propagates;
* EAGAIN after readiness (a spurious wake-up): the call waits again;
* the deadline: a ``time.monotonic()`` value fixed once per method call,
  so every retry waits only for what is left;
* the descriptor read again after every wait and every interruption:
  another thread may have closed the socket, and the number may already
  belong to another connection (a closed socket fails with EBADF).

A socket here is anything with ``_fd`` and ``_timeout`` (the socket object,
or batch's view of a foreign socket).  Fast paths may make the first
attempt inline and come here only when it failed (:func:`retry`; in
timeout mode :func:`call_first`, or :func:`first_try_failed` and then
:func:`call_timed`).
"""
from errno import EAGAIN, EBADF, EINPROGRESS, EINTR, EISCONN, EWOULDBLOCK
from math import ceil
from os import strerror
from time import monotonic

from ._binding import ffi, lib
from ._socketopts import int_option
from .errors import from_errno, timed_out, timeout as _timeout_error

__all__ = []

READ = lib.POLLIN
WRITE = lib.POLLOUT
CONNECT = lib.POLLOUT | lib.POLLERR

_INT_MAX = 2 ** 31 - 1
_SOL_SOCKET = lib.SOL_SOCKET
_SO_ERROR = lib.SO_ERROR


def closed_error():
    """The error of a call on a socket another thread closed."""
    return OSError(EBADF, strerror(EBADF))


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


# --- the calls ---------------------------------------------------------------

def call(sock, events, function, *args):
    """``function(fd, *args)`` by the socket's mode: in timeout mode with
    :func:`call_timed`, else once and, if it fails, :func:`retry`."""
    if sock._timeout:
        return call_until(sock, monotonic() + sock._timeout, events,
                          function, *args)
    result = function(sock._fd, *args)
    if result < 0:
        result = retry(sock, function, *args)
    return result


def call_timed(sock, events, function, *args):
    """``function(fd, *args)`` in timeout mode: wait for ``events`` before
    each attempt, within one deadline for the whole call.  A buffer the
    call reads is exported inside ``function``, after the wait
    (_args.stable_buffer)."""
    return call_until(sock, monotonic() + sock._timeout, events, function,
                      *args)


def call_until(sock, deadline, events, function, *args):
    """:func:`call_timed` with the deadline of a longer call (sendall)."""
    while True:
        wait(sock._fd, events, deadline)
        fd = sock._fd
        if fd < 0:
            raise closed_error()
        result = function(fd, *args)
        if result >= 0:
            return result
        err = ffi.errno
        if err != EINTR and err != EAGAIN and err != EWOULDBLOCK:
            raise from_errno(err)


def retry(sock, function, *args):
    """The failure path of a blocking or non-blocking call, entered when
    ``function(fd, *args)`` returned a negative result: retry on EINTR
    (PEP 475; a signal handler's exception propagates from here), else
    raise."""
    while True:
        err = ffi.errno
        if err != EINTR:
            raise from_errno(err)
        result = function(sock._fd, *args)
        if result >= 0:
            return result


def first_try_failed(sock):
    """Timeout mode, after a fast path's first attempt failed: that attempt
    is made before any wait (the descriptor is O_NONBLOCK, so it cannot
    block), and the caller then waits with :func:`call_timed` or
    :func:`call_until` only when errno says the call would block or was
    interrupted; any other error is raised here (a retry could lose it: a
    reset is reported once)."""
    err = ffi.errno
    if err != EINTR and err != EAGAIN and err != EWOULDBLOCK:
        raise from_errno(err)


def call_first(sock, events, function, *args):
    """``function(fd, *args)`` in timeout mode, tried at once (the
    descriptor is O_NONBLOCK, so it cannot block) and only after a failure
    that says "would block" or "interrupted" (:func:`first_try_failed`)
    through :func:`call_timed`."""
    result = function(sock._fd, *args)
    if result < 0:
        first_try_failed(sock)
        result = call_timed(sock, events, function, *args)
    return result


def call_first_until(sock, deadline, events, function, *args):
    """:func:`call_first` within the deadline of a longer call (sockcffi.tls's
    read and write): the wait after a failed first try is
    :func:`call_until`'s."""
    result = function(sock._fd, *args)
    if result < 0:
        first_try_failed(sock)
        result = call_until(sock, deadline, events, function, *args)
    return result


def call_fd(function, fd, *args):
    """``function(fd, *args)`` on a bare descriptor (a call that does not
    wait: getsockopt/setsockopt of the options module), retried on EINTR;
    OSError for any other failure."""
    while True:
        result = function(fd, *args)
        if result >= 0:
            return result
        err = ffi.errno
        if err != EINTR:
            raise from_errno(err)


def call_waiting(epoll_fd, function, ms, *args):
    """``function(fd, *args, ms)`` for a call that waits in the kernel
    itself for up to ``ms`` milliseconds (-1: no limit; epoll_wait):
    retried on EINTR for what is left of ``ms``, with the descriptor read
    again (``epoll_fd()``) after every interruption."""
    deadline = monotonic() + ms * 1e-3 if ms > 0 else 0.0
    while True:
        result = function(epoll_fd(), *args, ms)
        if result >= 0:
            return result
        err = ffi.errno
        if err != EINTR:
            raise from_errno(err)
        if ms > 0:
            ms = max(0, ceil((deadline - monotonic()) * 1e3))


def send_all(sock, send, view, done, flags):
    """The rest of a blocking or non-blocking sendall(): ``send(fd, view +
    done, left, flags)`` until all of ``view`` is sent, no wait but the
    kernel's inside send(); the descriptor read again every round."""
    total = len(view)
    while done < total:
        fd = sock._fd
        if fd < 0:
            raise closed_error()
        sent = send(fd, view + done, total - done, flags)
        if sent >= 0:
            done += sent
            continue
        err = ffi.errno
        if err != EINTR:
            raise from_errno(err)


def connect(sock, sa, length, raising):
    """connect() in the socket's mode; with ``raising`` False the errno
    (0 on success, EWOULDBLOCK on timeout) instead of an exception.  An
    interrupted connect goes on in the background: it is waited for
    unless the socket is non-blocking; in timeout mode EINPROGRESS is
    waited for within the timeout.  The outcome is SO_ERROR."""
    fd = sock._fd
    if lib.connect(fd, sa, length) == 0:
        return 0
    err = ffi.errno
    timeout = sock._timeout
    if err == EINTR:
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
            fd = sock._fd
            if fd < 0:
                raise closed_error()
        except _timeout_error:
            if raising:
                raise
            return EWOULDBLOCK
        except OSError as e:
            if raising:
                raise
            return e.errno
        try:
            err = int_option(fd, _SOL_SOCKET, _SO_ERROR)
        except OSError as e:
            err = e.errno
        if err == 0 or err == EISCONN:
            return 0
        if err == EINTR or (timeout and (err == EAGAIN
                                         or err == EWOULDBLOCK)):
            continue
        if raising:
            raise from_errno(err)
        return err
