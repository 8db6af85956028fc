"""sockcffi's constants: parity with the running interpreter's stdlib socket
module, signedness, aliases and compat entries, the enums, and the
sockcffi.constants API."""
import os
import platform
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import sockcffi
from sockcffi import constants

# The tests live beside gen/ (conftest.py puts the repository root on the
# path): the alias and compat checks can never be silently dropped.
from gen import catalogue

ROOT = Path(__file__).resolve().parents[1]
ALIASES = sorted(catalogue.ALIASES.items())
COMPAT = sorted(catalogue.COMPAT.items())

LINUX = sys.platform.startswith("linux")
GLIBC = LINUX and platform.libc_ver()[0] == "glibc"


def stdlib_constants():
    """The uppercase integer constants of the stdlib socket module, without
    the OpenSSL codes PyPy's ssl module sets on it (SSL_ERROR_*)."""
    return {name: int(value) for name, value in vars(socket).items()
            if name.isupper() and not name.startswith("_")
            and not name.startswith("SSL_ERROR_")
            and isinstance(value, int) and not isinstance(value, bool)}


# ------------------------------------------------------------ stdlib parity

def test_stdlib_parity():
    missing, wrong = [], []
    for name, value in sorted(stdlib_constants().items()):
        if not hasattr(sockcffi, name):
            missing.append(name)
        elif int(getattr(sockcffi, name)) != value:
            wrong.append("%s: sockcffi %r, stdlib %r"
                         % (name, int(getattr(sockcffi, name)), value))
    assert not missing, "stdlib names sockcffi lacks: %s" % missing
    assert not wrong, "value mismatches: %s" % wrong


def test_parity_after_ssl_import():
    import ssl  # noqa: F401  on PyPy this adds SSL_ERROR_* to socket
    test_stdlib_parity()
    extra = {n for n in vars(socket) if n.startswith("SSL_ERROR_")}
    assert not any(hasattr(sockcffi, n) for n in extra)


def test_errno_names_exported():
    import errno
    for name in ("EAGAIN", "EBADF", "EWOULDBLOCK"):
        assert getattr(sockcffi, name) == getattr(errno, name)


@pytest.mark.skipif(not LINUX, reason="the 1000-constant floor is for Linux")
def test_at_least_1000_constants():
    assert len(constants.records()) >= 1000


def test_records_are_module_attributes():
    for name, record in constants.records().items():
        value = getattr(sockcffi, name)
        assert type(record.value) is int, name
        assert value == record.value, name


def test_unknown_name_is_attribute_error():
    with pytest.raises(AttributeError):
        sockcffi.SO_DOES_NOT_EXIST
    assert not hasattr(sockcffi, "IP_NOT_A_REAL_OPTION")


# ----------------------------------------------------------------- signedness

def _value(name):
    if name not in constants.records():
        pytest.skip("%s is not in this build" % name)
    return getattr(sockcffi, name)


def test_inaddr_none_unsigned():
    assert _value("INADDR_NONE") == 4294967295
    assert _value("INADDR_BROADCAST") == 0xFFFFFFFF


def test_can_eff_flag_unsigned():
    assert _value("CAN_EFF_FLAG") == 0x80000000


def test_vmaddr_cid_any_unsigned():
    assert _value("VMADDR_CID_ANY") == 0xFFFFFFFF


def test_msg_cmsg_cloexec_positive():
    assert _value("MSG_CMSG_CLOEXEC") == 0x40000000


@pytest.mark.skipif(not GLIBC, reason="EAI_* are negative on glibc")
def test_eai_negative():
    eai = [c for c in constants.records().values()
           if c.group == "addrinfo_error"]
    assert eai
    for c in eai:
        assert c.value < 0, c
    assert sockcffi.EAI_NONAME == socket.EAI_NONAME < 0


def test_no_negative_option_numbers():
    for c in constants.records().values():
        if c.level:
            assert c.value >= 0, c


# ------------------------------------------------------- aliases and compat

