"""The front of `ptce serve`: whole requests only, and a fair share of the server for every client.

gunicorn's sync workers read requests themselves, one at a time, so a few clients that send slowly hold every
worker (bench/RESULTS.md, "Serving: slow clients"). The front is one asyncio process in front of them. It accepts
every connection, reads the request head (within `header_timeout`) and the whole body (within `body_timeout`, at
most `max_body` bytes, chunked bodies decoded), and only then hands the complete request to a server process over
a Unix socket; it reads the whole answer back and sends it at the client's pace. A slow or idle connection costs
a few kilobytes of the front's memory and no server process. Answers the server marks as shareable (a
published build's pages, data and query answers) are kept and given again by the front itself (`AnswerCache`).

Fair share, in the spirit of the Wikidata Query Service: server processes are slots, and a client (its address,
or behind a trusted reverse proxy the address that proxy forwards) waits for one in its own queue.

- A free slot goes to the waiting client with the fewest requests running, then the least server time used
  recently (a decaying sum, half-life `half_life` seconds).
- The last free slot goes only to a client that has nothing running, so one client's queries of death can never
  take every slot: another client's simple query always finds one. A lone client uses all slots but one, and
  waits in its queue for the rest; it is never refused for being alone.
- `429 Too Many Requests` with `Retry-After` answers a client whose own queue is full (`max_queue`), or whose
  recent server time passed `budget` seconds while other clients are waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import os
import signal
import time
from collections import deque
from dataclasses import dataclass, field

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
              "proxy-connection", "proxy-authorization", "proxy-authenticate", "expect"}  # fmt: skip
MAX_HEAD = 16 * 1024
LINGER_SECONDS = 2.0  # how long a refused client's remaining body is read and dropped, at most
LINGER_BYTES = 1 << 20


@dataclass(frozen=True)
class FrontConfig:
    backend: str  # the Unix socket the server processes listen on
    slots: int  # how many requests the server processes answer at once
    max_body: int = 64 * 1024
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    idle_timeout: float = 15.0
    send_timeout: float = 60.0
    backend_timeout: float = 120.0
    max_queue: int = 256
    budget: float = 60.0
    half_life: float = 60.0
    trusted_proxies: frozenset[str] = frozenset()
    cache_bytes: int = 64 * 1024**2
    reload_grace: float = 30.0  # seconds old server processes may still answer after a reload


class Refused(Exception):
    """An answer the front gives itself: status, message and extra headers."""

    def __init__(self, status: int, message: str, headers: tuple[tuple[str, str], ...] = ()):
        super().__init__(message)
        self.status = status
        self.headers = headers


@dataclass
class _Client:
    running: int = 0
    waiting: deque = field(default_factory=deque)
    cost: float = 0.0  # server seconds, decayed
    stamp: float = field(default_factory=time.monotonic)

    def decayed(self, half_life: float, now: float) -> float:
        self.cost *= 0.5 ** ((now - self.stamp) / half_life)
        self.stamp = now
        return self.cost


class FairShare:
    """Slots of the server shared between clients (see the module docstring)."""

    def __init__(self, slots: int, max_queue: int, budget: float, half_life: float):
        self.slots = slots
        self.free = slots
        self.max_queue = max_queue
        self.budget = budget
        self.half_life = half_life
        self.clients: dict[str, _Client] = {}
        self._order = itertools.count()

    def _client(self, name: str) -> _Client:
        return self.clients.setdefault(name, _Client())

    def _may_run(self, client: _Client) -> bool:
        return self.free > 1 or (self.free == 1 and (client.running == 0 or self.slots == 1))

    def _others_waiting(self, name: str) -> bool:
        return any(c.waiting for n, c in self.clients.items() if n != name)

    @contextlib.asynccontextmanager
    async def turn(self, name: str):
        """Hold a slot for client `name` while the block runs; raises Refused (429) when it must not wait."""
        client = self._client(name)
        now = time.monotonic()
        if client.decayed(self.half_life, now) > self.budget and self._others_waiting(name):
            retry = math.ceil(self.half_life * math.log2(client.cost / self.budget)) + 1
            raise Refused(
                429, f"Too much server time used recently; retry in {retry} s.", (("Retry-After", str(retry)),)
            )
        if not (self._may_run(client) and not client.waiting):
            if len(client.waiting) >= self.max_queue:
                raise Refused(
                    429, f"More than {self.max_queue} requests of yours are waiting.", (("Retry-After", "1"),)
                )
            ready = asyncio.get_running_loop().create_future()
            client.waiting.append(ready)
            try:
                await ready
            except asyncio.CancelledError:
                if ready.done() and not ready.cancelled():
                    self._release(client)  # granted just as the client went away
                else:
                    client.waiting.remove(ready)
                raise
        else:
            self.free -= 1
            client.running += 1
        started = time.monotonic()
        try:
            yield
        finally:
            client.decayed(self.half_life, time.monotonic())
            client.cost += time.monotonic() - started
            self._release(client)

    def _release(self, client: _Client) -> None:
        client.running -= 1
        self.free += 1
        self._grant()

    def _grant(self) -> None:
        """Give free slots to waiting clients: fewest running first, then least recent server time."""
        now = time.monotonic()
        while self.free > 0:
            candidates = [
                (c.running, c.decayed(self.half_life, now), next(self._order), c)
                for c in self.clients.values()
                if c.waiting and self._may_run(c)
            ]
            if not candidates:
                break
            client = heapq.nsmallest(1, candidates, key=lambda t: t[:3])[0][3]
            ready = client.waiting.popleft()
            if ready.done():  # cancelled while waiting
                continue
            self.free -= 1
            client.running += 1
            ready.set_result(None)
        for name in [n for n, c in self.clients.items() if not c.running and not c.waiting and c.cost < 0.01]:
            del self.clients[name]


BUILD_HEADER = b"x-ptce-build"
CACHE_HEADER = "X-Front-Cache"
VARY_KEPT = {b"accept", b"accept-language", b"cookie"}  # what a kept answer may vary on (see AnswerCache)


class AnswerCache:
    """Answers the server marked as shareable, kept by the front and given again without asking the server.

    Kept: answers to GET with status 200, `Cache-Control: public`, a strong `ETag`, `Vary` at most `Accept`,
    `Accept-Language` and `Cookie`, and the build that made them (`X-Ptce-Build`); keyed by the request target, its
    `Accept` and its `Accept-Language`. An answer from another build than the last one seen empties the cache (the
    server was reloaded). Requests with credentials, cookies or ranges are never answered from it (so an answer
    that varies on cookies is only ever given to requests without one, like the one that made it). At most
    `max_bytes` are kept, least recently used dropped first.
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.items: dict[tuple[str, str, str], tuple[dict[bool, bytes], bytes, int]] = {}  # (answers, ETag, size)
        self.size = 0
        self.build: bytes | None = None
        self.suspect: bytes | None = None  # the build in service when a reload was asked for
        self.suspect_until = 0.0

    def reloading(self, grace: float) -> None:
        """A reload was asked for: drop everything, and keep no answer of the current build for `grace` seconds
        (old server processes finish their requests meanwhile; past it, that build is the one in service: the
        reload was refused)."""
        self.items.clear()
        self.size = 0
        self.suspect, self.suspect_until, self.build = self.build, time.monotonic() + grace, None

    @staticmethod
    def key(request: Request) -> tuple[str, str, str] | None:
        if request.method != "GET" or any(request.header(h) for h in ("authorization", "cookie", "range")):
            return None
        return request.target, request.header("accept") or "", request.header("accept-language") or ""

    def lookup(self, request: Request) -> bytes | None:
        """The kept answer (or a 304 for a matching If-None-Match), set for the client's connection."""
        key = self.key(request)
        found = self.items.pop(key, None) if key else None
        if found is None:
            return None
        self.items[key] = found  # most recently used last
        ready, etag, _ = found
        if_none_match = request.header("if-none-match")
        if if_none_match and etag in [t.strip().encode() for t in if_none_match.split(",")]:
            head = ready[True].split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            kept = (b"etag:", b"cache-control:", b"vary:", b"date:", CACHE_HEADER.lower().encode())
            lines = [ln for ln in head[1:] if ln.lower().startswith(kept)]
            not_modified = b"\r\n".join([b"HTTP/1.1 304 Not Modified", *lines]) + b"\r\n\r\n"
            return set_connection(not_modified, request.keep_alive)
        return ready[request.keep_alive]

    def offer(self, request: Request, answer: bytes) -> None:
        key = self.key(request)
        head = answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        fields = {}
        for line in head[1:]:
            name, _, value = line.partition(b":")
            fields[name.strip().lower()] = value.strip()
        build = fields.get(BUILD_HEADER)
        if build is None or (build == self.suspect and time.monotonic() < self.suspect_until):
            return
        if build != self.build:  # a build not seen before: nothing kept is current
            self.items.clear()
            self.size = 0
            self.build = build
        control = fields.get(b"cache-control", b"").lower()
        vary = {v.strip() for v in fields.get(b"vary", b"").lower().split(b",") if v.strip()}
        etag = fields.get(b"etag", b"")
        shareable = b"public" in control and b"no-store" not in control and b"private" not in control
        if key is None or not head[0].startswith(b"HTTP/1.1 200") or not shareable or vary - VARY_KEPT:
            return
        if not etag.startswith(b'"') or len(answer) > self.max_bytes // 16:
            return
        head, sep, body = answer.partition(b"\r\n\r\n")
        marked = head + f"\r\n{CACHE_HEADER}: hit".encode() + sep + body
        ready = {True: set_connection(marked, True), False: set_connection(marked, False)}
        size = len(ready[True]) + len(ready[False])
        self.items[key] = (ready, etag, size)
        self.size += size
        while self.size > self.max_bytes:
            self.size -= self.items.pop(next(iter(self.items)))[2]


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("connection") or "").lower()
        return "close" not in connection if self.version == "HTTP/1.1" else "keep-alive" in connection


