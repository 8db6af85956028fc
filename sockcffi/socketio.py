"""The raw I/O stream under ``socket.makefile()``."""
import io
from errno import EAGAIN, EWOULDBLOCK

from .errors import timeout

__all__ = ["SocketIO"]

# recv_into()/send() raising one of these means "no data now": a raw
# stream reports it by returning None.
_WOULD_BLOCK = frozenset((EAGAIN, EWOULDBLOCK))


class SocketIO(io.RawIOBase):
    """A raw binary stream reading and writing a connected socket; what
    ``socket.makefile()`` wraps in buffered and text layers."""

    # A timeout may strike in the middle of a buffered read, leaving the
    # buffer in an unknown state: after one, reading is refused.

    def __init__(self, sock, mode):
        if mode not in ("r", "w", "rw", "rb", "wb", "rwb"):
            raise ValueError("invalid mode: %r" % mode)
        io.RawIOBase.__init__(self)
        self._sock = sock
        if "b" not in mode:
            mode += "b"
        self._mode = mode
        self._reading = "r" in mode
        self._writing = "w" in mode
        self._timeout_occurred = False

    def readinto(self, b):
        """Receive into ``b``; the count, 0 at end of stream, or None when
        a non-blocking socket has nothing to give."""
        self._checkClosed()
        self._checkReadable()
        if self._timeout_occurred:
            raise OSError("cannot read from timed out object")
        try:
            return self._sock.recv_into(b)
        except timeout:
            self._timeout_occurred = True
            raise
        except OSError as e:
            if e.errno in _WOULD_BLOCK:
                return None
            raise

    def write(self, b):
        """Send (part of) ``b``; the count sent, or None when a
        non-blocking socket cannot take any."""
        self._checkClosed()
        self._checkWritable()
        try:
            return self._sock.send(b)
        except OSError as e:
            if e.errno in _WOULD_BLOCK:
                return None
            raise

    def readable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._reading

    def writable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._writing

    def seekable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return super().seekable()

    def fileno(self):
        self._checkClosed()
        return self._sock.fileno()

    @property
    def name(self):
        return -1 if self.closed else self.fileno()

    @property
    def mode(self):
        return self._mode

    def close(self):
        """Close this stream; the socket closes too once it has been
        closed itself and no other stream uses it."""
        if self.closed:
            return
        io.RawIOBase.close(self)
        self._sock._decref_socketios()
        self._sock = None
