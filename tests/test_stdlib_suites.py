"""A fast subset of tools/stdlib_suites.py: stdlib suites of socket
consumers, with sockcffi as the socket module and TLS on it.

test_poplib (plain, SSL and STARTTLS servers), test_httplib (HTTPS
included) and asyncio's test_sock_lowlevel run in both modes; every test
that passes with the stdlib's socket must pass with sockcffi.  The whole
list of suites is ``python tools/stdlib_suites.py`` (about 15 minutes per
interpreter).  Set ``SOCKCFFI_SKIP_CONFORMANCE=1`` to skip locally.
"""
import os
import sys

import pytest
from sockhelpers import run_tool_json

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(HERE), "tools", "stdlib_suites.py")
SUITES = ["test_poplib", "test_httplib", "test_asyncio.test_sock_lowlevel"]
RUN_TIMEOUT = 10 * 60


@pytest.mark.skipif(os.environ.get("SOCKCFFI_SKIP_CONFORMANCE") == "1",
                    reason="SOCKCFFI_SKIP_CONFORMANCE=1: stdlib suites "
                           "skipped")
def test_stdlib_suites_subset(tmp_path):
    cmd = [sys.executable, TOOL, "--timeout", "60", "--total-timeout", "240"]
    for suite in SUITES:
        cmd += ["--suite", suite]
    proc, doc = run_tool_json(cmd, tmp_path, RUN_TIMEOUT)
    problems = []
    for result in doc["suites"]:
        for mode, report in sorted(result["modes"].items()):
            if report["import_error"]:
                problems.append("%s [%s]: import error %s" % (
                    result["suite"], mode, report["import_error"]))
            elif report["summary"]["passed"] == 0:
                problems.append("%s [%s]: nothing passed"
                                % (result["suite"], mode))
        for r in result["compare"]["regressions"]:
            msg = (r.get("message") or "").splitlines()
            problems.append("%s %s [%s] %s" % (
                result["suite"], r["id"], r["outcome"],
                msg[0][:200] if msg else ""))
    assert not problems, "\n".join(problems) + "\n" + proc.stdout[-3000:]
    assert proc.returncode == 0, proc.stdout[-5000:]
