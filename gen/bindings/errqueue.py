"""The error queue's and the timestamps' control-message structs
(linux/errqueue.h), and the kernel's fixed-width time types, which
linux/errqueue.h brings in from linux/time_types.h (used by the _NEW
timestamp messages and the y2038-safe timeout options).

The time types and scm_timestamping64 are newer than the header itself:
only those this machine's header declares are declared (see _optional.py).
sock_extended_err's ee_data shares an anonymous union with a struct;
ee_data is declared as the plain member it reads as."""
from ._optional import declarations, has_struct

HEADERS = ("linux/errqueue.h",)

_BASE = """
typedef int... __kernel_long_t;
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
"""

_OPTIONAL = (
    ("__kernel_old_timeval", "struct __kernel_old_timeval { "
     "__kernel_long_t tv_sec; __kernel_long_t tv_usec; ...; };"),
    ("__kernel_sock_timeval", "struct __kernel_sock_timeval { "
     "int64_t tv_sec; int64_t tv_usec; ...; };"),
    ("__kernel_timespec", "struct __kernel_timespec { int64_t tv_sec; "
     "long long tv_nsec; ...; };"),
)

FUNCTIONS = ""
CUSTOMIZATIONS = ""


def __getattr__(name):
    # Computed on first use (see tstamp_opts.py).
    if name == "TYPES":
        text = _BASE + declarations(HEADERS[0], _OPTIONAL) + "\n"
        if has_struct(HEADERS[0], "__kernel_timespec") and has_struct(
                HEADERS[0], "scm_timestamping64"):
            text += ("struct scm_timestamping64 { "
                     "struct __kernel_timespec ts[3]; ...; };\n")
        return text
    raise AttributeError(name)
