"""epoll: readiness for sockcffi.aio's event loop (sockcffi.aio._selector).

The three calls as the C library declares them, and a wait that lays its
results out in C: the ready descriptors and their events in one int array,
the events already in the ``selectors`` module's terms (EVENT_READ 1,
EVENT_WRITE 2), so Python reads two ints per ready descriptor and never
touches a packed ``struct epoll_event``.
"""
HEADERS = ("sys/epoll.h",)

TYPES = """
typedef union epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; }
    epoll_data_t;
struct epoll_event { uint32_t events; epoll_data_t data; ...; };
#define EPOLLIN ...
#define EPOLLOUT ...
#define EPOLLERR ...
#define EPOLLHUP ...
#define EPOLL_CLOEXEC ...
#define EPOLL_CTL_ADD ...
#define EPOLL_CTL_MOD ...
#define EPOLL_CTL_DEL ...
/* Most events one sockcffi_epoll_wait() reports (its own array lives on
   the C stack); level-triggered epoll reports the rest next time. */
#define SOCKCFFI_EPOLL_BATCH ...
"""

FUNCTIONS = """
int epoll_create1(int);
int epoll_ctl(int, int, int, struct epoll_event *);
int epoll_wait(int, struct epoll_event *, int, int);
int sockcffi_epoll_set(int, int, int, int);
int sockcffi_epoll_wait(int, int *, int, int);
"""

CUSTOMIZATIONS = """
#define SOCKCFFI_EPOLL_BATCH 1024

/* epoll_ctl(epfd, op, fd, {events from ``mask``, data.fd = fd}), ``mask``
   in selectors' terms: 1 (read) -> EPOLLIN, 2 (write) -> EPOLLOUT. */
static int sockcffi_epoll_set(int epfd, int op, int fd, int mask)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = (uint32_t)((mask & 1 ? EPOLLIN : 0)
                           | (mask & 2 ? EPOLLOUT : 0));
    ev.data.fd = fd;
    return epoll_ctl(epfd, op, fd, &ev);
}

/* Wait up to ``timeout_ms`` (-1: no limit) for at most ``maxevents``
   (clamped to 1..SOCKCFFI_EPOLL_BATCH) events; out[2i] is the i-th ready
   descriptor, out[2i+1] its events as selectors.EpollSelector reports them
   (anything but EPOLLIN also means writable, anything but EPOLLOUT also
   readable, so errors and hang-ups wake both sides).  The caller allocated
   2 * maxevents ints.  Returns the count, or -1 with errno set. */
static int sockcffi_epoll_wait(int epfd, int *out, int maxevents,
                               int timeout_ms)
{
    struct epoll_event evs[SOCKCFFI_EPOLL_BATCH];
    int i, n;
    if (maxevents < 1)
        maxevents = 1;
    if (maxevents > SOCKCFFI_EPOLL_BATCH)
        maxevents = SOCKCFFI_EPOLL_BATCH;
    n = epoll_wait(epfd, evs, maxevents, timeout_ms);
    for (i = 0; i < n; i++) {
        uint32_t e = evs[i].events;
        out[2 * i] = evs[i].data.fd;
        out[2 * i + 1] = ((e & ~(uint32_t)EPOLLIN) ? 2 : 0)
                         | ((e & ~(uint32_t)EPOLLOUT) ? 1 : 0);
    }
    return n;
}
"""
