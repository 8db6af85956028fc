"""AddressFamily, SocketKind, MsgFlag and AddressInfo, as in the stdlib.

An enum's members are exactly those of the running interpreter's stdlib
(the names its C ``_socket`` module exports, all-uppercase names only), so
``AddressFamily(12)`` and ``sock.family`` for an unusual family behave as
they do with ``socket``;
the other constants of the prefix stay plain ints, still module attributes.
Without a C ``_socket`` the members are the constants defined in the same
header as the anchor name (SOCK_STREAM's header holds the socket types, not
the SOCK_*_LOCK flags that share the prefix).  When two names share a value
the POSIX name is the canonical member and the other an alias, so
``repr(AF_UNIX)`` is ``<AddressFamily.AF_UNIX: 1>`` as in the stdlib.
"""
from enum import IntEnum, IntFlag

from . import constants
from ._args import PLAIN_INT_CLASSES

try:
    import _socket as _stdlib_socket
except ImportError:
    _stdlib_socket = None

# Legacy synonyms that must not win the canonical name for their value.
_SYNONYMS = frozenset({"AF_FILE", "AF_LOCAL", "AF_ROUTE", "MSG_TRYHARD"})

# (enum name, base, prefix, anchor whose defining header selects members)
_SPECS = (
    ("AddressFamily", IntEnum, "AF_", "AF_INET"),
    ("SocketKind", IntEnum, "SOCK_", "SOCK_STREAM"),
    ("MsgFlag", IntFlag, "MSG_", "MSG_PEEK"),
    ("AddressInfo", IntFlag, "AI_", "AI_PASSIVE"),
)


def _members(records, anchor):
    if _stdlib_socket is not None:
        def member(c):
            return hasattr(_stdlib_socket, c.name)
    else:
        header = records[anchor].header

        def member(c):
            return c.header == header
    chosen = sorted((c.value, c.name in _SYNONYMS, c.name)
                    for c in records.values()
                    if c.name.isupper() and member(c))
    return [(name, value) for value, _, name in chosen]


def _build():
    made = {}
    for name, base, prefix, anchor in _SPECS:
        records = {c.name: c for c in constants.with_prefix(prefix)}
        if anchor in records:
            made[name] = base(name, _members(records, anchor),
                              module="sockcffi")
    return made


_enums = _build()
globals().update(_enums)
# Built here from enum's own classes: their members compare and convert
# as the ints they are.
PLAIN_INT_CLASSES.update(_enums.values())
__all__ = sorted(_enums)


def intenum_converter(value, enum_klass):
    """``enum_klass(value)``, or the plain int if it is not a member."""
    try:
        return enum_klass(value)
    except ValueError:
        return value
