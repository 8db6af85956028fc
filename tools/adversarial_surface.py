"""The ``surface`` class of tools/adversarial.py: cases made from the public
API, not picked by hand.

:func:`public_callables` lists every public callable: the functions of the
stdlib's ``socket.__all__`` that sockcffi has, the socket methods, and the
``__all__`` (or the public functions) of each public module, SocketTLS's
methods included.  Each has an entry in ``ENTRIES`` (how to call it with
good arguments, in which context, what to observe) or a reason in
``REASONS``; tests/test_adversarial.py fails on a callable with neither,
and on a parameter whose kind (``KINDS`` by name, or the entry's own) is
unknown.

Per parameter of an entry, by kind:

``int``    int subclasses whose comparisons lie, objects with only
           ``__index__``, huge and negative values;
``bytes``  bytes/bytearray subclasses whose ``__len__`` claims more or less
           than their data, a short view, non-contiguous, read-only and
           offset memoryviews, array.array;
``wbuf``   the same for a buffer the call writes into, plus read-only
           objects.

A hostile value that stands for an honest one (``LyingInt(5)`` for 5, a
lying ``bytes`` for its data) must give what the honest value gives -- the
result *and* what reached the peer or the kernel -- or, where allowed, a
clean exception; any other value a result or a clean exception
(TypeError, ValueError, OverflowError, BufferError, OSError).  A callable
the stdlib also has (``twin``) is compared with the stdlib as well, in
another process.  Calls that export a buffer get a resize case: the
caller's own ``__index__`` grows and overwrites the bytearray during the
call; only the bytearray's own bytes ('A' before, 'Z'/'B' after) may reach
the peer.
"""
import array
import importlib
import inspect
import os
import socket as stdlib
import sys
import threading
import time
import zlib

PYPY = sys.implementation.name == "pypy"
JOIN = 10.0
PAYLOAD = bytes(range(48, 112))            # 64 bytes, '0'..'o'
FIXED_FD = 900                             # see Context "fd"
CLEAN = (TypeError, ValueError, OverflowError, BufferError, OSError)

MODULES = ("records", "options", "cmsg", "batch", "afalg", "tls", "interop",
           "ancillary", "resolver", "inet", "addresses")


# --- what is public ----------------------------------------------------------

def _functions(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n, v in vars(module).items() if not n.startswith("_")
                 and callable(v) and getattr(v, "__module__", None)
                 == module.__name__]
    return {n: getattr(module, n) for n in names
            if callable(getattr(module, n))}


def _methods(cls):
    out = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        value = inspect.getattr_static(cls, name)
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or type(value).__name__ == \
                "LoadedOnFirstUse":
            out[name] = getattr(cls, name)
    return out


def public_callables():
    """{qualified name: callable}: each function once, under its first
    name (socket methods that are a module's functions keep the module's
    name)."""
    import sockcffi
    found = {}
    seen = {}

    def add(name, value):
        key = getattr(value, "__func__", value)
        if key in seen:
            return
        seen[key] = name
        found[name] = value

    for mod_name in MODULES:
        module = importlib.import_module("sockcffi." + mod_name)
        for name, value in _functions(module).items():
            if isinstance(value, type) and name == "SocketTLS":
                for m, f in _methods(value).items():
                    add("tls.SocketTLS." + m, f)
            add("%s.%s" % (mod_name, name), value)
    for name in stdlib.__all__:
        value = getattr(sockcffi, name, None)
        if callable(value) and not isinstance(value, type):
            add(name, value)
    for name in ("patch", "unpatch"):
        add(name, getattr(sockcffi, name))
    for name, value in _methods(sockcffi.socket).items():
        add("socket." + name, value)
    return found


