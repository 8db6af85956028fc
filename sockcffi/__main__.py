"""``python -m sockcffi``: the inspector (see sockcffi.inspector), and
``python -m sockcffi run script.py|-m module [args]`` (sockcffi.runner).

``main`` is also the ``sockcffi`` console script's entry point.
"""
import sys


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["run"]:
        # Before anything else is imported: the program must find sockcffi
        # as its socket module from its first import on.
        from .runner import main as run
        return run(argv[1:])
    from .inspector import main as inspect
    return inspect(argv)


if __name__ == "__main__":
    sys.exit(main())
