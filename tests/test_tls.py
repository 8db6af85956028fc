"""TLS on sockcffi sockets (sockcffi.tls), against the stdlib's ssl on the
stdlib's socket.

The end-to-end tests run in child interpreters where sockcffi is
``sys.modules['socket']`` before anything imports ``socket`` (as in a
program that adopts it), since ``ssl.SSLSocket`` is built on whatever
``socket.socket`` is when ``ssl`` is first imported.  Certificates are the
interpreter's own test-suite ones (``test/certdata/`` on CPython 3.11,
``test/`` from pypy3-lib-testsuite on Debian's PyPy).
"""
import gc
import json
import os
import ssl
import subprocess
import sys
import textwrap
import threading

import pytest

import sockcffi
from sockcffi import tls
from sockhelpers import run_script_ok

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "tls_scenarios.py")
PYPY = sys.implementation.name == "pypy"
CHILD_TIMEOUT = 300
JOIN = 20.0


def _find_certificate():
    import test
    base = os.path.dirname(test.__file__)
    for path in (os.path.join(base, "certdata", "keycert.pem"),
                 os.path.join(base, "keycert.pem")):
        if os.path.exists(path):
            return path
    return None


CERT = _find_certificate()
needs_cert = pytest.mark.skipif(
    CERT is None, reason="the interpreter's test package has no keycert.pem "
    "(CPython's Lib/test, or Debian's pypy3-lib-testsuite)")


def run_child(args, timeout=CHILD_TIMEOUT):
    return run_script_ok(args, timeout)


# --- the scenarios, both ways ------------------------------------------------

_results = {}


def scenario_results(mode):
    if mode not in _results:
        _results[mode] = json.loads(run_child([SCENARIOS, mode, CERT]))
    return _results[mode]


MODES = ["sockcffi"] + (["sockcffi-native"] if PYPY else [])


@needs_cert
@pytest.mark.parametrize("mode", MODES)
def test_scenarios_behave_as_with_the_stdlib(mode):
    """Handshake, echo of every record boundary, connection details,
    timeouts, non-blocking mode, ragged EOF and close_notify, unwrap with
    cleartext after it, sendfile, makefile, accept/connect/connect_ex,
    session reuse, SNI, verification failures, post-handshake auth: each
    outcome equal to the stdlib's."""
    expected = dict(scenario_results("stdlib"))
    got = dict(scenario_results(mode))
    assert got.pop("_ssl_socket_base") == "sockcffi"
    assert expected.pop("_ssl_socket_base") == "socket"
    types = got.pop("_sslobj_types")
    expected.pop("_sslobj_types")
    assert types == (["SocketTLS"] if mode == "sockcffi" else ["_SSLSocket"])
    for name in sorted(expected):
        assert got[name] == expected[name], name


# --- the connection reset under read and write (test_ssl's races) ------------

@needs_cert
@pytest.mark.parametrize("mode", MODES)
def test_write_into_a_reset_after_the_peers_alert(mode):
    """test_ssl's ThreadedTests.test_wrong_cert_tls13 lost to a race: the
    server rejects the client's certificate once the client's TLS 1.3
    handshake is over, and its alert and then a reset arrive before the
    client writes.  The scenario waits for both (select, then poll() for
    the hang-up) instead of racing.  The write meets ECONNRESET, which
    CPython 3.10-3.12's _ssl reports as SSLEOFError (test_ssl accepts
    'alert unknown ca|EOF occurred', not ConnectionResetError); the alert
    is read after it."""
    expected = scenario_results("stdlib")["reset_after_alert"]
    got = scenario_results(mode)["reset_after_alert"]
    assert expected[0] == "ok", expected
    assert expected[1]["alert_arrived"]
    assert expected[1]["write"][0] == "err"     # the reset came first
    assert "ALERT_UNKNOWN_CA" in expected[1]["read"][1]
    assert got == expected


@needs_cert
@pytest.mark.parametrize("mode", MODES)
def test_read_and_write_into_a_reset_after_the_handshake(mode):
    """test_ssl's SimpleBackgroundTests (test_ciphers, test_connect*,
    test_get_server_certificate*) and TestPostHandshakeAuth lost to a
    race: the client closes right after its handshake, across the
    server's TLS 1.3 session tickets, so the server's next read meets a
    reset rather than an EOF.  Where the native _ssl reports that as
    SSLEOFError, ssl.SSLSocket's suppress_ragged_eofs turns it into b''
    and ThreadedEchoServer carries on; a ConnectionResetError stopped the
    server and the test's next connection was refused.  The server's
    writes into the reset, and the handshake (and unwrap) that keep the
    socket's own error, are compared too."""
    expected = scenario_results("stdlib")["reset_after_handshake"]
    got = scenario_results(mode)["reset_after_handshake"]
    assert expected[0] == "ok", expected
    assert expected[1]["handshake"][1].startswith("ConnectionResetError")
    assert got == expected


