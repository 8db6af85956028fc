"""Socket addresses: Python objects <-> C ``struct sockaddr_*``.

One class per address family.  Each knows its C struct and converts in both
directions; instances are registered by family number, so the socket class
never needs a chain of ``if family == ...``:

    ptr, length = to_sockaddr(family, proto, address, "bind")
    lib.bind(fd, ptr, length)

    storage, lenp = new_storage()
    lib.getsockname(fd, storage, lenp)
    address = from_sockaddr(storage, lenp[0], proto)

The stdlib ``socket`` module of the running interpreter is the reference for
accepted inputs, results and exception classes.  CPython and PyPy disagree in
a few corners (PyPy unpacks any iterable as an AF_INET address, reports idna
failures as UnicodeError, ...); ``_PYPY`` selects PyPy's behaviour there.
"""
import os
import sys
from errno import ENODEV

from ._args import (buffer_bytes, c_int, c_text, c_uint_masked, exact_int,
                    fs_path)
# recvfrom()/accept() hot path: no need to clear what the kernel overwrites.
from ._buffers import new_raw as _raw_new
from ._binding import FEATURES, ffi, lib
from .errors import from_errno
from .ipaddr import (host_bytes, hton16, hton32, ntoh16, ntoh32,
                     resolve_ip, sockaddr_in6_text, sockaddr_in_text)

__all__ = []

_PYPY = sys.implementation.name == "pypy"

# Address families are registered here by number: {family: _Family instance}
_FAMILIES = {}

_STORAGE_SIZE = ffi.sizeof("struct sockaddr_storage")
_SA_DATA_LEN = 14                     # sizeof(((struct sockaddr *)0)->sa_data)
_SA_FAMILY_END = ffi.sizeof("sa_family_t")
_SOCKADDR_P = ffi.typeof("struct sockaddr *")
_STORAGE_P = ffi.typeof("struct sockaddr_storage *")
_SOCKLEN_P = ffi.typeof("socklen_t *")


def _const(name, default=None):
    return getattr(lib, name, default)


_AF_INET = lib.AF_INET
_AF_INET6 = _const("AF_INET6")


def _type_name(obj):
    return type(obj).__name__


def _need_tuple(address, caller, fam_name, shortest, longest, shape):
    """Check that ``address`` is a tuple of ``shortest`` to ``longest``
    items, with the stdlib's messages (``shape`` names the items)."""
    if not isinstance(address, tuple):
        raise TypeError("%s(): %s address must be tuple, not %s"
                        % (caller, fam_name, _type_name(address)))
    if not shortest <= len(address) <= longest:
        raise TypeError("%s address must be %s" % (fam_name, shape))


# --- the families -----------------------------------------------------------

class _Family(object):
    """An address family: its C struct and both conversions.

    ``encode(address, proto, caller)`` -> (owning cdata, length)
    ``decode(ptr, length, proto)`` -> Python object; ``ptr`` is a pointer to
    this family's struct (already cast), ``length`` the kernel's length.
    """
    name = None          # "AF_INET": the stdlib's wording in messages
    family = None        # the number
    ctype = None         # "struct sockaddr_in *"
    feature = None       # binding module that must be compiled in
    decodes = True       # False: from_sockaddr gives the generic form
    # (shortest, longest, what the items are): an address that must be a
    # tuple, checked before encode() (to_sockaddr).
    items = None

    def encode(self, address, proto, caller):
        raise NotImplementedError

    def decode(self, ptr, length, proto):
        raise NotImplementedError


def _register(name, ctype=None, feature=None):
    """The class decorator of a family: its name ("AF_INET"), C struct
    pointer type and binding module; registered where this build has
    it."""
    def register(cls):
        cls.name = name
        if ctype is not None:
            cls.ctype = ctype
        if feature is not None:
            cls.feature = feature
        return _registered(cls)
    return register


def _registered(cls):
    family = _const(cls.name)
    if family is None or (cls.feature and cls.feature not in FEATURES):
        return cls
    inst = cls()
    inst.family = family
    inst.size = ffi.sizeof(cls.ctype[:-2].strip())
    inst.ptype = ffi.typeof(cls.ctype)
    _FAMILIES[family] = inst
    return cls


