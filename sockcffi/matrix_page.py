"""The porting matrix as one self-contained HTML page.

Made from the ``matrix --json`` document alone; the style and the script
are inline and nothing is fetched, so the file can be mailed, archived or
opened offline.  Written with ``html.escape`` rather than a template
engine: jinja2 is a build-time package, not one the installed tool has.

What a reader gets: the rows that differ tinted, each value that is not
the row's most common one marked (and the row's name, with a not-equal
sign), absent cells marked; decimal and hex in
every cell; the header a value came from on hover (the page keeps each
distinct header once and the script puts it in the cell's title); a filter
box, "only differing", "only different values" and "absent on" controls,
also read from the URL's fragment
(``#q=SO_REUSE*&differing=1&values=1&missing=TARGET``) so that a link
carries a view; sticky column and row headings; a print style that keeps
the colours and repeats the headings on every page.
"""
import json
from collections import Counter
from html import escape

from .matrix import short

_STYLE = """
:root { --absent: #fde2e1; --absent-ink: #a61b1b; --odd: #ffe9a8;
        --differs: #fff8e1; --rule: #d0d4da; --head: #f3f5f8; }
* { box-sizing: border-box; }
body { font: 14px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif;
       margin: 0; color: #1d2228; background: #fff; }
header.page { padding: 14px 18px 8px; }
h1 { font-size: 20px; margin: 0 0 4px; }
p { margin: 4px 0; }
.controls { display: flex; gap: 14px; align-items: center; flex-wrap: wrap;
            margin: 8px 0; }
#filter { font: inherit; padding: 5px 8px; width: 26em;
          border: 1px solid #9aa3ad; border-radius: 4px; }
#count { color: #4a5560; }
.legend span.swatch { display: inline-block; width: 1.1em; height: 0.9em;
                      vertical-align: -1px; border: 1px solid #b9bec5;
                      margin: 0 3px 0 10px; }
.swatch.differs { background: var(--differs); }
.swatch.odd { background: var(--odd); }
.swatch.absent { background: var(--absent); }
details.targets { margin: 6px 0; }
details.targets table { border-collapse: collapse; margin-top: 6px; }
details.targets td, details.targets th { border: 1px solid var(--rule);
    padding: 2px 8px; text-align: left; font-weight: normal; }
.wrap { padding: 0 18px 24px; }
table.matrix { border-collapse: separate; border-spacing: 0;
               font-variant-numeric: tabular-nums; }
table.matrix th, table.matrix td { border-bottom: 1px solid var(--rule);
    border-right: 1px solid var(--rule); padding: 2px 6px;
    white-space: nowrap; }
table.matrix td { text-align: right; }
table.matrix thead th { position: sticky; top: 0; z-index: 2;
    background: var(--head); border-bottom: 2px solid #8e98a3;
    vertical-align: bottom; text-align: right; }
table.matrix thead th:first-child { left: 0; z-index: 3; text-align: left; }
table.matrix thead th small { display: block; font-weight: normal;
                              color: #5b6670; font-size: 11px; }
table.matrix tbody th { position: sticky; left: 0; z-index: 1;
    background: #fff; text-align: left; font-weight: normal;
    font-family: ui-monospace, "DejaVu Sans Mono", monospace;
    font-size: 13px; }
table.matrix tr.g th { background: #e4e8ee; font-family: inherit;
    font-weight: 600; font-size: 14px; padding-top: 8px; }
table.matrix tr.g th small { font-weight: normal; color: #4a5560; }
table.matrix tr.d th, table.matrix tr.d td { background: var(--differs); }
table.matrix tr.v th::after { content: " \\2260"; color: #b26a00;
                              font-weight: 700; }
table.matrix td.o { background: var(--odd) !important; font-weight: 600; }
table.matrix td.a { background: var(--absent) !important;
                    color: var(--absent-ink); text-align: center; }
table.matrix td i { font-style: normal; color: #66717c; font-size: 11px;
                    margin-left: 0.35em; }
table.matrix td.o i { color: #6b4a00; }
table.matrix td[data-h] { cursor: help; }
@media print {
  .controls, .noprint { display: none; }
  body { font-size: 9pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  table.matrix thead { display: table-header-group; }
  table.matrix thead th, table.matrix tbody th { position: static; }
  table.matrix tr { break-inside: avoid; }
  .wrap, header.page { padding: 0; }
}
"""

