"""redis-py against a real redis-server, with sockcffi and without.

    python tools/bench/redis_workload.py [--rounds 3] [--scale 1.0]
        [--python PY ...] [--profile builtin|sockcffi]

Starts its own ``redis-server`` (Debian's package; benchmark only) in a
temporary folder, listening on a free loopback port, a Unix socket and a TLS
port (a self-signed certificate made there with ``openssl``), then runs the
workload in a child interpreter per side and round, the sides alternating:
"builtin" is the interpreter's own socket, "sockcffi" is the same program
under ``python -m sockcffi run`` (sockcffi is ``socket`` and ``ssl``'s
socket from the first import, README "Whole programs").  Every value read
back is checked.  Prints the best of the rounds per phase and the ratio
sockcffi/builtin, for each interpreter given with ``--python`` (default:
the repository's ``.venv-cpython`` and ``.venv-pypy``, where they exist).
The server is stopped at the end, on error too.

``--profile SIDE`` runs one child of that side under cProfile (CPython) or
vmprof (PyPy, when installed) and prints the top of the profile.

The phases (one client each, keys cleared in between):

* setget: 10,000 SET+GET over TCP, values 0 B to 1 MiB (mostly small);
* pipeline: 100 pipelines of 100 SET then 100 GET;
* msetmget: 1,000 MSET of 10 keys, then MGET of them;
* pubsub: 5,000 messages published and read with get_message(timeout=1);
* threads: 4 threads sharing one pool, 1,000 SET+GET each;
* unix: 2,000 SET+GET over the Unix socket;
* tls: 2,000 SET+GET over TLS (certificate checked).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PHASES = ["setget", "pipeline", "msetmget", "pubsub", "threads", "unix",
          "tls"]
SIDES = ["builtin", "sockcffi"]
START_TIMEOUT = 10.0
CHILD_TIMEOUT = 600.0


# --- the workload (child side) -----------------------------------------------

def value(i, size, _blob=[]):
    """A value of ``size`` bytes that differs from its neighbours: the
    index, then a slice of a fixed pseudo-random blob."""
    if not _blob:
        import random
        rnd = random.Random(18)
        _blob.append(bytes(rnd.getrandbits(8) for _ in range(1 << 16)) * 16)
    head = b"%d:" % i
    if size <= len(head):
        return head[:size]
    start = (i * 7919) % 4096
    return head + _blob[0][start:start + size - len(head)]


def size_of(i):
    """0 B to 1 MiB: every 200th value 1 MiB, every 20th 64 KiB, every
    5th 4 KiB, the rest 0 to 999 bytes."""
    if i % 200 == 199:
        return 1 << 20
    if i % 20 == 19:
        return 1 << 16
    if i % 5 == 4:
        return 4096
    return (i * 37) % 1000


def check(got, want, what):
    if got != want:
        raise SystemExit("%s: wrong value (%r... != %r...)"
                         % (what, (got or b"")[:20], want[:20]))


def setget_values(n):
    """The values of :func:`phase_setget`, made before the clock starts:
    slicing 1 MiB values out of the blob is the benchmark's work, not the
    client's."""
    return [value(i, size_of(i)) for i in range(n)]


def phase_setget(r, values, prefix):
    for i, v in enumerate(values):
        key = prefix + b"%d" % i
        r.set(key, v)
        check(r.get(key), v, "setget")


