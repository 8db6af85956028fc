"""The TIPC_GROUP_JOIN request (linux/tipc.h)."""
HEADERS = ("linux/tipc.h",)

TYPES = """
struct tipc_group_req {
    uint32_t type;
    uint32_t instance;
    uint32_t scope;
    uint32_t flags;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
