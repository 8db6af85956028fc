"""A fast subset of tools/stdlib_suites.py: stdlib suites of socket
consumers, with sockcffi as the socket module and TLS on it.

test_poplib (plain, SSL and STARTTLS servers), test_httplib (HTTPS
included) and asyncio's test_sock_lowlevel run in both modes; every test
that passes with the stdlib's socket must pass with sockcffi.  The whole
list of suites is ``python tools/stdlib_suites.py`` (about 15 minutes per
interpreter).  Set ``SOCKCFFI_SKIP_CONFORMANCE=1`` to skip locally.
"""
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(os.path.dirname(HERE), "tools", "stdlib_suites.py")
SUITES = ["test_poplib", "test_httplib", "test_asyncio.test_sock_lowlevel"]
RUN_TIMEOUT = 10 * 60


@pytest.mark.skipif(os.environ.get("SOCKCFFI_SKIP_CONFORMANCE") == "1",
                    reason="SOCKCFFI_SKIP_CONFORMANCE=1: stdlib suites "
                           "skipped")
def test_stdlib_suites_subset(tmp_path):
    out = tmp_path / "suites.json"
    cmd = [sys.executable, TOOL, "--json", str(out), "--timeout", "60",
           "--total-timeout", "240"]
    for suite in SUITES:
        cmd += ["--suite", suite]
    try:
        proc = subprocess.run(cmd, cwd=str(tmp_path), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=RUN_TIMEOUT, universal_newlines=True)
    except subprocess.TimeoutExpired as exc:
        pytest.fail("stdlib_suites.py did not finish in %ss:\n%s"
                    % (RUN_TIMEOUT, (exc.output or "")[-5000:]))
    assert out.exists(), proc.stdout[-5000:]
    doc = json.loads(out.read_text())
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
