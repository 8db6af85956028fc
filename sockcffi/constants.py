"""The socket constants compiled into sockcffi, with where each comes from.

Every integer constant the build machine's headers define for the catalogue
groups (gen/catalogue.py) is a module attribute of ``sockcffi``; this module
answers questions about them::

    >>> from sockcffi import constants
    >>> constants.lookup("SO_REUSEPORT").level
    'SOL_SOCKET'
    >>> [c.name for c in constants.by_value(15, level="SOL_SOCKET")]
    ['SO_REUSEPORT']
"""
from collections import namedtuple

from ._binding import ffi, lib

# name, value, group; level: the getsockopt level of an option, else None;
# header: the file that defines it ('' for compat entries); via: the
# catalogue header that brought it in; source: 'header', 'alias', 'compat'.
# (collections.namedtuple, not typing.NamedTuple: importing typing would
# double the package's import time.)
Constant = namedtuple("Constant",
                      "name value group level header via source")

# The catalogue is one tab-separated line per constant (see
# gen/templates/source.c.j2), sorted by name.
_LINES = ffi.string(lib.sockcffi_catalogue()).decode("ascii").splitlines()

_records = None


def _parse(line):
    name, group, level, header, via, source = line.split("\t")
    return Constant(name, getattr(lib, name), group, level or None, header,
                    via, source)


def records():
    """All constants by name, as ``Constant`` records (built on first use)."""
    global _records
    if _records is None:
        _records = {r.name: r for r in map(_parse, _LINES)}
    return _records


def names():
    """The constant names, sorted."""
    return [line[:line.index("\t")] for line in _LINES]


def values():
    """{name: value} for every constant, without building the records."""
    return {name: getattr(lib, name) for name in names()}


def with_prefix(prefix):
    """The records of the names starting with ``prefix`` (cheap: only those
    lines are parsed, which keeps the enums off the import-time budget)."""
    if _records is not None:
        return [r for r in _records.values() if r.name.startswith(prefix)]
    return [_parse(line) for line in _LINES if line.startswith(prefix)]


def lookup(name):
    """The record of ``name``; KeyError if this build has no such constant."""
    return records()[name]


def groups():
    return sorted({c.group for c in records().values()})


def levels():
    return sorted({c.level for c in records().values() if c.level})


def in_group(group):
    """The constants of ``group`` in name order; KeyError if unknown."""
    if group not in groups():
        raise KeyError(group)
    return (c for c in records().values() if c.group == group)


def at_level(level):
    """The options of ``level`` (e.g. 'SOL_SOCKET') in name order."""
    if level not in levels():
        raise KeyError(level)
    return (c for c in records().values() if c.level == level)


def by_value(value, level=None, group=None):
    """Reverse lookup: the constants equal to ``value``, optionally
    restricted to the options of one level or to one group."""
    return [c for c in records().values()
            if c.value == value
            and (level is None or c.level == level)
            and (group is None or c.group == group)]
