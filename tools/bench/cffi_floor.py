"""Where the ping-pong time goes: the same round as workloads.pingpong made
of bare cffi calls (``lib.send``/``lib.recv`` on the descriptors, no socket
object), beside the socket methods of sockcffi and of the stdlib, and the C
program's floor.

    python tools/bench/cffi_floor.py [ROUNDS]

The gap between "bare cffi calls" and the C floor is the cost of calling
out of Python (on PyPy: releasing and retaking the GIL and saving errno per
call, in the JIT's external-call path); the gap between "sockcffi methods"
and "bare cffi calls" is sockcffi's own Python layer.
"""
import os
import socket as stdlib_socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sockcffi  # noqa: E402
from sockcffi._binding import ffi, lib  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402


def bare_calls(rounds):
    a, b = sockcffi.socketpair()
    fa, fb = a.fileno(), b.fileno()
    send, recv, unpack = lib.send, lib.recv, ffi.unpack
    buf = ffi.new("char[]", 1)
    x = b"x"
    start = time.perf_counter()
    for _ in range(rounds):
        send(fa, x, 1, 0)
        unpack(buf, recv(fb, buf, 1, 0))
        send(fb, x, 1, 0)
        unpack(buf, recv(fa, buf, 1, 0))
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return elapsed / rounds


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    cases = [("bare cffi calls", bare_calls),
             ("sockcffi methods", lambda n: workloads.pingpong(sockcffi, n)),
             ("stdlib methods",
              lambda n: workloads.pingpong(stdlib_socket, n))]
    for _, f in cases:                       # warm-up (PyPy's JIT)
        f(rounds // 10)
    results = {name: [] for name, _ in cases}
    for _ in range(5):
        for name, f in cases:
            results[name].append(f(rounds))
    with tempfile.TemporaryDirectory() as workdir:
        exe = run.compile_floor(workdir)
        floor = run.run_floor(exe, "pingpong", rounds, 3) if exe else None
    print("# ping-pong round, %s" % run.machine()["interpreter"])
    for name, _ in cases:
        print("%-18s %7.3f us"
              % (name, statistics.median(results[name]) * 1e6))
    if floor:
        print("%-18s %7.3f us" % ("C floor", floor * 1e6))


if __name__ == "__main__":
    main()
