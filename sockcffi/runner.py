"""``python -m sockcffi run``: run a program with sockcffi as ``socket``.

    python -m sockcffi run script.py [args ...]
    python -m sockcffi run -m module [args ...]

Like ``python script.py`` / ``python -m module``, with :func:`sockcffi.patch`
applied before the program imports anything, so every module of it that
imports ``socket`` gets sockcffi.
"""
import os
import runpy
import sys

from .patching import patch

USAGE = ("usage: python -m sockcffi run script.py [args ...]\n"
         "       python -m sockcffi run -m module [args ...]\n")


def main(argv):
    """Run the program named by ``argv`` (the words after ``run``)."""
    if not argv or argv[0] in ("-h", "--help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return 0 if argv else 2
    if argv[0] == "-m":
        if len(argv) < 2:
            sys.stderr.write(USAGE)
            return 2
        patch()
        # As with python -m: sys.path[0] stays the current directory.
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    path = argv[0]
    patch()
    # As with python script.py: the script's directory comes first.
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    sys.argv = list(argv)
    runpy.run_path(path, run_name="__main__")
    return 0
