"""Ask the C compiler which socket constants this machine's headers define.

Three steps, each answered by the compiler rather than by a list typed here:

1. which catalogue headers exist (each is preprocessed on its own);
2. which names they define: object-like macros from ``cc -E -dD`` and enum
   members from the preprocessed source, each with the file that defines it;
3. which of the names matching a catalogue group are integer constant
   expressions: all are compiled in one file as ``case`` labels, the ones the
   compiler rejects are dropped, and the file is compiled again until clean.
"""
import os
import re
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import catalogue, elf


class CompilerMissing(RuntimeError):
    """No working C compiler or C library headers."""


@dataclass(frozen=True)
class Constant:
    name: str
    group: str
    level: Optional[str]
    header: str      # the file whose #define or enum gives the name
    via: str         # the catalogue header whose inclusion brought it in
    source: str      # "header", "alias" or "compat"
    expr: str        # the C expression the module is compiled with


class Candidate(NamedTuple):
    """A name that matches a catalogue group, before the compiler says
    whether it is an integer constant expression."""
    group: catalogue.Group
    path: str        # the defining file, as the compiler names it
    top: str         # the catalogue header whose inclusion brought it in
    source: str      # "header", "alias" or "compat"
    expr: str        # the C expression to compile


def compiler_command() -> List[str]:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cmd = shlex.split(cc)
    if not shutil.which(cmd[0]):
        raise CompilerMissing(
            "building needs a C compiler and the C library headers; no "
            "compiler was found (%r). On Debian/Ubuntu: apt-get install gcc "
            "libc6-dev linux-libc-dev (and python3-dev or pypy3-dev)." % cc)
    return cmd


def _run(cmd: List[str], source: str, workdir: str, args: Sequence[str]):
    path = os.path.join(workdir, "probe.c")
    with open(path, "w") as f:
        f.write(source)
    return subprocess.run(cmd + list(args) + [path], cwd=workdir,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)


def include_block(headers: Sequence[str]) -> str:
    lines = ["#define _GNU_SOURCE 1"]
    lines += ["#include <%s>" % h for h in catalogue.PRELUDE]
    lines += ["#include <%s>" % h for h in headers]
    return "\n".join(lines) + "\n"


def available_headers(cmd, workdir, include_dirs=()) -> List[str]:
    flags = ["-E"] + ["-I" + d for d in include_dirs]
    found = []
    for header in catalogue.HEADERS:
        if not all(r in found for r in header.requires):
            continue
        proc = _run(cmd, include_block(list(header.requires) + [header.path]),
                    workdir, flags)
        if proc.returncode == 0:
            found.append(header.path)
    return found


_LINEMARKER = re.compile(r'^# (\d+) "([^"]*)"((?: \d)*)\s*$')
_DEFINE = re.compile(r"^#define ([A-Za-z_][A-Za-z0-9_]*)(\(?)")
_UNDEF = re.compile(r"^#undef ([A-Za-z_][A-Za-z0-9_]*)")
_ENUM = re.compile(r"\benum\b\s*(?:[A-Za-z_][A-Za-z0-9_]*)?\s*\{")
_IDENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|$)")


def _relative(path: str, include_dirs: Sequence[str]) -> str:
    """'/usr/include/x86_64-linux-gnu/bits/socket.h' -> 'bits/socket.h'."""
    best = path
    for d in include_dirs:
        d = d.rstrip("/") + "/"
        if path.startswith(d) and len(path) - len(d) < len(best):
            best = path[len(d):]
    return best


