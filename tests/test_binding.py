"""The compiled module refuses to load when it does not match the sources."""
import os
import shutil
import subprocess
import sys

import sockcffi


def _copy_package(tmp_path):
    src = os.path.dirname(sockcffi.__file__)
    dst = tmp_path / "sockcffi"
    shutil.copytree(src, str(dst),
                    ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def _import_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-c", "import sockcffi"], cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=str(tmp_path)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError:"), proc.stderr
    return last


def test_stamp_matches_sources():
    from sockcffi._binding import ffi, lib
    from sockcffi._version import BUILD_STAMP
    assert ffi.string(lib.sockcffi_build_stamp()).decode() == BUILD_STAMP


def test_stale_build_is_refused(tmp_path):
    package = _copy_package(tmp_path)
    version = package / "_version.py"
    version.write_text(version.read_text().replace(
        "BINDING_API = ", "BINDING_API = 1000 + "))
    message = _import_error(tmp_path)
    assert "stale" in message and "pip install ." in message


def test_missing_build_is_refused(tmp_path):
    package = _copy_package(tmp_path)
    for name in os.listdir(str(package)):
        if name.startswith("_sockcffi") and name.endswith(".so"):
            os.remove(str(package / name))
    message = _import_error(tmp_path)
    assert "missing" in message and "pip install ." in message
