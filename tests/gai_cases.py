"""getaddrinfo() argument cases for the resolver's differential tests (not a
test module): a table of calls, valid and hostile, and the outcome of one
call in a form that compares results, enum types, exception classes and
messages between sockcffi and the stdlib.  No case needs the network: hosts
are numeric, ``localhost`` or refused before the lookup."""
import socket


class IntSub(int):
    """An int subclass whose methods all lie about its value."""
    def __index__(self):
        return 97

    def __int__(self):
        return 96

    def __str__(self):
        return "99"

    def __repr__(self):
        return "IntSub(98)"


class IndexOnly:
    def __index__(self):
        return 2


class IntOnly:
    def __int__(self):
        return 2


class StrSub(str):
    """A str subclass; the idna codec calls its encode(), as the stdlib
    does."""
    def encode(self, *args):
        return b"1.1.1.1"

    def __str__(self):
        return "2.2.2.2"


class BytesSub(bytes):
    pass


NH = socket.AI_NUMERICHOST
NS = socket.AI_NUMERICSERV
INET, INET6 = socket.AF_INET, socket.AF_INET6
STREAM, DGRAM = socket.SOCK_STREAM, socket.SOCK_DGRAM

CASES = [
    # the benchmark's call, and the families
    ("127.0.0.1", 80, INET, STREAM, 0, NH | NS),
    ("127.0.0.1", 80),
    ("127.0.0.1", 80, INET6, 0, 0, NH),
    ("::1", 9, INET6, DGRAM),
    ("::1", 9, 0, 0, 0, NH),
    ("fe80::1%lo", 80, INET6, STREAM, 0, NH),
    ("fe80::1%1", 80, 0, 0, 0, NH),
    ("fe80::1%nosuch0", 80, 0, 0, 0, NH),
    ("ff02::1%lo", "443", INET6, DGRAM, 0, NH),
    ("::ffff:1.2.3.4", 0, INET6, 0, 0, NH),
    ("1.2.3.4", 65535, INET, DGRAM, 17, NH),
    ("1.2.3.4", 65536, INET, DGRAM, 0, NH),
    # canonical names
    ("127.0.0.1", 80, 0, 0, 0, socket.AI_CANONNAME),
    ("::1", 80, 0, STREAM, 0, socket.AI_CANONNAME | NH),
    ("localhost", 80, INET, STREAM, 0, socket.AI_CANONNAME),
    ("localhost", None),
    (None, 0, 0, 0, 0, socket.AI_PASSIVE),
    (None, 0, INET, STREAM, 0, 1),
    (None, None),
    ("", 80),
    # services: numbers, names, text and bytes
    ("127.0.0.1", "http", INET, STREAM, 0, NH),
    ("127.0.0.1", b"ssh", INET, STREAM, 0, NH),
    ("127.0.0.1", "http", INET, STREAM, 0, NH | NS),
    ("127.0.0.1", "nosuchservice", 0, 0, 0, NH),
    ("127.0.0.1", "80", INET),
    ("127.0.0.1", ""),
    ("127.0.0.1", b"8\x000"),
    ("127.0.0.1", "\udcff"),
    ("127.0.0.1", -1),
    ("127.0.0.1", 2 ** 63 - 1),
    ("127.0.0.1", -2 ** 63),
    ("127.0.0.1", 2 ** 63),
    ("127.0.0.1", -2 ** 63 - 1),
    ("127.0.0.1", 1.5),
    ("127.0.0.1", True),
    ("127.0.0.1", IntSub(80)),
    ("127.0.0.1", IndexOnly()),
    ("127.0.0.1", bytearray(b"80")),
    ("127.0.0.1", memoryview(b"80")),
    ("127.0.0.1", StrSub("80")),
    # hosts: str, bytes, subclasses, refused types, idna failures
    (b"127.0.0.1", "80"),
    (BytesSub(b"127.0.0.1"), 80),
    (StrSub("127.0.0.1"), 80),
    (bytearray(b"127.0.0.1"), 80),
    (memoryview(b"127.0.0.1"), 80),
    (5, 80),
    (5, 1.5),
    ("127.0.0.1\x00junk", 80),
    ("\udcff", 80),
    ("a" * 70, 80),
    ("a..b", 80, 0, 0, 0, NH),
    ("1.2.3.4.5", 80, 0, 0, 0, NH),
    ("b\xfccher.example", 80, 0, 0, 0, NH),
    # the int arguments: order of checks, ranges, hostile types
    (5, 80, 2 ** 40),
    (5, 80, "x"),
    ("127.0.0.1", 1.5, 2 ** 40),
    ("127.0.0.1", 80, IntSub(2)),
    ("127.0.0.1", 80, True),
    ("127.0.0.1", 80, IndexOnly()),
    ("127.0.0.1", 80, IntOnly()),
    ("127.0.0.1", 80, 2, "x"),
    ("127.0.0.1", 80, 2, 1.0),
    ("127.0.0.1", 80, 2 ** 31),
    ("127.0.0.1", 80, 2 ** 32 + 2),
    ("127.0.0.1", 80, 2 ** 63 - 1),
    ("127.0.0.1", 80, -2 ** 63),
    ("127.0.0.1", 80, 2 ** 63),
    ("127.0.0.1", 80, 2 ** 64),
    ("127.0.0.1", 80, 2, 1, 0, 2 ** 31),
    ("127.0.0.1", 80, 2, 1, 0, -2 ** 31 - 1),
    ("127.0.0.1", 80, 2, 1, 0, 2 ** 32 + 4),
    ("127.0.0.1", 80, 2, 1, 0, IntSub(4)),
    ("127.0.0.1", 80, 999),
    ("127.0.0.1", 80, INET, 999),
    ("127.0.0.1", 80, INET, STREAM, 17),
    ("127.0.0.1", 80, INET, socket.SOCK_RAW, 255),
    ("127.0.0.1", 80, 0, 0, 0, -1),
]


