"""``python -m sockcffi``: what does this platform have, and what does the
stdlib ``socket`` module hide?

Commands (``python -m sockcffi COMMAND --help`` for each)::

    constants [PATTERN ...] [--regex] [--group G] [--level L] [--stdlib]
        the socket constants compiled into sockcffi: name, value (decimal and
        hex), group, getsockopt level, the header that defines it, the
        catalogue header that brought it in, and its source ("header",
        "alias", or "compat" = a value sockcffi supplies itself because the
        headers lack the name: such an entry is *not from a header*).
        With --stdlib, the same comparison as the ``stdlib`` command,
        restricted to the selected names.
    stdlib [PATTERN ...] [--regex] [--group G] [--level L]
        compare with the running interpreter's ``socket`` module: the names
        sockcffi has that the stdlib lacks (by group), the uppercase integer
        constants of ``socket`` that sockcffi lacks, and the value
        mismatches.  Exit status 1 when anything is lacking or mismatched.
        (SSL_ERROR_* are ignored: PyPy's ssl puts those OpenSSL codes on the
        socket module.)
    summary   (also ``python -m sockcffi --summary``)
        how many constants of each group sockcffi has and how many of them
        the running stdlib exposes, with totals.
    lookup VALUE [--level L] [--group G]
        reverse lookup; VALUE is decimal, 0x hex, 0o octal or 0b binary.
    collisions [--level L ...]
        socket option numbers shared by options of different levels (e.g.
        SO_REUSEPORT and IP_FREEBIND are both 15 on Linux); with --level,
        only the numbers every given level uses.  Control-message types
        (SCM_*) share SOL_SOCKET but are not options, and are left out.
    options [--probe | --types] [--level L ...]
        the socket options (constants with a level, except the SCM_*
        control-message types), and with --probe, ask the running kernel for
        each with getsockopt() on a fresh socket (for IPPROTO_TCP, one
        connected over loopback, so TCP_INFO describes a live connection):
        accepted (with its default value: an int; for options
        sockcffi.options types, the decoded value, e.g. SO_LINGER
        {l_onoff=0, l_linger=0}; else the bytes when a 4-byte buffer gives
        EINVAL and a 256-byte one works) or rejected (with the errno name).
        With --types, the C type of each option sockcffi.options types.
    diff A.json B.json
        compare two ``--json`` dumps of ``constants`` (added, removed, changed
        value, group, level or source; with --headers, header and via too).
        Exit status 0 when identical, 1 when they differ, as diff(1).

Patterns.  A PATTERN is a shell-style glob (``*``, ``?``, ``[...]``) matched
against the whole name, unless ``--regex`` is given or the pattern contains a
character that a glob never needs but a regular expression does, one of
``. ^ $ + ( ) { } | \\`` (no constant name contains any of them); then it is a
regular expression searched anywhere in the name.  Matching ignores case.
Several patterns select the names matching any of them; ``--group`` and
``--level`` may be repeated and select the names of any of the given
groups/levels.

Exit status: 0 success; 1 "nothing matched" (constants, lookup), "the dumps
differ" (diff), or "the stdlib has names or values sockcffi lacks" (stdlib,
constants --stdlib); 2 bad arguments or an unreadable/invalid JSON file (one
line on stderr, starting ``sockcffi: error:``).

JSON (``--json``, accepted by every command, before or after its name).  One
object, keys sorted, stable from run to run on one machine::

    {
      "schema": 1,                 # bumped on incompatible changes
      "tool": "sockcffi",
      "command": "constants",      # the command that produced the dump
      "sockcffi": "0.1.0",         # sockcffi.__version__
      "build": "sockcffi 0.1.0 api 1",
      "interpreter": {"implementation": "cpython", "version": "3.11.2",
                      "executable": "/usr/bin/python3"},
      "platform": {"sys_platform": "linux", "system": "Linux",
                   "release": "6.1.0-...", "machine": "x86_64"},
      "filters": {...},            # the selection arguments used
      "records": [...]             # the command's rows, see below
    }

``records`` rows per command:

- constants, options (without --probe), lookup: ``{"name", "value" (int),
  "hex" (str, "-0x.." when negative), "group", "level" (str or null),
  "header" (str, "" for compat), "via" (str), "source" ("header", "alias",
  "compat"), "from_header" (bool)}``, sorted by name;
- stdlib (and constants --stdlib): ``{"name", "status", "group", "value",
  "stdlib_value"}`` where status is "sockcffi_only", "stdlib_only" or
  "mismatch", plus the keys ``"sockcffi_only"`` (group -> [names]),
  ``"stdlib_only"`` ([names]) and ``"mismatches"`` ([names]);
- summary: ``{"group", "sockcffi", "stdlib"}`` (counts), plus ``"totals"``;
  the group ``"(outside the catalogue)"`` counts the socket module's
  constants that do not come from the catalogue (EAGAIN, EBADF,
  EWOULDBLOCK, from errno);
- collisions: ``{"value", "hex", "levels": {level: [names]}}``;
- options --probe: ``{"level", "name", "option", "accepted" (bool or null
  when no socket could be made), "value" (int or null), "bytes" (hex string
  or null: the option needed a 256-byte buffer), "errno" (name or null),
  "ctype" (the C type), "decoded" (a typed option's value: an object of the
  struct's fields by C name, a list for arrays, hex for bytes; else
  null)}``,
- options --types: ``{"level", "name", "ctype"}``;
  plus ``"sockets"``: ``{level: {"socket": description or null,
  "reason": null or why no socket could be created}}`` (and
  ``"connected": true`` for the IPPROTO_TCP socket connected over
  loopback);
- diff: ``{"name", "change" ("added", "removed", "changed"), "fields"
  ([names of changed fields]), "a" (record or null), "b" (record or null)}``,
  plus ``"a"``/``"b"``: the files and their interpreter and platform.

Probe sockets.  ``options --probe`` makes its sockets with the stdlib
``socket`` module, not with ``sockcffi.socket``: this is a reporting tool and
the stdlib is the reliable reference; only the numbers (families, levels,
options) come from sockcffi's constants.

The tool keeps its import light: ``json`` and the stdlib ``socket`` module
are imported only by the commands that need them.
"""
import argparse
import fnmatch
import os
import re
import sys

