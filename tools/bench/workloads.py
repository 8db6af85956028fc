"""The benchmark workloads, each written once against a socket module.

Every function takes ``mod`` (the stdlib ``socket`` or ``sockcffi``) and a
size, runs the workload, and returns seconds per unit (per round, per call,
per byte...).  Nothing here knows which module it drives, so both run the
same Python code and a ratio measures only the module.
"""
import os
import resource
import selectors
import time

CHUNK = 64 * 1024


def _tcp_pair(mod):
    listener = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = mod.create_connection(listener.getsockname())
    server, _ = listener.accept()
    listener.close()
    for s in (client, server):
        s.setsockopt(mod.IPPROTO_TCP, mod.TCP_NODELAY, 1)
    return client, server


def _recv_exact(sock, n):
    data = sock.recv(n)
    while len(data) < n:
        more = sock.recv(n - len(data))
        if not more:
            raise EOFError("peer closed")
        data += more
    return data


def fork_child(body):
    """Fork; run body() in the child and leave with its status (a failure's
    traceback printed).  Also tls_child.py's."""
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            body()
        except BaseException:
            import traceback
            traceback.print_exc()
            status = 1
        os._exit(status)
    return pid


def reap(pid):
    _, status = os.waitpid(pid, 0)
    if status:
        raise RuntimeError("benchmark child failed (status %d)" % status)


def pingpong(mod, rounds):
    a, b = mod.socketpair()
    x = b"x"
    a_send, a_recv, b_send, b_recv = a.send, a.recv, b.send, b.recv
    start = time.perf_counter()
    for _ in range(rounds):
        a_send(x)
        b_recv(1)
        b_send(x)
        a_recv(1)
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return elapsed / rounds


def tcp_rr(mod, rounds):
    client, server = _tcp_pair(mod)
    message = b"q" * 100

    def echo():
        client.close()
        for _ in range(rounds):
            server.sendall(_recv_exact(server, 100))

    pid = fork_child(echo)
    server.close()
    start = time.perf_counter()
    for _ in range(rounds):
        client.sendall(message)
        _recv_exact(client, 100)
    elapsed = time.perf_counter() - start
    client.close()
    reap(pid)
    return elapsed / rounds


