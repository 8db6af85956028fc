#!/usr/bin/env python3
"""Run the stdlib's own test suites for socket consumers against sockcffi.

Each suite (``test_ssl``, ``test_httplib``, asyncio's ``test_events`` ...)
runs twice in child interpreters: with the interpreter's own ``socket``
module (the baseline), and with ``sys.modules['socket'] = sockcffi`` set
before anything imports ``socket`` and ``sockcffi.tls.install()`` called
right after, so that ``ssl``, ``asyncio``, ``http``, ``socketserver`` ...
are built on sockcffi from their first import and TLS runs on sockcffi
sockets.  Every test that passes with the stdlib but not with sockcffi is
listed, minus the entries of ``tools/stdlib_suites_exclusions.txt`` (each
with its reason); the exit status is 1 when any is left.

Usage::

    python tools/stdlib_suites.py                       # every suite
    python tools/stdlib_suites.py --suite test_ssl --suite test_httplib
    python tools/stdlib_suites.py --json out.json -v

The child processes, the per-test watchdog (``--timeout``), the restarts
after a hang or a crash and the per-suite, per-mode time limit
(``--total-timeout``) are ``tools/suite_runner.py``'s, shared with
``tools/conformance.py``.  In both modes ``test.support.use_resources`` is
set to the resources in ``RESOURCES`` (``urlfetch`` and the GUI/audio ones
off), and the few tests that reach the Internet are deselected in both
(``DESELECT``), rather than left to the sandbox's DNS.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

import suite_runner

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EXCLUSIONS = os.path.join(HERE, "stdlib_suites_exclusions.txt")

SUITES = [
    "test_ssl", "test_httplib", "test_urllib2_localnet", "test_ftplib",
    "test_poplib", "test_imaplib", "test_smtplib", "test_socketserver",
    "test_logging", "test_asyncio.test_events", "test_asyncio.test_streams",
    "test_asyncio.test_sendfile", "test_asyncio.test_sock_lowlevel",
]

# test.support resources enabled in both modes.  "network" gates loopback
# servers too (test_socketserver asks for it at import); the tests that
# reach the Internet are deselected below instead.
RESOURCES = ["network", "subprocess", "decimal"]

_INTERNET = "reaches hosts on the Internet (transient_internet), which this " \
    "sandbox cannot; not a loopback test"

# Per suite: (fnmatch pattern over "Class" or "Class.test", reason), dropped
# from both modes before running.
DESELECT = {
    "test_ssl": [("NetworkedTests", _INTERNET)],
    "test_httplib": [("HTTPSTest.test_networked*", _INTERNET)],
    "test_imaplib": [("RemoteIMAP*", _INTERNET)],
}


def prepare(mode, progress, memory_bio=None):
    """The child's substitution: sockcffi as ``socket`` from the first
    import, then TLS on it (``memory_bio`` as for ``tls.install``)."""
    sockcffi_file = None
    if mode == "sockcffi":
        sockcffi = suite_runner.import_sockcffi()
        sys.modules["socket"] = sockcffi
        from sockcffi import tls
        tls.install(memory_bio=memory_bio)
        sockcffi_file = getattr(sockcffi, "__file__", None)
    from test import support
    support.use_resources = list(RESOURCES)
    return sockcffi_file


def read_exclusions(path):
    """{suite: {Class.test: reason}} from ``suite Class.test  # reason``
    lines; a ``cpython:`` or ``pypy:`` prefix on the suite limits an entry
    to that interpreter."""
    entries, total = {}, 0
    for where, text, impl, reason in suite_runner.exclusion_lines(path):
        fields = text.split()
        if len(fields) != 2:
            raise ValueError("%s: not 'suite Class.test  # reason'" % where)
        suite, sid = fields
        total += 1
        if impl is None or impl == suite_runner.IMPLEMENTATION:
            entries.setdefault(suite, {})[sid] = reason
    return entries, total


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", action="append", metavar="NAME",
                   help="run this suite (a module under test/, e.g. "
                        "test_ssl or test_asyncio.test_events; repeatable; "
                        "default: all of %s)" % ", ".join(SUITES))
    p.add_argument("--mode", choices=("stdlib", "sockcffi"),
                   help="run one mode only (no comparison)")
    p.add_argument("--exclusions", default=DEFAULT_EXCLUSIONS,
                   help="exclusions file (default: %(default)s)")
    p.add_argument("--memory-bio", action="store_true",
                   help="PyPy: TLS through sockcffi's memory-BIO path "
                        "rather than PyPy's native _ssl path (CPython has "
                        "only the former)")
    p.add_argument("--_suite", help=argparse.SUPPRESS)
    suite_runner.add_arguments(p, total_timeout=600.0)
    return p.parse_args(argv)


def run_suite(name, args, exclusions, modes):
    command = ([sys.executable, "-X", "faulthandler",
                os.path.abspath(__file__), "--_suite", name]
               + (["--memory-bio"] if args.memory_bio else []))
    return run_modes(name, "test." + name, command, args, exclusions, modes,
                     lambda mode: mode + " mode")


def run_modes(name, module, command, args, exclusions, modes, label):
    """One suite in each of ``modes`` (a child each), compared when both
    ran (also tools/aio_conformance.py's)."""
    reports = []
    for mode in modes:
        print("%s: %s ..." % (name, label(mode)), flush=True)
        report = suite_runner.run_mode(
            mode, args, command, log=lambda s: print(s, flush=True))
        reports.append(report)
        if report["import_error"]:
            print("  IMPORT ERROR: %s" % report["import_error"].get("message"),
                  flush=True)
    verdict = None
    if len(reports) == 2:
        verdict = suite_runner.compare(reports[0], reports[1],
                                       exclusions.get(name, {}))
    return {"suite": name, "module": module,
            "modes": {r["mode"]: r for r in reports}, "compare": verdict}


def print_summary(results, out=sys.stdout, heading=None,
                  columns=("suite", "stdlib passed", "sockcffi passed"),
                  widths=(28, 14, 15)):
    """The table of passed counts and regressions, then every exclusion,
    stale exclusion and regression (also tools/aio_conformance.py's)."""
    if heading:
        out.write("\n" + heading)
    name_w, stdlib_w, ours_w = widths
    out.write("\n%-*s %*s %*s %12s\n" % (
        name_w, columns[0], stdlib_w, columns[1], ours_w, columns[2],
        "regressions"))
    for r in results:
        modes = r["modes"]
        cells = []
        for mode in ("stdlib", "sockcffi"):
            rep = modes.get(mode)
            if rep is None:
                cells.append("-")
            elif rep["import_error"]:
                cells.append("import error")
            else:
                s = rep["summary"]
                cells.append("%d/%d" % (s["passed"], s["total"]))
        regs = "-" if r["compare"] is None else \
            str(len(r["compare"]["regressions"]))
        out.write("%-*s %*s %*s %12s\n" % (name_w, r["suite"], stdlib_w,
                                            cells[0], ours_w, cells[1], regs))
    for r in results:
        verdict = r["compare"]
        if not verdict:
            continue
        for e in verdict["excluded"]:
            out.write("  excluded %s %s [%s]: %s\n" % (
                r["suite"], e["id"], e["outcome"], e["reason"]))
        for sid in verdict["stale_exclusions"]:
            out.write("  stale exclusion (passes now): %s %s\n"
                      % (r["suite"], sid))
        for e in verdict["regressions"]:
            msg = (e.get("message") or "").splitlines()
            out.write("  REGRESSION %s %s [%s]: %s\n" % (
                r["suite"], e["id"], e["outcome"],
                msg[0][:160] if msg else ""))
            if e.get("where"):
                out.write("      at %s\n" % e["where"])


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args._child:
        name = args._suite
        memory_bio = True if args.memory_bio else None
        return suite_runner.child_main(
            args, "test." + name, DESELECT.get(name, []),
            lambda mode, progress: prepare(mode, progress, memory_bio))
    return run_all("stdlib_suites", args, SUITES, run_suite, print_summary)


def run_all(tool, args, default_suites, run_one, summary):
    """The driver of this tool and tools/aio_conformance.py: read the
    exclusions, run each suite, print the table, write --json; the exit
    status is 2 when a baseline suite fails to import, 1 on a regression."""
    try:
        exclusions, n_entries = read_exclusions(args.exclusions)
    except ValueError as exc:
        print("%s: %s" % (tool, exc), file=sys.stderr)
        return 2
    suites = args.suite or default_suites
    modes = [args.mode] if args.mode else ["stdlib", "sockcffi"]
    print("%s: %s %s, %s" % (
        tool, platform.python_implementation(), platform.python_version(),
        sys.executable), flush=True)
    results = [run_one(name, args, exclusions, modes) for name in suites]
    summary(results)
    status = 0
    for r in results:
        base = r["modes"].get("stdlib")
        if base is not None and base["import_error"]:
            status = 2
        if r["compare"] and r["compare"]["regressions"] and status == 0:
            status = 1
    if args.json:
        suite_runner.write_report(args.json, exclusion_entries=n_entries,
                                  suites=results, status=status)
    return status


if __name__ == "__main__":
    sys.exit(main())
