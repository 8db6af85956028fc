"""Structs that only newer versions of a header declare.

A binding module lists such structs with their declaration; at build time
the compiler is asked whether the header declares each one, and only those
it does go into the cdef.  So an older header drops the newer structs (and
through them their options, as a missing constant drops an option) instead
of failing the whole build.  The layout still comes from the header: the
declaration is a partial struct.
"""
import functools
import os
import subprocess
import tempfile

from .. import probe


@functools.lru_cache(maxsize=None)
def has_struct(header, tag):
    """Does ``header`` (after sys/socket.h) declare ``struct tag``?"""
    try:
        cmd = probe.compiler_command()
    except probe.CompilerMissing:
        return False
    source = (probe.include_block(["sys/socket.h", header])
              + "int sockcffi_probe_size = sizeof(struct %s);\n" % tag)
    with tempfile.TemporaryDirectory() as workdir:
        path = os.path.join(workdir, "probe.c")
        with open(path, "w") as f:
            f.write(source)
        proc = subprocess.run(cmd + ["-fsyntax-only", path],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc.returncode == 0


def declarations(header, structs):
    """The cdef texts of ``structs`` (``[(tag, text), ...]``) whose struct
    ``header`` declares, in the given order."""
    return "\n".join(text for tag, text in structs
                     if has_struct(header, tag))
