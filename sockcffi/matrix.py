"""``sockcffi matrix``: the constants of several targets side by side.

A column is one target: probed here with its (cross) compiler through
``targets`` -- several at once, since each probe mostly waits for a
compiler -- or read from a saved ``--json`` dump.  A row is one name: its
value on each target, or absent there.  The rows and the summary are plain
data (the command's ``--json`` records); the text, Markdown and HTML views
(``matrix_page``) are made from that data alone.
"""
import os
import sys
import time
from collections import namedtuple

# records: {name: {"value", "group", "level", "header", "via", "source"}};
# target: what the probe or the dump says of the target (or None);
# origin: "probe", or the dump's path.
Column = namedtuple("Column", "label records target origin")

_FIELDS = ("value", "group", "level", "header", "via", "source")


class Progress:
    """One status line on a terminal, rewritten in place, once the work
    has taken more than ``delay`` seconds; erased when done.  Nothing when
    the stream is not a terminal, so a pipe or a log gets only the
    result (and an error stays one line)."""

    def __init__(self, total, stream=None, delay=0.5):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.delay = total, delay
        self.done, self.start = 0, time.monotonic()
        self.shown = False
        import threading
        self.lock = threading.Lock()
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty())

    def finished(self, label):
        with self.lock:
            self.done += 1
            elapsed = time.monotonic() - self.start
            if self.enabled and elapsed >= self.delay:
                self.stream.write("\r\033[Kprobing: %d/%d targets, %.1f s "
                                  "(%s done)" % (self.done, self.total,
                                                 elapsed, label))
                self.stream.flush()
                self.shown = True

    def close(self):
        with self.lock:
            if self.shown:
                self.stream.write("\r\033[K")
                self.stream.flush()
                self.shown = False


def probe_all(targets_module, resolved, progress=None):
    """Probe each resolved target, a few at a time; [Column] in the given
    order.  The first failure (a TargetError) is raised once all have
    ended, so no compiler is left running."""
    from concurrent.futures import ThreadPoolExecutor
    workers = max(1, min(len(resolved), os.cpu_count() or 1))

    def one(target):
        records, description = targets_module.probe(target)
        if progress is not None:
            progress.finished(description["triple"])
        return Column(description["triple"],
                      {n: {f: getattr(c, f) for f in _FIELDS}
                       for n, c in records.items()}, description, "probe")

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, t) for t in resolved]
            errors = [f.exception() for f in futures]
    finally:
        if progress is not None:
            progress.close()
    for error in errors:
        if error is not None:
            raise error
    return [f.result() for f in futures]


def from_dump(doc, records, path):
    """A column from a loaded ``--json`` dump of constants or probe."""
    target = doc.get("target") if isinstance(doc.get("target"),
                                               dict) else None
    if target and target.get("triple"):
        label = target["triple"]
    else:
        label = os.path.basename(path)
        if label.endswith(".json"):
            label = label[:-len(".json")]
    return Column(label, {n: {f: r.get(f) for f in _FIELDS}
                          for n, r in records.items()}, target, path)


def _cell(record):
    if record is None:
        return None
    value = record["value"]
    return {"value": value, "hex": hex(value), "header": record["header"],
            "via": record["via"], "source": record["source"]}


def rows(columns):
    """Every name of any column: [row], sorted by group and name.

    A row: {"name", "group", "level", "cells": {label: cell or None},
    "missing_on": [labels], "values": [the distinct values, sorted],
    "differs": absent somewhere or not one value}.
    """
    names = {}
    for column in columns:
        for name, record in column.records.items():
            names.setdefault(name, record)
    found = []
    for name, first in names.items():
        cells = {c.label: _cell(c.records.get(name)) for c in columns}
        missing = [c.label for c in columns if cells[c.label] is None]
        values = sorted({cell["value"] for cell in cells.values() if cell})
        found.append({"name": name, "group": first["group"] or "",
                      "level": first["level"], "cells": cells,
                      "missing_on": missing, "values": values,
                      "differs": bool(missing) or len(values) > 1})
    found.sort(key=lambda r: (r["group"], r["name"]))
    return found


def select(all_rows, match, groups=(), levels=(), only_differing=False,
           missing_on=None):
    """The rows the filters keep; ``match`` is a predicate on names."""
    groups = {g.lower() for g in groups}
    levels = {lv.upper() for lv in levels}
    return [r for r in all_rows if match(r["name"])
            and (not groups or r["group"] in groups)
            and (not levels or r["level"] in levels)
            and (not only_differing or r["differs"])
            and (missing_on is None or missing_on in r["missing_on"])]


