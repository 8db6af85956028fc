"""``python -m sockcffi``: the inspector (see sockcffi.inspector).

``main`` is also the ``sockcffi`` console script's entry point.
"""
import sys

from .inspector import main

if __name__ == "__main__":
    sys.exit(main())
