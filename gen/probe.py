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
import signal
import subprocess
import sysconfig
import tempfile
from dataclasses import dataclass
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from . import catalogue, coff, elf


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
    try:
        cmd = shlex.split(cc)
    except ValueError as e:             # an unbalanced quote
        raise CompilerMissing("the compiler command %r: %s" % (cc, e))
    if not cmd or not shutil.which(cmd[0]):
        raise CompilerMissing(
            "building needs a C compiler and the C library headers; no "
            "compiler was found (%r). On Debian/Ubuntu: apt-get install gcc "
            "libc6-dev linux-libc-dev (and python3-dev or pypy3-dev)." % cc)
    return cmd


# Seconds one compiler run may take before it counts as hung; the
# environment variable overrides it (a slow emulated or remote compiler).
TIMEOUT_VARIABLE = "SOCKCFFI_CC_TIMEOUT"
DEFAULT_TIMEOUT = 300.0


def compiler_timeout() -> float:
    text = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise CompilerMissing("%s=%r: expected a positive number of seconds"
                              % (TIMEOUT_VARIABLE, text))
    return seconds


def _text(data: bytes) -> str:
    # A compiler may print any bytes (a locale's messages, a path): decode
    # what is not UTF-8 as U+FFFD rather than fail on it; newlines as text
    # mode reads them.
    text = data.decode("utf-8", "replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def run_compiler(argv: List[str], cwd: Optional[str] = None):
    """Run a compiler command to its end: a CompletedProcess with text
    stdout and stderr.  A run longer than ``compiler_timeout()`` is killed
    with every process it started (its own session) and raises
    CompilerMissing; OSError when it cannot be started."""
    limit = compiler_timeout()
    with subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=limit)
        except BaseException as e:
            # Timed out, or interrupted (^C reaches only this process: the
            # compiler has a session of its own).
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            if not isinstance(e, subprocess.TimeoutExpired):
                raise
            raise CompilerMissing(
                "the C compiler did not finish within %g s (%s; set %s to "
                "allow longer)" % (limit, argv[0],
                                   TIMEOUT_VARIABLE)) from None
    return subprocess.CompletedProcess(argv, proc.returncode, _text(out),
                                       _text(err))


def _run(cmd: List[str], source: str, workdir: str, args: Sequence[str]):
    path = os.path.join(workdir, "probe.c")
    with open(path, "w") as f:
        f.write(source)
    return run_compiler(cmd + list(args) + [path], cwd=workdir)


def include_block(headers: Sequence[str], system: str = "posix") -> str:
    lines = ["#define %s 1" % d for d in catalogue.defines(system)]
    lines += ["#include <%s>" % h for h in catalogue.prelude(system)]
    lines += ["#include <%s>" % h for h in headers]
    return "\n".join(lines) + "\n"


def system_of(cmd, workdir) -> str:
    """The kind of system the compiler targets (a ``catalogue.CORE`` key):
    "windows" when it defines _WIN32 (mingw-w64), else "posix"."""
    proc = _run(cmd, "#ifdef _WIN32\nsockcffi_windows\n#endif\n", workdir,
                ["-E"])
    if proc.returncode:
        raise CompilerMissing(proc.stderr[-3000:] or "the C compiler failed")
    return "windows" if "sockcffi_windows" in proc.stdout else "posix"


def system_for(headers: Sequence[str]) -> str:
    """The kind of system whose core header is among ``headers``."""
    for system, core in catalogue.CORE.items():
        if core in headers:
            return system
    return "posix"


def _present(cmd, workdir, flags, system: str) -> Optional[List[str]]:
    """The catalogue headers whose files exist (and whose requirements
    do), from one preprocessor run of ``__has_include``; None when the
    compiler cannot say."""
    lines = ["#ifdef __has_include"]
    for i, header in enumerate(catalogue.headers(system)):
        lines.append("#if __has_include(<%s>)\nsockcffi_has_%d\n#endif"
                     % (header.path, i))
    lines.append("#else\nsockcffi_no_has_include\n#endif\n")
    proc = _run(cmd, "\n".join(lines), workdir, ["-E"] + flags)
    if proc.returncode or "sockcffi_no_has_include" in proc.stdout:
        return None
    seen = set(re.findall(r"\bsockcffi_has_(\d+)\b", proc.stdout))
    found: List[str] = []
    for i, header in enumerate(catalogue.headers(system)):
        if str(i) in seen and all(r in found for r in header.requires):
            found.append(header.path)
    return found


