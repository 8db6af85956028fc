"""The compiled module refuses to load when it does not match the sources."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sockcffi

ROOT = Path(__file__).resolve().parents[1]
HAVE_TREE = (ROOT / "build_ffi.py").exists() and (ROOT / "gen").is_dir()


def _copy_package(tmp_path):
    src = os.path.dirname(sockcffi.__file__)
    dst = tmp_path / "sockcffi"
    shutil.copytree(src, str(dst),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _import(tmp_path):
    return subprocess.run(
        [sys.executable, "-c", "import sockcffi"], cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=str(tmp_path)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)


def _import_error(tmp_path):
    proc = _import(tmp_path)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:"), proc.stderr
    return last


def test_stamp_is_derived_from_the_sources():
    from sockcffi import _binding, _stamp
    assert _stamp.version_of(_binding.BUILD_STAMP) == sockcffi.__version__
    if HAVE_TREE:
        # Installed from this tree (tools/run_tests.sh does): the stamp is
        # the digest of its gen/ and build_ffi.py.
        assert _binding.BUILD_STAMP == _stamp.stamp(str(ROOT),
                                                    sockcffi.__version__), (
            "the installed sockcffi was built from other sources than %s; "
            "run 'pip install .'" % ROOT)


def test_build_inputs_cover_gen():
    from sockcffi import _stamp
    if not HAVE_TREE:
        pytest.skip("gen/ is not in this tree")
    inputs = _stamp.build_inputs(str(ROOT))
    for rel in ("build_ffi.py", "gen/catalogue.py", "gen/probe.py",
                "gen/render.py", "gen/bindings/socket.py",
                "gen/templates/source.c.j2", "gen/templates/cdef.h.j2"):
        assert rel in inputs
    bindings = sorted(p.name for p in (ROOT / "gen" / "bindings").glob(
        "*.py"))
    assert bindings == sorted(p.rsplit("/", 1)[1] for p in inputs
                              if p.startswith("gen/bindings/"))


def test_other_version_is_refused(tmp_path):
    # An installed package: the compiled module must be of its version.
    package = _copy_package(tmp_path)
    version = package / "_version.py"
    version.write_text(version.read_text().replace(
        '__version__ = "', '__version__ = "1000.'))
    message = _import_error(tmp_path)
    assert "stale" in message and "pip install ." in message


@pytest.fixture
def source_tree(tmp_path):
    """A copy of the source tree holding the installed compiled module (as
    an in-place build leaves it)."""
    if not HAVE_TREE:
        pytest.skip("gen/ is not in this tree")
    tree = tmp_path / "tree"
    shutil.copytree(str(ROOT / "sockcffi"), str(tree / "sockcffi"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.so",
                                                  "_sockcffi.*"))
    shutil.copytree(str(ROOT / "gen"), str(tree / "gen"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(str(ROOT / "build_ffi.py"), str(tree))
    installed = os.path.dirname(sockcffi.__file__)
    for name in os.listdir(installed):
        if name.startswith("_sockcffi") and name.endswith(".so"):
            shutil.copy(os.path.join(installed, name), str(tree / "sockcffi"))
    proc = _import(tree)
    assert proc.returncode == 0, proc.stderr
    return tree


@pytest.mark.parametrize("relpath", [
    "gen/bindings/socket.py", "gen/bindings/netlink.py",
    "gen/templates/source.c.j2", "gen/templates/cdef.h.j2",
    "gen/catalogue.py"])
def test_edited_source_without_rebuild_is_refused(source_tree, relpath):
    path = source_tree / relpath
    path.write_text(path.read_text() + "\n")    # any edit at all
    message = _import_error(source_tree)
    assert "stale" in message and "pip install ." in message
    assert str(source_tree) in message


def test_missing_build_is_refused(tmp_path):
    package = _copy_package(tmp_path)
    for name in os.listdir(str(package)):
        if name.startswith("_sockcffi") and name.endswith(".so"):
            os.remove(str(package / name))
    message = _import_error(tmp_path)
    assert "missing" in message and "pip install ." in message


def test_source_tree_probe_uses_its_gen(source_tree):
    # Without an installed sockcffi._gen, 'sockcffi probe' uses the tree's.
    proc = subprocess.run(
        [sys.executable, "-c", "from sockcffi import targets; "
         "print(targets._gen().__file__); "
         "print(len(targets.probe(targets.resolve())[0]))"],
        cwd=str(source_tree), env=dict(os.environ,
                                       PYTHONPATH=str(source_tree)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    where, count = proc.stdout.split()
    assert where == str(source_tree / "gen" / "__init__.py")
    assert int(count) == len(sockcffi.constants.names())