def parameters(func):
    """The parameter names of ``func`` after ``self``/``cls``."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    names = [p.name for p in sig.parameters.values()
             if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return [n for n in names if n not in ("self", "cls")]


# --- hostile values ----------------------------------------------------------

class LyingInt(int):
    """Comparisons say tiny and equal to anything; only operator.index
    gives its real value."""
    __lt__ = __le__ = __eq__ = lambda self, other: True
    __gt__ = __ge__ = __ne__ = lambda self, other: False
    __hash__ = int.__hash__

    def __repr__(self):
        return "LyingInt(%d)" % int(self)


class LyingIndex(int):
    """An int whose ``__index__`` and ``__int__`` name another value: its
    own value is the one that counts (PyLong_Check before __index__)."""

    def __index__(self):
        return int.__add__(self, 1 << 40)

    __int__ = __index__


class IndexOnly:
    def __init__(self, value, hook=None):
        self.value, self.hook = value, hook

    def __index__(self):
        if self.hook is not None:
            self.hook()
        return self.value

    def __repr__(self):
        return "IndexOnly(%d)" % self.value


def lying(base, claim):
    """``base`` (bytes or bytearray) as a subclass whose len() is ``claim``."""
    cls = type("Lying" + type(base).__name__, (type(base),),
               {"__len__": lambda self: claim})
    return cls(base)


def spread(data, writable=True):
    """A non-contiguous view showing ``data``."""
    raw = bytearray(2 * len(data))
    raw[::2] = data
    view = memoryview(raw if writable else bytes(raw))
    return view[::2]


_NO = object()         # no honest twin: any result or a clean exception


def int_variants(base, alloc=False):
    """(name, hostile, honest, rule): rule "same" (exactly the honest
    outcome), "same|TypeError", or None (a result or a clean raise)."""
    out = [("LyingInt", LyingInt(base), base, "same"),
           ("IndexOnly", IndexOnly(base), base, "same|TypeError"),
           ("LyingIndex", LyingIndex(base), base, "same"),
           ("LyingInt(-1)", LyingInt(-1), -1, "same"),
           ("LyingInt(2**63)", LyingInt(2 ** 63), 2 ** 63, "same"),
           ("-1", -1, _NO, None), ("-2**63-1", -2 ** 63 - 1, _NO, None),
           ("2**63", 2 ** 63, _NO, None), ("2**64", 2 ** 64, _NO, None),
           ("True", True, _NO, None), ("float", 1.0, _NO, None),
           ("None", None, _NO, None)]
    if not alloc:          # sizes the call allocates: no gigabytes
        out += [("2**31", 2 ** 31, _NO, None),
                ("LyingInt(2**32)", LyingInt(2 ** 32), 2 ** 32, "same")]
    return out


def bytes_variants(base, ints=False):
    more, fewer = len(base) + 4096, max(len(base) - 3, 0)
    not_bytes = None if ints else "raise"
    return [("LyingBytes+", lying(base, more), base, "same"),
            ("LyingBytes-", lying(base, fewer), base, "same"),
            ("LyingBytearray+", lying(bytearray(base), more),
             bytearray(base), "same"),
            ("LyingBytearray-", lying(bytearray(base), fewer),
             bytearray(base), "same"),
            ("short-view", memoryview(base[:2]), base[:2], "same"),
            ("offset-view", memoryview(b"#" + base)[1:], base, "same"),
            ("readonly-view", memoryview(base), base, "same"),
            ("noncontiguous", spread(base), base, "same|raise"),
            ("array", array.array("B", base), base, "same|raise"),
            ("str", "x" * len(base), _NO, None),
            ("int", 7, _NO, not_bytes), ("2**62", 2 ** 62, _NO, not_bytes),
            ("None", None, _NO, None)]


def wbuf_variants(size):
    return [("LyingBytearray+", lying(bytearray(size), size + 4096),
             bytearray(size), "same"),
            ("LyingBytearray-", lying(bytearray(size), 0), bytearray(size),
             "same"),
            ("short-view", memoryview(bytearray(size))[:2], bytearray(2),
             "same"),
            ("offset-view", memoryview(bytearray(size + 1))[1:],
             bytearray(size), "same"),
            ("noncontiguous", spread(bytes(size)), bytearray(size),
             "same|raise"),
            ("array", array.array("B", bytes(size)), bytearray(size),
             "same|raise"),
            ("readonly-view", memoryview(bytes(size)), _NO, "raise"),
            ("bytes", bytes(size), _NO, "raise"),
            ("LyingBytes+", lying(bytes(size), size + 4096), _NO, "raise")]


class Kind:
    """A parameter's kind and good value; ``wrap`` puts the (hostile)
    value where the call takes it, e.g. inside a list."""

    def __init__(self, kind, good, wrap=None, alloc=False, ints=False):
        self.kind, self.good, self.wrap, self.alloc = kind, good, wrap, alloc
        self.ints = ints            # a bytes parameter that takes ints too

    def variants(self):
        if self.kind == "int":
            return int_variants(self.good, self.alloc)
        if self.kind == "bytes":
            return bytes_variants(self.good, self.ints)
        if self.kind == "wbuf":
            return wbuf_variants(self.good)
        return []

    def value(self, v):
        if self.kind == "wbuf" and v is self.good:
            v = bytearray(v)
        return v if self.wrap is None else self.wrap(v)

    def good_value(self):
        return self.value(bytearray(self.good) if self.kind == "wbuf"
                          else self.good)


def I(good, **kw):           # noqa: E741,E743 - the table reads better
    return Kind("int", good, **kw)


def B(good, **kw):
    return Kind("bytes", good, **kw)


def W(size, **kw):
    return Kind("wbuf", size, **kw)


def P(good, **kw):
    return Kind("plain", good, **kw)


# Parameter kinds by name (an entry may say otherwise).
KINDS = {
    "flags": "int", "level": "int", "option": "int", "optname": "int",
    "buflen": "int", "bufsize": "int", "nbytes": "int", "ancbufsize": "int",
    "count": "int", "length": "int", "valid": "int", "x": "int",
    "how": "int", "backlog": "int", "family": "int", "type": "int",
    "proto": "int", "port": "int", "if_index": "int", "fd": "int",
    "kind": "int", "op": "int", "assoclen": "int", "maxfds": "int",
    "offset": "int", "len": "int", "ttl": "int", "hops": "int", "tos": "int",
    "tclass": "int", "size": "int", "nanoseconds": "int", "pid": "int",
    "uid": "int", "gid": "int", "ipi_ifindex": "int", "ipi6_ifindex": "int",
    "fds": "int", "family_hint": "int",
    "data": "bytes", "packed_ip": "bytes", "iv": "bytes", "msg": "bytes",
    "ipi6_addr": "bytes", "ipi_addr": "bytes", "ipi_spec_dst": "bytes",
    "buffer": "wbuf",
    # Not a C buffer or integer: text, addresses, objects, files.
    "cname": "plain", "name": "plain", "sock": "plain", "address": "plain",
    "sockaddr": "plain", "timeout": "plain", "host": "plain",
    "hostname": "plain", "ip_address": "plain", "ip_string": "plain",
    "string": "plain", "protocolname": "plain", "servicename": "plain",
    "if_name": "plain", "file": "plain", "value": "plain",
    "ancdata": "plain", "messages": "plain", "buffers": "plain",
    "inheritable": "plain", "flag": "plain", "memory_bio": "plain",
    "source_address": "plain", "all_errors": "plain", "mode": "plain",
    "buffering": "plain", "encoding": "plain", "errors": "plain",
    "newline": "plain", "reuse_port": "plain", "dualstack_ipv6": "plain",
}


def wait_until_blocked(thread_id, limit=JOIN):
    """Return once the thread is asleep in a system call (poll, accept,
    recv ...), read from /proc: a bounded check of its state, never a
    fixed sleep standing in for synchronisation."""
    path = "/proc/self/task/%d/" % thread_id
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(path + "stat") as f:
                state = f.read().rpartition(")")[2].split()[0]
            with open(path + "wchan") as f:
                wchan = f.read()
        except OSError:
            return False
        if state == "S" and wchan not in ("", "0"):
            return True
        time.sleep(0.001)
    return False


# --- contexts: the sockets a call runs on, and what reached the peer ---------

def _drain(sock):
    sock.setblocking(False)
    out = []
    try:
        while True:
            chunk = sock.recv(1 << 17)
            if not chunk:
                break
            out.append(chunk)
    except (BlockingIOError, InterruptedError):
        pass
    except OSError as e:
        out.append(("error", e.errno))
    return out


class Context:
    """Sockets for one call, made with ``mod``; ``observe()``: what the
    peer received (or the kernel holds), after the call."""

    def __init__(self, mod, kind):
        self.mod, self.kind, self.socks, self.a = mod, kind, [], None
        self.peer = self.extra = None
        if kind in ("stream", "stream-data"):
            self.a, self.peer = self._keep(*mod.socketpair())
        elif kind in ("dgram", "dgram-data"):
            self.a, self.peer = self._keep(*mod.socketpair(
                mod.AF_UNIX, mod.SOCK_DGRAM))
        elif kind == "udp":
            self.a, self.peer = self._keep(
                mod.socket(mod.AF_INET, mod.SOCK_DGRAM),
                mod.socket(mod.AF_INET, mod.SOCK_DGRAM))
            self.peer.bind(("127.0.0.1", 0))
            self.a.connect(self.peer.getsockname())
        elif kind == "alg":
            # sendmsg_afalg() on a socket that says AF_ALG over an AF_UNIX
            # descriptor: the kernel ignores the SOL_ALG messages and the
            # data reaches the peer, where it can be compared.
            x, self.peer = stdlib.socketpair(stdlib.AF_UNIX,
                                             stdlib.SOCK_SEQPACKET)
            self.socks.append(self.peer)
            self.a = self._keep(mod.socket(mod.AF_ALG, mod.SOCK_SEQPACKET,
                                           0, fileno=x.detach()))[0]
        elif kind == "fd":
            # A socket at a fixed number, for the int arguments that are
            # descriptors (closed with the context).
            x, y = self._keep(*mod.socketpair())
            os.dup2(x.fileno(), FIXED_FD)
            self.fixed = FIXED_FD
        for s in self.socks:
            s.settimeout(JOIN)
        if kind.endswith("-data"):
            self.peer.send(PAYLOAD)

    def _keep(self, *socks):
        self.socks.extend(socks)
        return socks

    def observe(self):
        if self.peer is None or self.kind.endswith("-data"):
            return None
        return _drain(self.peer)

    def close(self):
        if getattr(self, "fixed", None) is not None:
            os.close(self.fixed)
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass


# --- TLS: a SocketTLS pair over a sockcffi socket pair -----------------------

def _certificate():
    from tls_threads import find_certificate     # tools/, beside this file
    return find_certificate()


class TLSContext(Context):
    """``a``: the client SocketTLS, after the handshake; the server
    (another thread) sends PAYLOAD (``tls-data``) or collects every byte
    it reads until the client closes (observe)."""

    def __init__(self, mod, kind):
        import ssl
        from sockcffi import tls
        tls.install(memory_bio=True)
        Context.__init__(self, mod, "stream")
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(_certificate())
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(_certificate())
        raw_client, raw_server = self.a, self.peer
        server = tls.SocketTLS(sctx, raw_server, True)
        self.received = []
        self.sending = kind == "tls-data"
        # "tls-gated": the server reads (or sends) only once ``go`` is set.
        self.go = threading.Event()
        if kind != "tls-gated":
            self.go.set()

        def serve():
            try:
                server.do_handshake()
                self.go.wait(JOIN)
                if self.sending:
                    server.write(PAYLOAD)
                    return
                while True:
                    chunk = server.read(1 << 16)
                    if not chunk:
                        return
                    self.received.append(chunk)
            except (OSError, ValueError) as e:
                self.received.append(("end", type(e).__name__))
        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        self.a = tls.SocketTLS(cctx, raw_client, False, "localhost")
        self.a.do_handshake()
        self.raw_client = raw_client

    def observe(self):
        self.go.set()
        if self.sending:
            self.thread.join(JOIN)
            return None
        # End of stream (no close_notify): the server reads all, then
        # stops on its SSLEOFError.
        self.raw_client.shutdown(stdlib.SHUT_WR)
        self.thread.join(JOIN)
        return b"".join(c for c in self.received if isinstance(c, bytes))


def make_context(mod, kind):
    if kind is None:
        return Context(mod, "none")
    if kind.startswith("tls"):
        return TLSContext(mod, kind)
    return Context(mod, kind)


# --- the entries -------------------------------------------------------------

class Entry:
    """How to call one public callable: ``call(c, **args)`` with ``c`` the
    Context (``c.mod``, ``c.a``), ``args`` the parameters' good values
    (Kinds); ``twin``: the stdlib has it, called the same way through
    ``c.mod``; ``payload``: the parameter whose data is all the peer gets
    (the resize cases resize it and check the peer's bytes)."""

    def __init__(self, call, context=None, twin=False, payload=None,
                 **args):
        self.call, self.context, self.twin = call, context, twin
        self.payload, self.args = payload, args


def _sockcffi():
    import sockcffi
    return sockcffi


def _m(name):
    return importlib.import_module("sockcffi." + name)


def _closing(result):
    """Close the sockets or descriptors a call made; keep a comparable
    trace of them."""
    items = result if isinstance(result, (tuple, list)) else [result]
    for item in items:
        if hasattr(item, "close") and hasattr(item, "fileno"):
            item.close()
        elif isinstance(item, int) and not isinstance(item, bool) and \
                item > 2:
            try:
                os.close(item)
            except OSError:
                pass
    return "made %d" % len(items)


def _recv_fds_result(r):
    msg, fds, flags, addr = r
    for fd in fds:
        os.close(fd)
    return msg, len(fds), flags


def _view(v):
    """What a buffer holds, as bytes (None for what is not a buffer)."""
    try:
        return memoryview(v).tobytes()
    except TypeError:
        return None


E = Entry
SO = stdlib.SOL_SOCKET
ENTRIES = {
    # --- the socket object (twins: the stdlib's socket has them) ---
    "socket.send": E(lambda c, data, flags: c.a.send(data, flags), "stream",
                     twin=True, payload="data", data=B(PAYLOAD), flags=I(0)),
    "socket.sendall": E(lambda c, data, flags: c.a.sendall(data, flags),
                        "stream", twin=True, payload="data", data=B(PAYLOAD),
                        flags=I(0)),
    "socket.sendto": E(lambda c, data, flags_or_address: c.a.sendto(
        data, flags_or_address, c.peer.getsockname()), "udp", twin=True,
        payload="data", data=B(PAYLOAD), flags_or_address=I(0)),
    "socket.sendmsg": E(lambda c, buffers, ancdata, flags, address:
                        c.a.sendmsg(buffers, ancdata, flags), "stream",
                        twin=True, payload="buffers",
                        buffers=B(PAYLOAD, wrap=lambda v: [v]),
                        ancdata=P([]), flags=I(0), address=P(None)),
    "socket.recv": E(lambda c, bufsize, flags: c.a.recv(bufsize, flags),
                     "stream-data", twin=True, bufsize=I(16, alloc=True),
                     flags=I(0)),
    "socket.recvfrom": E(lambda c, bufsize, flags: c.a.recvfrom(
        bufsize, flags)[0], "dgram-data", twin=True,
        bufsize=I(16, alloc=True), flags=I(0)),
    "socket.recv_into": E(lambda c, buffer, nbytes, flags: (
        c.a.recv_into(buffer, nbytes, flags), _view(buffer)), "stream-data",
        twin=True, buffer=W(32), nbytes=I(16), flags=I(0)),
    "socket.recvfrom_into": E(lambda c, buffer, nbytes, flags: (
        c.a.recvfrom_into(buffer, nbytes, flags)[0], _view(buffer)),
        "dgram-data", twin=True, buffer=W(32), nbytes=I(16), flags=I(0)),
    "socket.recvmsg": E(lambda c, bufsize, ancbufsize, flags: c.a.recvmsg(
        bufsize, ancbufsize, flags)[:3], "dgram-data", twin=True,
        bufsize=I(16, alloc=True), ancbufsize=I(64, alloc=True), flags=I(0)),
    "socket.recvmsg_into": E(lambda c, buffers, ancbufsize, flags: (
        c.a.recvmsg_into(buffers, ancbufsize, flags)[:3],
        [_view(b) for b in buffers]), "dgram-data", twin=True,
        buffers=W(16, wrap=lambda v: [v]), ancbufsize=I(64, alloc=True),
        flags=I(0)),
    "socket.getsockopt": E(lambda c, level, option, buflen: c.a.getsockopt(
        level, option, buflen), "stream", twin=True, level=I(SO),
        option=I(stdlib.SO_RCVBUF), buflen=I(4, alloc=True)),
    "socket.setsockopt": E(lambda c, level, option, value, optlen: (
        c.a.setsockopt(level, option, value),
        c.a.getsockopt(SO, stdlib.SO_KEEPALIVE)), "stream", twin=True,
        level=I(SO), option=I(stdlib.SO_KEEPALIVE),
        value=B(b"\1\0\0\0"), optlen=P(None)),
    "socket.listen": E(lambda c, backlog: c.a.listen(backlog), "udp",
                       twin=True, backlog=I(5)),
    "socket.shutdown": E(lambda c, how: c.a.shutdown(how), "stream",
                         twin=True, how=I(stdlib.SHUT_WR)),
    "socket.sendfile": E(lambda c, file, offset, count: c.a.sendfile(
        _payload_file(), offset, count), "stream", twin=True,
        file=P(None), offset=I(0), count=I(len(PAYLOAD))),
    "batch.recvmmsg": E(lambda c, sock, count, bufsize, ancbufsize, flags: [
        m[0] for m in c.a.recvmmsg(count, bufsize, ancbufsize, flags)],
        "dgram-data", sock=P(None), count=I(2, alloc=True),
        bufsize=I(16, alloc=True), ancbufsize=I(0, alloc=True), flags=I(0)),
    "batch.sendmmsg": E(lambda c, sock, messages, flags: c.a.sendmmsg(
        messages, flags), "dgram", payload="messages", sock=P(None),
        messages=B(PAYLOAD, wrap=lambda v: [v, ([v], [], None)]),
        flags=I(0)),
    "afalg.sendmsg_afalg": E(lambda c, msg, op, iv, assoclen, flags:
                              c.a.sendmsg_afalg(msg, op=op, iv=iv,
                                                assoclen=assoclen,
                                                flags=flags),
                              "alg", payload="msg",
                              msg=B(PAYLOAD, wrap=lambda v: [v]), op=I(0),
                              iv=B(b"\x11" * 16), assoclen=I(0), flags=I(0)),
    # --- module-level functions of the stdlib ---
    "ancillary.CMSG_LEN": E(lambda c, length: c.mod.CMSG_LEN(length),
                            twin=True, length=I(4)),
    "ancillary.CMSG_SPACE": E(lambda c, length: c.mod.CMSG_SPACE(length),
                              twin=True, length=I(4)),
    "inet.htonl": E(lambda c, x: c.mod.htonl(x), twin=True, x=I(1)),
    "inet.htons": E(lambda c, x: c.mod.htons(x), twin=True, x=I(1)),
    "inet.ntohl": E(lambda c, x: c.mod.ntohl(x), twin=True, x=I(1)),
    "inet.ntohs": E(lambda c, x: c.mod.ntohs(x), twin=True, x=I(1)),
    "inet.inet_ntoa": E(lambda c, packed_ip: c.mod.inet_ntoa(packed_ip),
                   twin=True, packed_ip=B(b"\x7f\0\0\1")),
    "inet.inet_ntop": E(lambda c, family, packed_ip: c.mod.inet_ntop(
        family, packed_ip), twin=True, family=I(stdlib.AF_INET6),
        packed_ip=B(bytes(range(16)))),
    "inet.inet_pton": E(lambda c, family, ip_string: c.mod.inet_pton(
        family, ip_string), twin=True, family=I(stdlib.AF_INET),
        ip_string=P("127.0.0.1")),
    "dup": E(lambda c, fd: _closing(c.mod.dup(fd)), "fd", twin=True,
             fd=I(FIXED_FD)),
    "fromfd": E(lambda c, fd, family, type, proto: _closing(c.mod.fromfd(
        fd, family, type, proto)), "fd", twin=True, fd=I(FIXED_FD),
        family=I(stdlib.AF_UNIX), type=I(stdlib.SOCK_STREAM), proto=I(0)),
    "socketpair": E(lambda c, family, type, proto: _closing(
        c.mod.socketpair(family, type, proto)), twin=True,
        family=I(stdlib.AF_UNIX), type=I(stdlib.SOCK_STREAM), proto=I(0)),
    "create_server": E(lambda c, address, family, backlog, reuse_port,
                       dualstack_ipv6: _closing(c.mod.create_server(
                           ("127.0.0.1", 0), family=family,
                           backlog=backlog)), twin=True,
                       family=I(stdlib.AF_INET), backlog=I(5),
                       address=P(None), reuse_port=P(False),
                       dualstack_ipv6=P(False)),
    "resolver.getaddrinfo": E(lambda c, host, port, family, type, proto, flags:
                     c.mod.getaddrinfo("127.0.0.1", port, family, type,
                                       proto, flags), twin=True,
                     host=P(None), port=I(80), family=I(stdlib.AF_INET),
                     type=I(stdlib.SOCK_STREAM), proto=I(0),
                     flags=I(stdlib.AI_NUMERICHOST)),
    "resolver.getnameinfo": E(lambda c, sockaddr, flags: c.mod.getnameinfo(
        ("127.0.0.1", 80), flags), twin=True, sockaddr=P(None),
        flags=I(stdlib.NI_NUMERICHOST | stdlib.NI_NUMERICSERV)),
    "resolver.getservbyport": E(lambda c, port, protocolname:
                                c.mod.getservbyport(port, "tcp"), twin=True,
                                port=I(80), protocolname=P("tcp")),
    "resolver.if_indextoname": E(lambda c, if_index:
                                 c.mod.if_indextoname(if_index), twin=True,
                                 if_index=I(1)),
    "send_fds": E(lambda c, sock, buffers, fds, flags, address:
                  c.mod.send_fds(c.a, buffers, fds, flags), "stream",
                  twin=True, payload="buffers", sock=P(None),
                  buffers=B(PAYLOAD, wrap=lambda v: [v]),
                  fds=I(0, wrap=lambda v: [v]), flags=I(0),
                  address=P(None)),
    "recv_fds": E(lambda c, sock, bufsize, maxfds, flags: _recv_fds_result(
        c.mod.recv_fds(c.a, bufsize, maxfds, flags)), "stream-data",
        twin=True, sock=P(None), bufsize=I(16, alloc=True),
        maxfds=I(1, alloc=True), flags=I(0)),
    # --- sockcffi's own modules ---
    "records.decode": E(lambda c, cname, data, valid: tuple(_m(
        "records").decode("struct tcp_info", data, valid)),
        cname=P(None), data=B(bytes(range(1, 233))), valid=I(232)),
    "records.encode": E(lambda c, cname, value, family_hint: bytes(
        _m("records").ffi.buffer(_m("records").encode(
            "struct in6_addr", value, family_hint))),
        cname=P(None), value=B(bytes(range(16))), family_hint=P(None)),
    "options.get": E(lambda c, sock, level, option, buflen: _m(
        "options").get(c.a, level, option, buflen), "stream", sock=P(None),
        level=I(SO), option=I(stdlib.SO_RCVBUF), buflen=P(None)),
    "options.set": E(lambda c, sock, level, option, value: (
        _m("options").set(c.a, level, option, value),
        c.a.getsockopt(SO, stdlib.SO_KEEPALIVE)), "stream", sock=P(None),
        level=I(SO), option=I(stdlib.SO_KEEPALIVE), value=I(1)),
    # A second entry of one callable: NAME#what.  A bytes-like value is
    # passed as it is: the kernel reads exactly the view's bytes.
    "options.set#raw": E(lambda c, sock, level, option, value: (
        _m("options").set(c.a, level, option, value),
        c.a.getsockopt(stdlib.IPPROTO_IP, stdlib.IP_MULTICAST_IF, 4)),
        "udp", sock=P(None), level=I(stdlib.IPPROTO_IP),
        option=I(stdlib.IP_MULTICAST_IF), value=B(b"\x7f\0\0\x01")),
    "options.ctype": E(lambda c, level, option: _m("options").ctype(
        level, option), level=I(SO), option=I(stdlib.SO_LINGER)),
    "options.record_type": E(lambda c, level, option: repr(_m(
        "options").record_type(level, option)), level=I(SO),
        option=I(stdlib.SO_LINGER)),
    "cmsg.decode": E(lambda c, ancdata: [tuple(m) for m in _m(
        "cmsg").decode(ancdata)], ancdata=B(
            b"\x01\0\0\0", wrap=lambda v: [(stdlib.IPPROTO_IP,
                                           stdlib.IP_TTL, v)])),
    "cmsg.decode_one": E(lambda c, level, kind, data: repr(_m(
        "cmsg").decode_one(level, kind, data)), level=I(stdlib.IPPROTO_IPV6),
        kind=I(stdlib.IPV6_PKTINFO), data=B(bytes(range(20)))),
    "cmsg.encode": E(lambda c, level, kind, value: _m("cmsg").encode(
        level, kind, value), level=I(stdlib.IPPROTO_IP),
        kind=I(stdlib.IP_TTL), value=B(b"\x05\0\0\0", ints=True)),
    "cmsg.ctype": E(lambda c, level, kind: _m("cmsg").ctype(level, kind),
                    level=I(stdlib.IPPROTO_IP), kind=I(stdlib.IP_TTL)),
    "cmsg.rights": E(lambda c, fds: _m("cmsg").rights(fds),
                     fds=I(3, wrap=lambda v: [v])),
    "cmsg.credentials": E(lambda c, pid, uid, gid: _m("cmsg").credentials(
        pid, uid, gid), pid=I(1), uid=I(0), gid=I(0)),
    "cmsg.ip_pktinfo": E(lambda c, ipi_ifindex, ipi_spec_dst, ipi_addr: _m(
        "cmsg").ip_pktinfo(ipi_ifindex, ipi_spec_dst, ipi_addr),
        ipi_ifindex=I(1), ipi_spec_dst=B(b"\x7f\0\0\1"),
        ipi_addr=B(b"\x7f\0\0\2")),
    "cmsg.ipv6_pktinfo": E(lambda c, ipi6_addr, ipi6_ifindex: _m(
        "cmsg").ipv6_pktinfo(ipi6_addr, ipi6_ifindex),
        ipi6_addr=B(bytes(range(16))), ipi6_ifindex=I(1)),
    "cmsg.ip_ttl": E(lambda c, ttl: _m("cmsg").ip_ttl(ttl), ttl=I(64)),
    "cmsg.ipv6_hoplimit": E(lambda c, hops: _m("cmsg").ipv6_hoplimit(hops),
                            hops=I(64)),
    "cmsg.ip_tos": E(lambda c, tos: _m("cmsg").ip_tos(tos), tos=I(16)),
    "cmsg.ipv6_tclass": E(lambda c, tclass: _m("cmsg").ipv6_tclass(tclass),
                          tclass=I(16)),
    "cmsg.udp_segment": E(lambda c, size: _m("cmsg").udp_segment(size),
                          size=I(1200)),
    "cmsg.txtime": E(lambda c, nanoseconds: _m("cmsg").txtime(nanoseconds),
                     nanoseconds=I(10 ** 9)),
    "tls.SocketTLS.write": E(lambda c, data: c.a.write(data), "tls",
                             payload="data", data=B(PAYLOAD)),
    "tls.SocketTLS.read": E(lambda c, len, buffer: (c.a.read(len, buffer),
                                                    _view(buffer)),
                            "tls-data", len=I(16), buffer=W(32)),
}

REASONS = {
    "socket.bind": "address conversion: the buffer class's AF_UNIX.bind "
                   "and AF_INET.host cases",
    "socket.connect": "address conversion, as bind",
    "socket.connect_ex": "address conversion, as bind",
    "socket.settimeout": "a float (the int class's settimeout cases)",
    "socket.setblocking": "a truth value",
    "socket.set_inheritable": "a truth value",
    "socket.makefile": "Python-level SocketIO over recv_into/send",
    "interop.from_stdlib": "descriptor ownership: the interop race cases",
    "socket.from_stdlib": "interop.from_stdlib's classmethod",
    "interop.to_stdlib": "descriptor ownership: the interop race cases",
    "close": "closes whatever number it is given; its conversion "
             "(_args.socket_fd) is dup()'s, attacked there",
    "create_connection": "address and float timeout: text and tuples only",
    "setdefaulttimeout": "a float",
    "resolver.sethostname": "would rename this machine; its conversion is "
                   "_args.fs_path, attacked through AF_UNIX.bind",
    "resolver.getfqdn": "text only",
    "resolver.gethostbyname": "text only",
    "resolver.gethostbyname_ex": "text only",
    "resolver.gethostbyaddr": "text only",
    "resolver.getprotobyname": "text only",
    "resolver.getservbyname": "text only",
    "resolver.if_nametoindex": "text only",
    "inet.inet_aton": "text only",
    "patch": "switches sys.modules; no C argument",
    "unpatch": "switches sys.modules back; no C argument",
    "records.struct": "a struct name (text), looked up",
    "records.fields_of": "a struct name (text), looked up",
    "records.record_of": "pure Python, no C call",
    "records.to_dict": "pure Python, no C call",
    "records.format_value": "pure Python, no C call",
    "cmsg.ControlMessage": "a namedtuple", "cmsg.RecvError": "a namedtuple",
    "tls.SocketTLS": "made by SSLContext.wrap_socket (tls context here); "
                     "its I/O methods have entries",
    "tls.install": "a truth value", "tls.uninstall": "no argument",
    "tls.installed": "no argument",
    "tls.SocketTLS.do_handshake": "no argument",
    "tls.SocketTLS.shutdown": "no argument",
}
def _payload_file():
    import tempfile
    f = tempfile.TemporaryFile()
    f.write(PAYLOAD)
    f.seek(0)
    return f


def kind_of(entry, param):
    """The Kind of a parameter: the entry's, else by name (plain)."""
    if param in entry.args:
        return entry.args[param]
    return None


def uncovered():
    """Public callables with neither an entry nor a reason, and entry
    parameters of unknown kind: [(name, what is missing)]."""
    extra = [n for n in ENTRIES if "#" in n
             and n.split("#")[0] not in ENTRIES]
    missing = [(n, "extra entry of no entry") for n in extra]
    for name, func in public_callables().items():
        params = parameters(func)
        if name in REASONS:
            continue
        if name not in ENTRIES:
            if not params:
                continue          # nothing to attack
            missing.append((name, "no entry and no reason"))
            continue
        for p in params:
            if p not in ENTRIES[name].args and p not in KINDS:
                missing.append((name, "parameter %r of unknown kind" % p))
            elif p not in ENTRIES[name].args:
                missing.append((name, "parameter %r has no good value" % p))
    return missing


# --- running one call, judging it --------------------------------------------

def run_call(entry, mod, param, value):
    """("ok", result, observation) or ("raise", class name)."""
    c = make_context(mod, entry.context)
    try:
        args = {p: k.good_value() for p, k in entry.args.items()}
        if param is not None:
            args[param] = entry.args[param].value(value)
        try:
            result = entry.call(c, **args)
        except Exception as e:      # noqa: BLE001 - the class is the point
            name = type(e).__name__
            if name in ("timeout", "TimeoutError"):
                name = "timeout"
            c.observe()
            return ("raise", name, isinstance(e, CLEAN))
        return ("ok", _plain(result), _plain(c.observe()))
    finally:
        c.close()


def _plain(value):
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class SurfaceFailure(AssertionError):
    pass


def judge(hostile, honest, rule, what):
    """Raise SurfaceFailure when ``hostile`` breaks ``rule`` against the
    ``honest`` outcome."""
    if hostile[0] == "raise" and not hostile[2]:
        raise SurfaceFailure("%s: unclean exception %s" % (what, hostile[1]))
    if rule is None or hostile == honest:
        return
    if rule == "raise":
        if hostile[0] != "raise":
            raise SurfaceFailure("%s: accepted (%r), should raise"
                                 % (what, hostile[1:]))
        return
    if hostile[0] == "raise":
        if rule == "same|raise" or (rule == "same|TypeError"
                                    and hostile[1] == "TypeError"):
            return
        raise SurfaceFailure("%s: raised %s where the honest value gives %r"
                             % (what, hostile[1], honest[:2]))
    if honest[0] == "ok" and hostile[2] != honest[2]:
        raise SurfaceFailure("%s: foreign bytes: the peer got %r, the "
                             "honest value sends %r"
                             % (what, repr(hostile[2])[:120],
                                repr(honest[2])[:120]))
    raise SurfaceFailure("%s: gave %r where the honest value gives %r"
                         % (what, repr(hostile[1:])[:160],
                            repr(honest[1:])[:160]))


def _comparable(outcome):
    return repr(outcome[:2] if outcome[0] == "raise" else outcome)


def surface_cases(case, long_mode=False):
    """Register the generated cases with ``case(klass, name, kind)``: every
    variant of every parameter with ``long_mode``, else a third of them
    (which third turns with the parameter's name, so that every variant
    runs for some parameters), and every resize and race case."""
    for name in sorted(ENTRIES):
        entry = ENTRIES[name]
        if (entry.context or "").startswith("tls") and _certificate() is None:
            continue
        for param in sorted(entry.args):
            turn = zlib.crc32(("%s.%s" % (name, param)).encode())
            for i, (vname, hostile, honest, rule) in enumerate(
                    entry.args[param].variants()):
                if long_mode or (i + turn) % 3 == 0:
                    _register(case, name, entry, param, vname, hostile,
                              honest, rule)
        param = entry.payload
        if param:
            _register_resize(case, name, entry, param)
            if entry.context in ("stream", "dgram", "alg", "tls"):
                for blocking in (False, True):
                    _register_thread_resize(case, name, entry, param,
                                            blocking)
    for direction in ("from_stdlib", "to_stdlib"):
        case("surface", "interop.%s=closed-by-another-thread" % direction,
             "safe")(_interop_race(direction))


_HONEST = {}      # (entry, parameter, honest value) -> its outcome


def _unavailable(entry):
    """Why this build cannot run the entry's calls (checked in the child:
    the parent that lists the cases may be a CPython without sockcffi)."""
    if entry.context == "alg" and not _m("afalg").AVAILABLE:
        return "skipped: this build has no AF_ALG"
    return None


def _register(case, name, entry, param, vname, hostile, honest, rule):
    what = "%s(%s=%s)" % (name, param, vname)

    def run(mod):
        if _unavailable(entry):
            return _unavailable(entry)
        got = run_call(entry, mod, param, hostile)
        if mod is stdlib:
            return _comparable(got)
        ref = None
        if honest is not _NO:
            # Many hostile values stand for the same honest one: call it
            # once per child.
            key = (name, param, type(honest).__name__, repr(honest))
            if key not in _HONEST:
                _HONEST[key] = run_call(entry, mod, param, honest)
            ref = _HONEST[key]
        try:
            judge(got, ref, rule, what)
        except SurfaceFailure:
            # The stdlib's own Python code (create_server, sendfile) may
            # compare before it converts: what it does with the same
            # value is the answer for a twin.
            if not entry.twin or _comparable(run_call(
                    entry, stdlib, param, hostile)) != _comparable(got):
                raise
        return _comparable(got)
    case("surface", "%s.%s=%s" % (name, param, vname),
         "diff" if entry.twin else "safe")(run)


def _interop_race(direction, rounds=300):
    """Convert while another thread closes the source, the freed numbers
    reused at once: afterwards every open descriptor of this case belongs
    to exactly one live object, every live object's is open, and closing
    each one never fails with EBADF."""
    def run(mod):
        import errno
        import sockcffi
        before = set(os.listdir("/proc/self/fd"))
        live, sources = [], []
        for _ in range(rounds):
            if direction == "from_stdlib":
                src = stdlib.socket(stdlib.AF_INET, stdlib.SOCK_DGRAM)
                convert = sockcffi.socket.from_stdlib
            else:
                src = sockcffi.socket(stdlib.AF_INET, stdlib.SOCK_DGRAM)
                convert = type(src).to_stdlib
            sources.append(src)
            closer = threading.Thread(target=src.close)
            closer.start()
            try:
                live.append(convert(src))
            except OSError:
                pass
            closer.join(JOIN)
            live.append(stdlib.socket())          # reuse what was freed
            live.append(sockcffi.socket())
        owners = {}
        for obj in live:
            owners.setdefault(obj.fileno(), []).append(obj)
        now = {int(n) for n in set(os.listdir("/proc/self/fd")) - before
               if os.path.exists("/proc/self/fd/" + n)}
        twice = [fd for fd, objs in owners.items() if len(objs) > 1]
        unowned = now - set(owners)
        gone = [fd for fd in owners if fd < 0 or not os.path.exists(
            "/proc/self/fd/%d" % fd)]
        bad_close = 0
        for obj in live:
            try:
                obj.close()
            except OSError as e:
                bad_close += e.errno == errno.EBADF
        problems = []
        if twice:
            problems.append("descriptors owned twice: %s" % twice[:5])
        if unowned:
            problems.append("open descriptors nobody owns: %s"
                            % sorted(unowned)[:5])
        if gone:
            problems.append("live objects on closed numbers: %s" % gone[:5])
        if bad_close:
            problems.append("%d closes failed with EBADF" % bad_close)
        if problems:
            raise SurfaceFailure("interop.%s: %s" % (direction,
                                                     "; ".join(problems)))
        return "one owner each"
    return run


def _register_resize(case, name, entry, param):
    """The caller's own code (``__index__`` of an int argument, or of a
    parameter the call converts after the buffer) grows the bytearray and
    overwrites it while the call runs: the peer gets only its bytes."""
    ints = [p for p in sorted(entry.args) if entry.args[p].kind == "int"]
    if not ints:
        return
    size = 65536

    def run(mod):
        if _unavailable(entry):
            return _unavailable(entry)
        buf = bytearray(b"A" * size)

        def resize():
            try:
                buf.extend(b"B" * (1 << 20))
                buf[:size] = b"Z" * size
            except BufferError:
                pass              # pinned while exported (CPython)
        c = make_context(mod, entry.context)
        try:
            args = {p: k.good_value() for p, k in entry.args.items()}
            args[param] = entry.args[param].value(buf)
            for p in ints:
                k = entry.args[p]
                args[p] = k.value(IndexOnly(k.good, resize))

            def caller():
                try:
                    entry.call(c, **args)
                except CLEAN:
                    pass
            # The call runs in a thread while this one drains the peer:
            # a grown buffer may be more than the socket holds.
            t = threading.Thread(target=caller, daemon=True)
            t.start()
            seen = _received_while(t, c, name)
        finally:
            c.close()
        _only_bytes_of(seen, b"AZB", name + ": after a resize")
        return "only the buffer's bytes"
    case("surface", "%s.%s=resized-by-__index__" % (name, param),
         "safe")(run)


def _fill(sock):
    """Fill the socket's send buffer, so that the next send waits."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        while True:
            sock.send(b"F" * 4096)
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.settimeout(timeout)


def _register_thread_resize(case, name, entry, param, blocking):
    """Another thread grows and overwrites the bytearray while the call
    waits (a full socket, or a TLS peer that does not read yet): the peer
    gets only bytes that were in it ('A' before, 'Z'/'B' after) or the
    filler ('F'), never freed memory."""
    # A datagram or record must fit the socket's buffer once it drains.
    size = 1 << 20 if entry.context in ("stream", "tls") else 1 << 15

    def run(mod):
        if _unavailable(entry):
            return _unavailable(entry)
        buf = bytearray(b"A" * size)
        tls_call = entry.context.startswith("tls")
        c = make_context(mod, "tls-gated" if tls_call else entry.context)
        ident, done = {}, {}
        try:
            c.a.settimeout(None if blocking else JOIN) if not tls_call \
                else c.raw_client.settimeout(None if blocking else JOIN)
            if not tls_call:
                _fill(c.a)
            args = {p: k.good_value() for p, k in entry.args.items()}
            args[param] = entry.args[param].value(buf)

            def caller():
                ident["tid"] = threading.get_native_id()
                try:
                    done["r"] = entry.call(c, **args)
                except CLEAN as e:
                    done["r"] = type(e).__name__
            t = threading.Thread(target=caller, daemon=True)
            t.start()
            deadline = time.monotonic() + JOIN
            while "tid" not in ident and time.monotonic() < deadline:
                time.sleep(0.001)
            if not wait_until_blocked(ident["tid"]):
                raise SurfaceFailure("%s: the call never waited" % name)
            try:
                buf.extend(b"B" * size)
                buf[:size] = b"Z" * size
            except BufferError:
                pass              # pinned while exported (CPython)
            seen = _received_while(t, c, name)
        finally:
            c.close()
        _only_bytes_of(seen, b"AZBF",
                       name + ": after a resize by another thread")
        return "only the buffer's bytes (%r)" % (done.get("r"),)
    case("surface", "%s.%s=resized-by-another-thread-%s" % (
        name, param, "blocking" if blocking else "timed"), "safe")(run)


def _received_while(thread, c, name):
    """What the peer receives while ``thread`` (the call) runs and after:
    drained as it comes (a grown buffer may be more than a socket holds),
    or, for TLS, what the server read once the call is over."""
    tls_peer = isinstance(c, TLSContext)
    if tls_peer:
        c.go.set()                      # the server reads from now on
    seen = []
    deadline = time.monotonic() + JOIN
    while thread.is_alive() and time.monotonic() < deadline:
        if c.peer is not None and not tls_peer:
            seen.extend(_drain(c.peer))
        thread.join(0.01)
    if thread.is_alive():
        raise SurfaceFailure("%s: hung after a resize" % name)
    seen.extend(c.observe() or [])
    return seen


def _only_bytes_of(seen, allowed, what):
    data = b"".join(x for x in _flatten(seen) if isinstance(x, bytes))
    stray = set(data) - set(allowed)
    if stray:
        raise SurfaceFailure("%s: foreign bytes %r"
                             % (what, bytes(sorted(stray))[:40]))


def _flatten(items):
    for x in items if isinstance(items, list) else [items]:
        if isinstance(x, list):
            yield from _flatten(x)
        else:
            yield x