def available_headers(cmd, workdir, include_dirs=(),
                      system: str = "posix") -> List[str]:
    flags = ["-E"] + ["-I" + d for d in include_dirs]
    found = []
    for header in catalogue.headers(system):
        if not all(r in found for r in header.requires):
            continue
        proc = _run(cmd, include_block(list(header.requires) + [header.path],
                                       system), workdir, flags)
        if proc.returncode == 0:
            found.append(header.path)
    return found


_LINEMARKER = re.compile(r'^# (\d+) "([^"]*)"((?: \d)*)\s*$')
_DEFINE = re.compile(r"^#define ([A-Za-z_][A-Za-z0-9_]*)(\(?)")
_UNDEF = re.compile(r"^#undef ([A-Za-z_][A-Za-z0-9_]*)")
_ENUM = re.compile(r"\benum\b\s*(?:[A-Za-z_][A-Za-z0-9_]*)?\s*\{")
_IDENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|$)")


def _relative(path: str, include_dirs: Sequence[str]) -> str:
    """'/usr/include/x86_64-linux-gnu/bits/socket.h' -> 'bits/socket.h'.

    Also through links: mingw-w64's include directory is a tree of links
    into /usr/share/mingw-w64/include, where the compiler names the file.
    """
    best = path
    for d in include_dirs:
        d = d.rstrip("/") + "/"
        if path.startswith(d) and len(path) - len(d) < len(best):
            best = path[len(d):]
    if best != path or not os.path.exists(path):
        return best
    parts = path.split("/")
    for n in range(1, len(parts)):
        tail = "/".join(parts[-n:])
        for d in include_dirs:
            if os.path.exists(os.path.join(d, tail)) and os.path.samefile(
                    os.path.join(d, tail), path):
                return tail
    return best


def system_include_dirs(cmd) -> List[str]:
    proc = run_compiler(cmd + ["-E", "-v", "-x", "c", "/dev/null"])
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


def integer_constants(cmd, workdir, prologue: str, exprs: Dict[str, str],
                      values: bool = False):
    """Keep the names whose expression is an integer constant expression.

    Each candidate is a ``case`` label on a line of its own; error lines map
    back to candidates, which are dropped, and the rest is compiled again.
    With ``values``, the same unit also holds the values program (a row per
    name, see ``constant_values``) and is compiled to an object file, so
    one loop both checks and computes: returns (kept, the object's bytes).
    """
    kept = dict(exprs)
    for _ in range(50):
        order = sorted(kept)
        first = prologue.count("\n") + 1
        # static inline: checked like any function, but never compiled
        # to code (which, for an object file, would be most of the time).
        lines = ["static inline void sockcffi_probe_%d(long long v) "
                 "{ switch (v) { case (%s): break; default: break; } }"
                 % (i, kept[n]) for i, n in enumerate(order)]
        source = prologue + "\n".join(lines) + "\n"
        args = ["-fsyntax-only", "-w"]
        rows_first = first + len(order) + _ROWS_LINE
        if values:
            source += _values_program([kept[n] for n in order])
            args = _OBJECT_ARGS
        proc = _run(cmd, source, workdir, args)
        if proc.returncode == 0:
            if not values:
                return kept
            with open(os.path.join(workdir, "values.o"), "rb") as f:
                return kept, f.read()
        bad = set()
        for n in _ERROR_LINE.findall(proc.stderr):
            line = int(n)
            for i in (line - first, line - rows_first):
                if 0 <= i < len(order):
                    bad.add(order[i])
        if not bad:
            raise CompilerMissing(
                "the C compiler rejected the system headers themselves:\n"
                + proc.stderr[-3000:])
        for name in bad:
            del kept[name]
    raise RuntimeError("constant probe did not converge")


class _Scan(NamedTuple):
    """What the preprocessor found: the step before the integer check."""
    headers: List[str]
    prologue: str
    candidates: Dict[str, Candidate]
    dirs: List[str]           # for naming headers relative to them


