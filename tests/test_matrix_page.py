"""The matrix's HTML page in a real browser: headless Chromium (Debian's
``chromium``, which tools/run_tests.sh installs) runs the page's script;
the DOM it dumps shows the rows that differ marked and the filter, read
from the URL fragment, applied.  tools/matrix_page.py does the same over
the nine targets and takes the screenshots.

Skipped only when chromium is absent (a failure under
SOCKCFFI_REQUIRE_CROSS=1, which tools/run_tests.sh sets).
"""
import os
import sys

import pytest

from sockcffi import matrix, matrix_page

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tools")
if not os.path.isdir(TOOLS):
    pytest.skip("tools/ is not beside the tests", allow_module_level=True)
sys.path.append(TOOLS)
import matrix_page as browser  # noqa: E402  (tools/matrix_page.py)


@pytest.fixture(autouse=True)
def need_chromium():
    if browser.chromium() is None:
        if os.environ.get("SOCKCFFI_REQUIRE_CROSS") == "1":
            pytest.fail("chromium is not installed (tools/run_tests.sh "
                        "installs it)")
        pytest.skip("chromium is not installed")


def column(label, values, header="sys/socket.h"):
    return matrix.Column(label, {
        name: {"value": value, "group": group, "level": None,
               "header": header, "via": header, "source": "header"}
        for name, (group, value) in values.items()}, None, label + ".json")


@pytest.fixture
def page(tmp_path):
    """A small page: two Linux-like columns and a Winsock-like one."""
    linux = {"AF_INET": ("address_family", 2),
             "AF_INET6": ("address_family", 10),
             "SO_REUSEADDR": ("socket_option", 2),
             "SO_REUSEPORT": ("socket_option", 15),
             "SO_TYPE": ("socket_option", 3)}
    mips = dict(linux, SO_REUSEADDR=("socket_option", 4),
                SO_REUSEPORT=("socket_option", 0x200),
                SO_TYPE=("socket_option", 0x1008))
    windows = {"AF_INET": ("address_family", 2),
               "AF_INET6": ("address_family", 23),
               "SO_REUSEADDR": ("socket_option", 4),
               "SO_EXCLUSIVEADDRUSE": ("socket_option", -5),
               "SO_TYPE": ("socket_option", 0x1008)}
    columns = [column("x86_64-linux-gnu", linux),
               column("mips-linux-gnu", mips),
               column("x86_64-w64-mingw32", windows, "winsock2.h")]
    rows = matrix.rows(columns)
    doc = {"sockcffi": "test", "records": rows,
           "targets": [matrix.describe(c) for c in columns],
           "summary": matrix.summary(columns, rows)}
    path = tmp_path / "matrix.html"
    path.write_text(matrix_page.render(doc), encoding="utf-8")
    return str(path), doc


def test_differing_rows_are_marked(page):
    path, doc = page
    rows = browser.rows_in(browser.dom(path))
    assert sorted(rows) == sorted(r["name"] for r in doc["records"])
    assert not any(hidden for _, hidden in rows.values())
    assert "d" not in rows["AF_INET"][0]
    for name in ("AF_INET6", "SO_REUSEPORT", "SO_EXCLUSIVEADDRUSE"):
        assert "d" in rows[name][0], name
    assert "v" in rows["AF_INET6"][0]                  # 10 vs 23
    assert "v" not in rows["SO_EXCLUSIVEADDRUSE"][0]   # only absent


def test_filter_from_the_fragment(page):
    path, doc = page
    dom = browser.dom(path, "#q=SO_REUSE*")
    rows = browser.rows_in(dom)
    assert sorted(n for n, (_, hidden) in rows.items() if not hidden) == [
        "SO_REUSEADDR", "SO_REUSEPORT"]
    assert browser.shown(dom) == 2
    assert "2 of %d shown" % len(doc["records"]) in dom
    dom = browser.dom(path, "#differing=1&missing=x86_64-w64-mingw32")
    rows = browser.rows_in(dom)
    assert sorted(n for n, (_, hidden) in rows.items() if not hidden) == [
        "SO_REUSEPORT"]
    dom = browser.dom(path, "#q=/^AF_/&values=1")
    rows = browser.rows_in(dom)
    assert sorted(n for n, (_, hidden) in rows.items() if not hidden) == [
        "AF_INET6"]


def test_screenshot(page, tmp_path):
    path, _ = page
    png = browser.screenshot(path, str(tmp_path / "page.png"),
                             size=(900, 500))
    with open(png, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 900    # IHDR width
