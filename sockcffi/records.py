"""Typed records for the C structs of socket options and control messages.

A record is a named tuple whose class is named after the struct tag and
whose fields are the struct's fields, with the C names, in the order the
binding declares them (``linger(l_onoff=0, l_linger=0)``).  The fields and
their layout come from the compiled module (cffi reads them from the
headers); nothing here knows an offset or a size.

Field values: integers for integer fields; ``bytes`` for arrays of
``char``/``uint8_t``; tuples for other arrays; text for ``struct in_addr``
and ``struct in6_addr``; the stdlib's address tuple (or None when the family
is AF_UNSPEC) for socket-address fields; nested records for other structs.

Decoding never reads past what it is given: :func:`decode` takes the number
of valid bytes (the kernel's optlen, or the length of a control message's
data) and gives None for any field that does not end within it.
"""
import sys
from collections import namedtuple

from . import addresses as _addresses
from ._args import exact_int, readable_buffer
from ._binding import ffi, lib
from .ipaddr import ipv4_text, ipv6_text

__all__ = ["struct", "decode", "encode", "record_of", "fields_of",
           "to_dict", "format_value"]

_AF_INET = lib.AF_INET
_AF_INET6 = getattr(lib, "AF_INET6", None)
_ADDRESS_STRUCTS = ("struct sockaddr", "struct sockaddr_storage",
                    "struct sockaddr_in", "struct sockaddr_in6")
_BYTE_ITEMS = ("char", "signed char", "unsigned char", "uint8_t", "int8_t",
               "_Bool")
_STORAGE_SIZE = ffi.sizeof("struct sockaddr_storage")
_FAMILY_SIZE = ffi.sizeof("sa_family_t")
_TEXT_STRUCTS = ("struct in_addr", "struct in6_addr")

_classes = {}        # "struct linger" -> record class


class _Record(tuple):
    """Base of the record classes (namedtuple subclasses)."""
    __slots__ = ()
    ctype = None     # "struct linger"


def _cname(name):
    name = name.strip()
    return name if name.startswith("struct ") else "struct " + name


def struct(name):
    """The record class of ``struct name`` ("linger" or "struct linger").

    KeyError when this build does not declare the struct (its header was
    missing on the build machine).
    """
    cname = _cname(name)
    cls = _classes.get(cname)
    if cls is not None:
        return cls
    try:
        ctype = ffi.typeof(cname)
    except (ffi.error, TypeError) as e:
        raise KeyError("%s is not in this build" % cname) from e
    names = [f for f, _ in ctype.fields] + list(_EXTRA.get(cname, ()))
    base = namedtuple(cname[len("struct "):], names,
                      defaults=(None,) * len(names))
    cls = type(base.__name__, (base, _Record),
               {"__slots__": (), "ctype": cname,
                "__module__": __name__,
                "__doc__": "%s, fields as in C: %s" % (cname,
                                                      ", ".join(names))})
    _classes[cname] = cls
    return cls


