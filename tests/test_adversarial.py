"""The adversarial suite (tools/adversarial.py) in its standard size.

It runs every case in child processes and compares with the running
interpreter's stdlib; under PyPy, CPython's stdlib outcomes (made by the
CPython on PATH, which needs no sockcffi for that) say which differences
from PyPy's built-in socket are CPython's behaviour.  Every failing column
must be 0.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tools")
TOOL = os.path.join(TOOLS, "adversarial.py")
PYPY = sys.implementation.name == "pypy"


def _cpython():
    for name in ("python3", "python3.11", "python"):
        path = shutil.which(name)
        if path is None:
            continue
        out = subprocess.run([path, "-c", "import sys; print("
                              "sys.implementation.name)"],
                             stdout=subprocess.PIPE, universal_newlines=True)
        if out.stdout.strip() == "cpython":
            return path
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    work = tmp_path_factory.mktemp("adversarial")
    argv = [sys.executable, TOOL, "--json", str(work / "report.json")]
    if PYPY:
        cpython = _cpython()
        if cpython is None:
            pytest.skip("no CPython on PATH to give the reference outcomes")
        reference = str(work / "reference.json")
        subprocess.run([cpython, TOOL, "--make-reference", reference],
                       check=True, timeout=600, cwd=str(work))
        argv += ["--reference", reference]
    run = subprocess.run(argv, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True,
                         timeout=1200, cwd=str(work))
    print(run.stdout)
    with open(work / "report.json") as f:
        data = json.load(f)
    data["exit"] = run.returncode
    data["output"] = run.stdout
    return data


@pytest.mark.parametrize("column", ["crash", "hang", "foreign", "fd_leak",
                                    "diff", "failure"])
def test_no_failures(report, column):
    assert report["totals"][column] == 0, report["output"]


def test_every_class_ran(report):
    classes = report["classes"]
    for name in ("int", "buffer", "trunc", "export", "race", "close",
                 "random", "surface"):
        assert classes[name]["cases"] > 0, name
    assert report["totals"]["cases"] >= 1400
    assert classes["surface"]["cases"] >= 500
    assert report["exit"] == 0, report["output"]


@pytest.mark.skipif(PYPY, reason="PyPy's GC keeps RSS moving; the RSS "
                    "check is for CPython's reference counting")
def test_rss_flat_across_hot_calls(tmp_path):
    out = tmp_path / "rss.json"
    subprocess.run([sys.executable, TOOL, "--rss", "--iterations", "20000",
                    "--json", str(out)], check=True, timeout=600,
                   cwd=str(tmp_path))
    with open(out) as f:
        results = json.load(f)
    assert len(results) >= 9
    for name, row in results.items():
        assert row["growth_kib"] <= 256, (name, row)


@pytest.fixture
def surface(monkeypatch):
    monkeypatch.syspath_prepend(TOOLS)
    import adversarial_surface
    return adversarial_surface


def test_every_public_callable_is_covered_or_listed_with_a_reason(surface):
    """The surface class is made from the public API: every public
    callable (socket methods, the stdlib's functions, every public
    module's __all__) has an entry -- each parameter of a known kind with
    a good value -- or a reason; zero-argument ones have nothing to
    attack."""
    assert surface.uncovered() == []
    names = surface.public_callables()
    for name in ("records.decode", "options.set", "cmsg.encode",
                 "batch.sendmmsg", "afalg.sendmsg_afalg",
                 "tls.SocketTLS.write", "interop.from_stdlib",
                 "socket.recv_into", "resolver.getaddrinfo", "inet.inet_ntop",
                 "ancillary.CMSG_SPACE"):
        assert name in names, name
    stale = {n.split("#")[0] for n in surface.ENTRIES} | set(
        surface.REASONS)
    assert stale - set(names) == set(), "entries for no public callable"


def test_a_new_public_function_without_an_entry_fails(surface, monkeypatch):
    from sockcffi import records

    def shiny(data, size):
        return data[:size]
    monkeypatch.setattr(records, "shiny", shiny, raising=False)
    monkeypatch.setattr(records, "__all__", records.__all__ + ["shiny"])
    assert ("records.shiny", "no entry and no reason") in surface.uncovered()
