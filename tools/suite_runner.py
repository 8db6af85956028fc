"""Run one stdlib test module in child interpreters, once per socket module.

The machinery shared by ``tools/conformance.py`` (``test.test_socket``) and
``tools/stdlib_suites.py`` (the suites of the stdlib's socket consumers).
A *mode* is which socket module the child runs with: ``stdlib`` (the
interpreter's own) or ``sockcffi``.  The calling script supplies what differs
between them -- how the child substitutes ``socket`` (``prepare``), which
tests are deselected -- and re-executes itself as the child with a private
``--_child MODE`` option (see :func:`child_arguments`).

Bounding the run: in the child a ``faulthandler.dump_traceback_later(
timeout, exit=True)`` watchdog is re-armed at every test start and stop, so
no single test (nor a class fixture between tests) runs longer than
``--timeout`` seconds; a segfault is caught by ``faulthandler.enable``.  The
child appends one JSON line per event to a progress file; when it dies the
parent marks the test in progress as ``timeout`` or ``crash`` (with the
traceback faulthandler dumped) and starts a new child that skips the tests
already done.  The parent kills a child that outlives ``--total-timeout``
for its mode; tests never run are reported as ``not-run``.

Harness shims (both modes): ``_testcapi`` is replaced by a stub with the C
limits when it cannot be imported (Debian's PyPy ships a ``_testcapi.py``
that needs a C file no package installs), and the child runs in a scratch
directory that is removed afterwards.

Nothing here imports ``socket``: the child must be able to substitute it
before its first import.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

OK_OUTCOMES = ("pass", "xfail")
OUTCOME_RANK = {"pass": 0, "xfail": 0, "skip": 1, "fail": 2, "xpass": 2,
                "error": 3, "timeout": 4, "crash": 5, "not-run": 6}
IMPLEMENTATION = platform.python_implementation().lower()   # cpython, pypy


# --------------------------------------------------------------------------
# shared helpers
# --------------------------------------------------------------------------

def short_id(test_id, module):
    """'test.test_socket.Class.test' -> 'Class.test' (module
    'test.test_socket')."""
    prefix = module + "."
    if test_id.startswith(prefix):
        return test_id[len(prefix):]
    return test_id


def is_deselected(sid, patterns):
    cls = sid.split(".", 1)[0]
    for pat in patterns:
        if fnmatch.fnmatchcase(sid, pat) or fnmatch.fnmatchcase(cls, pat):
            return True
    return False


def matches_k(sid, patterns):
    """unittest's -k semantics: substring unless the pattern has wildcards."""
    if not patterns:
        return True
    for pat in patterns:
        if "*" not in pat and "?" not in pat and "[" not in pat:
            pat = "*%s*" % pat
        if fnmatch.fnmatchcase(sid, pat):
            return True
    return False


def exclusion_lines(path):
    """Yield ``(where, text, impl, reason)`` for each entry of an exclusions
    file: ``[impl:]text  # reason`` lines, ``impl`` None or the
    implementation (cpython, pypy) the entry is limited to.  Raises
    ValueError on a line without a reason or with an unknown prefix."""
    if not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            text, sep, reason = line.partition("#")
            text, reason = text.strip(), reason.strip()
            where = "%s:%d" % (path, lineno)
            if not sep or not reason:
                raise ValueError("%s: exclusion %r has no '# reason'"
                                 % (where, text))
            impl = None
            if ":" in text:
                impl, text = (s.strip() for s in text.split(":", 1))
                if impl not in ("cpython", "pypy"):
                    raise ValueError("%s: unknown implementation %r"
                                     % (where, impl))
            yield where, text, impl, reason


def write_report(path, **fields):
    """The tools' --json document: ``fields`` and the interpreter that
    ran them."""
    doc = dict(fields, implementation=IMPLEMENTATION,
               python=platform.python_version(), executable=sys.executable)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, sort_keys=True)


def read_exclusions(path, module):
    """Return ({test_id: reason} for the running implementation, number of
    entries) from ``Class.test  # reason`` lines.

    Raises ValueError on an entry that is not ``Class.test  # reason``.
    """
    entries, total = {}, 0
    for where, test, impl, reason in exclusion_lines(path):
        if (len(test.split(".")) != 2 or " " in test
                or any(c in test for c in "*?[")):
            raise ValueError("%s: %r is not one test named Class.test"
                             % (where, test))
        total += 1
        if impl is None or impl == IMPLEMENTATION:
            entries[short_id(test, module)] = reason
    return entries, total