def _scan(cmd, workdir, include_dirs: Sequence[str]) -> _Scan:
    system = system_of(cmd, workdir)
    flags = ["-I" + d for d in include_dirs]
    # Usually every header that exists preprocesses, all in one unit: try
    # that first (one run), and only when it fails try each header on its
    # own (a run per header; each of Winsock's parses all of windows.h).
    headers = _present(cmd, workdir, flags, system)
    proc = None
    if headers and catalogue.CORE[system] in headers:
        proc = _run(cmd, include_block(headers, system), workdir,
                    ["-E", "-dD"] + flags)
    if proc is None or proc.returncode:
        headers = available_headers(cmd, workdir, include_dirs, system)
        proc = None
    if catalogue.CORE[system] not in headers:
        raise CompilerMissing(
            "the C compiler cannot include <%s>; install the C library "
            "headers (Debian/Ubuntu: apt-get install libc6-dev "
            "linux-libc-dev)" % catalogue.CORE[system])
    prologue = include_block(headers, system)
    if proc is None:
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
            candidates[alias] = Candidate(group, path, top, "alias", target)
    for name, value in catalogue.COMPAT.items():
        group = classify(name, groups)
        if group and name not in candidates:
            candidates[name] = Candidate(group, "", "", "compat", value)
    return _Scan(headers, prologue, candidates, dirs)


def _constants(scan: _Scan, valid) -> List[Constant]:
    constants = []
    for name in sorted(valid):
        c = scan.candidates[name]
        constants.append(Constant(
            name=name, group=c.group.name, level=level_of(name, c.group),
            header=_relative(c.path, scan.dirs) if c.path else "",
            via=_relative(c.top, scan.dirs) if c.top else "",
            source=c.source, expr=c.expr))
    return constants


def _exprs(scan: _Scan) -> Dict[str, str]:
    return {n: c.expr for n, c in scan.candidates.items()}


def probe(include_dirs: Sequence[str] = (), cmd=None) -> Tuple[List[str],
                                                               List[Constant]]:
    """Return (headers found, constants) for this machine, sorted by name."""
    cmd = cmd or compiler_command()
    # The compiler runs in a temporary directory: make -I dirs absolute.
    include_dirs = [os.path.abspath(d) for d in include_dirs]
    flags = ["-I" + d for d in include_dirs]
    with tempfile.TemporaryDirectory(prefix="sockcffi-probe-") as workdir:
        scan = _scan(cmd, workdir, include_dirs)
        valid = integer_constants(cmd + flags, workdir, scan.prologue,
                                  _exprs(scan))
    return scan.headers, _constants(scan, valid)


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
#ifdef __MINGW64_VERSION_MAJOR
    1, __MINGW64_VERSION_MAJOR, __MINGW64_VERSION_MINOR,
    __MINGW64_VERSION_BUGFIX, _WIN32_WINNT,
#else
    0, 0, 0, 0, 0,
#endif
#if defined(_UCRT)
    2,
#elif defined(__MSVCRT__)
    1,
#else
    0,
#endif
#ifdef __linux__
    1,
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


# The line of _VALUES_PROGRAM holding the first row, and how it is compiled:
# -fdata-sections gives each variable a section of its own, which is how a
# COFF reader knows where a symbol ends (COFF symbols have no size).
_ROWS_LINE = _VALUES_PROGRAM[:_VALUES_PROGRAM.index("%s")].count("\n")
_OBJECT_ARGS = ["-c", "-w", "-fno-lto", "-fdata-sections", "-o", "values.o"]


def _values_program(exprs: Sequence[str]) -> str:
    """The values program: a row per expression, on a line of its own."""
    return _VALUES_PROGRAM % "\n".join(
        "    {(unsigned long long)(%s), (%s) < 0}," % (e, e) for e in exprs)


def probe_values(include_dirs: Sequence[str] = (), cmd=None):
    """``probe`` and ``constant_values`` in one: the values program is
    compiled with the integer check, so a Winsock target (whose headers
    parse all of windows.h) is compiled twice, not once per step.
    Returns (headers, constants, {name: value}, facts)."""
    cmd = cmd or compiler_command()
    include_dirs = [os.path.abspath(d) for d in include_dirs]
    flags = ["-I" + d for d in include_dirs]
    with tempfile.TemporaryDirectory(prefix="sockcffi-probe-") as workdir:
        scan = _scan(cmd, workdir, include_dirs)
        valid, data = integer_constants(cmd + flags, workdir, scan.prologue,
                                        _exprs(scan), values=True)
    constants = _constants(scan, valid)
    values, facts = read_values(data, [c.name for c in constants])
    return scan.headers, constants, values, facts


