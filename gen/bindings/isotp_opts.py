"""Structs of the CAN ISO-TP options (linux/can/isotp.h)."""
HEADERS = ("linux/can/isotp.h",)

TYPES = """
struct can_isotp_options {
    uint32_t flags;
    uint32_t frame_txtime;
    uint8_t ext_address;
    uint8_t txpad_content;
    uint8_t rxpad_content;
    uint8_t rx_ext_address;
    ...;
};
struct can_isotp_fc_options { uint8_t bs; uint8_t stmin; uint8_t wftmax;
                              ...; };
struct can_isotp_ll_options { uint8_t mtu; uint8_t tx_dl; uint8_t tx_flags;
                              ...; };
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
