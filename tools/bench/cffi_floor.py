"""Where the time goes: each workload of tools/bench/workloads.py made of
bare cffi calls -- the C calls sockcffi makes for it, with arguments and
buffers prepared once, no socket object and no conversions -- beside the
socket methods of sockcffi and of the stdlib, and the C program's floor
where there is one.

    python tools/bench/cffi_floor.py [--rounds N] [WORKLOAD ...]

WORKLOAD: pingpong (default), udp, fdpass, inet_pton_ntop.

The gap between "bare cffi calls" and the C floor (or, for the pure
functions, the stdlib's whole call) is the cost of calling out of Python
(cffi's argument conversion, releasing and retaking the GIL, saving errno);
the gap between "sockcffi methods" and "bare cffi calls" is sockcffi's own
Python layer.  For inet_pton_ntop an "unchecked layer" row shows the
thinnest Python functions over the same calls (no argument checks, a
shared buffer): what being Python functions costs before any check.
"""
import argparse
import array
import os
import socket as stdlib_socket
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sockcffi  # noqa: E402
from sockcffi._binding import ffi, lib  # noqa: E402
import run  # noqa: E402
import workloads  # noqa: E402


def bare_pingpong(rounds):
    """workloads.pingpong: send() and recv() of one byte each way."""
    a, b = sockcffi.socketpair()
    fa, fb = a.fileno(), b.fileno()
    send, recv, unpack = lib.send, lib.recv, ffi.unpack
    buf = ffi.new("char[]", 1)
    x = b"x"
    start = time.perf_counter()
    for _ in range(rounds):
        send(fa, x, 1, 0)
        unpack(buf, recv(fb, buf, 1, 0))
        send(fb, x, 1, 0)
        unpack(buf, recv(fa, buf, 1, 0))
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return elapsed / rounds


