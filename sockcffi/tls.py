"""TLS on sockcffi sockets: the stdlib ``ssl`` module, unchanged, on top.

CPython's ``_ssl`` does TLS on a socket by handing the descriptor to
OpenSSL, and only accepts its own C ``_socket.socket`` for that.  Its other
mode works on any transport: an SSL object in *memory-BIO* mode
(``SSLContext._wrap_bio``) reads ciphertext from one ``ssl.MemoryBIO`` and
writes ciphertext to another, and reports ``SSLWantReadError`` when it needs
bytes it has not been given.  :class:`SocketTLS` joins the two: an object
with the interface of the ``_ssl._SSLSocket`` that ``ssl.SSLSocket`` keeps in
its ``_sslobj`` attribute, whose I/O methods run the memory-BIO SSL object
and move the ciphertext over the sockcffi socket's descriptor, waiting the
way the C socket mode waits (one deadline per operation, the socket's own
timeout, non-blocking mode answered with ``SSLWantReadError`` /
``SSLWantWriteError``).  Everything else in ``ssl.SSLSocket`` -- ``_create``,
``do_handshake_on_connect``, ``suppress_ragged_eofs``, ``sendall``,
``sendfile``, ``makefile``, ``accept``, ``connect`` -- is the stdlib's own
code, running unchanged.

:func:`install` makes ``SSLContext._wrap_socket`` (the one place where
``ssl.SSLSocket`` asks ``_ssl`` for its SSL object) return a
:class:`SocketTLS` for sockcffi sockets; other sockets take the native path
as before.  When ``ssl`` is imported after ``sys.modules['socket']`` became
sockcffi, ``ssl.SSLSocket`` subclasses ``sockcffi.socket`` and wrapped
sockets are sockcffi sockets end to end.

How the ciphertext is read: one recv() of whatever the kernel holds (up to
``_READ_AHEAD`` bytes) per readiness, the whole TLS records in it handed to
the SSL object together and the start of the next kept for the next read --
a record costs a fraction of a system call, not the two (header, then
body) of OpenSSL's own socket BIO.  The shutdown reads as that BIO does,
the 5-byte header first and then exactly the length it announces: nothing
past the peer's close_notify is taken from the kernel, so after
``unwrap()`` the cleartext that follows it is still in the socket for the
caller.  (A peer that sends cleartext right behind its close_notify while
this side is still in a read(), without waiting for this side's
close_notify as ``unwrap()`` does, may have its first bytes taken with it.)

Threads: one thread may read while another writes, as ``_ssl`` allows;
how the locks keep the stream whole is in :class:`SocketTLS`'s docstring.

When the socket fails under ``read()`` or ``write()`` (the peer reset the
connection), the error is the one the interpreter's own ``_ssl`` raises
for the same failure of its socket: an ``SSLEOFError`` on the CPython
releases that report it so, which ``suppress_ragged_eofs`` turns into an
end of stream, else the ``OSError`` (see ``_io_failures``).

PyPy: its ``_ssl`` is written with cffi and works on any object with
``fileno()`` and ``gettimeout()``, so sockcffi sockets already work with its
native (descriptor) mode; that mode is kept there by default (see
``MEMORY_BIO_DEFAULT`` for the measurement behind the choice).
``install(memory_bio=True)`` selects this module's path on PyPy too.
"""
import sys
import threading
import weakref
from time import monotonic

from ._args import ssize, writable_octets
from .errors import timeout as _timeout_error
from .sockets import SocketType
from .waiting import READ, WRITE, wait

__all__ = ["SocketTLS", "install", "uninstall", "installed"]

