"""IP address text: sockcffi's own AF_INET6 formatter (gen/bindings/inet.py,
used with glibc) against the C library's inet_ntop() and the stdlib, over
every pattern of zero groups; and the inet_pton/inet_ntop short paths
against their checked paths."""
import itertools
import random
import socket

import pytest

import sockcffi
from sockcffi._binding import ffi, lib

from sockhelpers import outcome


def libc_ntop6(packed):
    buf = ffi.new("char[]", lib.INET6_ADDRSTRLEN)
    assert lib.inet_ntop(socket.AF_INET6, packed, buf,
                         lib.INET6_ADDRSTRLEN) != ffi.NULL
    return ffi.string(buf).decode("ascii")


def own_ntop6(packed):
    buf = ffi.new("wchar_t[]", lib.INET6_ADDRSTRLEN)
    n = lib.sockcffi_ntop6(packed, buf)
    assert n >= 0
    return ffi.unpack(buf, n)


def group_values(rng):
    """Non-zero 16-bit values of every hex width."""
    return [1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff,
            rng.randrange(1, 0x10000)]


def packed_addresses():
    """Every zero/non-zero pattern of the 8 groups, several values for the
    non-zero ones, plus the IPv4-mapped and -compatible forms."""
    rng = random.Random(5952)
    values = group_values(rng)
    for pattern in itertools.product((False, True), repeat=8):
        for _ in range(6):
            groups = [rng.choice(values) if nonzero else 0
                      for nonzero in pattern]
            yield b"".join(g.to_bytes(2, "big") for g in groups)
    for tail in (b"\0\0\0\0", b"\1\2\3\4", b"\xff\xff\xff\xff",
                 b"\0\0\0\1", b"\x0a\x00\x00\x01", b"\xc0\xa8\x01\xfe"):
        for prefix in (b"\0" * 12, b"\0" * 10 + b"\xff\xff",
                       b"\0" * 10 + b"\xff\xfe", b"\0" * 8 + b"\xff\xff\0\0",
                       b"\0" * 11 + b"\1", b"\0\1" + b"\0" * 10):
            yield prefix + tail


def test_own_formatter_matches_the_c_library():
    count = 0
    for packed in packed_addresses():
        assert own_ntop6(packed) == libc_ntop6(packed), packed.hex()
        count += 1
    assert count > 1500


def test_inet_ntop6_matches_the_stdlib():
    for packed in packed_addresses():
        assert (sockcffi.inet_ntop(socket.AF_INET6, packed)
                == socket.inet_ntop(socket.AF_INET6, packed)), packed.hex()


def test_inet_ntop4_matches_the_stdlib():
    for packed in itertools.product((0, 1, 9, 10, 99, 100, 199, 255),
                                    repeat=4):
        packed = bytes(packed)
        assert (sockcffi.inet_ntop(socket.AF_INET, packed)
                == socket.inet_ntop(socket.AF_INET, packed)
                == sockcffi.inet_ntoa(packed))


class LyingInt(int):
    """An int subclass whose comparisons lie: never on a short path."""

    def __eq__(self, other):
        return True

    __hash__ = int.__hash__


@pytest.mark.parametrize("family, text", [
    (socket.AF_INET, "192.0.2.33"), (socket.AF_INET, "1.2.3"),
    (socket.AF_INET, "1.2.3.4\0"), (socket.AF_INET, "01.2.3.4"),
    (socket.AF_INET, "\udc80"), (socket.AF_INET6, "2001:db8::1"),
    (socket.AF_INET6, "::ffff:1.2.3.4"), (socket.AF_INET6, "::1\0"),
    (socket.AF_INET6, "1:2:3:4:5:6:7:8:9"), (socket.AF_INET6, ""),
    (int(socket.AF_INET), "10.0.0.1"), (int(socket.AF_INET6), "::"),
    (LyingInt(socket.AF_INET), "10.0.0.1"), (LyingInt(99), "10.0.0.1"),
    (socket.AF_UNIX, "10.0.0.1"), (sockcffi.AF_INET, "10.0.0.1"),
    (sockcffi.AF_INET6, "fe80::1"),
])
def test_inet_pton_short_and_checked_paths_agree(family, text):
    assert (outcome(sockcffi.inet_pton, family, text)
            == outcome(socket.inet_pton, family, text))


@pytest.mark.parametrize("family, packed", [
    (socket.AF_INET, b"\1\2\3\4"), (socket.AF_INET, b"\1\2\3"),
    (socket.AF_INET6, b"\0" * 16), (socket.AF_INET6, b"\0" * 15),
    (sockcffi.AF_INET6, b"\xfe\x80" + b"\0" * 13 + b"\1"),
    (LyingInt(socket.AF_INET), b"\1\2\3\4"), (LyingInt(1), b"\1\2\3\4"),
    (socket.AF_INET, bytearray(b"\1\2\3\4")), (socket.AF_INET, "1234"),
])
def test_inet_ntop_short_and_checked_paths_agree(family, packed):
    assert (outcome(sockcffi.inet_ntop, family, packed)
            == outcome(socket.inet_ntop, family, packed))
