"""sockcffi.aio's socket transports: asyncio's selector transports with
sockcffi's receive size, a gathered write buffer, and datagram bursts.

Everything a program sees -- flow control both ways, the write-buffer
limits, ``BufferedProtocol``, EOF and half-close, ``connection_lost``
exactly once, the exception handler, sendfile, ``sslproto`` on top -- is
asyncio's own code (these classes derive from its selector transports);
what differs is how the bytes move:

* **reads** take sockcffi's ``recv`` short path, written out in the
  transport (on CPython a Python method call per read is a measurable
  share of the loop's cost): at most 64 KiB per call (asyncio asks for
  256 KiB), received into a buffer of sockcffi's pool and copied out as
  one ``bytes`` of only what arrived, so a protocol owns what it is handed
  (the pooled buffer is reused by the next read, never the bytes).  Only
  the first try is inline: a failed one goes to the call seam
  (sockcffi.waiting.retry).  A ``BufferedProtocol`` gets ``recv_into`` its
  own buffer, as with asyncio.  A socket that is not sockcffi's, or whose
  class has its own ``recv``/``send``, is called through its methods.
* **writes** go to ``send`` at once while nothing is queued, as asyncio's
  do (bytes by the C function, the same way as reads); what the kernel
  does not take is queued as immutable ``bytes``
  chunks (asyncio appends to one ``bytearray``, copying every chunk once
  more and shifting it after each partial send), and the queue is written
  with one gathered ``sendmsg`` (writev-like) of up to IOV_MAX chunks when
  the socket is writable again.  A partial send drops the chunks sent and
  keeps the rest of the first one not wholly sent.
* **datagrams**: a readiness event receives up to BURST datagrams (as
  libuv, under uvloop, does), stopping at the first "would block", and as
  soon as the transport closes or reading is paused.
"""
from asyncio import constants, protocols, selector_events
from asyncio.log import logger
from socket import SHUT_WR

from .._binding import ffi, lib
from .._buffers import SMALL, new_small, small_pool
from .._socketobject import SocketType
from ..waiting import retry

__all__ = ["DatagramTransport", "SocketTransport"]

_IP_FAMILIES = (2, 10)      # AF_INET, AF_INET6 (Linux)
# The most buffers one sendmsg takes (Linux's UIO_MAXIOV).
_IOV_MAX = 1024
# Datagrams received per readiness event at most.
BURST = 16


_recv_small = lib.sockcffi_recv_small
_send = lib.send
_unpack = ffi.unpack
_pool_pop, _pool_push = small_pool.pop, small_pool.append


def _direct(sock):
    """Can a transport call the C functions on ``sock``'s descriptor
    itself?  Yes for a sockcffi socket whose class keeps SocketType's
    recv and send; any other socket is called through its methods."""
    cls = sock.__class__
    return (issubclass(cls, SocketType) and cls.recv is SocketType.recv
            and cls.send is SocketType.send)


def _recv_failed(sock, buf, size, n):
    """The bytes of a read whose first try returned ``n`` < 0, the
    pooled ``buf`` given back in every case: -1 (the system call failed)
    goes to the call seam (retried on EINTR, else the error raised: a
    "would block" as BlockingIOError); -2 (``size`` outside 1..SMALL: a
    program changed the transport's max_size) to the socket's recv."""
    try:
        if n == -1:
            return _unpack(buf, retry(sock, _recv_small, buf, size))
    finally:
        _pool_push(buf)
    return sock.recv(size)


def _unsent(data, n):
    """What is left of ``data`` after ``n`` bytes of it were sent, as
    bytes (the queue's chunks are immutable: the caller may reuse a
    bytearray or a view's memory once write() returns); None if nothing."""
    if data.__class__ is bytes:
        if n >= len(data):
            return None
        return data[n:] if n else data
    with memoryview(data) as view:
        if n >= view.nbytes:
            return None
        if not n:
            return view.tobytes()
        with view.cast("B") as flat:    # send() took it: contiguous
            return flat[n:].tobytes()


