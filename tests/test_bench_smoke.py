"""The benchmark workloads run, on this interpreter, with both modules.

Timing is never asserted here (tools/bench/run.py measures); this only keeps
the harness from rotting: every workload completes with tiny sizes and
reports a positive time per unit.
"""
import os
import socket
import sys

import pytest

import sockcffi

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "tools", "bench")
if not os.path.isdir(BENCH):
    pytest.skip("tools/bench is not beside the tests", allow_module_level=True)
sys.path.append(BENCH)
import workloads  # noqa: E402

SIZES = {"bulk_unix": 4 * workloads.CHUNK, "bulk_tcp": 4 * workloads.CHUNK,
         "echo_10": 2, "echo_100": 1, "echo_1000": 1,
         "tls_bulk": 4 * 16384, "tls_bulk_membio": 4 * 16384,
         "tls_handshake": 5, "tls_handshake_membio": 5,
         "asyncio_echo": 200, "asyncio_protocol": 200,
         "asyncio_datagram": 50}


@pytest.mark.parametrize("module", [socket, sockcffi],
                         ids=["stdlib", "sockcffi"])
@pytest.mark.parametrize("name", sorted(workloads.WORKLOADS))
def test_workload_runs(name, module):
    func = workloads.WORKLOADS[name][0]
    assert func(module, SIZES.get(name, 20)) > 0


@pytest.mark.parametrize("mode", ["stdlib", "sockcffi", "aio"])
def test_http_server_answers_keep_alive_requests(mode, tmp_path):
    """http_bench.py's Protocol server (wrk drives it there): pipelined
    requests, one with a body, then ``Connection: close``, over one
    connection: one answer each, then EOF."""
    import subprocess
    import http_bench
    proc = subprocess.Popen(
        [sys.executable, http_bench.SERVER, mode, "protocol"],
        cwd=str(tmp_path), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        port = http_bench.read_port(proc)
        with socket.create_connection(("127.0.0.1", port), 30) as conn:
            get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            conn.sendall(get * 2 + b"POST / HTTP/1.1\r\nContent-Length: 5"
                         b"\r\n\r\nhello" + get[:-2]
                         + b"Connection: close\r\n\r\n")
            answers = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answers += chunk
        assert answers.count(b"HTTP/1.1 200 OK\r\n") == 4
        assert answers.endswith(b"Hello, World!")
    finally:
        proc.stdin.close()
        assert proc.wait(30) == 0
        proc.stdout.close()
