"""A hostile link farm for the link-checking benchmark: asyncio HTTP/1.1 hosts in one process.

The hosts behave as real ones do when nobody tuned them for a checker: front pages that
answer 404, pages that send their title and then trickle a byte a second until they drop
the connection, connections dropped right after a 200's headers, server errors that never
end, redirect loops, hosts that allow 5 requests a second and answer the rest with 429
(half of them with a Retry-After, half without), a host that refuses every connection,
besides the usual HEAD refusals, transient 500s and 503s, bot walls and 999s.

The farm must cost far less CPU than the checkers it measures, since they share the machine:
one event loop, a ``Protocol`` per connection, keep-alive, the latency as a timer. Every host
counts the requests it has in flight (the most it ever had), its requests and its 429s.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import socket
import time
from collections import deque
from dataclasses import dataclass, field
from http import HTTPStatus

CONTROL_HOST = "127.0.3.250"
HOST_PREFIX = "127.0.3."
Answer = tuple[int, dict[str, str], bytes]
TRICKLE_SECONDS = 15.0
LIMIT_PER_SECOND = 5


def host_kind(host: int, hosts: int) -> str:
    """What kind of host number ``host`` is."""
    if host == hosts - 1:
        return "refused"  # nothing listens: every link of it is dead
    if host % 10 == 0:
        return "limited" if host % 20 == 0 else "limited-silent"  # 5/s, with(out) Retry-After
    if host % 10 == 1:
        return "root404"  # the front page answers 404
    return "plain"


def behaviour(n: int) -> str:
    """What link number ``n`` of a host does."""
    return {
        0: "404",
        10: "410",
        1: "trickle",
        2: "drop",
        3: "error",  # a 500, every time
        4: "loop",
        5: "head405",
        6: "head404",
        7: "flaky",
        8: "redirect",
        9: "999",
        11: "challenge",
        12: "busy",
    }.get(n % 20, "ok")


def is_dead(host: int, hosts: int, n: int) -> bool:
    """The truth: a link is dead when its page is gone or its host refuses connections."""
    return host_kind(host, hosts) == "refused" or behaviour(n) in ("404", "410")


@dataclass
class Farm:
    """What every host of the farm shares: counters, and the memory of transient answers."""

    latency: float
    in_flight: dict[str, int] = field(default_factory=dict)
    peak: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    limited: dict[str, int] = field(default_factory=dict)  # 429s answered
    served: set[str] = field(default_factory=set)
    windows: dict[str, deque[float]] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)

    def reset(self, forget: bool) -> None:
        self.peak.clear()
        self.requests.clear()
        self.limited.clear()
        if forget:  # a cold run: transient failures happen again
            self.served.clear()

    def stats(self) -> bytes:
        return json.dumps(
            {"peak": self.peak, "requests": self.requests, "limited": self.limited}
        ).encode()

    def arrive(self, host: str) -> None:
        self.in_flight[host] = self.in_flight.get(host, 0) + 1
        self.peak[host] = max(self.peak.get(host, 0), self.in_flight[host])
        self.requests[host] = self.requests.get(host, 0) + 1

    def over_limit(self, host: str) -> bool:
        if not self.kinds[host].startswith("limited"):
            return False
        now = time.monotonic()
        window = self.windows.setdefault(host, deque())
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= LIMIT_PER_SECOND:
            return True
        window.append(now)
        return False

    def answer(self, host: str, method: str, path: str) -> tuple[str, Answer]:
        """(what to do with the connection, the answer)."""
        self.in_flight[host] -= 1
        kind = self.kinds[host]
        if self.over_limit(host):
            self.limited[host] = self.limited.get(host, 0) + 1
            headers = {"Retry-After": "1"} if kind == "limited" else {}
            return "send", (429, headers, b"slow down")
        if path in ("/", "/robots.txt", "/favicon.ico"):
            return "send", ((404 if kind == "root404" or path != "/" else 200), {}, b"home")
        if path == "/final":
            return "send", (200, {}, b"final")
        key = f"{host}{path}"
        first = key not in self.served
        self.served.add(key)
        number = int(path.lstrip("/p").rstrip("x") or 0)
        return reply_for(behaviour(number), method == "HEAD", first, path)


def reply_for(kind: str, head: bool, first: bool, path: str) -> tuple[str, Answer]:
    title = b"<html><head><title>A page</title></head><body>"
    replies: dict[str, tuple[str, Answer]] = {
        "404": ("send", (404, {}, b"gone")),
        "410": ("send", (410, {}, b"gone")),
        "999": ("send", (999, {}, b"")),
        "trickle": ("send", (405, {}, b"")) if head else ("trickle", (200, {}, title)),
        "drop": ("send", (405, {}, b"")) if head else ("drop", (200, {}, b"")),
        "error": ("send", (500, {}, b"error")),
        "head405": ("send", (405 if head else 200, {}, b"ok")),
        "head404": ("send", (404 if head else 200, {}, b"ok")),
        "flaky": ("send", (500 if first else 200, {}, b"ok")),
        "redirect": ("send", (301, {"Location": "/final"}, b"")),
        "challenge": ("send", (403, {"cf-mitigated": "challenge"}, b"Just a moment...")),
        "busy": ("send", (503, {"Retry-After": "1"}, b"")) if first else ("send", (200, {}, b"ok")),
        "ok": ("send", (200, {}, b"ok")),
    }
    if kind == "loop":  # /p4 -> /p4x -> /p4 -> ...
        target = path[:-1] if path.endswith("x") else path + "x"
        return "send", (302, {"Location": target}, b"")
    return replies[kind]


class FarmProtocol(asyncio.Protocol):
    """One keep-alive connection; requests are answered in order, each after the latency."""

    def __init__(self, farm: Farm, host: str) -> None:
        self.farm = farm
        self.host = host
        self.buffer = b""
        self.waiting: deque[tuple[str, str]] = deque()
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end].decode("latin-1"), self.buffer[end + 4 :]
            method, path, _ = head.split("\r\n", 1)[0].split(" ", 2)
            self.waiting.append((method, path))
        self._next()

    def _next(self) -> None:
        if self.busy or not self.waiting or self.transport is None:
            return
        self.busy = True
        method, path = self.waiting.popleft()
        loop = asyncio.get_running_loop()
        if self.host == CONTROL_HOST:
            loop.call_soon(self._send, method, self._control(path))
            return
        self.farm.arrive(self.host)
        loop.call_later(self.farm.latency, self._answer, method, path)

    def _control(self, path: str) -> Answer:
        if path == "/stats":
            return 200, {}, self.farm.stats()
        if path.startswith("/reset"):
            self.farm.reset(forget=path.endswith("cold"))
        return 200, {}, b"ok"

    def _answer(self, method: str, path: str) -> None:
        action, answer = self.farm.answer(self.host, method, path)
        if action == "send":
            self._send(method, answer)
        elif action == "drop":  # a 200 promises a body, then the connection goes
            self._write(render_head(answer, 100000))
            self._close()
        else:  # the title at once, then a byte a second, then the connection drops
            self._write(render_head(answer, 100000) + answer[2])
            self._trickle(time.monotonic() + TRICKLE_SECONDS)

    def _trickle(self, until: float) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if time.monotonic() >= until:
            self._close()
            return
        self._write(b" ")
        asyncio.get_running_loop().call_later(1.0, self._trickle, until)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _send(self, method: str, answer: Answer) -> None:
        self.busy = False
        body = b"" if method == "HEAD" else answer[2]
        self._write(render_head(answer, len(answer[2])) + body)
        self._next()


def render_head(answer: Answer, length: int) -> bytes:
    status, headers, _ = answer
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}", "Content-Type: text/html"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += [f"Content-Length: {length}", "Connection: keep-alive"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def serve(hosts: int, latency: float, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Serve the farm's hosts (127.0.3.1, ...) and its control host until terminated; put
    the hosts' base URLs and the control port on ``ports``."""
    asyncio.run(_serve(hosts, latency, ports))


async def _serve(hosts: int, latency: float, ports: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    farm = Farm(latency)
    loop = asyncio.get_running_loop()
    bases = []
    held: list[socket.socket] = []
    for number in range(hosts):
        address = f"{HOST_PREFIX}{number + 1}"
        farm.kinds[address] = host_kind(number, hosts)
        if farm.kinds[address] == "refused":  # bound, never listening: refused
            sock = socket.socket()
            sock.bind((address, 0))
            held.append(sock)
            bases.append(f"http://{address}:{sock.getsockname()[1]}")
            continue
        server = await loop.create_server(
            lambda a=address: FarmProtocol(farm, a), address, 0, backlog=1024
        )
        bases.append(f"http://{address}:{server.sockets[0].getsockname()[1]}")
    control = await loop.create_server(
        lambda: FarmProtocol(farm, CONTROL_HOST), CONTROL_HOST, 0, backlog=64
    )
    ports.put({"bases": bases, "control": control.sockets[0].getsockname()[1]})
    await asyncio.Event().wait()
