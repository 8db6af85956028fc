"""The error queue's and the timestamps' control-message structs
(linux/errqueue.h), and the kernel's fixed-width time types, which
linux/errqueue.h brings in from linux/time_types.h (used by the _NEW
timestamp messages and the y2038-safe timeout options).

sock_extended_err's ee_data shares an anonymous union with a struct;
ee_data is declared as the plain member it reads as."""
HEADERS = ("linux/errqueue.h",)

TYPES = """
typedef int... __kernel_long_t;
struct __kernel_old_timeval { __kernel_long_t tv_sec; __kernel_long_t tv_usec;
                              ...; };
struct __kernel_sock_timeval { int64_t tv_sec; int64_t tv_usec; ...; };
struct __kernel_timespec { int64_t tv_sec; long long tv_nsec; ...; };
struct sock_extended_err {
    uint32_t ee_errno;
    uint8_t ee_origin;
    uint8_t ee_type;
    uint8_t ee_code;
    uint32_t ee_info;
    uint32_t ee_data;
    ...;
};
struct scm_timestamping { struct timespec ts[3]; ...; };
struct scm_timestamping64 { struct __kernel_timespec ts[3]; ...; };
"""

FUNCTIONS = ""
CUSTOMIZATIONS = ""
