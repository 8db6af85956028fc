#!/usr/bin/env python3
"""Reliability of sockcffi.aio's loop under load, against asyncio's own.

    python tools/aio_reliability.py [--short] [--reps N] [--only NAME ...]

Every scenario runs once on asyncio's loop (``asyncio``) and once on
sockcffi.aio's (``sockcffi.aio``); a scenario that fails on either raises.
tests/test_aio_reliability.py runs the same functions with short sizes.

* ``idle``: a server holds 10,000 idle connections (``--short``: 500); the
  server runs in a child interpreter of its own and the clients in another,
  and the report gives the server's resident memory per connection (RSS
  delta over the connections / n; with ``--reps N`` the median and range of
  N runs, the loops alternating).  Then every connection echoes one byte
  and closes: each side sees all of them, once.
* ``bulk``: 200 clients each send 1 MiB and receive 1 MiB at the same time
  (``--short``: 20 x 256 KiB) through streams, each side checking the sha256
  of what it got against the peer's, without and with TLS (a self-signed
  certificate made by ``openssl`` in a temporary folder).

The slow reader, the peer reset and the reused descriptor number are in
the tests only (their sizes are already whole).
"""
import argparse
import asyncio
import hashlib
import os
import random
import selectors
import subprocess
import sys
import tempfile
import time

BOUND = 120         # seconds any one wait may take (a bound, never a timing)
LOOPS = ("asyncio", "sockcffi.aio")


def new_loop(kind):
    if kind == "asyncio":
        return asyncio.SelectorEventLoop()
    import sockcffi.aio
    return sockcffi.aio.new_event_loop()


# -- bulk: N clients x SIZE bytes each way, sha256-checked -----------------

def payload(seed, size):
    """``size`` bytes that both sides can make from ``seed``."""
    return random.Random(seed).randbytes(size)


async def _exchange(reader, writer, data, size):
    """Send ``data`` while reading ``size`` bytes; then swap the sha256 of
    what each side received.  Returns (digest of what came in, the digest
    the peer says it received)."""
    async def send():
        view = memoryview(data)
        for start in range(0, len(data), 65536):
            writer.write(view[start:start + 65536])
            await writer.drain()

    sending = asyncio.ensure_future(send())
    got = hashlib.sha256()
    left = size
    while left:
        chunk = await reader.read(min(left, 1 << 18))
        if not chunk:
            raise ConnectionError("early EOF, %d bytes missing" % left)
        got.update(chunk)
        left -= len(chunk)
    await sending
    writer.write(got.digest())
    await writer.drain()
    peer_says = await reader.readexactly(32)
    return got.digest(), peer_says


async def bulk(clients, size, ssl_pair=None):
    """``clients`` connections, each sending ``size`` bytes both ways at
    once; returns the number of connections whose both directions were
    checked.  ``ssl_pair``: (server context, client context) or None."""
    server_ctx, client_ctx = ssl_pair or (None, None)
    failures = []

    async def serve(reader, writer):
        try:
            seed = int.from_bytes(await reader.readexactly(4), "big")
            data = payload(seed + 1, size)
            got, peer_says = await _exchange(reader, writer, data, size)
            if got != hashlib.sha256(payload(seed, size)).digest():
                failures.append(("server received", seed))
            if peer_says != hashlib.sha256(data).digest():
                failures.append(("client says", seed))
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0,
                                        ssl=server_ctx, backlog=clients)
    port = server.sockets[0].getsockname()[1]

    async def client(seed):
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client_ctx,
            server_hostname="localhost" if client_ctx else None)
        writer.write(seed.to_bytes(4, "big"))
        data = payload(seed, size)
        got, peer_says = await _exchange(reader, writer, data, size)
        if got != hashlib.sha256(payload(seed + 1, size)).digest():
            failures.append(("client received", seed))
        if peer_says != hashlib.sha256(data).digest():
            failures.append(("server says", seed))
        writer.close()
        await writer.wait_closed()

    try:
        await asyncio.gather(*(client(2 * i) for i in range(clients)))
    finally:
        server.close()
        await server.wait_closed()
    if failures:
        raise AssertionError("sha256 mismatches: %r" % failures[:10])
    return clients


def make_certificate(folder):
    """A self-signed certificate and key for ``localhost`` in ``folder``
    (one PEM file); None when ``openssl`` is not installed."""
    path = os.path.join(folder, "keycert.pem")
    key = os.path.join(folder, "key.pem")
    cert = os.path.join(folder, "cert.pem")
    try:
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", cert, "-days", "2", "-subj",
             "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            timeout=BOUND)
    except FileNotFoundError:
        return None
    with open(path, "wb") as out:
        for part in (key, cert):
            with open(part, "rb") as f:
                out.write(f.read())
    return path


def ssl_contexts(certfile):
    import ssl
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certfile)
    client = ssl.create_default_context(cafile=certfile)
    return server, client


# -- idle: a server process holding N connections --------------------------

def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _Idle(asyncio.Protocol):
    """A server connection that echoes and counts; the counts live on the
    class (one server per process)."""
    made = lost = 0
    all_made = all_lost = None
    n = 0

    def connection_made(self, transport):
        self.transport = transport
        cls = _Idle
        cls.made += 1
        if cls.made == cls.n:
            cls.all_made.set_result(None)

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        cls = _Idle
        cls.lost += 1
        if cls.lost == cls.n:
            cls.all_lost.set_result(None)


