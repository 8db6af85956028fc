HEADERS = ("sys/socket.h",)

TYPES = """
typedef int... socklen_t;
typedef int... sa_family_t;

struct sockaddr { sa_family_t sa_family; ...; };
struct sockaddr_storage { sa_family_t ss_family; ...; };

struct iovec { void *iov_base; size_t iov_len; };

struct msghdr {
    void *msg_name;
    socklen_t msg_namelen;
    struct iovec *msg_iov;
    size_t msg_iovlen;
    void *msg_control;
    size_t msg_controllen;
    int msg_flags;
    ...;
};

struct cmsghdr {
    size_t cmsg_len;
    int cmsg_level;
    int cmsg_type;
    ...;
};

/* What one recvmsg()/sendmsg() call needs besides its data buffers, in
   one reusable allocation: the header, the iovec of a single buffer, room
   for the peer's address, the results of a receive as one array, and a
   control buffer for the common small ancillary data. */
#define SOCKCFFI_MSG_CONTROL ...
/* After sockcffi_recvmsg(), info[] holds at these indexes: the address
   length, msg_flags, the control length, the number of control messages
   (-1: more than fit here), 1 if one was truncated or malformed, then from
   FIRST_ITEM, INFO_PER_ITEM values for each: level, type, data offset and
   data length.  The array sizes are the C source's (cffi's [...]). */
#define SOCKCFFI_INFO_NAMELEN ...
#define SOCKCFFI_INFO_FLAGS ...
#define SOCKCFFI_INFO_CONTROLLEN ...
#define SOCKCFFI_INFO_ITEMS ...
#define SOCKCFFI_INFO_DAMAGED ...
#define SOCKCFFI_INFO_FIRST_ITEM ...
#define SOCKCFFI_INFO_PER_ITEM ...
struct sockcffi_msg {
    struct msghdr hdr;
    struct iovec iov;
    struct sockaddr_storage name;
    long long info[...];
    char control[...];
    ...;
};
"""

FUNCTIONS = """
/* Socket addresses are declared 'void *' rather than 'struct sockaddr *':
   C converts implicitly, and Python can pass any family's struct (the
   cdata that owns it) without an ffi.cast() per call on the hot paths. */
int socket(int, int, int);
int socketpair(int, int, int, int[2]);
int bind(int, const void *, socklen_t);
int connect(int, const void *, socklen_t);
int listen(int, int);
int accept4(int, void *, socklen_t *, int);
int getsockname(int, void *, socklen_t *);
int getpeername(int, void *, socklen_t *);
ssize_t send(int, const void *, size_t, int);
ssize_t recv(int, void *, size_t, int);
ssize_t sendto(int, const void *, size_t, int, const void *, socklen_t);
ssize_t recvfrom(int, void *, size_t, int, void *, socklen_t *);
ssize_t sendmsg(int, const struct msghdr *, int);
ssize_t recvmsg(int, struct msghdr *, int);
int getsockopt(int, int, int, void *, socklen_t *);
int setsockopt(int, int, int, const void *, socklen_t);
int shutdown(int, int);

/* recv() without flags into a buffer of SOCKCFFI_RECV_SMALL bytes, for
   recv()'s short path: a size outside 1..SOCKCFFI_RECV_SMALL returns
   SOCKCFFI_NOT_SMALL without a system call (the bounds check is C's, so
   no Python comparison stands between the size and the buffer). */
#define SOCKCFFI_RECV_SMALL ...
#define SOCKCFFI_NOT_SMALL ...
ssize_t sockcffi_recv_small(int, void *, long long);
/* The same for recvfrom(), *size preset to sizeof(struct
   sockaddr_storage), the room at name. */
ssize_t sockcffi_recvfrom_small(int, void *, long long,
                                struct sockaddr_storage *, socklen_t *);

/* getsockopt() of an int option: one call, no allocation.  The value, or
   SOCKCFFI_OPT_FAILED with errno set. */
#define SOCKCFFI_OPT_FAILED ...
long long sockcffi_getsockopt_int(int, int, int);

/* recvmsg()/sendmsg() with the header set up in C (every field, so a
   retry after EINTR starts from scratch).  iov == NULL: the one buffer
   buf/len, through the message's own iovec; control == NULL with
   controllen > 0: the message's own control buffer.  A receive fills
   info[], walking the control messages itself. */
ssize_t sockcffi_recvmsg(int, struct sockcffi_msg *, void *, size_t,
                         struct iovec *, size_t, void *, size_t, int);
ssize_t sockcffi_sendmsg(int, struct sockcffi_msg *, const void *, size_t,
                         struct iovec *, size_t, const void *, socklen_t,
                         const void *, size_t, int);

/* The control messages of a received message's control buffer, never
   read past controllen: out[0] is 1 when an item was truncated or a header was
   malformed (the walk stops there), then four values per item: level,
   type, data offset in msg_control, data length.  Returns the number of
   items (at most max_items). */
size_t sockcffi_cmsg_walk(void *, size_t, long long *, size_t);

/* Write one control message at offset of a buffer sized with CMSG_SPACE()
   strides, its padding zeroed; returns the offset of the next. */
size_t sockcffi_cmsg_put(void *, size_t, int, int, const void *, size_t);

/* CMSG_* are macros; these wrap them (see CUSTOMIZATIONS). */
size_t sockcffi_cmsg_len(size_t);
size_t sockcffi_cmsg_space(size_t);
unsigned char *sockcffi_cmsg_data(struct cmsghdr *);
"""