def system_include_dirs(cmd) -> List[str]:
    proc = subprocess.run(cmd + ["-E", "-v", "-x", "c", "/dev/null"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True)
    dirs, inside = [], False
    for line in proc.stderr.splitlines():
        if line.startswith("#include <...> search starts here"):
            inside = True
        elif line.startswith("End of search list"):
            break
        elif inside:
            dirs.append(os.path.normpath(line.strip()))
    return dirs


def defined_names(text: str, main: str) -> Dict[str, Tuple[str, str]]:
    """Names defined by ``cc -E -dD`` output: name -> (file, top header).

    Object-like macros and enum members; function-like macros are skipped.
    The top header is the file included directly from the main file.
    """
    names: Dict[str, Tuple[str, str]] = {}
    stack: List[str] = []
    current, body = main, []

    def top() -> str:
        return stack[0] if stack else main

    def flush_enums():
        code = " ".join(body)
        for m in _ENUM.finditer(code):
            depth, i, start = 1, m.end(), m.end()
            while i < len(code) and depth:
                depth += {"{": 1, "}": -1}.get(code[i], 0)
                i += 1
            members, depth, item = [], 0, ""
            for ch in code[start:i - 1]:
                if ch in "({[":
                    depth += 1
                elif ch in ")}]":
                    depth -= 1
                if ch == "," and depth == 0:
                    members.append(item)
                    item = ""
                else:
                    item += ch
            members.append(item)
            for member in members:
                mm = _IDENT.match(member)
                if mm:
                    names.setdefault(mm.group(1), (current, top()))
        body.clear()

    for line in text.splitlines():
        m = _LINEMARKER.match(line)
        if m:
            flush_enums()
            path, flags = m.group(2), m.group(3).split()
            if "1" in flags and path not in (main,):
                stack.append(path)
            elif "2" in flags:
                while stack and stack[-1] != path:
                    stack.pop()
            current = path
            continue
        if line.startswith("#define "):
            m = _DEFINE.match(line)
            if m and not m.group(2):
                names[m.group(1)] = (current, top())
            continue
        if line.startswith("#undef "):
            m = _UNDEF.match(line)
            if m:
                names.pop(m.group(1), None)
            continue
        if line and not line.startswith("#"):
            body.append(line)
    flush_enums()
    return names


def _longest_match(name: str, entries: Sequence[str]) -> int:
    """The length of the longest catalogue entry matching ``name``, or -1.
    An entry ending in ``_`` is a prefix (of a longer name), any other an
    exact name."""
    best = -1
    for entry in entries:
        hit = (name.startswith(entry) and len(name) > len(entry)
               if entry.endswith("_") else name == entry)
        if hit and len(entry) > best:
            best = len(entry)
    return best


def classify(name: str, groups) -> Optional[catalogue.Group]:
    """The group whose prefix is the longest match for ``name``."""
    best, best_len = None, -1
    for group in groups:
        length = _longest_match(name, group.prefixes)
        if length > best_len:
            best, best_len = group, length
    return best


def level_of(name: str, group: catalogue.Group) -> Optional[str]:
    """The group's level if ``name`` is one of its options, else None."""
    if not group.level:
        return None
    option = _longest_match(name, group.options or group.prefixes)
    value = _longest_match(name, group.values)
    return group.level if option > value else None


_ERROR_LINE = re.compile(r"probe\.c:(\d+):(?:\d+:)? (?:error|note)")


def integer_constants(cmd, workdir, prologue: str,
                      exprs: Dict[str, str]) -> Dict[str, str]:
    """Keep the names whose expression is an integer constant expression.

    Each candidate is a ``case`` label on a line of its own; error lines map
    back to candidates, which are dropped, and the rest is compiled again.
    """
    kept = dict(exprs)
    for _ in range(50):
        order = sorted(kept)
        first = prologue.count("\n") + 1
        lines = ["static void sockcffi_probe_%d(long long v) "
                 "{ switch (v) { case (%s): break; default: break; } }"
                 % (i, kept[n]) for i, n in enumerate(order)]
        proc = _run(cmd, prologue + "\n".join(lines) + "\n", workdir,
                    ["-fsyntax-only", "-w"])
        if proc.returncode == 0:
            return kept
        bad = {int(n) - first for n in _ERROR_LINE.findall(proc.stderr)}
        bad = {order[i] for i in bad if 0 <= i < len(order)}
        if not bad:
            raise CompilerMissing(
                "the C compiler rejected the system headers themselves:\n"
                + proc.stderr[-3000:])
        for name in bad:
            del kept[name]
    raise RuntimeError("constant probe did not converge")


def probe(include_dirs: Sequence[str] = (), cmd=None) -> Tuple[List[str],
                                                               List[Constant]]:
    """Return (headers found, constants) for this machine, sorted by name."""
    cmd = cmd or compiler_command()
    # The compiler runs in a temporary directory: make -I dirs absolute.
    include_dirs = [os.path.abspath(d) for d in include_dirs]
    with tempfile.TemporaryDirectory(prefix="sockcffi-probe-") as workdir:
        headers = available_headers(cmd, workdir, include_dirs)
        if "sys/socket.h" not in headers:
            raise CompilerMissing(
                "the C compiler cannot include <sys/socket.h>; install the C "
                "library headers (Debian/Ubuntu: apt-get install libc6-dev "
                "linux-libc-dev)")
        flags = ["-I" + d for d in include_dirs]
        prologue = include_block(headers)
        proc = _run(cmd, prologue, workdir, ["-E", "-dD"] + flags)
        if proc.returncode:
            raise CompilerMissing(proc.stderr[-3000:])
        main = os.path.join(workdir, "probe.c")
        found = defined_names(proc.stdout, main)
        dirs = list(include_dirs) + system_include_dirs(cmd)

        groups = [g for g in catalogue.GROUPS
                  if any(h in headers for h in g.headers)]
        candidates: Dict[str, Candidate] = {}
        for name, (path, top) in found.items():
            group = classify(name, groups)
            if group:
                candidates[name] = Candidate(group, path, top, "header", name)
        for alias, target in catalogue.ALIASES.items():
            group = classify(alias, groups)
            if group and alias not in candidates and target in found:
                path, top = found[target]
                candidates[alias] = Candidate(group, path, top, "alias",
                                              target)
        for name, value in catalogue.COMPAT.items():
            group = classify(name, groups)
            if group and name not in candidates:
                candidates[name] = Candidate(group, "", "", "compat", value)

        valid = integer_constants(cmd + flags, workdir, prologue,
                                  {n: c.expr for n, c in candidates.items()})
    constants = []
    for name in sorted(valid):
        c = candidates[name]
        constants.append(Constant(
            name=name, group=c.group.name, level=level_of(name, c.group),
            header=_relative(c.path, dirs) if c.path else "",
            via=_relative(c.top, dirs) if c.top else "",
            source=c.source, expr=c.expr))
    return headers, constants



# The cross-target probe: values without running anything on the target.

_VALUES_PROGRAM = """
#if defined(__has_include)
# if __has_include(<linux/version.h>)
#  include <linux/version.h>
# endif
#endif
const unsigned long long sockcffi_probe_facts[] = {
#ifdef __GLIBC__
    1, __GLIBC__, __GLIBC_MINOR__,
#else
    0, 0, 0,
#endif
#ifdef LINUX_VERSION_CODE
    LINUX_VERSION_CODE,
#else
    0,
#endif
};
#if defined(__clang__)
const char sockcffi_probe_compiler[] = "clang " __clang_version__;
#elif defined(__GNUC__)
const char sockcffi_probe_compiler[] = "gcc " __VERSION__;
#else
const char sockcffi_probe_compiler[] = "unknown";
#endif
/* Each value as the compiler computes it, and whether it is negative:
   {(unsigned long long)(EXPR), (EXPR) < 0}. */
const unsigned long long sockcffi_probe_values[][2] = {
%s
};
"""


def constant_values(cmd, headers: Sequence[str],
                    constants: Sequence[Constant],
                    include_dirs: Sequence[str] = ()):
    """The constants' values as ``cmd`` computes them for its target, and
    what the target is, without executing target code.

    The values are compiled into a data array of an object file, which is
    read back with the byte order and word size its ELF header states.
    Returns ({name: value}, facts): facts has "machine", "bits",
    "byte_order", "compiler", "libc" ({"name", "version"}) and
    "kernel_headers" (from linux/version.h, or None).
    """
    include_dirs = [os.path.abspath(d) for d in include_dirs]
    rows = ",\n".join("    {(unsigned long long)(%s), (%s) < 0}"
                       % (c.expr, c.expr) for c in constants)
    source = include_block(headers) + _VALUES_PROGRAM % rows
    with tempfile.TemporaryDirectory(prefix="sockcffi-probe-") as workdir:
        flags = ["-I" + d for d in include_dirs]
        proc = _run(cmd, source, workdir, flags + [
            "-c", "-w", "-fno-lto", "-o", "values.o"])
        if proc.returncode:
            raise CompilerMissing(
                "the C compiler could not compile the constants' values:\n"
                + proc.stderr[-3000:])
        with open(os.path.join(workdir, "values.o"), "rb") as f:
            data = f.read()
    try:
        obj = elf.read(data)
        raw = obj.symbols["sockcffi_probe_values"]
        facts_raw = obj.symbols["sockcffi_probe_facts"]
        compiler = obj.symbols["sockcffi_probe_compiler"]
    except (elf.ElfError, KeyError) as e:
        raise CompilerMissing("cannot read the compiled values back from "
                              "the object file (%s)" % e)

    def words(blob):
        return [int.from_bytes(blob[i:i + 8], obj.byteorder)
                for i in range(0, len(blob) - 7, 8)]

    cells = words(raw)
    if len(cells) != 2 * len(constants):
        raise CompilerMissing("the object file holds %d values for %d "
                              "constants" % (len(cells) // 2, len(constants)))
    values = {}
    for i, c in enumerate(constants):
        value, negative = cells[2 * i], cells[2 * i + 1]
        values[c.name] = value - (1 << 64) if negative else value
    is_glibc, major, minor, linux = words(facts_raw)
    facts = {
        "machine": obj.machine,
        "bits": obj.bits,
        "byte_order": obj.byteorder,
        "compiler": compiler.split(b"\0", 1)[0].decode("ascii", "replace"),
        "libc": ({"name": "glibc", "version": "%d.%d" % (major, minor)}
                 if is_glibc else {"name": None, "version": None}),
        "kernel_headers": ("%d.%d.%d" % (linux >> 16, (linux >> 8) & 0xff,
                                         linux & 0xff) if linux else None),
    }
    return values, facts