def _inet_args(address, caller):
    if _PYPY:                   # any iterable; port checked before the host
        host, port = address
        host = host_bytes(host)
        port = exact_int(port)
        _port_check(port, caller)
        return host, port
    _need_tuple(address, caller, "AF_INET", 2, 2, "a pair (host, port)")
    host = host_bytes(address[0])
    try:
        port = c_int(address[1])
    except OverflowError:
        raise OverflowError("%s(): port must be 0-65535." % caller) from None
    return host, port


def _port_check(port, caller):
    if not 0 <= port <= 0xffff:
        if _PYPY:
            raise OverflowError("port must be 0-65535.")
        raise OverflowError("%s(): port must be 0-65535." % caller)


# Encoded numeric IPv4 addresses, {family: {(host, port): (sockaddr_in,
# length)}}, so that sendto() to the same peer skips parsing (see
# to_sockaddr).  Only exact (str, int) pairs whose host is the dotted quad
# of the result are kept: no resolved name is ever cached, and a hit counts
# only for an exact (str, int) pair, so no other type can compare equal to a
# key.  The structs are only ever handed to C as const.  Bounded: emptied
# when full.
_ENCODED = {}
_ENCODED_MAX = 256


def _exact_pair(address):
    return (address.__class__ is tuple and len(address) == 2
            and address[0].__class__ is str
            and address[1].__class__ is int)


@_register("AF_INET", "struct sockaddr_in *")
class _INET(_Family):
    def encode(self, address, proto, caller):
        host, port = _inet_args(address, caller)
        sin = resolve_ip(host, _AF_INET)
        _port_check(port, caller)
        sin.sin_family = self.family
        sin.sin_port = hton16(port)
        if _exact_pair(address) and sockaddr_in_text(sin) == address[0]:
            cache = _ENCODED.setdefault(self.family, {})
            if len(cache) >= _ENCODED_MAX:
                cache.clear()
            cache[address] = (sin, self.size)
        return sin, self.size

    def decode(self, sin, length, proto):
        return (sockaddr_in_text(sin), ntoh16(sin.sin_port))


@_register("AF_RDS")
class _RDS(_INET):
    """RDS sockets use sockaddr_in, like AF_INET."""


@_register("AF_INET6", "struct sockaddr_in6 *")
class _INET6(_Family):
    def _args(self, address, caller):
        if _PYPY:
            pieces = tuple(address)
            if not 2 <= len(pieces) <= 4:
                raise TypeError("AF_INET6 address must be a tuple of length "
                                "2 to 4, not %d" % len(pieces))
            host = host_bytes(pieces[0])
            port = exact_int(pieces[1])
            _port_check(port, caller)
            flowinfo = exact_int(pieces[2]) if len(pieces) > 2 else 0
            scope_id = (c_uint_masked(pieces[3]) if len(pieces) > 3 else 0)
            if not 0 <= flowinfo <= 0xfffff:
                raise OverflowError("flowinfo must be 0-1048575.")
            return host, port, flowinfo, scope_id
        _need_tuple(address, caller, "AF_INET6", 2, 4,
                    "a tuple (host, port[, flowinfo[, scopeid]])")
        host = host_bytes(address[0])
        try:
            port = c_int(address[1])
        except OverflowError:
            raise OverflowError("%s(): port must be 0-65535." % caller) \
                from None
        flowinfo = c_uint_masked(address[2]) if len(address) > 2 else 0
        scope_id = c_uint_masked(address[3]) if len(address) > 3 else 0
        return host, port, flowinfo, scope_id

    def encode(self, address, proto, caller):
        host, port, flowinfo, scope_id = self._args(address, caller)
        sin6 = resolve_ip(host, _AF_INET6)
        _port_check(port, caller)
        if flowinfo > 0xfffff:
            raise OverflowError("%s(): flowinfo must be 0-1048575." % caller)
        sin6.sin6_family = self.family
        sin6.sin6_port = hton16(port)
        sin6.sin6_flowinfo = hton32(flowinfo)
        sin6.sin6_scope_id = scope_id
        return sin6, self.size

    def decode(self, sin6, length, proto):
        return (sockaddr_in6_text(sin6), ntoh16(sin6.sin6_port),
                ntoh32(sin6.sin6_flowinfo), sin6.sin6_scope_id)


