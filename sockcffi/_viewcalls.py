"""The socket object's system calls whose buffer view is taken at the call:
the functions its call seam (``SocketType._call_timed``) calls once the
descriptor is ready, so that the view comes after the wait, and the
``*_into`` argument steps that keep the caller's code before the export.

PyPy lets a bytearray be resized while exported: a view taken before a
wait (or before the caller's ``__index__`` runs) may point at freed memory
by the time the kernel reads or writes it.  Each function here exports,
makes one system call and releases; ``data`` for the sends comes from
``_args.stable_buffer`` (checked in its place, copied on PyPy).
"""
from ._args import c_int, readable_buffer, release, ssize, writable_buffer
from ._binding import lib

__all__ = []

_c_send = lib.send
_c_recv = lib.recv
_c_sendto = lib.sendto
_c_recvfrom = lib.recvfrom


def into_length(view, nbytes, caller, too_big):
    """The byte count of a ``*_into`` call: ``nbytes``, or the view's
    own length for 0; never more than the view."""
    nbytes = ssize(nbytes)
    if nbytes < 0:
        raise ValueError("negative buffersize in %s" % caller)
    size = len(view)
    if not nbytes:
        return size
    if nbytes > size:
        raise ValueError(too_big)
    return nbytes


def into_arguments(buffer, nbytes, flags):
    """recv_into()/recvfrom_into()'s ``nbytes`` and ``flags`` as exact ints,
    converted (the caller's code) after the buffer is checked ("w*" comes
    first) and before it is exported for the call."""
    release(writable_buffer(buffer))
    nbytes = ssize(nbytes)
    if flags.__class__ is not int:
        flags = c_int(flags)
    return nbytes, flags


def into_checked(buffer, nbytes, caller, too_big):
    """The byte count of a ``*_into`` call in timeout mode, checked against
    the buffer before the wait (into_length); the call's own view, taken
    after the wait, bounds it again."""
    view = writable_buffer(buffer)
    try:
        return into_length(view, nbytes, caller, too_big)
    finally:
        release(view)


# Receives and sends whose buffer view is taken after the wait: the
# function the timeout mode's seam calls once the descriptor is ready.

def recv_into_view(fd, buffer, nbytes, flags):
    view = writable_buffer(buffer)
    try:
        return _c_recv(fd, view, min(nbytes, len(view)), flags)
    finally:
        release(view)


def recvfrom_into_view(fd, buffer, nbytes, flags, name, size):
    view = writable_buffer(buffer)
    try:
        return _c_recvfrom(fd, view, min(nbytes, len(view)), flags, name,
                           size)
    finally:
        release(view)


# The sends (``data`` from stable_buffer()).

def send_view(fd, data, flags):
    view = readable_buffer(data)
    try:
        return _c_send(fd, view, len(view), flags)
    finally:
        release(view)


def sendto_view(fd, data, flags, sa, length):
    view = readable_buffer(data)
    try:
        return _c_sendto(fd, view, len(view), flags, sa, length)
    finally:
        release(view)


def send_more(fd, data, progress, flags):
    """One chunk of a sendall() in timeout mode, from ``progress[0]``
    bytes on: 1 while more is left, 0 when all is sent, -1 on failure."""
    view = readable_buffer(data)
    try:
        done = progress[0]
        total = len(view)
        if done >= total:
            return 0
        sent = _c_send(fd, view + done, total - done, flags)
        if sent < 0:
            return -1
        done += sent
        progress[0] = done
        return 1 if done < total else 0
    finally:
        release(view)
