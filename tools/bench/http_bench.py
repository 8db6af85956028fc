"""HTTP/1.1 keep-alive servers on each event loop, driven by wrk.

    python tools/bench/http_bench.py [--reps N] [--secs S] [--warmup S]
                                     [--servers protocol aiohttp]

Runs http_server.py (an ``asyncio.Protocol`` server, and aiohttp's server
where aiohttp is importable) in a child interpreter per loop: under
.venv-cpython asyncio's default loop, uvloop (when installed), the default
loop after ``sockcffi.patch()`` and sockcffi.aio's loop; under .venv-pypy the
default loop, ``patch()`` and sockcffi.aio.  The server is pinned to CPU 0
and ``wrk -t1 -c100`` (Debian's package) to CPU 1 (``taskset``).  Each run
starts a fresh server, warms it up with a wrk run of ``--warmup`` seconds
(PyPy's JIT), then measures one of ``--secs``: requests per second (wrk's
figure) and the server's CPU time per request (utime + stime from
/proc/PID/stat around the measured run, over wrk's request count).  The
loops alternate within each repetition; the table gives medians with
[min-max] over the repetitions.  wrk saturates its core first on two
cores, so the CPU time per request is the server's cost.
"""
import argparse
import os
import re
import selectors
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SERVER = os.path.join(HERE, "http_server.py")
TICK = os.sysconf("SC_CLK_TCK")
BOUND = 60

# (column label, venv, http_server.py mode)
LOOPS = (("CPython default loop", ".venv-cpython", "stdlib"),
         ("CPython + uvloop", ".venv-cpython", "uvloop"),
         ("CPython patch()", ".venv-cpython", "sockcffi"),
         ("CPython sockcffi.aio", ".venv-cpython", "aio"),
         ("PyPy default loop", ".venv-pypy", "stdlib"),
         ("PyPy patch()", ".venv-pypy", "sockcffi"),
         ("PyPy sockcffi.aio", ".venv-pypy", "aio"))


def python_of(venv):
    return os.path.join(ROOT, venv, "bin", "python")


def importable(python, module):
    return subprocess.call([python, "-c", "import " + module],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL) == 0


def cpu_seconds(pid):
    """(utime, stime) of process ``pid`` in seconds (fields 14 and 15 of
    its stat): the time in its own code and in the kernel for it."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICK, int(fields[12]) / TICK


def read_port(proc):
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + BOUND
    buf = b""
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError("the server printed no port")
            chunk = os.read(proc.stdout.fileno(), 100)
            if not chunk:
                raise EOFError("the server ended: %s" % proc.wait(BOUND))
            buf += chunk
    finally:
        sel.close()
    return int(buf.split()[1])


def wrk(port, secs, connections):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % connections,
         "-d%ds" % secs, "http://127.0.0.1:%d/" % port],
        check=True, stdout=subprocess.PIPE, universal_newlines=True,
        timeout=secs + BOUND).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1))
    errors = re.search(r"Socket errors: (.*)|Non-2xx.*", out)
    return requests, rate, errors.group(0) if errors else None


def once(python, mode, server, args):
    """(requests/s, server CPU µs per request, the part of it in the
    kernel) of one fresh server."""
    proc = subprocess.Popen(
        ["taskset", "-c", "0", python, SERVER, mode, server],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = read_port(proc)
        if args.warmup:
            wrk(port, args.warmup, args.connections)
        before = cpu_seconds(proc.pid)
        requests, rate, errors = wrk(port, args.secs, args.connections)
        after = cpu_seconds(proc.pid)
        system = after[1] - before[1]
        cpu = after[0] - before[0] + system
        if errors:
            print("  (wrk against %s %s: %s)" % (mode, server, errors),
                  flush=True)
        return rate, cpu / requests * 1e6, system / requests * 1e6
    finally:
        proc.stdin.close()
        try:
            proc.wait(BOUND)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(BOUND)


def spread(values, fmt):
    return (fmt + " [" + fmt + "-" + fmt + "]") % (
        statistics.median(values), min(values), max(values))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--secs", type=int, default=8)
    p.add_argument("--warmup", type=int, default=4,
                   help="seconds of wrk before each measured run (JIT)")
    p.add_argument("--connections", type=int, default=100)
    p.add_argument("--servers", nargs="+", default=["protocol", "aiohttp"],
                   choices=("protocol", "aiohttp"))
    p.add_argument("--only", nargs="+", metavar="LABEL",
                   help="column labels to run (default: all)")
    args = p.parse_args()
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        sys.exit("wrk and taskset are needed (apt-get install wrk)")
    loops = [(label, python_of(venv), mode) for label, venv, mode in LOOPS
             if os.path.exists(python_of(venv))
             and (mode != "uvloop" or importable(python_of(venv), "uvloop"))
             and (not args.only or label in args.only)]
    print("# wrk -t1 -c%d -d%ds (after %ds of warm-up), server on CPU 0, "
          "wrk on CPU 1; median [min-max] of %d" % (
              args.connections, args.secs, args.warmup, args.reps))
    for server in args.servers:
        runs = [(label, python, mode) for label, python, mode in loops
                if server != "aiohttp" or importable(python, "aiohttp")]
        samples = {label: [] for label, _, _ in runs}
        for rep in range(args.reps):
            for label, python, mode in (runs if rep % 2 == 0
                                        else runs[::-1]):
                samples[label].append(once(python, mode, server, args))
        print("%s server:" % server)
        base = statistics.median(r for r, _, _ in samples[runs[0][0]])
        for label, _, _ in runs:
            rates, cpus, kernel = zip(*samples[label])
            print("  %-22s %24s requests/s (%.2fx)  %20s us CPU/request "
                  "(%.1f in the kernel)" % (
                      label, spread(rates, "%.0f"),
                      statistics.median(rates) / base, spread(cpus, "%.1f"),
                      statistics.median(kernel)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
