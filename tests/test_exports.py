"""``sockcffi.__all__`` and ``from sockcffi import *`` against the stdlib."""
import socket
import types

import sockcffi
from sockcffi import _exports

# The stdlib names sockcffi cannot have: CAPI is the capsule of CPython's C
# socket type, which sockcffi does not use (see the README).
NOT_IN_SOCKCFFI = {"CAPI"}


def test_stdlib_names_are_the_stdlibs_all():
    assert sorted(_exports.stdlib_names()) == sorted(socket.__all__)


def test_all_is_the_stdlibs_plus_the_documented_extras():
    expected = (set(socket.__all__) - NOT_IN_SOCKCFFI) | set(_exports.EXTRAS)
    assert set(sockcffi.__all__) == expected
    assert len(sockcffi.__all__) == len(set(sockcffi.__all__))


def test_every_exported_name_exists_and_none_is_a_module():
    for name in sockcffi.__all__:
        value = getattr(sockcffi, name)
        assert not isinstance(value, types.ModuleType), name


def test_header_only_constants_are_attributes_but_not_exported():
    extra = [n for n in sockcffi.constants.names() if not hasattr(socket, n)]
    assert extra                        # this build has some
    for name in extra:
        assert hasattr(sockcffi, name)
        assert name not in sockcffi.__all__


def _star(module_name):
    namespace = {}
    exec("from %s import *" % module_name, namespace)
    namespace.pop("__builtins__")
    return namespace


def test_star_import_gives_what_the_stdlib_star_import_gives():
    ours = _star("sockcffi")
    theirs = _star("socket")
    assert set(ours) == ((set(theirs) - NOT_IN_SOCKCFFI)
                         | set(_exports.EXTRAS))
    for name, value in theirs.items():
        if isinstance(value, int) and name not in NOT_IN_SOCKCFFI:
            assert ours[name] == value, name
            # Enum members stay enum members, plain ints plain ints.
            assert type(ours[name]).__name__ == type(value).__name__, name
    for name in ("error", "gaierror", "herror", "timeout"):
        assert ours[name] is theirs[name]