async def read_head(reader: asyncio.StreamReader, timeout: float) -> Request | None:
    """The request line and headers (None: the client closed the connection before sending one)."""
    try:
        async with asyncio.timeout(timeout):  # cheaper than wait_for: no task per request
            raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise Refused(400, "The request ended before its headers did.") from None
    except asyncio.LimitOverrunError:
        raise Refused(431, f"The request head is longer than {MAX_HEAD} bytes.") from None
    except TimeoutError:
        raise Refused(408, f"The request head did not arrive within {timeout:g} s.") from None
    text = raw.decode("latin-1")
    if any(c in text[:-4].replace("\r\n", "") for c in "\r\n\x00"):  # a bare CR or LF could split a header
        raise Refused(400, "Malformed request head: a line break or NUL inside a line.")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise Refused(400, "Malformed request line.")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise Refused(400, "Malformed header line.")
        headers.append((name, value.strip()))
    return Request(parts[0], parts[1], parts[2], headers)


async def read_body(reader: asyncio.StreamReader, request: Request, limit: int, timeout: float) -> bytes:
    """The whole body (chunked bodies decoded), or Refused (413 past `limit`, 408 past `timeout`)."""
    too_long = Refused(413, f"The request body is longer than {limit} bytes.")

    async def chunked() -> bytes:
        parts, size = [], 0
        while True:
            line = await reader.readuntil(b"\r\n")
            length = int(line.split(b";", 1)[0].strip() or b"x", 16)
            if length == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            size += length
            if size > limit:
                raise too_long
            parts.append(await reader.readexactly(length))
            await reader.readexactly(2)

    async def read() -> bytes:
        if "chunked" in (request.header("transfer-encoding") or "").lower():
            return await chunked()
        length = request.header("content-length")
        if length is None:
            return b""
        if not length.isdigit():
            raise Refused(400, "Malformed Content-Length.")
        if int(length) > limit:
            raise too_long
        return await reader.readexactly(int(length))

    if request.header("content-length") is None and request.header("transfer-encoding") is None:
        return b""
    try:
        async with asyncio.timeout(timeout):
            return await read()
    except TimeoutError:
        raise Refused(408, f"The request body did not arrive within {timeout:g} s.") from None
    except (asyncio.IncompleteReadError, ValueError, asyncio.LimitOverrunError):
        raise Refused(400, "The request body is malformed or ended early.") from None


