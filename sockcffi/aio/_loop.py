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
* a stdlib socket handed in through ``sock=`` is adopted (:func:`adopt`).
"""
import _socket
import types

from asyncio import base_events, selector_events, unix_events

from .. import sockets as _sockets
from ._selector import EpollSelector

__all__ = ["EventLoop", "adopt"]


def _sockcffi():
    import sockcffi
    return sockcffi


class _Globals(dict):
    """The globals of an asyncio module as its functions see them, except
    for the names in ``replace``: a name whose module value is still the
    one it replaces resolves to the replacement (``socket`` -> sockcffi,
    asyncio's transport classes -> sockcffi.aio's).
    Every lookup is live, so a test's ``mock.patch('asyncio.base_events.
    socket')`` (or of anything else there) is seen as by the stdlib loop.
    """
    __slots__ = ("_module", "_replace")

    def __init__(self, module, replace):
        dict.__init__(self, __builtins__=module.__dict__["__builtins__"])
        self._module = module.__dict__
        self._replace = replace

    def __missing__(self, name):
        value = self._module[name]      # KeyError: the builtins are next
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
                lambda ours=ours: getattr(_transports(), ours))
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