@_register("AF_UNIX", "struct sockaddr_un *", feature="un")
class _UNIX(_Family):
    def encode(self, address, proto, caller):
        if isinstance(address, str):
            path = os.fsencode(str.__str__(address))
        elif (_PYPY and not isinstance(address, bytes)
              and not isinstance(address, bytearray)):
            raise TypeError("expected bytes, got %s object"
                            % _type_name(address))
        else:
            # The length is the buffer's, never len() of the object.
            path = buffer_bytes(address)
        sun = ffi.new(self.ctype)
        room = len(sun.sun_path)
        base = ffi.offsetof("struct sockaddr_un", "sun_path")
        if not path or path[0] == 0:     # Linux abstract namespace/autobind
            if len(path) > room:
                raise OSError("AF_UNIX path too long")
            length = base + len(path)
        else:
            if len(path) >= room:
                raise OSError("AF_UNIX path too long")
            length = base + len(path) + 1   # with the terminating NUL
        sun.sun_family = self.family
        ffi.memmove(sun.sun_path, path, len(path))
        return sun, length

    def decode(self, sun, length, proto):
        n = length - ffi.offsetof("struct sockaddr_un", "sun_path")
        if n <= 0:
            return ""
        n = min(n, len(sun.sun_path))
        raw = ffi.unpack(sun.sun_path, n)
        if raw[0:1] == b"\0":
            return raw                   # abstract: bytes, NULs and all
        end = raw.find(b"\0")
        if end >= 0:
            raw = raw[:end]
        return os.fsdecode(raw)


class _TwoUints(_Family):
    """Families whose address is a pair of C unsigned ints."""
    fields = ()          # struct member names, in tuple order
    pair = ""            # message text
    prefix_caller = True

    def encode(self, address, proto, caller):
        if not isinstance(address, tuple):
            who = ("%s()" % caller) if self.prefix_caller else "getsockaddrarg"
            raise TypeError("%s: %s address must be tuple, not %s"
                            % (who, self.name, _type_name(address)))
        if len(address) != 2:
            raise TypeError(self.pair)
        a = c_uint_masked(address[0])
        b = c_uint_masked(address[1])
        sa = ffi.new(self.ctype)
        setattr(sa, self.family_field, self.family)
        setattr(sa, self.fields[0], a)
        setattr(sa, self.fields[1], b)
        return sa, self.size

    def decode(self, sa, length, proto):
        return (getattr(sa, self.fields[0]), getattr(sa, self.fields[1]))


def _pair_family(name, ctype, feature, family_field, fields, pair=None):
    """Register a family whose address is a pair of C unsigned ints:
    ``fields`` name the struct members in tuple order; ``pair`` is the
    message for a tuple of another length (None: the stdlib's
    getsockaddrarg wording, whose type message names no caller)."""
    attributes = {"family_field": family_field, "fields": fields}
    if pair is None:
        attributes.update(pair="getsockaddrarg() takes exactly 2 arguments",
                          prefix_caller=False)
    else:
        attributes["pair"] = pair
    cls = type("_" + name[3:], (_TwoUints,), attributes)
    _register(name, ctype, feature)(cls)


_pair_family("AF_NETLINK", "struct sockaddr_nl *", "netlink", "nl_family",
             ("nl_pid", "nl_groups"),
             "AF_NETLINK address must be a pair (pid, groups)")
_pair_family("AF_VSOCK", "struct sockaddr_vm *", "vsock", "svm_family",
             ("svm_cid", "svm_port"))
_pair_family("AF_QIPCRTR", "struct sockaddr_qrtr *", "qrtr", "sq_family",
             ("sq_node", "sq_port"))


def _ifindex(name):
    """Interface index for ``name`` (bytes); OSError (ENODEV) if unknown."""
    ffi.errno = 0
    index = lib.if_nametoindex(name)
    if index == 0:
        raise from_errno(ffi.errno or ENODEV)
    return index


def _ifname(index):
    """Interface name (bytes) for ``index``, or b'' (as ioctl SIOCGIFNAME)."""
    if not index:
        return b""
    buf = _raw_new("char[]", lib.IF_NAMESIZE)
    if lib.if_indextoname(index & 0xffffffff, buf) == ffi.NULL:
        return b""
    return ffi.string(buf)