# The memory-BIO path is the only one CPython's _ssl allows for a socket
# that is not its own.  On PyPy both work; measured with tools/bench/run.py
# (tls_bulk, tls_handshake and their _membio twins, against PyPy's own
# socket and ssl), the native path runs at 0.9-1.0x for 64 MiB and for full
# handshakes, the memory-BIO path at 0.4-0.7x the throughput and 1.3-1.4x
# the time per handshake (PyPy's MemoryBIO and SSL object are themselves
# Python over cffi): the native path stays PyPy's default.
MEMORY_BIO_DEFAULT = sys.implementation.name != "pypy"

# A TLS record header: content type, protocol version (2 bytes), length.
_HEADER = 5
# Types of TLS records (change_cipher_spec, alert, handshake,
# application_data, heartbeat); anything else is not TLS framing.
_RECORD_TYPES = frozenset((20, 21, 22, 23, 24))
# The largest ciphertext body a record may announce (RFC 8446, 5.2).
_MAX_BODY = 2 ** 14 + 256 + 2048
# write() encrypts and sends this much at a time, so that a large sendall()
# neither doubles its memory in ciphertext nor waits for all of it to be
# encrypted before the first byte leaves.
_WRITE_CHUNK = 256 * 1024
# One recv() when the framing is unknown (a peer that does not speak TLS).
_UNFRAMED_READ = 16 * 1024
# The most a read takes from the kernel at once beyond the record being
# received (a reader's buffer is this plus one record).
_READ_AHEAD = 64 * 1024

# Set by install() from the ssl module (imported then, not at the import of
# this module, so that importing sockcffi.tls never binds ssl to the socket
# module of the moment).
_ssl = None


def _want_write_error():
    """The SSLWantWriteError a non-blocking C socket-mode write raises when
    the kernel will not take the ciphertext (the memory-BIO SSL object never
    raises it itself)."""
    err = _ssl.SSLWantWriteError(_ssl.SSL_ERROR_WANT_WRITE,
                                 "The operation did not complete (write)")
    err.reason = None
    err.library = None
    return err


def _locked_attribute(name):
    """A property reading and setting the SSL object's ``name`` under the
    object's ``_lock``."""
    def get(self):
        with self._lock:
            return getattr(self._sslobj, name)

    def set(self, value):
        with self._lock:
            setattr(self._sslobj, name, value)
    return property(get, set)