def _bulk(mod, total, pair):
    a, b = pair
    chunks = max(1, total // CHUNK)
    total = chunks * CHUNK
    payload = b"\0" * CHUNK

    def send_all():
        b.close()
        for _ in range(chunks):
            a.sendall(payload)

    start = time.perf_counter()
    pid = fork_child(send_all)
    a.close()
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    recv_into = b.recv_into
    got = 0
    while got < total:
        n = recv_into(view)
        if not n:
            break
        got += n
    elapsed = time.perf_counter() - start
    b.close()
    reap(pid)
    if got != total:
        raise RuntimeError("bulk: got %d of %d bytes" % (got, total))
    return elapsed / total


def bulk_unix(mod, total):
    return _bulk(mod, total, mod.socketpair())


def bulk_tcp(mod, total):
    return _bulk(mod, total, _tcp_pair(mod))


def udp(mod, count):
    rx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    tx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    addr = rx.getsockname()
    payload = b"d" * 64
    sendto, recvfrom = tx.sendto, rx.recvfrom
    start = time.perf_counter()
    for _ in range(count):
        sendto(payload, addr)
        recvfrom(64)
    elapsed = time.perf_counter() - start
    rx.close()
    tx.close()
    return elapsed / count


def udp_batch(mod, count, batch=64, loop=False):
    """64-byte datagrams over loopback in batches of ``batch``, the sender's
    address decoded for every datagram received: sendmmsg()+recvmmsg()
    where the socket class has them (sockcffi), else -- or with ``loop``
    -- a sendto() loop then a recvfrom() loop per batch (the stdlib).
    Seconds per datagram."""
    rx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    tx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx.bind(("127.0.0.1", 0))
    # The batch calls wait at most 10 s for a batch; the plain loop runs
    # in blocking mode, its fastest (every datagram is queued before the
    # recvfrom() loop).
    rx.settimeout(None if loop else 10)
    addr = rx.getsockname()
    me = tx.getsockname()
    payload = b"d" * 64
    rounds = max(1, count // batch)
    if hasattr(tx, "sendmmsg") and not loop:
        messages = [(payload, addr)] * batch
        sendmmsg, recvmmsg = tx.sendmmsg, rx.recvmmsg
        start = time.perf_counter()
        for _ in range(rounds):
            sent = 0
            while sent < batch:
                sent += sendmmsg(messages[sent:])
            got = 0
            while got < batch:
                results = recvmmsg(batch - got, 64)
                got += len(results)
            if results[-1][3] != me:
                raise RuntimeError("udp_batch: wrong sender address")
        elapsed = time.perf_counter() - start
    else:
        sendto, recvfrom = tx.sendto, rx.recvfrom
        start = time.perf_counter()
        for _ in range(rounds):
            for _ in range(batch):
                sendto(payload, addr)
            for _ in range(batch):
                data, sender = recvfrom(64)
            if sender != me:
                raise RuntimeError("udp_batch: wrong sender address")
        elapsed = time.perf_counter() - start
    rx.close()
    tx.close()
    return elapsed / (rounds * batch)


def udp_receive(mod, count, bufsize, batch=64):
    """Receiving 64-byte datagrams with a ``bufsize`` buffer each, the
    sender's address decoded, timed alone: recvmmsg(64, bufsize) where the
    socket class has it (sockcffi), else recvfrom(bufsize) per datagram
    (the stdlib's way).  Each batch of 64 is queued first (sendmmsg or a
    sendto() loop, not timed).  Seconds per datagram."""
    rx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    tx = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    tx.bind(("127.0.0.1", 0))
    rx.settimeout(10)
    addr = rx.getsockname()
    me = tx.getsockname()
    payload = b"d" * 64
    rounds = max(1, count // batch)
    clock = time.perf_counter
    elapsed = 0.0
    if hasattr(rx, "recvmmsg"):
        messages = [(payload, addr)] * batch
        sendmmsg, recvmmsg = tx.sendmmsg, rx.recvmmsg
        for _ in range(rounds):
            sent = 0
            while sent < batch:
                sent += sendmmsg(messages[sent:])
            start = clock()
            got = 0
            while got < batch:
                results = recvmmsg(batch - got, bufsize)
                got += len(results)
            elapsed += clock() - start
            if results[-1][3] != me or len(results[-1][0]) != 64:
                raise RuntimeError("udp_receive: wrong datagram")
    else:
        sendto, recvfrom = tx.sendto, rx.recvfrom
        for _ in range(rounds):
            for _ in range(batch):
                sendto(payload, addr)
            start = clock()
            for _ in range(batch):
                data, sender = recvfrom(bufsize)
            elapsed += clock() - start
            if sender != me or len(data) != 64:
                raise RuntimeError("udp_receive: wrong datagram")
    rx.close()
    tx.close()
    return elapsed / (rounds * batch)


def churn(mod, count):
    listener = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    addr = listener.getsockname()
    start = time.perf_counter()
    for _ in range(count):
        client = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
        client.connect(addr)
        server, _ = listener.accept()
        server.close()
        client.close()
    elapsed = time.perf_counter() - start
    listener.close()
    return elapsed / count


def _per_call(calls, count):
    start = time.perf_counter()
    for _ in range(count):
        calls()
    return (time.perf_counter() - start) / count


def inet_pton_ntop(mod, count):
    pton, ntop, af4, af6 = mod.inet_pton, mod.inet_ntop, mod.AF_INET, \
        mod.AF_INET6

    def calls():
        ntop(af4, pton(af4, "192.0.2.33"))
        ntop(af6, pton(af6, "2001:db8::1"))
    return _per_call(calls, count) / 4


def htons(mod, count):
    f = mod.htons

    def calls():
        f(1)
        f(8080)
        f(65535)
        f(443)
    return _per_call(calls, count) / 4


def getaddrinfo_numeric(mod, count):
    f, flags = mod.getaddrinfo, mod.AI_NUMERICHOST | mod.AI_NUMERICSERV

    def calls():
        f("127.0.0.1", 80, mod.AF_INET, mod.SOCK_STREAM, 0, flags)
    return _per_call(calls, count)


def getsockopt(mod, count):
    s = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    f, level, opt = s.getsockopt, mod.SOL_SOCKET, mod.SO_RCVBUF

    def calls():
        f(level, opt)
    try:
        return _per_call(calls, count)
    finally:
        s.close()


def fdpass(mod, count):
    a, b = mod.socketpair()
    fds = [a.fileno()]
    send_fds, recv_fds = mod.send_fds, mod.recv_fds
    start = time.perf_counter()
    for _ in range(count):
        send_fds(a, [b"x"], fds)
        _, got, _, _ = recv_fds(b, 1, 1)
        for fd in got:
            os.close(fd)
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return elapsed / count


def _raise_fd_limit(need):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))


def echo_scale(mod, clients, rounds=20):
    """Seconds per echoed message through a selectors echo server with
    ``clients`` concurrent loopback TCP connections, all in this process."""
    _raise_fd_limit(2 * clients + 64)
    listener = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(clients)
    addr = listener.getsockname()
    sel = selectors.DefaultSelector()
    conns, servers = [], []
    for _ in range(clients):
        c = mod.create_connection(addr)
        s, _ = listener.accept()
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        conns.append(c)
        servers.append(s)
    message = b"m" * 32
    start = time.perf_counter()
    for _ in range(rounds):
        for c in conns:
            c.send(message)
        pending = clients
        while pending:
            for key, _ in sel.select(timeout=10):
                data = key.fileobj.recv(4096)
                key.fileobj.send(data)
                pending -= len(data) // len(message)
        for c in conns:
            _recv_exact(c, len(message))
    elapsed = time.perf_counter() - start
    sel.close()
    for s in conns + servers + [listener]:
        s.close()
    return elapsed / (clients * rounds)


def _in_child(script, mode, workload, size):
    """A workload run by ``script`` (beside this file) in a child
    interpreter, where ``mode`` picks the socket module before anything
    imports ``socket``; its printed seconds per unit."""
    import subprocess
    import sys
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), script)
    out = subprocess.run([sys.executable, path, mode, workload, str(size)],
                         check=True, stdout=subprocess.PIPE,
                         universal_newlines=True, timeout=600)
    return float(out.stdout)


