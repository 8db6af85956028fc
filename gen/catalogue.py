"""What sockcffi looks for in the system headers.

This file says *where* to look and *how to classify* what is found; it never
says which names exist.  The names and their values come from the compiler
(see ``probe.py``): a group whose headers are missing simply finds nothing.
"""
from dataclasses import dataclass
from typing import Optional, Tuple


@dataclass(frozen=True)
class Header:
    """A header the probe tries to include.

    ``requires`` are headers that must precede it (kernel uapi headers are not
    all self-contained).  Every header is optional: one that does not
    preprocess on the build machine is left out, with the groups needing it.
    """
    path: str
    requires: Tuple[str, ...] = ()


# Included first in every probe and in the compiled module.  They define no
# group of their own but make some group macros expand: sys/ioctl.h gives
# _IO() for IOCTL_VM_SOCKETS_*, and _GNU_SOURCE (set by the renderer) unlocks
# EAI_NODATA and SCM_CREDENTIALS in glibc.
PRELUDE = ("sys/types.h", "stdint.h", "string.h", "errno.h", "unistd.h",
           "fcntl.h", "poll.h", "sys/ioctl.h", "sys/uio.h")

# Order matters: glibc headers before kernel uapi headers, and each header
# after what it requires, so one translation unit can hold them all.
HEADERS = (
    Header("sys/socket.h"),
    Header("sys/un.h"),
    Header("netinet/in.h"),
    Header("netinet/tcp.h"),
    Header("netinet/udp.h"),
    Header("netdb.h"),
    Header("net/if.h"),
    Header("net/ethernet.h"),
    Header("arpa/inet.h"),
    Header("poll.h"),
    Header("sys/select.h"),
    Header("sys/ioctl.h"),
    Header("sys/epoll.h"),
    Header("linux/can.h"),
    Header("linux/can/raw.h", ("linux/can.h",)),
    Header("linux/can/bcm.h", ("linux/can.h",)),
    Header("linux/can/isotp.h", ("linux/can.h",)),
    Header("linux/can/j1939.h", ("linux/can.h",)),
    Header("linux/tipc.h"),
    Header("linux/rds.h"),
    Header("linux/netlink.h"),
    Header("linux/vm_sockets.h"),
    Header("linux/if_packet.h"),
    Header("linux/if_ether.h"),
    Header("linux/if_alg.h"),
    Header("linux/qrtr.h"),
    Header("linux/errqueue.h"),
    Header("linux/net_tstamp.h"),
    Header("bluetooth/bluetooth.h"),
    Header("bluetooth/rfcomm.h", ("bluetooth/bluetooth.h",)),
    Header("bluetooth/l2cap.h", ("bluetooth/bluetooth.h",)),
    Header("bluetooth/hci.h", ("bluetooth/bluetooth.h",)),
    Header("bluetooth/sco.h", ("bluetooth/bluetooth.h",)),
)


# Winsock, for a Windows target (mingw-w64's headers): winsock2.h is the
# core, and includes windows.h itself; the others need it first.  afunix.h
# is missing from older mingw-w64 releases, and then simply not found.
WINDOWS_PRELUDE = ()


def defines(system: str) -> Tuple[str, ...]:
    """Macros defined before any header.  _GNU_SOURCE: see PRELUDE.
    WIN32_LEAN_AND_MEAN: winsock2.h includes windows.h, whose parts this
    leaves out (COM, the shell...) define no socket constant yet take half
    the time of a probe (mingw-w64 10: the same names and values without
    them)."""
    if system == "windows":
        return ("_GNU_SOURCE", "WIN32_LEAN_AND_MEAN")
    return ("_GNU_SOURCE",)
WINDOWS_HEADERS = (
    Header("winsock2.h"),
    Header("ws2def.h", ("winsock2.h",)),
    Header("ws2ipdef.h", ("winsock2.h",)),
    Header("ws2tcpip.h", ("winsock2.h",)),
    Header("mstcpip.h", ("winsock2.h",)),
    Header("mswsock.h", ("winsock2.h",)),
    Header("afunix.h", ("winsock2.h",)),
)


# The kinds of system, by the header without which there are no sockets to
# probe; the probe tells them apart by asking the compiler (_WIN32).
CORE = {"posix": "sys/socket.h", "windows": "winsock2.h"}


def prelude(system: str) -> Tuple[str, ...]:
    return WINDOWS_PRELUDE if system == "windows" else PRELUDE


def headers(system: str) -> Tuple[Header, ...]:
    return WINDOWS_HEADERS if system == "windows" else HEADERS