from . import constants
from ._version import BUILD_STAMP, __version__

SCHEMA = 1
PROG = "sockcffi"
OUTSIDE = "(outside the catalogue)"

# A pattern containing any of these is a regular expression, not a glob.
_REGEX_ONLY = set(".^$+(){}|\\")


class UsageError(Exception):
    """Bad arguments or input: exit status 2, one line on stderr."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


# ---------------------------------------------------------------------------
# selection


def _is_regex(pattern):
    return any(ch in _REGEX_ONLY for ch in pattern)


def _matcher(patterns, force_regex):
    """A predicate on names, from globs and regular expressions."""
    tests = []
    for pattern in patterns or ():
        if force_regex or _is_regex(pattern):
            try:
                rx = re.compile(pattern, re.IGNORECASE)
            except re.error as e:
                raise UsageError("bad regular expression %r: %s"
                                 % (pattern, e))
            tests.append(rx.search)
        else:
            glob = pattern.upper()
            tests.append(lambda name, g=glob: fnmatch.fnmatchcase(name, g))
    if not tests:
        return lambda name: True
    return lambda name: any(t(name) for t in tests)


def _check_groups(groups):
    known = constants.groups()
    chosen = []
    for g in groups or ():
        if g.lower() not in known:
            raise UsageError("unknown group %r (this build has: %s)"
                             % (g, ", ".join(known)))
        chosen.append(g.lower())
    return chosen


def _check_levels(levels):
    known = constants.levels()
    chosen = []
    for lv in levels or ():
        if lv.upper() not in known:
            raise UsageError("unknown level %r (this build has: %s)"
                             % (lv, ", ".join(known)))
        chosen.append(lv.upper())
    return chosen


def _select(args):
    """The records chosen by the patterns, --group and --level, by name."""
    match = _matcher(getattr(args, "patterns", ()), getattr(args, "regex",
                                                            False))
    groups = _check_groups(getattr(args, "group", None))
    levels = _check_levels(getattr(args, "level", None))
    return [c for name, c in sorted(constants.records().items())
            if match(name)
            and (not groups or c.group in groups)
            and (not levels or c.level in levels)]


def _filters(args):
    return {
        "patterns": list(getattr(args, "patterns", None) or ()),
        "regex": bool(getattr(args, "regex", False)),
        "groups": list(getattr(args, "group", None) or ()),
        "levels": list(getattr(args, "level", None) or ()),
    }


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
    return {name: int(value) for name, value in vars(socket).items()
            if name.isupper() and not name.startswith("_")
            and not name.startswith(STDLIB_IGNORED_PREFIXES)
            and isinstance(value, int) and not isinstance(value, bool)}


def _package():
    """The sockcffi package, whose attributes include non-catalogue names
    (EAGAIN, EBADF, EWOULDBLOCK from errno)."""
    import importlib
    return importlib.import_module(__name__.rpartition(".")[0])


def cmd_stdlib(args, out):
    chosen = _select(args)
    match = _matcher(getattr(args, "patterns", ()), getattr(args, "regex",
                                                            False))
    stdlib = _stdlib_constants()
    package = _package()
    only, by_group, rows = [], {}, []
    for c in chosen:
        if c.name not in stdlib:
            only.append(c)
            by_group.setdefault(c.group, []).append(c.name)
    lacking = sorted(n for n in stdlib if match(n)
                     and not isinstance(getattr(package, n, None), int))
    chosen_names = {c.name for c in chosen}
    filtered = bool(getattr(args, "group", None) or getattr(args, "level",
                                                            None))
    mismatches = []
    for name in sorted(stdlib):
        if not match(name) or name in lacking:
            continue
        if filtered and name not in chosen_names:
            continue
        mine = int(getattr(package, name))
        if mine != stdlib[name]:
            mismatches.append((name, mine, stdlib[name]))
    records = constants.records()
    for c in only:
        rows.append({"name": c.name, "status": "sockcffi_only",
                     "group": c.group, "value": c.value,
                     "stdlib_value": None})
    for name in lacking:
        rows.append({"name": name, "status": "stdlib_only", "group": None,
                     "value": None, "stdlib_value": stdlib[name]})
    for name, mine, theirs in mismatches:
        rows.append({"name": name, "status": "mismatch",
                     "group": records[name].group if name in records
                     else None, "value": mine, "stdlib_value": theirs})
    rows.sort(key=lambda r: r["name"])
    status = 1 if lacking or mismatches else 0
    if args.json:
        _emit_json(_envelope(
            "stdlib", args, rows,
            sockcffi_only={g: sorted(v) for g, v in by_group.items()},
            stdlib_only=lacking,
            mismatches=[m[0] for m in mismatches]), out)
        return status
    impl = "%s %d.%d" % ((sys.implementation.name,) + sys.version_info[:2])
    out.write("sockcffi has %d names the %s socket module lacks:\n"
              % (len(only), impl))
    for group in sorted(by_group):
        names = sorted(by_group[group])
        out.write("  %s (%d): %s\n" % (group, len(names), " ".join(names)))
    out.write("names the %s socket module has that sockcffi lacks: %s\n"
              % (impl, " ".join(lacking) if lacking else "none"))
    if mismatches:
        out.write("value mismatches (sockcffi vs stdlib):\n")
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


def _parse_int(text):
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError("not an integer: %r (use decimal, 0x.., 0o.. or "
                         "0b..)" % text)


def cmd_lookup(args, out):
    value = _parse_int(args.value)
    groups = _check_groups(args.group)
    levels = _check_levels(args.level)
    found = [c for c in sorted(constants.records().values())
             if c.value == value
             and (not groups or c.group in groups)
             and (not levels or c.level in levels)]
    if args.json:
        _emit_json(_envelope("lookup", args, [_record(c) for c in found],
                             value=value), out)
    else:
        _table(_constant_rows(found), out, _CONSTANT_HEADER)
    return 0 if found else 1


def cmd_collisions(args, out):
    levels = _check_levels(args.level)
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


# level -> (family, type, protocol): constant names, resolved through
# sockcffi's catalogue.  Levels missing here get no socket.
PROBE_SOCKETS = {
    "SOL_SOCKET": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_IP": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_TCP": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_UDP": ("AF_INET", "SOCK_DGRAM", None),
    "IPPROTO_UDPLITE": ("AF_INET", "SOCK_DGRAM", "IPPROTO_UDPLITE"),
    "IPPROTO_IPV6": ("AF_INET6", "SOCK_STREAM", None),
    "SOL_PACKET": ("AF_PACKET", "SOCK_RAW", None),
    "SOL_NETLINK": ("AF_NETLINK", "SOCK_RAW", None),
    "AF_VSOCK": ("AF_VSOCK", "SOCK_STREAM", None),
    "SOL_ALG": ("AF_ALG", "SOCK_SEQPACKET", None),
    "SOL_TIPC": ("AF_TIPC", "SOCK_RDM", None),
    "SOL_RDS": ("AF_RDS", "SOCK_SEQPACKET", None),
    "SOL_CAN_RAW": ("AF_CAN", "SOCK_RAW", "CAN_RAW"),
    "SOL_CAN_ISOTP": ("AF_CAN", "SOCK_DGRAM", "CAN_ISOTP"),
    "SOL_CAN_J1939": ("AF_CAN", "SOCK_DGRAM", "CAN_J1939"),
    "SOL_HCI": ("AF_BLUETOOTH", "SOCK_RAW", "BTPROTO_HCI"),
}


def _errno_name(err):
    import errno
    return errno.errorcode.get(err.errno, str(err.errno)) if err.errno \
        else type(err).__name__


def _open_probe_socket(level):
    """(socket, description) or (None, reason)."""
    import socket
    spec = PROBE_SOCKETS.get(level)
    if spec is None:
        return None, ("no socket of that family could be created here: "
                      "sockcffi does not know which socket serves level %s"
                      % level)
    records = constants.records()
    missing = [n for n in spec if n and n not in records]
    if missing:
        return None, ("no socket of that family could be created here: "
                      "this build lacks %s" % ", ".join(missing))
    family, kind, proto = (records[n].value if n else 0 for n in spec)
    desc = "/".join(n for n in spec if n)   # AF_INET/SOCK_STREAM
    try:
        return socket.socket(family, kind, proto), desc
    except OSError as e:
        return None, ("no socket of that family could be created here: "
                      "%s: %s" % (_errno_name(e), e.strerror or e))


def _probe_typed(sock, level_value, option, ctype):
    """getsockopt() through sockcffi.options: the decoded value."""
    from . import options as typed, records
    try:
        value = typed.get(sock, level_value, option)
    except OSError as e:
        return {"accepted": False, "value": None, "bytes": None,
                "errno": _errno_name(e), "ctype": ctype, "decoded": None}
    return {"accepted": True,
            "value": value if isinstance(value, int) else None,
            "bytes": None, "errno": None, "ctype": ctype,
            "decoded": records.to_dict(value),
            "text": records.format_value(value)}


def _probe_option(sock, level_value, option):
    import errno
    from . import options as typed
    ctype = typed.ctype(level_value, option)
    if ctype != "int":
        return _probe_typed(sock, level_value, option, ctype)
    result = _probe_int(sock, level_value, option)
    result.update(ctype=ctype, decoded=None)
    return result


def _probe_int(sock, level_value, option):
    import errno
    try:
        return {"accepted": True, "value": sock.getsockopt(level_value,
                                                           option),
                "bytes": None, "errno": None}
    except OSError as e:
        first = e
        if e.errno != errno.EINVAL:
            return {"accepted": False, "value": None, "bytes": None,
                    "errno": _errno_name(e)}
    try:
        data = sock.getsockopt(level_value, option, 256)
    except OSError as e:
        # No errno: the stdlib refused the buffer itself (it reads AF_VSOCK
        # options as 8-byte integers only); the kernel's answer was EINVAL.
        return {"accepted": False, "value": None, "bytes": None,
                "errno": _errno_name(e if e.errno else first)}
    return {"accepted": True, "value": None, "bytes": data.hex(),
            "errno": None}


def _options(levels):
    """Socket options of the levels: records with a level, without the
    control-message types (SCM_*), which share SOL_SOCKET's numbers but are
    not options."""
    return [c for c in sorted(constants.records().values())
            if c.level and c.level in levels and not c.name.startswith("SCM_")]


def _connect_over_loopback(sock):
    """Connect a TCP probe socket to a loopback listener; the other
    sockets, for closing with it."""
    import socket
    listener = socket.socket(sock.family, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        sock.settimeout(10)
        sock.connect(listener.getsockname())
        accepted, _ = listener.accept()
    except OSError:
        listener.close()
        return [], False
    return [listener, accepted], True


def _types(args, out):
    from . import options as typed
    levels = set(_check_levels(args.level) or constants.levels())
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
    levels = _check_levels(args.level) or constants.levels()
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
        sock, desc = _open_probe_socket(level)
        others, connected = [], False
        if sock is not None and level == "IPPROTO_TCP":
            others, connected = _connect_over_loopback(sock)
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
                    row.update(_probe_option(sock, records[level].value,
                                             c.value))
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
    if doc.get("command") not in ("constants", "lookup", "options", None):
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
    return {"file": path, "sockcffi": doc.get("sockcffi"),
            "interpreter": interp, "platform": plat}


def cmd_diff(args, out):
    doc_a, a = _load_dump(args.a)
    doc_b, b = _load_dump(args.b)
    fields = ["value", "group", "level", "source"]
    if args.headers:
        fields += ["header", "via"]
    rows = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            rows.append({"name": name, "change": "removed", "fields": [],
                         "a": a[name], "b": None})
        elif name not in a:
            rows.append({"name": name, "change": "added", "fields": [],
                         "a": None, "b": b[name]})
        else:
            changed = [f for f in fields if a[name].get(f) != b[name].get(f)]
            if changed:
                rows.append({"name": name, "change": "changed",
                             "fields": changed, "a": a[name], "b": b[name]})
    if args.json:
        _emit_json(_envelope("diff", args, rows,
                             a=_describe(doc_a, args.a),
                             b=_describe(doc_b, args.b)), out)
        return 1 if rows else 0
    if rows:
        out.write("--- %s\n+++ %s\n" % (args.a, args.b))
    for r in rows:
        if r["change"] == "removed":
            out.write("- %s = %s\n" % (r["name"], r["a"]["value"]))
        elif r["change"] == "added":
            out.write("+ %s = %s\n" % (r["name"], r["b"]["value"]))
        else:
            out.write("~ %s: %s\n" % (r["name"], ", ".join(
                "%s %s -> %s" % (f, r["a"].get(f), r["b"].get(f))
                for f in r["fields"])))
    return 1 if rows else 0


# ---------------------------------------------------------------------------
# command line

_EPILOG = """\
patterns: a glob (SO_REUSE*) unless --regex is given or the pattern holds one
of . ^ $ + ( ) { } | \\ -- then a regular expression searched in the name.
Case is ignored.

