"""Polite scheduling per host: slots, spacing, holds, and a pace learnt from the host.

Each host has a few request slots (its concurrency), request starts spaced by its delay,
and nothing at all before a ``Retry-After`` it asked for ends. A host that rate-limits
(a 429, or ``RateLimit-*``/``X-RateLimit-*`` headers saying how fast it may be asked) is
slowed for the rest of the run, and the pace it taught is handed back so that the next run
starts at it instead of learning it again from more 429s.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from linkdigest.net.settings import HostPolicy

# After a 429 that says nothing of the limit: one request at a time, at least this far apart,
# and twice as far at each later 429, up to a request a second.
LIMITED_DELAY = 0.25
MAX_LIMITED_DELAY = 1.0
# Spacing from an announced limit keeps this margin below it (clocks and latency jitter).
PACE_MARGIN = 1.1
POLICY_WINDOW = re.compile(r"(?:^|;)\s*w\s*=\s*(?P<window>[0-9.]+)")
POLICY_QUOTA = re.compile(r"(?:^|[\s;,])(?:q\s*=\s*)?(?P<quota>[0-9]+)\s*(?:;|$)")
DICT_ITEM = re.compile(r"(?P<key>limit|remaining|reset)\s*=\s*(?P<value>[0-9.]+)")


@dataclass(frozen=True)
class HostPace:
    """A pace a host taught: how many requests at a time, and how far apart they start."""

    concurrency: int
    delay: float


@dataclass(frozen=True)
class RateLimit:
    """What a response says of the host's rate limit; None where it says nothing."""

    limit: int | None = None
    window: float | None = None
    remaining: int | None = None
    reset: float | None = None  # seconds until the quota is whole again

    @property
    def spacing(self) -> float | None:
        """Seconds between request starts that keep under the announced limit."""
        if self.limit and self.window:
            return PACE_MARGIN * self.window / self.limit
        return None


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


def parse_rate_limit(headers: Mapping[str, str], now: float | None = None) -> RateLimit | None:
    """The rate limit a response announces, in any of the usual spellings: the IETF draft's
    ``RateLimit-Limit``/``-Remaining``/``-Reset`` and ``RateLimit-Policy: 5;w=1``, its newer
    ``RateLimit: limit=5, remaining=2, reset=1``, and ``X-RateLimit-*`` (reset in seconds or
    as an epoch time)."""
    fields: dict[str, str] = {}
    for prefix in ("x-ratelimit-", "ratelimit-"):
        for key in ("limit", "remaining", "reset"):
            if prefix + key in headers:
                fields[key] = headers[prefix + key]
    if "ratelimit" in headers:
        fields.update((m["key"], m["value"]) for m in DICT_ITEM.finditer(headers["ratelimit"]))
    policy = headers.get("ratelimit-policy", "")
    if not fields and not policy:
        return None
    return RateLimit(
        _number(fields.get("limit")) or _policy_quota(policy),
        _policy_window(policy),
        _number(fields.get("remaining")),
        _reset_seconds(fields.get("reset"), now),
    )


def _number(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _policy_window(policy: str) -> float | None:
    match = POLICY_WINDOW.search(policy)
    return float(match["window"]) if match else None


def _policy_quota(policy: str) -> int | None:
    match = POLICY_QUOTA.search(policy.split(",")[0])
    return int(match["quota"]) if match else None


def _reset_seconds(value: str | None, now: float | None) -> float | None:
    seconds = _number(value)
    if seconds is None:
        return None
    if seconds > 1_000_000_000:  # an epoch time, as GitHub and others send
        return max(0.0, seconds - (time.time() if now is None else now))
    return float(seconds)


class Slots:
    """A host's request slots, with a lane for urgent requests: an urgent one goes before
    every waiting ordinary one, but only one urgent request holds a slot at a time, so
    urgent work never crowds the rest out. ``narrow`` lowers the number of slots."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.busy = 0
        self.urgent_busy = False
        self.waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}

    @property
    def free(self) -> int:
        return max(0, self.size - self.busy)

    def narrow(self, size: int) -> None:
        self.size = min(self.size, size)

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
        self.busy += 1
        self.urgent_busy = self.urgent_busy or urgent

    def _release(self, urgent: bool) -> None:
        self.busy -= 1
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


class HostGate:
    """Per-host politeness: at most ``concurrency`` requests in flight, starts at least
    ``delay`` apart, nothing before a hold (a ``Retry-After``) ends, and a pace that only
    slows down as the host asks."""

    def __init__(
        self, policy: HostPolicy, clock: Callable[[], float], pace: HostPace | None = None
    ) -> None:
        self.slots = Slots(policy.concurrency)
        self.delay = policy.delay
        self.clock = clock
        self.next_start = 0.0
        self.last_start = float("-inf")
        self.lock = asyncio.Lock()
        self.learnt = False
        self.slowed_at = float("-inf")
        if pace is not None:  # taught by an earlier run: kept to, not learnt again
            self.slots.narrow(pace.concurrency)
            self.delay = max(self.delay, pace.delay)

    @property
    def pace(self) -> HostPace | None:
        """The pace this host taught this run, if it taught one (to start the next at)."""
        return HostPace(self.slots.size, self.delay) if self.learnt else None

    async def wait_turn(self, sleep: Callable[[float], Awaitable[None]]) -> float:
        """Wait for this request's start; returns the moment it starts."""
        async with self.lock:
            wait = self.next_start - self.clock()
            if wait > 0:
                await sleep(wait)
            started = self.clock()
            self.next_start = max(self.next_start, started) + self.delay
            self.last_start = started
            return started

    def hold_off(self, seconds: float) -> None:
        self.next_start = max(self.next_start, self.clock() + seconds)

    def rate_limited(self, started: float) -> None:
        """A 429 for a request that started at ``started``: one at a time from now on, and
        twice as far apart as before (once for every burst: the 429s of requests that were
        already under way when the host was slowed do not slow it again)."""
        if started < self.slowed_at:
            return
        self._pace(1, min(max(self.delay * 2, LIMITED_DELAY), max(self.delay, MAX_LIMITED_DELAY)))

    def announced(self, limit: RateLimit, cap: float) -> None:
        """Keep to a limit the host announced, and wait for its quota when it is used up."""
        spacing = limit.spacing
        if spacing is not None and spacing > self.delay:
            self._pace(self.slots.size, spacing)
        if limit.remaining == 0 and limit.reset:
            self.hold_off(min(limit.reset, cap))

    def _pace(self, concurrency: int, delay: float) -> None:
        self.slots.narrow(concurrency)
        self.delay = max(self.delay, delay)
        # The next start keeps the new spacing from the last one already made.
        self.next_start = max(self.next_start, self.last_start + self.delay)
        self.learnt = True
        self.slowed_at = self.clock()
