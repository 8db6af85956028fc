"""socket.sendmsg_afalg: argument checks against the stdlib's, and a real
AF_ALG cipher where the kernel offers one."""
import errno
import os
import socket
import struct
import sys

import pytest

import sockcffi

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sockhelpers import closing  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(sockcffi, "AF_ALG"),
                                reason="this build has no AF_ALG")

STDLIB_HAS_IT = hasattr(socket.socket, "sendmsg_afalg")


class Index:
    def __index__(self):
        return 1


class LyingOp(int):
    """An int whose comparisons lie (the stdlib reads its value)."""
    def __lt__(self, other):
        return True

    def __le__(self, other):
        return False

    def __ge__(self, other):
        return False

    def __gt__(self, other):
        return True


class Iterable:
    def __iter__(self):
        return iter([b"x"])


# (args, kwargs, outcome): outcome is the exception class, or the bytes the
# peer receives.  Recorded from CPython 3.11's sendmsg_afalg, and checked
# against it on every run where the stdlib has the method.
CASES = [
    ((), {}, TypeError),                                # op missing
    ((), {"op": 0}, b""),
    (([b"x"],), {"op": 0}, b"x"),
    (([b"ab", b"cd"],), {"op": 1, "iv": b"0123", "assoclen": 5,
                         "flags": 0}, b"abcd"),
    (([b"x"],), {"op": 0, "flags": 0}, b"x"),
    ((), {"msg": [b"x"], "op": 0, "flags": 0}, b"x"),
    ((Iterable(),), {"op": 0}, b"x"),
    (((b"x", bytearray(b"y")),), {"op": 0}, b"xy"),
    ((), {"op": -1}, TypeError),
    ((), {"op": 2 ** 31}, TypeError),
    ((), {"op": 2 ** 40}, TypeError),
    ((), {"op": 1.0}, TypeError),
    ((), {"op": True}, b""),
    ((), {"op": "1"}, TypeError),
    ((), {"op": LyingOp(1)}, b""),
    ((), {"op": LyingOp(2 ** 31)}, TypeError),
    ((), {"op": Index()}, TypeError),                   # int only
    ((), {"op": 0, "iv": "ab"}, TypeError),
    ((), {"op": 0, "iv": None}, TypeError),             # explicit None
    ((), {"op": 0, "iv": b""}, b""),
    ((), {"op": 0, "iv": bytearray(3)}, b""),
    ((), {"op": 0, "iv": memoryview(b"abcd")[::2]}, BufferError),
    ((), {"op": 0, "assoclen": -1}, TypeError),
    ((), {"op": 0, "assoclen": 2 ** 31}, OverflowError),
    ((), {"op": 0, "assoclen": 1.0}, TypeError),
    ((), {"op": 0, "assoclen": None}, TypeError),
    ((), {"op": 0, "assoclen": True}, b""),
    ((), {"op": 0, "assoclen": Index()}, TypeError),
    ((), {"op": 0, "flags": 1.0}, TypeError),
    ((), {"op": 0, "flags": 2 ** 31}, OverflowError),
    ((), {"op": 0, "flags": -1}, OSError),
    ((b"abc",), {"op": 0}, TypeError),
    ((5,), {"op": 0}, TypeError),
    (([5],), {"op": 0}, TypeError),
    ((["ab"],), {"op": 0}, TypeError),
    ((b"x", 0), {}, TypeError),                         # op keyword-only
    ((), {"op": 0, "bogus": 1}, TypeError),
    ((), {"op": -1, "iv": "x"}, TypeError),
    ((), {"op": 0, "assoclen": -1, "flags": 2 ** 31}, OverflowError),
]


def _fake_alg(mod):
    """A socket object of family AF_ALG on one end of an AF_UNIX
    SOCK_SEQPACKET pair: the arguments are checked as for a real AF_ALG
    socket, and the data arrives at the other end."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sock = mod.socket(mod.AF_ALG, mod.SOCK_SEQPACKET, 0, fileno=a.detach())
    b.settimeout(10)
    return sock, b


def _outcome(mod, args, kwargs):
    sock, peer = _fake_alg(mod)
    try:
        try:
            sock.sendmsg_afalg(*args, **kwargs)
        except Exception as e:          # noqa: BLE001 - the class is the point
            return type(e)
        return peer.recv(100)
    finally:
        closing(sock, peer)


@pytest.mark.parametrize("args,kwargs,expected", CASES)
def test_arguments_as_the_stdlib(args, kwargs, expected):
    assert _outcome(sockcffi, args, kwargs) == expected
    if STDLIB_HAS_IT:
        assert _outcome(socket, args, kwargs) == expected


def test_only_for_af_alg():
    a, b = sockcffi.socketpair()
    try:
        with pytest.raises(OSError, match="only supported for AF_ALG"):
            a.sendmsg_afalg([b"x"], op=0)
    finally:
        closing(a, b)


def test_iv_control_data_is_struct_af_alg_iv():
    from sockcffi import afalg
    iv = bytes(range(16))
    data = afalg._iv_data(iv)
    offset = sockcffi._binding.ffi.offsetof("struct af_alg_iv", "iv")
    assert data == struct.pack("=I", 16) + b"\0" * (offset - 4) + iv


# NIST SP 800-38A, F.2.1 (CBC-AES128.Encrypt), first block.
KEY = bytes.fromhex("2b7e151628aed2a6abf7158809cf4f3c")
IV = bytes.fromhex("000102030405060708090a0b0c0d0e0f")
PLAIN = bytes.fromhex("6bc1bee22e409f96e93d7e117393172a")
CIPHER = bytes.fromhex("7649abac8119b246cee98e9b12e9197d")


def _cbc_aes(mod, op, data, **flags):
    try:
        alg = mod.socket(mod.AF_ALG, mod.SOCK_SEQPACKET, 0)
    except OSError as e:
        if e.errno in (errno.EAFNOSUPPORT, errno.EPERM, errno.EACCES):
            pytest.skip("the kernel refuses AF_ALG sockets here (%s)" % e)
        raise
    with alg:
        try:
            alg.bind(("skcipher", "cbc(aes)"))
        except FileNotFoundError as e:
            pytest.skip("the kernel has no skcipher cbc(aes) (%s)" % e)
        alg.setsockopt(mod.SOL_ALG, mod.ALG_SET_KEY, KEY)
        op_sock, _ = alg.accept()
        with op_sock:
            op_sock.settimeout(10)
            op_sock.sendmsg_afalg([data], op=op, iv=IV, **flags)
            return op_sock.recv(len(data))


@pytest.mark.parametrize("mod", [sockcffi, socket])
def test_cbc_aes_known_answer(mod):
    if mod is socket and not STDLIB_HAS_IT:
        pytest.skip("this interpreter's socket has no sendmsg_afalg")
    assert _cbc_aes(mod, mod.ALG_OP_ENCRYPT, PLAIN, flags=0) == CIPHER
    assert _cbc_aes(mod, mod.ALG_OP_DECRYPT, CIPHER, flags=0) == PLAIN
    # The default flags are CPython's code's (0), not its docstring's
    # MSG_MORE, which would hold the data back and time the recv() out.
    assert _cbc_aes(mod, mod.ALG_OP_ENCRYPT, PLAIN) == CIPHER
