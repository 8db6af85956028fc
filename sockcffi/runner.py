"""``python -m sockcffi run``: run a program with sockcffi as ``socket``.

    python -m sockcffi run [--loop asyncio|sockcffi] script.py [args ...]
    python -m sockcffi run [--loop asyncio|sockcffi] -m module [args ...]

Like ``python script.py`` / ``python -m module``, with :func:`sockcffi.patch`
applied before the program imports anything, so every module of it that
imports ``socket`` gets sockcffi.  ``--loop sockcffi`` also makes
sockcffi.aio's event loop the one asyncio gives the program
(:func:`sockcffi.aio.install`); ``--loop asyncio`` (the default) leaves
asyncio's own.
"""
import importlib.util
import os
import pkgutil
import runpy
import sys

from .patching import patch

USAGE = ("usage: python -m sockcffi run [--loop asyncio|sockcffi] "
         "script.py [args ...]\n"
         "       python -m sockcffi run [--loop asyncio|sockcffi] "
         "-m module [args ...]\n")

LOOPS = ("asyncio", "sockcffi")


def _loop_option(argv):
    """(loop name, the remaining words) or None for a bad option."""
    loop = "asyncio"
    if argv[:1] == ["--loop"]:
        if len(argv) < 2 or argv[1] not in LOOPS:
            return None
        loop, argv = argv[1], argv[2:]
    elif argv and argv[0].startswith("--loop="):
        loop = argv[0].partition("=")[2]
        if loop not in LOOPS:
            return None
        argv = argv[1:]
    return loop, argv


def _unrunnable_module(name):
    """What ``python -m NAME`` says of a module it cannot run (checked
    as runpy checks it, before anything of the program runs), or None."""
    if name.startswith("."):
        return "Relative module names not supported"
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, AttributeError, TypeError, ValueError) as e:
        why = ("Error while finding module specification for %r (%s: %s)"
               % (name, type(e).__name__, e))
        if name.endswith(".py"):
            why += (". Try using '%s' instead of '%s' as the module name."
                    % (name[:-3], name))
        return why
    if spec is None:
        return "No module named %s" % name
    if spec.submodule_search_locations is not None:     # a package
        if name == "__main__" or name.endswith(".__main__"):
            return "Cannot use package as __main__ module"
        inner = _unrunnable_module(name + ".__main__")
        if inner is not None:
            return ("%s; %r is a package and cannot be directly executed"
                    % (inner, name))
    return None


def _unrunnable_folder(path):
    """What ``python PATH`` says of a folder or zip file without a
    ``__main__`` module, or None (a script, or one that has it)."""
    importer = pkgutil.get_importer(path)
    if importer is None:
        return None                     # a script
    if hasattr(importer, "find_spec"):
        found = importer.find_spec("__main__")
    else:                               # PyPy 3.9's zipimporter
        found = importer.find_module("__main__")
    if found is not None:
        return None
    return "can't find '__main__' module in %r" % os.path.abspath(path)


def _prepare(loop):
    patch()
    if loop == "sockcffi":
        from .aio import install
        install()


def main(argv):
    """Run the program named by ``argv`` (the words after ``run``)."""
    if not argv or argv[0] in ("-h", "--help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return 0 if argv else 2
    parsed = _loop_option(argv)
    if parsed is None or not parsed[1]:
        sys.stderr.write(USAGE)
        return 2
    loop, argv = parsed
    if argv[0] == "-m":
        if len(argv) < 2:
            sys.stderr.write(USAGE)
            return 2
        _prepare(loop)
        # As python -m says it: one line, exit 1 (an ImportError raised
        # while the module runs is the program's own, with its traceback).
        why = _unrunnable_module(argv[1])
        if why is not None:
            sys.stderr.write("%s: %s\n" % (sys.executable, why))
            return 1
        # As with python -m: sys.path[0] stays the current directory.
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    path = argv[0]
    try:
        os.stat(path)
    except OSError as e:
        # As this interpreter says it for a script it cannot open: one
        # line, exit 2 (PyPy does not quote the path).
        quote = "" if sys.implementation.name == "pypy" else "'"
        sys.stderr.write("%s: can't open file %s%s%s: [Errno %d] %s\n" % (
            sys.executable, quote, os.path.abspath(path), quote, e.errno,
            e.strerror))
        return 2
    why = _unrunnable_folder(path)
    if why is not None:
        sys.stderr.write("%s: %s\n" % (sys.executable, why))
        return 1
    _prepare(loop)
    # As with python script.py: the script's directory comes first.
    sys.path[0] = os.path.dirname(os.path.abspath(path))
    sys.argv = list(argv)
    runpy.run_path(path, run_name="__main__")
    return 0