# --------------------------------------------------------------------------
# child: runs the suite in one mode
# --------------------------------------------------------------------------

def install_testcapi_stub():
    try:
        import _testcapi  # noqa: F401
        return False
    except Exception:       # PyPy: FileNotFoundError for the missing .c
        sys.modules.pop("_testcapi", None)
    import ctypes
    import types
    stub = types.ModuleType("_testcapi")
    stub.__doc__ = "suite_runner.py stub: C limits only"

    def limits(ctype, signed):
        bits = 8 * ctypes.sizeof(ctype)
        if signed:
            return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        return 0, (1 << bits) - 1

    for name, ctype in (("CHAR", ctypes.c_byte), ("SHRT", ctypes.c_short),
                        ("INT", ctypes.c_int), ("LONG", ctypes.c_long),
                        ("LLONG", ctypes.c_longlong),
                        ("PY_SSIZE_T", ctypes.c_ssize_t)):
        lo, hi = limits(ctype, True)
        setattr(stub, name + "_MIN", lo)
        setattr(stub, name + "_MAX", hi)
    for name, ctype in (("UCHAR", ctypes.c_ubyte), ("USHRT", ctypes.c_ushort),
                        ("UINT", ctypes.c_uint), ("ULONG", ctypes.c_ulong),
                        ("ULLONG", ctypes.c_ulonglong),
                        ("SIZE", ctypes.c_size_t)):
        setattr(stub, name + "_MAX", limits(ctype, False)[1])
    stub.SIZEOF_VOID_P = ctypes.sizeof(ctypes.c_void_p)
    stub.SIZEOF_TIME_T = ctypes.sizeof(ctypes.c_long)
    sys.modules["_testcapi"] = stub
    return True


class Progress:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8", buffering=1)

    def __call__(self, event, **fields):
        fields["event"] = event
        self.f.write(json.dumps(fields) + "\n")
        self.f.flush()


def _format_err(result, test, err, module):
    import traceback
    exc_type, exc, _ = err
    message = "".join(traceback.format_exception_only(exc_type, exc)).strip()
    try:
        tb = result._exc_info_to_string(err, test)
    except Exception:
        tb = "".join(traceback.format_exception(*err))
    # The innermost frame inside the test module: where the suite noticed.
    where = None
    tb_obj = err[2]
    test_file = module.rpartition(".")[2] + ".py"
    for frame, lineno in traceback.walk_tb(tb_obj):
        if frame.f_code.co_filename.endswith(test_file):
            where = "%s:%d %s" % (test_file, lineno, frame.f_code.co_name)
    return {"message": message[:1500], "where": where, "tb": tb[-4000:]}


def import_sockcffi():
    """sockcffi, installed or (failing that) from the source tree."""
    try:
        import sockcffi
    except ImportError:
        sys.path.insert(0, REPO)
        import sockcffi
    return sockcffi


def add_arguments(p, total_timeout):
    """The options every runner takes, the child's private ones too."""
    p.add_argument("--deselect", action="append", metavar="PATTERN",
                   help="fnmatch pattern over 'Class' or 'Class.test' to "
                        "drop from both modes (repeatable)")
    p.add_argument("-k", action="append", metavar="PATTERN",
                   help="only run tests matching PATTERN (substring unless "
                        "it has wildcards; repeatable)")
    p.add_argument("--json", metavar="FILE",
                   help="write per-test outcomes to FILE")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="show unittest's verbose output, and where each "
                        "regression failed")
    p.add_argument("--timeout", type=float, default=30.0,
                   help="seconds any one test may take (default "
                        "%(default)s)")
    p.add_argument("--total-timeout", type=float, default=total_timeout,
                   help="seconds one mode's whole run may take (default "
                        "%(default)s)")
    p.add_argument("--keep-work", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--_child", choices=("stdlib", "sockcffi"),
                   help=argparse.SUPPRESS)
    p.add_argument("--_progress", help=argparse.SUPPRESS)
    p.add_argument("--_faultlog", help=argparse.SUPPRESS)
    p.add_argument("--_skip-file", dest="_skip_file", help=argparse.SUPPRESS)