def __getattr__(name):
    """``records.linger`` is ``records.struct("linger")``."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        return struct(name)
    except KeyError:
        raise AttributeError("module %r has no struct %r" % (__name__, name))


def fields_of(cname):
    """``[(name, cffi field), ...]`` of a struct type."""
    return ffi.typeof(cname).fields


# --- decoding ----------------------------------------------------------------

def _address(ptr, size):
    """A socket-address field: ``size`` bytes at ``ptr``, all valid."""
    family = ffi.cast("struct sockaddr *", ptr).sa_family
    if family == 0:
        return None
    # A zeroed sockaddr_storage-sized copy: whatever the family's decoder
    # reads lies within it, whatever the field's own size.
    storage = ffi.new("struct sockaddr_storage *")
    ffi.memmove(storage, ptr, min(size, _STORAGE_SIZE))
    return _addresses.from_sockaddr(storage, min(size, _STORAGE_SIZE))


_pointers = {}


def _scalar_pointer(ftype):
    """A function casting a ``char *`` to a pointer to an integer field
    (plain ``char`` read as unsigned: these structs use it for bytes)."""
    cast = _pointers.get(ftype)
    if cast is None:
        ptype = ffi.typeof("unsigned char *") if ftype.cname == "char" \
            else ffi.getctype(ftype, "*")
        ptype = ffi.typeof(ptype) if isinstance(ptype, str) else ptype

        def cast(ptr, _ptype=ptype):
            return ffi.cast(_ptype, ptr)
        _pointers[ftype] = cast
    return cast


def _value(ftype, ptr):
    """The Python value of a field of type ``ftype`` stored at ``ptr``
    (a ``char *``); the whole field lies within valid bytes."""
    kind = ftype.kind
    if kind == "primitive":
        return _scalar_pointer(ftype)(ptr)[0]
    if kind == "array":
        item = ftype.item
        if item.kind == "primitive" and item.cname in _BYTE_ITEMS:
            return ffi.unpack(ffi.cast("char *", ptr), ftype.length)
        step = ffi.sizeof(item)
        return tuple(_value(item, ptr + i * step)
                     for i in range(ftype.length))
    if kind == "struct":
        cname = ftype.cname
        if cname == "struct in_addr":
            return ipv4_text(ffi.unpack(ffi.cast("char *", ptr), 4))
        if cname == "struct in6_addr":
            return ipv6_text(ptr)
        if cname in _ADDRESS_STRUCTS:
            return _address(ptr, ffi.sizeof(ftype))
        return _decode_struct(cname, ptr, ffi.sizeof(ftype))
    raise TypeError("cannot decode a field of type %s" % ftype.cname)


def _decode_struct(cname, ptr, valid):
    cls = struct(cname)
    values = []
    for _, field in ffi.typeof(cname).fields:
        end = field.offset + ffi.sizeof(field.type)
        if end > valid:
            values.append(None)
        else:
            values.append(_value(field.type, ptr + field.offset))
    if cname in _EXTRA:
        values.extend(_extra_values(cname, ptr, valid))
    return cls(*values)


def decode(cname, data, valid=None):
    """A record of ``struct cname`` from ``data``.

    ``data`` is bytes (a control message's data) or a ``char *``/struct
    cdata of at least ``valid`` bytes that this process allocated.  Fields
    that do not end within ``valid`` bytes (default: all of ``data``) are
    None; bytes past the struct's size are ignored.
    """
    cname = _cname(cname)
    size = ffi.sizeof(cname)
    # A zeroed struct of the full size: fields are read only from here.
    # (An address struct on its own decodes to its text/tuple form.)
    holder = ffi.new("char[]", size)
    if isinstance(data, ffi.CData):
        # This process's own memory, of at least ``valid`` bytes.
        n = max(0, min(exact_int(valid), size))
        ffi.memmove(holder, data, n)
    else:
        # A caller's buffer: its length is the exported view's, never
        # len() of the object.
        with readable_buffer(data) as view:
            n = len(view) if valid is None else min(exact_int(valid),
                                                    len(view))
            n = max(0, min(n, size))
            ffi.memmove(holder, view, n)
    if cname in _TEXT_STRUCTS or cname in _ADDRESS_STRUCTS:
        if cname in _ADDRESS_STRUCTS and n >= _FAMILY_SIZE:
            return _address(holder, n)
        return _value(ffi.typeof(cname), holder) if n == size else None
    return _decode_struct(cname, holder, n)


# Fields a C accessor reads because cffi cannot declare them (bitfields in
# a partial struct): appended to the record after the declared ones.
_EXTRA = {}
if hasattr(lib, "sockcffi_tcpi_wscale"):
    _EXTRA["struct tcp_info"] = ("tcpi_snd_wscale", "tcpi_rcv_wscale")
_WSCALE_END = None


def _extra_values(cname, ptr, valid):
    """The accessor-read fields of ``struct cname`` at ``ptr`` (a copy of
    the struct's full size, ``valid`` bytes of it from the kernel)."""
    global _WSCALE_END
    if _WSCALE_END is None:
        # The bitfields share the byte after tcpi_options (a uint8_t).
        field = dict(ffi.typeof("struct tcp_info").fields)["tcpi_options"]
        _WSCALE_END = field.offset + 2
    if valid < _WSCALE_END:
        return (None, None)
    out = ffi.new("uint8_t[2]")
    lib.sockcffi_tcpi_wscale(ffi.cast("struct tcp_info *", ptr), out)
    return (out[0], out[1])


# --- encoding ----------------------------------------------------------------

def _family_for(address, hint):
    if isinstance(address, tuple) and len(address) in (3, 4):
        return _AF_INET6
    if isinstance(address, tuple) and address and isinstance(
            address[0], str) and ":" in address[0]:
        return _AF_INET6
    if hint is not None and _addresses.family_of(hint) is not None \
            and hint not in (_AF_INET, _AF_INET6):
        return hint
    return _AF_INET


def _store(ftype, ptr, value, family_hint, name):
    kind = ftype.kind
    if value is None:
        return                      # left zero
    if kind == "primitive":
        number = exact_int(value)
        cell = _scalar_pointer(ftype)(ptr)
        try:
            cell[0] = number
        except OverflowError:
            raise OverflowError("%s out of range for %s"
                                % (name, ftype.cname)) from None
        return
    if kind == "array":
        item = ftype.item
        if item.kind == "primitive" and item.cname in _BYTE_ITEMS:
            with readable_buffer(value) as view:
                n = len(view)
                if n > ftype.length:
                    raise ValueError("%s: at most %d bytes, not %d"
                                     % (name, ftype.length, n))
                ffi.memmove(ptr, view, n)
            return
        values = list(value)
        if len(values) > ftype.length:
            raise ValueError("%s: at most %d items, not %d"
                             % (name, ftype.length, len(values)))
        step = ffi.sizeof(item)
        for i, v in enumerate(values):
            _store(item, ptr + i * step, v, family_hint, name)
        return
    if kind == "struct":
        cname = ftype.cname
        if cname == "struct in_addr" or cname == "struct in6_addr":
            family = _AF_INET if cname == "struct in_addr" else _AF_INET6
            if isinstance(value, (bytes, bytearray, memoryview)):
                size = ffi.sizeof(ftype)
                with readable_buffer(value) as view:
                    if len(view) != size:
                        raise ValueError("%s: %d bytes expected"
                                         % (name, size))
                    ffi.memmove(ptr, view, size)
                return
            if not isinstance(value, str):
                raise TypeError("%s must be an address string, not %s"
                                % (name, type(value).__name__))
            if lib.inet_pton(family, value.encode("ascii", "replace"),
                             ptr) != 1:
                raise OSError("illegal IP address string for %s: %r"
                              % (name, value))
            return
        if cname in _ADDRESS_STRUCTS:
            if cname == "struct sockaddr_in":
                family = _AF_INET
            elif cname == "struct sockaddr_in6":
                family = _AF_INET6
            else:
                family = _family_for(value, family_hint)
            sa, length = _addresses.to_sockaddr(family, 0, value,
                                                "setsockopt")
            if length > ffi.sizeof(ftype):
                raise ValueError("%s: address too long" % name)
            ffi.memmove(ptr, sa, length)
            return
        record = coerce(cname, value)
        _fill(cname, ptr, record, family_hint)
        return
    raise TypeError("cannot encode a field of type %s" % ftype.cname)


def _fill(cname, ptr, record, family_hint):
    for (name, field), value in zip(ffi.typeof(cname).fields, record):
        _store(field.type, ptr + field.offset, value, family_hint, name)


def coerce(cname, value):
    """``value`` as a record of ``struct cname``: a record of that struct,
    a mapping of its fields, or a tuple of them in order."""
    cls = struct(cname)
    if isinstance(value, cls):
        return value
    if isinstance(value, _Record):
        raise TypeError("a %s record is required, not %s"
                        % (cls.__name__, value.ctype))
    if isinstance(value, dict):
        unknown = set(value) - set(cls._fields)
        if unknown:
            raise TypeError("%s has no field %s"
                            % (cls.ctype, ", ".join(sorted(unknown))))
        return cls(**value)
    if isinstance(value, (tuple, list)):
        if len(value) > len(cls._fields):
            raise TypeError("%s takes at most %d fields, not %d"
                            % (cls.ctype, len(cls._fields), len(value)))
        return cls(*value)
    raise TypeError("a %s record, dict or tuple is required, not %s"
                    % (cls.ctype, type(value).__name__))


def encode(cname, value, family_hint=None):
    """A zeroed ``char[]`` holding ``struct cname`` filled from ``value``
    (see :func:`coerce`); fields given as None stay zero."""
    cname = _cname(cname)
    buf = ffi.new("char[]", ffi.sizeof(cname))
    if cname in _TEXT_STRUCTS or cname in _ADDRESS_STRUCTS:
        _store(ffi.typeof(cname), buf, value, family_hint, cname)
        return buf
    record = coerce(cname, value)
    _fill(cname, buf, record, family_hint)
    return buf


def record_of(value):
    """The struct name of a record, or None for anything else."""
    return value.ctype if isinstance(value, _Record) else None


# --- presentation ------------------------------------------------------------

def to_dict(value):
    """A record as plain JSON-able data (nested dicts, lists, bytes as
    hex); other values as they are (tuples as lists)."""
    if isinstance(value, _Record):
        return {k: to_dict(v) for k, v in zip(value._fields, value)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    return value


def format_value(value):
    """``{l_onoff=0, l_linger=0}``: a record in one line (the inspector's
    form); lists of records as ``[{...}, ...]``."""
    if isinstance(value, _Record):
        return "{%s}" % ", ".join("%s=%s" % (k, format_value(v))
                                  for k, v in zip(value._fields, value))
    if isinstance(value, list):
        return "[%s]" % ", ".join(format_value(v) for v in value)
    if isinstance(value, tuple):
        return "(%s)" % ", ".join(format_value(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value)
        if all(32 <= c < 127 for c in value):
            return repr(value)              # text: b'bbr'
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)


# Byte order of the platform, for integer decoding from bytes (cmsg, options
# whose optlen is narrower than their type).
BYTEORDER = sys.byteorder
