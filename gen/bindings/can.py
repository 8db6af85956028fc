HEADERS = ("linux/can.h",)

# The protocol-specific part of sockaddr_can is an anonymous union of
# anonymous structs; small C accessors are clearer than mirroring it.
TYPES = """
struct sockaddr_can { sa_family_t can_family; int can_ifindex; ...; };
"""

FUNCTIONS = """
void sockcffi_can_set_tp(struct sockaddr_can *, uint32_t, uint32_t);
void sockcffi_can_get_tp(const struct sockaddr_can *, uint32_t[2]);
void sockcffi_can_set_j1939(struct sockaddr_can *, uint64_t, uint32_t,
                            uint8_t);
void sockcffi_can_get_j1939(const struct sockaddr_can *, uint64_t *,
                            uint32_t *, uint8_t *);
"""

CUSTOMIZATIONS = """
static void sockcffi_can_set_tp(struct sockaddr_can *a, uint32_t rx,
                                uint32_t tx)
{ a->can_addr.tp.rx_id = rx; a->can_addr.tp.tx_id = tx; }
static void sockcffi_can_get_tp(const struct sockaddr_can *a, uint32_t out[2])
{ out[0] = a->can_addr.tp.rx_id; out[1] = a->can_addr.tp.tx_id; }
static void sockcffi_can_set_j1939(struct sockaddr_can *a, uint64_t name,
                                   uint32_t pgn, uint8_t addr)
{
    a->can_addr.j1939.name = name;
    a->can_addr.j1939.pgn = pgn;
    a->can_addr.j1939.addr = addr;
}
static void sockcffi_can_get_j1939(const struct sockaddr_can *a,
                                   uint64_t *name, uint32_t *pgn,
                                   uint8_t *addr)
{
    *name = a->can_addr.j1939.name;
    *pgn = a->can_addr.j1939.pgn;
    *addr = a->can_addr.j1939.addr;
}
"""
