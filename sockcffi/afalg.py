"""``socket.sendmsg_afalg``: sendmsg() for AF_ALG (kernel crypto) sockets.

The operation, initialisation vector and AEAD associated-data length travel
as SOL_ALG control messages (ALG_SET_OP, ALG_SET_IV, ALG_SET_AEAD_ASSOCLEN);
the IV's layout is the header's ``struct af_alg_iv``, laid out by cffi.
Arguments are checked as the stdlib checks them (same classes, same order):
its C parser takes ``op`` and ``assoclen`` only as true ints and ``iv`` only
as a contiguous bytes-like object (an explicit None is refused for both,
although they are optional), and ``flags`` as any C int.
"""
from ._args import C_INT_MAX, buffer_bytes, c_int, exact_int
from ._binding import HAVE_AFALG, ffi, lib

AVAILABLE = HAVE_AFALG

if AVAILABLE:
    _AF_ALG = lib.AF_ALG
    _SOL_ALG = lib.SOL_ALG
    _ALG_SET_OP = lib.ALG_SET_OP
    _ALG_SET_IV = lib.ALG_SET_IV
    _ALG_SET_AEAD_ASSOCLEN = lib.ALG_SET_AEAD_ASSOCLEN
    _IV_OFFSET = ffi.offsetof("struct af_alg_iv", "iv")

_MISSING = object()


def _u32(value):
    return bytes(ffi.buffer(ffi.new("uint32_t *", value)))


def _int_argument(value, position):
    if not isinstance(value, int):
        raise TypeError("sendmsg_afalg() argument %d must be int, not %s"
                        % (position, type(value).__name__))
    return value


def _iv_data(iv):
    """The ALG_SET_IV data: struct af_alg_iv followed by the IV bytes."""
    data = buffer_bytes(iv)
    block = ffi.new("char[]", _IV_OFFSET + len(data))
    header = ffi.cast("struct af_alg_iv *", block)
    header.ivlen = len(data)
    ffi.memmove(header.iv, data, len(data))
    return bytes(ffi.buffer(block))


def sendmsg_afalg(self, msg=(), *, op=_MISSING, iv=_MISSING,
                  assoclen=_MISSING, flags=_MISSING):
    """sendmsg_afalg([msg], *, op[, iv[, assoclen[, flags=0]]])

    Set the operation (ALG_OP_ENCRYPT or ALG_OP_DECRYPT), and optionally
    the IV and the AEAD associated-data length, of an AF_ALG operation
    socket, and send the data of ``msg``; the number of bytes sent.
    """
    if self._family != _AF_ALG:
        raise OSError("algset is only supported for AF_ALG")
    if op is not _MISSING:
        _int_argument(op, 2)
    ivdata = None if iv is _MISSING else _iv_data(iv)
    if assoclen is not _MISSING:
        _int_argument(assoclen, 4)
    # CPython's docstring says MSG_MORE, but its code sends with flags 0:
    # the running interpreter is what sockcffi matches.
    flags = 0 if flags is _MISSING else c_int(flags)
    if op is _MISSING:
        raise TypeError("Invalid or missing argument 'op'")
    # An exact int before any comparison (an int subclass's own comparisons
    # may lie); CPython turns _PyLong_AsInt's OverflowError into this
    # TypeError too.
    op = exact_int(op)
    if not 0 <= op <= C_INT_MAX:
        raise TypeError("Invalid or missing argument 'op'")
    ancdata = [(_SOL_ALG, _ALG_SET_OP, _u32(op))]
    if ivdata is not None:
        ancdata.append((_SOL_ALG, _ALG_SET_IV, ivdata))
    if assoclen is not _MISSING:
        assoclen = c_int(assoclen)
        if assoclen < 0:
            raise TypeError("assoclen must be positive")
        ancdata.append((_SOL_ALG, _ALG_SET_AEAD_ASSOCLEN, _u32(assoclen)))
    return self.sendmsg(msg, ancdata, flags)
