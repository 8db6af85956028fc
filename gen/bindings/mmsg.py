"""recvmmsg()/sendmmsg(): the batch calls, and C loops that lay out their
arrays (one call instead of a Python loop of field stores per message)."""
HEADERS = ("sys/socket.h",)

TYPES = """
struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; ...; };
"""

FUNCTIONS = """
/* 1 where the C library has the batch calls; elsewhere the wrappers fail
   with ENOSYS and the socket class does not get the methods. */
int sockcffi_have_mmsg(void);
int sockcffi_recvmmsg(int, struct mmsghdr *, unsigned int, int);
int sockcffi_sendmmsg(int, struct mmsghdr *, unsigned int, int);
void sockcffi_mmsg_recv_setup(struct mmsghdr *, struct iovec *, unsigned int,
                              char *, size_t, struct sockaddr_storage *,
                              char *, size_t, size_t, int);
void sockcffi_mmsg_send_setup(struct mmsghdr *, struct iovec *, unsigned int,
                              char *, const size_t *, int, void *const *,
                              const socklen_t *, int);
void sockcffi_mmsg_results(const struct mmsghdr *, unsigned int, long long *,
                           char *, size_t);
"""

CUSTOMIZATIONS = """
#ifdef MSG_WAITFORONE
static int sockcffi_have_mmsg(void) { return 1; }
static int sockcffi_recvmmsg(int fd, struct mmsghdr *m, unsigned int n,
                             int flags)
{ return recvmmsg(fd, m, n, flags, NULL); }
static int sockcffi_sendmmsg(int fd, struct mmsghdr *m, unsigned int n,
                             int flags)
{ return sendmmsg(fd, m, n, flags); }
#else
static int sockcffi_have_mmsg(void) { return 0; }
static int sockcffi_recvmmsg(int fd, struct mmsghdr *m, unsigned int n,
                             int flags)
{ errno = ENOSYS; return -1; }
static int sockcffi_sendmmsg(int fd, struct mmsghdr *m, unsigned int n,
                             int flags)
{ errno = ENOSYS; return -1; }
#endif

/* Slot i receives into buf[i*bufsize ..], names[i] and ancbufsize bytes
   at control[i*stride ..] (no control when ancbufsize is 0; stride keeps
   each control buffer aligned for struct cmsghdr).  The caller allocated
   n slots of each.  With clear, the n data slots are zeroed first (for
   MSG_TRUNC, where the kernel may report more than it wrote). */
static void sockcffi_mmsg_recv_setup(struct mmsghdr *m, struct iovec *iov,
                                     unsigned int n, char *buf,
                                     size_t bufsize,
                                     struct sockaddr_storage *names,
                                     char *control, size_t stride,
                                     size_t ancbufsize, int clear)
{
    unsigned int i;
    if (clear)
        memset(buf, 0, (size_t)n * bufsize);
    for (i = 0; i < n; i++) {
        memset(&m[i], 0, sizeof(m[i]));
        iov[i].iov_base = buf + (size_t)i * bufsize;
        iov[i].iov_len = bufsize;
        m[i].msg_hdr.msg_name = &names[i];
        m[i].msg_hdr.msg_namelen = sizeof(names[i]);
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
        if (ancbufsize) {
            m[i].msg_hdr.msg_control = control + (size_t)i * stride;
            m[i].msg_hdr.msg_controllen = ancbufsize;
        }
    }
}

/* Message i sends lens[i] bytes of base (lens[0] for all when same_len),
   following message i-1's, to names[i] (names[0] for all when shared; no
   address when names is NULL).  The caller checked that the lengths add
   up to base's size. */
static void sockcffi_mmsg_send_setup(struct mmsghdr *m, struct iovec *iov,
                                     unsigned int n, char *base,
                                     const size_t *lens, int same_len,
                                     void *const *names,
                                     const socklen_t *namelens, int shared)
{
    unsigned int i;
    size_t offset = 0;
    for (i = 0; i < n; i++) {
        size_t len = lens[same_len ? 0 : i];
        memset(&m[i], 0, sizeof(m[i]));
        iov[i].iov_base = base + offset;
        iov[i].iov_len = len;
        offset += len;
        if (names) {
            unsigned int k = shared ? 0 : i;
            m[i].msg_hdr.msg_name = names[k];
            m[i].msg_hdr.msg_namelen = namelens[k];
        }
        m[i].msg_hdr.msg_iov = &iov[i];
        m[i].msg_hdr.msg_iovlen = 1;
    }
}

/* What the kernel filled in for the first n messages, in out[5 * n + 1]:
   out[i] the length, out[n + i] msg_flags, out[2n + i] the address
   length, out[3n + i] 1 when message i's address is message i-1's (so
   Python decodes a batch from one peer once); and the data, packed: each
   message's bytes (never more than its bufsize slot) are moved down to
   follow the previous message's, out[4n + i] is where message i's start
   and out[5n] where the last one ends, so Python copies only the bytes
   received, with one unpack of buf[0 .. out[5n]]. */
static void sockcffi_mmsg_results(const struct mmsghdr *m, unsigned int n,
                                  long long *out, char *buf, size_t bufsize)
{
    unsigned int i;
    size_t packed = 0;
    for (i = 0; i < n; i++) {
        socklen_t len = m[i].msg_hdr.msg_namelen;
        size_t data = m[i].msg_len;
        out[i] = m[i].msg_len;
        out[n + i] = m[i].msg_hdr.msg_flags;
        out[2 * n + i] = len;
        out[3 * n + i] = i > 0 && len == m[i - 1].msg_hdr.msg_namelen
            && len <= sizeof(struct sockaddr_storage)
            && memcmp(m[i].msg_hdr.msg_name, m[i - 1].msg_hdr.msg_name,
                      len) == 0;
        if (data > bufsize)         /* MSG_TRUNC reports the full length */
            data = bufsize;
        if (packed != (size_t)i * bufsize)
            memmove(buf + packed, buf + (size_t)i * bufsize, data);
        out[4 * n + i] = (long long)packed;
        packed += data;
    }
    out[5 * n] = (long long)packed;
}
"""
