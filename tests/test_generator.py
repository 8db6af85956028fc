"""The generator (gen/): the compiler probe on fake header trees, the
classification rules, and the renderer."""
import random
import re
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if not (ROOT / "gen" / "probe.py").exists():
    pytest.skip("the generator (gen/) is not in this tree",
                allow_module_level=True)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gen import catalogue, probe  # noqa: E402
from gen.catalogue import Group, Header  # noqa: E402


def _compiler():
    try:
        return probe.compiler_command()
    except probe.CompilerMissing as e:
        pytest.skip(str(e))


def write(root, relpath, text):
    path = Path(root) / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


# A fake sys/socket.h that shadows the real one (-I comes before the system
# directories) but keeps it: #include_next brings the real declarations in,
# so the catalogue headers that need them still compile.
FAKE_SOCKET_H = """\
    #ifndef SOCKCFFI_FAKE_SYS_SOCKET_H
    #define SOCKCFFI_FAKE_SYS_SOCKET_H
    #include_next <sys/socket.h>
    #define SO_FAKE_MACRO 4242
    #define SO_FAKE_EXPR (SO_FAKE_MACRO + 1)
    #define SO_FAKE_STRING "not a number"
    #define SO_FAKE_FUNC(x) ((x) + 1)
    #define SO_FAKE_INIT { 1, 2 }
    #define SO_FAKE_GONE 77
    #undef SO_FAKE_GONE
    enum sockcffi_fake { SO_FAKE_ENUM_A = 4343, SO_FAKE_ENUM_B,
                         SO_FAKE_ENUM_C = (1 << 12) };
    #endif
"""

# A wholly fake linux/can/bcm.h: unprefixed opcodes, as the real one has.
FAKE_BCM_H = """\
    #ifndef SOCKCFFI_FAKE_BCM_H
    #define SOCKCFFI_FAKE_BCM_H
    #include <linux/can.h>
    enum { TX_SETUP = 1, TX_DELETE, TX_READ };
    #define SETTIMER 0x0001
    #endif
"""


@pytest.fixture(scope="module")
def fake_probe(tmp_path_factory):
    """probe.probe() over the real catalogue with a fake tree in front."""
    cmd = _compiler()
    tree = tmp_path_factory.mktemp("fake-include")
    write(tree, "sys/socket.h", FAKE_SOCKET_H)
    write(tree, "linux/can/bcm.h", FAKE_BCM_H)
    headers, constants = probe.probe(include_dirs=[str(tree)], cmd=cmd)
    return headers, {c.name: c for c in constants}, constants


def test_fake_macro_found(fake_probe):
    headers, found, _ = fake_probe
    c = found["SO_FAKE_MACRO"]
    assert (c.group, c.level, c.source) == ("socket_option", "SOL_SOCKET",
                                            "header")
    # The fake file, named relative to its -I directory.
    assert c.header == "sys/socket.h" and c.via == "sys/socket.h"
    assert c.expr == "SO_FAKE_MACRO"
    assert "SO_FAKE_EXPR" in found


def test_fake_enum_members_found(fake_probe):
    _, found, _ = fake_probe
    for name in ("SO_FAKE_ENUM_A", "SO_FAKE_ENUM_B", "SO_FAKE_ENUM_C"):
        assert found[name].header == "sys/socket.h"
        assert found[name].source == "header"


def test_non_integer_macros_dropped(fake_probe):
    _, found, _ = fake_probe
    assert "SO_FAKE_STRING" not in found      # a string
    assert "SO_FAKE_FUNC" not in found        # function-like
    assert "SO_FAKE_INIT" not in found        # a struct initialiser
    assert "SO_FAKE_GONE" not in found        # #undef'd


def test_shadowed_header_keeps_the_real_one(fake_probe):
    headers, found, _ = fake_probe
    assert "sys/socket.h" in headers
    assert found["SO_REUSEADDR"].header != "sys/socket.h"   # asm/bits file
    assert found["SO_REUSEADDR"].via == "sys/socket.h"
    assert "AF_INET" in found and "IPPROTO_TCP" in found


def test_alias_from_fake_bcm(fake_probe):
    headers, found, _ = fake_probe
    assert "linux/can/bcm.h" in headers
    c = found["CAN_BCM_TX_SETUP"]
    assert c.source == "alias"
    assert c.expr == "TX_SETUP"
    assert c.header == "linux/can/bcm.h"
    assert c.group == "can_bcm"
    assert found["CAN_BCM_SETTIMER"].expr == "SETTIMER"
    # Targets the fake header lacks give no alias.
    assert "CAN_BCM_TX_SEND" not in found
    assert "CAN_BCM_RX_SETUP" not in found


