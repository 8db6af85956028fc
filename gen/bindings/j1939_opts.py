"""The SO_J1939_FILTER element (linux/can/j1939.h)."""
HEADERS = ("linux/can/j1939.h",)

TYPES = """
struct j1939_filter {
    uint64_t name;
    uint64_t name_mask;
    uint32_t pgn;
    uint32_t pgn_mask;
    uint8_t addr;
    uint8_t addr_mask;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
