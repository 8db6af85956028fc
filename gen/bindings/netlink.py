HEADERS = ("linux/netlink.h",)

TYPES = """
struct sockaddr_nl {
    sa_family_t nl_family;
    uint32_t nl_pid;
    uint32_t nl_groups;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
