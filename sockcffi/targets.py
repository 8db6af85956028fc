"""Socket constants of another target, from its C compiler, run nowhere.

``sockcffi probe --target TRIPLE`` runs the build's own catalogue and probe
(gen/catalogue.py, gen/probe.py) with a cross compiler: the names come from
its preprocessor, the values from an object file it compiles, read back with
the byte order and word size its ELF header states (a Windows target's: its
COFF header).  Nothing is executed on the target, so any architecture with a
cross compiler works here: Debian's gcc-<triple> for Linux, mingw-w64 for
Windows.

An installed sockcffi carries the probe and catalogue as ``sockcffi._gen``
(pyproject.toml maps gen/ there, without the bindings and templates, which
only the build needs); a source tree has them in gen/.
"""
import importlib
import importlib.util
import os
import platform
import shlex
import shutil
import sys
from collections import namedtuple

from . import _stamp
from .constants import Constant


class TargetError(Exception):
    """A target that cannot be probed here: one line saying why."""


# Debian's name for each architecture in its cross packages
# (libc6-dev-<arch>-cross); the key is a triple's first part.
DEBIAN_ARCHES = {
    "aarch64": "arm64", "alpha": "alpha", "arm": "armhf", "hppa": "hppa",
    "i386": "i386", "i486": "i386", "i586": "i386", "i686": "i386",
    "loongarch64": "loong64", "m68k": "m68k", "mips": "mips",
    "mipsel": "mipsel", "mips64": "mips64", "mips64el": "mips64el",
    "mipsisa32r6": "mipsr6", "mipsisa32r6el": "mipsr6el",
    "mipsisa64r6": "mips64r6", "mipsisa64r6el": "mips64r6el",
    "powerpc": "powerpc", "powerpc64": "ppc64", "powerpc64le": "ppc64el",
    "riscv64": "riscv64", "s390x": "s390x", "sh4": "sh4",
    "sparc64": "sparc64", "x86_64": "amd64",
}

# Windows targets: Debian's mingw-w64 cross compilers, by the triple's first
# part (the package brings the Winsock headers, mingw-w64-*-dev, with it).
MINGW_PACKAGES = {"x86_64": "gcc-mingw-w64-x86-64",
                  "i686": "gcc-mingw-w64-i686"}

# Short names --target accepts besides triples.
ALIASES = {"windows": "x86_64-w64-mingw32"}

# What a probe runs: the compiler command (with its flags) and the -I
# directories; libc when the triple names one its headers do not ("musl");
# install: how to get the compiler and the target's headers (for errors).
Target = namedtuple("Target", "triple libc cmd include_dirs install")


def _apt(packages):
    return "on Debian/Ubuntu: apt-get install " + packages


