"""Structs of the timestamping and SO_TXTIME options (linux/net_tstamp.h).

Each appeared in a later kernel than the header itself (sock_txtime 4.19,
so_timestamping 5.14): only those this machine's header declares are
declared here (see _optional.py)."""
from ._optional import declarations

HEADERS = ("linux/net_tstamp.h",)

_OPTIONAL = (
    ("so_timestamping", "struct so_timestamping { int flags; int bind_phc; "
                        "...; };"),
    ("sock_txtime", "struct sock_txtime { __kernel_clockid_t clockid; "
                    "uint32_t flags; ...; };"),
    ("scm_ts_pktinfo", "struct scm_ts_pktinfo { uint32_t if_index; "
                       "uint32_t pkt_length; ...; };"),
)

FUNCTIONS = ""
CUSTOMIZATIONS = ""


def __getattr__(name):
    # Computed on first use, so that importing the bindings asks nothing of
    # the compiler unless this header is present and rendered.
    if name == "TYPES":
        return ("typedef int... __kernel_clockid_t;\n"
                + declarations(HEADERS[0], _OPTIONAL) + "\n")
    raise AttributeError(name)
