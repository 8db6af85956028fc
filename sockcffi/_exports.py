"""``sockcffi.__all__``: the names ``from socket import *`` would give.

The stdlib's ``socket.__all__`` is the public names of the C ``_socket``
module plus a few that Lib/socket.py defines itself.  sockcffi exports the
same list, computed from the running interpreter's ``_socket`` (never by
importing ``socket``, which may be sockcffi itself once patched), kept to
the names sockcffi has, plus the few documented EXTRAS.  The thousand-odd
header constants the stdlib lacks stay module attributes only, and no
submodule is ever exported.
"""
import sys

# Names Lib/socket.py adds to _socket's in its own __all__ (3.9 to 3.13).
_PYTHON_LAYER = ("fromfd", "getfqdn", "create_connection", "create_server",
                 "has_dualstack_ipv6", "AddressFamily", "SocketKind")
# Added by Lib/socket.py only where the socket object has sendmsg().
_FD_PASSING = ("send_fds", "recv_fds")

# sockcffi's own public names beyond the stdlib's (listed in the README).
EXTRAS = ("patch", "unpatch")


def stdlib_names():
    """The names the running interpreter's ``socket.__all__`` holds, or
    None when the interpreter has no ``_socket`` module."""
    try:
        import _socket
    except ImportError:
        return None
    names = [n for n in dir(_socket) if not n.startswith("_")]
    names.extend(_PYTHON_LAYER)
    if hasattr(_socket.socket, "sendmsg"):
        names.extend(_FD_PASSING)
    if sys.platform == "win32":                    # pragma: no cover
        names.append("fromshare")
    return names


def public_names(namespace):
    """``__all__`` for the package whose globals are ``namespace``."""
    names = stdlib_names()
    if names is None:
        # No _socket to follow (no known interpreter): every public name.
        names = [n for n in namespace if not n.startswith("_")]
    chosen = {n for n in names
              if n in namespace and type(namespace[n]) is not type(sys)}
    chosen.update(n for n in EXTRAS if n in namespace)
    return sorted(chosen)