def test_probe_output_sorted(fake_probe):
    _, _, constants = fake_probe
    names = [c.name for c in constants]
    assert names == sorted(names)
    assert len(names) == len(set(names))


@pytest.fixture
def small_catalogue(monkeypatch, tmp_path):
    """A catalogue of fake headers and groups, with a fake tree."""
    write(tmp_path, "fakenet/present.h", """\
        #define FAKEP_ONE 1
        #define FAKEP_NEG (-5)
        #define FAKEP_BIG 0x80000000U
        #define FAKEA_STRAY 3
        #define FAKEP_TARGET 11
    """)
    write(tmp_path, "fakenet/needs.h", """\
        #include <fakenet/absent.h>
        #define FAKEN_ONE 1
    """)
    monkeypatch.setattr(catalogue, "HEADERS", (
        Header("sys/socket.h"),
        Header("fakenet/present.h"),
        Header("fakenet/absent.h"),
        Header("fakenet/needs.h", ("fakenet/absent.h",)),
    ))
    monkeypatch.setattr(catalogue, "GROUPS", (
        Group("fake_present", ("FAKEP_",), ("fakenet/present.h",)),
        Group("fake_absent", ("FAKEA_",), ("fakenet/absent.h",)),
        Group("fake_needs", ("FAKEN_",), ("fakenet/needs.h",)),
    ))
    monkeypatch.setattr(catalogue, "ALIASES", {
        "FAKEP_ALIAS": "FAKEP_TARGET", "FAKEP_NOALIAS": "NO_SUCH_TARGET",
        "FAKEA_ALIAS": "FAKEP_TARGET"})
    monkeypatch.setattr(catalogue, "COMPAT", {
        "FAKEP_COMPAT": "8", "FAKEP_ONE": "99", "FAKEA_COMPAT": "7"})
    return tmp_path


def test_missing_header_drops_its_group(small_catalogue):
    headers, constants = probe.probe(include_dirs=[str(small_catalogue)],
                                     cmd=_compiler())
    assert headers == ["sys/socket.h", "fakenet/present.h"]
    found = {c.name: c for c in constants}
    assert set(found) == {"FAKEP_ONE", "FAKEP_NEG", "FAKEP_BIG",
                          "FAKEP_TARGET", "FAKEP_ALIAS", "FAKEP_COMPAT"}
    assert found["FAKEP_ONE"].source == "header"       # header beats compat
    assert found["FAKEP_ONE"].expr == "FAKEP_ONE"
    assert found["FAKEP_ONE"].header == "fakenet/present.h"
    assert found["FAKEP_ALIAS"].source == "alias"
    assert found["FAKEP_ALIAS"].expr == "FAKEP_TARGET"
    compat = found["FAKEP_COMPAT"]
    assert (compat.source, compat.header, compat.via, compat.expr) == (
        "compat", "", "", "8")
    assert all(c.level is None for c in constants)


def test_relative_include_dir(small_catalogue, monkeypatch):
    monkeypatch.chdir(small_catalogue.parent)
    headers, constants = probe.probe(include_dirs=[small_catalogue.name],
                                     cmd=_compiler())
    assert "fakenet/present.h" in headers
    found = {c.name: c for c in constants}
    assert found["FAKEP_ONE"].header == "fakenet/present.h"


def test_probe_needs_sys_socket(monkeypatch, tmp_path):
    cmd = _compiler()
    monkeypatch.setattr(catalogue, "HEADERS", (Header("sys/nosuch.h"),))
    with pytest.raises(probe.CompilerMissing):
        probe.probe(include_dirs=[str(tmp_path)], cmd=cmd)


# ------------------------------------------------------------- classify

