HEADERS = ("linux/qrtr.h",)

TYPES = """
struct sockaddr_qrtr {
    sa_family_t sq_family;
    uint32_t sq_node;
    uint32_t sq_port;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