_IF_NAMESIZE = _const("IF_NAMESIZE", 16)


@_register("AF_PACKET", "struct sockaddr_ll *", feature="packet")
class _PACKET(_Family):
    items = (2, 5, "a tuple of two to five elements")

    def encode(self, address, proto, caller):
        ifname = address[0]
        if not isinstance(ifname, str):
            raise TypeError("%s() argument 1 must be str, not %s"
                            % (caller, _type_name(ifname)))
        ifname = str.encode(ifname, "utf-8")
        if b"\0" in ifname:
            raise ValueError("embedded null character")
        try:
            protocol = c_int(address[1])
            pkttype = c_int(address[2]) if len(address) > 2 else \
                _const("PACKET_HOST", 0)
            hatype = c_int(address[3]) if len(address) > 3 else 0
        except OverflowError:
            raise OverflowError("%s(): address argument out of range"
                                % caller) from None
        haddr = None
        if len(address) > 4:
            haddr = address[4]
            if isinstance(haddr, str):
                raise TypeError("a bytes-like object is required, not 'str'")
            haddr = buffer_bytes(haddr)
        index = _ifindex(ifname[:_IF_NAMESIZE - 1])
        if haddr is not None and len(haddr) > 8:
            raise ValueError("Hardware address must be 8 bytes or less")
        if not 0 <= protocol <= 0xffff:
            raise OverflowError("%s(): proto must be 0-65535." % caller)
        sll = ffi.new(self.ctype)
        sll.sll_family = self.family
        sll.sll_protocol = hton16(protocol)
        sll.sll_ifindex = index
        sll.sll_pkttype = pkttype & 0xff
        sll.sll_hatype = hatype & 0xffff
        if haddr:
            ffi.memmove(sll.sll_addr, haddr, len(haddr))
            sll.sll_halen = len(haddr)
        return sll, self.size

    def decode(self, sll, length, proto):
        ifname = _ifname(sll.sll_ifindex)
        halen = min(sll.sll_halen, 8)
        return (os.fsdecode(ifname), ntoh16(sll.sll_protocol),
                sll.sll_pkttype, sll.sll_hatype,
                ffi.unpack(ffi.cast("char *", sll.sll_addr), halen))


@_register("AF_TIPC", "struct sockaddr_tipc *", feature="tipc")
class _TIPC(_Family):
    items = (4, 5, "a tuple (addr_type, v1, v2, v3[, scope])")

    def encode(self, address, proto, caller):
        atype, v1, v2, v3 = [c_uint_masked(v) for v in address[:4]]
        scope = (c_uint_masked(address[4]) if len(address) > 4
                 else lib.TIPC_CLUSTER_SCOPE)
        if atype not in (lib.TIPC_ADDR_NAMESEQ, lib.TIPC_ADDR_NAME,
                         lib.TIPC_ADDR_ID):
            raise TypeError("Invalid address type")
        if atype == lib.TIPC_ADDR_NAME:
            v3 = 0                      # the domain is not taken from v3
        sa = ffi.new(self.ctype)
        sa.family = self.family
        sa.addrtype = atype
        sa.scope = ((scope & 0xff) ^ 0x80) - 0x80      # a signed char
        lib.sockcffi_tipc_set(sa, v1, v2, v3)
        return sa, self.size

    def decode(self, sa, length, proto):
        atype = sa.addrtype
        if atype not in (lib.TIPC_ADDR_NAMESEQ, lib.TIPC_ADDR_NAME,
                         lib.TIPC_ADDR_ID):
            raise ValueError("Invalid address type")
        out = ffi.new("uint32_t[3]")
        lib.sockcffi_tipc_get(sa, out)
        v1, v2, v3 = out[0], out[1], out[2]
        if atype == lib.TIPC_ADDR_NAME:
            v3 = v2                     # the stdlib reports the instance twice
        return (atype, v1, v2, v3, sa.scope & 0xffffffff)