def plain(status: int, message: str, headers: tuple[tuple[str, str], ...] = (), close: bool = True) -> bytes:
    body = (message.rstrip() + "\n").encode()
    reason = {400: "Bad Request", 408: "Request Timeout", 413: "Content Too Large", 429: "Too Many Requests",
              431: "Request Header Fields Too Large", 502: "Bad Gateway", 503: "Service Unavailable"}  # fmt: skip
    lines = [f"HTTP/1.1 {status} {reason.get(status, 'Error')}", "Content-Type: text/plain; charset=utf-8",
             f"Content-Length: {len(body)}", "X-Content-Type-Options: nosniff", "Access-Control-Allow-Origin: *",
             *(f"{k}: {v}" for k, v in headers), f"Connection: {'close' if close else 'keep-alive'}"]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Front:
    """The asyncio server: one per `ptce serve`, in front of the server processes' Unix socket."""

    def __init__(self, config: FrontConfig):
        self.config = config
        self.share = FairShare(config.slots, config.max_queue, config.budget, config.half_life)
        self.cache = AnswerCache(config.cache_bytes)
        self.connections: set[asyncio.StreamWriter] = set()

    def client_of(self, peer: str, request: Request) -> str:
        """The client a request counts for: its address, or the one a trusted proxy forwards."""
        forwarded = request.header("x-forwarded-for")
        if peer not in self.config.trusted_proxies or not forwarded:
            return peer
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        return next((h for h in reversed(hops) if h not in self.config.trusted_proxies), peer)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        peer = (writer.get_extra_info("peername") or ("unix",))[0]
        first = True
        try:
            while True:
                timeout = self.config.header_timeout if first else self.config.idle_timeout
                try:
                    request = await read_head(reader, timeout)
                    if request is None:
                        return
                    if (request.header("expect") or "").lower() == "100-continue":  # the client waits for this
                        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                    request.body = await read_body(reader, request, self.config.max_body, self.config.body_timeout)
                except Refused as refused:
                    if refused.status != 408 or first:  # an idle keep-alive connection just closes
                        writer.write(plain(refused.status, str(refused), refused.headers))
                        await self.drain(writer)
                        await linger(reader, writer)
                    return
                first = False
                answer = self.cache.lookup(request)
                if answer is None:
                    try:
                        async with self.share.turn(self.client_of(peer, request)):
                            answer = await self.forward(request, peer)
                        self.cache.offer(request, answer)
                    except Refused as refused:
                        answer = plain(refused.status, str(refused), refused.headers, close=not request.keep_alive)
                writer.write(answer)
                await self.drain(writer)
                if not request.keep_alive or answer_closes(answer):
                    return
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError):
            return
        finally:
            self.connections.discard(writer)
            writer.close()

    async def drain(self, writer: asyncio.StreamWriter) -> None:
        """Wait until the client has taken what was written, at most `send_timeout` (most answers fit the buffer)."""
        if writer.transport.get_write_buffer_size() > 0:
            async with asyncio.timeout(self.config.send_timeout):
                await writer.drain()

    async def forward(self, request: Request, peer: str) -> bytes:
        """Send the whole request to a server process; its whole answer, set for the client's connection."""
        try:
            reader, writer = await asyncio.open_unix_connection(self.config.backend, limit=MAX_HEAD)
        except OSError:
            raise Refused(
                503, "The server is starting or stopping; retry in a moment.", (("Retry-After", "1"),)
            ) from None
        try:
            head = [f"{request.method} {request.target} HTTP/1.1"]
            head += [f"{k}: {v}" for k, v in request.headers if k.lower() not in HOP_BY_HOP | {"x-forwarded-for"}]
            head += [f"X-Forwarded-For: {peer}", f"Content-Length: {len(request.body)}", "Connection: close"]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + request.body)
            await writer.drain()
            async with asyncio.timeout(self.config.backend_timeout):
                answer = await reader.read()
        except (OSError, TimeoutError):
            raise Refused(502, "The server process failed to answer; other requests are not affected.") from None
        finally:
            writer.close()
        if not answer.startswith(b"HTTP/"):
            raise Refused(502, "The server process failed to answer; other requests are not affected.")
        return set_connection(answer, request.keep_alive)

    async def serve(self, sock, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self.handle, sock=sock, limit=MAX_HEAD)
        async with server:
            await stop.wait()
            server.close()
            for writer in list(self.connections):
                writer.close()