@pytest.fixture(scope="module")
def header_values():
    """{C name: value} for every alias target, from a program compiled
    against this machine's headers (None: no compiler here)."""
    from gen import probe
    try:
        cmd = probe.compiler_command()
    except probe.CompilerMissing:
        return None
    with tempfile.TemporaryDirectory() as work:
        headers = probe.available_headers(cmd, work)
        targets = sorted(set(catalogue.ALIASES.values()))

        def program(guarded):
            # Targets are macros or enum members; if printing all of them
            # does not compile (a header lacks some), print the macros only.
            lines = [probe.include_block(headers), "#include <stdio.h>",
                     "int main(void) {"]
            for t in targets:
                line = ' printf("%s %%lld\\n", (long long)(%s));' % (t, t)
                lines.append("#ifdef %s\n%s\n#endif" % (t, line)
                             if guarded else line)
            return "\n".join(lines + [" return 0;", "}"]) + "\n"

        for guarded in (False, True):
            with open(os.path.join(work, "p.c"), "w") as f:
                f.write(program(guarded))
            exe = os.path.join(work, "p")
            proc = subprocess.run(cmd + ["-w", "-o", exe, "p.c"], cwd=work,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
            if proc.returncode == 0:
                out = subprocess.run([exe], stdout=subprocess.PIPE,
                                     universal_newlines=True).stdout
                return {k: int(v) for k, v in
                        (line.split() for line in out.splitlines())}
    return None


@pytest.mark.parametrize("alias, target", ALIASES,
                         ids=[a for a, _ in ALIASES])
def test_alias(alias, target, header_values):
    if alias not in constants.records():
        pytest.skip("%s: this build's headers lack %s" % (alias, target))
    record = constants.lookup(alias)
    assert record.source == "alias"
    assert record.header.endswith(".h")
    value = getattr(sockcffi, alias)
    checked = False
    if hasattr(socket, alias):
        assert value == getattr(socket, alias)
        checked = True
    if header_values and target in header_values:
        assert value == header_values[target]
        checked = True
    if not checked:
        pytest.skip("no reference value for %s here" % target)


def test_compat_records():
    records = constants.records()
    compat = [c for c in records.values() if c.source == "compat"]
    for c in compat:
        assert c.name in catalogue.COMPAT
        assert c.header == "" and c.via == ""
    for name, expr in COMPAT:
        if name in records and records[name].source == "compat" \
                and expr.isdigit():
            assert records[name].value == int(expr)
        if hasattr(socket, name) and name in records:
            assert records[name].value == getattr(socket, name)


def test_sources_and_headers():
    for c in constants.records().values():
        assert c.source in ("header", "alias", "compat"), c
        if c.source == "compat":
            assert c.header == "" and c.via == ""
        else:
            assert c.header.endswith(".h") and c.via.endswith(".h"), c


# ------------------------------------------------------------------- enums

ENUMS = ("AddressFamily", "SocketKind", "MsgFlag", "AddressInfo")


@pytest.mark.parametrize("enum_name", ENUMS)
def test_enum_matches_stdlib(enum_name):
    theirs = getattr(socket, enum_name, None)
    if theirs is None:
        pytest.skip("the stdlib has no %s" % enum_name)
    mine = getattr(sockcffi, enum_name)
    assert mine.__name__ == theirs.__name__
    for name, member in theirs.__members__.items():
        assert name in mine.__members__, name
        ours = mine[name]
        assert int(ours) == int(member), name
        assert repr(ours) == repr(member), name
        assert ours.name == member.name, name
        assert repr(getattr(sockcffi, name)) == repr(getattr(socket, name))


def test_enum_kinds():
    from enum import IntEnum, IntFlag
    assert issubclass(sockcffi.AddressFamily, IntEnum)
    assert issubclass(sockcffi.SocketKind, IntEnum)
    assert issubclass(sockcffi.MsgFlag, IntFlag)
    assert issubclass(sockcffi.AddressInfo, IntFlag)
    assert sockcffi.AF_INET is sockcffi.AddressFamily.AF_INET
    assert sockcffi.SOCK_STREAM is sockcffi.SocketKind.SOCK_STREAM


# -------------------------------------------------------- the constants API

def test_lookup():
    record = constants.lookup("SO_REUSEPORT")
    assert record.name == "SO_REUSEPORT"
    assert record.value == socket.SO_REUSEPORT
    assert record.group == "socket_option"
    assert record.level == "SOL_SOCKET"
    with pytest.raises(KeyError):
        constants.lookup("SO_DOES_NOT_EXIST")


def test_names_sorted():
    names = constants.names()
    assert names == sorted(names) == sorted(constants.records())


def test_groups_and_levels():
    groups, levels = constants.groups(), constants.levels()
    assert groups == sorted(set(groups))
    assert levels == sorted(set(levels))
    assert {"address_family", "socket_type", "socket_option"} <= set(groups)
    assert {"SOL_SOCKET", "IPPROTO_IP", "IPPROTO_TCP"} <= set(levels)
    records = constants.records()
    for level in levels:
        assert level in records, "level %s is not itself a constant" % level
    assert set(groups) <= {g.name for g in catalogue.GROUPS}


@pytest.mark.parametrize("query, key, field, expected, unknown", [
    (constants.in_group, "socket_type", "group",
     ("SOCK_STREAM", "SOCK_DGRAM"), "no_such_group"),
    (constants.at_level, "SOL_SOCKET", "level",
     ("SO_TYPE", "SO_REUSEADDR"), "SOL_NOWHERE"),
], ids=["in_group", "at_level"])
def test_group_and_level_lookups(query, key, field, expected, unknown):
    members = list(query(key))
    names = [c.name for c in members]
    assert set(expected) <= set(names)
    assert names == sorted(names)
    assert all(getattr(c, field) == key for c in members)
    with pytest.raises(KeyError):
        query(unknown)


def test_by_value():
    assert [c.name for c in constants.by_value(
        socket.SO_REUSEPORT, level="SOL_SOCKET")] == ["SO_REUSEPORT"]
    assert [c.name for c in constants.by_value(
        int(socket.AF_INET6), group="address_family")] == ["AF_INET6"]
    assert constants.by_value(-123456789) == []
    everything = constants.by_value(15)
    assert {c.value for c in everything} == {15}
    if "IP_FREEBIND" in constants.records():
        levels = {c.level for c in everything if c.level}
        assert {"SOL_SOCKET", "IPPROTO_IP"} <= levels


def test_select():
    # Every criterion at once: patterns (glob, any case), level and value.
    chosen = constants.select(["so_reuse*"], levels=["SOL_SOCKET"],
                              value=socket.SO_REUSEPORT)
    assert [c.name for c in chosen] == ["SO_REUSEPORT"]
    # A pattern with a regular-expression character is a regex, searched.
    assert [c.name for c in constants.select([r"^SO_REUSE(ADDR|PORT)$"])] \
        == ["SO_REUSEADDR", "SO_REUSEPORT"]
    assert "SO_REUSEADDR" in [c.name for c in constants.select(
        ["REUSEADD"], regex=True)]
    # Several patterns, groups or levels: any of them.
    both = constants.select(groups=["shutdown", "socket_type"])
    assert {c.group for c in both} == {"shutdown", "socket_type"}
    names = [c.name for c in both]
    assert names == sorted(names)
    assert constants.select() == sorted(constants.records().values())
    with pytest.raises(KeyError):
        constants.select(groups=["no_such_group"])
    with pytest.raises(KeyError):
        constants.select(levels=["SOL_NOWHERE"])
    with pytest.raises(ValueError):
        constants.select(["SO_(("])


def test_select_among_other_records():
    made_up = {"X_ONE": constants.Constant("X_ONE", 1, "x", "SOL_X", "x.h",
                                           "x.h", "header")}
    assert constants.select(["X_*"], levels=["SOL_X"], among=made_up) == [
        made_up["X_ONE"]]
    with pytest.raises(KeyError):
        constants.select(levels=["SOL_SOCKET"], among=made_up)


def test_the_api_is_select():
    assert list(constants.in_group("socket_type")) == constants.select(
        groups=["socket_type"])
    assert list(constants.at_level("SOL_SOCKET")) == constants.select(
        levels=["SOL_SOCKET"])
    assert constants.by_value(15, level="SOL_SOCKET") == constants.select(
        levels=["SOL_SOCKET"], value=15)