class SocketTLS:
    """The TLS connection of one sockcffi socket: what ``ssl.SSLSocket``
    holds in ``_sslobj``, made of a memory-BIO SSL object and the socket.

    Built by ``SSLContext._wrap_socket`` once :func:`install` has run.  The
    socket is held through a weak reference, as ``_ssl`` holds it.

    Locking.  ``_ssl`` lets one thread read while another writes (its C
    socket mode runs SSL_read and SSL_write on one connection at once), so
    this object does too, with three locks:

    - ``_lock`` (reentrant: the SSL object's callbacks run inside its
      operations) is held around every operation of the SSL object and of
      the two memory BIOs, and never across a wait or a system call.  Both
      SSL_read and SSL_write may write ciphertext to the outgoing BIO
      (without the GIL on CPython; every cffi call of PyPy's ``_ssl``
      releases it too), so the BIO is itself the queue of ciphertext to
      send, in the order the operations made it.
    - ``_send_lock``: the right to send.  Its holder takes ciphertext from
      the outgoing BIO (under ``_lock``), keeps what the kernel has not
      taken in ``_unsent``, and sends until the queue is empty, so the
      bytes leave in order.  A writer (and the handshake, shutdown and
      write retries) waits for it within its deadline and may wait for the
      socket while holding it.  A reader never waits for it and never
      waits to send: it takes it only when it is free, sends what the
      kernel takes at once, and leaves the rest (see ``_flush_now``).  A
      holder looks at the queue again after releasing the lock, so that
      ciphertext queued by a reader that found the lock taken is not left
      behind.
    - ``_recv_lock``: the right to receive, and the record being read.
      Whoever waits for it (a writer whose SSL object wants to read, a
      second reader) runs its operation again first if a record arrived
      meanwhile (``_fills``).

    ``_lock`` is taken last and alone; no thread holds the send and receive
    locks together except for a reader's try of the send lock, which never
    blocks.  So a reader blocked in recv() holds only ``_recv_lock``, a
    writer blocked in send() only ``_send_lock``: neither stops the other.
    """

    def __init__(self, context, sock, server_side, server_hostname=None,
                 owner=None, session=None):
        self._incoming = _ssl.MemoryBIO()
        self._outgoing = _ssl.MemoryBIO()
        self._sslobj = context._wrap_bio(
            self._incoming, self._outgoing, server_side, server_hostname,
            owner=owner, session=session)
        self._socket_ref = weakref.ref(sock)
        # The locks (see the class docstring).
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self._recv_lock = threading.Lock()
        # True while the outgoing BIO may hold ciphertext (set and cleared
        # under _lock; read without it only as a hint).
        self._output = False
        # Ciphertext taken from the outgoing BIO that the kernel has not
        # taken yet (non-blocking mode, a timeout, a reader's try), owned
        # by the holder of _send_lock and sent before the BIO's; and how
        # many bytes of the write() that made it were accepted: a retried
        # write() completes that one first, as OpenSSL does for a retried
        # SSL_write().
        self._unsent = b""
        self._accepted = 0
        # Records (or other pieces of ciphertext) handed to the incoming
        # BIO so far (counted under _lock).
        self._fills = 0
        # Ciphertext received but not handed over yet: the first ``_have``
        # bytes of ``_record``, the start of one record (see _fill_locked).
        # ``_framed`` is False once the stream turns out not to be TLS
        # records.
        self._record = None
        self._have = 0
        self._framed = True
        # True after a read() returned data (see read()).
        self._streaming = False

    # -- what _ssl._SSLSocket offers besides I/O --

    # Each under _lock, as every use of the SSL object.

    context = _locked_attribute("context")
    session = _locked_attribute("session")

    @property
    def owner(self):
        return self._sslobj.owner

    @owner.setter
    def owner(self, owner):
        self._sslobj.owner = owner

    @property
    def session_reused(self):
        with self._lock:
            return self._sslobj.session_reused

    @property
    def server_side(self):
        return self._sslobj.server_side

    @property
    def server_hostname(self):
        return self._sslobj.server_hostname

    def __getattr__(self, name):
        # pending, getpeercert, cipher, version, shared_ciphers,
        # compression, selected_alpn_protocol, get_channel_binding,
        # verify_client_post_handshake, ...: no I/O, answered by the SSL
        # object as they are in the C socket mode.
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self._sslobj, name)
        if not callable(value):
            return value
        lock = self._lock

        def locked(*args, **kwargs):
            with lock:
                return value(*args, **kwargs)
        locked.__name__ = name
        return locked

    # -- I/O --

    def do_handshake(self):
        self._run("handshake", self._sslobj.do_handshake)

    def read(self, len, buffer=None):
        # As _ssl converts them ("n", "w*"): PyPy's _ssl would size the
        # read by len() of the object and write into a read-only one.
        len = ssize(len)
        if buffer is not None:
            with writable_octets(buffer) as octets:
                return self._read(len, (len, octets))
        return self._read(len, (len,))

    def _read(self, len, args):
        # While a stream of records is being read, the SSL object is known
        # to need the next one when it holds no plaintext and no
        # ciphertext: receive it first rather than have the SSL object
        # raise SSLWantReadError to say so (that costs as much as the
        # decryption of a small record).  Not after an end of stream or an
        # error, which the SSL object answers again without reading.
        fill_first = None
        if self._streaming and len > 0:
            with self._lock:
                if (not self._incoming.pending
                        and not self._sslobj.pending()):
                    fill_first = self._fills
        self._streaming = False
        try:
            result = self._run("read", self._sslobj.read, *args,
                               fill_first=fill_first)
        except OSError as exc:
            failure = _as_native("read", exc)
            if failure is exc:
                raise
            raise failure from None
        self._streaming = bool(result)
        return result

    def write(self, data):
        cls = data.__class__
        if ((cls is bytes or cls is memoryview and data.contiguous
             and data.itemsize == 1) and len(data) <= _WRITE_CHUNK
                and not self._accepted):
            # One chunk (what sendall() and most writers hand over).
            return self._write(len(data),
                               lambda start, end: self._sslobj.write(data))
        try:
            view = memoryview(data)
        except TypeError:
            # The SSL object's own error for a bad argument.
            return self._sslobj.write(data)
        with view, view.cast("B") as octets:
            write = self._sslobj.write
            return self._write(len(octets),
                               lambda start, end: write(octets[start:end]))

    def _write_with_length(self, pointer, length):
        # PyPy's ssl.SSLSocket.sendall() hands over bytes as an opaque
        # "offset in bytes" object and a length: written in one piece.
        write = self._sslobj._write_with_length

        def write_all(start, end):
            if (start, end) != (0, length):
                raise _ssl.SSLError(_ssl.SSL_ERROR_SSL,
                                    "[SSL: BAD_LENGTH] bad length")
            return write(pointer, length)
        return self._write(length, write_all, chunk=length)

    def shutdown(self):
        """Send close_notify and wait for the peer's; return the socket,
        now without TLS, as the C socket mode does."""
        self._run("shutdown", self._sslobj.shutdown)
        return self._socket()

    def _write(self, length, write_part, chunk=_WRITE_CHUNK):
        """Encrypt and send ``length`` bytes of plaintext, handed to the SSL
        object by ``write_part(start, end)``, ``chunk`` bytes at a time."""
        try:
            return self._write_chunks(length, write_part, chunk)
        except OSError as exc:
            failure = _as_native("write", exc)
            if failure is exc:
                raise
            raise failure from None

    def _write_chunks(self, length, write_part, chunk):
        timeout = SocketType.gettimeout(self._socket())
        deadline = monotonic() + timeout if timeout else None
        done = self._accepted
        if done:
            # The retry of a write() that raised SSLWantWriteError or timed
            # out: its first ``done`` bytes are already encrypted, and are
            # sent before the rest (what OpenSSL does for a retried
            # SSL_write() in the C socket mode).
            if length < done:
                raise _ssl.SSLError(_ssl.SSL_ERROR_SSL,
                                    "[SSL: BAD_LENGTH] bad length")
            try:
                self._flush(deadline, "write")
            finally:
                if not self._owed():
                    self._accepted = 0
        elif not length:
            return self._run("write", write_part, 0, 0, deadline=deadline)
        while done < length:
            if done and deadline is not None and monotonic() >= deadline:
                # The timeout passed while the kernel kept taking the
                # ciphertext (sends are tried before any poll, so no wait
                # saw it): the plaintext sent so far is the result, as for
                # a partial send(), rather than encrypting on past it.
                return done
            end = min(length, done + chunk)
            done += self._run("write", write_part, done, end,
                              deadline=deadline, flush=False)
            try:
                self._flush(deadline, "write")
            except BaseException:
                # The plaintext is taken; its ciphertext waits in _unsent,
                # for the retry to send first.  Unless the socket failed
                # with none kept (blocking mode): then a later write is a
                # new one, which finds the socket as broken.
                self._accepted = done if self._owed() else 0
                raise
        return length

    # -- the engine --

    def _socket(self):
        sock = self._socket_ref()
        if sock is None:
            raise _ssl.SSLError(_ssl.SSL_ERROR_SYSCALL,
                                "Underlying socket connection gone")
        return sock

    def _run(self, what, operation, *args, deadline=None, flush=True,
             fill_first=None):
        """Run ``operation`` of the memory-BIO SSL object until it stops
        wanting to read: send what it wrote, receive what it needs, within
        one deadline (the socket's timeout from now, unless given); return
        its result.  ``what`` names the operation in timeout messages;
        ``fill_first``, if not None, is the ``_fills`` at which the SSL
        object was seen to need a record: it is received first."""
        if deadline is None:
            timeout = SocketType.gettimeout(self._socket())
            if timeout:
                deadline = monotonic() + timeout
        # A read does not insist on sending what an interrupted operation
        # left (OpenSSL's SSL_read() does not flush a pending write), and
        # never waits to send (it would wait for a writer's ciphertext,
        # while the peer may wait for it to read): it sends what the
        # kernel takes at once, and waits for the socket to take the rest
        # only while it waits to receive (see _receive).
        reading = what == "read"
        if not reading and (self._output or self._unsent):
            self._flush(deadline, what)
        # A non-blocking socket found empty just now: the SSL object says
        # so, and is not given a second recv() that would fail the same
        # way (redis-py checks every connection like this per command).
        empty = (fill_first is not None
                 and not self._fill(deadline, what, fill_first))
        lock = self._lock
        outgoing = self._outgoing
        while True:
            try:
                with lock:
                    fills = self._fills
                    try:
                        result = operation(*args)
                    finally:
                        if outgoing.pending:
                            self._output = True
            except _ssl.SSLWantReadError:
                if not reading:
                    self._flush(deadline, what)
                if empty and self._fills == fills:
                    raise
                if not self._fill(deadline, what, fills):
                    raise
                empty = False
                continue
            except BaseException:
                # An alert OpenSSL wrote before failing goes to the peer,
                # as in the C socket mode; a failure to send it does not
                # hide the first error.
                try:
                    if reading:
                        self._flush_now(self._socket())
                    else:
                        self._flush(deadline, what, required=False)
                except Exception:
                    pass
                raise
            if flush and (self._output or self._unsent):
                if reading:
                    self._flush_now(self._socket())
                else:
                    self._flush(deadline, what)
            return result

    def _timed_out(self, what, writing):
        if what == "handshake":
            return _timeout_error("The handshake operation timed out")
        if writing:
            return _timeout_error("The write operation timed out")
        return _timeout_error("The read operation timed out")

    def _owed(self):
        """Whether ciphertext may be waiting to be sent (a hint, read
        without the locks)."""
        return self._output or bool(self._unsent)

    def _take(self):
        """The ciphertext to send next, in order (by the holder of the send
        lock): what an earlier send left, else all the outgoing BIO holds;
        b"" when there is none."""
        data = self._unsent
        if data:
            self._unsent = b""
            return data
        with self._lock:
            self._output = False
            outgoing = self._outgoing
            if outgoing.pending:
                return outgoing.read()
        return b""

    def _locked(self, lock, deadline, what, writing):
        """Acquire ``lock`` within the deadline (without limit when there
        is none: blocking mode, or a non-blocking socket, whose lock
        holders never wait)."""
        if deadline is None:
            lock.acquire()
        elif not lock.acquire(True, max(0.0, deadline - monotonic())):
            raise self._timed_out(what, writing)

    def _flush(self, deadline, what, required=True):
        """Send the ciphertext waiting (the send lock taken, within the
        deadline).  In non-blocking mode what the kernel does not take is
        kept for later and, if ``required``, SSLWantWriteError is raised;
        in timeout mode the deadline bounds the wait."""
        lock = self._send_lock
        if not lock.acquire(False):
            self._locked(lock, deadline, what, True)
        while True:
            try:
                while self._output or self._unsent:
                    data = self._take()
                    if data and not self._send(data, deadline, what,
                                               required):
                        return
            finally:
                lock.release()
            # Ciphertext a reader queued while this thread held the lock
            # (the reader did not wait for it): sent here, unless another
            # thread took the lock and sends it.
            if not (self._output or self._unsent) or not lock.acquire(False):
                return

    def _send(self, data, deadline, what, required):
        """Send ``data`` (the send lock held); False when a non-blocking
        socket took only part of it, the rest kept in ``_unsent``."""
        sock = self._socket()
        timeout = SocketType.gettimeout(sock)
        if timeout is None:
            # On error, how much went out is unknown: the stream is broken
            # either way, as it is for OpenSSL.
            SocketType.sendall(sock, data)
            return True
        # Each send is tried before any poll (the kernel usually has room);
        # in timeout mode the seam then waits within this operation's
        # deadline, not a fresh timeout per send.
        try:
            while data:
                if timeout:
                    try:
                        sent = SocketType._send_until(sock, data, deadline)
                    except _timeout_error:
                        raise self._timed_out(what, True) from None
                else:
                    sent = SocketType._send_now(sock, data)
                    if not sent:
                        if required:
                            raise _want_write_error() from None
                        return False
                data = data[sent:]
        finally:
            if data:
                self._unsent = data
        return True

    def _flush_now(self, sock):
        """A reader's flush: if no other thread holds the send lock, send
        what the kernel takes now of the ciphertext waiting, without
        waiting for the socket.  True when ciphertext is left that no
        other thread is sending: the caller waits for the socket to take
        it (or leaves it, in non-blocking mode, for the next operation)."""
        lock = self._send_lock
        while lock.acquire(False):
            try:
                while True:
                    data = self._take()
                    if not data:
                        break
                    sent = SocketType._send_now(sock, data)
                    if sent < len(data):
                        self._unsent = data[sent:]
                        return True
            finally:
                lock.release()
            if not self._owed():
                return False
        return False

    def _fill(self, deadline, what, fills):
        """Receive ciphertext for the SSL object, handed over in whole
        records (see the module docstring).  False when a non-blocking
        socket has none to give; True after one record or more, a non-TLS
        header or the end of the stream, or at once when another thread
        handed over ciphertext since the SSL object was seen to need it
        (``_fills`` is no longer ``fills``): the operation is run again
        first."""
        lock = self._recv_lock
        if not lock.acquire(False):
            self._locked(lock, deadline, what, False)
        try:
            if self._fills != fills:
                return True
            return self._fill_locked(deadline, what)
        finally:
            lock.release()

    def _hand_over(self, data):
        """Give ``data`` (ciphertext, or b"" for the end of the stream) to
        the incoming BIO."""
        with self._lock:
            if data:
                self._incoming.write(data)
            else:
                self._incoming.write_eof()
            self._fills += 1

    def _fill_locked(self, deadline, what):
        with self._lock:
            if self._incoming.eof:
                return False
        sock = self._socket()
        timeout = SocketType.gettimeout(sock)
        record = self._record
        if record is None:
            # Allocated on first use: a connection that never reads holds
            # no buffer.
            record = self._record = memoryview(
                bytearray(_READ_AHEAD + _HEADER + _MAX_BODY))
        if not self._framed:
            n = self._receive(sock, timeout, deadline, what,
                              record[:_UNFRAMED_READ])
            if n is None:
                return False
            self._hand_over(record[:n] if n else b"")
            return True
        # The shutdown reads one record at a time: what follows the
        # peer's close_notify stays in the kernel for the caller.
        ahead = what != "shutdown"
        have = self._have
        while True:
            end, need = _whole_records(record, have)
            if end:
                with self._lock:
                    self._incoming.write(record[:end])
                    self._fills += 1
                rest = have - end
                if rest:
                    # The start of the next record, kept for the next fill.
                    record[:rest] = bytes(record[end:have])
                self._have = rest
                return True
            if not need:
                # Not TLS: the SSL object says so from what came.
                self._hand_over(record[:have])
                self._have = 0
                self._framed = False
                return True
            n = self._receive(sock, timeout, deadline, what,
                              record[have:] if ahead else record[have:need])
            if n is None:
                return False
            if not n:
                # End of stream; a record cut short goes to the SSL object
                # as it is, for it to report.
                if have:
                    self._hand_over(record[:have])
                self._have = 0
                self._hand_over(b"")
                return True
            have += n
            self._have = have

    def _receive(self, sock, timeout, deadline, what, view):
        """recv_into(view) on the socket within the deadline; None when a
        non-blocking socket has nothing.  Ciphertext waiting that no other
        thread is sending is sent as the socket takes it meanwhile."""
        while True:
            owed = (self._output or self._unsent) and self._flush_now(sock)
            if owed and timeout != 0.0:
                # Ciphertext the kernel would not take: wait for room to
                # send it or for bytes to read, whichever comes first.
                try:
                    events = wait(sock.fileno(), READ | WRITE, deadline)
                except _timeout_error:
                    raise self._timed_out(what, False) from None
                if not events & ~WRITE:
                    continue
            if timeout:
                # A first attempt before any poll, then the seam within
                # this operation's deadline.
                try:
                    return SocketType._recv_into_until(sock, view, deadline)
                except _timeout_error:
                    raise self._timed_out(what, False) from None
            try:
                return SocketType.recv_into(sock, view)
            except BlockingIOError:
                return None