def bare_udp(count):
    """workloads.udp: sendto() a 64-byte datagram to 127.0.0.1, recvfrom()
    it with the sender's address."""
    rx = sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM)
    tx = sockcffi.socket(sockcffi.AF_INET, sockcffi.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    to = ffi.new("struct sockaddr_in *")
    to.sin_family = sockcffi.AF_INET
    to.sin_port = sockcffi.htons(port)
    to.sin_addr.s_addr = sockcffi.htonl(0x7f000001)
    tolen = ffi.sizeof(to[0])
    name = ffi.new("struct sockaddr_storage *")
    size = ffi.new("socklen_t *")
    buf = ffi.new("char[]", 64)
    payload = b"d" * 64
    ftx, frx = tx.fileno(), rx.fileno()
    sendto, recvfrom, unpack = lib.sendto, lib.sockcffi_recvfrom_small, \
        ffi.unpack
    start = time.perf_counter()
    for _ in range(count):
        sendto(ftx, payload, 64, 0, to, tolen)
        unpack(buf, recvfrom(frx, buf, 64, name, size))
    elapsed = time.perf_counter() - start
    rx.close()
    tx.close()
    return elapsed / count


def bare_fdpass(count):
    """workloads.fdpass: sendmsg() one byte and one descriptor, recvmsg()
    them (the message kit's own control buffer), close the copy."""
    a, b = sockcffi.socketpair()
    fa, fb = a.fileno(), b.fileno()
    control = array.array("i", [fa]).tobytes()
    space = sockcffi.CMSG_SPACE(len(control))
    out = ffi.new("struct sockcffi_msg *")
    into = ffi.new("struct sockcffi_msg *")
    fd_at = ffi.cast("int *", into.control + sockcffi.CMSG_LEN(0))
    buf = ffi.new("char[]", 1)
    lib.sockcffi_cmsg_put(out.control, 0, sockcffi.SOL_SOCKET,
                          sockcffi.SCM_RIGHTS, control, len(control))
    sendmsg, recvmsg, null = lib.sockcffi_sendmsg, lib.sockcffi_recvmsg, \
        ffi.NULL
    close = os.close
    start = time.perf_counter()
    for _ in range(count):
        sendmsg(fa, out, b"x", 1, null, 0, null, 0, null, space, 0)
        recvmsg(fb, into, buf, 1, null, 0, null, space, 0)
        close(fd_at[0])
    elapsed = time.perf_counter() - start
    a.close()
    b.close()
    return elapsed / count


def bare_inet(count):
    """workloads.inet_pton_ntop: the one C call of each function
    (AF_INET inet_ntop formats in Python and makes none)."""
    pton4, pton6, ntop6 = lib.sockcffi_pton4, lib.sockcffi_pton6, \
        lib.sockcffi_ntop6
    unpack = ffi.unpack
    packed = ffi.new("char[16]")
    wide = ffi.new("wchar_t[]", lib.INET6_ADDRSTRLEN)
    text4, text6 = b"192.0.2.33", b"2001:db8::1"
    p6 = stdlib_socket.inet_pton(stdlib_socket.AF_INET6, "2001:db8::1")
    start = time.perf_counter()
    for _ in range(count):
        pton4(text4, 10)
        pton6(text6, 11, packed)
        unpack(packed, 16)
        unpack(wide, ntop6(p6, wide))
    elapsed = time.perf_counter() - start
    return elapsed / count / 4


class _UncheckedInet:
    """inet_pton/inet_ntop as thin as a Python layer over the same C calls
    can be: no argument checks, no error paths, one shared output buffer
    (unsafe across threads).  For measurement only: what any binding of
    these calls pays for being Python functions at all."""

    AF_INET, AF_INET6 = int(stdlib_socket.AF_INET), \
        int(stdlib_socket.AF_INET6)

    def __init__(self):
        pton4, pton6, ntop6 = lib.sockcffi_pton4, lib.sockcffi_pton6, \
            lib.sockcffi_ntop6
        unpack, join = ffi.unpack, ".".join
        octets = tuple(str(i) for i in range(256))
        packed = ffi.new("char[16]")
        wide = ffi.new("wchar_t[]", lib.INET6_ADDRSTRLEN)
        af4 = self.AF_INET

        def inet_pton(family, text):
            data = text.encode()
            if family == af4:
                return pton4(data, len(data)).to_bytes(4, "big")
            pton6(data, len(data), packed)
            return unpack(packed, 16)

        def inet_ntop(family, b):
            if family == af4:
                return join([octets[b[0]], octets[b[1]], octets[b[2]],
                             octets[b[3]]])
            return unpack(wide, ntop6(b, wide))

        self.inet_pton, self.inet_ntop = inet_pton, inet_ntop


SPLITS = {
    # workload: (bare calls, unit scale, unit)
    "pingpong": (bare_pingpong, 1e6, "us/round"),
    "udp": (bare_udp, 1e6, "us/datagram"),
    "fdpass": (bare_fdpass, 1e6, "us/fd"),
    "inet_pton_ntop": (bare_inet, 1e9, "ns/call"),
}


def split(name, rounds):
    bare, scale, unit = SPLITS[name]
    func, size, _, floor_name = workloads.WORKLOADS[name]
    rounds = rounds or size
    cases = [("bare cffi calls", bare)]
    if name == "inet_pton_ntop":
        unchecked = _UncheckedInet()
        cases.append(("unchecked layer", lambda n: func(unchecked, n)))
    cases += [("sockcffi methods", lambda n: func(sockcffi, n)),
              ("stdlib methods", lambda n: func(stdlib_socket, n))]
    for _, f in cases:                       # warm-up (PyPy's JIT)
        f(max(1, rounds // 10))
    results = {label: [] for label, _ in cases}
    for _ in range(5):
        for label, f in cases:
            results[label].append(f(rounds))
    floor = None
    if floor_name:
        with tempfile.TemporaryDirectory() as workdir:
            exe = run.compile_floor(workdir)
            if exe:
                floor = run.run_floor(exe, floor_name, rounds, 3)
    print("# %s, %s" % (name, run.machine()["interpreter"]))
    for label, _ in cases:
        print("%-18s %9.3f %s"
              % (label, statistics.median(results[label]) * scale, unit))
    if floor:
        print("%-18s %9.3f %s" % ("C floor", floor * scale, unit))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", choices=sorted(SPLITS),
                        default=["pingpong"], metavar="WORKLOAD")
    parser.add_argument("--rounds", type=int, default=0,
                        help="calls per run (default: the workload's size)")
    args = parser.parse_args()
    for name in args.workloads:
        split(name, args.rounds)


if __name__ == "__main__":
    main()
