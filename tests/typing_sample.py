"""A small program using sockcffi as it would use ``socket``, for
``mypy --strict`` (tests/test_typing.py); it also runs, over loopback."""
import threading
from typing import Optional

import sockcffi as socket


def serve_once(server: socket.socket) -> None:
    conn, _peer = server.accept()
    with conn:
        data, ancdata, flags, _addr = conn.recvmsg(1024, socket.CMSG_SPACE(4))
        assert not ancdata and flags == 0
        conn.sendall(data.upper())


def main() -> bytes:
    infos = socket.getaddrinfo("127.0.0.1", 0, socket.AF_INET,
                               socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    family, kind, proto, _canon, address = infos[0]
    assert family == socket.AF_INET and kind == socket.SOCK_STREAM
    with socket.create_server(("127.0.0.1", 0)) as server:
        host, port = server.getsockname()
        thread = threading.Thread(target=serve_once, args=(server,))
        thread.start()
        with socket.create_connection((host, port), timeout=10) as client:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:    # header-only constant; needs CAP_NET_ADMIN to succeed
                client.setsockopt(socket.SOL_TCP, socket.TCP_REPAIR, 0)
            except PermissionError:
                pass
            client.sendall(b"typed")
            reply: bytes = client.recv(1024)
        thread.join(10)
    timeout: Optional[float] = socket.getdefaulttimeout()
    assert timeout is None and proto >= 0 and address[1] == 0
    return reply


if __name__ == "__main__":
    assert main() == b"TYPED"
    print("ok")
