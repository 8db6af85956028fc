"""Structs of the SOL_SOCKET options and control messages (glibc's
sys/socket.h and the time types it brings in)."""
HEADERS = ("sys/socket.h",)

TYPES = """
typedef int... pid_t;
typedef int... uid_t;
typedef int... gid_t;
typedef int... time_t;
typedef int... suseconds_t;
typedef int... __syscall_slong_t;
struct linger { int l_onoff; int l_linger; ...; };
struct ucred { pid_t pid; uid_t uid; gid_t gid; ...; };
struct timeval { time_t tv_sec; suseconds_t tv_usec; ...; };
struct timespec { time_t tv_sec; __syscall_slong_t tv_nsec; ...; };
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
