"""AddressFamily, SocketKind, MsgFlag and AddressInfo, as in the stdlib.

Members are the constants of the matching prefix that the headers define
alongside the stdlib's anchor name (SOCK_STREAM's header holds the socket
types, not the SOCK_*_LOCK flags that share the prefix).  When two names share
a value the POSIX name is the canonical member and the other an alias, so
``repr(AF_UNIX)`` is ``<AddressFamily.AF_UNIX: 1>`` as in the stdlib.
"""
from enum import IntEnum, IntFlag

from . import constants

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
    header = records[anchor].header
    chosen = sorted((c.value, c.name in _SYNONYMS, c.name)
                    for c in records.values() if c.header == header)
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
__all__ = sorted(_enums)


def _intenum_converter(value, enum_klass):
    """``enum_klass(value)``, or the plain int if it is not a member."""
    try:
        return enum_klass(value)
    except ValueError:
        return value