def test_classify_longest_prefix():
    groups = catalogue.GROUPS

    def group(name):
        g = probe.classify(name, groups)
        return g.name if g else None

    assert group("SO_REUSEPORT") == "socket_option"
    assert group("SO_J1939_FILTER") == "can_j1939_option"
    assert group("SCM_RIGHTS") == "control_message"
    assert group("SCM_J1939_DEST_ADDR") == "can_j1939_message"
    assert group("CAN_EFF_FLAG") == "can"
    assert group("CAN_RAW_FILTER") == "can_raw_option"
    assert group("CAN_BCM_TX_SETUP") == "can_bcm"
    assert group("SO_VM_SOCKETS_BUFFER_SIZE") == "vsock_option"
    assert group("SO_EE_ORIGIN_ICMP") == "errqueue"
    assert group("ALG_SET_KEY") == "alg_option"
    assert group("ALG_OP_SIGN") == "alg"
    assert group("SOMAXCONN") == "listen_backlog"       # an exact name
    assert group("SOMAXCONNX") is None
    assert group("SO_") is None                         # prefix alone
    assert group("NOT_A_SOCKET_THING") is None


def test_classify_synthetic():
    groups = (Group("short", ("X_",), ()), Group("long", ("X_Y_",), ()),
              Group("exact", ("X_Y",), ()))
    assert probe.classify("X_A", groups).name == "short"
    assert probe.classify("X_Y_A", groups).name == "long"
    assert probe.classify("X_Y", groups).name == "exact"
    assert probe.classify("X_YZ", groups).name == "short"
    assert probe.classify("X_", groups) is None


def _group(name):
    (g,) = [g for g in catalogue.GROUPS if g.name == name]
    return g


@pytest.mark.parametrize("name, group, level", [
    ("IP_TTL", "ip_option", "IPPROTO_IP"),
    ("IP_FREEBIND", "ip_option", "IPPROTO_IP"),
    ("IP_PMTUDISC_DO", "ip_option", None),
    ("IP_MAX_MEMBERSHIPS", "ip_option", None),
    ("IPV6_V6ONLY", "ipv6_option", "IPPROTO_IPV6"),
    ("IPV6_RTHDR", "ipv6_option", "IPPROTO_IPV6"),
    ("IPV6_RTHDR_LOOSE", "ipv6_option", None),
    ("IPV6_FL_A_GET", "ipv6_option", None),
    ("TCP_NODELAY", "tcp_option", "IPPROTO_TCP"),
    ("TCP_ESTABLISHED", "tcp_option", None),
    ("TCP_CA_Open", "tcp_option", None),
    ("TCP_MSS_DEFAULT", "tcp_option", None),
    ("TCP_MAXSEG", "tcp_option", "IPPROTO_TCP"),
    ("UDP_CORK", "udp_option", "IPPROTO_UDP"),
    ("UDP_ENCAP_ESPINUDP", "udp_option", None),
    ("TIPC_IMPORTANCE", "tipc", "SOL_TIPC"),
    ("TIPC_ADDR_MCAST", "tipc", None),
    ("NETLINK_ADD_MEMBERSHIP", "netlink", "SOL_NETLINK"),
    ("NETLINK_ROUTE", "netlink", None),
    ("CAN_ISOTP_OPTS", "can_isotp", "SOL_CAN_ISOTP"),
    ("CAN_ISOTP_LISTEN_MODE", "can_isotp", None),
    ("PACKET_ADD_MEMBERSHIP", "packet", "SOL_PACKET"),
    ("PACKET_FANOUT", "packet", "SOL_PACKET"),
    ("PACKET_FANOUT_DATA", "packet", "SOL_PACKET"),
    ("PACKET_FANOUT_HASH", "packet", None),
    ("PACKET_HOST", "packet", None),
    ("RDS_CANCEL_SENT_TO", "rds", "SOL_RDS"),
    ("RDS_RDMA_CANCELED", "rds", None),
    ("AF_INET", "address_family", None),
])
def test_level_of(name, group, level):
    assert probe.level_of(name, _group(group)) == level


def test_level_of_synthetic():
    g = Group("g", ("G_",), (), "SOL_G", values=("G_VAL_", "G_EXACT"))
    assert probe.level_of("G_OPT", g) == "SOL_G"
    assert probe.level_of("G_VAL_ONE", g) is None
    assert probe.level_of("G_EXACT", g) is None
    assert probe.level_of("G_EXACTLY", g) == "SOL_G"   # exact, not a prefix
    # Entries match at the start of the name, not anywhere.
    assert probe.level_of("G_OPT_G_VAL_", g) == "SOL_G"
    assert probe.level_of("G_OPT", Group("h", ("G_",), ())) is None