# Filters from the controls or the URL fragment; the header of origin put
# in a cell's title when the pointer first reaches it.
_SCRIPT = """
(function () {
  var H = JSON.parse(document.getElementById("headers").textContent);
  var table = document.querySelector("table.matrix");
  var box = document.getElementById("filter");
  var differing = document.getElementById("differing");
  var valued = document.getElementById("values");
  var missing = document.getElementById("missing");
  var count = document.getElementById("count");
  var rows = Array.prototype.slice.call(table.querySelectorAll("tr.r"));
  var labels = JSON.parse(table.getAttribute("data-labels"));

  function matcher(text) {
    text = text.trim();
    if (!text) return function () { return true; };
    if (text.length > 2 && text[0] === "/" && text[text.length - 1] === "/") {
      try { var re = new RegExp(text.slice(1, -1), "i");
            return function (n) { return re.test(n); }; }
      catch (e) { return function () { return false; }; }
    }
    var words = text.toUpperCase().split(/[\\s,]+/).filter(Boolean);
    var tests = words.map(function (w) {
      if (/[*?]/.test(w)) {
        var re = new RegExp("^" + w.replace(/[.+^${}()|[\\]\\\\]/g, "\\\\$&")
                            .replace(/\\*/g, ".*").replace(/\\?/g, ".") + "$");
        return function (n) { return re.test(n); };
      }
      return function (n) { return n.indexOf(w) >= 0; };
    });
    return function (n) { return tests.some(function (t) { return t(n); }); };
  }

  function apply(fromControls) {
    var match = matcher(box.value), only = differing.checked;
    var onlyValues = valued.checked;
    var col = labels.indexOf(missing.value), shown = 0;
    rows.forEach(function (tr) {
      var ok = match(tr.getAttribute("data-name")) &&
               (!only || tr.classList.contains("d")) &&
               (!onlyValues || tr.classList.contains("v")) &&
               (col < 0 || tr.cells[col + 1].classList.contains("a"));
      tr.hidden = !ok;
      if (ok) shown++;
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      body.hidden = !body.querySelector("tr.r:not([hidden])");
    });
    count.textContent = shown + " of " + rows.length + " shown";
    document.body.setAttribute("data-shown", shown);
    if (fromControls) {
      var q = new URLSearchParams();
      if (box.value) q.set("q", box.value);
      if (only) q.set("differing", "1");
      if (onlyValues) q.set("values", "1");
      if (missing.value) q.set("missing", missing.value);
      var hash = q.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname);
    }
  }

  function fromHash() {
    var q = new URLSearchParams(location.hash.slice(1));
    box.value = q.get("q") || "";
    differing.checked = q.get("differing") === "1";
    valued.checked = q.get("values") === "1";
    var lacking = q.get("missing");
    missing.value = labels.indexOf(lacking) >= 0 ? lacking : "";
    apply(false);
  }

  table.addEventListener("mouseover", function (e) {
    var td = e.target.closest && e.target.closest("td[data-h]");
    if (td && !td.title) td.title = H[+td.getAttribute("data-h")];
  });
  box.addEventListener("input", function () { apply(true); });
  differing.addEventListener("change", function () { apply(true); });
  valued.addEventListener("change", function () { apply(true); });
  missing.addEventListener("change", function () { apply(true); });
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""


def _target_line(t):
    """'glibc 2.36, 64-bit little-endian' for a column heading."""
    info = t.get("target") or {}
    parts = []
    libc = info.get("libc") or {}
    sdk = info.get("sdk") or {}
    if sdk.get("name"):
        parts.append("%s %s" % (sdk["name"], sdk.get("version") or ""))
    elif libc.get("name"):
        parts.append(("%s %s" % (libc["name"], libc.get("version") or ""))
                     .strip())
    if info.get("bits"):
        parts.append("%s-bit %s" % (info["bits"],
                                    {"little": "LE", "big": "BE"}.get(
                                        info.get("byte_order"), "")))
    return ", ".join(p.strip() for p in parts)


def _details(t):
    info = t.get("target") or {}
    compiler = info.get("compiler") or {}
    libc = info.get("libc") or {}
    sdk = info.get("sdk") or {}
    return [t["label"],
            "probed here" if t["origin"] == "probe" else t["origin"],
            " ".join(compiler.get("command") or ()) or "",
            compiler.get("version") or "",
            " ".join(x for x in (libc.get("name"), libc.get("version")) if x),
            ("%s %s (_WIN32_WINNT %s)" % (sdk.get("name"), sdk.get("version"),
                                          sdk.get("win32_winnt"))
             if sdk.get("name") else
             "Linux %s" % info["kernel_headers"]
             if info.get("kernel_headers") else ""),
            str(t["constants"])]


def _mode(cells, labels):
    """The row's most common value (the earliest column's among ties)."""
    present = [cells[lb]["value"] for lb in labels if cells[lb]]
    counts = Counter(present)
    return max(present, key=lambda v: (counts[v], -present.index(v)))


def render(doc):
    """The page for a ``matrix --json`` document (with every record or a
    filtered set), as a string."""
    labels = [t["label"] for t in doc["targets"]]
    s = doc["summary"]
    headers, header_index = [], {}
    out = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
      "\n<meta name=\"viewport\" content=\"width=device-width, "
      "initial-scale=1\">\n<title>Socket constants on %d targets &mdash; "
      "sockcffi matrix</title>\n<style>%s</style>\n</head>\n<body>\n"
      % (len(labels), _STYLE))
    w("<header class=\"page\">\n<h1>Socket constants on %d targets</h1>\n"
      % len(labels))
    w("<p>%d constants: <b>%d</b> the same everywhere, <b>%d</b> differ "
      "(%d in value, %d absent on some target). Made by sockcffi %s; hover "
      "a value for the header that defines it.</p>\n"
      % (s["constants"], s["same"], s["differing"], s["value_differs"],
         s["missing_somewhere"], escape(str(doc.get("sockcffi", "")))))
    w("<div class=\"controls\"><input id=\"filter\" type=\"search\" "
      "placeholder=\"Filter names: SO_REUSE*, tcp_keep, /^IPV6_/\" "
      "aria-label=\"filter names\"><label><input type=\"checkbox\" "
      "id=\"differing\"> only rows that differ</label><label><input "
      "type=\"checkbox\" id=\"values\"> only different values</label>"
      "<label>absent on "
      "<select id=\"missing\"><option value=\"\">(any target)</option>")
    for lb in labels:
        w("<option>%s</option>" % escape(lb))
    w("</select></label><span id=\"count\"></span></div>\n")
    w("<p class=\"legend\">Legend:<span class=\"swatch differs\"></span>row "
      "differs between targets (&ne;: in value)<span class=\"swatch odd\">"
      "</span>value not the row's most common<span class=\"swatch absent\">"
      "</span>absent (&mdash;)</p>\n")
    w("<details class=\"targets\"><summary>The %d targets</summary><table>"
      "<tr><th>target</th><th>source</th><th>compiler</th><th>version</th>"
      "<th>C library</th><th>headers</th><th>constants</th></tr>"
      % len(labels))
    for t in doc["targets"]:
        w("<tr>%s</tr>" % "".join("<td>%s</td>" % escape(x)
                                  for x in _details(t)))
    w("</table></details>\n</header>\n<div class=\"wrap\">\n")
    w("<table class=\"matrix\" data-labels=\"%s\">\n<thead><tr><th>name</th>"
      % escape(json.dumps(labels)))
    for t in doc["targets"]:
        w("<th title=\"%s\">%s<small>%s</small></th>"
          % (escape(t["label"]), escape(short(t["label"])),
             escape(_target_line(t))))
    w("</tr></thead>\n")
    groups = {}
    for r in doc["records"]:
        groups.setdefault(r["group"], []).append(r)
    for group, members in groups.items():
        w("<tbody data-group=\"%s\"><tr class=\"g\"><th colspan=\"%d\">%s "
          "<small>%d constants, %d differ</small></th></tr>\n"
          % (escape(group), len(labels) + 1, escape(group), len(members),
             sum(r["differs"] for r in members)))
        for r in members:
            mode = _mode(r["cells"], labels)
            w("<tr class=\"r%s%s\" data-name=\"%s\"><th>%s</th>"
              % (" d" if r["differs"] else "",
                 " v" if len(r["values"]) > 1 else "", escape(r["name"]),
                 escape(r["name"])))
            for lb in labels:
                cell = r["cells"][lb]
                if cell is None:
                    w("<td class=\"a\">&mdash;</td>")
                    continue
                where = cell["header"] or "(no header: sockcffi's value)"
                if cell["via"] and cell["via"] != cell["header"]:
                    where += " via " + cell["via"]
                where = "%s: %s" % (lb, where)
                if where not in header_index:
                    header_index[where] = len(headers)
                    headers.append(where)
                value = cell["value"]
                w("<td%s data-h=\"%d\">%d%s</td>"
                  % (" class=\"o\"" if value != mode else "",
                     header_index[where], value,
                     "" if 0 <= value < 10 else "<i>%s</i>" % cell["hex"]))
            w("</tr>\n")
        w("</tbody>\n")
    w("</table>\n</div>\n")
    # "</" cannot appear inside a script element: escape the slash.
    w("<script type=\"application/json\" id=\"headers\">%s</script>\n"
      % json.dumps(headers).replace("</", "<\\/"))
    w("<script>%s</script>\n</body>\n</html>\n" % _SCRIPT)
    return "".join(out)
