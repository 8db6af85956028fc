"""A short mode of tools/aio_conformance.py: a few of the stdlib's asyncio
test modules, each run with asyncio's own loop and with sockcffi.aio's in
child interpreters; every test passing with the first passes with the
second.  The whole list runs with ``python tools/aio_conformance.py``."""
import os
import sys

import pytest
from sockhelpers import run_tool_json

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOL = os.path.join(ROOT, "tools", "aio_conformance.py")

SHORT = ["test_buffered_proto", "test_protocols", "test_sock_lowlevel"]


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="sockcffi.aio's selector is epoll")
def test_short_conformance(tmp_path):
    argv = [sys.executable, TOOL, "--total-timeout", "600"]
    for suite in SHORT:
        argv += ["--suite", suite]
    proc, doc = run_tool_json(argv, tmp_path, 1500)
    for result in doc["suites"]:
        for mode in ("stdlib", "sockcffi"):
            report = result["modes"][mode]
            assert not report["import_error"], proc.stdout
            assert report["summary"]["passed"] > 0, proc.stdout
        assert result["compare"]["regressions"] == [], proc.stdout
    assert proc.returncode == 0, proc.stdout
