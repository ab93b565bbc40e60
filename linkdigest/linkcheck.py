"""Link checking that never cries wolf: verdicts, not booleans.

Only ``dead`` fails a run, and a link is called dead only on evidence: a 404 or 410 from a
host that otherwise answers, or a host that cannot be reached at all through every retry.
Anything that might work for a reader in a browser (a bot challenge, 401/403/429/999, a
TLS problem, a timeout, a server error) is ``unverifiable``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from linkdigest.cache import Cache
from linkdigest.errors import ContentError
from linkdigest.http import Fetcher, FetchResult, HttpSettings
from linkdigest.settings import parse_table

UNVERIFIABLE_STATUSES = frozenset({401, 403, 429, 999})
GONE_STATUSES = frozenset({404, 410})
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 406, 409, 429, 500, 501, 502, 503})
TLS_ERROR = re.compile(r"ssl|certificate|tls", re.IGNORECASE)
PEEK_BYTES = 1024  # a GET reads this much, then stops: enough to see a challenge page


class Verdict(StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    DEAD = "dead"
    UNVERIFIABLE = "unverifiable"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class LinkCheck:
    """The verdict on one URL, with the evidence."""

    url: str
    verdict: Verdict
    reason: str = ""
    status: int | None = None
    final_url: str = ""
    permanent: bool = False
    retry_after: float | None = None


def classify(result: FetchResult, accept: frozenset[int] = frozenset()) -> LinkCheck:
    """The verdict a single fetch supports (``dead`` for a 404 still needs the host check)."""
    if result.error:
        return _classify_error(result)
    status = result.status or 0
    if status in accept or 200 <= status < 300:
        return _answered(result, status)
    evidence = dict(status=status, final_url=result.final_url, retry_after=result.retry_after)
    if result.headers.get("cf-mitigated") or status in UNVERIFIABLE_STATUSES:
        challenge = "bot challenge" if result.headers.get("cf-mitigated") else f"HTTP {status}"
        return LinkCheck(result.url, Verdict.UNVERIFIABLE, challenge, **evidence)
    if status in GONE_STATUSES:
        return LinkCheck(result.url, Verdict.DEAD, f"HTTP {status}", **evidence)
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, f"HTTP {status}", **evidence)


def _answered(result: FetchResult, status: int) -> LinkCheck:
    if not result.redirects:
        return LinkCheck(result.url, Verdict.OK, status=status, final_url=result.final_url)
    permanent = result.permanent_redirect is not None
    kind = "permanent" if permanent else "temporary"
    return LinkCheck(
        result.url,
        Verdict.REDIRECTED,
        f"{kind} redirect to {result.final_url}",
        status,
        result.final_url,
        permanent,
    )


def _classify_error(result: FetchResult) -> LinkCheck:
    reason = f"{result.error}: {result.detail}" if result.detail else result.error
    if result.error == "skipped":
        return LinkCheck(result.url, Verdict.SKIPPED, result.detail)
    if result.error == "connection error" and not TLS_ERROR.search(result.detail):
        # The fetcher already retried with backoff: a host that refuses or does not resolve
        # every time is dead for readers too.
        return LinkCheck(result.url, Verdict.DEAD, reason, final_url=result.final_url)
    # Timeouts, TLS trouble and redirect loops (often a cookie check a browser would pass).
    return LinkCheck(result.url, Verdict.UNVERIFIABLE, reason, final_url=result.final_url)


def render_host_root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


class FrontPages:
    """Whether each host's front page answers: asked once per run and host, however many
    of the host's links turn out to be 404s (``urgent`` as the links it vouches for)."""

    def __init__(self, fetcher: Fetcher, urgent: bool = False) -> None:
        self.fetcher = fetcher
        self.urgent = urgent
        self.asked: dict[str, asyncio.Future[bool]] = {}

    async def answers(self, url: str) -> bool:
        root = render_host_root(url)
        if root not in self.asked:
            self.asked[root] = asyncio.ensure_future(self._ask(root))
        return await self.asked[root]

    async def _ask(self, root: str) -> bool:
        result = await self.fetcher.fetch(
            root, method="GET", max_bytes=PEEK_BYTES, urgent=self.urgent
        )
        return not result.error and result.status is not None and result.status < 400


