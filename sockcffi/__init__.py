"""sockcffi: Python's socket module as a cffi API-mode binding.

``import sockcffi as socket`` gives the stdlib ``socket`` API; every integer
constant this machine's headers define for sockets is a module attribute, and
``sockcffi.constants`` says where each comes from.
"""
from errno import EAGAIN, EBADF, EWOULDBLOCK

from ._version import __version__
from . import constants
from .enums import AddressFamily, AddressInfo, MsgFlag, SocketKind
from .errors import error, gaierror, herror, timeout


# As in the stdlib, constants that have an enum are its members.  The rest
# of the thousand-odd constants are bound on first use (``__getattr__``
# below): binding them all would be most of the import time on PyPy.
for _enum in (AddressFamily, SocketKind, MsgFlag, AddressInfo):
    globals().update(_enum.__members__)
del _enum
has_ipv6 = constants.defined("AF_INET6")

from .inet import *          # noqa: E402,F401,F403  byte order, inet_*
from .resolver import *      # noqa: E402,F401,F403  names and services
from .ancillary import *     # noqa: E402,F401,F403  CMSG_LEN, CMSG_SPACE
from ._socketobject import *  # noqa: E402,F401,F403  SocketType, dup, close
from .timeouts import *      # noqa: E402,F401,F403  the default timeout
from .sockets import *       # noqa: E402,F401,F403  the socket class

from ._binding import FEATURES as _FEATURES  # noqa: E402
if "bluetooth" in _FEATURES and constants.defined("AF_BLUETOOTH"):
    # Text, not integers: the named Bluetooth addresses live with the family.
    from .addresses import BDADDR_ANY, BDADDR_LOCAL  # noqa: F401
del _FEATURES

# Public names whose modules are imported on first use (``__getattr__``):
# name -> (submodule, attribute, or None for the submodule itself).
_ON_FIRST_USE = {
    "patch": ("patching", "patch"),         # whole-program use
    "unpatch": ("patching", "unpatch"),
    "SocketIO": ("socketio", "SocketIO"),   # makefile()'s raw stream
    "patching": ("patching", None),
    "socketio": ("socketio", None),
    "interop": ("interop", None),           # socket.from_stdlib, to_stdlib
    "batch": ("batch", None),               # socket.recvmmsg, sendmmsg
    "afalg": ("afalg", None),               # socket.sendmsg_afalg
}


def _load(name):
    """Bind ``name`` from ``_ON_FIRST_USE`` and return its value."""
    module_name, attribute = _ON_FIRST_USE[name]
    __import__(__name__ + "." + module_name)
    module = globals()[module_name]     # bound by the import system
    value = module if attribute is None else getattr(module, attribute)
    globals()[name] = value
    return value


def _bind_constants(names):
    """Bind the constants among ``names`` not bound yet (a name a submodule
    exports, or an enum member, keeps the value it has)."""
    namespace = globals()
    for name in names:
        if name not in namespace and constants.defined(name):
            namespace[name] = constants.value(name)


def __getattr__(name):
    # Only for names not bound yet: a header constant or a name of
    # ``_ON_FIRST_USE`` on first use, or ``__all__``.
    if constants.defined(name):
        value = globals()[name] = constants.value(name)
        return value
    if name in _ON_FIRST_USE:
        return _load(name)
    if name == "__all__":
        # What ``from socket import *`` gives, plus patch/unpatch (see
        # sockcffi._exports), computed on first use: most programs never
        # ask.
        from ._exports import public_names, stdlib_names
        wanted = stdlib_names()
        _bind_constants(constants.names() if wanted is None else wanted)
        for lazy in _ON_FIRST_USE:
            _load(lazy)
        namespace = globals()
        namespace["__all__"] = public_names(namespace)
        return namespace["__all__"]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    # Every constant is an attribute, bound or not, and so is every name
    # loaded on first use.
    return sorted(set(globals()).union(constants.names(), _ON_FIRST_USE))
