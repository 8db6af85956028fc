HEADERS = ("linux/if_alg.h",)

TYPES = """
struct sockaddr_alg {
    uint16_t salg_family;
    uint8_t salg_type[14];
    uint32_t salg_feat;
    uint32_t salg_mask;
    uint8_t salg_name[...];
    ...;
};

/* The ALG_SET_IV control message's data: the length, then the bytes. */
struct af_alg_iv {
    uint32_t ivlen;
    uint8_t iv[];
};
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
