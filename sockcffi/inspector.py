"""``python -m sockcffi``: what does this platform (or another target) have,
and what does the stdlib ``socket`` module hide?

``sockcffi --help`` and ``sockcffi COMMAND --help`` are the reference for
the commands, their JSON records and exit statuses; ``build_parser`` holds
that text.  Selection is ``constants.select``; another target's constants
come from ``targets``.  The tool keeps its import light: ``json``, the stdlib
``socket`` module and the probe are imported only by the commands that need
them.
"""
import argparse
import os
import sys

from . import constants, option_probe
from ._binding import BUILD_STAMP
from ._firstuse import package as _package
from ._version import __version__

SCHEMA = 1
PROG = "sockcffi"
OUTSIDE = "(outside the catalogue)"


class UsageError(Exception):
    """Bad arguments or input: exit status 2, one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


class _Formatter(argparse.HelpFormatter):
    """Wraps descriptions and epilogs paragraph by paragraph."""

    def _fill_text(self, text, width, indent):
        import textwrap
        return "\n\n".join(
            textwrap.fill(" ".join(paragraph.split()), width,
                          initial_indent=indent, subsequent_indent=indent)
            for paragraph in text.split("\n\n"))


# ---------------------------------------------------------------------------
# selection


def _select(args, among=None, where="this build"):
    """The records chosen by the patterns, --group and --level (and the
    value of ``lookup``), by name; ``among`` as for constants.select."""
    groups = [g.lower() for g in getattr(args, "group", None) or ()]
    levels = [lv.upper() for lv in getattr(args, "level", None) or ()]
    value = _parse_int(args.value) if getattr(args, "value", None) else None
    try:
        return constants.select(getattr(args, "patterns", ()), groups,
                                levels, value, getattr(args, "regex", False),
                                among)
    except ValueError as e:
        raise UsageError(str(e))
    except KeyError as e:
        pool = among if among is not None else constants.records()
        key = e.args[0]
        if key in groups:
            known = sorted({c.group for c in pool.values()})
            raise UsageError("unknown group %r (%s has: %s)"
                             % (key, where, ", ".join(known)))
        known = sorted({c.level for c in pool.values() if c.level})
        raise UsageError("unknown level %r (%s has: %s)"
                         % (key, where, ", ".join(known)))


def _name_filter(args):
    try:
        return constants.name_filter(getattr(args, "patterns", ()),
                                     getattr(args, "regex", False))
    except ValueError as e:
        raise UsageError(str(e))


def _filters(args):
    return {
        "patterns": list(getattr(args, "patterns", None) or ()),
        "regex": bool(getattr(args, "regex", False)),
        "groups": list(getattr(args, "group", None) or ()),
        "levels": list(getattr(args, "level", None) or ()),
    }


def _parse_int(text):
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError("not an integer: %r (use decimal, 0x.., 0o.. or "
                         "0b..)" % text)


# ---------------------------------------------------------------------------
# output


def _hex(value):
    return hex(value)   # negative values come out as -0x..


def _record(c):
    return {"name": c.name, "value": c.value, "hex": _hex(c.value),
            "group": c.group, "level": c.level, "header": c.header,
            "via": c.via, "source": c.source,
            "from_header": c.source != "compat"}


def _header_cell(c):
    return c.header if c.source != "compat" else "(not from a header)"


def _envelope(command, args, records, **extra):
    uname = os.uname() if hasattr(os, "uname") else None
    doc = {
        "schema": SCHEMA,
        "tool": PROG,
        "command": command,
        "sockcffi": __version__,
        "build": BUILD_STAMP,
        "interpreter": {
            "implementation": sys.implementation.name,
            "version": "%d.%d.%d" % sys.version_info[:3],
            "executable": sys.executable,
        },
        "platform": {
            "sys_platform": sys.platform,
            "system": uname.sysname if uname else "",
            "release": uname.release if uname else "",
            "machine": uname.machine if uname else "",
        },
        "filters": _filters(args),
        "records": records,
    }
    doc.update(extra)
    return doc


def _emit_json(doc, out):
    import json
    json.dump(doc, out, indent=2, sort_keys=True)
    out.write("\n")


def _table(rows, out, header=None):
    rows = [[str(cell) for cell in row] for row in rows]
    if header:
        rows.insert(0, list(header))
    if not rows:
        return
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        line = "  ".join(cell.ljust(w) for cell, w in zip(row, widths))
        out.write(line.rstrip() + "\n")


def _constant_rows(records):
    return [(c.name, c.value, _hex(c.value), c.group, c.level or "-",
             _header_cell(c), c.via or "-", c.source) for c in records]


_CONSTANT_HEADER = ("NAME", "VALUE", "HEX", "GROUP", "LEVEL", "HEADER", "VIA",
                    "SOURCE")


# ---------------------------------------------------------------------------
# commands


def cmd_constants(args, out):
    if args.stdlib:
        return cmd_stdlib(args, out)
    chosen = _select(args)
    if args.json:
        _emit_json(_envelope("constants", args,
                             [_record(c) for c in chosen]), out)
    else:
        _table(_constant_rows(chosen), out, _CONSTANT_HEADER)
    return 0 if chosen else 1


# PyPy's _ssl sets OpenSSL's SSL_ERROR_* codes on the socket module once ssl
# is imported (a Python 2 legacy): they are not socket constants.
STDLIB_IGNORED_PREFIXES = ("SSL_ERROR_",)


def _stdlib_constants():
    """The uppercase integer constants of the stdlib socket module."""
    import socket
    # dir(), not vars(): once patched, ``socket`` is sockcffi, whose header
    # constants are bound on first use.
    values = {name: getattr(socket, name) for name in dir(socket)
              if name.isupper() and not name.startswith("_")
              and not name.startswith(STDLIB_IGNORED_PREFIXES)}
    return {name: int(value) for name, value in values.items()
            if isinstance(value, int) and not isinstance(value, bool)}


def cmd_stdlib(args, out):
    package = _package()

    def have(name):
        value = getattr(package, name, None)
        return int(value) if isinstance(value, int) else None

    return _stdlib_report(args, out, "stdlib", "sockcffi", _select(args),
                          have, lambda name: True)


def _stdlib_report(args, out, command, subject, chosen, have, considered,
                   **extra):
    """Compare ``chosen`` records with the stdlib socket module's names.

    ``have(name)``: the value ``subject`` has for a stdlib name, or None;
    ``considered(name)``: whether a stdlib name counts at all.  Exit status
    1 when the stdlib has names ``subject`` lacks, or (for sockcffi itself)
    other values.
    """
    match = _name_filter(args)
    stdlib = _stdlib_constants()
    only, by_group, rows = [], {}, []
    for c in chosen:
        if c.name not in stdlib:
            only.append(c)
            by_group.setdefault(c.group, []).append(c.name)
    lacking = sorted(n for n in stdlib if match(n) and considered(n)
                     and have(n) is None)
    chosen_names = {c.name for c in chosen}
    filtered = bool(getattr(args, "group", None) or getattr(args, "level",
                                                            None))
    mismatches = []
    for name in sorted(stdlib):
        if not match(name) or name in lacking or not considered(name):
            continue
        if filtered and name not in chosen_names:
            continue
        mine = have(name)
        if mine != stdlib[name]:
            mismatches.append((name, mine, stdlib[name]))
    group_of = {c.name: c.group for c in chosen}
    for c in only:
        rows.append({"name": c.name, "status": "sockcffi_only",
                     "group": c.group, "value": c.value,
                     "stdlib_value": None})
    for name in lacking:
        rows.append({"name": name, "status": "stdlib_only", "group": None,
                     "value": None, "stdlib_value": stdlib[name]})
    for name, mine, theirs in mismatches:
        rows.append({"name": name, "status": "mismatch",
                     "group": group_of.get(name), "value": mine,
                     "stdlib_value": theirs})
    rows.sort(key=lambda r: r["name"])
    status = 1 if lacking or (mismatches and command == "stdlib") else 0
    if args.json:
        _emit_json(_envelope(
            command, args, rows,
            sockcffi_only={g: sorted(v) for g, v in by_group.items()},
            stdlib_only=lacking,
            mismatches=[m[0] for m in mismatches], **extra), out)
        return status
    impl = "%s %d.%d" % ((sys.implementation.name,) + sys.version_info[:2])
    out.write("%s has %d names the %s socket module lacks:\n"
              % (subject, len(only), impl))
    for group in sorted(by_group):
        names = sorted(by_group[group])
        out.write("  %s (%d): %s\n" % (group, len(names), " ".join(names)))
    out.write("names the %s socket module has that %s lacks: %s\n"
              % (impl, subject, " ".join(lacking) if lacking else "none"))
    if mismatches:
        out.write("value mismatches (%s vs stdlib):\n" % subject)
        for name, mine, theirs in mismatches:
            out.write("  %s: %d (%s) vs %d (%s)\n"
                      % (name, mine, _hex(mine), theirs, _hex(theirs)))
    else:
        out.write("value mismatches: none\n")
    return status


def cmd_summary(args, out):
    stdlib = _stdlib_constants()
    package = _package()
    records = constants.records()
    counts = {}
    for c in records.values():
        row = counts.setdefault(c.group, [0, 0])
        row[0] += 1
        row[1] += c.name in stdlib
    outside = [n for n in stdlib if n not in records]
    rows = [{"group": g, "sockcffi": counts[g][0], "stdlib": counts[g][1]}
            for g in sorted(counts)]
    if outside:
        rows.append({"group": OUTSIDE,
                     "sockcffi": sum(isinstance(getattr(package, n, None),
                                                int) for n in outside),
                     "stdlib": len(outside)})
    totals = {"sockcffi": sum(r["sockcffi"] for r in rows),
              "stdlib": sum(r["stdlib"] for r in rows)}
    if args.json:
        _emit_json(_envelope("summary", args, rows, totals=totals), out)
        return 0
    _table([(r["group"], r["sockcffi"], r["stdlib"]) for r in rows]
           + [("total", totals["sockcffi"], totals["stdlib"])],
           out, ("GROUP", "SOCKCFFI", "STDLIB"))
    return 0


def cmd_lookup(args, out):
    value = _parse_int(args.value)
    found = _select(args)
    if args.json:
        _emit_json(_envelope("lookup", args, [_record(c) for c in found],
                             value=value), out)
    else:
        _table(_constant_rows(found), out, _CONSTANT_HEADER)
    return 0 if found else 1


def _chosen_levels(args):
    """The --level arguments (upper-cased), checked against this build."""
    _select(args)
    return [lv.upper() for lv in args.level or ()]


def cmd_collisions(args, out):
    levels = _chosen_levels(args)
    by_value = {}
    for c in _options(constants.levels()):
        by_value.setdefault(c.value, {}).setdefault(c.level, []).append(
                c.name)
    rows = []
    for value in sorted(by_value):
        per_level = by_value[value]
        if len(per_level) < 2:
            continue
        if levels and not all(lv in per_level for lv in levels):
            continue
        rows.append({"value": value, "hex": _hex(value),
                     "levels": {lv: sorted(n) for lv, n in
                                sorted(per_level.items())}})
    if args.json:
        _emit_json(_envelope("collisions", args, rows), out)
        return 0
    _table([(r["value"], r["hex"],
             " | ".join("%s: %s" % (lv, ", ".join(names))
                        for lv, names in r["levels"].items()))
            for r in rows], out, ("VALUE", "HEX", "NAMES BY LEVEL"))
    return 0


def _options(levels):
    """Socket options of the levels: records with a level, without the
    control-message types (SCM_*), which share SOL_SOCKET's numbers but are
    not options."""
    return [c for c in constants.select(levels=levels)
            if not c.name.startswith("SCM_")]


def _types(args, out):
    from . import options as typed
    levels = set(_chosen_levels(args) or constants.levels())
    rows = [{"level": level, "name": name, "ctype": ctype}
            for level, name, ctype in typed.types() if level in levels]
    if args.json:
        _emit_json(_envelope("options", args, rows), out)
    else:
        _table([(r["level"], r["name"], r["ctype"]) for r in rows], out,
               ("LEVEL", "OPTION", "C TYPE"))
    return 0


def cmd_options(args, out):
    if args.types:
        if args.probe:
            raise UsageError("--types and --probe are separate views")
        return _types(args, out)
    levels = _chosen_levels(args) or constants.levels()
    options = _options(levels)
    if not args.probe:
        if args.json:
            _emit_json(_envelope("options", args,
                                 [_record(c) for c in options]), out)
        else:
            _table(_constant_rows(options), out, _CONSTANT_HEADER)
        return 0
    records = constants.records()
    rows, sockets = [], {}
    for level in levels:
        sock, desc = option_probe.open_probe_socket(level)
        others, connected = [], False
        if sock is not None and level == "IPPROTO_TCP":
            others, connected = option_probe.connect_over_loopback(sock)
        sockets[level] = {"socket": desc if sock else None,
                          "reason": None if sock else desc}
        if connected:
            sockets[level]["connected"] = True
        try:
            for c in options:
                if c.level != level:
                    continue
                row = {"level": level, "name": c.name, "option": c.value}
                if sock is None:
                    row.update(accepted=None, value=None, bytes=None,
                               errno=None, ctype=None, decoded=None)
                else:
                    row.update(option_probe.probe_option(
                        sock, records[level].value, c.value))
                rows.append(row)
        finally:
            for other in others:
                other.close()
            if sock is not None:
                sock.close()
    texts = [r.pop("text", None) for r in rows]
    if args.json:
        _emit_json(_envelope("options", args, rows, sockets=sockets), out)
        return 0
    for level in levels:
        info = sockets[level]
        if info["socket"]:
            out.write("%s (probed on socket(%s)%s)\n"
                      % (level, info["socket"].replace("/", ", "),
                         ", connected over loopback"
                         if info.get("connected") else ""))
        else:
            out.write("%s: %s\n" % (level, info["reason"]))
            continue
        table = []
        for r, text in zip(rows, texts):
            if r["level"] != level:
                continue
            if r["accepted"] and text is not None:
                result = ("accepted", text)
            elif r["accepted"]:
                result = ("accepted", r["value"] if r["bytes"] is None else
                          "bytes[%d] %s" % (len(r["bytes"]) // 2, r["bytes"]))
            else:
                result = ("rejected", r["errno"])
            table.append(("  " + r["name"], r["option"]) + result)
        _table(table, out)
    return 0


def _load_dump(path):
    import json
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError("cannot read %s: %s" % (path, e))
    try:
        doc = json.loads(text)
    except ValueError as e:
        raise UsageError("%s is not valid JSON: %s" % (path, e))
    if not isinstance(doc, dict) or "schema" not in doc \
            or not isinstance(doc.get("records"), list):
        raise UsageError("%s is not a sockcffi --json dump (no schema or "
                         "records)" % path)
    if doc["schema"] != SCHEMA:
        raise UsageError("%s has schema %r; this sockcffi reads schema %d"
                         % (path, doc["schema"], SCHEMA))
    if doc.get("command") not in ("constants", "lookup", "options", "probe",
                                  None):
        raise UsageError("%s is a dump of %r, not of constants"
                         % (path, doc.get("command")))
    records = {}
    for rec in doc["records"]:
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str) \
                or not isinstance(rec.get("value"), int):
            raise UsageError("%s: a record without a name and an integer "
                             "value" % path)
        records[rec["name"]] = rec
    return doc, records


def _describe(doc, path):
    interp = doc.get("interpreter") or {}
    plat = doc.get("platform") or {}
    described = {"file": path, "sockcffi": doc.get("sockcffi"),
                 "interpreter": interp, "platform": plat}
    if isinstance(doc.get("target"), dict):
        described["target"] = doc["target"]
    return described


def _label(doc, path):
    target = doc.get("target")
    if isinstance(target, dict) and target.get("triple"):
        return "%s (%s)" % (path, target["triple"])
    return path


def cmd_diff(args, out):
    doc_a, a = _load_dump(args.a)
    doc_b, b = _load_dump(args.b)
    fields = ["value", "group", "level", "source"]
    if args.headers:
        fields += ["header", "via"]
    rows = []
    for name in sorted(set(a) | set(b)):
        group = (b.get(name) or a[name]).get("group")
        if name not in b:
            rows.append({"name": name, "group": group, "change": "removed",
                         "fields": [], "a": a[name], "b": None})
        elif name not in a:
            rows.append({"name": name, "group": group, "change": "added",
                         "fields": [], "a": None, "b": b[name]})
        else:
            changed = [f for f in fields if a[name].get(f) != b[name].get(f)]
            if changed:
                rows.append({"name": name, "group": group,
                             "change": "changed", "fields": changed,
                             "a": a[name], "b": b[name]})
    by_group = {}
    for r in rows:
        counts = by_group.setdefault(str(r["group"]), {
            "added": [], "removed": [], "changed": []})
        counts[r["change"]].append(r["name"])
    if args.json:
        _emit_json(_envelope("diff", args, rows,
                             a=_describe(doc_a, args.a),
                             b=_describe(doc_b, args.b),
                             groups=by_group), out)
        return 1 if rows else 0
    if rows:
        out.write("--- %s\n+++ %s\n" % (_label(doc_a, args.a),
                                          _label(doc_b, args.b)))
    for group in sorted(by_group):
        counts = by_group[group]
        out.write("@@ %s: %s\n" % (group, ", ".join(
            "%d %s" % (len(counts[k]), k)
            for k in ("added", "removed", "changed") if counts[k])))
        for r in rows:
            if str(r["group"]) != group:
                continue
            if r["change"] == "removed":
                out.write("- %s = %s\n" % (r["name"], r["a"]["value"]))
            elif r["change"] == "added":
                out.write("+ %s = %s\n" % (r["name"], r["b"]["value"]))
            else:
                out.write("~ %s: %s\n" % (r["name"], ", ".join(
                    "%s %s -> %s" % (f, r["a"].get(f), r["b"].get(f))
                    for f in r["fields"])))
    return 1 if rows else 0


def cmd_probe(args, out):
    from . import targets
    try:
        target = targets.resolve(args.target, args.cc, args.sysroot,
                                 args.include or ())
        records, description = targets.probe(target)
    except targets.TargetError as e:
        raise UsageError(str(e))
    where = "target %s" % description["triple"]
    chosen = _select(args, records, where)
    if args.stdlib:
        def have(name):
            return records[name].value if name in records else None
        return _stdlib_report(args, out, "probe", description["triple"],
                              chosen, have, targets.in_catalogue,
                              target=description)
    if args.json:
        _emit_json(_envelope("probe", args, [_record(c) for c in chosen],
                             target=description), out)
    else:
        libc, sdk = description["libc"], description.get("sdk")
        out.write("# %s: %s, %d-bit %s-endian; %s; %s%s; %s\n" % (
            description["triple"], description["machine"],
            description["bits"], description["byte_order"],
            description["compiler"]["version"],
            libc["name"] or "unknown libc",
            " " + libc["version"] if libc["version"] else "",
            "%s %s headers (_WIN32_WINNT %s)" % (
                sdk["name"], sdk["version"], sdk["win32_winnt"]) if sdk
            else "kernel headers %s" % (description["kernel_headers"]
                                        or "unknown")))
        _table(_constant_rows(chosen), out, _CONSTANT_HEADER)
    return 0 if chosen else 1


def cmd_matrix(args, out):
    from . import matrix, targets
    specs = [t.strip() for given in args.targets or ()
             for t in given.split(",") if t.strip()]
    if not specs and not args.dump:
        raise UsageError("matrix needs targets (--target, --targets) or "
                         "saved dumps (--dump)")
    try:
        columns, given = matrix.gather(specs, args.dump or (), _load_dump)
    except (targets.TargetError, ValueError) as e:
        raise UsageError(str(e))
    labels = [c.label for c in columns]
    missing_on = args.missing_on
    if missing_on is not None:
        missing_on = matrix.column_named(missing_on, labels, given)
        if missing_on is None:
            raise UsageError("--missing-on %s: not one of the columns (%s)"
                             % (args.missing_on, ", ".join(labels)))
    all_rows = matrix.rows(columns)
    known = {r["group"] for r in all_rows}
    for group in args.group or ():
        if group.lower() not in known:
            raise UsageError("unknown group %r (the targets have: %s)"
                             % (group, ", ".join(sorted(known))))
    chosen = matrix.select(all_rows, _name_filter(args), args.group or (),
                           args.level or (), args.only_differing, missing_on)
    doc = _envelope("matrix", args, chosen,
                    targets=[matrix.describe(c) for c in columns],
                    summary=matrix.summary(columns, all_rows),
                    only_differing=bool(args.only_differing),
                    missing_on=missing_on)
    text = matrix.render(doc, "json" if args.json else args.format,
                         args.hex)
    if not args.output:
        out.write(text)
    else:
        try:
            matrix.write_whole(args.output, text)
        except OSError as e:
            raise UsageError("cannot write %s: %s" % (args.output, e))
    return 0 if chosen else 1


# ---------------------------------------------------------------------------
# command line: the one reference for the commands (--help)

_EPILOG = """\
patterns: a shell-style glob matched against the whole name (SO_REUSE*),
unless --regex is given or the pattern holds one of . ^ $ + ( ) { } | \\
(no constant name does): then a regular expression searched in the name.
Case is ignored; several patterns select the names matching any of them;
--group and --level may be repeated and select any of the given ones.

