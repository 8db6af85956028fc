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