def describe(value):
    """A comparable, printable form of a result or an exception."""
    if isinstance(value, BaseException):
        return ("err", type(value).__name__, str(value))
    return ("ok", [(type(f).__name__, int(f), type(k).__name__, int(k), p,
                    c, sa) for f, k, p, c, sa in value])


def run(mod, args):
    """describe() of ``mod.getaddrinfo(*args)``."""
    try:
        return describe(mod.getaddrinfo(*args))
    except Exception as e:      # noqa: BLE001 - the outcome is the point
        return describe(e)


def describe_arg(value):
    """An audit event's argument, comparable across processes."""
    return [type(value).__name__, repr(value)]


# The other resolver functions that report an audit event: (name, args).
# Numeric names, localhost and 127.0.0.1 only (files, not name servers).
OTHER_CALLS = [
    ("getnameinfo", (("127.0.0.1", 80), 3)),
    ("getnameinfo", (("::1", 80, 1, 0), 3)),
    ("getnameinfo", (["127.0.0.1", 80], 3)),
    ("getnameinfo", (("127.0.0.1", 80, 5), 3)),
    ("getnameinfo", (("::1", 80, 2 ** 21), 3)),
    ("getnameinfo", (("127.0.0.1", "x"), 3)),
    ("getnameinfo", (("127.0.0.1", 2 ** 70), 3)),
    ("getnameinfo", (("127.0.0.1", 1.5), 3)),
    ("getnameinfo", (("127.0.0.1", 80), "x")),
    ("getnameinfo", (("127.0.0.1", 80), 2 ** 70)),
    ("getnameinfo", (("127.0.0.1", 80), 2 ** 40 + 3)),
    ("getnameinfo", (("127.0.0.1", True), 3)),
    ("getnameinfo", (("fe80::1%lo", 80, 7, 0), 3)),
    ("getnameinfo", (("fe80::1", 80, 0, 1), 3)),
    ("getnameinfo", (("ff02::1", 80, 0, 2 ** 32 + 1), 3)),
    ("getnameinfo", (("::1", 80, 2 ** 32 + 5), 3)),
    ("getnameinfo", (("::1", 80, -1), 3)),
    ("getnameinfo", (("::1", 65536, 0, 0), 3)),
    ("getnameinfo", (("127.0.0.1", -1), 3)),
    ("getnameinfo", (("127.0.0.1", 80), socket.NI_NUMERICHOST)),
    ("getnameinfo", (("127.0.0.1", 80), socket.NI_NUMERICSERV
                     | socket.NI_NAMEREQD | socket.NI_NUMERICHOST)),
    ("getnameinfo", (("127.0.0.1", 53), socket.NI_NUMERICHOST
                     | socket.NI_DGRAM)),
    ("getnameinfo", (("1.2.3.4.5", 80), 3)),
    ("getnameinfo", (("::1\x00", 80), 3)),
    ("getnameinfo", ((StrSub("127.0.0.1"), IntSub(80)), 3)),
    ("gethostbyname", ("127.0.0.1",)),
    ("gethostbyname", (b"127.0.0.1",)),
    ("gethostbyname", (5,)),
    ("gethostbyname", ("",)),
    ("gethostbyname_ex", ("127.0.0.1",)),
    ("gethostbyname_ex", ("localhost",)),
    ("gethostbyaddr", ("127.0.0.1",)),
    ("gethostbyaddr", (5,)),
    ("gethostname", ()),
    ("getservbyname", ("http",)),
    ("getservbyname", ("http", "tcp")),
    ("getservbyname", (5,)),
    ("getservbyport", (80,)),
    ("getservbyport", (80, "udp")),
    ("getservbyport", (70000,)),
    ("getservbyport", (70000, 5)),
]


def run_other(mod, name, args):
    """describe() of ``mod.<name>(*args)``, results as repr."""
    try:
        return ("ok", repr(getattr(mod, name)(*args)))
    except Exception as e:      # noqa: BLE001
        return describe(e)
