"""Asking the running kernel about socket options: which it accepts, and
their default values, on a fresh socket of a family that serves the level
(for ``sockcffi options --probe``).

The probe sockets are the stdlib ``socket`` module's, not sockcffi's: this
is a reporting tool and the stdlib is the reliable reference; only the
numbers (families, levels, options) come from sockcffi's constants.
"""
from . import constants

__all__ = ["PROBE_SOCKETS", "errno_name", "open_probe_socket",
           "probe_option", "connect_over_loopback"]


# level -> (family, type, protocol): constant names, resolved through
# sockcffi's catalogue.  Levels missing here get no socket.
PROBE_SOCKETS = {
    "SOL_SOCKET": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_IP": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_TCP": ("AF_INET", "SOCK_STREAM", None),
    "IPPROTO_UDP": ("AF_INET", "SOCK_DGRAM", None),
    "IPPROTO_UDPLITE": ("AF_INET", "SOCK_DGRAM", "IPPROTO_UDPLITE"),
    "IPPROTO_IPV6": ("AF_INET6", "SOCK_STREAM", None),
    "SOL_PACKET": ("AF_PACKET", "SOCK_RAW", None),
    "SOL_NETLINK": ("AF_NETLINK", "SOCK_RAW", None),
    "AF_VSOCK": ("AF_VSOCK", "SOCK_STREAM", None),
    "SOL_ALG": ("AF_ALG", "SOCK_SEQPACKET", None),
    "SOL_TIPC": ("AF_TIPC", "SOCK_RDM", None),
    "SOL_RDS": ("AF_RDS", "SOCK_SEQPACKET", None),
    "SOL_CAN_RAW": ("AF_CAN", "SOCK_RAW", "CAN_RAW"),
    "SOL_CAN_ISOTP": ("AF_CAN", "SOCK_DGRAM", "CAN_ISOTP"),
    "SOL_CAN_J1939": ("AF_CAN", "SOCK_DGRAM", "CAN_J1939"),
    "SOL_HCI": ("AF_BLUETOOTH", "SOCK_RAW", "BTPROTO_HCI"),
}


def errno_name(err):
    import errno
    return errno.errorcode.get(err.errno, str(err.errno)) if err.errno \
        else type(err).__name__


def open_probe_socket(level):
    """(socket, description) or (None, reason)."""
    import socket
    spec = PROBE_SOCKETS.get(level)
    if spec is None:
        return None, ("no socket of that family could be created here: "
                      "sockcffi does not know which socket serves level %s"
                      % level)
    records = constants.records()
    missing = [n for n in spec if n and n not in records]
    if missing:
        return None, ("no socket of that family could be created here: "
                      "this build lacks %s" % ", ".join(missing))
    family, kind, proto = (records[n].value if n else 0 for n in spec)
    desc = "/".join(n for n in spec if n)   # AF_INET/SOCK_STREAM
    try:
        return socket.socket(family, kind, proto), desc
    except OSError as e:
        return None, ("no socket of that family could be created here: "
                      "%s: %s" % (errno_name(e), e.strerror or e))


def _typed(sock, level_value, option, ctype):
    """getsockopt() through sockcffi.options: the decoded value."""
    from . import options as typed, records
    try:
        value = typed.get(sock, level_value, option)
    except OSError as e:
        return {"accepted": False, "value": None, "bytes": None,
                "errno": errno_name(e), "ctype": ctype, "decoded": None}
    return {"accepted": True,
            "value": value if isinstance(value, int) else None,
            "bytes": None, "errno": None, "ctype": ctype,
            "decoded": records.to_dict(value),
            "text": records.format_value(value)}


def probe_option(sock, level_value, option):
    from . import options as typed
    ctype = typed.ctype(level_value, option)
    if ctype != "int":
        return _typed(sock, level_value, option, ctype)
    result = _int(sock, level_value, option)
    result.update(ctype=ctype, decoded=None)
    return result


def _int(sock, level_value, option):
    import errno
    try:
        return {"accepted": True, "value": sock.getsockopt(level_value,
                                                           option),
                "bytes": None, "errno": None}
    except OSError as e:
        first = e
        if e.errno != errno.EINVAL:
            return {"accepted": False, "value": None, "bytes": None,
                    "errno": errno_name(e)}
    try:
        data = sock.getsockopt(level_value, option, 256)
    except OSError as e:
        # No errno: the stdlib refused the buffer itself (it reads AF_VSOCK
        # options as 8-byte integers only); the kernel's answer was EINVAL.
        return {"accepted": False, "value": None, "bytes": None,
                "errno": errno_name(e if e.errno else first)}
    return {"accepted": True, "value": None, "bytes": data.hex(),
            "errno": None}


def connect_over_loopback(sock):
    """Connect a TCP probe socket to a loopback listener; the other
    sockets, for closing with it."""
    import socket
    listener = socket.socket(sock.family, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        sock.settimeout(10)
        sock.connect(listener.getsockname())
        accepted, _ = listener.accept()
    except OSError:
        listener.close()
        return [], False
    return [listener, accepted], True