def child_main(args, module_name, deselect, prepare):
    """The child: ``prepare(mode, progress)`` substitutes the socket module
    for ``args._child`` (returning sockcffi's file, or None), then the
    tests of ``module_name`` run one by one, reported to the progress
    file.  ``deselect``: (fnmatch pattern, reason) pairs dropped."""
    mode = args._child
    # Nothing in tools/ may shadow a stdlib module for the suite.
    sys.path[:] = [p for p in sys.path
                   if os.path.abspath(p or os.curdir) != HERE]
    progress = Progress(args._progress)
    import faulthandler
    fault_log = open(args._faultlog, "a", encoding="utf-8")
    faulthandler.enable(file=fault_log)

    if "socket" in sys.modules:
        progress("import_error", message="socket was imported before "
                 "the substitution")
        return 2
    try:
        sockcffi_file = prepare(mode, progress)
    except BaseException as exc:
        import traceback
        progress("import_error", message="preparing %s mode: %r"
                 % (mode, exc), tb=traceback.format_exc()[-4000:])
        return 2

    stubbed = install_testcapi_stub()
    import unittest
    import importlib
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:
        import traceback
        progress("import_error", message="import %s: %s" % (
            module_name, "".join(traceback.format_exception_only(
                type(exc), exc)).strip()),
            tb=traceback.format_exc()[-4000:])
        return 2

    loader = unittest.TestLoader()
    suite = loader.loadTestsFromModule(module)

    def flatten(s):
        for t in s:
            if isinstance(t, unittest.TestSuite):
                for u in flatten(t):
                    yield u
            else:
                yield t

    skip_ids = set()
    if args._skip_file and os.path.exists(args._skip_file):
        with open(args._skip_file, encoding="utf-8") as f:
            skip_ids = set(line.strip() for line in f if line.strip())
    patterns = [p for p, _ in deselect] + list(args.deselect or [])
    selected = []
    for t in flatten(suite):
        sid = short_id(t.id(), module_name)
        if is_deselected(sid, patterns) or not matches_k(sid, args.k):
            continue
        selected.append(t)
    progress("collected",
             ids=[short_id(t.id(), module_name) for t in selected],
             test_file=module.__file__, sockcffi=sockcffi_file,
             testcapi_stub=stubbed,
             socket_module=repr(sys.modules.get("socket")))
    todo = [t for t in selected
            if short_id(t.id(), module_name) not in skip_ids]

    timeout = args.timeout

    def arm():
        if timeout and timeout > 0:
            faulthandler.dump_traceback_later(timeout, exit=True,
                                              file=fault_log)

    class Result(unittest.TextTestResult):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._cur = None

        def startTest(self, test):
            arm()
            self._cur = {"id": short_id(test.id(), module_name),
                         "outcome": "pass",
                         "t0": time.monotonic()}
            progress("start", id=self._cur["id"])
            super().startTest(test)

        def _set(self, test, outcome, err=None, reason=None):
            sid = short_id(test.id(), module_name)
            if self._cur is None or self._cur["id"] != sid:
                # class/module fixture errors: no startTest for them
                rec = {"id": _fixture_id(sid, module_name),
                       "outcome": outcome,
                       "duration": 0.0}
                if err is not None:
                    rec.update(_format_err(self, test, err, module_name))
                progress("end", **rec)
                return
            new = OUTCOME_RANK[outcome]
            old = OUTCOME_RANK[self._cur["outcome"]]
            if new > old or (new == old and "message" not in self._cur):
                self._cur["outcome"] = outcome
                if err is not None:
                    self._cur.update(_format_err(self, test, err, module_name))
                if reason is not None:
                    self._cur["message"] = str(reason)[:500]

        def addSuccess(self, test):
            super().addSuccess(test)

        def addFailure(self, test, err):
            super().addFailure(test, err)
            self._set(test, "fail", err)

        def addError(self, test, err):
            super().addError(test, err)
            self._set(test, "error", err)

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            self._set(test, "skip", reason=reason)

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            self._set(test, "xfail", err)

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            self._set(test, "xpass", reason="unexpected success")

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                failure = issubclass(err[0], test.failureException)
                self._set(test, "fail" if failure else "error", err)
                if self._cur is not None and "message" in self._cur:
                    desc = subtest._subDescription()
                    if desc and not self._cur["message"].startswith("("):
                        self._cur["message"] = (desc + " " + self._cur[
                            "message"])[:1500]

        def stopTest(self, test):
            super().stopTest(test)
            cur, self._cur = self._cur, None
            if cur is not None:
                cur["duration"] = round(time.monotonic() - cur.pop("t0"), 3)
                progress("end", **cur)
            arm()

    verbosity = 2 if args.verbose else 0
    stream = unittest.runner._WritelnDecorator(sys.stderr)
    result = Result(stream, True, verbosity)
    run_suite = unittest.TestSuite(todo)
    arm()
    result.startTestRun()
    try:
        run_suite(result)
    finally:
        result.stopTestRun()
        faulthandler.cancel_dump_traceback_later()
    if args.verbose:
        result.printErrors()
    progress("finished", socket_users=_socket_users(),
             leaked_threads=[t.name for t in __import__("threading")
                             .enumerate()
                             if t is not __import__("threading")
                             .main_thread()])
    fault_log.flush()
    return 0


