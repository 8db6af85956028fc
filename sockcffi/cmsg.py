"""Typed control messages for ``recvmsg``/``sendmsg``.

``decode(ancdata)`` turns recvmsg()'s ``[(level, type, data), ...]`` into
:class:`ControlMessage` records ``(level, type, name, value)``: ``value`` is
an int, a record of the C struct (:mod:`sockcffi.records`), a list (the
descriptors of SCM_RIGHTS), a :class:`RecvError` for IP_RECVERR and
IPV6_RECVERR (the ``struct sock_extended_err`` and the offender's address
that follows it), or the raw bytes of a message the table does not type.

``encode(level, type, value)`` builds the ``(level, type, bytes)`` item
sendmsg() takes; the functions below it (``rights``, ``credentials``,
``ip_pktinfo``, ``udp_segment``, ...) are shorthands.

The C type of each message is the table gen/option_types.py compiled in;
the layouts are the headers'.  Decoding works on the bytes recvmsg()
returned, copied into a zeroed struct of the full size, so it never reads
past them: a short message gives None for the fields it lacks, an integer
of a length no C integer has raises ValueError.
"""
from collections import namedtuple

from . import records as _records
from ._args import buffer_bytes as _buffer_bytes
from ._args import c_int as _c_int
from ._args import exact_int as _index
from ._binding import ffi, lib
from .options import CONTROL_MESSAGES as _TYPES

__all__ = ["ControlMessage", "RecvError", "decode", "decode_one", "encode",
           "ctype", "rights", "credentials", "ip_pktinfo", "ipv6_pktinfo",
           "ip_ttl", "ipv6_hoplimit", "ip_tos", "ipv6_tclass",
           "udp_segment", "txtime"]

ControlMessage = namedtuple("ControlMessage", "level type name value")
ControlMessage.__doc__ = ("A decoded control message: its level and type "
                          "numbers, the constant's name (None when the "
                          "table does not know it) and its typed value.")

RecvError = namedtuple("RecvError", "ee offender")
RecvError.__doc__ = ("IP_RECVERR/IPV6_RECVERR: the struct sock_extended_err "
                     "record and the offender's address (SO_EE_OFFENDER; "
                     "None when the kernel gave none).")

_INT_WIDTHS = (1, 2, 4, 8)
_EE = "struct sock_extended_err"
try:
    _EE_SIZE = ffi.sizeof(_EE)
except (ffi.error, TypeError):      # linux/errqueue.h missing: never used
    _EE_SIZE = 0


def ctype(level, kind):
    """The C type of control message ``kind`` at ``level``, or None."""
    entry = _TYPES.get((_c_int(level), _c_int(kind)))
    return entry[2] if entry else None


def _int(data, t):
    n = len(data)
    if n not in _INT_WIDTHS:
        raise ValueError("%d bytes of control data cannot be a %s" % (n, t))
    signed = int(ffi.cast(t, -1)) < 0
    return int.from_bytes(data, _records.BYTEORDER, signed=signed)


def _value(t, data):
    if t == "bytes":
        return data
    if t.endswith("[]"):
        item = t[:-2]
        step = ffi.sizeof(item)
        count = len(data) // step
        if not count:
            return []
        buf = ffi.new("char[]", count * step)
        ffi.memmove(buf, data, count * step)
        return list(ffi.unpack(ffi.cast(item + " *", buf), count))
    if not t.startswith("struct "):
        return _int(data, t)
    if t == _EE:
        ee = _records.decode(t, data)
        rest = data[_EE_SIZE:]
        offender = _records.decode("struct sockaddr_storage", rest) \
            if rest else None
        return RecvError(ee, offender)
    return _records.decode(t, data)


def decode_one(level, kind, data):
    """The typed value of one control message (raw bytes when untyped)."""
    entry = _TYPES.get((_c_int(level), _c_int(kind)))
    # Through the buffer protocol: bytes(5) would be five zero bytes, and
    # bytes(2**62) an allocation that cannot succeed.
    data = _buffer_bytes(data)
    if entry is None:
        return data
    return _value(entry[2], data)


def decode(ancdata):
    """recvmsg()'s ancillary data as a list of :class:`ControlMessage`."""
    out = []
    for level, kind, data in ancdata:
        level, kind = _c_int(level), _c_int(kind)
        entry = _TYPES.get((level, kind))
        data = _buffer_bytes(data)
        if entry is None:
            out.append(ControlMessage(level, kind, None, data))
        else:
            out.append(ControlMessage(level, kind, entry[1],
                                      _value(entry[2], data)))
    return out


