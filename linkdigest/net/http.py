"""The one place that builds HTTP clients, and polite fetching on top of them.

``build_client`` makes the httpx client every helper uses; ``Fetcher`` adds what httpx leaves
to its callers: global and per-host limits with a delay between requests to one host,
redirects followed hop by hop (so each hop is polite and loops are caught) and recorded,
retries with exponential backoff and a capped ``Retry-After``, and a size cap read as a
stream. Failures are data: ``fetch`` returns a FetchResult and never raises for a bad URL.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from linkdigest import __version__
from linkdigest.errors import ConfigError
from linkdigest.format.urls import DEFAULT_PORTS
from linkdigest.settings import parse_table, read_settings_file

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
HOST_BUSY_STATUSES = frozenset({429, 503})
CONNECTION_ERRORS = (
    httpx.ConnectError,
    httpx.ReadError,
    httpx.RemoteProtocolError,
    httpcore.ConnectError,
    httpcore.ReadError,
    httpcore.RemoteProtocolError,
)
TIMEOUT_ERRORS = (httpx.TimeoutException, httpcore.TimeoutException)
# No connection could be made at all (DNS, refused, unreachable, connect timeout, TLS
# handshake): true of the host, not of one URL.
CONNECT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpcore.ConnectError,
    httpcore.ConnectTimeout,
)
TRANSPORT_ERRORS = (
    httpx.TransportError,
    httpx.InvalidURL,
    httpx.UnsupportedProtocol,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
)
SHARED_BYTES = 65536  # a GET keeping at most this much is asked once per run (a peek)
# URLs made only of characters RFC 3986 allows need no re-encoding (IPv6 literals aside).
PLAIN_URL = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")


@dataclass(frozen=True)
class HostPolicy:
    """How to treat one host: politeness, and whether to leave it alone."""

    concurrency: int = 2
    delay: float = 0.05
    skip: bool = False
    reason: str = ""
    accept: tuple[int, ...] = ()


@dataclass(frozen=True)
class HttpSettings:
    """Client and politeness settings, read from the ``[http]`` and ``[hosts.*]`` tables."""

    site: str = "linkdigest"
    contact: str = ""
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    max_connections: int = 32
    max_redirects: int = 10
    retries: int = 3
    backoff: float = 0.5
    retry_after_cap: float = 60.0
    max_bytes: int = 5_000_000
    default_host: HostPolicy = field(default_factory=HostPolicy)
    hosts: Mapping[str, HostPolicy] = field(default_factory=dict)

    @property
    def user_agent(self) -> str:
        name = "".join(ch for ch in self.site if ch.isalnum()) or "linkdigest"
        contact = f"; +{self.contact}" if self.contact else ""
        return f"{name}-linkdigest/{__version__} (link digest helper{contact})"

    def policy_for(self, host: str) -> HostPolicy:
        """The policy of the longest ``[hosts]`` entry matching the host or a parent domain."""
        host = host.lower().rstrip(".")
        matches = [name for name in self.hosts if host == name or host.endswith("." + name)]
        return self.hosts[max(matches, key=len)] if matches else self.default_host


@dataclass(frozen=True)
class Redirect:
    status: int
    source: str
    target: str


@dataclass(frozen=True)
class FetchResult:
    """What happened to one URL. ``error`` is "" on any HTTP answer (even a 404)."""

    url: str
    final_url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    redirects: tuple[Redirect, ...] = ()
    error: str = ""
    detail: str = ""
    attempts: int = 0
    retry_after: float | None = None
    unreachable: bool = False  # no connection could be made to the host

    @property
    def permanent_redirect(self) -> str | None:
        """The final URL when every hop was permanent (the link should be updated)."""
        if self.redirects and all(r.status in PERMANENT_REDIRECTS for r in self.redirects):
            return self.final_url
        return None


def read_http_settings(path: str | Path) -> HttpSettings:
    """Read ``[http]`` and ``[hosts.*]`` from a TOML settings file; ContentError names the
    file and the bad key."""
    return parse_http_settings(read_settings_file(path), str(path))


def parse_http_settings(data: Mapping[str, Any], source: str = "<settings>") -> HttpSettings:
    """Settings from parsed TOML; unknown keys and wrong types are errors, not surprises."""
    http = parse_table(
        data.get("http", {}), HttpSettings, source, "http", ignore=("default_host", "hosts")
    )
    hosts = dict(data.get("hosts", {}))
    default = _host_policy(hosts.pop("default", {}), HostPolicy(), source, "default")
    policies = {
        name.lower(): _host_policy(table, default, source, name) for name, table in hosts.items()
    }
    return HttpSettings(**http, default_host=default, hosts=policies)


def _host_policy(table: Mapping[str, Any], base: HostPolicy, source: str, name: str) -> HostPolicy:
    values = parse_table(table, HostPolicy, source, f"hosts.{name}")
    if "accept" in values:
        values["accept"] = tuple(int(code) for code in values["accept"])
    policy = replace(base, **values)
    if policy.concurrency < 1 or policy.delay < 0:
        raise ConfigError(source, None, f"[hosts.{name}]: concurrency must be >= 1 and delay >= 0")
    return policy


def build_client(
    settings: HttpSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    connections: int | None = None,
) -> httpx.AsyncClient:
    """An httpx client with the project's headers, timeouts and limits, for callers that hand
    in their own transport. Redirects are followed by ``Fetcher`` (hop by hop), and the
    client keeps no cookies at all, so nothing carries over between hosts."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    size = connections or settings.max_connections
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        verify=_ssl_context(),
        headers=render_request_headers(settings),
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        transport=transport,
        cookies=httpx.Cookies(no_cookies),
        trust_env=False,
    )