def _fixture_id(sid, module):
    """'setUpClass (test.test_socket.Foo)' -> 'Foo.setUpClass'."""
    import re
    m = re.match(r"^(\w+) \(([\w.]+)\)$", sid)
    if not m:
        return sid
    what, where = m.groups()
    where = short_id(where, module)
    if where == module:
        return what
    return "%s.%s" % (where, what)


def _socket_users():
    """Loaded modules holding a socket module, and which one."""
    import types
    users = {}
    for name, mod in list(sys.modules.items()):
        if not isinstance(mod, types.ModuleType):
            continue
        try:
            attrs = vars(mod)
        except TypeError:
            continue
        for attr in ("socket", "_socket"):
            val = attrs.get(attr)
            if isinstance(val, types.ModuleType):
                users.setdefault(name, {})[attr] = val.__name__
    users["<loaded>"] = {m: m in sys.modules for m in
                         ("ssl", "asyncio", "socketserver", "selectors",
                          "multiprocessing")}
    return users


# --------------------------------------------------------------------------
# parent: one child per mode, restarted after a timeout or crash
# --------------------------------------------------------------------------

def _read_events(path):
    events = []
    if not os.path.exists(path):
        return events
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                pass            # a line cut short by the kill
    return events


def run_mode(mode, args, child_command, log=print):
    """Run the suite in ``mode``; return the mode's report dict.
    ``child_command``: the command line that starts the calling script as
    the child, to which the private options are appended."""
    work = tempfile.mkdtemp(prefix="suite-%s-" % mode)
    results = {}
    collected = None
    info = {}
    attempts = 0
    t0 = time.monotonic()
    deadline = t0 + args.total_timeout
    import_error = None
    try:
        while True:
            attempts += 1
            progress = os.path.join(work, "progress-%d.jsonl" % attempts)
            faultlog = os.path.join(work, "fault-%d.log" % attempts)
            skipfile = os.path.join(work, "skip-%d.txt" % attempts)
            with open(skipfile, "w", encoding="utf-8") as f:
                f.write("\n".join(sorted(results)) + "\n")
            cmd = list(child_command) + ["--_child", mode,
                   "--_progress", progress, "--_faultlog", faultlog,
                   "--_skip-file", skipfile, "--timeout", str(args.timeout)]
            for p in args.deselect or []:
                cmd += ["--deselect", p]
            for p in args.k or []:
                cmd += ["-k", p]
            if args.verbose:
                cmd.append("--verbose")
            cwd = os.path.join(work, "cwd-%d" % attempts)
            os.mkdir(cwd)
            env = dict(os.environ)
            env.setdefault("PYTHONHASHSEED", "0")
            remaining = deadline - time.monotonic()
            childlog = os.path.join(work, "child-%d.log" % attempts)
            out = None if args.verbose else open(childlog, "wb")
            try:
                proc = subprocess.Popen(cmd, cwd=cwd, env=env,
                                        stdin=subprocess.DEVNULL,
                                        stdout=out, stderr=out)
            finally:
                if out is not None:
                    out.close()
            overall_timeout = False
            try:
                rc = proc.wait(timeout=max(remaining, 1))
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
                overall_timeout = True
            events = _read_events(progress)
            started = None
            finished = False
            new_results = 0
            for ev in events:
                kind = ev.pop("event")
                if kind == "collected":
                    if collected is None:
                        collected = ev.pop("ids")
                        info.update(ev)
                elif kind == "import_error":
                    import_error = ev
                elif kind == "start":
                    started = ev["id"]
                elif kind == "end":
                    rid = ev.pop("id")
                    results[rid] = ev
                    new_results += 1
                    if rid == started:
                        started = None
                elif kind == "finished":
                    finished = True
                    info.update(ev)
            if import_error is not None or finished:
                break
            fault = ""
            for path in (faultlog, childlog):
                if os.path.exists(path):
                    with open(path, encoding="utf-8",
                              errors="replace") as f:
                        fault += f.read()[-8000:]
            if overall_timeout:
                outcome = "timeout"
                why = "whole run exceeded --total-timeout=%ss" % \
                    args.total_timeout
            elif "Timeout (" in fault:
                outcome = "timeout"
                why = "exceeded --timeout=%ss" % args.timeout
            else:
                outcome = "crash"
                first = fault.strip().splitlines()[:1]
                why = "child died (exit %s)%s" % (
                    rc, (": " + first[0]) if first else "")
            rec = {"outcome": outcome, "message": why, "tb": fault[-4000:],
                   "duration": None}
            if started is not None:
                results[started] = rec
                log("  [%s] %s: %s" % (mode, started, why))
            else:
                results["<between tests, attempt %d>" % attempts] = rec
                log("  [%s] child died between tests: %s" % (mode, why))
            if overall_timeout or (started is None and new_results == 0) \
                    or collected is None or attempts > 50:
                break
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    elapsed = time.monotonic() - t0
    for sid in collected or []:
        if sid not in results:
            results[sid] = {"outcome": "not-run", "message": "never run"}
    return {"mode": mode, "elapsed": round(elapsed, 1), "attempts": attempts,
            "import_error": import_error, "info": info, "tests": results,
            "summary": summarize(results)}