async def _idle_server(n):
    import gc
    loop = asyncio.get_running_loop()
    _Idle.n = n
    _Idle.all_made = loop.create_future()
    _Idle.all_lost = loop.create_future()
    server = await loop.create_server(_Idle, "127.0.0.1", 0, backlog=1024)
    gc.collect()
    before = rss_bytes()
    print("port %d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.wait_for(_Idle.all_made, BOUND)
    gc.collect()
    held = rss_bytes()
    print("held %d %d" % (held - before, len(loop._selector.get_map())),
          flush=True)
    await asyncio.wait_for(_Idle.all_lost, BOUND)
    server.close()
    await server.wait_closed()
    print("lost %d" % _Idle.lost, flush=True)


def _idle_clients(port, n):
    """Open n connections (plain sockets), report, then on "go" send one
    byte on each, read every echo and close them all."""
    import socket
    socks = []
    for _ in range(n):
        socks.append(socket.create_connection(("127.0.0.1", port), BOUND))
    print("connected", flush=True)
    if sys.stdin.readline().strip() != "go":
        return
    for s in socks:
        s.sendall(b"x")
    bad = sum(s.recv(1) != b"x" for s in socks)
    for s in socks:
        s.close()
    print("echoed %d" % (n - bad), flush=True)


class _Lines:
    """Lines from a child's stdout, each wait bounded."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(proc.stdout, selectors.EVENT_READ)

    def next(self, timeout=BOUND):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sel.select(left):
                raise TimeoutError("no line from %r" % self.proc.args)
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                raise EOFError("child %r ended (%s)" % (
                    self.proc.args, self.proc.wait(BOUND)))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode().split()

    def close(self):
        self.sel.close()


def idle(kind, n, python=sys.executable):
    """Run the idle scenario: returns (server RSS bytes per connection,
    seconds to connect all)."""
    me = os.path.abspath(__file__)
    server = subprocess.Popen([python, me, "--child", "idle-server", kind,
                               str(n)], stdout=subprocess.PIPE)
    clients = None
    try:
        slines = _Lines(server)
        port = int(slines.next()[1])
        start = time.monotonic()
        clients = subprocess.Popen(
            [python, me, "--child", "idle-clients", str(port), str(n)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        clines = _Lines(clients)
        assert clines.next() == ["connected"]
        held = slines.next()
        seconds = time.monotonic() - start
        assert held[0] == "held", held
        # The server's map holds every connection, its listener and its
        # self-pipe.
        assert int(held[2]) == n + 2, held
        clients.stdin.write(b"go\n")
        clients.stdin.flush()
        assert clines.next() == ["echoed", str(n)]
        assert slines.next() == ["lost", str(n)]
        assert clients.wait(BOUND) == 0 and server.wait(BOUND) == 0
        slines.close()
        clines.close()
        return int(held[1]) / n, seconds
    finally:
        for proc in (server, clients):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(BOUND)


def _child(args):
    if args[0] == "idle-server":
        loop = new_loop(args[1])
        try:
            loop.run_until_complete(_idle_server(int(args[2])))
        finally:
            loop.close()
    elif args[0] == "idle-clients":
        _idle_clients(int(args[1]), int(args[2]))


# -- the long mode ---------------------------------------------------------

def _timed(kind, coro_factory):
    loop = new_loop(kind)
    try:
        start = time.monotonic()
        result = loop.run_until_complete(
            asyncio.wait_for(coro_factory(), BOUND * 5))
        return result, time.monotonic() - start
    finally:
        loop.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--short", action="store_true",
                   help="the test suite's sizes")
    p.add_argument("--reps", type=int, default=1,
                   help="runs of the idle scenario per loop")
    p.add_argument("--only", nargs="+", choices=("idle", "bulk"))
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        _child(args.child)
        return 0
    import platform
    print("# %s %s" % (platform.python_implementation(),
                       platform.python_version()))
    only = args.only or ("idle", "bulk")
    if "idle" in only:
        n = 500 if args.short else 10000
        runs = {kind: [] for kind in LOOPS}
        for rep in range(args.reps):
            for kind in LOOPS if rep % 2 == 0 else LOOPS[::-1]:
                runs[kind].append(idle(kind, n))
        for kind in LOOPS:
            per = sorted(p for p, _ in runs[kind])
            print("idle %-13s %6d connections held: %7.0f [%.0f-%.0f] bytes "
                  "of server RSS each (connected in %.1f s)" % (
                      kind, n, per[len(per) // 2], per[0], per[-1],
                      max(s for _, s in runs[kind])), flush=True)
    if "bulk" in only:
        clients, size = (20, 256 << 10) if args.short else (200, 1 << 20)
        with tempfile.TemporaryDirectory() as folder:
            cert = make_certificate(folder)
            for tls in (False, True):
                if tls and cert is None:
                    print("bulk TLS: openssl not installed, skipped")
                    continue
                for kind in LOOPS:
                    pair = ssl_contexts(cert) if tls else None
                    done, seconds = _timed(
                        kind, lambda: bulk(clients, size, pair))
                    print("bulk %-13s %s %d clients x %d KiB each way, "
                          "sha256 checked: %.1f s" % (
                              kind, "TLS  " if tls else "plain", done,
                              size >> 10, seconds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