def build_pool(
    settings: HttpSettings,
    connections: int | None = None,
    connected: Callable[[str, int], None] | None = None,
) -> httpcore.AsyncConnectionPool:
    """The connection pool ``Fetcher`` sends through: httpx's own engine without httpx's
    per-request layers (URL model, cookies, auth, event hooks), which cost as much CPU again
    as the pool itself once a run has thousands of links. It keeps no cookies and knows no
    proxies or redirects, by construction. ``connected(host, port)`` is told of every
    connection made."""
    size = connections or settings.max_connections
    return httpcore.AsyncConnectionPool(
        ssl_context=_ssl_context(),
        max_connections=size,
        max_keepalive_connections=size,
        network_backend=AsyncioBackend(connected),
    )


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Sockets for httpcore straight on asyncio streams. httpcore's default goes through
    anyio, whose cancel scope around every read and write cost a third of the pool's CPU."""

    def __init__(self, connected: Callable[[str, int], None] | None = None) -> None:
        self.connected = connected

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host, port, local_addr=local, happy_eyeballs_delay=0.25
                )
        if self.connected:
            self.connected(host, port)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore wants it: reads and writes with timeouts, TLS upgrade."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        with _mapped(httpcore.ReadTimeout, httpcore.ReadError):
            async with asyncio.timeout(timeout):
                return await self.reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        with _mapped(httpcore.WriteTimeout, httpcore.WriteError):
            self.writer.write(buffer)
            if not self.writer.transport.get_write_buffer_size():
                # All sent: drain cannot wait, so it needs no timer (a tenth of a request's
                # CPU); it still raises for a connection already lost.
                await self.writer.drain()
                return
            async with asyncio.timeout(timeout):
                await self.writer.drain()

    async def aclose(self) -> None:
        self.writer.close()
        # The socket is closed on the loop's next turn; take it, so a run that ends now
        # leaves no socket open. (Not wait_closed: a TLS peer may never answer the goodbye.)
        await asyncio.sleep(0)

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        with _mapped(httpcore.ConnectTimeout, httpcore.ConnectError):
            async with asyncio.timeout(timeout):
                await self.writer.start_tls(ssl_context, server_hostname=server_hostname)
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # idle, yet the server closed it or sent something
            return self.reader.at_eof() or self.writer.transport.is_closing()
        if info in ("ssl_object", "socket"):
            return self.writer.get_extra_info(info)
        if info in ("client_addr", "server_addr"):
            return self.writer.get_extra_info("sockname" if info == "client_addr" else "peername")
        return None


@contextmanager
def _mapped(timeout: type[Exception], failure: type[Exception]) -> Iterator[None]:
    """asyncio's timeouts and socket errors as the httpcore errors its callers expect."""
    try:
        yield
    except TimeoutError as error:
        raise timeout(str(error) or type(error).__name__) from error
    except OSError as error:  # ssl.SSLError included: "certificate verify failed" stays
        raise failure(str(error) or type(error).__name__) from error


