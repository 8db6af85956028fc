"""Typing: the installed stubs cover the public API exactly, and
``mypy --strict`` passes on a sample program (tests/typing_sample.py)."""
import ast
import os
import subprocess
import sys
import types

import pytest

import sockcffi

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.abspath(sockcffi.__file__))
SAMPLE = os.path.join(HERE, "typing_sample.py")
CPYTHON_VENV = os.path.join(os.path.dirname(HERE), ".venv-cpython", "bin",
                            "python")


def _stub_names(filename):
    """Top-level names a stub defines, and its classes' member names."""
    with open(os.path.join(PACKAGE, filename)) as f:
        tree = ast.parse(f.read())
    names, classes = set(), {}

    def visit(body):
        for node in body:
            if isinstance(node, ast.If):            # version/platform checks
                visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
                if isinstance(node, ast.ClassDef):
                    classes[node.name] = _members(node.body)
            elif isinstance(node, ast.Assign):
                names.update(t.id for t in node.targets
                             if isinstance(t, ast.Name))
            elif isinstance(node, ast.AnnAssign):
                names.add(node.target.id)
            elif isinstance(node, ast.ImportFrom):
                names.update(a.asname for a in node.names
                             if a.asname and a.asname == a.name)
    visit(tree.body)
    return names, classes


def _members(body):
    found = set()
    for node in body:
        if isinstance(node, ast.If):
            found |= _members(node.body) | _members(node.orelse)
        elif isinstance(node, ast.FunctionDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def _public_runtime_names():
    # dir(), not vars(): header constants are bound on first use.
    return {n for n in dir(sockcffi)
            if not n.startswith("_")
            and not isinstance(getattr(sockcffi, n), types.ModuleType)
            and n not in ("EAGAIN", "EBADF", "EWOULDBLOCK")} | {"constants"}


def test_marker_and_stubs_are_installed():
    for name in ("py.typed", "__init__.pyi", "constants.pyi",
                 "_header_constants.pyi"):
        assert os.path.exists(os.path.join(PACKAGE, name)), name


def test_stubs_name_exactly_the_public_api():
    api, api_classes = _stub_names("__init__.pyi")
    consts, const_classes = _stub_names("_header_constants.pyi")
    stubbed = {n for n in api | consts if not n.startswith("_")}
    assert stubbed == _public_runtime_names()
    # every public method of the socket classes, and no more
    for cls, bases in (("SocketType", ()), ("socket", ("SocketType",))):
        runtime = {n for n in dir(getattr(sockcffi, cls))
                   if not n.startswith("_")}
        stub = set(api_classes[cls]).union(*(api_classes[b] for b in bases))
        if not hasattr(sockcffi.SocketType, "sendmsg_afalg"):
            # declared for Linux, built only with AF_ALG
            stub.discard("sendmsg_afalg")
        assert {n for n in stub if not n.startswith("_")} == runtime, cls


def test_generated_stub_lists_this_builds_constants():
    consts, classes = _stub_names("_header_constants.pyi")
    expected = set(sockcffi.constants.names())
    if hasattr(sockcffi, "BDADDR_ANY"):
        expected |= {"BDADDR_ANY", "BDADDR_LOCAL"}
    enums = {"AddressFamily", "SocketKind", "MsgFlag", "AddressInfo"}
    assert consts == expected | enums
    for name in enums:
        assert classes[name] == set(getattr(sockcffi, name).__members__)


def test_constants_stub_matches_the_module():
    names, classes = _stub_names("constants.pyi")
    runtime = {n for n, v in vars(sockcffi.constants).items()
               if not n.startswith("_") and callable(v)
               and getattr(v, "__module__", "") == "sockcffi.constants"}
    assert names == runtime | {"Constant"}


def test_sample_runs():
    proc = subprocess.run([sys.executable, SAMPLE], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60, cwd=HERE)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "ok\n"


def _mypy_command():
    """mypy run by this interpreter, or else by the CPython venv's (mypy
    does not install on PyPy) checking this interpreter's installed
    packages; None if neither has mypy."""
    try:
        import mypy  # noqa: F401
        return [sys.executable, "-m", "mypy"]
    except ImportError:
        pass
    if os.path.exists(CPYTHON_VENV) and subprocess.run(
            [CPYTHON_VENV, "-c", "import mypy"], timeout=60).returncode == 0:
        return [CPYTHON_VENV, "-m", "mypy", "--python-executable",
                sys.executable]
    return None


def test_mypy_strict_on_the_sample(tmp_path):
    command = _mypy_command()
    if command is None:
        pytest.skip("mypy is not importable here and no .venv-cpython has "
                    "it (mypy does not install on PyPy)")
    proc = subprocess.run(
        command + ["--strict", "--no-incremental",
                   "--cache-dir", str(tmp_path / "cache"), SAMPLE],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("Success: no issues found")


def test_mypy_strict_on_the_stubs_themselves(tmp_path):
    command = _mypy_command()
    if command is None:
        pytest.skip("mypy is not importable here and no .venv-cpython has "
                    "it (mypy does not install on PyPy)")
    # A copy of the installed stubs alone (no .py beside them), so that mypy
    # reports errors in the stubs rather than skipping an installed package.
    copy = tmp_path / "sockcffi"
    copy.mkdir()
    for name in os.listdir(PACKAGE):
        if name.endswith(".pyi") or name == "py.typed":
            with open(os.path.join(PACKAGE, name)) as f:
                (copy / name).write_text(f.read())
    proc = subprocess.run(
        command + ["--strict", "--no-incremental",
                   "--cache-dir", str(tmp_path / "cache"), "sockcffi"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
