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
from ._enumtable import ENUMS

try:
    import _socket as _stdlib_socket
except ImportError:
    _stdlib_socket = None

# Legacy synonyms that must not win the canonical name for their value.
_SYNONYMS = frozenset({"AF_FILE", "AF_LOCAL", "AF_ROUTE", "MSG_TRYHARD"})

# (enum name, base, prefix, anchor whose defining header selects members)
_SPECS = [(name, {"IntEnum": IntEnum, "IntFlag": IntFlag}[base], prefix,
           anchor) for name, base, prefix, anchor in ENUMS]


def _stdlib_members():
    """{prefix: [(name, value)]}: the names the stdlib's _socket has for
    each enum's prefix that this build defines.  One walk over _socket's
    few hundred names, not one over this build's thousand-odd constants
    per enum: on PyPy, cold loops are what import time is made of."""
    found = {prefix: [] for _, _, prefix, _ in _SPECS}
    for name in dir(_stdlib_socket):
        members = found.get(name[:name.find("_") + 1])
        if members is not None and name.isupper() and constants.defined(name):
            members.append((name, constants.value(name)))
    return found


def _header_members(prefix, anchor):
    """Without _socket: the constants of ``prefix`` defined in the header
    that defines ``anchor``."""
    records = {c.name: c for c in constants.with_prefix(prefix)}
    header = records[anchor].header
    return [(c.name, c.value) for c in records.values()
            if c.name.isupper() and c.header == header]


def _canonical_first(members):
    # By value, the POSIX name before a legacy synonym of the same value.
    chosen = sorted((value, name in _SYNONYMS, name)
                    for name, value in members)
    return [(name, value) for value, _, name in chosen]


def _build():
    made = {}
    stdlib = _stdlib_members() if _stdlib_socket is not None else None
    for name, base, prefix, anchor in _SPECS:
        if not constants.defined(anchor):
            continue
        if stdlib is not None:
            members = stdlib[prefix]
        else:
            members = _header_members(prefix, anchor)
        made[name] = base(name, _canonical_first(members), module="sockcffi")
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
