"""``sockcffi probe``: another target's constants from its cross compiler,
without running anything there; diff across targets; errors.

The cross compilers come from Debian (tools/run_tests.sh installs them:
gcc-mips-linux-gnu, gcc-aarch64-linux-gnu, their libc6-dev-*-cross and
linux-libc-dev-*-cross, musl-tools).  A missing one skips its tests, unless
SOCKCFFI_REQUIRE_CROSS=1 (set by tools/run_tests.sh) makes that a failure.
"""
import io
import json
import os
import platform
import shutil
import socket
import subprocess
import sys

import pytest

import sockcffi
from sockcffi import constants, inspector, targets

COMPILERS = {"mips-linux-gnu": "mips-linux-gnu-gcc",
             "aarch64-linux-gnu": "aarch64-linux-gnu-gcc",
             "musl": "musl-gcc"}


def need(target):
    cc = COMPILERS[target]
    if shutil.which(cc) is None:
        if os.environ.get("SOCKCFFI_REQUIRE_CROSS") == "1":
            pytest.fail("%s is not installed (tools/run_tests.sh installs "
                        "it)" % cc)
        pytest.skip("%s is not installed" % cc)


def run(*argv):
    """inspector.run(argv) -> (status, stdout text)."""
    out = io.StringIO()
    status = inspector.run(list(argv), out)
    return status, out.getvalue()


def probe_json(*argv):
    status, out = run("probe", "--json", *argv)
    return status, json.loads(out)


def by_name(doc):
    return {r["name"]: r for r in doc["records"]}


@pytest.fixture(scope="module")
def native():
    status, doc = probe_json()
    assert status == 0
    return doc


@pytest.fixture(scope="module")
def mips():
    need("mips-linux-gnu")
    status, doc = probe_json("--target", "mips-linux-gnu")
    assert status == 0
    return doc


@pytest.fixture(scope="module")
def aarch64():
    need("aarch64-linux-gnu")
    status, doc = probe_json("--target", "aarch64-linux-gnu")
    assert status == 0
    return doc


@pytest.fixture(scope="module")
def musl():
    need("musl")
    status, doc = probe_json("--target", "musl")
    assert status == 0
    return doc


def dump(tmp_path, name, doc):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return str(path)


# ------------------------------------------------------------ the targets

def test_mips_socket_level_values(mips):
    records = by_name(mips)
    assert records["SO_REUSEPORT"]["value"] == 0x200
    assert records["SO_REUSEPORT"]["hex"] == "0x200"
    assert records["SOL_SOCKET"]["value"] == 0xffff
    assert records["SO_REUSEPORT"]["level"] == "SOL_SOCKET"
    target = mips["target"]
    assert target["triple"] == "mips-linux-gnu"
    assert (target["machine"], target["bits"], target["byte_order"]) == (
        "mips", 32, "big")
    assert target["libc"]["name"] == "glibc" and target["libc"]["version"]
    assert target["kernel_headers"] and target["compiler"]["version"]
    assert target["compiler"]["command"][0] == "mips-linux-gnu-gcc"
    assert mips["command"] == "probe" and mips["schema"] == inspector.SCHEMA


def test_records_schema_is_that_of_constants(mips):
    _, out = run("constants", "--json", "SO_TYPE")
    native_keys = set(json.loads(out)["records"][0])
    for record in mips["records"]:
        assert set(record) == native_keys


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"),
                    reason="compares aarch64 with an x86_64 build")
def test_aarch64_socket_level_matches_native(aarch64):
    records = by_name(aarch64)
    socket_level = [c for c in constants.records().values()
                    if c.level == "SOL_SOCKET" or c.name == "SOL_SOCKET"]
    assert len(socket_level) > 50
    for c in socket_level:
        assert records[c.name]["value"] == c.value, c.name
    theirs = {n for n, r in records.items() if r["level"] == "SOL_SOCKET"}
    assert theirs == {c.name for c in socket_level if c.level}
    target = aarch64["target"]
    assert (target["machine"], target["bits"], target["byte_order"]) == (
        "aarch64", 64, "little")


def test_native_probe_equals_the_compiled_module(native):
    records = by_name(native)
    assert sorted(records) == constants.names()
    for name, rec in records.items():
        c = constants.lookup(name)
        assert rec["value"] == c.value == getattr(sockcffi, name), name
        assert (rec["group"], rec["level"], rec["header"], rec["via"],
                rec["source"]) == (c.group, c.level, c.header, c.via,
                                   c.source), name


def test_musl_reports_its_own_set(musl, native):
    records = by_name(musl)
    assert musl["target"]["libc"]["name"] == "musl"
    assert musl["target"]["triple"].endswith("-linux-musl")
    assert len(records) > 500
    assert set(records) != set(by_name(native))
    assert "SO_REUSEPORT" in records
    # glibc's IDN flags for getaddrinfo are not in musl.
    assert "AI_IDN" in by_name(native) and "AI_IDN" not in records


# ----------------------------------------------------------- diff, stdlib

