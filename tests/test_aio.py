"""sockcffi.aio: its own tests, each run on asyncio's loop and on
sockcffi.aio's (the results must agree), plus what only sockcffi.aio has
(its selector, the adoption of stdlib sockets, the entry points).  The
stdlib's own asyncio suites run against it in tools/aio_conformance.py
(a short sample of them in test_aio_conformance.py)."""
import asyncio
import gc
import os
import selectors
import socket
import struct
import sys

import pytest

import sockcffi
import sockcffi.aio as aio
from sockcffi.aio import EpollSelector

from sockhelpers import fd_count

BOUND = 30      # seconds any one wait may take (a bound, never a timing)

LOOPS = {"asyncio": asyncio.SelectorEventLoop, "sockcffi.aio": aio.EventLoop}


@pytest.fixture(params=sorted(LOOPS))
def loop(request):
    loop = LOOPS[request.param]()
    yield loop
    loop.close()


def run(loop, coro):
    return loop.run_until_complete(asyncio.wait_for(coro, BOUND))


def settle():
    for _ in range(3):
        gc.collect()


# -- the selector ----------------------------------------------------------

def test_selector_matches_stdlib_epoll():
    a, b = socket.socketpair()
    try:
        for cls in (selectors.EpollSelector, EpollSelector):
            sel = cls()
            try:
                key = sel.register(a, selectors.EVENT_READ, "data")
                assert sel.get_key(a) == key
                assert sel.select(0) == []
                b.send(b"x")
                assert sel.select(BOUND) == [(key, selectors.EVENT_READ)]
                key = sel.modify(a, selectors.EVENT_READ
                                 | selectors.EVENT_WRITE, "other")
                assert key.data == "other"
                assert sorted(ev for _, ev in sel.select(BOUND)) == [
                    selectors.EVENT_READ | selectors.EVENT_WRITE]
                with pytest.raises(KeyError):
                    sel.register(a, selectors.EVENT_READ)
                sel.unregister(a)
                with pytest.raises(KeyError):
                    sel.unregister(a)
                assert len(sel.get_map()) == 0
            finally:
                sel.close()
            a.recv(1)
    finally:
        a.close()
        b.close()


def test_selector_hangup_wakes_both_sides():
    a, b = socket.socketpair()
    sel = EpollSelector()
    try:
        key = sel.register(a, selectors.EVENT_READ | selectors.EVENT_WRITE)
        b.close()
        assert sel.select(BOUND) == [
            (key, selectors.EVENT_READ | selectors.EVENT_WRITE)]
    finally:
        sel.close()
        a.close()


def test_selector_close_releases_epoll_fd():
    settle()
    before = fd_count()
    sel = EpollSelector()
    assert fd_count() == before + 1
    fd = sel.fileno()
    sel.close()
    assert fd_count() == before
    assert sel.fileno() == -1
    with pytest.raises(ValueError):
        sel.select(0)
    with pytest.raises(OSError):
        os.fstat(fd)


def test_selector_unregister_closed_descriptor():
    # As selectors.EpollSelector: a descriptor closed while registered is
    # unregistered by its file object without an error.
    a, b = socket.socketpair()
    sel = EpollSelector()
    try:
        sel.register(a, selectors.EVENT_READ)
        a.close()
        sel.unregister(a)
        assert len(sel.get_map()) == 0
    finally:
        sel.close()
        b.close()


# -- entry points ----------------------------------------------------------

def test_run_new_event_loop_policy_install():
    async def main():
        return asyncio.get_running_loop()

    loop = aio.run(main())
    assert isinstance(loop, aio.EventLoop) and loop.is_closed()
    loop = aio.new_event_loop()
    assert isinstance(loop, aio.EventLoop)
    loop.close()
    old = asyncio.get_event_loop_policy()
    try:
        aio.install()
        assert isinstance(asyncio.get_event_loop_policy(),
                          aio.EventLoopPolicy)
        loop = asyncio.new_event_loop()
        assert isinstance(loop, aio.EventLoop)
        loop.close()
        assert isinstance(asyncio.run(main()), aio.EventLoop)
    finally:
        asyncio.set_event_loop_policy(old)


def test_runner_loop_option(tmp_path):
    import subprocess
    script = tmp_path / "prog.py"
    script.write_text(
        "import asyncio, socket\n"
        "async def main():\n"
        "    print(type(asyncio.get_running_loop()).__module__,"
        " socket.__name__)\n"
        "asyncio.run(main())\n")
    out = subprocess.run(
        [sys.executable, "-m", "sockcffi", "run", "--loop", "sockcffi",
         str(script)], cwd=str(tmp_path), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=BOUND)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["sockcffi.aio._loop", "sockcffi"]