CUSTOMIZATIONS = """
#define SOCKCFFI_RECV_SMALL 65536
#define SOCKCFFI_NOT_SMALL (-2)
static ssize_t sockcffi_recv_small(int fd, void *buf, long long len)
{
    if (len <= 0 || len > SOCKCFFI_RECV_SMALL)
        return SOCKCFFI_NOT_SMALL;
    return recv(fd, buf, (size_t)len, 0);
}

static ssize_t sockcffi_recvfrom_small(int fd, void *buf, long long len,
                                       struct sockaddr_storage *name,
                                       socklen_t *size)
{
    if (len <= 0 || len > SOCKCFFI_RECV_SMALL)
        return SOCKCFFI_NOT_SMALL;
    *size = sizeof(*name);
    return recvfrom(fd, buf, (size_t)len, 0, (struct sockaddr *)name, size);
}

#define SOCKCFFI_OPT_FAILED (-(1LL << 40))
static long long sockcffi_getsockopt_int(int fd, int level, int option)
{
    int value = 0;
    socklen_t size = sizeof(value);
    if (getsockopt(fd, level, option, &value, &size) < 0)
        return SOCKCFFI_OPT_FAILED;
    return value;
}

#define SOCKCFFI_INFO_NAMELEN 0
#define SOCKCFFI_INFO_FLAGS 1
#define SOCKCFFI_INFO_CONTROLLEN 2
#define SOCKCFFI_INFO_ITEMS 3
#define SOCKCFFI_INFO_DAMAGED 4
#define SOCKCFFI_INFO_FIRST_ITEM 5
#define SOCKCFFI_INFO_PER_ITEM 4
#define SOCKCFFI_MSG_ITEMS 4
#define SOCKCFFI_MSG_INFO (SOCKCFFI_INFO_FIRST_ITEM \
                           + SOCKCFFI_INFO_PER_ITEM * SOCKCFFI_MSG_ITEMS)
#define SOCKCFFI_MSG_CONTROL 256
struct sockcffi_msg {
    struct msghdr hdr;
    struct iovec iov;
    struct sockaddr_storage name;
    long long info[SOCKCFFI_MSG_INFO];
    _Alignas(struct cmsghdr) char control[SOCKCFFI_MSG_CONTROL];
};

static size_t sockcffi_cmsg_walk(void *, size_t, long long *, size_t);

/* The header of m for one call: the iovec array iov, or (iov == NULL) the
   one buffer buf/len through m's own iovec; the control buffer control,
   or (control == NULL) m's own.  -1 with errno set if m's own control
   buffer is too small. */
static int sockcffi_msg_setup(struct sockcffi_msg *m, const void *buf,
                              size_t len, struct iovec *iov, size_t iovlen,
                              void *name, socklen_t namelen,
                              const void *control, size_t controllen)
{
    memset(&m->hdr, 0, sizeof(m->hdr));
    if (iov == NULL) {
        m->iov.iov_base = (void *)(uintptr_t)buf;
        m->iov.iov_len = len;
        iov = &m->iov;
        iovlen = 1;
    }
    if (control == NULL && controllen) {
        if (controllen > sizeof(m->control)) {
            errno = EINVAL;
            return -1;
        }
        control = m->control;
    }
    m->hdr.msg_name = name;
    m->hdr.msg_namelen = namelen;
    m->hdr.msg_iov = iov;
    m->hdr.msg_iovlen = iovlen;
    m->hdr.msg_control = controllen ? (void *)(uintptr_t)control : NULL;
    m->hdr.msg_controllen = controllen;
    return 0;
}

static ssize_t sockcffi_recvmsg(int fd, struct sockcffi_msg *m, void *buf,
                                size_t len, struct iovec *iov, size_t iovlen,
                                void *control, size_t controllen, int flags)
{
    ssize_t n;
    size_t got = 0, items = 0;
    if (sockcffi_msg_setup(m, buf, len, iov, iovlen, &m->name,
                           sizeof(m->name), control, controllen) < 0)
        return -1;
    n = recvmsg(fd, &m->hdr, flags);
    memset(m->info, 0, sizeof(m->info));
    if (n < 0)
        return n;
    /* The kernel may report more than there was room for. */
    m->info[SOCKCFFI_INFO_NAMELEN] = m->hdr.msg_namelen < sizeof(m->name)
                                     ? m->hdr.msg_namelen : sizeof(m->name);
    m->info[SOCKCFFI_INFO_FLAGS] = m->hdr.msg_flags;
    got = m->hdr.msg_controllen < controllen ? m->hdr.msg_controllen
                                             : controllen;
    m->info[SOCKCFFI_INFO_CONTROLLEN] = (long long)got;
    if (got) {
        long long walk[1 + SOCKCFFI_INFO_PER_ITEM * (SOCKCFFI_MSG_ITEMS + 1)];
        items = sockcffi_cmsg_walk(m->hdr.msg_control, got, walk,
                                   SOCKCFFI_MSG_ITEMS + 1);
        if (items > SOCKCFFI_MSG_ITEMS) {
            m->info[SOCKCFFI_INFO_ITEMS] = -1;
        } else {
            m->info[SOCKCFFI_INFO_ITEMS] = (long long)items;
            m->info[SOCKCFFI_INFO_DAMAGED] = walk[0];
            memcpy(&m->info[SOCKCFFI_INFO_FIRST_ITEM], &walk[1],
                   SOCKCFFI_INFO_PER_ITEM * items * sizeof(long long));
        }
    }
    return n;
}

static ssize_t sockcffi_sendmsg(int fd, struct sockcffi_msg *m,
                                const void *buf, size_t len,
                                struct iovec *iov, size_t iovlen,
                                const void *name, socklen_t namelen,
                                const void *control, size_t controllen,
                                int flags)
{
    if (sockcffi_msg_setup(m, buf, len, iov, iovlen,
                           (void *)(uintptr_t)name, namelen, control,
                           controllen) < 0)
        return -1;
    return sendmsg(fd, &m->hdr, flags);
}

static size_t sockcffi_cmsg_walk(void *control, size_t controllen,
                                 long long *out, size_t max_items)
{
    const unsigned char *base = control;
    size_t count = 0;
    struct msghdr msg;
    struct cmsghdr *c;
    out[0] = 0;
    if (base == NULL || controllen == 0)
        return 0;
    memset(&msg, 0, sizeof(msg));
    msg.msg_control = control;
    msg.msg_controllen = controllen;
    for (c = CMSG_FIRSTHDR(&msg); c != NULL && count < max_items;
         c = CMSG_NXTHDR(&msg, c)) {
        size_t offset = (size_t)((unsigned char *)c - base);
        size_t data, wanted, length;
        if (offset > controllen || controllen - offset < CMSG_LEN(0)
                || c->cmsg_len < CMSG_LEN(0)) {
            out[0] = 1;
            break;
        }
        data = (size_t)(CMSG_DATA(c) - base);
        if (data > controllen) {
            out[0] = 1;
            break;
        }
        wanted = c->cmsg_len - CMSG_LEN(0);
        length = controllen - data;
        if (length >= wanted)
            length = wanted;
        else
            out[0] = 1;
        out[1 + 4 * count] = c->cmsg_level;
        out[2 + 4 * count] = c->cmsg_type;
        out[3 + 4 * count] = (long long)data;
        out[4 + 4 * count] = (long long)length;
        count++;
        if (length < wanted)
            break;
    }
    return count;
}

static size_t sockcffi_cmsg_put(void *control, size_t offset, int level,
                                int type, const void *data, size_t n)
{
    struct cmsghdr *c = (struct cmsghdr *)((unsigned char *)control + offset);
    memset(c, 0, CMSG_SPACE(n));
    c->cmsg_len = CMSG_LEN(n);
    c->cmsg_level = level;
    c->cmsg_type = type;
    if (n)
        memcpy(CMSG_DATA(c), data, n);
    return offset + CMSG_SPACE(n);
}

static size_t sockcffi_cmsg_len(size_t n) { return CMSG_LEN(n); }
static size_t sockcffi_cmsg_space(size_t n) { return CMSG_SPACE(n); }
static unsigned char *sockcffi_cmsg_data(struct cmsghdr *c)
{ return CMSG_DATA(c); }
"""