def _mode(mod):
    return "stdlib" if mod.__name__ == "socket" else "sockcffi"


def _tls(mod, workload, size, membio=False):
    """A TLS workload in a child interpreter (tls_child.py): ``ssl`` must be
    imported there with ``mod`` already the socket module."""
    mode = _mode(mod)
    if membio and mode == "sockcffi":
        mode = "sockcffi-membio"
    return _in_child("tls_child.py", mode, workload, size)


def _asyncio(mod, workload, size):
    """An asyncio workload in a child interpreter (asyncio_child.py), the
    event loop's sockets from ``mod``."""
    return _in_child("asyncio_child.py", _mode(mod), workload, size)


WORKLOADS = {
    # name: (function, default size, unit shown, C floor workload or None)
    "pingpong": (pingpong, 200000, "us/round", "pingpong"),
    "tcp_rr": (tcp_rr, 20000, "us/round trip", "tcp_rr"),
    "bulk_unix": (bulk_unix, 1 << 30, "GB/s", "bulk_unix"),
    "bulk_tcp": (bulk_tcp, 1 << 30, "GB/s", "bulk_tcp"),
    "udp": (udp, 100000, "us/datagram", "udp"),
    # sockcffi: sendmmsg+recvmmsg; stdlib: sendto/recvfrom loops.
    "udp_batch": (udp_batch, 200000, "us/datagram", "udp_batch"),
    # Both modules: the sendto/recvfrom loops of udp_batch (for sockcffi,
    # the plain loop its batch calls must beat).
    "udp_batch_loop": (lambda mod, n: udp_batch(mod, n, loop=True), 200000,
                       "us/datagram", None),
    # Receiving only, 64-byte datagrams, buffer of 2, 8, 64 KiB: sockcffi
    # recvmmsg(64, bufsize); stdlib recvfrom(bufsize) per datagram.
    "udp_recv_2k": (lambda mod, n: udp_receive(mod, n, 2048), 200000,
                    "us/datagram", None),
    "udp_recv_8k": (lambda mod, n: udp_receive(mod, n, 8192), 200000,
                    "us/datagram", None),
    "udp_recv_64k": (lambda mod, n: udp_receive(mod, n, 65536), 200000,
                     "us/datagram", None),
    "churn": (churn, 5000, "us/connection", "churn"),
    "inet_pton_ntop": (inet_pton_ntop, 200000, "ns/call", None),
    "htons": (htons, 500000, "ns/call", None),
    "getaddrinfo_numeric": (getaddrinfo_numeric, 50000, "ns/call", None),
    "getsockopt": (getsockopt, 300000, "ns/call", None),
    "fdpass": (fdpass, 50000, "us/fd", "fdpass"),
    "echo_10": (lambda mod, n: echo_scale(mod, 10, n), 400, "us/message",
                None),
    "echo_100": (lambda mod, n: echo_scale(mod, 100, n), 40, "us/message",
                 None),
    "echo_1000": (lambda mod, n: echo_scale(mod, 1000, n), 4, "us/message",
                  None),
    # TLS (sockcffi.tls): 64 MiB in 16 KiB records, and full handshakes.
    # The _membio pair forces sockcffi's memory-BIO path, which CPython
    # always takes and PyPy can (its default is its native _ssl path).
    "tls_bulk": (lambda mod, n: _tls(mod, "bulk", n), 64 << 20, "GB/s",
                 None),
    "tls_handshake": (lambda mod, n: _tls(mod, "handshake", n), 300,
                      "us/handshake", None),
    "tls_bulk_membio": (lambda mod, n: _tls(mod, "bulk", n, True), 64 << 20,
                        "GB/s", None),
    "tls_handshake_membio": (lambda mod, n: _tls(mod, "handshake", n, True),
                             300, "us/handshake", None),
    # asyncio with the loop's sockets from the module: streams echo over
    # 100 connections, and a datagram endpoint with 16 in flight; 1 KiB.
    "asyncio_echo": (lambda mod, n: _asyncio(mod, "streams", n), 20000,
                     "us/message", None),
    "asyncio_protocol": (lambda mod, n: _asyncio(mod, "protocol", n), 20000,
                         "us/message", None),
    "asyncio_datagram": (lambda mod, n: _asyncio(mod, "datagram", n), 20000,
                         "us/datagram", None),
}
