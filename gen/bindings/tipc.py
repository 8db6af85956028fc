HEADERS = ("linux/tipc.h",)

# sockaddr_tipc holds one of three address shapes in a union; the Python
# layer deals in CPython's flat (addrtype, v1, v2, v3, scope) form.
TYPES = """
struct sockaddr_tipc {
    unsigned short family;
    unsigned char addrtype;
    signed char scope;
    ...;
};
"""

FUNCTIONS = """
void sockcffi_tipc_set(struct sockaddr_tipc *, uint32_t, uint32_t, uint32_t);
void sockcffi_tipc_get(const struct sockaddr_tipc *, uint32_t[3]);
"""

CUSTOMIZATIONS = """
static void sockcffi_tipc_set(struct sockaddr_tipc *a, uint32_t v1,
                              uint32_t v2, uint32_t v3)
{
    switch (a->addrtype) {
    case TIPC_ADDR_NAMESEQ:
        a->addr.nameseq.type = v1;
        a->addr.nameseq.lower = v2;
        a->addr.nameseq.upper = v3;
        break;
    case TIPC_ADDR_NAME:
        a->addr.name.name.type = v1;
        a->addr.name.name.instance = v2;
        a->addr.name.domain = v3;
        break;
    default: /* TIPC_ADDR_ID */
        a->addr.id.node = v1;
        a->addr.id.ref = v2;
        break;
    }
}
static void sockcffi_tipc_get(const struct sockaddr_tipc *a, uint32_t out[3])
{
    switch (a->addrtype) {
    case TIPC_ADDR_NAMESEQ:
        out[0] = a->addr.nameseq.type;
        out[1] = a->addr.nameseq.lower;
        out[2] = a->addr.nameseq.upper;
        break;
    case TIPC_ADDR_NAME:
        out[0] = a->addr.name.name.type;
        out[1] = a->addr.name.name.instance;
        out[2] = a->addr.name.domain;
        break;
    default:
        out[0] = a->addr.id.node;
        out[1] = a->addr.id.ref;
        out[2] = 0;
        break;
    }
}
"""
