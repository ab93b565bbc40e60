"""The Fetcher: polite, concurrent, bounded fetching; failures are data, never exceptions.

On top of the transport it adds what a pool leaves to its callers: global and per-host
limits with spacing, redirects followed hop by hop (so each hop is polite and loops are
caught) and recorded, retries with exponential backoff and a capped ``Retry-After``, a size
cap read as a stream, a deadline for each request, and what a run learns once instead of
once per link (an answer to a HEAD, a host that cannot be reached, a host's pace).

A status is proof enough that a server answered: once the status and headers are in, the
body is read as far as the deadline (and, for a peek, ``PEEK_SECONDS``) allows, and a body
that trickles, stalls or breaks off is kept as far as it came, never retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin

import httpcore

from linkdigest.format.urls import parse_origin, parse_scheme_host
from linkdigest.net.scheduler import (
    HostGate,
    HostPace,
    parse_rate_limit,
    parse_retry_after,
)
from linkdigest.net.settings import HttpSettings, render_request_headers, render_timeouts
from linkdigest.net.transport import (
    RETRYABLE_FAILURES,
    TRANSPORT_ERRORS,
    AsyncioBackend,
    Body,
    FailureKind,
    build_pool,
    decode_chunks,
    parse_failure,
    parse_headers,
    parse_request_url,
    read_chunks_capped,
    render_host_header,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
HOST_BUSY_STATUSES = frozenset({429, 503})
SHARED_BYTES = 65536  # a GET keeping at most this much is asked once per run (a peek)
PEEK_SECONDS = 2.0  # once the status is in, a peek waits this long at most for its bytes
TIMEOUT_RETRIES = 1
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "cookie", "proxy-authorization", "x-auth-token"}
)  # a server that did not answer in time once gets one more chance


@dataclass(frozen=True)
class Redirect:
    status: int
    source: str
    target: str


@dataclass(frozen=True)
class FetchResult:
    """What happened to one URL. ``failure`` is None on any HTTP answer (even a 404);
    ``body_failure`` says why a body that followed a status did not arrive whole; ``detail``
    says more of either, for a person."""

    url: str
    final_url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    truncated: bool = False
    redirects: tuple[Redirect, ...] = ()
    failure: FailureKind | None = None
    detail: str = ""
    attempts: int = 0
    retry_after: float | None = None
    loopback: bool = False  # the host is this machine
    body_failure: FailureKind | None = None

    @property
    def error(self) -> str:
        """The failure's name ("" for an HTTP answer), for messages and JSON."""
        return self.failure.value if self.failure else ""

    @property
    def unreachable(self) -> bool:
        """No connection could be made to the host at all."""
        return self.failure is not None and self.failure.connects

    @property
    def permanent_redirect(self) -> str | None:
        """The final URL when every hop was permanent (the link should be updated)."""
        if self.redirects and all(r.status in PERMANENT_REDIRECTS for r in self.redirects):
            return self.final_url
        return None

    def describe(self) -> str:
        """The failure for a person: what, and the detail that came with it."""
        if self.failure is None:
            return f"HTTP {self.status}"
        return self._with_detail(self.failure)

    @property
    def body_problem(self) -> str:
        """Why the body that followed the status is not whole, for a person ("" when it is):
        a caller that needs the page (a title) reports it, a link check does not."""
        return "" if self.body_failure is None else self._with_detail(self.body_failure)

    def _with_detail(self, kind: FailureKind) -> str:
        return f"{kind.value}: {self.detail}" if self.detail else kind.value