@dataclass(frozen=True)
class Group:
    """A family of constants, recognised by name.

    ``prefixes``: a name belongs to the group whose prefix is the longest
    match; an entry ending in ``_`` is a prefix, any other an exact name.
    ``headers``: the group exists only when at least one of them is present.
    ``level``: the ``getsockopt`` level of the group's options.  Which names
    are options: ``options`` (default: every name of the group) and
    ``values`` (option values, flags and sizes, which have no level), both
    written as ``prefixes`` are; when a name matches entries of both, the
    longest entry decides.
    """
    name: str
    prefixes: Tuple[str, ...]
    headers: Tuple[str, ...]
    level: Optional[str] = None
    options: Tuple[str, ...] = ()
    values: Tuple[str, ...] = ()


GROUPS = (
    Group("address_family", ("AF_",), ("sys/socket.h", "winsock2.h")),
    Group("protocol_family", ("PF_",), ("sys/socket.h", "winsock2.h")),
    Group("socket_type", ("SOCK_",), ("sys/socket.h", "winsock2.h")),
    Group("socket_option", ("SO_",), ("sys/socket.h", "winsock2.h"),
          "SOL_SOCKET"),
    Group("socket_level", ("SOL_",), ("sys/socket.h", "winsock2.h")),
    Group("control_message", ("SCM_",), ("sys/socket.h",), "SOL_SOCKET"),
    Group("message_flag", ("MSG_",), ("sys/socket.h", "winsock2.h")),
    Group("shutdown", ("SHUT_",), ("sys/socket.h",)),
    Group("listen_backlog", ("SOMAXCONN",), ("sys/socket.h", "winsock2.h")),
    # PyPy's socket module exposes these (its poll() and if_nameindex()).
    Group("poll_event", ("POLLIN", "POLLPRI", "POLLOUT", "POLLERR",
                         "POLLHUP", "POLLNVAL", "POLLRDNORM", "POLLRDBAND",
                         "POLLWRNORM", "POLLWRBAND", "POLLMSG", "POLLRDHUP"),
          ("poll.h", "winsock2.h")),
    Group("select", ("FD_SETSIZE",), ("sys/select.h", "winsock2.h")),
    Group("interface_ioctl", ("SIOCGIFINDEX", "SIOCGIFNAME"),
          ("sys/ioctl.h",)),
    Group("ip_protocol", ("IPPROTO_",), ("netinet/in.h", "winsock2.h")),
    Group("ip_port", ("IPPORT_",), ("netinet/in.h", "netdb.h", "winsock2.h")),
    Group("inet_address", ("INADDR_",), ("netinet/in.h", "winsock2.h")),
    Group("ip_option", ("IP_",), ("netinet/in.h", "ws2ipdef.h"),
          "IPPROTO_IP",
          values=("IP_PMTUDISC_", "IP_DEFAULT_MULTICAST_",
                  "IP_MAX_MEMBERSHIPS", "IP_RECVERR_RFC4884")),
    # The protocol-independent multicast API (RFC 3678): options of both
    # IPPROTO_IP and IPPROTO_IPV6, so no one level.
    Group("multicast_option", ("MCAST_",), ("netinet/in.h", "ws2ipdef.h"),
          values=("MCAST_EXCLUDE", "MCAST_INCLUDE")),
    Group("ipv6_option", ("IPV6_",), ("netinet/in.h", "ws2ipdef.h"),
          "IPPROTO_IPV6",
          values=("IPV6_PMTUDISC_", "IPV6_PREFER_SRC_", "IPV6_RTHDR_TYPE_",
                  "IPV6_RTHDR_LOOSE", "IPV6_RTHDR_STRICT", "IPV6_FL_",
                  "IPV6_TLV_", "IPV6_PRIORITY_", "IPV6_FLOWINFO_FLOWLABEL",
                  "IPV6_FLOWINFO_PRIORITY")),
    Group("addrinfo_error", ("EAI_",), ("netdb.h", "ws2tcpip.h")),
    Group("addrinfo_flag", ("AI_",), ("netdb.h", "ws2def.h")),
    Group("nameinfo_flag", ("NI_",), ("netdb.h", "ws2def.h")),
    # Connection states, congestion-avoidance states, repair modes and
    # queues, and the netlink attributes of TCP's timestamping stats.
    Group("tcp_option", ("TCP_",), ("netinet/tcp.h", "winsock2.h"),
          "IPPROTO_TCP",
          values=("TCP_ESTABLISHED", "TCP_SYN_", "TCP_FIN_", "TCP_TIME_WAIT",
                  "TCP_CLOSE", "TCP_CLOSE_WAIT", "TCP_CLOSING",
                  "TCP_LAST_ACK", "TCP_LISTEN", "TCP_CA_", "TCP_MSS",
                  "TCP_MSS_", "TCP_MAXWIN", "TCP_MAX_WINSHIFT", "TCP_MD5SIG_",
                  "TCP_REPAIR_ON", "TCP_REPAIR_OFF", "TCP_REPAIR_OFF_NO_WP",
                  "TCP_NO_QUEUE", "TCP_RECV_QUEUE", "TCP_SEND_QUEUE",
                  "TCP_QUEUES_NR", "TCP_COOKIE_", "TCP_S_DATA_",
                  "TCP_TIMESTAMP", "TCP_NLA_", "TCP_AO_")),
    Group("udp_option", ("UDP_",), ("netinet/udp.h", "ws2tcpip.h"),
          "IPPROTO_UDP",
          values=("UDP_ENCAP_",)),
    Group("udplite_option", ("UDPLITE_",), ("netinet/udp.h",),
          "IPPROTO_UDPLITE"),
    Group("can", ("CAN_",), ("linux/can.h",)),
    Group("can_raw_option", ("CAN_RAW_",), ("linux/can/raw.h",),
          "SOL_CAN_RAW", values=("CAN_RAW_FILTER_MAX",)),
    Group("can_bcm", ("CAN_BCM_",), ("linux/can/bcm.h",)),
    Group("can_isotp", ("CAN_ISOTP_",), ("linux/can/isotp.h",),
          "SOL_CAN_ISOTP",
          options=("CAN_ISOTP_OPTS", "CAN_ISOTP_RECV_FC",
                   "CAN_ISOTP_TX_STMIN", "CAN_ISOTP_RX_STMIN",
                   "CAN_ISOTP_LL_OPTS")),
    Group("can_j1939", ("J1939_",), ("linux/can/j1939.h",)),
    Group("can_j1939_option", ("SO_J1939_",), ("linux/can/j1939.h",),
          "SOL_CAN_J1939"),
    Group("can_j1939_message", ("SCM_J1939_",), ("linux/can/j1939.h",),
          "SOL_CAN_J1939"),
    Group("tipc", ("TIPC_",), ("linux/tipc.h",), "SOL_TIPC",
          options=("TIPC_IMPORTANCE", "TIPC_SRC_DROPPABLE",
                   "TIPC_DEST_DROPPABLE", "TIPC_CONN_TIMEOUT",
                   "TIPC_NODE_RECVQ_DEPTH", "TIPC_SOCK_RECVQ_DEPTH",
                   "TIPC_MCAST_BROADCAST", "TIPC_MCAST_REPLICAST",
                   "TIPC_GROUP_JOIN", "TIPC_GROUP_LEAVE",
                   "TIPC_SOCK_RECVQ_USED", "TIPC_NODELAY")),
    Group("rds", ("RDS_",), ("linux/rds.h",), "SOL_RDS",
          values=("RDS_CMSG_", "RDS_INFO_", "RDS_IB_", "RDS_TRANS_",
                  "RDS_RDMA_", "RDS_MSG_RX_", "RDS_CONG_MONITOR_",
                  "RDS_FLAG_", "RDS_MAX_", "RDS_PROTOCOL_", "RDS_TCP_")),
    # Declared by linux/rds.h with the SO_ prefix, but options of SOL_RDS.
    Group("rds_option", ("SO_RDS_",), ("linux/rds.h",), "SOL_RDS"),
    Group("netlink", ("NETLINK_",), ("linux/netlink.h",), "SOL_NETLINK",
          options=("NETLINK_ADD_MEMBERSHIP", "NETLINK_DROP_MEMBERSHIP",
                   "NETLINK_PKTINFO", "NETLINK_BROADCAST_ERROR",
                   "NETLINK_NO_ENOBUFS", "NETLINK_RX_RING",
                   "NETLINK_TX_RING", "NETLINK_LISTEN_ALL_NSID",
                   "NETLINK_LIST_MEMBERSHIPS", "NETLINK_CAP_ACK",
                   "NETLINK_EXT_ACK", "NETLINK_GET_STRICT_CHK")),
    Group("alg", ("ALG_",), ("linux/if_alg.h",)),
    Group("alg_option", ("ALG_SET_",), ("linux/if_alg.h",), "SOL_ALG"),
    Group("vsock", ("VMADDR_", "VM_SOCKETS_"), ("linux/vm_sockets.h",)),
    Group("vsock_option", ("SO_VM_",), ("linux/vm_sockets.h",), "AF_VSOCK"),
    Group("vsock_ioctl", ("IOCTL_VM_SOCKETS_",), ("linux/vm_sockets.h",)),
    # Packet types, fanout modes and flags, membership and ring kinds are
    # values; PACKET_FANOUT_DATA is the one PACKET_FANOUT_* option.
    Group("packet", ("PACKET_",), ("linux/if_packet.h",), "SOL_PACKET",
          options=("PACKET_", "PACKET_FANOUT_DATA"),
          values=("PACKET_HOST", "PACKET_BROADCAST", "PACKET_MULTICAST",
                  "PACKET_OTHERHOST", "PACKET_OUTGOING", "PACKET_LOOPBACK",
                  "PACKET_USER", "PACKET_KERNEL", "PACKET_FASTROUTE",
                  "PACKET_FANOUT_", "PACKET_MR_", "PACKET_TP_")),
    Group("ethernet_protocol", ("ETH_P_", "ETHERTYPE_"),
          ("linux/if_ether.h", "net/ethernet.h")),
    Group("qrtr", ("QRTR_",), ("linux/qrtr.h",)),
    Group("errqueue", ("SO_EE_",), ("linux/errqueue.h",)),
    Group("timestamping", ("SOF_TIMESTAMPING_",), ("linux/net_tstamp.h",)),
    Group("bluetooth", ("BTPROTO_", "BDADDR_"), ("bluetooth/bluetooth.h",)),
    Group("bluetooth_hci", ("HCI_",), ("bluetooth/hci.h",), "SOL_HCI",
          options=("HCI_DATA_DIR", "HCI_FILTER", "HCI_TIME_STAMP")),
    # Winsock's ioctls and their arguments that the stdlib socket module
    # has on Windows (socket.ioctl()).
    Group("winsock_ioctl", ("SIO_RCVALL", "SIO_KEEPALIVE_VALS",
                            "SIO_LOOPBACK_FAST_PATH", "RCVALL_"),
          ("mstcpip.h",)),
)


