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
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from linkdigest.errors import ConfigError
from linkdigest.net.cache import Cache
from linkdigest.net.http import (
    HOST_BUSY_STATUSES,
    Fetcher,
    FetchResult,
    HttpSettings,
    parse_scheme_host,
)
from linkdigest.settings import parse_table

UNVERIFIABLE_STATUSES = frozenset({401, 403, 429, 999})
GONE_STATUSES = frozenset({404, 410})
HEAD_UNRELIABLE = frozenset({400, 403, 404, 405, 406, 409, 429, 500, 501, 502, 503})
TLS_ERROR = re.compile(r"ssl|certificate|tls", re.IGNORECASE)
PEEK_BYTES = 1024  # a GET reads this much, then stops: enough to see a challenge page
HEAD_REFUSED = frozenset({405, 501})  # "not allowed", "not implemented": the method itself
HEAD_MEMORY = 30 * 86400.0  # seconds a host that refused HEAD is asked with GET first


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
    head_refused: bool = False  # HEAD was refused, or GET contradicted it: use GET here


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


@lru_cache(maxsize=65536)
def render_host_root(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


class FrontPages:
    """Whether a host answers, for its 404s: it does when it has answered some link below
    400 lately (``answered``: host root -> when it last did), or else when its front page
    answers. A front page is asked once for however many of the host's links need it at
    that moment (``fresh``: asked anew, not shared with the run's other requests for it)."""

    def __init__(self, fetcher: Fetcher, fresh: bool = False) -> None:
        self.fetcher = fetcher
        self.fresh = fresh
        self.answered: dict[str, float] = {}
        self.asked: dict[str, tuple[float, asyncio.Future[bool]]] = {}

    async def vouch(self, check: LinkCheck, since: float = 0.0) -> LinkCheck:
        """``check``, except that a 404 or 410 stays dead only when its host answers, as
        seen at ``since`` (fetcher clock) or later."""
        if check.verdict is not Verdict.DEAD or check.status not in GONE_STATUSES:
            return check
        if await self.answers(check.final_url or check.url, since):
            return check
        return replace(
            check,
            verdict=Verdict.UNVERIFIABLE,
            reason=f"{check.reason}, but the host's front page does not answer either",
        )

    async def answers(self, url: str, since: float = 0.0) -> bool:
        """Whether the host of ``url`` answers, as seen at ``since`` or later."""
        root = render_host_root(url)
        if self.answered.get(root, -1.0) >= since:
            return True
        if root not in self.asked or self.asked[root][0] < since:
            self.asked[root] = (self.fetcher.clock(), asyncio.ensure_future(self._ask(root)))
        return await self.asked[root][1]

    def saw(self, check: LinkCheck) -> None:
        """Note a link's answer: one below 400 shows that its host answers."""
        if check.status is not None and check.status < 400:
            self.answered[render_host_root(check.final_url or check.url)] = self.fetcher.clock()

    async def _ask(self, root: str) -> bool:
        fresh_after = self.fetcher.clock() if self.fresh else None
        result = await self.fetcher.fetch(
            root, method="GET", max_bytes=PEEK_BYTES, fresh_after=fresh_after
        )
        self.saw(classify(result))
        return not result.error and result.status is not None and result.status < 400


async def check_url(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[int] = frozenset(),
    front_pages: FrontPages | None = None,
    head_first: bool = True,
    again_since: float | None = None,
) -> LinkCheck:
    """``fetch_check``, then a 404 or 410 counts as dead only when the host's front page
    answers (or, for a re-check, the host answered another link after the failure)."""
    check = await fetch_check(fetcher, url, accept, head_first, again_since)
    front = front_pages or FrontPages(fetcher, fresh=again_since is not None)
    return await front.vouch(check, again_since or 0.0)


async def fetch_check(
    fetcher: Fetcher,
    url: str,
    accept: frozenset[int] = frozenset(),
    head_first: bool = True,
    again_since: float | None = None,
) -> LinkCheck:
    """What the URL's own answer says: HEAD first (unless ``head_first`` is off); GET,
    reading only a little, when HEAD fails or is refused. ``again_since``: a re-check of
    a failure at that time (``fetcher.clock``), asked anew with GET alone, before the
    host's waiting requests."""
    again = again_since is not None
    head = None
    if head_first and not again:
        head = await fetcher.fetch(url, method="HEAD")
    result = head
    if head is None or (
        not head.headers.get("cf-mitigated")  # a challenge meets GET just the same
        and (head.error not in ("", "skipped") or (head.status or 0) in HEAD_UNRELIABLE)
    ):
        result = await fetcher.fetch(
            url, method="GET", max_bytes=PEEK_BYTES, urgent=again, fresh_after=again_since
        )
    check = classify(result, accept)
    if head is not None and head is not result and head_contradicted(head, result):
        check = replace(check, head_refused=True)
    return check


def head_contradicted(head: FetchResult, get: FetchResult) -> bool:
    """Whether a host's HEAD answers are not to be trusted: it refused the method, or GET
    answered the same URL otherwise. (A rate limit or an overload says nothing of HEAD.)"""
    if head.status in HEAD_REFUSED:
        return True
    if head.status in HOST_BUSY_STATUSES or get.status in HOST_BUSY_STATUSES:
        return False
    return (head.status, head.error) != (get.status, get.error)


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
            raise ConfigError(source, None, f"[links] {key} must be a number >= 0")
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
    run = _Run(fetcher, options, progress, sleep, _hosts_refusing_head(cache))
    checks = render_offline(await asyncio.gather(*(run.check(url) for url in todo)))
    for check in checks:
        _remember(cache, check)
        results[check.url] = check
    return {url: results[url] for url in unique}


class _Run:
    """One run of ``check_many``: a few URLs per host admitted at a time to the first
    pass (so a confirmation waits behind a handful of requests, not behind the host's whole
    list), each failure's confirmation, and what the run learns of each host: whether it
    answers, and whether its HEAD answers can be trusted (``get_first``: hosts asked with
    GET straight away, seeded from the cache)."""

    def __init__(
        self,
        fetcher: Fetcher,
        options: CheckOptions,
        progress: Callable[[LinkCheck], None] | None,
        sleep: Callable[[float], Awaitable[None]],
        get_first: set[str],
    ) -> None:
        self.fetcher = fetcher
        self.options = options
        self.progress = progress
        self.sleep = sleep
        self.get_first = get_first
        self.front = FrontPages(fetcher, fresh=True)
        self.admitted: dict[str, asyncio.Semaphore] = {}

    async def check(self, url: str) -> LinkCheck:
        host = _host(url)
        async with self._admission(host):
            check = await fetch_check(
                self.fetcher, url, _accept(self.fetcher, url), head_first=host not in self.get_first
            )
        failed_at = self.fetcher.clock()
        self.front.saw(check)
        if check.head_refused:
            self.get_first.add(host)
        if check.verdict in FAILED:
            # A 404 is not vouched for here: the confirmation's stricter check (the host
            # answered after this failure) decides, and dead needs both passes to agree.
            await self.sleep(_cool_down([check], self.options, self.fetcher.settings))
            check = replace(await self._confirm(check, failed_at), head_refused=check.head_refused)
        if self.progress:
            self.progress(check)
        return check

    async def _confirm(self, before: LinkCheck, failed_at: float) -> LinkCheck:
        # A failure is never a HEAD-only answer worth repeating: confirm with GET. Re-checks
        # go one at a time per host, ahead of the first pass: confirmations are the end of
        # the run's critical path. The host must answer anew: another link's answer counts
        # only when it came after this one failed, or else the front page is asked (in the
        # host's other slot, not in the line of re-checks; once for all who need it then).
        accept = _accept(self.fetcher, before.url)
        after = await check_url(self.fetcher, before.url, accept, self.front, again_since=failed_at)
        self.front.saw(after)
        return render_confirmed(before, after)

    def _admission(self, host: str) -> asyncio.Semaphore:
        if host not in self.admitted:
            # Twice the host's limit: a link waiting out a backoff or its host's front page
            # leaves another ready to use the slot.
            size = 2 * self.fetcher.settings.policy_for(host).concurrency
            self.admitted[host] = asyncio.Semaphore(size)
        return self.admitted[host]


def _host(url: str) -> str:
    return parse_scheme_host(url)[1]


def _hosts_refusing_head(cache: Cache, now: float | None = None) -> set[str]:
    """Hosts whose HEAD answers a recent run found refused or contradicted by GET."""
    oldest = (now or time.time()) - HEAD_MEMORY
    return {
        _host(url)
        for url, entry in cache.entries.items()
        if (entry["value"].get("head_refused_at") or 0) >= oldest
    }


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
    return frozenset(fetcher.settings.policy_for(_host(url)).accept)


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
            # When HEAD was last seen refused: the host is asked with GET first a while.
            "head_refused_at": moment if check.head_refused else previous.get("head_refused_at"),
        },
        moment,
    )


def read_history(cache: Cache, url: str) -> tuple[float | None, int]:
    """(first failure time, consecutive failed runs) recorded for ``url``."""
    value = cache.entries.get(cache.key(url), {}).get("value", {})
    return value.get("first_failure"), int(value.get("consecutive_failures", 0))
