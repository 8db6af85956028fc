"""getaddrinfo() against the running interpreter's stdlib, to the message.

Results (with the enum type of family and kind), exception classes and
messages, and the audit events of getaddrinfo and the other resolver
functions (recorded in a child process: an audit hook cannot be removed)
must all be the stdlib's.  Also
the path taken when the result does not fit the pooled arrays, and
concurrent calls sharing the pool.
"""
import json
import os
import socket
import subprocess
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import sockcffi
from sockcffi import _buffers, resolver

import gai_cases
from sockhelpers import JOIN

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("args", gai_cases.CASES, ids=repr)
def test_getaddrinfo_table(args):
    assert gai_cases.run(sockcffi, args) == gai_cases.run(socket, args)


def test_getaddrinfo_table_twice():
    # the second call of each case takes the caches' hits
    for args in gai_cases.CASES:
        expected = gai_cases.run(socket, args)
        assert gai_cases.run(sockcffi, args) == expected, args
        assert gai_cases.run(sockcffi, args) == expected, args


AUDIT_CHILD = r"""
import json, socket, sys
sys.path.insert(0, sys.argv[1])
import sockcffi
import gai_cases

events = []
sys.addaudithook(lambda name, args: events.append(
    [name, [gai_cases.describe_arg(a) for a in args]])
    if name == "socket.getaddrinfo" else None)
bad = []
for args in gai_cases.CASES:
    seen = {}
    for mod in (socket, sockcffi):
        del events[:]
        outcome = gai_cases.run(mod, args)
        seen[mod.__name__] = [repr(outcome), list(events)]
    if seen["socket"] != seen["sockcffi"]:
        bad.append([repr(args), seen])
print(json.dumps(bad))
"""


AUDIT_OTHERS_CHILD = r"""
import json, socket, sys
sys.path.insert(0, sys.argv[1])
import sockcffi
import gai_cases

events = []
sys.addaudithook(lambda name, args: events.append(
    [name, [gai_cases.describe_arg(a) for a in args]])
    if name.startswith("socket.") and name != "socket.__new__" else None)
bad = []
for name, args in gai_cases.OTHER_CALLS:
    seen = {}
    for mod in (socket, sockcffi):
        del events[:]
        outcome = gai_cases.run_other(mod, name, args)
        seen[mod.__name__] = [repr(outcome), list(events)]
    if seen["socket"] != seen["sockcffi"]:
        bad.append([name, repr(args), seen])
print(json.dumps(bad))
"""


@pytest.mark.parametrize("child", [AUDIT_CHILD, AUDIT_OTHERS_CHILD],
                         ids=["getaddrinfo", "others"])
def test_audit_events(child):
    out = subprocess.run([sys.executable, "-c", child, HERE],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         universal_newlines=True, timeout=120, cwd=HERE)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


hosts = st.one_of(
    st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str),
    st.tuples(st.ip_addresses(v=6).map(str),
              st.sampled_from(["lo", "1", "0", "99", "nosuch0", ""])).map(
        "%".join),
    st.ip_addresses().map(lambda a: str(a).encode()),
    st.text(alphabet="0123456789abcdef.:%x", max_size=16),
    st.sampled_from([None, "", "localhost", b"", gai_cases.StrSub("::1"),
                     gai_cases.BytesSub(b"1.2.3.4"), bytearray(b"::1"), 1,
                     "a" * 64, "a.", ".a", "\udcff"]))
ports = st.one_of(
    st.integers(-70000, 70000), st.integers(),
    st.integers(0, 65535).map(str), st.integers(0, 65535).map(
        lambda p: str(p).encode()),
    st.sampled_from([None, "", "http", b"domain", "nosuch", 1.0, True,
                     gai_cases.IntSub(7), gai_cases.IndexOnly(),
                     gai_cases.StrSub("9"), bytearray(b"1"), "\udcff"]))
ints = st.one_of(
    st.sampled_from([0, socket.AF_INET, socket.AF_INET6, socket.AF_UNIX,
                     socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_RAW,
                     6, 17, 132, 999, -1, True, gai_cases.IntSub(2),
                     gai_cases.IndexOnly(), gai_cases.IntOnly(), "1", 1.0,
                     None]),
    st.integers(-2 ** 31, 2 ** 31 - 1), st.integers())
flags = st.one_of(st.integers(0, 0x7ff), ints)


@SETTINGS
@given(host=hosts, port=ports, family=ints, kind=ints, proto=ints,
       flags=flags)
def test_getaddrinfo_generated(host, port, family, kind, proto, flags):
    if host not in (None, "", "localhost", b"") and isinstance(flags, int) \
            and not isinstance(flags, bool):
        flags |= socket.AI_NUMERICHOST       # never ask a name server
    elif host not in (None, "", "localhost", b""):
        return
    args = (host, port, family, kind, proto, flags)
    assert gai_cases.run(sockcffi, args) == gai_cases.run(socket, args)


def test_getaddrinfo_overflowing_pool(monkeypatch):
    # arrays too small for the result: the list is kept and laid out again
    # in arrays of the size it needs, then freed
    monkeypatch.setattr(_buffers, "ADDRINFO_RECORDS", 1)
    monkeypatch.setattr(_buffers, "ADDRINFO_CANON", 1)
    pool = _buffers.addrinfo_pool       # bound by resolver: emptied in place
    kept = pool[:]
    del pool[:]
    try:
        for args in [("127.0.0.1", 80), ("::1", None, 0, 0, 0,
                                         socket.AI_CANONNAME),
                     ("localhost", 80, 0, 0, 0, socket.AI_CANONNAME),
                     (None, 0, 0, 0, 0, socket.AI_PASSIVE),
                     ("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM)]:
            assert resolver.getaddrinfo(*args) == socket.getaddrinfo(*args)
        # only arrays of the configured size go back to the pool
        assert pool and all(arrays.out.n == 1 for arrays in pool)
    finally:
        pool[:] = kept


def test_getaddrinfo_threads_share_the_pool():
    expected = {args: socket.getaddrinfo(*args) for args in [
        ("127.0.0.1", 80), ("::1", 443, socket.AF_INET6),
        ("127.0.0.1", "80", 0, 0, 0, socket.AI_CANONNAME)]}
    errors = []

    def work():
        try:
            for _ in range(300):
                for args, result in expected.items():
                    got = resolver.getaddrinfo(*args)
                    if got != result:
                        errors.append((args, got))
        except Exception as e:      # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
