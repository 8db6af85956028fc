"""Which C type each socket option and control message carries.

The kernel's headers declare the option numbers and the structs, but not
which struct goes with which option: that lives in the man pages (socket(7),
ip(7), ipv6(7), tcp(7), udp(7), packet(7), netlink(7), vsock(7)) and in the
kernel's ``Documentation/networking``.  This table is that knowledge, keyed
by constant *names*; the layouts themselves come from the headers through
cffi (see gen/bindings/*_opts.py).  An entry whose level, option or struct
this machine lacks is dropped at run time, as a missing constant is.

Type spellings:
  "int", "unsigned int", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
  "unsigned long"        an integer of that C type
  "struct NAME"          one struct, decoded as a record with C field names
  "struct NAME[]"        an array of them (its length from optlen)
  "uint32_t[]", "int[]"  an array of integers
  "char[]"               a NUL-terminated string (returned as bytes)
  "bytes"                opaque bytes

Options not listed are C ints, as the stdlib's getsockopt() assumes.
"""

# RFC 3678's protocol-independent multicast options: the same structs at
# the IPv4 and the IPv6 level.
MCAST_OPTIONS = {
    "MCAST_JOIN_GROUP": "struct group_req",
    "MCAST_LEAVE_GROUP": "struct group_req",
    "MCAST_JOIN_SOURCE_GROUP": "struct group_source_req",
    "MCAST_LEAVE_SOURCE_GROUP": "struct group_source_req",
    "MCAST_BLOCK_SOURCE": "struct group_source_req",
    "MCAST_UNBLOCK_SOURCE": "struct group_source_req",
}

# level -> {option: C type}
OPTIONS = {
    "SOL_SOCKET": {
        "SO_LINGER": "struct linger",
        "SO_RCVTIMEO": "struct timeval",
        "SO_SNDTIMEO": "struct timeval",
        "SO_RCVTIMEO_OLD": "struct __kernel_old_timeval",
        "SO_SNDTIMEO_OLD": "struct __kernel_old_timeval",
        "SO_RCVTIMEO_NEW": "struct __kernel_sock_timeval",
        "SO_SNDTIMEO_NEW": "struct __kernel_sock_timeval",
        "SO_PEERCRED": "struct ucred",
        "SO_MEMINFO": "uint32_t[]",
        "SO_PEERGROUPS": "gid_t[]",
        "SO_TXTIME": "struct sock_txtime",
        "SO_TIMESTAMPING": "struct so_timestamping",
        "SO_TIMESTAMPING_OLD": "struct so_timestamping",
        "SO_TIMESTAMPING_NEW": "struct so_timestamping",
        "SO_BINDTODEVICE": "char[]",
        "SO_PEERSEC": "char[]",
        "SO_COOKIE": "uint64_t",
        "SO_NETNS_COOKIE": "uint64_t",
        "SO_MAX_PACING_RATE": "unsigned long",
        "SO_INCOMING_NAPI_ID": "unsigned int",
    },
    "IPPROTO_IP": {
        "IP_ADD_MEMBERSHIP": "struct ip_mreqn",
        "IP_DROP_MEMBERSHIP": "struct ip_mreqn",
        "IP_MULTICAST_IF": "struct in_addr",
        "IP_ADD_SOURCE_MEMBERSHIP": "struct ip_mreq_source",
        "IP_DROP_SOURCE_MEMBERSHIP": "struct ip_mreq_source",
        "IP_BLOCK_SOURCE": "struct ip_mreq_source",
        "IP_UNBLOCK_SOURCE": "struct ip_mreq_source",
        **MCAST_OPTIONS,
        "IP_PKTOPTIONS": "bytes",
        "IP_OPTIONS": "bytes",
        "IP_LOCAL_PORT_RANGE": "uint32_t",
    },
    "IPPROTO_IPV6": {
        "IPV6_JOIN_GROUP": "struct ipv6_mreq",
        "IPV6_LEAVE_GROUP": "struct ipv6_mreq",
        "IPV6_ADD_MEMBERSHIP": "struct ipv6_mreq",
        "IPV6_DROP_MEMBERSHIP": "struct ipv6_mreq",
        "IPV6_PKTINFO": "struct in6_pktinfo",
        "IPV6_MTUINFO": "struct ip6_mtuinfo",
        "IPV6_PATHMTU": "struct ip6_mtuinfo",
        **MCAST_OPTIONS,
    },
    "IPPROTO_TCP": {
        "TCP_INFO": "struct tcp_info",
        "TCP_REPAIR_WINDOW": "struct tcp_repair_window",
        "TCP_MD5SIG": "struct tcp_md5sig",
        "TCP_MD5SIG_EXT": "struct tcp_md5sig",
        "TCP_REPAIR_OPTIONS": "struct tcp_repair_opt[]",
        "TCP_ZEROCOPY_RECEIVE": "struct tcp_zerocopy_receive",
        "TCP_CONGESTION": "char[]",
        "TCP_ULP": "char[]",
        "TCP_FASTOPEN_KEY": "bytes",
        "TCP_SAVED_SYN": "bytes",
    },
    "SOL_PACKET": {
        "PACKET_ADD_MEMBERSHIP": "struct packet_mreq",
        "PACKET_DROP_MEMBERSHIP": "struct packet_mreq",
        "PACKET_STATISTICS": "struct tpacket_stats",
        "PACKET_ROLLOVER_STATS": "struct tpacket_rollover_stats",
        "PACKET_RX_RING": "struct tpacket_req",
        "PACKET_TX_RING": "struct tpacket_req",
    },
    "SOL_NETLINK": {
        "NETLINK_LIST_MEMBERSHIPS": "uint32_t[]",
        "NETLINK_ADD_MEMBERSHIP": "uint32_t",
        "NETLINK_DROP_MEMBERSHIP": "uint32_t",
    },
    "SOL_CAN_RAW": {
        "CAN_RAW_FILTER": "struct can_filter[]",
        "CAN_RAW_ERR_FILTER": "uint32_t",
    },
    "SOL_CAN_ISOTP": {
        "CAN_ISOTP_OPTS": "struct can_isotp_options",
        "CAN_ISOTP_RECV_FC": "struct can_isotp_fc_options",
        "CAN_ISOTP_LL_OPTS": "struct can_isotp_ll_options",
        "CAN_ISOTP_TX_STMIN": "uint32_t",
        "CAN_ISOTP_RX_STMIN": "uint32_t",
    },
    "SOL_CAN_J1939": {
        "SO_J1939_FILTER": "struct j1939_filter[]",
    },
    "SOL_TIPC": {
        "TIPC_IMPORTANCE": "uint32_t",
        "TIPC_SRC_DROPPABLE": "uint32_t",
        "TIPC_DEST_DROPPABLE": "uint32_t",
        "TIPC_CONN_TIMEOUT": "uint32_t",
        "TIPC_NODE_RECVQ_DEPTH": "uint32_t",
        "TIPC_SOCK_RECVQ_DEPTH": "uint32_t",
        "TIPC_SOCK_RECVQ_USED": "uint32_t",
        "TIPC_NODELAY": "uint32_t",
        "TIPC_MCAST_BROADCAST": "uint32_t",
        "TIPC_MCAST_REPLICAST": "uint32_t",
        "TIPC_GROUP_JOIN": "struct tipc_group_req",
    },
    "AF_VSOCK": {
        "SO_VM_SOCKETS_BUFFER_SIZE": "uint64_t",
        "SO_VM_SOCKETS_BUFFER_MIN_SIZE": "uint64_t",
        "SO_VM_SOCKETS_BUFFER_MAX_SIZE": "uint64_t",
        "SO_VM_SOCKETS_CONNECT_TIMEOUT": "struct __kernel_old_timeval",
        "SO_VM_SOCKETS_CONNECT_TIMEOUT_OLD": "struct __kernel_old_timeval",
        "SO_VM_SOCKETS_CONNECT_TIMEOUT_NEW": "struct __kernel_sock_timeval",
        "SO_VM_SOCKETS_PEER_HOST_VM_ID": "int",
        "SO_VM_SOCKETS_TRUSTED": "int",
    },
    "SOL_ALG": {
        "ALG_SET_KEY": "bytes",
        "ALG_SET_PUBKEY": "bytes",
        "ALG_SET_DRBG_ENTROPY": "bytes",
    },
}

