"""The inspector (``python -m sockcffi``): in-process through main(argv), and
a few real subprocess runs."""
import json
import os
import subprocess
import sys

import pytest

import sockcffi
from sockcffi import constants
from sockcffi.__main__ import main

LINUX = sys.platform.startswith("linux")


def run(capsys, *argv):
    """main(argv) -> (status, stdout, stderr)."""
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys, *argv):
    status, out, err = run(capsys, *(argv + ("--json",)))
    assert err == ""
    return status, json.loads(out)


def _root():
    """The directory holding the sockcffi these tests import."""
    return os.path.dirname(os.path.dirname(os.path.abspath(
        sockcffi.__file__)))


def _env():
    """The environment for ``python -m sockcffi``: the sockcffi these tests
    import comes first on the path.  (Subprocesses also run with that
    directory as cwd: ``-m`` puts the cwd first on sys.path, and from the
    repository root that would be the uncompiled source tree.)"""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [_root()] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                  if p])
    return env


def run_module(*argv, **kwargs):
    return subprocess.run([sys.executable, "-m", "sockcffi"] + list(argv),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=_env(), timeout=120,
                          cwd=_root(),
                          **kwargs)


# ---------------------------------------------------------------- constants

def test_glob_json_reuse(capsys):
    status, doc = run_json(capsys, "constants", "SO_REUSE*")
    assert status == 0
    by_name = {r["name"]: r for r in doc["records"]}
    assert {"SO_REUSEADDR", "SO_REUSEPORT"} <= set(by_name)
    assert all(name.startswith("SO_REUSE") for name in by_name)
    for name in ("SO_REUSEADDR", "SO_REUSEPORT"):
        rec = by_name[name]
        record = constants.lookup(name)
        assert rec["level"] == "SOL_SOCKET"
        assert rec["value"] == getattr(sockcffi, name)
        assert rec["hex"] == hex(rec["value"])
        assert rec["header"] and rec["header"] == record.header
        assert rec["header"].endswith("socket.h")
        assert rec["source"] == "header" and rec["from_header"] is True
        assert rec["group"] == "socket_option"


def test_json_envelope(capsys):
    status, doc = run_json(capsys, "constants", "AF_INET")
    assert status == 0
    assert doc["schema"] == 1
    assert doc["tool"] == "sockcffi"
    assert doc["command"] == "constants"
    assert doc["sockcffi"] == sockcffi.__version__
    assert doc["interpreter"]["implementation"] == sys.implementation.name
    assert doc["platform"]["sys_platform"] == sys.platform
    assert doc["filters"]["patterns"] == ["AF_INET"]
    assert [r["name"] for r in doc["records"]] == ["AF_INET"]


def test_json_before_command(capsys):
    status, out, err = run(capsys, "--json", "constants", "SO_TYPE")
    assert status == 0
    assert [r["name"] for r in json.loads(out)["records"]] == ["SO_TYPE"]


def test_json_is_stable(capsys):
    _, first, _ = run(capsys, "constants", "--json")
    _, second, _ = run(capsys, "constants", "--json")
    assert first == second
    names = [r["name"] for r in json.loads(first)["records"]]
    assert names == sorted(names) == sorted(constants.records())


def test_text_columns(capsys):
    status, out, err = run(capsys, "constants", "SO_REUSEPORT")
    assert status == 0 and err == ""
    header, row = out.splitlines()
    assert header.split() == ["NAME", "VALUE", "HEX", "GROUP", "LEVEL",
                              "HEADER", "VIA", "SOURCE"]
    cells = row.split()
    assert cells[0] == "SO_REUSEPORT"
    assert int(cells[1]) == sockcffi.SO_REUSEPORT
    assert int(cells[2], 16) == sockcffi.SO_REUSEPORT


def test_glob_ignores_case(capsys):
    _, doc = run_json(capsys, "constants", "so_reuse*")
    assert "SO_REUSEPORT" in {r["name"] for r in doc["records"]}


def test_regex_by_metacharacter_and_flag(capsys):
    _, doc = run_json(capsys, "constants", "^SO_REUSE(ADDR|PORT)$")
    assert [r["name"] for r in doc["records"]] == ["SO_REUSEADDR",
                                                   "SO_REUSEPORT"]
    _, doc = run_json(capsys, "constants", "--regex", "REUSEADD")
    assert "SO_REUSEADDR" in {r["name"] for r in doc["records"]}


def test_group_and_level_filters(capsys):
    _, doc = run_json(capsys, "constants", "--group", "socket_type")
    assert doc["records"]
    assert {r["group"] for r in doc["records"]} == {"socket_type"}
    _, doc = run_json(capsys, "constants", "--level", "SOL_SOCKET")
    assert {r["level"] for r in doc["records"]} == {"SOL_SOCKET"}
    assert "SO_TYPE" in {r["name"] for r in doc["records"]}


