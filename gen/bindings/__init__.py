"""Hand-written cffi declarations, one module per C header (or header family).

Each module defines:
  HEADERS        the catalogue headers it needs (each must be one of
                 gen/catalogue.py's HEADERS); if any is missing on the build
                 machine the module is left out and its feature flag is absent,
                 unless the module is REQUIRED: then the build stops
  TYPES          struct and typedef declarations for the cdef
  FUNCTIONS      function prototypes for the cdef
  CUSTOMIZATIONS C helpers compiled into the module (may be empty)

Constants are never declared here: the generator finds them in the headers.
The order of MODULES is the order of the cdef; types used by later modules
come first.
"""
import importlib

MODULES = (
    "socket",     # sockaddr, msghdr, the socket syscalls: everything uses them
    "unistd",     # close, dup, poll, host name
    "inet",       # IPv4 and IPv6 addresses
    "un",         # AF_UNIX
    "netdb",      # name resolution
    "netif",      # interface names and indexes
    "netlink",    # AF_NETLINK
    "packet",     # AF_PACKET
    "can",        # AF_CAN (raw, BCM, ISO-TP, J1939)
    "tipc",       # AF_TIPC
    "alg",        # AF_ALG
    "vsock",      # AF_VSOCK
    "qrtr",       # AF_QIPCRTR
    "bluetooth",  # AF_BLUETOOTH (BlueZ headers: L2CAP, RFCOMM, HCI, SCO)
    # Option and control-message structs (sockcffi.options, sockcffi.cmsg);
    # after the address structs they embed.
    "sock_opts",
    "inet_opts",
    "tcp_opts",
    "tstamp_opts",
    "errqueue",
    "packet_opts",
    "can_opts",
    "isotp_opts",
    "j1939_opts",
    "tipc_opts",
    "option_table",  # gen/option_types.py, compiled in
    "mmsg",       # recvmmsg/sendmmsg (sockcffi.batch)
    "epoll",      # readiness for sockcffi.aio's event loop
)


# The Python layer calls these on every platform: without one, sockcffi
# would import and then fail with AttributeError, so the build stops instead.
REQUIRED = ("socket", "unistd", "inet", "un", "netdb", "netif")


class BindingError(Exception):
    """A binding the build cannot use as declared (one line, for the user)."""


def load():
    return [importlib.import_module("." + name, __name__) for name in MODULES]
