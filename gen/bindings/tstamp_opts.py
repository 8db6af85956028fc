"""Structs of the timestamping and SO_TXTIME options (linux/net_tstamp.h)."""
HEADERS = ("linux/net_tstamp.h",)

TYPES = """
typedef int... __kernel_clockid_t;
struct so_timestamping { int flags; int bind_phc; ...; };
struct sock_txtime { __kernel_clockid_t clockid; uint32_t flags; ...; };
struct scm_ts_pktinfo { uint32_t if_index; uint32_t pkt_length; ...; };
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
