"""What a test run left outside its temporary folders.

    python tools/stray_files.py snapshot STATE --repo DIR [--cwd DIR]
    (run the tests)
    python tools/stray_files.py check STATE

``snapshot`` records the entries at the top of ``/`` and of ``/tmp``, every
file under the repository (its ``.git`` and the virtual environments
aside) and, with ``--cwd``, the folder the tests run from.  ``check`` lists
every entry that is there now and was not then, and exits 1 if there is
any: a test that binds a relative AF_UNIX path, writes into the repository
or leaves a folder in ``/tmp`` shows up here, on the first run of a new
machine as on every later one.  pytest's own temporary root
(``/tmp/pytest-of-USER``) is the one entry a run may add.

Files are compared by path only; a test that rewrites a file that was
already there is for ``git status`` to show.
"""
import argparse
import fnmatch
import json
import os
import sys

# Made by pytest for tmp_path and tmp_path_factory, pruned by pytest itself.
ALLOWED = ("/tmp/pytest-of-*",)
# The virtual environments the test command makes (and git ignores).
SKIPPED_IN_REPO = (".git", ".venv*")


def _top(folder):
    try:
        return sorted(os.path.join(folder, n) for n in os.listdir(folder))
    except FileNotFoundError:
        return []


def _tree(root):
    found = []
    for folder, dirs, files in os.walk(root):
        if folder == root:
            dirs[:] = [d for d in dirs if not any(
                fnmatch.fnmatch(d, p) for p in SKIPPED_IN_REPO)]
        found.extend(os.path.join(folder, n) for n in dirs + files)
    return sorted(found)


def entries(repo, cwd):
    paths = _top("/") + _top("/tmp") + _tree(repo)
    if cwd:
        paths += _tree(cwd)
    return paths


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("state")
    snap.add_argument("--repo", required=True)
    snap.add_argument("--cwd")
    check = sub.add_parser("check")
    check.add_argument("state")
    args = p.parse_args(argv)
    if args.command == "snapshot":
        repo = os.path.abspath(args.repo)
        cwd = os.path.abspath(args.cwd) if args.cwd else None
        with open(args.state, "w") as f:
            json.dump({"repo": repo, "cwd": cwd,
                       "paths": entries(repo, cwd)}, f)
        return 0
    with open(args.state) as f:
        state = json.load(f)
    before = set(state["paths"])
    new = [path for path in entries(state["repo"], state["cwd"])
           if path not in before
           and not any(fnmatch.fnmatch(path, p) for p in ALLOWED)]
    # A new folder's contents are one finding, not one per file.
    new = [path for path in new
           if not any(path.startswith(other + os.sep) for other in new)]
    for path in new:
        print("stray: %r" % path)
    if new:
        print("%d entr%s made outside temporary folders"
              % (len(new), "y" if len(new) == 1 else "ies"))
        return 1
    print("no stray files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
