HEADERS = ("bluetooth/bluetooth.h", "bluetooth/l2cap.h", "bluetooth/rfcomm.h",
           "bluetooth/hci.h", "bluetooth/sco.h")

# BlueZ's address structs.  bdaddr_t is packed in the header; the partial
# declarations let the compiler supply every offset and size.
TYPES = """
typedef struct {
    uint8_t b[6];
    ...;
} bdaddr_t;
struct sockaddr_l2 {
    sa_family_t l2_family;
    unsigned short l2_psm;
    bdaddr_t l2_bdaddr;
    unsigned short l2_cid;
    uint8_t l2_bdaddr_type;
    ...;
};
struct sockaddr_rc {
    sa_family_t rc_family;
    bdaddr_t rc_bdaddr;
    uint8_t rc_channel;
    ...;
};
struct sockaddr_hci {
    sa_family_t hci_family;
    unsigned short hci_dev;
    unsigned short hci_channel;
    ...;
};
struct sockaddr_sco {
    sa_family_t sco_family;
    bdaddr_t sco_bdaddr;
    ...;
};
"""

FUNCTIONS = """
int sockcffi_bt_setbdaddr(const char *, bdaddr_t *);
"""

# "XX:XX:XX:XX:XX:XX" -> bdaddr_t, parsed by the C library's scanf so that
# what is accepted (spaces, "0x", one-digit fields...) is exactly what the
# stdlib accepts.  The text is most significant byte first; b[0] is the
# least significant.  Returns 0, or -1 for a malformed address.
CUSTOMIZATIONS = """
#include <stdio.h>
static int sockcffi_bt_setbdaddr(const char *text, bdaddr_t *out)
{
    unsigned int v[6];
    char extra;
    int i;
    if (sscanf(text, "%X:%X:%X:%X:%X:%X%c", &v[5], &v[4], &v[3], &v[2],
               &v[1], &v[0], &extra) != 6)
        return -1;
    for (i = 0; i < 6; i++) {
        if (v[i] > 0xff)
            return -1;
    }
    for (i = 0; i < 6; i++)
        out->b[i] = (uint8_t)v[i];
    return 0;
}
"""
