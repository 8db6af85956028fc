"""sockcffi.aio's reliability, each test on asyncio's loop and on
sockcffi.aio's (as test_aio.py): idle connections held by a server process,
a slow reader against the write-buffer limits, peer resets under a full
write buffer on Unix sockets, through TLS and with reading paused (the TCP
case is test_aio.py's), descriptor numbers reused after a transport
closes, and many clients moving sha256-checked data both ways, with and
without TLS.  The full sizes run
in tools/aio_reliability.py (these are its functions, with short sizes).
"""
import asyncio
import hashlib
import os
import socket
import struct
import sys

import pytest

import test_aio

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tools")
if not os.path.isdir(TOOLS):
    pytest.skip("tools/ is not beside the tests", allow_module_level=True)
sys.path.append(TOOLS)
import aio_reliability  # noqa: E402

BOUND = 60      # seconds any one wait may take (a bound, never a timing)
LOOPS = test_aio.LOOPS
loop = test_aio.loop    # the same fixture: each test on both loops


def run(loop, coro, bound=BOUND):
    return loop.run_until_complete(asyncio.wait_for(coro, bound))


class Recorder(asyncio.Protocol):
    def __init__(self, loop):
        self.loop = loop
        self.lost_calls = []
        self.data = bytearray()
        self.lost = loop.create_future()
        self.paused = False
        self.resumed = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.data += data

    def pause_writing(self):
        assert not self.paused
        self.paused = True
        self.resumed = self.loop.create_future()

    def resume_writing(self):
        assert self.paused
        self.paused = False
        self.resumed.set_result(None)

    def connection_lost(self, exc):
        self.lost_calls.append(exc)
        if not self.lost.done():
            self.lost.set_result(exc)


# -- idle connections -----------------------------------------------------

@pytest.mark.parametrize("kind", sorted(LOOPS))
def test_server_process_holds_idle_connections(kind):
    """500 connections from another process, held idle, then each echoes a
    byte and closes: the server sees every one made and lost once."""
    per_connection, _ = aio_reliability.idle(kind, 500)
    assert per_connection > 0


# -- a slow reader ---------------------------------------------------------

def _slow_reader_pair(loop, family):
    if family == "unix":
        return socket.socketpair()
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), BOUND)
    peer, _ = listener.accept()
    listener.close()
    return client, peer