def render_request_headers(settings: HttpSettings) -> dict[str, str]:
    """The headers every request carries: one honest user agent, what we accept."""
    return {
        "User-Agent": settings.user_agent,
        "Accept-Encoding": "gzip, deflate",
        "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    }


def render_timeouts(settings: HttpSettings) -> dict[str, float]:
    """httpcore's timeout extension, matching ``httpx.Timeout(read, connect=connect)``."""
    read, connect = settings.read_timeout, settings.connect_timeout
    return {"connect": connect, "read": read, "write": read, "pool": read}


def parse_request_url(url: str) -> httpcore.URL:
    """The URL as sent: plain ASCII URLs as they are, anything else (non-ASCII paths,
    international domain names, spaces, IPv6) encoded the way httpx encodes it."""
    if PLAIN_URL.fullmatch(url):
        try:
            return httpcore.URL(url)
        except ValueError as error:  # a port that is not a number
            raise httpx.InvalidURL(f"{url}: {error}") from error
    parsed = httpx.URL(url)
    return httpcore.URL(
        scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
    )


@cache
def _ssl_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~15 ms; Fetcher builds a client per host, so share it.
    return httpx.create_ssl_context()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))  # delta-seconds; fractions accepted, as some servers send
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class _Slots:
    """A host's request slots, with a lane for urgent requests: an urgent one goes before
    every waiting ordinary one, but only one urgent request holds a slot at a time, so
    urgent work never crowds the rest out."""

    def __init__(self, size: int) -> None:
        self.free = size
        self.urgent_busy = False
        self.waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    @asynccontextmanager
    async def held(self, urgent: bool = False) -> AsyncIterator[None]:
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._release(urgent)

    async def _acquire(self, urgent: bool) -> None:
        # Whenever a slot is free, every waiter that could take it already has one.
        if self.free and not (urgent and self.urgent_busy):
            self._take(urgent)
            return
        turn = asyncio.get_running_loop().create_future()
        self.waiting[urgent].append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release(urgent)  # handed a slot just as it was cancelled: pass it on
            raise

    def _take(self, urgent: bool) -> None:
        self.free -= 1
        self.urgent_busy = self.urgent_busy or urgent

    def _release(self, urgent: bool) -> None:
        self.free += 1
        if urgent:
            self.urgent_busy = False
        while self.free and (turn := self._next_turn()):
            turn.set_result(None)

    def _next_turn(self) -> asyncio.Future[None] | None:
        for urgent in (True, False):
            queue = self.waiting[urgent]
            while queue and not (urgent and self.urgent_busy):
                turn = queue.popleft()
                if not turn.done():  # a cancelled waiter leaves its turn behind
                    self._take(urgent)
                    return turn
        return None


