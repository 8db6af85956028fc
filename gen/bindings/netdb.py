"""netdb.h: name resolution, and getaddrinfo() laid flat.

sockcffi_getaddrinfo_flat() resolves and copies the whole result list into
arrays the caller allocated once (plain integers, the addresses, the
canonical names), so Python reads one array instead of walking struct
addrinfo field by field: on CPython each cdata access costs more than the
C library's numeric lookup.  sockcffi_getnameinfo_numeric() is likewise
the stdlib's getnameinfo() after its argument checks, in one call.
"""
HEADERS = ("netdb.h",)

TYPES = """
struct addrinfo {
    int ai_flags;
    int ai_family;
    int ai_socktype;
    int ai_protocol;
    socklen_t ai_addrlen;
    struct sockaddr *ai_addr;
    char *ai_canonname;
    struct addrinfo *ai_next;
    ...;
};
struct hostent {
    char *h_name;
    char **h_aliases;
    int h_addrtype;
    int h_length;
    char **h_addr_list;
    ...;
};
struct protoent { char *p_name; char **p_aliases; int p_proto; ...; };
struct servent {
    char *s_name; char **s_aliases; int s_port; char *s_proto; ...;
};

/* One getaddrinfo() result, as integers (read as long long[7]). */
struct sockcffi_ai {
    long long family;
    long long socktype;
    long long protocol;
    long long addrlen;     /* bytes of the address copied to addrs[i] */
    long long canon_off;   /* offset of ai_canonname in canon; -1: NULL */
    long long canon_len;
    long long inet_key;    /* AF_INET: s_addr << 16 | port; else -1 */
};
/* Where the flat call writes: n records and addresses, canon_size bytes of
   names; what it reports back. */
struct sockcffi_ai_out {
    struct sockcffi_ai *recs;
    struct sockaddr_storage *addrs;
    size_t n;
    char *canon;
    size_t canon_size;
    size_t count;            /* out: entries in the list */
    size_t canon_used;       /* out: bytes of all canonical names */
    int error;               /* out: getaddrinfo()'s code when it failed */
    struct addrinfo *rest;   /* out: the list, when it did not fit */
};
"""

FUNCTIONS = """
int getaddrinfo(const char *, const char *, const struct addrinfo *,
                struct addrinfo **);
void freeaddrinfo(struct addrinfo *);
const char *gai_strerror(int);
int getnameinfo(const struct sockaddr *, socklen_t, char *, socklen_t,
                char *, socklen_t, int);
int gethostbyname_r(const char *, struct hostent *, char *, size_t,
                    struct hostent **, int *);
int gethostbyaddr_r(const void *, socklen_t, int, struct hostent *, char *,
                    size_t, struct hostent **, int *);
int getprotobyname_r(const char *, struct protoent *, char *, size_t,
                     struct protoent **);
int getservbyname_r(const char *, const char *, struct servent *, char *,
                    size_t, struct servent **);
int getservbyport_r(int, const char *, struct servent *, char *, size_t,
                    struct servent **);
const char *hstrerror(int);
int sockcffi_getaddrinfo_flat(const char *, const char *, int, int, int, int,
                              struct sockcffi_ai_out *);
int sockcffi_addrinfo_flatten(const struct addrinfo *,
                              struct sockcffi_ai_out *);
int sockcffi_numeric_sockaddr(const char *, const char *,
                              struct sockaddr_storage *, socklen_t *, int *);
int sockcffi_getnameinfo_numeric(const char *, const char *, int, uint32_t,
                                 uint32_t, int, char *, size_t, char *,
                                 size_t, int *);
"""