def encode(level, kind, value=None, **fields):
    """A sendmsg() ancillary item ``(level, type, bytes)`` for ``value``,
    typed by the table: an int, a record (or dict/tuple of its fields, or
    ``**fields``), a list of ints for an array type, an address for
    socket-address types, or bytes (passed as they are)."""
    level = _c_int(level)
    kind = _c_int(kind)
    entry = _TYPES.get((level, kind))
    t = entry[2] if entry else "bytes"
    if fields:
        if value is not None:
            raise TypeError("give a value or fields, not both")
        value = fields
    if value is None:
        raise TypeError("control message value required")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return level, kind, bytes(value)
    if t == "bytes":
        raise TypeError("this control message takes bytes, not %s"
                        % type(value).__name__)
    if t == _EE:
        if isinstance(value, RecvError):
            value = value.ee
    if t.endswith("[]"):
        item = t[:-2]
        values = [_index(v) for v in value]
        try:
            buf = ffi.new(item + "[]", values) if values else b""
        except OverflowError:
            raise OverflowError("value out of range for %s" % item) \
                from None
        return level, kind, ffi.buffer(buf)[:] if values else b""
    if t.startswith("struct "):
        buf = _records.encode(t, value)
        return level, kind, ffi.buffer(buf)[:]
    buf = ffi.new(t + " *")
    try:
        buf[0] = _index(value)
    except OverflowError:
        raise OverflowError("value out of range for %s" % t) from None
    return level, kind, ffi.buffer(buf)[:]


# --- shorthands --------------------------------------------------------------

def _const(name):
    value = getattr(lib, name, None)
    if value is None:
        raise AttributeError("%s is not in this build" % name)
    return value


def rights(fds):
    """SCM_RIGHTS: pass the descriptors ``fds`` (AF_UNIX)."""
    return encode(_const("SOL_SOCKET"), _const("SCM_RIGHTS"), list(fds))


def credentials(pid, uid, gid):
    """SCM_CREDENTIALS: the sender's credentials (AF_UNIX, SO_PASSCRED)."""
    return encode(_const("SOL_SOCKET"), _const("SCM_CREDENTIALS"),
                  pid=pid, uid=uid, gid=gid)


def ip_pktinfo(ipi_ifindex=0, ipi_spec_dst="0.0.0.0", ipi_addr="0.0.0.0"):
    """IP_PKTINFO: the source address and interface of an IPv4 datagram."""
    return encode(_const("IPPROTO_IP"), _const("IP_PKTINFO"),
                  ipi_ifindex=ipi_ifindex, ipi_spec_dst=ipi_spec_dst,
                  ipi_addr=ipi_addr)


def ipv6_pktinfo(ipi6_addr="::", ipi6_ifindex=0):
    """IPV6_PKTINFO: the source address and interface of an IPv6 datagram."""
    return encode(_const("IPPROTO_IPV6"), _const("IPV6_PKTINFO"),
                  ipi6_addr=ipi6_addr, ipi6_ifindex=ipi6_ifindex)


def ip_ttl(ttl):
    """IP_TTL for one datagram."""
    return encode(_const("IPPROTO_IP"), _const("IP_TTL"), ttl)


def ipv6_hoplimit(hops):
    """IPV6_HOPLIMIT for one datagram."""
    return encode(_const("IPPROTO_IPV6"), _const("IPV6_HOPLIMIT"), hops)


def ip_tos(tos):
    """IP_TOS for one datagram."""
    return encode(_const("IPPROTO_IP"), _const("IP_TOS"), tos)


def ipv6_tclass(tclass):
    """IPV6_TCLASS for one datagram."""
    return encode(_const("IPPROTO_IPV6"), _const("IPV6_TCLASS"), tclass)


def udp_segment(size):
    """UDP_SEGMENT (GSO): the kernel splits the send into ``size``-byte
    datagrams."""
    return encode(_const("IPPROTO_UDP"), _const("UDP_SEGMENT"), size)


def txtime(nanoseconds):
    """SCM_TXTIME: when to send (SO_TXTIME's clock, nanoseconds)."""
    return encode(_const("SOL_SOCKET"), _const("SCM_TXTIME"), nanoseconds)