def test_diff_glibc_musl_grouped(musl, tmp_path):
    _, out = run("constants", "--json")
    glibc = dump(tmp_path, "glibc.json", json.loads(out))
    other = dump(tmp_path, "musl.json", musl)
    status, text = run("diff", glibc, other)
    assert status == 1
    lines = text.splitlines()
    assert lines[1].startswith("+++ ") and lines[1].endswith("-linux-musl)")
    assert "- AI_IDN = %d" % sockcffi.AI_IDN in lines
    status, out = run("diff", "--json", glibc, other)
    doc = json.loads(out)
    assert status == 1 and doc["records"]
    assert "AI_IDN" in doc["groups"]["addrinfo_flag"]["removed"]
    for row in doc["records"]:
        assert row["name"] in doc["groups"][row["group"]][row["change"]]
    # Text: one "@@ group" line, then that group's changes.
    group = None
    for line in lines[2:]:
        if line.startswith("@@ "):
            group = line[3:].split(":")[0]
        else:
            name = line[2:].split()[0].rstrip(":")
            (row,) = [r for r in doc["records"] if r["name"] == name]
            assert row["group"] == group


def test_diff_native_mips(native, mips, tmp_path):
    status, text = run("diff", dump(tmp_path, "a.json", native),
                       dump(tmp_path, "b.json", mips))
    assert status == 1
    lines = text.splitlines()
    at = lines.index("~ SO_REUSEPORT: value %d -> 512" % sockcffi.SO_REUSEPORT)
    assert [ln for ln in lines[:at] if ln.startswith("@@ ")][-1].startswith(
        "@@ socket_option: ")


def test_stdlib_comparison_native(native):
    status, out = run("probe", "--stdlib", "--json")
    doc = json.loads(out)
    assert status == 0
    assert doc["stdlib_only"] == [] and doc["mismatches"] == []
    assert doc["target"]["triple"] == native["target"]["triple"]


def test_stdlib_comparison_musl(musl):
    status, out = run("probe", "--target", "musl", "--stdlib", "--json")
    doc = json.loads(out)
    records = by_name(musl)
    for name in doc["stdlib_only"]:
        assert hasattr(socket, name) and name not in records
    assert status == (1 if doc["stdlib_only"] else 0)
    if hasattr(socket, "IPPORT_USERRESERVED"):
        assert "IPPORT_USERRESERVED" in doc["stdlib_only"]
    assert not any(n.startswith("E") for n in doc["stdlib_only"])  # errno
    status, text = run("probe", "--target", "musl", "--stdlib")
    assert "that %s lacks:" % musl["target"]["triple"] in text


def test_cc_with_flags(mips):
    status, doc = probe_json("--cc", "mips-linux-gnu-gcc -std=gnu11",
                             "SO_REUSEPORT")
    assert status == 0
    assert doc["target"]["triple"] == "mips-linux-gnu"   # its -dumpmachine
    assert doc["target"]["compiler"]["command"] == ["mips-linux-gnu-gcc",
                                                    "-std=gnu11"]
    assert doc["records"] == [by_name(mips)["SO_REUSEPORT"]]


def test_selection_applies_to_the_target(mips):
    status, doc = probe_json("--target", "mips-linux-gnu", "SO_REUSE*",
                             "--level", "sol_socket")
    assert status == 0
    assert [r["name"] for r in doc["records"]] == ["SO_REUSEADDR",
                                                   "SO_REUSEPORT"]


# ---------------------------------------------------------------- errors

def run_module(*argv, **kwargs):
    """``python -m sockcffi`` from the directory holding the installed
    package (no gen/ there: the probe comes with the package)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(
        sockcffi.__file__)))
    env = dict(os.environ, PYTHONPATH=root)
    return subprocess.run([sys.executable, "-m", "sockcffi"] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, cwd=root,
                          timeout=300, **kwargs)


def one_line_error(proc, fragment):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""                      # nothing half-written
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("sockcffi: error: ")
    assert fragment in proc.stderr
    return proc.stderr


def test_bogus_triple_exits_2():
    one_line_error(run_module("probe", "--target", "bogus-triple"),
                   "unknown target triple 'bogus-triple'")


def test_absent_compiler_exits_2_naming_the_package():
    for triple in ("sparc64-linux-gnu", "alpha-linux-gnu", "hppa-linux-gnu",
                   "sh4-linux-gnu"):
        if shutil.which(triple + "-gcc") is None:
            break
    else:
        pytest.skip("every candidate cross compiler is installed")
    message = one_line_error(run_module("probe", "--target", triple,
                                        "--json"), "no compiler for")
    assert "apt-get install gcc-%s " % triple in message


def test_missing_cc_path_exits_2(tmp_path):
    one_line_error(run_module("probe", "--cc", str(tmp_path / "no-cc")),
                   "compiler not found")


def test_missing_headers_exit_2(tmp_path):
    host = targets.resolve().cmd[0]
    wrapper = tmp_path / "cc-without-headers"
    wrapper.write_text('#!/bin/sh\nexec %s -nostdinc "$@"\n' % host)
    wrapper.chmod(0o755)
    one_line_error(run_module("probe", "--cc", str(wrapper)),
                   "cannot include <sys/socket.h>")


def test_installed_package_carries_the_probe():
    gen = targets._gen()
    package = os.path.dirname(os.path.abspath(sockcffi.__file__))
    assert os.path.abspath(gen.__file__).startswith(package + os.sep)
    need("mips-linux-gnu")
    proc = run_module("probe", "-t", "mips-linux-gnu", "SO_REUSEPORT",
                      "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["records"][0]["value"] == 0x200