# --- 1,000 HTTPS requests, both ends on sockcffi -----------------------------

HTTPS_CHILD = textwrap.dedent("""
    import sys, sockcffi
    sys.modules["socket"] = sockcffi
    from sockcffi import tls
    tls.install()

    import hashlib, http.client, http.server, socket, ssl, threading

    cert = sys.argv[1]

    def body_for(path):
        # Every response different, sizes from 0 to ~200 kB.
        seed = hashlib.sha256(path.encode()).digest()
        return seed * (int.from_bytes(seed[:2], "big") % 6000)

    server_kinds = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            server_kinds.append(type(self.connection._sslobj).__name__)
            body = body_for(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = sctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    cctx = ssl.create_default_context(cafile=cert)
    host, port = server.server_address
    done = 0
    client_kinds = set()
    for connection in range(20):
        conn = http.client.HTTPSConnection("localhost", port, context=cctx,
                                           timeout=30)
        for i in range(50):
            path = "/%d/%d" % (connection, i)
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            assert response.status == 200, response.status
            assert body == body_for(path), path
            client_kinds.add((type(conn.sock).__mro__[1].__module__,
                              type(conn.sock._sslobj).__name__))
            done += 1
        conn.close()
    server.shutdown()
    server.server_close()
    print(done, sorted(client_kinds), sorted(set(server_kinds)))
""")


@needs_cert
def test_https_client_and_server_on_sockcffi_1000_requests():
    out = run_child(["-c", HTTPS_CHILD, CERT]).split(None, 1)
    assert out[0] == "1000"
    kind = "SocketTLS" if tls.MEMORY_BIO_DEFAULT else "_SSLSocket"
    assert out[1].strip() == "%r %r" % ([("sockcffi", kind)], [kind])


# --- one deadline per operation ---------------------------------------------

DEADLINE_CHILD = textwrap.dedent("""
    import sys, sockcffi
    sys.modules["socket"] = sockcffi
    from sockcffi import tls
    tls.install(memory_bio=True)    # this module's path, on PyPy too

    import json, os, socket, ssl, threading, time

    cert, limit = sys.argv[1], float(sys.argv[2])
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(cert)
    cctx = ssl.create_default_context(cafile=cert)

    def pair(buffers=None):
        listener = socket.create_server(("127.0.0.1", 0))
        a = socket.socket()
        if buffers:
            # Small kernel buffers: the peer's pace decides, not them.
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffers)
            a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffers)
        a.connect(listener.getsockname())
        b, _ = listener.accept()
        listener.close()
        result = []
        t = threading.Thread(target=lambda: result.append(
            sctx.wrap_socket(b, server_side=True)))
        t.start()
        client = cctx.wrap_socket(a, server_hostname="localhost")
        t.join(20)
        return client, result[0]

    def trickle(sock, step, stop, steps):
        # The peer's raw descriptor, a little at a time: each receive or
        # send of the client makes progress, none completes its operation.
        raw = socket.socket(fileno=os.dup(sock.fileno()))
        raw.setblocking(False)
        try:
            while True:
                try:
                    step(raw)
                    steps.append(1)
                except (BlockingIOError, ConnectionError):
                    pass
                if stop.wait(0.01):
                    break
        finally:
            raw.close()

    def timed(client, operation, step):
        stop = threading.Event()
        steps = []
        peer = threading.Thread(target=trickle,
                                args=(server, step, stop, steps), daemon=True)
        if step is not None:
            peer.start()
        start = time.monotonic()
        try:
            outcome = "completed %s" % operation()
        except socket.timeout:
            outcome = "timeout"
        elapsed = time.monotonic() - start
        stop.set()
        if step is not None:
            peer.join(20)
        return [outcome, elapsed, len(steps)]

    out = {}
    client, server = pair()
    client.settimeout(limit)
    out["recv_silent"] = timed(client, lambda: client.recv(10), None)
    # A record that never completes: its header, then a byte at a time.
    header = [b"\\x17\\x03\\x03\\x40\\x00"]

    def one_byte(raw):
        raw.send(header.pop() if header else b"x")
    out["recv_trickle"] = timed(client, lambda: client.recv(10), one_byte)
    client.close()
    server.close()

    client, server = pair(buffers=16384)
    client.settimeout(limit)
    # One write() of 8 MiB, its ciphertext taken 4 KiB at a time.
    out["send_trickle"] = timed(client, lambda: client.send(b"y" * 2 ** 23),
                                lambda raw: raw.recv(4096))
    client.close()
    server.close()
    print(json.dumps(out))
""")


