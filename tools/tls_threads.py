#!/usr/bin/env python3
"""TLS with one reader thread and one writer thread per connection.

``ssl.SSLSocket`` lets one thread read while another writes the same
connection (the C socket mode of ``_ssl`` has always allowed it).  This
tool checks that sockcffi's TLS layer keeps the stream intact under that
pattern, against the stdlib in the same run:

- the peer is a separate child process on the stdlib's ``socket`` and
  ``ssl`` (an echo server: it sends back every byte it reads and, after
  the last one, the sha256 of all it read);
- each client mode runs in its own child process (``stdlib``: the
  interpreter's own modules; ``sockcffi``: sockcffi as
  ``sys.modules['socket']`` with ``sockcffi.tls`` installed, the memory-BIO
  path; on PyPy also ``sockcffi-native``, PyPy's native ``_ssl`` path, its
  default).  Per connection one thread writes SIZE random bytes in pieces
  of random size while another reads the echo and the peer's digest; both
  directions are sha256-checked.  Connections alternate between timeout
  mode and blocking mode, PARALLEL of them at a time.

Every wait is bounded: sockets in timeout mode time out, and a connection
whose threads are still running after ``--stall`` seconds is counted as a
stall and shut down.  Per mode the report gives the connections that were
intact, corrupt (a digest differs), failed (an exception, e.g. the peer's
DECRYPTION_FAILED_OR_BAD_RECORD_MAC alert; timeouts count as stalls),
stalled, lost (the client process died, as the stdlib's can: the report
then shows its stderr), and the *false empty reads*: ``recv()`` returning
b'' before the peer had sent everything (the reader counts it and reads
on).

Usage::

    python tools/tls_threads.py                      # 200 x 4 MiB (long mode)
    python tools/tls_threads.py --connections 16 --size 262144
    python tools/tls_threads.py --json FILE

Exit status 1 when any mode has a corrupt, failed, stalled or lost
connection.
"""
import sys

if __name__ == "__main__" and sys.argv[1:2] == ["client"]:
    # sockcffi is the socket module before anything imports socket or ssl
    # (ssl.SSLSocket subclasses whatever socket.socket is then).
    if sys.argv[2] != "stdlib":
        import sockcffi
        sys.modules["socket"] = sockcffi
        from sockcffi import tls
        tls.install(memory_bio=True if sys.argv[2] == "sockcffi" else None)

import argparse      # noqa: E402
import hashlib       # noqa: E402
import json          # noqa: E402
import os            # noqa: E402
import random        # noqa: E402
import subprocess    # noqa: E402
import threading     # noqa: E402
import time          # noqa: E402

PYPY = sys.implementation.name == "pypy"
DIGEST = 32
HOST = "localhost"
# What the client's connections were made of (see client()).
LAYERS = set()


def find_certificate():
    """The interpreter's own test certificate (CPython's Lib/test/certdata,
    Debian's pypy3-lib-testsuite)."""
    try:
        import test
    except ImportError:
        return None
    base = os.path.dirname(test.__file__)
    for path in (os.path.join(base, "certdata", "keycert.pem"),
                 os.path.join(base, "keycert.pem")):
        if os.path.exists(path):
            return path
    return None


# --- the peer: the stdlib's socket and ssl, an echo server -------------------