# cmsg_level -> {cmsg_type: C type}.  "struct sock_extended_err" items are
# followed by the offender's address (SO_EE_OFFENDER); cmsg.py decodes both.
CONTROL_MESSAGES = {
    "SOL_SOCKET": {
        "SCM_RIGHTS": "int[]",
        "SCM_CREDENTIALS": "struct ucred",
        "SCM_TIMESTAMP": "struct timeval",
        "SCM_TIMESTAMPNS": "struct timespec",
        "SCM_TIMESTAMPING": "struct scm_timestamping",
        "SO_TIMESTAMP_OLD": "struct __kernel_old_timeval",
        "SO_TIMESTAMP_NEW": "struct __kernel_sock_timeval",
        "SO_TIMESTAMPNS_NEW": "struct __kernel_timespec",
        "SO_TIMESTAMPING_NEW": "struct scm_timestamping64",
        "SCM_TIMESTAMPING_PKTINFO": "struct scm_ts_pktinfo",
        "SCM_TIMESTAMPING_OPT_STATS": "bytes",
        "SO_RXQ_OVFL": "uint32_t",
        "SCM_TXTIME": "uint64_t",
        "SO_MARK": "uint32_t",
        "SO_PRIORITY": "uint32_t",
    },
    "IPPROTO_IP": {
        "IP_PKTINFO": "struct in_pktinfo",
        "IP_TTL": "int",
        "IP_TOS": "uint8_t",
        "IP_RECVERR": "struct sock_extended_err",
        "IP_ORIGDSTADDR": "struct sockaddr_in",
        "IP_RETOPTS": "bytes",
        "IP_RECVFRAGSIZE": "int",
        "IP_CHECKSUM": "uint32_t",
    },
    "IPPROTO_IPV6": {
        "IPV6_PKTINFO": "struct in6_pktinfo",
        "IPV6_HOPLIMIT": "int",
        "IPV6_TCLASS": "int",
        "IPV6_RECVERR": "struct sock_extended_err",
        "IPV6_ORIGDSTADDR": "struct sockaddr_in6",
        "IPV6_PATHMTU": "struct ip6_mtuinfo",
        "IPV6_RECVFRAGSIZE": "int",
    },
    "IPPROTO_UDP": {
        "UDP_GRO": "int",
        "UDP_SEGMENT": "uint16_t",
    },
}


def lines():
    """The tables as ``kind|level|name|ctype`` lines, sorted by field (so
    of two names for one number, the shorter, plain one comes first)."""
    rows = []
    for kind, table in (("option", OPTIONS), ("cmsg", CONTROL_MESSAGES)):
        for level, entries in table.items():
            for name, ctype in entries.items():
                rows.append((kind, level, name, ctype))
    return ["|".join(row) for row in sorted(rows)]
