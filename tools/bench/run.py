"""sockcffi benchmarks: sockcffi against the running interpreter's stdlib
socket, side by side in one run, with a C floor for syscall-bound workloads.

    python tools/bench/run.py [--quick] [--reps N] [--only NAME ...] [--json F]
    python tools/bench/run.py --all     # under .venv-cpython and .venv-pypy

Each workload (workloads.py) runs with both modules alternately, after a
warm-up run of each (the JIT's, on PyPy); the table shows the medians, the
ratio sockcffi/stdlib, and the C floor where there is one.  For time units
a ratio below 1 means sockcffi is faster; for GB/s above 1 does.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import workloads  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def _scale(unit, seconds):
    """Seconds per unit -> the displayed figure."""
    if unit == "GB/s":
        return 1e-9 / seconds
    if unit.startswith("ns"):
        return seconds * 1e9
    return seconds * 1e6


def compile_floor(workdir):
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if not cc:
        return None
    exe = os.path.join(workdir, "cfloor")
    subprocess.run([cc, "-O2", "-o", exe, os.path.join(HERE, "cfloor.c")],
                   check=True)
    return exe


def run_floor(exe, name, size, reps):
    results = []
    for _ in range(reps):
        out = subprocess.run([exe, name, str(size)], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True)
        results.append(float(out.stdout))
    return statistics.median(results)


def bench_modules(name, size, reps, modules):
    func = workloads.WORKLOADS[name][0]
    for mod in modules.values():          # warm-up, not recorded
        func(mod, max(1, size // 10))
    samples = {label: [] for label in modules}
    order = list(modules)
    for rep in range(reps):
        for label in (order if rep % 2 == 0 else order[::-1]):
            samples[label].append(func(modules[label], size))
    return {label: statistics.median(v) for label, v in samples.items()}


_IMPORT_PROBE = (
    "import time, sys; t = time.perf_counter(); import {mod}; "
    "sys.stdout.write(repr(time.perf_counter() - t))")

_MEMORY_PROBE = """
import gc, os, {mod} as m
def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
# A warm-up round first, so that one-time work (names bound on first use,
# the JIT compiling the loop: about 1 MB on PyPy) is not counted per socket.
for s in [m.socket(m.AF_INET, m.SOCK_STREAM) for _ in range(3000)]:
    s.close()
gc.collect(); before = rss()
socks = [m.socket(m.AF_INET, m.SOCK_STREAM) for _ in range({n})]
gc.collect(); after = rss()
print((after - before) / {n})
for s in socks: s.close()
"""


def import_time(mod, reps):
    samples = []
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c",
                              _IMPORT_PROBE.format(mod=mod)], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True)
        samples.append(float(out.stdout))
    return statistics.median(samples)


def memory_per_socket(mod, n=10000):
    out = subprocess.run([sys.executable, "-c",
                          _MEMORY_PROBE.format(mod=mod, n=n)], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True)
    return float(out.stdout)


def run(args):
    import socket as stdlib_socket
    import sockcffi
    modules = {"stdlib": stdlib_socket, "sockcffi": sockcffi}
    rows = []
    names = args.only or list(workloads.WORKLOADS)
    with tempfile.TemporaryDirectory() as workdir:
        floor_exe = None if args.no_floor else compile_floor(workdir)
        for name in names:
            func, size, unit, floor = workloads.WORKLOADS[name]
            if args.quick:
                size = max(1, size // 10)
            med = bench_modules(name, size, args.reps, modules)
            row = {"workload": name, "unit": unit,
                   "stdlib": _scale(unit, med["stdlib"]),
                   "sockcffi": _scale(unit, med["sockcffi"])}
            row["ratio"] = row["sockcffi"] / row["stdlib"]
            if floor and floor_exe:
                row["c_floor"] = _scale(unit, run_floor(
                    floor_exe, floor, size, 3))
                row["ratio_to_floor"] = row["sockcffi"] / row["c_floor"]
            rows.append(row)
            print_row(row)
    if not args.only:
        reps = 5 if args.quick else 15
        row = {"workload": "import", "unit": "ms",
               "stdlib": import_time("socket", reps) * 1e3,
               "sockcffi": import_time("sockcffi", reps) * 1e3}
        row["ratio"] = row["sockcffi"] / row["stdlib"]
        rows.append(row)
        print_row(row)
        row = {"workload": "memory/socket", "unit": "bytes",
               "stdlib": memory_per_socket("socket"),
               "sockcffi": memory_per_socket("sockcffi")}
        row["ratio"] = row["sockcffi"] / row["stdlib"]
        rows.append(row)
        print_row(row)
    return rows


_HEADER = "%-20s %-14s %12s %12s %7s %10s %8s" % (
    "workload", "unit", "stdlib", "sockcffi", "ratio", "C floor", "/floor")


def print_row(row):
    floor = row.get("c_floor")
    print("%-20s %-14s %12.3f %12.3f %7.3f %10s %8s" % (
        row["workload"], row["unit"], row["stdlib"], row["sockcffi"],
        row["ratio"], "%.3f" % floor if floor else "-",
        "%.3f" % row["ratio_to_floor"] if floor else "-"), flush=True)


def machine():
    return {"interpreter": "%s %s" % (platform.python_implementation(),
                                      platform.python_version()),
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "kernel": platform.release()}


def run_all(script):
    """Run ``script`` with this command's arguments (less --all) under each
    project venv that exists (also aio_loops.py's --all)."""
    status = 0
    for venv in (".venv-cpython", ".venv-pypy"):
        python = os.path.join(ROOT, venv, "bin", "python")
        if not os.path.exists(python):
            print("(%s not found: run tools/run_tests.sh first)" % venv)
            status = 1
            continue
        argv = [python, os.path.abspath(script)] + [
            a for a in sys.argv[1:] if a != "--all"]
        status |= subprocess.call(argv)
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="a tenth of the work per run (a smoke test)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--only", nargs="+", choices=sorted(workloads.WORKLOADS))
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--no-floor", action="store_true")
    p.add_argument("--all", action="store_true",
                   help="run under .venv-cpython and .venv-pypy in turn")
    args = p.parse_args()
    if args.all:
        return run_all(__file__)
    info = machine()
    print("# %(interpreter)s on %(machine)s, %(cpus)s CPUs, Linux "
          "%(kernel)s" % info)
    print(_HEADER)
    rows = run(args)
    if args.json:
        path = args.json
        if os.path.exists(path):
            with open(path) as f:
                data = json.load(f)
        else:
            data = {"runs": []}
        data["runs"].append({"machine": info, "rows": rows})
        with open(path, "w") as f:
            json.dump(data, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