@_register("AF_CAN", "struct sockaddr_can *", feature="can")
class _CAN(_Family):
    def _interface_index(self, name):
        name = fs_path(name)
        if b"\0" in name:
            raise ValueError("embedded null byte")
        if not name:
            return 0
        if len(name) >= _IF_NAMESIZE:
            raise OSError("AF_CAN interface name too long")
        return _ifindex(name)

    def encode(self, address, proto, caller):
        isotp, j1939 = _const("CAN_ISOTP"), _const("CAN_J1939")
        if proto in (_const("CAN_RAW"), _const("CAN_BCM")):
            _need_tuple(address, caller, "AF_CAN", 1, 1,
                        "a tuple (interface, )")
            extra = ()
        elif proto == isotp and isotp is not None:
            if not isinstance(address, tuple) or len(address) != 3:
                raise TypeError("function takes exactly 3 arguments")
            extra = tuple(c_uint_masked(v, 0xffffffffffffffff)
                          for v in address[1:])
        elif proto == j1939 and j1939 is not None:
            if not isinstance(address, tuple) or len(address) != 4:
                raise TypeError("function takes exactly 4 arguments")
            extra = (c_uint_masked(address[1], 0xffffffffffffffff),
                     c_uint_masked(address[2]),
                     c_uint_masked(address[3], 0xff))
        else:
            raise OSError("%s(): unsupported CAN protocol" % caller)
        index = self._interface_index(address[0])
        sa = ffi.new(self.ctype)
        sa.can_family = self.family
        sa.can_ifindex = index
        if proto == isotp:
            lib.sockcffi_can_set_tp(sa, extra[0] & 0xffffffff,
                                    extra[1] & 0xffffffff)
        elif proto == j1939:
            lib.sockcffi_can_set_j1939(sa, *extra)
        return sa, self.size

    def decode(self, sa, length, proto):
        ifname = os.fsdecode(_ifname(sa.can_ifindex))
        if proto == _const("CAN_ISOTP"):
            out = ffi.new("uint32_t[2]")
            lib.sockcffi_can_get_tp(sa, out)
            return (ifname, out[0], out[1])
        if proto == _const("CAN_J1939"):
            name = ffi.new("uint64_t *")
            pgn = ffi.new("uint32_t *")
            addr = ffi.new("uint8_t *")
            lib.sockcffi_can_get_j1939(sa, name, pgn, addr)
            return (ifname, name[0], pgn[0], addr[0])
        return (ifname,)


@_register("AF_ALG", "struct sockaddr_alg *", feature="alg")
class _ALG(_Family):
    decodes = False      # the stdlib has no AF_ALG decoder: generic form
    items = (2, 4, "a tuple (type, name[, feat[, mask]])")

    def encode(self, address, proto, caller):
        type_ = c_text(address[0], "getsockaddrarg", 1)
        name = c_text(address[1], "getsockaddrarg", 2)
        feat = c_uint_masked(address[2], 0xffff) if len(address) > 2 else 0
        mask = c_uint_masked(address[3], 0xffff) if len(address) > 3 else 0
        sa = ffi.new(self.ctype)
        if len(type_) >= len(sa.salg_type):
            raise ValueError("AF_ALG type too long.")
        if len(name) >= len(sa.salg_name):
            raise ValueError("AF_ALG name too long.")
        sa.salg_family = self.family
        sa.salg_feat = feat
        sa.salg_mask = mask
        ffi.memmove(sa.salg_type, type_, len(type_))
        ffi.memmove(sa.salg_name, name, len(name))
        return sa, self.size

    def decode(self, sa, length, proto):
        return (ffi.string(ffi.cast("char *", sa.salg_type)).decode(),
                ffi.string(ffi.cast("char *", sa.salg_name)).decode(),
                sa.salg_feat, sa.salg_mask)


# --- AF_BLUETOOTH (BlueZ) ---------------------------------------------------
#
# The protocol picks the struct and the Python shape (CPython 3.11, Linux):
#   BTPROTO_L2CAP   (bdaddr, psm)       sockaddr_l2
#   BTPROTO_RFCOMM  (bdaddr, channel)   sockaddr_rc
#   BTPROTO_HCI     (device_id,) in, device_id out          sockaddr_hci
#   BTPROTO_SCO     bdaddr in (bytes, or str), str out      sockaddr_sco
# A bdaddr is "XX:XX:XX:XX:XX:XX", most significant byte first; bdaddr_t
# stores it the other way round (the last pair is b[0]).

