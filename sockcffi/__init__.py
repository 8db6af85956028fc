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


def _export_constants(namespace):
    namespace.update(constants.values())
    # As in the stdlib, constants that have an enum are its members.
    for enum in (AddressFamily, SocketKind, MsgFlag, AddressInfo):
        namespace.update(enum.__members__)


_export_constants(globals())
has_ipv6 = "AF_INET6" in globals()

from .inet import *          # noqa: E402,F401,F403  byte order, inet_*
from .resolver import *      # noqa: E402,F401,F403  names and services
from .ancillary import *     # noqa: E402,F401,F403  CMSG_LEN, CMSG_SPACE
from ._socketobject import *  # noqa: E402,F401,F403  SocketType, dup, close
from .timeouts import *      # noqa: E402,F401,F403  the default timeout
from .sockets import *       # noqa: E402,F401,F403  the socket class

from ._binding import FEATURES as _FEATURES  # noqa: E402
if "bluetooth" in _FEATURES and "AF_BLUETOOTH" in globals():
    # Text, not integers: the named Bluetooth addresses live with the family.
    from .addresses import BDADDR_ANY, BDADDR_LOCAL  # noqa: F401
del _FEATURES

from .patching import patch, unpatch  # noqa: E402  whole-program use


def __getattr__(name):
    # ``__all__`` (what ``from socket import *`` gives, plus patch/unpatch;
    # see sockcffi._exports) is computed on first use: most programs never
    # ask, and it would cost them import time.
    if name == "__all__":
        from ._exports import public_names
        namespace = globals()
        namespace["__all__"] = public_names(namespace)
        return namespace["__all__"]
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
