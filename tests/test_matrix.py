"""The porting matrix: Windows and more Linux targets probed, each checked
against values read another way, and ``sockcffi matrix`` over them.

The independent reading: a tiny C program, compiled with the same cross
compiler, holds each value as a ``long long`` in a section of its own
(``-fdata-sections``); the cross toolchain's own ``objdump -s`` prints the
section's bytes, and a variable holding 1 says the byte order.  Neither the
probe's program nor its ELF/COFF readers are involved.

Compilers come from Debian (tools/run_tests.sh installs them); a missing
one skips its tests, unless SOCKCFFI_REQUIRE_CROSS=1 makes that a failure.
"""
import io
import json
import os
import re
import shutil
import subprocess

import pytest

from sockcffi import matrix, matrix_page
from sockhelpers import cross_compiler, run_module
from sockhelpers import need_compiler as need
from sockhelpers import run_inspector as run

WINDOWS = ("x86_64-w64-mingw32", "i686-w64-mingw32")

# The SO_* numbers that differ on Linux (the kernel's asm/socket.h), and
# SOCK_STREAM, which mips swaps with SOCK_DGRAM.
GENERIC = {"SOL_SOCKET": 1, "SO_REUSEADDR": 2, "SO_REUSEPORT": 15,
           "SO_RCVBUF": 8, "SO_TYPE": 3, "SOCK_STREAM": 1, "SO_PASSCRED": 16,
           "SO_RCVLOWAT": 18}
OLD_STYLE = dict(GENERIC, SOL_SOCKET=0xffff, SO_REUSEADDR=4,
                 SO_REUSEPORT=0x200, SO_RCVBUF=0x1002, SO_TYPE=0x1008)
LINUX = {
    # triple: (machine, bits, byte order, expected values)
    "mips-linux-gnu": ("mips", 32, "big", dict(
        OLD_STYLE, SOCK_STREAM=2, SO_PASSCRED=17, SO_RCVLOWAT=0x1004)),
    "alpha-linux-gnu": ("alpha", 64, "little", dict(
        OLD_STYLE, SO_PASSCRED=17, SO_RCVLOWAT=0x1010)),
    "hppa-linux-gnu": ("parisc", 32, "big", dict(
        OLD_STYLE, SO_PASSCRED=0x4010, SO_RCVLOWAT=0x1004)),
    "sparc64-linux-gnu": ("sparcv9", 64, "big", dict(
        OLD_STYLE, SO_PASSCRED=2, SO_RCVLOWAT=0x800)),
    "powerpc64le-linux-gnu": ("ppc64", 64, "little", dict(
        GENERIC, SO_PASSCRED=20, SO_RCVLOWAT=16)),
    "s390x-linux-gnu": ("s390", 64, "big", GENERIC),
    "riscv64-linux-gnu": ("riscv", 64, "little", GENERIC),
    "aarch64-linux-gnu": ("aarch64", 64, "little", GENERIC),
    "musl": ("x86_64", 64, "little", GENERIC),
}

# Winsock's values (winsock2.h, ws2def.h), SO_EXCLUSIVEADDRUSE being
# ~SO_REUSEADDR.
WINSOCK = {"AF_INET": 2, "AF_INET6": 23, "SOL_SOCKET": 0xffff,
           "SO_REUSEADDR": 4, "SO_EXCLUSIVEADDRUSE": ~4, "TCP_NODELAY": 1,
           "IPPROTO_IPV6": 41}


def by_name(doc):
    return {r["name"]: r for r in doc["records"]}


_DUMPS = {}


def probed(target):
    """``probe --json --target TARGET``, once per test session."""
    need(target)
    if target not in _DUMPS:
        status, out = run("probe", "--json", "--target", target)
        assert status == 0
        _DUMPS[target] = json.loads(out)
    return _DUMPS[target]