async def check_url(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[int] = frozenset(),
    front_pages: FrontPages | None = None,
    head_first: bool = True,
    urgent: bool = False,
) -> LinkCheck:
    """HEAD first (unless ``head_first`` is off); GET, reading only a little, when HEAD fails
    or is refused; a 404 or 410 counts as dead only when the host's front page answers.
    ``urgent`` requests go before the host's waiting ones."""
    result = await fetcher.fetch(url, method="HEAD", urgent=urgent) if head_first else None
    if result is None or (
        not result.headers.get("cf-mitigated")  # a challenge meets GET just the same
        and (result.error not in ("", "skipped") or (result.status or 0) in HEAD_UNRELIABLE)
    ):
        result = await fetcher.fetch(url, method="GET", max_bytes=PEEK_BYTES, urgent=urgent)
    check = classify(result, accept)
    if check.verdict is Verdict.DEAD and check.status in GONE_STATUSES:
        front = front_pages or FrontPages(fetcher, urgent)
        if not await front.answers(check.final_url or check.url):
            return replace(
                check,
                verdict=Verdict.UNVERIFIABLE,
                reason=f"{check.reason}, but the host's front page does not answer either",
            )
    return check


FAILED = frozenset({Verdict.DEAD, Verdict.UNVERIFIABLE})
REUSABLE = frozenset({Verdict.OK, Verdict.REDIRECTED})


@dataclass(frozen=True)
class CheckOptions:
    """How a run treats the cache and failures (the ``[links]`` settings table)."""

    ok_ttl: float = 86400.0  # seconds an ok or redirected result is reused
    cool_down: float = 5.0  # seconds before failures are confirmed
    archive_api: str = "https://archive.org/wayback/available"  # availability API


def parse_check_options(data: Mapping[str, Any], source: str = "<settings>") -> CheckOptions:
    """Options from the parsed settings file's ``[links]`` table."""
    values = parse_table(data.get("links", {}), CheckOptions, source, "links")
    for key, value in values.items():
        if isinstance(value, int | float) and value < 0:
            raise ContentError(source, None, f"[links] {key} must be a number >= 0")
    return CheckOptions(**values)


async def fetch_verdicts(
    http: HttpSettings,
    urls: Iterable[str],
    cache: Cache,
    options: CheckOptions = CheckOptions(),
    progress: Callable[[LinkCheck], None] | None = None,
) -> dict[str, LinkCheck]:
    """``check_many`` through a Fetcher opened (and closed) for this run."""
    async with Fetcher(http) as fetcher:
        return await check_many(fetcher, urls, cache, options, progress)


