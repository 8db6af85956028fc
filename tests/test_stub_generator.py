"""gen/stubs.py: the constants' typing stub rendered from probe results."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if not (ROOT / "gen" / "stubs.py").exists():
    pytest.skip("the generator (gen/) is not in this tree",
                allow_module_level=True)
if str(ROOT) not in sys.path:
    # Last, so that the installed sockcffi still wins over the source tree.
    sys.path.append(str(ROOT))
pytest.importorskip("jinja2")

from gen import stubs  # noqa: E402
from gen.probe import Constant  # noqa: E402


def _constant(name, header):
    return Constant(name=name, group="g", level=None, header=header,
                    via=header, source="header", expr=name)


CONSTANTS = [_constant(n, h) for n, h in [
    ("SOCK_STREAM", "bits/socket_type.h"), ("SOCK_CLOEXEC", "bits/x.h"),
    ("AF_INET", "bits/socket.h"), ("AF_UNIX", "bits/socket.h"),
    ("TCP_REPAIR", "netinet/tcp.h"), ("MSG_PEEK", "bits/socket.h"),
    ("AI_PASSIVE", "netdb.h")]]


def _parse(text):
    tree = ast.parse(text)
    classes = {n.name: [t.targets[0].id for t in n.body
                        if isinstance(t, ast.Assign)]
               for n in tree.body if isinstance(n, ast.ClassDef)}
    annotated = {n.target.id for n in tree.body
                 if isinstance(n, ast.AnnAssign)}
    unparse = getattr(ast, "unparse", None)
    assigned = {n.targets[0].id: unparse(n.value) if unparse else None
                for n in tree.body if isinstance(n, ast.Assign)}
    return classes, annotated, assigned


def test_stub_with_the_header_rule(monkeypatch):
    monkeypatch.setattr(stubs, "_stdlib_names", lambda: None)
    text = stubs.render_stub([], CONSTANTS)
    classes, annotated, assigned = _parse(text)
    assert classes["SocketKind"] == ["SOCK_STREAM"]   # not SOCK_CLOEXEC
    assert classes["AddressFamily"] == ["AF_INET", "AF_UNIX"]
    assert annotated == {"SOCK_CLOEXEC", "TCP_REPAIR"}
    assert set(assigned) == {"SOCK_STREAM", "AF_INET", "AF_UNIX",
                             "MSG_PEEK", "AI_PASSIVE"}
    if hasattr(ast, "unparse"):
        assert assigned["AF_UNIX"] == "AddressFamily.AF_UNIX"


def test_stub_with_the_stdlib_rule(monkeypatch):
    monkeypatch.setattr(stubs, "_stdlib_names",
                        lambda: {"AF_INET", "SOCK_STREAM", "SOCK_CLOEXEC"})
    classes, annotated, _ = _parse(stubs.render_stub([], CONSTANTS))
    assert classes["SocketKind"] == ["SOCK_CLOEXEC", "SOCK_STREAM"]
    assert classes["AddressFamily"] == ["AF_INET"]
    assert "AF_UNIX" in annotated
    assert classes["MsgFlag"] == []         # an empty enum is still valid


def test_stub_is_stable():
    first = stubs.render_stub([], CONSTANTS)
    assert stubs.render_stub([], list(reversed(CONSTANTS))) == first