def test_nothing_matched_exits_1(capsys):
    status, out, err = run(capsys, "constants", "NO_SUCH_NAME_*")
    assert status == 1 and err == ""


def test_compat_marked_not_from_header(capsys):
    compat = [c for c in constants.records().values()
              if c.source == "compat"]
    if not compat:
        pytest.skip("this build has no compat entries")
    name = compat[0].name
    _, doc = run_json(capsys, "constants", name)
    (rec,) = doc["records"]
    assert rec["source"] == "compat" and rec["header"] == ""
    assert rec["from_header"] is False
    _, out, _ = run(capsys, "constants", name)
    assert "not from a header" in out


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("argv, fragment", [
    (("constants", "--regex", "SO_(("), "regular expression"),
    (("constants", "--group", "no_such_group"), "unknown group"),
    (("constants", "--level", "SOL_NOWHERE"), "unknown level"),
    (("lookup", "fifteen"), "not an integer"),
    (("diff", "/nonexistent/a.json", "/nonexistent/b.json"), "cannot read"),
    (("no-such-command",), "invalid choice"),
])
def test_bad_arguments_exit_2_one_line(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sockcffi: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in err


def test_invalid_json_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    status, out, err = run(capsys, "diff", str(bad), str(bad))
    assert status == 2 and len(err.splitlines()) == 1
    assert "not valid JSON" in err
    other = tmp_path / "other.json"
    other.write_text('{"hello": 1}')
    status, out, err = run(capsys, "diff", str(other), str(other))
    assert status == 2 and "not a sockcffi --json dump" in err


# -------------------------------------------------------------------- diff

@pytest.fixture
def dump(capsys, tmp_path):
    _, out, _ = run(capsys, "constants", "--json")
    path = tmp_path / "a.json"
    path.write_text(out)
    return path


def test_diff_identical(capsys, dump, tmp_path):
    copy = tmp_path / "b.json"
    copy.write_text(dump.read_text())
    status, out, err = run(capsys, "diff", str(dump), str(copy))
    assert status == 0 and out == "" and err == ""
    status, doc = run_json(capsys, "diff", str(dump), str(copy))
    assert status == 0 and doc["records"] == []


def test_diff_reports_changes(capsys, dump, tmp_path):
    doc = json.loads(dump.read_text())
    records = {r["name"]: r for r in doc["records"]}
    records["SO_REUSEPORT"]["value"] = 16
    del records["SO_REUSEADDR"]
    records["SO_MADE_UP"] = dict(records["SO_TYPE"], name="SO_MADE_UP")
    doc["records"] = sorted(records.values(), key=lambda r: r["name"])
    changed = tmp_path / "b.json"
    changed.write_text(json.dumps(doc))

    status, out, err = run(capsys, "diff", str(dump), str(changed))
    assert status == 1 and err == ""
    assert "~ SO_REUSEPORT: value 15 -> 16" in out.splitlines()
    assert "- SO_REUSEADDR = %d" % sockcffi.SO_REUSEADDR in out.splitlines()
    assert "+ SO_MADE_UP = %d" % sockcffi.SO_TYPE in out.splitlines()

    status, result = run_json(capsys, "diff", str(dump), str(changed))
    assert status == 1
    changes = {r["name"]: r for r in result["records"]}
    assert set(changes) == {"SO_REUSEPORT", "SO_REUSEADDR", "SO_MADE_UP"}
    assert changes["SO_REUSEPORT"]["change"] == "changed"
    assert changes["SO_REUSEPORT"]["fields"] == ["value"]
    assert changes["SO_REUSEADDR"]["change"] == "removed"
    assert changes["SO_MADE_UP"]["change"] == "added"


def test_diff_ignores_headers_unless_asked(capsys, dump, tmp_path):
    doc = json.loads(dump.read_text())
    for rec in doc["records"]:
        if rec["name"] == "SO_TYPE":
            rec["header"] = "asm/elsewhere.h"
    moved = tmp_path / "b.json"
    moved.write_text(json.dumps(doc))
    assert run(capsys, "diff", str(dump), str(moved))[0] == 0
    status, out, _ = run(capsys, "diff", "--headers", str(dump), str(moved))
    assert status == 1 and "SO_TYPE: header" in out


# ----------------------------------------------------- lookup, collisions

def test_lookup_reuseport(capsys):
    status, doc = run_json(capsys, "lookup", "15", "--level", "SOL_SOCKET")
    assert status == 0
    assert [r["name"] for r in doc["records"]] == ["SO_REUSEPORT"]
    status, doc = run_json(capsys, "lookup", "0xf", "--level", "sol_socket")
    assert [r["name"] for r in doc["records"]] == ["SO_REUSEPORT"]
    status, out, _ = run(capsys, "lookup", "15", "--level", "SOL_SOCKET")
    assert status == 0 and "SO_REUSEPORT" in out


def test_lookup_group(capsys):
    status, doc = run_json(capsys, "lookup", str(int(sockcffi.AF_INET6)),
                           "--group", "address_family")
    assert [r["name"] for r in doc["records"]] == ["AF_INET6"]


def test_collisions_reuseport_freebind(capsys):
    if "IP_FREEBIND" not in constants.records():
        pytest.skip("no IP_FREEBIND here")
    status, doc = run_json(capsys, "collisions")
    assert status == 0
    rows = {r["value"]: r for r in doc["records"]}
    row = rows[sockcffi.SO_REUSEPORT]
    assert "SO_REUSEPORT" in row["levels"]["SOL_SOCKET"]
    assert "IP_FREEBIND" in row["levels"]["IPPROTO_IP"]
    for r in doc["records"]:
        assert len(r["levels"]) >= 2
        assert not any(n.startswith("SCM_") for names in r["levels"].values()
                       for n in names)
    status, out, _ = run(capsys, "collisions", "--level", "SOL_SOCKET",
                         "--level", "IPPROTO_IP")
    line = [ln for ln in out.splitlines()
            if ln.split()[0] == str(sockcffi.SO_REUSEPORT)]
    assert line and "IP_FREEBIND" in line[0] and "SO_REUSEPORT" in line[0]


# ----------------------------------------------------------------- options

def test_options_lists_levels(capsys):
    status, doc = run_json(capsys, "options", "--level", "IPPROTO_TCP")
    assert status == 0
    names = {r["name"] for r in doc["records"]}
    assert "TCP_NODELAY" in names
    assert {r["level"] for r in doc["records"]} == {"IPPROTO_TCP"}


def test_options_probe_so_type(capsys):
    status, doc = run_json(capsys, "options", "--probe", "--level",
                           "SOL_SOCKET")
    assert status == 0
    assert doc["sockets"]["SOL_SOCKET"]["socket"] == "AF_INET/SOCK_STREAM"
    rows = {r["name"]: r for r in doc["records"]}
    assert rows["SO_TYPE"]["accepted"] is True
    assert rows["SO_TYPE"]["value"] == sockcffi.SOCK_STREAM == 1
    assert not any(name.startswith("SCM_") for name in rows)
    for row in rows.values():
        if row["accepted"] is False:
            assert row["errno"] and row["errno"].startswith("E")
    status, out, _ = run(capsys, "options", "--probe", "--level",
                         "SOL_SOCKET")
    so_type = [ln.split() for ln in out.splitlines()
               if ln.split()[:1] == ["SO_TYPE"]]
    assert so_type == [["SO_TYPE", str(sockcffi.SO_TYPE), "accepted", "1"]]


def test_options_probe_unknown_family(capsys, monkeypatch):
    from sockcffi import option_probe
    monkeypatch.delitem(option_probe.PROBE_SOCKETS, "IPPROTO_UDP")
    status, doc = run_json(capsys, "options", "--probe", "--level",
                           "IPPROTO_UDP")
    assert status == 0
    info = doc["sockets"]["IPPROTO_UDP"]
    assert info["socket"] is None
    assert info["reason"].startswith(
        "no socket of that family could be created here")
    assert all(r["accepted"] is None for r in doc["records"])



def test_options_probe_decodes_typed_options(capsys):
    status, out, _ = run(capsys, "options", "--probe", "--level",
                         "SOL_SOCKET")
    assert status == 0
    linger = [ln for ln in out.splitlines() if ln.split()[:1] == ["SO_LINGER"]]
    assert linger and linger[0].split(None, 3)[2:] == [
        "accepted", "{l_onoff=0, l_linger=0}"]
    status, doc = run_json(capsys, "options", "--probe", "--level",
                           "SOL_SOCKET")
    rows = {r["name"]: r for r in doc["records"]}
    assert rows["SO_LINGER"]["ctype"] == "struct linger"
    assert rows["SO_LINGER"]["decoded"] == {"l_onoff": 0, "l_linger": 0}
    assert rows["SO_TYPE"]["ctype"] == "int"
    assert rows["SO_TYPE"]["decoded"] is None


def test_options_probe_tcp_info_on_a_connected_socket(capsys):
    status, doc = run_json(capsys, "options", "--probe", "--level",
                           "IPPROTO_TCP")
    assert status == 0
    assert doc["sockets"]["IPPROTO_TCP"]["connected"] is True
    info = {r["name"]: r for r in doc["records"]}["TCP_INFO"]
    assert info["accepted"] and info["ctype"] == "struct tcp_info"
    assert info["decoded"]["tcpi_state"] == sockcffi.TCP_ESTABLISHED
    assert info["decoded"]["tcpi_snd_cwnd"] > 0


def test_options_types(capsys):
    status, out, _ = run(capsys, "options", "--types")
    assert status == 0
    rows = [ln.split(None, 2) for ln in out.splitlines()[1:]]
    assert ["SOL_SOCKET", "SO_LINGER", "struct linger"] in rows
    status, doc = run_json(capsys, "options", "--types", "--level",
                           "IPPROTO_TCP")
    assert {"level": "IPPROTO_TCP", "name": "TCP_INFO",
            "ctype": "struct tcp_info"} in doc["records"]
    assert {r["level"] for r in doc["records"]} == {"IPPROTO_TCP"}
    status, _, err = run(capsys, "options", "--types", "--probe")
    assert status == 2 and "error" in err

# ---------------------------------------------------------- stdlib, summary

def test_stdlib_nothing_lacking(capsys):
    status, doc = run_json(capsys, "stdlib")
    assert doc["stdlib_only"] == []
    assert doc["mismatches"] == []
    assert status == 0
    assert "SO_REUSEPORT" not in sum(doc["sockcffi_only"].values(), [])
    status, out, _ = run(capsys, "constants", "--stdlib")
    assert status == 0
    assert "sockcffi lacks: none" in out
    assert "value mismatches: none" in out


def test_stdlib_detects_mismatch(capsys, monkeypatch):
    import socket
    monkeypatch.setattr(socket, "SO_NEW_IN_STDLIB", 12345, raising=False)
    monkeypatch.setattr(socket, "SO_REUSEADDR", 999)
    status, doc = run_json(capsys, "stdlib")
    assert status == 1
    assert doc["stdlib_only"] == ["SO_NEW_IN_STDLIB"]
    assert doc["mismatches"] == ["SO_REUSEADDR"]
    status, out, _ = run(capsys, "stdlib", "SO_*")
    assert status == 1 and "SO_NEW_IN_STDLIB" in out


def test_stdlib_ignores_ssl_codes(capsys):
    import ssl  # noqa: F401  on PyPy this adds SSL_ERROR_* to socket
    status, doc = run_json(capsys, "stdlib")
    assert status == 0 and doc["stdlib_only"] == []


def test_summary(capsys):
    status, doc = run_json(capsys, "summary")
    assert status == 0
    groups = {r["group"]: r for r in doc["records"]}
    assert groups["address_family"]["stdlib"] >= 1
    for row in doc["records"]:
        assert row["stdlib"] <= row["sockcffi"]
    assert doc["totals"]["sockcffi"] == sum(r["sockcffi"]
                                            for r in doc["records"])
    if LINUX:
        assert doc["totals"]["sockcffi"] >= 1000
    status, out, _ = run(capsys, "--summary")
    assert status == 0
    total = out.splitlines()[-1].split()
    assert total[0] == "total" and int(total[1]) == doc["totals"]["sockcffi"]


def test_no_command_prints_help(capsys):
    status, out, err = run(capsys)
    assert status == 0 and "constants" in out and "--summary" in out


# ------------------------------------------------------------- subprocesses

def test_module_runs():
    proc = run_module("constants", "SO_REUSE*", "--json")
    assert proc.returncode == 0, proc.stderr
    names = [r["name"] for r in json.loads(proc.stdout)["records"]]
    assert "SO_REUSEPORT" in names


def test_module_help_mentions_stdlib_and_summary():
    proc = run_module("--help")
    assert proc.returncode == 0
    for word in ("--summary", "stdlib", "--json", "schema", "diff"):
        assert word in proc.stdout
    proc = run_module("constants", "--help")
    assert "--stdlib" in proc.stdout


def test_module_bad_group_one_line():
    proc = run_module("constants", "--group", "nope")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("sockcffi: error: unknown group")


def test_broken_pipe_is_quiet():
    proc = subprocess.Popen(
        [sys.executable, "-m", "sockcffi", "constants", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
        cwd=_root())
    first = proc.stdout.readline()
    proc.stdout.close()          # the reader goes away, as with | head -1
    err = proc.stderr.read()
    proc.stderr.close()
    status = proc.wait(timeout=120)
    assert first.strip() == b"{"
    assert err == b"", err.decode()
    assert status in (0, 1)
