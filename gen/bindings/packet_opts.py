"""Structs of the AF_PACKET options (linux/if_packet.h)."""
HEADERS = ("linux/if_packet.h",)

TYPES = """
struct packet_mreq {
    int mr_ifindex;
    unsigned short mr_type;
    unsigned short mr_alen;
    unsigned char mr_address[8];
    ...;
};
struct tpacket_stats { unsigned int tp_packets; unsigned int tp_drops; ...; };
struct tpacket_rollover_stats {
    uint64_t tp_all;
    uint64_t tp_huge;
    uint64_t tp_failed;
    ...;
};
struct tpacket_req {
    unsigned int tp_block_size;
    unsigned int tp_block_nr;
    unsigned int tp_frame_size;
    unsigned int tp_frame_nr;
    ...;
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