def test_loop_sockets_are_sockcffi():
    loop = aio.new_event_loop()
    try:
        async def main():
            server = await asyncio.start_server(
                lambda r, w: w.close(), "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            kinds = (type(server.sockets[0]._sock),
                     type(writer.get_extra_info("socket")._sock))
            writer.close()
            server.close()
            await server.wait_closed()
            return kinds
        assert run(loop, main()) == (sockcffi.socket, sockcffi.socket)
        assert type(loop._ssock) is sockcffi.socket
    finally:
        loop.close()


# -- descriptors -----------------------------------------------------------

def test_close_releases_every_descriptor():
    settle()
    before = fd_count()
    for _ in range(20):
        loop = aio.new_event_loop()

        async def main():
            server = await asyncio.start_server(
                lambda r, w: w.close(), "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            await reader.read()
            writer.close()
            await writer.wait_closed()
            server.close()
            await server.wait_closed()
            transport, _ = await loop.create_datagram_endpoint(
                asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
            transport.close()
        run(loop, main())
        loop.close()
    settle()
    assert fd_count() == before


def test_adopted_stdlib_socket(loop):
    listener = socket.create_server(("127.0.0.1", 0))
    fd = listener.fileno()
    port = listener.getsockname()[1]

    async def main():
        server = await loop.create_server(asyncio.Protocol, sock=listener)
        sock = server.sockets[0]
        assert sock.fileno() == fd == listener.fileno()
        client = socket.create_connection(("127.0.0.1", port))
        transport, _ = await loop.create_connection(
            asyncio.Protocol, sock=client)
        assert transport.get_extra_info("socket").fileno() == \
            client.fileno()
        transport.close()
        await asyncio.sleep(0)
        server.close()
        await server.wait_closed()
        return client
    client = run(loop, main())
    settle()
    # The loop closed both, once: the stdlib objects show it and never
    # close the numbers again.
    assert listener.fileno() == -1 and client.fileno() == -1
    listener.close()
    client.close()


def test_adopted_socket_loses_origin_on_collection():
    settle()
    before = fd_count()
    from sockcffi.aio._loop import adopt
    origin = socket.socket()
    sock = adopt(origin)
    assert type(sock) is not socket.socket and sock.fileno() == \
        origin.fileno()
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        del sock
        settle()
    assert origin.fileno() == -1
    assert fd_count() == before
    del origin
    settle()
    assert fd_count() == before


# -- transports: flow control, EOF, resets ---------------------------------

class Recorder(asyncio.Protocol):
    def __init__(self, loop):
        self.events = []
        self.data = bytearray()
        self.lost = loop.create_future()
        self.made = loop.create_future()

    def connection_made(self, transport):
        self.transport = transport
        self.made.set_result(None)

    def data_received(self, data):
        self.data += data

    def eof_received(self):
        self.events.append("eof")

    def pause_writing(self):
        self.events.append("pause")

    def resume_writing(self):
        self.events.append("resume")

    def connection_lost(self, exc):
        self.events.append(("lost", type(exc).__name__ if exc else None))
        if not self.lost.done():
            self.lost.set_result(exc)


async def on_socketpair(loop, proto):
    """A transport for ``proto`` on one end of a socketpair, and the
    other end (non-blocking)."""
    a, b = socket.socketpair()
    b.setblocking(False)
    transport, _ = await loop.create_unix_connection(lambda: proto, sock=a)
    return transport, b


async def read_some(sock):
    """What the non-blocking ``sock`` holds, or b"" once the loop has had
    a turn."""
    try:
        return sock.recv(1 << 20)
    except BlockingIOError:
        await asyncio.sleep(0)
        return b""


def test_write_flow_control(loop):
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        transport.set_write_buffer_limits(high=64 * 1024, low=16 * 1024)
        chunk = b"x" * 65536
        # Until the kernel buffer fills, writes go straight through; then
        # the transport buffers, and one write past the high-water mark
        # pauses the protocol.
        while "pause" not in proto.events:
            transport.write(chunk)
        size = transport.get_write_buffer_size()
        assert 64 * 1024 < size <= 64 * 1024 + len(chunk)
        while "resume" not in proto.events:
            await read_some(b)
        assert transport.get_write_buffer_size() <= 16 * 1024
        transport.close()
        b.close()
        await proto.lost
        return proto.events
    assert run(loop, main()) == ["pause", "resume", ("lost", None)]


def test_read_flow_control_and_half_close(loop):
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        transport.pause_reading()
        assert not transport.is_reading()
        b.sendall(b"hello")
        b.shutdown(socket.SHUT_WR)
        for _ in range(10):
            await asyncio.sleep(0)
        assert proto.data == b"" and proto.events == []
        transport.resume_reading()
        await proto.lost
        assert proto.data == b"hello"
        b.close()
        return proto.events
    # eof_received returned None: the transport closes itself.
    assert run(loop, main()) == ["eof", ("lost", None)]


def test_eof_received_true_keeps_transport_writable(loop):
    class Echo(Recorder):
        def eof_received(self):
            self.events.append("eof")
            self.transport.write(bytes(self.data))
            self.transport.close()
            return True

    async def main():
        a, b = socket.socketpair()
        b.setblocking(False)
        proto = Echo(loop)
        await loop.create_unix_connection(lambda: proto, sock=a)
        await loop.sock_sendall(b, b"ping")
        b.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = await loop.sock_recv(b, 100)
            if not chunk:
                break
            data += chunk
        await proto.lost
        b.close()
        return data, proto.events
    assert run(loop, main()) == (b"ping", ["eof", ("lost", None)])


def test_buffered_protocol(loop):
    class Buffered(asyncio.BufferedProtocol):
        def __init__(self):
            self.buf = bytearray(7)
            self.got = bytearray()
            self.done = loop.create_future()

        def get_buffer(self, sizehint):
            return self.buf

        def buffer_updated(self, nbytes):
            self.got += self.buf[:nbytes]

        def eof_received(self):
            return None

        def connection_lost(self, exc):
            self.done.set_result(bytes(self.got))

    async def main():
        a, b = socket.socketpair()
        proto = Buffered()
        await loop.create_unix_connection(lambda: proto, sock=a)
        payload = bytes(range(256)) * 40
        b.sendall(payload)
        b.close()
        return await proto.done == payload
    assert run(loop, main())


async def on_tcp(loop, proto):
    """A TCP transport for ``proto`` and its peer (a blocking stdlib
    socket)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    transport, _ = await loop.create_connection(lambda: proto, "127.0.0.1",
                                                port)
    peer, _ = listener.accept()
    listener.close()
    return transport, peer


async def reset_by(peer, proto):
    """``peer`` resets the connection; the exception ``proto`` was lost
    with, after ten more turns of the loop (for a second report)."""
    # SO_LINGER 0: close() sends a reset.
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    peer.close()
    exc = await proto.lost
    for _ in range(10):
        await asyncio.sleep(0)
    return exc


def test_reset_under_full_write_buffer(loop):
    """The peer resets while the transport's buffer is full: the protocol
    gets connection_lost(ConnectionResetError) exactly once, and nothing
    hangs."""
    async def main():
        proto = Recorder(loop)
        transport, peer = await on_tcp(loop, proto)
        chunk = b"x" * 65536
        while "pause" not in proto.events:
            transport.write(chunk)
        exc = await reset_by(peer, proto)
        transport.close()
        for _ in range(10):
            await asyncio.sleep(0)
        return exc, [e for e in proto.events if e[0] == "lost"]
    exc, lost = run(loop, main())
    assert isinstance(exc, ConnectionResetError)
    assert lost == [("lost", "ConnectionResetError")]


def test_exception_handler_and_context(loop):
    import contextvars
    var = contextvars.ContextVar("var", default="unset")
    seen = []

    def handler(loop, context):
        seen.append((type(context.get("exception")).__name__,
                     context["message"]))

    def boom():
        raise ZeroDivisionError

    def look():
        seen.append(var.get())

    loop.set_exception_handler(handler)
    context = contextvars.copy_context()
    context.run(var.set, "mine")
    loop.call_soon(boom)
    loop.call_soon(look, context=context)
    loop.call_soon(look)
    loop.call_soon(loop.stop)
    loop.run_forever()
    assert seen[0][0] == "ZeroDivisionError"
    assert seen[0][1].startswith("Exception in callback")
    assert seen[1:] == ["mine", "unset"]


def test_closed_transport_never_touches_reused_descriptor(loop):
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        fd = transport.get_extra_info("socket").fileno()
        b.sendall(b"pending")           # a read is pending ...
        transport.close()               # ... when the transport closes
        await proto.lost
        c, d = socket.socketpair()      # the lowest free numbers: fd again
        c.setblocking(False)
        d.sendall(b"other")
        for _ in range(10):
            await asyncio.sleep(0)
        reused = fd in (c.fileno(), d.fileno())
        got = c.recv(100)               # BlockingIOError if the loop read it
        for s in (b, c, d):
            s.close()
        return reused, got, bytes(proto.data)
    reused, got, data = run(loop, main())
    assert got == b"other" and data == b""
    assert reused


# -- transports: pooled reads, gathered writes, datagram bursts ------------

def test_received_data_stays_intact_after_later_reads(loop):
    """Reads go through a pooled buffer that the next read reuses: every
    object handed to data_received keeps its bytes afterwards."""
    class Keeper(Recorder):
        def __init__(self, loop):
            super().__init__(loop)
            self.kept = []

        def data_received(self, data):
            self.kept.append((data, bytes(bytearray(data))))
            self.data += data

    async def main():
        proto = Keeper(loop)
        _, b = await on_socketpair(loop, proto)
        chunks = [bytes([i]) * (100 + 997 * i) for i in range(1, 40)]
        sent = 0
        for chunk in chunks:
            await loop.sock_sendall(b, chunk)
            sent += len(chunk)
            # Let the transport read before the next chunk, so that the
            # pooled buffer is reused many times.
            while len(proto.data) < sent:
                await asyncio.sleep(0)
        b.close()
        await proto.lost
        return chunks, proto.kept, bytes(proto.data)
    chunks, kept, data = run(loop, main())
    assert data == b"".join(chunks)
    assert len(kept) >= len(chunks)
    assert all(obj == copy for obj, copy in kept)


def test_queued_writes_keep_order_across_partial_sends(loop):
    """Writes the kernel does not take at once are queued and written
    later (gathered, with partial sends): the peer gets every byte once,
    in write order, and a bytearray changed after write() is sent as it
    was when written."""
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        transport.set_write_buffer_limits(high=1 << 30)
        expected = bytearray()
        i = 0
        # Fill the kernel's buffer, then queue writes of many sizes and
        # kinds (the queue's chunks end up split by partial sends).
        while transport.get_write_buffer_size() < 512 * 1024:
            size = 1 + (i * 7919) % 20000
            data = bytes([i % 251]) * size
            kind = i % 3
            if kind == 0:
                transport.write(data)
            elif kind == 1:
                mutable = bytearray(data)
                transport.write(mutable)
                mutable[:] = b"!" * len(mutable)    # after write(): unseen
            else:
                transport.write(memoryview(data)[1:])
                data = data[1:]
            expected += data
            i += 1
        queued = transport.get_write_buffer_size()
        assert 0 < queued <= len(expected)
        received = bytearray()
        while len(received) < len(expected):
            received += await read_some(b)
        assert transport.get_write_buffer_size() == 0
        transport.close()
        await proto.lost
        b.close()
        return bytes(received) == bytes(expected)
    assert run(loop, main())


def test_write_buffer_size_counts_queued_bytes(loop):
    """get_write_buffer_size() is the bytes queued: it grows by each
    queued write's size and falls as the peer reads, down to 0; the
    protocol is paused above the high-water mark and resumed at the low
    one, once each."""
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        transport.set_write_buffer_limits(high=100000, low=1000)
        while not transport.get_write_buffer_size():
            transport.write(b"x" * 4096)
        sizes = [transport.get_write_buffer_size()]
        for n in (1, 10, 3000, 100000):
            transport.write(memoryview(b"y" * n))
            sizes.append(transport.get_write_buffer_size())
        while "resume" not in proto.events:
            await read_some(b)
        while transport.get_write_buffer_size():
            await read_some(b)
        transport.abort()
        await proto.lost
        b.close()
        return sizes, proto.events
    sizes, events = run(loop, main())
    assert [b - a for a, b in zip(sizes, sizes[1:])] == [1, 10, 3000, 100000]
    assert events == ["pause", "resume", ("lost", None)]


def test_abort_empties_the_write_buffer(loop):
    async def main():
        proto = Recorder(loop)
        transport, b = await on_socketpair(loop, proto)
        while not transport.get_write_buffer_size():
            transport.write(b"x" * 65536)
        transport.abort()
        size = transport.get_write_buffer_size()
        await proto.lost
        b.close()
        return size, proto.events
    assert run(loop, main()) == (0, [("lost", None)])


def test_read_fallbacks(loop):
    """The transport's read when the fast way does not apply: a readiness
    with nothing to read leaves the connection as it was, a max_size past
    the pooled buffer's size still reads, and a reset while reading gives
    connection_lost(ConnectionResetError) exactly once."""
    async def main():
        proto = Recorder(loop)
        transport, peer = await on_tcp(loop, proto)
        transport._read_ready()        # a spurious readiness
        transport.max_size = 1 << 20
        peer.sendall(b"z" * 200000)
        while len(proto.data) < 200000:
            await asyncio.sleep(0)
        exc = await reset_by(peer, proto)
        return bytes(proto.data), exc, proto.events
    data, exc, events = run(loop, main())
    assert data == b"z" * 200000
    assert isinstance(exc, ConnectionResetError)
    assert events == [("lost", "ConnectionResetError")]


def test_socket_subclass_is_called_through_its_methods():
    """sockcffi.aio's transports call the C functions on a sockcffi
    socket's descriptor themselves, but a socket class with its own recv
    or send is called through them."""
    calls = []

    class Counting(sockcffi.socket):
        __slots__ = ()

        def recv(self, *args):
            calls.append("recv")
            return super().recv(*args)

        def send(self, *args):
            calls.append("send")
            return super().send(*args)

    loop = aio.EventLoop()
    try:
        async def main():
            proto = Recorder(loop)
            a, b = sockcffi.socketpair()
            ours = Counting(a.family, a.type, a.proto, fileno=a.detach())
            transport, _ = await loop.create_unix_connection(
                lambda: proto, sock=ours)
            transport.write(b"ping")
            assert b.recv(4) == b"ping"
            b.sendall(b"pong")
            while not proto.data:
                await asyncio.sleep(0)
            transport.close()
            b.close()
            await proto.lost
            return bytes(proto.data)
        assert run(loop, main()) == b"pong"
    finally:
        loop.close()
    assert calls[:2] == ["send", "recv"]


class Burst(asyncio.DatagramProtocol):
    """Records the datagrams it gets; calls ``on_third(transport)`` at the
    third."""
    def __init__(self, loop, on_third):
        self.on_third = on_third
        self.got = []
        self.third = loop.create_future()
        self.all = loop.create_future()
        self.lost = loop.create_future()

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.got.append(data)
        if len(self.got) == 3:
            self.on_third(self.transport)
            self.third.set_result(None)
        if len(self.got) == BURST_SIZE:
            self.all.set_result(None)

    def connection_lost(self, exc):
        self.lost.set_result(exc)


BURST_SIZE = 20


async def burst_endpoint(loop, on_third):
    """A datagram endpoint with BURST_SIZE datagrams waiting, and the
    socket that sent them."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for i in range(BURST_SIZE):
        b.send(b"%d" % i)
    proto = Burst(loop, on_third)
    transport, _ = await loop.create_datagram_endpoint(lambda: proto,
                                                       sock=a)
    return transport, proto, b


def test_datagram_reads_stop_when_the_protocol_closes(loop):
    """A burst of waiting datagrams: the protocol closes its transport on
    the third, and gets no more (however many a readiness event reads)."""
    async def main():
        _, proto, b = await burst_endpoint(loop, lambda t: t.close())
        await proto.lost
        b.close()
        return proto.got
    assert run(loop, main()) == [b"0", b"1", b"2"]


def test_datagram_reads_stop_while_paused(loop):
    """A burst of waiting datagrams: the protocol pauses reading on the
    third and gets no more until it resumes (Python 3.9's datagram
    transports cannot pause: NotImplementedError, on both loops)."""
    paused = []

    def pause(transport):
        try:
            transport.pause_reading()
            paused.append(True)
        except NotImplementedError:
            paused.append(False)

    async def main():
        transport, proto, b = await burst_endpoint(loop, pause)
        await proto.third
        for _ in range(10):
            await asyncio.sleep(0)
        while_paused = len(proto.got)
        if paused[0]:
            transport.resume_reading()
        await proto.all
        transport.close()
        b.close()
        return while_paused, proto.got
    while_paused, got = run(loop, main())
    assert paused == [sys.version_info >= (3, 10)]
    assert while_paused == 3 if paused[0] else while_paused >= 3
    assert got == [b"%d" % i for i in range(BURST_SIZE)]