class _HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts at least
    ``delay`` apart, and nothing at all before a ``Retry-After`` the host asked for ends."""

    def __init__(self, policy: HostPolicy, clock: Callable[[], float]) -> None:
        self.slots = _Slots(policy.concurrency)
        self.delay = policy.delay
        self.clock = clock
        self.next_start = 0.0
        self.lock = asyncio.Lock()

    async def wait_turn(self, sleep: Callable[[float], Awaitable[None]]) -> None:
        async with self.lock:
            wait = self.next_start - self.clock()
            if wait > 0:
                await sleep(wait)
            self.next_start = max(self.next_start, self.clock()) + self.delay

    def hold_off(self, seconds: float) -> None:
        self.next_start = max(self.next_start, self.clock() + seconds)


class Fetcher:
    """Polite, concurrent fetching. One instance per run, used as ``async with``.

    Each host gets its own connection pool from ``build_pool`` (or, when a transport is
    handed in, its own client from ``build_client``), sized to the host's concurrency: one
    shared pool rescans every open connection for every request, which made the pool, not
    the network, the limit at a few thousand URLs over dozens of hosts.
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.transport = transport
        self.sleep = sleep
        self.clock = clock
        self.global_slots = asyncio.Semaphore(settings.max_connections)
        self.gates: dict[str, _HostGate] = {}
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.pools: dict[str, httpcore.AsyncConnectionPool] = {}
        self.shared: dict[tuple[str, str, int], asyncio.Future[FetchResult]] = {}
        # origin (scheme, host, port) -> when it was last found unreachable, and how
        self.unreachable: dict[str, tuple[float, FetchResult]] = {}
        self.probing: dict[str, asyncio.Lock] = {}
        self.first_contact: dict[str, asyncio.Future[None]] = {}  # host:port -> connected
        self.headers = [
            (k.encode(), v.encode()) for k, v in render_request_headers(settings).items()
        ]
        self.extensions = {"timeout": render_timeouts(settings)}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.gather(
            *(client.aclose() for client in self.clients.values()),
            *(pool.aclose() for pool in self.pools.values()),
        )
        self.clients.clear()
        self.pools.clear()

    def client(self, host: str) -> httpx.AsyncClient:
        if host not in self.clients:
            size = self.settings.policy_for(host).concurrency
            self.clients[host] = build_client(self.settings, self.transport, size)
        return self.clients[host]

    def pool(self, host: str) -> httpcore.AsyncConnectionPool:
        if host not in self.pools:
            size = self.settings.policy_for(host).concurrency
            self.pools[host] = build_pool(self.settings, size, self._connected)
        return self.pools[host]

    def _connected(self, host: str, port: int) -> None:
        contact = self.first_contact.get(f"{host.lower()}:{port}")
        if contact is not None and not contact.done():
            contact.set_result(None)

    def gate(self, host: str) -> _HostGate:
        if host not in self.gates:
            self.gates[host] = _HostGate(self.settings.policy_for(host), self.clock)
        return self.gates[host]

    async def fetch(
        self,
        url: str,
        method: str = "GET",
        max_bytes: int | None = None,
        headers: Mapping[str, str] | None = None,
        urgent: bool = False,
        fresh_after: float | None = None,
    ) -> FetchResult:
        """Fetch ``url``, following redirects; never raises for network trouble. An
        ``urgent`` fetch goes before the host's waiting ones, one urgent request at a time
        per host (it still counts against the host's limit).

        What the run already learnt is reused: a HEAD, or a GET that keeps little, is asked
        once per run, and a host that could not be reached through every retry is not
        tried again until it answers. With ``fresh_after`` (a re-check: a time on
        ``clock``) the URL is asked anew, and only a host found unreachable at or after
        that time is taken as unreachable still."""
        limit = self.settings.max_bytes if max_bytes is None else max_bytes
        redirects: list[Redirect] = []
        current, seen = url, {url}
        extra = dict(headers or {})
        while True:
            hop = _Hop(url, current, method, limit, extra, urgent, fresh_after)
            result = await self._fetch_hop(hop)
            if redirects:
                result = replace(result, redirects=tuple(redirects))
            location = result.headers.get("location")
            if result.error or result.status not in REDIRECT_STATUSES or not location:
                return result
            target = urljoin(current, location.strip())
            redirects.append(Redirect(result.status or 0, current, target))
            if target in seen:
                return replace(
                    result,
                    final_url=target,
                    redirects=tuple(redirects),
                    error="redirect loop",
                    detail=f"{target} was already visited",
                )
            if len(redirects) > self.settings.max_redirects:
                return replace(
                    result,
                    final_url=target,
                    redirects=tuple(redirects),
                    error="too many redirects",
                    detail=f"more than {self.settings.max_redirects}",
                )
            if result.status == 303:
                method = "GET"
            current = target
            seen.add(target)

    async def _fetch_hop(self, hop: _Hop) -> FetchResult:
        # A hop is asked once per run however many links lead to it: redirects of many
        # links often end at the same page (a home page, a login wall).
        key = hop.shared_key
        if key is None:
            return await self._fetch_hop_once(hop)
        if key not in self.shared:
            self.shared[key] = asyncio.ensure_future(self._fetch_hop_once(hop))
        return replace(await self.shared[key], url=hop.url)

    async def _fetch_hop_once(self, hop: _Hop) -> FetchResult:
        policy = self.settings.policy_for(hop.host)
        if policy.skip:
            return FetchResult(
                hop.url, hop.current, error="skipped", detail=policy.reason or hop.host
            )
        if parse_scheme_host(hop.current)[0] not in ("http", "https") or not hop.host:
            return FetchResult(
                hop.url, hop.current, error="invalid URL", detail="not an absolute http(s) URL"
            )
        # The first request to a host and port goes alone until it has connected: when it
        # cannot, the other links there learn that instead of each trying it.
        contact = self.first_contact.get(hop.endpoint)
        if contact is None:
            contact = asyncio.get_running_loop().create_future()
            self.first_contact[hop.endpoint] = contact
            try:
                return await self._fetch_hop_tried(hop, contact)
            finally:
                if not contact.done():
                    contact.set_result(None)
        if not contact.done():
            await asyncio.wait({contact})  # not cancelled with this caller
        if hop.origin not in self.unreachable:
            return await self._fetch_hop_tried(hop)
        # A host that could not be reached: its links learn that from the run; a re-check
        # tries it again, one re-check at a time, the others learning from that one.
        if learnt := self._learnt_unreachable(hop):
            return learnt
        async with self.probing.setdefault(hop.origin, asyncio.Lock()):
            return self._learnt_unreachable(hop) or await self._fetch_hop_tried(hop)

    def _learnt_unreachable(self, hop: _Hop) -> FetchResult | None:
        down = self.unreachable.get(hop.origin)
        if down and (hop.fresh_after is None or down[0] >= hop.fresh_after):
            return replace(down[1], url=hop.url, final_url=hop.current, attempts=0)
        return None

    async def _fetch_hop_tried(
        self, hop: _Hop, contact: asyncio.Future[None] | None = None
    ) -> FetchResult:
        """The hop with its retries; ``contact`` is set once an attempt got through to the
        host (when no connection was new, or the transport is not ours, to say so)."""
        result = FetchResult(hop.url, hop.current)
        for attempt in range(1, self.settings.retries + 2):
            result = await self._attempt(hop, attempt)
            if contact is not None and not contact.done() and not result.unreachable:
                contact.set_result(None)
            wait = self._retry_wait(result, attempt)
            if wait is None:
                break
            await self._back_off(hop.host, result, wait)
        if result.unreachable:
            self.unreachable[hop.origin] = (self.clock(), result)
        elif result.status is not None:
            self.unreachable.pop(hop.origin, None)
        return result

    def _retry_wait(self, result: FetchResult, attempt: int) -> float | None:
        retryable = (
            result.error in ("timeout", "connection error") or result.status in RETRY_STATUSES
        )
        if not retryable or attempt > self.settings.retries:
            return None
        backoff = self.settings.backoff * 2 ** (attempt - 1)
        if result.retry_after is not None:
            return min(max(result.retry_after, backoff), self.settings.retry_after_cap)
        return backoff

    async def _back_off(self, host: str, result: FetchResult, wait: float) -> None:
        # 429 and 503 speak for the whole host (rate limit, overload): nothing goes to it
        # until the wait ends. A 500 or a timeout concerns this URL: only it waits, and
        # the host's other links keep its slots busy.
        if result.retry_after is not None or result.status in HOST_BUSY_STATUSES:
            self.gate(host).hold_off(wait)
        else:
            await self.sleep(wait)

    async def _attempt(self, hop: _Hop, attempt: int) -> FetchResult:
        gate = self.gate(hop.host)
        async with gate.slots.held(hop.urgent):
            await gate.wait_turn(self.sleep)
            async with self.global_slots:
                return await self._request(hop, attempt)

    async def _request(self, hop: _Hop, attempt: int) -> FetchResult:
        send = self._send_core if self.transport is None else self._send_httpx
        try:
            answer = await send(hop)
        except (*TIMEOUT_ERRORS, *TRANSPORT_ERRORS) as error:
            return FetchResult(
                hop.url,
                hop.current,
                error=_error_kind(error),
                detail=_describe(error),
                attempts=attempt,
                unreachable=isinstance(error, CONNECT_ERRORS),
            )
        status, headers, body, truncated = answer
        return FetchResult(
            hop.url,
            hop.current,
            status,
            headers,
            body,
            truncated,
            attempts=attempt,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )

    async def _send_core(self, hop: _Hop) -> _Answer:
        url = parse_request_url(hop.current)
        extra = [(k.encode(), v.encode()) for k, v in hop.headers.items()]
        request = httpcore.Request(
            hop.method,
            url,
            headers=[(b"Host", render_host_header(url)), *self.headers, *extra],
            extensions=self.extensions,
        )
        response = await self.pool(hop.host).handle_async_request(request)
        try:
            headers = parse_headers(response.headers)
            chunks = decode_chunks(response.aiter_stream(), headers.get("content-encoding", ""))
            body, truncated = await read_chunks_capped(chunks, hop.body_limit)
        finally:
            await response.aclose()
        return response.status, headers, body, truncated

    async def _send_httpx(self, hop: _Hop) -> _Answer:
        client = self.client(hop.host)
        async with client.stream(hop.method, hop.current, headers=hop.headers) as response:
            body, truncated = await read_chunks_capped(response.aiter_bytes(), hop.body_limit)
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status_code, headers, body, truncated