def test_level_of_listed_options():
    # Only the listed names are options; the rest of the group are values.
    g = Group("g", ("G_",), (), "SOL_G", options=("G_ONE", "G_OPT_"))
    assert probe.level_of("G_ONE", g) == "SOL_G"
    assert probe.level_of("G_OPT_X", g) == "SOL_G"
    assert probe.level_of("G_TWO", g) is None


def test_level_of_longest_entry_decides():
    g = Group("g", ("G_",), (), "SOL_G", options=("G_", "G_FAN_DATA"),
              values=("G_FAN_",))
    assert probe.level_of("G_FAN_HASH", g) is None
    assert probe.level_of("G_FAN_DATA", g) == "SOL_G"
    assert probe.level_of("G_FAN", g) == "SOL_G"


def test_catalogue_option_entries_are_in_their_group():
    # An options/values entry outside the group's prefixes could never match.
    for g in catalogue.GROUPS:
        for entry in g.options + g.values:
            assert probe.classify(entry.rstrip("_") + "_X"
                                  if entry.endswith("_") else entry,
                                  catalogue.GROUPS) is g, (g.name, entry)


# -------------------------------------------------------- defined_names

DD_TEXT = """\
# 1 "/w/probe.c"
# 1 "<built-in>"
#define __STDC__ 1
# 1 "<command-line>"
# 1 "/w/probe.c"
#define _GNU_SOURCE 1
# 1 "/usr/include/sys/socket.h" 1 3 4
#define SO_A 1
#define SO_F(x) ((x) + 1)
#define SO_OBJ (1)
# 1 "/usr/include/bits/socket.h" 1 3 4
enum __socket_type {
  SOCK_X = 1,
#define SOCK_X SOCK_X
  SOCK_Y = (1 << 2),
  SOCK_Z
};
#define SO_B 2
struct s { int a[3]; };
# 20 "/usr/include/sys/socket.h" 2 3 4
#define SO_C 3
#undef SO_A
enum { E_ONE = f(1, 2), E_TWO };
# 7 "/w/probe.c" 2
# 1 "/usr/include/netinet/in.h" 1 3 4
#define IP_TTL 2
# 8 "/w/probe.c" 2
"""


def test_defined_names():
    names = probe.defined_names(DD_TEXT, "/w/probe.c")
    sock, bits = "/usr/include/sys/socket.h", "/usr/include/bits/socket.h"
    assert names["SO_C"] == (sock, sock)
    assert names["SO_OBJ"] == (sock, sock)
    assert names["SO_B"] == (bits, sock)
    for member in ("SOCK_X", "SOCK_Y", "SOCK_Z"):
        assert names[member] == (bits, sock)
    assert names["E_ONE"] == (sock, sock)
    assert names["E_TWO"] == (sock, sock)
    assert names["IP_TTL"] == ("/usr/include/netinet/in.h",
                               "/usr/include/netinet/in.h")
    assert "SO_A" not in names          # #undef
    assert "SO_F" not in names          # function-like
    assert "s" not in names and "a" not in names   # struct members


# --------------------------------------------------------------- render

def _fake_constants():
    C = probe.Constant
    return [
        C("SO_ZED", "socket_option", "SOL_SOCKET", "asm/socket.h",
          "sys/socket.h", "header", "SO_ZED"),
        C("AF_FAKE", "address_family", None, "bits/socket.h",
          "sys/socket.h", "header", "AF_FAKE"),
        C("CAN_BCM_TX_SETUP", "can_bcm", None, "linux/can/bcm.h",
          "linux/can/bcm.h", "alias", "TX_SETUP"),
        C("ALG_OP_SIGN", "alg", None, "", "", "compat", "2"),
    ]


def test_render_deterministic_and_sorted():
    pytest.importorskip("jinja2")
    from gen import render
    # The headers the required bindings need, in catalogue order.
    headers = ["sys/socket.h", "sys/un.h", "netinet/in.h", "netdb.h",
               "net/if.h", "arpa/inet.h"]
    constants = _fake_constants()
    first = render.render(headers, constants, "stamp 1")
    again = render.render(headers, list(constants), "stamp 1")
    shuffled = list(constants)
    random.Random(7).shuffle(shuffled)
    assert first == again == render.render(headers, shuffled, "stamp 1")
    cdef, source = first
    section = cdef[cdef.index("integer constants found in the headers"):]
    declared = re.findall(r"^#define (\w+) \.\.\.$", section, re.M)
    assert declared == sorted(c.name for c in constants)
    listed = re.findall(r'^\s*"(\w+)\\t', source, re.M)
    assert listed == sorted(c.name for c in constants)
    assert "#define CAN_BCM_TX_SETUP (TX_SETUP)" in source
    assert "#define ALG_OP_SIGN (2)" in source
    assert "#define SO_ZED (" not in source      # header names: no #define
    assert '"stamp 1"' in source
    assert source.index("<sys/socket.h>") < source.index("<netinet/in.h>")
    catalogue_line = ('"ALG_OP_SIGN\\talg\\t\\t\\t\\tcompat\\n"')
    assert catalogue_line in source


