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

/* getsockopt() of an int option: one call, no allocation.  The value, or
   SOCKCFFI_OPT_FAILED with errno set. */
#define SOCKCFFI_OPT_FAILED ...
long long sockcffi_getsockopt_int(int, int, int);

/* CMSG_* are macros; these wrap them (see CUSTOMIZATIONS). */
size_t sockcffi_cmsg_len(size_t);
size_t sockcffi_cmsg_space(size_t);
struct cmsghdr *sockcffi_cmsg_firsthdr(struct msghdr *);
struct cmsghdr *sockcffi_cmsg_nxthdr(struct msghdr *, struct cmsghdr *);
unsigned char *sockcffi_cmsg_data(struct cmsghdr *);
"""

CUSTOMIZATIONS = """
#define SOCKCFFI_OPT_FAILED (-(1LL << 40))
static long long sockcffi_getsockopt_int(int fd, int level, int option)
{
    int value = 0;
    socklen_t size = sizeof(value);
    if (getsockopt(fd, level, option, &value, &size) < 0)
        return SOCKCFFI_OPT_FAILED;
    return value;
}

static size_t sockcffi_cmsg_len(size_t n) { return CMSG_LEN(n); }
static size_t sockcffi_cmsg_space(size_t n) { return CMSG_SPACE(n); }
static struct cmsghdr *sockcffi_cmsg_firsthdr(struct msghdr *m)
{ return CMSG_FIRSTHDR(m); }
static struct cmsghdr *sockcffi_cmsg_nxthdr(struct msghdr *m,
                                            struct cmsghdr *c)
{ return CMSG_NXTHDR(m, c); }
static unsigned char *sockcffi_cmsg_data(struct cmsghdr *c)
{ return CMSG_DATA(c); }
"""
