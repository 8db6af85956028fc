"""One asyncio benchmark in a fresh interpreter (run by workloads.asyncio_*).

    python asyncio_child.py MODE streams|protocol|datagram SIZE [cpu]

asyncio binds the socket module when it is first imported, so each side of
a comparison needs its own process.  MODE:

* ``stdlib``: asyncio's default loop on the interpreter's own socket;
* ``sockcffi``: the default loop after ``sockcffi.patch()`` (called before
  anything imports ``socket`` or ``asyncio``: the loop's sockets are
  sockcffi's);
* ``aio``: sockcffi.aio's event loop (``sockcffi.aio.run``), no patch;
* ``uvloop``: uvloop's loop (a benchmark-only dependency, CPython only).

* ``streams``: an echo server from ``asyncio.start_server`` and 100 client
  connections (``asyncio.open_connection``) each sending 1 KiB messages and
  reading the echo, all at once; SIZE messages in all.
* ``protocol``: the same echo with ``asyncio.Protocol`` on both sides (the
  server writes back what ``data_received`` gets; each client sends its
  next message once the whole echo is in).
* ``datagram``: an echo ``DatagramProtocol`` endpoint and a client endpoint
  keeping 16 datagrams of 1 KiB in flight; SIZE datagrams in all.

Prints the seconds per message (a round trip) of the timed run, which
follows a warm-up run of a tenth of the size.
"""
import sys

MODE, WORKLOAD, SIZE = sys.argv[1], sys.argv[2], int(sys.argv[3])
# With a fourth argument "cpu": the process's CPU time per message instead
# of the elapsed time (client and server share the process, so this is the
# cost of a round trip, and it holds on a machine busy with other work).
CPU = sys.argv[4:] == ["cpu"]
if MODE == "sockcffi":
    import sockcffi
    sockcffi.patch()

import asyncio      # noqa: E402
import time         # noqa: E402

_clock = time.process_time if CPU else time.perf_counter

CONNECTIONS = 100
MESSAGE = b"m" * 1024
WINDOW = 16


async def streams(total):
    async def echo(reader, writer):
        try:
            while True:
                data = await reader.readexactly(len(MESSAGE))
                writer.write(data)
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    per_connection = max(1, total // CONNECTIONS)

    async def client():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(per_connection):
            writer.write(MESSAGE)
            await writer.drain()
            if await reader.readexactly(len(MESSAGE)) != MESSAGE:
                raise AssertionError("echo differs")
        writer.close()
        await writer.wait_closed()

    start = _clock()
    await asyncio.gather(*(client() for _ in range(CONNECTIONS)))
    elapsed = _clock() - start
    server.close()
    await server.wait_closed()
    return elapsed / (per_connection * CONNECTIONS)


async def protocol(total):
    loop = asyncio.get_running_loop()

    class Echo(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.transport.write(data)

    class Client(asyncio.Protocol):
        def __init__(self, count):
            self.left = count
            self.got = 0
            self.done = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport
            transport.write(MESSAGE)

        def data_received(self, data):
            self.got += len(data)
            if self.got < len(MESSAGE):
                return
            if self.got > len(MESSAGE):
                raise AssertionError("echo differs")
            self.got = 0
            self.left -= 1
            if self.left:
                self.transport.write(MESSAGE)
            else:
                self.transport.close()

        def connection_lost(self, exc):
            if not self.done.done():
                self.done.set_result(exc)

    server = await loop.create_server(Echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    per_connection = max(1, total // CONNECTIONS)
    start = _clock()
    clients = [(await loop.create_connection(
        lambda: Client(per_connection), "127.0.0.1", port))[1]
        for _ in range(CONNECTIONS)]
    await asyncio.gather(*(c.done for c in clients))
    elapsed = _clock() - start
    if any(c.left for c in clients):
        raise AssertionError("a connection ended early")
    server.close()
    await server.wait_closed()
    return elapsed / (per_connection * CONNECTIONS)


async def datagram(total):
    loop = asyncio.get_running_loop()

    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport):
            self.transport = transport

        def datagram_received(self, data, addr):
            self.transport.sendto(data, addr)

    class Client(asyncio.DatagramProtocol):
        def __init__(self):
            self.received = 0
            self.done = loop.create_future()

        def connection_made(self, transport):
            self.transport = transport
            for _ in range(min(WINDOW, total)):
                transport.sendto(MESSAGE)
            self.sent = min(WINDOW, total)

        def datagram_received(self, data, addr):
            self.received += 1
            if self.sent < total:
                self.sent += 1
                self.transport.sendto(MESSAGE)
            elif self.received >= total and not self.done.done():
                self.done.set_result(None)

    server, _ = await loop.create_datagram_endpoint(
        Echo, local_addr=("127.0.0.1", 0))
    address = server.get_extra_info("sockname")
    start = _clock()
    client, protocol = await loop.create_datagram_endpoint(
        Client, remote_addr=address)
    # Loopback does not lose datagrams at this rate; the bound only keeps a
    # lost one from hanging the benchmark.
    await asyncio.wait_for(protocol.done, 120)
    elapsed = _clock() - start
    client.close()
    server.close()
    return elapsed / total


def main():
    work = {"streams": streams, "protocol": protocol,
            "datagram": datagram}[WORKLOAD]
    if MODE == "aio":
        import sockcffi.aio
        run = sockcffi.aio.run
    elif MODE == "uvloop":
        import uvloop
        uvloop.install()
        run = asyncio.run
    else:
        run = asyncio.run
    run(work(max(1, SIZE // 10)))
    print(run(work(SIZE)))


if __name__ == "__main__":
    main()
