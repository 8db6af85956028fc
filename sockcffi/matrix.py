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
import threading
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