def summarize(results):
    s = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "total": 0,
         "timeout": 0, "crash": 0, "not-run": 0}
    for rec in results.values():
        o = rec["outcome"]
        s["total"] += 1
        if o in OK_OUTCOMES:
            s["passed"] += 1
        elif o in ("fail", "xpass"):
            s["failed"] += 1
        elif o == "skip":
            s["skipped"] += 1
        else:
            s["errors"] += 1
            if o in s:
                s[o] += 1
    return s


def print_table(reports, out=sys.stdout):
    out.write("%-10s %7s %7s %7s %8s %9s\n" % (
        "mode", "passed", "failed", "errors", "skipped", "time(s)"))
    for r in reports:
        s = r["summary"]
        out.write("%-10s %7d %7d %7d %8d %9.1f\n" % (
            r["mode"], s["passed"], s["failed"], s["errors"], s["skipped"],
            r["elapsed"]))
    for r in reports:
        s = r["summary"]
        extra = ["%s %d" % (k, s[k]) for k in ("timeout", "crash", "not-run")
                 if s[k]]
        if extra:
            out.write("  %s: errors include %s\n" % (r["mode"],
                                                     ", ".join(extra)))
        if r["import_error"]:
            out.write("  %s: IMPORT ERROR: %s\n" % (
                r["mode"], r["import_error"].get("message")))


def compare(stdlib, sockcffi, exclusions):
    regressions, excluded, stale = [], [], []
    base, ours = stdlib["tests"], sockcffi["tests"]
    for sid, rec in sorted(base.items()):
        if rec["outcome"] not in OK_OUTCOMES:
            continue
        mine = ours.get(sid, {"outcome": "not-run", "message": "never run"})
        if mine["outcome"] in OK_OUTCOMES:
            if sid in exclusions:
                stale.append(sid)
            continue
        entry = {"id": sid, "outcome": mine["outcome"],
                 "message": mine.get("message"), "where": mine.get("where")}
        if sid in exclusions:
            entry["reason"] = exclusions[sid]
            excluded.append(entry)
        else:
            regressions.append(entry)
    unknown = sorted(sid for sid in exclusions if sid not in base)
    # Not regressions, for information: tests the stdlib does not pass
    # either (skipped or failing there) that sockcffi fails differently.
    beyond = []
    for sid, mine in sorted(ours.items()):
        theirs = base.get(sid, {}).get("outcome")
        if theirs in OK_OUTCOMES or mine["outcome"] in OK_OUTCOMES + (
                "skip",) or mine["outcome"] == theirs:
            continue
        beyond.append({"id": sid, "outcome": mine["outcome"],
                       "stdlib_outcome": theirs,
                       "message": mine.get("message")})
    return {"regressions": regressions, "excluded": excluded,
            "stale_exclusions": stale, "unknown_exclusions": unknown,
            "beyond_baseline": beyond}


