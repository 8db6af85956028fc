"""The package namespace is the same whether its lazy parts are loaded or not.

``import sockcffi`` binds the header constants and a few submodules on first
use (sockcffi/__init__.py); these tests check, each in a fresh interpreter,
that ``dir()``, ``hasattr``, ``getattr``, ``__all__`` and ``from sockcffi
import *`` answer before that as they do after everything is loaded, and
that the import leaves the deferred parts unloaded.
"""

from sockhelpers import run_child_json


def run_child(body):
    """Run ``body`` in a fresh interpreter; the JSON it prints last."""
    return run_child_json(body, 120)


# What a name's value is, comparable across processes: enum members and
# ints by type and value, anything else by type and qualified name.
DESCRIBE = """
import json, types
def describe(value):
    if isinstance(value, int):
        return [type(value).__name__, int(value)]
    if isinstance(value, types.ModuleType):
        return ["module", value.__name__]
    return [type(value).__name__,
            getattr(value, "__qualname__", repr(type(value)))]
"""


def test_lazy_and_loaded_namespaces_are_the_same():
    got = run_child(DESCRIBE + """
import sockcffi
public = lambda names: sorted(n for n in names if not n.startswith("_"))
fresh_dir = public(dir(sockcffi))           # dir() binds nothing
lazy = {n: describe(getattr(sockcffi, n)) for n in fresh_dir}
all_first = list(sockcffi.__all__)
# Everything is loaded now: every public name is a real module attribute.
loaded = {n: describe(v) for n, v in vars(sockcffi).items()
          if not n.startswith("_")}
print(json.dumps({"fresh_dir": fresh_dir, "lazy": lazy, "loaded": loaded,
                  "loaded_dir": public(dir(sockcffi)),
                  "all": all_first,
                  "names": sockcffi.constants.names()}))
""")
    assert got["fresh_dir"] == got["loaded_dir"]
    assert got["lazy"] == got["loaded"]
    assert set(got["names"]) <= set(got["fresh_dir"])
    assert set(got["all"]) <= set(got["fresh_dir"])


def test_all_and_star_import_before_any_attribute_is_used():
    # Each child starts fresh: __all__ (and so the star import) must not
    # depend on which names were touched before.
    star = run_child(DESCRIBE + """
namespace = {}
exec("from sockcffi import *", namespace)
namespace.pop("__builtins__")
print(json.dumps({n: describe(v) for n, v in namespace.items()}))
""")
    loaded = run_child(DESCRIBE + """
import sockcffi
for name in dir(sockcffi):
    getattr(sockcffi, name)
print(json.dumps({n: describe(getattr(sockcffi, n))
                  for n in sockcffi.__all__}))
""")
    assert star == loaded


def test_hasattr_answers_for_every_constant_in_a_fresh_process():
    got = run_child("""
import json, sockcffi
names = sockcffi.constants.names()
values = sockcffi.constants.values()
missing = [n for n in names if not hasattr(sockcffi, n)]
wrong = [n for n in names if getattr(sockcffi, n) != values[n]]
absent = [hasattr(sockcffi, n) for n in ("NOT_A_CONSTANT", "AF_NOSUCH")]
print(json.dumps([missing, wrong, absent]))
""")
    assert got == [[], [], [False, False]]


def test_enum_members_are_bound_at_import():
    got = run_child("""
import json, socket, sockcffi
bound = vars(sockcffi)
print(json.dumps([type(bound.get("AF_INET")).__name__,
                  type(bound.get("SOCK_STREAM")).__name__,
                  sockcffi.has_ipv6 == hasattr(sockcffi, "AF_INET6")]))
""")
    assert got == ["AddressFamily", "SocketKind", True]


def test_import_leaves_the_deferred_parts_unloaded():
    got = run_child("""
import sys
import sockcffi
sockcffi.socket().close()
deferred = ["sockcffi." + m for m in ("patching", "interop", "socketio",
            "batch", "afalg", "records", "inspector", "tls", "options",
            "cmsg")]
loaded = [m for m in deferred if m in sys.modules]
pypy = sys.implementation.name == "pypy"
result = [loaded, pypy and "cpyext" in sys.modules,
          pypy and "collections" in sys.modules]
import json         # only now: json itself imports collections
print(json.dumps(result))
""")
    # cpyext: PyPy's C-API layer, which a cffi module does not need.
    assert got == [[], False, False]


def test_first_use_binds_the_same_objects():
    got = run_child("""
import json, sockcffi
from sockcffi import patch
import sockcffi.patching as patching, sockcffi.socketio as socketio
print(json.dumps([patch is patching.patch,
                  sockcffi.unpatch is patching.unpatch,
                  sockcffi.SocketIO is socketio.SocketIO,
                  sockcffi.interop.__name__]))
""")
    assert got == [True, True, True, "sockcffi.interop"]


def test_the_names_list_and_the_records_agree():
    # Two strings compiled from one list (gen/templates/source.c.j2): the
    # names alone, read at import, and the full lines of the records.
    import sockcffi
    records = sockcffi.constants.records()
    assert sockcffi.constants.names() == list(records)
    assert all(sockcffi.constants.value(n) == r.value
               for n, r in records.items())
    assert sockcffi.constants.defined("SO_REUSEADDR")
    assert not sockcffi.constants.defined("NOT_A_CONSTANT")


def test_optional_methods_are_the_modules_functions_from_first_lookup():
    got = run_child("""
import json, sys
import sockcffi
home = {"recvmmsg": "batch", "sendmmsg": "batch", "sendmsg_afalg": "afalg"}
s = sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM)
checks = {}
for name in [n for n in home if n in dir(sockcffi.socket)]:
    bound = getattr(s, name)            # the first lookup loads the module
    function = getattr(sys.modules["sockcffi." + home[name]], name)
    checks[name] = [bound.__func__ is function,
                    getattr(sockcffi.SocketType, name) is function]
checks["absent"] = [n for n in home if not hasattr(s, n)]
s.close()
print(json.dumps(checks))
""")
    absent = got.pop("absent")
    assert set(got) | set(absent) == {"recvmmsg", "sendmmsg", "sendmsg_afalg"}
    assert all(all(v) for v in got.values()), got