def test_render_real_probe_deterministic(fake_probe):
    pytest.importorskip("jinja2")
    from gen import render
    headers, _, constants = fake_probe
    one = render.render(headers, constants, "s")
    two = render.render(headers, list(reversed(constants)), "s")
    assert one == two


def test_required_binding_missing_stops_the_build():
    pytest.importorskip("jinja2")
    from gen import render
    from gen.bindings import BindingError
    with pytest.raises(BindingError) as info:
        render.render(["sys/socket.h", "sys/un.h", "netinet/in.h",
                       "arpa/inet.h", "net/if.h"], _fake_constants(), "s")
    message = str(info.value)
    assert "<netdb.h>" in message and "netdb" in message
    assert "\n" not in message


def test_optional_binding_missing_is_left_out():
    pytest.importorskip("jinja2")
    from gen import render
    headers = ["sys/socket.h", "sys/un.h", "netinet/in.h", "netdb.h",
               "net/if.h", "arpa/inet.h"]
    names = [b.name for b in render.usable_bindings(headers)]
    # The required ones first, then those the same headers serve; every
    # binding that needs another header is left out.
    assert names == ["socket", "unistd", "inet", "un", "netdb", "netif",
                     "sock_opts", "inet_opts", "option_table", "mmsg"]


def test_binding_header_outside_the_catalogue_is_an_error(monkeypatch):
    pytest.importorskip("jinja2")
    from gen import bindings, render
    from gen.bindings import BindingError
    from gen.bindings import can
    monkeypatch.setattr(can, "HEADERS", ("linux/can.h", "linux/nosuch.h"))
    headers = [h.path for h in catalogue.HEADERS]
    with pytest.raises(BindingError) as info:
        render.usable_bindings(headers)
    assert "gen/bindings/can.py" in str(info.value)
    assert "<linux/nosuch.h>" in str(info.value)
    assert bindings.REQUIRED  # the required list is not empty


@pytest.mark.parametrize("edit, fragment", [
    # A binding naming a header the catalogue never probes.
    (("gen/bindings/netdb.py", 'HEADERS = ("netdb.h",)',
      'HEADERS = ("netdb_nosuch.h",)'),
     "gen/bindings/netdb.py needs <netdb_nosuch.h>, which gen/catalogue.py"),
    # A required binding whose header is missing on this machine.
    (("gen/catalogue.py", 'Header("netdb.h")',
      'Header("netdb.h", ("nosuch/dep.h",))'),
     "the C library headers lack <netdb.h>, which the netdb binding needs"),
])
def test_build_stops_with_one_line(tmp_path, edit, fragment):
    pytest.importorskip("jinja2")
    import shutil
    import subprocess
    _compiler()
    for rel in ("build_ffi.py", "sockcffi/_version.py", "sockcffi/_stamp.py",
                "sockcffi/_enumtable.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(str(ROOT / rel), str(tmp_path / rel))
    shutil.copytree(str(ROOT / "gen"), str(tmp_path / "gen"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    rel, old, new = edit
    text = (tmp_path / rel).read_text()
    assert old in text
    (tmp_path / rel).write_text(text.replace(old, new))
    proc = subprocess.run(
        [sys.executable, "build_ffi.py", "--emit", "out"], cwd=str(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=300)
    assert proc.returncode == 1
    assert proc.stderr.startswith("sockcffi: ") and fragment in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not (tmp_path / "out").exists()


def test_optional_structs_follow_the_header():
    """Structs newer than their header's first version are declared only
    when this machine's header has them (gen/bindings/_optional.py)."""
    from gen.bindings import _optional
    assert _optional.declarations(
        "sys/socket.h", [("linger", "L"), ("sockcffi_no_such_struct", "X"),
                         ("ucred", "U")]) == "L\nU"
    assert not _optional.has_struct("sys/socket.h", "sockcffi_no_such")