# The stdlib's named addresses.  The header spells them as bdaddr_t
# initialisers, which the constant probe cannot see: these are the text forms.
_BDADDR_ANY = "00:00:00:00:00:00"
_BDADDR_LOCAL = "00:00:00:FF:FF:FF"


def _bdaddr_text(bdaddr):
    b = bdaddr.b
    return "%02X:%02X:%02X:%02X:%02X:%02X" % (b[5], b[4], b[3], b[2], b[1],
                                              b[0])


# The struct: sockaddr_l2, the largest; each proto has its own.
@_register("AF_BLUETOOTH", "struct sockaddr_l2 *", feature="bluetooth")
class _BLUETOOTH(_Family):
    def __init__(self):
        l2cap, hci = _const("BTPROTO_L2CAP"), _const("BTPROTO_HCI")
        rfcomm, sco = _const("BTPROTO_RFCOMM"), _const("BTPROTO_SCO")
        self._structs = {l2cap: ffi.typeof("struct sockaddr_l2 *"),
                         rfcomm: ffi.typeof("struct sockaddr_rc *"),
                         hci: ffi.typeof("struct sockaddr_hci *"),
                         sco: ffi.typeof("struct sockaddr_sco *")}
        self._l2cap, self._rfcomm, self._hci, self._sco = \
            l2cap, rfcomm, hci, sco

    @staticmethod
    def _set(sa, field, text):
        if lib.sockcffi_bt_setbdaddr(text, ffi.addressof(sa, field)) < 0:
            raise OSError("bad bluetooth address")

    @staticmethod
    def _text_arg(value):
        """Format unit 's' (str, UTF-8, no NUL); None if it does not fit."""
        if not isinstance(value, str):
            return None
        try:
            data = str.encode(value, "utf-8")
        except UnicodeEncodeError:
            return None
        return None if b"\0" in data else data

    @staticmethod
    def _int_arg(value):
        """Format unit 'i'; None if it does not fit."""
        try:
            return c_int(value)
        except (TypeError, OverflowError):
            return None

    def encode(self, address, proto, caller):
        ptype = self._structs.get(proto)
        if ptype is None:
            raise OSError("%s(): unknown Bluetooth protocol" % caller)
        sa = ffi.new(ptype)
        if proto == self._sco:
            # 3.11 takes bytes only (scanned up to a NUL); str is accepted
            # as well, the way later versions do.
            if isinstance(address, bytes):
                text = address
            else:
                text = self._text_arg(address)
            if text is None:
                raise OSError("%s(): wrong format" % caller)
            self._set(sa, "sco_bdaddr", text)
            sa.sco_family = self.family
            return sa, ffi.sizeof(sa[0])
        if not isinstance(address, tuple):
            raise OSError("%s(): wrong format" % caller)
        if proto == self._hci:
            dev = self._int_arg(address[0]) if len(address) == 1 else None
            if dev is None:
                raise OSError("%s(): wrong format" % caller)
            sa.hci_family = self.family
            sa.hci_dev = dev & 0xffff
            sa.hci_channel = 0                  # HCI_CHANNEL_RAW
            return sa, ffi.sizeof(sa[0])
        if len(address) != 2:
            raise OSError("%s(): wrong format" % caller)
        text = self._text_arg(address[0])
        number = self._int_arg(address[1])
        if text is None or number is None:
            raise OSError("%s(): wrong format" % caller)
        if proto == self._l2cap:
            self._set(sa, "l2_bdaddr", text)
            sa.l2_family = self.family
            sa.l2_psm = number & 0xffff
        else:
            self._set(sa, "rc_bdaddr", text)
            sa.rc_family = self.family
            sa.rc_channel = number & 0xff
        return sa, ffi.sizeof(sa[0])

    def decode(self, sa, length, proto):
        ptype = self._structs.get(proto)
        if ptype is None:
            raise ValueError("Unknown Bluetooth protocol")
        sa = ffi.cast(ptype, sa)
        if proto == self._l2cap:
            return (_bdaddr_text(sa.l2_bdaddr), sa.l2_psm)
        if proto == self._rfcomm:
            return (_bdaddr_text(sa.rc_bdaddr), sa.rc_channel)
        if proto == self._hci:
            return sa.hci_dev
        return _bdaddr_text(sa.sco_bdaddr)


