"""``sockcffi probe``: another target's constants from its cross compiler,
without running anything there; diff across targets; errors.

The cross compilers come from Debian (tools/run_tests.sh installs them:
gcc-mips-linux-gnu, gcc-aarch64-linux-gnu, their libc6-dev-*-cross and
linux-libc-dev-*-cross, musl-tools).  A missing one skips its tests, unless
SOCKCFFI_REQUIRE_CROSS=1 (set by tools/run_tests.sh) makes that a failure.
"""
import importlib
import json
import os
import platform
import shutil
import socket
import subprocess
import time

import pytest

import sockcffi
from sockcffi import constants, inspector, targets
from sockhelpers import need_compiler as need, run_inspector as run, run_module


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


def probed(target):
    """The probe's JSON document for a cross target (skips without its
    compiler)."""
    need(target)
    status, doc = probe_json("--target", target)
    assert status == 0
    return doc


@pytest.fixture(scope="module")
def mips():
    return probed("mips-linux-gnu")


@pytest.fixture(scope="module")
def aarch64():
    return probed("aarch64-linux-gnu")


@pytest.fixture(scope="module")
def musl():
    return probed("musl")


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


def fake_compiler(tmp_path, name, body):
    """A compiler that is a shell script (``body``; $HOST is the build's
    own compiler command)."""
    path = tmp_path / name
    host = " ".join(targets.resolve().cmd)
    path.write_text("#!/bin/sh\nHOST='%s'\n%s\n" % (host, body))
    path.chmod(0o755)
    return str(path)


def test_unbalanced_cc_quote_exits_2():
    one_line_error(run_module("probe", "--cc", "'unbalanced"),
                   "No closing quotation")


@pytest.mark.parametrize("cc", ["", "   "])
def test_empty_cc_is_an_error_not_the_host_compiler(cc):
    one_line_error(run_module("probe", "--cc", cc), "names no compiler")


def test_unbalanced_cc_variable_exits_2():
    env = dict(os.environ, CC="'unbalanced")
    one_line_error(run_module("probe", env=env), "No closing quotation")


def test_compiler_failing_in_non_utf8_exits_2(tmp_path):
    cc = fake_compiler(tmp_path, "cc-latin1",
                       "printf 'd\\351j\\340 \\377\\376\\n' >&2; exit 1")
    one_line_error(run_module("probe", "--cc", cc), "d\ufffdj\ufffd")


def test_compiler_chatting_in_non_utf8_still_probes(tmp_path):
    # Warnings in a legacy encoding on stderr, a banner on stdout of
    # -dumpmachine: the probe reads past them.
    cc = fake_compiler(tmp_path, "cc-chatty",
                       "printf '\\377 avertissement\\n' >&2; "
                       'exec $HOST "$@"')
    proc = run_module("probe", "--cc", cc, "SOL_SOCKET", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["records"][0]["value"] == \
        socket.SOL_SOCKET


@pytest.mark.parametrize("keep", [0, 16, 60, 300, -100])
def test_truncated_object_file_exits_2(tmp_path, keep):
    # The compiler succeeds but leaves a values.o cut short (keep > 0: its
    # first bytes; keep < 0: all but its last bytes).
    cut = "head -c %d" % keep
    cc = fake_compiler(tmp_path, "cc-truncating",
                       '$HOST "$@" || exit $?\n'
                       'if [ -f values.o ]; then %s values.o > cut.o; '
                       "mv cut.o values.o; fi" % cut)
    message = one_line_error(run_module("probe", "--cc", cc),
                             "cannot read the compiled values back")
    assert ("truncated or corrupt" in message or "not an ELF" in message
            or "values for" in message)


def test_hanging_compiler_is_timed_out(tmp_path):
    # -dumpmachine answers, the compile hangs (in a child of the script,
    # so the whole process group must go).
    cc = fake_compiler(tmp_path, "cc-hanging",
                       'case "$*" in *-dumpmachine*) exec $HOST "$@";; esac\n'
                       "sleep 600 & wait")
    env = dict(os.environ, SOCKCFFI_CC_TIMEOUT="2")
    started = time.monotonic()
    one_line_error(run_module("probe", "--cc", cc, env=env),
                   "did not finish within 2 s")
    assert time.monotonic() - started < 60


def test_hanging_dumpmachine_is_timed_out(tmp_path):
    cc = fake_compiler(tmp_path, "cc-mute", "exec sleep 600")
    env = dict(os.environ, SOCKCFFI_CC_TIMEOUT="0.5")
    one_line_error(run_module("probe", "--cc", cc, env=env),
                   "did not finish within 0.5 s")


@pytest.mark.parametrize("value", ["soon", "-1", "0", "inf"])
def test_bad_timeout_variable_exits_2(value):
    env = dict(os.environ, SOCKCFFI_CC_TIMEOUT=value)
    one_line_error(run_module("probe", env=env), "SOCKCFFI_CC_TIMEOUT")


def test_relative_cc_path_and_chatty_dumpmachine(tmp_path):
    # A path relative to the caller's folder still names the compiler
    # once the probe works in its own; a -dumpmachine of two lines gives
    # a one-line triple.
    cc = fake_compiler(tmp_path, "cc-two-lines",
                       'case "$*" in *-dumpmachine*) echo banner;; esac\n'
                       'exec $HOST "$@"')
    root = os.path.dirname(os.path.dirname(os.path.abspath(
        sockcffi.__file__)))
    proc = run_module("probe", "--cc", os.path.relpath(cc, root),
                      "SOL_SOCKET", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["target"]["triple"] == "banner"


def _object_file(tmp_path, cc):
    source = tmp_path / "o.c"
    source.write_text("long long sockcffi_probe_values[4] = {1, 2, 3, 4};\n"
                      "char sockcffi_probe_compiler[] = \"cc\";\n"
                      "long long zeroed[8];\n")
    subprocess.run([cc, "-c", "-fdata-sections", "-o", str(tmp_path / "o.o"),
                    str(source)], check=True, timeout=120)
    return (tmp_path / "o.o").read_bytes()


@pytest.mark.parametrize("kind", ["elf", "coff"])
def test_object_readers_raise_their_error_on_any_damage(tmp_path, kind):
    """Every prefix of a real object file, and the file with each header
    byte flipped: a result or ObjectFileError, nothing else."""
    gen = targets._gen()
    elf = importlib.import_module(gen.__name__ + ".elf")
    coff = importlib.import_module(gen.__name__ + ".coff")
    if kind == "elf":
        data, reader = _object_file(tmp_path, targets.resolve().cmd[0]), elf
    else:
        cc = "x86_64-w64-mingw32-gcc"
        if shutil.which(cc) is None:
            pytest.skip("%s is not installed" % cc)
        data, reader = _object_file(tmp_path, cc), coff
    assert reader.read(data).symbols["sockcffi_probe_values"][:8] == \
        (1).to_bytes(8, "little")
    damaged = [data[:n] for n in range(0, len(data), 7)]
    for i in range(min(len(data), 256)):
        for bits in (0x01, 0x80, 0xff):
            damaged.append(data[:i] + bytes([data[i] ^ bits]) + data[i + 1:])
    for blob in damaged:
        try:
            reader.read(blob)
        except elf.ObjectFileError:
            pass


def test_installed_package_carries_the_probe():
    gen = targets._gen()
    package = os.path.dirname(os.path.abspath(sockcffi.__file__))
    assert os.path.abspath(gen.__file__).startswith(package + os.sep)
    need("mips-linux-gnu")
    proc = run_module("probe", "-t", "mips-linux-gnu", "SO_REUSEPORT",
                      "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["records"][0]["value"] == 0x200