async def check_many(
    fetcher: Fetcher,
    urls: Iterable[str],
    cache: Cache,
    options: CheckOptions = CheckOptions(),
    progress: Callable[[LinkCheck], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, LinkCheck]:
    """The verdict on every unique URL: each requested once, cached ok results reused,
    every failure re-checked after a cool-down and only then recorded, with its history,
    in ``cache``.

    A failure's cool-down starts when it fails, and its re-check runs while the first pass
    goes on, one request at a time for its host, through ``fetcher`` so that both passes
    share the host's limit.
    """
    unique = list(dict.fromkeys(urls))
    results = {url: cached for url in unique if (cached := _cached(cache, url, options))}
    # Links that failed last time go first: their cool-downs then overlap the rest.
    todo = sorted(
        (url for url in unique if url not in results), key=lambda u: not _failed(cache, u)
    )
    run = _Run(fetcher, options, progress, sleep)
    checks = render_offline(await asyncio.gather(*(run.check(url) for url in todo)))
    for check in checks:
        _remember(cache, check)
        results[check.url] = check
    return {url: results[url] for url in unique}


class _Run:
    """One run of ``check_many``: a few URLs per host admitted at a time to the first
    pass (so a confirmation waits behind a handful of requests, not behind the host's whole
    list), and each failure's confirmation."""

    def __init__(
        self,
        fetcher: Fetcher,
        options: CheckOptions,
        progress: Callable[[LinkCheck], None] | None,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.fetcher = fetcher
        self.options = options
        self.progress = progress
        self.sleep = sleep
        self.front = FrontPages(fetcher)
        self.again = FrontPages(fetcher, urgent=True)
        self.admitted: dict[str, asyncio.Semaphore] = {}

    async def check(self, url: str) -> LinkCheck:
        host = (urlsplit(url).hostname or "").lower()
        async with self._admission(host):
            check = await check_url(self.fetcher, url, _accept(self.fetcher, url), self.front)
        if check.verdict in FAILED:
            check = await self._confirm(check)
        if self.progress:
            self.progress(check)
        return check

    async def _confirm(self, before: LinkCheck) -> LinkCheck:
        await self.sleep(_cool_down([before], self.options, self.fetcher.settings))
        # A failure is never a HEAD-only answer worth repeating: confirm with GET. Urgent
        # requests go one at a time per host, ahead of the first pass: confirmations are
        # the end of the run's critical path.
        accept = _accept(self.fetcher, before.url)
        after = await check_url(
            self.fetcher, before.url, accept, self.again, head_first=False, urgent=True
        )
        return render_confirmed(before, after)

    def _admission(self, host: str) -> asyncio.Semaphore:
        if host not in self.admitted:
            # Twice the host's limit: a link waiting out a backoff or its host's front page
            # leaves another ready to use the slot.
            size = 2 * self.fetcher.settings.policy_for(host).concurrency
            self.admitted[host] = asyncio.Semaphore(size)
        return self.admitted[host]


OFFLINE_HOSTS = 3  # fewer hosts than this, all silent, may really all be gone


def render_offline(checks: list[LinkCheck]) -> list[LinkCheck]:
    """When not one of several hosts gave any HTTP answer, the network is down, not the
    links: their dead verdicts (DNS failures, refused connections) become unverifiable."""
    asked = [check for check in checks if check.verdict is not Verdict.SKIPPED]
    hosts = {urlsplit(check.url).hostname for check in asked}
    if len(hosts) < OFFLINE_HOSTS or any(check.status is not None for check in asked):
        return checks
    note = f"no host of {len(hosts)} answered at all: this machine looks offline"
    return [
        replace(check, verdict=Verdict.UNVERIFIABLE, reason=f"{check.reason}; {note}")
        if check.verdict is Verdict.DEAD
        else check
        for check in checks
    ]


def render_confirmed(before: LinkCheck, after: LinkCheck) -> LinkCheck:
    """The confirmation decides, except that dead needs both passes to agree."""
    if after.verdict is Verdict.DEAD and before.verdict is not Verdict.DEAD:
        return replace(
            after, verdict=Verdict.UNVERIFIABLE, reason=f"{after.reason} (only on the second try)"
        )
    return after


def _accept(fetcher: Fetcher, url: str) -> frozenset[int]:
    return frozenset(fetcher.settings.policy_for(urlsplit(url).hostname or "").accept)


def _cool_down(failed: list[LinkCheck], options: CheckOptions, settings: HttpSettings) -> float:
    asked = max((c.retry_after or 0.0 for c in failed), default=0.0)
    return min(max(options.cool_down, asked), max(options.cool_down, settings.retry_after_cap))


def _failed(cache: Cache, url: str) -> bool:
    value = cache.entries.get(cache.key(url), {}).get("value", {})
    return value.get("verdict") in FAILED


def _cached(cache: Cache, url: str, options: CheckOptions) -> LinkCheck | None:
    value = cache.get(url, options.ok_ttl)
    if not value or value.get("verdict") not in REUSABLE:
        return None
    return LinkCheck(
        url,
        Verdict(value["verdict"]),
        value.get("reason", ""),
        value.get("status"),
        value.get("final_url", ""),
        bool(value.get("permanent")),
    )


def _remember(cache: Cache, check: LinkCheck, now: float | None = None) -> None:
    if check.verdict is Verdict.SKIPPED:
        return
    moment = now or time.time()
    previous = cache.entries.get(cache.key(check.url), {}).get("value", {})
    failing = check.verdict in FAILED
    cache.put(
        check.url,
        {
            "verdict": check.verdict.value,
            "reason": check.reason,
            "status": check.status,
            "final_url": check.final_url,
            "permanent": check.permanent,
            "first_failure": (previous.get("first_failure") or moment) if failing else None,
            "consecutive_failures": previous.get("consecutive_failures", 0) + 1 if failing else 0,
        },
        moment,
    )


def read_history(cache: Cache, url: str) -> tuple[float | None, int]:
    """(first failure time, consecutive failed runs) recorded for ``url``."""
    value = cache.entries.get(cache.key(url), {}).get("value", {})
    return value.get("first_failure"), int(value.get("consecutive_failures", 0))
