"""One TLS benchmark in a fresh interpreter (run by workloads.tls_*).

    python tls_child.py stdlib|sockcffi|sockcffi-membio bulk|handshake SIZE

``ssl.SSLSocket`` is built on whatever ``socket.socket`` is when ``ssl`` is
first imported, so each side of a comparison needs its own process: here
sockcffi becomes ``sys.modules['socket']`` before anything imports
``socket``, and ``sockcffi.tls`` is installed (``sockcffi-membio`` forces
the memory-BIO path, PyPy's default being its native one).  Both ends of
the connection use the same module; the peer runs in a forked process.
Prints the seconds per unit (per byte, per handshake) of the timed run,
which follows a warm-up run of a tenth of the size.
"""
import sys

MODE, WORKLOAD, SIZE = sys.argv[1], sys.argv[2], int(sys.argv[3])
if MODE != "stdlib":
    import sockcffi
    sys.modules["socket"] = sockcffi
    from sockcffi import tls
    tls.install(memory_bio=True if MODE == "sockcffi-membio" else None)

import os           # noqa: E402
import shutil       # noqa: E402
import socket       # noqa: E402
import ssl          # noqa: E402
import subprocess   # noqa: E402
import tempfile     # noqa: E402
import time         # noqa: E402

from workloads import fork_child, reap  # noqa: E402

RECORD = 16 * 1024


def certificate(workdir):
    """The interpreter's test certificate, or one made with openssl."""
    try:
        import test
        base = os.path.dirname(test.__file__)
        for path in (os.path.join(base, "certdata", "keycert.pem"),
                     os.path.join(base, "keycert.pem")):
            if os.path.exists(path):
                return path
    except ImportError:
        pass
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("no test certificate and no openssl command")
    path = os.path.join(workdir, "keycert.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost", "-keyout", path,
                    "-out", path + ".crt"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path, "a") as f, open(path + ".crt") as crt:
        f.write(crt.read())
    return path


def contexts(cert):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cert)
    return server, client


def bulk(cert, total):
    """Seconds per byte: ``total`` bytes sent with sendall() in 16 KiB
    records, received with recv_into(), until the receiver's 1-byte ack."""
    sctx, cctx = contexts(cert)
    listener = socket.create_server(("127.0.0.1", 0))
    address = listener.getsockname()

    def receive():
        conn, _ = listener.accept()
        tls_conn = sctx.wrap_socket(conn, server_side=True)
        buf = bytearray(64 * 1024)
        got = 0
        while got < total:
            n = tls_conn.recv_into(buf)
            if not n:
                raise EOFError("sender closed early")
            got += n
        tls_conn.sendall(b"!")
        tls_conn.close()

    pid = fork_child(receive)
    listener.close()
    client = cctx.wrap_socket(socket.create_connection(address),
                              server_hostname="localhost")
    block = b"b" * RECORD
    start = time.perf_counter()
    for _ in range(total // RECORD):
        client.sendall(block)
    if client.recv(1) != b"!":
        raise SystemExit("no acknowledgement")
    elapsed = time.perf_counter() - start
    client.close()
    reap(pid)
    return elapsed / total


def handshake(cert, count):
    """Seconds per connection: TCP connect, TLS handshake (TLS 1.3, full,
    no resumption), one byte each way, close."""
    sctx, cctx = contexts(cert)
    listener = socket.create_server(("127.0.0.1", 0))
    address = listener.getsockname()

    def serve():
        for _ in range(count):
            conn, _ = listener.accept()
            with sctx.wrap_socket(conn, server_side=True) as tls_conn:
                tls_conn.sendall(tls_conn.recv(1))

    pid = fork_child(serve)
    listener.close()
    start = time.perf_counter()
    for _ in range(count):
        with cctx.wrap_socket(socket.create_connection(address),
                              server_hostname="localhost") as client:
            client.sendall(b"h")
            if client.recv(1) != b"h":
                raise SystemExit("no echo")
    elapsed = time.perf_counter() - start
    reap(pid)
    return elapsed / count


def main():
    run = {"bulk": bulk, "handshake": handshake}[WORKLOAD]
    with tempfile.TemporaryDirectory() as workdir:
        cert = certificate(workdir)
        unit = RECORD if WORKLOAD == "bulk" else 1
        run(cert, max(unit, (SIZE // 10) // unit * unit))     # warm-up
        print(repr(run(cert, max(unit, SIZE // unit * unit))))


if __name__ == "__main__":
    main()
