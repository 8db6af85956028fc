#!/usr/bin/env python3
"""Run the stdlib's own asyncio test modules against sockcffi.aio's loop.

Each module (``test_asyncio.test_events``, ``test_streams`` ...) runs twice,
each time in its own child interpreter: with asyncio's own event loop (the
baseline, nothing substituted: the ``stdlib`` mode) and with sockcffi.aio's
loop (the ``sockcffi`` mode).  In the second the child, before importing the
test module, makes sockcffi.aio the loop every test gets:

* ``asyncio.DefaultEventLoopPolicy`` (also where ``set_event_loop_policy(
  None)`` finds it again) is sockcffi.aio's policy, so ``new_event_loop()``,
  ``asyncio.run()`` and ``get_event_loop()`` make sockcffi.aio loops;
* ``asyncio.SelectorEventLoop`` -- what the loop test mixins'
  ``create_event_loop`` and many tests construct, some with a stdlib
  selector of their own -- makes a sockcffi.aio loop on its epoll selector
  whatever selector it is given (the test then runs on sockcffi.aio).

The ``socket`` module stays the stdlib's, as in an unpatched program: the
tests' own sockets are stdlib sockets, handed to the loop through ``sock=``
(which sockcffi.aio adopts) and the ``sock_*`` methods.

Every test that passes with asyncio's loop and not with sockcffi.aio's is a
regression, minus the entries of ``tools/aio_conformance_exclusions.txt``
(``module Class.test  # reason``, an optional ``cpython:``/``pypy:``
prefix); the exit status is 1 when one is left.

    python tools/aio_conformance.py                     # every module
    python tools/aio_conformance.py --suite test_streams --suite test_server
    python tools/aio_conformance.py --json out.json -v

Children, watchdogs and restarts are ``tools/suite_runner.py``'s.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

import stdlib_suites
import suite_runner

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_EXCLUSIONS = os.path.join(HERE, "aio_conformance_exclusions.txt")

SUITES = [
    "test_events", "test_streams", "test_sock_lowlevel", "test_sendfile",
    "test_server", "test_buffered_proto", "test_protocols",
    "test_sslproto", "test_ssl", "test_subprocess", "test_unix_events",
    "test_tasks", "test_futures", "test_context",
]

LABELS = {"stdlib": "asyncio loop", "sockcffi": "sockcffi.aio"}


def prepare(mode, progress):
    """The child's substitution for ``mode`` (module docstring)."""
    from test import support
    support.use_resources = list(stdlib_suites.RESOURCES)
    if mode != "sockcffi":
        return None
    suite_runner.import_sockcffi()
    import asyncio
    from asyncio import unix_events

    import sockcffi.aio

    class SelectorEventLoop(sockcffi.aio.EventLoop):
        """asyncio.SelectorEventLoop for the tests: sockcffi.aio's loop on
        its own selector, whichever selector the test asked for."""

        def __init__(self, selector=None):
            super().__init__()

    for module in (asyncio, unix_events):
        module.SelectorEventLoop = SelectorEventLoop
        module.DefaultEventLoopPolicy = sockcffi.aio.EventLoopPolicy
    asyncio.set_event_loop_policy(None)
    return sockcffi.aio.__file__


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", action="append", metavar="NAME",
                   help="a module of test_asyncio (repeatable; default: "
                        "%s)" % ", ".join(SUITES))
    p.add_argument("--mode", choices=("stdlib", "sockcffi"),
                   help="run one side only: stdlib (asyncio's loop) or "
                        "sockcffi (sockcffi.aio's)")
    p.add_argument("--exclusions", default=DEFAULT_EXCLUSIONS,
                   help="exclusions file (default: %(default)s)")
    p.add_argument("--_suite", help=argparse.SUPPRESS)
    suite_runner.add_arguments(p, total_timeout=900.0)
    return p.parse_args(argv)


def run_suite(name, args, exclusions, modes):
    command = [sys.executable, "-X", "faulthandler",
               os.path.abspath(__file__), "--_suite", name]
    return stdlib_suites.run_modes(name, "test.test_asyncio." + name,
                                   command, args, exclusions, modes,
                                   LABELS.get)


def print_summary(results, out=sys.stdout):
    stdlib_suites.print_summary(
        results, out, heading="%s %s" % (platform.python_implementation(),
                                         platform.python_version()),
        columns=("module", "asyncio passed", "sockcffi.aio"),
        widths=(22, 16, 16))


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args._child:
        return suite_runner.child_main(
            args, "test.test_asyncio." + args._suite, [], prepare)
    return stdlib_suites.run_all("aio_conformance", args, SUITES, run_suite,
                                 print_summary)


if __name__ == "__main__":
    sys.exit(main())
