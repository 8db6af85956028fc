"""Render ``sockcffi/_header_constants.pyi``, the typing stub of the
constants, from the same probe results the cdef is rendered from.

The enums' members follow sockcffi/enums.py's rule, decided here with the
build interpreter: the names its C ``_socket`` module has, or without one
the names defined in the header of the enum's anchor.
"""
import os
import runpy
from types import SimpleNamespace
from typing import List, Sequence

from .probe import Constant
from .bindings import bluetooth as _bluetooth
from .render import _environment

FILENAME = "_header_constants.pyi"

# (enum, base, prefix, anchor): sockcffi/_enumtable.py, the table
# sockcffi.enums builds the enums from (read by path: the package cannot
# be imported before it is built).
ENUMS = runpy.run_path(os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "sockcffi", "_enumtable.py"))["ENUMS"]


def _stdlib_names():
    try:
        import _socket
    except ImportError:
        return None
    return set(dir(_socket))


def render_stub(headers: Sequence[str], constants: List[Constant]) -> str:
    constants = sorted(constants, key=lambda c: c.name)
    by_name = {c.name: c for c in constants}
    stdlib = _stdlib_names()
    enums, member_of = [], {}
    for name, base, prefix, anchor in ENUMS:
        if anchor not in by_name:
            continue
        members = [c.name for c in constants
                   if c.name.startswith(prefix) and c.name.isupper()
                   and (c.name in stdlib if stdlib is not None
                        else c.header == by_name[anchor].header)]
        enums.append(SimpleNamespace(name=name, base=base, members=members))
        member_of.update((m, name) for m in members)
    text = []
    # The named Bluetooth addresses exist where the BlueZ binding is built.
    if set(_bluetooth.HEADERS) <= set(headers) and "AF_BLUETOOTH" in by_name:
        text = ["BDADDR_ANY", "BDADDR_LOCAL"]
    return _environment().get_template("constants.pyi.j2").render(
        enums=enums, text_constants=text,
        constants=[SimpleNamespace(name=c.name, enum=member_of.get(c.name))
                   for c in constants])


def write(headers: Sequence[str], constants: List[Constant],
          package_dir: str) -> str:
    """Write the stub into ``package_dir``; returns its path."""
    path = os.path.join(package_dir, FILENAME)
    text = render_stub(headers, constants)
    with open(path, "w") as f:
        f.write(text)
    return path