def _whole_records(record, have):
    """(end, need) for the ciphertext in ``record[:have]``: the length of
    the whole TLS records it starts with, and how long the record after
    them is in all (header included; the header's 5 while it is not
    complete; 0 when that header is not TLS framing)."""
    end = 0
    while have - end >= _HEADER:
        body = (record[end + 3] << 8) | record[end + 4]
        if (record[end] not in _RECORD_TYPES or record[end + 1] != 3
                or body > _MAX_BODY):
            return end, 0
        size = _HEADER + body
        if have - end < size:
            return end, size
        end += size
    return end, _HEADER


# --- socket failures, reported as the native socket mode reports them --------

# How the interpreter's own _ssl reports a socket that fails (a send() or
# recv() error other than EAGAIN, e.g. ECONNRESET once the peer is gone)
# under its read() and write(): {"read": r, "write": w}, each either
# (class, args, attributes) of the SSLError it raises in the OSError's
# place, or None where the OSError itself goes up.  It differs between
# releases: CPython from 3.10 (SSL_read_ex/SSL_write_ex, whose 0 its error
# mapping took for an EOF) until gh-115627 raises SSLEOFError, which
# ssl.SSLSocket's suppress_ragged_eofs turns into b"" on read; CPython 3.9,
# releases with that fix and PyPy raise the OSError (and gh-127257 changed
# it again for OpenSSL 3.4's ERR_LIB_SYS errors).  So it is asked of the
# native _ssl itself, once, at the first failure.  The handshake and
# shutdown report the OSError on CPython (SSL_do_handshake/SSL_shutdown
# return -1), as they do here untouched.
_io_failures = None