def _gen():
    """The probe and catalogue modules (``sockcffi._gen``)."""
    try:
        return importlib.import_module(__package__ + "._gen")
    except ImportError:
        root = _stamp.source_root(os.path.dirname(__file__))
        if root is None:
            raise TargetError("this sockcffi has no probe (sockcffi._gen); "
                              "reinstall it with 'pip install .'")
    name = __package__ + "._gen"
    folder = os.path.join(root, "gen")
    spec = importlib.util.spec_from_file_location(
        name, os.path.join(folder, "__init__.py"),
        submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _probe_module():
    return importlib.import_module(_gen().__name__ + ".probe")


def _catalogue_module():
    return importlib.import_module(_gen().__name__ + ".catalogue")


def _dump_machine(cmd):
    probe = _probe_module()
    try:
        proc = probe.run_compiler(cmd + ["-dumpmachine"])
    except OSError:
        return ""
    except probe.CompilerMissing as e:       # it hung
        raise TargetError(str(e))
    lines = proc.stdout.split("\n") if proc.returncode == 0 else [""]
    return lines[0].strip()             # one line, whatever else it says


def _host_cc():
    probe = _probe_module()
    try:
        return probe.compiler_command()
    except probe.CompilerMissing as e:
        raise TargetError(str(e))


def _split_triple(triple):
    """(arch, abi) of ARCH[-VENDOR]-linux[-ABI]; TargetError otherwise."""
    parts = triple.split("-")
    if len(parts) < 2 or "linux" not in parts[1:] \
            or parts[0] not in DEBIAN_ARCHES:
        raise TargetError(
            "unknown target triple %r: expected ARCH-linux-gnu (or another "
            "Linux ABI such as -gnueabihf, -gnuabi64, -musl), ARCH one of "
            "%s; or x86_64-w64-mingw32, i686-w64-mingw32 (Windows)"
            % (triple, ", ".join(sorted(DEBIAN_ARCHES))))
    abi = parts[parts.index("linux") + 1:]
    return parts[0], "-".join(abi)


def _musl_target(triple, arch):
    host_arch = platform.machine()
    if arch != host_arch:
        return Target(triple, "musl", [triple + "-gcc"], [],
                      "Debian packages no musl cross compiler for %s: build "
                      "one with musl-cross-make, or pass --cc" % arch)
    # Debian's musl-gcc sees musl's headers only.  As Debian's cross
    # compilers do, search the build machine's /usr/include after them, for
    # the kernel's linux/ and asm/ headers (linux-libc-dev).
    after = [d for d in _probe_module().system_include_dirs(_host_cc())
             if not d.startswith(("/usr/lib/gcc", "/usr/local"))]
    cmd = ["musl-gcc"]
    for d in after:
        cmd += ["-idirafter", d]
    return Target(triple, "musl", cmd, [], _apt("musl-tools linux-libc-dev"))


def resolve(triple=None, cc=None, sysroot=None, include_dirs=()):
    """The Target to probe; TargetError (one line) when it cannot be."""
    for d in include_dirs:
        if not os.path.isdir(d):
            raise TargetError("--include %s: no such directory" % d)
    if sysroot is not None and not os.path.isdir(sysroot):
        raise TargetError("--sysroot %s: no such directory" % sysroot)
    if cc is not None:
        try:
            cmd = shlex.split(cc)      # a compiler and its flags
        except ValueError as e:        # an unbalanced quote
            raise TargetError("--cc %r: %s" % (cc, e))
        if not cmd:
            raise TargetError("--cc %r names no compiler" % cc)
        if not shutil.which(cmd[0]):
            raise TargetError("compiler not found: %s" % cc)
        if os.sep in cmd[0]:
            # The probe runs it from a temporary folder.
            cmd[0] = os.path.abspath(cmd[0])
        triple = triple or _dump_machine(cmd) or "unknown"
        target = Target(triple, "musl" if triple.endswith("musl") else None,
                        cmd, [], "check the compiler given with --cc")
    elif triple in ALIASES or (triple or "").endswith("-mingw32"):
        triple = ALIASES.get(triple, triple)
        arch = triple.split("-")[0]
        if arch not in MINGW_PACKAGES:
            raise TargetError(
                "unknown Windows target %r: expected one of %s"
                % (triple, ", ".join(a + "-w64-mingw32"
                                     for a in sorted(MINGW_PACKAGES))))
        target = Target(triple, None, [triple + "-gcc"], [],
                        _apt(MINGW_PACKAGES[arch]))
        if not shutil.which(target.cmd[0]):
            raise TargetError("no compiler for %s: %s is not installed (%s)"
                              % (triple, target.cmd[0], target.install))
    elif triple in (None, "native"):
        cmd = _host_cc()
        target = Target(_dump_machine(cmd) or "native", None, cmd, [],
                        _apt("gcc libc6-dev linux-libc-dev"))
    else:
        if triple == "musl":
            triple = platform.machine() + "-linux-musl"
        arch, abi = _split_triple(triple)
        if abi.startswith("musl"):
            target = _musl_target(triple, arch)
        else:
            debarch = DEBIAN_ARCHES[arch]
            if arch == "arm" and not abi.endswith("hf"):
                debarch = "armel"
            native = _dump_machine(_host_cc()) == triple
            packages = ("gcc libc6-dev linux-libc-dev" if native else
                        "gcc-{0} libc6-dev-{1}-cross linux-libc-dev-{1}-cross"
                        .format(triple, debarch))
            target = Target(triple, None, [triple + "-gcc"], [],
                            _apt(packages))
        if not shutil.which(target.cmd[0]):
            raise TargetError("no compiler for %s: %s is not installed (%s)"
                              % (triple, target.cmd[0], target.install))
    cmd = list(target.cmd)
    if sysroot is not None:
        cmd.append("--sysroot=" + os.path.abspath(sysroot))
    return target._replace(cmd=cmd, include_dirs=[os.path.abspath(d)
                                                  for d in include_dirs])


def _one_line(text):
    """The first line of a compiler failure, and its first error."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines[1:] if "error" in line]
    return "; ".join(lines[:1] + errors[:1])


def probe(target):
    """Probe ``target``: ({name: Constant}, description of the target)."""
    probe_module = _probe_module()
    try:
        headers, found, values, facts = probe_module.probe_values(
            include_dirs=target.include_dirs, cmd=target.cmd)
    except probe_module.CompilerMissing as e:
        message = _one_line(str(e))
        for core in ("<sys/socket.h>", "<winsock2.h>"):
            if core in message:
                message = ("%s cannot include %s: the target's C library "
                           "headers are missing (%s)"
                           % (" ".join(target.cmd), core, target.install))
        raise TargetError(message)
    except (OSError, RuntimeError) as e:
        raise TargetError("probing %s failed: %s" % (target.triple, e))
    records = {c.name: Constant(c.name, values[c.name], c.group, c.level,
                                c.header, c.via, c.source) for c in found}
    libc = dict(facts["libc"])
    if libc["name"] is None and target.libc:
        libc["name"] = target.libc       # musl defines no version macro
    description = {
        "triple": target.triple,
        "compiler": {"command": target.cmd, "version": facts["compiler"]},
        "include_dirs": target.include_dirs,
        "system": facts["system"],
        "machine": facts["machine"],
        "bits": facts["bits"],
        "byte_order": facts["byte_order"],
        "libc": libc,
        "kernel_headers": facts["kernel_headers"],
        "sdk": facts["sdk"],
        "headers": headers,
    }
    return records, description


def in_catalogue(name):
    """Whether ``name`` is one the catalogue looks for (the stdlib's other
    uppercase integers, like errno's EAGAIN, are not socket constants)."""
    catalogue = _catalogue_module()
    probe = _probe_module()
    return (probe.classify(name, catalogue.GROUPS) is not None)
