"""TLS scenarios run in a child interpreter with one socket module (not a
test module; tests/test_tls.py runs it).

``python tls_scenarios.py stdlib|sockcffi|sockcffi-native CERTFILE [NAME...]``
runs every scenario (or the named ones) with the stdlib's socket, or with
sockcffi as ``sys.modules['socket']`` from the first import plus
``sockcffi.tls`` (memory-BIO path, or PyPy's native path), and prints one
JSON object: the observable outcome of each scenario.  Outcomes hold no
addresses, ports or descriptors, so the runs compare equal exactly when the
behaviour is the same.
"""
import sys

MODE = sys.argv[1]
if MODE != "stdlib":
    import sockcffi
    sys.modules["socket"] = sockcffi
    from sockcffi import tls
    tls.install(memory_bio=MODE == "sockcffi")

import json       # noqa: E402
import os         # noqa: E402
import re         # noqa: E402
import select     # noqa: E402
import socket     # noqa: E402
import ssl        # noqa: E402
import struct     # noqa: E402
import tempfile   # noqa: E402
import threading  # noqa: E402

from sockhelpers import connected_pair  # noqa: E402

CERT = sys.argv[2]
JOIN = 20.0
HOST = "localhost"


def server_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT)
    return ctx


def client_context(verify=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        ctx.load_verify_locations(CERT)
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def describe(exc):
    """An exception as comparable text: class and message without the C
    source positions CPython's _ssl adds."""
    text = re.sub(r" \(_ssl\.c:\d+\)|_ssl\.c:\d+: ", "", str(exc))
    text = re.sub(r"<[^>]*>", "<...>", text)
    return "%s: %s" % (type(exc).__name__, text)


def attempt(f, *args):
    try:
        return ["ok", f(*args)]
    except Exception as e:          # noqa: BLE001 - the outcome is the point
        return ["err", describe(e)]


class Peer(threading.Thread):
    """Runs ``body(sock)`` on the other end of a socket pair, in a thread;
    ``result`` is what it returned or raised."""

    def __init__(self, sock, body):
        super().__init__(daemon=True)
        self.sock, self.body, self.result = sock, body, None
        self.start()

    def run(self):
        self.result = attempt(self.body, self.sock)

    def outcome(self):
        self.join(JOIN)
        assert not self.is_alive(), "peer thread hung"
        return self.result


def tcp_pair():
    return connected_pair(socket)


def tls_pair(client_kwargs=None, server_kwargs=None, cctx=None, sctx=None):
    """A connected (client, server) SSLSocket pair over loopback TCP."""
    a, b = tcp_pair()
    sctx = sctx or server_context()
    peer = Peer(b, lambda s: sctx.wrap_socket(s, server_side=True,
                                              **(server_kwargs or {})))
    cctx = cctx or client_context()
    client = cctx.wrap_socket(a, server_hostname=HOST, **(client_kwargs or {}))
    state, server = peer.outcome()
    assert state == "ok", server
    return client, server


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        more = s.recv(n - len(data))
        if not more:
            break
        data += more
    return data


# --- scenarios ---------------------------------------------------------------

def echo_sizes():
    client, server = tls_pair()
    out = {}
    for size in (1, 100, 16383, 16384, 16385, 1 << 20):
        payload = os.urandom(size)
        peer = Peer(server, lambda s: s.sendall(recv_exact(s, size)))
        client.sendall(payload)
        back = recv_exact(client, size)
        peer.outcome()
        out[size] = back == payload
    buf = bytearray(10)
    server.send(b"0123456789")
    out["recv_into"] = [client.recv_into(buf), bytes(buf)]
    server.write(b"abc")
    out["read"] = client.read(3)
    out["send_empty"] = attempt(client.send, b"")
    out["pending"] = client.pending()
    out["recv_flags"] = attempt(client.recv, 1, 1)
    out["sendto"] = attempt(client.sendto, b"x", ("127.0.0.1", 9))
    out["recvmsg"] = attempt(client.recvmsg, 1)
    out["dup"] = attempt(client.dup)
    client.close()
    server.close()
    return {str(k): v if not isinstance(v, bytes) else v.decode()
            for k, v in out.items()}


def connection_info():
    sctx = server_context()
    sctx.set_alpn_protocols(["h2", "http/1.1"])
    cctx = client_context()
    cctx.set_alpn_protocols(["http/1.1"])
    client, server = tls_pair(cctx=cctx, sctx=sctx)
    cert = client.getpeercert()
    out = {
        "version": [client.version(), server.version()],
        "cipher": [client.cipher(), server.cipher()],
        "alpn": [client.selected_alpn_protocol(),
                 server.selected_alpn_protocol()],
        "compression": client.compression(),
        "server_side": [client.server_side, server.server_side],
        "server_hostname": [client.server_hostname, server.server_hostname],
        "peercert_subject": cert["subject"],
        "peercert_binary_len": len(client.getpeercert(True)),
        "server_peercert": server.getpeercert(),
        "channel_binding": attempt(lambda: len(
            client.get_channel_binding("tls-unique") or b"")),
        "bad_binding": attempt(client.get_channel_binding, "nope"),
        "shared_ciphers": type(server.shared_ciphers()).__name__,
        "context_is": client.context is cctx,
        "session_reused": client.session_reused,
        "isinstance": isinstance(client, socket.socket),
    }
    SSLOBJ_TYPES.add(type(client._sslobj).__name__)
    client.context = sctx
    out["context_set"] = client.context is sctx
    client.close()
    server.close()
    return out


def timeouts():
    out = {}
    client, server = tls_pair()
    client.settimeout(0.05)
    out["recv"] = attempt(client.recv, 10)
    # After a timed-out read the connection still works.
    server.sendall(b"late")
    out["recv_after"] = attempt(client.recv, 10)
    out["unwrap_silent_peer"] = attempt(lambda: client.unwrap() and None)
    client.close()
    server.close()
    a, b = tcp_pair()
    a.settimeout(0.05)
    out["handshake"] = attempt(
        lambda: client_context().wrap_socket(a, server_hostname=HOST))
    a.close()
    b.close()
    return out


def nonblocking():
    out = {}
    a, b = tcp_pair()
    ctx = client_context()
    a.setblocking(False)
    out["handshake_on_connect"] = attempt(
        lambda: ctx.wrap_socket(a, server_hostname=HOST) and None)
    a.close()
    b.close()
    a, b = tcp_pair()
    a.setblocking(False)
    client = ctx.wrap_socket(a, server_hostname=HOST,
                             do_handshake_on_connect=False)
    peer = Peer(b, lambda s: server_context().wrap_socket(s, server_side=True))
    wants = set()
    while True:
        try:
            client.do_handshake()
            break
        except ssl.SSLWantReadError as e:
            wants.add(describe(e))
            select.select([client], [], [], JOIN)
        except ssl.SSLWantWriteError as e:
            wants.add(describe(e))
            select.select([], [client], [], JOIN)
    state, server = peer.outcome()
    # Which of the two a handshake step raises depends on timing; that it
    # raises only these is the behaviour.
    out["handshake_wants"] = wants <= {
        "SSLWantReadError: The operation did not complete (read)",
        "SSLWantWriteError: The operation did not complete (write)"}
    out["recv_nothing"] = attempt(client.recv, 10)
    # Fill the socket until TLS reports that it cannot write.
    sent, block = 0, b"z" * 65536
    while True:
        try:
            sent += client.send(block)
        except ssl.SSLWantWriteError as e:
            out["send_full"] = describe(e)
            break
        if sent > 512 << 20:
            out["send_full"] = "never full"
            break
    # Drain on the other side while retrying the same write, as OpenSSL
    # requires; every byte arrives once, in order.
    received = []
    drained = Peer(server, lambda s: received.append(
        recv_exact(s, sent + len(block))))
    while True:
        try:
            n = client.send(block)
            break
        except ssl.SSLWantWriteError:
            select.select([], [client], [], JOIN)
    out["retried_send"] = n
    drained.outcome()
    data = received[0] if received else b""
    out["all_data"] = [len(data) > 0, data == b"z" * (sent + len(block))]
    client.close()
    server.close()
    return out


def eofs():
    out = {}
    for suppress in (True, False):
        a, b = tcp_pair()
        sctx = server_context()
        peer = Peer(b, lambda s: sctx.wrap_socket(s, server_side=True))
        client = client_context().wrap_socket(
            a, server_hostname=HOST, suppress_ragged_eofs=suppress)
        state, server = peer.outcome()
        # The server's TCP connection ends without close_notify.
        plain = socket.socket(fileno=server.detach())
        plain.close()
        out["ragged_%s" % suppress] = [attempt(client.recv, 10),
                                       attempt(client.recv, 10)]
        client.close()
    client, server = tls_pair()
    peer = Peer(server, lambda s: s.unwrap().close())
    out["close_notify"] = [attempt(client.recv, 10), attempt(client.recv, 10)]
    out["write_after_notify"] = attempt(client.send, b"x")
    client.close()
    peer.outcome()      # its unwrap() ends with the connection
    return out


def starttls():
    """unwrap() in both directions, then cleartext on the same sockets;
    the peer's close_notify and its first cleartext leave together."""
    client, server = tls_pair()

    def server_side(s):
        assert s.recv(100) == b"ENDTLS"
        plain = s.unwrap()
        plain.sendall(b"cleartext follows")
        return plain.recv(100).decode()

    peer = Peer(server, server_side)
    client.sendall(b"ENDTLS")
    plain = client.unwrap()
    out = {"unwrapped_type": type(plain).__name__,
           "same": plain is client,
           "cleartext": recv_exact(plain, 17).decode()}
    plain.sendall(b"bye")
    out["server"] = peer.outcome()
    out["read_unwrapped"] = attempt(plain.read)
    out["unwrap_twice"] = attempt(plain.unwrap)
    plain.close()
    return out


def files():
    client, server = tls_pair()
    out = {}
    with tempfile.TemporaryFile() as f:
        body = os.urandom(300000)
        f.write(body)
        f.seek(0)
        peer = Peer(server, lambda s: recv_exact(s, 200000)
                    == body[1000:201000])
        out["sendfile"] = [client.sendfile(f, 1000, 200000), f.tell()]
        out["sendfile_received"] = peer.outcome()
    reader = server.makefile("rb")
    writer = client.makefile("wb")
    writer.write(b"line one\nline two\n")
    writer.flush()
    out["makefile"] = [reader.readline().decode(), reader.readline().decode()]
    reader.close()
    writer.close()
    client.close()
    server.close()
    return out


def listening_and_connect():
    out = {}
    sctx = server_context()
    listener = sctx.wrap_socket(socket.socket(), server_side=True)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    address = listener.getsockname()
    cctx = client_context()
    accepted = []
    peer = Peer(listener, lambda s: accepted.append(s.accept()[0]))
    client = cctx.wrap_socket(socket.socket(), server_hostname=HOST)
    out["getpeercert_unconnected"] = attempt(client.getpeercert)
    out["connect"] = attempt(client.connect, address)
    peer.outcome()
    server = accepted[0]
    out["accepted_type"] = type(server).__name__
    out["accepted_side"] = server.server_side
    client.sendall(b"hello")
    out["echo"] = server.recv(10).decode()
    out["connect_again"] = attempt(client.connect, address)
    client.close()
    server.close()
    # connect_ex() and session reuse (TLS 1.2 keeps it simple: the ticket
    # comes with the handshake).
    peer = Peer(listener, lambda s: accepted.append(s.accept()[0]))
    cctx.maximum_version = ssl.TLSVersion.TLSv1_2
    first = cctx.wrap_socket(socket.socket(), server_hostname=HOST)
    out["connect_ex"] = first.connect_ex(address)
    peer.outcome()
    session = first.session
    first.close()
    accepted.pop().close()
    peer = Peer(listener, lambda s: accepted.append(s.accept()[0]))
    again = cctx.wrap_socket(socket.socket(), server_hostname=HOST,
                             session=session)
    again.connect(address)
    peer.outcome()
    out["session_reused"] = [again.session_reused,
                             accepted[-1].session_reused,
                             again.session == session]
    again.close()
    accepted.pop().close()
    listener.close()
    return out


def sni_and_failures():
    out = {}
    seen = []
    sctx = server_context()
    sctx.sni_callback = lambda sock, name, ctx: seen.append(
        [type(sock).__name__, name])
    client, server = tls_pair(sctx=sctx)
    out["sni"] = seen
    client.close()
    server.close()
    # Certificate verification fails on the client; the server hears of
    # it through an alert.
    a, b = tcp_pair()
    cctx = ssl.create_default_context()
    peer = Peer(b, lambda s: server_context().wrap_socket(s,
                                                          server_side=True))
    out["verify_failed"] = attempt(
        lambda: cctx.wrap_socket(a, server_hostname=HOST))
    out["verify_failed_server"] = peer.outcome()
    a.close()
    b.close()
    # Cleartext to a TLS server.
    a, b = tcp_pair()
    a.sendall(b"GET / HTTP/1.0\r\n\r\n")
    out["http_to_tls"] = attempt(server_context().wrap_socket, b, True)
    a.close()
    b.close()
    # The peer closes during the handshake.
    a, b = tcp_pair()
    b.close()
    out["closed_in_handshake"] = attempt(
        lambda: client_context().wrap_socket(a, server_hostname=HOST))
    a.close()
    return out


def abort(sock):
    """Close ``sock`` with a reset (RST) rather than a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                    struct.pack("ii", 1, 0))
    sock.close()


def wait_reset(sock):
    """Wait (bounded) until the kernel has taken the peer's reset for
    ``sock``: the hang-up poll() reports whatever else is readable."""
    poller = select.poll()
    poller.register(sock.fileno(), 0)
    assert poller.poll(JOIN * 1000), "no reset arrived"


def reset_after_alert():
    """test_ssl's test_wrong_cert_tls13, its race decided the way that
    lost it: the server rejects the client's certificate after a TLS 1.3
    handshake the client saw complete, and its alert and then a reset are
    in before the client writes.  The write meets the reset; the alert is
    still there for the read after it."""
    sctx = server_context()
    sctx.verify_mode = ssl.CERT_REQUIRED
    sctx.minimum_version = ssl.TLSVersion.TLSv1_3
    cctx = client_context()
    cctx.load_cert_chain(CERT)      # not signed by anything sctx trusts
    cctx.minimum_version = ssl.TLSVersion.TLSv1_3
    alert_arrived = threading.Event()

    def serve(sock):
        conn = sctx.wrap_socket(sock, server_side=True,
                                do_handshake_on_connect=False)
        verdict = attempt(conn.do_handshake)
        alert_arrived.wait(JOIN)
        abort(conn)
        return verdict

    a, b = tcp_pair()
    peer = Peer(b, serve)
    client = cctx.wrap_socket(a, server_hostname=HOST,
                              suppress_ragged_eofs=False)
    out = {"handshake": client.version()}
    readable = select.select([client], [], [], JOIN)[0]
    alert_arrived.set()
    wait_reset(client)
    out["alert_arrived"] = bool(readable)
    out["write"] = attempt(client.write, b"data")
    out["read"] = attempt(client.read, 1000)
    out["read_again"] = attempt(client.read, 1000)
    out["server"] = peer.outcome()
    client.close()
    b.close()
    return out


def reset_after_handshake():
    """test_ssl's SimpleBackgroundTests race (test_ciphers, test_connect,
    get_server_certificate ...): the client's close crosses the server's
    TLS 1.3 session tickets, so the server's next read meets a reset
    rather than an EOF.  Also the server writing into the reset, and
    what keeps the socket's own error (handshake, unwrap)."""
    out = {}
    for suppress in (True, False):
        client, server = tls_pair(
            server_kwargs={"suppress_ragged_eofs": suppress})
        abort(client)
        wait_reset(server)
        out["recv_%s" % suppress] = [attempt(server.recv, 10),
                                     attempt(server.recv, 10)]
        server.close()
    client, server = tls_pair()
    abort(client)
    wait_reset(server)
    out["write"] = attempt(server.write, b"x")
    out["sendall_again"] = attempt(server.sendall, b"y" * 100000)
    server.close()
    if sys.implementation.name != "pypy":
        # PyPy's own _ssl reports this one as SSLSyscallError("Some I/O
        # error occurred") -- its shutdown hands its error record to the
        # error mapping where the return code goes -- which the memory-BIO
        # path does not imitate.
        client, server = tls_pair()
        abort(client)
        wait_reset(server)
        out["unwrap"] = attempt(lambda: server.unwrap() and None)
        server.close()
    a, b = tcp_pair()
    abort(a)
    wait_reset(b)
    out["handshake"] = attempt(server_context().wrap_socket, b, True)
    b.close()
    return out