def independent_values(target, names, headers, tmp_path):
    """{name: value} as the cross toolchain's objdump shows them."""
    cc = cross_compiler(target)
    objdump = ("objdump" if target == "musl" else target + "-objdump")
    if shutil.which(objdump) is None:
        pytest.skip("%s is not installed" % objdump)
    source = tmp_path / "values.c"
    lines = ["#include <%s>" % h for h in headers]
    lines += ["const long long sockcffi_v_%s = %s;" % (n, n)
              for n in ["ONE"] + list(names)]
    source.write_text("#define ONE 1\n" + "\n".join(lines) + "\n")
    obj = tmp_path / "values.o"
    subprocess.run([cc, "-c", "-fdata-sections", "-o", str(obj),
                    str(source)], check=True, timeout=300)
    dump = subprocess.run([objdump, "-s", str(obj)], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True,
                          timeout=60).stdout
    raw, current = {}, None
    for line in dump.splitlines():
        m = re.match(r"Contents of section \S*[.$]sockcffi_v_(\w+):", line)
        if m:
            current = m.group(1)
            raw[current] = ""
        elif line.startswith("Contents of section"):
            current = None
        elif current and line.startswith(" "):
            raw[current] += "".join(line.split()[1:3])
    data = {n: bytes.fromhex(h[:16]) for n, h in raw.items()}
    order = "little" if data["ONE"][0] == 1 else "big"
    return {n: int.from_bytes(data[n], order, signed=True) for n in names}


# ------------------------------------------------------------ Windows

@pytest.mark.parametrize("triple", WINDOWS)
def test_winsock_values(triple, tmp_path):
    doc = probed(triple)
    records = by_name(doc)
    found = {n: records[n]["value"] for n in WINSOCK}
    assert found == WINSOCK
    assert found == independent_values(triple, WINSOCK,
                                       ["winsock2.h", "ws2tcpip.h"],
                                       tmp_path)
    assert records["SO_EXCLUSIVEADDRUSE"]["hex"] == "-0x5"
    assert records["SO_REUSEADDR"]["level"] == "SOL_SOCKET"
    assert records["AF_INET6"]["header"] == "winsock2.h"
    assert "SO_REUSEPORT" not in records and "AF_NETLINK" not in records
    target = doc["target"]
    assert target["system"] == "windows" and target["kernel_headers"] is None
    assert target["sdk"]["name"] == "mingw-w64"
    assert re.match(r"\d+\.\d+\.\d+$", target["sdk"]["version"])
    assert target["sdk"]["win32_winnt"].startswith("0x")
    assert target["headers"][0] == "winsock2.h"
    assert {"ws2tcpip.h", "mstcpip.h", "ws2ipdef.h"} <= set(
        target["headers"])
    bits = 64 if triple.startswith("x86_64") else 32
    assert (target["machine"], target["bits"], target["byte_order"]) == (
        "x86_64" if bits == 64 else "i386", bits, "little")


def test_winsock_ioctls():
    records = by_name(probed("x86_64-w64-mingw32"))
    # _WSAIOW(IOC_VENDOR, 1): IOC_IN | IOC_VENDOR | 1.
    assert records["SIO_RCVALL"]["value"] == 0x98000001
    assert records["SIO_RCVALL"]["header"] == "mstcpip.h"
    assert records["RCVALL_ON"]["value"] == 1


# ------------------------------------------------------------ Linux

@pytest.mark.parametrize("target", sorted(LINUX))
def test_linux_socket_abi(target, tmp_path):
    machine, bits, order, expected = LINUX[target]
    doc = probed(target)
    records = by_name(doc)
    found = {n: records[n]["value"] for n in expected}
    assert found == expected
    assert found == independent_values(target, expected, ["sys/socket.h"],
                                       tmp_path)
    info = doc["target"]
    assert (info["machine"], info["bits"], info["byte_order"]) == (
        machine, bits, order)
    assert info["system"] == "linux" and info["sdk"] is None
    assert info["kernel_headers"]
    assert records["SO_REUSEPORT"]["level"] == "SOL_SOCKET"


# ------------------------------------------------------------ matrix

def save(tmp_path, target):
    path = tmp_path / (target + ".json")
    path.write_text(json.dumps(probed(target)))
    return str(path)