@pytest.mark.parametrize("family", ["tcp", "unix"])
def test_slow_reader_keeps_buffer_within_high_water_plus_one_write(
        loop, family):
    """A writer that honours pause_writing, a reader taking 4 KiB at a
    time: at every write the transport's buffer stays within the high-water
    mark plus that write, the protocol is paused whenever it is above the
    mark, and every byte arrives in order."""
    high, low = 48 * 1024, 8 * 1024
    sizes = [1, 100, 4096, 20000, 65536, 70001] * 12

    async def main():
        a, b = _slow_reader_pair(loop, family)
        b.setblocking(False)
        # Small kernel buffers, so that the transport's own buffer fills.
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        proto = Recorder(loop)
        transport, _ = await loop.create_connection(lambda: proto, sock=a)
        transport.set_write_buffer_limits(high=high, low=low)
        sent = hashlib.sha256()
        total = 0
        seen = []

        async def write_all():
            nonlocal total
            for i, size in enumerate(sizes):
                if proto.paused:
                    await proto.resumed
                data = bytes([i % 251]) * size
                if i % 3 == 2:       # writelines counts as one write
                    transport.writelines([data[:size // 2],
                                          data[size // 2:]])
                else:
                    transport.write(data)
                sent.update(data)
                total += size
                buffered = transport.get_write_buffer_size()
                seen.append(buffered)
                assert buffered <= high + size, (buffered, size)
                assert proto.paused == (buffered > high), (buffered, high)
            transport.close()

        writing = asyncio.ensure_future(write_all())
        got = hashlib.sha256()
        received = 0
        while True:
            chunk = await loop.sock_recv(b, 4096)
            if not chunk:
                break
            got.update(chunk)
            received += len(chunk)
        await writing
        await proto.lost
        b.close()
        return total, received, sent.digest() == got.digest(), seen, proto
    total, received, same, seen, proto = run(loop, main())
    assert received == total and same
    assert max(seen) > high          # the writer was made to pause
    assert proto.lost_calls == [None]


# -- peer resets -----------------------------------------------------------

def test_unix_peer_gone_under_full_write_buffer(loop):
    """test_aio.py's reset test on a Unix socket: the peer closes with
    unread data while the transport's buffer is full.  The protocol sees
    connection_lost once, with a ConnectionError (a Unix socket's writer
    gets EPIPE or ECONNRESET), and the loop does not hang."""
    async def main():
        proto = Recorder(loop)
        transport, b = await test_aio.on_socketpair(loop, proto)
        while not proto.paused:
            transport.write(b"x" * 65536)
        b.close()
        exc = await proto.lost
        transport.close()
        transport.abort()
        for _ in range(10):
            await asyncio.sleep(0)
        return exc, proto.lost_calls
    exc, calls = run(loop, main())
    assert isinstance(exc, (BrokenPipeError, ConnectionResetError))
    assert calls == [exc]


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory):
    """(server, client) SSL contexts on a self-signed certificate made in a
    temporary folder."""
    cert = aio_reliability.make_certificate(
        str(tmp_path_factory.mktemp("cert")))
    if cert is None:
        pytest.skip("openssl (Debian's package) makes the certificate")
    return aio_reliability.ssl_contexts(cert)


def test_tls_peer_reset_under_full_write_buffer(loop, tls_pair):
    """The reset of test_aio.py through asyncio's sslproto: the TLS peer
    stops reading, the client's buffer fills, the peer resets: the client
    protocol gets connection_lost(ConnectionResetError) exactly once."""
    async def main():
        made = loop.create_future()

        class Server(asyncio.Protocol):
            def connection_made(self, transport):
                made.set_result(transport)

        server = await loop.create_server(Server, "127.0.0.1", 0,
                                          ssl=tls_pair[0])
        proto = Recorder(loop)
        transport, _ = await loop.create_connection(
            lambda: proto, *server.sockets[0].getsockname()[:2],
            ssl=tls_pair[1], server_hostname="localhost")
        peer = await made
        peer.pause_reading()
        while not proto.paused:
            transport.write(b"x" * 65536)
            await asyncio.sleep(0)      # (sslproto encrypts in callbacks)
        peer.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.abort()
        exc = await proto.lost
        transport.close()
        for _ in range(10):
            await asyncio.sleep(0)
        server.close()
        await server.wait_closed()
        return exc, proto.lost_calls
    exc, calls = run(loop, main())
    assert isinstance(exc, ConnectionResetError)
    assert calls == [exc]


def test_reset_while_reading_paused(loop):
    """A TCP reset arrives while reading is paused and the write buffer is
    full: connection_lost(ConnectionResetError) once, no hang."""
    async def main():
        listener = socket.create_server(("127.0.0.1", 0))
        proto = Recorder(loop)
        transport, _ = await loop.create_connection(
            lambda: proto, *listener.getsockname())
        peer, _ = listener.accept()
        listener.close()
        peer.sendall(b"unread")
        transport.pause_reading()
        while not proto.paused:
            transport.write(b"x" * 65536)
        peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
        peer.close()
        exc = await proto.lost
        transport.resume_reading()
        for _ in range(10):
            await asyncio.sleep(0)
        return exc, proto.lost_calls
    exc, calls = run(loop, main())
    assert isinstance(exc, ConnectionResetError)
    assert calls == [exc]


# -- a descriptor number reused after the transport closed -----------------

def onto_number(fd, number):
    """Move descriptor ``fd`` onto ``number`` (a closed one: the number a
    transport released) and return ``number``.  The lowest free number is
    not reliably the one released, as the garbage collector may free lower
    ones at any moment."""
    with pytest.raises(OSError):
        os.fstat(number)            # nothing else holds it
    os.dup2(fd, number, inheritable=False)
    os.close(fd)
    return number


def socket_onto_number(sock, number):
    onto_number(sock.detach(), number)
    return socket.socket(sock.family, sock.type, sock.proto, fileno=number)


def test_aborted_writer_never_writes_to_reused_number(loop):
    """A transport aborted with a full write buffer and a read pending;
    its descriptor number goes to a pipe the loop then watches: the pipe
    gets only its own bytes, its reader callback fires, and the old
    protocol sees nothing more."""
    async def main():
        proto = Recorder(loop)
        transport, b = await test_aio.on_socketpair(loop, proto)
        fd = transport.get_extra_info("socket").fileno()
        while not proto.paused:
            transport.write(b"w" * 65536)
        b.sendall(b"pending")
        r, w = os.pipe()
        transport.abort()
        await proto.lost
        r = onto_number(r, fd)          # the pipe's read end takes the number
        try:
            got = loop.create_future()
            loop.add_reader(r, lambda: got.set_result(os.read(r, 100))
                            if not got.done() else None)
            os.write(w, b"pipe data")
            data = await got
            loop.remove_reader(r)
            for _ in range(10):
                await asyncio.sleep(0)
            b.setblocking(False)
            try:
                while True:
                    chunk = b.recv(1 << 20)
                    if not chunk:
                        break
                    assert set(chunk) == {ord("w")}
            except (BlockingIOError, ConnectionResetError):
                pass        # (a Unix socket closed with unread data resets)
            return r == fd, data, bytes(proto.data), proto.lost_calls
        finally:
            os.close(r)
            os.close(w)
            b.close()
    reused, data, old, calls = run(loop, main())
    assert reused and data == b"pipe data" and old == b""
    assert len(calls) == 1


def test_closed_connection_number_serves_a_new_connection(loop):
    """A TCP transport closes while a read is pending; the loop's next
    connection gets the same number (an adopted stdlib socket) and echoes
    through it intact."""
    async def main():
        accepted = loop.create_future()

        async def echo(reader, writer):
            accepted.set_result(None)
            writer.write(await reader.read(100))
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        listener = socket.create_server(("127.0.0.1", 0))
        proto = Recorder(loop)
        transport, _ = await loop.create_connection(
            lambda: proto, *listener.getsockname())
        fd = transport.get_extra_info("socket").fileno()
        peer, _ = listener.accept()
        transport.pause_reading()       # so that the bytes stay pending
        peer.sendall(b"pending")
        client = socket.create_connection(("127.0.0.1", port), BOUND)
        await accepted          # (the server's socket takes its number)
        transport.close()
        await proto.lost
        client = socket_onto_number(client, fd)
        reader, writer = await asyncio.open_connection(sock=client)
        reused = writer.get_extra_info("socket").fileno() == fd
        writer.write(b"hello")
        echoed = await reader.read(100)
        writer.close()
        await writer.wait_closed()
        peer.close()
        listener.close()
        server.close()
        await server.wait_closed()
        return reused, echoed, bytes(proto.data), proto.lost_calls
    reused, echoed, old, calls = run(loop, main())
    assert echoed == b"hello" and old == b"" and calls == [None]
    assert reused


def test_closed_datagram_number_serves_a_new_endpoint(loop):
    """A datagram transport closes with a datagram waiting; a new endpoint
    gets the number (an adopted stdlib socket) and receives only its own
    datagram."""
    class Datagrams(asyncio.DatagramProtocol):
        def __init__(self):
            self.got = []
            self.lost = loop.create_future()
            self.first = loop.create_future()

        def datagram_received(self, data, addr):
            self.got.append(data)
            if not self.first.done():
                self.first.set_result(data)

        def connection_lost(self, exc):
            self.lost.set_result(exc)

    async def main():
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        old = Datagrams()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: old, local_addr=("127.0.0.1", 0))
        fd = transport.get_extra_info("socket").fileno()
        sender.sendto(b"for the old one",
                      transport.get_extra_info("sockname"))
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        transport.close()
        await old.lost
        new = Datagrams()
        transport2, _ = await loop.create_datagram_endpoint(
            lambda: new, sock=socket_onto_number(sock, fd))
        reused = transport2.get_extra_info("socket").fileno() == fd
        sender.sendto(b"for the new one",
                      transport2.get_extra_info("sockname"))
        first = await new.first
        transport2.close()
        await new.lost
        sender.close()
        return reused, first, new.got, old.got
    reused, first, new_got, old_got = run(loop, main())
    assert reused and first == b"for the new one"
    assert new_got == [b"for the new one"] and old_got == []


# -- many clients, sha256 both ways ----------------------------------------

def test_many_clients_sha256_both_ways(loop):
    assert run(loop, aio_reliability.bulk(20, 256 << 10)) == 20


def test_many_clients_sha256_both_ways_tls(loop, tls_pair):
    assert run(loop, aio_reliability.bulk(20, 256 << 10, tls_pair),
               BOUND * 2) == 20