_Answer = tuple[int, dict[str, str], bytes, bool]


@dataclass(frozen=True)
class _Hop:
    """One request of a fetch: the URL asked for, the URL of this hop, and how to ask."""

    url: str
    current: str
    method: str
    limit: int
    headers: Mapping[str, str]
    urgent: bool = False
    fresh_after: float | None = None

    @property
    def host(self) -> str:
        return parse_scheme_host(self.current)[1]

    @property
    def origin(self) -> str:
        """Where the hop connects: scheme, host and port."""
        return parse_origin(self.current)

    @property
    def endpoint(self) -> str:
        """``host:port``, as a connection is made (an IDN's host as written, though)."""
        return self.origin.split("://", 1)[1]

    @property
    def shared_key(self) -> tuple[str, str, int] | None:
        """How this hop's answer is shared with every like hop of the run, or None when the
        hop must be asked itself: a re-check (``fresh_after``), one with its own headers, a
        GET keeping more than ``SHARED_BYTES`` (pages are not kept for the whole run)."""
        if (
            self.fresh_after is not None
            or self.headers
            or (self.method != "HEAD" and self.limit > SHARED_BYTES)
        ):
            return None
        return self.method, self.current, 0 if self.method == "HEAD" else self.limit

    @property
    def body_limit(self) -> int | None:
        """Bytes to keep: none for HEAD, which is read to its (empty) end all the same, so
        the connection goes back to the pool instead of being closed."""
        return None if self.method == "HEAD" else self.limit