--json (before or after the command) prints one object, keys sorted, stable
from run to run: {"schema": %d, "tool": "sockcffi", "command", "sockcffi"
(the version), "build" (the build stamp), "interpreter": {"implementation",
"version", "executable"}, "platform": {"sys_platform", "system", "release",
"machine"}, "filters": {"patterns", "regex", "groups", "levels"},
"records": [...]}; each command's --help describes its records.

exit status: 0 ok; 1 nothing matched (constants, lookup, probe, matrix), the
dumps differ (diff), or the stdlib has names or values that are lacking
(stdlib, --stdlib); 2 bad arguments or input, or a target that cannot be
probed (one line on stderr, starting 'sockcffi: error:').
""" % SCHEMA

_CONSTANT_RECORDS = """\
records (--json): {"name", "value" (int), "hex" ("-0x.." when negative),
"group", "level" (the getsockopt level of an option, or null), "header" (the
file that defines it; "" for compat), "via" (the catalogue header that
brought it in), "source" ("header"; "alias": the stdlib's spelling of a
header name; "compat": a value sockcffi supplies because the headers lack the
name, so not from a header), "from_header" (bool)}, sorted by name."""

_STDLIB_RECORDS = """\
records (--json): {"name", "status" ("sockcffi_only", "stdlib_only" or
"mismatch"), "group", "value", "stdlib_value"}, plus "sockcffi_only" (group
-> [names]), "stdlib_only" ([names]) and "mismatches" ([names]).  PyPy's
SSL_ERROR_* codes on the socket module are ignored, and so are errno's names
(EAGAIN...) when comparing a probed target."""


def _command(sub, name, summary, description, func, parents):
    p = sub.add_parser(name, help=summary, description=description,
                       parents=parents,
                       formatter_class=_Formatter)
    p.set_defaults(func=func)
    return p


def build_parser():
    # Each option is declared once, in a parent parser the commands share.
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true",
                         default=argparse.SUPPRESS,
                         help="print one JSON object (schema %d)" % SCHEMA)
    by_pattern = argparse.ArgumentParser(add_help=False)
    by_pattern.add_argument("patterns", nargs="*", metavar="PATTERN",
                            help="glob or regular expression on the name")
    by_pattern.add_argument("--regex", "-E", action="store_true",
                            help="treat every PATTERN as a regular "
                                 "expression")
    by_group = argparse.ArgumentParser(add_help=False)
    by_group.add_argument("--group", "-g", action="append", metavar="G",
                          help="only this catalogue group (repeatable)")
    by_level = argparse.ArgumentParser(add_help=False)
    by_level.add_argument("--level", "-l", action="append", metavar="L",
                          help="only options of this getsockopt level, "
                               "e.g. SOL_SOCKET (repeatable)")
    selection = [by_pattern, by_group, by_level]

    parser = _Parser(
        prog=PROG,
        description="What socket constants does this platform (or another "
                    "target) have, and what does Python's socket module "
                    "hide?",
        epilog=_EPILOG, formatter_class=_Formatter)
    parser.add_argument("--version", action="version",
                        version="sockcffi %s (%s)" % (__version__,
                                                      BUILD_STAMP))
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (schema %d)" % SCHEMA)
    parser.add_argument("--summary", action="store_true",
                        help="same as the 'summary' command")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = _command(
        sub, "constants", "list the constants (filters: PATTERN, --group, "
        "--level; --stdlib compares with the stdlib)",
        "The socket constants compiled into sockcffi: name, value (decimal "
        "and hex), group, getsockopt level, defining header, the catalogue "
        "header that brought it in, and source.\n\n" + _CONSTANT_RECORDS,
        cmd_constants, selection + [as_json])
    p.add_argument("--stdlib", action="store_true",
                   help="compare the selected names with the running "
                        "interpreter's socket module (as 'stdlib')")

    _command(
        sub, "stdlib", "compare with the running interpreter's socket "
        "module (exit 1 on lacking names or value mismatches)",
        "The names sockcffi has that the running interpreter's socket module "
        "lacks (by group), the uppercase integer constants of socket that "
        "sockcffi lacks, and the value mismatches; exit status 1 when "
        "anything is lacking or mismatched.\n\n" + _STDLIB_RECORDS,
        cmd_stdlib, selection + [as_json])

    _command(
        sub, "summary", "counts by group: sockcffi vs stdlib (also "
        "--summary)",
        "How many constants of each group sockcffi has and how many of them "
        "the running stdlib exposes, with totals.\n\nrecords (--json): "
        "{\"group\", \"sockcffi\", \"stdlib\"} (counts), plus \"totals\"; "
        "the group \"%s\" counts the socket module's constants that do not "
        "come from the catalogue (EAGAIN, EBADF, EWOULDBLOCK, from errno)."
        % OUTSIDE, cmd_summary, [as_json])

    p = _command(
        sub, "lookup", "reverse lookup of a value (decimal or 0x hex)",
        "Which names have this value (decimal, 0x hex, 0o octal or 0b "
        "binary), optionally among one level's options or one group.\n\n"
        + _CONSTANT_RECORDS, cmd_lookup, [by_group, by_level, as_json])
    p.add_argument("value", metavar="VALUE")

    _command(
        sub, "collisions", "option numbers shared across levels "
        "(SO_REUSEPORT == IP_FREEBIND == 15)",
        "Socket option numbers shared by options of different levels; with "
        "--level, only the numbers every given level uses.  Control-message "
        "types (SCM_*) share SOL_SOCKET but are not options, and are left "
        "out.\n\nrecords (--json): {\"value\", \"hex\", \"levels\": "
        "{level: [names]}}.", cmd_collisions, [by_level, as_json])

    p = _command(
        sub, "options", "the socket options; --probe asks the running "
        "kernel with getsockopt()",
        "The socket options (constants with a level, except the SCM_* "
        "control-message types).  With --probe, getsockopt() each on a "
        "fresh socket made with the stdlib socket module (the reliable "
        "reference; only the numbers come from sockcffi): accepted, with "
        "its default (an int, or the bytes when a 4-byte buffer gives "
        "EINVAL and a 256-byte one works), or rejected, with the errno "
        "name.\n\nrecords (--json): as 'constants' without --probe; with "
        "it {\"level\", \"name\", \"option\", \"accepted\" (bool, or null "
        "when no socket could be made), \"value\" (int or null), \"bytes\" "
        "(hex or null), \"errno\" (name or null)}, plus \"sockets\": "
        "{level: {\"socket\", \"reason\"}}.",
        cmd_options, [by_level, as_json])
    p.add_argument("--probe", action="store_true", help=(
        "getsockopt() each option on a fresh socket (made with the stdlib "
        "socket module); typed options decoded"))
    p.add_argument("--types", action="store_true",
                   help="the C type of each option sockcffi.options types")

    p = _command(
        sub, "probe", "the constants of another target, from its (cross) "
        "compiler, without running anything there",
        "Run sockcffi's catalogue and probe with a C compiler for TRIPLE "
        "(Debian: gcc-TRIPLE and libc6-dev-ARCH-cross; 'musl': musl-gcc "
        "from musl-tools; x86_64-w64-mingw32 or 'windows', i686-w64-mingw32: "
        "gcc-mingw-w64-x86-64 or -i686, whose Winsock headers are read) and "
        "report the same records as 'constants'.  Values come from an "
        "object file the compiler makes (ELF, or COFF for Windows), read "
        "back with its byte order and word size: no target code runs.  "
        "Without --target or --cc, the build's own compiler.  A missing "
        "compiler, unknown triple or missing headers: exit 2, one line."
        "\n\n"
        + _CONSTANT_RECORDS + "\nThe envelope adds \"target\": {\"triple\", "
        "\"compiler\": {\"command\", \"version\"}, \"system\" (\"linux\", "
        "\"windows\"), \"machine\", \"bits\", \"byte_order\", \"libc\": "
        "{\"name\", \"version\"} (Windows: the C runtime), "
        "\"kernel_headers\", \"sdk\" (Windows: {\"name\": \"mingw-w64\", "
        "\"version\", \"win32_winnt\"}, else null), \"include_dirs\", "
        "\"headers\"}.  With --stdlib, "
        "the records of 'stdlib' for the target.",
        cmd_probe, selection + [as_json])
    p.add_argument("--target", "-t", metavar="TRIPLE",
                   help="e.g. mips-linux-gnu, aarch64-linux-gnu, musl; "
                        "'native' or none: the build's compiler")
    p.add_argument("--cc", metavar="PATH",
                   help="the compiler (or wrapper) to run, with any flags "
                        "('clang --target=mips-linux-gnu'); the triple is "
                        "then a label, by default its -dumpmachine")
    p.add_argument("--sysroot", metavar="DIR",
                   help="passed to the compiler as --sysroot=DIR")
    p.add_argument("--include", "-I", action="append", metavar="DIR",
                   help="a header tree searched first, e.g. a kernel's "
                        "'make headers_install' output (repeatable)")
    p.add_argument("--stdlib", action="store_true",
                   help="which of the running stdlib socket module's names "
                        "the target lacks (as 'stdlib')")

    p = _command(
        sub, "diff", "compare two --json dumps of constants or probe, "
        "grouped by catalogue group (exit 1 when they differ)",
        "Compare two --json dumps of 'constants' or 'probe' (another "
        "machine's, another target's): names added, removed, or with a "
        "changed value, group, level or source (with --headers, header and "
        "via too), grouped by catalogue group.  Exit status 0 when "
        "identical, 1 when they differ, as diff(1).\n\nrecords (--json): "
        "{\"name\", \"group\", \"change\" (\"added\", \"removed\", "
        "\"changed\"), \"fields\" ([changed fields]), \"a\", \"b\" (the "
        "records or null)}, plus \"groups\" (group -> {\"added\", "
        "\"removed\", \"changed\": [names]}) and \"a\"/\"b\": the files, "
        "their interpreter, platform and target.", cmd_diff, [as_json])
    p.add_argument("a", metavar="A.json")
    p.add_argument("b", metavar="B.json")
    p.add_argument("--headers", action="store_true",
                   help="also compare the header and via fields")

    from . import matrix
    p = _command(sub, "matrix", matrix.SUMMARY, matrix.DESCRIPTION,
                 cmd_matrix, selection + [as_json])
    matrix.add_arguments(p)
    return parser


def run(argv=None, out=None):
    """Parse ``argv`` and run the command, writing to ``out``; returns the
    exit status.  Raises UsageError on bad arguments or input."""
    out = out if out is not None else sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.summary:
        if args.command not in (None, "summary"):
            raise UsageError("--summary is a command of its own; drop %r"
                             % args.command)
        args.func = cmd_summary
    elif args.command is None:
        parser.print_help(out)
        return 0
    return args.func(args, out)


def main(argv=None):
    """Entry point of ``python -m sockcffi`` and the ``sockcffi`` script."""
    try:
        status = run(argv)
        sys.stdout.flush()
        return status
    except UsageError as e:
        sys.stderr.write("%s: error: %s\n" % (PROG, e))
        return 2
    except BrokenPipeError:
        # The reader went away (| head): stop quietly.  Point stdout at
        # devnull so the interpreter's final flush does not complain.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 1