async def linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """After refusing a request whose body the client may still be sending: half-close, then read and drop what
    still comes (a bounded amount, for a bounded time), so that closing does not reset the connection and destroy
    the answer before the client reads it."""
    with contextlib.suppress(ConnectionError, OSError, RuntimeError):
        writer.write_eof()
    dropped = 0
    with contextlib.suppress(ConnectionError, OSError, TimeoutError, asyncio.IncompleteReadError):
        async with asyncio.timeout(LINGER_SECONDS):
            while dropped < LINGER_BYTES and (chunk := await reader.read(65536)):
                dropped += len(chunk)


def set_connection(answer: bytes, keep_alive: bool) -> bytes:
    """The answer with its Connection header set for the client (a body of unknown length closes it)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith((b"connection:", b"keep-alive:"))]
    knows_length = any(ln.lower().startswith(b"content-length:") for ln in lines[1:])
    status = lines[0].split(b" ", 2)[1] if len(lines[0].split(b" ")) > 1 else b""
    if not knows_length and status not in (b"204", b"304"):
        keep_alive = False
    lines.append(b"Connection: keep-alive" if keep_alive else b"Connection: close")
    return b"\r\n".join(lines) + sep + body


def answer_closes(answer: bytes) -> bool:
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    return b"\r\nconnection: close" in head


def run_front(config: FrontConfig, sock, on_signal, child: int | None = None) -> int:
    """Serve until SIGINT or SIGTERM, or until process `child` ends; returns the exit status.

    `on_signal(signum)` is called for SIGHUP, SIGINT and SIGTERM (to forward them to the server processes).
    """
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    status = [0]
    front = Front(config)

    def signalled(signum):
        on_signal(signum)
        if signum == signal.SIGHUP:
            front.cache.reloading(grace=config.reload_grace)
        else:
            stop.set()

    def child_ended():
        if child is None:
            return
        with contextlib.suppress(ChildProcessError):
            pid, code = os.waitpid(child, os.WNOHANG)
            if pid:
                status[0] = os.waitstatus_to_exitcode(code) or 1
                stop.set()

    for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, signalled, signum)
    loop.add_signal_handler(signal.SIGCHLD, child_ended)
    try:
        loop.run_until_complete(front.serve(sock, stop))
    finally:
        for signum in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
            loop.remove_signal_handler(signum)
        loop.close()
    return status[0]
