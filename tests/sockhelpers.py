"""Shared helpers for the tests (not a test module): socket pairs,
closing, threads, and running code in a child interpreter."""
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading

import pytest

import sockcffi
from sockcffi import inspector

MODULES = {"stdlib": socket, "sockcffi": sockcffi}
BY_NAME = ("gaierror", "herror", "timeout", "TimeoutError")
JOIN = 10.0          # bound for every join/wait in the tests



# --- hostile integers (the stdlib converts them once, by their value) ------

class LyingInt(int):
    """An int whose comparisons say it is tiny; only its value is true."""

    def __lt__(self, other):
        return True

    def __le__(self, other):
        return True

    def __gt__(self, other):
        return False

    def __ge__(self, other):
        return False

    __hash__ = int.__hash__


class IndexOnly:
    """Not an int; ``__index__`` gives ``value``."""

    def __init__(self, value):
        self.value = value

    def __index__(self):
        return self.value

def outcome(f, *args, **kwargs):
    """("ok", result) or ("err", exception class); classes that sockcffi
    defines itself are compared by name."""
    try:
        return ("ok", f(*args, **kwargs))
    except Exception as e:      # noqa: BLE001 - the class is the point
        cls = type(e)
        if cls.__name__ in BY_NAME:
            return ("err", "timeout" if cls.__name__ == "TimeoutError"
                    else cls.__name__)
        return ("err", cls)


def err_outcome(f, *args, **kwargs):
    """Like outcome() but an OSError also reports its errno."""
    try:
        return ("ok", f(*args, **kwargs))
    except OSError as e:
        name = type(e).__name__
        if name in BY_NAME:
            return ("err", "timeout")
        return ("err", type(e), e.errno)
    except Exception as e:      # noqa: BLE001
        return ("err", type(e))


def fd_count():
    return len(os.listdir("/proc/self/fd"))


def tcp_pair(mod, timeout=None):
    """(listener, client, server side) connected over IPv4 loopback."""
    srv = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    cli = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    if timeout is not None:
        cli.settimeout(timeout)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    return srv, cli, conn


def connected_pair(mod):
    """(client, server side) connected over IPv4 loopback, the listener
    closed."""
    listener, client, server = tcp_pair(mod)
    listener.close()
    return client, server


def closing(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def start_thread(target, *args):
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def refused_port():
    """A loopback port nobody listens on (bound then released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_python(argv, timeout, **kwargs):
    """Run this interpreter with ``argv`` in a fresh, empty working folder
    of its own (removed afterwards), stdout and stderr captured as text.

    The folder keeps whatever the child makes relative to its cwd away from
    the repository, ``/`` and other tests, and keeps the source tree off
    ``sys.path`` so the child imports the installed sockcffi."""
    with tempfile.TemporaryDirectory(prefix="sockcffi-child-") as cwd:
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        return subprocess.run([sys.executable] + list(argv), cwd=cwd,
                              universal_newlines=True, timeout=timeout,
                              **kwargs)


def run_child_ok(code, timeout):
    """Run ``code`` in a child (see run_python); it must exit 0 having
    printed CHILD-OK last.  Returns its combined output."""
    proc = run_python(["-c", code + "\nprint('CHILD-OK')\n"], timeout,
                      stderr=subprocess.STDOUT)
    assert proc.returncode == 0 and "CHILD-OK" in proc.stdout, proc.stdout
    return proc.stdout


def run_child(body, timeout, prelude=""):
    """:func:`run_child_ok` of ``prelude`` and the dedented ``body``."""
    return run_child_ok(prelude + textwrap.dedent(body), timeout)


def run_script_ok(argv, timeout):
    """Run this interpreter with ``argv`` (see run_python), no input; it
    must exit 0.  Returns its stdout."""
    proc = run_python(argv, timeout, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-5000:]
    return proc.stdout


def run_child_json(code, timeout):
    """Run ``code`` (dedented) in a child; the JSON it prints last."""
    out = run_script_ok(["-c", textwrap.dedent(code)], timeout)
    return json.loads(out.splitlines()[-1])


# --- the inspector's command line (test_targets, test_matrix) --------------

def cross_compiler(target):
    """Debian's compiler for a probe target (musl: musl-gcc)."""
    return {"musl": "musl-gcc"}.get(target, target + "-gcc")


def need_compiler(target):
    """Skip without the target's compiler, or fail where the test run
    installed them (SOCKCFFI_REQUIRE_CROSS=1, tools/run_tests.sh)."""
    cc = cross_compiler(target)
    if shutil.which(cc) is None:
        if os.environ.get("SOCKCFFI_REQUIRE_CROSS") == "1":
            pytest.fail("%s is not installed (tools/run_tests.sh installs "
                        "it)" % cc)
        pytest.skip("%s is not installed" % cc)


def run_inspector(*argv):
    """inspector.run(argv) -> (status, stdout text)."""
    out = io.StringIO()
    status = inspector.run(list(argv), out)
    return status, out.getvalue()


def run_module(*argv, env=None, **kwargs):
    """``python -m sockcffi`` from the directory holding the installed
    package (no gen/ there: the probe comes with the package, and that is
    the sockcffi it runs); ``env`` instead of this process's environment."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(
        sockcffi.__file__)))
    env = dict(os.environ if env is None else env, PYTHONPATH=root)
    return subprocess.run([sys.executable, "-m", "sockcffi"] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, cwd=root,
                          timeout=300, **kwargs)


# --- the suite tools (tools/conformance.py, stdlib_suites.py, ...) ---------

def run_tool_json(argv, tmp_path, timeout):
    """Run a tool ``argv`` (given ``--json FILE`` by this function) in
    ``tmp_path``; (its output, the JSON document it wrote).  Fails the test
    when it runs past ``timeout`` or writes no document."""
    out = tmp_path / "tool.json"
    try:
        proc = subprocess.run(list(argv) + ["--json", str(out)],
                              cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, universal_newlines=True)
    except subprocess.TimeoutExpired as exc:
        pytest.fail("%s did not finish in %ss:\n%s" % (
            os.path.basename(argv[1]), timeout, (exc.output or "")[-5000:]))
    assert out.exists(), "%s wrote no JSON (exit %s):\n%s" % (
        os.path.basename(argv[1]), proc.returncode, proc.stdout[-5000:])
    return proc, json.loads(out.read_text())
