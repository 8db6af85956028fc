"""Render the cffi cdef and C source from the probe's findings (jinja2)."""
import os
from types import SimpleNamespace
from typing import List, Sequence

import jinja2

from . import bindings, catalogue
from .probe import Constant

_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)


def usable_bindings(headers: Sequence[str]):
    """The binding modules whose headers are all present, in MODULES order."""
    chosen = []
    for name, module in zip(bindings.MODULES, bindings.load()):
        if all(h in headers for h in module.HEADERS):
            chosen.append(SimpleNamespace(
                name=name, TYPES=module.TYPES, FUNCTIONS=module.FUNCTIONS,
                CUSTOMIZATIONS=module.CUSTOMIZATIONS))
    return chosen


def render(headers: Sequence[str], constants: List[Constant], stamp: str):
    """Return (cdef, source) as strings; output is sorted and stable."""
    env = _environment()
    constants = sorted(constants, key=lambda c: c.name)
    context = dict(
        prelude=catalogue.PRELUDE,
        headers=list(headers),
        constants=constants,
        aliases=[c for c in constants if c.source == "alias"],
        compat=[c for c in constants if c.source == "compat"],
        bindings=usable_bindings(headers),
        stamp=stamp,
    )
    cdef = env.get_template("cdef.h.j2").render(**context)
    source = env.get_template("source.c.j2").render(**context)
    return cdef, source
