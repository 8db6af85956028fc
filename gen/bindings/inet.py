HEADERS = ("netinet/in.h", "arpa/inet.h")

TYPES = """
typedef uint32_t in_addr_t;
typedef uint16_t in_port_t;
struct in_addr { in_addr_t s_addr; };
struct in6_addr { uint8_t s6_addr[16]; ...; };
struct sockaddr_in {
    sa_family_t sin_family;
    in_port_t sin_port;
    struct in_addr sin_addr;
    ...;
};
struct sockaddr_in6 {
    sa_family_t sin6_family;
    in_port_t sin6_port;
    uint32_t sin6_flowinfo;
    struct in6_addr sin6_addr;
    uint32_t sin6_scope_id;
    ...;
};
#define INET_ADDRSTRLEN ...
#define INET6_ADDRSTRLEN ...
"""

FUNCTIONS = """
int inet_pton(int, const char *, void *);
const char *inet_ntop(int, const void *, char *, socklen_t);
int inet_aton(const char *, struct in_addr *);

/* inet_pton() of UTF-8 text of len bytes (an embedded NUL gives -2):
   the AF_INET address as a host-order integer, or -1 if it is none. */
long long sockcffi_pton4(const char *, size_t);
/* The same for AF_INET6 into out[16]: 1, -1 or -2. */
int sockcffi_pton6(const char *, size_t, unsigned char *);
/* inet_ntop(AF_INET6) of 16 bytes at src into wide text (at least
   INET6_ADDRSTRLEN wchar_t): its length, or -1 with errno set.  Wide, so
   that ffi.unpack() makes the str in one step. */
int sockcffi_ntop6(const void *, wchar_t *);
"""

CUSTOMIZATIONS = """
static long long sockcffi_pton4(const char *text, size_t len)
{
    struct in_addr a;
    if (strlen(text) != len)
        return -2;
    if (inet_pton(AF_INET, text, &a) != 1)
        return -1;
    return (long long)ntohl(a.s_addr);
}

static int sockcffi_pton6(const char *text, size_t len, unsigned char *out)
{
    if (strlen(text) != len)
        return -2;
    return inet_pton(AF_INET6, text, out) == 1 ? 1 : -1;
}

#ifdef __GLIBC__
/* glibc's inet_ntop(AF_INET6) text, written here because glibc builds it
   with sprintf() calls that cost more than the rest of the call: the
   first longest run of two or more zero groups becomes "::", groups are
   lowercase hex without leading zeros, and ::a.b.c.d / ::ffff:a.b.c.d keep
   their dotted IPv4 tail.  tests/test_ipaddr_text.py compares it with the C
   library over every pattern of zero groups.  With another C library the
   library's own inet_ntop() is used, as the stdlib does. */
static int sockcffi_put_decimal(wchar_t *out, unsigned int v)
{
    int n = 0;
    if (v >= 100)
        out[n++] = (wchar_t)('0' + v / 100);
    if (v >= 10)
        out[n++] = (wchar_t)('0' + v / 10 % 10);
    out[n++] = (wchar_t)('0' + v % 10);
    return n;
}

static int sockcffi_ntop6(const void *src, wchar_t *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = src;
    unsigned int group[8];
    int i, run = -1, runlen = 0, cur = -1, curlen = 0, n = 0;
    for (i = 0; i < 8; i++) {
        group[i] = (unsigned int)b[2 * i] << 8 | b[2 * i + 1];
        if (group[i] != 0) {
            cur = -1;
            continue;
        }
        if (cur < 0) {
            cur = i;
            curlen = 0;
        }
        if (++curlen > runlen) {        /* strictly longer: first wins */
            run = cur;
            runlen = curlen;
        }
    }
    if (runlen < 2)
        run = -1;
    for (i = 0; i < 8; i++) {
        if (run >= 0 && i >= run && i < run + runlen) {
            if (i == run)
                out[n++] = ':';
            continue;
        }
        if (i != 0)
            out[n++] = ':';
        if (i == 6 && run == 0
                && (runlen == 6 || (runlen == 5 && group[5] == 0xffff))) {
            int k;
            for (k = 12; k < 16; k++) {
                n += sockcffi_put_decimal(out + n, b[k]);
                if (k < 15)
                    out[n++] = '.';
            }
            out[n] = 0;
            return n;
        }
        if (group[i] >= 0x1000)
            out[n++] = (wchar_t)digits[group[i] >> 12];
        if (group[i] >= 0x100)
            out[n++] = (wchar_t)digits[(group[i] >> 8) & 0xf];
        if (group[i] >= 0x10)
            out[n++] = (wchar_t)digits[(group[i] >> 4) & 0xf];
        out[n++] = (wchar_t)digits[group[i] & 0xf];
    }
    if (run >= 0 && run + runlen == 8)
        out[n++] = ':';
    out[n] = 0;
    return n;
}
#else
static int sockcffi_ntop6(const void *src, wchar_t *out)
{
    char text[INET6_ADDRSTRLEN];
    int i;
    if (inet_ntop(AF_INET6, src, text, sizeof(text)) == NULL)
        return -1;
    for (i = 0; text[i]; i++)
        out[i] = (wchar_t)(unsigned char)text[i];
    return i;
}
#endif
"""
