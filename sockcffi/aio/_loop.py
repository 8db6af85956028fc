"""The event loop: asyncio's own Unix selector loop on sockcffi.

``EventLoop`` derives from ``asyncio.unix_events._UnixSelectorEventLoop``,
so every ``AbstractEventLoop`` method -- subprocesses, signals, executors,
DNS, Unix sockets, pipes, the ``sock_*`` methods, ``sendfile``, TLS through
asyncio's ``sslproto`` -- is the stdlib's own code, with three changes:

* readiness comes from sockcffi's epoll binding (``_selector.py``);
* the sockets the loop makes itself (connections, servers, datagram
  endpoints, Unix sockets, the self-pipe) are sockcffi sockets: the stdlib
  methods that name the ``socket`` module are used as they are, but run
  with globals in which ``socket`` is sockcffi (see :class:`_Globals`);
  the same globals give them sockcffi.aio's transports (``_transports.py``)
  in place of asyncio's selector transports;
* a stdlib socket handed in through ``sock=`` is adopted (:func:`adopt`);
* the run-once step takes the ready descriptors straight from the epoll
  selector's C array (:meth:`EventLoop._run_once`).
"""
import _socket
import heapq
import types
from asyncio import base_events, selector_events, unix_events
from asyncio.log import logger
from selectors import EVENT_READ, EVENT_WRITE

from .. import sockets as _sockets
from .._binding import ffi
from ._selector import EpollSelector

__all__ = ["EventLoop", "adopt"]


def _once(factory):
    """A function returning ``factory()``, called at its first call only
    (the replacements are imported late: sockcffi imports this module)."""
    made = []

    def get():
        if not made:
            made.append(factory())
        return made[0]
    return get


def _import_sockcffi():
    import sockcffi
    return sockcffi


_ABSENT = object()
_unpack = ffi.unpack


class _Globals(dict):
    """The globals of an asyncio module as its functions see them, except
    for the names in ``replace``: a name whose module value is still the
    one it replaces resolves to the replacement (``socket`` -> sockcffi,
    asyncio's transport classes -> sockcffi.aio's).
    Every lookup is live, so a test's ``mock.patch('asyncio.base_events.
    socket')`` (or of anything else there) is seen as by the stdlib loop.
    """
    __slots__ = ("_module", "_replace", "_builtins")

    def __init__(self, module, replace):
        builtins = module.__dict__["__builtins__"]
        dict.__init__(self, __builtins__=builtins)
        self._module = module.__dict__
        self._replace = replace
        self._builtins = (builtins if isinstance(builtins, dict)
                          else vars(builtins))

    def __missing__(self, name):
        value = self._module.get(name, _ABSENT)
        if value is _ABSENT:
            # A builtin, looked up here: the interpreter's way there is a
            # KeyError per lookup, which costs PyPy's JIT dearly.
            return self._builtins[name]
        replacement = self._replace.get(name)
        if replacement is not None and value is replacement[0]:
            return replacement[1]()
        return value


def _uses(code, names):
    """Does ``code`` (or a function nested in it) read one of ``names``
    as a global?"""
    if not names.isdisjoint(code.co_names):
        return True
    return any(isinstance(c, types.CodeType) and _uses(c, names)
               for c in code.co_consts)


def _rebound(func, globals_):
    new = types.FunctionType(func.__code__, globals_, func.__name__,
                             func.__defaults__, func.__closure__)
    new.__kwdefaults__ = func.__kwdefaults__
    new.__dict__.update(func.__dict__)
    new.__qualname__ = func.__qualname__
    new.__doc__ = func.__doc__
    new.__module__ = func.__module__
    return new


def _transports():
    from . import _transports
    return _transports


_sockcffi = _once(_import_sockcffi)


def _replacements(module):
    """{global name: (the module's value, a function returning its
    replacement)} for ``module``."""
    replace = {}
    socket_module = module.__dict__.get("socket")
    if socket_module is not None:
        replace["socket"] = (socket_module, _sockcffi)
    if module is selector_events:
        for name, ours in (("_SelectorSocketTransport", "SocketTransport"),
                           ("_SelectorDatagramTransport",
                            "DatagramTransport")):
            replace[name] = (
                module.__dict__[name],
                _once(lambda ours=ours: getattr(_transports(), ours)))
    return replace


def _with_sockcffi(bases, name):
    """A subclass of ``bases`` holding, for every method of the asyncio
    loop classes that names a replaced global (the ``socket`` module, a
    transport class), a copy running with :class:`_Globals` (the same code,
    so the same behaviour)."""
    namespace = {"__module__": __name__}
    modules = {}
    for cls in reversed(bases[0].__mro__):
        module = __import__(cls.__module__, fromlist=["_"])
        if module not in (base_events, selector_events, unix_events):
            continue
        replace = _replacements(module)
        if module not in modules:
            modules[module] = _Globals(module, replace)
        for attr, func in vars(cls).items():
            if (isinstance(func, types.FunctionType)
                    and _uses(func.__code__, set(replace))):
                namespace[attr] = _rebound(func, modules[module])
    return type(name, bases, namespace)


_SocketLoop = _with_sockcffi((unix_events._UnixSelectorEventLoop,),
                             "_SocketLoop")


