"""Real HTTP servers for tests, on 127.x.y.z addresses, that fail on unexpected requests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore

from linkdigest.net import FailureKind, Fetcher, FetchResult, HttpSettings
from linkdigest.net.transport import AsyncioBackend, ConnectFailure, is_loopback_address


@dataclass
class Reply:
    """What a route answers: status, headers, a body (bytes or chunks), after a delay."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[], Iterable[bytes]] = b""
    delay: float = 0.0
    drop: bool = False  # send the status and headers, then close the connection
    hang_up: bool = False  # read the request, then close the connection without answering


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    at: float
    body: bytes = b""


Route = Callable[["Seen"], Reply] | Reply | list[Reply]


class LocalServer:
    """A threaded server answering from a route table; every request is recorded, and a
    request for a path with no route is recorded in ``unexpected`` (tests assert it empty)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.default: Route | None = None  # answers any path without a route
        self.seen: list[Seen] = []
        self.unexpected: list[Seen] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.spans: list[tuple[float, float]] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def answer(self, seen: Seen) -> Reply | None:
        route = self.routes.get(seen.path, self.default)
        if route is None:
            return None
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route(seen) if callable(route) else route

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the body waits for the
            # client's delayed ACK (40 ms a request) - a stall real servers do not have.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                return

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(
                    self.command, self.path, dict(self.headers.items()), time.monotonic(), body
                )
                with server.lock:
                    server.seen.append(seen)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    reply = server.answer(seen)
                    if reply is None:
                        server.unexpected.append(seen)
                        reply = Reply(599, body=b"unexpected request")
                    time.sleep(reply.delay)
                finally:
                    # Done once it starts answering: the client may get the answer and send
                    # its next request before this thread runs again.
                    with server.lock:
                        server.in_flight -= 1
                        server.spans.append((seen.at, time.monotonic()))
                self.send(reply)

            def send(self, reply: Reply) -> None:
                if reply.hang_up:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                chunks = reply.body() if callable(reply.body) else None
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.drop:  # a body is promised, then the connection goes away
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if chunks is None:
                    body = reply.body if isinstance(reply.body, bytes) else b""
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        # The client may read what it needs and close early.
                        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                            self.wfile.write(body)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.write_chunks(chunks)

            def write_chunks(self, chunks: Iterable[bytes]) -> None:
                try:
                    for chunk in chunks:
                        self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    # The client stopped reading (as a size cap should), or the body broke
                    # off on purpose: either way this connection is done.
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_HEAD = do_POST = handle_one

        return Handler


def max_overlap(servers: Iterable[LocalServer]) -> int:
    """The most requests in flight at one moment across all ``servers``."""
    events = sorted((t, d) for s in servers for a, b in s.spans for t, d in ((a, 1), (b, -1)))
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def start_servers(hosts: Iterable[str]) -> Iterator[list[LocalServer]]:
    servers = [LocalServer(host) for host in hosts]
    try:
        yield servers
    finally:
        for server in servers:
            server.close()


@contextlib.contextmanager
def refused_sockets(addresses: Iterable[str]) -> Iterator[list[socket.socket]]:
    """A socket bound to a free port of each address, never listening, so connections to
    it are refused; closing one early frees its port for a server."""
    sockets = [socket.socket() for _ in addresses]
    try:
        for sock, address in zip(sockets, addresses, strict=True):
            sock.bind((address, 0))
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


class CountingFetcher(Fetcher):
    """A real Fetcher that also notes, in ``tried``, the URL of every request it tries."""

    def __init__(self, settings: HttpSettings, tried: list[str]) -> None:
        super().__init__(settings)
        self.tried = tried

    async def _request(self, hop: Any, attempt: int) -> FetchResult:
        self.tried.append(hop.current)
        return await super()._request(hop, attempt)


def trickle(first: bytes, seconds: float, gap: float = 1.0) -> Callable[[], Iterable[bytes]]:
    """A body that sends ``first`` at once, then a byte every ``gap`` seconds for
    ``seconds``, then breaks off (the connection is dropped, the body never ends)."""

    def chunks() -> Iterator[bytes]:
        yield first
        ends = time.monotonic() + seconds
        while time.monotonic() < ends:
            time.sleep(gap)
            yield b" "
        raise ConnectionResetError("the server gave up")

    return chunks


class RateLimiter:
    """A route that allows ``per_second`` requests in any second and answers the rest
    with 429 (a ``Retry-After`` of a second, when ``retry_after``); counts its 429s."""

    def __init__(
        self, per_second: int, retry_after: bool = True, headers: dict[str, str] | None = None
    ) -> None:
        self.per_second = per_second
        self.retry_after = retry_after
        self.headers = headers or {}
        self.times: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()

    def __call__(self, seen: Seen) -> Reply:
        with self.lock:
            now = time.monotonic()
            self.times = [t for t in self.times if now - t < 1.0]
            if len(self.times) >= self.per_second:
                self.refused += 1
                return Reply(429, {"Retry-After": "1"} if self.retry_after else {})
            self.times.append(now)
            return Reply(headers=dict(self.headers), body=b"ok")


class CannedStream(httpcore.AsyncNetworkStream):
    """A connection to a host of "the internet" that answers with the same bytes."""

    def __init__(self, answer: bytes) -> None:
        self.answer, self.done = answer, False

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data, self.done = (b"" if self.done else self.answer), True
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        return None

    async def aclose(self) -> None:
        return None

    async def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return self  # "the internet" of a test needs no certificate


OK_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


class InternetStandIn(httpcore.AsyncNetworkBackend):
    """The internet, as a test may have it (this machine has none): hosts on 127.x.y.z go
    through the real sockets; any other name answers from ``answers`` (host -> the raw HTTP
    answer) or does not resolve, as a machine without a network sees every name."""

    def __init__(self, answers: dict[str, bytes] | None = None) -> None:
        self.answers = answers or {}
        self.real = AsyncioBackend()
        self.connected: Any = None
        self.asked: list[str] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        if is_loopback_address(host):
            self.real.connected = self.connected
            return await self.real.connect_tcp(host, port, *args, **kwargs)
        self.asked.append(host)
        if host not in self.answers:
            raise ConnectFailure(FailureKind.DNS, f"[Errno -2] {host}: Name or service not known")
        if self.connected:
            self.connected(host, port, False)
        return CannedStream(self.answers[host])

    async def sleep(self, seconds: float) -> None:
        await self.real.sleep(seconds)
