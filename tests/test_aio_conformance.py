"""A short mode of tools/aio_conformance.py: a few of the stdlib's asyncio
test modules, each run with asyncio's own loop and with sockcffi.aio's in
child interpreters; every test passing with the first passes with the
second.  The whole list runs with ``python tools/aio_conformance.py``."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "aio_conformance.py")

SHORT = ["test_buffered_proto", "test_protocols", "test_sock_lowlevel"]


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="sockcffi.aio's selector is epoll")
def test_short_conformance(tmp_path):
    out = tmp_path / "out.json"
    argv = [sys.executable, TOOL, "--json", str(out),
            "--total-timeout", "600"]
    for suite in SHORT:
        argv += ["--suite", suite]
    proc = subprocess.run(argv, cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=1500)
    doc = json.loads(out.read_text())
    for result in doc["suites"]:
        for mode in ("stdlib", "sockcffi"):
            report = result["modes"][mode]
            assert not report["import_error"], proc.stdout
            assert report["summary"]["passed"] > 0, proc.stdout
        assert result["compare"]["regressions"] == [], proc.stdout
    assert proc.returncode == 0, proc.stdout