def peer(cert, size, stall):
    import socket
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(stall * 2)
    print(listener.getsockname()[1], flush=True)
    lock = threading.Lock()
    failures = []

    def serve(conn):
        try:
            conn.settimeout(stall)
            s = context.wrap_socket(conn, server_side=True)
            digest = hashlib.sha256()
            left = size
            while left:
                data = s.recv(min(left, 65536))
                if not data:
                    raise EOFError("end of stream after %d of %d bytes"
                                   % (size - left, size))
                digest.update(data)
                s.sendall(data)
                left -= len(data)
            s.sendall(digest.digest())
        except Exception as exc:   # noqa: BLE001 - reported, not raised
            with lock:
                failures.append("%s: %s" % (type(exc).__name__, exc))
        finally:
            conn.close()

    # The client says how many connections it makes: the first line of
    # stdin; the peer then reports its failures on stdout and exits.
    total = int(sys.stdin.readline())
    threads = []
    for _ in range(total):
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            failures.append("no connection for %s s" % (stall * 2))
            break
        thread = threading.Thread(target=serve, args=(conn,), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(stall + 10)
    listener.close()
    print(json.dumps({"failures": failures,
                      "hung": sum(t.is_alive() for t in threads)}),
          flush=True)


# --- a client: one reader and one writer thread per connection ---------------

def one_connection(socket, ssl, context, port, index, size, piece, buffers,
                   stall):
    """Run one connection; return its outcome: (status, false empty
    reads, detail)."""
    rng = random.Random(index)
    payload = rng.getrandbits(size * 8).to_bytes(size, "little")
    raw = socket.socket()
    if buffers:
        # Small kernel buffers: the writer meets a full socket often.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffers)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffers)
    raw.settimeout(stall)
    raw.connect(("127.0.0.1", port))
    timed = index % 2 == 0
    if not timed:
        raw.settimeout(None)
    s = context.wrap_socket(raw, server_hostname=HOST)
    LAYERS.add((type(s).__mro__[1].__module__, type(s._sslobj).__name__))
    result = {"false_empty": 0, "errors": [], "received": None}

    def write():
        view = memoryview(payload)
        done = 0
        pieces = random.Random(index + 1)
        try:
            while done < size:
                n = min(size - done, pieces.randint(1, piece))
                s.sendall(view[done:done + n])
                done += n
        except Exception as exc:   # noqa: BLE001 - the outcome is the point
            result["errors"].append("write %s: %s" % (type(exc).__name__,
                                                       exc))

    def read():
        digest = hashlib.sha256()
        tail = b""
        got = 0
        empties = 0
        sizes = random.Random(index + 2)
        try:
            while got < size + DIGEST:
                data = s.recv(sizes.randint(1, 65536))
                if not data:
                    # The peer has not sent all: a false end of stream.
                    result["false_empty"] += 1
                    empties += 1
                    if empties == 3:
                        result["errors"].append(
                            "read: end of stream after %d of %d bytes"
                            % (got, size + DIGEST))
                        return
                    continue
                empties = 0
                echo = min(len(data), max(0, size - got))
                digest.update(data[:echo])
                tail += data[echo:]
                got += len(data)
            result["received"] = (digest.digest(), tail)
        except Exception as exc:   # noqa: BLE001
            result["errors"].append("read %s: %s" % (type(exc).__name__,
                                                      exc))

    threads = [threading.Thread(target=f, daemon=True) for f in (write, read)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + stall + 5
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stalled = any(thread.is_alive() for thread in threads)
    if stalled:
        # Wake the threads: the connection is given up.
        try:
            socket.socket.shutdown(s, socket.SHUT_RDWR)
        except OSError:
            pass
        for thread in threads:
            thread.join(10)
    s.close()
    if stalled:
        return "stall", result["false_empty"], "threads still running"
    errors = result["errors"]
    if errors:
        if any("timed out" in e for e in errors):
            return "stall", result["false_empty"], "; ".join(errors)
        return "failed", result["false_empty"], "; ".join(errors)
    sent = hashlib.sha256(payload).digest()
    echo, peer_digest = result["received"]
    if echo != sent or peer_digest != sent:
        return ("corrupt", result["false_empty"],
                "echo %s, peer's digest %s" % (
                    "differs" if echo != sent else "equal",
                    "differs" if peer_digest != sent else "equal"))
    return "ok", result["false_empty"], ""


def client(mode, port, cert, connections, size, piece, buffers, parallel,
           stall):
    import socket
    import ssl
    import faulthandler
    faulthandler.enable()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cert)
    indices = iter(range(connections))
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                index = next(indices, None)
            if index is None:
                return
            try:
                outcome = one_connection(socket, ssl, context, port, index,
                                         size, piece, buffers, stall)
            except Exception as exc:   # noqa: BLE001 - connect/handshake
                outcome = ("failed", 0, "%s: %s" % (type(exc).__name__, exc))
            # One line per connection as it ends: a client that crashes
            # (the stdlib's SSL object is not locked against two threads)
            # still reports the connections before.
            with lock:
                print(json.dumps(["connection", index] + list(outcome)),
                      flush=True)

    started = time.monotonic()
    workers = [threading.Thread(target=worker, daemon=True)
               for _ in range(parallel)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.monotonic() - started
    # The socket class under ssl.SSLSocket, and the SSL object's class.
    print(json.dumps(["done", sorted(LAYERS), round(elapsed, 2)]),
          flush=True)


def summary(mode, lines, connections):
    """The report of a client mode from the lines its process printed."""
    report = {"mode": mode, "layers": None, "seconds": None}
    outcomes = []
    for line in lines:
        if not line.startswith("["):
            continue
        item = json.loads(line)
        if item[0] == "connection":
            outcomes.append(item[2:])
        elif item[0] == "done":
            report["layers"], report["seconds"] = item[1], item[2]
    for status in ("ok", "corrupt", "failed", "stall"):
        report[status] = sum(1 for o in outcomes if o[0] == status)
    # Connections without an outcome: the client process died.
    report["lost"] = connections - len(outcomes)
    report["false_empty_reads"] = sum(o[1] for o in outcomes)
    report["connections_with_false_empty"] = sum(1 for o in outcomes if o[1])
    details = {}
    for status, _, detail in outcomes:
        if detail:
            key = "%s: %s" % (status, detail[:200])
            details[key] = details.get(key, 0) + 1
    report["details"] = details
    return report


# --- the driver --------------------------------------------------------------

def run_mode(mode, cert, connections, size, piece, buffers, parallel,
             stall):
    me = os.path.abspath(__file__)
    peer_proc = subprocess.Popen(
        [sys.executable, me, "peer", cert, str(size), str(stall)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        universal_newlines=True)
    try:
        port = peer_proc.stdout.readline().strip()
        if not port:
            raise SystemExit("the peer did not start")
        peer_proc.stdin.write("%d\n" % connections)
        peer_proc.stdin.flush()
        budget = (stall + 20) * (connections // parallel + 2)
        proc = subprocess.run(
            [sys.executable, me, "client", mode, port, cert,
             str(connections), str(size), str(piece), str(buffers),
             str(parallel), str(stall)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, timeout=budget)
        report = summary(mode, proc.stdout.splitlines(), connections)
        report["exit"] = proc.returncode
        if proc.returncode:
            # Died (a crash: faulthandler's traceback is in stderr); the
            # peer is not asked for its side.
            report["stderr"] = proc.stderr[-3000:]
            report["peer_failures"] = report["peer_hung"] = None
            report["peer_details"] = {}
            return report
        out, _ = peer_proc.communicate(timeout=stall + 30)
        peer_report = json.loads(out.strip().splitlines()[-1])
        report["peer_failures"] = len(peer_report["failures"])
        report["peer_hung"] = peer_report["hung"]
        kinds = {}
        for text in peer_report["failures"]:
            kinds[text[:160]] = kinds.get(text[:160], 0) + 1
        report["peer_details"] = kinds
        return report
    finally:
        if peer_proc.poll() is None:
            peer_proc.kill()
            peer_proc.wait()


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["peer"]:
        return peer(argv[1], int(argv[2]), float(argv[3]))
    if argv[:1] == ["client"]:
        return client(argv[1], int(argv[2]), argv[3], int(argv[4]),
                      int(argv[5]), int(argv[6]), int(argv[7]), int(argv[8]),
                      float(argv[9]))
    modes = ["stdlib", "sockcffi"] + (["sockcffi-native"] if PYPY else [])
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--size", type=int, default=4 << 20,
                        help="bytes each way per connection (default 4 MiB)")
    parser.add_argument("--piece", type=int, default=256 * 1024,
                        help="largest sendall() of the writer (its sizes "
                        "are random from 1 to this; default 256 KiB)")
    parser.add_argument("--buffers", type=int, default=0,
                        help="SO_SNDBUF and SO_RCVBUF of the client's "
                        "sockets (default: the system's)")
    parser.add_argument("--parallel", type=int, default=4,
                        help="connections at a time (default 4)")
    parser.add_argument("--stall", type=float, default=60.0,
                        help="seconds after which a connection counts as "
                        "stalled (and the socket timeout; default 60)")
    parser.add_argument("--mode", action="append", choices=modes,
                        help="run this client mode (repeatable; default: "
                        + ", ".join(modes) + ")")
    parser.add_argument("--cert", default=None,
                        help="certificate+key PEM (default: the "
                        "interpreter's test keycert.pem)")
    parser.add_argument("--json", help="write the reports to this file")
    args = parser.parse_args(argv)
    cert = args.cert or find_certificate()
    if cert is None:
        parser.error("no test certificate found; give --cert")
    reports = []
    print("%s %s: %d connections x %d bytes each way, %d at a time"
          % (sys.implementation.name, sys.version.split()[0],
             args.connections, args.size, args.parallel))
    print("%-16s %5s %7s %6s %5s %5s %9s %7s %8s" % (
        "mode", "ok", "corrupt", "failed", "stall", "lost", "false b''",
        "(conns)", "seconds"))
    for mode in args.mode or modes:
        report = run_mode(mode, cert, args.connections, args.size,
                          args.piece, args.buffers, args.parallel,
                          args.stall)
        reports.append(report)
        print("%-16s %5d %7d %6d %5d %5d %9d %7d %8s" % (
            mode, report["ok"], report["corrupt"], report["failed"],
            report["stall"], report["lost"], report["false_empty_reads"],
            report["connections_with_false_empty"],
            "%.1f" % report["seconds"] if report["seconds"] else "-"))
        if report["exit"]:
            print("    the client process died (exit status %d):\n%s" % (
                report["exit"], report["stderr"].rstrip()[-1500:]))
        for text, count in sorted(report["details"].items()):
            print("    %4d x %s" % (count, text))
        for text, count in sorted(report["peer_details"].items()):
            print("    %4d x peer %s" % (count, text))
        sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(reports, f, indent=1)
    bad = any(r["corrupt"] or r["failed"] or r["stall"] or r["lost"]
              or r["peer_hung"] for r in reports)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
