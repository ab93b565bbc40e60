"""A cheap link farm for the link-checking benchmark: asyncio HTTP/1.1 servers in one process.

The farm must cost far less CPU than the checker it measures, since both share the machine:
one event loop, a ``Protocol`` per connection, keep-alive, the latency as a timer rather than
a sleeping thread. Every host counts the requests it has in flight (from the parsed request
until it starts answering, as ``tests/servers.py`` does) and the most it ever had.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

PAGE_HOST = "127.0.2.250"
Answer = tuple[int, dict[str, str], bytes]
Behave = Callable[[int, int], str]


def reply_for(kind: str, head: bool, first: bool) -> tuple[int, dict[str, str]]:
    """What one behaviour answers: the first request of a transient one fails."""
    replies: dict[str, tuple[int, dict[str, str]]] = {
        "404": (404, {}),
        "410": (410, {}),
        "999": (999, {}),
        "head405": (405 if head else 200, {}),
        "head404": (404 if head else 200, {}),
        "flaky": (500 if first else 200, {}),
        "redirect": (301, {"Location": "/final"}),
        "challenge": (403, {"cf-mitigated": "challenge"}),
        "429": (429, {"Retry-After": "1"}) if first else (200, {}),
        "503": (503, {"Retry-After": "1"}) if first else (200, {}),
        "ok": (200, {}),
    }
    return replies[kind]


@dataclass
class Farm:
    """What every host of the farm shares: behaviours, counters and the link page."""

    behave: Behave
    latency: float
    pages: list[str] = field(default_factory=list)  # each host's links, as HTML
    in_flight: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)  # its last answer, since the reset
    served: set[str] = field(default_factory=set)
    started: float = field(default_factory=time.monotonic)

    def reset(self) -> None:
        self.peak.clear()
        self.requests.clear()
        self.last.clear()
        self.served.clear()
        self.started = time.monotonic()

    def stats(self) -> bytes:
        counters = {"peak": self.peak, "requests": self.requests, "last": self.last}
        return json.dumps(counters).encode()

    def arrive(self, host: str) -> None:
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        self.requests[host] = self.requests.get(host, 0) + 1

    def answer(self, host: str, method: str, path: str) -> Answer:
        self.in_flight[host] -= 1
        self.last[host] = time.monotonic() - self.started
        if path in ("/", "/final", "/robots.txt", "/favicon.ico"):
            return (404 if path == "/robots.txt" else 200), {}, b"ok"
        key = f"{host}{path}"
        first = key not in self.served
        self.served.add(key)
        number = int(host.rsplit(".", 1)[1]) - 1
        status, headers = reply_for(
            self.behave(number, int(path.lstrip("/p") or 0)), method == "HEAD", first
        )
        return status, headers, b"ok"

    def control(self, path: str) -> Answer:
        if path == "/stats":
            return 200, {}, self.stats()
        if path == "/reset":
            self.reset()
            return 200, {}, b"ok"
        if path.startswith("/hosts/"):  # the links of the first N hosts only
            return 200, {}, "".join(self.pages[: int(path[7:])]).encode()
        return 200, {}, "".join(self.pages).encode()


class FarmProtocol(asyncio.Protocol):
    """One keep-alive connection; requests are answered in order, each after the latency."""

    def __init__(self, farm: Farm, host: str) -> None:
        self.farm = farm
        self.host = host
        self.buffer = b""
        self.waiting: deque[tuple[str, str, bool]] = deque()
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            method, path, _ = head.split("\r\n", 1)[0].split(" ", 2)
            close = "connection: close" in head.lower()
            self.waiting.append((method, path, close))
        self._next()

    def _next(self) -> None:
        if self.busy or not self.waiting:
            return
        self.busy = True
        method, path, close = self.waiting.popleft()
        loop = asyncio.get_running_loop()
        if self.host == PAGE_HOST:
            loop.call_soon(self._send, method, self.farm.control(path), close)
            return
        self.farm.arrive(self.host)
        loop.call_later(self.farm.latency, self._answer, method, path, close)

    def _answer(self, method: str, path: str, close: bool) -> None:
        self._send(method, self.farm.answer(self.host, method, path), close)

    def _send(self, method: str, answer: Answer, close: bool) -> None:
        status, headers, body = answer
        self.busy = False
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(render_response(method, status, headers, body, close))
        if close:
            self.transport.close()
            return
        self._next()


def render_response(
    method: str, status: int, headers: dict[str, str], body: bytes, close: bool
) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}", "Content-Type: text/html"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {len(body)}", f"Connection: {'close' if close else 'keep-alive'}"]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if method == "HEAD" else head + body


def serve(
    behave: Behave, hosts: int, per_host: int, latency: float, ports: multiprocessing.Queue
) -> None:
    """Serve ``hosts`` farm hosts (127.0.2.1, ...) and the page host until terminated;
    put the farm's base URLs and the page host's port on ``ports``."""
    asyncio.run(_serve(behave, hosts, per_host, latency, ports))


async def _serve(
    behave: Behave, hosts: int, per_host: int, latency: float, ports: multiprocessing.Queue
) -> None:
    farm = Farm(behave, latency)
    loop = asyncio.get_running_loop()
    bases = []
    for host in [f"127.0.2.{h + 1}" for h in range(hosts)] + [PAGE_HOST]:
        server = await loop.create_server(
            lambda host=host: FarmProtocol(farm, host), host, 0, backlog=1024
        )
        bases.append(f"http://{host}:{server.sockets[0].getsockname()[1]}")
    farm.pages = [
        "".join(f'<a href="{base}/p{n}">link {h}-{n}</a>\n' for n in range(per_host))
        for h, base in enumerate(bases[:-1])
    ]
    ports.put({"bases": bases[:-1], "page": int(bases[-1].rsplit(":", 1)[1])})
    await asyncio.Event().wait()
