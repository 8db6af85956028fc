"""Structs of the IPv4 and IPv6 options and control messages (glibc's
netinet/in.h): multicast requests, packet info, path MTU."""
HEADERS = ("netinet/in.h",)

TYPES = """
struct ip_mreq {
    struct in_addr imr_multiaddr;
    struct in_addr imr_interface;
    ...;
};
struct ip_mreqn {
    struct in_addr imr_multiaddr;
    struct in_addr imr_address;
    int imr_ifindex;
    ...;
};
struct ip_mreq_source {
    struct in_addr imr_multiaddr;
    struct in_addr imr_interface;
    struct in_addr imr_sourceaddr;
    ...;
};
struct ipv6_mreq {
    struct in6_addr ipv6mr_multiaddr;
    unsigned int ipv6mr_interface;
    ...;
};
struct group_req {
    uint32_t gr_interface;
    struct sockaddr_storage gr_group;
    ...;
};
struct group_source_req {
    uint32_t gsr_interface;
    struct sockaddr_storage gsr_group;
    struct sockaddr_storage gsr_source;
    ...;
};
struct in_pktinfo {
    int ipi_ifindex;
    struct in_addr ipi_spec_dst;
    struct in_addr ipi_addr;
    ...;
};
struct in6_pktinfo {
    struct in6_addr ipi6_addr;
    unsigned int ipi6_ifindex;
    ...;
};
struct ip6_mtuinfo {
    struct sockaddr_in6 ip6m_addr;
    uint32_t ip6m_mtu;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