def _as_native(what, exc):
    """The exception to raise for ``exc``, raised under ``what`` ("read"
    or "write"): ``exc`` unless it came from the socket and the native
    socket mode reports such failures as an SSLError."""
    if isinstance(exc, (_ssl.SSLError, _timeout_error, BlockingIOError)):
        # The SSL object's own verdicts, and this module's waits.
        return exc
    global _io_failures
    if _io_failures is None:
        with _lock:
            if _io_failures is None:
                _io_failures = _probe_io_failures()
    reported = _io_failures[what]
    if reported is None:
        return exc
    cls, args, attributes = reported
    failure = cls(*args)
    # library and reason (None for an EOF), as _ssl set them.
    vars(failure).update(attributes)
    return failure


def _probe_io_failures():
    """Reset a connection under the native _ssl's read() and under its
    write(), and note what each raised (see _io_failures)."""
    import _socket

    class NativeSocket(_socket.socket):
        # _ssl holds its socket through a weak reference, which the C
        # class itself does not take.
        pass

    native = _installed[1] if _installed else _ssl.SSLContext._wrap_socket
    context = _ssl.SSLContext(_ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = _ssl.CERT_NONE
    found = {}
    for what, call in (("read", lambda ssl_socket: ssl_socket.read(1)),
                       ("write", lambda ssl_socket: ssl_socket.write(b"x"))):
        found[what] = None
        sock = peer = None
        try:
            a, peer = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_STREAM)
            sock = NativeSocket(_socket.AF_UNIX, _socket.SOCK_STREAM, 0,
                                a.detach())
            sock.setblocking(False)
            ssl_socket = native(context, sock, False, None)
            try:
                # Sends the ClientHello, then has nothing to read.
                call(ssl_socket)
            except _ssl.SSLWantReadError:
                # Closed with the ClientHello unread, the peer resets the
                # connection: ECONNRESET at the next recv(), and no SIGPIPE
                # (which a send() to a closed AF_UNIX peer would raise).
                peer.close()
                try:
                    call(ssl_socket)
                except (_ssl.SSLWantReadError, _ssl.SSLWantWriteError):
                    pass
                except _ssl.SSLError as exc:
                    found[what] = (type(exc), exc.args, dict(vars(exc)))
        except Exception:
            # Whatever else happens here (no AF_UNIX, the OSError itself),
            # the socket's own error is reported, as before.
            pass
        finally:
            for s in (sock, peer):
                if s is not None:
                    s.close()
    return found


