"""Structs of the TCP options (glibc's netinet/tcp.h).

struct tcp_info's two window-scale fields are 4-bit bitfields, which cffi
cannot mix with a partial struct: they are left out of the declaration and
read by a C accessor instead."""
HEADERS = ("netinet/tcp.h",)

TYPES = """
struct tcp_info {
    uint8_t tcpi_state;
    uint8_t tcpi_ca_state;
    uint8_t tcpi_retransmits;
    uint8_t tcpi_probes;
    uint8_t tcpi_backoff;
    uint8_t tcpi_options;
    uint32_t tcpi_rto;
    uint32_t tcpi_ato;
    uint32_t tcpi_snd_mss;
    uint32_t tcpi_rcv_mss;
    uint32_t tcpi_unacked;
    uint32_t tcpi_sacked;
    uint32_t tcpi_lost;
    uint32_t tcpi_retrans;
    uint32_t tcpi_fackets;
    uint32_t tcpi_last_data_sent;
    uint32_t tcpi_last_ack_sent;
    uint32_t tcpi_last_data_recv;
    uint32_t tcpi_last_ack_recv;
    uint32_t tcpi_pmtu;
    uint32_t tcpi_rcv_ssthresh;
    uint32_t tcpi_rtt;
    uint32_t tcpi_rttvar;
    uint32_t tcpi_snd_ssthresh;
    uint32_t tcpi_snd_cwnd;
    uint32_t tcpi_advmss;
    uint32_t tcpi_reordering;
    uint32_t tcpi_rcv_rtt;
    uint32_t tcpi_rcv_space;
    uint32_t tcpi_total_retrans;
    ...;
};
struct tcp_md5sig {
    struct sockaddr_storage tcpm_addr;
    uint8_t tcpm_flags;
    uint8_t tcpm_prefixlen;
    uint16_t tcpm_keylen;
    uint8_t tcpm_key[...];
    ...;
};
struct tcp_repair_window {
    uint32_t snd_wl1;
    uint32_t snd_wnd;
    uint32_t max_window;
    uint32_t rcv_wnd;
    uint32_t rcv_wup;
    ...;
};
struct tcp_repair_opt { uint32_t opt_code; uint32_t opt_val; ...; };
struct tcp_zerocopy_receive {
    uint64_t address;
    uint32_t length;
    uint32_t recv_skip_hint;
    ...;
};
"""

FUNCTIONS = """
/* The bitfields of struct tcp_info, (snd, rcv). */
void sockcffi_tcpi_wscale(const struct tcp_info *, uint8_t[2]);
"""

CUSTOMIZATIONS = """
static void sockcffi_tcpi_wscale(const struct tcp_info *t, uint8_t out[2])
{ out[0] = t->tcpi_snd_wscale; out[1] = t->tcpi_rcv_wscale; }
"""
