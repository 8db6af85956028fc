"""The build stamp: a digest of everything the build consumed.

``build_ffi.py`` compiles the stamp into the module and ``_binding`` checks
it at import, so a compiled module built from other sources is refused.  The
stamp is derived, never bumped by hand: the package version and the SHA-256
of every file under ``gen/`` (probe, catalogue, renderer, templates,
bindings) and of ``build_ffi.py``.

Where the check can recompute it: only a source tree has ``gen/``, and a
source tree is where a stale module can be picked up (``python build_ffi.py``
and editable installs compile in place; editing a binding afterwards leaves
the old module next to the new sources).  An installed package gets its
compiled module and its Python files from one wheel, so there the stamp's
version part is what can disagree (a module copied from another release).

This module imports nothing from sockcffi: ``build_ffi.py`` loads it by path.
"""
import os

# Files under gen/ that are build inputs.
_SUFFIXES = (".py", ".j2")


def build_inputs(root):
    """The build's input files, as sorted paths relative to ``root``."""
    found = ["build_ffi.py"]
    for folder, dirs, files in os.walk(os.path.join(root, "gen")):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(_SUFFIXES):
                path = os.path.join(folder, name)
                found.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return sorted(found)


def digest(root):
    """SHA-256 over the inputs' relative paths and contents (16 hex digits)."""
    import hashlib   # here: an installed package never needs it at import
    h = hashlib.sha256()
    for rel in build_inputs(root):
        with open(os.path.join(root, rel), "rb") as f:
            data = f.read()
        h.update(b"%s\0%d\0" % (rel.encode("utf-8"), len(data)))
        h.update(data)
    return h.hexdigest()[:16]


def stamp(root, version):
    """The stamp a module built from the sources at ``root`` carries."""
    return "sockcffi %s inputs %s" % (version, digest(root))


def version_of(stamp_text):
    """The version part of a stamp ('' when it is not one of ours)."""
    parts = stamp_text.split()
    return parts[1] if len(parts) == 4 and parts[0] == "sockcffi" else ""


def source_root(package_dir):
    """The source tree holding ``package_dir``, or None when installed."""
    root = os.path.dirname(os.path.abspath(package_dir))
    if os.path.isfile(os.path.join(root, "build_ffi.py")) and \
            os.path.isdir(os.path.join(root, "gen", "bindings")):
        return root
    return None