def post_handshake_auth():
    sctx = server_context()
    sctx.verify_mode = ssl.CERT_OPTIONAL
    sctx.post_handshake_auth = True
    sctx.load_verify_locations(CERT)
    cctx = client_context()
    cctx.post_handshake_auth = True
    cctx.load_cert_chain(CERT)
    client, server = tls_pair(cctx=cctx, sctx=sctx)
    out = {"before": server.getpeercert()}
    server.verify_client_post_handshake()
    server.sendall(b"ping")
    out["client_read"] = client.recv(4).decode()
    client.sendall(b"pong")
    out["server_read"] = server.recv(4).decode()
    out["after"] = bool(server.getpeercert())
    out["client_side_call"] = attempt(client.verify_client_post_handshake)
    client.close()
    server.close()
    return out


SSLOBJ_TYPES = set()
SCENARIOS = [echo_sizes, connection_info, timeouts, nonblocking, eofs,
             starttls, files, listening_and_connect, sni_and_failures,
             post_handshake_auth, reset_after_alert, reset_after_handshake]


def main():
    results = {}
    only = sys.argv[3:]     # scenario names, to run only those
    for scenario in SCENARIOS:
        if only and scenario.__name__ not in only:
            continue
        results[scenario.__name__] = attempt(scenario)
    # Not compared: which classes did the work.
    results["_ssl_socket_base"] = ssl.SSLSocket.__mro__[1].__module__
    results["_sslobj_types"] = sorted(SSLOBJ_TYPES)
    json.dump(results, sys.stdout, sort_keys=True, default=repr)


if __name__ == "__main__":
    main()