def constant_values(cmd, headers: Sequence[str],
                    constants: Sequence[Constant],
                    include_dirs: Sequence[str] = ()):
    """The constants' values as ``cmd`` computes them for its target, and
    what the target is, without executing target code: ``read_values`` of
    the values program compiled to an object file."""
    include_dirs = [os.path.abspath(d) for d in include_dirs]
    source = (include_block(headers, system_for(headers))
              + _values_program([c.expr for c in constants]))
    with tempfile.TemporaryDirectory(prefix="sockcffi-probe-") as workdir:
        flags = ["-I" + d for d in include_dirs]
        proc = _run(cmd, source, workdir, flags + _OBJECT_ARGS)
        if proc.returncode:
            raise CompilerMissing(
                "the C compiler could not compile the constants' values:\n"
                + proc.stderr[-3000:])
        with open(os.path.join(workdir, "values.o"), "rb") as f:
            data = f.read()
    return read_values(data, [c.name for c in constants])


def read_values(data: bytes, names: Sequence[str]):
    """The values of ``names`` (in the order of the rows) from the values
    program's object file, read back with the byte order and word size its
    ELF header states (or, for a Windows target, its COFF header).

    Returns ({name: value}, facts): facts has "machine", "bits",
    "byte_order", "compiler", "system" ("linux", "windows" or None),
    "libc" ({"name", "version"}; on Windows the C runtime, msvcrt or
    ucrt), "kernel_headers" (from linux/version.h, or None) and "sdk"
    (Windows: {"name": "mingw-w64", "version", "win32_winnt"}, the
    headers' release and the Windows API level they were read for; None
    elsewhere).
    """
    try:
        obj = coff.read(data) if coff.is_coff(data) else elf.read(data)
        raw = obj.symbols["sockcffi_probe_values"]
        facts_raw = obj.symbols["sockcffi_probe_facts"]
        compiler = obj.symbols["sockcffi_probe_compiler"]
    except (elf.ObjectFileError, KeyError) as e:
        raise CompilerMissing("cannot read the compiled values back from "
                              "the object file (%s)" % e)

    def words(blob):
        return [int.from_bytes(blob[i:i + 8], obj.byteorder)
                for i in range(0, len(blob) - 7, 8)]

    cells = words(raw)
    if len(cells) != 2 * len(names):
        raise CompilerMissing("the object file holds %d values for %d "
                              "constants" % (len(cells) // 2, len(names)))
    values = {}
    for i, name in enumerate(names):
        value, negative = cells[2 * i], cells[2 * i + 1]
        values[name] = value - (1 << 64) if negative else value
    facts_cells = words(facts_raw)
    if len(facts_cells) != 11:
        raise CompilerMissing("the object file's facts array holds %d "
                              "values, not 11" % len(facts_cells))
    (is_glibc, major, minor, linux, is_mingw, w_major, w_minor, w_fix,
     winnt, crt, is_linux) = facts_cells
    if is_mingw:
        libc = {"name": {1: "msvcrt", 2: "ucrt"}.get(crt), "version": None}
        sdk = {"name": "mingw-w64",
               "version": "%d.%d.%d" % (w_major, w_minor, w_fix),
               "win32_winnt": "0x%04x" % winnt}
    else:
        libc = ({"name": "glibc", "version": "%d.%d" % (major, minor)}
                if is_glibc else {"name": None, "version": None})
        sdk = None
    facts = {
        "machine": obj.machine,
        "bits": obj.bits,
        "byte_order": obj.byteorder,
        "compiler": compiler.split(b"\0", 1)[0].decode("ascii", "replace"),
        "system": ("windows" if is_mingw else "linux" if is_linux
                   else None),
        "libc": libc,
        "sdk": sdk,
        "kernel_headers": ("%d.%d.%d" % (linux >> 16, (linux >> 8) & 0xff,
                                         linux & 0xff) if linux else None),
    }
    return values, facts
