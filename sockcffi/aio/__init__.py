"""sockcffi.aio: an asyncio event loop on sockcffi, with uvloop's entry
points, so that switching a program to it is one line::

    import sockcffi.aio
    sockcffi.aio.run(main())            # like asyncio.run(main())

    loop = sockcffi.aio.new_event_loop()
    asyncio.set_event_loop_policy(sockcffi.aio.EventLoopPolicy())
    sockcffi.aio.install()              # the same, as uvloop.install()

or, for a whole program, ``python -m sockcffi run --loop sockcffi
script.py``.  The loop is asyncio's own Unix selector loop with sockcffi's
epoll binding for readiness and sockcffi sockets (see ``_loop.py``).
"""
import asyncio
import sys

from ._loop import EventLoop
from ._selector import EpollSelector

__all__ = ["EventLoop", "EventLoopPolicy", "EpollSelector", "install",
           "new_event_loop", "run"]

Loop = EventLoop        # uvloop's name


def new_event_loop():
    """A new sockcffi.aio event loop."""
    return EventLoop()


class EventLoopPolicy(asyncio.DefaultEventLoopPolicy):
    """The default policy (child watchers included), making sockcffi.aio
    loops."""

    def _loop_factory(self):
        return new_event_loop()

    def __repr__(self):
        return "<%s.%s>" % (self.__class__.__module__,
                            self.__class__.__qualname__)


def install():
    """Make sockcffi.aio the event loop of every later ``asyncio.run()``,
    ``asyncio.new_event_loop()`` and ``asyncio.get_event_loop()``."""
    asyncio.set_event_loop_policy(EventLoopPolicy())


def run(main, *, debug=None):
    """Run the coroutine ``main`` in a new sockcffi.aio loop and return its
    result, as ``asyncio.run`` does (the loop is closed afterwards)."""
    if sys.version_info >= (3, 11):
        with asyncio.Runner(debug=debug,
                            loop_factory=new_event_loop) as runner:
            return runner.run(main)
    return _run_39(main, debug)


def _run_39(main, debug):
    # asyncio.run of Python 3.9/3.10, with this module's loop.
    from asyncio import coroutines, events, runners
    if events._get_running_loop() is not None:
        raise RuntimeError(
            "asyncio.run() cannot be called from a running event loop")
    if not coroutines.iscoroutine(main):
        raise ValueError("a coroutine was expected, got {!r}".format(main))
    loop = new_event_loop()
    try:
        events.set_event_loop(loop)
        if debug is not None:
            loop.set_debug(debug)
        return loop.run_until_complete(main)
    finally:
        try:
            runners._cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            events.set_event_loop(None)
            loop.close()