@lru_cache(maxsize=65536)
def parse_scheme_host(url: str) -> tuple[str, str]:
    """The scheme and the lower-case host name of ``url`` ("" for either it lacks). Cached:
    a link check asks this of the same URLs several times per request."""
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower()


@lru_cache(maxsize=65536)
def parse_origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port always given (a connection's end)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # not a number: no connection is made to it anyway
        port = None
    scheme = parts.scheme.lower()
    return f"{scheme}://{(parts.hostname or '').lower()}:{port or DEFAULT_PORTS.get(scheme, 0)}"


def render_host_header(url: httpcore.URL) -> bytes:
    host = b"[%b]" % url.host if b":" in url.host else url.host  # an IPv6 literal
    default = {b"http": 80, b"https": 443}.get(url.scheme)
    return host if url.port in (None, default) else b"%b:%d" % (host, url.port)


def parse_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Header names in lower case; repeated headers joined with commas, as httpx does."""
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def decode_chunks(chunks: AsyncIterator[bytes], encoding: str) -> AsyncIterator[bytes]:
    """The body with its ``Content-Encoding`` (gzip or deflate, the ones we ask for) undone."""
    decoder = _decompressor(encoding.strip().lower())
    async for chunk in chunks:
        yield decoder.decompress(chunk) if decoder else chunk
    if decoder:
        yield decoder.flush()


def _decompressor(encoding: str) -> Any:
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """ "deflate" is zlib-wrapped by the standard and raw in some servers: try both."""

    def __init__(self) -> None:
        self.decoder: Any = None

    def decompress(self, data: bytes) -> bytes:
        if self.decoder is None:
            self.decoder = zlib.decompressobj()
            try:
                return self.decoder.decompress(data)
            except zlib.error:
                self.decoder = zlib.decompressobj(-zlib.MAX_WBITS)
        return self.decoder.decompress(data)

    def flush(self) -> bytes:
        return self.decoder.flush() if self.decoder else b""


async def read_chunks_capped(chunks: AsyncIterator[bytes], limit: int | None) -> tuple[bytes, bool]:
    """Read at most ``limit`` bytes, then stop reading; ``None`` reads to the end and keeps
    nothing (so a connection can be reused)."""
    kept: list[bytes] = []
    size = 0
    async for chunk in chunks:
        if limit is None:
            continue
        kept.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(kept)[:limit], True
    return b"".join(kept), False


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` decoded bytes from a streamed response, then stop reading."""
    if limit <= 0:
        return b"", False
    return await read_chunks_capped(response.aiter_bytes(), limit)


def _error_kind(error: Exception) -> str:
    if isinstance(error, TIMEOUT_ERRORS):
        return "timeout"
    return "connection error" if isinstance(error, CONNECTION_ERRORS) else "error"


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