# Names the stdlib spells differently from the headers: Python's name on the
# left, the header's on the right.  linux/can/bcm.h declares the BCM opcodes
# and flags unprefixed (an enum and plain macros).
ALIASES = {
    "CAN_BCM_TX_SETUP": "TX_SETUP",
    "CAN_BCM_TX_DELETE": "TX_DELETE",
    "CAN_BCM_TX_READ": "TX_READ",
    "CAN_BCM_TX_SEND": "TX_SEND",
    "CAN_BCM_RX_SETUP": "RX_SETUP",
    "CAN_BCM_RX_DELETE": "RX_DELETE",
    "CAN_BCM_RX_READ": "RX_READ",
    "CAN_BCM_TX_STATUS": "TX_STATUS",
    "CAN_BCM_TX_EXPIRED": "TX_EXPIRED",
    "CAN_BCM_RX_STATUS": "RX_STATUS",
    "CAN_BCM_RX_TIMEOUT": "RX_TIMEOUT",
    "CAN_BCM_RX_CHANGED": "RX_CHANGED",
    "CAN_BCM_SETTIMER": "SETTIMER",
    "CAN_BCM_STARTTIMER": "STARTTIMER",
    "CAN_BCM_TX_COUNTEVT": "TX_COUNTEVT",
    "CAN_BCM_TX_ANNOUNCE": "TX_ANNOUNCE",
    "CAN_BCM_TX_CP_CAN_ID": "TX_CP_CAN_ID",
    "CAN_BCM_RX_FILTER_ID": "RX_FILTER_ID",
    "CAN_BCM_RX_CHECK_DLC": "RX_CHECK_DLC",
    "CAN_BCM_RX_NO_AUTOTIMER": "RX_NO_AUTOTIMER",
    "CAN_BCM_RX_ANNOUNCE_RESUME": "RX_ANNOUNCE_RESUME",
    "CAN_BCM_TX_RESET_MULTI_IDX": "TX_RESET_MULTI_IDX",
    "CAN_BCM_RX_RTR_FRAME": "RX_RTR_FRAME",
    "CAN_BCM_CAN_FD_FRAME": "CAN_FD_FRAME",
}


# Names CPython's _socket compiles in with its own values when the headers
# lack them (kernel features newer than the uapi headers).  Used only when
# the headers do not define the name and the group's header is present; the
# inspector reports them with source "compat".  Values match CPython's
# Modules/socketmodule.c.
COMPAT = {
    "ALG_OP_SIGN": "2",
    "ALG_OP_VERIFY": "3",
    "ALG_SET_PUBKEY": "6",
    "UDPLITE_SEND_CSCOV": "10",
    "UDPLITE_RECV_CSCOV": "11",
    "VM_SOCKETS_INVALID_VERSION": "((unsigned int)-1)",
}