@pytest.fixture
def dumps(tmp_path):
    return [save(tmp_path, t) for t in ("mips-linux-gnu",
                                         "x86_64-w64-mingw32")]


def matrix_json(*argv):
    status, out = run("matrix", "--json", *argv)
    return status, json.loads(out)


def test_matrix_in_one_command():
    need("mips-linux-gnu")
    need("x86_64-w64-mingw32")
    status, doc = matrix_json("--targets", "native,mips-linux-gnu",
                              "-t", "windows", "SO_REUSE*", "SOL_SOCKET",
                              "SO_EXCLUSIVEADDRUSE")
    assert status == 0
    labels = [t["label"] for t in doc["targets"]]
    native = labels[0]
    assert labels[1:] == ["mips-linux-gnu", "x86_64-w64-mingw32"]
    assert [t["origin"] for t in doc["targets"]] == ["probe"] * 3
    rows = by_name(doc)
    assert sorted(rows) == ["SOL_SOCKET", "SO_EXCLUSIVEADDRUSE",
                            "SO_REUSEADDR", "SO_REUSEPORT"]
    reuseport = rows["SO_REUSEPORT"]
    assert reuseport["cells"]["x86_64-w64-mingw32"] is None
    assert reuseport["missing_on"] == ["x86_64-w64-mingw32"]
    assert reuseport["cells"]["mips-linux-gnu"]["value"] == 0x200
    assert reuseport["cells"]["mips-linux-gnu"]["hex"] == "0x200"
    assert reuseport["differs"] and reuseport["group"] == "socket_option"
    assert rows["SO_EXCLUSIVEADDRUSE"]["missing_on"] == [native,
                                                         "mips-linux-gnu"]
    assert rows["SOL_SOCKET"]["values"] == [1, 0xffff]
    s = doc["summary"]
    assert s["constants"] == s["same"] + s["differing"]
    assert s["present"]["x86_64-w64-mingw32"] == len(
        probed("x86_64-w64-mingw32")["records"])


def test_matrix_from_dumps_and_filters(dumps):
    status, doc = matrix_json("--dump", dumps[0], "--dump", dumps[1])
    assert status == 0
    assert [t["origin"] for t in doc["targets"]] == dumps
    rows = by_name(doc)
    mips = by_name(probed("mips-linux-gnu"))
    assert set(rows) == set(mips) | set(by_name(
        probed("x86_64-w64-mingw32")))
    for name, row in rows.items():
        cell = row["cells"]["mips-linux-gnu"]
        assert (cell["value"] if cell else None) == (
            mips[name]["value"] if name in mips else None)
        assert row["differs"] == (bool(row["missing_on"])
                                  or len(row["values"]) > 1)
    assert [r["group"] for r in doc["records"]] == sorted(
        r["group"] for r in doc["records"])

    _, lacking = matrix_json("--dump", dumps[0], "--dump", dumps[1],
                             "--missing-on", "x86_64-w64-mingw32")
    assert "SO_REUSEPORT" in by_name(lacking)
    assert all(r["cells"]["x86_64-w64-mingw32"] is None
               for r in lacking["records"])
    _, same = matrix_json("--dump", dumps[0], "--dump", dumps[1],
                          "AF_INET", "AF_INET6", "--only-differing")
    assert [r["name"] for r in same["records"]] == ["AF_INET6"]
    _, group = matrix_json("--dump", dumps[0], "--dump", dumps[1], "-g",
                           "socket_level")
    assert {r["group"] for r in group["records"]} == {"socket_level"}
    assert group["summary"] == doc["summary"]    # counts every row
    status, _ = matrix_json("--dump", dumps[0], "NO_SUCH_NAME")
    assert status == 1