@needs_cert
def test_a_read_or_write_keeps_to_its_timeout():
    """settimeout(t) bounds a whole TLS read() or write(), however many
    receives and sends it makes: a silent peer and a record arriving a
    byte at a time end in socket.timeout after t and not much later (one
    poll's rounding and a loaded machine's scheduling); a write of 8 MiB
    that a reader drains as fast as it is encrypted stops at its timeout
    too, with the timeout or the part sent (as a partial send())."""
    limit = 0.3
    out = json.loads(run_child(["-c", DEADLINE_CHILD, CERT, str(limit)]))
    for name, (outcome, elapsed, steps) in out.items():
        if name == "send_trickle" and outcome != "timeout":
            assert 0 < int(outcome.split()[1]) < 2 ** 23, outcome
        else:
            assert outcome == "timeout", name
        assert limit * 0.95 <= elapsed < limit + 0.25, (name, elapsed)
        # The peer did its part while the operation ran.
        assert steps > 3 or name == "recv_silent", (name, steps)


# --- the installation, in this process ---------------------------------------

def test_install_is_idempotent_and_uninstall_restores():
    native = ssl.SSLContext._wrap_socket
    try:
        tls.install()
        tls.install()
        assert tls.installed() == tls.MEMORY_BIO_DEFAULT
        assert ssl.SSLContext._wrap_socket is not native
        if PYPY:
            tls.install(memory_bio=True)
            assert tls.installed()
        else:
            with pytest.raises(ValueError):
                tls.install(memory_bio=False)
    finally:
        tls.uninstall()
    tls.uninstall()
    assert not tls.installed()
    assert ssl.SSLContext._wrap_socket is native
    assert "_wrap_socket" not in vars(ssl.SSLContext)


def socket_tls_pair(a, b):
    """SocketTLS server on ``a``, client on ``b`` (no handshake yet), and
    the client's context."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(CERT)
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(CERT)
    return (tls.SocketTLS(sctx, a, True),
            tls.SocketTLS(cctx, b, False, "localhost"), cctx)


@needs_cert
def test_socket_tls_directly_over_a_sockcffi_socketpair():
    """SocketTLS on its own (no ssl.SSLSocket): what _ssl's socket object
    does, over a sockcffi socket pair in this process."""
    tls.install(memory_bio=True)
    try:
        a, b = sockcffi.socketpair()
        server, client, cctx = socket_tls_pair(a, b)
        done = []

        def serve():
            server.do_handshake()
            done.append(server.read(100))
            server.write(b"pong")
            done.append(server.shutdown() is a)

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        client.do_handshake()
        assert client.version() and client.server_hostname == "localhost"
        assert client.write(b"ping") == 4
        assert client.read(100) == b"pong"
        assert client.shutdown() is b
        thread.join(JOIN)
        assert done == [b"ping", True]
        a.close()
        b.close()
        # The socket is held weakly, as _ssl holds it.
        c, d = sockcffi.socketpair()
        orphan = tls.SocketTLS(cctx, c, False, "localhost")
        c.close()
        del c
        gc.collect()
        with pytest.raises(ssl.SSLError, match="connection gone"):
            orphan.do_handshake()
        d.close()
    finally:
        tls.uninstall()


# --- one reader thread and one writer thread per connection ------------------

THREADS_TOOL = os.path.join(os.path.dirname(HERE), "tools", "tls_threads.py")


@needs_cert
def test_one_reader_and_one_writer_thread_per_connection(tmp_path):
    """tools/tls_threads.py in short mode: per connection one thread
    writes 256 KiB (in pieces of up to 32 KiB, through 32 KiB kernel
    buffers) while another reads the echo of a stdlib peer in another
    process; both directions sha256-checked.  sockcffi's memory-BIO path
    keeps every stream whole: no corrupt, failed or stalled connection and
    no false end of stream.  The stdlib's own runs (and PyPy's native _ssl
    path, which is PyPy's) are reported, not judged: their SSL objects are
    not locked against a reader and a writer (CPython's stdlib corrupted a
    few connections in a thousand in tools/tls_threads.py runs; PyPy's
    _ssl shares its last error between the threads, so a read may raise
    the writer's EAGAIN)."""
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, THREADS_TOOL, "--connections", "16", "--size",
         str(256 * 1024), "--piece", str(32 * 1024), "--buffers",
         str(32 * 1024), "--stall", "20", "--cert", CERT, "--json",
         str(report)],
        cwd=str(tmp_path), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=CHILD_TIMEOUT,
        universal_newlines=True)
    print(proc.stdout)
    assert proc.returncode in (0, 1), proc.stderr[-5000:]
    reports = {r["mode"]: r for r in json.loads(report.read_text())}
    assert sorted(reports) == sorted(["stdlib"] + MODES)
    got = reports["sockcffi"]
    assert got["layers"] == [["sockcffi", "SocketTLS"]]
    assert (got["ok"], got["corrupt"], got["failed"], got["stall"],
            got["lost"], got["false_empty_reads"]) == (16, 0, 0, 0, 0, 0), got
    assert (got["peer_failures"], got["peer_hung"]) == (0, 0), got
    for mode, other in reports.items():
        # Every connection is accounted for, within the bounded waits (the
        # stdlib's client process may die: lost).
        assert other["ok"] + other["corrupt"] + other["failed"] + other[
            "stall"] + other["lost"] == 16, other