def summary(columns, all_rows):
    """Counts over every row (not only the filtered ones)."""
    return {
        "constants": len(all_rows),
        "same": sum(not r["differs"] for r in all_rows),
        "differing": sum(r["differs"] for r in all_rows),
        "value_differs": sum(len(r["values"]) > 1 for r in all_rows),
        "missing_somewhere": sum(bool(r["missing_on"]) for r in all_rows),
        "present": {c.label: len(c.records) for c in columns},
    }


def describe(column):
    """A column as the JSON document lists it under "targets"."""
    return {"label": column.label, "origin": column.origin,
            "constants": len(column.records), "target": column.target}


# ------------------------------------------------------------------ views

def short(label):
    """A column heading for the terminal: 'mips' for mips-linux-gnu."""
    for suffix, replacement in (("-linux-gnu", ""), ("-linux-musl", "-musl"),
                                ("-w64-mingw32", "-mingw")):
        if label.endswith(suffix):
            return label[:-len(suffix)] + replacement
    return label


def _by_group(chosen):
    groups = {}
    for r in chosen:
        groups.setdefault(r["group"], []).append(r)
    return groups


def text(doc, hex_values=False):
    """The terminal table: a block per group, '*' after a name that
    differs, '-' where a target lacks it."""
    labels = [t["label"] for t in doc["targets"]]
    lines = ["# %s" % "; ".join("%s = %s" % (short(lb), lb)
                                for lb in labels if short(lb) != lb)
             if any(short(lb) != lb for lb in labels) else None,
             "# * differs between targets, - absent"]
    lines = [ln for ln in lines if ln]
    table = [["NAME"] + [short(lb) for lb in labels]]
    marks = []
    for group, members in _by_group(doc["records"]).items():
        differing = sum(r["differs"] for r in members)
        table.append(None)
        marks.append("== %s (%d, %d differ)" % (group, len(members),
                                                differing))
        for r in members:
            row = [r["name"] + (" *" if r["differs"] else "")]
            for lb in labels:
                cell = r["cells"][lb]
                row.append("-" if cell is None else
                           cell["hex"] if hex_values else str(cell["value"]))
            table.append(row)
    cells = [row for row in table if row is not None]
    widths = [max(len(row[i]) for row in cells) for i in range(len(labels)
                                                               + 1)]
    marks = iter(marks)
    for row in table:
        if row is None:
            lines.append(next(marks))
        else:
            lines.append("  ".join(c.ljust(w) for c, w in
                                   zip(row, widths)).rstrip())
    s = doc["summary"]
    lines.append("# %d constants: %d the same everywhere, %d differ (%d in "
                 "value, %d absent somewhere); %d shown"
                 % (s["constants"], s["same"], s["differing"],
                    s["value_differs"], s["missing_somewhere"],
                    len(doc["records"])))
    return "\n".join(lines) + "\n"


def markdown(doc):
    """GitHub-flavoured Markdown: a table per group, differing names in
    bold, absent as an em dash, values in decimal and hex."""
    labels = [t["label"] for t in doc["targets"]]
    s = doc["summary"]
    out = ["# Socket constants on %d targets" % len(labels), "",
           "%d constants: %d the same everywhere, %d differ (%d in value, "
           "%d absent somewhere). **Bold**: differs between targets; "
           "—: absent." % (s["constants"], s["same"], s["differing"],
                            s["value_differs"], s["missing_somewhere"]), ""]
    for group, members in _by_group(doc["records"]).items():
        out += ["## %s" % group, "",
                "| name | " + " | ".join("`%s`" % lb for lb in labels) + " |",
                "|---|" + "---:|" * len(labels)]
        for r in members:
            name = "**%s**" % r["name"] if r["differs"] else r["name"]
            cells = []
            for lb in labels:
                cell = r["cells"][lb]
                if cell is None:
                    cells.append("—")
                elif 0 <= cell["value"] < 10:
                    cells.append(str(cell["value"]))
                else:
                    cells.append("%d (%s)" % (cell["value"], cell["hex"]))
            out.append("| %s | %s |" % (name, " | ".join(cells)))
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- command
# The inspector's 'matrix' command: its --help text and options live here,
# beside what they describe; the inspector runs it (cmd_matrix).

SUMMARY = ("several targets side by side: which constants exist where, "
           "with which values (table, JSON, Markdown, HTML)")

