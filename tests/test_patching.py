"""patch()/unpatch() and ``python -m sockcffi run``, each in a child process
(they change the process's socket module)."""
import os
import subprocess
import sys
import textwrap

import pytest

TIMEOUT = 60


def _python(args, cwd, code=None):
    proc = subprocess.run([sys.executable] + args, cwd=cwd,
                          input=code, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=TIMEOUT)
    return proc


def _check(code, tmp_path):
    proc = _python(["-"], str(tmp_path), textwrap.dedent(code))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_patch_and_unpatch_when_socket_was_never_imported(tmp_path):
    out = _check("""
        import sys
        import sockcffi
        assert "socket" not in sys.modules
        sockcffi.patch()
        sockcffi.patch()                       # harmless twice
        import socket
        assert socket is sockcffi
        import http.client, socketserver
        assert http.client.socket is sockcffi
        assert socketserver.socket is sockcffi
        sockcffi.unpatch()
        import socket
        assert socket is not sockcffi
        assert socket.socket.__module__ == "socket"
        # the module given back is the one to_stdlib() makes sockets of
        from sockcffi.patching import stdlib_socket
        assert stdlib_socket() is socket
        print("ok")
        """, tmp_path)
    assert out == "ok\n"


def test_unpatch_restores_the_module_imported_before(tmp_path):
    _check("""
        import socket as before
        import sockcffi
        sockcffi.patch()
        import socket
        assert socket is sockcffi
        # captured before the patch: still the stdlib (documented limit)
        assert before is not sockcffi
        sockcffi.unpatch()
        import socket
        assert socket is before
        sockcffi.unpatch()                     # harmless twice
        """, tmp_path)


def test_patch_installs_and_unpatch_uninstalls_tls(tmp_path):
    _check("""
        import sys, types
        import sockcffi
        calls = []
        tls = types.ModuleType("sockcffi.tls")
        tls.install = lambda: calls.append("install")
        tls.uninstall = lambda: calls.append("uninstall")
        sys.modules["sockcffi.tls"] = tls
        sockcffi.patch()
        sockcffi.unpatch()
        assert calls == ["install", "uninstall"], calls
        """, tmp_path)


def test_patch_works_without_a_tls_module(tmp_path):
    _check("""
        import sys
        import sockcffi
        sys.modules["sockcffi.tls"] = None     # import sockcffi.tls fails
        sockcffi.patch()
        import socket
        assert socket is sockcffi
        sockcffi.unpatch()
        """, tmp_path)


def test_an_import_error_inside_tls_is_not_swallowed(tmp_path):
    _check("""
        import sys
        import sockcffi

        class Broken:
            def find_spec(self, name, path=None, target=None):
                if name == "sockcffi.tls":
                    raise ImportError("no module named 'dep'", name="dep")

        sys.modules.pop("sockcffi.tls", None)
        sys.meta_path.insert(0, Broken())
        try:
            sockcffi.patch()
        except ImportError as e:
            assert e.name == "dep"
        else:
            raise AssertionError("ImportError swallowed")
        """, tmp_path)


SCRIPT = """
import sys
import socket, sockcffi, helper
import http.server, http.client, threading

assert socket is sockcffi and helper.SOCKET is sockcffi
assert __name__ == "__main__"
print(sys.argv[1:], sys.path[0] == HERE)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.path.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
assert isinstance(server.socket, sockcffi.socket)
thread = threading.Thread(target=server.serve_forever)
thread.start()
try:
    conn = http.client.HTTPConnection(*server.server_address, timeout=10)
    for i in range(5):
        conn.request("GET", "/r%d" % i)
        assert isinstance(conn.sock, sockcffi.socket)
        response = conn.getresponse()
        assert response.read() == b"/r%d" % i
    conn.close()
finally:
    server.shutdown()
    thread.join(10)
    server.server_close()
print("served")
sys.exit(int(sys.argv[-1]))
"""


@pytest.fixture
def program(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "helper.py").write_text("import socket\nSOCKET = socket\n")
    (app / "prog.py").write_text(
        "HERE = %r\n" % str(app) + SCRIPT)
    (app / "progmod.py").write_text(
        "import os\nHERE = os.getcwd()\n" + SCRIPT)
    return app


def test_run_script(program, tmp_path):
    proc = _python(["-m", "sockcffi", "run", str(program / "prog.py"),
                    "a b", "0"], str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['a b', '0'] True\nserved\n"


def test_run_script_exit_status(program, tmp_path):
    proc = _python(["-m", "sockcffi", "run", str(program / "prog.py"), "3"],
                   str(tmp_path))
    assert proc.returncode == 3, proc.stderr


def test_run_module(program):
    proc = _python(["-m", "sockcffi", "run", "-m", "progmod", "x", "0"],
                   str(program))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "['x', '0'] True\nserved\n"


def test_run_script_sees_the_socket_module_from_its_first_import(tmp_path):
    script = tmp_path / "first.py"
    script.write_text(textwrap.dedent("""
        import sys
        import sockcffi
        # nothing of the program imported the real socket module first
        assert sys.modules["socket"] is sockcffi
        import asyncio, socketserver, ftplib, smtplib, urllib.request
        for m in (asyncio.base_events, socketserver, ftplib, smtplib,
                  urllib.request):
            assert m.socket is sockcffi, m
        """))
    proc = _python(["-m", "sockcffi", "run", str(script)], str(tmp_path))
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("args,status", [([], 2), (["-m"], 2),
                                         (["--help"], 0)])
def test_run_usage(args, status, tmp_path):
    proc = _python(["-m", "sockcffi", "run"] + args, str(tmp_path))
    assert proc.returncode == status
    assert "usage: python -m sockcffi run" in proc.stdout + proc.stderr


def test_console_script_runs_too(program, tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "sockcffi")
    proc = subprocess.run([script, "run", str(program / "prog.py"), "0"],
                          cwd=str(tmp_path), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.endswith("served\n")


@pytest.mark.parametrize("args", [
    ["missing.py"], ["-m", "nosuch"], ["-m", "nosuch.sub"], ["folder"],
    ["-m", "json"], ["-m", "pkg"], ["-m", "pkg.__main__"], ["-m", ".rel"],
    ["-m", "prog.py"]])
def test_run_reports_a_missing_program_as_python_does(args, tmp_path):
    # A folder and a package without __main__, a relative name, a file
    # name given to -m: python's one line, and its exit status.
    (tmp_path / "folder").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    ours = _python(["-m", "sockcffi", "run"] + args, str(tmp_path))
    theirs = _python(args, str(tmp_path))
    assert theirs.returncode != 0
    assert ours.returncode == theirs.returncode, ours.stderr
    assert "Traceback" not in ours.stderr, ours.stderr
    assert len(ours.stderr.splitlines()) == 1, ours.stderr
    # The same words after the interpreter's name.
    assert ours.stderr.split(": ", 1)[1] == theirs.stderr.split(": ", 1)[1]