# --- installation ------------------------------------------------------------

_lock = threading.Lock()
# While installed: the SSLContext class patched, its own _wrap_socket, and
# whether sockcffi sockets get a SocketTLS.
_installed = None


def _wrap_socket(self, sock, server_side, server_hostname=None, *,
                 owner=None, session=None):
    """SSLContext._wrap_socket once install() has run: a SocketTLS for a
    sockcffi socket, the native SSL object for anything else."""
    context_class, native, memory_bio = _installed
    if memory_bio and isinstance(sock, SocketType):
        return SocketTLS(self, sock, server_side, server_hostname,
                         owner=owner, session=session)
    return native(self, sock, server_side, server_hostname, owner=owner,
                  session=session)


def install(memory_bio=None):
    """Make ``SSLContext.wrap_socket`` do TLS over sockcffi sockets.

    ``memory_bio``: None for this interpreter's default
    (``MEMORY_BIO_DEFAULT``: always on CPython, whose ``_ssl`` has no other
    way), True or False to choose on PyPy.  Calling it again only changes
    that choice.  It imports ``ssl``: call it once
    ``sys.modules['socket']`` is sockcffi, so that ``ssl.SSLSocket`` is
    built on sockcffi's socket class.
    """
    global _ssl, _installed
    if memory_bio is None:
        memory_bio = MEMORY_BIO_DEFAULT
    elif not memory_bio and sys.implementation.name != "pypy":
        raise ValueError("this interpreter's _ssl only wraps its own "
                         "sockets: the memory-BIO path is required")
    import ssl
    with _lock:
        _ssl = ssl
        context_class = ssl.SSLContext
        if _installed is None:
            native = context_class._wrap_socket
            context_class._wrap_socket = _wrap_socket
        else:
            native = _installed[1]
        _installed = (context_class, native, bool(memory_bio))


def uninstall():
    """Undo :func:`install`: ``SSLContext._wrap_socket`` is the native one
    again.  Sockets already wrapped keep working."""
    global _installed
    with _lock:
        if _installed is None:
            return
        context_class, native, _ = _installed
        if vars(context_class).get("_wrap_socket") is _wrap_socket:
            del context_class._wrap_socket
            if context_class._wrap_socket is not native:
                # It had a _wrap_socket of its own before install().
                context_class._wrap_socket = native
        _installed = None


def installed():
    """True while sockcffi sockets get :class:`SocketTLS` (install() in
    effect, memory-BIO path); False otherwise."""
    return _installed is not None and _installed[2]