DESCRIPTION = (
    "Probe several targets (as 'probe', a few at a time; progress on "
    "a terminal's stderr) and/or read saved --json dumps of 'constants' "
    "or 'probe', and report each constant's value on each target, or "
    "its absence there, grouped by catalogue group.  A row differs when "
    "the constant is absent somewhere or has more than one value.  The "
    "summary counts every row; the filters choose the rows shown.  "
    "Formats: a terminal table ('*' after a name that differs, '-' "
    "where absent; --hex for hexadecimal), JSON, GitHub Markdown, or "
    "one self-contained HTML page (no network, inline script; colour "
    "for rows that differ and absent cells, decimal and hex, the "
    "header on hover, a filter box also read from the URL fragment "
    "#q=PATTERN&differing=1&values=1&missing=TARGET).  Exit status 1 "
    "when no row "
    "is selected; 2 for an unknown target, a missing compiler (the "
    "message names the Debian package), an unreadable dump: one line, "
    "nothing written.\n\nrecords (--json): {\"name\", \"group\", "
    "\"level\", \"cells\": {target label: {\"value\", \"hex\", "
    "\"header\", \"via\", \"source\"} or null when absent}, "
    "\"missing_on\": [labels], \"values\": [distinct values, sorted], "
    "\"differs\" (bool)}, sorted by group and name; plus \"targets\": "
    "[{\"label\", \"origin\" (\"probe\" or the dump's path), "
    "\"constants\", \"target\" (as 'probe' describes it, or null)}] "
    "in column order, \"summary\": {\"constants\", \"same\", "
    "\"differing\", \"value_differs\", \"missing_somewhere\", "
    "\"present\": {label: count}}, \"only_differing\", "
    "\"missing_on\".  A column's label is the target's triple, or a "
    "dump's file name when it names no target.")


def add_arguments(p):
    # --target and --targets fill one list, in command-line order.
    p.add_argument("--target", "-t", action="append", metavar="TRIPLE",
                   dest="targets",
                   help="a target to probe, as for 'probe' (repeatable): "
                        "native, musl, mips-linux-gnu, x86_64-w64-mingw32, "
                        "windows...")
    p.add_argument("--targets", action="append", metavar="T1,T2,...",
                   dest="targets", help="several targets, comma-separated")
    p.add_argument("--dump", action="append", metavar="FILE.json",
                   help="a saved --json dump of 'constants' or 'probe' as a "
                        "column (repeatable)")
    p.add_argument("--only-differing", "-d", action="store_true",
                   help="only the rows that differ between the targets")
    p.add_argument("--missing-on", metavar="TARGET",
                   help="only the constants this column lacks")
    p.add_argument("--format", "-f", default="table",
                   choices=("table", "json", "markdown", "html"),
                   help="output format (--json: json)")
    p.add_argument("--hex", action="store_true",
                   help="the table shows values in hexadecimal")
    p.add_argument("--output", "-o", metavar="FILE",
                   help="write to FILE (whole, or not at all) instead of "
                        "stdout")


def gather(specs, dumps, load_dump):
    """The columns: ``specs`` probed (every one resolved before any is
    probed, so a bad one costs nothing), then the ``dumps`` read with
    ``load_dump(path) -> (doc, records)``.  Returns (columns, {what was
    given: its column's label}).  TargetError, or ValueError for a target
    given twice."""
    from . import targets
    resolved = [targets.resolve(spec) for spec in specs]
    columns = (probe_all(targets, resolved, Progress(len(resolved)))
               if resolved else [])
    for path in dumps:
        doc, records = load_dump(path)
        columns.append(from_dump(doc, records, path))
    given = list(specs) + list(dumps)
    seen = {}
    for what, column in zip(given, columns):
        if column.label in seen:
            raise ValueError("%s and %s are both %s: each target once"
                             % (seen[column.label], what, column.label))
        seen[column.label] = what
    return columns, dict(zip(given, (c.label for c in columns)))


def column_named(name, labels, given):
    """The label ``name`` means: a label, what was given for a column
    ('native', 'windows'), or a short heading ('mips'); None if none."""
    if name in labels:
        return name
    return given.get(name) or {short(lb): lb for lb in labels}.get(name)


def render(doc, fmt, hex_values=False):
    """The document in a format: table, json, markdown or html."""
    if fmt == "json":
        import json
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if fmt == "markdown":
        return markdown(doc)
    if fmt == "html":
        from . import matrix_page
        return matrix_page.render(doc)
    return text(doc, hex_values)


def write_whole(path, text_):
    """All of ``text_`` or nothing: written to a temporary file in the
    same directory, renamed over ``path`` once complete.  OSError."""
    import tempfile
    path = os.path.abspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".sockcffi-", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text_)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