def test_matrix_text_and_markdown(dumps):
    status, out = run("matrix", "--dump", dumps[0], "--dump", dumps[1],
                      "SO_REUSE*", "AF_INET")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == ("# mips = mips-linux-gnu; x86_64-mingw = "
                        "x86_64-w64-mingw32")
    assert lines[2].split() == ["NAME", "mips", "x86_64-mingw"]
    assert "== socket_option (2, 1 differ)" in lines
    assert lines[lines.index("== socket_option (2, 1 differ)")
                 + 2].split() == ["SO_REUSEPORT", "*", "512", "-"]
    assert ["AF_INET", "2", "2"] in [ln.split() for ln in lines]
    _, out = run("matrix", "--dump", dumps[0], "--dump", dumps[1],
                 "SO_REUSEPORT", "--hex")
    assert "0x200" in out
    _, md = run("matrix", "-f", "markdown", "--dump", dumps[0], "--dump",
                dumps[1], "SO_REUSE*", "AF_INET6")
    assert "| **SO_REUSEPORT** | 512 (0x200) | — |" in md
    assert "| **AF_INET6** | 10 (0xa) | 23 (0x17) |" in md
    assert "## socket_option" in md


def test_matrix_html_is_self_contained(dumps, tmp_path):
    out = tmp_path / "m.html"
    status, text = run("matrix", "-f", "html", "-o", str(out), "--dump",
                       dumps[0], "--dump", dumps[1])
    assert status == 0 and text == ""
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    # Nothing fetched: no external script, style, image or link.
    assert not re.search(r"""(src|href)\s*=|@import|url\(|<link""", page)
    row = re.search(r'<tr class="r d" data-name="SO_REUSEPORT">.*?</tr>',
                    page).group(0)
    assert '<td class="a">&mdash;</td>' in row and "<i>0x200</i>" in row
    assert 'data-name="SO_REUSEPORT"' in page
    assert 'class="r" data-name="AF_INET"' in page    # the same: unmarked


def test_progress_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    tty = Terminal()
    progress = matrix.Progress(2, tty, delay=0)
    progress.finished("mips-linux-gnu")
    progress.close()
    assert "probing: 1/2 targets" in tty.getvalue()
    assert tty.getvalue().endswith("\r\033[K")      # erased when done
    pipe = io.StringIO()
    progress = matrix.Progress(2, pipe, delay=0)
    progress.finished("mips-linux-gnu")
    progress.close()
    assert pipe.getvalue() == ""


def test_page_made_from_json_alone(dumps):
    _, doc = matrix_json("--dump", dumps[0], "--dump", dumps[1], "SO_*")
    page = matrix_page.render(doc)
    assert page.count('<tr class="r') == len(doc["records"])


# ------------------------------------------------------------ errors

def one_line_error(argv, fragment, tmp_path):
    """Exit 2, one line, and -o FILE neither replaced nor littered."""
    import tempfile
    folder = tempfile.mkdtemp(dir=str(tmp_path))
    out = os.path.join(folder, "out.html")
    with open(out, "w") as f:
        f.write("before")
    proc = run_module(*(argv + ["-f", "html", "-o", out]))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("sockcffi: error: ")
    assert fragment in proc.stderr
    with open(out) as f:
        assert f.read() == "before"                 # nothing half-written
    assert os.listdir(folder) == ["out.html"]
    return proc.stderr


def test_unknown_target(tmp_path):
    one_line_error(["matrix", "--targets", "native,bogus-triple"],
                   "unknown target triple 'bogus-triple'", tmp_path)
    one_line_error(["matrix", "-t", "arm64-w64-mingw32"],
                   "unknown Windows target", tmp_path)


def test_missing_compiler_names_the_package(tmp_path):
    for triple in ("sh4-linux-gnu", "m68k-linux-gnu", "loongarch64-linux-gnu"):
        if shutil.which(triple + "-gcc") is None:
            break
    else:
        pytest.skip("every candidate cross compiler is installed")
    message = one_line_error(["matrix", "-t", "native", "-t", triple],
                             "no compiler for", tmp_path)
    assert "apt-get install gcc-%s " % triple in message


def test_unreadable_dump(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    one_line_error(["matrix", "--dump", str(bad)], "is not valid JSON",
                   tmp_path)
    one_line_error(["matrix", "--dump", str(tmp_path / "none.json")],
                   "cannot read", tmp_path)
