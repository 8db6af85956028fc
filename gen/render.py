"""Render the cffi cdef and C source from the probe's findings (jinja2)."""
import os
from types import SimpleNamespace
from typing import List, Sequence

import jinja2

from . import bindings, catalogue
from .bindings import BindingError
from .probe import Constant

_TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False)


def usable_bindings(headers: Sequence[str]):
    """The binding modules whose headers are all present, in MODULES order.

    Raises BindingError when a binding names a header the catalogue does not
    probe (it could never be found), or when a REQUIRED binding's headers are
    missing.
    """
    known = {h.path for h in catalogue.HEADERS}
    chosen = []
    for name, module in zip(bindings.MODULES, bindings.load()):
        unknown = [h for h in module.HEADERS if h not in known]
        if unknown:
            raise BindingError(
                "gen/bindings/%s.py needs <%s>, which gen/catalogue.py does "
                "not list in HEADERS" % (name, unknown[0]))
        missing = [h for h in module.HEADERS if h not in headers]
        if missing and name in bindings.REQUIRED:
            raise BindingError(
                "the C library headers lack <%s>, which the %s binding needs "
                "and the socket layer always uses; install them (Debian/"
                "Ubuntu: apt-get install libc6-dev linux-libc-dev)"
                % (missing[0], name))
        if not missing:
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