class SocketTransport(selector_events._SelectorSocketTransport):
    """TCP and Unix stream transport (module docstring)."""

    max_size = SMALL
    # The write queue: bytes chunks, oldest first; _buffer_size bytes.  A
    # list, not a deque: an empty deque holds a 64-slot block (760 bytes
    # on CPython 3.11, against 56 for an empty list), and an idle
    # connection's queue is empty.
    _buffer_factory = list
    _buffer_size = 0

    def __init__(self, loop, sock, *args, **kwargs):
        # Whether reads and writes call the C functions on the socket's
        # descriptor themselves (an instance attribute: CPython 3.11 reads
        # one faster than a class attribute).
        self._direct = _direct(sock)
        super().__init__(loop, sock, *args, **kwargs)

    def get_write_buffer_size(self):
        return self._buffer_size

    def set_protocol(self, protocol):
        # asyncio's, less the bound method it keeps in _read_ready_cb (64
        # bytes a connection on CPython): _read_ready chooses by _buffered.
        self._buffered = isinstance(protocol, protocols.BufferedProtocol)
        selector_events._SelectorTransport.set_protocol(self, protocol)

    def _read_ready(self):
        # asyncio's _read_ready__data_received, one call shorter (the
        # readiness callback is this method).
        if self._buffered:
            self._read_ready__get_buffer()
            return
        if self._conn_lost:
            return
        sock = self._sock
        try:
            if self._direct:
                # sockcffi's recv short path, inline (module docstring).
                try:
                    buf = _pool_pop()
                except IndexError:
                    buf = new_small()
                size = self.max_size
                n = _recv_small(sock._fd, buf, size)
                if n >= 0:
                    data = _unpack(buf, n)
                    _pool_push(buf)
                else:
                    data = _recv_failed(sock, buf, size, n)
            else:
                data = sock.recv(self.max_size)
        except (BlockingIOError, InterruptedError):
            return
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(exc, 'Fatal read error on socket transport')
            return
        if not data:
            self._read_ready__on_eof()
            return
        try:
            self._protocol.data_received(data)
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._fatal_error(
                exc, 'Fatal error: protocol.data_received() call failed.')

    def _force_close(self, exc):
        if not self._conn_lost:
            self._buffer_size = 0       # asyncio's method empties _buffer
        super()._force_close(exc)

    def write(self, data):
        # asyncio's checks, in its order (and its messages).
        if data.__class__ is not bytes and not isinstance(
                data, (bytes, bytearray, memoryview)):
            raise TypeError(f'data argument must be a bytes-like object, '
                            f'not {type(data).__name__!r}')
        if self._eof:
            raise RuntimeError('Cannot call write() after write_eof()')
        if self._empty_waiter is not None:
            raise RuntimeError('unable to write; sendfile is in progress')
        if not data:
            return
        if self._conn_lost:
            if self._conn_lost >= constants.LOG_THRESHOLD_FOR_CONNLOST_WRITES:
                logger.warning('socket.send() raised exception.')
            self._conn_lost += 1
            return
        if self._buffer:
            chunk = _unsent(data, 0)
        else:
            sock = self._sock
            try:
                if data.__class__ is bytes and self._direct:
                    # sockcffi's send short path, inline.
                    size = len(data)
                    n = _send(sock._fd, data, size, 0)
                    if n == size:
                        return          # the usual case
                    if n < 0:
                        n = retry(sock, _send, data, size, 0)
                else:
                    n = sock.send(data)
            except (BlockingIOError, InterruptedError):
                n = 0
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc,
                                  'Fatal write error on socket transport')
                return
            if n == len(data) and data.__class__ is bytes:
                return
            chunk = _unsent(data, n)
            if chunk is None:
                return
            self._loop._add_writer(self._sock_fd, self._write_ready)
        self._buffer.append(chunk)
        self._buffer_size += len(chunk)
        self._maybe_pause_protocol()

    def _write_ready(self):
        buffer = self._buffer
        assert buffer, 'Data should not be empty'
        if self._conn_lost:
            return
        try:
            if len(buffer) == 1:
                n = self._sock.send(buffer[0])
            else:
                n = self._sock.sendmsg(buffer if len(buffer) <= _IOV_MAX
                                       else buffer[:_IOV_MAX])
        except (BlockingIOError, InterruptedError):
            pass
        except (SystemExit, KeyboardInterrupt):
            raise
        except BaseException as exc:
            self._loop._remove_writer(self._sock_fd)
            buffer.clear()
            self._buffer_size = 0
            self._fatal_error(exc, 'Fatal write error on socket transport')
            if self._empty_waiter is not None:
                self._empty_waiter.set_exception(exc)
        else:
            if n:
                self._sent(n)
            self._maybe_resume_protocol()  # May append to buffer.
            if not buffer:
                self._loop._remove_writer(self._sock_fd)
                if self._empty_waiter is not None:
                    self._empty_waiter.set_result(None)
                if self._closing:
                    self._call_connection_lost(None)
                elif self._eof:
                    self._sock.shutdown(SHUT_WR)

    def _sent(self, n):
        """Drop the first ``n`` queued bytes (the kernel took them): the
        chunks wholly sent in one slice deletion, then the sent part of
        the next one (no chunk is empty)."""
        buffer = self._buffer
        self._buffer_size -= n
        whole = 0
        for chunk in buffer:
            size = len(chunk)
            if n < size:
                break
            n -= size
            whole += 1
        del buffer[:whole]
        if n:
            buffer[0] = buffer[0][n:]


class DatagramTransport(selector_events._SelectorDatagramTransport):
    """UDP and Unix datagram transport (module docstring)."""

    def __init__(self, loop, sock, protocol, *args, **kwargs):
        super().__init__(loop, sock, protocol, *args, **kwargs)
        if sock.family in _IP_FAMILIES:
            self.max_size = SMALL

    # PyPy 3.9's transport has no pause_reading (3.11's has).
    _paused = False

    def _read_ready(self):
        # asyncio's read, up to BURST times while datagrams wait and the
        # transport still reads (a protocol may pause or close it).
        for _ in range(BURST):
            if self._conn_lost or self._paused or self._closing:
                return
            try:
                data, addr = self._sock.recvfrom(self.max_size)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc,
                                  'Fatal read error on datagram transport')
                return
            self._protocol.datagram_received(data, addr)
