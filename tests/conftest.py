"""Shared test setup.

The tests import the *installed* sockcffi (pytest runs with
``--import-mode=importlib``).  This folder goes first on ``sys.path`` for
the helpers module (``sockhelpers``); the repository root goes last, so that
``gen`` (the generator, which is never installed) can be imported while
``sockcffi`` still resolves to the installed, compiled package.
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
if ROOT not in sys.path:
    sys.path.append(ROOT)

from sockhelpers import MODULES  # noqa: E402


@pytest.fixture(params=sorted(MODULES))
def mod(request):
    """Each test runs once with the stdlib socket and once with sockcffi."""
    return MODULES[request.param]
