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
from typing import Dict, Iterator, List, NamedTuple, Optional

from ._binding import ffi, lib


class Constant(NamedTuple):
    name: str
    value: int
    group: str
    level: Optional[str]   # getsockopt level of an option, else None
    header: str            # file that defines it ('' for compat entries)
    via: str               # catalogue header that brought it in
    source: str            # 'header', 'alias' or 'compat'


def _parse() -> Dict[str, Constant]:
    text = ffi.string(lib.sockcffi_catalogue()).decode("ascii")
    records = {}
    for line in text.splitlines():
        name, group, level, header, via, source = line.split("\t")
        records[name] = Constant(name, getattr(lib, name), group,
                                 level or None, header, via, source)
    return records


_records: Optional[Dict[str, Constant]] = None


def records() -> Dict[str, Constant]:
    """All constants by name (parsed once, on first use)."""
    global _records
    if _records is None:
        _records = _parse()
    return _records


def names() -> List[str]:
    """The constant names, sorted, without parsing the whole catalogue."""
    text = ffi.string(lib.sockcffi_catalogue()).decode("ascii")
    return [line[:line.index("\t")] for line in text.splitlines()]


def lookup(name: str) -> Constant:
    """The record of ``name``; KeyError if this build has no such constant."""
    return records()[name]


def groups() -> List[str]:
    return sorted({c.group for c in records().values()})


def levels() -> List[str]:
    return sorted({c.level for c in records().values() if c.level})


def in_group(group: str) -> Iterator[Constant]:
    """The constants of ``group`` in name order; KeyError if unknown."""
    if group not in groups():
        raise KeyError(group)
    return (c for c in records().values() if c.group == group)


def at_level(level: str) -> Iterator[Constant]:
    """The options of ``level`` (e.g. 'SOL_SOCKET') in name order."""
    if level not in levels():
        raise KeyError(level)
    return (c for c in records().values() if c.level == level)


def by_value(value: int, level: Optional[str] = None,
             group: Optional[str] = None) -> List[Constant]:
    """Reverse lookup: the constants equal to ``value``, optionally
    restricted to the options of one level or to one group."""
    return [c for c in records().values()
            if c.value == value
            and (level is None or c.level == level)
            and (group is None or c.group == group)]
