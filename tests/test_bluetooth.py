"""AF_BLUETOOTH addresses (BlueZ): conversions both ways, errors, constants.

The protocol decides the address shape, as in CPython 3.11 on Linux:
L2CAP (bdaddr, psm), RFCOMM (bdaddr, channel), HCI (device_id,) -> device_id,
SCO bdaddr -> bdaddr.  Most kernels in containers refuse Bluetooth sockets,
so everything but the last tests works on the C structs alone.
"""
import errno

import pytest
from hypothesis import given, strategies as st

from sockcffi._binding import FEATURES

if "bluetooth" not in FEATURES:
    pytest.skip("sockcffi was built without the BlueZ headers "
                "(bluetooth/*.h, Debian: libbluetooth-dev)",
                allow_module_level=True)

import sockcffi  # noqa: E402
from sockcffi import addresses  # noqa: E402
from sockcffi._binding import ffi, lib  # noqa: E402
from sockcffi.addresses import from_sockaddr, to_sockaddr  # noqa: E402

AF = lib.AF_BLUETOOTH
L2CAP, RFCOMM = lib.BTPROTO_L2CAP, lib.BTPROTO_RFCOMM
HCI, SCO = lib.BTPROTO_HCI, lib.BTPROTO_SCO


def encode(proto, address, caller="bind"):
    return to_sockaddr(AF, proto, address, caller)


def roundtrip(proto, address):
    ptr, length = encode(proto, address)
    return ptr, length, from_sockaddr(ptr, length, proto)


def raw(ptr, length):
    return bytes(ffi.buffer(ptr, length))


# --- constants ---------------------------------------------------------------

def test_named_addresses():
    assert sockcffi.BDADDR_ANY == "00:00:00:00:00:00"
    assert sockcffi.BDADDR_LOCAL == "00:00:00:FF:FF:FF"
    assert isinstance(sockcffi.BDADDR_ANY, str)


def test_integer_constants():
    assert sockcffi.AF_BLUETOOTH == AF
    for name in ("BTPROTO_L2CAP", "BTPROTO_RFCOMM", "BTPROTO_HCI",
                 "BTPROTO_SCO", "SOL_HCI", "HCI_FILTER"):
        assert isinstance(getattr(sockcffi, name), int), name
    assert len({L2CAP, RFCOMM, HCI, SCO}) == 4
    # The header's BDADDR_* integers are address types, not addresses.
    assert sockcffi.BDADDR_LE_PUBLIC == lib.BDADDR_LE_PUBLIC


def test_family_registered():
    assert addresses.family_of(AF) is not None


# --- the address text --------------------------------------------------------

def test_bdaddr_is_stored_reversed():
    ptr, length = encode(RFCOMM, ("01:23:45:67:89:AB", 1))
    assert list(ptr.rc_bdaddr.b) == [0xAB, 0x89, 0x67, 0x45, 0x23, 0x01]
    off = ffi.offsetof("struct sockaddr_rc", "rc_bdaddr")
    assert raw(ptr, length)[off:off + 6] == bytes.fromhex("ab8967452301")


def test_decode_is_upper_case():
    _, _, back = roundtrip(RFCOMM, ("de:ad:be:ef:0a:b", 3))
    assert back == ("DE:AD:BE:EF:0A:0B", 3)


@pytest.mark.parametrize("text", [
    "1:2:3:4:5:6",                # one-digit fields
    " 01: 02:03:04:05:06",        # scanf skips blanks before a number
    "0x01:0X02:03:04:05:06",      # and takes a 0x prefix
    "001:02:03:04:05:06",         # leading zeros
])
def test_scanf_forms(text):
    _, _, back = roundtrip(RFCOMM, (text, 1))
    assert back == ("01:02:03:04:05:06", 1)


@pytest.mark.parametrize("text", [
    "", "01:02:03:04:05", "01:02:03:04:05:06:07", "01:02:03:04:05:06 ",
    "01:02:03:04:05:100", "01-02-03-04-05-06", "zz:02:03:04:05:06",
    "01:02:03:04:05:-1", "01:02:03:04:05:06x",
])
def test_bad_address(text):
    for proto, address in ((L2CAP, (text, 1)), (RFCOMM, (text, 1)),
                           (SCO, text.encode()), (SCO, text)):
        with pytest.raises(OSError, match="bad bluetooth address"):
            encode(proto, address)


@given(st.binary(min_size=6, max_size=6), st.integers(0, 0xffff))
def test_any_address_roundtrips(b, psm):
    text = ":".join("%02x" % x for x in b)
    ptr, length, back = roundtrip(L2CAP, (text, psm))
    assert bytes(ptr.l2_bdaddr.b) == b[::-1]
    assert back == (text.upper(), psm)


# --- each protocol -----------------------------------------------------------

