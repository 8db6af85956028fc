"""The CAN_RAW_FILTER element (linux/can.h)."""
HEADERS = ("linux/can.h", "linux/can/raw.h")

TYPES = """
struct can_filter { uint32_t can_id; uint32_t can_mask; ...; };
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
