"""asyncio echo workloads on each event loop, side by side in one run.

    python tools/bench/aio_loops.py [--reps N] [--size N] [--only W ...]
    python tools/bench/aio_loops.py --all   # .venv-cpython, then .venv-pypy

The workloads of asyncio_child.py -- streams echo and protocol echo over
100 connections, a datagram endpoint with 16 in flight, 1 KiB messages --
each run in a fresh child interpreter per loop (asyncio_child.py's modes):
asyncio's default loop (``stdlib``), the default loop after
``sockcffi.patch()`` (``patch``), sockcffi.aio's loop (``aio``), and uvloop
where it is installed (a benchmark-only dependency: ``pip install uvloop``
into the CPython venv; it does not build on PyPy).  The loops alternate
within each repetition; the table shows medians in microseconds per message
(a round trip), and each loop's ratio to the default loop.  ``--cpu``
reports the child's CPU time per message instead (client and server share
the process), a figure that holds on a machine busy with other work.
"""
import argparse
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CHILD = os.path.join(HERE, "asyncio_child.py")
sys.path.insert(0, HERE)

from run import run_all  # noqa: E402

WORKLOADS = ("streams", "protocol", "datagram")
# column label -> asyncio_child.py mode
LOOPS = (("default", "stdlib"), ("patch()", "sockcffi"),
         ("sockcffi.aio", "aio"), ("uvloop", "uvloop"))


def have_uvloop():
    return subprocess.call(
        [sys.executable, "-c", "import uvloop"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL) == 0


def once(mode, workload, size, cpu):
    out = subprocess.run([sys.executable, CHILD, mode, workload, str(size)]
                         + (["cpu"] if cpu else []),
                         check=True, stdout=subprocess.PIPE,
                         universal_newlines=True, timeout=600)
    return float(out.stdout) * 1e6


def run(args):
    loops = [(label, mode) for label, mode in LOOPS
             if mode != "uvloop" or have_uvloop()]
    print("# %s %s, %s CPUs; %s us/message, median of %d" % (
        platform.python_implementation(), platform.python_version(),
        os.cpu_count(), "CPU" if args.cpu else "elapsed", args.reps))
    print("%-10s" % "workload" + "".join(" %13s" % label
                                         for label, _ in loops)
          + "".join(" %20s" % ("%s/default" % label)
                    for label, _ in loops[1:]))
    for workload in args.only or WORKLOADS:
        samples = {mode: [] for _, mode in loops}
        for rep in range(args.reps):
            order = loops if rep % 2 == 0 else loops[::-1]
            for _, mode in order:
                samples[mode].append(once(mode, workload, args.size,
                                          args.cpu))
        med = [statistics.median(samples[mode]) for _, mode in loops]
        print("%-10s" % workload + "".join(" %13.2f" % m for m in med)
              + "".join(" %20.2f" % (m / med[0]) for m in med[1:]),
              flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--size", type=int, default=20000,
                   help="messages per timed run (default %(default)s)")
    p.add_argument("--only", nargs="+", choices=WORKLOADS)
    p.add_argument("--cpu", action="store_true",
                   help="the process's CPU time per message instead of the "
                        "elapsed time (steadier on a busy machine)")
    p.add_argument("--all", action="store_true",
                   help="run under .venv-cpython and .venv-pypy in turn")
    args = p.parse_args()
    if args.all:
        return run_all(__file__)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
