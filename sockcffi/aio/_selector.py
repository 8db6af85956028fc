"""A ``selectors`` selector over sockcffi's own epoll binding.

``selectors.EpollSelector`` made with ``select.epoll``'s C object, except
that the wait lays its results out in C (gen/bindings/epoll.py): one int
array of (descriptor, events) pairs, the events already in ``selectors``'
terms, so a ready descriptor costs Python two item reads and a dict lookup
-- code the PyPy JIT traces as plain integer work.

The registration bookkeeping (``_fd_to_key``, ``get_map``, key lookup by
file object) is the stdlib's own ``_BaseSelectorImpl``; only the kernel
calls are replaced.  The selector owns one descriptor (the epoll instance),
released by :meth:`EpollSelector.close`.
"""
import math
import selectors

from .._binding import ffi, lib
from ..errors import from_errno
from ..waiting import call_waiting

__all__ = ["EpollSelector"]

_BATCH = lib.SOCKCFFI_EPOLL_BATCH
_ADD = lib.EPOLL_CTL_ADD
_MOD = lib.EPOLL_CTL_MOD
_DEL = lib.EPOLL_CTL_DEL
_INT_MAX = 2 ** 31 - 1


def _milliseconds(timeout):
    """selectors' rounding: up to the next millisecond, so that a wait
    lasts *at least* ``timeout`` seconds; -1 (no limit) for None."""
    if timeout is None:
        return -1
    if timeout <= 0:
        return 0
    return min(math.ceil(timeout * 1e3), _INT_MAX)


def _mask(events):
    """The two bits of ``events`` that count, as a plain int (what the
    stdlib's epoll selector builds before its system call)."""
    return ((selectors.EVENT_READ if events & selectors.EVENT_READ else 0)
            | (selectors.EVENT_WRITE if events & selectors.EVENT_WRITE
               else 0))


class EpollSelector(selectors._BaseSelectorImpl):
    """Epoll-based selector on sockcffi's binding."""

    def __init__(self):
        super().__init__()
        epfd = lib.epoll_create1(lib.EPOLL_CLOEXEC)
        if epfd < 0:
            raise from_errno()
        self._epfd = epfd
        # The wait's results: 2 ints per event, SOCKCFFI_EPOLL_BATCH events.
        self.ready = ffi.new("int[]", 2 * _BATCH)

    def fileno(self):
        return self._epfd

    def _epoll_fd(self):
        epfd = self._epfd
        if epfd < 0:
            raise ValueError("I/O operation on closed epoll object")
        return epfd

    def register(self, fileobj, events, data=None):
        epfd = self._epoll_fd()
        key = super().register(fileobj, events, data)
        if lib.sockcffi_epoll_set(epfd, _ADD, key.fd, _mask(events)) < 0:
            error = from_errno()
            super().unregister(fileobj)
            raise error
        return key

    def unregister(self, fileobj):
        key = super().unregister(fileobj)
        # As EpollSelector: the descriptor may be closed already (the
        # kernel then dropped it from the set); that is not an error.
        if self._epfd >= 0:
            lib.sockcffi_epoll_set(self._epfd, _DEL, key.fd, 0)
        return key

    def modify(self, fileobj, events, data=None):
        try:
            key = self._fd_to_key[self._fileobj_lookup(fileobj)]
        except KeyError:
            raise KeyError("{!r} is not registered".format(fileobj)) from None
        changed = False
        if events != key.events:
            # As selectors' epoll selector: no check of ``events`` (only
            # its two bits count), and a failed change unregisters.
            if lib.sockcffi_epoll_set(self._epoll_fd(), _MOD, key.fd,
                                      _mask(events)) < 0:
                error = from_errno()
                super().unregister(fileobj)
                raise error
            changed = True
        if data != key.data:
            changed = True
        if changed:
            key = key._replace(events=events, data=data)
            self._fd_to_key[key.fd] = key
        return key

    def wait(self, timeout=None):
        """Wait as :meth:`select` does; the number of ready descriptors,
        whose (descriptor, events) pairs are then the first items of
        ``self.ready`` (events in ``selectors``' terms, not yet masked
        by the registration's).  PEP 475: an interrupted wait is retried
        by the call seam for what is left of the timeout, after the signal
        handlers have run."""
        return call_waiting(self._epoll_fd, lib.sockcffi_epoll_wait,
                            _milliseconds(timeout), self.ready,
                            len(self._fd_to_key))

    def select(self, timeout=None):
        n = self.wait(timeout)
        ready = self.ready
        fd_to_key = self._fd_to_key
        result = []
        for i in range(0, 2 * n, 2):
            key = fd_to_key.get(ready[i])
            if key is not None:
                result.append((key, ready[i + 1] & key.events))
        return result

    def close(self):
        epfd, self._epfd = self._epfd, -1
        if epfd >= 0:
            lib.close(epfd)
        super().close()
