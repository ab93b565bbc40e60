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

from linkdigest.net.http import Fetcher, FetchResult, HttpSettings


@dataclass
class Reply:
    """What a route answers: status, headers, a body (bytes or chunks), after a delay."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Callable[[], Iterable[bytes]] = b""
    delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    at: float


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
                seen = Seen(self.command, self.path, dict(self.headers.items()), time.monotonic())
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
                chunks = reply.body() if callable(reply.body) else None
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
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
                    pass  # the client stopped reading, as a size cap should

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