class Fetcher:
    """Polite, concurrent fetching. One instance per run, used as ``async with``.

    Each host gets its own connection pool, sized to its concurrency: one shared pool
    rescans every open connection for every request, which made the pool, not the network,
    the limit at a few thousand URLs over dozens of hosts. ``backend``: the sockets
    (``AsyncioBackend`` unless a test hands in a stand-in for the internet; a backend whose
    ``connected`` is None is given a callback that reports connections). ``pacing``:
    the paces hosts taught earlier runs (``paces()`` returns this run's).
    """

    def __init__(
        self,
        settings: HttpSettings,
        *,
        backend: httpcore.AsyncNetworkBackend | None = None,
        pacing: Mapping[str, HostPace] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.backend = backend or AsyncioBackend()
        if getattr(self.backend, "connected", False) is None:  # one of ours: tell us, too
            self.backend.connected = self._connected  # type: ignore[attr-defined]
        self.pacing = dict(pacing or {})
        self.sleep = sleep
        self.clock = clock
        self.global_slots = asyncio.Semaphore(settings.max_connections)
        self.gates: dict[str, HostGate] = {}
        self.pools: dict[str, httpcore.AsyncConnectionPool] = {}
        self.shared: dict[tuple[str, str, int], asyncio.Future[FetchResult]] = {}
        # origin (scheme, host, port) -> when it was last found unreachable, and how
        self.unreachable: dict[str, tuple[float, FetchResult]] = {}
        self.probing: dict[str, asyncio.Lock] = {}
        self.first_contact: dict[str, asyncio.Future[None]] = {}  # host:port -> connected
        self.loopback_hosts: set[str] = set()  # hosts whose connections went to this machine
        self.headers = [
            (k.encode(), v.encode()) for k, v in render_request_headers(settings).items()
        ]
        self.extensions = {"timeout": render_timeouts(settings)}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await asyncio.gather(*(pool.aclose() for pool in self.pools.values()))
        self.pools.clear()

    def paces(self) -> dict[str, HostPace]:
        """The paces hosts taught this run (a 429, an announced limit), by host name."""
        return {host: pace for host, gate in self.gates.items() if (pace := gate.pace)}

    def pool(self, host: str) -> httpcore.AsyncConnectionPool:
        if host not in self.pools:
            size = self.settings.policy_for(host).concurrency
            self.pools[host] = build_pool(size, self.backend)
        return self.pools[host]

    def _connected(self, host: str, port: int, loopback: bool) -> None:
        if loopback:
            self.loopback_hosts.add(host.lower())
        contact = self.first_contact.get(f"{host.lower()}:{port}")
        if contact is not None and not contact.done():
            contact.set_result(None)

    def gate(self, host: str) -> HostGate:
        if host not in self.gates:
            policy = self.settings.policy_for(host)
            self.gates[host] = HostGate(policy, self.clock, self.pacing.get(host))
        return self.gates[host]

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> FetchResult:
        """POST ``body`` once: never retried and no redirect followed, since the server may
        have acted on it (a send that failed is sent again by running it again)."""
        hop = _Hop(url, url, "POST", self.settings.max_bytes, dict(headers or {}), body=body)
        policy = self.settings.policy_for(hop.host)
        if policy.skip:
            return _failed(hop, FailureKind.SKIPPED, policy.reason or hop.host)
        return await self._attempt(hop, 1)

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
            if result.failure or result.status not in REDIRECT_STATUSES or not location:
                return result
            target = urljoin(current, location.strip())
            redirects.append(Redirect(result.status or 0, current, target))
            if stop := self._stop_following(result, target, seen, redirects):
                return stop
            if result.status == 303:
                method = "GET"
            if parse_origin(target) != parse_origin(current):
                extra = _without_credentials(extra)  # a token is for its own server only
            current = target
            seen.add(target)

    def _stop_following(
        self, result: FetchResult, target: str, seen: set[str], redirects: list[Redirect]
    ) -> FetchResult | None:
        if target in seen:
            kind, detail = FailureKind.REDIRECT_LOOP, f"{target} was already visited"
        elif len(redirects) > self.settings.max_redirects:
            kind, detail = (
                FailureKind.TOO_MANY_REDIRECTS,
                f"more than {self.settings.max_redirects}",
            )
        else:
            return None
        return replace(
            result, final_url=target, redirects=tuple(redirects), failure=kind, detail=detail
        )

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
            return _failed(hop, FailureKind.SKIPPED, policy.reason or hop.host)
        if parse_scheme_host(hop.current)[0] not in ("http", "https") or not hop.host:
            return _failed(hop, FailureKind.INVALID_URL, "not an absolute http(s) URL")
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
        host (when no connection was new, or the backend is not ours, to say so)."""
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
        if result.failure is FailureKind.TIMEOUT and attempt > TIMEOUT_RETRIES:
            return None
        retryable = result.failure in RETRYABLE_FAILURES or result.status in RETRY_STATUSES
        if not retryable or attempt > self.settings.retries:
            return None
        backoff = self.settings.backoff * 2.0 ** (attempt - 1)
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
            started = await gate.wait_turn(self.sleep)
            async with self.global_slots:
                result = await self._request(hop, attempt)
        self._learn_pace(gate, result, started)
        return result

    def _learn_pace(self, gate: HostGate, result: FetchResult, started: float) -> None:
        if result.status == 429:
            gate.rate_limited(started)
        if result.status is not None and (limit := parse_rate_limit(result.headers)):
            gate.announced(limit, self.settings.retry_after_cap)

    async def _request(self, hop: _Hop, attempt: int) -> FetchResult:
        try:
            status, headers, body, body_failure = await self._send(hop)
        except TRANSPORT_ERRORS as error:
            failure = parse_failure(error)
            detail = str(error) or type(error).__name__
            if failure is FailureKind.TIMEOUT:
                detail = f"no answer from {hop.host} within {self.settings.deadline:g} s"
            loopback = bool(getattr(error, "loopback", False)) or hop.host in self.loopback_hosts
            return FetchResult(
                hop.url, hop.current, failure=failure, detail=detail, attempts=attempt,
                loopback=loopback,
            )  # fmt: skip
        return FetchResult(
            hop.url,
            hop.current,
            status,
            headers,
            body.data,
            body.truncated or body_failure is not None,
            attempts=attempt,
            retry_after=parse_retry_after(headers.get("retry-after")),
            loopback=hop.host in self.loopback_hosts,
            body_failure=body_failure,
            detail=self._body_detail(hop, body_failure),
        )

    def _body_detail(self, hop: _Hop, failure: FailureKind | None) -> str:
        if failure is FailureKind.TIMEOUT:
            deadline = self.settings.deadline
            seconds = min(PEEK_SECONDS, deadline) if hop.is_peek else deadline
            return f"no answer from {hop.host} within {seconds:g} s after the headers"
        if failure is not None:
            return f"{hop.host} broke the connection off after the headers"
        return ""

    async def _send(self, hop: _Hop) -> tuple[int, dict[str, str], Body, FailureKind | None]:
        """One request: the status and headers within the deadline (else TimeoutError),
        then as much of the body as the time left (and a peek's grace) allows."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.deadline
        url = parse_request_url(hop.current)
        extra = [(k.encode(), v.encode()) for k, v in hop.headers.items()]
        if hop.body:
            extra.append((b"Content-Length", str(len(hop.body)).encode()))
        request = httpcore.Request(
            hop.method,
            url,
            headers=[(b"Host", render_host_header(url)), *self.headers, *extra],
            content=hop.body or None,
            extensions=self.extensions,
        )
        async with asyncio.timeout_at(deadline):
            response = await self.pool(hop.host).handle_async_request(request)
        body, failure = Body(), None
        try:
            headers = parse_headers(response.headers)
            until = min(deadline, loop.time() + PEEK_SECONDS) if hop.is_peek else deadline
            chunks = decode_chunks(response.aiter_stream(), headers.get("content-encoding", ""))
            async with asyncio.timeout_at(until):
                await read_chunks_capped(chunks, hop.body_limit, body)
        except TRANSPORT_ERRORS as error:  # the answer is in; its body broke off or stalled
            failure = parse_failure(error)
        finally:
            await response.aclose()
        return response.status, headers, body, failure


def _without_credentials(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` less those that carry credentials, as browsers and httpx drop them on a
    redirect to another origin."""
    return {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}


def _failed(hop: _Hop, failure: FailureKind, detail: str) -> FetchResult:
    return FetchResult(hop.url, hop.current, failure=failure, detail=detail)


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
    body: bytes = b""

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
    def is_peek(self) -> bool:
        """A GET that keeps little: its status is what matters, not every byte."""
        return self.method != "HEAD" and self.limit <= SHARED_BYTES

    @property
    def shared_key(self) -> tuple[str, str, int] | None:
        """How this hop's answer is shared with every like hop of the run, or None when the
        hop must be asked itself: a re-check (``fresh_after``), one with its own headers, a
        GET keeping more than ``SHARED_BYTES`` (pages are not kept for the whole run)."""
        if (
            self.fresh_after is not None
            or self.headers
            or not (self.method == "HEAD" or self.is_peek)
        ):
            return None
        return self.method, self.current, 0 if self.method == "HEAD" else self.limit

    @property
    def body_limit(self) -> int | None:
        """Bytes to keep: none for HEAD, which is read to its (empty) end all the same, so
        the connection goes back to the pool instead of being closed."""
        return None if self.method == "HEAD" else self.limit