--json prints one object: {"schema": %d, "tool", "command", "sockcffi",
"build", "interpreter", "platform", "filters", "records": [...]}; see
'python -m pydoc sockcffi.inspector' for each command's
records.  'diff A.json B.json' compares two 'constants --json' dumps.

exit status: 0 ok; 1 nothing matched / dumps differ / stdlib mismatch;
2 bad arguments or input.
""" % SCHEMA


def _add_json(parser):
    parser.add_argument("--json", action="store_true",
                        default=argparse.SUPPRESS,
                        help="print one JSON object (schema %d)" % SCHEMA)


def _add_selection(parser):
    parser.add_argument("patterns", nargs="*", metavar="PATTERN",
                        help="glob or regular expression on the name")
    parser.add_argument("--regex", "-E", action="store_true",
                        help="treat every PATTERN as a regular expression")
    parser.add_argument("--group", "-g", action="append", metavar="G",
                        help="only this group (repeatable)")
    parser.add_argument("--level", "-l", action="append", metavar="L",
                        help="only options of this getsockopt level, e.g. "
                             "SOL_SOCKET (repeatable)")


def build_parser():
    parser = _Parser(
        prog=PROG,
        description="What socket constants does this platform have, and "
                    "what does Python's socket module hide?",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version="sockcffi %s (%s)" % (__version__,
                                                      BUILD_STAMP))
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object (schema %d)" % SCHEMA)
    parser.add_argument("--summary", action="store_true",
                        help="same as the 'summary' command")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("constants", help="list the constants (filters: "
                       "PATTERN, --group, --level; --stdlib compares with "
                       "the stdlib)", epilog=_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_selection(p)
    p.add_argument("--stdlib", action="store_true",
                   help="compare the selected names with the running "
                        "interpreter's socket module (as 'stdlib')")
    _add_json(p)
    p.set_defaults(func=cmd_constants)

    p = sub.add_parser("stdlib", help="compare with the running "
                       "interpreter's socket module (exit 1 on lacking "
                       "names or value mismatches)")
    _add_selection(p)
    _add_json(p)
    p.set_defaults(func=cmd_stdlib)

    p = sub.add_parser("summary", help="counts by group: sockcffi vs stdlib "
                       "(also --summary)")
    _add_json(p)
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser("lookup", help="reverse lookup of a value "
                       "(decimal or 0x hex)")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--level", "-l", action="append", metavar="L",
                   help="only options of this level (repeatable)")
    p.add_argument("--group", "-g", action="append", metavar="G",
                   help="only this group (repeatable)")
    _add_json(p)
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("collisions", help="option numbers shared across "
                       "levels (SO_REUSEPORT == IP_FREEBIND == 15)")
    p.add_argument("--level", "-l", action="append", metavar="L",
                   help="only numbers this level uses (repeatable: all of "
                        "them)")
    _add_json(p)
    p.set_defaults(func=cmd_collisions)

    p = sub.add_parser("options", help="the socket options; --probe asks "
                       "the running kernel with getsockopt()")
    p.add_argument("--probe", action="store_true",
                   help="getsockopt() each option on a fresh socket (made "
                        "with the stdlib socket module); typed options "
                        "decoded")
    p.add_argument("--types", action="store_true",
                   help="the C type of each option sockcffi.options types")
    p.add_argument("--level", "-l", action="append", metavar="L",
                   help="only this level (repeatable)")
    _add_json(p)
    p.set_defaults(func=cmd_options)

    p = sub.add_parser("diff", help="compare two 'constants --json' dumps "
                       "(exit 1 when they differ)")
    p.add_argument("a", metavar="A.json")
    p.add_argument("b", metavar="B.json")
    p.add_argument("--headers", action="store_true",
                   help="also compare the header and via fields")
    _add_json(p)
    p.set_defaults(func=cmd_diff)
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