CUSTOMIZATIONS = """
struct sockcffi_ai {
    long long family;
    long long socktype;
    long long protocol;
    long long addrlen;
    long long canon_off;
    long long canon_len;
    long long inet_key;
};
struct sockcffi_ai_out {
    struct sockcffi_ai *recs;
    struct sockaddr_storage *addrs;
    size_t n;
    char *canon;
    size_t canon_size;
    size_t count;
    size_t canon_used;
    int error;
    struct addrinfo *rest;
};

/* Copy the list into out's arrays; returns the number of entries when all
   of them and all their names fitted, else -2 (out->count and
   out->canon_used then say how much room they need).  Every copy is
   bounded by what out says it holds. */
static int sockcffi_addrinfo_flatten(const struct addrinfo *list,
                                     struct sockcffi_ai_out *out)
{
    const struct addrinfo *ai;
    size_t count = 0, used = 0;
    for (ai = list; ai != NULL; ai = ai->ai_next, count++) {
        size_t clen = ai->ai_canonname ? strlen(ai->ai_canonname) : 0;
        if (count < out->n) {
            struct sockcffi_ai *r = &out->recs[count];
            size_t alen = ai->ai_addr ? (size_t)ai->ai_addrlen : 0;
            if (alen > sizeof(out->addrs[count]))
                alen = sizeof(out->addrs[count]);
            memcpy(&out->addrs[count], ai->ai_addr, alen);
            r->family = ai->ai_family;
            r->socktype = ai->ai_socktype;
            r->protocol = ai->ai_protocol;
            r->addrlen = (long long)alen;
            r->inet_key = -1;
            if (alen == sizeof(struct sockaddr_in)
                    && ai->ai_addr->sa_family == AF_INET) {
                struct sockaddr_in sin;
                memcpy(&sin, ai->ai_addr, sizeof(sin));
                r->inet_key = (long long)(
                    ((unsigned long long)sin.sin_addr.s_addr << 16)
                    | ntohs(sin.sin_port));
            }
            r->canon_off = -1;
            r->canon_len = 0;
            if (ai->ai_canonname && used <= out->canon_size
                    && clen <= out->canon_size - used) {
                memcpy(out->canon + used, ai->ai_canonname, clen);
                r->canon_off = (long long)used;
                r->canon_len = (long long)clen;
            }
        }
        used += clen;
    }
    out->count = count;
    out->canon_used = used;
    if (count > out->n || used > out->canon_size)
        return -2;
    return (int)count;
}

/* getaddrinfo() with these hints, flattened into out: the number of
   entries; -1 when it failed (out->error); -2 when the list did not fit
   (out->rest keeps it: flatten it into larger arrays, then free it). */
static int sockcffi_getaddrinfo_flat(const char *host, const char *serv,
                                     int family, int socktype, int protocol,
                                     int flags, struct sockcffi_ai_out *out)
{
    struct addrinfo hints, *list = NULL;
    int rc;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    hints.ai_flags = flags;
    out->rest = NULL;
    out->error = getaddrinfo(host, serv, &hints, &list);
    if (out->error != 0)
        return -1;
    rc = sockcffi_addrinfo_flatten(list, out);
    if (rc == -2)
        out->rest = list;
    else
        freeaddrinfo(list);
    return rc;
}

/* The one address of numeric host text and port text (getnameinfo()'s
   first step in the stdlib: AF_UNSPEC, SOCK_DGRAM, AI_NUMERICHOST) copied
   to ss, its length in *len: returns its family; -1 when getaddrinfo()
   failed (its code in *error); -2 when there was more than one. */
static int sockcffi_numeric_sockaddr(const char *host, const char *port,
                                     struct sockaddr_storage *ss,
                                     socklen_t *len, int *error)
{
    struct addrinfo hints, *list = NULL;
    size_t alen;
    int family;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST;
    *error = getaddrinfo(host, port, &hints, &list);
    if (*error != 0)
        return -1;
    if (list->ai_next != NULL) {
        freeaddrinfo(list);
        return -2;
    }
    alen = list->ai_addr ? (size_t)list->ai_addrlen : 0;
    if (alen > sizeof(*ss))
        alen = sizeof(*ss);
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, list->ai_addr, alen);
    *len = (socklen_t)alen;
    family = list->ai_family;
    freeaddrinfo(list);
    return family;
}

/* The stdlib's getnameinfo() after its argument checks: look up the
   numeric host and port; refuse an IPv4 address from a tuple that is not
   a pair (ipv4_ok 0); set an IPv6 address's flowinfo (host order) and
   scope id; getnameinfo() into hbuf/sbuf.  Returns 0; -1 when
   getaddrinfo() failed, -4 when getnameinfo() did (the code in *error);
   -2 for more than one address; -3 for the IPv4 tuple. */
static int sockcffi_getnameinfo_numeric(const char *host, const char *port,
                                        int ipv4_ok, uint32_t flowinfo,
                                        uint32_t scope_id, int flags,
                                        char *hbuf, size_t hlen, char *sbuf,
                                        size_t slen, int *error)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    int family = sockcffi_numeric_sockaddr(host, port, &ss, &len, error);
    if (family < 0)
        return family;
    if (family == AF_INET && !ipv4_ok)
        return -3;
#ifdef AF_INET6
    if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_flowinfo = htonl(flowinfo);
        sin6->sin6_scope_id = scope_id;
    }
#endif
    *error = getnameinfo((struct sockaddr *)&ss, len, hbuf, (socklen_t)hlen,
                         sbuf, (socklen_t)slen, flags);
    return *error != 0 ? -4 : 0;
}
"""
