"""An HTTP/1.1 keep-alive server on one event loop, for http_bench.py.

    python http_server.py MODE protocol|aiohttp [PROFILE]

Listens on 127.0.0.1 (a free port, printed as ``port N`` on stdout) and
serves until its stdin closes.  Every request, whatever its path, gets the
same 13-byte ``text/plain`` answer; connections stay open (HTTP/1.1).

MODE as in asyncio_child.py: ``stdlib`` (asyncio's default loop),
``sockcffi`` (the default loop after ``sockcffi.patch()``), ``aio``
(sockcffi.aio's loop), ``uvloop`` (benchmark-only, CPython only).

* ``protocol``: an ``asyncio.Protocol`` that splits the byte stream into
  requests (request line and headers up to the blank line, a body of
  ``Content-Length`` bytes skipped), answers each, and closes after a
  request that says ``Connection: close``.
* ``aiohttp``: aiohttp's own server (``aiohttp.web``; a benchmark-only
  dependency) with one handler, run on the same loop.

With PROFILE, the server runs under vmprof (a benchmark-only dependency),
writing its samples there (``vmprofshow PROFILE`` shows the tree).
"""
import sys

MODE, SERVER = sys.argv[1], sys.argv[2]
if MODE == "sockcffi":
    import sockcffi
    sockcffi.patch()

import asyncio      # noqa: E402

BODY = b"Hello, World!"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n" % len(BODY)) + BODY


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("transport", "buf", "skip")

    def connection_made(self, transport):
        self.transport = transport
        self.buf = b""
        self.skip = 0       # body bytes still to drop

    def data_received(self, data):
        buf = self.buf + data if self.buf else data
        answers = 0
        close = False
        while buf:
            if self.skip:
                dropped = min(self.skip, len(buf))
                self.skip -= dropped
                buf = buf[dropped:]
                continue
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buf[:end].lower()
            buf = buf[end + 4:]
            answers += 1
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                self.skip = int(head[at + 17:stop if stop >= 0 else None])
            if b"\r\nconnection: close" in head:
                close = True
                break
        self.buf = buf
        if answers:
            self.transport.write(RESPONSE * answers)
        if close:
            self.transport.close()


async def serve_protocol():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HttpProtocol, "127.0.0.1", 0,
                                      backlog=1024)
    async def stop():
        server.close()
        await server.wait_closed()
    return server.sockets[0].getsockname()[1], stop


async def serve_aiohttp():
    from aiohttp import web

    async def hello(request):
        return web.Response(body=BODY, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    return runner.addresses[0][1], runner.cleanup


async def main():
    loop = asyncio.get_running_loop()
    port, stop = await (serve_aiohttp() if SERVER == "aiohttp"
                        else serve_protocol())
    print("port %d" % port, flush=True)
    # Serve until the driver closes stdin.
    done = loop.create_future()
    loop.add_reader(sys.stdin.fileno(), lambda: done.done()
                    or done.set_result(None))
    await done
    loop.remove_reader(sys.stdin.fileno())
    await stop()


def new_loop():
    if MODE == "uvloop":
        import uvloop
        return uvloop.new_event_loop()
    if MODE == "aio":
        import sockcffi.aio
        return sockcffi.aio.new_event_loop()
    return asyncio.new_event_loop()


loop = new_loop()
asyncio.set_event_loop(loop)
if len(sys.argv) > 3:
    import vmprof
    with open(sys.argv[3], "w+b") as profile:
        vmprof.enable(profile.fileno(), period=0.0005)
        loop.run_until_complete(main())
        vmprof.disable()
else:
    loop.run_until_complete(main())
loop.close()