def test_l2cap():
    ptr, length, back = roundtrip(L2CAP, ("01:23:45:67:89:AB", 0x1001))
    assert length == ffi.sizeof("struct sockaddr_l2")
    assert ptr.l2_family == AF
    assert ptr.l2_psm == 0x1001
    assert ptr.l2_cid == 0 and ptr.l2_bdaddr_type == 0
    assert back == ("01:23:45:67:89:AB", 0x1001)


def test_l2cap_psm_is_truncated_like_a_c_short():
    _, _, back = roundtrip(L2CAP, (sockcffi.BDADDR_ANY, 0x12345))
    assert back == (sockcffi.BDADDR_ANY, 0x2345)


def test_rfcomm():
    ptr, length, back = roundtrip(RFCOMM, (sockcffi.BDADDR_LOCAL, 30))
    assert length == ffi.sizeof("struct sockaddr_rc")
    assert ptr.rc_family == AF and ptr.rc_channel == 30
    assert list(ptr.rc_bdaddr.b) == [0xff, 0xff, 0xff, 0, 0, 0]
    assert back == ("00:00:00:FF:FF:FF", 30)


def test_hci():
    ptr, length, back = roundtrip(HCI, (3,))
    assert length == ffi.sizeof("struct sockaddr_hci")
    assert ptr.hci_family == AF
    assert ptr.hci_dev == 3 and ptr.hci_channel == 0
    assert back == 3                    # an int, not a tuple (3.11)


@pytest.mark.parametrize("address", [b"11:22:33:44:55:66", "11:22:33:44:55:66",
                                     b"11:22:33:44:55:66\0ignored"])
def test_sco(address):
    ptr, length, back = roundtrip(SCO, address)
    assert length == ffi.sizeof("struct sockaddr_sco")
    assert ptr.sco_family == AF
    assert bytes(ptr.sco_bdaddr.b) == bytes.fromhex("665544332211")
    assert back == "11:22:33:44:55:66"


def test_decode_from_storage():
    storage = ffi.new("struct sockaddr_storage *")
    sa = ffi.cast("struct sockaddr_rc *", storage)
    sa.rc_family = AF
    sa.rc_channel = 7
    ffi.memmove(ffi.addressof(sa, "rc_bdaddr"), bytes([6, 5, 4, 3, 2, 1]), 6)
    got = from_sockaddr(storage, ffi.sizeof("struct sockaddr_rc"), RFCOMM)
    assert got == ("01:02:03:04:05:06", 7)
    sco = from_sockaddr(storage, ffi.sizeof("struct sockaddr_sco"), SCO)
    assert sco == "01:02:03:04:05:06"


# --- wrong shapes ------------------------------------------------------------

@pytest.mark.parametrize("proto, address", [
    (L2CAP, ("01:02:03:04:05:06",)),
    (L2CAP, ("01:02:03:04:05:06", 1, 2)),
    (L2CAP, ["01:02:03:04:05:06", 1]),
    (L2CAP, (b"01:02:03:04:05:06", 1)),
    (RFCOMM, ("01:02:03:04:05:06", 1.0)),
    (RFCOMM, ("01:02:03:04:05:06", 2 ** 31)),
    (RFCOMM, ("01:02:03:04:05:06\0", 1)),
    (RFCOMM, "01:02:03:04:05:06"),
    (HCI, 0),
    (HCI, (0, 0)),
    (HCI, ("0",)),
    (SCO, bytearray(b"01:02:03:04:05:06")),
    (SCO, ("01:02:03:04:05:06",)),
    (SCO, "01:02:03:04:05:06\0"),
])
def test_wrong_format(proto, address):
    with pytest.raises(OSError, match=r"^connect\(\): wrong format$"):
        encode(proto, address, "connect")


def test_unknown_protocol():
    with pytest.raises(OSError, match="unknown Bluetooth protocol"):
        encode(lib.BTPROTO_BNEP, ("01:02:03:04:05:06", 1))
    ptr, length = encode(SCO, b"01:02:03:04:05:06")
    with pytest.raises(ValueError, match="Unknown Bluetooth protocol"):
        from_sockaddr(ptr, length, lib.BTPROTO_BNEP)


# --- a live socket, where the kernel has Bluetooth ---------------------------

_REFUSED = {errno.EAFNOSUPPORT, errno.EPROTONOSUPPORT, errno.ESOCKTNOSUPPORT,
            errno.EPERM, errno.EACCES, errno.EINVAL}


def test_live_rfcomm_socket():
    try:
        s = sockcffi.socket(AF, sockcffi.SOCK_STREAM, RFCOMM)
    except OSError as e:
        if e.errno in _REFUSED:
            pytest.skip("the kernel refuses Bluetooth sockets: %s" % e)
        raise
    with s:
        assert s.family == AF
        assert s.proto == RFCOMM
        with pytest.raises(OSError, match="bad bluetooth address"):
            s.bind(("not an address", 1))