@needs_cert
@pytest.mark.parametrize("timeout", [None, 10.0], ids=["blocking", "timeout"])
def test_a_read_does_not_wait_to_send_a_writes_ciphertext(timeout):
    """A write() that raised SSLWantWriteError left ciphertext the kernel
    did not take, and the peer reads nothing until it has had an answer.
    A read() then returns what the peer sent: it sends what the kernel
    takes, and waits to send the rest only while it waits to receive
    (before, it waited until all of it was sent: forever in blocking mode,
    a timeout in timeout mode).  The retried write() then completes the
    stream, byte for byte."""
    tls.install(memory_bio=True)
    a, b = sockcffi.socketpair()
    try:
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(CERT)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(CERT)
        # The server's end and the setup in timeout mode: no unbounded
        # wait if a thread fails.
        a.settimeout(JOIN)
        b.settimeout(JOIN)
        server = tls.SocketTLS(sctx, a, True)
        client = tls.SocketTLS(cctx, b, False, "localhost")
        thread = threading.Thread(target=server.do_handshake, daemon=True)
        thread.start()
        client.do_handshake()
        thread.join(JOIN)
        server.write(b"hello")
        big = os.urandom(4 << 20)
        b.setblocking(False)
        with pytest.raises(ssl.SSLWantWriteError):
            client.write(big)
        b.settimeout(timeout)
        got = []
        reader = threading.Thread(target=lambda: got.append(
            client.read(5)), daemon=True)
        reader.start()
        reader.join(JOIN)
        stuck = reader.is_alive()
        received = bytearray()
        wrote = []

        def drain():
            while len(received) < len(big):
                received.extend(server.read(1 << 16))
        # Both ends in threads, every wait bounded: a failure closes the
        # sockets, which ends the other.
        peer = threading.Thread(target=drain, daemon=True)
        peer.start()
        writer = threading.Thread(target=lambda: wrote.append(
            client.write(big)), daemon=True)
        writer.start()
        writer.join(JOIN)
        peer.join(JOIN)
        assert not stuck and got == [b"hello"]
        assert not writer.is_alive() and not peer.is_alive()
        assert wrote == [len(big)]
        assert received == big
    finally:
        a.close()
        b.close()
        tls.uninstall()


@needs_cert
def test_read_into_a_buffer_converts_as_ssl_does():
    """Found by the surface class of tools/adversarial.py: on PyPy the
    SSL object's read sized the read by len() of the caller's object
    (0 for a bytearray subclass that says so) and wrote into read-only
    buffers -- a bytes object, a read-only memoryview -- and a length
    whose comparisons lie read past it.  As CPython's _ssl: the length
    is an exact int ("n"), the buffer a writable contiguous one ("w*")."""
    class Lying(bytearray):
        def __len__(self):
            return 0

    class LyingInt(int):
        def __gt__(self, other):
            return False

        def __lt__(self, other):
            return True

    tls.install(memory_bio=True)
    a, b = sockcffi.socketpair()
    a.settimeout(JOIN)
    b.settimeout(JOIN)
    try:
        server, client, _ = socket_tls_pair(a, b)
        thread = threading.Thread(target=lambda: (
            server.do_handshake(), server.write(b"x" * 64)), daemon=True)
        thread.start()
        client.do_handshake()
        thread.join(JOIN)
        frozen = bytes(32)
        for readonly in (frozen, memoryview(bytearray(32)).toreadonly()):
            with pytest.raises(TypeError):
                client.read(16, readonly)
        assert frozen == bytes(32)
        with pytest.raises(TypeError):
            client.read(16, memoryview(bytearray(64))[::2])
        buf = Lying(32)
        assert client.read(16, buf) == 16
        assert bytes(buf) == b"x" * 16 + bytes(16)
        buf = bytearray(32)
        assert client.read(LyingInt(8), buf) == 8
        assert bytes(buf) == b"x" * 8 + bytes(24)
        assert client.read(LyingInt(8)) == b"x" * 8
        with pytest.raises(TypeError):
            client.read(8.0)
    finally:
        a.close()
        b.close()
        tls.uninstall()
