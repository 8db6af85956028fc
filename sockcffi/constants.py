"""The socket constants compiled into sockcffi, with where each comes from.

Every integer constant the build machine's headers define for the catalogue
groups (gen/catalogue.py) is a module attribute of ``sockcffi``; this module
answers questions about them::

    >>> from sockcffi import constants
    >>> constants.lookup("SO_REUSEPORT").level
    'SOL_SOCKET'
    >>> [c.name for c in constants.by_value(15, level="SOL_SOCKET")]
    ['SO_REUSEPORT']
    >>> [c.name for c in constants.select(["so_reuse*"],
    ...                                   levels=["SOL_SOCKET"])]
    ['SO_REUSEADDR', 'SO_REUSEPORT']
"""
from ._binding import ffi, lib

# The names, sorted: all ``import sockcffi`` needs to know its attributes
# (see gen/templates/source.c.j2).
_NAMES = ffi.string(lib.sockcffi_constant_names()).decode("ascii").split()
_NAME_SET = set(_NAMES)
# What the build's probe found, one tab-separated line per constant in the
# same order, with the fields of ``Constant`` but its value: read when the
# records are first asked for.
_text = None

_records = None
_record_class = None


def _constant_class():
    # Made on first use: it needs collections, which ``import sockcffi``
    # otherwise does without on PyPy.  (collections.namedtuple, not
    # typing.NamedTuple: importing typing would double the import time.)
    global _record_class
    if _record_class is None:
        from collections import namedtuple
        # name, value, group; level: the getsockopt level of an option,
        # else None; header: the file that defines it ('' for compat
        # entries); via: the catalogue header that brought it in; source:
        # 'header', 'alias', 'compat'.
        _record_class = namedtuple("Constant",
                                   "name value group level header via source")
        _record_class.__module__ = __name__
    return _record_class


def __getattr__(name):
    if name == "Constant":      # the record class, ``constants.Constant``
        return _constant_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | {"Constant"})


def _lines():
    global _text
    if _text is None:
        _text = ffi.string(lib.sockcffi_found_constants()).decode("ascii")
    return _text.splitlines()


def _parse(line):
    name, group, level, header, via, source = line.split("\t")
    return _constant_class()(name, getattr(lib, name), group, level or None,
                             header, via, source)


def records():
    """All constants by name, as ``Constant`` records (built on first use)."""
    global _records
    if _records is None:
        _records = {r.name: r for r in map(_parse, _lines())}
    return _records


def names():
    """The constant names, sorted."""
    return list(_NAMES)


def defined(name):
    """Whether this build has the constant ``name``."""
    return name in _NAME_SET


def value(name):
    """The value of the constant ``name``; KeyError if this build has none."""
    if name not in _NAME_SET:
        raise KeyError(name)
    return getattr(lib, name)


def values():
    """{name: value} for every constant, without building the records."""
    return {name: getattr(lib, name) for name in _NAMES}


def with_prefix(prefix):
    """The records of the names starting with ``prefix`` (only those lines
    are parsed when the records are not built yet)."""
    if _records is not None:
        return [r for r in _records.values() if r.name.startswith(prefix)]
    return [_parse(line) for line in _lines() if line.startswith(prefix)]


def lookup(name):
    """The record of ``name``; KeyError if this build has no such constant."""
    return records()[name]


def groups():
    return sorted({c.group for c in records().values()})


def levels():
    return sorted({c.level for c in records().values() if c.level})


# A pattern holding any of these is a regular expression, not a glob: no
# constant name contains them, and a glob never needs them.
_REGEX_ONLY = frozenset(".^$+(){}|\\")


def name_filter(patterns=(), regex=False):
    """A predicate on names: true when any pattern matches (all names when
    there is none).  A pattern is a shell-style glob matched against the
    whole name, or, with ``regex`` or when it holds one of
    ``. ^ $ + ( ) { } | \\``, a regular expression searched in the name;
    case is ignored.  ValueError for a bad regular expression."""
    import fnmatch
    import re
    tests = []
    for pattern in patterns or ():
        if regex or any(ch in _REGEX_ONLY for ch in pattern):
            try:
                tests.append(re.compile(pattern, re.IGNORECASE).search)
            except re.error as e:
                raise ValueError("bad regular expression %r: %s"
                                 % (pattern, e))
        else:
            glob = pattern.upper()
            tests.append(lambda name, g=glob: fnmatch.fnmatchcase(name, g))
    if not tests:
        return lambda name: True
    return lambda name: any(test(name) for test in tests)


def select(patterns=(), groups=(), levels=(), value=None, regex=False,
           among=None):
    """The constants meeting every given criterion, in name order.

    ``patterns``: see ``name_filter``.  ``groups``, ``levels``: group names
    and getsockopt levels (e.g. 'SOL_SOCKET'), any of which may match.
    ``value``: the constant's value.  ``among``: the {name: Constant} to
    select from, by default this build's ``records()`` (the inspector
    passes another target's).  KeyError for a group or level the records
    do not have, ValueError for a bad regular expression.
    """
    among = records() if among is None else among
    groups, levels = set(groups or ()), set(levels or ())
    known_groups = {c.group for c in among.values()}
    known_levels = {c.level for c in among.values() if c.level}
    for group in groups:
        if group not in known_groups:
            raise KeyError(group)
    for level in levels:
        if level not in known_levels:
            raise KeyError(level)
    match = name_filter(patterns, regex)
    return [c for name, c in sorted(among.items())
            if (value is None or c.value == value)
            and (not groups or c.group in groups)
            and (not levels or c.level in levels)
            and match(name)]


def in_group(group):
    """The constants of ``group`` in name order; KeyError if unknown."""
    return iter(select(groups=[group]))


def at_level(level):
    """The options of ``level`` (e.g. 'SOL_SOCKET') in name order."""
    return iter(select(levels=[level]))


def by_value(value, level=None, group=None):
    """Reverse lookup: the constants equal to ``value``, optionally
    restricted to the options of one level or to one group."""
    try:
        return select(groups=[group] if group is not None else (),
                      levels=[level] if level is not None else (),
                      value=value)
    except KeyError:    # a level or group this build lacks has no constants
        return []
