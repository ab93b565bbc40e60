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
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from linkdigest import __version__
from linkdigest.errors import ContentError
from linkdigest.settings import parse_table, read_settings_file

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
CONNECTION_ERRORS = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)


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
        raise ContentError(source, None, f"[hosts.{name}]: concurrency must be >= 1 and delay >= 0")
    return policy


def build_client(
    settings: HttpSettings,
    transport: httpx.AsyncBaseTransport | None = None,
    connections: int | None = None,
) -> httpx.AsyncClient:
    """The HTTP client every helper uses. Redirects are followed by ``Fetcher`` (hop by hop),
    and the client keeps no cookies at all, so nothing carries over between hosts."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    size = connections or settings.max_connections
    limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        verify=_ssl_context(),
        headers={
            "User-Agent": settings.user_agent,
            "Accept-Encoding": "gzip, deflate",
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
        },
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        transport=transport,
        cookies=httpx.Cookies(no_cookies),
        trust_env=False,
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


class _HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts at least
    ``delay`` apart, and nothing at all before a ``Retry-After`` the host asked for ends."""

    def __init__(self, policy: HostPolicy, clock: Callable[[], float]) -> None:
        self.slots = asyncio.Semaphore(policy.concurrency)
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

    Each host gets its own client from ``build_client``, sized to the host's concurrency:
    one shared pool rescans every open connection for every request, which made the
    pool, not the network, the limit at a few thousand URLs over dozens of hosts.
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

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self.clients.values()))
        self.clients.clear()

    def client(self, host: str) -> httpx.AsyncClient:
        if host not in self.clients:
            size = self.settings.policy_for(host).concurrency
            self.clients[host] = build_client(self.settings, self.transport, size)
        return self.clients[host]

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
    ) -> FetchResult:
        """Fetch ``url``, following redirects; never raises for network trouble."""
        limit = self.settings.max_bytes if max_bytes is None else max_bytes
        redirects: list[Redirect] = []
        current, seen = url, {url}
        while True:
            result = await self._fetch_hop(_Hop(url, current, method, limit, dict(headers or {})))
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
        policy = self.settings.policy_for(hop.host)
        if policy.skip:
            return FetchResult(
                hop.url, hop.current, error="skipped", detail=policy.reason or hop.host
            )
        if urlsplit(hop.current).scheme not in ("http", "https") or not hop.host:
            return FetchResult(
                hop.url, hop.current, error="invalid URL", detail="not an absolute http(s) URL"
            )
        result = FetchResult(hop.url, hop.current)
        for attempt in range(1, self.settings.retries + 2):
            result = await self._attempt(hop, attempt)
            wait = self._retry_wait(result, attempt)
            if wait is None:
                return result
            self.gate(hop.host).hold_off(wait)
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

    async def _attempt(self, hop: _Hop, attempt: int) -> FetchResult:
        gate = self.gate(hop.host)
        async with gate.slots:
            await gate.wait_turn(self.sleep)
            async with self.global_slots:
                return await self._request(hop, attempt)

    async def _request(self, hop: _Hop, attempt: int) -> FetchResult:
        client = self.client(hop.host)
        try:
            async with client.stream(hop.method, hop.current, headers=hop.headers) as response:
                limit = 0 if hop.method == "HEAD" else hop.limit
                body, truncated = await read_capped(response, limit)
                return FetchResult(
                    hop.url,
                    hop.current,
                    response.status_code,
                    {k.lower(): v for k, v in response.headers.items()},
                    body,
                    truncated,
                    attempts=attempt,
                    retry_after=parse_retry_after(response.headers.get("retry-after")),
                )
        except httpx.TimeoutException as error:
            return FetchResult(
                hop.url, hop.current, error="timeout", detail=_describe(error), attempts=attempt
            )
        except (httpx.TransportError, httpx.InvalidURL, httpx.UnsupportedProtocol) as error:
            kind = "connection error" if isinstance(error, CONNECTION_ERRORS) else "error"
            return FetchResult(
                hop.url, hop.current, error=kind, detail=_describe(error), attempts=attempt
            )


@dataclass(frozen=True)
class _Hop:
    """One request of a fetch: the URL asked for, the URL of this hop, and how to ask."""

    url: str
    current: str
    method: str
    limit: int
    headers: Mapping[str, str]

    @property
    def host(self) -> str:
        return (urlsplit(self.current).hostname or "").lower()


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """Read at most ``limit`` decoded bytes from a streamed response, then stop reading."""
    chunks: list[bytes] = []
    size = 0
    if limit <= 0:
        return b"", False
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__
