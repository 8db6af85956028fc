HEADERS = ()

TYPES = """
struct pollfd { int fd; short events; short revents; };
typedef unsigned long... nfds_t;
#define POLLIN ...
#define POLLOUT ...
#define POLLERR ...
#define POLLHUP ...
#define POLLNVAL ...
#define POLLPRI ...
#define HOST_NAME_MAX ...
"""

FUNCTIONS = """
int close(int);
int poll(struct pollfd *, nfds_t, int);
int gethostname(char *, size_t);
int sethostname(const char *, size_t);
int sockcffi_dup_cloexec(int);
"""

CUSTOMIZATIONS = """
/* fcntl() is variadic; a fixed-signature wrapper keeps the cdef simple. */
static int sockcffi_dup_cloexec(int fd)
{ return fcntl(fd, F_DUPFD_CLOEXEC, 0); }
"""