if _const("AF_BLUETOOTH") in _FAMILIES:
    BDADDR_ANY = _BDADDR_ANY
    BDADDR_LOCAL = _BDADDR_LOCAL


# --- the public contract ----------------------------------------------------

def family_of(family):
    """The registered converter for ``family``, or None."""
    return _FAMILIES.get(family)


def to_sockaddr(family, proto, address, caller):
    """Encode ``address`` for a socket of ``family``/``proto``.

    Returns ``(ptr, length)``: ``ptr`` owns the C struct (keep it alive while
    the call runs); the socket calls take it as it is (their cdef declares
    addresses ``void *``).
    """
    if _exact_pair(address):
        cache = _ENCODED.get(family)
        if cache is not None:
            hit = cache.get(address)
            if hit is not None:
                return hit
    conv = _FAMILIES.get(family)
    if conv is None:
        raise OSError("%s(): bad family" % caller)
    if conv.items is not None:
        _need_tuple(address, caller, conv.name, *conv.items)
    return conv.encode(address, proto, caller)


def from_sockaddr(ptr, length, proto=0):
    """Decode a C socket address of ``length`` bytes at ``ptr``.

    ``length`` 0 gives None; a family without a decoder gives
    ``(family, sa_data bytes)`` like the stdlib.
    """
    if length <= 0:
        return None
    # The kernel reports an address's full length even when it did not fit:
    # never read past the storage every caller allocates.
    if length > _STORAGE_SIZE:
        length = _STORAGE_SIZE
    family = ffi.cast(_SOCKADDR_P, ptr).sa_family
    conv = _FAMILIES.get(family)
    if conv is not None and conv.decodes:
        return conv.decode(ffi.cast(conv.ptype, ptr), length, proto)
    return generic_decode(ptr, length)


def generic_decode(ptr, length):
    """``(family, sa_data)`` with sa_data's 14 bytes (zeros past length)."""
    sa = ffi.cast("struct sockaddr *", ptr)
    have = max(0, min(length, _SA_FAMILY_END + _SA_DATA_LEN) - _SA_FAMILY_END)
    data = ffi.unpack(ffi.cast("char *", ptr) + _SA_FAMILY_END, have)
    return (sa.sa_family, data + b"\0" * (_SA_DATA_LEN - have))


# --- receiving addresses (recvfrom's hot path) -------------------------------
#
# Decoded AF_INET addresses are kept by the first 8 bytes of their sockaddr
# -- family, port and address -- read as one integer (the key of a
# sockcffi._buffers.AddressName, which recvfrom() and recvmmsg() reuse), so
# a server hearing from the same peers again and again neither allocates
# nor formats per datagram.

_DECODED_INET = {}
_DECODED_MAX = 1024
_SIN_SIZE = ffi.sizeof("struct sockaddr_in")
_KEY_P = ffi.typeof("uint64_t *")


def decode_cached(ptr, length, proto, key_view=None):
    """``from_sockaddr(ptr, length, proto)``, with AF_INET addresses kept by
    the first 8 bytes of their sockaddr read as one integer (``key_view``:
    a ``uint64_t *`` over ``ptr``, for callers that keep one; ``ptr`` is a
    ``struct sockaddr_storage *``)."""
    if length != _SIN_SIZE:
        return from_sockaddr(ptr, length, proto)
    # Only a whole sockaddr_in was written: the key is this call's.
    if key_view is None:
        key_view = ffi.cast(_KEY_P, ptr)
    key = key_view[0]
    address = _DECODED_INET.get(key)
    if address is not None:
        return address
    address = from_sockaddr(ptr, length, proto)
    if ptr.ss_family == _AF_INET:
        if len(_DECODED_INET) >= _DECODED_MAX:
            _DECODED_INET.clear()
        _DECODED_INET[key] = address
    return address


def new_storage():
    """``(struct sockaddr_storage *, socklen_t *)`` for the kernel to fill.

    The length is preset to the storage size; the storage is not cleared.
    """
    return (_raw_new(_STORAGE_P), _raw_new(_SOCKLEN_P, _STORAGE_SIZE))
