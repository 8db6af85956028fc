"""The socket enums, written once: read by sockcffi.enums at run time and
by gen/stubs.py (by path, before the package is built) for the typing
stub.  No imports: gen loads this file on its own.

Each entry: (enum name, enum base, constant prefix, anchor).  Members are
the names of the prefix that the interpreter's C ``_socket`` has, or
without one the names defined in the header that defines the anchor.
"""

ENUMS = (
    ("AddressFamily", "IntEnum", "AF_", "AF_INET"),
    ("SocketKind", "IntEnum", "SOCK_", "SOCK_STREAM"),
    ("MsgFlag", "IntFlag", "MSG_", "MSG_PEEK"),
    ("AddressInfo", "IntFlag", "AI_", "AI_PASSIVE"),
)