def phase_pipeline(r, n, prefix):
    batch = 100
    for b in range(n // batch):
        p = r.pipeline(transaction=False)
        keys = [prefix + b"p%d" % (b * batch + j) for j in range(batch)]
        values = [value(b * batch + j, (j * 53) % 2000) for j in range(batch)]
        for k, v in zip(keys, values):
            p.set(k, v)
        for k in keys:
            p.get(k)
        got = p.execute()
        if got[:batch] != [True] * batch:
            raise SystemExit("pipeline: SET failed")
        for g, v in zip(got[batch:], values):
            check(g, v, "pipeline")


def phase_msetmget(r, n, prefix):
    for b in range(n):
        mapping = {prefix + b"m%d" % (b * 10 + j): value(b * 10 + j,
                                                          (j * 97) % 500)
                   for j in range(10)}
        r.mset(mapping)
        got = r.mget(list(mapping))
        for g, v in zip(got, mapping.values()):
            check(g, v, "msetmget")


def phase_pubsub(r, n, prefix):
    channel = prefix + b"chan"
    p = r.pubsub(ignore_subscribe_messages=True)
    p.subscribe(channel)
    if p.get_message(timeout=5.0) is not None:  # the subscribe confirmation
        raise SystemExit("pubsub: unexpected message")
    batch = 100
    for b in range(n // batch):
        sent = [value(b * batch + j, 50 + j) for j in range(batch)]
        for v in sent:
            r.publish(channel, v)
        for v in sent:
            msg = None
            deadline = time.monotonic() + 5.0
            while msg is None:
                if time.monotonic() > deadline:
                    raise SystemExit("pubsub: message lost")
                msg = p.get_message(timeout=1.0)
            check(msg["data"], v, "pubsub")
    p.close()


def phase_threads(r, n, prefix):
    import threading
    errors = []

    def work(t):
        try:
            for i in range(n):
                key = prefix + b"t%d:%d" % (t, i)
                v = value(i + t, size_of(i) % 8192)
                r.set(key, v)
                check(r.get(key), v, "threads")
        except BaseException as exc:        # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(CHILD_TIMEOUT)
    if errors:
        raise errors[0]


def run_child(side, conf, scale, only=PHASES):
    import redis
    if side == "sockcffi":
        import sockcffi
        if redis.connection.socket is not sockcffi:
            raise SystemExit("redis-py does not use sockcffi's socket")
    elif redis.connection.socket.__name__ != "socket":
        raise SystemExit("redis-py does not use the built-in socket")

    def n(count):
        return max(1, int(count * scale))

    def tcp():
        return redis.Redis(host="127.0.0.1", port=conf["port"])

    prefix = side.encode() + b":"
    phases = {
        "setget": (tcp, phase_setget, lambda: setget_values(n(10000))),
        "pipeline": (tcp, phase_pipeline, n(100) * 100),
        "msetmget": (tcp, phase_msetmget, n(1000)),
        "pubsub": (tcp, phase_pubsub, n(50) * 100),
        "threads": (lambda: redis.Redis(connection_pool=redis.ConnectionPool(
            host="127.0.0.1", port=conf["port"], max_connections=4)),
            phase_threads, n(1000)),
        "unix": (lambda: redis.Redis(unix_socket_path=conf["unix"]),
                 phase_setget, lambda: setget_values(n(2000))),
        "tls": (lambda: redis.Redis(host="localhost", port=conf["tls_port"],
                                    ssl=True, ssl_ca_certs=conf["cert"],
                                    ssl_cert_reqs="required"),
                phase_setget, lambda: setget_values(n(2000))),
    }
    times = {}
    for name in only:
        make, phase, work = phases[name]
        if callable(work):          # the values, made before the clock
            work = work()
        client = make()
        client.flushdb()
        start = time.perf_counter()
        cpu = time.process_time()
        phase(client, work, prefix)
        times[name] = time.perf_counter() - start
        times[name + " cpu"] = time.process_time() - cpu
        client.flushdb()
        client.close()
        del work
    return times


# --- the server and the rounds (parent side) ---------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(folder):
    openssl = shutil.which("openssl")
    if openssl is None:
        raise SystemExit("openssl is needed for the TLS port")
    key = os.path.join(folder, "key.pem")
    cert = os.path.join(folder, "cert.pem")
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)
    return key, cert


def start_server(folder):
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server not found (apt-get install "
                         "redis-server)")
    key, cert = make_certificate(folder)
    conf = {"port": free_port(), "tls_port": free_port(),
            "unix": os.path.join(folder, "redis.sock"), "cert": cert}
    lines = ["port %d" % conf["port"], "bind 127.0.0.1",
             "unixsocket %s" % conf["unix"], "unixsocketperm 700",
             "tls-port %d" % conf["tls_port"], "tls-cert-file %s" % cert,
             "tls-key-file %s" % key, "tls-ca-cert-file %s" % cert,
             "tls-auth-clients no", 'save ""', "appendonly no",
             "dir %s" % folder, "daemonize no", "loglevel warning",
             "logfile %s" % os.path.join(folder, "redis.log")]
    path = os.path.join(folder, "redis.conf")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    proc = subprocess.Popen([server, path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            with socket.create_connection(("127.0.0.1", conf["port"]),
                                          timeout=1.0) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return proc, conf
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            with open(os.path.join(folder, "redis.log")) as f:
                raise SystemExit("redis-server did not start:\n" + f.read())
        time.sleep(0.05)


def stop_server(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def child_command(python, side, conf, scale, phases, profile=False):
    args = [os.path.abspath(__file__), "--child", side, "--conf",
            json.dumps(conf), "--scale", str(scale), "--phases",
            ",".join(phases)]
    if profile:
        args.append("--profile-child")
    if side == "sockcffi":
        return [python, "-m", "sockcffi", "run"] + args
    return [python] + args


def run_side(python, side, conf, scale, phases, folder):
    proc = subprocess.run(child_command(python, side, conf, scale, phases),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          cwd=folder, timeout=CHILD_TIMEOUT)
    if proc.returncode != 0:
        raise SystemExit("%s %s failed:\n%s" % (python, side,
                                                 proc.stderr.decode()))
    return json.loads(proc.stdout.decode().strip().splitlines()[-1])


def interpreters(given):
    if given:       # absolute: the children run in the temporary folder
        return [os.path.abspath(p) for p in given]
    found = [os.path.join(ROOT, venv, "bin", "python")
             for venv in (".venv-cpython", ".venv-pypy")]
    return [p for p in found if os.path.exists(p)] or [sys.executable]


def describe(python):
    return subprocess.run(
        [python, "-c", "import platform, redis; print(platform."
         "python_implementation(), platform.python_version(), "
         "'redis-py', redis.__version__)"],
        stdout=subprocess.PIPE, check=True, timeout=60).stdout.decode().strip()


def report(python, best, phases):
    print("\n%s" % describe(python))
    print("%-9s %9s %9s %6s   %9s %9s %6s" % (
        "phase", "builtin", "sockcffi", "ratio", "cpu b.", "cpu s.",
        "ratio"))
    for name in phases + ["total"]:
        b, s = best["builtin"][name], best["sockcffi"][name]
        bc, sc = (best["builtin"][name + " cpu"],
                  best["sockcffi"][name + " cpu"])
        print("%-9s %9.3f %9.3f %6.2f   %9.3f %9.3f %6.2f"
              % (name, b, s, s / b, bc, sc, sc / bc))
    sys.stdout.flush()


def measure(python, conf, rounds, scale, phases, folder):
    best = {side: {} for side in SIDES}
    for r in range(rounds):
        order = SIDES if r % 2 == 0 else SIDES[::-1]
        for side in order:
            times = run_side(python, side, conf, scale, phases, folder)
            times["total"] = sum(times[name] for name in phases)
            times["total cpu"] = sum(times[name + " cpu"]
                                     for name in phases)
            print("  round %d %-8s total %.3f s (client cpu %.3f s)"
                  % (r + 1, side, times["total"], times["total cpu"]))
            sys.stdout.flush()
            for name, t in times.items():
                best[side][name] = min(t, best[side].get(name, t))
    return best


def profile(python, side, conf, scale, phases, folder):
    proc = subprocess.run(child_command(python, side, conf, scale, phases,
                                        True),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          cwd=folder, timeout=CHILD_TIMEOUT)
    print(proc.stdout.decode())


def profiled(side, conf, scale, phases):
    """Run the child's workload under a profiler, print the top of it."""
    if sys.implementation.name == "pypy":
        vmprof_top(side, conf, scale, phases)
        return
    import cProfile
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    run_child(side, conf, scale, phases)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(30)


def vmprof_top(side, conf, scale, phases, top=30):
    """PyPy: sample with vmprof (benchmark only), print the functions with
    the most samples where they are the innermost Python frame (self) and
    anywhere on the stack (total)."""
    try:
        import vmprof
    except ImportError:
        raise SystemExit("vmprof is not installed (pip install vmprof)")
    # The temporary folder goes at the end: REDIS_BENCH_VMPROF keeps it.
    path = (os.environ.get("REDIS_BENCH_VMPROF")
            or os.path.abspath("redis.vmprof"))
    with open(path, "w+b") as f:
        vmprof.enable(f.fileno(), 0.0005, real_time=True)
        run_child(side, conf, scale, phases)
        vmprof.disable()
    stats = vmprof.read_profile(path)
    inner, anywhere = {}, {}
    for profile in stats.profiles:
        names = [stats.get_name(a) for a in profile[0]
                 if isinstance(a, int) and a > 0]
        names = [n for n in names if n.startswith("py:")]
        if not names:
            continue
        inner[names[-1]] = inner.get(names[-1], 0) + 1
        for name in set(names):
            anywhere[name] = anywhere.get(name, 0) + 1
    count = len(stats.profiles)
    print("%d samples; self%%, total%%, function" % count)
    for name, n in sorted(inner.items(), key=lambda kv: -kv[1])[:top]:
        print("%5.1f %5.1f  %s" % (100.0 * n / count,
                                   100.0 * anywhere[name] / count,
                                   name[3:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the workload (default 1.0)")
    parser.add_argument("--python", action="append", default=[],
                        help="interpreter to measure (repeatable)")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help="comma-separated phases (default: all)")
    parser.add_argument("--profile", choices=SIDES)
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--conf", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    phases = args.phases.split(",")
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error("unknown phases: %s" % ", ".join(sorted(unknown)))
    if args.child:
        conf = json.loads(args.conf)
        if args.profile_child:
            profiled(args.child, conf, args.scale, phases)
        else:
            print(json.dumps(run_child(args.child, conf, args.scale,
                                       phases)))
        return
    folder = tempfile.mkdtemp(prefix="redis-bench-")
    proc = None
    try:
        proc, conf = start_server(folder)
        for python in interpreters(args.python):
            if args.profile:
                profile(python, args.profile, conf, args.scale, phases,
                        folder)
                continue
            print("%s: %d rounds, scale %g" % (python, args.rounds,
                                               args.scale))
            report(python, measure(python, conf, args.rounds, args.scale,
                                   phases, folder), phases)
    finally:
        if proc is not None:
            stop_server(proc)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
