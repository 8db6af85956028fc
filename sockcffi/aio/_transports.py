"""sockcffi.aio's socket transports: asyncio's selector transports with
the receive size that takes sockcffi's short path.

asyncio's transports receive with ``recv(256 KiB)``; sockcffi's ``recv``
has a short path for sizes up to its pooled buffer (64 KiB: one C call
that checks the size, no conversion, the pooled buffer, the bytes copied
out), and the general path for the rest.  The stream transport of TCP and
Unix sockets therefore receives at most 64 KiB per call (a protocol sees the
same bytes, in chunks of at most that size); so does the datagram transport
of IP sockets, whose datagrams never exceed 65535 bytes.  Everything else
is asyncio's own code.
"""
from asyncio import selector_events

from .._buffers import SMALL

__all__ = ["DatagramTransport", "SocketTransport"]

_IP_FAMILIES = (2, 10)      # AF_INET, AF_INET6 (Linux)


class SocketTransport(selector_events._SelectorSocketTransport):
    max_size = SMALL


class DatagramTransport(selector_events._SelectorDatagramTransport):

    def __init__(self, loop, sock, protocol, *args, **kwargs):
        super().__init__(loop, sock, protocol, *args, **kwargs)
        if sock.family in _IP_FAMILIES:
            self.max_size = SMALL
