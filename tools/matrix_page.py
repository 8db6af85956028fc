"""The porting matrix over the nine targets, as a person sees it.

    python tools/matrix_page.py [--out DIR] [--targets T1,T2,...] [--runs N]

Runs ``sockcffi matrix`` over the targets in one command (timed, N times),
writes the JSON and the HTML page, renders the page in headless Chromium
(Debian's ``chromium``) to a screenshot, once as opened and once filtered
through the URL fragment, and checks through the browser's DOM that the
rows that differ are marked and that the filter hides the rest.  Prints the
figures the README quotes: wall time, constants that differ, page size.

Run it with the interpreter sockcffi is installed in (.venv-cpython/bin/
python).  tests/test_matrix_page.py uses the browser helpers below on a
small page.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

NINE = ("native,musl,mips-linux-gnu,alpha-linux-gnu,hppa-linux-gnu,"
        "sparc64-linux-gnu,aarch64-linux-gnu,riscv64-linux-gnu,"
        "x86_64-w64-mingw32")

# A fresh profile each run, and nothing that reaches the network.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def chromium():
    """The browser's command name, or None."""
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return name
    return None


def _browser(args, timeout=120):
    with tempfile.TemporaryDirectory(prefix="sockcffi-chromium-") as home:
        return subprocess.run(
            [chromium()] + CHROMIUM_FLAGS + ["--user-data-dir=" + home]
            + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=timeout, check=True)


def screenshot(page, png, fragment="", size=(1600, 1000)):
    """Render ``page`` (a file) and save what a window shows as ``png``."""
    _browser(["--window-size=%d,%d" % size, "--screenshot=" + png,
              "file://" + os.path.abspath(page) + fragment])
    return png


def dom(page, fragment=""):
    """The page's DOM as the browser has it once its script has run."""
    return _browser(["--dump-dom", "file://" + os.path.abspath(page)
                     + fragment]).stdout


def rows_in(dom_text):
    """{name: (classes, hidden)} of the matrix rows in a dumped DOM."""
    found = {}
    for m in re.finditer(r'<tr class="(r[^"]*)" data-name="([^"]+)"'
                         r'( hidden="")?', dom_text):
        found[m.group(2)] = (m.group(1).split(), bool(m.group(3)))
    return found


def shown(dom_text):
    """The count the page's script reports (body's data-shown)."""
    return int(re.search(r'<body data-shown="(\d+)"', dom_text).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="matrix-page",
                        help="folder for matrix.json, matrix.html and the "
                             "screenshots (default: ./matrix-page)")
    parser.add_argument("--targets", default=NINE)
    parser.add_argument("--runs", type=int, default=1,
                        help="time the matrix command this many times")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data = os.path.join(args.out, "matrix.json")
    page = os.path.join(args.out, "matrix.html")
    walls = []
    for _ in range(args.runs):
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "sockcffi", "matrix",
                        "--targets", args.targets, "--json", "-o", data],
                       check=True, cwd=os.path.dirname(os.path.abspath(
                           data)))
        walls.append(time.monotonic() - start)
    with open(data) as f:
        doc = json.load(f)
    from sockcffi import matrix_page
    with open(page, "w", encoding="utf-8") as f:
        f.write(matrix_page.render(doc))
    s = doc["summary"]
    print("targets: %s" % ", ".join(t["label"] for t in doc["targets"]))
    print("matrix wall time: %s s (median %.1f s, %d run(s))"
          % (", ".join("%.1f" % w for w in walls),
             sorted(walls)[len(walls) // 2], len(walls)))
    print("constants: %d; the same everywhere: %d; differ between some two "
          "targets: %d (in value: %d, absent somewhere: %d)"
          % (s["constants"], s["same"], s["differing"], s["value_differs"],
             s["missing_somewhere"]))
    print("page: %s, %d bytes" % (page, os.path.getsize(page)))
    if chromium() is None:
        print("chromium is not installed: no screenshot, no DOM check")
        return 1
    shots = [screenshot(page, os.path.join(args.out, "matrix.png")),
             screenshot(page, os.path.join(args.out, "matrix-filtered.png"),
                        "#q=SO_*&values=1")]
    for png in shots:
        print("screenshot: %s, %d bytes" % (png, os.path.getsize(png)))
    everything = rows_in(dom(page))
    filtered_dom = dom(page, "#q=SO_REUSE*")
    filtered = rows_in(filtered_dom)
    assert len(everything) == s["constants"]
    assert all(not hidden for _, hidden in everything.values())
    marked = {n for n, (classes, _) in everything.items() if "d" in classes}
    assert len(marked) == s["differing"], (len(marked), s["differing"])
    visible = sorted(n for n, (_, hidden) in filtered.items() if not hidden)
    assert visible == sorted(n for n in everything
                             if n.startswith("SO_REUSE")), visible
    assert shown(filtered_dom) == len(visible)
    print("DOM: %d rows, %d marked as differing; #q=SO_REUSE* leaves %s"
          % (len(everything), len(marked), ", ".join(visible)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