class _AdoptedSocket(_sockets.socket):
    """A sockcffi socket on the descriptor of a stdlib socket object
    (``origin``), which keeps its descriptor number until this socket is
    closed or detached: then ``origin`` is detached, so that it never
    closes the number again (by then perhaps another file's)."""

    __slots__ = ("_origin",)

    def _release_origin(self):
        origin = getattr(self, "_origin", None)
        self._origin = None
        if origin is not None:
            origin.detach()

    def _real_close(self, _close=_sockets.socket._real_close):
        self._release_origin()
        _close(self)

    def detach(self):
        self._release_origin()
        return _sockets.socket.detach(self)

    def settimeout(self, value):
        _sockets.socket.settimeout(self, value)
        if self._origin is not None:
            self._origin.settimeout(value)

    def setblocking(self, flag):
        _sockets.socket.setblocking(self, flag)
        if self._origin is not None:
            self._origin.setblocking(flag)

    def __del__(self, _del=_sockets.socket.__del__):
        if getattr(self, "_fd", -1) >= 0:
            self._release_origin()
        _del(self)


def adopt(sock):
    """The socket the loop uses for ``sock`` handed in by the program: a
    sockcffi socket (or anything else that is not a stdlib socket) as it is;
    a stdlib socket as a sockcffi socket on the same descriptor, which the
    loop then owns (see :class:`_AdoptedSocket` and the README)."""
    if not isinstance(sock, _socket.socket):
        return sock
    fd = sock.fileno()
    if fd < 0:
        return sock         # closed: the stdlib method reports it
    new = _AdoptedSocket(sock.family, sock.type, sock.proto, fileno=fd)
    new._origin = sock
    return new


class EventLoop(_SocketLoop):
    """asyncio's Unix selector event loop on sockcffi (module docstring)."""

    def __init__(self, selector=None):
        super().__init__(EpollSelector() if selector is None else selector)

    async def create_connection(self, protocol_factory, host=None, port=None,
                                *, sock=None, **kwargs):
        return await super().create_connection(
            protocol_factory, host, port, sock=adopt(sock), **kwargs)

    async def create_server(self, protocol_factory, host=None, port=None,
                            *, sock=None, **kwargs):
        return await super().create_server(
            protocol_factory, host, port, sock=adopt(sock), **kwargs)

    async def create_datagram_endpoint(self, protocol_factory,
                                       local_addr=None, remote_addr=None,
                                       *, sock=None, **kwargs):
        return await super().create_datagram_endpoint(
            protocol_factory, local_addr, remote_addr, sock=adopt(sock),
            **kwargs)

    async def create_unix_connection(self, protocol_factory, path=None, *,
                                     sock=None, **kwargs):
        return await super().create_unix_connection(
            protocol_factory, path, sock=adopt(sock), **kwargs)

    async def create_unix_server(self, protocol_factory, path=None, *,
                                 sock=None, **kwargs):
        return await super().create_unix_server(
            protocol_factory, path, sock=adopt(sock), **kwargs)

    async def connect_accepted_socket(self, protocol_factory, sock,
                                      **kwargs):
        return await super().connect_accepted_socket(
            protocol_factory, adopt(sock), **kwargs)



    def _run_once(self):
        """One iteration: asyncio's step -- the callbacks ready before
        the wait run first, then those of the I/O events, then the timers
        due; what they schedule waits for the next iteration -- with the
        ready descriptors of sockcffi's epoll selector queued straight
        from its C array (asyncio's step builds a list of (key, events)
        pairs and walks it again).  Another selector, debug mode and a
        timer heap due for a purge take asyncio's own step."""
        selector = self._selector
        scheduled = self._scheduled
        if (selector.__class__ is not EpollSelector or self._debug
                or (len(scheduled) > base_events._MIN_SCHEDULED_TIMER_HANDLES
                    and self._timer_cancelled_count / len(scheduled)
                    > base_events._MIN_CANCELLED_TIMER_HANDLES_FRACTION)):
            return super()._run_once()
        while scheduled and scheduled[0]._cancelled:
            self._timer_cancelled_count -= 1
            heapq.heappop(scheduled)._scheduled = False
        ready = self._ready
        if ready or self._stopping:
            timeout = 0
        elif scheduled:
            timeout = min(max(0, scheduled[0]._when - self.time()),
                          base_events.MAXIMUM_SELECT_TIMEOUT)
        else:
            timeout = None
        n = selector.wait(timeout)
        # The pairs as one list of ints: one C call per wait, where
        # indexing the C array costs a conversion per item on CPython.
        events = _unpack(selector.ready, 2 * n)
        fd_to_key = selector._fd_to_key
        for i in range(0, 2 * n, 2):
            key = fd_to_key.get(events[i])
            if key is None:
                continue
            mask = events[i + 1] & key.events
            reader, writer = key.data
            if mask & EVENT_READ and reader is not None:
                if reader._cancelled:
                    self._remove_reader(key.fileobj)
                else:
                    ready.append(reader)
            if mask & EVENT_WRITE and writer is not None:
                if writer._cancelled:
                    self._remove_writer(key.fileobj)
                else:
                    ready.append(writer)
        end_time = self.time() + self._clock_resolution
        while scheduled and scheduled[0]._when < end_time:
            handle = heapq.heappop(scheduled)
            handle._scheduled = False
            ready.append(handle)
        for _ in range(len(ready)):
            handle = ready.popleft()
            if handle._cancelled:
                continue
            if self._debug:         # set by a callback of this iteration
                self._run_timed(handle)
            else:
                handle._run()
        handle = None   # no cycle through an exception's traceback

    def _run_timed(self, handle):
        """Run ``handle`` with debug mode's slow-callback report."""
        try:
            self._current_handle = handle
            start = self.time()
            handle._run()
            took = self.time() - start
            if took >= self.slow_callback_duration:
                logger.warning("Executing %s took %.3f seconds",
                               base_events._format_handle(handle), took)
        finally:
            self._current_handle = None
